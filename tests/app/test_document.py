"""The Document: every edit undoable, signals, files, adapting the network to the data."""

import numpy as np
import pytest

from simulator.app.document import MAX_HIDDEN_LAYERS, MAX_NEURONS, Document
from simulator.project import Project, ProjectError, load_example


@pytest.fixture
def doc(qapp):
    return Document()


def weights_of(net):
    return [
        (w.copy(), b.copy(), la.mask.copy()) for (w, b), la in zip(net.get_weights(), net.layers)
    ]


def assert_same_network(net, sizes, acts, weights=None):
    assert net.sizes == sizes and net.activations == acts
    if weights is not None:
        for (w, b, m), la in zip(weights, net.layers):
            np.testing.assert_array_equal(la.weights, w)
            np.testing.assert_array_equal(la.bias, b)
            np.testing.assert_array_equal(la.mask, m)


def test_default_document_is_the_xor_example_unmodified(doc):
    assert doc.project.name == "XOR"
    assert doc.network.sizes == [2, 8, 1]
    assert not doc.is_modified and doc.path is None
    assert doc.undo_stack.count() == 0


def test_every_edit_is_undoable_and_redoable(doc, qtbot):
    start = weights_of(doc.network)
    sizes0, acts0 = doc.network.sizes, doc.network.activations
    edits = [
        lambda: doc.add_layer(2, 3, "relu"),
        lambda: doc.add_neuron(1),
        lambda: doc.remove_neuron(2, 0),
        lambda: doc.set_connection(0, 1, 3, False),
        lambda: doc.set_activation(0, "elu"),
        lambda: doc.set_use_bias(1, False),
        lambda: doc.set_weight(0, 0, 0, 0.5),
        lambda: doc.set_bias(0, 1, -0.25),
    ]
    for edit in edits:
        with qtbot.waitSignal(doc.network_changed):
            edit()
    assert doc.is_modified
    assert doc.network.sizes == [2, 9, 2, 1]
    assert doc.network.activations == ["elu", "relu", "sigmoid"]
    end = weights_of(doc.network)
    assert doc.undo_stack.count() == len(edits)
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert_same_network(doc.network, sizes0, acts0, start)
    assert not doc.is_modified
    while doc.undo_stack.canRedo():
        doc.undo_stack.redo()
    assert_same_network(doc.network, [2, 9, 2, 1], ["elu", "relu", "sigmoid"], end)


def test_impossible_edits_raise_and_change_nothing(doc):
    before = weights_of(doc.network)
    with pytest.raises(ValueError, match="input layer"):
        doc.add_neuron(0)
    with pytest.raises(ValueError, match="output layer"):
        doc.remove_neuron(2)
    with pytest.raises(ValueError, match="not a hidden layer"):
        doc.remove_layer(2)
    with pytest.raises(ValueError, match="1024|1,024"):
        doc.add_layer(1, MAX_NEURONS + 1)
    with pytest.raises(ValueError):
        doc.set_test_ratio(0.99)
    assert doc.undo_stack.count() == 0 and not doc.is_modified
    assert_same_network(doc.network, [2, 8, 1], ["tanh", "sigmoid"], before)


def test_hidden_layer_limit(doc):
    for _ in range(MAX_HIDDEN_LAYERS - 1):
        doc.add_layer(size=2)
    with pytest.raises(ValueError, match=f"at most {MAX_HIDDEN_LAYERS}"):
        doc.add_layer(size=2)


def test_features_drive_the_input_layer_keeping_weights(doc):
    w_x2 = doc.network.layers[0].weights[1].copy()
    doc.set_features(["x1", "x2", "x1^2"])
    assert doc.network.sizes[0] == 3 and doc.data.X_train.shape[1] == 3
    doc.set_features(["x2", "x1^2"])
    assert doc.network.sizes[0] == 2
    assert doc.project.data.features == ["x2", "x1^2"]
    np.testing.assert_array_equal(doc.network.layers[0].weights[0], w_x2)
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.network.sizes[0] == 2 and doc.project.data.features == ["x1", "x2"]


