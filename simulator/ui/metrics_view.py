"""The metrics beside the loss plot: a confusion matrix (classification), R² and RMSE with a
small curve of R² over the steps measured (regression), of the network the controller's
latest snapshot shows.

The numbers are ``app.metrics_report``'s (which asks ``engine.metrics``); this module lays
them out.  They are worked out when a frame is drawn, at most once per ``METRICS_FRAME_MS``
of the controller's frame clock while playing and only while the view is in sight, from the
weights of the snapshot shown: the live step, or the step the timeline rewound to.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QRectF, QSettings, QSignalBlocker, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

import pyqtgraph as pg  # isort: skip  (after PySide6, so pyqtgraph binds to it)

from simulator.app import numbers
from simulator.app.frame_timer import FrameTimer
from simulator.app.metrics_report import SETS, MetricsReport, metrics_report
from simulator.app.numbers import NOTHING, fmt, percent
from simulator.app.training import TrainingController
from simulator.ui import thumbnails
from simulator.ui.axes import number_axes
from simulator.ui.contrast import contrast, mix, readable

METRICS_FRAME_MS = 250  # at most 4 evaluations of the train and test sets a second
MAX_CELL = 40  # px: a 2×2 matrix does not fill a wide page
PREFERRED_CELL = 18  # px: a row's height asked for when there are many classes
MIN_CELL = 10  # px
MIN_NUMBER_PX = 9  # counts smaller than this are left out: colours and the cells' tooltips
MIN_TINT = 0.1  # the least tint of a cell that counts any sample
HEAT_LIGHT = "#5e3c99"  # a full row share on a light background (contrast ≥ 7 to white)
HEAT_DARK = "#b2abd2"  # … on a dark one (≥ 7 to #232323)
SET_TITLES = {"train": "training set", "test": "test set"}
SET_COLORS = {"train": thumbnails.BLUE, "test": thumbnails.ORANGE}  # as in the loss plot
R2_RANGE = (-1.0, 1.0)  # the curve's y range: R² is at most 1; far below 0 is off the chart
CURVE_HEIGHT = 90  # px

_SETTINGS_SET = "plots/metrics_set"
_SETTINGS_SHOWN = "plots/metrics_shown"

MATRIX_TIP = (
    "Confusion matrix C: row i = the true class, column j = the class the network predicts; "
    "C[i, j] counts the samples of class i predicted as j, so the diagonal holds the right "
    "answers.  Colour: the cell's share of its row, C[i, j] / Σ_j C[i, j] (row-normalised): "
    "the diagonal's shade is each class's recall.  One output predicts class 1 where "
    "p ≥ 0.5; several outputs predict the largest (argmax).  Point at a cell for its numbers."
)
TEST_TIP = (
    "The confusion matrix of the test set: samples kept out of training, so it shows how well "
    "the network generalises"
)
TRAIN_TIP = "The confusion matrix of the training set: the samples the network learns from"
ACCURACY_TIP = "accuracy = trace(C) / n: the samples on the diagonal (predicted right) over all n"
R2_TIP = (
    "R² = 1 − SS_res / SS_tot, with SS_res = Σ (y − ŷ)² and SS_tot = Σ (y − ȳ)²: the share of "
    "the targets' variance the network explains.  1: a perfect fit; 0: no better than always "
    "answering the mean ȳ; below 0: worse than that"
)
RMSE_TIP = (
    "RMSE = √(mean (y − ŷ)²): the typical size of an error, in the target's own units "
    "(0 is a perfect fit)"
)
CURVE_TIP = (
    "R² of the training and test sets at the steps this view measured (a few times a second "
    "while training, every step when stepping).  " + R2_TIP
)
DIVERGED_TEXT = (
    "— The network's outputs are not numbers (training diverged): there are no predictions "
    "to count.  Restore the last good weights or lower the learning rate."
)


def heat_color(palette: QPalette) -> QColor:
    """The colour of a full row share on ``palette``'s background."""
    dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
    return QColor(HEAT_DARK if dark else HEAT_LIGHT)


def _number(value: float) -> str:
    return NOTHING if not math.isfinite(value) else fmt(value)


