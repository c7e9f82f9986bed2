"""Gradient flow: per-layer gradient norms, plain against residual, at initialisation (any depth
up to 110, BN on or off, any activation and init) and from live runs (a layer x step heat map and
a norm-by-depth profile), beside the 1 + dF/dx argument (He et al. 2016) with measured per-block
gains. What the numbers say is decided from the numbers, not from the settings."""

import numpy as np
import streamlit as st

from resnet_core import ModelConfig, TrainConfig, arch_config
from resnet_core.inspection import analysis, gradient_ratios
from resnet_core.inspection.probes import block_gradient_gains, grad_norms_at_init
from resnet_core.nets.config import ACTIVATIONS, BLOCKS, INITS
from resnet_core.store import groups
from resnet_core.training import experiments
from ui import guard, in_run_language, keep, label_of, lang, t
from ui.draw import gradient_charts, style, training_charts
from ui.draw.line_charts import Line
from ui.page import figures, presets, tables, terms
from ui.page.i18n import words
from ui.server import shared
from ui.training import estimates, exports, live_charts, page_runs, progress
from ui.users import identity

presets.apply("gradients")
st.title(t("page.gradients.title"))
st.markdown(t("gradients.lead"))

DEPTHS = [8, 11, 14, 20, 29, 32, 44, 56, 110]   # 6n+2 for basic/pre-act, 9n+2 for bottleneck
PROBE_SIZE, PROBE_BATCH = 16, 16   # random 16x16 images: the same picture as 32x32, four times faster
GROUP = groups.GRADIENTS
# One click to each setting worth seeing (bench/bench_probes.py measured all three).
SCENARIOS = {
    "vanish": dict(activation="sigmoid", norm=False, init="he", block="preact", depth=56),
    "paper": dict(activation="relu", norm=True, init="he", block="basic", depth=56),
    "relu_no_bn": dict(activation="relu", norm=False, init="he", block="basic", depth=56),
}


# --- at initialisation ----------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=64)
def probe(cfg: ModelConfig, seed: int) -> dict:
    """Both measurements for one net; cached, so every student with the same settings shares it."""
    names, norms = grad_norms_at_init(cfg, batch=PROBE_BATCH, seed=seed)
    gains = block_gradient_gains(cfg, batch=PROBE_BATCH, seed=seed)
    return dict(names=names, norms=norms, blocks=gains.names, gains=gains.gains, end_to_end=gains.end_to_end)


def ratio_text(ratio: float) -> str:
    """A measured ratio as shown: exact zeros (nothing arrives) in words, never as a number."""
    if ratio == 0:
        return t("gradients.ratio_zero")
    return "–" if not np.isfinite(ratio) else style.fmt_ratio(ratio, lang())


def verdict(ratio: float, zeros: int) -> str:
    # Judged on the ratio as shown: "1/1,000" is not "under a thousandth", "1,000×" is within a thousand.
    code = gradient_ratios.gradient_verdict(style.shown_ratio(ratio), zeros)
    return t(f"gradients.verdict.{code}", n=zeros, ratio=ratio_text(ratio))


def use_scenario(code: str) -> None:
    st.session_state.update({f"gradients_{name}": value for name, value in SCENARIOS[code].items()})


def init_controls() -> tuple[ModelConfig, int]:
    st.caption(t("gradients.scenarios"))
    with st.container(horizontal=True, gap="small"):   # each button as wide as its label, wrapping, never cut
        for code in SCENARIOS:
            st.button(t(f"gradients.scenario.{code}"), key=f"gradients_try_{code}", on_click=use_scenario,
                      args=(code,), width="content")
    # Two rows of three: the net's shape, then how it starts. Six in one row cut the longer
    # choices ("Bottleneck (1×1-3×3-1×1)", "Xavier (Glorot)") at 1280 px.
    c1, c2, c3 = st.columns(3)
    depth = c1.selectbox(t("gradients.depth"), DEPTHS, index=DEPTHS.index(56), **keep("gradients_depth"))
    block = c2.selectbox(t("gradients.block"), list(BLOCKS), index=BLOCKS.index("preact"), format_func=label_of("gradients.blocks"),
                         **keep("gradients_block"))
    activation = c3.selectbox(t("gradients.activation"), list(ACTIVATIONS), index=ACTIVATIONS.index("sigmoid"),
                              format_func=label_of("gradients.act"), **keep("gradients_activation"))
    c4, c5, c6 = st.columns(3, vertical_alignment="bottom")
    init = c4.selectbox(t("gradients.init"), list(INITS), format_func=label_of("gradients.inits"), **keep("gradients_init"))
    seed = c5.number_input(t("gradients.seed"), 0, 9999, 0, **keep("gradients_seed"))
    norm = c6.toggle(t("gradients.bn"), value=False, **keep("gradients_norm"))
    if block == "preact":
        st.caption(t("gradients.preact_note"))
    cfg = arch_config(f"resnet{depth}", block=block, norm="batch" if norm else "none", activation=activation,
                      init=init, input_size=PROBE_SIZE)
    return cfg, int(seed)


