"""Loss slices (Li et al. 2018): filter normalisation against its definition, the slices against
a naive re-evaluation, and the shape measures on surfaces whose answer is known."""

import copy
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from resnet_core import arch_config, build_model
from resnet_core.inspection import landscape

pytestmark = pytest.mark.usefixtures("one_thread")


def _net(residual: bool = True) -> nn.Module:
    cfg = arch_config("resnet8", plain=not residual, base_width=4, input_size=8, in_channels=1, num_classes=10)
    torch.manual_seed(0)
    return build_model(cfg).eval()


def _data(n: int = 48):
    g = torch.Generator().manual_seed(2)
    return torch.randn(n, 1, 8, 8, generator=g), torch.randint(0, 10, (n,), generator=g)


def test_filter_normalisation_follows_its_definition():
    model = _net()
    direction = landscape.filter_normalised_direction(model, torch.Generator().manual_seed(7))
    raw_g = torch.Generator().manual_seed(7)
    params = list(model.parameters())
    assert len(direction) == len(params)
    for p, d in zip(params, direction):
        raw = torch.randn(p.shape, generator=raw_g)   # the same draw, before normalising
        assert d.shape == p.shape
        if p.dim() <= 1:
            assert torch.count_nonzero(d) == 0           # biases and BN parameters stay put
            continue
        for i in range(p.shape[0]):                      # each filter: one output channel / row
            assert d[i].norm().item() == pytest.approx(p[i].norm().item(), rel=1e-5)
            expected = raw[i] * (p[i].norm() / raw[i].norm())
            assert torch.allclose(d[i], expected, rtol=1e-5, atol=1e-7)


def test_a_plain_net_shares_its_directions_with_an_option_a_twin_only():
    """What the page says (landscape.how, seed_help): with the same seed, a plain net and its
    option-A residual twin get the same random directions; an option-B twin's extra projection
    weights use up random numbers too, so its later layers' directions differ."""
    def unit_filters(shortcut=None):   # each filter's direction scaled to length 1: the raw draw's own
        cfg = arch_config("resnet8", base_width=4, input_size=8, in_channels=1, num_classes=10)
        model = build_model(cfg.replace(residual=False) if shortcut is None else cfg.replace(shortcut=shortcut))
        d = landscape.filter_normalised_direction(model, torch.Generator().manual_seed(3))
        return [u.flatten(1) / u.flatten(1).norm(dim=1, keepdim=True) for u in d if u.dim() > 1]

    plain, a, b = unit_filters(), unit_filters("A"), unit_filters("B")
    assert len(plain) == len(a) and all(torch.allclose(x, y) for x, y in zip(plain, a))
    assert len(b) > len(plain)                        # B's projections: weights the plain net lacks
    assert not torch.allclose(plain[-1], b[-1])       # so the head's direction no longer matches


def _naive_loss(model, theta, d1, d2, a, b, x, y) -> float:
    net = copy.deepcopy(model)
    with torch.no_grad():
        for p, t, u, v in zip(net.parameters(), theta, d1, d2):
            p.copy_(t + a * u + b * v)
        return sum(F.cross_entropy(net(x[i:i + 1]), y[i:i + 1]).item() for i in range(len(y))) / len(y)


def test_slices_match_a_naive_re_evaluation_and_restore_the_weights():
    model = _net()
    x, y = _data()
    theta = [p.detach().clone() for p in model.parameters()]
    res = landscape.slices(model, x, y, points_1d=5, grid=3, span=0.5, seed=3)
    for p, t in zip(model.parameters(), theta):
        assert torch.equal(p, t)
    g = torch.Generator().manual_seed(3)
    d1 = landscape.filter_normalised_direction(model, g)
    d2 = landscape.filter_normalised_direction(model, g)
    assert res["line"]["alpha"] == pytest.approx([-0.5, -0.25, 0.0, 0.25, 0.5])
    for a, loss in zip(res["line"]["alpha"], res["line"]["loss"]):
        assert loss == pytest.approx(_naive_loss(model, theta, d1, d2, a, 0.0, x, y), rel=1e-4)
    for i, b in enumerate(res["surface"]["beta"]):
        for j, a in enumerate(res["surface"]["alpha"]):
            assert res["surface"]["loss"][i][j] == pytest.approx(
                _naive_loss(model, theta, d1, d2, a, b, x, y), rel=1e-4)
    assert res["surface"]["loss"][1][1] == pytest.approx(res["line"]["loss"][2])   # both at θ
    assert res["evaluations"] == 5 + 9 and not res["stopped"]


