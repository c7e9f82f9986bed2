"""resnet_core: plain and residual networks, their costs, and live training. No Streamlit here."""

from .architectures import arch_config
from .config import ConfigError, ModelConfig, TrainConfig
from .models import build_model

__all__ = ["ConfigError", "ModelConfig", "TrainConfig", "arch_config", "build_model"]
