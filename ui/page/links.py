"""Setup by link: every kept widget's value rides in the page's address, so a teacher copies one
link and every student opens the same settings.

    /degradation?dataset=digits&steps=600&seed=3

Nothing per page: ``keep(key)`` (ui/page/state.py) calls ``sync(key)`` just before its widget is made.
A value in the link that this session has not applied yet is written into the widget's state
(so the widget opens with it, as with a Home preset); otherwise the widget's current value is
written back to the address, which therefore always describes the page as it is. The name in
the address is the widget key without its page prefix (``degradation_steps`` -> ``steps``);
``lang``, ``u`` and ``n`` belong to the language and the user and are never settings.

A link value the page cannot take never shows a traceback: a widget that quietly replaces it by
its default (an option that no longer exists) is noticed after the page has run (``report``);
a widget that raises (a number out of range, a word where a switch is expected) is caught by
``guard()``, which calls ``recover``: the value is dropped and the page runs again with the
default. A widget given its value through the session state passes it on unchecked (a slider
given ``[1,2]`` becomes a range, given ``true`` returns True): the widget's own conversion
judges it (``streamlit_internals.widget_takes``), after the run, or when the page's code failed
on it. Either way a message names the setting and the value.

Values are written as JSON (``600``, ``true``, ``0.1``, ``[1,2]``); a word is written bare
(``digits``), and only quoted when it would otherwise read as something else (``"600"``).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import streamlit as st

from ui.page.i18n import t
from ui.server import shared, streamlit_internals

log = logging.getLogger("resnet_explorer")

RESERVED = frozenset({"lang", "u", "n"})   # ui.page.i18n and ui.users.identity own these
MAX_CHARS = 200                              # a longer value is not a setting worth a link
_SEEN = "_links_seen"        # widget key -> address value last applied or written
_APPLIED = "_links_applied"  # widget key -> address value applied in this run
_NOTES = "_links_notes"      # messages for the next run (after a rerun that dropped a value)
_PREFIX = "_links_prefix"    # the current page's widget prefix, e.g. "gap_fc_"
_KEPT = "_links_kept"        # widget keys kept in this run (a dict used as an ordered set)
_PAGE = "_links_page"        # the current page's url_path
_HELD = "_links_held"        # address name -> value the widget takes on every run (a follower)
SHARE_OPEN = "_links_share_open"   # the sidebar share box: open or not (its contents are drawn only when open)


def encode(value) -> str | None:
    """The address form of a widget value, or None when it has none (not JSON, too long)."""
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, str):
        try:
            looks_like_json = json.loads(value) != value
        except ValueError:
            looks_like_json = False
        text = json.dumps(value, ensure_ascii=False) if looks_like_json or value == "" else value
    else:
        try:
            text = json.dumps(value, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
        except (TypeError, ValueError):
            return None
    return text if len(text) <= MAX_CHARS else None


def decode(text: str):
    """The widget value an address value stands for (see ``encode``)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _state():
    """(session_state, query_params), or None outside a running page (plain Python, unit tests)."""
    try:
        from ui.server.streamlit_internals import script_running

        if not script_running():
            return None
        return st.session_state, st.query_params
    except Exception:
        return None


def begin(page: str) -> None:
    """A page run starts (``presets.apply`` calls this): note the page's prefix and show what
    the previous run had to drop."""
    from ui.page import nav

    file = nav.file_of(page) if nav.exists(page) else page.replace("-", "_")
    ss = st.session_state
    ss[_PREFIX] = Path(file).stem.replace("-", "_") + "_"   # pages/gap-fc.py keeps gap_fc_* widgets
    ss[_PAGE] = page
    ss[_APPLIED] = {}
    ss[_KEPT] = {}
    for note in ss.pop(_NOTES, []):
        st.toast(note, icon=":material/link_off:")


def param_of(key: str, prefix: str | None = None) -> str:
    """The address name of a widget key: the key without the page prefix, unless that would
    clash with the language or the user."""
    if prefix is None:
        prefix = st.session_state.get(_PREFIX, "")
    short = key[len(prefix):] if prefix and key.startswith(prefix) else key
    return key if not short or short in RESERVED else short


def hold(settings: dict[str, str]) -> None:
    """Settings (address name -> value) that this run's widgets take even when the session has
    seen them already: a follower's page holds the teacher's settings against the value the
    student's widget still had (ui/users/follow.py). Empty: the session's own values rule."""
    state = _state()
    if state is not None:
        state[0][_HELD] = dict(settings)


def sync(key: str) -> None:
    """Just before the widget `key` is made: take a new value from the address, or write the
    widget's value to it."""
    state = _state()
    if state is None:
        return
    ss, qp = state
    name = param_of(key)
    if name != key and name not in qp and key in qp:
        # A link made while GAP vs FC's settings went by their whole key (gap_fc_channels=):
        # read under the short name, which the address takes from now on.
        qp[name] = qp[key]
        del qp[key]
    raw = qp.get(name)
    seen = ss.setdefault(_SEEN, {})
    # A dict, not a list: a fragment rerunning every second would otherwise grow it forever.
    ss.setdefault(_KEPT, {})[key] = None
    held = raw is not None and ss.get(_HELD, {}).get(name) == raw and (key not in ss or encode(ss[key]) != raw)
    if raw is not None and (raw != seen.get(key) or held):
        if decode(raw) is None:
            # No kept widget ever has an empty value (tests/test_links.py checks every page), so
            # no link of the app says ``null``; a widget given it would stay empty for the page.
            st.toast(_drop(ss, qp, key, raw), icon=":material/link_off:")
            return
        seen[key] = raw
        ss[key] = decode(raw)
        ss.setdefault(_APPLIED, {})[key] = raw
        return
    if key not in ss:
        return      # never drawn yet: its default, which a link need not carry
    text = encode(ss[key])
    if text is None:
        if name in qp:
            del qp[name]
        return
    if raw != text:
        qp[name] = text
    seen[key] = text


