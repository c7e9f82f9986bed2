"""Attribution: which pixels a trained plain net and its residual twin rest their prediction on,
by four captum methods (Saliency, Integrated Gradients, Grad-CAM, Occlusion), as heat maps over
the image."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from resnet_core import inspect_models as im
from resnet_core.attribution import METHODS
from resnet_core.data import DatasetMissing
from resnet_core.images import ImageRejected
from ui import guard, keep, label_of, presets, runs, style, t

presets.apply("attribution")
st.title(t("page.attribution.title"))
st.markdown(t("attribution.lead"))
st.info(t("attribution.look"), icon=":material/visibility:")

SOURCES = ["trained", "run"]
IG_STEPS = [8, 16, 32, 64]
WINDOW_SHARES = [16, 8, 4]        # occlusion patch: 1/16, 1/8 or 1/4 of the image side
# Transparent where there is no evidence, so the image stays visible; warm and opaque where it is strong.
OVERLAY_SCALE = [[0.0, "rgba(255,235,59,0)"], [0.15, "rgba(255,235,59,0.15)"], [0.45, "rgba(255,152,0,0.6)"],
                 [0.75, "rgba(230,40,20,0.85)"], [1.0, "rgba(150,0,60,1)"]]
PLOT_CONFIG = {"displayModeBar": False}
PREDICTED = -1                    # target option: explain the predicted class


@dataclass(frozen=True)
class Member:
    """One net on the page: where it comes from (plain values, so results can be cached)."""
    kind: str                       # plain or residual: the colour
    name: str                       # e.g. ResNet-20, or a run's label
    spec: im.TwinSpec | None        # a twin member trained here...
    run_id: int = 0                 # ...or a stored run
    data: im.DataSpec | None = None

    def trained(self) -> im.Trained:
        if self.spec is not None:
            return im.twin_member(self.spec, self.kind == "residual")
        return im.stored_model(runs.store(), self.run_id)


def valid_or_reset(key: str, allowed) -> None:
    """Forget a kept value that the current options no longer offer (the widget's default wins)."""
    if key in st.session_state and st.session_state[key] not in allowed:
        del st.session_state[key]


def twin_members(prefix: str) -> list[Member]:
    c1, c2, c3, c4 = st.columns(4)
    dataset = c1.segmented_control(t("inspect.dataset"), list(im.INPUT_SIZE), default="digits", required=True,
                                   format_func=label_of("inspect.dataset"), help=t("inspect.dataset_help"),
                                   **keep(f"{prefix}_dataset"))
    depth = c2.select_slider(t("inspect.depth"), im.DEPTHS, 20, **keep(f"{prefix}_depth"))
    width = c3.select_slider(t("inspect.width"), im.WIDTHS, 16, **keep(f"{prefix}_width"))
    steps = c4.slider(t("inspect.steps"), 20, im.MAX_STEPS, 150, step=10, **keep(f"{prefix}_steps"))
    spec = im.TwinSpec(dataset, depth, width, steps)
    members = [Member(kind, style.arch_name(spec.model_config(kind == "residual").name), spec, data=spec.data)
               for kind in ("plain", "residual")]
    with st.spinner(t("inspect.training", depth=depth, steps=steps,
                      dataset=t(f"inspect.dataset.{dataset}")), show_time=True):
        accs = [m.trained().test_acc for m in members]
    st.caption(t("inspect.trained_note", steps=steps, plain=f"{accs[0]:.1%}", residual=f"{accs[1]:.1%}"))
    return members


def run_label(info) -> str:
    acc = "–" if info.test_acc is None else f"{info.test_acc:.1%}"
    return t("inspect.run_option", id=info.id, name=info.label or style.arch_name(info.model_cfg.name),
             dataset=info.train_cfg.dataset, acc=acc)


def run_members(prefix: str) -> list[Member]:
    found = im.runs_with_checkpoints(runs.store())
    if not found:
        st.info(t("inspect.no_runs"), icon=":material/inventory_2:")
        return []
    infos = {r.id: r for r in found}
    ids = list(infos)
    plain_first = [r.id for r in found if not r.model_cfg.residual] + [r.id for r in found if r.model_cfg.residual]
    valid_or_reset(f"{prefix}_run_left", ids)
    valid_or_reset(f"{prefix}_run_right", [0, *ids])
    c1, c2 = st.columns(2)
    left = c1.selectbox(t("inspect.run_left"), ids, index=ids.index(plain_first[0]),
                        format_func=lambda r: run_label(infos[r]), **keep(f"{prefix}_run_left"))
    others = [0, *ids]
    residual = next((r.id for r in found if r.model_cfg.residual and r.id != left), 0)
    right = c2.selectbox(t("inspect.run_right"), others, index=others.index(residual),
                         format_func=lambda r: t("inspect.run_none") if r == 0 else run_label(infos[r]),
                         **keep(f"{prefix}_run_right"))
    chosen = [left] + ([right] if right and right != left else [])
    return [Member("residual" if infos[r].model_cfg.residual else "plain",
                   f"#{r} {infos[r].label or style.arch_name(infos[r].model_cfg.name)}", None, r,
                   im.DataSpec.of_run(infos[r].model_cfg, infos[r].train_cfg)) for r in chosen]


def members_ui(prefix: str, sources: list[str]) -> list[Member]:
    source = st.segmented_control(t("inspect.source"), sources, default=sources[0], required=True,
                                  format_func=label_of("inspect.source"), **keep(f"{prefix}_source"))
    return run_members(prefix) if source == "run" else twin_members(prefix)


@st.cache_data(show_spinner=False, max_entries=64)
def decode(data: bytes):
    return im.read_upload(data)


def upload_message(exc: ImageRejected) -> str:
    return t(f"inspect.rejected.{exc.code}", mb=im.UPLOAD_MAX_BYTES // 1_000_000,
             px=style.fmt_int(im.UPLOAD_MAX_PIXELS))


def pictures_ui(prefix: str, members: list[Member]) -> tuple[dict[Member, im.Picture], tuple] | None:
    """The same image for every member, prepared as each one's training data were, and a key
    naming it (for the cache)."""
    source = st.segmented_control(t("inspect.image_source"), ["sample", "upload"], default="sample", required=True,
                                  format_func=label_of("inspect.image_source"), **keep(f"{prefix}_image_source"))
    first = members[0].data
    if source == "sample":
        last = im.held_out_count(first) - 1
        if st.session_state.get(f"{prefix}_index", 0) > last:
            del st.session_state[f"{prefix}_index"]
        index = int(st.number_input(t("inspect.index", last=last), 0, last, 0, **keep(f"{prefix}_index")))
        if any(m.data.dataset != first.dataset for m in members):
            st.caption(t("inspect.other_datasets"))
        return {m: im.held_out(m.data, index) for m in members}, ("sample", index)
    file = st.file_uploader(t("inspect.upload"), type=["png", "jpg", "jpeg"], key=f"{prefix}_upload",
                            help=t("inspect.upload_help", mb=im.UPLOAD_MAX_BYTES // 1_000_000,
                                   px=style.fmt_int(im.UPLOAD_MAX_PIXELS)))
    if file is None:
        st.caption(t("inspect.upload_prompt"))
        return None
    data = file.getvalue()
    try:
        img = decode(data)
    except ImageRejected as exc:
        st.warning(upload_message(exc), icon=":material/image_not_supported:")
        return None
    return {m: im.uploaded(img, m.data) for m in members}, ("upload", hashlib.sha256(data).hexdigest())


# --- this page -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    methods: tuple[str, ...]
    target: int              # PREDICTED or a class
    ig_steps: int
    window_share: int        # occlusion patch = image side / window_share
    cam_layer: str
    opacity: float

    def options(self, method: str, size: int, cam_layers: list[str]) -> dict:
        if method == "integrated_gradients":
            return {"n_steps": self.ig_steps}
        if method == "occlusion":
            return {"window": max(1, round(size / self.window_share))}
        if method == "gradcam":
            return {"layer": self.cam_layer if self.cam_layer in cam_layers else cam_layers[0]}
        return {}


def settings_ui(members: list[Member]) -> Settings:
    first = members[0]
    classes = im.class_names(first.data)
    cams = im.cam_layers(first.trained().model)
    c1, c2 = st.columns([3, 2])
    methods = c1.pills(t("attribution.methods"), list(METHODS), selection_mode="multi", default=list(METHODS),
                       format_func=label_of("attribution.method"), **keep("attribution_methods"))
    valid_or_reset("attribution_target", [PREDICTED, *range(len(classes))])
    target = c2.selectbox(t("attribution.target"), [PREDICTED, *range(len(classes))],
                          format_func=lambda c: t("attribution.target.predicted") if c == PREDICTED
                          else t("attribution.target.class", name=classes[c]), **keep("attribution_target"))
    with st.expander(t("attribution.settings"), icon=":material/tune:"):
        s1, s2, s3, s4 = st.columns(4)
        ig_steps = s1.select_slider(t("attribution.ig_steps"), IG_STEPS, 32, **keep("attribution_ig_steps"))
        share = s2.select_slider(t("attribution.window"), WINDOW_SHARES, 8, format_func=lambda d: f"1/{d}",
                                 **keep("attribution_window"))
        valid_or_reset("attribution_cam_layer", cams)
        cam = s3.selectbox(t("attribution.cam_layer"), cams, **keep("attribution_cam_layer"))
        opacity = s4.slider(t("attribution.opacity"), 0.1, 0.9, 0.55, 0.05, **keep("attribution_opacity"))
    return Settings(tuple(m for m in METHODS if m in (methods or [])), target, ig_steps, share, cam, opacity)


@st.cache_data(show_spinner=False, max_entries=256)
def explained(member: Member, picture_key: tuple, _x, method: str, target: int, options: tuple):
    """One method's map for one net and image; cached on plain values (the image by its key)."""
    return im.explain(member.trained().model, _x, method, None if target == PREDICTED else target,
                      **dict(options))


def overlay_figure(rows: list[tuple[Member, im.Picture, list]], opacity: float) -> go.Figure:
    """One row per net, one column per method, the image first: each method's maps for the two
    nets sit one above the other."""
    methods = [m for m, _ in rows[0][2]]
    cols = 1 + len(methods)
    titles = [t("attribution.image")] + [t(f"attribution.method.{m}") for m in methods]
    fig = make_subplots(rows=len(rows), cols=cols, column_titles=titles, row_titles=[m.name for m, _, _ in rows],
                        horizontal_spacing=0.015, vertical_spacing=0.04)
    for r, (member, picture, results) in enumerate(rows, start=1):
        rgb = (picture.display * 255).round().astype(np.uint8)
        for c, (method, a) in enumerate([("image", None), *results], start=1):
            fig.add_trace(go.Image(z=rgb, hoverinfo="skip", name=f"{member.name} · {method}"), row=r, col=c)
            if a is not None:
                fig.add_trace(go.Heatmap(z=a.heatmap, coloraxis="coloraxis", opacity=opacity,
                                         name=f"{member.name} · {method}",
                                         hovertemplate=t("attribution.hover") + "<extra></extra>"), row=r, col=c)
            i = (r - 1) * cols + c
            suffix = "" if i == 1 else str(i)
            fig.layout[f"yaxis{suffix}"].scaleanchor = f"x{suffix}"
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", constrain="domain")
    for note in fig.layout.annotations:      # row titles in their kind's colour
        for member, _, _ in rows:
            if note.text == member.name:
                note.font = dict(color=style.KIND_COLOURS[member.kind], size=style.FONT_SIZE)
    fig.update_layout(coloraxis=dict(colorscale=OVERLAY_SCALE, cmin=0, cmax=1, colorbar=dict(
        title=dict(text=t("attribution.colorbar"), side="top"), orientation="h", thickness=12,
        len=0.5, x=0.5, xanchor="center", y=-0.02, yanchor="top")))
    fig = style.layout(fig, height=40 + 230 * len(rows) + 70)
    fig.update_layout(margin=dict(l=10, r=40, t=50, b=70))
    return fig


def member_header(member: Member, picture: im.Picture, results: list) -> None:
    model = member.trained().model
    classes = im.class_names(member.data)
    name = lambda c: classes[c] if c < len(classes) else str(c)   # noqa: E731
    top, prob = im.predict(model, picture.x)
    with st.container(border=True):
        st.markdown(f"**:{'orange' if member.kind == 'plain' else 'blue'}[{member.name}]**")
        m1, m2 = st.columns(2)
        m1.metric(t("inspect.prediction"), name(top), t("inspect.probability", prob=f"{prob:.1%}"),
                  delta_color="off", delta_arrow="off")
        if picture.label is not None:
            m2.metric(t("attribution.truth"), name(picture.label))
        if results and results[0][1].target != top:
            first = results[0][1]
            st.caption(t("attribution.explaining", name=name(first.target), prob=f"{first.target_probability:.1%}"))
        for method, a in results:
            if method == "integrated_gradients" and a.delta is not None:
                st.caption(t("attribution.ig_delta", delta=f"{abs(a.delta):.3g}"))


def results_for(member: Member, picture: im.Picture, picture_key: tuple, settings: Settings) -> list:
    cams = im.cam_layers(member.trained().model)
    return [(m, explained(member, picture_key, picture.x, m, settings.target,
                          tuple(sorted(settings.options(m, picture.x.shape[-1], cams).items()))))
            for m in settings.methods]


def maps_section(members: list[Member], pictures: dict[Member, im.Picture], key: tuple) -> None:
    settings = settings_ui(members)
    if not settings.methods:
        st.info(t("attribution.no_method"))
        return
    rows = [(m, pictures[m], results_for(m, pictures[m], key, settings)) for m in members]
    for column, (member, picture, results) in zip(st.columns(len(rows)), rows):
        with column:
            member_header(member, picture, results)
    st.plotly_chart(overlay_figure(rows, settings.opacity), config=PLOT_CONFIG, key="attribution_maps_chart")


with guard():
    members = members_ui("attribution", SOURCES)
    if members:
        try:
            chosen = pictures_ui("attribution", members)
            if chosen:
                maps_section(members, *chosen)
                st.markdown(t("attribution.methods_explained"))
        except DatasetMissing as exc:
            st.warning(t("inspect.dataset_missing", msg=str(exc)), icon=":material/folder_off:")
