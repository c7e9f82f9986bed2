"""ui/draw/pictures.py: colours against plotly's own colour scales, PNGs that decode to the arrays
given, blends against a naive numpy blend, the HTML's figures and captions, and bad inputs (one
pixel, a constant map, NaN) drawn sanely."""

import re

import numpy as np
import plotly.colors as pc
import pytest
from apptest_helpers import COLOUR_BAR, decode_pictures

from ui.draw import pictures

# The attribution page's overlay scale, as it was given to plotly.
OVERLAY = [[0.0, "rgba(255,235,59,0)"], [0.15, "rgba(255,235,59,0.15)"], [0.45, "rgba(255,152,0,0.6)"],
           [0.75, "rgba(230,40,20,0.85)"], [1.0, "rgba(150,0,60,1)"]]
VALUES = np.concatenate([np.linspace(0, 1, 101), np.random.default_rng(0).random(200)])


ROUNDED = 0.5 + 1e-9    # plotly's sample_colorscale rounds each channel to a whole number


def plotly_rgb(scale, values) -> np.ndarray:
    """plotly's own sampling of `scale` at `values` (RGB, rounded; it drops alpha), as (N, 3) floats."""
    scale = scale if isinstance(scale, str) else [list(stop) for stop in scale]
    return np.array([[float(v) for v in re.findall(r"[\d.]+", c)[:3]]
                     for c in pc.sample_colorscale(scale, list(values))])


def test_viridis_is_plotlys_viridis_stop_for_stop():
    ours = [(pytest.approx(p), c.lower()) for p, c in pictures.VIRIDIS]
    assert ours == [(p, c.lower()) for p, c in pc.get_colorscale("Viridis")]


@pytest.mark.parametrize("scale", [pictures.VIRIDIS, "Viridis"], ids=["ours", "plotly-name"])
def test_viridis_colours_match_plotlys_sampling(scale):
    got = pictures.colourise(VALUES, pictures.VIRIDIS, 0.0, 1.0)
    np.testing.assert_allclose(got[:, :3], plotly_rgb(scale, VALUES), atol=ROUNDED)
    assert (got[:, 3] == 1).all()


def test_a_range_other_than_0_to_1_is_mapped_onto_the_scale_and_clamped():
    lo, hi = -2.0, 6.0
    raw = lo + VALUES * (hi - lo)
    np.testing.assert_allclose(pictures.colourise(raw, pictures.VIRIDIS, lo, hi)[:, :3],
                               plotly_rgb("Viridis", VALUES), atol=ROUNDED)
    ends = pictures.colourise(np.array([-50.0, 50.0]), pictures.VIRIDIS, lo, hi)[:, :3]
    np.testing.assert_allclose(ends, plotly_rgb("Viridis", [0, 1]), atol=ROUNDED)


def test_the_overlay_scale_matches_plotly_in_colour_and_interpolates_alpha():
    got = pictures.colourise(VALUES, OVERLAY, 0.0, 1.0)
    np.testing.assert_allclose(got[:, :3], plotly_rgb(OVERLAY, VALUES), atol=ROUNDED)
    np.testing.assert_allclose(got[:, 3], np.interp(VALUES, [0, 0.15, 0.45, 0.75, 1], [0, 0.15, 0.6, 0.85, 1]))


def test_heat8_rounds_the_colours_into_bytes():
    heat = pictures.heat8(VALUES[:300].reshape(3, 100), pictures.VIRIDIS, 0, 1)
    want = plotly_rgb("Viridis", VALUES[:300]).reshape(3, 100, 3)
    assert heat.dtype == np.uint8 and heat.shape == (3, 100, 4)
    assert np.abs(heat[..., :3].astype(int) - want).max() <= 1 and (heat[..., 3] == 255).all()


