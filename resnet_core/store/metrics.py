"""A run's metrics in the store: per-step scalars, per-layer gradient norms, evaluations and
layer statistics, written in one transaction and read back in windows a chart can draw.

A part of resnet_core.store.runs.RunStore, kept apart because it is the metrics' tables, not the
runs' own rows; it uses the store's `_write`, `_query` and `get_run`.
"""

from __future__ import annotations

import numpy as np

from resnet_core.store.schema import EvalColumns, StatColumns, StepColumns


class Metrics:
    def write_batch(self, run_id: int, steps=(), evals=(), stats=()) -> None:
        """Steps (StepRecord-like), evals (step, test_loss, test_acc) and stats (step, rows)
        in one transaction, and the run's progress with them."""
        calls = []
        if steps:
            calls.append(("INSERT OR REPLACE INTO steps VALUES (?, ?, ?, ?, ?, ?)",
                          [(run_id, r.step, r.loss, r.acc, r.lr, r.seconds) for r in steps]))
            calls.append(("INSERT OR REPLACE INTO grads VALUES (?, ?, ?)",
                          [(run_id, r.step, np.asarray(r.grad_norms, np.float32).tobytes()) for r in steps]))
            calls.append(("UPDATE runs SET steps_done=MAX(steps_done, ?) WHERE id=?",
                          (max(r.step for r in steps), run_id)))
        if evals:
            calls.append(("INSERT OR REPLACE INTO evals VALUES (?, ?, ?, ?)",
                          [(run_id, step, loss, acc) for step, loss, acc in evals]))
        if stats:
            calls.append(("INSERT OR REPLACE INTO stats VALUES (?, ?, ?)",
                          [(run_id, step, np.asarray(rows, np.float32).tobytes()) for step, rows in stats]))
        if calls:
            self._write(calls)

    def steps(self, run_id: int, since_step: int = 0, max_points: int | None = None) -> StepColumns:
        """Steps after `since_step`; with `max_points`, averaged in equal buckets of steps down
        to at most that many points (a chart needs no more than its width in pixels)."""
        base, params, k = self._window("steps", run_id, since_step, max_points)
        if k == 1:
            rows = self._query("SELECT step, loss, acc, lr, seconds " + base + " ORDER BY step", params)
        else:
            rows = self._query("SELECT MAX(step), AVG(loss), AVG(acc), AVG(lr), MAX(seconds) " + base
                               + " GROUP BY (step - ? - 1) / ? ORDER BY 1", (*params, since_step, k))
        cols = list(zip(*rows)) if rows else [(), (), (), (), ()]
        return StepColumns(*(list(c) for c in cols))

    def grad_norms(self, run_id: int, max_steps: int | None = None,
                   since_step: int = 0) -> tuple[list[int], list[str], np.ndarray]:
        """(steps, layer names, (steps, layers) matrix); with `max_steps`, every k-th step."""
        names = self.get_run(run_id).layer_names
        base, params, k = self._window("grads", run_id, since_step, max_steps)
        if k > 1:
            base, params = base + " AND step % ? = 0", (*params, k)
        rows = self._query("SELECT step, norms " + base + " ORDER BY step", params)
        matrix = np.stack([np.frombuffer(b, np.float32) for _, b in rows]) if rows else \
            np.zeros((0, len(names)), np.float32)
        return [s for s, _ in rows], names, matrix

    def _window(self, table: str, run_id: int, since_step: int, max_points: int | None):
        """The WHERE clause for a run's rows after `since_step`, and the bucket size k that keeps
        them to `max_points`. The rows are capped at the last step counted, so a worker writing
        meanwhile cannot push the answer past `max_points`."""
        base, params = f"FROM {table} WHERE run_id=? AND step>?", (run_id, since_step)
        if not max_points:
            return base, params, 1
        (count, last), = self._query("SELECT COUNT(*), MAX(step) " + base, params)
        return base + " AND step<=?", (*params, last or since_step), max(1, -(-count // max_points))

    def evals(self, run_id: int) -> EvalColumns:
        rows = self._query("SELECT step, test_loss, test_acc FROM evals WHERE run_id=? ORDER BY step", (run_id,))
        cols = list(zip(*rows)) if rows else [(), (), ()]
        return EvalColumns(*(list(c) for c in cols))

    def stats(self, run_id: int) -> StatColumns:
        names = self.get_run(run_id).stat_names
        rows = self._query("SELECT step, data FROM stats WHERE run_id=? ORDER BY step", (run_id,))
        cube = (np.stack([np.frombuffer(b, np.float32).reshape(-1, 3) for _, b in rows]) if rows
                else np.zeros((0, len(names), 3), np.float32))
        return StatColumns([s for s, _ in rows], names, cube[..., 0], cube[..., 1], cube[..., 2])
