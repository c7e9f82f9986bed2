"""Datasets held as tensors on the training device, and the paper's augmentation on whole batches.

Every dataset arrives here as 8-bit images, is scaled to [0, 1], resized and converted to the
channels the model wants, split (seeded) into training and held-out parts, normalised with the
training part's per-channel mean and std, and moved to the device once. The training loop then
only indexes tensors: no per-sample DataLoader in the hot loop.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from resnet_core import settings
from resnet_core.data.folders import DatasetMissing, RawImages, load_folder
from resnet_core.data import budget
from resnet_core.data.shapes import IMAGES_PER_CLASS, SHAPE_NAMES, make_shapes
from resnet_core.lru import LRU
from resnet_core.nets.config import ConfigError, ModelConfig, TrainConfig

__all__ = ["Dataset", "DatasetMissing", "load_dataset", "augment_batch", "sample_images",
           "default_data_dir", "dataset_info", "check_compatible", "clear_cache", "EMBEDDED", "run_data",
           "train_subset", "held_out_count"]

EMBEDDED = ("digits", "shapes")   # need no files and no network


@dataclass(frozen=True)
class DatasetInfo:
    native_size: int
    native_channels: int
    num_classes: int
    flip: bool     # is a mirrored image still the same class? Not for handwritten digits.
    images: int    # how many the source holds, both published splits: what a run's data weighs


INFO = {
    "digits": DatasetInfo(8, 1, 10, False, 1797),
    "shapes": DatasetInfo(32, 3, len(SHAPE_NAMES), True, IMAGES_PER_CLASS * len(SHAPE_NAMES)),
    "mnist": DatasetInfo(28, 1, 10, False, 70_000),
    "fashion_mnist": DatasetInfo(28, 1, 10, True, 70_000),
    "cifar10": DatasetInfo(32, 3, 10, True, 60_000),
}


@dataclass
class Dataset:
    name: str
    x_train: torch.Tensor        # (N, C, size, size) float32, normalised, on the device
    y_train: torch.Tensor        # (N,) int64
    x_test: torch.Tensor         # held-out images, normalised the same way
    y_test: torch.Tensor
    num_classes: int
    in_channels: int
    size: int
    class_names: tuple[str, ...]
    mean: tuple[float, ...]      # per channel, of the training part in [0, 1] units
    std: tuple[float, ...]
    flip: bool = True            # whether horizontal flips keep the class

    @property
    def pad_value(self) -> torch.Tensor:
        """What a black pixel becomes after normalising: the fill for padding, per channel."""
        mean = torch.tensor(self.mean, device=self.x_train.device)
        std = torch.tensor(self.std, device=self.x_train.device)
        return (-mean / std).view(1, -1, 1, 1)


def default_data_dir() -> Path:
    return settings.data_dir()


def dataset_info(name: str) -> DatasetInfo:
    if name not in INFO:
        raise ConfigError(code="one_of", name="dataset", options=", ".join(INFO), value=repr(name))
    return INFO[name]


def check_compatible(model_cfg: ModelConfig, train_cfg: TrainConfig) -> None:
    """The checks that need no data: classes fit the head, channels can be converted."""
    info = dataset_info(train_cfg.dataset)
    if model_cfg.num_classes < info.num_classes:
        raise ConfigError(code="classes", dataset=train_cfg.dataset, have=info.num_classes,
                          value=model_cfg.num_classes)
    _check_channels(train_cfg.dataset, info.native_channels, model_cfg.in_channels)
    # Too few images to leave one for training after the held-out ones: refused before the run is
    # queued, as every other bad setting is, not failed at step 0 after its turn in the queue.
    if train_cfg.max_samples and train_cfg.max_samples - _held_out(train_cfg.max_samples, train_cfg.holdout_fraction) < 1:
        raise ConfigError(code="max_samples", value=train_cfg.max_samples)


def _held_out(images: int, fraction: float) -> int:
    """How many of `images` are held out: `fraction` of them, at least one."""
    return max(1, int(round(images * fraction)))


def held_out_count(train_cfg: TrainConfig) -> int:
    """How many held-out images a run with `train_cfg` is measured on at its end (load_dataset's
    split): 359 of the 1,797 digits, 12,000 of CIFAR-10's 60,000."""
    images = dataset_info(train_cfg.dataset).images
    if train_cfg.max_samples:
        images = min(images, train_cfg.max_samples)
    return _held_out(images, train_cfg.holdout_fraction)


def _check_channels(name: str, have: int, want: int) -> None:
    if have != want and not (have == 1 or want == 1):
        raise ConfigError(code="channels", dataset=name, have=have, value=want)


