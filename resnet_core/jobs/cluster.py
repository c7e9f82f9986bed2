"""The training cluster kept off every page's path: Ray is reached in the background.

`default_executor` (resnet_core.jobs.executors) returns a ClusterExecutor when
RESNET_EXPLORER_RAY_ADDRESS is set. It returns at once; a thread connects (resnet_core.jobs.
ray_executor.RayExecutor: a quick probe of the port, then Ray's own connection), and when that
fails it says why and tries again after 2, 5, 10, 20, then every 30 s. While the cluster cannot
be reached, new runs wait in the job runner's queue (its bound and fair turns unchanged: the
runner asks `ready()` before it takes a job), or, with RESNET_EXPLORER_RAY_FALLBACK=local, train
in a pool of local worker processes. A connection lost during a run fails that run with the
reason; the thread notices, reconnects, and the queue goes on.

The pages read `state()`: what a student and the teacher are told. No Streamlit here.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from resnet_core import settings
from resnet_core.messages import message, own_sentence

log = logging.getLogger(__name__)

RETRY_SECONDS = (2.0, 5.0, 10.0, 20.0, 30.0)   # between attempts; the last one repeats
WATCH_SECONDS = 2.0     # how often a connected cluster is checked while nothing runs on it


@dataclass(frozen=True)
class ClusterState:
    address: str
    state: str              # connecting, connected or unreachable
    reason: str = ""        # why it cannot be reached (or why the last connection ended)
    since: float = 0.0      # time.time() of the last change
    next_try: float = 0.0   # time.time() of the next attempt, while unreachable
    slots: int = 0          # runs the cluster takes at once, once connected
    fallback: str = ""      # "local": runs train in local workers while it cannot be reached
    waiting: bool = False   # True while runs wait for it (no fallback)


def one_line(err: BaseException) -> str:
    """An error as one short line; Ray Client's bare timeout gets the usual cause beside it."""
    own = own_sentence(err)   # our own sentence (ClusterNoAnswer), not Python's or Ray's words
    if own:
        return own
    text = " ".join(str(err).split())[:240]
    line = f"{type(err).__name__}: {text}" if text else type(err).__name__
    if "ray client connection timeout" in text:
        line = message("cluster_token", error=line)
    return line


def ray_said(err: BaseException) -> str:
    """Why connecting or a run on the cluster failed, for the pages: our own sentence as it is,
    anything else (Ray's or Python's words) inside a sentence that says whose words they are."""
    line = one_line(err)
    if getattr(line, "code", ""):
        return line
    return message("ray_error", error=line)


