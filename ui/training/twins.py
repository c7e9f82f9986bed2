"""A trained plain net and its residual twin for the study pages (Lesion study, Loss landscape),
and the study itself as a queued task.

    trained = twins.twins_ui("lesion")          # (plain run id, residual run id) or None
    if trained:
        result = twins.study_ui("lesion", "lesion", trained, {"draws": 5})   # None until it has run

The twins (resnet_core.training.twins) are trained through the queue with the degradation recipe, or picked from the run store.
A finished twin pair or study with exactly the same settings, by anyone in the class, is reused rather
than computed again: when the teacher has trained it, the students' pages show it at once. The
page never trains or studies anything itself; it only reads the store.
"""

from __future__ import annotations

import hashlib
import json

import streamlit as st

from resnet_core.store import groups
from resnet_core.store.runs import RunNotFound
from resnet_core.training import experiments

from ui.page.errors import reason_text
from ui.page.i18n import in_run_language, label_of, t
from ui.page.terms import dataset_name, net_label
from ui.page.state import keep
from ui.server import shared
from ui.training import estimates, page_runs, progress, served
from ui.users import identity

DEPTHS = [20, 56]
DATASETS = ["digits", "shapes"]
STEPS = [150, 300, 600]
TRAIN_GROUP = groups.STUDY_PAIR
SEARCH = 400   # newest runs looked through for twins or a study that is already there


@st.cache_data(ttl=2.0, max_entries=64, show_spinner=False)
def _runs(group: str | None, owner: str | None, limit: int = SEARCH, *, status: str | None = None,
          nets_only: bool = False) -> list:
    # Shared for two seconds: a class opening the same page asks the store once.
    return shared.store().list_runs(owner=owner, group=group, limit=limit, status=status, nets_only=nets_only)


def _same_training(info, model_cfg, train_cfg) -> bool:
    # The runner may have put its own device in the config: the device does not change the net.
    return (info.model_cfg == model_cfg
            and info.train_cfg.replace(device="auto") == train_cfg.replace(device="auto"))


def _fresh_if_ended(run_ids) -> None:
    """The shared list above is up to two seconds old. When the runs it calls active have ended
    since (the live part's rerun at the end comes within that time), read it afresh and draw the
    page again; otherwise the page would show a finished run's progress and wait for nothing."""
    if not progress.any_active(run_ids):
        _runs.clear()
        st.rerun()


def _find_twins(configs) -> tuple[list[int], bool]:
    """Run ids of the newest twins trained with exactly these configs, finished by anyone on any
    page (a Degradation experiment trains the same two nets with the same recipe), else this
    user's twins still in the queue; ([], False) when there is none. True: finished. This user's
    runs include those that served their press (resnet_core.jobs.sharing), whoever started them:
    a press answered by a classmate's runs shows them at once, never the train button again."""
    mine = page_runs.recent(mine=True, limit=60)
    own = {i.id for i in mine}
    infos = _runs(None, None, nets_only=True) + mine   # studies' rows hold no net: not in the way
    found: dict[bool, list[int]] = {}
    for finished in (True, False):
        ids = []
        for _, m, tc in configs:
            match = next((i for i in infos if _same_training(i, m, tc) and (
                i.status == "finished" and i.has_checkpoint if finished
                else i.status in page_runs.ACTIVE and i.id in own)), None)
            ids.append(match.id if match else None)
        if all(ids):
            found[finished] = ids
    if True in found:
        return found[True], True
    return found.get(False, []), False


def twins_ui(prefix: str) -> tuple[int, int] | None:
    """Where the two nets come from: trained here, or picked from stored runs."""
    source = st.segmented_control(t("twins.source"), ["train", "runs"], default="train", required=True,
                                  format_func=label_of("twins.source"), **keep(f"{prefix}_source"))
    return _train_ui(prefix) if source == "train" else _pick_ui(prefix)


