"""The bank of prediction questions: what each one runs or counts, and the rule that decides its
answer from that measurement.

A question is either a choice (options are codes: "plain-20", "vgg19", "yes") or a range (a
number the class estimates, offered as bands whose codes name the band). Its rule reads only the
measurement, never the settings, so a run that goes against the paper is answered as it came
out. The text lives in assets/i18n/predict.json (`predict.q.<id>` and `predict.q.<id>.<option>`),
both languages; `source` names where the paper shows the same thing, `page` the app's page that
shows it in depth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from resnet_core.predict import measure


@dataclass(frozen=True)
class Question:
    id: str                                   # stable code: the CLI's argument, the store's key
    kind: str                                 # "choice" or "range"
    options: tuple[str, ...]                  # option codes, in the order shown
    measure: Callable[..., dict]              # setup, device, progress, should_stop -> measurement
    rule: Callable[[dict], str]               # measurement -> the right option's code
    setup: dict                               # what is run or counted; the same setup reuses a result
    trained: bool                             # trains nets (queued) or counts at once
    page: str                                 # url_path of the page that shows it in depth
    source: str                               # where the paper shows it: a key of resnet_core.paper
    quick: dict = field(default_factory=dict)  # a smaller setup for tests and a fast check
    plan: Callable[..., list] | None = None   # setup, device -> the nets it trains (for the time estimate)
    reads: str = ""                           # how the rule reads the numbers, when not as measured (CLI)


def band(value: float | None, edges: tuple[float, ...], codes: tuple[str, ...]) -> str:
    """The band code of `value`: codes[i] for edges[i-1] <= value < edges[i]; None (infinite) is
    the last band. Edges of "about 1x, 10x, 1,000x" bands sit near the geometric midpoints."""
    if value is None or math.isinf(value):
        return codes[-1]
    for edge, code in zip(edges, codes):
        if value < edge:
            return code
    return codes[-1]


def _larger(values: dict[str, float]) -> str:
    """The key of the larger of two values as the page shows them; "same" when they read alike:
    a tie is not a winner."""
    if len(set(values.values())) == 1:
        return "same"
    return max(values, key=values.get)


def _higher_loss(m: dict) -> str:
    # The page shows each loss to three decimals (ui/predict/view.py).
    return _larger({k: -math.inf if v is None else round(v, 3) for k, v in m["final_train_loss"].items()})


def _bigger_drop(m: dict) -> str:
    # The page shows each median change in accuracy points to one decimal. The question asks which
    # net LOSES more: a rise loses nothing, so two rises (or a rise and no change) are "the same",
    # not a win for the smaller rise.
    return _larger({k: -math.inf if n["median_drop"] is None else max(round(100 * n["median_drop"], 1), 0.0)
                    for k, n in m["nets"].items()})


def shown_times(x: float | None) -> float | None:
    """A ratio as the page prints it (ui/predict/view.py _times): one decimal under 100, whole
    under 10,000, two significant digits (3.0×10⁴) above. The bands read this value, so a ratio
    printed "3.0×" is never answered "under 3×"."""
    if x is None or not math.isfinite(x):
        return x
    if x < 100:
        return round(x, 1)
    if x < 1e4:
        return float(round(x))
    return float(f"{x:.1e}")


TIMES = ("1x", "10x", "1000x", "1e6x")
# About the geometric midpoints between 1, 10, 1,000 and 1,000,000, at the round values the
# options name ("under 3x", "100x to 30,000x"), so a measured 3.1x is never answered "under 3x".
TIMES_EDGES = (3, 100, 30_000)


# Not one of the options: the first layers got 3x or more the gradient of the last ones (or the
# last ones got exactly 0). The question asks how many times SMALLER, and "about 1x (under 3x)"
# would grade a gradient that grew as one that held; a measured 1.5x larger still reads "about 1x".
LARGER = "larger"


def _gradient_band(m: dict) -> str:
    x = m["plain"]["times_smaller"]   # None: the first layers got exactly 0; 0: the last ones did
    if x is not None and 0 <= x < 1:   # the page prints 1/x "larger" (view._gradient_ratio)
        if x == 0 or shown_times(1 / x) >= TIMES_EDGES[0]:
            return LARGER
    return band(shown_times(x), TIMES_EDGES, TIMES)


def _more_macs(m: dict) -> str:
    macs = m["macs"]
    return max(macs, key=macs.get)


PARAM_BANDS = ("none", "0.1M", "1M", "10M")
# none; about 0.1 M (under 0.3 M); about 1 M (0.3 M to 3 M); more: the edges the options name
PARAM_EDGES = (1, 300_000, 3_000_000)


def _c_more(m: dict) -> str:
    return band(m["c_minus_a"], PARAM_EDGES, PARAM_BANDS)


def _a_more(m: dict) -> str:
    return band(m["a_minus_plain"], PARAM_EDGES, PARAM_BANDS)


def _beats_chance(m: dict) -> str:
    # The page shows the accuracy and the bar in % to one decimal: "above" is read on those.
    acc = m["acc"][str(m["test_size"])]
    return "yes" if acc is not None and round(100 * acc, 1) > round(100 * m["beats_chance_above"], 1) else "no"


# What the CLI says beside an answer whose rule reads a ratio as shown_times prints it.
RATIO_AS_SHOWN = ("the ratio as the page prints it: one decimal under 100, whole under 10,000, two significant "
                  "digits above")

RATIO_BANDS = ("2x", "5x", "10x", "50x")
RATIO_EDGES = (3.2, 7, 22)   # between 2 and 5, 5 and 10 (geometric), 10 and 50


def _bottleneck_band(m: dict) -> str:
    return band(shown_times(m["ratio"]), RATIO_EDGES, RATIO_BANDS)


def _more_minima(m: dict) -> str:
    nets = m["nets"]
    plain, residual = nets["plain"]["local_minima_2d"], nets["residual"]["local_minima_2d"]
    if plain is None or residual is None or plain == residual:
        return "same"
    return "plain" if plain > residual else "residual"


QUESTIONS: dict[str, Question] = {q.id: q for q in [
    Question("degradation", "choice", ("plain-20", "plain-56", "same"), measure.degradation, _higher_loss,
             {"dataset": "digits", "steps": 300, "seed": 0, "width": 8}, True, "degradation",
             "he2015.fig6", quick={"steps": 10}, plan=measure.plan_degradation,
             reads="each final loss to three decimals, as the page shows it"),
    Question("lesion", "choice", ("plain", "residual", "same"), measure.lesion, _bigger_drop,
             {"dataset": "digits", "steps": 300, "seed": 0, "width": 8, "depth": 20}, True, "lesion",
             "veit2016.sec4", quick={"steps": 20, "depth": 8}, plan=measure.plan_twins,
             reads="each median change in accuracy points to one decimal, as the page shows it; a rise "
                   "loses nothing"),
    Question("gradient_ratio", "range", TIMES, measure.gradient_ratio, _gradient_band,
             {"depth": 56, "block": "preact", "activation": "sigmoid", "seed": 0}, False, "gradients",
             "he2015.sec4.1", quick={"depth": 20}, reads=RATIO_AS_SHOWN),
    Question("macs", "choice", ("resnet152", "vgg19"), measure.macs, _more_macs,
             {"archs": ["resnet152", "vgg19"]}, False, "bottleneck", "he2015.sec3.3"),
    Question("shortcut_c", "range", PARAM_BANDS, measure.shortcut_params, _c_more,
             {"arch": "resnet34"}, False, "shortcuts", "he2015.table3"),
    Question("shortcut_a", "range", PARAM_BANDS, measure.shortcut_params, _a_more,
             {"arch": "resnet34"}, False, "shortcuts", "he2015.sec3.3"),
    Question("gap_size", "choice", ("yes", "no"), measure.gap_other_size, _beats_chance,
             {"train_size": 16, "test_size": 24, "steps": 200, "seed": 0}, True, "gap-fc",
             "he2015.sec3.3", quick={"steps": 30}, plan=measure.plan_gap,
             reads="the accuracy and the bar in % to one decimal, as the page shows them"),
    Question("bottleneck", "range", RATIO_BANDS, measure.bottleneck, _bottleneck_band,
             {"size": 28, "cin": 192, "cout": 32, "k": 5, "mid": 16}, False, "bottleneck", "szegedy2014",
             reads=RATIO_AS_SHOWN),
    Question("landscape", "choice", ("plain", "residual", "same"), measure.landscape, _more_minima,
             {"dataset": "digits", "steps": 300, "seed": 0, "width": 8, "depth": 56, "grid": 11,
              "max_images": 256}, True, "landscape", "li2018.sec6",
             quick={"steps": 10, "depth": 8, "grid": 5, "max_images": 32}, plan=measure.plan_twins),
]}


def get(question_id: str) -> Question:
    from resnet_core.nets.config import ConfigError

    try:
        return QUESTIONS[question_id]
    except KeyError:
        raise ConfigError(code="no_question", value=repr(question_id), options=", ".join(QUESTIONS)) from None


def setup_of(question: Question, quick: bool = False) -> dict:
    """The question's setup, or its smaller one for tests."""
    return {**question.setup, **(question.quick if quick else {})}


def decide(question_id: str, *, device: str = "auto", quick: bool = False, setup: dict | None = None,
           progress=None, should_stop=None) -> dict:
    """Run or count what the question needs, and answer it: {question, setup, measurement, answer}."""
    q = get(question_id)
    setup = setup if setup is not None else setup_of(q, quick)
    kwargs = {k: v for k, v in (("progress", progress), ("should_stop", should_stop)) if v is not None}
    measurement = q.measure(setup, device, **kwargs)
    return {"question": q.id, "setup": setup, "measurement": measurement, "answer": q.rule(measurement)}
