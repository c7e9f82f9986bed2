"""Batch normalisation, shown with numbers: what one BN layer computes in training and in
evaluation, and how the activations of a whole net look with and without it.

BN (Ioffe & Szegedy 2015), per channel c over the batch and the spatial positions:

    training:   y = gamma * (x - mean_batch) / sqrt(var_batch + eps) + beta
                running_mean <- (1 - momentum) * running_mean + momentum * mean_batch
                running_var  <- (1 - momentum) * running_var  + momentum * var_batch_unbiased
    evaluation: y = gamma * (x - running_mean) / sqrt(running_var + eps) + beta

The batch variance that normalises is the biased one (divide by n); the one that feeds the
running average is unbiased (divide by n - 1), as torch.nn.BatchNorm2d does. The paper puts BN
after every convolution, before the activation (He et al. 2015, section 3.4).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from resnet_core.data.datasets import load_dataset
from resnet_core.inspection.probes import activation_stats
from resnet_core.nets.config import ConfigError, ModelConfig

FRESH_MEAN, FRESH_VAR = 0.0, 1.0   # a new BN layer's running statistics (PyTorch's defaults)


@dataclass(frozen=True)
class BNExample:
    x: np.ndarray                    # (N, C, H, W) the batch shown, float64
    gamma: np.ndarray                # (C,) scale, learned
    beta: np.ndarray                 # (C,) shift, learned
    eps: float
    momentum: float
    warm_batches: int                # training batches the layer saw before this one
    batch_mean: np.ndarray           # (C,) over N, H, W
    batch_var: np.ndarray            # (C,) biased (divide by n): what training normalises with
    batch_var_unbiased: np.ndarray   # (C,) divide by n - 1: what the running average takes in
    x_hat: np.ndarray                # (N, C, H, W) normalised: mean 0, variance ~1 per channel
    train_out: np.ndarray            # gamma * x_hat + beta
    running_mean_before: np.ndarray  # (C,) running statistics before this batch
    running_var_before: np.ndarray
    running_mean: np.ndarray         # (C,) after this batch's update: what eval mode uses next
    running_var: np.ndarray
    eval_out: np.ndarray             # the same batch through the layer in eval mode

    @property
    def per_channel(self) -> int:
        """How many numbers each channel's statistics are taken over: N x H x W."""
        n, _, h, w = self.x.shape
        return n * h * w

    @property
    def centred(self) -> np.ndarray:
        """x - mean_batch, per channel: the first step of normalising."""
        return self.x - self.batch_mean.reshape(1, -1, 1, 1)

    @property
    def caught_up(self) -> float:
        """The share of the way the running statistics have moved from a new layer's (0, 1)
        towards the data's after warm_batches + 1 updates: 1 - (1 - momentum)^(k + 1)."""
        return 1.0 - (1.0 - self.momentum) ** (self.warm_batches + 1)


def _positive_int(name: str, value, low: int, high: int) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not low <= value <= high:
        raise ConfigError(code="whole_range", name=name, low=low, high=high, value=repr(value))
    return int(value)


def bn_example(batch: int = 4, channels: int = 2, size: int = 2, *, shift: float = 3.0,
               spread: float = 2.0, gamma: float | list[float] = 1.5, beta: float | list[float] = 0.5,
               warm_batches: int = 0, momentum: float = 0.1, eps: float = 1e-5,
               seed: int = 0) -> BNExample:
    """One BN layer fed batches of pre-activations ~ N(shift, spread^2) (channel c is shifted by
    an extra c, so channels differ): `warm_batches` batches in training mode first, then the
    batch shown, in training mode and in eval mode. Computed from the formulas above, in float64.

    With warm_batches=0 the running statistics are a fresh layer's (0 and 1) moved one
    momentum step, so eval mode barely normalises; after enough batches they approach the data's
    mean and variance, and eval mode gives nearly what training gave.
    """
    batch = _positive_int("batch", batch, 2, 64)         # one value per channel has no variance
    channels = _positive_int("channels", channels, 1, 8)
    size = _positive_int("size", size, 1, 8)
    warm_batches = _positive_int("warm_batches", warm_batches, 0, 10_000)
    for name, value in (("shift", shift), ("spread", spread), ("momentum", momentum), ("eps", eps)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not np.isfinite(value):
            raise ConfigError(code="number", name=name, value=repr(value))
    if spread <= 0:
        raise ConfigError(code="above_zero", name="spread", value=spread)
    if not 0.0 < momentum <= 1.0:
        raise ConfigError(code="above_zero_at_most", name="momentum", high=1, value=momentum)
    if eps <= 0:
        raise ConfigError(code="above_zero", name="eps", value=eps)
    g = np.broadcast_to(np.asarray(gamma, np.float64), (channels,)).copy()
    b = np.broadcast_to(np.asarray(beta, np.float64), (channels,)).copy()

    rng = np.random.default_rng(seed)
    offset = (shift + np.arange(channels, dtype=np.float64)).reshape(1, -1, 1, 1)

    def draw() -> np.ndarray:
        # float32 values, held in float64: torch's float32 layer sees exactly the same numbers.
        return (offset + spread * rng.standard_normal((batch, channels, size, size))) \
            .astype(np.float32).astype(np.float64)

    axes = (0, 2, 3)
    run_mean, run_var = np.full(channels, FRESH_MEAN), np.full(channels, FRESH_VAR)
    for _ in range(warm_batches):
        xb = draw()
        run_mean = (1 - momentum) * run_mean + momentum * xb.mean(axes)
        run_var = (1 - momentum) * run_var + momentum * xb.var(axes, ddof=1)
    x = draw()
    mean, var, var_u = x.mean(axes), x.var(axes), x.var(axes, ddof=1)
    view = lambda v: v.reshape(1, -1, 1, 1)   # noqa: E731  (C,) -> broadcast over N, H, W
    x_hat = (x - view(mean)) / np.sqrt(view(var) + eps)
    new_mean = (1 - momentum) * run_mean + momentum * mean
    new_var = (1 - momentum) * run_var + momentum * var_u
    eval_out = view(g) * (x - view(new_mean)) / np.sqrt(view(new_var) + eps) + view(b)
    return BNExample(x=x, gamma=g, beta=b, eps=float(eps), momentum=float(momentum),
                     warm_batches=warm_batches, batch_mean=mean, batch_var=var, batch_var_unbiased=var_u,
                     x_hat=x_hat, train_out=view(g) * x_hat + view(b),
                     running_mean_before=run_mean, running_var_before=run_var,
                     running_mean=new_mean, running_var=new_var, eval_out=eval_out)


def torch_reference(ex: BNExample) -> dict[str, np.ndarray]:
    """The same batch through torch.nn.BatchNorm2d (float32) whose running statistics are set to
    the example's before-values: its training output, updated running statistics and eval
    output. The page shows how far our step-by-step numbers are from PyTorch's."""
    channels = ex.x.shape[1]
    bn = nn.BatchNorm2d(channels, eps=ex.eps, momentum=ex.momentum)
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(ex.gamma))
        bn.bias.copy_(torch.from_numpy(ex.beta))
        bn.running_mean.copy_(torch.from_numpy(ex.running_mean_before))
        bn.running_var.copy_(torch.from_numpy(ex.running_var_before))
        x = torch.from_numpy(ex.x).float()
        train_out = bn.train()(x)
        eval_out = bn.eval()(x)
    return {"train_out": train_out.double().numpy(), "eval_out": eval_out.double().numpy(),
            "running_mean": bn.running_mean.double().numpy(), "running_var": bn.running_var.double().numpy()}


