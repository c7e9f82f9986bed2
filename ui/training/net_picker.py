"""The picker of the inspection pages (Feature maps, Attribution): a plain net and its residual
twin (shipped trained with the app, trained through the job queue, or only built), or two stored
runs, and one image for both. Each page says which sources it offers and what it draws:

    from ui.training.net_picker import Picked, picker

    def draw(picked: Picked) -> None:          # the page's own part
        if picked.pictures:                    # None until there is an image
            ...

    with guard():
        picker("features", ["trained", "fresh", "run"], draw)

Every widget key starts with the page's prefix, so each page keeps its own choices (and its own
address, ui/page/links.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable

import streamlit as st

from resnet_core.data.datasets import DatasetMissing
from resnet_core.data.uploads import ImageRejected
from resnet_core.inspection import inspect_models as im
from resnet_core.training.twins import GROUP as TWIN_GROUP

from ui.draw import style
from ui.page.errors import config_text, guarded
from ui.page.i18n import in_run_language, label_of, t
from ui.page.terms import dataset_name, net_label
from ui.page.state import keep
from ui.server import shared
from ui.training import estimates, page_runs, progress
from ui.users.identity import class_name


@dataclass(frozen=True)
class Member:
    """One net on the page: where it comes from (plain values, so results can be cached)."""
    kind: str                       # plain or residual: the colour
    name: str                       # e.g. ResNet-20, or a run's label
    spec: im.TwinSpec | None        # a twin member trained or built here...
    run_id: int = 0                 # ...or a stored run
    data: im.DataSpec | None = None

    def trained(self) -> im.Trained:
        if self.spec is not None:
            return im.twin_member(self.spec, self.kind == "residual")
        return im.stored_model(shared.store(), self.run_id)


def valid_or_reset(key: str, allowed) -> None:
    """Forget a kept value that the current options no longer offer (the widget's default wins)."""
    if key in st.session_state and st.session_state[key] not in allowed:
        del st.session_state[key]


def twin_members(prefix: str, source: str) -> list[Member]:
    """A plain net and its residual twin: trained (``source == "trained"``) or only built. A
    trained twin is the one shipped with the app, else a finished pair of queued runs; until
    then the page offers to queue them and shows their progress (it never trains itself)."""
    c1, c2, c3, c4 = st.columns(4)
    dataset = c1.segmented_control(t("inspect.dataset"), list(im.INPUT_SIZE), default="digits", required=True,
                                   format_func=label_of("inspect.dataset"), help=t("inspect.dataset_help"),
                                   **keep(f"{prefix}_dataset"))
    depth = c2.select_slider(t("inspect.depth"), im.DEPTHS, 20, **keep(f"{prefix}_depth"))
    width = c3.select_slider(t("inspect.width"), im.WIDTHS, 16, **keep(f"{prefix}_width"))
    steps = 0
    if source == "trained":
        steps = c4.slider(t("inspect.steps"), 20, im.MAX_STEPS, 150, step=10, **keep(f"{prefix}_steps"))
    spec = im.TwinSpec(dataset, depth, width, steps)
    name = {kind: spec.model_config(kind == "residual").kind for kind in ("plain", "residual")}
    if not steps:
        st.caption(t("inspect.fresh_note"))
        return [Member(kind, name[kind], spec, data=spec.data) for kind in ("plain", "residual")]
    if im.has_shipped(spec):
        members = [Member(kind, name[kind], spec, data=spec.data) for kind in ("plain", "residual")]
        accs = [m.trained().test_acc for m in members]
        st.caption(t("inspect.trained_note", steps=steps, plain=f"{accs[0]:.1%}", residual=f"{accs[1]:.1%}")
                   + " " + t("inspect.shipped"))
        return members
    found = im.twin_runs(shared.store(), spec)
    if found.ready:
        infos = [found.finished[False], found.finished[True]]
        st.caption(t("inspect.trained_note", steps=steps, plain=f"{infos[0].test_acc:.1%}",
                     residual=f"{infos[1].test_acc:.1%}")
                   + " " + t("inspect.from_runs", ids=", ".join(f"#{i.id}" for i in infos)))
        return [Member(kind, name[kind], None, info.id, spec.data)
                for kind, info in zip(("plain", "residual"), infos)]
    queue_twin(prefix, spec, found)
    return []


def queue_twin(prefix: str, spec: im.TwinSpec, found) -> None:
    """A twin setting nobody has trained yet: its runs in the queue with their progress (the
    page reruns itself when they end), or a button that queues them."""
    if found.active:
        # One member may finish before the other (and a retry queues only the missing one):
        # then say so, rather than "training both".
        if found.finished:
            finished = next(iter(found.finished))     # residual or not: the member already done
            text = t("inspect.queued.one", done=net_label(spec.model_config(finished).kind),
                     waiting=net_label(spec.model_config(not finished).kind), steps=spec.steps)
        else:
            text = t("inspect.queued", depth=spec.depth, steps=spec.steps)
        st.info(text, icon=":material/hourglass_top:")
        progress.live_runs([i.id for i in found.active], guarded(lambda views: progress.progress_rows(views, prefix)),
                       stop_prefix=prefix)
        return
    if found.ended:      # the last try failed or was stopped: say why before offering another
        progress.progress_rows(page_runs.read([i.id for i in found.ended]), prefix, stop=False)
    setting = dict(depth=spec.depth, width=spec.width, steps=spec.steps, dataset=t(f"inspect.dataset.{spec.dataset}"))
    if found.finished:   # one member finished earlier: only the other is queued, as one run
        finished = next(iter(found.finished))
        st.info(t("inspect.not_trained.one", done=net_label(spec.model_config(finished).kind),
                  missing=net_label(spec.model_config(not finished).kind), **setting), icon=":material/model_training:")
    else:
        st.info(t("inspect.not_trained", **setting), icon=":material/model_training:")
    estimates.line([(name, m, tc) for name, m, tc in spec.jobs() if m.residual not in found.finished])
    if st.button(t("inspect.train_twin"), type="primary", icon=":material/play_arrow:", key=f"{prefix}_train_twin"):
        # Only the members still missing: one that finished earlier serves as it is.
        # Stored in English, as every run label (ui/page/terms.py): net_label reads it in the
        # reader's language ("40 steps" -> "40단계").
        jobs = [(f"{m.kind} · {spec.steps} steps", m, tc)
                for _, m, tc in spec.jobs() if m.residual not in found.finished]
        if page_runs.submit(jobs, group=TWIN_GROUP):
            st.rerun()


def run_label(info) -> str:
    acc = "–" if info.test_acc is None else f"{info.test_acc:.1%}"
    # The list holds the whole class's runs: each says whose it is (a name or "student 3").
    dataset = info.train_cfg.dataset
    text = t("inspect.run_option", id=info.id, name=net_label(info.label or info.model_cfg.kind),
             dataset=dataset_name(dataset, "inspect.dataset"), acc=acc)
    return f"{text} · {class_name(info)}"


def run_members(prefix: str) -> list[Member]:
    found = im.runs_with_checkpoints(shared.store())
    if not found:
        st.info(t("inspect.no_runs"), icon=":material/inventory_2:")
        return []
    infos = {r.id: r for r in found}
    ids = list(infos)
    plain_first = [r.id for r in found if not r.model_cfg.residual] + [r.id for r in found if r.model_cfg.residual]
    valid_or_reset(f"{prefix}_run_left", ids)
    valid_or_reset(f"{prefix}_run_right", [0, *ids])
    c1, c2 = st.columns(2)
    left = c1.selectbox(t("inspect.run_left"), ids, index=ids.index(plain_first[0]),
                        format_func=in_run_language(lambda r: run_label(infos[r])), **keep(f"{prefix}_run_left"))
    others = [0, *ids]
    residual = next((r.id for r in found if r.model_cfg.residual and r.id != left), 0)
    right = c2.selectbox(t("inspect.run_right"), others, index=others.index(residual),
                         format_func=in_run_language(lambda r: t("inspect.run_none") if r == 0 else run_label(infos[r])),
                         **keep(f"{prefix}_run_right"))
    chosen = [left] + ([right] if right and right != left else [])
    return [Member("residual" if infos[r].model_cfg.residual else "plain",
                   f"#{r} {net_label(infos[r].label or infos[r].model_cfg.kind)}", None, r,
                   im.DataSpec.of_run(infos[r].model_cfg, infos[r].train_cfg)) for r in chosen]


def members_ui(prefix: str, sources: list[str]) -> list[Member]:
    """The source picker ("trained", "fresh", "run": the page offers some) and the nets it gives."""
    source = st.segmented_control(t("inspect.source"), sources, default=sources[0], required=True,
                                  format_func=label_of("inspect.source"), **keep(f"{prefix}_source"))
    return run_members(prefix) if source == "run" else twin_members(prefix, source)


@st.cache_data(show_spinner=False, max_entries=64)
def decode(data: bytes):
    return im.read_upload(data)


def upload_message(exc: ImageRejected) -> str:
    return t(f"inspect.rejected.{exc.code}", mb=im.UPLOAD_MAX_BYTES // 1_000_000,
             px=style.fmt_int(im.UPLOAD_MAX_PIXELS))


def pictures_ui(prefix: str, members: list[Member]) -> tuple[dict[Member, im.Picture], tuple] | None:
    """The same image for every member, prepared as each one's training data were, and a key
    naming it (for the cache)."""
    source = st.segmented_control(t("inspect.image_source"), ["sample", "upload"], default="sample", required=True,
                                  format_func=label_of("inspect.image_source"), **keep(f"{prefix}_image_source"))
    first = members[0].data
    if source == "sample":
        last = im.held_out_count(first) - 1
        if st.session_state.get(f"{prefix}_index", 0) > last:
            del st.session_state[f"{prefix}_index"]
        index = int(st.number_input(t("inspect.index", last=last), 0, last, 0, **keep(f"{prefix}_index")))
        if any(m.data.dataset != first.dataset for m in members):
            st.caption(t("inspect.other_datasets"))
        return {m: im.held_out(m.data, index) for m in members}, ("sample", index)
    file = st.file_uploader(t("inspect.upload"), type=["png", "jpg", "jpeg"], key=f"{prefix}_upload",
                            help=t("inspect.upload_help", mb=im.UPLOAD_MAX_BYTES // 1_000_000,
                                   px=style.fmt_int(im.UPLOAD_MAX_PIXELS)))
    if file is None:
        st.caption(t("inspect.upload_prompt"))
        return None
    data = file.getvalue()
    try:
        img = decode(data)
    except ImageRejected as exc:
        st.warning(upload_message(exc), icon=":material/image_not_supported:")
        return None
    return {m: im.uploaded(img, m.data) for m in members}, ("upload", hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class Picked:
    """What the picker hands its page: the nets, and the image prepared for each once there is one."""
    members: list[Member]
    pictures: dict[Member, im.Picture] | None = None   # None while an upload is awaited or was refused
    picture_key: tuple | None = None                   # names the image, so results cache on plain values


def picker(prefix: str, sources: list[str], draw: Callable[[Picked], None]) -> None:
    """The top both inspection pages share: the source, the nets, the image; then ``draw``.

    Nothing is drawn while there are no nets (no finished run yet, or a twin setting that still
    has to train: its queue button or progress is shown instead). Images a run was trained on
    may be missing on this machine (a dataset in another folder); that surfaces only when they
    are read, in the picker or in ``draw``, and is a warning either way, not an error."""
    try:
        members = members_ui(prefix, sources)
        if not members:
            return
        chosen = pictures_ui(prefix, members)
        draw(Picked(members, *chosen) if chosen else Picked(members))
    except DatasetMissing as exc:
        st.warning(t("inspect.dataset_missing", msg=config_text(exc)), icon=":material/folder_off:")
