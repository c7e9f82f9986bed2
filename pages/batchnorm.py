"""BatchNorm: what one BN layer computes (with numbers, train vs eval mode), how a whole net's
activations look with and without BN, at initialisation and after training, and the two trained
side by side."""


import streamlit as st

from resnet_core import ModelConfig
from resnet_core.inspection import analysis, bn_demo
from resnet_core.store import groups
from resnet_core.training import experiments
from ui import guard, guarded, keep, label_of, lang, t
from ui.draw import activation_charts, style, training_charts
from ui.draw.activation_charts import Entry
from ui.page import figures, presets, tables, terms
from ui.page.i18n import words
from ui.server import shared
from ui.training import estimates, experiment_panel, live_charts, page_runs, progress, served

presets.apply("batchnorm")
st.title(t("page.batchnorm.title"))
st.markdown(t("batchnorm.lead"))

NORMS = ("batch", "none")
DATASET = "digits"      # embedded: no download, 1,797 real images
INIT_DEPTHS = [8, 20, 56]
PROFILE_IMAGES = 256    # real images each activation profile is measured on


# 1. One BN layer, with numbers

@st.cache_data(show_spinner=False, max_entries=64)
def example(batch: int, warm: int, gamma: float, beta: float) -> tuple[bn_demo.BNExample, float]:
    ex = bn_demo.bn_example(batch, 2, 2, gamma=gamma, beta=beta, warm_batches=warm)
    return ex, bn_demo.max_difference(ex)


def _f(v: float) -> str:
    return f"{v:.3f}"


def one_layer() -> None:
    st.header(t("batchnorm.layer.title"))
    st.markdown(t("batchnorm.layer.intro"))
    st.markdown(t("batchnorm.layer.train_formula"))
    st.latex(r"\mu_B = \tfrac{1}{m}\textstyle\sum_i x_i,\quad "
             r"\sigma_B^2 = \tfrac{1}{m}\textstyle\sum_i (x_i-\mu_B)^2,\quad "
             r"\hat x_i = \dfrac{x_i-\mu_B}{\sqrt{\sigma_B^2+\epsilon}},\quad y_i = \gamma\,\hat x_i + \beta")
    st.latex(r"\mu_{run} \leftarrow 0.9\,\mu_{run} + 0.1\,\mu_B,\qquad "
             r"\sigma_{run}^2 \leftarrow 0.9\,\sigma_{run}^2 + 0.1\,\tfrac{m}{m-1}\,\sigma_B^2")
    st.markdown(t("batchnorm.layer.eval_formula"))
    st.latex(r"y_i = \gamma\,\dfrac{x_i-\mu_{run}}{\sqrt{\sigma_{run}^2+\epsilon}} + \beta")
    c1, c2, c3, c4 = st.columns(4)
    batch = c1.slider(t("batchnorm.layer.batch"), 2, 16, 4, **keep("batchnorm_batch"))
    warm = c2.select_slider(t("batchnorm.layer.warm"), [0, 1, 2, 5, 10, 20, 50, 100, 200], 0,
                            **keep("batchnorm_warm"))
    gamma = c3.slider(t("batchnorm.layer.gamma"), 0.0, 3.0, 1.5, 0.1, **keep("batchnorm_gamma"))
    beta = c4.slider(t("batchnorm.layer.beta"), -2.0, 2.0, 0.5, 0.1, **keep("batchnorm_beta"))
    ex, gap = example(batch, warm, gamma, beta)
    st.markdown(t("batchnorm.layer.data", batch=batch, m=ex.per_channel))

    st.subheader(t("batchnorm.layer.stats"))
    tables.show([{t("batchnorm.col.channel"): c,
                   t("batchnorm.col.batch_mean"): _f(ex.batch_mean[c]),
                   t("batchnorm.col.batch_var"): _f(ex.batch_var[c]),
                   t("batchnorm.col.run_before"): f"{_f(ex.running_mean_before[c])} / {_f(ex.running_var_before[c])}",
                   t("batchnorm.col.run_after"): f"{_f(ex.running_mean[c])} / {_f(ex.running_var[c])}"}
                  for c in range(ex.x.shape[1])])

    st.subheader(t("batchnorm.layer.values"))
    x0 = ex.x[:, 0].reshape(-1)
    rows = zip(x0, ex.centred[:, 0].reshape(-1), ex.x_hat[:, 0].reshape(-1), ex.train_out[:, 0].reshape(-1),
               ex.eval_out[:, 0].reshape(-1))
    shown = list(rows)[:8]
    tables.show([{"x": _f(x), "x − μ_B": _f(d), "x̂": _f(h), t("batchnorm.col.train_out"): _f(y),
                  t("batchnorm.col.eval_out"): _f(e)} for x, d, h, y, e in shown])
    if ex.per_channel > len(shown):
        st.caption(t("batchnorm.layer.first_rows", n=len(shown), m=ex.per_channel))
    m1, m2, m3 = st.columns(3)
    m1.metric(t("batchnorm.layer.train_mean_std"), f"{ex.train_out[:, 0].mean():.3f} / {ex.train_out[:, 0].std():.3f}")
    m2.metric(t("batchnorm.layer.eval_mean_std"), f"{ex.eval_out[:, 0].mean():.3f} / {ex.eval_out[:, 0].std():.3f}")
    m3.metric(t("batchnorm.layer.torch_gap"), f"{gap:.1e}")
    stage = "fresh" if ex.caught_up < 0.5 else "partway" if ex.caught_up < 0.95 else "warm_text"
    st.markdown(t(f"batchnorm.layer.{stage}", gamma=f"{gamma:.1f}", beta=f"{beta:.1f}", k=warm + 1,
                  pct=f"{100 * ex.caught_up:.0f}"))


