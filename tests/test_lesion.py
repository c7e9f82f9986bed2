"""The lesion study (Veit et al. 2016) against a naive re-evaluation: a deleted residual block is
re-made by zeroing its residual branch's last scale and shift (so F(x) = 0 exactly), a deleted
plain block by a hand-written forward that skips it; accuracy is counted image by image."""

import copy

import pytest
import torch
from torch import nn

from resnet_core import ConfigError, arch_config, build_model
from resnet_core.inspection import lesion
from resnet_core.nets.blocks import BasicBlock, Bottleneck, PreActBlock

pytestmark = pytest.mark.usefixtures("one_thread")


def _net(residual: bool, block: str = "basic", shortcut: str = "A", depth: int = 20) -> nn.Module:
    depth = 29 if block == "bottleneck" else depth
    cfg = arch_config(f"resnet{depth}", plain=not residual, block=block, shortcut=shortcut, base_width=4,
                      input_size=8, in_channels=1, num_classes=10)
    torch.manual_seed(0)
    model = build_model(cfg)
    # Non-trivial BN statistics and scales, as after training, so a deletion changes the output.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 2.0)
    return model.eval()


def _data(n: int = 96):
    g = torch.Generator().manual_seed(1)
    return torch.randn(n, 1, 8, 8, generator=g), torch.randint(0, 10, (n,), generator=g)


def _naive_acc(model: nn.Module, x, y) -> float:
    # One forward of all the images, each counted by its own top class: nothing shared with
    # engine.evaluate (its batches, its loader). In eval mode an image's output does not depend
    # on the others in the batch, so this counts what one image at a time would.
    with torch.no_grad():
        return sum(int(p == t) for p, t in zip(model(x).argmax(1).tolist(), y.tolist())) / len(y)


def _zero_branch(model: nn.Module, names) -> nn.Module:
    """A copy whose named residual blocks have F(x) = 0, by their weights alone."""
    out = copy.deepcopy(model)
    with torch.no_grad():
        for name in names:
            stage, blk = name.split(".")
            b = getattr(getattr(out, stage), blk)
            if isinstance(b, BasicBlock):
                b.bn2.weight.zero_(), b.bn2.bias.zero_()
            elif isinstance(b, Bottleneck):
                b.bn3.weight.zero_(), b.bn3.bias.zero_()
            else:
                assert isinstance(b, PreActBlock)
                b.conv2.weight.zero_()
    return out


class _Skipping(nn.Module):
    """A plain net's forward written out by hand, skipping the named blocks."""

    def __init__(self, model, names):
        super().__init__()
        self.model, self.names = model, set(names)

    def forward(self, x):
        m = self.model
        x = m.stem(x)
        for s, stage in enumerate(m.stages, start=1):
            for name, block in stage.named_children():
                if f"stage{s}.{name}" not in self.names:
                    x = block(x)
        return m.head(x)


@pytest.mark.parametrize("block,shortcut", [("basic", "A"), ("basic", "B"), ("bottleneck", "B"), ("preact", "A")])
def test_residual_deletion_matches_a_zeroed_branch(block, shortcut):
    model = _net(True, block, shortcut)
    x, y = _data()
    res = lesion.study(model, x, y, draws=3, seed=5)
    assert res["intact_acc"] == pytest.approx(_naive_acc(model, x, y))
    assert all(b["deletable"] for b in res["blocks"])
    for b in res["blocks"]:
        assert b["acc"] == pytest.approx(_naive_acc(_zero_branch(model, [b["name"]]), x, y)), b["name"]
    for k in res["k_curve"][:3]:
        naive = [_naive_acc(_zero_branch(model, subset), x, y) for subset in k["deleted"]]
        assert len(set(map(tuple, k["deleted"]))) == len(k["deleted"]) == min(3, len(k["deleted"]))
        assert len(subset := k["deleted"][0]) == k["k"] and subset
        assert k["mean_acc"] == pytest.approx(sum(naive) / len(naive))


