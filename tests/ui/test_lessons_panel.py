"""The Lessons panel on a real main window: Help ▸ Lessons, Back/Next, canvas marks, predict and
reveal, the vanishing-gradient runs."""

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from simulator.app import lessons as L
from simulator.project import load_example
from simulator.ui import main_window as mw


@pytest.fixture(autouse=True)
def answers(monkeypatch):
    """Answer the window's dialogs; count the unsaved-changes prompts."""
    log = {"save_prompts": 0, "save_answer": QMessageBox.Discard, "errors": []}

    def ask_save_changes(parent, name):
        log["save_prompts"] += 1
        return log["save_answer"]

    monkeypatch.setattr(mw, "ask_save_changes", ask_save_changes)
    monkeypatch.setattr(mw, "show_error", lambda parent, title, text: log["errors"].append(text))
    return log


@pytest.fixture
def window(qtbot):
    win = mw.MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def panel(window):
    return window.lessons  # installed by the window


def lessons_action(window, title):
    """Help ▸ Lessons ▸ ``title``."""
    menu = next(a.menu() for a in window.help_menu.actions() if a.text() == "&Lessons")
    return next(a for a in menu.actions() if a.text() == title)


def page_items(canvas, neurons, connections):
    return {canvas.neuron_item(k, j) for k, j in neurons} | {
        canvas.connection_item(i, r, c) for i, r, c in connections
    }


def marked(canvas):
    return set(canvas.marked_items())


def plain(html):
    """What a formatted number reads as in the page's plain text."""
    return re.sub("<[^>]+>", "", html)


def click(qtbot, button):
    qtbot.mouseClick(button, Qt.LeftButton)


def test_backprop_by_hand_walks_its_pages_and_marks_the_canvas(window, panel, qtbot):
    assert not panel.dock.isVisible()
    lessons_action(window, "Backprop by Hand").trigger()
    assert window.document.project.name == "Worked example"
    assert panel.dock.isVisible() and not panel.dock.visibleRegion().isEmpty()
    assert window.settings_dock in window.tabifiedDockWidgets(panel.dock)
    n = len(panel.lesson)
    assert panel.page_label.text() == f"page 1 of {n}"
    assert not panel.back_button.isEnabled()
    canvas = window.canvas
    for i in range(n):
        page = panel.page
        assert panel.title.text() == page.title
        assert marked(canvas) == page_items(canvas, page.neurons, page.connections), page.title
        assert panel.page_label.text() == f"page {i + 1} of {n}"
        if i < n - 1:
            click(qtbot, panel.next_button)
    # The first-layer page names x, h1, o and the connections w11 and w21.
    first_layer = next(p for p in panel.lesson.pages if p.title.endswith("∂E/∂w11"))
    assert page_items(canvas, first_layer.neurons, first_layer.connections) == page_items(
        canvas, [(0, 0), (1, 0), (2, 0)], [(0, 0, 0), (1, 0, 0)]
    )
    # The last page ran the engine's step: its new weights are on the page.
    assert not panel.next_button.isEnabled()
    assert window.controller.step_count == 1
    w1, _ = window.document.network.get_weights()[0]
    assert L.fixed(float(w1[0, 0]), 9) in panel.text.toPlainText()
    assert panel.page.numbers["largest difference"] < 1e-15
    # Back walks back; the step is not taken again.
    click(qtbot, panel.back_button)
    click(qtbot, panel.back_button)
    assert panel.index == n - 3
    page = panel.page
    assert marked(canvas) == page_items(canvas, page.neurons, page.connections)
    click(qtbot, panel.next_button)
    click(qtbot, panel.next_button)
    assert window.controller.step_count == 1
    # Ending the lesson clears its marks.
    click(qtbot, panel.end_button)
    assert panel.lesson is None and marked(canvas) == set()


def test_a_lesson_opens_its_example_through_the_unsaved_changes_prompt(window, panel, answers):
    window.document.add_neuron(1)
    answers["save_answer"] = QMessageBox.Cancel
    lessons_action(window, "Backprop by Hand").trigger()
    assert answers["save_prompts"] == 1
    assert panel.lesson is None and window.document.project.name == "XOR"
    answers["save_answer"] = QMessageBox.Discard
    assert panel.start("backprop")
    assert answers["save_prompts"] == 2
    assert window.document.project.name == "Worked example"


