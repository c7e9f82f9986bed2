"""`python -m resnet_core experiment degradation` on the local worker pool against one after another.

The CLI sends an experiment's nets through the job runner (resnet_core.cli.backend), so on the
local pool they train side by side, one worker per core. Each round runs the command twice, in
fresh processes, in turns (the order swaps every round, so a machine shared with others loads
both alike): on the pool (the default), and in the runner's own thread
(RESNET_EXPLORER_WORKERS=0: the nets one after another, as the CLI used to run them).

The reference is the sum of the four runs' own seconds when each trains alone, one after another
(the second command), with the same one intra-op thread and the same priority. The pool's own
runs are not the reference: two of them share the two cores, so each is slower than alone and
their sum would flatter the pool. Printed per command: the experiment's seconds (the command's
own clock, from the first run queued to the last ended), the sum of its runs, the process's wall
time and the load average; per round, the pool's experiment over the reference sum (the
target: at most 0.6) and the pool's process over the other's; then medians and a JSON summary.

    .venv/bin/python bench/bench_cli_experiment.py                 # 200 steps (the default), 2 rounds
    .venv/bin/python bench/bench_cli_experiment.py --steps 100 --rounds 3
    .venv/bin/python bench/bench_cli_experiment.py --dataset mnist --data-dir /path/with/MNIST
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


def one(steps: int, workers: str | None, dataset: str, data_dir: str) -> dict:
    env = dict(os.environ)
    env.pop("RESNET_EXPLORER_WORKERS", None)
    if workers is not None:
        env["RESNET_EXPLORER_WORKERS"] = workers
    cmd = [sys.executable, "-m", "resnet_core", "experiment", "degradation", "--steps", str(steps),
           "--device", "cpu", "--no-store", "--json", "--dataset", dataset]
    if data_dir:
        cmd += ["--data-dir", data_dir]
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    out = json.loads(done.stdout)
    runs = sum(r["seconds"] for r in out["runs"])
    return {"wall_s": wall, "experiment_s": out["seconds"], "sum_of_runs_s": runs,
            "load": os.getloadavg()[0], "statuses": [r["status"] for r in out["runs"]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--data-dir", default="")
    args = parser.parse_args()
    ways = [("pool", None), ("one after another", "0")]
    rounds = []
    for r in range(args.rounds):
        got = {}
        for name, workers in (ways if r % 2 == 0 else ways[::-1]):
            res = got[name] = one(args.steps, workers, args.dataset, args.data_dir)
            print(f"round {r + 1} {name:<18} experiment {res['experiment_s']:6.1f} s  sum of runs "
                  f"{res['sum_of_runs_s']:6.1f} s  process {res['wall_s']:6.1f} s  load {res['load']:4.1f}  "
                  f"{'/'.join(sorted(set(res['statuses'])))}", flush=True)
        pool, alone = got["pool"], got["one after another"]
        got["ratio"] = pool["experiment_s"] / alone["sum_of_runs_s"]
        got["process_ratio"] = pool["wall_s"] / alone["wall_s"]
        print(f"round {r + 1} pool experiment / sum of the runs alone {got['ratio']:.2f}; "
              f"process / process {got['process_ratio']:.2f}", flush=True)
        rounds.append(got)
    med = lambda key, sub=None: statistics.median(g[key] if sub is None else g[key][sub] for g in rounds)  # noqa: E731
    summary = {"ratio": med("ratio"), "process_ratio": med("process_ratio"),
               **{name: {k: med(name, k) for k in ("experiment_s", "sum_of_runs_s", "wall_s", "load")}
                  for name, _ in ways}}
    print(json.dumps({"steps": args.steps, "dataset": args.dataset, "cores": len(os.sched_getaffinity(0)),
                      "load": os.getloadavg(), "median": summary}))


if __name__ == "__main__":
    main()
