"""Block diagrams as inline SVG: a plain block beside a residual one, as in He et al. 2015,
Figure 2. Data flows top to bottom; the shortcut is a path on the right.

Home draws this first thing for every student, so it is plain SVG text rather than a plotly
figure: a static picture needs no chart library, and plotly's is about 4.7 MB of code for the
browser to load and run on the first visit. Boxes are sized to their (translated) text; arrows
run between centres and stop short by a few pixels.

    svg = block_diagram(words(diagrams.WORDS), "both", show_grad=True)
"""

from __future__ import annotations

from . import style
from .canvas import ADDER_PX, BOX_HALF_PX, Canvas
from .words import Words

WORDS = ("diagram.residual_title", "diagram.plain_title", "diagram.weight", "diagram.identity",
         "diagram.preact_formula")
GRAD = "#C0392B"    # the backward pass: one red for gradients on every diagram
SPACING = 4.4       # units between the centres of two blocks side by side


def _block(c: Canvas, words: Words, cx: float, residual: bool, show_grad: bool) -> None:
    """One block centred on x = cx; y runs from 6 (input) down to 0.7 (output)."""
    colour = style.RESIDUAL if residual else style.PLAIN
    title = words("diagram.residual_title") if residual else words("diagram.plain_title")
    c.label(cx + (0.5 if residual else 0), 6.55, title, colour, size=19, bold=True)
    c.label(cx, 5.85, "x", size=18, bold=True)
    c.arrow(cx, 5.85, cx, 4.6, start_px=12, end_px=BOX_HALF_PX)
    c.box(cx, 4.6, words("diagram.weight"), colour)
    c.arrow(cx, 4.6, cx, 3.3, start_px=BOX_HALF_PX, end_px=BOX_HALF_PX)
    c.label(cx, 3.95, "ReLU", size=14, anchor="start", shift_px=8)
    c.box(cx, 3.3, words("diagram.weight"), colour)
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
        c.label(arc_x, 3.95, words("diagram.identity"), colour, size=15, anchor="start", shift_px=8)
        c.arrow(cx, 2.1, cx, 0.7, start_px=ADDER_PX // 2 + 1, end_px=14)
        c.label(cx, 1.45, "ReLU", size=14, anchor="start", shift_px=8)
        c.label(cx, 0.7, "y = ReLU(F(x) + x)", colour, size=18, bold=True)
    else:
        c.arrow(cx, 3.3, cx, 0.7, start_px=BOX_HALF_PX, end_px=14)
        c.label(cx, 2.1, "ReLU", size=14, anchor="start", shift_px=8)
        # The same place as the residual block's: H(x) is what the two weight layers compute (the
        # paper's desired mapping, F(x) + x in the residual block), and the ReLU after it gives y.
        c.label(cx, 0.7, "y = ReLU(H(x))", colour, size=18, bold=True)
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
            c.label(cx + 0.4, -0.85, words("diagram.preact_formula"), GRAD, size=14)


def block_diagram(words: Words, view: str = "both", show_grad: bool = False) -> str:
    """The diagram as an SVG element, its text from `words` (WORDS); `view`: "plain", "residual" or
    "both" (side by side)."""
    kinds = {"both": (False, True), "plain": (False,), "residual": (True,)}[view]
    residual_shown = True in kinds
    c = Canvas(-2.0, SPACING * (len(kinds) - 1) + 2.6, (-1.35 if residual_shown else -0.3) if show_grad else 0.3, 6.9)
    for i, residual in enumerate(kinds):
        _block(c, words, i * SPACING, residual, show_grad)
    titles = [words("diagram.residual_title") if r else words("diagram.plain_title") for r in kinds]
    return c.svg(" · ".join(titles))
