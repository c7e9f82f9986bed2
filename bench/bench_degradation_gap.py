"""How the degradation gap depends on run length and width: plain-56's final training error
against plain-20's, for several step counts and seeds, with the Degradation page's recipe.

    .venv/bin/python bench/bench_degradation_gap.py [--steps 300 1200 2400] [--seeds 0 1 2] [--width 8]

Prints one line per (steps, seed) and a median per step count (no asserts). The paper's Figure 6
puts plain-56 a few points of training error above plain-20 after 64k iterations; a run of a few
hundred steps stops while plain-56 is still in its slow early phase, so the gap is far wider.
Measured on this machine (digits, seed 0): width 8, 57.6 points after 300 steps, 51.0 after 1,200,
51.5 after 2,400; width 16 (the paper's), 21.7 after 1,200 (experiments.DEGRADATION_LONG_STEPS).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from resnet_core.training import experiments  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, nargs="+", default=[300, 1200, 2400])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--dataset", default="digits")
    ap.add_argument("--width", type=int, default=8, help="channels of the first stage (the page uses 8)")
    args = ap.parse_args()
    for steps in args.steps:
        gaps = []
        for seed in args.seeds:
            t0 = time.perf_counter()
            rows = experiments.run_degradation(args.dataset, steps=steps, seed=seed, device="cpu", width=args.width)
            err = {r.name: 100 * (1 - r.final_train_acc) for r in rows}
            gap = err["plain-56"] - err["plain-20"]
            gaps.append(gap)
            print(f"steps {steps:5d} seed {seed}: training error %  " +
                  "  ".join(f"{n} {e:5.1f}" for n, e in err.items()) +
                  f"  | plain-56 - plain-20 = {gap:5.1f} points  ({time.perf_counter() - t0:.0f} s)", flush=True)
        print(f"steps {steps:5d}: median gap {statistics.median(gaps):.1f} points over {len(gaps)} seeds", flush=True)


if __name__ == "__main__":
    main()
