"""The training loop: the paper's recipe by default, per-step metrics, stop and divergence.

`train(model_cfg, train_cfg)` builds the data at the model's input size and channels, builds the
net from a seeded generator, and runs SGD (or Adam). Each step writes a `StepRecord` to the run's
sink (training/sinks.py): loss, batch accuracy, learning rate and the gradient norm of every conv
and linear weight. All of a
step's numbers travel to the host in one copy, so the loop syncs once per step, not per tensor.
The same seed and configs on the CPU give identical losses.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import nn

from resnet_core import settings
from resnet_core.messages import message
from resnet_core.data.datasets import Dataset, augment_batch, check_compatible, load_dataset
from resnet_core.nets.config import ConfigError, ModelConfig, TrainConfig
from resnet_core.nets.hooks import eval_mode
from resnet_core.nets.models import build_model
from resnet_core.training import gpu as gpus
from resnet_core.training.recorders import ActivationRecorder, GradNormRecorder
from resnet_core.training.results import EvalRecord, StatsRecord, StepRecord, TrainResult
from resnet_core.training.sinks import MemorySink, Sink

EVAL_SUBSET = 4096   # held-out images used for the evaluations during training; the last uses all
_BUILD_LOCK = threading.Lock()


def resolve_device(name: str) -> torch.device:
    """auto: CUDA when a GPU is present, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError(code="no_cuda")
    if name not in ("cpu", "cuda"):
        raise ConfigError(code="device", value=repr(name))
    return torch.device(name)


def lr_at(step: int, cfg: TrainConfig, total: int) -> float:
    """Learning rate for 0-based `step` of `total`."""
    if step < cfg.warmup_steps:
        # Linear from lr/10: the paper warms ResNet-110 up at 0.01 before 0.1 (section 4.2).
        return cfg.lr * (0.1 + 0.9 * step / cfg.warmup_steps)
    if cfg.schedule == "step":
        # Paper: /10 at 32k and 48k of 64k iterations, i.e. at 50% and 75% of training.
        return cfg.lr * (0.1 ** ((step >= 0.5 * total) + (step >= 0.75 * total)))
    if cfg.schedule == "cosine":
        span = max(1, total - cfg.warmup_steps)
        return cfg.lr * 0.5 * (1 + math.cos(math.pi * (step - cfg.warmup_steps) / span))
    return cfg.lr


def planned_steps(cfg: TrainConfig, n_train: int) -> int:
    if cfg.epochs:
        return cfg.epochs * max(1, n_train // min(cfg.batch_size, n_train))
    return cfg.steps


def augment_pad(size: int) -> int:
    # The paper pads 4 pixels on 32x32 images; keep the same share of the image at other sizes.
    return max(1, round(4 * size / 32))


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    # foreach: one fused update over all parameters, not a Python loop over ~170 tensors.
    if cfg.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, foreach=True)
    return torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                           weight_decay=cfg.weight_decay, foreach=True)


def build_seeded(model_cfg: ModelConfig, seed: int) -> nn.Module:
    """Build the net from `seed` without disturbing (or being disturbed by) the global RNG."""
    with _BUILD_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build_model(model_cfg)


