"""One run for the whole class: a request equal to a run that is queued, running or finished is
served by that run instead of queueing a copy (shared/DESIGN.md, "Identical requests share one run").

A run is identified by everything that decides its result: the model configuration, the training
configuration (recipe, steps, seed, dataset and its folder, device) and the kind of job. Training
is deterministic for a given seed on the CPU (resnet_core.training.engine), so fifty students who
press "train all four" with the page's defaults ask for the same four runs; they get them, once.
Who asked first owns the run (only they, or the teacher, may stop it); the others watch it.

The key is a digest of those configurations as the store writes them (``to_dict``), kept in the
store's ``run_keys`` table beside the run's id. Runs that were cancelled, failed or interrupted
serve nobody: asking again queues a new one. Whom a run served is kept too (``run_watchers``), so
a student who reloads the page still finds the runs that answered their request among their own.
"""

from __future__ import annotations

import hashlib
import json

from resnet_core.nets.config import ModelConfig, TrainConfig

SERVING = ("queued", "running", "finished", "diverged")   # a diverged run is that config's result too


def run_key(model_cfg: ModelConfig, train_cfg: TrainConfig, kind: str = "train") -> str:
    """The identity of a run: equal for two requests exactly when they would compute the same."""
    text = json.dumps({"kind": kind, "model": model_cfg.to_dict(), "train": train_cfg.to_dict()},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def find(store, key: str) -> int | None:
    """The newest run with this key that can serve a request, or None."""
    marks = ",".join("?" * len(SERVING))
    rows = store._query(f"SELECT k.run_id FROM run_keys k JOIN runs r ON r.id = k.run_id WHERE k.key = ?"
                        f" AND r.status IN ({marks}) ORDER BY k.run_id DESC LIMIT 1", (key, *SERVING))
    return int(rows[0][0]) if rows else None


def remember(store, run_id: int, key: str) -> None:
    store._write([("INSERT OR REPLACE INTO run_keys (run_id, key) VALUES (?, ?)", (run_id, key))])


def attach(store, owner: str, run_ids) -> None:
    """`owner`'s request was served by these runs (someone else's): they count among theirs."""
    if owner:
        store._write([("INSERT OR IGNORE INTO run_watchers (owner, run_id) VALUES (?, ?)",
                       [(owner, int(i)) for i in run_ids])])


def watched(store, owner: str, group: str | None = None, limit: int = 100) -> list[int]:
    """Ids of the runs that served `owner`'s requests (of one page's `group`), newest first."""
    sql = "SELECT w.run_id FROM run_watchers w JOIN runs r ON r.id = w.run_id WHERE w.owner = ?"
    params: tuple = (owner,)
    if group is not None:
        sql, params = sql + " AND r.grp = ?", (*params, group)
    return [int(r[0]) for r in store._query(sql + " ORDER BY w.run_id DESC LIMIT ?", (*params, limit))]
