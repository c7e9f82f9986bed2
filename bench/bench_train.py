"""Training speed of the engine, and what its per-layer gradient-norm recorder costs.

    .venv/bin/python bench/bench_train.py [--steps 60] [--degradation]

Prints (no asserts):
  1. training images/s of ResNet-20 and ResNet-56 through `engine.train`, on the CPU (and the GPU
     when there is one), at the degradation recipe's size (8x8, width 8, batch 64) and at the
     paper's CIFAR size (32x32, width 16, batch 128);
  2. the recorder's overhead as a share of step time (targets: under 5% on the CPU, 2% on a GPU),
     measured by running the same engine with the recorder replaced by an empty tensor;
  3. one CPU thread against two (the engine uses one; see settings.cpu_threads);
  4. on a GPU: bf16 autocast + channels_last (+ torch.compile) against plain fp32;
  5. with --degradation: the whole degradation experiment, timed.

On the CPU each step's cost is also read as the training thread's own CPU time, which other
processes on a busy machine do not inflate; wall-clock figures are printed beside it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from resnet_core import TrainConfig, arch_config, build_model, settings  # noqa: E402
from resnet_core.training import engine  # noqa: E402
from resnet_core.training.recorders import GradNormRecorder  # noqa: E402
from resnet_core.training.sinks import MemorySink  # noqa: E402

SIZES = {"recipe": dict(input_size=8, base_width=8, batch=64),
         "paper": dict(input_size=32, base_width=16, batch=128)}


def step_times(arch: str, size: str, device: str, steps: int, record: bool = True,
               threads: int | None = None) -> tuple[float, float]:
    """Median (wall, thread CPU) seconds per step of `engine.train`, after 5 warm-up steps."""
    spec = SIZES[size]
    model_cfg = arch_config(arch, base_width=spec["base_width"], input_size=spec["input_size"],
                            in_channels=1 if size == "recipe" else 3)
    train_cfg = TrainConfig(dataset="digits", steps=steps + 5, batch_size=spec["batch"], augment=True,
                            eval_every=10_000, stats_every=10_000, device=device)
    walls, cpus, last = [], [], []

    class Timed(MemorySink):
        def step(self, rec):
            on_step(rec)

    def on_step(rec):
        now = (time.perf_counter(), time.thread_time())
        if last and rec.step > 5:
            walls.append(now[0] - last[0][0])
            cpus.append(now[1] - last[0][1])
        last[:] = [now]

    saved_record, saved_threads = GradNormRecorder.record, os.environ.get("RESNET_EXPLORER_CPU_THREADS")
    try:
        if not record:
            GradNormRecorder.record = lambda self: torch.zeros(0, device=self.weights[0].device)
        if threads:
            os.environ["RESNET_EXPLORER_CPU_THREADS"] = str(threads)
        engine.train(model_cfg, train_cfg, sink=Timed())
    finally:
        GradNormRecorder.record = saved_record
        if saved_threads is None:
            os.environ.pop("RESNET_EXPLORER_CPU_THREADS", None)
        else:
            os.environ["RESNET_EXPLORER_CPU_THREADS"] = saved_threads
    return statistics.median(walls), statistics.median(cpus)


def throughput(device: str, steps: int) -> None:
    print(f"\n== training images/s through engine.train on {device} "
          f"({torch.get_num_threads()} threads available, engine uses {settings.cpu_threads()} on the CPU) ==")
    for size, spec in SIZES.items():
        for arch in ("resnet20", "resnet56"):
            wall, cpu = step_times(arch, size, device, steps)
            cpu_part = f"  |  by thread CPU time {spec['batch'] / cpu:8.0f} img/s" if device == "cpu" else ""
            print(f"{arch:>9} {size:>6} ({spec['input_size']}x{spec['input_size']}, width {spec['base_width']}, "
                  f"batch {spec['batch']}): {wall * 1e3:7.2f} ms/step  {spec['batch'] / wall:8.0f} img/s{cpu_part}")


def recorder_cost(arch: str, size: str, device: str, repeats: int = 200) -> float:
    """Seconds the recorder adds to a step: foreach norms + stack + the longer host copy, against
    copying the loss and accuracy alone (what a step without it would still do)."""
    spec = SIZES[size]
    channels = 1 if size == "recipe" else 3
    model = build_model(arch_config(arch, base_width=spec["base_width"], input_size=spec["input_size"],
                                    in_channels=channels)).to(device)
    x = torch.randn(spec["batch"], channels, spec["input_size"], spec["input_size"], device=device)
    loss = F.cross_entropy(model(x), torch.zeros(spec["batch"], dtype=torch.long, device=device))
    loss.backward()
    rec, pair = GradNormRecorder(model), torch.zeros(2, device=device)

    def timed(fn) -> float:
        for _ in range(10):
            fn()
        t = time.perf_counter()
        for _ in range(repeats):
            fn()
        return (time.perf_counter() - t) / repeats

    with_rec = timed(lambda: torch.cat([pair, rec.record()]).tolist())
    return with_rec - timed(lambda: pair.tolist())


def alternating(arch: str, size: str, device: str, steps: int) -> tuple[float, float]:
    """Median step seconds (with, without) the recorder, the engine's step replayed by hand."""
    spec = SIZES[size]
    channels = 1 if size == "recipe" else 3
    dev = torch.device(device)
    model = build_model(arch_config(arch, base_width=spec["base_width"], input_size=spec["input_size"],
                                    in_channels=channels)).to(dev).to(memory_format=torch.channels_last)
    opt = engine.make_optimizer(model, TrainConfig())
    rec = GradNormRecorder(model)
    x = torch.randn(spec["batch"], channels, spec["input_size"], spec["input_size"], device=dev)
    x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (spec["batch"],), device=dev)
    clock = time.thread_time if device == "cpu" else time.perf_counter
    times: dict[bool, list[float]] = {True: [], False: []}
    with engine.cpu_threads(dev):
        for i in range(steps + 10):
            use = i % 2 == 0
            if device != "cpu":
                torch.cuda.synchronize()
            t = clock()
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=device != "cpu"):
                logits = model(x).float()
                loss = F.cross_entropy(logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            parts = [loss.detach().view(1), (logits.detach().argmax(1) == y).float().mean().view(1)]
            if use:
                parts.append(rec.record())
            opt.step()
            torch.cat(parts).tolist()
            if i >= 10:
                times[use].append(clock() - t)
    return statistics.median(times[True]), statistics.median(times[False])


def recorder_overhead(device: str, steps: int, repeats: int = 3) -> None:
    target = 5 if device == "cpu" else 2
    print(f"\n== gradient-norm recorder overhead on {device} (target: under {target}% of a step) ==")
    for size in SIZES:
        for arch in ("resnet20", "resnet56"):
            wall, cpu = step_times(arch, size, device, steps)
            step = cpu if device == "cpu" else wall
            cost = recorder_cost(arch, size, device)
            layers = len(GradNormRecorder(build_model(arch_config(arch))).names)
            print(f"{arch:>9} {size:>6}: step {step * 1e3:7.2f} ms, recorder {cost * 1e6:6.1f} us for "
                  f"{layers} layers = {100 * cost / step:4.2f}% of a step")
    # Cross-check: the engine's step with and without the recorder on alternate steps of one
    # loop, so both sides share the machine's state; medians of each side.
    for arch in ("resnet20", "resnet56"):
        a, b = alternating(arch, "recipe", device, 2 * steps)
        print(f"{arch:>9} recipe, alternate steps: {b * 1e3:7.2f} ms without the recorder, {a * 1e3:7.2f} "
              f"with: {100 * (a - b) / b:+5.1f}%")
    # The naive loop the recorder replaces: one .norm() and one host sync per layer.
    model = build_model(arch_config("resnet56")).to(device)
    F.cross_entropy(model(torch.randn(8, 3, 32, 32, device=device)),
                    torch.zeros(8, dtype=torch.long, device=device)).backward()
    rec = GradNormRecorder(model)
    for name, fn in (("foreach, one copy", lambda: rec.record().tolist()),
                     ("naive loop, a sync per layer", lambda: [w.grad.norm().item() for w in rec.weights])):
        fn()
        t = time.perf_counter()
        for _ in range(50):
            fn()
        print(f"    resnet56 recorder, {name}: {(time.perf_counter() - t) / 50 * 1e6:8.1f} us")


def threads_compare(steps: int) -> None:
    print("\n== CPU threads: one against two (wall clock; a busy machine punishes two) ==")
    for size in SIZES:
        for arch in ("resnet20", "resnet56"):
            one = step_times(arch, size, "cpu", steps, threads=1)[0]
            two = step_times(arch, size, "cpu", steps, threads=2)[0]
            print(f"{arch:>9} {size:>6}: 1 thread {one * 1e3:7.2f} ms/step, 2 threads {two * 1e3:7.2f} ms/step")


def gpu_precision(steps: int) -> None:
    print("\n== GPU: fp32 against TF32 and bf16 autocast + channels_last (+ torch.compile), ResNet-56 paper size ==")
    x = torch.randn(128, 3, 32, 32, device="cuda")
    y = torch.randint(0, 10, (128,), device="cuda")
    # The first row is true fp32: cuDNN's convolutions default to TF32 on Ampere and newer.
    for name, tf32, bf16, cl, comp in (("fp32 (no TF32), NCHW", False, False, False, False),
                                       ("TF32, channels_last", True, False, True, False),
                                       ("bf16 + channels_last", True, True, True, False),
                                       ("bf16 + channels_last + compile", True, True, True, True)):
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = tf32
        model = build_model(arch_config("resnet56")).cuda()
        xs = x
        if cl:
            model, xs = model.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
        fwd = torch.compile(model) if comp else model
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4, foreach=True)
        times = []
        for i in range(steps + 10):
            torch.cuda.synchronize()
            t = time.perf_counter()
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=bf16):
                loss = F.cross_entropy(fwd(xs).float(), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            torch.cuda.synchronize()
            if i >= 10:
                times.append(time.perf_counter() - t)
        med = statistics.median(times)
        print(f"  {name:<32} {med * 1e3:7.2f} ms/step  {128 / med:9.0f} img/s")
    torch.backends.cudnn.allow_tf32 = True   # cuDNN's default again
    torch.backends.cuda.matmul.allow_tf32 = False


def degradation(device: str = "cpu") -> None:
    from resnet_core.inspection.readings import degradation_verdict
    from resnet_core.training.experiments import run_degradation

    print(f"\n== degradation experiment (4 nets, digits, {device}) ==")
    start = time.perf_counter()
    rows = run_degradation(device=device)
    for r in rows:
        print(f"  {r.name:<10} loss {r.final_train_loss:.4f}  {r.seconds:5.1f} s")
    verdict = degradation_verdict(rows)
    print(f"  total {time.perf_counter() - start:.1f} s; {verdict['summary'] if verdict else 'no verdict'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=40, help="timed steps per measurement (default 40)")
    parser.add_argument("--degradation", action="store_true", help="also time the degradation experiment")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, "
          f"GPU: {torch.cuda.get_device_name() if torch.cuda.is_available() else 'none'}")
    throughput("cpu", args.steps)
    recorder_overhead("cpu", args.steps)
    threads_compare(args.steps)
    if torch.cuda.is_available():
        throughput("cuda", args.steps)
        recorder_overhead("cuda", args.steps)
        gpu_precision(args.steps)
    if args.degradation:
        degradation()


if __name__ == "__main__":
    main()
