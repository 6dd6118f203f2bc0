"""Data ▸ Import CSV: read a table of samples and turn chosen columns into inline project data.

    table = read_csv_table("iris.csv")                 # ProjectError names the file and row
    table.columns, table.preview(20)                   # what a dialog shows
    table.numeric_columns(), table.guess_target(), table.guess_task("species")
    data, info = build_inline_data(
        table, ["sepal length", "petal width"], "species", "multiclass", standardize=True
    )
    project = project.replace(data=data, network=...)  # the network must fit data.network_inputs
                                                       # and data.output_size

Reading (:func:`read_csv_table`): UTF-8 text (a byte-order mark is skipped), cells separated by
commas, semicolons or tabs (detected from the first lines), quoted as the ``csv`` module reads
them, stripped of surrounding spaces.  Blank lines and rows of empty cells are skipped; trailing
empty cells neither add nor remove columns (a short row is padded with missing values only
where the first row is empty too), and trailing columns empty in every row are dropped.  The
first row is a header when one of its cells is text while every other cell of that column is a
number; otherwise the columns are named "column 1", "column 2", ...  Repeated or empty header
names are made unique ("age (2)", "column 3"); a name longer than a project holds
(:data:`MAX_NAME`, 200 characters) is shortened to fit, ending in "…", and
:attr:`CsvTable.shortened` keeps its length in the file, for a note.  With semicolons or tabs
between cells a number may use a decimal comma ("1,5").

Memory stays bounded whatever the file holds: the delimiter is guessed from the first 64 KB,
and each record's separators are counted before ``csv`` splits it into strings, so a row of
millions of cells is refused (:data:`MAX_SEPARATORS`) without being built; the row, column and
cell limits are checked as the rows arrive.  Column lookups go through a dictionary, so a table
of 10,000 columns costs time in proportion to its cells.

A column is *numeric* when every cell is a finite number, and *mostly numeric* when at least
80 % are (:data:`MOSTLY_NUMERIC`): a dialog offers both as features, and
:meth:`CsvTable.column_problem` names the first cell of the second kind that is not a number.

Building (:func:`build_inline_data`): the feature columns must hold finite numbers in every row;
the target holds numbers (regression) or labels, text or numbers (binary and multiclass).
Classes are sorted (numerically when every label is a number, else alphabetically) and numbered
in that order: the first of two binary classes is 0, the second 1.  Standardising replaces each
feature x by (x - mean) / std over all rows (population std); a column with one value in every
row is only centred.  The DataSpec keeps the column names and the means and stds, so exports can
take raw values.  :class:`ImportInfo` reports what was done.

Every problem is a :class:`ProjectError` whose message starts with the file name and, where it
applies, names the row as a text editor or spreadsheet numbers it (the header is row 1) and the
column by its name: ``data.csv: row 12, column 'age': 'abc' is not a number``.  Whatever
:func:`build_inline_data` accepts fits a project file that loads again: the names and labels
are within the project's limits and the data's JSON within ``files.MAX_FILE_BYTES``.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simulator.engine import datasets as _datasets
from simulator.project.files import MAX_FILE_BYTES, ProjectError, dumps, read_bytes
from simulator.project.project import (
    DEFAULT_TEST_RATIO,
    INLINE,
    MAX_LAYER_SIZE,
    MAX_NAME,
    MAX_SEED,
    DataSpec,
    Standardization,
)

MAX_CSV_BYTES = MAX_FILE_BYTES  # 100,000 rows of 10 numbers written in full take 30 MB
MAX_ROWS = _datasets.MAX_SAMPLES  # data rows, the header not counted
MAX_COLUMNS = MAX_LAYER_SIZE + 1  # as many features as an input layer holds, and a target
MAX_CELLS = 5_000_000  # cells held as Python strings: bounds the memory a table takes
# Values in X and y together: the saved project (about 20 characters a value) must stay under
# files.MAX_FILE_BYTES, or it could not be opened again.
MAX_VALUES = 2_000_000
MIN_ROWS = 4  # enough for the train/test split to leave rows on both sides
MOSTLY_NUMERIC = 0.8  # share of finite numbers that makes a column worth offering as a feature
LARGE_TARGET = 100.0  # a regression target reaching this far makes the MSE loss large
MAX_LABEL_LENGTH = MAX_NAME  # the project file's limit for a class name
# Separators in one record (quoted ones included) before csv splits it: each cell becomes a
# Python string of 50 bytes or more, so this bounds a record at about 10 MB.  Generous, so
# that trailing separators and quoted text with commas in it stay readable.
MAX_SEPARATORS = 200_000
# Room in a project file for all but the data (network, settings, a description).
PROJECT_RESERVE_BYTES = 1024 * 1024
_FLOAT_CHARS = 26  # the longest float64 repr (24 characters) and its ", " in a JSON list
DELIMITERS = ("\t", ";", ",")  # in order of preference (see _sniff_delimiter)
_SNIFF_ROWS = 50
_SNIFF_CHARS = 64 * 1024  # the delimiter is guessed from the lines in this much text
_CHUNK_CHARS = 64 * 1024  # text cut into lines at a time (see _LineFeed)
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NONFINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+(?:[eE][+-]?\d+)?")
_LINE_END = re.compile(r"\r\n?|\n")  # where io.StringIO(newline="") ends a line
_EMPTY_LINES = ("\n", "\r\n", "\r")
_LINE_END_BYTES = re.compile(rb"\r\n?|\n")
_VISIBLE = re.compile(r"\S")


# --------------------------------------------------------------------------- the table


@dataclass(eq=False)
class CsvTable:
    """A CSV file's cells as text, one list per data row (the header is not in ``rows``).

    ``row_numbers[i]`` is the line on which ``rows[i]`` starts, counting from 1 with the header
    (what a text editor or spreadsheet shows); error messages use it.  ``shortened`` maps each
    column name shortened to MAX_NAME characters to the length of the file's header cell.
    """

    path: Path
    columns: list[str]
    rows: list[list[str]]
    header: bool
    delimiter: str
    row_numbers: list[int]
    shortened: dict[str, int] = field(default_factory=dict)
    _scans: dict = field(default_factory=dict, init=False, repr=False)
    _positions: dict = field(default_factory=dict, init=False, repr=False)
    _positions_of: list | None = field(default=None, init=False, repr=False)

    def __repr__(self) -> str:
        return (
            f"CsvTable({str(self.path)!r}, {len(self.rows)} rows x {len(self.columns)} columns, "
            f"{_DELIMITER_NAMES[self.delimiter]}-separated, header={self.header})"
        )

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    def preview(self, n: int = 20) -> list[list[str]]:
        """The first ``n`` data rows."""
        return [list(row) for row in self.rows[:n]]

    def index(self, column: str) -> int:
        """The position of ``column``; a ProjectError lists the columns if there is none."""
        if self._positions_of is not self.columns:
            # A dictionary, not list.index: a dialog looks up each of 10,000 columns.
            self._positions = {}
            for j, name in enumerate(self.columns):
                self._positions.setdefault(name, j)
            self._positions_of = self.columns
        j = self._positions.get(column) if isinstance(column, str) else None
        if j is None:
            known = ", ".join(_show(c) for c in self.columns[:20])
            more = ", ..." if len(self.columns) > 20 else ""
            shown = _show(column) if isinstance(column, str) else repr(column)
            raise self._error(f"there is no column {shown} (columns: {known}{more})")
        return j

    def cells(self, column: str) -> list[str]:
        """The cells of ``column``, one per data row."""
        j = self.index(column)
        return [row[j] for row in self.rows]

    def numeric_columns(self) -> list[str]:
        """Columns where every cell is a finite number."""
        return [name for name in self.columns if self._scan(name)[1] is None]

    def mostly_numeric_columns(self) -> list[str]:
        """Columns where at least MOSTLY_NUMERIC of the cells are finite numbers: the numeric
        columns and those with a few bad cells, which :meth:`column_problem` describes."""
        need = MOSTLY_NUMERIC * self.n_rows
        return [name for name in self.columns if self._scan(name)[0] >= max(need, 1)]

    def column_problem(self, column: str) -> tuple[int, str] | None:
        """The first cell of ``column`` that is not a finite number, else None: its row index
        in ``rows`` and a message without the file name, "row 7, column 'x2': 'oops' is not a
        number"."""
        bad = self._scan(column)[1]
        if bad is None:
            return None
        cell = self.rows[bad][self.index(column)]
        return bad, f"row {self.row_numbers[bad]:,}, column {column!r}: {_bad_number(cell)}"

    def _scan(self, column: str) -> tuple[int, int | None]:
        """(finite numbers in ``column``, the row index of its first other cell or None)."""
        if column not in self._scans:
            j = self.index(column)
            decimal_comma = self.delimiter != ","
            count, first = 0, None
            for i, row in enumerate(self.rows):
                x = _number(row[j], decimal_comma) if row[j] else None
                if x is not None and math.isfinite(x):
                    count += 1
                elif first is None:
                    first = i
            self._scans[column] = (count, first)
        return self._scans[column]

    def guess_target(self) -> str:
        """The column a target usually sits in: the last."""
        return self.columns[-1]

    def guess_task(self, column: str) -> str:
        """A suggested task for ``column`` as the target: binary, multiclass or regression.

        Text labels, or a few distinct whole numbers, suggest classification (binary for two
        classes or fewer); any other numbers suggest regression.
        """
        labels = {cell for cell in self.cells(column) if cell}
        decimal_comma = self.delimiter != ","
        numbers = {_number(cell, decimal_comma) for cell in labels}
        if None in numbers:  # text labels
            return "binary" if len(labels) <= 2 else "multiclass"
        if len(numbers) <= 2:
            return "binary"
        whole = all(math.isfinite(x) and x.is_integer() for x in numbers)
        few = len(numbers) <= min(20, self.n_rows / 2)  # build_inline_data's limit
        return "multiclass" if whole and few else "regression"

    def _error(self, problem: str, row: int | None = None, column: str | None = None):
        where = []
        if row is not None:
            where.append(f"row {self.row_numbers[row]:,}")
        if column is not None:
            where.append(f"column {column!r}")
        prefix = ", ".join(where)
        return ProjectError(f"{self.path}: {prefix + ': ' if prefix else ''}{problem}")


