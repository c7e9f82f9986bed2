"""Build & Train: assemble a plain or residual stack, see its outline, parameters and multiply-adds,
train it live in the background, and compare runs side by side.

Widgets -> ModelConfig and TrainConfig (a bad combination is a message, never a traceback) ->
resnet_core.nets.diagram for the outline (ui.draw.outline) and counts -> ui.training.page_runs to queue training, ui.training.progress
to poll the store while it trains.
"""

import streamlit as st

from resnet_core import ModelConfig, TrainConfig
from resnet_core.data.datasets import dataset_info
from resnet_core.nets.config import (ACTIVATIONS, BLOCKS, DATASETS, IMAGENET_STAGES, INITS, OPTIMIZERS, SCHEDULES,
                                     SHORTCUTS, VGG_LAYOUTS)
from resnet_core.nets.diagram import describe, shape_text
from resnet_core.store import groups
from ui import guard, in_run_language, keep, label_of, t
from ui.draw import style, training_charts
from ui.draw.outline import architecture, WORDS as OUTLINE_WORDS
from ui.page import presets
from ui.page.terms import net_label
from ui.page.i18n import words
from ui.training import estimates, exports, live_charts, page_runs, progress
from ui.users import identity

presets.apply("build")
st.title(t("page.build.title"))
st.markdown(t("build.lead"))

FAMILIES = ["cifar", "imagenet", "custom", "vgg"]
INPUT_SIZES = [8, 16, 28, 32, 64, 96, 128, 224]
BATCHES = [16, 32, 64, 128, 256, 512]
GROUP = groups.BUILD   # the CLI's `train` records here too
MAX_OVERLAY = 6


# --- widgets -> configs ---------------------------------------------------------------------

def model_widgets(dataset: str) -> ModelConfig:
    info = dataset_info(dataset)
    # Three to a row, not four: at 1280 px a quarter of the page cuts the longer choices
    # ("Global average pool + FC"); the family's names are the longest, so it takes half a row.
    c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    family = c1.selectbox(t("build.family"), FAMILIES, format_func=label_of("build.families"),
                          **keep("build_family"))
    kind = c2.segmented_control(t("build.kind"), ["plain", "residual"], default="residual", required=True,
                                format_func=label_of("kind"), disabled=family == "vgg", **keep("build_kind"))
    bn = c3.toggle(t("build.bn"), value=True, **keep("build_bn"))
    c1, c2, c3 = st.columns(3)
    block = c1.selectbox(t("build.block"), list(BLOCKS), format_func=label_of("build.blocks"),
                         disabled=family == "vgg", **keep("build_block"))
    shortcut = c2.selectbox(t("build.shortcut"), list(SHORTCUTS), format_func=label_of("build.shortcuts"),
                            disabled=kind == "plain" or family == "vgg", help=t("build.shortcut_help"),
                            **keep("build_shortcut"))
    stages: tuple[int, ...] = ()
    depth = 20
    if family == "cifar":
        depth = int(c3.number_input(t("build.depth"), 4, 2000, 20, help=t("build.depth_help"),
                                    **keep("build_depth")))
    elif family == "imagenet":
        depth = c3.selectbox(t("build.depth"), list(IMAGENET_STAGES), **keep("build_depth_imagenet"))
    elif family == "vgg":
        depth = c3.selectbox(t("build.depth"), list(VGG_LAYOUTS), index=3, **keep("build_depth_vgg"))
    else:
        text = c3.text_input(t("build.stages"), "2, 2, 2", help=t("build.stages_help"), **keep("build_stages"))
        stages = parse_stages(text)
    c1, c2, c3 = st.columns(3)
    activation = c1.selectbox(t("build.activation"), list(ACTIVATIONS), format_func=label_of("build.act"),
                              **keep("build_activation"))
    init = c2.selectbox(t("build.init"), list(INITS), format_func=label_of("build.inits"), **keep("build_init"))
    default_width = 64 if family == "imagenet" else 16
    width = int(c3.number_input(t("build.width"), 1, 1024, default_width, **keep(f"build_width_{family}")))
    c1, c2, c3 = st.columns(3)
    input_size = c1.selectbox(t("build.input"), INPUT_SIZES, index=INPUT_SIZES.index(default_input(family, dataset)),
                              **keep(f"build_input_{family}"))
    width_mult = c2.number_input(t("build.width_mult"), 0.125, 8.0, 1.0, step=0.125, **keep("build_width_mult"))
    head = c3.selectbox(t("build.head"), ["gap", "flatten"], format_func=label_of("build.heads"), **keep("build_head"))
    with st.expander(t("build.more_model")):
        c1, c2 = st.columns(2)
        stride_at = c1.segmented_control(t("build.stride_at"), ["v1", "v1.5"], default="v1", required=True,
                                         format_func=label_of("build.strides"), disabled=block != "bottleneck",
                                         help=t("build.stride_at_help"),
                                         **keep("build_stride_at"))
        zero_init = c2.toggle(t("build.zero_init"), **keep("build_zero_init"))
    st.caption(t("build.follows_dataset", channels=info.native_channels, classes=info.num_classes))
    return ModelConfig(family=family, depth=depth, stages=stages, base_width=width, width_mult=float(width_mult),
                       block=block if family != "vgg" else "basic", residual=kind != "plain", shortcut=shortcut,
                       norm="batch" if bn else "none", activation=activation, init=init, head=head,
                       stride_at=stride_at or "v1", in_channels=info.native_channels, input_size=int(input_size),
                       num_classes=info.num_classes, zero_init_residual=bool(zero_init) and kind != "plain")


