"""The optimizer lab's loss plot: each racer's f against step, one curve per racer.

On a surface with a minimum the y axis is logarithmic and shows f − min, the gap that every
method closes (values under GAP_FLOOR — an exact 0 — are drawn at it).  A saddle has no
minimum: f falls without end, so there is no gap to put on a log axis ("f − the least value
seen" would put the leader at 0, off the axis, at every frame).  There the axis is linear and
shows f over the range it takes on the map: a racer leaving the map leaves the plot downwards.

The ranges follow the data in whole decades (y) and steps of X_STEPS (x), so the axes are redrawn
only when a range grows or shrinks past one, not at every frame (pyqtgraph regenerates an
axis's picture whenever its range moves: a third of a frame's cost when it followed).
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget

import pyqtgraph as pg  # isort: skip  (after PySide6, so pyqtgraph binds to it)

from simulator.app.numbers import fmt
from simulator.app.optimizer_lab import LabRacer
from simulator.engine.surfaces import Surface
from simulator.ui.axes import number_axes
from simulator.ui.optimizer_lab_map import style_plot

GAP_FLOOR = 1e-30  # f − min below this (an exact 0) is drawn here on the log axis
GAP_CEILING = 1e30  # a diverging racer's f − min is drawn at most here
CURVE_WIDTH = 1.0  # a cosmetic 1-px line: a wider one costs a stroke (~4x the paint)
MIN_X_RANGE = 10  # steps: the x axis shows at least 0 … 10
X_STEPS = (1, 1.5, 2, 3, 4, 5, 7.5)  # the x axis ends at one of these × a power of ten
PEAKS_PER_PIXEL = 2  # a longer curve is drawn as the max and min of each run of steps


def peaks(x: np.ndarray, y: np.ndarray, pixels: int) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) as drawn on ``pixels`` columns: itself up to PEAKS_PER_PIXEL points a column,
    else each run of points as its largest then its least y (pyqtgraph's "peak" mode), the
    last points as they are."""
    run = len(y) // (PEAKS_PER_PIXEL * max(pixels, 1))
    if run < 2:
        return x, y
    whole = len(y) // run * run
    runs = y[:whole].reshape(-1, run)
    xs = np.repeat(x[:whole:run], 2)
    ys = np.column_stack([runs.max(axis=1), runs.min(axis=1)]).ravel()
    return np.concatenate([xs, x[whole:]]), np.concatenate([ys, y[whole:]])


def x_end(steps: int) -> int:
    """The end of the x axis for ``steps``: the least of X_STEPS × 10^k above it (≥ 10), so
    the curves fill at least two thirds of the axis and it moves only now and then."""
    steps = max(int(steps), MIN_X_RANGE - 1)
    power = 10 ** int(math.floor(math.log10(steps + 1)))
    return next(round(s * power) for s in (*X_STEPS, 10) if s * power > steps)