def read_csv_table(path: str | os.PathLike, limit_bytes: int = MAX_CSV_BYTES) -> CsvTable:
    """Read the CSV file ``path`` (at most ``limit_bytes`` long) as a :class:`CsvTable`.

    Raises ProjectError naming the file (and the row, where one is at fault) for a missing,
    unreadable or oversized file, text that is not UTF-8, an empty file, rows of different
    lengths, fewer than 2 columns, a cell longer than ``csv.field_size_limit()``, or more than
    MAX_ROWS data rows, MAX_COLUMNS columns, MAX_SEPARATORS separators in a row or MAX_CELLS
    cells.  Nothing else escapes, whatever the bytes.
    """
    data = read_bytes(path, limit_bytes)
    text = _decode(data, path)
    del data  # the text alone from here on: a large file is not held twice
    if _VISIBLE.search(text) is None:  # not text.strip(), which copies the whole text
        raise ProjectError(f"{path}: the file is empty")
    delimiter = _sniff_delimiter(text)
    records, numbers = _read_records(text, delimiter, path)
    if not records:
        raise ProjectError(f"{path}: the file is empty (only separators, no values)")
    width = len(records[0])
    named = _significant(records[0])
    header = _has_header(records, delimiter != ",")
    # A quote opened in the first row and never closed swallows the rows after it.
    open_quote = " (is a quote opened on row 1 never closed?)" if _spans_lines(records[0]) else ""
    for k in range(1, len(records)):
        cells = records[k]
        # Trailing separators (a spreadsheet's habit) neither add nor remove columns.
        if len(cells) > width and not any(cells[width:]):
            del cells[width:]
        elif named <= len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        if len(cells) != width:
            first = "the header" if header else f"row {numbers[0]:,}"
            hint = open_quote
            if _spans_lines(cells):
                hint = " (is a quote opened on this row never closed?)"
            raise ProjectError(
                f"{path}: row {numbers[k]:,} has {_values(len(cells))}, {first} has {named:,}{hint}"
            )
    while width > 1 and not any(cells[width - 1] for cells in records):
        width -= 1  # a trailing column empty everywhere, header included
        for cells in records:
            del cells[width:]
    if width < 2:
        raise ProjectError(
            f"{path}: found only one column; the data needs at least a feature column and a "
            f"target column, separated by commas, semicolons or tabs{open_quote}"
        )
    n_rows = len(records) - header
    if n_rows > MAX_ROWS:
        raise ProjectError(
            f"{path}: more than {MAX_ROWS:,} data rows; at most {MAX_ROWS:,} can be imported"
        )
    shortened: dict[str, int] = {}
    if header:
        columns = _unique_names(records[0], shortened)
        rows, numbers = records[1:], numbers[1:]
        if not rows:
            raise ProjectError(f"{path}: the file has a header but no data rows{open_quote}")
    else:
        columns = [f"column {j + 1}" for j in range(width)]
        rows = records
    return CsvTable(Path(path), columns, rows, header, delimiter, numbers, shortened)


