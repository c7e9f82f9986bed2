"""A real Ray head for tests, started as the README says (`ray start --head`), on free ports,
under the test session's HOME and Ray temp dir (tests/conftest.py), in a process group of its
own so that stopping it ends exactly its processes. Never `ray stop`: that ends every Ray
process of the machine, other people's included.

    head = RayHead(token=True)       # writes $HOME/.ray/auth_token: `ray start` then asks for it
    head.start()                     # ~15 s on two busy cores
    head.client_address              # ray://127.0.0.1:PORT
    head.stop()                      # the same ports again on the next start
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

RAY = str(Path(sys.executable).with_name("ray"))
START_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_REFUSING: list[socket.socket] = []


def refused_port() -> int:
    """A port that refuses connections for as long as this test process runs: a socket holds it,
    bound but never listening, so no other process can take it meanwhile. A port that was only free
    when a module was imported may answer minutes later (a Ray worker or an app server of another
    test process binds free ports too), and a client that reaches something waits instead of failing."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    _REFUSING.append(holder)
    return holder.getsockname()[1]


def token_path() -> Path:
    return Path(os.environ["HOME"]) / ".ray" / "auth_token"


class RayHead:
    def __init__(self, *, token: bool):
        self.token = token
        # Every port Ray would otherwise take at a fixed number: two heads (two people running
        # the suite on one machine) must not meet.
        self.port, self.client_port, self.dashboard_port, self.agent_port = (free_port() for _ in range(4))
        self._group: int | None = None
        self.log = ""

    @property
    def client_address(self) -> str:
        return f"ray://127.0.0.1:{self.client_port}"

    def env(self) -> dict[str, str]:
        """What `ray start` sees: the session's HOME and temp dir; the token file alone decides
        whether the head asks for a token, as on a teacher's server."""
        drop = ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_ADDRESS")
        return {k: v for k, v in os.environ.items() if k not in drop}

    def start(self) -> None:
        if self.token and not token_path().exists():
            token_path().parent.mkdir(parents=True, exist_ok=True)
            token_path().write_text(secrets.token_hex(32))
        cmd = [RAY, "start", "--head", "--port", str(self.port), "--ray-client-server-port", str(self.client_port),
               "--dashboard-port", str(self.dashboard_port), "--dashboard-agent-listen-port", str(self.agent_port),
               "--include-dashboard", "false",
               "--num-cpus", "2", "--object-store-memory", str(100 * 2**20), "--disable-usage-stats"]
        proc = subprocess.Popen(cmd, env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)
        self._group = proc.pid
        try:
            self.log, _ = proc.communicate(timeout=START_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.stop()
            raise RuntimeError(f"`ray start --head` did not finish in {START_TIMEOUT_S} s")
        if proc.returncode != 0:
            self.stop()
            raise RuntimeError(f"`ray start --head` failed ({proc.returncode}):\n{self.log[-3000:]}")

    def processes(self) -> list[psutil.Process]:
        """The head's processes: its process group (workers the raylet starts included)."""
        if self._group is None:
            return []
        out = []
        for proc in psutil.process_iter(["pid"]):
            try:
                if os.getpgid(proc.pid) == self._group:
                    out.append(proc)
            except (ProcessLookupError, psutil.Error):
                continue
        return out

    def stop(self, grace: float = 3.0) -> None:
        if self._group is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self._group, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + grace
            while self.processes() and time.monotonic() < deadline:
                time.sleep(0.2)
            if not self.processes():
                break
        self._group = None
