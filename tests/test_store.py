"""The run store: round trips, decimation against numpy, reads while a thread writes, indexes,
checkpoints (safetensors, atomic), and recovery after a process dies mid-run."""

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from safetensors import safe_open

from resnet_core import arch_config
from resnet_core.nets.config import TrainConfig
from resnet_core.nets.models import build_model
from resnet_core.store import checkpoints
from resnet_core.store.runs import RunNotFound, RunStore
from resnet_core.training.engine import train
from resnet_core.training.sinks import StoreSink

pytestmark = pytest.mark.usefixtures("one_thread")

MODEL = arch_config("resnet20", base_width=4, input_size=8, in_channels=1)
TRAIN = TrainConfig(dataset="digits", steps=10, batch_size=32, device="cpu", eval_every=4, stats_every=4)
ROOT = Path(__file__).resolve().parents[1]


def fake_steps(n, layers=5, start=1):
    rng = np.random.default_rng(start)
    return [SimpleNamespace(step=s, loss=float(rng.random()), acc=float(rng.random()), lr=0.1 / s,
                            seconds=s * 0.01, grad_norms=rng.random(layers).tolist())
            for s in range(start, start + n)]


@pytest.fixture
def store(tmp_path):
    s = RunStore(tmp_path / "runs.db")
    yield s
    s.close()


def test_run_round_trip(store):
    run_id = store.create_run(MODEL, TRAIN, owner="ana", label="first", group="g1")
    info = store.get_run(run_id)
    assert (info.model_cfg, info.train_cfg) == (MODEL, TRAIN)
    assert (info.owner, info.label, info.group, info.status, info.seed) == ("ana", "first", "g1", "queued", 0)
    store.start_run(run_id, device="cpu", layer_names=["a", "b"], stat_names=["r"], total_steps=10)
    info = store.get_run(run_id)
    assert info.status == "running" and info.started and info.layer_names == ["a", "b"]
    assert info.versions["torch"] == torch.__version__
    store.set_status(run_id, "failed", "boom")
    assert (store.get_run(run_id).status, store.get_run(run_id).error) == ("failed", "boom")
    with pytest.raises(ValueError):
        store.set_status(run_id, "exploded")
    with pytest.raises(RunNotFound):
        store.get_run(run_id + 100)


def test_wal_mode_and_default_path(tmp_path, monkeypatch):
    monkeypatch.setenv("RESNET_EXPLORER_DB", str(tmp_path / "sub" / "dir" / "x.db"))
    s = RunStore()
    assert s.path == tmp_path / "sub" / "dir" / "x.db" and s.path.exists()
    assert s._query("PRAGMA journal_mode")[0][0] == "wal"


def test_list_runs_filters_newest_first(store):
    ids = [store.create_run(MODEL, TRAIN, owner=o, group=g) for o, g in (("a", "x"), ("b", "x"), ("a", "y"))]
    assert [r.id for r in store.list_runs()] == ids[::-1]
    assert [r.id for r in store.list_runs(owner="a")] == [ids[2], ids[0]]
    assert [r.id for r in store.list_runs(group="x")] == [ids[1], ids[0]]
    assert [r.id for r in store.list_runs(limit=1)] == [ids[2]]


def test_nets_only_leaves_out_analysis_tasks(store):
    # A task's row holds a placeholder net (ModelConfig()): lists of trained nets skip it.
    net = store.create_run(MODEL, TRAIN, owner="a", group="x")
    task = store.create_task("predict", {"question": "macs"}, MODEL, TRAIN, owner="a", label="측정", group="predict")
    assert [r.id for r in store.list_runs()] == [task, net]
    assert [r.id for r in store.list_runs(nets_only=True)] == [net]
    assert [r.id for r in store.list_runs(owner="a", limit=1, nets_only=True)] == [net]
    assert store.task_ids([net, task, 999]) == {task} and store.task_ids([]) == set()


