"""The metrics beside the loss plot (confusion matrix, R² and RMSE), on a real Document,
TrainingController and PlotsPanel.  Expected numbers come from engine.metrics applied to
the network's own predictions (or to a second run trained the same way), never from the
view."""

import math

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QColor, QHelpEvent, QPalette
from PySide6.QtWidgets import QApplication, QToolTip

from simulator.app.clock import ManualClock
from simulator.app.document import Document
from simulator.app.inspection import fmt
from simulator.app.training import TrainingController
from simulator.engine import metrics
from simulator.project import load_example
from simulator.ui import metrics_view
from simulator.ui.contrast import MIN_GRAPHICS_CONTRAST, contrast
from simulator.ui.plots import PlotsPanel
from tests.ui.conftest import show_plots_panel, train


@pytest.fixture
def panel(qtbot, controller):
    return show_plots_panel(qtbot, controller, 720, 620)


def wait_report(qtbot, view, step):
    qtbot.waitUntil(lambda: view.report is not None and view.report.step == step, timeout=10_000)


def click(qtbot, button):
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def expected_confusion(net, X, Y):
    return metrics.confusion_matrix(Y, net.probabilities(X))


def test_xor_matrix_counts_the_test_set_as_the_engine_does(qtbot, panel, controller, doc):
    view = panel.metrics
    train(controller, 12)
    wait_report(qtbot, view, 12)
    data = doc.data
    assert view.data_set == "test"
    assert view.matrix.isVisible() and not view.regression.isVisible()
    counts = view.matrix.counts
    assert counts.shape == (2, 2)
    assert counts.sum() == len(data.X_test) == 40
    np.testing.assert_array_equal(counts, expected_confusion(doc.network, data.X_test, data.Y_test))
    assert view.matrix.class_names == ("class 0", "class 1")
    right = int(np.trace(counts))
    want = metrics.accuracy(data.Y_test, doc.network.probabilities(data.X_test))
    assert f"{right} of 40 right" in view.summary.text()
    assert f"{want:.1%}" in view.summary.text()
    assert "Test set" in view.summary.text()
    # The training set, by its button: 160 samples, the engine's matrix again.
    click(qtbot, view.set_buttons["train"])
    assert view.data_set == "train"
    qtbot.waitUntil(lambda: view.matrix.counts.sum() == len(data.X_train) == 160)
    np.testing.assert_array_equal(
        view.matrix.counts, expected_confusion(doc.network, data.X_train, data.Y_train)
    )
    assert "Training set" in view.summary.text()
    # More training: the matrix follows the network.
    train(controller, 40)
    wait_report(qtbot, view, 52)
    np.testing.assert_array_equal(
        view.matrix.counts, expected_confusion(doc.network, data.X_train, data.Y_train)
    )


def test_the_chosen_set_is_remembered(qtbot, controller):
    first = PlotsPanel(controller)
    qtbot.addWidget(first)
    first.metrics.set_data_set("train")
    second = PlotsPanel(controller)
    qtbot.addWidget(second)
    assert second.metrics.data_set == "train"
    assert second.metrics.set_buttons["train"].isChecked()
    with pytest.raises(ValueError):
        second.metrics.set_data_set("validation")


