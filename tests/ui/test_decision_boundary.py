"""The data plot draws the training controller's snapshots: the decision boundary behind 2-D
points, the fitted curve over 1-D data, and a hovered neuron's map."""

import numpy as np
import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor

from simulator.app.document import DEFAULT_EXAMPLE, Document
from simulator.app.training import TrainingController, plane_extent
from simulator.project.project import DataSpec, load_example
from simulator.ui import thumbnails
from simulator.ui.data_panel import BOUNDARY_UPSAMPLE, DataPanel, contour_segments, upsample


@pytest.fixture
def controller(doc, panel):
    ctrl = TrainingController(doc)
    snapshots = []
    ctrl.snapshot_ready.connect(snapshots.append)
    ctrl.snapshots = snapshots  # the emitted snapshots, for the tests
    panel.attach(ctrl)
    yield ctrl
    ctrl.shutdown()


def train(controller, steps):
    for _ in range(steps):
        controller.step()
    return controller.snapshots[-1]


def image_rect(item) -> QRectF:
    """Where the image lies in plot coordinates."""
    return item.mapRectToParent(item.boundingRect())


def pixel_centres(image, rect: QRectF):
    """Plot coordinates (x, y) of every image pixel's centre; row 0 is the bottom (y up)."""
    rows, cols = image.shape[:2]
    xs = rect.left() + (np.arange(cols) + 0.5) * rect.width() / cols
    ys = rect.top() + (np.arange(rows) + 0.5) * rect.height() / rows
    return np.meshgrid(xs, ys)


def grid_values_at(values, extent, x, y, reduce):
    """``reduce`` (np.min / np.max) of the grid ``values`` (rows along y) around the points
    (x, y): the 3 x 3 grid samples nearest each point."""
    rows, cols = values.shape
    ci = np.rint((x - extent[0]) / (extent[1] - extent[0]) * (cols - 1)).astype(int)
    ri = np.rint((y - extent[2]) / (extent[3] - extent[2]) * (rows - 1)).astype(int)
    padded = np.pad(values, 1, mode="edge")
    around = [padded[ri + 1 + dr, ci + 1 + dc] for dr in (-1, 0, 1) for dc in (-1, 0, 1)]
    return reduce(np.stack(around), axis=0)


def rgb(image):
    return image[..., :3].astype(int)


def rgb_of(name):
    color = QColor(name)
    return color.red(), color.green(), color.blue()


def test_the_boundary_covers_the_plane_after_a_step(qtbot, panel, doc, controller):
    controller.step()
    snap = controller.snapshots[-1]
    item = panel.boundary_item
    assert item.isVisible()
    assert item.zValue() < panel.points_item.zValue()
    assert snap.grid_shape == (48, 48)
    assert item.image.dtype == np.uint8
    assert item.image.shape == (48 * BOUNDARY_UPSAMPLE, 48 * BOUNDARY_UPSAMPLE, 4)
    x0, x1, y0, y1 = snap.grid_extent
    assert snap.grid_extent == plane_extent(doc.data.dataset)
    rect = image_rect(item)
    assert (rect.left(), rect.right(), rect.top(), rect.bottom()) == pytest.approx((x0, x1, y0, y1))
    assert panel.data_rect == QRectF(x0, y0, x1 - x0, y1 - y0)
    assert panel.show_boundary_checkbox.isVisible() and panel.show_boundary_checkbox.isChecked()
    assert "p(class 1)" in panel.boundary_caption.text()
    assert panel.boundary_bar.isVisible()
    assert panel.contour_item.isVisible()


def test_the_boundary_changes_with_training(qtbot, panel, controller):
    controller.step()
    before = panel.boundary_item.image.copy()
    train(controller, 30)
    assert not np.array_equal(panel.boundary_item.image, before)


def test_the_boundary_follows_playing(qtbot, panel, controller):
    controller.step()
    before = panel.boundary_item.image.copy()
    controller.play()
    qtbot.waitUntil(lambda: len(controller.snapshots) >= 4, timeout=5000)
    controller.pause()
    assert not np.array_equal(panel.boundary_item.image, before)


