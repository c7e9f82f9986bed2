"""Images as inline PNG in HTML: input pictures, activation maps and heat maps, laid out as a grid
of labelled figures, with a colour bar for heat maps.

A picture a page shows on arrival needs no chart library this way (plotly's code is 4.7 MB for
the browser to load and compile, seconds on a classroom laptop). Small pictures (8x8 maps,
16x16 digits) are scaled up by the browser with `image-rendering: pixelated`, so each pixel stays
a sharp square instead of a blur. Colour maps are plotly's, stop for stop, interpolated linearly
in RGBA as plotly draws a heatmap, so the colours match the charts they replace.

    html = pictures.grid([pictures.Cell(pictures.png_uri(rgb), "original")], columns=4)
    st.markdown(html, unsafe_allow_html=True)
"""

from __future__ import annotations

import base64
import io
import math
import re
import zlib
from dataclasses import dataclass
from html import escape

import numpy as np
from PIL import Image

from . import style
from .axes import linear_ticks
from .canvas import readable_width

# plotly's "Viridis" as plotly.py expands the name (plotly.colors.sequential.Viridis, evenly spaced).
VIRIDIS = tuple((i / 9, c) for i, c in enumerate(
    ("#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725")))
TEXT = "#1F2328"
MUTED = "#6B7280"
SMALL = style.FONT_SIZE - 3
# Streamlit's Markdown styles an <img> "object-fit: scale-down", which never enlarges: an 8x8 map
# would stay 8 pixels wide in a 100-pixel box. Of the two renderings, the last a browser knows wins.
PIXELATED = "object-fit:contain;image-rendering:crisp-edges;image-rendering:pixelated"


def rgba_of(colour: str) -> tuple[float, float, float, float]:
    """'#rrggbb', 'rgb(r, g, b)' or 'rgba(r, g, b, a)' -> (r, g, b, a), r g b in 0-255, a in 0-1."""
    if colour.startswith("#"):
        return (*(int(colour[i:i + 2], 16) for i in (1, 3, 5)), 1.0)
    parts = [float(p) for p in re.findall(r"[\d.]+", colour)]
    return (*parts[:3], parts[3] if len(parts) > 3 else 1.0)


def colourise(values: np.ndarray, scale, lo: float, hi: float) -> np.ndarray:
    """(H, W) values -> (H, W, 4) RGBA floats (colours 0-255, alpha 0-1) on `scale` (plotly's
    [[position, colour], ...]) over [lo, hi], clamped at the ends. A range with hi <= lo (a
    constant map) puts every value at the bottom of the scale; NaN is transparent."""
    values = np.asarray(values, dtype=np.float64)
    span = hi - lo if math.isfinite(hi - lo) and hi > lo else 0.0
    pos = np.clip((values - lo) / span, 0, 1) if span else np.zeros_like(values)
    pos = np.nan_to_num(pos, nan=0.0)
    stops = np.array([p for p, _ in scale], dtype=np.float64)
    colours = np.array([rgba_of(c) for _, c in scale], dtype=np.float64)
    out = np.stack([np.interp(pos, stops, colours[:, k]) for k in range(4)], axis=-1)
    out[~np.isfinite(values)] = 0.0
    return out


def rgb8(image: np.ndarray) -> np.ndarray:
    """An image in [0, 1], (H, W), (H, W, 1) or (H, W, 3) -> (H, W, 3) uint8; grey repeated to
    three channels, out-of-range values clipped, NaN black."""
    image = np.nan_to_num(np.asarray(image, dtype=np.float64), nan=0.0)
    if image.ndim == 2:
        image = image[..., None]
    if image.shape[-1] == 1:
        image = np.repeat(image, 3, axis=-1)
    return (np.clip(image, 0, 1) * 255).round().astype(np.uint8)


def heat8(values: np.ndarray, scale, lo: float, hi: float) -> np.ndarray:
    """A heat map as an (H, W, 4) uint8 RGBA picture."""
    rgba = colourise(values, scale, lo, hi)
    rgba[..., 3] *= 255
    return rgba.round().astype(np.uint8)


