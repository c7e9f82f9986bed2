"""How a page shows a sentence chosen by resnet_core.inspection.verdicts: the sentence key for an
outcome, and a box whose colour says what the numbers showed. A claim that clearly held is green,
one that clearly went the other way is a warning (a finding, never a red alert), and "no
difference here" or "too small to tell" is neutral information."""

from __future__ import annotations

import streamlit as st

from resnet_core.inspection.verdicts import CLEAR, EQUAL, HELD, REVERSED, UNCLEAR

# The suffix of a sentence key for each outcome: "lesion.check.x.yes", "...equal", "...unclear".
SUFFIX = {HELD: "yes", REVERSED: "no", EQUAL: "equal", UNCLEAR: "unclear", CLEAR: "yes"}
_ICONS = {HELD: ":material/check_circle:", REVERSED: ":material/help:", EQUAL: ":material/drag_handle:",
          UNCLEAR: ":material/drag_handle:"}


def key(prefix: str, outcome: str) -> str:
    """The sentence key for `outcome` under `prefix`: key("landscape.check.x", "equal")."""
    return f"{prefix}.{SUFFIX[outcome]}"


def box(outcome: str, text: str, place=None) -> None:
    """`text` in a box coloured by `outcome`."""
    place = place or st
    show = place.success if outcome == HELD else place.warning if outcome == REVERSED else place.info
    show(text, icon=_ICONS.get(outcome, ":material/info:"))
