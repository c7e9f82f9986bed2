"""One-click classroom presets: open a page with its widgets already set.

A preset is a page plus the values of some of that page's widget keys. Home shows a button for
each preset whose page app.py routes (``nav.exists``); a click stores the values as pending and
switches page. Every page calls ``apply("<url_path>")`` as its first line: the pending
values are written into ``st.session_state`` before any widget is drawn, so the widgets open
with them (and the user can change them as usual afterwards).

To add a preset: append a ``Preset`` below, with widget keys exactly as the target page names
them, and a ``preset.<code>`` entry (title) in assets/i18n/home.json.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from ui.page import links, nav
from ui.page.i18n import t

_PENDING_KEY = "_preset_pending"


@dataclass(frozen=True)
class Preset:
    code: str                                   # stable id; its title is t(f"preset.{code}")
    page: str                                   # the target page's url_path
    values: dict = field(default_factory=dict)  # widget key -> value on the target page


PRESETS: tuple[Preset, ...] = (
    # Figure 6 of He et al. 2015 in one click: plain-20/56 and ResNet-20/56 with the experiment's recipe.
    Preset("degradation_20_56", "degradation",
           {"degradation_dataset": "digits", "degradation_steps": 300, "degradation_seed": 0}),
    # Section 4.1: with BN the plain net's gradients are healthy; real vanishing needs BN off and a
    # saturating activation. Measured (bench/bench_probes.py): sigmoid, no BN, depth 56, plain nets
    # get about 1e-28 of the output side's gradient at the input, pre-activation residual nets ~0.1.
    Preset("gradients_no_bn", "gradients",
           {"gradients_mode": "init", "gradients_depth": 56, "gradients_block": "preact",
            "gradients_norm": False, "gradients_activation": "sigmoid", "gradients_init": "he"}),
    # The Inception 1x1 example: 28x28x192 -> 5x5 conv to 32, with a 16-channel 1x1 first.
    Preset("bottleneck_savings", "bottleneck",
           {"bottleneck_section": "calc", "bottleneck_size": 28, "bottleneck_cin": 192, "bottleneck_cout": 32,
            "bottleneck_k": 5, "bottleneck_mid": 16}),
    # ResNet-34's head (7x7x512, 1000 classes), and nets built for 32x32 fed a 64x64 image.
    Preset("gap_fc_any_size", "gap-fc",
           {"gap_fc_channels": 512, "gap_fc_spatial": 7, "gap_fc_classes": 1000, "gap_fc_test_size": 64}),
    # AlexNet's Figure 1 (ReLU trains about 6x faster than tanh), on the digits.
    Preset("alexnet_relu_tanh", "evidence", {"evidence_section": "alexnet", "evidence_alex_steps": 300}),
)


def available() -> list[Preset]:
    """The presets whose page exists now."""
    return [p for p in PRESETS if nav.exists(p.page)]


def get(code: str) -> Preset:
    for preset in PRESETS:
        if preset.code == code:
            return preset
    raise KeyError(f"no preset {code!r}")


def launch(code: str) -> None:
    """Queue the preset's values for its page and switch there (does not return)."""
    preset = get(code)
    st.session_state[_PENDING_KEY] = preset.code
    st.switch_page(nav.file_of(preset.page))


def apply(page: str) -> Preset | None:
    """Every page's first line. Pre-fills this page's widgets from a queued preset and returns
    it (so the page may say so), or None when no preset was queued for this page.

    It first makes sure the run came through the router (``nav.ensure_routed``), which is why
    even a page without presets (Home) calls it.
    """
    nav.ensure_routed()
    links.begin(page)   # settings from the address (ui/page/links.py); a preset below overrides them
    code = st.session_state.get(_PENDING_KEY)
    if code is None:
        return None
    preset = get(code)
    if preset.page != page:
        return None
    del st.session_state[_PENDING_KEY]
    for key, value in preset.values.items():
        st.session_state[key] = value
    st.toast(t("common.preset_applied", name=t(f"preset.{preset.code}")), icon=":material/school:")
    return preset
