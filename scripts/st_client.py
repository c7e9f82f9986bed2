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
- widget values persist for the session and are sent with every rerun; a trigger (button) is
  sent once;
- what the server sends (the message cache, the fragments' timers, what is recorded in
  ``SessionStats``) is read as scripts/st_receive.py says.

Only the standard library, ``websockets`` (installed with streamlit) and ``streamlit.proto``
(through ui/server/streamlit_internals.py, whose contract tests name the version it was checked with).
"""

from __future__ import annotations

import asyncio
import sys
import time
import urllib.parse
from pathlib import Path

import websockets

if str(Path(__file__).resolve().parents[1]) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ui.server.streamlit_internals import websocket_protos  # noqa: E402  (Streamlit's own messages)
from st_receive import Receiving, ScriptRun, SessionStats, _Cached  # noqa: E402  (how the server's messages are read)

BackMsg, ForwardMsg, WidgetState = websocket_protos()


class SessionError(RuntimeError):
    pass


class StSession(Receiving):
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
