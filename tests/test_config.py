"""Foundation: the whole configuration space builds and trains one step; every invalid config says why."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from resnet_core import ConfigError, ModelConfig, TrainConfig, arch_config, build_model
from resnet_core.nets.config import ACTIVATIONS, BLOCKS, HEADS, INITS, NORMS, SHORTCUTS, STRIDE_AT
from resnet_core.nets.models import weight_layers

pytestmark = pytest.mark.usefixtures("one_thread")


def check_forward_backward(cfg: ModelConfig) -> None:
    """Builds, runs a batch of 2, yields finite (2, classes) logits, and every weight layer gets a gradient."""
    torch.manual_seed(0)
    model = build_model(cfg)
    x = torch.randn(2, cfg.in_channels, cfg.input_size, cfg.input_size)
    out = model(x)
    assert out.shape == (2, cfg.num_classes)
    assert torch.isfinite(out).all()
    F.cross_entropy(out, torch.tensor([0, 1])).backward()
    layers = weight_layers(model)
    assert layers, "a net without weight layers"
    for name, layer in layers:
        assert layer.weight.grad is not None, f"{name} got no gradient"
        assert torch.isfinite(layer.weight.grad).all(), name


# Every depth x block x shortcut x residual x norm; the remaining axes (activation, head, init,
# stride position) rotate through all their values across the cases, so each value is used often.
STRUCTURES = [
    dict(family="cifar", depth=d, block=b) for d in (8, 14, 20) for b in ("basic", "preact")
] + [
    dict(family="cifar", depth=d, block="bottleneck") for d in (11, 20)
] + [
    dict(family="imagenet", depth=18, block="basic", input_size=32),
    dict(family="imagenet", depth=18, block="preact", input_size=32),
    dict(family="imagenet", depth=50, block="bottleneck", input_size=33),
    dict(family="custom", stages=(1, 2), block="basic", input_size=11),
    dict(family="custom", stages=(1, 1, 1), block="bottleneck", input_size=9),
    dict(family="custom", stages=(2,), block="preact", input_size=5),
]
CASES = []
for i, (structure, shortcut, residual, norm) in enumerate(
        itertools.product(STRUCTURES, SHORTCUTS, (True, False), NORMS)):
    CASES.append(ModelConfig(
        **{"input_size": 8 + i % 9, **structure}, shortcut=shortcut, residual=residual, norm=norm,
        activation=ACTIVATIONS[i % len(ACTIVATIONS)], head=HEADS[i // 3 % len(HEADS)],
        init=INITS[i // 2 % len(INITS)], stride_at=STRIDE_AT[i // 5 % len(STRIDE_AT)],
        base_width=4, in_channels=1 + i % 3, num_classes=2 + i % 4))


def case_id(cfg: ModelConfig) -> str:
    return "-".join(str(v) for v in (cfg.name, cfg.block, cfg.shortcut, cfg.norm, cfg.activation, cfg.head,
                                      cfg.init, cfg.stride_at, cfg.input_size))


@pytest.mark.parametrize("cfg", CASES, ids=case_id)
def test_every_valid_config_trains_one_step(cfg):
    check_forward_backward(cfg)


def test_the_rotation_covers_every_value():
    for axis, values in [("activation", ACTIVATIONS), ("head", HEADS), ("init", INITS), ("stride_at", STRIDE_AT),
                         ("block", BLOCKS)]:
        assert {getattr(c, axis) for c in CASES} == set(values), axis
    bottleneck_layouts = {(c.stride_at, c.residual) for c in CASES if c.block == "bottleneck"}
    assert len(bottleneck_layouts) == 4


@pytest.mark.parametrize("depth,head,norm", list(itertools.product((11, 19), HEADS, NORMS)))
def test_vgg_configs_train_one_step(depth, head, norm):
    check_forward_backward(ModelConfig(family="vgg", depth=depth, head=head, norm=norm, width_mult=1 / 16,
                                       input_size=32, num_classes=3))


@st.composite
def model_configs(draw) -> ModelConfig:
    """Any small valid config: the axes above mixed freely, plus widths, channels and sizes."""
    family = draw(st.sampled_from(("cifar", "imagenet", "custom")))
    block = draw(st.sampled_from(BLOCKS))
    extra: dict = {}
    if family == "cifar":
        extra["depth"] = draw(st.sampled_from((11, 20) if block == "bottleneck" else (8, 14)))
    elif family == "imagenet":
        extra["depth"] = 50 if block == "bottleneck" else 18
    else:
        extra["stages"] = tuple(draw(st.lists(st.integers(1, 2), min_size=1, max_size=4)))
    base = ModelConfig(family=family, block=block, **extra)
    return base.replace(
        shortcut=draw(st.sampled_from(SHORTCUTS)), residual=draw(st.booleans()), norm=draw(st.sampled_from(NORMS)),
        activation=draw(st.sampled_from(ACTIVATIONS)), head=draw(st.sampled_from(HEADS)),
        init=draw(st.sampled_from(INITS)), stride_at=draw(st.sampled_from(STRIDE_AT)),
        base_width=draw(st.integers(2, 6)), width_mult=draw(st.sampled_from((0.5, 1.0, 1.5))),
        in_channels=draw(st.integers(1, 4)), num_classes=draw(st.integers(2, 5)),
        zero_init_residual=draw(st.booleans()),
        input_size=draw(st.integers(base.min_input_size, base.min_input_size + 9)))


@settings(max_examples=100, deadline=None, derandomize=True)
@given(model_configs())
def test_random_mixes_train_one_step(cfg):
    check_forward_backward(cfg)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(model_configs())
def test_config_round_trips_through_a_dict(cfg):
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    assert hash(cfg) == hash(ModelConfig.from_dict(cfg.to_dict()))   # usable as a cache key


INVALID = [
    (dict(family="cifar", depth=21), "6n+2"),
    (dict(family="cifar", depth=2), "6n+2"),
    (dict(family="cifar", depth=26, block="bottleneck"), "9n+2"),
    (dict(family="cifar", depth=2006), "2000"),
    (dict(family="imagenet", depth=20, input_size=224), "18, 34"),
    (dict(family="imagenet", depth=34, block="bottleneck", input_size=224), "50, 101, 152"),
    (dict(family="imagenet", depth=50, block="preact", input_size=224), "18, 34"),
    (dict(family="vgg", depth=12, input_size=224), "11, 13, 16, 19"),
    (dict(activation="swish"), "relu, leaky_relu, tanh, sigmoid, gelu"),
    (dict(block="dense"), "basic, bottleneck, preact"),
    (dict(shortcut="D"), "A, B, C"),
    (dict(norm="layer"), "batch, none"),
    (dict(init="orthogonal"), "he, xavier, default"),
    (dict(head="conv"), "gap, flatten"),
    (dict(stride_at="v2"), "v1, v1.5"),
    (dict(family="mlp"), "cifar, imagenet, custom, vgg"),
    (dict(input_size=3), "input size must be 4 to 1024"),
    (dict(family="imagenet", depth=18, input_size=16), "input size must be 32 to 1024"),
    (dict(family="custom", stages=(1,) * 6, input_size=16), "input size must be 32"),
    (dict(input_size=2048), "1024"),
    (dict(base_width=0), "base_width"),
    (dict(width_mult=0.0), "width_mult"),
    (dict(width_mult=-1.0), "width_mult"),
    (dict(family="custom", stages=()), "1 to 6 stages"),
    (dict(family="custom", stages=(2, 0)), "1 to 200 blocks"),
    (dict(family="custom", stages=(1,) * 7), "1 to 6 stages"),
    (dict(num_classes=1), "num_classes"),
    (dict(in_channels=0), "in_channels"),
    (dict(in_channels=5), "in_channels"),
    (dict(depth="20"), "whole number"),
    (dict(depth=True), "whole number"),
    (dict(input_size=32.0), "whole number"),
]


@pytest.mark.parametrize("kwargs,message", INVALID, ids=lambda v: str(v) if isinstance(v, dict) else None)
def test_invalid_model_config_says_why(kwargs, message):
    with pytest.raises(ConfigError) as err:
        ModelConfig(**kwargs)
    assert message in str(err.value)
    assert "\n" not in str(err.value)   # one line, fit for a page or a terminal


@pytest.mark.parametrize("arch,message", [
    ("resnet21", "6n+2"), ("resnet", "unknown architecture"), ("densenet121", "unknown architecture"),
    ("vgg12", "11, 13, 16, 19"), ("resnet-20", "unknown architecture"),
])
def test_invalid_arch_name_says_why(arch, message):
    with pytest.raises(ConfigError, match=message.replace("+", r"\+")):
        arch_config(arch)


@pytest.mark.parametrize("kwargs,message", [
    (dict(steps=0), "steps"), (dict(batch_size=0), "batch_size"), (dict(lr=0.0), "lr"),
    (dict(dataset="imagenet"), "digits"), (dict(optimizer="rmsprop"), "sgd, adam"),
    (dict(momentum=1.0), "momentum"), (dict(holdout_fraction=0.95), "holdout_fraction"),
    (dict(device="tpu"), "auto, cpu, cuda"), (dict(schedule="poly"), "step, cosine, constant"),
    (dict(warmup_steps=-1), "warmup_steps"), (dict(weight_decay=2.0), "weight_decay"),
])
def test_invalid_train_config_says_why(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**kwargs)


def test_train_config_round_trips_and_paper_defaults():
    cfg = TrainConfig(dataset="shapes", steps=20, lr=0.05)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    # Section 4.2's recipe is the default: batch 128, SGD momentum 0.9, weight decay 1e-4, lr 0.1.
    default = TrainConfig()
    assert (default.batch_size, default.optimizer, default.momentum, default.weight_decay, default.lr) == \
        (128, "sgd", 0.9, 1e-4, 0.1)


@pytest.mark.parametrize("cfg", [
    arch_config("resnet20", input_size=13), arch_config("resnet50", input_size=45, base_width=4),
    ModelConfig(family="custom", stages=(1, 1, 1, 1), block="preact", base_width=3, width_mult=1.5, input_size=9),
    ModelConfig(family="vgg", depth=11, width_mult=1 / 16, input_size=37),
], ids=lambda c: c.name)
def test_derived_shape_facts_match_the_built_model(cfg):
    """final_channels and final_spatial (used for the flatten head and the diagram) against a real forward."""
    model = build_model(cfg).eval()
    with torch.no_grad():
        features = model.features(torch.randn(1, cfg.in_channels, cfg.input_size, cfg.input_size))
    assert features.shape[1:] == (cfg.final_channels, cfg.final_spatial, cfg.final_spatial)


def test_arch_defaults_follow_the_paper():
    cifar, imagenet = arch_config("resnet56"), arch_config("resnet50")
    assert (cifar.input_size, cifar.num_classes, cifar.shortcut, cifar.width(0)) == (32, 10, "A", 16)
    assert cifar.blocks_per_stage == (9, 9, 9)                     # 6n+2 with n = 9
    assert (imagenet.input_size, imagenet.num_classes, imagenet.shortcut) == (224, 1000, "B")
    assert imagenet.final_channels == 2048 and imagenet.final_spatial == 7
    assert arch_config("plain56").residual is False and arch_config("plain56").name == "plain56"


def test_kind_writes_each_net_the_way_the_paper_names_it():
    from resnet_core import paper

    # Table 2 (ImageNet, plain and residual) and Table 6 (CIFAR): the paper's own spellings.
    for name in [*paper.TABLE2, *paper.TABLE6]:
        residual = name.startswith("ResNet-")
        depth = name.split("-")[1]
        assert arch_config(f"{'resnet' if residual else 'plain'}{depth}").kind == name
    assert arch_config("vgg19").kind == "VGG-19"
    assert arch_config("resnet20", block="preact").kind == "preact-ResNet-20"
    custom = ModelConfig(family="custom", stages=(2, 2, 2), residual=False)
    assert custom.kind == custom.name == "plain-custom-2x2x2"


@pytest.mark.parametrize("arch,plain,expected", [("resnet20", False, "residual"), ("resnet20", True, "plain"),
                                                 ("resnet50", False, "residual"), ("vgg19", False, "plain")])
def test_twin_names_plain_or_residual(arch, plain, expected):
    # VGG has no shortcuts: plain even though its config keeps residual=True.
    assert arch_config(arch, plain=plain).twin == expected
