"""What a network costs: parameters and multiply-adds, layer by layer, and the paper's calculators.

The paper's "FLOPs" are multiply-adds (He et al. 2015, Table 1) of convolutions and fully
connected layers; BN, activations, pooling and additions count zero. Every figure is labelled MACs
(multiply-adds). The analytic count is checked against FlopCounterMode (2 FLOPs per MAC) in the
tests. Counting runs on the meta device: shapes only, no memory, so ResNet-1202 takes a second.
"""

from __future__ import annotations

import copy
import functools
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from resnet_core.nets.architectures import arch_config
from resnet_core.nets.blocks import ZeroPadShortcut
from resnet_core.nets.config import ConfigError, ModelConfig
from resnet_core.nets.hooks import eval_mode, hooked
from resnet_core.nets.models import build_model

UNIT = "MACs (multiply-adds)"
# Leaf modules listed even without parameters or multiply-adds: they change the shape the
# next layer sees, so a reader of the table needs them.
SHAPE_LAYERS = (ZeroPadShortcut, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
# He et al. 2015, Table 1: multiply-adds at 224x224, as printed.
PAPER_MACS = {"resnet18": 1.8e9, "resnet34": 3.6e9, "resnet50": 3.8e9, "resnet101": 7.6e9,
              "resnet152": 11.3e9, "vgg19": 19.6e9}


@dataclass(frozen=True)
class LayerRow:
    name: str                      # readable module path, e.g. stage2.block0.conv1
    type: str                      # module class: Conv2d, Linear, BatchNorm2d, ZeroPadShortcut, ...
    output_shape: tuple[int, ...]  # without the batch dimension; () if the layer never ran
    params: int                    # the module's own parameters (not its buffers)
    macs: int                      # multiply-adds; convolutions and linear layers only

    def to_dict(self) -> dict:
        return {"name": self.name, "type": self.type, "output_shape": list(self.output_shape),
                "params": self.params, "macs": self.macs}


@dataclass(frozen=True)
class Summary:
    params: int                    # every parameter of the model
    macs: int                      # total multiply-adds for one image
    rows: tuple[LayerRow, ...]     # in forward order
    unit: str = UNIT


def _own_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters(recurse=False))


def _layer_macs(module: nn.Module, inputs: tuple, output: torch.Tensor) -> int:
    """Analytic multiply-adds of one call with a batch of 1 (bias adds not counted, as FlopCounterMode)."""
    if isinstance(module, nn.Conv2d):
        # out_h * out_w * cout * (cin / groups) * kh * kw
        kh, kw = module.kernel_size
        return output[0].numel() * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, nn.Linear):
        rows = inputs[0].numel() // module.in_features   # 1 for a (1, in) input
        return rows * module.in_features * module.out_features
    return 0


def _is_counted(module: nn.Module) -> bool:
    if next(module.children(), None) is not None:
        return False   # only leaves: a block's cost is the sum of its layers
    return _own_params(module) > 0 or isinstance(module, (nn.Conv2d, nn.Linear) + SHAPE_LAYERS)


@contextmanager
def _shape_only_norms(model: nn.Module) -> Iterator[None]:
    """BN in eval mode keeps its input's shape and costs no multiply-adds, but its meta kernel is
    slow (about 2 ms a call, most of ResNet-1202's count); pass the input through while counting."""
    norms = [m for m in model.modules() if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d))]
    try:
        for m in norms:
            m.forward = lambda x: x
        yield
    finally:
        for m in norms:
            m.__dict__.pop("forward", None)


def _infer_in_channels(model: nn.Module) -> int:
    cfg = getattr(model, "cfg", None)
    if isinstance(cfg, ModelConfig):
        return cfg.in_channels
    first_conv = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
    return first_conv.in_channels if first_conv is not None else 3


def meta_twin(model: nn.Module) -> nn.Module:
    """The model itself when it already lives on the meta device; otherwise a copy of its structure
    whose parameters and buffers are meta stand-ins. No weight is copied and the original is never
    touched, so counting a model that a training job is using is safe."""
    if all(t.is_meta for t in [*model.parameters(), *model.buffers()]):
        return model
    memo: dict = {id(p): nn.Parameter(torch.empty_like(p, device="meta"), requires_grad=p.requires_grad)
                  for p in model.parameters()}
    memo.update({id(b): torch.empty_like(b, device="meta") for b in model.buffers()})
    return copy.deepcopy(model, memo)


