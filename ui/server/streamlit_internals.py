"""Every use of Streamlit's private internals, each behind one function, in this one module.

A Streamlit upgrade may rename or change any of these. Each has a contract test in
tests/test_streamlit_internals.py that names the Streamlit version it was checked with (TESTED) and
what it relies on, so an upgrade fails there, loudly, and never on a page: where a use fails at
run time, the caller falls back to Streamlit's public API (slower, the same page) and the failure
is logged once per process. ``RESNET_EXPLORER_ST_INTERNALS=0`` turns every internal off (the public
API throughout), to compare or to get round a broken upgrade.

What each one buys (measured figures in the README, "Streamlit's internals"):

- ``plotly_message`` / ``send_plotly``: a live chart's message is made once for every watching
  session instead of ``st.plotly_chart`` copying, serialising and hashing the figure in each
  session's rerun (st._main, DeltaGenerator._enqueue, elements.lib.layout_utils.LayoutConfig, the
  PlotlyChart proto and its "$$ID-<md5>-<key>" element id).
- ``script_running``: whether a page's script is running, to read the address and session state
  only then (runtime.scriptrunner.get_script_run_ctx; public fallback: st.runtime.exists()).
- ``widget_takes``: whether a widget made in this run gives a value from a link back as it is,
  by its own conversion to the browser's form and back (the session state's key-to-id map and
  widget metadata); a value set in session state before the widget is made is never checked by
  the widget itself. Fallback: no judgement, as before.
- ``static_js_folder``: where the frontend's code chunks are served from, to preload plotly's.
- ``websocket_protos``: the protobuf messages a browser exchanges with the server, which
  scripts/st_client.py speaks for the warm-up and the benches (streamlit.proto).
- ``expire_closed_sessions``: a closed tab's session is let go once its keep-alive has passed,
  even when no other tab comes (runtime's session manager and its TTLCache of closed sessions).
- ``cache_component_scan``: the tests scan installed packages for components once per process
  (components.v2.manifest_scanner).
- ``share_script_bytecode``: the tests compile each page script once per process
  (runtime.scriptrunner.script_cache.ScriptCache).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from pathlib import Path

import streamlit as st

from resnet_core import settings

log = logging.getLogger(__name__)

TESTED = "1.67.0"       # the Streamlit version every contract below was checked with
ENV = settings.st_internals.env

_failed: set[str] = set()
_lock = threading.Lock()


def enabled(name: str) -> bool:
    """Whether the internal `name` may be used: not turned off, and not failed in this process."""
    return settings.st_internals() and name not in _failed


def failed(name: str, exc: BaseException) -> None:
    """`name` broke: use the public API from now on, and say so once."""
    with _lock:
        if name in _failed:
            return
        _failed.add(name)
    log.warning("Streamlit %s (internals checked with %s): %s failed (%s: %s); using the public API "
                "instead, slower but the same page. tests/test_streamlit_internals.py says what changed.",
                st.__version__, TESTED, name, type(exc).__name__, exc)


def reset() -> None:
    """Forget failures (tests)."""
    with _lock:
        _failed.clear()


# --- a live chart's message, made once and sent to every viewer ---------------------------

def plotly_message(spec: str, config: dict, element_key: str):
    """The PlotlyChart message ``st.plotly_chart(fig, config=config, key=element_key)`` sends for a
    chart outside a form, default theme, selections off, whose figure serialises to `spec`
    (plotly.io.to_json without validation); None when the internal is unavailable."""
    if not enabled("plotly_message"):
        return None
    try:
        from streamlit.proto.PlotlyChart_pb2 import PlotlyChart

        proto = PlotlyChart()
        proto.theme = "streamlit"
        proto.spec = spec
        proto.config = json.dumps(config)
        digest = hashlib.md5((proto.spec + proto.config + element_key).encode(), usedforsecurity=False).hexdigest()
        proto.id = f"$$ID-{digest}-{element_key or 'None'}"
        return proto
    except Exception as exc:
        failed("plotly_message", exc)
        return None


def send_plotly(container, message, height: int) -> bool:
    """Put a made message on the page in `container` (``st`` or a column) with st.plotly_chart's
    layout (full width, the figure's height); False when that cannot be done (nothing was sent)."""
    if message is None or not enabled("send_plotly"):
        return False
    try:
        from streamlit.elements.lib.layout_utils import LayoutConfig

        if container is st:             # st.plotly_chart draws on the main delta generator
            container = st._main
        container._enqueue("plotly_chart", message, layout_config=LayoutConfig(width="stretch", height=height))
        return True
    except Exception as exc:
        failed("send_plotly", exc)
        return False


# --- small ones -----------------------------------------------------------------------------

def script_running() -> bool:
    """Whether this thread runs a page's script (so st.session_state and st.query_params exist)."""
    if enabled("script_running"):
        try:
            from streamlit.runtime.scriptrunner import get_script_run_ctx

            return get_script_run_ctx(suppress_warning=True) is not None
        except Exception as exc:
            failed("script_running", exc)
    return st.runtime.exists()


def widget_takes(key: str, value) -> bool | None:
    """Whether the widget `key`, made in this run, gives `value` back as it is: converted to the
    form the browser sends and back by the widget's own functions. A one-number slider gives its
    default for a list and raises for a word, and a whole-number slider turns true into 1, so a
    link's value that the page's code could not use is told here. None when it cannot be told
    (no widget `key` in this run, or the internal is off): the caller does not judge."""
    if not enabled("widget_takes"):
        return None
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx(suppress_warning=True)
        if ctx is None:
            return None
        state = ctx.session_state._state
        widget_id = state._key_id_mapper.get_id_from_key(key)
        meta = state._new_widget_state.widget_metadata.get(widget_id) if widget_id else None
        if meta is None:
            return None
        serialize, deserialize = meta.serializer, meta.deserializer
    except Exception as exc:
        failed("widget_takes", exc)
        return None
    try:
        back = deserialize(serialize(value))
    except Exception:   # the widget's own conversion refused the value
        return False
    if isinstance(back, tuple) and isinstance(value, list):   # a range slider's pair, as a link writes it
        back = list(back)
    return type(back) is type(value) and back == value


def expire_closed_sessions() -> int:
    """Let go of the sessions of closed tabs whose keep-alive (two minutes, for a reconnect) has
    passed; returns how many. Streamlit drops them only when another tab connects or leaves, and
    each holds its script thread's event loop (three file descriptors) until it is collected."""
    if not enabled("expire_sessions"):
        return 0
    try:
        from contextlib import nullcontext

        from streamlit import runtime

        if not runtime.exists():
            return 0
        manager = runtime.get_instance()._session_mgr
        with getattr(manager, "_storage_lock", None) or nullcontext():
            expired = manager._session_storage._cache.expire()
        return len(expired or ())
    except Exception as exc:
        failed("expire_sessions", exc)
        return 0


def static_js_folder() -> Path:
    """The folder whose files the frontend loads as ``static/js/<name>`` (its code chunks)."""
    return Path(st.__file__).resolve().parent / "static" / "static" / "js"


def websocket_protos():
    """(BackMsg, ForwardMsg, WidgetState): the messages of the browser's websocket."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    return BackMsg, ForwardMsg, WidgetState


def cache_component_scan() -> bool:
    """Scan installed packages for Streamlit components once per process, not once per AppTest
    run (0.4 s of CPU each); False when this Streamlit has no such scanner (tests only slower)."""
    import functools

    try:
        from streamlit.components.v2 import manifest_scanner

        scan = manifest_scanner.scan_component_manifests
    except (ImportError, AttributeError):
        return False
    if not hasattr(scan, "cache_info"):
        manifest_scanner.scan_component_manifests = functools.cache(scan)
    return True


def share_script_bytecode() -> bool:
    """Compile each page script once per process, not again in every AppTest run: every run makes
    a script runner whose ScriptCache starts empty (3-5 ms a compile for the larger pages). Keyed by the file's path, size and
    modification time and the magic setting, so an edited file compiles again. False when this
    Streamlit has no such cache (tests only slower)."""
    import os

    try:
        from streamlit import config
        from streamlit.runtime.scriptrunner.script_cache import ScriptCache

        compile_once = ScriptCache.get_bytecode
    except (ImportError, AttributeError):
        return False
    if getattr(compile_once, "shared", False):
        return True
    codes: dict[tuple, object] = {}

    def get_bytecode(self, script_path: str):
        path = os.path.abspath(script_path)
        stat = os.stat(path)
        key = (path, stat.st_size, stat.st_mtime_ns, config.get_option("runner.magicEnabled"))
        if key not in codes:
            codes[key] = compile_once(self, script_path)
        return codes[key]

    get_bytecode.shared = True
    ScriptCache.get_bytecode = get_bytecode
    return True