class ClusterExecutor:
    """The executor interface (resnet_core.jobs.executors) over a Ray cluster that may come and go.

    `connect(address)` makes the connected executor (default: RayExecutor); `fallback()` makes
    the local one used while the cluster cannot be reached (None: runs wait for it)."""

    def __init__(self, address: str, *, connect: Callable | None = None, fallback: Callable | None = None,
                 fallback_slots: int = 1, retry: tuple[float, ...] = RETRY_SECONDS):
        self.address = address
        if not address.startswith("ray://"):
            log.warning("RESNET_EXPLORER_RAY_ADDRESS=%s makes this process a Ray driver, which Ray ends 60 s "
                        "after the head goes away; ray://HEAD:10001 only loses its connection", address)
        self._connect = connect or _ray_executor
        self._make_fallback, self._fallback_slots = fallback, max(1, fallback_slots)
        self._fallback = None
        self._retry = retry
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._link = None
        self._listeners: list[Callable[[], None]] = []
        self._closed = False
        self._state = ClusterState(address, "connecting", since=time.time(),
                                   fallback="local" if fallback else "", waiting=fallback is None)
        self._thread = threading.Thread(target=self._keep_connected, daemon=True, name="resnet-explorer-cluster")
        self._thread.start()

    # --- what the runner and the pages ask ---------------------------------------------------

    @property
    def slots(self) -> int:
        link = self._link
        if link is not None:
            return link.slots
        return self._fallback_slots if self._make_fallback else 1

    @property
    def device(self) -> str:
        """The kind of device the cluster's runs get ("cuda" when it has GPUs), which prices them;
        "auto" while it is not connected."""
        link = self._link
        return getattr(link, "device", "auto") if link is not None else "auto"

    def ready(self) -> bool:
        """Whether a job handed over now would run (on the cluster, or in the fallback pool)."""
        return self._link is not None or self._make_fallback is not None

    def state(self) -> ClusterState:
        return self._state

    def on_change(self, listener: Callable[[], None]) -> None:
        """`listener()` is called (from this executor's thread) whenever the state changes."""
        with self._lock:
            self._listeners.append(listener)

    def retry_now(self) -> None:
        """Try to connect at once instead of at the next planned attempt."""
        self._wake.set()

    # --- the executor interface -----------------------------------------------------------------

    def run(self, spec, control) -> tuple[str, str]:
        link = self._link
        if link is None:
            if self._make_fallback is not None:
                return self._local().run(spec, control)
            return "failed", message("cluster_unreachable", addr=self.address, reason=self._state.reason)
        try:
            status, error = link.run(spec, control)
        except Exception as err:
            if link.alive():
                raise
            status, error = "failed", ray_said(err)
        if status == "failed" and not link.alive():
            self._lost(link, error)
            return "failed", message("cluster_lost_run", addr=self.address, reason=error)
        return status, error

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            link, self._link = self._link, None
            pool, self._fallback = self._fallback, None
        self._wake.set()
        for executor in (link, pool):
            if executor is not None:
                executor.shutdown()

    # --- the connection -------------------------------------------------------------------------

    def _local(self):
        with self._lock:
            if self._fallback is None:
                self._fallback = self._make_fallback()
            return self._fallback

    def _set(self, state: str, reason: str = "", next_try: float = 0.0) -> None:
        link = self._link
        self._state = ClusterState(self.address, state, reason, time.time(), next_try,
                                   link.slots if link is not None else 0, self._state.fallback,
                                   self._state.waiting)
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener()
            except Exception:
                log.exception("a listener of the cluster's state failed")

    def _lost(self, link, reason: str) -> None:
        with self._lock:
            if self._link is not link:   # another run or the watcher said so already
                return
            self._link = None
        log.error("lost the training cluster at %s: %s", self.address, reason)
        try:
            link.shutdown()
        except Exception:   # the connection is gone; what it held is gone with it
            log.debug("closing a lost cluster connection failed", exc_info=True)
        self._set("unreachable", message("cluster_lost", reason=reason), time.time())
        self._wake.set()

    def _keep_connected(self) -> None:
        failures = 0
        while not self._closed:
            link = self._link
            if link is not None:
                self._wake.wait(WATCH_SECONDS)
                self._wake.clear()
                if not self._closed and not link.alive():
                    self._lost(link, message("cluster_silent"))
                continue
            try:
                link = self._connect(self.address)
            except Exception as err:   # whatever Ray raises: said on the pages, the details in the log
                delay = self._retry[min(failures, len(self._retry) - 1)]
                failures += 1
                reason = ray_said(err)
                # Said once per new reason, not every 30 s of a day the cluster is down.
                log.log(logging.WARNING if reason != self._state.reason else logging.DEBUG,
                        "the training cluster at %s cannot be reached (%s); next try in %.0f s",
                        self.address, reason, delay)
                self._set("unreachable", reason, time.time() + delay)
                self._wake.wait(delay)
                self._wake.clear()
                continue
            with self._lock:
                if self._closed:
                    link.shutdown()
                    return
                self._link = link
            failures = 0
            log.info("connected to the training cluster at %s (%d runs at once)", self.address, link.slots)
            self._set("connected")


def _ray_executor(address: str):
    from resnet_core.jobs.ray_executor import RayExecutor  # imports ray: only a server that chose it pays

    return RayExecutor(address)


def fallback_setting() -> str:
    """RESNET_EXPLORER_RAY_FALLBACK: "local" trains in local workers while the cluster cannot be
    reached; anything else (the default, "wait") keeps new runs in the queue."""
    return "local" if settings.ray_fallback() == "local" else ""
