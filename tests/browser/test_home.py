"""Home in a real browser: both languages, the language toggle, no error."""

import harness


def _title(page) -> str:
    return page.locator("h1").first.inner_text()


def test_home_loads_the_chart_library_once_idle_and_keeps_no_gap_for_it(new_page, open_page):
    """Home draws no chart, so its browser asks for plotly's code only once idle (ui/server/preload.py):
    the next page a student opens need not wait for it. The element asking takes no room."""
    page = new_page(preload_charts=True)
    open_page(page, "home", "en")
    assert page.locator(".st-key-chart_preload").count() == 1
    assert page.locator(".st-key-chart_preload").bounding_box() is None            # not displayed
    wrapper = page.locator(".st-key-chart_preload").locator("xpath=..")
    assert wrapper.get_attribute("data-testid") == "stLayoutWrapper" and wrapper.bounding_box() is None
    assert page.locator('[data-testid="stMainBlockContainer"]').is_visible()
    page.wait_for_function("""() => performance.getEntriesByType('resource')
        .some(r => /PlotlyChart\\.[^/]+\\.js$/.test(r.name) && r.responseEnd > 0)""", timeout=30_000, polling=harness.POLL_MS)
    assert page.evaluate("""() => {
        const block = document.querySelector('[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"]');
        const shown = [...block.children].filter(c => getComputedStyle(c).display !== 'none');
        return !!shown[0].querySelector('h1');
    }"""), "the page's title is not the first thing shown"


def test_browser_locale_picks_korean_and_home_reads_korean(new_page, open_page, assert_no_error, wait_for_app,
                                                          wait_for_text):
    """A browser set to Korean gets Home in Korean without asking (no ?lang=), and all of it reads
    Korean: one page load for both checks."""
    page = new_page(locale="ko-KR")
    open_page(page, "home", lang=None)
    assert_no_error(page)
    assert _title(page) == "잔차 네트워크는 왜 잘 작동할까"
    body = page.inner_text("body")
    assert "성능 저하(degradation) 문제" in body
    assert "Why residual networks work" not in body
    # Citations come from the table of sources, written the Korean way; no mark is left raw.
    assert "(He et al. 2015, 그림 6)" in body and "4.1절" in body
    assert "{src:" not in body and "{cite:" not in body and "{이/가}" not in body
    # The 2015 block as the paper's Figure 2 draws it: F(x) + x is the sum, before the ReLU.
    diagram = page.locator('svg[role="img"]').first.text_content()
    assert "F(x) + x" in diagram and "y = ReLU(F(x) + x)" in diagram and "H(x) = F(x) + x" not in diagram
    # Every page in the menu, in Korean, with no "View 4 more" (Streamlit's English) to click.
    nav = page.locator('[data-testid="stSidebarNav"]')
    for title in ("홈", "만들고 학습하기", "손실 지형", "배치 정규화 (BN)", "입력 기여도", "데이터 증강", "논문의 근거"):
        assert nav.get_by_text(title, exact=True).is_visible(), title
    assert "View" not in page.locator('[data-testid="stSidebar"]').inner_text()
    # The 45-minute lesson: its first question opens Predict with that question chosen.
    page.get_by_text("45분 수업", exact=True).click()
    page.get_by_role("link", name="반 전체에 질문하기").first.click()
    wait_for_app(page)
    wait_for_text(page, "예측하고 확인하기", "h1")
    assert "손글씨 숫자로 300단계를 학습한 뒤" in page.inner_text("body")
    assert_no_error(page)
    # English picked on a Korean browser stays English on a reload: the address names it.
    page.locator('[data-testid="stSidebar"]').get_by_role("radio", name="English").click()
    wait_for_app(page)
    wait_for_text(page, "Predict, then observe", "h1")
    assert "lang=en" in page.url
    page.reload()
    wait_for_app(page)
    assert _title(page) == "Predict, then observe" and "After 300 training steps on the digits" in page.inner_text("body")


