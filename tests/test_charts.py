"""The chart builders: plain data in, figures with labelled axes, log scales, bounded point
counts, and the plain (warm) / residual (cool) colours out. Zeros are shown, never dropped (the
depth profile and block gains, now SVG, are checked in tests/test_line_charts.py)."""

import numpy as np
import pytest

from resnet_core import arch_config
from resnet_core.nets.diagram import describe
from ui.draw import outline, style, training_charts
from ui.page.i18n import _words, words


def _log(fig, axis="yaxis") -> bool:
    return fig.layout[axis].type == "log"


def test_decimate_keeps_short_series_and_caps_long_ones():
    x, y = list(range(1, 101)), [float(v) for v in range(100)]
    assert training_charts.decimate(x, y, 300) == (x, y)
    xs, ys = training_charts.decimate(list(range(1, 10_001)), [1.0] * 10_000, 300)
    assert len(xs) <= 300 and xs[-1] == 10_000 and set(ys) == {1.0}
    # Bucket means: 0..9 then 10..19 -> 4.5, 14.5
    assert training_charts.decimate(list(range(20)), list(range(20)), 2)[1] == [4.5, 14.5]


def test_shades_go_darker_with_depth_within_a_kind():
    shades = training_charts.assign_shades([("plain", 20), ("plain", 56), ("residual", 20), ("residual", 56)])
    assert shades == [0, 1, 0, 1]
    assert training_charts.colour("plain", 1) == style.PLAIN and training_charts.colour("residual", 1) == style.RESIDUAL
    assert training_charts.colour("plain", 0) == style.PLAIN_LIGHT
    assert training_charts.assign_shades([("plain", 56)]) == [1]     # one run of a kind: its main colour


def test_curves_use_kind_colours_and_stay_bounded():
    long = list(range(1, 5001))
    fig = training_charts.curves([training_charts.Curve("plain-56", "plain", long, [1.0] * 5000),
                                  training_charts.Curve("ResNet-56", "residual", long, [0.5] * 5000)],
                                 words=words(training_charts.WORDS), y_title="training loss", log_y=True)
    assert [tr.line.color for tr in fig.data] == [style.PLAIN, style.RESIDUAL]
    assert all(len(tr.x) <= training_charts.MAX_POINTS for tr in fig.data)
    assert _log(fig) and fig.layout.yaxis.title.text == "training loss"
    assert fig.layout.xaxis.title.text == "training step"
    assert fig.layout.uirevision   # keeps the user's zoom across live refreshes


def test_a_log_loss_over_decades_ticks_each_decade_only():
    """A loss from 2.3 down to 0.001 gets a tick per decade, not plotly's small "2" and "5"
    between them; a loss within one decade keeps plotly's own ticks (one per decade is too few)."""
    steps = list(range(1, 101))
    fall = training_charts.Curve("plain-20", "plain", steps, list(np.geomspace(2.3, 1e-3, 100)))
    flat = training_charts.Curve("plain-20", "plain", steps, list(np.linspace(2.3, 0.5, 100)))
    said = words(training_charts.WORDS)
    assert training_charts.curves([fall], words=said, y_title="loss", log_y=True).layout.yaxis.dtick == 1
    assert training_charts.curves([flat], words=said, y_title="loss", log_y=True).layout.yaxis.dtick is None
    assert training_charts.curves([fall], words=said, y_title="loss").layout.yaxis.dtick is None   # linear axis


def test_empty_chart_says_so():
    fig = training_charts.curves([], words=words(training_charts.WORDS), y_title="loss")
    assert fig.layout.annotations[0].text == "No data yet"


