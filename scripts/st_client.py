"""A headless Streamlit browser: one session over the websocket a browser uses.

    async with StSession("http://127.0.0.1:8501", page="degradation", query="u=teacher") as s:
        await s.loaded()                     # the first script run has finished
        await s.click("degradation_start")   # a button press, as the browser sends it
        await asyncio.sleep(30)              # fragments with run_every keep rerunning meanwhile
        print(s.stats.summary())

It speaks what the Streamlit frontend of this version (streamlit 1.67, static/js/index.*.js)
speaks, no more:

- connects to ``/_stcore/stream`` with the subprotocols ``streamlit`` + an xsrf placeholder, as
  the frontend does when it has no ``_streamlit_xsrf`` cookie;
- the first ``rerun_script`` carries the page as ``page_name`` (the URL path) with an empty
  ``page_script_hash``; later ones carry the ``page_script_hash`` the server announced
  (``new_session`` / ``navigation``) and the query string it last set (``page_info_changed``);
- ``auto_rerun`` starts a timer per fragment that sends ``rerun_script`` with that fragment id
  and ``is_auto_rerun`` at the given interval (the browser's setInterval, which fires whether or
  not a run is in progress); an equal interval for the same fragment keeps the timer, a full run's
  ``new_session`` clears all timers, ``stop_auto_rerun`` clears the named ones;
- keeps the forward-message cache: cacheable messages are kept by hash, their hashes go back with
  every rerun, a ``ref_hash`` message is resolved from the cache, and entries expire after
  ``max_cached_message_age`` finished runs exactly as the frontend's ForwardMessageCache does;
- widget values persist for the session and are sent with every rerun; a trigger (button) is
  sent once.

What it records (``SessionStats``): bytes and messages received; every script run with the time
of its first delta and whether any element's content changed (by the message hash the server
computes for every delta, so an unchanged chart sent again, or sent as a cache reference, is not
a change); errors: exception elements, ``st.error`` alerts, page-not-found, compile errors, cache
misses and a websocket that closed while the session still wanted it.

Only the standard library, ``websockets`` (installed with streamlit) and ``streamlit.proto``
(through ui/server/streamlit_internals.py, whose contract tests name the version it was checked with).
"""

from __future__ import annotations

import asyncio
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import websockets

if str(Path(__file__).resolve().parents[1]) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ui.server.streamlit_internals import websocket_protos  # noqa: E402  (Streamlit's own messages)

BackMsg, ForwardMsg, WidgetState = websocket_protos()

FINISHED = ForwardMsg.ScriptFinishedStatus
# Element fields that are widgets: their sub-message has an ``id`` ("$$ID-<hash>-<user key>").
WIDGET_FIELDS = ("button", "button_group", "checkbox", "color_picker", "date_input", "download_button",
                 "multiselect", "number_input", "radio", "selectbox", "slider", "text_area", "text_input",
                 "time_input", "date_time_input", "chat_input", "file_uploader", "camera_input", "audio_input",
                 "feedback", "pagination", "menu_button")


class SessionError(RuntimeError):
    pass


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


