"""Small static charts as inline SVG: bars (side by side, stacked, grouped, signed) and a ring;
their axes, legends and panels are ui/draw/axes.py's, shared with ui/draw/line_charts.py.

The figures a page shows on arrival are drawn here, so a first visit needs no chart library
(plotly's code is 4.7 MB for the browser to load and compile, several seconds on a classroom
laptop). Every bar, slice and point names its exact value in a <title> tooltip.

    st.markdown(bar_charts.bars([...], y_title="MACs", title="..."), unsafe_allow_html=True)
    svg = figures.cached(("shortcuts-extra", arch), lambda: bar_charts.grouped_bars([...], title=...))
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from . import style
from .axes import FONT, Key, layout, number, value_axis
from .canvas import TEXT, Canvas


@dataclass(frozen=True)
class Segment:
    name: str        # its legend entry and tooltip
    value: float
    colour: str


@dataclass(frozen=True)
class Bar:
    label: str                   # under the bar
    segments: tuple[Segment, ...]   # bottom first; one segment for a simple bar
    text: str = ""               # above the bar (its total, say)


# --- bars ---------------------------------------------------------------------------------------

def bars(items: list[Bar], *, y_title: str, title: str, height: int = 420, width: int = 640,
         headroom: float = 1.12) -> str:
    """Vertical bars on a linear axis from zero; a legend of the segments' names above them when
    some bar is stacked (a bar of one segment is named by its label)."""
    totals = [sum(s.value for s in b.segments) for b in items]
    names: dict[str, str] = {}
    for b in items:
        for s in b.segments:
            names.setdefault(s.name, s.colour)
    stacked = any(len(b.segments) > 1 for b in items)
    c = Canvas(0, width, 0, height, sx=1, sy=1)
    [p] = layout(c, [value_axis(totals, headroom=headroom)], y_titles=[y_title],
                 keys=[Key(n, colour) for n, colour in names.items()] if stacked else ())
    slot = (p.x1 - p.x0) / max(len(items), 1)
    half = min(slot * 0.3, 90)
    for i, (b, total) in enumerate(zip(items, totals)):
        mid = p.x0 + slot * (i + 0.5)
        base = 0.0
        for s in b.segments:
            if s.value > 0:
                c.rect(mid - half, p.y(base), mid + half, p.y(base + s.value), fill=s.colour,
                       tip=f"{b.label} · {s.name}: {style.fmt_int(s.value)}")
            base += s.value
        if b.text:
            c.label(mid, p.y(total) + 12, b.text, TEXT, size=FONT)
        c.label(mid, p.y0 - 14, b.label, TEXT, size=FONT)
    return c.svg(title)


@dataclass(frozen=True)
class Series:
    """One value per group, drawn side by side with the other series of its panel."""
    name: str                          # legend entry and tooltip ("" for a panel of one series)
    values: Sequence[float]
    colour: str | Sequence[str]        # one colour, or one per bar
    texts: Sequence[str] = ()          # above each bar (under it when the value is negative)


@dataclass(frozen=True)
class BarPanel:
    groups: Sequence[str]              # under the bars
    series: Sequence[Series]
    y_title: str = ""
    title: str = ""
    y_range: tuple[float, float] | None = None
    value_format: str = ".3g"          # the tooltip's value (number's spec)


def grouped_bars(panels: Sequence[BarPanel], *, title: str, x_title: str = "", height: int = 400,
                 width: int = 0, headroom: float = 1.15) -> str:
    """Bars from zero, up or down, several per group side by side; panels side by side share
    one legend of the series' names (shown when a panel has more than one series)."""
    width = width or 380 * len(panels) + 40
    keys = {s.name: Key(s.name, s.colour if isinstance(s.colour, str) else s.colour[0])
            for p in panels if len(p.series) > 1 for s in p.series}
    axes = [value_axis([v for s in p.series for v in s.values], fixed=p.y_range, headroom=headroom) for p in panels]
    c = Canvas(0, width, 0, height, sx=1, sy=1)
    plots = layout(c, axes, y_titles=[p.y_title for p in panels], titles=[p.title for p in panels],
                   keys=list(keys.values()), x_title=x_title)
    for panel, p in zip(panels, plots):
        slot = (p.x1 - p.x0) / max(len(panel.groups), 1)
        each = min(slot * 0.8 / max(len(panel.series), 1), 110)
        zero = p.y(min(max(0.0, p.axis.lo), p.axis.hi))
        for g, group in enumerate(panel.groups):
            mid = p.x0 + slot * (g + 0.5)
            for j, s in enumerate(panel.series):
                v = s.values[g]
                if not math.isfinite(v):
                    continue
                left = mid - each * len(panel.series) / 2 + j * each
                colour = s.colour if isinstance(s.colour, str) else s.colour[g]
                tip = f"{group} · {s.name}: " if s.name else f"{group}: "
                c.rect(left, min(zero, p.y(v)), left + each, max(zero, p.y(v)), fill=colour,
                       tip=tip + number(v, panel.value_format))
                if g < len(s.texts) and s.texts[g]:
                    c.label(left + each / 2, p.y(v) + (12 if v >= 0 else -12), s.texts[g], TEXT, size=FONT)
            c.label(mid, p.y0 - 14, group, TEXT, size=FONT)
    return c.svg(title)