# --- raw images, cached per process ----------------------------------------------------------

_LOCK = threading.Lock()             # guards _RAW
_RAW: dict[tuple, RawImages] = {}
CACHE_SIZE = 8   # prepared datasets kept: a classroom shares a handful of settings
_READY: LRU[tuple, Dataset] = LRU(CACHE_SIZE)


def clear_cache(raw: bool = False) -> None:
    """Forget prepared datasets (and with `raw`, the source images too)."""
    _READY.clear()
    with _LOCK:
        if raw:
            _RAW.clear()


def _digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits, (1797, 8, 8) counts 0..16 and their labels, read from the file it
    ships (what `load_digits` reads) without importing scikit-learn: that import (scipy with it)
    took two seconds of a page's first visit on a two-core server."""
    import gzip
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz" if spec and spec.origin else None
    if path is None or not path.is_file():   # another layout: let scikit-learn find its file
        from sklearn.datasets import load_digits

        d = load_digits()
        return d.images, d.target.astype(np.int64)
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",")
    return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(np.int64)


def _raw(name: str, data_dir: str, download: bool) -> RawImages:
    root = Path(data_dir).expanduser() if data_dir else default_data_dir()
    key = (name, str(root))
    with _LOCK:
        if key in _RAW:
            return _RAW[key]
    if name == "digits":
        pixels, target = _digits()
        # Pixel values are counts 0..16 of a 4x4 block of the original 32x32 bitmap.
        images = np.round(pixels * (255 / 16)).astype(np.uint8)[:, None]
        raw = RawImages(images, target, tuple(str(i) for i in range(10)), ("all",))
    elif name == "shapes":
        x, y = make_shapes(size=INFO["shapes"].native_size, seed=0)
        raw = RawImages((x * 255).round().to(torch.uint8).numpy(), y.numpy(), SHAPE_NAMES, ("all",))
    else:
        raw = load_folder(name, root, allow_download=download)
    with _LOCK:
        _RAW[key] = raw
    return raw


def _to_float(images: np.ndarray, size: int, in_channels: int, name: str) -> torch.Tensor:
    x = torch.from_numpy(np.ascontiguousarray(images)).float().div_(255.0)
    _check_channels(name, x.shape[1], in_channels)
    if x.shape[1] == 3 and in_channels == 1:
        # ITU-R 601 luma, the weights PIL's convert("L") uses.
        x = (x * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    elif x.shape[1] == 1 and in_channels > 1:
        x = x.repeat(1, in_channels, 1, 1)
    if x.shape[-1] != size or x.shape[-2] != size:
        # antialias matters when shrinking (28 -> 14): without it thin strokes alias away.
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False,
                          antialias=size < x.shape[-1])
    return x.clamp_(0.0, 1.0).contiguous()


def load_dataset(name: str, *, size: int, in_channels: int | None = None, data_dir: str = "",
                 seed: int = 0, holdout_fraction: float = 0.2, max_samples: int = 0,
                 device: str | torch.device = "cpu", download: bool = True) -> Dataset:
    """A dataset at `size` x `size` with `in_channels` channels, split and normalised, on `device`.

    All images the source holds (both published splits when present) are pooled, capped at
    `max_samples` (a seeded random subset), then split `holdout_fraction` held out, seeded.
    Prepared datasets are cached in-process, keyed by every argument.
    """
    info = dataset_info(name)
    in_channels = info.native_channels if in_channels is None else in_channels
    if not 1 <= size <= 1024:
        raise ConfigError(code="range_pixels", name="image size", low=1, high=1024, value=size)
    if not 0.0 < holdout_fraction < 1.0:
        raise ConfigError(code="between", name="holdout_fraction", low=0, high=1, value=holdout_fraction)
    device = torch.device(device)
    key = (name, size, in_channels, str(data_dir), seed, holdout_fraction, max_samples, str(device))
    ready = _READY.get(key)
    if ready is not None:
        return ready
    if device.type == "cuda":
        # Refused before any image is decoded when it cannot fit; older datasets make room first.
        count = min(info.images, max_samples or info.images)
        budget.make_room(name, size, budget.data_bytes(count, in_channels, size),
                         free=lambda: budget.gpu_free(device), evict=_evict_gpu_dataset)

    raw = _raw(name, data_dir, download)
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(raw.labels), generator=g).numpy()
    if max_samples:
        order = order[:max_samples]
    n_test = _held_out(len(order), holdout_fraction)
    if len(order) - n_test < 1:
        raise ConfigError(code="max_samples", value=max_samples)
    # Sorting each part keeps reads from the source array sequential; order within a part
    # does not matter because the engine draws its own batches.
    train_idx, test_idx = np.sort(order[n_test:]), np.sort(order[:n_test])
    x_train = _to_float(raw.images[train_idx], size, in_channels, name)
    x_test = _to_float(raw.images[test_idx], size, in_channels, name)
    mean, std = budget.channel_stats(x_train)
    norm = lambda x: ((x - mean.view(1, -1, 1, 1)) / std.view(1, -1, 1, 1)).to(device)   # noqa: E731
    ds = Dataset(
        name=name,
        x_train=norm(x_train), y_train=torch.from_numpy(raw.labels[train_idx]).to(device),
        x_test=norm(x_test), y_test=torch.from_numpy(raw.labels[test_idx]).to(device),
        num_classes=info.num_classes, in_channels=in_channels, size=size, class_names=raw.class_names,
        mean=tuple(mean.tolist()), std=tuple(std.tolist()), flip=info.flip)
    return _READY.put(key, ds)


