"""The CLI's own worker pool: its workers train at the command's priority (a server lowers its
workers' so its pages answer; a command has no pages), RESNET_EXPLORER_WORKER_NICE still wins
when set, and the commands that train on forked workers start the fork server first thing."""

import argparse
import os

import pytest
from test_forkserver import nice_of

import resnet_core.__main__ as cli_main
from resnet_core.__main__ import gpu_visible, starts_workers
from resnet_core.cli.backend import job_runner
from resnet_core.store.runs import RunStore

ARGS = argparse.Namespace(backend="local", ray_address="", device="cpu")


def workers_reach(store, nice: int) -> None:
    """A runner's two workers are at `nice` above this process once they say they are ready (a
    fork sets its niceness before it says so)."""
    with job_runner(ARGS, store, 1) as runner:
        pool = runner.executor
        assert len(pool.pids()) == 2
        for worker in pool._all:
            assert worker.conn.poll(60) and worker.conn.recv()[0] == "ready"
        assert [nice_of(w.proc.pid) - nice_of(os.getpid()) for w in pool._all] == [nice, nice]


def test_a_commands_workers_train_at_its_own_priority(tmp_path, monkeypatch):
    monkeypatch.delenv("RESNET_EXPLORER_WORKER_NICE", raising=False)
    monkeypatch.setenv("RESNET_EXPLORER_WORKERS", "2")
    store = RunStore(tmp_path / "runs.db")
    workers_reach(store, 0)          # a server's would be at 10 (test_forkserver.py)
    monkeypatch.setenv("RESNET_EXPLORER_WORKER_NICE", "3")
    workers_reach(store, 3)


@pytest.mark.parametrize("argv, gpu, starts", [
    (["experiment", "degradation"], False, True),
    (["train", "resnet20", "--steps", "5"], False, True),
    (["train", "resnet20", "--device", "cpu"], True, True),     # a GPU there, the CPU asked for
    (["experiment", "degradation", "--device=cpu", "--backend", "local"], True, True),
    (["experiment", "degradation"], True, False),                # --device auto takes the GPU
    (["train", "resnet20", "--device", "auto"], True, False),
    (["experiment", "degradation", "--backend", "ray"], False, False),
    (["experiment", "degradation", "--backend=ray", "--device", "cpu"], False, False),
    (["train", "resnet20", "--device", "cuda"], False, False),
    (["train", "resnet20", "--device=cuda"], False, False),
    (["train", "ray", "--device", "cpu"], False, True),         # an argument that reads "ray"
    (["train", "--help"], False, False),
    (["summary", "resnet20"], False, False),
    ([], False, False),
])
def test_only_commands_that_train_on_forked_workers_start_the_fork_server(argv, gpu, starts, monkeypatch):
    for name in ("RESNET_EXPLORER_WORKERS", "RESNET_EXPLORER_FORK_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(cli_main, "gpu_visible", lambda: gpu)
    assert starts_workers(argv) is starts


def test_the_gpu_guess_agrees_with_torch(monkeypatch):
    # The guess reads no torch; here it must say what torch says on this machine.
    import torch

    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert gpu_visible() is torch.cuda.is_available()
    for hidden in ("", "-1", "-1,0"):
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", hidden)
        assert gpu_visible() is False


@pytest.mark.parametrize("name, value", [("RESNET_EXPLORER_WORKERS", "0"), ("RESNET_EXPLORER_FORK_WORKERS", "0"),
                                         ("RESNET_EXPLORER_WORKERS", "many")])
def test_no_fork_server_without_forked_workers_or_with_a_bad_setting(name, value, monkeypatch):
    monkeypatch.setenv(name, value)
    assert starts_workers(["experiment", "degradation"]) is False
