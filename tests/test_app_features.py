"""The Feature maps page under AppTest: widgets -> twin spec -> channel grids and statistics, the
shipped twin by default (the page never trains), other settings queued as runs, stored runs, and
every kind of rejected upload turned into a translated message."""

import io
import re
import struct
import time
import zlib
from types import SimpleNamespace

import numpy as np
import plotly.colors as pc
import pytest
from apptest_helpers import (
    assert_clean,
    colour_bars,
    open_page,
    own_store,
    picture_blocks,
    progress_bars,
    svg_charts,
    svg_series,
    svg_title,
    wait_runs_ended,
)
from PIL import Image
from streamlit.testing.v1 import AppTest

from resnet_core import TrainConfig, build_model
from resnet_core.inspection import inspect_models as im
from resnet_core.training import engine, twins

TIMEOUT = 120
pytestmark = pytest.mark.usefixtures("one_thread", "never_trains")


@pytest.fixture
def never_trains(monkeypatch):
    """The page's process must never train: queued runs train in the job runner's workers."""
    monkeypatch.setattr(engine, "train", lambda *a, **k: pytest.fail("a page request trained a net"))


def open_features(lang: str = "en", owner: str | None = None, **state) -> AppTest:
    return open_page("features", lang, owner=owner, state=state, timeout=TIMEOUT)


def grids(at: AppTest) -> list[list]:
    """The channel grids as sent: per net, each channel's (pixels, tooltip, caption = channel number)."""
    return [block for block in picture_blocks(at) if block and block[0][2].isdigit()]


def grid_markups(at: AppTest) -> list[str]:
    return [md.value for md in at.markdown if 'class="rx-pictures"' in md.value and "<figcaption" in md.value]


def shown_channels(grid: list) -> set[int]:
    return {int(caption) for _, _, caption in grid}


def inputs(at: AppTest) -> list[np.ndarray]:
    """The input pictures as sent: the blocks of one picture without a caption."""
    return [block[0][0] for block in picture_blocks(at) if len(block) == 1 and not block[0][2]]


def reference_grid(at: AppTest, residual: bool, index: int = 0):
    """The channel grid the page's settings give, computed here from the library."""
    spec = im.TwinSpec("digits", at.select_slider(key="features_depth").value,
                       at.select_slider(key="features_width").value, at.slider(key="features_steps").value)
    model = im.twin_member(spec, residual).model
    return im.channel_grid(model, im.held_out(spec.data, index).x, at.selectbox(key="features_layer").value,
                           at.select_slider(key="features_channels").value)


def viridis(values: np.ndarray) -> np.ndarray:
    """plotly's own Viridis at each value in [0, 1], as (N, 3) ints."""
    return np.array([[int(v) for v in c[4:-1].split(",")]
                     for c in pc.sample_colorscale("Viridis", list(np.clip(values, 0, 1)))])


