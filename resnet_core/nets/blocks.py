"""The building blocks of He et al. 2015's networks (and He et al. 2016's pre-activation block).

Small helpers first (convolutions, norm, activation), then the one place the shortcut choice
A/B/C lives, then the three blocks. A block with ``shortcut is None`` is a plain block: the same
layers without the addition. Each residual block exposes its skip path (``skip``) and what it
gives with its residual branch deleted (``without_branch``), so probes never read its internals.
Modules are hook-safe: no in-place ops, one activation module per use.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from resnet_core.nets.config import ConfigError, ModelConfig


def conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=1, stride=stride, bias=False)


def make_norm(kind: str, channels: int) -> nn.Module:
    return nn.BatchNorm2d(channels) if kind == "batch" else nn.Identity()


# The module for each name in config.ACTIVATIONS, in its order (tests/test_models.py checks).
ACTIVATION_MODULES = {"relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.1), "tanh": nn.Tanh,
                      "sigmoid": nn.Sigmoid, "gelu": nn.GELU}
# What probes look for: every module make_act can return.
ACTIVATION_TYPES = tuple(type(make()) for make in ACTIVATION_MODULES.values())


def make_act(name: str) -> nn.Module:
    # A fresh module on every call: reusing one instance would merge hooks across layers.
    if name not in ACTIVATION_MODULES:   # never a silent stand-in: a typo would train another net
        raise ConfigError(code="one_of", name="activation", options=", ".join(ACTIVATION_MODULES),
                          value=repr(name))
    return ACTIVATION_MODULES[name]()


class ZeroPadShortcut(nn.Module):
    """Option A: parameter-free identity; where the shape changes, subsample by striding and
    pad the new channels with zeros (He et al. 2015, section 3.3)."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.cin, self.cout, self.stride = cin, cout, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            x = x[:, :, :: self.stride, :: self.stride]
        if self.cout > self.cin:
            x = F.pad(x, (0, 0, 0, 0, 0, self.cout - self.cin))   # zeros after the last channel
        return x

    def extra_repr(self) -> str:
        return f"{self.cin}->{self.cout}, stride={self.stride}"


def make_shortcut(cfg: ModelConfig, cin: int, cout: int, stride: int) -> nn.Module | None:
    """The one place the A/B/C choice lives. None means a plain net: no shortcut at all."""
    if not cfg.residual:
        return None
    reshapes = stride != 1 or cin != cout
    if cfg.shortcut == "C" or (cfg.shortcut == "B" and reshapes):
        # B, C: a 1x1 projection W_s x (paper eq. 2), with BN as in the paper's ImageNet nets.
        layers = [("conv", conv1x1(cin, cout, stride))]
        if cfg.norm == "batch":
            layers.append(("bn", nn.BatchNorm2d(cout)))
        return nn.Sequential(OrderedDict(layers))
    if reshapes:
        return ZeroPadShortcut(cin, cout, stride)
    return nn.Identity()


class PostAddBlock(nn.Module):
    """What the paper's two 2015 blocks share: an activation after the addition, named by
    `last_act` (act2 in the basic block, act3 in the bottleneck)."""

    last_act = "act2"

    def skip(self, x: torch.Tensor) -> torch.Tensor:
        """The shortcut's term of the addition (a residual block only)."""
        return self.shortcut(x)

    def without_branch(self, x: torch.Tensor) -> torch.Tensor:
        """The block's output with its residual branch deleted, F(x) = 0 (Veit et al. 2016)."""
        return getattr(self, self.last_act)(self.skip(x))


