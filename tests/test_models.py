"""Foundation: the networks against the paper's counts, torchvision's models and naive references."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from resnet_core import ModelConfig, arch_config, build_model
from resnet_core.nets.blocks import ZeroPadShortcut
from resnet_core.nets.config import IMAGENET_STAGES
from resnet_core.nets.flops import count, flop_counter_macs, layer_table
from resnet_core.nets.models import weight_layers


def models():
    """torchvision.models, imported by the tests that compare with it: importing torchvision
    costs about 4 s of CPU, which every test process would otherwise pay to collect this file."""
    import torchvision

    return torchvision.models


pytestmark = pytest.mark.usefixtures("one_thread")

# He et al. 2015, section 4.2 / Table 6: CIFAR-10 nets with option A, as printed.
PAPER_CIFAR_PARAMS = {20: "0.27M", 32: "0.46M", 44: "0.66M", 56: "0.85M", 110: "1.7M", 1202: "19.4M"}
# Table 1: multiply-adds at 224x224, as printed (x 10^9).
PAPER_TABLE1_G = {18: 1.8, 34: 3.6, 50: 3.8, 101: 7.6, 152: 11.3}
PAPER_VGG19_G = 19.6


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def paper_rounding(n: int, printed: str) -> str:
    """Round a parameter count the way the paper prints `printed` (same number of decimals)."""
    decimals = len(printed.rstrip("M").split(".")[1])
    return f"{n / 1e6:.{decimals}f}M"


def torchvision_meta(name: str) -> nn.Module:
    with torch.device("meta"):
        return getattr(models(), name)(weights=None)


@pytest.mark.parametrize("depth", [20, 32, 44, 56, 110])
def test_cifar_params_match_paper_and_plain_twin(depth):
    residual = build_model(arch_config(f"resnet{depth}"))
    plain = build_model(arch_config(f"resnet{depth}", plain=True))
    assert paper_rounding(n_params(residual), PAPER_CIFAR_PARAMS[depth]) == PAPER_CIFAR_PARAMS[depth]
    assert n_params(plain) == n_params(residual)   # option A adds no parameters


def test_cifar_1202_params_match_paper():
    # Built on the meta device: the structure of 19.4M parameters without allocating them.
    params = count(arch_config("resnet1202")).params
    assert paper_rounding(params, PAPER_CIFAR_PARAMS[1202]) == PAPER_CIFAR_PARAMS[1202]


@pytest.mark.parametrize("depth", [18, 34, 50, 101, 152])
def test_torchvision_layout_equals_torchvision(depth):
    """v1.5 with option B is torchvision's ResNet: same parameters, shapes and multiply-adds."""
    ours = count(arch_config(f"resnet{depth}", stride_at="v1.5"))   # asked for: the paper's v1 is the default
    theirs = torchvision_meta(f"resnet{depth}")
    assert ours.params == n_params(theirs)
    with torch.device("meta"):
        ours_model = build_model(arch_config(f"resnet{depth}", stride_at="v1.5"))
    assert sorted(tuple(p.shape) for p in ours_model.parameters()) == \
        sorted(tuple(p.shape) for p in theirs.parameters())
    assert ours.macs == flop_counter_macs(theirs, 224)


@pytest.mark.parametrize("depth", [18, 34, 50, 101, 152])
def test_paper_layout_matches_table1(depth):
    v1 = count(arch_config(f"resnet{depth}", stride_at="v1")).macs
    assert abs(v1 / 1e9 - PAPER_TABLE1_G[depth]) < 0.1
    v15 = count(arch_config(f"resnet{depth}", stride_at="v1.5")).macs
    if depth in (50, 101, 152):
        assert v15 > v1   # the 3x3 runs at the higher resolution in torchvision's layout
    else:
        assert v15 == v1  # no bottlenecks, nothing to move


def test_vgg19_matches_paper_and_torchvision():
    ours = count(arch_config("vgg19"))
    theirs = torchvision_meta("vgg19")
    assert ours.params == n_params(theirs)
    assert ours.macs == flop_counter_macs(theirs, 224)
    assert abs(ours.macs / 1e9 - PAPER_VGG19_G) < 0.1


def test_plain34_is_18_percent_of_vgg19():
    # Section 3.3: the 34-layer plain net costs 3.6 G, "only 18%" of VGG-19's 19.6 G.
    plain34 = count(arch_config("plain34")).macs
    vgg19 = count(arch_config("vgg19")).macs
    assert abs(plain34 / 1e9 - 3.6) < 0.1
    assert abs(100 * plain34 / vgg19 - 18) < 1