def at_init() -> None:
    cfg, seed = init_controls()
    twins = {"plain": cfg.replace(residual=False), "residual": cfg}
    with st.spinner(t("gradients.measuring")):
        results = {kind: probe(c, seed) for kind, c in twins.items()}
    ratios = {k: gradient_ratios.input_output_ratio(r["names"], r["norms"]) for k, r in results.items()}
    zeros = {k: int((np.asarray(r["norms"]) == 0).sum()) for k, r in results.items()}

    for col, kind in zip(st.columns(2), twins):
        name = terms.kind_name(twins[kind].residual, twins[kind].depth)
        ratio = ratios[kind]   # an exact 0 as "0", its words under it: they do not fit a metric at 1280 px
        col.metric(t("gradients.ratio_label", name=name), "0" if ratio == 0 else ratio_text(ratio), help=t("gradients.ratio_help"))
        if ratio == 0:
            col.caption(t("gradients.ratio_zero_caption", zero=ratio_text(ratio)))
        col.markdown(verdict(ratios[kind], zeros[kind]))
    profiles = []
    for kind, r in results.items():
        keep_ix = training_charts.main_path(r["names"])
        profiles.append(Line(terms.kind_name(twins[kind].residual, twins[kind].depth),
                             np.asarray(r["norms"])[keep_ix].tolist(), training_charts.colour(kind),
                             [r["names"][i] for i in keep_ix]))
    st.markdown(f"**{t('gradients.profile_title')}**")
    svg = figures.cached(("gradients-init", cfg, seed),
                         lambda: gradient_charts.profile(profiles, t("gradients.profile_title"),
                                                         words(gradient_charts.WORDS)))
    figures.with_download(st, svg, t("gradients.download_svg"), f"gradients-at-init-{cfg.name}",
                          "gradients_init_profile_download")
    st.caption(t("gradients.init_note", size=PROBE_SIZE, batch=PROBE_BATCH))
    explain(cfg, ratios, zeros, len(results["plain"]["norms"]))
    one_plus(results, twins, seed)


def reading(cfg: ModelConfig, ratios: dict, zeros: dict, layers: int = 0) -> tuple[str, dict]:
    """The explanation the measured ratios support (gradient_ratios.gradient_reading), with its values.
    Where the plain net's input side gets exactly 0, the sentence counts those layers instead
    of giving a ratio; where both its ends do ("dead"), it counts them out of `layers`."""
    plain, res = ratios["plain"], ratios["residual"]
    code = gradient_ratios.gradient_reading(cfg, style.shown_ratio(plain), style.shown_ratio(res))
    values = dict(plain=ratio_text(plain), residual=ratio_text(res), depth=cfg.depth,
                  act=t(f"gradients.act.{cfg.activation}"))
    twin = (t("gradients.twin.zero", m=zeros["residual"]) if not res > 0
            else t("gradients.twin.ratio", residual=ratio_text(res)))
    if code == "dead":
        return "gradients.explain.dead", dict(values, n=zeros["plain"], total=layers, twin=twin)
    if plain == 0 and code in ("vanish_preact", "vanish_post", "both_vanish", "both_vanish_preact"):
        # both_vanish.zero names no block's reason: it fits pre-activation blocks too.
        zero_code = "both_vanish" if code == "both_vanish_preact" else code
        return f"gradients.explain.{zero_code}.zero", dict(values, n=zeros["plain"], twin=twin)
    return f"gradients.explain.{code}", values


def explain(cfg: ModelConfig, ratios: dict, zeros: dict, layers: int) -> None:
    key, values = reading(cfg, ratios, zeros, layers)
    st.info(t(key, **values), icon=":material/info:")
    if cfg.activation == "sigmoid":
        st.caption(t("gradients.sigmoid_note"))


