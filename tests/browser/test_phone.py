"""Every page on a student's phone (issue 29): Chromium as a phone shows it (390x844, device
scale 2, touch), in both languages. Each page is opened once, checked, switched to the other
language with the sidebar's toggle (which must be reachable on a phone), and checked again:

- nothing overflows the page sideways;
- no text of an inline SVG figure shows below 11 px (its font size times the figure's scale);
- no table cell is clipped, unless its table scrolls in its own box
(tests/browser/layout_checks.py measures all three from the DOM).

The pages are the ones app.py routes, so a new page is checked as soon as it is added.
"""

import re
from pathlib import Path

import harness
import pytest
from layout_checks import problems

from ui.i18n import table

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}
MIN_TEXT_PX = 11
ROUTES = re.findall(r'nav\.page\("pages/[^"]+", "([^"]+)"',
                    (Path(__file__).resolve().parents[2] / "app.py").read_text(encoding="utf-8"))


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


def _switch_language_on_a_phone(page, lang: str, title: str) -> None:
    """Open the folded sidebar with its button, tap the language, fold the sidebar again."""
    page.locator('[data-testid="stExpandSidebarButton"]').click()
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_role("radio", name=harness.LANGUAGES[lang]).click()
    harness.wait_for_app(page)
    harness.wait_for_text(page, title, "h1")
    page.locator('[data-testid="stSidebarCollapseButton"] button').click()
    page.locator('[data-testid="stExpandSidebarButton"]').wait_for(state="visible")
    harness.wait_for_charts(page)


def _check(page, where: str) -> list[str]:
    found = problems(page, MIN_TEXT_PX)
    return [f"{where}: {p}" for p in found]


def test_every_page_reads_on_a_phone_in_both_languages(phone, app_server, assert_no_error):
    assert "home" in ROUTES and "shortcuts" in ROUTES and len(ROUTES) >= 14
    found = []
    for i, path in enumerate(ROUTES):
        first, second = ("en", "ko") if i % 2 == 0 else ("ko", "en")
        import time; T0 = time.time()
        page = phone.new_page()
        try:
            harness.open_page(page, app_server.url, path, first)
            harness.wait_for_charts(page)
            assert_no_error(page)
            found += _check(page, f"{path} ({first})")
            try:
                _switch_language_on_a_phone(page, second, _title(path, second))
            except Exception as exc:
                raise AssertionError(f"{path}: switching to {second} on a phone: {exc}") from None
            assert_no_error(page)
            found += _check(page, f"{path} ({second})")
            import time; print(path, time.time() - T0, flush=True)
        finally:
            page.close()
    assert not found, "\n".join(found)