@pytest.mark.parametrize("layout,conv1_stride,conv2_stride", [("v1", 2, 1), ("v1.5", 1, 2)])
def test_stride_position_follows_layout(layout, conv1_stride, conv2_stride):
    model = build_model(arch_config("resnet50", stride_at=layout, input_size=32, num_classes=10,
                                    base_width=8))
    block = model.stage2.block0
    assert block.conv1.stride == (conv1_stride, conv1_stride)
    assert block.conv2.stride == (conv2_stride, conv2_stride)
    if layout == "v1.5":   # torchvision puts it on the 3x3
        assert torchvision_meta("resnet50").layer2[0].conv2.stride == (2, 2)


TWIN_CONFIGS = [
    arch_config("resnet20", base_width=4),
    ModelConfig(family="cifar", depth=14, block="preact", base_width=4),
    ModelConfig(family="cifar", depth=11, block="bottleneck", base_width=4),
    arch_config("resnet18", shortcut="A", base_width=4, input_size=32, num_classes=10),
    ModelConfig(family="custom", stages=(1, 2, 1), base_width=4, input_size=16),
]


@pytest.mark.parametrize("cfg", TWIN_CONFIGS, ids=lambda c: c.name)
def test_plain_twin_has_same_parameters_and_no_shortcuts(cfg):
    residual, plain = build_model(cfg), build_model(cfg.replace(residual=False))
    shapes = lambda m: {n: tuple(p.shape) for n, p in m.named_parameters()}  # noqa: E731
    assert shapes(plain) == shapes(residual)
    assert not any("shortcut" in name for name, _ in plain.named_modules())
    assert any(isinstance(m, ZeroPadShortcut) for m in residual.modules())


def naive_zero_pad(x: torch.Tensor, cout: int, stride: int) -> torch.Tensor:
    """Option A by hand: keep every stride-th pixel, new channels are zeros."""
    b, cin, h, w = x.shape
    out = torch.zeros(b, cout, (h + stride - 1) // stride, (w + stride - 1) // stride)
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :cin, i, j] = x[:, :, i * stride, j * stride]
    return out


@pytest.mark.parametrize("size", [8, 7])
def test_option_a_is_subsample_and_zero_channels(size):
    x = torch.randn(2, 4, size, size)
    assert torch.equal(ZeroPadShortcut(4, 8, 2)(x), naive_zero_pad(x, 8, 2))
    assert torch.equal(ZeroPadShortcut(4, 4, 1)(x), x)


def test_option_a_block_adds_naive_shortcut():
    """The downsampling block of a CIFAR ResNet computes act(F(x) + zero-padded x)."""
    torch.manual_seed(0)
    model = build_model(arch_config("resnet20")).eval()
    block = model.stage2.block0                       # 16 -> 32 channels, stride 2
    x = torch.randn(2, 16, 9, 9)
    residual = block.bn2(block.conv2(F.relu(block.bn1(block.conv1(x)))))
    expected = F.relu(residual + naive_zero_pad(x, 32, 2))
    torch.testing.assert_close(block(x), expected)


HOOK_CONFIGS = [
    ModelConfig(family="cifar", depth=8, base_width=4, activation=act) for act in
    ("relu", "leaky_relu", "tanh", "sigmoid", "gelu")
] + [
    ModelConfig(family="cifar", depth=14, block="preact", base_width=4, shortcut="B"),
    ModelConfig(family="cifar", depth=11, block="bottleneck", base_width=4, shortcut="C", norm="none"),
    arch_config("resnet50", base_width=4, input_size=32, num_classes=10),
    arch_config("vgg11", width_mult=0.0625, input_size=32, num_classes=10),
]


@pytest.mark.parametrize("cfg", HOOK_CONFIGS, ids=lambda c: f"{c.name}-{c.activation}-{c.block}")
def test_modules_are_hook_safe(cfg):
    """No in-place op, no module object used twice: each leaf runs exactly once per forward."""
    model = build_model(cfg)
    assert not any(getattr(m, "inplace", False) for m in model.modules())
    ids = [id(m) for _, m in model.named_modules(remove_duplicate=False)]
    assert len(ids) == len(set(ids))
    calls: dict[str, int] = {}
    leaves = [(n, m) for n, m in model.named_modules() if not list(m.children())]
    handles = [m.register_forward_hook(lambda m, i, o, n=n: calls.__setitem__(n, calls.get(n, 0) + 1))
               for n, m in leaves]
    try:
        model(torch.randn(2, cfg.in_channels, cfg.input_size, cfg.input_size))
    finally:
        for h in handles:
            h.remove()
    assert calls == {n: 1 for n, _ in leaves}


