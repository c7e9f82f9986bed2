"""The class side of Predict, then observe: the class's current round, read once for the whole
server; the teacher's open / close / run / reveal, checked on the server; votes; the watch that
brings a newly opened question to every student's page.

A watching browser costs the server almost nothing: its fragment reads the round from a copy
shared by every session (refreshed at most every STATE_TTL seconds: one SQLite read for the whole
class) and draws nothing; only when the round or its state changes does the page rerun in full.
"""

from __future__ import annotations

import threading
import time

import streamlit as st

from resnet_core.predict.bank import Question, get
from resnet_core.predict.votes import ALONE, Round, Votes, VotingClosed
from resnet_core.store.groups import PREDICT

from ui.page.i18n import t
from ui.server import shared
from ui.training import page_runs
from ui.users import teacher_key
from ui.users.identity import display_name, owner

STATE_TTL = 0.3          # seconds a read of the class's round serves every session
WATCH_SECONDS = 1.0      # a student's page looks for a newly opened question this often
_MSG = "_predict_message"
_cache: dict = {"at": -1.0, "round": None, "db": ""}
_cache_lock = threading.Lock()


def votes() -> Votes:
    return Votes(shared.store())


def class_round() -> Round | None:
    """The class's current round (None: everyone works alone), as of at most STATE_TTL ago."""
    if not teacher_key.configured_key():
        return None
    db = str(shared.store().path)
    with _cache_lock:
        now = time.monotonic()
        if now - _cache["at"] > STATE_TTL or _cache["db"] != db:
            _cache.update(at=now, round=votes().current(), db=db)
        return _cache["round"]


def _changed() -> None:
    with _cache_lock:
        _cache["at"] = -1.0


def watch(seen: Round | None) -> None:
    """A student's page reruns when the teacher opens, closes, reveals or ends a round."""
    if not teacher_key.configured_key():
        return
    mark = (seen.id, seen.state) if seen else None

    def body() -> None:
        r = class_round()
        if ((r.id, r.state) if r else None) != mark:
            st.rerun()

    st.fragment(body, run_every=WATCH_SECONDS)()


# --- votes ---------------------------------------------------------------------------------------

def cast(round_id: int, question: str, option: str) -> None:
    """A vote button's callback: record or change this owner's vote."""
    try:
        votes().vote(round_id, question, owner(), option, name=display_name())
    except VotingClosed:
        # Closed between the page's draw and the click: "your vote was not changed" only to a
        # student who has a vote to keep.
        kept = my_vote(round_id, question) is not None
        st.session_state[_MSG] = ("warning", t("predict.vote_closed" if kept else "predict.vote_closed_none"))


def my_vote(round_id: int, question: str) -> str | None:
    return votes().my_vote(round_id, question, owner())


def feedback() -> None:
    kind, text = st.session_state.pop(_MSG, (None, None))
    if kind:
        getattr(st, kind)(text)


# --- running a question ----------------------------------------------------------------------------

def start(q: Question) -> int | None:
    """The task that decides `q`: a stored one with the same setup (finished, or still on its way),
    else a new one in the job queue. None after the page has said why not (queue full, paused)."""
    found = votes().stored_result(q.id, q.setup)
    if found is not None:
        # A task still queued or running is no result yet: say it is followed, not reused.
        st.toast(t("predict.reused" if found[1] == "finished" else "predict.joined", id=found[0]),
                 icon=":material/history:")
        return found[0]
    ids = page_runs.submit_task("predict", {"question": q.id, "setup": q.setup, "device": "auto"},
                           label=t("predict.measuring"), group=PREDICT)
    return ids[0] if ids else None


def stored_finished(q: Question) -> int | None:
    """The finished task a press on `q` would reuse (start), or None when it would queue or follow one."""
    found = votes().stored_result(q.id, q.setup)
    return found[0] if found is not None and found[1] == "finished" else None


def result_of(run_id: int | None) -> tuple[str, dict | None]:
    """(status, result) of a prediction task; ("", None) when there is none."""
    if run_id is None:
        return "", None
    try:
        info = shared.store().get_run(run_id)
    except LookupError:
        return "", None
    return info.status, shared.store().result(run_id) if info.status == "finished" else None


# --- the teacher's actions: each checked here, on the server, whatever the page showed ------------

def _teacher_only() -> bool:
    if teacher_key.is_teacher():
        return True
    st.session_state[_MSG] = ("error", t("predict.teacher.only"))
    return False


def open_question(question: str) -> int | None:
    if not _teacher_only():
        return None
    get(question)
    rid = votes().open_round(question)
    _changed()
    return rid


def set_state(round_id: int, state: str) -> bool:
    """close, reveal or end; a reveal needs the measurement first."""
    if not _teacher_only():
        return False
    if state == "revealed":
        r = votes().get_round(round_id)
        if r is None or result_of(r.result_run)[1] is None:
            st.session_state[_MSG] = ("warning", t("predict.teacher.need_result"))
            return False
    votes().set_state(round_id, state)
    _changed()
    return True


def run_round(round_id: int) -> int | None:
    """Run (or reuse) the round's measurement and attach it to the round."""
    if not _teacher_only():
        return None
    r = votes().get_round(round_id)
    run_id = start(get(r.question)) if r else None
    if run_id is not None:
        votes().attach_result(round_id, run_id)
        _changed()
    return run_id


def tally(round_id: int) -> dict[str, int]:
    return votes().tally(round_id)


__all__ = ["ALONE", "cast", "class_round", "feedback", "my_vote", "open_question", "result_of", "run_round",
           "set_state", "start", "stored_finished", "tally", "votes", "watch"]
