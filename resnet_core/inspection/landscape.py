"""Loss landscapes along filter-normalised random directions (Li, Xu, Taylor, Studer, Goldstein
2018, "Visualizing the Loss Landscape of Neural Nets", section 4).

A random direction d has the shape of the weights θ. Filter normalisation rescales each filter
of d (one output channel of a conv, one output row of a linear layer) to the norm of the same
filter of θ:  d_ij <- d_ij / ||d_ij|| * ||θ_ij||.  Without it a step of 1 would move a net with
small weights much further than one with large weights (BN makes a filter's scale irrelevant),
and nets could not be compared. Biases and BN parameters get a zero direction, as in the
authors' code (`--xignore biasbn`). The loss is the training loss with BN in eval mode.

The 1-D slice is L(θ + a d1) and the 2-D slice L(θ + a d1 + b d2), for a, b in [-span, span].
The weights are restored afterwards, even when the computation stops or fails.
"""

from __future__ import annotations

import copy
import math
import time
from typing import Callable

import torch
from torch import nn

from resnet_core.inspection import verdicts
from resnet_core.training.engine import evaluate

Progress = Callable[[int, int], None]
StopFlag = Callable[[], bool]

# A bump counts as curving down when its negative curvature is at least this share of the
# positive one: Li et al. (section 6) map |λmin / λmax| and read near-zero ratios as convex.
CURVE_DOWN_RATIO = 0.1
# Shares of the grid bending down that differ by less than this are too close to call: on an
# 11x11 grid one interior point is 1.2% of the 81, so two points' worth is noise of the cut.
BENDING_TOLERANCE = 0.025


def filter_normalised_direction(model: nn.Module, generator: torch.Generator) -> list[torch.Tensor]:
    """One random direction, aligned with ``model.parameters()``, filter-normalised."""
    direction = []
    for p in model.parameters():
        d = torch.randn(p.shape, generator=generator, dtype=torch.float32).to(p.device, p.dtype)
        if p.dim() <= 1:
            d.zero_()   # biases and BN scales/shifts: not moved (Li et al.'s code)
        else:
            w = p.detach()
            # One norm per filter (dim 0); the same ratio for every weight of that filter.
            d_norm = d.flatten(1).norm(dim=1)
            w_norm = w.flatten(1).norm(dim=1)
            d.mul_((w_norm / (d_norm + 1e-10)).view(-1, *([1] * (d.dim() - 1))))
        direction.append(d)
    return direction


def axis(points: int, span: float) -> list[float]:
    """`points` evenly spaced values in [-span, span]; an odd count puts the trained net (0) on it."""
    if points < 2:
        raise ValueError(f"a slice needs at least 2 points (got {points})")
    return [-span + 2 * span * i / (points - 1) for i in range(points)]


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None   # JSON has no inf or NaN


@torch.no_grad()
def slices(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, points_1d: int = 41, grid: int = 21,
           span: float = 1.0, seed: int = 0, on_progress: Progress | None = None,
           should_stop: StopFlag | None = None, done_before: int = 0, total: int | None = None) -> dict:
    """The 1-D and 2-D slices around the trained weights, on (x, y). JSON-able; rows of the 2-D
    grid follow the second direction (b), columns the first (a). With the same `seed`, twin nets
    (same parameter shapes) draw the same raw directions before normalising."""
    started, cpu_started = time.perf_counter(), time.process_time()
    params = list(model.parameters())
    theta = [p.detach().clone() for p in params]
    g = torch.Generator().manual_seed(seed)
    d1 = filter_normalised_direction(model, g)
    d2 = filter_normalised_direction(model, g)
    total = total if total is not None else points_1d + grid * grid
    done, stopped = done_before, False
    folded = _folded(model, theta, d1, d2)
    net, moving = (folded[0], folded[1]) if folded else (model, list(zip(params, theta, d1, d2)))

    def loss_at(a: float, b: float) -> tuple[float, float]:
        nonlocal done, stopped
        for p, t, u, v in moving:
            p.copy_(t + a * u + b * v)
        loss, acc = evaluate(net, x, y)
        done += 1
        if on_progress:
            on_progress(done, total)
        stopped = stopped or bool(should_stop and should_stop())
        return loss, acc

    line_a, grid_a = axis(points_1d, span), axis(grid, span)
    line = {"loss": [], "acc": []}
    surface = {"loss": [], "acc": []}
    try:
        for a in line_a:
            if stopped:
                break
            loss, acc = loss_at(a, 0.0)
            line["loss"].append(_finite(loss))
            line["acc"].append(acc)
        for b in grid_a:
            if stopped:
                break
            row_loss, row_acc = [], []
            for a in grid_a:
                if stopped:
                    break
                loss, acc = loss_at(a, b)
                row_loss.append(_finite(loss))
                row_acc.append(acc)
            surface["loss"].append(row_loss)
            surface["acc"].append(row_acc)
    finally:
        for p, t in zip(params, theta):
            p.copy_(t)
    complete = not stopped and len(surface["loss"]) == grid
    return {"span": span, "seed": seed, "n_images": int(len(y)),
            "line": {"alpha": line_a, **line}, "surface": {"alpha": grid_a, "beta": grid_a, **surface},
            "shape": shape_measures(line["loss"], surface["loss"]) if complete else None,
            "seconds": time.perf_counter() - started,
            # CPU time of this process: on a shared server the wall time also counts the others.
            "cpu_seconds": time.process_time() - cpu_started,
            "evaluations": done - done_before, "stopped": stopped}


