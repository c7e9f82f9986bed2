"""Contracts of the Streamlit internals the app relies on (ui/server/streamlit_internals.py).

Each failure message names the Streamlit version installed, the one the contract was checked with,
and what the app relies on: after an upgrade, this file says what changed, before a page does.
Where an internal fails at run time, the page falls back to the public API: tested here by making
each one fail.
"""

import logging
import re

import pytest
import streamlit
from streamlit.testing.v1 import AppTest

from ui.server import streamlit_internals as internals


def relies(what: str) -> str:
    return f"Streamlit {streamlit.__version__} (checked with {internals.TESTED}): the app relies on {what}"


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    from resnet_core.lru import LRU
    from ui.training import live_charts

    internals.reset()
    monkeypatch.delenv(internals.ENV, raising=False)
    monkeypatch.setattr(live_charts, "_FIGURES", LRU(live_charts.KEPT, on_evict=live_charts._forget))
    monkeypatch.setattr(live_charts, "_KEY_OF", {})
    monkeypatch.setattr(live_charts, "_MESSAGES", {})
    yield
    internals.reset()


def _charts_page():
    import plotly.graph_objects as go
    import streamlit as st

    from ui.training import live_charts

    fig = live_charts.figure(("contract",), lambda: go.Figure(go.Scatter(x=[1, 2], y=[2.0, 0.5]), layout={"height": 320}))
    config = {"displaylogo": False}
    st.plotly_chart(fig, config=config, key="own")
    left, _ = st.columns(2)
    live_charts.show(left, fig, config=config, key="shared")
    live_charts.show(st, fig, config=config, key="on_main")


def _charts():
    at = AppTest.from_function(_charts_page).run()
    assert not at.exception, at.exception
    return [c.proto for c in at.get("plotly_chart")]


def test_a_made_plotly_message_is_field_for_field_what_st_plotly_chart_sends():
    own, shared, on_main = _charts()
    fields = {f.name for f, _ in own.ListFields()}
    assert {f.name for f, _ in shared.ListFields()} == fields, relies(
        f"st.plotly_chart filling exactly the PlotlyChart fields {sorted(fields)}")
    for name in fields - {"id"}:
        assert getattr(shared, name) == getattr(own, name) == getattr(on_main, name), relies(
            f"PlotlyChart.{name} being what plotly_message sets")
    assert re.fullmatch(r"\$\$ID-[0-9a-f]{32}-own", own.id), relies(
        'element ids of the form "$$ID-<md5 hex>-<key>" (the frontend keeps a chart by its id)')
    assert shared.id.endswith("-shared") and on_main.id.endswith("-on_main") and shared.id != own.id


def test_send_plotly_puts_the_chart_in_the_column_and_on_the_main_area():
    at = AppTest.from_function(_charts_page).run()
    main = at.main
    assert [c.proto.id.rsplit("-", 1)[1] for c in at.columns[0].get("plotly_chart")] == ["shared"], relies(
        "DeltaGenerator._enqueue('plotly_chart', proto, layout_config=LayoutConfig(...)) drawing in its container")
    assert len(main.get("plotly_chart")) == 3, relies("st._main being the page's main delta generator")


@pytest.mark.parametrize("broken", ["message", "send", "env"])
def test_a_failing_internal_falls_back_to_st_plotly_chart_and_says_so_once(monkeypatch, caplog, broken):
    import streamlit.elements.lib.layout_utils as layout_utils
    import streamlit.proto.PlotlyChart_pb2 as plotly_pb2

    def boom(*a, **k):
        raise TypeError("changed in this Streamlit")

    if broken == "message":
        monkeypatch.setattr(plotly_pb2, "PlotlyChart", boom)
    elif broken == "send":
        monkeypatch.setattr(layout_utils, "LayoutConfig", boom)
    else:
        monkeypatch.setenv(internals.ENV, "0")
    with caplog.at_level(logging.WARNING, logger=internals.__name__):
        own, shared, on_main = _charts()
        _charts()                                        # another visit: nothing new in the log
    for chart, key in ((shared, "shared"), (on_main, "on_main")):   # the public API's own message
        assert chart.spec == own.spec and chart.config == own.config and chart.id.endswith(f"-{key}")
    warnings = [r.getMessage() for r in caplog.records if r.name == internals.__name__]
    if broken == "env":
        assert warnings == []                            # turned off on purpose: nothing to report
    else:
        assert len(warnings) == 1 and streamlit.__version__ in warnings[0] and "public API" in warnings[0]


def test_script_running_is_known_inside_a_page_and_outside_one(monkeypatch):
    assert internals.script_running() is False, relies("get_script_run_ctx() being None outside a script run")

    def page():
        import streamlit as st

        from ui.server import streamlit_internals

        st.write(f"running={streamlit_internals.script_running()}")

    assert AppTest.from_function(page).run().markdown[0].value == "running=True", relies(
        "runtime.scriptrunner.get_script_run_ctx(suppress_warning=True) inside a script run")
    import streamlit.runtime.scriptrunner as scriptrunner

    monkeypatch.delattr(scriptrunner, "get_script_run_ctx")      # gone in an upgrade: st.runtime.exists()
    assert AppTest.from_function(page).run().markdown[0].value == "running=True"