def _train_ui(prefix: str) -> tuple[int, int] | None:
    c1, c2, c3, c4 = st.columns([1, 1.5, 2, 1])   # the dataset's name whole ("손글씨 숫자 (8×8)") at 1280 px
    depth = c1.segmented_control(t("twins.depth"), DEPTHS, default=20, required=True, **keep(f"{prefix}_depth"))
    dataset = c2.selectbox(t("twins.dataset"), DATASETS, format_func=label_of("twins.datasets"),
                           **keep(f"{prefix}_dataset"))
    steps = c3.select_slider(t("twins.steps"), STEPS, 300, **keep(f"{prefix}_steps"))
    seed = int(c4.number_input(t("twins.seed"), 0, 9999, 0, **keep(f"{prefix}_seed")))
    configs = [row for row in experiments.degradation_configs(dataset, steps=int(steps), seed=seed)
               if row[1].depth == depth]
    names = tuple(m.kind for _, m, _ in configs)
    ids, finished = _find_twins(configs)
    if finished:
        st.caption(t("twins.trained", plain=ids[0], residual=ids[1]))
        return ids[0], ids[1]
    if ids:
        _fresh_if_ended(ids)
        progress.live_runs(ids, lambda views: progress.progress_rows(views, f"{prefix}_twins"),
                           stop_prefix=f"{prefix}_twins")
        return None
    # A net of the pair that diverged here serves the press (sharing) and has nothing to study:
    # say so, and no button that would bring back the same run.
    found = estimates.served_runs(configs)   # read once for the three questions below
    gone = estimates.diverged(configs, found)
    if gone:
        st.warning(t("twins.diverged", nets=", ".join(net_label(n) for n in gone)), icon=":material/warning:")
        return None
    # A pair trained here whose weights were dropped since would serve the press again (sharing)
    # and the page would ask for the same press forever: it is trained anew, and the page says why.
    weightless = served.weightless(configs, found)
    # Net names in the reader's language ("플레인-20"), so the particle after them reads right.
    st.caption(t("twins.retrain" if weightless else "twins.train_help", plain=net_label(names[0]),
                 residual=net_label(names[1]), steps=steps))
    estimates.line(configs if weightless else estimates.still_to_train(configs, found))
    if st.button(t("twins.train"), type="primary", icon=":material/play_arrow:", key=f"{prefix}_train_twins"):
        if page_runs.submit(configs, group=TRAIN_GROUP, share=not weightless):
            _runs.clear()
            st.rerun()
    return None


def _run_option(info) -> str:
    acc = "–" if info.test_acc is None else f"{info.test_acc:.1%}"
    # Datasets this page does not train on (a run from Build & Train) by Build & Train's name for them.
    dataset = info.train_cfg.dataset
    return t("twins.run_option", id=info.id, name=net_label(info.label or info.model_cfg.kind),
             dataset=dataset_name(dataset, "twins.datasets"), acc=acc)


def _pick_ui(prefix: str) -> tuple[int, int] | None:
    everyone = st.toggle(t("twins.class_runs"), help=t("twins.class_runs_help"), **keep(f"{prefix}_class"))
    # The newest finished nets: studies and predictions (analysis tasks) and unfinished runs left
    # out in the store, so they never fill the window and bring up "no finished runs" too early.
    usable = [i for i in _runs(None, None if everyone else identity.owner(), status="finished", nets_only=True)
              if i.status == "finished" and i.has_checkpoint and i.model_cfg.family != "vgg"]
    by_id = {i.id: i for i in usable}
    plain = [i.id for i in usable if not i.model_cfg.residual]
    residual = [i.id for i in usable if i.model_cfg.residual]
    if not plain or not residual:
        # While only this browser's runs are listed, say that the class's may be included.
        st.info(t("twins.none_stored") + ("" if everyone else "\n\n" + t("twins.none_stored.class")),
                icon=":material/inventory_2:")
        return None
    c1, c2 = st.columns(2)
    p = c1.selectbox(t("twins.plain_run"), plain, format_func=in_run_language(lambda i: _run_option(by_id[i])),
                     **keep(f"{prefix}_plain_run"))
    twin = [i for i in residual if _twins(by_id[p], by_id[i])]
    key = f"{prefix}_residual_run"
    if twin and key not in st.session_state:
        st.session_state[key] = twin[0]   # the plain net's own twin, when the store has it
    r = c2.selectbox(t("twins.residual_run"), residual, format_func=in_run_language(lambda i: _run_option(by_id[i])),
                     **keep(key))
    if not _twins(by_id[p], by_id[r]):
        st.caption(t("twins.not_twins"))
    return p, r


