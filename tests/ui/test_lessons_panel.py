"""The Lessons panel on a real main window: Help ▸ Lessons, Back/Next, canvas marks, predict and
reveal, the vanishing-gradient runs."""

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from simulator.app import lessons as L
from simulator.app import questions as Q
from simulator.app.inspection import fmt
from simulator.project import load_example
from simulator.resources_path import resource
from simulator.ui import main_window as mw
from tests.ui.test_canvas import check_menu, menu_pick, right_click
from tests.ui.test_canvas import click as click_canvas


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
    win.resize(1366, 768)  # a small laptop's screen, as the shared main_window fixture
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
    # It skips h1: the hint names the weight w21 and σ′ at h1, with their values.
    worked = panel.lesson.worked
    said = plain(panel.verdict_label.text())
    assert panel.diagnosis.mistake.key == "skipped_neuron"
    assert "about 10 times too large" in said
    assert fmt(worked.w["w21"]) in said and fmt(worked.slopes["h1"]) in said
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


# --------------------------------------------------------------------------- on the user's network


def engine_gradient(network, X, Y, spec):
    """The network's own backward pass of the question's sample, penalties off: ∂E/∂w, δ."""
    net = network.copy("float64")
    net.l1 = net.l2 = 0.0
    s = spec.sample
    grads = net.backward(net.forward(X[s : s + 1], training=False), Y[s : s + 1])
    return grads.weights[spec.layer][spec.source, spec.target], grads.deltas[spec.layer][
        0, spec.target
    ]


def start_my_network(window, panel, qtbot=None):
    if qtbot is not None:  # a laptop's screen: room for the canvas beside the lesson
        window.resize(1366, 768)
        qtbot.waitUntil(lambda: window.width() == 1366)
    lessons_action(window, "Predict on My Network").trigger()
    assert panel.lesson is not None and panel.lesson.key == L.MY_NETWORK
    assert panel.question_bar.isVisible() and panel.guess_row.isVisible()
    return panel.question


def test_predict_on_my_network_asks_about_the_connection_the_user_selected(
    window, panel, qtbot, answers
):
    project = window.document.project.name
    start_my_network(window, panel, qtbot)
    assert window.document.project.name == project  # no example opened, nothing to save
    assert answers["save_prompts"] == 0
    canvas = window.canvas
    assert not panel.ask_button.isEnabled()  # nothing selected yet
    click_canvas(qtbot, canvas, canvas.connection_item(0, 1, 5))
    assert panel.ask_button.isEnabled()
    click(qtbot, panel.ask_button)
    question = panel.question
    spec = question.spec
    assert (spec.layer, spec.source, spec.target) == (0, 1, 5)
    assert panel.title.text() == question.title and "x2 → h1_6" in question.title
    assert marked(canvas) == page_items(canvas, (), ((0, 1, 5),))
    # The page shows the sample, the weight and every number the answer needs.
    shown_text = panel.text.toPlainText()
    assert f"#{spec.sample}" in shown_text
    for value in question.numbers.values():
        assert fmt(value, Q.DIGITS) in shown_text
    data = window.document.data
    grad, _delta = engine_gradient(window.document.network, data.X_train, data.Y_train, spec)
    assert question.truth == pytest.approx(grad, rel=1e-12)
    # A guess without the activation's derivative: the hint names f′(z) and its value.
    n = question.numbers
    downstream = sum(n[f"w {k}"] * n[f"delta {k}"] for k in range(len(question.chain.down_weights)))
    qtbot.keyClicks(panel.guess_edit, repr(n["a_source"] * downstream))
    qtbot.keyClick(panel.guess_edit, Qt.Key_Return)
    assert panel.diagnosis is not None and panel.diagnosis.mistake.key == "no_fprime"
    said = plain(panel.verdict_label.text())
    assert "Hint" in said and "derivative" in said and fmt(n["fprime"]) in said
    assert Q.how_far(n["a_source"] * downstream, question.truth) in said
    assert "% off" not in said
    assert fmt(question.truth, Q.DIGITS) in panel.text.toPlainText()  # the reveal
    assert marked(canvas) == page_items(
        canvas, question.reveal_neurons, question.reveal_connections
    )
    # Without the incoming activation a: the hint names a and its value.
    panel.guess_edit.clear()
    qtbot.keyClicks(panel.guess_edit, repr(n["fprime"] * downstream))
    click(qtbot, panel.reveal_button)
    assert panel.diagnosis.mistake.key == "no_source"
    assert fmt(n["a_source"]) in plain(panel.verdict_label.text())
    # The right answer: exact, no hint.
    panel.guess_edit.clear()
    qtbot.keyClicks(panel.guess_edit, f"{question.truth:.5g}")
    click(qtbot, panel.reveal_button)
    assert panel.verdict == L.EXACT and panel.diagnosis is None
    assert "Hint" not in panel.verdict_label.text()
    # An unrelated wrong guess gets how far off in words, and no factor named.
    truth = question.truth

    def unrelated(ratio):
        guess = truth * ratio
        return all(
            min(Q.relative_error(guess, m.value), Q.relative_error(-guess, m.value)) > 0.1
            for m in question.mistakes
        )

    ratio = next(r for r in (3.3, 0.37, 7.1, 0.21, 13.0) if unrelated(r))
    panel.guess_edit.clear()
    qtbot.keyClicks(panel.guess_edit, repr(truth * ratio))
    click(qtbot, panel.reveal_button)
    assert panel.diagnosis is None
    said = plain(panel.verdict_label.text())
    assert Q.how_far(truth * ratio, truth) in said and "times too" in said
    assert "no single factor" in said


