"""Workers forked from multiprocessing's fork server (resnet_core.jobs.forkserver): every pool of a
process forks from one server that has imported torch, a fork takes its pool's environment and
settings, a killed fork is reported with its signal, and a fork server that died is started again
without losing a run."""

import os
import signal
import sys
import types

import pytest
from test_jobs import wait_for

from resnet_core import arch_config
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


def nice_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[16])


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


def test_pools_of_a_process_fork_their_workers_from_one_server(pools, tmp_path):
    first, second = pools(2), pools(1)
    parents = {parent_of(pid) for pid in first.pids() + second.pids()}
    assert len(parents) == 1 and os.getpid() not in parents
    server = parents.pop()
    with open(f"/proc/{server}/cmdline", "rb") as f:
        assert b"multiprocessing.forkserver" in f.read()
    # A fork starts with torch already in memory: the server imported it once for all.
    with open(f"/proc/{second.pids()[0]}/maps") as f:
        assert "/torch/" in f.read()
    # And trains exactly as this process does.
    info = run_on(second, RunStore(tmp_path / "runs.db"))
    assert info.status == "finished"
    assert RunStore(tmp_path / "runs.db").steps(info.id).loss == [r.loss for r in train(MODEL, TRAIN).history]


def test_a_fork_takes_the_environment_and_settings_of_its_pool(pools, tmp_path, monkeypatch):
    before = pools(1)
    folder = tmp_path / "no-data-here"
    monkeypatch.setenv("RESNET_EXPLORER_DATA", str(folder))
    monkeypatch.setenv("RESNET_EXPLORER_WORKER_NICE", "3")
    after = pools(1)                                  # same server, started without those variables
    assert parent_of(after.pids()[0]) == parent_of(before.pids()[0])
    base = nice_of(os.getpid())
    wait_for(lambda: nice_of(after.pids()[0]) == min(19, base + 3))   # set by the fork as it starts
    wait_for(lambda: nice_of(before.pids()[0]) == min(19, base + 10))
    info = run_on(after, RunStore(tmp_path / "runs.db"), train_cfg=TRAIN.replace(dataset="mnist"))
    assert info.status == "failed" and str(folder) in info.error, info.error


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


def test_a_dead_fork_server_is_started_again_and_no_run_is_lost(pools, tmp_path):
    pool = pools(1)
    old = parent_of(pool.pids()[0])
    os.kill(old, signal.SIGKILL)
    wait_for(lambda: not os.path.exists(f"/proc/{old}") or open(f"/proc/{old}/stat").read().split()[2] == "Z")
    store = RunStore(tmp_path / "runs.db")
    assert run_on(pool, store).status == "finished"   # its worker is taken for gone and replaced
    fresh = pools(1)
    assert parent_of(fresh.pids()[0]) not in (old, os.getpid())
    assert run_on(fresh, store).status == "finished"


def test_a_pool_shut_down_while_its_workers_start_leaves_none_behind():
    pool = ProcessPool(2)
    pool.shutdown()
    pool._starting.join()
    assert pool._all == [] or all(w.proc.poll() is not None for w in pool._all)


def test_without_forking_a_pool_starts_fresh_processes(pools, monkeypatch):
    monkeypatch.setenv("RESNET_EXPLORER_FORK_WORKERS", "0")
    assert parent_of(pools(1).pids()[0]) == os.getpid()
    monkeypatch.delenv("RESNET_EXPLORER_FORK_WORKERS")
    assert parent_of(pools(1, fork=False).pids()[0]) == os.getpid()


def test_a_worker_started_while_a_page_runs_does_not_run_the_page(pools, tmp_path, monkeypatch):
    """Streamlit's script runner installs the page script as __main__ while the page runs, and a
    page is where a pool starts its workers: the workers must not run that script again."""
    ran = tmp_path / "the page ran"
    page = tmp_path / "page.py"
    page.write_text(f"open({str(ran)!r}, 'w').close()\n")
    script = types.ModuleType("__main__")
    script.__file__ = str(page)
    monkeypatch.setitem(sys.modules, "__main__", script)
    info = run_on(pools(1), RunStore(tmp_path / "runs.db"))
    assert info.status == "finished", info.error
    assert not ran.exists(), "a worker ran the page script that started it"
