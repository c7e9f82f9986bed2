"""Korean and English text for every page: one table built from assets/i18n/*.json.

Each file maps a key to {"en": ..., "ko": ...}. Pages call ``t("home.title")``; option widgets
keep stable codes as their values and translate only the label with ``label_of("prefix")``, so
switching language never changes what the user chose.

The current language lives in ``st.session_state["lang"]`` (a plain key, not a widget key, so
Streamlit never cleans it up when a page changes). It is chosen once per session: ``?lang=ko`` or
``?lang=en`` in the URL first, then the browser's locale (``st.context.locale``), then English;
the toggle changes it. The address always names it (``init_lang``), so a reload keeps it.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Callable

import streamlit as st

from resnet_core import text as catalog_text

from ui.draw.words import Words

LANGS = ("ko", "en")
LANG_NAMES = {"ko": "한국어", "en": "English"}
DEFAULT_LANG = "en"
I18N_DIR = Path(__file__).resolve().parents[2] / "assets" / "i18n"

_STATE_KEY = "lang"              # the session's language (plain session key)
_URL_SEEN_KEY = "_lang_from_url"  # the last ?lang= value applied, so a toggle is not undone
_TOGGLE_KEY = "app_lang_toggle"   # the sidebar widget
# The language a format_func made by in_run_language speaks while it runs (None: the session's).
_SPOKEN: ContextVar[str | None] = ContextVar("spoken_language", default=None)


def load_files(folder: Path = I18N_DIR) -> dict[str, dict[str, dict[str, str]]]:
    """Each JSON file's entries, by file name; the raw material the tests check."""
    out = {}
    for path in sorted(folder.glob("*.json")):
        with path.open(encoding="utf-8") as f:
            out[path.name] = json.load(f)
    return out


@lru_cache(maxsize=1)
def table() -> dict[str, dict[str, str]]:
    """All keys of all files merged (read once per process; the files ship with the app)."""
    merged: dict[str, dict[str, str]] = {}
    for entries in load_files().values():
        merged.update(entries)
    return merged


def lang() -> str:
    """The current language code, "ko" or "en"; English outside a running page."""
    spoken = _SPOKEN.get()
    if spoken:
        return spoken
    try:
        value = st.session_state.get(_STATE_KEY, DEFAULT_LANG)
    except Exception:   # no script run context (plain Python, unit tests)
        return DEFAULT_LANG
    return value if value in LANGS else DEFAULT_LANG


def set_lang(code: str) -> None:
    """Switch the session's language; the sidebar toggle follows on the next run."""
    if code not in LANGS:
        raise ValueError(f"language must be one of {', '.join(LANGS)} (got {code!r})")
    st.session_state[_STATE_KEY] = code


def t(key: str, **fmt) -> str:
    """The text for `key` in the current language, formatted with `fmt`.

    Sources ("{src:he2015.table3}") and Korean particles after a value ("{time}{이/가}") are
    resolved too (resnet_core.text.render). A missing key shows the key itself, so a page still renders and the gap is easy to spot
    (tests/test_i18n.py fails on any literal key missing from the table).
    """
    entry = table().get(key)
    if entry is None:
        return key
    code = lang() if entry.get(lang()) else DEFAULT_LANG
    text = entry.get(code) or key
    return catalog_text.render(text, code, **fmt)


def words(keys) -> Words:
    """The sentences of `keys` in the current language, for a renderer of ui/draw (which takes
    its text as an argument and never calls t()): ``outline.architecture(d, words=words(outline.WORDS))``."""
    return _words(lang(), tuple(keys))


@lru_cache(maxsize=256)
def _words(code: str, keys: tuple[str, ...]) -> Words:
    texts = {}
    for key in keys:
        entry = table().get(key, {})
        texts[key] = entry.get(code) or entry.get(DEFAULT_LANG) or key
    return Words(code, texts)


def in_run_language(format_func: Callable[[object], str]) -> Callable[[object], str]:
    """`format_func`, speaking the language of the run that made it wherever it is called later.

    Streamlit formats a widget's options inside the page's run. A test's AppTest also formats the
    value it sets, after the run and outside any session, where t() speaks English: on a Korean
    page the English label is not among the options, and the choice cannot be made. Every
    format_func that translates goes through this (label_of does).
    """
    code = lang()

    def spoken(value: object) -> str:
        token = _SPOKEN.set(code)
        try:
            return format_func(value)
        finally:
            _SPOKEN.reset(token)
    return spoken


def label_of(prefix: str) -> Callable[[object], str]:
    """A ``format_func`` for option codes: code ``c`` is shown as ``t(f"{prefix}.{c}")``, in the
    language of the run that calls this.

    >>> st.radio(t("build.block"), ["basic", "bottleneck"], format_func=label_of("block"))
    """
    return in_run_language(lambda code: t(f"{prefix}.{code}"))


def _browser_lang() -> str:
    try:
        locale = st.context.locale or ""
    except Exception:
        locale = ""
    return "ko" if locale.lower().startswith("ko") else DEFAULT_LANG


def init_lang() -> None:
    """Pick the session's language before anything is drawn (app.py calls this first).

    A ?lang= value is applied when it is new, so a later click on the toggle wins until the
    URL changes again; without one, the first run takes the browser's locale. The language is
    then written back to the address on every page, as the user's id is: a page reached by the
    menu and a reload keep the language the user picked, where a reload would otherwise fall
    back to the browser's locale.
    """
    from_url = st.query_params.get("lang")
    if from_url in LANGS and from_url != st.session_state.get(_URL_SEEN_KEY):
        set_lang(from_url)
    elif _STATE_KEY not in st.session_state:
        set_lang(_browser_lang())
    current = lang()
    st.session_state[_URL_SEEN_KEY] = current
    if from_url != current:
        st.query_params["lang"] = current


def _on_toggle() -> None:
    choice = st.session_state.get(_TOGGLE_KEY)
    if choice in LANGS:
        set_lang(choice)
        st.query_params["lang"] = choice   # the address names the language shown
        st.session_state[_URL_SEEN_KEY] = choice


def language_toggle() -> None:
    """The 한국어 / English switch in the sidebar. Every page's settings survive a switch
    because widgets keep codes as values and only their labels are translated."""
    st.session_state[_TOGGLE_KEY] = lang()
    st.sidebar.segmented_control(
        "Language · 언어", LANGS, format_func=LANG_NAMES.get, key=_TOGGLE_KEY,
        required=True, on_change=_on_toggle, label_visibility="collapsed")
