"""The loss plot's scale: linear for a new user until the loss has fallen a decade, then log;
a scale the user picks is kept (and remembered) instead."""

import numpy as np
from PySide6.QtCore import QSettings, Qt

from simulator.engine.trainer import History
from simulator.ui.plots import fallen_a_decade
from tests.ui.conftest import show_plots_panel

make_panel = show_plots_panel


def train_until_fallen_a_decade(controller, most=2000):
    for _ in range(most):
        controller.step()
        if fallen_a_decade(controller.history):
            return
    raise AssertionError("the loss never fell a decade")


def history_of(losses):
    history = History(n_layers=1)
    for step, loss in enumerate(losses, 1):
        history.append(np.ones(1), step=step, epoch=step, batch_loss=loss, train_loss=loss)
    return history


def test_fallen_a_decade_compares_with_the_first_loss():
    assert not fallen_a_decade(history_of([]))
    assert not fallen_a_decade(history_of([0.7]))
    assert not fallen_a_decade(history_of([0.7, 0.5, 0.0701]))
    assert fallen_a_decade(history_of([0.7, 0.5, 0.069]))
    assert fallen_a_decade(history_of([0.7, 0.05, 0.3]))  # once fallen, it counts


def test_a_new_user_sees_the_loss_turn_logarithmic_once_it_fell_a_decade(qtbot, controller):
    panel = make_panel(qtbot, controller)
    assert panel.loss_log_auto and not panel.loss.log_y
    train_until_fallen_a_decade(controller)
    qtbot.waitUntil(lambda: panel.loss.log_y)
    assert panel.loss.log_checkbox.isChecked()
    assert not QSettings().contains("plots/loss_log")  # not the user's choice
    controller.reset()  # a new history starts linear again
    qtbot.waitUntil(lambda: not panel.loss.log_y)


def test_a_scale_the_user_chose_is_kept(qtbot, controller):
    panel = make_panel(qtbot, controller)
    qtbot.mouseClick(panel.loss.log_checkbox, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.loss.log_checkbox, Qt.MouseButton.LeftButton)  # back to linear
    assert not panel.loss_log_auto and not panel.loss.log_y
    train_until_fallen_a_decade(controller)
    panel.refresh()
    assert not panel.loss.log_y
    again = make_panel(qtbot, controller)  # the next start keeps the choice
    again.refresh()
    assert not again.loss_log_auto and not again.loss.log_y
