"""What the AppTest files share: a throw-away run store with its own runner, opening a page the
way a browser does (through app.py), and reading what a page drew.

    from apptest_helpers import assert_clean, open_page, own_store

    @pytest.fixture(scope="module")
    def store(tmp_path_factory):
        with own_store(tmp_path_factory, "build") as db:
            yield RunStore(db)

    at = open_page("build", owner="build0me", state={"build_depth": 32})
"""

import atexit
import base64
import json
import os
import re
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import streamlit as st
from streamlit.testing.v1 import AppTest

from resnet_core.jobs import runner as jobs
from resnet_core.jobs.executors import ProcessPool
from ui.page import nav
from ui.server import shared

APP = str(Path(__file__).resolve().parents[1] / "app.py")
RAW_KEY = re.compile(r"^[a-z_]+(\.[a-z0-9_\-]+)+$")   # what t() shows for a missing key


class LentPool:
    """This test process's worker pool, lent to one file's runner after another, as a server keeps
    one pool for its life: most files train little or nothing, and a worker that stays is one
    fewer process to fork and end per file. A runner that shuts down stops its runs (the worker
    goes back to idle, as it does between a server's runs) and leaves the pool to the next file."""

    _pool: ProcessPool | None = None

    def __init__(self):
        if LentPool._pool is None:
            LentPool._pool = ProcessPool(1)
            atexit.register(LentPool._pool.shutdown)
        self._lent = LentPool._pool
        self.slots = self._lent.slots

    def shutdown(self) -> None:
        pass

    def __getattr__(self, name):   # run, running, ...: the pool's own
        return getattr(self._lent, name)


@contextmanager
def own_store(tmp_path_factory, name: str):
    """A run store of our own (its path is yielded) and a fresh runner on it, which every page picks
    up, training in this process's lent worker pool; the previous runner, caches and environment
    come back afterwards."""
    db = tmp_path_factory.mktemp(name) / "runs.sqlite"
    old_env, old_runner = os.environ.get("RESNET_EXPLORER_DB"), jobs._RUNNER
    old_executor = jobs.default_executor
    os.environ["RESNET_EXPLORER_DB"] = str(db)
    jobs._RUNNER = None
    jobs.default_executor = lambda device="auto": LentPool()
    shared.runner.clear()
    st.cache_data.clear()
    yield db
    if jobs._RUNNER is not None:
        jobs._RUNNER.shutdown(wait=True, timeout=30)
    jobs.default_executor = old_executor
    jobs._RUNNER = old_runner
    shared.runner.clear()
    st.cache_data.clear()
    if old_env is None:
        os.environ.pop("RESNET_EXPLORER_DB", None)
    else:
        os.environ["RESNET_EXPLORER_DB"] = old_env


def open_page(url_path: str, lang: str = "en", *, owner: str | None = None, state: dict | None = None,
              timeout: float = 120) -> AppTest:
    """The app in ``lang`` (as browser ``owner`` when given), ``state`` written into the session,
    then switched to the page; no exception and no error on it."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.query_params["lang"] = lang
    if owner is not None:
        at.query_params["u"] = owner
    at.run()
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.switch_page(nav.file_of(url_path)).run()
    assert_clean(at)
    return at


def wait_runs_ended(store, run_ids, timeout: float = 60.0, what: str = "the runs did not end") -> None:
    """Wait until none of `run_ids` is queued or running in `store` (a RunStore)."""
    import time

    deadline = time.monotonic() + timeout
    while any(store.get_run(i).status in ("queued", "running") for i in run_ids):
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def array(value) -> np.ndarray:
    """A plotly array as sent to the browser: a list, or {dtype, bdata, shape}."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = [int(s) for s in str(value.get("shape", flat.size)).split(",")]
        return flat.reshape(shape)
    return np.array(value, dtype=float)


def progress_bars(at) -> list[tuple[str, str, float]]:
    """The live progress rows on the page (ui.training.progress.progress_rows): (label, status, percent done)."""
    import html
    import re

    row = re.compile(r'aria-valuenow="([\d.]+)".*?<b>(.*?)</b> — (.*?)</div>', re.S)
    found = []
    for md in at.markdown:
        if 'class="rx-run"' in md.value:
            found += [(html.unescape(label), html.unescape(status), float(pct))
                      for pct, label, status in row.findall(md.value)]
    return found


# --- pictures drawn as inline PNG (ui/draw/pictures.py) -------------------------------------------

PICTURE = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)"[^>]*>'
                     r'(?:</figure>|<figcaption[^>]*>(.*?)</figcaption>)', re.DOTALL)