def test_binary_colours_follow_p_and_the_plane_points_up(qtbot, panel, doc, controller):
    snap = train(controller, 300)
    p = snap.grid_output[:, 0].reshape(snap.grid_shape)
    image = panel.boundary_item.image
    x, y = pixel_centres(image, image_rect(panel.boundary_item))
    colour = rgb(image)
    sure_blue = grid_values_at(p, snap.grid_extent, x, y, np.min) > 0.9
    sure_orange = grid_values_at(p, snap.grid_extent, x, y, np.max) < 0.1
    assert sure_blue.sum() > 100 and sure_orange.sum() > 100
    blue, orange = colour[sure_blue], colour[sure_orange]
    assert np.all(blue[:, 2] > blue[:, 0] + 60)  # blue over red
    assert np.all(orange[:, 0] > orange[:, 2] + 60)
    # Lighter than the points, so they stay visible on top.
    assert np.all(blue.sum(axis=1) > sum(rgb_of(thumbnails.BLUE)) + 60)
    assert np.all(orange.sum(axis=1) > sum(rgb_of(thumbnails.ORANGE)) + 60)

    # A trained XOR network puts (almost) every training point on its own class's colour.
    data = doc.data
    points = data.dataset.X[data.train_index]
    rect = image_rect(panel.boundary_item)
    rows, cols = image.shape[:2]
    c = ((points[:, 0] - rect.left()) / rect.width() * cols).astype(int).clip(0, cols - 1)
    r = ((points[:, 1] - rect.top()) / rect.height() * rows).astype(int).clip(0, rows - 1)
    under = colour[r, c]
    looks_blue = under[:, 2] > under[:, 0]
    assert np.mean(looks_blue == (data.dataset.y[data.train_index] == 1)) > 0.9

    segments = np.column_stack(panel.contour_item.getData())
    assert len(segments) > 10 and len(segments) % 2 == 0
    # The contour lies where p crosses 0.5.
    near = grid_values_at(p, snap.grid_extent, segments[:, 0], segments[:, 1], np.min)
    far = grid_values_at(p, snap.grid_extent, segments[:, 0], segments[:, 1], np.max)
    assert np.all((near <= 0.5) & (far >= 0.5))


def test_several_classes_use_the_class_colours(qtbot, panel, doc, controller):
    doc.set_dataset("spiral3")
    snap = train(controller, 400)
    assert snap.grid_output.shape == (48 * 48, 3)
    assert not panel.contour_item.isVisible()
    assert "predicted class" in panel.boundary_caption.text()
    probs = snap.grid_output.reshape(48, 48, 3)
    image = panel.boundary_item.image
    x, y = pixel_centres(image, image_rect(panel.boundary_item))
    # Fading toward the (near-white) background keeps a colour's direction from white.
    palette = np.array([rgb_of(thumbnails.class_color(k)) for k in range(3)], dtype=float)
    towards = 255.0 - palette
    towards /= np.linalg.norm(towards, axis=1, keepdims=True)
    seen = set()
    for k in range(3):
        confident = grid_values_at(probs[..., k], snap.grid_extent, x, y, np.min) > 0.85
        if not confident.any():
            continue
        pixels = 255.0 - rgb(image)[confident]
        nearest = np.argmax(pixels @ towards.T, axis=1)
        assert np.all(nearest == k)
        seen.add(k)
    assert len(seen) >= 2
    # Unsure regions are paler than sure ones.
    top = probs.max(axis=2)
    unsure = grid_values_at(top, snap.grid_extent, x, y, np.max) < 0.5
    sure = grid_values_at(top, snap.grid_extent, x, y, np.min) > 0.9
    if unsure.any() and sure.any():
        assert rgb(image)[unsure].sum(axis=1).mean() > rgb(image)[sure].sum(axis=1).mean()


def test_regression_on_the_plane_shows_the_prediction(qtbot, panel, doc, controller):
    doc.set_dataset("plane")
    train(controller, 20)
    assert panel.boundary_item.isVisible()
    assert "prediction" in panel.boundary_caption.text()
    assert panel.boundary_low_label.text().startswith("−")  # a real minus sign
    assert not panel.contour_item.isVisible()


