"""The main window: default example, menus and shortcuts, files, unsaved-changes prompts."""

import json

import pytest
from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtWidgets import QMessageBox

from simulator.resources_path import example_paths
from simulator.ui import main_window as mw
from simulator.ui.canvas import NeuronItem
from tests.ui.events import EventCounter, events_delivered, quiet


@pytest.fixture
def window(qtbot):
    win = mw.MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    return win


@pytest.fixture(autouse=True)
def answers(monkeypatch):
    """Record and answer the window's dialogs (every test: closing a modified window at
    teardown must never wait for a human)."""
    log = {
        "errors": [],
        "save_prompts": 0,
        "save_answer": QMessageBox.Discard,
        "open_path": "",
        "save_path": "",
    }

    def ask_save_changes(parent, name):
        log["save_prompts"] += 1
        return log["save_answer"]

    monkeypatch.setattr(mw, "ask_save_changes", ask_save_changes)
    monkeypatch.setattr(mw, "ask_open_path", lambda parent, folder: log["open_path"])
    monkeypatch.setattr(mw, "ask_save_path", lambda parent, suggestion: log["save_path"])
    monkeypatch.setattr(mw, "show_error", lambda parent, title, text: log["errors"].append(text))
    return log


def test_starts_with_the_default_example_shown(window):
    assert window.document.project.name == "XOR"
    assert "XOR" in window.windowTitle()
    neurons = [i for i in window.canvas.scene().items() if isinstance(i, NeuronItem)]
    assert len(neurons) == sum(window.document.network.sizes)
    assert window.data_dock.isVisible() and window.settings_dock.isVisible()
    assert "2–8–1" in window._summary.text()


def test_opens_at_a_sensible_size(window):
    avail = window.screen().availableGeometry()
    assert window.width() <= avail.width() and window.height() <= avail.height()
    assert window.width() >= min(1000, avail.width() * 0.9)


def test_title_shows_modified_marker_and_undo_shortcut(window, qtbot):
    assert not window.isWindowModified()
    window.document.add_neuron(1)
    assert window.isWindowModified()
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert window.document.network.sizes == [2, 8, 1]
    assert not window.isWindowModified()
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert window.document.network.sizes == [2, 9, 1]


def test_save_shortcut_then_reopen(window, qtbot, tmp_path, answers):
    window.document.add_layer(size=3)
    window.document.set_connection(0, 0, 1, False)
    answers["save_path"] = str(tmp_path / "net.json")
    qtbot.keyClick(window, Qt.Key_S, Qt.ControlModifier)  # untitled: Save asks for a path
    assert (tmp_path / "net.json").is_file()
    assert not window.isWindowModified() and "net.json" in window.windowTitle()
    saved = window.document.to_project()
    qtbot.keyClick(window, Qt.Key_N, Qt.ControlModifier)
    assert window.document.network.sizes == [2, 8, 1]
    answers["open_path"] = str(tmp_path / "net.json")
    qtbot.keyClick(window, Qt.Key_O, Qt.ControlModifier)
    assert window.document.to_project() == saved
    assert window.recent_files()[0].endswith("net.json")


def test_open_malformed_file_shows_message_and_keeps_document(window, tmp_path, answers):
    bad = tmp_path / "broken.json"
    bad.write_text(json.dumps({"format": "backprop-lab-project", "version": 1, "name": 3}))
    assert not window.open_path(bad)
    assert len(answers["errors"]) == 1 and "broken.json" in answers["errors"][0]
    assert window.document.project.name == "XOR"
    not_json = tmp_path / "junk.json"
    not_json.write_text("{ not json")
    assert not window.open_path(not_json)
    assert "line 1" in answers["errors"][1]


def test_closing_with_unsaved_changes_prompts(window, answers):
    window.document.add_neuron(1)
    answers["save_answer"] = QMessageBox.Cancel
    assert not window.close()
    assert answers["save_prompts"] == 1 and window.isVisible()
    answers["save_answer"] = QMessageBox.Discard
    assert window.close()
    assert answers["save_prompts"] == 2


