"""A server killed mid-lesson (`kill -9`) and started again with the README's command: every
finished run and its checkpoint is still there, the run that was training says it was
interrupted (in both languages), and a tab left open across the restart comes back by itself,
without a reload. This file's server is its own: it is killed."""

import os
import signal
import sqlite3
import time
from contextlib import closing

import harness

OWNER = "7a7a7a7a7a7a7a7a"


def _finished_run(db) -> int:
    # A run finished before the lesson, with its checkpoint (as a page or the CLI leaves one).
    from resnet_core import arch_config
    from resnet_core.nets.config import TrainConfig
    from resnet_core.nets.models import build_model
    from resnet_core.store.runs import RunStore

    store = RunStore(db)
    model = arch_config("resnet20", base_width=4, input_size=8, in_channels=1)
    rid = store.create_run(model, TrainConfig(dataset="digits", steps=5, device="cpu"), owner=OWNER,
                           label="ResNet-20 before", group="build")
    store.save_checkpoint(rid, build_model(model))
    store.finish_run(rid, status="finished", seconds=1.0, steps_done=5, final_train_loss=2.2, final_train_acc=0.2,
                     test_acc=0.2)
    return rid


def _status(db, rid) -> str:
    with closing(sqlite3.connect(db, timeout=10)) as conn:
        return conn.execute("SELECT status FROM runs WHERE id=?", (rid,)).fetchone()[0]


def _children(pid: int) -> list[int]:
    # Every process that descends from `pid` (the server's training template and workers).
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            kids = open(f"/proc/{parent}/task/{parent}/children").read().split()
        except OSError:
            continue
        found += [int(k) for k in kids]
        todo += [int(k) for k in kids]
    return found


def _gone(pids, timeout=30.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [p for p in pids if os.path.exists(f"/proc/{p}") and
                 open(f"/proc/{p}/stat").read().split(") ")[-1][:1] != "Z"]
        if not alive:
            return []
        time.sleep(0.3)
    return alive


def _warm_ups(port: int) -> list[int]:
    # The run command's warm-up for the server on `port` (scripts/warm_up.py, given its options).
    found = []
    for entry in os.scandir("/proc"):
        try:
            args = open(f"/proc/{entry.name}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if any(a.endswith(b"warm_up.py") for a in args) and str(port).encode() in args:
            found.append(int(entry.name))
    return found


def test_a_killed_server_started_again_keeps_its_runs_and_open_tabs_come_back(chromium, new_page, wait_for_app,
                                                                                wait_for_text, tmp_path, monkeypatch):
    # The run command opens every page once after it starts (scripts/warm_up.py): a minute of
    # CPU that this test does not need; app.py itself still runs once at start-up.
    monkeypatch.setenv("RESNET_EXPLORER_WARM_PAGES", "0")
    workdir = tmp_path / "killed"
    workdir.mkdir()
    db = workdir / "runs.sqlite"
    before = _finished_run(db)
    server = harness.start_app(workdir)
    restarted = None
    try:
        page = new_page()
        page.goto(f"{server.url}/build?lang=en&u={OWNER}&steps=5000")
        wait_for_app(page)
        page.get_by_role("button", name="Start training").click()
        wait_for_text(page, "training: step")                  # it trains: "training: step 12 of 5000"
        with closing(sqlite3.connect(db, timeout=10)) as conn:
            training = conn.execute("SELECT id FROM runs WHERE status='running'").fetchone()[0]
            while conn.execute("SELECT steps_done FROM runs WHERE id=?", (training,)).fetchone()[0] < 2:
                time.sleep(0.3)
        # Every element the page draws has loaded its code (a chunk the browser was still fetching
        # when the server died stays failed in that tab: Chromium keeps a failed module import).
        page.locator('[data-testid="stMultiSelect"]').wait_for(state="visible")
        page.wait_for_function("() => ![...document.querySelectorAll('[data-testid=stSkeleton]')].length",
                               polling=harness.POLL_MS)
        family = _children(server.process.pid)
        os.kill(server.process.pid, signal.SIGKILL)            # mid-lesson, nothing said
        server.process.wait(timeout=30)
        assert _gone(family) == [], "the server's training processes outlived it"
        page.wait_for_selector('[data-testid="stApp"]:not([data-test-connection-state="CONNECTED"])',
                               timeout=30_000)
        port = int(server.url.rsplit(":", 1)[1])
        restarted = harness.start_app(workdir, port=port, run_command=True)
        # The open tab reconnects by itself, and its page runs again: the run says what happened.
        wait_for_text(page, "interrupted at step", timeout_ms=180_000)
        assert _status(db, training) == "interrupted" and _status(db, before) == "finished"
        assert "Traceback" not in page.inner_text("body")
        from resnet_core.store.runs import RunStore

        store = RunStore(db)
        assert store.get_run(before).has_checkpoint and store.load_model(before) is not None
        assert store.get_run(training).steps_done > 0              # its curve up to then is kept
        harness.switch_language(page, "ko", "학습")
        wait_for_text(page, "단계에서 중단됨")
        # The run command's warm-up ends once app.py has run (no page visits here). It is not the
        # server's child: the server never waits for its children, so it once stayed as a zombie.
        assert _gone(_warm_ups(port), timeout=60) == [], "the warm-up did not end"
        zombies = [c for c in _children(restarted.process.pid)
                   if open(f"/proc/{c}/stat").read().split(") ")[-1][:1] == "Z"]
        assert zombies == [], f"finished children left behind the server: {zombies}"
    finally:
        server.stop()
        if restarted is not None:
            restarted.stop()