@pytest.mark.parametrize("shape", [(5, 7), (5, 7, 3), (5, 7, 4), (1, 1), (1, 1, 3)])
def test_png_holds_exactly_the_pixels_given(shape):
    pixels = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    uri = pictures.png_uri(pixels)
    assert uri.startswith("data:image/png;base64,")
    (decoded, _, _), = decode_pictures(pictures.figure(pictures.Cell(uri, "x")))
    np.testing.assert_array_equal(decoded, pixels)


def test_rgb8_repeats_grey_clips_and_blanks_nan():
    grey = np.array([[[0.0], [0.5], [1.0]]])
    np.testing.assert_array_equal(pictures.rgb8(grey)[0], [[0, 0, 0], [128, 128, 128], [255, 255, 255]])
    odd = np.array([[[-0.2, 1.4, np.nan]]])
    np.testing.assert_array_equal(pictures.rgb8(odd), [[[0, 255, 0]]])
    assert pictures.rgb8(np.full((2, 2), 0.25)).shape == (2, 2, 3)


@pytest.mark.parametrize("opacity", [0.1, 0.55, 0.9])
def test_overlay_is_the_naive_blend_at_the_opacity(opacity):
    rng = np.random.default_rng(2)
    base = rng.integers(0, 256, (9, 11, 3), dtype=np.uint8)
    heat = rng.random((9, 11))
    rgb = plotly_rgb(OVERLAY, heat.ravel()).reshape(9, 11, 3)
    alpha = np.interp(heat, [0, 0.15, 0.45, 0.75, 1], [0, 0.15, 0.6, 0.85, 1])[..., None]
    want = np.floor(base * (1 - opacity * alpha) + rgb * opacity * alpha + 0.5)
    got = pictures.overlay(base, heat, OVERLAY, opacity)
    assert got.dtype == np.uint8 and np.abs(got.astype(int) - want).max() <= 1
    # no evidence: the picture as it was
    np.testing.assert_array_equal(pictures.overlay(base, np.zeros((9, 11)), OVERLAY, opacity), base)


def test_a_constant_map_sits_at_the_bottom_of_the_scale_and_its_bar_has_one_value():
    flat = np.full((4, 4), 3.5)
    heat = pictures.heat8(flat, pictures.VIRIDIS, 3.5, 3.5)
    assert (heat[..., :3] == [0x44, 0x01, 0x54]).all()
    bar = pictures.colour_bar(pictures.VIRIDIS, 3.5, 3.5, "activation")
    assert re.findall(r">([^<>]*)</text>", bar) == ["activation", "3.5"]
    assert COLOUR_BAR.findall(bar) == [("3.5", "3.5", "activation: 3.5 – 3.5")]


def test_nan_is_transparent_in_a_map_and_leaves_the_picture_under_an_overlay():
    values = np.array([[0.2, np.nan], [np.inf, 0.8]])
    heat = pictures.heat8(values, pictures.VIRIDIS, 0, 1)
    assert heat[0, 1, 3] == 0 and heat[1, 0, 3] == 0 and heat[0, 0, 3] == 255
    base = np.full((2, 2, 3), 100, np.uint8)
    blended = pictures.overlay(base, values, OVERLAY, 0.9)
    np.testing.assert_array_equal(blended[0, 1], [100, 100, 100])
    everything_nan = pictures.heat8(np.full((3, 3), np.nan), pictures.VIRIDIS, np.nan, np.nan)
    assert (everything_nan == 0).all()
    bar = pictures.colour_bar(pictures.VIRIDIS, np.nan, np.inf, "activation")
    assert "nan" not in bar.lower() and "inf" not in bar.lower()


def test_a_one_pixel_picture_is_drawn_large_and_sharp():
    html = pictures.grid([pictures.Cell(pictures.png_uri(pictures.rgb8(np.ones((1, 1, 3)))), "one")], 4, max_px=160)
    (pixels, tip, caption), = decode_pictures(html)
    assert pixels.shape == (1, 1, 3) and (pixels == 255).all() and (tip, caption) == ("one", "one")
    assert "width:100%" in html and "image-rendering:pixelated" in html
    assert "object-fit:contain" in html                    # Streamlit's own "scale-down" would keep it 1 pixel wide
    assert "grid-template-columns:repeat(1," in html      # one picture: one column, not four


