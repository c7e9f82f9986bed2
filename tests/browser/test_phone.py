"""Every page on a student's phone (issue 29): Chromium as a phone shows it (390x844, device
scale 2, touch), in both languages. Each page is opened once, checked, switched to the other
language with the sidebar's toggle (which must be reachable on a phone), and checked again:

- nothing overflows the page sideways;
- no text of an inline SVG figure shows below 11 px (its font size times the figure's scale);
- no table cell is clipped, unless its table scrolls in its own box;
- every button (segments, Stop, votes, the sidebar's) is at least 44 px high;
- no label or select's value is cut short (Predict's select once held a whole question: 711 px
  in 320);
- no Korean word that fits on a line is broken across two ("확인하/기")
(tests/browser/layout_checks.py measures them all from the DOM).

The pages are the ones app.py routes, so a new page is checked as soon as it is added.
"""


import harness
import pytest
from layout_checks import problems

from ui.page import nav
from ui.page.i18n import table

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}
MIN_TEXT_PX = 11
TOUCH_PX = 44          # every button, segment and the sidebar's own, for a finger
ROUTES = nav.routes()   # what app.py routes, in the sidebar's order


def _title(path: str, lang: str) -> str:
    return table()["home.title" if path == "home" else f"page.{path}.title"][lang]


@pytest.fixture(scope="module")
def phone(browser):
    context = browser.new_context(**PHONE, locale="en-US")
    context.set_default_timeout(harness.RUN_TIMEOUT_MS)
    context.add_init_script(harness.WATCH_INIT)
    context.add_init_script(harness.NO_PRELOAD_INIT)
    yield context
    context.close()


def _open_sidebar(page):
    page.locator('[data-testid="stExpandSidebarButton"]').click()
    return page.locator('[data-testid="stSidebar"]')


def _fold_sidebar(page) -> None:
    page.locator('[data-testid="stSidebarCollapseButton"] button').click()
    page.locator('[data-testid="stExpandSidebarButton"]').wait_for(state="visible")


def _check(page, where: str) -> list[str]:
    return [f"{where}: {p}" for p in problems(page, MIN_TEXT_PX, labels=True, touch_px=TOUCH_PX, korean_words=True)]


def _go_on_a_phone(page, path: str, lang: str) -> None:
    """The next page by the sidebar's menu, as a student on a phone moves (the same session)."""
    _open_sidebar(page).locator(f'[data-testid="stSidebarNavLink"][href$="/{path}"]').click()
    harness.wait_for_app(page)
    harness.wait_for_text(page, _title(path, lang), "h1")
    if page.locator('[data-testid="stExpandSidebarButton"]').is_hidden():
        _fold_sidebar(page)
    harness.wait_for_charts(page)


def _switch_language_on_a_phone(page, lang: str, title: str) -> None:
    """Open the folded sidebar with its button, tap the language, fold the sidebar again."""
    _open_sidebar(page).get_by_role("radio", name=harness.LANGUAGES[lang]).click()
    harness.wait_for_app(page)
    harness.wait_for_text(page, title, "h1")
    _fold_sidebar(page)
    harness.wait_for_charts(page)


def test_every_page_reads_on_a_phone_in_both_languages(phone, app_server, assert_no_error):
    """One session walks every page by the menu; on each it reads the page, switches language
    with the sidebar's toggle and reads it again (so the next page opens in that language)."""
    assert ROUTES[0] == "home" and "shortcuts" in ROUTES and len(ROUTES) >= 14
    found = []
    page = phone.new_page()
    lang = "en"
    try:
        harness.open_page(page, app_server.url, "home", lang)
        for path in ROUTES:
            try:
                if path != "home":
                    _go_on_a_phone(page, path, lang)
                assert_no_error(page)
                found += _check(page, f"{path} ({lang})")
                lang = "ko" if lang == "en" else "en"
                _switch_language_on_a_phone(page, lang, _title(path, lang))
                assert_no_error(page)
                found += _check(page, f"{path} ({lang})")
            except Exception as exc:
                raise AssertionError(f"{path} ({lang}) on a phone: {exc}") from None
    finally:
        page.close()
    assert not found, "\n".join(found)
