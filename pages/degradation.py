"""Degradation: plain-20, plain-56, ResNet-20 and ResNet-56 trained side by side with one recipe
(He et al. 2015, Figure 6). The deeper plain net ends up worse, even on its training data; the
deeper residual net does not. The final table sits beside the paper's numbers, and the ordering
is checked from the measured values, not assumed.
"""

import inspect

import streamlit as st

from resnet_core.nets.diagram import describe
from resnet_core.inspection import readings
from resnet_core.store import groups
from resnet_core.training import experiments
from ui import guard, in_run_language, keep, label_of, t
from ui.draw import style, training_charts
from ui.page import nav, presets, tables, terms
from ui.server import shared
from ui.training import estimates, exports, live_charts, page_runs, progress, served
from ui.users import follow, identity

presets.apply("degradation")
st.title(t("page.degradation.title"))
st.markdown(t("degradation.lead"))

DATASETS = ["digits", "shapes", "cifar10"]
STEPS = [150, 300, 600, 1200]
# The longer run at the paper's width: plain-56 closes much of its gap to plain-20, where more
# steps alone close little (bench/bench_degradation_gap.py; experiments.DEGRADATION_LONG_STEPS).
LONG_STEPS, LONG_WIDTH = experiments.DEGRADATION_LONG_STEPS, experiments.DEGRADATION_LONG_WIDTH
PAGE_WIDTH = inspect.signature(experiments.degradation_configs).parameters["width"].default   # 8
GROUP = groups.DEGRADATION   # the CLI's `experiment degradation` records here too
NETS = ("plain-20", "plain-56", "ResNet-20", "ResNet-56")
# He et al. 2015, Table 6 (CIFAR-10 test error, %); the plain nets' curves are in Figure 6 only.
PAPER_ERROR = {"ResNet-20": 8.75, "ResNet-56": 6.97}


def controls() -> tuple[str, int, int]:
    present = {d: page_runs.dataset_present(d) for d in DATASETS}
    if "degradation_dataset" not in st.session_state and present["cifar10"] and page_runs.cuda_available():
        st.session_state["degradation_dataset"] = "cifar10"   # the paper's own data, when a GPU makes it quick
    c1, c2, c3 = st.columns([2, 2, 1])
    dataset = c1.selectbox(t("degradation.dataset"), DATASETS, format_func=label_of("degradation.datasets"),
                           **keep("degradation_dataset"))
    steps = c2.select_slider(t("degradation.steps"), STEPS, 300, **keep("degradation_steps"))
    seed = int(c3.number_input(t("degradation.seed"), 0, 9999, 0, **keep("degradation_seed")))
    if not present[dataset]:
        st.info(t("degradation.absent"), icon=":material/folder_off:")
    elif dataset == "cifar10" and not page_runs.cuda_available() and estimates.still_to_train(
            experiments.degradation_configs(dataset, steps=int(steps), seed=seed)):
        st.caption(t("degradation.cifar_cpu"))   # "the estimate below": only where there is one
    return dataset, int(steps), seed


def net_name(info) -> str:
    """"plain-20", "ResNet-56": the net's own name, from its config (a label is whatever the
    submitter wrote; the config is what was trained)."""
    return info.model_cfg.kind


def pick_experiment() -> list[int]:
    show_class = identity.scope_toggle("degradation")
    infos = page_runs.recent(mine=not show_class, group=GROUP, limit=200)
    # the runs submitted together, by the store's experiment id, with those that served the press
    sets = [served.degradation_served(s) for s in page_runs.experiments_of(infos)]
    # The teacher's runs while following; else this user's last press, which runs already there
    # may have served (resnet_core.jobs.sharing): they are then someone else's, so listed here.
    latest = follow.teacher_experiment(GROUP) or st.session_state.get("_degradation_latest")
    latest = sorted(latest) if latest else latest   # in id order, as the sets are: one entry each
    labels = {tuple(i.id for i in s): set_label(s) for s in sets}
    if latest and tuple(latest) not in labels:
        labels = {tuple(latest): set_label([shared.store().get_run(i) for i in latest]), **labels}
    if not labels:
        return []
    options = list(labels)
    key = "degradation_pick"
    if latest and tuple(latest) in labels and st.session_state.get("_degradation_shown") != latest:
        st.session_state[key] = tuple(latest)
        st.session_state["_degradation_shown"] = latest
    if st.session_state.get(key) not in labels:
        st.session_state[key] = options[0]
    chosen = st.selectbox(t("degradation.pick"), options, format_func=labels.get, key=key)
    return list(chosen)


