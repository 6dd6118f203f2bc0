"""The Data panel, driven through its real widgets on a real Document."""

import numpy as np
import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QApplication

from simulator.engine import datasets
from simulator.ui import thumbnails


def click_thumbnail(qtbot, panel, name):
    item = panel.dataset_item(name)
    lst = item.listWidget()
    center = lst.visualItemRect(item).center()
    qtbot.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton, pos=center)


def type_into(qtbot, spin, text):
    spin.selectAll()
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key.Key_Return)


def n_points(item):
    return len(item.getData()[0])


def test_starts_showing_the_documents_data(panel, doc):
    assert panel.selected_dataset() == doc.project.data.dataset == "xor"
    checked = [k for k, b in panel.feature_buttons.items() if b.isChecked()]
    assert checked == ["x1", "x2"]
    assert n_points(panel.points_item) == len(doc.data.train_index)
    assert n_points(panel.test_points_item) == len(doc.data.test_index)
    assert panel.plot_mode == "plane"
    assert panel.samples_spin.value() == 200
    assert panel.test_spin.value() == 20


def test_every_dataset_has_a_thumbnail(panel):
    names = [
        lst.item(row).data(Qt.ItemDataRole.UserRole)
        for lst in panel.dataset_lists.values()
        for row in range(lst.count())
    ]
    assert sorted(names) == sorted(datasets.DATASETS)
    for name in names:
        assert not panel.dataset_item(name).icon().isNull()
        image = thumbnails.dataset_thumbnail(name)
        assert not image.isNull() and image.width() == 2 * 40
    assert set(panel.dataset_lists) == {"Classification", "Regression", "Multi-class", "Digits"}


def test_choosing_a_dataset_changes_the_document_and_the_selection(qtbot, panel, doc):
    click_thumbnail(qtbot, panel, "spiral3")
    assert doc.project.data.dataset == "spiral3"
    assert doc.network.sizes[-1] == 3
    assert panel.selected_dataset() == "spiral3"
    assert panel.dataset_item("spiral3").isSelected()
    assert not panel.dataset_item("xor").isSelected()
    assert n_points(panel.points_item) == len(doc.data.train_index) == 480

    doc.undo_stack.undo()
    assert doc.project.data.dataset == "xor"
    assert doc.network.sizes[-1] == 1
    assert panel.selected_dataset() == "xor"
    assert not panel.dataset_item("spiral3").isSelected()
    assert n_points(panel.points_item) == len(doc.data.train_index) == 160


def test_toggling_a_feature_adds_an_input_neuron(qtbot, panel, doc):
    qtbot.mouseClick(panel.feature_buttons["x1^2"], Qt.MouseButton.LeftButton)
    assert doc.project.data.features == ["x1", "x2", "x1^2"]
    assert doc.network.sizes[0] == 3
    assert panel.feature_buttons["x1^2"].isChecked()

    qtbot.mouseClick(panel.feature_buttons["x1"], Qt.MouseButton.LeftButton)
    assert doc.project.data.features == ["x2", "x1^2"]
    assert doc.network.sizes[0] == 2

    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.network.sizes[0] == 2
    assert not panel.feature_buttons["x1^2"].isChecked()
    assert panel.feature_buttons["x1"].isChecked()


