"""What a training run will cost, said before the click: "about 40 s on this server".

    estimates.line(planned)        # planned: [(label, model config, train config), ...]
    if st.button(...): page_runs.submit(planned, group=...)

The estimate comes from resnet_core.training.costs through the server's runner: the median measured time
of the newest runs of exactly this size, else multiply-adds x batch x steps at the speed this server has
measured; the caption says which. A plan above the per-run cap says so in the same
place, with what to reduce, and so does a plan too large for the memory one run gets
(resnet_core.training.memory), so the refusal after the click is never a surprise.
"""

from __future__ import annotations

from typing import Sequence

import streamlit as st

from resnet_core import ModelConfig, TrainConfig
from resnet_core.jobs import sharing
from resnet_core.training.costs import Estimate, RunTooLong
from resnet_core.training.memory import RunTooBig

from ui.page.errors import config_text
from ui.page.i18n import t
from ui.page.terms import net_label
from ui.server import shared
from ui.training import cluster


def estimates(planned: Sequence[tuple[str, ModelConfig, TrainConfig]]) -> list[Estimate] | None:
    """One estimate per planned run, None when a configuration cannot be counted (the page says
    why elsewhere, e.g. an invalid combination)."""
    r = shared.runner()
    try:
        return [r.estimator.estimate(m, r._on_device(tc), r.runs_on) for _, m, tc in planned]
    except Exception:   # a cost line must never break the page it sits on
        return None


def served_runs(planned: Sequence[tuple[str, ModelConfig, TrainConfig]]) -> list:
    """For each planned run, the run already here that a press would be served by
    (resnet_core.jobs.sharing), None where there is none; None in all when the store cannot be
    read (a cost line must never break the page it sits on: the ordinary press)."""
    try:
        r, s = shared.runner(), shared.store()
        ids = [sharing.find(s, sharing.run_key(m, r._on_device(tc))) for _, m, tc in planned]
        return [None if rid is None else s.get_run(rid) for rid in ids]
    except Exception:
        return [None] * len(planned)


def still_to_train(planned: Sequence[tuple[str, ModelConfig, TrainConfig]], served: list | None = None) -> list:
    """The planned runs a press would queue: a run equal to one already finished here serves the
    press at once (resnet_core.jobs.sharing), costs no time and is not counted in the line
    (Shortcuts' plain-20 and ResNet-20 A at the defaults are a Degradation experiment's nets).
    `served`: served_runs(planned), where the caller has it already."""
    served = served_runs(planned) if served is None else served
    return [row for row, info in zip(planned, served) if info is None or info.status not in ("finished", "diverged")]


def diverged(planned: Sequence[tuple[str, ModelConfig, TrainConfig]], served: list | None = None) -> list[str]:
    """The labels ("plain-56", "ResNet-20 B") of the planned runs whose press would be served by a
    run that diverged here (sharing serves a diverged run: training is deterministic)."""
    served = served_runs(planned) if served is None else served
    return [label for (label, _, _), info in zip(planned, served) if info is not None and info.status == "diverged"]


def plan_line(planned: Sequence[tuple[str, ModelConfig, TrainConfig]]) -> Estimate | None:
    """The cost line of a press that would queue `planned`: only the nets not already finished here
    (still_to_train); where none is left, a line that says the press shows them at once, so the
    place of the time is never silently empty; and where one of them diverged here, that it did:
    "already trained" is not what a diverged net is, and the press brings back the same run."""
    served = served_runs(planned)
    todo = still_to_train(planned, served)
    if planned and not todo:
        gone = diverged(planned, served)
        if gone:
            st.warning(t("common.already_diverged", nets=", ".join(net_label(n) for n in gone)),
                       icon=":material/warning:")
        else:
            st.caption(f":material/check_circle: {t('common.already_trained')}")
        return None
    return line(todo)


def seconds_text(seconds: float) -> str:
    if seconds < 90:
        return t("costs.seconds", n=max(1, round(seconds)))
    if seconds < 2 * 3600:
        minutes = seconds / 60
        return t("costs.minutes", n=f"{round(minutes, 1) if minutes < 10 else round(minutes):g}")
    return t("costs.hours", n=f"{round(seconds / 3600, 1):g}")


