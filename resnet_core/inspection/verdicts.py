"""How a sentence about two measured values is chosen: from the values, with a tolerance.

A page that says "A is smaller than B" must not say it when A equals B, nor when the difference
is within what the measurement can resolve. ``compare`` sorts a pair of numbers into one of three
outcomes, and ``claim`` reads the outcome against what the paper expects:

- "equal": no difference here (the same count, the same value);
- "unclear": a difference too small to tell, within the tolerance of the measurement;
- "clear": a difference larger than the tolerance, with its direction.

The pages turn these codes into words (assets/i18n/verdicts.json); the CLI prints the codes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EQUAL, UNCLEAR, CLEAR = "equal", "unclear", "clear"
# What a claim "a is lower (higher) than b" comes to, once measured.
HELD, REVERSED = "held", "reversed"


@dataclass(frozen=True)
class Comparison:
    outcome: str     # EQUAL, UNCLEAR or CLEAR
    direction: int   # -1: a below b, 0: equal, +1: a above b (set for UNCLEAR too, for the record)
    a: float
    b: float

    @property
    def difference(self) -> float:
        return self.a - self.b


def compare(a: float, b: float, *, tolerance: float = 0.0, relative: bool = False) -> Comparison:
    """Compare two measured values. `tolerance` is the largest difference the measurement
    cannot tell from noise: absolute, or (``relative=True``) a fraction of the larger magnitude.
    Counts compare with tolerance 0: equal or clear. Non-finite values are never "equal"."""
    a, b = float(a), float(b)
    if a == b:
        return Comparison(EQUAL, 0, a, b)
    direction = -1 if a < b else 1
    if not (math.isfinite(a) and math.isfinite(b)):
        return Comparison(CLEAR, direction, a, b)
    limit = tolerance * max(abs(a), abs(b)) if relative else tolerance
    return Comparison(UNCLEAR if abs(a - b) <= limit else CLEAR, direction, a, b)


def claim(a: float, b: float, *, expect: str = "lower", tolerance: float = 0.0,
          relative: bool = False) -> str:
    """The paper's claim "a is `expect` (lower or higher) than b", read on the measured values:
    HELD (clearly so), REVERSED (clearly the other way), EQUAL or UNCLEAR."""
    if expect not in ("lower", "higher"):
        raise ValueError(f"expect must be 'lower' or 'higher' (got {expect!r})")
    c = compare(a, b, tolerance=tolerance, relative=relative)
    if c.outcome != CLEAR:
        return c.outcome
    wanted = -1 if expect == "lower" else 1
    return HELD if c.direction == wanted else REVERSED


def overall(outcomes: list[str]) -> str:
    """Several claims' outcomes as one finding: HELD when at least one held and none reversed,
    REVERSED when any reversed, else EQUAL ("no difference here": every one equal or too small)."""
    if REVERSED in outcomes:
        return REVERSED
    if HELD in outcomes:
        return HELD
    return EQUAL


def ties_with_worst(values: dict[str, float], *, tolerance: float) -> list[str]:
    """The names whose value is within `tolerance` of the largest, largest first: which of a
    chart's bars cannot be told apart from the tallest."""
    if not values:
        return []
    top = max(values.values())
    near = [(v, k) for k, v in values.items() if compare(v, top, tolerance=tolerance).outcome != CLEAR]
    return [k for v, k in sorted(near, key=lambda p: -p[0])]
