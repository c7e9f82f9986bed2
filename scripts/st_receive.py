"""What a headless Streamlit session (scripts/st_client.py) does with what the server sends, and
what it records of it: a part of StSession kept apart, because it is how the messages are read,
not how the session talks. It uses the session's socket, timers, cache and stats.

- keeps the forward-message cache: cacheable messages are kept by hash, their hashes go back with
  every rerun, a ``ref_hash`` message is resolved from the cache, and entries expire after
  ``max_cached_message_age`` finished runs exactly as the frontend's ForwardMessageCache does;
- ``auto_rerun`` starts a timer per fragment that sends ``rerun_script`` with that fragment id
  and ``is_auto_rerun`` at the given interval (the browser's setInterval, which fires whether or
  not a run is in progress); an equal interval for the same fragment keeps the timer, a full run's
  ``new_session`` clears all timers, ``stop_auto_rerun`` clears the named ones.

What it records (``SessionStats``): bytes and messages received; every script run with the time
of its first delta and whether any element's content changed (by the message hash the server
computes for every delta, so an unchanged chart sent again, or sent as a cache reference, is not
a change); errors: exception elements, ``st.error`` alerts, page-not-found, compile errors, cache
misses and a websocket that closed while the session still wanted it.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import websockets

if str(Path(__file__).resolve().parents[1]) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ui.server.streamlit_internals import websocket_protos  # noqa: E402  (Streamlit's own messages)

_, ForwardMsg, _ = websocket_protos()

FINISHED = ForwardMsg.ScriptFinishedStatus
# Element fields that are widgets: their sub-message has an ``id`` ("$$ID-<hash>-<user key>").
WIDGET_FIELDS = ("button", "button_group", "checkbox", "color_picker", "date_input", "download_button",
                 "multiselect", "number_input", "radio", "selectbox", "slider", "text_area", "text_input",
                 "time_input", "date_time_input", "chat_input", "file_uploader", "camera_input", "audio_input",
                 "feedback", "pagination", "menu_button")


@dataclass
class ScriptRun:
    """One script run as this session saw it (a full run or a fragment rerun)."""
    run_id: str
    fragment_ids: tuple[str, ...]
    first_msg: float
    first_delta: float | None = None
    first_change: float | None = None     # first delta whose content differs from what was shown
    deltas: int = 0
    changes: int = 0
    finished: float | None = None
    status: str = ""


@dataclass
class SessionStats:
    name: str
    page: str
    opened: float = 0.0
    loaded: float | None = None       # the first full run finished
    closed: float | None = None
    bytes_in: int = 0
    msgs_in: int = 0
    bytes_out: int = 0
    reruns_sent: int = 0
    auto_reruns_sent: int = 0
    cache_hits: int = 0
    runs: list[ScriptRun] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dropped: bool = False             # the server closed the socket while the session was open
    saw_auto_rerun: bool = False      # some fragment on the page polls (the page is live)

    def update_times(self, *, changed: bool = True) -> list[float]:
        """When each update reached the session: the first (changed) delta of each run."""
        if changed:
            return [r.first_change for r in self.runs if r.first_change is not None]
        return [r.first_delta for r in self.runs if r.first_delta is not None]

    def summary(self) -> str:
        return (f"{self.name} [{self.page}] runs={len(self.runs)} updates={len(self.update_times())} "
                f"bytes={self.bytes_in} errors={len(self.errors)} dropped={self.dropped}")


@dataclass
class _Cached:
    raw: bytes
    run_count: int
    fragment_id: str


class Receiving:
    """StSession's handling of the server's messages (see the module's docstring)."""

    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                if isinstance(raw, str):
                    self.stats.errors.append("text frame from server")
                    continue
                self.stats.bytes_in += len(raw)
                self.stats.msgs_in += 1
                await self._handle(raw)
        except websockets.ConnectionClosed:
            pass
        except asyncio.CancelledError:
            raise
        except Exception as exc:   # a bug here must show as an error, not a silent stop
            self.stats.errors.append(f"client: {type(exc).__name__}: {exc}")
        if not self._closing:
            self._lost("server closed the connection")

    def _lost(self, why: str) -> None:
        if self.stats.closed is None:
            self.stats.dropped = True
            self.stats.errors.append(f"disconnected: {why}")
            self.stats.closed = time.monotonic()
            for _, task in self._timers.values():
                task.cancel()
            self._timers.clear()
            asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._finished:
            self._finished.notify_all()

    async def _handle(self, raw: bytes) -> None:
        now = time.monotonic()
        msg = ForwardMsg.FromString(raw)
        kind = msg.WhichOneof("type")
        if kind != "ref_hash" and msg.metadata.cacheable and msg.hash and msg.hash not in self._cache:
            self._cache[msg.hash] = _Cached(raw, self._cache_runs, msg.delta.fragment_id if kind == "delta" else "")
        content_hash = msg.hash
        if kind == "ref_hash":
            cached = self._cache.get(msg.ref_hash)
            if cached is None:
                self.stats.errors.append(f"cache miss for {msg.ref_hash}")
                return
            cached.run_count = self._cache_runs     # the frontend refreshes an entry's age on a hit
            self.stats.cache_hits += 1
            metadata = msg.metadata
            msg = ForwardMsg.FromString(cached.raw)
            msg.metadata.CopyFrom(metadata)
            kind, content_hash = msg.WhichOneof("type"), msg.hash   # the cached message keeps its hash

        run = self._run_of(msg, now)
        if kind == "new_session":
            self._new_session(msg)
        elif kind == "delta":
            self._delta(msg, content_hash, run, now)
        elif kind == "script_finished":
            await self._script_finished(msg, run, now)
        elif kind == "auto_rerun":
            self._auto_rerun(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fid in msg.stop_auto_rerun.fragment_ids:
                self._stop_timer(fid)
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "navigation":
            if msg.navigation.page_script_hash:
                self.page_script_hash = msg.navigation.page_script_hash
        elif kind == "page_not_found":
            self.stats.errors.append(f"page not found: {msg.page_not_found.page_name}")
        elif kind == "session_event":
            event = msg.session_event.WhichOneof("type")
            if event == "script_compilation_exception":
                self.stats.errors.append("script compilation error")

    def _run_of(self, msg: ForwardMsg, now: float) -> ScriptRun | None:
        rid = msg.metadata.run.script_run_id
        if not rid:
            return self._current
        if self._current is None or self._current.run_id != rid:
            self._current = ScriptRun(rid, tuple(msg.metadata.run.fragment_ids), now)
            self.stats.runs.append(self._current)
        return self._current

    def _new_session(self, msg: ForwardMsg) -> None:
        ns = msg.new_session
        if ns.initialize.session_id:
            self.session_id = ns.initialize.session_id
        if ns.config.max_cached_message_age:
            self._max_cache_age = ns.config.max_cached_message_age
        if ns.page_script_hash:
            self.page_script_hash = ns.page_script_hash
        if not msg.metadata.run.fragment_ids:
            # A full run: the browser clears every fragment timer; the run registers them again.
            for fid in list(self._timers):
                self._stop_timer(fid)

    def _delta(self, msg: ForwardMsg, content_hash: str, run: ScriptRun | None, now: float) -> None:
        path = tuple(msg.metadata.delta_path)
        changed = self._shown.get(path) != content_hash
        self._shown[path] = content_hash
        if run is not None:
            run.deltas += 1
            if run.first_delta is None:
                run.first_delta = now
            if changed:
                run.changes += 1
                if run.first_change is None:
                    run.first_change = now
        delta = msg.delta
        if delta.WhichOneof("type") != "new_element":
            return
        el = delta.new_element
        which = el.WhichOneof("type")
        if which == "exception":
            self.stats.errors.append(f"exception: {el.exception.type}: {el.exception.message[:200]}")
        elif which == "alert" and el.alert.format == el.alert.ERROR:
            self.stats.errors.append(f"st.error: {el.alert.body[:200]}")
        elif which in WIDGET_FIELDS:
            widget = getattr(el, which)
            wid = getattr(widget, "id", "")
            if wid:
                # "$$ID-<hash>-<user key>"; a form's submit button's key is "FormSubmitter:<form>-<label>"
                key = wid.split("-", 2)[2] if wid.startswith("$$ID-") and wid.count("-") >= 2 else wid
                self.widget_ids[key] = wid
                self.widget_ids[wid] = wid
                self.widgets[wid] = widget
                label = getattr(widget, "label", "")
                if label:
                    self.widget_labels[label] = wid

    async def _script_finished(self, msg: ForwardMsg, run: ScriptRun | None, now: float) -> None:
        status = msg.script_finished
        if run is not None:
            run.finished, run.status = now, FINISHED.Name(status)
        if status == FINISHED.FINISHED_WITH_COMPILE_ERROR:
            self.stats.errors.append("script finished with a compile error")
        if status != FINISHED.FINISHED_EARLY_FOR_RERUN:
            self._expire_cache(run.fragment_ids if run else ())
        full = status in (FINISHED.FINISHED_SUCCESSFULLY, FINISHED.FINISHED_WITH_COMPILE_ERROR)
        async with self._finished:
            self._finished_count += 1
            if full:
                self._full_finished += 1
                if self.stats.loaded is None:
                    self.stats.loaded = now
            self._finished.notify_all()

    def _expire_cache(self, fragment_ids: tuple[str, ...]) -> None:
        # ForwardMessageCache.incrementRunCount: a fragment run ages only that fragment's entries.
        self._cache_runs += 1
        for h, entry in list(self._cache.items()):
            if fragment_ids and (not entry.fragment_id or entry.fragment_id not in fragment_ids):
                continue
            if self._cache_runs - entry.run_count > self._max_cache_age:
                del self._cache[h]

    def _auto_rerun(self, fragment_id: str, interval: float) -> None:
        if not fragment_id:
            return
        self.stats.saw_auto_rerun = True
        current = self._timers.get(fragment_id)
        if current and current[0] == interval:
            return
        self._stop_timer(fragment_id)
        self._timers[fragment_id] = (interval, asyncio.get_running_loop().create_task(
            self._tick(fragment_id, interval), name=f"st-tick-{self.stats.name}"))

    def _stop_timer(self, fragment_id: str) -> None:
        entry = self._timers.pop(fragment_id, None)
        if entry:
            entry[1].cancel()

    async def _tick(self, fragment_id: str, interval: float) -> None:
        # setInterval: a fixed period from when the timer was set, whatever the runs are doing.
        start = time.monotonic()
        n = 0
        while self.connected:
            n += 1
            await asyncio.sleep(max(0.0, start + n * interval - time.monotonic()))
            await self.rerun(fragment_id=fragment_id, auto=True)