def test_the_frontend_serves_its_code_chunks_from_the_static_js_folder():
    folder = internals.static_js_folder()
    assert list(folder.glob("index.*.js")) and list(folder.glob("PlotlyChart.*.js")), relies(
        f"the frontend's entry and plotly chunk in {folder} (ui/server/preload.py asks for the chunk by name)")


def test_the_websocket_messages_have_the_fields_the_client_speaks():
    back, forward, widget = internals.websocket_protos()
    uses = {
        back: ["rerun_script"],
        back.DESCRIPTOR.fields_by_name["rerun_script"].message_type._concrete_class: [
            "query_string", "page_script_hash", "page_name", "fragment_id", "is_auto_rerun", "widget_states",
            "cached_message_hashes", "context_info"],
        forward: ["new_session", "delta", "script_finished", "auto_rerun", "stop_auto_rerun", "page_info_changed",
                  "page_not_found", "ref_hash", "navigation", "session_event", "metadata", "hash"],
        widget: ["id", "trigger_value", "bool_value", "string_array_value", "double_value", "int_value"],
    }
    for message, names in uses.items():
        missing = [n for n in names if n not in message.DESCRIPTOR.fields_by_name]
        assert not missing, relies(f"{message.DESCRIPTOR.full_name} having {missing} (scripts/st_client.py)")


def test_the_component_scan_is_cached_once_per_process():
    from streamlit.components.v2 import manifest_scanner

    assert internals.cache_component_scan() is True, relies("components.v2.manifest_scanner.scan_component_manifests")
    assert hasattr(manifest_scanner.scan_component_manifests, "cache_info")


def test_page_scripts_compile_once_per_process(tmp_path):
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    assert internals.share_script_bytecode() is True, relies("runtime.scriptrunner.script_cache.ScriptCache.get_bytecode")
    page = tmp_path / "page.py"
    page.write_text("x = 1\n")
    first = ScriptCache().get_bytecode(str(page))
    assert ScriptCache().get_bytecode(str(page)) is first   # another runner's cache: the same code
    page.write_text("x = 22\n")                             # an edited page compiles again
    edited = ScriptCache().get_bytecode(str(page))
    assert edited is not first and edited.co_consts != first.co_consts


def test_closed_sessions_are_kept_in_a_ttl_cache_the_sweep_can_expire():
    import inspect

    from streamlit.runtime import runtime as runtime_module
    from streamlit.runtime import websocket_session_manager
    from streamlit.runtime.memory_session_storage import MemorySessionStorage

    assert "self._session_mgr =" in inspect.getsource(runtime_module.Runtime.__init__), relies(
        "Runtime._session_mgr, the session manager")
    manager_init = inspect.getsource(websocket_session_manager.WebsocketSessionManager.__init__)
    assert "self._session_storage =" in manager_init and "self._storage_lock" in manager_init, relies(
        "WebsocketSessionManager._session_storage and its _storage_lock")
    storage = MemorySessionStorage(ttl_seconds=0)
    assert callable(storage._cache.expire) and storage._cache.expire() == [], relies(
        "MemorySessionStorage._cache being a cachetools TTLCache (expire() returns what it dropped)")
    assert internals.expire_closed_sessions() == 0           # outside a server: nothing, and no failure
    assert internals.enabled("expire_sessions")


def _takes_page():
    import streamlit as st

    from ui.server import streamlit_internals

    st.slider("whole", 1, 16, 8, key="one")
    st.slider("fraction", 0.0, 1.0, 0.5, key="frac")
    st.slider("range", 0, 10, (2, 5), key="pair")
    st.checkbox("switch", key="switch")
    st.multiselect("many", ["a", "b", "c"], ["a"], key="many")
    cases = {"one": [3, True, [1, 2], "nan", 3.5, 99], "frac": [0.25, "nan", [0.1, 0.2]],
             "pair": [[1, 4], 3], "switch": [True, "zzz", 1], "many": [["b", "c"], "b"], "none": [1]}
    st.session_state["verdicts"] = {key: [streamlit_internals.widget_takes(key, v) for v in values]
                                    for key, values in cases.items()}


def test_a_widget_made_in_this_run_tells_a_value_it_gives_back_as_it_is(monkeypatch, caplog):
    verdicts = AppTest.from_function(_takes_page).run().session_state["verdicts"]
    expected = {"one": [True, False, False, False, False, False], "frac": [True, False, False],
                "pair": [True, False], "switch": [True, False, False], "many": [True, False],
                "none": [None]}
    assert verdicts == expected, relies(
        "SessionState._key_id_mapper and _new_widget_state.widget_metadata (each widget's serializer "
        "and deserializer, a slider's refusing a value out of its range, length or type)")
    assert internals.widget_takes("one", 3) is None            # outside a script run: no judgement
    import streamlit.runtime.scriptrunner as scriptrunner

    class Changed:      # a run's context without the session state the contract reads
        session_state = None

    monkeypatch.setattr(scriptrunner, "get_script_run_ctx", lambda suppress_warning=False: Changed())
    with caplog.at_level(logging.WARNING):
        verdicts = AppTest.from_function(_takes_page).run().session_state["verdicts"]
    assert all(v is None for values in verdicts.values() for v in values)
    assert sum("widget_takes failed" in r.getMessage() for r in caplog.records) == 1
