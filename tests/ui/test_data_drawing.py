"""Drawing your own data on the Data panel's plot, through the real widgets: clicks, drags and
right-clicks on the plot, the class buttons, "Only drawn" and "Clear drawn"."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from simulator.app.document import Document
from simulator.app.training import TrainingController
from tests.ui.test_data_panel import click_thumbnail

LEFT, RIGHT = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton


def plot_pos(panel, x: float, y: float) -> QPoint:
    """The viewport pixel of plot coordinates (x, y)."""
    scene = panel.plot.getViewBox().mapViewToScene(QPointF(x, y))
    return panel.plot.mapFromScene(scene)


def pixel_size(panel) -> tuple[float, float]:
    px, py = panel.plot.getViewBox().viewPixelSize()
    return abs(px), abs(py)


def click(qtbot, panel, x, y, button=LEFT):
    qtbot.mouseClick(panel.plot.viewport(), button, pos=plot_pos(panel, x, y))


def drag(qtbot, panel, points, button=LEFT):
    """Press at the first point, move through the others, release at the last."""
    viewport = panel.plot.viewport()
    first = plot_pos(panel, *points[0])
    qtbot.mousePress(viewport, button, pos=first)
    for x, y in points[1:]:
        qtbot.mouseMove(viewport, plot_pos(panel, x, y))
    qtbot.mouseRelease(viewport, button, pos=plot_pos(panel, *points[-1]))


def start_drawing(qtbot, panel, class_index: int | None = None):
    qtbot.mouseClick(panel.draw_button, LEFT)
    assert panel.draw_button.isChecked()
    if class_index is not None:
        qtbot.mouseClick(panel.class_buttons[class_index], LEFT)
        assert panel.class_buttons[class_index].isChecked()


def drawn(doc) -> tuple[np.ndarray, np.ndarray]:
    spec = doc.project.data.drawn
    assert spec is not None
    return spec.X, spec.y


def test_a_click_adds_a_point_of_the_chosen_class_where_clicked(qtbot, panel, doc):
    n_train = len(doc.data.train_index)
    start_drawing(qtbot, panel, class_index=1)
    click(qtbot, panel, 2.0, -3.0)
    X, y = drawn(doc)
    px, py = pixel_size(panel)
    assert X.shape == (1, 2) and y.tolist() == [1.0]
    assert abs(X[0, 0] - 2.0) <= px and abs(X[0, 1] + 3.0) <= py
    # The plot shows it, as a training point, and one Undo step takes it back.
    assert len(doc.data.train_index) == n_train + 1
    assert len(panel.points_item.getData()[0]) == n_train + 1
    np.testing.assert_array_equal(panel.sample_plot.drawn_points(), X)
    assert doc.undo_stack.undoText() == "Draw a point"
    qtbot.mouseClick(panel.class_buttons[0], LEFT)
    click(qtbot, panel, -1.0, 4.0)
    X, y = drawn(doc)
    assert y.tolist() == [1.0, 0.0]
    assert abs(X[1, 0] + 1.0) <= px and abs(X[1, 1] - 4.0) <= py
    assert "2 of them drawn by you" in panel.summary_label.text()
    assert "the 2 points you drew" in panel.clear_drawn_button.toolTip()


def test_without_draw_a_click_adds_nothing(qtbot, panel, doc):
    assert not panel.draw_button.isChecked()
    click(qtbot, panel, 5.9, 5.9)
    assert doc.project.data.drawn is None and doc.undo_stack.count() == 0


def test_right_click_erases_the_nearest_drawn_point(qtbot, panel, doc):
    start_drawing(qtbot, panel, class_index=0)
    for x in (-4.0, 0.0, 4.0):
        click(qtbot, panel, x, 5.0)
    before, _ = drawn(doc)
    with qtbot.waitSignal(doc.data_changed):
        click(qtbot, panel, 0.3, 4.8, RIGHT)  # nearest the middle point
    X, _ = drawn(doc)
    np.testing.assert_array_equal(X, before[[0, 2]])
    assert doc.undo_stack.undoText() == "Erase a point"
    # Far from every drawn point: nothing goes, and the status bar says how.
    messages = []
    panel.message.connect(messages.append)
    click(qtbot, panel, 0.0, -5.0, RIGHT)
    np.testing.assert_array_equal(drawn(doc)[0], before[[0, 2]])
    assert messages and "Right-click on a point you drew" in messages[-1]


def test_a_drag_paints_several_points_and_one_undo_takes_them_all(qtbot, panel, doc):
    start_drawing(qtbot, panel, class_index=1)
    path = [(x, 0.5 * x) for x in np.linspace(-5.0, 5.0, 21)]
    count = doc.undo_stack.count()
    drag(qtbot, panel, path)
    X, y = drawn(doc)
    assert len(X) >= 5 and (y == 1.0).all()
    assert doc.undo_stack.count() == count + 1
    assert doc.undo_stack.undoText() == f"Draw {len(X)} points"
    # Along the line drawn, from one end to the other.
    px, py = pixel_size(panel)
    np.testing.assert_allclose(X[:, 1], 0.5 * X[:, 0], atol=2 * py + 0.5 * px)
    assert X[0, 0] == pytest.approx(-5.0, abs=px) and X[-1, 0] > 3.0
    kept = X.copy()
    doc.undo_stack.undo()
    assert doc.project.data.drawn is None
    assert len(panel.sample_plot.drawn_points()) == 0
    doc.undo_stack.redo()
    assert drawn(doc)[0].tobytes() == kept.tobytes()


def test_a_right_drag_erases_the_points_it_passes(qtbot, panel, doc):
    start_drawing(qtbot, panel, class_index=0)
    for x in (-3.0, -1.0, 1.0, 3.0):
        click(qtbot, panel, x, -4.0)
    click(qtbot, panel, 0.0, 4.0)
    count = doc.undo_stack.count()
    drag(qtbot, panel, [(x, -4.0) for x in np.linspace(-3.5, 3.5, 15)], RIGHT)
    X, _ = drawn(doc)
    assert len(X) == 1 and abs(X[0, 1] - 4.0) < 0.2
    assert doc.undo_stack.count() == count + 1
    assert doc.undo_stack.undoText() == "Erase 4 points"


def test_clear_and_only_drawn(qtbot, panel, doc):
    assert not panel.clear_drawn_button.isEnabled()
    assert not panel.only_drawn_checkbox.isEnabled()
    start_drawing(qtbot, panel, class_index=1)
    click(qtbot, panel, 1.0, 1.0)
    qtbot.mouseClick(panel.class_buttons[0], LEFT)
    click(qtbot, panel, -1.0, -1.0)
    panel.only_drawn_checkbox.click()
    assert doc.project.data.drawn.only
    assert len(doc.data.train_index) == 2 and len(doc.data.test_index) == 0
    assert len(panel.points_item.getData()[0]) == 2
    assert not panel.samples_spin.isEnabled() and not panel.regenerate_button.isEnabled()
    assert "only your 2 drawn points" in panel.summary_label.text()
    qtbot.mouseClick(panel.clear_drawn_button, LEFT)
    assert doc.project.data.drawn is None
    assert panel.samples_spin.isEnabled() and not panel.only_drawn_checkbox.isChecked()
    assert len(doc.data.train_index) + len(doc.data.test_index) == 200
    doc.undo_stack.undo()
    assert doc.project.data.drawn.only and panel.only_drawn_checkbox.isChecked()


def test_training_on_only_drawn_points_sees_exactly_them(qtbot, panel, doc):
    controller = TrainingController(doc)
    panel.attach(controller)
    try:
        start_drawing(qtbot, panel, class_index=1)
        click(qtbot, panel, 2.0, 2.0)
        click(qtbot, panel, -2.0, -2.0)
        qtbot.mouseClick(panel.class_buttons[0], LEFT)
        click(qtbot, panel, 2.0, -2.0)
        click(qtbot, panel, -2.0, 2.0)
        panel.only_drawn_checkbox.click()
        X, y = drawn(doc)
        trainer = controller.trainer
        np.testing.assert_array_equal(trainer.X_train, X)
        np.testing.assert_array_equal(trainer.Y_train[:, 0], y)
        assert trainer.X_test is None  # no test samples: the drawn points all train
        controller.step()
        assert controller.step_count == 1
    finally:
        controller.shutdown()


def test_drawn_points_come_back_from_the_file_bit_for_bit(qtbot, panel, doc, tmp_path):
    start_drawing(qtbot, panel, class_index=1)
    drag(qtbot, panel, [(-4.0, y) for y in np.linspace(-4.0, 4.0, 12)])
    qtbot.mouseClick(panel.class_buttons[0], LEFT)
    click(qtbot, panel, 3.3, 1.7)
    X, y = drawn(doc)
    path = doc.save(tmp_path / "mine.json")
    reopened = Document()
    reopened.open(path)
    again = reopened.project.data.drawn
    assert again.X.tobytes() == X.tobytes() and again.y.tobytes() == y.tobytes()
    np.testing.assert_array_equal(reopened.data.X_train[-len(X) :], X)


def test_data_of_another_kind_drops_the_points_and_says_so(qtbot, panel, doc):
    start_drawing(qtbot, panel, class_index=1)
    click(qtbot, panel, 1.0, 1.0)
    click_thumbnail(qtbot, panel, "circle")  # two classes again: the point stays
    assert doc.project.data.n_drawn == 1
    messages = []
    panel.message.connect(messages.append)
    click_thumbnail(qtbot, panel, "plane")  # a regression target: it goes
    assert doc.project.data.drawn is None
    assert messages and "Undo brings them back" in messages[-1]
    assert not panel.class_buttons and panel.drawing.value_spin.isVisible()


def test_regression_points_take_the_value_or_the_height_clicked(qtbot, panel, doc):
    click_thumbnail(qtbot, panel, "plane")
    start_drawing(qtbot, panel)
    spin = panel.drawing.value_spin
    spin.selectAll()
    qtbot.keyClicks(spin, "-0.75")  # a hyphen typed is read; a real minus sign is shown
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert spin.value() == -0.75 and spin.text() == "y = −0.75"
    click(qtbot, panel, 1.0, 2.0)
    assert drawn(doc)[1].tolist() == [-0.75]
    click_thumbnail(qtbot, panel, "sine")  # 1-D: x along, the target up
    assert panel.plot_mode == "curve" and not panel.drawing.value_spin.isVisible()
    assert panel.draw_button.isChecked()
    x0, x1, y0, y1 = panel.sample_plot.shown_span
    x, target = 0.5 * (x0 + x1), y0 + 0.8 * (y1 - y0)
    click(qtbot, panel, x, target)
    X, y = drawn(doc)
    px, py = pixel_size(panel)
    assert X.shape == (1, 1)
    assert abs(X[0, 0] - x) <= px and abs(y[0] - target) <= py


def test_digits_cannot_be_drawn_on_and_say_why(qtbot, panel, doc):
    start_drawing(qtbot, panel)
    click_thumbnail(qtbot, panel, "digits")
    assert not panel.draw_button.isEnabled() and not panel.draw_button.isChecked()
    assert "8×8 images" in panel.draw_button.toolTip()
    click(qtbot, panel, 1.0, 1.0)
    assert doc.project.data.drawn is None


def test_drawing_does_not_widen_the_panel(qtbot, panel, doc):
    width = panel.sizeHint().width()
    start_drawing(qtbot, panel, class_index=1)
    drag(qtbot, panel, [(x, 1.0) for x in np.linspace(-5.0, 5.0, 40)])
    assert doc.project.data.n_drawn > 10
    assert panel.sizeHint().width() == width


def test_every_drawing_control_has_a_tooltip_and_a_name(qtbot, panel):
    drawing = panel.drawing
    controls = [drawing.draw_button, *drawing.class_buttons, drawing.value_spin,
                drawing.only_checkbox, drawing.clear_button]  # fmt: skip
    for widget in controls:
        assert widget.toolTip(), widget
        assert widget.accessibleName(), widget
    assert "right-click" in drawing.draw_button.toolTip()
    start_drawing(qtbot, panel)
    assert "drag" in panel.plot.toolTip() and "right-click" in panel.plot.toolTip()


def test_in_the_window_ctrl_z_takes_back_a_stroke_and_save_open_keeps_it(
    qtbot, main_window, tmp_path, monkeypatch
):
    from simulator.ui import main_window as mw

    win = main_window
    panel, doc = win.data_panel, win.document
    start_drawing(qtbot, panel, class_index=0)
    drag(qtbot, panel, [(x, 3.0) for x in np.linspace(-4.0, 4.0, 12)])
    X, y = drawn(doc)
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # Edit ▸ Undo
    assert doc.project.data.drawn is None
    redo = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(win, Qt.Key.Key_Z, redo)
    assert drawn(doc)[0].tobytes() == X.tobytes()
    path = tmp_path / "drawn.json"
    monkeypatch.setattr(mw, "ask_save_path", lambda parent, suggestion: str(path))
    assert win.save_as()
    doc.new_project()
    assert doc.project.data.drawn is None
    monkeypatch.setattr(mw, "ask_open_path", lambda parent, folder: str(path))
    win.open_dialog()
    again_X, again_y = drawn(doc)
    assert again_X.tobytes() == X.tobytes() and again_y.tobytes() == y.tobytes()
    assert panel.sample_plot.drawn_points().tobytes() == X.tobytes()


def test_a_double_click_adds_one_point_and_esc_stops_drawing(qtbot, panel, doc):
    start_drawing(qtbot, panel, class_index=0)
    viewport = panel.plot.viewport()
    # A double-click as the window system sends it: press, release, double-click, release.
    pos = plot_pos(panel, 1.0, 1.0)
    qtbot.mouseClick(viewport, LEFT, pos=pos)
    qtbot.mouseDClick(viewport, LEFT, pos=pos)  # QTest sends the double-click event alone
    qtbot.mouseRelease(viewport, LEFT, pos=pos)
    assert len(drawn(doc)[0]) == 1 and doc.undo_stack.undoText() == "Draw a point"
    # Esc in the middle of a stroke drops the stroke; Draw stays on.
    messages = []
    panel.message.connect(messages.append)
    qtbot.mousePress(viewport, LEFT, pos=plot_pos(panel, -3.0, -3.0))
    qtbot.mouseMove(viewport, plot_pos(panel, 3.0, -3.0))
    assert panel.plot.hasFocus()  # the click gave the plot the keyboard
    qtbot.keyClick(panel.plot, Qt.Key.Key_Escape)
    qtbot.mouseRelease(viewport, LEFT, pos=plot_pos(panel, 3.0, -3.0))
    assert len(drawn(doc)[0]) == 1 and panel.draw_button.isChecked()
    assert messages[-1] == "Stroke cancelled"
    # A second Esc leaves Draw; a click then adds nothing.
    qtbot.keyClick(panel.plot, Qt.Key.Key_Escape)
    assert not panel.draw_button.isChecked() and "Drawing off" in messages[-1]
    click(qtbot, panel, -2.0, 2.0)
    assert len(drawn(doc)[0]) == 1


def test_drawing_near_the_edge_of_imported_data_keeps_the_plane(qtbot, panel, doc, tmp_path):
    # Imported data's plane is its bounds with a margin.  A point drawn in that margin must
    # not widen the plane (the next click near the new edge would widen it again).
    from tests.app.test_document_import import imported, iris_like

    spec, _ = imported(iris_like(tmp_path / "iris.csv"), features=["sepal length", "sepal width"])
    doc.import_data(spec)
    assert panel.plot_mode == "plane"
    plane = panel.sample_plot.data_rect
    start_drawing(qtbot, panel, class_index=0)
    for _ in range(3):
        rect = panel.sample_plot.data_rect
        x, y = rect.right() - 0.01 * rect.width(), rect.bottom() - 0.01 * rect.height()
        click(qtbot, panel, x, y)  # the top right corner (y grows upwards)
    assert len(drawn(doc)[0]) == 3
    assert panel.sample_plot.data_rect == plane