def _folded(model: nn.Module, theta, d1, d2):
    """An evaluation copy with each BN folded into the conv before it (about a quarter faster on
    a CPU), and θ, d1, d2 carried over: a folded weight is s * W, with s the BN's per-channel
    scale, so it moves along s * d. BN parameters do not move (zero directions), so the folded
    biases are constants. None when the net cannot be traced; the caller then uses the net itself."""
    try:
        from torch.fx.experimental.optimization import fuse

        probe = copy.deepcopy(model).eval()
        with torch.no_grad():
            for m in probe.modules():
                if isinstance(m, nn.Conv2d):
                    m.weight.fill_(1.0)
        scales = dict(fuse(probe).named_parameters())   # a folded weight of ones holds s
        folded = fuse(copy.deepcopy(model).eval())
    except Exception:
        return None
    index = {name: i for i, (name, _) in enumerate(model.named_parameters())}
    moving = []
    for name, p in folded.named_parameters():
        if name not in index:   # a bias made by folding: constant on the slice
            continue
        i = index[name]
        s = scales[name].flatten(1)[:, :1].reshape(-1, *[1] * (p.dim() - 1)) if p.dim() == 4 else 1.0
        moving.append((p, s * theta[i], s * d1[i], s * d2[i]))
    return folded, moving


def local_minima_1d(values: list[float | None]) -> int:
    """Interior points lower than both neighbours (a missing value counts as infinitely high)."""
    v = [math.inf if x is None else x for x in values]
    return sum(1 for i in range(1, len(v) - 1) if v[i] < v[i - 1] and v[i] < v[i + 1])


