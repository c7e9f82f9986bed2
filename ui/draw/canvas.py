"""The SVG canvas every inline figure is drawn on: shapes in diagram units, written out in
pixels, and the rules that keep a figure's text readable on a phone and a projector.

Nothing here knows the page or its language: text arrives already translated.
"""

from __future__ import annotations

import math
import re
import unicodedata
from html import escape

from . import style

INK = "#333333"
TEXT = "#1F2328"
BOX_HALF_PX = 20    # half a box's height in pixels, where arrows stop
ADDER_PX = 28       # diameter of the (+) sign
SX, SY = 95, 64     # pixels per unit across and down


def text_width(text: str, size: float) -> float:
    """About how wide `text` is in pixels: a CJK character takes a whole em, others about half."""
    return sum(size if unicodedata.east_asian_width(c) in "WF" else 0.55 * size for c in text)


DASHES = {"solid": "", "dot": "2 4", "dash": "8 5"}
# On a phone (a screen at most PHONE_PX wide) a figure is never drawn so small that its smallest
# text falls under MIN_TEXT_PX: below that it keeps its width and its box scrolls sideways
# (assets/layout.css) rather than shrinking. Above PHONE_PX it shrinks to its column as before.
PHONE_PX = 900
MIN_TEXT_PX = 11
ROOM_TEXT_PX = 14   # figure text in the projector view, read from the back of the room
_FONT_SIZE = re.compile(r'font-size="([\d.]+)"')


def readable_width(width: float, parts: list[str]) -> str:
    """A CSS min-width for an SVG `width` pixels wide whose text is in `parts`: on a screen at
    most PHONE_PX wide, wide enough that its smallest text shows at MIN_TEXT_PX or more (0
    above: one inline expression, the clamp turns on at the screen width, so the SVG stays a
    single element wherever it is shown). The width at ROOM_TEXT_PX rides along as the variable
    --rx-room, which the projector view's stylesheet (assets/projector.css) makes the min-width:
    one SVG for every view, so a figure is drawn and cached once."""
    smallest = min((float(m) for part in parts for m in _FONT_SIZE.findall(part)), default=MIN_TEXT_PX)
    need = math.ceil(width * MIN_TEXT_PX / smallest)
    room = math.ceil(width * ROOM_TEXT_PX / smallest)
    return f"min-width:clamp(0px,calc(({PHONE_PX}px - 100vw)*9999),{need}px);--rx-room:{room}px;"


