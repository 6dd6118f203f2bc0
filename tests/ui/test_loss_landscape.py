"""View ▸ Loss Landscape's window: computed from the main window's run, drawn from the result,
cancelled without a process left behind."""

import multiprocessing

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from simulator.app.numbers import fmt
from simulator.ui import loss_landscape
from simulator.ui.loss_landscape import LossLandscapeWindow, open_loss_landscape


@pytest.fixture
def trained(main_window):
    """The main window's run (XOR) after 120 steps: a path of several checkpoints."""
    for _ in range(120):
        main_window.controller.step()
    return main_window


@pytest.fixture
def small_grids(monkeypatch):
    monkeypatch.setattr(loss_landscape, "RESOLUTIONS", (5, 61))
    monkeypatch.setattr(loss_landscape, "DEFAULT_RESOLUTION", 5)


def open_window(qtbot, main_window) -> LossLandscapeWindow:
    window = open_loss_landscape(main_window, main_window.controller)
    qtbot.waitExposed(window)
    return window


def choose(box, data):
    box.setCurrentIndex(box.findData(data))


def test_the_window_draws_the_trajectory_landscape_it_computed(qtbot, trained, small_grids):
    window = open_window(qtbot, trained)
    assert window.windowTitle() == "Loss Landscape" and window.parent() is trained
    assert open_loss_landscape(trained, trained.controller) is window  # one per main window
    assert window.mode == "trajectory"  # the run has checkpoints
    with qtbot.waitSignal(window.job.finished) as finished:
        qtbot.mouseClick(window.compute_button, Qt.MouseButton.LeftButton)
        assert not window.compute_button.isEnabled() and window.cancel_button.isEnabled()
    result = finished.args[0]
    assert window.result is result and result.values.shape == (5, 5)
    assert result.step == trained.controller.step_count
    # The image holds the loss's log, placed over the grid; the path and the centre drawn.
    np.testing.assert_allclose(window.image.image, np.log10(result.values))
    rect = window.image.mapRectToParent(window.image.boundingRect())
    assert rect.left() < result.alphas[0] < result.alphas[-1] < rect.right()
    x, y = window.path.getData()
    np.testing.assert_array_equal(x, result.trajectory[:, 0])
    np.testing.assert_array_equal(y, result.trajectory[:, 1])
    x, y = window.center_marker.getData()
    assert (x.tolist(), y.tolist()) == ([0.0], [0.0])
    share = round(result.explained[0] * 100)
    assert window.plot.getAxis("bottom").labelText == f"PC1 ({share:.0f}% of the path)"
    # The 1-D line along the last update.
    ts, values = window.line_curve.getData()
    np.testing.assert_array_equal(ts, result.line_ts)
    np.testing.assert_array_equal(values, result.line_values)
    assert "Step 120" in window.status.text() and window.compute_button.isEnabled()
    assert not multiprocessing.active_children()
    # Training goes on: the window says the landscape is of an earlier step.
    trained.controller.step()
    assert "went on to step 121" in window.status.text()


def test_random_directions_have_no_path_and_the_hover_reads_the_loss(qtbot, trained, small_grids):
    window = open_window(qtbot, trained)
    choose(window.mode_box, "random")
    assert window.seed_box.isEnabled()
    window.seed_box.setValue(7)
    with qtbot.waitSignal(window.job.finished) as finished:
        qtbot.mouseClick(window.compute_button, Qt.MouseButton.LeftButton)
    result = finished.args[0]
    assert result.mode == "random" and result.seed == 7 and result.trajectory is None
    x, _ = window.path.getData()
    assert x is None or len(x) == 0
    assert window.plot.getAxis("bottom").labelText.startswith("α: random direction")
    # The mouse over the centre reads the loss there.
    trainer = trained.controller.trainer
    loss = trainer.net.evaluate(trainer.X_train, trainer.Y_train)
    centre = window.plot.mapFromScene(window.view.mapViewToScene(QPointF(0.0, 0.0)))
    # A move event straight to the plot's viewport (as tests/ui/test_plots.py does): QTest's
    # mouseMove goes through the global cursor, which offscreen may route elsewhere.
    viewport = window.plot.viewport()
    local = QPointF(centre)
    move = QMouseEvent(
        QEvent.Type.MouseMove,
        local,
        QPointF(viewport.mapToGlobal(centre)),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(viewport, move)
    qtbot.waitUntil(lambda: window.readout.text() == f"α = 0, β = 0: loss {fmt(loss)}")


def test_cancel_stops_the_computation_and_its_processes(qtbot, trained, small_grids):
    window = open_window(qtbot, trained)
    choose(window.resolution_box, 61)
    arrived = []
    window.job.finished.connect(arrived.append)
    qtbot.mouseClick(window.compute_button, Qt.MouseButton.LeftButton)
    assert window.job.running and multiprocessing.active_children()
    qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    assert not window.job.running and not multiprocessing.active_children()
    assert window.compute_button.isEnabled() and not window.cancel_button.isEnabled()
    assert window.status.text().startswith("Cancelled")
    qtbot.wait(200)
    assert arrived == [] and window.result is None


def test_too_short_a_path_says_so(qtbot, main_window, small_grids):
    main_window.controller.step()
    window = open_window(qtbot, main_window)
    assert window.mode == "random"  # no path yet: random directions are offered first
    choose(window.mode_box, "trajectory")
    qtbot.mouseClick(window.compute_button, Qt.MouseButton.LeftButton)
    assert "at least 3 different points" in window.status.text()
    assert window.compute_button.isEnabled() and not window.job.running
