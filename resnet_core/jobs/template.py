"""Worker processes forked from one that has already imported torch.

A fresh worker spends 3-5 s of a core importing torch, torch._dynamo (which the optimizer loads)
and the engine before its first step. A template process pays that once; every worker after it
is a fork of the template, ready in a few milliseconds with those modules already in memory. A
pool on a laptop then starts its second worker, or replaces one that crashed, without taking a
core from the class for seconds.

    template = shared_template(env)       # one per process and start-up environment
    proc = template.fork(fd, env)         # a worker serving the socket fd, in environment env:
                                          # poll / wait / kill, as subprocess.Popen has them

The template never trains, never touches CUDA and starts no thread pool, so a fork inherits a
process with one thread. Pools on a GPU keep starting fresh processes all the same
(executors.default_executor): once CUDA's driver has started in a process, a fork of it cannot
use the GPU, and that is a trap worth not walking near. The template ends when its socket closes:
when the pool's process ends, however it ends. Its forks then live on until their own sockets
close, as workers always have.

Protocol, one message per packet (SOCK_SEQPACKET): the pool sends {"env": ...} with the worker's
socket attached (SCM_RIGHTS); the template answers {"forked": pid}, and {"exit": pid, "code": c}
when a fork ends (c as subprocess.Popen.returncode: negative for a signal).
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque

# Read by a worker as it imports (engine.CPU_THREADS, sinks.FLUSH_SECONDS, torch's thread pools,
# the niceness it sets once): workers that differ in one of these need a template of their own.
# Everything else in a worker's environment is set in the fork.
# A fork's exit code when nobody could see it: the template, which reaps its forks, ended first.
LOST = -(1 << 16)

IMPORT_TIME_ENV = ("RESNET_EXPLORER_CPU_THREADS", "RESNET_EXPLORER_FLUSH_SECONDS",
                   "RESNET_EXPLORER_WORKER_NICE", "OMP_NUM_THREADS", "PYTHONPATH")


class Template:
    """The pool's side of one template process."""

    def __init__(self, env: dict[str, str], cwd: str):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "resnet_core.jobs.template", str(theirs.fileno())],
            pass_fds=[theirs.fileno()], env=env, cwd=cwd, stdin=subprocess.DEVNULL)
        theirs.close()
        self._sock = ours
        self._send_lock = threading.Lock()       # a request joins the queue and is sent as one step
        self._changed = threading.Condition()    # guards what follows; notified on every answer
        self._pending: deque[Forked] = deque()   # asked for, not yet forked: answers come in order
        self._live: dict[int, Forked] = {}      # pid -> its fork, until the template reports its end
        self.closed = False
        threading.Thread(target=self._read, name="worker-template", daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                data = self._sock.recv(1 << 16)
            except OSError:
                data = b""
            with self._changed:
                if not data:                     # the template ended: no fork and no exit will come
                    self.closed = True
                    self._pending.clear()
                    self._changed.notify_all()
                    return
                msg = json.loads(data)
                if "forked" in msg:
                    forked = self._pending.popleft()
                    forked.pid = msg["forked"]
                    self._live[forked.pid] = forked
                    if forked.killed:            # killed before it existed (a pool shut down at once)
                        forked.kill()
                else:
                    # Kept on the fork, not by pid: the system may give its pid to a later fork.
                    ended = self._live.pop(msg["exit"], None)
                    if ended is not None:
                        ended.code = msg["code"]
                self._changed.notify_all()

    def fork(self, fd: int, env: dict[str, str]) -> Forked:
        """A worker serving the socket `fd`, in environment `env`. Returns at once: while the
        template still imports, the fork waits in its queue (and jobs sent to `fd` wait in the
        socket). OSError when the template has ended."""
        forked = Forked(self)
        with self._send_lock:
            with self._changed:
                if self.closed:
                    raise OSError("the worker template has ended")
                self._pending.append(forked)
            try:
                socket.send_fds(self._sock, [json.dumps({"env": env}).encode()], [fd])
            except OSError:
                with self._changed:
                    self._pending.remove(forked)
                raise
        return forked

    def exit_code(self, forked: Forked, timeout: float | None = 0.0) -> int | None:
        """The fork's exit code once it has ended, waiting up to `timeout` seconds for it (None:
        as long as it takes); None while it runs or waits to be forked."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while True:
                if forked.code is not None:
                    return forked.code
                # The template ended first: a fork still waiting never started; one that ran
                # ended unseen, since nobody reaps forks any more.
                if self.closed and (forked.pid is None or not _alive(forked.pid)):
                    forked.code = LOST
                    continue
                left = 0.5 if deadline is None else min(0.5, deadline - time.monotonic())
                if left <= 0:
                    return None
                self._changed.wait(left)

    def started(self, forked: Forked, timeout: float) -> int | None:
        """The fork's pid, waiting up to `timeout` seconds for the template to make it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while forked.pid is None and not self.closed and time.monotonic() < deadline:
                self._changed.wait(min(0.5, deadline - time.monotonic()))
            return forked.pid

    def close(self) -> None:
        try:
            self._sock.close()                   # the template reads the end of its socket and exits
        except OSError:
            pass


def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie that nobody reaps has ended)."""
    if os.path.isdir("/proc/self"):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


class Forked:
    """A worker forked by the template, with what the pool uses of subprocess.Popen."""

    def __init__(self, template: Template):
        self._template = template
        self.pid: int | None = None   # set by the template's reader once it has forked
        self.code: int | None = None  # its exit code, once it has ended
        self.killed = False

    def started(self, timeout: float = 120.0) -> int | None:
        return self._template.started(self, timeout)

    def poll(self) -> int | None:
        return self._template.exit_code(self)

    def wait(self, timeout: float | None = None) -> int:
        code = self._template.exit_code(self, timeout)
        if code is None:
            raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout)
        return code

    def kill(self) -> None:
        self.killed = True            # one not forked yet is killed as it arrives
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


_TEMPLATES: dict[tuple, Template] = {}
_TEMPLATES_LOCK = threading.Lock()


def template_key(env: dict[str, str], cwd: str) -> tuple:
    """Workers whose keys are equal can fork from one template."""
    return (cwd,) + tuple(env.get(name) for name in IMPORT_TIME_ENV)


def shared_template(env: dict[str, str], cwd: str) -> Template:
    """This process's template for workers started in `env` (a new one if the last one ended)."""
    key = template_key(env, cwd)
    with _TEMPLATES_LOCK:
        template = _TEMPLATES.get(key)
        if template is None or template.closed or template.proc.poll() is not None:
            if template is not None:
                template.close()
            template = _TEMPLATES[key] = Template(env, cwd)
        return template


