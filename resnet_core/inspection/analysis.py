"""Measurements the pages explain the paper with, each on real images:

- ``signal_steps``: where a fresh net's forward signal shrinks, layer to layer, grouped by what
  the layer does (a stage's first conv, which doubles the channels; a conv on an 8x8, 4x4 or 2x2
  map, where zero padding is a growing share of each 3x3 window).
- ``layer_responses``: the paper's Figure 7, the standard deviation of each 3x3 layer's response
  after BN and before the addition and the nonlinearity, for a trained net.
- ``accuracy_at_sizes``: what a trained net gets right when its images are resized.

All hooks go through ``hooks.capture``, which removes them on the way out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from resnet_core.data.datasets import load_dataset
from resnet_core.inspection import verdicts
from resnet_core.nets.blocks import named_activations
from resnet_core.nets.config import ModelConfig
from resnet_core.nets.hooks import capture, inference_state, model_device

# Where the signal shrinks

@dataclass(frozen=True)
class SignalSteps:
    names: list[str]                  # activation layers, input side first
    std: np.ndarray                   # each one's output std on the batch
    places: list[str]                 # what the layer before it does: "grow" or "map<side>"
    by_place: dict[str, tuple[float, int]]   # place -> (geometric mean std ratio per layer, layers)

    @property
    def overall(self) -> float:
        """Last activation's std over the first's."""
        return float(self.std[-1] / self.std[0])


def signal_steps(model: nn.Module, x: torch.Tensor, *, batch_stats: bool = True) -> SignalSteps:
    """Each activation's output std on `x`, and how it changed from the previous activation,
    grouped by what lies between: a conv that grows the channels ("grow") or one that keeps them
    on a map of a given side ("map8", "map4", ...). Only the plain stack reads cleanly this way;
    in a residual net the sums mix paths."""
    names = [n for n, _ in named_activations(model)]
    with inference_state(model, batch_stats=batch_stats), torch.no_grad(), capture(model, names) as out:
        model(x.to(model_device(model)))
    shapes = [tuple(out[n].shape[1:]) for n in names]
    return steps_by_place(names, [out[n].float().std().item() for n in names], shapes)


def cifar_shapes(cfg: ModelConfig, names: list[str]) -> list[tuple[int, int, int]]:
    """(channels, side, side) after each activation of a CIFAR-family net, from its names
    ("stem.act", "stage2.block0.act1"): what ``signal_steps`` would see, without a forward pass."""
    out = []
    for name in names:
        stage = int(name.split(".")[0][len("stage"):]) - 1 if name.startswith("stage") else 0
        side = cfg.input_size
        for _ in range(stage):
            side = (side + 1) // 2
        out.append((cfg.width(stage) * cfg.expansion, side, side))
    return out


def steps_by_place(names: list[str], stds, shapes: list[tuple]) -> SignalSteps:
    """``signal_steps`` from per-activation stds and output shapes already measured."""
    places, ratios = [""], {}
    for i in range(1, len(names)):
        grew = shapes[i][0] > shapes[i - 1][0]
        place = "grow" if grew else f"map{shapes[i][-1]}"
        places.append(place)
        ratios.setdefault(place, []).append(np.log(max(stds[i], 1e-30) / max(stds[i - 1], 1e-30)))
    by_place = {p: (float(np.exp(np.mean(r))), len(r)) for p, r in ratios.items()}
    return SignalSteps(list(names), np.array(stds), places, by_place)


# Figure 7: responses of the 3x3 layers

def response_layers(model: nn.Module) -> list[str]:
    """The BN right after each 3x3 conv of the main path (stem and blocks; shortcut projections
    left out), in forward order. In a basic block the second one's output is what the block adds
    to the shortcut: "after BN, before the addition" (He et al. 2015, section 4.2)."""
    modules = dict(model.named_modules())
    names = []
    for name, module in modules.items():
        if isinstance(module, nn.Conv2d) and module.kernel_size == (3, 3) and ".shortcut" not in name:
            parent, _, leaf = name.rpartition(".")
            bn_name = (parent + "." if parent else "") + leaf.replace("conv", "bn")
            if isinstance(modules.get(bn_name), nn.BatchNorm2d):
                names.append(bn_name)
    return names


def layer_responses(model: nn.Module, x: torch.Tensor) -> tuple[list[str], np.ndarray]:
    """Figure 7's measure for a trained net on images `x`, in evaluation mode (BN with its
    running statistics): per 3x3 layer, the std of its BN output. The paper takes the std of
    each channel's response and plots their spread; we take the std over all of a layer's
    values, per channel first, then the mean over channels."""
    names = response_layers(model)
    with inference_state(model), torch.no_grad(), capture(model, names) as out:
        model(x.to(model_device(model)))
    stds = [out[n].float().transpose(0, 1).flatten(1).std(dim=1).mean().item() for n in names]
    return names, np.array(stds)


def trained_responses(model: nn.Module, dataset: str, *, n: int = 256, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """``layer_responses`` on `n` held-out images of an embedded dataset, at the model's input."""
    cfg: ModelConfig = model.cfg
    ds = load_dataset(dataset, size=cfg.input_size, in_channels=cfg.in_channels, seed=seed)
    return layer_responses(model, ds.x_test[:n].cpu())


