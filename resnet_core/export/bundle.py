"""An export: the files a user takes home for one net or one stored run, and their zip.

    model.py           the net in PyTorch alone (model_file.py writes it)
    weights.safetensors the trained weights (stored runs only)
    model.onnx         the same net with a dynamic batch, for Netron or ONNX Runtime
    metrics.csv        every recorded step of the run (only the header for an untrained net)
    run.json           configuration, recipe, seed, data split and library versions
    README.md          load it in three lines; what each file is
    notebook.ipynb     loads the net, evaluates it on digits, plots the curve, shows feature maps
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import threading
import time
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from resnet_core.export.model_file import model_py
from resnet_core.export.notebook import notebook
from resnet_core.export.readme import readme
from resnet_core.nets.config import ModelConfig, TrainConfig
from resnet_core.nets.diagram import describe
from resnet_core.nets.models import build_model
from resnet_core.store.checkpoints import weights_bytes
from resnet_core.store.schema import RunNotFound
from resnet_core.store.provenance import library_versions

FORMAT = "resnet-explorer-export/1"
METRIC_COLUMNS = ["step", "train_loss", "train_acc", "lr", "seconds", "test_loss", "test_acc"]
# Above these an ONNX graph takes minutes to trace and hundreds of MB: README says how to make it.
MAX_ONNX_PARAMS = 30_000_000
MAX_ONNX_LAYERS = 200
INIT_SEED = 0   # the seed of an untrained net's weights in model.onnx
_ONNX_LOCK = threading.Lock()   # one trace at a time: it is CPU-heavy, and a class may click at once

# English templates for what cannot be exported; the app shows them from assets/i18n/export.json.
MESSAGES = {
    "no_store": "there is no run store at {db}",
    "no_run": "there is no run {run_id} in {db}",
    "no_checkpoint": "run {run_id} has no checkpoint to export: only a finished run leaves one, and its status is {status}",
    "checkpoint_dropped": "run {run_id} finished, but its checkpoint is no longer kept (the oldest runs' checkpoints "
                          "are dropped when the folder is full)",
}


class ExportError(ValueError):
    """A run that cannot be exported; `code` and `params` let the app say why in Korean too."""

    def __init__(self, code: str, **params) -> None:
        super().__init__(MESSAGES[code].format(**params))
        self.code, self.params = code, {k: str(v) for k, v in params.items()}


@dataclass
class Export:
    name: str                                     # the zip's and its folder's name
    files: dict[str, bytes] = field(default_factory=dict)

    def zip_bytes(self) -> bytes:
        """The files in one zip, inside a folder named after the export."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in self.files.items():
                z.writestr(f"{self.name}/{name}", data)
        return out.getvalue()

    def write(self, folder: str | Path) -> list[Path]:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, data in self.files.items():
            (folder / name).write_bytes(data)
            paths.append(folder / name)
        return paths


