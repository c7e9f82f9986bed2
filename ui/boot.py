"""The heavy libraries, imported once per process by one thread at a time.

A classroom opens pages together: several sessions' threads then import torch, pandas and
plotly at the same moment. Python's per-module import locks can meet in a cycle there (one
thread inside pandas waiting for a module another thread holds, and the reverse); Python breaks
the cycle by handing one thread a half-built module, and plotly's lazy ``pandas.Series`` check
then fails in the middle of a chart. app.py calls `load()` right after the navigation is set, so
every later import of these finds them complete.
"""

import threading

_LOCK = threading.Lock()
_loaded = False


def load() -> None:
    """Import torch, pandas, plotly and the ui helpers that use them, once; a second thread waits
    for the first instead of importing beside it."""
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

        from . import exports, heap, identity, links, progress, runs, teacher  # noqa: F401
        from .draw import outline  # noqa: F401
        _loaded = True
