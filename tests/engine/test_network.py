"""The network: exact gradients for every activation x loss, kinks, saturation, dtypes, edits."""

import itertools
import math
import zlib

import numpy as np
import pytest

from simulator.engine import Network, activations, gradient_check, losses

ACTS = list(activations.ACTIVATIONS)


def _targets(loss, rng, n, k):
    if loss == "bce":
        return rng.uniform(0.05, 0.95, size=(n, k))
    if loss == "cross_entropy":
        return rng.integers(0, k, size=n)
    return rng.normal(size=(n, k))


def _random_biases(net, rng):
    for layer in net.layers:
        if layer.use_bias:
            layer.bias[:] = rng.normal(scale=0.3, size=layer.bias.shape)


@pytest.mark.parametrize("act,loss", list(itertools.product(ACTS, losses.LOSSES)))
def test_gradients_match_finite_differences(act, loss):
    rng = np.random.default_rng(zlib.crc32(f"{act}-{loss}".encode()))
    X = rng.normal(size=(6, 3))
    Y = _targets(loss, rng, 6, 3)
    # The activation under test as a hidden activation and as the output activation.
    net = Network([3, 4, 3, 3], [act, "tanh", act], loss=loss, seed=5, init="xavier_normal")
    _random_biases(net, rng)
    if loss == "mae":  # keep |o - y| away from mae's kink at 0, where no derivative exists
        out = net.predict(X)
        Y = out + rng.choice([-1.0, 1.0], size=out.shape) * rng.uniform(0.3, 1.0, size=out.shape)
    result = gradient_check(net, X, Y)
    assert result.worst < 1e-6, result


@pytest.mark.parametrize("loss", losses.LOSSES)
def test_gradients_with_single_output_unit(loss):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(5, 2))
    Y = rng.uniform(0.1, 0.9, size=(5, 1)) if loss == "bce" else rng.normal(size=(5, 1))
    if loss == "cross_entropy":
        Y = rng.integers(0, 1, size=5)
    net = Network([2, 3, 1], ["sigmoid", "sigmoid"], loss=loss, seed=1)
    assert gradient_check(net, X, Y).worst < 1e-6


def test_gradient_check_with_regularization_masks_and_no_bias():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(8, 3))
    Y = rng.normal(size=(8, 2))
    net = Network(
        [3, 5, 2], ["elu", "linear"], loss="mse", seed=2, l1=0.01, l2=0.1, use_bias=[False, True]
    )
    net.set_connection(0, 1, 2, False)
    net.set_connection(1, 4, 0, False)
    _random_biases(net, rng)
    grads = net.backward(net.forward(X, training=False), Y)
    assert grads.weights[0][1, 2] == 0 and grads.weights[1][4, 0] == 0
    assert np.all(grads.bias[0] == 0) and np.all(net.layers[0].bias == 0)
    assert grads.penalty == pytest.approx(
        sum(0.01 * np.abs(la.weights).sum() + 0.05 * (la.weights**2).sum() for la in net.layers)
    )
    assert gradient_check(net, X, Y).worst < 1e-6


def test_softmax_hidden_layer_with_mse_uses_full_jacobian():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(4, 3))
    Y = rng.normal(size=(4, 3))
    net = Network([3, 4, 3], ["softmax", "softmax"], loss="mse", seed=4)
    assert gradient_check(net, X, Y).worst < 1e-6
    # Independent check of the output delta: J^T g with J = diag(s) - s s^T per sample.
    trace = net.forward(X, training=False)
    grads = net.backward(trace, Y)
    s = trace.output
    g = 2 * (s - Y) / Y.size
    expected = np.stack([(np.diag(si) - np.outer(si, si)).T @ gi for si, gi in zip(s, g)])
    np.testing.assert_allclose(grads.deltas[-1], expected, rtol=1e-12, atol=1e-15)