def test_one_dimensional_regression_shows_the_fitted_curve(qtbot, panel, doc, controller):
    doc.set_dataset("sine")
    snap = train(controller, 5)
    assert panel.plot_mode == "curve"
    assert not panel.boundary_item.isVisible()
    assert panel.curve_item.isVisible()
    x, y = panel.curve_item.getData()
    np.testing.assert_allclose(x, snap.grid_x[:, 0])
    np.testing.assert_allclose(y, snap.grid_output[:, 0])
    assert panel.show_boundary_checkbox.text() == "Show fit"

    qtbot.mouseClick(panel.show_boundary_checkbox, Qt.MouseButton.LeftButton)
    assert not panel.curve_item.isVisible()
    qtbot.mouseClick(panel.show_boundary_checkbox, Qt.MouseButton.LeftButton)
    assert panel.curve_item.isVisible()


def test_digits_show_no_boundary(qtbot, panel, doc, controller):
    doc.set_dataset("digits")
    snap = train(controller, 2)
    assert snap.grid_output is None
    assert panel.plot_mode == "digits"
    assert not panel.boundary_item.isVisible()
    assert not panel.curve_item.isVisible()
    assert not panel.contour_item.isVisible()
    assert not panel.show_boundary_checkbox.isEnabled()
    assert not panel.boundary_caption.isVisible()
    doc.undo_stack.undo()  # back to XOR: the boundary returns with the next snapshot
    assert panel.boundary_item.isVisible()


def test_hovering_a_neuron_shows_its_map(qtbot, panel, doc, controller):
    snap = train(controller, 100)
    boundary = panel.boundary_item.image.copy()

    panel.show_neuron_map((1, 0))
    assert panel.neuron_map_key == (1, 0)
    assert panel.boundary_item.isVisible()
    assert "h1_1" in panel.boundary_caption.text()
    assert "tanh" in panel.boundary_caption.text()
    assert not panel.contour_item.isVisible()
    a = snap.grid_activations[0][:, 0].reshape(snap.grid_shape)
    image = panel.boundary_item.image
    x, y = pixel_centres(image, image_rect(panel.boundary_item))
    colour = rgb(image)
    high = grid_values_at(a, snap.grid_extent, x, y, np.min) > 0.5
    low = grid_values_at(a, snap.grid_extent, x, y, np.max) < -0.5
    assert high.any() and low.any()
    assert np.all(colour[high][:, 2] > colour[high][:, 0])
    assert np.all(colour[low][:, 0] > colour[low][:, 2])

    # It follows training, then None brings the decision boundary back.
    train(controller, 5)
    assert panel.neuron_map_key == (1, 0)
    assert "h1_1" in panel.boundary_caption.text()
    panel.show_neuron_map(None)
    assert "p(class 1)" in panel.boundary_caption.text()
    assert panel.contour_item.isVisible()
    assert not np.array_equal(panel.boundary_item.image, boundary)  # five steps later
    last = panel.boundary_item.image.copy()
    panel.show_neuron_map((1, 0))
    panel.show_neuron_map(None)
    np.testing.assert_array_equal(panel.boundary_item.image, last)


def test_an_input_map_shows_the_feature_with_y_up(qtbot, panel, controller):
    controller.step()
    panel.show_neuron_map((0, 1))  # x2
    assert "x2" in panel.boundary_caption.text()
    colour = rgb(panel.boundary_item.image)
    assert np.all(colour[-1, :, 2] > colour[-1, :, 0])  # the top row: x2 = 6, blue
    assert np.all(colour[0, :, 0] > colour[0, :, 2])  # the bottom row: x2 = -6, orange
    assert (panel.boundary_low_label.text(), panel.boundary_high_label.text()) == ("−6", "6")


def test_an_unknown_neuron_falls_back_to_the_boundary(qtbot, panel, controller):
    controller.step()
    panel.show_neuron_map((7, 3))
    assert panel.boundary_item.isVisible()
    assert "p(class 1)" in panel.boundary_caption.text()