def test_heatmap_is_log_coloured_with_zeros_blank_and_stage_ticks():
    names = ["stem.conv", "stage1.block0.conv1", "stage1.block0.conv2", "stage2.block0.conv1", "head.fc"]
    matrix = np.array([[1e-6, 1e-3, 1e-2, 0.0, 1.0], [1e-5, 1e-3, 1e-2, 1e-1, 1.0]])
    fig = training_charts.grad_heatmap([1, 2], names, matrix, words=words(training_charts.WORDS), title="plain-20", zrange=(-6, 0))
    heat = fig.data[0]
    z = np.array(heat.z, dtype=float)
    assert z.shape == (5, 2)                               # layers x steps
    assert z[0, 0] == pytest.approx(-6) and np.isnan(z[3, 0])
    assert (heat.zmin, heat.zmax) == (-6, 0)
    assert list(fig.layout.yaxis.ticktext) == ["stem", "stage1", "stage2", "head"]
    korean = training_charts.grad_heatmap([1, 2], names, matrix, words=_words("ko", training_charts.WORDS),
                                          title="플레인-20", zrange=(-6, 0))
    assert list(korean.layout.yaxis.ticktext) == ["스템", "스테이지 1", "스테이지 2", "FC"]
    assert fig.layout.yaxis.autorange == "reversed"        # the input layer on top
    assert "1e-6" in heat.colorbar.ticktext


def test_log_range_is_shared_and_ignores_zeros():
    lo, hi = training_charts.log_range(np.array([[0.0, 1e-4, 1.0]]), np.array([[1e2]]))
    assert hi == pytest.approx(2.0) and lo <= -3.9


def test_main_path_leaves_out_projections():
    names = ["stem.conv", "stage2.block0.conv1", "stage2.block0.shortcut.conv", "head.fc"]
    assert training_charts.main_path(names) == [0, 1, 3]


def _outline(cfg):
    import xml.etree.ElementTree as ET

    root = ET.fromstring(outline.architecture(describe(cfg), block_word="basic", words=words(outline.WORDS)))
    ns = "{http://www.w3.org/2000/svg}"
    texts = [" ".join(s.text or "" for s in el.iter(f"{ns}tspan")) for el in root.iter(f"{ns}text")]
    return root, ns, texts


@pytest.mark.parametrize("arch, arcs", [("resnet20", 9), ("plain20", 0), ("resnet110", 9)])
def test_architecture_draws_a_box_per_shown_block_and_an_arc_per_shortcut(arch, arcs):
    root, ns, texts = _outline(arch_config(arch))
    paths = [p for p in root.iter(f"{ns}path") if p.get("fill") == "none"]
    assert len(paths) == arcs            # ResNet-110: 2 blocks, "...", 1 block per stage
    assert "16×32×32" in texts and any("stage 1" in t for t in texts)
    boxes = [r for r in root.iter(f"{ns}rect") if r.get("stroke") in (style.PLAIN, style.RESIDUAL)]
    assert {b.get("stroke") for b in boxes} == {style.PLAIN if arch.startswith("plain") else style.RESIDUAL}
    assert texts.count("basic") == len(boxes) - 1      # every block box but the stem says its kind
    # Each box tells its shapes, parameters and multiply-adds when the pointer rests on it.
    tips = [r.find(f"{ns}title").text for r in boxes]
    assert all("parameters" in tip and "multiply-adds" in tip and "<b>" not in tip for tip in tips)
    if arch == "resnet110":
        assert "⋯ ×15" in texts


def test_projection_shortcuts_are_marked():
    root, ns, texts = _outline(arch_config("resnet20", shortcut="B"))
    dashed = [p for p in root.iter(f"{ns}path") if p.get("fill") == "none" and p.get("stroke-dasharray") == "8 5"]
    assert len(dashed) == 2 and texts.count("1×1") == 2
    dotted = [p for p in root.iter(f"{ns}path") if p.get("stroke-dasharray") == "2 4"]
    assert not dotted                    # option B: identity within a stage, projections between
    root, ns, _ = _outline(arch_config("resnet20", shortcut="A"))
    assert len([p for p in root.iter(f"{ns}path") if p.get("stroke-dasharray") == "2 4"]) == 2   # zero-padding
