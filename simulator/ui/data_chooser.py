"""The data set chooser: rows of thumbnails, one per group of data sets, and the line that
describes the chosen data."""

from __future__ import annotations

import html

from PySide6.QtCore import QRectF, QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QWidget,
)

from simulator.app import numbers
from simulator.app.document import Document
from simulator.engine import datasets as _datasets
from simulator.ui import thumbnails

THUMBNAIL_SIZE = 34
_CELL = THUMBNAIL_SIZE + 8  # room for the selection ring
# The picker's groups, in reading order: (title, data sets, one-line description).
GROUPS = (
    ("Classification", ("circle", "xor", "gauss", "spiral", "moons"), "two classes"),
    ("Regression", ("plane", "multi_gauss", "sine"), "a number to predict"),
    ("Multi-class", ("spiral3", "blobs"), "three classes"),
    ("Digits", ("digits",), "8×8 images of handwritten digits, ten classes"),
)


def kind_text(kind: str, input_dim: int, n_classes: int) -> str:
    """What a data set asks of the network, in a few words ("binary classification")."""
    if kind == "binary":
        return "binary classification"
    if kind == "multiclass":
        return f"{n_classes} classes"
    return "1-D regression" if input_dim == 1 else "regression"


def describe_data(document: Document) -> tuple[str, str]:
    """The line that says what the data is (rich text): its title, task and split, and whether
    its columns were standardised; and the tooltip with the standardisation's values ("")."""
    spec = document.project.data
    data = document.data
    inline = spec.is_inline
    if inline:
        title = f"Your own data: {html.escape(document.project.name)}"
    else:
        title = _datasets.DATASETS[spec.dataset].title
    kind = kind_text(data.task, data.dataset.input_dim, data.dataset.n_classes)
    kind = "" if "regression" in title.lower() else f" — {kind}"
    n_train, n_test = len(data.train_index), len(data.test_index)
    text = f"<b>{title}</b>{kind}; {n_train:,} training and {n_test:,} test samples"
    drawn = spec.drawn
    if drawn is not None and drawn.only:
        text += f", only your {len(drawn):,} drawn point{'s' if len(drawn) != 1 else ''}"
    elif drawn is not None:
        text += f", {len(drawn):,} of them drawn by you (always training)"
    stats = spec.standardization if inline else None
    tip = ""
    if stats is not None:
        text += "; columns standardised as (x − mean) / sd (hover for the values)"
        names = data.column_labels
        rows = "".join(
            f"<tr><td>{html.escape(name)}</td><td align=right>{numbers.fmt(mean)}</td>"
            f"<td align=right>{numbers.fmt(std)}</td></tr>"
            for name, mean, std in zip(names, stats.means, stats.stds, strict=True)
        )
        tip = (
            "<p>Each column x became (x − mean) / sd when it was imported (a column with one "
            "value in every row was only centred). Exports apply this to raw values.</p>"
            f"<table><tr><th align=left>column</th><th>mean</th><th>sd</th></tr>{rows}</table>"
        )
    return text, tip


