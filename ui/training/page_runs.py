"""Training runs for every page that trains: submitting and cancelling this user's runs, and
reading them back from the run store (the server's one runner and store: ui/server/shared.py).

    from ui.training import page_runs, progress

    ids = page_runs.submit([(label, model_cfg, train_cfg)], group="build")   # None: a message was shown
    progress.live_runs(ids, draw)     # draw(views) redraws ~1x a second while a run trains

The page never waits for training: the job runner (resnet_core.jobs.runner) hands queued runs, owners
in turn, to its worker processes, which write their metrics to the store; the page only reads. Each reader asks for at most
``MAX_POINTS`` points per run, so a long run costs a refresh no more than a short one.

Whose runs they are is ui.users.identity; drawing them while they train is ui.training.progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import streamlit as st

from resnet_core import ConfigError, ModelConfig, TrainConfig
from resnet_core.data.datasets import DatasetMissing
from resnet_core.jobs.runner import NotOwner, OwnerLimit, Paused, QueueFull, RunTooBig, RunTooLong
from resnet_core.jobs.sharing import watched
from resnet_core.store import retention
from resnet_core.store.runs import EvalColumns, RunInfo, RunNotFound, StepColumns
from ui.page.errors import config_text
from ui.page.i18n import t
from ui.page.terms import net_label
from ui.server.shared import runner, store
from ui.training import estimates
from ui.users import follow, teacher_key
from ui.users.identity import class_name, display_name, owner

MAX_POINTS = 300        # per run and chart: a chart needs no more than its width in pixels
ACTIVE = ("queued", "running")


# --- submitting -----------------------------------------------------------------------------

def submit(runs: Sequence[tuple[str, ModelConfig, TrainConfig]], *, group: str, share: bool = True) -> list[int] | None:
    """Queue runs (label, model config, train config) for this user, all or none, as one
    experiment (they share its id) under the page's `group` (resnet_core.training.experiments). Returns
    their ids, or None after showing why not (a full queue, a setting that cannot train).
    `share`: a run equal to one already there serves the press (resnet_core.jobs.sharing); False
    trains them anew (a study needs weights a finished run may no longer have)."""
    uid = owner()
    try:
        ids = runner().submit_many(list(runs), owner=uid, group=group, display_name=display_name(),
                                   teacher=_teacher(), share=share)
        follow.published_runs(group, ids)
        return ids
    except RunTooLong as exc:
        estimates.too_long(exc)
    except RunTooBig as exc:   # its numbers and what to reduce (resnet_core.training.memory)
        estimates.too_large(exc)
    except (Paused, OwnerLimit, QueueFull) as exc:
        queue_refusal(exc, uid, asked=len(runs))
    except DatasetMissing as exc:
        st.warning(t("runs.dataset_missing", msg=config_text(exc)), icon=":material/folder_off:")
    except ConfigError as exc:   # a setting that builds but cannot train (too few images, classes, channels)
        st.warning(t("runs.cannot_start", msg=config_text(exc)), icon=":material/tune:")
    return None


def _teacher() -> bool:
    """This session holds the teacher's key (checked here, on the server, at each submit)."""
    return teacher_key.is_teacher()


def paused_message(message: str) -> None:
    """New runs are paused: say so, with the teacher's words (follow.pause_text)."""
    st.info(follow.pause_text(message), icon=":material/pause_circle:")


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


def device_text(info) -> str:
    """Where a run trained and what it computed in: "cuda · bf16", "cpu · fp32"; "–" before it starts."""
    if not info.device:
        return "–"
    precision = (info.versions or {}).get("precision")
    return f"{info.device} · {precision}" if precision else info.device


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
                                     model_cfg=model_cfg, train_cfg=train_cfg, display_name=display_name(),
                                     teacher=_teacher())]
    except (Paused, OwnerLimit, QueueFull) as exc:
        queue_refusal(exc, uid, asked=1)
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
    retention.SHOWN.note(ids)   # a page shows them: their checkpoints are kept meanwhile
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


def run_label(info: RunInfo, whose: bool = False) -> str:
    """"#12 ResNet-20" for pickers (the live progress rows say how each run is doing; a
    picker's label would only be as fresh as the page's last full run). With `whose` (a list of
    the class's runs) it says whose run it is: "#12 ResNet-20 · Minji", "#4 ResNet-20 · student 3"."""
    base = f"#{info.id} {net_label(info.label)}"
    return f"{base} · {class_name(info)}" if whose else base


def recent(*, mine: bool = True, group: str | None = None, limit: int = 20) -> list[RunInfo]:
    """The newest trained nets' runs of this user (or of everyone), optionally of one page's group.
    This user's include the runs that served their requests, whoever started them, and, while
    they follow the teacher (ui/users/follow.py), the teacher's. Analysis tasks (a prediction, a
    lesion or landscape study) are left out: their rows hold no net to chart or compare."""
    found = store().list_runs(owner=owner() if mine else None, group=group, limit=limit, nets_only=True)
    if not mine:
        return found
    have = {r.id for r in found}
    extra = []
    lead = follow.lead()
    theirs = [r.id for r in store().list_runs(owner=lead, group=group, limit=limit, nets_only=True)] if lead else []
    served = watched(store(), owner(), group, limit)
    tasks = store().task_ids(served)
    for rid in [*theirs, *served]:
        if rid not in have and rid not in tasks:
            try:
                info = store().get_run(rid)
            except RunNotFound:   # a fresh class store emptied it
                continue
            if group is None or info.group == group:
                extra.append(info)
                have.add(rid)
    return sorted(found + extra, key=lambda r: -r.id)[:limit] if extra else found


def latest_experiment(group: str, session_key: str) -> list[int]:
    """This user's latest experiment of a page's `group`: the ids kept in
    ``st.session_state[session_key]`` by this session, else its newest run's experiment in the
    store (a reload, or one recorded by the CLI with this user's ``--owner``). While this user
    follows the teacher (ui/users/follow.py): the teacher's latest experiment of that group."""
    followed = follow.teacher_experiment(group)
    if followed is not None:
        return followed
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


def queue_refusal(exc: Exception, uid: str, asked: int) -> None:
    """Why the queue did not take a request of `asked` runs: the class is paused, this user has
    enough runs waiting, or every place is taken."""
    # The numbers the check used, where the refusal carries them: runs served by an equal run
    # already here take no place and are not counted (jobs/submit.submit_many), and the queue may
    # have moved since.
    checked = getattr(exc, "asked", None)
    asked = asked if checked is None else checked
    if isinstance(exc, Paused):
        paused_message(exc.message)
    elif isinstance(exc, OwnerLimit):
        # the check is waiting + asked > limit: the sentence gives all three
        waiting = exc.waiting if exc.waiting is not None else runner().waiting_for(uid)
        st.warning(t("runs.owner_limit", waiting=waiting, asked=asked, limit=runner().per_owner),
                   icon=":material/hourglass_top:")
    else:
        r = runner()
        waiting = getattr(exc, "waiting", None)
        st.warning(t("runs.queue_full", waiting=r.queue_length() if waiting is None else waiting, places=r.max_queue,
                     asked=asked), icon=":material/hourglass_top:")
