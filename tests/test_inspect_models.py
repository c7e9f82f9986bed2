"""Models and images for the inspection pages, checked against the library calls they wrap, naive
loops and numpy; plus the two promises of the module: cached models are shared, probes are not."""

import io
import threading

import numpy as np
import pytest
import torch
from PIL import Image

from resnet_core import ConfigError, TrainConfig, build_model
from resnet_core.data.uploads import ImageRejected, to_model_input
from resnet_core.inspection import inspect_models as im
from resnet_core.inspection import probes
from resnet_core.inspection.attribution import METHODS, attribute
from resnet_core.store.runs import RunStore

FRESH = im.TwinSpec("digits", depth=8, width=8, steps=0)
QUICK = im.TwinSpec("digits", depth=8, width=8, steps=80)


def png(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG")
    return buf.getvalue()


def hook_count(model) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
               + len(m._backward_pre_hooks) for m in model.modules())


@pytest.fixture(scope="module")
def fresh(one_thread):
    return im.twin_member(FRESH, True).model


# --- specs and models ---------------------------------------------------------------------

@pytest.mark.parametrize("change, match", [
    (dict(dataset="cifar10"), "digits, shapes"),
    (dict(depth=21), "8, 14, 20"),
    (dict(width=2), "4 to 64"),
    (dict(steps=10_000), "0 to 400"),
])
def test_bad_twin_specs_say_what_is_allowed(change, match):
    with pytest.raises(ConfigError, match=match):
        im.TwinSpec(**{**dict(dataset="digits", depth=8, width=8, steps=0), **change})


@pytest.mark.parametrize("dataset, channels, size", [("digits", 1, 16), ("shapes", 3, 32)])
def test_twin_members_differ_only_by_the_shortcuts(dataset, channels, size):
    spec = im.TwinSpec(dataset, depth=14, width=8, steps=0)
    plain, residual = spec.model_config(False), spec.model_config(True)
    assert plain.replace(residual=True) == residual
    assert (residual.in_channels, residual.input_size, residual.shortcut) == (channels, size, "A")
    # Option A shortcuts have no parameters: the twins have the same count (paper, section 4.2).
    count = lambda cfg: sum(p.numel() for p in build_model(cfg).parameters())   # noqa: E731
    assert count(plain) == count(residual)
    assert (spec.data.size, spec.data.in_channels) == (size, channels)


def test_the_shared_recipe_is_the_papers_with_a_smaller_batch():
    cfg = QUICK.train_config()
    assert (cfg.optimizer, cfg.momentum, cfg.weight_decay, cfg.schedule) == ("sgd", 0.9, 1e-4, "step")
    assert (cfg.steps, cfg.batch_size, cfg.lr, cfg.dataset) == (80, 64, 0.05, "digits")


def test_fresh_members_are_seeded_cached_and_in_eval_mode(one_thread):
    a = im.twin_member(FRESH, False)
    assert im.twin_member(FRESH, False) is a                     # one shared model per setting
    assert a.test_acc is None and not a.model.training
    again = im.TwinSpec("digits", depth=8, width=8, steps=0, seed=0)
    assert im.twin_member(again, False) is a                     # equal specs share the entry
    other = im.twin_member(im.TwinSpec("digits", depth=8, width=8, steps=0, seed=1), False).model
    assert not torch.equal(next(a.model.parameters()), next(other.parameters()))


def test_the_default_trained_twin_is_the_shipped_one_and_loads_without_training(one_thread, monkeypatch):
    from resnet_core.training import engine, twins

    monkeypatch.setattr(engine, "train", lambda *a, **k: pytest.fail("trained in the page's process"))
    plain, residual = (im.twin_member(im.TwinSpec(), r) for r in (False, True))
    for member, r in ((plain, False), (residual, True)):
        assert member.test_acc == twins.shipped_meta(im.TwinSpec(), r)["test_acc"] > 0.85
        assert not member.model.training
        assert next(member.model.parameters()).device.type == "cpu"
    assert plain.model.cfg.residual is False and residual.model.cfg.residual is True
    with pytest.raises(im.NotShipped):                           # any other setting is queued
        im.twin_member(QUICK, True)


