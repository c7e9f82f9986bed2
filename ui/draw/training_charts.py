"""Figures of training and of gradients, built from plain data (lists and arrays, no store, no
torch): loss and accuracy curves of several runs and a layer x step gradient-norm heatmap (a
whole network's outline is ui.draw.outline; the norm-vs-depth profile and per-block gains, shown on
arrival, are inline SVG from ui.draw.line_charts).

Plain nets are warm and residual nets cool on every chart (ui.draw.style); several runs of one kind
get shades of their hue, deeper nets darker. Every axis names its unit. Values that span decades
go on log axes; an exact zero (a gradient that underflowed) has no colour on the log heatmap and
is left blank.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from . import line_charts, style
from .words import Words

# The stages' names along a layer axis (stage_ticks), in the reader's language.
TICK_WORDS = ("charts.stem", "gradients.tick.stage", "gradients.tick.head")
WORDS = ("charts.step", "charts.no_data", "charts.norm_log", "charts.layer_no", "charts.norm",
         "charts.layer_axis", *TICK_WORDS, *line_charts.WORDS)

# Shades per kind, main colour first; deeper nets take the later (darker) shades.
SHADES = {
    "plain": (style.PLAIN_LIGHT, style.PLAIN, "#A3431A", "#E8A33D", "#6E2A0C", "#F4C9A8"),
    "residual": (style.RESIDUAL_LIGHT, style.RESIDUAL, "#0E3F6E", "#3FA7B5", "#5560C9", "#B9D6EF"),
    # Shortcuts A, B and C (pages/shortcuts.py): one colour each, of ui.draw.style's colour-blind-safe three.
    **{f"option-{o}": (c,) * 2 for o, c in style.OPTION_COLOURS.items()},
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


def curves(series: Sequence[Curve], *, words: Words, y_title: str, x_title: str | None = None, log_y: bool = False,
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
    spec = style.layout_spec(x=x_title or words("charts.step"), y=y_title, height=height)
    spec["uirevision"] = revision or "curves"
    if log_y:
        spec["yaxis"]["type"] = "log"
        ys = [v for d in data for v in d["y"] if v is not None and v > 0]
        # Over two decades or more, a tick per decade: plotly's own choice adds "2" and "5"
        # between them in small type (10 px), cramped on a 300-pixel-high chart.
        if ys and math.log10(max(ys) / min(ys)) >= 2:
            spec["yaxis"]["dtick"] = 1
    if y_range is not None:
        spec["yaxis"]["range"] = list(y_range)
    if not series:
        spec["annotations"] = [_empty_note(words("charts.no_data"))]
        for axis in ("xaxis", "yaxis"):
            spec[axis].update(showticklabels=False, showgrid=False, zeroline=False)
    return go.Figure(data=data, layout=spec)


def curves_svg(series: Sequence[Curve], *, words: Words, title: str, y_title: str, log_y: bool = False,
               y_range: tuple[float, float] | None = None, height: int = 400, width: int = 560) -> str:
    """The same lines as `curves`, as an SVG for a chart that changes every second while runs
    train: a browser redraws plotly's figure on each change (about a third of a core for a
    watching laptop on Degradation), and an SVG for almost nothing. Points only where `curves`
    marks them (held-out evaluations); the finished chart is `curves`, with its hover and zoom."""
    drawn = []
    for s in series:
        x, y = decimate(s.x, s.y)
        drawn.append(line_charts.Line(s.label, y, colour(s.kind, s.shade), [f"{v:g}" for v in x], dash=s.dash,
                                    markers=s.markers, width=s.width, x=x))
    panel = line_charts.Panel(drawn, y_title=y_title, log=log_y, y_range=y_range)
    # 560 wide: drawn in half a page's width, its text stays about the size of plotly's.
    return line_charts.lines(panel, words=words, x_title=words("charts.step"), title=title, height=height, width=width)


def _empty_note(text: str) -> dict:
    return dict(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                font=dict(size=18, color=style.NEUTRAL))


def _empty(fig: go.Figure, text: str) -> None:
    fig.add_annotation(**_empty_note(text))
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)


# --- gradient norms -------------------------------------------------------------------------

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


def stage_ticks(names: Sequence[str], words: Words | None = None) -> tuple[list[int], list[str]]:
    """Tick positions (1-based layer numbers) where a new stage starts, named by the stage: with
    `words` (TICK_WORDS) in the reader's language ("스템", "스테이지 1"), else by the module's name."""
    vals, texts, last = [], [], None
    for i, name in enumerate(names):
        head = name.split(".")[0]
        if head == "features_seq":
            head = "features"
        if head != last:
            vals.append(i + 1)
            texts.append(head if words is None else _tick_name(head, words))
            last = head
    return vals, texts


def _tick_name(module: str, words: Words) -> str:
    """"stem", "stage2", "head" as the reader's language names them; any other module as it is."""
    stage = re.fullmatch(r"stage(\d+)", module)
    if stage:
        return words("gradients.tick.stage", n=int(stage.group(1)))
    return {"stem": words("charts.stem"), "head": words("gradients.tick.head")}.get(module, module)


def main_path(names: Sequence[str]) -> list[int]:
    """Indices of the layers on the main path (shortcut projections left out), so plain and
    residual twins line up layer for layer."""
    return [i for i, n in enumerate(names) if ".shortcut" not in n]


def grad_heatmap(steps: Sequence[int], names: Sequence[str], matrix: np.ndarray, *, words: Words, title: str,
                 zrange: tuple[float, float] | None = None, height: int = 460,
                 revision: str | None = None) -> go.Figure:
    """Layer x step, colour = log10 of the gradient norm (input layer at the top). Exact zeros
    are left blank."""
    matrix = np.asarray(matrix, dtype=np.float64)
    fig = go.Figure()
    if matrix.size == 0:
        _empty(fig, words("charts.no_data"))
        return style.layout(fig, title=title, height=height)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(matrix > 0, np.log10(matrix), np.nan).T            # (layers, steps)
    lo, hi = zrange or log_range(matrix)
    ticks = list(range(math.floor(lo), math.ceil(hi) + 1))
    step_ticks = max(1, len(ticks) // 6)
    ticks = ticks[::step_ticks]
    fig.add_heatmap(
        x=list(steps), y=list(range(1, len(names) + 1)), z=z, zmin=lo, zmax=hi, colorscale=HEAT_SCALE,
        colorbar=dict(title=dict(text=words("charts.norm_log"), side="right"), tickvals=ticks,
                      ticktext=[f"1e{k}" for k in ticks]),
        hovertemplate=(words("charts.step") + " %{x}<br>" + words("charts.layer_no") + " %{y}<br>"
                       + words("charts.norm") + " 10^%{z:.2f}<extra></extra>"))
    vals, texts = stage_ticks(names, words)
    fig.update_yaxes(autorange="reversed", tickvals=vals, ticktext=texts)
    fig.update_layout(uirevision=revision or "heatmap")
    return style.layout(fig, x=words("charts.step"), y=words("charts.layer_axis"), title=title, height=height)
