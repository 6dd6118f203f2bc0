import pytest
from PySide6.QtCore import QSettings

from simulator.app.document import Document


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, qapp, monkeypatch):
    """QSettings and recovery files in a throw-away folder, so tests never touch (or depend
    on) the user's."""
    from simulator.app import recovery

    monkeypatch.setattr(recovery, "default_folder", lambda: tmp_path / "recovery")
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    qapp.setOrganizationName("BackpropLabTests")
    qapp.setApplicationName("BackpropLabTests")
    yield
    QSettings().clear()
    from simulator.ui import appearance

    appearance.apply("system")  # a test that chose Dark leaves the next one the platform's look


@pytest.fixture
def doc(qapp):
    """A fresh document on the default example."""
    return Document()


@pytest.fixture
def panel(qtbot, doc):
    """The Data panel on ``doc``, shown (test files of other panels define their own)."""
    from simulator.ui.data_panel import DataPanel

    widget = DataPanel(doc)
    qtbot.addWidget(widget)
    widget.resize(300, 720)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def main_window(qtbot, monkeypatch):
    """A real MainWindow, shown; closing it never asks to save (tools install on it)."""
    from simulator.ui import main_window as mw

    monkeypatch.setattr(mw, "ask_save_changes", lambda parent, name: mw.QMessageBox.Discard)
    win = mw.MainWindow()
    qtbot.addWidget(win)
    win.resize(1366, 768)  # a small laptop's screen: the canvas is drawn readable there
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    yield win
    win.controller.shutdown()


@pytest.fixture
def controller(doc):
    """A TrainingController on ``doc``, shut down after the test (files may define their own)."""
    from simulator.app.training import TrainingController

    ctrl = TrainingController(doc)
    yield ctrl
    ctrl.shutdown()


def show_plots_panel(qtbot, controller, width: int = 720, height: int = 520):
    """The Plots panel on ``controller``, shown at ``width`` × ``height``."""
    from simulator.ui.plots import PlotsPanel

    widget = PlotsPanel(controller)
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def train(controller, steps: int) -> None:
    """``steps`` training steps, one at a time, as the Step button takes them."""
    for _ in range(steps):
        controller.step()