# PyTorch's derivative at exactly z = 0 (and softplus at its threshold 20), worked by hand.
KINKS = {
    "linear": (0.0, 1.0),
    "relu": (0.0, 0.0),
    "leaky_relu": (0.0, 0.01),
    "elu": (0.0, 1.0),
    "sigmoid": (0.0, 0.25),
    "tanh": (0.0, 1.0),
    "gelu": (0.0, 0.5),
    "silu": (0.0, 0.5),
    "softplus": (0.0, 0.5),
    "mish": (0.0, 0.6),  # tanh(ln 2) = (2 - 1/2) / (2 + 1/2)
    "softsign": (0.0, 1.0),
    "sine": (0.0, 1.0),
    "gaussian": (0.0, 0.0),
    "step": (0.0, 0.0),  # no derivative at the jump; autograd's relu(sign z) gives 0
}


@pytest.mark.parametrize("name", list(KINKS))
def test_derivative_exactly_at_zero(name):
    z0, expected = KINKS[name]
    # One neuron, weight 0 and bias 0: z is exactly 0; half_mse against y = a - 1 gives dL/da = 1.
    net = Network([1, 1], [name], loss="half_mse", seed=0, init="zeros")
    trace = net.forward([[1.0]], training=False)
    assert trace.layers[0].z[0, 0] == z0
    y = trace.output - 1.0
    grads = net.backward(trace, y)
    assert grads.deltas[0][0, 0] == expected


def test_softplus_threshold_is_pytorchs():
    act = activations.get("softplus")
    z = np.array([[20.0, 20.5, 19.5]])
    a = act.forward(z)
    assert a[0, 1] == 20.5  # linear above the threshold
    assert a[0, 0] == math.log1p(math.exp(20.0))
    d = act.derivative(z, a)
    assert d[0, 1] == 1.0
    assert d[0, 0] == pytest.approx(1 / (1 + math.exp(-20.0)), rel=1e-15)


def test_activation_values_against_math_module():
    z = np.linspace(-4, 4, 17).reshape(1, -1)
    ref = {
        "sigmoid": lambda v: 1 / (1 + math.exp(-v)),
        "tanh": math.tanh,
        "relu": lambda v: max(v, 0.0),
        "leaky_relu": lambda v: v if v > 0 else 0.01 * v,
        "elu": lambda v: v if v > 0 else math.exp(v) - 1,
        "softplus": lambda v: math.log(1 + math.exp(v)),
        "silu": lambda v: v / (1 + math.exp(-v)),
        "gelu": lambda v: 0.5 * v * (1 + math.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v**3))),
        "linear": lambda v: v,
    }
    for name, f in ref.items():
        got = activations.get(name).forward(z)[0]
        np.testing.assert_allclose(got, [f(v) for v in z[0]], rtol=1e-13, atol=1e-15, err_msg=name)
    sm = activations.softmax(np.array([[1.0, 2.0, 3.0]]))[0]
    e = [math.exp(v) for v in (1.0, 2.0, 3.0)]
    np.testing.assert_allclose(sm, [v / sum(e) for v in e], rtol=1e-14)


@pytest.mark.parametrize("z", [80.0, -80.0])
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_saturated_sigmoid_bce_is_exact(z, y):
    net = Network([1, 1], ["sigmoid"], loss="bce", init="zeros")
    net.layers[0].bias[:] = z
    trace = net.forward([[0.0]], training=False)
    grads = net.backward(trace, [[y]])

    # BCE with logits: -log sigmoid(z) = softplus(-z) for y = 1, softplus(z) for y = 0.
    def softplus(t):
        return t + math.log1p(math.exp(-t)) if t > 0 else math.log1p(math.exp(t))

    exp_loss = softplus(-z) if y == 1 else softplus(z)
    exp_grad = (1 / (1 + math.exp(-z))) - y if y == 0 else -1 / (1 + math.exp(z))
    assert math.isfinite(grads.loss)
    assert grads.loss == pytest.approx(exp_loss, rel=1e-14, abs=0)
    assert grads.bias[0][0] == pytest.approx(exp_grad, rel=1e-14, abs=0)


