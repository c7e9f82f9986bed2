"""Twins: a plain net and its residual twin, trained with one shared recipe, for the inspection
pages (Feature maps, Attribution).

The recipe is `TwinSpec`: the same config but for the shortcuts, the same seed, the same SGD
steps on an embedded dataset. A page never trains one itself (a page request that trains makes
every visitor wait, and competes with the training queue for the cores). Instead:

- the pages' default twin ships trained with the app, in ``assets/checkpoints/`` (made by
  ``scripts/make_checkpoints.py`` with this very recipe), so the first visit draws at once;
- any other setting is queued as two ordinary runs (`jobs`, group `GROUP`); a finished pair in
  the store, whoever queued it, serves everyone who asks for the same setting afterwards.

Shipped weights are stored in float16: half the size, and the nets' held-out accuracy is
measured again on the rounded weights (it is that accuracy the pages quote).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors
from torch import nn

from resnet_core.data.datasets import EMBEDDED, load_dataset
from resnet_core.nets.config import ConfigError, ModelConfig, TrainConfig
from resnet_core.nets.models import build_model
from resnet_core.store.checkpoints import FORMAT, atomic_write
from resnet_core.store.groups import INSPECT_TWIN

INPUT_SIZE = {"digits": 16, "shapes": 32}   # digits' 8x8 doubled so stage 3 still has 4x4 maps
DEPTHS = (8, 14, 20, 32, 44, 56)            # CIFAR-style 6n+2 (He et al. 2015, section 4.2)
WIDTHS = (8, 16, 32)
MAX_STEPS = 400                              # a few seconds to a minute on two CPU cores
GROUP = INSPECT_TWIN                         # the store group of queued twins, shared by both pages
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "assets" / "checkpoints"
SHIPPED_DTYPE = torch.float16


@dataclass(frozen=True)
class DataSpec:
    """How a model's images were prepared: what load_dataset needs for the same split and
    normalisation."""
    dataset: str
    size: int
    in_channels: int
    data_dir: str = ""
    seed: int = 0
    holdout_fraction: float = 0.2
    max_samples: int = 0

    @classmethod
    def of_run(cls, model_cfg: ModelConfig, train_cfg: TrainConfig) -> "DataSpec":
        return cls(train_cfg.dataset, model_cfg.input_size, model_cfg.in_channels, train_cfg.data_dir,
                   train_cfg.seed, train_cfg.holdout_fraction, train_cfg.max_samples)

    def load(self):
        # Never a download from a page view: a stored run's images are already here, or the
        # caller says they are missing (DatasetMissing names the folder and files).
        return load_dataset(self.dataset, size=self.size, in_channels=self.in_channels,
                            data_dir=self.data_dir, seed=self.seed, holdout_fraction=self.holdout_fraction,
                            max_samples=self.max_samples, download=False)


@dataclass(frozen=True)
class TwinSpec:
    dataset: str = "digits"   # embedded: digits (grey) or shapes (colour)
    depth: int = 20           # weighted layers, 6n+2
    width: int = 16           # channels of the first stage (paper: 16)
    steps: int = 150          # SGD steps of the shared recipe; 0 = freshly initialised
    seed: int = 0             # same seed, same init and batches for both nets

    def __post_init__(self) -> None:
        if self.dataset not in EMBEDDED:
            raise ConfigError(code="one_of", name="dataset", options=", ".join(EMBEDDED), value=repr(self.dataset))
        if self.depth not in DEPTHS:
            raise ConfigError(code="one_of", name="depth", options=", ".join(map(str, DEPTHS)), value=self.depth)
        if not 4 <= self.width <= 64:
            raise ConfigError(code="range_channels", name="width", low=4, high=64, value=self.width)
        if not 0 <= self.steps <= MAX_STEPS:
            raise ConfigError(code="range", name="steps", low=0, high=MAX_STEPS, value=self.steps)

    def model_config(self, residual: bool) -> ModelConfig:
        return ModelConfig(depth=self.depth, base_width=self.width, residual=residual,
                           in_channels=1 if self.dataset == "digits" else 3,
                           input_size=INPUT_SIZE[self.dataset], num_classes=10)

    def train_config(self) -> TrainConfig:
        # The paper's recipe (SGD, momentum 0.9, weight decay 1e-4, lr /10 at 50% and 75%),
        # with half its batch and lr (linear scaling) so a step is quick; one evaluation at the end.
        steps = max(1, self.steps)
        return TrainConfig(dataset=self.dataset, steps=steps, batch_size=64, lr=0.05,
                           eval_every=steps, stats_every=steps, seed=self.seed)

    @property
    def data(self) -> DataSpec:
        return DataSpec(self.dataset, INPUT_SIZE[self.dataset], 1 if self.dataset == "digits" else 3,
                        seed=self.seed)

    def jobs(self) -> list[tuple[str, ModelConfig, TrainConfig]]:
        """The two runs to queue for this twin, plain first, labelled with their arch names."""
        return [(self.model_config(r).name, self.model_config(r), self.train_config()) for r in (False, True)]

    def matches(self, model_cfg: ModelConfig, train_cfg: TrainConfig, residual: bool) -> bool:
        """Whether a run was trained by this recipe (on whichever device the queue chose)."""
        return (model_cfg == self.model_config(residual)
                and train_cfg.replace(device="auto") == self.train_config())


DEFAULT = TwinSpec()
SHIPPED = (DEFAULT,)          # the twins whose checkpoints ship in SHIPPED_DIR


def shipped_stem(spec: TwinSpec, residual: bool, folder: Path = SHIPPED_DIR) -> Path:
    return folder / f"{spec.dataset}-{spec.depth}x{spec.width}-{spec.steps}steps-seed{spec.seed}-{spec.model_config(residual).twin}"


# --- shipped checkpoints ---------------------------------------------------------------------

@dataclass(frozen=True)
class ShippedNet:
    model: nn.Module          # in eval mode, on the CPU, float32 (the float16 values widened)
    test_acc: float           # held-out accuracy of these very weights
    meta: dict                # the JSON beside the weights


def shipped_meta(spec: TwinSpec, residual: bool, folder: Path = SHIPPED_DIR) -> dict | None:
    """The JSON of the shipped checkpoint for this twin member, or None when none ships or the
    one there was made by another recipe (a changed recipe must not show stale nets)."""
    stem = shipped_stem(spec, residual, folder)
    json_path = stem.with_suffix(".json")
    if not (json_path.is_file() and stem.with_suffix(".safetensors").is_file()):
        return None
    meta = json.loads(json_path.read_text())
    if meta.get("format") != FORMAT or not spec.matches(
            ModelConfig.from_dict(meta["model_cfg"]), TrainConfig.from_dict(meta["train_cfg"]), residual):
        return None
    return meta


def load_shipped(spec: TwinSpec, residual: bool, folder: Path = SHIPPED_DIR) -> ShippedNet | None:
    meta = shipped_meta(spec, residual, folder)
    if meta is None:
        return None
    model = build_model(spec.model_config(residual))
    tensors = load_safetensors(shipped_stem(spec, residual, folder).with_suffix(".safetensors").read_bytes())
    model.load_state_dict(tensors, strict=True)    # copy_ widens float16 to the model's float32
    return ShippedNet(model.eval(), meta["test_acc"], meta)


def rounded_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """The state dict as shipped: floating tensors in float16, counters as they are."""
    out = {}
    for name, tensor in model.state_dict().items():
        tensor = tensor.detach().to("cpu").contiguous()
        if tensor.is_floating_point():
            tensor = tensor.to(SHIPPED_DTYPE)
            if not torch.isfinite(tensor).all():
                raise ValueError(f"{name} does not fit in {SHIPPED_DTYPE}")
        out[name] = tensor
    return out


def train_member(spec: TwinSpec, residual: bool):
    """Train one member with the recipe on the CPU, exactly as a queued run of it would."""
    from resnet_core.training.engine import train

    result = train(spec.model_config(residual), spec.train_config().replace(device="cpu"))
    if result.status != "finished":
        raise RuntimeError(result.error or f"training ended as {result.status}")
    return result


def held_out_accuracy(model: nn.Module, spec: TwinSpec) -> float:
    from resnet_core.training.engine import evaluate

    ds = spec.data.load()
    return evaluate(model.to("cpu").eval(), ds.x_test.cpu(), ds.y_test.cpu())[1]


def make_shipped(spec: TwinSpec, residual: bool, folder: Path = SHIPPED_DIR) -> dict:
    """Train one member, round its weights to float16, measure them, and write the pair of
    files; returns the JSON written."""
    result = train_member(spec, residual)
    state = rounded_state(result.model)
    shipped = build_model(spec.model_config(residual))
    shipped.load_state_dict(state, strict=True)
    data = save_safetensors(state, metadata={"format": "pt"})
    meta = {"format": FORMAT, "model_cfg": spec.model_config(residual).to_dict(),
            "train_cfg": spec.train_config().to_dict(), "twin": spec.model_config(residual).twin,
            "dtype": str(SHIPPED_DTYPE).removeprefix("torch."),
            "test_acc": held_out_accuracy(shipped, spec), "test_acc_float32": result.test_acc,
            "final_train_loss": result.final_train_loss, "train_seconds": round(result.seconds, 2),
            # Training on the CPU with one thread is bit-exact for the same torch and CPU kernels.
            "torch": torch.__version__, "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "sha256": hashlib.sha256(data).hexdigest()}
    stem = shipped_stem(spec, residual, folder)
    atomic_write(stem.with_suffix(".json"), (json.dumps(meta, indent=1) + "\n").encode())
    atomic_write(stem.with_suffix(".safetensors"), data)
    return meta


# --- twins queued as runs ----------------------------------------------------------------------

@dataclass(frozen=True)
class TwinRuns:
    """The store's runs of one twin setting, whoever queued them."""
    finished: dict[bool, object]   # residual -> the newest finished run with a checkpoint (RunInfo)
    active: list                   # queued or running runs of this setting, oldest first
    ended: list                    # the newest run per member that ended without a checkpoint

    @property
    def ready(self) -> bool:
        return set(self.finished) == {False, True}


def twin_runs(store, spec: TwinSpec, limit: int = 500) -> TwinRuns:
    finished, active, ended = {}, [], {}
    for info in store.list_runs(group=GROUP, limit=limit):      # newest first
        residual = bool(info.model_cfg.residual)
        if not spec.matches(info.model_cfg, info.train_cfg, residual):
            continue
        if info.status == "finished" and info.has_checkpoint:
            finished.setdefault(residual, info)
        elif info.status in ("queued", "running"):
            active.append(info)
        else:
            ended.setdefault(residual, info)
    # Only what still matters: failures of members that have no finished run and nothing queued.
    waiting = {bool(i.model_cfg.residual) for i in active}
    failed = [i for r, i in sorted(ended.items()) if r not in finished and r not in waiting]
    return TwinRuns(finished, sorted(active, key=lambda i: i.id), failed)
