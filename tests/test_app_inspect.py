"""The picker the Feature maps and Attribution pages share (ui/training/net_picker.py), seen from both pages:
the same sources under the same names, the same stored runs, and the same message for a run that
is still training or gone, a twin setting in the queue, missing images and a refused upload."""

import time
from types import SimpleNamespace

import pytest
from apptest_helpers import APP, assert_clean, open_page, own_store, wait_runs_ended
from streamlit.testing.v1 import AppTest

from resnet_core import TrainConfig, build_model
from resnet_core.inspection import inspect_models as im
from resnet_core.training import engine

TIMEOUT = 120
pytestmark = pytest.mark.usefixtures("one_thread", "never_trains")
PAGES = ("features", "attribution")
# Attribution's slowest methods are not what these tests are about.
QUICK = {"features": {}, "attribution": {"attribution_methods": ["saliency"]}}
TWIN = im.TwinSpec("digits", depth=8, width=8, steps=40)     # a setting that does not ship


@pytest.fixture
def never_trains(monkeypatch):
    """The page's process must never train: queued runs train in the job runner's workers."""
    monkeypatch.setattr(engine, "train", lambda *a, **k: pytest.fail("a page request trained a net"))


def hold(model_cfg, train_cfg, *, should_stop, sink):
    """Stands in for the engine in the runner: a run that trains until it is stopped."""
    while not should_stop():
        time.sleep(0.01)
    sink.store.set_status(sink.run_id, "cancelled", "stopped before it finished")
    return SimpleNamespace(status="cancelled", error="")


def add_run(store, label: str, status: str = "finished", **train) -> int:
    model_cfg = im.TwinSpec("digits", 8, 8, 0).model_config(True)
    if train.get("dataset") == "mnist":
        model_cfg = model_cfg.replace(input_size=28)
    run = store.create_run(model_cfg, TrainConfig(**{"dataset": "digits", "steps": 1, **train}), label=label,
                           status="running" if status == "running" else "queued")
    store.save_checkpoint(run, build_model(model_cfg))
    if status != "running":
        store.finish_run(run, status=status, seconds=1.0, steps_done=1, final_train_loss=2.0,
                         final_train_acc=0.1, test_acc=0.25)
    return run


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A store and runner of our own (queued runs hold until stopped): one finished run, one still
    training, one that failed."""
    from resnet_core.jobs import runner as jobs
    from resnet_core.store.runs import RunStore
    from ui.server import shared

    with own_store(tmp_path_factory, "inspect-picker") as db:
        jobs._RUNNER = jobs.JobRunner(RunStore(db), train_fn=hold)
        shared.runner.clear()
        store = RunStore(db)
        made = SimpleNamespace(store=store, finished=add_run(store, "mine"),
                               running=add_run(store, "busy", "running"), failed=add_run(store, "broke", "failed"))
        yield made


def open_link(page: str, params: dict) -> AppTest:
    """A new browser opening /page?params, as a shared link does."""
    from ui.page import nav

    if not nav.exists(page):                 # the router registers the pages on its first run
        AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in params.items():
        at.query_params[name] = value
    at.switch_page(nav.file_of(page)).run()
    assert_clean(at)
    return at


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_both_pages_offer_the_same_sources_and_the_same_runs(store, lang):
    seen = {}
    for page in PAGES:
        at = open_page(page, lang, state={f"{page}_source": "run", **QUICK[page]}, timeout=TIMEOUT)
        seen[page] = (at.segmented_control(key=f"{page}_source").options,
                      at.selectbox(key=f"{page}_run_left").options)
    (f_sources, f_runs), (a_sources, a_runs) = seen["features"], seen["attribution"]
    # Attribution explains trained nets only: the fresh twin is Feature maps' alone.
    assert len(f_sources) == 3 and a_sources == [f_sources[0], f_sources[2]]
    if lang == "en":
        assert f_sources == ["Trained", "Freshly initialised", "A stored run"]
    assert f_runs == a_runs
    offered = [o.split(" · ")[0] for o in f_runs]
    # Whose run each is, as the class reads it: a name, "command line" or "student 3", never an id.
    whose = {o.rsplit(" · ", 1)[1] for o in f_runs}
    assert whose and all(w for w in whose) and not any(len(w) == 16 and w.isalnum() for w in whose)
    assert f"#{store.finished}" in offered
    assert f"#{store.running}" not in offered and f"#{store.failed}" not in offered


@pytest.mark.parametrize("which", ["running", "failed", "gone"])
def test_a_run_that_is_not_finished_gets_the_same_message_on_both_pages(store, which):
    run = {"running": store.running, "failed": store.failed, "gone": 999}[which]
    toasts = []
    for page in PAGES:
        at = open_link(page, {"lang": "en", "source": "run", "run_left": str(run)})
        left = at.selectbox(key=f"{page}_run_left")
        assert left.value != run and store.store.get_run(left.value).status == "finished"
        toasts.append([t.value for t in at.toast])
    assert toasts[0] == toasts[1] == [f"The link's setting run_left={run} is not available on this page, "
                                      "so the default is used."]


def test_a_twin_setting_in_training_shows_the_same_progress_on_both_pages(store):
    from resnet_core.jobs import runner as jobs
    from resnet_core.training import twins

    setting = {"depth": TWIN.depth, "width": TWIN.width, "steps": TWIN.steps}
    first = open_page("features", "ko", owner="pick0que", state={f"features_{k}": v for k, v in setting.items()},
                      timeout=TIMEOUT)
    first.button(key="features_train_twin").click().run()
    assert_clean(first)
    queued = [r for r in store.store.list_runs(group=twins.GROUP) if r.status in ("queued", "running")]
    assert len(queued) == 2
    infos = []
    for page in PAGES:
        at = open_page(page, "ko", owner="pick1any", state={f"{page}_{k}": v for k, v in setting.items()},
                       timeout=TIMEOUT)
        assert not at.button and not at.get("plotly_chart")         # nothing to draw, nothing to queue again
        infos.append([i.value for i in at.info if "플레인-8과 ResNet-8을" in i.value])
    assert infos[0] == infos[1] and len(infos[0]) == 1
    for r in queued:
        jobs.get_runner().cancel(r.id)
    wait_runs_ended(store.store, [r.id for r in queued], 30, "cancelled runs did not stop")


@pytest.mark.parametrize("page", PAGES)
def test_a_run_whose_images_are_missing_says_so_on_both_pages(store, page, tmp_path):
    lost = add_run(store.store, "lost", dataset="mnist", data_dir=str(tmp_path / "nowhere"))
    at = open_page(page, state={f"{page}_source": "run", f"{page}_run_left": lost, f"{page}_run_right": 0,
                                **QUICK[page]}, timeout=TIMEOUT)
    assert [w.value for w in at.warning if "not available here" in w.value and "nowhere" in w.value]
    assert not at.get("plotly_chart")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_too_large_upload_gets_the_same_message_on_both_pages(lang):
    too_large = b"\x89PNG\r\n\x1a\n" + bytes(im.UPLOAD_MAX_BYTES)
    warnings = []
    for page in PAGES:
        at = open_page(page, lang, state={f"{page}_image_source": "upload", **QUICK[page]}, timeout=TIMEOUT)
        at.file_uploader(key=f"{page}_upload").set_value(("big.png", too_large, "image/png")).run()
        assert_clean(at)
        warnings.append([w.value for w in at.warning])
    assert warnings[0] == warnings[1] and len(warnings[0]) == 1
    assert ("the limit is 5 MB" if lang == "en" else "최대 5MB") in warnings[0][0]
