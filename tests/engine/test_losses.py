"""engine.losses: dL/da as each loss reads the output, against finite differences of the loss."""

import itertools

import numpy as np
import pytest

from simulator.engine import activations, losses

OUTPUTS = ["linear", "sigmoid", "tanh", "softmax"]


def _batch(loss, act, rng):
    z = rng.normal(size=(5, 3))
    a = activations.get(act).forward(z)
    if loss == "cross_entropy":
        y = losses.prepare_targets(rng.integers(0, 3, size=5), 3, loss, np.float64)
    elif loss == "bce":
        y = rng.uniform(0.1, 0.9, size=(5, 3))
    else:
        y = rng.normal(size=(5, 3))
    return z, a, y


@pytest.mark.parametrize("loss,act", list(itertools.product(losses.LOSSES, OUTPUTS)))
def test_output_backward_is_output_delta_with_dl_da_kept(loss, act):
    rng = np.random.default_rng(5)
    z, a, y = _batch(loss, act, rng)
    fn = activations.get(act)
    value, dl_da, delta = losses.output_backward(loss, fn, z, a, y)
    value2, delta2 = losses.output_delta(loss, fn, z, a, y)
    assert value == value2
    np.testing.assert_array_equal(delta, delta2)
    if losses.is_fused(loss, act):
        assert dl_da is None
        with pytest.raises(ValueError, match="fused"):
            losses.output_gradient(loss, act, a, y)
        return
    np.testing.assert_array_equal(fn.backward(z, a, dl_da), delta)
    value3, grad = losses.output_gradient(loss, act, a, y)
    assert value3 == value
    np.testing.assert_array_equal(grad, dl_da)
    # dL/da is the derivative of the loss as it reads a (moved away from mae's kink).
    h = 1e-6
    for idx in [(0, 0), (2, 1), (4, 2)]:
        up, down = a.copy(), a.copy()
        up[idx] += h
        down[idx] -= h
        f_up = losses.output_gradient(loss, act, up, y)[0]
        f_down = losses.output_gradient(loss, act, down, y)[0]
        if loss == "mae" and np.sign(up[idx] - y[idx]) != np.sign(down[idx] - y[idx]):
            continue
        assert dl_da[idx] == pytest.approx((f_up - f_down) / (2 * h), rel=1e-6, abs=1e-9)


def test_kink_sides():
    a = np.array([[0.0, 1.0, 3.5, -2.0]])
    y = np.array([[0.0, 0.5, 2.0, 0.0]])
    np.testing.assert_array_equal(losses.kink_sides("mae", a, y), [[False, True, True, False]])
    np.testing.assert_array_equal(losses.kink_sides("huber", a, y), [[0, 0, 1, -1]])
    assert losses.kink_sides("mse", a, y) is None


def test_gradient_formulas():
    assert losses.gradient_formula("bce", "softmax") == losses.BCE_PROBABILITY_GRADIENT
    assert losses.gradient_formula("bce", "linear") == "(σ(a) − y)"
    for name in losses.LOSSES:
        assert losses.info(name).gradient_formula == losses.GRADIENT_FORMULAS[name]
    with pytest.raises(ValueError):
        losses.gradient_formula("nope", "linear")
