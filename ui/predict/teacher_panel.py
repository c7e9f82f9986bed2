"""The teacher's panel on Predict, then observe: open a question for the class, watch the tally
(counts and bars, never names), close the vote, run it, reveal it, end it; every vote as CSV.
Each button's action is checked again on the server (ui/predict/rounds.py)."""

from __future__ import annotations

import streamlit as st

from resnet_core.predict.bank import QUESTIONS, get

from ui.page.i18n import label_of, t
from ui.predict import rounds, view
from ui.training import progress

TALLY_SECONDS = 1.0     # the live tally reaches the teacher's screen within about a second


def panel(r) -> None:
    st.subheader(t("predict.teacher.title"))
    st.caption(t("predict.teacher.help"))
    c1, c2 = st.columns([3, 1])
    asked = st.query_params.get("question")   # the lesson's "Put the question to the class" link
    qid = c1.selectbox(t("predict.question"), list(QUESTIONS),
                       format_func=label_of("predict.topic"),
                       index=list(QUESTIONS).index(asked) if asked in QUESTIONS else 0,
                       key="predict_teacher_question")
    c1.caption(t(f"predict.q.{qid}"))   # the whole question, before the class sees it
    c2.write("")
    c2.button(t("predict.teacher.open"), key="predict_teacher_open", on_click=rounds.open_question, args=(qid,),
              type="primary", icon=":material/how_to_vote:", width="stretch")
    if r is None:
        return
    q = get(r.question)
    st.markdown(f"**{t('predict.teacher.state', id=r.id, state=t(f'predict.state.{r.state}'))}** — "
                f"{t(f'predict.q.{q.id}')}")
    b = st.columns(4)
    b[0].button(t("predict.teacher.close"), key="predict_teacher_close", on_click=rounds.set_state, args=(r.id, "closed"),
                disabled=r.state != "open", width="stretch")
    # Run again once a measurement ended without a result (failed, stopped): the reveal's refusal
    # says "run it", and a button left disabled would leave the round with nothing to reveal.
    status, result = rounds.result_of(r.result_run)
    b[1].button(t("predict.run"), key="predict_teacher_run", on_click=rounds.run_round, args=(r.id,),
                disabled=status in ("queued", "running") or result is not None, icon=":material/play_arrow:",
                width="stretch")
    b[2].button(t("predict.teacher.reveal"), key="predict_teacher_reveal", on_click=rounds.set_state,
                args=(r.id, "revealed"), disabled=r.state == "revealed", type="primary", width="stretch")
    b[3].button(t("predict.teacher.end"), key="predict_teacher_end", on_click=rounds.set_state, args=(r.id, "ended"),
                width="stretch")
    live_tally(r.id, q)
    if r.result_run is not None:
        progress.live_runs([r.result_run], lambda views: draw_result(r, q, views))
    st.download_button(t("predict.teacher.export"), rounds.votes().export_csv, file_name="votes.csv", mime="text/csv",
                       key="predict_teacher_csv", on_click="ignore", icon=":material/download:")


def live_tally(round_id: int, q) -> None:
    """Counts and bars, redrawn every second in a fragment (only the teacher's page polls this)."""
    def body() -> None:
        counts = rounds.tally(round_id)
        st.markdown(f"**{t('predict.tally', n=sum(counts.values()))}**")
        st.markdown(view.tally_chart(q, counts), unsafe_allow_html=True)

    st.fragment(body, run_every=TALLY_SECONDS)()


def draw_result(r, q, views) -> None:
    status, result = rounds.result_of(views[0].id) if views else ("", None)
    if result is None:
        progress.progress_rows(views, "predict", stop=False)
        return
    view.outcome(q, result, None, rounds.tally(r.id))