# 2. A whole net's activations, with and without BN

def scales_chart(entries: list[Entry]) -> str:
    return activation_charts.scales(entries, t("batchnorm.axis.std"), words(activation_charts.WORDS))


def show(svg: str) -> None:
    st.markdown(svg, unsafe_allow_html=True)


def layer_picker(names: list[str], key: str) -> int:
    if st.session_state.get(key, 0) >= len(names):   # a shallower net was picked
        st.session_state[key] = len(names) - 1
    return st.select_slider(t("batchnorm.layer_pick"), list(range(len(names))), len(names) - 1,
                            format_func=lambda i: f"{i + 1}: {names[i]}", **keep(key))


def layer_details(entries: list[Entry], key: str, chart_key: tuple) -> None:
    """A layer slider, each net's std and share of zeros at that layer, and its histograms
    (drawn once per `chart_key` and layer for the whole server)."""
    layer = layer_picker(entries[0][3].names, key)
    for column, (title, kind, norm, prof) in zip(st.columns(len(entries)), entries):
        column.metric(title, f"σ = {prof.std[layer]:.3g}")
        column.caption(t("batchnorm.metric.zero", pct=f"{100 * prof.zero_frac[layer]:.0f}"))
    show(figures.cached(chart_key + (layer,),
                        lambda: activation_charts.histograms(entries, layer, words(activation_charts.WORDS))))


def net_config(kind: str, depth: int, norm: str) -> ModelConfig:
    """The nets the training section trains (experiments.bn_configs), fresh."""
    for _, model_cfg, _ in experiments.bn_configs(DATASET, depth=depth):
        if model_cfg.residual == (kind == "residual") and model_cfg.norm == norm:
            return model_cfg
    raise KeyError((kind, depth, norm))


@st.cache_data(show_spinner=False, max_entries=16)
def init_profile(kind: str, depth: int, norm: str) -> bn_demo.LayerProfile:
    return bn_demo.init_profile(net_config(kind, depth, norm), DATASET, n=PROFILE_IMAGES)


def at_init() -> None:
    st.header(t("batchnorm.init.title"))
    cfg = net_config("plain", 20, "batch")
    st.markdown(t("batchnorm.init.intro", n=PROFILE_IMAGES, size=cfg.input_size, width=cfg.base_width))
    c1, c2 = st.columns(2)
    kind = c1.segmented_control(t("batchnorm.init.kind"), ["plain", "residual"], default="plain", required=True,
                                format_func=label_of("kind"), **keep("batchnorm_init_kind")) or "plain"
    depth = c2.select_slider(t("batchnorm.init.depth"), INIT_DEPTHS, 20, **keep("batchnorm_init_depth"))
    entries = [(t(f"batchnorm.norm.{norm}"), kind, norm, init_profile(kind, depth, norm)) for norm in NORMS]
    show(figures.cached(("batchnorm-init-std", kind, depth), lambda: scales_chart(entries)))
    layer_details(entries, "batchnorm_init_layer", ("batchnorm-init-hist", kind, depth))
    if kind == "plain":
        st.markdown(shrink_reading(depth))
    else:
        st.markdown(residual_reading(depth))


