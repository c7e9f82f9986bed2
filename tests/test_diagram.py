"""The network outline agrees with the exact counts and the paper's architecture: every block's
shapes, its shortcut kind, and totals that add up to flops.count."""

import pytest

from resnet_core import ModelConfig, arch_config
from resnet_core.nets.diagram import describe, shape_text
from resnet_core.nets.flops import count


def _totals_add_up(d, cfg):
    summary = count(cfg)
    assert d.params == summary.params and d.macs == summary.macs
    assert d.stem.params + sum(b.params for b in d.blocks) + d.head_params == d.params
    assert d.stem.macs + sum(b.macs for b in d.blocks) + d.head_macs == d.macs


@pytest.mark.parametrize("cfg", [
    arch_config("resnet20"), arch_config("plain56"), arch_config("resnet20", shortcut="B"),
    arch_config("resnet20", shortcut="C"), arch_config("resnet20", block="preact"), arch_config("resnet50"),
    arch_config("resnet18"), ModelConfig(family="custom", stages=(1, 2, 1), block="bottleneck"),
    ModelConfig(family="vgg", depth=11, input_size=32, norm="batch"), arch_config("vgg19"),
], ids=lambda c: f"{c.name}-{c.shortcut}-{c.block}")
def test_outline_matches_the_exact_counts(cfg):
    _totals_add_up(describe(cfg), cfg)


def test_resnet20_is_the_papers_cifar_net():
    # Section 4.2: 16, 32, 64 filters on 32x32, 16x16, 8x8 maps; 3 blocks per stage; 0.27M params.
    d = describe(arch_config("resnet20"))
    assert [len(s.blocks) for s in d.stages] == [3, 3, 3]
    assert [s.out_shape for s in d.stages] == [(16, 32, 32), (32, 16, 16), (64, 8, 8)]
    assert d.weighted_layers == 20 and round(d.params / 1e6, 2) == 0.27
    assert d.stem.out_shape == (16, 32, 32) and d.head_in == (64, 8, 8)
    first = d.stages[1].blocks[0]
    assert (first.in_shape, first.out_shape, first.stride) == ((16, 32, 32), (32, 16, 16), 2)


@pytest.mark.parametrize("option, expected", [
    ("A", ["identity", "zero_pad", "zero_pad"]),       # zero-padding where the shape changes
    ("B", ["identity", "projection", "projection"]),   # projection only where it changes
    ("C", ["projection", "projection", "projection"]), # projection everywhere
])
def test_shortcut_kinds_follow_the_option(option, expected):
    d = describe(arch_config("resnet20", shortcut=option))
    assert [s.blocks[0].shortcut for s in d.stages] == expected
    later = {b.shortcut for s in d.stages for b in s.blocks[1:]}
    assert later == ({"projection"} if option == "C" else {"identity"})


def test_plain_twin_has_no_shortcuts_and_the_same_parameters_with_option_a():
    res, plain = describe(arch_config("resnet56")), describe(arch_config("plain56"))
    assert {b.shortcut for b in plain.blocks} == {"none"} and not plain.residual
    assert res.params == plain.params and len(res.blocks) == len(plain.blocks) == 27


def test_resnet50_bottlenecks_expand_by_four():
    d = describe(arch_config("resnet50"))
    assert [len(s.blocks) for s in d.stages] == [3, 4, 6, 3]
    assert d.stages[0].blocks[0].out_shape == (256, 56, 56)   # 64 x 4, after the 7x7/2 stem and pool
    assert d.stages[0].blocks[0].shortcut == "projection"      # channels grow 64 -> 256
    assert d.stages[-1].out_shape == (2048, 7, 7) and d.weighted_layers == 50
    assert {b.convs for b in d.blocks} == {3}


def test_vgg_groups_close_at_each_pool():
    d = describe(ModelConfig(family="vgg", depth=11, input_size=32, norm="none"))
    assert [len(s.blocks) for s in d.stages] == [1, 1, 2, 2, 2]
    assert d.stages[0].out_shape == (64, 16, 16) and d.head_in == (512, 1, 1)
    assert not d.residual and d.stem.convs == 0


def test_shape_text():
    assert shape_text((16, 32, 32)) == "16×32×32"
