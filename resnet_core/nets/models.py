"""Plain and residual networks of He et al. 2015 (and the pre-activation block of He et al. 2016).

One builder makes every net: `build_model(cfg)`, from the blocks in blocks.py. Plain vs
residual is one flag, so the two twins differ only by their shortcuts. Modules are hook-safe: no in-place ops, and one
activation module per use, so probes and captum see every activation on its own. Layers carry
stable names such as ``stage2.block0.conv1``.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from resnet_core.nets.blocks import BLOCK_CLASSES, BasicBlock, Bottleneck, PreActBlock, conv3x3, make_act, make_norm
from resnet_core.nets.config import VGG_LAYOUTS, ModelConfig


class ResNet(nn.Module):
    """Stem, stages of blocks, head. `cfg.residual=False` gives the plain twin."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        block = BLOCK_CLASSES[cfg.block]
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
        # Each block starts as the identity (Goyal et al. 2017, "Accurate, large minibatch SGD"):
        # the branch's last BN scale, or its last conv where no BN follows it, starts at zero.
        for m in model.modules():
            if isinstance(m, Bottleneck):
                nn.init.zeros_(m.bn3.weight if isinstance(m.bn3, nn.BatchNorm2d) else m.conv3.weight)
            elif isinstance(m, BasicBlock):
                nn.init.zeros_(m.bn2.weight if isinstance(m.bn2, nn.BatchNorm2d) else m.conv2.weight)
            elif isinstance(m, PreActBlock):
                nn.init.zeros_(m.conv2.weight)


def build_model(cfg: ModelConfig) -> nn.Module:
    """The one builder: a ResNet (plain or residual) or a VGG, from a validated config."""
    return VGG(cfg) if cfg.family == "vgg" else ResNet(cfg)


def weight_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Every conv and linear layer in forward order, with its readable name: the layers whose
    weight gradients the engine records and the pages plot against depth."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
