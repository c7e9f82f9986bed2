"""A bound on the store's checkpoint disk: the oldest unpinned checkpoints are dropped first.

A school day leaves hundreds of finished runs, each with a checkpoint (a ResNet-56 on digits is
about 3.5 MB; a ResNet-18 on 224x224 input, 45 MB). `prune` keeps the checkpoint folder within
``RESNET_EXPLORER_MAX_CHECKPOINT_MB`` (default 2048; 0: no bound) by dropping checkpoints of runs
that ended longest ago. The run itself, its metrics and its curves stay; only its trained weights
go, so pages that study a trained net (lesion, features, attribution...) no longer offer it.

Never dropped ("pinned"):
- the shipped checkpoints in assets/checkpoints (not in the store's folder at all);
- runs the teacher pinned (the teacher's controls; the ``pinned`` column);
- runs a page has shown in the last SHOWN_FOR_S seconds (``SHOWN``, noted by the web process);
- runs that are queued or running, and analysis tasks' runs while they wait or run (their nets
  are read when they start).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from resnet_core import settings

log = logging.getLogger(__name__)

SHOWN_FOR_S = 900.0     # a lesson's page stays open a quarter of an hour without being read again
MB = 1024 * 1024


def max_bytes() -> int | None:
    """The bound in bytes (settings.max_checkpoint_mb); None when there is none (0)."""
    mb = settings.max_checkpoint_mb()
    return int(mb * MB) if mb > 0 else None


class Shown:
    """The runs pages have shown recently, with when (thread-safe; one per web process)."""

    def __init__(self, keep_s: float = SHOWN_FOR_S, clock=time.monotonic):
        self.keep_s = keep_s
        self.clock = clock   # tests pass a clock they move by hand
        self._at: dict[int, float] = {}
        self._lock = threading.Lock()

    def note(self, run_ids) -> None:
        now = self.clock()
        with self._lock:
            for rid in run_ids:
                self._at[int(rid)] = now

    def recent(self) -> set[int]:
        cutoff = self.clock() - self.keep_s
        with self._lock:
            for rid in [r for r, at in self._at.items() if at < cutoff]:   # the dict stays small
                del self._at[rid]
            return set(self._at)


SHOWN = Shown()


@dataclass(frozen=True)
class Kept:
    """One checkpoint in the store's folder."""
    run_id: int
    label: str
    owner: str
    display_name: str
    ended: float          # when the run ended (its age decides what goes first)
    size: int             # bytes of its weights and config
    pinned: bool          # by the teacher
    shown: bool           # by a page, recently


def kept(store, shown: set[int] | None = None) -> list[Kept]:
    """Every run whose checkpoint is on disk, oldest first."""
    shown = SHOWN.recent() if shown is None else shown
    rows = store._query("SELECT id, label, owner, display_name, COALESCE(finished, created), pinned FROM runs"
                        " WHERE checkpoint != '' ORDER BY COALESCE(finished, created), id")
    out = []
    for rid, label, owner, name, ended, pinned in rows:
        stem = store._checkpoint_stem(rid)
        size = sum(p.stat().st_size for p in (stem.with_suffix(".safetensors"), stem.with_suffix(".json"))
                   if p.exists())
        out.append(Kept(rid, label, owner, name, ended, size, bool(pinned), rid in shown))
    return out


def _busy(store) -> set[int]:
    # Runs still queued or running, and the runs that waiting or running tasks will read.
    import json

    busy = set()
    for rid, params in store._query("SELECT r.id, t.params FROM runs r LEFT JOIN tasks t ON t.run_id = r.id"
                                    " WHERE r.status IN ('queued', 'running')"):
        busy.add(rid)
        try:
            found = json.loads(params or "{}")
        except ValueError:
            continue
        for value in found.values():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, int):
                    busy.add(item)
    return busy


def prune(store, limit: int | None, shown: set[int] | None = None) -> list[int]:
    """Drop the oldest unpinned checkpoints until the folder holds at most `limit` bytes;
    returns the runs whose checkpoints went (oldest first). None: no bound, nothing goes."""
    if limit is None:
        return []
    every = kept(store, shown)
    total = sum(k.size for k in every)
    if total <= limit:
        return []
    keep = _busy(store)
    dropped = []
    for k in every:
        if total <= limit:
            break
        if k.pinned or k.shown or k.run_id in keep:
            continue
        drop(store, k.run_id)
        total -= k.size
        dropped.append(k.run_id)
    if dropped:
        log.info("checkpoint folder over %.0f MB: dropped the checkpoints of runs %s", limit / MB, dropped)
    return dropped


def drop(store, run_id: int) -> None:
    """Forget a run's checkpoint: the store stops offering it first, then the files go."""
    store._write([("UPDATE runs SET checkpoint='' WHERE id=?", (run_id,))])
    stem = store._checkpoint_stem(run_id)
    for path in (stem.with_suffix(".safetensors"), stem.with_suffix(".json")):
        path.unlink(missing_ok=True)


def set_pinned(store, run_id: int, pinned: bool) -> None:
    """The teacher pins a run's checkpoint (never dropped) or lets it go again."""
    store._write([("UPDATE runs SET pinned=? WHERE id=?", (int(bool(pinned)), run_id))])
