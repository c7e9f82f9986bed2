"""Axes, legends and panels for the inline SVG charts (ui/draw/bar_charts.py: bars and a ring;
ui/draw/line_charts.py: lines and histograms).

A chart is drawn on a ui.draw.canvas.Canvas in pixels with y up. `layout` puts one or more panels
side by side, each with its value axis (linear from zero, linear, percent, or log with decades
written 10^k), its title and axis titles, under one shared legend; the chart then draws its marks
into the returned `Plot`s. Numbers in tooltips are written as plotly's hover wrote them
(`number`), so a value reads the same as before.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from . import style
from .canvas import TEXT, Canvas, text_width

GRID = "#E5E7EB"
AXIS = "#6B7280"
FONT = style.FONT_SIZE - 2
ROW = 22            # pixels per legend row


# --- numbers and axes ---------------------------------------------------------------------------

def number(v: float, spec: str = ".3g") -> str:
    """`v` as plotly's hover writes it with d3-format `spec`: "g" is JavaScript's toPrecision
    (0.5 -> "0.500", 1.234e-8 -> "1.23e-8"); "f", "%" and "," as Python's format."""
    if spec.endswith("g"):
        p = int(spec.lstrip(",.")[:-1] or 6)
        mantissa, exp = f"{v:.{p - 1}e}".split("e")
        e = int(exp)
        if e < -6 or e >= p:
            return f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
        return f"{v:.{p - 1 - e}f}"
    return format(v, spec)


def linear_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round ticks (steps of 1, 2 or 5 times a power of ten) from at or below `lo` to at or above `hi`."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [0.0, 1.0]
    raw = (hi - lo) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [float(f"{k * step:.12g}") for k in range(first, last + 1)]


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least `top`."""
    return linear_ticks(0.0, top, count) if top > 0 and math.isfinite(top) else [0.0, 1.0]


@dataclass(frozen=True)
class Axis:
    """A value axis: its range, ticks and how they read ("" = short counts, or a format spec)."""
    lo: float
    hi: float
    ticks: tuple[float, ...]
    log: bool = False
    spec: str = ""

    def frac(self, v: float) -> float:
        if self.log:
            return (math.log10(v) - math.log10(self.lo)) / (math.log10(self.hi) - math.log10(self.lo))
        return (v - self.lo) / (self.hi - self.lo)

    def text(self, v: float) -> str:
        """A tick's label; a log tick 10^k is written "10^k" (drawn with a raised k)."""
        if self.log:
            return f"10^{round(math.log10(v))}"
        s = number(v, self.spec) if self.spec else style.fmt_si(v)
        return s.replace("-", "−", 1) if s.startswith("-") else s


def value_axis(values: Sequence[float], *, log: bool = False, fixed: tuple[float, float] | None = None,
               percent: bool = False, zero: bool = True, headroom: float = 1.0) -> Axis:
    """An axis over the finite `values` (positive ones when `log`): decades on a log axis (at most
    seven labelled), round steps on a linear one from zero (`zero`), or the `fixed` range."""
    finite = [float(v) for v in values if v is not None and math.isfinite(v) and (v > 0 or not log)]
    if log:
        if fixed:
            lo_e, hi_e = math.log10(fixed[0]), math.log10(fixed[1])
        elif finite:
            lo_e, hi_e = math.floor(math.log10(min(finite))), math.ceil(math.log10(max(finite)))
            hi_e += hi_e == lo_e
        else:
            lo_e, hi_e = -1, 1
        stride = next(s for s in (1, 2, 3, 5, 10, 20, 50, 100) if (hi_e - lo_e) / s <= 7)
        if not fixed:                   # the axis ends on labelled decades
            lo_e, hi_e = math.floor(lo_e / stride) * stride, math.ceil(hi_e / stride) * stride
        ticks = tuple(10.0 ** k for k in range(math.ceil(lo_e), math.floor(hi_e) + 1) if k % stride == 0)
        return Axis(10.0 ** lo_e, 10.0 ** hi_e, ticks, log=True)
    spec = ".0%" if percent else ""
    if fixed:
        ticks = [v for v in linear_ticks(*fixed) if fixed[0] - 1e-9 <= v <= fixed[1] + 1e-9]
        return Axis(fixed[0], fixed[1], tuple(ticks), spec=spec)
    lo, hi = min(finite, default=0.0), max(finite, default=1.0)
    if zero:
        lo, hi = min(lo, 0.0) * headroom, max(hi, 0.0) * headroom
    if hi <= lo:
        lo, hi = lo - (abs(lo) or 1) / 2, hi + (abs(hi) or 1) / 2
    ticks = linear_ticks(lo, hi)
    return Axis(ticks[0], ticks[-1], tuple(ticks), spec=spec)


# --- drawing: legends, axes, panels ------------------------------------------------------------

@dataclass(frozen=True)
class Key:
    """A legend entry: a box (bars), a line (dash, with a marker) or a cross (exact zeros)."""
    name: str
    colour: str
    mark: str = "box"
    dash: str = "solid"


