"""Figures of the lesion study and the loss landscape, built from the tasks' JSON results (plain
lists, no store, no torch). Plain nets warm, residual nets cool (ui.draw.style); side-by-side panels
share one axis or one colour scale, so the two nets are compared by eye, not by reading ticks.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import style
from .words import Words

WORDS = ("lesion.cannot_delete", "lesion.intact", "lesion.chance", "lesion.acc_axis", "lesion.k_hover",
         "lesion.k_axis", "landscape.alpha_axis", "landscape.loss_axis", "landscape.colour_axis",
         "landscape.trained_point")

LOSS_SCALE = "Viridis"
# Colours stop at a loss of 10^2: far beyond chance (2.3 for ten classes), the net is broken
# anyway, and plain-56's 10^8 would otherwise flatten every contour near the minimum.
LOSS_CAP_LOG10 = 2.0
DASHES = ("solid", "dash", "dot")


def _colour(net: dict) -> str:
    return style.KIND_COLOURS[net["kind"]]


def _pct(v):
    return None if v is None else 100 * v


def pct_text(v) -> str:
    """An accuracy (0..1) in percent to 0.1, as the Lesion study page's sentences write it. The
    charts' hover labels take this text, not plotly's "%{y:.1f}": the browser rounds an exact tie
    up (90.25 -> "90.3"), Python to even ("90.2"), and with 400 held-out images such ties are
    common, so a bar would read 0.1 off the drop the sentence beside it states."""
    return "–" if v is None else f"{100 * v:.1f}"


def block_name(name: str) -> str:
    """"stage1.block0" -> "s1.b0": how the bars label a block, and how the page's sentences
    name it, so the text names what the chart shows."""
    return name.replace("stage", "s").replace(".block", ".b")


def single_deletions(nets: list[dict], words: Words, height: int = 420) -> go.Figure:
    """Held-out accuracy after deleting each block alone, one panel per net, one y axis."""
    fig = make_subplots(rows=1, cols=len(nets), shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=[n["label"] for n in nets])
    for col, net in enumerate(nets, start=1):
        blocks = net["blocks"]
        names = [block_name(b["name"]) for b in blocks]
        fig.add_trace(go.Bar(
            x=names, y=[_pct(b["acc"]) for b in blocks], marker_color=_colour(net), name=net["label"],
            marker_pattern_shape=["/" if b["downsampling"] else "" for b in blocks], showlegend=False,
            customdata=[[b["name"], pct_text(b["acc"])] for b in blocks],
            hovertemplate="%{customdata[0]}: %{customdata[1]}%<extra></extra>"), row=1, col=col)
        stuck = [(n, b) for n, b in zip(names, blocks) if not b["deletable"]]
        if stuck:
            fig.add_trace(go.Scatter(
                x=[n for n, _ in stuck], y=[4] * len(stuck), mode="markers",
                marker=dict(symbol="x", size=12, color=style.NEUTRAL),
                hovertext=[words("lesion.cannot_delete") for _ in stuck], hoverinfo="text", showlegend=False),
                row=1, col=col)
        fig.add_hline(y=100 * net["intact_acc"], line=dict(color=_colour(net), dash="dash", width=2),
                      annotation_text=words("lesion.intact", acc=pct_text(net["intact_acc"])),
                      annotation_position="bottom left", row=1, col=col)
        # Chance is named in the legend, not written over the bars (where its label hid them).
        fig.add_trace(go.Scatter(
            x=names, y=[100 * net["chance_acc"]] * len(names), mode="lines", name=words("lesion.chance"),
            line=dict(color=style.NEUTRAL, dash="dot", width=2), showlegend=col == 1, hoverinfo="skip"),
            row=1, col=col)
    style.layout(fig, y=words("lesion.acc_axis"), height=height)
    fig.update_yaxes(range=[0, 102])
    fig.update_yaxes(title_text=None, col=2)   # the axis is shared: one title is enough
    fig.update_xaxes(tickangle=-60, tickfont=dict(size=style.FONT_SIZE - 2))
    return fig


def k_curve(nets: list[dict], words: Words, height: int = 400) -> go.Figure:
    """Mean held-out accuracy after deleting k random blocks, with the spread over the draws."""
    fig = go.Figure()
    depths = sorted({n["depth"] for n in nets})
    for net in nets:
        pts = net["k_curve"]
        fig.add_trace(go.Scatter(
            x=[0] + [p["k"] for p in pts], y=[100 * net["intact_acc"]] + [100 * p["mean_acc"] for p in pts],
            error_y=dict(type="data", array=[0] + [100 * p["std_acc"] for p in pts], thickness=1.2),
            customdata=[pct_text(net["intact_acc"])] + [pct_text(p["mean_acc"]) for p in pts],
            mode="lines+markers", name=net["label"],
            line=dict(color=_colour(net), width=3, dash=DASHES[depths.index(net["depth"]) % len(DASHES)]),
            hovertemplate=words("lesion.k_hover") + "<extra>" + net["label"] + "</extra>"))
    if nets:
        fig.add_hline(y=100 * nets[0]["chance_acc"], line=dict(color=style.NEUTRAL, dash="dot", width=1),
                      annotation_text=words("lesion.chance"), annotation_position="top right")
    style.layout(fig, x=words("lesion.k_axis"), y=words("lesion.acc_axis"), height=height)
    fig.update_yaxes(range=[0, 102])
    return fig


def _log10(v):
    return None if v is None or v <= 0 else math.log10(v)


def lines(nets: list[dict], words: Words, height: int = 400) -> go.Figure:
    """The 1-D slices: training loss along the first direction, log scale."""
    fig = go.Figure()
    depths = sorted({n["depth"] for n in nets})
    for net in nets:
        fig.add_trace(go.Scatter(
            x=net["line"]["alpha"], y=net["line"]["loss"], mode="lines", name=net["label"],
            line=dict(color=_colour(net), width=3, dash=DASHES[depths.index(net["depth"]) % len(DASHES)]),
            hovertemplate="α = %{x:.2f}: %{y:.3g}<extra>" + net["label"] + "</extra>"))
    style.layout(fig, x=words("landscape.alpha_axis"), y=words("landscape.loss_axis"), height=height)
    fig.update_yaxes(type="log")
    return fig


def loss_range(nets: list[dict]) -> tuple[float, float]:
    """One colour scale (log10 of the loss) for every panel: from the lowest loss to the cap."""
    values = [_log10(v) for n in nets for row in n["surface"]["loss"] for v in row]
    values = [v for v in values if v is not None]
    if not values:
        return 0.0, 1.0
    low = min(values)
    return low, max(low + 0.5, min(max(values), LOSS_CAP_LOG10))


def surfaces(nets: list[dict], *, words: Words, three_d: bool = False, height: int = 480) -> go.Figure:
    """The 2-D slices side by side, contours (or surfaces) on one colour scale of log10(loss)."""
    low, high = loss_range(nets)
    kind = "surface" if three_d else "xy"
    fig = make_subplots(rows=1, cols=len(nets), horizontal_spacing=0.06,
                        specs=[[{"type": kind}] * len(nets)], subplot_titles=[n["label"] for n in nets])
    for col, net in enumerate(nets, start=1):
        s = net["surface"]
        z = [[None if v is None else min(v, high) for v in map(_log10, row)] for row in s["loss"]]
        bar = dict(title=dict(text=words("landscape.colour_axis"), side="right"), thickness=14) if col == len(nets) else None
        common = dict(x=s["alpha"], y=s["beta"], z=z, colorscale=LOSS_SCALE, showscale=col == len(nets),
                      colorbar=bar, hovertemplate="α %{x:.2f}, β %{y:.2f}: log10 L = %{z:.2f}<extra></extra>")
        if three_d:
            fig.add_trace(go.Surface(cmin=low, cmax=high, **common), row=1, col=col)
        else:
            fig.add_trace(go.Contour(zmin=low, zmax=high, ncontours=24, contours=dict(coloring="heatmap"),
                                     line=dict(width=0.6), **common), row=1, col=col)
            fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers", marker=dict(symbol="x", size=11, color="white"),
                                     hovertext=words("landscape.trained_point"), hoverinfo="text", showlegend=False),
                          row=1, col=col)
    style.layout(fig, height=height)
    if three_d:
        for i in range(1, len(nets) + 1):
            scene = fig.layout[f"scene{i if i > 1 else ''}"]
            scene.update(xaxis_title="α", yaxis_title="β", zaxis_title="log10 L", zaxis_range=[low, high])
    else:
        fig.update_xaxes(title_text="α")
        fig.update_yaxes(title_text="β", scaleanchor="x", col=1)
    for ann, net in zip(fig.layout.annotations, nets):
        ann.font = dict(color=_colour(net), size=style.FONT_SIZE + 2)
    return fig