def line(planned: Sequence[tuple[str, ModelConfig, TrainConfig]]) -> Estimate | None:
    """A caption under the train button's settings: the longest run's time (they run in
    parallel when the server has workers for them), all runs' total, and the cap if one is
    over it. Returns the longest estimate, None when nothing could be estimated. A training
    cluster that cannot be reached is said here too (ui.training.cluster)."""
    cluster.notice()

    ests = estimates(planned)
    if not ests:
        return None
    longest = max(ests, key=lambda e: e.seconds)
    basis = plan_basis_text(ests)
    limit = shared.runner().max_run_seconds
    if len(ests) == 1:
        text = t("costs.about_one", time=seconds_text(longest.seconds))
    else:
        text = t("costs.about_many", time=seconds_text(longest.seconds), n=len(ests),
                 total=seconds_text(sum(e.seconds for e in ests)))
    if limit and longest.seconds > limit:
        label, m, tc = planned[ests.index(longest)]
        st.warning(too_long_text(RunTooLong(longest, limit, m, tc, label)), icon=":material/timer_off:")
        return longest
    too_big = memory_refusal(planned)
    if too_big is not None:
        too_large(too_big)
        return longest
    # The basis on a line of its own: after "(4 runs, about 64 s in all)." a second bracket in the
    # same line read as two remarks in a row.
    st.caption(f":material/timer: {text}  \n{basis}")
    return longest


def basis_text(est: Estimate) -> str:
    """What the figure is: the median time of runs of exactly this size here, the model learned
    from this server's runs of every size, or the first guess."""
    if est.same_size:
        return t("estimates.same_size", n=est.same_size) if est.same_size > 1 else t("estimates.same_size_one")
    return t("costs.measured", n=est.learned_from) if est.learned_from else t("costs.default")


def plan_basis_text(ests: Sequence[Estimate]) -> str:
    """What the figures of a plan of several runs are: the time and the total add the runs'
    estimates, so the caption says which of them are medians of runs of exactly their size here
    and which come from the model of every size (or the first guess)."""
    if len(ests) == 1:
        return basis_text(ests[0])
    others = [e for e in ests if not e.same_size]
    if len(others) == len(ests):
        return basis_text(max(ests, key=lambda e: e.seconds))
    if not others:
        return t("estimates.same_size_each")
    rest = others[0].learned_from
    if not rest:
        return t("estimates.same_size_some_guess", k=len(ests) - len(others), n=len(ests))
    return t("estimates.same_size_some", k=len(ests) - len(others), n=len(ests), m=rest)


def memory_refusal(planned: Sequence[tuple[str, ModelConfig, TrainConfig]]) -> RunTooBig | None:
    """Why the first planned run that cannot fit in the memory one run gets would be refused
    (the runner's own check, resnet_core.training.memory); None when all fit or cannot be sized."""
    r = shared.runner()
    for _, m, tc in planned:
        try:
            r.check_memory(m, r._on_device(tc))
        except RunTooBig as exc:
            return exc
        except Exception:   # a settings error is the page's to explain, elsewhere
            return None
    return None


def too_large(exc: RunTooBig) -> None:
    """A run too large for the memory one run gets: its numbers and what to reduce. The reason is
    a clause (the CLI prints it after "error: "); alone in a box it is a sentence of its own."""
    text = config_text(exc)
    st.warning(text[:1].upper() + text[1:] + ("" if text.endswith(".") else "."), icon=":material/memory:")


def too_long_text(exc: RunTooLong) -> str:
    return t("costs.too_long", label=net_label(exc.label) if exc.label else "–",
             time=over_text(exc.estimate.seconds, exc.limit), limit=seconds_text(exc.limit), steps=f"{exc.steps:,}",
             depth=exc.depth, width=exc.width, mult=f"{exc.width_mult:g}", size=exc.input_size)


def over_text(seconds: float, limit: float) -> str:
    """A refused run's time, in the cap's unit, with the decimals it takes to read above the cap:
    "about 30.3 min" beside "30 min at most", never "about 30 min" beside it."""
    text = seconds_text(seconds)
    if text != seconds_text(limit) or seconds <= limit:
        return text
    unit, size = ("costs.seconds", 1) if limit < 90 else ("costs.minutes", 60) if limit < 2 * 3600 else ("costs.hours", 3600)
    for decimals in (1, 2, 3):
        finer = t(unit, n=f"{seconds / size:.{decimals}f}")
        if finer != t(unit, n=f"{limit / size:.{decimals}f}"):
            return finer
    return text


def too_long(exc: RunTooLong) -> None:
    """The refusal after the click (the runner checked again): what to reduce."""
    st.warning(too_long_text(exc), icon=":material/timer_off:")
