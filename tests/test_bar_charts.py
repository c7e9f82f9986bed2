"""ui/bar_charts.py against the numbers it draws: bar heights in proportion to their values on
a round axis from zero, stacked parts adding up, every exact value in a tooltip, the ring's
slices in their shares; and the cost figures built with it (ui/draw/flops_charts.py)."""

import math
import re
import xml.etree.ElementTree as ET

import pytest

from ui.draw import axes, bar_charts, flops_charts, style
from ui.draw.bar_charts import Bar, Segment
from ui.page.i18n import words

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def bars_of(root: ET.Element) -> list[tuple[float, float, float, str]]:
    """(x, y, height, tooltip) of every bar segment (rects with a tooltip; legend keys have none)."""
    out = []
    for r in root.iter(f"{NS}rect"):
        title = r.find(f"{NS}title")
        if title is not None:
            out.append((float(r.get("x")), float(r.get("y")), float(r.get("height")), title.text))
    return out


@pytest.mark.parametrize("top", [1, 7, 9.99, 10, 42, 513_000, 25_089_000, 120_422_400 * 1.12, 3.3e9])
def test_ticks_are_round_steps_from_zero_past_the_top(top):
    ticks = axes.nice_ticks(top)
    steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:])}
    assert ticks[0] == 0 and ticks[-1] >= top and len(steps) == 1
    step = steps.pop()
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 6) in (1, 2, 5)
    assert 3 <= len(ticks) <= 7 and ticks[-2] < top       # no empty step above the top


def test_bar_heights_are_proportional_and_stacks_add_up():
    svg = bar_charts.bars([Bar("A", (Segment("one", 300, "#111111"),), "300"),
                           Bar("B", (Segment("low", 50, "#222222"), Segment("high", 100, "#333333")), "150")],
                          y_title="units", title="test")
    root = parse(svg)
    (ax, ay, ah, at_), (bx, by, bh, bt), (cx, cy, ch, ct) = bars_of(root)
    assert at_ == "A · one: 300" and bt == "B · low: 50" and ct == "B · high: 100"
    assert bh / ah == pytest.approx(50 / 300, rel=1e-3) and ch / ah == pytest.approx(100 / 300, rel=1e-3)
    assert bx == cx and by == pytest.approx(cy + ch, abs=0.2)          # "high" sits on "low"
    assert ay + ah == pytest.approx(by + bh, abs=0.2)                   # one baseline
    texts = [t.text for t in root.iter(f"{NS}tspan")]
    assert {"300", "150", "A", "B", "one", "low", "high"} <= set(texts)   # legend: B is stacked
    assert root.get("aria-label") == "test"


def test_simple_bars_have_no_legend_and_names_are_escaped():
    svg = bar_charts.bars([Bar("<x> & 한국어", (Segment("<x> & 한국어", 5, "#111111"),), "5")],
                          y_title="개수", title="a < b")
    root = parse(svg)                               # well-formed despite < and &
    texts = [t.text for t in root.iter(f"{NS}tspan")]
    assert texts.count("<x> & 한국어") == 1           # the label under the bar, no legend entry


def test_ring_slices_take_their_share_of_the_turn():
    root = parse(bar_charts.ring([Segment("conv", 20_024_384, "#111111"), Segment("fc", 123_642_856, "#222222")],
                                 centre="VGG-19<br>143.7 M", title="VGG-19"))
    paths = [p for p in root.iter(f"{NS}path") if p.find(f"{NS}title") is not None]
    tips = [p.find(f"{NS}title").text for p in paths]
    assert tips == ["conv: 20,024,384 (14%)", "fc: 123,642,856 (86%)"]
    # The large-arc flag is set only for the slice over half the turn.
    flags = [re.search(r"A [\d.]+ [\d.]+ 0 (\d) 1", p.get("d")).group(1) for p in paths]
    assert flags == ["0", "1"]
    whole = parse(bar_charts.ring([Segment("all", 5, "#111111"), Segment("none", 0, "#222222")],
                                  centre="x", title="x"))
    assert [c.find(f"{NS}title").text for c in whole.iter(f"{NS}circle")] == ["all: 5 (100%)"]


def test_cost_figures_carry_the_papers_numbers():
    from resnet_core.nets import flops
    calc = flops.bottleneck_calc(28, 192, 32, 5, 16)
    root = parse(flops_charts.reduction_paths(calc, 5, words(flops_charts.WORDS)))
    tips = [b[3] for b in bars_of(root)]
    assert tips[0].endswith(": 120,422,400") and tips[1].endswith(": 2,408,448") and tips[2].endswith(": 10,035,200")
    texts = {t.text for t in root.iter(f"{NS}tspan")}
    assert {"120,422,400", "12,443,648"} <= texts
    heads = parse(flops_charts.head_params(25_089_000, 513_000, words(flops_charts.WORDS)))
    assert [b[3].split(": ")[1] for b in bars_of(heads)] == ["25,089,000", "513,000"]
    share = parse(flops_charts.parameter_share(123_642_856, 143_667_240, "VGG-19", words(flops_charts.WORDS)))
    assert "VGG-19" in [t.text for t in share.iter(f"{NS}tspan")]
    assert style.fmt_si(143_667_240) in [t.text for t in share.iter(f"{NS}tspan")]


