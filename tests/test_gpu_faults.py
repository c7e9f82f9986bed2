"""What a GPU's failures do to a class, checked without a GPU: a real worker process is made to
raise the errors CUDA raises (out of memory, a fatal accelerator error) from inside its training
call. Out of memory fails that run with a message a student can act on and the worker goes on;
a fatal error ends the worker after it reports, the pool replaces it, and the next run trains.
Also: workers spread over GPUs with their share of memory, bf16 only where it pays, and one
name for a device."""

import json
import sys
import textwrap

import pytest
import torch

from resnet_core import arch_config
from resnet_core.jobs.executors import ProcessPool, gpu_envs
from resnet_core.jobs.runner import JobRunner
from resnet_core.jobs.worker import JobSpec, failure_reason
from resnet_core.messages import identify
from resnet_core.nets.config import TrainConfig
from resnet_core.store.runs import RunStore
from resnet_core.training import gpu
from resnet_core.training.engine import train
from resnet_core.training.sinks import StoreSink
from resnet_core.store.provenance import library_versions
from ui.page import errors, i18n

MODEL = arch_config("resnet20", base_width=4, input_size=8, in_channels=1)
TRAIN = TrainConfig(dataset="digits", steps=6, batch_size=16, device="cpu")

# Loaded by each worker's interpreter at start (PYTHONPATH): its training call raises the fault
# named by the first line of the plan file, then trains for real once the plan is empty. The plan
# is a file, not memory, because a fatal fault ends the process that read it.
SITECUSTOMIZE = """
import os
plan = os.environ.get("FAULT_PLAN")
if plan:
    import torch
    from resnet_core.training import engine
    real = engine.train

    def train(*args, **kwargs):
        with open(plan) as f:
            lines = f.read().splitlines()
        if lines:
            with open(plan, "w") as f:
                f.write("\\n".join(lines[1:]))
            if lines[0] == "oom":
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
            raise torch.AcceleratorError("CUDA error: an illegal memory access was encountered")
        return real(*args, **kwargs)

    engine.train = train
"""