class Canvas:
    """Shapes in diagram units (x right, y up), written out as SVG in pixels (`sx`, `sy` pixels a
    unit). The block diagrams, the network outline and every SVG chart (ui/draw/axes.py) are
    drawn on one."""

    def __init__(self, x0: float, x1: float, y0: float, y1: float, sx: float = SX, sy: float = SY):
        self.x0, self.y1, self.sx, self.sy = x0, y1, sx, sy
        self.width, self.height = round((x1 - x0) * sx), round((y1 - y0) * sy)
        self.parts: list[str] = []
        self.heads: set[str] = set()

    def px(self, x: float, y: float) -> tuple[float, float]:
        return round((x - self.x0) * self.sx, 1), round((self.y1 - y) * self.sy, 1)

    def rect(self, x0: float, y0: float, x1: float, y1: float, *, fill: str, stroke: str = "none",
             width: float = 0, dash: str = "solid", tip: str = "") -> None:
        """A box between two corners; `tip` shows when the pointer rests on it."""
        (ax, ay), (bx, by) = self.px(x0, y1), self.px(x1, y0)
        title = f"<title>{escape(tip)}</title>" if tip else ""
        self.parts.append(f'<rect x="{ax}" y="{ay}" width="{bx - ax:.1f}" height="{by - ay:.1f}" fill="{fill}" '
                          f'stroke="{stroke}" stroke-width="{width}"{_dash(dash)}>{title}</rect>')

    def label(self, x: float, y: float, text: str, colour: str = INK, size: int = 16, anchor: str = "middle",
              shift_px: float = 0, bold: bool = False, backdrop: bool = False) -> None:
        """Text centred on (x, y) (or starting/ending there); lines split on "<br>"; with
        `backdrop`, on a white patch so a line under it does not run through the text."""
        px, py = self.px(x, y)
        lines = text.split("<br>")
        if backdrop:
            w = max(text_width(line, size) for line in lines) + 6
            self.parts.append(f'<rect x="{px - w / 2:.1f}" y="{py - size * 0.7:.1f}" width="{w:.1f}" '
                              f'height="{size * 1.4:.1f}" fill="white"/>')
        weight = ' font-weight="700"' if bold else ""
        first = py - (len(lines) - 1) * size * 0.6
        spans = "".join(f'<tspan x="{px + shift_px}" y="{first + i * size * 1.2:.1f}">{escape(line)}</tspan>'
                        for i, line in enumerate(lines))
        self.parts.append(f'<text text-anchor="{anchor}" dominant-baseline="central" font-size="{size}" '
                          f'fill="{colour}"{weight}>{spans}</text>')

    def box(self, x: float, y: float, text: str, colour: str) -> None:
        px, py = self.px(x, y)
        w = text_width(text, 16) + 2 * 10
        self.parts.append(f'<rect x="{px - w / 2:.1f}" y="{py - BOX_HALF_PX}" width="{w:.1f}" '
                          f'height="{2 * BOX_HALF_PX}" fill="white" stroke="{colour}" stroke-width="2.5"/>')
        self.label(x, y, text, TEXT)

    def arrow(self, x0: float, y0: float, x1: float, y1: float, colour: str = INK, start_px: float = 0,
              end_px: float = 0, width: float = 2.2) -> None:
        (ax, ay), (bx, by) = self.px(x0, y0), self.px(x1, y1)
        length = max(((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5, 1e-9)
        ux, uy = (bx - ax) / length, (by - ay) / length
        ax, ay = ax + ux * start_px, ay + uy * start_px
        bx, by = bx - ux * end_px, by - uy * end_px
        self.heads.add(colour)
        self.parts.append(f'<line x1="{ax:.1f}" y1="{ay:.1f}" x2="{bx:.1f}" y2="{by:.1f}" stroke="{colour}" '
                          f'stroke-width="{width}" marker-end="url(#rx-head-{colour[1:]})"/>')

    def path(self, points: list[tuple[float, float]], colour: str, width: float, dash: str = "solid") -> None:
        d = " ".join(f"{'M' if i == 0 else 'L'} {x} {y}" for i, (x, y) in
                     enumerate(self.px(*p) for p in points))
        self.parts.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="{width}"{_dash(dash)}/>')

    def adder(self, x: float, y: float, colour: str) -> None:
        px, py = self.px(x, y)
        r = ADDER_PX / 2
        self.parts.append(f'<circle cx="{px}" cy="{py}" r="{r}" fill="white" stroke="{colour}" stroke-width="2.5"/>'
                          f'<path d="M {px - r} {py} L {px + r} {py} M {px} {py - r} L {px} {py + r}" '
                          f'stroke="{colour}" stroke-width="2.5"/>')

    def svg(self, title: str, *, fill_width: bool = False) -> str:
        """The SVG element: as wide as its container (`fill_width`), else at most its own width."""
        # One arrowhead per colour: a marker takes its colour from its own fill, not the line's.
        heads = "".join(f'<marker id="rx-head-{c[1:]}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5" '
                        f'markerHeight="5" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
                        f'fill="{c}"/></marker>' for c in sorted(self.heads))
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.width} {self.height}" role="img" '
                f'aria-label="{escape(title)}" style="display:block;margin:0 auto;width:100%;'
                f'{"" if fill_width else f"max-width:{self.width}px;"}{readable_width(self.width, self.parts)}height:auto;font-family:{escape(style.FONT_FAMILY)}">\n'
                f'<title>{escape(title)}</title><defs>{heads}</defs>{"".join(self.parts)}</svg>')


def _dash(dash: str) -> str:
    return f' stroke-dasharray="{DASHES[dash]}"' if DASHES[dash] else ""
