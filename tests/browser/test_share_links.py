"""Every page in Korean and English, in one walk by the sidebar's menu at a teacher's laptop
width (1280x800, the sidebar open): each shows no error and its title in that language, no label
or metric cut short and no Korean word broken across two lines, and what its own test file checks
on it (PAGE_CHECKS); its share link names this page, this language and these settings (the link
once doubled the page's path and opened a blank page). A few of the links open in a second
browser as the same page with the same settings (that every page's link carries and restores
every setting is tests/test_links.py's, page by page); the short form and QR code open the same;
a hand-edited link whose value a slider would pass on unchecked opens the page with the default
and says so."""

from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

import harness
import test_bottleneck
import test_concept_pages_live
import test_concept_pages_train
import test_live_pages
from layout_checks import problems
from ui.page import nav
from ui.page.i18n import table

PAGES = list(nav.CATALOGUE)
# The first page opens with a setting off its default, which its links in both languages carry.
FIRST, NAME, VALUE = "degradation", "seed", "3"
OTHER = {"ko": "en", "en": "ko"}
SHARE = {"en": "Link to these settings", "ko": "이 설정으로 여는 링크"}
LAPTOP = {"width": 1280, "height": 800}   # where Gradient flow, Build and Shortcuts once cut labels
# The links that open in the second browser: the first page's (a setting off its default), Home's
# (the root path) and GAP vs FC's (its settings were once named with a prefix no other page has).
# Each opens in the language the walk read last on its page: Degradation's in English, the other
# two in Korean. Each costs the second browser a page load (1.5-2 CPU-s of Chromium).
OPENED = (FIRST, "home", "gap-fc")


GAP_FC_WORKS = {"en": "Runs: a 48×48 image gives 10 class scores.",
                "ko": "실행됩니다: 48×48 이미지에서 클래스 점수 10개가 나옵니다."}


def _check_gap_fc(page, lang: str) -> None:
    """GAP vs FC: the flatten head's failure is an explanation, in the page's language."""
    body = page.inner_text("body")
    assert "25,089,000" in body and "513,000" in body
    assert GAP_FC_WORKS[lang] in body and GAP_FC_WORKS[OTHER[lang]] not in body
    figures = page.locator('[data-testid="stMain"] svg[role="img"]:visible')   # the phone's copy is hidden
    assert figures.count() == 2 and page.locator('[data-testid="stPlotlyChart"]').count() == 0
    assert figures.first.bounding_box()["height"] > 200
    assert page.locator('[data-testid="stAlertContentWarning"]').count() == 1


# What a page shows in each language, checked where the walk reads it: the page's own test file
# keeps its check and its texts, and does not load the page again for them.
PAGE_CHECKS = {
    **{code: test_live_pages.check_page for code in ("build", "degradation", "gradients")},
    **{code: lambda page, lang, code=code: test_concept_pages_live.check_page(page, code, lang)
       for code in ("features", "attribution", "augmentation")},
    **{code: lambda page, lang, code=code: test_concept_pages_train.check_page(
        page, code, lang, harness.assert_no_error, harness.wait_for_charts) for code in ("shortcuts", "batchnorm")},
    "bottleneck": test_bottleneck.check_page,
    "gap-fc": _check_gap_fc,
}


def _query(url: str) -> dict:
    return {k: v for k, v in parse_qsl(urlsplit(url).query) if k not in ("u", "n")}


def _open_share_box(page, lang: str) -> str:
    """The share box's link, in `lang`; the box is opened first unless it already shows one.
    Its link shows once the box's run has drawn it: waiting for that, not for the page to go
    quiet, saves most of a second a box."""
    box = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]')
    code = box.filter(has_text=f"lang={lang}").first
    if not code.count():
        page.locator('[data-testid="stSidebar"]').get_by_text(SHARE[lang], exact=True).click()
        code.wait_for()
    return code.inner_text().strip()


@pytest.fixture(scope="module")
def second_browser(browser):
    """A tab in another browser context: no cookies, cache or storage shared with the first."""
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


def _title(code: str, lang: str) -> str:
    """The page's heading in `lang` (Home's is a question, not its menu entry)."""
    return table()["home.title" if code == "home" else f"page.{code}.title"][lang]