class ThumbnailDelegate(QStyledItemDelegate):
    """Paints a thumbnail with a thin frame, and a highlight ring when selected."""

    def paint(self, painter, option, index) -> None:
        icon = index.data(Qt.ItemDataRole.DecorationRole)
        rect = option.rect
        palette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        painter.save()
        painter.setRenderHint(painter.RenderHint.Antialiasing)
        inner = QRectF(rect).adjusted(4, 4, -4, -4)
        if icon is not None:
            icon.paint(painter, inner.toRect())
        if selected:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(rect).adjusted(1.5, 1.5, -1.5, -1.5), 4, 4)
        else:
            role = QPalette.ColorRole.Highlight if hovered else QPalette.ColorRole.Mid
            painter.setPen(QPen(palette.color(role), 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(inner.adjusted(-0.5, -0.5, 0.5, 0.5))
        painter.restore()

    def sizeHint(self, option, index) -> QSize:  # noqa: N802 - Qt's name
        return QSize(_CELL, _CELL)


class ThumbnailList(QListWidget):
    """One row of data set thumbnails (one group of the picker)."""

    def __init__(self, names: tuple[str, ...], parent: QWidget | None = None):
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setIconSize(QSize(THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        self.setGridSize(QSize(_CELL, _CELL))
        self.setSpacing(0)
        self.setFrameShape(QListWidget.Shape.NoFrame)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMouseTracking(True)  # hover ring
        self.viewport().setAutoFillBackground(False)
        self.setItemDelegate(ThumbnailDelegate(self))
        self.setFixedSize(_CELL * len(names), _CELL)
        for name in names:
            info = _datasets.DATASETS[name]
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(
                f"{info.title}: {kind_text(info.kind, info.input_dim, info.n_classes)}, "
                f"{info.input_dim}-D inputs, {info.default_samples} samples by default"
            )
            item.setSizeHint(QSize(_CELL, _CELL))
            self.addItem(item)

    def item_named(self, name: str) -> QListWidgetItem | None:
        for row in range(self.count()):
            item = self.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                return item
        return None


class DatasetChooser(QWidget):
    """The data set picker: a titled row of thumbnails per group (``lists``, by title); choosing
    one sets the Document's data set, and :meth:`refresh` highlights the document's (none for
    the user's own data).  A refused choice is reported through ``message``."""

    message = Signal(str)  # a readable error for the status bar

    def __init__(self, document: Document, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(0)
        self.lists: dict[str, ThumbnailList] = {}
        positions = {"Classification": (0, 0, 3), "Regression": (2, 0, 1),
                     "Multi-class": (2, 1, 1), "Digits": (2, 2, 1)}  # fmt: skip
        for title, names, description in GROUPS:
            row, col, span = positions[title]
            label = QLabel(title)
            label.setToolTip(f"{title}: {description}")
            font = label.font()
            font.setPointSizeF(font.pointSizeF() * 0.9)
            label.setFont(font)
            label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            grid.addWidget(label, row, col, 1, span)
            lst = ThumbnailList(names, self)
            # Selection, not the current item: focus alone makes an item current.
            lst.itemSelectionChanged.connect(lambda lst=lst: self._on_thumbnail_chosen(lst))
            self.lists[title] = lst
            grid.addWidget(lst, row + 1, col, 1, span, Qt.AlignmentFlag.AlignLeft)
        grid.setColumnStretch(3, 1)

    def item(self, name: str) -> QListWidgetItem | None:
        """The thumbnail of data set ``name``."""
        for lst in self.lists.values():
            item = lst.item_named(name)
            if item is not None:
                return item
        return None

    def selected(self) -> str | None:
        """The name of the highlighted thumbnail (None for the user's own data)."""
        for lst in self.lists.values():
            for item in lst.selectedItems():
                return item.data(Qt.ItemDataRole.UserRole)
        return None

    def refresh(self) -> None:
        """Highlight the document's data set, without choosing it again."""
        spec = self.document.project.data
        for lst in self.lists.values():
            with QSignalBlocker(lst):
                item = None if spec.is_inline else lst.item_named(spec.dataset)
                if item is not None:
                    lst.setCurrentItem(item)
                else:
                    lst.clearSelection()
                    lst.setCurrentRow(-1)
            lst.viewport().update()

    def set_background(self, color: str) -> None:
        """Draw the thumbnails for a plot background of ``color`` (a name such as "#ffffff")."""
        for title, names, _ in GROUPS:
            lst = self.lists[title]
            for row, name in enumerate(names):
                lst.item(row).setIcon(thumbnails.dataset_icon(name, THUMBNAIL_SIZE, color))

    def _on_thumbnail_chosen(self, lst: QListWidget) -> None:
        selected = lst.selectedItems()
        if not selected:
            return
        name = selected[0].data(Qt.ItemDataRole.UserRole)
        drawn = self.document.project.data.n_drawn
        try:
            self.document.set_dataset(name)
        except ValueError as exc:
            self.message.emit(str(exc))
            self.refresh()  # back to the document's data set
            return
        if drawn and not self.document.project.data.n_drawn:
            self.message.emit(
                f"Your {drawn:,} drawn point{'s' if drawn != 1 else ''} do not fit "
                f"{_datasets.DATASETS[name].title} (another kind of data): Undo brings them back"
            )