def test_regression_shows_r2_and_rmse_and_hides_the_matrix(qtbot, panel, controller, doc):
    view = panel.metrics
    doc.set_dataset("sine")
    train(controller, 25)
    step = controller.step_count
    wait_report(qtbot, view, step)
    assert not view.matrix.isVisible()
    assert view.regression.isVisible()
    assert not any(b.isVisible() for b in view.set_buttons.values())
    assert "R²" in view.toggle.text()
    data, net = doc.data, doc.network
    for name, X, Y in (("train", data.X_train, data.Y_train), ("test", data.X_test, data.Y_test)):
        out = net.predict(X)
        r2 = view.regression.values[("r2", name)].text()
        rmse = view.regression.values[("rmse", name)].text()
        assert r2 == fmt(metrics.r2_score(Y, out))
        assert rmse == fmt(metrics.rmse(Y, out))
    # The curve holds R² at the steps measured: this one, and the next after another step.
    curve = view.r2_curve
    assert curve.isVisible()
    train(controller, 5)
    wait_report(qtbot, view, step + 5)
    for at in (step, step + 5):
        assert at in curve.points
    r2_now = metrics.r2_score(data.Y_test, net.predict(data.X_test))
    assert curve.points[step + 5]["test"] == r2_now
    xs, ys = curve.curves["test"].getData()
    assert xs[-1] == step + 5 and ys[-1] == r2_now
    # A reset starts the curve afresh.
    controller.reset()
    qtbot.waitUntil(lambda: all(at == 0 for at in curve.points))
    # Every value explains its formula.
    assert "1 − SS_res / SS_tot" in view.regression.values[("r2", "test")].toolTip()
    assert "√(mean (y − ŷ)²)" in view.regression.values[("rmse", "train")].toolTip()
    # Back to classification: the matrix again.
    doc.set_dataset("xor")
    train(controller, 1)
    wait_report(qtbot, view, controller.step_count)
    assert not curve.isVisible()
    assert view.matrix.isVisible() and not view.regression.isVisible()
    assert view.matrix.counts.sum() == len(doc.data.X_test)


def test_rewinding_shows_the_rewound_networks_matrix(qtbot, panel, controller, doc):
    view = panel.metrics
    view.set_data_set("train")
    train(controller, 30)
    wait_report(qtbot, view, 30)
    live = view.matrix.counts.copy()
    controller.rewind_to(2)
    wait_report(qtbot, view, 2)
    assert view.report.rewound
    assert "(rewound)" in view.summary.text()
    # The same run again, to step 2, in a second document: its network is the rewound one.
    twin_doc = Document()
    twin = TrainingController(twin_doc)
    try:
        train(twin, 2)
        data = twin_doc.data
        want = expected_confusion(twin_doc.network, data.X_train, data.Y_train)
    finally:
        twin.shutdown()
    assert not np.array_equal(want, live)  # else this test could not tell them apart
    np.testing.assert_array_equal(view.matrix.counts, want)
    # Back to the live run: its matrix again.
    controller.leave_rewind()
    wait_report(qtbot, view, 30)
    assert not view.report.rewound
    np.testing.assert_array_equal(view.matrix.counts, live)


def test_digits_show_a_readable_ten_by_ten_matrix_in_a_narrow_dock(qtbot, panel, controller, doc):
    # The right dock's width and height at 1366×768.
    panel.resize(290, 660)
    doc.open_project(load_example("digits"))
    train(controller, 3)
    view = panel.metrics
    wait_report(qtbot, view, controller.step_count)
    grid = view.matrix
    assert grid.counts.shape == (10, 10)
    assert grid.class_names == tuple(str(d) for d in range(10))
    assert grid.counts.sum() == len(doc.data.X_test)
    np.testing.assert_array_equal(
        grid.counts, expected_confusion(doc.network, doc.data.X_test, doc.data.Y_test)
    )
    # Every cell inside the widget and big enough to point at; counts written in them.
    qtbot.waitUntil(lambda: grid.height() >= grid.minimumSizeHint().height())
    for i in range(10):
        for j in range(10):
            rect = grid.cell_rect(i, j)
            assert rect.width() >= metrics_view.MIN_CELL and rect.height() >= 12
            assert grid.rect().contains(rect.toAlignedRect())
    assert grid.shows_numbers()
    assert grid.number_font().pixelSize() >= metrics_view.MIN_NUMBER_PX
    # The loss plot keeps a readable height beside it.
    assert panel.loss.loss_plot.height() >= 100
    # A cell's tooltip names it and gives its numbers.
    centre = grid.cell_rect(3, 8).center().toPoint()
    assert grid.cell_at(centre) == (3, 8)
    text = grid.cell_tooltip(3, 8)
    count = int(grid.counts[3, 8])
    total = int(grid.counts[3].sum())
    assert text.startswith(f"true 3, predicted 8: {count} sample")
    assert f"of the {total} 3 samples of the test set" in text
    diagonal = grid.cell_tooltip(4, 4)
    assert "recall of 4" in diagonal
    event = QHelpEvent(QEvent.Type.ToolTip, centre, grid.mapToGlobal(centre))
    QApplication.sendEvent(grid, event)
    qtbot.waitUntil(lambda: QToolTip.isVisible() and QToolTip.text() == text)
    QToolTip.hideText()


