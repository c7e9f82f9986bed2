"""What a Gradient flow measurement says: the ratio of the first layers' gradient to the last
ones', one net's verdict on it, and which explanation two nets' ratios support."""

from __future__ import annotations

import numpy as np

from resnet_core.nets.config import RELU_LIKE, ModelConfig

# Which reading of the gradient ratios the measurement supports

VANISH, GROW = 1e-3, 1e3   # input-side / output-side gradient ratios called vanishing, growing


def gradient_reading(cfg: ModelConfig, plain_ratio: float, residual_ratio: float) -> str:
    """The explanation a Gradient flow measurement supports, decided by the measured ratios
    (first layers' gradient over the last ones'), never by the settings alone: BN's "does not
    vanish" only when the plain net's gradient did not vanish. No ratio (nan: exact zeros at both
    ends) is "dead"."""
    if np.isnan(plain_ratio):
        return "dead"
    if plain_ratio < VANISH:
        if residual_ratio >= VANISH:
            return "vanish_preact" if cfg.block == "preact" else "vanish_post"
        # The post-activation reason (an activation after each addition) does not hold for
        # pre-activation blocks, whose identity shortcuts pass the gradient back unchanged.
        return "both_vanish_preact" if cfg.block == "preact" else "both_vanish"
    if cfg.norm == "batch":
        return "bn_grow" if plain_ratio > GROW else "bn_within"
    if plain_ratio > GROW:
        return "grow"
    if cfg.activation in RELU_LIKE and cfg.init == "he":
        return "he"
    return "other"


def gradient_verdict(ratio: float, zeros: int) -> str:
    """What one net's measured gradient says: "dead" when layers at both ends got exactly 0 (no
    ratio), "zero" when some layers got no gradient at all, else "vanish" (input side below VANISH
    of the output side), "grow" (above GROW) or "within". A ratio of exactly 0 is "zero" too: it
    is never given as a number (input_output_ratio)."""
    if np.isnan(ratio):
        return "dead"
    if zeros or ratio == 0:
        return "zero"
    if ratio < VANISH:
        return "vanish"
    if ratio > GROW:
        return "grow"
    return "within"


def input_output_ratio(names: list[str], norms: np.ndarray) -> float:
    """Geometric mean of the first three main-path layers' gradient norms over the last three
    convs' (shortcut projections and the FC head left out): the Gradient flow page's ratio.

    A layer whose gradient is exactly 0 (float32 underflow: nothing arrives) makes the input
    side's geometric mean exactly 0, so the ratio is 0, never a tiny number: clamping the zeros
    to float64's smallest normal (2.2e-308) once turned them into "2.68e-307 times", a value
    float32 gradients cannot hold. With nothing at the output side either, there is no ratio
    (nan)."""
    convs = np.array([n for name, n in zip(names, norms) if ".shortcut" not in name and not name.startswith("head")],
                     dtype=np.float64)
    first, last = convs[:3], convs[-3:]
    if not (last > 0).all():
        return float("nan") if not (first > 0).all() else float("inf")
    if not (first > 0).all():
        return 0.0
    return float(np.exp(np.log(first).mean() - np.log(last).mean()))
