"""Datasets: checked against their sources (scikit-learn, torchvision's IDX reader, the published
MNIST label counts, PIL's grey conversion) and the augmentation against a per-image loop."""

import gzip
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from resnet_core.data import datasets as data_mod
from resnet_core.data import folders as data_files
from resnet_core.data.datasets import DatasetMissing, augment_batch, load_dataset, sample_images
from resnet_core.data.shapes import SHAPE_NAMES, make_shapes
from resnet_core.nets.config import ConfigError

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MNIST_RAW = SHARED / "MNIST" / "raw"
# Published per-digit counts of the MNIST test split (shared/data/README.md).
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def needs_mnist():
    if not (MNIST_RAW / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"the real MNIST test split is not at {MNIST_RAW}")


def test_digits_are_sklearns_images_split_and_normalised():
    from sklearn.datasets import load_digits

    ds = load_dataset("digits", size=8, seed=3, holdout_fraction=0.2)
    ref = load_digits()
    assert ds.x_train.shape[1:] == (1, 8, 8) and ds.x_train.dtype == torch.float32
    assert len(ds.y_train) + len(ds.y_test) == len(ref.target) == 1797
    assert len(ds.y_test) == round(1797 * 0.2)
    # Normalised with the training part's statistics.
    assert abs(ds.x_train.mean().item()) < 1e-5 and abs(ds.x_train.std().item() - 1) < 1e-3
    # Undo the normalisation: together the two parts are exactly scikit-learn's images.
    def raw(x):
        return np.round((x * ds.std[0] + ds.mean[0]).numpy() * 16).reshape(len(x), 64)
    ours = np.concatenate([raw(ds.x_train), raw(ds.x_test)])
    theirs = ref.images.reshape(-1, 64)
    assert np.array_equal(ours[np.lexsort(ours.T)], theirs[np.lexsort(theirs.T)])
    labels = np.concatenate([ds.y_train.numpy(), ds.y_test.numpy()])
    assert np.array_equal(np.bincount(labels), np.bincount(ref.target))


def test_held_out_count_is_the_split_a_run_is_measured_on():
    from resnet_core.training import experiments

    tc = experiments.recipe("digits", steps=10)
    assert data_mod.held_out_count(tc) == len(load_dataset("digits", size=8).y_test) == 359
    shapes = tc.replace(dataset="shapes", max_samples=101)
    assert data_mod.held_out_count(shapes) == len(load_dataset("shapes", size=16, max_samples=101).y_test) == 20
    assert data_mod.held_out_count(tc.replace(dataset="cifar10")) == 12_000   # 60,000 pooled, a fifth held out


def test_images_used_help_says_the_held_out_fifth_is_rounded_and_at_least_one():
    # Build & Train's "Images used" help states the split: 2 images hold out 1 (not 20% of 2), 12 hold out 2.
    assert [len(load_dataset("digits", size=8, max_samples=n).y_test) for n in (2, 3, 12)] == [1, 1, 2]
    text = json.loads((Path(__file__).resolve().parents[1] / "assets" / "i18n" / "build.json").read_text(encoding="utf-8"))
    help_ = text["build.max_samples_help"]
    assert "20% of these images are held out" in help_["en"] and "rounded to a whole number of images, at least one" in help_["en"]
    assert "20%는" in help_["ko"] and "장수는 반올림하며, 적어도 1장" in help_["ko"]


def test_split_is_seeded():
    a = load_dataset("digits", size=8, seed=1)
    b = load_dataset("digits", size=8, seed=1, max_samples=0, holdout_fraction=0.2)
    c = load_dataset("digits", size=8, seed=2)
    assert a is b   # cached in-process
    data_mod.clear_cache()
    again = load_dataset("digits", size=8, seed=1)
    assert again is not a and torch.equal(again.x_train, a.x_train) and torch.equal(again.y_test, a.y_test)
    assert not torch.equal(c.y_test, a.y_test)


def test_resize_and_channels():
    ds = load_dataset("digits", size=16, in_channels=3, max_samples=200)
    assert ds.x_train.shape[1:] == (3, 16, 16) and len(ds.y_train) + len(ds.y_test) == 200
    assert torch.equal(ds.x_train[:, 0], ds.x_train[:, 1]) and torch.equal(ds.x_train[:, 1], ds.x_train[:, 2])
    with pytest.raises(ConfigError, match="channel"):
        load_dataset("shapes", size=16, in_channels=2)


