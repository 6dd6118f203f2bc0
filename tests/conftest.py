import os

# Before any Qt import: without a display Qt aborts with a misleading xcb message.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pytest

# Every TrainingController a test makes reads a ManualClock that moves 0.5 ms at each reading:
# how many steps a tick trains, when frames are due and how often views redraw then follow
# from the work done, never from how busy the machine is.  A test that wants real time
# passes ``clock=Clock()``; bench_gui.py measures the real thing.
TEST_CLOCK_TICK = 0.0005


@pytest.fixture(autouse=True)
def work_paced_clock(request, monkeypatch):
    if "qapp" not in request.fixturenames and "qtbot" not in request.fixturenames:
        yield  # a test without Qt has no controller
        return
    from simulator.app import training
    from simulator.app.clock import ManualClock

    monkeypatch.setattr(training, "Clock", lambda: ManualClock(tick=TEST_CLOCK_TICK))
    yield


# A test waits for what it needs (a signal, a condition, a shown widget) at most this long.
# pytest-qt's 5 s default is a statement about the machine's speed: beside two busy processes
# a window's first frames took longer, and the test failed though nothing was wrong.  A wait
# returns as soon as its condition holds, so a long limit costs a passing test nothing.
PATIENCE_MS = 60_000


@pytest.fixture(autouse=True)
def patient_waits(request, monkeypatch):
    """Every qtbot wait that fails the test on timeout waits up to PATIENCE_MS (a wait with
    ``raising=False`` keeps its limit: there the timeout is the point)."""
    if "qtbot" not in request.fixturenames:
        yield
        return
    from pytestqt.qtbot import QtBot

    def patient(original):
        def wait(self, *args, **kwargs):
            if kwargs.get("raising", True) is not False:
                kwargs["timeout"] = max(kwargs.get("timeout") or 0, PATIENCE_MS)
            return original(self, *args, **kwargs)

        return wait

    waits = ("waitUntil", "waitSignal", "waitSignals", "waitExposed", "waitActive", "waitCallback")
    for name in waits:
        monkeypatch.setattr(QtBot, name, patient(getattr(QtBot, name)))
    yield


@pytest.fixture(autouse=True)
def no_modal_dialogs(request, monkeypatch):
    """A modal dialog waits for a human: in a test it would hang the whole run (a failed
    restore once did, in QMessageBox.critical).  Any left unanswered fails the test instead;
    tests answer dialogs by patching the module's ask_*/show_* functions."""
    if "qapp" not in request.fixturenames and "qtbot" not in request.fixturenames:
        yield
        return
    from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

    def refuse(what):
        def call(*args, **kwargs):
            texts = [a for a in args if isinstance(a, str)]
            raise AssertionError(f"a modal {what} would wait for a human: {texts}")

        return call

    for name in ("critical", "warning", "information", "question", "about"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(refuse(f"QMessageBox.{name}")))
    for name in ("getOpenFileName", "getSaveFileName", "getExistingDirectory"):
        monkeypatch.setattr(QFileDialog, name, staticmethod(refuse(f"QFileDialog.{name}")))
    monkeypatch.setattr(QDialog, "exec", refuse("QDialog.exec"))
    monkeypatch.setattr(QMessageBox, "exec", refuse("QMessageBox.exec"))
    yield
