"""Live training runs for every page that trains: the shared runner, who the user is, submitting,
and a fragment that polls the run store while runs are going.

    from ui import runs

    ids = runs.submit([(label, model_cfg, train_cfg)], group="build")   # None: a message was shown
    runs.live_runs(ids, draw)     # draw(views) redraws ~1x a second while a run trains

The page never waits for training: one background worker (resnet_core.jobs.runner) trains queued runs
in order and writes their metrics to the store; the page only reads. Each reader asks for at most
``MAX_POINTS`` points per run, so a long run costs a refresh no more than a short one.

Who is who: each browser gets an owner id of 64 random bits kept in the URL (``?u=...``), so a
reload or a bookmark keeps the user's runs and nobody can guess another's. The class view never
shows ids: a display name (``?n=``) when the owner gave one, else "student 3", numbered by
their first run. There are no accounts: an id is a bearer token, like a private link.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import threading
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import streamlit as st

from resnet_core import ConfigError, ModelConfig, TrainConfig
from resnet_core.data.datasets import DatasetMissing
from resnet_core.jobs.runner import JobRunner, NotOwner, OwnerLimit, Paused, QueueFull, RunTooLong, get_runner
from resnet_core.store.runs import EvalColumns, RunInfo, RunNotFound, RunStore, StepColumns

from . import live_charts
from .errors import guard
from .i18n import lang, t

POLL_SECONDS = 1.0      # live charts refresh about once a second while a run trains: each tick
                        # is a rerun per watching browser, so a class of 60 costs 60 reruns a second
QUEUED_POLL_SECONDS = 3.0   # runs only waiting in the queue: nothing to redraw, look less often
MAX_POINTS = 300        # per run and chart: a chart needs no more than its width in pixels
ACTIVE = ("queued", "running")
_OWNER_KEY = "_runs_owner"
_NAME_KEY = "_runs_name"
# Made here: 16 hex digits, 64 random bits. Taken from a URL: any id of this shape, so bookmarks
# from before the longer ids keep working; one a student picks by hand is only theirs to lose.
OWNER_RE = re.compile(r"^[a-z0-9]{4,64}$")
OWNER_BYTES = 8
NAME_MAX = 24


# --- the runner and the store ---------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def runner() -> JobRunner:
    """The one background trainer of this server process. Creating it marks runs that a
    stopped server left queued or running as interrupted (their metrics stay readable)."""
    return get_runner()


def store() -> RunStore:
    return runner().store


# --- who the user is ------------------------------------------------------------------------

def owner() -> str:
    """This browser's owner id: from the URL when it has one (a reload, a bookmark), else made
    once per session; written back to the URL so the next reload keeps it."""
    from_url = st.query_params.get("u", "")
    uid = from_url if valid_owner(from_url) else st.session_state.get(_OWNER_KEY)
    if not uid:
        uid = new_owner()
    st.session_state[_OWNER_KEY] = uid
    if from_url != uid:
        st.query_params["u"] = uid
    name = st.query_params.get("n")
    if name is not None and _NAME_KEY not in st.session_state:
        st.session_state[_NAME_KEY] = clean_name(name)
    return uid


def valid_owner(uid: str | None) -> bool:
    return bool(uid) and OWNER_RE.match(uid) is not None


def new_owner() -> str:
    return secrets.token_hex(OWNER_BYTES)


def who(info: RunInfo) -> str:
    """Who started a run, for the class to read: "you", the name they gave, "command line"
    for a run recorded by the CLI without an owner, or "student 3"; never the owner id (an id
    in view is an identity anyone can take)."""
    if info.owner == owner():
        return t("runs.you")
    if info.display_name:
        return info.display_name
    if not info.owner:
        return t("runs.cli")
    return t("runs.student", n=_owner_number(info.owner) or "?")


@st.cache_data(ttl=30, max_entries=512, show_spinner=False)
def _owner_number(uid: str) -> int:
    return store().owner_number(uid)


def clean_name(text: str) -> str:
    """A display name: printable, one line, at most NAME_MAX characters."""
    text = " ".join("".join(ch for ch in str(text) if ch.isprintable()).split())
    return text[:NAME_MAX]


def display_name() -> str:
    return st.session_state.get(_NAME_KEY, "")


def identity_box(prefix: str) -> str:
    """The sidebar's "your name" field (optional) and the owner id; returns the owner id.
    `prefix` is the page's widget prefix."""
    uid = owner()
    key = f"{prefix}_display_name"
    if key not in st.session_state:
        st.session_state[key] = display_name()

    def changed() -> None:
        name = clean_name(st.session_state.get(key, ""))
        st.session_state[_NAME_KEY] = name
        if name:
            st.query_params["n"] = name
        elif "n" in st.query_params:
            del st.query_params["n"]

    st.sidebar.text_input(t("runs.name"), max_chars=NAME_MAX, key=key, on_change=changed,
                          placeholder=t("runs.name_placeholder"), help=t("runs.name_help"))
    st.sidebar.caption(t("runs.owner_id", uid=uid))
    return uid