def run_data(info, device: torch.device | str) -> Dataset:
    """The dataset split a run was trained on: same seed, hold-out share and cap as the engine,
    so its held-out images are really held out."""
    tc, m = info.train_cfg, info.model_cfg
    return load_dataset(tc.dataset, size=m.input_size, in_channels=m.in_channels, data_dir=tc.data_dir,
                        seed=tc.seed, holdout_fraction=tc.holdout_fraction, max_samples=tc.max_samples,
                        device=device)


def train_subset(ds: Dataset, max_images: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """At most `max_images` of the training images, a seeded subset (all of them for 0)."""
    n = len(ds.y_train)
    if not max_images or max_images >= n:
        return ds.x_train, ds.y_train
    # A seeded subset, the same for twin nets trained on the same split.
    pick = torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:max_images]
    pick = pick.sort().values.to(ds.y_train.device)
    return ds.x_train[pick], ds.y_train[pick]


def _evict_gpu_dataset() -> bool:
    """Forget the least recently used dataset held on a GPU; False when there is none."""
    for key in _READY.keys():
        if key[-1].startswith("cuda") and _READY.pop(key) is not None:
            budget.release()
            return True
    return False


def sample_images(name: str, n: int, size: int, seed: int = 0, *, in_channels: int | None = None,
                  data_dir: str = "", download: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` images of a dataset for a page to show: (images (n, C, size, size) in [0, 1], labels)."""
    dataset_info(name)
    raw = _raw(name, data_dir, download)
    channels = raw.images.shape[1] if in_channels is None else in_channels
    g = torch.Generator().manual_seed(seed)
    pick = torch.randperm(len(raw.labels), generator=g)[:max(0, n)].numpy()
    return _to_float(raw.images[pick], size, channels, name), torch.from_numpy(raw.labels[pick])


def augment_batch(x: torch.Tensor, generator: torch.Generator, pad: int = 4, flip: bool = True,
                  fill: float | torch.Tensor = 0.0) -> torch.Tensor:
    """The paper's CIFAR augmentation on a whole batch at once, on x's device: pad `pad` pixels
    each side, crop back at a random offset per image, and mirror half of the images
    (He et al. 2015, section 4.2). `fill` is the padding value (per channel allowed)."""
    b, c, h, w = x.shape
    if pad > 0:
        padded = x.new_empty(b, c, h + 2 * pad, w + 2 * pad)
        padded.copy_(torch.as_tensor(fill, dtype=x.dtype, device=x.device).expand_as(padded))
        padded[:, :, pad:pad + h, pad:pad + w] = x
        offsets = torch.randint(0, 2 * pad + 1, (2, b), generator=generator, device=x.device)
        rows = offsets[0, :, None] + torch.arange(h, device=x.device)          # (B, H)
        cols = offsets[1, :, None] + torch.arange(w, device=x.device)          # (B, W)
        # One gather for the whole batch: index (B, 1, H, 1) x (B, 1, 1, W) -> (B, C, H, W).
        batch_ix = torch.arange(b, device=x.device)[:, None, None, None]
        chan_ix = torch.arange(c, device=x.device)[None, :, None, None]
        x = padded[batch_ix, chan_ix, rows[:, None, :, None], cols[:, None, None, :]]
    if flip:
        mirror = torch.rand(b, generator=generator, device=x.device) < 0.5
        x = torch.where(mirror[:, None, None, None], x.flip(3), x)
    return x
