"""The teacher's box at the foot of the sidebar: the key, and once it is unlocked, the controls:
pause new runs with a message to the class, stop any run, clear the queue, the training
cluster's state (ui/training/cluster.py), the projector view, the checkpoint folder and a fresh
class store. Whether a session holds the key is ui/users/teacher_key.py's to say.
"""

from __future__ import annotations

import logging

import streamlit as st

from resnet_core.jobs.runner import JobRunner
from ui.classroom import checkpoints, projector
from ui.page.i18n import t
from ui.server import shared
from ui.training import cluster, progress
from ui.users import identity, teacher_key

_MSG = "_teacher_feedback"
_INPUT = "teacher_key_input"
log = logging.getLogger(__name__)
_DONE = "_teacher_done"


def _say(text: str, kind: str = "success") -> None:
    st.session_state[_DONE] = (kind, text)


def _pause(r: JobRunner) -> None:
    text = str(st.session_state.get("teacher_pause_msg", ""))
    r.pause(" ".join("".join(ch for ch in text if ch.isprintable()).split())[:200])
    _say(t("teacher.paused_now"))


def _resume(r: JobRunner) -> None:
    r.resume()
    _say(t("teacher.resumed"))


def _clear(r: JobRunner) -> None:
    _say(t("teacher.cleared", n=r.clear_queue()))


def _stop(r: JobRunner) -> None:
    run_id = st.session_state.get("teacher_stop_pick")
    if run_id is None:
        return
    if r.cancel(int(run_id)):   # no owner: the teacher may stop any run
        _say(t("teacher.stopped", id=run_id))
    else:   # it ended between the list being drawn and the click: say so, not nothing
        _say(t("teacher.already_ended", id=run_id), "info")


def _fresh(r: JobRunner) -> None:
    if not st.session_state.get("teacher_fresh_sure"):
        return
    try:
        archive = r.fresh_store()
    except Exception:   # a full disk, a locked file: said on the page, the details in the log
        log.exception("could not start a fresh class store")
        _say(t("teacher.fresh_failed"))
        return
    st.session_state["teacher_fresh_sure"] = False
    st.cache_data.clear()   # reads and "student N" numbers of the old class
    _say(t("teacher.fresh_done", name=archive.name))


def _controls(r: JobRunner) -> None:
    done = st.session_state.pop(_DONE, None)
    if done:
        kind, text = done
        (st.info if kind == "info" else st.success)(text)
    projector.switch()
    if r.paused is None:
        st.text_input(t("teacher.pause_msg"), key="teacher_pause_msg", max_chars=200,
                      placeholder=t("teacher.pause_placeholder"))
        st.button(t("teacher.pause"), key="teacher_pause", icon=":material/pause:", on_click=_pause, args=(r,))
    else:
        st.info(t("teacher.is_paused", msg=r.paused or "–"))
        st.button(t("teacher.resume"), key="teacher_resume", icon=":material/play_arrow:", on_click=_resume,
                  args=(r,))

    active = [i for status in ("running", "queued") for i in shared.store().list_runs(status=status, limit=200)]
    if active:
        labels = {i.id: f"#{i.id} {progress.run_name(i)} · {identity.who(i)} · {progress.status_word(i)}"
                  for i in active}
        st.selectbox(t("teacher.stop_pick"), list(labels), format_func=labels.get, key="teacher_stop_pick")
        st.button(t("teacher.stop"), key="teacher_stop", icon=":material/stop:", on_click=_stop, args=(r,))
    else:
        st.caption(t("teacher.none_active"))
    waiting = r.queue_length()
    st.button(t("teacher.clear", n=waiting), key="teacher_clear", icon=":material/clear_all:",
              disabled=not waiting, on_click=_clear, args=(r,))

    cluster.teacher()   # only when runs train on a Ray cluster

    st.divider()
    st.checkbox(t("teacher.fresh_sure"), key="teacher_fresh_sure")
    st.button(t("teacher.fresh"), key="teacher_fresh", icon=":material/restart_alt:",
              disabled=not st.session_state.get("teacher_fresh_sure"), on_click=_fresh, args=(r,),
              help=t("teacher.fresh_help"))

    st.divider()
    checkpoints.draw()


def _on_submit() -> None:
    given = st.session_state.get(_INPUT, "")
    st.session_state[_INPUT] = ""          # the key does not stay in the widget
    outcome = teacher_key.check_key(given) if given else "empty"
    if outcome == "wait":
        left = max(1, round(teacher_key.locked_for()))
        st.session_state[_MSG] = ("warning", t("teacher.wait", n=left))
    elif outcome == "wrong":
        st.session_state[_MSG] = ("error", t("teacher.wrong"))
    elif outcome == "ok":
        st.session_state[_MSG] = ("success", t("teacher.unlocked"))
    else:
        st.session_state.pop(_MSG, None)


def _feedback(box) -> None:
    kind, text = st.session_state.pop(_MSG, (None, None))
    if kind:
        getattr(box, kind)(text)


def sidebar() -> None:
    """The teacher's box at the foot of the sidebar (students see a pause at the top of the
    page: ui/users/follow.py)."""
    if not teacher_key.configured_key():
        return
    r = shared.runner()
    teacher = teacher_key.is_teacher()
    with st.sidebar.expander(t("teacher.title"), icon=":material/school:", expanded=False):
        if not teacher:
            with st.form("teacher_unlock", clear_on_submit=False, border=False):
                st.text_input(t("teacher.key"), type="password", key=_INPUT, autocomplete="off")
                st.form_submit_button(t("teacher.unlock"), on_click=_on_submit)
            _feedback(st)
            return
        _feedback(st)
        _controls(r)
