"""What each prediction question runs or counts: thin calls into the experiments, the counters and
the inspection code the pages already use, returning plain JSON-able numbers.

Every function takes the question's setup (a dict of plain values, resnet_core.predict.bank) and
`progress(done, total)` / `should_stop()` from the job runner, and returns the measurement; the
question's rule (bank.py) decides the answer from it. Trained measurements keep their nets in
memory: the answer is what is stored, not the nets.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Callable

Progress = Callable[[int, int], None]
StopFlag = Callable[[], bool]


def _never() -> bool:
    return False


def _quiet(done: int, total: int) -> None:
    pass


def _twins(setup: dict, depth: int, device: str) -> list:
    """plain-N and ResNet-N with the degradation recipe (training/experiments.py), one seed."""
    from resnet_core.training.experiments import degradation_configs

    nets = degradation_configs(setup.get("dataset", "digits"), steps=int(setup["steps"]), seed=int(setup["seed"]),
                               device=device, width=int(setup.get("width", 8)))
    base = [row for row in nets if row[0] in ("plain-20", "ResNet-20")]
    return [(f"{label.split('-')[0]}-{depth}", m.replace(depth=depth), tc) for label, m, tc in base]


def _train_all(runs: list, progress: Progress, should_stop: StopFlag, total: int) -> list:
    """Train each (label, model config, train config) here, in turn; the results keep the nets."""
    from resnet_core.messages import ConfigError, message
    from resnet_core.training.engine import train

    out = []
    for i, (label, m, tc) in enumerate(runs):
        result = train(m, tc, should_stop=should_stop)
        if result.status != "finished":
            # The engine's own reason (a divergence says at which step and what to try), inside a
            # sentence naming the net, so the page translates both (resnet_core.messages).
            raise ConfigError(code="net_unfinished", label=label,
                              reason=result.error or message("ended_as", status=result.status))
        out.append((label, m, tc, result))
        progress(i + 1, total)
    return out


def _num(value) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


# --- trained ---------------------------------------------------------------------------------

def plan_degradation(setup: dict, device: str = "auto") -> list:
    """plain-20 and plain-56 with the degradation recipe (training/experiments.py)."""
    from resnet_core.training.experiments import degradation_configs

    return [r for r in degradation_configs(setup.get("dataset", "digits"), steps=int(setup["steps"]),
                                           seed=int(setup["seed"]), device=device, width=int(setup.get("width", 8)))
            if r[0] in ("plain-20", "plain-56")]


def plan_twins(setup: dict, device: str = "auto") -> list:
    """plain-N and ResNet-N, N the setup's depth (lesion, landscape)."""
    return _twins(setup, int(setup["depth"]), device)


def plan_gap(setup: dict, device: str = "auto") -> list:
    """A small GAP net (ResNet-8, width 8) on the digits at the setup's training size."""
    from resnet_core.nets.config import ModelConfig
    from resnet_core.training.experiments import recipe

    m = ModelConfig(depth=8, base_width=8, in_channels=1, input_size=int(setup["train_size"]), head="gap")
    return [(m.kind, m, recipe("digits", steps=int(setup["steps"]), seed=int(setup["seed"]), device=device))]


def degradation(setup: dict, device: str = "auto", progress: Progress = _quiet,
                should_stop: StopFlag = _never) -> dict:
    """plain-20 and plain-56 trained with one recipe: final training loss and error (He et al.
    2015, Figure 6: the deeper plain net ends higher)."""
    runs = plan_degradation(setup, device)
    done = _train_all(runs, progress, should_stop, len(runs))
    from resnet_core.messages import ConfigError

    for label, _, _, r in done:   # the answer compares the two losses: a missing one answers nothing
        if _num(r.final_train_loss) is None:
            raise ConfigError(code="no_final_loss", label=label)
    return {"final_train_loss": {label: _num(r.final_train_loss) for label, _, _, r in done},
            "final_train_error": {label: _num(1 - r.final_train_acc) for label, _, _, r in done},
            "seconds": {label: r.seconds for label, _, _, r in done}}


def lesion(setup: dict, device: str = "auto", progress: Progress = _quiet, should_stop: StopFlag = _never) -> dict:
    """plain-N and ResNet-N trained, then each ordinary (shape-keeping) block deleted in turn at
    test time: the median held-out accuracy drop (Veit et al. 2016, resnet_core.inspection.lesion)."""
    from resnet_core.inspection import lesion as study
    from resnet_core.data.datasets import run_data
    from resnet_core.training.engine import cpu_threads, resolve_device

    depth = int(setup["depth"])
    done = _train_all(plan_twins(setup, device), progress, should_stop, 3)
    out, dev = {}, resolve_device(device)
    for label, m, tc, result in done:
        model = result.model.eval()
        ds = run_data(SimpleNamespace(model_cfg=m, train_cfg=tc), dev)
        with cpu_threads(dev):   # as the lesion task: one thread per worker, denormals flushed
            res = study.study(model, ds.x_test, ds.y_test, draws=1, seed=int(setup["seed"]))
        summary = study.summary(res)
        kind = "plain" if label.startswith("plain") else "residual"
        out[kind] = {"label": label, "intact_acc": res["intact_acc"], "median_drop": summary["median_drop_ordinary"],
                      "worst_block": summary["worst_block"], "worst_drop": summary["worst_drop"]}
    progress(3, 3)
    return {"nets": out, "depth": depth}