@pytest.mark.parametrize("scale", [500.0, -500.0])
def test_saturated_softmax_cross_entropy_is_exact(scale):
    net = Network([1, 3], ["softmax"], loss="cross_entropy", init="zeros")
    net.layers[0].bias[:] = [scale, 0.0, -scale]
    trace = net.forward([[0.0]], training=False)
    grads = net.backward(trace, np.array([1]))
    # log-softmax of (s, 0, -s) at class 1: -(0 - s - log(1 + e^-s + e^-2s)) for s = 500.
    s = abs(scale)
    exp_loss = s + math.log1p(math.exp(-s) + math.exp(-2 * s))
    assert grads.loss == pytest.approx(exp_loss, rel=1e-15)
    p = np.exp(np.array([scale, 0.0, -scale]) - s)
    np.testing.assert_allclose(grads.bias[0], p - [0, 1, 0], rtol=1e-15, atol=0)
    assert np.isfinite(grads.weights[0]).all()


def test_float32_network_stays_float32():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 2))
    for act, loss in itertools.product(ACTS, losses.LOSSES):
        net = Network(
            [2, 3, 2], [act, act], loss=loss, dtype="float32", l1=0.1, l2=0.1, dropout=0.2
        )
        trace = net.forward(X)
        for lt in trace.layers:
            for arr in (lt.input, lt.z, lt.a):
                assert arr.dtype == np.float32, (act, loss)
        Y = np.array([0, 1] * 4) if loss == "cross_entropy" else rng.uniform(0.1, 0.9, (8, 2))
        grads = net.backward(trace, Y)
        for arr in (*grads.weights, *grads.bias, *grads.deltas):
            assert arr.dtype == np.float32, (act, loss)
        assert net.predict(X).dtype == np.float32


def test_float32_gradients_close_to_float64():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(10, 2))
    Y = rng.normal(size=(10, 1))
    net64 = Network([2, 6, 1], ["tanh", "linear"], seed=3)
    net32 = Network([2, 6, 1], ["tanh", "linear"], seed=3, dtype="float32")
    g64 = net64.backward(net64.forward(X), Y)
    g32 = net32.backward(net32.forward(X), Y)
    for a, b in zip(g64.weights, g32.weights):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)


def test_forward_matches_manual_computation():
    rng = np.random.default_rng(2)
    net = Network([2, 3, 1], ["tanh", "sigmoid"], loss="bce", seed=0)
    _random_biases(net, rng)
    X = rng.normal(size=(4, 2))
    h = np.tanh(X @ net.layers[0].weights + net.layers[0].bias)
    o = 1 / (1 + np.exp(-(h @ net.layers[1].weights + net.layers[1].bias)))
    np.testing.assert_allclose(net.forward(X).output, o, rtol=1e-14)
    np.testing.assert_allclose(net.predict(X), o, rtol=1e-14)


def test_dropout_only_while_training_and_inverted():
    net = Network([4, 50, 1], ["relu", "linear"], seed=0, dropout=0.5)
    X = np.ones((200, 4))
    train = net.forward(X, training=True)
    keep = train.layers[0].keep
    assert set(np.unique(keep)) == {0.0, 2.0}
    assert 0.4 < (keep == 0).mean() < 0.6
    assert net.forward(X, training=False).layers[0].keep is None
    np.testing.assert_array_equal(train.layers[1].input, train.layers[0].a * keep)
    rng = np.random.default_rng(0)
    Y = rng.normal(size=(200, 1))
    grads = net.backward(train, Y)
    # Dropped neurons pass no gradient to their incoming weights.
    dropped = keep[:, 0] == 0
    assert np.all(grads.deltas[0][dropped, 0] == 0)


