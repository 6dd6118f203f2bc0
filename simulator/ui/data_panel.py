"""The Data panel: data set picker, input features, noise, split, sample count and the data plot.

Every control writes through the Document's methods; the panel refreshes from the document's
signals with QSignalBlocker, so programmatic updates never echo back as edits.  Attached to a
TrainingController, the plot also draws its snapshots: the decision boundary behind 2-D points
(or the fitted curve over 1-D data), and a hovered neuron's map.  A click on a training point
selects that sample (a ring marks it) for the inspector; a click beside the points clears it.
"""

from __future__ import annotations

import functools
import html

import numpy as np
from PySide6.QtCore import (
    QEvent,
    QRectF,
    QSettings,
    QSignalBlocker,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QStyle,
    QStyledItemDelegate,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

import pyqtgraph as pg  # isort: skip  (after PySide6, so pyqtgraph binds to it)

from simulator.app.clock import Throttle
from simulator.app.document import Document
from simulator.app.training import Snapshot, TrainingController, plane_extent
from simulator.engine import datasets as _datasets
from simulator.project.project import named_feature_label
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
DIGITS_PER_CLASS = 5
MAX_AXIS_LABEL = 24  # characters of a column name on the data plot's axes
LIVE_SLIDER_SAMPLES = 20_000  # above this, sliders apply on release rather than live
_REGRESSION_LEVELS = 65  # colour steps of the regression colour map
# The snapshot's 48² grid is drawn on 3x as many pixels per side, bilinearly interpolated before
# the colour lookup, so boundaries look smooth rather than blocky (and argmax edges stay crisp).
BOUNDARY_UPSAMPLE = 3
PLAYING_FRAME_MS = 66  # the boundary redraws at most ~15 times a second while playing
_SETTINGS_SHOW_BOUNDARY = "data/showBoundary"
_LEGEND_BAR = (64, 10)  # the colour bar under the plot, pixels
_UNIT_RANGE = frozenset({"sigmoid", "softmax"})  # activations whose outputs lie in [0, 1]
_P_FLOOR = 1e-9  # probabilities are clipped to [_P_FLOOR, 1 − _P_FLOOR] before taking logs
_CURVE_LIMIT = 1e6  # 1-D fits are clipped to ±_CURVE_LIMIT before drawing
_CONTOUR_MARGIN = 0.1  # the p = 0.5 line shows once p reaches below 0.4 and above 0.6
PICK_RADIUS_PX = 9.0  # a click this close to a training point (in pixels) selects it


@functools.lru_cache(maxsize=16)
def _resample_weights(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Linear interpolation from ``n_in`` samples spanning [0, 1] (the first and last on the
    ends) to the centres of ``n_out`` pixels tiling [0, 1]: each pixel's left sample index and
    the right sample's weight, (n_out,) each."""
    source = (np.arange(n_out) + 0.5) / n_out * (n_in - 1)
    left = np.clip(np.floor(source).astype(np.intp), 0, max(n_in - 2, 0))
    weight = (source - left).astype(np.float32)
    left.setflags(write=False)
    weight.setflags(write=False)
    return left, weight


def upsample(values: np.ndarray, factor: int = BOUNDARY_UPSAMPLE) -> np.ndarray:
    """Bilinear interpolation of grids (..., rows, cols) to (..., rows·factor, cols·factor),
    in float32 (plenty for colours)."""
    values = np.asarray(values, dtype=np.float32)
    if factor == 1 or min(values.shape[-2:]) < 2:
        return values
    # Gathers rather than matrix products: steadier timings, no BLAS thread pool involved.
    left, w = _resample_weights(values.shape[-2], values.shape[-2] * factor)
    w = w[:, None]
    values = values[..., left, :] * (1.0 - w) + values[..., left + 1, :] * w
    left, w = _resample_weights(values.shape[-1], values.shape[-1] * factor)
    return values[..., left] * (1.0 - w) + values[..., left + 1] * w


def contour_segments(values: np.ndarray, extent, level: float) -> np.ndarray:
    """Where the grid ``values`` (rows along y, columns along x, sampled evenly over ``extent``
    = (x_min, x_max, y_min, y_max) corners included) crosses ``level``, by marching squares:
    (2n, 2) points, each consecutive pair one segment."""
    rows, cols = values.shape
    xs = np.linspace(extent[0], extent[1], cols)
    ys = np.linspace(extent[2], extent[3], rows)
    v = values - level
    above = v > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        t_h = v[:, :-1] / (v[:, :-1] - v[:, 1:])  # along each horizontal edge
        t_v = v[:-1, :] / (v[:-1, :] - v[1:, :])  # along each vertical edge
    hx = xs[:-1] + t_h * np.diff(xs)
    hy = np.broadcast_to(ys[:, None], t_h.shape)
    vx = np.broadcast_to(xs[None, :], t_v.shape)
    vy = ys[:-1, None] + t_v * np.diff(ys)[:, None]
    h_cross = above[:, :-1] != above[:, 1:]
    v_cross = above[:-1, :] != above[1:, :]
    # Each cell's four edges in the order bottom, top, left, right.
    points = np.stack(
        [
            np.stack([hx[:-1], hx[1:], vx[:, :-1], vx[:, 1:]], axis=-1),
            np.stack([hy[:-1], hy[1:], vy[:, :-1], vy[:, 1:]], axis=-1),
        ],
        axis=-1,
    )  # (rows - 1, cols - 1, 4, 2)
    crossed = np.stack([h_cross[:-1], h_cross[1:], v_cross[:, :-1], v_cross[:, 1:]], axis=-1)
    count = crossed.sum(axis=-1)
    single = count == 2
    parts = [points[single][crossed[single]]]  # the cell's two crossings, one segment
    saddle = count == 4
    if saddle.any():
        # Two segments; the centre's side decides which corners they cut off.
        centre = (v[:-1, :-1] + v[:-1, 1:] + v[1:, :-1] + v[1:, 1:])[saddle]
        joined = (centre > 0) == above[:-1, :-1][saddle]  # bottom-left's side spans the centre
        order = np.where(joined[:, None], (0, 3, 1, 2), (0, 2, 1, 3))
        parts.append(np.take_along_axis(points[saddle], order[:, :, None], axis=1).reshape(-1, 2))
    return np.concatenate(parts).reshape(-1, 2)


def _kind_text(kind: str, input_dim: int, n_classes: int) -> str:
    if kind == "binary":
        return "binary classification"
    if kind == "multiclass":
        return f"{n_classes} classes"
    return "1-D regression" if input_dim == 1 else "regression"


class _ThumbnailDelegate(QStyledItemDelegate):
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


class _ThumbnailList(QListWidget):
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
        self.setItemDelegate(_ThumbnailDelegate(self))
        self.setFixedSize(_CELL * len(names), _CELL)
        for name in names:
            info = _datasets.DATASETS[name]
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(
                f"{info.title}: {_kind_text(info.kind, info.input_dim, info.n_classes)}, "
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


class _SmoothImageItem(pg.ImageItem):
    """An ImageItem scaled bilinearly on screen: the boundary is a smooth field, not pixels."""

    def paint(self, painter, *args) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        super().paint(painter, *args)
        painter.restore()


class _PlotFrame(QWidget):
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

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._place()

    def _place(self) -> None:
        w, h = self.width(), self.height()
        if self.aspect is not None:
            w = min(w, round(h / self.aspect))
            h = min(h, round(w * self.aspect))
        self._plot.setGeometry((self.width() - w) // 2, 0, w, h)


class DataPanel(QWidget):
    """The data set, its features, noise and split, and a plot of the points; once attached to
    a TrainingController, the network's decision boundary (or fitted curve) and neuron maps."""

    message = Signal(str)  # a readable error for the status bar
    sample_selected = Signal(int)  # a training sample's index (into X_train), or -1: none

    def __init__(self, document: Document, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self._mode = ""  # what the plot shows: "plane", "curve" or "digits"
        self._data_rect: QRectF | None = None
        self._task = ""
        self._n_classes = 0
        self._target_scale = 1.0
        self._controller: TrainingController | None = None
        self._snapshot: Snapshot | None = None
        self._neuron_key: tuple[int, int] | None = None
        self._stale = False  # a snapshot arrived while the panel was hidden
        # While playing, the boundary draws at most once per PLAYING_FRAME_MS of the
        # controller's frame clock.
        self._boundary_frames = Throttle(lambda: self._controller.clock, PLAYING_FRAME_MS / 1000)
        self._image_rect: QRectF | None = None
        self._caption_state: tuple | None = None
        self._toggle_state: tuple | None = None
        self._settings = QSettings()
        self._selected_sample: int | None = None
        self._train_xy = np.empty((0, 2))  # the training points as drawn (plot coordinates)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addLayout(self._build_picker())
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.summary_label)
        layout.addLayout(self._build_controls())
        self.plot_frame = _PlotFrame(self._build_plot(), self)
        layout.addWidget(self.plot_frame, 10)
        layout.addLayout(self._build_plot_footer())
        layout.addStretch(1)  # takes what the plot leaves once it has its shape

        document.data_changed.connect(self._on_data_changed)
        document.project_replaced.connect(self._on_data_changed)
        # New data: the indices now name other samples.
        document.data_changed.connect(self._clear_sample)
        document.project_replaced.connect(self._clear_sample)
        self._apply_palette()
        self._on_data_changed()

    # ----------------------------------------------------------------- building
    def _build_picker(self) -> QGridLayout:
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(0)
        self.dataset_lists: dict[str, QListWidget] = {}
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
            lst = _ThumbnailList(names, self)
            # Selection, not the current item: focus alone makes an item current.
            lst.itemSelectionChanged.connect(lambda lst=lst: self._on_thumbnail_chosen(lst))
            self.dataset_lists[title] = lst
            grid.addWidget(lst, row + 1, col, 1, span, Qt.AlignmentFlag.AlignLeft)
        grid.setColumnStretch(3, 1)
        return grid

    def _build_controls(self) -> QFormLayout:
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(8)
        form.setVerticalSpacing(4)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        features = QGridLayout()
        features.setSpacing(3)
        self.feature_buttons: dict[str, QToolButton] = {}
        for k, (key, label) in enumerate(_datasets.FEATURES.items()):
            button = QToolButton()
            button.setText(label)
            button.setIcon(thumbnails.feature_icon(key))
            button.setIconSize(QSize(16, 16))
            button.setCheckable(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.toggled.connect(lambda on, key=key: self._on_feature_toggled(key, on))
            self.feature_buttons[key] = button
            features.addWidget(button, k // 4, k % 4)
        self._features_label = QLabel("Input features")
        form.addRow(self._features_label)
        form.addRow(features)

        self.noise_slider = QSlider(Qt.Orientation.Horizontal)
        self.noise_slider.setRange(0, 100)
        self.noise_slider.setPageStep(10)
        self.noise_spin = QDoubleSpinBox()
        self.noise_spin.setRange(0.0, _datasets.MAX_NOISE)
        self.noise_spin.setDecimals(2)
        self.noise_spin.setSingleStep(0.05)
        self.noise_spin.setKeyboardTracking(False)
        tip = "How much noise blurs the data: 0 is clean, 1 the most (Playground's 50 is 0.5)"
        form.addRow(self._tipped(QLabel("Noise"), tip),
                    self._pair(self.noise_slider, self.noise_spin, tip))  # fmt: skip
        self.noise_slider.valueChanged.connect(
            lambda v: self._apply(self.document.set_noise, v / 100.0)
        )
        self.noise_spin.valueChanged.connect(lambda v: self._apply(self.document.set_noise, v))

        max_test = round(_datasets.MAX_TEST_RATIO * 100)
        self.test_slider = QSlider(Qt.Orientation.Horizontal)
        self.test_slider.setRange(0, max_test)
        self.test_slider.setPageStep(10)
        self.test_spin = QSpinBox()
        self.test_spin.setRange(0, max_test)
        self.test_spin.setSuffix(" %")
        self.test_spin.setSingleStep(5)
        self.test_spin.setKeyboardTracking(False)
        tip = "Share of the samples held out as test data (never trained on)"
        form.addRow(self._tipped(QLabel("Test data"), tip),
                    self._pair(self.test_slider, self.test_spin, tip))  # fmt: skip
        self.test_slider.valueChanged.connect(
            lambda v: self._apply(self.document.set_test_ratio, v / 100.0)
        )
        self.test_spin.valueChanged.connect(
            lambda v: self._apply(self.document.set_test_ratio, v / 100.0)
        )

        self.samples_spin = QSpinBox()
        self.samples_spin.setRange(1, _datasets.MAX_SAMPLES)
        self.samples_spin.setSingleStep(50)
        self.samples_spin.setGroupSeparatorShown(True)
        self.samples_spin.setKeyboardTracking(False)
        self.samples_spin.valueChanged.connect(
            lambda n: self._apply(self.document.set_n_samples, n)
        )
        self.regenerate_button = QPushButton("Regenerate")
        self.regenerate_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_BrowserReload)
        )
        self.regenerate_button.setToolTip("Draw a fresh sample of the same data set (undoable)")
        self.regenerate_button.clicked.connect(lambda: self._apply(self.document.regenerate))
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.samples_spin, 1)
        row.addWidget(self.regenerate_button)
        tip = "How many samples to generate, training and test together"
        self.samples_spin.setToolTip(tip)
        form.addRow(self._tipped(QLabel("Samples"), tip), row)
        return form

    @staticmethod
    def _tipped(widget: QWidget, tip: str) -> QWidget:
        widget.setToolTip(tip)
        return widget

    @staticmethod
    def _pair(slider: QSlider, spin: QWidget, tip: str) -> QHBoxLayout:
        slider.setToolTip(tip)
        spin.setToolTip(tip)
        spin.setMinimumWidth(64)
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(slider, 1)
        row.addWidget(spin)
        return row

    def _build_plot(self) -> pg.PlotWidget:
        self.plot = pg.PlotWidget()
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
            font = axis.font() if hasattr(axis, "font") else self.font()
            font.setPointSizeF(self.font().pointSizeF() * 0.8)
            axis.setStyle(tickFont=font, tickLength=-4)
        # The decision boundary (or a neuron's map) behind the points; hidden until a
        # controller's snapshot arrives.
        self.boundary_item = _SmoothImageItem(axisOrder="row-major")
        self.boundary_item.setZValue(-10)
        self.boundary_item.hide()
        self.contour_item = pg.PlotCurveItem(connect="pairs", antialias=True)
        self.contour_item.setZValue(-9)
        self.contour_item.hide()
        self.curve_item = pg.PlotDataItem(antialias=True)  # 1-D data: the network's fit
        self.curve_item.setZValue(12)
        self.curve_item.hide()
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
        for item in (self.boundary_item, self.contour_item, self.digits_item, self.points_item,
                     self.test_points_item, self.curve_item, self.selection_item):  # fmt: skip
            self.plot.addItem(item)
        self.plot.setToolTip("Training data as filled dots; test data as rings")
        return self.plot

    def _build_plot_footer(self) -> QGridLayout:
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        self.legend_label = QLabel()
        self.legend_label.setTextFormat(Qt.TextFormat.RichText)
        self.legend_label.setWordWrap(True)
        self.show_test_checkbox = QCheckBox("Show test data")
        self.show_test_checkbox.setToolTip("Draw the held-out test samples as rings")
        self.show_test_checkbox.toggled.connect(self._on_show_test_toggled)
        self.test_points_item.setVisible(False)
        grid.addWidget(self.legend_label, 0, 0, 2, 1, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.show_test_checkbox, 0, 1)

        # What the background (or the line) means: a caption and, for colour maps, a bar.
        caption_row = QHBoxLayout()
        caption_row.setSpacing(4)
        self.boundary_caption = QLabel()
        self.boundary_caption.setTextFormat(Qt.TextFormat.RichText)
        self.boundary_caption.setWordWrap(True)
        small = self.boundary_caption.font()
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self.boundary_low_label = QLabel()
        self.boundary_bar = QLabel()
        self.boundary_bar.setFixedSize(*_LEGEND_BAR)
        self.boundary_high_label = QLabel()
        for label in (self.boundary_caption, self.boundary_low_label, self.boundary_high_label):
            label.setFont(small)
        caption_row.addWidget(self.boundary_caption, 1)
        caption_row.addWidget(self.boundary_low_label)
        caption_row.addWidget(self.boundary_bar)
        caption_row.addWidget(self.boundary_high_label)
        self._caption_widgets = (self.boundary_caption, self.boundary_low_label,
                                 self.boundary_bar, self.boundary_high_label)  # fmt: skip
        for widget in self._caption_widgets:
            widget.hide()
        grid.addLayout(caption_row, 2, 0, 1, 2)

        self.show_boundary_checkbox = QCheckBox("Show boundary")
        self.show_boundary_checkbox.setToolTip(
            "Colour the plane by the network's output (its decision boundary); "
            "for 1-D data, draw its fitted curve"
        )
        self.show_boundary_checkbox.setChecked(
            self._settings.value(_SETTINGS_SHOW_BOUNDARY, True, type=bool)
        )
        self.show_boundary_checkbox.toggled.connect(self._on_show_boundary_toggled)
        self.show_boundary_checkbox.hide()  # until a controller is attached
        grid.addWidget(self.show_boundary_checkbox, 1, 1)
        grid.setColumnStretch(0, 1)
        return grid

    # ----------------------------------------------------------------- reading
    @property
    def points_items(self) -> tuple[pg.ScatterPlotItem, pg.ScatterPlotItem]:
        """The training and the test scatter items."""
        return self.points_item, self.test_points_item

    @property
    def data_rect(self) -> QRectF | None:
        """The input plane the plot shows (where a decision boundary image goes), or None."""
        return QRectF(self._data_rect) if self._data_rect is not None else None

    @property
    def selected_sample(self) -> int | None:
        """The training sample the plot marks (an index into X_train), or None."""
        return self._selected_sample

    def select_sample(self, index: int | None) -> None:
        """Mark training sample ``index`` (None or −1: none); emits ``sample_selected`` on a
        change."""
        if index is not None and (index < 0 or index >= len(self.document.data.train_index)):
            index = None
        if index == self._selected_sample:
            return
        self._selected_sample = index
        self._draw_selection()
        self.sample_selected.emit(-1 if index is None else index)

    def sample_point(self, index: int) -> tuple[float, float] | None:
        """Where training sample ``index`` is drawn (plot coordinates), or None (digits)."""
        if not 0 <= index < len(self._train_xy):
            return None
        x, y = self._train_xy[index]
        return float(x), float(y)

    @property
    def plot_mode(self) -> str:
        """ "plane" (2-D points), "curve" (1-D x vs y) or "digits" (sample images)."""
        return self._mode

    def dataset_item(self, name: str) -> QListWidgetItem | None:
        """The picker's item for data set ``name``."""
        for lst in self.dataset_lists.values():
            item = lst.item_named(name)
            if item is not None:
                return item
        return None

    def selected_dataset(self) -> str | None:
        """The name of the highlighted thumbnail (None for the user's own data)."""
        for lst in self.dataset_lists.values():
            for item in lst.selectedItems():
                return item.data(Qt.ItemDataRole.UserRole)
        return None

    # ----------------------------------------------------------------- edits
    def _apply(self, method, *args) -> bool:
        try:
            method(*args)
        except ValueError as exc:
            self.message.emit(str(exc))
            self._refresh_controls()  # back to the document's value
            return False
        return True

    def _on_thumbnail_chosen(self, lst: QListWidget) -> None:
        selected = lst.selectedItems()
        if selected:
            self._apply(self.document.set_dataset, selected[0].data(Qt.ItemDataRole.UserRole))

    def _on_feature_toggled(self, key: str, on: bool) -> None:
        features = [f for f in self.document.project.data.features if f != key]
        if on:
            features.append(key)
        self._apply(self.document.set_features, features)

    def _on_show_test_toggled(self, on: bool) -> None:
        self.test_points_item.setVisible(on and self._mode != "digits")

    def _on_show_boundary_toggled(self, on: bool) -> None:
        self._settings.setValue(_SETTINGS_SHOW_BOUNDARY, on)
        self._draw_snapshot()

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

    def _clear_sample(self) -> None:
        self.select_sample(None)

    def _draw_selection(self) -> None:
        point = None if self._selected_sample is None else self.sample_point(self._selected_sample)
        if point is None:
            self.selection_item.hide()
            return
        size = self.points_item.opts["size"] + 9
        self.selection_item.setData(
            [point[0]], [point[1]], size=size, pen=self._selection_pen,
            brush=QBrush(Qt.BrushStyle.NoBrush),
        )  # fmt: skip
        self.selection_item.show()

    # ----------------------------------------------------------------- training
    def attach(self, controller: TrainingController) -> None:
        """Draw ``controller``'s snapshots: the decision boundary or fitted curve, neuron maps."""
        if self._controller is not None:
            self._controller.snapshot_ready.disconnect(self._on_snapshot_ready)
        self._controller = controller
        controller.snapshot_ready.connect(self._on_snapshot_ready)
        self.show_boundary_checkbox.show()
        self.plot.setToolTip(
            "Training data as filled dots; test data as rings; behind them, the network's "
            "output over the plane (the caption below says what the colours mean)"
        )
        self._on_snapshot_ready(controller.snapshot())

    def show_neuron_map(self, key) -> None:
        """Show a neuron's output over the input plane instead of the boundary; ``key`` is
        (k, index) with k the canvas column (0: the inputs, k >= 1: weight layer k − 1's
        outputs), or None to return to the decision boundary."""
        self._neuron_key = None if key is None else (int(key[0]), int(key[1]))
        self._draw_snapshot()

    @property
    def neuron_map_key(self) -> tuple[int, int] | None:
        """The neuron whose map the plot shows, or None (the decision boundary)."""
        return self._neuron_key

    def _on_snapshot_ready(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        if not self.isVisible():
            self._stale = True  # drawn when the panel is shown
        elif snapshot.playing and not self._boundary_frames.due():
            # While playing, the boundary needs no more than ~15 frames a second; the time
            # goes to training.  The next snapshot (or the pause) draws the latest state.
            self._stale = True
        else:
            self._boundary_frames.mark()
            self._draw_snapshot()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self._stale:
            self._draw_snapshot()

    # ----------------------------------------------------------------- refresh
    def _on_data_changed(self) -> None:
        self._refresh_controls()
        self._update_plot()
        self._draw_selection()
        self._draw_snapshot()  # the last snapshot, if it still fits the data

    def _refresh_controls(self) -> None:
        doc = self.document
        spec = doc.project.data
        inline = spec.is_inline
        for lst in self.dataset_lists.values():
            with QSignalBlocker(lst):
                item = None if inline else lst.item_named(spec.dataset)
                if item is not None:
                    lst.setCurrentItem(item)
                else:
                    lst.clearSelection()
                    lst.setCurrentRow(-1)
            lst.viewport().update()

        planar = spec.input_dim == 2
        tip_off = "Input features apply to 2-D data only; this data feeds its raw inputs"
        # Imported 2-D data keeps the buttons' x1, x2 (the features are the same functions of
        # any plane) and says in the tooltips which column each stands for.
        names = spec.feature_names if inline and planar else None
        for key, button in self.feature_buttons.items():
            with QSignalBlocker(button):
                button.setChecked(planar and key in spec.features)
            button.setEnabled(planar)
            label = _datasets.FEATURES[key]
            if names is not None:
                named = named_feature_label(key, names)
                label = f"{label} = {named}" if named != label else label
            button.setToolTip(
                f"Feed {label} to the network as an input neuron" if planar else tip_off
            )
        self._features_label.setEnabled(planar)
        point = "(x1, x2)"
        if names is not None:
            point = f"(x1, x2) = ({names[0]}, {names[1]})"
        self._features_label.setToolTip(
            f"The network's inputs: functions of the point {point}" if planar else tip_off
        )

        with QSignalBlocker(self.noise_slider), QSignalBlocker(self.noise_spin):
            self.noise_slider.setValue(round(spec.noise * 100))
            self.noise_spin.setValue(spec.noise)
        with QSignalBlocker(self.test_slider), QSignalBlocker(self.test_spin):
            self.test_slider.setValue(round(spec.test_ratio * 100))
            self.test_spin.setValue(round(spec.test_ratio * 100))
        data = doc.data
        n_total = data.dataset.n_samples
        with QSignalBlocker(self.samples_spin):
            high = _datasets.DIGITS_SAMPLES if spec.dataset == "digits" else _datasets.MAX_SAMPLES
            self.samples_spin.setMaximum(high)
            self.samples_spin.setValue(n_total)
        # Redrawing a big data set takes a while: then sliders apply when released.
        for slider in (self.noise_slider, self.test_slider):
            slider.setTracking(n_total <= LIVE_SLIDER_SAMPLES)
        for widget in (self.noise_slider, self.noise_spin, self.samples_spin,
                       self.regenerate_button):  # fmt: skip
            widget.setEnabled(not inline)

        if inline:
            title = f"Your own data: {html.escape(doc.project.name)}"
        else:
            title = _datasets.DATASETS[spec.dataset].title
        kind = _kind_text(data.task, data.dataset.input_dim, data.dataset.n_classes)
        kind = "" if "regression" in title.lower() else f" — {kind}"
        n_train, n_test = len(data.train_index), len(data.test_index)
        text = f"<b>{title}</b>{kind}; {n_train:,} training and {n_test:,} test samples"
        stats = spec.standardization if inline else None
        tip = ""
        if stats is not None:
            text += "; columns standardised as (x − mean) / sd (hover for the values)"
            names = data.column_labels
            rows = "".join(
                f"<tr><td>{html.escape(name)}</td><td align=right>{mean:.6g}</td>"
                f"<td align=right>{std:.6g}</td></tr>"
                for name, mean, std in zip(names, stats.means, stats.stds, strict=True)
            )
            tip = (
                "<p>Each column x became (x − mean) / sd when it was imported (a column with one "
                "value in every row was only centred). Exports apply this to raw values.</p>"
                f"<table><tr><th align=left>column</th><th>mean</th><th>sd</th></tr>{rows}</table>"
            )
        self.summary_label.setText(text)
        self.summary_label.setToolTip(tip)

    def _update_plot(self) -> None:
        data = self.document.data
        dataset = data.dataset
        train, test = data.train_index, data.test_index
        view = self.plot.getViewBox()
        self._task = data.task
        self._n_classes = len(dataset.class_names) if data.task == "multiclass" else 0
        self._target_scale = (
            thumbnails.target_scale(dataset.y) if dataset.kind == "regression" else 1.0
        )
        if dataset.name == "digits" or (dataset.input_dim == 64 and dataset.kind == "multiclass"):
            self._show_digits(dataset, train)
            return
        self.digits_item.hide()
        self.plot.getAxis("bottom").setTicks(None)
        self.plot.getAxis("left").show()
        X, y = dataset.X, dataset.y
        if dataset.input_dim == 1:
            self._mode = "curve"
            self._data_rect = None
            xs, ys = X[:, 0], y.astype(np.float64)
            if dataset.kind == "regression":
                brushes = np.full(len(y), self._brush(thumbnails.BLUE), dtype=object)
                pens = np.full(len(y), self._ring(thumbnails.BLUE), dtype=object)
            else:  # 1-D classes: the label on the y axis, coloured too
                brushes, pens = self._point_styles(dataset)
            view.setAspectLocked(False)
            low, high = float(ys.min()), float(ys.max())
            pad = max(0.1 * (high - low), 0.1)
            self.plot.setRange(xRange=(float(xs.min()), float(xs.max())),
                               yRange=(low - pad, high + pad), padding=0.02)  # fmt: skip
            self._set_axis_labels(self._column_label(data, 0), data.target_label)
        else:
            self._mode = "plane"
            xs, ys = X[:, 0], X[:, 1]
            brushes, pens = self._point_styles(dataset)
            # The controller's grid covers the same plane, so the boundary fills the plot.
            x0, x1, y0, y1 = plane_extent(dataset)
            rect = QRectF(x0, y0, x1 - x0, y1 - y0)
            self._data_rect = rect
            # Always the whole plane: the panel keeps the plot square when it has the room.
            view.setAspectLocked(False)
            self.plot.setRange(rect, padding=0.0)
            # Data of more columns shows its first two.
            self._set_axis_labels(self._column_label(data, 0), self._column_label(data, 1))
        size = 7 if len(train) <= 2000 else 4
        self._train_xy = np.column_stack([xs[train], ys[train]]).astype(np.float64)
        self.points_item.setData(
            x=xs[train], y=ys[train], brush=brushes[train], pen=self._outline, size=size
        )
        self.test_points_item.setData(
            x=xs[test], y=ys[test], pen=pens[test], brush=QBrush(Qt.BrushStyle.NoBrush),
            size=size,
        )  # fmt: skip
        self.points_item.show()
        self.show_test_checkbox.setEnabled(True)
        self.test_points_item.setVisible(self.show_test_checkbox.isChecked())
        self.legend_label.setText(self._legend(dataset))
        self._fit_plot_height()

    def _column_label(self, data, j: int) -> str:
        """Column ``j``'s name on an axis, shortened to fit beside a small plot.  (Whether
        the columns were standardised, the summary above says: the axis has no room.)"""
        name = data.column_labels[j] if j < len(data.column_labels) else f"x{j + 1}"
        return name if len(name) <= MAX_AXIS_LABEL else name[: MAX_AXIS_LABEL - 1] + "…"

    def _set_axis_labels(self, bottom: str, left: str) -> None:
        color = self.palette().color(QPalette.ColorRole.WindowText).name()
        self.plot.setLabel("bottom", bottom, color=color)
        self.plot.setLabel("left", left, color=color)

    def _point_styles(self, dataset) -> tuple[np.ndarray, np.ndarray]:
        """Per-sample fill brushes (training dots) and outline pens (test rings)."""
        if dataset.kind == "regression":
            scale = thumbnails.target_scale(dataset.y)
            levels = np.linspace(-1.0, 1.0, _REGRESSION_LEVELS)
            rgba = thumbnails.diverging_rgba(levels, self._neutral())
            colors = [QColor(*c[:3]) for c in rgba]
            index = np.rint((dataset.y / scale + 1.0) / 2.0 * (_REGRESSION_LEVELS - 1))
            index = index.astype(np.intp)
        else:
            n_colors = max(len(dataset.class_names), 2)
            colors = [QColor(thumbnails.class_color(k)) for k in range(n_colors)]
            index = dataset.y.astype(np.intp)
        brush_lut = np.array([QBrush(c) for c in colors] + [None], dtype=object)[:-1]
        pen_lut = np.array([self._ring(c) for c in colors] + [None], dtype=object)[:-1]
        return brush_lut[index], pen_lut[index]

    def _neutral(self) -> str:
        return thumbnails.neutral_for(self.palette().color(QPalette.ColorRole.Base).name())

    @staticmethod
    def _brush(color) -> QBrush:
        return QBrush(QColor(color))

    @staticmethod
    def _ring(color) -> QPen:
        pen = QPen(QColor(color), 1.6)
        pen.setCosmetic(True)
        return pen

    def _show_digits(self, dataset, train: np.ndarray) -> None:
        """A mosaic of training images: one column per class, a few rows of examples."""
        self._mode = "digits"
        self._train_xy = np.empty((0, 2))
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
        palette = self.palette()
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
        self._fit_plot_height()

    # ----------------------------------------------------------------- snapshots
    def _draw_snapshot(self) -> None:
        """Draw the last snapshot: boundary or neuron map (plane), fitted curve (1-D)."""
        self._stale = False
        snap = self._snapshot
        plane = curve = None  # what was drawn, for the caption
        grid = snap is not None and snap.grid_shape is not None and snap.grid_output is not None
        if grid and self._mode == "plane" and len(snap.grid_shape) == 2 and self._fits(snap):
            plane = self._draw_plane(snap)
        else:
            self.boundary_item.hide()
            self.contour_item.hide()
        if grid and self._mode == "curve" and len(snap.grid_shape) == 1:
            curve = self._draw_curve(snap)
        else:
            self.curve_item.hide()
        toggle = (bool(grid and self._mode in ("plane", "curve")), self._mode == "curve")
        if toggle != self._toggle_state:  # Qt calls only on a change: this runs per snapshot
            self._toggle_state = toggle
            self.show_boundary_checkbox.setEnabled(toggle[0])
            self.show_boundary_checkbox.setText("Show fit" if toggle[1] else "Show boundary")
        self._set_caption(plane or curve)

    def _fits(self, snap: Snapshot) -> bool:
        # A snapshot from before a data change may no longer match the plot.
        rect = self._data_rect
        if rect is None or not np.allclose(
            snap.grid_extent, (rect.left(), rect.right(), rect.top(), rect.bottom())
        ):
            return False
        width = snap.grid_output.shape[1]
        return width == self._n_classes if self._task == "multiclass" else width == 1

    def _neuron_values(self, snap: Snapshot) -> np.ndarray | None:
        """The hovered neuron's values over the grid, (G,), or None."""
        if self._neuron_key is None:
            return None
        k, index = self._neuron_key
        if k == 0:
            values = snap.grid_inputs
        elif snap.grid_activations is not None and 1 <= k <= len(snap.grid_activations):
            values = snap.grid_activations[k - 1]
        else:
            return None
        if values is None or not 0 <= index < values.shape[1]:
            return None
        return values[:, index]

    def _neuron_activation(self) -> str:
        """The hovered neuron's activation ("" for an input)."""
        k = self._neuron_key[0]
        activations = self.document.network.activations
        return activations[k - 1] if 1 <= k <= len(activations) else ""

    def _neuron_caption(self) -> str:
        k, index = self._neuron_key
        net = self.document.network
        data = self.document.data
        if k == 0:
            labels = data.input_labels
            name = labels[index] if index < len(labels) else f"x{index + 1}"
            return f"Input <b>{name}</b> over the plane"
        activation = self._neuron_activation()
        if k == len(net.sizes) - 1:
            labels = data.output_labels
            name = labels[index] if index < len(labels) else f"y{index + 1}"
            return f"Output <b>{name}</b>: {activation} output"
        return f"Neuron <b>h{k}_{index + 1}</b>: {activation} output"

    def _draw_plane(self, snap: Snapshot) -> tuple:
        rows, cols = snap.grid_shape
        neuron = self._neuron_values(snap)
        if neuron is None and not self.show_boundary_checkbox.isChecked():
            self.boundary_item.hide()
            self.contour_item.hide()
            return ("off",)
        background = self._base_name
        contour = None
        if neuron is not None:
            values = np.nan_to_num(neuron.reshape(rows, cols))
            if self._neuron_activation() in _UNIT_RANGE:
                # Probabilities: 0 … 1, as the decision boundary shows them.
                rgba = self._diverging(2.0 * values - 1.0, background)
                state = ("neuron", self._neuron_caption(), 0.0, 1.0)
            else:
                # Bounded activations keep their own scale (−1 … 1); larger values scale down.
                scale = max(1.0, float(np.abs(values).max()))
                rgba = self._diverging(values / scale, background)
                state = ("neuron", self._neuron_caption(), -scale, scale)
        elif self._task == "multiclass":
            k = self._n_classes
            probs = np.nan_to_num(snap.grid_output.T.reshape(k, rows, cols), nan=1.0 / k)
            # The winner from interpolated log-probabilities: smooth where probabilities jump.
            winner = upsample(np.log(np.clip(probs, _P_FLOOR, 1.0))).argmax(axis=0)
            top = upsample(probs.max(axis=0))  # smooth: no need for the log trick
            # Certainty 0 at a uniform guess (1/K), 1 at probability 1.
            certainty = np.clip((top - 1.0 / k) * (k / (k - 1.0)), 0.0, 1.0)
            lut = thumbnails.class_lut(k, background)
            levels = lut.shape[1]
            index = winner * levels + np.rint(certainty * (levels - 1)).astype(np.intp)
            rgba = lut.reshape(-1, 4)[index]
            state = ("multiclass",)
        elif self._task == "binary":
            p = np.nan_to_num(snap.grid_output[:, 0].reshape(rows, cols), nan=0.5)
            # A trained network's p jumps from 0 to 1 within a grid cell: interpolating the
            # logit (near-linear there) keeps the boundary straight instead of stair-stepped.
            p = np.clip(p, _P_FLOOR, 1.0 - _P_FLOOR)
            logit = np.log(p) - np.log1p(-p)
            fine = 1.0 / (1.0 + np.exp(-upsample(logit)))
            rgba = self._diverging(2.0 * fine - 1.0, background, factor=1)
            # An undecided network's p wanders around 0.5: a line there would mean nothing.
            decided = p.min() < 0.5 - _CONTOUR_MARGIN and p.max() > 0.5 + _CONTOUR_MARGIN
            contour = contour_segments(logit, snap.grid_extent, 0.0) if decided else None
            state = ("binary", decided)
        else:
            values = np.nan_to_num(snap.grid_output[:, 0].reshape(rows, cols))
            rgba = self._diverging(values / self._target_scale, background)
            state = ("regression", -self._target_scale, self._target_scale)
        self.boundary_item.setImage(rgba, autoLevels=False)
        x0, x1, y0, y1 = snap.grid_extent
        rect = QRectF(x0, y0, x1 - x0, y1 - y0)
        if rect != self._image_rect:
            self.boundary_item.setRect(rect)
            self._image_rect = rect
        self.boundary_item.show()
        if contour is not None and len(contour):
            self.contour_item.setData(contour[:, 0], contour[:, 1], connect="pairs")
            self.contour_item.show()
        else:
            self.contour_item.hide()
        return state

    @staticmethod
    def _diverging(t: np.ndarray, background: str, factor: int = BOUNDARY_UPSAMPLE) -> np.ndarray:
        """Grid values t in [−1, 1] -> (rows, cols, 4) uint8 upsampled by ``factor``, orange ..
        blue."""
        lut = thumbnails.diverging_lut(background)
        # Clip first: a diverging network's outputs would overflow float32.
        fine = upsample(np.clip(t, -1.0, 1.0), factor)
        return lut[np.rint((fine + 1.0) * (0.5 * (len(lut) - 1))).astype(np.intp)]

    def _draw_curve(self, snap: Snapshot) -> tuple:
        neuron = self._neuron_values(snap)
        if neuron is None and not self.show_boundary_checkbox.isChecked():
            self.curve_item.hide()
            return ("off",)
        x = snap.grid_x[:, 0]
        if neuron is not None:
            y = neuron
            pen = pg.mkPen(self.palette().color(QPalette.ColorRole.Text), width=2,
                           style=Qt.PenStyle.DashLine)  # fmt: skip
            state = ("neuron-curve", self._neuron_caption())
        else:
            out = snap.grid_output
            # 1-D classes: p(class 1), or the predicted class, on the label axis.
            y = out[:, 0] if out.shape[1] == 1 else out.argmax(axis=1).astype(np.float64)
            pen = pg.mkPen(thumbnails.ORANGE, width=2.5)
            state = ("curve", self._task)
        finite = np.isfinite(y)
        # Far off the axes is off the axes: keep huge values from overflowing Qt's paths.
        y = np.clip(y[finite], -_CURVE_LIMIT, _CURVE_LIMIT)
        self.curve_item.setData(x[finite], y, pen=pen)
        self.curve_item.show()
        return state

    def _set_caption(self, state: tuple | None) -> None:
        """Say what the background (or the line) means; only when that changes."""
        if state == self._caption_state:
            return
        self._caption_state = state
        bar = None
        low = high = ""
        text = ""
        kind = state[0] if state else None
        if kind == "binary":
            text = "Background: the network's p(class 1)"
            text += "; line: p = 0.5" if state[1] else ""
            bar, low, high = thumbnails.diverging_lut(self._base_name), "0", "1"
        elif kind == "multiclass":
            text = "Background: the predicted class, paler where the network is unsure"
        elif kind in ("regression", "neuron"):
            if kind == "regression":
                text = "Background: the network's prediction ŷ"
            else:
                text = f"{state[1]} (hovered)"
            bar = thumbnails.diverging_lut(self._base_name)
            low, high = (f"{v:.3g}" for v in state[-2:])
        elif kind == "curve":
            line = f'<span style="color:{thumbnails.ORANGE}">━━</span>'
            what = "prediction ŷ(x)" if state[1] == "regression" else "p(class 1) at x"
            text = f"{line}&nbsp;the network's {what}"
        elif kind == "neuron-curve":
            text = f"╌╌&nbsp;{state[1]} at x (hovered)"
        self.boundary_caption.setText(text)
        self.boundary_caption.setVisible(bool(text))
        if bar is not None:
            self.boundary_bar.setPixmap(QPixmap.fromImage(thumbnails.lut_image(bar, *_LEGEND_BAR)))
        self.boundary_low_label.setText(low)
        self.boundary_high_label.setText(high)
        for widget in (self.boundary_low_label, self.boundary_bar, self.boundary_high_label):
            widget.setVisible(bar is not None)

    def _legend(self, dataset) -> str:
        def dot(color: str, symbol: str = "●") -> str:
            return f'<span style="color:{color}; font-size:large">{symbol}</span>'

        if dataset.kind == "regression":
            data = self.document.data
            target = html.escape(data.target_label)
            if dataset.input_dim == 1:
                column = html.escape(data.column_labels[0]) if data.column_labels else "x"
                return f"{dot(thumbnails.BLUE)}&nbsp;target {target} at {column}"
            scale = thumbnails.target_scale(dataset.y)
            middle = QColor(self._neutral())
            middle = middle.darker(125) if middle.lightness() > 128 else middle.lighter(125)
            return (
                f"{target}: {dot(thumbnails.ORANGE)}&nbsp;{-scale:.3g} "
                f"{dot(middle.name())}&nbsp;0 "
                f"{dot(thumbnails.BLUE)}&nbsp;{scale:.3g}"
            )
        parts = [
            f"{dot(thumbnails.class_color(k))}&nbsp;{name.replace(' ', '&nbsp;')}"
            for k, name in enumerate(dataset.class_names)
        ]
        return " &nbsp; ".join(parts)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_plot_height()

    def _fit_plot_height(self) -> None:
        # A square plane for 2-D points (as Playground draws it), wide strips otherwise; the
        # height left over goes below the legend instead of stretching the picture.
        frame = self.plot_frame
        shape = {"plane": 1.0, "curve": 0.75, "digits": 0.55}.get(self._mode, 1.0)
        frame.setMaximumHeight(max(frame.minimumHeight(), round(frame.width() * shape) + 8))
        frame.set_aspect(1.0 if self._mode == "plane" else None)

    # ----------------------------------------------------------------- palette
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "plot"):
            self._apply_palette()
            self._on_data_changed()

    def _apply_palette(self) -> None:
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        self.plot.setBackground(base)
        self._base_name = base.name()
        self._caption_state = None  # the colour bar follows the background
        contour = QColor(palette.color(QPalette.ColorRole.Text))
        contour.setAlpha(150)
        self.contour_item.setPen(pg.mkPen(contour, width=1.2, cosmetic=True))
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
        for title, names, _ in GROUPS:
            lst = self.dataset_lists[title]
            for row, name in enumerate(names):
                lst.item(row).setIcon(thumbnails.dataset_icon(name, THUMBNAIL_SIZE, base.name()))