def check_stats_chart(at: AppTest) -> None:
    """The statistics chart (SVG) carries, for each net, the library's mean, spread and share of
    zeros of every layer, in that order, on one x axis."""
    (chart,) = svg_charts(at)
    assert svg_title(chart) == "Activation statistics per layer"
    spec = im.TwinSpec("digits", at.select_slider(key="features_depth").value,
                       at.select_slider(key="features_width").value, at.slider(key="features_steps").value)
    points = svg_series(chart)
    assert list(points) == ["plain-20", "ResNet-20"]
    for name, residual in (("plain-20", False), ("ResNet-20", True)):
        stats = im.layer_stats(im.twin_member(spec, residual).model, im.held_out_batch(spec.data))
        n = len(stats["name"])
        tips = [tip for _, _, tip in points[name]]
        want = ([f"{name}\n{layer}: {v:.3f}" for layer, v in zip(stats["name"], stats["mean"])]
                + [f"{name}\n{layer}: {v:.3f}" for layer, v in zip(stats["name"], stats["std"])]
                + [f"{name}\n{layer}: {100 * v:.1f}%" for layer, v in zip(stats["name"], stats["zero_frac"])])
        assert tips == want
        xs = [x for x, _, _ in points[name]]
        for panel in range(3):                       # x = 1..n left to right in each panel
            assert xs[panel * n:(panel + 1) * n] == sorted(xs[panel * n:(panel + 1) * n])


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def test_page_shows_the_shipped_twins_in_english_and_korean():
    at = open_features("en")
    assert at.title[0].value == "Feature maps"
    assert [h.value for h in at.subheader] == ["plain-20", "ResNet-20"]
    assert len(grids(at)) == 2 and [len(g) for g in grids(at)] == [16, 16]
    assert "16 of 32 channels, each 8×8 pixels" in captions(at)   # stage2.block0 at width 16
    assert grids(at)[0][0][1].startswith("channel 0: ") and colour_bars(at)[0][2].startswith("activation: ")
    assert [p.shape for p in inputs(at)] == [(16, 16, 3)] * 2
    accs = [twins.shipped_meta(twins.DEFAULT, r)["test_acc"] for r in (False, True)]
    note = next(c for c in captions(at) if c.startswith("Both nets"))
    assert f"plain {accs[0]:.1%}, residual {accs[1]:.1%}" in note and "ship with the app" in note
    assert not at.get("plotly_chart")                              # pictures PNG, statistics SVG
    check_stats_chart(at)
    # The block outputs' growth is read from the chart's own numbers (measured: it grows in each
    # stage of the shipped ResNet-20), and the plain net, which adds nothing, gets no sentence.
    texts = [m.value for m in at.markdown]
    assert any("over 128 held-out images" in x for x in texts)
    grow = [x for x in texts if "spread wider from the first block of each stage to its last" in x]
    assert len(grow) == 1 and grow[0].startswith("The block outputs of ResNet-20") and " in stage 1, " in grow[0]
    # Each standard deviation the sentence states is a point of the chart above it, as that point
    # reads (the same decimals): never "1.43" beside the chart's 1.435.
    chart = next(m.value for m in at.markdown if "<title>Activation statistics per layer</title>" in m.value)
    pairs = re.findall(r"([0-9.]+) → ([0-9.]+) in stage (\d)", grow[0])
    assert len(pairs) == 3
    for first, last, stage in pairs:
        assert f"stage{stage}.block0.act2: {first}</title>" in chart
        assert f"stage{stage}.block2.act2: {last}</title>" in chart
    ko = open_features("ko")
    [grow_ko] = [m.value for m in ko.markdown if "마지막 블록에서 더 넓게 퍼져 있습니다" in m.value]
    assert grow_ko.startswith("ResNet-20의 블록 출력") and "(표준편차: 스테이지 1에서 " in grow_ko
    assert ko.title[0].value == "특징 맵"
    assert "채널 32개 중 16개, 각 8×8픽셀" in captions(ko)
    assert ko.selectbox(key="features_layer").label == "층"
    assert grids(ko)[0][0][1].startswith("채널 0: ") and colour_bars(ko)[0][2].startswith("활성값: ")
    assert svg_title(svg_charts(ko)[0]) == "층별 활성값 통계" and list(svg_series(svg_charts(ko)[0])) == ["플레인-20", "ResNet-20"]


def test_changing_the_layer_changes_the_grids_channel_count():
    at = open_features(features_channels=32)
    seen = {}
    for layer, channels, side in [("stage1.block0", 16, 16), ("stage3.block0", 64, 4), ("stage2.block0.conv1", 32, 8)]:
        at.selectbox(key="features_layer").set_value(layer).run()
        assert_clean(at)
        shown = min(channels, 32)
        assert f"{shown} of {channels} channels, each {side}×{side} pixels" in captions(at)
        columns = 4 if shown <= 16 else 8
        for grid, markup in zip(grids(at), grid_markups(at)):
            assert shown_channels(grid) == set(range(shown)) and len(grid) == shown
            assert {pixels.shape[:2] for pixels, _, _ in grid} == {(side, side)}
            assert f"grid-template-columns:repeat({columns}," in markup
        seen[layer] = (shown, side, columns)
    assert len(set(seen.values())) == 3
    at.select_slider(key="features_channels").set_value(4).run()
    assert "4 of 32 channels, each 8×8 pixels" in captions(at)
    assert [shown_channels(g) for g in grids(at)] == [{0, 1, 2, 3}] * 2     # plain and residual


