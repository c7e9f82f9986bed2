"""Block diagrams as inline SVG: a plain block beside a residual one, as in He et al. 2015,
Figure 2. Data flows top to bottom; the shortcut is a path on the right.

Home draws this first thing for every student, so it is plain SVG text rather than a plotly
figure: a static picture needs no chart library, and plotly's is about 4.7 MB of code for the
browser to load and run on the first visit. Boxes are sized to their (translated) text; arrows
run between centres and stop short by a few pixels.

    st.markdown(block_diagram("both", show_grad=True), unsafe_allow_html=True)
"""

from __future__ import annotations

import math
import re
import unicodedata
from html import escape

from . import style
from .i18n import t

INK = "#333333"
GRAD = "#C0392B"    # the backward pass: one red for gradients on every diagram
TEXT = "#1F2328"
BOX_HALF_PX = 20    # half a box's height in pixels, where arrows stop
ADDER_PX = 28       # diameter of the (+) sign
SX, SY = 95, 64     # pixels per unit across and down
SPACING = 4.4       # units between the centres of two blocks side by side


def text_width(text: str, size: float) -> float:
    """About how wide `text` is in pixels: a CJK character takes a whole em, others about half."""
    return sum(size if unicodedata.east_asian_width(c) in "WF" else 0.55 * size for c in text)


DASHES = {"solid": "", "dot": "2 4", "dash": "8 5"}
# On a phone (a screen at most PHONE_PX wide) a figure is never drawn so small that its smallest
# text falls under MIN_TEXT_PX: below that it keeps its width and its box scrolls sideways
# (assets/layout.css) rather than shrinking. Above PHONE_PX it shrinks to its column as before.
PHONE_PX = 900
MIN_TEXT_PX = 11
_FONT_SIZE = re.compile(r'font-size="([\d.]+)"')


def readable_width(width: float, parts: list[str]) -> str:
    """A CSS min-width for an SVG `width` pixels wide whose text is in `parts`: on a screen at
    most PHONE_PX wide, wide enough that its smallest text shows at MIN_TEXT_PX or more (0
    above: one inline expression, the clamp turns on at the screen width, so the SVG stays a
    single element wherever it is shown); in the projector view, at ui.projector.MIN_TEXT_PX."""
    from . import projector

    smallest = min((float(m) for part in parts for m in _FONT_SIZE.findall(part)), default=MIN_TEXT_PX)
    if projector.on():
        return f"min-width:{math.ceil(width * projector.MIN_TEXT_PX / smallest)}px;"
    need = math.ceil(width * MIN_TEXT_PX / smallest)
    return f"min-width:clamp(0px,calc(({PHONE_PX}px - 100vw)*9999),{need}px);"


class Canvas:
    """Shapes in diagram units (x right, y up), written out as SVG in pixels (`sx`, `sy` pixels a
    unit); ui/outline.py draws the network outline on one too."""

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


