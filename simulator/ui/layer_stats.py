"""The "Layer statistics" tab: histograms of one weight layer's weights and gradients, live.

Drawn from the controller's snapshots (never from the engine), at most one frame per
``MIN_FRAME_MS`` and only while the tab is visible; a hidden tab catches up when shown.
Each histogram's bins are symmetric around 0 (an odd count, so 0 sits mid-bin) over ±R, with R
on a 1-1.5-2-3-4-5-6-8 ladder that grows at once when a value falls outside and shrinks only
after everything has stayed well inside for a while, so the bars hold still from frame to frame
yet a gradient that shrinks a hundredfold over training is not left as a spike in the middle.
Removed connections are left out (they would pile up at exactly 0).
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

import pyqtgraph as pg  # isort: skip  (after PySide6, so pyqtgraph binds to it)

from simulator.app import numbers
from simulator.app.frame_timer import FrameTimer
from simulator.app.training import Snapshot, TrainingController
from simulator.ui import thumbnails
from simulator.ui.axes import number_axes
from simulator.ui.plots import MIN_FRAME_MS, layer_names

N_BINS = 41  # odd: the middle bin is centred on 0
SHRINK_RATIO = 5.0  # the range shrinks once every value fits in R / SHRINK_RATIO …
SHRINK_FRAMES = 30  # … for this many frames in a row (~2 s at 15 frames a second)
Y_SHRINK_RATIO = 2.0
SIDE_BY_SIDE_RATIO = 1.3  # wider than this x tall: the two histograms stand side by side
KINDS = ("weights", "gradients")
TITLES = {"weights": "weights W", "gradients": "gradients ∂L/∂W"}
COLOURS = {"weights": thumbnails.BLUE, "gradients": thumbnails.ORANGE}
TAB_TITLE = "Layer statistics"  # the plots panel's tab that holds a LayerStatsPlot
TAB_TOOLTIP = "Histograms of a layer's weights and gradients, live"


LADDER = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)  # at most 50 % of the range unused


def nice_ceiling(value: float) -> float:
    """The smallest m × 10^k at least ``value`` (> 0), m on ``LADDER``."""
    exponent = math.floor(math.log10(value))
    for mantissa in LADDER:
        nice = mantissa * 10.0**exponent
        if nice >= value * (1 - 1e-12):
            return nice
    return 10.0 ** (exponent + 1)


class StableRange:
    """An upper bound that grows at once and shrinks only after ``frames`` frames in a row
    in which the peak stayed below bound / ``ratio``."""

    def __init__(self, ratio: float, frames: int):
        self.ratio = ratio
        self.frames = frames
        self.bound: float | None = None
        self._small = 0

    def reset(self) -> None:
        self.bound = None
        self._small = 0

    def update(self, peak: float, nice: bool = True) -> float:
        if not math.isfinite(peak) or peak <= 0:
            if self.bound is None:
                self.bound = 1.0
            return self.bound
        wanted = nice_ceiling(peak) if nice else peak
        if self.bound is None or peak > self.bound:
            self.bound, self._small = wanted, 0
        elif peak < self.bound / self.ratio:
            self._small += 1
            if self._small >= self.frames:
                self.bound, self._small = wanted, 0
        else:
            self._small = 0
        return self.bound


def summary_text(values: np.ndarray) -> str:
    """ "mean … · std … · |max| …" of ``values``."""
    if values.size == 0:
        return numbers.NOTHING
    fmt = numbers.fmt
    return (
        f"mean {fmt(float(values.mean()), 3)} · std {fmt(float(values.std()), 3)} · "
        f"|max| {fmt(float(np.abs(values).max()), 3)}"
    )


class _Histogram:
    """One histogram: its PlotWidget, a stepped PlotDataItem, its readout and ranges."""

    def __init__(self, kind: str):
        self.kind = kind
        # Counts are whole: no tick at 0.5 on the count axis.
        self.plot = pg.PlotWidget(axisItems=number_axes(integer=("left",)))
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMinimumHeight(80)
        self.plot.setLabel("left", "count")
        self.plot.getAxis("bottom").enableAutoSIPrefix(False)
        colour = QColor(COLOURS[kind])
        fill = QColor(colour)
        fill.setAlpha(150)
        self.item = pg.PlotDataItem(
            stepMode="center", fillLevel=0, pen=pg.mkPen(colour, width=1), brush=fill
        )
        self.item.setVisible(False)  # until the first frame
        self.plot.addItem(self.item)
        self.zero = pg.InfiniteLine(angle=90, pen=pg.mkPen("#888888", width=1))
        self.plot.addItem(self.zero, ignoreBounds=True)
        # Two lines (the title and count, then mean, std and |max|) that wrap rather than
        # run out of a narrow dock; the height of two kept, so the plot below does not jump.
        self.readout = QLabel()
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.readout.setContentsMargins(6, 2, 4, 0)
        self.readout.setWordWrap(True)
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.readout.setMinimumHeight(2 * self.readout.fontMetrics().lineSpacing() + 4)
        self.x_range = StableRange(SHRINK_RATIO, SHRINK_FRAMES)
        self.y_range = StableRange(Y_SHRINK_RATIO, SHRINK_FRAMES)
        self.edges: np.ndarray | None = None
        self.counts: np.ndarray | None = None
        self._top: float | None = None  # the y range's top as last set

    def reset(self) -> None:
        self.x_range.reset()
        self.y_range.reset()
        self._top = None

    def show(self, values: np.ndarray | None, empty_text: str) -> None:
        title = f"<b style='color:{COLOURS[self.kind]}'>{TITLES[self.kind]}</b>"
        if values is None:
            self.item.setVisible(False)
            self.edges = self.counts = None
            self.readout.setText(f"{title} · <span style='color:gray'>{empty_text}</span>")
            return
        values = values[np.isfinite(values)]
        peak = float(np.abs(values).max()) if values.size else 0.0
        bound = self.x_range.update(peak)
        edges = np.linspace(-bound, bound, N_BINS + 1)
        counts, _ = np.histogram(values, bins=edges)
        new_edges = self.edges is None or not np.array_equal(edges, self.edges)
        if new_edges:
            self.plot.setXRange(-bound, bound, padding=0.02)
        top = self.y_range.update(float(counts.max()) * 1.08 if counts.size else 0.0, nice=False)
        if top != self._top:
            self.plot.setYRange(0, top, padding=0)
            self._top = top
        # The same bars as drawn (a phase that changed no weight): nothing to repaint.
        if new_edges or self.counts is None or not np.array_equal(counts, self.counts):
            self.item.setData(edges, counts)
        self.item.setVisible(True)
        self.edges, self.counts = edges, counts
        self.readout.setText(
            f"{title} · {numbers.count(values.size)} values<br>{summary_text(values)}"
        )

    def style(self, palette: QPalette) -> None:
        self.plot.setBackground(palette.color(QPalette.ColorRole.Base))
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setPen(pg.mkPen(palette.color(QPalette.ColorRole.Mid)))
            axis.setTextPen(pg.mkPen(palette.color(QPalette.ColorRole.Text)))


class LayerStatsPlot(QWidget):
    """Histograms of the chosen weight layer's weights and gradients from ``controller``'s
    snapshots, with mean / std / |max| readouts.

    ``layer_combo`` chooses the layer ("layer 1 (2→8)"); ``histograms[kind]`` for kind in
    ("weights", "gradients") holds ``plot``, ``item`` (the stepped PlotDataItem), ``edges`` and
    ``counts`` as last drawn, and ``readout``.
    """

    def __init__(self, controller: TrainingController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.document = controller.document
        self._snapshot: Snapshot | None = None
        self._drawn: Snapshot | None = None
        self._frames = FrameTimer(
            lambda: controller.clock, MIN_FRAME_MS / 1000, self.refresh, parent=self
        )

        self.layer_combo = QComboBox()
        self.layer_combo.setToolTip("The weight layer whose weights and gradients are shown")
        self.layer_combo.currentIndexChanged.connect(self._on_layer_chosen)
        self.hint = QLabel()
        self.hint.setStyleSheet("color: gray;")
        top = QHBoxLayout()
        top.setContentsMargins(6, 4, 6, 0)
        top.addWidget(QLabel("Layer:"))
        top.addWidget(self.layer_combo)
        top.addWidget(self.hint, 1)

        self.histograms = {kind: _Histogram(kind) for kind in KINDS}
        self._body = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self._body.setSpacing(6)
        for hist in self.histograms.values():
            column = QVBoxLayout()
            column.setSpacing(0)
            column.addWidget(hist.readout)
            column.addWidget(hist.plot, 1)
            self._body.addLayout(column, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addLayout(self._body, 1)
        self._apply_palette()

        controller.snapshot_ready.connect(self._on_snapshot_ready)
        controller.history_changed.connect(self._on_history_changed)
        self.document.network_changed.connect(self._on_network_changed)
        self.document.project_replaced.connect(self._on_network_changed)
        self._on_network_changed()
        self._snapshot = controller.snapshot()

    # ----------------------------------------------------------------- layers
    @property
    def layer(self) -> int:
        return max(0, self.layer_combo.currentIndex())

    def set_layer(self, i: int) -> None:
        self.layer_combo.setCurrentIndex(i)

    def bins(self, kind: str) -> np.ndarray | None:
        """The bin edges of the ``kind`` histogram as last drawn (N_BINS + 1 of them)."""
        return self.histograms[kind].edges

    def _on_network_changed(self) -> None:
        names = layer_names(self.document.network)
        current = [self.layer_combo.itemText(i) for i in range(self.layer_combo.count())]
        if names != current:
            keep = self.layer_combo.currentIndex()
            self.layer_combo.blockSignals(True)
            self.layer_combo.clear()
            self.layer_combo.addItems(names)
            self.layer_combo.setCurrentIndex(min(max(keep, 0), len(names) - 1))
            self.layer_combo.blockSignals(False)
        for hist in self.histograms.values():
            hist.reset()
        self._schedule()

    def _on_layer_chosen(self, _index: int) -> None:
        for hist in self.histograms.values():
            hist.reset()
        self.refresh()

    def _on_history_changed(self) -> None:
        # A reset or a rewind: the values start over, so may the ranges.
        for hist in self.histograms.values():
            hist.reset()

    # ----------------------------------------------------------------- drawing
    def _on_snapshot_ready(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        self._schedule()

    def _schedule(self) -> None:
        if self.isVisible():
            # While playing, at most one frame per MIN_FRAME_MS; paused, at the next turn.
            self._frames.request(urgent=not self.controller.playing)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._schedule()

    def values(self, snapshot: Snapshot, kind: str) -> np.ndarray | None:
        """The chosen layer's present weights (or their gradients) in ``snapshot``, flat."""
        i = self.layer
        source = snapshot.weights if kind == "weights" else snapshot.gradients
        if source is None or i >= len(source):
            return None
        arr = np.asarray(source[i][0])
        layers = self.document.network.layers
        if i < len(layers) and layers[i].mask.shape == arr.shape and not layers[i].mask.all():
            return arr[layers[i].mask]
        return arr.ravel()

    def refresh(self) -> None:
        """Draw the latest snapshot now."""
        self._frames.drawn()
        snap = self._snapshot
        if snap is None:
            return
        self._drawn = snap
        empty = (
            "appear after the backward pass"
            if snap.phase == "backward"
            else "appear after the first step"
        )
        for kind, hist in self.histograms.items():
            hist.show(self.values(snap, kind), empty)
        self.hint.setText(f"step {numbers.count(snap.step)}")

    # ----------------------------------------------------------------- layout and palette
    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        wide = self.width() >= SIDE_BY_SIDE_RATIO * max(1, self.height())
        self._body.setDirection(
            QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        )

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange:
            self._apply_palette()

    def _apply_palette(self) -> None:
        for hist in self.histograms.values():
            hist.style(self.palette())
