"""What a GPU can do and what went wrong on it: the precision a run uses, the memory a worker
may take, and whether an error ends only the run (out of memory) or the whole worker (a fatal
CUDA error leaves the process's CUDA context unusable, so every later job would fail too).

Nothing here starts CUDA on a machine that has no GPU, and a CPU run never asks the driver
anything.
"""

from __future__ import annotations

import os

import torch

from resnet_core import settings

# bf16 autocast pays only where the tensor cores run bf16 natively: compute capability 8.0
# (Ampere) and newer. Older cards (T4 is 7.5) report bf16 as supported through emulation, and
# their convolutions then run slower than in fp32.
BF16_MIN_CAPABILITY = (8, 0)


def device_name(device: torch.device | str) -> str:
    """The one name a device goes by in results and in the store: "cpu" or "cuda" (a worker
    sees only its own GPU, so the index says nothing)."""
    return torch.device(device).type


def use_bf16(device: torch.device) -> bool:
    """bf16 autocast for this run: on CUDA devices of compute capability 8.0 or newer only.
    RESNET_EXPLORER_BF16=0 turns it off everywhere (fp32, with TF32 convolutions)."""
    if device.type != "cuda" or not settings.bf16():
        return False
    return torch.cuda.get_device_capability(device) >= BF16_MIN_CAPABILITY


def precision(device: torch.device, bf16: bool) -> str:
    """What a run's convolutions compute in, as recorded with the run: bf16, tf32 or fp32."""
    if bf16:
        return "bf16"
    if device.type == "cuda" and torch.backends.cudnn.allow_tf32:
        return "tf32"
    return "fp32"


def is_out_of_memory(err: BaseException) -> bool:
    return isinstance(err, torch.OutOfMemoryError)


def is_fatal(err: BaseException) -> bool:
    """A CUDA error after which this process's GPU context cannot be trusted (an illegal address,
    a device-side assert, a lost device). Out of memory is not one: the worker frees its cache
    and goes on."""
    if is_out_of_memory(err):
        return False
    if isinstance(err, getattr(torch, "AcceleratorError", ())):
        return True
    text = str(err)
    return isinstance(err, RuntimeError) and ("CUDA error" in text or "device-side assert" in text)


def free_cache() -> None:
    """Hand the memory the caching allocator holds back to the driver, so the next run (or the
    worker sharing this GPU) starts from an empty GPU."""
    if torch.cuda.is_initialized():
        torch.cuda.empty_cache()


def limit_memory(fraction: float) -> None:
    """Cap this process at `fraction` of its GPU's memory, so that two workers sharing a GPU
    cannot take each other's share: the one that overreaches gets the out-of-memory error."""
    if 0 < fraction < 1 and torch.cuda.is_available():
        torch.cuda.set_per_process_memory_fraction(fraction)


def visible_gpus() -> list[str]:
    """The GPUs this process may hand to workers, as CUDA_VISIBLE_DEVICES entries."""
    listed = os.environ.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        return [g.strip() for g in listed.split(",") if g.strip()]
    return [str(i) for i in range(torch.cuda.device_count())]


def worker_gpus(workers: int, gpus: list[str]) -> list[str]:
    """Which GPU each of `workers` workers gets: round robin, so that every GPU is used before
    any gets a second worker."""
    if not gpus:
        return []
    return [gpus[i % len(gpus)] for i in range(workers)]
