"""Figures on a page: the drawings of ui/draw, built once for the whole server and shown with
their phone arrangement and the page's layout rules.

    svg = figures.cached(("gradients-init", cfg, seed), lambda: profile_chart(...))
    figures.show(svg, [narrow, ...])

The renderers in ui/draw take their text as arguments (ui.page.i18n.words); here the page's language
is added to every cache key, so a Korean page never gets the English drawing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from resnet_core.lru import LRU

from ui.page.i18n import lang

_CSS = Path(__file__).resolve().parents[2] / "assets" / "layout.css"

# key -> SVG text. A class opening a page together, or 60 browsers rerunning a live fragment about
# once a second, would otherwise each draw the same chart again.
_BUILT: LRU[tuple, str] = LRU(256)


def cached(key: tuple, build: Callable[[], str]) -> str:
    """`build()` once per key and language for the whole server; equal keys must mean equal
    charts. One drawing serves every view: the projector's sizes come from its stylesheet
    (ui/draw/canvas.readable_width)."""
    return _BUILT.get_or_make(tuple(key) + (lang(),), build)


def show(wide: str, narrow: list[str] = (), place=None) -> None:
    """An SVG figure on the page; with `narrow`, the same figure rearranged for a phone (panels
    stacked rather than side by side), shown instead at a screen at most PHONE_PX wide
    (assets/layout.css). Each is its own element, so the wide one stays a single <svg>."""
    place = place or st
    if not narrow:
        place.markdown(wide, unsafe_allow_html=True)
        return
    place.markdown(wide.replace("<svg ", '<svg class="rx-wide" ', 1), unsafe_allow_html=True)
    place.markdown(f'<div class="rx-narrow">{"".join(narrow)}</div>', unsafe_allow_html=True)


def with_download(container, svg: str, label: str, file_name: str, key: str) -> None:
    """The SVG, and under it a small button (`label`) that saves it as `file_name`.svg; the file
    is made only when clicked, and the click does not rerun the page."""
    container.markdown(svg, unsafe_allow_html=True)
    container.download_button(label, lambda: svg, file_name=f"{file_name}.svg", mime="image/svg+xml", key=key,
                              on_click="ignore", type="tertiary", icon=":material/download:")


@functools.cache
def _css() -> str:
    return _CSS.read_text(encoding="utf-8")


def page_css() -> None:
    """The layout rules for phones and the projector (assets/layout.css) on this page; a style
    element alone takes no room on the page."""
    st.html(f"<style>{_css()}</style>")