# --- the template process ---------------------------------------------------------------------

def _reap(sock: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _tell(sock, {"exit": pid, "code": os.waitstatus_to_exitcode(status)})


def _tell(sock: socket.socket, msg: dict) -> None:
    try:
        sock.send(json.dumps(msg).encode())
    except OSError:   # the pool's process has gone: the main loop reads that and ends
        pass


def _become_worker(sock: socket.socket, wake: tuple[int, int], fd: int, env: dict[str, str]) -> None:
    """In the fork: drop the template's signals and sockets, take the worker's environment, serve."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        sock.close()
        os.close(wake[0])
        os.close(wake[1])
        os.environ.clear()
        os.environ.update(env)
        from resnet_core.jobs import worker

        code = worker.serve_fd(fd)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main(argv: list[str]) -> int:
    from resnet_core.jobs import worker

    sock = socket.socket(fileno=int(argv[1]))
    worker.prepare()                              # the imports every worker needs, once
    wake = os.pipe()
    for end in wake:
        os.set_blocking(end, False)
    signal.set_wakeup_fd(wake[1])
    signal.signal(signal.SIGCHLD, lambda *_: None)   # a fork ended: select() wakes up and reaps it
    while True:
        try:
            ready, _, _ = select.select([sock, wake[0]], [], [])
        except InterruptedError:
            continue
        if wake[0] in ready:
            while True:
                try:
                    if not os.read(wake[0], 512):
                        break
                except BlockingIOError:
                    break
            _reap(sock)
        if sock in ready:
            try:
                data, fds, _, _ = socket.recv_fds(sock, 1 << 20, 1)
            except OSError:
                data, fds = b"", []
            if not data:
                return 0                          # the pool's process has gone: so do we
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _become_worker(sock, wake, fds[0], json.loads(data)["env"])
            os.close(fds[0])
            _tell(sock, {"forked": pid})


if __name__ == "__main__":
    from resnet_core.jobs.template import main as _main   # the module's own copy, as worker.py does

    code = _main(sys.argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
