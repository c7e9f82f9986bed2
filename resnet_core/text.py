"""A catalog string made into the sentence a page shows, in one language (no Streamlit).

Three kinds of mark, resolved in this order:

- sources, "{src:he2015.sec4.1}", "{cite:he2015.table3}", "{titled:he2015.sec4.1.bottleneck}":
  looked up in the table of sources (resnet_core.paper.cite), so a section number is never typed;
- values, "{time}", "{n:,}": str.format, as before;
- Korean particles, "{이/가}", "{은/는}", "{을/를}", "{과/와}", "{으로/로}": chosen from how the text
  right before them is read once the values are in (resnet_core.korean), so "{time}{이/가}"
  gives "3분이" and "45초가".
"""

from __future__ import annotations

import re

from . import korean, paper

SOURCE = re.compile(r"\{(src|cite|titled):([\w.\-]+)\}")
_SENTENCE_START = re.compile(r"(^|[.!?:]\s+|\n\s*|\*\*)$")


def sources(template: str, lang: str) -> str:
    """Every source mark of `template` replaced by its citation in `lang`."""
    def one(m: re.Match) -> str:
        text = paper.cite(m.group(2), lang, m.group(1))
        if lang == "en" and _SENTENCE_START.search(template[:m.start()]):
            text = text[0].upper() + text[1:]
        return text

    return SOURCE.sub(one, template)


def render(template: str, lang: str, **values) -> str:
    """`template` with its sources, values and particles filled in.

    Without values the braces of a plain string are left as they are (a string may show "{"),
    but source and particle marks are still resolved.
    """
    text, marks = korean.mark(sources(template, lang))
    if values:
        text = text.format(**values)
    return korean.attach(text, marks) if marks else text