def test_stored_runs_with_checkpoints_are_listed_and_load_the_same_weights(tmp_path, fresh):
    store = RunStore(tmp_path / "runs.sqlite")
    cfg = FRESH.model_config(True)
    done = store.create_run(cfg, TrainConfig(dataset="digits", steps=1), label="mine")
    store.save_checkpoint(done, fresh)
    store.finish_run(done, status="finished", seconds=1.0, steps_done=1, final_train_loss=1.0,
                     final_train_acc=0.5, test_acc=0.25)
    store.create_run(cfg, TrainConfig(dataset="digits", steps=1))             # still queued
    task = store.create_task("lesion", {"draws": 1}, cfg, TrainConfig(), label="lesion")   # newer, no net
    store.set_status(task, "finished")
    assert [r.id for r in im.runs_with_checkpoints(store)] == [done]
    assert [r.id for r in im.runs_with_checkpoints(store, limit=1)] == [done]   # the task takes no place
    loaded = im.stored_model(store, done)
    assert loaded.test_acc == 0.25 and im.stored_model(store, done) is loaded
    for name, tensor in fresh.state_dict().items():
        torch.testing.assert_close(loaded.model.state_dict()[name], tensor)
    info = store.get_run(done)
    assert im.DataSpec.of_run(info.model_cfg, info.train_cfg) == im.DataSpec("digits", 16, 1)


def test_a_runs_missing_dataset_is_reported_not_downloaded(tmp_path):
    from resnet_core.data.datasets import DatasetMissing

    spec = im.DataSpec("mnist", 28, 1, data_dir=str(tmp_path))
    with pytest.raises(DatasetMissing, match="mnist|MNIST"):
        spec.load()
    assert list(tmp_path.iterdir()) == []                      # nothing fetched into the folder


# --- images ------------------------------------------------------------------------------

def test_held_out_pictures_are_the_datasets_test_images():
    ds = FRESH.data.load()
    picture = im.held_out(FRESH.data, 5)
    torch.testing.assert_close(picture.x, ds.x_test[5])
    assert picture.label == int(ds.y_test[5])
    raw = ds.x_test[5, 0] * ds.std[0] + ds.mean[0]
    assert picture.display.shape == (16, 16, 3) and picture.display.min() >= 0 and picture.display.max() <= 1
    np.testing.assert_allclose(picture.display[..., 1], raw.clamp(0, 1).numpy(), atol=1e-6)
    assert im.held_out_count(FRESH.data) == len(ds.y_test)
    with pytest.raises(ConfigError, match="0 to"):
        im.held_out(FRESH.data, len(ds.y_test))


def test_an_uploaded_copy_of_a_held_out_image_comes_back_the_same():
    picture = im.held_out(im.TwinSpec("shapes", 8, 8, 0).data, 3)
    data = png((picture.display * 255).round().astype(np.uint8))
    back = im.uploaded(im.read_upload(data), im.TwinSpec("shapes", 8, 8, 0).data)
    ds = im.TwinSpec("shapes", 8, 8, 0).data.load()
    # Only the 8-bit rounding of the PNG separates the two: half a grey level, in normalised units.
    assert (back.x - picture.x).abs().max() <= 0.5 / 255 / min(ds.std) + 1e-5
    assert back.label is None


def test_uploads_match_to_model_input_and_are_kept_small():
    pixels = np.random.default_rng(0).integers(0, 256, (900, 1200, 3), dtype=np.uint8)
    img = im.read_upload(png(pixels))
    assert max(img.size) == im.UPLOAD_KEEP_SIDE and img.size == (512, 384)
    ds = FRESH.data.load()
    expected = to_model_input(img, 16, 1, ds.mean, ds.std)[0]
    torch.testing.assert_close(im.uploaded(img, FRESH.data).x, expected)


def test_upload_limits_are_the_pages_limits():
    with pytest.raises(ImageRejected) as info:
        im.read_upload(b"\x89PNG\r\n\x1a\n" + bytes(im.UPLOAD_MAX_BYTES))
    assert info.value.code == "too_large_bytes"
    with pytest.raises(ImageRejected) as info:
        im.read_upload(b"just some text, not a picture")
    assert info.value.code == "not_image"


# --- what the pages draw ---------------------------------------------------------------------

