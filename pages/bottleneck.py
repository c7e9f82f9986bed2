"""Bottleneck & FLOPs: what a 1x1 reduction saves, basic vs bottleneck blocks, and our counts of
ResNet-18..152 beside the paper's Table 1. Every count is multiply-adds (MACs)."""

import streamlit as st

from resnet_core.nets import flops
from resnet_core.nets.architectures import arch_config
from ui import guard, keep, label_of, lang, t
from ui.draw import flops_charts, style
from ui.page import figures, presets
from ui.page.i18n import words

presets.apply("bottleneck")
st.title(t("page.bottleneck.title"))
st.markdown(t("bottleneck.lead"))

SECTIONS = ["calc", "block", "table", "layers"]
ARCHS = ["resnet20", "resnet32", "resnet44", "resnet56", "resnet110",
         "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "vgg19"]


def calculator() -> None:
    st.markdown(t("bottleneck.calc.intro"))
    c1, c2, c3, c4, c5 = st.columns(5)
    size = c1.slider(t("bottleneck.size"), 1, 112, 28, **keep("bottleneck_size"))
    cin = c2.slider(t("bottleneck.cin"), 1, 1024, 192, **keep("bottleneck_cin"))
    cout = c3.slider(t("bottleneck.cout"), 1, 1024, 32, **keep("bottleneck_cout"))
    k = c4.select_slider(t("bottleneck.k"), [1, 3, 5, 7], 5, **keep("bottleneck_k"))
    mid = c5.slider(t("bottleneck.mid"), 1, 1024, 16, **keep("bottleneck_mid"))
    calc = flops.bottleneck_calc(size, cin, cout, k, mid)

    m1, m2, m3 = st.columns(3)
    m1.metric(t("bottleneck.path.direct"), style.fmt_int(calc.direct_macs) + " MACs")
    m2.metric(t("bottleneck.path.reduced"), style.fmt_int(calc.bottleneck_macs) + " MACs")
    # Equal as shown: neither "1× fewer" nor "1× more". Read on the number the metric would show
    # (1/ratio when the 1x1 path costs more: 0.998 would read "1× more").
    same = style.fmt_ratio(max(calc.ratio, 1 / calc.ratio), "en") == "1×"
    if same:
        m3.metric(t("bottleneck.saving"), t("bottleneck.same"))
    elif calc.ratio > 1:
        m3.metric(t("bottleneck.saving"), t("bottleneck.times_fewer", ratio=style.fmt_ratio(calc.ratio, lang())))
    else:   # a "reduction" to more channels than it had: say what it costs, never "0.5× fewer"
        m3.metric(t("bottleneck.extra_cost"), t("bottleneck.times_more", ratio=style.fmt_ratio(1 / calc.ratio, lang())))
    st.markdown(t("bottleneck.calc.formula",
                  direct=f"{size}×{size}×{cout}×{k}×{k}×{cin} = {style.fmt_int(calc.direct_macs)}",
                  reduce=f"{size}×{size}×{mid}×{cin} = {style.fmt_int(calc.reduce_macs)}",
                  conv=f"{size}×{size}×{cout}×{k}×{k}×{mid} = {style.fmt_int(calc.conv_macs)}",
                  total=style.fmt_int(calc.bottleneck_macs)))
    st.caption(t("bottleneck.calc.weights", direct=style.fmt_int(calc.direct_params),
                 reduced=style.fmt_int(calc.bottleneck_params)))
    if calc.ratio < 1 and not same:
        st.info(t("bottleneck.calc.no_saving"))
    said = words(flops_charts.WORDS)
    figures.show(flops_charts.reduction_paths(calc, k, said),
                 [flops_charts.reduction_paths(calc, k, said, flops_charts.PHONE_WIDTH)])


def blocks() -> None:
    st.markdown(t("bottleneck.block.intro"))
    c1, c2, c3 = st.columns(3)
    basic = c1.select_slider(t("bottleneck.block.basic_width"), [16, 32, 64, 128, 256, 512], 64,
                             **keep("bottleneck_basic_width"))
    wide = c2.select_slider(t("bottleneck.block.wide_width"), [64, 128, 256, 512, 1024, 2048], 256,
                            **keep("bottleneck_wide_width"))
    side = c3.select_slider(t("bottleneck.block.map"), [7, 14, 28, 56], 56, **keep("bottleneck_map"))
    basic_w, wide_w = flops.block_weights("basic", basic), flops.block_weights("bottleneck", wide)
    m1, m2 = st.columns(2)
    m1.metric(t("bottleneck.block.basic", c=basic), t("bottleneck.n_weights", n=style.fmt_int(basic_w)))
    m2.metric(t("bottleneck.block.bottleneck", c=wide), t("bottleneck.n_weights", n=style.fmt_int(wide_w)))
    st.plotly_chart(flops_charts.two_blocks(basic, basic_w, wide, wide_w, side, words(flops_charts.WORDS)), config={"displayModeBar": False})


def paper_table() -> None:
    st.markdown(t("bottleneck.table.intro"))
    rows = flops.paper_table()   # from flops.count's own cache: 0.1 ms once warm
    names = {r.arch: style.arch_name(r.arch) for r in rows}
    # Our counts to the million (three decimals, as PAPER.md's recount), so what the text says of
    # them follows from the numbers shown: every row's v1.5 - v1 is the intro's 0.23 G, and
    # ResNet-34 over VGG-19 is the caption's 18.7% (3.66 / 19.63 would give 18.6%).
    ours = lambda macs: f"{macs / 1e9:.3f} G MACs"   # noqa: E731
    st.dataframe(
        [{t("bottleneck.table.net"): names[r.arch], t("bottleneck.table.block"): t(f"bottleneck.kind.{r.block}"),
          t("unit.params"): style.fmt_int(r.params),
          t("bottleneck.table.ours_v1"): ours(r.macs_v1),
          t("bottleneck.table.ours_v15"): ours(r.macs_v15),
          t("bottleneck.table.paper"): f"{r.paper_macs / 1e9:.1f} G MACs"} for r in rows],
        hide_index=True)
    by_arch = {r.arch: r for r in rows}
    plain34 = flops.count(arch_config("plain34")).macs
    vgg = by_arch["vgg19"].macs_v1   # the paper's 18% is its plain net's; ResNet-34 (option B) adds projections
    st.caption(t("bottleneck.table.vgg_share", plain34=f"{100 * plain34 / vgg:.1f}",
                 resnet34=f"{100 * by_arch['resnet34'].macs_v1 / vgg:.1f}"))
    st.plotly_chart(flops_charts.paper_comparison(rows, names, words(flops_charts.WORDS)), config={"displayModeBar": False})


def per_layer() -> None:
    c1, c2, c3 = st.columns(3)
    arch = c1.selectbox(t("bottleneck.layers.arch"), ARCHS, index=ARCHS.index("resnet34"),
                        format_func=style.arch_name, **keep("bottleneck_arch"))
    is_vgg = arch.startswith("vgg")
    plain = c2.toggle(t("bottleneck.layers.plain"), disabled=is_vgg, **keep("bottleneck_plain"))
    layout = c3.radio(t("bottleneck.layers.layout"), ["v1", "v1.5"], index=0, horizontal=True,
                      format_func=label_of("bottleneck.layout"), **keep("bottleneck_layout"))
    cfg = arch_config(arch, plain=plain and not is_vgg, stride_at=layout)
    summary = flops.count(cfg)
    m1, m2, m3 = st.columns(3)
    m1.metric(t("bottleneck.layers.params"), style.fmt_int(summary.params))
    m2.metric(t("bottleneck.layers.macs"), style.fmt_macs(summary.macs))
    m3.metric(t("bottleneck.layers.count"), str(sum(1 for r in summary.rows if r.macs > 0)))
    if cfg.block == "bottleneck" and not is_vgg:
        st.caption(t(f"bottleneck.layout.{layout}.shown"))
    st.plotly_chart(flops_charts.layer_costs(summary.rows, cfg.residual and not is_vgg, words(flops_charts.WORDS)),
                    config={"displayModeBar": False})
    # Purple only where the chart draws it: option-A nets, plain twins and VGG have no projections.
    projections = any("shortcut" in r.name and r.macs > 0 for r in summary.rows)
    st.caption(t("bottleneck.layers.legend.projection" if projections else "bottleneck.layers.legend"))


with guard():
    section = st.segmented_control(t("bottleneck.section"), SECTIONS, default="calc", required=True,
                                   format_func=label_of("bottleneck.section"), **keep("bottleneck_section"))
    {"calc": calculator, "block": blocks, "table": paper_table, "layers": per_layer}[section or "calc"]()
