"""The paper's networks by name: resnet20..1202 (CIFAR), resnet18..152 (ImageNet), vgg11..19,
and their plain twins (plain20, plain56...), as ModelConfigs with the paper's defaults."""

from __future__ import annotations

from typing import Any

from resnet_core.nets.config import IMAGENET_BOTTLENECK_DEPTHS, IMAGENET_STAGES, ConfigError, ModelConfig


def arch_config(arch: str, *, plain: bool = False, **overrides: Any) -> ModelConfig:
    """The ModelConfig of a named architecture (resnet20..1202, resnet18..152, vgg11..19).

    CIFAR names default to 32x32, 10 classes, option A (paper section 4.2); ImageNet names to
    224x224, 1000 classes, option B (paper Table 3's choice for the deeper nets). Bottleneck nets
    take the paper's layout, the stride on the first 1x1 ("v1"); torchvision's "v1.5" (the stride
    on the 3x3) only when `stride_at="v1.5"` asks for it. An override of None keeps the default.
    """
    name = arch.strip().lower()
    if name.startswith("plain"):
        name, plain = "resnet" + name[len("plain"):], True
    number = name[len("resnet"):] if name.startswith("resnet") else name[len("vgg"):]
    if not (name.startswith(("resnet", "vgg")) and number.isdigit()):
        raise ConfigError(code="unknown_arch", value=repr(arch))
    depth = int(number)
    if name.startswith("vgg"):
        base = dict(family="vgg", depth=depth, input_size=224, num_classes=1000, head="flatten", norm="none")
    elif depth in IMAGENET_STAGES:
        block = "bottleneck" if depth in IMAGENET_BOTTLENECK_DEPTHS else "basic"
        base = dict(family="imagenet", depth=depth, block=block, base_width=64, shortcut="B",
                    input_size=224, num_classes=1000)
    else:
        base = dict(family="cifar", depth=depth, base_width=16, shortcut="A",
                    input_size=32, num_classes=10)
    base["residual"] = not plain
    base.update({k: v for k, v in overrides.items() if v is not None})
    return ModelConfig(**base)