# --------------------------------------------------------------------- the matrix
class ConfusionMatrixGrid(QWidget):
    """A K×K confusion matrix, painted: rows the true classes (named on the left), columns
    the predicted ones (named below); each cell's count, its colour the row share.  Every
    cell has a tooltip with its numbers; counts too small to read are left to the tooltips.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._counts: np.ndarray | None = None
        self._rates: np.ndarray | None = None
        self._names: tuple[str, ...] = ()
        self._set_name = "test"
        self.setToolTip(MATRIX_TIP)
        self.setAccessibleName("Confusion matrix")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    # ----------------------------------------------------------------- data
    def set_matrix(self, counts: np.ndarray, rates: np.ndarray, names, set_name: str) -> None:
        """Show ``counts`` (K, K) with their row shares ``rates``, classes ``names``, of the
        ``set_name`` set ("train" or "test")."""
        resized = self._counts is None or self._counts.shape != counts.shape
        self._counts, self._rates = counts, rates
        self._names, self._set_name = tuple(names), set_name
        rows = "; ".join(
            f"true {name}: " + ", ".join(str(int(v)) for v in row)
            for name, row in zip(self._names, counts)
        )
        self.setAccessibleDescription(
            f"{SET_TITLES[set_name]}, rows true class, columns predicted class: {rows}"
        )
        if resized:
            self.updateGeometry()
        self.update()

    @property
    def counts(self) -> np.ndarray | None:
        """The counts shown (rows: true class, columns: predicted)."""
        return self._counts

    @property
    def rates(self) -> np.ndarray | None:
        return self._rates

    @property
    def class_names(self) -> tuple[str, ...]:
        return self._names

    @property
    def k(self) -> int:
        return 0 if self._counts is None else self._counts.shape[0]

    # ----------------------------------------------------------------- geometry
    def _title_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1))
        return font

    def _label_font(self) -> QFont:
        font = QFont(self.font())
        if self.k > 6:
            font.setPointSizeF(max(7.0, font.pointSizeF() - 1))
        return font

    def _margins(self) -> tuple[float, float]:
        """(left, bottom): room for the row names and "true", the column names and
        "predicted"."""
        title = QFontMetrics(self._title_font())
        labels = QFontMetrics(self._label_font())
        widest = max((labels.horizontalAdvance(n) for n in self._names), default=0)
        left = title.height() + 4 + min(widest, 0.35 * self.width()) + 6
        bottom = labels.height() + title.height() + 4
        return left, bottom

    def _cells(self) -> tuple[float, float, float, float]:
        """(x0, y0, cell width, cell height) of the grid in this widget."""
        k = max(self.k, 1)
        left, bottom = self._margins()
        room_w = max(self.width() - left - 4, 1)
        room_h = max(self.height() - bottom - 2, 1)
        cell_h = min(MAX_CELL, room_h / k)
        cell_w = min(MAX_CELL * 1.5, room_w / k, 2.5 * cell_h)
        x0 = left + max(0.0, (room_w - k * cell_w) / 2)
        return x0, 2.0, cell_w, cell_h

    def cell_rect(self, i: int, j: int) -> QRectF:
        """Where the cell of true class ``i`` and predicted class ``j`` is drawn."""
        x0, y0, w, h = self._cells()
        return QRectF(x0 + j * w, y0 + i * h, w, h)

    def cell_at(self, pos) -> tuple[int, int] | None:
        """(true, predicted) of the cell under ``pos`` (widget coordinates), or None."""
        if self.k == 0:
            return None
        x0, y0, w, h = self._cells()
        j = math.floor((pos.x() - x0) / w)
        i = math.floor((pos.y() - y0) / h)
        return (i, j) if 0 <= i < self.k and 0 <= j < self.k else None

    def _preferred_cell(self) -> float:
        return max(PREFERRED_CELL, min(MAX_CELL * 0.8, 160 / max(self.k, 1)))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        k = max(self.k, 2)
        left, bottom = self._margins()
        cell = self._preferred_cell()
        return QSize(int(left + k * cell * 1.4 + 8), int(k * cell + bottom + 4))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        k = max(self.k, 2)
        left, bottom = self._margins()
        return QSize(int(left + k * MIN_CELL + 8), int(k * MIN_CELL + bottom + 4))

    # ----------------------------------------------------------------- numbers
    def number_font(self) -> QFont | None:
        """The font of the counts, or None where they cannot be read in the cells."""
        if self._counts is None:
            return None
        _x0, _y0, w, h = self._cells()
        font = QFont(self.font())
        base = QFontMetrics(font).height()
        font.setPixelSize(max(1, min(int(h * 0.62), int(base * 0.95))))
        font.setBold(True)
        widest = QFontMetrics(font).horizontalAdvance(str(int(self._counts.max(initial=0))))
        if font.pixelSize() < MIN_NUMBER_PX or widest > w - 2:
            return None
        return font

    def cell_color(self, i: int, j: int) -> QColor:
        """The fill of a cell: the background moved toward the heat colour by the row share
        (a nonzero count by at least ``MIN_TINT``, so one mistake in many is seen)."""
        palette = self.palette()
        share = float(self._rates[i, j])
        if self._counts[i, j] > 0:
            share = MIN_TINT + (1 - MIN_TINT) * share
        return mix(palette.color(QPalette.ColorRole.Base), heat_color(palette), share)

    def shows_numbers(self) -> bool:
        """Whether the counts are written in the cells (else colours and tooltips only)."""
        return self.number_font() is not None

    def cell_tooltip(self, i: int, j: int) -> str:
        """The numbers of one cell, in words."""
        counts, rates, names = self._counts, self._rates, self._names
        count, total = int(counts[i, j]), int(counts[i].sum())
        where = SET_TITLES[self._set_name]
        shown, of = numbers.count(count), numbers.count(total)
        head = f"true {names[i]}, predicted {names[j]}: {shown} sample{'s' * (count != 1)}"
        if total == 0:
            return f"{head}\n(the {where} has no sample of {names[i]})"
        share = percent(float(rates[i, j]))
        if i == j:
            return (
                f"{head}: {shown} of the {of} {names[i]} samples of the {where} are "
                f"predicted right ({share}, the recall of {names[i]})"
            )
        return f"{head}: {share} of the {of} {names[i]} samples of the {where}"

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            cell = self.cell_at(event.position() if hasattr(event, "position") else event.pos())
            if cell is not None:
                rect = self.cell_rect(*cell).toAlignedRect()
                QToolTip.showText(event.globalPos(), self.cell_tooltip(*cell), self, rect)
                return True
        return super().event(event)

    # ----------------------------------------------------------------- painting
    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt's name
        if self._counts is None:
            return
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        grid = palette.color(QPalette.ColorRole.Mid)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        number_font = self.number_font()
        # Zeros recede (still ≥ 3:1 on the background), so the mistakes stand out.
        zero_ink = readable(mix(text, base, 0.5), base)
        k = self.k
        for i in range(k):
            for j in range(k):
                rect = self.cell_rect(i, j)
                fill = self.cell_color(i, j)
                painter.fillRect(rect, fill)
                if number_font is not None:
                    ink = text if contrast(text, fill) >= contrast(base, fill) else base
                    if self._counts[i, j] == 0:
                        ink = zero_ink
                    painter.setPen(ink)
                    number_font.setBold(i == j)
                    painter.setFont(number_font)
                    painter.drawText(
                        rect, Qt.AlignmentFlag.AlignCenter, numbers.count(self._counts[i, j])
                    )
        x0, y0, w, h = self._cells()
        painter.setPen(QPen(grid, 1))
        for n in range(k + 1):
            painter.drawLine(QRectF(x0, y0 + n * h, k * w, 0).topLeft(),
                             QRectF(x0 + k * w, y0 + n * h, 0, 0).topLeft())  # fmt: skip
            painter.drawLine(QRectF(x0 + n * w, y0, 0, 0).topLeft(),
                             QRectF(x0 + n * w, y0 + k * h, 0, 0).topLeft())  # fmt: skip
        # The names: rows (true) on the left, columns (predicted) below.
        painter.setPen(text)
        label_font = self._label_font()
        painter.setFont(label_font)
        metrics = QFontMetrics(label_font)
        title_h = QFontMetrics(self._title_font()).height()
        left = title_h + 4
        name_w = x0 - left - 4
        for i, name in enumerate(self._names):
            rect = QRectF(left, y0 + i * h, name_w, h)
            shown = metrics.elidedText(name, Qt.TextElideMode.ElideRight, int(name_w))
            painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             shown)  # fmt: skip
        labels_y = y0 + k * h + 1
        for j, name in enumerate(self._names):
            shown = name if metrics.horizontalAdvance(name) <= w - 2 else str(j)
            if metrics.horizontalAdvance(shown) > w:
                continue
            rect = QRectF(x0 + j * w, labels_y, w, metrics.height())
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, shown)
        painter.setFont(self._title_font())
        bottom_title = QRectF(x0, labels_y + metrics.height(), k * w, title_h)
        painter.drawText(bottom_title, Qt.AlignmentFlag.AlignCenter, "predicted")
        painter.save()
        painter.translate(0, y0 + k * h / 2)
        painter.rotate(-90)
        painter.drawText(
            QRectF(-k * h / 2, 0, k * h, title_h), Qt.AlignmentFlag.AlignCenter, "true"
        )
        painter.restore()
        painter.end()


# --------------------------------------------------------------------- regression
class _RegressionTable(QWidget):
    """R² and RMSE of the training and test sets, in a small table."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 0, 6, 0)
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(1)
        self.values: dict[tuple[str, str], QLabel] = {}
        for col, name in enumerate(SETS, start=1):
            head = QLabel(name)
            head.setToolTip(f"The {SET_TITLES[name]}")
            head.setAlignment(Qt.AlignmentFlag.AlignRight)
            grid.addWidget(head, 0, col)
        for row, (metric, title, tip) in enumerate(
            (("r2", "R²", R2_TIP), ("rmse", "RMSE", RMSE_TIP)), start=1
        ):
            label = QLabel(f"<b>{title}</b>")
            label.setToolTip(tip)
            grid.addWidget(label, row, 0)
            for col, name in enumerate(SETS, start=1):
                value = QLabel("—")
                value.setAlignment(Qt.AlignmentFlag.AlignRight)
                value.setToolTip(tip)
                value.setAccessibleName(f"{title} of the {SET_TITLES[name]}")
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                grid.addWidget(value, row, col)
                self.values[(metric, name)] = value
        grid.setColumnStretch(3, 1)

    def show_report(self, report: MetricsReport) -> None:
        for (metric, name), label in self.values.items():
            got = report.sets.get(name)
            if got is None:
                label.setText("—")
                label.setToolTip(f"No {SET_TITLES[name]}: the data are not split")
                continue
            value = got.r2 if metric == "r2" else got.rmse
            label.setText(_number(value))
            tip = R2_TIP if metric == "r2" else RMSE_TIP
            if not math.isfinite(value):
                if got.diverged:
                    tip += ".  Here: the network's outputs are not numbers (training diverged)"
                elif metric == "r2":
                    tip += ".  Here undefined: the targets are all equal (SS_tot = 0)"
            label.setToolTip(tip)


