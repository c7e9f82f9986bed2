"""The paper's evidence: its tables beside what this app measures, Figure 7 measured on trained
nets, pre-activation, the misconceptions students bring (answered with measurements), and the
AlexNet material (ReLU against tanh, trained live). Training goes through the run queue; this
page only reads runs and their checkpoints."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from resnet_core import arch_config, paper
from resnet_core.inspection import analysis, gradient_ratios, readings, verdicts
from resnet_core.inspection.probes import block_gradient_gains, grad_norms_at_init
from resnet_core.nets import flops
from resnet_core.store import groups
from resnet_core.store.runs import RunNotFound
from resnet_core.training import experiments
from ui import guard, guarded, keep, label_of, lang, t
from ui.draw import style, training_charts
from ui.page import nav, presets, tables, terms
from ui.page.i18n import words
from ui.page.verdicts import box as verdict_box
from ui.server import shared
from ui.training import estimates, experiment_panel, exports, page_runs, progress, served
from ui.users import identity

presets.apply("evidence")
st.title(t("page.evidence.title"))
st.markdown(t("evidence.lead"))

SECTIONS = ["paper", "fig7", "myths", "preact", "alexnet"]
NETS = ("plain-20", "plain-56", "ResNet-20", "ResNet-56")
FIG7_GROUP = groups.DEGRADATION   # the Degradation page's experiment trains exactly Figure 7's nets
ALEX_GROUP = groups.EVIDENCE_ALEXNET
ALEX_WINDOW = 10   # steps the training error is averaged over before it counts as reached (analysis.steps_to_error)
NO_BAR = {"displayModeBar": False}


def table(rows: list[dict]) -> None:
    tables.show(rows)   # static: readable on a projector, and no table code for the browser to load


# 1. The paper's numbers

def paper_numbers() -> None:
    st.header(t("evidence.headline.title"))
    c1, c2, c3 = st.columns(3, vertical_alignment="bottom")   # the values on one line when a label wraps
    c1.metric(t("evidence.headline.ensemble"), f"{paper.ENSEMBLE_TOP5}%")
    c2.metric(t("evidence.headline.r152"), f"{paper.RESNET152_GFLOPS} G")
    c3.metric(t("evidence.headline.vgg"), f"{paper.VGG19_GFLOPS} G")
    # The paper's 11.3 G counts the v1 layout (stride on the first 1x1: 11.28 G); torchvision's v1.5 is named beside it.
    ours, ours15 = (flops.count(arch_config("resnet152", stride_at=layout)).macs for layout in ("v1", "v1.5"))
    st.caption(t("evidence.headline.ours", ours=style.fmt_macs(ours), ours15=style.fmt_macs(ours15)))

    st.header(t("evidence.table2.title"))
    st.markdown(t("evidence.table2.text"))
    params = {d: (flops.count(arch_config(f"plain{d}")).params,
                  flops.count(arch_config(f"resnet{d}", shortcut="A")).params) for d in (18, 34)}
    table([{t("evidence.col.net"): terms.net_label(net), t("evidence.col.top1"): f"{err:.2f}",
            t("evidence.col.params"): style.fmt_int(params[int(net[-2:])][net.startswith("ResNet")])}
           for net, err in paper.TABLE2.items()])
    st.caption(t("evidence.table2.caption"))

    st.header(t("evidence.table6.title"))
    table([{t("evidence.col.net"): net, "n": n, t("evidence.col.params_m"): f"{p}M",
            t("evidence.col.test_err"): f"{err:.2f}"} for net, (n, p, err) in paper.TABLE6.items()])
    st.markdown(t("evidence.table6.text", mean=paper.RESNET110_MEAN, spread=paper.RESNET110_SPREAD,
                  lr=paper.RESNET110_WARMUP_LR, iters=paper.RESNET110_WARMUP_ITERS,
                  train=paper.RESNET1202_TRAIN_ERROR_BELOW, plain=paper.PLAIN110_ERROR_ABOVE))


# 2. Figure 7, measured

def dataset_name(code: str) -> str:
    """The dataset's name as the Degradation page shows it; Build & Train's name where that page
    has none (a CLI experiment on MNIST or Fashion-MNIST), never the code."""
    return terms.dataset_name(code, "degradation.datasets")


def pressed() -> list:
    """This browser's latest Figure 7 press, as its progress rows show it (experiment_panel keeps its
    ids). Runs already trained elsewhere may have served all four (the Lesion study's and Loss
    landscape's pairs have the Degradation recipe: resnet_core.jobs.sharing), and none of them is then
    in the Degradation group; the Degradation page lists such a press too."""
    found = []
    for run_id in page_runs.latest_experiment(FIG7_GROUP, experiment_panel.run_ids_key("evidence", "fig7_train")):
        try:
            found.append(shared.store().get_run(run_id))
        except RunNotFound:   # a fresh class store emptied it
            continue
    return found


def fig7_runs(mine: bool) -> dict[str, object]:
    """The newest finished, checkpointed run of each of Figure 7's four nets (this user's, or
    the class's), all from one experiment, or from this browser's latest press."""
    infos = page_runs.recent(mine=mine, group=FIG7_GROUP, limit=200)
    sets = [served.degradation_served(same) for same in page_runs.experiments_of(infos)] + [pressed()]
    for same in sorted((s for s in sets if s), key=lambda s: -max(i.id for i in s)):   # newest first
        found = {i.model_cfg.kind: i for i in same if i.status == "finished" and i.has_checkpoint}
        if set(NETS) <= found.keys():
            return {net: found[net] for net in NETS}
    return {}


def fig7_progress(views) -> None:
    """The press's progress, each run by its net's own name, as the Degradation page names them: a
    run that served the press keeps its own page's label ("ResNet-20 A" on the Shortcuts page)."""
    progress.progress_rows(served.named_as(views, lambda info: info.model_cfg.kind), "evidence")


@st.cache_data(show_spinner=False, max_entries=32)
def responses(run_id: int, db: str) -> tuple[list[str], np.ndarray]:
    info = shared.store().get_run(run_id)
    return analysis.trained_responses(shared.store().load_model(run_id), info.train_cfg.dataset,
                                      seed=info.train_cfg.seed)


def fig7_chart(measured: dict[str, np.ndarray]) -> go.Figure:
    # Room between the panels for the top one's axis title and the lower one's title, one above
    # the other: at 0.14 they overlapped.
    fig = make_subplots(rows=2, cols=1, vertical_spacing=0.24,
                        subplot_titles=[t("evidence.fig7.by_layer"), t("evidence.fig7.sorted")])
    for net, stds in measured.items():
        kind = "residual" if net.startswith("ResNet") else "plain"
        line = dict(color=training_charts.colour(kind, 1 if net.endswith("56") else 0), width=2.5)
        for row, ys in ((1, stds), (2, np.sort(stds)[::-1])):
            fig.add_scatter(x=list(range(1, len(ys) + 1)), y=ys, mode="lines+markers", name=terms.net_label(net),
                            line=line, showlegend=row == 1, legendgroup=net, row=row, col=1)
    fig.update_xaxes(title_text=t("evidence.fig7.x_layer"), row=1, col=1)
    fig.update_xaxes(title_text=t("evidence.fig7.x_sorted"), row=2, col=1)
    fig.update_yaxes(title_text=t("evidence.fig7.y"))
    return style.layout(fig, height=720)


def figure7() -> None:
    st.header(t("evidence.fig7.title"))
    st.markdown(t("evidence.fig7.text"))
    mine = not identity.scope_toggle("evidence_fig7")
    found = fig7_runs(mine)
    if len(found) < len(NETS):
        # Whose experiments were read: this browser's "none" is not the server's (the cost line may find them).
        st.info(t("evidence.fig7.none_mine" if mine else "evidence.fig7.none"), icon=":material/hourglass_empty:")
        planned = experiments.degradation_configs("digits", steps=300)
        # Finished nets serve the press at once; Figure 7 needs their weights: without them, trained anew.
        anew = served.weightless(planned)
        if anew:
            st.caption(t("evidence.fig7.anew"))
        (estimates.line if anew else estimates.plan_line)(planned)
        ids, _ = experiment_panel.start("evidence", lambda: planned, group=FIG7_GROUP, name="fig7_train",
                                        label="evidence.fig7.train", share=not anew)
        if ids:
            progress.live_runs(ids, guarded(fig7_progress), stop_prefix="evidence")
        return
    db = str(shared.store().path)
    measured = {net: responses(info.id, db)[1] for net, info in found.items()}
    first = found["plain-20"].train_cfg
    st.markdown(t("evidence.fig7.source", runs=", ".join(f"#{i.id} {terms.net_label(n)}" for n, i in found.items()),
                  dataset=dataset_name(first.dataset), steps=first.steps))
    st.plotly_chart(fig7_chart(measured), config=exports.png_config("figure7-responses"), key="evidence_fig7_chart")
    means = {net: float(np.mean(s)) for net, s in measured.items()}
    table([{t("evidence.col.net"): terms.net_label(n), t("evidence.fig7.mean"): f"{m:.3f}"} for n, m in means.items()])
    # Judged on the means as the table and the sentences show them (three decimals).
    for code, outcome in analysis.figure7_checks(means, decimals=3).items():
        a, b = analysis.FIGURE7_PAIRS[code]
        if outcome in (verdicts.EQUAL, verdicts.UNCLEAR):
            text = t(f"evidence.fig7.{outcome}", a=terms.net_label(a), b=terms.net_label(b), va=f"{means[a]:.3f}",
                     vb=f"{means[b]:.3f}", tol=f"{100 * analysis.FIGURE7_TOLERANCE:.0f}")
        else:
            text = t(f"evidence.fig7.check.{code}.{'yes' if outcome == verdicts.HELD else 'no'}",
                     **{k.replace("-", ""): f"{v:.3f}" for k, v in means.items()})
        verdict_box(outcome, text)


# 3. Misconceptions, answered with measurements

@st.cache_data(show_spinner=False)
def plain56_ratio() -> float:
    cfg = arch_config("plain56", input_size=16)
    names, norms = grad_norms_at_init(cfg, batch=16, seed=0)
    return gradient_ratios.input_output_ratio(names, norms)


@st.cache_data(show_spinner=False)
def median_gains() -> dict[str, float]:
    return {block: float(np.median(block_gradient_gains(arch_config("resnet56", block=block, input_size=16),
                                                        batch=16, seed=0).gains)) for block in ("basic", "preact")}


def shown_loss(loss: float | None) -> float | None:
    return None if loss is None else round(loss, 3)


def degradation_said() -> str:
    """"plain-56 trains worse than plain-20", said only as far as this server's newest finished
    Degradation experiment (anyone's) showed it; a neutral sentence when there is none."""
    infos = page_runs.recent(mine=False, group=FIG7_GROUP, limit=200)
    for same in page_runs.experiments_of(infos):   # newest first, each with the runs that served it
        by_net = {i.model_cfg.kind: i for i in served.degradation_served(same) if i.status == "finished"}
        if set(NETS) <= by_net.keys():
            # Read as the sentence shows them (three decimals), as the Degradation page reads them:
            # "0.100 against 0.050" is twice, on both pages.
            rows = [experiments.ExperimentRow(n, i.id, i.status, shown_loss(i.final_train_loss), i.final_train_acc,
                                              i.test_acc, i.steps_done, i.seconds or 0.0) for n, i in by_net.items()]
            first = by_net["plain-20"].train_cfg
            # The runs are named (in the losses' order), as Figure 7 names its own: the two sections
            # can take different experiments (Figure 7: this browser's, with checkpoints; here: the
            # server's newest).
            return t(f"evidence.myth.deg.{readings.plain_depth_reading(rows)}",
                     p56=f"{by_net['plain-56'].final_train_loss:.3f}", p20=f"{by_net['plain-20'].final_train_loss:.3f}",
                     dataset=dataset_name(first.dataset), steps=first.steps,
                     runs=", ".join(f"#{by_net[n].id} {terms.net_label(n)}" for n in ("plain-56", "plain-20")))
    return t("evidence.myth.deg.missing")


def myths() -> None:
    st.header(t("evidence.myths.title"))
    st.subheader(t("evidence.myth.vanish.q"))
    ratio = plain56_ratio()
    st.markdown(t("evidence.myth.vanish.a", ratio=style.fmt_ratio(ratio, lang()), degradation=degradation_said(),
                  seen=t(f"evidence.myth.vanish.seen.{readings.vanish_seen(style.shown_ratio(ratio))}")))
    st.subheader(t("evidence.myth.option_a.q"))
    costs = {c.option: c for c in flops.shortcut_costs("resnet50")}
    st.markdown(t("evidence.myth.option_a.a", n=costs["B"].projections,
                  extra=style.fmt_int(costs["B"].params - costs["A"].params),
                  pct=f"{100 * (costs['B'].params - costs['A'].params) / costs['A'].params:.1f}",
                  c_extra=style.fmt_int(costs["C"].params - costs["A"].params)))
    st.subheader(t("evidence.myth.projection.q"))
    res, plain = (flops.count(arch_config(a)).params for a in ("resnet20", "plain20"))
    st.markdown(t("evidence.myth.projection.a", res=style.fmt_int(res), plain=style.fmt_int(plain),
                  same=t("evidence.same" if res == plain else "evidence.differ")))


def preact() -> None:
    st.header(t("evidence.preact.title"))
    st.markdown(t("evidence.preact.text", err=paper.RESNET1001_PREACT_ERROR))
    st.latex(r"x_{l+1} = x_l + F(x_l) \;\Rightarrow\; x_L = x_l + \sum_{i=l}^{L-1} F(x_i), \qquad "
             r"\frac{\partial L}{\partial x_l} = \frac{\partial L}{\partial x_L}"
             r"\Big(1 + \frac{\partial}{\partial x_l}\sum_{i=l}^{L-1} F(x_i)\Big)")
    gains = median_gains()
    st.markdown(t("evidence.preact.measured", basic=f"{gains['basic']:#.3g}", preact=f"{gains['preact']:#.3g}"))
    if nav.exists("build"):
        st.page_link(nav.file_of("build"), label=t("evidence.preact.try"), icon=nav.CATALOGUE["build"])


# 4. AlexNet: ReLU against tanh

def alexnet_configs(steps: int) -> list:
    """The same small plain CNN (no BN, as in 2012) with ReLU and with tanh, one recipe."""
    train = experiments.recipe("digits", steps=steps).replace(lr=0.05, schedule="constant", warmup_steps=0)
    nets = [arch_config("plain8", in_channels=1, input_size=8, base_width=16, norm="none", activation=act,
                        init="xavier") for act in ("relu", "tanh")]
    return [(f"{m.kind} {'ReLU' if m.activation == 'relu' else m.activation}", m, train) for m in nets]


def draw_alexnet(views) -> None:
    progress.progress_rows(views, "evidence")
    curves, reached = [], {}
    for v, shade in zip(views, (1, 0)):
        act = v.info.model_cfg.activation
        curves.append(training_charts.Curve(t(f"evidence.alex.{act}"), "plain", v.steps.step,
                                   [100 * (1 - a) for a in v.steps.acc], shade=shade))
        if v.info.status in ("finished", "diverged"):   # a stopped run's "–" would read "not within these steps"
            acc = shared.store().steps(v.id).acc
            reached[act] = analysis.steps_to_error(acc, paper.ALEXNET_TARGET_ERROR / 100, window=ALEX_WINDOW)
    st.plotly_chart(training_charts.curves(curves, words=words(training_charts.WORDS), y_title=t("evidence.alex.err_axis"), y_range=(0, 100)),
                    config=NO_BAR, key="evidence_alex_chart")
    if len(reached) == 2:
        relu, tanh = reached.get("relu"), reached.get("tanh")
        if relu and tanh:
            # Said as measured: on these small images tanh can be the faster one; steps closer than
            # the 10-step window the error is averaged over cannot tell the two apart.
            pace = verdicts.compare(relu, tanh, tolerance=ALEX_WINDOW)
            key = {verdicts.EQUAL: "same", verdicts.UNCLEAR: "unclear"}.get(
                pace.outcome, "relu_faster" if pace.direction < 0 else "tanh_faster")
            st.markdown(t(f"evidence.alex.result.{key}", relu=relu, tanh=tanh,
                          ratio=style.fmt_ratio(max(relu, tanh) / min(relu, tanh), lang())))
        else:
            st.markdown(t("evidence.alex.not_reached", relu=relu or "–", tanh=tanh or "–"))


def alexnet() -> None:
    st.header(t("evidence.alex.title"))
    st.markdown(t("evidence.alex.text", target=paper.ALEXNET_TARGET_ERROR, speedup=paper.ALEXNET_RELU_SPEEDUP))
    steps = st.select_slider(t("evidence.alex.steps"), [150, 300, 600], 300, **keep("evidence_alex_steps"))
    estimates.plan_line(alexnet_configs(steps))
    ids, _ = experiment_panel.start("evidence", lambda: alexnet_configs(steps), group=ALEX_GROUP, name="alex_train",
                                    label="evidence.alex.train")
    if ids:
        progress.live_runs(ids, guarded(draw_alexnet), stop_prefix="evidence")
    stem = dict(flops.build_on_meta(arch_config("resnet18")).named_modules())["stem.pool"]
    st.markdown(t("evidence.alex.lrn_pool", k=stem.kernel_size, s=stem.stride))


with guard():
    identity.identity_box("evidence")
    section = st.segmented_control(t("evidence.section"), SECTIONS, default="paper", required=True,
                                   format_func=label_of("evidence.section"), **keep("evidence_section"))
    {"paper": paper_numbers, "fig7": figure7, "myths": myths, "preact": preact,
     "alexnet": alexnet}[section or "paper"]()
