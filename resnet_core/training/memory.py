"""How much memory a training run will take, and whether the device its runs get can hold it.

    est = estimate(model_cfg, train_cfg, bf16=False)
    est.total            # bytes: weights, gradients, optimizer state, activations, images
    check(model_cfg, train_cfg, room=8 * GB, device="cuda")   # RunTooBig when it cannot fit

What is counted, for one step of training (resnet_core.training.engine):
- the weights and BN buffers, a gradient per weight, and the optimizer's state: SGD with momentum
  keeps one buffer per weight, Adam two;
- the activations autograd keeps for the backward pass. A network is walked once on the meta
  device (shapes only, no memory) and each layer keeps what PyTorch's backward formulas need: a
  convolution, linear layer, BN, leaky ReLU, GELU and average pool their input; ReLU, tanh and
  sigmoid their output; max pooling its input and its indices (int64); dropout a one-byte mask.
  A tensor two layers keep (a ReLU's output is the next convolution's input) is counted once;
  additions, padding, slicing and flattening keep nothing;
- under bf16 autocast (CUDA, compute capability 8.0+; training/gpu.py) every activation is a
  bf16 tensor (2 bytes instead of 4), the convolutions and linear layers also keep bf16 copies of
  their weights, and the fp32 batch stays beside its bf16 copy;
- the largest gradient tensors alive at once in the backward pass (taken as three of the
  largest activation), or the final evaluation's batches of 1024 held-out images without
  gradients, whichever is larger;
- the prepared images (resnet_core.data.budget.data_bytes: float32, train and test) and the
  engine's copy of up to 4,096 held-out images for its evaluations.
Not counted: the CUDA context (outside PyTorch's allocator), cuDNN's and cuBLAS's workspaces
(inside it, so max_memory_allocated shows what they add), allocator fragmentation, and
torch.compile's buffers. tests/test_memory.py checks the estimate
against PyTorch's own allocation on the CPU; bench/gpu_check.py against max_memory_allocated.
No Streamlit here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from resnet_core.data.budget import GB, data_bytes
from resnet_core import settings
from resnet_core.messages import ConfigError, apart, first_stage_channels
from resnet_core.nets.config import ModelConfig, TrainConfig

EVAL_BATCH = 1024      # engine.evaluate's batch
EVAL_SUBSET = 4096     # held-out images the engine copies for its evaluations during training
GRADS_IN_FLIGHT = 3    # activation-sized gradients alive at once in the backward pass
# The share of the host's available memory (MemAvailable) one CPU run may take: the web server,
# the other workers and the page cache need the rest.
HOST_SHARE = 0.8
ROOM_ENV = settings.run_memory_gb.env   # a fixed room for one run, in GB (0: no check)

# What each layer keeps for its backward pass: its input, its output, or nothing (not listed).
KEEPS_INPUT = (nn.Conv2d, nn.Linear, nn.BatchNorm2d, nn.LeakyReLU, nn.GELU, nn.AdaptiveAvgPool2d,
               nn.AvgPool2d, nn.MaxPool2d)
KEEPS_OUTPUT = (nn.ReLU, nn.Tanh, nn.Sigmoid)


@dataclass(frozen=True)
class Activations:
    """What one image costs in activations, from one walk of the network."""
    saved_fp32: int      # bytes autograd keeps per image in fp32
    saved_bf16: int      # the same under bf16 autocast, with the fp32 batch beside its copy
    largest_fp32: int    # the largest single activation of one image, fp32 bytes
    weight_copies: int   # bf16 copies of the convolution and linear weights (per step, not per image)
    params: int          # the network's parameters
    buffers: int         # floats in BN's running statistics (held beside the weights)


@dataclass(frozen=True)
class MemoryEstimate:
    weights: int         # parameters and BN buffers
    grads: int           # one gradient per parameter
    optimizer: int       # momentum (SGD) or two moments (Adam)
    activations: int     # kept for the backward pass at the run's batch size
    transient: int       # gradients in flight, or the final evaluation's batches
    data: int            # the prepared images, train and test
    bf16: bool

    @property
    def total(self) -> int:
        return self.weights + self.grads + self.optimizer + self.activations + self.transient + self.data

    @property
    def model(self) -> int:
        """Everything but the images: what the batch, input size, width and depth decide."""
        return self.total - self.data


class RunTooBig(ConfigError):
    """A run that cannot fit in the memory one run gets; the message gives its numbers and what
    to reduce (messages.py: run_memory_gpu / run_memory_cpu)."""

    def __init__(self, est: MemoryEstimate, room: int, model_cfg: ModelConfig, train_cfg: TrainConfig,
                 device: str):
        self.estimate, self.room = est, room
        need, have = apart(est.total / GB, room / GB, (gb(est.total), gb(room)))   # refused: they must differ
        super().__init__(code="run_memory_gpu" if device == "cuda" else "run_memory_cpu",
                         need=need, data=gb(est.data), have=have, batch=train_cfg.batch_size,
                         size=model_cfg.input_size,
                         width=first_stage_channels(model_cfg.base_width, model_cfg.width_mult),
                         depth=model_cfg.depth)


def gb(n: int | float) -> str:
    """GB with one decimal; two significant digits below 1 GB, so a small room does not read as 0.0,
    written out in full ("0.0000029", never "2.9e-06": a few small images beside a huge net)."""
    if n >= 0.95 * GB:
        return f"{n / GB:.1f}"
    return np.format_float_positional(n / GB, precision=2, unique=False, fractional=False, trim="-")


@functools.lru_cache(maxsize=256)
def activations(model_cfg: ModelConfig) -> Activations:
    """Walk the network once on the meta device with one image and add up what each layer keeps."""
    from resnet_core.nets.flops import build_on_meta

    model = build_on_meta(model_cfg).train()
    kept: dict[int, tuple[torch.Tensor, int]] = {}   # id -> (tensor, bytes per element in fp32)
    largest = [0]
    copies = [0]

    def keep(t: torch.Tensor, width: int = 4) -> None:
        kept.setdefault(id(t), (t, width))   # the tensor is held, so its id is not reused

    def record(module, inputs, output):
        x = inputs[0] if inputs else None
        if isinstance(output, torch.Tensor):
            largest[0] = max(largest[0], output.numel() * 4)
        if isinstance(module, KEEPS_INPUT) and isinstance(x, torch.Tensor):
            keep(x)
            if isinstance(module, nn.MaxPool2d):
                keep(torch.empty(output.shape, dtype=torch.int64, device="meta"), 8)   # the indices
        elif isinstance(module, KEEPS_OUTPUT):
            keep(output)
        elif isinstance(module, nn.Dropout) and module.p > 0:
            keep(torch.empty(output.shape, dtype=torch.bool, device="meta"), 1)
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            copies[0] += module.weight.numel() * 2

    leaves = [m for m in model.modules() if next(m.children(), None) is None]
    handles = [m.register_forward_hook(record) for m in leaves]
    norms = [m for m in leaves if isinstance(m, nn.BatchNorm2d)]
    for m in norms:   # the meta BN kernel takes ms a call; its output is a new tensor of one shape
        m.forward = lambda x: torch.empty_like(x)
    x = torch.empty(1, model_cfg.in_channels, model_cfg.input_size, model_cfg.input_size, device="meta")
    try:
        with torch.enable_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
        for m in norms:
            m.__dict__.pop("forward", None)
    fp32 = sum(t.numel() * w for t, w in kept.values())
    floats = sum(t.numel() for t, w in kept.values() if w == 4)
    # bf16: every float activation halves; the batch x (kept by the first layer) stays in fp32
    # beside the bf16 copy the first convolution keeps.
    bf16 = (fp32 - floats * 4) + floats * 2 + x.numel() * 4
    params = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() for b in model.buffers() if b.is_floating_point())
    return Activations(fp32, bf16, largest[0], copies[0], params, buffers)


def dataset_images(train_cfg: TrainConfig) -> int:
    """Images the worker prepares: every image the source holds (both published splits pooled,
    as resnet_core.data.datasets.load_dataset does), capped at max_samples."""
    from resnet_core.data.datasets import INFO

    images = INFO[train_cfg.dataset].images if train_cfg.dataset in INFO else 70000
    return min(images, train_cfg.max_samples) if train_cfg.max_samples else images


def estimate(model_cfg: ModelConfig, train_cfg: TrainConfig, *, bf16: bool = False) -> MemoryEstimate:
    """The peak memory of one training run of `model_cfg` with `train_cfg`, by the rules above."""
    acts = activations(model_cfg)
    params, buffers = acts.params, acts.buffers
    images = dataset_images(train_cfg)
    batch = min(train_cfg.batch_size, max(1, images - round(images * train_cfg.holdout_fraction)))
    eval_batch = min(EVAL_BATCH, max(1, round(images * train_cfg.holdout_fraction)))
    per_image = acts.saved_bf16 if bf16 else acts.saved_fp32
    width = 2 if bf16 else 4
    saved = per_image * batch + (acts.weight_copies if bf16 else 0)
    largest = acts.largest_fp32 * width // 4
    transient = max(GRADS_IN_FLIGHT * largest * batch, GRADS_IN_FLIGHT * largest * eval_batch - saved)
    moments = 2 if train_cfg.optimizer == "adam" else (1 if train_cfg.momentum else 0)
    # The images, and the copy of up to EVAL_SUBSET held-out ones the engine evaluates on.
    held_out = min(EVAL_SUBSET, round(images * train_cfg.holdout_fraction))
    data = data_bytes(images + held_out, model_cfg.in_channels, model_cfg.input_size)
    return MemoryEstimate(weights=(params + buffers) * 4, grads=params * 4, optimizer=moments * params * 4,
                          activations=saved, transient=max(0, transient), data=data, bf16=bf16)


def host_room() -> int | None:
    """Bytes one CPU run may take: HOST_SHARE of the memory the kernel says is available
    (/proc/meminfo's MemAvailable: free memory plus what it can reclaim). None where unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(HOST_SHARE * int(line.split()[1]) * 1024)
    except OSError:
        pass
    return None


def gpu_room(share: float, gpus: list[str] | None = None) -> int | None:
    """Bytes one GPU worker may take: its memory share (set_per_process_memory_fraction) of the
    smallest of `gpus` (CUDA_VISIBLE_DEVICES entries; all visible GPUs when None). The totals are
    read once, from the devices' properties: no memory is allocated in this process."""
    totals = gpu_totals()
    if not totals:
        return None
    picked = [totals[int(g)] for g in gpus or () if g.isdigit() and int(g) < len(totals)] or list(totals)
    return int(share * min(picked))


@functools.lru_cache(maxsize=1)
def gpu_totals() -> tuple[int, ...]:
    """Each visible GPU's memory in bytes; () without CUDA."""
    if not torch.cuda.is_available():
        return ()
    return tuple(torch.cuda.get_device_properties(i).total_memory for i in range(torch.cuda.device_count()))


def fixed_room() -> int | None:
    """RESNET_EXPLORER_RUN_MEMORY_GB, when set: the room a run gets whatever the device (a
    server shared with other programs; tests). None when unset; 0 (no check) for 0."""
    gbs = settings.run_memory_gb()
    if gbs is None:
        return None
    return int(gbs * GB) if gbs > 0 else 0


def room(kind: str, share: float = 1.0, gpus: list[str] | None = None) -> int | None:
    """Bytes one run may take on `kind` ("cuda" or "cpu"): RESNET_EXPLORER_RUN_MEMORY_GB when
    set, else a GPU worker's share (gpu_room) or the host's (host_room). None: unknown."""
    fixed = fixed_room()
    if fixed is not None:
        return fixed
    return gpu_room(share, gpus) if kind == "cuda" else host_room()


def runs_in_bf16(kind: str) -> bool:
    """Whether a run on `kind` here would use bf16 autocast (training/gpu.py's rule), asked of
    the first visible GPU's properties (no CUDA context)."""
    if kind != "cuda" or not torch.cuda.is_available():
        return False
    from resnet_core.training.gpu import use_bf16

    return use_bf16(torch.device("cuda", 0))


def check(model_cfg: ModelConfig, train_cfg: TrainConfig, *, room: int | None, device: str,
          bf16: bool = False) -> MemoryEstimate:
    """The estimate, or RunTooBig when it is above `room` bytes (None: room unknown, no check)."""
    est = estimate(model_cfg, train_cfg, bf16=bf16)
    if room and est.total > room:
        raise RunTooBig(est, room, model_cfg, train_cfg, device)
    return est


def measure_on_gpu(model_cfg: ModelConfig, train_cfg: TrainConfig) -> tuple[MemoryEstimate, int]:
    """(the estimate, the allocator's peak) of a short real run on this process's GPU, from an
    empty dataset cache: how bench/gpu_check.py and tests/test_gpu.py check the rules above."""
    from resnet_core.data import datasets
    from resnet_core.training.engine import train
    from resnet_core.training.gpu import use_bf16

    device = torch.device("cuda")
    while datasets._evict_gpu_dataset():   # the run's images are counted in its peak
        pass
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats(device)
    base = torch.cuda.memory_allocated(device)
    result = train(model_cfg, train_cfg.replace(device="cuda"))
    if result.status != "finished":
        raise RuntimeError(f"the measuring run ended as {result.status}: {result.error}")
    return estimate(model_cfg, train_cfg, bf16=use_bf16(device)), torch.cuda.max_memory_allocated(device) - base