def test_opening_another_project_or_closing_the_dock_ends_the_lesson(window, panel, qtbot):
    panel.start("backprop")
    click(qtbot, panel.next_button)
    assert window.canvas.marked_items()
    window.new_project()
    assert panel.lesson is None and not window.canvas.marked_items()
    panel.start("backprop")
    click(qtbot, panel.next_button)
    panel.dock.close()
    assert panel.lesson is None and not window.canvas.marked_items()


def test_predict_then_reveal_scores_a_right_and_a_wrong_answer(window, panel, qtbot):
    lessons_action(window, "Predict Then Reveal").trigger()
    assert not panel.guess_row.isVisible()
    click(qtbot, panel.next_button)
    page = panel.page
    truth = page.prediction.truth
    assert panel.guess_row.isVisible()
    # The question highlights just the connection asked about.
    assert marked(window.canvas) == page_items(window.canvas, (), page.connections)
    qtbot.keyClicks(panel.guess_edit, f"{truth:.5g}")
    click(qtbot, panel.reveal_button)
    assert panel.verdict == L.EXACT
    assert "Exact" in panel.verdict_label.text()
    assert L.fixed(truth) in panel.text.toPlainText()  # the factors and their product
    prediction = page.prediction
    assert marked(window.canvas) == page_items(
        window.canvas, prediction.neurons, prediction.connections
    )
    panel.guess_edit.clear()
    qtbot.keyClicks(panel.guess_edit, f"-{truth:.5g}")
    qtbot.keyClick(panel.guess_edit, Qt.Key_Return)
    assert panel.verdict == L.OFF
    assert "Off" in panel.verdict_label.text()
    # The first-layer question: the tutorial's formula without w21·h1(1−h1) is ten times off.
    click(qtbot, panel.next_button)
    assert panel.page.prediction.name == "w11"
    assert panel.guess_edit.text() == "" and panel.verdict_label.text() == ""
    qtbot.keyClicks(panel.guess_edit, "0.1456")
    click(qtbot, panel.reveal_button)
    assert panel.verdict == L.RIGHT_DIRECTION
    panel.guess_edit.clear()
    qtbot.keyClicks(panel.guess_edit, "abc")
    click(qtbot, panel.reveal_button)
    assert panel.verdict is None and "number" in panel.verdict_label.text()


def test_vanishing_gradients_trains_both_networks_and_reports_the_ratios(
    window, panel, qtbot, answers
):
    panel.vanishing_steps = 60
    window.training_toolbar.toggle_max_speed()  # not the window's watchable 20 steps/s
    lessons_action(window, "Vanishing Gradients").trigger()
    assert window.document.project.name == "Vanishing gradients: sigmoid"
    plots = window.plots_panel
    # A short screen: the plots share the lesson's tab group (Play used to raise them over it).
    assert window.plots_dock in window.tabifiedDockWidgets(panel.dock)

    def in_view(widget):
        return widget.isVisible() and not widget.visibleRegion().isEmpty()

    ratios = {}
    for name in L.VANISHING_EXAMPLES:
        click(qtbot, panel.next_button)
        assert panel.training and not panel.next_button.isEnabled()
        assert plots.tabs.currentWidget() is plots.gradient_flow
        # The page and its Next stay in view beside the plot they tell the learner to watch.
        qtbot.waitUntil(lambda: in_view(plots.gradient_flow.plot.viewport()))
        assert in_view(panel.text) and in_view(panel.next_button)
        qtbot.waitUntil(lambda: not panel.training, timeout=10_000)
        assert in_view(panel.text) and in_view(panel.next_button)
        assert in_view(plots.gradient_flow.plot.viewport())
        assert window.document.project.name == load_example(name).name
        page = panel.page
        assert page.numbers["steps"] == 60
        ratios[name] = page.numbers["ratio"]
        assert plain(L.fmt(page.numbers["ratio"], 3)) in panel.text.toPlainText()
        assert marked(window.canvas) == page_items(window.canvas, (), page.connections)
        assert len(page.connections) == 24  # the first and the last weight layer
    sig, relu = (ratios[n] for n in L.VANISHING_EXAMPLES)
    assert sig < relu / 100
    click(qtbot, panel.next_button)
    summary = panel.text.toPlainText()
    assert plain(L.fmt(sig, 3)) in summary and plain(L.fmt(relu, 3)) in summary
    # The lesson's own training needed no saving when it opened the second network.
    assert answers["save_prompts"] == 0
    assert not window.controller.playing
    # Ended, the lesson gives the plots back to the tab group they came from.
    click(qtbot, panel.end_button)
    assert window.plots_dock in window.tabifiedDockWidgets(panel.dock)
    assert in_view(panel.text)
