"""Starting the training workers: fresh processes against forks of multiprocessing's fork server.

For each way (RESNET_EXPLORER_FORK_WORKERS=0 and the default fork), in a new Python process so
nothing is warm: start a pool of N workers as a server does, and report the wall time until every
worker has said it is ready, the CPU seconds the workers (and the fork server) spent getting there,
their memory (PSS: shared pages counted once), and the wall time to replace one worker that was
killed. Prints one line per way and a JSON summary.

    .venv/bin/python bench/bench_workers.py               # 2 workers
    .venv/bin/python bench/bench_workers.py --workers 4 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ONE = r"""
import json, os, signal, sys, time
from resnet_core.jobs.executors import ProcessPool

CLK = os.sysconf("SC_CLK_TCK")

def cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK

def pss(pid):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("Pss:")) / 1024

def parent(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])

def ready(worker):
    while True:
        msg = worker.conn.recv()
        if msg[0] == "ready":
            return

fork = sys.argv[2] == "fork"
start = time.monotonic()
pool = ProcessPool(int(sys.argv[1]), fork=fork)
pool._starting.join()
for worker in pool._all:
    ready(worker)
started = time.monotonic() - start
pids = pool.pids()
server = parent(pids[0]) if fork else None   # the fork server: its import counts too
procs = pids + ([server] if server else [])
out = {"start_s": started, "cpu_s": sum(cpu(p) for p in procs), "pss_mb": sum(pss(p) for p in procs)}
victim = pool._idle.get()
os.kill(victim.proc.pid, signal.SIGKILL)
victim.proc.wait()
start = time.monotonic()
fresh = pool._replace(victim)
ready(fresh)
out["replace_s"] = time.monotonic() - start
pool._idle.put(fresh)
pool.shutdown()
print(json.dumps(out))
"""


def measure(workers: int, way: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", ONE, str(workers), way], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--ways", nargs="+", default=["fresh", "fork"])
    args = parser.parse_args()
    # The ways take turns, so a machine whose load changes over the minutes weighs on each alike.
    runs = {way: [] for way in args.ways}
    for _ in range(args.repeat):
        for way in args.ways:
            runs[way].append(measure(args.workers, way))
    summary = {}
    for way, measured in runs.items():
        best = {k: min(r[k] for r in measured) for k in measured[0]}
        summary[way] = best
        print(f"{way:10s} {args.workers} workers: ready in {best['start_s']:.2f} s, "
              f"{best['cpu_s']:.1f} s of CPU, {best['pss_mb']:.0f} MB; one replaced in {best['replace_s']:.2f} s")
    print(json.dumps({"workers": args.workers, "cpus": os.cpu_count(), **summary}))


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    main()
