"""An axis whose tick labels are written like every other number in the window.

pyqtgraph's own axis writes "-0.5" with a hyphen, "1e-05" beside "0.001", and puts ticks at
1.2 and 1.4 on an axis of steps.  ``NumberAxis`` labels its ticks through
``simulator.app.numbers`` (a real minus sign; powers of ten as ×10ⁿ for a whole axis at once),
keeps whole-number axes (steps, epochs, counts) on whole numbers, and never draws one label
over another.
"""

from __future__ import annotations

import math

import pyqtgraph as pg

from simulator.app import numbers


class NumberAxis(pg.AxisItem):
    """A pyqtgraph AxisItem with the window's number format.

    ``integer``: ticks only at whole numbers (at least 1 apart), for steps and counts; with
    ``whole_from`` > 0 only once the axis spans that much (epochs: a run shorter than two
    epochs reads in fractions of one, 0.25, 0.5, a longer one in whole epochs).
    """

    def __init__(self, orientation: str, integer: bool = False, whole_from: float = 0.0, **kw):
        super().__init__(orientation, **kw)
        self.integer = integer
        self.whole_from = whole_from
        self._tick_values: dict[str, float] = {}  # each label's value, to rank crowded labels

    def set_integer(self, on: bool, whole_from: float = 0.0) -> None:
        """Ticks only at whole numbers (from a span of ``whole_from`` on), or anywhere."""
        if (on, whole_from) != (self.integer, self.whole_from):
            self.integer, self.whole_from = on, whole_from
            self.picture = None
            self.update()

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802 - pyqtgraph's name
        levels = super().tickSpacing(minVal, maxVal, size)
        if not self.integer or self.logMode:
            return levels
        if abs(maxVal - minVal) < self.whole_from:
            return levels
        # Whole numbers only: drop the levels finer than 1 (1.2, 1.4 between steps 1 and 2).
        whole = [(spacing, offset) for spacing, offset in levels if spacing >= 1 - 1e-9]
        return whole or [(1.0, 0.0)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph's name
        if self.logMode:
            return self.logTickStrings(values, scale, spacing)
        scaled = [float(v) * scale for v in values]
        low, high = (float(r) * scale for r in self.range)
        largest = max(abs(low), abs(high), *(abs(v) for v in scaled)) if scaled else 0.0
        texts = numbers.tick_labels(scaled, spacing * scale, largest)
        self._tick_values.update(zip(texts, scaled))
        return texts

    def logTickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph's name
        low, high = sorted(float(r) for r in self.range)
        exponents = [float(v) + math.log10(scale) for v in values]
        texts = numbers.log_tick_labels(exponents, low, high)
        self._tick_values.update((t, 10.0**e) for t, e in zip(texts, exponents))
        return texts

    def generateDrawSpecs(self, p):  # noqa: N802 - pyqtgraph's name
        # On a log axis the minor labels crowd at the top of each decade (0.7, 0.8, 0.9):
        # pyqtgraph limits how much text a level adds in all, not how close two labels come.
        # Where two would touch, the rounder value keeps its label (0.1, then 0.2 and 0.5).
        self._tick_values = {}
        specs = super().generateDrawSpecs(p)
        if specs is None:
            return None
        axis, ticks, texts = specs
        if self.logMode:
            texts = sorted(texts, key=lambda spec: self._roundness(spec[2]))  # stable sort
        kept: list = []
        for spec in texts:
            rect = spec[0]
            gap = 0.25 * rect.height()  # pyqtgraph's rects hug the digits: keep a line's air
            padded = rect.adjusted(-gap, -gap, gap, gap)
            if not any(padded.intersects(other[0]) for other in kept):
                kept.append(spec)
        return axis, ticks, kept

    def _roundness(self, text: str) -> int:
        """0 for a power of ten, 1 for 2 or 5 times one, 2 for the other labels."""
        value = abs(self._tick_values.get(text, 0.0))
        if value == 0 or not math.isfinite(value):
            return 0
        leading = round(value / 10 ** math.floor(math.log10(value)), 6)
        return 0 if leading in (1, 10) else 1 if leading in (2, 5) else 2


def number_axes(integer: tuple[str, ...] = ()) -> dict[str, NumberAxis]:
    """New left and bottom NumberAxis items for ``pg.PlotWidget(axisItems=...)``; the axes
    named in ``integer`` ("bottom", "left") keep to whole numbers."""
    return {name: NumberAxis(name, integer=name in integer) for name in ("left", "bottom")}


def number_color_bar(bar: pg.ColorBarItem, log: bool = False) -> NumberAxis:
    """Give a vertical ColorBarItem a value axis in the window's number format; ``log``: its
    levels are log10 of the values, and the axis reads as the values (0.01, 0.1, 1)."""
    axis = NumberAxis("right")
    bar.setAxisItems({"right": axis})
    # What ColorBarItem does for its own axis: above the bar, a fixed width, unlinked from
    # the bar's view and ranged by the levels.
    axis.setZValue(0.5)
    axis.setWidth(45)
    axis.setStyle(showValues=True)
    axis.unlinkFromView()
    axis.setLogMode(log)
    bar.axis = axis
    low, high = bar.levels()
    axis.setRange(low, high)
    return axis
