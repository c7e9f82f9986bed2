"""The job runner: background training, cancel, a bounded all-or-nothing queue, crashes that
leave the runner serving, start-up recovery, and no Streamlit anywhere in the engine."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from resnet_core import arch_config
from resnet_core.data import folders as data_files
from resnet_core.jobs import runner as jobs
from resnet_core.jobs.executors import InProcess
from resnet_core.jobs.runner import JobRunner, QueueFull
from resnet_core.nets.config import ConfigError, TrainConfig
from resnet_core.store.runs import RunStore

pytestmark = pytest.mark.usefixtures("one_thread")

MODEL = arch_config("resnet20", base_width=4, input_size=8, in_channels=1)
TRAIN = TrainConfig(dataset="digits", steps=8, batch_size=32, device="cpu")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "runs.db")


@pytest.fixture
def runner(store, monkeypatch):
    # Worker processes (the server's default); each step reaches the store at once, so a test
    # can follow a run step by step.
    monkeypatch.setenv("RESNET_EXPLORER_FLUSH_SECONDS", "0")
    r = JobRunner(store, max_queue=4)
    yield r
    r.shutdown(timeout=60)


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class Gate:
    """A stand-in for the engine that holds each job until released (or stopped)."""

    def __init__(self, crash_on=()):
        self.release = threading.Event()
        self.started = []
        self.crash_on = crash_on

    def __call__(self, model_cfg, train_cfg, *, should_stop, sink):
        self.started.append(sink.run_id)
        if len(self.started) in self.crash_on:
            raise RuntimeError("the worker fell over")
        while not self.release.wait(0.005):
            if should_stop():
                return SimpleNamespace(status="cancelled", error="")
        return SimpleNamespace(status="finished", error="")


def test_a_job_trains_in_the_background(runner, store):
    job = runner.submit(MODEL, TRAIN, owner="ana", label="first")
    assert runner.wait(job, timeout=120) == "finished"
    assert (runner.job(job).steps_done, runner.job(job).total_steps) == (8, 8)
    info = store.get_run(job)
    assert info.status == "finished" and info.owner == "ana" and info.has_checkpoint
    assert len(store.steps(job).step) == 8 and store.grad_norms(job)[2].shape == (8, 20)


def test_cancel_stops_a_running_job_within_a_step(runner, store):
    job = runner.submit(MODEL, TRAIN.replace(steps=100_000))
    wait_for(lambda: runner.job(job).steps_done >= 3)
    assert runner.cancel(job)
    seen = runner.job(job).steps_done
    assert runner.wait(job, timeout=60) == "cancelled"
    done = runner.job(job).steps_done
    assert done - seen <= 1
    assert store.get_run(job).status == "cancelled" and store.get_run(job).steps_done == done
    assert not runner.cancel(job)   # already over


def test_cancel_takes_a_waiting_job_off_the_queue(store):
    gate = Gate()
    runner = JobRunner(store, max_queue=4, train_fn=gate)
    try:
        first, second = runner.submit(MODEL, TRAIN), runner.submit(MODEL, TRAIN)
        wait_for(lambda: runner.job(first).status == "running")
        assert runner.job(second).position == 1
        assert runner.cancel(second) and runner.job(second).status == "cancelled"
        assert store.get_run(second).status == "cancelled"
        gate.release.set()
        assert runner.wait(first, timeout=10) == "finished"
        assert gate.started == [first]   # the cancelled job never ran
    finally:
        runner.shutdown()


def test_a_full_queue_refuses_clearly_and_all_or_nothing(store):
    gate = Gate()
    runner = JobRunner(store, max_queue=2, train_fn=gate)
    try:
        running = runner.submit(MODEL, TRAIN)
        wait_for(lambda: runner.job(running).status == "running")
        runner.submit(MODEL, TRAIN)
        before = len(store.list_runs())
        group = [(f"net{i}", MODEL, TRAIN) for i in range(2)]
        with pytest.raises(QueueFull, match="queue has no room") as err:
            runner.submit_many(group, group="degradation")
        assert "1 of 2" in str(err.value) and len(store.list_runs()) == before
        assert runner.queue_length() == 1
        (third,) = runner.submit_many(group[:1])   # one place is still free
        with pytest.raises(QueueFull):
            runner.submit(MODEL, TRAIN)
        gate.release.set()
        assert runner.wait(third, timeout=10) == "finished"
    finally:
        gate.release.set()
        runner.shutdown()


def test_a_crashing_job_is_failed_and_the_runner_keeps_serving(store):
    gate = Gate(crash_on=(1,))
    gate.release.set()
    runner = JobRunner(store, train_fn=gate)
    try:
        bad = runner.submit(MODEL, TRAIN)
        good = runner.submit(MODEL, TRAIN)
        assert runner.wait(bad, timeout=10) == "failed"
        assert runner.wait(good, timeout=10) == "finished"
        info = store.get_run(bad)
        assert info.status == "failed" and "the worker fell over" in info.error
        assert runner.job(bad).error == info.error
    finally:
        runner.shutdown()


def test_a_dead_dispatcher_thread_is_replaced(store):
    gate = Gate()
    gate.release.set()
    runner = JobRunner(store, train_fn=gate)
    try:
        first = runner.submit(MODEL, TRAIN)
        assert runner.wait(first, timeout=10) == "finished"
        runner._threads = [threading.Thread(target=lambda: None)]   # as if it had died
        second = runner.submit(MODEL, TRAIN)
        assert runner.wait(second, timeout=10) == "finished"
    finally:
        runner.shutdown()


def test_a_real_crash_inside_the_engine_is_reported(store, monkeypatch):
    monkeypatch.setattr(data_files, "_online", lambda host, timeout=3.0: False)   # never download here
    runner = JobRunner(store, executor=InProcess())   # in this process, where the patch holds
    missing = TRAIN.replace(dataset="mnist", data_dir=str(store.path.parent / "nowhere"))
    job = runner.submit(MODEL, missing)
    assert runner.wait(job, timeout=60) == "failed"
    assert "MNIST" in store.get_run(job).error
    after = runner.submit(MODEL, TRAIN)
    assert runner.wait(after, timeout=120) == "finished"
    runner.shutdown()


def test_bad_pairs_are_refused_at_submit(runner, store):
    with pytest.raises(ConfigError, match="classes"):
        runner.submit(MODEL.replace(num_classes=3), TRAIN)
    assert store.list_runs() == []


def test_runs_left_by_a_dead_process_are_interrupted_at_start_up(store):
    run_id = store.create_run(MODEL, TRAIN)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    store._write([("UPDATE runs SET status='running', pid=? WHERE id=?", (int(dead), run_id))])
    runner = JobRunner(store, train_fn=Gate())
    try:
        assert runner.interrupted == [run_id] and store.get_run(run_id).status == "interrupted"
    finally:
        runner.shutdown()


def test_shutdown_cancels_waiting_jobs(store):
    gate = Gate()
    runner = JobRunner(store, train_fn=gate)
    first, second = runner.submit(MODEL, TRAIN), runner.submit(MODEL, TRAIN)
    wait_for(lambda: runner.job(first).status == "running")
    runner.shutdown(timeout=10)
    assert runner.job(first).status == "cancelled" and runner.job(second).status == "cancelled"
    with pytest.raises(RuntimeError, match="shut down"):
        runner.submit(MODEL, TRAIN)


def test_get_runner_is_one_per_process(tmp_path, monkeypatch):
    monkeypatch.setenv("RESNET_EXPLORER_DB", str(tmp_path / "shared.db"))
    monkeypatch.setattr(jobs, "_RUNNER", None)
    try:
        assert jobs.get_runner() is jobs.get_runner()
        assert jobs.get_runner().store.path == tmp_path / "shared.db"
    finally:
        jobs.get_runner().shutdown()


def test_the_engine_side_imports_no_streamlit():
    code = ("import sys, resnet_core.jobs.runner, resnet_core.training.engine, resnet_core.store.runs, "
            "resnet_core.training.experiments, resnet_core.cli.train; assert 'streamlit' not in sys.modules, 'streamlit imported'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_a_group_waits_longest_first_with_ids_in_the_given_order(store):
    """The four degradation nets: ids follow the page's order, the queue starts the two 56-layer
    nets first (the short ones then fill the end), and the first job holds the only worker."""
    from resnet_core.training import experiments

    gate = Gate()
    runner = JobRunner(store, max_queue=8, train_fn=gate)
    try:
        blocker = runner.submit(MODEL, TRAIN, owner="ana")
        wait_for(lambda: runner.job(blocker).status == "running")
        ids = runner.submit_many(experiments.degradation_configs("digits", steps=300), owner="ana")
        assert ids == sorted(ids)
        labels = [store.get_run(i).label for i in ids]
        assert labels == ["plain-20", "plain-56", "ResNet-20", "ResNet-56"]
        order = sorted(ids, key=lambda i: runner.job(i).position)
        assert [store.get_run(i).label for i in order[:2]] == ["plain-56", "ResNet-56"]
        assert {store.get_run(i).label for i in order[2:]} == {"plain-20", "ResNet-20"}
    finally:
        gate.release.set()
        runner.shutdown()


def test_each_submission_is_one_experiment_and_the_name_stays_out_of_the_label(store):
    """submit_many gives its runs one experiment id (the first run's), another call another;
    the display name is kept in its own column, the label is the page's."""
    from resnet_core.store import groups
    from resnet_core.training import experiments

    gate = Gate()
    runner = JobRunner(store, max_queue=16, train_fn=gate)
    try:
        first = runner.submit_many(experiments.degradation_configs("digits", steps=30), owner="ana",
                                   group=groups.DEGRADATION, display_name="Minji")
        second = runner.submit_many(experiments.degradation_configs("digits", steps=30), owner="ana",
                                    group=groups.DEGRADATION)
        alone = runner.submit(MODEL, TRAIN, owner="bob", label="one", group="build")
        infos = {i: store.get_run(i) for i in first + second + [alone]}
        assert {infos[i].experiment for i in first} == {f"x{first[0]}"}
        assert {infos[i].experiment for i in second} == {f"x{second[0]}"}
        assert infos[alone].experiment == f"x{alone}"
        assert [infos[i].label for i in first] == ["plain-20", "plain-56", "ResNet-20", "ResNet-56"]
        assert {infos[i].display_name for i in first} == {"Minji"}
        assert {infos[i].display_name for i in second} == {""}
        assert [r.id for r in store.list_runs(experiment=f"x{first[0]}")] == first[::-1]
        # The queue still takes each group longest first while the ids keep the given order.
        order = sorted(second, key=lambda i: runner.job(i).position)
        assert [store.get_run(i).label for i in order[:2]] == ["plain-56", "ResNet-56"]
    finally:
        gate.release.set()
        runner.shutdown()