def scope_toggle(prefix: str) -> bool:
    """"Show the class's runs too"; False: only this browser's runs."""
    return st.toggle(t("runs.show_class"), key=f"{prefix}_show_class", help=t("runs.show_class_help"))


# --- submitting -----------------------------------------------------------------------------

def submit(runs: Sequence[tuple[str, ModelConfig, TrainConfig]], *, group: str) -> list[int] | None:
    """Queue runs (label, model config, train config) for this user, all or none, as one
    experiment (they share its id) under the page's `group` (resnet_core.training.experiments). Returns
    their ids, or None after showing why not (a full queue, a setting that cannot train)."""
    uid = owner()
    try:
        return runner().submit_many(list(runs), owner=uid, group=group, display_name=display_name())
    except RunTooLong as exc:
        from . import costs

        costs.too_long(exc)
    except Paused as exc:
        paused_message(exc.message)
    except OwnerLimit:
        st.warning(t("runs.owner_limit", waiting=runner().waiting_for(uid), limit=runner().per_owner),
                   icon=":material/hourglass_top:")
    except QueueFull:
        r = runner()
        st.warning(t("runs.queue_full", waiting=r.queue_length(), places=r.max_queue, asked=len(runs)),
                   icon=":material/hourglass_top:")
    except DatasetMissing as exc:
        st.warning(t("runs.dataset_missing", msg=str(exc)), icon=":material/folder_off:")
    except ConfigError as exc:
        from .errors import config_text  # here: errors imports links, which pages import first
        st.warning(t("error.config", msg=config_text(exc)), icon=":material/tune:")
    return None


def paused_message(message: str) -> None:
    """The teacher has paused new runs: say so, with the teacher's words."""
    text = t("runs.paused_with", msg=message) if message else t("runs.paused")
    st.info(text, icon=":material/pause_circle:")


def dataset_present(name: str, data_dir: str = "") -> bool:
    """Whether a dataset can load without a download: the embedded ones always; the others when
    their files are in the data folder (torchvision's layout). Looks at file names only."""
    from pathlib import Path

    from resnet_core.data.datasets import EMBEDDED, default_data_dir
    from resnet_core.data.folders import LAYOUT

    if name in EMBEDDED:
        return True
    if name not in LAYOUT:
        return False
    root = Path(data_dir).expanduser() if data_dir else default_data_dir()
    folder, files, _ = LAYOUT[name]
    if name == "cifar10":
        return (root / folder / files[-1]).is_file() or (root / "cifar-10-batches-bin").is_dir()
    return any((root / folder / (f + ext)).is_file() for f in files for ext in ("", ".gz"))


@st.cache_resource(show_spinner=False)
def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def cancel(run_id: int) -> bool:
    """Stop one of this user's runs; the runner refuses anyone else's."""
    try:
        return runner().cancel(run_id, owner=owner())
    except NotOwner:
        st.warning(t("runs.not_yours"), icon=":material/block:")
        return False


def submit_task(name: str, params: dict, *, label: str, group: str, model_cfg: ModelConfig | None = None,
                train_cfg: TrainConfig | None = None) -> list[int] | None:
    """Queue an analysis task (resnet_core.jobs.tasks) for this user; its progress shows like a
    run's, its result is ``store().result(id)`` once finished. None after showing why not."""
    uid = owner()
    try:
        return [runner().submit_task(name, params, owner=uid, label=label, group=group,
                                     model_cfg=model_cfg, train_cfg=train_cfg, display_name=display_name())]
    except Paused as exc:
        paused_message(exc.message)
    except OwnerLimit:
        st.warning(t("runs.owner_limit", waiting=runner().waiting_for(uid), limit=runner().per_owner),
                   icon=":material/hourglass_top:")
    except QueueFull:
        r = runner()
        st.warning(t("runs.queue_full", waiting=r.queue_length(), places=r.max_queue, asked=1),
                   icon=":material/hourglass_top:")
    return None


# --- reading --------------------------------------------------------------------------------

@dataclass
class RunView:
    info: RunInfo
    steps: StepColumns     # decimated to at most MAX_POINTS
    evals: EvalColumns
    position: int = 0      # place in the queue (1 = next), 0 when not waiting

    @property
    def id(self) -> int:
        return self.info.id

    @property
    def active(self) -> bool:
        return self.info.status in ACTIVE

    @property
    def progress(self) -> float:
        total = self.info.total_steps or self.info.train_cfg.steps
        return min(1.0, self.info.steps_done / total) if total else 0.0


def _read(run_ids: tuple[int, ...], max_points: int) -> list[RunView]:
    s, r = store(), runner()
    views = []
    for rid in run_ids:
        try:
            info = s.get_run(rid)
        except RunNotFound:
            continue
        position = r.job(rid).position if info.status == "queued" else 0
        views.append(RunView(info, s.steps(rid, max_points=max_points), s.evals(rid), position))
    return views


