"""What a training run gives back: a record per step, per evaluation and per statistics
sample (which the engine hands to its sink as they happen), and the run's result at its end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import nn


@dataclass
class StepRecord:
    step: int                  # 1-based: the number of updates made so far
    loss: float                # cross-entropy of this step's training batch
    acc: float                 # accuracy on this step's training batch
    lr: float
    grad_norms: list[float]    # one per conv/linear weight, in weight_layers(model) order
    seconds: float             # since the first step began
    total_steps: int = 0


@dataclass
class EvalRecord:
    step: int
    test_loss: float
    test_acc: float


@dataclass
class StatsRecord:
    step: int
    values: list[list[float]]  # per activation module: mean, std, zero fraction


@dataclass
class TrainResult:
    final_train_loss: float    # mean over the last 10% of steps (one batch is too noisy)
    final_train_acc: float     # likewise
    test_acc: float            # held-out accuracy at the end (nan if the run diverged first)
    test_loss: float
    steps_done: int
    total_steps: int
    status: str                # finished, diverged or cancelled
    seconds: float             # wall time of the whole call, data loading included
    model: nn.Module
    device: str                # "cpu" or "cuda", as the store records it
    layer_names: list[str]
    stat_names: list[str]
    error: str = ""
    precision: str = "fp32"    # what the convolutions computed in: bf16, tf32 or fp32
    compile_seconds: float = 0.0   # torch.compile's first call, inside `seconds`
    history: list[StepRecord] = field(default_factory=list)   # filled by a MemorySink only
    evals: list[EvalRecord] = field(default_factory=list)
    stats: list[StatsRecord] = field(default_factory=list)
