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

Before the rounds and after them it prints how many cores this session gets: the CPU seconds one
busy process, then two, get per second of wall time. Where the kernel shares the CPU between
sessions (sched_autogroup, /proc/sys/kernel/sched_autogroup_enabled) and other sessions keep the
machine busy, two processes get no more than one, and no pool can beat one after another there.

    .venv/bin/python bench/bench_cli_experiment.py                 # 200 steps (the default), 2 rounds
    .venv/bin/python bench/bench_cli_experiment.py --steps 100 --rounds 3
    .venv/bin/python bench/bench_cli_experiment.py --dataset mnist --data-dir /path/with/MNIST
    .venv/bin/python bench/bench_cli_experiment.py --cpu       # CPU seconds instead, in this process

With --cpu it counts CPU seconds, which a busy machine does not stretch: the same four nets on a
pool of two workers (each worker's share, and the fork server's imports), then one after another
in this process. The larger worker's share over the one-after-another total is the ratio two
free cores would give.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _spin(seconds: float, out) -> None:
    end, started = time.monotonic() + seconds, time.process_time()
    while time.monotonic() < end:
        pass
    out.put(time.process_time() - started)


def cores_got(seconds: float = 2.0) -> tuple[float, float]:
    """CPU seconds per wall second that one busy process gets here, then two together."""
    got = []
    for n in (1, 2):
        out = multiprocessing.Queue()
        procs = [multiprocessing.Process(target=_spin, args=(seconds, out)) for _ in range(n)]
        for proc in procs:
            proc.start()
        got.append(sum(out.get() for _ in procs) / seconds)
        for proc in procs:
            proc.join()
    return got[0], got[1]


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


def _cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(steps: int, dataset: str, data_dir: str) -> dict:
    """The degradation nets' CPU seconds on a pool of two forked workers, and one after another."""
    import tempfile

    sys.path.insert(0, str(ROOT))
    from resnet_core.jobs.executors import ProcessPool
    from resnet_core.jobs.runner import JobRunner
    from resnet_core.store.runs import RunStore
    from resnet_core.training.engine import train
    from resnet_core.training.experiments import degradation_configs

    runs = degradation_configs(dataset, steps=steps, device="cpu", data_dir=data_dir)
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        store = RunStore(f"{tmp}/runs.db")
        pool = ProcessPool(2, nice=0)
        runner = JobRunner(store, max_queue=len(runs), per_owner=len(runs), executor=pool)
        pids = pool.pids()
        server = int(Path(f"/proc/{pids[0]}/stat").read_text().rsplit(")", 1)[1].split()[1])
        before = {pid: _cpu_of(pid) for pid in pids}
        for run_id in runner.submit_many(runs):
            runner.wait(run_id)
        workers = sorted(_cpu_of(pid) - before[pid] for pid in pids)
        forkserver = _cpu_of(server)
        runner.shutdown()
        store.close()
    import torch._dynamo  # noqa: F401  (the workers had it preloaded)

    alone = []
    for _, model_cfg, train_cfg in runs:
        started = time.process_time()
        train(model_cfg, train_cfg)
        alone.append(time.process_time() - started)
    return {"pool_workers_cpu_s": workers, "fork_server_cpu_s": forkserver, "alone_cpu_s": alone,
            "ratio_on_two_free_cores": max(workers) / sum(alone), "load": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--cpu", action="store_true", help="CPU seconds instead of wall time")
    args = parser.parse_args()
    if args.cpu:
        got = cpu_seconds(args.steps, args.dataset, args.data_dir)
        print(f"pool of two: workers {got['pool_workers_cpu_s'][0]:.1f} and {got['pool_workers_cpu_s'][1]:.1f} "
              f"CPU s (fork server's imports {got['fork_server_cpu_s']:.1f}); one after another "
              f"{sum(got['alone_cpu_s']):.1f} CPU s ({', '.join(f'{c:.1f}' for c in got['alone_cpu_s'])}); "
              f"larger worker / one after another {got['ratio_on_two_free_cores']:.2f}  (load {got['load']:.1f})")
        print(json.dumps({"steps": args.steps, "dataset": args.dataset, **got}))
        return
    ways = [("pool", None), ("one after another", "0")]
    before = cores_got()
    print(f"cores this session gets: one process {before[0]:.2f}, two processes {before[1]:.2f} "
          f"(load {os.getloadavg()[0]:.1f})", flush=True)
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
    after = cores_got()
    print(f"cores this session gets: one process {after[0]:.2f}, two processes {after[1]:.2f} "
          f"(load {os.getloadavg()[0]:.1f})", flush=True)
    med = lambda key, sub=None: statistics.median(g[key] if sub is None else g[key][sub] for g in rounds)  # noqa: E731
    summary = {"ratio": med("ratio"), "process_ratio": med("process_ratio"),
               **{name: {k: med(name, k) for k in ("experiment_s", "sum_of_runs_s", "wall_s", "load")}
                  for name, _ in ways}}
    print(json.dumps({"steps": args.steps, "dataset": args.dataset, "cores": len(os.sched_getaffinity(0)),
                      "cores_got": {"before": before, "after": after}, "load": os.getloadavg(), "median": summary}))


if __name__ == "__main__":
    main()
