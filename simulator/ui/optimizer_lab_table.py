"""The optimizer lab's table of racers: colour, name, optimizer and settings (editable), and
each one's results (steps to reach the tolerance, f now, diverged), with Add and Remove.

Edits go through the controller's setters; a refused one (settings that do not make an
optimizer) shows the controller's message under the table and the cell goes back to the
settings kept.  ``sync`` rewrites the rows from the controller, ``refresh_results`` the results.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QKeySequence, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QColorDialog,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QStyledItemDelegate,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from simulator.app.numbers import NOTHING, count, fmt
from simulator.app.optimizer_lab import KIND_LABELS, OPTIMIZER_KINDS, LabController, LabRacer

COLOR, NAME, OPTIMIZER, SETTINGS, REACHED, VALUE, DIVERGED = range(7)
HEADERS = ("", "Racer", "Optimizer", "Settings", "Steps to tol.", "f now", "Diverged")
HEADER_TIPS = (
    "The racer's colour on the map and the plot: double-click or Enter to change it",
    "The racer's name: double-click or F2 to rename",
    "The optimizer (the engine's own class): double-click or F2 to choose another; the race "
    "starts again",
    "Its settings as name=value pairs, e.g. lr=0.01, momentum=0.9 (every other setting takes "
    "the optimizer's default): double-click or F2 to edit; the race starts again",
    "The first step whose f is within the tolerance of the minimum",
    "f at the racer's point now",
    "The step at which the racer left the region (|x| or |y| over 1e6) or met a non-finite "
    "value (it stops there), or no",
)
BAD_COLOR = "#d62728"
# Keys the table uses itself, though the window binds them (→ steps the race).
TABLE_KEYS = {Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down,
              Qt.Key.Key_Home, Qt.Key.Key_End}  # fmt: skip


def swatch(color: str, size: int = 14) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setPen(QColor("#000000"))
    painter.setBrush(QColor(color))
    painter.drawRect(0, 0, size - 1, size - 1)
    painter.end()
    return QIcon(pixmap)


class KindDelegate(QStyledItemDelegate):
    """The Optimizer column's editor: a combo of the lab's optimizers, applied when chosen."""

    def createEditor(self, parent, option, index):  # noqa: N802 - Qt's name
        combo = QComboBox(parent)
        combo.addItems(list(OPTIMIZER_KINDS))
        combo.setToolTip(HEADER_TIPS[OPTIMIZER])
        combo.activated.connect(lambda _i: self._commit(combo))
        return combo

    def _commit(self, combo: QComboBox) -> None:
        self.commitData.emit(combo)
        self.closeEditor.emit(combo)

    def setEditorData(self, editor, index):  # noqa: N802 - Qt's name
        editor.setCurrentText(index.data())

    def setModelData(self, editor, model, index):  # noqa: N802 - Qt's name
        model.setData(index, editor.currentText())


class KeepKeys(QObject):
    """An event filter that lets the widgets it watches have ``keys`` although the window
    binds them (→ steps the race, Space plays): the table navigates with its arrows, a
    focused button or combo opens with Space."""

    def __init__(self, keys, parent: QObject | None = None):
        super().__init__(parent)
        self.keys = frozenset(keys)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.ShortcutOverride and event.key() in self.keys:
            event.accept()
        return False


class RacerTable(QWidget):
    """The racers' table with Add and Remove.  ``table``, ``add_button`` (its menu holds one
    action per optimizer), ``remove_button`` and ``error_label`` are its parts.

    ``refused(message)``: an edit was refused (the window shows it in its status bar too).
    """

    refused = Signal(str)

    def __init__(self, controller: LabController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setAccessibleName("Racers")
        self.table.setHorizontalHeaderLabels(HEADERS)
        for column, tip in enumerate(HEADER_TIPS):
            self.table.horizontalHeaderItem(column).setToolTip(tip)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.table.setItemDelegateForColumn(OPTIMIZER, KindDelegate(self.table))
        self.table.installEventFilter(KeepKeys(TABLE_KEYS, self))
        # Column widths are fitted in sync(), not at every change (ResizeToContents measured
        # every cell at each frame's results: half a millisecond a cell).
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(SETTINGS, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(26)
        rows = self.table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.table.itemChanged.connect(self._on_item_changed)
        self.table.itemActivated.connect(self._on_item_activated)
        self.table.currentCellChanged.connect(lambda *_: self._update_buttons())

        self.add_button = QToolButton()
        self.add_button.setText("Add optimizer")
        self.add_button.setToolTip("Add a racer (the race starts again)")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add_button)
        for kind in OPTIMIZER_KINDS:
            name, preset = OPTIMIZER_KINDS[kind]
            settings = ", ".join(f"{k}={v}" for k, v in preset.items())
            action = menu.addAction(f"{KIND_LABELS.get(kind, kind)}  ({settings})")
            action.triggered.connect(lambda _checked=False, k=kind: self._add(k))
        self.add_button.setMenu(menu)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected racer (Delete)")
        self.remove_button.clicked.connect(self.remove_current)
        self.remove_action = QAction("Remove racer", self.table)
        self.remove_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.remove_action.triggered.connect(self.remove_current)
        self.table.addAction(self.remove_action)
        space = KeepKeys({Qt.Key.Key_Space}, self)
        for button in (self.add_button, self.remove_button):
            button.installEventFilter(space)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {BAD_COLOR}")
        self.error_label.hide()

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)
        self.sync()

    def height_for_rows(self, rows: int) -> int:
        """The height that shows ``rows`` rows without scrolling, with the buttons."""
        table = self.table
        row = table.verticalHeader().defaultSectionSize()
        frame = 2 * table.frameWidth() + table.horizontalHeader().sizeHint().height()
        return frame + rows * row + self.add_button.sizeHint().height() + 8

    # ----------------------------------------------------------------- rows
    def row_of(self, entry: LabRacer) -> int:
        return self.controller.racers.index(entry)

    def sync(self) -> None:
        """Rows from the controller's racers (an idempotent rewrite; cells being edited keep
        their editor only if their text did not change)."""
        racers = self.controller.racers
        with QSignalBlocker(self.table):
            self.table.setRowCount(len(racers))
            for row, entry in enumerate(racers):
                self._cell(row, COLOR, "", editable=False).setIcon(swatch(entry.color))
                self._cell(row, NAME, entry.label, editable=True)
                kind = self._cell(row, OPTIMIZER, entry.kind, editable=True)
                kind.setToolTip(repr(entry.optimizer))
                self._cell(row, SETTINGS, entry.settings, editable=True).setToolTip(
                    f"{entry.settings}\nAll settings: {entry.optimizer!r}"
                )
            self.refresh_results()
        metrics = self.table.fontMetrics()
        for column in (COLOR, NAME, OPTIMIZER):
            self.table.resizeColumnToContents(column)
        # Names elide past this; the results take what their widest value needs.
        self.table.setColumnWidth(NAME, min(self.table.columnWidth(NAME), 8 * metrics.height()))
        widest = {REACHED: "10,000", VALUE: "-1.234e-05", DIVERGED: "at 10,000"}
        for column, sample in widest.items():
            width = metrics.horizontalAdvance(sample) + 14
            header_width = self.table.horizontalHeader().sectionSizeHint(column)
            self.table.setColumnWidth(column, max(width, header_width))
        self._update_buttons()

    def _cell(self, row: int, column: int, text: str, editable: bool) -> QTableWidgetItem:
        item = self.table.item(row, column)
        if item is None:
            item = QTableWidgetItem()
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            if editable:
                flags |= Qt.ItemFlag.ItemIsEditable
            item.setFlags(flags)
            if column >= REACHED:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setToolTip(HEADER_TIPS[column])
            self.table.setItem(row, column, item)
        if item.text() != text:
            item.setText(text)
        return item

    def results(self, entry: LabRacer) -> tuple[str, str, str]:
        """(steps to tolerance, f now, diverged) as the table shows them."""
        if self.controller.surface.minimum is None:
            reached = "no minimum"
        else:
            reached = NOTHING if entry.reached_at is None else count(entry.reached_at)
        value = fmt(entry.value)
        diverged = "no" if entry.diverged_at is None else f"at {count(entry.diverged_at)}"
        return reached, value, diverged

    def refresh_results(self) -> None:
        """The results columns (only cells whose text changed are written)."""
        with QSignalBlocker(self.table):
            for row, entry in enumerate(self.controller.racers):
                if row >= self.table.rowCount():
                    break
                for column, text in zip((REACHED, VALUE, DIVERGED), self.results(entry)):
                    item = self._cell(row, column, text, editable=False)
                    if column == DIVERGED:
                        bad = entry.diverged_at is not None
                        role = QPalette.ColorRole.Text
                        item.setForeground(
                            QColor(BAD_COLOR) if bad else self.table.palette().color(role)
                        )

    def _update_buttons(self) -> None:
        self.remove_button.setEnabled(self.table.currentRow() >= 0 and self.table.rowCount() > 0)

    # ----------------------------------------------------------------- edits
    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        row, column = item.row(), item.column()
        racers = self.controller.racers
        if not 0 <= row < len(racers):
            return
        entry = racers[row]
        text = item.text()
        try:
            if column == NAME:
                self.controller.set_label(entry, text)
            elif column == OPTIMIZER:
                self.controller.set_kind(entry, text)
            elif column == SETTINGS:
                self.controller.set_settings(entry, text)
            else:
                return
        except ValueError as exc:
            self.show_error(str(exc))
            self.sync()  # the cell shows what is kept
            return
        self.show_error(None)
        self.sync()

    def show_error(self, message: str | None) -> None:
        """Show a refusal under the table (None: clear it)."""
        self.error_label.setText(message or "")
        self.error_label.setVisible(bool(message))
        if message:
            self.refused.emit(message)

    def _on_item_activated(self, item: QTableWidgetItem) -> None:
        if item.column() == COLOR:
            self.pick_color(self.controller.racers[item.row()])

    def pick_color(self, entry: LabRacer) -> QColorDialog:
        """A (non-modal) colour dialog for ``entry``; choosing applies the colour."""
        dialog = QColorDialog(QColor(entry.color), self)
        dialog.setWindowTitle(f"Colour of {entry.label}")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.colorSelected.connect(lambda c: self.controller.set_color(entry, c.name()))
        dialog.open()
        return dialog

    def _add(self, kind: str) -> None:
        entry = self.controller.add_racer(kind)
        self.table.setCurrentCell(self.row_of(entry), NAME)

    def remove_current(self) -> None:
        row = self.table.currentRow()
        racers = self.controller.racers
        if 0 <= row < len(racers):
            self.controller.remove_racer(racers[row])
            if self.table.rowCount():
                self.table.setCurrentCell(min(row, self.table.rowCount() - 1), NAME)