def test_the_grid_has_a_figure_and_caption_per_picture_escaped_on_one_line():
    cells = [pictures.Cell(pictures.png_uri(np.full((2, 2), i, np.uint8)), f"<c{i}> & co", f"tip \"{i}\"")
             for i in range(7)]
    html = pictures.grid(cells, 4, footer="<hr>")
    assert "\n" not in html                                # a blank line would end Markdown's HTML block
    assert html.count("<figure") == html.count("<figcaption") == 7 and "<c1>" not in html
    assert [(p[0, 0], tip, caption) for p, tip, caption in decode_pictures(html)] == [
        (i, f'tip "{i}"', f"<c{i}> & co") for i in range(7)]
    assert "grid-template-columns:repeat(4," in html and html.endswith("<hr></div>")


def test_the_table_titles_columns_and_labels_rows_in_their_colours():
    cell = pictures.Cell(pictures.png_uri(np.zeros((3, 3), np.uint8)), tip="t")
    html = pictures.table(["Image", "A<B"], [("plain-20", "#D9662B", [cell, cell]), ("ResNet-20", "#1F6FB2", [cell, cell])])
    assert len(decode_pictures(html)) == 4 and "<figcaption" not in html
    assert ">Image</div>" in html and ">A&lt;B</div>" in html
    assert re.findall(r"color:(#\w+);[^>]*>(plain-20|ResNet-20)</div>", html) == [("#D9662B", "plain-20"),
                                                                                 ("#1F6FB2", "ResNet-20")]


def test_the_matrix_labels_rows_and_columns_around_one_picture():
    strip = np.random.default_rng(3).integers(0, 256, (3, 7, 3), dtype=np.uint8)
    html = pictures.matrix(pictures.png_uri(strip), ["PC1", "PC2", "PC3"], [f"{v:+d}σ" for v in range(-3, 4)], "shift")
    (pixels, tip, _), = decode_pictures(html)
    np.testing.assert_array_equal(pixels, strip)
    assert tip == "shift"
    assert re.findall(r">([^<>]+)</div>", html) == ["PC1", "PC2", "PC3", "-3σ", "-2σ", "-1σ", "+0σ", "+1σ", "+2σ",
                                                   "+3σ", "shift"]


def test_the_colour_bar_names_its_ends_and_round_values_between():
    bar = pictures.colour_bar(pictures.VIRIDIS, -0.37, 2.81, "activation")
    labels = re.findall(r">([^<>]*)</text>", bar)
    assert labels[0] == "activation" and labels[1] == "-0.37" and labels[-1] == "2.81"
    assert [float(v) for v in labels[2:-1]] == [1.0, 2.0]      # 0 would crowd the -0.37 at the end
    assert len(re.findall(r"<stop ", bar)) == len(pictures.VIRIDIS)
    zero_one = pictures.colour_bar(OVERLAY, 0, 1, "evidence")
    assert re.findall(r">([^<>]*)</text>", zero_one)[1:] == ["0", "0.2", "0.4", "0.6", "0.8", "1"]
    assert 'stop-opacity="0.000"' in zero_one                 # the transparent end stays transparent


@pytest.mark.parametrize("lo, hi", [(0, 1), (-3.2, 0.01), (1e-4, 3e-4), (12, 12000), (5, 5)])
def test_inner_ticks_are_round_and_strictly_inside(lo, hi):
    ticks = pictures.inner_ticks(lo, hi)
    assert all(lo < v < hi for v in ticks) and len(ticks) <= 6
    if hi > lo * 1.5 or lo <= 0:
        assert ticks
    assert all(float(f"{v:.2g}") == pytest.approx(v) for v in ticks)