def test_a_connections_menu_asks_to_predict_its_gradient(window, panel, qtbot):
    canvas = window.canvas
    assert panel.lesson is None
    seen = menu_pick(qtbot, "Predict Its Gradient…")
    right_click(qtbot, canvas, canvas.connection_item(1, 3, 0))
    check_menu(seen)
    qtbot.waitUntil(lambda: panel.question is not None)
    assert panel.lesson.key == L.MY_NETWORK and panel.dock.isVisible()
    spec = panel.question.spec
    assert (spec.layer, spec.source, spec.target) == (1, 3, 0)
    data = window.document.data
    grad, _delta = engine_gradient(window.document.network, data.X_train, data.Y_train, spec)
    assert panel.question.truth == pytest.approx(grad, rel=1e-12)
    # Asked again about another connection: the same lesson, a new question.
    seen = menu_pick(qtbot, "Predict Its Gradient…")
    right_click(qtbot, canvas, canvas.connection_item(0, 0, 2))
    check_menu(seen)
    qtbot.waitUntil(lambda: panel.question.spec.layer == 0)
    assert (panel.question.spec.source, panel.question.spec.target) == (0, 2)


def test_new_question_moves_through_the_layers(window, panel, qtbot):
    window.document.add_layer(1)  # XOR with two hidden layers: three weight layers
    n_layers = len(window.document.network.layers)
    assert n_layers == 3
    panel.question_seed = 3
    start_my_network(window, panel)
    layers = [panel.question.spec.layer]
    for _ in range(5):
        previous = panel.question
        qtbot.keyClicks(panel.guess_edit, "0.1")
        click(qtbot, panel.new_button)
        assert panel.question is not previous
        assert panel.guess_edit.text() == "" and panel.verdict_label.text() == ""
        spec = panel.question.spec
        layers.append(spec.layer)
        assert marked(window.canvas) == page_items(
            window.canvas, (), ((spec.layer, spec.source, spec.target),)
        )
    assert all(a != b for a, b in zip(layers, layers[1:]))
    assert set(layers) == set(range(n_layers))
    # The same seed asks the same questions again.
    specs = []
    for _ in range(2):
        click(qtbot, panel.end_button)
        start_my_network(window, panel)
        specs.append([panel.question.spec])
        for _ in range(3):
            click(qtbot, panel.new_button)
            specs[-1].append(panel.question.spec)
    assert specs[0] == specs[1]


def test_asking_for_delta_or_a_keeps_the_connection_and_sample(window, panel, qtbot):
    start_my_network(window, panel)
    click(qtbot, panel.new_button)
    first = panel.question.spec
    panel.kind_box.setFocus()
    delta_row = panel.kind_box.findData(Q.DELTA)
    while panel.kind_box.currentIndex() != delta_row:
        qtbot.keyClick(panel.kind_box, Qt.Key_Down)
    spec = panel.question.spec
    assert spec.kind == Q.DELTA and spec.layer == first.layer and spec.sample == first.sample
    assert panel.guess_label.text() == "Your δ:"
    data = window.document.data
    _grad, delta = engine_gradient(window.document.network, data.X_train, data.Y_train, spec)
    assert panel.question.truth == pytest.approx(delta, rel=1e-12)
    qtbot.keyClicks(panel.guess_edit, repr(-panel.question.truth))
    click(qtbot, panel.reveal_button)
    assert panel.diagnosis.mistake.key == "sign"
    assert "sign" in plain(panel.verdict_label.text())


def test_questions_use_the_weights_of_the_step_shown(window, panel, qtbot):
    start_my_network(window, panel)
    window.training_toolbar.step_action.trigger()
    window.training_toolbar.step_action.trigger()
    click(qtbot, panel.new_button)
    question = panel.question
    assert question.step == 2 and "step 2" in panel.text.toPlainText()
    data = window.document.data
    grad, _ = engine_gradient(window.document.network, data.X_train, data.Y_train, question.spec)
    assert question.truth == pytest.approx(grad, rel=1e-12)
    # An edit of the network asks again about the same connection and sample.
    spec = question.spec
    window.document.set_weight(spec.layer, spec.source, spec.target, 0.5)
    assert panel.question.spec == spec and panel.question.numbers["w"] == 0.5
    # Another project: the questions go on, about it.
    window.open_example(resource("examples", "spiral.json"))
    assert panel.lesson is not None and panel.question is not None
    assert panel.question.chain is not None
    assert len(window.document.network.layers) == 3


def test_predict_then_reveal_ends_on_questions_about_any_weight(window, panel, qtbot):
    lessons_action(window, "Predict Then Reveal").trigger()
    for _ in range(len(panel.lesson) - 1):
        click(qtbot, panel.next_button)
    assert panel.question_bar.isVisible() and panel.question is not None
    assert window.document.project.name == "Worked example"
    layers = {panel.question.spec.layer}
    click(qtbot, panel.new_button)
    layers.add(panel.question.spec.layer)
    assert layers == {0, 1}
    # Back and Next again: the same question stays.
    shown = panel.question
    click(qtbot, panel.back_button)
    assert not panel.question_bar.isVisible()
    click(qtbot, panel.next_button)
    assert panel.page.title == shown.title
