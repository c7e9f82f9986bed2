"""The Attribution page under AppTest: a map for every method and both nets of the shipped twin
(the page never trains), the settings reach the methods, another class can be explained, another
setting is queued, stored runs and uploads work."""

import io

import numpy as np
import plotly.colors as pc
import pytest
from apptest_helpers import (
    assert_clean,
    colour_bars,
    open_page,
    own_store,
    picture_blocks,
)
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


NAMES = {"saliency": "Saliency", "integrated_gradients": "Integrated Gradients", "gradcam": "Grad-CAM",
         "occlusion": "Occlusion"}
# A Korean textbook names the methods in Korean; Grad-CAM is a name and stays.
NAMES_KO = {"saliency": "돌출 맵", "integrated_gradients": "적분 그래디언트", "gradcam": "Grad-CAM", "occlusion": "가리기"}
# The overlay's colour scale as the page defined it for plotly: [position, rgba], transparent at 0.
SCALE = [[0.0, "rgba(255,235,59,0)"], [0.15, "rgba(255,235,59,0.15)"], [0.45, "rgba(255,152,0,0.6)"],
         [0.75, "rgba(230,40,20,0.85)"], [1.0, "rgba(150,0,60,1)"]]


def maps_block(at: AppTest) -> list:
    blocks = picture_blocks(at)
    assert len(blocks) == 1, "one table: a row per net, a column per method"
    return blocks[0]


def overlays(at: AppTest) -> dict[str, np.ndarray]:
    """'<net> · <method name>' -> the picture with its heat map, as sent."""
    return {tip: pixels for pixels, tip, _ in maps_block(at) if tip.split(" · ")[-1] not in ("Image", "이미지")}


def to8(image: np.ndarray) -> np.ndarray:
    return np.floor(np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)


def naive_blend(display: np.ndarray, heat: np.ndarray, opacity: float) -> np.ndarray:
    """The picture under a plotly heatmap of `heat` drawn at `opacity`: each pixel's colour from
    plotly's own sampling of the scale (RGB; it drops alpha), its alpha by interpolating the stops'."""
    rgb = np.array([[float(v) for v in c[4:-1].split(",")] for c in pc.sample_colorscale(SCALE, list(heat.ravel()))])
    alpha = np.interp(heat.ravel(), [p for p, _ in SCALE], [float(c.split(",")[-1][:-1]) for _, c in SCALE])
    weight = opacity * alpha[:, None]
    base = to8(display).reshape(-1, 3).astype(float)
    return np.floor(base * (1 - weight) + rgb * weight + 0.5).reshape(display.shape)


