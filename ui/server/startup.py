"""The web process's start-up: the heavy libraries imported once, by one thread at a time, then
its garbage settled.

One import at a time. A classroom opens pages together: several sessions' threads then import
torch, pandas and plotly at the same moment. Python's per-module import locks can meet in a cycle
there (one thread inside pandas waiting for a module another thread holds, and the reverse);
Python breaks the cycle by handing one thread a half-built module, and plotly's lazy
``pandas.Series`` check then fails in the middle of a chart. app.py calls `load(...)` right after
the navigation is set, with the app's modules that use them, so every later import of these finds
them complete.

The garbage: collected by Python's generational collector, never in full after every script run
(`runner.postScriptGC = false` in .streamlit/config.toml). torch, plotly and Streamlit leave a few
million long-lived objects. A full collection walks all of them: tens of milliseconds, which a
class's fragment reruns (dozens a second) turned into most of a core. `settle()` imports the heavy
modules once, collects once, then freezes what is there, so later collections only look at
objects made after start-up; `sweep()` lets closed tabs go once a minute.
"""

from __future__ import annotations

import gc
import importlib
import threading
import time

from ui.server import streamlit_internals

_LOCK = threading.Lock()
_loaded = False
_DONE = False
SWEEP_S = 60.0   # a closed tab's session is kept two minutes for a reconnect; then let go within a minute
_SETTLE_LOCK = threading.Lock()


def load(*modules: str) -> None:
    """Import torch, pandas, plotly and `modules` (the app's own that use them, by name), once; a
    second thread waits for the first instead of importing beside it."""
    global _loaded
    if _loaded:
        return
    with _LOCK:
        if _loaded:
            return
        import pandas  # noqa: F401  (plotly imports it lazily, inside figure building)
        import plotly.graph_objects  # noqa: F401
        import torch  # noqa: F401
        # Pulled in by the first weight init (cost estimates build nets on the meta device):
        # 2.6 s of imports that would otherwise land in the middle of some student's page.
        import torch._dynamo  # noqa: F401

        for name in modules:
            importlib.import_module(name)
        _loaded = True


def settle() -> None:
    """Once per process: import what every page uses, collect, and freeze the survivors."""
    global _DONE
    if _DONE:
        return
    with _SETTLE_LOCK:
        if _DONE:
            return
        import plotly.graph_objects  # noqa: F401
        import torch  # noqa: F401

        import resnet_core.nets.flops  # noqa: F401
        import resnet_core.store.runs  # noqa: F401
        import resnet_core.training.engine  # noqa: F401

        gc.collect()
        gc.freeze()
        _DONE = True
        threading.Thread(target=_sweep_forever, name="resnet-explorer-heap", daemon=True).start()


def sweep() -> int:
    """Let go of closed tabs' sessions whose keep-alive has passed, then collect in full: returns
    the sessions let go. After `freeze`, Python's collector almost never runs a full collection on
    its own (it waits for a quarter as many new long-lived objects as there were at start-up,
    millions), so what a closed tab leaves in reference cycles (its session, its script thread's
    event loop and its three file descriptors, its store connection) could stay all day; with the
    sweep a day's descriptors go back to where they began (bench/bench_day.py). The full collection walks
    only what was made after start-up: milliseconds, once a minute."""
    let_go = streamlit_internals.expire_closed_sessions()
    gc.collect()
    return let_go


def _sweep_forever() -> None:
    import logging

    while True:
        time.sleep(SWEEP_S)
        try:
            sweep()
        except Exception:   # never let the sweeper end the server, nor stop sweeping
            logging.getLogger(__name__).exception("heap sweep failed")
