"""Looking inside a network: feature maps, activation statistics and gradients at initialisation.

Every probe works through the context managers in hooks.py, so hooks always remove themselves
and the model is left as it was found: train/eval flags and BatchNorm buffers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from resnet_core.data.uploads import as_batch
from resnet_core.nets.blocks import BLOCK_TYPES, named_activations, named_blocks
from resnet_core.nets.config import ConfigError, ModelConfig
from resnet_core.nets.hooks import capture, find_modules, hooked, inference_state, model_device
from resnet_core.nets.models import build_model, weight_layers
from resnet_core.training.recorders import l2_norms

Batch = torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None


# Feature maps

class LayerChoice(NamedTuple):
    name: str                  # e.g. stage2.block0.conv1
    kind: str                  # stem, block, conv or pool
    shape: tuple[int, ...]     # output (C, H, W) for one image


def layer_choices(model: nn.Module, input_size: int | None = None) -> list[LayerChoice]:
    """Layers worth showing as feature maps (stem, each block's output, each conv, VGG's
    pools), in the order the forward pass produces their outputs (a block's convs come just
    before the block itself), with their output shapes."""
    cfg = getattr(model, "cfg", None)
    size = input_size or (cfg.input_size if cfg else 32)
    channels = cfg.in_channels if cfg else 3
    kinds = {}
    for name, m in model.named_modules():
        if name == "stem":
            kinds[name] = "stem"
        elif isinstance(m, BLOCK_TYPES):
            kinds[name] = "block"
        elif isinstance(m, nn.Conv2d):
            kinds[name] = "conv"
        elif isinstance(m, nn.MaxPool2d) and not name.startswith("stem"):
            kinds[name] = "pool"
    seen: dict[str, tuple[int, ...]] = {}   # insertion order = call order

    def record(name, module, inputs, output):
        seen.setdefault(name, tuple(output.shape[1:]))

    x = torch.zeros(1, channels, size, size, device=model_device(model))
    with inference_state(model), hooked(find_modules(model, list(kinds)), record):
        with torch.no_grad():
            model(x)
    return [LayerChoice(name, kinds[name], shape) for name, shape in seen.items()]


def feature_maps(model: nn.Module, image: torch.Tensor, layer_name: str) -> torch.Tensor:
    """The output of one layer for one image, (C, H, W), in eval mode without gradients."""
    x = as_batch(image).to(model_device(model))
    with inference_state(model), capture(model, [layer_name]) as out, torch.no_grad():
        model(x)
    maps = out[layer_name]
    if maps.dim() != 4:
        raise ConfigError(code="not_feature_maps", value=repr(layer_name), shape=tuple(maps.shape[1:]))
    return maps[0]


# Activation statistics

def activation_stats(model: nn.Module, x: torch.Tensor, *, bins: int = 40,
                     batch_stats: bool = False) -> list[dict]:
    """Mean, std, share of exact zeros and a histogram of every activation module's output.

    ``batch_stats=True`` lets BatchNorm use the batch's statistics, as on the first training
    step; a fresh net's running statistics (mean 0, variance 1) would make BN a no-op.
    """
    rows: list[dict] = []

    def measure(name, module, inputs, output):
        t = output.detach().float().flatten()
        finite = t[torch.isfinite(t)]
        lo, hi = (finite.min().item(), finite.max().item()) if finite.numel() else (0.0, 1.0)
        if hi <= lo:                      # a constant layer still gets a readable histogram
            lo, hi = lo - 0.5, hi + 0.5
        counts = torch.histc(finite, bins=bins, min=lo, max=hi)
        rows.append(dict(name=name, mean=t.mean().item(), std=t.std().item(),
                         zero_frac=(t == 0).float().mean().item(),
                         hist=(counts.cpu().numpy(), np.linspace(lo, hi, bins + 1))))

    acts = named_activations(model)
    with inference_state(model, batch_stats=batch_stats), hooked(acts, measure), torch.no_grad():
        model(x.to(model_device(model)))
    return rows


# Gradients at initialisation

def _fresh_batch(model_cfg: ModelConfig, batch: int, seed: int, data: Batch,
                 device) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """A freshly initialised net in train mode and one batch, both from ``seed``; the global
    random state is left as it was."""
    if not 1 <= batch <= 1024:
        raise ConfigError(code="range_images", name="batch", low=1, high=1024, value=batch)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model(model_cfg).to(device).train()
        x, y = data if isinstance(data, tuple) else (data, None)
        if x is None:
            size = model_cfg.input_size
            x = torch.randn(batch, model_cfg.in_channels, size, size)
        if x.dim() != 4 or x.shape[1] != model_cfg.in_channels:
            raise ConfigError(code="batch_shape", channels=model_cfg.in_channels, shape=tuple(x.shape))
        if y is None:
            y = torch.randint(0, model_cfg.num_classes, (x.shape[0],))
    return model, x.to(device), y.to(device)


def grad_norms_at_init(model_cfg: ModelConfig, batch: int = 16, seed: int = 0, data: Batch = None,
                       device: str | torch.device = "cpu") -> tuple[list[str], np.ndarray]:
    """L2 norm of each conv/linear weight gradient after one forward and backward pass of a
    fresh net (train mode, cross-entropy), input layer first.

    ``data``: None (standard normal images, random labels), images, or (images, labels).
    What it shows (bench/bench_probes.py, 16x16 inputs): with sigmoid and no BN a plain net's
    first layers get about 1e-9 of its last layers' gradient at depth 20, about 1e-28 at depth
    56, and exactly 0 in some layers by depth 110; a pre-activation residual net keeps them
    within about 10x. With ReLU, He init
    and no BN, plain nets do not vanish: the init was designed for that (He et al. 2015b).
    With BN, plain nets' first layers get larger gradients at initialisation, thousands of
    times the last layers' at depth 56, while residual twins stay within about 10-40x.
    """
    model, x, y = _fresh_batch(model_cfg, batch, seed, data, device)
    layers = weight_layers(model)
    loss = F.cross_entropy(model(x), y)
    grads = torch.autograd.grad(loss, [m.weight for _, m in layers])
    return [name for name, _ in layers], l2_norms(grads).cpu().numpy()


@dataclass(frozen=True)
class BlockGains:
    names: list[str]          # block names, input side first
    in_norms: np.ndarray      # ||dL/dx_in|| per block
    out_norms: np.ndarray     # ||dL/dx_out|| per block
    gains: np.ndarray         # in_norms / out_norms: how the gradient changes crossing the block
    end_to_end: float         # ||dL/dx_in|| of the first block / ||dL/dx_out|| of the last


def block_gradient_gains(model_cfg: ModelConfig, batch: int = 16, seed: int = 0, data: Batch = None,
                         device: str | torch.device = "cpu") -> BlockGains:
    """The "1 + dF/dx" argument, measured. A residual block passes back dL/dx_out (1 + dF/dx),
    so its gain stays near 1 even when dF/dx is small; a plain block passes dL/dx_out dF/dx only,
    and the gains multiply along the depth (He et al. 2016, eq. 5)."""
    model, x, y = _fresh_batch(model_cfg, batch, seed, data, device)
    blocks = named_blocks(model)
    if not blocks:
        raise ConfigError(code="no_blocks")
    ins: list[torch.Tensor] = []
    outs: list[torch.Tensor] = []

    def keep(name, module, inputs, output):
        ins.append(inputs[0])
        outs.append(output)

    with hooked(blocks, keep):
        loss = F.cross_entropy(model(x), y)
    grads = torch.autograd.grad(loss, ins + outs)
    norms = l2_norms(grads).cpu().numpy()
    k = len(blocks)
    in_norms, out_norms = norms[:k], norms[k:]
    tiny = np.finfo(np.float64).tiny
    return BlockGains(names=[n for n, _ in blocks], in_norms=in_norms, out_norms=out_norms,
                      gains=in_norms / np.maximum(out_norms, tiny),
                      end_to_end=float(in_norms[0] / max(out_norms[-1], tiny)))
