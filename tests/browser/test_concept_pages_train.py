"""Shortcuts A/B/C and BatchNorm in a real browser: both pages in both languages without an
error (check_page, on the walk of every page in tests/browser/test_share_links.py), and a tiny
training experiment that runs in the background and ends on the page."""

PAGES = {
    ("shortcuts", "en"): ("Shortcuts A/B/C", ["B − A = 173,824 parameters", "C − A = 1,092,992 parameters",
                                              "10-crop", "21,623,848", "24.19"]),
    ("shortcuts", "ko"): ("숏컷 A/B/C", ["B − A = 파라미터 173,824개", "제로 패딩 항등 연결", "10-crop"]),
    ("batchnorm", "en"): ("BatchNorm", ["What one BN layer computes", "0.500 / 1.500",
                                        "Activations at initialisation"]),
    ("batchnorm", "ko"): ("배치 정규화 (BN)", ["BN 층 하나가 하는 계산", "0.500 / 1.500", "초기화 직후의 활성값"]),
}


def check_page(page, url_path: str, lang: str, assert_no_error, wait_for_charts) -> None:
    """The page in `lang`, as the walk of every page in both languages finds it
    (tests/browser/test_share_links.py, which calls this)."""
    title, texts = PAGES[(url_path, lang)]
    # Each page draws at least two charts, as inline SVG (no chart library on arrival); on a busy
    # server the activation profiles take a while.
    # (:visible: a figure drawn for both a wide screen and a phone has one copy hidden.)
    figures = page.locator('[data-testid="stMain"] svg[role="img"]:visible')
    figures.nth(1).wait_for()
    wait_for_charts(page)
    assert_no_error(page)
    assert page.locator("h1").first.inner_text() == title
    body = page.inner_text("body")
    for text in texts:
        assert text in body, text
    assert figures.count() >= 2 and page.locator('[data-testid="stPlotlyChart"]').count() == 0
    assert all(figures.nth(i).bounding_box()["height"] > 200 for i in range(figures.count()))
    # Each point and bar names its value when the pointer rests on it.
    tips = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stMain"] svg[role="img"] title')]
                                  .map(t => t.textContent)""")
    assert ({"shortcuts": "ResNet-34 C: 24.19", "batchnorm": "\n"}[url_path] in "|".join(tips)), tips[:5]
    # The small tables are HTML (ui/page/tables.py), their columns of numbers right-aligned.
    tables = page.locator('[data-testid="stMain"] [data-testid="stMarkdownContainer"] table')
    assert tables.count() == 2
    aligns = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stMarkdownContainer"] table')]
                              .map(t => [...t.querySelectorAll('tbody tr:first-child td')]
                                        .map(td => td.textContent.trim() + ' ' + getComputedStyle(td).textAlign))""")
    for row in aligns:      # the first column names a row; a column of numbers lines its digits up
        assert row[0].endswith(" left") or row[0][0].isdigit(), row
        assert any(cell.endswith(" right") for cell in row), row


def to_lowest(page, label: str, wait_for_app) -> None:
    """Move the page's last (select) slider called `label` to its first option with the
    keyboard, as a user could."""
    slider = page.locator('[data-testid="stSlider"]').filter(has_text=label).get_by_role("slider").last
    slider.focus()
    slider.press("Home")
    wait_for_app(page)


def test_bn_experiment_trains_in_the_background(page, open_page, assert_no_error, wait_for_app, wait_for_charts):
    open_page(page, "batchnorm", "en")
    to_lowest(page, "Depth (layers)", wait_for_app)            # the training section's (the last): 8
    to_lowest(page, "Training steps per net", wait_for_app)    # 50 steps
    page.get_by_role("button", name="Train with and without BN").click()
    # Four tiny nets train one after another while the page polls; when the last one ends the
    # page redraws with their activations measured from the checkpoints.
    page.get_by_role("heading", name="Activations after training").wait_for(timeout=180_000)
    wait_for_app(page)
    wait_for_charts(page)
    assert_no_error(page)
    body = page.inner_text("body")
    for net in ("plain-8 BN", "plain-8 no BN", "ResNet-8 BN", "ResNet-8 no BN"):
        assert f"{net} — finished" in body, net
        assert page.locator('[data-testid="stMetric"]').filter(has_text=net).count() >= 1, net
    assert "Standard deviation of every ReLU's output, recorded during training" in body
