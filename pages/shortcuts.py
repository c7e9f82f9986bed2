"""Shortcuts A/B/C: zero-padding identity, projection when the dimensions grow, projection
everywhere (He et al. 2015, section 3.3). Their diagrams, what each costs on a chosen net, the
three trained side by side, and the paper's Table 3 beside them."""


import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from resnet_core.nets import flops
from resnet_core.training import experiments
from ui import (charts, costs, experiment_panel, guard, guarded, keep, label_of, live_charts, presets, progress, style,
                t, terms)

presets.apply("shortcuts")
st.title(t("page.shortcuts.title"))
st.markdown(t("shortcuts.lead"))

OPTIONS = ("A", "B", "C")
# All three are residual nets, so all three are cool: blue, teal and violet, told apart by hue
# (shades of the residual palette in ui.charts, so the diagram and the live curves agree).
OPTION_SHADES = {"A": 1, "B": 3, "C": 4}
OPTION_COLOURS = {o: charts.colour("residual", shade) for o, shade in OPTION_SHADES.items()}
ARCHS = ["resnet20", "resnet32", "resnet56", "resnet110", "resnet18", "resnet34", "resnet50", "resnet101",
         "resnet152"]
# He et al. 2015, Table 3 (ImageNet val, 10-crop testing): top-1 and top-5 error, %.
TABLE_3 = (("plain34", 28.54, 10.02), ("A", 25.03, 7.76), ("B", 24.52, 7.46), ("C", 24.19, 7.40))
NO_BAR = {"displayModeBar": False}
INK = "#1F2328"   # diagram text


# The diagram: a 2 x 3 grid, options across, the two kinds of block down.

def _cell(fig: go.Figure, ox: float, oy: float, option: str, grows: bool) -> None:
    """One block with its shortcut; the block's input at the top, its output at the bottom."""
    colour = OPTION_COLOURS[option]
    main, side = ox + 1.05, ox + 3.3
    top, f_mid, plus, bottom = oy + 3.3, oy + 2.0, oy + 0.7, oy + 0.05
    fig.add_annotation(x=main, y=top + 0.3, text="<b>x</b>", showarrow=False, font=dict(size=16, color=INK))
    # The residual branch F(x): two 3x3 convs (the first with stride 2 where the map halves).
    fig.add_shape(type="rect", x0=main - 0.98, x1=main + 0.98, y0=f_mid - 0.55, y1=f_mid + 0.55,
                  line=dict(color=colour, width=2.5), fillcolor="white")
    fig.add_annotation(x=main, y=f_mid, text=t("shortcuts.diagram.f_grow" if grows else "shortcuts.diagram.f"),
                       showarrow=False, font=dict(size=13, color=INK))
    for y0, y1 in ((top, f_mid + 0.58), (f_mid - 0.58, plus + 0.2)):
        fig.add_annotation(x=main, y=y1, ax=main, ay=y0, xref="x", yref="y", axref="x", ayref="y", text="",
                           showarrow=True, arrowhead=2, arrowwidth=2, arrowcolor="#444")
    fig.add_shape(type="circle", x0=main - 0.2, x1=main + 0.2, y0=plus - 0.2, y1=plus + 0.2,
                  line=dict(color=colour, width=2.5), fillcolor="white")
    fig.add_annotation(x=main, y=plus, text="<b>+</b>", showarrow=False, font=dict(size=17, color=colour))
    fig.add_annotation(x=main, y=bottom, ax=main, ay=plus - 0.22, xref="x", yref="y", axref="x", ayref="y",
                       text="", showarrow=True, arrowhead=2, arrowwidth=2, arrowcolor="#444")
    # The shortcut: right from x, down, back into the addition.
    projection = option == "C" or (option == "B" and grows)
    zero_pad = option == "A" and grows
    fig.add_shape(type="path", path=f"M {main},{top} L {side},{top} L {side},{plus} L {main + 0.22},{plus}",
                  line=dict(color=colour if not zero_pad else style.NEUTRAL, width=3,
                            dash="dot" if zero_pad else "solid"))
    if projection:
        fig.add_shape(type="rect", x0=side - 0.92, x1=side + 0.92, y0=f_mid - 0.5, y1=f_mid + 0.5,
                      line=dict(color=colour, width=2.5), fillcolor="#F4F0FB" if option == "C" else "#E8F6F5")
        fig.add_annotation(x=side, y=f_mid, showarrow=False, font=dict(size=12, color=INK),
                           text=t("shortcuts.diagram.proj_grow" if grows else "shortcuts.diagram.proj"))
        extra = t("shortcuts.diagram.params_proj")
    elif zero_pad:
        fig.add_shape(type="rect", x0=side - 0.92, x1=side + 0.92, y0=f_mid - 0.5, y1=f_mid + 0.5,
                      line=dict(color=style.NEUTRAL, width=2, dash="dot"), fillcolor="#F3F4F6")
        fig.add_annotation(x=side, y=f_mid, showarrow=False, font=dict(size=12, color=INK),
                           text=t("shortcuts.diagram.pad"))
        extra = t("shortcuts.diagram.params_zero")
    else:
        fig.add_annotation(x=side + 0.1, y=f_mid, showarrow=False, xanchor="left", font=dict(size=13, color=colour),
                           text=t("shortcuts.diagram.identity"))
        extra = t("shortcuts.diagram.params_zero")
    fig.add_annotation(x=side, y=bottom + 0.1, showarrow=False, font=dict(size=12, color="#444"), text=extra)


