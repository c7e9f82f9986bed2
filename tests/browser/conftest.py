"""Browser tests: the real app (`streamlit run app.py`) in headless Chromium, via Playwright.

Every test in this folder is marked `browser`. A page's test is one short file:

    def test_bottleneck(page, open_page, assert_no_error):
        open_page(page, "bottleneck", "ko")
        assert_no_error(page)
        assert "120,422,400" in page.inner_text("body")

Fixtures: `app_server` (one server per test file; `.url`),
`browser`, `page` (a fresh English context per test; `new_page(locale=...)` for another browser
locale), `open_page(page, url_path, lang)`, `assert_no_error(page, allow_error_alerts=0)`, and
after a click `wait_for_app(page)`; `wait_for_text(page, text)` for what a click must make the
page show (one read of the page may come before the rerun has drawn); `wait_for_charts(page)`
before looking at plotly figures.

Without /usr/bin/chromium the tests skip with a message; with REQUIRE_BROWSER=1 (CI) they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import harness

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium() -> str:
    if not Path(harness.CHROMIUM).exists():
        message = (f"{harness.CHROMIUM} not found: install it with "
                   "`apt-get install -y chromium fonts-noto-cjk` to run the browser tests")
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return harness.CHROMIUM


@pytest.fixture(scope="module")
def app_server(tmp_path_factory, chromium):
    # One server per test file: runs a file starts (some train for minutes) end with its server,
    # so they never hold the training worker while another file's test waits for its own run.
    server = harness.start_app(tmp_path_factory.mktemp("explorer"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = harness.launch_browser(playwright)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """Make pages in fresh browser contexts (own cookies, own Streamlit session)."""
    contexts = []

    def make(locale: str = "en-US"):
        context = browser.new_context(viewport=harness.VIEWPORT, locale=locale)
        context.set_default_timeout(harness.RUN_TIMEOUT_MS)
        context.add_init_script(harness.WATCH_INIT)   # wait_for_app sees every run from the first
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def open_page(app_server):
    """open_page(page, url_path, lang="en"): load a page (lang None: the browser's locale
    decides) and wait until its script has finished."""
    def open_(page, url_path: str, lang: str | None = "en"):
        return harness.open_page(page, app_server.url, url_path, lang)
    return open_


@pytest.fixture
def assert_no_error(app_server):
    def check(page, allow_error_alerts: int = 0) -> None:
        try:
            harness.assert_no_error(page, allow_error_alerts)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- server log ---\n{app_server.log_tail()}") from None
    return check


@pytest.fixture
def wait_for_app():
    """wait_for_app(page): after a click or a key press, wait for the rerun to finish."""
    return harness.wait_for_app


@pytest.fixture
def wait_for_text():
    """wait_for_text(page, text, selector="body"): wait until the text shows, else fail saying
    what the page shows instead."""
    return harness.wait_for_text


@pytest.fixture
def wait_for_charts():
    """wait_for_charts(page): plotly draws lazily; wait until every chart has drawn."""
    return harness.wait_for_charts