def overlay(base: np.ndarray, values: np.ndarray, scale, opacity: float, lo: float = 0.0,
            hi: float = 1.0) -> np.ndarray:
    """A heat map laid over a (H, W, 3) uint8 picture at `opacity` (times each colour's own
    alpha), as a semi-transparent plotly heatmap over an image: (H, W, 3) uint8."""
    rgba = colourise(values, scale, lo, hi)
    weight = np.clip(opacity, 0, 1) * rgba[..., 3:]
    return (base * (1 - weight) + rgba[..., :3] * weight).round().astype(np.uint8)


def png_uri(pixels: np.ndarray) -> str:
    """(H, W), (H, W, 3) or (H, W, 4) uint8 -> a data URI of a PNG, lossless."""
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def number(v: float) -> str:
    """A colour-bar value: three significant digits, no exponent for everyday sizes; a dash for
    a value that is not a number."""
    if not math.isfinite(v):
        return "–"
    if v == 0:
        return "0"
    return f"{v:.3g}" if 1e-3 <= abs(v) < 1e5 else f"{v:.2e}"


def inner_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round values strictly between lo and hi (the axes' ticks, axes.linear_ticks), none so
    close to an end that its label would overlap the end's."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return []
    margin = 0.12 * (hi - lo)
    return [v for v in linear_ticks(lo, hi, count) if lo + margin < v < hi - margin]


def colour_bar(scale, lo: float, hi: float, title: str, *, width: int = 320) -> str:
    """A horizontal colour bar as SVG: the title above, the scale's gradient (stop for stop, so
    the browser interpolates it as the pictures are coloured), min and max at the ends and round
    values between. Transparent stops show over a chequer, as they would over a picture."""
    lo, hi = (float(lo), float(hi)) if math.isfinite(lo) and math.isfinite(hi) else (0.0, 0.0)
    x0, x1, top, bar = 8, width - 8, 24, 14
    stops = "".join(f'<stop offset="{p:.4f}" stop-color="rgb({r:.0f},{g:.0f},{b:.0f})" stop-opacity="{a:.3f}"/>'
                    for p, c in scale for r, g, b, a in [rgba_of(c)])
    key = zlib.crc32(repr((scale, width)).encode())   # one id per scale: the same bar twice is the same definition
    ticks = [(lo, "start"), *((v, "middle") for v in inner_ticks(lo, hi)), (hi, "end")] if hi > lo else [(lo, "start")]
    labels = "".join(
        f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + bar}" y2="{top + bar + 4}" stroke="{MUTED}"/>'
        f'<text x="{x:.1f}" y="{top + bar + 16}" text-anchor="{anchor}" font-size="{SMALL}" fill="{MUTED}">'
        f'{escape(number(v))}</text>'
        for v, anchor in ticks for x in [x0 + (x1 - x0) * ((v - lo) / (hi - lo) if hi > lo else 0)])
    tip = f"{title}: {number(lo)} – {number(hi)}"
    room = readable_width(width, [f'font-size="{SMALL}"'])   # 11 px on a phone, 14 px on a projector
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {top + bar + 22}" role="img" '
            f'aria-label="{escape(tip)}" class="rx-colour-bar" data-min="{lo!r}" data-max="{hi!r}" '
            f'style="display:block;width:100%;max-width:{width}px;height:auto;margin:4px auto 0;'
            f'{room}'
            f'font-family:{escape(style.FONT_FAMILY)}"><title>{escape(tip)}</title>'
            f'<defs><linearGradient id="rx-bar-{key}">{stops}</linearGradient>'
            f'<pattern id="rx-chk-{key}" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" fill="#fff"/><rect width="4" height="4" fill="#ddd"/>'
            f'<rect x="4" y="4" width="4" height="4" fill="#ddd"/></pattern></defs>'
            f'<text x="{width / 2}" y="{top - 8}" text-anchor="middle" font-size="{SMALL}" fill="{TEXT}">'
            f'{escape(title)}</text>'
            f'<rect x="{x0}" y="{top}" width="{x1 - x0}" height="{bar}" fill="url(#rx-chk-{key})"/>'
            f'<rect x="{x0}" y="{top}" width="{x1 - x0}" height="{bar}" fill="url(#rx-bar-{key})" '
            f'stroke="{MUTED}" stroke-width="0.5"/>{labels}</svg>')


@dataclass(frozen=True)
class Cell:
    src: str            # a data URI (png_uri)
    caption: str = ""   # under the picture; none when empty
    tip: str = ""       # shows when the pointer rests on the picture; also its alt text


