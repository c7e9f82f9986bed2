"""Does the app stay responsive for a class on one server while training runs?

    .venv/bin/python bench/bench_classroom.py [--readers 60] [--steps 200] [--jobs 0]

A JobRunner on a temporary RunStore trains a realistic load (by default the degradation
experiment: plain-20/56 and ResNet-20/56 on digits; with --jobs N, N copies of ResNet-20) while
K reader threads each play one student's live chart: every 0.75 s (ui/runs.POLL_SECONDS) one
refresh reads what the Runs page's fragment reads, uncached (read(..., fresh=True)):
list_runs, then for each run of the group get_run + steps(max_points=300) + evals, and the
gradient-norm heatmap of the run training now, grad_norms(max_steps=150).

The same training is run first with no readers, then with K, each on a fresh store, and the
script prints (no asserts): reads/s and refreshes/s served, latency p50/p95/max per read and per
refresh, how many refreshes came late (took longer than the 0.75 s tick), training steps/s and
wall time with and without readers, and the runs queued and finished.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from resnet_core import experiments  # noqa: E402
from resnet_core.jobs import JobRunner  # noqa: E402
from resnet_core.store import TERMINAL, RunStore  # noqa: E402

TICK = 0.75   # ui/runs.POLL_SECONDS
MAX_POINTS, MAX_GRAD_STEPS = 300, 150   # ui/runs.MAX_POINTS, ui/runs.grads' default


def load(steps: int, jobs: int):
    if jobs:   # N small, identical runs, as if N students each queued one
        label, model_cfg, train_cfg = experiments.degradation_configs(steps=steps)[2]
        return [(f"{label} #{i + 1}", model_cfg, train_cfg.replace(seed=i)) for i in range(jobs)]
    return experiments.degradation_configs(steps=steps)


def student(store: RunStore, ids: list[int], stop: threading.Event, reads: list, refreshes: list) -> None:
    """One student's browser tab: a refresh every TICK seconds until training ends."""
    time.sleep(random.uniform(0, TICK))   # students do not all click at the same instant
    while not stop.is_set():
        t0 = time.perf_counter()

        def timed(fn, *args, **kw):
            t = time.perf_counter()
            out = fn(*args, **kw)
            reads.append(time.perf_counter() - t)
            return out

        timed(store.list_runs, limit=100)
        infos = [timed(store.get_run, rid) for rid in ids]
        for rid in ids:
            timed(store.steps, rid, max_points=MAX_POINTS)
            timed(store.evals, rid)
        live = next((i.id for i in infos if i.status == "running"), ids[-1])
        timed(store.grad_norms, live, max_steps=MAX_GRAD_STEPS)
        took = time.perf_counter() - t0
        refreshes.append(took)
        stop.wait(max(0.0, TICK - took))
    store.close()


def session(readers: int, steps: int, jobs: int) -> dict:
    """Train the load once with `readers` students watching; figures of that pass."""
    with tempfile.TemporaryDirectory() as tmp:
        store = RunStore(Path(tmp) / "runs.db")
        runner = JobRunner(store, device="cpu")
        runs = load(steps, jobs)
        stop, reads, refreshes = threading.Event(), [], []
        t0 = time.perf_counter()
        ids = runner.submit_many(runs, owner="teacher", group="classroom")
        threads = [threading.Thread(target=student, args=(store, ids, stop, reads, refreshes), daemon=True)
                   for _ in range(readers)]
        for t in threads:
            t.start()
        for rid in ids:
            runner.wait(rid)
        wall = time.perf_counter() - t0
        stop.set()
        for t in threads:
            t.join()
        infos = [store.get_run(rid) for rid in ids]
        runner.shutdown()
        store.close()
    return dict(readers=readers, wall=wall, queued=len(ids),
                finished=sum(i.status == "finished" for i in infos),
                ended=sum(i.status in TERMINAL for i in infos),
                steps=sum(i.steps_done for i in infos), train_s=sum(i.seconds or 0 for i in infos),
                reads=reads, refreshes=refreshes)


def ms(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    if q >= 1:
        return 1000 * max(xs)
    return 1000 * statistics.quantiles(xs, n=100, method="inclusive")[round(q * 100) - 1]


def report(r: dict) -> None:
    print(f"  runs queued {r['queued']}, finished {r['finished']} (ended {r['ended']}); "
          f"{r['steps']} steps in {r['wall']:.1f} s wall = {r['steps'] / r['wall']:.1f} steps/s "
          f"(runs' own training time {r['train_s']:.1f} s)")
    if r["readers"]:
        reads, refr = r["reads"], r["refreshes"]
        late = sum(x > TICK for x in refr)
        print(f"  served {len(reads) / r['wall']:.0f} reads/s, {len(refr) / r['wall']:.1f} refreshes/s "
              f"(ideal {r['readers'] / TICK:.1f}); {len(reads)} reads, {len(refr)} refreshes")
        print(f"  read latency    p50 {ms(reads, .5):7.2f} ms  p95 {ms(reads, .95):7.2f} ms  "
              f"max {ms(reads, 1):7.2f} ms")
        print(f"  refresh latency p50 {ms(refr, .5):7.2f} ms  p95 {ms(refr, .95):7.2f} ms  "
              f"max {ms(refr, 1):7.2f} ms; {late} of {len(refr)} ({100 * late / max(1, len(refr)):.1f}%) "
              f"longer than the {TICK} s tick")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--readers", type=int, default=60, help="students watching live charts (default 60)")
    ap.add_argument("--steps", type=int, default=200, help="steps per run (default 200, the recipe's)")
    ap.add_argument("--jobs", type=int, default=0, help="N small ResNet-20 runs instead of the degradation four")
    args = ap.parse_args()
    what = f"{args.jobs} x ResNet-20" if args.jobs else "degradation experiment (4 nets)"
    print(f"load: {what}, {args.steps} steps each, digits, CPU; refresh every {TICK} s, uncached")
    session(0, 5, 1)   # warm-up: imports, dataset load, first allocations out of the figures
    base = session(0, args.steps, args.jobs)
    print("without readers:")
    report(base)
    busy = session(args.readers, args.steps, args.jobs)
    print(f"with {args.readers} readers:")
    report(busy)
    print(f"training slowdown with {args.readers} readers: "
          f"{busy['wall'] / base['wall']:.2f}x wall time "
          f"({base['steps'] / base['wall']:.1f} -> {busy['steps'] / busy['wall']:.1f} steps/s)")


if __name__ == "__main__":
    main()