def test_the_output_neuron_map_reads_as_a_probability(qtbot, panel, controller):
    controller.step()
    panel.show_neuron_map((2, 0))
    assert "sigmoid" in panel.boundary_caption.text()
    assert (panel.boundary_low_label.text(), panel.boundary_high_label.text()) == ("0", "1")


def test_the_toggle_hides_the_boundary_and_is_remembered(qtbot, panel, doc, controller):
    controller.step()
    assert panel.boundary_item.isVisible()
    qtbot.mouseClick(panel.show_boundary_checkbox, Qt.MouseButton.LeftButton)
    assert not panel.show_boundary_checkbox.isChecked()
    assert not panel.boundary_item.isVisible() and not panel.contour_item.isVisible()
    controller.step()
    assert not panel.boundary_item.isVisible()
    # Hovering a neuron still shows its map, and leaving it hides the plane again.
    panel.show_neuron_map((1, 0))
    assert panel.boundary_item.isVisible()
    panel.show_neuron_map(None)
    assert not panel.boundary_item.isVisible()

    second = DataPanel(doc)
    qtbot.addWidget(second)
    assert not second.show_boundary_checkbox.isChecked()
    qtbot.mouseClick(panel.show_boundary_checkbox, Qt.MouseButton.LeftButton)
    assert panel.boundary_item.isVisible()


def n_colours(image) -> int:
    return len(np.unique(rgb(image).reshape(-1, 3), axis=0))


def test_discretize_shows_the_predicted_class_in_two_colours(qtbot, panel, doc, controller):
    snap = train(controller, 300)
    assert panel.discretize_checkbox.isVisible() and panel.discretize_checkbox.isEnabled()
    assert not panel.discretize_checkbox.isChecked()
    assert n_colours(panel.boundary_item.image) > 20  # p on a colour scale
    qtbot.mouseClick(panel.discretize_checkbox, Qt.MouseButton.LeftButton)
    assert panel.discretize_checkbox.isChecked()
    image = panel.boundary_item.image
    colour = rgb(image)
    levels = {tuple(c) for c in colour.reshape(-1, 3).tolist()}
    assert len(levels) == 2
    # The two ends of the map: class 0's colour where p < 0.5, class 1's where p ≥ 0.5.
    p = snap.grid_output[:, 0].reshape(snap.grid_shape)
    x, y = pixel_centres(image, image_rect(panel.boundary_item))
    above = grid_values_at(p, snap.grid_extent, x, y, np.min) > 0.5
    below = grid_values_at(p, snap.grid_extent, x, y, np.max) < 0.5
    assert above.sum() > 100 and below.sum() > 100
    blue, orange = colour[above], colour[below]
    assert (blue == blue[0]).all() and (orange == orange[0]).all()
    assert blue[0, 2] > blue[0, 0] + 60 and orange[0, 0] > orange[0, 2] + 60
    assert {tuple(blue[0]), tuple(orange[0])} == levels
    assert "predicted class" in panel.boundary_caption.text()
    assert not panel.boundary_bar.isVisible()
    # Training goes on discretized; unticked, the probabilities come back.
    controller.step()
    assert n_colours(panel.boundary_item.image) == 2
    qtbot.mouseClick(panel.discretize_checkbox, Qt.MouseButton.LeftButton)
    assert n_colours(panel.boundary_item.image) > 20
    assert "p(class 1)" in panel.boundary_caption.text()


def test_discretize_on_one_dimensional_classes_draws_a_step(qtbot, panel, doc, controller):
    rng = np.random.default_rng(1)
    x = rng.uniform(-3, 3, (80, 1))
    spec = DataSpec("inline", X=x, y=(x[:, 0] > 0.5).astype(float), kind="binary", features=[])
    doc.import_data(spec, "step.csv")
    train(controller, 50)
    assert panel.plot_mode == "curve" and panel.curve_item.isVisible()
    assert len(np.unique(panel.curve_item.getData()[1])) > 10  # p(class 1) along x
    qtbot.mouseClick(panel.discretize_checkbox, Qt.MouseButton.LeftButton)
    xs, ys = panel.curve_item.getData()
    assert set(np.unique(ys)) == {0.0, 1.0}
    p = controller.snapshots[-1].grid_output[:, 0]
    np.testing.assert_array_equal(ys, (p >= 0.5).astype(float))
    assert "predicted class" in panel.boundary_caption.text()


