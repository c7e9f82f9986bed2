"""Plain and residual networks of He et al. 2015 (and the pre-activation block of He et al. 2016).

One builder makes every net: `build_model(cfg)`. Plain vs residual is one flag, so the two
twins differ only by their shortcuts. Modules are hook-safe: no in-place ops, and one
activation module per use, so probes and captum see every activation on its own. Layers carry
stable names such as ``stage2.block0.conv1``.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from .config import VGG_LAYOUTS, ModelConfig


def conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=1, stride=stride, bias=False)


def make_norm(kind: str, channels: int) -> nn.Module:
    return nn.BatchNorm2d(channels) if kind == "batch" else nn.Identity()


def make_act(name: str) -> nn.Module:
    # A fresh module on every call: reusing one instance would merge hooks across layers.
    if name == "relu":
        return nn.ReLU()
    if name == "leaky_relu":
        return nn.LeakyReLU(0.1)
    if name == "tanh":
        return nn.Tanh()
    if name == "sigmoid":
        return nn.Sigmoid()
    return nn.GELU()


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
            x = F.pad(x, (0, 0, 0, 0, 0, self.cout - self.cin))
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


class BasicBlock(nn.Module):
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
            out = out + self.shortcut(identity)   # H(x) = F(x) + x; not in place, for hooks
        return self.act2(out)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3, 1x1 expand by 4 (paper Figure 5, right). `stride_at` picks the layer
    that downsamples: v1 the first 1x1 (paper), v1.5 the 3x3 (torchvision)."""

    expansion = 4

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
            out = out + self.shortcut(identity)
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
            # A projection sees the pre-activated input, as in the authors' code; identity sees x.
            source = pre if isinstance(self.shortcut, nn.Sequential) else x
            out = out + self.shortcut(source)
        return out


BLOCK_TYPES = {"basic": BasicBlock, "bottleneck": Bottleneck, "preact": PreActBlock}


class ResNet(nn.Module):
    """Stem, stages of blocks, head. `cfg.residual=False` gives the plain twin."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        block = BLOCK_TYPES[cfg.block]
        width0 = cfg.width(0)
        stem: list[tuple[str, nn.Module]]
        if cfg.family == "imagenet":
            stem = [("conv", nn.Conv2d(cfg.in_channels, width0, 7, stride=2, padding=3, bias=False))]
        else:
            stem = [("conv", conv3x3(cfg.in_channels, width0))]
        if cfg.block != "preact":   # a pre-activation net normalises at the start of each block
            stem += [("bn", make_norm(cfg.norm, width0)), ("act", make_act(cfg.activation))]
        if cfg.family == "imagenet":
            stem.append(("pool", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)))
        self.stem = nn.Sequential(OrderedDict(stem))

        cin = width0
        for i, blocks in enumerate(cfg.blocks_per_stage):
            planes = cfg.width(i)
            layers = []
            for j in range(blocks):
                stride = 2 if (i > 0 and j == 0) else 1
                layers.append((f"block{j}", block(cfg, cin, planes, stride)))
                cin = planes * block.expansion
            self.add_module(f"stage{i + 1}", nn.Sequential(OrderedDict(layers)))

        if cfg.block == "preact":
            self.final_bn = make_norm(cfg.norm, cin)
            self.final_act = make_act(cfg.activation)
        self.head = make_head(cfg, cin)
        init_weights(self, cfg)

    @property
    def stages(self) -> list[nn.Sequential]:
        return [getattr(self, f"stage{i + 1}") for i in range(len(self.cfg.blocks_per_stage))]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x)
        if self.cfg.block == "preact":
            x = self.final_act(self.final_bn(x))
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))   # (B, num_classes)


def make_head(cfg: ModelConfig, channels: int) -> nn.Sequential:
    if cfg.head == "gap":
        # Global average pooling: one number per channel, whatever the input size (paper 3.3).
        return nn.Sequential(OrderedDict(pool=nn.AdaptiveAvgPool2d(1), flatten=nn.Flatten(),
                                  fc=nn.Linear(channels, cfg.num_classes)))
    side = cfg.final_spatial
    return nn.Sequential(OrderedDict(flatten=nn.Flatten(), fc=nn.Linear(channels * side * side, cfg.num_classes)))


class VGG(nn.Module):
    """VGG (Simonyan & Zisserman 2014), the paper's reference for cost (Figure 3, left)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        layers: list[tuple[str, nn.Module]] = []
        cin, conv_i, pool_i = cfg.in_channels, 0, 0
        for item in VGG_LAYOUTS[cfg.depth]:
            if item == "M":
                layers.append((f"pool{pool_i}", nn.MaxPool2d(2, 2, ceil_mode=True)))
                pool_i += 1
                continue
            cout = max(1, int(round(item * cfg.width_mult)))
            conv = nn.Conv2d(cin, cout, 3, padding=1, bias=cfg.norm != "batch")
            layers += [(f"conv{conv_i}", conv)]
            if cfg.norm == "batch":
                layers.append((f"bn{conv_i}", nn.BatchNorm2d(cout)))
            layers.append((f"act{conv_i}", make_act(cfg.activation)))
            cin, conv_i = cout, conv_i + 1
        self.features_seq = nn.Sequential(OrderedDict(layers))
        if cfg.head == "gap":
            self.head = make_head(cfg, cin)
        else:
            # The original three FC layers (about 124M of VGG-19's 144M parameters at 224x224).
            side = cfg.final_spatial
            self.head = nn.Sequential(OrderedDict(
                flatten=nn.Flatten(), fc1=nn.Linear(cin * side * side, 4096), act1=make_act(cfg.activation),
                drop1=nn.Dropout(0.5), fc2=nn.Linear(4096, 4096), act2=make_act(cfg.activation),
                drop2=nn.Dropout(0.5), fc=nn.Linear(4096, cfg.num_classes)))
        init_weights(self, cfg)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.features_seq(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def init_weights(model: nn.Module, cfg: ModelConfig) -> None:
    if cfg.init != "default":
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                if cfg.init == "he":
                    # He et al. 2015 ("Delving deep into rectifiers"), as the paper uses.
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                else:
                    nn.init.xavier_normal_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear) and cfg.init == "xavier":
                nn.init.xavier_normal_(m.weight)
                nn.init.zeros_(m.bias)
    if cfg.zero_init_residual and cfg.residual:
        # Each block starts as the identity (Goyal et al. 2017, "Accurate, large minibatch SGD").
        for m in model.modules():
            if isinstance(m, Bottleneck) and isinstance(m.bn3, nn.BatchNorm2d):
                nn.init.zeros_(m.bn3.weight)
            elif isinstance(m, BasicBlock) and isinstance(m.bn2, nn.BatchNorm2d):
                nn.init.zeros_(m.bn2.weight)
            elif isinstance(m, PreActBlock):
                nn.init.zeros_(m.conv2.weight)


def build_model(cfg: ModelConfig) -> nn.Module:
    """The one builder: a ResNet (plain or residual) or a VGG, from a validated config."""
    return VGG(cfg) if cfg.family == "vgg" else ResNet(cfg)


def weight_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Every conv and linear layer in forward order, with its readable name: the layers whose
    weight gradients the engine records and the pages plot against depth."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