def shape_measures(line: list[float | None], surface: list[list[float | None]]) -> dict:
    """How bowl-like the slices are: strict local minima (a convex-looking bowl has one), and
    the share of interior grid points whose finite-difference curvature bends down noticeably
    (λmin < 0 and |λmin| >= CURVE_DOWN_RATIO * |λmax|, as in Li et al.'s maps of |λmin/λmax|)."""
    z = [[math.inf if x is None else x for x in row] for row in surface]
    n = len(z)
    minima, down, interior = 0, 0, 0
    for i in range(1, n - 1):
        for j in range(1, n - 1):
            c = z[i][j]
            around = [z[i + di][j + dj] for di in (-1, 0, 1) for dj in (-1, 0, 1) if di or dj]
            if all(c < v for v in around):
                minima += 1
            cells = [z[i + di][j + dj] for di in (-1, 0, 1) for dj in (-1, 0, 1)]
            if not all(math.isfinite(v) for v in cells):
                continue
            interior += 1
            # Second differences on the grid (the spacing cancels in the eigenvalue ratio).
            faa = z[i][j + 1] - 2 * c + z[i][j - 1]
            fbb = z[i + 1][j] - 2 * c + z[i - 1][j]
            fab = (z[i + 1][j + 1] - z[i + 1][j - 1] - z[i - 1][j + 1] + z[i - 1][j - 1]) / 4
            mid, rad = (faa + fbb) / 2, math.sqrt(((faa - fbb) / 2) ** 2 + fab ** 2)
            lo, hi = mid - rad, mid + rad
            if lo < 0 and abs(lo) >= CURVE_DOWN_RATIO * max(abs(hi), 1e-12):
                down += 1
    centre = z[n // 2][n // 2] if n % 2 else None
    finite = [v for row in z for v in row if math.isfinite(v)]
    return {"local_minima_2d": minima, "local_minima_1d": local_minima_1d(line),
            "curve_down_fraction": down / interior if interior else None,
            "centre_loss": centre if centre is not None and math.isfinite(centre) else None,
            "min_loss": min(finite) if finite else None, "max_loss": max(finite) if finite else None}


# This app's reading of "close to a single bowl" (Li et al. give no count): at most this many
# strict local minima on the 2-D slice.
BOWL_MINIMA = 2


def verdict(plain: dict, residual: dict) -> dict:
    """Li et al.: the residual net's slice is smooth and bowl-like, the plain twin's chaotic.
    Each comparison is read with ``verdicts.claim``: the residual slice has fewer local minima,
    bends down over a smaller share of the grid (a difference within BENDING_TOLERANCE is too
    small to tell), and is itself nearly a single bowl (1 or 2 minima; with none it cannot
    tell). `finding` is "held" when a comparison clearly favours the residual net and none goes
    the other way, "equal" when the two slices cannot be told apart here (Li et al. saw this at
    20 layers), "unclear" when the only comparison in the residual net's favour is a minima
    count won with no minimum at all (a slice with no bowl is not "more bowl-like"), else
    "reversed". `checks` keeps one bool per claim: True only where it clearly held."""
    p, r = plain.get("shape"), residual.get("shape")
    if not p or not r:
        return {"checks": {}, "outcomes": {}, "held": False, "finding": None}
    outcomes = {
        "residual_fewer_minima": verdicts.claim(r["local_minima_2d"], p["local_minima_2d"]),
        # Read on the shares as the page shows them (tenths of a point), so "no more than 2.5
        # percentage points apart" is said exactly when the printed shares are at most 2.5 apart.
        "residual_less_bending": verdicts.claim(_tenths(r["curve_down_fraction"]), _tenths(p["curve_down_fraction"]),
                                                tolerance=round(1000 * BENDING_TOLERANCE)),
        "residual_single_bowl": _single_bowl(r["local_minima_2d"]),
    }
    fewer, bowl = outcomes["residual_fewer_minima"], outcomes["residual_single_bowl"]
    # With no minimum on the residual slice, "fewer minima" rests on a check that cannot tell:
    # only the bending comparison can then make the finding held (or reversed).
    counted = [outcomes["residual_less_bending"]] + ([fewer] if bowl != verdicts.UNCLEAR else [])
    finding = verdicts.overall(counted)
    if bowl == verdicts.REVERSED:
        finding = verdicts.REVERSED
    elif finding == verdicts.EQUAL and fewer == verdicts.HELD:
        finding = verdicts.UNCLEAR   # fewer minima (none at all), bending too close to call
    return {"checks": {c: o == verdicts.HELD for c, o in outcomes.items()}, "outcomes": outcomes,
            "held": finding == verdicts.HELD, "finding": finding}


def _tenths(fraction: float | None) -> int:
    """A share of the grid in tenths of a percent, as the Loss landscape page prints it (to 0.1)."""
    return round(10 * round(100 * (fraction or 0), 1))


def _single_bowl(minima: int) -> str:
    """At most BOWL_MINIMA strict minima reads as one bowl; none at all shows no bowl to count
    (the lowest point is on the edge, or ties a neighbour), so it cannot tell either way."""
    if minima == 0:
        return verdicts.UNCLEAR
    return verdicts.HELD if minima <= BOWL_MINIMA else verdicts.REVERSED


def held_in_part(verdict: dict) -> str | None:
    """Which half of "smoother, more bowl-like" a held finding lacks, or None when it held whole
    (or did not hold). "no_bowl": held on the bending alone and the residual slice has no minimum,
    so no bowl to compare; "same_minima": held on the bending alone, as many minima on both
    slices, so neither is more a bowl; "same_bending": held on the minima alone, the bending the
    same or too close to tell, so neither is the smoother."""
    if not verdict.get("held"):
        return None
    outcomes = verdict["outcomes"]
    if outcomes["residual_single_bowl"] == verdicts.UNCLEAR:
        return "no_bowl"
    if outcomes["residual_fewer_minima"] != verdicts.HELD:
        return "same_minima"
    if outcomes["residual_less_bending"] != verdicts.HELD:
        return "same_bending"
    return None


# Li et al. 2018, Figure 5: without shortcuts, 20 layers is still fairly smooth; 56 and 110 are chaotic.
CHAOTIC_DEPTH = 56


def closing(finding: str | None, depth: int) -> str:
    """The page's closing sentence for `finding` (verdict's): "held", "unclear", else
    "no_difference" or "not_held", with ".deep" where Li et al.'s plain net of that depth was
    already chaotic, so the shallow nets' excuse (fairly smooth at 20 layers) cannot be given."""
    if finding in (verdicts.HELD, verdicts.UNCLEAR):
        return finding
    code = "no_difference" if finding == verdicts.EQUAL else "not_held"
    return f"{code}.deep" if depth >= CHAOTIC_DEPTH else code
