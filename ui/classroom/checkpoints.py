"""The teacher's view of the checkpoint folder: what is kept, how much of the bound it uses, and
which checkpoints are pinned (never dropped). resnet_core.store.retention says what goes first."""

from __future__ import annotations

import streamlit as st

from resnet_core.store import retention

from ui.page.i18n import t
from ui.page.terms import net_label
from ui.server import shared

_PICK = "teacher_pins"


def _mb(size: int) -> str:
    return f"{size / retention.MB:,.1f}"


def _save_pins(before: set[int]) -> None:
    chosen = {int(i) for i in st.session_state.get(_PICK, [])}
    store = shared.store()
    for rid in chosen ^ before:
        retention.set_pinned(store, rid, rid in chosen)


def draw() -> None:
    store, limit = shared.store(), shared.runner().checkpoint_limit
    every = retention.kept(store)
    used = sum(k.size for k in every)
    st.markdown(f"**{t('ops.ckpt.title')}**")
    if limit is None:
        st.caption(t("ops.ckpt.unbounded", n=len(every), mb=_mb(used)))
    else:
        st.caption(t("ops.ckpt.bounded", n=len(every), mb=_mb(used), limit=_mb(limit)))
        st.progress(min(1.0, used / limit) if limit else 0.0)
    if not every:
        return
    newest = sorted(every, key=lambda k: -k.ended)
    labels = {k.run_id: f"#{k.run_id} {net_label(k.label)} · {_mb(k.size)} MB" + (" · " + t("ops.ckpt.shown") if k.shown else "")
              for k in newest}
    pinned = {k.run_id for k in every if k.pinned}
    st.multiselect(t("ops.ckpt.pins"), list(labels), default=sorted(pinned), format_func=labels.get, key=_PICK,
                   on_change=_save_pins, args=(pinned,), help=t("ops.ckpt.pins_help"))
