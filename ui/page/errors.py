"""Never a traceback for a user: every page draws its body inside ``guard()``.

    with guard():
        ...the page...

A ``ConfigError`` (a setting that cannot be built) becomes a warning with its message, which
already says what is allowed. Anything else becomes a translated error with the short reason in
an expander; the full traceback goes to the server log, where a teacher can find it.
Streamlit's own control flow (st.stop, st.rerun, st.switch_page) passes through untouched: it
is raised as BaseException, which ``except Exception`` does not catch.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Callable, Iterator

import streamlit as st

from resnet_core import ConfigError
from resnet_core.messages import identify

from ui.page import links
from ui.page.i18n import t, table

log = logging.getLogger("resnet_explorer")


def short_reason(exc: BaseException, limit: int = 300) -> str:
    """One line: the exception's type and the start of its message."""
    text = " ".join(str(exc).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def translated(code: str, params: dict, english: str) -> str:
    """A reason in the reader's language: its ``err.<code>`` text with the same values, each
    value that is a word the app knows (a field name, a block kind) translated too. Without a
    code (a sentence no template matches) the English is all there is."""
    if not code or f"err.{code}" not in table():
        return english
    words = {k: (t(f"errword.{v}") if f"errword.{v}" in table() else v) for k, v in params.items()}
    return t(f"err.{code}", **words)


def config_text(exc: ConfigError) -> str:
    """Why a setting cannot be built, in the reader's language."""
    return translated(getattr(exc, "code", ""), getattr(exc, "params", {}), str(exc))


def reason_text(english: str, code: str = "", values: dict | None = None) -> str:
    """A stored reason (why a run failed or stopped), in the reader's language: translated from
    the `code` and `values` the store keeps beside the sentence (RunInfo.error_code and
    error_values). A run stored before those were kept has the English alone, read back against
    the templates (messages.identify). Any other exception is named in a translated sentence, so
    Korean mode shows no English prose."""
    found = (code, values or {}) if code else identify(english)
    if found:
        return translated(*found, english)
    kind = english.split(":", 1)[0].strip()
    if kind.isidentifier() and kind != english.strip():
        return t("err.exception", kind=kind)
    return english


@contextmanager
def guard() -> Iterator[None]:
    try:
        yield
    except ConfigError as exc:
        st.warning(t("error.config", msg=config_text(exc)), icon=":material/tune:")
    except Exception as exc:
        if links.recover(exc):
            st.rerun()   # a value from a link that a widget refused: run again with its default
        log.exception("page failed")
        st.error(t("error.unexpected"), icon=":material/error:")
        with st.expander(t("error.details")):
            st.code(short_reason(exc), language=None, wrap_lines=True)


def guarded(draw: Callable) -> Callable:
    """``draw`` with its own guard(): a live part (a fragment) reruns on its own, outside the
    page's guard()."""
    def run(*args, **kwargs) -> None:
        with guard():
            draw(*args, **kwargs)
    return run
