"""Block diagrams drawn with plotly (no image files): a plain block beside a residual one, as in
He et al. 2015, Figure 2. Data flows top to bottom; the shortcut is a path on the right.

Boxes are bordered text annotations and the adder is a marker, so they are sized in pixels and
always fit their (translated) text; arrows run between centres and stop short by a few pixels.
"""

from __future__ import annotations

import plotly.graph_objects as go

from . import style
from .i18n import t

INK = "#333333"
GRAD = "#C0392B"    # the backward pass: one red for gradients on every diagram
BOX_HALF_PX = 20    # half a box's height in pixels, where arrows stop
ADDER_PX = 28       # diameter of the (+) marker


def _box(fig: go.Figure, x: float, y: float, text: str, colour: str) -> None:
    fig.add_annotation(x=x, y=y, text=text, showarrow=False, font=dict(size=16, color="#1F2328"),
                       bordercolor=colour, borderwidth=2.5, borderpad=8, bgcolor="white")


def _arrow(fig: go.Figure, x0: float, y0: float, x1: float, y1: float, colour: str = INK,
           start_px: int = 0, end_px: int = 0, width: float = 2.2) -> None:
    fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", text="",
                       showarrow=True, arrowhead=2, arrowsize=1.2, arrowwidth=width, arrowcolor=colour,
                       standoff=end_px, startstandoff=start_px)


def _label(fig: go.Figure, x: float, y: float, text: str, colour: str = INK, size: int = 16,
           anchor: str = "center", shift_px: int = 0) -> None:
    fig.add_annotation(x=x, y=y, text=text, showarrow=False, xanchor=anchor, xshift=shift_px,
                       font=dict(size=size, color=colour))


def _block(fig: go.Figure, cx: float, residual: bool, show_grad: bool) -> None:
    """One block centred on x = cx; y runs from 6 (input) down to 0.7 (output)."""
    colour = style.RESIDUAL if residual else style.PLAIN
    title = t("diagram.residual_title") if residual else t("diagram.plain_title")
    _label(fig, cx + (0.5 if residual else 0), 6.55, f"<b>{title}</b>", colour, size=19)
    _label(fig, cx, 5.85, "<b>x</b>", size=18)
    _arrow(fig, cx, 5.85, cx, 4.6, start_px=12, end_px=BOX_HALF_PX)
    _box(fig, cx, 4.6, t("diagram.weight"), colour)
    _arrow(fig, cx, 4.6, cx, 3.3, start_px=BOX_HALF_PX, end_px=BOX_HALF_PX)
    _label(fig, cx, 3.95, "ReLU", size=14, anchor="left", shift_px=8)
    _box(fig, cx, 3.3, t("diagram.weight"), colour)
    learned = "F(x)" if residual else "H(x)"
    _label(fig, cx, 3.95, f"<b>{learned}</b>", colour, size=17, anchor="right", shift_px=-72)
    if residual:
        # F(x) is what the two layers learn; the shortcut adds x back unchanged.
        arc_x = cx + 1.25
        _arrow(fig, cx, 3.3, cx, 2.1, start_px=BOX_HALF_PX, end_px=ADDER_PX // 2 + 1)
        fig.add_shape(type="path", path=f"M {cx},5.45 L {arc_x},5.45 L {arc_x},2.1",
                      line=dict(color=colour, width=3))
        _arrow(fig, arc_x, 2.1, cx, 2.1, colour, end_px=ADDER_PX // 2 + 1, width=3)
        fig.add_scatter(x=[cx], y=[2.1], mode="markers", hoverinfo="skip", showlegend=False,
                        marker=dict(symbol="circle-cross", size=ADDER_PX, color="white",
                                    line=dict(color=colour, width=2.5)))
        _label(fig, arc_x, 3.95, t("diagram.identity"), colour, size=15, anchor="left", shift_px=8)
        _arrow(fig, cx, 2.1, cx, 0.7, start_px=ADDER_PX // 2 + 1, end_px=14)
        _label(fig, cx, 1.45, "ReLU", size=14, anchor="left", shift_px=8)
        _label(fig, cx, 0.7, "<b>H(x) = F(x) + x</b>", colour, size=18)
    else:
        _arrow(fig, cx, 3.3, cx, 0.7, start_px=BOX_HALF_PX, end_px=14)
        _label(fig, cx, 2.1, "ReLU", size=14, anchor="left", shift_px=8)
        _label(fig, cx, 0.7, "<b>H(x)</b>", colour, size=18)
    if show_grad:
        # The backward pass runs bottom to top: through the layers in a plain block, and in a
        # residual block also along the shortcut, which has no layer on it.
        gx = cx + (2.0 if residual else 1.25)
        _arrow(fig, gx, 1.0, gx, 5.5, GRAD, width=3)
        formula = "∂L/∂x = ∂L/∂H · (1 + ∂F/∂x)" if residual else "∂L/∂x = ∂L/∂H · ∂H/∂x"
        _label(fig, cx + 0.4, 0.05, formula, GRAD, size=15)


def block_diagram(view: str = "both", show_grad: bool = False) -> go.Figure:
    """`view`: "plain", "residual" or "both" (side by side)."""
    kinds = {"both": (False, True), "plain": (False,), "residual": (True,)}[view]
    fig = go.Figure()
    spacing = 4.4
    for i, residual in enumerate(kinds):
        _block(fig, i * spacing, residual, show_grad)
    fig.update_xaxes(visible=False, range=[-2.0, spacing * (len(kinds) - 1) + 2.6], fixedrange=True)
    fig.update_yaxes(visible=False, range=[-0.3 if show_grad else 0.3, 6.9], fixedrange=True)
    fig.update_layout(showlegend=False, plot_bgcolor="rgba(0,0,0,0)", paper_bgcolor="rgba(0,0,0,0)",
                      dragmode=False)
    style.layout(fig, height=460)
    return fig
