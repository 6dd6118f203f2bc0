"""Train ▸ Check gradients: backprop against finite differences, on the trainer's batch."""

import copy
import itertools
import zlib

import numpy as np
import pytest

from simulator.app.gradient_check import THRESHOLD, check_gradients
from simulator.engine import Network, activations, losses, optimizers
from simulator.engine.trainer import Trainer
from simulator.project.project import load_example

ACTS = list(activations.ACTIVATIONS)


TARGETS = {  # targets each loss takes: probabilities, class indices, any real numbers
    "bce": lambda rng, n, k: rng.uniform(0.05, 0.95, size=(n, k)),
    "cross_entropy": lambda rng, n, k: rng.integers(0, k, size=n),
}


def _normal(rng, n, k):
    return rng.normal(size=(n, k))


def _trainer(dropout=(0.0, 0.0), dtype="float64", batch_size=8, seed=3, **net_kw):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(40, 3))
    y = rng.integers(0, 3, size=40)
    net = Network(
        [3, 6, 5, 3],
        ["tanh", "elu", "softmax"],
        loss="cross_entropy",
        seed=seed,
        dtype=dtype,
        dropout=[*dropout, 0.0],
        **net_kw,
    )
    return Trainer(
        net, optimizers.Adam(lr=0.01), X, y, task="multiclass", batch_size=batch_size, seed=seed
    )


def _corrupt(monkeypatch, layer, kind, index, amount):
    """Network.backward gets one entry wrong by ``amount`` (relative)."""
    backward = Network.backward

    def wrong(self, trace, Y):
        grads = backward(self, trace, Y)
        arr = (grads.weights if kind == "weights" else grads.bias)[layer]
        arr[index] *= 1.0 + amount
        return grads

    monkeypatch.setattr(Network, "backward", wrong)


@pytest.mark.parametrize("act,loss", list(itertools.product(ACTS, losses.LOSSES)))
def test_passes_for_every_activation_and_loss(act, loss):
    """With removed connections, a layer without bias, L2 and dropout on the hidden layers."""
    rng = np.random.default_rng(zlib.crc32(f"check-{act}-{loss}".encode()))
    X = rng.normal(size=(12, 3))
    Y = TARGETS.get(loss, _normal)(rng, 12, 3)
    net = Network(
        [3, 5, 4, 3],
        [act, "tanh", act],
        loss=loss,
        seed=5,
        init="xavier_normal",
        use_bias=[True, False, True],
        l2=0.01,
        dropout=[0.3, 0.2, 0.0],
    )
    net.set_connection(0, 1, 2, False)
    net.set_connection(2, 3, 0, False)
    for layer in net.layers:
        if layer.use_bias:
            layer.bias[:] = rng.normal(scale=0.3, size=layer.bias.shape)
    report = check_gradients(net, X, Y)
    assert report.passed, (report, report.failures[:3])
    assert report.worst.error < THRESHOLD
    kinds = [(la.layer, la.kind) for la in report.layers]
    assert kinds == [(0, "weights"), (0, "bias"), (1, "weights"), (2, "weights"), (2, "bias")]
    assert [la.trainable for la in report.layers] == [14, 5, 20, 11, 3]
    assert report.checked + report.kinks == report.trainable == net.n_parameters
    assert report.summary().startswith("All gradients agree with finite differences to ")


def test_l1_and_a_float32_network_are_checked_in_float64():
    trainer = _trainer(dtype="float32", l1=0.001, l2=0.01)
    trainer.run(steps=5)
    report = check_gradients(trainer)
    assert report.passed, report.failures[:3]
    assert any("float64 copy of the float32 network" in note for note in report.notes)
    assert "float64" in report.details()


@pytest.mark.parametrize("phase", ["forward", "backward", "update"])
def test_uses_the_batch_and_dropout_masks_of_the_trainers_step(phase):
    trainer = _trainer(dropout=(0.5, 0.3))
    trainer.run(steps=3)
    for name in ("forward", "backward", "update")[: ("forward", "backward", "update").index(phase)]:
        getattr(trainer, f"{name}_phase")()
    report = check_gradients(trainer)
    assert report.passed, report.failures[:3]
    assert report.batch_size == 8
    assert "same dropout masks" in report.dropout
    if phase == "update":
        # Between backward and update the trainer's own gradients are those of these weights
        # on this batch with these masks: the check's backprop values are exactly them.
        for la in report.layers:
            grads = trainer.grads.weights if la.kind == "weights" else trainer.grads.bias
            assert la.worst.backprop == grads[la.layer][la.worst.index]


