"""engine.backprop: the explained passes equal the training passes, and each value is the
derivative it claims (finite differences written here as the independent reference)."""

import math

import numpy as np
import pytest

from simulator.engine import Network, backprop, losses

CASES = [  # (hidden, output, loss, outputs)
    ("tanh", "sigmoid", "bce", 1),
    ("relu", "softmax", "cross_entropy", 3),
    ("gelu", "softmax", "mse", 3),
    ("elu", "linear", "cross_entropy", 3),
    ("silu", "tanh", "huber", 2),
    ("softplus", "softmax", "bce", 3),
]


def _setup(hidden, output, loss, k, dropout=0.3, **kw):
    rng = np.random.default_rng(11)
    X = rng.normal(size=(6, 3))
    if loss == "cross_entropy":
        Y = rng.integers(0, k, size=6)
    elif loss == "bce":
        Y = rng.uniform(0.1, 0.9, size=(6, k))
    else:
        Y = rng.normal(size=(6, k))
    net = Network([3, 5, 4, k], [hidden, hidden, output], loss=loss, seed=1, **kw)
    net.layers[0].dropout = dropout
    for layer in net.layers:
        layer.bias[:] = rng.normal(scale=0.3, size=layer.bias.shape)
    return net, X, Y


@pytest.mark.parametrize("hidden, output, loss, k", CASES)
def test_explain_is_networks_backward_with_every_value_kept(hidden, output, loss, k):
    net, X, Y = _setup(hidden, output, loss, k, l2=0.01, l1=0.003)
    net.set_connection(1, 2, 3, False)
    trace = net.forward(X)
    grads = net.backward(trace, Y)
    ex = backprop.explain(net, trace, Y)
    assert ex.loss == grads.loss and len(ex) == 3
    for i, (layer_ex, lt) in enumerate(zip(ex.layers, trace.layers)):
        np.testing.assert_array_equal(layer_ex.delta, grads.deltas[i])
        np.testing.assert_array_equal(layer_ex.z, lt.z)
        if layer_ex.fprime is not None and layer_ex.dl_da is not None:
            np.testing.assert_array_equal(layer_ex.delta, layer_ex.dl_da * layer_ex.fprime)
        for r, c in np.ndindex(layer_ex.weights.shape):
            data, l2_term, l1_term = ex.weight_gradient(i, r, c)
            assert math.isclose(data + l2_term + l1_term, grads.weights[i][r, c], rel_tol=1e-12)
            assert math.isclose(ex.weight_terms(i, r, c).sum(), data, rel_tol=1e-12, abs_tol=1e-15)
    assert ex.weight_gradient(1, 2, 3) == (0.0, 0.0, 0.0)
    assert not ex.weight_terms(1, 2, 3).any()
    # Hidden dL/da is the sum of the terms w_jk δ_k, times the dropout multiplier.
    for i in range(2):
        for j in range(ex.layers[i].z.shape[1]):
            total = ex.backward_terms(i + 1, j).sum(axis=1)
            if ex.layers[i].keep is not None:
                total = total * ex.layers[i].keep[:, j]
            np.testing.assert_allclose(ex.layers[i].dl_da[:, j], total, rtol=1e-12, atol=1e-15)
    assert ex.fused == ((loss, output) in {("bce", "sigmoid"), ("cross_entropy", "softmax")})
    assert (ex.layers[-1].dl_da is None) == ex.fused
    assert (ex.layers[-1].fprime is None) == (output == "softmax")


@pytest.mark.parametrize("hidden, output, loss, k", CASES)
def test_the_values_are_the_derivatives_they_claim(hidden, output, loss, k):
    net, X, Y = _setup(hidden, output, loss, k, dropout=0.0)
    trace = net.forward(X, training=False)
    ex = backprop.explain(net, trace, Y)
    h = 1e-6
    # dL/dx: move an input.
    for s, j in [(0, 0), (3, 2)]:
        up, down = X.copy(), X.copy()
        up[s, j] += h
        down[s, j] -= h
        numeric = (net.evaluate(up, Y) - net.evaluate(down, Y)) / (2 * h)
        assert ex.dl_dx[s, j] == pytest.approx(numeric, rel=1e-6, abs=1e-10)
    # δ of a hidden unit: move its z and run the rest of the network.
    for i, s, j in [(0, 1, 2), (1, 4, 0)]:
        values = []
        for step in (h, -h):
            z = trace.layers[i].z.copy()
            z[s, j] += step
            rest = backprop.forward(net, trace.layers[i].input, None, start=i, z=z)
            out = rest[-1]
            y = net.targets(Y)
            values.append(losses.output_value(net.loss, output, out.z, out.a, y))
        assert ex.layers[i].delta[s, j] == pytest.approx(
            (values[0] - values[1]) / (2 * h), rel=1e-6, abs=1e-10
        )


def test_one_row_is_that_samples_own_loss():
    net, X, Y = _setup("tanh", "linear", "mse", 2, dropout=0.0)
    trace = net.forward(X, training=False)
    batch = backprop.explain(net, trace, Y)
    one = backprop.explain(net, trace, Y, rows=[4])
    assert one.loss == pytest.approx(net.evaluate(X[4:5], Y[4:5]), rel=1e-14)
    alone = backprop.explain(net, net.forward(X[4:5], training=False), Y[4:5])
    for a, b, full in zip(one.layers, alone.layers, batch.layers):
        np.testing.assert_allclose(a.delta, b.delta, rtol=1e-14)
        np.testing.assert_allclose(a.delta[0], 6 * full.delta[4], rtol=1e-12)  # the batch's 1/n


def test_forward_with_the_training_masks_is_the_training_pass():
    net, X, _ = _setup("relu", "softmax", "cross_entropy", 3, dropout=0.5)
    trace = net.forward(X)
    again = backprop.forward(net, X, [lt.keep for lt in trace])
    for lt, other in zip(trace.layers, again):
        np.testing.assert_array_equal(lt.z, other.z)
        np.testing.assert_array_equal(lt.output, other.output)
    tail = backprop.forward(net, trace.layers[1].input, [lt.keep for lt in trace], start=1)
    np.testing.assert_array_equal(tail[-1].a, trace.output)


def test_penalty_and_its_terms():
    w = np.array([[0.5, -2.0], [0.0, 1.5]])
    assert backprop.penalty(w, 0.1, 0.2) == pytest.approx(0.1 * 4.0 + 0.1 * (0.25 + 4 + 2.25))
    l2_term, l1_term = backprop.penalty_terms(w, 0.1, 0.2)
    np.testing.assert_array_equal(l2_term, 0.2 * w)
    np.testing.assert_array_equal(l1_term, [[0.1, -0.1], [0.0, 0.1]])
    net, X, Y = _setup("tanh", "linear", "mse", 2, l1=0.1, l2=0.2)
    total = sum(backprop.penalty(layer.weights, 0.1, 0.2) for layer in net.layers)
    assert total == pytest.approx(net.penalty(), rel=1e-14)
