"""resnet_core: plain and residual networks, their costs, and live training. No Streamlit here."""

from resnet_core.nets.architectures import arch_config
from resnet_core.nets.config import ConfigError, ModelConfig, TrainConfig
from resnet_core.nets.models import build_model

__all__ = ["ConfigError", "ModelConfig", "TrainConfig", "arch_config", "build_model"]
