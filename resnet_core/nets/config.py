"""What a network and a training run are, as frozen, validated dataclasses.

Widgets build these, the library takes them, the run store saves them (``to_dict`` /
``from_dict``). Every invalid combination raises ``ConfigError`` with a message a
student can act on: what was wrong and what is allowed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from resnet_core.messages import ConfigError

__all__ = ["ConfigError", "ModelConfig", "TrainConfig"]   # ConfigError lives in resnet_core.messages

FAMILIES = ("cifar", "imagenet", "custom", "vgg")
BLOCKS = ("basic", "bottleneck", "preact")
SHORTCUTS = ("A", "B", "C")
NORMS = ("batch", "none")
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "gelu")
RELU_LIKE = ("relu", "leaky_relu", "gelu")     # the activations He init was derived for
INITS = ("he", "xavier", "default")
HEADS = ("gap", "flatten")
STRIDE_AT = ("v1", "v1.5")

# ImageNet family (He et al. 2015, Table 1): blocks per stage for each named depth.
IMAGENET_STAGES = {
    18: (2, 2, 2, 2),
    34: (3, 4, 6, 3),
    50: (3, 4, 6, 3),
    101: (3, 4, 23, 3),
    152: (3, 8, 36, 3),
}
IMAGENET_BASIC_DEPTHS = (18, 34)
IMAGENET_BOTTLENECK_DEPTHS = (50, 101, 152)
# VGG (Simonyan & Zisserman 2014): conv widths, "M" = 2x2 max pool.
VGG_LAYOUTS = {
    11: (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    13: (64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    16: (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"),
    19: (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
         512, 512, 512, 512, "M", 512, 512, 512, 512, "M"),
}
MAX_CIFAR_DEPTH = 2000
DATASETS = ("digits", "shapes", "mnist", "fashion_mnist", "cifar10")
OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("step", "cosine", "constant")
DEVICES = ("auto", "cpu", "cuda")


def _one_of(name: str, value: Any, allowed: tuple) -> None:
    if value not in allowed:
        options = ", ".join(str(a) for a in allowed)
        raise ConfigError(code="one_of", name=name, options=options, value=repr(value))


def _check_numbers(obj: Any, ints: tuple[str, ...], floats: tuple[str, ...]) -> None:
    for name in ints:
        value = getattr(obj, name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(code="whole", name=name, value=repr(value))
    for name in floats:
        value = getattr(obj, name)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value:
            raise ConfigError(code="number", name=name, value=repr(value))


def _depth_series(step: int, start: int = 1, count: int = 5) -> str:
    return ", ".join(str(step * n + 2) for n in range(start, start + count)) + ", ..."


class _Plain:
    """What both configs share: a plain dict for the store and back (unknown keys dropped, lists
    made tuples again), and a copy with some fields changed."""

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict):
        known = {f.name: f for f in dataclasses.fields(cls)}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known})

    def replace(self, **changes: Any):
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class ModelConfig(_Plain):
    family: str = "cifar"            # cifar: 3 stages on 32x32 (6n+2); imagenet: 7x7 stem, 4 stages; custom: free stages; vgg
    depth: int = 20                  # weighted layers: cifar 6n+2 (basic/preact) or 9n+2 (bottleneck); imagenet 18..152; vgg 11..19
    stages: tuple[int, ...] = ()     # custom family only: blocks per stage, e.g. (2, 2, 2)
    base_width: int = 16             # channels of the first stage (paper: 16 on CIFAR, 64 on ImageNet)
    width_mult: float = 1.0          # scales every stage's width; 0.5 halves the net
    block: str = "basic"             # basic (two 3x3), bottleneck (1x1-3x3-1x1, x4), preact (BN-act-conv, He et al. 2016)
    residual: bool = True            # False = the plain twin: same layers, shortcuts removed
    shortcut: str = "A"              # A zero-pad identity, B project when shape changes, C project always (paper 3.3)
    norm: str = "batch"              # batch norm after each conv, or none (to see gradients vanish)
    activation: str = "relu"         # nonlinearity used everywhere
    init: str = "he"                 # he (Kaiming normal, fan_out), xavier (normal), default (PyTorch's)
    head: str = "gap"                # gap: global average pool + FC; flatten: flatten + FC (ties the net to one input size)
    stride_at: str = "v1"            # bottleneck downsampling: v1 first 1x1 (paper), v1.5 the 3x3 (torchvision)
    in_channels: int = 3             # 1 for greyscale digits, 3 for colour
    input_size: int = 32             # square input side in pixels
    num_classes: int = 10            # outputs of the final FC layer
    zero_init_residual: bool = False  # start each residual branch at zero (last BN scale, or last conv without BN) so blocks begin as identities (Goyal et al. 2017)

    def __post_init__(self) -> None:
        _one_of("family", self.family, FAMILIES)
        _one_of("block", self.block, BLOCKS)
        _one_of("shortcut", self.shortcut, SHORTCUTS)
        _one_of("norm", self.norm, NORMS)
        _one_of("activation", self.activation, ACTIVATIONS)
        _one_of("init", self.init, INITS)
        _one_of("head", self.head, HEADS)
        _one_of("stride_at", self.stride_at, STRIDE_AT)
        try:
            stages = tuple(int(s) for s in (self.stages or ()))
        except (TypeError, ValueError):
            raise ConfigError(code="stages_numbers", value=repr(self.stages)) from None
        object.__setattr__(self, "stages", stages)
        if not isinstance(self.residual, bool) or not isinstance(self.zero_init_residual, bool):
            raise ConfigError(code="bool")
        if not isinstance(self.width_mult, (int, float)) or isinstance(self.width_mult, bool):
            raise ConfigError(code="number", name="width_mult", value=repr(self.width_mult))
        for name in ("depth", "base_width", "in_channels", "input_size", "num_classes"):
            if not isinstance(getattr(self, name), int) or isinstance(getattr(self, name), bool):
                raise ConfigError(code="whole", name=name, value=repr(getattr(self, name)))
        if not 1 <= self.in_channels <= 4:
            raise ConfigError(code="range", name="in_channels", low=1, high=4, value=self.in_channels)
        if self.num_classes < 2:
            raise ConfigError(code="at_least", name="num_classes", low=2, value=self.num_classes)
        if not 1 <= self.base_width <= 1024:
            raise ConfigError(code="range", name="base_width", low=1, high=1024, value=self.base_width)
        if not 0.0 < self.width_mult <= 8.0:
            raise ConfigError(code="above_zero_at_most", name="width_mult", high=8, value=self.width_mult)
        if self.width(0) < 1:
            raise ConfigError(code="no_channels")
        self._check_depth()
        if self.input_size < self.min_input_size or self.input_size > 1024:
            raise ConfigError(code="input_size", low=self.min_input_size, steps=self.downsample_steps,
                              value=self.input_size)

    def _check_depth(self) -> None:
        if self.family == "cifar":
            step = 9 if self.block == "bottleneck" else 6
            if self.depth < step + 2 or (self.depth - 2) % step or self.depth > MAX_CIFAR_DEPTH:
                kind = "bottleneck" if step == 9 else "basic and pre-activation"
                raise ConfigError(code="depth_cifar", step=step, kind=kind, series=_depth_series(step),
                                  high=MAX_CIFAR_DEPTH, value=self.depth)
        elif self.family == "imagenet":
            allowed = IMAGENET_BOTTLENECK_DEPTHS if self.block == "bottleneck" else IMAGENET_BASIC_DEPTHS
            if self.depth not in allowed:
                names = ", ".join(str(d) for d in allowed)
                raise ConfigError(code="depth_imagenet", options=names, block=self.block, value=self.depth)
        elif self.family == "vgg":
            if self.depth not in VGG_LAYOUTS:
                raise ConfigError(code="depth_vgg", value=self.depth)
        else:
            if not self.stages or len(self.stages) > 6 or any(s < 1 or s > 200 for s in self.stages):
                raise ConfigError(code="custom_stages", value=self.stages)

    # Derived shape facts, used by the builder, the FLOP table and the diagram.

    @property
    def expansion(self) -> int:
        return 4 if self.block == "bottleneck" else 1

    def width(self, stage: int) -> int:
        """Channels of stage `stage` (0-based) before bottleneck expansion."""
        return max(1, int(round(self.base_width * self.width_mult))) * 2 ** stage

    @property
    def blocks_per_stage(self) -> tuple[int, ...]:
        if self.family == "cifar":
            n = (self.depth - 2) // (9 if self.block == "bottleneck" else 6)
            return (n, n, n)
        if self.family == "imagenet":
            return IMAGENET_STAGES[self.depth]
        if self.family == "custom":
            return self.stages
        return ()

    @property
    def downsample_steps(self) -> int:
        """How many times the spatial size halves before the head."""
        if self.family == "imagenet":
            return 5   # 7x7/2 stem, 3x3/2 max pool, then stages 2-4
        if self.family == "vgg":
            return 5
        if self.family == "cifar":
            return 2
        return len(self.stages) - 1 if self.stages else 0

    @property
    def min_input_size(self) -> int:
        return max(4, 2 ** self.downsample_steps)

    @property
    def final_spatial(self) -> int:
        """Side of the last feature map; every stride-2 layer gives ceil(n / 2)."""
        size = self.input_size
        for _ in range(self.downsample_steps):
            size = (size + 1) // 2
        return size

    @property
    def final_channels(self) -> int:
        if self.family == "vgg":
            return max(1, int(round(512 * self.width_mult)))   # as the VGG builder scales its widths
        return self.width(len(self.blocks_per_stage) - 1) * self.expansion

    @property
    def name(self) -> str:
        """Short readable name: resnet20, plain56, preact-resnet20, vgg19, resnet-custom-2x2x2."""
        if self.family == "vgg":
            return f"vgg{self.depth}"
        kind = "resnet" if self.residual else "plain"
        if self.family == "custom":
            return f"{kind}-custom-" + "x".join(str(s) for s in self.stages)
        prefix = "preact-" if self.block == "preact" else ""
        return f"{prefix}{kind}{self.depth}"

    @property
    def kind(self) -> str:
        """The net as the paper names it, for readers: ResNet-20, plain-56, VGG-19, with "preact-"
        before a pre-activation net; custom stages keep their short name. Stored run labels use
        it in English; ui/page/terms.py translates it where shown."""
        if self.family == "vgg":
            return f"VGG-{self.depth}"
        if self.family == "custom":
            return self.name
        prefix = "preact-" if self.block == "preact" else ""
        return f"{prefix}{'ResNet' if self.residual else 'plain'}-{self.depth}"

    @property
    def twin(self) -> str:
        """Which of the twins this net is, "residual" or "plain": what the pages colour and group
        nets by. VGG has no shortcuts, so it is plain whatever `residual` says."""
        return "residual" if self.residual and self.family != "vgg" else "plain"



@dataclass(frozen=True)
class TrainConfig(_Plain):
    dataset: str = "digits"          # digits, shapes (embedded) or mnist, fashion_mnist, cifar10 (local folder)
    data_dir: str = ""               # folder holding real datasets in torchvision's layout; "" = the default
    steps: int = 300                 # optimiser steps; ignored when epochs > 0
    epochs: int = 0                  # passes over the training split; 0 = use steps
    batch_size: int = 128            # paper: 128
    optimizer: str = "sgd"           # sgd (momentum, paper) or adam
    lr: float = 0.1                  # paper: 0.1 for SGD
    momentum: float = 0.9            # SGD momentum (paper: 0.9)
    weight_decay: float = 1e-4       # L2 penalty (paper: 1e-4)
    schedule: str = "step"           # step: /10 at 50% and 75% of training (paper's 32k/48k of 64k); cosine; constant
    warmup_steps: int = 0            # linear warm-up from lr/10 (paper warms ResNet-110 up for ~400 iterations)
    augment: bool = True             # paper's 4-pixel pad + random crop + horizontal flip
    holdout_fraction: float = 0.2    # share of the data kept out of training for held-out accuracy
    max_samples: int = 0             # cap on the images used (0 = all); keeps a classroom demo quick
    eval_every: int = 50             # steps between held-out evaluations
    stats_every: int = 50            # steps between per-layer activation statistics
    seed: int = 0                    # seeds data split, init and batches: same seed, same run on the CPU
    device: str = "auto"             # auto (CUDA when present), cpu or cuda
    compile: bool = False            # torch.compile on a GPU (slow first step, faster after)

    def __post_init__(self) -> None:
        _check_numbers(self, ints=("steps", "epochs", "batch_size", "warmup_steps", "max_samples",
                                   "eval_every", "stats_every", "seed"),
                       floats=("lr", "momentum", "weight_decay", "holdout_fraction"))
        _one_of("dataset", self.dataset, DATASETS)
        _one_of("optimizer", self.optimizer, OPTIMIZERS)
        _one_of("schedule", self.schedule, SCHEDULES)
        _one_of("device", self.device, DEVICES)
        if not 1 <= self.steps <= 1_000_000:
            raise ConfigError(code="range", name="steps", low=1, high="1,000,000", value=self.steps)
        if not 0 <= self.epochs <= 10_000:
            raise ConfigError(code="range", name="epochs", low=0, high="10,000", value=self.epochs)
        if not 1 <= self.batch_size <= 4096:
            raise ConfigError(code="range", name="batch_size", low=1, high=4096, value=self.batch_size)
        if not 0.0 < self.lr <= 100.0:
            raise ConfigError(code="above_zero_at_most", name="lr", high=100, value=self.lr)
        if not 0.0 <= self.momentum < 1.0:
            raise ConfigError(code="zero_below", name="momentum", high=1, value=self.momentum)
        if not 0.0 <= self.weight_decay <= 1.0:
            raise ConfigError(code="range", name="weight_decay", low=0, high=1, value=self.weight_decay)
        if self.warmup_steps < 0:
            raise ConfigError(code="not_negative", name="warmup_steps", value=self.warmup_steps)
        if not 0.0 < self.holdout_fraction < 0.9:
            raise ConfigError(code="above_zero_below", name="holdout_fraction", high=0.9, value=self.holdout_fraction)
        if self.max_samples < 0:
            raise ConfigError(code="not_negative", name="max_samples", value=self.max_samples)
        if self.eval_every < 1 or self.stats_every < 1:
            raise ConfigError(code="every_at_least_one")
