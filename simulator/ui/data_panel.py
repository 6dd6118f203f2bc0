"""The Data panel: data set picker, input features, noise, split, sample count and the data plot.

Every control writes through the Document's methods; the panel refreshes from the document's
signals with QSignalBlocker, so programmatic updates never echo back as edits.  Attached to a
TrainingController, the plot also draws its snapshots: the decision boundary behind 2-D points
(or the fitted curve over 1-D data), and a hovered neuron's map.  A click on a training point
selects that sample (a ring marks it) for the inspector; a click beside the points clears it.

The panel lays out and wires its parts: the chooser (``data_chooser``), the settings
(``data_controls``), the plot of the samples (``data_plot``), the Draw tool that adds your own
points to it (``data_drawing``) and the maps drawn over it (``data_maps``).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRectF, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QGridLayout, QLabel, QListWidgetItem, QVBoxLayout, QWidget

import pyqtgraph as pg  # isort: skip  (after PySide6, so pyqtgraph binds to it)

from simulator.app.document import Document
from simulator.app.training import TrainingController
from simulator.ui.data_chooser import DatasetChooser, describe_data
from simulator.ui.data_controls import DataControls
from simulator.ui.data_drawing import DrawTool
from simulator.ui.data_maps import BOUNDARY_UPSAMPLE, SnapshotMaps, contour_segments, upsample
from simulator.ui.data_plot import SamplePlot

# Tests and views import these from here (the panel's module).
__all__ = ["BOUNDARY_UPSAMPLE", "DataPanel", "contour_segments", "upsample"]


class DataPanel(QWidget):
    """The data set, its features, noise and split, and a plot of the points; once attached to
    a TrainingController, the network's decision boundary (or fitted curve) and neuron maps."""

    message = Signal(str)  # a readable error for the status bar
    sample_selected = Signal(int)  # a training sample's index (into X_train), or -1: none

    def __init__(self, document: Document, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.chooser = DatasetChooser(document, self)
        self.chooser.message.connect(self.message)
        self.dataset_lists = self.chooser.lists
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        self.controls = DataControls(document, self)
        self.controls.message.connect(self.message)
        controls = self.controls
        self.feature_buttons = controls.feature_buttons
        self.noise_slider, self.noise_spin = controls.noise_slider, controls.noise_spin
        self.test_slider, self.test_spin = controls.test_slider, controls.test_spin
        self.samples_spin = controls.samples_spin
        self.regenerate_button = controls.regenerate_button

        self.sample_plot = SamplePlot(document, self)
        self.sample_plot.sample_selected.connect(self.sample_selected)
        samples = self.sample_plot
        self.plot: pg.PlotWidget = samples.plot
        self.plot_frame = samples.frame
        self.points_item, self.test_points_item = samples.points_item, samples.test_points_item
        self.digits_item, self.selection_item = samples.digits_item, samples.selection_item
        self.legend_label = samples.legend_label
        self.show_test_checkbox = samples.show_test_checkbox

        self.drawing = DrawTool(document, samples, self)
        self.drawing.message.connect(self.message)
        self.draw_button = self.drawing.draw_button
        self.clear_drawn_button = self.drawing.clear_button
        self.only_drawn_checkbox = self.drawing.only_checkbox

        self.maps = SnapshotMaps(document, self.plot, self)
        maps = self.maps
        maps.line_drawn.connect(samples.show_line_span)  # the prediction stays in view
        self.boundary_item, self.contour_item = maps.boundary_item, maps.contour_item
        self.curve_item = maps.curve_item
        self.show_boundary_checkbox = maps.show_boundary_checkbox
        self.discretize_checkbox = maps.discretize_checkbox
        caption = maps.caption
        self.boundary_caption, self.boundary_bar = caption.text_label, caption.bar
        self.boundary_low_label, self.boundary_high_label = caption.low_label, caption.high_label

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.chooser)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.controls)
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

    def _build_plot_footer(self) -> QGridLayout:
        # The legend and "Show test data"; the Draw tool's two rows beside "Show boundary"
        # and "Discretize output" (room the plot keeps on a short screen); what the
        # background (or the line) means, with a colour bar for colour maps.
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        grid.addWidget(self.legend_label, 0, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.drawing.row, 1, 0)
        grid.addWidget(self.drawing.edit_row, 2, 0)
        grid.addWidget(self.show_test_checkbox, 0, 1)
        grid.addWidget(self.show_boundary_checkbox, 1, 1)
        grid.addWidget(self.discretize_checkbox, 2, 1)
        grid.addLayout(self.maps.caption.layout, 3, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        return grid

    # ----------------------------------------------------------------- reading
    @property
    def points_items(self) -> tuple[pg.ScatterPlotItem, pg.ScatterPlotItem]:
        """The training and the test scatter items."""
        return self.points_item, self.test_points_item

    @property
    def class_buttons(self) -> list:
        """The Draw tool's class buttons (none for regression)."""
        return self.drawing.class_buttons

    @property
    def data_rect(self) -> QRectF | None:
        """The input plane the plot shows (where a decision boundary image goes), or None."""
        return self.sample_plot.data_rect

    @property
    def selected_sample(self) -> int | None:
        """The training sample the plot marks (an index into X_train), or None."""
        return self.sample_plot.selected_sample

    def select_sample(self, index: int | None) -> None:
        """Mark training sample ``index`` (None or −1: none); emits ``sample_selected`` on a
        change."""
        self.sample_plot.select_sample(index)

    def sample_point(self, index: int) -> tuple[float, float] | None:
        """Where training sample ``index`` is drawn (plot coordinates), or None (digits)."""
        return self.sample_plot.sample_point(index)

    @property
    def plot_mode(self) -> str:
        """ "plane" (2-D points), "curve" (1-D x vs y) or "digits" (sample images)."""
        return self.sample_plot.mode

    def dataset_item(self, name: str) -> QListWidgetItem | None:
        """The picker's item for data set ``name``."""
        return self.chooser.item(name)

    def selected_dataset(self) -> str | None:
        """The name of the highlighted thumbnail (None for the user's own data)."""
        return self.chooser.selected()

    # ----------------------------------------------------------------- training
    def attach(self, controller: TrainingController) -> None:
        """Draw ``controller``'s snapshots: the decision boundary or fitted curve, neuron maps."""
        self.drawing.set_plot_tooltip(
            "Training data as filled dots (ringed: the points you drew); test data as rings; "
            "behind them, the network's output over the plane (the caption below says what "
            "the colours mean)"
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

    # ----------------------------------------------------------------- refresh
    def _on_data_changed(self) -> None:
        self.chooser.refresh()
        self.controls.refresh()
        text, tip = describe_data(self.document)
        self.summary_label.setText(text)
        self.summary_label.setToolTip(tip)
        samples = self.sample_plot
        samples.show_data()
        self.drawing.refresh()
        self.maps.set_data(self.document.data, samples.mode, samples.data_rect)
        self.maps.draw()  # the last snapshot, if it still fits the data

    def _clear_sample(self) -> None:
        self.sample_plot.select_sample(None)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.maps.catch_up()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.sample_plot.fit_frame()

    # ----------------------------------------------------------------- palette
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "maps"):
            self._apply_palette()
            self._on_data_changed()

    def _apply_palette(self) -> None:
        palette = self.palette()
        self.sample_plot.apply_palette(palette)
        self.maps.apply_palette(palette)
        self.drawing.apply_palette()
        self.chooser.set_background(palette.color(QPalette.ColorRole.Base).name())