def test_the_grid_shows_the_activations_in_plotlys_viridis_on_the_layers_range():
    at = open_features()
    for residual, grid in zip((False, True), grids(at)):
        ref = reference_grid(at, residual)
        lo, hi = float(ref.maps.min()), float(ref.maps.max())
        assert colour_bars(at)[residual][:2] == pytest.approx((lo, hi), rel=1e-5)
        for (pixels, tip, caption), channel, m in zip(grid, ref.channels, ref.maps):
            assert int(caption) == channel
            number, low, high = re.fullmatch(r"channel (\d+): (\S+) to (\S+)", tip).groups()
            assert int(number) == channel                                    # three significant digits:
            assert [float(low), float(high)] == pytest.approx([m.min(), m.max()], rel=5e-3, abs=1e-9)
            want = viridis(((m - lo) / (hi - lo)).ravel())
            assert np.abs(pixels[..., :3].reshape(-1, 3).astype(int) - want).max() <= 1, channel
            assert (pixels[..., 3] == 255).all()


def test_scaling_each_channel_on_its_own_stretches_every_map_to_the_whole_scale():
    at = open_features()
    at.toggle(key="features_per_channel").set_value(True).run()
    assert_clean(at)
    assert [b[:2] for b in colour_bars(at)] == [(0.0, 1.0)] * 2
    assert all(b[2].startswith("scaled 0–1: ") for b in colour_bars(at))
    for residual, grid in zip((False, True), grids(at)):
        ref = reference_grid(at, residual)
        for (pixels, _, _), m in zip(grid, ref.maps):
            span = m.max() - m.min()
            want = viridis(((m - m.min()) / span if span > 0 else np.zeros_like(m)).ravel())
            assert np.abs(pixels[..., :3].reshape(-1, 3).astype(int) - want).max() <= 1


@pytest.mark.parametrize("per_channel", [False, True])
def test_flat_one_pixel_and_missing_maps_are_drawn_without_an_error(monkeypatch, per_channel):
    """A layer of 1x1 maps, all one value but one that is NaN: a picture per channel, the flat ones
    at the bottom of the scale, the NaN one transparent (raw) or at the bottom (scaled)."""
    import streamlit as st

    def odd(model, x, layer, max_channels=16):
        return im.ChannelGrid(layer, (4, 1, 1), [0, 1, 2, 3], np.array([0.5, 0.5, np.nan, 0.5], np.float32).reshape(4, 1, 1))

    st.cache_data.clear()                       # results cached with the real maps must not answer
    monkeypatch.setattr(im, "channel_grid", odd)
    try:
        at = open_features(features_per_channel=per_channel)
        assert "4 of 4 channels, each 1×1 pixels" in captions(at)
        bottom = [0x44, 0x01, 0x54]
        for grid in grids(at):
            assert [caption for _, _, caption in grid] == ["0", "1", "2", "3"]
            assert all(p.shape == (1, 1, 4) for p, _, _ in grid)
            assert all((p[0, 0, :3] == bottom).all() for i, (p, _, _) in enumerate(grid) if i != 2)
            assert grid[2][0][0, 0, 3] == (255 if per_channel else 0) and grid[2][1] == "channel 2: – to –"
        assert [b[:2] for b in colour_bars(at)] == [(0.0, 1.0) if per_channel else (0.5, 0.5)] * 2
    finally:
        monkeypatch.undo()
        st.cache_data.clear()


def test_a_fresh_twin_needs_no_training_and_the_image_number_is_kept():
    at = open_features(features_source="fresh", features_index=7)
    assert any(c.startswith("Freshly initialised") for c in captions(at))
    label = im.held_out(im.TwinSpec("digits", 8, 8, 0).data, 7).label
    assert f"True class: {label}" in captions(at)
    at.number_input(key="features_index").set_value(8).run()
    assert_clean(at)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_shape_classes_are_named_in_the_readers_language(lang):
    """The shapes' classes are stored in English ("circle"); a Korean page names them in Korean."""
    at = open_features(lang, features_source="fresh", features_dataset="shapes", features_depth=8,
                       features_width=8)
    assert_clean(at)
    label = im.class_names(im.TwinSpec("shapes", 8, 8, 0).data)[im.held_out(im.TwinSpec("shapes", 8, 8, 0).data, 0).label]
    truth = next(c for c in captions(at) if c.startswith(("True class: ", "정답: ")))
    shown = truth.split(": ", 1)[1]
    assert shown == (label if lang == "en" else at_ko(label))
    predicted = [m.value for m in at.metric]
    assert predicted and all(re.search("[a-z]", v) is None for v in predicted) == (lang == "ko")


