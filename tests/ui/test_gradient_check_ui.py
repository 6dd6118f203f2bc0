"""Train ▸ Check Gradients…: the dialog on a real window, its table and its canvas marks."""

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeySequence
from PySide6.QtWidgets import QDialogButtonBox

from simulator.engine import Network
from simulator.ui import gradient_check as gc
from tests.app.test_numbers import read_back


@pytest.fixture
def window(main_window):
    main_window.action = main_window.gradient_check_action  # installed by the window
    return main_window


def corrupt(monkeypatch, layer, kind, index, amount=1e-3):
    """Network.backward gets one entry wrong by ``amount`` (relative)."""
    backward = Network.backward

    def wrong(self, trace, Y):
        grads = backward(self, trace, Y)
        (grads.weights if kind == "weights" else grads.bias)[layer][index] *= 1.0 + amount
        return grads

    monkeypatch.setattr(Network, "backward", wrong)


def dialog_of(qtbot, window):
    dialog = window.findChild(gc.GradientCheckDialog)
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=10_000)
    return dialog


def column(dialog, name):
    col = gc.COLUMNS.index(name)
    return [dialog.table.item(row, col).text() for row in range(dialog.table.rowCount())]


def train(window, steps):
    for _ in range(steps):
        window.controller.step()


def test_install_adds_check_gradients_to_the_train_menu_with_a_free_shortcut(window):
    assert window.action in window.train_menu.actions()
    assert window.action.text().replace("&", "") == "Check Gradients…"
    assert window.action.shortcut() == QKeySequence("Ctrl+G")
    others = [
        a
        for a in window.findChildren(type(window.action))
        if a is not window.action and not a.shortcut().isEmpty()
    ]
    assert all(a.shortcut() != QKeySequence("Ctrl+G") for a in others)


def test_ctrl_g_shows_every_layer_in_agreement_and_marks_nothing(qtbot, window):
    train(window, 5)
    qtbot.keyClick(window, Qt.Key_G, Qt.ControlModifier)
    dialog = dialog_of(qtbot, window)
    # The default XOR network, 2-8-1: weights and biases of both layers.
    assert column(dialog, "Layer") == [
        "layer 1 (2→8) weights",
        "layer 1 (2→8) biases",
        "layer 2 (8→1) weights",
        "layer 2 (8→1) biases",
    ]
    assert column(dialog, "Checked") == ["16", "8", "8", "1"]
    assert column(dialog, "Verdict") == ["all agree", "all agree", "all agree", "agrees"]
    errors = column(dialog, "Worst relative error")
    assert all(read_back(text) < 1e-5 for text in errors), errors
    assert not any("e" in text or "-" in text for text in errors), errors  # 1.2×10⁻⁸
    assert dialog.summary.text().find("All gradients agree with finite differences to") >= 0
    for text in (dialog.summary.text(), dialog.details.text()):  # "10⁻⁵", not "1e-05"
        assert not re.search(r"\d[eE][+-]?\d", re.sub("<[^>]*>", "", text)), text
    assert "the batch of step 5" in dialog.details.text()
    assert window.canvas.marked_items() == []
    assert not dialog.isModal()


def test_a_perturbed_gradient_is_red_counted_and_marked_until_the_dialog_closes(
    qtbot, window, monkeypatch
):
    train(window, 3)
    corrupt(monkeypatch, 0, "weights", (1, 3))
    corrupt(monkeypatch, 1, "bias", (0,), amount=-2e-3)
    window.action.trigger()
    dialog = dialog_of(qtbot, window)
    assert "2 gradients disagree" in dialog.summary.text()
    assert "highlighted on the canvas" in dialog.summary.text()
    assert column(dialog, "Verdict") == ["1 disagrees", "all agree", "all agree", "1 disagrees"]
    places = column(dialog, "At")
    output = window.document.data.output_labels[0]  # as the canvas names it: "p(class 1)"
    assert places[0] == "x2 → h1_4" and places[3] == f"bias of {output}"
    red = QColor(gc.BAD_COLOUR)
    rows_red = [
        dialog.table.item(row, 0).foreground().color() == red
        for row in range(dialog.table.rowCount())
    ]
    assert rows_red == [True, False, False, True]
    canvas = window.canvas
    assert set(canvas.marked_items()) == {canvas.connection_item(0, 1, 3), canvas.neuron_item(2, 0)}

    # Close with the dialog's own button: the marks go with it.
    close = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Close)
    qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    assert canvas.marked_items() == []


def test_check_again_after_a_fix_clears_the_marks(qtbot, window, monkeypatch):
    corrupt(monkeypatch, 1, "weights", (5, 0))
    window.action.trigger()
    dialog = dialog_of(qtbot, window)
    assert window.canvas.marked_items() == [window.canvas.connection_item(1, 5, 0)]
    monkeypatch.undo()
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    assert "All gradients agree" in dialog.summary.text()
    assert window.canvas.marked_items() == []


def test_a_playing_run_is_paused_for_the_check_and_says_so(qtbot, window):
    controller = window.controller
    controller.play()
    qtbot.waitUntil(lambda: controller.step_count > 3, timeout=5000)
    window.action.trigger()
    dialog = dialog_of(qtbot, window)
    assert not controller.playing
    assert dialog.note.isVisible()
    assert f"paused at step {controller.step_count:,}" in dialog.note.text()
    step = controller.step_count
    qtbot.wait(50)
    assert controller.step_count == step
