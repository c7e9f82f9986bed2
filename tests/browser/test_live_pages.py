"""The live pages in a real browser: Build & Train, Degradation and Gradient flow open in both
languages without an error (on the walk of every page, tests/browser/test_share_links.py, which
calls check_page here); a run started on Build & Train grows its curve while the page stays
usable, another browser does not see it unless it asks for the class's runs, and then has no
Stop for it. (Degradation's experiment runs to the end in tests/browser/test_classroom_watch.py,
watched by three browsers.)"""

import re
import time

import harness

PAGES = {"build": ("Build & Train", "만들고 학습하기"),
         "degradation": ("Degradation", "성능 저하 문제"),
         "gradients": ("Gradient flow", "그래디언트 흐름")}

# The points each chart on the page draws, by the chart's y-axis title: plotly keeps its data on
# the chart's div; a live SVG chart (while runs train) has one path per line, "M x y L x y ...",
# beside its grid and axis lines of two points each.
POINTS_JS = """(title) => {
    for (const div of document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')) {
        const axis = div.layout && div.layout.yaxis && div.layout.yaxis.title;
        if (axis && axis.text && axis.text.startsWith(title)) {
            return (div.data || []).map(trace => (trace.x || []).length);
        }
    }
    for (const svg of document.querySelectorAll('[data-testid="stMain"] svg[role="img"]')) {
        if ((svg.getAttribute('aria-label') || '').startsWith(title)) {
            return [...svg.querySelectorAll('path')].map(p => p.getAttribute('d').trim().split(/\\s+/).length / 3)
                .filter(n => n > 2);
        }
    }
    return null;
}"""


def check_page(page, lang: str) -> None:
    """Build & Train, Degradation and Gradient flow in `lang`: the sidebar's name box speaks it.
    The walk of every page in both languages (tests/browser/test_share_links.py) calls this on
    these three pages, after its own checks: no error, the page's title in that language."""
    body = page.inner_text("body")
    assert ("Your name (optional)" if lang == "en" else "이름 (선택)") in body
    assert ("이름 (선택)" if lang == "en" else "Your name (optional)") not in body


def test_gradient_flow_arrives_without_the_chart_library(page, open_page, switch_language, assert_no_error):
    """The depth profile and the block gains are inline SVG, each point's value in its tooltip,
    and each can be saved as an SVG file from the small button under it; in Korean its axes
    speak Korean."""
    open_page(page, "gradients", "en")
    assert_no_error(page)
    figures = page.locator('[data-testid="stMain"] svg[role="img"]')
    assert figures.count() == 2 and page.locator('[data-testid="stPlotlyChart"]').count() == 0
    assert "layer depth (1 = next to the input)" in figures.first.text_content()
    tips = figures.first.evaluate("svg => [...svg.querySelectorAll('circle > title')].map(t => t.textContent)")
    assert len(tips) > 50 and all(len(tip.split("\n")) == 3 for tip in tips)
    buttons = page.locator('[data-testid="stDownloadButton"] button')
    assert buttons.count() == 2
    with page.expect_download() as download:
        buttons.first.click()
    saved = download.value
    assert saved.suggested_filename.startswith("gradients-at-init-") and saved.suggested_filename.endswith(".svg")
    assert open(saved.path(), encoding="utf-8").read().startswith("<svg")
    assert_no_error(page)
    # The sigmoid setting: the plain net's first layers get about 1e-28 of its last layers' gradient,
    # written as a fraction with a power of ten, never as "1.06e-28".
    body = page.inner_text("body")
    assert re.search(r"plain-56's first layers get 1/\(\d\.\d\d×10[²³⁴⁵⁶⁷⁸⁹¹⁰]+\) the gradient", body)
    assert not re.search(r"\de-\d{2}", body)

    switch_language(page, "ko", PAGES["gradients"][1])
    assert_no_error(page)
    assert figures.count() == 2 and page.locator('[data-testid="stPlotlyChart"]').count() == 0
    assert "층 깊이 (1 = 입력 바로 다음)" in figures.first.text_content()
    assert "layer depth" not in figures.first.text_content()
    body = page.inner_text("body")
    assert re.search(r"플레인-56의 처음 층은 마지막 층의 \d\.\d\d×10[²³⁴⁵⁶⁷⁸⁹¹⁰]+분의 1인 그래디언트", body)
    assert not re.search(r"\de-\d{2}", body)


def _points(page, title: str) -> list[int] | None:
    return page.evaluate(POINTS_JS, title)


def _set_number(page, label: str, value: int, wait_for_app) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    wait_for_app(page)


def test_build_trains_live_and_each_browser_sees_its_own_runs(new_page, open_page, assert_no_error,
                                                               wait_for_app, wait_for_charts):
    page = new_page()
    open_page(page, "build", "en")
    _set_number(page, "Training steps", 3000, wait_for_app)
    page.get_by_role("button", name="Start training").click()
    # The curve appears and grows while the run trains; the page is not blocked meanwhile.
    page.wait_for_function(f"() => {{ const p = ({POINTS_JS})('training loss'); return p && p[0] > 5; }}",
                           timeout=120_000, polling=harness.POLL_MS)
    first = _points(page, "training loss")[0]
    page.wait_for_function(
        f"() => {{ const p = ({POINTS_JS})('training loss'); return p && p[0] > {first}; }}", timeout=30_000,
        polling=harness.POLL_MS)
    assert "training: step" in page.inner_text("body")
    assert_no_error(page)

    other = new_page()
    open_page(other, "build", "en")
    assert "No runs yet" in other.inner_text("body")
    other.get_by_text("Show the whole class's runs").click()   # a live page never settles: no wait_for_app
    other.wait_for_function(f"() => ({POINTS_JS})('training loss') !== null", timeout=30_000,
                          polling=harness.POLL_MS)
    other.wait_for_function("() => document.querySelectorAll('.rx-run').length >= 1", timeout=60_000,
                          polling=harness.POLL_MS)
    assert_no_error(other)
    # Only the run's owner can stop it. (While a slow rerun runs, Streamlit's own status widget
    # shows a "Stop" too; it is outside the page's main block.)
    assert other.locator('[data-testid="stMain"]').get_by_role("button", name="Stop").count() == 0
    assert page.locator('[data-testid="stMain"]').get_by_role("button", name="Stop").count() == 1
    other.close()   # its session ends: the server redraws only the owner's page from here

    page.locator('[data-testid="stMain"]').get_by_role("button", name="Stop").first.click()
    page.wait_for_function("() => document.body.innerText.includes('stopped')", timeout=60_000,
                         polling=harness.POLL_MS)
    wait_for_app(page)
    assert_no_error(page)
    # Polling has stopped: the chart no longer changes.
    settled = _points(page, "training loss")
    time.sleep(2)
    assert _points(page, "training loss") == settled
