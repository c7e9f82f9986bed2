"""Where a run was trained: what the store records with it, so a figure can be explained later
(a run carries its provenance), and whether the process that owns a run is still there.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform

import numpy as np
import torch


def library_versions(device: str = "cpu") -> dict:
    """Python, torch, torchvision and numpy versions, the platform, CPUs and threads, and for a
    run on a GPU the GPU: the things that change a run's speed or its numbers. A CPU run never
    asks the driver (that would start a CUDA context, hundreds of MB of GPU memory, for a name)."""
    out = {"python": platform.python_version(), "torch": torch.__version__,
           "torchvision": _installed("torchvision"), "numpy": np.__version__,
           "platform": platform.platform(), "cpus": os.cpu_count(), "threads": torch.get_num_threads()}
    if str(device).startswith("cuda") and torch.cuda.is_available():
        out["cuda"] = torch.version.cuda
        out["gpu"] = torch.cuda.get_device_name()
        out["capability"] = ".".join(map(str, torch.cuda.get_device_capability()))
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
