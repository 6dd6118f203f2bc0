"""Document.import_data and Document.load_weights: one undoable step each, checked first."""

import numpy as np
import pytest

from simulator.app.document import Document, weights_mismatch
from simulator.app.training import TrainingController
from simulator.engine.network import Network
from simulator.project import Project
from simulator.project.csv_import import build_inline_data, read_csv_table

SPECIES = ("setosa", "versicolor", "virginica")


@pytest.fixture
def doc(qapp):
    return Document()


def iris_like(path, n_per_class=10, seed=0):
    """A CSV with 4 numeric columns and a text label column, three classes."""
    rng = np.random.default_rng(seed)
    lines = ["sepal length,sepal width,petal length,petal width,species"]
    for k, name in enumerate(SPECIES):
        for _ in range(n_per_class):
            values = rng.normal(loc=[5 + k, 3 - 0.3 * k, 1.5 + 2 * k, 0.2 + k], scale=0.3)
            lines.append(",".join(f"{v:.2f}" for v in values) + f",{name}")
    path.write_text("\n".join(lines) + "\n")
    return path


def imported(path, task="multiclass", features=None, target="species", standardize=True):
    table = read_csv_table(path)
    features = features or [c for c in table.numeric_columns() if c != target]
    return build_inline_data(table, features, target, task, standardize)


def state(doc):
    net = doc.network
    return (
        doc.project.data.to_dict(),
        list(net.sizes),
        list(net.activations),
        net.loss,
        [(la.weights.copy(), la.bias.copy(), la.mask.copy()) for la in net.layers],
    )


def assert_state(doc, expected):
    data, sizes, acts, loss, layers = expected
    assert doc.project.data.to_dict() == data
    assert doc.network.sizes == sizes and doc.network.activations == acts
    assert doc.network.loss == loss == doc.project.loss
    for la, (w, b, m) in zip(doc.network.layers, layers, strict=True):
        np.testing.assert_array_equal(la.weights, w)
        np.testing.assert_array_equal(la.bias, b)
        np.testing.assert_array_equal(la.mask, m)


def test_import_adapts_inputs_outputs_and_task_in_one_undo_step(doc, tmp_path, qtbot):
    spec, info = imported(iris_like(tmp_path / "iris.csv"))
    before = state(doc)
    with qtbot.waitSignals([doc.network_changed, doc.data_changed, doc.settings_changed]):
        doc.import_data(spec, "iris.csv")
    assert doc.project.data.is_inline and doc.task == "multiclass"
    assert doc.network.sizes == [4, 8, 3]
    assert doc.network.activations[-1] == "softmax" and doc.network.loss == "cross_entropy"
    assert doc.data.X_train.shape[1] == 4 and doc.data.Y_train.shape[1] == 3
    assert doc.data.output_labels == list(SPECIES)
    assert doc.undo_stack.count() == 1 and doc.undo_stack.undoText() == "Import iris.csv"
    # The project is named after the file and says where its data came from.
    assert doc.project.name == "iris" and doc.display_name == "iris"
    assert doc.project.description == (
        "Imported from iris.csv: 30 rows, 4 features, 3 classes (standardised)"
    )
    after = state(doc)

    doc.undo_stack.undo()
    assert_state(doc, before)
    assert doc.project.data.dataset == "xor" and not doc.is_modified
    assert doc.project.name == "XOR" and "quadrants" in doc.project.description
    doc.undo_stack.redo()
    assert_state(doc, after)
    assert doc.project.name == "iris"


def test_import_of_two_features_keeps_the_input_layer_and_regression_sets_linear_mse(doc, tmp_path):
    path = tmp_path / "fit.csv"
    rng = np.random.default_rng(1)
    rows = ["a,b,y"] + [f"{a:.3f},{b:.3f},{a * 2 - b:.3f}" for a, b in rng.normal(size=(30, 2))]
    path.write_text("\n".join(rows))
    hidden = doc.network.layers[0].weights.copy()
    spec, _ = imported(path, task="regression", target="y")
    doc.import_data(spec, "fit.csv")
    assert doc.network.sizes == [2, 8, 1] and doc.task == "regression"
    assert doc.network.activations[-1] == "linear" and doc.network.loss == "mse"
    np.testing.assert_array_equal(doc.network.layers[0].weights, hidden)  # two inputs stay
    assert doc.project.name == "fit"
    assert doc.project.description == (
        "Imported from fit.csv: 30 rows, 2 features, target 'y' (standardised)"
    )
    assert doc.data.input_labels == ["a", "b"] and doc.data.output_labels == ["y"]
    # Back to generated data: the names of the columns go with the imported data.
    doc.set_dataset("circle")
    assert doc.project.data.feature_names is None and doc.data.input_labels == ["x1", "x2"]
    assert doc.project.data.standardization is None


