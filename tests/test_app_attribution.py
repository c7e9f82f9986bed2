"""The Attribution page under AppTest: a map for every method and both nets of the shipped twin
(the page never trains), the settings reach the methods, another class can be explained, another
setting is queued, stored runs and uploads work."""

import io
import json

import numpy as np
import pytest
from apptest_helpers import array, assert_clean, open_page, own_store
from PIL import Image
from streamlit.testing.v1 import AppTest

from resnet_core import TrainConfig
from resnet_core.inspection import inspect_models as im
from resnet_core.inspection.attribution import METHODS
from resnet_core.training import engine, twins

TIMEOUT = 120
pytestmark = pytest.mark.usefixtures("one_thread", "never_trains")
NETS = ("plain-20", "ResNet-20")         # the shipped default twin


@pytest.fixture
def never_trains(monkeypatch):
    """The page's process must never train: queued runs train in the job runner's workers."""
    monkeypatch.setattr(engine, "train", lambda *a, **k: pytest.fail("a page request trained a net"))


def open_attribution(lang: str = "en", owner: str | None = None, **state) -> AppTest:
    return open_page("attribution", lang, owner=owner, state=state, timeout=TIMEOUT)


def maps_figure(at: AppTest) -> dict:
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts) == 1, "one figure: a row per net, a column per method"
    return charts[0]


def heatmaps(at: AppTest) -> dict[str, np.ndarray]:
    """'<net> · <method>' -> the heat map drawn over the image."""
    return {d["name"]: array(d["z"]) for d in maps_figure(at)["data"] if d["type"] == "heatmap"}


def test_every_method_gives_a_map_for_both_nets():
    at = open_attribution()
    assert at.title[0].value == "Attribution"
    maps = heatmaps(at)
    assert set(maps) == {f"{net} · {m}" for net in NETS for m in METHODS}
    for name, heat in maps.items():
        assert heat.shape == (16, 16), name
        assert heat.min() >= 0 and heat.max() <= 1 + 1e-9
        assert heat.max() == pytest.approx(1.0) or heat.max() == 0, name
    images = [d for d in maps_figure(at)["data"] if d["type"] == "image"]
    assert len(images) == 2 * (1 + len(METHODS))
    assert [m.label for m in at.metric] == ["Prediction", "True class"] * 2
    assert all(m.delta.startswith("probability ") and m.delta.endswith("%") for m in at.metric if m.delta)


@pytest.mark.parametrize("method", METHODS)
def test_one_method_at_a_time(method):
    at = open_attribution(attribution_methods=[method])
    assert set(heatmaps(at)) == {f"{net} · {method}" for net in NETS}


def test_the_page_speaks_korean():
    at = open_attribution("ko")
    assert at.title[0].value == "입력 기여도"
    assert at.pills(key="attribution_methods").label == "방법"
    assert [m.label for m in at.metric] == ["예측", "정답"] * 2


def test_explaining_another_class_and_the_settings_reach_the_methods():
    at = open_attribution()
    before = heatmaps(at)
    at.selectbox(key="attribution_target").set_value(3).run()
    assert_clean(at)
    notes = [c.value for c in at.caption if c.value.startswith("Explaining class 3")]
    assert len(notes) == 2
    after = heatmaps(at)
    assert any(not np.allclose(before[k], after[k]) for k in before)
    at.select_slider(key="attribution_window").set_value(4).run()
    wide = heatmaps(at)
    assert not np.allclose(after["ResNet-20 · occlusion"], wide["ResNet-20 · occlusion"])
    np.testing.assert_allclose(after["ResNet-20 · saliency"], wide["ResNet-20 · saliency"])
    gaps = lambda: [c.value for c in at.caption if c.value.startswith("Integrated Gradients check")]   # noqa: E731
    few = gaps()
    at.select_slider(key="attribution_ig_steps").set_value(64).run()
    assert len(few) == 2 and gaps() != few


def test_no_method_chosen_gives_a_note():
    at = open_attribution(attribution_methods=[])
    assert any("at least one method" in i.value for i in at.info)
    assert not at.get("plotly_chart")


def test_opacity_reaches_the_overlay():
    at = open_attribution(attribution_opacity=0.3)
    assert {d["opacity"] for d in maps_figure(at)["data"] if d["type"] == "heatmap"} == {0.3}


def test_the_shipped_twin_is_explained_and_its_accuracy_quoted():
    at = open_attribution()
    accs = [twins.shipped_meta(twins.DEFAULT, r)["test_acc"] for r in (False, True)]
    note = next(c.value for c in at.caption if c.value.startswith("Both nets"))
    assert f"plain {accs[0]:.1%}, residual {accs[1]:.1%}" in note and "ship with the app" in note


def test_another_setting_is_queued_not_trained(tmp_path_factory):
    with own_store(tmp_path_factory, "attribution-queue") as db:
        at = open_attribution("ko", owner="attr0que", attribution_depth=14)
        assert not at.get("plotly_chart")
        assert any("아직 없습니다" in i.value for i in at.info)
        assert at.button(key="attribution_train_twin").label == "이 두 네트워크 학습하기"
        from resnet_core.store.runs import RunStore

        assert RunStore(db).list_runs() == []          # nothing is queued before the click


@pytest.fixture
def run_store(tmp_path_factory):
    """A store of its own that the page reads, holding one finished run; it goes away with the test."""
    from resnet_core.jobs import runner as jobs

    with own_store(tmp_path_factory, "attribution-runs"):
        store = jobs.get_runner().store
        spec = im.TwinSpec("digits", 8, 8, 0)
        run = store.create_run(spec.model_config(True), TrainConfig(dataset="digits", steps=1), label="stored")
        store.save_checkpoint(run, im.twin_member(spec, True).model)
        store.finish_run(run, status="finished", seconds=1.0, steps_done=1, final_train_loss=2.0,
                         final_train_acc=0.1, test_acc=0.1)
        yield run


def test_a_stored_run_can_be_explained(run_store):
    at = open_attribution(attribution_source="run", attribution_run_left=run_store, attribution_run_right=0,
                          attribution_methods=["gradcam"])
    assert set(heatmaps(at)) == {f"#{run_store} stored · gradcam"}


def test_uploads_are_explained_and_bad_ones_refused():
    at = open_attribution("ko", attribution_image_source="upload", attribution_methods=["saliency"])
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (40, 30, 3), dtype=np.uint8)).save(buf, "PNG")
    good = buf.getvalue()
    uploader = at.file_uploader(key="attribution_upload")
    uploader.set_value(("cut.png", good[:60], "image/png")).run()
    assert_clean(at)
    assert any("손상되어" in w.value for w in at.warning)
    at.file_uploader(key="attribution_upload").set_value(("ok.png", good, "image/png")).run()
    assert_clean(at)
    assert not at.warning and len(heatmaps(at)) == 2
