"""Attribution maps checked against hand-written versions of each method."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from resnet_core import ConfigError, ModelConfig, arch_config, build_model
from resnet_core.inspection.attribution import METHODS, attribute, default_cam_layer

SIZE = 16


def hook_count(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
               + len(m._backward_pre_hooks) for m in model.modules())


def trained_like(residual: bool, seed: int = 0) -> nn.Module:
    """A small net whose BN layers carry non-trivial statistics and offsets, as after training;
    a fresh net in eval mode is positively homogeneous, which would make some checks trivial."""
    torch.manual_seed(seed)
    model = build_model(ModelConfig(depth=8, base_width=8, input_size=SIZE, residual=residual))
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                n = m.num_features
                m.running_mean.copy_(0.5 * torch.randn(n, generator=g))
                m.running_var.copy_(0.5 + torch.rand(n, generator=g))
                m.weight.copy_(0.5 + torch.rand(n, generator=g))
                m.bias.copy_(0.5 * torch.randn(n, generator=g))
    return model.eval()


@pytest.fixture(params=[False, True], ids=["plain", "residual"])
def model(request):
    return trained_like(request.param)


@pytest.fixture
def image():
    return torch.randn(3, SIZE, SIZE, generator=torch.Generator().manual_seed(7))


def score(model, x, target):
    return model(x)[0, target]


@pytest.mark.parametrize("method", METHODS)
def test_every_method_gives_a_unit_scaled_map_the_size_of_the_image(model, image, method):
    model.train()
    result = attribute(model, image, method=method)
    assert result.heatmap.shape == (SIZE, SIZE)
    assert np.isfinite(result.heatmap).all()
    assert result.heatmap.min() >= 0 and result.heatmap.max() == pytest.approx(1.0)
    with torch.no_grad():
        probs = torch.softmax(model.eval()(image[None]), 1)[0]
    assert result.predicted == int(probs.argmax()) == result.target
    assert result.probability == pytest.approx(probs.max().item(), rel=1e-5)
    model.train()
    assert hook_count(model) == 0
    assert model.training    # the model's mode is given back
    assert all(p.grad is None for p in model.parameters())


def test_saliency_is_the_largest_absolute_input_gradient_over_channels(model, image):
    target = 3
    result = attribute(model, image, target=target, method="saliency")
    x = image[None].clone().requires_grad_(True)
    score(model, x, target).backward()
    expected = x.grad[0].abs().amax(0)
    np.testing.assert_allclose(result.raw, x.grad[0].abs().numpy(), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(result.heatmap, (expected / expected.max()).numpy(), rtol=1e-5, atol=1e-7)
    assert result.target == target


def test_integrated_gradients_add_up_to_the_score_difference(model, image):
    # Completeness (Sundararajan et al. 2017): the attributions sum to f(x) - f(baseline).
    result = attribute(model, image, method="integrated_gradients", n_steps=32)
    with torch.no_grad():
        gap = (score(model, image[None], result.target) - score(model, torch.zeros(1, 3, SIZE, SIZE),
                                                               result.target)).item()
    assert result.raw.shape == (3, SIZE, SIZE)
    assert abs(result.raw.sum() - gap) <= 0.1 * abs(gap) + 5e-3
    assert result.delta == pytest.approx(result.raw.sum() - gap, abs=1e-5)


def test_integrated_gradients_from_the_image_itself_are_zero(model, image):
    result = attribute(model, image, method="integrated_gradients", baseline=image, n_steps=4)
    np.testing.assert_allclose(result.raw, 0.0, atol=1e-7)
    assert (result.heatmap == 0).all()   # nothing to show is shown as nothing, not as noise


def test_gradcam_equals_the_hand_computed_map(model, image):
    layer = default_cam_layer(model)
    assert layer == "stage3.block0"
    result = attribute(model, image, target=1, method="gradcam")
    feats = {}
    handle = model.stage3.block0.register_forward_hook(lambda m, i, o: feats.update(a=o))
    try:
        s = score(model, image[None], 1)
    finally:
        handle.remove()
    grad, = torch.autograd.grad(s, feats["a"])
    weights = grad.mean((2, 3), keepdim=True)                      # alpha_k: pooled gradients
    cam = torch.relu((weights * feats["a"]).sum(1, keepdim=True))  # (1, 1, 4, 4)
    expected = F.interpolate(cam, (SIZE, SIZE), mode="bilinear")[0, 0].detach()
    np.testing.assert_allclose(result.raw, expected.numpy(), rtol=1e-5, atol=1e-7)


def test_gradcam_on_a_chosen_layer_and_on_vgg():
    vgg = build_model(arch_config("vgg11", input_size=32, num_classes=10, width_mult=0.125, head="gap"))
    assert default_cam_layer(vgg) == "features_seq.act7"
    image = torch.randn(3, 32, 32)
    assert attribute(vgg, image, method="gradcam").heatmap.shape == (32, 32)
    net = trained_like(True)
    small = attribute(net, torch.randn(3, SIZE, SIZE), method="gradcam", layer="stage1.block0")
    assert small.heatmap.shape == (SIZE, SIZE)


def test_occlusion_equals_a_naive_sliding_window(model, image):
    window, stride, target = 8, 4, 2
    result = attribute(model, image, target=target, method="occlusion", window=window, stride=stride)
    total = torch.zeros(SIZE, SIZE)
    count = torch.zeros(SIZE, SIZE)
    with torch.no_grad():
        base = score(model, image[None], target)
        for top in range(0, SIZE - window + 1, stride):
            for left in range(0, SIZE - window + 1, stride):
                hidden = image.clone()
                hidden[:, top:top + window, left:left + window] = 0
                total[top:top + window, left:left + window] += base - score(model, hidden[None], target)
                count[top:top + window, left:left + window] += 1
    expected = (total / count).numpy()
    for channel in range(3):
        np.testing.assert_allclose(result.raw[channel], expected, rtol=1e-4, atol=1e-6)
    positive = np.clip(expected, 0, None)
    np.testing.assert_allclose(result.heatmap, positive / positive.max(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("method, opts, message", [
    ("lime", {}, "method must be one of"),
    ("saliency", {"n_steps": 5}, "takes no option n_steps"),
    ("gradcam", {"layer": "stage7"}, "no layer named"),
    ("gradcam", {"layer": "head.fc"}, "feature maps"),
    ("occlusion", {"window": 40}, "window must be"),
    ("integrated_gradients", {"n_steps": 1}, "n_steps must be"),
])
def test_bad_requests_are_one_line_config_errors_and_leave_no_hooks(method, opts, message):
    net = trained_like(True)
    with pytest.raises(ConfigError, match=message):
        attribute(net, torch.randn(3, SIZE, SIZE), method=method, **opts)
    assert hook_count(net) == 0


def test_a_target_outside_the_classes_is_refused():
    with pytest.raises(ConfigError, match="0 to 9"):
        attribute(trained_like(False), torch.randn(3, SIZE, SIZE), target=10)