def _decode(data: bytes, path) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ProjectError(f"{path}: the file is UTF-16 text; save it as UTF-8 (CSV UTF-8)")
    if b"\x00" in data:
        raise ProjectError(
            f"{path}: not a text file (it holds zero bytes); is it a spreadsheet? Save it as CSV"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = len(_LINE_END_BYTES.findall(data, 0, exc.start)) + 1
        raise ProjectError(
            f"{path}: not UTF-8 text (row {line:,}, byte {exc.start:,}); save it as UTF-8"
        ) from None


def _reader(text: str, delimiter: str):
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same number (>= 2) of cells.

    Only the lines within the first _SNIFF_CHARS characters are read (all of them if the first
    line is longer), so a row of millions of cells costs nothing here.  Tabs and semicolons are
    preferred to commas, which also appear inside numbers written with a decimal comma; when
    no delimiter is consistent, the one most rows agree with wins (the row-length check then
    names the row that differs).
    """
    if len(text) > _SNIFF_CHARS:
        text = text[:_SNIFF_CHARS]
        last = max(text.rfind("\n"), text.rfind("\r"))
        if last > 0:
            text = text[: last + 1]  # whole lines only
    best, best_score = ",", (-1, -1)
    for rank, delimiter in enumerate(DELIMITERS):
        try:
            sample = [r for r in itertools.islice(_reader(text, delimiter), _SNIFF_ROWS) if r]
        except csv.Error:
            continue
        if not sample or len(sample[0]) < 2:
            continue
        agree = sum(len(r) == len(sample[0]) for r in sample)
        if agree == len(sample):
            return delimiter
        score = (agree, -rank)
        if score > best_score:
            best, best_score = delimiter, score
    return best


class _RowTooLong(Exception):
    """A record with more than MAX_SEPARATORS separators (raised before csv splits it)."""


class _LineFeed:
    """The lines of ``text`` for ``csv.reader``, counted before the reader sees them.

    ``csv.reader`` turns a whole record into a list of strings before anyone can look at it:
    a row of 12 million cells would take gigabytes.  The feed counts the delimiters in the
    lines of the record being read and raises _RowTooLong past MAX_SEPARATORS instead.  Lines
    end as ``io.StringIO(newline="")`` ends them (\\n, \\r\\n or a lone \\r) and are cut from
    the text a chunk at a time (StringIO holds 4 bytes a character).  Between records (the
    reader asks for a line after :meth:`next_record`) a run of lines holding nothing but
    separators and spaces is skipped in one step, counted: 60 million such lines (a
    spreadsheet's empty rows) take a second, not half a minute.
    """

    def __init__(self, text: str, delimiter: str):
        self.text, self.delimiter = text, delimiter
        self.record_line = 1  # the line the record being read starts on
        self.record_start = 0  # and its offset in the text
        self.read_to = 0  # the offset after the last line handed out
        self._between = True
        # Lines of separators and spaces (the reader's records of empty cells); the class of
        # single characters keeps the match in C, in constant memory, however long the run.
        self._blank_lines = re.compile(f"[{re.escape(delimiter)} \t\r\n]*[\r\n]")

    def next_record(self) -> None:
        """The reader has returned a record; the next line it asks for starts another."""
        self._between = True

    def quoted(self) -> bool:
        """Whether the record being read holds a quote (in the lines read so far)."""
        return self.text.find('"', self.record_start, self.read_to) >= 0

    def __iter__(self):
        # Locals, not attributes, in the loop: it runs once a line.
        text, delimiter, most = self.text, self.delimiter, MAX_SEPARATORS
        pos, end, lines, separators = 0, len(text), 0, 0
        blank_lines = self._blank_lines.match
        while pos < end:
            if self._between and (blank := blank_lines(text, pos)) is not None:
                a, pos = blank.span()
                lines += text.count("\n", a, pos) + text.count("\r", a, pos)
                lines -= text.count("\r\n", a, pos)
                continue
            stop = _LINE_END.search(text, min(pos + _CHUNK_CHARS, end))
            stop = end if stop is None else stop.end()
            fast = stop - pos <= 2 * _CHUNK_CHARS and (
                separators + text.count(delimiter, pos, stop) <= most
            )
            chunk = io.StringIO(text[pos:stop], newline="") if fast else _lines(text, pos, stop)
            for line in chunk:
                if self._between:
                    if line in _EMPTY_LINES:
                        break  # a run of empty lines: skipped above, at once
                    self._between = False
                    self.record_line, self.record_start = lines + 1, pos
                    separators = 0
                separators += line.count(delimiter)
                pos += len(line)
                self.read_to = pos
                if separators > most:
                    raise _RowTooLong
                lines += 1
                yield line


def _lines(text: str, pos: int, stop: int):
    """The lines of ``text[pos:stop]``, one slice at a time."""
    while pos < stop:
        end = _LINE_END.search(text, pos, stop)
        end = stop if end is None else end.end()
        yield text[pos:end]
        pos = end


def _read_records(text: str, delimiter: str, path) -> tuple[list[list[str]], list[int]]:
    """Non-blank rows of stripped cells, and the line each starts on.

    The limits are checked as the rows arrive: MAX_SEPARATORS before a record is split,
    MAX_COLUMNS on the first row, MAX_CELLS and MAX_ROWS on the running totals.
    """
    records, numbers = [], []
    feed = _LineFeed(text, delimiter)
    reader = csv.reader(feed, delimiter=delimiter)
    total = 0
    try:
        for cells in reader:
            start = feed.record_line
            feed.next_record()
            cells = [cell.strip() for cell in cells]
            if not any(cells):
                continue
            if not records and len(cells) > MAX_COLUMNS:
                raise ProjectError(
                    f"{path}: {len(cells):,} columns; at most {MAX_COLUMNS:,} can be imported"
                )
            total += len(cells)
            if total > MAX_CELLS:
                raise ProjectError(
                    f"{path}: more than {MAX_CELLS:,} cells (reached on row {start:,}); at most "
                    f"{MAX_CELLS:,} can be imported"
                )
            records.append(cells)
            numbers.append(start)
            if len(records) > MAX_ROWS + 1:  # the header and MAX_ROWS rows, and one too many
                break
    except _RowTooLong:
        name = _DELIMITER_NAMES[delimiter]
        raise ProjectError(
            f"{path}: row {feed.record_line:,} is too long: more than {MAX_SEPARATORS:,} "
            f"{name}s; at most {MAX_COLUMNS:,} columns can be imported{_quote_hint(feed)}"
        ) from None
    except csv.Error as exc:
        problem = f"cannot read it: {exc}"
        if "field larger than field limit" in str(exc):
            problem = f"a cell is longer than {csv.field_size_limit():,} characters"
        raise ProjectError(
            f"{path}: row {feed.record_line:,}: {problem}{_quote_hint(feed)}"
        ) from None
    return records, numbers


def _quote_hint(feed: _LineFeed) -> str:
    return " (is a quote opened on this row never closed?)" if feed.quoted() else ""


def _has_header(records: list[list[str]], decimal_comma: bool) -> bool:
    # A text cell above a column of numbers is a name; a first row of numbers is data.  A lone
    # row with text in it is a header without data (an error the caller reports).
    first, below = records[0], records[1:]
    for j, cell in enumerate(first):
        if not cell or _number(cell, decimal_comma) is not None:
            continue
        values = [row[j] for row in below if j < len(row) and row[j]]
        if (values or not below) and all(_number(x, decimal_comma) is not None for x in values):
            return True
    return False


def _spans_lines(cells: list[str]) -> bool:
    return any("\n" in cell for cell in cells)


def _significant(cells: list[str]) -> int:
    """The number of cells up to the last non-empty one."""
    n = len(cells)
    while n and not cells[n - 1]:
        n -= 1
    return n


def _unique_names(cells: list[str], shortened: dict[str, int]) -> list[str]:
    """The header's cells as column names: unique, none empty, none over MAX_NAME characters.

    Changes ``shortened``: each name cut to fit maps to its cell's length.
    """
    names: list[str] = []
    taken: set[str] = set()
    tried: dict[str, int] = {}  # the next number to try after a name: linear, not quadratic
    for j, cell in enumerate(cells):
        stem = cell or f"column {j + 1}"
        name = _fit(stem, "")
        if name in taken:
            k = tried.get(stem, 2)
            while (name := _fit(stem, f" ({k})")) in taken:
                k += 1
            tried[stem] = k + 1
        if len(stem) > MAX_NAME:
            shortened[name] = len(stem)
        taken.add(name)
        names.append(name)
    return names


def _fit(stem: str, suffix: str) -> str:
    """``stem + suffix`` within MAX_NAME characters: a long stem is cut and ends in "…"."""
    room = MAX_NAME - len(suffix)
    if len(stem) > room:
        stem = stem[: room - 1] + "…"
    return stem + suffix


def _number(cell: str, decimal_comma: bool = False) -> float | None:
    """The number ``cell`` spells (nan and infinities included), else None."""
    if _NUMBER.fullmatch(cell) or _NONFINITE.fullmatch(cell):
        return float(cell)
    if decimal_comma and _DECIMAL_COMMA.fullmatch(cell):
        return float(cell.replace(",", "."))
    return None


def _values(n: int) -> str:
    return f"{n:,} value{'s' if n != 1 else ''}"


def _show(cell: str) -> str:
    return repr(cell if len(cell) <= 40 else cell[:37] + "...")


# --------------------------------------------------------------------------- inline data


@dataclass(frozen=True)
class ImportInfo:
    """What :func:`build_inline_data` made of the table, for the dialog to show.

    ``feature_columns`` are the chosen columns in the order of X's columns; ``means`` and
    ``stds`` (population std, ddof 0) describe their raw values, whether or not
    ``standardized`` applied them; ``constant`` names the feature columns with one value in
    every row (std 0: centred, not scaled).  ``class_names`` and ``class_counts`` (rows per
    class, in class-index order) are empty for regression.  ``notes`` are sentences for the
    user (which class is 1, which columns are constant); ``warnings`` are sentences about what
    may go wrong in training (a regression target on a large scale).
    """

    n_rows: int
    feature_columns: tuple[str, ...]
    target_column: str
    task: str
    class_names: tuple[str, ...]
    class_counts: tuple[int, ...]
    standardized: bool
    means: tuple[float, ...]
    stds: tuple[float, ...]
    constant: tuple[str, ...]
    notes: tuple[str, ...]
    warnings: tuple[str, ...] = ()


def build_inline_data(
    table: CsvTable,
    features: list[str],
    target: str,
    task: str,
    standardize: bool,
    test_ratio: float = DEFAULT_TEST_RATIO,
    seed: int | None = None,
) -> tuple[DataSpec, ImportInfo]:
    """Inline project data from the ``features`` columns (inputs) and the ``target`` column.

    ``task`` is "binary", "multiclass" or "regression".  The DataSpec holds X (n, d) float64,
    y (n,) (binary 0/1 float64, multiclass int64 class indices with ``class_names``, regression
    float64), and the engine's default input features for 2 columns (else none), so a project
    file with a network of ``data.network_inputs`` inputs and ``data.output_size`` outputs
    accepts it.  It names the columns (``feature_names``, ``target_name``) and, standardised,
    keeps the statistics (``standardization``).  Raises ProjectError naming the file, row and
    column of the first problem.
    """
    if task not in _datasets.KINDS:
        raise table._error(f"unknown task {task!r} (known: {', '.join(_datasets.KINDS)})")
    features = list(features)
    if not features:
        raise table._error("choose at least one feature column")
    for name in [*features, target]:
        table.index(name)
    seen: set[str] = set()
    repeated = next((name for name in features if name in seen or seen.add(name)), None)
    if repeated is not None:
        raise table._error(f"column {repeated!r} is chosen twice as a feature")
    if target in features:
        raise table._error(f"the target column {target!r} is also chosen as a feature")
    if len(features) > MAX_LAYER_SIZE:
        raise table._error(
            f"{len(features):,} feature columns; an input layer holds at most {MAX_LAYER_SIZE:,}"
        )
    high = _datasets.MAX_TEST_RATIO
    if type(test_ratio) not in (int, float) or not 0.0 <= test_ratio <= high:
        raise table._error(f"the test share must be a number from 0 to {high}, not {test_ratio!r}")
    if seed is not None and not (type(seed) is int and 0 <= seed <= MAX_SEED):
        raise table._error(f"the data seed must be None or a whole number from 0 to {MAX_SEED}")
    n, d = table.n_rows, len(features)
    if n < MIN_ROWS:
        raise table._error(
            f"only {n} data row{'s' if n != 1 else ''}; at least {MIN_ROWS} are needed "
            "(some to train on and some to test)"
        )
    if n * (d + 1) > MAX_VALUES:
        raise table._error(
            f"{n:,} rows of {d + 1:,} values make {n * (d + 1):,} values; a project holds at "
            f"most {MAX_VALUES:,} (choose fewer columns or rows)"
        )
    X = _feature_matrix(table, features)
    y, class_names, counts, notes = _targets(table, target, task)
    means, stds, constant = _column_stats(X)
    if standardize:
        bad = ~(np.isfinite(means) & np.isfinite(stds))
        if bad.any():
            name = features[int(np.flatnonzero(bad)[0])]
            raise table._error("the values are too large to standardise", column=name)
        X = X - means
        scaled = stds > 0.0
        X[:, scaled] /= stds[scaled]
    constant_names = tuple(features[j] for j in np.flatnonzero(constant))
    for name in constant_names:
        what = "centred to 0, not scaled" if standardize else "it carries no information"
        notes.append(f"Column {name!r} has the same value in every row: {what}.")
    for name in [*features, target]:
        if name in table.shortened:
            notes.append(
                f"The name of column {table.index(name) + 1} has {table.shortened[name]:,} "
                f"characters; a project keeps {MAX_NAME}: it is shortened to {_show(name)}."
            )
    warnings = _target_warnings(y, target) if task == "regression" else []
    stats = None
    if standardize:
        stats = Standardization(tuple(map(float, means)), tuple(map(float, stds)))
    spec = DataSpec(
        INLINE,
        None,
        0.0,
        float(test_ratio),
        list(_datasets.DEFAULT_FEATURES) if d == 2 else [],
        seed,
        X,
        y,
        task,
        class_names,
        feature_names=list(features),
        target_name=target,
        standardization=stats,
    )
    _check_file_size(table, spec)
    info = ImportInfo(
        n_rows=n,
        feature_columns=tuple(features),
        target_column=target,
        task=task,
        class_names=tuple(class_names or ()),
        class_counts=tuple(counts),
        standardized=bool(standardize),
        means=tuple(float(m) for m in means),
        stds=tuple(float(s) for s in stds),
        constant=constant_names,
        notes=tuple(notes),
        warnings=tuple(warnings),
    )
    return spec, info


def _check_file_size(table: CsvTable, spec: DataSpec) -> None:
    """Raises ProjectError if ``spec`` would make a project file too large to open again.

    A bound from the counts (every number written in full, every name as JSON) settles
    nearly every table at no cost; only near the limit is the data written out and measured.
    """
    budget = MAX_FILE_BYTES - PROJECT_RESERVE_BYTES
    n, d = spec.X.shape
    names = [*(spec.feature_names or ()), spec.target_name or "", *(spec.class_names or ())]
    bound = _FLOAT_CHARS * (n * (d + 1) + 2 * d) + 16 * n + 4096
    bound += sum(len(json.dumps(name, ensure_ascii=False).encode()) + 2 for name in names)
    if bound <= budget:
        return
    size = len(dumps({"data": spec.to_dict()}).encode("utf-8"))
    if size > budget:
        raise table._error(
            f"the data takes {size / 2**20:.1f} MB in a project file, which holds "
            f"{budget / 2**20:.1f} MB of data at most (choose fewer columns or rows)"
        )


def _target_warnings(y: np.ndarray, target: str) -> list[str]:
    # Targets are never rescaled: the prediction is in the column's own units, so a target far
    # from [-1, 1] trains on a loss of its square's size.
    reach = float(np.max(np.abs(y)))
    with np.errstate(over="ignore", invalid="ignore"):
        spread = float(np.std(y))  # inf for values near the float64 limit: still large
    if max(reach, spread) <= LARGE_TARGET:
        return []
    return [
        f"The target {target!r} reaches {_amount(reach)} (sd {_amount(spread)}): the loss will be "
        "large and training may need a small learning rate; consider rescaling the column "
        "(thousands instead of units, say)."
    ]


def _feature_matrix(table: CsvTable, features: list[str]) -> np.ndarray:
    decimal_comma = table.delimiter != ","
    js = [table.index(name) for name in features]
    values = []
    for i, row in enumerate(table.rows):
        for name, j in zip(features, js, strict=True):
            cell = row[j]
            x = _number(cell, decimal_comma) if cell else None
            if x is None or not math.isfinite(x):
                raise table._error(_bad_number(cell), i, name)
            values.append(x)
    return np.array(values, dtype=np.float64).reshape(table.n_rows, len(features))


def _bad_number(cell: str, what: str = "value") -> str:
    if not cell:
        return f"the {what} is missing"
    if _NONFINITE.fullmatch(cell) or _NUMBER.fullmatch(cell):
        return f"{_show(cell)} is not a finite number"
    return f"{_show(cell)} is not a number"


def _targets(table: CsvTable, target: str, task: str):
    """y, class names (None for regression), rows per class and notes for ``target``."""
    decimal_comma = table.delimiter != ","
    cells = table.cells(target)
    for i, cell in enumerate(cells):
        if not cell:
            raise table._error("the target value is missing", i, target)
    numbers = [_number(cell, decimal_comma) for cell in cells]
    numeric = all(x is not None for x in numbers)
    if task == "regression":
        for i, (cell, x) in enumerate(zip(cells, numbers, strict=True)):
            if x is None:
                raise table._error(
                    f"{_show(cell)} is not a number; a regression target must be numeric "
                    "(choose classification for text labels)",
                    i,
                    target,
                )
            if not math.isfinite(x):
                raise table._error(_bad_number(cell), i, target)
        return np.array(numbers, dtype=np.float64), None, [], []
    if numeric:
        for i, (cell, x) in enumerate(zip(cells, numbers, strict=True)):
            if not math.isfinite(x):
                raise table._error(_bad_number(cell), i, target)
        keys: list = numbers
        classes = sorted(set(numbers))
        names = [_number_name(x) for x in classes]
    else:
        for i, cell in enumerate(cells):
            if len(cell) > MAX_LABEL_LENGTH:
                raise table._error(
                    f"the label is too long ({len(cell):,} characters; at most {MAX_LABEL_LENGTH})",
                    i,
                    target,
                )
        keys = cells
        classes = sorted(set(cells))
        names = list(classes)
    k, n = len(classes), len(cells)
    if k < 2:
        raise table._error(
            f"every row has the label {names[0]!r}: classification needs at least 2 classes",
            column=target,
        )
    if task == "binary" and k > 2:
        raise table._error(
            f"{k:,} classes ({_list(names)}), but binary classification needs exactly 2: "
            "choose multiclass",
            column=target,
        )
    if k > MAX_LAYER_SIZE:
        raise table._error(
            f"{k:,} classes; an output layer holds at most {MAX_LAYER_SIZE:,}", column=target
        )
    if k > n / 2:
        advice = (
            "for a numeric target with many values choose regression"
            if numeric
            else "is it an identifier or a free-text column?"
        )
        raise table._error(
            f"{k:,} different labels in {n:,} rows: too few rows per class to learn from "
            f"({advice})",
            column=target,
        )
    index = {c: idx for idx, c in enumerate(classes)}
    y = np.array([index[key] for key in keys], dtype=np.int64)
    counts = np.bincount(y, minlength=k).tolist()
    notes = []
    if task == "binary":
        notes.append(f"Class {names[0]!r} is 0 and class {names[1]!r} is 1.")
        return y.astype(np.float64), names, counts, notes
    return y, names, counts, notes


def _amount(x: float) -> str:
    # 122,500 reads better than 1.22e+05; very large values need the exponent.
    return f"{x:,.0f}" if abs(x) < 1e9 else f"{x:.3g}"


def _number_name(x: float) -> str:
    # 1.0 and "1" are the same class; show it as a spreadsheet would.
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def _list(names: list[str], most: int = 5) -> str:
    shown = ", ".join(repr(n) for n in names[:most])
    return shown + (", ..." if len(names) > most else "")


def _column_stats(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column: mean, population std and whether every value is the same."""
    constant = (X == X[:1]).all(axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        means = np.where(constant, X[0], X.mean(axis=0))
        stds = np.where(constant, 0.0, X.std(axis=0))
    return means, stds, constant
