"""The start page and the ways to lessons: first launch, Help ▸ Start Here, its three choices,
the toolbar's Lessons button and the View menu's Lessons toggle."""

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QToolButton

from simulator.app.training import WATCHABLE_SPEED
from simulator.project import load_example
from simulator.ui import main_window as mw
from simulator.ui import start_page
from simulator.ui.start_page import StartPage


@pytest.fixture
def window(main_window):
    """The shared window of tests/ui/conftest.py."""
    return main_window


def launch(qtbot, qapp, monkeypatch):
    """``backprop-lab`` with no arguments, the event loop left to qtbot: the new window."""
    before = set(qapp.topLevelWidgets())
    monkeypatch.setattr(mw, "ask_save_changes", lambda parent, name: mw.QMessageBox.Discard)
    monkeypatch.setattr(qapp, "exec", lambda: 0)
    assert mw.run_app() == 0
    win = next(
        w for w in qapp.topLevelWidgets() if isinstance(w, mw.MainWindow) and w not in before
    )
    qtbot.addWidget(win)
    qtbot.waitExposed(win)
    return win


def shown_page(win) -> StartPage | None:
    page = win.findChild(StartPage)
    return page if page is not None and page.isVisible() else None


def test_the_first_launch_shows_the_start_page_and_the_next_does_not(qtbot, qapp, monkeypatch):
    first = launch(qtbot, qapp, monkeypatch)
    qtbot.waitUntil(lambda: shown_page(first) is not None)
    page = shown_page(first)
    assert page.isModal() and page.windowTitle() == "Welcome to Backprop Lab"
    assert not page.at_startup.isChecked()
    qtbot.keyClick(page, Qt.Key_Escape)  # Esc closes, the project stays
    qtbot.waitUntil(lambda: shown_page(first) is None)
    assert first.document.project.name == "XOR" and not first.controller.playing
    first.controller.shutdown()
    first.close()

    second = launch(qtbot, qapp, monkeypatch)
    after_start = []  # a zero timer queued after the launch's own has fired after it
    QTimer.singleShot(0, lambda: after_start.append(True))
    qtbot.waitUntil(lambda: bool(after_start))
    assert shown_page(second) is None
    # Ticked "Show this page at startup": it comes back at every launch.
    page = second.show_start_page()
    qtbot.mouseClick(page.at_startup, Qt.LeftButton)
    page.reject()
    second.controller.shutdown()
    second.close()
    third = launch(qtbot, qapp, monkeypatch)
    qtbot.waitUntil(lambda: shown_page(third) is not None)
    assert shown_page(third).at_startup.isChecked()
    shown_page(third).reject()
    third.controller.shutdown()


def test_the_window_alone_never_shows_the_start_page(window, qtbot):
    # Tests and every other caller build MainWindow directly: only the launcher shows it.
    assert start_page.wanted_at_startup(QSettings())
    qtbot.wait(20)
    assert shown_page(window) is None


def test_help_start_here_opens_the_page_with_three_ways_in(window, qtbot):
    assert window.help_menu.actions()[0] is window.start_page_action
    window.start_page_action.trigger()
    page = shown_page(window)
    assert page is not None
    assert set(page.buttons) == {start_page.WATCH, start_page.TRAIN, start_page.BUILD}
    for button in page.buttons.values():
        assert button.isVisible() and button.toolTip() and button.accessibleName()
        assert button.height() >= 60  # big buttons
    assert page.close_button.toolTip() and page.at_startup.toolTip()
    # What opens is read from the example itself: its optimizer and learning rate.
    example = load_example(start_page.TRAIN_EXAMPLE)
    tip = page.buttons[start_page.TRAIN].toolTip().replace("\n", " ")
    assert f"{example.optimizer.name}, η = {example.optimizer.params['lr']:g}" in tip
    page.reject()


def test_train_a_network_opens_xor_and_plays_at_a_watchable_speed(window, qtbot):
    toolbar, ctl = window.training_toolbar, window.controller
    window.document.set_learning_rate(0.2)  # an edit: the example still opens (Discard)
    toolbar.toggle_max_speed()
    assert ctl.speed is None
    page = window.show_start_page()
    qtbot.mouseClick(page.buttons[start_page.TRAIN], Qt.LeftButton)
    qtbot.waitUntil(lambda: ctl.playing)
    assert shown_page(window) is None
    assert window.document.project.name == "XOR" and window.document.path is None
    assert ctl.speed == WATCHABLE_SPEED and toolbar.speed_combo.currentData() == WATCHABLE_SPEED
    assert not toolbar.max_speed_action.isChecked()
    qtbot.waitUntil(lambda: ctl.step_count >= 2)
    ctl.pause()