def test_opening_another_file_with_unsaved_changes_prompts(window, answers, tmp_path):
    window.document.add_neuron(1)
    answers["save_answer"] = QMessageBox.Cancel
    answers["open_path"] = str(example_paths()[0])
    window.open_action.trigger()
    assert window.document.network.sizes == [2, 9, 1]  # cancelled: nothing replaced
    answers["save_answer"] = QMessageBox.Save
    answers["save_path"] = str(tmp_path / "kept.json")
    window.open_action.trigger()
    assert (tmp_path / "kept.json").is_file()
    assert window.document.path == example_paths()[0]


def test_examples_menu_lists_every_example(window):
    titles = [a.text() for a in window.examples_menu.actions()]
    assert len(titles) == len(example_paths()) >= 5
    digits = next(a for a in window.examples_menu.actions() if "igits" in a.text())
    digits.trigger()
    assert window.document.network.sizes == [64, 32, 10]


def test_menus_have_standard_shortcuts(window):
    expected = {
        window.new_action: "Ctrl+N",
        window.open_action: "Ctrl+O",
        window.save_action: "Ctrl+S",
        window.save_as_action: "Ctrl+Shift+S",
        window.quit_action: "Ctrl+Q",
        window.undo_action: "Ctrl+Z",
        window.redo_action: "Ctrl+Shift+Z",
        window.fit_action: "Ctrl+0",
    }
    for action, keys in expected.items():
        assert action.shortcut().toString() == keys, action.text()
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&File", "&Edit", "&Data", "&Train", "&View", "&Help"]


def test_docks_close_and_come_back_from_the_view_menu(window, qtbot):
    toggle = window.data_dock.toggleViewAction()
    assert toggle in window.view_menu.actions()
    toggle.trigger()
    assert not window.data_dock.isVisible()
    toggle.trigger()
    assert window.data_dock.isVisible()


def second_default_size(qtbot):
    QSettings().clear()
    probe = mw.MainWindow()
    qtbot.addWidget(probe)
    return probe.size()


def test_geometry_and_dock_layout_are_remembered(qtbot, answers):
    first = mw.MainWindow()
    qtbot.addWidget(first)
    first.show()
    # Smaller than the default and inside the small offscreen screen (restoreGeometry keeps a
    # window inside its screen).
    first.resize(first.minimumSizeHint().width() + 4, first.minimumSizeHint().height() + 10)
    first.settings_dock.hide()
    size = first.size()
    assert size != second_default_size(qtbot)
    assert first.close()
    assert QSettings().value("window/geometry") is not None
    second = mw.MainWindow()
    qtbot.addWidget(second)
    second.show()
    assert second.size() == size
    assert not second.settings_dock.isVisible()


def test_run_app_with_a_bad_file_still_starts_with_the_default(
    qtbot, tmp_path, answers, monkeypatch, qapp
):
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    opened = []
    monkeypatch.setattr(qapp, "exec", lambda: opened.append(True) or 0)
    assert mw.run_app(str(bad)) == 0
    qtbot.waitUntil(lambda: len(answers["errors"]) == 1)
    win = next(w for w in qapp.topLevelWidgets() if isinstance(w, mw.MainWindow))
    qtbot.addWidget(win)
    assert win.document.project.name == "XOR" and "bad.json" in answers["errors"][0]


def test_short_screen_puts_the_plots_beside_the_settings_and_play_brings_them_up(window, qtbot):
    # The offscreen screen is short (under PLOTS_UNDER_FROM): the plots share the right column.
    assert window.screen().availableGeometry().height() * 0.92 < mw.PLOTS_UNDER_FROM
    assert window.plots_dock in window.tabifiedDockWidgets(window.settings_dock)
    assert window.dockWidgetArea(window.plots_dock) == Qt.RightDockWidgetArea
    assert window.plots_dock.visibleRegion().isEmpty()  # the settings are in front
    button = window.training_toolbar.widgetForAction(window.training_toolbar.play_action)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.plots_dock.visibleRegion().isEmpty())
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # pause
    assert not window.controller.playing


