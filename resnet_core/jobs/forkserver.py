"""Worker processes forked from multiprocessing's fork server, which has imported torch once.

A fresh worker spends 3-5 s of a core importing torch, torch._dynamo (which the optimizer loads)
and the engine before its first step. The fork server (Python's own, started once per process
with those modules preloaded) pays that once; every worker after it is a fork of it, ready in
milliseconds. Settings are read when called (resnet_core.settings), so a fork takes the pool's
environment as it starts and needs nothing re-imported.

    proc = start(conn, env)    # a worker serving the Connection `conn`, in environment `env`:
                               # pid / poll / wait / kill, as subprocess.Popen has them

It replaced a hand-made fork server of 300 lines (a template process and its own protocol) at
the same speed: bench/bench_workers.py, 2 workers on a shared 2-core machine, best of 3 taken in
turns, template against fork server: ready in 8.0 s against 8.4 s, 2.6 s of CPU each, 396 against
399 MB, one replaced in 0.03 against 0.04 s (fresh processes: 32 s, 5.8 s of CPU, 750 MB, 13 s).

The fork server never touches CUDA; pools on a GPU still start fresh processes
(executors.local_executor). It ends with the process that started it; its forks live on until
their connections close, as workers always have.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.process
import subprocess

from resnet_core.jobs import worker

# fork_preload first: it keeps a page script that is __main__ while it runs out of the workers.
PRELOAD = ["resnet_core.jobs.fork_preload", "torch._dynamo", "resnet_core.store.runs", "resnet_core.training.engine", "resnet_core.jobs.worker"]

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(PRELOAD)


class Forked:
    """A worker forked by the fork server, with what the pool uses of subprocess.Popen."""

    def __init__(self, conn, env: dict[str, str]):
        self._proc = _CONTEXT.Process(target=worker.serve_forked, args=(conn, env), name="training-worker")
        self._proc.start()       # waits for the fork server: seconds the first time, while it imports
        # multiprocessing joins the processes it started when this one exits; the pool ends its
        # workers itself (they ignore SIGTERM and end when their connection closes), so a join
        # at exit would wait on a worker whose connection this process still holds.
        multiprocessing.process._children.discard(self._proc)
        self.pid = self._proc.pid

    def poll(self) -> int | None:
        return self._proc.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._proc.join(timeout)
        if self._proc.exitcode is None:
            raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout)
        return self._proc.exitcode

    def kill(self) -> None:
        self._proc.kill()


def start(conn, env: dict[str, str]) -> Forked:
    return Forked(conn, env)
