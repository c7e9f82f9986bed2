"""Where a run was trained: what the store records with it, so a figure can be explained later
(STYLE 11), and whether the process that owns a run is still there.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform

import numpy as np
import torch


def library_versions() -> dict:
    """Python, torch, torchvision and numpy versions, the platform, CPUs and threads, and the GPU
    when there is one: the things that change a run's speed or its numbers."""
    out = {"python": platform.python_version(), "torch": torch.__version__,
           "torchvision": _installed("torchvision"), "numpy": np.__version__,
           "platform": platform.platform(), "cpus": os.cpu_count(), "threads": torch.get_num_threads()}
    if torch.cuda.is_available():
        out["cuda"] = torch.version.cuda
        out["gpu"] = torch.cuda.get_device_name()
    return out


def _installed(package: str) -> str:
    try:   # the installed version without importing the package (torchvision takes a second)
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return ""


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host (a run's owner, see RunStore.mark_interrupted)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:   # e.g. EPERM: exists, someone else's
        return True
    return True
