"""Runs in progress, drawn while they train: a fragment that redraws part of a page while its
runs are queued or running, a progress bar per run, and Stop buttons for the user's own runs.

    from ui.training import progress

    progress.live_runs(ids, draw)            # draw(views) redraws ~1x a second while a run trains
    progress.progress_rows(views, "build")   # in draw: a bar per run, the owner's Stop buttons

Only the fragment reruns on each tick, so the page's controls stay responsive; with no run
queued or running, nothing polls.
"""

from __future__ import annotations

import threading
from html import escape
from typing import Callable, Sequence

import streamlit as st

from resnet_core.store.groups import PREDICT
from resnet_core.store.runs import RunInfo, RunNotFound

from ui.draw.style import PLAIN, RESIDUAL
from ui.page.errors import guard, reason_text
from ui.page.i18n import t
from ui.page.terms import net_label
from ui.server.shared import store
from ui.training.page_runs import ACTIVE, MAX_POINTS, RunView, cancel, read
from ui.users.identity import owner, who

POLL_SECONDS = 1.0      # live charts refresh about once a second while a run trains: each tick
                        # is a rerun per watching browser, so a class of 60 costs 60 reruns a second
QUEUED_POLL_SECONDS = 3.0   # runs only waiting in the queue: nothing to redraw, look less often


def _phase(statuses) -> str | None:
    """"running" if any run trains, "queued" if some only wait, None when all have ended."""
    statuses = set(statuses)
    if "running" in statuses:
        return "running"
    return "queued" if "queued" in statuses else None


def any_active(run_ids: Sequence[int]) -> bool:
    return _phase_of(run_ids) is not None


def busy_text(run_ids: Sequence[int]) -> str:
    """Why a start button is greyed out while `run_ids` have not ended: this user may stop their
    own runs, but not one someone else started that serves their request (jobs/sharing)."""
    me = owner()
    others = any(i.status in ACTIVE and i.owner != me for i in _infos(run_ids))
    return t("runs.busy_others" if others else "runs.busy")


def _infos(run_ids: Sequence[int]) -> list[RunInfo]:
    s, found = store(), []
    for rid in run_ids:
        try:
            found.append(s.get_run(rid))
        except RunNotFound:
            continue
    return found


def _phase_of(run_ids: Sequence[int]) -> str | None:
    return _phase(info.status for info in _infos(run_ids))


# Set while a live fragment draws: its Stop buttons are drawn outside the fragment instead.
_LIVE = threading.local()


_STOPPED = "_runs_stopped"   # runs this session asked to stop: their buttons go at once


def _stoppable(infos: Sequence[RunInfo]) -> list[RunInfo]:
    """This user's queued or running runs that this session has not already asked to stop
    (only the owner stops a run)."""
    me, asked = owner(), st.session_state.get(_STOPPED, ())
    return [i for i in infos if i.status in ACTIVE and i.owner == me and i.id not in asked]


def _stop(run_id: int, label: str) -> None:
    # A callback: it runs before the page, so the page is drawn without the button just pressed.
    if cancel(run_id):
        st.session_state.setdefault(_STOPPED, set()).add(run_id)
        st.toast(t("runs.stopping", label=label))
    elif _phase_of([run_id]) is None:   # a button left from before the run ended
        st.toast(t("runs.already_ended", label=label))


# The analysis tasks that have a run row: a prediction (its group), and the studies, whose group
# is "<task>-<digest of its settings>" (ui/training/twins.py).
STUDIES = ("lesion", "landscape")


def task_of(info: RunInfo) -> str:
    """The analysis task a run row stands for ("predict", "lesion", "landscape"); "" for a net
    that trains."""
    if info.group == PREDICT:
        return "predict"
    name = info.group.rpartition("-")[0]
    return name if name in STUDIES else ""


def run_name(info: RunInfo) -> str:
    """A run's name in the reader's language: the net's, or a task's from this language's catalog
    (the label a task stored is in the language of whoever started it)."""
    task = task_of(info)
    if task == "predict":
        return t("predict.measuring")
    return t(f"twins.task.{task}") if task else net_label(info.label)


def status_word(info: RunInfo) -> str:
    """A run's status for a one-line list: a task at work measures, it does not train."""
    if info.status == "running" and task_of(info):
        return t("runs.status.measuring")
    return t(f"runs.status.{info.status}")


def stop_buttons(infos: Sequence[RunInfo], prefix: str) -> None:
    """A Stop button for each of this user's queued or running runs (others' runs get none)."""
    mine = _stoppable(infos)
    if not mine:
        return
    cols = st.columns(min(len(mine), 4))
    for n, info in enumerate(mine):
        name = run_name(info)    # as the charts name it, in the reader's language
        cols[n % len(cols)].button(f"{t('runs.stop')} · {name}", key=f"{prefix}_stop_{info.id}",
                                   icon=":material/stop:", on_click=_stop, args=(info.id, name))


def redraw_page(phase: str | None, now: str | None, stoppable: set[int], still: set[int]) -> bool:
    """Whether a live fragment asks for a full rerun: the phase changed, or every run this user
    could stop has ended. One run ending while others of theirs go on is not enough: its Stop button
    stays until then (a click on it says the run has ended). A class that opened the teacher's link
    shares the teacher's runs, and a full rerun in every one of those tabs at the same moment held
    all viewers back for one to three seconds (bench/bench_classroom.py)."""
    return now != phase or bool(stoppable and not still)