# A trained net at other input sizes

def accuracy_at_sizes(model: nn.Module, dataset: str, sizes: list[int], *, seed: int = 0,
                      n: int = 512) -> dict[int, float | None]:
    """Held-out accuracy of `model` when the same images come at each side in `sizes` (resized
    as the dataset loader resizes). None where the net cannot run at that size (a flatten head
    built for another one)."""
    cfg: ModelConfig = model.cfg
    out: dict[int, float | None] = {}
    model.eval()
    for size in sizes:
        ds = load_dataset(dataset, size=size, in_channels=cfg.in_channels, seed=seed)
        x, y = ds.x_test[:n].cpu(), ds.y_test[:n].cpu()
        try:
            with torch.no_grad():
                pred = model(x.to(model_device(model))).argmax(1).cpu()
        except RuntimeError:
            out[size] = None
            continue
        out[size] = float((pred == y).float().mean())
    return out


# What the BatchNorm experiment showed

def outcome(status: str, final_loss: float, classes: int) -> str:
    """How a finished run ended: "diverged", "stuck" (training loss still above 80% of
    ln(classes), the loss of guessing) or "learned"; "unfinished" while it has not ended, or when
    it ended without finishing: a run stopped before its first step (or failed) has no loss, and
    that is not a loss that blew up."""
    if status == "diverged":
        return "diverged"
    if status != "finished":
        return "unfinished"
    if not np.isfinite(final_loss):
        return "diverged"
    return "stuck" if final_loss > 0.8 * np.log(classes) else "learned"


def learning_outcome(status: str, final_loss: float | None, final_acc: float | None, classes: int) -> str:
    """``outcome`` for a page that shows accuracy beside the loss, read on both measures and their
    bars (loss at most 0.8 ln(classes); accuracy above twice chance, 2/classes): "learned" passes
    both, "stuck" ("did not learn") neither, and a run that passes only one learned a little:
    "slow" (accuracy above the bar, loss still above it) or "low_acc" (loss below the bar, accuracy
    still at most twice chance: a net that tells two groups of five digits apart ends near ln 5 =
    1.61 at 20%). The page's sentences state both bars."""
    if status not in ("finished", "diverged"):
        return "unfinished"   # queued, running, stopped or failed: nothing to judge it by
    loss = float("nan") if final_loss is None else final_loss
    end = outcome(status, loss, classes)
    above_chance = (final_acc or 0.0) > 2 / classes
    if end == "stuck" and above_chance:
        return "slow"
    if end == "learned" and not above_chance:
        return "low_acc"
    return end


def bn_reading(nets: list[tuple[ModelConfig, str, float | None]],
               decimals: int | None = None) -> tuple[list[str], list[str]]:
    """The BatchNorm experiment's verdict on finished runs, each given as (model config, status,
    final training loss or None): each net's outcome, in the order given, and the findings
    (bn_findings, with `decimals`) they support. The page and the CLI both say exactly this."""
    ends, outcomes = {}, []
    for cfg, status, loss in nets:
        loss = float("nan") if loss is None else loss
        end = outcome(status, loss, cfg.num_classes)
        outcomes.append(end)
        ends[(cfg.twin, cfg.norm)] = (end, loss)
    return outcomes, bn_findings(ends, decimals)


# Final training losses (each a mean over the last tenth of the run) closer than this share of the
# larger are too close to say which net fit its training data better.
BN_LOSS_TOLERANCE = 0.2


