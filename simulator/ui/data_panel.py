"""The Data panel: data set picker, input features, noise, split, sample count and the data plot.

Every control writes through the Document's methods; the panel refreshes from the document's
signals with QSignalBlocker, so programmatic updates never echo back as edits.  Attached to a
TrainingController, the plot also draws its snapshots: the decision boundary behind 2-D points
(or the fitted curve over 1-D data), and a hovered neuron's map.  A click on a training point
selects that sample (a ring marks it) for the inspector; a click beside the points clears it.
"""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import (
    QEvent,
    QRectF,
    QSignalBlocker,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QPalette, QPen
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

from simulator.app.document import Document
from simulator.app.training import TrainingController, plane_extent
from simulator.engine import datasets as _datasets
from simulator.project.project import named_feature_label
from simulator.ui import thumbnails
from simulator.ui.data_maps import BOUNDARY_UPSAMPLE, SnapshotMaps, contour_segments, upsample

# Tests and views import these from here (the panel's module).
__all__ = ["BOUNDARY_UPSAMPLE", "DataPanel", "contour_segments", "upsample"]

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
PICK_RADIUS_PX = 9.0  # a click this close to a training point (in pixels) selects it


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
        # The network's output over the plot: boundary, neuron maps, fitted curve, caption.
        self.maps = SnapshotMaps(document, self.plot, self)
        maps = self.maps
        self.boundary_item, self.contour_item = maps.boundary_item, maps.contour_item
        self.curve_item = maps.curve_item
        self.show_boundary_checkbox = maps.show_boundary_checkbox
        caption = maps.caption
        self.boundary_caption, self.boundary_bar = caption.text_label, caption.bar
        self.boundary_low_label, self.boundary_high_label = caption.low_label, caption.high_label
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
        grid.addLayout(self.maps.caption.layout, 2, 0, 1, 2)
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
        self.plot.setToolTip(
            "Training data as filled dots; test data as rings; behind them, the network's "
            "output over the plane (the caption below says what the colours mean)"
        )
        self.maps.attach(controller)

    def show_neuron_map(self, key) -> None:
        """Show a neuron's output over the input plane instead of the boundary; ``key`` is
        (k, index) with k the canvas column (0: the inputs, k >= 1: weight layer k − 1's
        outputs), or None to return to the decision boundary."""
        self.maps.show_neuron(key)

    @property
    def neuron_map_key(self) -> tuple[int, int] | None:
        """The neuron whose map the plot shows, or None (the decision boundary)."""
        return self.maps.neuron_key

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.maps.catch_up()

    # ----------------------------------------------------------------- refresh
    def _on_data_changed(self) -> None:
        self._refresh_controls()
        self._update_plot()
        self._draw_selection()
        self.maps.set_data(self.document.data, self._mode, self._data_rect)
        self.maps.draw()  # the last snapshot, if it still fits the data

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
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "maps"):
            self._apply_palette()
            self._on_data_changed()

    def _apply_palette(self) -> None:
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        self.plot.setBackground(base)
        self.maps.apply_palette(palette)
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
