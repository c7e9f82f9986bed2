"""Shortcuts A/B/C: zero-padding identity, projection when the dimensions grow, projection
everywhere (He et al. 2015: A and B in section 3.3, C and Table 3 in section 4.1). Their
diagrams, what each costs on a chosen net, the three trained side by side, and the paper's
Table 3 beside them."""


import streamlit as st

from resnet_core.data.datasets import held_out_count
from resnet_core.nets import flops
from resnet_core.nets.architectures import arch_config
from resnet_core.inspection import readings
from resnet_core.store import groups
from resnet_core.training import experiments
from ui import guard, guarded, keep, label_of, t
from ui.draw import axes, bar_charts, style, training_charts
from ui.draw.bar_charts import BarPanel, Series
from ui.draw.canvas import ADDER_PX, Canvas
from ui.page import figures, presets, tables, terms
from ui.training import estimates, experiment_panel, page_runs, progress, served

presets.apply("shortcuts")
st.title(t("page.shortcuts.title"))
st.markdown(t("shortcuts.lead"))

OPTIONS = ("A", "B", "C")
# Three residual nets told apart at a glance, colour-blind viewers included (ui.draw.style); the
# diagram, the bars and the live curves use the same three, and the curves' dashes differ too.
OPTION_COLOURS = style.OPTION_COLOURS
OPTION_DASHES = {"A": "solid", "B": "dash", "C": "dot", "plain": "solid"}
ARCHS = ["resnet20", "resnet32", "resnet56", "resnet110", "resnet18", "resnet34", "resnet50", "resnet101",
         "resnet152"]
# He et al. 2015, Table 3 (ImageNet val, 10-crop testing): top-1 and top-5 error, %.
TABLE_3 = (("plain34", 28.54, 10.02), ("A", 25.03, 7.76), ("B", 24.52, 7.46), ("C", 24.19, 7.40))
INK = "#1F2328"   # diagram text
ARROW = "#444444"


# The diagram: a 2 x 3 grid, options across, the two kinds of block down.

