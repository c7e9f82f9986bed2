"""Models and images to look inside, for the Feature maps, Attribution and Augmentation pages.

A *twin* is a plain net and its residual twin (the same config but for the shortcuts), trained
with the same recipe and seed for a few seconds on an embedded dataset, or left freshly
initialised; a stored run's checkpoint works too. Images come from the part of the dataset the
nets never trained on, or from an upload, prepared exactly as the training data were. The last
section draws augmented copies of an image and the colour components AlexNet's augmentation uses.

Models are cached per process (a classroom shares a handful of settings) and are never handed
to a probe directly: probes and captum add hooks and switch train/eval flags, so each call works
on a private copy and two sessions can never see each other's hooks.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image
from torch import nn

from . import attribution, augment, probes
from .config import ConfigError, ModelConfig, TrainConfig
from .data import EMBEDDED, load_dataset, sample_images
from .images import load_upload, to_model_input

INPUT_SIZE = {"digits": 16, "shapes": 32}   # digits' 8x8 doubled so stage 3 still has 4x4 maps
DEPTHS = (8, 14, 20, 32, 44, 56)            # CIFAR-style 6n+2 (He et al. 2015, section 4.2)
WIDTHS = (8, 16, 32)
MAX_STEPS = 400                              # a few seconds to a minute on two CPU cores
UPLOAD_MAX_BYTES = 5_000_000                 # the pages quote these in their messages
UPLOAD_MAX_PIXELS = 4096 * 4096
UPLOAD_KEEP_SIDE = 512                       # decoded uploads are kept this small (nets take <= 224)
CACHE_SIZE = 6


@dataclass(frozen=True)
class DataSpec:
    """How a model's images were prepared: what load_dataset needs for the same split and
    normalisation."""
    dataset: str
    size: int
    in_channels: int
    data_dir: str = ""
    seed: int = 0
    holdout_fraction: float = 0.2
    max_samples: int = 0

    @classmethod
    def of_run(cls, model_cfg: ModelConfig, train_cfg: TrainConfig) -> "DataSpec":
        return cls(train_cfg.dataset, model_cfg.input_size, model_cfg.in_channels, train_cfg.data_dir,
                   train_cfg.seed, train_cfg.holdout_fraction, train_cfg.max_samples)

    def load(self):
        # Never a download from a page view: a stored run's images are already here, or the
        # caller says they are missing (DatasetMissing names the folder and files).
        return load_dataset(self.dataset, size=self.size, in_channels=self.in_channels,
                            data_dir=self.data_dir, seed=self.seed, holdout_fraction=self.holdout_fraction,
                            max_samples=self.max_samples, download=False)


@dataclass(frozen=True)
class TwinSpec:
    dataset: str = "digits"   # embedded: digits (grey) or shapes (colour)
    depth: int = 20           # weighted layers, 6n+2
    width: int = 16           # channels of the first stage (paper: 16)
    steps: int = 150          # SGD steps of the shared recipe; 0 = freshly initialised
    seed: int = 0             # same seed, same init and batches for both nets

    def __post_init__(self) -> None:
        if self.dataset not in EMBEDDED:
            raise ConfigError(f"dataset must be one of {', '.join(EMBEDDED)} (got {self.dataset!r})")
        if self.depth not in DEPTHS:
            raise ConfigError(f"depth must be one of {', '.join(map(str, DEPTHS))} (got {self.depth})")
        if not 4 <= self.width <= 64:
            raise ConfigError(f"width must be 4 to 64 channels (got {self.width})")
        if not 0 <= self.steps <= MAX_STEPS:
            raise ConfigError(f"steps must be 0 to {MAX_STEPS} (got {self.steps})")

    def model_config(self, residual: bool) -> ModelConfig:
        return ModelConfig(depth=self.depth, base_width=self.width, residual=residual,
                           in_channels=1 if self.dataset == "digits" else 3,
                           input_size=INPUT_SIZE[self.dataset], num_classes=10)

    def train_config(self) -> TrainConfig:
        # The paper's recipe (SGD, momentum 0.9, weight decay 1e-4, lr /10 at 50% and 75%),
        # with half its batch and lr (linear scaling) so a step is quick; one evaluation at the end.
        steps = max(1, self.steps)
        return TrainConfig(dataset=self.dataset, steps=steps, batch_size=64, lr=0.05,
                           eval_every=steps, stats_every=steps, seed=self.seed)

    @property
    def data(self) -> DataSpec:
        return DataSpec(self.dataset, INPUT_SIZE[self.dataset], 1 if self.dataset == "digits" else 3,
                        seed=self.seed)


@dataclass(frozen=True)
class Trained:
    model: nn.Module          # shared: never probe it directly (see private())
    test_acc: float | None    # held-out accuracy; None for a fresh net
    seconds: float


# --- cached models --------------------------------------------------------------------------

_LOCK = threading.Lock()          # guards the caches
_TRAIN_LOCK = threading.Lock()    # one in-page training at a time: two would fight for the cores
_MODELS: OrderedDict[tuple, Trained] = OrderedDict()


def _cached(key: tuple, make) -> Trained:
    with _LOCK:
        if key in _MODELS:
            _MODELS.move_to_end(key)
            return _MODELS[key]
    with _TRAIN_LOCK:
        with _LOCK:              # another session may have made it while this one waited
            if key in _MODELS:
                return _MODELS[key]
        made = make()
        with _LOCK:
            _MODELS[key] = made
            while len(_MODELS) > CACHE_SIZE:
                _MODELS.popitem(last=False)
        return made


def _for_inspection(model: nn.Module) -> nn.Module:
    return model.to("cpu", memory_format=torch.contiguous_format).eval()


def twin_member(spec: TwinSpec, residual: bool) -> Trained:
    """The plain (residual=False) or residual member of the twin, trained or fresh; cached."""
    def make() -> Trained:
        from .engine import build_seeded, train   # the same loop every other page trains with

        model_cfg = spec.model_config(residual)
        if spec.steps == 0:
            return Trained(_for_inspection(build_seeded(model_cfg, spec.seed)), None, 0.0)
        result = train(model_cfg, spec.train_config())
        if result.status != "finished":
            raise ConfigError(result.error or f"training ended as {result.status}")
        return Trained(_for_inspection(result.model), result.test_acc, result.seconds)
    return _cached(("twin", spec, residual), make)


def stored_model(store, run_id: int) -> Trained:
    """A finished run's checkpoint (runs do not change once finished); cached."""
    def make() -> Trained:
        info = store.get_run(run_id)
        return Trained(_for_inspection(store.load_model(run_id)), info.test_acc, info.seconds or 0.0)
    return _cached(("run", str(store.path), run_id), make)


