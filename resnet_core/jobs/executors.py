"""Where queued jobs run. The job runner decides which job runs next; an executor runs it.

An executor is small on purpose, so another engine can implement it:

    slots                       how many jobs it runs at once
    run(spec, control)          run one job to its end, blocking the calling thread;
                                returns (status, error)
    shutdown()                  stop its workers

`control.stop()` (a user pressed Stop) must reach the job within a step. Two implementations
here, and `RayExecutor` (resnet_core.jobs.ray_executor) for a Ray cluster:

- `ProcessPool` (the default): worker processes, each training one job at a time. On a CPU they
  are forks of multiprocessing's fork server, which has imported torch once
  (resnet_core.jobs.forkserver), so a worker is ready in milliseconds, not seconds of a core; on a
  GPU they are fresh processes, which CUDA needs. A page's thread never trains, so no number of viewers can starve training through
  the interpreter lock. A worker that dies (a crash in native code, `kill -9`, the out-of-memory
  killer) fails its job with the reason and is replaced.
- `InProcess` (resnet_core.jobs.in_process): runs the job in the calling thread. For notebooks, the CLI, and tests that put a
  stand-in for the engine.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from resnet_core import settings
from resnet_core.messages import message
from resnet_core.jobs import forkserver
from resnet_core.jobs.in_process import InProcess
from resnet_core.jobs.worker import Control, JobSpec

log = logging.getLogger(__name__)

PACKAGE_ROOT = Path(__file__).resolve().parents[2]   # the folder holding resnet_core


def exit_reason(code: int | None) -> str:
    """Why a worker process ended, in words a student can act on (stored with the run; the pages
    translate it by its template, resnet_core.messages)."""
    if code is not None and code < 0:
        sig = -code
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        return message("worker_killed" if sig == signal.SIGKILL else "worker_signal", value=sig, name=name)
    return message("worker_exit", value=code)


class _Worker:
    """One worker process and the socket the pool talks to it over."""

    def __init__(self, env: dict[str, str], fork: bool):
        from multiprocessing.connection import Connection

        self.env = env                  # a replacement gets the same (its GPU, its memory share)
        ours, theirs = socket.socketpair()
        self.proc = None
        if fork:
            end = Connection(os.dup(theirs.fileno()))
            try:
                self.proc = forkserver.start(end, env)
            except (OSError, EOFError) as err:   # the fork server cannot fork: a fresh process will do
                log.warning("forking a worker failed (%s); starting a fresh one", err)
            finally:
                end.close()          # the fork has its own copy
        if self.proc is None:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "resnet_core.jobs.worker", str(theirs.fileno())],
                pass_fds=[theirs.fileno()], env=env, cwd=str(PACKAGE_ROOT), stdin=subprocess.DEVNULL)
        theirs.close()
        self.conn = Connection(ours.detach())
        self._send_lock = threading.Lock()
        self.ready = False

    def send(self, msg) -> None:
        with self._send_lock:
            self.conn.send(msg)

    def close(self) -> None:
        try:
            self.conn.close()           # the worker stops its job and exits when its socket closes
        except OSError:
            pass

    def end(self, deadline: float) -> None:
        """Wait for the closed worker to exit until `deadline` (time.monotonic()), then kill it."""
        try:
            self.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class ProcessPool:
    """`workers` worker processes; `run` hands each job to an idle one.

    `gpus` (CUDA_VISIBLE_DEVICES entries) spreads the workers over those GPUs in turn, each
    worker seeing only its own, and gives each the share of its GPU's memory that its
    neighbours leave it (`memory` in all, split between the workers on one GPU). `nice`: the
    workers' niceness above this process's (None: RESNET_EXPLORER_WORKER_NICE)."""

    def __init__(self, workers: int, *, threads: int = 1, fork: bool = True,
                 gpus: list[str] | None = None, memory: float = 0.9, nice: int | None = None):
        if workers < 1:
            raise ValueError(f"a process pool needs at least one worker (got {workers})")
        self.slots = workers
        self.device = "cuda" if gpus else "cpu"   # what its runs get: the estimates price them so
        self._fork = fork and settings.fork_workers()
        base = {**os.environ, settings.cpu_threads.env: str(threads),
                "OMP_NUM_THREADS": str(threads),
                "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_ROOT),
                                                            os.environ.get("PYTHONPATH")]))}
        if nice is not None:   # else RESNET_EXPLORER_WORKER_NICE's
            base[settings.worker_nice.env] = str(nice)
        self._envs = gpu_envs(base, workers, gpus or [], memory)
        self._gpus = [e["CUDA_VISIBLE_DEVICES"] for e in self._envs if "CUDA_VISIBLE_DEVICES" in e]
        share = settings.gpu_memory_fraction.env
        self._share = min((float(e[share]) for e in self._envs if share in e), default=1.0)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        # Started now, in the background: a worker takes seconds to import torch, and the first
        # fork waits for the fork server to import it; whoever made the pool need not wait.
        self._starting = threading.Thread(target=self._start_all, name="worker-start", daemon=True)
        self._starting.start()

    def _start_all(self) -> None:
        for env in self._envs:
            try:
                worker = self._spawn(env)
            except Exception:   # no process could be started at all: said in the log, the others go on
                log.exception("could not start a training worker")
                continue
            if worker is None:
                return
            self._idle.put(worker)

    def _spawn(self, env: dict[str, str]) -> _Worker | None:
        worker = _Worker(env, self._fork)
        with self._lock:
            if not self._closed:
                self._all.append(worker)
                return worker
        worker.close()                   # the pool shut down while this one started
        worker.proc.kill()
        return None

    def _replace(self, dead: _Worker) -> _Worker:
        dead.conn.close()
        with self._lock:
            self._all.remove(dead)
        return dead if self._closed else (self._spawn(dead.env) or dead)

    def run_memory(self, kind: str) -> int | None:
        """Bytes one run may take on `kind`: a GPU worker's share of the smallest of its GPUs,
        or the share of the host's available memory a CPU run may take."""
        from resnet_core.training.memory import room

        return room(kind, share=self._share, gpus=self._gpus or None)

    def pids(self) -> list[int]:
        """The running workers' process ids (once the pool has started them all)."""
        self._starting.join()
        with self._lock:
            workers = list(self._all)
        return [w.proc.pid for w in workers if w.proc.pid is not None and w.proc.poll() is None]

    def run(self, spec: JobSpec, control: Control) -> tuple[str, str]:
        worker = self._idle.get()
        if worker.proc.poll() is not None:   # it died while idle: the job gets a fresh one
            worker = self._replace(worker)
        try:
            worker.send(spec)
            control.on_stop(lambda: worker.send("stop"))
            while True:
                msg = worker.conn.recv()
                if msg[0] == "ready":
                    worker.ready = True
                    continue
                _, _, status, error, *rest = msg
                if rest and rest[0] == "exit":
                    # A fatal GPU error: the worker reported its run and is ending; the next
                    # job gets a fresh process with a fresh CUDA context.
                    log.error("worker %s ends after a fatal GPU error in run %s", worker.proc.pid, spec.run_id)
                    worker.end(time.monotonic() + 10.0)
                    worker = self._replace(worker)
                return status, error
        except (EOFError, OSError):
            code = worker.proc.wait()
            reason = exit_reason(code)
            log.error("worker %s ended during run %s: %s", worker.proc.pid, spec.run_id, reason)
            worker = self._replace(worker)
            return "failed", reason
        finally:
            if not self._closed:
                self._idle.put(worker)

    def shutdown(self, grace: float = 10.0) -> None:
        """End every worker. An idle one holds no run, so it is killed at once (it may still be
        importing torch, seconds from reading its socket); one with a job gets `grace` seconds to
        stop it and write its status."""
        with self._lock:
            self._closed = True
        idle = []
        while True:
            try:
                idle.append(self._idle.get_nowait())
            except queue.Empty:
                break
        with self._lock:
            workers = list(self._all)
        for worker in workers:
            worker.close()
        for worker in idle:
            worker.proc.kill()
        deadline = time.monotonic() + grace
        for worker in workers:           # one shared deadline: workers end side by side
            worker.end(deadline)