def test_discretize_is_remembered_and_takes_no_undo_step(qtbot, panel, doc, controller):
    controller.step()
    modified = doc.is_modified  # (training marks the project modified)
    qtbot.mouseClick(panel.discretize_checkbox, Qt.MouseButton.LeftButton)
    assert doc.undo_stack.count() == 0 and doc.is_modified == modified
    second = DataPanel(doc)
    qtbot.addWidget(second)
    assert second.discretize_checkbox.isChecked()


def test_discretize_on_several_classes_shows_one_colour_per_class(qtbot, panel, doc, controller):
    doc.set_dataset("spiral3")
    train(controller, 200)
    qtbot.mouseClick(panel.discretize_checkbox, Qt.MouseButton.LeftButton)
    image = panel.boundary_item.image
    assert 2 <= n_colours(image) <= 3
    assert "most probable" in panel.boundary_caption.text()


def test_discretize_does_not_apply_to_regression(qtbot, panel, doc, controller):
    doc.set_dataset("plane")
    train(controller, 5)
    assert not panel.discretize_checkbox.isEnabled()
    assert "no classes" in panel.discretize_checkbox.toolTip()
    panel.discretize_checkbox.setChecked(True)  # remembered from other data: no effect here
    assert n_colours(panel.boundary_item.image) > 20


def test_a_hidden_panel_catches_up_when_shown(qtbot, panel, controller):
    controller.step()
    before = panel.boundary_item.image.copy()
    panel.hide()
    train(controller, 30)
    np.testing.assert_array_equal(panel.boundary_item.image, before)
    panel.show()
    qtbot.waitExposed(panel)
    assert not np.array_equal(panel.boundary_item.image, before)


def test_the_test_points_can_join_the_boundary(qtbot, panel, controller):
    controller.step()
    qtbot.mouseClick(panel.show_test_checkbox, Qt.MouseButton.LeftButton)
    assert panel.test_points_item.isVisible() and panel.boundary_item.isVisible()
    assert panel.test_points_item.zValue() > panel.boundary_item.zValue()


def test_own_data_gets_a_boundary_over_its_own_bounds(qtbot):
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.uniform(10, 20, 100), rng.uniform(-3, 3, 100)])
    y = (X[:, 0] > 15).astype(int)
    spec = DataSpec("inline", X=X, y=y, kind="binary", class_names=["left", "right"])
    doc = Document(load_example(DEFAULT_EXAMPLE).replace(data=spec))
    panel = DataPanel(doc)
    qtbot.addWidget(panel)
    panel.show()
    controller = TrainingController(doc)
    panel.attach(controller)
    controller.step()
    x0, x1, y0, y1 = plane_extent(doc.data.dataset)
    assert x0 < 10 and x1 > 20
    assert panel.data_rect == QRectF(x0, y0, x1 - x0, y1 - y0)
    assert panel.boundary_item.isVisible()
    assert image_rect(panel.boundary_item) == panel.data_rect
    controller.shutdown()


@pytest.mark.parametrize("dataset", ["xor", "spiral3", "plane", "sine"])
def test_non_finite_or_huge_outputs_draw_without_errors(qtbot, panel, doc, controller, dataset):
    if dataset != "xor":
        doc.set_dataset(dataset)
    controller.step()
    snap = controller.snapshots[-1]
    out = snap.grid_output
    out[0::3] = np.nan
    out[1::3] = np.inf if dataset in ("plane", "sine") else 1.0
    out[2::3] = -1e300 if dataset in ("plane", "sine") else 0.0
    snap.grid_activations[0][:] = np.inf
    controller.snapshot_ready.emit(snap)  # an exception here fails the test (pytest-qt)
    panel.show_neuron_map((1, 0))
    panel.show_neuron_map(None)
    shown = panel.curve_item if dataset == "sine" else panel.boundary_item
    assert shown.isVisible()