def _meta_forward(model: nn.Module, input_size, in_channels: int | None) -> torch.Tensor:
    """One forward of a single image through a meta-device model: shapes only, nothing computed."""
    h, w = (input_size, input_size) if isinstance(input_size, int) else tuple(input_size)
    if h < 1 or w < 1:
        raise ConfigError(code="input_too_small", value=f"{h}x{w}")
    channels = _infer_in_channels(model) if in_channels is None else in_channels
    x = torch.empty(1, channels, h, w, device="meta")
    try:
        with torch.no_grad(), eval_mode(model):
            return model(x)
    except RuntimeError as err:   # e.g. a map shrunk below a kernel: say so in one line
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError(code="cannot_take_input", shape=f"{channels}x{h}x{w}", reason=reason) from err


def layer_table(model: nn.Module, input_size, in_channels: int | None = None) -> list[LayerRow]:
    """Every leaf layer with parameters or multiply-adds (and the shape-changing ones), in forward order.

    `input_size` is the square side in pixels (or an (h, w) pair); `in_channels` defaults to the
    model's config or its first convolution. Runs on the meta device (see `meta_twin`).
    """
    model = meta_twin(model)
    layers = [(name, m) for name, m in model.named_modules() if _is_counted(m)]
    seen: dict[str, dict] = {}   # insertion order = first call order

    def record(name, module, inputs, output):
        out = output[0] if isinstance(output, (tuple, list)) else output
        entry = seen.setdefault(name, {"shape": (), "macs": 0})
        entry["shape"] = tuple(out.shape[1:])
        entry["macs"] += _layer_macs(module, inputs, out)

    with hooked(layers, record), _shape_only_norms(model):
        _meta_forward(model, input_size, in_channels)
    modules = dict(layers)
    rows = [LayerRow(name, type(modules[name]).__name__, e["shape"], _own_params(modules[name]), e["macs"])
            for name, e in seen.items()]
    # A layer that never ran still holds parameters; list it last so the totals stay honest.
    rows += [LayerRow(name, type(m).__name__, (), _own_params(m), 0) for name, m in layers if name not in seen]
    return rows


def flop_counter_macs(model: nn.Module, input_size, in_channels: int | None = None) -> int:
    """Multiply-adds as PyTorch's own FlopCounterMode sees them (its total counts each as 2 FLOPs)."""
    model = meta_twin(model)
    with FlopCounterMode(display=False) as counter:
        _meta_forward(model, input_size, in_channels)
    return int(counter.get_total_flops()) // 2


def build_on_meta(cfg: ModelConfig) -> nn.Module:
    """The network's structure without its memory: every tensor on the meta device."""
    with torch.device("meta"):
        return build_model(cfg)


@functools.lru_cache(maxsize=128)
def count(model_cfg: ModelConfig) -> Summary:
    """Parameters and multiply-adds of the network `model_cfg` describes, for one image."""
    model = build_on_meta(model_cfg)
    rows = tuple(layer_table(model, model_cfg.input_size, model_cfg.in_channels))
    params = sum(p.numel() for p in model.parameters())
    return Summary(params=params, macs=sum(r.macs for r in rows), rows=rows)


# The calculators of the Bottleneck & FLOPs and GAP vs FC pages: plain integer arithmetic.

def _positive(**values: int) -> None:
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(code="positive_whole", name=name, value=repr(value))


def conv_macs(size: int, cin: int, cout: int, k: int) -> int:
    """Multiply-adds of a k x k, stride-1, 'same' convolution on a size x size map."""
    _positive(size=size, cin=cin, cout=cout, k=k)
    return size * size * cout * k * k * cin


@dataclass(frozen=True)
class BottleneckCalc:
    direct_macs: int        # k x k conv straight from cin to cout
    reduce_macs: int        # the 1x1 conv from cin down to mid
    conv_macs: int          # the k x k conv from mid to cout
    bottleneck_macs: int    # reduce_macs + conv_macs
    ratio: float            # direct / bottleneck: how many times cheaper
    direct_params: int      # weights of the direct conv (no bias)
    bottleneck_params: int  # weights of the 1x1 and the k x k conv


