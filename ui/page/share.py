"""The sidebar's "link to these settings": the page's own address with its settings, a short
form to read off a projector, and a QR code of it for phones (app.py draws it after the page).

The short form is a code kept in the run store (resnet_core.store.short_links): the same settings
always give the same code, so redrawing the box stores nothing new.
"""

from __future__ import annotations

import html
import logging
from functools import lru_cache

import streamlit as st

from ui.page import links
from ui.page.i18n import t
from ui.server import shared

log = logging.getLogger("resnet_explorer")
QR_SCALE = 4   # pixels per module: a version-3 code is 148 px wide, readable from a classroom's back row


@lru_cache(maxsize=256)
def qr_svg(text: str) -> str:
    """A QR code of `text` as inline SVG (segno, pure Python), black on white with its quiet zone."""
    import segno

    return segno.make(text, error="m").svg_inline(scale=QR_SCALE, dark="#000", light="#fff")


def short_link() -> str:
    """This page's settings as ``http://server:8501/degradation?s=k3fa9x``; "" when the store
    cannot keep the code (the long link still works)."""
    from resnet_core.store import short_links

    base = links.page_address()
    page = st.session_state.get(links._PAGE, "") or "home"
    try:
        code = short_links.shorten(shared.store(), page, links.share_params())
    except Exception:   # a locked or read-only store: the long link is enough
        log.exception("could not store a short link")
        return ""
    return f"{base}?{links.SHORT}={code}"


def box() -> None:
    link = links.share_link()
    if not link:
        return
    # Drawn only once opened: st.code brings the browser a 1.5 MB highlighter to load and parse,
    # which every first visit to every page paid for a box most people never open.
    opened = st.sidebar.expander(t("links.share"), icon=":material/link:", key=links.SHARE_OPEN,
                                 on_change="rerun")
    if not opened.open:
        return
    with opened:
        st.caption(t("links.share_help"))
        st.code(link, language=None, wrap_lines=True)
        short = short_link()
        if short:
            st.caption(t("links.short_help"))
            # Without the scheme: what a student types into the address bar.
            shown = short.split("://", 1)[-1]
            st.markdown(f'<p class="share-short" style="font-size:1.35rem;font-weight:600;'
                        f'font-family:monospace;margin:0 0 .5rem 0;overflow-wrap:anywhere">{html.escape(shown)}</p>'
                        f'<div class="share-qr" title="{html.escape(short)}">{qr_svg(short)}</div>', unsafe_allow_html=True)
