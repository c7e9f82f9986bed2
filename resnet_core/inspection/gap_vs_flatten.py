"""Why global average pooling frees a network from its input size, shown by running one.

Two tiny CIFAR-style ResNets, identical except for the head, are built for one input size and
then fed another. The GAP head averages each channel to one number whatever the map's size, so
its FC layer always receives C numbers. The flatten head hands its FC layer C x H x W numbers, and
an FC layer's weight matrix has a fixed number of columns: any other size cannot be multiplied.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from resnet_core.nets.architectures import arch_config
from resnet_core.nets.config import ModelConfig
from resnet_core.nets.flops import count
from resnet_core.nets.models import build_model


@dataclass(frozen=True)
class HeadRun:
    head: str                          # "gap" or "flatten"
    train_size: int                    # the input side the net was built for
    test_size: int                     # the input side it was fed
    feature_shape: tuple[int, int, int]  # (C, H, W) of the last feature map at test_size
    fc_inputs: int                     # numbers the FC layer was built to take
    given_inputs: int                  # numbers the head hands the FC layer at test_size
    output_shape: tuple[int, ...]      # (classes,) when it ran; () when it failed
    error: str                         # PyTorch's one-line message when it failed, else ""

    @property
    def ok(self) -> bool:
        return not self.error


def tiny_config(head: str, train_size: int = 32) -> ModelConfig:
    """ResNet-8 with 8 base channels (32 at the end), 10 classes: small enough to run at once."""
    return ModelConfig(family="cifar", depth=8, base_width=8, head=head, input_size=train_size,
                       in_channels=3, num_classes=10)


def run_head(head: str, train_size: int, test_size: int, seed: int = 0) -> HeadRun:
    """Build the tiny net for `train_size` and run one random `test_size` image through it."""
    cfg = tiny_config(head, train_size)
    # Validate the test size the same way a config would (too small to halve twice, too large).
    cfg.replace(input_size=test_size)
    torch.manual_seed(seed)
    model = build_model(cfg).eval()
    x = torch.randn(1, cfg.in_channels, test_size, test_size)
    with torch.no_grad():
        features = model.features(x)                  # (1, C, H, W)
        c, h, w = features.shape[1:]
        given = c if head == "gap" else c * h * w
        try:
            out = model.head(features)                # (1, classes), or a shape error
        except RuntimeError as err:
            message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            return HeadRun(head, train_size, test_size, (c, h, w), model.head.fc.in_features,
                           given, (), message)
    return HeadRun(head, train_size, test_size, (c, h, w), model.head.fc.in_features,
                   given, tuple(out.shape[1:]), "")


def fc_share(arch: str = "vgg19") -> tuple[int, int]:
    """(parameters in fully connected layers, all parameters) of a named net at 224x224.
    VGG-19: about 123.6M of 143.7M (PAPER.md, "GAP vs FC")."""
    summary = count(arch_config(arch))
    return sum(r.params for r in summary.rows if r.type == "Linear"), summary.params