def bottleneck_calc(size: int, cin: int, cout: int, k: int, mid: int) -> BottleneckCalc:
    """A 1x1 reduction to `mid` channels before a k x k conv (Lin et al. 2013; the bottleneck of
    He et al. 2015, section 4.1). The default example is GoogLeNet's Inception 5x5 branch
    (Szegedy et al. 2014): 28x28x192 -> 5x5 conv to 32: 120,422,400 multiply-adds; through 16
    channels: 12,443,648."""
    _positive(mid=mid)
    direct = conv_macs(size, cin, cout, k)
    reduce, conv = conv_macs(size, cin, mid, 1), conv_macs(size, mid, cout, k)
    return BottleneckCalc(direct_macs=direct, reduce_macs=reduce, conv_macs=conv,
                          bottleneck_macs=reduce + conv, ratio=direct / (reduce + conv),
                          direct_params=k * k * cin * cout, bottleneck_params=cin * mid + k * k * mid * cout)


def block_weights(kind: str, channels: int) -> int:
    """Conv weights of one block at `channels` (paper Figure 5): basic = two 3x3 x C x C;
    bottleneck at width C = 1x1 C->C/4, 3x3 C/4->C/4, 1x1 C/4->C (64: 73,728; 256: 69,632)."""
    _positive(channels=channels)
    if kind == "basic":
        return 2 * 9 * channels * channels
    if kind == "bottleneck":
        if channels % 4:
            raise ConfigError(code="bottleneck_width", value=channels)
        mid = channels // 4
        return channels * mid + 9 * mid * mid + mid * channels
    raise ConfigError(code="block_kind", value=repr(kind))


def gap_fc_params(channels: int, spatial: int, classes: int) -> tuple[int, int]:
    """(flatten + FC, global average pooling + FC) parameters on a spatial x spatial x channels map.
    ResNet-34's 7x7x512 to 1000 classes: 25,089,000 vs 513,000 (paper section 3.3)."""
    _positive(channels=channels, spatial=spatial, classes=classes)
    fc = channels * spatial * spatial * classes + classes
    gap = channels * classes + classes
    return fc, gap


# Side-by-side tables for the pages.

@dataclass(frozen=True)
class PaperRow:
    arch: str           # resnet18 ... resnet152, vgg19
    block: str          # basic, bottleneck, or vgg
    params: int         # the same in both layouts
    macs_v1: int        # stride on the first 1x1 (the paper)
    macs_v15: int       # stride on the 3x3 (torchvision)
    paper_macs: float   # Table 1 as printed


def paper_table() -> list[PaperRow]:
    """ResNet-18..152 and VGG-19 at 224x224: our counts in both layouts beside the paper's Table 1."""
    rows = []
    for arch, paper in PAPER_MACS.items():
        v1, v15 = count(arch_config(arch, stride_at="v1")), count(arch_config(arch, stride_at="v1.5"))
        cfg = arch_config(arch)
        block = "vgg" if cfg.family == "vgg" else cfg.block
        rows.append(PaperRow(arch, block, v1.params, v1.macs, v15.macs, paper))
    return rows


@dataclass(frozen=True)
class ShortcutCost:
    option: str         # A zero-pad identity, B project when the shape changes, C project always
    params: int
    macs: int
    projections: int    # 1x1 projection convs on shortcuts


def shortcut_costs(arch: str, stride_at: str | None = None) -> list[ShortcutCost]:
    """The same residual net with shortcut options A, B and C (A and B: paper section 3.3;
    C and the comparison, Table 3: section 4.1)."""
    if arch_config(arch).family == "vgg":
        raise ConfigError(code="no_shortcuts", arch=arch)
    costs = []
    for option in ("A", "B", "C"):
        summary = count(arch_config(arch, shortcut=option, stride_at=stride_at))
        projections = sum(1 for r in summary.rows if r.name.endswith("shortcut.conv"))
        costs.append(ShortcutCost(option, summary.params, summary.macs, projections))
    return costs

