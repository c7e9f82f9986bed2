"""ui/line_charts.py against the numbers it draws: points at their values on a linear axis and at
log10 of their values on a log axis, decade ticks written 10^k, every exact value in a tooltip as
plotly's hover wrote it, exact zeros at the floor with their own marker and note, NaN and
infinity left out, small multiples with a percent axis, histogram bins edge to edge; and the
gradient charts these replace (formerly ui.charts.depth_profile and block_gains)."""

import math
import xml.etree.ElementTree as ET

import pytest

from ui.draw import line_charts, style, training_charts
from ui.draw.line_charts import Histogram, Line, Panel
from ui.page.i18n import words

SAID = words(line_charts.WORDS)

NS = "{http://www.w3.org/2000/svg}"


def text_of(el: ET.Element) -> str:
    return "".join(el.itertext())


def y_ticks(root: ET.Element) -> list[tuple[str, float]]:
    """(label, pixel y) of the y-axis tick labels (the only end-anchored text)."""
    return [(text_of(t), float(t.get("y"))) for t in root.iter(f"{NS}text") if t.get("text-anchor") == "end"]


def tick_value(label: str) -> float:
    """"10−5" (10 with a raised −5) -> 1e-5; "45%" -> 0.45; "1.5" -> 1.5."""
    label = label.replace("−", "-")
    if label.startswith("10") and len(label) > 2 and label != "100":
        return 10.0 ** int(label[2:])
    if label.endswith("%"):
        return float(label[:-1]) / 100
    return float(label)


def points(root: ET.Element) -> list[tuple[float, float, str]]:
    """(x, y, tooltip) of every point marker."""
    return [(float(c.get("cx")), float(c.get("cy")), c.find(f"{NS}title").text)
            for c in root.iter(f"{NS}circle") if c.find(f"{NS}title") is not None]


def crosses(root: ET.Element) -> list[tuple[float, float, str]]:
    """(x, y, tooltip) of every cross (the centre of its two strokes)."""
    out = []
    for p in root.iter(f"{NS}path"):
        title = p.find(f"{NS}title")
        if title is not None:
            x0, y0, _, x1, y1 = (float(v) if v != "L" else v for v in p.get("d").split()[1:6])
            out.append(((x0 + x1) / 2, (y0 + y1) / 2, title.text))
    return out


def fit(ticks: list[tuple[str, float]], log: bool):
    """value -> pixel y, from the first and last tick labels (a reference the chart cannot bend)."""
    (la, ya), (lb, yb) = ticks[0], ticks[-1]
    f = (lambda v: math.log10(v)) if log else (lambda v: v)
    va, vb = f(tick_value(la)), f(tick_value(lb))
    return lambda v: ya + (f(v) - va) / (vb - va) * (yb - ya)


def test_points_sit_at_their_values_on_a_linear_axis():
    values = [0.2, 1.7, -0.4, 3.1]
    root = ET.fromstring(line_charts.lines(words=SAID, panel=Panel([Line("s", values, "#123456", ["a", "b", "c", "d"])],
                                               y_title="v"), x_title="layer", title="t"))
    ticks = y_ticks(root)
    steps = {round(tick_value(b) - tick_value(a), 9) for (a, _), (b, _) in zip(ticks, ticks[1:])}
    assert len(steps) == 1                                  # evenly spaced round ticks
    assert tick_value(ticks[0][0]) <= -0.4 and tick_value(ticks[-1][0]) >= 3.1
    y = fit(ticks, log=False)
    pts = points(root)
    assert [p[1] for p in pts] == pytest.approx([y(v) for v in values], abs=0.15)
    xs = [p[0] for p in pts]
    assert all(b - a == pytest.approx(xs[1] - xs[0], abs=0.15) for a, b in zip(xs, xs[1:]))   # x = 1..n
    assert [p[2] for p in pts] == ["s\na: 0.200", "s\nb: 1.70", "s\nc: -0.400", "s\nd: 3.10"]


