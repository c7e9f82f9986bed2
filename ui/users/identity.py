"""Who the user is: an owner id kept in the URL, an optional display name, and how the class
sees who started a run.

Each browser gets an owner id of 64 random bits kept in the URL (``?u=...``), so a reload or a
bookmark keeps the user's runs and nobody can guess another's. The class view never shows ids:
a display name (``?n=``) when the owner gave one, else "student 3", numbered by their first
run. There are no accounts: an id is a bearer token, like a private link.
"""

from __future__ import annotations

import re
import secrets

import streamlit as st

from resnet_core.classroom import class_state
from resnet_core.store.runs import RunInfo
from ui.server.shared import store

from ui.page.i18n import t

_OWNER_KEY = "_runs_owner"
_NAME_KEY = "_runs_name"
# Made here: 16 hex digits, 64 random bits. Taken from a URL: any id of this shape, so bookmarks
# from before the longer ids keep working; one a student picks by hand is only theirs to lose.
OWNER_RE = re.compile(r"^[a-z0-9]{4,64}$")
OWNER_BYTES = 8
NAME_MAX = 24
LEAD = "teacher_owner"   # the class state's key for the teacher's owner id (ui/users/follow.py publishes it)


def owner() -> str:
    """This browser's owner id: from the URL when it has one (a reload, a bookmark), else made
    once per session; written back to the URL so the next reload keeps it."""
    from_url = st.query_params.get("u", "")
    uid = from_url if valid_owner(from_url) else st.session_state.get(_OWNER_KEY)
    if not uid:
        uid = new_owner()
    st.session_state[_OWNER_KEY] = uid
    if from_url != uid:
        st.query_params["u"] = uid
    name = st.query_params.get("n")
    if name is not None and _NAME_KEY not in st.session_state:
        st.session_state[_NAME_KEY] = clean_name(name)
    return uid


def valid_owner(uid: str | None) -> bool:
    return bool(uid) and OWNER_RE.match(uid) is not None


def new_owner() -> str:
    return secrets.token_hex(OWNER_BYTES)


def who(info: RunInfo) -> str:
    """Who started a run, for the class to read: "you", the name they gave, "command line"
    for a run recorded by the CLI without an owner, or "student 3"; never the owner id (an id
    in view is an identity anyone can take)."""
    if info.owner == owner():
        return t("runs.you")
    if info.owner and is_lead(info.owner):
        return t("lecture.teacher")
    return class_name(info)


def is_lead(owner_id: str) -> bool:
    """Whether `owner_id` is the teacher's (the class then reads "the teacher", not a number):
    the teacher's page publishes its owner id for the followers (ui/users/follow.py)."""
    return bool(owner_id) and class_state().get(LEAD) == owner_id


def class_name(info: RunInfo) -> str:
    """Whose run it is as the whole class reads it, the same for every viewer (so a list shared
    by everyone can carry it): the name given, "command line", or "student 3"."""
    if info.display_name:
        return info.display_name
    if not info.owner:
        return t("runs.cli")
    return t("runs.student", n=_owner_number(info.owner) or "?")


@st.cache_data(ttl=30, max_entries=512, show_spinner=False)
def _owner_number(uid: str) -> int:
    return store().owner_number(uid)


def clean_name(text: str) -> str:
    """A display name: printable, one line, at most NAME_MAX characters."""
    text = " ".join("".join(ch for ch in str(text) if ch.isprintable()).split())
    return text[:NAME_MAX]


def display_name() -> str:
    return st.session_state.get(_NAME_KEY, "")


def identity_box(prefix: str) -> str:
    """The sidebar's "your name" field (optional) and the owner id; returns the owner id.
    `prefix` is the page's widget prefix."""
    uid = owner()
    key = f"{prefix}_display_name"
    if key not in st.session_state:
        st.session_state[key] = display_name()

    def changed() -> None:
        name = clean_name(st.session_state.get(key, ""))
        st.session_state[_NAME_KEY] = name
        if name:
            st.query_params["n"] = name
        elif "n" in st.query_params:
            del st.query_params["n"]

    st.sidebar.text_input(t("runs.name"), max_chars=NAME_MAX, key=key, on_change=changed,
                          placeholder=t("runs.name_placeholder"), help=t("runs.name_help"))
    st.sidebar.caption(t("runs.owner_id", uid=uid))
    return uid


def scope_toggle(prefix: str) -> bool:
    """"Show the class's runs too"; False: only this browser's runs."""
    return st.toggle(t("runs.show_class"), key=f"{prefix}_show_class", help=t("runs.show_class_help"))