def runs_with_checkpoints(store, limit: int = 100) -> list:
    """Finished runs that left a checkpoint, newest first."""
    return [r for r in store.list_runs(status="finished", limit=limit) if r.has_checkpoint]


def private(model: nn.Module) -> nn.Module:
    """A copy to hook and switch freely, so concurrent sessions never share hooks or flags."""
    return copy.deepcopy(model)


# --- images as the model sees them -----------------------------------------------------------

@dataclass(frozen=True)
class Picture:
    x: torch.Tensor            # (C, H, W), normalised as the model's training data
    display: np.ndarray        # (H, W, 3) in [0, 1], what the model sees, for drawing
    label: int | None          # the true class, when known


def _display(x: torch.Tensor, mean, std) -> np.ndarray:
    c = x.shape[0]
    raw = x * torch.tensor(std).view(c, 1, 1) + torch.tensor(mean).view(c, 1, 1)
    raw = raw.clamp(0, 1)
    if c == 1:
        raw = raw.expand(3, -1, -1)
    return raw[:3].permute(1, 2, 0).numpy().astype(np.float32)


def held_out_count(data: DataSpec) -> int:
    return len(data.load().y_test)


def class_names(data: DataSpec) -> tuple[str, ...]:
    return data.load().class_names


def held_out(data: DataSpec, index: int) -> Picture:
    """Image `index` of the held-out part: one the net never trained on."""
    ds = data.load()
    if not 0 <= index < len(ds.y_test):
        raise ConfigError(f"image number must be 0 to {len(ds.y_test) - 1} (got {index})")
    x = ds.x_test[index].cpu()
    return Picture(x, _display(x, ds.mean, ds.std), int(ds.y_test[index]))