def test_log_axis_puts_points_at_log10_with_decade_ticks():
    values = [3e-7, 2e-4, 0.05, 1.0, 40.0]
    root = ET.fromstring(line_charts.lines(words=SAID, panel=Panel([Line("plain-56", values, style.PLAIN)], log=True,
                                               value_name="norm"), x_title="x", title="t"))
    ticks = y_ticks(root)
    exps = [math.log10(tick_value(label)) for label, _ in ticks]
    assert all(e == round(e) for e in exps)                 # only round decades
    assert exps[0] <= -7 and exps[-1] >= 2 and len(ticks) <= 8
    raised = [t for t in root.iter(f"{NS}tspan") if t.get("baseline-shift") == "super"]
    assert raised and all(t.text.lstrip("−").isdigit() for t in raised)
    y = fit(ticks, log=True)
    pts = points(root)
    assert [p[1] for p in pts] == pytest.approx([y(v) for v in values], abs=0.15)
    # The tooltip: series, point (1-based when unnamed), value as d3's ".3g" (toPrecision).
    assert [p[2] for p in pts] == ["plain-56\n1\nnorm 3.00e-7", "plain-56\n2\nnorm 0.000200",
                                   "plain-56\n3\nnorm 0.0500", "plain-56\n4\nnorm 1.00", "plain-56\n5\nnorm 40.0"]


def test_exact_zeros_sit_at_the_floor_with_their_own_marker_and_note():
    names = [f"l{i}" for i in range(5)]
    root = ET.fromstring(line_charts.lines(words=SAID, panel=Panel([
        Line("plain-56", [0.0, 0.0, 1e-8, 1e-3, 1e-1], style.PLAIN, names),
        Line("ResNet-56", [1e-2, 2e-2, 3e-2, 5e-2, 1e-1], style.RESIDUAL, names)], log=True, value_name="norm"),
        x_title="layer depth", title="t"))
    zero_tips = [c[2] for c in crosses(root) if "\n" in c[2]]
    assert zero_tips == ["plain-56\nl0\n" + _zero_hover(), "plain-56\nl1\n" + _zero_hover()]
    y = fit(y_ticks(root), log=True)
    marks = [c for c in crosses(root) if "\n" in c[2]]
    assert all(m[1] == pytest.approx(y(1e-9), abs=0.2) for m in marks)    # a decade under the smallest
    pts = points(root)
    assert len(pts) == 8 and min(p[1] for p in pts) < marks[0][1]       # all other points above the floor
    legend = [text_of(t) for t in root.iter(f"{NS}text")]
    assert "plain-56: exactly 0 (underflow)" in legend and "ResNet-56: exactly 0 (underflow)" not in legend
    dotted = [p for p in root.iter(f"{NS}path")
              if p.get("stroke-dasharray") == "2 4" and p.get("stroke") == style.NEUTRAL]
    assert len(dotted) == 1                                              # the floor, drawn as a line


def _zero_hover() -> str:
    from ui.page.i18n import t
    return t("charts.zero_hover")


def test_nan_and_infinity_are_left_out_and_break_the_line():
    root = ET.fromstring(line_charts.lines(words=SAID, panel=Panel([Line("s", [1.0, float("nan"), 2.0, float("inf"), 3.0, 4.0],
                                                     "#111111")]), x_title="x", title="t"))
    assert [p[2].split(": ")[1] for p in points(root)] == ["1.00", "2.00", "3.00", "4.00"]
    pts = {(round(x, 1), round(y, 1)) for x, y, _ in points(root)}
    drawn = []
    for p in root.iter(f"{NS}path"):
        if p.get("stroke") == "#111111" and p.get("fill") == "none":
            d = p.get("d").replace("M", "").split("L")
            vertices = [tuple(round(float(v), 1) for v in seg.split()) for seg in d]
            if set(vertices) <= pts:                        # a line through the points (not the legend's)
                drawn.append(vertices)
    xs = sorted(x for x, _ in pts)
    assert [[x for x, _ in seg] for seg in drawn] == [[xs[2], xs[3]]]     # only 3.0-4.0 are neighbours


