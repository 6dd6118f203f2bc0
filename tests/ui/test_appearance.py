"""View ▸ Appearance: System, Light or Dark, switched live through the real menu, kept for the
next launch, and followed by the canvas and the plots."""

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from simulator.ui import appearance
from simulator.ui.contrast import contrast


def lightness(color) -> float:
    return color.lightnessF()


def window_colour(widget):
    return widget.palette().color(QPalette.ColorRole.Window)


def test_dark_and_light_switch_the_whole_window_and_are_kept(qtbot, main_window):
    window = main_window
    app = QApplication.instance()
    system = QPalette(app.palette())
    menu = window.appearance.menu
    assert menu in [a.menu() for a in window.view_menu.actions() if a.menu()]
    assert window.appearance.actions["system"].isChecked()

    window.appearance.actions["dark"].trigger()
    qtbot.waitUntil(lambda: lightness(window_colour(window)) < 0.3)  # delivered as events
    canvas_background = window.canvas.backgroundBrush().color()
    assert lightness(canvas_background) < 0.3
    plot_background = window.plots_panel.loss_plot.backgroundBrush().color()
    assert lightness(plot_background) < 0.3
    text = window.palette().color(QPalette.ColorRole.WindowText)
    assert contrast(text, window_colour(window)) >= 4.5  # text reads on it
    assert window.settings.value(appearance.KEY) == "dark"
    assert window.appearance.actions["dark"].isChecked()
    assert not window.appearance.actions["system"].isChecked()

    window.appearance.actions["light"].trigger()
    qtbot.waitUntil(lambda: lightness(window_colour(window)) > 0.7)
    assert lightness(window.canvas.backgroundBrush().color()) > 0.7
    assert window.settings.value(appearance.KEY) == "light"

    window.appearance.actions["system"].trigger()
    assert app.palette().color(QPalette.ColorRole.Window) == system.color(QPalette.ColorRole.Window)
    assert window.settings.value(appearance.KEY) == "system"


def test_the_kept_choice_is_applied_when_the_window_opens(qtbot, monkeypatch):
    from PySide6.QtCore import QSettings

    from simulator.ui import main_window as mw

    monkeypatch.setattr(mw, "ask_save_changes", lambda parent, name: mw.QMessageBox.Discard)
    QSettings().setValue(appearance.KEY, "dark")
    window = mw.MainWindow()
    qtbot.addWidget(window)
    try:
        assert window.appearance.actions["dark"].isChecked()
        qtbot.waitUntil(lambda: lightness(window_colour(window)) < 0.3)
    finally:
        window.controller.shutdown()


def test_a_choice_that_is_not_known_reads_as_system():
    from PySide6.QtCore import QSettings

    settings = QSettings()
    settings.setValue(appearance.KEY, "purple")
    assert appearance.current(settings) == "system"