def test_readable_layer_names():
    names = dict(build_model(arch_config("resnet20")).named_modules())
    assert {"stem.conv", "stage1.block0.conv1", "stage2.block0.conv1", "stage3.block2.conv2", "head.fc"} <= set(names)
    assert isinstance(names["stage2.block0.conv1"], nn.Conv2d)
    assert isinstance(names["stage2.block0.shortcut"], ZeroPadShortcut)
    bottleneck = dict(build_model(arch_config("resnet50", input_size=32, base_width=4)).named_modules())
    assert "stage3.block0.conv3" in bottleneck and "stage3.block0.shortcut.conv" in bottleneck


def test_weight_layers_are_in_forward_order():
    """The order the engine plots gradients in is the order a forward pass visits the layers."""
    model = build_model(arch_config("resnet20", base_width=4, input_size=16))
    order = [r.name for r in layer_table(model, 16) if r.type in ("Conv2d", "Linear")]
    assert [name for name, _ in weight_layers(model)] == order
    with torch.device("meta"):
        resnet34 = build_model(arch_config("resnet34"))
    # Table 1: 2 convs per block, the 7x7 stem and the FC make 34; option B adds 3 projections.
    assert len(weight_layers(resnet34)) == 2 * sum(IMAGENET_STAGES[34]) + 2 + 3


def test_the_block_and_activation_tables_follow_the_config_lists():
    from resnet_core.nets import blocks
    from resnet_core.nets.config import ACTIVATIONS, BLOCKS

    assert tuple(blocks.BLOCK_CLASSES) == BLOCKS
    assert tuple(blocks.ACTIVATION_MODULES) == ACTIVATIONS
    for name in ACTIVATIONS:   # every activation a net can hold is one the probes look for
        assert isinstance(blocks.make_act(name), blocks.ACTIVATION_TYPES)


@pytest.mark.parametrize("block", ["basic", "bottleneck", "preact"])
@pytest.mark.parametrize("shortcut", ["A", "B", "C"])
@pytest.mark.parametrize("stride", [1, 2])
def test_without_branch_is_the_block_with_its_branch_zeroed(block, shortcut, stride):
    from resnet_core.nets.blocks import BLOCK_CLASSES

    torch.manual_seed(0)
    cfg = ModelConfig(block=block, shortcut=shortcut)
    b = BLOCK_CLASSES[block](cfg, 16, 16 if block != "bottleneck" else 8, stride).eval()
    x = torch.randn(2, 16, 8, 8)
    with torch.no_grad():
        deleted = b.without_branch(x)
        # The reference: the same block whose residual branch F outputs zeros (last layer zeroed).
        last = getattr(b, {"basic": "bn2", "bottleneck": "bn3", "preact": "conv2"}[block])
        for p in last.parameters():
            p.zero_()
        torch.testing.assert_close(deleted, b(x))


def test_an_unknown_activation_is_an_error_not_another_net():
    from resnet_core.nets.blocks import make_act
    from resnet_core.nets.config import ConfigError

    assert isinstance(make_act("relu"), nn.ReLU) and make_act("relu") is not make_act("relu")
    with pytest.raises(ConfigError, match="activation must be one of relu, leaky_relu"):
        make_act("swish")


@pytest.mark.parametrize("arch,block", [("resnet20", "basic"), ("resnet20", "preact"), ("resnet50", "bottleneck")])
@pytest.mark.parametrize("norm", ["batch", "none"])
def test_zero_init_starts_every_residual_branch_at_zero(arch, block, norm):
    # Build's "start each residual branch F(x) at zero" holds with and without BN: every block
    # then gives what its shortcut alone gives (act(s(x)) after the addition, s(x) pre-activation).
    from resnet_core.inspection.lesion import lesioned
    from resnet_core.nets.blocks import named_blocks
    torch.manual_seed(0)
    model = build_model(arch_config(arch, block=block, norm=norm, zero_init_residual=True, base_width=8,
                                    input_size=32)).eval()
    names = [n for n, b in named_blocks(model) if getattr(b, "shortcut", None) is not None]
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        out = model(x)
        with lesioned(model, names) as shortcut_only:
            bare = shortcut_only(x)
    assert names and torch.allclose(out, bare, atol=1e-6)