@pytest.mark.parametrize("value, spec, js", [
    (0.5, ".3g", "0.500"), (1.234e-8, ".3g", "1.23e-8"), (0.000123456, ".3g", "0.000123"),
    (123456, ".3g", "1.23e+5"), (99.95, ".3g", "100"), (0.0, ".3g", "0.00"), (-0.0421, ".3g", "-0.0421"),
    (0.57735, ".3f", "0.577"), (0.4512, ".0%", "45%"), (173824, ",", "173,824")])
def test_numbers_read_as_plotlys_hover_wrote_them(value, spec, js):
    # Expected strings: what JavaScript's toPrecision / d3-format give for the same spec.
    assert axes.number(value, spec) == js


def grouped(root: ET.Element):
    """(x, y, width, height, fill, tooltip) of every bar."""
    return [(float(r.get("x")), float(r.get("y")), float(r.get("width")), float(r.get("height")), r.get("fill"),
             r.find(f"{NS}title").text) for r in root.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]


def zero_line_y(root: ET.Element) -> float:
    """The y of the tick labelled 0 (its grid line is the zero line)."""
    [y] = [float(t.get("y")) for t in root.iter(f"{NS}text") if t.get("text-anchor") == "end" and t.text == "0"]
    return y


def test_grouped_signed_bars_stand_side_by_side_above_and_below_zero():
    loadings = {"R": [0.58, -0.71, 0.40], "G": [0.57, 0.01, -0.82], "B": [0.58, 0.70, 0.41]}
    colours = {"R": "#D62728", "G": "#2CA02C", "B": "#1F77B4"}
    panel = bar_charts.BarPanel(["PC1", "PC2", "PC3"],
                                [bar_charts.Series(c, v, colours[c]) for c, v in loadings.items()],
                                y_title="loading", y_range=(-1.05, 1.05), value_format=".3f")
    root = parse(bar_charts.grouped_bars([panel], title="eigenvectors"))
    bars = grouped(root)
    assert [b[5] for b in bars[:3]] == ["PC1 · R: 0.580", "PC1 · G: 0.570", "PC1 · B: 0.580"]
    zero = zero_line_y(root)
    per_unit = None
    for (x, y, w, h, fill, tip), value in zip(bars, [loadings[c][g] for g in range(3) for c in "RGB"]):
        if value > 0:
            assert y + h == pytest.approx(zero, abs=0.2)          # rises from the zero line
        else:
            assert y == pytest.approx(zero, abs=0.2)              # hangs below it
        per_unit = per_unit or h / abs(value)
        assert h / abs(value) == pytest.approx(per_unit, rel=2e-2)
    first = bars[:3]
    assert first[1][0] == pytest.approx(first[0][0] + first[0][2], abs=0.2)   # R, G, B touching, in order
    assert [b[4] for b in first] == ["#D62728", "#2CA02C", "#1F77B4"]
    ticks = [t.text for t in root.iter(f"{NS}text") if t.get("text-anchor") == "end"]
    assert ticks == ["−1", "−0.5", "0", "0.5", "1"]
    legend = [t.text for t in root.iter(f"{NS}tspan")]
    assert {"R", "G", "B", "PC1", "PC2", "PC3"} <= set(legend)


def test_bars_carry_value_labels_per_bar_colours_and_escaped_names():
    share = [0.4512, 0.3321, 0.2167]
    panels = [bar_charts.BarPanel(["<PC1>", "PC2 & co", "주성분3"],
                                  [bar_charts.Series("", [3.2, 2.4, 1.5], ["#111111", "#222222", "#333333"],
                                                     [f"{s:.0%}" for s in share])], title="variance a < b"),
              bar_charts.BarPanel(["x"], [bar_charts.Series("", [-2.0], "#444444", ["−2"])], title="second")]
    root = parse(bar_charts.grouped_bars(panels, title="<both>"))
    texts = [t.text for t in root.iter(f"{NS}tspan")]
    assert {"45%", "33%", "22%", "<PC1>", "PC2 & co", "주성분3", "variance a < b", "second", "−2"} <= set(texts)
    bars = grouped(root)
    assert [b[4] for b in bars] == ["#111111", "#222222", "#333333", "#444444"]
    assert [b[5] for b in bars] == ["<PC1>: 3.20", "PC2 & co: 2.40", "주성분3: 1.50", "x: -2.00"]
    labels = {t.text: float(t.get("y")) for t in root.iter(f"{NS}tspan")}
    assert labels["45%"] < bars[0][1]                    # above its bar
    assert labels["−2"] > bars[3][1] + bars[3][3]        # under a bar that hangs down
    assert not [t for t in root.iter(f"{NS}text") if t.text == "45%" and t.get("text-anchor") == "end"]
