"""Background training: a bounded queue in front of one worker that owns the device.

A page submits configs and gets a job id (the run's id in the store) at once; the worker trains
one job at a time and writes metrics to the store, which the page polls. A full queue refuses
with a clear message, a group of runs is accepted or refused as a whole, a cancelled job stops
within one step, and a job that crashes is marked failed while the worker moves on. Threads
only, no Streamlit: the same runner serves `streamlit run` and the CLI.

The worker never starves the page threads: on the CPU the engine trains with one intra-op
thread (the other core serves pages), and the worker yields the interpreter after every step.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass
from typing import Callable, Sequence

from .config import ModelConfig, TrainConfig
from .data import check_compatible
from .store import RunStore

log = logging.getLogger(__name__)

DEFAULT_MAX_QUEUE = 32   # a classroom of 30 each queueing a run, or several 4-net experiments
KEEP_ENDED = 500         # ended jobs kept in memory for list(); older ones are read from the store


class QueueFull(RuntimeError):
    """The queue cannot take the submitted runs; nothing was queued."""


@dataclass
class Job:
    job_id: int
    status: str          # queued, running, finished, diverged, cancelled, failed, interrupted
    steps_done: int
    total_steps: int
    owner: str
    label: str
    group: str
    position: int        # place in the queue (1 = next), 0 when not waiting
    error: str = ""


@dataclass
class _Entry:
    job_id: int
    model_cfg: ModelConfig
    train_cfg: TrainConfig
    owner: str
    label: str
    group: str
    status: str = "queued"
    steps_done: int = 0
    total_steps: int = 0
    error: str = ""
    stop: bool = False


class JobRunner:
    """`submit` / `submit_many` queue runs; one daemon thread trains them in order.

    `train_fn` is the engine's `train` unless a caller substitutes its own (another backend,
    or a test that must crash on purpose).
    """

    def __init__(self, store: RunStore, max_queue: int = DEFAULT_MAX_QUEUE, device: str = "auto",
                 train_fn: Callable | None = None):
        if max_queue < 1:
            raise ValueError(f"max_queue must be at least 1 (got {max_queue})")
        self.store, self.max_queue, self.device = store, max_queue, device
        if train_fn is None:
            from .engine import train as train_fn
        self._train = train_fn
        self._lock = threading.Condition()
        self._queue: deque[_Entry] = deque()
        self._jobs: dict[int, _Entry] = {}
        self._current: _Entry | None = None
        self._closed = False
        self._worker: threading.Thread | None = None
        # Runs a previous process left queued or running will never finish: say so.
        self.interrupted = store.mark_interrupted()

    # --- submitting ---------------------------------------------------------------------

    def submit(self, model_cfg: ModelConfig, train_cfg: TrainConfig, *, owner: str = "",
               label: str = "", group: str = "") -> int:
        return self.submit_many([(label, model_cfg, train_cfg)], owner=owner, group=group)[0]

    def submit_many(self, runs: Sequence[tuple[str, ModelConfig, TrainConfig]], *, owner: str = "",
                    group: str = "") -> list[int]:
        """Queue several runs (label, model config, train config) together, or none of them."""
        for _, model_cfg, train_cfg in runs:
            check_compatible(model_cfg, train_cfg)   # a bad pairing fails here, not in the worker
        with self._lock:
            if self._closed:
                raise RuntimeError("the job runner has been shut down")
            waiting = len(self._queue)
            if waiting + len(runs) > self.max_queue:
                raise QueueFull(
                    f"the training queue is full ({waiting} of {self.max_queue} places taken, "
                    f"{len(runs)} asked for): try again when a run has finished")
            ids = []
            for label, model_cfg, train_cfg in runs:
                if train_cfg.device == "auto" and self.device != "auto":
                    train_cfg = train_cfg.replace(device=self.device)
                job_id = self.store.create_run(model_cfg, train_cfg, owner=owner, label=label, group=group)
                planned = 0 if train_cfg.epochs else train_cfg.steps   # epochs: known once data loads
                entry = _Entry(job_id, model_cfg, train_cfg, owner, label, group, total_steps=planned)
                self._jobs[job_id] = entry
                self._queue.append(entry)
                ids.append(job_id)
            self._ensure_worker()
            self._lock.notify_all()
        return ids

    def _ensure_worker(self) -> None:
        # Also restarts a worker that died of something the per-job guard did not catch.
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._work, name="resnet-explorer-trainer", daemon=True)
            self._worker.start()

    # --- reading ------------------------------------------------------------------------

    def status(self, job_id: int) -> str:
        with self._lock:
            if job_id in self._jobs:
                return self._jobs[job_id].status
        return self.store.get_run(job_id).status

    def progress(self, job_id: int) -> tuple[int, int]:
        """(steps done, steps planned); planned is 0 until an epoch-based run knows its data."""
        with self._lock:
            if job_id in self._jobs:
                entry = self._jobs[job_id]
                return entry.steps_done, entry.total_steps
        info = self.store.get_run(job_id)
        return info.steps_done, info.total_steps

    def job(self, job_id: int) -> Job:
        with self._lock:
            if job_id in self._jobs:
                return self._as_job(self._jobs[job_id])
        info = self.store.get_run(job_id)
        return Job(info.id, info.status, info.steps_done, info.total_steps, info.owner, info.label,
                   info.group, 0, info.error)

    def list(self, owner: str | None = None) -> list[Job]:
        """This runner's jobs (waiting, running and done), newest first."""
        with self._lock:
            return [self._as_job(e) for e in sorted(self._jobs.values(), key=lambda e: -e.job_id)
                    if owner is None or e.owner == owner]

    def queue_length(self) -> int:
        with self._lock:
            return len(self._queue)

    def _as_job(self, e: _Entry) -> Job:
        position = next((i + 1 for i, q in enumerate(self._queue) if q is e), 0)
        return Job(e.job_id, e.status, e.steps_done, e.total_steps, e.owner, e.label, e.group, position, e.error)

    # --- control ------------------------------------------------------------------------

    def cancel(self, job_id: int) -> bool:
        """Take a waiting job off the queue, or stop a running one within a step. False when the
        job has already ended (or is unknown to this runner)."""
        with self._lock:
            entry = self._jobs.get(job_id)
            if entry is None or entry.status not in ("queued", "running"):
                return False
            entry.stop = True
            if entry.status == "queued":
                self._queue.remove(entry)
                entry.status = "cancelled"
                self.store.set_status(job_id, "cancelled", "cancelled before it started")
                self._lock.notify_all()
            return True

    def wait(self, job_id: int, timeout: float | None = None) -> str:
        """Block until the job has ended (or `timeout` seconds pass); returns its status."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            if job_id not in self._jobs:
                return self.store.get_run(job_id).status
            while self._jobs[job_id].status in ("queued", "running"):
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._lock.wait(left)
            return self._jobs[job_id].status

    def shutdown(self, wait: bool = True, timeout: float | None = 30.0) -> None:
        """Refuse new jobs, cancel the waiting ones, stop the running one."""
        with self._lock:
            self._closed = True
            for entry in list(self._queue):
                entry.status = "cancelled"
                self.store.set_status(entry.job_id, "cancelled", "the server stopped before it started")
            self._queue.clear()
            if self._current is not None:
                self._current.stop = True
            self._lock.notify_all()
            worker = self._worker
        if wait and worker is not None and worker is not threading.current_thread():
            worker.join(timeout)

    # --- the worker ---------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._closed:
                    self._lock.wait()
                if self._closed and not self._queue:
                    return
                entry = self._queue.popleft()
                entry.status = "running"
                self._current = entry
            self._run(entry)
            with self._lock:
                self._current = None
                self._lock.notify_all()

    def _run(self, entry: _Entry) -> None:
        try:   # pages show it as running from now on, while its data loads
            self.store.set_status(entry.job_id, "running")
        except Exception:
            log.exception("could not mark run %s running", entry.job_id)

        def on_step(record) -> None:
            entry.steps_done, entry.total_steps = record.step, record.total_steps
            time.sleep(0)   # hand the interpreter to a page's thread between steps

        try:
            result = self._train(entry.model_cfg, entry.train_cfg, on_step=on_step,
                                 should_stop=lambda: entry.stop, store=self.store, run_id=entry.job_id)
            status, error = result.status, result.error
        except BaseException as err:   # a crash ends this job, never the runner
            log.error("run %s failed:\n%s", entry.job_id, traceback.format_exc())
            status, error = "failed", f"{type(err).__name__}: {err}"
            try:
                self.store.set_status(entry.job_id, "failed", error)
            except Exception:
                log.exception("could not record the failure of run %s", entry.job_id)
        with self._lock:
            entry.status, entry.error = status, error
            self._forget_old()

    def _forget_old(self) -> None:
        # A server runs for days: keep the newest ended jobs in memory, the rest only in the store.
        ended = sorted(i for i, e in self._jobs.items() if e.status not in ("queued", "running"))
        for job_id in ended[:max(0, len(ended) - KEEP_ENDED)]:
            del self._jobs[job_id]


_RUNNER: JobRunner | None = None
_RUNNER_LOCK = threading.Lock()


def get_runner() -> JobRunner:
    """The process-wide runner on the default store, created on first use."""
    global _RUNNER
    with _RUNNER_LOCK:
        if _RUNNER is None:
            max_queue = int(os.environ.get("RESNET_EXPLORER_MAX_QUEUE", DEFAULT_MAX_QUEUE))
            _RUNNER = JobRunner(RunStore(), max_queue=max_queue,
                                device=os.environ.get("RESNET_EXPLORER_DEVICE", "auto"))
            atexit.register(_RUNNER.shutdown, True, 5.0)
        return _RUNNER
