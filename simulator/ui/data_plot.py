"""The data plot: the samples as points (or, for digits, as images), with their legend and the
training sample a click picks.

:class:`SamplePlot` draws the Document's data and keeps the selection; :class:`PlotFrame` keeps
the plot's shape as the dock around it changes.
"""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPalette, QPen
from PySide6.QtWidgets import QCheckBox, QLabel, QWidget

import pyqtgraph as pg  # isort: skip  (after PySide6, so pyqtgraph binds to it)

from simulator.app import numbers
from simulator.app.document import Document
from simulator.app.training import plane_extent
from simulator.ui import thumbnails
from simulator.ui.axes import number_axes

DIGITS_PER_CLASS = 5
MAX_AXIS_LABEL = 24  # characters of a column name on the data plot's axes
PICK_RADIUS_PX = 9.0  # a click this close to a training point (in pixels) selects it
CURVE_REACH = 3.0  # 1-D data: a line is kept in view up to this many data heights away
_REGRESSION_LEVELS = 65  # colour steps of the regression colour map
# Height per unit of width of the plot for each mode: a square plane for 2-D points (as
# Playground draws it), wide strips otherwise.
_SHAPES = {"plane": 1.0, "curve": 0.75, "digits": 0.55}


def _brush(color) -> QBrush:
    return QBrush(QColor(color))


def _ring(color) -> QPen:
    pen = QPen(QColor(color), 1.6)
    pen.setCosmetic(True)
    return pen


def _column_label(data, j: int) -> str:
    """Column ``j``'s name on an axis, shortened to fit beside a small plot.  (Whether the
    columns were standardised, the summary above says: the axis has no room.)"""
    name = data.column_labels[j] if j < len(data.column_labels) else f"x{j + 1}"
    return name if len(name) <= MAX_AXIS_LABEL else name[: MAX_AXIS_LABEL - 1] + "…"


def target_color(value: float, scale: float, neutral: str) -> QColor:
    """The colour of a regression target ``value`` on the orange .. ``neutral`` .. blue scale
    whose ends stand for ∓``scale``."""
    levels = np.linspace(-1.0, 1.0, _REGRESSION_LEVELS)
    rgba = thumbnails.diverging_rgba(levels, neutral)
    index = int(np.clip(np.rint((value / scale + 1.0) / 2.0 * (_REGRESSION_LEVELS - 1)), 0,
                        _REGRESSION_LEVELS - 1))  # fmt: skip
    return QColor(*rgba[index][:3])