class _R2Curve(pg.PlotWidget):
    """R² of both sets against step, at the steps measured (``points``: step -> {set: R²})."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, axisItems=number_axes(integer=("bottom",)))  # whole steps
        self.points: dict[int, dict[str, float]] = {}
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.setFixedHeight(CURVE_HEIGHT)
        self.setToolTip(CURVE_TIP)
        self.setAccessibleName("R² over the steps")
        self.setLabel("left", "R²")
        self.getAxis("left").setWidth(40)
        self.getAxis("left").setTicks([[(-1, "−1"), (0, "0"), (1, "1")]])
        self.setYRange(*R2_RANGE, padding=0.05)
        self.curves = {name: self.plot(name=name) for name in SETS}
        self.style_to(self.palette())

    def clear_points(self) -> None:
        self.points.clear()
        self._redraw()

    def add(self, step: int, values: dict[str, float]) -> None:
        finite = {k: v for k, v in values.items() if math.isfinite(v)}
        if finite:
            self.points[step] = finite
            self._redraw()

    def _redraw(self) -> None:
        steps = sorted(self.points)
        for name, item in self.curves.items():
            xs = [s for s in steps if name in self.points[s]]
            ys = [max(self.points[s][name], R2_RANGE[0] - 1) for s in xs]  # held on the chart
            item.setData(np.asarray(xs, float), np.asarray(ys, float))
        if steps:
            span = max(steps[-1] - steps[0], 1)
            self.setXRange(steps[0], steps[0] + span, padding=0.02)

    def style_to(self, palette: QPalette) -> None:
        base = palette.color(QPalette.ColorRole.Base)
        self.setBackground(base)
        for name in ("left", "bottom"):
            axis = self.getAxis(name)
            axis.setPen(pg.mkPen(palette.color(QPalette.ColorRole.Mid)))
            axis.setTextPen(pg.mkPen(palette.color(QPalette.ColorRole.Text)))
        for name, item in self.curves.items():
            item.setPen(pg.mkPen(readable(SET_COLORS[name], base), width=2))


# --------------------------------------------------------------------- the view
def same_network(a, b) -> bool:
    """Whether snapshots ``a`` and ``b`` show the same network: the same step (live or
    rewound) and the same weights and biases."""
    if a is None or b is None:
        return False
    if a is b:
        return True
    if a.step != b.step or bool(a.rewound) != bool(b.rewound) or len(a.weights) != len(b.weights):
        return False
    return all(
        np.array_equal(wa, wb) and np.array_equal(ba, bb)
        for (wa, ba), (wb, bb) in zip(a.weights, b.weights)
    )


class MetricsView(QWidget):
    """The metrics of the network shown, from ``controller``'s snapshots.

    Classification: ``matrix`` (a :class:`ConfusionMatrixGrid`) of the set chosen with
    ``set_buttons`` ("test" or "train"), and the accuracy in ``summary``; regression:
    ``regression.values[(metric, set)]`` for metric "r2" or "rmse", and ``r2_curve`` (its
    ``points``: step -> {set: R²}, at the steps measured).  ``message`` says why
    there is nothing to show.  ``report`` is the MetricsReport last shown.
    """

    def __init__(self, controller: TrainingController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.document = controller.document
        self._settings = QSettings()
        self._snapshot = None  # None: ask the controller when drawing
        self._reported = None  # the snapshot whose metrics are shown
        self.report: MetricsReport | None = None
        self.shown_step: int | None = None
        self._frames = FrameTimer(
            lambda: controller.clock, METRICS_FRAME_MS / 1000, self.refresh, parent=self
        )

        self.toggle = QToolButton()
        self.toggle.setCheckable(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setAccessibleName("Show metrics")
        self.toggle.setToolTip("Show or hide the metrics of the network shown")
        self.toggle.toggled.connect(self._on_toggled)
        self.set_buttons: dict[str, QToolButton] = {}
        self._set_group = QButtonGroup(self)
        self._set_group.setExclusive(True)
        for name in ("test", "train"):
            button = QToolButton()
            button.setText(name.capitalize())
            button.setCheckable(True)
            button.setAutoRaise(True)
            button.setAccessibleName(f"Confusion matrix of the {SET_TITLES[name]}")
            button.setToolTip(TEST_TIP if name == "test" else TRAIN_TIP)
            button.clicked.connect(lambda _=False, n=name: self.set_data_set(n))
            self._set_group.addButton(button)
            self.set_buttons[name] = button
        header = QHBoxLayout()
        header.setContentsMargins(2, 2, 4, 0)
        header.setSpacing(0)
        header.addWidget(self.toggle)
        header.addStretch(1)
        for button in self.set_buttons.values():
            header.addWidget(button)

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setContentsMargins(6, 0, 4, 0)
        self.summary.setToolTip(ACCURACY_TIP)
        self.matrix = ConfusionMatrixGrid()
        self.regression = _RegressionTable()
        self.r2_curve = _R2Curve()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setContentsMargins(6, 2, 4, 2)
        self.message.setAccessibleName("Metrics message")
        self._body = QWidget()
        body = QVBoxLayout(self._body)
        body.setContentsMargins(0, 0, 0, 2)
        body.setSpacing(2)
        body.addWidget(self.summary)
        body.addWidget(self.matrix, 1)
        body.addWidget(self.regression)
        body.addWidget(self.r2_curve)
        body.addWidget(self.message)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(self._body, 1)

        chosen = self._settings.value(_SETTINGS_SET, "test", type=str)
        self._set_name = chosen if chosen in SETS else "test"
        self.set_buttons[self._set_name].setChecked(True)
        with QSignalBlocker(self.toggle):
            self.toggle.setChecked(self._settings.value(_SETTINGS_SHOWN, True, type=bool))
        self._on_toggled(self.toggle.isChecked(), save=False)
        self._arrange(self.document.task)

        controller.snapshot_ready.connect(self._on_snapshot_ready)
        controller.history_changed.connect(self.r2_curve.clear_points)
        self.document.network_changed.connect(self._on_stale)
        self.document.data_changed.connect(self._on_stale)
        self.document.project_replaced.connect(self._on_stale)

    # ----------------------------------------------------------------- choices
    @property
    def data_set(self) -> str:
        """The set whose confusion matrix is shown: "test" or "train"."""
        return self._set_name

    def set_data_set(self, name: str) -> None:
        if name not in SETS:
            raise ValueError(f"the data set is one of {SETS}, not {name!r}")
        self.set_buttons[name].setChecked(True)
        if name == self._set_name:
            return
        self._set_name = name
        self._settings.setValue(_SETTINGS_SET, name)
        if self.report is not None:
            self._show(self.report)

    @property
    def expanded(self) -> bool:
        return self.toggle.isChecked()

    def _on_toggled(self, on: bool, save: bool = True) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self._body.setVisible(on)
        for button in self.set_buttons.values():
            button.setVisible(on and self.document.task != "regression")
        if save:
            self._settings.setValue(_SETTINGS_SHOWN, on)
        self.updateGeometry()
        self._schedule()

    def _arrange(self, task: str) -> None:
        classification = task != "regression"
        self.toggle.setText("Confusion matrix" if classification else "R² and RMSE")
        self.toggle.setToolTip(
            ("Show or hide the confusion matrix. " + MATRIX_TIP)
            if classification
            else f"Show or hide R² and RMSE.  {R2_TIP}.  {RMSE_TIP}"
        )
        for button in self.set_buttons.values():
            button.setVisible(classification and self.expanded)

    # ----------------------------------------------------------------- frames
    def _on_snapshot_ready(self, snapshot) -> None:
        self._snapshot = snapshot
        self._schedule()

    def _on_stale(self) -> None:
        # The network or the data changed: the snapshot held may not fit them any more.
        self._snapshot = self._reported = None
        self.r2_curve.clear_points()  # measured on other data or another network
        self._arrange(self.document.task)
        self._schedule()

    def _schedule(self, *_args) -> None:
        if self.isVisible() and self.expanded:
            # While playing, at most one evaluation per METRICS_FRAME_MS; paused, at once.
            self._frames.request(urgent=not self.controller.playing)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._schedule()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.r2_curve.style_to(self.palette())

    def refresh(self) -> None:
        """Work out and show the metrics of the latest snapshot now (unless it shows the
        network already shown: a forward or backward phase changes no weight)."""
        self._frames.drawn()
        if self._snapshot is None:
            self._snapshot = self.controller.snapshot()
        if self.report is not None and same_network(self._reported, self._snapshot):
            return
        self._reported = self._snapshot
        report = metrics_report(self.document, self._snapshot)
        if report is None:  # a snapshot from before an edit: the controller's own now
            self._snapshot = self._reported = self.controller.snapshot()
            report = metrics_report(self.document, self._snapshot)
        self.report = report
        if report is None:
            self._show_message("—")
            return
        self.shown_step = report.step
        self._show(report)

    # ----------------------------------------------------------------- showing
    def _show_message(self, text: str) -> None:
        self.matrix.hide()
        self.regression.hide()
        self.r2_curve.hide()
        self.summary.hide()
        self.message.setText(text)
        self.message.show()

    def _show(self, report: MetricsReport) -> None:
        self._arrange(report.task)
        where = f"step {numbers.count(report.step)}" + (" (rewound)" if report.rewound else "")
        if not report.classification:
            self.matrix.hide()
            self.regression.show_report(report)
            self.regression.show()
            self.r2_curve.add(report.step, {k: v.r2 for k, v in report.sets.items()})
            self.r2_curve.show()
            self.summary.setText(f"At {where}")
            self.summary.setToolTip("The network shown: the live step, or the step rewound to")
            self.summary.show()
            diverged = any(s.diverged for s in report.sets.values())
            self.message.setText(DIVERGED_TEXT if diverged else "")
            self.message.setVisible(diverged)
            return
        self.regression.hide()
        self.r2_curve.hide()
        has_test = "test" in report.sets
        test_button = self.set_buttons["test"]
        test_button.setEnabled(has_test)
        test_button.setToolTip(TEST_TIP if has_test else "No test set: the data are not split")
        name = self._set_name if self._set_name in report.sets else "train"
        got = report.sets[name]
        if got.unpredicted == got.samples:
            self._show_message(DIVERGED_TEXT)
            return
        self.matrix.set_matrix(got.confusion, got.rates, report.class_names, name)
        self.matrix.show()
        right = numbers.count(np.trace(got.confusion))
        text = (
            f"{SET_TITLES[name].capitalize()} at {where}: {right} of "
            f"{numbers.count(got.samples)} right, accuracy {percent(got.accuracy)}"
        )
        if name != self._set_name:
            text += " (there is no test set)"
        if got.unpredicted:
            unpredicted = numbers.count(got.unpredicted)
            text += f"; {unpredicted} with outputs that are not numbers are not counted"
        self.summary.setText(text)
        self.summary.setToolTip(ACCURACY_TIP)
        self.summary.show()
        self.message.hide()