class StSession:
    """One browser tab on one page. Use as an async context manager, or connect()/close()."""

    def __init__(self, base_url: str, *, page: str = "", query: str = "", name: str = "",
                 locale: str = "en-US", timezone: str = "UTC", open_timeout: float = 30.0) -> None:
        parts = urllib.parse.urlsplit(base_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"   # same origin, as a page served by the app
        self.http_base = f"{self._origin}{parts.path.rstrip('/')}"
        ws_scheme = "wss" if parts.scheme == "https" else "ws"
        self.ws_url = f"{ws_scheme}://{parts.netloc}{parts.path.rstrip('/')}/_stcore/stream"
        self.page = page.strip("/")
        self.query = query.lstrip("?")
        self.locale, self.timezone = locale, timezone
        self.open_timeout = open_timeout
        self.stats = SessionStats(name or self.page or "main", self.page or "main")
        self.page_script_hash = ""
        self.session_id = ""
        self.widget_ids: dict[str, str] = {}       # user key (or label) -> widget id
        self.widget_labels: dict[str, str] = {}    # label -> widget id
        self.widgets: dict[str, object] = {}       # widget id -> its latest element proto
        self._values: dict[str, WidgetState] = {}  # persistent widget values, sent with each rerun
        self._ws = None
        self._reader: asyncio.Task | None = None
        self._timers: dict[str, tuple[float, asyncio.Task]] = {}
        self._cache: dict[str, _Cached] = {}
        self._cache_runs = 0
        self._max_cache_age = 2
        self._shown: dict[tuple, str] = {}         # delta path -> hash of what is shown there
        self._current: ScriptRun | None = None
        self._closing = False
        self._finished = asyncio.Condition()
        self._finished_count = 0
        self._full_finished = 0

    # --- connection --------------------------------------------------------------------------

    async def __aenter__(self) -> "StSession":
        await self.connect()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def connect(self) -> None:
        """Open the websocket and ask for the first run of the page, as a fresh tab does."""
        self.stats.opened = time.monotonic()
        self._ws = await websockets.connect(
            self.ws_url, subprotocols=["streamlit", "PLACEHOLDER_AUTH_TOKEN"],
            origin=self._origin,
            max_size=None, ping_interval=None, open_timeout=self.open_timeout, compression=None)
        self._reader = asyncio.create_task(self._read(), name=f"st-read-{self.stats.name}")
        await self.rerun(page_name=self.page)

    async def close(self) -> None:
        self._closing = True
        for _, task in self._timers.values():
            task.cancel()
        self._timers.clear()
        if self._ws is not None:
            try:
                await asyncio.wait_for(self._ws.close(), 5)
            except Exception:   # a socket already gone closes anyway
                pass
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):
                pass
        if self.stats.closed is None:
            self.stats.closed = time.monotonic()

    @property
    def connected(self) -> bool:
        return self._ws is not None and self.stats.closed is None

    # --- what the browser sends --------------------------------------------------------------

    async def rerun(self, *, fragment_id: str = "", auto: bool = False, page_name: str = "",
                    triggers: dict[str, WidgetState] | None = None) -> None:
        """Send rerun_script with this session's widget values (+ one-shot triggers)."""
        if not self.connected:
            return
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query
        cs.page_script_hash = "" if page_name and not self.page_script_hash else self.page_script_hash
        if not self.page_script_hash:
            cs.page_name = page_name or self.page
        cs.fragment_id = fragment_id
        cs.is_auto_rerun = auto
        for state in self._values.values():
            cs.widget_states.widgets.append(state)
        for state in (triggers or {}).values():
            cs.widget_states.widgets.append(state)
        cs.cached_message_hashes.extend(self._cache.keys())
        ctx = cs.context_info
        ctx.timezone, ctx.timezone_offset, ctx.locale = self.timezone, 0, self.locale
        ctx.url = f"{self.http_base}/{self.page}" + (f"?{self.query}" if self.query else "")
        ctx.is_embedded, ctx.color_scheme = False, "light"
        data = msg.SerializeToString()
        try:
            await self._ws.send(data)
        except websockets.ConnectionClosed:
            self._lost("send failed: socket closed")
            return
        self.stats.bytes_out += len(data)
        self.stats.reruns_sent += 1
        self.stats.auto_reruns_sent += auto

    def widget_id(self, key: str) -> str:
        """The id of the widget with this user key (or, failing that, this label) on the page."""
        if key in self.widget_ids:
            return self.widget_ids[key]
        if key in self.widget_labels:
            return self.widget_labels[key]
        for name, wid in list(self.widget_ids.items()) + list(self.widget_labels.items()):
            if key.lower() in name.lower():
                return wid
        raise SessionError(f"{self.stats.name}: no widget {key!r} on the page "
                           f"(keys: {sorted(k for k in self.widget_ids if not k.startswith('$$ID-'))}; "
                           f"errors: {self.stats.errors[:3]})")

    def options(self, key: str) -> list[str]:
        """The options of a choice widget as the browser shows them (what it sends back as the
        value of a segmented control, a pills row or a select slider)."""
        widget = self.widgets[self.widget_id(key)]
        return [o if isinstance(o, str) else getattr(o, "content", str(o)) for o in getattr(widget, "options", [])]

    async def click(self, key: str, *, wait: bool = True, timeout: float = 60.0) -> None:
        """Press a button (or a form's submit button): one rerun with its trigger set."""
        wid = self.widget_id(key)
        n = self._full_finished
        await self.rerun(triggers={wid: WidgetState(id=wid, trigger_value=True)})
        if wait:
            await self._wait_full_runs(n + 1, timeout)

    async def set_value(self, key: str, *, rerun: bool = True, wait: bool = True, timeout: float = 60.0,
                        **value) -> None:
        """Change a widget as the user would, e.g. ``set_value("build_show_class", bool_value=True)``
        or ``set_value("degradation_steps", string_array_value=["150"])``; one rerun. Inside a form
        pass ``rerun=False``: the browser sends form values only with the submit (``click``)."""
        wid = self.widget_id(key)
        state = WidgetState(id=wid)
        for name, v in value.items():
            target = getattr(state, name, None)
            if hasattr(target, "data"):       # the *_array_value messages
                target.data.extend(v)
            else:
                setattr(state, name, v)
        self._values[wid] = state
        if not rerun:
            return
        n = self._full_finished
        await self.rerun()
        if wait:
            await self._wait_full_runs(n + 1, timeout)

    async def loaded(self, timeout: float = 120.0) -> None:
        """Wait until the page's first full run has finished."""
        await self._wait_full_runs(1, timeout)

    async def _wait_full_runs(self, count: int, timeout: float) -> None:
        async def done() -> None:
            async with self._finished:
                await self._finished.wait_for(lambda: self._full_finished >= count or not self.connected)
        await asyncio.wait_for(done(), timeout)
        if self._full_finished < count:
            raise SessionError(f"{self.stats.name}: disconnected before its run finished")

    # --- what the server sends ---------------------------------------------------------------

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


async def health(base_url: str, timeout: float = 2.0) -> bool:
    """GET /_stcore/health (what the frontend asks before it opens the websocket)."""
    parts = urllib.parse.urlsplit(base_url)
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(parts.hostname, parts.port), timeout)
    except (OSError, asyncio.TimeoutError):
        return False
    try:
        writer.write(f"GET {parts.path.rstrip('/')}/_stcore/health HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                     f"Connection: close\r\n\r\n".encode())
        await writer.drain()
        data = await asyncio.wait_for(reader.read(4096), timeout)
        return data.startswith(b"HTTP/1.1 200")
    except (OSError, asyncio.TimeoutError):
        return False
    finally:
        writer.close()
