"""Train ▸ Check Gradients…: a non-modal dialog comparing backprop with finite differences.

One row per weight layer's weights and biases: entries checked, the worst relative error, where
it is (source → target on the canvas), both values and a verdict; rows above the threshold are
red, and every disagreeing connection (or bias's neuron) is marked on the canvas until the
dialog closes.  The check runs only while training is paused: opening the dialog (or "Check
again") pauses a playing run and says so.  ``GradientCheckTool`` holds the menu action and
opens the dialog; the main window puts the action in its Train menu.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from simulator.app.gradient_check import EntryCheck, GradientCheckReport, check_gradients
from simulator.app.numbers import NOTHING, count, fmt, tidy
from simulator.ui.plots import layer_names

if TYPE_CHECKING:
    from simulator.app.document import Document
    from simulator.app.training import TrainingController
    from simulator.ui.canvas import NetworkCanvas

MARK_OWNER = "gradient check"
SHORTCUT = "Ctrl+G"
BAD_COLOUR = "#c62828"
GOOD_COLOUR = "#2e7d32"
COLUMNS = (
    "Layer",
    "Checked",
    "Worst relative error",
    "At",
    "Backprop",
    "Finite differences",
    "Verdict",
)


def neuron_name(document, k: int, j: int) -> str:
    """The canvas's name of neuron j of column k: an input's or output's label, else h{k}_{j+1}."""
    sizes = document.network.sizes
    last = len(sizes) - 1
    if k in (0, last):
        try:
            labels = document.data.input_labels if k == 0 else document.data.output_labels
        except ValueError:
            labels = []
        if len(labels) == sizes[k]:
            return str(labels[j])
        return f"{'x' if k == 0 else 'y'}{j + 1}"
    return f"h{k}_{j + 1}"


def entry_place(document, entry: EntryCheck) -> str:
    """ "x1 → h1_3" for a weight, "bias of h1_3" for a bias."""
    target = neuron_name(document, entry.layer + 1, entry.index[-1])
    if entry.kind == "bias":
        return f"bias of {target}"
    return f"{neuron_name(document, entry.layer, entry.index[0])} → {target}"


