"""The loss and gradient-flow plots, on a real Document and TrainingController."""

import math

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

import pyqtgraph as pg  # isort: skip  (after PySide6)

from simulator.app import numbers
from simulator.app.clock import ManualClock
from simulator.engine.trainer import History
from simulator.ui.plots import MIN_FRAME_MS, PlotsPanel
from tests.ui.conftest import show_plots_panel, train
from tests.ui.events import EventCounter, quiet
from tests.ui.test_canvas import wheel


@pytest.fixture
def panel(qtbot, controller):
    return show_plots_panel(qtbot, controller, 720, 520)


def shown(item):
    """The (x, y) a PlotDataItem was given, as arrays (empty when it has none)."""
    x, y = item.getOriginalDataset()
    return (np.empty(0), np.empty(0)) if x is None else (np.asarray(x), np.asarray(y))


def wait_drawn(qtbot, item, rows):
    qtbot.waitUntil(lambda: len(shown(item)[0]) == rows, timeout=10_000)


def wait_data(qtbot, item, x, y):
    """Until getData() (what is drawn: clipped to the view, downsampled) is exactly x, y.

    A strip linked on x follows the loss plot's range at its next paint."""

    def same():
        got_x, got_y = item.getData()
        return got_x is not None and np.array_equal(got_x, x) and np.array_equal(got_y, y)

    qtbot.waitUntil(same, timeout=10_000)


def finite_rows(history, name, x="step"):
    y = history.column(name)
    keep = np.isfinite(y)
    return history.column(x)[keep], y[keep]


def click_tab(qtbot, panel, title):
    bar = panel.tabs.tabBar()
    index = [panel.tabs.tabText(i) for i in range(panel.tabs.count())].index(title)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    qtbot.waitUntil(lambda: panel.tabs.currentIndex() == index)


def line_items(panel):
    widgets = (panel.loss.loss_plot, panel.loss.accuracy_plot, panel.loss.lr_plot,
               panel.gradient_plot)  # fmt: skip
    return [item for w in widgets for item in w.getPlotItem().listDataItems()]


def assert_no_nan_plotted(panel):
    for item in line_items(panel):
        x, y = shown(item)
        assert np.isfinite(y).all() and np.isfinite(x).all(), item.name()


def test_loss_curves_hold_the_history(qtbot, panel, controller):
    train(controller, 40)  # XOR: 16 steps an epoch, so two evaluations
    history = controller.history
    curves = panel.loss.curves
    wait_drawn(qtbot, curves["batch_loss"], 40)
    x, y = curves["batch_loss"].getData()
    np.testing.assert_array_equal(x, history.column("step"))
    np.testing.assert_array_equal(y, history.column("batch_loss"))
    for name in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
        want_x, want_y = finite_rows(history, name)
        assert len(want_x) == 2
        wait_data(qtbot, curves[name], want_x, want_y)
    assert panel.loss.accuracy_plot.isVisible()
    assert not panel.loss.lr_plot.isVisible()  # no schedule, constant rate
    assert_no_nan_plotted(panel)
    # More steps: the same items follow.
    items = dict(curves)
    train(controller, 8)
    wait_drawn(qtbot, curves["batch_loss"], 48)
    assert curves == items
    np.testing.assert_array_equal(curves["batch_loss"].getData()[1],
                                  history.column("batch_loss"))  # fmt: skip
    legend = panel.loss_plot.getPlotItem().legend
    assert {label.text for _, label in legend.items} == {"batch loss", "train loss", "test loss"}
    # Reset: everything drawn afresh, accuracy still on its fixed 0..1.
    controller.reset()
    qtbot.waitUntil(lambda: len(shown(curves["batch_loss"])[0]) == 0)
    accuracy_view = panel.loss.accuracy_plot.getPlotItem().getViewBox()
    assert accuracy_view.viewRange()[1] == pytest.approx([-0.06, 1.06])


def test_dense_curves_are_views_of_the_history(qtbot, panel, controller):
    train(controller, 5)
    wait_drawn(qtbot, panel.loss.curves["batch_loss"], 5)
    _, y = shown(panel.loss.curves["batch_loss"])
    assert np.shares_memory(y, controller.history.column("batch_loss"))


