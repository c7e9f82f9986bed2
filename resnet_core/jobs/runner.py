"""Background training: a fair queue (resnet_core.jobs.fair_queue) in front of an executor.

A page submits configs and gets a job id (the run's id in the store) at once; the executor's
workers (by default worker processes, resnet_core.jobs.executors) train the jobs and write metrics to
the store, which the page polls. A group of runs is accepted or refused as a whole; a cancelled
job stops within one step, and only its owner (or the teacher) may cancel it; a job that
crashes, or whose worker dies, is marked failed while the queue moves on. No Streamlit: the
same runner serves `streamlit run` and the CLI.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Callable

from resnet_core import settings
from resnet_core.jobs.controls import QueueControls
from resnet_core.jobs.executors import InProcess, default_executor
from resnet_core.jobs.fair_queue import FairQueue, OwnerLimit, Paused, QueueFull
from resnet_core.jobs.submit import Entry, Submitting
from resnet_core.messages import reason_of
from resnet_core.store import retention
from resnet_core.store.runs import RunStore
from resnet_core.training.costs import Estimator, RunTooLong
from resnet_core.training.memory import RunTooBig

log = logging.getLogger(__name__)

__all__ = ["JobRunner", "Job", "QueueFull", "OwnerLimit", "Paused", "NotOwner", "RunTooLong", "RunTooBig",
           "get_runner"]

DEFAULT_MAX_QUEUE = 32   # as settings.max_queue(): a class of 30 each queueing a run
DEFAULT_PER_OWNER = 8    # as settings.max_per_owner(): two 4-net experiments
KEEP_ENDED = 500         # ended jobs kept in memory; older ones are read from the store


class NotOwner(PermissionError):
    """Someone other than a run's owner asked to stop it."""


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