def test_rgb_to_grey_matches_pil():
    rgb, _ = sample_images("shapes", 4, 32, seed=0)
    grey, _ = sample_images("shapes", 4, 32, seed=0, in_channels=1)
    for img, g in zip(rgb, grey):
        pil = Image.fromarray((img.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)).convert("L")
        assert np.abs(np.asarray(pil) / 255.0 - g[0].numpy()).max() <= 1.5 / 255


def test_shapes_are_seeded_balanced_and_in_range():
    x, y = make_shapes(n_per_class=5, size=12, num_classes=4, seed=7)
    x2, y2 = make_shapes(n_per_class=5, size=12, num_classes=4, seed=7)
    assert x.shape == (20, 3, 12, 12) and torch.equal(x, x2) and torch.equal(y, y2)
    assert torch.bincount(y).tolist() == [5, 5, 5, 5]
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert not torch.equal(x, make_shapes(n_per_class=5, size=12, num_classes=4, seed=8)[0])
    ds = load_dataset("shapes", size=16)
    assert ds.num_classes == len(ds.class_names) == len(SHAPE_NAMES) and ds.flip


def naive_augment(x, offsets, mirror, pad, fill):
    out = []
    for i, img in enumerate(x):
        padded = torch.full((img.shape[0], img.shape[1] + 2 * pad, img.shape[2] + 2 * pad), 0.0)
        padded += fill.view(-1, 1, 1)
        padded[:, pad:pad + img.shape[1], pad:pad + img.shape[2]] = img
        dy, dx = offsets[0, i].item(), offsets[1, i].item()
        crop = padded[:, dy:dy + img.shape[1], dx:dx + img.shape[2]]
        out.append(torch.flip(crop, dims=[2]) if mirror[i] else crop)
    return torch.stack(out)


@pytest.mark.parametrize("pad", [1, 4])
def test_augment_batch_matches_a_per_image_loop(pad):
    x = torch.randn(16, 3, 10, 10)
    fill = torch.tensor([-1.0, 0.5, 2.0])
    g = torch.Generator().manual_seed(5)
    state = g.get_state()
    got = augment_batch(x, g, pad=pad, flip=True, fill=fill.view(1, 3, 1, 1))
    g.set_state(state)   # replay the same draws for the reference
    offsets = torch.randint(0, 2 * pad + 1, (2, 16), generator=g)
    mirror = torch.rand(16, generator=g) < 0.5
    assert torch.equal(got, naive_augment(x, offsets, mirror, pad, fill))
    assert 0 < mirror.sum() < 16 and len(set(offsets[0].tolist())) > 1


def test_augment_without_flip_only_translates():
    x = torch.randn(8, 1, 6, 6)
    out = augment_batch(x, torch.Generator().manual_seed(0), pad=2, flip=False)
    assert out.shape == x.shape
    # Each output is its input shifted: the centre 2x2 of every crop comes from the image.
    for a, b in zip(x, out):
        assert any(torch.equal(b[0, 2:4, 2:4], a[0, i:i + 2, j:j + 2]) for i in range(5) for j in range(5))


def test_idx_reader_matches_torchvision(tmp_path):
    needs_mnist()
    from torchvision.datasets.mnist import read_image_file, read_label_file

    for name, reader in (("t10k-images-idx3-ubyte", read_image_file), ("t10k-labels-idx1-ubyte", read_label_file)):
        plain = tmp_path / name
        plain.write_bytes(gzip.decompress((MNIST_RAW / f"{name}.gz").read_bytes()))
        assert np.array_equal(data_files.read_idx(MNIST_RAW / f"{name}.gz"), reader(str(plain)).numpy())


def test_mnist_test_split_alone_loads():
    needs_mnist()
    raw = data_files.read_mnist_folder(MNIST_RAW, tuple("0123456789"))
    assert raw.images.shape == (10000, 1, 28, 28) and raw.images.dtype == np.uint8
    assert raw.splits == ("test",)
    assert np.bincount(raw.labels).tolist() == MNIST_TEST_COUNTS
    ds = load_dataset("mnist", size=14, data_dir=str(SHARED), max_samples=1000, seed=0)
    assert ds.x_train.shape == (800, 1, 14, 14) and ds.class_names[3] == "3" and not ds.flip


def test_missing_folder_names_the_folder_and_files(tmp_path, monkeypatch):
    with pytest.raises(DatasetMissing) as err:
        load_dataset("mnist", size=28, data_dir=str(tmp_path), download=False)
    message = str(err.value)
    assert str(tmp_path / "MNIST" / "raw") in message and "t10k-images-idx3-ubyte" in message
    # Offline, the download is not attempted and the message says why.
    monkeypatch.setattr(data_files, "_online", lambda host, timeout=3.0: False)
    with pytest.raises(DatasetMissing, match="offline") as err:
        load_dataset("cifar10", size=32, data_dir=str(tmp_path))
    assert str(tmp_path / "cifar-10-batches-py") in str(err.value) and "test_batch" in str(err.value)