def one_plus(results: dict, twins: dict, seed: int) -> None:
    st.subheader(t("gradients.one_plus.title"))
    block = twins["residual"].block
    st.latex(r"x_{out} = x_{in} + F(x_{in}) \quad\Rightarrow\quad "
             r"\frac{\partial L}{\partial x_{in}} = \frac{\partial L}{\partial x_{out}}"
             r"\left(1 + \frac{\partial F}{\partial x_{in}}\right)")
    # One after another at the page's width: side by side, at 1280 px, the table hid a column.
    st.markdown(t("gradients.one_plus.text"))
    st.markdown(t("gradients.one_plus.exact" if block == "preact" else "gradients.one_plus.approx"))
    lines = [Line(terms.kind_name(twins[k].residual, twins[k].depth), np.asarray(r["gains"]).tolist(),
                  training_charts.colour(k), list(r["blocks"])) for k, r in results.items()]
    svg = figures.cached(("gradients-gains", twins["residual"], seed),
                         lambda: gradient_charts.gains(lines, words(gradient_charts.WORDS)))
    figures.with_download(st, svg, t("gradients.download_svg"), "gradients-block-gains", "gradients_gains_download")
    gain = lambda x: style.fmt_ratio(float(x), lang())  # noqa: E731   as ratios: "8,610×", "1/1,680", never "8.61e+03"
    rows = []
    for kind, r in results.items():
        gains = np.asarray(r["gains"])
        rows.append({t("gradients.one_plus.net"): terms.kind_name(twins[kind].residual, twins[kind].depth),
                     t("gradients.one_plus.median"): gain(np.median(gains)),
                     t("gradients.one_plus.range"): f"{gain(gains.min())} – {gain(gains.max())}",
                     t("gradients.one_plus.end"): gain(r["end_to_end"])})
    tables.show(rows)
    st.caption(t("gradients.one_plus.caption"))


# --- during training ------------------------------------------------------------------------

def twin_configs(depth: int, bn: bool, activation: str, steps: int) -> list[tuple[str, ModelConfig, TrainConfig]]:
    """A plain net and its residual twin on the digits, with the degradation experiment's recipe."""
    base = arch_config(f"resnet{depth}", in_channels=1, input_size=experiments.RECIPE_SIZE["digits"],
                       base_width=8, norm="batch" if bn else "none", activation=activation,
                       block="preact" if activation == "sigmoid" else "basic")
    # Without BN the paper's lr of 0.1 blows a deep net up; one gentler lr for both keeps it fair.
    train = experiments.recipe("digits", steps=steps).replace(lr=0.1 if bn else 0.01)
    # Stored labels are English ("plain-20"); terms.net_label translates them where shown.
    return [(m.kind, m, train) for m in (base.replace(residual=r) for r in (False, True))]


def live() -> None:
    with st.form("gradients_train_form", border=True):
        st.markdown(t("gradients.live.form"))
        c1, c2, c3, c4 = st.columns(4)
        depth = c1.selectbox(t("gradients.depth"), [20, 32, 56], **keep("gradients_live_depth"))
        bn = c2.toggle(t("gradients.bn"), value=True, **keep("gradients_live_bn"))
        activation = c3.selectbox(t("gradients.activation"), ["relu", "sigmoid"], format_func=label_of("gradients.act"),
                                  **keep("gradients_live_activation"))
        steps = c4.select_slider(t("gradients.live.steps"), [50, 100, 200, 400], 200, **keep("gradients_live_steps"))
        estimates.plan_line(twin_configs(depth, bn, activation, steps))
        go = st.form_submit_button(t("gradients.live.train"), icon=":material/play_arrow:", type="primary")
    if go:
        ids = page_runs.submit(twin_configs(depth, bn, activation, steps), group=GROUP)
        if ids:
            st.session_state["_gradients_twins"] = ids

    mine = not identity.scope_toggle("gradients")
    known = page_runs.recent(mine=mine, limit=40)
    if not known:
        st.info(t("gradients.live.none" if mine else "gradients.live.none_class"))
        return
    by_id = {r.id: r for r in known}
    plain_ids = [r.id for r in known if not r.model_cfg.residual]
    res_ids = [r.id for r in known if r.model_cfg.residual]
    twins = [i for i in st.session_state.get("_gradients_twins", []) if i in by_id]
    label = in_run_language(lambda i: terms.net_label(page_runs.run_label(by_id[i], whose=not mine)))
    c1, c2 = st.columns(2)
    picked = []
    for col, ids, kind in ((c1, plain_ids, "plain"), (c2, res_ids, "residual")):
        default = next((i for i in twins if i in ids), ids[0] if ids else None)
        key = f"gradients_pick_{kind}"
        if st.session_state.get(key) not in ids:
            st.session_state[key] = default
        picked.append(col.selectbox(t(f"gradients.live.pick_{kind}"), ids, format_func=label, key=key))
    chosen = [i for i in picked if i is not None]
    if not chosen:
        return
    total = max(by_id[i].total_steps or by_id[i].train_cfg.steps for i in chosen)
    at_step = st.slider(t("gradients.live.at_step"), 1, max(2, total), max(2, total), key="gradients_at_step")
    progress.live_runs(chosen, lambda views: draw_live(views, at_step), stop_prefix="gradients")
    exports.run_list_export(chosen, label, "gradients")


