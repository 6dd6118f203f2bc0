"""Drawing your own data on the data plot: the Draw tool and its row of controls.

With Draw on, a click on the plot adds a point of the chosen class (or, on the plane, of the
chosen value; on 1-D data the height clicked is the target), a drag paints several, a
right-click erases the nearest drawn point and a right-drag erases the drawn points it passes;
a double-click adds one point, not two, and Esc cancels a stroke under way or stops drawing.
A stroke is one edit of the Document (one Undo step) when the button is released; until then
the plot shows it as a preview.  Drawn points are always training data; "Only drawn points"
trains on them alone.  Digits and data of more than two columns take no points: the button
says why.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QHBoxLayout,
    QPushButton,
    QToolButton,
    QWidget,
)

import pyqtgraph as pg  # isort: skip  (after PySide6, so pyqtgraph binds to it)

from simulator.app.document import Document
from simulator.ui import thumbnails
from simulator.ui.data_plot import SamplePlot, target_color
from simulator.ui.spin_boxes import NumberSpinBox

_MOUSE = (
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonDblClick,
    QEvent.Type.MouseMove,
    QEvent.Type.MouseButtonRelease,
)
STROKE_SPACING_PX = 14.0  # a drag adds a point each time it has moved this far (screen pixels)
ERASE_RADIUS_PX = 16.0  # a right-click erases the nearest drawn point this close (pixels)
MAX_VALUE = 1000.0  # the value spin box's range (2-D regression targets), ±

GESTURES = (
    "Click: add a point · drag: paint several · right-click: erase the nearest drawn point · "
    "right-drag: erase along the way (each stroke is one Undo step) · Esc: stop drawing"
)


def mark_checked(button: QToolButton, on: bool) -> None:
    """Paint a checked tool button in the highlight colour: some styles (Fusion in a dark
    palette) draw "checked" barely darker than "unchecked"."""
    if on:
        palette = button.palette()
        palette.setColor(QPalette.ColorRole.Button, palette.color(QPalette.ColorRole.Highlight))
        palette.setColor(
            QPalette.ColorRole.ButtonText, palette.color(QPalette.ColorRole.HighlightedText)
        )
        button.setPalette(palette)
    else:
        button.setPalette(QPalette())  # the parent's again
    button.setAutoFillBackground(False)


def dot_icon(color: str, rim: QColor, size: int = 14) -> QIcon:
    """A filled circle of ``color`` with a thin ``rim``, for a class button."""
    pixmap = QPixmap(size * 2, size * 2)  # twice the size: sharp on HiDPI
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(rim, 2.0))
    painter.setBrush(QBrush(QColor(color)))
    painter.drawEllipse(QPointF(size, size), size - 3, size - 3)
    painter.end()
    pixmap.setDevicePixelRatio(2.0)
    return QIcon(pixmap)


class DrawTool(QObject):
    """The Draw toggle (``draw_button``) with the class buttons (``class_buttons``) or the
    value (``value_spin``) laid out in ``row``, and "Only drawn" (``only_checkbox``) with
    "Clear drawn" (``clear_button``) in ``edit_row``, for the host to place; and the mouse on
    ``samples``' plot while Draw is on.  Refused edits go out through ``message``, as do the
    hints for the user."""

    message = Signal(str)  # for the status bar

    def __init__(self, document: Document, samples: SamplePlot, host: QWidget):
        super().__init__(host)
        self.document = document
        self.samples = samples
        self._host = host
        self._stroke: list[tuple[float, float]] = []  # points of the stroke under way
        self._last_px: QPointF | None = None  # where the stroke last added a point (pixels)
        self._erasing: list[int] | None = None  # drawn points the right-drag passed over
        self._button: Qt.MouseButton | None = None  # the button of the stroke under way
        self._plot_tip = samples.plot.toolTip()

        self.row = QWidget(host)
        layout = QHBoxLayout(self.row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.draw_button = QToolButton()
        self.draw_button.setText("✎ Draw")
        self.draw_button.setCheckable(True)
        self.draw_button.setAccessibleName("Draw points")
        self.draw_button.toggled.connect(self._on_draw_toggled)
        self.draw_button.toggled.connect(lambda on: mark_checked(self.draw_button, on))
        layout.addWidget(self.draw_button)
        self.class_group = QButtonGroup(self)
        self.class_group.setExclusive(True)
        self.class_buttons: list[QToolButton] = []
        self._class_layout = QHBoxLayout()
        self._class_layout.setSpacing(2)
        layout.addLayout(self._class_layout)
        self.value_spin = NumberSpinBox()
        self.value_spin.setRange(-MAX_VALUE, MAX_VALUE)
        self.value_spin.setDecimals(2)
        self.value_spin.setSingleStep(0.25)
        self.value_spin.setValue(1.0)
        self.value_spin.setPrefix("y = ")
        self.value_spin.setAccessibleName("Value of drawn points")
        self.value_spin.setToolTip(
            "The target y of the points you draw (the colour scale: orange −, blue +)"
        )
        layout.addWidget(self.value_spin)
        layout.addStretch(1)
        self.edit_row = QWidget(host)
        layout = QHBoxLayout(self.edit_row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.only_checkbox = QCheckBox("Only drawn")
        self.only_checkbox.setAccessibleName("Train on the drawn points only")
        self.only_checkbox.setToolTip(
            "Train on your drawn points alone: the generated samples are left out (they come "
            "back when you untick this, or when the last drawn point goes)"
        )
        self.only_checkbox.toggled.connect(self._on_only_toggled)
        layout.addWidget(self.only_checkbox)
        self.clear_button = QPushButton("Clear drawn")
        self.clear_button.setAccessibleName("Clear drawn points")
        self.clear_button.clicked.connect(self._on_clear)
        layout.addWidget(self.clear_button)
        layout.addStretch(1)

        self.preview_item = pg.ScatterPlotItem(antialias=True, symbol="o", size=8)
        self.preview_item.setZValue(14)
        self.erase_item = pg.ScatterPlotItem(antialias=True, symbol="x", size=11)
        self.erase_item.setZValue(15)
        for item in (self.preview_item, self.erase_item):
            samples.plot.addItem(item)
            item.hide()
        self._viewport = samples.plot.viewport()
        self._viewport.installEventFilter(self)
        samples.plot.installEventFilter(self)  # Esc reaches the view, which has the focus
        self._classes_for: tuple | None = None
        self.refresh()

    # ----------------------------------------------------------------- reading
    @property
    def drawing(self) -> bool:
        """Whether clicks on the plot draw (the Draw button is on)."""
        return self.draw_button.isChecked()

    def chosen_class(self) -> int:
        """The class the next point gets (its button is checked)."""
        return max(self.class_group.checkedId(), 0)

    # ----------------------------------------------------------------- refresh
    def refresh(self) -> None:
        """Follow the document's data: what can be drawn, which classes, the counts."""
        spec = self.document.project.data
        drawable = spec.drawable and self.samples.mode in ("plane", "curve", "")
        if not drawable and self.draw_button.isChecked():
            self.draw_button.setChecked(False)
        self.draw_button.setEnabled(drawable)
        if drawable:
            self.draw_button.setToolTip(
                "Draw your own points on the plot (they are always training data). " + GESTURES
            )
        elif spec.dataset == "digits":
            self.draw_button.setToolTip(
                "Digits are 8×8 images, not points: drawing works on 1-D and 2-D data"
            )
        else:
            self.draw_button.setToolTip(
                f"This data has {spec.input_dim} columns: drawing works on 1-D and 2-D data"
            )
        task = spec.task
        names = spec.class_names_or_default
        classes = names if task != "regression" else ()
        self._build_class_buttons(classes)
        one_d = spec.input_dim == 1
        self.value_spin.setVisible(task == "regression" and not one_d)
        if task == "regression" and one_d:
            self.draw_button.setToolTip(
                self.draw_button.toolTip() + ". On 1-D data the height you click is the target"
            )
        for widget in (*self.class_buttons, self.value_spin):
            widget.setEnabled(drawable)
        n = spec.n_drawn
        self.clear_button.setEnabled(n > 0)
        # The count goes in the tooltip: a wider button would widen the dock as you draw.
        points = f"the {n:,} points you drew" if n != 1 else "the point you drew"
        self.clear_button.setToolTip(
            f"Remove {points if n else 'every point you drew'} (undoable with Ctrl+Z)"
        )
        with QSignalBlocker(self.only_checkbox):
            self.only_checkbox.setChecked(n > 0 and spec.drawn.only)
        self.only_checkbox.setEnabled(n > 0)
        self._set_plot_hints()

    def _build_class_buttons(self, names: tuple[str, ...]) -> None:
        rim = self._host.palette().color(QPalette.ColorRole.Text)
        key = (names, rim.name())
        if key == self._classes_for:
            return
        self._classes_for = key
        chosen = self.chosen_class()
        for button in self.class_buttons:
            self.class_group.removeButton(button)
            self._class_layout.removeWidget(button)
            button.hide()  # at once: the deferred delete waits for the event loop
            button.deleteLater()
        self.class_buttons = []
        for k, name in enumerate(names):
            button = QToolButton()
            button.setCheckable(True)
            button.setIcon(dot_icon(thumbnails.class_color(k), rim))
            button.setIconSize(QSize(14, 14))
            button.setAutoRaise(True)
            button.setToolTip(f"Draw points of {name}")
            button.setAccessibleName(f"Draw {name}")
            button.toggled.connect(lambda on, b=button: mark_checked(b, on))
            self.class_group.addButton(button, k)
            self._class_layout.addWidget(button)
            self.class_buttons.append(button)
        if self.class_buttons:
            self.class_buttons[min(chosen, len(self.class_buttons) - 1)].setChecked(True)

    def apply_palette(self) -> None:
        """Redraw the class buttons' rims in the host's text colour, and the checked buttons
        in its highlight colour."""
        self._classes_for = None
        self.refresh()
        for button in (self.draw_button, *self.class_buttons):
            mark_checked(button, False)
            mark_checked(button, button.isChecked())

    def _set_plot_hints(self) -> None:
        plot = self.samples.plot
        if self.drawing:
            plot.setToolTip(GESTURES)
            plot.viewport().setCursor(Qt.CursorShape.CrossCursor)
        else:
            plot.setToolTip(self._plot_tip)
            plot.viewport().unsetCursor()

    def set_plot_tooltip(self, tip: str) -> None:
        """The plot's tooltip when not drawing (the host's description of the plot)."""
        self._plot_tip = tip
        self._set_plot_hints()

    # ----------------------------------------------------------------- controls
    def _on_draw_toggled(self, on: bool) -> None:
        self._cancel_stroke()
        self._set_plot_hints()
        if on:
            self.message.emit(
                "Drawing: click adds a point, drag paints, right-click erases; Esc stops"
            )

    def _on_only_toggled(self, on: bool) -> None:
        self._apply(self.document.set_drawn_only, on)

    def _on_clear(self) -> None:
        self._apply(self.document.clear_drawn)

    def _apply(self, method, *args) -> bool:
        try:
            method(*args)
        except ValueError as exc:
            self.message.emit(str(exc))
            self.refresh()
            return False
        return True

    # ----------------------------------------------------------------- the mouse
    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        # The event's type first: while the plot is being destroyed, events of other kinds
        # still arrive here, and asking a half-deleted widget anything raises.
        kind = event.type()
        if kind == QEvent.Type.KeyPress:
            if event.key() != Qt.Key.Key_Escape or not self.drawing:
                return False
            if self._button is not None:
                self._cancel_stroke()  # the stroke under way is dropped, Draw stays on
                self.message.emit("Stroke cancelled")
            else:
                self.draw_button.setChecked(False)
                self.message.emit("Drawing off: a click on a point picks it again")
            return True
        if kind not in _MOUSE or watched is not self._viewport or not self.drawing:
            return False
        if kind == QEvent.Type.MouseButtonDblClick:
            return True  # the second click of a double-click: its first press drew already
        if kind == QEvent.Type.MouseButtonPress:
            if self._button is None:
                self.samples.plot.setFocus(Qt.FocusReason.MouseFocusReason)
                self._press(event.button(), event.position())
            return True
        if kind == QEvent.Type.MouseMove:
            if self._button is not None:
                self._move(event.position())
            return self._button is not None
        if event.button() == self._button:  # a release
            self._release()
        return True

    def _to_plot(self, pos: QPointF) -> tuple[float, float] | None:
        """Plot coordinates of viewport position ``pos``, or None outside the plot area."""
        plot = self.samples.plot
        scene = plot.mapToScene(pos.toPoint())
        view = plot.getViewBox()
        if not view.sceneBoundingRect().contains(scene):
            return None
        point = view.mapSceneToView(scene)
        return float(point.x()), float(point.y())

    def _press(self, button: Qt.MouseButton, pos: QPointF) -> None:
        point = self._to_plot(pos)
        if point is None:
            return
        if button == Qt.MouseButton.LeftButton:
            self._button = button
            self._stroke = [point]
            self._last_px = QPointF(pos)
            self._show_preview()
        elif button == Qt.MouseButton.RightButton:
            self._button = button
            self._erasing = []
            self._erase_near(pos, nearest_only=True)

    def _move(self, pos: QPointF) -> None:
        if self._button == Qt.MouseButton.LeftButton:
            last = self._last_px
            if last is not None and np.hypot(pos.x() - last.x(), pos.y() - last.y()) < (
                STROKE_SPACING_PX
            ):
                return
            point = self._to_plot(pos)
            if point is None:
                return
            self._stroke.append(point)
            self._last_px = QPointF(pos)
            self._show_preview()
        elif self._button == Qt.MouseButton.RightButton:
            self._erase_near(pos, nearest_only=False)

    def _release(self) -> None:
        button, stroke, erasing = self._button, self._stroke, self._erasing
        self._cancel_stroke()
        if button == Qt.MouseButton.LeftButton and stroke:
            self._apply(self.document.add_points, *self._samples_of(stroke))
        elif button == Qt.MouseButton.RightButton:
            if erasing:
                self._apply(self.document.remove_points, erasing)
            elif self.document.project.data.n_drawn:
                self.message.emit("Right-click on a point you drew to erase it")
            else:
                self.message.emit("No drawn points to erase: generated samples stay")

    def _cancel_stroke(self) -> None:
        self._button = None
        self._stroke = []
        self._last_px = None
        self._erasing = None
        self.preview_item.hide()
        self.erase_item.hide()

    def _samples_of(self, stroke: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
        """The stroke's points as samples: (m, d) inputs and (m,) labels."""
        spec = self.document.project.data
        xy = np.array(stroke, dtype=np.float64).reshape(-1, 2)
        rect = self.samples.data_rect
        if rect is not None:  # on the plane: inside the plane drawn
            xy[:, 0] = np.clip(xy[:, 0], rect.left(), rect.right())
            xy[:, 1] = np.clip(xy[:, 1], rect.top(), rect.bottom())
        if spec.input_dim == 1:
            X = xy[:, :1]
            if spec.task == "regression":
                return X, xy[:, 1]  # the height clicked is the target
        else:
            X = xy
        if spec.task == "regression":
            return X, np.full(len(X), self.value_spin.value())
        return X, np.full(len(X), float(self.chosen_class()))

    def _show_preview(self) -> None:
        X, y = self._samples_of(self._stroke)
        if X.shape[1] == 1:  # 1-D: drawn at (x, target) or (x, class)
            xs, ys = X[:, 0], np.array([p[1] for p in self._stroke])
            if self.document.project.data.task != "regression":
                ys = y
        else:
            xs, ys = X[:, 0], X[:, 1]
        spec = self.document.project.data
        if spec.task == "regression":
            scale = thumbnails.target_scale(self.document.data.dataset.y)
            colors = [target_color(v, scale, self._neutral()) for v in y]
            if spec.input_dim == 1:
                colors = [QColor(thumbnails.BLUE)] * len(y)
        else:
            colors = [QColor(thumbnails.class_color(int(k))) for k in y]
        rim = QPen(self._host.palette().color(QPalette.ColorRole.Text), 1.4)
        rim.setCosmetic(True)
        self.preview_item.setData(x=xs, y=ys, brush=[QBrush(c) for c in colors], pen=rim, size=8)
        self.preview_item.show()

    def _neutral(self) -> str:
        base = self._host.palette().color(QPalette.ColorRole.Base).name()
        return thumbnails.neutral_for(base)

    def _erase_near(self, pos: QPointF, nearest_only: bool) -> None:
        """Mark for erasing the drawn point nearest ``pos`` (viewport pixels), if one is within
        ERASE_RADIUS_PX; a drag (``nearest_only`` False) marks every drawn point that close."""
        data = self.document.data
        if not data.n_drawn:
            return
        plot = self.samples.plot
        view = plot.getViewBox()
        xy = self.samples.drawn_points()
        if not len(xy):
            return
        scene = [view.mapViewToScene(QPointF(float(x), float(y))) for x, y in xy]
        px = np.array([[p.x(), p.y()] for p in (plot.mapFromScene(s) for s in scene)], float)
        distance = np.hypot(px[:, 0] - pos.x(), px[:, 1] - pos.y())
        if nearest_only:
            near = [int(np.argmin(distance))] if distance.min() <= ERASE_RADIUS_PX else []
        else:
            near = np.flatnonzero(distance <= ERASE_RADIUS_PX).tolist()
        for k in near:
            if k not in self._erasing:
                self._erasing.append(k)
        if self._erasing:
            marked = xy[self._erasing]
            pen = QPen(self._host.palette().color(QPalette.ColorRole.Text), 2.0)
            pen.setCosmetic(True)
            self.erase_item.setData(x=marked[:, 0], y=marked[:, 1], pen=pen, brush=None)
            self.erase_item.show()
