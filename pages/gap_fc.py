"""GAP vs FC: what a flatten + FC head costs against global average pooling + FC, and why only
the GAP net accepts another input size, shown by running both."""

import streamlit as st

from resnet_core import flops, headcheck
from ui import cost_charts, guard, keep, presets, style, t

presets.apply("gap-fc")
st.title(t("page.gap-fc.title"))
st.markdown(t("gap_fc.lead"))
TRAIN_SIZE = 32   # the tiny demo nets are built for 32x32 images, like the paper's CIFAR nets


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
    m3.metric(t("gap_fc.saving"), t("gap_fc.times_fewer", ratio=style.fmt_ratio(fc / gap)))
    st.markdown(t("gap_fc.formula",
                  fc=f"{spatial}×{spatial}×{channels}×{classes} + {classes} = {style.fmt_int(fc)}",
                  gap=f"{channels}×{classes} + {classes} = {style.fmt_int(gap)}"))
    st.plotly_chart(cost_charts.head_params(fc, gap), config={"displayModeBar": False})


@st.cache_data(show_spinner=False)
def vgg_share() -> tuple[int, int]:
    return headcheck.fc_share("vgg19")


def vgg() -> None:
    st.header(t("gap_fc.vgg.title"))
    fc, total = vgg_share()
    left, right = st.columns([2, 3])
    left.plotly_chart(cost_charts.parameter_share(fc, total, "VGG-19"), config={"displayModeBar": False})
    right.markdown(t("gap_fc.vgg.text", fc=style.fmt_int(fc), total=style.fmt_int(total),
                     pct=f"{100 * fc / total:.0f}"))


def input_size_demo() -> None:
    st.header(t("gap_fc.demo.title"))
    st.markdown(t("gap_fc.demo.intro", train=TRAIN_SIZE))
    size = st.slider(t("gap_fc.demo.size"), 8, 96, 48, step=4, **keep("gap_fc_test_size"))
    left, right = st.columns(2)
    for column, head in ((left, "gap"), (right, "flatten")):
        run = headcheck.run_head(head, TRAIN_SIZE, size)
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
                with st.expander(t("gap_fc.demo.pytorch")):
                    st.code(run.error, language=None, wrap_lines=True)


with guard():
    head_counts()
    vgg()
    input_size_demo()
