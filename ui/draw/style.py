"""One look for every page: the plain/residual colours, plotly layout, number formats.

Plain nets are always warm (orange) and residual nets always cool (blue), on every page and
every chart, so a student who learns the colours once can read any figure from across a room.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go

PLAIN = "#D9662B"       # warm: plain nets (no shortcuts)
RESIDUAL = "#1F6FB2"    # cool: residual nets (with shortcuts)
NEUTRAL = "#6B7280"     # reference values, e.g. the paper's numbers
HIGHLIGHT = "#2E9E6A"   # a saving or a good outcome
KIND_COLOURS = {"plain": PLAIN, "residual": RESIDUAL}
# Shortcuts A, B and C: three residual nets side by side, so three cool colours, light to dark:
# Okabe & Ito's sky blue ("Color Universal Design", 2008), a teal and a navy. Every pair, and each
# against the plain nets' orange, stays at least 20 CIE76 units apart also under protanopia,
# deuteranopia and tritanopia as Machado et al. (2009) simulate them (tests/test_layout.py).
OPTION_COLOURS = {"A": "#56B4E9", "B": "#007A87", "C": "#1B2A6B"}
OPTION_FILLS = {"A": "#EAF5FC", "B": "#E0F1F3", "C": "#E6E8F1"}   # the same, pale, behind text
# Plain and residual at a lighter shade, for a second series of the same kind.
PLAIN_LIGHT = "#F0A77E"
RESIDUAL_LIGHT = "#7FB3E0"

# Korean needs a CJK font; Noto Sans CJK KR is what Debian's fonts-noto-cjk installs.
FONT_FAMILY = ("Source Sans Pro, Noto Sans KR, Noto Sans CJK KR, Apple SD Gothic Neo, "
               "Malgun Gothic, sans-serif")
FONT_SIZE = 16          # readable on a projector from the back row


def layout_spec(*, x: str | None = None, y: str | None = None, title: str | None = None,
                height: int = 420) -> dict:
    """The shared look as a plotly layout dict, for a chart with one x and one y axis: what
    `layout` applies, for figures built in one go (``go.Figure(data=..., layout=...)``), which
    is several times quicker than updating a figure step by step."""
    def axis(text: str | None) -> dict:
        spec = {"title": {"font": {"size": FONT_SIZE}}, "tickfont": {"size": FONT_SIZE - 2}}
        if text is not None:
            spec["title"]["text"] = text
        return spec

    return {
        "font": {"family": FONT_FAMILY, "size": FONT_SIZE},
        **({"title": {"text": title, "font": {"size": FONT_SIZE + 4}}} if title else {}),
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 60 if title else 20, "b": 10},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        "hoverlabel": {"font": {"family": FONT_FAMILY, "size": FONT_SIZE - 2}},
        "xaxis": axis(x),
        "yaxis": axis(y),
    }


def layout(fig: go.Figure, *, x: str | None = None, y: str | None = None,
           title: str | None = None, height: int = 420) -> go.Figure:
    """Apply the shared look. `x` and `y` are axis titles and should name the unit, e.g.
    "multiply-adds (MACs)" or "layer (input → output)". Returns the figure for chaining."""
    spec = layout_spec(x=x, y=y, title=title, height=height)
    xaxis, yaxis = spec.pop("xaxis"), spec.pop("yaxis")
    fig.update_layout(title=spec.pop("title", None), **spec)
    fig.update_xaxes(xaxis)   # every subplot's axes
    fig.update_yaxes(yaxis)
    return fig


def fmt_int(n: float) -> str:
    """1234567 -> "1,234,567"."""
    return f"{int(round(n)):,}"


_PREFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def fmt_si(x: float) -> str:
    """A short count: 1234567 -> "1.23 M", 3.664e9 -> "3.66 G", 120422400 -> "120.4 M", 512 -> "512"."""
    if x is None or not math.isfinite(x):
        return "–"
    for scale, prefix in _PREFIXES:
        if abs(x) >= scale:
            v = x / scale
            return f"{v:.3g} {prefix}" if abs(v) < 100 else f"{v:.4g} {prefix}"
    return f"{x:.3g}" if x != int(x) else f"{int(x)}"


def fmt_macs(x: float) -> str:
    """3.664e9 -> "3.66 G MACs" (multiply-adds, the paper's "FLOPs")."""
    return f"{fmt_si(x)} MACs"


def fmt_ratio(x: float, lang: str) -> str:
    """10.04 -> "10.0×" in English, "10.0배" in Korean: the unit comes with the number, so a
    catalog string writes "{ratio}" alone and never shows both ("3,600×배").

    Below 1/100 a decimal is hard to read ("1.63e-05×"), so the ratio becomes a fraction with a
    three-digit denominator, as a textbook writes it: "1/61,300" and "6만 1,300분의 1". English
    reads it as "1/61,300 the gradient of ..."; Korean needs no 배 after 분의 1."""
    if x <= 0:
        return "0" + ("배" if lang == "ko" else "×")
    if x < 0.01:
        whole = int(float(f"{1 / x:.3g}"))
        if whole >= 10 ** 12:   # past 조, digits stop helping: "1/(1.06×10²⁸)", "1.06×10²⁸분의 1"
            power = power_text(1 / x, 2)
            return f"{power}분의 1" if lang == "ko" else f"1/({power})"
        return f"{_korean_number(whole)}분의 1" if lang == "ko" else f"1/{whole:,}"
    number = f"{x:.3g}" if x < 100 else f"{x:,.0f}"
    return number + ("배" if lang == "ko" else "×")


def shown_ratio(x: float) -> float:
    """The value fmt_ratio(x) shows, as a number: a verdict read against a threshold (a
    thousandth, a thousand) reads this, so "1/1,000" is never called "under a thousandth"
    (0.000998 is shown as 1/1,000). 0, nan and inf are kept as they are."""
    if not math.isfinite(x) or x <= 0:
        return x
    if x < 0.01:
        whole = float(f"{1 / x:.3g}")
        return 1 / (whole if whole >= 10 ** 12 else int(whole))
    return float(f"{x:.3g}") if x < 100 else float(round(x))


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_text(x: float, decimals: int) -> str:
    """A large number as a textbook prints it: 1.06×10²⁸ (decimals=2)."""
    mantissa, exponent = f"{x:.{decimals}e}".split("e")
    return f"{mantissa}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def _korean_number(n: int) -> str:
    """61300 -> "6만 1,300", 1350000000 -> "13억 5,000만": Korean groups digits by 10^4."""
    parts = []
    for unit, size in (("조", 10**12), ("억", 10**8), ("만", 10**4)):
        if n >= size:
            parts.append(f"{n // size:,}{unit}")
            n %= size
    if n or not parts:
        parts.append(f"{n:,}")
    return " ".join(parts)


def arch_name(code: str) -> str:
    """"resnet50" -> "ResNet-50", "plain56" -> "plain-56", "vgg19" -> "VGG-19"."""
    for prefix, name in (("resnet", "ResNet"), ("plain", "plain"), ("vgg", "VGG")):
        if code.startswith(prefix) and code[len(prefix):].isdigit():
            return f"{name}-{code[len(prefix):]}"
    return code