@contextmanager
def cpu_threads(device: torch.device, n: int = 0) -> Iterator[None]:
    """Train with `n` intra-op threads on the CPU (0: settings.cpu_threads()) and denormals flushed to zero,
    both as before afterwards. Denormals make CPU maths crawl as weights decay toward zero;
    flushing them costs training nothing, but left on it would change what a later probe in the
    same process measures (Gradient flow's norms of 1e-20 and below are denormal on the way)."""
    if device.type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, n or settings.cpu_threads()))
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)    # torch's default; it has no getter to restore from
        torch.set_num_threads(before)


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, autocast: bool = False,
             batch: int = 1024) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of `model` (in eval mode) on (x, y)."""
    loss = torch.zeros((), device=x.device)
    correct = torch.zeros((), device=x.device)
    with eval_mode(model), torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=autocast):
        for i in range(0, len(x), batch):
            logits = model(x[i:i + batch]).float()
            loss += F.cross_entropy(logits, y[i:i + batch], reduction="sum")
            correct += (logits.argmax(1) == y[i:i + batch]).sum()
    loss_v, correct_v = torch.stack([loss, correct]).tolist()
    return loss_v / max(1, len(x)), correct_v / max(1, len(x))


class _Batches:
    """Shuffled epochs over the training tensors, drawn on the device from the run's generator."""

    def __init__(self, ds: Dataset, batch: int, generator: torch.Generator):
        self.ds, self.g = ds, generator
        self.batch = min(batch, len(ds.y_train))
        self.order, self.pos = None, 0

    def next(self) -> tuple[torch.Tensor, torch.Tensor]:
        n = len(self.ds.y_train)
        if self.order is None or self.pos + self.batch > n:
            self.order = torch.randperm(n, generator=self.g, device=self.ds.y_train.device)
            self.pos = 0
        idx = self.order[self.pos:self.pos + self.batch]
        self.pos += self.batch
        return self.ds.x_train[idx], self.ds.y_train[idx]


@dataclass
class _Setup:
    """Everything a run needs before its first step."""
    ds: Dataset
    model: nn.Module
    step_model: nn.Module          # the compiled model on a GPU when asked for, else `model`
    opt: torch.optim.Optimizer
    grads: GradNormRecorder
    acts: ActivationRecorder
    gen: torch.Generator
    total: int
    bf16: bool                     # bf16 autocast (CUDA, compute capability 8.0+; see training/gpu.py)


def _setup(model_cfg: ModelConfig, train_cfg: TrainConfig, device: torch.device) -> _Setup:
    ds = load_dataset(train_cfg.dataset, size=model_cfg.input_size, in_channels=model_cfg.in_channels,
                      data_dir=train_cfg.data_dir, seed=train_cfg.seed,
                      holdout_fraction=train_cfg.holdout_fraction, max_samples=train_cfg.max_samples,
                      device=device)
    # channels_last lets cuDNN and oneDNN pick their fastest convolutions (on the CPU too).
    model = build_seeded(model_cfg, train_cfg.seed).to(device).to(memory_format=torch.channels_last)
    step_model = torch.compile(model) if (device.type == "cuda" and train_cfg.compile) else model
    return _Setup(ds, model, step_model, make_optimizer(model, train_cfg), GradNormRecorder(model),
                  ActivationRecorder(model), torch.Generator(device=device).manual_seed(train_cfg.seed + 1),
                  planned_steps(train_cfg, len(ds.y_train)), gpus.use_bf16(device))


def train(model_cfg: ModelConfig, train_cfg: TrainConfig, *, should_stop: Callable[[], bool] | None = None,
          sink: Sink | None = None) -> TrainResult:
    """Train one net. Every record goes to `sink` (training/sinks.py): a StoreSink writes the run
    store in small batches (visible within a quarter of a second, and a finished run leaves a
    checkpoint); the default, a MemorySink, puts them on the result's history."""
    started = time.perf_counter()
    check_compatible(model_cfg, train_cfg)
    device = resolve_device(train_cfg.device)
    sink = sink if sink is not None else MemorySink()
    try:
        with cpu_threads(device):
            run = _setup(model_cfg, train_cfg, device)
            sink.start(device=gpus.device_name(device), layer_names=run.grads.names,
                       stat_names=run.acts.names, total_steps=run.total,
                       precision=gpus.precision(device, run.bf16))
            end = _loop(run, train_cfg, sink, should_stop)
        result = TrainResult(
            final_train_loss=end.final_train_loss, final_train_acc=end.final_train_acc, test_acc=end.test_acc,
            test_loss=end.test_loss, steps_done=end.steps_done, total_steps=run.total, status=end.status,
            seconds=time.perf_counter() - started, model=run.model, device=gpus.device_name(run.ds.y_train.device),
            layer_names=run.grads.names, stat_names=run.acts.names, error=end.error,
            precision=gpus.precision(run.ds.y_train.device, run.bf16), compile_seconds=end.compile_seconds)
        sink.finish(result)
        return result
    finally:
        sink.close()