@st.cache_data(ttl=0.5, max_entries=1024, show_spinner=False)
def _read_shared(run_ids: tuple[int, ...], max_points: int) -> list[RunView]:
    # Cached for half a second: a classroom watching the same runs shares one read a tick.
    return _read(run_ids, max_points)


def read(run_ids: Sequence[int], max_points: int = MAX_POINTS, *, fresh: bool = True) -> list[RunView]:
    """The runs (unknown ids are skipped), metrics decimated to `max_points`; `fresh=False`
    accepts a read up to half a second old, shared with other viewers."""
    ids = tuple(int(i) for i in run_ids)
    return _read(ids, max_points) if fresh else _read_shared(ids, max_points)


@st.cache_data(ttl=0.5, max_entries=256, show_spinner=False)
def grads(run_id: int, max_steps: int = 150) -> tuple[list[int], list[str], "np.ndarray"]:
    """A run's per-layer gradient norms (steps, layer names, steps x layers), every k-th step so
    at most `max_steps` rows."""
    return store().grad_norms(run_id, max_steps=max_steps)


@st.cache_data(ttl=0.5, max_entries=256, show_spinner=False)
def grads_at(run_id: int, step: int) -> tuple[int, list[float] | None]:
    """The gradient norms at `step`, or at the run's latest step if it has not got that far,
    as (that step, norms); (0, None) before any step is recorded."""
    s = store()
    target = min(step, s.get_run(run_id).steps_done)
    if target < 1:
        return 0, None
    # The store writes a step's norms in the same transaction as its progress: `target` exists.
    steps, _, matrix = s.grad_norms(run_id, since_step=target - 1)
    if not steps:
        return 0, None
    return steps[0], matrix[0].tolist()


def run_label(info: RunInfo) -> str:
    """"#12 ResNet-20" for pickers (the live progress rows say how each run is doing; a
    picker's label would only be as fresh as the page's last full run)."""
    return f"#{info.id} {info.label}"


def recent(*, mine: bool = True, group: str | None = None, limit: int = 20) -> list[RunInfo]:
    """The newest runs of this user (or of everyone), optionally of one page's group."""
    return store().list_runs(owner=owner() if mine else None, group=group, limit=limit)


def latest_experiment(group: str, session_key: str) -> list[int]:
    """This user's latest experiment of a page's `group`: the ids kept in
    ``st.session_state[session_key]`` by this session, else its newest run's experiment in the
    store (a reload, or one recorded by the CLI with this user's ``--owner``)."""
    if st.session_state.get(session_key):
        return st.session_state[session_key]
    mine = recent(group=group, limit=1)
    if not mine:
        return []
    ids = sorted(r.id for r in store().list_runs(group=group, experiment=mine[0].experiment, limit=100))
    st.session_state[session_key] = ids
    return ids


def experiments_of(infos: Sequence[RunInfo]) -> list[list[RunInfo]]:
    """Runs gathered by experiment, each in id order, the newest experiment first."""
    by_id: dict[str, list[RunInfo]] = {}
    for info in sorted(infos, key=lambda i: i.id):
        by_id.setdefault(info.experiment, []).append(info)
    return sorted(by_id.values(), key=lambda runs: -runs[-1].id)


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


# --- figures shared between viewers --------------------------------------------------------

def views_key(views: Sequence[RunView]) -> tuple:
    """What a chart of these runs depends on: ids, statuses, steps and evaluations so far, and
    the language. Equal keys mean equal charts."""
    return tuple((v.id, v.info.status, v.info.steps_done, len(v.steps.step), len(v.evals.step),
                  v.info.label) for v in views) + (lang(),)


cached_figure = live_charts.figure   # build once per key for the whole server (ui/live_charts.py)
show_figure = live_charts.show       # draw it, sending the message made for the first viewer


# --- drawing helpers shared by the pages --------------------------------------------------

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
            if cols[i % len(cols)].button(f"{t('runs.stop')} · {view.info.label}", key=f"{prefix}_stop_{view.id}",
                                          icon=":material/stop:"):
                cancel(view.id)
                st.toast(t("runs.stopping", label=view.info.label))
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

    return "".join(_BAR.format(pct=100 * v.progress, label=escape(v.info.label), status=escape(status_text(v)),
                               color=RESIDUAL if v.info.model_cfg.residual else PLAIN) for v in views)


def metrics_csv(run_id: int) -> str:
    """Every recorded step of a run (not decimated), with held-out results where measured."""
    s = store()
    steps, evals = s.steps(run_id), s.evals(run_id)
    held = {step: (loss, acc) for step, loss, acc in zip(evals.step, evals.test_loss, evals.test_acc)}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["step", "train_loss", "train_acc", "lr", "seconds", "test_loss", "test_acc"])
    for row in zip(steps.step, steps.loss, steps.acc, steps.lr, steps.seconds):
        test = held.get(row[0], ("", ""))
        writer.writerow([*row, *test])
    return out.getvalue()


def png_config(filename: str) -> dict:
    """Plotly's camera button saves the chart as a PNG named `filename`."""
    return {"displaylogo": False,
            "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
            "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
