"""The Ray backend (resnet_core.jobs.ray_executor) against the local worker pool.

One local Ray instance for the module (num_cpus=2, no dashboard), skipped with the reason only
where Ray cannot start. The degradation recipe is shortened to a few steps: the claim is that
Ray gives the *same* run as the local pool, which holds at any length.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from apptest_helpers import LentPool

ray = pytest.importorskip("ray", reason="ray is not installed here (requirements.txt pins it)")

from resnet_core.__main__ import main  # noqa: E402
from resnet_core.jobs.ray_executor import RayExecutor  # noqa: E402
from resnet_core.jobs.runner import JobRunner  # noqa: E402
from resnet_core.store.runs import RunStore  # noqa: E402
from resnet_core.training.experiments import degradation_configs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# Six steps: the recipe still evaluates and records statistics six times (every max(1, steps // 6)
# steps), so every record the comparison reads is there, at half the training of twelve.
STEPS = 6


@pytest.fixture(scope="module")
def ray_instance():
    try:
        # address="local": a new instance of its own, even where a head started earlier in this
        # test process (tests/test_ray_cluster.py) left its address behind in the Ray temp dir;
        # without it ray.init() would try to join that head and refuse num_cpus.
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    except Exception as err:   # e.g. no shared memory in a sandbox
        pytest.skip(f"Ray could not start here: {type(err).__name__}: {err}")
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def on_ray(ray_instance, tmp_path_factory):
    """A job runner on Ray and its store, shared by the module (Ray workers take seconds to start)."""
    store = RunStore(tmp_path_factory.mktemp("ray") / "runs.db")
    runner = JobRunner(store, executor=RayExecutor())
    yield runner, store
    runner.shutdown()


def long_run():
    label, model_cfg, train_cfg = degradation_configs("digits", steps=100_000, device="cpu")[2]
    return model_cfg, train_cfg


def wait_for_steps(store, run_id, steps=1, timeout=120.0):
    deadline = time.monotonic() + timeout
    while store.get_run(run_id).steps_done < steps:
        assert time.monotonic() < deadline, f"run {run_id} made no step in {timeout} s"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def degradation_on_ray(on_ray):
    """The four degradation nets trained on Ray (ids in plain-20, plain-56, ResNet-20, ResNet-56 order)."""
    runner, store = on_ray
    ids = runner.submit_many(degradation_configs("digits", steps=STEPS, device="cpu"), group="ray")
    assert [runner.wait(i, 300) for i in ids] == ["finished"] * 4, [store.get_run(i).error for i in ids]
    return ids


def test_degradation_on_ray_gives_the_local_pools_losses(on_ray, degradation_on_ray, tmp_path):
    runner, store = on_ray
    local_store = RunStore(tmp_path / "local.db")
    local = JobRunner(local_store, executor=LentPool())   # the test process's local worker
    try:
        local_ids = local.submit_many(degradation_configs("digits", steps=STEPS, device="cpu"), group="local")
        assert [local.wait(i, 300) for i in local_ids] == ["finished"] * 4
    finally:
        local.shutdown()
    for rid, lid in zip(degradation_on_ray, local_ids):
        r, lo = store.get_run(rid), local_store.get_run(lid)
        assert r.final_train_loss == lo.final_train_loss and r.test_acc == lo.test_acc, r.label
        assert (r.steps_done, r.total_steps) == (STEPS, STEPS)
        assert store.steps(rid).loss == local_store.steps(lid).loss
        assert (store.grad_norms(rid)[2] == local_store.grad_norms(lid)[2]).all()
        assert store.evals(rid) == local_store.evals(lid)
        assert (store.stats(rid).mean == local_store.stats(lid).mean).all()
        assert r.layer_names == lo.layer_names and r.device == "cpu"
        assert r.versions["worker_host"] and r.versions["ray_worker_pid"] != os.getpid()
        # The checkpoint came back as bytes and the app wrote it: it loads to the same weights.
        ours, theirs = store.load_model(rid).state_dict(), local_store.load_model(lid).state_dict()
        assert ours.keys() == theirs.keys() and all(torch.equal(ours[k], theirs[k]) for k in ours)


def test_stop_reaches_a_run_on_ray(on_ray):
    runner, store = on_ray
    run_id = runner.submit(*long_run(), label="long")
    wait_for_steps(store, run_id)
    asked = time.monotonic()
    assert runner.cancel(run_id)
    assert runner.wait(run_id, 60) == "cancelled"
    took = time.monotonic() - asked
    info = store.get_run(run_id)
    assert info.status == "cancelled" and 0 < info.steps_done < 100_000
    assert took < 15, f"the stop took {took:.1f} s to end the run"
    assert not store.get_run(run_id).has_checkpoint   # only finished runs leave one


def test_a_killed_ray_worker_fails_its_run_and_the_next_run_works(on_ray):
    runner, store = on_ray
    run_id = runner.submit(*long_run(), label="doomed")
    wait_for_steps(store, run_id)
    _, pid = runner.executor.running()[run_id]
    os.kill(pid, signal.SIGKILL)
    assert runner.wait(run_id, 60) == "failed"
    error = store.get_run(run_id).error
    assert "Ray worker" in error and "lost" in error, error
    assert runner.job(run_id).error == error
    # Nothing else is lost: the next run gets a fresh worker and finishes, checkpoint and all.
    label, model_cfg, train_cfg = degradation_configs("digits", steps=STEPS, device="cpu")[0]
    nxt = runner.submit(model_cfg, train_cfg, label=label)
    assert runner.wait(nxt, 300) == "finished"
    model = store.load_model(nxt)
    x = torch.zeros(2, model_cfg.in_channels, model_cfg.input_size, model_cfg.input_size)
    assert model(x).shape == (2, model_cfg.num_classes)


def test_an_analysis_task_runs_on_ray_on_the_apps_checkpoints(on_ray, degradation_on_ray):
    from resnet_core.jobs.tasks import TASKS

    runner, store = on_ray
    params = {"run_ids": [degradation_on_ray[0], degradation_on_ray[2]], "draws": 1, "device": "cpu"}
    task = runner.submit_task("lesion", params)
    assert runner.wait(task, 300) == "finished", store.get_run(task).error
    here = TASKS["lesion"](params, store=store, on_progress=lambda d, t: None, should_stop=lambda: False)
    assert store.result(task)["nets"] == json.loads(json.dumps(here["nets"]))   # the stored result is JSON


def test_cli_experiment_on_ray_says_its_backend(ray_instance, capsys, monkeypatch):
    # Same losses on both backends is the test above; here: the CLI's path and its JSON.
    monkeypatch.setenv("RESNET_EXPLORER_RAY_SLOTS", "1")   # one Ray worker to start, not two
    argv = ["experiment", "degradation", "--steps", "3", "--device", "cpu", "--no-store", "--json"]
    assert main([*argv, "--backend", "ray"]) == 0
    on_ray = json.loads(capsys.readouterr().out)
    assert main(argv) == 0
    local = json.loads(capsys.readouterr().out)
    assert (on_ray["backend"], local["backend"]) == ("ray", "local")
    assert {"runs", "ordering", "seconds", "group"} <= on_ray.keys()
    assert [(r["name"], r["status"], r["run_id"], r["final_train_loss"]) for r in on_ray["runs"]] == \
        [(r["name"], r["status"], r["run_id"], r["final_train_loss"]) for r in local["runs"]]
    assert ray.is_initialized()   # the CLI used this process's Ray and left it running


def test_ray_is_chosen_by_the_environment_and_imported_only_then(ray_instance, monkeypatch):
    from resnet_core.jobs.executors import default_executor

    from resnet_core.jobs.cluster import ClusterExecutor
    from test_jobs import wait_for

    monkeypatch.setenv("RESNET_EXPLORER_RAY_ADDRESS", "auto")
    executor = default_executor("cpu")   # connects in the background (resnet_core.jobs.cluster)
    try:
        assert isinstance(executor, ClusterExecutor)
        wait_for(lambda: executor.state().state == "connected", 60)
        assert executor.slots == 2 and isinstance(executor._link, RayExecutor)
    finally:
        executor.shutdown()
    assert ray.is_initialized()   # not its instance to stop
    code = ("import sys, resnet_core.jobs.runner, resnet_core.__main__, resnet_core.jobs.executors; "
            "resnet_core.jobs.executors.default_executor('cpu').shutdown(); "
            "assert 'ray' not in sys.modules, 'ray imported'")
    env = {k: v for k, v in os.environ.items() if k != "RESNET_EXPLORER_RAY_ADDRESS"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**env, "RESNET_EXPLORER_WORKERS": "0"},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
