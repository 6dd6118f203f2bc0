"""Training from the window: Space, Step, the phase buttons, the status bar, divergence."""

import math

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QToolButton

from simulator.app.inspection import fmt
from simulator.app.training import WATCHABLE_SPEED, StopCondition
from simulator.ui.training_toolbar import SETTINGS_SPEED, TrainingToolbar


@pytest.fixture
def window(main_window):
    """The shared window of tests/ui/conftest.py."""
    return main_window


def tool_button(window, action):
    return next(
        w for w in window.training_toolbar.findChildren(QToolButton) if w.defaultAction() is action
    )


def test_space_plays_and_pauses_and_the_loss_falls(window, qtbot):
    ctl = window.controller
    window.training_toolbar.toggle_max_speed()  # 200 steps at max speed
    before = ctl.trainer.evaluate()["train_loss"]
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key_Space)
    assert ctl.playing and window.training_toolbar.play_action.text() == "Pause"
    qtbot.waitUntil(lambda: ctl.step_count >= 200, timeout=10_000)
    qtbot.keyClick(window.canvas, Qt.Key_Space)
    assert not ctl.playing
    assert ctl.trainer.evaluate()["train_loss"] < before
    status = window._training_status.text()
    assert f"step {ctl.step_count:,}" in status and "test acc." in status


def test_step_button_advances_exactly_one_step(window, qtbot):
    qtbot.mouseClick(tool_button(window, window.training_toolbar.step_action), Qt.LeftButton)
    assert window.controller.step_count == 1
    assert "step 1" in window._training_status.text()


def test_phase_buttons_show_which_phase_comes_next(window, qtbot):
    tb = window.training_toolbar
    assert "Next: Forward" in tb.phase_label.text()
    qtbot.mouseClick(tool_button(window, tb.forward_action), Qt.LeftButton)
    assert window.controller.next_phase == "backward" and "Next: Backward" in tb.phase_label.text()
    qtbot.mouseClick(tool_button(window, tb.backward_action), Qt.LeftButton)
    assert "Next: Update" in tb.phase_label.text()
    qtbot.mouseClick(tool_button(window, tb.update_action), Qt.LeftButton)
    assert window.controller.step_count == 1 and "Next: Forward" in tb.phase_label.text()
    # Update from the start of a step runs the forward and backward phases first.
    qtbot.mouseClick(tool_button(window, tb.update_action), Qt.LeftButton)
    assert window.controller.step_count == 2


def test_phases_say_the_batch_loss_and_the_toggles_say_what_the_connections_show(window, qtbot):
    tb, ctl, canvas = window.training_toolbar, window.controller, window.canvas
    assert tb.weights_mode.isChecked() and canvas.mode() == "weights"
    qtbot.keyClick(window, Qt.Key_F)  # the forward pass ends in the batch's loss: it says so
    after_forward = tb.phase_label.text()
    assert "Loss on this batch L = " in after_forward and "Next: Backward" in after_forward
    qtbot.keyClick(window, Qt.Key_B)
    # backward's own loss (computed with the output's delta) is the number Forward showed
    assert f"L = {fmt(ctl.trainer.grads.loss)}<" in after_forward
    # the connections show the gradients: the toggle says so, and Play would go on with them
    assert tb.gradients_mode.isChecked() and not tb.weights_mode.isChecked()
    assert canvas.mode() == "gradients" and canvas.showing() == "backward"
    qtbot.keyClick(window, Qt.Key_U)
    assert tb.weights_mode.isChecked() and canvas.mode() == "weights"
    assert ctl.step_count == 1 and "Loss on this batch" not in tb.phase_label.text()


def test_reset_restores_the_seeded_weights(window, qtbot):
    initial = window.document.project.build_network().get_weights()
    for _ in range(3):
        window.controller.step()
    window.training_toolbar.reset_action.trigger()
    assert window.controller.step_count == 0
    for (w, _), layer in zip(initial, window.document.network.layers):
        assert (layer.weights == w).all()


def test_divergence_pauses_and_offers_the_last_good_weights(window, qtbot):
    doc = window.document
    doc.set_dataset("plane")
    doc.set_optimizer("SGD")
    doc.set_learning_rate(100.0)
    with qtbot.waitSignal(window.controller.diverged, timeout=10_000):
        window.training_toolbar.play_action.trigger()
    box = window._divergence_box
    assert box is not None and box.isVisible() and "learning rate" in box.text()
    assert not window.controller.playing
    assert window.training_toolbar.restore_action.isEnabled()
    doc.set_learning_rate(0.01)
    qtbot.mouseClick(box.restore_button, Qt.LeftButton)
    assert window.controller.trainer.diverged is None
    window.controller.step()
    assert math.isfinite(window.controller.history.last("batch_loss"))


def test_train_menu_lists_the_training_actions(window):
    texts = [a.text() for a in window.train_menu.actions() if a.text()]
    for name in ("Play", "Step", "Forward", "Backward", "Update", "Reset"):
        assert name in texts
    assert window.training_toolbar.play_action.shortcut().toString() == "Space"


