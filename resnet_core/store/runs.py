"""Runs and their metrics in SQLite (WAL mode), checkpoints as safetensors beside the database.

A run keeps its provenance: both configs, seed, device, library versions, wall time and owner,
so a figure can be redrawn and explained later. Per-step scalars live in a compact table keyed by
(run, step), the per-layer gradient-norm vectors in a second table, so a live chart reading the
loss never touches the vectors. WAL lets pages read while the worker writes.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
from pathlib import Path
from typing import Sequence

import torch
from torch import nn

from resnet_core import settings
from resnet_core.messages import code_of, message
from resnet_core.nets.config import ModelConfig, TrainConfig
from resnet_core.store import checkpoints
from resnet_core.store import migrate
from resnet_core.store.metrics import Metrics
from resnet_core.store.schema import (RUN_COLUMNS, SCHEMA, EvalColumns, RunInfo, RunNotFound, StatColumns, StepColumns,
                                      experiment_id, run_info)
from resnet_core.store.provenance import library_versions, pid_alive

__all__ = ["RunStore", "RunInfo", "RunNotFound", "StepColumns", "EvalColumns", "StatColumns",
           "default_db_path", "STATUSES", "TERMINAL"]

TERMINAL = ("finished", "diverged", "cancelled", "failed", "interrupted")
STATUSES = ("queued", "running") + TERMINAL


def _coded(reason: str) -> tuple[str, str]:
    """The code and values (JSON) a reason carries, for the columns beside its sentence."""
    code, values = code_of(reason)
    return code, json.dumps(values)


def default_db_path() -> Path:
    return settings.db_path()


class RunStore(Metrics):
    """Thread-safe: each thread gets its own connection; writes take one in-process lock."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path).expanduser() if path else default_db_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.checkpoint_dir = self.path.parent / f"{self.path.stem}.checkpoints"
        self._local = threading.local()
        self._write_lock = threading.Lock()
        with self._write_lock:
            conn = self._conn()
            # WAL, the tables, and the upgrade of a store an older version wrote (newer columns,
            # experiments), safe when several processes open the store at once
            migrate.open_store(conn, SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        # One connection per thread; it closes when its thread ends and the local is dropped.
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            conn.execute("PRAGMA synchronous=NORMAL")   # durable at checkpoints; safe with WAL
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    def _write(self, sql_calls: Sequence[tuple[str, tuple | list[tuple]]]) -> None:
        """Statements in one transaction; a list of parameter tuples means executemany."""
        with self._write_lock:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                for sql, params in sql_calls:
                    if isinstance(params, list):
                        conn.executemany(sql, params)
                    else:
                        conn.execute(sql, params)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return self._conn().execute(sql, params).fetchall()

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # --- runs ---------------------------------------------------------------------------

    def create_run(self, model_cfg: ModelConfig, train_cfg: TrainConfig, *, owner: str = "",
                   label: str = "", group: str = "", status: str = "queued",
                   estimate_s: float | None = None, guess_s: float | None = None,
                   experiment: str | None = None, display_name: str = "") -> int:
        """A new run. `experiment`: the id of the experiment it joins; None starts a new one,
        whose id follows from this run's (schema.experiment_id)."""
        with self._write_lock:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")   # no reader sees the run before it has its experiment
            try:
                cur = conn.execute(
                    "INSERT INTO runs (created, status, owner, label, grp, model_cfg, train_cfg, seed, host, pid,"
                    " estimate_s, guess_s, experiment, display_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (time.time(), status, owner, label, group, json.dumps(model_cfg.to_dict()),
                     json.dumps(train_cfg.to_dict()), train_cfg.seed, socket.gethostname(), os.getpid(),
                     estimate_s, guess_s, experiment or "", display_name))
                run_id = int(cur.lastrowid)
                if not experiment:
                    conn.execute("UPDATE runs SET experiment=? WHERE id=?", (experiment_id(run_id), run_id))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return run_id

    def timings(self, limit: int = 30) -> list[tuple[str, float, float]]:
        """(device, uncorrected estimate, measured seconds) of the newest finished runs that
        had an estimate: what resnet_core.training.costs learns this server's speed from."""
        return self._query("SELECT device, guess_s, seconds FROM runs WHERE status='finished'"
                           " AND guess_s IS NOT NULL AND seconds > 0 ORDER BY id DESC LIMIT ?", (limit,))

    def cost_samples(self, limit: int = 30) -> list[tuple[str, ModelConfig, TrainConfig, int, float]]:
        """(device, model config, train config, steps done, seconds of training) of the newest
        finished runs that had an estimate, torch.compile's time taken out: what
        resnet_core.training.costs fits this server's per-layer and per-MAC costs to."""
        rows = self._query("SELECT device, model_cfg, train_cfg, steps_done, seconds, versions FROM runs"
                           " WHERE status='finished' AND guess_s IS NOT NULL AND seconds > 0"
                           " AND steps_done > 0 ORDER BY id DESC LIMIT ?", (limit,))
        out = []
        for device, mcfg, tcfg, steps, seconds, versions in rows:
            compiled = json.loads(versions or "{}").get("compile_seconds", 0.0)
            try:
                out.append((device, ModelConfig.from_dict(json.loads(mcfg)),
                            TrainConfig.from_dict(json.loads(tcfg)), steps, seconds - compiled))
            except Exception:   # written by a version whose configs this one cannot read
                continue
        return out

    def owner_number(self, owner: str) -> int:
        """1 for the first owner who ran anything in this store, 2 for the next...: a stable
        way to call someone "student 3" without showing their id; 0 for an owner with no runs."""
        rows = self._query("SELECT COUNT(DISTINCT owner) FROM runs WHERE owner != '' AND id <="
                           " (SELECT MIN(id) FROM runs WHERE owner=?)", (owner,))
        return int(rows[0][0]) if rows else 0

    def start_run(self, run_id: int, *, device: str, layer_names: list[str], stat_names: list[str],
                  total_steps: int, versions: dict | None = None) -> None:
        """`versions`: the libraries of the machine that trains, when it is not this one; host
        and pid stay this process's, which owns the run (see mark_interrupted)."""
        self._write([(
            "UPDATE runs SET status='running', started=?, device=?, versions=?, host=?, pid=?,"
            " layer_names=?, stat_names=?, total_steps=? WHERE id=?",
            (time.time(), device, json.dumps(versions or library_versions()), socket.gethostname(), os.getpid(),
             json.dumps(layer_names), json.dumps(stat_names), total_steps, run_id))])

    def set_status(self, run_id: int, status: str, error: str = "") -> None:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)} (got {status!r})")
        finished = time.time() if status in TERMINAL else None
        self._write([("UPDATE runs SET status=?, error=?, error_code=?, error_values=?,"
                      " finished=COALESCE(?, finished) WHERE id=?",
                      (status, error, *_coded(error), finished, run_id))])

    def finish_run(self, run_id: int, *, status: str, seconds: float, steps_done: int,
                   final_train_loss: float, final_train_acc: float, test_acc: float, error: str = "",
                   compile_seconds: float = 0.0) -> None:
        """`compile_seconds`: torch.compile's share of `seconds`, kept in the run's provenance so
        that the cost estimate learns from training time alone (see training/costs.py)."""
        writes = [(
            "UPDATE runs SET status=?, finished=?, seconds=?, steps_done=?, final_train_loss=?,"
            " final_train_acc=?, test_acc=?, error=?, error_code=?, error_values=? WHERE id=?",
            (status, time.time(), seconds, steps_done, final_train_loss, final_train_acc, test_acc,
             error, *_coded(error), run_id))]
        if compile_seconds:
            writes.append(("UPDATE runs SET versions=json_set(versions, '$.compile_seconds', ?) WHERE id=?",
                           (round(compile_seconds, 3), run_id)))
        self._write(writes)

    def set_progress(self, run_id: int, done: int, total: int) -> None:
        """Progress of a run whose steps are not training steps (an analysis task)."""
        self._write([("UPDATE runs SET steps_done=?, total_steps=? WHERE id=?", (done, total, run_id))])

    # --- analysis tasks: a run row for progress and status, and a JSON result -------------------

    def create_task(self, name: str, params: dict, model_cfg: ModelConfig, train_cfg: TrainConfig, *,
                    owner: str = "", label: str = "", group: str = "", display_name: str = "") -> int:
        run_id = self.create_run(model_cfg, train_cfg, owner=owner, label=label, group=group,
                                 display_name=display_name)
        self._write([("INSERT INTO tasks (run_id, name, params) VALUES (?, ?, ?)",
                      (run_id, name, json.dumps(params)))])
        return run_id

    def save_result(self, run_id: int, result: dict) -> None:
        self._write([("UPDATE tasks SET result=? WHERE run_id=?", (json.dumps(result), run_id))])

    def task_ids(self, run_ids: list[int]) -> set[int]:
        """Which of `run_ids` are analysis tasks, not trained nets."""
        ids = [int(i) for i in run_ids]
        if not ids:
            return set()
        rows = self._query(f"SELECT run_id FROM tasks WHERE run_id IN ({','.join('?' * len(ids))})", tuple(ids))
        return {int(r[0]) for r in rows}

    def result(self, run_id: int) -> dict | None:
        """A task's result, None while it has none (still running, failed, or not a task)."""
        rows = self._query("SELECT result FROM tasks WHERE run_id=?", (run_id,))
        return json.loads(rows[0][0]) if rows and rows[0][0] is not None else None

    def get_run(self, run_id: int) -> RunInfo:
        rows = self._query(f"SELECT {RUN_COLUMNS} FROM runs WHERE id=?", (run_id,))
        if not rows:
            raise RunNotFound(f"no run with id {run_id} in {self.path}")
        return run_info(rows[0])

    def list_runs(self, owner: str | None = None, group: str | None = None, status: str | None = None,
                  limit: int = 100, experiment: str | None = None, nets_only: bool = False) -> list[RunInfo]:
        """Newest first. `nets_only` leaves out analysis tasks' rows (their model settings are a
        placeholder: no net was built or trained)."""
        where, params = [], []
        for column, value in (("owner", owner), ("grp", group), ("status", status), ("experiment", experiment)):
            if value is not None:
                where.append(f"{column}=?")
                params.append(value)
        if nets_only:
            where.append("id NOT IN (SELECT run_id FROM tasks)")
        sql = f"SELECT {RUN_COLUMNS} FROM runs" + (" WHERE " + " AND ".join(where) if where else "")
        return [run_info(r) for r in self._query(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))]

    def mark_interrupted(self) -> list[int]:
        """At start-up: runs left queued or running by a process that is gone are marked
        interrupted (their metrics stay). Runs of live processes on this host are left alone."""
        host = socket.gethostname()
        rows = self._query("SELECT id, host, pid FROM runs WHERE status IN ('queued', 'running')")
        dead = [rid for rid, h, pid in rows
                if h == host and pid != os.getpid() and not pid_alive(pid)]
        if dead:
            stopped = (message("process_stopped"), "process_stopped", "{}")
            self._write([("UPDATE runs SET status='interrupted', finished=?, error=?, error_code=?, error_values=?"
                          " WHERE id=?",
                          [(time.time(), *stopped, rid) for rid in dead])])
        return dead

    # --- checkpoints ------------------------------------------------------------------------

    def _checkpoint_stem(self, run_id: int) -> Path:
        return self.checkpoint_dir / f"run-{run_id}"

    def save_checkpoint(self, run_id: int, model: nn.Module) -> Path:
        info = self.get_run(run_id)
        path = checkpoints.save_model(model, info.model_cfg, self._checkpoint_stem(run_id),
                                      extra={"run_id": run_id, "train_cfg": info.train_cfg.to_dict()})
        self._write([("UPDATE runs SET checkpoint=? WHERE id=?", (path.name, run_id))])
        return path

    def save_checkpoint_bytes(self, run_id: int, weights: bytes) -> Path:
        """A checkpoint from safetensors bytes trained elsewhere (a Ray worker), written
        atomically like `save_checkpoint`."""
        info = self.get_run(run_id)
        path = checkpoints.save_weights(weights, info.model_cfg, self._checkpoint_stem(run_id),
                                        extra={"run_id": run_id, "train_cfg": info.train_cfg.to_dict()})
        self._write([("UPDATE runs SET checkpoint=? WHERE id=?", (path.name, run_id))])
        return path

    def checkpoint_bytes(self, run_id: int) -> bytes:
        """A run's safetensors weights as bytes (sent to a Ray worker that studies the net)."""
        return self._checkpoint_stem(run_id).with_suffix(".safetensors").read_bytes()

    def load_model(self, run_id: int, device: str | torch.device = "cpu") -> nn.Module:
        if not self.get_run(run_id).has_checkpoint:
            raise FileNotFoundError(f"run {run_id} has no checkpoint (only finished runs leave one)")
        return checkpoints.load_model(self._checkpoint_stem(run_id), device)
