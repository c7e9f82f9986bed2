"""What every session of this server shares: the one job runner and its run store.

    shared.runner().submit_many(...)     # queued runs, owners in turn (resnet_core.jobs.runner)
    shared.store().list_runs(...)        # the SQLite run store the workers write to

Every part of ui reads the runner and the store from here, so none needs the module that
submits runs (ui/training/page_runs.py) just to read them.
"""

from __future__ import annotations

import streamlit as st

from resnet_core.jobs.runner import JobRunner, get_runner
from resnet_core.store.runs import RunStore


@st.cache_resource(show_spinner=False)
def runner() -> JobRunner:
    """The one background trainer of this server process. Creating it marks runs that a
    stopped server left queued or running as interrupted (their metrics stay readable)."""
    return get_runner()


def store() -> RunStore:
    return runner().store
