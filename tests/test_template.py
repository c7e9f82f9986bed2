"""Workers forked from a template process (resnet_core.jobs.template): every pool of a process
forks from one template, a fork takes its pool's environment, a killed fork is reported with its
signal, and a template that died is replaced without losing a run."""

import os
import signal

import pytest
from test_jobs import wait_for

from resnet_core import arch_config
from resnet_core.jobs import template as tpl
from resnet_core.jobs.executors import ProcessPool
from resnet_core.jobs.runner import JobRunner
from resnet_core.nets.config import TrainConfig
from resnet_core.store.runs import RunStore
from resnet_core.training.engine import train

MODEL = arch_config("resnet20", base_width=4, input_size=8, in_channels=1)
TRAIN = TrainConfig(dataset="digits", steps=6, batch_size=32, device="cpu")


def parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def run_on(pool, store, model=MODEL, train_cfg=TRAIN):
    runner = JobRunner(store, executor=pool)
    try:
        job = runner.submit(model, train_cfg)
        runner.wait(job, timeout=120)
        return store.get_run(job)
    finally:
        runner._closed = True       # the pool is the test's to shut down
        with runner._lock:
            runner._lock.notify_all()


@pytest.fixture
def pools():
    made = []

    def make(workers=1, **kw):
        made.append(ProcessPool(workers, **kw))
        return made[-1]

    yield make
    for pool in made:
        pool.shutdown()


def test_pools_of_a_process_fork_their_workers_from_one_template(pools, tmp_path):
    first, second = pools(2), pools(1)
    parents = {parent_of(pid) for pid in first.pids() + second.pids()}
    assert len(parents) == 1 and os.getpid() not in parents
    template = parents.pop()
    with open(f"/proc/{template}/cmdline", "rb") as f:
        assert b"resnet_core.jobs.template" in f.read()
    # A fork starts with torch already in memory: the template imported it once for all.
    with open(f"/proc/{second.pids()[0]}/maps") as f:
        assert "/torch/" in f.read()
    # And trains exactly as this process does.
    info = run_on(second, RunStore(tmp_path / "runs.db"))
    assert info.status == "finished"
    assert RunStore(tmp_path / "runs.db").steps(info.id).loss == [r.loss for r in train(MODEL, TRAIN).history]


def test_a_fork_takes_the_environment_of_its_pool(pools, tmp_path, monkeypatch):
    before = pools(1)
    folder = tmp_path / "no-data-here"
    monkeypatch.setenv("RESNET_EXPLORER_DATA", str(folder))
    after = pools(1)                                  # same template, started without that variable
    assert parent_of(after.pids()[0]) == parent_of(before.pids()[0])
    info = run_on(after, RunStore(tmp_path / "runs.db"), train_cfg=TRAIN.replace(dataset="mnist"))
    assert info.status == "failed" and str(folder) in info.error, info.error


def test_what_a_worker_reads_as_it_imports_decides_its_template():
    base = {"PATH": "/usr/bin", "RESNET_EXPLORER_CPU_THREADS": "1", "OMP_NUM_THREADS": "1"}
    key = tpl.template_key(base, "/app")
    # Read at call time: set in the fork, one template serves both.
    assert tpl.template_key({**base, "RESNET_EXPLORER_DATA": "/data", "PATH": "/bin"}, "/app") == key
    # Read at import time (the engine's threads, the store's flush interval, the niceness): another.
    for name, value in [("RESNET_EXPLORER_CPU_THREADS", "2"), ("OMP_NUM_THREADS", "2"),
                        ("RESNET_EXPLORER_FLUSH_SECONDS", "0"), ("RESNET_EXPLORER_WORKER_NICE", "0")]:
        assert tpl.template_key({**base, name: value}, "/app") != key, name
    assert tpl.template_key(base, "/elsewhere") != key


def test_a_killed_fork_is_reported_with_its_signal(pools, tmp_path):
    pool = pools(1)
    store = RunStore(tmp_path / "runs.db")
    runner = JobRunner(store, executor=pool)
    job = runner.submit(MODEL, TRAIN.replace(steps=100_000))
    wait_for(lambda: store.get_run(job).steps_done >= 1)
    os.kill(pool.pids()[0], signal.SIGKILL)
    assert runner.wait(job, timeout=60) == "failed"
    assert "SIGKILL" in store.get_run(job).error
    runner.shutdown()


def test_a_dead_template_is_replaced_and_its_forks_keep_working(pools, tmp_path):
    pool = pools(1)
    worker = pool.pids()[0]
    old = parent_of(worker)
    os.kill(old, signal.SIGKILL)
    wait_for(lambda: not tpl._alive(old))
    store = RunStore(tmp_path / "runs.db")
    assert run_on(pool, store).status == "finished"           # the orphaned fork still trains
    # The next pool gets a new template, and does not wait for it to import: its worker is
    # forked later. Shut down at once, the pool ends that worker as it arrives.
    doomed = ProcessPool(1)
    forked = doomed._all[0].proc
    assert forked.pid is None
    doomed.shutdown()
    assert forked.pid is not None and forked.poll() == -signal.SIGKILL
    fresh = pools(1)
    assert parent_of(fresh.pids()[0]) not in (old, os.getpid())
    assert run_on(fresh, store).status == "finished"
    # A fork that ends with nobody left to see how: its run fails with that said, not a hang.
    runner = JobRunner(store, executor=pool)
    job = runner.submit(MODEL, TRAIN.replace(steps=100_000))
    wait_for(lambda: store.get_run(job).steps_done >= 1)
    os.kill(worker, signal.SIGKILL)
    assert runner.wait(job, timeout=60) == "failed"
    assert "not known" in store.get_run(job).error
    runner.shutdown()


def test_without_forking_a_pool_starts_fresh_processes(pools, monkeypatch):
    monkeypatch.setenv("RESNET_EXPLORER_FORK_WORKERS", "0")
    assert parent_of(pools(1).pids()[0]) == os.getpid()
    assert parent_of(pools(1, fork=False).pids()[0]) == os.getpid()