def export_config(cfg: ModelConfig, *, onnx: bool = True) -> Export:
    """An untrained net: model.py and its companions, no weights."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(INIT_SEED)
        model = build_model(cfg).eval()
    meta = {"format": FORMAT, "name": cfg.kind, "trained": False, "init_seed": INIT_SEED, "model_config": cfg.to_dict(),
            "recipe": None, "seed": None, "split": {"seed": 0, "holdout_fraction": 0.2, "max_samples": 0},
            "run": None, "versions": {"exported_with": library_versions()},
            "exported": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    return _bundle(cfg.name, cfg, model, meta, metrics_text([]), None, onnx=onnx)


def export_run(store, run_id: int, *, onnx: bool = True) -> Export:
    """A stored run with its trained weights; ExportError when there is no such run or it left
    no checkpoint."""
    try:
        info = store.get_run(run_id)
    except RunNotFound:
        raise ExportError("no_run", run_id=run_id, db=store.path) from None
    if not info.has_checkpoint and info.status == "finished":   # dropped to keep the folder within its bound
        raise ExportError("checkpoint_dropped", run_id=run_id)
    if not info.has_checkpoint:
        raise ExportError("no_checkpoint", run_id=run_id, status=info.status)
    model = store.load_model(run_id)
    tc: TrainConfig = info.train_cfg
    meta = {"format": FORMAT, "name": info.model_cfg.kind, "trained": True,
            "model_config": info.model_cfg.to_dict(), "recipe": tc.to_dict(), "seed": info.seed,
            "split": {"seed": tc.seed, "holdout_fraction": tc.holdout_fraction, "max_samples": tc.max_samples},
            "run": {"id": info.id, "label": info.label, "status": info.status, "steps_done": info.steps_done,
                    "seconds": info.seconds, "device": info.device, "final_train_loss": info.final_train_loss,
                    "final_train_acc": info.final_train_acc, "test_acc": info.test_acc,
                    "created": info.created, "finished": info.finished},
            "versions": {"trained_with": info.versions, "exported_with": library_versions()},
            "exported": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    return _bundle(f"run-{run_id}-{info.model_cfg.name}", info.model_cfg, model, meta,
                   metrics_text(metric_rows(store, run_id)), weights_bytes(model), onnx=onnx)


def _bundle(name: str, cfg: ModelConfig, model: nn.Module, meta: dict, metrics: str, weights: bytes | None,
            *, onnx: bool) -> Export:
    d = describe(cfg)
    onnx_ok = onnx and onnx_fits(cfg)
    meta["params"] = d.params
    meta["files"] = ["model.py"] + (["weights.safetensors"] if weights else []) + \
        (["model.onnx"] if onnx_ok else []) + ["metrics.csv", "run.json", "README.md", "notebook.ipynb"]
    files = {"model.py": model_py(cfg).encode()}
    if weights:
        files["weights.safetensors"] = weights
    if onnx_ok:
        files["model.onnx"] = onnx_bytes(model, cfg)
    files["metrics.csv"] = metrics.encode()
    files["run.json"] = (json.dumps(meta, indent=1) + "\n").encode()
    files["README.md"] = readme(cfg, meta, onnx_included=onnx_ok, onnx_asked=onnx).encode()
    dataset = (meta["recipe"] or {}).get("dataset", "")
    files["notebook.ipynb"] = notebook(cfg, trained=meta["trained"], dataset=dataset).encode()
    return Export(name, files)


def onnx_fits(cfg: ModelConfig) -> bool:
    d = describe(cfg)
    return d.params <= MAX_ONNX_PARAMS and d.weighted_layers <= MAX_ONNX_LAYERS


def onnx_bytes(model: nn.Module, cfg: ModelConfig) -> bytes:
    """The net as an ONNX graph whose batch dimension is free (torch.export-based exporter)."""
    x = torch.zeros(2, cfg.in_channels, cfg.input_size, cfg.input_size)
    with _ONNX_LOCK, tempfile.TemporaryDirectory(prefix="resnet-explorer-onnx-") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(model.eval(), (x,), dynamo=True, input_names=["images"],
                                    output_names=["logits"], dynamic_shapes=({0: torch.export.Dim("batch")},),
                                    verbose=False)
        path = Path(tmp) / "model.onnx"
        program.save(str(path))
        return path.read_bytes()


def metric_rows(store, run_id: int) -> list[list]:
    """Every recorded step of a run (not decimated), with held-out results where measured."""
    steps, evals = store.steps(run_id), store.evals(run_id)
    held = {step: (loss, acc) for step, loss, acc in zip(evals.step, evals.test_loss, evals.test_acc)}
    return [[*row, *held.get(row[0], ("", ""))]
            for row in zip(steps.step, steps.loss, steps.acc, steps.lr, steps.seconds)]


def metrics_text(rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(METRIC_COLUMNS)
    writer.writerows(rows)
    return out.getvalue()