def test_keys_choose_without_the_mouse(window, qtbot):
    page = window.show_start_page()
    qtbot.waitExposed(page)
    page.activateWindow()
    assert page.buttons[start_page.WATCH].hasFocus() or page.buttons[start_page.WATCH].isDefault()
    with qtbot.waitSignal(page.chosen) as chosen:
        qtbot.keyClick(page, Qt.Key_2)
    assert chosen.args == [start_page.TRAIN]
    qtbot.waitUntil(lambda: window.controller.playing)
    window.controller.pause()


def test_watch_one_step_by_hand_starts_the_backprop_lesson(window, qtbot):
    page = window.show_start_page()
    with qtbot.waitSignal(window.lessons.lesson_started) as started:
        qtbot.mouseClick(page.buttons[start_page.WATCH], Qt.LeftButton)
    assert started.args == ["backprop"]
    assert window.lessons.dock.isVisible() and window.lessons.lesson is not None


def test_build_your_own_starts_inputs_and_one_output_and_points_at_the_plus(window, qtbot):
    window.resize(1366, 740)
    qtbot.waitUntil(lambda: window.canvas.viewport().width() > 500)
    page = window.show_start_page()
    qtbot.mouseClick(page.buttons[start_page.BUILD], Qt.LeftButton)
    doc = window.document
    assert doc.network.sizes == [2, 1] and doc.project.data.dataset == "xor"
    assert doc.project.name == start_page.STARTER_NAME and doc.path is None
    tip = window.coach_tip
    qtbot.waitUntil(tip.isVisible)
    plus = window.canvas.button("add_layer", 1)
    assert plus is not None
    spot = window.canvas.mapFromScene(plus.sceneBoundingRect()).boundingRect()
    # Under the +, within reach of it, and inside the canvas.
    assert tip.geometry().top() > spot.bottom() and tip.geometry().top() - spot.bottom() < 40
    assert tip.geometry().left() <= spot.center().x() <= tip.geometry().right()
    assert window.canvas.viewport().rect().contains(tip.geometry())
    # The learner follows it: the note goes.
    doc.add_layer(1)
    assert doc.network.sizes[1] > 0 and len(doc.network.sizes) == 3
    qtbot.waitUntil(lambda: not tip.isVisible())
    # Trains as it is: SGD or whatever the example uses, without an error.
    window.controller.step()
    assert window.controller.step_count == 1


def test_the_lessons_button_lists_every_lesson_and_the_start_page(window, qtbot):
    toolbar = window.training_toolbar
    window.resize(1280, 740)  # the window's default width on a 1366×768 screen
    button = toolbar.widgetForAction(window.lessons_action)
    assert isinstance(button, QToolButton)
    qtbot.waitUntil(button.isVisible)  # in the toolbar itself, not its overflow menu
    assert button.popupMode() == QToolButton.ToolButtonPopupMode.InstantPopup
    assert button.toolTip()
    entries = [a for a in window.lessons_menu.actions() if not a.isSeparator()]
    assert entries[0] is window.start_page_action
    assert set(entries[1:]) == set(window.lessons.actions.values())
    with qtbot.waitSignal(window.lessons.lesson_started) as started:
        window.lessons.actions["vanishing"].trigger()
    assert started.args == ["vanishing"]


def view_entries(window) -> list[str]:
    return [a.text() or "---" for a in window.view_menu.actions()]


def test_view_menu_lists_lessons_with_the_docks_not_after_reset_layout(window, qtbot):
    toggle = window.lessons.dock.toggleViewAction()
    actions = window.view_menu.actions()
    assert actions.count(toggle) == 1
    first_separator = next(i for i, a in enumerate(actions) if a.isSeparator())
    assert actions.index(toggle) < first_separator  # with Data, Settings, Plots, Inspector
    assert actions.index(toggle) < actions.index(window.reset_layout_action)
    entries = view_entries(window)
    window.lessons.start("predict")
    qtbot.waitUntil(window.lessons.dock.isVisible)
    window.reset_layout_action.trigger()
    assert view_entries(window) == entries
    assert not window.lessons.dock.isVisible() and window.settings_dock.isVisible()
    toggle.trigger()  # and back from the View menu
    qtbot.waitUntil(window.lessons.dock.isVisible)
