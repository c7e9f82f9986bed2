"""Charts on a numeric x as inline SVG: lines against layer number (one panel, or small
multiples side by side), and histograms of contiguous bins.

Gradient norms and activation scales span decades, so their y axes are often logarithmic. An
exact zero (a gradient that underflowed) has no place on a log axis: it is drawn at a floor a
decade under the smallest value, as a cross with its own legend entry and a dotted line, never
hidden. NaN and infinity are left out, and the line breaks there. Each point names its series,
its layer and its value in a tooltip, written as plotly's hover wrote it.

    svg = line_charts.lines(Panel([Line("plain-56", norms, colour, names)], log=True, value_name="norm"),
                            words=words(line_charts.WORDS), x_title="layer", title="gradient norm",
                            ticks=training_charts.stage_ticks(names))
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from . import style
from .axes import (
    AXIS,
    FONT,
    GRID,
    Key,
    Plot,
    cross,
    empty_note,
    layout,
    linear_ticks,
    number,
    value_axis,
)
from .canvas import DASHES, Canvas, text_width
from .words import Words

WORDS = ("charts.zero", "charts.zero_hover", "charts.no_data")


@dataclass(frozen=True)
class Line:
    name: str                          # legend entry, first line of each tooltip
    values: Sequence[float]            # at x = 1, 2, ..., n
    colour: str
    points: Sequence[str] = ()         # each point's name (its layer), for its tooltip
    dash: str = "solid"                # or "dash", "dot"
    markers: bool = True
    width: float = 2.5
    x: Sequence[float] = ()            # where each value sits (a training step); empty: 1, 2, ..., n


@dataclass(frozen=True)
class Panel:
    lines: Sequence[Line]
    y_title: str = ""
    title: str = ""
    log: bool = False
    y_range: tuple[float, float] | None = None
    percent: bool = False              # ticks as "45%" (values are fractions)
    value_name: str = ""               # "norm": a tooltip reads "norm 0.0123", else "layer: 0.0123"
    value_format: str = ".3g"          # the tooltip's value (axes.number's spec)
    refs: Sequence[tuple[float, str]] = ()   # dashed lines across the panel: (value, label)


def lines(panel: Panel, *, words: Words, x_title: str, title: str, ticks: tuple[Sequence[int], Sequence[str]] | None = None,
          height: int = 420, width: int = 760) -> str:
    """One panel of lines against x = 1..n; `ticks` (positions, names) name spans of x instead
    of numbering it (charts.stage_ticks: where each stage starts)."""
    return small_multiples([panel], words=words, x_title=x_title, title=title, ticks=ticks, height=height, width=width)


def small_multiples(panels: Sequence[Panel], *, words: Words, x_title: str, title: str,
                    ticks: tuple[Sequence[int], Sequence[str]] | None = None, height: int = 430,
                    width: int = 0) -> str:
    """Panels side by side on the same x, each with its own title and y axis, one legend; the
    words for zeros and for no data from `words` (WORDS)."""
    width = width or max(760, 400 * len(panels))
    n = max((len(ln.values) for p in panels for ln in p.lines), default=0)
    xs = [float(v) for p in panels for ln in p.lines for v in ln.x]
    span = (min(xs), max(xs)) if xs else None   # a numeric x (steps) instead of 1..n
    floors = [_floor(p) for p in panels]
    keys: dict[str, Key] = {}
    for p in panels:
        for ln in p.lines:
            keys.setdefault(ln.name, Key(ln.name, ln.colour, "line", ln.dash))
    for p, floor in zip(panels, floors):            # the zeros' entries after the lines
        for ln in p.lines:
            if floor is not None and any(v == 0 for v in ln.values):
                name = words("charts.zero", label=ln.name)
                keys.setdefault(name, Key(name, ln.colour, "cross"))
    axes = [value_axis([v for ln in p.lines for v in ln.values] + ([floor] if floor else []) +
                       [v for v, _ in p.refs], log=p.log, fixed=p.y_range, percent=p.percent, zero=False)
            for p, floor in zip(panels, floors)]
    c = Canvas(0, width, 0, height, sx=1, sy=1)
    plots = layout(c, axes, y_titles=[p.y_title for p in panels], titles=[p.title for p in panels],
                   keys=list(keys.values()), x_title=x_title, ticks=n > 0)
    for panel, plot, floor in zip(panels, plots, floors):
        if n == 0:
            empty_note(c, plot, words("charts.no_data"))
            continue
        x = _numeric_x_axis(c, plot, span) if span else _x_axis(c, plot, n, ticks)
        for value, label in panel.refs:
            c.path([(plot.x0, plot.y(value)), (plot.x1, plot.y(value))], style.NEUTRAL, 1.5, "dash")
            # Under its line: a line at the reference value (gains of 1) would run through the words.
            c.label(plot.x0 + 6, plot.y(value) - 12, label, style.NEUTRAL, size=FONT - 1, anchor="start")
        if floor is not None:
            c.path([(plot.x0, plot.y(floor)), (plot.x1, plot.y(floor))], style.NEUTRAL, 1, "dot")
        for ln in panel.lines:
            _line(c, plot, panel, ln, x, floor, words("charts.zero_hover"))
    return c.svg(title)


def _floor(panel: Panel) -> float | None:
    """Where a log panel draws its exact zeros: a decade under its smallest value (None: no zeros)."""
    values = [v for ln in panel.lines for v in ln.values]
    if not panel.log or not any(v == 0 for v in values):
        return None
    positive = [v for v in values if math.isfinite(v) and v > 0]
    return min(positive) / 10 if positive else 1e-12


def _x_axis(c: Canvas, p: Plot, n: int, ticks) -> Callable[[float], float]:
    """Numbers along the bottom (or the named spans), vertical grid lines; returns x -> pixels."""
    pad = 0.5 if n > 1 else 1

    def x(v: float) -> float:
        return p.x0 + (v - 1 + pad) / (n - 1 + 2 * pad) * (p.x1 - p.x0)
    if ticks:
        places, names = list(ticks[0]), list(ticks[1])
        ends = places[1:] + [n + 1]
        last_right = -math.inf
        for start, end, name in zip(places, ends, names):
            if start > 1:
                c.path([(x(start - 0.5), p.y0), (x(start - 0.5), p.y1)], GRID, 1, "dot")
            mid, half = x((start + end - 1) / 2), text_width(name, FONT) / 2
            if mid - half > last_right + 4:      # a span too narrow for its name stays unnamed
                c.label(mid, p.y0 - 14, name, AXIS, size=FONT)
                last_right = mid + half
    else:
        for v in linear_ticks(1, n):
            if 1 <= v <= n and v == int(v):
                c.path([(x(v), p.y0), (x(v), p.y1)], GRID, 1)
                c.label(x(v), p.y0 - 14, f"{int(v)}", AXIS, size=FONT)
    c.path([(p.x0, p.y0), (p.x1, p.y0)], AXIS, 1)
    return x


def _numeric_x_axis(c: Canvas, p: Plot, span: tuple[float, float]) -> Callable[[float], float]:
    """Round numbers along the bottom from the first x to the last, vertical grid lines."""
    lo, hi = span
    hi = hi if hi > lo else lo + 1

    def x(v: float) -> float:
        return p.x0 + (v - lo) / (hi - lo) * (p.x1 - p.x0)
    for v in linear_ticks(lo, hi):
        if lo - 1e-9 <= v <= hi + 1e-9:
            c.path([(x(v), p.y0), (x(v), p.y1)], GRID, 1)
            c.label(x(v), p.y0 - 14, f"{v:g}", AXIS, size=FONT)
    c.path([(p.x0, p.y0), (p.x1, p.y0)], AXIS, 1)
    return x


def _tip(line: Line, panel: Panel, i: int, value: str) -> str:
    point = line.points[i] if i < len(line.points) else str(i + 1)
    if panel.value_name:
        return f"{line.name}\n{point}\n{panel.value_name} {value}"
    return f"{line.name}\n{point}: {value}"


def _line(c: Canvas, p: Plot, panel: Panel, line: Line, x, floor: float | None, zero_hover: str) -> None:
    runs: list[list[tuple[float, float]]] = [[]]
    marks = []
    at = [float(v) for v in line.x] if line.x else [i + 1.0 for i in range(len(line.values))]
    for i, (v, where) in enumerate(zip(line.values, at)):
        v = float(v) if v is not None else math.nan
        if v == 0 and floor is not None:
            point = line.points[i] if i < len(line.points) else str(i + 1)
            marks.append(cross(*c.px(x(where), p.y(floor)), line.colour,
                                f"{line.name}\n{point}\n{zero_hover}"))
            runs.append([])
            continue
        if not math.isfinite(v) or (panel.log and v <= 0):
            runs.append([])                      # a gap: the line breaks, as plotly's does
            continue
        runs[-1].append((x(where), p.y(v)))
        if line.markers:
            px, py = c.px(x(where), p.y(v))
            marks.append(f'<circle cx="{px}" cy="{py}" r="3.5" fill="{line.colour}" stroke="white" '
                         f'stroke-width="1"><title>{escape(_tip(line, panel, i, number(v, panel.value_format)))}'
                         f'</title></circle>')
    for run in runs:
        if len(run) > 1:
            c.path(run, line.colour, line.width, line.dash if line.dash in DASHES else "solid")
    c.parts.extend(marks)


@dataclass(frozen=True)
class Histogram:
    edges: Sequence[float]             # bin edges, len(values) + 1
    values: Sequence[float]            # per bin (a share in %, say)
    colour: str
    title: str = ""


def histograms(panels: Sequence[Histogram], *, x_title: str, y_title: str, title: str, log: bool = True,
               value_format: str = ".2f", suffix: str = "%", height: int = 360, width: int = 0) -> str:
    """Contiguous bins side by side, one panel each (their ranges may differ by decades), each
    on its own y axis (log: empty bins are left out); the y title on the first panel only."""
    width = width or max(640, 380 * len(panels))
    axes = [value_axis(list(h.values), log=log) for h in panels]
    c = Canvas(0, width, 0, height, sx=1, sy=1)
    plots = layout(c, axes, y_titles=[y_title], titles=[h.title for h in panels], x_title=x_title)
    for h, p in zip(panels, plots):
        _bins(c, p, h, log, value_format, suffix)
    return c.svg(title)


def _bins(c: Canvas, p: Plot, h: Histogram, log: bool, value_format: str, suffix: str) -> None:
    lo, hi = float(h.edges[0]), float(h.edges[-1])
    scale = (p.x1 - p.x0) / ((hi - lo) or 1.0)
    for v in linear_ticks(lo, hi, 4):
        if lo <= v <= hi:
            c.label(p.x0 + (v - lo) * scale, p.y0 - 14, _short(v), AXIS, size=FONT)
    base = p.y(p.axis.lo) if log else p.y(0)
    for a, b, v in zip(h.edges[:-1], h.edges[1:], h.values):
        if not math.isfinite(v) or v == 0 or (log and v < 0):
            continue
        c.rect(p.x0 + (a - lo) * scale, min(base, p.y(v)), p.x0 + (b - lo) * scale, max(base, p.y(v)),
               fill=h.colour, tip=f"{number((a + b) / 2, '.3g')}: {number(v, value_format)}{suffix}")
    c.path([(p.x0, p.y0), (p.x1, p.y0)], AXIS, 1)


def _short(v: float) -> str:
    s = style.fmt_si(v)
    return s.replace("-", "−", 1) if s.startswith("-") else s