def test_home_in_english_then_the_toggle_switches_language_and_keeps_settings(
        page, open_page, assert_no_error, wait_for_app, wait_for_text):
    open_page(page, "home", lang=None)   # the test browser's locale is English
    assert_no_error(page)
    assert _title(page) == "Why residual networks work"
    diagram = page.locator('svg[role="img"]').first                      # the block diagram drew
    assert diagram.get_attribute("aria-label") == "Plain block · Residual block"
    assert diagram.bounding_box()["width"] > 600 and "weight layer" in diagram.text_content()
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 0    # no chart to wait for
    body = page.inner_text("body")
    assert "The degradation problem" in body
    assert "(He et al. 2015, Figure 6)" in body and "{src:" not in body and "{cite:" not in body
    assert "GAP vs FC" in body and "Feature maps" in body   # the page cards

    main = page.locator('[data-testid="stMain"]')
    main.locator('[data-testid="stCheckbox"] label').filter(
        has_text="Show the backward pass (gradients)").click()
    wait_for_app(page)
    assert page.get_by_role("switch", name="Show the backward pass (gradients)").is_checked()
    main.get_by_role("radio", name="Residual block", exact=True).click()
    wait_for_app(page)

    page.locator('[data-testid="stSidebar"]').get_by_role("radio", name="한국어").click()
    wait_for_app(page)
    wait_for_text(page, "잔차 네트워크는 왜 잘 작동할까", "h1")
    assert_no_error(page)
    assert _title(page) == "잔차 네트워크는 왜 잘 작동할까"
    assert page.get_by_role("switch", name="역전파(그래디언트) 경로 보기").is_checked()
    # The gradient explanation only shows while the switch is on, and now speaks Korean.
    assert "역전파 때 숏컷은" in page.inner_text("body")
    assert main.get_by_role("radio", name="잔차 블록", exact=True).is_checked()
    # The next page by the menu, then a reload: still Korean, though the browser is English (the
    # address names the language; the menu opens a page with an empty address).
    page.locator('[data-testid="stSidebarNavLink"][href$="/gap-fc"]').click()
    wait_for_app(page)
    wait_for_text(page, "GAP과 FC 비교", "h1")
    assert "lang=ko" in page.url
    page.reload()
    wait_for_app(page)
    assert _title(page) == "GAP과 FC 비교"
    assert page.locator('[data-testid="stSidebar"]').get_by_role("radio", name="한국어").is_checked()


DEEP_LINKS = [("bottleneck", "ko", "병목 블록과 FLOPs", "120,422,400"), ("gap-fc", "en", "GAP vs FC", "25,089,000")]


def test_deep_links_right_after_start_go_through_the_router(tmp_path, new_page):
    # Fresh server, app.py never run (a bare `streamlit run app.py`): the first visitors, two
    # students following two links at once, ask for pages, not the root. Streamlit would run the
    # page file on its own (the pages/ folder mode), and name the page by its file; each page must
    # still get the router's sidebar, and no "Page not found" for an address whose file name differs.
    server = harness.start_app(tmp_path, warm=False)
    try:
        visits = [(new_page(), *link) for link in DEEP_LINKS]
        for page, url_path, lang, *_ in visits:    # the second arrives while the first one's script runs
            page.goto(harness.page_url(server.url, url_path, lang))
        for page, url_path, lang, title, shown in visits:
            harness.wait_for_app(page)
            harness.wait_for_charts(page)
            harness.assert_no_error(page)
            assert page.locator("h1").first.inner_text() == title
            assert page.get_by_role("dialog").count() == 0, page.get_by_role("dialog").first.inner_text()
            sidebar = page.locator('[data-testid="stSidebar"]')
            assert sidebar.get_by_role("radio", name="한국어" if lang == "ko" else "English").is_checked()
            assert ("GAP과 FC 비교" if lang == "ko" else "GAP vs FC") in sidebar.inner_text()
            assert ("홈" if lang == "ko" else "Home") in sidebar.inner_text()
            assert shown in page.inner_text("body")
    finally:
        server.stop()
