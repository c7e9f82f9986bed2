"""Small tables (a few rows a page shows on arrival) as HTML in Markdown.

``st.table`` and ``st.dataframe`` send Arrow, and the browser then loads about 1 MB of code to
read it (Arrow, its formatters, and for ``st.dataframe`` a canvas grid): half a second or more of
a first visit on a classroom laptop, for two to eight rows. Markdown's code is on every page
already, and its stylesheet draws the table as Streamlit draws its own. The rows are plain
strings, so a page formats its numbers itself.

    tables.show([{"net": "plain-20", "error": "8.75%"}, ...])
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from html import escape

import streamlit as st

_NUMBER = re.compile(r"[+\-−]?[\d,]*\.?\d+(?:e[+\-]?\d+)?\s*[%×]?", re.IGNORECASE)
# Korean breaks between any two syllables by default: "플레인-56" would wrap in a narrow column.
# On a phone the table scrolls inside its own box (assets/layout.css) rather than squeeze.
_TABLE = '<div class="rx-table-box"><table class="rx-table" style="word-break:keep-all">'
# A name with a hyphen ("plain-20", "ResNet-110", "플레인-56") is one word: a line may break
# before or after it, never at its hyphen.
_HYPHENATED = re.compile(r"[^\s<>&]+-[^\s<>&]+")
RIGHT = ' style="text-align:right"'


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) or bool(_NUMBER.fullmatch(str(value).strip()))


def html(rows: Sequence[Mapping[str, object]]) -> str:
    """An HTML table of `rows` (dicts with the same keys, in order); columns of numbers are
    right-aligned, so their digits line up. One line: Markdown would read blank lines and
    indentation as its own."""
    if not rows:
        return ""
    columns = list(rows[0])
    right = [all(is_number(r[c]) for r in rows) for c in columns]

    def cells(tag: str, values) -> str:
        out = []
        for v, r in zip(values, right):
            text = _HYPHENATED.sub(r'<span class="rx-nowrap">\g<0></span>', escape(str(v).replace("\n", " ")))
            out.append(f"<{tag}{RIGHT if r else ''}>{text}</{tag}>")
        return "".join(out)
    body = "".join(f"<tr>{cells('td', (r[c] for c in columns))}</tr>" for r in rows)
    return f"{_TABLE}<thead><tr>{cells('th', columns)}</tr></thead><tbody>{body}</tbody></table></div>"


def show(rows: Sequence[Mapping[str, object]], place=st) -> None:
    """The table on the page (in `place`: st, a column, a container)."""
    if rows:
        place.markdown(html(rows), unsafe_allow_html=True)
