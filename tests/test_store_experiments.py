"""Experiments in the run store: the runs submitted together share one id, a name given by the
user is kept beside the label, and a store written before these columns opens with its old runs
gathered into experiments the way the old versions grouped them."""

import json
import sqlite3
import threading

import pytest

from resnet_core import arch_config
from resnet_core.nets.config import TrainConfig
from resnet_core.store.runs import RunStore
from resnet_core.store import groups

MODEL = arch_config("resnet20", base_width=4, input_size=8, in_channels=1)
TRAIN = TrainConfig(dataset="digits", steps=10, batch_size=32, device="cpu")

# The runs table exactly as the first release created it (before estimate_s, guess_s,
# experiment and display_name), with the indexes it had.
OLD_SCHEMA = """
CREATE TABLE runs (
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
CREATE INDEX runs_by_owner ON runs(owner, id);
CREATE INDEX runs_by_group ON runs(grp, id);
CREATE INDEX runs_by_status ON runs(status);
"""

NETS = ("plain-20", "plain-56", "ResNet-20", "ResNet-56")
T0 = 1_740_000_000.0
# (owner, label, group, created) in id order, as the old versions wrote them.
OLD_ROWS = [
    # ids 1-4: the Degradation page, one click by a student who gave a name
    *[("ana", f"{net} · Minji", "degradation", T0 + 0.01 * i) for i, net in enumerate(NETS)],
    # ids 5-8: the same student clicked again a minute later
    *[("ana", net, "degradation", T0 + 60 + 0.01 * i) for i, net in enumerate(NETS)],
    # ids 9-12: the CLI, one net after another, a group stamped with its start
    *[("", net, "degradation-20250301-101500", T0 + 100 + 30 * i) for i, net in enumerate(NETS)],
    # ids 13-14: the Shortcuts page's stamped group, then the CLI's BatchNorm experiment
    ("bob", "plain-20", "shortcuts-20250301-101700-bob", T0 + 300),
    ("bob", "ResNet-20 A", "shortcuts-20250301-101700-bob", T0 + 300.01),
    ("", "plain-20 BN", "bn-20250301-102000", T0 + 400),
    # ids 16-17: two students on Build & Train in the same second: two experiments
    ("ana", "ResNet-20", "build", T0 + 500),
    ("bob", "ResNet-20", "build", T0 + 500.2),
    # id 18: a twin's label carries " · " of its own and keeps it
    ("ana", "ResNet-8 · 40 steps", "inspect-twin", T0 + 600),
]


def old_store(path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(OLD_SCHEMA)
    for owner, label, group, created in OLD_ROWS:
        conn.execute("INSERT INTO runs (created, status, owner, label, grp, model_cfg, train_cfg, seed)"
                     " VALUES (?, 'finished', ?, ?, ?, ?, ?, 0)",
                     (created, owner, label, group, json.dumps(MODEL.to_dict()), json.dumps(TRAIN.to_dict())))
    conn.commit()
    conn.close()


def test_an_old_store_opens_and_its_runs_form_experiments(tmp_path):
    db = tmp_path / "old.db"
    old_store(db)
    store = RunStore(db)
    by_id = {r.id: r for r in store.list_runs(limit=100)}
    assert len(by_id) == len(OLD_ROWS)
    assert [by_id[i].experiment for i in range(1, 13)] == ["x1"] * 4 + ["x5"] * 4 + ["x9"] * 4
    assert {by_id[i].group for i in range(1, 13)} == {"degradation"}   # the CLI's now shows on the page
    assert (by_id[13].group, by_id[13].experiment, by_id[14].experiment) == ("shortcuts", "x13", "x13")
    assert (by_id[15].group, by_id[15].experiment) == ("batchnorm", "x15")
    assert (by_id[16].experiment, by_id[17].experiment) == ("x16", "x17")
    assert (by_id[18].label, by_id[18].group, by_id[18].experiment) == ("ResNet-8 · 40 steps", "inspect-twin", "x18")
    # Old labels are left as written; no name is guessed out of them.
    assert by_id[1].label == "plain-20 · Minji" and by_id[1].display_name == ""
    assert [r.id for r in store.list_runs(group="degradation", experiment="x9")] == [12, 11, 10, 9]
    # New runs go on from there, each submission its own experiment.
    rid = store.create_run(MODEL, TRAIN, owner="ana", label="ResNet-20", group="build", display_name="Minji")
    new = store.get_run(rid)
    assert (new.experiment, new.display_name, new.label) == (f"x{rid}", "Minji", "ResNet-20")
    store.close()


def _open_together(db, openers: int = 4):
    """`openers` threads open the store at once (each its own connection, as processes would);
    returns the runs each one saw, and the errors."""
    errors, opened = [], []

    def open_it():
        try:
            s = RunStore(db)
            opened.append(sorted((r.id, r.experiment, r.group) for r in s.list_runs(limit=100)))
            s.close()
        except Exception as err:   # noqa: BLE001 - the test reports any
            errors.append(err)

    threads = [threading.Thread(target=open_it) for _ in range(openers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return opened, errors


# Openers meet in the switch to WAL and in the upgrade's writes only now and then (SQLite refused
# the switch in 7 of 150 tries before it was retried), so the meeting is tried in many stores.
TRIES = 25


def test_the_upgrade_runs_once_and_survives_processes_opening_the_store_together(tmp_path):
    for i in range(TRIES):
        db = tmp_path / f"old{i}.db"
        old_store(db)
        opened, errors = _open_together(db)
        assert not errors and len(opened) == 4 and all(o == opened[0] for o in opened), errors
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM runs WHERE experiment IS NULL").fetchone() == (0,)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    # Opened again, nothing changes: a group rewritten once is not rewritten twice.
    assert sorted((r.id, r.experiment, r.group) for r in RunStore(db).list_runs(limit=100)) == opened[0]


def test_a_new_store_opened_by_several_processes_at_once_is_made_once(tmp_path):
    for i in range(TRIES):
        opened, errors = _open_together(tmp_path / f"new{i}.db")
        assert not errors and opened == [[]] * 4, errors
    assert RunStore(tmp_path / "new0.db").create_run(MODEL, TRAIN, group="g") == 1


def test_runs_join_an_experiment_only_when_told(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    first = store.create_run(MODEL, TRAIN, group="g")
    second = store.create_run(MODEL, TRAIN, group="g", experiment=store.get_run(first).experiment)
    alone = store.create_run(MODEL, TRAIN, group="g")
    assert [store.get_run(i).experiment for i in (first, second, alone)] == [f"x{first}", f"x{first}", f"x{alone}"]
    assert [r.id for r in store.list_runs(experiment=f"x{first}")] == [second, first]


def test_groups_come_from_one_registry():
    assert groups.group_of("bn") == groups.BATCHNORM == "batchnorm"
    assert groups.group_of("degradation") == groups.DEGRADATION
    assert groups.group_of("gap_fc") == "gap_fc"


@pytest.mark.parametrize("group, name", [("degradation-20250301-101500", "degradation"),
                                         ("evidence-alexnet-20250301-101500", "evidence-alexnet"),
                                         ("shortcuts-20250301-101500-0123abcd", "shortcuts")])
def test_stamped_groups_are_recognised(group, name):
    from resnet_core.store.migrate import STAMPED_GROUP

    assert STAMPED_GROUP.match(group)["name"] == name
    assert STAMPED_GROUP.match("study-pair") is None and STAMPED_GROUP.match("inspect-twin") is None
