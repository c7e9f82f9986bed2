"""GAP vs FC: what a flatten + FC head costs against global average pooling + FC, and why only
the GAP net accepts another input size, shown by running both."""

import streamlit as st

from resnet_core import ModelConfig
from resnet_core.inspection import analysis, gap_vs_flatten
from resnet_core.nets import flops
from resnet_core.store import groups
from resnet_core.training import experiments
from ui import guard, guarded, keep, lang, t
from ui.draw import flops_charts, style
from ui.page import figures, presets, terms
from ui.page.i18n import words
from ui.server import shared
from ui.training import cluster, experiment_panel, progress, served

presets.apply("gap-fc")
st.title(t("page.gap-fc.title"))
st.markdown(t("gap_fc.lead"))
TRAIN_SIZE = 32   # the tiny demo nets are built for 32x32 images, like the paper's CIFAR nets
TRAINED_SIZE = 16           # the trained pair learns the digits upsampled to 16x16...
TEST_SIZES = [8, 12, 16, 24, 32]   # ...and is tested on the same held-out digits at these sides
GROUP = groups.GAP_FC


def head_counts() -> None:
    st.header(t("gap_fc.counts.title"))
    c1, c2, c3 = st.columns(3)
    channels = c1.slider(t("gap_fc.channels"), 1, 2048, 512, **keep("gap_fc_channels"))
    spatial = c2.slider(t("gap_fc.spatial"), 1, 28, 7, **keep("gap_fc_spatial"))
    classes = c3.number_input(t("gap_fc.classes"), 2, 100_000, 1000, **keep("gap_fc_classes"))
    fc, gap = flops.gap_fc_params(channels, spatial, int(classes))
    m1, m2, m3 = st.columns(3)
    m1.metric(t("gap_fc.head.flatten"), style.fmt_int(fc))
    m2.metric(t("gap_fc.head.gap"), style.fmt_int(gap))
    m3.metric(t("gap_fc.saving"), t("gap_fc.same") if fc == gap   # a 1x1 map: "1× fewer" would say nothing
              else t("gap_fc.times_fewer", ratio=style.fmt_ratio(fc / gap, lang())))
    st.markdown(t("gap_fc.formula",
                  fc=f"{spatial}×{spatial}×{channels}×{classes} + {classes} = {style.fmt_int(fc)}",
                  gap=f"{channels}×{classes} + {classes} = {style.fmt_int(gap)}"))
    said = words(flops_charts.WORDS)
    figures.show(flops_charts.head_params(fc, gap, said), [flops_charts.head_params(fc, gap, said, flops_charts.PHONE_WIDTH)])


def vgg() -> None:
    st.header(t("gap_fc.vgg.title"))
    fc, total = gap_vs_flatten.fc_share("vgg19")   # from flops.count's own cache
    left, right = st.columns([2, 3])
    left.markdown(flops_charts.parameter_share(fc, total, "VGG-19", words(flops_charts.WORDS)), unsafe_allow_html=True)
    right.markdown(t("gap_fc.vgg.text", fc=style.fmt_int(fc), total=style.fmt_int(total),
                     pct=f"{100 * fc / total:.0f}"))


def input_size_demo() -> None:
    st.header(t("gap_fc.demo.title"))
    st.markdown(t("gap_fc.demo.intro", train=TRAIN_SIZE))
    size = st.slider(t("gap_fc.demo.size"), 8, 96, 48, step=4, **keep("gap_fc_test_size"))
    left, right = st.columns(2)
    for column, head in ((left, "gap"), (right, "flatten")):
        run = gap_vs_flatten.run_head(head, TRAIN_SIZE, size)
        c, h, w = run.feature_shape
        with column.container(border=True):
            st.subheader(t(f"gap_fc.head.{head}"))
            st.markdown(t(f"gap_fc.demo.path.{head}", size=size, c=c, h=h, w=w, given=style.fmt_int(run.given_inputs),
                          built=style.fmt_int(run.fc_inputs)))
            if run.ok:
                st.success(t("gap_fc.demo.ok", size=size, n=run.output_shape[0]), icon=":material/check_circle:")
            else:
                st.warning(t("gap_fc.demo.fails", size=size, given=style.fmt_int(run.given_inputs),
                             built=style.fmt_int(run.fc_inputs), train=TRAIN_SIZE),
                           icon=":material/block:")
                # PyTorch's own words, drawn once opened: st.code brings the browser a 1.5 MB
                # highlighter that the page's first visit need not load for a closed box.
                box = st.expander(t("gap_fc.demo.pytorch"), key="gap_fc_error_open", on_change="rerun")
                if box.open:
                    box.code(run.error, language=None, wrap_lines=True)