def test_the_status_bar_shows_the_new_datas_figures_right_after_a_data_switch(window, qtbot):
    from tests.ui.test_data_panel import click_thumbnail

    for _ in range(40):
        window.controller.step()
    xor_status = window._training_status.text()
    window.data_dock.show()
    window.data_dock.raise_()
    click_thumbnail(qtbot, window.data_panel, "digits")
    assert window.document.project.data.dataset == "digits"
    figures = window.controller.trainer.evaluate()  # the network on the digits, now
    status = window._training_status.text()
    assert status != xor_status
    assert f"train loss {fmt(figures['train_loss'])}" in status
    assert f"test loss {fmt(figures['test_loss'])}" in status
    assert f"test acc. {figures['test_accuracy']:.1%}" in status


def test_a_new_user_plays_at_a_watchable_speed_with_max_speed_one_click_away(window, qtbot):
    tb, ctl = window.training_toolbar, window.controller
    assert ctl.speed == WATCHABLE_SPEED == 20
    assert tb.speed_combo.currentText() == "20 steps/s"
    assert not tb.max_speed_action.isChecked()
    qtbot.mouseClick(tool_button(window, tb.max_speed_action), Qt.LeftButton)
    assert ctl.speed is None and tb.speed_combo.currentText() == "max speed"
    assert tb.max_speed_action.isChecked()
    assert QSettings().value(SETTINGS_SPEED) == "max"
    qtbot.mouseClick(tool_button(window, tb.max_speed_action), Qt.LeftButton)
    assert ctl.speed == 20 and not tb.max_speed_action.isChecked()


def test_the_chosen_speed_is_remembered(window, qtbot):
    tb = window.training_toolbar
    tb.speed_combo.setCurrentIndex(tb.speed_combo.findText("100 steps/s"))
    assert window.controller.speed == 100
    other = TrainingToolbar(window.controller)
    qtbot.addWidget(other)
    assert other.speed_combo.currentText() == "100 steps/s" and window.controller.speed == 100
    QSettings().setValue(SETTINGS_SPEED, "max")
    fast = TrainingToolbar(window.controller)
    qtbot.addWidget(fast)
    assert window.controller.speed is None and fast.max_speed_action.isChecked()


def test_the_toolbar_shows_and_edits_where_play_stops(window, qtbot):
    tb, ctl, doc = window.training_toolbar, window.controller, window.document
    assert tb.stop_combo.currentText() == "epoch" and tb.stop_value.text() == "50"
    assert tb.stop_value.isEnabled() and not doc.is_modified
    # Epochs to steps: the same point of the run.
    tb.stop_combo.setCurrentIndex(tb.stop_combo.findText("step"))
    per_epoch = ctl.trainer.batches.batches_per_epoch
    assert ctl.stop_condition == StopCondition("steps", 50 * per_epoch)
    assert tb.stop_value.text() == str(50 * per_epoch) and doc.is_modified
    tb.stop_value.setFocus()
    tb.stop_value.selectAll()
    qtbot.keyClicks(tb.stop_value, "37")
    qtbot.keyClick(tb.stop_value, Qt.Key_Return)
    assert ctl.stop_condition == StopCondition("steps", 37)
    assert doc.project.training.steps == 37
    messages = []
    ctl.message.connect(messages.append)
    tb.stop_value.setText("2.5")  # not a whole number of steps: refused, said why
    tb.stop_value.editingFinished.emit()
    assert ctl.stop_condition == StopCondition("steps", 37) and "whole number" in messages[-1]
    window.training_toolbar.toggle_max_speed()
    with qtbot.waitSignal(ctl.finished):
        ctl.play()
    assert ctl.step_count == 37 and not ctl.playing
    assert "Stopped at step 37" in window.statusBar().currentMessage()
    # A target loss; then none.
    tb.stop_combo.setCurrentIndex(tb.stop_combo.findText("loss ≤"))
    assert ctl.stop_condition == StopCondition("loss", 0.01) and tb.stop_value.text() == "0.01"
    tb.stop_value.setText("1e-4")  # typed as Python writes it, shown as the plots do
    tb.stop_value.editingFinished.emit()
    assert ctl.stop_condition == StopCondition("loss", 1e-4) and tb.stop_value.text() == "1×10⁻⁴"
    tb.stop_combo.setCurrentIndex(tb.stop_combo.findText("no limit"))
    assert ctl.stop_condition is None and not tb.stop_value.isEnabled()
    assert tb.stop_value.text() == ""
    # Undo brings back what the project had, and the toolbar shows it.
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert tb.stop_combo.currentText() == "epoch" and tb.stop_value.text() == "50"


def test_every_training_control_fits_the_toolbar_at_1366(window, qtbot):
    window.resize(1366, 740)
    tb = window.training_toolbar
    qtbot.waitUntil(lambda: tb.width() >= 1200)
    for widget in (tb.speed_combo, tb.stop_combo, tb.stop_value, tb.phase_label):
        qtbot.waitUntil(widget.isVisible)
    for action in (tb.play_action, tb.max_speed_action, tb.gradients_mode):
        assert tb.widgetForAction(action).isVisible()
    qtbot.waitUntil(tb.widgetForAction(window.lessons_action).isVisible)