def at_ko(name: str) -> str:
    import json
    from pathlib import Path
    catalog = json.loads((Path(__file__).parents[1] / "assets/i18n/features.json").read_text(encoding="utf-8"))
    return catalog[f"class.{name}"]["ko"]


# --- settings that do not ship: queued, never trained in the page ------------------------------

OTHER = im.TwinSpec("digits", depth=8, width=8, steps=40)
OTHER_STATE = {"features_depth": 8, "features_width": 8, "features_steps": 40}


def hold(model_cfg, train_cfg, *, should_stop, sink):
    """Stands in for the engine in the runner: a run that trains until it is stopped."""
    while not should_stop():
        time.sleep(0.01)
    sink.store.set_status(sink.run_id, "cancelled", "stopped before it finished")
    return SimpleNamespace(status="cancelled", error="")


@pytest.fixture(scope="module")
def queue_store(tmp_path_factory):
    """A store of our own and a runner on it, which the page picks up; its runs hold until stopped."""
    from resnet_core.jobs import runner as jobs
    from resnet_core.store.runs import RunStore
    from ui.server import shared

    with own_store(tmp_path_factory, "features-queue") as db:
        jobs._RUNNER = jobs.JobRunner(RunStore(db), train_fn=hold)
        shared.runner.clear()
        yield RunStore(db)


def twin_runs_in(store) -> list:
    return [r for r in store.list_runs(group=twins.GROUP) if OTHER.matches(r.model_cfg, r.train_cfg, r.model_cfg.residual)]


def test_another_setting_queues_its_two_runs_and_shows_their_progress(queue_store):
    from resnet_core.jobs import runner as jobs

    at = open_features(owner="feat0que", **OTHER_STATE)
    assert not grids(at) and not at.subheader
    assert any("No trained pair for this setting yet" in i.value for i in at.info)
    assert twin_runs_in(queue_store) == []
    at.button(key="features_train_twin").click().run()
    assert_clean(at)
    queued = twin_runs_in(queue_store)
    assert sorted(r.label for r in queued) == ["ResNet-8 · 40 steps", "plain-8 · 40 steps"]
    assert {r.owner for r in queued} == {"feat0que"} and {r.train_cfg.steps for r in queued} == {40}
    assert any("in the training queue" in i.value for i in at.info)
    assert sorted(b[0] for b in progress_bars(at)) == sorted(r.label for r in queued)
    # Another student asking for the same setting waits for these runs instead of queueing more.
    other = open_features(owner="feat1mat", **OTHER_STATE)
    assert any("in the training queue" in i.value for i in other.info)
    assert not other.button and len(twin_runs_in(queue_store)) == 2
    for r in queued:
        jobs.get_runner().cancel(r.id)
    wait_runs_ended(queue_store, [r.id for r in queued], 30, "cancelled runs did not stop")
    at.run()                                     # stopped: the reason, and the button again
    assert_clean(at)
    assert [b.key for b in at.button] == ["features_train_twin"]
    assert {b[1] for b in progress_bars(at)} == {"stopped"}


@pytest.mark.parametrize("lang, says", [
    ("en", "plain-8 has finished training; ResNet-8 (50 steps) is still in the training queue."),
    ("ko", "플레인-8은 학습이 끝났고, ResNet-8은 아직 학습 대기열에 있습니다(50단계)."),
])
def test_with_one_net_finished_the_queue_note_names_the_one_still_waiting(queue_store, lang, says):
    """The plain net has finished and the residual one waits: the note does not say both train."""
    spec = im.TwinSpec("digits", depth=8, width=8, steps=50)
    plain = queue_store.create_run(spec.model_config(False), spec.train_config().replace(device="cpu"),
                                   owner="feat4one", group=twins.GROUP, label="plain-8 · 50 steps")
    queue_store.save_checkpoint(plain, build_model(spec.model_config(False)))
    queue_store.finish_run(plain, status="finished", seconds=1.0, steps_done=50, final_train_loss=1.0,
                           final_train_acc=0.6, test_acc=0.5)
    waiting = queue_store.create_run(spec.model_config(True), spec.train_config(), owner="feat4one",
                                     group=twins.GROUP, label="ResNet-8 · 50 steps")
    try:
        at = open_features(lang, owner="feat4one", features_depth=8, features_width=8, features_steps=50)
        notes = [i.value for i in at.info]
        assert any(says in n for n in notes) and not grids(at)
        # the label is stored in English and read in the page's language
        assert [b[0] for b in progress_bars(at)] == ["ResNet-8 · 50 steps" if lang == "en" else "ResNet-8 · 50단계"]
        # The waiting one stopped: only it is queued again, as one run, and the note says so.
        queue_store.set_status(waiting, "cancelled", "stopped")
        at = open_features(lang, owner="feat4one", features_depth=8, features_width=8, features_steps=50)
        notes = [i.value for i in at.info]
        one = ("plain-8 has finished training, ResNet-8 has not" if lang == "en"
               else "플레인-8은 학습이 끝났지만 ResNet-8은 아직 학습되지 않았습니다")
        assert any(one in n for n in notes) and at.button(key="features_train_twin")
        assert not any(("two runs" if lang == "en" else "학습 기록 두 개") in n for n in notes)
    finally:
        queue_store.set_status(waiting, "cancelled", "test over")
        queue_store.set_status(plain, "cancelled", "test over")


