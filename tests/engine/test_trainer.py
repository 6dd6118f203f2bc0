"""The headless trainer: phases, history, divergence, reproducibility."""

import math

import numpy as np
import pytest

from simulator.engine import Network, datasets, optimizers, schedules
from simulator.engine.trainer import Trainer, TrainingDiverged

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=float)


def xor_trainer(seed=0, lr=0.1, **kw):
    net = Network([2, 4, 1], ["tanh", "sigmoid"], loss="bce", seed=seed)
    return Trainer(net, optimizers.Adam(lr=lr), XOR_X, XOR_Y, task="binary", seed=seed, **kw)


def test_xor_reaches_full_training_accuracy():
    trainer = xor_trainer()
    trainer.run(steps=300)
    assert trainer.evaluate()["train_accuracy"] == 1.0
    assert trainer.history.column("batch_loss")[-1] < 0.1 * trainer.history.column("batch_loss")[0]


def test_phases_run_in_order_and_step_does_all_three():
    trainer = xor_trainer()
    w0 = trainer.net.layers[0].weights.copy()
    with pytest.raises(RuntimeError, match="forward"):
        trainer.backward_phase()
    trace = trainer.forward_phase()
    assert trainer.phase == "backward" and trace.output.shape == (4, 1)
    np.testing.assert_array_equal(trainer.net.layers[0].weights, w0)
    grads = trainer.backward_phase()
    assert trainer.phase == "update" and grads.weights[0].shape == (2, 4)
    np.testing.assert_array_equal(trainer.net.layers[0].weights, w0)
    trainer.update_phase()
    assert trainer.phase == "forward" and trainer.step_count == 1
    assert not np.array_equal(trainer.net.layers[0].weights, w0)
    # step() from the middle of a step finishes that step only.
    trainer.forward_phase()
    trainer.step()
    assert trainer.step_count == 2 and trainer.phase == "forward"


@pytest.mark.parametrize(
    ("loss", "last", "y"),
    [
        ("bce", "sigmoid", XOR_Y),
        ("mse", "linear", XOR_Y * 2.0 - 0.5),
        ("cross_entropy", "softmax", None),
    ],
)
def test_forward_loss_is_the_loss_backward_reports(loss, last, y):
    units = 2 if y is None else 1
    net = Network([2, 4, units], ["tanh", last], loss=loss, seed=3)
    targets = np.array([0, 1, 1, 0]) if y is None else y
    trainer = Trainer(net, optimizers.SGD(lr=0.1), XOR_X, targets, seed=3, batch_size=3)
    assert trainer.forward_loss() is None  # nothing run forward yet
    trainer.forward_phase()
    forward = trainer.forward_loss()
    # an independent sum over the batch's samples, from the outputs of the trace
    out, batch = trainer.trace.output, trainer.batch_index
    if loss == "bce":
        t = XOR_Y[batch]
        expected = -np.mean(t * np.log(out) + (1 - t) * np.log(1 - out))
    elif loss == "mse":
        expected = np.mean((out - targets[batch]) ** 2)
    else:
        expected = -np.mean(np.log(out[np.arange(len(batch)), targets[batch]]))
    assert forward == pytest.approx(expected, rel=1e-12)
    grads = trainer.backward_phase()
    assert forward == pytest.approx(grads.loss, rel=1e-14)
    assert trainer.forward_loss() == grads.loss
    trainer.update_phase()
    assert trainer.forward_loss() is None


def test_phase_by_phase_equals_whole_steps():
    a, b = xor_trainer(batch_size=2), xor_trainer(batch_size=2)
    for _ in range(5):
        a.step()
        b.forward_phase()
        b.backward_phase()
        b.update_phase()
    for la, lb in zip(a.net.layers, b.net.layers):
        np.testing.assert_array_equal(la.weights, lb.weights)


def test_same_seed_gives_bit_identical_weights():
    def run(seed):
        data = datasets.generate("spiral", n_samples=120, noise=0.1, seed=seed)
        X = datasets.feature_matrix(data.X, ["x1", "x2", "sin_x1", "sin_x2"])
        net = Network([4, 6, 6, 1], ["relu", "tanh", "sigmoid"], loss="bce", seed=seed, dropout=0.1)
        trainer = Trainer(
            net,
            optimizers.make("SGD", lr=0.05, momentum=0.9),
            X,
            data.targets(),
            task="binary",
            batch_size=10,
            seed=seed,
        )
        trainer.run(steps=60)
        return [w.copy() for w, _ in net.get_weights()]

    first, second, other = run(3), run(3), run(4)
    for a, b in zip(first, second):
        assert a.tobytes() == b.tobytes()
    assert any(a.tobytes() != c.tobytes() for a, c in zip(first, other))