def set_label(infos: list) -> str:
    first = infos[0]
    # Whoever pressed (a name or "student 3", never an owner id): a run that served the press may
    # be someone else's, from another page.
    who = identity.who(next((i for i in infos if i.group == GROUP), first))
    # The width only where it is not the page's own: the run at the paper's width (the button below
    # the result) would otherwise read exactly like a 1,200-step experiment at width 8.
    width = first.model_cfg.base_width
    return t("degradation.set_label" if width == PAGE_WIDTH else "degradation.set_label_width",
             ids=ids_text([i.id for i in infos]), who=who, width=width,
             dataset=terms.dataset_name(first.train_cfg.dataset, "degradation.datasets"), steps=first.train_cfg.steps)


def ids_text(ids: list[int]) -> str:
    """"#20–23" for runs in a row; "#7, #8, #20, #21" otherwise: runs that served the press may be
    older (the Lesion study's pair), and "#7–21" would read as fifteen runs."""
    ids = sorted(ids)
    if ids and ids[-1] - ids[0] == len(ids) - 1:
        return f"#{ids[0]}" if len(ids) == 1 else f"#{ids[0]}–{ids[-1]}"
    return ", ".join(f"#{i}" for i in ids)


def draw(views: list) -> None:
    views = served.named_as(views, net_name)   # a run that served the press by this page's name
    progress.progress_rows(views, "degradation")
    shades = training_charts.assign_shades([(v.info.model_cfg.twin, v.info.model_cfg.depth) for v in views])
    loss, err = [], []
    for v, shade in zip(views, shades):
        name, kind = terms.net_label(net_name(v.info)), v.info.model_cfg.twin
        width = 3.5 if v.info.model_cfg.depth >= 56 else 2.2
        loss.append(training_charts.Curve(name, kind, v.steps.step, v.steps.loss, shade=shade, width=width))
        err.append(training_charts.Curve(name, kind, v.steps.step, [100 * (1 - a) for a in v.steps.acc], shade=shade,
                                width=width, group=name))
    live_charts.learning_curves(st.columns(2), live_charts.views_key(views), [
        live_charts.CurvePanel("degradation-loss", loss, t("degradation.loss_axis"), log_y=True,
                               config=exports.png_config("degradation-training-loss"), element_key="degradation_loss"),
        live_charts.CurvePanel("degradation-err", err, t("degradation.err_axis"), y_range=(0, 100),
                               config=exports.png_config("degradation-training-error"), element_key="degradation_err")],
        training=any(v.active for v in views))
    if all(v.info.status == "finished" for v in views) and len(views) == len(NETS):
        final_table(views)
    elif not any(v.active for v in views):
        # A diverged run serves the same settings again (resnet_core.jobs.sharing: training is
        # deterministic), so "start it again" would bring back the same experiment.
        diverged = [terms.net_label(net_name(v.info)) for v in views if v.info.status == "diverged"]
        st.warning(t("degradation.diverged", nets=", ".join(diverged)) if diverged else t("degradation.incomplete"),
                   icon=":material/warning:")