def signal_steps(depth: int, norm: str) -> analysis.SignalSteps:
    """Read from the profile the chart above already measured: no second forward pass."""
    prof = init_profile("plain", depth, norm)
    shapes = analysis.cifar_shapes(net_config("plain", depth, norm), prof.names)
    return analysis.steps_by_place(prof.names, prof.std, shapes)


PLACES = ("map8", "grow", "map4", "map2")


def shrink_reading(depth: int) -> str:
    """Where the plain net's signal shrinks without BN, as measured (not assumed)."""
    off, on = signal_steps(depth, "none"), signal_steps(depth, "batch")
    steps = [t(f"batchnorm.place.{place}", ratio=style.fmt_ratio(off.by_place[place][0], lang()), n=off.by_place[place][1])
             for place in PLACES if place in off.by_place]
    return t("batchnorm.init.reading.plain", overall=style.fmt_ratio(off.overall, lang()), steps="; ".join(steps),
             bn_overall=style.fmt_ratio(on.overall, lang()))


def residual_reading(depth: int) -> str:
    """The residual net's last activation std over its first, with and without BN, as measured."""
    profiles = {norm: init_profile("residual", depth, norm) for norm in NORMS}
    last_first = {norm: style.fmt_ratio(float(p.std[-1] / p.std[0]), lang()) for norm, p in profiles.items()}
    return t("batchnorm.init.reading.residual", overall=last_first["none"], bn_overall=last_first["batch"])


# 3. Trained with and without BN (background runs), and their activations afterwards

TRAIN_DEPTHS = [8, 14, 20, 32, 56]
TRAIN_STEPS = [50, 100, 200, 300, 600]


def curves_of(views, metric: str) -> list:
    out = []
    for v in views:
        kind, norm = v.info.model_cfg.twin, v.info.model_cfg.norm
        x, y = (v.steps.step, v.steps.loss) if metric == "loss" else (v.evals.step, v.evals.test_acc)
        out.append(training_charts.Curve(terms.net_label(v.info.label), kind, x, y, shade=1 if norm == "batch" else 0,
                                dash="solid" if norm == "batch" else "dash", markers=metric != "loss"))
    return out


def recorded_stats(views) -> tuple[list[Entry], int]:
    """Each run's latest per-layer activation std recorded during training (batch statistics),
    as profiles without histograms; and the oldest of those steps."""
    entries, steps = [], []
    for v in views:
        cols = shared.store().stats(v.id)
        if not cols.step:
            continue
        kind, norm = v.info.model_cfg.twin, v.info.model_cfg.norm
        prof = bn_demo.LayerProfile(cols.names, cols.mean[-1], cols.std[-1], cols.zero_frac[-1], [])
        entries.append((terms.net_label(v.info.label), kind, norm, prof))
        steps.append(cols.step[-1])
    return entries, min(steps) if steps else 0


def named_here(views) -> list:
    """Each run by this page's name for it (experiments.bn_configs): a run that served the press keeps its
    page's label, and Gradient flow's pair with BN off is "plain-20", this app's name for the BN net."""
    return served.named_as(views, lambda i: f"{i.model_cfg.kind} {'BN' if i.model_cfg.norm == 'batch' else 'no BN'}")


def draw_runs(views) -> None:
    views = named_here(views)
    experiment_panel.loss_and_accuracy("batchnorm", views, curves_of)
    key = live_charts.views_key(views)
    entries, step = recorded_stats(views)
    if entries:
        st.markdown(t("batchnorm.train.stats", step=step))
        # Built once per change of the runs and shared: this fragment reruns about once a second.
        show(figures.cached(("batchnorm-stats", str(shared.store().path), step) + key,
                             lambda: scales_chart(entries)))


@st.cache_data(show_spinner=False, max_entries=32)
def trained_profile(run_id: int, db: str) -> bn_demo.LayerProfile:
    info = shared.store().get_run(run_id)
    model = shared.store().load_model(run_id)
    return bn_demo.trained_profile(model, info.train_cfg.dataset, n=PROFILE_IMAGES, seed=info.train_cfg.seed)


