"""The projector view: a switch in the teacher's controls (behind the teacher key) that shows
the page for a room at 1280x720 — large type, the sidebar and the page's input controls folded
away so the result comes first, no label cut short, and figure text at least 14 px
(assets/projector.css, with the width each inline figure carries for it:
ui/draw/canvas.readable_width).

The teacher leaves it with the button at the top of the page, since the sidebar is hidden.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import streamlit as st

from ui.page.i18n import t
from ui.users import teacher_key

KEY = "projector_view"          # the teacher's switch (a widget key in ui/classroom/teacher.py)
_WAS_ON = "_projector_was_on"
_CSS = Path(__file__).resolve().parents[2] / "assets" / "projector.css"


def on() -> bool:
    """This session shows the projector view: the teacher switched it on (the switch exists
    only behind the teacher key)."""
    try:
        if not st.session_state.get(KEY):
            return False
    except Exception:   # no script run context (plain Python, unit tests)
        return False
    return teacher_key.is_teacher()


@cache
def _css() -> str:
    return _CSS.read_text(encoding="utf-8")


def _leave() -> None:
    st.session_state[KEY] = False


def apply() -> None:
    """On a page in the projector view: its stylesheet and the way back, first on the page."""
    if not on():
        if st.session_state.pop(_WAS_ON, False):             # just left: the sidebar comes back
            st.set_page_config(initial_sidebar_state="expanded")
        return
    st.session_state[_WAS_ON] = True
    st.set_page_config(initial_sidebar_state="collapsed")   # its button stays, for the menu
    st.html(f"<style>{_css()}</style>")
    st.button(t("layout.projector.leave"), key="projector_leave", icon=":material/close_fullscreen:",
              on_click=_leave, type="tertiary")


def switch() -> None:
    """The teacher's switch (in the sidebar's teacher box)."""
    st.toggle(t("layout.projector"), key=KEY, help=t("layout.projector.help"))