def vertical_label(c: Canvas, x: float, y: float, text: str, colour: str = AXIS, size: int = FONT) -> None:
    """Text read bottom to top, centred on (x, y): a y-axis title, a row's name."""
    cx, cy = c.px(x, y)
    c.parts.append(f'<text transform="translate({cx} {cy}) rotate(-90)" text-anchor="middle" '
                   f'dominant-baseline="central" font-size="{size}" fill="{colour}">{escape(text)}</text>')


def cross(x: float, y: float, colour: str, tip: str, r: float = 4.5) -> str:
    """An "x" marker at pixel (x, y): a value that cannot be drawn where it is (0 on a log axis)."""
    return (f'<path d="M {x - r:.1f} {y - r:.1f} L {x + r:.1f} {y + r:.1f} M {x - r:.1f} {y + r:.1f} '
            f'L {x + r:.1f} {y - r:.1f}" stroke="{colour}" stroke-width="2.5"><title>{escape(tip)}</title></path>')


def _legend_rows(keys: Sequence[Key], x0: float, x1: float) -> list[list[tuple[float, Key]]]:
    rows: list[list[tuple[float, Key]]] = [[]]
    x = x0
    for k in keys:
        w = 30 + text_width(k.name, FONT) + 22
        if rows[-1] and x + w > x1:
            rows.append([])
            x = x0
        rows[-1].append((x, k))
        x += w
    return rows if rows[0] else []


def _legend(c: Canvas, rows: list[list[tuple[float, Key]]], top: float) -> None:
    for i, row in enumerate(rows):
        y = top - ROW * i - ROW / 2
        for x, k in row:
            if k.mark == "box":
                c.rect(x + 6, y - 7, x + 20, y + 7, fill=k.colour)
            elif k.mark == "cross":
                c.parts.append(cross(*c.px(x + 13, y), k.colour, k.name))
            else:
                c.path([(x, y), (x + 26, y)], k.colour, 2.5, k.dash)
                c.parts.append(f'<circle cx="{x + 13}" cy="{c.px(0, y)[1]}" r="3.5" fill="{k.colour}"/>')
            c.label(x + 30, y, k.name, TEXT, size=FONT, anchor="start")


@dataclass
class Plot:
    """Where one panel draws, in pixels with y up, and its value axis."""
    x0: float
    x1: float
    y0: float
    y1: float
    axis: Axis

    def y(self, v: float) -> float:
        return self.y0 + self.axis.frac(v) * (self.y1 - self.y0)


def _tick_label(c: Canvas, x: float, y: float, text: str) -> None:
    px, py = c.px(x, y)
    if text.startswith("10^"):          # a decade: 10 with a raised exponent, as plotly's "power" format
        k = text[3:].replace("-", "−")
        body = "1" if k == "0" else f'10<tspan baseline-shift="super" font-size="{FONT - 2}">{k}</tspan>'
    else:
        body = escape(text)
    c.parts.append(f'<text x="{px}" y="{py}" text-anchor="end" dominant-baseline="central" font-size="{FONT}" '
                   f'fill="{AXIS}">{body}</text>')


def layout(c: Canvas, axes: Sequence[Axis], *, y_titles: Sequence[str], titles: Sequence[str] = (),
           keys: Sequence[Key] = (), x_title: str = "", ticks: bool = True) -> list[Plot]:
    """Panels side by side on `c`, each with its grid, tick labels and y title, a title above
    and `x_title` under it, one legend above them all; returns where each panel plots."""
    width, height = c.width, c.height
    rows = _legend_rows(keys, 12, width - 12)
    top = height - 6 - ROW * len(rows) - (26 if any(titles) else 10)
    bottom = 26 + (24 if x_title else 0)
    slot = width / len(axes)
    plots = []
    for i, axis in enumerate(axes):
        y_title = y_titles[i] if i < len(y_titles) else ""
        labels = [axis.text(v) for v in axis.ticks] if ticks else []
        left = i * slot + (24 if y_title else 4) + max((text_width(s, FONT) for s in labels), default=0) + 10
        p = Plot(left, (i + 1) * slot - 14, bottom, top, axis)
        for v, s in zip(axis.ticks if ticks else (), labels):
            y = p.y(v)
            c.path([(p.x0, y), (p.x1, y)], AXIS if v == 0 and not axis.log else GRID, 1)
            _tick_label(c, p.x0 - 6, y, s)
        if y_title:
            vertical_label(c, i * slot + 12, (p.y0 + p.y1) / 2, y_title)
        if i < len(titles) and titles[i]:
            c.label((p.x0 + p.x1) / 2, top + 14, titles[i], TEXT, size=FONT + 1, bold=True)
        if x_title:
            c.label((p.x0 + p.x1) / 2, 12, x_title, AXIS, size=FONT)
        plots.append(p)
    _legend(c, rows, height - 4)
    return plots


def empty_note(c: Canvas, p: Plot, text: str) -> None:
    c.label((p.x0 + p.x1) / 2, (p.y0 + p.y1) / 2, text, style.NEUTRAL, size=FONT + 4)
