"""resnet_core: plain and residual networks, their costs, and live training. No Streamlit here.

The names below load on first use (PEP 562), so a module that needs only a light part of the
library (settings, text, messages) does not pay the seconds torch takes to import."""

from __future__ import annotations

import importlib

_WHERE = {"ConfigError": "resnet_core.messages", "ModelConfig": "resnet_core.nets.config",
          "TrainConfig": "resnet_core.nets.config", "arch_config": "resnet_core.nets.architectures",
          "build_model": "resnet_core.nets.models"}

__all__ = ["ConfigError", "ModelConfig", "TrainConfig", "arch_config", "build_model"]


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'resnet_core' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
