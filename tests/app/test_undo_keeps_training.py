"""Undo and redo of a network edit act on the live network: the edit's structural inverse,
keeping every weight that training has changed since (issue 11).  Reset, re-initialise, seed
and load weights replace every weight by design: their undo gives back the weights from
before them."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from simulator.app.document import Document
from simulator.app.training import TrainingController
from simulator.project import Project
from tests.app.test_document_import import imported, iris_like


@pytest.fixture
def ctl(qapp):
    """A TrainingController on a new document (``ctl.document``): the XOR example."""
    controller = TrainingController(Document())
    yield controller
    controller.shutdown()


def train(ctl, steps):
    for _ in range(steps):
        ctl.step()


def params(net) -> list[tuple]:
    return [(la.weights.copy(), la.bias.copy(), la.mask.copy()) for la in net.layers]


def structure(net) -> tuple:
    return (
        tuple(net.sizes),
        tuple(net.activations),
        tuple(la.use_bias for la in net.layers),
        tuple(la.dropout for la in net.layers),
        net.loss,
        net.l1,
        net.l2,
        net.seed,
        net.init,
    )


def assert_params(net, expected):
    assert len(net.layers) == len(expected)
    for i, (la, (w, b, m)) in enumerate(zip(net.layers, expected)):
        np.testing.assert_array_equal(la.weights, w, err_msg=f"weights of layer {i}")
        np.testing.assert_array_equal(la.bias, b, err_msg=f"bias of layer {i}")
        np.testing.assert_array_equal(la.mask, m, err_msg=f"mask of layer {i}")


def same_params(a, b) -> bool:
    return len(a) == len(b) and all(
        all(np.array_equal(x, y) for x, y in zip(la, lb)) for la, lb in zip(a, b)
    )


# ----------------------------------------------------------------- the expected networks
# Written with plain NumPy from the parameters before the edit (``pre``) and just before the
# undo (``trained``): an independent account of what each inverse keeps.


def drop_neuron(layers, k, j):
    """``layers`` without neuron ``j`` of neuron layer ``k``."""
    out = [list(t) for t in layers]
    if k > 0:
        w, b, m = out[k - 1]
        out[k - 1] = [np.delete(w, j, 1), np.delete(b, j), np.delete(m, j, 1)]
    if k < len(out):
        w, b, m = out[k]
        out[k] = [np.delete(w, j, 0), b, np.delete(m, j, 0)]
    return out


def put_neuron(layers, k, j, source):
    """``layers`` with neuron ``j`` of neuron layer ``k`` as it is in ``source``."""
    out = [list(t) for t in layers]
    if k > 0:
        (w, b, m), (sw, sb, sm) = out[k - 1], source[k - 1]
        out[k - 1] = [
            np.insert(w, j, sw[:, j], 1),
            np.insert(b, j, sb[j]),
            np.insert(m, j, sm[:, j], 1),
        ]
    if k < len(out):
        (w, b, m), (sw, _, sm) = out[k], source[k]
        out[k] = [np.insert(w, j, sw[j], 0), b, np.insert(m, j, sm[j], 0)]
    return out


def with_entry(layers, i, part, index, value, mask=None):
    """``layers`` with one weight (part 0) or bias (part 1) entry of layer ``i`` changed."""
    out = [[a.copy() for a in t] for t in layers]
    out[i][part][index] = value
    if mask is not None:
        out[i][2][index] = mask
    return out


@dataclasses.dataclass
class Case:
    name: str
    edit: Callable[[Document], None]
    # (pre, trained) -> the parameters Undo must give
    expected: Callable[[list, list], list]
    setup: Callable[[Document], None] = lambda doc: None
    snapshot: bool = False  # the edit replaces every weight by design


def import_iris(doc):
    with tempfile.TemporaryDirectory() as folder:
        spec, _ = imported(iris_like(Path(folder) / "iris.csv"))
    doc.import_data(spec, "iris.csv")


CASES = [
    Case("add neuron", lambda d: d.add_neuron(1, 3), lambda pre, t: drop_neuron(t, 1, 3)),
    Case("add last neuron", lambda d: d.add_neuron(1), lambda pre, t: drop_neuron(t, 1, 8)),
    Case("remove neuron", lambda d: d.remove_neuron(1, 2), lambda pre, t: put_neuron(t, 1, 2, pre)),
    Case(
        # [2, 8, 1] -> [2, 8, 3, 1]: the new layer's two sides go, the 8 -> 1 connection comes
        # back as it was before the insertion; the output bias keeps its training.
        "add layer before the output",
        lambda d: d.add_layer(2, 3, "relu"),
        lambda pre, t: [t[0], (pre[1][0], t[2][1], pre[1][2])],
    ),
    Case(
        # [2, 8, 1] -> [2, 3, 8, 1]: the hidden 8's bias keeps its training.
        "add layer after the inputs",
        lambda d: d.add_layer(1, 3),
        lambda pre, t: [(pre[0][0], t[1][1], pre[0][2]), t[2]],
    ),
    Case(
        # [2, 8, 3, 1] -> [2, 8, 1]: the removed layer comes back with its own weights, bias and
        # mask as they were; the merged 8 -> 1 connection goes; the output bias keeps training.
        "remove layer",
        lambda d: d.remove_layer(2),
        lambda pre, t: [t[0], pre[1], (pre[2][0], t[1][1], pre[2][2])],
        setup=lambda d: (d.add_layer(2, 3, "relu"), d.set_connection(1, 2, 1, False)),
    ),
    Case(
        "remove connection",
        lambda d: d.set_connection(0, 1, 3, False),
        lambda pre, t: with_entry(t, 0, 0, (1, 3), pre[0][0][1, 3], mask=True),
    ),
    Case(
        "restore connection",
        lambda d: d.set_connection(0, 1, 3, True),
        lambda pre, t: with_entry(t, 0, 0, (1, 3), 0.0, mask=False),
        setup=lambda d: d.set_connection(0, 1, 3, False),
    ),
    Case("activation", lambda d: d.set_activation(0, "relu"), lambda pre, t: t),
    Case(
        "bias off",
        lambda d: d.set_use_bias(0, False),
        lambda pre, t: [(t[0][0], pre[0][1], t[0][2]), t[1]],
    ),
    Case(
        "bias on",
        lambda d: d.set_use_bias(0, True),
        lambda pre, t: [(t[0][0], np.zeros_like(t[0][1]), t[0][2]), t[1]],
        setup=lambda d: d.set_use_bias(0, False),
    ),
    Case(
        "typed weight",
        lambda d: d.set_weight(0, 0, 0, 0.5),
        lambda pre, t: with_entry(t, 0, 0, (0, 0), pre[0][0][0, 0]),
    ),
    Case(
        "typed bias",
        lambda d: d.set_bias(0, 1, -0.25),
        lambda pre, t: with_entry(t, 0, 1, 1, pre[0][1][1]),
    ),
    Case(
        "feature added",
        lambda d: d.set_features(["x1", "x2", "x1^2"]),
        lambda pre, t: drop_neuron(t, 0, 2),
    ),
    Case(
        "feature removed",
        lambda d: d.set_features(["x2"]),
        lambda pre, t: put_neuron(t, 0, 0, pre),
    ),
    Case(
        # Binary -> three classes: output units 1 and 2 go, softmax and cross-entropy too.
        "data set with more outputs",
        lambda d: d.set_dataset("spiral3"),
        lambda pre, t: drop_neuron(drop_neuron(t, 2, 2), 2, 1),
    ),
    Case(
        # 2-D -> 1-D regression: input x2 comes back with its weights as they were.
        "data set with fewer inputs",
        lambda d: d.set_dataset("sine"),
        lambda pre, t: put_neuron(t, 0, 1, pre),
    ),
    Case(
        "CSV import",
        import_iris,
        lambda pre, t: drop_neuron(
            drop_neuron(drop_neuron(drop_neuron(t, 0, 3), 0, 2), 2, 2), 2, 1
        ),
    ),
    Case("L2 rate", lambda d: d.set_l2(0.01), lambda pre, t: t),
    Case("dropout", lambda d: d.set_dropout(0.2), lambda pre, t: t),
    Case("loss", lambda d: d.set_loss("mse"), lambda pre, t: t),
    Case("reset weights", lambda d: d.reset_weights(), lambda pre, t: pre, snapshot=True),
    Case("seed", lambda d: d.set_seed(7), lambda pre, t: pre, snapshot=True),
    Case("initialiser", lambda d: d.set_init("he_normal"), lambda pre, t: pre, snapshot=True),
    Case(
        "load weights",
        lambda d: d.load_weights([(w * 0.5, b + 1, m) for w, b, m in params(d.network)]),
        lambda pre, t: pre,
        snapshot=True,
    ),
]


@pytest.fixture(params=CASES, ids=[c.name for c in CASES])
def case(request):
    return request.param


def edited_and_trained(ctl, case, before=10, after=20):
    """Train ``before`` steps, edit, train ``after`` steps: (document, structure and
    parameters before the edit, structure after it, parameters after the training)."""
    doc = ctl.document
    case.setup(doc)
    train(ctl, before)
    old, pre = structure(doc.network), params(doc.network)
    case.edit(doc)
    new = structure(doc.network)
    assert new != old or not same_params(params(doc.network), pre)
    train(ctl, after)
    assert ctl.step_count == before + after
    return doc, old, pre, new, params(doc.network)


def test_undo_takes_the_edit_back_and_keeps_the_training(ctl, case, qtbot):
    doc, old, pre, new, trained = edited_and_trained(ctl, case)
    net = doc.network
    with qtbot.waitSignal(doc.network_changed):
        doc.undo_stack.undo()
    assert doc.network is net  # the live network, changed in place
    assert structure(net) == old
    assert_params(net, case.expected(pre, trained))
    if not case.snapshot:
        assert not same_params(params(net), pre), "the undo gave back the weights before the edit"
    assert doc.project.network.sizes == net.sizes and doc.project.loss == net.loss
    # Redo, with no training in between: the edit is back with the trained weights.
    doc.undo_stack.redo()
    assert structure(net) == new
    assert_params(net, trained)


def test_undo_redo_undo_round_trips_exactly(ctl, case):
    doc, *_ = edited_and_trained(ctl, case, before=3, after=5)
    doc.undo_stack.undo()
    undone = structure(doc.network), params(doc.network), doc.to_project()
    doc.undo_stack.redo()
    redone = structure(doc.network), params(doc.network), doc.to_project()
    for _ in range(2):
        doc.undo_stack.undo()
        assert structure(doc.network) == undone[0] and doc.to_project() == undone[2]
        assert_params(doc.network, undone[1])
        doc.undo_stack.redo()
        assert structure(doc.network) == redone[0] and doc.to_project() == redone[2]
        assert_params(doc.network, redone[1])


def test_training_goes_on_after_the_undo(ctl, case):
    doc, old, *_ = edited_and_trained(ctl, case, before=3, after=5)
    doc.undo_stack.undo()
    undone = params(doc.network)
    train(ctl, 4)
    assert ctl.trainer.net is doc.network and ctl.step_count == 12 and len(ctl.history) == 12
    assert structure(doc.network) == old
    assert not same_params(params(doc.network), undone)


# ----------------------------------------------------------------- training between undo and redo


def trained_across_undo(ctl, edit, steps=10) -> tuple[list, list]:
    """Edit, train, undo, train, redo: the parameters at the undo and just before the redo."""
    edit(ctl.document)
    train(ctl, steps)
    at_undo = params(ctl.document.network)
    ctl.document.undo_stack.undo()
    train(ctl, steps)
    later = params(ctl.document.network)
    ctl.document.undo_stack.redo()
    return at_undo, later


def test_redo_puts_the_added_neuron_back_as_it_was_undone(ctl):
    doc = ctl.document
    at_undo, later = trained_across_undo(ctl, lambda d: d.add_neuron(1, 3))
    assert doc.network.sizes == [2, 9, 1]
    assert_params(doc.network, put_neuron(later, 1, 3, at_undo))


def test_redo_of_a_removal_removes_the_neuron_again_keeping_the_rest(ctl):
    doc = ctl.document
    train(ctl, 5)
    removed = params(doc.network)
    doc.remove_neuron(1, 2)
    train(ctl, 5)
    doc.undo_stack.undo()
    assert_params(doc.network, put_neuron(drop_neuron(params(doc.network), 1, 2), 1, 2, removed))
    train(ctl, 5)
    later = params(doc.network)
    doc.undo_stack.redo()
    assert_params(doc.network, drop_neuron(later, 1, 2))
    doc.undo_stack.undo()  # the neuron comes back as it was trained after the first undo
    assert_params(doc.network, later)


def test_redo_of_an_inserted_layer_after_training_keeps_both_sides(ctl):
    doc = ctl.document
    at_undo, later = trained_across_undo(ctl, lambda d: d.add_layer(2, 3, "relu"))
    # The layer's two sides as they were undone; the direct 8 -> 1 connection trained in
    # between is what the insertion replaces; the first layer and the output bias keep training.
    assert doc.network.sizes == [2, 8, 3, 1]
    assert_params(doc.network, [later[0], at_undo[1], (at_undo[2][0], later[1][1], at_undo[2][2])])
    doc.undo_stack.undo()  # ... and the direct connection comes back as it was trained
    assert_params(doc.network, later)


def test_undoing_several_edits_after_training_keeps_the_training(ctl):
    doc = ctl.document
    doc.add_layer(2, 3, "relu")
    doc.add_neuron(1)
    doc.set_connection(0, 1, 3, False)
    doc.set_activation(0, "elu")
    train(ctl, 30)
    trained = params(doc.network)
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert doc.network.sizes == [2, 8, 1] and doc.network.activations == ["tanh", "sigmoid"]
    np.testing.assert_array_equal(doc.network.layers[0].weights[0], trained[0][0][0, :8])
    np.testing.assert_array_equal(doc.network.layers[0].bias, trained[0][1][:8])
    assert doc.network.layers[0].mask.all()
    while doc.undo_stack.canRedo():
        doc.undo_stack.redo()
    assert_params(doc.network, trained)


# ----------------------------------------------------------------- the controller goes on


def test_undo_keeps_the_optimizer_state_where_the_shapes_fit(ctl):
    doc = ctl.document
    train(ctl, 5)
    doc.set_activation(0, "relu")
    train(ctl, 5)
    optimizer = ctl.trainer.optimizer
    doc.undo_stack.undo()
    assert ctl.trainer.optimizer is optimizer and ctl.step_count == 10
    assert optimizer.last_update(0, "weights") is not None
    train(ctl, 1)
    assert ctl.step_count == 11


def test_undoing_a_data_only_edit_keeps_the_trained_network(ctl):
    doc = ctl.document
    doc.set_noise(0.3)
    train(ctl, 10)
    trained = params(doc.network)
    doc.undo_stack.undo()
    assert doc.project.data.noise != 0.3
    assert_params(doc.network, trained)


# ----------------------------------------------------------------- merged commands


def test_merged_rate_changes_undo_in_one_step_keeping_the_training(ctl):
    doc = ctl.document
    for rate in (0.01, 0.02, 0.03):
        doc.set_l2(rate)
    assert doc.undo_stack.count() == 1
    train(ctl, 10)
    trained = params(doc.network)
    doc.undo_stack.undo()
    assert doc.network.l2 == 0 and doc.project.training.l2 == 0
    assert_params(doc.network, trained)
    doc.undo_stack.redo()
    assert doc.network.l2 == 0.03
    assert_params(doc.network, trained)


def test_merged_seed_changes_undo_to_the_weights_before_the_first(ctl):
    doc = ctl.document
    train(ctl, 5)
    pre = params(doc.network)
    for seed in (1, 2, 3):
        doc.set_seed(seed)
    assert doc.undo_stack.count() == 1
    drawn = params(doc.network)
    train(ctl, 5)
    trained = params(doc.network)
    doc.undo_stack.undo()
    assert doc.network.seed == 0 == doc.project.seed
    assert_params(doc.network, pre)
    doc.undo_stack.redo()
    assert doc.network.seed == 3 == doc.project.seed
    assert_params(doc.network, trained)
    assert not same_params(trained, drawn)


# ----------------------------------------------------------------- refused edits


def test_a_refused_edit_takes_back_what_it_began_on_the_same_network(ctl, monkeypatch, qtbot):
    doc = ctl.document
    train(ctl, 5)
    net, pre = doc.network, params(doc.network)

    def refuse(self, network, **kwargs):
        raise ValueError("refused")

    monkeypatch.setattr(Project, "with_weights", refuse)
    with qtbot.assertNotEmitted(doc.network_changed), pytest.raises(ValueError, match="refused"):
        doc.set_dataset("spiral3")  # adds output neurons before the project is checked
    monkeypatch.undo()
    assert doc.network is net and ctl.trainer.net is net
    assert net.sizes == [2, 8, 1] and net.loss == "bce" and net.activations[-1] == "sigmoid"
    assert_params(net, pre)
    assert doc.undo_stack.count() == 0 and doc.project.data.dataset == "xor"
    train(ctl, 1)
