"""`python -m resnet_core experiment degradation` on the local worker pool against one after another.

The CLI sends an experiment's nets through the job runner (resnet_core.cli.backend), so on the
local pool they train side by side, one worker per core. For each round, in fresh processes,
alternating so a loaded machine hurts both alike: the pool (the default) and the runner's own
thread (RESNET_EXPLORER_WORKERS=0: the nets one after another, as the CLI used to run them).
Prints per round the wall time, the sum of the four runs' own seconds, and the ratio, then
medians and a JSON summary.

    .venv/bin/python bench/bench_cli_experiment.py                 # 200 steps (the default), 2 rounds
    .venv/bin/python bench/bench_cli_experiment.py --steps 60 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one(steps: int, workers: str | None) -> dict:
    env = dict(os.environ)
    env.pop("RESNET_EXPLORER_WORKERS", None)
    if workers is not None:
        env["RESNET_EXPLORER_WORKERS"] = workers
    cmd = [sys.executable, "-m", "resnet_core", "experiment", "degradation", "--steps", str(steps),
           "--device", "cpu", "--no-store", "--json"]
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    out = json.loads(done.stdout)
    runs = sum(r["seconds"] for r in out["runs"])
    return {"wall_s": wall, "experiment_s": out["seconds"], "sum_of_runs_s": runs,
            "ratio": out["seconds"] / runs, "statuses": [r["status"] for r in out["runs"]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    ways = {"pool": None, "one after another": "0"}
    results: dict[str, list[dict]] = {name: [] for name in ways}
    for r in range(args.rounds):
        for name, workers in ways.items():
            res = one(args.steps, workers)
            results[name].append(res)
            print(f"round {r + 1} {name:<18} experiment {res['experiment_s']:6.1f} s  sum of runs "
                  f"{res['sum_of_runs_s']:6.1f} s  ratio {res['ratio']:.2f}  (process {res['wall_s']:.1f} s)",
                  flush=True)
    summary = {name: {k: statistics.median(x[k] for x in rows) for k in ("experiment_s", "sum_of_runs_s", "ratio")}
               for name, rows in results.items()}
    summary["pool_vs_one_after_another"] = (summary["pool"]["experiment_s"]
                                            / summary["one after another"]["experiment_s"])
    print(json.dumps({"steps": args.steps, "cores": len(os.sched_getaffinity(0)), "load": os.getloadavg(),
                      "median": summary}))


if __name__ == "__main__":
    main()
