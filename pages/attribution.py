"""Attribution: which pixels a trained plain net and its residual twin rest their prediction on,
by four captum methods (Saliency, Integrated Gradients, Grad-CAM, Occlusion), as heat maps over
the image."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from resnet_core.inspection import inspect_models as im
from resnet_core.inspection.attribution import METHODS
from ui import guard, in_run_language, keep, label_of, t
from ui.draw import pictures, style
from ui.page import presets, terms
from ui.training.net_picker import Member, Picked, picker, valid_or_reset

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
PREDICTED = -1                    # target option: explain the predicted class


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
    classes = terms.class_labels(im.class_names(first.data))   # "원" for "circle" in Korean
    cams = im.cam_layers(first.trained().model)
    c1, c2 = st.columns([3, 2])
    methods = c1.pills(t("attribution.methods"), list(METHODS), selection_mode="multi", default=list(METHODS),
                       format_func=label_of("attribution.method"), **keep("attribution_methods"))
    valid_or_reset("attribution_target", [PREDICTED, *range(len(classes))])
    target = c2.selectbox(t("attribution.target"), [PREDICTED, *range(len(classes))],
                          format_func=in_run_language(lambda c: t("attribution.target.predicted") if c == PREDICTED
                                                        else t("attribution.target.class", name=classes[c])),
                          **keep("attribution_target"))
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


def overlay_html(rows: list[tuple[Member, im.Picture, list]], opacity: float) -> str:
    """One row per net, one column per method, the image first: each method's map for the two
    nets sits one above the other, laid over the image at `opacity`, on one colour bar."""
    methods = [m for m, _ in rows[0][2]]
    titles = [t("attribution.image")] + [t(f"attribution.method.{m}") for m in methods]
    table = []
    for member, picture, results in rows:
        net = terms.net_label(member.name)
        base = pictures.rgb8(picture.display)
        cells = [pictures.Cell(pictures.png_uri(base), tip=f"{net} · {titles[0]}")]
        cells += [pictures.Cell(pictures.png_uri(pictures.overlay(base, a.heatmap, OVERLAY_SCALE, opacity)),
                                tip=f"{net} · {t(f'attribution.method.{method}')}")
                  for method, a in results]
        table.append((net, style.KIND_COLOURS[member.kind], cells))
    bar = pictures.colour_bar(OVERLAY_SCALE, 0.0, 1.0, t("attribution.colorbar"))
    return pictures.table(titles, table, footer=bar)


def member_header(member: Member, picture: im.Picture, results: list) -> None:
    model = member.trained().model
    classes = terms.class_labels(im.class_names(member.data))   # "원" for "circle" in Korean
    name = lambda c: classes[c] if c < len(classes) else str(c)   # noqa: E731
    top, prob = im.predict(model, picture.x)
    with st.container(border=True):
        st.markdown(f"**:{'orange' if member.kind == 'plain' else 'blue'}[{terms.net_label(member.name)}]**")
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


def maps_section(picked: Picked) -> None:
    members, pictures, key = picked.members, picked.pictures, picked.picture_key
    settings = settings_ui(members)
    if not settings.methods:
        st.info(t("attribution.no_method"))
        return
    rows = [(m, pictures[m], results_for(m, pictures[m], key, settings)) for m in members]
    for column, (member, picture, results) in zip(st.columns(len(rows)), rows):
        with column:
            member_header(member, picture, results)
    st.markdown(overlay_html(rows, settings.opacity), unsafe_allow_html=True)


def draw(picked: Picked) -> None:
    if picked.pictures:       # every map needs the image
        maps_section(picked)
        st.markdown(t("attribution.methods_explained"))


with guard():
    picker("attribution", SOURCES, draw)
