"""A short school day (bench/bench_day.py, a few dozen tabs) on the test process's server: tabs open
pages, some train a small net, all leave. The sessions the server holds and its threads go back to
where they were, its memory does not grow from one lesson to the next, and its file descriptors stay
within what the closed tabs' keep-alive accounts for. Also: the heap's sweep lets go of what a
closed tab leaves in reference cycles (ui/server/startup.py)."""

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


async def lesson(url: str, rng: random.Random, errors: list[str]) -> None:
    pages = ["", "bottleneck", "gap-fc", "degradation", "build", "gradients"]
    tabs = [bench_day.tab(url, rng.choice(pages), rng.uniform(0.5, 2.0), i % 6 == 0, 5, errors) for i in range(TABS)]
    for start in range(0, TABS, 6):
        await asyncio.gather(*tabs[start:start + 6])


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
    for n in range(3):   # three lessons of the same pages: the first warms the caches
        run_apart(lesson(url, rng, errors))
        time.sleep(1.0)
        peaks.append(bench_day.sample(pid, url, db, 0, n, 0))
    assert errors == []
    end = peaks[-1]
    assert end.sessions == base.sessions                         # every closed tab's session was let go
    # The first lesson's first run starts the runner's threads, for good; script threads end with their tab.
    # On a busy machine the last lesson's runs may still be training: the count is taken once they end.
    deadline = time.monotonic() + 60
    while app_server.active_runs() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not app_server.active_runs(), "the day's runs did not end"
    deadline = time.monotonic() + 20
    while bench_day.threads_of(pid) > peaks[0].threads and time.monotonic() < deadline:
        time.sleep(0.5)
    assert bench_day.threads_of(pid) <= peaks[0].threads, _thread_names(pid)
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
