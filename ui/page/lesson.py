"""Home's "A 45-minute lesson": an ordered path through the pages and the prediction questions,
with a talking point for the teacher at each step, large enough to read on a projector."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from ui.page import nav
from ui.page.i18n import t


@dataclass(frozen=True)
class Step:
    minutes: tuple[int, int]     # from, to (minutes into the lesson)
    page: str                    # url_path of the page to show
    question: str = ""           # a prediction question to put to the class first, if any


STEPS = (
    Step((0, 5), "home"),
    Step((5, 15), "degradation", "degradation"),
    Step((15, 20), "gradients", "gradient_ratio"),
    Step((20, 25), "shortcuts", "shortcut_a"),
    Step((25, 30), "bottleneck", "macs"),
    Step((30, 37), "lesion", "lesion"),
    Step((37, 42), "landscape", "landscape"),
    Step((42, 45), "evidence"),
)


def draw() -> None:
    """The lesson, one bordered row per step: the minutes, what to open, the talking point."""
    with st.expander(t("lesson.title"), icon=":material/school:", expanded=False):
        st.markdown(t("lesson.lead"))
        for i, step in enumerate(STEPS, start=1):
            with st.container(border=True):
                left, right = st.columns([1, 4])
                left.markdown(f"### {t('lesson.minutes', start=step.minutes[0], end=step.minutes[1])}")
                right.markdown(f"#### {i}. {t(f'page.{step.page}.title')}")
                right.markdown(f"<div style='font-size:1.2rem'>{t(f'lesson.step.{step.page}')}</div>",
                               unsafe_allow_html=True)
                links = right.container(horizontal=True)
                if step.question and nav.exists("predict"):
                    links.page_link(nav.file_of("predict"), label=t("lesson.ask"), icon=":material/how_to_vote:",
                                    query_params={"question": step.question})
                if step.page != "home" and nav.exists(step.page):
                    links.page_link(nav.file_of(step.page), label=t("lesson.open", page=t(f"page.{step.page}.title")),
                                    icon=nav.CATALOGUE[step.page])
