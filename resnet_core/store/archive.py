"""A fresh class store: the old runs archived to a timestamped copy, the live store emptied.

Why a copy and not a rename: every thread of the web process and every worker process holds an
open connection to the database, and SQLite's write-ahead log lives in a file named after the
database. Renaming the file under those connections would leave a new database beside the old
one's log. SQLite's online backup copies a consistent snapshot (log included) while the
connections stay open; then the tables are emptied in one transaction. Run ids go on counting
(AUTOINCREMENT keeps its sequence), so an id a browser still holds never names a new student's run.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

TABLES = ("steps", "grads", "evals", "stats", "tasks", "run_keys", "run_watchers", "runs", "votes", "rounds")


def archive_path(db_path: Path, when: float | None = None) -> Path:
    """runs.db -> runs-20250301-0915.db beside it (with -2, -3... if taken)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(when))
    path = db_path.with_name(f"{db_path.stem}-{stamp}{db_path.suffix}")
    n = 2
    while path.exists():
        path = db_path.with_name(f"{db_path.stem}-{stamp}-{n}{db_path.suffix}")
        n += 1
    return path


def archive_and_clear(store) -> Path:
    """Copy `store` (a RunStore) to a timestamped file beside it, move its checkpoints with it,
    and empty it. Returns the archive's path; the archive opens as a RunStore like any other."""
    dest = archive_path(store.path)
    with store._write_lock:
        conn = store._conn()
        target = sqlite3.connect(dest)
        try:
            conn.backup(target)
        finally:
            target.close()
        conn.execute("BEGIN IMMEDIATE")
        try:
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    if store.checkpoint_dir.is_dir():   # a store finds its checkpoints by its own file name
        store.checkpoint_dir.rename(dest.parent / f"{dest.stem}.checkpoints")
    return dest
