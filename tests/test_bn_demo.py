"""The BatchNorm page's numbers, checked against torch.nn.BatchNorm2d (not against themselves),
and the activation profiles it draws, checked against what BN is known to do."""

import numpy as np
import pytest
import torch
from torch import nn

from resnet_core import ConfigError, ModelConfig
from resnet_core.inspection import bn_demo


def torch_bn(ex: bn_demo.BNExample, warm: list[np.ndarray]) -> tuple[nn.BatchNorm2d, torch.Tensor, torch.Tensor]:
    """A fresh nn.BatchNorm2d fed the same warm-up batches, then the shown batch in train and
    eval mode, all in float32, as a training loop would."""
    bn = nn.BatchNorm2d(ex.x.shape[1], eps=ex.eps, momentum=ex.momentum)
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(ex.gamma))
        bn.bias.copy_(torch.from_numpy(ex.beta))
        bn.train()
        for xb in warm:
            bn(torch.from_numpy(xb).float())
        train_out = bn(torch.from_numpy(ex.x).float())
        eval_out = bn.eval()(torch.from_numpy(ex.x).float())
    return bn, train_out, eval_out


def warm_batches(ex: bn_demo.BNExample, seed: int, shift: float, spread: float) -> list[np.ndarray]:
    """The warm-up batches bn_example drew: the same generator, the same order."""
    rng = np.random.default_rng(seed)
    n, c, h, w = ex.x.shape
    offset = (shift + np.arange(c)).reshape(1, -1, 1, 1)
    return [(offset + spread * rng.standard_normal((n, c, h, w))).astype(np.float32)
            for _ in range(ex.warm_batches)]


@pytest.mark.parametrize("warm", [0, 1, 30])
@pytest.mark.parametrize("shape", [(4, 2, 2), (8, 3, 1), (2, 1, 4)])
def test_matches_torch_batchnorm2d_in_train_and_eval_mode(warm, shape):
    batch, channels, size = shape
    ex = bn_demo.bn_example(batch, channels, size, shift=3.0, spread=2.0, gamma=[1.5, 0.5, 2.0][:channels],
                            beta=0.25, warm_batches=warm, seed=7)
    bn, train_out, eval_out = torch_bn(ex, warm_batches(ex, 7, 3.0, 2.0))
    assert ex.x.shape == (batch, channels, size, size)
    np.testing.assert_allclose(ex.train_out, train_out.double().numpy(), atol=2e-5)
    np.testing.assert_allclose(ex.eval_out, eval_out.double().numpy(), atol=2e-5)
    np.testing.assert_allclose(ex.running_mean, bn.running_mean.double().numpy(), atol=2e-5)
    np.testing.assert_allclose(ex.running_var, bn.running_var.double().numpy(), rtol=2e-5)
    assert int(bn.num_batches_tracked) == warm + 1
    assert bn_demo.max_difference(ex) < 2e-5


