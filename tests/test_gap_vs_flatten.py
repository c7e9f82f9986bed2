"""resnet_core.inspection.gap_vs_flatten: a GAP head takes any input size, a flatten head only its own."""

import pytest
import torch

from resnet_core import ConfigError, build_model
from resnet_core.inspection import gap_vs_flatten


@pytest.mark.parametrize("size", [8, 20, 32, 48, 96])
def test_gap_head_runs_at_every_size(size):
    run = gap_vs_flatten.run_head("gap", 32, size)
    assert run.ok and run.output_shape == (10,)
    assert run.given_inputs == run.fc_inputs == 32
    assert run.feature_shape == (32, (size + 3) // 4, (size + 3) // 4)   # two stride-2 stages


@pytest.mark.parametrize("size", [8, 20, 48, 96])
def test_flatten_head_fails_off_its_size_with_pytorchs_shape_error(size):
    run = gap_vs_flatten.run_head("flatten", 32, size)
    side = (size + 3) // 4
    assert not run.ok and run.output_shape == ()
    assert run.fc_inputs == 32 * 8 * 8 and run.given_inputs == 32 * side * side
    # The message is PyTorch's own, so the explanation matches what a student would see.
    assert run.error == f"mat1 and mat2 shapes cannot be multiplied (1x{32 * side * side} and 2048x10)"


def test_flatten_head_runs_at_its_own_size_and_matches_a_direct_forward():
    run = gap_vs_flatten.run_head("flatten", 32, 32, seed=3)
    assert run.ok and run.output_shape == (10,)
    torch.manual_seed(3)
    model = build_model(gap_vs_flatten.tiny_config("flatten", 32)).eval()
    assert model.head.fc.in_features == run.fc_inputs


def test_sizes_the_network_cannot_halve_are_config_errors():
    with pytest.raises(ConfigError, match="input size must be"):
        gap_vs_flatten.run_head("gap", 32, 2)


def test_vgg19_fc_share_matches_the_paper_notes():
    fc, total = gap_vs_flatten.fc_share("vgg19")
    assert total == 143_667_240                      # torchvision's vgg19
    assert fc == 25088 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 1000 + 1000   # 123,642,856
