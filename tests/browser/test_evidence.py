"""The paper's evidence in a real browser, both languages: its numbers, the misconceptions
answered with measured values, and Korean net names."""

import pytest


@pytest.mark.parametrize("lang, title, plain", [("en", "The paper's evidence", "plain-18"),
                                                ("ko", "논문의 근거", "플레인-18")])
def test_evidence_page(page, open_page, assert_no_error, lang, title, plain):
    open_page(page, "evidence", lang)
    assert_no_error(page)
    body = page.inner_text("body")
    for shown in (title, "3.57%", "27.94", "7.93", plain):
        assert shown in body, shown
    if lang == "ko":
        assert "plain-18" not in body
    # The misconceptions, answered with measurements.
    page.get_by_text("Misconceptions" if lang == "en" else "흔한 오해", exact=True).click()
    answer = "They use option" if lang == "en" else "이 네트워크들은"
    page.get_by_text(answer).first.wait_for(timeout=60_000)
    assert_no_error(page)
