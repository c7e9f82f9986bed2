"""A real Ray head that asks for a token (tests/ray_head.py: `ray start --head` with
$HOME/.ray/auth_token in the test session's own HOME), and the app's path to it
(resnet_core.jobs.cluster over RayExecutor, through ray://): runs wait while the head is down
and train once it is up, the app's client sends the token by itself, a connection lost mid-run
fails that run with the reason and the next run trains after the head is back; and `auto` on
the head through the command line. One head for the file, started twice (about 15 s each)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="ray is not installed here (requirements.txt pins it)")

from ray_head import RayHead, token_path  # noqa: E402
from test_jobs import wait_for  # noqa: E402

from resnet_core.jobs.cluster import ClusterExecutor  # noqa: E402
from resnet_core.jobs.runner import JobRunner  # noqa: E402
from resnet_core.store.runs import RunStore  # noqa: E402
from resnet_core.training.experiments import degradation_configs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GRACE_S = "3"   # Ray Client's retrying after a lost server (default 30 s)


def run_of(steps: int):
    label, model_cfg, train_cfg = degradation_configs("digits", steps=steps, device="cpu")[0]
    return model_cfg, train_cfg, label


@pytest.fixture(scope="module")
def head():
    head = RayHead(token=True)
    yield head
    head.stop()


@pytest.fixture(scope="module")
def on_cluster(head, tmp_path_factory):
    """The app's runner on the head's ray:// address, made while the head is still down."""
    saved = {k: os.environ.get(k) for k in ("RAY_AUTH_MODE", "RAY_CLIENT_RECONNECT_GRACE_PERIOD")}
    os.environ["RAY_CLIENT_RECONNECT_GRACE_PERIOD"] = GRACE_S
    executor = ClusterExecutor(head.client_address, retry=(1.0,))
    runner = JobRunner(RunStore(tmp_path_factory.mktemp("cluster") / "runs.db"), executor=executor)
    yield runner, executor
    runner.shutdown()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def test_runs_wait_for_the_head_then_train_on_it_with_its_token(head, on_cluster):
    runner, executor = on_cluster
    wait_for(lambda: executor.state().state == "unreachable", 30)
    assert "Connection refused" in executor.state().reason
    model_cfg, train_cfg, label = run_of(5)
    run_id = runner.submit(model_cfg, train_cfg, label=label)
    # The app tries the head again (every second here) and finds it still down: the run waits.
    submitted = time.time()
    wait_for(lambda: executor.state().since > submitted and executor.state().state == "unreachable", 30)
    assert runner.job(run_id).status == "queued" and runner.job(run_id).position == 1

    head.start()
    assert token_path().exists() and "Token authentication is enabled" in head.log, head.log[-2000:]
    assert runner.wait(run_id, 240) == "finished", runner.store.get_run(run_id).error
    state = executor.state()
    # The head's two CPUs: the app keeps an idle worker on one, a second client (below) gets the other.
    assert state.state == "connected" and state.slots == 2
    info = runner.store.get_run(run_id)
    assert info.steps_done == 5 and info.versions["ray_worker_pid"] != os.getpid()
    assert os.environ["RAY_AUTH_MODE"] == "token"   # set by the app: without it the client times out


def test_a_lost_connection_fails_its_run_and_the_next_run_trains_after_the_head_is_back(head, on_cluster):
    runner, executor = on_cluster
    wait_for(lambda: executor.state().state == "connected", 120)
    model_cfg, train_cfg, label = run_of(100_000)
    long_id = runner.submit(model_cfg, train_cfg, label="long")
    wait_for(lambda: runner.store.get_run(long_id).steps_done > 0, 120)
    head.stop()
    assert runner.wait(long_id, 120) == "failed"
    error = runner.store.get_run(long_id).error
    assert error.startswith(f"the connection to the training cluster at {head.client_address} was lost during this run: "), error
    wait_for(lambda: executor.state().state == "unreachable", 30)

    model_cfg, train_cfg, label = run_of(5)
    nxt = runner.submit(model_cfg, train_cfg, label=label)
    head.start()   # the same ports: the app finds it again by itself
    assert runner.wait(nxt, 240) == "finished", runner.store.get_run(nxt).error
    assert executor.state().state == "connected"


def test_auto_on_the_head_trains_through_the_command_line(head):
    if not head.processes():
        head.start()
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_AUTH_MODE", "RAY_ADDRESS")}
    cmd = [sys.executable, "-m", "resnet_core", "train", "resnet20", "--plain", "--dataset", "digits",
           "--steps", "3", "--device", "cpu", "--backend", "ray", "--ray-address", "auto", "--no-store", "--json"]
    done = subprocess.run(cmd, cwd=ROOT, env={**env, "RESNET_EXPLORER_RAY_SLOTS": "1"}, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    assert out["backend"] == "ray" and math.isfinite(out["final_train_loss"]), out
