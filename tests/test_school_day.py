"""A short school day (bench/bench_day.py, a few dozen tabs) on the test process's server: tabs open
pages, some train a small net, all leave. The sessions the server holds go back to where they were
and its threads to where the first lesson left them; its memory does not grow from one lesson to
the next, and its file descriptors stay within what the closed tabs' keep-alive accounts for. Also:
the heap's sweep lets go of what a closed tab leaves in reference cycles (ui/server/startup.py)."""

from __future__ import annotations

import asyncio
import gc
import os
import random
import sys
import time
from pathlib import Path

import pytest
from loops import run_apart

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent / "scripts"))

pytest.importorskip("websockets")
import bench_day  # noqa: E402

pytestmark = pytest.mark.timeout(400)

TABS = 12          # a lesson: tabs open at most 6 at once
KEEP_ALIVE_FDS = 4  # a closed tab's session keeps its event loop (3 descriptors) and a store connection


PAGES = ["", "bottleneck", "gap-fc", "degradation", "build", "gradients"]


async def lesson(url: str, rng: random.Random, errors: list[str]) -> None:
    """Every page twice, in a random order. So the first lesson already meets whatever a page starts
    once for good (torch's thread pools on the page that runs a backward pass, the runner's threads on
    the first run); a lesson that met a page the first had not would show that as growth."""
    pages = PAGES * (TABS // len(PAGES))
    rng.shuffle(pages)
    tabs = [bench_day.tab(url, page, rng.uniform(0.5, 2.0), i % 6 == 0, 5, errors) for i, page in enumerate(pages)]
    for start in range(0, TABS, 6):
        await asyncio.gather(*tabs[start:start + 6])


def settled_threads(server, pid: int, ceiling: int) -> int:
    """The server's threads once its runs have ended and its tabs' script threads have gone: as soon
    as the count is down to `ceiling`, else once it has held still for 3 s (at most 20 s)."""
    assert server.runs_ended(60), "the lesson's runs did not end"
    count, still_since, deadline = bench_day.threads_of(pid), time.monotonic(), time.monotonic() + 20
    while count > ceiling and time.monotonic() - still_since < 3 and time.monotonic() < deadline:
        time.sleep(0.5)
        now = bench_day.threads_of(pid)
        if now != count:
            count, still_since = now, time.monotonic()
    return count


def _thread_names(pid: int) -> dict[str, int]:
    """The server's threads by the name the system knows them by (Python's own threads show as
    "python"; torch's, Ray's and gRPC's by theirs): what to look at when the count grew."""
    names: dict[str, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
        except OSError:
            continue
        names[name] = names.get(name, 0) + 1
    return names


def test_a_short_day_leaves_nothing_growing(app_server):
    pid, url = app_server.process.pid, app_server.url
    db = app_server.workdir / "runs.sqlite"
    rng, errors = random.Random(0), []
    base = bench_day.sample(pid, url, db, 0, 0, 0)
    assert base.sessions >= 0, "Streamlit's /_stcore/metrics has no active_sessions gauge any more"
    peaks = []
    for n in range(3):   # three lessons of the same pages: the first warms the caches and starts the pools
        run_apart(lesson(url, rng, errors))
        time.sleep(1.0)
        peaks.append(bench_day.sample(pid, url, db, 0, n, 0))
        if n == 0:   # what stays for good; script threads end with their tab
            settled, names = settled_threads(app_server, pid, base.threads), _thread_names(pid)
    assert errors == []
    end = peaks[-1]
    assert end.sessions == base.sessions                         # every closed tab's session was let go
    # On a busy machine the last lesson's runs may still be training: the count is taken once they end.
    assert settled_threads(app_server, pid, settled) <= settled, (names, _thread_names(pid))
    assert peaks[2].rss_mb <= 1.1 * peaks[1].rss_mb              # the third lesson costs no more than the second
    # Until their two-minute keep-alive passes, closed tabs keep a few descriptors each, no more.
    assert end.fds <= base.fds + KEEP_ALIVE_FDS * 3 * TABS + 8


def test_the_sweep_collects_what_a_closed_tab_leaves_in_cycles():
    from ui.server import startup

    class Session:   # a session and its script thread's event loop, holding each other
        pass

    gc.freeze()            # what the web process does after start-up (startup.settle)
    gc.disable()           # no collection on its own meanwhile: only the sweep's
    try:
        fds_before = len(os.listdir("/proc/self/fd"))
        for _ in range(5):
            s = Session()
            s.loop = asyncio.new_event_loop()
            s.loop.owner = s
            del s
        assert len(os.listdir("/proc/self/fd")) >= fds_before + 15   # 3 each, still held
        startup.sweep()
        assert len(os.listdir("/proc/self/fd")) <= fds_before
    finally:
        gc.enable()
        gc.unfreeze()
