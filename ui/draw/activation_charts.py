"""Figures of a whole net's activations, with and without BatchNorm (the BatchNorm page): each
net's activation scale layer by layer, and one layer's histogram per net.

The net's kind gives the hue (plain warm, residual cool, ui.draw.training_charts); BN on is the
full shade and a solid line, BN off the light shade and a dashed one, as the live curves draw
them. Scales span decades, so both axes that carry them are logarithmic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import line_charts, training_charts
from .line_charts import Histogram, Line, Panel
from .words import Words

if TYPE_CHECKING:   # a profile is plain arrays here; its module would bring torch in
    from resnet_core.inspection.bn_demo import LayerProfile

WORDS = ("batchnorm.axis.layer", "batchnorm.axis.value", "batchnorm.axis.share", *line_charts.WORDS)

Entry = tuple[str, str, str, "LayerProfile"]   # (title, kind, norm, profile)


def norm_colour(kind: str, norm: str) -> str:
    """The net's kind gives the hue; BN on ("batch") the full shade, BN off the light one."""
    return training_charts.colour(kind, 1 if norm == "batch" else 0)


def scales(entries: list[Entry], y_title: str, words: Words) -> str:
    """Each net's activation scale per layer on a log axis: BN on solid, BN off dashed (the same
    look at initialisation, during training and after it)."""
    lines = [Line(title, [float(v) for v in prof.std], norm_colour(kind, norm), list(prof.names),
                  dash="solid" if norm == "batch" else "dash", width=3) for title, kind, norm, prof in entries]
    return line_charts.lines(Panel(lines, y_title=y_title, log=True), words=words,
                             x_title=words("batchnorm.axis.layer"), title=y_title, height=400)


def histograms(entries: list[Entry], layer: int, words: Words) -> str:
    """One layer's histogram per net, side by side (their value ranges differ by decades)."""
    panels = []
    for title, kind, norm, prof in entries:
        counts, edges = prof.hists[layer]
        share = 100 * counts / max(counts.sum(), 1)
        panels.append(Histogram([float(e) for e in edges], [float(v) for v in share], norm_colour(kind, norm), title))
    return line_charts.histograms(panels, x_title=words("batchnorm.axis.value"), y_title=words("batchnorm.axis.share"),
                                  title=words("batchnorm.axis.share"), width=320 * len(panels) + 60)