def test_bias_gradient_is_zeros_when_bias_off():
    net = Network([2, 3, 1], ["relu", "linear"], use_bias=False)
    grads = net.backward(net.forward(np.ones((3, 2))), np.ones((3, 1)))
    assert all(np.array_equal(b, np.zeros_like(b)) for b in grads.bias)


def test_same_seed_same_weights_different_seed_different():
    a = Network([2, 5, 1], ["tanh", "sigmoid"], seed=4)
    b = Network([2, 5, 1], ["tanh", "sigmoid"], seed=4)
    c = Network([2, 5, 1], ["tanh", "sigmoid"], seed=5)
    for la, lb, lc in zip(a.layers, b.layers, c.layers):
        assert np.array_equal(la.weights, lb.weights)
        assert not np.array_equal(la.weights, lc.weights)


@pytest.mark.parametrize(
    "init,check",
    [
        ("xavier_uniform", lambda w, fi, fo: np.abs(w).max() <= math.sqrt(6 / (fi + fo))),
        ("he_uniform", lambda w, fi, fo: np.abs(w).max() <= math.sqrt(6 / fi)),
        (
            "he_normal",
            lambda w, fi, fo: abs(w.std() - math.sqrt(2 / fi)) < 0.05 * math.sqrt(2 / fi),
        ),
        ("xavier_normal", lambda w, fi, fo: abs(w.std() - math.sqrt(2 / (fi + fo))) < 0.002),
        ("lecun_normal", lambda w, fi, fo: abs(w.std() - math.sqrt(1 / fi)) < 0.05 / math.sqrt(fi)),
        ("zeros", lambda w, fi, fo: not w.any()),
        ("constant", lambda w, fi, fo: np.all(w == 0.5)),
        ("uniform", lambda w, fi, fo: np.abs(w).max() <= 0.5 and np.abs(w).max() > 0.45),
    ],
)
def test_initialisers(init, check):
    net = Network([400, 300, 1], ["relu", "linear"], init=init, seed=1)
    w = net.layers[0].weights
    assert check(w, 400, 300)
    assert not net.layers[0].bias.any()


def test_bad_arguments_give_clear_errors():
    with pytest.raises(ValueError, match="activation"):
        Network([2, 1], ["tanhh"])
    with pytest.raises(ValueError, match="loss"):
        Network([2, 1], ["tanh"], loss="hinge")
    with pytest.raises(ValueError, match="2 activations"):
        Network([2, 3, 1], ["tanh"])
    with pytest.raises(ValueError, match="sizes"):
        Network([2, 0, 1], ["tanh", "tanh"])
    with pytest.raises(ValueError, match="dtype"):
        Network([2, 1], ["tanh"], dtype="float16")
    with pytest.raises(ValueError, match="initialiser"):
        Network([2, 1], ["tanh"], init="orthogonal")
    with pytest.raises(ValueError, match="shape"):
        Network([2, 1], ["tanh"]).forward(np.ones((3, 5)))
    with pytest.raises(ValueError, match="dropout"):
        Network([2, 3, 1], ["tanh", "tanh"], dropout=[0.5, 0.5])
    with pytest.raises(ValueError, match="l2"):
        Network([2, 1], ["tanh"], l2=-1)


# ------------------------------------------------------------------ structural edits
def _net():
    return Network([2, 3, 2], ["tanh", "linear"], seed=1)


def test_add_neuron_keeps_other_weights():
    net = _net()
    w0, w1 = net.layers[0].weights.copy(), net.layers[1].weights.copy()
    idx = net.add_neuron(1, index=1)
    assert idx == 1 and net.sizes == [2, 4, 2]
    np.testing.assert_array_equal(np.delete(net.layers[0].weights, 1, axis=1), w0)
    np.testing.assert_array_equal(np.delete(net.layers[1].weights, 1, axis=0), w1)
    assert net.layers[0].bias.shape == (4,) and net.layers[0].mask.shape == (2, 4)
    assert np.any(net.layers[0].weights[:, 1] != 0)  # drawn from the initialiser


