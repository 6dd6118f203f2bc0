"""CSV import under generated files: every file either imports or is refused with a ProjectError.

The cases are realistic CSV files (headers, numbers, decimal commas, text labels, quotes, the
four common delimiters, byte-order marks, mixed line ends) put through a few mutations (bad
UTF-8, zero bytes, ragged rows, huge cells, stray quotes, truncation).  :func:`csv_case` builds
one from a ``random.Random``, so the same generator serves Hypothesis here (with a fixed seed,
``derandomize=True``) and ``tests/benchmarks/fuzz_csv.py`` for runs of 100,000 seeds.
:func:`check_import` reads the file and builds data from a choice of columns as the dialog
would: a file is ``loaded`` (the data is usable and its project saves and loads again) or
``refused`` with a ProjectError naming the file; anything else fails.  The last property
writes any names and labels at all through the csv module and saves the projects to disk.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import random
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.engine import datasets
from simulator.project import NetworkSpec, Project, ProjectError, csv_import, load_example
from simulator.project.csv_import import build_inline_data, read_csv_table
from simulator.project.files import MAX_FILE_BYTES, parse_json
from simulator.project.project import MAX_NAME

NAMES = ["age", "height", "x1", "x2", "price (€)", "größe", "名前", "", "x", "x", "a,b",
         "a;b", 'say "hi"', "tab\there", "line\nbreak", " padded ", "1", "2.5", "nan",
         "🙂 mood"]  # fmt: skip
LABELS = ["yes", "no", "setosa", "versicolor", "virginica", "a b", "A", "a", "0", "1", "2",
          "1.0", "true", "ünïcode", "🙂", "-", "?", "NA"]  # fmt: skip
BAD_CELLS = ["", "nan", "NaN", "inf", "-inf", "1e400", "oops", "1.2.3", "--1", "1,5", " ", "∞"]
DELIMITERS = [",", ",", ";", "\t"]
INSERTS = [b'"', b",", b";", b"\t", b"|", b"\r", b"\n", b"\r\n", b"\x00", b"\xff", b"\xc3",
           b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\xfe\xff", b" ", b"nan", b"1e400", b"-", b".",
           b"0", b"\xe2\x82\xac", b'""', b"x" * 250]  # fmt: skip


# --------------------------------------------------------------------------- the cases


def _number(rnd: random.Random, decimal_comma: bool) -> str:
    kind = rnd.randrange(6)
    if kind == 0:
        text = str(rnd.randint(-50, 50))
    elif kind == 1:
        text = f"{rnd.uniform(-100, 100):.{rnd.randrange(5)}f}"
    elif kind == 2:
        text = f"{rnd.uniform(-1, 1):.3e}"
    elif kind == 3:
        text = repr(rnd.uniform(-1e6, 1e6))
    elif kind == 4:
        text = str(rnd.choice([0, 1, 2, 3]))
    else:
        text = rnd.choice(["0.1", "-0", "+3", ".5", "7.", "1E3", "5e-324"])
    return text.replace(".", ",") if decimal_comma else text


def _cell(rnd: random.Random, kind: str, decimal_comma: bool, classes: list[str]) -> str:
    if kind == "number":
        return _number(rnd, decimal_comma)
    if kind == "mostly":
        return rnd.choice(BAD_CELLS) if rnd.random() < 0.1 else _number(rnd, decimal_comma)
    if kind == "label":
        return rnd.choice(classes)
    if kind == "constant":
        return "7"
    if kind == "huge":
        return rnd.choice(["1e308", "-1.7e308", _number(rnd, decimal_comma)])
    if kind == "long":
        return "w" * rnd.choice([150, 201, 260])
    return rnd.choice(LABELS + BAD_CELLS)  # "text"


def _quote(cell: str, delimiter: str, rnd: random.Random) -> str:
    special = any(ch in cell for ch in (delimiter, '"', "\r", "\n"))
    if special or rnd.random() < 0.05:
        return '"' + cell.replace('"', '""') + '"'
    return cell


def csv_text(rnd: random.Random) -> str:
    """A CSV file as a person or a program might write it."""
    delimiter = "|" if rnd.random() < 0.03 else rnd.choice(DELIMITERS)  # "|" is not read
    decimal_comma = delimiter in ";\t" and rnd.random() < 0.4
    wide = rnd.random() < 0.01
    if wide:
        n_cols = rnd.choice([2_000, csv_import.MAX_COLUMNS + 1])
    else:
        n_cols = 1 if rnd.random() < 0.03 else rnd.randint(2, 7)
    if wide:
        n_rows = rnd.randint(4, 8)
    elif rnd.random() < 0.06:
        n_rows = rnd.choice([0, 1, 3])  # too few
    else:
        n_rows = rnd.choice([4, 5, 8, 12, 20, 30])
    kinds = ["number"] * 12 + ["mostly", "label", "constant", "text"] * 2 + ["long", "huge"]
    columns = [rnd.choice(kinds) if not wide else "number" for _ in range(n_cols)]
    columns[-1] = rnd.choice(["label", "label", "number", rnd.choice(kinds)])  # the target
    classes = rnd.sample(LABELS, 1 if rnd.random() < 0.05 else rnd.randint(2, 4))
    end = rnd.choice(["\n", "\r\n", "\r"])
    lines = []
    if rnd.random() < 0.8:
        names = [rnd.choice(NAMES) for _ in range(n_cols)]
        if rnd.random() < 0.1:
            names[rnd.randrange(n_cols)] = "question " * rnd.randint(20, 40)  # over 200 chars
        lines.append(delimiter.join(_quote(name, delimiter, rnd) for name in names))
    for i in range(n_rows):
        if wide:  # numbers, quickly: 10,000 columns drawn cell by cell take 0.15 s a file
            start = rnd.randrange(10)
            lines.append(delimiter.join(str((start + i * j) % 10) for j in range(n_cols)))
            continue
        cells = [_cell(rnd, kind, decimal_comma, classes) for kind in columns]
        lines.append(delimiter.join(_quote(cell, delimiter, rnd) for cell in cells))
    if rnd.random() < 0.2:
        lines.insert(rnd.randint(0, len(lines)), rnd.choice(["", delimiter * n_cols, "  "]))
    if rnd.random() < 0.1:
        lines = [line + delimiter for line in lines]  # a spreadsheet's trailing separators
    ends = [end if rnd.random() < 0.9 else rnd.choice(["\n", "\r\n", "\r"]) for _ in lines]
    text = "".join(line + e for line, e in zip(lines, ends, strict=True))
    if rnd.random() < 0.2:
        text = text[: -len(ends[-1])] if ends else text  # no line end at the end
    return ("\ufeff" if rnd.random() < 0.1 else "") + text


def _mutate(rnd: random.Random, data: bytes) -> bytes:
    kind = rnd.randrange(9)
    at = rnd.randint(0, len(data))
    if kind <= 2:
        return data[:at] + rnd.choice(INSERTS) + data[at:]
    if kind == 3:
        return data[:at] + data[at + rnd.randint(1, 20) :]  # a span lost
    if kind == 4:
        return data[:at]  # cut short
    if kind == 5:
        lines = data.split(b"\n")
        k = rnd.randrange(len(lines))
        lines.insert(k, lines[k])  # a line twice
        return b"\n".join(lines)
    if kind == 6:
        old, new = rnd.sample([b",", b";", b"\t", b"|"], 2)
        return data.replace(old, new)  # another delimiter
    if kind == 7:
        lines = data.split(b"\n")
        k = rnd.randrange(len(lines))
        cut = lines[k].rfind(rnd.choice([b",", b";", b"\t"]))
        lines[k] = lines[k][: max(cut, 0)]  # a ragged row
        return b"\n".join(lines)
    size = rnd.choice([1_000, csv.field_size_limit() + 10])
    return data[:at] + rnd.choice([b"y", b'"', b","]) * size + data[at:]  # a huge cell


def csv_case(rnd: random.Random, file: random.Random | None = None) -> bytes:
    """The bytes of a CSV file: a realistic one, mutated 0 to 3 times (or empty).

    ``file`` (``rnd`` if None) draws the file and how many mutations it gets, ``rnd`` what
    they are.  Hypothesis passes a seeded ``random.Random`` as ``file`` and its own draws as
    ``rnd``, which it shrinks to the fewest and smallest mutations that still fail: its draws
    lean towards extremes (random() gives 0.0 often), which would make the rare wide files
    and huge cells common.
    """
    file = rnd if file is None else file
    if file.random() < 0.01:
        return file.choice([b"", b"\xef\xbb\xbf", b"\n\n", b",,,\r\n"])
    data = csv_text(file).encode("utf-8")
    for _ in range(file.choice([0, 0, 0, 1, 1, 2, 3])):
        data = _mutate(rnd, data)
    return data


# --------------------------------------------------------------------------- the check


def project_for(data) -> Project:
    """A small project around imported ``data``, as the dialog's document would make it."""
    outputs = {"binary": ("sigmoid", "bce"), "multiclass": ("softmax", "cross_entropy")}
    activation, loss = outputs.get(data.kind, ("linear", "mse"))
    network = NetworkSpec(
        [data.network_inputs, 3, data.output_size], ["tanh", activation], [True, True], [0, 0]
    )
    return dataclasses.replace(
        _base_project(), data=data, network=network, loss=loss, weights=None, history=None
    )