def _cell(c: Canvas, ox: float, oy: float, option: str, grows: bool) -> None:
    """One block with its shortcut; the block's input at the top, its output at the bottom."""
    colour = OPTION_COLOURS[option]
    main, side = ox + 1.05, ox + 3.3
    top, f_mid, plus, bottom = oy + 3.3, oy + 2.0, oy + 0.7, oy + 0.05
    c.label(main, top + 0.3, "x", INK, size=16, bold=True)
    # The shortcut: right from x, down, back into the addition (drawn first: boxes sit on it).
    projection = option == "C" or (option == "B" and grows)
    zero_pad = option == "A" and grows
    line = style.NEUTRAL if zero_pad else colour
    c.path([(main, top), (side, top), (side, plus)], line, 3, "dot" if zero_pad else "solid")
    c.arrow(side, plus, main, plus, line, end_px=ADDER_PX // 2 + 1, width=3)
    # The residual branch F(x): two 3x3 convs (the first with stride 2 where the map halves).
    c.arrow(main, top + 0.12, main, f_mid + 0.55, ARROW, width=2)
    c.rect(main - 0.98, f_mid - 0.55, main + 0.98, f_mid + 0.55, fill="white", stroke=colour, width=2.5)
    c.label(main, f_mid, t("shortcuts.diagram.f_grow" if grows else "shortcuts.diagram.f"), INK, size=13)
    c.arrow(main, f_mid - 0.55, main, plus, ARROW, end_px=ADDER_PX // 2 + 1, width=2)
    c.adder(main, plus, colour)
    c.arrow(main, plus, main, bottom - 0.1, ARROW, start_px=ADDER_PX // 2 + 1, width=2)
    if projection or zero_pad:
        fill = style.OPTION_FILLS[option] if projection else "#F3F4F6"
        c.rect(side - 0.92, f_mid - 0.5, side + 0.92, f_mid + 0.5, fill=fill, stroke=line,
               width=2.5 if projection else 2, dash="solid" if projection else "dot")
        text = ("shortcuts.diagram.proj_grow" if grows else "shortcuts.diagram.proj") if projection \
            else "shortcuts.diagram.pad"
        c.label(side, f_mid, t(text), INK, size=12)
    else:
        c.label(side + 0.1, f_mid, t("shortcuts.diagram.identity"), INK, size=13, anchor="start")
    extra = "shortcuts.diagram.params_proj" if projection else "shortcuts.diagram.params_zero"
    c.label(side, bottom + 0.1, t(extra), ARROW, size=12)


def option_diagram(options: tuple[str, ...] = OPTIONS) -> str:
    """Options across, a block whose shape stays and one whose dimensions grow down (SVG)."""
    width, height = 4.8, 4.3
    c = Canvas(-0.6, len(options) * width - 0.3, -height - 0.25, height + 0.45, sx=64, sy=66)
    for j, option in enumerate(options):
        # Dark text: the option's colour is on its lines and boxes (A's sky blue is too light for text).
        c.label(j * width + 2.0, height + 0.15, t(f"shortcuts.option.{option}"), INK, size=16,
                bold=True)
        for i, grows in enumerate((False, True)):
            _cell(c, j * width, -i * height, option, grows)
    for i, grows in enumerate((False, True)):
        axes.vertical_label(c, -0.3, -i * height + 1.9,
                            t("shortcuts.diagram.row_grow" if grows else "shortcuts.diagram.row_same"), INK, 13)
    return c.svg(t("shortcuts.diagram.title") if len(options) > 1 else t(f"shortcuts.option.{options[0]}"))


def diagram() -> None:
    st.header(t("shortcuts.diagram.title"))
    # On a phone the three options stand one above the other, each at a readable size.
    figures.show(figures.cached(("shortcuts-options",), option_diagram),
                 [figures.cached(("shortcuts-option", o), lambda o=o: option_diagram((o,))) for o in OPTIONS])
    for column, option in zip(st.columns(3), OPTIONS):
        column.markdown(t(f"shortcuts.explain.{option}"))


# Costs per option

@st.cache_data(show_spinner=False)
def costs_of(arch: str, layout: str) -> list[tuple[str, int, int, int]]:
    return [(c.option, c.params, c.macs, c.projections) for c in flops.shortcut_costs(arch, stride_at=layout)]


def _pct(extra: int, base: int) -> str:
    return f"{100 * extra / base:+.2f}%"


def extra_cost_chart(costs: list[tuple[str, int, int, int]]) -> str:
    """What B and C add over A, in parameters and multiply-adds, with the share of A's cost (SVG)."""
    options = [o for o, *_ in costs[1:]]
    names = [t(f"shortcuts.minus.{o}") for o in options]
    panels = []
    for index, unit in ((1, t("shortcuts.costs.extra_params")), (2, t("shortcuts.costs.extra_macs"))):
        extra = [row[index] - costs[0][index] for row in costs[1:]]
        texts = [f"+{style.fmt_si(e)} ({_pct(e, costs[0][index])})" for e in extra]
        panels.append(BarPanel(names, [Series("", extra, [OPTION_COLOURS[o] for o in options], texts)],
                               y_title=unit, y_range=(0, max(max(extra), 1) * 1.25), value_format=","))
    return bar_charts.grouped_bars(panels, title=t("shortcuts.costs.title"), height=380, width=900)


def cost_section() -> None:
    st.header(t("shortcuts.costs.title"))
    st.markdown(t("shortcuts.costs.intro"))
    c1, c2 = st.columns(2)
    arch = c1.selectbox(t("shortcuts.costs.arch"), ARCHS, index=ARCHS.index("resnet34"), format_func=style.arch_name,
                        **keep("shortcuts_arch"))
    bottleneck = arch_config(arch).block == "bottleneck"
    layout = c2.radio(t("shortcuts.costs.layout"), ["v1", "v1.5"], horizontal=True, disabled=not bottleneck,
                      format_func=label_of("shortcuts.layout"), **keep("shortcuts_layout"))
    rows = costs_of(arch, layout if bottleneck else "v1")
    base_params, base_macs = rows[0][1], rows[0][2]
    tables.show([{t("shortcuts.costs.option"): t(f"shortcuts.option.{o}"),
                   t("shortcuts.costs.projections"): n,
                   t("unit.params"): style.fmt_int(p),
                   t("shortcuts.costs.params_vs_a"): f"{p - base_params:+,}",
                   t("unit.macs"): style.fmt_int(m),
                   t("shortcuts.costs.macs_vs_a"): f"{m - base_macs:+,}"} for o, p, m, n in rows])
    for option, params, macs, n in rows[1:]:
        st.markdown(t(f"shortcuts.costs.diff.{option}", params=f"{params - base_params:,}",
                      params_pct=_pct(params - base_params, base_params), macs=f"{macs - base_macs:,}",
                      macs_pct=_pct(macs - base_macs, base_macs), n=n))
    st.markdown(figures.cached(("shortcuts-extra", arch, layout), lambda: extra_cost_chart(rows)),
                unsafe_allow_html=True)
    st.caption(t("shortcuts.costs.bottleneck_note" if bottleneck else "shortcuts.costs.basic_note"))


# The paper's Table 3

def paper_chart() -> str:
    """Table 3's top-1 and top-5 errors as bars, plain-34 warm and the options in their colours (SVG)."""
    names = [t(f"shortcuts.paper.net.{code}") for code, *_ in TABLE_3]
    colours = [style.PLAIN if code == "plain34" else OPTION_COLOURS[code] for code, *_ in TABLE_3]
    panels = []
    for index, title in ((1, t("shortcuts.paper.top1")), (2, t("shortcuts.paper.top5"))):
        values = [row[index] for row in TABLE_3]
        panels.append(BarPanel(names, [Series("", values, colours, [f"{v:.2f}" for v in values])],
                               y_title=t("shortcuts.paper.axis") if index == 1 else "", title=title,
                               y_range=(0, max(values) * 1.2), value_format=".2f"))
    return bar_charts.grouped_bars(panels, title=t("shortcuts.paper.title"), height=400, width=820)


def paper() -> None:
    st.header(t("shortcuts.paper.title"))
    # The table, then the chart at the page's width: beside the table, at 1280 px, its numbers
    # shrank to 8 px.
    left, _ = st.columns([3, 2])
    tables.show([{t("shortcuts.paper.net"): t(f"shortcuts.paper.net.{code}"),
                  t("shortcuts.paper.top1"): f"{top1:.2f}", t("shortcuts.paper.top5"): f"{top5:.2f}"}
                 for code, top1, top5 in TABLE_3], place=left)
    left.caption(t("shortcuts.paper.source"))
    st.markdown(figures.cached(("shortcuts-table3",), paper_chart), unsafe_allow_html=True)
    st.markdown(t("shortcuts.paper.reading"))


# A, B and C trained side by side, with their plain twin

TRAIN_DEPTHS = [8, 14, 20, 32, 56]
TRAIN_STEPS = [50, 100, 200, 300, 600]


def option_of(info) -> str:
    """A run's shortcut option ("B"), or "plain" for the plain twin, from what it trained: a run
    that served this press may be another page's ("ResNet-20" from a Degradation experiment is
    this page's ResNet-20 A), so its label does not say."""
    return info.model_cfg.shortcut if info.model_cfg.residual else "plain"


def label_of_run(info) -> str:
    """"ResNet-20 B", "plain-20": the label this page gives the run, from its config (as option_of)."""
    m = info.model_cfg
    return f"{m.kind} {m.shortcut}" if m.residual else m.kind


def name_of(info) -> str:
    """The run's name in the reader's language ("ResNet-20 B", "플레인-20")."""
    return terms.net_label(label_of_run(info))


def served_too(ids: list[int]) -> list[int]:
    """The experiment's runs with those that served its press (page_runs.with_served): plain-20
    and ResNet-20 A at 300 steps are the Degradation page's plain-20 and ResNet-20."""
    infos = [page_runs.store().get_run(i) for i in ids]
    if not infos:
        return ids
    first, tc = infos[0], infos[0].train_cfg
    planned = experiments.shortcut_configs(tc.dataset, depth=first.model_cfg.depth, steps=tc.steps, seed=tc.seed,
                                           data_dir=tc.data_dir, width=first.model_cfg.base_width)
    return [i.id for i in served.with_served(infos, planned)]


def curves_of(views, metric: str) -> list:
    out = []
    for v in views:
        option = option_of(v.info)
        kind = "plain" if option == "plain" else f"option-{option}"
        if metric == "loss":
            x, y, markers = v.steps.step, v.steps.loss, False
        else:
            x, y, markers = v.evals.step, v.evals.test_acc, True
        out.append(training_charts.Curve(name_of(v.info), kind, x, y, dash=OPTION_DASHES[option],
                                markers=markers))
    return out


def results_table(views) -> None:
    def pct(x):
        return "–" if x is None or x != x else f"{100 * x:.1f}%"

    def loss(x):
        return "–" if x is None or x != x else f"{x:.4f}"

    tables.show([{t("shortcuts.train.net"): name_of(v.info),
                   t("shortcuts.train.params"): style.fmt_int(flops.count(v.info.model_cfg).params),
                   t("shortcuts.train.loss"): loss(v.info.final_train_loss),
                   t("shortcuts.train.train_acc"): pct(v.info.final_train_acc),
                   t("shortcuts.train.test_acc"): pct(v.info.test_acc)}
                  for v in views])


def draw_runs(views) -> None:
    views = served.named_as(views, label_of_run)   # the progress rows name a served run as the table does
    experiment_panel.loss_and_accuracy("shortcuts", views, curves_of)
    if views and not any(v.active for v in views):
        results_table(views)
        st.info(honest(views), icon=":material/info:")


def honest(views) -> str:
    """What the finished runs show about A, B and C, chosen from their held-out accuracies as the
    sentence shows them (readings.shortcut_reading), beside what the paper found."""
    acc = {option_of(v.info): v.info.test_acc for v in views if v.info.status == "finished"}
    if readings.shortcut_reading(acc)[0] == "missing":
        return t("shortcuts.train.honest.missing", paper=t("shortcuts.train.honest.paper"))
    # Read as shown (one decimal): on a held-out set finer than the digits' (CIFAR-10 from the CLI),
    # "1.0 points" never reads both ways, and 90.3% beside 90.3% is a tie at the top.
    shown = {o: round(100 * acc[o], 1) for o in OPTIONS}
    code, order = readings.shortcut_reading({o: shown[o] / 100 for o in OPTIONS})
    # This page's press trains on the digits (359 held out); one the CLI recorded may be on other data.
    values = dict(paper=t("shortcuts.train.honest.paper"), n=f"{held_out_count(views[0].info.train_cfg):,}")
    if len(set(shown.values())) == 1:   # all three alike to the digit shown: no spread, no order to state
        return t("shortcuts.train.honest.tied", a=f"{shown['A']:.1f}%", **values)
    leaders = readings.shortcut_leaders({o: shown[o] / 100 for o in OPTIONS}, order)
    best = leaders[0] if len(leaders) == 1 else t("shortcuts.train.honest.pair", a=leaders[0], b=leaders[1])
    # The spread between the shown values: "A 90.1%, C 88.9%" are 1.2 points apart, not 1.1.
    return t(f"shortcuts.train.honest.{code}", best=best, **values,
             **{o.lower(): f"{shown[o]:.1f}%" for o in OPTIONS},
             spread=f"{shown[order[0]] - shown[order[-1]]:.1f}")


def training() -> None:
    st.header(t("shortcuts.train.title"))
    st.markdown(t("shortcuts.train.intro"))
    c1, c2, c3 = st.columns([2, 2, 1.6], vertical_alignment="bottom")   # the start button's label on one line
    depth = c1.select_slider(t("shortcuts.train.depth"), TRAIN_DEPTHS, 20, **keep("shortcuts_train_depth"))
    steps = c2.select_slider(t("shortcuts.train.steps"), TRAIN_STEPS, 300, **keep("shortcuts_train_steps"))
    estimates.plan_line(experiments.shortcut_configs("digits", depth=depth, steps=steps))
    ids, _ = experiment_panel.start("shortcuts", lambda: experiments.shortcut_configs("digits", depth=depth, steps=steps),
                                    group=groups.SHORTCUTS, place=c3)
    if ids:
        progress.live_runs(served_too(ids), guarded(draw_runs), stop_prefix="shortcuts")
    else:
        st.caption(t("shortcuts.train.none_yet"))


with guard():
    diagram()
    cost_section()
    paper()
    training()
