"""ui/server/preload.py: the element that asks the browser for plotly's code names a chunk this
Streamlit really serves, and asks once the browser is idle. (tests/browser/test_home.py checks
that the browser loads it and that the element takes no room.)"""

from pathlib import Path

import streamlit as st

from ui.server import preload


def test_the_chunk_is_one_streamlit_serves():
    name = preload.chart_chunk()
    assert name is not None and name.startswith("PlotlyChart.") and name.endswith(".js")
    served = Path(st.__file__).resolve().parent / "static" / "static" / "js" / name
    assert served.stat().st_size > 1_000_000          # the whole chart library, not a stub


def test_the_element_asks_for_it_once_idle_and_is_hidden():
    body = preload.script()
    assert preload.chart_chunk() in body and "import(" in body
    assert "requestIdleCallback" in body and str(preload.IDLE_DELAY_MS) in body
    assert f".st-key-{preload.KEY}" in body and "display: none" in body


def test_without_a_plotly_chunk_nothing_is_sent(monkeypatch):
    monkeypatch.setattr(preload, "chart_chunk", lambda: None)
    assert preload.script() == ""
