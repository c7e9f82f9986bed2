"""Bottleneck & FLOPs in a real browser: both languages (check_page, on the walk of every page in
tests/browser/test_share_links.py), and each of its sections."""


TITLES = {"en": "Bottleneck & FLOPs", "ko": "병목 블록과 FLOPs"}


def check_page(page, lang: str) -> None:
    """The page in `lang`, as the walk of every page in both languages finds it
    (tests/browser/test_share_links.py, which calls this after its own check for errors)."""
    assert page.locator("h1").first.inner_text() == TITLES[lang]
    body = page.inner_text("body")
    assert "120,422,400 MACs" in body and "12,443,648 MACs" in body
    figure = page.locator('[data-testid="stMain"] svg[role="img"]:visible')    # no chart library on arrival
    assert figure.count() == 1 and page.locator('[data-testid="stPlotlyChart"]').count() == 0
    assert figure.bounding_box()["height"] > 200


def test_every_section_draws(page, open_page, assert_no_error, wait_for_app, wait_for_charts, wait_for_text):
    from resnet_core.nets import flops

    rows = {r.arch: r for r in flops.paper_table()}
    vgg_share = f"{100 * rows['resnet34'].macs_v1 / rows['vgg19'].macs_v1:.1f}"
    # What each section shows that only it computes: the two blocks' weights at their default
    # widths (64 basic, 256 bottleneck), ResNet-34's share of VGG-19's multiply-adds, and
    # ResNet-34's total in the per-layer view.
    expected = {"Basic vs bottleneck block": [f"{flops.block_weights('basic', 64):,}",
                                              f"{flops.block_weights('bottleneck', 256):,}"],
                "ResNet-18…152 vs the paper": [vgg_share],
                "Cost per layer": ["3.66 G MACs"]}
    assert expected["Basic vs bottleneck block"] == ["73,728", "69,632"]
    open_page(page, "bottleneck", "en")
    for name, texts in expected.items():
        page.locator('[data-testid="stMain"]').get_by_role("radio", name=name, exact=True).click()
        wait_for_app(page)
        wait_for_charts(page)
        assert_no_error(page)
        for text in texts:
            wait_for_text(page, text)