def final_table(views: list) -> None:
    by_net = {net_name(v.info): v.info for v in views}
    st.subheader(t("degradation.final_title"))
    for ok, text in ordering(by_net):
        # A check that failed is a finding, not an error: a warning, never a red alert.
        (st.success if ok else st.warning)(text, icon=":material/check_circle:" if ok else ":material/help:")
    rows = []
    for net in NETS:
        i = by_net.get(net)
        if i is None:
            continue
        paper = (t("degradation.paper_res", err=PAPER_ERROR[net]) if net in PAPER_ERROR
                 else t("degradation.paper_plain"))
        rows.append({t("degradation.col.net"): terms.net_label(net),
                     t("unit.params"): style.fmt_int(describe(i.model_cfg).params),
                     t("degradation.col.loss"): f"{i.final_train_loss:.3f}",
                     t("degradation.col.train_err"): f"{100 * (1 - i.final_train_acc):.1f}%",
                     t("degradation.col.test_err"): "–" if i.test_acc is None else f"{100 * (1 - i.test_acc):.1f}%",
                     t("degradation.col.seconds"): f"{i.seconds or 0:.1f}",
                     t("degradation.col.paper"): paper})
    st.table(rows, hide_index=True)   # a static table: readable on a projector, four rows
    st.caption(t("degradation.table_note"))
    c1, c2 = st.columns([2, 1])
    ids = {by_net[net].id: net for net in NETS if net in by_net}
    pick = c1.selectbox(t("export.take_home"), list(ids),
                        format_func=in_run_language(lambda i: f"{terms.net_label(ids[i])} (#{i})"),
                        key="degradation_export_run")
    exports.run_zip_button(c2, pick, key="degradation_export_zip")
    against_paper(by_net)


def against_paper(by_net: dict) -> None:
    """This run's plain-56 against plain-20 gap beside Figure 6's few points, why a short, narrow
    run exaggerates it, the gaps measured here at other lengths and widths, and the longer run."""
    if not {"plain-20", "plain-56"} <= by_net.keys():
        return
    first = by_net["plain-20"]
    # The errors as the page shows them (one decimal), and the gap between those: "30.3% and 10.0%"
    # are 20.3 points apart, never the 20.2 of the unrounded values. A gap of 0.0 is no gap, so
    # why a short run exaggerates it is said only where plain-56 did end worse.
    err = {n: _shown_error(by_net[n]) for n in ("plain-20", "plain-56")}
    worse = err["plain-56"] > err["plain-20"]
    st.markdown(t("degradation.gap.text" if worse else "degradation.gap.text_none", p20=f"{err['plain-20']:.1f}%", p56=f"{err['plain-56']:.1f}%",
                  gap=f"{err['plain-56'] - err['plain-20']:.1f}", steps=first.train_cfg.steps,
                  width=first.model_cfg.base_width))
    # Whose runs: the scope the experiment picker above shows (this browser's, or the class's).
    measured = gaps_by_length(first.train_cfg.dataset, first.train_cfg.seed,
                              mine=not st.session_state.get("degradation_show_class", False))
    if len(measured) > 1:
        st.caption(t("degradation.gap.by_length", dataset=terms.dataset_name(first.train_cfg.dataset, "degradation.datasets"),
                     seed=first.train_cfg.seed))
        tables.show([{t("degradation.steps"): steps, t("degradation.gap.width"): width,
                      t("degradation.gap.col"): f"{gap:.1f}"} for (steps, width), gap in measured.items()])
    if (first.train_cfg.steps, first.model_cfg.base_width) != (LONG_STEPS, LONG_WIDTH):
        if first.model_cfg.base_width < LONG_WIDTH:
            st.markdown(t("degradation.gap.narrow", width=first.model_cfg.base_width, steps=LONG_STEPS))
        # "Longer" only when it is: an experiment of 1,200 steps at width 8 gets the same length, wider.
        button = "degradation.gap.longer" if first.train_cfg.steps < LONG_STEPS else "degradation.gap.at_width"
        st.button(t(button, steps=LONG_STEPS, width=LONG_WIDTH), key="degradation_longer",
                  icon=":material/timer:", on_click=_longer, args=(first.train_cfg.dataset, first.train_cfg.seed))
        if st.session_state.get("_degradation_submit"):
            st.rerun()   # the chart is a fragment: the whole page reruns, and submits the longer run


