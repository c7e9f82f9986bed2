"""The CUDA path, on a real GPU (skipped where there is none; CI has none, bench/gpu_check.py runs
these first on a new GPU server): a run trains on the GPU in the precision its card runs fast,
agrees with the CPU, records its GPU; workers spread over the GPUs with their share of memory,
a run too large for a worker's share is refused at submit, a real out-of-memory run fails alone
while its worker goes on, and the memory estimate is within its factor of the GPU's peak."""

import pytest
import torch

from resnet_core import ModelConfig, arch_config
from resnet_core.jobs.executors import ProcessPool
from resnet_core.jobs.runner import JobRunner, RunTooBig
from resnet_core.messages import identify
from resnet_core.nets.config import TrainConfig
from resnet_core.store.runs import RunStore
from resnet_core.training import gpu
from resnet_core.training.engine import train
from resnet_core.training.sinks import StoreSink

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

MODEL = arch_config("resnet20", base_width=8, input_size=16, in_channels=1)
TRAIN = TrainConfig(dataset="digits", steps=30, batch_size=64, device="cuda")


def test_a_run_trains_on_the_gpu_in_its_cards_precision(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    rid = store.create_run(MODEL, TRAIN)
    result = train(MODEL, TRAIN, sink=StoreSink(store, rid))
    info = store.get_run(rid)
    want = "bf16" if torch.cuda.get_device_capability() >= gpu.BF16_MIN_CAPABILITY else "tf32"
    assert result.status == "finished" and result.device == info.device == "cuda"
    assert info.versions["precision"] == result.precision == want
    assert info.versions["gpu"] == torch.cuda.get_device_name() and "capability" in info.versions


def test_the_gpu_agrees_with_the_cpu_in_fp32(monkeypatch):
    monkeypatch.setenv("RESNET_EXPLORER_BF16", "0")
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    monkeypatch.setattr(torch.backends.cudnn, "deterministic", True)
    cpu = train(MODEL, TRAIN.replace(device="cpu", steps=20))
    cuda = train(MODEL, TRAIN.replace(steps=20))
    assert [r.loss for r in cuda.history] == pytest.approx([r.loss for r in cpu.history], rel=2e-3)


def test_a_compiled_run_keeps_its_compile_time_apart():
    result = train(MODEL, TRAIN.replace(steps=12, compile=True))
    assert result.status == "finished" and result.compile_seconds > 0


def test_a_real_out_of_memory_run_fails_alone(tmp_path, monkeypatch):
    store = RunStore(tmp_path / "runs.db")
    gpus = gpu.visible_gpus()
    pool = ProcessPool(2 * len(gpus), fork=False, gpus=gpus)
    runner = JobRunner(store, max_queue=8, executor=pool, max_run_seconds=None)
    try:
        before = sorted(pool.pids())
        # Activations of a 20-layer net at 512 px and batch 1024: far beyond a worker's share.
        # Refused at submit for its estimate; with the check off, it reaches a worker.
        big, big_tc = MODEL.replace(input_size=512), TRAIN.replace(steps=2, batch_size=1024)
        with pytest.raises(RunTooBig) as refused:
            runner.submit(big, big_tc)
        assert refused.value.code == "run_memory_gpu"
        monkeypatch.setenv("RESNET_EXPLORER_RUN_MEMORY_GB", "0")
        huge = runner.submit(big, big_tc)
        monkeypatch.delenv("RESNET_EXPLORER_RUN_MEMORY_GB")
        assert runner.wait(huge, timeout=300) == "failed"
        assert identify(store.get_run(huge).error)[0] in ("gpu_oom", "gpu_data")
        ok = runner.submit(MODEL, TRAIN)
        assert runner.wait(ok, timeout=300) == "finished"
        assert sorted(pool.pids()) == before, "out of memory must not cost a worker"
    finally:
        runner.shutdown()


@pytest.mark.parametrize("model, batch", [
    (arch_config("resnet56", input_size=32, in_channels=1), 128),
    (ModelConfig(depth=29, block="bottleneck", shortcut="B", input_size=32, in_channels=1), 64),
    (arch_config("resnet18", input_size=112, in_channels=1), 32),
], ids=["resnet56-32px", "bottleneck29-32px", "resnet18-112px"])
def test_the_memory_estimate_is_within_its_factor_of_the_gpus_peak(model, batch):
    """The estimate a run is refused by, against max_memory_allocated over three real steps and
    the final evaluation (tests/test_memory.py checks the same on the CPU)."""
    from resnet_core.training.memory import measure_on_gpu

    est, peak = measure_on_gpu(model, TRAIN.replace(steps=3, batch_size=batch, max_samples=1000))
    assert 0.7 * peak <= est.total <= 1.5 * peak, (est, peak)
