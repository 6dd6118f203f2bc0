"""Points drawn on the data: added to the samples as training data, undoable, saved, and
carried to another data set only where they fit."""

import numpy as np
import pytest

from simulator.app.document import Document
from simulator.project import Project, load_example


@pytest.fixture
def doc(qapp):
    return Document()


def test_drawn_points_join_the_training_samples_and_undo_takes_them_back(doc, qtbot):
    before = doc.data
    n_train, n_test = len(before.train_index), len(before.test_index)
    with qtbot.waitSignal(doc.data_changed):
        doc.add_points([[1.5, -2.0], [0.25, 3.0]], [1, 0])
    data = doc.data
    assert data.n_drawn == 2
    assert len(data.train_index) == n_train + 2 and len(data.test_index) == n_test
    # The generated samples keep their split; the drawn ones follow them, in order.
    np.testing.assert_array_equal(data.test_index, before.test_index)
    np.testing.assert_array_equal(data.dataset.X[data.drawn_rows], [[1.5, -2.0], [0.25, 3.0]])
    np.testing.assert_array_equal(data.X_train[-2:], [[1.5, -2.0], [0.25, 3.0]])
    np.testing.assert_array_equal(data.Y_train[-2:, 0], [1.0, 0.0])
    assert doc.undo_stack.undoText() == "Draw 2 points"
    doc.undo_stack.undo()
    assert doc.data.n_drawn == 0 and doc.project.data.drawn is None
    np.testing.assert_array_equal(doc.data.dataset.X, before.dataset.X)
    doc.undo_stack.redo()
    np.testing.assert_array_equal(doc.data.X_train[-2:], [[1.5, -2.0], [0.25, 3.0]])


def test_only_the_drawn_points_trains_on_exactly_them(doc):
    points = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    labels = [1, 1, 0, 0]
    doc.add_points(points, labels)
    doc.set_drawn_only(True)
    data = doc.data
    np.testing.assert_array_equal(data.X_train, points)
    np.testing.assert_array_equal(data.Y_train[:, 0], labels)
    assert len(data.test_index) == 0
    trainer = doc.to_project().build_trainer(doc.network.copy(), data)
    np.testing.assert_array_equal(trainer.X_train, points)
    trainer.run(steps=3)  # trains without test samples
    # Erasing every drawn point brings the generated samples back.
    doc.remove_points(range(4))
    assert doc.project.data.drawn is None
    assert len(doc.data.train_index) + len(doc.data.test_index) == doc.project.data.n_base


def test_only_needs_drawn_points(doc):
    with pytest.raises(ValueError, match="draw some points first"):
        doc.set_drawn_only(True)
    assert doc.undo_stack.count() == 0


def test_labels_must_fit_the_data(doc):
    with pytest.raises(ValueError, match="binary labels must be 0 or 1"):
        doc.add_points([[0.0, 0.0]], [2])
    with pytest.raises(ValueError):
        doc.add_points([[0.0, 0.0, 1.0]], [1])
    assert doc.undo_stack.count() == 0 and doc.project.data.drawn is None


def test_drawn_points_survive_save_and_open_bit_for_bit(doc, tmp_path):
    rng = np.random.default_rng(5)
    points = rng.uniform(-6, 6, size=(7, 2))  # values with every bit of a float64 in use
    labels = rng.integers(0, 2, size=7)
    doc.add_points(points, labels)
    path = doc.save(tmp_path / "drawn.json")
    other = Document()
    other.open(path)
    drawn = other.project.data.drawn
    assert drawn.X.tobytes() == points.tobytes()
    np.testing.assert_array_equal(drawn.y, labels)
    assert other.data.X_train[-7:].tobytes() == points.tobytes()


def test_a_data_set_of_the_same_kind_keeps_the_points_another_drops_them(doc):
    doc.add_points([[1.0, 2.0]], [1])
    doc.set_dataset("circle")  # two classes on the plane, as XOR
    assert doc.project.data.n_drawn == 1 and doc.data.n_drawn == 1
    doc.set_dataset("plane")  # regression: a class is no target
    assert doc.project.data.drawn is None
    doc.undo_stack.undo()
    assert doc.project.data.dataset == "circle" and doc.project.data.n_drawn == 1


def test_regression_and_multiclass_points(doc):
    doc.set_dataset("sine")
    doc.add_points([[0.5]], [0.75])  # 1-D: x and its target
    assert doc.data.dataset.y[-1] == 0.75 and doc.data.X_train[-1, 0] == 0.5
    doc.set_dataset("spiral3")
    doc.add_points([[0.0, 1.0], [1.0, 0.0]], [2, 1])
    assert doc.data.dataset.y.dtype == np.int64
    np.testing.assert_array_equal(doc.data.Y_train[-2:], [[0, 0, 1], [0, 1, 0]])
    with pytest.raises(ValueError, match="class index 0 to 2"):
        doc.add_points([[0.0, 0.0]], [3])


def test_digits_take_no_points(doc):
    doc.set_dataset("digits")
    with pytest.raises(ValueError, match="1-D or 2-D"):
        doc.add_points([[0.0, 0.0]], [1])


def test_files_without_drawn_points_load_as_before():
    for name in ("xor", "circle", "digits"):
        project = load_example(name)
        assert project.data.drawn is None
        assert "drawn" not in project.to_dict()["data"]
        assert Project.from_dict(project.to_dict()) == project
