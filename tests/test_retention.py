"""The checkpoint folder's bound (resnet_core.store.retention): the oldest unpinned checkpoints go
first; pinned, shown, busy and shipped ones stay; a run without its checkpoint keeps its record."""

import time
from pathlib import Path

import pytest

from resnet_core import ConfigError, arch_config, settings
from resnet_core.jobs.executors import InProcess
from resnet_core.jobs.runner import JobRunner
from resnet_core.nets.config import TrainConfig
from resnet_core.nets.models import build_model
from resnet_core.store import retention
from resnet_core.store.runs import RunStore

MODEL = arch_config("resnet20", base_width=4, input_size=8, in_channels=1)
TRAIN = TrainConfig(dataset="digits", steps=6, batch_size=16, device="cpu")
SHIPPED = Path(__file__).resolve().parents[1] / "assets" / "checkpoints"


def finished_run(store: RunStore, label: str, ended: float) -> int:
    rid = store.create_run(MODEL, TRAIN, owner="a" * 16, label=label, group="build")
    store.save_checkpoint(rid, build_model(MODEL))
    store._write([("UPDATE runs SET status='finished', finished=? WHERE id=?", (ended, rid))])
    return rid


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "runs.db")


def test_the_bound_comes_from_the_environment_and_a_bad_value_is_refused(monkeypatch):
    env = settings.max_checkpoint_mb.env
    monkeypatch.delenv(env, raising=False)
    assert retention.max_bytes() == 2048 * retention.MB
    monkeypatch.setenv(env, "5")
    assert retention.max_bytes() == 5 * retention.MB
    monkeypatch.setenv(env, "0")
    assert retention.max_bytes() is None
    monkeypatch.setenv(env, "lots")
    with pytest.raises(ConfigError, match="RESNET_EXPLORER_MAX_CHECKPOINT_MB must be 0 to 1e"):
        retention.max_bytes()


def test_the_oldest_unpinned_checkpoints_go_first_and_their_runs_stay(store):
    now = time.time()
    ids = [finished_run(store, f"net {i}", now - 1000 + i) for i in range(5)]   # ids[0] ended first
    size = retention.kept(store, shown=set())[0].size
    assert size > 1000 and [k.run_id for k in retention.kept(store, shown=set())] == ids
    retention.set_pinned(store, ids[0], True)                   # the teacher keeps the oldest
    dropped = retention.prune(store, limit=3 * size, shown={ids[1]})   # a page shows the next
    assert dropped == [ids[2], ids[3]]                          # the oldest that may go, in order
    left = {k.run_id for k in retention.kept(store, shown=set())}
    assert left == {ids[0], ids[1], ids[4]}
    for rid in dropped:
        info = store.get_run(rid)
        assert info.status == "finished" and not info.has_checkpoint and info.label.startswith("net")
        assert not list(store.checkpoint_dir.glob(f"run-{rid}.*"))
        with pytest.raises(FileNotFoundError):
            store.load_model(rid)
    assert store.load_model(ids[0]) is not None                 # a pinned one still loads
    assert retention.prune(store, limit=3 * size, shown=set()) == []   # within the bound: nothing more
    assert retention.prune(store, limit=None, shown=set()) == []       # no bound: nothing ever


def test_runs_in_training_and_nets_a_waiting_task_will_study_are_kept(store):
    now = time.time()
    old, studied = finished_run(store, "old", now - 100), finished_run(store, "studied", now - 90)
    task = store.create_run(MODEL, TRAIN, owner="b" * 16, label="lesion", group="lesion")
    store._write([("INSERT INTO tasks (run_id, name, params) VALUES (?, ?, ?)",
                   (task, "lesion", f'{{"run_ids": [{studied}], "draws": 3}}'))])
    assert retention.prune(store, limit=1, shown=set()) == [old]
    assert store.get_run(studied).has_checkpoint


def test_the_shipped_checkpoints_are_outside_the_store_and_untouched(store):
    before = sorted(p.name for p in SHIPPED.iterdir())
    finished_run(store, "one", time.time())
    retention.prune(store, limit=1, shown=set())
    assert sorted(p.name for p in SHIPPED.iterdir()) == before and before
    assert SHIPPED.resolve() not in store.checkpoint_dir.resolve().parents


def test_pages_keep_what_they_showed_for_a_while():
    now = [100.0]
    shown = retention.Shown(keep_s=30, clock=lambda: now[0])
    shown.note([3, 4])
    now[0] += 20
    shown.note([4])
    assert shown.recent() == {3, 4}
    now[0] += 11                      # 31 s after 3 was shown, 11 s after 4 was shown again
    assert shown.recent() == {4}
    now[0] += 20
    assert shown.recent() == set()


def test_the_runner_bounds_the_folder_after_each_run(store, monkeypatch, one_thread):
    monkeypatch.setenv(settings.max_checkpoint_mb.env, "0.01")                    # 10 KB: less than one checkpoint
    monkeypatch.setattr(retention, "SHOWN", retention.Shown())
    old = finished_run(store, "old", time.time() - 60)
    runner = JobRunner(store, executor=InProcess())
    try:
        assert runner.checkpoint_limit == int(0.01 * retention.MB)
        new = runner.submit(MODEL, TRAIN, owner="c" * 16, label="new", group="build")
        retention.SHOWN.note([new])                              # a page watches it train
        assert runner.wait(new, timeout=120) == "finished"
        assert not store.get_run(old).has_checkpoint              # the older one went at the run's end
        assert store.get_run(new).has_checkpoint                  # the shown one stayed, over the bound
    finally:
        runner.shutdown()
