"""engine.activations: the public GELU constants, where each activation has a kink, and the
activations beyond the classic ones (Mish, softsign, sine, Gaussian, step) against references
written here: the math module, central differences and, where it is installed, PyTorch."""

import math

import numpy as np
import pytest

from simulator.engine import Network, activations, gradient_check, optimizers
from simulator.engine.trainer import Trainer

EPS = 1e-4


def _jumps(fn, at) -> bool:
    """Whether f, f' or f'' jumps at ``at``: a quadratic through f (or f') at 3, 2, 1 steps on
    one side, carried to 1 step on the other, misses it there by more than a smooth function
    allows (O(EPS³)).  f's own jump is the step's; f' or f'' jumps at the others' kinks."""
    z = at + EPS * np.array([[-3.0, -2.0, -1.0, 1.0, 2.0, 3.0]])
    a = fn.forward(z)
    for v in (a[0], fn.derivative(z, a)[0]):
        from_left = 3 * v[0] - 8 * v[1] + 6 * v[2]
        from_right = 3 * v[5] - 8 * v[4] + 6 * v[3]
        if max(abs(from_left - v[3]), abs(from_right - v[2])) > 1e-10:
            return True
    return False


@pytest.mark.parametrize("name", [n for n, a in activations.ACTIVATIONS.items() if a.elementwise])
def test_kink_is_where_the_value_derivative_or_its_slope_jumps(name):
    fn = activations.get(name)
    if fn.kink is not None:
        assert _jumps(fn, fn.kink)
    for at in (0.0, activations.SOFTPLUS_THRESHOLD, -1.3, 2.7):
        if at != fn.kink:
            assert not _jumps(fn, at), at


def test_gelu_constants_are_public():
    assert activations.GELU_K == math.sqrt(2 / math.pi)
    assert activations.GELU_C == 0.044715
    assert (activations._GELU_K, activations._GELU_C) == (activations.GELU_K, activations.GELU_C)


# ----------------------------------------------------- Mish, softsign, sine, Gaussian, step

NEW = ["mish", "softsign", "sine", "gaussian", "step"]
REFERENCE = {  # the formulas as the math module computes them
    "mish": lambda v: v * math.tanh(math.log1p(math.exp(v))),
    "softsign": lambda v: v / (1 + abs(v)),
    "sine": math.sin,
    "gaussian": lambda v: math.exp(-v * v),
    "step": lambda v: 1.0 if v > 0 else 0.0,
}


def _grid(fn) -> np.ndarray:
    """z from -12 to 12 (float64), none within 1e-3 of the kink."""
    z = np.linspace(-12.0, 12.0, 2401)
    if fn.kink is not None:
        z = z[np.abs(z - fn.kink) > 1e-3]
    return z.reshape(1, -1)


def test_the_new_activations_are_registered_with_formulas():
    for name in NEW:
        fn = activations.get(name)
        assert fn.elementwise and fn.derivative is not None
        assert fn.formula.startswith("f(z) = ") and fn.derivative_formula.startswith("f'(z) = ")
    assert activations.get("step").kink == 0.0 and activations.get("softsign").kink == 0.0
    assert "backprop cannot train" in activations.get("step").derivative_formula


@pytest.mark.parametrize("name", NEW)
def test_values_against_the_math_module(name):
    z = np.array([[-40.0, -7.5, -2.0, -0.3, 0.0, 0.3, 2.0, 7.5, 40.0]])
    got = activations.get(name).forward(z)[0]
    np.testing.assert_allclose(got, [REFERENCE[name](v) for v in z[0]], rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("name", [n for n, a in activations.ACTIVATIONS.items() if a.elementwise])
def test_derivative_against_central_differences_in_float64(name):
    fn = activations.get(name)
    z = _grid(fn)
    h = 1e-6
    numeric = (fn.forward(z + h) - fn.forward(z - h)) / (2 * h)
    np.testing.assert_allclose(fn.derivative(z, fn.forward(z)), numeric, rtol=1e-7, atol=1e-8)


def test_the_step_has_no_gradient_anywhere():
    fn = activations.get("step")
    z = np.array([[-3.0, -1e-300, 0.0, 1e-300, 3.0]])
    a = fn.forward(z)
    assert a.tolist() == [[0.0, 0.0, 0.0, 1.0, 1.0]]
    d = fn.derivative(z, a)
    assert d.dtype == z.dtype and not d.any()
    assert not fn.backward(z, a, np.full_like(z, 5.0)).any()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", NEW)
def test_dtype_is_kept(name, dtype):
    fn = activations.get(name)
    z = np.linspace(-3, 3, 7, dtype=dtype).reshape(1, -1)
    a = fn.forward(z)
    assert a.dtype == z.dtype and fn.derivative(z, a).dtype == z.dtype


@pytest.mark.parametrize("name", NEW)
def test_values_and_gradients_against_pytorch(name):
    torch = pytest.importorskip("torch")
    f = torch.nn.functional
    reference = {
        "mish": f.mish,
        "softsign": f.softsign,
        "sine": torch.sin,
        "gaussian": lambda t: torch.exp(-(t * t)),
        "step": lambda t: torch.relu(torch.sign(t)),  # as the PyTorch script export writes it
    }[name]
    z = np.concatenate([_grid(activations.get(name)), [[0.0]]], axis=1)
    t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    out = reference(t)
    out.sum().backward()
    fn = activations.get(name)
    a = fn.forward(z)
    np.testing.assert_allclose(a, out.detach().numpy(), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(fn.derivative(z, a), t.grad.numpy(), rtol=1e-12, atol=1e-15)


def _step_network():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(16, 2))
    Y = rng.normal(size=(16, 1))
    net = Network([2, 5, 4, 1], ["tanh", "step", "linear"], loss="mse", seed=2)
    return net, X, Y


def test_a_step_layer_passes_no_gradient_to_itself_or_the_layers_below():
    net, X, Y = _step_network()
    trace = net.forward(X, training=False)
    assert 0 < trace.layers[1].a.mean() < 1  # both sides of the step are met
    grads = net.backward(trace, Y)
    for i in (0, 1):  # the tanh layer below and the step layer's own weights and biases
        assert not grads.weights[i].any() and not grads.bias[i].any()
        assert not grads.deltas[i].any()
    assert grads.weights[2].any() and grads.bias[2].any()  # the layer above still learns
    # Finite differences agree: moving a weight below the step changes no output (unless a z
    # crosses 0, which the gradient check leaves out as a kink).
    result = gradient_check(net, X, Y)
    assert result.passed()


def test_training_through_a_step_changes_only_the_layers_above_it():
    net, X, Y = _step_network()
    before = [(w.copy(), b.copy()) for w, b in net.get_weights()]
    trainer = Trainer(net, optimizers.make("sgd", lr=0.1), X, Y)
    first = net.evaluate(X, Y)
    trainer.run(steps=50)
    after = net.get_weights()
    for i in (0, 1):
        assert np.array_equal(after[i][0], before[i][0])
        assert np.array_equal(after[i][1], before[i][1])
    assert not np.array_equal(after[2][0], before[2][0])
    assert net.evaluate(X, Y) < first  # the output layer alone fits what it can
