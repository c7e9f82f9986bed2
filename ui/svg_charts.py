"""Small static charts as inline SVG: bars (side by side or stacked) and a two-part ring.

The cost figures a page shows on arrival (Bottleneck's two paths, GAP vs FC's two heads and
VGG-19's parameter share) are a few bars that only change with a slider: drawn here, a first
visit needs no chart library (plotly's code is 4.7 MB for the browser to load and compile,
several seconds on a classroom laptop). Each bar and slice names its exact value in a tooltip.

    st.markdown(svg_charts.bars([...], y_title="MACs", title="..."), unsafe_allow_html=True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from . import style
from .diagrams import TEXT, Canvas, text_width

GRID = "#E5E7EB"
AXIS = "#6B7280"
FONT = style.FONT_SIZE - 2


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


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least `top`: steps of 1, 2 or 5 times a power of ten."""
    if top <= 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    n = math.ceil(top / step - 1e-9)
    return [i * step for i in range(n + 1)]


def bars(items: list[Bar], *, y_title: str, title: str, height: int = 420, width: int = 640,
         headroom: float = 1.12) -> str:
    """Vertical bars on a linear axis from zero; a legend of the segments' names above them when
    some bar is stacked (a bar of one segment is named by its label)."""
    totals = [sum(s.value for s in b.segments) for b in items]
    ticks = nice_ticks(max(totals + [0.0]) * headroom)
    top = ticks[-1]
    names: dict[str, str] = {}
    for b in items:
        for s in b.segments:
            names.setdefault(s.name, s.colour)
    legend = any(len(b.segments) > 1 for b in items)
    left = 22 + max(text_width(style.fmt_si(v), FONT) for v in ticks) + 10
    x0, x1 = left, width - 12
    y0, y1 = 46, height - (34 if legend else 8)      # plot bottom (label row below) and top, y up
    c = Canvas(0, width, 0, height, sx=1, sy=1)
    scale = (y1 - y0) / top

    for v in ticks:                                   # grid and tick labels
        y = y0 + v * scale
        c.path([(x0, y), (x1, y)], GRID if v else AXIS, 1)
        c.label(x0 - 6, y, style.fmt_si(v), AXIS, size=FONT, anchor="end")
    cx, cy = c.px(12, (y0 + y1) / 2)
    c.parts.append(f'<text transform="translate({cx} {cy}) rotate(-90)" text-anchor="middle" '
                   f'dominant-baseline="central" font-size="{FONT}" fill="{AXIS}">{escape(y_title)}</text>')

    slot = (x1 - x0) / max(len(items), 1)
    half = min(slot * 0.3, 90)
    for i, (b, total) in enumerate(zip(items, totals)):
        mid = x0 + slot * (i + 0.5)
        base = 0.0
        for s in b.segments:
            if s.value > 0:
                c.rect(mid - half, y0 + base * scale, mid + half, y0 + (base + s.value) * scale, fill=s.colour,
                       tip=f"{b.label} · {s.name}: {style.fmt_int(s.value)}")
            base += s.value
        if b.text:
            c.label(mid, y0 + total * scale + 12, b.text, TEXT, size=FONT)
        c.label(mid, y0 - 16, b.label, TEXT, size=FONT)

    if legend:                                        # one row above the plot
        x = x0
        for name, colour in names.items():
            c.rect(x, height - 20, x + 14, height - 6, fill=colour)
            c.label(x + 20, height - 13, name, TEXT, size=FONT, anchor="start")
            x += 20 + text_width(name, FONT) + 24
    return c.svg(title)


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