def test_switching_dataset_adapts_the_output_layer_undoably(doc, qtbot):
    with qtbot.waitSignals([doc.data_changed, doc.network_changed]):
        doc.set_dataset("spiral3")
    assert doc.network.sizes[-1] == 3
    assert doc.network.activations[-1] == "softmax" and doc.network.loss == "cross_entropy"
    doc.set_dataset("sine")
    assert doc.network.sizes[0] == 1 and doc.network.sizes[-1] == 1
    assert doc.network.loss == "mse"
    doc.set_dataset("digits")
    assert doc.network.sizes[0] == 64 and doc.network.sizes[-1] == 10
    for _ in range(3):
        doc.undo_stack.undo()
    assert doc.network.sizes == [2, 8, 1] and doc.network.loss == "bce"
    assert doc.project.data.dataset == "xor"


def test_settings_merge_consecutive_changes_and_undo(doc):
    optimizer, lr = doc.project.optimizer.name, doc.learning_rate()
    doc.set_optimizer("Adam")
    doc.set_learning_rate(0.01)
    doc.set_learning_rate(0.02)
    assert doc.undo_stack.count() == 2 and doc.learning_rate() == 0.02
    doc.set_optimizer("SGD")
    assert doc.learning_rate() == 0.02 and "momentum" in doc.optimizer_params()
    doc.set_optimizer_param("momentum", 0.9)
    with pytest.raises(ValueError):
        doc.set_optimizer_param("momentum", -1.0)
    doc.set_batch_size(None)
    doc.set_l2(0.01)
    assert doc.network.l2 == 0.01
    doc.set_dropout(0.2)
    assert doc.network.layers[0].dropout == 0.2 and doc.network.layers[-1].dropout == 0
    doc.set_loss("mse")
    assert doc.network.loss == "mse"
    doc.set_schedule("step", {"step_size": 5, "gamma": 0.5})
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert doc.project.optimizer.name == optimizer and doc.learning_rate() == lr
    assert doc.project.training.batch_size == 10 and doc.network.l2 == 0
    assert doc.network.loss == "bce" and doc.project.schedule.name == "constant"


def test_seed_and_initialiser_redraw_weights(doc):
    w = doc.network.layers[0].weights.copy()
    doc.set_seed(5)
    assert not np.array_equal(doc.network.layers[0].weights, w)
    doc.set_init("zeros")
    assert not doc.network.layers[0].weights.any()
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    np.testing.assert_array_equal(doc.network.layers[0].weights, w)


def test_save_and_reopen_round_trip(doc, tmp_path, qtbot):
    doc.add_layer(size=3)
    doc.set_connection(0, 0, 0, False)
    path = tmp_path / "mine.json"
    with qtbot.waitSignal(doc.modified_changed):
        doc.save(path)
    assert not doc.is_modified and doc.path == path and doc.display_name == "mine.json"
    other = Document()
    other.open(path)
    assert other.to_project() == doc.to_project()
    assert_same_network(
        other.network, doc.network.sizes, doc.network.activations, weights_of(doc.network)
    )


def test_open_bad_file_raises_and_keeps_document(doc, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "backprop-lab-project", "version": 1}')
    doc.add_neuron(1)
    with pytest.raises(ProjectError, match="bad.json"):
        doc.open(bad)
    assert doc.network.sizes == [2, 9, 1] and doc.is_modified


def test_open_project_replaces_everything(doc, qtbot):
    with qtbot.waitSignal(doc.project_replaced):
        doc.open_project(load_example("digits"))
    assert doc.network.sizes == [64, 32, 10]
    assert doc.undo_stack.count() == 0 and not doc.is_modified
    assert isinstance(doc.to_project(), Project)
