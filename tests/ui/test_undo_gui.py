"""Ctrl+Z in the window after training: the edit goes, the training since stays (issue 11)."""

import numpy as np
from PySide6.QtCore import Qt

from tests.app.test_undo_keeps_training import assert_params, drop_neuron, params, put_neuron
from tests.ui.test_canvas import assert_canvas_matches, click_button


def test_ctrl_z_after_training_removes_the_added_neuron_and_keeps_the_training(main_window, qtbot):
    win = main_window
    doc, ctl, canvas = win.document, win.controller, win.canvas
    untrained = params(doc.network)
    click_button(qtbot, canvas, "add_neuron", 1)
    assert doc.network.sizes == [2, 9, 1]
    for _ in range(25):
        qtbot.keyClick(win, Qt.Key_Right, Qt.ControlModifier)  # Train ▸ Step
    assert ctl.step_count == 25
    trained = params(doc.network)

    qtbot.keyClick(win, Qt.Key_Z, Qt.ControlModifier)
    assert doc.network.sizes == [2, 8, 1]
    assert_params(doc.network, drop_neuron(trained, 1, 8))
    assert not np.array_equal(doc.network.layers[0].weights, untrained[0][0])
    assert ctl.step_count == 25 and ctl.snapshot().weights[0][0].shape == (2, 8)
    assert_canvas_matches(canvas)  # the canvas draws the trained weights

    qtbot.keyClick(win, Qt.Key_Right, Qt.ControlModifier)  # training goes on from there
    assert ctl.step_count == 26 and ctl.trainer.net is doc.network
    stepped = params(doc.network)

    qtbot.keyClick(win, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)  # Redo
    assert doc.network.sizes == [2, 9, 1]  # the neuron as it was undone, the rest as trained
    assert_params(doc.network, put_neuron(stepped, 1, 8, trained))
    assert_canvas_matches(canvas)