def test_log_toggle_sets_log_mode(qtbot, panel, controller):
    train(controller, 20)
    item = panel.loss.curves["batch_loss"]
    wait_drawn(qtbot, item, 20)
    assert not panel.loss.log_y
    qtbot.mouseClick(panel.loss.log_checkbox, Qt.MouseButton.LeftButton)
    assert panel.loss.log_y
    assert panel.loss_plot.getPlotItem().getAxis("left").logMode
    assert item.opts["logMode"] == [False, True]
    np.testing.assert_allclose(item.getData()[1], np.log10(controller.history.column("batch_loss")))
    qtbot.mouseClick(panel.loss.log_checkbox, Qt.MouseButton.LeftButton)
    assert not panel.loss.log_y
    np.testing.assert_array_equal(item.getData()[1], controller.history.column("batch_loss"))


def test_gradient_flow_is_log_by_default(qtbot, panel):
    click_tab(qtbot, panel, "Gradient flow")
    assert panel.gradient_flow.log_checkbox.isChecked()
    assert panel.gradient_plot.getPlotItem().getAxis("left").logMode
    qtbot.mouseClick(panel.gradient_flow.log_checkbox, Qt.MouseButton.LeftButton)
    assert not panel.gradient_plot.getPlotItem().getAxis("left").logMode


def test_x_toggle_switches_between_step_and_epoch(qtbot, panel, controller):
    train(controller, 40)
    history = controller.history
    curves = panel.loss.curves
    wait_drawn(qtbot, curves["batch_loss"], 40)
    qtbot.mouseClick(panel.x_buttons["epoch"], Qt.MouseButton.LeftButton)
    assert panel.x_axis == "epoch"
    np.testing.assert_array_equal(curves["batch_loss"].getData()[0], history.column("epoch"))
    np.testing.assert_array_equal(curves["test_loss"].getData()[0],
                                  finite_rows(history, "test_loss", "epoch")[0])  # fmt: skip
    assert panel.loss.accuracy_plot.getAxis("bottom").labelText == "epoch"
    # New rows keep coming in epochs.
    train(controller, 16)
    wait_drawn(qtbot, curves["batch_loss"], 56)
    np.testing.assert_array_equal(curves["batch_loss"].getData()[0], history.column("epoch"))
    qtbot.mouseClick(panel.x_buttons["step"], Qt.MouseButton.LeftButton)
    assert panel.x_axis == "step"
    np.testing.assert_array_equal(curves["batch_loss"].getData()[0], history.column("step"))


def test_x_axis_choice_is_remembered(qtbot, panel, controller):
    qtbot.mouseClick(panel.x_buttons["epoch"], Qt.MouseButton.LeftButton)
    again = PlotsPanel(controller)
    qtbot.addWidget(again)
    assert again.x_axis == "epoch" and again.x_buttons["epoch"].isChecked()


def test_regression_has_no_accuracy(qtbot, panel, controller, doc):
    doc.set_dataset("plane")
    assert doc.task == "regression"
    train(controller, 100)  # plane: 96 steps an epoch
    wait_drawn(qtbot, panel.loss.curves["batch_loss"], 100)
    assert not panel.loss.accuracy_plot.isVisible()
    for name in ("train_accuracy", "test_accuracy"):
        assert len(shown(panel.loss.curves[name])[0]) == 0
    assert len(shown(panel.loss.curves["test_loss"])[0]) > 0
    assert "accuracy" not in panel.loss.readout.text()
    doc.set_dataset("xor")
    assert panel.loss.accuracy_plot.isVisible()


def test_learning_rate_strip_follows_the_schedule(qtbot, panel, controller, doc):
    doc.set_schedule("step", {"step_size": 1, "gamma": 0.5})
    assert panel.loss.lr_plot.isVisible()
    train(controller, 40)
    item = panel.loss.curves["lr"]
    lr = controller.history.column("lr")
    wait_data(qtbot, item, controller.history.column("step"), lr)
    assert lr[-1] < lr[0]
    # The accuracy strip (the bottom one) carries the x axis, the others hide their values.
    assert panel.loss.lr_plot.getAxis("bottom").style["showValues"]
    assert not panel.loss.loss_plot.getAxis("bottom").style["showValues"]


