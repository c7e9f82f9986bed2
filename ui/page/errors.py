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
from ui.page.terms import net_label

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
    if "label" in words:   # a run's stored label ("plain-20") in the reader's words
        words["label"] = net_label(words["label"])
    if f"runs.status.{words.get('status')}" in table():   # "running" as the run lists say it
        words["status"] = t(f"runs.status.{words['status']}")
    return t(f"err.{code}", **words)


def config_text(exc: ConfigError) -> str:
    """Why a setting cannot be built, in the reader's language."""
    return translated(getattr(exc, "code", ""), getattr(exc, "params", {}), str(exc))


# Values that are themselves a reason: "the connection was lost ({reason})" holds another one.
_NESTED = ("reason", "error")


def reason_words(english: str, code: str = "", values: dict | None = None) -> str:
    """A reason the library worded from a template, in the reader's language, reasons inside it
    too: by its `code` and `values` where the store kept them (RunInfo.error_code and
    error_values), else read back against the templates (messages.identify: a run stored before
    codes were kept, or a reason inside another). Anything else (what Ray or the system said) as
    it came, for the sentence around it to frame."""
    found = (code, values or {}) if code else identify(english)
    if not found:
        return english
    code, params = found
    return translated(code, {k: reason_words(v) if k in _NESTED else v for k, v in params.items()}, english)


def reason_text(english: str, code: str = "", values: dict | None = None) -> str:
    """A stored reason (why a run failed or stopped), in the reader's language: by the code and
    values kept with it, or for an older run by its template (reason_words). Any other
    exception is named in a translated sentence, so Korean mode shows no English prose."""
    if code or identify(english):
        return reason_words(english, code, values)
    kind = english.split(":", 1)[0].strip()
    if kind.isidentifier() and kind != english.strip():
        return t("err.exception", kind=kind)
    return english


@contextmanager
def guard(message: str = "error.unexpected") -> Iterator[None]:
    """A ConfigError becomes a warning with its message; any other exception the error
    `message` (a text key) with its one-line reason folded below, the traceback going to the
    server's log. Streamlit's own st.stop and st.rerun pass through (they are no Exception)."""
    try:
        yield
    except ConfigError as exc:
        st.warning(t("error.config", msg=config_text(exc)), icon=":material/tune:")
    except Exception as exc:
        if links.recover(exc):
            st.rerun()   # a value from a link that a widget refused: run again with its default
        log.exception("page failed")
        st.error(t(message), icon=":material/error:")
        with st.expander(t("error.details")):
            st.code(short_reason(exc), language=None, wrap_lines=True)


def guarded(draw: Callable) -> Callable:
    """``draw`` with its own guard(): a live part (a fragment) reruns on its own, outside the
    page's guard()."""
    def run(*args, **kwargs) -> None:
        with guard():
            draw(*args, **kwargs)
    return run
