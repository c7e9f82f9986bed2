"""The layout for phones and projectors, below the browser: how wide an inline figure must stay
for its text to be read (ui/draw/canvas.readable_width), the arrangements drawn for a phone, tables
that scroll with names kept whole (ui/page/tables.py), and the colours of shortcuts A, B and C told
apart also by colour-blind viewers. tests/browser/test_phone.py and the projector test in
tests/browser/test_teacher.py measure the same in Chromium."""

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ui.draw import diagrams, flops_charts, style
from ui.draw.canvas import MIN_TEXT_PX
from ui.page import figures, tables
from ui.page.i18n import words


def block_diagram(*args, **kwargs):
    return diagrams.block_diagram(words(diagrams.WORDS), *args, **kwargs)

PHONE_COLUMN = 358     # 390 px less Streamlit's margins on a phone


def _min_width(svg: str) -> int:
    return int(re.search(r"min-width:clamp\(0px,calc\(\(900px - 100vw\)\*9999\),(\d+)px\)", svg).group(1))


def _smallest_text(svg: str) -> float:
    return min(float(s) for s in re.findall(r'font-size="([\d.]+)"', svg))


def test_a_figure_keeps_its_smallest_text_at_11_px_on_a_phone_and_only_there():
    svg = block_diagram("both", show_grad=True)
    width = float(ET.fromstring(svg).get("viewBox").split()[2])
    assert _min_width(svg) == math.ceil(width * MIN_TEXT_PX / _smallest_text(svg))
    assert _min_width(svg) * _smallest_text(svg) / width >= MIN_TEXT_PX
    assert "900px - 100vw" in svg        # zero above 900 px: the wide layout is unchanged


@pytest.mark.parametrize("make", [lambda: block_diagram("plain", True), lambda: block_diagram("residual", True),
                                  lambda: flops_charts.head_params(25_089_000, 513_000, words(flops_charts.WORDS), flops_charts.PHONE_WIDTH)])
def test_what_a_phone_is_shown_fits_its_column_without_scrolling(make):
    assert _min_width(make()) <= PHONE_COLUMN


def test_show_gives_the_phone_its_own_arrangement_beside_the_wide_one(monkeypatch):
    shown = []
    monkeypatch.setattr("streamlit.markdown", lambda body, **_: shown.append(body))
    figures.show(block_diagram("both"), [block_diagram("plain"), block_diagram("residual")])
    wide, narrow = shown
    assert wide.startswith('<svg class="rx-wide" ') and ET.fromstring(wide) is not None
    assert narrow.startswith('<div class="rx-narrow">') and narrow.count("<svg ") == 2
    shown.clear()
    figures.show(block_diagram("plain"))
    assert shown == [block_diagram("plain")]


def test_a_table_scrolls_in_its_box_and_keeps_net_names_whole():
    markup = tables.html([{"네트워크": "플레인-56", "net": "ResNet-110 & plain-20", "오류율": "−1.5%"}])
    root = ET.fromstring(markup)
    assert root.tag == "div" and root.get("class") == "rx-table-box"
    cells = ["".join(td.itertext()) for td in root.iter("td")]
    assert cells == ["플레인-56", "ResNet-110 & plain-20", "−1.5%"]      # text unchanged
    whole = [span.text for span in root.iter("span") if span.get("class") == "rx-nowrap"]
    assert whole == ["플레인-56", "ResNet-110", "plain-20"]
    css = (Path(__file__).resolve().parents[1] / "assets" / "layout.css").read_text()
    assert ".rx-nowrap { white-space: nowrap; }" in css and "word-break: keep-all" in css


# Colour-vision deficiency as Machado, Oliveira & Fernandes (2009) simulate it at full severity,
# on linear RGB.
_CVD = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602), (0.004733, 0.691367, 0.303900)),
}


def _linear(hex_colour: str) -> tuple[float, ...]:
    c = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    return tuple(v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in c)


def _lab(rgb) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of linear RGB."""
    r, g, b = (min(max(v, 0.0), 1.0) for v in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
    f = [v ** (1 / 3) if v > 0.008856 else 7.787 * v + 16 / 116 for v in (x, y, z)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


@pytest.mark.parametrize("vision", [None, *_CVD])
def test_shortcut_colours_are_told_apart_at_a_glance_also_with_colour_blindness(vision):
    """A, B, C and the plain net: every pair at least 20 CIE76 units apart (about what the eye
    tells apart at a glance on a chart; the three old blues came within 8 under some deficiency)."""
    colours = {**style.OPTION_COLOURS, "plain": style.PLAIN}
    seen = {}
    for name, colour in colours.items():
        rgb = _linear(colour)
        if vision:
            rgb = tuple(sum(m * v for m, v in zip(row, rgb)) for row in _CVD[vision])
        seen[name] = _lab(rgb)
    for a in seen:
        for b in seen:
            if a < b:
                assert math.dist(seen[a], seen[b]) >= 20, f"{a} and {b} look alike ({vision or 'normal vision'})"