def max_difference(ex: BNExample) -> float:
    """Largest absolute gap between the example's numbers and torch.nn.BatchNorm2d's."""
    ref = torch_reference(ex)
    return float(max(np.abs(getattr(ex, k) - v).max() for k, v in ref.items()))


# A whole net's activations with and without BN

def real_batch(model_cfg: ModelConfig, dataset: str = "digits", n: int = 256, seed: int = 0) -> torch.Tensor:
    """`n` training images of an embedded dataset, normalised as training sees them, at the
    model's input size and channels."""
    n = _positive_int("n", n, 2, 4096)
    ds = load_dataset(dataset, size=model_cfg.input_size, in_channels=model_cfg.in_channels, seed=seed)
    return ds.x_train[:n].cpu()


def fresh_model(model_cfg: ModelConfig, seed: int = 0) -> nn.Module:
    """The net as training would build it from `seed` (the engine's seeded builder)."""
    from resnet_core.training.engine import build_seeded  # local: keeps this module light to import

    return build_seeded(model_cfg, seed)


@dataclass(frozen=True)
class LayerProfile:
    names: list[str]              # activation modules, input side first
    mean: np.ndarray              # per layer
    std: np.ndarray
    zero_frac: np.ndarray         # share of exact zeros (after ReLU: units that are off)
    hists: list[tuple[np.ndarray, np.ndarray]]   # per layer: (counts, bin edges)


def layer_profile(model: nn.Module, x: torch.Tensor, *, batch_stats: bool, bins: int = 40) -> LayerProfile:
    """Every activation's distribution on the batch `x`. A fresh net needs ``batch_stats=True``
    (BN normalises with the batch, as on the first training step: its running statistics are
    still 0 and 1); a trained net is measured as it predicts, in eval mode."""
    rows = activation_stats(model, x, bins=bins, batch_stats=batch_stats)
    if not rows:
        raise ConfigError(code="no_activations")
    return LayerProfile(names=[r["name"] for r in rows], mean=np.array([r["mean"] for r in rows]),
                        std=np.array([r["std"] for r in rows]),
                        zero_frac=np.array([r["zero_frac"] for r in rows]),
                        hists=[r["hist"] for r in rows])


def init_profile(model_cfg: ModelConfig, dataset: str = "digits", n: int = 256, seed: int = 0,
                 bins: int = 40) -> LayerProfile:
    """Activations of a freshly initialised net on `n` real images (batch statistics in BN)."""
    x = real_batch(model_cfg, dataset, n, seed)
    return layer_profile(fresh_model(model_cfg, seed), x, batch_stats=True, bins=bins)


def trained_profile(model: nn.Module, dataset: str = "digits", n: int = 256, seed: int = 0,
                    bins: int = 40) -> LayerProfile:
    """Activations of a trained net on `n` real images, measured as it predicts: eval mode, BN
    with the running statistics it learned."""
    cfg = getattr(model, "cfg", None)
    if not isinstance(cfg, ModelConfig):
        raise ConfigError(code="no_cfg")
    return layer_profile(model, real_batch(cfg, dataset, n, seed), batch_stats=False, bins=bins)
