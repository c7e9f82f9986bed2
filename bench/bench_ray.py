"""What the Ray backend adds per run against the local worker pool, on this machine.

    .venv/bin/python bench/bench_ray.py [--steps 200] [--runs 3]

Prints: start-up (Ray's local instance, a cold worker's first run against a warm one, the local
pool's worker start), the wall time of the same run on both backends with warm workers, how far
behind the worker the store's newest step is while the run trains (the metric stream), and the
checkpoint's way home (safetensors bytes through Ray, written by the app) against the local
pool's direct write. Both backends train the same net with the same seed; the losses must match.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from resnet_core.jobs.executors import ProcessPool  # noqa: E402
from resnet_core.jobs.runner import JobRunner  # noqa: E402
from resnet_core.store.runs import RunStore  # noqa: E402
from resnet_core.training.experiments import degradation_configs  # noqa: E402


def one_run(runner: JobRunner, store: RunStore, run, lags: list | None = None) -> tuple[float, float]:
    """(wall seconds from submit to end, final train loss); with `lags`, samples of how far the
    store's newest step trails the worker while it trains."""
    label, model_cfg, train_cfg = run
    t0 = time.perf_counter()
    run_id = runner.submit(model_cfg, train_cfg, label=label)
    stop = threading.Event()

    def watch() -> None:
        # The worker stamps each step with seconds since its loop began; the store's `started`
        # is stamped just before the loop. Newest stored step vs. now = how far behind we are.
        while not stop.is_set():
            info = store.get_run(run_id)
            cols = store.steps(run_id, since_step=max(0, info.steps_done - 1))
            if info.started and cols.seconds:
                lags.append(time.time() - (info.started + cols.seconds[-1]))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True) if lags is not None else None
    if watcher:
        watcher.start()
    status = runner.wait(run_id, 600)
    stop.set()
    if watcher:
        watcher.join()
    assert status == "finished", (status, store.get_run(run_id).error)
    return time.perf_counter() - t0, store.get_run(run_id).final_train_loss


def backend(name: str, runner: JobRunner, store: RunStore, run, runs: int) -> dict:
    cold, loss = one_run(runner, store, run)
    walls, lags = [], []
    for _ in range(runs):
        wall, again = one_run(runner, store, run, lags)
        assert again == loss, "the same seed gave another loss"
        walls.append(wall)
    lags = lags[len(lags) // 10:] or [float("nan")]   # skip the first samples, before a flush
    return {"name": name, "cold": cold, "warm": statistics.median(walls), "loss": loss,
            "lag_median": statistics.median(lags), "lag_max": max(lags)}


def checkpoint_cost(store: RunStore, model_cfg, train_cfg) -> dict:
    """A bigger net's checkpoint: the local pool's direct write against bytes through Ray."""
    import ray

    from resnet_core.store.checkpoints import weights_bytes
    from resnet_core.training.engine import build_seeded

    model = build_seeded(model_cfg, 0)
    run_id = store.create_run(model_cfg, train_cfg, label="checkpoint")
    t0 = time.perf_counter()
    store.save_checkpoint(run_id, model)
    local = time.perf_counter() - t0

    @ray.remote(num_cpus=1)
    def serialise(m):
        return weights_bytes(m)

    ray.get(serialise.remote(model))   # a warm worker, as a trained run's actor is
    t0 = time.perf_counter()
    data = ray.get(serialise.remote(model))
    shipped = time.perf_counter() - t0
    t0 = time.perf_counter()
    store.save_checkpoint_bytes(run_id, data)
    written = time.perf_counter() - t0
    return {"mb": len(data) / 1e6, "local": local, "ray_bytes": shipped, "app_write": written}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3, help="warm runs per backend")
    args = ap.parse_args()
    run = degradation_configs("digits", steps=args.steps, device="cpu")[2]   # ResNet-20, width 8
    print(f"{run[0]} on digits, {args.steps} steps, CPU; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        store = RunStore(Path(tmp) / "runs.db")
        t0 = time.perf_counter()
        local = JobRunner(store, executor=ProcessPool(1))
        local_start = time.perf_counter() - t0
        try:
            rows = [backend("local pool", local, store, run, args.runs)]
        finally:
            local.shutdown()

        import ray

        from resnet_core.jobs.ray_executor import RayExecutor

        t0 = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        ray_start = time.perf_counter() - t0
        on_ray = JobRunner(store, executor=RayExecutor())
        try:
            rows.append(backend("Ray", on_ray, store, run, args.runs))
            big = degradation_configs("digits", steps=1, device="cpu")[3]
            ckpt = checkpoint_cost(store, big[1].replace(base_width=64), big[2])
        finally:
            on_ray.shutdown()
            ray.shutdown()
    print(f"start-up: Ray's local instance {ray_start:.1f} s; local pool object {local_start:.2f} s "
          f"(its worker imports torch in the background)")
    print(f"{'backend':<11} {'first run':>9} {'warm run':>9} {'stream lag median/max':>22}  final loss")
    for r in rows:
        print(f"{r['name']:<11} {r['cold']:8.2f}s {r['warm']:8.2f}s {r['lag_median']:9.2f}s /{r['lag_max']:5.2f}s"
              f"   {r['loss']:.6f}")
    lo, ra = rows
    print(f"Ray adds per run: {ra['warm'] - lo['warm']:+.2f} s warm, {ra['cold'] - lo['cold']:+.2f} s for a "
          f"cold worker; same loss: {lo['loss'] == ra['loss']}")
    print(f"checkpoint of a ResNet-56 of width 64 ({ckpt['mb']:.1f} MB): local write {ckpt['local']:.3f} s; "
          f"Ray: serialise and ship {ckpt['ray_bytes']:.3f} s + app writes the bytes {ckpt['app_write']:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
