"""The outline of a whole network, drawn with plotly from resnet_core.nets.diagram: input, stem,
each stage's blocks with their shortcuts as arcs above them, the head. Build & Train shows it
beside the counts, so a change of depth, width or shortcut is seen before anything trains.

Boxes grow with the channel count, so the widening from stage to stage shows at a glance; a
stage longer than a few blocks shows its first two, "⋯ ×n" and its last, so a ResNet-110 still
fits the page. Each box's hover gives its shapes, parameters and multiply-adds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import plotly.graph_objects as go

from . import style
from .i18n import t

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
