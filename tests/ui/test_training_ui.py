"""Training from the window: Space, Step, the phase buttons, the status bar, divergence."""

import math

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton


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
    before = ctl.trainer.evaluate()["train_loss"]
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key_Space)
    assert ctl.playing and window.training_toolbar.play_action.text() == "Pause"
    qtbot.waitUntil(lambda: ctl.step_count >= 200, timeout=10_000)
    qtbot.keyClick(window.canvas, Qt.Key_Space)
    assert not ctl.playing
    assert ctl.trainer.evaluate()["train_loss"] < before
    status = window._training_status.text()
    assert f"step {ctl.step_count:,}" in status and "accuracy" in status


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
    assert f"train loss {figures['train_loss']:.4g}" in status
    assert f"test loss {figures['test_loss']:.4g}" in status
    assert f"accuracy {figures['test_accuracy']:.1%}" in status
