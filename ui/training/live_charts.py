"""Live charts built once per change of the runs, and sent to every viewer without rebuilding.

A class of 60 watches the same runs, and each watching browser reruns its live fragment about
once a second. ``st.plotly_chart`` would copy the figure, turn it into JSON and hash it again in
every one of those reruns (about two thirds of a live page's rerun on a busy server). Here the
chart's figure is built once per key and its message made once, the first time any session asks
for them, and every session then sends that same message:

    fig = live_charts.figure(("degradation-loss",) + live_charts.views_key(views), lambda: training_charts.curves(...))
    live_charts.show(left, fig, config=..., key="degradation_loss")

The message is what ``st.plotly_chart(fig, config=config, key=key)`` sends (tests/test_live_charts.py
checks that field by field), so the browser cannot tell the two apart; an unchanged chart is also
the same message, which the browser already holds in its message cache.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import plotly.io

from resnet_core.lru import LRU

from ui.draw import training_charts
from ui.page import figures
from ui.page.i18n import lang, words
from ui.server import streamlit_internals

KEPT = 256          # figures kept: a class's worth of distinct live charts, and then some

_KEY_OF: dict[int, tuple] = {}                          # id(shared figure) -> its key
_MESSAGES: dict[tuple, tuple[Any, int]] = {}   # (key, config, element key) -> (message, height)


def _forget(key: tuple, fig) -> None:
    # A figure let go takes its messages with it; runs under the cache's lock.
    _KEY_OF.pop(id(fig), None)
    for k in [k for k in _MESSAGES if k[0] == key]:
        del _MESSAGES[k]


# key -> shared figure; its lock also guards _KEY_OF and _MESSAGES, so all three stay in step.
_FIGURES: LRU[tuple, Any] = LRU(KEPT, on_evict=_forget)


def figure(key: tuple, build: Callable[[], Any]):
    """`build()` once per key for the whole server; the figure is shared: draw it, never change it."""
    fig = _FIGURES.get(key)
    if fig is not None:
        return fig
    fig = build()
    with _FIGURES.lock:
        fig = _FIGURES.put(key, fig)    # another session may have built it meanwhile: share theirs
        _KEY_OF[id(fig)] = key
    return fig


def show(container, fig, *, config: dict | None = None, key: str = "") -> None:
    """``container.plotly_chart(fig, config=config, key=key)``; for a shared figure, the message
    made for the first viewer is sent again instead of being made anew (Streamlit's internals:
    ui/server/streamlit_internals.py; where they fail, st.plotly_chart itself)."""
    config = config or {}
    with _FIGURES.lock:
        fig_key = _KEY_OF.get(id(fig))
        msg_key = (fig_key, json.dumps(config, sort_keys=True), key)
        made = _MESSAGES.get(msg_key) if fig_key is not None else None
    if made is None and fig_key is not None:
        message = streamlit_internals.plotly_message(plotly.io.to_json(fig, validate=False), config, key) \
            if streamlit_internals.enabled("send_plotly") else None
        if message is not None:
            made = (message, _height(fig))
            with _FIGURES.lock:
                if fig_key in _FIGURES:
                    _MESSAGES[msg_key] = made
    if made is None or not streamlit_internals.send_plotly(container, *made):
        container.plotly_chart(fig, config=config, key=key or None)   # not shared, or the public way


def chart(container, key: tuple, build: Callable[[], Any], *, config: dict | None = None,
          element_key: str = "") -> None:
    """A chart that depends only on `key` and the reader's language (a concept page's diagram,
    a cost chart for the chosen net): built and made a message once per server, not once per
    visitor, so a class opening the page together pays for it once."""
    show(container, figure(("chart",) + tuple(key) + (lang(),), build), config=config, key=element_key)


# key -> Arrow table: st.dataframe turns a list of rows into pandas and then into Arrow on every
# call, which in a live fragment is every tick of every watching browser.
_TABLES: LRU[tuple, Any] = LRU(KEPT)


def table(container, key: tuple, rows: Callable[[], list[dict]], **kwargs) -> None:
    """``container.dataframe(rows(), hide_index=True, **kwargs)`` for rows that depend only on
    `key`: converted once per key for the whole server and sent as the same Arrow data, so the
    browser sees what st.dataframe would have sent for the rows."""
    data = _TABLES.get(key)
    if data is None:
        data = _TABLES.put(key, _arrow(rows()))
    container.dataframe(data, hide_index=True, **kwargs)


@dataclass(frozen=True)
class CurvePanel:
    """One chart of learning curves for `learning_curves`."""
    name: str                      # "degradation-loss": names its cached figure and SVG, keeps its zoom
    curves: Sequence               # training_charts.Curve
    y_title: str
    log_y: bool = False
    y_range: tuple[float, float] | None = None
    config: dict | None = None     # plotly's (the camera's file name, or no mode bar)
    element_key: str = ""


def learning_curves(columns: Sequence, key: tuple, panels: Sequence[CurvePanel], *, training: bool) -> None:
    """Each panel in its column, built once per `key` (views_key) for every viewer: while runs
    train as SVG (a browser redraws it every second for almost nothing, where plotly's redraw
    took a third of a watching laptop's core), and once they have ended as plotly's figure, with
    its hover, zoom and camera."""
    for column, p in zip(columns, panels):
        axis = dict(y_title=p.y_title, log_y=p.log_y, y_range=p.y_range)
        if training:
            column.markdown(figures.cached((f"{p.name}-svg",) + tuple(key), lambda p=p, axis=axis: (
                training_charts.curves_svg(p.curves, words=words(training_charts.WORDS), title=p.y_title, **axis))), unsafe_allow_html=True)
        else:
            fig = figure((p.name,) + tuple(key), lambda p=p, axis=axis: (
                training_charts.curves(p.curves, words=words(training_charts.WORDS), revision=p.name, **axis)))
            show(column, fig, config=p.config, key=p.element_key)


def views_key(views: Sequence) -> tuple:
    """What a chart of these runs (ui.training.page_runs.RunView) depends on: ids, statuses, steps and
    evaluations so far, and the language. Equal keys mean equal charts."""
    return tuple((v.id, v.info.status, v.info.steps_done, len(v.steps.step), len(v.evals.step),
                  v.info.label) for v in views) + (lang(),)


def _arrow(rows: list[dict]):
    # What st.dataframe makes of a list of rows (pandas, then pyarrow's own conversion), with
    # public APIs; rows Arrow cannot take as they are go as they are, for st.dataframe to fix.
    import pandas as pd
    import pyarrow as pa

    try:
        return pa.Table.from_pandas(pd.DataFrame(rows))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return rows


def _height(fig) -> int:
    # st.plotly_chart's "content" height: the figure's own, else plotly.js's default of 450.
    height = getattr(getattr(fig, "layout", None), "height", None)
    return int(height) if isinstance(height, (int, float)) and height > 0 else 450
