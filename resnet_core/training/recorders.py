"""What the engine measures inside a training step, without stalling it.

GradNormRecorder: the gradient norm of every conv and linear weight, every step, as one tensor
(l2_norms: torch._foreach_norm over all the grads, one kernel launch per group, not per layer, and
no host sync; the engine copies the vector to the host once, together with the loss).

ActivationRecorder: per activation module, the mean, std and fraction of exact zeros of its
output (after a ReLU, the share of dead units) -- captured by hooks during the step's own forward
pass, so it costs no extra forward, and the hooks always remove themselves.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch
from torch import nn

from resnet_core.nets.blocks import named_activations
from resnet_core.nets.hooks import hooked
from resnet_core.nets.models import weight_layers


def l2_norms(tensors) -> torch.Tensor:
    """Each tensor's L2 norm as one float64 tensor, on the tensors' device.

    Accumulated in float64: the squares of float32 values below about 1e-23 fall under float32's
    range, so a float32 norm reads exactly 0 for a gradient that is not 0. Sigmoid plain-56's
    first layers hold gradients near 1e-31 (bench/bench_probes.py): in float32 their norm was 0,
    as if nothing arrived. A norm of 0 here means every value is 0. `dtype=` widens each value as
    the reduction reads it, with no float64 copy of each tensor, and gives the same bits as the
    norms of float64 copies (tests/test_engine.py). On the CPU (one thread, 16x16, batch 32) it
    takes 7-10% less time than the copies (ResNet-20 165 against 177 us, plain-56 565 against
    621 us), well under 1% of a training step either way (bench/bench_grad_norms.py).
    """
    return torch.stack(torch._foreach_norm(list(tensors), 2, dtype=torch.float64))


class GradNormRecorder:
    """L2 norm of each weight layer's gradient, in `weight_layers(model)` order."""

    def __init__(self, model: nn.Module):
        layers = weight_layers(model)
        self.names = [name for name, _ in layers]
        self.weights = [m.weight for _, m in layers]

    def record(self) -> torch.Tensor:
        """A (layers,) float32 tensor on the model's device; a layer with no gradient reads 0."""
        grads = [w.grad for w in self.weights]
        if any(g is None for g in grads):
            grads = [torch.zeros_like(w) if g is None else g for w, g in zip(self.weights, grads)]
        return l2_norms(grads).float()


class ActivationRecorder:
    """Use `with rec.capture() as out:` around a forward pass; afterwards `out.stats` is a
    (layers, 3) tensor of mean, std and zero fraction, or None if no layer ran."""

    FIELDS = ("mean", "std", "zero_frac")

    def __init__(self, model: nn.Module):
        self.modules = named_activations(model)
        self.names = [name for name, _ in self.modules]

    class Capture:
        stats: torch.Tensor | None = None

    @contextmanager
    def capture(self) -> Iterator["ActivationRecorder.Capture"]:
        captured: dict[str, torch.Tensor] = {}
        out = self.Capture()

        def measure(name, module, inputs, output):
            y = output.detach().float()
            captured[name] = torch.stack([y.mean(), y.std(), (y == 0).float().mean()])

        with hooked(self.modules, measure):
            yield out
        if captured:
            device = next(iter(captured.values())).device
            skipped = torch.full((3,), float("nan"), device=device)   # a module this pass did not run
            out.stats = torch.stack([captured.get(name, skipped) for name in self.names])