def test_tall_screen_puts_the_plots_under_the_canvas(qtbot, monkeypatch):
    monkeypatch.setattr(mw, "PLOTS_UNDER_FROM", 0)
    win = mw.MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    assert win.dockWidgetArea(win.plots_dock) == Qt.BottomDockWidgetArea
    assert not win.tabifiedDockWidgets(win.plots_dock)
    assert win.plots_dock.geometry().top() >= win.canvas.geometry().bottom()


@pytest.mark.parametrize("example", ["xor", "spiral"])
def test_a_trained_project_saves_and_reopens_where_it_stopped(
    window, qtbot, tmp_path, answers, example
):
    from simulator.app.document import Document
    from simulator.app.training import TrainingController
    from simulator.project import load_example

    window.document.open_project(load_example(example))
    for _ in range(37):
        window.controller.step()
    answers["save_path"] = str(tmp_path / "half.json")
    qtbot.keyClick(window, Qt.Key_S, Qt.ControlModifier)
    saved = json.loads((tmp_path / "half.json").read_text())
    assert saved["step_count"] == 37 and saved["history"]["step"]["shape"] == [37]
    losses = window.controller.history.column("batch_loss").copy()
    qtbot.keyClick(window, Qt.Key_N, Qt.ControlModifier)
    assert window.controller.step_count == 0
    answers["open_path"] = str(tmp_path / "half.json")
    qtbot.keyClick(window, Qt.Key_O, Qt.ControlModifier)
    ctl = window.controller
    # The run is back: its step, its loss curve, and the timeline starts at the reopened step.
    assert ctl.step_count == 37 and f"step {37:,}" in window._training_status.text()
    assert (ctl.history.column("batch_loss") == losses).all()
    window.plots_panel.refresh(hidden_too=True)
    x, y = window.plots_panel.loss.curves["batch_loss"].getData()
    assert len(y) == 37 and (y == losses).all()
    assert ctl.rewind_range() == (37, 37)
    assert not window.isWindowModified()
    # Training on equals a run that never stopped, bit for bit.
    for _ in range(25):
        ctl.step()
    twin = TrainingController(Document(load_example(example)))
    for _ in range(62):
        twin.step()
    for mine, theirs in zip(ctl.trainer.net.layers, twin.trainer.net.layers):
        assert (mine.weights == theirs.weights).all() and (mine.bias == theirs.bias).all()
    assert (ctl.history.column("batch_loss") == twin.history.column("batch_loss")).all()
    twin.shutdown()


@pytest.mark.parametrize("readout", ["status bar", "timeline"])
def test_a_new_readout_text_no_wider_than_before_lays_nothing_out_again(window, qtbot, readout):
    # Each frame changes these texts; laying the window out again for each cost ~0.5 ms.
    window.plots_dock.raise_()
    if readout == "status bar":
        label, holder = window._training_status, window.statusBar()
    else:
        label, holder = window.plots_panel.timeline.label, window.plots_panel.timeline
    label.setText("epoch 12 · step 3,000 · train loss 0.0421")
    qtbot.waitUntil(lambda: label.isVisible() and label.width() >= label.sizeHint().width())
    requests = EventCounter([holder, window], QEvent.Type.LayoutRequest)
    quiet(qtbot, requests)  # the window settled after being shown
    for text in ("epoch 12 · step 3,001 · train loss 0.0419", "step 3,002", "epoch 12"):
        label.setText(text)
        events_delivered(qtbot)
    assert requests.count == 0
    assert label.text() == "epoch 12"
    label.setText("epoch 12 · step 3,003 · train loss 0.0418 · test loss 0.0501")  # wider
    events_delivered(qtbot)
    assert requests.count >= 1  # a wider text makes room for itself
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.contentsRect().width()
