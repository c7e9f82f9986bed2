"""Analysis tasks the job runner runs in the background, beside training (resnet_core.jobs.runner).

    TASKS[name](params, *, store, on_progress, should_stop) -> dict

`params` is plain JSON (run ids of trained nets from the store, grid size, seed, ...); the
result is a JSON-able dict the runner saves with ``store.save_result``. Progress is reported as
(done, total) over all the nets of the task, so one bar shows the whole task.

- ``lesion``: Veit et al. 2016, blocks deleted at test time (resnet_core.inspection.lesion), on the held-out
  part of each net's own dataset split.
- ``predict``: one question of the prediction bank decided (resnet_core.predict.bank).
- ``landscape``: Li et al. 2018, filter-normalised 1-D and 2-D loss slices (resnet_core.inspection.landscape),
  on a fixed subset of each net's training images.
"""

from __future__ import annotations

import time
from typing import Callable

import torch
from torch import nn

from resnet_core.data.datasets import Dataset, run_data, train_subset
from resnet_core.inspection import landscape, lesion
from resnet_core.nets.config import ConfigError
from resnet_core.training.engine import cpu_threads, resolve_device

LESION_DEFAULTS = {"draws": 5, "seed": 0, "device": "auto"}
# 512 training images: a 21x21 grid then takes about 35 s for a 56-layer net of width 8 on one
# CPU thread (bench: 0.07 s per evaluation; all 1,438 training digits take 0.23-0.28 s).
LANDSCAPE_DEFAULTS = {"grid": 21, "points_1d": 41, "span": 1.0, "seed": 0, "max_images": 512,
                      "device": "auto"}
MAX_RUNS = 8
MAX_GRID = 51


def _options(params: dict, defaults: dict) -> dict:
    unknown = set(params) - set(defaults) - {"run_ids"}
    if unknown:
        raise ConfigError(code="task_params", value=", ".join(sorted(unknown)))
    return {**defaults, **{k: v for k, v in params.items() if k != "run_ids"}}


def _run_ids(params: dict) -> list[int]:
    ids = params.get("run_ids")
    if not isinstance(ids, (list, tuple)) or not ids or len(ids) > MAX_RUNS:
        raise ConfigError(code="run_ids", high=MAX_RUNS, value=repr(ids))
    try:
        return [int(i) for i in ids]
    except (TypeError, ValueError):
        raise ConfigError(code="run_ids_whole", value=repr(ids)) from None


def _load(store, run_ids: list[int], device: torch.device) -> list[tuple[object, nn.Module, Dataset]]:
    nets = []
    for rid in run_ids:
        info = store.get_run(rid)
        if info.status != "finished" or not info.has_checkpoint:
            raise ConfigError(code="run_unfinished", run=rid, label=info.label, status=info.status)
        model = store.load_model(rid, device)
        model.eval()
        nets.append((info, model, run_data(info, device)))
    return nets


def _describe(info) -> dict:
    m = info.model_cfg
    return {"run_id": info.id, "label": info.label, "kind": m.twin,
            "depth": m.depth, "dataset": info.train_cfg.dataset, "train_steps": info.steps_done,
            "test_acc_when_trained": info.test_acc}


def _twins(nets: list[dict]) -> list[tuple[dict, dict]]:
    """(plain, residual) of equal depth, for the verdicts."""
    out = []
    for p in (n for n in nets if n["kind"] == "plain"):
        r = next((n for n in nets if n["kind"] == "residual" and n["depth"] == p["depth"]), None)
        if r is not None:
            out.append((p, r))
    return out


def lesion_task(params: dict, *, store, on_progress: Callable[[int, int], None],
                should_stop: Callable[[], bool]) -> dict:
    """Lesion study of each run: intact, each single deletion, k random deletions."""
    opts = _options(params, LESION_DEFAULTS)
    draws, seed = int(opts["draws"]), int(opts["seed"])
    if not 1 <= draws <= 50:
        raise ConfigError(code="range", name="draws", low=1, high=50, value=draws)
    device = resolve_device(opts["device"])
    started = time.perf_counter()
    with cpu_threads(device):
        nets = _load(store, _run_ids(params), device)
        total = sum(lesion.plan_size(model, draws) for _, model, _ in nets)
        done, out = 0, []
        for info, model, ds in nets:
            res = lesion.study(model, ds.x_test, ds.y_test, draws=draws, seed=seed, on_progress=on_progress,
                               should_stop=should_stop, done_before=done, total=total)
            done += lesion.plan_size(model, draws)
            out.append({**_describe(info), **res, "summary": lesion.summary(res)})
            if res["stopped"]:
                break
    verdicts = {str(p["depth"]): lesion.verdict(p, r) for p, r in _twins(out)}
    return {"task": "lesion", "nets": out, "verdicts": verdicts, "draws": draws, "seed": seed,
            "device": str(device), "seconds": time.perf_counter() - started}


def landscape_task(params: dict, *, store, on_progress: Callable[[int, int], None],
                   should_stop: Callable[[], bool]) -> dict:
    """1-D and 2-D filter-normalised loss slices around each run's trained weights."""
    opts = _options(params, LANDSCAPE_DEFAULTS)
    grid, points, span = int(opts["grid"]), int(opts["points_1d"]), float(opts["span"])
    seed, max_images = int(opts["seed"]), int(opts["max_images"])
    if not 3 <= grid <= MAX_GRID or not 3 <= points <= 201:
        raise ConfigError(code="grid_points", high=MAX_GRID, value=grid, points=points)
    if not 0 < span <= 5:
        raise ConfigError(code="above_zero_at_most", name="span", high=5, value=span)
    device = resolve_device(opts["device"])
    started = time.perf_counter()
    with cpu_threads(device):          # and denormals flushed: far from the minimum, weights make them
        nets = _load(store, _run_ids(params), device)
        per_net = points + grid * grid
        total, out = per_net * len(nets), []
        for i, (info, model, ds) in enumerate(nets):
            x, y = train_subset(ds, max_images, seed)
            res = landscape.slices(model, x, y, points_1d=points, grid=grid, span=span, seed=seed,
                                   on_progress=on_progress, should_stop=should_stop,
                                   done_before=i * per_net, total=total)
            out.append({**_describe(info), **res})
            if res["stopped"]:
                break
    verdicts = {str(p["depth"]): landscape.verdict(p, r) for p, r in _twins(out)}
    return {"task": "landscape", "nets": out, "verdicts": verdicts, "grid": grid, "points_1d": points,
            "span": span, "seed": seed, "max_images": max_images, "device": str(device),
            "seconds": time.perf_counter() - started}


def predict_task(params: dict, *, store, on_progress: Callable[[int, int], None],
                 should_stop: Callable[[], bool]) -> dict:
    """A prediction question decided: what it runs or counts, and its answer (resnet_core.predict)."""
    from resnet_core.predict.bank import decide

    unknown = set(params) - {"question", "setup", "device"}
    if unknown or not isinstance(params.get("setup"), dict):
        raise ConfigError(code="predict_task", value=sorted(params))
    started = time.perf_counter()
    out = decide(str(params.get("question")), device=str(params.get("device", "auto")), setup=params["setup"],
                 progress=on_progress, should_stop=should_stop)
    return {**out, "task": "predict", "seconds": time.perf_counter() - started}


TASKS: dict[str, Callable[..., dict]] = {"lesion": lesion_task, "landscape": landscape_task,
                                         "predict": predict_task}