def reference_maps(at: AppTest, residual: bool) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The shipped net's image and heat maps for the page's settings, computed here from the library."""
    spec = twins.DEFAULT
    model = im.twin_member(spec, residual).model
    picture = im.held_out(spec.data, 0)
    options = {"saliency": {}, "integrated_gradients": {"n_steps": at.select_slider(key="attribution_ig_steps").value},
               "occlusion": {"window": max(1, round(16 / at.select_slider(key="attribution_window").value))},
               "gradcam": {"layer": at.selectbox(key="attribution_cam_layer").value}}
    return picture.display, {m: im.explain(model, picture.x, m, None, **options[m]).heatmap for m in METHODS}


def test_every_method_gives_a_map_for_both_nets():
    at = open_attribution()
    assert at.title[0].value == "Attribution"
    assert not at.get("plotly_chart")                      # nothing on arrival needs the chart library
    maps = overlays(at)
    assert set(maps) == {f"{net} · {NAMES[m]}" for net in NETS for m in METHODS}
    assert all(pixels.shape == (16, 16, 3) for pixels in maps.values())
    images = [pixels for pixels, tip, _ in maps_block(at) if tip.endswith(" · Image")]
    assert len(images) == 2 and len(maps_block(at)) == 2 * (1 + len(METHODS))
    markup = next(md.value for md in at.markdown if 'class="rx-pictures"' in md.value)
    for title in ["Image", *NAMES.values(), *NETS]:
        assert f">{title}</div>" in markup
    assert colour_bars(at) == [(0.0, 1.0, "attribution (scaled 0–1): 0 – 1")]
    assert [m.label for m in at.metric] == ["Prediction", "True class"] * 2
    assert all(m.delta.startswith("probability ") and m.delta.endswith("%") for m in at.metric if m.delta)


@pytest.mark.parametrize("opacity", [0.3, 0.9])
def test_each_overlay_is_the_image_under_its_heat_map_at_the_chosen_opacity(opacity):
    at = open_attribution(attribution_opacity=opacity)
    maps = overlays(at)
    images = {tip: pixels for pixels, tip, _ in maps_block(at) if tip.endswith(" · Image")}
    for residual, net in enumerate(NETS):
        display, heat = reference_maps(at, bool(residual))
        np.testing.assert_array_equal(images[f"{net} · Image"], to8(display))
        for method in METHODS:
            want = naive_blend(display, heat[method], opacity)
            got = maps[f"{net} · {NAMES[method]}"].astype(int)
            assert np.abs(got - want).max() <= 1, (net, method)
            assert np.abs(got - to8(display)).max() > 10, (net, method)   # the map does show


@pytest.mark.parametrize("method", METHODS)
def test_one_method_at_a_time(method):
    at = open_attribution(attribution_methods=[method])
    assert set(overlays(at)) == {f"{net} · {NAMES[method]}" for net in NETS}


def test_the_page_speaks_korean():
    at = open_attribution("ko")
    assert at.title[0].value == "입력 기여도"
    assert at.pills(key="attribution_methods").label == "방법"
    assert [m.label for m in at.metric] == ["예측", "정답"] * 2
    markup = next(md.value for md in at.markdown if 'class="rx-pictures"' in md.value)
    assert ">이미지</div>" in markup and len(overlays_ko := maps_block(at)) == 2 * (1 + len(METHODS))
    assert {tip.split(" · ")[1] for _, tip, _ in overlays_ko} == {"이미지", *NAMES_KO.values()}
    assert {tip.split(" · ")[0] for _, tip, _ in overlays_ko} == {"플레인-20", "ResNet-20"}   # as every chart names them
    assert colour_bars(at)[0][2] == "기여도 (0–1로 조정): 0 – 1"


def test_explaining_another_class_and_the_settings_reach_the_methods():
    at = open_attribution()
    before = overlays(at)
    at.selectbox(key="attribution_target").set_value(3).run()
    assert_clean(at)
    notes = [c.value for c in at.caption if c.value.startswith("Explaining class 3")]
    assert len(notes) == 2
    after = overlays(at)
    assert any(not np.array_equal(before[k], after[k]) for k in before)
    at.select_slider(key="attribution_window").set_value(4).run()
    wide = overlays(at)
    assert not np.array_equal(after["ResNet-20 · Occlusion"], wide["ResNet-20 · Occlusion"])
    np.testing.assert_array_equal(after["ResNet-20 · Saliency"], wide["ResNet-20 · Saliency"])
    gaps = lambda: [c.value for c in at.caption if c.value.startswith("Integrated Gradients check")]   # noqa: E731
    few = gaps()
    at.select_slider(key="attribution_ig_steps").set_value(64).run()
    assert len(few) == 2 and gaps() != few


def test_no_method_chosen_gives_a_note():
    at = open_attribution(attribution_methods=[])
    assert any("at least one method" in i.value for i in at.info)
    assert not at.get("plotly_chart") and not picture_blocks(at)


def test_the_shipped_twin_is_explained_and_its_accuracy_quoted():
    at = open_attribution()
    accs = [twins.shipped_meta(twins.DEFAULT, r)["test_acc"] for r in (False, True)]
    note = next(c.value for c in at.caption if c.value.startswith("Both nets"))
    assert f"plain {accs[0]:.1%}, residual {accs[1]:.1%}" in note and "ship with the app" in note


def test_another_setting_is_queued_not_trained(tmp_path_factory):
    with own_store(tmp_path_factory, "attribution-queue") as db:
        at = open_attribution("ko", owner="attr0que", attribution_depth=14)
        assert not at.get("plotly_chart") and not picture_blocks(at)
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
    assert set(overlays(at)) == {f"#{run_store} stored · Grad-CAM"}


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
    assert not at.warning and len(overlays(at)) == 2