class GradientCheckDialog(QDialog):
    """The check's report as a table; ``check()`` runs it again.  Marks live while it is open.

    ``table``: the QTableWidget (one row per LayerCheck); ``summary``: the one-line verdict;
    ``report``: the last GradientCheckReport.  It checks ``controller``'s shown trainer, names
    neurons after ``document``'s data and marks what disagrees on ``canvas``.
    """

    def __init__(
        self,
        document: Document,
        controller: TrainingController,
        canvas: NetworkCanvas,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle("Check gradients")
        self.setModal(False)
        self.controller = controller
        self.canvas = canvas
        self.document = document
        self.report: GradientCheckReport | None = None

        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.hide()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setStyleSheet("color: gray;")
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.check_button = QPushButton("Check &again")
        self.check_button.setToolTip("Run the check on the current weights and batch")
        buttons.addButton(self.check_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.check_button.clicked.connect(self.check)
        buttons.rejected.connect(self.close)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        layout.addWidget(buttons)
        self.resize(860, 300)
        self._placed = False

        self.document.network_changed.connect(self._on_network_changed)
        self.document.project_replaced.connect(self._on_network_changed)
        self.finished.connect(self._clear_marks)

    # ----------------------------------------------------------------- running
    def check(self) -> GradientCheckReport:
        """Pause training if it plays, run the check, show it and mark what disagrees."""
        paused = self.controller.playing
        if paused:
            self.controller.pause()
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            report = check_gradients(self.controller.shown_trainer)
        finally:
            QApplication.restoreOverrideCursor()
        step = self.controller.step_count
        self.note.setText(
            f"Training was playing: paused at step {count(step)} for the check." if paused else ""
        )
        self.note.setVisible(paused)
        self._show(report)
        return report

    def _show(self, report: GradientCheckReport) -> None:
        self.report = report
        doc = self.document
        n_fail = len(report.failures)
        if n_fail:
            text = f"{tidy(report.summary())} — highlighted on the canvas"
            colour = BAD_COLOUR
        else:
            text = tidy(report.summary())  # the engine's text, its numbers as ours
            colour = GOOD_COLOUR
        self.summary.setText(f"<b style='color:{colour}'>{text}</b>")
        self.details.setText(tidy(report.details()))
        self.table.setRowCount(len(report.layers))
        names = layer_names(doc.network)
        for row, layer in enumerate(report.layers):
            what = "weights" if layer.kind == "weights" else "biases"
            worst = layer.worst
            if worst is None:
                error = place = backprop = numeric = NOTHING
            else:
                error = fmt(worst.error, 3)
                place = entry_place(doc, worst)
                # Nine digits: the two agree to about seven when backprop is right.
                backprop, numeric = fmt(worst.backprop, 9), fmt(worst.numeric, 9)
            if layer.failures:
                verdict = f"{layer.failures} disagree{'s' if layer.failures == 1 else ''}"
            elif worst is None:
                verdict = "nothing checked"
            else:
                verdict = "agrees" if layer.checked == 1 else "all agree"
            checked = count(layer.checked)
            if layer.sampled or layer.kinks:
                checked += f" of {count(layer.trainable)}"
            cells = (
                f"{names[layer.layer]} {what}",
                checked,
                error,
                place,
                backprop,
                numeric,
                verdict,
            )
            tip = self._row_tip(report, layer)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col in (1, 2, 4, 5):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignVCenter)
                if layer.failures:
                    item.setForeground(QBrush(QColor(BAD_COLOUR)))
                    item.setBackground(QBrush(QColor(198, 40, 40, 40)))
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                item.setToolTip(tip)
                self.table.setItem(row, col, item)
        self._fit_table()
        self._mark(report)

    def _fit_table(self) -> None:
        # Every column and row in view (up to a dozen layers), no empty band below them.
        table = self.table
        header = table.horizontalHeader()
        frame = 2 * table.frameWidth()
        width = frame + sum(
            max(header.sectionSizeHint(c), table.sizeHintForColumn(c)) + 8
            for c in range(table.columnCount())
        )
        rows = min(table.rowCount(), 12)
        height = header.height() + frame + sum(table.rowHeight(r) for r in range(rows))
        table.setMinimumSize(width, height)
        table.setMaximumHeight(height if table.rowCount() <= 12 else 16777215)
        margins = self.layout().contentsMargins()
        self.resize(
            max(self.width(), width + margins.left() + margins.right()),
            self.sizeHint().height(),
        )

    def place(self, window: QWidget) -> None:
        """The first time: at ``window``'s bottom left, off the middle of the canvas where the
        marked connections are."""
        if self._placed:
            return
        self._placed = True
        frame = window.frameGeometry()
        x = frame.left() + 16
        y = max(frame.top(), frame.bottom() - self.frameGeometry().height() - 48)
        self.move(x, y)

    def _row_tip(self, report: GradientCheckReport, layer) -> str:
        lines = [
            f"{count(layer.checked)} of {count(layer.trainable)} entries checked"
            + (" (the largest gradients and a random sample)" if layer.sampled else "")
        ]
        if layer.kinks:
            lines.append(f"{layer.kinks} left out: a kink (ReLU at 0, …) lies within the step h")
        wrong = [e for e in report.failures if (e.layer, e.kind) == (layer.layer, layer.kind)]
        for e in wrong[:12]:
            lines.append(
                f"{entry_place(self.document, e)}: backprop {fmt(e.backprop, 6)}, "
                f"finite differences {fmt(e.numeric, 6)} (error {fmt(e.error, 2)})"
            )
        if len(wrong) > 12:
            lines.append(f"… and {len(wrong) - 12} more")
        return "\n".join(lines)

    # ----------------------------------------------------------------- canvas marks
    def _mark(self, report: GradientCheckReport) -> None:
        if not report.failures:
            self.canvas.clear_marks(MARK_OWNER)
            return
        connections = [e.connection for e in report.failures if e.connection is not None]
        neurons = sorted({e.neuron for e in report.failures if e.kind == "bias"})
        self.canvas.set_marks(MARK_OWNER, neurons=neurons, connections=connections)

    def _clear_marks(self, *_args) -> None:
        self.canvas.clear_marks(MARK_OWNER)

    def _on_network_changed(self) -> None:
        # The marks and rows describe a network that no longer exists.
        if self.report is None or not self.isVisible():
            return
        self._clear_marks()
        self.note.setText("The network changed since this check: press Check again.")
        self.note.show()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._clear_marks()
        super().closeEvent(event)


class GradientCheckTool(QObject):
    """Train ▸ Check Gradients… (Ctrl+G): ``action`` opens the one GradientCheckDialog (made on
    first use, over ``parent`` and placed at its bottom left) and runs the check.  The owner
    puts ``action`` in its menu."""

    def __init__(
        self,
        document: Document,
        controller: TrainingController,
        canvas: NetworkCanvas,
        parent: QWidget,
    ):
        super().__init__(parent)
        self.document = document
        self.controller = controller
        self.canvas = canvas
        self.dialog_parent = parent
        self.dialog: GradientCheckDialog | None = None
        self.action = QAction("Check &Gradients…", parent)
        self.action.setShortcut(QKeySequence(SHORTCUT))
        self.action.setStatusTip(
            "Compare backpropagation with finite differences on the current batch (pauses training)"
        )
        self.action.triggered.connect(self.open_dialog)

    def open_dialog(self) -> GradientCheckDialog:
        if self.dialog is None:
            self.dialog = GradientCheckDialog(
                self.document, self.controller, self.canvas, self.dialog_parent
            )
        dialog = self.dialog
        dialog.check()
        dialog.place(self.dialog_parent)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog
