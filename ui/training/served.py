"""An experiment's runs with the runs that served the rest of its press. A request equal to a run
already in the store is served by that run (resnet_core.jobs.sharing), and the run keeps its own page
and experiment: a Degradation press after the Lesion study's pair, or a Shortcuts press after a
Degradation one, queues only the nets not trained yet, and the page reads the rest from here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from resnet_core import ModelConfig, TrainConfig
from resnet_core.jobs.sharing import find, run_key
from resnet_core.store.runs import RunInfo
from resnet_core.training import experiments
from ui.server.shared import store
from ui.training import estimates
from ui.training.page_runs import RunView


def with_served(same: Sequence[RunInfo], planned: Sequence[tuple[str, ModelConfig, TrainConfig]]) -> list[RunInfo]:
    """One experiment's runs with the runs that served the rest of its press, in id order.
    `planned`: the nets the press asked for; the missing ones are found by their key on the
    experiment's recipe."""
    if not same:
        return list(same)
    have, tc = [i.model_cfg for i in same], same[0].train_cfg
    ids = [find(store(), run_key(m, tc)) for _, m, _ in planned if m not in have]
    return sorted([*same, *(store().get_run(i) for i in ids if i is not None)], key=lambda i: i.id)


def degradation_served(same: Sequence[RunInfo]) -> list[RunInfo]:
    """A Degradation experiment's runs with those that served its press (with_served), read with
    the experiment's own recipe: a press after the Lesion study's pair, which has this very recipe,
    queues only the 56-layer nets, and the four belong together (the Degradation page, and the
    Evidence page's Figure 7 and misconception, read them so)."""
    if not same:
        return list(same)
    first = same[0]
    tc = first.train_cfg   # one recipe for the four: the runner's own (its device included)
    return with_served(same, experiments.degradation_configs(
        tc.dataset, steps=tc.steps, seed=tc.seed, data_dir=tc.data_dir, width=first.model_cfg.base_width))


def named_as(views: Sequence[RunView], label_of) -> list[RunView]:
    """The views with each run named as this page names it, `label_of(info)`, for the progress
    rows: a run that served the press (with_served) keeps the label its own page gave it, and a
    Degradation experiment's "ResNet-20" is the Shortcuts page's "ResNet-20 A"."""
    return [replace(v, info=replace(v.info, label=label_of(v.info))) for v in views]


def weightless(planned: Sequence[tuple[str, ModelConfig, TrainConfig]], served: list | None = None) -> bool:
    """Whether a press of `planned` would be served by a finished run whose checkpoint has been dropped
    (resnet_core.store.retention): a page that reads the trained weights could never show it, and the
    same press would be served by it again. Such a press is trained anew (start(..., share=False)).
    `served`: estimates.served_runs(planned), where the caller has it already."""
    served = estimates.served_runs(planned) if served is None else served
    return any(i is not None and i.status == "finished" and not i.has_checkpoint for i in served)
