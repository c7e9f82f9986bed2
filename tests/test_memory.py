"""The memory estimate (resnet_core.training.memory) against what PyTorch really allocates on the
CPU: the tensors autograd saves for the backward pass (saved_tensors_hooks, each storage once)
and the allocator's peak over a whole training step and the final evaluation (the profiler's
memory events, profile_memory=True). Neither measurement uses the estimator's rules."""

import itertools

import pytest
import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile

from resnet_core.nets.config import ModelConfig, TrainConfig
from resnet_core.nets.models import build_model
from resnet_core.training import memory
from resnet_core.training.engine import make_optimizer

pytestmark = pytest.mark.usefixtures("one_thread")   # many small nets: one thread is quicker

LOW, HIGH = 0.7, 1.5    # the estimate's stated accuracy against the allocator's peak
TRAIN = TrainConfig(dataset="digits", steps=1, max_samples=400)   # 80 held out: the evaluation's batch


def batch_of(cfg: ModelConfig, n: int) -> torch.Tensor:
    x = torch.randn(n, cfg.in_channels, cfg.input_size, cfg.input_size)
    return x.contiguous(memory_format=torch.channels_last)


def saved_bytes(cfg: ModelConfig, batch: int, bf16: bool = False) -> int:
    """Bytes autograd keeps for backward after a real forward: every saved storage once,
    parameters left out (they are counted as weights)."""
    model = build_model(cfg).to(memory_format=torch.channels_last).train()
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    kept: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in params:
            kept[storage.data_ptr()] = storage.nbytes()
        return t

    y = torch.randint(0, cfg.num_classes, (batch,))
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), \
            torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        F.cross_entropy(model(batch_of(cfg, batch)).float(), y)
    return sum(kept.values())


def peak_bytes(cfg: ModelConfig, train_cfg: TrainConfig, eval_images: int) -> int:
    """The most bytes alive at once over one training step (forward, backward, SGD with momentum)
    and an evaluation of `eval_images` held-out images, as the CPU allocator reports them; plus
    the weights and the batch, allocated before the profiler starts."""
    model = build_model(cfg).to(memory_format=torch.channels_last).train()
    opt = make_optimizer(model, train_cfg)
    x, y = batch_of(cfg, train_cfg.batch_size), torch.randint(0, cfg.num_classes, (train_cfg.batch_size,))
    x_eval = batch_of(cfg, eval_images)
    before = sum(t.numel() * t.element_size() for t in [*model.parameters(), *model.buffers(), x, y, x_eval])
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        loss = F.cross_entropy(model(x).float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        del loss
        model.eval()
        with torch.no_grad():
            model(x_eval)
    events = sorted((e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"),
                    key=lambda e: e.start_ns())
    return before + max(itertools.accumulate(e.nbytes() for e in events))


# Plain and residual, basic, bottleneck and pre-activation, options A, B and C, depths 8 to 56,
# widths 8 to 32, batches 8 to 128, inputs 16 to 64 px, the ImageNet and VGG families.
SAVED_CASES = [
    (ModelConfig(depth=20), 32),
    (ModelConfig(depth=20, residual=False), 32),
    (ModelConfig(depth=8, base_width=32, shortcut="B"), 32),
    (ModelConfig(depth=56, base_width=8, input_size=16, shortcut="C"), 16),
    (ModelConfig(depth=29, block="bottleneck"), 16),
    (ModelConfig(depth=20, block="preact", shortcut="B", in_channels=1, input_size=28), 32),
    (ModelConfig(depth=14, norm="none", activation="gelu", head="flatten", input_size=16), 128),
    (ModelConfig(family="imagenet", depth=18, base_width=8, input_size=64), 16),
    (ModelConfig(family="imagenet", depth=50, block="bottleneck", base_width=8, input_size=64), 8),
    (ModelConfig(family="vgg", depth=11, base_width=8, input_size=32), 16),
]


def case_id(case) -> str:
    cfg, batch = case
    kind = "residual" if cfg.residual else "plain"
    return f"{cfg.family}{cfg.depth}-{cfg.block}-{kind}-{cfg.shortcut}-w{cfg.base_width}-{cfg.input_size}px-b{batch}"


@pytest.mark.parametrize("case", SAVED_CASES, ids=case_id)
def test_the_activations_are_what_autograd_saves(case):
    cfg, batch = case
    measured = saved_bytes(cfg, batch)
    est = memory.estimate(cfg, TrainConfig(batch_size=batch))
    assert est.activations == pytest.approx(measured, rel=0.05)


@pytest.mark.parametrize("case", [SAVED_CASES[0], SAVED_CASES[7]], ids=case_id)
def test_bf16_autocast_about_halves_them(case):
    cfg, batch = case
    measured = saved_bytes(cfg, batch, bf16=True)
    est = memory.estimate(cfg, TrainConfig(batch_size=batch), bf16=True)
    assert measured < 0.65 * saved_bytes(cfg, batch)           # the measurement: bf16 keeps about half
    assert 0.9 * measured <= est.activations <= 1.35 * measured


PEAK_CASES = [
    (ModelConfig(depth=56, base_width=8, in_channels=1, input_size=16), 32),
    (ModelConfig(depth=29, block="bottleneck", base_width=8, in_channels=1, input_size=16), 16),
    (ModelConfig(family="imagenet", depth=18, base_width=8, in_channels=1, input_size=64), 8),
]


@pytest.mark.parametrize("case", PEAK_CASES, ids=case_id)
def test_the_total_is_within_its_stated_factor_of_the_allocators_peak(case):
    cfg, batch = case
    train_cfg = TRAIN.replace(batch_size=batch)
    est = memory.estimate(cfg, train_cfg)
    eval_images = round(train_cfg.max_samples * train_cfg.holdout_fraction)
    measured = peak_bytes(cfg, train_cfg, eval_images)
    assert LOW * measured <= est.model <= HIGH * measured, (est, measured)


def test_the_parts_follow_the_run():
    cfg, tc = ModelConfig(depth=20), TrainConfig(batch_size=64)
    base = memory.estimate(cfg, tc)
    params = sum(p.numel() for p in build_model(cfg).parameters())
    assert base.grads == 4 * params and base.optimizer == 4 * params       # SGD momentum: one buffer
    assert memory.estimate(cfg, tc.replace(optimizer="adam")).optimizer == 8 * params
    assert memory.estimate(cfg, tc.replace(momentum=0.0)).optimizer == 0
    doubled = memory.estimate(cfg, tc.replace(batch_size=128))
    assert doubled.activations == 2 * base.activations
    assert memory.estimate(cfg.replace(depth=56), tc).activations > 2.5 * base.activations
    # The images: CIFAR-10 at 224 px is the 36 GB whatever the net, and the engine's
    # copy of 4,096 held-out images for its evaluations.
    big = memory.estimate(cfg.replace(input_size=224), tc.replace(dataset="cifar10"))
    assert (big.data - 4096 * (3 * 224 * 224 * 4 + 8)) / 1e9 == pytest.approx(36.1, abs=0.1)
