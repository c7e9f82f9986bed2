"""A small class over the real websocket: the test process's app server (tests/conftest.py), tabs
that speak the browser's protocol (scripts/st_client.py), one short experiment. Every tab that watches it gets updates and no
tab sees an error. Timings are bench/bench_classroom.py's business, not asserted here.

The experiment is Gradient flow's "train both" (plain-20 and ResNet-20, width 8, on digits) with its
shortest setting, 50 steps: long enough for the tabs to open while it trains.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import time
from pathlib import Path

import pytest
from loops import run_apart

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent / "scripts"))

pytest.importorskip("websockets")
from bench_classroom import TERMINAL, read_runs  # noqa: E402
from st_client import StSession  # noqa: E402

pytestmark = pytest.mark.timeout(240)

SUBMIT = "FormSubmitter:gradients_train_form"
# Gradient flow's tabs see the owner's runs; a Build tab sees them once it shows the class's runs;
# a Shortcuts tab has nothing live (it must stay quiet and error-free).
VIEWERS = [("gradients", "gradients_mode"), ("gradients", "gradients_mode"), ("build", "build_show_class"),
           ("shortcuts", None)]


async def open_tab(url: str, page: str, owner: str, name: str, toggle: str | None) -> StSession:
    s = StSession(url, page=page, query=f"u={owner}", name=name)
    await s.connect()
    await s.loaded(timeout=120)
    if toggle == "gradients_mode":
        await s.set_value(toggle, string_array_value=[s.options(toggle)[1]], timeout=120)
    elif toggle:
        await s.set_value(toggle, bool_value=True, timeout=120)
    return s


async def classroom(server) -> None:
    db = server.workdir / "runs.sqlite"
    owner = "test" + secrets.token_hex(3)
    tabs: list[StSession] = []
    log_from = len(server.log_tail(10**9))
    try:
        teacher = await open_tab(server.url, "gradients", owner, "teacher", None)
        tabs.append(teacher)
        # The page opens on "at initialisation"; training is the second mode.
        await teacher.set_value("gradients_mode", string_array_value=[teacher.options("gradients_mode")[1]])
        await teacher.set_value("gradients_live_steps", string_array_value=["50"], rerun=False)
        await teacher.click(SUBMIT, timeout=120)
        for _ in range(80):
            if len(read_runs(db, owner, group="gradients")) == 2:
                break
            await asyncio.sleep(0.25)
        submitted = time.monotonic()
        tabs += await asyncio.gather(*(open_tab(server.url, page, owner, f"{page}-{i}", toggle)
                                       for i, (page, toggle) in enumerate(VIEWERS)))
        runs = []
        for _ in range(360):
            runs = read_runs(db, owner, group="gradients")
            if len(runs) == 2 and all(r.status in TERMINAL for r in runs):
                break
            await asyncio.sleep(0.5)
        # The last tick's full rerun draws the finished runs: wait for each live tab's first
        # script run begun after the last run ended (not a fixed time, which a loaded machine
        # overruns). The store's clock is the wall clock; the tabs' is the monotonic one.
        ended = time.monotonic() - (time.time() - max((r.finished or 0.0 for r in runs), default=time.time()))
        live = [s for s in tabs if s.page != "shortcuts"]
        for _ in range(80):
            if all(any(r.first_msg >= ended and r.finished for r in s.stats.runs) for s in live):
                break
            await asyncio.sleep(0.25)
    finally:
        for s in tabs:
            await s.close()

    log = server.log_tail(10**9)[log_from:][-3000:]
    assert [r.status for r in runs] == ["finished", "finished"], (runs, log)
    assert [r.total_steps for r in runs] == [50, 50], runs      # the form's setting was taken
    for s in tabs:
        st = s.stats
        assert not st.errors, (st.name, st.errors, log)
        assert not st.dropped, (st.name, log)
        assert st.loaded is not None, st.name
    for s in tabs:
        st = s.stats
        if s.page == "shortcuts":
            assert not st.saw_auto_rerun, "a page with nothing live must not poll"
            continue
        # Live: the page's fragment polled, and runs after the first one changed what it shows.
        assert st.saw_auto_rerun, st.summary()
        later = [r for r in st.runs[1:] if r.first_change is not None and r.first_change >= submitted]
        assert later, st.summary()


def test_a_small_class_watches_one_experiment(app_server):
    run_apart(classroom(app_server))
