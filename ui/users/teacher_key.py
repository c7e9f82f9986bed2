"""The teacher's key: whether this session is the teacher's, checked on the server.

The key is set on the server, never in the page: ``RESNET_EXPLORER_TEACHER_KEY`` or
``teacher_key`` in ``.streamlit/secrets.toml``. Without one the controls do not exist at all.
The teacher types it once per browser session into a password field (ui/classroom/teacher.py); the session keeps only a
digest of it (not the key), nothing puts it in the URL, and nothing logs it. Guessing is slow:
every check, right or wrong, from any session, waits for the one before it plus MIN_INTERVAL
seconds, and each wrong key locks that session out for twice as long as the last.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time

import streamlit as st

from resnet_core import settings

KEY_ENV = settings.teacher_key.env
MIN_INTERVAL = 1.0        # seconds between two key checks on the whole server
FIRST_DELAY = 2.0         # a session's lock-out after its first wrong key; doubles each time
MAX_DELAY = 300.0
# The clock the lock-outs are timed by (tests put a clock they move by hand).
clock, sleep = time.monotonic, time.sleep
_OK = "_teacher_digest"        # session: digest of the key that unlocked it
_FAILS = "_teacher_failures"   # session: wrong keys so far
_UNTIL = "_teacher_locked_until"

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


def locked_for() -> float:
    """Seconds this session must still wait before its next try (0 when it may try now)."""
    return max(0.0, st.session_state.get(_UNTIL, 0.0) - clock())
