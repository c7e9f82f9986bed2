"""resnet_core: plain and residual networks, their costs, and live training. No Streamlit here."""

from .config import ConfigError, ModelConfig, TrainConfig, arch_config
from .models import build_model

__all__ = ["ConfigError", "ModelConfig", "TrainConfig", "arch_config", "build_model"]
