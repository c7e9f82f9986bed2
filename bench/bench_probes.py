"""How long the interactive probes take, and what they measure on fresh nets.

    .venv/bin/python -m bench.bench_probes [--threads 2] [--repeats 3]

Prints the best of a few runs (the machine may be shared) for the gradient probes at depth 110
and for each attribution method on a 32x32 image, then the first-vs-last-layer gradient ratios
behind the Gradient flow page's claims.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from resnet_core import ModelConfig, arch_config, build_model
from resnet_core.inspection.attribution import METHODS, attribute
from resnet_core.inspection.probes import block_gradient_gains, grad_norms_at_init


def best_of(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def first_last(cfg: ModelConfig, seed: int = 0) -> float:
    names, norms = grad_norms_at_init(cfg, seed=seed)
    convs = np.array([n for name, n in zip(names, norms) if "shortcut" not in name and "head" not in name])
    logs = np.log(np.maximum(convs, np.finfo(float).tiny))   # an underflowed 0 stays readable
    return float(np.exp(logs[:3].mean() - logs[-3:].mean()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads, best of {args.repeats}")

    print("\ngradient probes, ResNet-110 family, batch 16 (seconds)")
    for size in (16, 32):
        for residual in (False, True):
            cfg = arch_config("resnet110", input_size=size).replace(residual=residual)
            grad_norms_at_init(cfg)   # warm-up
            t_norms = best_of(args.repeats, lambda: grad_norms_at_init(cfg))
            t_gains = best_of(args.repeats, lambda: block_gradient_gains(cfg))
            print(f"  {cfg.name:>10} {size}x{size}: grad_norms_at_init {t_norms:.2f}  "
                  f"block_gradient_gains {t_gains:.2f}")

    print("\nattribution, ResNet-20 on one 32x32 image (seconds)")
    model = build_model(arch_config("resnet20"))
    image = torch.randn(3, 32, 32)
    for method in METHODS:
        attribute(model, image, method=method)
        print(f"  {method:>22}: {best_of(args.repeats, lambda: attribute(model, image, method=method)):.3f}")

    print("\nfirst-3 / last-3 conv gradient norm at init (geometric means), depth 20/56/110, 16x16")
    settings = [("ReLU, BN (paper)", {}), ("ReLU, no BN", {"norm": "none"}),
                ("sigmoid, no BN", {"norm": "none", "activation": "sigmoid"})]
    for label, change in settings:
        for block in ("basic", "preact"):
            row = []
            for depth in (20, 56, 110):
                cfg = arch_config(f"resnet{depth}", input_size=16, block=block, **change)
                row.append(f"plain {first_last(cfg.replace(residual=False)):.0e} "
                           f"res {first_last(cfg):.0e}")
            print(f"  {label:>16} {block:>6}: " + " | ".join(row))


if __name__ == "__main__":
    main()
