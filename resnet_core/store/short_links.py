"""Short links for the projector: a few letters that stand for a page's full settings.

A setup link carries every setting of a page (``/degradation?lang=ko&dataset=digits&steps=600
&seed=3&...``), too long to type from a projector. ``shorten`` keeps the page and its settings in
the run store under a code of CODE_LEN letters and gives the code; ``/degradation?s=k3fa9x``
then opens the same as the long link (``expand``). The code is a hash of the page and its
settings, so the same settings always get the same code, and a code is only stored once.

The letters leave out those read alike on a screen (0/o, 1/l/i), and the table is not emptied
when the teacher starts a fresh class (resnet_core.store.archive empties the runs only): a link
prepared the day before still opens.
"""

from __future__ import annotations

import hashlib
import time
from urllib.parse import parse_qsl, urlencode

ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"   # 31 letters, none mistaken for another
CODE_LEN = 6            # 31**6 ~ 8.9e8 codes: a class's few hundred links never meet by chance
MAX_QUERY = 4000        # a link's settings longer than this are not a page's settings


def _code(text: str, length: int) -> str:
    number = int.from_bytes(hashlib.sha256(text.encode()).digest()[:12], "big")
    letters = []
    for _ in range(length):
        number, digit = divmod(number, len(ALPHABET))
        letters.append(ALPHABET[digit])
    return "".join(letters)


def valid_code(code: str | None) -> bool:
    return bool(code) and CODE_LEN <= len(code) <= CODE_LEN + 4 and all(c in ALPHABET for c in code)


def shorten(store, page: str, params: list[tuple[str, str]]) -> str:
    """The code for `page` (a url_path) with `params` (name, value pairs, in order), stored in
    `store` (a RunStore; its table is in resnet_core.store.schema) if new. A code already taken by other settings gets a longer one."""
    query = urlencode(params)
    if len(query) > MAX_QUERY:
        raise ValueError(f"settings too long for a short link ({len(query)} characters)")
    for length in range(CODE_LEN, CODE_LEN + 5):
        code = _code(f"{page}?{query}", length)
        rows = store._query("SELECT page, query FROM short_links WHERE code=?", (code,))
        if rows and tuple(rows[0]) == (page, query):
            return code
        if not rows:
            store._write([("INSERT OR IGNORE INTO short_links VALUES (?, ?, ?, ?)", (code, page, query, time.time()))])
            if tuple(store._query("SELECT page, query FROM short_links WHERE code=?", (code,))[0]) == (page, query):
                return code
    raise RuntimeError("no free short code")   # five hash collisions in a row: not in this universe


def expand(store, code: str) -> tuple[str, list[tuple[str, str]]] | None:
    """(page, settings) a code stands for, None for a code this store never gave."""
    if not valid_code(code):
        return None
    rows = store._query("SELECT page, query FROM short_links WHERE code=?", (code,))
    if not rows:
        return None
    page, query = rows[0]
    return page, parse_qsl(query, keep_blank_values=True)