def option_diagram() -> go.Figure:
    fig = go.Figure()
    width, height = 4.8, 4.3
    for j, option in enumerate(OPTIONS):
        fig.add_annotation(x=j * width + 2.0, y=height + 0.15, showarrow=False, font=dict(
            size=16, color=OPTION_COLOURS[option]), text=f"<b>{t(f'shortcuts.option.{option}')}</b>")
        for i, grows in enumerate((False, True)):
            _cell(fig, j * width, -i * height, option, grows)
    for i, grows in enumerate((False, True)):
        fig.add_annotation(x=-0.3, y=-i * height + 1.9, showarrow=False, textangle=-90, font=dict(size=13, color=INK),
                           text=t("shortcuts.diagram.row_grow" if grows else "shortcuts.diagram.row_same"))
    fig.update_xaxes(visible=False, range=[-0.6, 3 * width - 0.3], fixedrange=True)
    fig.update_yaxes(visible=False, range=[-height - 0.1, height + 0.45], fixedrange=True)
    fig.update_layout(showlegend=False, plot_bgcolor="rgba(0,0,0,0)", paper_bgcolor="rgba(0,0,0,0)")
    return style.layout(fig, height=620)


def diagram() -> None:
    st.header(t("shortcuts.diagram.title"))
    live_charts.chart(st, ("shortcuts-options",), option_diagram, config=NO_BAR)
    for column, option in zip(st.columns(3), OPTIONS):
        column.markdown(t(f"shortcuts.explain.{option}"))


# Costs per option

@st.cache_data(show_spinner=False)
def costs_of(arch: str, layout: str) -> list[tuple[str, int, int, int]]:
    return [(c.option, c.params, c.macs, c.projections) for c in flops.shortcut_costs(arch, stride_at=layout)]


def _pct(extra: int, base: int) -> str:
    return f"{100 * extra / base:+.2f}%"


def extra_cost_chart(costs: list[tuple[str, int, int, int]]) -> go.Figure:
    """What B and C add over A, in parameters and multiply-adds, with the share of A's cost."""
    base = {"params": costs[0][1], "macs": costs[0][2]}
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.14)
    for col, (field, index, unit) in enumerate((("params", 1, t("shortcuts.costs.extra_params")),
                                                 ("macs", 2, t("shortcuts.costs.extra_macs"))), start=1):
        names = [t(f"shortcuts.minus.{o}") for o, *_ in costs[1:]]
        extra = [row[index] - base[field] for row in costs[1:]]
        fig.add_bar(x=names, y=extra, marker_color=[OPTION_COLOURS[o] for o, *_ in costs[1:]], showlegend=False,
                    text=[f"+{style.fmt_si(e)} ({_pct(e, base[field])})" for e in extra], textposition="outside",
                    cliponaxis=False, row=1, col=col)
        fig.update_yaxes(title_text=unit, rangemode="tozero", range=[0, max(max(extra), 1) * 1.25], row=1, col=col)
    return style.layout(fig, height=380)


def cost_section() -> None:
    st.header(t("shortcuts.costs.title"))
    st.markdown(t("shortcuts.costs.intro"))
    c1, c2 = st.columns(2)
    arch = c1.selectbox(t("shortcuts.costs.arch"), ARCHS, index=ARCHS.index("resnet34"), format_func=style.arch_name,
                        **keep("shortcuts_arch"))
    bottleneck = flops.named_config(arch).block == "bottleneck"
    layout = c2.radio(t("shortcuts.costs.layout"), ["v1", "v1.5"], horizontal=True, disabled=not bottleneck,
                      format_func=label_of("shortcuts.layout"), **keep("shortcuts_layout"))
    rows = costs_of(arch, layout if bottleneck else "v1")
    base_params, base_macs = rows[0][1], rows[0][2]
    st.dataframe([{t("shortcuts.costs.option"): t(f"shortcuts.option.{o}"),
                   t("shortcuts.costs.projections"): n,
                   t("unit.params"): style.fmt_int(p),
                   t("shortcuts.costs.params_vs_a"): f"{p - base_params:+,}",
                   t("unit.macs"): style.fmt_int(m),
                   t("shortcuts.costs.macs_vs_a"): f"{m - base_macs:+,}"} for o, p, m, n in rows],
                 hide_index=True)
    for option, params, macs, n in rows[1:]:
        st.markdown(t(f"shortcuts.costs.diff.{option}", params=f"{params - base_params:,}",
                      params_pct=_pct(params - base_params, base_params), macs=f"{macs - base_macs:,}",
                      macs_pct=_pct(macs - base_macs, base_macs), n=n))
    live_charts.chart(st, ("shortcuts-extra", arch, layout), lambda: extra_cost_chart(rows), config=NO_BAR)
    st.caption(t("shortcuts.costs.bottleneck_note" if bottleneck else "shortcuts.costs.basic_note"))


