"""Streamlit-side helpers shared by every page (the library, resnet_core, never imports these).

A page file starts like this (see docs/pages.md):

    import streamlit as st
    from ui import guard, keep, presets, t

    presets.apply("build")          # pre-fill widgets if a Home preset sent the user here
    st.title(t("page.build.title"))
    with guard():                   # no traceback ever reaches the user
        depth = st.slider(t("build.depth"), 8, 110, 20, **keep("build_depth"))
        ...

Every name here loads on first use: ``from ui import t`` loads only Streamlit and the text table
(app.py calls ``st.navigation`` before anything imports torch), and importing the drawings of
ui/draw, which never touch Streamlit, loads no Streamlit at all.
"""

from importlib import import_module

# name -> (submodule, attribute in it; None for the submodule itself), loaded on first use
_LAZY = {
    "guard": ("page.errors", "guard"),
    "guarded": ("page.errors", "guarded"),
    "in_run_language": ("page.i18n", "in_run_language"),
    "keep": ("page.state", "keep"),
    "label_of": ("page.i18n", "label_of"),
    "lang": ("page.i18n", "lang"),
    "nav": ("page.nav", None),
    "presets": ("page.presets", None),
    "set_lang": ("page.i18n", "set_lang"),
    "t": ("page.i18n", "t"),
}

__all__ = ["guard", "guarded", "in_run_language", "keep", "label_of", "lang", "nav", "presets", "set_lang", "t"]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attr = _LAZY[name]
    value = import_module(f".{module}", __name__)
    if attr is not None:
        value = getattr(value, attr)
    globals()[name] = value
    return value
