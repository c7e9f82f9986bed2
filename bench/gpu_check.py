"""What a maintainer runs first on a new GPU server: python bench/gpu_check.py [--quick]

Prints, in order: the driver, CUDA and each GPU's compute capability (and so whether runs use
bf16); the GPU tests; CPU against CUDA for ResNet-56 over 200 steps (loss agreement); bench_train's
fp32 / TF32 / bf16 / compile figures; the degradation ordering as the GPU computes it; two
workers sharing one GPU; and an out-of-memory drill (the run fails with its message, its worker
goes on, the next run trains). Every line is a measurement; nothing is assumed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import torch  # noqa: E402

from resnet_core import ModelConfig, arch_config  # noqa: E402
from resnet_core.jobs.executors import ProcessPool  # noqa: E402
from resnet_core.jobs.runner import JobRunner, RunTooBig  # noqa: E402
from resnet_core.store.runs import RunStore  # noqa: E402
from resnet_core.training import gpu  # noqa: E402
from resnet_core.training.engine import train  # noqa: E402
from resnet_core.training.experiments import recipe  # noqa: E402


def section(title: str) -> None:
    print(f"\n== {title} ==", flush=True)


def devices() -> None:
    section("driver, CUDA, GPUs")
    smi = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                         capture_output=True, text=True)
    print("nvidia-smi:", smi.stdout.strip() or smi.stderr.strip() or "not found")
    print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}")
    for i in range(torch.cuda.device_count()):
        cap = torch.cuda.get_device_capability(i)
        free, total = torch.cuda.mem_get_info(i)
        print(f"  cuda:{i} {torch.cuda.get_device_name(i)}: capability {cap[0]}.{cap[1]}, "
              f"{total / 2**30:.1f} GiB ({free / 2**30:.1f} free); runs compute in "
              f"{'bf16' if gpu.use_bf16(torch.device('cuda', i)) else 'fp32/TF32'}")


def gpu_tests() -> None:
    section("GPU tests")
    code = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            "tests/test_gpu.py", "tests/test_gpu_faults.py", "tests/test_augment.py",
                            "tests/test_engine.py"], cwd=ROOT)
    print(f"pytest exit code {code}")


def agreement(steps: int) -> None:
    section(f"CPU against CUDA: ResNet-56 on digits at 32 px, {steps} steps")
    m = arch_config("resnet56", input_size=32, in_channels=1)
    cpu = train(m, recipe("digits", steps=steps, device="cpu"))
    for label, bf16 in (("as runs use it", None), ("fp32, no TF32", "0")):
        old = os.environ.get("RESNET_EXPLORER_BF16")
        tf32 = torch.backends.cudnn.allow_tf32
        if bf16 is not None:
            os.environ["RESNET_EXPLORER_BF16"] = bf16
            torch.backends.cudnn.allow_tf32 = False
        try:
            cuda = train(m, recipe("digits", steps=steps, device="cuda"))
        finally:
            torch.backends.cudnn.allow_tf32 = tf32
            if old is None:
                os.environ.pop("RESNET_EXPLORER_BF16", None)
            else:
                os.environ["RESNET_EXPLORER_BF16"] = old
        worst = max(abs(a.loss - b.loss) / max(abs(a.loss), 1e-6) for a, b in zip(cpu.history, cuda.history))
        print(f"  {label:<16} ({cuda.precision}): final loss CPU {cpu.final_train_loss:.4f} vs CUDA "
              f"{cuda.final_train_loss:.4f}; worst step-wise relative difference {worst:.2e}; "
              f"CPU {cpu.seconds:.1f} s, CUDA {cuda.seconds:.1f} s")


def throughput(steps: int) -> None:
    import bench_train

    bench_train.throughput("cuda", steps)
    bench_train.gpu_precision(steps)


def degradation() -> None:
    import bench_train

    bench_train.degradation("cuda")   # the ordering as the GPU computes it, in its precision


# (label, model, train config, RESNET_EXPLORER_BF16): plain and residual, basic and bottleneck,
# depths 20 to 110, 8 to 224 px, bf16 and fp32; the digits, upsampled where the net wants more.
MEMORY_CASES = [
    ("ResNet-20 w16, 8 px, batch 128", arch_config("resnet20", input_size=8, in_channels=1), 128, "1"),
    ("ResNet-56 w16, 32 px, batch 128", arch_config("resnet56", input_size=32, in_channels=1), 128, "1"),
    ("plain-56 w16, 32 px, batch 128, fp32", arch_config("plain56", input_size=32, in_channels=1), 128, "0"),
    ("ResNet-110 w16, 32 px, batch 256", arch_config("resnet110", input_size=32, in_channels=1), 256, "1"),
    ("CIFAR bottleneck-47 C, 32 px, batch 128",
     ModelConfig(depth=47, block="bottleneck", shortcut="C", input_size=32, in_channels=1), 128, "1"),
    ("ResNet-18, 112 px, batch 64, fp32", arch_config("resnet18", input_size=112, in_channels=1), 64, "0"),
    ("ResNet-50, 224 px, batch 32", arch_config("resnet50", input_size=224, in_channels=1), 32, "1"),
]


def memory_estimates() -> None:
    from resnet_core.training.memory import measure_on_gpu

    section("memory: the estimate before a run against max_memory_allocated in it (3 steps on digits)")
    for label, m, batch, bf16 in MEMORY_CASES:
        old = os.environ.get("RESNET_EXPLORER_BF16")
        os.environ["RESNET_EXPLORER_BF16"] = bf16
        try:
            est, peak = measure_on_gpu(m, recipe("digits", steps=3, batch_size=batch, max_samples=1000))
        except Exception as err:   # one case that fails is a figure too; the others still run
            print(f"  {label:<42} failed: {type(err).__name__}: {str(err)[:200]}")
            continue
        finally:
            if old is None:
                os.environ.pop("RESNET_EXPLORER_BF16", None)
            else:
                os.environ["RESNET_EXPLORER_BF16"] = old
        print(f"  {label:<42} estimate {est.total / 2**20:8.1f} MiB (activations {est.activations / 2**20:.1f}, "
              f"{'bf16' if est.bf16 else 'fp32'}), measured {peak / 2**20:8.1f} MiB: {est.total / peak:.2f}x")


def pool_drills() -> None:
    section("two workers on one GPU, and an out-of-memory drill")
    with tempfile.TemporaryDirectory() as tmp:
        store = RunStore(Path(tmp) / "runs.db")
        pool = ProcessPool(2, fork=False, gpus=gpu.visible_gpus()[:1])
        runner = JobRunner(store, max_queue=8, executor=pool, max_run_seconds=None)
        try:
            m = arch_config("resnet56", input_size=32, in_channels=1)
            tc = recipe("digits", steps=300, device="cuda")
            one = time.perf_counter()
            job = runner.submit(m, tc)
            runner.wait(job, timeout=600)
            single = time.perf_counter() - one
            two = time.perf_counter()
            jobs = [runner.submit(m, tc, owner=o) for o in ("a", "b")]
            for j in jobs:
                runner.wait(j, timeout=600)
            pair = time.perf_counter() - two
            print(f"  one run alone {single:.1f} s; two side by side {pair:.1f} s "
                  f"({2 * single / pair:.2f}x the throughput of one worker)")
            pids = sorted(pool.pids())
            big, big_tc = m.replace(input_size=512), tc.replace(steps=2, batch_size=1024)
            try:
                runner.submit(big, big_tc)
                print("  a run far beyond a worker's memory was NOT refused at submit")
            except RunTooBig as err:
                print(f"  refused at submit: {err}")
            os.environ["RESNET_EXPLORER_RUN_MEMORY_GB"] = "0"   # the drill: let it reach the worker
            try:
                huge = runner.submit(big, big_tc)
            finally:
                os.environ.pop("RESNET_EXPLORER_RUN_MEMORY_GB", None)
            status = runner.wait(huge, timeout=600)
            print(f"  out-of-memory run: {status}: {store.get_run(huge).error}")
            after = runner.submit(m, tc.replace(steps=50))
            print(f"  next run: {runner.wait(after, timeout=600)}; workers "
                  f"{'unchanged' if sorted(pool.pids()) == pids else 'replaced'}")
        finally:
            runner.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip the GPU tests and the degradation run")
    parser.add_argument("--steps", type=int, default=200, help="steps of the CPU/CUDA agreement (default 200)")
    parser.add_argument("--memory", action="store_true", help="only the devices and the memory estimates")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("no CUDA GPU is visible to this process: nothing to check")
        return 1
    devices()
    if args.memory:
        memory_estimates()
        return 0
    if not args.quick:
        gpu_tests()
    agreement(args.steps)
    throughput(40)
    if not args.quick:
        degradation()
    memory_estimates()
    pool_drills()
    return 0


if __name__ == "__main__":
    sys.exit(main())