def test_stopping_leaves_the_weights_and_a_partial_result():
    model = _net(False)
    x, y = _data(16)
    theta = [p.detach().clone() for p in model.parameters()]
    calls = []
    res = landscape.slices(model, x, y, points_1d=5, grid=5, on_progress=lambda d, t: calls.append((d, t)),
                           should_stop=lambda: len(calls) >= 7)
    assert res["stopped"] and res["shape"] is None and len(calls) == 7 and calls[-1] == (7, 30)
    assert all(torch.equal(p, t) for p, t in zip(model.parameters(), theta))


def _grid(f, n=21):
    axis = landscape.axis(n, 1.0)
    return [[f(a, b) for a in axis] for b in axis], [f(a, 0.0) for a in axis]


def test_shape_measures_tell_a_bowl_from_an_egg_crate():
    surface, line = _grid(lambda a, b: a * a + 2 * b * b)
    bowl = landscape.shape_measures(line, surface)
    assert bowl["local_minima_2d"] == 1 and bowl["local_minima_1d"] == 1
    assert bowl["curve_down_fraction"] == 0 and bowl["centre_loss"] == 0
    surface, line = _grid(lambda a, b: math.cos(9 * a) + math.cos(9 * b) + 3)
    crate = landscape.shape_measures(line, surface)
    assert crate["local_minima_2d"] >= 4 and crate["curve_down_fraction"] > 0.3
    surface[0][0] = None   # a diverged point: no crash, counted as infinitely high
    assert landscape.shape_measures(line, surface)["max_loss"] < math.inf
    v = landscape.verdict({"shape": crate}, {"shape": bowl})
    assert v["held"] and all(v["checks"].values())
    assert not landscape.verdict({"shape": bowl}, {"shape": crate})["held"]


def test_the_bending_share_counts_only_inner_points_with_a_finite_neighbourhood():
    """As the Loss landscape page's note on overflowed points says: an inner point next to a point
    with no finite loss is left out of the share, not counted as one that does not bend down."""
    surface, line = _grid(lambda a, b: -(a * a + b * b))   # every inner point bends down
    surface[0][0] = None
    assert landscape.shape_measures(line, surface)["curve_down_fraction"] == 1.0


@pytest.mark.parametrize("block,shortcut,plain", [("basic", "A", False), ("basic", "B", True), ("preact", "A", False),
                                                  ("bottleneck", "C", False)])
def test_folding_bn_into_the_convs_changes_nothing_but_speed(block, shortcut, plain):
    depth = 29 if block == "bottleneck" else 20
    cfg = arch_config(f"resnet{depth}", plain=plain, block=block, shortcut=shortcut, base_width=4, input_size=8,
                      in_channels=1, num_classes=10)
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    with torch.no_grad():
        for m in model.modules():   # BN statistics far from 0 and 1, as after training
            if isinstance(m, nn.BatchNorm2d):
                m.running_var.uniform_(0.5, 2.0), m.running_mean.uniform_(-0.1, 0.1), m.weight.uniform_(0.5, 1.5)
    theta = [p.detach().clone() for p in model.parameters()]
    g = torch.Generator().manual_seed(0)
    d1, d2 = (landscape.filter_normalised_direction(model, g) for _ in range(2))
    folded = landscape._folded(model, theta, d1, d2)
    assert folded is not None
    net, moving = folded
    assert not any(isinstance(m, nn.BatchNorm2d) for m in net.modules()) or block == "preact"
    x = torch.randn(16, 1, 8, 8)
    with torch.no_grad():
        for p, t, u, v in moving:
            p.copy_(t + 0.3 * u - 0.2 * v)
        for p, t, u, v in zip(model.parameters(), theta, d1, d2):
            p.copy_(t + 0.3 * u - 0.2 * v)
        assert torch.allclose(net(x), model(x), atol=1e-4)