def default_input(family: str, dataset: str) -> int:
    """The dataset's own size, or 32 for the nets that halve the image five times (224 is
    possible but slow to train on a CPU)."""
    if family in ("imagenet", "vgg"):
        return 32
    return {"digits": 8, "shapes": 16, "mnist": 28, "fashion_mnist": 28}.get(dataset, 32)


def parse_stages(text: str) -> tuple[int, ...]:
    from resnet_core import ConfigError

    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    if not parts or not all(p.isdigit() for p in parts):
        raise ConfigError(t("build.stages_bad", text=text))
    return tuple(int(p) for p in parts)


def train_widgets() -> TrainConfig:
    c1, c2, c3, c4 = st.columns(4)
    steps = int(c1.number_input(t("build.steps"), 1, 100_000, 300, step=50, **keep("build_steps")))
    batch = c2.selectbox(t("build.batch"), BATCHES, index=BATCHES.index(64), **keep("build_batch"))
    optimizer = c3.selectbox(t("build.optimizer"), list(OPTIMIZERS), format_func=label_of("build.optimizers"),
                             **keep("build_optimizer"))
    lr = c4.number_input(t("build.lr"), 0.0001, 10.0, 0.1, step=0.01, format="%.4f", **keep("build_lr"))
    # The schedule's choices are long ("Step: ÷10 at 50% and 75% (paper's CIFAR-10)"):
    # it takes two thirds of the row.
    c1, c2 = st.columns([2, 1])
    schedule = c1.selectbox(t("build.schedule"), list(SCHEDULES), format_func=label_of("build.schedules"),
                            **keep("build_schedule"))
    seed = int(c2.number_input(t("build.seed"), 0, 1_000_000, 0, **keep("build_seed")))
    c1, c2 = st.columns(2, vertical_alignment="bottom")
    device = c1.segmented_control(t("build.device"), ["auto", "cpu", "cuda"], default="auto", required=True,
                                  format_func=label_of("build.devices"), **keep("build_device"))
    augment = c2.toggle(t("build.augment"), value=False, help=t("build.augment_help"), **keep("build_augment"))
    with st.expander(t("build.more_train")):
        c1, c2, c3, c4 = st.columns(4)
        momentum = c1.number_input(t("build.momentum"), 0.0, 0.999, 0.9, step=0.05, **keep("build_momentum"))
        wd = c2.number_input(t("build.wd"), 0.0, 1.0, 1e-4, step=1e-4, format="%.5f", **keep("build_wd"))
        warmup = int(c3.number_input(t("build.warmup"), 0, 100_000, 0, **keep("build_warmup")))
        samples = int(c4.number_input(t("build.max_samples"), 0, 1_000_000, 0, help=t("build.max_samples_help"),
                                      **keep("build_max_samples")))
    return TrainConfig(steps=steps, batch_size=int(batch), optimizer=optimizer, lr=float(lr),
                       momentum=float(momentum), weight_decay=float(wd), schedule=schedule, warmup_steps=warmup,
                       augment=bool(augment), max_samples=samples, seed=seed, device=device or "auto",
                       eval_every=max(1, steps // 10), stats_every=max(1, steps // 10))


# --- the outline and counts -----------------------------------------------------------------

def outline(cfg: ModelConfig) -> None:
    d = describe(cfg)
    m1, m2, m3, m4 = st.columns([1.1, 1, 1.2, 0.8])   # "2.52 M MACs" on one line at 1280 px
    m1.metric(t("build.name"), net_label(cfg.kind))   # 플레인-20 in Korean, as on every page
    m2.metric(t("unit.params"), style.fmt_int(d.params))
    m3.metric(t("build.macs"), style.fmt_macs(d.macs), help=t("build.macs_help"))
    m4.metric(t("build.weighted"), str(d.weighted_layers), help=t("build.weighted_help"))
    word = t("build.word.conv") if cfg.family == "vgg" else t(f"build.word.{cfg.block}")
    # SVG, not a chart: the page's first visit needs no chart library (ui/draw/outline.py).
    st.markdown(architecture(d, block_word=word, words=words(OUTLINE_WORDS), title=net_label(cfg.kind)),
                unsafe_allow_html=True)
    st.caption(t("build.outline_legend"))
    # Deferred: the zip (and its ONNX trace, seconds) is made only when clicked, never per rerun.
    st.download_button(t("export.zip"), lambda: exports.net_zip(cfg), file_name=f"{cfg.name}.zip",
                       mime="application/zip", icon=":material/download:", help=t("export.net_zip_help"),
                       on_click="ignore", key="build_export_net")
    # Filled only once opened: a table brings the browser ~1.4 MB of code to load on first visit.
    table = st.expander(t("build.table"), key="build_table_open", on_change="rerun")
    if table.open:
        rows = [{t("build.col.block"): b.name, t("build.col.in"): shape_text(b.in_shape),
                 t("build.col.out"): shape_text(b.out_shape), t("build.col.shortcut"): t(f"charts.sc.{b.shortcut}"),
                 t("unit.params"): style.fmt_int(b.params), t("unit.macs"): style.fmt_int(b.macs)}
                for b in [d.stem] + d.blocks if b.convs]
        table.dataframe(rows, hide_index=True)


# --- training and comparing -----------------------------------------------------------------

def start(cfg: ModelConfig, train_cfg: TrainConfig) -> None:
    cuda_missing = train_cfg.device == "cuda" and not page_runs.cuda_available()
    if cuda_missing:
        st.warning(t("build.no_cuda"), icon=":material/memory:")
    estimates.line([(cfg.kind, cfg, train_cfg)])
    if st.button(t("build.start"), type="primary", icon=":material/play_arrow:", key="build_start",
                 disabled=cuda_missing):
        ids = page_runs.submit([(cfg.kind, cfg, train_cfg)], group=GROUP)
        if ids:
            st.session_state["_build_latest"] = ids[0]
            st.toast(t("build.queued", label=net_label(cfg.kind)), icon=":material/play_arrow:")


def draw(views: list) -> None:
    progress.progress_rows(views, "build")
    shades = training_charts.assign_shades([(v.info.model_cfg.twin, v.info.model_cfg.depth) for v in views])
    loss, acc = [], []
    for v, shade in zip(views, shades):
        name = f"#{v.id} {net_label(v.info.label)}"
        kind = v.info.model_cfg.twin
        loss.append(training_charts.Curve(name, kind, v.steps.step, v.steps.loss, shade=shade))
        acc.append(training_charts.Curve(name, kind, v.steps.step, [100 * a for a in v.steps.acc], shade=shade, group=name))
        if v.evals.step:
            acc.append(training_charts.Curve(f"{name} · {t('build.held_out')}", kind, v.evals.step,
                                    [100 * a for a in v.evals.test_acc], shade=shade, dash="dot", markers=True,
                                    group=name))
    key = live_charts.views_key(views)
    live_charts.learning_curves(st.columns(2), key, [
        live_charts.CurvePanel("build-loss", loss, t("build.loss_axis"), log_y=True,
                               config=exports.png_config("training-loss"), element_key="build_loss_chart"),
        live_charts.CurvePanel("build-acc", acc, t("build.acc_axis"), y_range=(0, 100),
                               config=exports.png_config("training-accuracy"), element_key="build_acc_chart")],
        training=any(v.active for v in views))
    live_charts.table(st, ("build-comparison",) + key, lambda: comparison(views))
    st.caption(t("build.table_note"))   # the table's "final" values are not the curves' last points


def comparison(views: list) -> list[dict]:
    def pct(x):
        return "–" if x is None else f"{100 * x:.1f}%"

    rows = []
    for v in views:
        i = v.info
        rows.append({t("build.col.run"): f"#{i.id}", t("build.col.net"): net_label(i.label),
                     t("build.col.kind"): t(f"kind.{i.model_cfg.twin}"),
                     t("unit.params"): style.fmt_si(describe(i.model_cfg).params),
                     t("build.col.status"): progress.status_text(v),
                     t("build.col.steps"): f"{i.steps_done}/{i.total_steps or i.train_cfg.steps}",
                     t("build.col.loss"): "–" if i.final_train_loss is None else f"{i.final_train_loss:.3f}",
                     t("build.col.train_acc"): pct(i.final_train_acc), t("build.col.test_acc"): pct(i.test_acc),
                     t("build.col.seconds"): "–" if i.seconds is None else f"{i.seconds:.1f}",
                     t("build.col.device"): page_runs.device_text(i)})
    return rows


def compare() -> None:
    st.header(t("build.runs_title"))
    show_class = identity.scope_toggle("build")
    known = page_runs.recent(mine=not show_class, group=None if show_class else GROUP, limit=50)
    if not known:
        st.info(t("build.no_runs"))
        return
    by_id = {r.id: r for r in known}
    latest = st.session_state.get("_build_latest")
    default = [r.id for r in known[:3]]
    if latest in by_id and latest not in default:
        default = [latest] + default[:2]
    if "build_overlay" not in st.session_state or not set(st.session_state["build_overlay"]) <= set(by_id):
        st.session_state["build_overlay"] = default
    elif latest in by_id and latest not in st.session_state["build_overlay"]:
        st.session_state["build_overlay"] = ([latest] + st.session_state["build_overlay"])[:MAX_OVERLAY]
    chosen = st.multiselect(t("build.overlay"), list(by_id),   # run labels say whose, in the class's list
                            format_func=in_run_language(lambda i: page_runs.run_label(by_id[i], show_class)),
                            max_selections=MAX_OVERLAY, key="build_overlay")
    if not chosen:
        return
    progress.live_runs(sorted(chosen), draw, stop_prefix="build")
    exports.run_list_export(chosen, lambda i: page_runs.run_label(by_id[i], show_class), "build")


with guard():
    identity.identity_box("build")
    c1, _ = st.columns([1, 2])
    dataset = c1.selectbox(t("build.dataset"), list(DATASETS), format_func=label_of("build.datasets"),
                           **keep("build_dataset"))
    if not page_runs.dataset_present(dataset):
        st.info(t("build.dataset_absent"), icon=":material/folder_off:")
    st.subheader(t("build.model_title"))
    model_cfg = train_cfg = None
    with guard():
        model_cfg = model_widgets(dataset)
        outline(model_cfg)
    st.subheader(t("build.train_title"))
    with guard():
        train_cfg = train_widgets().replace(dataset=dataset)
    if model_cfg is not None and train_cfg is not None:
        with guard():
            start(model_cfg, train_cfg)
    compare()
