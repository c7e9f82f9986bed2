"""scripts/warm_up.py finds the server the run command started, from the same options, and opens
every page once per language before the first student comes."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import warm_up  # noqa: E402


def test_the_server_address_comes_from_the_run_commands_options():
    assert warm_up.server_url([]) == "http://127.0.0.1:8501"
    assert warm_up.server_url(["--server.port", "9000"]) == "http://127.0.0.1:9000"
    assert warm_up.server_url(["--server.port=9001", "--server.address=10.0.0.5"]) == "http://10.0.0.5:9001"
    # A classroom server listens everywhere; this machine reaches it on loopback.
    assert warm_up.server_url(["--server.address", "0.0.0.0", "--server.port", "8600"]) == "http://127.0.0.1:8600"


def test_no_server_is_reported_not_waited_for_forever():
    assert warm_up.warm_up("http://127.0.0.1:9", wait_s=0.5) == "no server"


def test_every_page_is_listed_in_the_apps_order():
    names = warm_up.pages()
    assert names[0] == "home" and {"build", "degradation", "gap-fc", "features", "evidence"} <= set(names)


def test_pages_are_opened_in_each_language_and_problems_reported(app_server):
    # The test process's server (tests/conftest.py), started as the run command starts it.
    before = len(app_server.log_tail(10**9))
    assert warm_up.warm_pages(app_server.url, ["home", "gap-fc"]) == []
    log = app_server.log_tail(10**9)[before:]
    assert "Traceback" not in log
    [problem] = warm_up.warm_pages(app_server.url, ["no-such-page"], langs=("ko",))
    assert problem.startswith("no-such-page (ko): ")


def test_a_websocket_client_that_no_longer_fits_streamlit_stops_the_warm_up_with_one_line(monkeypatch):
    import st_client

    visits = []

    class Changed:
        def __init__(self, *a, **k):
            visits.append(k.get("name"))
            raise AttributeError("'ForwardMsg' object has no attribute 'new_session'")

    monkeypatch.setattr(st_client, "StSession", Changed)
    [problem] = warm_up.warm_pages("http://127.0.0.1:9", ["home", "gap-fc"])
    assert len(visits) == 1 and problem.startswith("stopped: Streamlit ") and "first visit" in problem
