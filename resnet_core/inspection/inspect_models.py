"""Models and images to look inside, for the Feature maps, Attribution and Augmentation pages.

A *twin* is a plain net and its residual twin (the same config but for the shortcuts, see
twins.py): left freshly initialised, or trained with the shared recipe, either shipped with the
app (the pages' defaults) or queued as runs; a stored run's checkpoint works too. Nothing here
trains. Images come from the part of the dataset the
nets never trained on, or from an upload, prepared exactly as the training data were.

Models are cached per process (a classroom shares a handful of settings) and are never handed
to a probe directly: probes and captum add hooks and switch train/eval flags, so each call works
on a private copy and two sessions can never see each other's hooks.
"""

from __future__ import annotations

import copy
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import TYPE_CHECKING, Iterator

import numpy as np
import torch
from PIL import Image
from torch import nn

# The Augmentation page's pictures and colour components live in augment_views.
from resnet_core.data.augment_views import ColourPCA, augmented_copies, colour_pca, colour_steps, pictures  # noqa: F401
from resnet_core.data.uploads import load_upload, to_model_input
from resnet_core.inspection import probes
from resnet_core.lru import LRU
from resnet_core.nets.blocks import named_blocks
from resnet_core.nets.config import ConfigError
from resnet_core.training import twins
from resnet_core.training.twins import (  # noqa: F401 (the pages' names)
    DEPTHS, INPUT_SIZE, MAX_STEPS, WIDTHS, DataSpec, TwinSpec)

if TYPE_CHECKING:
    from resnet_core.inspection.attribution import Attribution

UPLOAD_MAX_BYTES = 5_000_000                 # the pages quote these in their messages
UPLOAD_MAX_PIXELS = 4096 * 4096
UPLOAD_KEEP_SIDE = 512                       # decoded uploads are kept this small (nets take <= 224)
CACHE_SIZE = 6


class NotShipped(LookupError):
    """This twin setting has no checkpoint in the app: queue its runs (TwinSpec.jobs) instead."""


@dataclass(frozen=True)
class Trained:
    model: nn.Module          # shared: never probe it directly (see private())
    test_acc: float | None    # held-out accuracy; None for a fresh net
    seconds: float


# --- cached models --------------------------------------------------------------------------

# A miss is a file read or a fresh build: quick, and two sessions may both do it.
_MODELS: LRU[tuple, Trained] = LRU(CACHE_SIZE)


def _for_inspection(model: nn.Module) -> nn.Module:
    return model.to("cpu", memory_format=torch.contiguous_format).eval()


@lru_cache(maxsize=64)
def has_shipped(spec: TwinSpec) -> bool:
    """Whether both members of this trained twin ship with the app (the files do not change
    while the app runs)."""
    return spec.steps > 0 and all(twins.shipped_meta(spec, r) is not None for r in (False, True))


def twin_member(spec: TwinSpec, residual: bool) -> Trained:
    """The plain (residual=False) or residual member of the twin: freshly built (steps 0) or the
    checkpoint shipped with the app; cached. Never trains: a setting that does not ship raises
    NotShipped, and its runs go through the job queue (TwinSpec.jobs, twins.twin_runs)."""
    def make() -> Trained:
        if spec.steps == 0:
            from resnet_core.training.engine import build_seeded

            return Trained(_for_inspection(build_seeded(spec.model_config(residual), spec.seed)), None, 0.0)
        net = twins.load_shipped(spec, residual)
        if net is None:
            raise NotShipped(f"no shipped checkpoint for {spec} ({spec.model_config(residual).twin})")
        return Trained(_for_inspection(net.model), net.test_acc, float(net.meta.get("train_seconds", 0.0)))
    return _MODELS.get_or_make(("twin", spec, residual), make)


def twin_runs(store, spec: TwinSpec) -> twins.TwinRuns:
    """The store's queued, running and finished runs of this twin setting (anyone's)."""
    return twins.twin_runs(store, spec)


def stored_model(store, run_id: int) -> Trained:
    """A finished run's checkpoint (runs do not change once finished); cached."""
    def make() -> Trained:
        info = store.get_run(run_id)
        return Trained(_for_inspection(store.load_model(run_id)), info.test_acc, info.seconds or 0.0)
    return _MODELS.get_or_make(("run", str(store.path), run_id), make)


def runs_with_checkpoints(store, limit: int = 100) -> list:
    """Finished runs that left a checkpoint, newest first. Analysis tasks (predictions, studies)
    finish without one: they are left out of the `limit` newest, not counted in and dropped, or a
    class's studies could hide every run ("no finished run with a saved checkpoint yet")."""
    return [r for r in store.list_runs(status="finished", limit=limit, nets_only=True) if r.has_checkpoint]


# --- one thread for the web process's small computations ------------------------------------

_THREADS_LOCK = threading.Lock()
_THREAD_USERS = 0
_THREADS_BEFORE = 0


@contextmanager
def one_thread() -> Iterator[None]:
    """Run with one intra-op thread while any caller is inside; the process's setting comes back
    when the last one leaves. These nets are tiny: on a busy two-core machine (workers training
    on every core) OpenMP's second thread spin-waits, and a Grad-CAM took 2.6 s with two threads
    against 0.07 s with one (an occlusion 9 s against 0.5 s)."""
    global _THREAD_USERS, _THREADS_BEFORE
    with _THREADS_LOCK:
        if _THREAD_USERS == 0:
            _THREADS_BEFORE = torch.get_num_threads()
            torch.set_num_threads(1)
        _THREAD_USERS += 1
    try:
        yield
    finally:
        with _THREADS_LOCK:
            _THREAD_USERS -= 1
            if _THREAD_USERS == 0:
                torch.set_num_threads(_THREADS_BEFORE)


def single_threaded(fn):
    @wraps(fn)
    def run(*args, **kwargs):
        with one_thread():
            return fn(*args, **kwargs)
    return run


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
        raise ConfigError(code="image_number", high=len(ds.y_test) - 1, value=index)
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

@single_threaded
def predict(model: nn.Module, x: torch.Tensor) -> tuple[int, float]:
    """(top class, its softmax probability) for one image."""
    net = private(model).eval()
    with torch.no_grad():
        probs = torch.softmax(net(x[None].float()), dim=1)[0]
    top = int(probs.argmax())
    return top, float(probs[top])


@single_threaded
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


@single_threaded
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


@single_threaded
def layer_stats(model: nn.Module, batch: torch.Tensor) -> dict[str, list]:
    """Per activation module, input side first: name, mean, std and share of exact zeros."""
    rows = probes.activation_stats(private(model), batch)
    return {key: [r[key] for r in rows] for key in ("name", "mean", "std", "zero_frac")}


def cam_layers(model: nn.Module) -> list[str]:
    """Layers Grad-CAM can explain from: every block (or, for VGG, every conv), last first."""
    blocks = [n for n, _ in named_blocks(model)]
    return list(reversed(blocks or [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]))


@single_threaded
def explain(model: nn.Module, x: torch.Tensor, method: str, target: int | None = None,
            **opts) -> Attribution:
    # captum (matplotlib with it) only when a page explains: Feature maps never pays its import.
    from resnet_core.inspection import attribution

    return attribution.attribute(private(model), x, target=target, method=method, **opts)
