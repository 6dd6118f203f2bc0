"""The data a project trains on as CSV: one row per sample, training and test together.

    split,x1,x2,y
    train,-3.8153,2.0479,1
    test,0.8866,-4.7231,0
    ...

Columns: ``split`` ("train" or "test": drawn points are always "train"), then the raw input
columns (x1, x2, or x for 1-D data, or the imported file's column names; the values before any
input feature such as x1² is applied, and before the standardisation of an import, so they are
the file's own values again), then the target last, where a table's target usually sits (Data ▸
Import CSV guesses it there).  Classes are written by name when the import, sorting the names,
numbers them as the project does; else by class index.  Numbers are written with ``repr``, so
they read back as the same float64.  The rows are the data set's, in its order, drawn points
last.
"""

from __future__ import annotations

import csv
import io
import os

import numpy as np

from simulator.project.files import write_text_atomic
from simulator.project.project import Project, ProjectData

SPLIT_COLUMN = "split"


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def class_labels(names: tuple[str, ...] | list[str]) -> list[str]:
    """How the CSV writes classes 0..K-1: their names when sorting them (as an import does)
    keeps them in index order, else the indices "0", "1", ..."""
    names = [str(n) for n in names]
    by_name = (
        len(set(names)) == len(names)
        and names == sorted(names)
        and all(n.strip() == n and n and not _is_number(n) for n in names)
    )
    return names if by_name else [str(k) for k in range(len(names))]


def _unique(name: str, taken: set[str]) -> str:
    while name in taken:
        name += "_"
    return name


def data_csv(project: Project, data: ProjectData | None = None) -> str:
    """The CSV text of ``project``'s samples (``data``: its built data, built if None)."""
    data = project.build_data() if data is None else data
    dataset = data.dataset
    X = dataset.X
    stats = project.data.standardization if project.data.is_inline else None
    if stats is not None:
        X = stats.undo(X)  # the imported file's own values
    columns = list(data.column_labels) or [f"x{j + 1}" for j in range(dataset.input_dim)]
    target = _unique(data.target_label or "y", set(columns))
    split = _unique(SPLIT_COLUMN, {*columns, target})
    split_of = np.full(dataset.n_samples, "test", dtype=object)
    split_of[data.train_index] = "train"
    if dataset.kind == "regression":
        labels = [repr(float(v)) for v in dataset.y]
    else:
        names = class_labels(dataset.class_names)
        labels = [names[int(k)] for k in dataset.y]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([split, *columns, target])
    for i in range(dataset.n_samples):
        writer.writerow([split_of[i], *(repr(float(v)) for v in X[i]), labels[i]])
    return out.getvalue()


def export_data_csv(
    project: Project, path: str | os.PathLike, data: ProjectData | None = None
) -> None:
    """Changes the file ``path`` (atomically) to the CSV text of ``project``'s samples."""
    write_text_atomic(path, data_csv(project, data))
