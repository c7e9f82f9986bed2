"""What a user takes away from a page: a run's metrics as a CSV file, a chart as a PNG image."""

from __future__ import annotations

import csv
import io

from .runs import store


def metrics_csv(run_id: int) -> str:
    """Every recorded step of a run (not decimated), with held-out results where measured."""
    s = store()
    steps, evals = s.steps(run_id), s.evals(run_id)
    held = {step: (loss, acc) for step, loss, acc in zip(evals.step, evals.test_loss, evals.test_acc)}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["step", "train_loss", "train_acc", "lr", "seconds", "test_loss", "test_acc"])
    for row in zip(steps.step, steps.loss, steps.acc, steps.lr, steps.seconds):
        test = held.get(row[0], ("", ""))
        writer.writerow([*row, *test])
    return out.getvalue()


def png_config(filename: str) -> dict:
    """Plotly's camera button saves the chart as a PNG named `filename`."""
    return {"displaylogo": False,
            "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
            "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