def _switch_language(page, lang: str, code: str) -> None:
    """The sidebar's language toggle, as a reader uses it: the page redraws under its title in `lang`."""
    page.locator('[data-testid="stSidebar"]').get_by_role("radio", name=harness.LANGUAGES[lang]).click()
    harness.wait_for_app(page)
    harness.wait_for_text(page, _title(code, lang), "h1")


def test_every_page_in_both_languages_at_a_laptops_width_and_its_share_link(app_server, page, second_browser,
                                                                            assert_no_error):
    """One session walks the pages by the menu and switches the language on each (the language
    alternates which comes first). On each page, in each language: no error, nothing cut short,
    the title in that language, the page's own checks, and the share box's link: this page, this
    language, these settings; the other language's link is the same but for its language. On the
    pages of OPENED, the link of the language read last opens in a second browser as the same
    page in that language with the same settings."""
    page.set_viewport_size(LAPTOP)
    lang = "ko"
    page.goto(harness.page_url(app_server.url, FIRST, lang) + f"&{NAME}={VALUE}")
    harness.wait_for_app(page)
    loading = None      # the previous page's link, loading in the second browser meanwhile
    for code in [FIRST] + [c for c in PAGES if c != FIRST]:
        if code != FIRST:
            _nav_to(page, code)
        links = {}
        for switch in (False, True):
            if switch:
                lang = OTHER[lang]
                _switch_language(page, lang, code)
            harness.wait_for_charts(page)
            assert_no_error(page)
            laid_out = problems(page, 0, labels=True, korean_words=True)
            assert not laid_out, (code, lang, laid_out)
            title = page.locator("h1").first.inner_text()
            assert title == _title(code, lang), (code, lang, title)
            if code in PAGE_CHECKS:
                PAGE_CHECKS[code](page, lang)
            link = _open_share_box(page, lang)
            path = "" if code == "home" else "/" + code
            assert "u=" not in link and urlsplit(link).path.rstrip("/") == path, (code, lang, link)
            assert _query(link) == {**_query(page.url), "lang": lang}, (code, lang)
            if code == FIRST:
                assert _query(link)[NAME] == VALUE, (lang, link)
            links[lang] = link
        assert urlsplit(links["ko"]).path == urlsplit(links["en"]).path, links
        assert {**_query(links["ko"]), "lang": "en"} == _query(links["en"]), links
        if code in OPENED:
            _check_opened(second_browser, loading, assert_no_error)
            second_browser.goto(links[lang], wait_until="commit")   # loads while the next page is read
            loading = (code, lang, links[lang], title)
    _check_opened(second_browser, loading, assert_no_error)


def _check_opened(tab, loading, assert_no_error) -> None:
    """The link, opened in the second browser, shows its page, language and settings."""
    if loading is None:
        return
    code, lang, link, title = loading
    harness.wait_for_app(tab)
    assert_no_error(tab)
    assert tab.locator("h1").first.inner_text() == title, (code, lang)
    assert _query(tab.url) == _query(link), f"{code} ({lang}): the link opened with other settings"
    assert "u=" in tab.url            # a user of its own, not the teacher's


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


# A slider given a list becomes a range, and given true returns True: the augmentation page's
# drawing then failed ("a problem drawing this part"). Now the value goes, and a message says so.
EDITED = {"ko": ("copies", "[1,2]", "기본값을 사용합니다", "8"), "en": ("pad", "true", "the default is used", "4")}


def test_a_hand_edited_link_value_a_slider_cannot_take_gives_the_default_and_says_so(app_server, second_browser,
                                                                                   assert_no_error):
    for lang, (name, value, says, default) in EDITED.items():
        second_browser.goto(f"{app_server.url}/augmentation?{urlencode({'lang': lang, name: value})}")
        harness.wait_for_app(second_browser)
        harness.wait_for_text(second_browser, f"{name}={value}", '[data-testid="stToast"]')
        assert says in second_browser.locator('[data-testid="stToast"]').inner_text()
        assert_no_error(second_browser)
        assert _query(second_browser.url)[name] == default, second_browser.url