def _block(c: Canvas, cx: float, residual: bool, show_grad: bool) -> None:
    """One block centred on x = cx; y runs from 6 (input) down to 0.7 (output)."""
    colour = style.RESIDUAL if residual else style.PLAIN
    title = t("diagram.residual_title") if residual else t("diagram.plain_title")
    c.label(cx + (0.5 if residual else 0), 6.55, title, colour, size=19, bold=True)
    c.label(cx, 5.85, "x", size=18, bold=True)
    c.arrow(cx, 5.85, cx, 4.6, start_px=12, end_px=BOX_HALF_PX)
    c.box(cx, 4.6, t("diagram.weight"), colour)
    c.arrow(cx, 4.6, cx, 3.3, start_px=BOX_HALF_PX, end_px=BOX_HALF_PX)
    c.label(cx, 3.95, "ReLU", size=14, anchor="start", shift_px=8)
    c.box(cx, 3.3, t("diagram.weight"), colour)
    c.label(cx, 3.95, "F(x)" if residual else "H(x)", colour, size=17, anchor="end", shift_px=-72, bold=True)
    if residual:
        # As in the paper's Figure 2: F(x) + x is the sum, and a ReLU follows it (section 3.2),
        # so the block's output y is ReLU(F(x) + x), not F(x) + x itself.
        arc_x = cx + 1.25
        c.arrow(cx, 3.3, cx, 2.1, start_px=BOX_HALF_PX, end_px=ADDER_PX // 2 + 1)
        c.path([(cx, 5.45), (arc_x, 5.45), (arc_x, 2.1)], colour, 3)
        c.arrow(arc_x, 2.1, cx, 2.1, colour, end_px=ADDER_PX // 2 + 1, width=3)
        c.adder(cx, 2.1, colour)
        c.label(cx, 2.1, "F(x) + x", colour, size=17, anchor="end", shift_px=-(ADDER_PX // 2 + 8), bold=True)
        c.label(arc_x, 3.95, t("diagram.identity"), colour, size=15, anchor="start", shift_px=8)
        c.arrow(cx, 2.1, cx, 0.7, start_px=ADDER_PX // 2 + 1, end_px=14)
        c.label(cx, 1.45, "ReLU", size=14, anchor="start", shift_px=8)
        c.label(cx, 0.7, "y = ReLU(F(x) + x)", colour, size=18, bold=True)
    else:
        c.arrow(cx, 3.3, cx, 0.7, start_px=BOX_HALF_PX, end_px=14)
        c.label(cx, 2.1, "ReLU", size=14, anchor="start", shift_px=8)
        c.label(cx, 0.7, "y = H(x)", colour, size=18, bold=True)
    if show_grad:
        # The backward pass runs bottom to top: through the layers in a plain block, and in a
        # residual block also along the shortcut, which has no layer on it. In this (2015) block
        # the ReLU after the sum multiplies the gradient too; the clean 1 + dF/dx holds only for
        # the pre-activation block of He et al. 2016, which puts nothing after the addition.
        gx = cx + (2.0 if residual else 1.25)
        c.arrow(gx, 1.0, gx, 5.5, GRAD, width=3)
        formula = "∂L/∂x = ∂L/∂y · ReLU′ · (1 + ∂F/∂x)" if residual else "∂L/∂x = ∂L/∂y · ∂y/∂x"
        c.label(cx + 0.4, 0.05, formula, GRAD, size=15)
        if residual:
            c.label(cx + 0.4, -0.85, t("diagram.preact_formula"), GRAD, size=14)


def block_diagram(view: str = "both", show_grad: bool = False) -> str:
    """The diagram as an SVG element; `view`: "plain", "residual" or "both" (side by side)."""
    kinds = {"both": (False, True), "plain": (False,), "residual": (True,)}[view]
    residual_shown = True in kinds
    c = Canvas(-2.0, SPACING * (len(kinds) - 1) + 2.6, (-1.35 if residual_shown else -0.3) if show_grad else 0.3, 6.9)
    for i, residual in enumerate(kinds):
        _block(c, i * SPACING, residual, show_grad)
    titles = [t("diagram.residual_title") if r else t("diagram.plain_title") for r in kinds]
    return c.svg(" · ".join(titles))


def show(wide: str, narrow: list[str] = (), place=None) -> None:
    """An SVG figure on the page; with `narrow`, the same figure rearranged for a phone (panels
    stacked rather than side by side), shown instead at a screen at most PHONE_PX wide
    (assets/layout.css). Each is its own element, so the wide one stays a single <svg>."""
    import streamlit as st

    place = place or st
    if not narrow:
        place.markdown(wide, unsafe_allow_html=True)
        return
    place.markdown(wide.replace("<svg ", '<svg class="rx-wide" ', 1), unsafe_allow_html=True)
    place.markdown(f'<div class="rx-narrow">{"".join(narrow)}</div>', unsafe_allow_html=True)
