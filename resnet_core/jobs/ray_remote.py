"""What runs on a Ray worker (resnet_core.jobs.ray_executor is the app's side).

A worker on another machine cannot reach the app's SQLite file, so it runs the very same
`run_job` as the local pool's workers, with a stand-in for the store: every write the engine
(or an analysis task) makes becomes a message, and the app replays the messages on the real
store in the same order. The engine's StoreSink still decides when to write, so the stream is
batched exactly as the local pool's writes are (a quarter of a second, or 500 steps). An
analysis task reads trained nets; those travel to the worker with the job as a snapshot of their
run rows and checkpoint bytes.

Nothing here imports ray: the app decorates `RemoteRunner` with `ray.remote` when Ray is chosen.
"""

from __future__ import annotations

import os
import queue
import socket
import threading
import traceback

from resnet_core.jobs.worker import JobSpec, run_job
from resnet_core.messages import reason_of
from resnet_core.store.schema import RunNotFound

# The store methods a job may call to write, and so the only ones the app will replay.
WRITES = ("start_run", "write_batch", "set_status", "set_progress", "save_result", "finish_run",
          "save_checkpoint_bytes")
MAX_MESSAGES = 64   # per poll: a slow app catches up in several polls, never one huge reply


class StreamStore:
    """The RunStore methods a job uses, sending each write to `emit` instead of SQLite.
    `snapshot` maps run id -> (RunInfo, checkpoint bytes or None) for the runs a task studies."""

    def __init__(self, emit, snapshot: dict | None = None):
        self._emit, self._snapshot = emit, snapshot or {}

    def start_run(self, run_id: int, **fields) -> None:
        from resnet_core.store.provenance import library_versions

        # The provenance that matters is the machine that trained, not the app's.
        versions = {**(fields.pop("versions", None) or library_versions(fields.get("device", "cpu"))),
                    "worker_host": socket.gethostname(), "ray_worker_pid": os.getpid()}
        self._emit(("start_run", (run_id,), {**fields, "versions": versions}))

    def write_batch(self, run_id: int, steps=(), evals=(), stats=()) -> None:
        self._emit(("write_batch", (run_id, list(steps), list(evals), list(stats)), {}))

    def set_status(self, run_id: int, status: str, error: str = "") -> None:
        self._emit(("set_status", (run_id, status, error), {}))

    def set_progress(self, run_id: int, done: int, total: int) -> None:
        self._emit(("set_progress", (run_id, done, total), {}))

    def save_result(self, run_id: int, result: dict) -> None:
        self._emit(("save_result", (run_id, result), {}))

    def finish_run(self, run_id: int, **fields) -> None:
        self._emit(("finish_run", (run_id,), fields))

    def save_checkpoint(self, run_id: int, model) -> None:
        from resnet_core.store.checkpoints import weights_bytes

        self._emit(("save_checkpoint_bytes", (run_id, weights_bytes(model)), {}))

    # --- reads: only what an analysis task needs, from the snapshot ------------------------

    def get_run(self, run_id: int):
        if run_id not in self._snapshot:
            raise RunNotFound(f"no run with id {run_id} in the app's store")
        return self._snapshot[run_id][0]

    def load_model(self, run_id: int, device="cpu"):
        from resnet_core.store.checkpoints import model_from_bytes

        info = self.get_run(run_id)
        data = self._snapshot[run_id][1]
        if data is None:
            raise FileNotFoundError(f"run {run_id} has no checkpoint (only finished runs leave one)")
        return model_from_bytes(info.model_cfg, data, device)


class RemoteRunner:
    """One Ray actor: runs one job at a time in a thread, while `poll` hands its messages back
    and `stop` asks it to end. Reused for the next job, so torch is imported once per actor.
    Needs max_concurrency >= 2: `stop` must get in while a `poll` waits."""

    def __init__(self):
        # Imported now, as the local workers do, so no job waits for them. (The built-in digits
        # are read from scikit-learn's file without importing scikit-learn: no need to here.)
        from resnet_core.store import runs  # noqa: F401
        from resnet_core.training import engine  # noqa: F401

        self._queue: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, spec: JobSpec, snapshot: dict) -> int:
        """Begin `spec`; returns this worker's process id."""
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError("this Ray worker is still running a job")
        self._queue, self._stop = queue.Queue(), threading.Event()
        self._thread = threading.Thread(target=self._work, args=(spec, snapshot, self._queue, self._stop),
                                        daemon=True, name=f"run-{spec.run_id}")
        self._thread.start()
        return os.getpid()

    @staticmethod
    def _work(spec: JobSpec, snapshot: dict, out: queue.Queue, stop: threading.Event) -> None:
        try:
            status, error = run_job(spec, StreamStore(out.put, snapshot), stop.is_set)
        except BaseException as err:   # the job failed; the actor lives on for the next one
            traceback.print_exc()
            status, error = "failed", reason_of(err)
        out.put(("done", status, error))

    def poll(self, timeout: float) -> list:
        """The messages so far, waiting up to `timeout` seconds for the first one."""
        out = self._queue
        try:
            items = [out.get(timeout=timeout)]
        except queue.Empty:
            return []
        while len(items) < MAX_MESSAGES:
            try:
                items.append(out.get_nowait())
            except queue.Empty:
                break
        return items

    def stop(self) -> None:
        self._stop.set()

    def pid(self) -> int:
        return os.getpid()