def test_step_by_step_quantities_are_what_the_formulas_say():
    ex = bn_demo.bn_example(4, 2, 2, seed=1)
    x0 = ex.x[:, 0].ravel()                       # channel 0: 4 images x 2 x 2 positions
    assert ex.per_channel == 16
    assert ex.batch_mean[0] == pytest.approx(x0.sum() / 16)
    assert ex.batch_var[0] == pytest.approx(((x0 - x0.mean()) ** 2).sum() / 16)          # biased
    assert ex.batch_var_unbiased[0] == pytest.approx(((x0 - x0.mean()) ** 2).sum() / 15)
    # Normalised: mean 0 and (biased) variance just under 1 in every channel.
    np.testing.assert_allclose(ex.x_hat.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(ex.x_hat.var(axis=(0, 2, 3)), ex.batch_var / (ex.batch_var + ex.eps))
    # Scale and shift: the output's mean is beta and its std gamma.
    np.testing.assert_allclose(ex.train_out.mean(axis=(0, 2, 3)), ex.beta, atol=1e-12)
    np.testing.assert_allclose(ex.train_out.std(axis=(0, 2, 3)), ex.gamma, rtol=1e-5)
    # A fresh layer's running statistics, moved one momentum step.
    np.testing.assert_allclose(ex.running_mean_before, 0.0)
    np.testing.assert_allclose(ex.running_var_before, 1.0)
    np.testing.assert_allclose(ex.running_mean, 0.1 * ex.batch_mean)
    np.testing.assert_allclose(ex.running_var, 0.9 + 0.1 * ex.batch_var_unbiased)


def test_eval_mode_needs_warm_running_statistics():
    # Fresh: eval mode barely normalises (the data's mean of ~3 stays in the output).
    fresh = bn_demo.bn_example(16, 2, 2, warm_batches=0, seed=3)
    assert np.abs(fresh.eval_out - fresh.train_out).mean() > 1.0
    # After many batches the running statistics approach the data's: mean 3 + c, variance 4.
    warm = bn_demo.bn_example(16, 2, 2, warm_batches=200, seed=3)
    np.testing.assert_allclose(warm.running_mean, [3.0, 4.0], atol=0.35)
    np.testing.assert_allclose(warm.running_var, [4.0, 4.0], rtol=0.3)
    assert np.abs(warm.eval_out - warm.train_out).mean() < 0.3


@pytest.mark.parametrize("kwargs, match", [
    (dict(batch=1), "batch must be a whole number from 2"),
    (dict(channels=0), "channels"),
    (dict(size=2.5), "size"),
    (dict(spread=0.0), "spread must be above 0"),
    (dict(momentum=0.0), "momentum"),
    (dict(warm_batches=-1), "warm_batches"),
])
def test_bad_settings_are_config_errors(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        bn_demo.bn_example(**kwargs)


def small(**changes) -> ModelConfig:
    return ModelConfig(**{"depth": 14, "base_width": 8, "in_channels": 1, "input_size": 8, **changes})


def test_layer_profile_matches_a_hand_measured_forward_pass(one_thread):
    cfg = small()
    model = bn_demo.fresh_model(cfg, seed=0)
    x = bn_demo.real_batch(cfg, n=32)
    profile = bn_demo.layer_profile(model, x, batch_stats=True, bins=10)
    # The stem's ReLU by hand: BN with the batch's statistics, gamma 1, beta 0.
    with torch.no_grad():
        conv = model.stem.conv(x)
        mean, var = conv.mean((0, 2, 3), keepdim=True), conv.var((0, 2, 3), unbiased=False, keepdim=True)
        stem = torch.relu((conv - mean) / torch.sqrt(var + 1e-5))
    assert profile.names[0] == "stem.act"
    assert profile.std[0] == pytest.approx(stem.std().item(), rel=1e-4)
    assert profile.zero_frac[0] == pytest.approx((stem == 0).float().mean().item())
    counts, edges = profile.hists[0]
    assert counts.sum() == stem.numel() and len(edges) == 11
    assert len(profile.names) == len(profile.std) == len(profile.hists)
    assert model.training   # the probe leaves the model as it found it


def test_real_batch_is_normalised_digits_at_the_model_size():
    x = bn_demo.real_batch(small(), n=64)
    assert x.shape == (64, 1, 8, 8)
    assert abs(x.mean().item()) < 0.3 and 0.7 < x.std().item() < 1.3


def test_without_bn_a_plain_net_fades_and_with_bn_it_does_not(one_thread):
    # He init with fan_out keeps the backward pass, not the forward one, at scale; without BN
    # the forward signal of a plain net shrinks layer by layer. BN resets every layer's scale.
    off = bn_demo.init_profile(small(residual=False, norm="none", depth=20), n=64)
    on = bn_demo.init_profile(small(residual=False, norm="batch", depth=20), n=64)
    assert off.std[-1] < 0.25 * off.std[0]
    assert 0.5 < on.std[-1] / on.std[0] < 2.0
    # ReLU after BN switches off about half the units in every layer.
    assert np.all((on.zero_frac > 0.3) & (on.zero_frac < 0.7))


def test_caught_up_is_the_share_of_the_way_to_the_data():
    for warm in (0, 1, 10, 50):
        ex = bn_demo.bn_example(8, 1, 2, warm_batches=warm, shift=5.0, spread=0.5, seed=2)
        # With nearly constant batch means, the running mean is caught_up x that mean.
        assert ex.running_mean[0] == pytest.approx(ex.caught_up * 5.0, rel=0.1)
    assert bn_demo.bn_example(warm_batches=0).caught_up == pytest.approx(0.1)
    np.testing.assert_allclose(bn_demo.bn_example().centred.mean(axis=(0, 2, 3)), 0, atol=1e-12)