# The paper's Table 3

def paper_chart() -> go.Figure:
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=(t("shortcuts.paper.top1"), t("shortcuts.paper.top5")))
    names = [t(f"shortcuts.paper.net.{code}") for code, *_ in TABLE_3]
    colours = [style.PLAIN if code == "plain34" else OPTION_COLOURS[code] for code, *_ in TABLE_3]
    for col, index in ((1, 1), (2, 2)):
        values = [row[index] for row in TABLE_3]
        fig.add_bar(x=names, y=values, marker_color=colours, text=[f"{v:.2f}" for v in values],
                    textposition="outside", cliponaxis=False, showlegend=False, row=1, col=col)
        fig.update_yaxes(title_text=t("shortcuts.paper.axis") if col == 1 else None, rangemode="tozero",
                         range=[0, max(values) * 1.2], row=1, col=col)
    return style.layout(fig, height=400)


def paper() -> None:
    st.header(t("shortcuts.paper.title"))
    left, right = st.columns([2, 3])
    left.dataframe([{t("shortcuts.paper.net"): t(f"shortcuts.paper.net.{code}"),
                     t("shortcuts.paper.top1"): f"{top1:.2f}", t("shortcuts.paper.top5"): f"{top5:.2f}"}
                    for code, top1, top5 in TABLE_3], hide_index=True)
    left.caption(t("shortcuts.paper.source"))
    live_charts.chart(right, ("shortcuts-table3",), paper_chart, config=NO_BAR)
    st.markdown(t("shortcuts.paper.reading"))


# A, B and C trained side by side, with their plain twin

TRAIN_DEPTHS = [8, 14, 20, 32, 56]
TRAIN_STEPS = [50, 100, 200, 300, 600]


def option_of(label: str) -> str:
    """"ResNet-20 B" -> "B"; the plain twin -> "plain"."""
    last = label.split(" ·")[0].split()[-1]
    return last if last in OPTIONS else "plain"


def curves_of(views, metric: str) -> list:
    out = []
    for v in views:
        option = option_of(v.info.label)
        kind, shade = ("plain", 1) if option == "plain" else ("residual", OPTION_SHADES[option])
        if metric == "loss":
            x, y, markers = v.steps.step, v.steps.loss, False
        else:
            x, y, markers = v.evals.step, v.evals.test_acc, True
        out.append(charts.Curve(terms.net_label(v.info.label), kind, x, y, shade=shade, markers=markers))
    return out


def results_table(views) -> None:
    def pct(x):
        return "–" if x is None or x != x else f"{100 * x:.1f}%"

    def loss(x):
        return "–" if x is None or x != x else f"{x:.4f}"

    st.dataframe([{t("shortcuts.train.net"): terms.net_label(v.info.label),
                   t("shortcuts.train.params"): style.fmt_int(flops.count(v.info.model_cfg).params),
                   t("shortcuts.train.loss"): loss(v.info.final_train_loss),
                   t("shortcuts.train.train_acc"): pct(v.info.final_train_acc),
                   t("shortcuts.train.test_acc"): pct(v.info.test_acc)}
                  for v in views], hide_index=True)


def draw_runs(views) -> None:
    experiment_panel.loss_and_accuracy("shortcuts", views, curves_of)
    if views and not any(v.active for v in views):
        results_table(views)
        st.info(t("shortcuts.train.honest"), icon=":material/info:")


def training() -> None:
    st.header(t("shortcuts.train.title"))
    st.markdown(t("shortcuts.train.intro"))
    c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    depth = c1.select_slider(t("shortcuts.train.depth"), TRAIN_DEPTHS, 20, **keep("shortcuts_train_depth"))
    steps = c2.select_slider(t("shortcuts.train.steps"), TRAIN_STEPS, 300, **keep("shortcuts_train_steps"))
    costs.line(experiments.shortcut_configs("digits", depth=depth, steps=steps))
    ids, _ = experiment_panel.start("shortcuts", lambda: experiments.shortcut_configs("digits", depth=depth, steps=steps),
                                    group=experiments.SHORTCUTS, place=c3)
    if ids:
        progress.live_runs(ids, guarded(draw_runs), stop_prefix="shortcuts")
    else:
        st.caption(t("shortcuts.train.none_yet"))


with guard():
    diagram()
    cost_section()
    paper()
    training()
