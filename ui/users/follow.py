"""The class hears the teacher without clicking: the pause banner at the top of every page, and
"follow the teacher" (the page, settings and runs on the teacher's projector).

One small fragment at the top of each page (``watch``) reruns every POLL_S seconds; it reads the
runner's pause and the class state's version (resnet_core.classroom), both in memory, and draws
the banner. Only when the version has moved and this browser follows the teacher does the whole
page run again. A server without a teacher key draws no fragment at all, so nothing polls.

The teacher's browser publishes what it shows after each run (``publish_view``): the page and its
settings (never the teacher's id or language), and the teacher's id in the server's memory only,
so a follower's page reads the teacher's latest runs (``lead``). Other features can publish their
own values the same way (see /work/notes/class-state.md).
"""

from __future__ import annotations

import streamlit as st

from resnet_core.classroom import class_state
from resnet_core.jobs.controls import NEW_CLASS

from ui.page import links, nav
from ui.page.i18n import t
from ui.server import shared
from ui.users import teacher_key
from ui.users.identity import LEAD, owner

# The banner shows within about this long of the teacher's click ("within a second or two"); each
# tick is one small script run per watching browser (bench_classroom.py --poll measures it).
POLL_S = 2.0
FOLLOW = "class_follow"            # the student's switch (a widget key, not a page setting)
_SEEN = "_class_seen_version"      # the class state's version this session last acted on
_APPLIED = "_class_applied_view"   # the teacher's view this session last followed
VIEW, RUNS = "teacher_view", "teacher_runs"   # and identity.LEAD, the teacher's owner id


def following() -> bool:
    return bool(st.session_state.get(FOLLOW)) and not teacher_key.is_teacher()


def lead() -> str | None:
    """The teacher's owner id while this browser follows the teacher (their runs are then the
    ones the page shows), else None. Never drawn: an id in view is an identity anyone can take."""
    return class_state().get(LEAD) if following() else None


def teacher_experiment(group: str) -> list[int] | None:
    """The run ids of the teacher's latest experiment of a page's `group` while this browser
    follows the teacher; None when it does not follow or the teacher has none."""
    teacher_id = lead()
    if teacher_id is None:
        return None
    queued = (class_state().get(RUNS) or {}).get(group)
    if queued:
        return list(queued)
    newest = shared.store().list_runs(owner=teacher_id, group=group, limit=1)
    if not newest:
        return None
    return sorted(r.id for r in shared.store().list_runs(group=group, experiment=newest[0].experiment, limit=100))


def follow_toggle() -> None:
    """The sidebar's "follow the teacher" switch, for students on a server with a teacher key."""
    if not teacher_key.configured_key() or teacher_key.is_teacher():
        return
    # persist_state: following takes the student to the teacher's page by st.switch_page, whose
    # rerun carries no widget values from the browser; Streamlit then drops every widget's value
    # at the page change (ScriptRunner: "Clear widget state on page change"), this switch's too,
    # so the new page's first run would not follow and would show the student's runs, not the
    # teacher's. A kept value survives the switch.
    if st.sidebar.toggle(t("lecture.follow"), key=FOLLOW, help=t("lecture.follow_help"),
                         persist_state="session"):
        st.sidebar.caption(t("lecture.following"))


def follow(current_page: str) -> None:
    """Before the page runs: a follower is taken to the teacher's page once per change of what
    the teacher shows (in between, the follower may look at other pages), and while on the
    teacher's page takes the teacher's settings on every run. Every run, not once: the
    student's browser, a moment behind, sends back the value its widget still shows (with the
    banner's next tick, or in the address), which would otherwise be taken as the student's own
    change, written to the address, and the teacher's newer setting lost."""
    links.hold({})
    if not following():
        return
    view = class_state().get(VIEW)
    if view is None:
        return
    settings = {name: value for name, value in view["params"] if name not in ("lang", "u", "n")}
    if view != st.session_state.get(_APPLIED):
        st.session_state[_APPLIED] = view
        if view["page"] != current_page and nav.exists(view["page"]):
            # The student's own language and id go along; the old page's settings do not.
            own = {k: v for k, v in st.query_params.to_dict().items() if k in ("lang", "u", "n")}
            st.switch_page(nav.file_of(view["page"]), query_params={**own, **settings})
    if view["page"] != current_page:
        return
    qp = st.query_params
    for name, value in settings.items():
        if qp.get(name) != value:
            qp[name] = value
    links.hold(settings)


def publish_view() -> None:
    """After the teacher's page has run: what the projector shows, for the followers."""
    if not teacher_key.configured_key() or not teacher_key.is_teacher():
        return
    
    page = st.session_state.get(links._PAGE, "") or "home"
    params = [[k, v] for k, v in links.share_params() if k != "lang"]
    state = class_state()
    state.publish(LEAD, owner())
    state.publish(VIEW, {"page": page, "params": params})


def published_runs(group: str, ids: list[int]) -> None:
    """The teacher queued runs: followers' pages show them at once."""
    if teacher_key.configured_key() and teacher_key.is_teacher():
        runs = dict(class_state().get(RUNS) or {})
        runs[group] = list(ids)
        class_state().publish(RUNS, runs)


def watch() -> None:
    """At the top of every page: the pause banner, kept current without a click."""
    if not teacher_key.configured_key():
        return
    st.session_state.setdefault(_SEEN, class_state().version)
    st.fragment(_banner, run_every=POLL_S)()


def pause_text(message: str) -> str:
    """Why new runs are refused: the teacher's pause with their message, or the queue's own
    pause while a new class starts (said in the reader's language, not as the teacher's words)."""
    if message == NEW_CLASS:
        return t("runs.paused_new_class")
    return t("runs.paused_with", msg=message) if message else t("runs.paused")


def _banner() -> None:
    paused = shared.runner().paused
    if paused is not None and not teacher_key.is_teacher():
        st.info(pause_text(paused), icon=":material/pause_circle:")
    version = class_state().version
    if version != st.session_state.get(_SEEN):
        st.session_state[_SEEN] = version
        if following():
            st.rerun(scope="app")