class LossAgainstStep(pg.PlotWidget):
    """f − min (log) or f (linear, for a saddle) against step, a curve per racer.

    ``curves``: the PlotCurveItems, in the controller's order of racers (their y data is
    log10(f − min) on the log axis; a long run drawn as its peaks, see :func:`peaks`);
    ``tolerance_line``: the tolerance's level (log axis only).
    The ranges follow the data; the mouse does not move them.
    """

    def __init__(self, parent: QWidget | None = None):
        # Whole steps on the x axis: no tick at 1.5 in the first steps of a race.
        super().__init__(parent, axisItems=number_axes(integer=("bottom",)))
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        plot = self.getPlotItem()
        plot.hideButtons()
        plot.disableAutoRange()
        self.setAccessibleName("Loss against step")
        self.setLabel("bottom", "step")
        self.getAxis("bottom").enableAutoSIPrefix(False)
        self.getAxis("left").enableAutoSIPrefix(False)
        self.setMinimumHeight(120)
        self.curves: list[pg.PlotCurveItem] = []
        self._colors: list[str] = []
        self._steps = np.arange(1024)  # x of every curve (views of it), doubled as needed
        self.surface: Surface | None = None
        self.log_y = True
        self.tolerance = 1e-3
        self.tolerance_line = pg.InfiniteLine(
            angle=0,
            movable=False,
            pen=pg.mkPen("#888888", width=1, style=Qt.PenStyle.DashLine),
            label="tolerance",
            labelOpts={"position": 0.97, "color": "#888888", "anchors": [(1, 1), (1, 1)]},
        )
        self.addItem(self.tolerance_line)
        self._value_range = (0.0, 1.0)
        self._ranges: tuple | None = None  # (x end, y low, y high) shown
        self._apply_palette()

    def set_surface(self, surface: Surface, value_range: tuple[float, float]) -> None:
        """Log f − min, or (a saddle) linear f with ``value_range`` (f's range on the map)."""
        self.surface = surface
        self.log_y = surface.minimum is not None
        self.getAxis("left").setLogMode(False, self.log_y)
        self._value_range = value_range
        self._ranges = None
        if self.log_y:
            self.setLabel("left", "f − min")
            self.setToolTip(
                "How far each optimizer is above the minimum, step by step (log scale; an "
                f"exact 0 is drawn at {fmt(GAP_FLOOR)}).\nColours as in the table; the dashed "
                "line is the tolerance."
            )
        else:
            self.setLabel("left", "f")
            self.setToolTip(
                "f at each step (linear: this surface has no minimum, f falls without end).\n"
                "The axis spans f over the map: a racer that leaves the map leaves the plot "
                "downwards."
            )
        self.set_tolerance(self.tolerance)
        self._apply_palette()

    def set_tolerance(self, tolerance: float) -> None:
        self.tolerance = tolerance
        self.tolerance_line.setVisible(self.log_y)
        if self.log_y:
            self.tolerance_line.setValue(math.log10(tolerance))
            self._ranges = None

    def set_racers(self, racers: tuple[LabRacer, ...]) -> None:
        colors = [entry.color for entry in racers]
        if colors == self._colors:
            return
        for curve in self.curves:
            self.removeItem(curve)
        self.curves = []
        for color in colors:
            curve = pg.PlotCurveItem(pen=pg.mkPen(color, width=CURVE_WIDTH), skipFiniteCheck=True)
            self.addItem(curve)
            self.curves.append(curve)
        self._colors = colors

    def draw(self, racers) -> None:
        pixels = int(self.getPlotItem().getViewBox().width())
        steps, lo, hi = 0, math.inf, -math.inf
        for entry, curve in zip(racers, self.curves):
            values = entry.values
            if not math.isfinite(values[-1]):
                values = values[:-1]  # a racer stops at a non-finite value
            n = len(values)
            if n > len(self._steps):
                self._steps = np.arange(max(n, 2 * len(self._steps)))
            y = self.shown(values)
            curve.setData(*peaks(self._steps[:n], y, pixels))
            steps = max(steps, n - 1)
            if n:
                lo, hi = min(lo, float(y.min())), max(hi, float(y.max()))
        self._fit(steps, lo, hi)

    def shown(self, values: np.ndarray) -> np.ndarray:
        """The y a curve plots for ``values`` (f at each step): log10(f − min) within
        [GAP_FLOOR, GAP_CEILING]; on a saddle f, clipped to three spans around the map's."""
        if self.log_y:
            return np.log10(np.clip(values - self.surface.minimum, GAP_FLOOR, GAP_CEILING))
        lo, hi = self._value_range
        span = hi - lo
        return np.clip(values, lo - 3 * span, hi + 3 * span)

    def _fit(self, steps: int, lo: float, hi: float) -> None:
        """Show 0 … x_end(steps) and, on the log axis, the whole decades that hold every curve
        and the tolerance; on a saddle, f's range on the map."""
        if self.log_y:
            tolerance = math.log10(self.tolerance)
            lo = min(lo, tolerance) if math.isfinite(lo) else tolerance - 1
            hi = max(hi, tolerance + 1) if math.isfinite(hi) else tolerance + 1
            y = (math.floor(lo), math.ceil(hi))
        else:
            y = self._value_range
        ranges = (x_end(steps), *y)
        if ranges != self._ranges:
            self.setRange(xRange=(0, ranges[0]), yRange=y, padding=0.02)
            self._ranges = ranges

    def ranges(self) -> tuple | None:
        """(x end, y low, y high) shown (y in decades on the log axis)."""
        return self._ranges

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        # (Qt sends one from pyqtgraph's constructor, before the parts exist.)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "tolerance_line"):
            self._apply_palette()

    def _apply_palette(self) -> None:
        style_plot(self, self.palette())
        muted = QColor(self.palette().color(QPalette.ColorRole.PlaceholderText))
        self.tolerance_line.setPen(pg.mkPen(muted, width=1, style=Qt.PenStyle.DashLine))
        self.tolerance_line.label.setColor(muted)
