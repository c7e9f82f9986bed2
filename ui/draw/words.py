"""The text of a figure, handed to it already translated.

A renderer never looks text up: its caller (a page, through ui.page.i18n.words) passes a `Words`
holding the sentences the renderer lists in its WORDS, in the reader's language. The renderer
only fills in the values it alone knows (a block count, a layer's name), with Korean particles
chosen after them as everywhere else (resnet_core.text.render).

    svg = outline.architecture(desc, words=words(outline.WORDS))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from resnet_core import text


@dataclass(frozen=True)
class Words:
    lang: str                                   # "en" or "ko": how values and particles are written
    texts: Mapping[str, str] = field(default_factory=dict)

    def __call__(self, key: str, **values) -> str:
        """The sentence for `key` with `values` filled in; a key the caller did not pass is a
        KeyError, so a renderer's WORDS and what it uses cannot drift apart unseen."""
        return text.render(self.texts[key], self.lang, **values)

    def key(self) -> tuple:
        """What a cache of built figures must tell apart: the language and the sentences."""
        return (self.lang, tuple(sorted(self.texts.items())))
