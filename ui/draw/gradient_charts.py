"""Figures of gradient flow (the Gradient flow page): the gradient norm against depth, and each
block's gradient gain, both on log axes with the stages named along them.

Layer 1 sits next to the input; exact zeros (a gradient that underflowed) sit at the floor as
crosses (ui/draw/line_charts.py). A gain of 1 (the gradient passes a block unchanged, the
identity's share in 1 + dF/dx) is marked on the gains.
"""

from __future__ import annotations

from . import line_charts, training_charts
from .line_charts import Line, Panel
from .words import Words

WORDS = ("charts.norm_axis", "charts.norm", "charts.depth_axis", "charts.gain_axis", "charts.gain",
         "charts.gain_one", "charts.block_axis", "gradients.one_plus.title", *training_charts.TICK_WORDS,
         *line_charts.WORDS)


def profile(lines: list[Line], title: str, words: Words) -> str:
    """Gradient norm against depth on a log axis, stages named along it."""
    names = lines[0].points if lines else ()
    return line_charts.lines(Panel(lines, y_title=words("charts.norm_axis"), log=True, value_name=words("charts.norm")),
                             words=words, x_title=words("charts.depth_axis"), title=title,
                             ticks=training_charts.stage_ticks(names, words))


def gains(lines: list[Line], words: Words) -> str:
    """Per-block gradient gain on a log axis, with gain = 1 (the gradient keeps its size) marked."""
    names = lines[0].points if lines else ()
    return line_charts.lines(Panel(lines, y_title=words("charts.gain_axis"), log=True, value_name=words("charts.gain"),
                                   refs=[(1.0, words("charts.gain_one"))]),
                             words=words, x_title=words("charts.block_axis"), title=words("gradients.one_plus.title"),
                             ticks=training_charts.stage_ticks(names, words), width=640, height=400)
