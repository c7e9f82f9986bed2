"""Figures of cost: multiply-adds and parameters, for the Bottleneck & FLOPs and GAP vs FC pages.

Every axis names its unit: multiply-adds (MACs), the paper's "FLOPs", or parameters. The figures a
page shows on arrival are SVG (ui/draw/bars.py), so a first visit needs no chart library; the
others, behind a choice, are plotly figures with hover on every bar.
"""

from __future__ import annotations

import plotly.graph_objects as go

from . import bar_charts, style
from .bar_charts import Bar, Segment
from .words import Words

WORDS = ("bottleneck.path.direct", "bottleneck.path.reduced", "bottleneck.layer.kxk", "bottleneck.layer.1x1",
         "bottleneck.layer.kxk_after", "unit.macs", "unit.params", "bottleneck.block.basic",
         "bottleneck.block.bottleneck", "bottleneck.weights", "bottleneck.macs_at", "bottleneck.weights_axis",
         "bottleneck.table.ours_v1", "bottleneck.table.ours_v15", "bottleneck.table.paper",
         "bottleneck.table.axis", "bottleneck.layers.axis", "gap_fc.head.flatten", "gap_fc.head.gap",
         "gap_fc.share.conv", "gap_fc.share.fc")

DIRECT = style.NEUTRAL          # the expensive way
REDUCE = style.HIGHLIGHT        # the 1x1 reduction
REDUCED_CONV = "#8CCFAF"        # the k x k conv after it
PROJECTION = "#9B5DE5"          # 1x1 projection shortcuts
FC = "#C98A00"                  # fully connected layers


def _bar_text(values: list[float]) -> list[str]:
    return [style.fmt_int(v) for v in values]


# A phone's width (ui.page.figures.show): two bars and their numbers fit at full size.
PHONE_WIDTH = 360


def reduction_paths(calc, k: int, words: Words, width: int = 640) -> str:
    """The direct k x k conv beside the 1x1-then-k x k path, stacked by layer (SVG)."""
    direct, reduced = words("bottleneck.path.direct"), words("bottleneck.path.reduced")
    return bar_charts.bars([
        Bar(direct, (Segment(words("bottleneck.layer.kxk", k=k), calc.direct_macs, DIRECT),),
            style.fmt_int(calc.direct_macs)),
        Bar(reduced, (Segment(words("bottleneck.layer.1x1"), calc.reduce_macs, REDUCE),
                      Segment(words("bottleneck.layer.kxk_after", k=k), calc.conv_macs, REDUCED_CONV)),
            style.fmt_int(calc.bottleneck_macs)),
    ], y_title=words("unit.macs"), title=f"{direct} · {reduced}", width=width)


def two_blocks(basic_width: int, basic_weights: int, wide_width: int, wide_weights: int,
               map_side: int, words: Words) -> go.Figure:
    """Weights and multiply-adds of a basic block beside a bottleneck block."""
    names = [words("bottleneck.block.basic", c=basic_width), words("bottleneck.block.bottleneck", c=wide_width)]
    weights = [basic_weights, wide_weights]
    macs = [w * map_side * map_side for w in weights]   # stride 1, 'same' padding: one weight use per pixel
    fig = go.Figure()
    fig.add_bar(x=names, y=weights, name=words("bottleneck.weights"), marker_color=[style.PLAIN_LIGHT, style.RESIDUAL_LIGHT],
                text=_bar_text(weights), textposition="outside", yaxis="y")
    fig.add_scatter(x=names, y=macs, name=words("bottleneck.macs_at", s=map_side), mode="markers+text",
                    marker=dict(size=16, color=style.NEUTRAL, symbol="diamond"),
                    text=[style.fmt_macs(m) for m in macs], textposition="middle right", yaxis="y2")
    fig.update_layout(yaxis=dict(title=words("bottleneck.weights_axis"), rangemode="tozero",
                                 range=[0, max(weights) * 1.25]),
                      yaxis2=dict(title=words("unit.macs"), overlaying="y", side="right", rangemode="tozero",
                                  range=[0, max(macs) * 1.25], showgrid=False))
    return style.layout(fig)


def paper_comparison(rows, names: dict[str, str], words: Words) -> go.Figure:
    """Our count (both layouts) beside Table 1's printed multiply-adds, in G MACs."""
    x = [names[r.arch] for r in rows]
    fig = go.Figure()
    fig.add_bar(x=x, y=[r.macs_v1 / 1e9 for r in rows], name=words("bottleneck.table.ours_v1"),
                marker_color=style.RESIDUAL)
    fig.add_bar(x=x, y=[r.macs_v15 / 1e9 for r in rows], name=words("bottleneck.table.ours_v15"),
                marker_color=style.RESIDUAL_LIGHT)
    fig.add_bar(x=x, y=[r.paper_macs / 1e9 for r in rows], name=words("bottleneck.table.paper"),
                marker_color=style.NEUTRAL)
    fig.update_layout(barmode="group")
    return style.layout(fig, y=words("bottleneck.table.axis"))


def layer_costs(rows, residual: bool, words: Words) -> go.Figure:
    """One bar per layer with multiply-adds, in forward order; shortcuts and FC layers stand out."""
    counted = [r for r in rows if r.macs > 0]
    main = style.RESIDUAL if residual else style.PLAIN

    def colour(row) -> str:
        if row.type == "Linear":
            return FC
        if "shortcut" in row.name:
            return PROJECTION
        return main

    fig = go.Figure()
    fig.add_bar(x=list(range(1, len(counted) + 1)), y=[r.macs for r in counted],
                marker_color=[colour(r) for r in counted], marker_line_width=0,
                customdata=[[r.name, r.type, "×".join(map(str, r.output_shape)), style.fmt_int(r.params)]
                            for r in counted],
                hovertemplate=("%{customdata[0]}<br>%{customdata[1]} → %{customdata[2]}<br>"
                               + words("unit.macs") + ": %{y:,}<br>" + words("unit.params") + ": %{customdata[3]}"
                               + "<extra></extra>"))
    fig.update_layout(bargap=0.15, showlegend=False)
    return style.layout(fig, x=words("bottleneck.layers.axis"), y=words("unit.macs"))


def head_params(fc: int, gap: int, words: Words, width: int = 640) -> str:
    """Parameters of the two heads (SVG)."""
    flatten, pooled = words("gap_fc.head.flatten"), words("gap_fc.head.gap")
    return bar_charts.bars([Bar(flatten, (Segment(flatten, fc, FC),), style.fmt_int(fc)),
                            Bar(pooled, (Segment(pooled, gap, style.RESIDUAL),), style.fmt_int(gap))],
                           y_title=words("unit.params"), title=f"{flatten} · {pooled}", width=width)


def parameter_share(fc: int, total: int, name: str, words: Words) -> str:
    """Where a network's parameters are: convolutions against fully connected layers (SVG)."""
    return bar_charts.ring([Segment(words("gap_fc.share.conv"), total - fc, style.NEUTRAL),
                            Segment(words("gap_fc.share.fc"), fc, FC)],
                           centre=f"{name}<br>{style.fmt_si(total)}", title=name)
