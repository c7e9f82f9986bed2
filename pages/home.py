"""Home: residual learning in one screen, where to go next, and one-click classroom presets."""

import streamlit as st

from ui import guard, keep, label_of, t
from ui.draw import diagrams
from ui.page import lesson, nav, presets
from ui.page import figures
from ui.page.i18n import words

presets.apply("home")
st.title(t("home.title"))
st.markdown(t("home.lead"))

with guard():
    controls = st.container(horizontal=True, vertical_alignment="bottom", gap="large")
    view = controls.segmented_control(t("home.view"), ["both", "plain", "residual"], default="both",
                                      required=True, format_func=label_of("home.view"), **keep("home_view"))
    show_grad = controls.toggle(t("home.show_grad"), **keep("home_show_grad"))
    # Full width: the two blocks need about 650 pixels side by side, even on a 1024-wide projector;
    # SVG, not a chart, so the landing page needs no chart library (ui/draw/diagrams.py).
    # On a phone the two blocks stand one above the other, at a size their text can be read.
    view = view or "both"
    said = words(diagrams.WORDS)
    figures.show(diagrams.block_diagram(said, view, show_grad),
                 [diagrams.block_diagram(said, kind, show_grad) for kind in ("plain", "residual")] if view == "both" else [])
    left, right = st.columns(2, gap="large")
    with left:
        st.latex(r"H(x) = F(x) + x")
        st.markdown(t("home.identity"))
        if show_grad:
            # The clean 1 + dF/dx is the pre-activation block's (He et al. 2016); the 2015 block
            # drawn above has a ReLU after the sum, as home.grad.text says.
            st.caption(t("home.grad.formula"))
            st.latex(r"\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}"
                     r"\left(1 + \frac{\partial F}{\partial x}\right)")
            st.markdown(t("home.grad.text"))
    with right:
        st.subheader(t("home.degradation.title"))
        st.markdown(t("home.degradation.text"))

    lesson.draw()   # "A 45-minute lesson": the path through the pages and questions, for the teacher

    ready = presets.available()
    if ready:
        st.header(t("home.presets.title"))
        st.caption(t("home.presets.help"))
        # Two per row: a preset's title is a sentence, and four in a row cut it short.
        for start in range(0, len(ready), 2):
            for column, preset in zip(st.columns(2), ready[start:start + 2]):
                if column.button(t(f"preset.{preset.code}"), key=f"home_preset_{preset.code}",
                                 icon=nav.CATALOGUE[preset.page], width="stretch"):
                    presets.launch(preset.code)

    st.header(t("home.pages.title"))
    others = [code for code in nav.CATALOGUE if code != "home"]
    for start in range(0, len(others), 3):
        for column, code in zip(st.columns(3), others[start:start + 3]):
            with column.container(border=True, height="stretch"):
                st.markdown(f"**{t(f'page.{code}.title')}**")
                st.markdown(t(f"page.{code}.blurb"))
                if nav.exists(code):
                    st.page_link(nav.file_of(code), label=t("common.open"), icon=nav.CATALOGUE[code])
                else:
                    st.caption(t("common.soon"))