def held_out_batch(data: DataSpec, n: int = 128) -> torch.Tensor:
    return data.load().x_test[:n].cpu()


def read_upload(data: bytes) -> Image.Image:
    """The page's upload rules: PNG or JPEG, size checked before decoding (ImageRejected). The
    result is shrunk to at most UPLOAD_KEEP_SIDE pixels a side, so a cache of uploads stays small."""
    img = load_upload(data, max_bytes=UPLOAD_MAX_BYTES, max_pixels=UPLOAD_MAX_PIXELS)
    img.thumbnail((UPLOAD_KEEP_SIDE, UPLOAD_KEEP_SIDE), Image.Resampling.BILINEAR)
    return img


def uploaded(img: Image.Image, data: DataSpec) -> Picture:
    """An upload cropped, resized and normalised like the model's training images."""
    ds = data.load()
    x = to_model_input(img, data.size, data.in_channels, ds.mean, ds.std)[0]
    return Picture(x, _display(x, ds.mean, ds.std), None)


# --- what the pages draw -------------------------------------------------------------------

def predict(model: nn.Module, x: torch.Tensor) -> tuple[int, float]:
    """(top class, its softmax probability) for one image."""
    net = private(model).eval()
    with torch.no_grad():
        probs = torch.softmax(net(x[None].float()), dim=1)[0]
    top = int(probs.argmax())
    return top, float(probs[top])


def layer_options(model: nn.Module) -> list[probes.LayerChoice]:
    return probes.layer_choices(private(model))


def default_layer(choices: list[probes.LayerChoice]) -> str:
    """The first block of stage 2 (edges have become parts), else the first block, else the first."""
    names = [c.name for c in choices]
    for name in ("stage2.block0", *(c.name for c in choices if c.kind == "block")):
        if name in names:
            return name
    return names[0]


@dataclass(frozen=True)
class ChannelGrid:
    layer: str
    shape: tuple[int, int, int]    # the layer's full output (C, H, W)
    channels: list[int]            # the channels shown
    maps: np.ndarray               # (len(channels), H, W) raw activations


def channel_grid(model: nn.Module, x: torch.Tensor, layer: str, max_channels: int = 16) -> ChannelGrid:
    maps = probes.feature_maps(private(model), x, layer).float().cpu().numpy()
    shown = list(range(min(max_channels, maps.shape[0])))
    return ChannelGrid(layer, tuple(maps.shape), shown, maps[shown])


def tile(maps: np.ndarray, columns: int, per_channel: bool = False) -> np.ndarray:
    """Maps (N, H, W) as one (rows*(H+1)-1, columns*(W+1)-1) image, NaN between tiles; with
    `per_channel`, each map is scaled to [0, 1] on its own (a flat map becomes 0)."""
    n, h, w = maps.shape
    columns = max(1, min(columns, n))
    rows = -(-n // columns)
    out = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1), np.nan, dtype=np.float32)
    for i, m in enumerate(maps):
        if per_channel:
            lo, hi = float(m.min()), float(m.max())
            m = (m - lo) / (hi - lo) if hi > lo else np.zeros_like(m)
        r, c = divmod(i, columns)
        out[r * (h + 1): r * (h + 1) + h, c * (w + 1): c * (w + 1) + w] = m
    return out