def test_history_records_every_step_and_evaluations_per_epoch():
    trainer = xor_trainer(batch_size=2)  # 2 steps per epoch
    trainer.run(epochs=3)
    h = trainer.history
    assert len(h) == 6
    np.testing.assert_array_equal(h.column("step"), np.arange(1, 7))
    np.testing.assert_allclose(h.column("epoch"), np.arange(1, 7) / 2)
    evaluated = np.isfinite(h.column("train_loss"))
    np.testing.assert_array_equal(evaluated, [False, True] * 3)
    assert h.column("grad_norms").shape == (6, 2)
    assert np.all(h.column("lr") == 0.1)
    assert trainer.evaluate()["train_loss"] == pytest.approx(h.last("train_loss"))


def test_history_grows_past_its_capacity():
    trainer = xor_trainer()
    trainer.history = type(trainer.history)(2, capacity=4)
    trainer.run(steps=20)
    assert len(trainer.history) == 20
    np.testing.assert_array_equal(trainer.history.column("step"), np.arange(1, 21))


def test_huge_learning_rate_diverges_and_keeps_last_finite_weights():
    data = datasets.generate("plane", n_samples=50, seed=0)
    net = Network([2, 8, 1], ["relu", "linear"], loss="mse", seed=0)
    trainer = Trainer(net, optimizers.SGD(lr=1e6), data.X, data.targets(), task="regression")
    trainer.run(steps=100)
    assert trainer.diverged and "learning rate" in trainer.diverged
    assert trainer.step_count < 100 and trainer.diverged_at_step == trainer.step_count
    # The weights kept are those of the last step whose loss was finite.
    assert net.all_finite()
    assert math.isfinite(net.evaluate(data.X, data.targets()))
    with pytest.raises(TrainingDiverged):
        trainer.step()
    net.reinitialize()
    trainer.base_lr = 1e-3
    trainer.clear_divergence()
    trainer.step()
    assert trainer.diverged is None and trainer.step_count == trainer.history.column("step")[-1]


def test_schedule_sets_the_learning_rate_per_epoch():
    trainer = xor_trainer(
        lr=0.1, batch_size=2, schedule=schedules.make("step", step_size=1, gamma=0.5)
    )
    trainer.run(epochs=3)
    np.testing.assert_allclose(trainer.history.column("lr"), [0.1, 0.1, 0.05, 0.05, 0.025, 0.025])


def test_gradient_clipping_bounds_the_global_norm():
    trainer = xor_trainer(clip_norm=1e-3)
    trainer.forward_phase()
    grads = trainer.backward_phase()
    before = grads.global_norm()
    trainer.update_phase()
    assert before > 1e-3
    assert grads.global_norm() == pytest.approx(1e-3 * before / (before + 1e-6), rel=1e-9)


def test_multiclass_accuracy_and_test_set():
    data = datasets.generate("blobs", n_samples=150, noise=0.1, seed=1)
    train, test = datasets.split(data.n_samples, 0.3, seed=1)
    net = Network([2, 8, 3], ["relu", "softmax"], loss="cross_entropy", seed=1)
    trainer = Trainer(
        net,
        optimizers.Adam(lr=0.05),
        data.X[train],
        data.y[train],
        data.X[test],
        data.y[test],
        task="multiclass",
        batch_size=16,
    )
    trainer.run(epochs=20)
    result = trainer.evaluate()
    assert result["train_accuracy"] > 0.9 and result["test_accuracy"] > 0.85
    assert math.isfinite(result["test_loss"])


def test_epochs_count_on_across_a_batch_size_change():
    trainer = xor_trainer(batch_size=2)  # 2 steps per epoch
    trainer.run(steps=4)
    assert trainer.epoch == 2.0
    trainer.batch_size = 1  # 4 steps per epoch
    trainer.run(steps=2)
    assert trainer.epoch == 2.5
    assert np.all(np.diff(trainer.history.column("epoch")) > 0)


def test_continue_from_keeps_the_run_going():
    first = xor_trainer(batch_size=2)
    first.run(steps=3)
    second = xor_trainer(batch_size=4)
    second.continue_from(first)
    assert second.optimizer is first.optimizer and second.history is first.history
    second.run(steps=1)
    assert second.step_count == 4 and second.epoch == 2.5
    assert len(second.history) == 4
