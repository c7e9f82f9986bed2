"""What an experiment's runs say, read against the paper: the degradation ordering (Figure 6),
the shortcut options (Table 3) and BatchNorm on and off (section 4.1). Each reader takes the
runs' ExperimentRows (resnet_core.training.experiments) and returns codes, which the pages turn
into words and the CLI prints."""

from __future__ import annotations

import math

from resnet_core.inspection import verdicts
from resnet_core.inspection.analysis import bn_reading
from resnet_core.inspection.gradient_ratios import gradient_verdict
from resnet_core.nets.config import ModelConfig, TrainConfig
from resnet_core.training.experiments import ExperimentRow

# Each ordering check of degradation_verdict, and the nets whose final losses it compares.
DEGRADATION_PAIRS = {"plain_deeper_worse": ("plain-56", "plain-20"),
                     "residual_deeper_not_worse": ("ResNet-56", "ResNet-20"),
                     "residual_beats_plain": ("ResNet-56", "plain-56")}


def degradation_verdict(rows: list[ExperimentRow]) -> dict | None:
    """Does the paper's ordering (Figure 6) show in final training losses? None unless the four
    degradation nets all finished."""
    loss = {r.name: r.final_train_loss for r in rows if r.status == "finished"}
    if not {"plain-20", "plain-56", "ResNet-20", "ResNet-56"} <= loss.keys():
        return None
    p20, p56, r20, r56 = loss["plain-20"], loss["plain-56"], loss["ResNet-20"], loss["ResNet-56"]
    # Each rule is met or missed exactly at its boundary: in floating point 0.118 + 0.05 is below
    # 0.168 and 0.033 / 3 above 0.011, so losses read as the page shows them (0.168 vs 0.118: 0.05
    # higher, allowed) would be judged against their own sentence without this margin.
    eps = 1e-9
    checks = {
        # The deeper plain net fits its training set worse: degradation (section 4.2).
        # (Above it at all: "0.000 vs 0.000" is not "much higher".)
        "plain_deeper_worse": p56 > p20 and p56 >= 2 * p20 - eps,
        # The deeper residual net is not worse (small tolerance: both are near zero).
        "residual_deeper_not_worse": r56 - r20 <= 0.05 + eps,
        # At 56 layers, shortcuts are what makes the net trainable.
        "residual_beats_plain": 3 * r56 < p56 - eps,
    }
    shown = all(checks.values())
    if p20 > 0:
        ratio = p56 / p20
        times = f"{ratio:.1f}"
        if times == "2.0" and not checks["plain_deeper_worse"]:   # 1.96 is not "2.0": the rule is at least twice
            times = f"{math.floor(ratio * 100) / 100:.2f}"
        plain = f"plain-56 ends at {times}× plain-20's loss"
    else:   # a loss read as 0.000 has no ratio: "12000000000.0×" or "0.0×" for two equal losses
        plain = f"plain-56 ends at {p56:.3f} vs plain-20 {p20:.3f}"
    summary = (f"{plain}; ResNet-56 at "
               f"{r56:.3f} vs ResNet-20 {r20:.3f}: "
               + ("the paper's ordering (deeper plain worse, deeper residual not)." if shown
                  else "the paper's ordering did not fully appear this time (try more steps or another seed)."))
    return {**checks, "shown": shown, "summary": summary}


def plain_depth_reading(rows: list[ExperimentRow]) -> str:
    """What a degradation experiment says about "plain-56 trains worse than plain-20", for text
    that repeats the claim: "held" (the Degradation page's check passed: at least twice the
    final loss), "mixed" (plain-56 ended above plain-20, but not clearly), "not_shown" (not
    above), or "missing" (the four nets have not all finished)."""
    verdict = degradation_verdict(rows)
    if verdict is None:
        return "missing"
    if verdict["plain_deeper_worse"]:
        return "held"
    # As the Paper's evidence page shows the two losses (three decimals): alike is not above.
    loss = {r.name: round(r.final_train_loss, 3) for r in rows}
    return "mixed" if loss["plain-56"] > loss["plain-20"] else "not_shown"


# Held-out accuracies of A, B and C closer than this are too close to call: on the ~360 held-out
# digits one image is 0.28 points, and a seed moves each net by more than three images.
SHORTCUT_TOLERANCE = 0.01