def gaps_by_length(dataset: str, seed: int, *, mine: bool) -> dict[tuple[int, int], float]:
    """plain-56's training error minus plain-20's, in points, for each (steps, width) finished on
    this dataset and seed (the newest experiment of each), from this user's runs or the class's."""
    infos = [i for i in page_runs.recent(mine=mine, group=GROUP, limit=200) if i.status == "finished"]
    out: dict[tuple[int, int], float] = {}
    for same in page_runs.experiments_of(infos):   # newest first
        by_net = {i.model_cfg.kind: i for i in served.degradation_served(same) if i.status == "finished"}
        cfg = same[0].train_cfg
        if {"plain-20", "plain-56"} <= by_net.keys() and cfg.dataset == dataset and cfg.seed == seed:
            out.setdefault((cfg.steps, by_net["plain-20"].model_cfg.base_width),
                           _shown_error(by_net["plain-56"]) - _shown_error(by_net["plain-20"]))
    return dict(sorted(out.items()))


def _shown_error(info) -> float:
    """A run's final training error in percent, rounded as the page shows it (one decimal)."""
    return round(100 * (1 - info.final_train_acc), 1)


def _longer(dataset: str, seed: int) -> None:
    # A callback: the page submits the longer run, on the shown experiment's data and seed, on the
    # rerun this click starts.
    st.session_state["_degradation_submit"] = (dataset, seed)


def ordering(by_net: dict) -> list[tuple[bool, str]]:
    """The paper's three claims, each checked on the final training losses measured here, with
    the library's own verdict (the same one the CLI prints). The losses are read as the sentences
    and the table show them (three decimals), so "0.150 vs 0.100" never fails "at most 0.05 higher"."""
    rows = [experiments.ExperimentRow(net, i.id, i.status, _shown(i.final_train_loss), i.final_train_acc,
                                      i.test_acc, i.steps_done, i.seconds or 0.0) for net, i in by_net.items()]
    verdict = readings.degradation_verdict(rows)
    if verdict is None:
        return []
    loss = {net: by_net[net].final_train_loss for net in NETS}
    return [(verdict[code], t(f"degradation.check.{code}.{'yes' if verdict[code] else 'no'}",
                              a=f"{loss[a]:.3f}", b=f"{loss[b]:.3f}"))
            for code, (a, b) in readings.DEGRADATION_PAIRS.items()]


def _shown(loss: float | None) -> float | None:
    return None if loss is None else round(loss, 3)


def explanation() -> None:
    with st.expander(t("degradation.why_title"), expanded=True):
        st.markdown(t("degradation.why"))
        if nav.exists("gradients"):
            st.page_link(nav.file_of("gradients"), label=t("degradation.to_gradients"),
                         icon=nav.CATALOGUE["gradients"])


with guard():
    identity.identity_box("degradation")
    dataset, steps, seed = controls()
    estimates.plan_line(experiments.degradation_configs(dataset, steps=steps, seed=seed))
    planned = None
    if st.button(t("degradation.start"), type="primary", icon=":material/play_arrow:", key="degradation_start"):
        planned = experiments.degradation_configs(dataset, steps=steps, seed=seed)
    longer = st.session_state.pop("_degradation_submit", None)   # the longer run, asked for below the result
    if longer:
        planned = experiments.degradation_configs(longer[0], steps=LONG_STEPS, seed=longer[1], width=LONG_WIDTH)
    if planned:
        ids = page_runs.submit(planned, group=GROUP)
        if ids:
            st.session_state["_degradation_latest"] = ids
    ids = pick_experiment()
    if ids:
        progress.live_runs(ids, draw, stop_prefix="degradation")
    else:   # the toggle drawn by pick_experiment: only this browser's experiments, or the server's
        st.info(t("degradation.none" if st.session_state.get("degradation_show_class") else "degradation.none_mine"))
    explanation()