def test_upsampling_is_bilinear_at_the_pixel_centres():
    xs = np.linspace(-6, 6, 48)
    ys = np.linspace(-2, 4, 48)
    gx, gy = np.meshgrid(xs, ys)
    fine = upsample(3.0 * gx - 2.0 * gy)  # bilinear interpolation keeps linear functions
    rect = QRectF(-6, -2, 12, 6)
    px, py = pixel_centres(fine, rect)
    assert fine.shape == (48 * BOUNDARY_UPSAMPLE, 48 * BOUNDARY_UPSAMPLE)
    np.testing.assert_allclose(fine, 3.0 * px - 2.0 * py, atol=1e-4)


def test_contour_segments_trace_a_level_set():
    axis = np.linspace(-6, 6, 48)
    gx, gy = np.meshgrid(axis, axis)
    points = contour_segments(np.hypot(gx, gy), (-6, 6, -6, 6), 3.0)
    assert len(points) > 40 and len(points) % 2 == 0
    np.testing.assert_allclose(np.hypot(points[:, 0], points[:, 1]), 3.0, atol=0.02)
    # A saddle cell gives two segments, and none where nothing crosses.
    saddle = contour_segments(np.array([[1.0, -1.0], [-1.0, 1.0]]), (0, 1, 0, 1), 0.0)
    assert saddle.shape == (4, 2)
    assert len(contour_segments(np.ones((5, 5)), (0, 1, 0, 1), 0.0)) == 0


def y_range(panel):
    return panel.plot.getViewBox().viewRange()[1]


def test_the_worked_examples_prediction_is_in_view(qtbot):
    # One target y = 0 at x = 1 and a prediction of 0.61: a plot of the data alone (±0.1)
    # left the network's line out of sight.
    doc = Document(load_example("worked-example"))
    panel = DataPanel(doc)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    controller = TrainingController(doc)
    panel.attach(controller)
    try:
        assert panel.plot_mode == "curve" and panel.curve_item.isVisible()
        x, y = panel.curve_item.getData()
        prediction = float(np.interp(1.0, x, y))
        assert prediction > 0.6
        low, high = y_range(panel)
        assert low < 0.0 < high  # the target
        assert low < y.min() and y.max() < high  # the whole line, not only at x = 1
        x_low, x_high = panel.plot.getViewBox().viewRange()[0]
        assert x_low <= x.min() and x.max() <= x_high
        assert high - low < 2.0  # and the line is not a flat stripe in a tall plot

        # Without the line, the plot fits the data again.
        qtbot.mouseClick(panel.show_boundary_checkbox, Qt.MouseButton.LeftButton)
        assert not panel.curve_item.isVisible()
        assert y_range(panel)[1] < prediction
        qtbot.mouseClick(panel.show_boundary_checkbox, Qt.MouseButton.LeftButton)
        assert y_range(panel)[1] > prediction
    finally:
        controller.shutdown()


def test_the_data_range_holds_still_while_the_line_stays_inside(qtbot, panel, doc, controller):
    doc.set_dataset("sine")
    train(controller, 1)
    shown = y_range(panel)
    targets = doc.data.dataset.y
    assert shown[0] < targets.min() and targets.max() < shown[1]
    snap = controller.snapshots[-1]
    # A line well inside the range moves no axis (they would jitter at every step).
    snap.grid_output = np.zeros_like(snap.grid_output)
    controller.snapshot_ready.emit(snap)
    assert y_range(panel) == shown
    # A diverged line is followed only so far: the data keeps most of the plot's height.
    snap.grid_output = np.full_like(snap.grid_output, 1e9)
    controller.snapshot_ready.emit(snap)
    low, high = y_range(panel)
    assert low < targets.min() and high > targets.max()
    assert high - low < 10 * (targets.max() - targets.min())
