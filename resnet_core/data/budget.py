"""What a prepared dataset weighs, and how much of a GPU the datasets may hold.

A worker keeps the datasets it has prepared, so the next run on the same images starts at once.
On a GPU that cache is bounded by bytes, not by count: CIFAR-10 takes 0.74 GB at 32 px but
11.8 GB at 128 px, and 36 GB at 224 px. Before a dataset is prepared on a GPU, older ones are
dropped (least recently used first) until it fits in its share of the free memory; one that
cannot fit even alone is refused with what to reduce, before a single image is decoded.
"""

from __future__ import annotations

from typing import Callable

import torch

from resnet_core import settings
from resnet_core.messages import ConfigError, apart

GB = 1024 ** 3
# The share of a GPU's free memory that the images may take: the net, its gradients, the
# optimizer's state and the activations of a batch need the rest.
CHUNK = 4096   # images per slice when a large dataset's statistics are summed in float64
WHOLE = 64 * 2 ** 20   # pixels up to which they are summed in one float64 copy (512 MB)


def data_bytes(images: int, channels: int, size: int) -> int:
    """float32 pixels of `images` images plus their int64 labels, as held on the device."""
    return images * (channels * size * size * 4 + 8)


def gpu_free(device: torch.device) -> int:
    """Bytes this process may still allocate on `device`: the driver's free memory plus what
    PyTorch's cache holds unused, within this worker's share (set_per_process_memory_fraction)."""
    free, total = torch.cuda.mem_get_info(device)
    cached = torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
    share = torch.cuda.get_per_process_memory_fraction(device) if hasattr(
        torch.cuda, "get_per_process_memory_fraction") else 1.0
    mine = int(total * share) - torch.cuda.memory_allocated(device)
    return max(0, min(free + cached, mine))


def make_room(name: str, size: int, needed: int, *, free: Callable[[], int],
              evict: Callable[[], bool]) -> None:
    """Evict cached datasets until `needed` bytes fit in settings.gpu_data_share() of `free()`; refuse the
    dataset (a ConfigError naming what to reduce) when even an empty cache leaves too little."""
    share = settings.gpu_data_share()
    while needed > share * free():
        if not evict():
            room = share * free()
            need, have = apart(needed / GB, room / GB, (f"{needed / GB:.1f}", f"{room / GB:.1f}"))
            raise ConfigError(code="gpu_data", dataset=name, size=size, need=need, have=have)


def release() -> None:
    """Hand an evicted dataset's memory back to the driver, so that `gpu_free` sees it."""
    if torch.cuda.is_initialized():
        torch.cuda.empty_cache()


def channel_stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and std of (N, C, H, W) images, summed in float64 and then rounded: a
    float32 sum's order depends on the thread count, and a last-bit change here would change
    every normalised pixel and so every trained weight. Large sets are summed in slices, so the
    float64 copy is a slice's, not the whole set's (CIFAR-10 at 128 px: 23 GB)."""
    if x.numel() <= WHOLE:
        wide = x.double()
        return wide.mean(dim=(0, 2, 3)).float(), wide.std(dim=(0, 2, 3)).float().clamp(min=1e-3)
    n = x.shape[0] * x.shape[2] * x.shape[3]
    total = sum(x[i:i + CHUNK].double().sum(dim=(0, 2, 3)) for i in range(0, x.shape[0], CHUNK))
    mean = total / n
    squares = sum(((x[i:i + CHUNK].double() - mean.view(1, -1, 1, 1)) ** 2).sum(dim=(0, 2, 3))
                  for i in range(0, x.shape[0], CHUNK))
    return mean.float(), (squares / (n - 1)).sqrt().float().clamp(min=1e-3)
