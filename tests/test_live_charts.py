"""A shared live chart sends what st.plotly_chart sends, and is built once for all viewers."""

import json

from streamlit.testing.v1 import AppTest

import pytest

from ui.training import live_charts


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch):
    from resnet_core.lru import LRU

    monkeypatch.setattr(live_charts, "_FIGURES", LRU(live_charts.KEPT, on_evict=live_charts._forget))
    monkeypatch.setattr(live_charts, "_KEY_OF", {})
    monkeypatch.setattr(live_charts, "_MESSAGES", {})
    monkeypatch.setattr(live_charts, "_TABLES", LRU(live_charts.KEPT))


def _page():
    import plotly.graph_objects as go
    import streamlit as st

    from ui.training import live_charts

    def build():
        st.session_state["builds"] = st.session_state.get("builds", 0) + 1
        return go.Figure(go.Scatter(x=[1, 2, 3], y=[3.0, 1.5, 0.25], name="ResNet-20"),
                         layout={"height": 310, "yaxis": {"type": "log"}})

    config = {"displaylogo": False}
    fig = live_charts.figure(("test-live-chart", st.session_state.get("round", 0)), build)
    left, right = st.columns(2)
    left.plotly_chart(fig, config=config, key="by_streamlit")
    live_charts.show(right, fig, config=config, key="shared")
    live_charts.show(st, fig, config=config, key="shared_main")


def test_the_shared_message_equals_streamlits_own():
    at = AppTest.from_function(_page).run()
    assert not at.exception
    own, shared, on_main = (c.proto for c in at.get("plotly_chart"))
    for chart in (shared, on_main):
        assert chart.spec == own.spec and json.loads(chart.spec)["layout"]["yaxis"]["type"] == "log"
        assert chart.config == own.config and chart.theme == own.theme == "streamlit"
        assert chart.form_id == own.form_id and list(chart.selection_mode) == list(own.selection_mode)
        assert chart.id.startswith("$$ID-") and chart.id != own.id
    assert shared.id.endswith("-shared") and on_main.id.endswith("-shared_main")


def test_a_figure_is_built_once_per_key_for_every_session():
    first = AppTest.from_function(_page).run()
    second = AppTest.from_function(_page).run()            # another viewer, same runs
    assert first.session_state["builds"] == 1 and "builds" not in second.session_state
    second.session_state["round"] = 1                       # the runs moved on: a new key
    second.run()
    assert second.session_state["builds"] == 1


def test_figures_that_are_not_shared_draw_the_usual_way():
    import plotly.graph_objects as go

    fig = go.Figure()
    assert id(fig) not in live_charts._KEY_OF


def test_old_figures_and_their_messages_are_let_go(monkeypatch):
    monkeypatch.setattr(live_charts._FIGURES, "size", 3)
    import plotly.graph_objects as go

    figs = [live_charts.figure(("test-evict", i), go.Figure) for i in range(5)]
    assert sum(("test-evict", i) in live_charts._FIGURES for i in range(5)) == 3
    assert id(figs[0]) not in live_charts._KEY_OF and id(figs[4]) in live_charts._KEY_OF
    assert not [k for k in live_charts._MESSAGES if k[0] == ("test-evict", 0)]


def _static_page():
    import plotly.graph_objects as go
    import streamlit as st

    from ui import t
    from ui.page.i18n import init_lang
    from ui.training import live_charts

    init_lang()   # app.py's first step: ?lang= picks the words

    def build():
        st.session_state["builds"] = st.session_state.get("builds", 0) + 1
        return go.Figure(go.Bar(x=[t("unit.params")], y=[1]))

    live_charts.chart(st, ("test-static",), build, config={"displayModeBar": False}, element_key="static")


def test_a_static_chart_is_built_once_per_language_for_every_visitor():
    first = AppTest.from_function(_static_page).run()
    second = AppTest.from_function(_static_page).run()     # another visitor, same language
    assert first.session_state["builds"] == 1 and "builds" not in second.session_state
    korean = AppTest.from_function(_static_page)
    korean.query_params["lang"] = "ko"
    korean.run()                                             # the words differ: its own figure
    assert korean.session_state["builds"] == 1
    specs = [json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["x"] for at in (first, second, korean)]
    assert specs[0] == specs[1] != specs[2]


def _table_page():
    import streamlit as st

    from ui.training import live_charts

    def rows():
        st.session_state["tables"] = st.session_state.get("tables", 0) + 1
        return [{"Run": "#1", "Net": "ResNet-20", "Loss": "0.412", "Status": "학습 중 (30/300)"},
                {"Run": "#2", "Net": "plain-20", "Loss": "–", "Status": "queued"}]

    st.dataframe(rows(), hide_index=True)
    live_charts.table(st, ("test-table", st.session_state.get("round", 0)), rows)


def test_a_shared_table_sends_streamlits_own_data_and_is_converted_once_per_key():
    first = AppTest.from_function(_table_page).run()
    assert not first.exception
    own, shared = (f.proto for f in first.dataframe)
    assert shared.arrow_data.data == own.arrow_data.data       # the same Arrow bytes, Korean included
    assert json.loads(shared.columns) == json.loads(own.columns)   # index hidden in both
    assert shared.editing_mode == own.editing_mode
    assert first.session_state["tables"] == 2                  # st.dataframe's call and the first build
    second = AppTest.from_function(_table_page).run()          # another viewer: no conversion
    assert second.session_state["tables"] == 1                 # st.dataframe's call only
    second.session_state["round"] = 1                          # the runs moved on: a new key
    second.run()
    assert second.session_state["tables"] == 3                 # st.dataframe's and one build