def after_training(views) -> None:
    done = [v for v in views if v.info.has_checkpoint]
    st.subheader(t("batchnorm.after.title"))
    if done:
        st.markdown(t("batchnorm.after.intro", n=PROFILE_IMAGES))
        db = str(shared.store().path)
        entries = [(terms.net_label(v.info.label), v.info.model_cfg.twin, v.info.model_cfg.norm,
                    trained_profile(v.id, db)) for v in done]
        done_key = (db, tuple((v.id, v.info.label) for v in done))
        show(figures.cached(("batchnorm-after-std",) + done_key, lambda: scales_chart(entries)))
        layer_details(entries, "batchnorm_after_layer", ("batchnorm-after-hist",) + done_key)
    # Only a finished run saves a checkpoint, and a finished run's may later be dropped to keep the
    # folder within its bound (resnet_core/store/retention.py): each case gets its own sentence,
    # also when no run kept one (the section would otherwise vanish without a word).
    gone = [v for v in views if not v.info.has_checkpoint]
    for key, runs in (("dropped", [v for v in gone if v.info.status == "finished"]),
                      ("missing", [v for v in gone if v.info.status != "finished"])):
        if runs:
            st.caption(t(f"batchnorm.after.{key}", runs=", ".join(terms.net_label(v.info.label) for v in runs)))


def planned(depth: int, steps: int, kinds: list[str] | None) -> list:
    """The BatchNorm experiment's runs for the kinds of net picked (plain, residual or both)."""
    return [run for run in experiments.bn_configs(DATASET, depth=depth, steps=steps)
            if run[1].twin in (kinds or [])]


def training() -> None:
    st.header(t("batchnorm.train.title"))
    lr = experiments.bn_configs(DATASET)[0][2].lr
    st.markdown(t("batchnorm.train.intro", lr=lr))
    c1, c2, c3 = st.columns(3)
    kinds = c1.segmented_control(t("batchnorm.train.kinds"), ["plain", "residual"], selection_mode="multi",
                                 default=["plain", "residual"], format_func=label_of("kind"),
                                 **keep("batchnorm_train_kinds"))
    depth = c2.select_slider(t("batchnorm.train.depth"), TRAIN_DEPTHS, 20, **keep("batchnorm_train_depth"))
    steps = c3.select_slider(t("batchnorm.train.steps"), TRAIN_STEPS, 300, **keep("batchnorm_train_steps"))
    estimates.plan_line(planned(depth, steps, kinds))
    ids, busy = experiment_panel.start("batchnorm", lambda: planned(depth, steps, kinds), group=groups.BATCHNORM,
                                       nothing_planned=t("batchnorm.train.pick_kind"))
    if not ids:
        st.caption(t("batchnorm.train.none_yet"))
        return
    progress.live_runs(ids, guarded(draw_runs), stop_prefix="batchnorm")
    if not busy:
        views = named_here(page_runs.read(ids))
        measured_reading(views)
        after_training(views)


def measured_reading(views) -> None:
    """What these runs showed, net by net, and only the readings they support (analysis.bn_reading,
    the same verdict the CLI's bn experiment prints, read on the losses as shown)."""
    infos = [v.info for v in views]
    # Judged on the losses as the rows show them (three decimals), so "within 20% of each other"
    # holds of the numbers a student reads beside it.
    shown = [None if i.final_train_loss is None else round(i.final_train_loss, 3) for i in infos]
    outcomes, findings = analysis.bn_reading([(i.model_cfg, i.status, loss) for i, loss in zip(infos, shown)],
                                             decimals=3)
    lines = [t("batchnorm.train.row", net=terms.net_label(i.label), loss="–" if loss is None else f"{loss:.3f}",
               outcome=t(f"batchnorm.outcome.{end}")) for i, loss, end in zip(infos, shown, outcomes)]
    st.markdown(t("batchnorm.train.measured") + "\n\n" + "\n".join(f"- {line}" for line in lines))
    depth = infos[0].model_cfg.depth if infos else 0
    for code in findings:
        st.markdown(t(f"batchnorm.finding.{analysis.bn_finding_key(code, depth)}"))
    st.caption(t("batchnorm.train.try_56"))


with guard():
    one_layer()
    at_init()
    training()
