"""Where the CLI's `train` and `experiment` runs train: `--backend local|ray [--ray-address ADDR]`.

Either way the runs go through the job runner (resnet_core.jobs.runner), the app's own path;
only the executor differs. local (the default) trains in this machine's worker processes, one per
core, so an experiment's nets train side by side as they do in the app. ray hands them to a
RayExecutor: the Ray workers stream their metrics back and this process writes the store. Without
--ray-address a local Ray instance is started for the command (so it works on one laptop) and
stopped at its end. The engine and the seed are the same either way, so on the CPU both backends
give the same losses.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from contextlib import contextmanager
from typing import Callable, Iterator

from resnet_core import settings

BACKENDS = ("local", "ray")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", choices=BACKENDS, default="local",
                   help="local: train in this machine's worker processes (default); ray: on a Ray cluster")
    p.add_argument("--ray-address", default="", metavar="ADDR",
                   help="with --backend ray: auto (this machine's cluster) or ray://host:10001; "
                        "default: start a local Ray instance for this command")


@contextmanager
def job_runner(args: argparse.Namespace, store, queue: int) -> Iterator:
    """A JobRunner on `store` whose jobs run on `--backend`'s executor (local worker processes, or
    Ray); stopped (runs and all) on the way out."""
    from resnet_core.jobs.runner import JobRunner

    if args.backend == "ray":
        from resnet_core.jobs.ray_executor import RayExecutor

        executor = RayExecutor(args.ray_address or None)
    else:
        from resnet_core.jobs.executors import local_executor

        # The workers yield to nothing here: a server lowers their priority so its pages answer
        # at once, but a command has no pages, and niced workers would train behind every other
        # process of the machine while one after another in this process trained at full
        # priority. RESNET_EXPLORER_WORKER_NICE, when set, wins.
        nice = None if os.environ.get(settings.worker_nice.env, "").strip() else 0
        executor = local_executor(args.device, nice=nice)
    runner = JobRunner(store, max_queue=max(1, queue), per_owner=max(1, queue), executor=executor)
    try:
        yield runner
    finally:   # Ctrl-C included: the running runs are stopped and say so in the store
        runner.shutdown(wait=True, timeout=30.0)


@contextmanager
def store_for(args: argparse.Namespace, store_of: Callable) -> Iterator:
    """The run store to record in; with --no-store a temporary one (the workers need a store to
    write into), removed afterwards."""
    if not args.no_store:
        yield store_of(args)
        return
    from resnet_core.store.runs import RunStore

    with tempfile.TemporaryDirectory(prefix="resnet-explorer-") as tmp:
        store = RunStore(f"{tmp}/runs.db")
        try:
            yield store
        finally:
            store.close()


def train_runs(runner, runs: list, store, *, group: str = "", owner: str = "", display_name: str = "",
               on_run: Callable | None = None, on_progress: Callable | None = None) -> list:
    """Train (label, ModelConfig, TrainConfig) triples through `runner` (from `job_runner`);
    ExperimentRows in the given order (a failed run's reason is `store.get_run(row.run_id).error`;
    with --no-store the ids are those of the temporary store). `on_progress(info)` is called
    about once a second with the RunInfo of the first run not yet ended."""
    from resnet_core.training.experiments import ExperimentRow

    ids = runner.submit_many(runs, group=group, owner=owner, display_name=display_name)   # one experiment
    rows = []
    for run_id in ids:
        while runner.wait(run_id, timeout=1.0) in ("queued", "running"):
            if on_progress is not None:
                on_progress(store.get_run(run_id))
        info = store.get_run(run_id)
        row = ExperimentRow(info.label, run_id, info.status, _float(info.final_train_loss),
                            _float(info.final_train_acc), _float(info.test_acc), info.steps_done,
                            info.seconds or 0.0)
        rows.append(row)
        if on_run is not None:
            on_run(row)
    return rows


def run_task(runner, name: str, params: dict, store) -> dict:
    """An analysis task (resnet_core.jobs.tasks) through `runner`; its result, or a ConfigError with
    the reason it did not finish, printed as the local backend prints it: one of our own reasons as
    its sentence alone ("run 3 (plain-20) has not finished training..."), never "RuntimeError: ...
    ended failed: ConfigError: ..."."""
    from resnet_core.messages import ConfigError

    run_id = runner.submit_task(name, params, label=name)
    status = runner.wait(run_id)
    result = store.result(run_id)
    if status != "finished" or result is None:
        info = store.get_run(run_id)
        kind, _, text = (info.error or "").partition(": ")
        if info.error_code and text and kind.isidentifier():
            raise ConfigError(text)
        raise ConfigError(code="task_ended", task=name, status=status, reason=info.error or "no reason was kept")
    return result


def _float(value) -> float:
    return float("nan") if value is None else value
