"""The outline of a whole network, drawn as inline SVG from resnet_core.nets.diagram: input,
stem, each stage's blocks with their shortcuts as arcs above them, the head. Build & Train shows
it beside the counts, so a change of depth, width or shortcut is seen before anything trains; as
SVG rather than a plotly figure, the page's first visit needs no chart library.

Boxes grow with the channel count, so the widening from stage to stage shows at a glance; a
stage longer than a few blocks shows its first two, "⋯ ×n" and its last, so a ResNet-110 still
fits the page. Each box's tooltip gives its shapes, parameters and multiply-adds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from . import style
from .canvas import Canvas
from .words import Words

WORDS = ("unit.params", "unit.macs", "charts.shortcut", "charts.sc.none", "charts.sc.identity",
         "charts.sc.zero_pad", "charts.sc.projection", "charts.input", "charts.stem", "charts.more_blocks",
         "charts.head.gap", "charts.head.flatten", "charts.stage_label")

_BLOCK_W, _GAP = 1.0, 0.45
_PX_ACROSS = 52          # pixels a unit across: a ResNet-20 about as wide as the page's column
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


def _block_hover(b, shape_text, words: Words) -> str:
    return (f"<b>{b.name}</b><br>{shape_text(b.in_shape)} → {shape_text(b.out_shape)}<br>"
            f"{words('unit.params')}: {style.fmt_int(b.params)}<br>{words('unit.macs')}: {style.fmt_int(b.macs)}<br>"
            f"{words('charts.shortcut')}: {words('charts.sc.' + b.shortcut)}")


def _outline(d, block_word: str, words: Words) -> _Layout:
    from resnet_core.nets.diagram import shape_text

    lay = _Layout()
    smallest = min([b.out_shape[0] for b in d.blocks] + [d.stem.out_shape[0]])
    x = 0.0
    lay.nodes.append(_Node(x, words("charts.input"), d.input_shape, shape_text(d.input_shape), "io", height=0.9))
    x += _BLOCK_W + _GAP
    if d.stem.convs:
        lay.nodes.append(_Node(x, words("charts.stem"), d.stem.out_shape,
                               _block_hover(d.stem, shape_text, words), "stem",
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
                lay.nodes.append(_Node(x, f"⋯ ×{hidden}", (), words("charts.more_blocks", n=hidden), "more",
                                       height=0.6, stage=stage.name))
            else:
                lay.nodes.append(_Node(x, block_word, b.out_shape, _block_hover(b, shape_text, words), "block",
                                       b.shortcut, _height(b.out_shape[0], smallest), stage.name))
            x += _BLOCK_W + _GAP
        lay.stages.append((stage.name, x0, x - _GAP, shape_text(stage.out_shape), len(blocks)))
    head_word = words(f"charts.head.{d.head}")
    head_hover = (f"<b>{head_word}</b><br>{shape_text(d.head_in)} → {d.num_classes}<br>"
                  f"{words('unit.params')}: {style.fmt_int(d.head_params)}")
    lay.nodes.append(_Node(x, head_word.replace(" + ", "<br>+ "), (d.num_classes,), head_hover, "head", height=0.9))
    return lay


def architecture(d, *, block_word: str, words: Words, height: int = 300, title: str | None = None) -> str:
    """The network `d` (a resnet_core.nets.diagram.Diagram) left to right as an SVG element, its
    text from `block_word` and `words` (WORDS):
    input, stem, each stage's blocks with their shortcuts drawn as arcs above them, the head.
    Rest the pointer on a box for its shapes, parameters and multiply-adds; elsewhere the picture's
    `title` shows (the net's name as the page writes it; default the code name, "resnet20")."""
    from resnet_core.nets.diagram import shape_text

    lay = _outline(d, block_word, words)
    main = style.RESIDUAL if d.residual else style.PLAIN
    top = max(n.height for n in lay.nodes)
    width = lay.nodes[-1].x + _BLOCK_W
    y0, y1 = -top / 2 - 0.7, top / 2 + 1.1
    c = Canvas(-0.3, width + 0.3, y0, y1, sx=_PX_ACROSS, sy=(height - 20) / (y1 - y0))
    for name, x0, x1, shape, count in lay.stages:
        c.rect(x0 - 0.15, -top / 2 - 0.55, x1 + 0.15, top / 2 + 0.95, fill="#F3F5F8")
        c.label((x0 + x1) / 2, top / 2 + 0.8, words("charts.stage_label", name=name.replace("stage", "").replace(
            "group", ""), n=count, shape=shape), "#333", size=14)
    prev = None
    for node in lay.nodes:
        h = node.height
        if prev is not None:
            c.arrow(prev.x + _BLOCK_W, 0, node.x, 0, "#666666", width=1.5)
        line = {"io": style.NEUTRAL, "head": style.NEUTRAL, "more": "#BBBBBB"}.get(node.kind, main)
        c.rect(node.x, -h / 2, node.x + _BLOCK_W, h / 2, fill="#F3F5F8" if node.kind == "more" else "white",
               stroke=line, width=2.5, dash="dot" if node.kind == "more" else "solid", tip=_plain(node.hover))
        c.label(node.x + _BLOCK_W / 2, 0, node.text, "#1F2328", size=13)
        if node.shape and node.kind != "head":
            c.label(node.x + _BLOCK_W / 2, -h / 2 - 0.25, shape_text(node.shape), "#555", size=11)
        if node.kind == "block" and node.shortcut != "none":
            # Inset a little, so the shortcuts of neighbouring blocks read as separate arcs.
            _arc(c, node.x - _GAP / 2 + 0.06, node.x + _BLOCK_W + _GAP / 2 - 0.06, h / 2 + 0.1, node.shortcut)
        prev = node
    return c.svg(title or d.name, fill_width=True)


def _plain(hover: str) -> str:
    """A hover text's HTML (<b>, <br>) as the plain lines a tooltip shows."""
    return hover.replace("<br>", "\n").replace("<b>", "").replace("</b>", "")


def _arc(c: Canvas, x0: float, x1: float, y: float, kind: str) -> None:
    """A shortcut over one block: solid for identity, dotted for zero-padding (option A),
    thick dashed with "1×1" for a projection (options B and C)."""
    dash = {"identity": "solid", "zero_pad": "dot", "projection": "dash"}[kind]
    top = y + 0.25
    c.path([(x0, 0), (x0, top), (x1, top), (x1, 0)], style.RESIDUAL, 3.2 if kind == "projection" else 2.2, dash)
    if kind == "projection":
        c.label((x0 + x1) / 2, top, "1×1", style.RESIDUAL, size=11, backdrop=True)
