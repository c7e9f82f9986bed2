"""The web process's garbage: collected by Python's generational collector, never in full after
every script run (`runner.postScriptGC = false` in .streamlit/config.toml).

torch, plotly and Streamlit leave a few million long-lived objects. A full collection walks all of
them: tens of milliseconds, which a class's fragment reruns (dozens a second) turned into most of
a core. `settle()` imports the heavy modules once, collects once, then freezes what is there, so
later collections only look at objects made after start-up.
"""

from __future__ import annotations

import gc
import threading
import time

_DONE = False
SWEEP_S = 60.0   # a closed tab's session is kept two minutes for a reconnect; then let go within a minute
_LOCK = threading.Lock()


def settle() -> None:
    """Once per process: import what every page uses, collect, and freeze the survivors."""
    global _DONE
    if _DONE:
        return
    with _LOCK:
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
    from . import streamlit_internals

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
