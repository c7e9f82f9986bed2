"""Let the browser load the chart library while a student reads a page, not when they open the next.

Streamlit's frontend fetches plotly's code (a 4.7 MB chunk) only when a page's first chart
arrives, and then spends one to two seconds of the browser's CPU compiling it before anything is
drawn. A student who opens Home and then Gradient flow waited for that on the second page. Every
page therefore asks for the same module once the browser is idle; the browser keeps one copy per
URL, so Streamlit's own import later finds it ready, and on a page that draws charts the request
simply joins the one already made. The element comes last on the page, so nothing waits for it.

Measured in Chromium on a 2-core machine, Home and then a click to Gradient flow: 4.5-4.7 s until
the second page was drawn before, 2.5-2.8 s after (Feature maps: 2.8-3.3 s, then 2.0-2.4 s). Asking
at once on a chart page made no difference to its own first visit (bench/bench_first_visit.py).
"""

from __future__ import annotations

from functools import lru_cache

import streamlit as st

KEY = "chart_preload"
FLAG = "__chartsLoading"   # set on the tab once the load is asked for; a tab that has it asks no more
# The container and Streamlit's layout wrapper around it, so the page keeps no gap for it.
_STYLE = (f'<style>.st-key-{KEY}, [data-testid="stLayoutWrapper"]:has(> .st-key-{KEY}) '
          '{display: none;}</style>')
IDLE_DELAY_MS = 3000     # after the page's own first drawing, which idle alone may not wait for

# The module is named relative to Streamlit's own entry script, so a served base path
# (server.baseUrlPath) still resolves. Once per browser tab: later pages find the flag set.
_SCRIPT = """<script>
(() => {
  if (window.%(flag)s) return;
  const entry = [...document.scripts].map(s => s.src).find(s => /\\/static\\/js\\/index\\.[^/]+\\.js$/.test(s));
  if (!entry) return;
  window.%(flag)s = true;
  const load = () => import(new URL("./%(chunk)s", entry).href).catch(() => { window.%(flag)s = false; });
  setTimeout(() => (window.requestIdleCallback || setTimeout)(load, {timeout: 5000}), %(delay)d);
})();
</script>"""


@lru_cache(maxsize=1)
def chart_chunk() -> str | None:
    """The file name of Streamlit's plotly chunk in this installation, or None if it has none."""
    from ui.server.streamlit_internals import static_js_folder

    found = sorted(static_js_folder().glob("PlotlyChart.*.js"))
    return found[0].name if found else None


def script() -> str:
    """The page's hidden preload element, or "" when Streamlit ships no plotly chunk."""
    chunk = chart_chunk()
    if chunk is None:
        return ""
    return _STYLE + _SCRIPT % {"chunk": chunk, "delay": IDLE_DELAY_MS, "flag": FLAG}


def charts() -> None:
    """Ask the browser, once it is idle, for the chart library (a hidden element, one per page)."""
    body = script()
    if body:
        with st.container(key=KEY):
            st.html(body, unsafe_allow_javascript=True)
