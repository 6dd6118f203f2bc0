"""NumberAxis: tick labels in the window's number format, whole numbers where asked."""

import re

import numpy as np
import pytest
from PySide6.QtGui import QImage, QPainter

import pyqtgraph as pg  # isort: skip  (after PySide6)

from simulator.app.numbers import MINUS
from simulator.ui.axes import NumberAxis, number_axes


def drawn_labels(axis: pg.AxisItem) -> list[str]:
    """The tick labels the axis draws now."""
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [] if specs is None else [text for _, _, text in specs[2]]


def plot_of(qtbot, x, y, integer=(), log_y=False):
    widget = pg.PlotWidget(axisItems=number_axes(integer))
    qtbot.addWidget(widget)
    widget.plot(np.asarray(x, float), np.asarray(y, float))
    widget.setLogMode(y=log_y)
    widget.resize(400, 300)
    widget.show()
    qtbot.waitExposed(widget)
    widget.getViewBox().autoRange()
    return widget


def test_negative_ticks_have_a_real_minus_sign(qtbot):
    widget = plot_of(qtbot, [-5, 5], [-0.8, 0.8])
    for name in ("left", "bottom"):
        axis = widget.getAxis(name)
        qtbot.waitUntil(lambda axis=axis: axis.range[0] < 0 < axis.range[1])
        labels = drawn_labels(axis)
        assert any(text.startswith(MINUS) for text in labels), labels
        assert not any("-" in text for text in labels), labels


def test_a_short_run_of_steps_gets_whole_ticks_only(qtbot):
    widget = plot_of(qtbot, [1, 2, 3], [0.7, 0.6, 0.5], integer=("bottom",))
    axis = widget.getAxis("bottom")
    qtbot.waitUntil(lambda: axis.range[1] - axis.range[0] < 3)
    labels = drawn_labels(axis)
    assert labels and all(text.isdigit() for text in labels), labels
    # Without the rule pyqtgraph puts ticks between the steps (1.5, 2.5 or finer).
    plain = plot_of(qtbot, [1, 2, 3], [0.7, 0.6, 0.5])
    qtbot.waitUntil(lambda: plain.getAxis("bottom").range[1] < 4)
    assert any("." in text for text in drawn_labels(plain.getAxis("bottom")))


def test_whole_ticks_can_wait_for_a_long_enough_axis(qtbot):
    widget = plot_of(qtbot, [0.1, 0.5, 0.9], [1, 2, 3])
    axis = widget.getAxis("bottom")
    assert isinstance(axis, NumberAxis)
    axis.set_integer(True, whole_from=2.0)  # an axis of epochs, under one epoch long
    qtbot.waitUntil(lambda: axis.range[1] < 1.5)
    assert any("." in text for text in drawn_labels(axis))


@pytest.mark.parametrize(
    "ys, plain",
    [((0.09, 0.9), True), ((2e-6, 0.5), False)],
)
def test_log_ticks_share_one_style(qtbot, ys, plain):
    widget = plot_of(qtbot, [0, 1], ys, log_y=True)
    axis = widget.getAxis("left")
    qtbot.waitUntil(lambda: axis.range[1] - axis.range[0] > 0.5)
    labels = drawn_labels(axis)
    assert labels
    powers = [text for text in labels if re.search("10[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]", text)]
    assert (not powers) if plain else (powers == labels), labels
    assert not any("e" in text or "-" in text for text in labels), labels
