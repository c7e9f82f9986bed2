"""What taking the gradient norms in float64 costs a training step: the float64 copy of each
gradient (as the recorder did before) against `recorders.l2_norms` (torch._foreach_norm with
dtype=float64, no copy).

    .venv/bin/python bench/bench_grad_norms.py [--steps 40] [--rounds 3]

Prints (no asserts), on the CPU with the engine's one thread, for ResNet-20 and plain-56 on 16x16
digits, batch 32:
  1. the norms alone, median microseconds per call, each way, the two ways taking turns;
  2. a whole training step through `engine.train`, median milliseconds, each way, by the training
     thread's own CPU time (which other processes on a busy machine do not inflate) and by the
     wall clock. The two ways run in alternating rounds so that a busy spell hits both.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from resnet_core import TrainConfig, arch_config, build_model  # noqa: E402
from resnet_core.training import engine  # noqa: E402
from resnet_core.training.recorders import GradNormRecorder, l2_norms  # noqa: E402
from resnet_core.training.sinks import MemorySink  # noqa: E402

ARCHS = ("resnet20", "plain56")
SIZE, BATCH = 16, 32


def copied(tensors) -> torch.Tensor:
    """The norms as the recorder took them before: a float64 copy of each whole tensor."""
    return torch.stack(torch._foreach_norm([t.double() for t in tensors]))


WAYS = {"float64 copies": copied, "l2_norms (dtype=)": l2_norms}


def model_cfg(arch: str):
    return arch_config(arch, input_size=SIZE, in_channels=1)


def norms_alone(arch: str, repeats: int = 3000) -> dict[str, float]:
    """Median thread CPU seconds of one call each way, the ways taking turns call by call (so a
    busy spell on a shared machine hits both alike)."""
    model = build_model(model_cfg(arch))
    x = torch.randn(BATCH, 1, SIZE, SIZE)
    F.cross_entropy(model(x), torch.zeros(BATCH, dtype=torch.long)).backward()
    grads = [w.grad for w in GradNormRecorder(model).weights]
    times: dict[str, list[int]] = {name: [] for name in WAYS}
    order = list(WAYS.items())
    for i in range(repeats):
        for name, fn in (order if i % 2 else order[::-1]):
            t = time.thread_time_ns()
            fn(grads)
            times[name].append(time.thread_time_ns() - t)
    return {name: statistics.median(ns) / 1e9 for name, ns in times.items()}


def step_times(arch: str, fn, steps: int) -> tuple[list[float], list[float]]:
    """(wall, thread CPU) seconds of each step after 5 warm-up steps, norms taken by `fn`."""
    walls, cpus, last = [], [], []

    class Timed(MemorySink):
        def step(self, rec):
            now = (time.perf_counter(), time.thread_time())
            if last and rec.step > 5:
                walls.append(now[0] - last[0][0])
                cpus.append(now[1] - last[0][1])
            last[:] = [now]

    train_cfg = TrainConfig(dataset="digits", steps=steps + 5, batch_size=BATCH, augment=True,
                            eval_every=10_000, stats_every=10_000, device="cpu")
    saved = GradNormRecorder.record
    GradNormRecorder.record = lambda self: fn([w.grad for w in self.weights]).float()
    try:
        engine.train(model_cfg(arch), train_cfg, sink=Timed())
    finally:
        GradNormRecorder.record = saved
    return walls, cpus


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, CPU, one thread, {SIZE}x{SIZE} digits, batch {BATCH}")
    for arch in ARCHS:
        alone = norms_alone(arch)
        print(f"\n{arch}: the norms alone: " + ", ".join(f"{n} {s * 1e6:.0f} us" for n, s in alone.items()))
        walls = {name: [] for name in WAYS}
        cpus = {name: [] for name in WAYS}
        for _ in range(args.rounds):
            for name, fn in WAYS.items():
                w, c = step_times(arch, fn, args.steps)
                walls[name] += w
                cpus[name] += c
        for name in WAYS:
            print(f"  step, {name:>18}: {statistics.median(cpus[name]) * 1e3:7.2f} ms thread CPU, "
                  f"{statistics.median(walls[name]) * 1e3:7.2f} ms wall "
                  f"({len(cpus[name])} steps)")


if __name__ == "__main__":
    main()
