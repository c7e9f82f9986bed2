"""Figures of training and of gradients, built from plain data (lists and arrays, no store, no
torch): loss and accuracy curves of several runs, a layer x step gradient-norm heatmap, a
norm-vs-depth profile, per-block gradient gains, and the outline of a network.

Plain nets are warm and residual nets cool on every chart (ui.style); several runs of one kind
get shades of their hue, deeper nets darker. Every axis names its unit. Values that span decades
go on log axes; an exact zero (a gradient that underflowed) cannot sit on a log axis, so it is
drawn at the chart's floor with its own marker and legend entry, never hidden.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from . import style
from .i18n import t

# Shades per kind, main colour first; deeper nets take the later (darker) shades.
SHADES = {
    "plain": (style.PLAIN_LIGHT, style.PLAIN, "#A3431A", "#E8A33D", "#6E2A0C", "#F4C9A8"),
    "residual": (style.RESIDUAL_LIGHT, style.RESIDUAL, "#0E3F6E", "#3FA7B5", "#5560C9", "#B9D6EF"),
}
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
HEAT_SCALE = "Viridis"
MAX_POINTS = 300


def colour(kind: str, shade: int = 1) -> str:
    """A run's colour: the kind's hue, `shade` picks among its shades (1 = the main colour)."""
    palette = SHADES.get(kind, (style.NEUTRAL,))
    return palette[shade % len(palette)]


def assign_shades(items: Sequence[tuple[str, float]]) -> list[int]:
    """A shade per (kind, depth): within a kind, shallower lighter and deeper darker; a kind
    with one run gets its main colour."""
    out = [1] * len(items)
    for kind in {k for k, _ in items}:
        idx = [i for i, (k, _) in enumerate(items) if k == kind]
        if len(idx) < 2:
            continue
        order = sorted(idx, key=lambda i: (items[i][1], i))
        for rank, i in enumerate(order):
            out[i] = rank if rank < 3 else rank + 1   # light, main, dark, then the extras
    return out


def decimate(x: Sequence[float], y: Sequence[float], max_points: int = MAX_POINTS) -> tuple[list, list]:
    """At most `max_points` points: equal buckets, the last x and the mean y of each."""
    n = len(x)
    if n <= max_points:
        return list(x), list(y)
    k = math.ceil(n / max_points)
    xs, ys = [], []
    for i in range(0, n, k):
        xs.append(x[min(i + k, n) - 1])
        chunk = [v for v in y[i:i + k] if v is not None and math.isfinite(v)]
        ys.append(sum(chunk) / len(chunk) if chunk else None)
    return xs, ys


# --- training curves ------------------------------------------------------------------------

@dataclass
class Curve:
    label: str
    kind: str                      # plain or residual
    x: Sequence[float]
    y: Sequence[float]
    shade: int = 1
    dash: str = "solid"
    width: float = 2.5
    markers: bool = False          # sparse series (held-out evaluations) show their points
    group: str = ""                # legend group: a run's train and test lines toggle together


def curves(series: Sequence[Curve], *, y_title: str, x_title: str | None = None, log_y: bool = False,
           y_range: tuple[float, float] | None = None, height: int = 380, revision: str | None = None) -> go.Figure:
    """Several runs' lines on one chart. `revision` keeps the user's zoom across live refreshes.

    Built as one dict and made a figure in one go: live pages build this for every change of
    the runs, and plotly's step-by-step updates cost five times as much."""
    data = []
    for s in series:
        x, y = decimate(s.x, s.y)
        data.append(dict(type="scatter", x=x, y=y, name=s.label, mode="lines+markers" if s.markers else "lines",
                         line=dict(color=colour(s.kind, s.shade), width=s.width, dash=s.dash),
                         marker=dict(size=7), legendgroup=s.group or s.label,
                         hovertemplate=f"{s.label}<br>%{{x}}: %{{y:.4g}}<extra></extra>"))
    spec = style.layout_spec(x=x_title or t("charts.step"), y=y_title, height=height)
    spec["uirevision"] = revision or "curves"
    if log_y:
        spec["yaxis"]["type"] = "log"
    if y_range is not None:
        spec["yaxis"]["range"] = list(y_range)
    if not series:
        spec["annotations"] = [_empty_note(t("charts.no_data"))]
        for axis in ("xaxis", "yaxis"):
            spec[axis].update(showticklabels=False, showgrid=False, zeroline=False)
    return go.Figure(data=data, layout=spec)


