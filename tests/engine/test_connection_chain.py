"""engine.backprop.explain_connection: one sample's chain rule for one weight, every factor the
derivative it claims (finite differences in float64 written here as the independent reference)."""

import math

import numpy as np
import pytest

from simulator.engine import Network, backprop

CASES = [  # (hidden, output, loss, outputs)
    ("tanh", "sigmoid", "bce", 1),
    ("sigmoid", "sigmoid", "half_mse", 1),
    ("relu", "softmax", "cross_entropy", 3),
    ("sigmoid", "linear", "mse", 2),
    ("elu", "tanh", "huber", 2),
    ("gelu", "softmax", "mse", 3),
]


def _setup(hidden, output, loss, k, **kw):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(4, 3))
    if loss == "cross_entropy":
        Y = rng.integers(0, k, size=4)
    elif loss == "bce":
        Y = rng.integers(0, 2, size=(4, k)).astype(float)
    else:
        Y = rng.normal(size=(4, k))
    net = Network([3, 4, 3, k], [hidden, hidden, output], loss=loss, seed=3, **kw)
    for layer in net.layers:
        layer.bias[:] = rng.normal(scale=0.3, size=layer.bias.shape)
    return net, X, Y


def sample_loss(net, x, y):
    trace = net.forward(x[None], training=False)
    return net.backward(trace, y).loss


@pytest.mark.parametrize("hidden, output, loss, k", CASES)
def test_every_factor_is_the_derivative_it_claims(hidden, output, loss, k):
    net, X, Y = _setup(hidden, output, loss, k, l2=0.02, dropout=0.4)
    s = 2
    x, y = X[s], Y[s : s + 1]
    plain = net.copy()
    plain.l1 = plain.l2 = 0.0
    grads = plain.backward(plain.forward(x[None], training=False), y)
    h = 1e-6
    for i, layer in enumerate(net.layers):
        for r, c in [(0, 0), (layer.fan_in - 1, layer.fan_out - 1)]:
            chain = backprop.explain_connection(net, x, y, i, r, c)
            # The engine's backward pass of this one sample, penalties off.
            assert math.isclose(chain.gradient, grads.weights[i][r, c], rel_tol=1e-12)
            # Finite differences of the sample's own loss in float64.
            up, down = plain.copy(), plain.copy()
            up.layers[i].weights[r, c] += h
            down.layers[i].weights[r, c] -= h
            fd = (sample_loss(up, x, y) - sample_loss(down, x, y)) / (2 * h)
            assert math.isclose(chain.gradient, fd, rel_tol=1e-5, abs_tol=1e-9)
            # The factors multiply out to it.
            assert math.isclose(chain.a_source * chain.delta, chain.gradient, rel_tol=1e-12)
            assert chain.w == layer.weights[r, c]
            if chain.fprime is not None:
                assert math.isclose(chain.fprime * chain.dl_da, chain.delta, rel_tol=1e-12)
            if not chain.is_output:
                total = float(np.dot(chain.down_weights, chain.down_deltas))
                assert math.isclose(total, chain.dl_da, rel_tol=1e-12, abs_tol=1e-15)
            z = float(np.dot(chain.inputs, chain.in_weights)) + (chain.bias or 0.0)
            assert math.isclose(z, chain.z, rel_tol=1e-12, abs_tol=1e-15)
            if chain.activation != "softmax":
                assert math.isclose(chain.activate(chain.z), chain.a, rel_tol=1e-12)
            if i > 0:
                prev = chain.z_source
                act = net.layers[i - 1].activation
                assert math.isclose(backprop_value(act, prev), chain.a_source, rel_tol=1e-12)


def backprop_value(name, z):
    return {
        "tanh": math.tanh,
        "sigmoid": lambda v: 1 / (1 + math.exp(-v)),
        "relu": lambda v: max(v, 0.0),
        "elu": lambda v: v if v > 0 else math.expm1(v),
        "gelu": lambda v: 0.5 * v * (1 + math.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v**3))),
    }[name](z)


@pytest.mark.parametrize(
    "loss, output, constant, mean",
    [
        ("mse", "linear", 2.0, 1 / 2),
        ("half_mse", "sigmoid", 1.0, 1 / 2),
        ("bce", "sigmoid", 1, 1 / 2),
    ],
)
def test_the_output_derivative_is_its_constant_times_the_mean_times_o_minus_y(
    loss, output, constant, mean
):
    net, X, Y = _setup("tanh", output, loss, 2)
    chain = backprop.explain_connection(net, X[1], Y[1:2], 2, 1, 1)
    assert chain.is_output and chain.outputs == 2
    assert chain.loss_constant == constant and chain.output_mean == mean
    core = chain.a - chain.y
    if chain.fused:  # bce on sigmoid: δ = (σ(z) − y)/K, no f′
        assert chain.fprime is None and chain.dl_da is None
        assert math.isclose(chain.delta, mean * core, rel_tol=1e-12)
    else:
        assert math.isclose(chain.dl_da, constant * mean * core, rel_tol=1e-12)


def test_cross_entropy_does_not_average_over_the_outputs():
    net, X, Y = _setup("relu", "softmax", "cross_entropy", 3)
    chain = backprop.explain_connection(net, X[0], Y[0:1], 2, 0, int(Y[0]))
    assert chain.fused and chain.output_mean == 1.0
    assert math.isclose(chain.delta, chain.a - 1.0, rel_tol=1e-12)


def test_a_removed_connection_and_a_missing_one():
    net, X, Y = _setup("tanh", "sigmoid", "bce", 1)
    net.set_connection(0, 1, 2, False)
    chain = backprop.explain_connection(net, X[0], Y[0:1], 0, 1, 2)
    assert chain.removed and chain.gradient == 0.0 and chain.w == 0.0
    with pytest.raises(ValueError):
        backprop.explain_connection(net, X[0], Y[0:1], 0, 3, 0)
    with pytest.raises(ValueError):
        backprop.explain_connection(net, X[0], Y[0:1], 3, 0, 0)
    assert "W0[1, 2]" in repr(chain)
