"""How long an export takes and how big it is: model.py, ONNX tracing, the zip.

    .venv/bin/python -m bench.bench_export [--nets resnet20 resnet56 resnet50] [--repeats 2]

Prints, per net, the best of a few runs (the machine may be shared) for writing model.py, for
the whole zip with and without model.onnx, and the zip's size: what a click on Build & Train's
"Download as PyTorch (zip)" costs the server when the zip is not cached yet.
"""

from __future__ import annotations

import argparse
import time

import torch

from resnet_core.export import export_config, model_py
from resnet_core.nets.architectures import arch_config


def best_of(repeats: int, fn) -> tuple[float, object]:
    best, value = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nets", nargs="+", default=["resnet20", "resnet56", "resnet50"])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (a web process's share)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    export_config(arch_config("resnet20"))   # the first ONNX trace imports the exporter: not counted
    print(f"{'net':<10} {'model.py':>9} {'zip, no ONNX':>13} {'zip + ONNX':>11} {'zip size':>12}")
    for name in args.nets:
        cfg = arch_config(name)
        t_py, _ = best_of(args.repeats, lambda: model_py(cfg))
        t_plain, _ = best_of(args.repeats, lambda: export_config(cfg, onnx=False).zip_bytes())
        t_onnx, data = best_of(args.repeats, lambda: export_config(cfg).zip_bytes())
        print(f"{name:<10} {1e6 * t_py:>7.0f}us {t_plain:>12.2f}s {t_onnx:>10.2f}s {len(data):>10,} B")


if __name__ == "__main__":
    main()