class JobRunner(Submitting, QueueControls):
    """`submit` / `submit_many` / `submit_task` queue jobs (resnet_core.jobs.submit);
    `executor.slots` dispatcher threads hand them to the executor, owners in turn
    (resnet_core.jobs.fair_queue).

    `train_fn` replaces the engine's `train` and runs jobs in this process (a test that must
    crash on purpose); `executor` chooses where jobs run (default: worker processes).
    """

    def __init__(self, store: RunStore, max_queue: int = DEFAULT_MAX_QUEUE, device: str = "auto",
                 train_fn: Callable | None = None, executor=None, per_owner: int = DEFAULT_PER_OWNER,
                 max_run_seconds: float | None = None):
        self.store, self.device = store, device
        self._queue = FairQueue(max_queue, per_owner)   # raises on a bad limit before any side effect
        # A run estimated above this many seconds is refused at submit (None: no cap).
        self.max_run_seconds = max_run_seconds
        self.estimator = Estimator(store)
        # Checkpoints beyond this many bytes: the oldest unpinned go after each run (store.retention).
        self.checkpoint_limit = retention.max_bytes()
        # Runs a previous process left queued or running will never finish: say so.
        self.interrupted = store.mark_interrupted()
        if executor is None:
            executor = InProcess(train_fn=train_fn) if train_fn is not None else default_executor(device)
        self.executor = executor
        self._lock = threading.Condition()
        self._jobs: dict[int, Entry] = {}
        self._closed = False
        self._threads: list[threading.Thread] = []
        self._busy = 0   # dispatchers handing a job to the executor now
        if hasattr(executor, "on_change"):   # a cluster that comes and goes (resnet_core.jobs.cluster)
            executor.on_change(self._executor_changed)

    @property
    def max_queue(self) -> int:
        return self._queue.max_queue

    @property
    def per_owner(self) -> int:
        return self._queue.per_owner

    @property
    def runs_on(self) -> str:
        """The kind of device its runs get, as the executor knows it (a CPU-only web server in
        front of GPU workers prices runs at GPU speed); "auto" when the executor cannot say."""
        if self.device != "auto":
            return self.device
        return getattr(self.executor, "device", "auto")

    @property
    def paused(self) -> str | None:
        """The teacher's message while new runs are paused, else None."""
        return self._queue.paused

    def _ensure_threads(self) -> None:
        # Also restarts a dispatcher that died of something the per-job guard did not catch.
        self._threads = [t for t in self._threads if t.is_alive()]
        while len(self._threads) < self.executor.slots:
            thread = threading.Thread(target=self._dispatch, daemon=True,
                                      name=f"resnet-explorer-dispatch-{len(self._threads)}")
            self._threads.append(thread)
            thread.start()

    def _executor_changed(self) -> None:
        # The cluster came back (or went): its slots may differ, and waiting jobs may now start.
        with self._lock:
            if not self._closed and self._threads:
                self._ensure_threads()
            self._lock.notify_all()

    def _can_start(self) -> bool:
        """A job may leave the queue: the executor has a free slot and can run it now (a cluster
        that cannot be reached keeps its jobs waiting here, in their fair order)."""
        ready = getattr(self.executor, "ready", None)
        return self._busy < self.executor.slots and (ready is None or ready())

    # --- reading ------------------------------------------------------------------------

    def job(self, job_id: int) -> Job:
        with self._lock:
            entry = self._jobs.get(job_id)
            if entry is not None and entry.status == "queued":
                position = self._queue.position(entry)
                return Job(job_id, "queued", 0, entry.spec.train_cfg.steps, entry.owner, entry.label,
                           entry.group, position)
        info = self.store.get_run(job_id)   # running or ended: the worker writes progress there
        status, error = (entry.status, entry.error or info.error) if entry is not None else (info.status, info.error)
        return Job(info.id, status, info.steps_done, info.total_steps, info.owner, info.label,
                   info.group, 0, error)

    def queue_length(self) -> int:
        with self._lock:
            return len(self._queue)

    def waiting_for(self, owner: str) -> int:
        with self._lock:
            return self._queue.waiting_for(owner)

    # --- control ------------------------------------------------------------------------

    def cancel(self, job_id: int, *, owner: str | None = None) -> bool:
        """Take a waiting job off the queue, or stop a running one within a step. With `owner`,
        only that owner's job is stopped (NotOwner otherwise); None is the teacher, who may stop
        any. False when the job has already ended (or is unknown to this runner)."""
        with self._lock:
            entry = self._jobs.get(job_id)
            if entry is None or entry.status not in ("queued", "running"):
                return False
            if owner is not None and entry.owner != owner:
                raise NotOwner(f"run {job_id} is not yours to stop")
            if entry.status == "queued":
                self._queue.remove(entry)
                entry.status = "cancelled"
                self.store.set_status(job_id, "cancelled", "cancelled before it started")
                self._lock.notify_all()
                return True
        entry.control.stop()
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
        """Refuse new jobs, cancel the waiting ones, stop the running ones, end the workers."""
        with self._lock:
            self._closed = True
            for entry in self._queue.clear():
                entry.status = "cancelled"
                self.store.set_status(entry.job_id, "cancelled", "the server stopped before it started")
            running = [e for e in self._jobs.values() if e.status == "running"]
            self._lock.notify_all()
            threads = list(self._threads)
        for entry in running:
            entry.control.stop()
        if wait:
            deadline = None if timeout is None else time.monotonic() + timeout
            for thread in threads:
                if thread is not threading.current_thread():
                    thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        self.executor.shutdown()

    # --- the dispatchers ----------------------------------------------------------------

    def _dispatch(self) -> None:
        while True:
            with self._lock:
                while not (self._queue and self._can_start()) and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                entry = self._queue.take()
                entry.status = "running"
                self._busy += 1
            try:
                self._run(entry)
            finally:
                with self._lock:
                    self._busy -= 1
                    self._lock.notify_all()

    def _run(self, entry: Entry) -> None:
        try:   # pages show it as running from now on, while a worker loads its data
            self.store.set_status(entry.job_id, "running")
        except Exception:
            log.exception("could not mark run %s running", entry.job_id)
        try:
            status, error = self.executor.run(entry.spec, entry.control)
        except BaseException as err:   # a crash ends this job, never the runner
            log.error("run %s failed:\n%s", entry.job_id, traceback.format_exc())
            status, error = "failed", reason_of(err)
        if status == "failed":
            try:   # a worker that died could not say so itself
                self.store.set_status(entry.job_id, "failed", error)
            except Exception:
                log.exception("could not record the failure of run %s", entry.job_id)
        try:   # its checkpoint is on disk now: keep the folder within its bound before anyone is told
            retention.prune(self.store, self.checkpoint_limit)
        except Exception:   # a full or read-only disk: the run has ended all the same
            log.exception("could not bound the checkpoint folder")
        with self._lock:
            entry.status, entry.error = status, error
            self._forget_old()
            self._lock.notify_all()

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
            _RUNNER = JobRunner(RunStore(), max_queue=settings.max_queue(), per_owner=settings.max_per_owner(),
                                device=settings.device(), max_run_seconds=settings.max_run_seconds() or None)
            atexit.register(_RUNNER.shutdown, True, 5.0)
        return _RUNNER