def test_before_the_first_step_checks_the_batch_step_one_will_use():
    trainer = _trainer(dropout=(0.2, 0.0))
    report = check_gradients(trainer)
    assert report.passed and report.batch == "the batch step 1 will use"
    assert "drawn afresh" in report.dropout
    assert trainer.batch_index is None and trainer.trace is None


@pytest.mark.parametrize(
    "layer,kind,index",
    [(1, "weights", (4, 2)), (0, "weights", (0, 0)), (2, "bias", (1,)), (0, "bias", (5,))],
)
def test_flags_exactly_the_gradient_a_test_perturbs(monkeypatch, layer, kind, index):
    trainer = _trainer(dropout=(0.3, 0.0))
    trainer.run(steps=4)
    assert check_gradients(trainer).passed
    _corrupt(monkeypatch, layer, kind, index, 1e-3)
    report = check_gradients(trainer)
    assert not report.passed
    assert [(e.layer, e.kind, e.index) for e in report.failures] == [(layer, kind, index)]
    wrong = report.failures[0]
    assert wrong.error == pytest.approx(1e-3, rel=1e-2)
    assert wrong.backprop == pytest.approx(wrong.numeric * (1 + 1e-3), rel=1e-9)
    rows = {(la.layer, la.kind): la for la in report.layers}
    assert rows[(layer, kind)].failures == 1 and rows[(layer, kind)].worst == wrong
    assert sum(la.failures for la in report.layers) == 1
    assert report.summary() == "1 gradient disagrees with finite differences by more than 1e-05"
    assert wrong.neuron == (layer + 1, index[-1])
    assert wrong.connection == ((layer, *index) if kind == "weights" else None)


def test_does_not_change_the_trainer():
    trainer = _trainer(dropout=(0.4, 0.2))
    trainer.run(steps=5)
    trainer.forward_phase()  # mid-step: the trace and the batch belong to step 6
    twin = copy.deepcopy(trainer)
    trace, index = trainer.trace, trainer.batch_index
    weights = trainer.net.get_weights()
    check_gradients(trainer)
    assert trainer.trace is trace and trainer.batch_index is index and trainer.phase == "backward"
    assert trainer.step_count == 5
    for (w, b), (w0, b0) in zip(trainer.net.get_weights(), weights):
        np.testing.assert_array_equal(w, w0)
        np.testing.assert_array_equal(b, b0)
    # Optimizer state, batch order and dropout generator untouched: it trains on as its twin.
    trainer.run(steps=7)
    twin.run(steps=7)
    for (w, b), (w0, b0) in zip(trainer.net.get_weights(), twin.net.get_weights()):
        np.testing.assert_array_equal(w, w0)
        np.testing.assert_array_equal(b, b0)


def test_a_big_layer_is_sampled_with_its_largest_gradients_and_says_so(monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.random((16, 300))
    Y = rng.integers(0, 10, size=16)
    net = Network([300, 40, 10], ["tanh", "softmax"], loss="cross_entropy", seed=1)
    report = check_gradients(net, X, Y, max_entries=800)
    big = report.layers[0]
    assert big.trainable == 12000 and big.checked + big.kinks == 800 and big.sampled
    assert [la.sampled for la in report.layers[1:]] == [False, False, False]
    assert report.passed and "random sample" in report.details()
    # The largest gradient is always among those checked: corrupting it is caught.
    grads = net.backward(net.forward(X, training=False), Y)
    r, c = np.unravel_index(np.argmax(np.abs(grads.weights[0])), (300, 40))
    _corrupt(monkeypatch, 0, "weights", (int(r), int(c)), 1e-2)
    report = check_gradients(net, X, Y, max_entries=800)
    assert [(e.layer, e.index) for e in report.failures] == [(0, (r, c))]


def test_the_digits_example_is_checked_whole():
    # Every one of its 2,410 parameters (how long it takes: bench_gradient_check.py).
    trainer = load_example("digits").build_trainer()
    trainer.run(steps=20)
    report = check_gradients(trainer)
    assert report.passed and report.checked + report.kinks == report.trainable == 2410
    assert report.seconds > 0 and f"{report.seconds:.2f} s" in report.details()


def test_a_big_batch_is_checked_on_a_seeded_subset_and_says_so():
    project = load_example("digits")
    trainer = project.build_trainer()
    trainer.batch_size = None  # the full training set: 1,438 samples
    trainer.step()
    report = check_gradients(trainer, max_samples=64)
    assert report.passed and report.batch_size == 64
    assert any("64 of the batch's 1,438 samples" in note for note in report.notes)