def test_finished_twins_from_queued_runs_are_drawn_for_everyone(queue_store):
    made = []
    for residual in (False, True):
        model_cfg = OTHER.model_config(residual)
        run = queue_store.create_run(model_cfg, OTHER.train_config().replace(device="cpu"), owner="feat2own",
                                     group=twins.GROUP, label=model_cfg.name)
        queue_store.save_checkpoint(run, build_model(model_cfg))
        queue_store.finish_run(run, status="finished", seconds=3.0, steps_done=40, final_train_loss=1.0,
                               final_train_acc=0.6, test_acc=0.5 + 0.25 * residual)
        made.append(run)
    at = open_features(owner="feat3any", **OTHER_STATE)
    assert [h.value for h in at.subheader] == ["plain-8", "ResNet-8"]
    assert len(grids(at)) == 2
    note = next(c for c in captions(at) if c.startswith("Both nets"))
    assert "plain 50.0%, residual 75.0%" in note and f"runs #{made[0]}, #{made[1]}" in note


@pytest.fixture
def run_store(tmp_path_factory):
    """A store of its own that the page reads (the app's job runner's), holding one finished run
    per kind; it goes away with the test."""
    from resnet_core.jobs import runner as jobs

    with own_store(tmp_path_factory, "features-runs"):
        store = jobs.get_runner().store
        made = []
        for residual in (False, True):
            spec = im.TwinSpec("digits", 8, 8, 0)
            run = store.create_run(spec.model_config(residual), TrainConfig(dataset="digits", steps=1),
                                   label=f"test-{'res' if residual else 'plain'}")
            store.save_checkpoint(run, im.twin_member(spec, residual).model)
            store.finish_run(run, status="finished", seconds=1.0, steps_done=1, final_train_loss=2.0,
                             final_train_acc=0.1, test_acc=0.1)
            made.append(run)
        yield store, made


def test_stored_runs_are_offered_plain_first_and_drawn_side_by_side(run_store):
    store, (plain, residual) = run_store
    at = open_features(features_source="run")
    assert at.selectbox(key="features_run_left").value == plain
    assert at.selectbox(key="features_run_right").value == residual
    assert [h.value for h in at.subheader] == [f"#{plain} test-plain", f"#{residual} test-res"]
    assert len(grids(at)) == 2
    at.selectbox(key="features_run_right").set_value(0).run()
    assert_clean(at)
    assert len(grids(at)) == 1


@pytest.mark.parametrize("lang, dataset", [("en", "· Digits ·"), ("ko", "· 손글씨 숫자 ·")])
def test_a_stored_run_is_offered_with_its_dataset_named_in_the_readers_language(run_store, lang, dataset):
    _, (plain, _) = run_store
    at = open_features(lang, features_source="run")
    offered = next(o for o in at.selectbox(key="features_run_left").options if o.startswith(f"#{plain} "))
    assert dataset in offered and "· digits ·" not in offered


def add_run(store, model_cfg, train_cfg, label):
    run = store.create_run(model_cfg, train_cfg, label=label)
    store.save_checkpoint(run, build_model(model_cfg))
    store.finish_run(run, status="finished", seconds=1.0, steps_done=1, final_train_loss=2.0,
                     final_train_acc=0.1, test_acc=None)
    return run


