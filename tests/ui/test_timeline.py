"""The timeline under the loss plot: scrubbing with the keyboard shows the network as it was
(the canvas's connections equal those of a run stopped there), Resume from here and Back to
now.  Real widgets, driven with qtbot; assertions on scene items and widget state."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from simulator.app.document import Document
from simulator.app.training import TrainingController
from simulator.ui.canvas import NetworkCanvas
from simulator.ui.plots import PlotsPanel


@pytest.fixture
def rig(qtbot):
    """make() -> (canvas, plots panel, controller, document), all shown."""
    made = []

    def make():
        doc = Document()
        controller = TrainingController(doc)
        canvas = NetworkCanvas(doc)
        panel = PlotsPanel(controller)
        for widget, size in ((canvas, (900, 600)), (panel, (900, 420))):
            qtbot.addWidget(widget)
            widget.resize(*size)
            widget.show()
            qtbot.waitExposed(widget)
        canvas.attach(controller)
        made.append(controller)
        return canvas, panel, controller, doc

    yield make
    for controller in made:
        controller.shutdown()


def connection_values(canvas) -> list[float]:
    return [item.value for item in canvas.connection_items()]


def settled_values(qtbot, canvas) -> list[float]:
    """The connections once a step's update has settled to the new weights."""
    qtbot.waitUntil(lambda: not canvas.is_animating(), timeout=10_000)
    return connection_values(canvas)


def train(controller, steps):
    for _ in range(steps):
        controller.step()


def press(qtbot, widget, key, times=1):
    for _ in range(times):
        qtbot.keyClick(widget, key)


def test_scrubbing_shows_the_weights_a_run_stopped_there_draws(rig, qtbot):
    stopped_canvas, _panel, stopped, _doc = rig()
    train(stopped, 25)
    want = settled_values(qtbot, stopped_canvas)

    canvas, panel, controller, doc = rig()
    train(controller, 60)
    live = settled_values(qtbot, canvas)
    timeline = panel.timeline
    slider = timeline.slider
    assert (slider.minimum(), slider.maximum(), slider.value()) == (0, 60, 60)
    assert not timeline.resume_button.isEnabled()
    slider.setFocus()
    press(qtbot, slider, Qt.Key.Key_Home)
    press(qtbot, slider, Qt.Key.Key_Right, 25)
    qtbot.waitUntil(lambda: controller.viewed_step == 25, timeout=10_000)
    qtbot.waitUntil(lambda: connection_values(canvas) == want, timeout=10_000)
    assert connection_values(canvas) != live
    assert "Viewing step 25 of 60" in timeline.label.text()
    assert timeline.resume_button.isEnabled() and timeline.now_button.isEnabled()
    lines = panel.loss.viewed_lines
    assert lines[0].isVisible() and lines[0].value() == 25
    assert "step 25" in panel.loss.readout.text()  # the readout shows the viewed step
    assert controller.step_count == 60  # nothing trained or lost

    qtbot.mouseClick(timeline.now_button, Qt.MouseButton.LeftButton)
    assert controller.viewed_step is None and slider.value() == 60
    assert connection_values(canvas) == live
    assert not lines[0].isVisible()


def test_resume_from_here_continues_from_the_viewed_step_and_undo_returns(rig, qtbot):
    stopped_canvas, _panel, stopped, _doc = rig()
    train(stopped, 33)
    canvas, panel, controller, doc = rig()
    train(controller, 50)
    slider = panel.timeline.slider
    slider.setFocus()
    press(qtbot, slider, Qt.Key.Key_Left, 17)
    qtbot.waitUntil(lambda: controller.viewed_step == 33, timeout=10_000)
    qtbot.mouseClick(panel.timeline.resume_button, Qt.MouseButton.LeftButton)
    assert controller.viewed_step is None and controller.step_count == 33
    assert slider.maximum() == 33 and not panel.timeline.resume_button.isEnabled()
    train(stopped, 5)
    train(controller, 5)
    assert settled_values(qtbot, canvas) == settled_values(qtbot, stopped_canvas)
    doc.undo_stack.undo()
    assert controller.step_count == 50 and slider.maximum() == 50


def test_a_narrow_timeline_gives_the_slider_its_own_row(qtbot):
    from simulator.app.document import Document
    from simulator.app.training import TrainingController
    from simulator.ui.timeline import Timeline

    controller = TrainingController(Document())
    timeline = Timeline(controller)
    qtbot.addWidget(timeline)
    timeline.resize(900, 40)
    timeline.show()
    qtbot.waitUntil(lambda: not timeline.narrow and timeline.width() == 900)
    assert timeline.slider.geometry().top() == pytest.approx(
        timeline.resume_button.geometry().top(), abs=12
    )
    timeline.resize(290, 70)
    qtbot.waitUntil(lambda: timeline.narrow)
    qtbot.waitUntil(
        lambda: timeline.resume_button.geometry().top() >= timeline.slider.geometry().bottom()
    )
    assert timeline.slider.width() > 250  # the whole width, not squeezed beside the buttons
    for button in (timeline.resume_button, timeline.now_button):
        assert button.geometry().right() <= timeline.width()
        assert button.width() >= button.sizeHint().width() - 1  # its text not cut
    controller.shutdown()


def test_the_step_label_never_clips_its_numbers(main_window, qtbot):
    # The plots in the right dock of a 1366x768 window: "Step 300 of 566", not "of 56".
    win = main_window
    win.plots_dock.raise_()
    timeline = win.plots_panel.timeline
    qtbot.waitUntil(lambda: timeline.isVisible() and timeline.narrow)
    train(win.controller, 566)
    win.controller.rewind_to(300)
    label = timeline.label
    assert "566" in label.text()
    qtbot.waitUntil(lambda: label.width() >= label.sizeHint().width())
    for button in (timeline.resume_button, timeline.now_button):
        assert button.width() >= button.sizeHint().width() - 1


def test_the_toolbar_says_an_earlier_step_is_shown(qtbot):
    from simulator.ui import main_window as mw

    window = mw.MainWindow()
    qtbot.addWidget(window)
    window.show()
    for _ in range(12):
        window.controller.step()
    label = window.training_toolbar.phase_label
    assert "Rewound" not in label.text()
    window.controller.rewind_to(4)
    assert "Rewound to step 4 of 12" in label.text()
    window.controller.leave_rewind()
    assert "Rewound" not in label.text()
    window.controller.shutdown()
    window.document.undo_stack.setClean()
