"""The fast paths against straightforward references, bit for bit.

``Network.backward`` writes every gradient into one vector and an optimizer given such
gradients updates the whole parameter vector at once (``Optimizer.step``'s flat path).  Each
entry's arithmetic is meant to be what it was one array at a time: these tests run the same
random networks through a reference written the plain way (per-layer arrays, one-hot targets,
one optimizer call per parameter) and require identical bits.
"""

from __future__ import annotations

import copy
import types

import numpy as np
import pytest

from simulator.engine import activations, losses, optimizers
from simulator.engine.network import Network

OPTIMIZER_CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.01}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "amsgrad": True, "maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.01}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.05, "maximize": True}),
]


def random_net(seed: int, dtype: str = "float64", loss: str = "mse") -> Network:
    rng = np.random.default_rng(seed)
    depth = int(rng.integers(1, 4))
    sizes = [int(v) for v in rng.integers(1, 6, size=depth + 1)]
    acts = [str(rng.choice(["tanh", "relu", "sigmoid", "gelu", "linear"])) for _ in sizes[1:]]
    if loss == "cross_entropy":
        sizes[-1] = max(sizes[-1], 2)
        acts[-1] = str(rng.choice(["softmax", "linear"]))
    use_bias = [bool(rng.random() < 0.75) for _ in sizes[1:]]
    net = Network(sizes, acts, loss=loss, seed=seed, dtype=dtype, use_bias=use_bias)
    for i, layer in enumerate(net.layers):
        if layer.use_bias:
            layer.bias[...] = rng.normal(scale=0.3, size=layer.bias.shape)
        for r, c in np.argwhere(rng.random(layer.weights.shape) < 0.2):
            net.set_connection(i, int(r), int(c), False)
    return net


def data(net: Network, seed: int, n: int = 6):
    rng = np.random.default_rng([seed, 1])
    X = rng.normal(size=(n, net.sizes[0]))
    if net.loss == "cross_entropy":
        return X, rng.integers(0, net.sizes[-1], size=n)
    if net.loss == "bce":
        return X, (rng.random((n, net.sizes[-1])) < 0.5).astype(float)
    return X, rng.normal(size=(n, net.sizes[-1]))


def reference_backward(net: Network, trace, Y):
    """Network.backward as written before the flat vectors: one new array per gradient."""
    y = net.targets(Y)
    out = trace.layers[-1]
    fns = [activations.get(layer.activation) for layer in net.layers]
    loss, delta = losses.output_delta(net.loss, fns[-1], out.z, out.a, y)
    g_w, g_b = [None] * len(net.layers), [None] * len(net.layers)
    for i in range(len(net.layers) - 1, -1, -1):
        layer, lt = net.layers[i], trace.layers[i]
        gw = np.dot(lt.input.T, delta)
        if not layer.mask.all():
            gw *= layer.mask
        if net.l2:
            gw += net.l2 * layer.weights
        if net.l1:
            gw += net.l1 * np.sign(layer.weights)
        g_w[i] = gw
        g_b[i] = np.add.reduce(delta, axis=0) if layer.use_bias else np.zeros_like(layer.bias)
        if i:
            prev = trace.layers[i - 1]
            g = np.dot(delta, layer.weights.T)
            if prev.keep is not None:
                g *= prev.keep
            delta = fns[i - 1].backward(prev.z, prev.a, g)
    return loss, g_w, g_b


