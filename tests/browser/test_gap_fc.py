"""GAP vs FC in a real browser, both languages: the flatten head's failure is an explanation."""

WORKS = {"en": "Runs: a 48×48 image gives 10 class scores.",
         "ko": "실행됩니다: 48×48 이미지에서 클래스 점수 10개가 나옵니다."}


def test_gap_fc_page_in_both_languages(page, open_page, switch_language, assert_no_error, wait_for_charts):
    open_page(page, "gap-fc", "ko")
    wait_for_charts(page)
    for lang in ("ko", "en"):
        if lang == "en":
            switch_language(page, "en", "GAP vs FC")
        assert_no_error(page)
        body = page.inner_text("body")
        assert "25,089,000" in body and "513,000" in body
        assert WORKS[lang] in body and WORKS["ko" if lang == "en" else "en"] not in body
        figures = page.locator('[data-testid="stMain"] svg[role="img"]:visible')   # no chart library on arrival; the phone's copy is hidden
        assert figures.count() == 2 and page.locator('[data-testid="stPlotlyChart"]').count() == 0
        assert figures.first.bounding_box()["height"] > 200
        assert page.locator('[data-testid="stAlertContentWarning"]').count() == 1
