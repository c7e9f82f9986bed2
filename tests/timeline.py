"""TEST_TIMELINE=<file>: each test file's start, end and CPU seconds, one line per file, appended
by every test process (`worker file start end cpu`). Where the suite's time goes: which file ran
when on which core, whether one core idles at the end, and what each file costs in CPU whatever
the machine's load. CPU counts this process, the children it waited for, and every process it
started that is still running (its app server, Chromium, their workers). A process that ends
unreaped takes its CPU with it: a file that ends a server (or the session's last files, as the
servers stop) may show less CPU than it used, even a negative figure; Ray's daemons, which leave
the test process's tree, are not counted."""

from __future__ import annotations

import os
import time
from pathlib import Path

_CLOCK = os.sysconf("SC_CLK_TCK")


def _descendants_cpu(root: int) -> float:
    """CPU seconds of every live process below `root` (with what each has reaped)."""
    children: dict[int, list[int]] = {}
    ticks: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)     # ppid
        ticks[pid] = sum(int(f) for f in fields[11:15])          # utime stime cutime cstime
    total, todo = 0, list(children.get(root, []))
    while todo:
        pid = todo.pop()
        total += ticks.get(pid, 0)
        todo += children.get(pid, [])
    return total / _CLOCK


def cpu_now() -> float:
    own = os.times()
    return own.user + own.system + own.children_user + own.children_system + _descendants_cpu(os.getpid())


class Timeline:
    def __init__(self, path: str):
        self.path = path
        self.worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.file: str | None = None
        self.start = self.cpu = 0.0

    def _close(self) -> None:
        if self.file is None:
            return
        with open(self.path, "a") as out:
            out.write(f"{self.worker} {self.file} {self.start:.2f} {time.time():.2f} {cpu_now() - self.cpu:.2f}\n")
        self.file = None

    def pytest_runtest_logstart(self, nodeid, location):
        name = nodeid.split("::", 1)[0]
        if name != self.file:
            self._close()
            self.file, self.start, self.cpu = name, time.time(), cpu_now()

    def pytest_sessionfinish(self):
        self._close()
