"""Start the browser loading the chart library while the page's script still runs on the server.

Streamlit's frontend fetches plotly's code (a 4.7 MB chunk) only when the first chart of a page
arrives, and then spends one to two seconds of the browser's CPU compiling it before anything is
drawn: on a chart page's first visit that wait came after the server had already finished. Asking
for the same module as soon as the page's first element arrives lets the download and the compile
overlap the server's work. The browser keeps one copy per URL, so Streamlit's own import later
finds it ready. Pages that draw no chart on arrival ask for it only once the browser is idle, so
the next page a student opens is quick and this one is not slowed.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import streamlit as st

KEY = "chart_preload"
# The container and Streamlit's layout wrapper around it, so the page keeps no gap for it.
_STYLE = f"<style>.st-key-{KEY}, :has(> .st-key-{KEY}) {{display: none;}}</style>"

# The module is named relative to Streamlit's own entry script, so a served base path
# (server.baseUrlPath) still resolves. Once per browser tab: later pages find window's flag.
_SCRIPT = """<script>
(() => {
  if (window.__chartsLoading) return;
  const entry = [...document.scripts].map(s => s.src).find(s => /\\/static\\/js\\/index\\.[^/]+\\.js$/.test(s));
  if (!entry) return;
  window.__chartsLoading = true;
  const load = () => import(new URL("./%(chunk)s", entry).href).catch(() => { window.__chartsLoading = false; });
  %(when)s
})();
</script>"""
_NOW = "load();"
_IDLE = ("setTimeout(() => (window.requestIdleCallback || setTimeout)(load, {timeout: 5000}), %d);")
IDLE_DELAY_MS = 3000


@lru_cache(maxsize=1)
def chart_chunk() -> str | None:
    """The file name of Streamlit's plotly chunk in this installation, or None if it has none."""
    folder = Path(st.__file__).resolve().parent / "static" / "static" / "js"
    found = sorted(folder.glob("PlotlyChart.*.js"))
    return found[0].name if found else None


def script(now: bool) -> str:
    """The page's hidden preload element, or "" when Streamlit ships no plotly chunk."""
    chunk = chart_chunk()
    if chunk is None:
        return ""
    when = _NOW if now else _IDLE % IDLE_DELAY_MS
    return _STYLE + _SCRIPT % {"chunk": chunk, "when": when}


def charts(now: bool) -> None:
    """Ask the browser for the chart library: at once on a page that draws charts on arrival,
    when the browser is idle on any other."""
    body = script(now)
    if body:
        with st.container(key=KEY):
            st.html(body, unsafe_allow_javascript=True)
