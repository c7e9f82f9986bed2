"""The executor that runs each job in the calling thread (`slots` at a time): for notebooks,
the CLI, and tests that put a stand-in for the engine. The others are in resnet_core.jobs.executors.
"""

from __future__ import annotations

import threading
from typing import Callable

from resnet_core.jobs.worker import Control, JobSpec, run_job


class InProcess:
    """Jobs run in the runner's own threads (`slots` at a time)."""

    device = "auto"   # this process's own device

    def __init__(self, slots: int = 1, train_fn: Callable | None = None):
        self.slots, self._train = slots, train_fn
        self._stores: dict[str, object] = {}
        self._lock = threading.Lock()

    def run(self, spec: JobSpec, control: Control) -> tuple[str, str]:
        return run_job(spec, self._store(spec.db_path), lambda: control.stopped, train_fn=self._train)

    def _store(self, path: str):
        from resnet_core.store.runs import RunStore  # one per database: its connections are per thread anyway

        with self._lock:
            if path not in self._stores:
                self._stores[path] = RunStore(path)
            return self._stores[path]

    def shutdown(self) -> None:
        pass

    def run_memory(self, kind: str) -> int | None:
        """Bytes one run may take on `kind` ("cuda" or "cpu") here: this process's own device."""
        from resnet_core.training.memory import room

        return room(kind)
