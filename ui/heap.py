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

_DONE = False
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
