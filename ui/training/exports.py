"""What a user takes away from a page: a run's metrics as a CSV file, a net or a run as a zip of
PyTorch code, weights, ONNX and a notebook (resnet_core.export), a chart as a PNG image."""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st

from resnet_core import ModelConfig
from resnet_core.export import export_config, export_run
from resnet_core.export.bundle import metric_rows, metrics_text
from resnet_core.lru import LRU
from resnet_core.store.runs import RunNotFound

from ui.page.i18n import t
from ui.server.shared import store

log = logging.getLogger("resnet_explorer")
# Zips made lately, by what decides their bytes: a class downloading its teacher's net (or one
# run, many times) has it traced once. Big zips are not kept: the memory is the server's.
_ZIPS: LRU[tuple, bytes] = LRU(6)
KEEP_BYTES = 20_000_000


def metrics_csv(run_id: int) -> str:
    """Every recorded step of a run (not decimated), with held-out results where measured."""
    return metrics_text(metric_rows(store(), run_id))


def _cached(key: tuple, make) -> bytes:
    data = _ZIPS.get(key)
    if data is None:
        try:
            data = make().zip_bytes()
        except Exception:   # runs on Streamlit's download thread: the log is where a teacher looks
            log.exception("export %s failed", key)
            raise
        if len(data) <= KEEP_BYTES:
            _ZIPS.put(key, data)
    return data


def run_zip(run_id: int) -> bytes:
    """A finished run as a zip to take home; made when the download is clicked (deferred)."""
    s = store()
    return _cached(("run", str(s.path), run_id), lambda: export_run(s, run_id))


def net_zip(cfg: ModelConfig) -> bytes:
    """An untrained net as a zip to take home; made when the download is clicked (deferred)."""
    return _cached(("net", cfg), lambda: export_config(cfg))


def run_zip_button(where, run_id: int, key: str) -> None:
    """A run's "Download as PyTorch (zip)" in `where` (made when clicked), or, for a run that
    left no weights (queued, training, stopped, diverged), a line saying why."""
    try:
        info = store().get_run(run_id)   # fresh: a list drawn earlier may predate the run's end
    except RunNotFound:   # gone since the list was read: only a fresh class store removes runs
        where.caption(t("export.gone", run_id=run_id))
        return
    if info.has_checkpoint:
        where.download_button(t("export.zip"), lambda: run_zip(run_id),
                              file_name=f"run-{run_id}-{info.model_cfg.name}.zip", mime="application/zip", icon=":material/download:", help=t("export.zip_help"),
                              on_click="ignore", key=key)
    elif info.status == "finished":   # its checkpoint was dropped to keep the folder within its bound
        where.caption(t("export.dropped", run_id=run_id))
    elif info.status in ("queued", "running"):
        where.caption(t("export.not_ready", run_id=run_id, status=t(f"runs.status.{info.status}")))
    else:   # ended without weights: the status goes in quotes, its own brackets inside them
        where.caption(t("export.no_weights", run_id=run_id, status=t(f"runs.status.{info.status}")))


def run_list_export(runs: list[int], label: Callable[[int], str], prefix: str) -> None:
    """Under a page's run list: pick one of its runs, then take its metrics (CSV) or the run
    itself (PyTorch zip) home. The buttons sit in a row of their own that wraps, each as wide as
    its label, so neither is cut short at 1280 px or on a phone. Widget keys: `{prefix}_export_run`,
    `_csv`, `_zip`."""
    if not runs:
        return
    pick = st.columns(2)[0].selectbox(t("export.pick"), runs, format_func=label, key=f"{prefix}_export_run")
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        st.download_button(t("export.csv"), metrics_csv(pick), file_name=f"run-{pick}-metrics.csv", mime="text/csv",
                           icon=":material/download:", key=f"{prefix}_export_csv")
        run_zip_button(st, pick, key=f"{prefix}_export_zip")
    st.caption(t("export.csv_help"))


def png_config(filename: str) -> dict:
    """Plotly's camera button saves the chart as a PNG named `filename`."""
    return {"displaylogo": False,
            "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
            "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