def trained_configs(steps: int) -> list:
    """A GAP net and its flatten twin (same body, same recipe) on the digits at 16x16."""
    train = experiments.recipe("digits", steps=steps)
    nets = [ModelConfig(depth=8, base_width=8, in_channels=1, input_size=TRAINED_SIZE, head=head)
            for head in ("gap", "flatten")]
    # Stored in English and named in the reader's language where shown (ui/page/terms.py).
    return [(f"{m.kind} {'GAP' if m.head == 'gap' else 'flatten'}", m, train) for m in nets]


@st.cache_data(show_spinner=False, max_entries=16)
def accuracies(run_id: int, db: str) -> dict:
    info = shared.store().get_run(run_id)
    return analysis.accuracy_at_sizes(shared.store().load_model(run_id), info.train_cfg.dataset, TEST_SIZES,
                                      seed=info.train_cfg.seed)


def draw_trained(views) -> None:
    progress.progress_rows(views, "gap_fc")
    done = [v for v in views if v.info.status == "finished" and v.info.has_checkpoint]
    # A finished run whose checkpoint was dropped (resnet_core.store.retention) has no weights to
    # measure: said, with what a press does then (trains the pair anew: served.weightless).
    dropped = [v for v in views if v.info.status == "finished" and not v.info.has_checkpoint]
    if dropped:
        st.caption(t("gap_fc.trained.dropped", runs=", ".join(terms.net_label(v.info.label) for v in dropped)))
    if len(done) < len(views) or not done:
        return
    db = str(shared.store().path)
    acc = {v.info.model_cfg.head: accuracies(v.id, db) for v in done}
    rows = []
    for size in TEST_SIZES:
        row = {t("gap_fc.trained.size"): f"{size}×{size}" + (" ★" if size == TRAINED_SIZE else "")}
        for head in ("gap", "flatten"):
            a = acc.get(head, {}).get(size)
            row[t(f"gap_fc.head.{head}")] = t("gap_fc.trained.cannot") if a is None else f"{100 * a:.1f}%"
        rows.append(row)
    st.table(rows, hide_index=True)
    gap = acc.get("gap", {})
    # The other sizes' accuracies as the table shows them: sizes that tie share "best" or "worst",
    # and when all of them tie there is no best or worst to name.
    shown = {s: f"{100 * gap[s]:.1f}" for s in TEST_SIZES if s != TRAINED_SIZE and gap.get(s) is not None}
    high, low = max(shown.values(), key=float), min(shown.values(), key=float)
    at_train = f"{100 * gap[TRAINED_SIZE]:.1f}"
    if high == low:
        st.markdown(t("gap_fc.trained.flat", train=TRAINED_SIZE, at_train=at_train, at_other=high))
        return
    def sides(value: str) -> str:   # "12×12 and 24×24" / "12×12, 24×24"
        named = [f"{s}×{s}" for s, v in shown.items() if v == value]
        return ", ".join(named) if lang() == "ko" or len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    st.markdown(t("gap_fc.trained.reading", train=TRAINED_SIZE, at_train=at_train,
                  best=sides(high), at_best=high, worst=sides(low), at_worst=low))


def trained_demo() -> None:
    st.header(t("gap_fc.trained.title"))
    st.markdown(t("gap_fc.trained.intro", train=TRAINED_SIZE))
    steps = st.select_slider(t("gap_fc.trained.steps"), [150, 300, 600], 300, **keep("gap_fc_train_steps"))
    cluster.notice()   # the other training pages say it in their cost line
    # Equal runs already finished serve the press; without their weights nothing could be measured: anew.
    ids, _ = experiment_panel.start("gap_fc", lambda: trained_configs(steps), group=GROUP,
                                    label="gap_fc.trained.start", share=not served.weightless(trained_configs(steps)))
    if ids:
        progress.live_runs(ids, guarded(draw_trained), stop_prefix="gap_fc")


with guard():
    head_counts()
    vgg()
    input_size_demo()
    trained_demo()