def test_a_layer_only_one_run_has_gets_a_note(run_store):
    store, (plain, _) = run_store
    deeper = add_run(store, im.TwinSpec("digits", 14, 8, 0).model_config(True),
                     TrainConfig(dataset="digits", steps=1), "deeper")
    at = open_features(features_source="run", features_run_left=deeper, features_run_right=plain,
                       features_layer="stage1.block1")
    assert at.selectbox(key="features_layer").value == "stage1.block1"
    assert [i.value for i in at.info if "no layer" in i.value] == ["This net has no layer named stage1.block1."]
    assert len(grids(at)) == 1
    assert "held-out accuracy –" in at.selectbox(key="features_run_left").format_func(deeper)


def test_a_run_whose_images_are_missing_says_so(run_store, tmp_path):
    store, _ = run_store
    cfg = im.TwinSpec("digits", 8, 8, 0).model_config(True).replace(input_size=28)
    lost = add_run(store, cfg, TrainConfig(dataset="mnist", data_dir=str(tmp_path / "nowhere"), steps=1), "lost")
    at = open_features(features_source="run", features_run_left=lost, features_run_right=0)
    assert any("not available here" in w.value and "nowhere" in w.value for w in at.warning)
    assert not grids(at)


def test_no_stored_run_gives_a_note(monkeypatch):
    monkeypatch.setattr(im, "runs_with_checkpoints", lambda store, limit=100: [])
    at = open_features(features_source="run")
    assert any("No finished run" in i.value for i in at.info)
    assert not grids(at)


# --- uploads ---------------------------------------------------------------------------------

def encode(img: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def photo(width: int = 120, height: int = 90) -> Image.Image:
    pixels = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB")


GOOD = encode(photo(), "PNG")
BAD_UPLOADS = {
    "empty": ("empty.png", b""),
    "too_large_bytes": ("big.png", b"\x89PNG\r\n\x1a\n" + bytes(im.UPLOAD_MAX_BYTES)),
    "too_many_pixels": ("huge.png", png_declaring(20_000, 20_000)),
    "not_image": ("notes.png", b"These are my notes, not a picture.\n" * 20),
    "unsupported_format": ("anim.png", encode(photo(), "GIF")),
    "truncated": ("cut.png", GOOD[: len(GOOD) // 2]),
}
MESSAGES = {
    "empty": ("The file is empty", "빈 파일입니다"),
    "too_large_bytes": ("The file is too large: the limit is 5 MB", "파일이 너무 큽니다"),
    "too_many_pixels": ("too many pixels: the limit is 16,777,216 pixels", "픽셀 수가 너무 많습니다"),
    "not_image": ("This file is not an image", "이미지가 아닙니다"),
    "unsupported_format": ("Only PNG and JPEG images are accepted", "PNG와 JPEG 이미지만"),
    "truncated": ("incomplete or damaged", "손상되어"),
}


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="features_upload").set_value((name, data, "image/png")).run()
    assert_clean(at)
    return at


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_rejected_upload_gets_its_translated_message(lang):
    at = open_features(lang, features_image_source="upload")
    for code, (name, data) in BAD_UPLOADS.items():
        upload(at, name, data)
        expected = MESSAGES[code][0 if lang == "en" else 1]
        assert any(expected in w.value for w in at.warning), (code, [w.value for w in at.warning])
        assert not grids(at)
    upload(at, "photo.png", GOOD)                     # a good file afterwards works at once
    assert not at.warning and len(grids(at)) == 2


def test_an_uploaded_photo_is_shown_as_the_net_sees_it():
    at = open_features(features_image_source="upload")
    assert any("Choose an image" in c for c in captions(at))
    upload(at, "photo.jpg", encode(photo(), "JPEG"))
    shown = inputs(at)
    assert [p.shape for p in shown] == [(16, 16, 3)] * 2                     # digits nets: 16x16 grey
    want = im.uploaded(im.read_upload(encode(photo(), "JPEG")), im.TwinSpec("digits", 20, 16, 150).data).display
    np.testing.assert_array_equal(shown[0], np.floor(np.clip(want, 0, 1) * 255 + 0.5).astype(np.uint8))
    assert (shown[0][..., 0] == shown[0][..., 1]).all()
    assert not any(c.startswith("True class") for c in captions(at))
