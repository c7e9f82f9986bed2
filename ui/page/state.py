"""Keeping a page's settings while the user visits other pages.

By default Streamlit forgets a widget's value as soon as a run does not draw it, which under
``st.navigation`` means on every page switch. A keyed widget of the pinned Streamlit (1.67,
requirements.txt) can opt out with ``persist_state="session"``; ``keep`` spells that once so every page does it the same way
and every key carries its page's prefix:

    st.slider(t("build.depth"), 8, 110, 20, **keep("build_depth"))

Buttons and file uploaders take no ``persist_state`` (there is nothing to keep); give them a
plain ``key=`` with the same prefix.

A kept widget's value also goes into the page's address, and a link sets it (ui/page/links.py).
"""

from __future__ import annotations

import re

from ui.page import links

_KEY = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")


def keep(key: str) -> dict:
    """Widget keyword arguments that keep its value for the whole session.

    `key` must look like ``page_setting`` (lower case, the page's prefix first), so two pages
    can never share a widget key by accident.
    """
    if not _KEY.match(key):
        raise ValueError(f"widget key {key!r} must be lower_snake_case and start with its page prefix")
    links.sync(key)   # the value rides in the address both ways (ui/page/links.py)
    return {"key": key, "persist_state": "session"}
