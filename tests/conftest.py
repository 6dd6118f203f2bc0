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