def test_steps_and_grad_norms_round_trip(store):
    run_id = store.create_run(MODEL, TRAIN)
    store.start_run(run_id, device="cpu", layer_names=list("abcde"), stat_names=[], total_steps=30)
    records = fake_steps(30)
    store.write_batch(run_id, steps=records[:10])
    store.write_batch(run_id, steps=records[10:])
    cols = store.steps(run_id)
    assert cols.step == list(range(1, 31)) and cols.loss == [r.loss for r in records]
    assert store.steps(run_id, since_step=25).step == [26, 27, 28, 29, 30]
    steps, names, matrix = store.grad_norms(run_id)
    assert steps == cols.step and names == list("abcde")
    assert np.allclose(matrix, np.array([r.grad_norms for r in records], np.float32))
    assert store.get_run(run_id).steps_done == 30
    few_steps, _, few = store.grad_norms(run_id, max_steps=10)
    assert len(few_steps) <= 10 and np.allclose(few, matrix[np.array(few_steps) - 1])


def test_decimation_averages_buckets_like_numpy(store):
    run_id = store.create_run(MODEL, TRAIN)
    records = fake_steps(1000)
    store.write_batch(run_id, steps=records)
    cols = store.steps(run_id, max_points=64)
    k = -(-1000 // 64)
    losses = np.array([r.loss for r in records])
    expected = [losses[i:i + k].mean() for i in range(0, 1000, k)]
    assert len(cols.step) <= 64 and np.allclose(cols.loss, expected)
    assert cols.step[-1] == 1000 and cols.step == sorted(cols.step)


def test_evals_and_stats_round_trip(store):
    run_id = store.create_run(MODEL, TRAIN)
    store.start_run(run_id, device="cpu", layer_names=[], stat_names=["r1", "r2"], total_steps=5)
    store.write_batch(run_id, evals=[(5, 0.7, 0.8)])
    store.write_batch(run_id, stats=[(1, [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])])
    assert store.evals(run_id).test_acc == [0.8]
    stats = store.stats(run_id)
    assert stats.step == [1] and stats.names == ["r1", "r2"]
    assert np.allclose(stats.zero_frac, [[0.3, 0.6]]) and stats.mean.shape == (1, 2)


def test_chart_reads_use_the_indexes(store):
    plans = {
        "steps": "SELECT step, loss FROM steps WHERE run_id=1 AND step>0",
        "grads": "SELECT step, norms FROM grads WHERE run_id=1 AND step>0",
        "owner": "SELECT id FROM runs WHERE owner='a' ORDER BY id DESC",
    }
    for name, sql in plans.items():
        plan = " ".join(row[-1] for row in store._query("EXPLAIN QUERY PLAN " + sql))
        assert "SEARCH" in plan and ("INDEX" in plan or "PRIMARY KEY" in plan), (name, plan)


def test_pages_read_while_the_worker_writes(store):
    run_id = store.create_run(MODEL, TRAIN)
    records = fake_steps(2000)
    errors, seen = [], []

    def write():
        for i in range(0, 2000, 50):
            store.write_batch(run_id, steps=records[i:i + 50])

    def read():
        deadline = time.monotonic() + 60
        try:
            while (not seen or seen[-1] < 2000) and time.monotonic() < deadline:
                assert len(store.steps(run_id, max_points=100).step) <= 100
                seen.append(len(store.steps(run_id).step))
        except Exception as err:   # any error here is the failure
            errors.append(err)

    writer, reader = threading.Thread(target=write), threading.Thread(target=read)
    reader.start()
    writer.start()
    writer.join()
    reader.join(timeout=60)
    assert not errors and seen[-1] == 2000 and seen == sorted(seen)


def test_checkpoint_round_trip_is_safetensors(store):
    run_id = store.create_run(MODEL, TRAIN)
    model = build_model(MODEL).to(memory_format=torch.channels_last).eval()
    path = store.save_checkpoint(run_id, model)
    with safe_open(str(path), framework="pt") as f:
        assert set(f.keys()) == set(model.state_dict())
    loaded = store.load_model(run_id)
    x = torch.randn(2, 1, 8, 8)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in loaded.state_dict().items())
    assert torch.allclose(loaded(x), model(x), atol=1e-6) and not loaded.training
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    other = store.create_run(MODEL, TRAIN)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        store.load_model(other)


