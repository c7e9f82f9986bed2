"""Bringing a run store written by an older version up to date, once, when it is opened.

Two steps, both safe to repeat, in one write transaction (open_store), so several processes
opening the store at once take their turns:

1. Columns added after the first release (schema.ADDED_RUN_COLUMNS) are added. A row from before
   `error_code` keeps its reason as an English sentence alone; the pages read it back against the
   templates (resnet_core.messages.identify), where a newer row names its code and values.
2. Rows from before the `experiment` column get one, derived from what the old versions wrote:
   - a group stamped with its start time ("degradation-20250301-101500", the CLI's and some
     pages' way of telling experiments apart, "shortcuts-20250301-101500-<owner>" too) is one
     experiment; its group becomes the page's plain group ("degradation"; the CLI's "bn" is
     "batchnorm"), so the page that lists that group now finds it;
   - any other run joins the run just before it when both have the same owner and group and
     were created within SAME_SUBMIT_S of each other (a page queued its runs together, in one
     go, with consecutive ids); otherwise it is an experiment on its own.
   The id is "x" + the experiment's first run id, as for new runs. Old labels stay as written
   (a name the user gave was appended as " · name"; it cannot be told apart from labels such as
   "ResNet-8 · 40 steps", so it is left in the label and `display_name` stays empty).
"""

from __future__ import annotations

import re
import sqlite3
import time

from resnet_core.store.schema import ADDED_RUN_COLUMNS, experiment_id

SAME_SUBMIT_S = 1.0   # a page created all of one submission's rows in well under a second
# "<name>-YYYYMMDD-HHMMSS", optionally "-<owner>": the old stamped groups.
STAMPED_GROUP = re.compile(r"^(?P<name>.+?)-\d{8}-\d{6}(?:-[^-]*)?$")


def open_store(conn: sqlite3.Connection, schema: str) -> None:
    """WAL mode, the tables, and the upgrade below, for a store opened by `conn` (in autocommit)."""
    wal(conn)
    # One write transaction, taken before anything is read: a statement that reads and then writes
    # on its own (CREATE TABLE, ALTER TABLE) fails at once with "database is locked", without
    # waiting, when another process wrote in between. BEGIN IMMEDIATE waits its turn instead.
    conn.executescript("BEGIN IMMEDIATE;" + schema)
    try:
        upgrade(conn)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def wal(conn: sqlite3.Connection, wait_s: float = 30.0) -> None:
    """Switch the store to WAL. Several processes opening a new or old store at once meet here:
    the switch needs the store to itself, and SQLite refuses it at once ("database is locked",
    without the busy timeout) while another connection reads, so it is tried again for a while."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def upgrade(conn: sqlite3.Connection) -> None:
    """Call inside a write transaction, so what it reads is what it changes."""
    add_columns(conn)
    conn.execute("CREATE INDEX IF NOT EXISTS runs_by_experiment ON runs(experiment)")
    if conn.execute("SELECT 1 FROM runs WHERE experiment IS NULL LIMIT 1").fetchone():
        derive_experiments(conn)


def add_columns(conn: sqlite3.Connection) -> None:
    have = {row[1] for row in conn.execute("PRAGMA table_info(runs)")}
    for name, kind in ADDED_RUN_COLUMNS:
        if name not in have:
            conn.execute(f"ALTER TABLE runs ADD COLUMN {name} {kind}")


def derive_experiments(conn: sqlite3.Connection) -> int:
    """Give every row without an experiment one (see the module's docstring); returns how many.
    Call inside a write transaction: the rows are read again there, so another process that
    got there first leaves nothing to do."""
    from resnet_core.store.groups import group_of

    rows = conn.execute("SELECT id, owner, grp, created FROM runs WHERE experiment IS NULL ORDER BY id").fetchall()
    updates, stamped, prev, current = [], {}, None, ""
    for rid, owner, grp, created in rows:
        match = STAMPED_GROUP.match(grp)
        if match:
            updates.append((stamped.setdefault((owner, grp), experiment_id(rid)), group_of(match["name"]), rid))
            prev = None
            continue
        if not (prev and prev[0] == rid - 1 and prev[1:3] == (owner, grp) and created - prev[3] <= SAME_SUBMIT_S):
            current = experiment_id(rid)
        prev = (rid, owner, grp, created)
        updates.append((current, grp, rid))
    conn.executemany("UPDATE runs SET experiment=?, grp=? WHERE id=?", updates)
    return len(updates)
