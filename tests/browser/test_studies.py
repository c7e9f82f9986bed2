"""Lesion study and Loss landscape in a real browser, in both languages: a pair of nets and their
finished studies are written into the server's run store first (as a teacher's would be), so the
pages draw results at once; one lesion study runs through the real queue; settings round-trip
through the address, and leave it when the user moves to another page."""

from pathlib import Path

import pytest
from study_helpers import finished_twins, finished_study

from resnet_core.store.runs import RunStore

TEXT = {"lesion": {"en": ("Lesion study", "Deleting one block at a time", "What the paper found"),
                   "ko": ("블록 삭제 실험", "블록을 하나씩 지우기", "논문의 결과")},
        "landscape": {"en": ("Loss landscape", "2-D slice: the loss around the trained weights", "What the paper found"),
                      "ko": ("손실 지형", "2차원 단면: 학습된 가중치 주변의 손실", "논문의 결과")}}
LANDSCAPE = {"grid": 11, "points_1d": 41, "span": 1.0, "seed": 0, "max_images": 512}


@pytest.fixture(scope="module")
def studies(app_server):
    """The digits pair the pages train by default (20 layers, 300 steps, seed 0), finished by a
    teacher, with a lesion study (5 draws) and an 11x11 landscape already computed."""
    store = RunStore(Path(app_server.log_path).parent / "runs.sqlite")
    ids = finished_twins(store)
    finished_study(store, "lesion", {"draws": 5, "seed": 0, "run_ids": ids})
    RESULTS["landscape"] = finished_study(store, "landscape", {**LANDSCAPE, "run_ids": ids})
    return ids


RESULTS: dict[str, dict] = {}
# How each outcome of a finding begins (resnet_core.inspection.verdicts), in each language.
OPENINGS = {"en": {"held": "Held:", "reversed": "Did not hold:", "equal": "No difference here:",
                   "unclear": "Too small to tell:"},
            "ko": {"held": "재현됨:", "reversed": "재현되지 않음:", "equal": "차이 없음:",
                   "unclear": "차이가 너무 작아 판단할 수 없음:"}}


def _charts(page) -> int:
    return page.locator('[data-testid="stPlotlyChart"]').count()


def _in_both_languages(page, kind: str, first: str, switch_language, wait_for_charts, assert_no_error):
    """Yield once the page shows its study in `first` (as opened), once in the other language
    (after the sidebar's toggle), each time with its headings, charts drawn and no error."""
    for lang in (first, "ko" if first == "en" else "en"):
        title, heading, paper = TEXT[kind][lang]
        if lang != first:
            switch_language(page, lang, title)
        page.get_by_text(heading).first.wait_for()
        wait_for_charts(page)
        assert_no_error(page)
        assert page.locator("h1").first.inner_text() == title
        assert paper in page.inner_text("body")
        yield lang


def test_lesion_page_shows_the_study_in_both_languages(studies, page, app_server, switch_language,
                                                       wait_for_app, wait_for_charts, assert_no_error):
    page.goto(f"{app_server.url}/lesion?lang=en")
    wait_for_app(page)
    for _ in _in_both_languages(page, "lesion", "en", switch_language, wait_for_charts, assert_no_error):
        body = page.inner_text("body")
        assert f"#{studies[0]}" in body
        assert _charts(page) == 2   # single deletions (two panels) and the k-deletion curve
        # The block the text names is named as the bars name it (s1.b0), not by its module path.
        assert "s1.b" in body or "s2.b" in body or "s3.b" in body
        assert "stage1.block" not in body and "stage2.block" not in body


def test_landscape_page_shows_the_slices_in_both_languages(studies, page, app_server, switch_language,
                                                           wait_for_app, wait_for_charts, assert_no_error):
    page.goto(f"{app_server.url}/landscape?lang=ko&grid=11")
    wait_for_app(page)
    from resnet_core.inspection import landscape
    nets = {n["kind"]: n for n in RESULTS["landscape"]["nets"]}
    outcomes = landscape.verdict(nets["plain"], nets["residual"])["outcomes"]
    for lang in _in_both_languages(page, "landscape", "ko", switch_language, wait_for_charts, assert_no_error):
        assert _charts(page) == 2   # the 1-D lines and the two contour panels on one colour scale
        assert "grid=11" in page.url and f"lang={lang}" in page.url
        # Each finding opens with what its numbers showed: equal counts are never "held".
        alerts = page.locator('[data-testid="stAlert"]').all_inner_texts()
        for outcome in outcomes.values():
            assert any(OPENINGS[lang][outcome] in a for a in alerts), (outcome, alerts)
        assert "1 local minima" not in page.inner_text("body")


def test_a_lesion_study_runs_through_the_queue(studies, page, app_server, wait_for_app, wait_for_charts,
                                               assert_no_error):
    page.goto(f"{app_server.url}/lesion?lang=en&draws=1")
    wait_for_app(page)
    page.get_by_role("button", name="Run the lesion study").click()
    page.get_by_text("Deleting one block at a time").first.wait_for(timeout=180_000)
    wait_for_charts(page)
    assert_no_error(page)
    assert "draws=1" in page.url


def test_settings_leave_the_address_with_the_page(studies, page, app_server, wait_for_app, assert_no_error):
    page.goto(f"{app_server.url}/landscape?lang=en&grid=31&span=2.0")
    wait_for_app(page)
    assert_no_error(page)
    assert "grid=31" in page.url and "span=2.0" in page.url and "source=train" in page.url
    page.get_by_role("link", name="Lesion study").first.click()
    page.wait_for_url(lambda url: "/lesion" in url)
    wait_for_app(page)
    page.locator("h1", has_text="Lesion study").wait_for()
    assert "/lesion" in page.url and "grid=" not in page.url and "span=" not in page.url
