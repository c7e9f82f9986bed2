"""Augmentation: the paper's pad-and-crop and flip, and AlexNet's PCA colour augmentation, applied
to sample images with the parameters on sliders; plus the colour components the last one uses."""

from __future__ import annotations

import numpy as np
import streamlit as st

from resnet_core.inspection import inspect_models as im
from ui import guard, keep, label_of, t
from ui.draw import bar_charts, pictures, style
from ui.draw.bar_charts import BarPanel, Series
from ui.page import presets

presets.apply("augmentation")
st.title(t("page.augmentation.title"))
st.markdown(t("augmentation.lead"))
st.info(t("augmentation.look"), icon=":material/visibility:")

DATASETS = ["shapes", "digits"]
SIZE = 32            # the paper's CIFAR size; digits are enlarged to it
POOL = 24            # sample images to pick from
COLUMNS = 6
SEED_KEY = "augmentation_seed"   # plain session key: the reseed button moves it on
CHANNEL_COLOURS = ("#D62728", "#2CA02C", "#1F77B4")   # R, G, B loadings in their own colours


@st.cache_data(show_spinner=False)
def pool(dataset: str) -> tuple[np.ndarray, list[int]]:
    images, labels = im.pictures(dataset, POOL, SIZE)
    return images.numpy(), labels


@st.cache_data(show_spinner=False)
def components(dataset: str) -> im.ColourPCA:
    return im.colour_pca(dataset, SIZE)


def reseed() -> None:
    st.session_state[SEED_KEY] = st.session_state.get(SEED_KEY, 0) + 1


def copies_html(original: np.ndarray, copies: np.ndarray) -> str:
    """The original and its augmented copies, titled, in rows of COLUMNS."""
    panels = [original, *copies]
    titles = [t("augmentation.original")] + [t("augmentation.copy", n=i + 1) for i in range(len(copies))]
    cells = [pictures.Cell(pictures.png_uri(pictures.rgb8(image)), title) for image, title in zip(panels, titles)]
    return pictures.grid(cells, min(COLUMNS, len(panels)), max_px=180, gap=10)


def eigen_chart(pca: im.ColourPCA) -> str:
    """Each component's variance (with its share above the bar) and what it is made of: its
    loading on R, G and B, from -1 to 1."""
    k = len(pca.eigvals)
    names = [f"PC{i + 1}" for i in range(k)]
    share = pca.eigvals / max(float(pca.eigvals.sum()), 1e-12)
    values = BarPanel(names, [Series("", [float(v) for v in pca.eigvals], style.NEUTRAL,
                                     texts=[f"{s:.0%}" for s in share])],
                      y_title=t("augmentation.pca.variance"), title=t("augmentation.pca.values"), value_format=".4f")
    channels = ["R", "G", "B"] if k == 3 else [t("augmentation.pca.grey")]
    loadings = BarPanel(names, [Series(name, [float(v) for v in pca.eigvecs[c]],
                                       CHANNEL_COLOURS[c] if k == 3 else style.NEUTRAL)
                                for c, name in enumerate(channels)],
                        y_title=t("augmentation.pca.loading"), title=t("augmentation.pca.vectors"),
                        y_range=(-1.0, 1.0), value_format=".3f")
    return bar_charts.grouped_bars([values, loadings], title=t("augmentation.pca.title"),
                                   x_title=t("augmentation.pca.component"), width=720)


def steps_html(pca: im.ColourPCA) -> str:
    """Each component as a strip: the mean colour moved from -3 to +3 standard deviations."""
    strips = np.stack([im.colour_steps(pca, i) for i in range(len(pca.eigvals))])   # (K, 7, C)
    return pictures.matrix(pictures.png_uri(pictures.rgb8(strips)), [f"PC{i + 1}" for i in range(len(pca.eigvals))],
                           [f"{v:+d}σ" for v in range(-3, 4)], t("augmentation.pca.shift"))


def copies_section() -> None:
    c1, c2, c3 = st.columns(3)
    dataset = c1.segmented_control(t("augmentation.dataset"), DATASETS, default="shapes", required=True,
                                   format_func=label_of("augmentation.dataset"), **keep("augmentation_dataset"))
    index = c2.slider(t("augmentation.index"), 0, POOL - 1, 0, **keep("augmentation_index"))
    count = c3.slider(t("augmentation.copies"), 1, 16, 8, **keep("augmentation_copies"))
    s1, s2, s3, s4 = st.columns([2, 2, 2, 1.4], vertical_alignment="bottom")   # room for the button's label on one line
    pad = s1.slider(t("augmentation.pad"), 0, 8, 4, help=t("augmentation.pad_help"), **keep("augmentation_pad"))
    flip_p = s2.slider(t("augmentation.flip"), 0.0, 1.0, 0.5, 0.05, help=t("augmentation.flip_help"),
                       **keep("augmentation_flip"))
    alpha = s3.slider(t("augmentation.alpha"), 0.0, 2.0, 0.1, 0.05, help=t("augmentation.alpha_help"),
                      **keep("augmentation_alpha"))
    s4.button(t("augmentation.reseed"), icon=":material/casino:", on_click=reseed, key="augmentation_reseed",
              width="stretch")

    images, labels = pool(dataset)
    pca = components(dataset)
    seed = st.session_state.get(SEED_KEY, 0)
    copies = im.augmented_copies(images[index], count, pad=pad, flip_p=flip_p, alphastd=alpha,
                                 pca=pca, seed=seed)
    # Without padding the "random crop" of the full image is the image itself: say so.
    st.caption(t("augmentation.caption.no_pad" if pad == 0 else "augmentation.caption", seed=seed, pad=pad, size=SIZE, padded=SIZE + 2 * pad,
                 flip=f"{flip_p:.0%}", alpha=f"{alpha:g}"))
    if dataset == "digits" and flip_p > 0:
        st.caption(t("augmentation.digits_flip"))
    st.markdown(copies_html(images[index].transpose(1, 2, 0), copies), unsafe_allow_html=True)
    pca_section(dataset, pca)


def pca_section(dataset: str, pca: im.ColourPCA) -> None:
    st.header(t("augmentation.pca.title"))
    st.markdown(t("augmentation.pca.intro"))
    if len(pca.eigvals) == 1:
        st.caption(t("augmentation.pca.grey_note"))
    # The chart at the page's width, the steps under it: in three fifths of the page, at 1280 px,
    # its ticks shrank to 9 px.
    st.markdown(eigen_chart(pca), unsafe_allow_html=True)
    st.markdown(steps_html(pca), unsafe_allow_html=True)
    st.caption(t("augmentation.pca.steps_note"))


with guard():
    copies_section()