def same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("loss", ["mse", "bce", "cross_entropy", "huber"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_backward_matches_the_per_layer_reference_bit_for_bit(loss, dtype):
    for seed in range(12):
        net = random_net(seed, dtype, loss)
        net.l2 = 0.01 if seed % 3 == 0 else 0.0
        net.l1 = 0.02 if seed % 4 == 1 else 0.0
        X, Y = data(net, seed)
        trace = net.forward(X)
        grads = net.backward(trace, Y)
        loss_ref, g_w, g_b = reference_backward(net, trace, Y)
        assert grads.loss == loss_ref or (np.isnan(grads.loss) and np.isnan(loss_ref))
        for i in range(len(net.layers)):
            assert same_bits(grads.weights[i], g_w[i]), (seed, i)
            assert same_bits(grads.bias[i], g_b[i]), (seed, i)
        assert grads.flat is not None and grads.flat_views(net.layout()) is grads.flat


def test_cross_entropy_from_indices_gives_what_one_hot_targets_give():
    for seed in range(10):
        net = random_net(seed, "float64", "cross_entropy")
        X, Y = data(net, seed, n=9)
        trace = net.forward(X)
        by_index = net.backward(trace, Y)
        one_hot = net.backward(trace, np.eye(net.sizes[-1])[Y])
        assert by_index.loss == one_hot.loss
        assert same_bits(by_index.flat, one_hot.flat)
    with pytest.raises(ValueError, match="class index"):
        net.backward(trace, np.full(9, net.sizes[-1]))
    with pytest.raises(ValueError, match="class index"):
        net.backward(trace, np.full(9, -1))


def per_parameter_grads(grads):
    """The same gradients as separate arrays: the optimizer takes them one at a time."""
    return types.SimpleNamespace(
        weights=[g.copy() for g in grads.weights], bias=[g.copy() for g in grads.bias]
    )


@pytest.mark.parametrize(("name", "hyper"), OPTIMIZER_CASES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_one_step_over_the_whole_vector_is_the_per_parameter_step(name, hyper, dtype):
    for seed in range(6):
        net = random_net(seed, dtype)
        twin = net.copy()
        fast, plain = optimizers.make(name, **hyper), optimizers.make(name, **hyper)
        X, Y = data(net, seed)
        for step in range(4):
            grads = net.backward(net.forward(X * (1 + step)), Y)
            fast.step(net, grads)
            plain.step(twin, per_parameter_grads(grads))
            for i, (a, b) in enumerate(zip(net.layers, twin.layers)):
                assert same_bits(a.weights, b.weights), (seed, step, i)
                assert same_bits(a.bias, b.bias), (seed, step, i)
                for kind in ("weights", "bias"):
                    sa, sb = fast.state_for(i, kind), plain.state_for(i, kind)
                    assert sa.keys() == sb.keys()
                    for key in sa:
                        assert same_bits(sa[key], sb[key]), (seed, step, i, kind, key)
                    ua, ub = fast.last_update(i, kind), plain.last_update(i, kind)
                    assert (ua is None) == (ub is None)
                    if ua is not None:
                        assert same_bits(ua, ub)
            sa, sb = fast.state_dict(net), plain.state_dict(twin)
            assert str(sa) == str(sb)


def test_the_vector_follows_edits_settings_and_loaded_state():
    net = random_net(3)
    twin = net.copy()
    fast, plain = optimizers.Adam(lr=0.01), optimizers.Adam(lr=0.01)
    X, Y = data(net, 3)

    def step():
        grads = net.backward(net.forward(X), Y)
        fast.step(net, grads)
        plain.step(twin, per_parameter_grads(grads))
        for a, b in zip(net.layers, twin.layers):
            assert same_bits(a.weights, b.weights) and same_bits(a.bias, b.bias)

    step()
    fast.amsgrad = plain.amsgrad = True  # a buffer made mid-run
    step()
    assert "max_exp_avg_sq" in fast.state_for(0, "weights")
    for n in (net, twin):
        n.add_neuron(1)  # a new shape: that layer's state starts afresh
    step()
    step()
    for n in (net, twin):
        n.set_use_bias(0, not n.layers[0].use_bias)
    step()
    assert (fast.state_for(0, "bias") == {}) == (plain.state_for(0, "bias") == {})
    state = copy.deepcopy(fast.state_dict(net))
    fast.load_state_dict(state, net)
    step()
    fast.reset()
    plain.reset()
    step()
    # an array assigned with the same shape is copied into the vector; another shape waits
    w = net.layers[0].weights.copy() * 0.5
    net.layers[0].weights = w
    twin.layers[0].weights = w.copy()
    assert net.layers[0].weights is not w and np.array_equal(net.layers[0].weights, w)
    step()
    for n in (net, twin):
        n.layers[-1].weights = np.vstack([n.layers[-1].weights, n.layers[-1].weights[:1]])
        n.layers[-1].mask = np.ones(n.layers[-1].weights.shape, dtype=bool)
        n.layers[-2].weights = np.hstack([n.layers[-2].weights, n.layers[-2].weights[:, :1]])
        n.layers[-2].bias = np.append(n.layers[-2].bias, 0.0)
        n.layers[-2].mask = np.ones(n.layers[-2].weights.shape, dtype=bool)
    step()
    step()
    assert np.shares_memory(net.layers[0].weights, net.flat)


def test_replaced_gradient_arrays_are_read_one_at_a_time():
    net = random_net(5)
    twin = net.copy()
    X, Y = data(net, 5)
    grads = net.backward(net.forward(X), Y)
    grads.weights[0] = grads.weights[0] * 2.0  # no longer a view of grads.flat
    assert grads.flat_views(net.layout()) is None
    optimizers.SGD(lr=0.1).step(net, grads)
    optimizers.SGD(lr=0.1).step(twin, per_parameter_grads(grads))
    for a, b in zip(net.layers, twin.layers):
        assert same_bits(a.weights, b.weights) and same_bits(a.bias, b.bias)


def test_a_deep_copy_is_independent_of_the_original_vector():
    net = random_net(7)
    clone = copy.deepcopy(net)
    X, Y = data(net, 7)
    optimizers.SGD(lr=0.5).step(clone, clone.backward(clone.forward(X), Y))
    assert not np.shares_memory(clone.flat, net.flat)
    assert not any(np.array_equal(a.weights, b.weights) for a, b in zip(net.layers, clone.layers))
    assert all(np.shares_memory(layer.weights, clone.flat) for layer in clone.layers)


@pytest.mark.parametrize("loss", ["bce", "cross_entropy", "mse"])
def test_an_evaluation_from_one_forward_pass_is_what_evaluate_and_accuracy_give(loss):
    from simulator.engine.trainer import Trainer, accuracy

    task = {"bce": "binary", "cross_entropy": "multiclass", "mse": "regression"}[loss]
    for seed in range(5):
        net = random_net(seed, "float64", loss)
        X, Y = data(net, seed, n=40)
        trainer = Trainer(
            net, optimizers.SGD(lr=0.1), X[:30], Y[:30], X[30:], Y[30:], task=task, batch_size=8
        )
        trainer.run(steps=5)
        got = trainer.evaluate()
        want = {
            "train_loss": net.evaluate(X[:30], Y[:30]),
            "train_accuracy": accuracy(net, X[:30], Y[:30], task),
            "test_loss": net.evaluate(X[30:], Y[30:]),
            "test_accuracy": accuracy(net, X[30:], Y[30:], task),
        }
        assert list(got) == list(want)
        for key, value in want.items():
            assert got[key] == value or (np.isnan(got[key]) and np.isnan(value)), key


def test_the_weights_before_an_update_are_kept_through_edits():
    from simulator.engine.trainer import Trainer

    net = random_net(2)
    X, Y = data(net, 2, n=12)
    trainer = Trainer(net, optimizers.Adam(lr=0.05), X, Y, batch_size=4)
    for _ in range(3):
        before = net.get_weights()
        trainer.step()
        for (w, b), (gw, gb) in zip(before, trainer.last_good):
            assert same_bits(w, gw) and same_bits(b, gb)
        assert trainer.last_step.weights_before is trainer.last_good
    net.add_neuron(1)
    before = net.get_weights()
    trainer.step()
    assert [w.shape for w, _ in trainer.last_good] == [w.shape for w, _ in before]
    for (w, b), (gw, gb) in zip(before, trainer.last_good):
        assert same_bits(w, gw) and same_bits(b, gb)


@pytest.mark.parametrize("batch_size", [None, 1, 4, 5])
def test_each_batch_is_the_rows_of_its_indices(batch_size):
    from simulator.engine.trainer import Trainer

    net = random_net(4)
    X, Y = data(net, 4, n=14)
    trainer = Trainer(net, optimizers.SGD(lr=0.1), X, Y, batch_size=batch_size)
    for step in range(12):
        trace = trainer.forward_phase()
        assert same_bits(trace.input, X[trainer.batch_index])
        assert same_bits(trainer.forward_loss(), net.trace_loss(trace, Y[trainer.batch_index]))
        trainer.backward_phase()
        trainer.update_phase()
        if step == 5:  # an order given back as a reversed read-only view: still its rows
            state = trainer.state_dict()
            order = np.ascontiguousarray(state["batches"]["order"][::-1])[::-1]
            order.setflags(write=False)
            state["batches"]["order"] = order
            trainer.load_state_dict(state)


def test_inputs_are_checked_again_after_an_edit_changes_what_fits():
    net = Network([2, 3, 1], ["tanh", "linear"])
    X = np.ones((4, 2))
    net.forward(X)
    net.forward(X)  # a shape checked before
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        net.forward(np.ones((4, 3)))
    net.add_neuron(0)  # the network now takes 3 inputs
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        net.forward(X)
    assert net.forward(np.ones((4, 3))).output.shape == (4, 1)
    assert net.forward(np.ones((4, 3), dtype=np.float32)).output.dtype == np.float64


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_parts_give_the_stable_sigmoid_bit_for_bit(dtype):
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(scale=s, size=2000) for s in (0.1, 1.0, 10.0, 100.0, 1e3)])
    z = np.concatenate([z, [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300, -1e-300]]).astype(dtype)
    with np.errstate(all="ignore"):
        e = np.exp(-np.abs(z))
        reference = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))  # as it was written
        a, e2, pos = activations.sigmoid_parts(z)
        assert same_bits(activations.sigmoid(z), reference)
    assert same_bits(a, reference) and same_bits(e2, e) and np.array_equal(pos, z >= 0)
