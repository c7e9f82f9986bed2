"""Feature maps: what each channel of a layer responds to, for a plain net and its residual twin
on the same image, and how the activations are spread across the depth."""

from __future__ import annotations

import numpy as np
import streamlit as st

from resnet_core.inspection import inspect_models as im
from resnet_core.inspection import readings
from resnet_core.nets.blocks import block_outputs
from ui import guard, in_run_language, keep, t
from ui.draw import line_charts, pictures, style
from ui.draw.line_charts import Line, Panel
from ui.page import presets, terms
from ui.page.i18n import words
from ui.training.net_picker import Member, Picked, picker, valid_or_reset

presets.apply("features")
st.title(t("page.features.title"))
st.markdown(t("features.lead"))
st.info(t("features.look"), icon=":material/visibility:")

SOURCES = ["trained", "fresh", "run"]
CHANNEL_COUNTS = [4, 8, 16, 32]
HEAT_SCALE = pictures.VIRIDIS   # plotly's "Viridis", as the layer x step heatmaps


def image_html(display: np.ndarray, width: int = 160) -> str:
    """The picture as the net sees it, scaled up with its pixels kept sharp."""
    cell = pictures.Cell(pictures.png_uri(pictures.rgb8(display)), tip=t("inspect.image_source"))
    return pictures.grid([cell], 1, max_px=width)


def layer_label(choice) -> str:
    c, h, w = (choice.shape + (1, 1))[:3]
    return t("features.layer_option", name=choice.name, kind=t(f"features.kind.{choice.kind}"), c=c, h=h, w=w)