def poison(doc, controller):
    """The network of a run gone wrong: NaN output weights (the editor refuses them, and
    the trainer does not apply a non-finite update, so they are put in by hand), shown."""
    doc.network.layers[-1].weights[...] = math.nan
    controller.emit_snapshot()


def test_a_network_with_nan_outputs_shows_a_dash_and_why(qtbot, panel, controller, doc):
    view = panel.metrics
    train(controller, 3)
    wait_report(qtbot, view, 3)
    poison(doc, controller)
    qtbot.waitUntil(lambda: view.message.isVisible())
    assert view.message.text().startswith("—")
    assert "not numbers" in view.message.text()
    assert not view.matrix.isVisible()
    assert view.report.sets["test"].unpredicted == len(doc.data.X_test)


def test_regression_with_nan_outputs_reads_dashes(qtbot, panel, controller, doc):
    view = panel.metrics
    doc.set_dataset("sine")
    train(controller, 3)
    wait_report(qtbot, view, controller.step_count)
    assert view.regression.values[("r2", "test")].text() != "—"
    poison(doc, controller)
    qtbot.waitUntil(lambda: view.regression.values[("r2", "test")].text() == "—")
    assert view.regression.values[("rmse", "train")].text() == "—"
    assert "diverged" in view.regression.values[("r2", "test")].toolTip()
    assert view.message.isVisible() and "not numbers" in view.message.text()


def test_evaluations_are_throttled_while_playing_and_skipped_out_of_sight(
    qtbot, panel, controller, monkeypatch
):
    evaluations = []
    real = metrics_view.metrics_report
    monkeypatch.setattr(
        metrics_view, "metrics_report", lambda *a: (evaluations.append(1), real(*a))[1]
    )
    clock = ManualClock(tick=0.0005)  # every reading moves it 0.5 ms: time = work done
    controller.clock = clock
    snapshots = []
    controller.snapshot_ready.connect(snapshots.append)
    controller.set_speed(None)  # as fast as it goes: many frames
    controller.set_stop_condition(None)  # XOR stops at epoch 50 otherwise
    start = clock.time
    controller.play()
    qtbot.waitUntil(lambda: clock.time - start >= 1.5, timeout=60_000)
    controller.pause()
    qtbot.waitUntil(lambda: panel.metrics.report.step == controller.step_count)
    elapsed = clock.time - start
    interval = metrics_view.METRICS_FRAME_MS / 1000
    assert len(snapshots) >= elapsed / 0.05  # many more frames came …
    assert 2 <= len(evaluations) <= elapsed / interval + 2  # … than evaluations were made
    # Out of sight (another tab), no evaluation at all; shown again, it catches up.
    panel.tabs.setCurrentWidget(panel.gradient_flow)
    qtbot.waitUntil(lambda: not panel.metrics.isVisible())
    evaluations.clear()
    train(controller, 5)
    qtbot.wait(50)
    assert evaluations == []
    panel.tabs.setCurrentWidget(panel.loss)
    qtbot.waitUntil(lambda: panel.metrics.report.step == controller.step_count)
    assert len(evaluations) == 1


def test_collapsed_the_metrics_cost_nothing_and_stay_collapsed(qtbot, panel, controller):
    view = panel.metrics
    train(controller, 2)
    wait_report(qtbot, view, 2)
    height = view.height()
    click(qtbot, view.toggle)
    assert not view.expanded
    assert not view.matrix.isVisible() and not view.summary.isVisible()
    assert not view.set_buttons["test"].isVisible()
    qtbot.waitUntil(lambda: view.height() < height / 2)
    train(controller, 3)
    qtbot.wait(50)
    assert view.report.step == 2
    again = PlotsPanel(controller)
    qtbot.addWidget(again)
    assert not again.metrics.expanded
    click(qtbot, view.toggle)
    wait_report(qtbot, view, 5)
    assert view.matrix.isVisible()


def test_wide_page_puts_the_metrics_right_of_the_plots(qtbot, panel, controller):
    train(controller, 2)
    panel.resize(1300, 330)
    loss = panel.loss
    qtbot.waitUntil(lambda: loss.side_by_side)
    view = panel.metrics
    qtbot.waitUntil(lambda: view.x() > loss.accuracy_plot.geometry().right())
    assert view.matrix.isVisible()
    panel.resize(320, 700)
    qtbot.waitUntil(lambda: not loss.side_by_side)
    qtbot.waitUntil(lambda: view.y() > loss.accuracy_plot.geometry().bottom())


