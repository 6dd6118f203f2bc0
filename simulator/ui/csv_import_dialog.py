"""Data ▸ Import CSV: preview a CSV file, choose its feature and target columns, check it.

The dialog reads the file (``project.csv_import.read_csv_table``), shows its first rows, and
rebuilds the data (``build_inline_data``) after every choice: the line under the choices shows
the first problem, naming its row and column, and Import stays disabled until there is none.
A mostly numeric column with a few bad cells (a typo, an empty cell, "nan") is offered and
ticked like the others: its first bad cell blocks Import until the file is fixed or the column
is left out, and a column left out for that reason stays named in a warning.
Accepted, :attr:`CsvImportDialog.spec` holds the inline data for ``Document.import_data``.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from simulator.app import numbers
from simulator.app.document import TASK_DEFAULTS
from simulator.engine import datasets as _datasets
from simulator.project import csv_import
from simulator.project.csv_import import CsvTable, ImportInfo
from simulator.project.files import ProjectError
from simulator.project.project import DEFAULT_TEST_RATIO, DataSpec

CSV_FILTER = "CSV files (*.csv *.tsv *.txt);;All files (*)"
PREVIEW_ROWS = 20
STRETCH_COLUMNS = 8  # up to this many columns fill the preview's width
FIT_COLUMNS = 200  # up to this many fit their contents (10,000 columns took 1.5 s to measure)
LIVE_CELLS = 200_000  # larger tables are checked a moment after the last change
CHECK_DELAY_MS = 250
SHOWN_STATS = 6  # features whose mean and sd the summary lists
TASK_TITLES = {
    "binary": "Binary classification",
    "multiclass": "Multiclass classification",
    "regression": "Regression",
}
_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
_LOSS_NAMES = {"bce": "binary cross-entropy", "cross_entropy": "cross-entropy", "mse": "MSE"}
ERROR_COLOUR = "#c62828"
WARNING_COLOUR = "#b26a00"
READY_COLOUR = "#2e7d32"


# Dialogs go through module-level functions so tests can answer them without a human.
def ask_csv_path(parent: QWidget | None, folder: str) -> str:
    return QFileDialog.getOpenFileName(parent, "Import CSV", folder, CSV_FILTER)[0]


class CsvImportDialog(QDialog):
    """Preview ``path`` and choose how it becomes the project's data.

    ``spec`` and ``info`` hold the result of the last successful check (None while invalid);
    ``current_task`` is the document's task now (the summary says what the output layer
    becomes).
    """

    def __init__(
        self,
        path: str | Path | None = None,
        current_task: str | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle("Import CSV")
        self.setObjectName("CsvImportDialog")
        self.table: CsvTable | None = None
        self.spec: DataSpec | None = None
        self.info: ImportInfo | None = None
        self._current_task = current_task
        self._numeric: set[str] = set()
        self._problems: dict[str, tuple[int, str]] = {}
        self._path: Path | None = None
        self._updating = False
        self._roles: dict[int, str] = {}  # each preview column's look: target, feature, unused
        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self.validate)

        layout = QVBoxLayout(self)
        layout.addLayout(self._build_file_row())
        self.file_label = QLabel()
        self.file_label.setWordWrap(True)
        layout.addWidget(self.file_label)
        self.preview = QTableWidget()
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.preview.setAlternatingRowColors(True)
        self.preview.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.preview.setToolTip(f"The file's first {PREVIEW_ROWS} data rows")
        layout.addWidget(self.preview, 3)

        choices = QHBoxLayout()
        choices.addWidget(self._build_features_box(), 1)
        choices.addWidget(self._build_target_box(), 1)
        layout.addLayout(choices, 2)

        self.validation_label = QLabel()
        self.validation_label.setObjectName("csvValidation")
        self.validation_label.setWordWrap(True)
        self.validation_label.setTextFormat(Qt.TextFormat.RichText)
        self.validation_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.validation_label)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.summary_label)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Import")
        self.ok_button.setToolTip(
            "Replace the project's data with this table; the network's input and output "
            "layers adapt (Edit ▸ Undo brings the old data and network back)"
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(900, 680)

        if path:
            self.load(path)
        else:
            self._show_table_error("Choose a CSV file: Browse…")

    # ----------------------------------------------------------------- construction
    def _build_file_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(QLabel("File:"))
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("A CSV file: one sample per row, a column per value")
        self.path_edit.installEventFilter(self)
        row.addWidget(self.path_edit, 1)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.setAutoDefault(False)
        self.browse_button.clicked.connect(self._browse)
        row.addWidget(self.browse_button)
        return row

    def _build_features_box(self) -> QGroupBox:
        box = QGroupBox("Features — the network's inputs")
        column = QVBoxLayout(box)
        self.feature_list = QListWidget()
        self.feature_list.setToolTip(
            "Tick the columns the network reads; each becomes an input neuron"
        )
        self.feature_list.itemChanged.connect(self._on_choice_changed)
        column.addWidget(self.feature_list)
        row = QHBoxLayout()
        self.all_numeric_button = QPushButton("All Numeric")
        self.all_numeric_button.setToolTip("Tick every column of numbers except the target")
        self.none_button = QPushButton("None")
        for button in (self.all_numeric_button, self.none_button):
            button.setAutoDefault(False)
            row.addWidget(button)
        row.addStretch(1)
        self.all_numeric_button.clicked.connect(lambda: self._tick_features(numeric=True))
        self.none_button.clicked.connect(lambda: self._tick_features(numeric=False))
        column.addLayout(row)
        return box

    def _build_target_box(self) -> QGroupBox:
        box = QGroupBox("Target — what the network learns to predict")
        form = QFormLayout(box)
        self.target_combo = QComboBox()
        self.target_combo.setToolTip("The column holding the answer for each row")
        self.target_combo.currentIndexChanged.connect(self._on_target_changed)
        form.addRow("Target column:", self.target_combo)
        self.task_combo = QComboBox()
        for key, title in TASK_TITLES.items():
            self.task_combo.addItem(title, key)
        self.task_combo.setToolTip(
            "Classification: the target names a class (text or numbers); binary for two "
            "classes. Regression: the target is a number to predict"
        )
        self.task_combo.currentIndexChanged.connect(self._on_choice_changed)
        form.addRow("Task:", self.task_combo)
        self.standardize_check = QCheckBox("Standardise features (mean 0, standard deviation 1)")
        self.standardize_check.setChecked(True)
        self.standardize_check.setToolTip(
            "Replace each feature x by (x − mean) / sd over all rows: columns on very different "
            "scales then train together"
        )
        self.standardize_check.toggled.connect(self._on_choice_changed)
        form.addRow(self.standardize_check)
        self.test_spin = QSpinBox()
        self.test_spin.setRange(0, round(_datasets.MAX_TEST_RATIO * 100))
        self.test_spin.setValue(round(DEFAULT_TEST_RATIO * 100))
        self.test_spin.setSuffix("%")  # "20%", as percentages read elsewhere
        self.test_spin.setToolTip("The share of rows held out to test the network on")
        self.test_spin.valueChanged.connect(self._on_choice_changed)
        form.addRow("Test share:", self.test_spin)
        return box

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        # Enter in the file field reads that file; it must not also press Import at once.
        if (
            watched is self.path_edit
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self.load(self.path_edit.text())
            return True
        return super().eventFilter(watched, event)

    # ----------------------------------------------------------------- reading the file
    def _browse(self) -> None:
        folder = str(self._path.parent) if self._path else str(Path.home())
        path = ask_csv_path(self, folder)
        if path:
            self.load(path)

    def load(self, path: str | Path) -> bool:
        """Read ``path`` and show it; False (and the reason in the dialog) if it cannot be."""
        self._path = Path(path)
        self.path_edit.setText(str(path))
        try:
            table = csv_import.read_csv_table(path, limit_bytes=csv_import.MAX_CSV_BYTES)
        except (ProjectError, OSError) as exc:
            self.table = None
            self._show_table_error(self._short(str(exc)))
            return False
        self.table = table
        self._fill(table)
        return True

    def _show_table_error(self, message: str) -> None:
        self._updating = True
        self.preview.clear()
        self.preview.setRowCount(0)
        self.preview.setColumnCount(0)
        self.feature_list.clear()
        self.target_combo.clear()
        self._updating = False
        self.file_label.setText("")
        for widget in self._choice_widgets():
            widget.setEnabled(False)
        self._set_result(None, None, message)

    def _choice_widgets(self) -> tuple[QWidget, ...]:
        return (
            self.feature_list,
            self.all_numeric_button,
            self.none_button,
            self.target_combo,
            self.task_combo,
            self.standardize_check,
            self.test_spin,
        )

    def _fill(self, table: CsvTable) -> None:
        self._updating = True
        named = "the first row names the columns" if table.header else "no header row"
        shown = min(PREVIEW_ROWS, table.n_rows)
        self.file_label.setText(
            f"{table.n_rows:,} rows × {len(table.columns)} columns, "
            f"{_DELIMITERS[table.delimiter]}-separated; {named}. "
            f"The first {shown} rows:"
        )
        rows = table.preview(PREVIEW_ROWS)
        self.preview.clear()
        self.preview.setColumnCount(len(table.columns))
        self.preview.setRowCount(len(rows))
        self.preview.setHorizontalHeaderLabels(table.columns)
        self.preview.setVerticalHeaderLabels([f"{n:,}" for n in table.row_numbers[: len(rows)]])
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                self.preview.setItem(r, c, QTableWidgetItem(cell))
        header = self.preview.horizontalHeader()
        if len(table.columns) <= STRETCH_COLUMNS:
            # A few columns share the width rather than huddle at the left.
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        else:
            header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
            if len(table.columns) <= FIT_COLUMNS:
                self.preview.resizeColumnsToContents()
                for c in range(len(table.columns)):
                    self.preview.setColumnWidth(c, min(self.preview.columnWidth(c), 220))
        # New items look like features; _style_preview changes the columns that are not.
        self._roles = dict.fromkeys(range(len(table.columns)), "feature")
        for c, name in enumerate(table.columns):
            self.preview.horizontalHeaderItem(c).setToolTip(f"{name}: feature")

        numeric = set(table.mostly_numeric_columns())
        self._numeric = numeric
        # Mostly numeric columns with a bad cell: (row index, message) of the first one.
        self._problems = {
            name: problem
            for name in table.columns
            if name in numeric and (problem := table.column_problem(name)) is not None
        }
        target = table.guess_target()
        self.target_combo.clear()
        self.target_combo.addItems(table.columns)
        self.target_combo.setCurrentText(target)
        self.feature_list.clear()
        for name in table.columns:
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = name in numeric and name != target
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            if name in self._problems:
                item.setToolTip(
                    f"{self._problems[name][1]}: fix the file, or untick {name} to leave it out"
                )
            elif name not in numeric:
                item.setToolTip(f"{name!r} holds text or missing values")
            self.feature_list.addItem(item)
        self._target = target
        self._mark_target(target)
        self._set_task(table.guess_task(target))
        for widget in self._choice_widgets():
            widget.setEnabled(True)
        self._updating = False
        self.validate()

    # ----------------------------------------------------------------- choices
    def features(self) -> list[str]:
        """The ticked feature columns, in the file's order."""
        out = []
        for k in range(self.feature_list.count()):
            item = self.feature_list.item(k)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(item.data(Qt.ItemDataRole.UserRole))
        return out

    def target(self) -> str:
        return self.target_combo.currentText()

    def task(self) -> str:
        return self.task_combo.currentData()

    def _set_task(self, task: str) -> None:
        self.task_combo.setCurrentIndex(self.task_combo.findData(task))

    def _item(self, name: str) -> QListWidgetItem | None:
        for k in range(self.feature_list.count()):
            item = self.feature_list.item(k)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                return item
        return None

    def _mark_target(self, target: str) -> None:
        # The target cannot be a feature too: its item is unticked and disabled, named so.
        for k in range(self.feature_list.count()):
            item = self.feature_list.item(k)
            name = item.data(Qt.ItemDataRole.UserRole)
            is_target = name == target
            flags = item.flags()
            if is_target:
                item.setCheckState(Qt.CheckState.Unchecked)
                item.setFlags(flags & ~Qt.ItemFlag.ItemIsEnabled)
                item.setText(f"{name}   (the target)")
            else:
                item.setFlags(flags | Qt.ItemFlag.ItemIsEnabled)
                problem = self._problems.get(name)
                bad_row = self.table.row_numbers[problem[0]] if problem else 0
                item.setText(f"{name}   ⚠ row {bad_row:,} has no number" if problem else name)
        self._style_preview()

    def _tick_features(self, numeric: bool) -> None:
        self._updating = True
        for k in range(self.feature_list.count()):
            item = self.feature_list.item(k)
            name = item.data(Qt.ItemDataRole.UserRole)
            on = numeric and name in self._numeric and name != self.target()
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self._updating = False
        self._on_choice_changed()

    def _on_target_changed(self, *_args) -> None:
        if self._updating or self.table is None:
            return
        target = self.target()
        self._updating = True
        old = self._item(self._target)
        if old is not None and self._target in self._numeric:
            old.setCheckState(Qt.CheckState.Checked)  # the old target becomes a feature again
        self._target = target
        self._mark_target(target)
        self._set_task(self.table.guess_task(target))
        self._updating = False
        self._on_choice_changed()

    def _on_choice_changed(self, *_args) -> None:
        if self._updating or self.table is None:
            return
        self._style_preview()
        if self.table.n_rows * len(self.table.columns) > LIVE_CELLS:
            self.ok_button.setEnabled(False)  # until the check has run
            self._check_timer.start()
        else:
            self.validate()

    def _style_preview(self) -> None:
        """The target's column bold and tinted, unused columns grey: the choice reads off the
        table too.  Only columns whose role changed are restyled (a tick restyles one column
        of 10,000, not 200,000 cells)."""
        if self.table is None:
            return
        features = set(self.features())
        target = self.target()
        muted = QBrush(self.palette().color(QPalette.ColorRole.PlaceholderText))
        text = self.palette().brush(QPalette.ColorRole.Text)
        tint = QColor(self.palette().color(QPalette.ColorRole.Highlight))
        tint.setAlphaF(0.18)
        for c, name in enumerate(self.table.columns):
            role = "target" if name == target else "feature" if name in features else "unused"
            header = self.preview.horizontalHeaderItem(c)
            if header is None or self._roles.get(c) == role:
                continue
            self._roles[c] = role
            font = QFont(header.font())
            font.setBold(role == "target")
            header.setFont(font)
            header.setToolTip(f"{name}: {role}")
            background = QBrush(tint) if role == "target" else QBrush()
            foreground = muted if role == "unused" else text
            for r in range(self.preview.rowCount()):
                item = self.preview.item(r, c)
                if item is not None:
                    item.setBackground(background)
                    item.setForeground(foreground)
        # The first bad cell of a mostly numeric column, where the preview reaches it.
        bad = QColor(ERROR_COLOUR)
        bad.setAlphaF(0.25)
        for name, (row, message) in self._problems.items():
            item = self.preview.item(row, self.table.index(name))
            if item is not None:
                item.setBackground(QBrush(bad))
                item.setToolTip(message)

    # ----------------------------------------------------------------- checking
    def validate(self) -> bool:
        """Build the data from the current choices; show the problem or the summary."""
        self._check_timer.stop()
        if self.table is None:
            return False
        features = self.features()
        ticked = [(self._problems[n], n) for n in features if n in self._problems]
        if ticked:
            (_, message), name = min(ticked, key=lambda p: p[0][0])  # the first row, as read
            self._set_result(
                None, None, f"{message} — fix the file or leave {name} out (untick it)"
            )
            return False
        try:
            spec, info = csv_import.build_inline_data(
                self.table,
                self.features(),
                self.target(),
                self.task(),
                standardize=self.standardize_check.isChecked(),
                test_ratio=self.test_spin.value() / 100,
            )
        except ProjectError as exc:
            self._set_result(None, None, self._short(str(exc)))
            return False
        self._set_result(spec, info, None)
        return True

    def _short(self, message: str) -> str:
        # The path is in the field above: the message starts at the row and column.
        if self._path is not None:
            prefix = f"{self._path}: "
            if message.startswith(prefix):
                return message[len(prefix) :]
        return message

    def _left_out(self) -> list[str]:
        """Warnings for mostly numeric columns left out (not the target) for a bad cell."""
        if self.table is None:
            return []
        chosen = set(self.features()) | {self.target()}
        return [
            f"{message}: {name} is left out (fix the file to use it)"
            for name, (_, message) in self._problems.items()
            if name not in chosen
        ]

    def _set_result(
        self, spec: DataSpec | None, info: ImportInfo | None, problem: str | None
    ) -> None:
        self.spec, self.info = spec, info
        self.ok_button.setEnabled(spec is not None)
        if problem is not None:
            lines = [_coloured(f"⚠ {problem}", ERROR_COLOUR, bold=True)]
            self.summary_label.setText("")
        else:
            lines = [_coloured("✓ Ready to import", READY_COLOUR)]
            self.summary_label.setText(self._summary(spec, info))
        lines += [_coloured(f"⚠ {text}", WARNING_COLOUR) for text in self._left_out()]
        if info is not None:
            lines += [_coloured(f"⚠ {text}", WARNING_COLOUR) for text in info.warnings]
        self.validation_label.setText("<br>".join(lines))

    def _summary(self, spec: DataSpec, info: ImportInfo) -> str:
        n_train = info.n_rows - round(info.n_rows * spec.test_ratio)
        lines = []
        features = (
            f"{len(info.feature_columns)} feature{'s' if len(info.feature_columns) != 1 else ''}"
        )
        if info.task == "regression":
            target = f"a number to predict ({html.escape(info.target_column)})"
        else:
            classes = ", ".join(
                f"{html.escape(name)} <b>{count:,}</b>"
                for name, count in zip(info.class_names, info.class_counts)
            )
            target = f"{len(info.class_names)} classes: {classes}"
        lines.append(
            f"<b>{info.n_rows:,} rows</b> (about {n_train:,} to train on, the rest to test) · "
            f"{features} → {target}"
        )
        if info.standardized:
            stats = "; ".join(
                f"{html.escape(name)}: mean {numbers.fmt(mean, 3)}, sd {numbers.fmt(std, 3)}"
                for name, mean, std in list(zip(info.feature_columns, info.means, info.stds))[
                    :SHOWN_STATS
                ]
            )
            more = "; …" if len(info.feature_columns) > SHOWN_STATS else ""
            lines.append(f"Standardised as (x − mean) / sd with {stats}{more}")
        outputs = spec.output_size
        if info.task != self._current_task:
            activation, loss = TASK_DEFAULTS[info.task]
            change = f" ({activation}, {_LOSS_NAMES.get(loss, loss)} loss)"
        else:
            change = ""
        lines.append(
            f"The network's input layer gets {spec.network_inputs} neuron"
            f"{'s' if spec.network_inputs != 1 else ''} and its output layer {outputs}{change}."
        )
        lines.extend(html.escape(note, quote=False) for note in info.notes)
        return "<br>".join(lines)


def _coloured(text: str, colour: str, bold: bool = False) -> str:
    weight = "; font-weight: bold" if bold else ""
    return f'<span style="color: {colour}{weight}">{html.escape(text, quote=False)}</span>'