def _empty_note(text: str) -> dict:
    return dict(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                font=dict(size=18, color=style.NEUTRAL))


def _empty(fig: go.Figure, text: str) -> None:
    fig.add_annotation(**_empty_note(text))
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)


# --- gradient norms -------------------------------------------------------------------------

def _floor(values: np.ndarray) -> float:
    positive = values[np.isfinite(values) & (values > 0)]
    return float(positive.min()) / 10 if positive.size else 1e-12


def _zeros_at_floor(fig: go.Figure, x: np.ndarray, values: np.ndarray, floor: float, *, label: str,
                    colour_: str, names: Sequence[str]) -> bool:
    """Mark exact zeros of `values` at `floor` with crosses; True if there were any."""
    zeros = np.flatnonzero(values == 0)
    if not zeros.size:
        return False
    fig.add_scatter(x=x[zeros], y=[floor] * zeros.size, mode="markers", legendgroup=label,
                    name=t("charts.zero", label=label), marker=dict(symbol="x", size=9, color=colour_),
                    customdata=[names[i] for i in zeros],
                    hovertemplate=label + "<br>%{customdata}<br>" + t("charts.zero_hover") + "<extra></extra>")
    return True


def log_range(*matrices: np.ndarray) -> tuple[float, float]:
    """Shared log10 colour range of several norm matrices (zeros and NaN ignored), so plain and
    residual heatmaps drawn side by side use the same colours for the same values."""
    logs = [np.log10(m[np.isfinite(m) & (m > 0)]) for m in matrices if m.size]
    logs = [x for x in logs if x.size]
    if not logs:
        return -6.0, 0.0
    both = np.concatenate(logs)
    lo, hi = float(np.percentile(both, 1)), float(both.max())
    return (lo, hi) if hi > lo else (lo - 1, hi + 1)


def stage_ticks(names: Sequence[str]) -> tuple[list[int], list[str]]:
    """Tick positions (1-based layer numbers) where a new stage starts, named by the stage."""
    vals, texts, last = [], [], None
    for i, name in enumerate(names):
        head = name.split(".")[0]
        if head == "features_seq":
            head = "features"
        if head != last:
            vals.append(i + 1)
            texts.append(head)
            last = head
    return vals, texts


def main_path(names: Sequence[str]) -> list[int]:
    """Indices of the layers on the main path (shortcut projections left out), so plain and
    residual twins line up layer for layer."""
    return [i for i, n in enumerate(names) if ".shortcut" not in n]


