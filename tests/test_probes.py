"""Probes checked against hand-written forward passes, naive gradient loops, and the
behaviour the Gradient flow page teaches (measured on fresh nets, several seeds)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from resnet_core import ConfigError, ModelConfig, arch_config, build_model
from resnet_core.inspection import probes
from resnet_core.nets.blocks import ACTIVATION_TYPES, BLOCK_TYPES
from resnet_core.nets.models import weight_layers


def hook_count(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
               + len(m._backward_pre_hooks) for m in model.modules())


def small(**changes) -> ModelConfig:
    return ModelConfig(**{"depth": 8, "base_width": 8, "input_size": 16, **changes})


def fresh(cfg: ModelConfig, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return build_model(cfg)


def first_last_ratio(norms: np.ndarray, names: list[str], k: int = 3) -> float:
    """Geometric mean of the first k conv gradient norms over that of the last k (head and
    projection shortcuts left out)."""
    convs = np.array([n for name, n in zip(names, norms) if "shortcut" not in name and "head" not in name])
    return float(np.exp(np.log(convs[:k]).mean() - np.log(convs[-k:]).mean()))


# Feature maps and layer choices

def test_feature_maps_match_the_block_run_by_hand_and_leave_the_model_as_found():
    model = fresh(small()).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    image = torch.randn(3, 16, 16)
    maps = probes.feature_maps(model, image, "stage2.block0")
    assert model.training and hook_count(model) == 0
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, before[key], rtol=0, atol=0)
    model.eval()
    with torch.no_grad():
        expected = model.stage2.block0(model.stage1(model.stem(image[None])))[0]
    assert maps.shape == (16, 8, 8)
    torch.testing.assert_close(maps, expected)


def test_feature_maps_refuse_a_layer_without_maps():
    with pytest.raises(ConfigError, match="not feature maps"):
        probes.feature_maps(fresh(small()), torch.randn(3, 16, 16), "head.fc")


@pytest.mark.parametrize("cfg", [
    arch_config("resnet20", input_size=16),
    arch_config("resnet18", input_size=64, num_classes=10),
    small(block="bottleneck", depth=11, shortcut="B"),
], ids=["cifar", "imagenet", "bottleneck"])
def test_layer_choices_cover_every_conv_and_block_with_the_paper_shapes(cfg):
    model = build_model(cfg)
    choices = probes.layer_choices(model)
    names = [c.name for c in choices]
    convs = [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    assert sorted(n for n in names if n in convs) == sorted(convs)
    blocks = [n for n, m in model.named_modules() if isinstance(m, BLOCK_TYPES)]
    assert names.index("stem.conv") < names.index("stem") < names.index(blocks[0])
    # Each stage halves the side and doubles the width (paper section 3.3 / 4.2).
    stem_side = cfg.input_size // (4 if cfg.family == "imagenet" else 1)
    for c in choices:
        if c.kind == "block":
            stage = int(c.name[len("stage")]) - 1
            side = -(-stem_side // 2 ** stage)
            assert c.shape == (cfg.width(stage) * cfg.expansion, side, side), c
    assert [c.name for c in choices if c.kind == "block"] == blocks
    assert hook_count(model) == 0


# Activation statistics

def test_activation_stats_match_the_stem_computed_by_hand():
    model = fresh(small())
    x = 3 * torch.randn(4, 3, 16, 16) + 1
    rows = probes.activation_stats(model, x, bins=20)
    acts = [n for n, m in model.named_modules() if isinstance(m, ACTIVATION_TYPES)]
    assert [r["name"] for r in rows] == acts
    with torch.no_grad():
        model.eval()
        stem = model.stem(x).flatten().numpy()
    row = rows[0]
    assert row["name"] == "stem.act"
    assert row["mean"] == pytest.approx(stem.mean(), rel=1e-5)
    assert row["std"] == pytest.approx(stem.std(ddof=1), rel=1e-5)
    assert row["zero_frac"] == pytest.approx((stem == 0).mean())
    counts, edges = row["hist"]
    expected, _ = np.histogram(stem, bins=edges)
    assert np.abs(counts - expected).sum() <= 2   # float32 binning may move an edge value


def test_batch_stats_normalise_like_training_and_leave_the_buffers_alone():
    model = fresh(small())
    before = [b.clone() for b in model.buffers()]
    x = 3 * torch.randn(8, 3, 16, 16) + 2
    rows = probes.activation_stats(model, x, batch_stats=True)
    for buf, saved in zip(model.buffers(), before):
        assert torch.equal(buf, saved)
    with torch.no_grad():
        conv = model.stem.conv(x)
        expected = torch.relu(F.batch_norm(conv, None, None, model.stem.bn.weight, model.stem.bn.bias,
                                           training=True))
    assert rows[0]["mean"] == pytest.approx(expected.mean().item(), rel=1e-4)
    assert rows[0]["zero_frac"] == pytest.approx((expected == 0).float().mean().item(), abs=1e-3)
    eval_rows = probes.activation_stats(model, x)
    assert eval_rows[0]["mean"] > 1.5 * rows[0]["mean"]   # running stats (0, 1) do not centre x


# Gradient norms at initialisation

def test_grad_norms_match_a_naive_loop_over_weight_grads():
    cfg = small(residual=False, shortcut="A")
    x, y = torch.randn(4, 3, 16, 16), torch.tensor([0, 3, 5, 9])
    state = torch.get_rng_state()
    names, norms = probes.grad_norms_at_init(cfg, seed=3, data=(x, y))
    assert torch.equal(torch.get_rng_state(), state)    # the page's random stream is untouched
    model = fresh(cfg, seed=3).train()
    F.cross_entropy(model(x), y).backward()
    layers = weight_layers(model)
    assert names == [n for n, _ in layers]
    expected = [m.weight.grad.norm().item() for _, m in layers]
    np.testing.assert_allclose(norms, expected, rtol=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_saturating_plain_nets_without_bn_lose_their_gradient_toward_the_input(seed):
    # Sigmoid, no BN: each plain layer multiplies the backward signal by at most 1/4 times the
    # weights, so the first layers get almost nothing. The pre-activation residual net keeps an
    # identity path from loss to input and its first layers learn (He et al. 2016).
    common = dict(family="cifar", depth=20, input_size=16, norm="none", activation="sigmoid")
    plain = first_last_ratio(*reversed(probes.grad_norms_at_init(
        ModelConfig(residual=False, **common), seed=seed)))
    preact = first_last_ratio(*reversed(probes.grad_norms_at_init(
        ModelConfig(residual=True, block="preact", **common), seed=seed)))
    post = first_last_ratio(*reversed(probes.grad_norms_at_init(
        ModelConfig(residual=True, **common), seed=seed)))
    assert plain < 1e-6
    assert 1e-2 < preact < 1e2
    assert post > 1e3 * plain   # a sigmoid after the addition still squeezes the shortcut


@pytest.mark.parametrize("seed", [0, 1])
def test_relu_plain_nets_with_bn_are_not_vanishing_but_their_first_layers_blow_up(seed):
    # Section 4.1: with BN the plain net's backward signal does not vanish. At initialisation
    # it grows toward the input instead; the residual twin stays within an order of magnitude
    # or so.
    cfg = arch_config("resnet56", input_size=16)
    plain = first_last_ratio(*reversed(probes.grad_norms_at_init(cfg.replace(residual=False), seed=seed)))
    resid = first_last_ratio(*reversed(probes.grad_norms_at_init(cfg, seed=seed)))
    assert plain > 100
    assert resid < 50
    assert plain > 20 * resid


def test_grad_norms_accept_images_without_labels_and_reject_the_wrong_channels():
    cfg = small(in_channels=1)
    names, norms = probes.grad_norms_at_init(cfg, data=torch.randn(5, 1, 16, 16))
    assert len(names) == len(norms) and np.isfinite(norms).all() and (norms > 0).all()
    with pytest.raises(ConfigError, match="shaped"):
        probes.grad_norms_at_init(cfg, data=torch.randn(5, 3, 16, 16))


# Gains of the backward signal through each block

def naive_block_gains(cfg: ModelConfig, seed: int, x: torch.Tensor, y: torch.Tensor):
    """Run the blocks one by one, keeping each boundary's gradient."""
    model = fresh(cfg, seed).train()
    h = model.stem(x)
    boundary = [h]
    for stage in model.stages:
        for block in stage:
            h = block(h)
            boundary.append(h)
    for t in boundary:
        t.retain_grad()
    F.cross_entropy(model.head(h), y).backward()
    norms = np.array([t.grad.norm().item() for t in boundary])
    return norms[:-1] / norms[1:], norms[0] / norms[-1]


