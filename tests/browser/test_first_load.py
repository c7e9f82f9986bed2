"""A fresh server's first page shows the app's own navigation from its first paint.

Until a run calls ``st.navigation``, Streamlit serves a folder named ``pages/`` as its old menu:
every file by name ("app", "batchnorm", "gap fc", ...), and a fresh server does so until app.py
has run once. The run command runs it once as the server starts (scripts/warm_up.py, which the
test harness runs too), and app.py sets its navigation before torch loads, so that list never
reaches the screen. This file starts a server of its own, so its first visitor is the first.
"""

import pytest

import harness

# Every text the sidebar menu shows, each time it changes, from the page's very first frame.
_RECORD_NAV = """
    window.__navLog = [];
    let last = null;
    const tick = () => {
        const nav = document.querySelector('[data-testid="stSidebarNav"]');
        const text = nav ? nav.innerText : null;
        if (text !== last) { window.__navLog.push(text); last = text; }
        requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
"""

# Entries only the file list has: the router itself and file names, never a page title.
RAW_FILE_ENTRIES = {"app", "batchnorm", "gap fc", "gap-fc", "gap_fc", "shortcuts", "evidence"}


@pytest.fixture(scope="module")
def cold_server(tmp_path_factory, chromium):
    server = harness.start_app(tmp_path_factory.mktemp("cold"))
    yield server
    server.stop()


def test_first_load_shows_the_app_navigation_not_the_file_list(cold_server, new_page):
    page = new_page()
    page.add_init_script(_RECORD_NAV)
    page.goto(f"{cold_server.url}/")
    harness.wait_for_app(page)
    harness.assert_no_error(page)

    shown = [text for text in page.evaluate("window.__navLog") if text]
    assert shown, "the sidebar never showed a navigation menu"
    for text in shown:
        entries = {line.strip() for line in text.splitlines() if line.strip()}
        raw = entries & RAW_FILE_ENTRIES
        assert not raw, f"the sidebar showed the raw file list ({sorted(raw)}): {text!r}"
    first = shown[0]
    assert "Home" in first and "Explore live" in first and "Concepts" in first, first
