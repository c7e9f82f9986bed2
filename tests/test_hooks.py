"""hooks.py: hooks that always remove themselves, and a model given back as it was found."""

import pytest
import torch
from torch import nn

from resnet_core import ConfigError, ModelConfig, build_model
from resnet_core.nets import hooks


def hook_count(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
               + len(m._backward_pre_hooks) for m in model.modules())


def fresh(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return build_model(ModelConfig(depth=8, base_width=8, input_size=16))


def test_capture_removes_its_hooks_even_when_the_block_raises():
    model = fresh()
    names = ["stem", "stage1.block0", "stage2.block0.conv1"]
    with pytest.raises(RuntimeError, match="page failed"):
        with hooks.capture(model, names):
            assert hook_count(model) == len(names)
            raise RuntimeError("page failed")
    assert hook_count(model) == 0


def test_capture_of_an_unknown_layer_is_a_clear_error_and_leaves_no_hook():
    model = fresh()
    with pytest.raises(ConfigError, match="no layer named 'stage9'"):
        with hooks.capture(model, ["stem", "stage9"]):
            pass
    assert hook_count(model) == 0


def test_capture_records_what_a_hand_written_forward_pass_computes():
    model = fresh().eval()
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        with hooks.capture(model, ["stem", "stage2.block0", "head.fc"]) as out:
            logits = model(x)
        stem = model.stem(x)
        block = model.stage2.block0(model.stage1(stem))
    torch.testing.assert_close(out["stem"], stem)
    torch.testing.assert_close(out["stage2.block0"], block)
    torch.testing.assert_close(out["head.fc"], logits)


def test_a_hook_that_returns_a_value_replaces_the_output_inside_the_block_only():
    model = fresh().eval()
    x = torch.randn(1, 3, 16, 16)
    with torch.no_grad():
        before = model(x)
        # The pooled features replaced by zeros: the logits are then the fc layer's bias.
        with hooks.hooked(hooks.find_modules(model, ["head.pool"]), lambda n, m, i, o: torch.zeros_like(o)):
            inside = model(x)
        after = model(x)
    torch.testing.assert_close(inside, model.head.fc.bias.expand_as(inside))
    torch.testing.assert_close(after, before, rtol=0, atol=0)
    assert hook_count(model) == 0


def test_eval_mode_gives_back_a_mixed_state_module_by_module():
    model = fresh().train()
    model.stage2.eval()
    before = {name: m.training for name, m in model.named_modules()}
    with pytest.raises(RuntimeError):
        with hooks.eval_mode(model):
            assert not any(m.training for m in model.modules())
            raise RuntimeError("page failed")
    assert {name: m.training for name, m in model.named_modules()} == before


def test_inference_state_with_batch_stats_normalises_like_training_and_keeps_the_buffers():
    model = fresh().train()
    x = torch.randn(8, 3, 16, 16)
    buffers = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        with hooks.inference_state(model, batch_stats=True):
            bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
            assert bns and all(m.training for m in bns) and not model.stem.conv.training
            got = model(x)
        # The reference: a copy in train mode gives the same output from batch statistics.
        reference = fresh().train()(x)
    torch.testing.assert_close(got, reference)
    assert model.training
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, buffers[key], rtol=0, atol=0)


def test_model_device_is_where_the_parameters_are():
    assert hooks.model_device(fresh()) == torch.device("cpu")
    assert hooks.model_device(nn.ReLU()) == torch.device("cpu")