def test_the_last_feature_cannot_be_switched_off(qtbot, panel, doc):
    qtbot.mouseClick(panel.feature_buttons["x2"], Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(panel.message, timeout=10_000) as blocker:
        qtbot.mouseClick(panel.feature_buttons["x1"], Qt.MouseButton.LeftButton)
    assert "at least one" in blocker.args[0]
    assert doc.project.data.features == ["x1"]
    assert panel.feature_buttons["x1"].isChecked()


def test_noise_changes_the_data_and_undo_restores_the_controls(qtbot, panel, doc):
    y_before = doc.data.dataset.y.copy()
    type_into(qtbot, panel.noise_spin, "0.3")
    assert doc.project.data.noise == pytest.approx(0.3)
    assert not np.array_equal(doc.data.dataset.y, y_before)
    assert panel.noise_slider.value() == 30

    qtbot.keyClick(panel.noise_slider, Qt.Key.Key_PageUp)  # one page: +0.10
    assert doc.project.data.noise == pytest.approx(0.4)
    assert panel.noise_spin.value() == pytest.approx(0.4)

    doc.undo_stack.undo()  # consecutive noise edits merge into one step
    assert doc.project.data.noise == 0.0
    assert panel.noise_spin.value() == 0.0 and panel.noise_slider.value() == 0
    np.testing.assert_array_equal(doc.data.dataset.y, y_before)


def test_test_ratio_changes_the_split_and_the_plot(qtbot, panel, doc):
    type_into(qtbot, panel.test_spin, "40")
    assert doc.project.data.test_ratio == pytest.approx(0.4)
    assert len(doc.data.test_index) == 80
    assert n_points(panel.points_item) == len(doc.data.train_index) == 120
    assert panel.test_slider.value() == 40
    assert "120 training" in panel.summary_label.text()


def test_sample_count_and_regenerate(qtbot, panel, doc):
    type_into(qtbot, panel.samples_spin, "300")
    assert doc.project.data.n_samples == 300
    assert n_points(panel.points_item) == len(doc.data.train_index) == 240

    X_before = doc.data.dataset.X.copy()
    qtbot.mouseClick(panel.regenerate_button, Qt.MouseButton.LeftButton)
    assert not np.array_equal(doc.data.dataset.X, X_before)
    assert n_points(panel.points_item) == 240
    doc.undo_stack.undo()
    np.testing.assert_array_equal(doc.data.dataset.X, X_before)


def test_one_dimensional_and_digit_data(qtbot, panel, doc):
    click_thumbnail(qtbot, panel, "sine")
    assert panel.plot_mode == "curve"
    assert not any(b.isEnabled() for b in panel.feature_buttons.values())
    assert "2-D data only" in panel.feature_buttons["x1"].toolTip()
    x, y = panel.points_item.getData()
    train = doc.data.train_index
    np.testing.assert_allclose(x, doc.data.dataset.X[train, 0])
    np.testing.assert_allclose(y, doc.data.dataset.y[train])

    click_thumbnail(qtbot, panel, "digits")
    assert doc.network.sizes[0] == 64 and doc.network.sizes[-1] == 10
    assert panel.plot_mode == "digits"
    assert panel.digits_item.isVisible() and not panel.points_item.isVisible()
    assert panel.samples_spin.maximum() == datasets.DIGITS_SAMPLES

    click_thumbnail(qtbot, panel, "circle")
    assert panel.plot_mode == "plane"
    assert all(b.isEnabled() for b in panel.feature_buttons.values())
    assert not panel.digits_item.isVisible()
    assert n_points(panel.points_item) == len(doc.data.train_index)


def test_points_are_coloured_by_class_and_by_target(qtbot, panel, doc):
    fills = {b.color().name() for b in panel.points_item.data["brush"]}
    assert fills == {thumbnails.ORANGE, thumbnails.BLUE}
    click_thumbnail(qtbot, panel, "plane")
    assert len({b.color().name() for b in panel.points_item.data["brush"]}) > 10


def test_show_test_data_and_the_boundary_layer(qtbot, panel):
    assert not panel.test_points_item.isVisible()
    qtbot.mouseClick(panel.show_test_checkbox, Qt.MouseButton.LeftButton)
    assert panel.test_points_item.isVisible()
    assert panel.points_items == (panel.points_item, panel.test_points_item)
    # The decision boundary image waits, hidden, behind the points until a training
    # controller is attached (tests/ui/test_decision_boundary.py).
    assert not panel.boundary_item.isVisible()
    assert not panel.show_boundary_checkbox.isVisible()
    assert panel.boundary_item.zValue() < panel.points_item.zValue()
    assert panel.data_rect.width() == pytest.approx(12.0)


def test_a_new_project_refreshes_the_panel(qtbot, panel, doc):
    click_thumbnail(qtbot, panel, "moons")
    doc.new_project()
    assert panel.selected_dataset() == "xor"
    assert n_points(panel.points_item) == len(doc.data.train_index)


def test_focus_alone_does_not_switch_the_dataset_but_arrow_keys_do(qtbot, panel, doc):
    click_thumbnail(qtbot, panel, "spiral3")
    classification = panel.dataset_lists["Classification"]
    # Tabbing into a group makes its first thumbnail current: that is no choice yet.
    QApplication.sendEvent(
        classification, QFocusEvent(QEvent.Type.FocusIn, Qt.FocusReason.TabFocusReason)
    )
    assert doc.project.data.dataset == "spiral3"
    assert panel.selected_dataset() == "spiral3"
    qtbot.keyClick(classification, Qt.Key.Key_Right)
    assert doc.project.data.dataset == panel.selected_dataset() == "xor"


def isolated_sample(panel) -> int:
    """The training point farthest from its nearest neighbour (a click finds it alone)."""
    xy = np.array([panel.sample_point(i) for i in range(len(panel.document.data.train_index))])
    gaps = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
    np.fill_diagonal(gaps, np.inf)
    return int(gaps.min(axis=1).argmax())


def click_plot(qtbot, panel, x: float, y: float):
    """A left click on the data plot at plot coordinates (x, y)."""
    from PySide6.QtCore import QPointF

    scene = panel.plot.getViewBox().mapViewToScene(QPointF(x, y))
    pos = panel.plot.mapFromScene(scene)
    qtbot.mouseClick(panel.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def click_sample(qtbot, panel, index: int):
    click_plot(qtbot, panel, *panel.sample_point(index))


def test_clicking_a_training_point_selects_it_and_rings_it(qtbot, panel, doc):
    index = isolated_sample(panel)
    with qtbot.waitSignal(panel.sample_selected, timeout=10_000) as blocker:
        click_sample(qtbot, panel, index)
    assert blocker.args == [index] and panel.selected_sample == index
    assert panel.selection_item.isVisible()
    ring = panel.selection_item.getData()
    assert (ring[0][0], ring[1][0]) == panel.sample_point(index)
    x, y = doc.data.raw_train[index]
    assert panel.sample_point(index) == (x, y)
    # A click on the empty plane clears the choice; picking from code rings without a click.
    with qtbot.waitSignal(panel.sample_selected, timeout=10_000) as blocker:
        click_plot(qtbot, panel, 5.9, -5.9)
    assert blocker.args == [-1] and panel.selected_sample is None
    assert not panel.selection_item.isVisible()
    panel.select_sample(3)
    assert panel.selection_item.isVisible() and panel.selected_sample == 3
    # New data: the old index names another sample, so the choice goes.
    with qtbot.waitSignal(panel.sample_selected, timeout=10_000) as blocker:
        click_thumbnail(qtbot, panel, "circle")
    assert blocker.args == [-1] and not panel.selection_item.isVisible()