def shortcut_reading(test_acc: dict[str, float | None]) -> tuple[str, list[str]]:
    """How the shortcut experiment's options A, B and C compare on held-out accuracy: ("missing",
    []) unless all three have one; ("alike", order) when the highest and the lowest are within
    SHORTCUT_TOLERANCE (no difference to tell here); else ("ordered", order), highest first."""
    if any(test_acc.get(o) is None or test_acc[o] != test_acc[o] for o in "ABC"):
        return "missing", []
    order = sorted("ABC", key=lambda o: -test_acc[o])
    # Met exactly at its boundary (margin 1e-9): accuracies read as the page shows them (90.3% and
    # 89.3%) are 1 point apart, which floating point makes 0.010000000000000009 or 0.00999...
    spread = verdicts.compare(test_acc[order[0]], test_acc[order[-1]], tolerance=SHORTCUT_TOLERANCE + 1e-9)
    return ("ordered" if spread.outcome == verdicts.CLEAR else "alike"), order


def shortcut_leaders(test_acc: dict[str, float], order: list[str]) -> list[str]:
    """The options of `order` (shortcut_reading's, highest first) whose held-out accuracy equals
    the highest: on a few hundred images two options can score exactly alike, and then neither
    alone "ended highest"."""
    return [o for o in order if round(test_acc[o], 9) == round(test_acc[order[0]], 9)]


# Within a stage, a block output's spread has grown only when the last block's standard deviation
# exceeds the first's by more than this share (a few percent moves with the images drawn).
GROWTH_TOLERANCE = 0.05
# The Feature maps page states the standard deviations to this many decimals, in its sentence
# and on its chart's points alike; the check reads them as shown, or "spread wider" could sit
# beside "0.100 → 0.100", and the sentence's "1.43" beside the chart's 1.435.
STD_DECIMALS = 3


def block_output_trend(names: list[str], stds: list[float],
                       outputs: list[tuple[str, str]]) -> tuple[str, list[tuple[str, float, float]]] | None:
    """Whether the residual blocks' outputs (blocks.block_outputs) spread wider from the first
    block of each stage to its last, read from the measured standard deviations: ("grow",
    stages) when they clearly do in every stage of two or more blocks, else ("mixed", stages);
    stages are (stage, first std, last std), rounded to STD_DECIMALS as the page shows them.
    None when no stage has two residual blocks."""
    std = {name: round(float(v), STD_DECIMALS) for name, v in zip(names, stds)}
    by_stage: dict[str, list[float]] = {}
    for stage, act in outputs:
        if act in std:
            by_stage.setdefault(stage, []).append(std[act])
    stages = [(stage, v[0], v[-1]) for stage, v in by_stage.items() if len(v) >= 2]
    if not stages:
        return None
    grew = all(verdicts.claim(last, first, expect="higher", tolerance=GROWTH_TOLERANCE, relative=True)
               == verdicts.HELD for _, first, last in stages)
    return ("grow" if grew else "mixed"), stages


# The BatchNorm page shows each final loss to this many decimals and judges the runs on those.
BN_LOSS_DECIMALS = 3


def bn_verdict(rows: list[ExperimentRow], runs: list[tuple[str, ModelConfig, TrainConfig]]) -> dict:
    """The BatchNorm experiment's verdict, as its page shows it (analysis.bn_reading): each net's
    outcome by name ("learned", "stuck", "diverged" or "unfinished") and the findings supported.
    Read on the losses as the page reads them (three decimals), so both give one verdict."""
    cfg = {label: m for label, m, _ in runs}
    shown = [None if r.final_train_loss is None else round(r.final_train_loss, BN_LOSS_DECIMALS) for r in rows]
    outcomes, findings = bn_reading([(cfg[r.name], r.status, loss) for r, loss in zip(rows, shown)],
                                    decimals=BN_LOSS_DECIMALS)
    return {"outcomes": {r.name: end for r, end in zip(rows, outcomes)}, "findings": findings}


def vanish_seen(ratio: float) -> str:
    """What plain-56's measured input-over-output gradient ratio says against "degradation is
    vanishing gradients", in the Gradient flow page's terms: "grow" (over a thousand), "within" a
    factor of a thousand, or "vanish" (under a thousandth, or exactly 0). The Evidence page's
    answer to that misconception picks its sentence from this, not from what BN should do."""
    code = gradient_verdict(ratio, 0)
    return "vanish" if code in ("zero", "dead") else code
