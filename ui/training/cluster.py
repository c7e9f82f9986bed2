"""The training cluster as the pages tell it (resnet_core.jobs.cluster keeps the connection).

    cluster.notice()        # on a page that trains: said only when the cluster cannot be reached
    cluster.teacher()       # in the teacher's controls: its state, and a button to try again now

Nothing here waits for the cluster: it reads the state the background connection keeps.
"""

from __future__ import annotations

import time

import streamlit as st

from ui.page.errors import reason_words
from ui.page.i18n import t
from ui.server import shared


def state():
    """The cluster's ClusterState, or None when runs train on this server only."""
    read = getattr(shared.runner().executor, "state", None)
    return read() if callable(read) else None


def connecting_text(s) -> str:
    """The first connection is under way: with the local fallback a run started now trains here
    (resnet_core.jobs.cluster.ClusterExecutor.run), else it waits in the queue."""
    return t("cluster.connecting_local" if s.fallback else "cluster.connecting", addr=s.address)


def notice() -> None:
    """Before the train button: what happens to a run while the cluster is not there."""
    s = state()
    if s is None or s.state == "connected":
        return
    if s.state == "connecting":
        st.info(connecting_text(s), icon=":material/cloud_sync:")
        return
    then = t("cluster.then_local") if s.fallback else t("cluster.then_wait")
    st.warning(f"{t('cluster.unreachable', addr=s.address, reason=reason_words(s.reason))}  \n{then}",
               icon=":material/cloud_off:")


def teacher() -> None:
    s = state()
    if s is None:
        return
    st.markdown(f"**{t('cluster.title')}**")
    if s.state == "connected":
        st.success(t("cluster.connected", addr=s.address, n=s.slots), icon=":material/cloud_done:")
        return
    if s.state == "connecting":
        st.info(connecting_text(s), icon=":material/cloud_sync:")
    else:
        then = t("cluster.then_local") if s.fallback else t("cluster.then_wait")
        wait = t("cluster.next_try", n=max(0, round(s.next_try - time.time())), waiting=shared.runner().queue_length())
        st.warning(f"{t('cluster.unreachable', addr=s.address, reason=reason_words(s.reason))}  \n{then} {wait}",
                   icon=":material/cloud_off:")
    st.button(t("cluster.retry"), key="teacher_cluster_retry", icon=":material/refresh:",
              on_click=shared.runner().executor.retry_now)