def test_gradient_flow_has_a_curve_per_layer_and_follows_structure(qtbot, panel, controller, doc):
    train(controller, 10)
    click_tab(qtbot, panel, "Gradient flow")
    flow = panel.gradient_flow
    assert len(flow.curves) == len(doc.network.layers) == 2
    legend = panel.gradient_plot.getPlotItem().legend
    assert [label.text for _, label in legend.items] == ["layer 1 (2→8)", "layer 2 (8→1)"]
    wait_drawn(qtbot, flow.curves[0], 10)
    norms = controller.history.column("grad_norms")
    for i, item in enumerate(flow.curves):
        x, y = shown(item)
        np.testing.assert_array_equal(x, controller.history.column("step"))
        np.testing.assert_array_equal(y, norms[:, i])

    doc.add_layer()
    assert len(flow.curves) == len(doc.network.layers) == 3
    names = [label.text for _, label in legend.items]
    assert len(names) == 3 and names[0].startswith("layer 1 (2→")
    train(controller, 5)
    wait_drawn(qtbot, flow.curves[0], 15)
    norms = controller.history.column("grad_norms")
    assert norms.shape[1] == 3
    steps = controller.history.column("step")
    for i, item in enumerate(flow.curves):
        want = np.isfinite(norms[:, i])
        x, y = shown(item)
        np.testing.assert_array_equal(x, steps[want])
        np.testing.assert_array_equal(y, norms[want, i])
    assert len(shown(flow.curves[2])[0]) == 5  # the new layer's norms begin at its first step
    assert_no_nan_plotted(panel)

    doc.remove_layer(1)
    assert len(flow.curves) == 2
    assert len(legend.items) == 2


def test_hidden_gradient_page_catches_up_when_shown(qtbot, panel, controller):
    train(controller, 12)
    wait_drawn(qtbot, panel.loss.curves["batch_loss"], 12)
    assert len(shown(panel.gradient_flow.curves[0])[0]) < 12  # not drawn while out of sight
    click_tab(qtbot, panel, "Gradient flow")
    wait_drawn(qtbot, panel.gradient_flow.curves[0], 12)


def diverge(qtbot, controller, doc):
    """Plain SGD at learning rate 100 on a regression: the loss overflows within steps."""
    doc.set_dataset("plane")
    doc.set_optimizer("SGD")
    doc.set_learning_rate(100)
    with qtbot.waitSignal(controller.diverged, timeout=10000):
        controller.play()


def test_divergence_is_marked_and_cleared_by_reset(qtbot, panel, controller, doc):
    diverge(qtbot, controller, doc)
    markers = panel.loss.divergence_markers
    assert len(markers) == 1
    assert markers[0].value() == controller.trainer.diverged_at_step
    assert markers[0].angle == 90
    assert markers[0].label.format == "diverged"
    assert markers[0] in panel.loss_plot.getPlotItem().items
    assert_no_nan_plotted(panel)
    # The curves run up to the marker.
    x, _ = shown(panel.loss.curves["batch_loss"])
    assert len(x) == len(controller.history)

    controller.reset()
    assert panel.loss.divergence_markers == []
    assert not any(isinstance(item, pg.InfiniteLine) and getattr(item, "label", None)
                   for item in panel.loss_plot.getPlotItem().items)  # fmt: skip
    qtbot.waitUntil(lambda: len(shown(panel.loss.curves["batch_loss"])[0]) == 0)


def test_divergence_marker_moves_to_the_epoch_axis(qtbot, panel, controller, doc):
    diverge(qtbot, controller, doc)
    step = controller.trainer.diverged_at_step
    panel.set_x_axis("epoch")
    history = controller.history
    row = int(np.searchsorted(history.column("step"), step))
    assert panel.loss.divergence_markers[0].value() == pytest.approx(history.column("epoch")[row])


