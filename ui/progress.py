"""Runs in progress, drawn while they train: a fragment that redraws part of a page while its
runs are queued or running, a progress bar per run, and Stop buttons for the user's own runs.

    from ui import progress

    progress.live_runs(ids, draw)            # draw(views) redraws ~1x a second while a run trains
    progress.progress_rows(views, "build")   # in draw: a bar per run, the owner's Stop buttons

Only the fragment reruns on each tick, so the page's controls stay responsive; with no run
queued or running, nothing polls.
"""

from __future__ import annotations

import threading
from typing import Callable, Sequence

import streamlit as st

from resnet_core.store.runs import RunInfo, RunNotFound

from .errors import guard
from .i18n import t
from .identity import owner
from .runs import ACTIVE, MAX_POINTS, RunView, cancel, read, store
from .terms import net_label

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


def stop_buttons(infos: Sequence[RunInfo], prefix: str) -> None:
    """A Stop button for each of this user's queued or running runs (others' runs get none)."""
    me = owner()
    mine = [i for i in infos if i.status in ACTIVE and i.owner == me]   # only the owner stops a run
    if not mine:
        return
    cols = st.columns(min(len(mine), 4))
    for n, info in enumerate(mine):
        if cols[n % len(cols)].button(f"{t('runs.stop')} · {info.label}", key=f"{prefix}_stop_{info.id}",
                                      icon=":material/stop:"):
            if cancel(info.id):
                st.toast(t("runs.stopping", label=info.label))


def live_runs(run_ids: Sequence[int], draw: Callable[[list[RunView]], None], *, stop_prefix: str = "",
              interval: float = POLL_SECONDS, max_points: int = MAX_POINTS) -> None:
    """Draw `draw(views)` now and, while any of the runs trains, again every `interval` seconds
    in an ``st.fragment``: only this part of the page reruns, so the controls stay responsive.
    Runs that only wait in the queue are looked at every few seconds. When the phase changes (a
    queued run starts, the last run ends) or one of this user's runs ends, one full rerun redraws
    the page and picks the new pace; with no live run left, nothing polls.

    With `stop_prefix`, the owner's Stop buttons stand above the fragment, not in it: a button
    redrawn every tick can be replaced under the pointer, and on a busy server a click on it
    was lost."""
    ids = tuple(int(i) for i in run_ids)
    infos = _infos(ids)
    phase = _phase(info.status for info in infos)
    every = {"running": interval, "queued": max(interval, QUEUED_POLL_SECONDS)}.get(phase)
    me = owner()
    stoppable = {info.id for info in infos if info.status in ACTIVE and info.owner == me}
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
        still = {v.id for v in views if v.active and v.info.owner == me}
        if _phase(v.info.status for v in views) != phase or (stop_prefix and still != stoppable):
            st.rerun()

    st.fragment(body, run_every=every)()


def status_text(view: RunView) -> str:
    info = view.info
    if info.status == "queued":
        return t("runs.status.queued_at", n=view.position) if view.position else t("runs.status.queued")
    if info.status == "running":
        return t("runs.status.running_at", done=info.steps_done, total=info.total_steps or info.train_cfg.steps)
    return t(f"runs.status.{info.status}")


def progress_rows(views: Sequence[RunView], prefix: str, *, stop: bool = True) -> None:
    """Every run's progress in one element, then a Stop button for each of this user's runs
    that is queued or running (other people's runs have none). A class re-sends this every tick:
    one message for all runs, not a row of four elements per run."""
    st.markdown(progress_html(views), unsafe_allow_html=True)
    me = owner()
    stop = stop and not getattr(_LIVE, "stops_outside", False)   # live_runs drew them above
    mine = [v for v in views if stop and v.active and v.info.owner == me]   # only the owner stops a run
    if mine:
        cols = st.columns(min(len(mine), 4))
        for i, view in enumerate(mine):
            name = net_label(view.info.label)    # as the charts name it, in the reader's language
            if cols[i % len(cols)].button(f"{t('runs.stop')} · {name}", key=f"{prefix}_stop_{view.id}",
                                          icon=":material/stop:"):
                cancel(view.id)
                st.toast(t("runs.stopping", label=name))
    for view in views:
        if view.info.status in ("failed", "diverged") and view.info.error:
            from .errors import reason_text  # the stored English reason, in the reader's language
            st.caption(t(f"runs.why.{view.info.status}", msg=reason_text(view.info.error)))


_BAR = ('<div class="rx-run" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="{pct:.0f}" '
        'aria-label="{label}" style="margin:0 0 .55rem 0">'
        '<div style="font-size:.92rem;margin-bottom:.15rem"><b>{label}</b> — {status}</div>'
        '<div style="background:#E3E8EF;border-radius:5px;height:8px;overflow:hidden">'
        '<div style="width:{pct:.1f}%;background:{color};height:8px"></div></div></div>')


def progress_html(views: Sequence[RunView]) -> str:
    """One progress bar per run (label, status, share done), as HTML; labels are escaped."""
    from html import escape

    from .style import PLAIN, RESIDUAL

    return "".join(_BAR.format(pct=100 * v.progress, label=escape(net_label(v.info.label)), status=escape(status_text(v)),
                               color=RESIDUAL if v.info.model_cfg.residual else PLAIN) for v in views)
