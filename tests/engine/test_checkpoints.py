"""Checkpoints and rewinding: restore is bit-exact for every optimizer, mini-batches and dropout;
the store keeps within its budget, dense for recent steps; replay reaches any step exactly."""

import numpy as np
import pytest

from simulator.engine import Network, datasets, optimizers, schedules
from simulator.engine.checkpoints import CheckpointStore, state_at
from simulator.engine.trainer import Trainer

OPTIMIZERS = [
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("Adagrad", {"lr": 0.05}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.01}),
]


def spiral_trainer(name="Adam", params=None, seed=3, **kw):
    """A small net on 2-D spirals with mini-batches of 16, dropout and an L2 penalty."""
    data = datasets.generate("spiral", n_samples=120, noise=0.1, seed=seed)
    net = Network([2, 6, 5, 1], ["tanh", "relu", "sigmoid"], loss="bce", seed=seed, dropout=0.2)
    net.l2 = 1e-3
    opt = optimizers.make(name, **(params or {"lr": 0.01}))
    kw.setdefault("batch_size", 16)
    return Trainer(net, opt, data.X, data.y[:, None], task="binary", seed=seed, **kw)


def assert_same_state(a: Trainer, b: Trainer):
    for la, lb in zip(a.net.layers, b.net.layers):
        assert np.array_equal(la.weights, lb.weights)
        assert np.array_equal(la.bias, lb.bias)
    layers_a = a.optimizer.state_dict()["state"]["layers"]
    layers_b = b.optimizer.state_dict()["state"]["layers"]
    assert [layer.keys() for layer in layers_a] == [layer.keys() for layer in layers_b]
    for i, layer in enumerate(layers_a):
        for kind, sa in layer.items():
            sb = layers_b[i][kind]
            assert sa.keys() == sb.keys()
            for name in sa:
                assert np.array_equal(sa[name], sb[name]), (i, kind, name)
    assert a.step_count == b.step_count and a.epoch == b.epoch
    assert a.batches.epoch == b.batches.epoch
    assert a.batches.step_in_epoch == b.batches.step_in_epoch


@pytest.mark.parametrize(("name", "params"), OPTIMIZERS)
def test_rewinding_to_a_step_gives_exactly_that_steps_state(name, params):
    # A stops at 57; B runs to 200 and is rewound to 57 through the store and a replay.
    a = spiral_trainer(name, params)
    a.run(steps=57)
    b = spiral_trainer(name, params)
    store = CheckpointStore()
    store.add(b.checkpoint())
    for _ in range(200):
        b.step()
        if b.step_count % 10 == 0:
            store.add(b.checkpoint())
    replayed, cp = state_at(b, store, 57)
    assert_same_state(replayed, a)
    assert cp.step == 57 and cp.history_length == 57
    assert b.step_count == 200 and len(b.history) == 200  # the live trainer is untouched

    # Resuming B from 57 for 50 steps equals A continuing 50 steps, bit for bit.
    b.restore(cp)
    assert len(b.history) == 57
    assert_same_state(b, a)
    a.run(steps=50)
    b.run(steps=50)
    assert_same_state(b, a)
    np.testing.assert_array_equal(b.history.column("batch_loss"), a.history.column("batch_loss"))


def test_restore_of_a_direct_checkpoint_equals_a_run_stopped_there():
    a = spiral_trainer(batch_size=7, schedule=schedules.make("step", step_size=2, gamma=0.5))
    cp = None
    for _ in range(90):
        a.step()
        if a.step_count == 33:
            cp = a.checkpoint()
    b = spiral_trainer(batch_size=7, schedule=schedules.make("step", step_size=2, gamma=0.5))
    b.run(steps=33)
    a.restore(cp)
    assert_same_state(a, b)
    assert a.current_lr() == b.current_lr()
    a.run(steps=40)
    b.run(steps=40)
    assert_same_state(a, b)


def test_checkpoints_only_between_whole_steps_and_copies_are_independent():
    t = spiral_trainer()
    t.forward_phase()
    with pytest.raises(RuntimeError, match="whole steps"):
        t.checkpoint()
    t.backward_phase()
    t.update_phase()
    cp = t.checkpoint()
    w = cp.weights[0][0].copy()
    t.run(steps=5)
    np.testing.assert_array_equal(cp.weights[0][0], w)  # training does not change it
    fork = t.fork()
    fork.run(steps=5)
    assert t.step_count == 6 and fork.step_count == 11
    assert not np.array_equal(fork.net.layers[0].weights, t.net.layers[0].weights)


def test_restore_refuses_another_network():
    t = spiral_trainer()
    cp = t.checkpoint()
    other = Trainer(
        Network([2, 3, 1], ["tanh", "sigmoid"], loss="bce"),
        optimizers.Adam(),
        t.X_train,
        t.Y_train,
        task="binary",
        batch_size=16,
    )
    with pytest.raises(ValueError):
        other.restore(cp)


def test_store_stays_within_budget_keeps_step_zero_and_recent_steps_dense():
    t = spiral_trainer()
    size = t.checkpoint().nbytes
    store = CheckpointStore(budget_bytes=60 * size)
    store.add(t.checkpoint())
    for _ in range(3000):
        t.step()
        store.add(t.checkpoint())
        assert store.nbytes <= store.budget_bytes
    steps = store.steps
    assert steps[0] == 0 and steps[-1] == 3000
    assert 30 <= len(store) <= 60
    gaps = np.diff(steps)
    assert gaps[-1] <= 5  # recent steps dense...
    assert gaps[:5].mean() > 10 * gaps[-5:].mean()  # ...older ones thinned
    assert store.max_gap() < 600  # never a hole as long as a fifth of the run
    # Any step replays exactly from the store.
    ref = spiral_trainer()
    ref.run(steps=1234)
    replayed, _ = state_at(t, store, 1234)
    assert_same_state(replayed, ref)


def test_drop_after_and_nearest_at_or_before():
    t = spiral_trainer()
    store = CheckpointStore()
    for _ in range(5):
        store.add(t.checkpoint())
        t.run(steps=10)
    assert store.steps == [0, 10, 20, 30, 40]
    assert store.nearest_at_or_before(29).step == 20
    assert store.nearest_at_or_before(30).step == 30
    before = store.nbytes
    store.drop_after(15)
    assert store.steps == [0, 10] and store.nbytes < before
    # Adding an earlier step drops the later ones first.
    store.add(store.get(0))
    assert store.steps == [0]