def figure(cell: Cell, *, max_px: int | None = None) -> str:
    """One <figure>: the picture as wide as its slot (at most `max_px`), pixels kept square and sharp."""
    limit = f"max-width:{max_px}px;" if max_px else ""
    tip = escape(cell.tip or cell.caption)
    caption = (f'<figcaption style="font-size:{SMALL}px;color:{MUTED};text-align:center;line-height:1.2;'
               f'margin-top:2px">{escape(cell.caption)}</figcaption>') if cell.caption else ""
    return (f'<figure style="margin:0;min-width:0;text-align:center">'
            f'<img src="{cell.src}" alt="{tip}" title="{tip}" style="display:block;width:100%;{limit}'
            f'height:auto;margin:0 auto;{PIXELATED}">{caption}</figure>')


def grid(cells: list[Cell], columns: int, *, max_px: int | None = None, gap: int = 4, footer: str = "") -> str:
    """Figures in rows of `columns`, each column an equal share of the width; `footer` (a colour
    bar, say) below them. One line of HTML: a blank line would end Markdown's HTML block."""
    columns = max(1, min(columns, len(cells) or 1))
    width = f"max-width:{columns * (max_px + gap)}px;" if max_px else ""
    body = "".join(figure(c, max_px=max_px) for c in cells)
    return (f'<div class="rx-pictures" style="margin:0 auto 0.5rem;{width}">'
            f'<div style="display:grid;grid-template-columns:repeat({columns},minmax(0,1fr));gap:{gap}px">'
            f'{body}</div>{footer}</div>')


def table(column_titles: list[str], rows: list[tuple[str, str, list[Cell]]], *, footer: str = "") -> str:
    """Figures in a table: a title over each column, a label (in its own colour) before each row,
    e.g. one row per net and one column per method."""
    cols = len(column_titles)
    head = "<div></div>" + "".join(
        f'<div style="text-align:center;font-size:{SMALL + 1}px;color:{TEXT};font-weight:600">{escape(title)}</div>'
        for title in column_titles)
    body = "".join(
        f'<div style="align-self:center;font-weight:700;color:{colour};font-size:{SMALL + 1}px;'
        # Sideways: Hangul would otherwise stand upright in vertical text and, turned, read upside down.
        f'writing-mode:vertical-rl;text-orientation:sideways;transform:rotate(180deg);white-space:nowrap">'
        f'{escape(label)}</div>'
        + "".join(figure(c) for c in cells)
        for label, colour, cells in rows)
    return (f'<div class="rx-pictures" style="margin:0 auto 0.5rem">'
            f'<div style="display:grid;grid-template-columns:auto repeat({cols},minmax(0,1fr));gap:6px">'
            f'{head}{body}</div>{footer}</div>')


def matrix(src: str, row_labels: list[str], column_labels: list[str], x_title: str, *,
           cell_px: int = 60, tip: str = "") -> str:
    """One picture whose pixels are the cells of a table (a colour swatch each): row labels on
    its left, column labels under it, both spaced as the pixels are, and a title under those."""
    cols = len(column_labels)
    label = f'font-size:{SMALL}px;color:{MUTED};display:flex;align-items:center;justify-content:center'
    left = "".join(f'<div style="flex:1;{label};justify-content:flex-end;padding-right:6px">{escape(r)}</div>'
                   for r in row_labels)
    under = "".join(f'<div style="flex:1;{label}">{escape(c)}</div>' for c in column_labels)
    tip = escape(tip or x_title)
    return (f'<div class="rx-pictures" style="margin:0 auto 0.5rem;max-width:{cols * cell_px + 60}px;'
            f'display:grid;grid-template-columns:auto minmax(0,1fr)">'
            f'<div style="display:flex;flex-direction:column">{left}</div>'
            f'<figure style="margin:0;min-width:0"><img src="{src}" alt="{tip}" title="{tip}" '
            f'style="display:block;width:100%;height:auto;{PIXELATED}"></figure>'
            f'<div></div><div style="display:flex;margin-top:2px">{under}</div>'
            f'<div></div><div style="text-align:center;font-size:{SMALL}px;color:{TEXT};margin-top:2px">'
            f'{escape(x_title)}</div></div>')
