"""A training history as CSV: one row per history row, empty cells where a value was not measured.

A row is a step; after a long run the History keeps its older steps as an envelope (each
bucket's lowest and highest batch loss and its last evaluation: see
:class:`~simulator.engine.trainer.History`), so the steps of those rows are not consecutive.
"""

from __future__ import annotations

import csv
import io
import math
import os

from simulator.engine.trainer import History
from simulator.project.files import write_text_atomic

# (CSV column, History column); train/test values exist only at evaluation steps.
HISTORY_COLUMNS = (
    ("step", "step"),
    ("epoch", "epoch"),
    ("batch_loss", "batch_loss"),
    ("penalty", "penalty"),
    ("train_loss", "train_loss"),
    ("test_loss", "test_loss"),
    ("train_accuracy", "train_accuracy"),
    ("test_accuracy", "test_accuracy"),
    ("learning_rate", "lr"),
)


def history_csv(history: History | dict) -> str:
    """The CSV text of ``history`` (a History or its ``as_dict()``, as projects store it).

    Numbers are written with ``repr`` (they read back to the same float64); step is a whole
    number; a missing or NaN value is an empty cell.
    """
    if isinstance(history, History):
        columns = {name: history.column(name).tolist() for _, name in HISTORY_COLUMNS}
    else:
        n = len(history.get("step", []))
        columns = {name: list(history.get(name) or [None] * n) for _, name in HISTORY_COLUMNS}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([title for title, _ in HISTORY_COLUMNS])
    for row in zip(*(columns[name] for _, name in HISTORY_COLUMNS), strict=True):
        writer.writerow(_cell(value, title) for value, (title, _) in zip(row, HISTORY_COLUMNS))
    return out.getvalue()


def _cell(value: float | None, column: str) -> str:
    if value is None or not math.isfinite(value):
        return ""
    if column == "step":
        return str(int(value))
    return repr(float(value))


def export_history_csv(history: History | dict, path: str | os.PathLike) -> None:
    """Changes the file ``path`` (atomically) to the CSV text of ``history``."""
    write_text_atomic(path, history_csv(history))
