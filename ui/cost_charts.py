"""Figures of cost: multiply-adds and parameters, for the Bottleneck & FLOPs and GAP vs FC pages.

Every axis names its unit: multiply-adds (MACs), the paper's "FLOPs", or parameters.
"""

from __future__ import annotations

import plotly.graph_objects as go

from . import style
from .i18n import t

DIRECT = style.NEUTRAL          # the expensive way
REDUCE = style.HIGHLIGHT        # the 1x1 reduction
REDUCED_CONV = "#8CCFAF"        # the k x k conv after it
PROJECTION = "#9B5DE5"          # 1x1 projection shortcuts
FC = "#C98A00"                  # fully connected layers


def _bar_text(values: list[float]) -> list[str]:
    return [style.fmt_int(v) for v in values]


def reduction_paths(calc, k: int) -> go.Figure:
    """The direct k x k conv beside the 1x1-then-k x k path, stacked by layer."""
    direct, reduced = t("bottleneck.path.direct"), t("bottleneck.path.reduced")
    fig = go.Figure()
    fig.add_bar(x=[direct], y=[calc.direct_macs], name=t("bottleneck.layer.kxk", k=k), marker_color=DIRECT,
                text=_bar_text([calc.direct_macs]), textposition="outside")
    fig.add_bar(x=[reduced], y=[calc.reduce_macs], name=t("bottleneck.layer.1x1"), marker_color=REDUCE)
    fig.add_bar(x=[reduced], y=[calc.conv_macs], name=t("bottleneck.layer.kxk_after", k=k),
                marker_color=REDUCED_CONV, text=_bar_text([calc.bottleneck_macs]), textposition="outside")
    fig.update_layout(barmode="stack")
    fig.update_yaxes(rangemode="tozero", range=[0, max(calc.direct_macs, calc.bottleneck_macs) * 1.18])
    style.layout(fig, y=t("unit.macs"))
    fig.update_layout(legend_traceorder="normal")   # stacked bars list top-down otherwise
    return fig


def two_blocks(basic_width: int, basic_weights: int, wide_width: int, wide_weights: int,
               map_side: int) -> go.Figure:
    """Weights and multiply-adds of a basic block beside a bottleneck block."""
    names = [t("bottleneck.block.basic", c=basic_width), t("bottleneck.block.bottleneck", c=wide_width)]
    weights = [basic_weights, wide_weights]
    macs = [w * map_side * map_side for w in weights]   # stride 1, 'same' padding: one weight use per pixel
    fig = go.Figure()
    fig.add_bar(x=names, y=weights, name=t("bottleneck.weights"), marker_color=[style.PLAIN_LIGHT, style.RESIDUAL_LIGHT],
                text=_bar_text(weights), textposition="outside", yaxis="y")
    fig.add_scatter(x=names, y=macs, name=t("bottleneck.macs_at", s=map_side), mode="markers+text",
                    marker=dict(size=16, color=style.NEUTRAL, symbol="diamond"),
                    text=[style.fmt_macs(m) for m in macs], textposition="middle right", yaxis="y2")
    fig.update_layout(yaxis=dict(title=t("bottleneck.weights_axis"), rangemode="tozero",
                                 range=[0, max(weights) * 1.25]),
                      yaxis2=dict(title=t("unit.macs"), overlaying="y", side="right", rangemode="tozero",
                                  range=[0, max(macs) * 1.25], showgrid=False))
    return style.layout(fig)


def paper_comparison(rows, names: dict[str, str]) -> go.Figure:
    """Our count (both layouts) beside Table 1's printed multiply-adds, in G MACs."""
    x = [names[r.arch] for r in rows]
    fig = go.Figure()
    fig.add_bar(x=x, y=[r.macs_v1 / 1e9 for r in rows], name=t("bottleneck.table.ours_v1"),
                marker_color=style.RESIDUAL)
    fig.add_bar(x=x, y=[r.macs_v15 / 1e9 for r in rows], name=t("bottleneck.table.ours_v15"),
                marker_color=style.RESIDUAL_LIGHT)
    fig.add_bar(x=x, y=[r.paper_macs / 1e9 for r in rows], name=t("bottleneck.table.paper"),
                marker_color=style.NEUTRAL)
    fig.update_layout(barmode="group")
    return style.layout(fig, y=t("bottleneck.table.axis"))


def layer_costs(rows, residual: bool) -> go.Figure:
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
                               + t("unit.macs") + ": %{y:,}<br>" + t("unit.params") + ": %{customdata[3]}"
                               + "<extra></extra>"))
    fig.update_layout(bargap=0.15, showlegend=False)
    return style.layout(fig, x=t("bottleneck.layers.axis"), y=t("unit.macs"))


def head_params(fc: int, gap: int) -> go.Figure:
    """Parameters of the two heads."""
    names = [t("gap_fc.head.flatten"), t("gap_fc.head.gap")]
    fig = go.Figure()
    fig.add_bar(x=names, y=[fc, gap], marker_color=[FC, style.RESIDUAL], text=_bar_text([fc, gap]),
                textposition="outside")
    fig.update_layout(showlegend=False)
    fig.update_yaxes(rangemode="tozero", range=[0, max(fc, gap) * 1.18])
    return style.layout(fig, y=t("unit.params"))


def parameter_share(fc: int, total: int, name: str) -> go.Figure:
    """Where a network's parameters are: convolutions against fully connected layers."""
    fig = go.Figure()
    fig.add_pie(labels=[t("gap_fc.share.conv"), t("gap_fc.share.fc")], values=[total - fc, fc], hole=0.5,
                marker=dict(colors=[style.NEUTRAL, FC]), sort=False, textinfo="label+percent",
                hovertemplate="%{label}: %{value:,} " + t("unit.params") + "<extra></extra>")
    fig.update_layout(annotations=[dict(text=f"<b>{name}</b><br>{style.fmt_si(total)}", showarrow=False,
                                        font=dict(size=18))], showlegend=False)
    return style.layout(fig, height=380)