def live_runs(run_ids: Sequence[int], draw: Callable[[list[RunView]], None], *, stop_prefix: str = "",
              interval: float = POLL_SECONDS, max_points: int = MAX_POINTS) -> None:
    """Draw `draw(views)` now and, while any of the runs trains, again every `interval` seconds
    in an ``st.fragment``: only this part of the page reruns, so the controls stay responsive.
    Runs that only wait in the queue are looked at every few seconds. When the phase changes (a
    queued run starts, the last run ends) or the last of this user's Stop buttons goes stale, one
    full rerun redraws the page and picks the new pace; with no live run left, nothing polls.

    With `stop_prefix`, the owner's Stop buttons stand above the fragment, not in it: a button
    redrawn every tick can be replaced under the pointer, and on a busy server a click on it
    was lost."""
    ids = tuple(int(i) for i in run_ids)
    infos = _infos(ids)
    phase = _phase(info.status for info in infos)
    every = {"running": interval, "queued": max(interval, QUEUED_POLL_SECONDS)}.get(phase)
    stoppable = {info.id for info in _stoppable(infos)}
    if stop_prefix:
        stop_buttons(infos, stop_prefix)

    def body() -> None:
        # While polling, a half-second-old shared read is fine; the final draw reads afresh.
        views = read(ids, max_points, fresh=phase is None)
        _LIVE.stops_outside = bool(stop_prefix)
        try:
            with guard():   # a fragment's rerun runs outside the page's own guard()
                draw(views)
        finally:
            _LIVE.stops_outside = False
        if phase is None:
            return
        if getattr(_LIVE, "in_page_run", False):
            # Drawn by the page's own run, which has just read the phase: a second full run now
            # would only draw it again, and drop what this run shows once (a Stop click's toast).
            # The fragment's next tick looks again.
            return
        still = {info.id for info in _stoppable([v.info for v in views])}
        if redraw_page(phase, _phase(v.info.status for v in views), stoppable if stop_prefix else set(), still):
            st.rerun()

    _LIVE.in_page_run = True
    try:
        st.fragment(body, run_every=every)()
    finally:
        _LIVE.in_page_run = False


def status_text(view: RunView) -> str:
    info = view.info
    if info.status == "queued":
        return t("runs.status.queued_at", n=view.position) if view.position else t("runs.status.queued")
    if task_of(info) and info.status in ("running", "interrupted"):
        # A task counts its parts, not training steps: a prediction each net trained, then the
        # measuring ("step 1 of 2" would contradict the question's "300 training steps"); a lesion or
        # landscape study each evaluation. A study trains nothing and keeps no curves to speak of.
        if info.status == "running":
            return (t("predict.progress", done=info.steps_done, total=info.total_steps) if info.total_steps
                    else t("predict.progress_start"))
        return t("runs.status.interrupted")
    if info.status == "running":
        return t("runs.status.running_at", done=info.steps_done, total=info.total_steps or info.train_cfg.steps)
    if info.status == "interrupted" and info.steps_done:   # it had begun: say where it stopped
        return t("ops.interrupted_at", done=info.steps_done, total=info.total_steps or info.train_cfg.steps)
    return t(f"runs.status.{info.status}")


def progress_rows(views: Sequence[RunView], prefix: str, *, stop: bool = True) -> None:
    """Every run's progress in one element, then a Stop button for each of this user's runs
    that is queued or running (other people's runs have none). A class re-sends this every tick:
    one message for all runs, not a row of four elements per run."""
    st.markdown(progress_html(views), unsafe_allow_html=True)
    if stop and not getattr(_LIVE, "stops_outside", False):   # else live_runs drew them above
        stop_buttons([v.info for v in views], prefix)
    for view in views:
        if view.info.status in ("failed", "diverged") and view.info.error:
            # the stored reason, in the reader's language (by its code)
            info = view.info
            st.caption(t(f"runs.why.{info.status}", msg=reason_text(info.error, info.error_code, info.error_values)))


_BAR = ('<div class="rx-run" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="{pct:.0f}" '
        'aria-label="{label}" style="margin:0 0 .55rem 0">'
        '<div style="font-size:.92rem;margin-bottom:.15rem"><b>{label}</b> — {status}</div>'
        '<div style="background:#E3E8EF;border-radius:5px;height:8px;overflow:hidden">'
        '<div style="width:{pct:.1f}%;background:{color};height:8px"></div></div></div>')


def progress_html(views: Sequence[RunView]) -> str:
    """One progress bar per run (label, status, share done), as HTML; labels are escaped."""
    return "".join(_BAR.format(pct=100 * v.progress, label=escape(run_name(v.info)),
                               status=escape(status_text(v) + _whose(v.info)),
                               color=RESIDUAL if v.info.model_cfg.residual else PLAIN) for v in views)


def _whose(info) -> str:
    """" · started by Ana" on a run this user did not start: another's, or one that served this
    user's equal request (resnet_core.jobs.sharing)."""
    return "" if not info.owner or info.owner == owner() else " · " + t("lecture.started_by", who=who(info))