@functools.cache
def _base_project() -> Project:
    return load_example("xor")


def check_import(path: Path, rnd: random.Random) -> str:
    """Read ``path`` and build data from columns ``rnd`` picks: "loaded" or "refused".

    Fails (AssertionError, or whatever else escapes) unless the file is refused with a
    ProjectError naming it or the data is usable and its project saves and loads again.
    """
    try:
        table = read_csv_table(path)
    except ProjectError as exc:
        assert str(exc).startswith(f"{path}: "), str(exc)
        return "refused"
    assert table.n_rows >= 1 and len(table.columns) >= 2
    assert len(set(table.columns)) == len(table.columns)
    assert all(0 < len(name) <= MAX_NAME for name in table.columns)
    assert all(len(row) == len(table.columns) for row in table.rows)
    target = table.guess_target() if rnd.random() < 0.7 else rnd.choice(table.columns)
    if rnd.random() < 0.8:
        features = [name for name in table.numeric_columns() if name != target]
    else:
        features = rnd.sample(table.columns, rnd.randint(0, min(3, len(table.columns))))
    task = table.guess_task(target) if rnd.random() < 0.8 else rnd.choice(datasets.KINDS)
    try:
        spec, info = build_inline_data(
            table, features, target, task, standardize=rnd.random() < 0.7
        )
    except ProjectError as exc:
        assert str(exc).startswith(f"{path}: "), str(exc)
        return "refused"
    n, d = spec.X.shape
    assert (n, d) == (table.n_rows, len(features)) and spec.y.shape == (n,)
    assert np.isfinite(spec.X).all() and np.isfinite(spec.y).all()
    assert info.task == task and spec.feature_names == features and spec.target_name == target
    if task != "regression":
        assert all(len(name) <= MAX_NAME for name in spec.class_names)
        assert sorted(set(spec.y.astype(int).tolist())) == list(range(len(spec.class_names)))
    # What Project.save writes and Project.load reads, without the disk's fsync (11 ms).
    project = project_for(spec)
    text = project.to_json().encode("utf-8")
    assert len(text) <= MAX_FILE_BYTES
    loaded = Project.from_dict(parse_json(text, str(path)))
    assert loaded == project
    np.testing.assert_array_equal(loaded.data.X, spec.X)
    np.testing.assert_array_equal(loaded.data.y, spec.y)
    assert loaded.build_data().column_labels == features
    return "loaded"


