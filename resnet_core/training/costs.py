"""How long a training run will take on this server, before it is queued.

    est = Estimator(store).estimate(model_cfg, train_cfg, device="cpu")
    est.seconds        # about this many seconds of one worker's time
    est.work           # multiply-adds: MACs per image x batch x steps

The model is deliberately simple: a fixed start-up cost (a worker loads its data, CUDA starts),
a per-step cost (the optimiser step, per-layer gradient norms, the store), a per-layer cost each
step (a GPU launches a few kernels per layer forward and backward: a small deep net on a GPU is
bound by those launches, not by its arithmetic) and the network's multiply-adds at a rate in
MACs per second. The defaults are a conservative guess for one CPU thread or one GPU. Once runs
have finished on this server, the store holds each run's estimate (and the uncorrected guess)
beside its measured time: with a few, the median ratio of measured to guessed time rescales the
guess; with enough runs of different shapes, the per-layer and per-MAC costs are fitted to them
for each kind of device, so the figure follows the machine it runs on (a loaded laptop, an idle
GPU) and the kind of net (launch-bound or arithmetic-bound). Where this server has finished runs of
exactly this net and training (seed apart), the figure is simply the median of the newest of their
measured times: a fit over runs of every shape, some trained while the server was busy, once
announced 1.9 min per run for four runs that took about 25 s each. No Streamlit here.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, replace

from resnet_core.messages import apart
from resnet_core.nets.config import ModelConfig, TrainConfig

LEARN_FROM = 30                   # the newest finished runs the correction is learned from
FIT_FROM = 6                      # runs of one device kind before costs are fitted, not only rescaled
RELEARN_SECONDS = 5.0             # a class submitting at once shares one look at the store
SAME_SEARCH = 200                 # the newest finished runs looked through for runs of one size
SAME_LATEST = 5                   # the newest runs of one size whose median is announced

# Training images per dataset (before the held-out split): what an epoch means in steps.
DATASET_IMAGES = {"digits": 1797, "shapes": 1600, "mnist": 60000, "fashion_mnist": 60000, "cifar10": 50000}


@dataclass(frozen=True)
class Speed:
    """What one run costs on one kind of device, before any correction."""
    fixed_s: float          # start-up: data onto the device, first step's allocations
    per_step_s: float       # per step whatever the net: optimiser, gradient norms, store writes
    macs_per_s: float       # forward multiply-adds per second (backward's ~2x is folded in)
    per_layer_s: float = 0.0   # per weighted layer per step: its kernel launches, forward and backward


# CPU: fitted to ResNet-20/56 on digits at 8, 16 and 32 px with one thread on a 2-core machine
# already half busy (3.1-3.7 G multiply-adds/s, about 10 ms a step besides), then taken about a
# quarter slower. An estimate far too high refuses runs that would fit (a guess 6x too high once
# refused a 25-second run as "11 minutes"); one too low lets a run hold a worker past the cap.
# The server's own finished runs correct either within a few runs.
# CUDA: a data-centre GPU runs a ResNet-56 step at the paper's batch in milliseconds, most of it
# kernel launches (a conv, a BN and an activation forward and backward per layer, then the
# optimiser); taken as 0.1 ms a layer and 1e12 forward MACs/s, cautious for a smaller card. The
# old flat 2e11 MACs/s priced ResNet-50 at 224 px twenty times too high and deep small nets low.
DEFAULT_SPEED = {"cpu": Speed(fixed_s=3.0, per_step_s=0.01, macs_per_s=2.5e9),
                 "cuda": Speed(fixed_s=5.0, per_step_s=0.003, macs_per_s=1.0e12, per_layer_s=1e-4)}


@dataclass(frozen=True)
class Estimate:
    seconds: float          # about this long on one worker of this server, queue wait not included
    steps: int              # planned optimiser steps
    macs_per_image: int     # the network's multiply-adds for one image (resnet_core.nets.flops)
    work: float             # macs_per_image x batch x steps
    device: str             # "cpu" or "cuda"
    learned_from: int       # finished runs on this server behind the figure (0: the default guess)
    macs_per_s: float       # the rate the estimate used, after the server's correction
    base_seconds: float     # the uncorrected guess: what the store learns the correction from
    same_size: int = 0      # finished runs of exactly this net and training whose median time `seconds` is


class RunTooLong(ValueError):
    """A run would hold a worker longer than one run may; the message says what to reduce."""

    def __init__(self, estimate: Estimate, limit: float, model_cfg: ModelConfig, train_cfg: TrainConfig,
                 label: str = ""):
        self.estimate, self.limit, self.label = estimate, limit, label
        self.steps, self.depth = estimate.steps, model_cfg.depth
        self.width, self.input_size = model_cfg.base_width, model_cfg.input_size
        self.width_mult = model_cfg.width_mult   # the Build page's "Width multiplier": it sizes the run too
        # Seconds with decimals where whole ones would read equal (1,800.4 s against a 1,800 s cap).
        need, cap = apart(estimate.seconds, limit, (f"{estimate.seconds:,.0f}", f"{limit:,.0f}"), decimals=1)
        super().__init__(
            f"{label + ': ' if label else ''}this run would take about {need} s on this "
            f"server and one run may take {cap} s at most: reduce the steps ({self.steps:,}), "
            f"the depth ({self.depth}), the width ({self.width}) or the input size ({self.input_size} px)")


def device_kind(device: str) -> str:
    """"cuda" or "cpu" for a configured device; "auto" means CUDA when this machine has it."""
    if device.startswith("cuda"):
        return "cuda"
    if device == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return "cpu"


def planned_steps(train_cfg: TrainConfig) -> int:
    """Steps the run will take; for an epoch-based run, counted from the dataset's size."""
    if not train_cfg.epochs:
        return train_cfg.steps
    images = DATASET_IMAGES.get(train_cfg.dataset, 60000)
    if train_cfg.max_samples:
        images = min(images, train_cfg.max_samples)
    n_train = max(1, int(images * (1 - train_cfg.holdout_fraction)))
    return train_cfg.epochs * max(1, n_train // min(train_cfg.batch_size, n_train))


def macs_per_image(model_cfg: ModelConfig) -> int:
    from resnet_core.nets.flops import count  # builds the net on the meta device: no memory, cached per config

    return count(model_cfg).macs


def weighted_layers(model_cfg: ModelConfig) -> int:
    """Convolutions and fully connected layers: what the per-layer cost counts."""
    from resnet_core.nets.flops import count

    return sum(1 for row in count(model_cfg).rows if row.type in ("Conv2d", "Linear"))


def size_key(kind: str, model_cfg: ModelConfig, train_cfg: TrainConfig) -> tuple:
    """What makes two runs the same size: the device kind, the net and the training, seed and
    where the data lives apart."""
    return kind, model_cfg, train_cfg.replace(seed=0, device="auto", data_dir="")


def base_seconds(speed: Speed, steps: int, work: float, layers: int = 0) -> float:
    return speed.fixed_s + steps * (speed.per_step_s + layers * speed.per_layer_s) + work / speed.macs_per_s


def fit_speed(default: Speed, samples: list[tuple[int, int, float, float]]) -> Speed | None:
    """Per-layer and per-MAC costs fitted to finished runs, (steps, layers, work, seconds) each;
    start-up and per-step costs stay the default's. Least squares on relative error, so a short
    run counts as much as a long one. None when the runs cannot tell the two costs apart (too
    few, or all of one shape) or the fit is not positive."""
    import numpy as np

    if len(samples) < FIT_FROM:
        return None
    steps, layers, work, seconds = (np.array(c, dtype=float) for c in zip(*samples))
    rest = seconds - default.fixed_s - steps * default.per_step_s   # what layers and MACs explain
    a = np.stack([steps * layers, work], axis=1) / seconds[:, None]
    b = rest / seconds
    if np.linalg.matrix_rank(a, tol=1e-9 * np.abs(a).max()) < 2:
        return None
    (per_layer, per_mac), *_ = np.linalg.lstsq(a, b, rcond=None)
    if per_mac <= 0:
        return None
    return Speed(default.fixed_s, default.per_step_s, 1.0 / per_mac, max(0.0, float(per_layer)))


class Estimator:
    """Estimates from the defaults, corrected by the runs this server has finished (the store's
    `guess_s` beside `seconds`). Thread-safe; reads the store at most every few seconds."""

    def __init__(self, store=None, speeds: dict[str, Speed] | None = None):
        self.store, self.speeds = store, dict(speeds or DEFAULT_SPEED)
        self._lock = threading.Lock()
        self._learned: dict[str, tuple[float, int]] = {}     # kind -> (measured / estimated, runs)
        self._fitted: dict[str, tuple[Speed, int]] = {}      # kind -> (fitted speed, runs)
        self._measured: dict[tuple, list[float]] = {}        # size_key -> measured seconds, newest first
        self._read_at = float("-inf")

    def correction(self, kind: str) -> tuple[float, int]:
        """(the median of measured / guessed seconds of recent finished runs, how many runs);
        (1.0, 0) before any."""
        with self._lock:
            self._refresh()
            return self._learned.get(kind, (1.0, 0))

    def fitted(self, kind: str) -> tuple[Speed, int] | None:
        """(the speed fitted to this server's runs of `kind`, how many runs), or None."""
        with self._lock:
            self._refresh()
            return self._fitted.get(kind)

    def measured(self, model_cfg: ModelConfig, train_cfg: TrainConfig, kind: str) -> list[float]:
        """Measured seconds of the newest finished runs (at most SAME_LATEST) of exactly this net
        and training on this kind of device, newest first; [] when there is none."""
        with self._lock:
            self._refresh()
            return list(self._measured.get(size_key(kind, model_cfg, train_cfg), ()))

    def _refresh(self) -> None:
        if self.store is not None and time.monotonic() - self._read_at > RELEARN_SECONDS:
            samples = self.store.cost_samples(SAME_SEARCH)
            self._learned, self._fitted = self._learn(), self._fit(samples[:LEARN_FROM])
            self._measured = self._by_size(samples)
            self._read_at = time.monotonic()

    @staticmethod
    def _by_size(samples) -> dict[tuple, list[float]]:
        out: dict[tuple, list[float]] = {}
        for device, model_cfg, train_cfg, steps, seconds in samples:   # newest first
            if steps != planned_steps(train_cfg):   # stopped early: not the time of a whole run
                continue
            times = out.setdefault(size_key(device_kind(device or "cpu"), model_cfg, train_cfg), [])
            if len(times) < SAME_LATEST:
                times.append(seconds)
        return out

    def forget(self) -> None:
        """Read the store again at the next estimate (a fresh store, a test)."""
        with self._lock:
            self._read_at = float("-inf")

    def _learn(self) -> dict[str, tuple[float, int]]:
        ratios: dict[str, list[float]] = {}
        for device, guess, seconds in self.store.timings(LEARN_FROM):
            if guess and seconds and guess > 0 and seconds > 0:
                ratios.setdefault(device_kind(device or "cpu"), []).append(seconds / guess)
        # The median: one run slowed by a busy moment does not move the figure much.
        return {kind: (statistics.median(r), len(r)) for kind, r in ratios.items()}

    def _fit(self, newest) -> dict[str, tuple[Speed, int]]:
        samples: dict[str, list] = {}
        for device, model_cfg, train_cfg, steps, seconds in newest:
            try:
                sample = (steps, weighted_layers(model_cfg),
                          float(macs_per_image(model_cfg)) * train_cfg.batch_size * steps, seconds)
            except Exception:   # a config this version cannot build: nothing to learn from it
                continue
            samples.setdefault(device_kind(device or "cpu"), []).append(sample)
        out = {}
        for kind, rows in samples.items():
            speed = fit_speed(self.speeds.get(kind, DEFAULT_SPEED["cpu"]), rows)
            if speed is not None:
                out[kind] = (speed, len(rows))
        return out

    def estimate(self, model_cfg: ModelConfig, train_cfg: TrainConfig, device: str = "auto") -> Estimate:
        kind = device_kind(train_cfg.device if train_cfg.device != "auto" else device)
        speed = self.speeds[kind]
        steps = planned_steps(train_cfg)
        per_image = macs_per_image(model_cfg)
        layers = weighted_layers(model_cfg)
        work = float(per_image) * train_cfg.batch_size * steps
        guess = base_seconds(speed, steps, work, layers)
        fitted = self.fitted(kind)
        if fitted is not None:
            fit, runs = fitted
            est = Estimate(base_seconds(fit, steps, work, layers), steps, per_image, work, kind, runs,
                           fit.macs_per_s, guess)
        else:
            ratio, runs = self.correction(kind)
            est = Estimate(guess * ratio, steps, per_image, work, kind, runs, speed.macs_per_s / ratio, guess)
        same = self.measured(model_cfg, train_cfg, kind)
        if same:   # what runs of exactly this size took here, not what a model of all sizes says
            return replace(est, seconds=statistics.median(same), same_size=len(same))
        return est

    def check(self, model_cfg: ModelConfig, train_cfg: TrainConfig, device: str = "auto",
              limit: float | None = None, label: str = "") -> Estimate:
        """The estimate, or RunTooLong when it is above `limit` seconds (None or 0: no cap)."""
        est = self.estimate(model_cfg, train_cfg, device)
        if limit and est.seconds > limit:
            raise RunTooLong(est, limit, model_cfg, train_cfg, label)
        return est