def bn_findings(ends: dict[tuple[str, str], tuple[str, float]], decimals: int | None = None) -> list[str]:
    """Which of the page's readings the runs support. `ends` maps (kind, norm) -- kind "plain"
    or "residual", norm "batch" or "none" -- to (outcome, final training loss). With `decimals`,
    the losses are compared as a page shows them, counted in whole units of the last digit so the
    margin's edge is exact (0.028 against 0.035 is within 20%, as the sentence says)."""
    out = []
    get = lambda kind, norm: ends.get((kind, norm), ("", float("nan")))  # noqa: E731
    (p_bn, p_bn_loss), (p_no, _) = get("plain", "batch"), get("plain", "none")
    (r_bn, r_bn_loss), (r_no, _) = get("residual", "batch"), get("residual", "none")
    if p_bn == "learned" and p_no in ("stuck", "diverged"):
        out.append("bn_rescues_plain")
    if r_no == "learned" and p_no in ("stuck", "diverged"):
        out.append("shortcuts_without_bn")
    if r_no in ("stuck", "diverged"):
        out.append("residual_needs_bn")
    if p_bn == r_bn == "learned":
        # "Fit better" only for a clear difference: final losses within BN_LOSS_TOLERANCE of each
        # other are too close to call, and the plain net then fit "as well"; a plain net clearly
        # ahead is said to be ahead, not "as well".
        if decimals is not None:
            r_bn_loss, p_bn_loss = round(r_bn_loss * 10 ** decimals), round(p_bn_loss * 10 ** decimals)
        better = verdicts.claim(r_bn_loss, p_bn_loss, tolerance=BN_LOSS_TOLERANCE, relative=True)
        out.append({verdicts.HELD: "residual_fits_better",
                    verdicts.REVERSED: "plain_fits_better"}.get(better, "plain_fits_as_well"))
    return out


# The deepest pair of Figure 6 that the BatchNorm page trains: below it, "the plain net fit as
# well" suggests trying 56 layers; at it, only longer runs or another seed are left to try.
PAPER_DEEP_PLAIN = 56


def bn_finding_key(code: str, depth: int) -> str:
    """The catalog key (under "batchnorm.finding.") for a bn_findings code on runs of `depth`
    layers, so the advice to try 56 layers never goes to runs that already had 56."""
    if code in ("plain_fits_as_well", "plain_fits_better") and depth >= PAPER_DEEP_PLAIN:
        return f"{code}.at_56"
    return code


# Mean response stds closer than this share of the larger are too close to call: one seed, a
# few hundred held-out images, and the spread between a net's layers is several times larger.
FIGURE7_TOLERANCE = 0.02
# Each reading of Figure 7: (the net that should respond less, the one it is compared with).
FIGURE7_PAIRS = {"smaller_20": ("ResNet-20", "plain-20"), "smaller_56": ("ResNet-56", "plain-56"),
                 "deeper_smaller": ("ResNet-56", "ResNet-20")}


def figure7_checks(mean_std: dict[str, float], decimals: int | None = None) -> dict[str, str]:
    """The paper's two readings of Figure 7, read on measured mean response stds keyed
    "plain-20", "plain-56", "ResNet-20", "ResNet-56": residual responses smaller than their
    plain twins', and smaller still in the deeper ResNet. Each is a ``verdicts.claim``
    outcome: "held", "reversed", "equal" or "unclear" (within FIGURE7_TOLERANCE). With
    `decimals`, read on the values as a page shows them, counted in whole units of the last digit
    so the margin's edge is exact ("0.490 against 0.500" is within 2%)."""
    if decimals is not None:
        mean_std = {net: round(v * 10 ** decimals) for net, v in mean_std.items()}
    return {code: verdicts.claim(mean_std[a], mean_std[b], tolerance=FIGURE7_TOLERANCE, relative=True)
            for code, (a, b) in FIGURE7_PAIRS.items()}


def steps_to_error(acc: list[float], target: float, window: int = 10) -> int | None:
    """The first step (1-based) at which the training error, averaged over `window` steps,
    is at most `target` (a fraction); None if it never gets there."""
    err = 1 - np.asarray(acc, dtype=float)
    if len(err) < window:
        return None
    smooth = np.convolve(err, np.ones(window) / window, mode="valid")
    hit = np.nonzero(smooth <= target)[0]
    return int(hit[0] + window) if hit.size else None
