"""Train ▸ Compare…: the open project trained under up to six variants, N seeds each.

A preset (or one or two settings of one's own) makes a :class:`~simulator.project.sweep.Sweep`
of the open project; :class:`~simulator.app.compare_job.CompareJob` runs it in worker
processes on every core.  The runs' loss curves come overlaid (the mean over seeds, a band from
the lowest to the highest, log scale), with a table of final losses, accuracy, steps to a
target loss and time.  The results export as CSV (the same columns as ``backprop-lab sweep``)
and the plot as PNG or SVG; a run opens as a project of its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from simulator.app.clock import time_left
from simulator.app.compare_job import CompareJob
from simulator.app.numbers import NOTHING, count, fmt, percent
from simulator.engine import optimizers
from simulator.project.files import ProjectError, write_text_atomic
from simulator.project.sweep import KEYS, MAX_KEYS, Sweep, SweepError, Variation, mean_curve
from simulator.ui import image_export
from simulator.ui.axes import number_axes

MAX_VARIANTS = 6
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
CURVES = {
    "train_loss": "Training loss (each epoch)",
    "batch_loss": "Batch loss (each step)",
    "test_loss": "Test loss (each epoch)",
}
COLUMNS = ("Variant", "Runs", "Train loss", "Test loss", "Accuracy", "Steps to target", "Time")
CUSTOM = "Your own settings"


def presets(lr: float) -> dict[str, list[tuple[str, str]]]:
    """The preset comparisons for a project whose learning rate is ``lr``: name -> the varied
    keys and their values as text (what the Vary rows show)."""
    return {
        "Full batch vs mini-batch vs stochastic": [("batch_size", "full, 10, 1")],
        "Momentum or not": [("optimizer", "SGD"), ("momentum", "0, 0.9")],
        "SGD vs Adam": [("optimizer", "SGD, Adam")],
        "Sigmoid vs ReLU as depth grows": [
            ("activation", "sigmoid, relu"),
            ("hidden", "8, 8x8, 8x8x8x8"),
        ],
        "Learning rate too small / right / too large": [
            ("lr", ", ".join(f"{v:.3g}" for v in (lr / 30, lr, lr * 30)))
        ],
    }


def ask_csv_path(parent: QWidget, suggestion: str) -> str:
    path, _ = QFileDialog.getSaveFileName(parent, "Export results", suggestion, "CSV (*.csv)")
    if path and not Path(path).suffix:
        path += ".csv"
    return path


def ask_image_path(parent: QWidget, suggestion: str) -> str:
    path, chosen = QFileDialog.getSaveFileName(
        parent, "Export plot", suggestion, "PNG image (*.png);;SVG image (*.svg)"
    )
    if path and not Path(path).suffix:
        path += ".svg" if "svg" in chosen else ".png"
    return path


def show_error(parent: QWidget, title: str, text: str) -> None:
    QMessageBox.critical(parent, title, text)


def number(x: float | None) -> str:
    """A table cell's number: the window's 4 significant digits, "—" for none."""
    return NOTHING if x is None or not math.isfinite(x) else fmt(x)


class CompareWindow(QWidget):
    """The Compare window over ``document``'s project.  ``open_project(text, name)`` opens a
    run's trained project (its JSON text) in the main window, with its unsaved-changes
    prompt; ``workers`` the processes to use (None: every core)."""

    def __init__(
        self,
        document,
        *,
        open_project: Callable[[str, str], object],
        parent: QWidget | None = None,
        workers: int | None = None,
        clock=None,
    ):
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Compare runs")
        self.setObjectName("CompareWindow")
        self.document = document
        self.open_project = open_project
        self.workers = workers
        self.job = CompareJob(self, clock=clock)
        self.sweep: Sweep | None = None
        self.results: list = []
        # Per variant index: its (mean, band, low, high) plot items, made once, then set.
        self.curves: dict[int, tuple] = {}
        self._build()
        self.job.result_ready.connect(self._on_result)
        self.job.progress.connect(self._on_progress)
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(self._on_failed)
        self._apply_preset(self.preset.currentText())
        self._set_running(False)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._on_quit)

    # ----------------------------------------------------------------- building
    def current_presets(self) -> dict[str, list[tuple[str, str]]]:
        """The presets for the open project as it is now (its learning rate)."""
        spec = self.document.project.optimizer
        lr = float(spec.params.get("lr", optimizers.OPTIMIZERS[spec.name].defaults()["lr"]))
        return presets(lr)

    def _build(self) -> None:
        self.preset = QComboBox()
        self.preset.addItems([*self.current_presets(), CUSTOM])
        self.preset.setToolTip("A comparison that answers a usual question, or your own")
        self.preset.currentTextChanged.connect(self._apply_preset)
        self.vary_keys: list[QComboBox] = []
        self.vary_values: list[QLineEdit] = []
        form = QFormLayout()
        form.addRow("Compare", self.preset)
        for k in range(MAX_KEYS):
            key = QComboBox()
            key.addItem("—" if k else "lr", None if k else "lr")
            if k:
                key.setItemData(0, None)
            for name in KEYS:
                if k or name != "lr":
                    key.addItem(name, name)
            key.setToolTip("\n".join(f"{n}: {KEYS[n].values}" for n in KEYS))
            values = QLineEdit()
            values.setPlaceholderText("values, separated by commas")
            values.setToolTip(
                "The values to try, separated by commas (0.01, 0.1, 1 · full, 10, 1 · 8, 8x8)"
            )
            values.textEdited.connect(lambda _=None: self._to_custom())
            key.activated.connect(lambda _=None: self._to_custom())
            row = QHBoxLayout()
            row.addWidget(key)
            row.addWidget(values, 1)
            form.addRow(f"Vary {'first' if k == 0 else 'second'}", row)
            self.vary_keys.append(key)
            self.vary_values.append(values)
        self.seeds = QSpinBox()
        self.seeds.setRange(1, 10)
        self.seeds.setValue(3)
        self.seeds.setToolTip("Runs per variant: the project's seed and the ones after it")
        self.steps = QSpinBox()
        self.steps.setRange(1, 1_000_000)
        self.steps.setSingleStep(500)
        self.steps.setValue(2000)
        self.steps.setToolTip("Training steps of every run")
        lengths = QHBoxLayout()
        lengths.addWidget(QLabel("Seeds"))
        lengths.addWidget(self.seeds)
        lengths.addSpacing(12)
        lengths.addWidget(QLabel("Steps"))
        lengths.addWidget(self.steps)
        lengths.addStretch(1)
        form.addRow("Runs", lengths)

        self.run_button = QPushButton("Run")
        self.run_button.setDefault(True)
        self.run_button.setToolTip("Train every variant in background processes (Ctrl+Return)")
        self.run_button.clicked.connect(self.run)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the runs (Esc); the finished ones stay")
        self.cancel_button.clicked.connect(self.cancel)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.cancel)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.status = QLabel("Choose what to compare, then Run.")
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 1)

        self.curve_choice = QComboBox()
        for key, text in CURVES.items():
            self.curve_choice.addItem(text, key)
        self.curve_choice.currentIndexChanged.connect(lambda _=None: self._redraw_curves())
        self.curve_choice.setToolTip(
            "Which curve the plot shows: each variant's mean over its seeds, the band their range"
        )
        self.target = QLineEdit("0.1")
        self.target.setToolTip("Steps to target: the first evaluation at or under this loss")
        self.target.setMaximumWidth(80)
        self.target.editingFinished.connect(self._fill_table)
        plot_bar = QHBoxLayout()
        plot_bar.addWidget(self.curve_choice)
        plot_bar.addStretch(1)
        plot_bar.addWidget(QLabel("Target loss"))
        plot_bar.addWidget(self.target)
        self.plot = pg.PlotWidget(axisItems=number_axes(integer=("bottom",)))  # whole steps
        self.plot.setLogMode(y=True)
        self.plot.setLabel("bottom", "step")
        self.plot.setLabel("left", "loss (log)")
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.plot.addLegend(offset=(-10, 10))
        self.plot.setMinimumHeight(200)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(170)  # the six variants' rows, or nearly
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda _=None: self.open_selected())

        self.csv_button = QPushButton("Export CSV…")
        self.csv_button.setToolTip("Save the results table as CSV: one row per variant and seed")
        self.csv_button.clicked.connect(self.export_csv)
        self.image_button = QPushButton("Export Plot…")
        self.image_button.setToolTip("Save the plot as a PNG or SVG image")
        self.image_button.clicked.connect(self.export_plot)
        self.open_button = QPushButton("Open Run as Project")
        self.open_button.setToolTip("Open the selected variant's first seed, trained (Enter)")
        self.open_button.clicked.connect(self.open_selected)
        exports = QHBoxLayout()
        exports.addWidget(self.open_button)
        exports.addStretch(1)
        exports.addWidget(self.csv_button)
        exports.addWidget(self.image_button)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(form)
        top_layout.addLayout(buttons)
        top_layout.addWidget(self.status)
        top_layout.addLayout(plot_bar)
        top_layout.addWidget(self.plot, 1)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.table, 1)
        bottom_layout.addLayout(exports)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        self._style()
        self.resize(900, 720)

    def _style(self) -> None:
        palette = self.palette()
        self.plot.setBackground(palette.color(QPalette.ColorRole.Base))
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setPen(pg.mkPen(palette.color(QPalette.ColorRole.Mid)))
            axis.setTextPen(pg.mkPen(palette.color(QPalette.ColorRole.Text)))
        legend = self.plot.getPlotItem().legend
        legend.setLabelTextColor(palette.color(QPalette.ColorRole.Text))
        fill = QColor(palette.color(QPalette.ColorRole.Base))
        fill.setAlpha(200)
        legend.setBrush(fill)

    # ----------------------------------------------------------------- settings
    def _apply_preset(self, name: str) -> None:
        rows = self.current_presets().get(name)
        if rows is None:
            return
        for k in range(MAX_KEYS):
            key, values = rows[k] if k < len(rows) else (None, "")
            combo = self.vary_keys[k]
            combo.setCurrentIndex(max(0, combo.findData(key)))
            self.vary_values[k].setText(values)

    def _to_custom(self) -> None:
        if self.preset.currentText() != CUSTOM:
            self.preset.blockSignals(True)
            self.preset.setCurrentText(CUSTOM)
            self.preset.blockSignals(False)

    def variations(self) -> list[Variation]:
        """The Vary rows as variations (SweepError naming a bad key or value)."""
        out = []
        for combo, values in zip(self.vary_keys, self.vary_values):
            key = combo.currentData()
            texts = [t.strip() for t in values.text().split(",") if t.strip()]
            if key is None:
                continue
            if not texts:
                raise SweepError(f"give the values of {key}, separated by commas")
            out.append(Variation.parse_values(key, texts))
        return out

    def make_sweep(self) -> Sweep:
        """The sweep the settings describe (SweepError when they do not fit the project)."""
        variations = self.variations()
        n = math.prod(len(v.values) for v in variations)
        if n > MAX_VARIANTS:
            raise SweepError(
                f"{n} variants: compare at most {MAX_VARIANTS} (fewer values, or one setting)"
            )
        return Sweep(
            self.document.project,
            variations,
            seeds=self.seeds.value(),
            steps=self.steps.value(),
            capture=True,
        )

    # ----------------------------------------------------------------- running
    def run(self) -> bool:
        """Start the comparison; False (and the reason in the status line) if it cannot."""
        if self.job.running:
            return False
        try:
            sweep = self.make_sweep()
        except (SweepError, ProjectError, ValueError) as exc:
            self.status.setText(f"Cannot compare: {exc}")
            return False
        self.sweep, self.results = sweep, []
        self._clear_plot()
        self.table.setRowCount(0)
        self.progress.setRange(0, len(sweep))
        self.progress.setValue(0)
        self.status.setText(
            f"Training {len(sweep.variants)} variants × {len(sweep.seeds)} seeds in the background…"
        )
        self._set_running(True)
        self.job.start(sweep, self.workers)
        return True

    def cancel(self) -> None:
        if self.job.running:
            self.status.setText("Cancelling: the runs under way stop within a few steps…")
            self.job.cancel()

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        for widget in (self.preset, *self.vary_keys, *self.vary_values, self.seeds, self.steps):
            widget.setEnabled(not running)
        self._update_buttons()

    def _update_buttons(self) -> None:
        done = bool(self.results) and not self.job.running
        self.csv_button.setEnabled(done)
        self.image_button.setEnabled(done)
        self.open_button.setEnabled(done and bool(self.table.selectedItems()))

    def _on_result(self, result) -> None:
        self.results.append(result)
        self._redraw_curves()
        self._fill_table()

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)
        left = self.job.seconds_left()
        if done and left is not None and self.job.running:
            self.status.setText(f"{done} of {total} runs done · {time_left(left)}")

    def _on_finished(self, results: list) -> None:
        self.results = list(results)
        self._set_running(False)
        total = len(self.sweep) if self.sweep is not None else 0
        if self.job.cancelled:
            self.status.setText(f"Cancelled: {len(results)} of {total} runs finished.")
        else:
            self.status.setText(f"Done: {total} runs. Double-click a row to open its run.")
        self._redraw_curves()
        self._fill_table()

    def _on_failed(self, message: str) -> None:
        self._set_running(False)
        self.status.setText(f"The comparison stopped: {message}")

    # ----------------------------------------------------------------- results
    def by_variant(self) -> list[tuple[int, list]]:
        """(variant index, its results by seed) for the variants with results."""
        if self.sweep is None:
            return []
        seeds = len(self.sweep.seeds)
        groups: dict[int, list] = {}
        for r in sorted(self.results, key=lambda r: r.index):
            groups.setdefault(r.index // seeds, []).append(r)
        return sorted(groups.items())

    def curve(self, results: list) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(steps, mean, low, high) of the chosen column over seeds, at the steps where every
        seed has a finite value."""
        steps, mean, low, high = mean_curve(results, self.curve_choice.currentData())
        keep = np.isfinite(mean) & (low > 0)
        return steps[keep], mean[keep], low[keep], high[keep]

    def _clear_plot(self) -> None:
        for mean, band, low, high in self.curves.values():
            for item in (mean, band, low, high):
                self.plot.removeItem(item)
        self.curves.clear()
        self.plot.getPlotItem().legend.clear()

    def _redraw_curves(self) -> None:
        if self.sweep is None:
            return
        for v, results in self.by_variant():
            steps, mean, low, high = self.curve(results)
            color = QColor(COLORS[v % len(COLORS)])
            if v not in self.curves:
                # Invisible edges (with pen=None pyqtgraph makes no path, and the band no area).
                edge = pg.mkPen(QColor(0, 0, 0, 0))
                low_item = pg.PlotDataItem(pen=edge)
                high_item = pg.PlotDataItem(pen=edge)
                fill = QColor(color)
                fill.setAlpha(50)
                band = pg.FillBetweenItem(low_item, high_item, brush=fill)
                name = self.sweep.variant_text(self.sweep.variants[v])
                mean_item = self.plot.plot(pen=pg.mkPen(color, width=2), name=name)
                self.plot.addItem(low_item)
                self.plot.addItem(high_item)
                self.plot.addItem(band)
                self.curves[v] = (mean_item, band, low_item, high_item)
            mean_item, _band, low_item, high_item = self.curves[v]
            mean_item.setData(steps, mean)
            low_item.setData(steps, low)
            high_item.setData(steps, high)

    def target_loss(self) -> float | None:
        try:
            value = float(self.target.text())
        except ValueError:
            return None
        return value if math.isfinite(value) and value > 0 else None

    def summary(self) -> list[dict]:
        """One row per variant with results: its text, the runs, the means over seeds of the
        final losses, accuracy and time, and the first step at which the mean evaluated
        training loss reached the target (None: not reached)."""
        rows = []
        target = self.target_loss()
        for v, results in self.by_variant():
            steps, mean, _, _ = mean_curve(results, "train_loss")
            reached = None
            if target is not None:
                hit = np.flatnonzero(np.isfinite(mean) & (mean <= target))
                reached = int(steps[hit[0]]) if hit.size else None
            rows.append(
                {
                    "variant": self.sweep.variant_text(self.sweep.variants[v]),
                    "runs": len(results),
                    "train_loss": float(np.mean([r.train_loss for r in results])),
                    "test_loss": float(np.mean([r.test_loss for r in results])),
                    "accuracy": float(np.mean([r.accuracy for r in results])),
                    "reached": reached,
                    "wall_s": float(np.mean([r.wall_s for r in results])),
                    "diverged": sum(r.diverged is not None for r in results),
                    "index": v,
                }
            )
        return rows

    def _fill_table(self) -> None:
        rows = self.summary()
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            accuracy = row["accuracy"]
            texts = (
                row["variant"],
                count(row["runs"])
                + (f" ({count(row['diverged'])} diverged)" if row["diverged"] else ""),
                number(row["train_loss"]),
                number(row["test_loss"]),
                percent(accuracy),
                "not reached" if row["reached"] is None else count(row["reached"]),
                f"{fmt(row['wall_s'], 3)} s",
            )
            for c, text in enumerate(texts):
                item = QTableWidgetItem(text)
                if c == 0:
                    item.setForeground(QColor(COLORS[row["index"] % len(COLORS)]))
                    item.setData(Qt.ItemDataRole.UserRole, row["index"])
                else:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(i, c, item)
        self._update_buttons()

    # ----------------------------------------------------------------- exports
    def export_csv(self, path: str | None = None) -> bool:
        if not self.results or self.sweep is None:
            return False
        path = path or ask_csv_path(self, str(Path.home() / "comparison.csv"))
        if not path:
            return False
        try:
            write_text_atomic(path, self.sweep.csv(self.results))
        except OSError as exc:
            show_error(self, "Could not export", f"{path}: {exc}")
            return False
        self.status.setText(f"Exported the results to {Path(path).name}")
        return True

    def export_plot(self, path: str | None = None) -> bool:
        if not self.results:
            return False
        path = path or ask_image_path(self, str(Path.home() / "comparison.png"))
        if not path:
            return False
        try:
            image_export.save_picture(image_export.view_picture(self.plot, "Compare runs"), path)
        except (OSError, ProjectError) as exc:
            show_error(self, "Could not export", f"{path}: {exc}")
            return False
        self.status.setText(f"Exported the plot to {Path(path).name}")
        return True

    def open_selected(self) -> bool:
        """Open the selected variant's first seed's trained run as the main window's project."""
        items = self.table.selectedItems()
        if not items or self.job.running:
            return False
        v = self.table.item(items[0].row(), 0).data(Qt.ItemDataRole.UserRole)
        run = next((rs[0] for index, rs in self.by_variant() if index == v), None)
        if run is None or run.project is None:
            return False
        name = f"{self.document.project.name} ({self.sweep.variant_text(run.variant)})"
        self.open_project(run.project, name)
        return True

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        # The runs stop within a few steps and the runner joins its processes in its own
        # thread; the window does not wait for them.
        self.job.cancel()
        super().closeEvent(event)

    def _on_quit(self) -> None:
        """The app is quitting: stop the runs and wait for their processes (a few steps),
        so that none is left and the exit does not wait for whole runs."""
        self.job.cancel()
        self.job.wait()


def open_compare(parent: QWidget, document, open_project, workers: int | None = None):
    """The Compare window of ``parent`` (made on first use), shown and raised."""
    window = parent.findChild(CompareWindow, "CompareWindow")
    if window is None:
        window = CompareWindow(document, open_project=open_project, parent=parent, workers=workers)
    window.show()
    window.raise_()
    window.activateWindow()
    return window