@pytest.fixture
def faulty(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(textwrap.dedent(SITECUSTOMIZE))
    plan = tmp_path / "plan"
    plan.write_text("oom\nfatal\n")
    monkeypatch.setenv("PYTHONPATH", str(site))
    monkeypatch.setenv("FAULT_PLAN", str(plan))
    store = RunStore(tmp_path / "runs.db")
    pool = ProcessPool(1, fork=False)   # fresh processes, as GPU workers are
    runner = JobRunner(store, max_queue=4, executor=pool)
    yield runner, store, pool
    runner.shutdown()


def test_out_of_memory_fails_the_run_and_a_fatal_error_replaces_the_worker(faulty):
    runner, store, pool = faulty
    first_pid = pool.pids()
    oom = runner.submit(MODEL, TRAIN.replace(batch_size=16))
    assert runner.wait(oom, timeout=180) == "failed"
    reason = store.get_run(oom).error
    assert identify(reason) == ("gpu_oom", {"batch": "16", "size": "8", "width": "4", "depth": "20"})
    assert pool.pids() == first_pid, "out of memory must not end the worker"

    fatal = runner.submit(MODEL, TRAIN)
    assert runner.wait(fatal, timeout=180) == "failed"
    code, values = identify(store.get_run(fatal).error)
    assert code == "gpu_fatal" and "illegal memory access" in values["detail"]

    ok = runner.submit(MODEL, TRAIN)
    assert runner.wait(ok, timeout=180) == "finished"
    assert pool.pids() and pool.pids() != first_pid, "the worker after a fatal error is a new process"
    assert store.get_run(ok).steps_done == TRAIN.steps


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_the_reasons_read_in_both_languages(lang, monkeypatch):
    monkeypatch.setattr(i18n, "lang", lambda: lang)
    spec = JobSpec(1, "", MODEL.replace(width_mult=2.0), TRAIN.replace(batch_size=256))
    text = errors.reason_text(failure_reason(torch.OutOfMemoryError("CUDA out of memory"), spec))
    assert "256" in text and "8×8" in text and "20" in text
    # the first stage's channels as the Build page sets them (4) times the multiplier (2): the 8
    # channels the net has, with the number the page shows beside it
    assert ("4 × 2 = 8 channels in the first stage" in text and "width multiplier" in text) if lang == "en" else (
        "첫 스테이지 채널 4 × 2 = 8개" in text and "너비 배수" in text and "너비 8" not in text)
    assert ("reduce batch" in text) if lang == "en" else ("줄여 보세요" in text and "GPU 메모리" in text)
    text = errors.reason_text(failure_reason(torch.AcceleratorError("CUDA error: device-side assert triggered"), spec))
    assert "device-side assert" in text
    assert ("restarted" in text) if lang == "en" else ("새로 띄웠" in text)
    # Anything else keeps its name: the log has the rest.
    assert failure_reason(ValueError("x"), spec) == "ValueError: x"


def test_which_errors_end_a_worker():
    assert gpu.is_out_of_memory(torch.OutOfMemoryError("x")) and not gpu.is_fatal(torch.OutOfMemoryError("x"))
    assert gpu.is_fatal(torch.AcceleratorError("x"))
    assert gpu.is_fatal(RuntimeError("CUDA error: misaligned address"))
    assert not gpu.is_fatal(RuntimeError("mat1 and mat2 shapes cannot be multiplied"))
    assert not gpu.is_fatal(ValueError("CUDA error"))


def test_workers_are_spread_over_every_gpu_with_their_share_of_memory():
    base = {"X": "1"}
    envs = gpu_envs(base, 4, ["0", "1"], 0.9)
    assert [e["CUDA_VISIBLE_DEVICES"] for e in envs] == ["0", "1", "0", "1"]
    assert {e["RESNET_EXPLORER_GPU_MEMORY_FRACTION"] for e in envs} == {"0.450"}
    assert all(e["X"] == "1" for e in envs)
    three = gpu_envs(base, 3, ["GPU-a", "GPU-b"], 0.9)   # uneven: the GPU with one worker gives it all
    assert [(e["CUDA_VISIBLE_DEVICES"], e["RESNET_EXPLORER_GPU_MEMORY_FRACTION"]) for e in three] == \
        [("GPU-a", "0.450"), ("GPU-b", "0.900"), ("GPU-a", "0.450")]
    assert gpu_envs(base, 2, [], 0.9) == [base, base]   # a CPU: no GPU variables at all
    assert gpu.worker_gpus(5, ["0", "1", "2", "3"]) == ["0", "1", "2", "3", "0"]


def test_visible_gpus_follow_the_servers_own_choice(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2, 3")
    assert gpu.visible_gpus() == ["2", "3"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert gpu.visible_gpus() == []


def test_bf16_only_on_a_gpu_that_runs_it_natively(monkeypatch):
    assert not gpu.use_bf16(torch.device("cpu"))
    assert gpu.precision(torch.device("cpu"), False) == "fp32"
    for capability, expected in [((7, 5), False), ((8, 0), True), ((9, 0), True)]:
        monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None, c=capability: c)
        assert gpu.use_bf16(torch.device("cuda")) is expected, capability
    monkeypatch.setenv("RESNET_EXPLORER_BF16", "0")
    assert not gpu.use_bf16(torch.device("cuda"))


def test_a_run_records_one_device_name_and_its_precision(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    run_id = store.create_run(MODEL, TRAIN)
    result = train(MODEL, TRAIN, sink=StoreSink(store, run_id))
    info = store.get_run(run_id)
    assert result.device == info.device == "cpu"
    assert result.precision == info.versions["precision"] == "fp32"
    assert result.compile_seconds == 0.0 and "compile_seconds" not in info.versions


def test_a_cpu_run_never_asks_the_gpu_driver():
    """A CPU run's provenance names no GPU, so recording it needs no CUDA context."""
    assert "gpu" not in library_versions("cpu")
    code = ("import torch; from resnet_core.store.provenance import library_versions; "
            "library_versions('cpu'); print(torch.cuda.is_initialized())")
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_compile_seconds_stay_with_the_run(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    run_id = store.create_run(MODEL, TRAIN)
    store.finish_run(run_id, status="finished", seconds=10.0, steps_done=6, final_train_loss=1.0,
                     final_train_acc=0.5, test_acc=0.5, compile_seconds=4.25)
    assert store.get_run(run_id).versions["compile_seconds"] == 4.25
    assert json.loads(json.dumps(store.get_run(run_id).versions))["compile_seconds"] == 4.25
