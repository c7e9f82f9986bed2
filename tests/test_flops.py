"""Foundation: multiply-add and parameter counts against FlopCounterMode, real layers and the paper."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from resnet_core import ConfigError, ModelConfig, arch_config, build_model
from resnet_core.nets.blocks import BasicBlock, Bottleneck
from resnet_core.nets.flops import (block_weights, bottleneck_calc, build_on_meta, conv_macs, count, flop_counter_macs,
                                    gap_fc_params, layer_table, paper_table, shortcut_costs)

# He et al. 2015, Table 1 (x 10^9 multiply-adds at 224x224).
PAPER_TABLE1_G = {"resnet18": 1.8, "resnet34": 3.6, "resnet50": 3.8, "resnet101": 7.6,
                  "resnet152": 11.3, "vgg19": 19.6}

ANALYTIC_NETS = {
    "resnet20": arch_config("resnet20"),
    "resnet50-v1": arch_config("resnet50", stride_at="v1"),
    "resnet50-v1.5": arch_config("resnet50", stride_at="v1.5"),
    "custom-bottleneck-odd": ModelConfig(family="custom", stages=(2, 1, 3), block="bottleneck", base_width=8,
                                         input_size=21, head="flatten", shortcut="C", in_channels=1),
    "custom-preact-A": ModelConfig(family="custom", stages=(1, 2), block="preact", base_width=6, input_size=13),
    "vgg11-small": arch_config("vgg11", input_size=40, num_classes=10),
}


@pytest.mark.parametrize("name", ANALYTIC_NETS)
def test_analytic_macs_equal_flop_counter(name):
    cfg = ANALYTIC_NETS[name]
    model = build_on_meta(cfg)
    assert count(cfg).macs == flop_counter_macs(model, cfg.input_size, cfg.in_channels)


def test_per_layer_macs_equal_flop_counter_per_module():
    """Not just the total: each conv's and linear's row matches what FlopCounterMode saw inside it."""
    cfg = arch_config("resnet20", input_size=20)
    model = build_model(cfg).eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.randn(1, 3, 20, 20))
    per_module = {name.removeprefix("ResNet."): sum(ops.values()) // 2
                  for name, ops in counter.get_flop_counts().items()}
    rows = [r for r in count(cfg).rows if r.type in ("Conv2d", "Linear")]
    assert len(rows) == 20   # 19 convs and the FC: the "20" of ResNet-20
    for row in rows:
        assert row.macs == per_module[row.name], row.name


def test_generic_model_grouped_conv_and_linear():
    """layer_table is not tied to our builder: grouped, strided convs and a bias-carrying head."""
    model = nn.Sequential(nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=2), nn.BatchNorm2d(8), nn.ReLU(),
                          nn.Conv2d(8, 6, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 5))
    rows = layer_table(model, 9)
    assert [r.type for r in rows] == ["Conv2d", "BatchNorm2d", "Conv2d", "AdaptiveAvgPool2d", "Linear"]
    assert rows[0].output_shape == (8, 5, 5)
    assert sum(r.macs for r in rows) == flop_counter_macs(model, 9)
    assert [r.params for r in rows] == [sum(p.numel() for p in m.parameters()) for m in
                                        (model[0], model[1], model[3], model[4], model[6])]


def test_meta_count_matches_a_real_model():
    """Shapes and parameters of the meta-device table equal a real forward on the CPU."""
    cfg = arch_config("resnet20", input_size=17, base_width=8)
    model = build_model(cfg).eval()
    shapes, handles = {}, []
    for name, m in model.named_modules():
        handles.append(m.register_forward_hook(lambda m, i, o, n=name: shapes.__setitem__(n, tuple(o.shape[1:]))))
    with torch.no_grad():
        model(torch.randn(1, 3, 17, 17))
    for h in handles:
        h.remove()
    summary = count(cfg)
    assert summary.params == sum(p.numel() for p in model.parameters()) == sum(r.params for r in summary.rows)
    for row in summary.rows:
        assert row.output_shape == shapes[row.name], row.name
    assert layer_table(model, 17) == list(summary.rows)


def test_layer_table_leaves_the_model_untouched():
    model = build_model(arch_config("resnet20", base_width=4, input_size=16))
    model.train()
    model.head.eval()   # a mixed state must come back as it was
    before = {k: v.clone() for k, v in model.state_dict().items()}
    layer_table(model, 16)
    flop_counter_macs(model, 16)
    assert model.training and not model.head.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(p.device.type == "cpu" for p in model.parameters())
    assert not any(m._forward_hooks for m in model.modules())


class Boom(nn.Module):
    def forward(self, x):
        raise RuntimeError("stop here")


def test_hooks_are_removed_even_when_the_forward_fails():
    with torch.device("meta"):
        model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), Boom(), nn.Linear(4, 2))
    model.train()
    with pytest.raises(ConfigError, match="stop here"):
        layer_table(model, 8)
    assert not any(m._forward_hooks for m in model.modules())
    assert "forward" not in vars(model[1])   # the BN stand-in is gone too
    assert model.training


def test_count_is_cached_and_cheap():
    cfg = arch_config("resnet152")
    assert count(cfg) is count(cfg)
    assert count(cfg).params == count(arch_config("resnet152")).params


def test_bad_input_size_is_a_config_error():
    with pytest.raises(ConfigError, match="at least 1 pixel"):
        layer_table(nn.Conv2d(3, 4, 3), 0)
    with pytest.raises(ConfigError, match="cannot take"):
        layer_table(nn.Conv2d(3, 4, 5), 3)


# Calculators: the paper's worked numbers, and the same shapes measured on real layers.

def test_one_by_one_reduction_example():
    calc = bottleneck_calc(28, 192, 32, 5, 16)
    assert calc.direct_macs == 120_422_400
    assert (calc.reduce_macs, calc.conv_macs) == (2_408_448, 10_035_200)
    assert calc.bottleneck_macs == 12_443_648
    assert calc.ratio == pytest.approx(120_422_400 / 12_443_648)
    assert calc.direct_params == nn.Conv2d(192, 32, 5, bias=False).weight.numel()
    assert calc.bottleneck_params == (nn.Conv2d(192, 16, 1, bias=False).weight.numel()
                                      + nn.Conv2d(16, 32, 5, bias=False).weight.numel())


@pytest.mark.parametrize("size,cin,cout,k", [(28, 192, 32, 5), (7, 3, 4, 3), (5, 8, 2, 1)])
def test_conv_macs_match_a_real_conv(size, cin, cout, k):
    conv = nn.Conv2d(cin, cout, k, padding=k // 2, bias=False)
    assert conv_macs(size, cin, cout, k) == flop_counter_macs(conv, size, cin)


def test_block_weights_match_paper_and_real_blocks():
    assert block_weights("basic", 64) == 73_728
    assert block_weights("bottleneck", 256) == 69_632
    cfg = ModelConfig(norm="none", shortcut="A")
    conv_weights = lambda b: sum(m.weight.numel() for m in b.modules() if isinstance(m, nn.Conv2d))  # noqa: E731
    assert block_weights("basic", 64) == conv_weights(BasicBlock(cfg, 64, 64, 1))
    assert block_weights("bottleneck", 256) == conv_weights(Bottleneck(cfg, 256, 64, 1))


def test_gap_vs_fc_matches_paper_and_real_heads():
    fc, gap = gap_fc_params(512, 7, 1000)
    assert (fc, gap) == (25_089_000, 513_000)
    assert fc == sum(p.numel() for p in nn.Linear(7 * 7 * 512, 1000).parameters())
    flatten34 = count(arch_config("resnet34", head="flatten")).params
    assert flatten34 - count(arch_config("resnet34")).params == fc - gap


@pytest.mark.parametrize("call", [
    lambda: conv_macs(-1, 3, 3, 3), lambda: conv_macs(8, 0, 3, 3), lambda: bottleneck_calc(28, 192, 32, 5, 0),
    lambda: block_weights("bottleneck", 30), lambda: block_weights("dense", 64),
    lambda: gap_fc_params(512, 7, -5), lambda: conv_macs(8, 3, 3, 2.5),
])
def test_calculators_reject_bad_input(call):
    with pytest.raises(ConfigError):
        call()


def test_shortcut_options_on_resnet34():
    a, b, c = shortcut_costs("resnet34")
    assert (a.option, b.option, c.option) == ("A", "B", "C")
    assert a.params < b.params < c.params and a.macs < b.macs < c.macs
    # B projects where the shape changes: 1x1 convs 64->128, 128->256, 256->512, each with a BN (2C).
    projections = sum(cin * cout + 2 * cout for cin, cout in [(64, 128), (128, 256), (256, 512)])
    assert b.params - a.params == projections
    assert (a.projections, b.projections, c.projections) == (0, 3, 16)   # C: one per block (3+4+6+3)
    with pytest.raises(ConfigError):
        shortcut_costs("vgg19")


def test_paper_table_rows():
    rows = {r.arch: r for r in paper_table()}
    assert list(rows) == list(PAPER_TABLE1_G)
    for arch, row in rows.items():
        assert row.paper_macs == PAPER_TABLE1_G[arch] * 1e9
        assert abs(row.macs_v1 - row.paper_macs) < 0.1e9, arch
        assert row.params == count(arch_config(arch)).params
        assert (row.macs_v15 > row.macs_v1) == (row.block == "bottleneck")


def test_one_name_gives_one_net_the_papers_layout_unless_asked():
    assert arch_config("resnet50").stride_at == "v1" and arch_config("resnet50", stride_at=None).stride_at == "v1"
    assert arch_config("resnet50", stride_at="v1.5").stride_at == "v1.5"
    assert abs(count(arch_config("resnet50")).macs / 1e9 - 3.8) < 0.1   # Table 1's 3.8 G, not v1.5's 4.1 G
    assert arch_config("resnet20").stride_at == "v1"   # no bottleneck: the field is unused
    assert arch_config("plain34").residual is False