def learning(views: list) -> None:
    """Loss and training accuracy beside the gradients, and, once a run has ended, whether it
    learned, read on both measures against their bars (analysis.learning_outcome): a net left at
    chance on both did not, and its gradients are those of a net that is not learning."""
    loss, acc = [], []
    for v in views:
        name, kind = terms.net_label(v.info.label), v.info.model_cfg.twin
        loss.append(training_charts.Curve(name, kind, v.steps.step, v.steps.loss))
        acc.append(training_charts.Curve(name, kind, v.steps.step, [100 * a for a in v.steps.acc]))
    live_charts.learning_curves(st.columns(2), ("gradients",) + live_charts.views_key(views), [
        live_charts.CurvePanel("gradients-loss", loss, t("gradients.live.loss_axis"), log_y=True,
                               config=exports.png_config("gradients-training-loss"), element_key="gradients_loss"),
        live_charts.CurvePanel("gradients-acc", acc, t("gradients.live.acc_axis"), y_range=(0, 100),
                               config=exports.png_config("gradients-training-accuracy"), element_key="gradients_acc")],
        training=any(v.active for v in views))
    for v in views:
        i, classes = v.info, v.info.model_cfg.num_classes
        # Judged as the sentence shows them (2 decimals, 0.1%): 20.0% never gets both verdicts.
        loss = None if i.final_train_loss is None else round(i.final_train_loss, 2)
        acc = round(100 * (i.final_train_acc or 0), 1)
        end = analysis.learning_outcome(i.status, loss, acc / 100, classes)
        if end == "unfinished":
            continue
        text = t(f"gradients.live.{end}", net=terms.net_label(i.label), classes=classes,
                 loss=f"{loss:.2f}" if end != "diverged" else "–", acc=f"{acc:.1f}%", chance_acc=f"{100 / classes:.0f}%",
                 chance_loss=f"{np.log(classes):.2f}", bar_loss=f"{0.8 * np.log(classes):.2f}")
        (st.success if end == "learned" else st.warning)(
            text, icon=":material/check_circle:" if end == "learned" else ":material/warning:")


def draw_live(views: list, at_step: int) -> None:
    progress.progress_rows(views, "gradients")
    learning(views)
    data = [(v, *page_runs.grads(v.id)) for v in views]
    zrange = training_charts.log_range(*[m for *_, m in data])
    cols = st.columns(len(data))
    profiles, shown = [], []
    for col, (v, steps, names, matrix) in zip(cols, data):
        kind = v.info.model_cfg.twin
        # One heatmap per change of the run for the whole class, not one per viewer and tick.
        heat = live_charts.figure(
            ("gradients-heat", v.id, v.info.status, steps[-1] if steps else 0, zrange, v.info.label, lang()),
            lambda v=v, steps=steps, names=names, matrix=matrix: training_charts.grad_heatmap(
                steps, names, matrix, words=words(training_charts.WORDS), title=terms.net_label(v.info.label), zrange=zrange, revision=f"heat-{v.id}"))
        live_charts.show(col, heat, config=exports.png_config(f"gradients-heatmap-run{v.id}"),
                         key=f"gradients_heat_{v.id}")
        step, norms = page_runs.grads_at(v.id, at_step)
        if norms is not None:
            ix = training_charts.main_path(names)
            profiles.append(Line(f"{terms.net_label(v.info.label)} · {t('charts.step')} {step}",
                                 np.asarray(norms)[ix].tolist(), training_charts.colour(kind), [names[i] for i in ix]))
            shown.append((v.id, step, v.info.label))
    st.markdown(f"**{t('gradients.live.profile_title')}**")
    # One drawing per (runs, steps shown) for the whole class: the fragment reruns every second.
    svg = figures.cached(("gradients-profile", str(shared.store().path), tuple(shown)),
                         lambda: gradient_charts.profile(profiles, t("gradients.live.profile_title"),
                                                        words(gradient_charts.WORDS)))
    figures.with_download(st, svg, t("gradients.download_svg"), "gradients-profile", "gradients_live_profile_download")
    st.caption(t("gradients.live.caption"))


with guard():
    identity.identity_box("gradients")
    mode = st.segmented_control(t("gradients.mode"), ["init", "live"], default="init", required=True,
                                format_func=label_of("gradients.modes"), **keep("gradients_mode"))
    if (mode or "init") == "init":
        at_init()
    else:
        live()