def run_case(folder: Path, rnd: random.Random, file: random.Random | None = None) -> str:
    """Write a generated case into ``folder`` and check its import."""
    path = folder / "data.csv"
    path.write_bytes(csv_case(rnd, file))
    return check_import(path, rnd)


# --------------------------------------------------------------------------- the properties

PROPERTY = settings(
    derandomize=True,
    max_examples=2000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY
@given(rnd=st.randoms(use_true_random=False), file=st.integers(0, 2**32 - 1))
def test_any_csv_file_imports_or_is_refused_with_a_project_error(tmp_path, rnd, file):
    assert run_case(tmp_path, rnd, random.Random(file)) in ("loaded", "refused")


def test_the_generated_files_exercise_both_outcomes(tmp_path):
    outcomes = [run_case(tmp_path, random.Random(seed)) for seed in range(200)]
    assert 0.15 < outcomes.count("loaded") / len(outcomes) < 0.85


_NAME_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=260)


@settings(
    derandomize=True,
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    names=st.lists(_NAME_TEXT, min_size=2, max_size=5),
    labels=st.lists(_NAME_TEXT, min_size=1, max_size=4),
    rows=st.integers(4, 12),
    task=st.sampled_from(datasets.KINDS),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_whatever_the_import_accepts_saves_and_loads_as_a_project(
    tmp_path, names, labels, rows, task, delimiter
):
    # Any names and labels at all (control characters, quotes, 260 characters, emoji),
    # written by the csv module as a program would.
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(names)
    for i in range(rows):
        features = [str(i * (j + 1) % 7 + 0.5 * j) for j in range(len(names) - 1)]
        writer.writerow([*features, labels[i % len(labels)]])
    path = tmp_path / "names.csv"
    path.write_text(out.getvalue(), encoding="utf-8", newline="")
    try:
        table = read_csv_table(path)
        features, target = table.columns[:-1], table.columns[-1]
        spec, info = build_inline_data(table, features, target, task, standardize=True)
    except ProjectError as exc:
        assert str(exc).startswith(f"{path}: "), str(exc)
        return
    for name in [*features, target]:
        if name in table.shortened:  # the dialog's summary says so
            assert any(f"column {table.index(name) + 1} has" in note for note in info.notes)
    project = project_for(spec)
    project.save(tmp_path / "names.json")
    assert Project.load(tmp_path / "names.json") == project


# --------------------------------------------------------------------------- the reader


def reference_records(text: str, delimiter: str) -> tuple[list[list[str]], list[int]]:
    """What the import read before its memory bound: csv over the whole text at once."""
    records, numbers, line = [], [], 0
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for cells in reader:
        start, line = line + 1, reader.line_num
        cells = [cell.strip() for cell in cells]
        if any(cells):
            records.append(cells)
            numbers.append(start)
    return records, numbers


_PIECES = ["a", "1", " ", ",", ";", "\t", '"', '""', "\n", "\r", "\r\n", "\n\n", ",,\n", "é"]


@settings(derandomize=True, max_examples=500, deadline=None, database=None)
@given(
    text=st.lists(st.sampled_from(_PIECES), max_size=60).map("".join),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_the_bounded_reader_reads_what_csv_reads(text, delimiter):
    # The chunked feed, its skipping of empty lines and its line numbers change nothing.
    try:
        expected = reference_records(text, delimiter)
    except csv.Error:
        return
    assert csv_import._read_records(text, delimiter, "f.csv") == expected


def test_the_bounded_reader_across_chunks(monkeypatch):
    monkeypatch.setattr(csv_import, "_CHUNK_CHARS", 7)
    rnd = random.Random(5)
    for _ in range(300):
        text = "".join(rnd.choice(_PIECES) for _ in range(rnd.randint(0, 80)))
        assert csv_import._read_records(text, ",", "f.csv") == reference_records(text, ",")
