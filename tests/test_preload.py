"""ui/preload.py: the element that asks the browser for plotly's code names a chunk this
Streamlit really serves, at once on chart pages and once idle elsewhere. (The browser tests check
it loads, takes no room, and that ui.nav's list matches the pages that draw charts on arrival.)"""

from pathlib import Path

import streamlit as st

from ui import nav, preload


def test_the_chunk_is_one_streamlit_serves():
    name = preload.chart_chunk()
    assert name is not None and name.startswith("PlotlyChart.") and name.endswith(".js")
    served = Path(st.__file__).resolve().parent / "static" / "static" / "js" / name
    assert served.stat().st_size > 1_000_000          # the whole chart library, not a stub


def test_chart_pages_load_at_once_others_when_idle():
    now, idle = preload.script(now=True), preload.script(now=False)
    for body in (now, idle):
        assert preload.chart_chunk() in body and "import(" in body
        assert f".st-key-{preload.KEY}" in body        # hidden, with its layout wrapper
    assert "setTimeout" not in now and "load();" in now
    assert "requestIdleCallback" in idle and str(preload.IDLE_DELAY_MS) in idle


def test_without_a_plotly_chunk_nothing_is_sent(monkeypatch):
    monkeypatch.setattr(preload, "chart_chunk", lambda: None)
    assert preload.script(now=True) == ""


def test_listed_pages_exist():
    assert nav.CHARTS_ON_ARRIVAL <= set(nav.CATALOGUE)
    assert "home" not in nav.CHARTS_ON_ARRIVAL and "build" not in nav.CHARTS_ON_ARRIVAL