def grid_html(grid: im.ChannelGrid, per_channel: bool) -> str:
    """One picture per channel, numbered, on one colour scale: the layer's whole range, or (per
    channel) each map stretched to 0-1 on its own as im.tile does it; a colour bar below."""
    n = len(grid.channels)
    columns = 2 if n <= 4 else 4 if n <= 16 else 8
    maps = np.asarray(grid.maps, dtype=np.float32)
    if per_channel:
        shown, lo, hi = [im.tile(m[None], 1, True) for m in maps], 0.0, 1.0
    else:
        finite = maps[np.isfinite(maps)]
        shown = list(maps)
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    cells = []
    for channel, raw, z in zip(grid.channels, maps, shown):
        finite = raw[np.isfinite(raw)]
        low, high = (finite.min(), finite.max()) if finite.size else (np.nan, np.nan)
        tip = t("features.cell", c=channel, lo=pictures.number(low), hi=pictures.number(high))
        cells.append(pictures.Cell(pictures.png_uri(pictures.heat8(z, HEAT_SCALE, lo, hi)), str(channel), tip))
    bar = pictures.colour_bar(HEAT_SCALE, lo, hi, t("features.colorbar.scaled" if per_channel
                                                    else "features.colorbar.raw"))
    # About 420 pixels across in a half-page column, as the chart this replaces.
    return pictures.grid(cells, columns, max_px=420 // columns, footer=bar)


def stats_chart(rows: list[tuple[Member, dict]]) -> str:
    """Mean, spread and share of exact zeros of each layer's activations, a panel each; the
    second net of a kind is dashed."""
    seen: set[str] = set()
    lines: dict[str, list[Line]] = {"mean": [], "std": [], "zero_frac": []}
    for member, stats in rows:
        dash = "dash" if member.kind in seen else "solid"
        seen.add(member.kind)
        for key, found in lines.items():
            found.append(Line(terms.net_label(member.name), [float(v) for v in stats[key]], style.KIND_COLOURS[member.kind],
                              points=list(stats["name"]), dash=dash, width=2))
    # The trend sentence under the chart quotes these standard deviations: one precision for both.
    unit, fmt = t("features.stats.unit"), f".{readings.STD_DECIMALS}f"
    panels = [Panel(lines["mean"], y_title=unit, title=t("features.stats.mean"), value_format=fmt),
              Panel(lines["std"], y_title=unit, title=t("features.stats.std"), value_format=fmt),
              Panel(lines["zero_frac"], y_title=t("features.stats.share"), title=t("features.stats.zero"),
                    y_range=(0.0, 1.0), percent=True, value_format=".1%")]
    # 900 px for three panels (not 1,200): at 1280 px the page is about 800 wide, and the ticks
    # would shrink to 9 px.
    return line_charts.small_multiples(panels, words=words(line_charts.WORDS), x_title=t("features.stats.x"),
                                       title=t("features.stats.title"), width=900)


@st.cache_data(show_spinner=False, max_entries=64)
def layer_choices(member: Member) -> list:
    return im.layer_options(member.trained().model)


@st.cache_data(show_spinner=False, max_entries=64)
def activation_stats(member: Member) -> dict:
    """The layer statistics, how many images they summarise, and which layers are block outputs."""
    model = member.trained().model
    batch = im.held_out_batch(member.data)
    return {**im.layer_stats(model, batch), "images": len(batch), "outputs": block_outputs(model)}


@st.cache_data(show_spinner=False, max_entries=512)
def looked_at(member: Member, picture_key: tuple, _x, layer: str | None, count: int):
    """The prediction and, when the net has the layer, the channel grid for one image (the image
    is named by its key, so the tensor itself is not hashed)."""
    model = member.trained().model
    grid = im.channel_grid(model, _x, layer, count) if layer else None
    return im.predict(model, _x), grid


def maps_section(picked: Picked) -> None:
    members, pictures, picture_key = picked.members, picked.pictures, picked.picture_key
    choices = layer_choices(members[0])
    names = [c.name for c in choices]
    by_name = {c.name: c for c in choices}
    valid_or_reset("features_layer", names)
    c1, c2, c3 = st.columns([3, 2, 2])
    layer = c1.selectbox(t("features.layer"), names, index=names.index(im.default_layer(choices)),
                         format_func=in_run_language(lambda n: layer_label(by_name[n])), **keep("features_layer"))
    count = c2.select_slider(t("features.channels"), CHANNEL_COUNTS, 16, **keep("features_channels"))
    per_channel = c3.toggle(t("features.per_channel"), help=t("features.per_channel_help"),
                            **keep("features_per_channel"))

    for column, member in zip(st.columns(len(members)), members):
        with column.container(border=True):
            st.subheader(terms.net_label(member.name))
            picture = pictures[member]
            has_layer = layer in {c.name for c in layer_choices(member)}
            (top, prob), grid = looked_at(member, picture_key, picture.x, layer if has_layer else None, count)
            names_of = terms.class_labels(im.class_names(member.data))   # "원" for "circle" in Korean
            left, right = st.columns([1, 2])
            with left:
                st.markdown(image_html(picture.display), unsafe_allow_html=True)
            with right:
                st.metric(t("inspect.prediction"), names_of[top] if top < len(names_of) else str(top),
                          t("inspect.probability", prob=f"{prob:.1%}"), delta_color="off", delta_arrow="off")
                if picture.label is not None:
                    st.caption(t("inspect.label", name=names_of[picture.label]))
            if grid is None:
                st.info(t("features.missing_layer", layer=layer))
                continue
            c, h, w = grid.shape
            st.caption(t("features.grid_caption", shown=len(grid.channels), total=c, h=h, w=w))
            st.markdown(grid_html(grid, per_channel), unsafe_allow_html=True)


def trend_text(name: str, stats: dict) -> str | None:
    """What the chart shows of a residual net's block outputs from each stage's first block to
    its last (readings.block_output_trend), with the numbers; None when there is nothing to read."""
    found = readings.block_output_trend(stats["name"], stats["std"], stats["outputs"])
    if found is None:
        return None
    code, stages = found
    numbers = ", ".join(t("features.stats.stage", n=stage.replace("stage", ""), first=f"{first:.{readings.STD_DECIMALS}f}",
                          last=f"{last:.{readings.STD_DECIMALS}f}") for stage, first, last in stages)
    return t(f"features.stats.trend.{code}", net=name, stages=numbers)


def stats_section(members: list[Member]) -> None:
    st.header(t("features.stats.title"))
    rows = [(m, activation_stats(m)) for m in members]
    # Stored runs of two datasets may hold out different numbers of images: name both.
    st.markdown(t("features.stats.intro", n=" / ".join(sorted({str(s["images"]) for _, s in rows}, key=int))))
    st.markdown(stats_chart(rows), unsafe_allow_html=True)
    for member, stats in rows:
        text = trend_text(terms.net_label(member.name), stats)
        if text:
            st.markdown(text)


def draw(picked: Picked) -> None:
    # The statistics come from the held-out batch, not the chosen image: they show while an
    # upload is still awaited.
    if picked.pictures:
        maps_section(picked)
    stats_section(picked.members)


with guard():
    picker("features", SOURCES, draw)