def test_add_input_and_output_neurons():
    net = _net()
    net.add_neuron(0)
    net.add_neuron(2)
    assert net.sizes == [3, 3, 3]
    grads = net.backward(net.forward(np.ones((2, 3))), np.ones((2, 3)))
    assert grads.weights[0].shape == (3, 3) and grads.weights[1].shape == (3, 3)


def test_remove_neuron_keeps_other_weights():
    net = _net()
    w0, w1 = net.layers[0].weights.copy(), net.layers[1].weights.copy()
    net.remove_neuron(1, 0)
    np.testing.assert_array_equal(net.layers[0].weights, w0[:, 1:])
    np.testing.assert_array_equal(net.layers[1].weights, w1[1:])
    with pytest.raises(ValueError):
        Network([2, 1, 1], ["tanh", "tanh"]).remove_neuron(1, 0)


def test_insert_and_remove_layer_keep_other_layers():
    net = Network([2, 3, 4, 1], ["tanh", "relu", "sigmoid"], seed=2)
    first = net.layers[0].weights.copy()
    last = net.layers[2].weights.copy()
    net.insert_layer(2, 5, "elu")
    assert net.sizes == [2, 3, 5, 4, 1]
    assert net.activations == ["tanh", "elu", "relu", "sigmoid"]
    np.testing.assert_array_equal(net.layers[0].weights, first)
    np.testing.assert_array_equal(net.layers[3].weights, last)
    net.remove_layer(2)
    assert net.sizes == [2, 3, 4, 1]
    assert net.activations == ["tanh", "relu", "sigmoid"]
    np.testing.assert_array_equal(net.layers[0].weights, first)
    np.testing.assert_array_equal(net.layers[2].weights, last)
    with pytest.raises(ValueError, match="hidden layer"):
        net.remove_layer(0)


def test_edits_are_reproducible():
    a, b = _net(), _net()
    for net in (a, b):
        net.add_neuron(1)
        net.insert_layer(1, 3, "relu")
    for la, lb in zip(a.layers, b.layers):
        np.testing.assert_array_equal(la.weights, lb.weights)


def test_connections_weights_bias_and_activation_edits():
    net = _net()
    before = net.layers[1].weights.copy()
    net.set_connection(1, 0, 1, False)
    assert net.layers[1].weights[0, 1] == 0 and not net.layers[1].mask[0, 1]
    assert net.toggle_connection(1, 0, 1) is True
    assert net.layers[1].mask[0, 1]
    with pytest.raises(ValueError, match="removed"):
        net.set_connection(1, 2, 0, False)
        net.set_weight(1, 2, 0, 1.0)
    net.set_weight(1, 1, 1, 0.75)
    assert net.layers[1].weights[1, 1] == 0.75
    np.testing.assert_array_equal(net.layers[1].weights[2, 1], before[2, 1])
    net.set_bias(0, 2, -0.5)
    assert net.layers[0].bias[2] == -0.5
    net.set_use_bias(0, False)
    assert not net.layers[0].bias.any()
    with pytest.raises(ValueError, match="bias"):
        net.set_bias(0, 0, 1.0)
    w = net.layers[0].weights.copy()
    net.set_activation(0, "relu")
    assert net.layers[0].activation == "relu"
    np.testing.assert_array_equal(net.layers[0].weights, w)


def test_reinitialize_returns_to_the_seeded_weights():
    net = _net()
    initial = net.get_weights()
    net.layers[0].weights += 1.0
    net.layers[1].bias += 2.0
    net.reinitialize()
    for (w, b), layer in zip(initial, net.layers):
        np.testing.assert_array_equal(layer.weights, w)
        np.testing.assert_array_equal(layer.bias, b)


def test_repr_shows_shape():
    net = Network([2, 4, 1], ["tanh", "sigmoid"], loss="bce")
    assert "2-4-1" in repr(net) and "bce" in repr(net)
    assert "2 -> 4" in repr(net.layers[0])
