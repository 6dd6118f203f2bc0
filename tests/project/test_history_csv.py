"""History as CSV: one row per step, exact numbers, empty cells where nothing was measured."""

import csv
import math

import numpy as np

from simulator.engine.trainer import History
from simulator.project import Project, export_history_csv, load_example
from simulator.project.history_csv import HISTORY_COLUMNS, history_csv

HEADER = [
    "step",
    "epoch",
    "batch_loss",
    "penalty",
    "train_loss",
    "test_loss",
    "train_accuracy",
    "test_accuracy",
    "learning_rate",
]


def read_rows(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == HEADER
        return list(reader)


def trained_history(steps=23, eval_every=5) -> History:
    doc = load_example("xor").to_dict()
    doc["training"]["eval_every"] = eval_every
    project = Project.from_dict(doc)
    trainer = project.build_trainer()
    trainer.run(steps=steps)
    return trainer.history


def assert_rows_equal_history(rows, history: History) -> None:
    assert len(rows) == len(history)
    for title, name in HISTORY_COLUMNS:
        column = history.column(name)
        for k, row in enumerate(rows):
            value = float(column[k])
            if math.isnan(value):
                assert row[title] == "", (title, k)
            else:
                assert float(row[title]) == value, (title, k)
    assert [row["step"] for row in rows] == [str(k + 1) for k in range(len(rows))]


def test_csv_holds_the_history_values(tmp_path):
    history = trained_history()
    path = tmp_path / "history.csv"
    export_history_csv(history, path)
    rows = read_rows(path)
    assert_rows_equal_history(rows, history)
    # Evaluations every 5 steps: train/test values there, empty cells between.
    assert rows[4]["train_loss"] and rows[4]["test_accuracy"] and not rows[3]["train_loss"]
    lr = str(load_example("xor").optimizer.params["lr"])
    assert all(row["batch_loss"] and row["learning_rate"] == lr for row in rows)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.csv"]


def test_missing_values_are_empty_cells(tmp_path):
    history = History(n_layers=1)
    history.append(np.array([0.5]), step=1, epoch=0.5, batch_loss=0.25, penalty=0.0, lr=0.1)
    history.append(np.array([0.5]), step=2, epoch=1.0, batch_loss=float("nan"), penalty=0.0, lr=0.1)
    history.set_last(train_loss=0.125, test_loss=float("nan"), train_accuracy=1.0)
    path = tmp_path / "h.csv"
    export_history_csv(history, path)
    assert path.read_text() == (
        ",".join(HEADER) + "\n1,0.5,0.25,0.0,,,,,0.1\n2,1.0,,0.0,0.125,,1.0,,0.1\n"
    )
    assert_rows_equal_history(read_rows(path), history)


def test_a_project_history_dict_gives_the_same_csv():
    history = trained_history(steps=12, eval_every=4)
    assert history_csv(history.as_dict()) == history_csv(history)


def test_empty_history_is_just_the_header(tmp_path):
    path = tmp_path / "h.csv"
    export_history_csv(History(n_layers=2), path)
    assert path.read_text() == ",".join(HEADER) + "\n"
