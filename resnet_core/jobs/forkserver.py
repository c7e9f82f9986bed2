"""Worker processes forked from multiprocessing's fork server, which has imported torch once.

A fresh worker spends 3-5 s of a core importing torch, torch._dynamo (which the optimizer loads)
and the engine before its first step. The fork server (Python's own, started once per process
with those modules preloaded) pays that once; every worker after it is a fork of it, ready in
milliseconds. Settings are read when called (resnet_core.settings), so a fork takes the pool's
environment as it starts and needs nothing re-imported.

    proc = start(conn, env)    # a worker serving the Connection `conn`, in environment `env`:
                               # pid / poll / wait / kill, as subprocess.Popen has them
    start_server()             # the fork server now, before this process imports torch itself

This module imports no torch, so a command can start the fork server first thing
(resnet_core.__main__): the server imports torch on one core while the command imports it on the
other, instead of after it.

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
import multiprocessing.forkserver
import multiprocessing.process
import subprocess

# fork_preload first: it keeps a page script that is __main__ while it runs out of the workers.
PRELOAD = ["resnet_core.jobs.fork_preload", "torch._dynamo", "resnet_core.store.runs", "resnet_core.training.engine", "resnet_core.jobs.worker"]

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(PRELOAD)


def start_server() -> None:
    """Start the fork server if it is not running: it returns at once, the server imports in
    the background. It ends when this process does."""
    multiprocessing.forkserver.ensure_running()


def _serve(conn, env: dict[str, str]) -> None:
    # Imported here, not at the top: in a fork the fork server has imported it already, and this
    # module stays free of torch (see the module's docstring).
    from resnet_core.jobs.worker import serve_forked

    serve_forked(conn, env)


class Forked:
    """A worker forked by the fork server, with what the pool uses of subprocess.Popen."""

    def __init__(self, conn, env: dict[str, str]):
        self._proc = _CONTEXT.Process(target=_serve, args=(conn, env), name="training-worker")
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
