"""Hooks and model state: how every probe, recorder and counter looks inside a network.

Each helper is a context manager that undoes itself on the way out, error or not (cf. fast.ai's
``Hooks``): a page that fails half-way never leaves a model carrying stale hooks, and a probe
gives the model back in the train/eval state (and with the BatchNorm statistics) it found.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator, Sequence

import torch
from torch import nn

from resnet_core.nets.config import ConfigError


@contextmanager
def hooked(modules: Sequence[tuple[str, nn.Module]],
           fn: Callable[[str, nn.Module, tuple, torch.Tensor], object]) -> Iterator[None]:
    """Call ``fn(name, module, inputs, output)`` after each module's forward, inside the block
    only; a value ``fn`` returns replaces the module's output. The hooks go away on exit, also
    when the block raises."""
    handles = []
    try:
        for name, module in modules:
            # Bind the name now, not when the hook runs.
            handles.append(module.register_forward_hook(
                lambda m, inp, out, _name=name: fn(_name, m, inp, out)))
        yield
    finally:
        for handle in handles:
            handle.remove()


def find_modules(model: nn.Module, names: Sequence[str]) -> list[tuple[str, nn.Module]]:
    """The named submodules, or a ConfigError naming the first that does not exist."""
    modules = dict(model.named_modules())
    for name in names:
        if name not in modules or name == "":
            raise ConfigError(code="no_layer", value=repr(name))
    return [(name, modules[name]) for name in names]


@contextmanager
def capture(model: nn.Module, names: Sequence[str], *, detach: bool = True) -> Iterator[dict]:
    """Record the outputs of the named modules while the block runs: ``{name: tensor}``."""
    outputs: dict[str, torch.Tensor] = {}

    def store(name, module, inputs, output):
        outputs[name] = output.detach() if detach else output

    with hooked(find_modules(model, names), store):
        yield outputs


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[None]:
    """Eval mode inside the block, then each module's own flag back (a mixed state included)."""
    flags = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for m, flag in flags:
            m.training = flag


@contextmanager
def inference_state(model: nn.Module, *, batch_stats: bool = False) -> Iterator[None]:
    """Eval mode inside the block; with ``batch_stats`` BatchNorm normalises with the batch's
    own statistics, as in training. Flags and BN buffers are restored on exit (batch statistics
    would otherwise update the running ones)."""
    buffers = [(b, b.clone()) for b in model.buffers()]
    try:
        with eval_mode(model):
            if batch_stats:
                for m in model.modules():
                    if isinstance(m, nn.modules.batchnorm._BatchNorm):
                        m.train()
            yield
    finally:
        with torch.no_grad():
            for buf, saved in buffers:
                buf.copy_(saved)


def model_device(model: nn.Module) -> torch.device:
    """Where the model's parameters live (the CPU for a model without any)."""
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")