# --- ring ---------------------------------------------------------------------------------------

def ring(parts: list[Segment], *, centre: str, title: str, size: int = 360) -> str:
    """A ring split into `parts` clockwise from the top, each labelled with its name and share;
    `centre` (lines split on "<br>") in the hole."""
    total = sum(p.value for p in parts) or 1.0
    c = Canvas(0, size, 0, size, sx=1, sy=1)
    ox, oy = c.px(size / 2, size / 2)
    outer, inner = size * 0.34, size * 0.17
    start = 0.0
    for p in parts:
        share = p.value / total
        if share <= 0:
            continue
        c.parts.append(_slice(ox, oy, outer, inner, start, start + share, p.colour,
                              f"{p.name}: {style.fmt_int(p.value)} ({share:.0%})"))
        middle = 2 * math.pi * (start + share / 2)
        lx, ly = ox + (outer + 24) * math.sin(middle), oy - (outer + 24) * math.cos(middle)
        anchor = "start" if math.sin(middle) > 0.2 else "end" if math.sin(middle) < -0.2 else "middle"
        c.parts.append(f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" dominant-baseline="central" '
                       f'font-size="{FONT}" fill="{TEXT}">{escape(p.name)} {share:.0%}</text>')
        start += share
    c.label(size / 2, size / 2, centre, TEXT, size=FONT + 2, bold=True)
    return c.svg(title)


def _slice(ox: float, oy: float, outer: float, inner: float, a: float, b: float, colour: str,
           tip: str) -> str:
    """One part of the ring, from fraction `a` to `b` of a turn (clockwise from the top)."""
    if b - a >= 1 - 1e-9:                           # a whole ring: two half arcs cannot be one
        return (f'<circle cx="{ox}" cy="{oy}" r="{(outer + inner) / 2:.1f}" fill="none" stroke="{colour}" '
                f'stroke-width="{outer - inner:.1f}"><title>{escape(tip)}</title></circle>')

    def at(r: float, f: float) -> str:
        return f"{ox + r * math.sin(2 * math.pi * f):.1f} {oy - r * math.cos(2 * math.pi * f):.1f}"
    large = 1 if b - a > 0.5 else 0
    d = (f"M {at(outer, a)} A {outer:.1f} {outer:.1f} 0 {large} 1 {at(outer, b)} "
         f"L {at(inner, b)} A {inner:.1f} {inner:.1f} 0 {large} 0 {at(inner, a)} Z")
    return f'<path d="{d}" fill="{colour}" stroke="white" stroke-width="2"><title>{escape(tip)}</title></path>'
