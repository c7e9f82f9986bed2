"""The teacher's controls in the sidebar, behind a key: stop any run, clear the queue, pause new
runs with a message to the class, start a fresh class store.

The key is set on the server, never in the page: ``RESNET_EXPLORER_TEACHER_KEY`` or
``teacher_key`` in ``.streamlit/secrets.toml``. Without one the controls do not exist at all.
The teacher types it once per browser session into a password field; the session keeps only a
digest of it (not the key), nothing puts it in the URL, and nothing logs it. Guessing is slow:
every check, right or wrong, from any session, waits for the one before it plus MIN_INTERVAL
seconds, and each wrong key locks that session out for twice as long as the last.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time

import streamlit as st

from resnet_core import settings

from . import runs
from .i18n import t

KEY_ENV = settings.teacher_key.env
MIN_INTERVAL = 1.0        # seconds between two key checks on the whole server
FIRST_DELAY = 2.0         # a session's lock-out after its first wrong key; doubles each time
MAX_DELAY = 300.0
# The clock the lock-outs are timed by (tests put a clock they move by hand).
clock, sleep = time.monotonic, time.sleep
_OK = "_teacher_digest"        # session: digest of the key that unlocked it
_FAILS = "_teacher_failures"   # session: wrong keys so far
_UNTIL = "_teacher_locked_until"
_MSG = "_teacher_feedback"
_INPUT = "teacher_key_input"

_check_lock = threading.Lock()
_last_check = [0.0]


def configured_key() -> str:
    """The teacher key of this server, "" when none is set."""
    key = settings.teacher_key()
    if key:
        return key
    try:
        return str(st.secrets.get("teacher_key", "") or "")
    except Exception:   # no secrets file: Streamlit raises rather than returning nothing
        return ""


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def is_teacher() -> bool:
    """This session entered the key the server has now (a changed key locks everyone out)."""
    key = configured_key()
    held = st.session_state.get(_OK)
    return bool(key) and held is not None and hmac.compare_digest(held, _digest(key))


def check_key(given: str) -> str:
    """Check a typed key for this session: "ok", "wrong" or "wait" (locked out, not checked)."""
    now = clock()
    until = st.session_state.get(_UNTIL, 0.0)
    if now < until:
        return "wait"
    with _check_lock:   # one check at a time on the whole server, at most one per MIN_INTERVAL
        pause = _last_check[0] + MIN_INTERVAL - clock()
        if pause > 0:
            sleep(pause)
        key = configured_key()
        right = bool(key) and hmac.compare_digest(given.encode(), key.encode())
        _last_check[0] = clock()
    if right:
        st.session_state[_OK] = _digest(key)
        st.session_state[_FAILS] = 0
        return "ok"
    fails = st.session_state.get(_FAILS, 0) + 1
    st.session_state[_FAILS] = fails
    st.session_state[_UNTIL] = clock() + min(MAX_DELAY, FIRST_DELAY * 2 ** (fails - 1))
    return "wrong"


def _on_submit() -> None:
    given = st.session_state.get(_INPUT, "")
    st.session_state[_INPUT] = ""          # the key does not stay in the widget
    outcome = check_key(given) if given else "empty"
    if outcome == "wait":
        left = max(1, round(st.session_state.get(_UNTIL, 0.0) - clock()))
        st.session_state[_MSG] = ("warning", t("teacher.wait", n=left))
    elif outcome == "wrong":
        st.session_state[_MSG] = ("error", t("teacher.wrong"))
    elif outcome == "ok":
        st.session_state[_MSG] = ("success", t("teacher.unlocked"))
    else:
        st.session_state.pop(_MSG, None)


def _feedback(box) -> None:
    kind, text = st.session_state.pop(_MSG, (None, None))
    if kind:
        getattr(box, kind)(text)


def sidebar() -> None:
    """The teacher's box at the foot of the sidebar (students see a pause at the top of the
    page: ui/class_state.py)."""
    if not configured_key():
        return
    r = runs.runner()
    teacher = is_teacher()
    with st.sidebar.expander(t("teacher.title"), icon=":material/school:", expanded=False):
        if not teacher:
            with st.form("teacher_unlock", clear_on_submit=False, border=False):
                st.text_input(t("teacher.key"), type="password", key=_INPUT, autocomplete="off")
                st.form_submit_button(t("teacher.unlock"), on_click=_on_submit)
            _feedback(st)
            return
        _feedback(st)
        from . import teacher_controls

        teacher_controls.draw(r)