@pytest.mark.parametrize("residual", [False, True])
def test_block_gains_match_a_naive_block_by_block_pass(residual):
    cfg = small(depth=14, residual=residual)
    x, y = torch.randn(4, 3, 16, 16), torch.randint(0, 10, (4,))
    got = probes.block_gradient_gains(cfg, seed=1, data=(x, y))
    gains, end_to_end = naive_block_gains(cfg, 1, x, y)
    np.testing.assert_allclose(got.gains, gains, rtol=1e-5)
    assert got.end_to_end == pytest.approx(end_to_end, rel=1e-5)
    assert got.end_to_end == pytest.approx(float(np.prod(got.gains)), rel=1e-6)


def test_a_residual_block_whose_branch_is_zero_passes_the_gradient_unchanged():
    # F = 0 makes the gain 1 + dF/dx exactly 1 through every identity block.
    cfg = small(depth=20, block="preact", zero_init_residual=True, norm="none")
    gains = probes.block_gradient_gains(cfg, seed=0)
    reshaping = ("stage2.block0", "stage3.block0")
    identity = [g for name, g in zip(gains.names, gains.gains) if name not in reshaping]
    assert len(identity) == len(gains.names) - 2
    np.testing.assert_allclose(identity, 1.0, rtol=1e-6)


@pytest.mark.parametrize("seed", [0, 1])
def test_residual_gains_stay_near_one_where_plain_gains_shrink(seed):
    common = dict(family="cifar", depth=20, input_size=16, norm="none", activation="sigmoid",
                  block="preact")
    plain = probes.block_gradient_gains(ModelConfig(residual=False, **common), seed=seed)
    resid = probes.block_gradient_gains(ModelConfig(residual=True, **common), seed=seed)
    assert np.median(plain.gains) < 0.3 and plain.end_to_end < 1e-6
    assert 0.8 < np.median(resid.gains) < 1.25 and resid.end_to_end > 0.05


def test_block_gains_need_blocks():
    with pytest.raises(ConfigError, match="no blocks"):
        probes.block_gradient_gains(arch_config("vgg11", input_size=32, num_classes=10, width_mult=0.125))
