"""Browser tests: the real app (`streamlit run app.py`) in headless Chromium, via Playwright.

Every test in this folder is marked `browser`. A page's test is one short file:

    def test_bottleneck(page, open_page, assert_no_error):
        open_page(page, "bottleneck", "ko")
        assert_no_error(page)
        assert "120,422,400" in page.inner_text("body")

Fixtures: `app_server` (the test process's server, lent to one file after another; `.url`;
tests/conftest.py),
`page` (a tab of the test process's one Chromium profile, blank, often one an earlier test used;
`new_page()` for more, each its own Streamlit session; `new_page(locale=...)` for a fresh context
with another browser locale; pages skip the idle chart preload unless `new_page(preload_charts=True)`),
`open_page(page, url_path, lang)`, `switch_language(page, lang, title)` (the sidebar's toggle:
one page load checks both languages), `assert_no_error(page, allow_error_alerts=0)`, and
after a click `wait_for_app(page)`; `wait_for_text(page, text)` for what a click must make the
page show (one read of the page may come before the rerun has drawn); `wait_for_charts(page)`
before looking at plotly figures.

Without Chromium (harness.CHROMIUM: its headless shell where installed, else /usr/bin/chromium) the
tests skip with a message; with REQUIRE_BROWSER=1 (CI) they fail.
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
def app_server(chromium, app_server):
    """The test process's app server (tests/conftest.py), once Chromium is known to be here."""
    return app_server


@pytest.fixture(scope="session")
def playwright_driver(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


def _prepare(context):
    context.set_default_timeout(harness.RUN_TIMEOUT_MS)
    context.add_init_script(harness.WATCH_INIT)   # wait_for_app sees every run from the first


@pytest.fixture(scope="session")
def profile(playwright_driver, tmp_path_factory):
    """One Chromium profile on disk for the test process, as a student's browser keeps one: its
    cache holds Streamlit's frontend and its compiled code after the first page, so a page load
    costs Chromium about a fifth less CPU and the server sends its static files once, not once
    per test. Each page is its own tab, so its own Streamlit session; who a page belongs to lives
    in its address (`u=`), not in cookies. A page in it skips the idle chart preload."""
    context = playwright_driver.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("chromium-profile")), executable_path=harness.CHROMIUM,
        args=harness.CHROMIUM_ARGS, viewport=harness.VIEWPORT, locale="en-US")
    _prepare(context)
    context.add_init_script(harness.NO_PRELOAD_INIT)
    yield context
    context.close()


@pytest.fixture(scope="session")
def browser(playwright_driver):
    """A browser for fresh, empty contexts: another locale, or the chart preload left on."""
    browser = harness.launch_browser(playwright_driver)
    yield browser
    browser.close()


# What a test can leave on a tab that outlives a navigation: such a tab is closed after its test,
# never handed to the next one.
STICKY = ("add_init_script", "route", "route_from_har", "expose_function", "expose_binding",
          "set_extra_http_headers", "emulate_media", "on", "once")


@pytest.fixture(scope="session")
def spare_tabs(profile):
    """Tabs of the profile that finished tests left blank, for the next test's pages: a page in a
    tab that has shown the app costs Chromium about 0.9 s less CPU than a new tab, which starts a
    renderer process and compiles Streamlit's frontend in it again (2.7 against 1.8 CPU-s a load
    on two cores). Blank between tests, so each test's page is still its own Streamlit session."""
    return []


def _watch_sticky(page, sticky: set) -> None:
    """Note the tab as not to be lent again once a test calls one of STICKY on it."""
    for name in STICKY:
        method = getattr(page, name)

        def call(*args, _method=method, **kwargs):
            sticky.add(id(page))
            return _method(*args, **kwargs)
        setattr(page, name, call)


@pytest.fixture
def new_page(profile, spare_tabs, request):
    """new_page(): a tab of the test process's profile (its own Streamlit session), blank, at the
    suite's viewport; a tab an earlier test used when there is one.
    new_page(locale=..., preload_charts=True): a page in a fresh browser context, with its own
    locale, empty cache and cookies, and the idle chart preload as a visitor's browser runs it."""
    pages, contexts, sticky = [], [], set()

    def make(locale: str = "en-US", preload_charts: bool = False):
        if locale == "en-US" and not preload_charts:
            pages.append(spare_tabs.pop() if spare_tabs else profile.new_page())
            _watch_sticky(pages[-1], sticky)
            return pages[-1]
        context = request.getfixturevalue("browser").new_context(viewport=harness.VIEWPORT, locale=locale)
        _prepare(context)
        if not preload_charts:
            context.add_init_script(harness.NO_PRELOAD_INIT)
        contexts.append(context)
        return context.new_page()

    yield make
    for page in pages:
        if page.is_closed():
            continue
        if id(page) in sticky:
            page.close()
            continue
        try:
            page.goto("about:blank")   # the app's session ends, as when the tab closes
            if page.viewport_size != harness.VIEWPORT:
                page.set_viewport_size(harness.VIEWPORT)
        except Exception:   # a tab the test left broken (crashed, hung): not lent again
            page.close()
            continue
        for name in STICKY:
            del page.__dict__[name]   # the tab's own methods again
        spare_tabs.append(page)
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
def switch_language():
    """switch_language(page, lang, title): click the sidebar's language toggle and wait until
    the page has redrawn under `title`."""
    return harness.switch_language


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