def point_styles(dataset, neutral: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample fill brushes (training dots) and outline pens (test rings): class colours, or
    the target on the orange .. ``neutral`` .. blue scale."""
    if dataset.kind == "regression":
        scale = thumbnails.target_scale(dataset.y)
        levels = np.linspace(-1.0, 1.0, _REGRESSION_LEVELS)
        rgba = thumbnails.diverging_rgba(levels, neutral)
        colors = [QColor(*c[:3]) for c in rgba]
        index = np.rint((dataset.y / scale + 1.0) / 2.0 * (_REGRESSION_LEVELS - 1))
        index = index.astype(np.intp)
    else:
        n_colors = max(len(dataset.class_names), 2)
        colors = [QColor(thumbnails.class_color(k)) for k in range(n_colors)]
        index = dataset.y.astype(np.intp)
    brush_lut = np.array([QBrush(c) for c in colors] + [None], dtype=object)[:-1]
    pen_lut = np.array([_ring(c) for c in colors] + [None], dtype=object)[:-1]
    return brush_lut[index], pen_lut[index]


def legend_html(data, neutral: str) -> str:
    """The legend under the plot of ``data`` (the Document's): the class colours, or what the
    colours of a target mean."""

    def dot(color: str, symbol: str = "●") -> str:
        return f'<span style="color:{color}; font-size:large">{symbol}</span>'

    dataset = data.dataset
    if dataset.kind == "regression":
        target = html.escape(data.target_label)
        if dataset.input_dim == 1:
            column = html.escape(data.column_labels[0]) if data.column_labels else "x"
            return f"{dot(thumbnails.BLUE)}&nbsp;target {target} at {column}"
        scale = thumbnails.target_scale(dataset.y)
        middle = QColor(neutral)
        middle = middle.darker(125) if middle.lightness() > 128 else middle.lighter(125)
        return (
            f"{target}: {dot(thumbnails.ORANGE)}&nbsp;{numbers.fmt(-scale, 3)} "
            f"{dot(middle.name())}&nbsp;0 "
            f"{dot(thumbnails.BLUE)}&nbsp;{numbers.fmt(scale, 3)}"
        )
    parts = [
        f"{dot(thumbnails.class_color(k))}&nbsp;{name.replace(' ', '&nbsp;')}"
        for k, name in enumerate(dataset.class_names)
    ]
    return " &nbsp; ".join(parts)


class PlotFrame(QWidget):
    """Holds the plot and keeps it ``1 / aspect`` wide per unit of height (centred, at the top)
    when ``aspect`` is set, so the input plane stays square in a wide or a tall dock."""

    def __init__(self, plot: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self._plot = plot
        plot.setParent(self)
        self.aspect: float | None = 1.0
        self.setMinimumSize(plot.minimumSize())

    def set_aspect(self, aspect: float | None) -> None:
        self.aspect = aspect
        self._place()

    def fit(self, mode: str) -> None:
        """Take the shape of a plot in ``mode`` ("plane", "curve", "digits"): the height left
        over goes below the frame instead of stretching the picture."""
        shape = _SHAPES.get(mode, 1.0)
        self.setMaximumHeight(max(self.minimumHeight(), round(self.width() * shape) + 8))
        self.set_aspect(1.0 if mode == "plane" else None)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._place()

    def _place(self) -> None:
        w, h = self.width(), self.height()
        if self.aspect is not None:
            w = min(w, round(h / self.aspect))
            h = min(h, round(w * self.aspect))
        self._plot.setGeometry((self.width() - w) // 2, 0, w, h)


class SamplePlot(QObject):
    """Draws the Document's data: 2-D points on their plane, 1-D data as x against the target,
    digits as a mosaic of training images; training samples as filled dots, test samples as
    rings (when ``show_test_checkbox`` says so), the legend in ``legend_label``.  A click on a
    training point selects it (a ring marks it; ``sample_selected``), a click beside the points
    clears the choice.

    ``frame`` holds the plot for the host to place, with ``legend_label`` and
    ``show_test_checkbox``; colours follow the host's palette.
    """

    sample_selected = Signal(int)  # a training sample's index (into X_train), or -1: none

    def __init__(self, document: Document, host: QWidget):
        super().__init__(host)
        self.document = document
        self._host = host
        self._mode = ""  # what the plot shows: "plane", "curve" or "digits"
        self._data_rect: QRectF | None = None
        self._selected: int | None = None
        self._train_xy = np.empty((0, 2))  # the training points as drawn (plot coordinates)
        self._outline = QPen()  # the dots' rims and the selection ring, from apply_palette
        self._drawn_rim = QPen()  # the rims of the points the user drew
        self._selection_pen = QPen()
        self._n_drawn = 0  # the last training points are the drawn ones
        # 1-D data: the range the points cover (x0, x1, y0, y1), that of the line drawn over
        # them (the network's prediction, see show_line_span) and the range shown.
        self._data_span: tuple[float, float, float, float] | None = None
        self._line_span: tuple[float, float, float, float] | None = None
        self._shown_span: tuple[float, float, float, float] | None = None

        self.plot = pg.PlotWidget(axisItems=number_axes())  # "−5", as numbers read elsewhere
        for side in ("bottom", "left"):  # "y (x0.001)" only puzzles; the ticks say enough
            self.plot.getAxis(side).enableAutoSIPrefix(False)
        self.plot.setMinimumSize(160, 160)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(False, False)
        view = self.plot.getViewBox()
        view.setDefaultPadding(0.0)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            font = axis.font() if hasattr(axis, "font") else host.font()
            font.setPointSizeF(host.font().pointSizeF() * 0.8)
            axis.setStyle(tickFont=font, tickLength=-4)
        self.digits_item = pg.ImageItem(axisOrder="row-major")
        self.digits_item.setZValue(-5)
        self.points_item = pg.ScatterPlotItem(antialias=True, symbol="o")
        self.points_item.setZValue(10)
        self.test_points_item = pg.ScatterPlotItem(antialias=True, symbol="o")
        self.test_points_item.setZValue(11)
        self.selection_item = pg.ScatterPlotItem(antialias=True, symbol="o", pxMode=True)
        self.selection_item.setZValue(13)
        self.selection_item.hide()
        self.plot.scene().sigMouseClicked.connect(self._on_plot_clicked)
        for item in (self.digits_item, self.points_item, self.test_points_item,
                     self.selection_item):  # fmt: skip
            self.plot.addItem(item)
        self.plot.setToolTip(
            "Training data as filled dots (ringed: the points you drew); test data as rings"
        )
        self.frame = PlotFrame(self.plot, host)

        self.legend_label = QLabel()
        self.legend_label.setTextFormat(Qt.TextFormat.RichText)
        self.legend_label.setWordWrap(True)
        self.show_test_checkbox = QCheckBox("Show test data")
        self.show_test_checkbox.setToolTip("Draw the held-out test samples as rings")
        self.show_test_checkbox.toggled.connect(self._on_show_test_toggled)
        self.test_points_item.setVisible(False)

    # ----------------------------------------------------------------- reading
    @property
    def mode(self) -> str:
        """ "plane" (2-D points), "curve" (1-D x vs y) or "digits" (sample images)."""
        return self._mode

    @property
    def data_rect(self) -> QRectF | None:
        """The input plane the plot shows (where a decision boundary image goes), or None."""
        return QRectF(self._data_rect) if self._data_rect is not None else None

    @property
    def selected_sample(self) -> int | None:
        """The training sample the plot marks (an index into X_train), or None."""
        return self._selected

    def drawn_points(self) -> np.ndarray:
        """Where the drawn points are drawn (plot coordinates), (n_drawn, 2), in the order
        drawn."""
        n = self._n_drawn
        return self._train_xy[len(self._train_xy) - n :].copy()

    def sample_point(self, index: int) -> tuple[float, float] | None:
        """Where training sample ``index`` is drawn (plot coordinates), or None (digits)."""
        if not 0 <= index < len(self._train_xy):
            return None
        x, y = self._train_xy[index]
        return float(x), float(y)

    # ----------------------------------------------------------------- selection
    def select_sample(self, index: int | None) -> None:
        """Mark training sample ``index`` (None or −1: none); emits ``sample_selected`` on a
        change."""
        if index is not None and (index < 0 or index >= len(self.document.data.train_index)):
            index = None
        if index == self._selected:
            return
        self._selected = index
        self._draw_selection()
        self.sample_selected.emit(-1 if index is None else index)

    def _on_plot_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or not len(self._train_xy):
            return
        view = self.plot.getViewBox()
        if not view.sceneBoundingRect().contains(event.scenePos()):
            return
        pos = view.mapSceneToView(event.scenePos())
        px, py = view.viewPixelSize()
        if not (px > 0 and py > 0):
            return
        dx = (self._train_xy[:, 0] - pos.x()) / px
        dy = (self._train_xy[:, 1] - pos.y()) / py
        distance = np.hypot(dx, dy)
        nearest = int(np.argmin(distance))
        self.select_sample(nearest if distance[nearest] <= PICK_RADIUS_PX else None)

    def _draw_selection(self) -> None:
        point = None if self._selected is None else self.sample_point(self._selected)
        if point is None:
            self.selection_item.hide()
            return
        size = self.points_item.opts["size"] + 9
        self.selection_item.setData(
            [point[0]], [point[1]], size=size, pen=self._selection_pen,
            brush=QBrush(Qt.BrushStyle.NoBrush),
        )  # fmt: skip
        self.selection_item.show()

    def _on_show_test_toggled(self, on: bool) -> None:
        self.test_points_item.setVisible(on and self._mode != "digits")

    # ----------------------------------------------------------------- drawing
    def show_data(self) -> None:
        """Draw the Document's data as it is now (and the selection's ring on it)."""
        data = self.document.data
        dataset = data.dataset
        if dataset.name == "digits" or (dataset.input_dim == 64 and dataset.kind == "multiclass"):
            self._show_digits(dataset, data.train_index)
        else:
            self._show_points(data)
        self._draw_selection()

    def _show_points(self, data) -> None:
        dataset = data.dataset
        train, test = data.train_index, data.test_index
        view = self.plot.getViewBox()
        self.digits_item.hide()
        self.plot.getAxis("bottom").setTicks(None)
        self.plot.getAxis("left").show()
        X, y = dataset.X, dataset.y
        if dataset.input_dim == 1:
            self._mode = "curve"
            self._data_rect = None
            xs, ys = X[:, 0], y.astype(np.float64)
            if dataset.kind == "regression":
                brushes = np.full(len(y), _brush(thumbnails.BLUE), dtype=object)
                pens = np.full(len(y), _ring(thumbnails.BLUE), dtype=object)
            else:  # 1-D classes: the label on the y axis, coloured too
                brushes, pens = point_styles(dataset, self._neutral())
            view.setAspectLocked(False)
            self._data_span = (float(xs.min()), float(xs.max()), float(ys.min()), float(ys.max()))
            self._line_span = None  # the line over the old data no longer applies
            self._shown_span = None
            self._fit_curve_range()
            self._set_axis_labels(_column_label(data, 0), data.target_label)
        else:
            self._mode = "plane"
            xs, ys = X[:, 0], X[:, 1]
            brushes, pens = point_styles(dataset, self._neutral())
            # The controller's grid covers the same plane, so the boundary fills the plot.
            x0, x1, y0, y1 = plane_extent(dataset, data.n_drawn)
            rect = QRectF(x0, y0, x1 - x0, y1 - y0)
            self._data_rect = rect
            # Always the whole plane: the panel keeps the plot square when it has the room.
            view.setAspectLocked(False)
            self.plot.setRange(rect, padding=0.0)
            # Data of more columns shows its first two.
            self._set_axis_labels(_column_label(data, 0), _column_label(data, 1))
        size = 7 if len(train) <= 2000 else 4
        self._train_xy = np.column_stack([xs[train], ys[train]]).astype(np.float64)
        # The points the user drew are the last training points: a rim in the text colour
        # tells them from the generated ones.
        self._n_drawn = data.n_drawn
        rims = np.full(len(train), self._outline, dtype=object)
        if data.n_drawn:
            rims[len(train) - data.n_drawn :] = self._drawn_rim
        self.points_item.setData(
            x=xs[train], y=ys[train], brush=brushes[train], pen=rims, size=size
        )
        self.test_points_item.setData(
            x=xs[test], y=ys[test], pen=pens[test], brush=QBrush(Qt.BrushStyle.NoBrush),
            size=size,
        )  # fmt: skip
        self.points_item.show()
        self.show_test_checkbox.setEnabled(True)
        self.test_points_item.setVisible(self.show_test_checkbox.isChecked())
        self.legend_label.setText(legend_html(data, self._neutral()))
        self.fit_frame()

    def show_line_span(self, span: tuple[float, float, float, float] | None) -> None:
        """1-D data: the line drawn over the points (the network's prediction, or a hovered
        neuron's output) spans ``span`` = (x0, x1, y0, y1), or None for no line.  The plot's
        range takes it in with the data, so a prediction far from the targets stays in view."""
        self._line_span = None if span is None else tuple(float(v) for v in span)
        if self._mode == "curve":
            self._fit_curve_range()

    @property
    def shown_span(self) -> tuple[float, float, float, float] | None:
        """1-D data: the (x0, x1, y0, y1) the plot was last set to show, before padding."""
        return self._shown_span

    def _fit_curve_range(self) -> None:
        """Show the points and the line over them.  The range grows at once to take in a line
        that leaves it, and shrinks only once it is twice as tall as needed: while training,
        the axes stay put instead of following every step."""
        if self._data_span is None:
            return
        x0, x1, y0, y1 = self._data_span
        if self._line_span is not None:
            lx0, lx1, ly0, ly1 = self._line_span
            # A diverged line would squash the data to a stripe: take in no more than a few
            # times the data's own height (the rest of the line runs off the plot).
            reach = max(CURVE_REACH * (y1 - y0), 1.0)
            ly0, ly1 = max(ly0, y0 - reach), min(ly1, y1 + reach)
            x0, x1 = min(x0, lx0), max(x1, lx1)
            if ly0 <= ly1:
                y0, y1 = min(y0, ly0), max(y1, ly1)
        pad = max(0.1 * (y1 - y0), 0.1)
        y0, y1 = y0 - pad, y1 + pad
        shown = self._shown_span
        if shown is not None:
            sx0, sx1, sy0, sy1 = shown
            inside = sx0 <= x0 and x1 <= sx1 and sy0 <= y0 and y1 <= sy1
            if inside and (sy1 - sy0) <= 2.0 * (y1 - y0) and (sx1 - sx0) <= 2.0 * (x1 - x0):
                return
        self._shown_span = (x0, x1, y0, y1)
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.02)

    def _set_axis_labels(self, bottom: str, left: str) -> None:
        color = self._host.palette().color(QPalette.ColorRole.WindowText).name()
        self.plot.setLabel("bottom", bottom, color=color)
        self.plot.setLabel("left", left, color=color)

    def _neutral(self) -> str:
        base = self._host.palette().color(QPalette.ColorRole.Base).name()
        return thumbnails.neutral_for(base)

    def _show_digits(self, dataset, train: np.ndarray) -> None:
        """A mosaic of training images: one column per class, a few rows of examples."""
        self._mode = "digits"
        self._train_xy = np.empty((0, 2))
        self._n_drawn = 0
        self.show_test_checkbox.setEnabled(False)
        self._data_rect = None
        self.points_item.setData(x=[], y=[])
        self.test_points_item.setData(x=[], y=[])
        self.points_item.hide()
        self.test_points_item.hide()
        side = int(round(np.sqrt(dataset.input_dim)))
        n_classes = len(dataset.class_names)
        cell = side + 1
        mosaic = np.zeros((DIGITS_PER_CLASS * cell - 1, n_classes * cell - 1))
        labels = dataset.y[train]
        for c in range(n_classes):
            rows = train[labels == c][:DIGITS_PER_CLASS]
            for r, sample in enumerate(rows):
                image = dataset.X[sample].reshape(side, side)
                mosaic[r * cell : r * cell + side, c * cell : c * cell + side] = image
        palette = self._host.palette()
        paper = np.array(palette.color(QPalette.ColorRole.Base).getRgb()[:3], dtype=np.float64)
        ink = np.array(palette.color(QPalette.ColorRole.Text).getRgb()[:3], dtype=np.float64)
        rgb = paper + mosaic[..., None] * (ink - paper)
        rgba = np.dstack([rgb, np.full(mosaic.shape, 255.0)]).round().astype(np.uint8)
        height, width = mosaic.shape
        self.digits_item.setImage(rgba[::-1], autoLevels=False)  # row 0 at the top
        self.digits_item.setRect(QRectF(0, 0, width, height))
        self.digits_item.show()
        view = self.plot.getViewBox()
        view.setAspectLocked(True)
        self.plot.setRange(QRectF(-0.5, -0.5, width + 1, height + 1), padding=0.0)
        ticks = [(c * cell + side / 2.0, dataset.class_names[c]) for c in range(n_classes)]
        self.plot.getAxis("bottom").setTicks([ticks, []])
        self.plot.getAxis("left").hide()
        self.plot.setLabel("bottom", "class")
        self.legend_label.setText(
            f"{DIGITS_PER_CLASS} training images of each class, {side}×{side} pixels"
        )
        self.fit_frame()

    def fit_frame(self) -> None:
        """Give the frame the shape of what the plot shows (after a resize of the host)."""
        self.frame.fit(self._mode)

    def apply_palette(self, palette: QPalette) -> None:
        """Follow the host's colours: the plot's background and axes, the dots' rims, the
        selection ring.  (Redraw the data afterwards: its colours depend on the background.)"""
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        self.plot.setBackground(base)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setPen(pg.mkPen(palette.color(QPalette.ColorRole.Mid)))
            axis.setTextPen(pg.mkPen(text))
        outline = QPen(base, 1.0)
        outline.setCosmetic(True)
        self._outline = outline
        ring = QPen(palette.color(QPalette.ColorRole.Text), 2.2)
        ring.setCosmetic(True)
        self._selection_pen = ring
        rim = QPen(text, 1.6)
        rim.setCosmetic(True)
        self._drawn_rim = rim
