"""Streamlit-side helpers shared by every page (the library, resnet_core, never imports these).

A page file starts like this (see docs/pages.md):

    import streamlit as st
    from ui import guard, keep, presets, t

    presets.apply("build")          # pre-fill widgets if a Home preset sent the user here
    st.title(t("page.build.title"))
    with guard():                   # no traceback ever reaches the user
        depth = st.slider(t("build.depth"), 8, 110, 20, **keep("build_depth"))
        ...

Importing ``ui`` (or ``ui.nav``, ``ui.i18n``) loads only Streamlit and the text table: app.py
calls ``st.navigation`` before anything imports torch. The helpers that pull torch and plotly in
(``guard``, ``guarded``, ``keep``, ``presets``, ``style``) load on first use.
"""

from importlib import import_module

from . import nav
from .i18n import label_of, lang, set_lang, t

# name -> (submodule, attribute in it; None for the submodule itself), loaded on first use
_LAZY = {
    "guard": ("errors", "guard"),
    "guarded": ("errors", "guarded"),
    "keep": ("state", "keep"),
    "presets": ("presets", None),
    "style": ("style", None),
}

__all__ = ["guard", "guarded", "keep", "label_of", "lang", "nav", "presets", "set_lang", "style", "t"]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attr = _LAZY[name]
    value = import_module(f".{module}", __name__)
    if attr is not None:
        value = getattr(value, attr)
    globals()[name] = value
    return value
