"""The paper's experiments, shrunk to run live: degradation (Figure 6), shortcuts A/B/C
(Table 3) and BatchNorm on/off (section 4.1).

Each `*_configs` function returns (label, ModelConfig, TrainConfig) triples sharing one recipe
and one seed, so the nets differ only in what the experiment is about. The CLI and the pages
both use them; `run_experiment` trains them one after another in this process.

Where runs are found again: by their store group (resnet_core.store.groups) and experiment id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from resnet_core.data.datasets import dataset_info
from resnet_core.messages import reason_of
from resnet_core.nets.architectures import arch_config
from resnet_core.nets.config import ModelConfig, TrainConfig
from resnet_core.store.groups import DEGRADATION

# Input side per dataset. Digits stay at their native 8x8 (upsampling adds pixels, not
# information); with width 8 and batch 64 a ResNet-56 step costs about 18 ms of one CPU core,
# and the four degradation nets take about 15 s of CPU in all (bench/bench_train.py).
RECIPE_SIZE = {"digits": 8, "shapes": 16, "mnist": 14, "fashion_mnist": 14, "cifar10": 32}


def recipe(dataset: str = "digits", *, steps: int = 200, seed: int = 0, device: str = "auto",
           data_dir: str = "", batch_size: int = 64, warmup_steps: int | None = None,
           **changes) -> TrainConfig:
    """The paper's CIFAR recipe (SGD, momentum 0.9, weight decay 1e-4, lr 0.1 divided by 10 at
    50% and 75% of training), shortened to `steps`. Batch 64 instead of 128: on these small sets
    twice the updates for the same compute is what lets the ordering appear in 200 steps.
    A linear warm-up over the first 10% of steps (the paper warms ResNet-110 up likewise):
    without it ResNet-56 lost its first steps to lr 0.1 on 2 of 6 seeds and ended well above
    ResNet-20; with it, all 20 seeds tried on digits kept the paper's ordering.
    Augmentation is off: the experiments compare how well each net fits its training set."""
    if warmup_steps is None:
        warmup_steps = steps // 10
    return TrainConfig(dataset=dataset, data_dir=data_dir, steps=steps, batch_size=batch_size,
                       optimizer="sgd", lr=0.1, momentum=0.9, weight_decay=1e-4, schedule="step",
                       warmup_steps=warmup_steps, augment=False, seed=seed, device=device,
                       eval_every=max(1, steps // 6), stats_every=max(1, steps // 6), **changes)


def _net(arch: str, dataset: str, width: int, **changes) -> ModelConfig:
    info = dataset_info(dataset)
    return arch_config(arch, base_width=width, input_size=RECIPE_SIZE[dataset],
                       in_channels=info.native_channels, num_classes=info.num_classes, **changes)


# The Degradation page's longer run, at the paper's CIFAR width (16 channels in the first stage,
# He et al. 2015 section 4.2). bench/bench_degradation_gap.py on the digits, seed 0, one CPU core:
# plain-56 ends this many points of training error above plain-20 --
#   width 8:  57.6 after 300 steps, 51.0 after 1,200, 51.5 after 2,400 (length alone stops helping);
#   width 16: 21.7 after 1,200.
DEGRADATION_LONG_STEPS, DEGRADATION_LONG_WIDTH = 1200, 16


def degradation_configs(dataset: str = "digits", *, steps: int = 200, seed: int = 0, device: str = "auto",
                        data_dir: str = "", width: int = 8) -> list[tuple[str, ModelConfig, TrainConfig]]:
    """plain-20, plain-56, ResNet-20, ResNet-56 (He et al. 2015, Figure 6), one recipe and seed."""
    train_cfg = recipe(dataset, steps=steps, seed=seed, device=device, data_dir=data_dir)
    nets = [_net(arch, dataset, width) for arch in ("plain20", "plain56", "resnet20", "resnet56")]
    return [(m.kind, m, train_cfg) for m in nets]


def shortcut_configs(dataset: str = "digits", *, depth: int = 20, steps: int = 200, seed: int = 0,
                     device: str = "auto", data_dir: str = "", width: int = 8
                     ) -> list[tuple[str, ModelConfig, TrainConfig]]:
    """One CIFAR-style ResNet with shortcut options A, B and C (paper sections 3.3 and 4.1, Table 3),
    beside its plain twin, the paper's baseline."""
    train_cfg = recipe(dataset, steps=steps, seed=seed, device=device, data_dir=data_dir)
    plain = _net(f"plain{depth}", dataset, width)
    residual = [_net(f"resnet{depth}", dataset, width, shortcut=s) for s in ("A", "B", "C")]
    return [(plain.kind, plain, train_cfg)] + [(f"{m.kind} {m.shortcut}", m, train_cfg) for m in residual]


def bn_configs(dataset: str = "digits", *, depth: int = 20, steps: int = 200, seed: int = 0,
               device: str = "auto", data_dir: str = "", width: int = 8, lr: float = 0.01
               ) -> list[tuple[str, ModelConfig, TrainConfig]]:
    """Plain and residual nets with and without BatchNorm. Without BN the paper's lr of 0.1 makes
    a deep net diverge, so both arms use a gentler `lr` (a fair comparison: same recipe)."""
    train_cfg = recipe(dataset, steps=steps, seed=seed, device=device, data_dir=data_dir).replace(lr=lr)
    runs = []
    for arch in (f"plain{depth}", f"resnet{depth}"):
        with_bn, without = _net(arch, dataset, width), _net(arch, dataset, width, norm="none")
        runs += [(f"{with_bn.kind} BN", with_bn, train_cfg), (f"{without.kind} no BN", without, train_cfg)]
    return runs


EXPERIMENTS: dict[str, Callable[..., list]] = {
    "degradation": degradation_configs, "shortcuts": shortcut_configs, "bn": bn_configs}


@dataclass
class ExperimentRow:
    name: str
    run_id: int | None
    status: str
    final_train_loss: float
    final_train_acc: float
    test_acc: float
    steps: int
    seconds: float


def run_experiment(runs: list[tuple[str, ModelConfig, TrainConfig]], *, store=None, group: str = "",
                   owner: str = "", display_name: str = "",
                   on_run: Callable[[ExperimentRow], None] | None = None) -> list[ExperimentRow]:
    """Train each net in turn (here, not in the background); with a store, each run is recorded
    under `group` and one experiment id (the first run's) so the pages can show the experiment
    later, as they show one queued from a page."""
    from resnet_core.training.engine import train
    from resnet_core.training.sinks import MemorySink, StoreSink

    rows, experiment = [], None
    for label, model_cfg, train_cfg in runs:
        run_id = None
        if store:
            run_id = store.create_run(model_cfg, train_cfg, owner=owner, label=label, group=group,
                                      experiment=experiment, display_name=display_name)
            experiment = experiment or store.get_run(run_id).experiment
        try:
            result = train(model_cfg, train_cfg, sink=StoreSink(store, run_id) if store else MemorySink())
        except Exception as err:
            if run_id is not None:
                store.set_status(run_id, "failed", reason_of(err))
            raise
        row = ExperimentRow(label, run_id, result.status, result.final_train_loss, result.final_train_acc,
                            result.test_acc, result.steps_done, result.seconds)
        rows.append(row)
        if on_run is not None:
            on_run(row)
    return rows


def run_degradation(dataset: str = "digits", *, store=None, owner: str = "", on_run=None,
                    **options) -> list[ExperimentRow]:
    """plain-20/56 and ResNet-20/56 trained one after another; rows in that order."""
    return run_experiment(degradation_configs(dataset, **options), store=store, group=DEGRADATION, owner=owner,
                          on_run=on_run)
