"""What one queued job does, and the worker process that does it.

A job is a `JobSpec` (plain data) and its `Control` (the stop switch the runner flips and the
executor forwards). `run_job(spec, store, should_stop)` trains a net (or runs an analysis task) and records it in the
store; every executor calls it, in a thread or in a worker process, so a run is the same run
wherever it trains. `python -m resnet_core.jobs.worker FD` is a worker process: it takes job specs
from the socket FD, one at a time, and answers each with its outcome. A "stop" message on the
same socket stops the current job within one step, and a closed socket (the server went away)
stops it too, then ends the process.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

from resnet_core import settings
from resnet_core.nets.config import ModelConfig, TrainConfig
from resnet_core.training import gpu as gpus

log = logging.getLogger(__name__)

PROGRESS_SECONDS = 0.25   # a task's progress reaches the store at most this often
INTERRUPTED = "the server stopped while it trained"


@dataclass(frozen=True)
class JobSpec:
    """Everything a worker needs to run one job; plain data, so it crosses a process boundary."""
    run_id: int
    db_path: str
    model_cfg: ModelConfig
    train_cfg: TrainConfig
    kind: str = "train"           # "train", or the name of an analysis task (resnet_core.jobs.tasks)
    params: dict = field(default_factory=dict)


class Control:
    """A job's stop switch, shared by the runner (which flips it) and the executor (which
    forwards it to wherever the job runs)."""

    def __init__(self) -> None:
        self.stopped = False
        self._hooks: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def on_stop(self, hook: Callable[[], None]) -> None:
        with self._lock:
            self._hooks.append(hook)
            fire = self.stopped
        if fire:
            hook()

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
            hooks = list(self._hooks)
        for hook in hooks:
            try:
                hook()
            except Exception:   # the worker is already gone; its end is reported elsewhere
                log.debug("stop hook failed", exc_info=True)


def run_job(spec: JobSpec, store, should_stop: Callable[[], bool],
            train_fn: Callable | None = None) -> tuple[str, str]:
    """Run one job to its end; returns (status, error). Exceptions propagate to the caller,
    which records the failure."""
    if spec.kind == "train":
        if train_fn is None:
            from resnet_core.training.engine import train as train_fn
        from resnet_core.training.sinks import StoreSink

        result = train_fn(spec.model_cfg, spec.train_cfg, should_stop=should_stop,
                          sink=StoreSink(store, spec.run_id))
        return result.status, result.error
    return _run_task(spec, store, should_stop)


def _run_task(spec: JobSpec, store, should_stop) -> tuple[str, str]:
    from resnet_core.jobs.tasks import TASKS

    if spec.kind not in TASKS:
        raise ValueError(f"unknown task {spec.kind!r} (known: {', '.join(sorted(TASKS))})")
    store.set_status(spec.run_id, "running")
    last = [0.0]

    def on_progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_SECONDS or done >= total:
            last[0] = now
            store.set_progress(spec.run_id, done, total)

    try:
        result = TASKS[spec.kind](spec.params, store=store, on_progress=on_progress, should_stop=should_stop)
    except Exception:
        # A prediction stopped while its nets train raises on the stopped net ("did not finish
        # training"): it was stopped, as one stopped while it measures, not failed.
        if not should_stop():
            raise
        result = None
    if should_stop():
        store.set_status(spec.run_id, "cancelled", "stopped before it finished")
        return "cancelled", ""
    store.save_result(spec.run_id, result)
    store.set_status(spec.run_id, "finished")
    return "finished", ""


# --- the worker process ----------------------------------------------------------------------

def _serve(conn) -> None:
    from resnet_core.store.runs import RunStore

    stores: dict[str, RunStore] = {}
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return                      # the server closed its end: nothing more will come
        if not isinstance(msg, JobSpec):
            continue                    # a stop that arrived after its job had ended
        store = stores.get(msg.db_path)
        if store is None:
            store = stores[msg.db_path] = RunStore(msg.db_path)
        stopped, lost = [False], [False]

        def should_stop() -> bool:
            # One select() per step: cheap beside any training step.
            while not stopped[0] and conn.poll():
                try:
                    stopped[0] = conn.recv() == "stop" or stopped[0]
                except (EOFError, OSError):   # the server went away (killed, or its machine stopped)
                    stopped[0] = lost[0] = True
            return stopped[0]

        fatal = False
        try:
            status, error = run_job(msg, store, should_stop)
        except BaseException as err:    # the job failed; the worker lives on for the next one
            _report(err, msg.run_id)
            status, error, fatal = "failed", failure_reason(err, msg), gpus.is_fatal(err)
            try:
                store.set_status(msg.run_id, "failed", error)
            except Exception:
                traceback.print_exc()
        if lost[0] and status == "cancelled":   # no one pressed Stop: the run was interrupted
            store.set_status(msg.run_id, "interrupted", INTERRUPTED)
            return
        # What the failed run held on the GPU goes back to the driver before the next run starts.
        gpus.free_cache()
        try:
            conn.send(("done", msg.run_id, status, error, "exit" if fatal else ""))
        except (EOFError, OSError):
            return
        if fatal:   # this process's CUDA context is broken: every later job here would fail too
            return


def _report(err: BaseException, run_id: int) -> None:
    """A failed job in the log: the traceback of an unexpected error; one of our own reasons (a
    dataset not on this server, a setting out of range) is said and stored in full, so a
    traceback would only bury it (the CLI's workers share its terminal)."""
    from resnet_core.messages import own_sentence

    own = own_sentence(err)
    if own is None:
        traceback.print_exc()
    else:
        log.info("run %s failed: %s", run_id, own)


def failure_reason(err: BaseException, spec: JobSpec) -> str:
    """The reason a failed run keeps: a sentence the pages translate for the errors a student
    can act on, the exception's name and text for the rest."""
    from resnet_core.messages import first_stage_channels, message, reason_of

    if gpus.is_out_of_memory(err):
        m, t = spec.model_cfg, spec.train_cfg
        width = first_stage_channels(m.base_width, m.width_mult)   # as the Build page sets it
        return message("gpu_oom", batch=t.batch_size, size=m.input_size, width=width, depth=m.depth)
    if gpus.is_fatal(err):
        return message("gpu_fatal", detail=" ".join(str(err).split())[:160])
    return reason_of(err)


def prepare() -> None:
    """Set up this process as a worker: its priority, its threads, its signals, and the modules
    every job needs, imported before the first job arrives so that no job waits for them."""
    lower_priority()                # before the imports: they take seconds of a core
    # One intra-op thread per worker (the pool runs one worker per core); set before torch
    # starts its thread pools.
    os.environ.setdefault("OMP_NUM_THREADS", str(settings.cpu_threads()))
    preload()
    settle()


def lower_priority() -> None:
    # Training yields to the web process: a page that answers within a second matters more to
    # a class than a run finishing a little sooner. 0 turns it off.
    nice = settings.worker_nice()
    if nice and hasattr(os, "nice"):
        os.nice(nice)


def preload() -> None:
    """The modules every job needs. A fork server imports them once for all its workers."""
    # torch's optimizers import torch._dynamo when the first one is made: 3.5 s on a laptop core,
    # which would otherwise land on each worker's first run.
    import torch._dynamo  # noqa: F401

    from resnet_core.store import runs  # noqa: F401
    from resnet_core.training import engine  # noqa: F401


def settle() -> None:
    """What each worker process sets for itself once its modules are in: its GPU share, its signals."""
    import signal

    # Workers that share a GPU each get their share of its memory (set by the pool), so one
    # run that overreaches fails alone instead of taking its neighbour down with it.
    gpus.limit_memory(settings.gpu_memory_fraction())
    # The server decides when a worker ends (it closes the socket). Ctrl-C or a SIGTERM sent to
    # the whole process group must not kill workers first, or the server would replace them
    # while it shuts down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def serve_forked(conn, env: dict[str, str]) -> None:
    """A worker forked by the fork server (resnet_core.jobs.forkserver): take the pool's
    environment, settle, and serve the connection `conn` until it closes."""
    os.environ.clear()
    os.environ.update(env)
    lower_priority()
    settle()
    try:
        conn.send(("ready", os.getpid()))
    except OSError:
        return
    _serve(conn)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)     # as a fresh worker does: no teardown of torch's modules


def serve_fd(fd: int) -> int:
    """Say ready on the socket `fd`, then run the jobs that arrive on it until it closes."""
    from multiprocessing.connection import Connection

    conn = Connection(fd)
    try:
        conn.send(("ready", os.getpid()))
    except OSError:
        return 0                        # the server shut the pool down while this one started
    _serve(conn)
    return 0


def main(argv: list[str]) -> int:
    prepare()
    return serve_fd(int(argv[1]))


if __name__ == "__main__":
    # Run the imported module's main, not this __main__ copy: job specs unpickle as
    # resnet_core.jobs.worker.JobSpec, which must be the class _serve checks against.
    from resnet_core.jobs.worker import main as _main

    code = _main(sys.argv)
    # Every run's status is written and committed by now; skipping the interpreter's teardown
    # (a second of freeing torch's modules) lets the server end its workers at once.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