def test_hover_readout_shows_the_step_under_the_mouse(qtbot, panel, controller):
    train(controller, 48)
    wait_drawn(qtbot, panel.loss.curves["batch_loss"], 48)
    qtbot.waitUntil(lambda: "(latest)" in panel.loss.readout.text())
    assert "step 48" in panel.loss.readout.text()
    view = panel.loss_plot.getPlotItem().getViewBox()
    y_mid = sum(view.viewRange()[1]) / 2
    scene = view.mapViewToScene(QPointF(20, y_mid))
    pos = panel.loss_plot.mapFromScene(scene)
    # A move event straight to the plot's viewport: QTest.mouseMove goes through the global
    # cursor, which the offscreen platform may route to another test's leftover window.
    viewport = panel.loss_plot.viewport()
    local = QPointF(pos.x(), pos.y())
    move = QMouseEvent(
        QEvent.Type.MouseMove,
        local,
        QPointF(viewport.mapToGlobal(local.toPoint())),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(viewport, move)

    def hovered_step():
        row = panel.loss.hover_row
        return None if row is None else int(controller.history.column("step")[row])

    # The readout follows the pointer at a limited rate: wait for the last position's row.
    qtbot.waitUntil(lambda: hovered_step() is not None and abs(hovered_step() - 20) <= 1)
    step = hovered_step()
    text = panel.loss.readout.text()
    assert f"step {step}" in text and "batch loss" in text and "accuracy" in text
    assert "(latest)" not in text
    evaluated = 16  # the last evaluation at or before step 20 (once per epoch)
    test_loss = controller.history.column("test_loss")[evaluated - 1]
    assert f"test loss {numbers.fmt(test_loss)}" in text


def synthetic_rows(history, rows, rng):
    """Rows of a plausible run: noisy decaying loss, an evaluation every 1,000 steps."""
    first = len(history) + 1
    steps = np.arange(first, first + rows)
    losses = np.exp(-steps / 40_000) + 0.05 * rng.random(rows)
    for step, loss in zip(steps.tolist(), losses.tolist()):
        history.append(np.array([1.0, 0.5]), step=step, epoch=step / 16, batch_loss=loss,
                       penalty=0.0, lr=0.05)  # fmt: skip
        if step % 1000 == 0:
            history.set_last(train_loss=loss, test_loss=loss * 1.1, train_accuracy=0.9,
                             test_accuracy=0.85)  # fmt: skip


def test_a_long_history_reaches_pyqtgraph_as_an_envelope(qtbot, panel, controller):
    rng = np.random.default_rng(0)
    n = 200_000
    history = History(2)
    synthetic_rows(history, n, rng)
    controller.trainer.history = history
    controller.history_changed.emit()
    panel.refresh()
    item = panel.loss.curves["batch_loss"]
    view = panel.loss_plot.getPlotItem().getViewBox()
    x, y = shown(item)
    losses = history.column("batch_loss")
    assert len(x) <= 4 * view.width() + 3  # 2-4 points per pixel column, not 200,000
    assert y.max() == losses.max() and y.min() == losses.min()
    assert np.isin(y, losses).all() and (np.diff(x) >= 0).all()
    assert (x[-1], y[-1]) == (n, losses[-1])
    assert len(shown(panel.loss.curves["test_loss"])[0]) == n // 1000
    assert_no_nan_plotted(panel)

    # Grown a frame at a time, it is the envelope drawn at once.
    for _ in range(4):
        synthetic_rows(history, 2500, rng)
        panel.refresh()
    grown = shown(item)
    controller.history_changed.emit()
    panel.refresh()
    for got, want in zip(shown(item), grown):
        np.testing.assert_array_equal(got, want)

    # Zoomed in on 300 steps: the rows themselves, a little beyond each edge.
    view.setXRange(100_000, 100_300, padding=0)
    x, y = shown(item)
    assert x[0] <= 100_000 and x[-1] >= 100_300 and len(x) < 320
    np.testing.assert_array_equal(y, history.column("batch_loss")[x.astype(int) - 1])


def test_nothing_trained_reads_as_such(panel):
    assert "No training yet" in panel.loss.readout.text()
    for item in line_items(panel):
        assert len(shown(item)[0]) == 0
    assert not math.isnan(panel.loss_plot.getPlotItem().getViewBox().viewRange()[0][0])


def test_accuracy_stands_beside_the_loss_in_a_wide_panel_and_below_in_a_tall_one(qtbot, panel):
    loss, accuracy = panel.loss_plot, panel.loss.accuracy_plot
    panel.resize(900, 260)  # the plots dock of the default window
    qtbot.waitUntil(lambda: panel.loss.side_by_side)
    qtbot.waitUntil(lambda: accuracy.geometry().left() >= loss.geometry().right())
    assert accuracy.height() > 0.6 * loss.height()  # a real plot, not a squashed strip
    assert loss.getAxis("bottom").label.isVisible() and accuracy.getAxis("bottom").label.isVisible()
    panel.resize(500, 700)
    qtbot.waitUntil(lambda: not panel.loss.side_by_side)
    qtbot.waitUntil(lambda: accuracy.geometry().top() >= loss.geometry().bottom())
    assert not loss.getAxis("bottom").label.isVisible()  # one x axis, under the lowest plot


@pytest.mark.parametrize("height", [110, 160, 300])
def test_log_axis_labels_never_touch_and_round_values_win(qtbot, height):
    from PySide6.QtGui import QImage, QPainter

    from simulator.ui import plots

    widget = plots._new_plot("gradient norm")
    qtbot.addWidget(widget)
    widget.setLogMode(y=True)
    widget.plot(np.arange(50), 0.09 + 0.8 * np.random.default_rng(0).random(50))
    widget.resize(400, height)
    widget.show()
    qtbot.waitExposed(widget)
    widget.getViewBox().autoRange()
    axis = widget.getAxis("left")
    qtbot.waitUntil(lambda: axis.range[0] < -1.0 < 0.0 < axis.range[1])  # 0.09 to 0.89
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _, _, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    rects = [rect for rect, _, _ in texts]
    labels = [text for _, _, text in texts]
    assert len(labels) >= 3
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            assert not a.intersects(b), labels
    assert "0.1" in labels and "1" in labels  # the decades keep their labels


def test_beside_the_loss_plot_the_accuracy_shows_the_same_steps(qtbot, panel, controller):
    panel.resize(1000, 260)
    qtbot.waitUntil(lambda: panel.loss.side_by_side)
    train(controller, 60)
    wait_drawn(qtbot, panel.loss.curves["batch_loss"], 60)
    loss_view = panel.loss_plot.getPlotItem().getViewBox()
    accuracy_view = panel.loss.accuracy_plot.getPlotItem().getViewBox()
    qtbot.waitUntil(
        lambda: np.allclose(accuracy_view.viewRange()[0], loss_view.viewRange()[0], rtol=1e-9)
    )
    # Panning the accuracy plot moves the loss plot with it.
    accuracy_view.setXRange(10, 30, padding=0)
    assert np.allclose(loss_view.viewRange()[0], [10, 30])


def test_x_follows_the_data_until_the_user_zooms_and_auto_brings_it_back(qtbot, panel, controller):
    view = panel.loss_plot.getPlotItem().getViewBox()
    train(controller, 30)
    wait_drawn(qtbot, panel.loss.curves["batch_loss"], 30)
    qtbot.waitUntil(lambda: view.viewRange()[0][0] < 1 and view.viewRange()[0][1] > 30)
    # A wheel zoom by the user: the range stays where the user put it while training goes on.
    before = list(view.viewRange()[0])
    wheel(panel.loss_plot, 2, Qt.KeyboardModifier.NoModifier)
    qtbot.waitUntil(lambda: view.viewRange()[0] != before)
    zoomed = list(view.viewRange()[0])
    train(controller, 30)
    qtbot.waitUntil(lambda: "step 60" in panel.loss.readout.text())
    assert view.viewRange()[0] == pytest.approx(zoomed)
    # pyqtgraph's "A" button: follow the data again.
    view.enableAutoRange()
    qtbot.waitUntil(lambda: view.viewRange()[0][1] > 60)
    assert not view.autoRangeEnabled()[0]  # followed by hand, not by pyqtgraph's auto-range


@pytest.mark.parametrize("per_frame", [30, 400])
def test_plots_follow_a_history_that_compacts_its_older_rows(qtbot, panel, controller, per_frame):
    rng = np.random.default_rng(0)
    history = History(2, budget_bytes=48 * 1024)  # 558 rows, then the oldest are compacted
    controller.trainer.history = history
    controller.history_changed.emit()
    panel.refresh()
    for _ in range(20):
        synthetic_rows(history, per_frame, rng)
        panel.refresh(hidden_too=True)
        x, y = shown(panel.loss.curves["batch_loss"])
        np.testing.assert_array_equal(x, history.column("step"))
        np.testing.assert_array_equal(y, history.column("batch_loss"))
        _gx, gy = shown(panel.gradient_flow.curves[0])
        np.testing.assert_array_equal(gy, history.column("grad_norms")[:, 0])
    assert history.full_resolution_start > 0


def dark_palette():
    from PySide6.QtGui import QColor, QPalette

    dark = QPalette()
    dark.setColor(QPalette.ColorRole.Window, QColor("#353535"))
    dark.setColor(QPalette.ColorRole.Base, QColor("#232323"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#e6e6e6"))
    dark.setColor(QPalette.ColorRole.WindowText, QColor("#e6e6e6"))
    return dark


def test_gradient_flow_layers_read_on_a_dark_plot_and_the_legend_covers_no_curve(
    qtbot, panel, controller, doc
):
    from simulator.ui.contrast import contrast
    from simulator.ui.plots import MIN_LINE_CONTRAST

    for _ in range(5):
        doc.add_layer()  # 7 weight layers, as in the vanishing-gradient examples
    train(controller, 10)
    click_tab(qtbot, panel, "Gradient flow")
    flow = panel.gradient_flow
    wait_drawn(qtbot, flow.curves[0], 10)
    for palette in (panel.palette(), dark_palette()):
        panel.setPalette(palette)
        base = flow.palette().color(flow.palette().ColorRole.Base)
        colours = [item.opts["pen"].color() for item in flow.curves]
        assert len(colours) == 7
        # Layer 1 was plasma's navy: on dark grey it all but vanished.
        for colour in colours:
            assert contrast(colour, base) >= MIN_LINE_CONTRAST - 0.01, colour.name()
        assert len({c.name() for c in colours}) == 7  # still one colour per layer
        # The readout's swatches use the same colours.
        assert colours[0].name() in flow.readout.text()
    # The legend sits under the plot, not on the curves.
    view = flow.plot.getPlotItem().getViewBox()
    legend = flow.plot.getPlotItem().legend
    assert legend.isVisible() and len(legend.items) == 7
    qtbot.waitUntil(lambda: legend.sceneBoundingRect().height() > 0)
    assert not legend.sceneBoundingRect().intersects(view.sceneBoundingRect())
    assert legend.sceneBoundingRect().top() >= view.sceneBoundingRect().bottom()
    assert legend.columnCount > 1  # a wide plot lays the names out in a few short rows


def test_the_batch_loss_shows_on_a_dark_plot(qtbot, panel):
    from PySide6.QtGui import QColor

    from simulator.ui.contrast import contrast

    for palette in (panel.palette(), dark_palette()):
        panel.setPalette(palette)
        base = panel.loss.palette().color(palette.ColorRole.Base)
        pen = panel.loss.curves["batch_loss"].opts["pen"].color()
        alpha = pen.alphaF()
        drawn = QColor.fromRgbF(*(b + alpha * (c - b) for b, c in zip(
            (base.redF(), base.greenF(), base.blueF()), (pen.redF(), pen.greenF(), pen.blueF())
        )))  # fmt: skip
        # Faint (it is the noisy line under the train loss), yet seen: at alpha 70 the dark
        # plot's batch loss had a contrast of 1.5.
        assert contrast(drawn, base) >= 2.0
        assert alpha < 0.75


def lines_taken(label) -> float:
    """How many lines of text ``label`` needs at its present width."""
    return label.heightForWidth(label.width()) / label.fontMetrics().lineSpacing()


def test_the_readout_fits_three_lines_of_a_narrow_dock_and_keeps_its_height(
    qtbot, panel, controller
):
    # The Plots dock of a 1366x768 screen is about 290 px wide; the readout once wrapped to
    # five lines there and changed height as the numbers changed.
    readout = panel.loss.readout

    def narrowed():
        # Narrowed, the panel drops its "x axis:" label and can then be as narrow as the dock.
        panel.resize(290, 640)
        return 0 < readout.width() <= 290

    qtbot.waitUntil(narrowed)
    heights = set()
    for step in range(1, 41):
        controller.step()
        panel.refresh()
        assert lines_taken(readout) < 3.5, readout.text()
        heights.add(readout.minimumHeight())
        if step == 1:
            assert "step 1" in readout.text() and "epoch" in readout.text()
    assert len(heights) == 1, heights  # from the first step on, one height
    text = readout.text()
    assert "batch" in text and "train" in text and "test" in text and "%" in text
    assert "evaluated" in readout.toolTip()  # when train and test loss were measured
    # The gradient page's two lines take two lines' height, not the placeholder's (which
    # wrapped before the first step).
    click_tab(qtbot, panel, "Gradient flow")
    flow = panel.gradient_flow.readout
    qtbot.waitUntil(lambda: "layer 2" in flow.text() and flow.width() <= 290)
    assert flow.minimumHeight() < 3 * flow.fontMetrics().lineSpacing()


def test_a_short_run_has_whole_steps_on_the_x_axis(qtbot, panel, controller):
    train(controller, 3)
    wait_drawn(qtbot, panel.loss.curves["batch_loss"], 3)
    for widget in (panel.loss_plot, panel.loss.accuracy_plot):
        axis = widget.getAxis("bottom")
        qtbot.waitUntil(lambda axis=axis: axis.range[1] - axis.range[0] < 4)
        values = [v for _, level in axis.tickValues(*axis.range, axis.width()) for v in level]
        assert values and all(float(v).is_integer() for v in values), values


def test_plots_repaint_at_most_five_times_a_second_while_playing(qtbot, panel, controller):
    controller.set_stop_condition(None)
    controller.set_speed(None)
    train(controller, 3)
    wait_drawn(qtbot, panel.loss.curves["batch_loss"], 3)
    paints = EventCounter([panel.loss_plot.viewport()])
    quiet(qtbot, paints)  # the paints of those steps done
    clock = ManualClock(tick=0.0005)  # every reading moves it 0.5 ms: time = work done
    controller.clock = clock
    start = clock.time
    controller.play()
    qtbot.waitUntil(lambda: clock.time - start >= 2.0, timeout=60_000)
    controller.pause()
    elapsed = clock.time - start
    interval = MIN_FRAME_MS / 1000
    assert interval == 0.2
    # One paint per frame (pyqtgraph fitting its y range at paint time asked for a second),
    # at most one frame per interval of the clock, and one for the pause.
    assert 3 <= paints.count <= elapsed / interval + 2


def test_plots_do_not_redraw_a_history_they_have_drawn(qtbot, panel, controller, monkeypatch):
    train(controller, 3)
    wait_drawn(qtbot, panel.loss.curves["batch_loss"], 3)
    drawn = []
    show_history = panel.loss.show_history
    monkeypatch.setattr(
        panel.loss, "show_history", lambda *a, **k: (drawn.append(1), show_history(*a, **k))
    )
    assert controller.step_phase() == "forward"  # no new row in the history
    panel.refresh()
    assert controller.step_phase() == "backward"
    panel.refresh()
    assert drawn == []
    assert controller.step_phase() == "update"  # a row
    panel.refresh()
    assert drawn == [1]
    wait_drawn(qtbot, panel.loss.curves["batch_loss"], 4)