def grad_heatmap(steps: Sequence[int], names: Sequence[str], matrix: np.ndarray, *, title: str,
                 zrange: tuple[float, float] | None = None, height: int = 460,
                 revision: str | None = None) -> go.Figure:
    """Layer x step, colour = log10 of the gradient norm (input layer at the top). Exact zeros
    are left blank."""
    matrix = np.asarray(matrix, dtype=np.float64)
    fig = go.Figure()
    if matrix.size == 0:
        _empty(fig, t("charts.no_data"))
        return style.layout(fig, title=title, height=height)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(matrix > 0, np.log10(matrix), np.nan).T            # (layers, steps)
    lo, hi = zrange or log_range(matrix)
    ticks = list(range(math.floor(lo), math.ceil(hi) + 1))
    step_ticks = max(1, len(ticks) // 6)
    ticks = ticks[::step_ticks]
    fig.add_heatmap(
        x=list(steps), y=list(range(1, len(names) + 1)), z=z, zmin=lo, zmax=hi, colorscale=HEAT_SCALE,
        colorbar=dict(title=dict(text=t("charts.norm_log"), side="right"), tickvals=ticks,
                      ticktext=[f"1e{k}" for k in ticks]),
        hovertemplate=(t("charts.step") + " %{x}<br>" + t("charts.layer_no") + " %{y}<br>"
                       + t("charts.norm") + " 10^%{z:.2f}<extra></extra>"))
    vals, texts = stage_ticks(names)
    fig.update_yaxes(autorange="reversed", tickvals=vals, ticktext=texts)
    fig.update_layout(uirevision=revision or "heatmap")
    return style.layout(fig, x=t("charts.step"), y=t("charts.layer_axis"), title=title, height=height)


@dataclass
class Profile:
    label: str
    kind: str                      # plain or residual
    names: Sequence[str]           # layers, input side first
    norms: Sequence[float]
    shade: int = 1
    dash: str = "solid"


def depth_profile(profiles: Sequence[Profile], *, title: str | None = None, height: int = 420,
                  y_title: str | None = None, revision: str | None = None) -> go.Figure:
    """Gradient norm against depth (layer 1 = next to the input), log scale. Exact zeros are
    drawn at the floor as crosses, with their own legend entry."""
    fig = go.Figure()
    every = np.concatenate([np.asarray(p.norms, dtype=np.float64) for p in profiles]) if profiles else np.zeros(0)
    floor = _floor(every)
    zero_legend = False
    for p in profiles:
        norms = np.asarray(p.norms, dtype=np.float64)
        x = np.arange(1, len(norms) + 1)
        shown = np.where(norms > 0, norms, np.nan)
        c = colour(p.kind, p.shade)
        fig.add_scatter(x=x, y=shown, name=p.label, mode="lines+markers", legendgroup=p.label,
                        line=dict(color=c, width=2.5, dash=p.dash), marker=dict(size=5),
                        customdata=list(p.names),
                        hovertemplate=p.label + "<br>%{customdata}<br>" + t("charts.norm")
                        + " %{y:.3g}<extra></extra>")
        zero_legend |= _zeros_at_floor(fig, x, norms, floor, label=p.label, colour_=c, names=p.names)
    fig.update_yaxes(type="log", exponentformat="power")
    fig.update_layout(uirevision=revision or "profile")
    if not profiles:
        _empty(fig, t("charts.no_data"))
    if zero_legend:
        fig.add_hline(y=floor, line=dict(color=style.NEUTRAL, width=1, dash="dot"))
    return style.layout(fig, x=t("charts.depth_axis"), y=y_title or t("charts.norm_axis"), title=title,
                        height=height)


@dataclass
class GainSeries:
    label: str
    kind: str
    names: Sequence[str]           # blocks, input side first
    gains: Sequence[float]         # ||dL/dx_in|| / ||dL/dx_out|| per block
    shade: int = 1


def block_gains(series: Sequence[GainSeries], *, height: int = 380) -> go.Figure:
    """Per-block gradient gain on a log axis, with the line gain = 1 (the gradient passes
    through unchanged) for reference."""
    fig = go.Figure()
    every = np.concatenate([np.asarray(s.gains, dtype=np.float64) for s in series]) if series else np.zeros(0)
    floor = _floor(every)
    for s in series:
        gains = np.asarray(s.gains, dtype=np.float64)
        x = np.arange(1, len(gains) + 1)
        c = colour(s.kind, s.shade)
        fig.add_scatter(x=x, y=np.where(gains > 0, gains, np.nan), name=s.label, mode="lines+markers",
                        legendgroup=s.label, line=dict(color=c, width=2.5), marker=dict(size=6),
                        customdata=list(s.names),
                        hovertemplate=s.label + "<br>%{customdata}<br>" + t("charts.gain")
                        + " %{y:.3g}<extra></extra>")
        _zeros_at_floor(fig, x, gains, floor, label=s.label, colour_=c, names=s.names)
    fig.add_hline(y=1.0, line=dict(color=style.NEUTRAL, width=1.5, dash="dash"),
                  annotation_text=t("charts.gain_one"), annotation_position="top left")
    fig.update_yaxes(type="log", exponentformat="power")
    return style.layout(fig, x=t("charts.block_axis"), y=t("charts.gain_axis"), height=height)


# --- the network's outline ------------------------------------------------------------------

_BLOCK_W, _GAP = 1.0, 0.45
SHOWN_PER_STAGE = 4      # longer stages show their first two blocks, "...", and the last


@dataclass
class _Node:
    x: float
    text: str
    shape: tuple
    hover: str
    kind: str = "block"            # io, stem, block, more, head
    shortcut: str = "none"
    height: float = 1.0
    stage: str = ""


@dataclass
class _Layout:
    nodes: list = field(default_factory=list)
    stages: list = field(default_factory=list)    # (name, x0, x1, shape text)


def _height(channels: int, smallest: int) -> float:
    # Box height grows with the channel count: the widening of the net is visible at a glance.
    return 0.9 + 0.35 * max(0.0, math.log2(max(channels, 1) / max(smallest, 1)))


def _block_hover(b, shape_text) -> str:
    return (f"<b>{b.name}</b><br>{shape_text(b.in_shape)} → {shape_text(b.out_shape)}<br>"
            f"{t('unit.params')}: {style.fmt_int(b.params)}<br>{t('unit.macs')}: {style.fmt_int(b.macs)}<br>"
            f"{t('charts.shortcut')}: {t('charts.sc.' + b.shortcut)}")


def _outline(d, block_word: str) -> _Layout:
    from resnet_core.nets.diagram import shape_text

    lay = _Layout()
    smallest = min([b.out_shape[0] for b in d.blocks] + [d.stem.out_shape[0]])
    x = 0.0
    lay.nodes.append(_Node(x, t("charts.input"), d.input_shape, shape_text(d.input_shape), "io", height=0.9))
    x += _BLOCK_W + _GAP
    if d.stem.convs:
        lay.nodes.append(_Node(x, t("charts.stem"), d.stem.out_shape,
                               _block_hover(d.stem, shape_text), "stem",
                               height=_height(d.stem.out_shape[0], smallest)))
        x += _BLOCK_W + _GAP
    for stage in d.stages:
        blocks = list(stage.blocks)
        if len(blocks) > SHOWN_PER_STAGE:
            shown = blocks[:2] + [None] + blocks[-1:]
        else:
            shown = blocks
        x0 = x
        for b in shown:
            if b is None:
                hidden = len(blocks) - 3
                lay.nodes.append(_Node(x, f"⋯ ×{hidden}", (), t("charts.more_blocks", n=hidden), "more",
                                       height=0.6, stage=stage.name))
            else:
                lay.nodes.append(_Node(x, block_word, b.out_shape, _block_hover(b, shape_text), "block",
                                       b.shortcut, _height(b.out_shape[0], smallest), stage.name))
            x += _BLOCK_W + _GAP
        lay.stages.append((stage.name, x0, x - _GAP, shape_text(stage.out_shape), len(blocks)))
    head_word = t(f"charts.head.{d.head}")
    head_hover = (f"<b>{head_word}</b><br>{shape_text(d.head_in)} → {d.num_classes}<br>"
                  f"{t('unit.params')}: {style.fmt_int(d.head_params)}")
    lay.nodes.append(_Node(x, head_word.replace(" + ", "<br>+ "), (d.num_classes,), head_hover, "head", height=0.9))
    return lay


def architecture(d, *, block_word: str, height: int = 300) -> go.Figure:
    """The network `d` (a resnet_core.nets.diagram.Diagram) left to right: input, stem, each stage's
    blocks with their shortcuts drawn as arcs above them, the head. Hover a box for its shapes,
    parameters and multiply-adds."""
    from resnet_core.nets.diagram import shape_text

    lay = _outline(d, block_word)
    main = style.RESIDUAL if d.residual else style.PLAIN
    # Shapes and labels are collected first and set in one go: plotly re-validates every shape
    # and annotation already there on each add_shape/add_annotation, which made a ResNet-110's
    # outline take half a second.
    shapes: list[dict] = []
    notes: list[dict] = []
    top = max(n.height for n in lay.nodes)
    for name, x0, x1, shape, count in lay.stages:
        shapes.append(dict(type="rect", x0=x0 - 0.15, x1=x1 + 0.15, y0=-top / 2 - 0.55, y1=top / 2 + 0.95,
                           line=dict(width=0), fillcolor="#F3F5F8", layer="below"))
        notes.append(dict(x=(x0 + x1) / 2, y=top / 2 + 0.8, showarrow=False, font=dict(size=14, color="#333"),
                          text=t("charts.stage_label", name=name.replace("stage", "").replace("group", ""),
                                 n=count, shape=shape)))
    prev = None
    for node in lay.nodes:
        h = node.height
        line = {"io": style.NEUTRAL, "head": style.NEUTRAL, "more": "#BBBBBB"}.get(node.kind, main)
        fill = "white" if node.kind != "more" else "#F3F5F8"
        shapes.append(dict(type="rect", x0=node.x, x1=node.x + _BLOCK_W, y0=-h / 2, y1=h / 2,
                           line=dict(color=line, width=2.5, dash="dot" if node.kind == "more" else "solid"),
                           fillcolor=fill))
        notes.append(dict(x=node.x + _BLOCK_W / 2, y=0, text=node.text, showarrow=False,
                          font=dict(size=13, color="#1F2328")))
        if node.shape and node.kind != "head":
            notes.append(dict(x=node.x + _BLOCK_W / 2, y=-h / 2 - 0.25, text=shape_text(node.shape),
                              showarrow=False, font=dict(size=11, color="#555")))
        if prev is not None:
            notes.append(dict(x=node.x, y=0, ax=prev.x + _BLOCK_W, ay=0, xref="x", yref="y", axref="x",
                              ayref="y", text="", showarrow=True, arrowhead=2, arrowwidth=1.5, arrowcolor="#666"))
        if node.kind == "block" and node.shortcut != "none":
            # Inset a little, so the shortcuts of neighbouring blocks read as separate arcs.
            _arc(shapes, notes, node.x - _GAP / 2 + 0.06, node.x + _BLOCK_W + _GAP / 2 - 0.06, h / 2 + 0.1,
                 node.shortcut)
        prev = node
    fig = go.Figure()
    fig.add_scatter(x=[n.x + _BLOCK_W / 2 for n in lay.nodes], y=[0] * len(lay.nodes), mode="markers",
                    marker=dict(size=28, opacity=0), hovertext=[n.hover for n in lay.nodes],
                    hoverinfo="text", showlegend=False)
    width = lay.nodes[-1].x + _BLOCK_W
    fig.update_xaxes(visible=False, range=[-0.3, width + 0.3], fixedrange=True)
    fig.update_yaxes(visible=False, range=[-top / 2 - 0.7, top / 2 + 1.1], fixedrange=True)
    fig.update_layout(showlegend=False, plot_bgcolor="white", shapes=shapes, annotations=notes)
    return style.layout(fig, height=height)


def _arc(shapes: list, notes: list, x0: float, x1: float, y: float, kind: str) -> None:
    """A shortcut over one block: solid for identity, dotted for zero-padding (option A),
    thick dashed with "1×1" for a projection (options B and C)."""
    dash = {"identity": "solid", "zero_pad": "dot", "projection": "dash"}[kind]
    width = 3.2 if kind == "projection" else 2.2
    top = y + 0.25
    shapes.append(dict(type="path", path=f"M {x0},0 L {x0},{top} L {x1},{top} L {x1},0",
                       line=dict(color=style.RESIDUAL, width=width, dash=dash)))
    if kind == "projection":
        notes.append(dict(x=(x0 + x1) / 2, y=top, text="1×1", showarrow=False,
                          font=dict(size=11, color=style.RESIDUAL), bgcolor="white"))
