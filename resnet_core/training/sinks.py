"""Where a training run's metrics go: the engine writes every record to a sink and never asks
which one it is.

MemorySink keeps the records and hands them back on the result (a notebook, a test, the CLI
without a store). StoreSink batches them into the run store: one SQLite transaction per step
would cost more than a small net's step; one per quarter second keeps writes cheap and a live
chart at most half a second behind.
"""

from __future__ import annotations

import time
from typing import Protocol

from resnet_core import settings

# RESNET_EXPLORER_FLUSH_SECONDS=0 writes every step (tests that follow a run step by step).
FLUSH_STEPS = 500   # also flush after this many steps, so a fast GPU run does not pile up


class Sink(Protocol):
    def start(self, *, device: str, layer_names: list[str], stat_names: list[str], total_steps: int,
              precision: str = "fp32") -> None: ...
    def step(self, record) -> None: ...     # a StepRecord
    def eval(self, record) -> None: ...     # an EvalRecord
    def stats(self, record) -> None: ...    # a StatsRecord
    def finish(self, result) -> None: ...   # the TrainResult, once, when the run ends normally
    def close(self) -> None: ...            # always, even when the run raised


class MemorySink:
    """Keeps every record and puts them on the result as `history`, `evals` and `stats`."""

    def __init__(self):
        self.history, self.evals, self.stats_records = [], [], []

    def start(self, **run) -> None:
        pass

    def step(self, record) -> None:
        self.history.append(record)

    def eval(self, record) -> None:
        self.evals.append(record)

    def stats(self, record) -> None:
        self.stats_records.append(record)

    def finish(self, result) -> None:
        result.history, result.evals, result.stats = self.history, self.evals, self.stats_records

    def close(self) -> None:
        pass


class StoreSink:
    """Writes a run's records to the store in small batches; a finished run leaves a checkpoint."""

    def __init__(self, store, run_id: int, flush_seconds: float | None = None):
        self.store, self.run_id = store, run_id
        self.flush_seconds = settings.flush_seconds() if flush_seconds is None else flush_seconds
        self._steps, self._evals, self._stats = [], [], []
        self._last = time.monotonic()

    def start(self, *, device: str, layer_names: list[str], stat_names: list[str], total_steps: int,
              precision: str = "fp32") -> None:
        from resnet_core.store.provenance import library_versions

        # Recorded by the process that trains: its libraries, its GPU, the precision it computes in.
        versions = {**library_versions(device), "precision": precision}
        self.store.start_run(self.run_id, device=device, layer_names=layer_names,
                             stat_names=stat_names, total_steps=total_steps, versions=versions)
        self._last = time.monotonic()

    def step(self, record) -> None:
        self._steps.append(record)
        if len(self._steps) >= FLUSH_STEPS or time.monotonic() - self._last >= self.flush_seconds:
            self.flush()

    def eval(self, record) -> None:
        self._evals.append((record.step, record.test_loss, record.test_acc))

    def stats(self, record) -> None:
        self._stats.append((record.step, record.values))

    def flush(self) -> None:
        if self._steps or self._evals or self._stats:
            self.store.write_batch(self.run_id, self._steps, self._evals, self._stats)
            self._steps, self._evals, self._stats = [], [], []
        self._last = time.monotonic()

    def finish(self, result) -> None:
        """Last metrics, the outcome, and for a finished run a checkpoint for the other pages."""
        self.flush()
        if result.status == "finished":
            self.store.save_checkpoint(self.run_id, result.model)
        self.store.finish_run(
            self.run_id, status=result.status, seconds=result.seconds, steps_done=result.steps_done,
            final_train_loss=_finite(result.final_train_loss), final_train_acc=_finite(result.final_train_acc),
            test_acc=_finite(result.test_acc), error=result.error,
            compile_seconds=getattr(result, "compile_seconds", 0.0))

    def close(self) -> None:
        """Whatever happens, what was recorded reaches the store."""
        try:
            self.flush()
        except Exception:   # the store itself failed; the caller's error is the one to report
            pass


def _finite(value: float) -> float | None:
    return value if value == value and abs(value) != float("inf") else None
