"""Costs before the click: the estimate from multiply-adds x batch x steps, learned from this
server's finished runs, and the per-run cap refused at submit with a message that says what to
reduce. Also the teacher's runner controls: pause, clear the queue, a fresh class store."""

import sqlite3

import pytest
from test_jobs import Gate, wait_for

from resnet_core import arch_config
from resnet_core.jobs.runner import JobRunner, Paused, QueueFull
from resnet_core.nets import flops
from resnet_core.nets.config import TrainConfig
from resnet_core.store.runs import RunStore
from resnet_core.training.costs import DEFAULT_SPEED, Estimator, RunTooLong, Speed, planned_steps

MODEL = arch_config("resnet20", base_width=4, input_size=8, in_channels=1)
TRAIN = TrainConfig(dataset="digits", steps=12, batch_size=32, device="cpu")
SPEED = {"cpu": Speed(fixed_s=2.0, per_step_s=0.01, macs_per_s=1e9), "cuda": DEFAULT_SPEED["cuda"]}


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "runs.db")


def test_the_estimate_is_macs_times_batch_times_steps_at_the_default_rate():
    est = Estimator(speeds=SPEED).estimate(MODEL, TRAIN.replace(steps=1000, batch_size=64), "cpu")
    macs = flops.count(MODEL).macs
    assert est.macs_per_image == macs and est.work == macs * 64 * 1000
    assert est.seconds == pytest.approx(2.0 + 1000 * 0.01 + macs * 64 * 1000 / 1e9)
    assert est.learned_from == 0 and est.device == "cpu"
    deeper = Estimator(speeds=SPEED).estimate(MODEL.replace(depth=56), TRAIN.replace(steps=1000, batch_size=64))
    assert deeper.seconds > est.seconds