def layer_stats(model: nn.Module, batch: torch.Tensor) -> dict[str, list]:
    """Per activation module, input side first: name, mean, std and share of exact zeros."""
    rows = probes.activation_stats(private(model), batch)
    return {key: [r[key] for r in rows] for key in ("name", "mean", "std", "zero_frac")}


def cam_layers(model: nn.Module) -> list[str]:
    """Layers Grad-CAM can explain from: every block (or, for VGG, every conv), last first."""
    blocks = [n for n, m in model.named_modules() if isinstance(m, probes.BLOCK_TYPES)]
    return list(reversed(blocks or [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]))


def explain(model: nn.Module, x: torch.Tensor, method: str, target: int | None = None,
            **opts) -> attribution.Attribution:
    return attribution.attribute(private(model), x, target=target, method=method, **opts)


# --- augmentation -------------------------------------------------------------------------

def pictures(dataset: str, n: int, size: int = 32, seed: int = 0) -> tuple[torch.Tensor, list[int]]:
    """`n` images of an embedded dataset in [0, 1] at `size`, with their labels."""
    images, labels = sample_images(dataset, n, size, seed)
    return images, [int(v) for v in labels]


@dataclass(frozen=True)
class ColourPCA:
    mean: np.ndarray       # (C,) mean pixel colour in [0, 1]
    eigvals: np.ndarray    # (C,) variances along the components, largest first
    eigvecs: np.ndarray    # (C, C) unit eigenvectors as columns


def colour_pca(dataset: str, size: int = 32, n: int = 500) -> ColourPCA:
    """Principal components of the pixel colours over `n` images of an embedded dataset: the
    directions AlexNet's colour augmentation moves along (Krizhevsky et al. 2012)."""
    images, _ = sample_images(dataset, n, size, seed=0)
    if images.shape[1] == 1:
        # One channel: the only component is brightness (rgb_pca needs a 2-D covariance).
        eigvals, eigvecs = images.double().var().reshape(1).float(), torch.ones(1, 1)
    else:
        eigvals, eigvecs = augment.rgb_pca(images)
    # An eigenvector's sign is arbitrary; point each one towards "more light" so +PC1 reads as brighter.
    signs = torch.where(eigvecs.sum(0) < 0, -1.0, 1.0)
    return ColourPCA(images.mean(dim=(0, 2, 3)).numpy(), eigvals.numpy(), (eigvecs * signs).numpy())


def colour_steps(pca: ColourPCA, component: int, spread: float = 3.0, count: int = 7) -> np.ndarray:
    """The mean colour moved along one component by -spread..+spread standard deviations:
    (count, C) in [0, 1], what adding a_i l_i p_i does to a typical pixel."""
    sd = float(np.sqrt(max(pca.eigvals[component], 0.0)))
    offsets = np.linspace(-spread, spread, count)[:, None] * sd * pca.eigvecs[:, component][None]
    return np.clip(pca.mean[None] + offsets, 0.0, 1.0)


def augmented_copies(image: torch.Tensor | np.ndarray, n: int, *, pad: int, flip_p: float, alphastd: float,
                     pca: ColourPCA, seed: int) -> np.ndarray:
    """`n` augmented copies of one image (C, H, W) in [0, 1]: pad and random crop, flip, then
    PCA colour (the order of Krizhevsky et al. 2012), clipped to [0, 1] for display; (n, H, W, C)."""
    if not 1 <= n <= 64:
        raise ConfigError(f"copies must be 1 to 64 (got {n})")
    g = torch.Generator().manual_seed(seed)
    x = torch.as_tensor(image, dtype=torch.float32)[None].expand(n, -1, -1, -1).contiguous()
    if pad:
        x = augment.pad_crop(x, pad, generator=g)
    x = augment.hflip(x, flip_p, generator=g)
    if alphastd:
        x = augment.pca_colour(x, alphastd, torch.from_numpy(pca.eigvals), torch.from_numpy(pca.eigvecs),
                               generator=g)
    return x.clamp(0, 1).permute(0, 2, 3, 1).numpy()