def test_plain_deletion_is_identity_where_shapes_allow():
    model = _net(False)
    x, y = _data()
    table = lesion.blocks(model)
    stuck = [b["name"] for b in table if not b["deletable"]]
    assert stuck == ["stage2.block0", "stage3.block0"]   # they double the channels and halve the map
    assert all("4 -> 8" in b["reason"] or "8 -> 16" in b["reason"] for b in table if not b["deletable"])
    res = lesion.study(model, x, y, draws=2, seed=0)
    for b in res["blocks"]:
        if b["deletable"]:
            assert b["acc"] == pytest.approx(_naive_acc(_Skipping(model, [b["name"]]), x, y))
        else:
            assert b["acc"] is None
    k = res["k_curve"][1]
    assert k["mean_acc"] == pytest.approx(
        sum(_naive_acc(_Skipping(model, s), x, y) for s in k["deleted"]) / len(k["deleted"]))
    assert [k["k"] for k in res["k_curve"]] == list(range(1, len(table) - len(stuck) + 1))
    with pytest.raises(ConfigError, match="changes the shape"):
        with lesion.lesioned(model, ["stage2.block0"]):
            pass


def test_the_net_is_restored_even_when_evaluation_fails():
    model = _net(True)
    x, _ = _data(8)
    before = model(x)
    modules = [id(m) for m in model.modules()]
    with pytest.raises(RuntimeError):
        with lesion.lesioned(model, ["stage1.block1", "stage3.block2"]):
            assert not torch.allclose(model(x), before)
            raise RuntimeError("boom")
    assert [id(m) for m in model.modules()] == modules
    assert torch.equal(model(x), before)


def test_progress_stop_and_verdict():
    model = _net(True)
    x, y = _data(32)
    seen = []
    res = lesion.study(model, x, y, draws=2, on_progress=lambda d, t: seen.append((d, t)))
    total = lesion.plan_size(model, 2)
    assert seen == [(i, total) for i in range(1, total + 1)] and not res["stopped"]
    stopped = lesion.study(model, x, y, draws=2, should_stop=lambda: True)
    assert stopped["stopped"] and stopped["k_curve"] == []
    intact = {"intact_acc": 0.9, "blocks": [
        {"name": "a", "acc": 0.89, "downsampling": False, "deletable": True},
        {"name": "b", "acc": 0.60, "downsampling": False, "deletable": True},
        {"name": "c", "acc": 0.88, "downsampling": False, "deletable": True},
        {"name": "d", "acc": 0.80, "downsampling": True, "deletable": True}]}
    plain = {"intact_acc": 0.9, "blocks": [
        {"name": "a", "acc": 0.1, "downsampling": False, "deletable": True},
        {"name": "d", "acc": None, "downsampling": True, "deletable": False}]}
    v = lesion.verdict(plain, intact)
    # The median ignores the one exceptional residual block ("b"): 0.02 < 0.05.
    assert v["residual"]["median_drop_ordinary"] == pytest.approx(0.02)
    assert v["residual"]["worst_block"] == "b"
    assert v["checks"] == {"residual_robust": True, "plain_fragile": True, "downsampling_hurts": True}
    assert v["held"] and v["plain"]["undeletable"] == ["d"]


@pytest.mark.parametrize("residual_drop, robust", [(0.0494, True), (0.0496, False)])
def test_the_thresholds_are_read_on_the_drops_as_shown(residual_drop, robust):
    """4.94 points reads "4.9", under this app's 5; 4.96 reads "5.0", which the page must not
    call under 5. A plain drop of 19.96 reads "20.0": at least 20, and three times 6.6 (19.8)."""
    def net(drop, downsampling=False):
        return {"intact_acc": 0.9, "blocks": [{"name": "a", "acc": 0.9 - drop, "downsampling": downsampling,
                                               "deletable": True}]}
    v = lesion.verdict(net(0.1996), net(residual_drop))
    assert v["checks"]["residual_robust"] is robust
    assert lesion.verdict(net(0.1996), net(0.066))["checks"]["plain_fragile"]
    assert not lesion.verdict(net(0.1996), net(0.0668))["checks"]["plain_fragile"]   # 3 x 6.7 = 20.1
