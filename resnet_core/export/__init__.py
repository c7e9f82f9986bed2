"""Take it home: a net or a stored run as one readable PyTorch file, its weights, an ONNX graph,
its metrics, a README and a notebook, as a folder or one zip (`python -m resnet_core export`)."""

from resnet_core.export.bundle import Export, ExportError, export_config, export_run
from resnet_core.export.model_file import model_py

__all__ = ["Export", "ExportError", "export_config", "export_run", "model_py"]
