"""The paper's evidence in a real browser, both languages: its numbers, the misconceptions
answered with measured values, and Korean net names."""

TEXT = {"en": ("The paper's evidence", "plain-18", "The paper's numbers", "Misconceptions", "They use option"),
        "ko": ("논문의 근거", "플레인-18", "논문의 수치", "흔한 오해", "이 네트워크들은")}


def check_numbers(page, lang: str, assert_no_error) -> None:
    title, plain = TEXT[lang][:2]
    assert_no_error(page)
    body = page.inner_text("body")
    for shown in (title, "3.57%", "27.94", "7.93", plain):
        assert shown in body, shown
    if lang == "ko":
        assert "plain-18" not in body


def check_misconceptions(page, lang: str, assert_no_error) -> None:
    """Choose the misconceptions section: they are answered with measurements."""
    *_, section, answer = TEXT[lang]
    page.get_by_text(section, exact=True).click()
    page.get_by_text(answer).first.wait_for(timeout=60_000)
    assert_no_error(page)


def test_evidence_page_in_both_languages(page, open_page, switch_language, assert_no_error, wait_for_text):
    open_page(page, "evidence", "en")
    check_numbers(page, "en", assert_no_error)
    check_misconceptions(page, "en", assert_no_error)
    # The section chosen stays chosen when the language changes, and speaks Korean.
    switch_language(page, "ko", TEXT["ko"][0])
    wait_for_text(page, TEXT["ko"][4])
    assert "They use option" not in page.inner_text("body")
    page.get_by_text(TEXT["ko"][2], exact=True).click()   # back to the paper's numbers
    wait_for_text(page, "27.94")
    check_numbers(page, "ko", assert_no_error)
    check_misconceptions(page, "ko", assert_no_error)