@dataclass
class _End:
    """How the loop ended: what `train` puts on its result beside the setup's own facts."""
    status: str
    error: str
    steps_done: int
    final_train_loss: float
    final_train_acc: float
    test_loss: float
    test_acc: float
    compile_seconds: float


def _loop(run: _Setup, cfg: TrainConfig, sink: Sink, should_stop) -> _End:
    ds, model, opt, bf16, total = run.ds, run.model, run.opt, run.bf16, run.total
    batches = _Batches(ds, cfg.batch_size, run.gen)
    pad, fill = augment_pad(ds.size), ds.pad_value
    g_eval = torch.Generator().manual_seed(cfg.seed + 2)
    eval_ix = torch.randperm(len(ds.y_test), generator=g_eval)[:EVAL_SUBSET].to(ds.y_test.device)
    x_eval, y_eval = ds.x_test[eval_ix], ds.y_test[eval_ix]
    tail = max(1, math.ceil(total / 10))
    recent_loss, recent_acc = deque(maxlen=tail), deque(maxlen=tail)
    status, error, step = "finished", "", 0
    compiled, compile_seconds = run.step_model is not model, 0.0
    model.train()
    loop_start = time.perf_counter()
    for step in range(1, total + 1):
        if should_stop is not None and should_stop():
            status, step = "cancelled", step - 1
            break
        lr = lr_at(step - 1, cfg, total)
        for group in opt.param_groups:
            group["lr"] = lr
        x, y = batches.next()
        if cfg.augment:
            x = augment_batch(x, run.gen, pad=pad, flip=ds.flip, fill=fill)
        x = x.contiguous(memory_format=torch.channels_last)
        want_stats = step == 1 or step % cfg.stats_every == 0 or step == total
        first_compiled = compiled and not want_stats and compile_seconds == 0.0
        step_start = time.perf_counter()
        with run.acts.capture() if want_stats else nullcontext() as cap, \
                torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=bf16):
            # Hooks and a compiled graph do not mix: a stats step runs the eager model.
            logits = (model if want_stats else run.step_model)(x).float()
            loss = F.cross_entropy(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norms = run.grads.record()
        opt.step()
        correct = (logits.detach().argmax(1) == y).float().mean()
        # The step's one host sync: loss, accuracy and every layer's norm in one copy.
        values = torch.cat([loss.detach().float().view(1), correct.view(1), norms]).tolist()
        if first_compiled:   # the compiled graph's first call is where torch.compile compiles
            compile_seconds = time.perf_counter() - step_start
        if not math.isfinite(values[0]):
            # In words, as the pages say it (errors.json errword.*), not Python's "nan"/"inf"
            error = message("diverged", value="NaN (not a number)" if math.isnan(values[0]) else "infinite", step=step)
            status, step = "diverged", step - 1
            break
        rec = StepRecord(step, values[0], values[1], lr, values[2:], time.perf_counter() - loop_start, total)
        recent_loss.append(rec.loss)
        recent_acc.append(rec.acc)
        sink.step(rec)
        if cap is not None and cap.stats is not None:
            sink.stats(StatsRecord(step, cap.stats.tolist()))
        if step % cfg.eval_every == 0 and step < total:
            sink.eval(EvalRecord(step, *evaluate(run.step_model, x_eval, y_eval, autocast=bf16)))

    test_loss = test_acc = float("nan")
    if status != "diverged" and step > 0:
        test_loss, test_acc = evaluate(model, ds.x_test, ds.y_test, autocast=bf16)
        sink.eval(EvalRecord(step, test_loss, test_acc))
    model.eval()
    return _End(status, error, step, _mean(recent_loss), _mean(recent_acc), test_loss, test_acc, compile_seconds)


def _mean(values) -> float:
    return sum(values) / len(values) if values else float("nan")
