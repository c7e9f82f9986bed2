"""Bottleneck & FLOPs in a real browser, both languages, and each of its sections."""


def test_bottleneck_page_in_both_languages(page, open_page, switch_language, assert_no_error, wait_for_charts):
    open_page(page, "bottleneck", "en")
    wait_for_charts(page)
    for lang, title in (("en", "Bottleneck & FLOPs"), ("ko", "병목 블록과 FLOPs")):
        if lang == "ko":
            switch_language(page, "ko", title)
        assert_no_error(page)
        assert page.locator("h1").first.inner_text() == title
        body = page.inner_text("body")
        assert "120,422,400 MACs" in body and "12,443,648 MACs" in body
        figure = page.locator('[data-testid="stMain"] svg[role="img"]')    # no chart library on arrival
        assert figure.count() == 1 and page.locator('[data-testid="stPlotlyChart"]').count() == 0
        assert figure.bounding_box()["height"] > 200


def test_every_section_draws(page, open_page, assert_no_error, wait_for_app, wait_for_charts, wait_for_text):
    open_page(page, "bottleneck", "en")
    for name in ("Basic vs bottleneck block", "ResNet-18…152 vs the paper", "Cost per layer"):
        page.locator('[data-testid="stMain"]').get_by_role("radio", name=name, exact=True).click()
        wait_for_app(page)
        wait_for_charts(page)
        assert_no_error(page)
    wait_for_text(page, "3.66 G MACs")   # ResNet-34, the default per-layer model
