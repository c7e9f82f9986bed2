"""Model checkpoints as safetensors weights plus a JSON config; never pickle, never torch.load.

Both files are written atomically (temp file in the same folder, fsync, rename, fsync the
folder), so a crash leaves either the old checkpoint or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import torch
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors
from torch import nn

from resnet_core.nets.config import ModelConfig
from resnet_core.nets.models import build_model

FORMAT = 1


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    try:   # make the rename itself durable (POSIX; not possible on every platform)
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def weights_bytes(model: nn.Module) -> bytes:
    """The net's weights as safetensors bytes (what a remote worker sends back)."""
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    return save_safetensors(tensors, metadata={"format": "pt"})


def save_model(model: nn.Module, model_cfg: ModelConfig, stem: Path, extra: dict | None = None) -> Path:
    """Write `stem`.json and `stem`.safetensors; returns the weights' path."""
    return _write(weights_bytes(model), model_cfg, stem, extra)


def save_weights(data: bytes, model_cfg: ModelConfig, stem: Path, extra: dict | None = None) -> Path:
    """Like `save_model`, from safetensors bytes made elsewhere. They are parsed against the
    config's net first, so bytes that would not load back are refused, not stored."""
    model_from_bytes(model_cfg, data)
    return _write(data, model_cfg, stem, extra)


def _write(data: bytes, model_cfg: ModelConfig, stem: Path, extra: dict | None) -> Path:
    meta = {"format": FORMAT, "model_cfg": model_cfg.to_dict(), **(extra or {})}
    weights = stem.with_suffix(".safetensors")
    # Config first: a reader that finds the weights always finds the config beside them.
    atomic_write(stem.with_suffix(".json"), json.dumps(meta, indent=1).encode())
    atomic_write(weights, data)
    return weights


def model_from_bytes(model_cfg: ModelConfig, data: bytes, device: str | torch.device = "cpu") -> nn.Module:
    """Rebuild the net and load safetensors bytes into it; returned in eval mode."""
    model = build_model(model_cfg)
    model.load_state_dict(load_safetensors(data), strict=True)
    return model.to(device).eval()


def load_model(stem: Path, device: str | torch.device = "cpu") -> nn.Module:
    """Rebuild the net from its JSON config and load the weights; returned in eval mode."""
    json_path, weights = stem.with_suffix(".json"), stem.with_suffix(".safetensors")
    if not (json_path.is_file() and weights.is_file()):
        raise FileNotFoundError(f"no checkpoint at {weights}")
    meta = json.loads(json_path.read_text())
    if meta.get("format") != FORMAT:
        raise ValueError(f"{json_path.name}: unknown checkpoint format {meta.get('format')!r}")
    model = build_model(ModelConfig.from_dict(meta["model_cfg"]))
    model.load_state_dict(load_safetensors(weights.read_bytes()), strict=True)
    return model.to(device).eval()