def gpu_envs(base: dict[str, str], workers: int, gpus: list[str], memory: float) -> list[dict[str, str]]:
    """Each worker's environment: `base`, and with GPUs its own GPU (round robin over `gpus`,
    so every GPU gets a worker before any gets a second) and its share of that GPU's memory."""
    from resnet_core.training.gpu import worker_gpus

    placed = worker_gpus(workers, gpus)
    if not placed:
        return [dict(base) for _ in range(workers)]
    per_gpu = {g: placed.count(g) for g in placed}
    return [{**base, "CUDA_VISIBLE_DEVICES": g,
             settings.gpu_memory_fraction.env: f"{memory / per_gpu[g]:.3f}"} for g in placed]


def default_workers(device: str = "auto") -> int:
    """One worker per core on a CPU; on GPUs, RESNET_EXPLORER_GPU_WORKERS (default 2) per GPU.
    RESNET_EXPLORER_WORKERS overrides both; 0 runs jobs in the server's own thread."""
    if settings.workers() is not None:
        return settings.workers()
    if device != "cpu" and _cuda_available():
        from resnet_core.training.gpu import visible_gpus

        per_gpu = settings.gpu_workers()
        return per_gpu * max(1, len(visible_gpus()))
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def default_executor(device: str = "auto"):
    """RESNET_EXPLORER_RAY_ADDRESS (auto, or ray://host:10001) hands jobs to a Ray cluster,
    reached in the background (resnet_core.jobs.cluster: nothing waits for it here); unset, they
    run in a pool of local worker processes."""
    address = settings.ray_address()
    if address:
        from resnet_core.jobs.cluster import ClusterExecutor, fallback_setting

        if fallback_setting() == "local":
            return ClusterExecutor(address, fallback=lambda: local_executor(device),
                                   fallback_slots=max(1, default_workers(device)))
        return ClusterExecutor(address)
    return local_executor(device)


def local_executor(device: str = "auto", nice: int | None = None):
    """Local worker processes (RESNET_EXPLORER_WORKERS=0: the server's own thread); `nice` as
    ProcessPool's."""
    workers = default_workers(device)
    if workers == 0:
        return InProcess(slots=1)
    on_gpu = device != "cpu" and _cuda_available()
    if on_gpu:
        from resnet_core.training.gpu import visible_gpus
    return ProcessPool(workers, threads=settings.cpu_threads(),
                       fork=not on_gpu, gpus=visible_gpus() if on_gpu else None, nice=nice)


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()