def test_cifar_binary_and_python_batches(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (7, 3072), dtype=np.uint8)
    labels = rng.integers(0, 10, 7)
    (tmp_path / "cifar-10-batches-bin").mkdir()
    records = np.concatenate([labels[:, None].astype(np.uint8), pixels], axis=1)
    (tmp_path / "cifar-10-batches-bin" / "test_batch.bin").write_bytes(records.tobytes())
    raw = data_files.read_cifar_folder(tmp_path)
    assert raw.splits == ("test",) and np.array_equal(raw.labels, labels)
    assert np.array_equal(raw.images, pixels.reshape(7, 3, 32, 32))

    py = tmp_path / "py"
    (py / "cifar-10-batches-py").mkdir(parents=True)
    with open(py / "cifar-10-batches-py" / "data_batch_1", "wb") as f:
        pickle.dump({"data": pixels, "labels": labels.tolist()}, f)
    raw = data_files.read_cifar_folder(py)
    assert raw.splits == ("train",) and np.array_equal(raw.images, pixels.reshape(7, 3, 32, 32))


class _Evil:
    def __reduce__(self):
        return (print, ("this must not run",))


def test_cifar_pickle_that_calls_code_is_refused(tmp_path):
    (tmp_path / "cifar-10-batches-py").mkdir()
    with open(tmp_path / "cifar-10-batches-py" / "test_batch", "wb") as f:
        pickle.dump({"data": _Evil(), "labels": []}, f)
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        data_files.read_cifar_folder(tmp_path)


def test_sample_images_are_raw_pixels():
    x, y = sample_images("digits", 6, 8, seed=1)
    assert x.shape == (6, 1, 8, 8) and 0.0 <= x.min() and x.max() <= 1.0 and len(y) == 6
    big, _ = sample_images("digits", 6, 32, seed=1)
    # The same images, upsampled: shrunk back, they match the native ones closely.
    corr = np.corrcoef(F.avg_pool2d(big, 4).flatten().numpy(), x.flatten().numpy())[0, 1]
    assert big.shape == (6, 1, 32, 32) and corr > 0.95


def test_bad_arguments_are_config_errors():
    with pytest.raises(ConfigError, match="dataset must be one of"):
        load_dataset("imagenet", size=8)
    with pytest.raises(ConfigError, match="no training images"):
        load_dataset("digits", size=8, max_samples=1)


def test_too_few_images_for_a_training_image_are_refused_before_the_run_is_queued():
    # check_compatible runs at submit (resnet_core.jobs.submit), so a run that could only fail at
    # step 0 is refused at once, like every other bad setting; two images leave one to train on.
    from resnet_core.data.datasets import check_compatible
    from resnet_core.nets.config import ModelConfig, TrainConfig

    with pytest.raises(ConfigError, match="images used: 1, which leaves no training images") as info:
        check_compatible(ModelConfig(in_channels=1), TrainConfig(max_samples=1))
    assert info.value.code == "max_samples"
    check_compatible(ModelConfig(in_channels=1), TrainConfig(max_samples=2))
    check_compatible(ModelConfig(in_channels=1), TrainConfig(max_samples=0))   # 0: every image


def test_a_small_resnet_learns_real_mnist_digits():
    # Real data end to end: train on part of the shared MNIST test split, score on the held-out
    # rest. Ten classes, so chance is 10%; a few hundred steps of a tiny ResNet reach far above it.
    needs_mnist()
    from resnet_core.nets.config import ModelConfig, TrainConfig
    from resnet_core.training.engine import train

    model_cfg = ModelConfig(depth=8, base_width=8, in_channels=1, input_size=14, num_classes=10)
    train_cfg = TrainConfig(dataset="mnist", data_dir=str(SHARED), steps=200, batch_size=64,
                            lr=0.05, max_samples=3000, augment=False, seed=0, device="cpu",
                            eval_every=200, stats_every=200)
    result = train(model_cfg, train_cfg)
    assert result.status == "finished"
    assert result.test_acc > 0.7


def test_digits_are_scikit_learns_read_without_importing_it():
    from sklearn.datasets import load_digits

    from resnet_core.data.datasets import _digits

    pixels, labels = _digits()
    reference = load_digits()
    np.testing.assert_array_equal(pixels, reference.images)
    np.testing.assert_array_equal(labels, reference.target)
