"""The Inspector dock on a real MainWindow: canvas clicks, Step, the data plot, Play."""

import math
import re

import numpy as np
import pytest
from PySide6.QtCore import Qt

from simulator.app.clock import ManualClock
from simulator.app.inspection import fmt, term_text
from simulator.ui import inspector as inspector_module
from simulator.ui.canvas import SelectedConnection, SelectedNeuron
from tests.ui.test_canvas import click
from tests.ui.test_data_panel import click_plot, click_sample, isolated_sample


@pytest.fixture
def window(main_window):
    """The shared window of tests/ui/conftest.py."""
    return main_window


@pytest.fixture
def dock(window, qtbot):
    dock = window.inspector  # installed by the window
    dock.raise_()
    qtbot.waitUntil(dock.isVisible, timeout=10_000)
    return dock


def text(dock) -> str:
    return dock.view.toPlainText()


def test_install_adds_a_dock_beside_settings_with_a_view_menu_toggle(window, dock):
    assert window.dockWidgetArea(dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert dock in window.tabifiedDockWidgets(window.settings_dock)
    assert dock.toggleViewAction() in window.view_menu.actions()
    assert "Nothing selected" in text(dock) and dock.facts is None


def test_a_clicked_connection_shows_the_engines_numbers_after_a_step(window, dock, qtbot):
    window.document.set_optimizer("Adam")  # the test reads Adam's terms (m, v, m̂, v̂)
    canvas = window.canvas
    click(qtbot, canvas, canvas.connection_item(1, 2, 0))
    assert dock.selection == SelectedConnection(1, 2, 0, canvas.selection().name)
    assert "No gradients yet" in text(dock)
    window.training_toolbar.step_action.trigger()
    window.training_toolbar.step_action.trigger()
    trainer = window.controller.trainer
    facts = dock.facts
    assert facts.grad == trainer.grads.weights[1][2, 0]
    assert facts.w == trainer.last_good[1][0][2, 0]
    assert facts.w_now == trainer.net.layers[1].weights[2, 0]
    delta = trainer.optimizer.last_update(1, "weights")[2, 0]
    explanation = trainer.explain_update(1, "weights", (2, 0))
    assert facts.optimizer.explanation == explanation and explanation.applied == delta
    # The batch gradient as the mean of the per-sample products, every number on screen.
    n = len(trainer.batch_index)
    products = n * trainer.grads.deltas[1][:, 0] * trainer.trace.layers[1].input[:, 2]
    assert math.isclose(facts.data_grad, products.mean(), rel_tol=1e-12)
    shown = text(dock)
    for value in (facts.w, facts.grad, facts.data_grad, delta, facts.w_now):
        assert fmt(value) in shown
    # The update section is the engine's explanation, every term with its value.
    for term in explanation.terms:
        line = f"{term_text(term)} = {fmt(term.value)}".replace("_", "")
        assert " ".join(line.split()) in " ".join(shown.split())
    assert (
        "Adam" in shown
        and "mhat = m / (1 − β₁ᵗ)" in shown
        and "step 2, after the update" in dock.title_label.text()
    )


def test_a_clicked_neuron_and_a_sample_from_the_data_plot(window, dock, qtbot):
    canvas, panel = window.canvas, window.data_panel
    click(qtbot, canvas, canvas.neuron_item(1, 3))
    assert dock.selection == SelectedNeuron(1, 3, "h1_4")
    window.training_toolbar.step_action.trigger()
    trainer = window.controller.trainer
    index = isolated_sample(panel)
    with qtbot.waitSignal(panel.sample_selected, timeout=10_000):
        click_sample(qtbot, panel, index)
    assert dock.sample == index and dock.sample_spin.value() == index
    facts = dock.facts
    assert facts.sample == index
    row = np.flatnonzero(trainer.batch_index == index)
    if row.size:  # in the batch: the batch's own row of the forward pass and deltas
        assert facts.z == trainer.trace.layers[0].z[row[0], 3]
        n = len(trainer.batch_index)
        assert math.isclose(facts.delta, n * trainer.grads.deltas[0][row[0], 3], rel_tol=1e-12)
        assert dock.batch_label.text() == "in this batch"
    else:
        assert dock.batch_label.text() == "not in this batch"
    assert math.isclose(facts.delta, facts.dl_da * facts.fprime, rel_tol=1e-12)
    assert f"sample #{index}" in dock.title_label.text()
    assert fmt(facts.delta) in text(dock) and "f′(z)" in text(dock)
    # Picking in the selector rings the sample in the plot; "batch mean" clears it.
    dock.sample_spin.setValue(5)
    assert panel.selected_sample == 5 and dock.facts.sample == 5
    qtbot.mouseClick(dock.mean_button, Qt.MouseButton.LeftButton)
    assert panel.selected_sample is None and dock.sample is None
    assert dock.sample_spin.text() == "batch mean"
    assert math.isclose(dock.facts.delta, trainer.grads.bias[0][3], rel_tol=1e-12)
    # A click beside the points goes back to the batch mean as well.
    click_sample(qtbot, panel, index)
    click_plot(qtbot, panel, 5.9, -5.9)
    assert dock.sample is None


@pytest.fixture
def refreshes(monkeypatch):
    """Every InspectorDock.refresh, as the dock's step count then.  Patched before the window
    is made (list it before ``window``): the dock's frame timer holds the method it had."""
    calls = []
    original = inspector_module.InspectorDock.refresh

    def counting(self):
        calls.append(self.controller.step_count)
        original(self)

    monkeypatch.setattr(inspector_module.InspectorDock, "refresh", counting)
    return calls


def test_while_playing_it_updates_at_most_five_times_a_second(refreshes, window, qtbot):
    calls = refreshes
    clock = ManualClock(tick=0.0005)  # every reading moves it 0.5 ms: time = work done
    window.controller.clock = clock
    dock = window.inspector  # installed by the window
    dock.raise_()
    click(qtbot, window.canvas, window.canvas.connection_item(0, 1, 2))
    calls.clear()
    start = clock.time
    window.training_toolbar.play_action.trigger()
    qtbot.waitUntil(lambda: clock.time - start >= 1.0, timeout=60_000)
    elapsed = clock.time - start
    window.training_toolbar.play_action.trigger()  # pause: one exact refresh
    assert calls[-1] == window.controller.step_count
    playing = calls[:-1]
    interval = inspector_module.PLAYING_INTERVAL_MS / 1000
    # At most one refresh per interval of the clock; one at least every interval and a frame.
    assert elapsed / (interval + 0.05) - 1 <= len(playing) <= elapsed / interval + 1
    assert playing[-1] > 0
    facts = dock.facts
    assert facts.has_gradients
    assert facts.grad == window.controller.trainer.grads.weights[0][1, 2]
    assert (
        facts.optimizer.explanation.applied
        == window.controller.trainer.optimizer.last_update(0, "weights")[1, 2]
    )


def test_the_dock_stays_as_narrow_as_the_settings_beside_it(window, dock, qtbot):
    click(qtbot, window.canvas, window.canvas.connection_item(0, 1, 2))
    window.controller.step()
    qtbot.waitUntil(lambda: dock.facts is not None and dock.facts.has_gradients)
    assert dock.minimumSizeHint().width() <= max(300, window.settings_dock.minimumWidth())


def test_rewound_it_shows_the_numbers_of_the_step_shown(window, dock, qtbot):
    from simulator.app.document import Document
    from simulator.app.training import TrainingController

    click(qtbot, window.canvas, window.canvas.connection_item(0, 1, 2))
    for _ in range(10):
        window.controller.step()
    window.controller.rewind_to(5)
    # A run of the same project stopped at step 5.
    twin = TrainingController(Document(window.document.project))
    for _ in range(5):
        twin.step()
    expected = twin.trainer.grads.weights[0][1, 2]
    qtbot.waitUntil(lambda: dock.facts is not None and dock.facts.grad == expected)
    assert dock.facts.w_now == twin.trainer.net.layers[0].weights[1, 2]
    assert "step 5" in dock.title_label.text()
    window.controller.leave_rewind()
    qtbot.waitUntil(lambda: dock.facts.grad == window.controller.trainer.grads.weights[0][1, 2])
    twin.shutdown()


def test_settings_read_on_or_off_and_numbers_have_real_minus_signs(window, dock, qtbot):
    # Issue 13: the inspector printed "amsgrad = False".
    window.document.set_optimizer("Adam")
    canvas = window.canvas
    click(qtbot, canvas, canvas.connection_item(0, 0, 0))
    window.training_toolbar.step_action.trigger()
    shown = text(dock)
    assert "amsgrad = off" in shown
    assert "False" not in shown and "True" not in shown
    assert re.search(r"[−]\d", shown)  # some negative number, written with "−"
    assert not re.search(r"-\d", shown), re.findall(r".{20}-\d.{5}", shown)