def icon_ink(action):
    """The mean lightness (0 … 255) of an action's icon where it is drawn (alpha > half)."""
    image = action.icon().pixmap(24, 24).toImage()
    values = [
        image.pixelColor(x, y).lightness()
        for x in range(image.width())
        for y in range(image.height())
        if image.pixelColor(x, y).alpha() > 128
    ]
    assert values, "an empty icon"
    return sum(values) / len(values)


def test_media_icons_follow_the_palette(qtbot, controller_toolbar):
    from PySide6.QtGui import QColor, QPalette

    toolbar = controller_toolbar
    actions = (toolbar.play_action, toolbar.step_action, toolbar.max_speed_action)
    light = QPalette()
    light.setColor(QPalette.ColorRole.Button, QColor("#efefef"))
    light.setColor(QPalette.ColorRole.ButtonText, QColor("#000000"))
    toolbar.setPalette(light)
    assert all(icon_ink(a) < 80 for a in actions)
    # Dark grey buttons: the style's black icons vanished; drawn in the button text they show.
    dark = QPalette()
    dark.setColor(QPalette.ColorRole.Button, QColor("#353535"))
    dark.setColor(QPalette.ColorRole.ButtonText, QColor("#e6e6e6"))
    toolbar.setPalette(dark)
    assert all(icon_ink(a) > 180 for a in actions)
    # Pause, once playing, too.
    toolbar.controller.playing_changed.emit(True)
    assert toolbar.play_action.text() == "Pause" and icon_ink(toolbar.play_action) > 180


@pytest.fixture
def controller_toolbar(qtbot, doc, tmp_path):
    from simulator.app.training import TrainingController

    controller = TrainingController(doc)
    settings = QSettings(str(tmp_path / "toolbar.ini"), QSettings.IniFormat)
    toolbar = TrainingToolbar(controller, settings=settings)
    qtbot.addWidget(toolbar)
    yield toolbar
    controller.shutdown()


@pytest.mark.parametrize("width", [1280, 1366])
def test_status_bar_readout_never_clips_and_a_long_message_stops_short_of_it(window, qtbot, width):
    # 1280: the window's default width on a 1366×768 screen.
    window.resize(width, 740)
    qtbot.waitUntil(lambda: window.width() == width)
    ctl = window.controller
    ctl.set_stop_condition(None)
    window.training_toolbar.toggle_max_speed()
    ctl.play()
    readout, summary, bar = window._training_status, window._summary, window.statusBar()
    qtbot.waitUntil(lambda: "steps/s" in readout.text() and ctl.step_count > 1000)
    path = "/home/a-learner/Documents/backprop-lab/exports/" + "very-long-folder/" * 4
    window.show_message(f"Exported the network picture to {path}network.png")
    # Playing on, the readout changes every frame: it shows whole each time.
    for _ in range(5):
        shown = readout.text()
        qtbot.waitUntil(lambda shown=shown: readout.text() != shown)
        qtbot.waitUntil(lambda: fits(readout))
        assert readout.text().endswith("steps/s")
        assert blank_before(bar, readout, 10)  # the message ends short of the readout
        drawn = bar.shown_message()
        assert "…" in drawn and drawn.endswith("network.png")
        assert summary.fits() or summary.text() in summary.toolTip()
    assert "network.png" in bar.toolTip()  # the whole message, where it was cut
    ctl.pause()


def fits(label) -> bool:
    """``label``'s whole text fits in it."""
    return label.fontMetrics().horizontalAdvance(label.text()) <= label.contentsRect().width()


def blank_before(bar, widget, gap: int) -> bool:
    """Nothing is drawn on ``bar`` in the ``gap`` pixels left of ``widget``."""
    image = bar.grab().toImage()
    ratio = image.devicePixelRatio()
    background = image.pixelColor(1, image.height() // 2)
    left = widget.geometry().left()
    return all(
        image.pixelColor(int(x * ratio), int(y * ratio)) == background
        for x in range(left - gap, left - 1)
        for y in range(widget.geometry().top(), widget.geometry().bottom())
    )


def test_status_bar_says_which_samples_its_figures_come_from(window, qtbot):
    window.controller.step()
    status, tip = window._training_status.text(), window._training_status.toolTip()
    n_test = len(window.document.data.test_index)
    assert "test acc." in status and "epoch 0.06" in status
    assert f"the {n_test} test samples" in tip


def test_epochs_read_as_numbers_not_as_step_counts():
    from simulator.app.numbers import epoch as format_epoch

    assert format_epoch(25844.0) == "25,844"
    assert format_epoch(1615.25) == "1,615.25"
    assert format_epoch(401.0625) == "401.06"
    assert format_epoch(0.5) == "0.5"