def test_imported_data_is_saved_inline_and_reopens(doc, tmp_path):
    spec, _ = imported(iris_like(tmp_path / "iris.csv"))
    doc.import_data(spec, "iris.csv")
    saved = doc.save(tmp_path / "project.json")
    assert not doc.is_modified
    again = Document()
    again.open(saved)
    data = again.project.data
    assert data.is_inline and data.kind == "multiclass" and data.class_names == list(SPECIES)
    np.testing.assert_array_equal(data.X, spec.X)
    np.testing.assert_array_equal(data.y, spec.y)
    assert again.network.sizes == [4, 8, 3]
    assert again.to_project() == doc.to_project()
    assert Project.load(saved).data.to_dict() == doc.project.data.to_dict()


def test_import_refuses_generated_data(doc):
    with pytest.raises(ValueError, match="inline"):
        doc.import_data(doc.project.data, "xor")
    assert doc.undo_stack.count() == 0


def test_controller_trains_on_the_imported_data(doc, tmp_path, qtbot):
    controller = TrainingController(doc)
    controller.step()
    spec, _ = imported(iris_like(tmp_path / "iris.csv"))
    doc.import_data(spec, "iris.csv")
    assert controller.trainer.X_train.shape[1] == 4
    controller.step()
    controller.step()
    assert np.isfinite(controller.history.last("batch_loss"))
    doc.undo_stack.undo()
    assert controller.trainer.X_train.shape[1] == 2
    controller.step()
    controller.shutdown()


# --------------------------------------------------------------------- weights


def layers_of(net):
    return [(la.weights.copy(), la.bias.copy(), la.mask.copy()) for la in net.layers]


def test_load_weights_is_one_undoable_step_with_masks(doc, qtbot):
    source = Network([2, 8, 1], ["relu", "sigmoid"], seed=42)
    source.set_connection(0, 1, 3, False)
    before = state(doc)
    with qtbot.waitSignal(doc.network_changed):
        doc.load_weights(layers_of(source), "w.npz")
    for la, lb in zip(doc.network.layers, source.layers):
        np.testing.assert_array_equal(la.weights, lb.weights)
        np.testing.assert_array_equal(la.bias, lb.bias)
        np.testing.assert_array_equal(la.mask, lb.mask)
    assert doc.network.activations == ["tanh", "sigmoid"]  # activations are not loaded
    assert doc.undo_stack.undoText() == "Load w.npz"
    assert (0, 1, 3) in doc.to_project().network.removed
    doc.undo_stack.undo()
    assert_state(doc, before)


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ([2, 8, 2], "layer 2 (hidden 1 → output): the file has 8×2 weights, the network has 8×1"),
        ([3, 8, 1], "layer 1 (input → hidden 1): the file has 3×8 weights, the network has 2×8"),
        (
            [2, 8, 4, 1],
            "layer 2 (hidden 1 → output): the file has 8×4 weights, the network has 8×1 "
            "(the file's network is 2–8–4–1, this one 2–8–1)",
        ),
        (
            [2, 8, 1, 1],
            "layer 3: the file has 1×1 weights, the network has no layer 3 "
            "(the file's network is 2–8–1–1, this one 2–8–1)",
        ),
    ],
)
def test_mismatching_weights_name_the_first_layer_and_change_nothing(doc, sizes, message):
    source = Network(sizes, ["tanh"] * (len(sizes) - 1), seed=3)
    before = state(doc)
    assert weights_mismatch(doc.network, layers_of(source)) == message
    with pytest.raises(ValueError) as err:
        doc.load_weights(layers_of(source))
    assert str(err.value) == message
    assert_state(doc, before)
    assert doc.undo_stack.count() == 0


def test_the_data_cache_follows_the_samples_not_the_arrays_identity(doc, tmp_path):
    # A freed array's id() can come back for other samples: the cache key must hold on the
    # content (before, an import could draw the previous import's cached data).
    import dataclasses

    spec, _info = imported(iris_like(tmp_path / "iris.csv"))
    doc.import_data(spec, label="iris.csv")
    key = doc._data_spec_key()
    stored = doc.project.data
    relabelled = dataclasses.replace(stored, y=(stored.y + 1) % len(stored.class_names))
    doc._project = dataclasses.replace(doc.project, data=relabelled)  # same X, other labels
    assert doc._data_spec_key() != key
    assert np.array_equal(doc.data.dataset.y, relabelled.y)