def test_a_failed_write_leaves_the_old_checkpoint(store, monkeypatch):
    run_id = store.create_run(MODEL, TRAIN)
    first = build_model(MODEL).eval()
    store.save_checkpoint(run_id, first)
    before = store.load_model(run_id).state_dict()

    def crash(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr(checkpoints.os, "replace", crash)
    with pytest.raises(OSError):
        store.save_checkpoint(run_id, build_model(MODEL.replace(zero_init_residual=True)))
    monkeypatch.undo()
    after = store.load_model(run_id).state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not [p for p in store.checkpoint_dir.iterdir() if p.name.endswith(".tmp")]


def test_engine_writes_what_it_returns(store):
    run_id = store.create_run(MODEL, TRAIN)
    result = train(MODEL, TRAIN, sink=StoreSink(store, run_id))
    reference = train(MODEL, TRAIN)   # the same seed without a store keeps its history in memory
    cols = store.steps(run_id)
    assert cols.loss == [r.loss for r in reference.history] and result.history == []
    _, names, matrix = store.grad_norms(run_id)
    assert names == reference.layer_names
    assert np.allclose(matrix, [r.grad_norms for r in reference.history], rtol=1e-6)
    info = store.get_run(run_id)
    assert info.status == "finished" and info.steps_done == 10 and info.has_checkpoint
    assert info.final_train_loss == pytest.approx(result.final_train_loss) and info.seconds > 0
    assert store.evals(run_id).step == [4, 8, 10] and store.stats(run_id).step == [1, 4, 8, 10]


def test_a_diverged_run_keeps_its_metrics(store):
    no_bn = MODEL.replace(norm="none")
    cfg = TRAIN.replace(lr=100.0, steps=40, schedule="constant")
    run_id = store.create_run(no_bn, cfg)
    result = train(no_bn, cfg, sink=StoreSink(store, run_id))
    info = store.get_run(run_id)
    assert result.status == info.status == "diverged" and "became" in info.error
    assert len(store.steps(run_id).step) == info.steps_done == result.steps_done >= 1
    assert not info.has_checkpoint


CRASH = textwrap.dedent("""
    import os, sys
    from types import SimpleNamespace
    from resnet_core import arch_config
    from resnet_core.nets.config import TrainConfig
    from resnet_core.store.runs import RunStore
    store = RunStore(sys.argv[1])
    run_id = store.create_run(arch_config("resnet20"), TrainConfig(), label="doomed")
    store.start_run(run_id, device="cpu", layer_names=["a"], stat_names=[], total_steps=100)
    store.write_batch(run_id, steps=[SimpleNamespace(step=s, loss=1.0 / s, acc=0.5, lr=0.1, seconds=s,
                                                grad_norms=[1.0]) for s in range(1, 8)])
    print(run_id, flush=True)
    os._exit(3)   # a crash: no cleanup, no status update
""")


def test_reopening_after_a_crash_mid_run(tmp_path):
    db = tmp_path / "runs.db"
    proc = subprocess.run([sys.executable, "-c", CRASH, str(db)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert proc.returncode == 3, proc.stderr
    crashed = int(proc.stdout.split()[0])
    store = RunStore(db)
    mine = store.create_run(MODEL, TRAIN)     # a live process's queued run must be left alone
    assert store.get_run(crashed).status == "running"
    assert store.mark_interrupted() == [crashed]
    info = store.get_run(crashed)
    assert info.status == "interrupted" and info.finished and info.steps_done == 7
    assert info.error_code == "process_stopped"   # the page says it in the reader's language
    assert store.steps(crashed).loss == [1.0 / s for s in range(1, 8)]
    assert store.get_run(mine).status == "queued"
