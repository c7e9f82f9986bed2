"""Streamlit-side helpers shared by every page (the library, resnet_core, never imports these).

A page file starts like this (see docs/pages.md):

    import streamlit as st
    from ui import guard, keep, presets, t

    presets.apply("build")          # pre-fill widgets if a Home preset sent the user here
    st.title(t("page.build.title"))
    with guard():                   # no traceback ever reaches the user
        depth = st.slider(t("build.depth"), 8, 110, 20, **keep("build_depth"))
        ...
"""

from . import nav, presets, style
from .errors import guard, guarded
from .i18n import label_of, lang, set_lang, t
from .state import keep

__all__ = ["guard", "guarded", "keep", "label_of", "lang", "nav", "presets", "set_lang", "style", "t"]