def gap_other_size(setup: dict, device: str = "auto", progress: Progress = _quiet,
                   should_stop: StopFlag = _never) -> dict:
    """A small GAP net trained on the digits at one size and tested on the same held-out digits at
    another (the GAP vs FC page's trained check, resnet_core.inspection.analysis.accuracy_at_sizes)."""
    from resnet_core.data.datasets import load_dataset
    from resnet_core.inspection.analysis import accuracy_at_sizes

    train_size, test_size, seed = int(setup["train_size"]), int(setup["test_size"]), int(setup["seed"])
    (_, m, _, result), = _train_all(plan_gap(setup, device), progress, should_stop, 2)
    acc = accuracy_at_sizes(result.model.cpu(), "digits", [train_size, test_size], seed=seed)
    n = len(load_dataset("digits", size=train_size, in_channels=1, seed=seed).y_test[:512])
    chance = 1 / m.num_classes
    progress(2, 2)
    return {"acc": {str(k): v for k, v in acc.items()}, "train_size": train_size, "test_size": test_size,
            "chance": chance, "n_images": n,
            # Three binomial standard deviations above guessing: a net that guesses gets there
            # about once in a thousand.
            "beats_chance_above": chance + 3 * math.sqrt(chance * (1 - chance) / n)}


def landscape(setup: dict, device: str = "auto", progress: Progress = _quiet,
              should_stop: StopFlag = _never) -> dict:
    """plain-N and ResNet-N trained, then a filter-normalised 2-D loss slice around each (Li et al.
    2018, resnet_core.inspection.landscape): strict local minima on the grid."""
    from resnet_core.inspection import landscape as slices
    from resnet_core.data.datasets import run_data, train_subset
    from resnet_core.training.engine import cpu_threads, resolve_device

    depth, grid, seed = int(setup["depth"]), int(setup["grid"]), int(setup["seed"])
    done = _train_all(plan_twins(setup, device), progress, should_stop, 4)
    out, dev = {}, resolve_device(device)
    for i, (label, m, tc, result) in enumerate(done):
        model = result.model.eval()
        ds = run_data(SimpleNamespace(model_cfg=m, train_cfg=tc), dev)
        x, y = train_subset(ds, int(setup["max_images"]), seed)
        # Denormals flushed, as the landscape task does: far from the minimum, weights make them
        # and each evaluation would crawl.
        with cpu_threads(dev):
            res = slices.slices(model, x, y, points_1d=grid, grid=grid, seed=seed, should_stop=should_stop)
        shape = res["shape"] or {}
        kind = "plain" if label.startswith("plain") else "residual"
        out[kind] = {"label": label, "local_minima_2d": shape.get("local_minima_2d"), "local_minima_1d": shape.get("local_minima_1d"),
                      "curve_down_fraction": shape.get("curve_down_fraction"), "centre_loss": shape.get("centre_loss")}
        progress(3 + i, 4)
    return {"nets": out, "depth": depth, "grid": grid}


# --- counted or probed at once -----------------------------------------------------------------

def gradient_ratio(setup: dict, device: str = "auto", progress: Progress = _quiet,
                   should_stop: StopFlag = _never) -> dict:
    """First layers' gradient over the last layers' at initialisation, plain and residual twins,
    as the Gradient flow page measures it (its "vanishing" scenario: sigmoid, no BN, He init)."""
    from resnet_core.inspection.gradient_ratios import input_output_ratio
    from resnet_core.inspection.probes import grad_norms_at_init
    from resnet_core.nets.architectures import arch_config

    cfg = arch_config(f"resnet{int(setup['depth'])}", block=setup["block"], norm="none",
                      activation=setup["activation"], init="he", input_size=16)
    out = {}
    for kind, c in (("plain", cfg.replace(residual=False)), ("residual", cfg)):
        names, norms = grad_norms_at_init(c, batch=16, seed=int(setup["seed"]))
        ratio = input_output_ratio(names, norms)
        out[kind] = {"ratio": ratio, "zero_layers": int((norms == 0).sum()),
                     # How many times smaller the first layers' gradient is; None: it is exactly 0.
                     "times_smaller": 1 / ratio if ratio > 0 else None}
    progress(1, 1)
    return out


def macs(setup: dict, device: str = "auto", progress: Progress = _quiet, should_stop: StopFlag = _never) -> dict:
    """Multiply-adds for one 224x224 image, counted layer by layer (resnet_core.nets.flops)."""
    from resnet_core.nets.architectures import arch_config
    from resnet_core.nets.flops import count

    out = {arch: count(arch_config(arch, stride_at="v1")).macs for arch in setup["archs"]}
    progress(1, 1)
    return {"macs": out}


def shortcut_params(setup: dict, device: str = "auto", progress: Progress = _quiet,
                    should_stop: StopFlag = _never) -> dict:
    """Parameters of one net with shortcut options A, B and C, and of its plain twin."""
    from resnet_core.nets.architectures import arch_config
    from resnet_core.nets.flops import count, shortcut_costs

    arch = setup["arch"]
    params = {c.option: c.params for c in shortcut_costs(arch)}
    plain = count(arch_config(arch, plain=True)).params
    progress(1, 1)
    return {"params": params, "plain_params": plain, "c_minus_a": params["C"] - params["A"],
            "a_minus_plain": params["A"] - plain}


def bottleneck(setup: dict, device: str = "auto", progress: Progress = _quiet,
               should_stop: StopFlag = _never) -> dict:
    """The 1x1-reduction calculator: a k x k conv direct, and after a 1x1 down to `mid` channels."""
    from resnet_core.nets.flops import bottleneck_calc

    calc = bottleneck_calc(int(setup["size"]), int(setup["cin"]), int(setup["cout"]), int(setup["k"]),
                           int(setup["mid"]))
    progress(1, 1)
    return {"direct_macs": calc.direct_macs, "bottleneck_macs": calc.bottleneck_macs, "ratio": calc.ratio}