def known_not_twins(plain_id: int, residual_id: int) -> bool:
    """Whether two stored runs differ in more than their shortcuts: a pair trained on this page
    never does, two runs picked from the store may (a study's text then says so). False when a
    run has been deleted since the study: nothing is known, and nothing is claimed."""
    store = shared.store()
    try:
        return not _twins(store.get_run(plain_id), store.get_run(residual_id))
    except RunNotFound:
        return False


def _twins(plain, residual) -> bool:
    return (plain.model_cfg.replace(residual=True) == residual.model_cfg
            and plain.train_cfg.replace(device="auto") == residual.train_cfg.replace(device="auto"))


# --- the study ----------------------------------------------------------------------------------

def _group(name: str, params: dict) -> str:
    """Equal settings, equal group: how a finished study is found again, by anyone."""
    digest = hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:12]
    return f"{name}-{digest}"


def study_intro(prefix: str) -> tuple[int, int] | None:
    """The top of a study page (Lesion, Landscape): who you are, how the study works, and the
    trained twins it studies (None until there are some)."""
    identity.identity_box(prefix)
    with st.expander(t(f"{prefix}.how_title")):
        st.markdown(t(f"{prefix}.how"))
    st.subheader(t(f"{prefix}.nets_title"))
    return twins_ui(prefix)


def study_ui(prefix: str, name: str, twin_ids: tuple[int, int], params: dict) -> dict | None:
    """The study of the twins `twin_ids` with `params`: its result when one has finished; else its progress
    while it is queued or running; else a button that queues it."""
    params = {**params, "run_ids": [int(twin_ids[0]), int(twin_ids[1])]}
    group = _group(name, params)
    infos = _runs(group, None, 20)
    done = next((i for i in infos if i.status == "finished"), None)
    if done is not None:
        result = shared.store().result(done.id)
        if result is not None:
            return result
    mine = next((i for i in infos if i.status in page_runs.ACTIVE and i.owner == identity.owner()), None)
    if mine is not None:
        _fresh_if_ended([mine.id])
        progress.live_runs([mine.id], lambda views: _progress(views, prefix, name))
        return None
    failed = next((i for i in infos if i.status == "failed" and i.owner == identity.owner()), None)
    if failed is not None and failed.error:
        why = reason_text(failed.error, failed.error_code, failed.error_values)
        st.warning(t("twins.study_failed", msg=why), icon=":material/error:")
    if st.button(t(f"twins.run.{name}"), type="primary", icon=":material/science:", key=f"{prefix}_run_study"):
        if page_runs.submit_task(name, params, label=t(f"twins.task.{name}"), group=group):
            _runs.clear()
            st.rerun()
    return None


def _progress(views, prefix: str, name: str) -> None:
    for view in views:
        info = view.info
        text = (t("twins.study_queued") if info.status == "queued"
                else t("twins.study_running", task=t(f"twins.task.{name}"), done=info.steps_done,
                       total=info.total_steps or "…"))
        cols = st.columns([5, 1])
        cols[0].progress(view.progress if info.total_steps else 0.0, text=text)
        if view.active and cols[1].button(t("runs.stop"), key=f"{prefix}_stop_study_{view.id}",
                                          icon=":material/stop:"):
            page_runs.cancel(view.id)