class BasicBlock(PostAddBlock):
    """Two 3x3 convs (paper Figure 5, left)."""

    expansion = 1

    def __init__(self, cfg: ModelConfig, cin: int, planes: int, stride: int):
        super().__init__()
        self.conv1 = conv3x3(cin, planes, stride)
        self.bn1 = make_norm(cfg.norm, planes)
        self.act1 = make_act(cfg.activation)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = make_norm(cfg.norm, planes)
        self.shortcut = make_shortcut(cfg, cin, planes, stride)
        self.act2 = make_act(cfg.activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.act1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.shortcut is not None:
            out = out + self.skip(identity)   # H(x) = F(x) + x; not in place, for hooks
        return self.act2(out)


class Bottleneck(PostAddBlock):
    """1x1 reduce, 3x3, 1x1 expand by 4 (paper Figure 5, right). `stride_at` picks the layer
    that downsamples: v1 the first 1x1 (paper), v1.5 the 3x3 (torchvision)."""

    expansion = 4
    last_act = "act3"

    def __init__(self, cfg: ModelConfig, cin: int, planes: int, stride: int):
        super().__init__()
        out_ch = planes * self.expansion
        s1, s2 = (stride, 1) if cfg.stride_at == "v1" else (1, stride)
        self.conv1 = conv1x1(cin, planes, s1)
        self.bn1 = make_norm(cfg.norm, planes)
        self.act1 = make_act(cfg.activation)
        self.conv2 = conv3x3(planes, planes, s2)
        self.bn2 = make_norm(cfg.norm, planes)
        self.act2 = make_act(cfg.activation)
        self.conv3 = conv1x1(planes, out_ch)
        self.bn3 = make_norm(cfg.norm, out_ch)
        self.shortcut = make_shortcut(cfg, cin, out_ch, stride)
        self.act3 = make_act(cfg.activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.act1(self.bn1(self.conv1(x)))
        out = self.act2(self.bn2(self.conv2(out)))     # (B, planes, H/s, W/s)
        out = self.bn3(self.conv3(out))                # (B, 4*planes, H/s, W/s)
        if self.shortcut is not None:
            out = out + self.skip(identity)
        return self.act3(out)


class PreActBlock(nn.Module):
    """Full pre-activation: BN -> act -> conv, twice; nothing after the addition, so the
    identity path stays clean from block to block (He et al. 2016, Figure 4e)."""

    expansion = 1

    def __init__(self, cfg: ModelConfig, cin: int, planes: int, stride: int):
        super().__init__()
        self.bn1 = make_norm(cfg.norm, cin)
        self.act1 = make_act(cfg.activation)
        self.conv1 = conv3x3(cin, planes, stride)
        self.bn2 = make_norm(cfg.norm, planes)
        self.act2 = make_act(cfg.activation)
        self.conv2 = conv3x3(planes, planes)
        self.shortcut = make_shortcut(cfg, cin, planes, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pre = self.act1(self.bn1(x))
        out = self.conv1(pre)
        out = self.conv2(self.act2(self.bn2(out)))
        if self.shortcut is not None:
            out = out + self.skip(x, pre)
        return out

    def skip(self, x: torch.Tensor, pre: torch.Tensor | None = None) -> torch.Tensor:
        """The shortcut's term of the addition (a residual block only). A projection sees the
        pre-activated input, as in the authors' code; the identity sees x."""
        if isinstance(self.shortcut, nn.Sequential):
            return self.shortcut(self.act1(self.bn1(x)) if pre is None else pre)
        return self.shortcut(x)

    def without_branch(self, x: torch.Tensor) -> torch.Tensor:
        """The block's output with its residual branch deleted, F(x) = 0 (Veit et al. 2016):
        nothing follows the addition here."""
        return self.skip(x)


# The class for each name in config.BLOCKS, in its order (tests/test_models.py checks), and
# the tuple probes test modules against.
BLOCK_CLASSES = {"basic": BasicBlock, "bottleneck": Bottleneck, "preact": PreActBlock}
BLOCK_TYPES = tuple(BLOCK_CLASSES.values())


def named_blocks(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Every residual-family block (residual or plain) in forward order, with its name."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, BLOCK_TYPES)]


def named_activations(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Every nonlinearity module in forward order, named as in the model (`stage1.block0.act1`)."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, ACTIVATION_TYPES)]


def block_outputs(model: nn.Module) -> list[tuple[str, str]]:
    """(stage, activation) naming each residual block's output, the activation after the
    addition, act(F(x) + x), in forward order: ("stage1", "stage1.block0.act2"). Plain blocks
    add nothing and pre-activation blocks put nothing after the addition, so neither is listed."""
    out = []
    for name, block in named_blocks(model):
        if isinstance(block, PreActBlock) or getattr(block, "shortcut", None) is None:
            continue
        acts = named_activations(block)
        if acts:
            out.append((name.rsplit(".", 1)[0], f"{name}.{acts[-1][0]}"))
    return out
