"""The run store's tables and the records read back from them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from resnet_core.nets.config import ModelConfig, TrainConfig

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL, started REAL, finished REAL,
    status TEXT NOT NULL, owner TEXT NOT NULL, label TEXT NOT NULL, grp TEXT NOT NULL,
    model_cfg TEXT NOT NULL, train_cfg TEXT NOT NULL, seed INTEGER NOT NULL,
    device TEXT NOT NULL DEFAULT '', versions TEXT NOT NULL DEFAULT '{}',
    host TEXT NOT NULL DEFAULT '', pid INTEGER NOT NULL DEFAULT 0,
    seconds REAL, error TEXT NOT NULL DEFAULT '',
    layer_names TEXT NOT NULL DEFAULT '[]', stat_names TEXT NOT NULL DEFAULT '[]',
    total_steps INTEGER NOT NULL DEFAULT 0, steps_done INTEGER NOT NULL DEFAULT 0,
    final_train_loss REAL, final_train_acc REAL, test_acc REAL,
    checkpoint TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS runs_by_owner ON runs(owner, id);
CREATE INDEX IF NOT EXISTS runs_by_group ON runs(grp, id);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs(status);
CREATE TABLE IF NOT EXISTS steps (
    run_id INTEGER NOT NULL, step INTEGER NOT NULL,
    loss REAL, acc REAL, lr REAL, seconds REAL,
    PRIMARY KEY (run_id, step)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS grads (
    run_id INTEGER NOT NULL, step INTEGER NOT NULL, norms BLOB NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS grads_by_step ON grads(run_id, step);
CREATE TABLE IF NOT EXISTS evals (
    run_id INTEGER NOT NULL, step INTEGER NOT NULL, test_loss REAL, test_acc REAL,
    PRIMARY KEY (run_id, step)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stats (
    run_id INTEGER NOT NULL, step INTEGER NOT NULL, data BLOB NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS stats_by_step ON stats(run_id, step);
CREATE TABLE IF NOT EXISTS tasks (
    run_id INTEGER PRIMARY KEY, name TEXT NOT NULL, params TEXT NOT NULL DEFAULT '{}',
    result TEXT);
CREATE TABLE IF NOT EXISTS run_keys (
    run_id INTEGER PRIMARY KEY, key TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS run_keys_by_key ON run_keys(key, run_id);
CREATE TABLE IF NOT EXISTS run_watchers (
    owner TEXT NOT NULL, run_id INTEGER NOT NULL, PRIMARY KEY (owner, run_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS short_links (
    code TEXT PRIMARY KEY, page TEXT NOT NULL, query TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS rounds (
    id INTEGER PRIMARY KEY AUTOINCREMENT, question TEXT NOT NULL, state TEXT NOT NULL,
    opened REAL NOT NULL, closed REAL, revealed REAL, result_run INTEGER);
CREATE TABLE IF NOT EXISTS votes (
    round INTEGER NOT NULL, question TEXT NOT NULL, owner TEXT NOT NULL, option TEXT NOT NULL,
    time REAL NOT NULL, name TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (round, question, owner)) WITHOUT ROWID;
"""


# Columns added after the first release: a store made before them gets them at open (ALTER TABLE).
ADDED_RUN_COLUMNS = (
    ("estimate_s", "REAL"),   # seconds estimated at submit, shown to the user before the click
    ("guess_s", "REAL"),      # the same before this server's correction: what the correction learns from
    # The runs submitted together (one click, one CLI command) share this id: "x" + the first
    # run's id (experiment_id). NULL only in rows written before the column; see resnet_core.store.migrate.
    ("experiment", "TEXT"),
    ("display_name", "TEXT NOT NULL DEFAULT ''"),   # the name the user gave (optional); never in the label
    ("pinned", "INTEGER NOT NULL DEFAULT 0"),       # the teacher keeps its checkpoint (store.retention)
    # Why a run stopped, as the code and values `error` was written from (resnet_core.messages),
    # so pages translate it; '' in rows written before, whose `error` is read back instead.
    ("error_code", "TEXT NOT NULL DEFAULT ''"),
    ("error_values", "TEXT NOT NULL DEFAULT '{}'"),
)


def experiment_id(first_run_id: int) -> str:
    """An experiment's id from its first run's id: unique, since run ids are never reused (a
    fresh class store goes on counting), and short enough to read ("x42")."""
    return f"x{first_run_id}"


class RunNotFound(LookupError):
    pass


@dataclass
class RunInfo:
    id: int
    model_cfg: ModelConfig
    train_cfg: TrainConfig
    status: str
    owner: str
    label: str
    group: str
    seed: int
    device: str
    versions: dict
    created: float
    started: float | None
    finished: float | None
    seconds: float | None
    error: str
    layer_names: list[str]
    stat_names: list[str]
    total_steps: int
    steps_done: int
    final_train_loss: float | None
    final_train_acc: float | None
    test_acc: float | None
    has_checkpoint: bool
    estimate_s: float | None = None    # the seconds estimated at submit (resnet_core.training.costs)
    experiment: str = ""               # shared by the runs submitted together (experiment_id)
    display_name: str = ""             # the owner's name as they gave it, "" when they gave none
    error_code: str = ""               # the code `error` was written from ("": none, or an older row)
    error_values: dict = field(default_factory=dict)   # and its values (resnet_core.messages)


@dataclass
class StepColumns:
    step: list[int]
    loss: list[float]
    acc: list[float]
    lr: list[float]
    seconds: list[float]


@dataclass
class EvalColumns:
    step: list[int]
    test_loss: list[float]
    test_acc: list[float]


@dataclass
class StatColumns:
    step: list[int]
    names: list[str]
    mean: np.ndarray         # (steps, layers)
    std: np.ndarray
    zero_frac: np.ndarray


RUN_COLUMNS = ("id, model_cfg, train_cfg, status, owner, label, grp, seed, device, versions, created,"
                " started, finished, seconds, error, layer_names, stat_names, total_steps, steps_done,"
                " final_train_loss, final_train_acc, test_acc, checkpoint, estimate_s, experiment, display_name,"
               " error_code, error_values")


def run_info(row: tuple) -> RunInfo:
    (rid, mcfg, tcfg, status, owner, label, grp, seed, device, versions, created, started, finished,
     seconds, error, layers, stat_names, total, done, loss, acc, test_acc, ckpt, estimate_s, experiment,
     display_name, error_code, error_values) = row
    return RunInfo(rid, ModelConfig.from_dict(json.loads(mcfg)), TrainConfig.from_dict(json.loads(tcfg)),
                   status, owner, label, grp, seed, device, json.loads(versions), created, started,
                   finished, seconds, error, json.loads(layers), json.loads(stat_names), total, done,
                   loss, acc, test_acc, bool(ckpt), estimate_s, experiment or experiment_id(rid),
                   display_name or "", error_code or "", json.loads(error_values or "{}"))
