"""Predict, then observe: commit to a prediction, let the server run or count what decides it,
then see who was right. Alone, a student predicts, runs and compares; in class, the teacher opens
a question for everyone, closes the vote, runs it and reveals the outcome."""

import streamlit as st

from resnet_core.predict.bank import QUESTIONS, get
from ui import guard, keep, label_of, t
from ui.page import presets
from ui.predict import rounds, view
from ui.training import progress
from ui.users import teacher_key

presets.apply("predict")
st.title(t("page.predict.title"))
st.markdown(t("predict.lead"))


def alone() -> None:
    """Pick a question, predict, run it, compare."""
    # Each question by its topic: a whole question does not fit a phone's select, and it is the
    # heading right below.
    qid = st.selectbox(t("predict.question"), list(QUESTIONS), format_func=label_of("predict.topic"),
                       **keep("predict_question"))
    q = get(qid)
    view.question(q, stored=rounds.stored_finished(q) if q.trained else None)
    mine = rounds.my_vote(rounds.ALONE, q.id)
    view.options(q, mine, lambda option: rounds.cast(rounds.ALONE, q.id, option), key=f"predict_alone_{q.id}")
    key = f"_predict_run_{q.id}"
    if st.button(t("predict.run"), key="predict_run", type="primary", disabled=mine is None,
                 icon=":material/play_arrow:", help=None if mine else t("predict.run_first")):
        st.session_state[key] = rounds.start(q)
    run_id = st.session_state.get(key)
    if run_id is not None:
        progress.live_runs([run_id], lambda views: draw_alone(q, views))


def draw_alone(q, views) -> None:
    status, result = rounds.result_of(views[0].id) if views else ("", None)
    if result is None:
        progress.progress_rows(views, "predict", stop=False)
        return
    view.outcome(q, result, rounds.my_vote(rounds.ALONE, q.id))


def student(r) -> None:
    """In class: the question the teacher opened, the vote while it is open, the outcome once revealed."""
    q = get(r.question)
    st.info(t(f"predict.class.{r.state}"), icon=":material/school:")
    # The teacher's Run reuses a finished measurement of this setup, as a student's own press does.
    view.question(q, stored=rounds.stored_finished(q) if q.trained else None, in_class=True)
    mine = rounds.my_vote(r.id, q.id)
    view.options(q, mine, lambda option: rounds.cast(r.id, q.id, option), key=f"predict_class_{r.id}",
                 disabled=r.state != "open")
    if r.state == "revealed":
        status, result = rounds.result_of(r.result_run)
        if result is not None:
            view.outcome(q, result, mine, rounds.tally(r.id))


def teacher_panel(r) -> None:
    from ui.predict import teacher_panel

    teacher_panel.panel(r)


with guard():
    rounds.feedback()
    current = rounds.class_round()
    if teacher_key.is_teacher():
        teacher_panel(current)
    elif current is not None:
        student(current)
    else:
        alone()
    if not teacher_key.is_teacher():
        rounds.watch(current)
