"""The Optimizer Lab window driven through its widgets: a race of three optimizers against the
engine's own Race, the table's edits, a click on the map, the step arrows and readout, the
surface picker, and redraws paced by the injected clock."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QMainWindow

from simulator.app import optimizer_lab as lab_module
from simulator.app.clock import ManualClock
from simulator.app.numbers import fmt
from simulator.app.optimizer_lab import FRAME_INTERVAL_S
from simulator.engine import optimizers
from simulator.engine.surfaces import SURFACES, Race
from simulator.ui.optimizer_lab import TITLE, OptimizerLabWindow, open_optimizer_lab
from simulator.ui.optimizer_lab_readout import format_value
from simulator.ui.optimizer_lab_table import DIVERGED, NAME, OPTIMIZER, REACHED, SETTINGS, VALUE

# Each reading of the lab's clock moves it 5 ms, as in tests/app/test_optimizer_lab.py.
LAB_CLOCK_TICK = 0.005


@pytest.fixture(autouse=True)
def work_paced_lab_clock(monkeypatch):
    monkeypatch.setattr(lab_module, "Clock", lambda: ManualClock(tick=LAB_CLOCK_TICK))


def show(qtbot, window: OptimizerLabWindow) -> OptimizerLabWindow:
    qtbot.addWidget(window)
    window.resize(1366, 740)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # the window's shortcuts work in the active window
    return window


@pytest.fixture
def window(qtbot):
    win = show(qtbot, OptimizerLabWindow())
    yield win
    win.controller.shutdown()


def drawn(qtbot, window, after: int) -> None:
    """Wait until the window has drawn a frame after its ``after``-th."""
    qtbot.waitUntil(lambda: window.frames_drawn > after)


def paused_and_drawn(qtbot, window) -> None:
    """Wait until the controller has stopped and the window has drawn the state it stopped
    in (the step line under the window is written at every draw)."""
    c = window.controller
    qtbot.waitUntil(lambda: not c.playing)
    line = f"step {c.steps:,} of at most {c.step_limit:,} · paused"
    qtbot.waitUntil(lambda: window.step_label.text() == line)


def cell(window, row: int, column: int) -> str:
    return window.table.table.item(row, column).text()


def edit_cell(qtbot, window, row: int, column: int, text: str) -> None:
    """Edit a text cell as a user does: select it, F2, replace the text, Enter."""
    table = window.table.table
    table.setFocus()
    table.setCurrentCell(row, column)
    qtbot.keyClick(table, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit), editor
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)


def engine_race(steps: int, tolerance: float = 1e-3) -> Race:
    """The reference: the engine's Race with the lab's three default optimizers, built here."""
    race = Race(SURFACES["rosenbrock"], tolerance=tolerance)
    race.add("SGD", optimizers.SGD(lr=1e-3))
    race.add("SGD + momentum", optimizers.SGD(lr=1e-3, momentum=0.9))
    race.add("Adam", optimizers.Adam(lr=0.05))
    race.run(steps)
    return race


def test_three_optimizers_race_100_steps_exactly_as_the_engine(qtbot, window):
    assert window.windowTitle() == TITLE
    assert [cell(window, row, OPTIMIZER) for row in range(3)] == ["SGD", "Momentum", "Adam"]
    window.controller.step_limit = 100  # the limit has no widget: the race stops at step 100
    speed = window.speed_combo
    speed.setFocus()
    while speed.currentData() != 20:  # 20 steps a frame, chosen with the keyboard
        qtbot.keyClick(speed, Qt.Key.Key_Down)
    tolerance = window.tolerance_edit
    tolerance.setFocus()
    tolerance.selectAll()
    qtbot.keyClicks(tolerance, "5")  # f − min ≤ 5: some get there within 100 steps
    qtbot.keyClick(tolerance, Qt.Key.Key_Return)
    assert window.controller.tolerance == 5.0
    window.map.setFocus()
    with qtbot.waitSignal(window.controller.finished) as finished:
        qtbot.keyClick(window, Qt.Key.Key_Space)
    assert finished.args == ["The step limit (100 steps) is reached"]
    paused_and_drawn(qtbot, window)

    reference = engine_race(100, tolerance=5.0)
    minimum = SURFACES["rosenbrock"].minimum
    assert window.controller.steps == 100
    for row, (entry, racer) in enumerate(zip(window.controller.racers, reference.racers)):
        np.testing.assert_array_equal(entry.trail, racer.trail)
        np.testing.assert_array_equal(entry.values, racer.values)
        # What the map and the loss plot draw is that trail and those values.
        np.testing.assert_array_equal(window.map.racer_items[row].drawn_trail(), racer.trail)
        x, y = window.loss_plot.curves[row].getData()
        np.testing.assert_array_equal(x, np.arange(101))
        np.testing.assert_array_equal(y, np.log10(np.maximum(racer.values - minimum, 1e-30)))
        reached = "—" if racer.reached_at is None else f"{racer.reached_at:,}"
        assert cell(window, row, REACHED) == reached
        assert cell(window, row, VALUE) == fmt(racer.value)
        assert cell(window, row, DIVERGED) == "no"
    assert {r.reached_at is None for r in reference.racers} == {True, False}  # both kinds shown
    assert "step 100" in window.step_label.text()


def test_settings_are_edited_in_the_table_and_a_bad_value_is_refused(qtbot, window):
    c = window.controller
    sgd = c.racers[0]
    before = sgd.optimizer
    edit_cell(qtbot, window, 0, SETTINGS, "lr=-1")
    qtbot.waitUntil(window.table.error_label.isVisible)
    message = window.table.error_label.text()
    assert "Invalid learning rate: -1.0 (must be >= 0)" in message
    assert "The settings stay lr=0.001" in message
    assert sgd.optimizer is before and cell(window, 0, SETTINGS) == "lr=0.001"
    assert message in window.statusBar().currentMessage()

    edit_cell(qtbot, window, 0, SETTINGS, "lr=0.01")  # too large here: it diverges
    qtbot.waitUntil(lambda: sgd.optimizer.lr == 0.01)
    assert not window.table.error_label.isVisible() and cell(window, 0, SETTINGS) == "lr=0.01"
    window.map.setFocus()
    for _ in range(8):
        qtbot.keyClick(window, Qt.Key.Key_S)
    reference = Race(SURFACES["rosenbrock"])
    diverging = reference.add("SGD", optimizers.SGD(lr=0.01))
    reference.run(8)
    assert sgd.diverged_at == diverging.diverged_at is not None
    paused_and_drawn(qtbot, window)
    assert cell(window, 0, DIVERGED) == f"at {diverging.diverged_at:,}"

    edit_cell(qtbot, window, 2, NAME, "fast Adam")
    qtbot.waitUntil(lambda: c.racers[2].label == "fast Adam")


def test_the_optimizer_column_offers_every_optimizer(qtbot, window):
    table = window.table.table
    table.setFocus()
    table.setCurrentCell(0, OPTIMIZER)
    qtbot.keyClick(table, Qt.Key.Key_F2)
    combo = QApplication.focusWidget()
    assert isinstance(combo, QComboBox)
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "SGD", "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adam", "AdamW",
    ]  # fmt: skip
    combo.setCurrentText("Nesterov")
    qtbot.keyClick(combo, Qt.Key.Key_Return)
    racer = window.controller.racers[0]
    qtbot.waitUntil(lambda: racer.kind == "Nesterov")
    assert cell(window, 0, SETTINGS) == "lr=0.001, momentum=0.9, nesterov=True"
    # Add and Remove, through the Add menu's actions and the Remove button.
    window.table.add_button.menu().actions()[4].trigger()  # RMSprop
    assert [e.kind for e in window.controller.racers][-1] == "RMSprop"
    assert len(window.map.racer_items) == len(window.loss_plot.curves) == 4
    table.setCurrentCell(1, NAME)
    qtbot.mouseClick(window.table.remove_button, Qt.MouseButton.LeftButton)
    assert [e.kind for e in window.controller.racers] == ["Nesterov", "Adam", "RMSprop"]
    assert table.rowCount() == 3


def test_a_click_on_the_map_sets_the_start(qtbot, window):
    c = window.controller
    for _ in range(3):
        c.step()
    target = (0.5, 1.5)
    pos = window.map.view_point(*target)
    with qtbot.waitSignal(c.frame):
        qtbot.mouseClick(window.map.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    pixel = window.map.view.viewPixelSize()
    assert abs(c.start[0] - target[0]) <= pixel[0] and abs(c.start[1] - target[1]) <= pixel[1]
    assert c.steps == 0 and all(entry.trail.tolist() == [list(c.start)] for entry in c.racers)
    qtbot.waitUntil(lambda: abs(window.start_x.value() - c.start[0]) < 1e-3)  # drawn
    assert window.start_y.value() == pytest.approx(c.start[1], abs=1e-3)
    marker = window.map.start_marker.getData()
    assert (marker[0][0], marker[1][0]) == c.start
    # A click outside the surface's bounds (on the axis) changes nothing.
    outside = window.map.view_point(-3.0, 1.0)
    qtbot.mouseClick(window.map.viewport(), Qt.MouseButton.LeftButton, pos=outside)
    assert window.controller.start == c.start


def test_step_mode_shows_arrows_and_the_engines_numbers(qtbot, window):
    c = window.controller
    window.map.setFocus()
    for key in (Qt.Key.Key_S, Qt.Key.Key_Right, Qt.Key.Key_S):
        qtbot.keyClick(window, key)
    assert c.steps == 3
    paused_and_drawn(qtbot, window)
    shown = window.map.arrows_shown()
    text = window.readout.toPlainText()
    moments = {"SGD": None, "Momentum": "v", "Adam": "m_hat"}
    for entry, arrows in zip(c.racers, shown):
        ex, ey = entry.explain()
        start = (ex.theta, ey.theta)
        # Δ to scale: from where the step began to where it ended.
        assert arrows["delta"][0] == start
        assert arrows["delta"][1] == pytest.approx((ex.theta + ex.applied, ey.theta + ey.applied))
        assert arrows["delta"][1] == pytest.approx(tuple(entry.trail[-1]))
        expected = {"delta": None, "gradient": (-ex.g, -ey.g)}
        symbol = moments[entry.kind]
        if symbol is not None:
            expected["moment"] = (-ex.term(symbol).value, -ey.term(symbol).value)
        assert set(arrows) == set(expected)
        for key, direction in expected.items():
            if direction is None:
                continue
            (sx, sy), (tx, ty) = arrows[key]
            drawn_dir = np.array([tx - sx, ty - sy])
            cos = drawn_dir @ direction / (np.linalg.norm(drawn_dir) * np.linalg.norm(direction))
            assert cos == pytest.approx(1.0, abs=1e-9)  # the engine's direction, drawn
        # The readout lists the engine's numbers: g and every term, for x and for y.
        assert entry.label in text
        for explanation in (ex, ey):
            assert format_value(explanation.g) in text
            for term in explanation.terms:
                assert format_value(term.value) in text
    assert "m̂" in text and "v̂" in text  # Adam's terms, dressed for reading

    with qtbot.waitSignal(c.playing_changed):
        qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: "playing" in window.step_label.text())
    assert all(not arrows for arrows in window.map.arrows_shown())  # playing: no arrows
    assert "Pause" in window.readout.toPlainText()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    paused_and_drawn(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_R)  # Reset: nothing to explain
    paused_and_drawn(qtbot, window)
    assert c.steps == 0 and all(not arrows for arrows in window.map.arrows_shown())


def test_the_surface_picker_redraws_the_map_and_the_plot(qtbot, window):
    combo = window.surface_combo
    combo.setFocus()
    while combo.currentData() != "himmelblau":
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    himmelblau = SURFACES["himmelblau"]
    c = window.controller
    assert c.surface is himmelblau and c.start == himmelblau.start
    assert len(window.map.minima.data) == 4
    assert himmelblau.formula in window.formula.text()
    assert window.loss_plot.log_y and window.tolerance_edit.isEnabled()
    while combo.currentData() != "saddle":
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert not window.loss_plot.log_y and not window.tolerance_edit.isEnabled()
    window.map.setFocus()
    for _ in range(5):
        qtbot.keyClick(window, Qt.Key.Key_S)
    paused_and_drawn(qtbot, window)
    assert cell(window, 0, REACHED) == "no minimum"
    _, y = window.loss_plot.curves[2].getData()
    np.testing.assert_array_equal(y, c.racers[2].values)  # linear f on a saddle


def test_redraws_follow_the_injected_clock(qtbot):
    clock = ManualClock()  # stands still unless advanced
    window = show(qtbot, open_optimizer_lab(None, clock=clock))
    c = window.controller
    c.set_speed(2)
    assert window.focusWidget() is window.map  # Space plays at once
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: c.steps == 2)  # the first frame at once
    reads = clock.reads
    qtbot.waitUntil(lambda: clock.reads >= reads + 3)
    frames = window.frames_drawn
    reads = clock.reads
    qtbot.waitUntil(lambda: clock.reads >= reads + 3)  # time stands still: no frame is due …
    assert c.steps == 2 and window.frames_drawn == frames
    for k in range(1, 4):  # … and each frame interval brings one frame and one redraw
        clock.advance(FRAME_INTERVAL_S)
        qtbot.waitUntil(lambda k=k: c.steps == 2 + 2 * k)
        drawn(qtbot, window, frames + k - 1)
        reads = clock.reads
        qtbot.waitUntil(lambda r=reads: clock.reads >= r + 3)
        assert window.frames_drawn == frames + k and c.steps == 2 + 2 * k
    c.shutdown()


def test_one_lab_window_per_parent_closing_with_it(qtbot):
    parent = QMainWindow()
    qtbot.addWidget(parent)
    first = open_optimizer_lab(parent)
    assert first.isWindow() and first.windowTitle() == "Optimizer Lab"
    assert open_optimizer_lab(parent) is first and first.isVisible()
    first.close()
    assert not first.controller.playing
    assert open_optimizer_lab(parent) is first  # reopened, not rebuilt
    controller = first.controller
    with qtbot.waitSignal(controller.destroyed):
        parent.deleteLater()


def test_keys_typed_into_the_fields_and_the_table_stay_there(qtbot, window):
    c = window.controller
    tolerance = window.tolerance_edit
    tolerance.setFocus()
    tolerance.setCursorPosition(0)
    for key in (Qt.Key.Key_Right, Qt.Key.Key_Space, Qt.Key.Key_R, Qt.Key.Key_S):
        qtbot.keyClick(tolerance, key)
    assert tolerance.text() == "0 rs.001" and tolerance.cursorPosition() == 4
    assert c.steps == 0 and not c.playing
    table = window.table.table
    table.setFocus()
    table.setCurrentCell(0, NAME)
    qtbot.keyClick(table, Qt.Key.Key_Right)  # the table's own navigation, not Step
    assert table.currentColumn() == OPTIMIZER and c.steps == 0
    qtbot.keyClick(table, Qt.Key.Key_S)  # a letter the table does not use: Step
    assert c.steps == 1
    combo = window.surface_combo
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Space)  # a focused combo opens; the race does not play
    qtbot.waitUntil(combo.view().isVisible)
    assert not c.playing
    combo.hidePopup()