def dark_palette():
    dark = QPalette()
    dark.setColor(QPalette.ColorRole.Window, QColor("#353535"))
    dark.setColor(QPalette.ColorRole.Base, QColor("#232323"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#e6e6e6"))
    dark.setColor(QPalette.ColorRole.WindowText, QColor("#e6e6e6"))
    dark.setColor(QPalette.ColorRole.Mid, QColor("#808080"))
    return dark


def test_cells_read_in_light_and_dark(qtbot, panel, controller):
    view = panel.metrics
    view.set_data_set("train")
    train(controller, 60)
    wait_report(qtbot, view, 60)
    grid = view.matrix
    for palette in (panel.palette(), dark_palette()):
        panel.setPalette(palette)
        base = grid.palette().color(QPalette.ColorRole.Base)
        full = metrics_view.heat_color(grid.palette())
        assert contrast(full, base) >= MIN_GRAPHICS_CONTRAST
        k = grid.k
        for i in range(k):
            for j in range(k):
                fill = grid.cell_color(i, j)
                if grid.counts[i, j] == 0:
                    assert fill == base
                else:
                    assert fill != base  # one sample in many is still seen
        # The diagonal of a network that learnt stands out from the empty cells.
        i = int(np.argmax(np.diag(grid.rates)))
        assert contrast(grid.cell_color(i, i), base) >= MIN_GRAPHICS_CONTRAST
        image = grid.grab().toImage()
        centre = grid.cell_rect(i, i).center().toPoint()
        drawn = image.pixelColor(QPoint(centre.x() - 8, centre.y() - 6))  # beside the digits
        assert contrast(drawn, base) >= MIN_GRAPHICS_CONTRAST


def test_without_a_test_set_the_training_matrix_shows_and_test_is_disabled(
    qtbot, panel, controller, doc
):
    view = panel.metrics
    assert view.data_set == "test"
    doc.set_test_ratio(0.0)
    train(controller, 2)
    wait_report(qtbot, view, controller.step_count)
    assert not view.set_buttons["test"].isEnabled()
    assert "No test set" in view.set_buttons["test"].toolTip()
    assert view.matrix.counts.sum() == len(doc.data.X_train)
    assert "Training set" in view.summary.text() and "no test set" in view.summary.text()
    doc.set_test_ratio(0.2)
    train(controller, 1)
    wait_report(qtbot, view, controller.step_count)
    assert view.set_buttons["test"].isEnabled()
    assert view.matrix.counts.sum() == len(doc.data.X_test)


def test_the_r2_curve_reads_in_light_and_dark(qtbot, panel, controller, doc):
    doc.set_dataset("sine")
    train(controller, 2)
    view = panel.metrics
    wait_report(qtbot, view, controller.step_count)
    for palette in (panel.palette(), dark_palette()):
        panel.setPalette(palette)
        base = view.r2_curve.palette().color(QPalette.ColorRole.Base)
        assert view.r2_curve.backgroundBrush().color() == base
        for item in view.r2_curve.curves.values():
            assert contrast(item.opts["pen"].color(), base) >= MIN_GRAPHICS_CONTRAST


def test_a_phase_that_changes_no_weight_is_not_measured_again(
    qtbot, panel, controller, monkeypatch
):
    view = panel.metrics
    train(controller, 3)
    wait_report(qtbot, view, 3)
    measured = []
    report = metrics_view.metrics_report
    monkeypatch.setattr(
        metrics_view, "metrics_report", lambda *a: (measured.append(1), report(*a))[1]
    )
    assert controller.step_phase() == "forward"
    view.refresh()
    assert controller.step_phase() == "backward"
    view.refresh()
    assert measured == [] and view.report.step == 3
    assert controller.step_phase() == "update"  # new weights: measured
    view.refresh()
    assert measured == [1] and view.report.step == 4
    controller.document.set_weight(0, 0, 0, 0.5)  # the same step, another network
    view.refresh()
    assert len(measured) == 2