def test_epochs_count_the_dataset():
    cfg = TrainConfig(dataset="digits", epochs=2, batch_size=100, holdout_fraction=0.2)
    assert planned_steps(cfg) == 2 * (int(1797 * 0.8) // 100)
    assert planned_steps(cfg.replace(max_samples=500)) == 2 * (400 // 100)


def test_the_estimate_learns_this_servers_speed(store):
    est = Estimator(store, SPEED)
    first = est.estimate(MODEL, TRAIN)
    for measured in (3.0, 3.2, 50.0):   # this server is about three times slower than the guess
        rid = store.create_run(MODEL, TRAIN, estimate_s=first.seconds, guess_s=first.base_seconds)
        store.start_run(rid, device="cpu", layer_names=[], stat_names=[], total_steps=12)
        store.finish_run(rid, status="finished", seconds=measured * first.base_seconds, steps_done=12,
                         final_train_loss=1.0, final_train_acc=0.5, test_acc=0.5)
    est.forget()
    learned = est.estimate(MODEL, TRAIN)
    assert learned.learned_from == 3
    assert learned.seconds == pytest.approx(3.2 * first.seconds)       # the median: one slow run barely counts
    assert learned.macs_per_s == pytest.approx(1e9 / 3.2)
    assert store.get_run(rid).estimate_s == pytest.approx(first.seconds)


def test_a_store_from_before_the_estimates_gets_the_columns(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, created REAL NOT NULL, started REAL,"
                 " finished REAL, status TEXT NOT NULL, owner TEXT NOT NULL, label TEXT NOT NULL, grp TEXT NOT NULL,"
                 " model_cfg TEXT NOT NULL, train_cfg TEXT NOT NULL, seed INTEGER NOT NULL,"
                 " device TEXT NOT NULL DEFAULT '', versions TEXT NOT NULL DEFAULT '{}', host TEXT NOT NULL DEFAULT '',"
                 " pid INTEGER NOT NULL DEFAULT 0, seconds REAL, error TEXT NOT NULL DEFAULT '',"
                 " layer_names TEXT NOT NULL DEFAULT '[]', stat_names TEXT NOT NULL DEFAULT '[]',"
                 " total_steps INTEGER NOT NULL DEFAULT 0, steps_done INTEGER NOT NULL DEFAULT 0,"
                 " final_train_loss REAL, final_train_acc REAL, test_acc REAL, checkpoint TEXT NOT NULL DEFAULT '')")
    conn.commit()
    conn.close()
    store = RunStore(path)
    RunStore(path)   # opening it again (another process) finds the columns there
    rid = store.create_run(MODEL, TRAIN, estimate_s=4.0, guess_s=2.0)
    assert store.get_run(rid).estimate_s == 4.0 and store.timings() == []


def test_a_run_above_the_cap_is_refused_with_what_to_reduce(store):
    gate = Gate()
    runner = JobRunner(store, train_fn=gate, max_run_seconds=60)
    runner.estimator = Estimator(store, SPEED)
    try:
        ok = runner.submit(MODEL, TRAIN, owner="ana")
        assert 0 < store.get_run(ok).estimate_s < 60
        big = MODEL.replace(depth=110, base_width=16, input_size=32)
        before = len(store.list_runs())
        with pytest.raises(RunTooLong) as err:
            runner.submit_many([("small", MODEL, TRAIN), ("big", big, TRAIN.replace(steps=5000))], owner="ana")
        msg = str(err.value)
        assert msg.startswith("big: this run would take about") and "60 s at most" in msg
        for what in ("steps (5,000)", "depth (110)", "width (16)", "input size (32 px)"):
            assert what in msg
        assert err.value.estimate.seconds > 60 and err.value.limit == 60
        assert len(store.list_runs()) == before            # all or nothing: the small one was not queued
    finally:
        gate.release.set()
        runner.shutdown()


def test_pause_refuses_new_runs_with_the_teachers_message(store):
    gate = Gate()
    runner = JobRunner(store, train_fn=gate)
    try:
        running = runner.submit(MODEL, TRAIN, owner="ana")
        runner.pause("eyes on the projector")
        with pytest.raises(Paused) as err:
            runner.submit(MODEL, TRAIN, owner="bob")
        assert err.value.message == "eyes on the projector" and isinstance(err.value, QueueFull)
        assert "eyes on the projector" in str(err.value)
        assert runner.job(running).status in ("queued", "running")   # what was in carries on
        runner.resume()
        assert runner.submit(MODEL, TRAIN, owner="bob")
    finally:
        gate.release.set()
        runner.shutdown()


def test_clear_queue_cancels_the_waiting_runs_only(store):
    gate = Gate()
    runner = JobRunner(store, train_fn=gate)
    try:
        running = runner.submit(MODEL, TRAIN, owner="ana")
        wait_for(lambda: gate.started == [running])
        waiting = runner.submit_many([("x", MODEL, TRAIN)] * 3, owner="bob")
        assert runner.clear_queue() == 3 and runner.queue_length() == 0
        assert {store.get_run(j).status for j in waiting} == {"cancelled"}
        assert "teacher" in store.get_run(waiting[0]).error
        assert runner.job(running).status == "running"
    finally:
        gate.release.set()
        runner.shutdown()


def test_a_fresh_store_archives_the_old_one(store, tmp_path):
    gate = Gate()
    runner = JobRunner(store, train_fn=gate)
    try:
        running = runner.submit(MODEL, TRAIN, owner="ana", label="old run")
        wait_for(lambda: gate.started == [running])
        waiting = runner.submit(MODEL, TRAIN, owner="bob")
        store.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        (store.checkpoint_dir / "run-1.json").write_text("{}")
        archive = runner.fresh_store(timeout=10)
        assert archive.exists() and archive.parent == tmp_path and archive.name.startswith("runs-")
        assert store.path.exists() and store.list_runs() == []
        old = RunStore(archive)
        assert {r.id for r in old.list_runs()} == {running, waiting}
        assert old.get_run(running).status == "cancelled" and old.get_run(running).label == "old run"
        assert (old.checkpoint_dir / "run-1.json").exists() and not store.checkpoint_dir.exists()
        assert runner.paused is None
        new = runner.submit(MODEL, TRAIN, owner="cy")
        assert new > waiting                              # ids never repeat across classes
        assert store.owner_number("cy") == 1
    finally:
        gate.release.set()
        runner.shutdown()


def test_owners_are_numbered_in_order_of_their_first_run(store):
    for who in ("b", "a", "b", "c"):
        store.create_run(MODEL, TRAIN, owner=who)
    assert [store.owner_number(w) for w in ("b", "a", "c", "nobody")] == [1, 2, 3, 0]
