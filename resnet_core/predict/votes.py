"""The class's predictions, kept in the run store's database: rounds the teacher opens, and one vote per owner.

A round is one question put to the class: "open" (votes are taken and may be changed), "closed"
(no more votes), "revealed" (everyone sees the outcome), "ended" (the class is back to working
alone). Only the latest round is the class's current one. A vote is (round, question, owner,
option, time, name): an owner has one vote per round and question, changed by voting again, and
the name is only what the student typed into the name field ("" otherwise). Votes made alone,
outside any round, sit in round 0 and can always be changed.

Who may open, close and reveal is the page's to check (the teacher key, ui/classroom/teacher.py); this
module checks what the data allows: a vote only in an open round, only for one of the
question's options. The tables live in the run store's database (schema.SCHEMA), so "a fresh
class store" archives them with the runs.
"""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import dataclass

from resnet_core.nets.config import ConfigError
from resnet_core.predict.bank import get

ALONE = 0                      # the round of votes made outside the class's rounds
STATES = ("open", "closed", "revealed", "ended")


class VotingClosed(ConfigError):
    """A vote for a round that no longer takes votes."""


@dataclass(frozen=True)
class Round:
    id: int
    question: str
    state: str                 # one of STATES
    opened: float
    closed: float | None
    revealed: float | None
    result_run: int | None     # the task that decided the question, once the teacher ran it


class Votes:
    """Votes and rounds over one RunStore (its connections and write lock)."""

    def __init__(self, store):
        self.store = store

    # --- rounds ------------------------------------------------------------------------------

    def open_round(self, question: str) -> int:
        """A new round for `question`, open for votes; the one before it ends."""
        get(question)   # an unknown question is refused before anything is written
        now = time.time()
        with self.store._write_lock:
            conn = self.store._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("UPDATE rounds SET state='ended' WHERE state != 'ended'")
                cur = conn.execute("INSERT INTO rounds (question, state, opened) VALUES (?, 'open', ?)",
                                   (question, now))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return int(cur.lastrowid)

    def set_state(self, round_id: int, state: str) -> None:
        """close, reveal or end a round (reveal also closes it)."""
        if state not in STATES[1:]:
            raise ConfigError(code="round_state", options=", ".join(STATES[1:]), value=repr(state))
        now = time.time()
        self.store._write([(
            "UPDATE rounds SET state=?, closed=COALESCE(closed, ?),"
            " revealed=CASE WHEN ?='revealed' THEN COALESCE(revealed, ?) ELSE revealed END WHERE id=?",
            (state, now, state, now, round_id))])

    def attach_result(self, round_id: int, run_id: int) -> None:
        self.store._write([("UPDATE rounds SET result_run=? WHERE id=?", (run_id, round_id))])

    def get_round(self, round_id: int) -> Round | None:
        rows = self.store._query("SELECT id, question, state, opened, closed, revealed, result_run FROM rounds"
                                 " WHERE id=?", (round_id,))
        return Round(*rows[0]) if rows else None

    def current(self) -> Round | None:
        """The class's current round (the latest, unless it has ended); None: everyone works alone."""
        rows = self.store._query("SELECT id, question, state, opened, closed, revealed, result_run FROM rounds"
                                 " ORDER BY id DESC LIMIT 1")
        return Round(*rows[0]) if rows and rows[0][2] != "ended" else None

    # --- votes -------------------------------------------------------------------------------

    def vote(self, round_id: int, question: str, owner: str, option: str, name: str = "") -> None:
        """Record or change `owner`'s vote. In a class round only while it is open, and only
        for the round's own question."""
        q = get(question)
        if option not in q.options:
            raise ConfigError(code="vote_option", value=repr(option), question=question, options=", ".join(q.options))
        if not owner:
            raise ConfigError(code="vote_owner")
        sql = ("INSERT INTO votes (round, question, owner, option, time, name) VALUES (?, ?, ?, ?, ?, ?)"
               " ON CONFLICT (round, question, owner) DO UPDATE SET option=excluded.option,"
               " time=excluded.time, name=excluded.name")
        params = (round_id, question, owner, option, time.time(), name)
        if round_id == ALONE:
            self.store._write([(sql, params)])
            return
        with self.store._write_lock:   # the round's state is read inside the vote's transaction
            conn = self.store._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute("SELECT question, state FROM rounds WHERE id=?", (round_id,)).fetchone()
                if row is None or row[1] != "open":
                    raise VotingClosed(f"round {round_id} takes no votes now ({row[1] if row else 'no such round'})")
                if row[0] != question:
                    raise ConfigError(code="round_asks", round=round_id, asked=row[0], question=question)
                conn.execute(sql, params)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def my_vote(self, round_id: int, question: str, owner: str) -> str | None:
        rows = self.store._query("SELECT option FROM votes WHERE round=? AND question=? AND owner=?",
                                 (round_id, question, owner))
        return rows[0][0] if rows else None

    def tally(self, round_id: int) -> dict[str, int]:
        """Votes per option of a round's question, every option listed (0 when nobody chose it)."""
        rows = self.store._query("SELECT question FROM rounds WHERE id=?", (round_id,))
        counts = dict(self.store._query("SELECT option, COUNT(*) FROM votes WHERE round=? GROUP BY option",
                                        (round_id,)))
        options = get(rows[0][0]).options if rows else tuple(counts)
        return {o: int(counts.get(o, 0)) for o in options}

    def export_csv(self) -> str:
        """Every class vote as CSV for the teacher: round, question, voter ("voter 3", numbered
        by their first vote in this store; never the owner id, which is a student's key to their
        runs; not "student 3", which the run lists number by first run, so one number would name
        two people), the name only if the student gave one, option, whether it was right once
        revealed, and the time (UTC)."""
        rows = self.store._query(
            "SELECT v.round, v.question, v.owner, v.name, v.option, v.time, r.state, t.result"
            " FROM votes v JOIN rounds r ON r.id = v.round LEFT JOIN tasks t ON t.run_id = r.result_run"
            " ORDER BY v.round, v.time")
        numbers: dict[str, int] = {}
        for owner, in self.store._query("SELECT owner FROM votes WHERE round != ? GROUP BY owner"
                                        " ORDER BY MIN(time)", (ALONE,)):
            numbers[owner] = len(numbers) + 1
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["round", "question", "voter", "name", "option", "right", "time_utc"])
        for rnd, question, owner, name, option, when, state, result in rows:
            answer = json.loads(result).get("answer") if result and state == "revealed" else None
            right = "" if answer is None else ("yes" if option == answer else "no")
            writer.writerow([rnd, question, f"voter {numbers.get(owner, 0)}", name, option, right,
                             time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))])
        return out.getvalue()

    # --- results ---------------------------------------------------------------------------

    def stored_result(self, question: str, setup: dict) -> tuple[int, str, dict | None] | None:
        """The newest prediction task with this question and setup that has finished or is still
        on its way: (run id, status, result or None). None when there is none to reuse."""
        rows = self.store._query(
            "SELECT t.run_id, t.params, r.status, t.result FROM tasks t JOIN runs r ON r.id = t.run_id"
            " WHERE t.name='predict' AND r.status IN ('queued', 'running', 'finished')"
            " ORDER BY t.run_id DESC LIMIT 500")
        for run_id, params, status, result in rows:
            p = json.loads(params)
            if p.get("question") == question and p.get("setup") == setup:
                if status == "finished" and result is None:
                    continue
                return int(run_id), status, json.loads(result) if result else None
        return None