def test_channel_grid_is_the_first_channels_of_the_layer(fresh):
    x = im.held_out(FRESH.data, 0).x
    grid = im.channel_grid(fresh, x, "stage2.block0", max_channels=4)
    full = probes.feature_maps(fresh, x, "stage2.block0")
    assert grid.shape == tuple(full.shape) == (16, 8, 8)
    assert grid.channels == [0, 1, 2, 3]
    np.testing.assert_allclose(grid.maps, full[:4].numpy())
    assert im.channel_grid(fresh, x, "stage1.block0", max_channels=32).maps.shape == (8, 16, 16)


def test_layer_options_and_default(fresh):
    choices = im.layer_options(fresh)
    assert choices == probes.layer_choices(fresh)
    assert im.default_layer(choices) == "stage2.block0"
    assert im.cam_layers(fresh)[0] == "stage3.block0" and im.cam_layers(fresh)[-1] == "stage1.block0"


def naive_tile(maps, columns, per_channel):
    n, h, w = maps.shape
    rows = -(-n // columns)
    out = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1), np.nan)
    for i in range(n):
        m = maps[i].astype(float)
        if per_channel:
            span = m.max() - m.min()
            m = (m - m.min()) / span if span > 0 else m * 0
        for y in range(h):
            for x in range(w):
                out[(i // columns) * (h + 1) + y, (i % columns) * (w + 1) + x] = m[y, x]
    return out


@pytest.mark.parametrize("n, columns, per_channel", [(16, 4, False), (5, 4, True), (3, 8, False), (4, 2, True)])
def test_tile_matches_a_naive_loop(n, columns, per_channel):
    maps = np.random.default_rng(n).normal(size=(n, 3, 5)).astype(np.float32)
    maps[0] = 2.0                                  # a flat map scales to 0, not NaN
    np.testing.assert_allclose(im.tile(maps, columns, per_channel), naive_tile(maps, min(columns, n), per_channel),
                               rtol=1e-6)


def test_layer_stats_are_the_probes_statistics(fresh):
    batch = im.held_out_batch(FRESH.data, 32)
    stats = im.layer_stats(fresh, batch)
    rows = probes.activation_stats(fresh, batch)
    assert stats["name"] == [r["name"] for r in rows]
    np.testing.assert_allclose(stats["zero_frac"], [r["zero_frac"] for r in rows])
    assert all(0 <= z <= 1 for z in stats["zero_frac"])


@pytest.mark.parametrize("method", METHODS)
def test_explain_is_attribute_on_a_copy(fresh, method):
    x = im.held_out(FRESH.data, 1).x
    got = im.explain(fresh, x, method, target=3)
    want = attribute(fresh, x, target=3, method=method)
    assert got.heatmap.shape == (16, 16) and got.target == 3
    np.testing.assert_allclose(got.heatmap, want.heatmap, atol=1e-6)
    assert hook_count(fresh) == 0 and not fresh.training


def test_predict_is_the_softmax_top_class(fresh):
    x = im.held_out(FRESH.data, 2).x
    top, prob = im.predict(fresh, x)
    with torch.no_grad():
        probs = torch.softmax(fresh(x[None]), 1)[0]
    assert top == int(probs.argmax()) and prob == pytest.approx(float(probs.max()), rel=1e-5)


def test_concurrent_sessions_never_see_each_others_hooks(fresh):
    """Eight threads probe the one cached model at once; each gets what it would get alone."""
    xs = [im.held_out(FRESH.data, i).x for i in range(8)]
    alone = [im.channel_grid(fresh, x, "stage2.block0").maps for x in xs]
    got = [None] * len(xs)
    start = threading.Barrier(len(xs))

    def probe(i):
        start.wait()
        for _ in range(5):
            got[i] = im.channel_grid(fresh, xs[i], "stage2.block0").maps
            im.explain(fresh, xs[i], "gradcam")

    threads = [threading.Thread(target=probe, args=(i,)) for i in range(len(xs))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for a, b in zip(alone, got):
        np.testing.assert_array_equal(a, b)
    assert hook_count(fresh) == 0


# --- augmentation ---------------------------------------------------------------------------

def test_colour_pca_matches_numpy_and_points_towards_light():
    pca = im.colour_pca("shapes", size=16, n=200)
    images, _ = im.pictures("shapes", 200, 16)
    pixels = images.permute(1, 0, 2, 3).reshape(3, -1).double().numpy()
    values, vectors = np.linalg.eigh(np.cov(pixels))
    np.testing.assert_allclose(pca.eigvals, values[::-1], rtol=1e-4)
    np.testing.assert_allclose(np.abs(pca.eigvecs.T @ vectors[:, ::-1]), np.eye(3), atol=1e-4)
    assert (pca.eigvecs.sum(0) > 0).all()
    np.testing.assert_allclose(pca.mean, pixels.mean(1), rtol=1e-5)
    steps = im.colour_steps(pca, 0)
    np.testing.assert_allclose(steps[3], pca.mean, atol=1e-6)                 # the middle is the mean
    assert steps[-1].sum() > steps[0].sum()                                   # + is lighter


def test_grey_images_have_one_component_their_variance():
    pca = im.colour_pca("digits", size=16, n=100)
    images, _ = im.pictures("digits", 100, 16)
    assert pca.eigvecs.tolist() == [[1.0]]
    assert pca.eigvals[0] == pytest.approx(images.double().var().item(), rel=1e-4)


@pytest.fixture(scope="module")
def shape():
    images, _ = im.pictures("shapes", 1, 32)
    return images[0].numpy(), im.colour_pca("shapes", 32, 100)


def test_flip_probability_one_mirrors_every_copy(shape):
    image, pca = shape
    copies = im.augmented_copies(image, 6, pad=0, flip_p=1.0, alphastd=0.0, pca=pca, seed=3)
    mirrored = image[:, :, ::-1].transpose(1, 2, 0)
    for copy in copies:
        np.testing.assert_array_equal(copy, mirrored)
    unchanged = im.augmented_copies(image, 3, pad=0, flip_p=0.0, alphastd=0.0, pca=pca, seed=3)
    np.testing.assert_array_equal(unchanged, np.stack([image.transpose(1, 2, 0)] * 3))


def test_crops_are_windows_of_the_padded_image(shape):
    image, pca = shape
    pad = 4
    padded = np.pad(image, ((0, 0), (pad, pad), (pad, pad))).transpose(1, 2, 0)
    copies = im.augmented_copies(image, 8, pad=pad, flip_p=0.0, alphastd=0.0, pca=pca, seed=1)
    offsets = set()
    for copy in copies:
        found = [(dy, dx) for dy in range(2 * pad + 1) for dx in range(2 * pad + 1)
                 if np.array_equal(padded[dy:dy + 32, dx:dx + 32], copy)]
        assert found, "every copy is some 32x32 window of the padded image"
        offsets.add(found[0])
    assert len(offsets) > 1
    again = im.augmented_copies(image, 8, pad=pad, flip_p=0.0, alphastd=0.0, pca=pca, seed=1)
    np.testing.assert_array_equal(copies, again)                              # same seed, same draw


def test_pca_colour_moves_every_pixel_by_one_offset_along_the_components(shape):
    image, pca = shape
    image = 0.25 + 0.5 * image                    # keep away from 0 and 1, where display clips
    copies = im.augmented_copies(image, 4, pad=0, flip_p=0.0, alphastd=0.5, pca=pca, seed=2)
    for copy in copies:
        shift = copy - image.transpose(1, 2, 0)
        np.testing.assert_allclose(shift, np.broadcast_to(shift[0, 0], shift.shape), atol=1e-5)
        alphas = pca.eigvecs.T @ shift[0, 0] / pca.eigvals                     # shift = sum a_i l_i p_i
        assert np.abs(alphas).max() < 0.5 * 5                                    # N(0, 0.5): within 5 sigma
    with pytest.raises(ConfigError, match="1 to 64"):
        im.augmented_copies(image, 0, pad=0, flip_p=0.0, alphastd=0.0, pca=pca, seed=0)


def test_one_thread_holds_while_any_caller_is_inside_and_then_restores():
    before = torch.get_num_threads()
    with im.one_thread():
        assert torch.get_num_threads() == 1
        with im.one_thread():                      # another session's call overlapping
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 1        # still one while the first is inside
    assert torch.get_num_threads() == before