def _drop(ss, qp, key: str, raw: str) -> str:
    name = param_of(key)
    if name in qp and qp.get(name) == raw:
        del qp[name]
    ss.get(_SEEN, {}).pop(key, None)
    log.info("link value %s=%s not usable on this page", name, raw)
    return t("links.rejected", name=name, value=raw)


def report() -> None:
    """After the page has run (app.py): a link value that a widget replaced by its default is
    named in a message, and the address gets every setting's current value."""
    state = _state()
    if state is None:
        return
    ss, qp = state
    seen = ss.setdefault(_SEEN, {})
    refused = []
    for key, raw in (ss.get(_APPLIED) or {}).items():
        if key in ss and ss[key] != decode(raw):
            st.toast(_drop(ss, qp, key, raw), icon=":material/link_off:")
        elif key in ss and streamlit_internals.widget_takes(key, ss[key]) is False:
            refused.append((key, raw))   # the page ran with it, but its widget would not give it back
    ss[_APPLIED] = {}
    if refused:
        for key, raw in refused:
            ss.pop(key, None)
            ss.setdefault(_NOTES, []).append(_drop(ss, qp, key, raw))
        st.rerun()   # the widgets show their defaults, and the next run names what was dropped
    # Widgets drawn for the first time in this run (a new page, or one a setting revealed) have
    # their values only now: the address then describes the whole page, not just what changed.
    for key in ss.get(_KEPT, {}):
        text = encode(ss[key]) if key in ss else None
        if text is not None and qp.get(param_of(key)) != text:
            qp[param_of(key)] = text
            seen[key] = text


def recover(exc: BaseException) -> bool:
    """A page failed (``guard()``): if a widget given a value from the link raised, drop that
    value, keep a message for the next run and return True (the caller reruns the page)."""
    state = _state()
    if state is None:
        return False
    ss, qp = state
    applied = ss.get(_APPLIED) or {}
    key = _failing_key(exc, applied)
    # Else the page's code failed on a value its widget passed on unchecked: each value that its
    # widget would not give back goes. None of them: the failure is the page's own, and shows.
    keys = [key] if key is not None else [k for k, raw in applied.items()
                                         if streamlit_internals.widget_takes(k, decode(raw)) is False]
    for key in keys:
        raw = applied.pop(key)
        ss.pop(key, None)
        ss.setdefault(_NOTES, []).append(_drop(ss, qp, key, raw))
    return bool(keys)


def _failing_key(exc: BaseException, applied: dict) -> str | None:
    """The widget key of the innermost frame that was making a widget given a link value:
    every Streamlit widget function has its key as a local named ``key``."""
    tb, keys = exc.__traceback__, []
    while tb is not None:
        value = tb.tb_frame.f_locals.get("key")
        if isinstance(value, str) and value in applied:
            keys.append(value)
        tb = tb.tb_next
    return keys[-1] if keys else None


def page_address() -> str:
    """This page's own address, without its query: ``http://server:8501/degradation``.

    Streamlit 1.67's ``st.context.url`` already ends with the page's path (older versions gave
    the app's root): the path is taken off, if there, and put back once, so the address is right
    with either (a doubled ``/degradation/degradation`` serves a blank page)."""
    page = st.session_state.get(_PAGE, "")
    url = (st.context.url or "").rstrip("/")   # None without a browser (AppTest): a relative link
    for known in (page, "home"):
        if known and url.endswith("/" + known):
            url = url[: -len(known) - 1]
            break
    return (url + ("" if page in ("", "home") else "/" + page)) or "/"


def share_params() -> list[tuple[str, str]]:
    """This page's settings and language as (name, value) pairs, without the user's id and name
    (the id would make every student the teacher)."""
    qp = st.query_params
    items = [(k, v) for k, v in qp.to_dict().items() if k not in ("u", "n", SHORT)]
    if "lang" not in qp:
        from ui.page.i18n import lang

        items.insert(0, ("lang", lang()))
    return items


def share_link() -> str:
    """This page's address with its settings and language: the link a teacher hands out."""
    from urllib.parse import urlencode

    if _state() is None:
        return ""
    return f"{page_address()}?{urlencode(share_params())}"


SHORT = "s"   # the address name of a short link's code (resnet_core.store.short_links)


def open_short() -> None:
    """A short link (``/degradation?s=k3fa9x``) is replaced by the settings it stands for, and
    the page runs again with them (app.py calls this before the page runs). An unknown code is
    named in a message and the page opens with its defaults."""
    state = _state()
    if state is None:
        return
    ss, qp = state
    code = qp.get(SHORT)
    if code is None:
        return
    from resnet_core.store import short_links

    del qp[SHORT]
    found = short_links.expand(shared.store(), code)
    if found is None:
        ss.setdefault(_NOTES, []).append(t("links.short_unknown", code=code[:20]))
        return
    for name, value in found[1]:
        if name not in ("u", "n", SHORT):
            qp[name] = value
    st.rerun()   # the language and the navigation's titles follow the link from the first draw