def test_an_empty_chart_says_so():
    root = ET.fromstring(line_charts.lines(words=SAID, panel=Panel([]), x_title="x", title="t"))
    assert "No data yet" in [text_of(t) for t in root.iter(f"{NS}text")]
    assert not points(root)


def test_small_multiples_share_one_legend_and_read_percent():
    names = ["a", "b", "c"]
    panels = [Panel([Line(n, [0.1 * k, 0.2 * k, 0.3 * k], c, names, dash=d) for n, c, d, k in
                     (("plain", style.PLAIN, "solid", 1), ("residual", style.RESIDUAL, "dash", 2))],
                    title=title, y_title="value", y_range=rng, percent=pct, value_format=".3f")
              for title, rng, pct in (("mean", None, False), ("std", None, False), ("zeros", (0, 1), True))]
    root = ET.fromstring(line_charts.small_multiples(panels, words=SAID, x_title="layer", title="stats"))
    texts = [text_of(t) for t in root.iter(f"{NS}text")]
    assert texts.count("plain") == 1 and texts.count("residual") == 1        # one legend for three panels
    assert {"mean", "std", "zeros"} <= set(texts)
    percent = [label for label, _ in y_ticks(root) if label.endswith("%")]
    assert percent[0] == "0%" and percent[-1] == "100%"
    assert len(points(root)) == 18
    dashed = [p for p in root.iter(f"{NS}path")
              if p.get("stroke") == style.RESIDUAL and p.get("stroke-dasharray") == "8 5"]
    assert len(dashed) >= 3                                                 # the residual line in each panel


def test_named_ticks_name_the_stages_and_labels_are_escaped():
    names = ["stem.conv", "stage1.block0.conv1", "stage1.block0.conv2", "stage2.block0.conv1", "head.fc"]
    root = ET.fromstring(line_charts.lines(words=SAID, panel=Panel([Line("<b> & 한국어", [1, 2, 3, 4, 5], "#111111", names)]),
                                         x_title="깊이", title="a < b", ticks=training_charts.stage_ticks(names)))
    texts = [text_of(t) for t in root.iter(f"{NS}text")]
    assert {"stem", "stage1", "stage2", "head"} <= set(texts) and "<b> & 한국어" in texts
    assert points(root)[0][2] == "<b> & 한국어\nstem.conv: 1.00"


def test_reference_line_at_gain_one():
    root = ET.fromstring(line_charts.lines(words=SAID, panel=Panel([Line("res", [0.5, 2.0], "#111111")], log=True,
                                               refs=[(1.0, "gain 1")]), x_title="x", title="t"))
    y = fit(y_ticks(root), log=True)
    ref = [p for p in root.iter(f"{NS}path") if p.get("stroke-dasharray") == "8 5"]
    assert len(ref) == 1 and float(ref[0].get("d").split()[2]) == pytest.approx(y(1.0), abs=0.2)


def test_histogram_bins_are_contiguous_on_a_log_axis():
    edges = [-1.0, 0.0, 1.0, 2.0, 3.0]
    root = ET.fromstring(line_charts.histograms([Histogram(edges, [50.0, 0.0, 5.0, 0.05], "#111111", "with BN")],
                                              x_title="value", y_title="share", title="t"))
    rects = [(float(r.get("x")), float(r.get("width")), float(r.get("y")), r.find(f"{NS}title").text)
             for r in root.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]
    assert [r[3] for r in rects] == ["-0.500: 50.00%", "1.50: 5.00%", "2.50: 0.05%"]    # the empty bin left out
    width = rects[0][1]
    assert rects[1][0] == pytest.approx(rects[0][0] + 2 * width, abs=0.2)
    assert rects[2][0] == pytest.approx(rects[1][0] + width, abs=0.2)
    y = fit(y_ticks(root), log=True)
    assert [r[2] for r in rects] == pytest.approx([y(50), y(5), y(0.05)], abs=0.2)
