"""ui/svg_charts.py against the numbers it draws: bar heights in proportion to their values on
a round axis from zero, stacked parts adding up, every exact value in a tooltip, the ring's
slices in their shares; and the cost figures built with it (ui/cost_charts.py)."""

import math
import re
import xml.etree.ElementTree as ET

import pytest

from ui import cost_charts, style, svg_charts
from ui.svg_charts import Bar, Segment

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
    ticks = svg_charts.nice_ticks(top)
    steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:])}
    assert ticks[0] == 0 and ticks[-1] >= top and len(steps) == 1
    step = steps.pop()
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 6) in (1, 2, 5)
    assert 3 <= len(ticks) <= 7 and ticks[-2] < top       # no empty step above the top


def test_bar_heights_are_proportional_and_stacks_add_up():
    svg = svg_charts.bars([Bar("A", (Segment("one", 300, "#111111"),), "300"),
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
    svg = svg_charts.bars([Bar("<x> & 한국어", (Segment("<x> & 한국어", 5, "#111111"),), "5")],
                          y_title="개수", title="a < b")
    root = parse(svg)                               # well-formed despite < and &
    texts = [t.text for t in root.iter(f"{NS}tspan")]
    assert texts.count("<x> & 한국어") == 1           # the label under the bar, no legend entry


def test_ring_slices_take_their_share_of_the_turn():
    root = parse(svg_charts.ring([Segment("conv", 20_024_384, "#111111"), Segment("fc", 123_642_856, "#222222")],
                                 centre="VGG-19<br>143.7 M", title="VGG-19"))
    paths = [p for p in root.iter(f"{NS}path") if p.find(f"{NS}title") is not None]
    tips = [p.find(f"{NS}title").text for p in paths]
    assert tips == ["conv: 20,024,384 (14%)", "fc: 123,642,856 (86%)"]
    # The large-arc flag is set only for the slice over half the turn.
    flags = [re.search(r"A [\d.]+ [\d.]+ 0 (\d) 1", p.get("d")).group(1) for p in paths]
    assert flags == ["0", "1"]
    whole = parse(svg_charts.ring([Segment("all", 5, "#111111"), Segment("none", 0, "#222222")],
                                  centre="x", title="x"))
    assert [c.find(f"{NS}title").text for c in whole.iter(f"{NS}circle")] == ["all: 5 (100%)"]


def test_cost_figures_carry_the_papers_numbers():
    from resnet_core.nets import flops
    calc = flops.bottleneck_calc(28, 192, 32, 5, 16)
    root = parse(cost_charts.reduction_paths(calc, 5))
    tips = [b[3] for b in bars_of(root)]
    assert tips[0].endswith(": 120,422,400") and tips[1].endswith(": 2,408,448") and tips[2].endswith(": 10,035,200")
    texts = {t.text for t in root.iter(f"{NS}tspan")}
    assert {"120,422,400", "12,443,648"} <= texts
    heads = parse(cost_charts.head_params(25_089_000, 513_000))
    assert [b[3].split(": ")[1] for b in bars_of(heads)] == ["25,089,000", "513,000"]
    share = parse(cost_charts.parameter_share(123_642_856, 143_667_240, "VGG-19"))
    assert "VGG-19" in [t.text for t in share.iter(f"{NS}tspan")]
    assert style.fmt_si(143_667_240) in [t.text for t in share.iter(f"{NS}tspan")]
