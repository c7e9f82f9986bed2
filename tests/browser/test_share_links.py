"""The sidebar's share link opened in a second browser: every page, in Korean and English, opens
as the same page with the same settings (the link once doubled the page's path and opened a blank
page); its short form and QR code open the same."""

from urllib.parse import parse_qsl, urlsplit

import pytest

import harness
from ui.page import nav

PAGES = list(nav.CATALOGUE)
# Each language takes every other page, so both languages go through every kind of page without
# two loads of each; the first page of each opens with a setting off its default.
CASES = {"ko": ("degradation", "seed", "3"), "en": ("gap-fc", "spatial", "5")}


def _query(url: str) -> dict:
    return {k: v for k, v in parse_qsl(urlsplit(url).query) if k not in ("u", "n")}


def _open_share_box(page, lang: str) -> str:
    label = {"en": "Link to these settings", "ko": "이 설정으로 여는 링크"}[lang]
    page.locator('[data-testid="stSidebar"]').get_by_text(label, exact=True).click()
    harness.wait_for_app(page)
    code = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').first
    code.wait_for()
    return code.inner_text().strip()


@pytest.fixture(scope="module")
def second_browser(browser):
    """Another browser context: no cookies, cache or storage shared with the first."""
    context = browser.new_context(viewport=harness.VIEWPORT, locale="en-US")
    context.set_default_timeout(harness.RUN_TIMEOUT_MS)
    context.add_init_script(harness.WATCH_INIT)
    context.add_init_script(harness.NO_PRELOAD_INIT)
    yield context.new_page()
    context.close()


def _nav_to(page, code: str) -> None:
    """Go to another page by the sidebar's menu, as a reader does (the session stays)."""
    page.locator(f'[data-testid="stSidebarNav"] a[href$="/{"" if code == "home" else code}"]').first.click()
    harness.wait_for_app(page)


@pytest.mark.parametrize("lang", list(CASES))
def test_share_link_opens_the_same_page_with_the_same_settings(lang, app_server, page, second_browser,
                                                               assert_no_error):
    first, name, value = CASES[lang]
    mine = [c for i, c in enumerate(PAGES) if i % 2 == (0 if lang == "ko" else 1)]
    mine.remove(first) if first in mine else None
    page.goto(harness.page_url(app_server.url, first, lang) + f"&{name}={value}")
    harness.wait_for_app(page)
    for code in [first] + mine:
        if code != first:
            _nav_to(page, code)
        assert_no_error(page)
        title = page.locator("h1").first.inner_text()
        link = _open_share_box(page, lang)
        shown = _query(page.url)
        path = "" if code == "home" else "/" + code
        assert "u=" not in link and urlsplit(link).path.rstrip("/") == path, (code, link)
        assert _query(link) == {**shown, "lang": lang}, code
        if code == first:
            assert _query(link)[name] == value

        second_browser.goto(link)
        harness.wait_for_app(second_browser)
        assert_no_error(second_browser)
        assert second_browser.locator("h1").first.inner_text() == title, code
        assert _query(second_browser.url) == _query(link), f"{code}: the link opened with other settings"
        assert "u=" in second_browser.url            # a user of its own, not the teacher's


def test_short_link_and_qr_open_the_same_settings(app_server, page, second_browser, assert_no_error):
    page.goto(harness.page_url(app_server.url, "degradation", "ko") + "&seed=4")
    harness.wait_for_app(page)
    title = page.locator("h1").first.inner_text()
    _open_share_box(page, "ko")
    short_text = page.locator(".share-short").inner_text().strip()
    qr = page.locator(".share-qr")
    short = qr.get_attribute("title")
    assert short.endswith(short_text) and "?s=" in short and len(short_text) < 60, short
    assert qr.locator("svg").count() == 1 and qr.locator("svg").bounding_box()["width"] >= 100
    shown = _query(page.url)

    second_browser.goto(short)
    harness.wait_for_app(second_browser)
    assert_no_error(second_browser)
    assert second_browser.locator("h1").first.inner_text() == title
    assert _query(second_browser.url) == shown

    second_browser.goto(app_server.url + "/degradation?s=zzzzzz&lang=en")
    harness.wait_for_app(second_browser)
    harness.wait_for_text(second_browser, 'This server never made the short link "zzzzzz"')
    assert_no_error(second_browser)