COLOUR_BAR = re.compile(r'<svg[^>]*class="rx-colour-bar" data-min="([^"]*)" data-max="([^"]*)".*?<title>(.*?)</title>',
                        re.DOTALL)


def decode_pictures(markup: str) -> list[tuple[np.ndarray, str, str]]:
    """Every data-URI PNG in `markup`, in order: (pixels as decoded, its tooltip, its caption)."""
    import html
    import io

    from PIL import Image

    return [(np.asarray(Image.open(io.BytesIO(base64.b64decode(data)))), html.unescape(tip),
             html.unescape(caption or "")) for data, tip, caption in PICTURE.findall(markup)]


def picture_blocks(at: AppTest) -> list[list[tuple[np.ndarray, str, str]]]:
    """The picture grids on the page (ui.draw.pictures), in order, each as decode_pictures reads it."""
    return [decode_pictures(md.value) for md in at.markdown if 'class="rx-pictures"' in md.value]


def colour_bars(at: AppTest) -> list[tuple[float, float, str]]:
    """Each colour bar on the page: (min, max, its tooltip 'title: min – max')."""
    import html

    return [(float(lo), float(hi), html.unescape(tip)) for md in at.markdown
            for lo, hi, tip in COLOUR_BAR.findall(md.value)]


SVG = "{http://www.w3.org/2000/svg}"


def svg_charts(at: AppTest) -> list:
    """The inline SVG figures on the page (ui/draw/bar_charts.py, ui/draw/line_charts.py), parsed, in order."""
    import xml.etree.ElementTree as ET

    return [ET.fromstring(md.value) for md in at.markdown if md.value.lstrip().startswith("<svg")]


def svg_title(root) -> str:
    return root.get("aria-label")


def svg_series(root) -> dict[str, list[tuple[float, float, str]]]:
    """Every marked point of an SVG chart (circles, and the crosses of exact zeros) as
    (x, y, tooltip) in pixels, by series: the tooltip's first line names it."""
    out: dict[str, list[tuple[float, float, str]]] = {}
    for el in root.iter():
        title = el.find(f"{SVG}title")
        if title is None or el.tag not in (f"{SVG}circle", f"{SVG}path") or "\n" not in title.text:
            continue
        if el.tag == f"{SVG}circle":
            x, y = float(el.get("cx")), float(el.get("cy"))
        else:                                   # a cross: "M x-r y-r L x+r y+r M ..."
            d = el.get("d").split()
            x, y = (float(d[1]) + float(d[4])) / 2, (float(d[2]) + float(d[5])) / 2
        out.setdefault(title.text.split("\n")[0], []).append((x, y, title.text))
    return out


def svg_bars(root) -> list[tuple[float, float, float, float, str]]:
    """(x, y, width, height, tooltip) of every bar of an SVG chart, in pixels."""
    return [(float(r.get("x")), float(r.get("y")), float(r.get("width")), float(r.get("height")),
             r.find(f"{SVG}title").text) for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]


def svg_y_ticks(root) -> list[tuple[float, float]]:
    """(value, pixel y) of the y-axis tick labels; a log axis's "10" with a raised k reads 10^k."""
    out = []
    for t in root.iter(f"{SVG}text"):
        if t.get("text-anchor") != "end":
            continue
        raised = t.find(f"{SVG}tspan")
        if raised is not None and raised.get("baseline-shift") == "super":
            value = 10.0 ** int(raised.text.replace("−", "-"))
        else:
            text = "".join(t.itertext()).replace("−", "-").replace(",", "")
            number, _, prefix = text.partition(" ")           # style.fmt_si: "500 k", "1.2 M"
            value = (float(text[:-1]) / 100 if text.endswith("%")
                     else float(number) * {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}[prefix])
        out.append((value, float(t.get("y"))))
    return out


def markdown_tables(at) -> list:
    """The small tables on the page (ui.page.tables writes them as HTML in Markdown), in order, each
    as a DataFrame of the cells' text."""
    import xml.etree.ElementTree as ET

    import pandas as pd

    out = []
    for md in at.markdown:
        if md.value.startswith(('<table class="rx-table"', '<div class="rx-table-box">')):
            root = ET.fromstring(md.value)
            root = root if root.tag == "table" else root.find("table")   # in its scroll box
            head = ["".join(th.itertext()) for th in root.iter("th")]
            rows = [["".join(td.itertext()) for td in tr.iter("td")] for tr in root.find("tbody")]
            out.append(pd.DataFrame(rows, columns=head))
    return out
