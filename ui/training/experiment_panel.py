"""One experiment panel for the pages that train a few nets side by side: a start button that
queues the page's runs as one experiment (Shortcuts, BatchNorm, GAP vs FC, Evidence), and their
loss and held-out accuracy drawn live (Shortcuts, BatchNorm).

A page passes its own name and its store group (resnet_core.training.experiments); widget keys
("<page>_train"), texts ("<page>.train.start") and the session key of the latest experiment
("<page>_run_ids") follow from the name. The runs queued by one click are one experiment in the
store (they share its id), so a reload, or the CLI's run of the same experiment for this user,
finds them again.
"""

from __future__ import annotations

from typing import Callable

import streamlit as st

from ui.page.i18n import t
from ui.training import live_charts, page_runs, progress

NO_BAR = {"displayModeBar": False}


def run_ids_key(page: str, name: str = "train") -> str:
    """Session key (not a widget) holding this user's latest experiment `name` of `page`."""
    return f"{page}_run_ids" if name == "train" else f"{page}_{name}_run_ids"


def start(page: str, planned: Callable[[], list], *, group: str, place=st, nothing_planned: str = "",
          name: str = "train", label: str | None = None, share: bool = True) -> tuple[list[int], bool]:
    """The start button, and (this user's latest experiment's run ids, whether it still runs).
    `planned` gives the runs to queue when the button is pressed; an empty plan shows the
    warning `nothing_planned`. A page with two experiments tells them apart by `name` (the
    button's key is "<page>_<name>"); `label` is the button's text key, "<page>.train.start"
    unless given. `share=False` trains them anew instead of reusing equal runs (page_runs.submit)."""
    ids = page_runs.latest_experiment(group, run_ids_key(page, name))
    # One experiment per user at a time: a classroom shares one trainer.
    busy = progress.any_active(ids)
    if place.button(t(label or f"{page}.train.start"), key=f"{page}_{name}", type="primary",
                    icon=":material/play_arrow:", disabled=busy, help=progress.busy_text(ids) if busy else None):
        plan = planned()
        if not plan:
            st.warning(nothing_planned, icon=":material/tune:")
        else:
            new = page_runs.submit(plan, group=group, share=share)
            if new:
                st.session_state[run_ids_key(page, name)] = new
                st.rerun()   # redraw the button as busy
    return ids, busy


def loss_and_accuracy(page: str, views, curves_of: Callable[[list, str], list]) -> None:
    """Progress rows, then training loss and held-out accuracy side by side; `curves_of(views,
    metric)` gives the curves for metric "loss" or "acc"."""
    progress.progress_rows(views, page)
    live_charts.learning_curves(st.columns(2), live_charts.views_key(views), [
        live_charts.CurvePanel(f"{page}-loss", curves_of(views, "loss"), t(f"{page}.train.loss_axis"), log_y=True,
                               config=NO_BAR, element_key=f"{page}_loss_chart"),
        live_charts.CurvePanel(f"{page}-acc", curves_of(views, "acc"), t(f"{page}.train.acc_axis"), y_range=(0, 1.02),
                               config=NO_BAR, element_key=f"{page}_acc_chart")],
        training=any(v.active for v in views))
