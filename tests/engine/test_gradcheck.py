"""The engine's gradient check: the one checker behind Train ▸ Check gradients and
``gradient_check``; references here are plain finite differences written in the test."""

import copy

import numpy as np
import pytest

from simulator.engine import Network
from simulator.engine.gradcheck import (
    GradCheckResult,
    check_gradients,
    gradient_check,
    numerical_gradients,
)


def _objective(net, X, Y):
    return net.evaluate(X, Y) + net.penalty()


def _reference_gradients(net, X, Y, h=1e-5):
    """Second-order central differences of evaluate + penalty, moving each weight itself."""
    probe = net.copy(dtype="float64")
    out = []
    for layer in probe.layers:
        grads = []
        for arr in (layer.weights, layer.bias):
            g = np.zeros_like(arr)
            for idx in np.ndindex(arr.shape):
                x0 = arr[idx]
                arr[idx] = x0 + h
                up = _objective(probe, X, Y)
                arr[idx] = x0 - h
                down = _objective(probe, X, Y)
                arr[idx] = x0
                g[idx] = (up - down) / (2 * h)
            grads.append(g)
        out.append(grads)
    return out


def _net(**kw):
    rng = np.random.default_rng(4)
    net = Network([3, 5, 2], ["tanh", "linear"], loss="mse", seed=3, **kw)
    for layer in net.layers:
        if layer.use_bias:
            layer.bias[:] = rng.normal(scale=0.3, size=layer.bias.shape)
    return net, rng.normal(size=(7, 3)), rng.normal(size=(7, 2))


def test_numerical_gradients_match_plain_differences_and_skip_what_is_not_trainable():
    net, X, Y = _net(l2=0.05, use_bias=[False, True])
    net.set_connection(0, 2, 4, False)
    weights, biases = numerical_gradients(net, X, Y)
    reference = _reference_gradients(net, X, Y)
    for i, (w, b) in enumerate(zip(weights, biases)):
        ref_w, ref_b = reference[i]
        ref_w = ref_w * net.layers[i].mask
        np.testing.assert_allclose(w, ref_w, rtol=1e-7, atol=1e-9)
        if net.layers[i].use_bias:
            np.testing.assert_allclose(b, ref_b, rtol=1e-7, atol=1e-9)
        else:
            assert not b.any()
    assert weights[0][2, 4] == 0


def test_gradient_check_keeps_its_result_form():
    net, X, Y = _net(use_bias=[False, True])
    result = gradient_check(net, X, Y)
    assert isinstance(result, GradCheckResult) and result.passed() and result.kinks == 0
    assert set(result.per_layer) == {(0, "weights"), (0, "bias"), (1, "weights"), (1, "bias")}
    assert result.per_layer[(0, "bias")] == (0.0, (0,), 0.0, 0.0)  # no bias: nothing to differ
    layer, kind, index = result.where
    assert result.per_layer[(layer, kind)][:2] == (result.worst, index)


def test_an_entry_at_a_kink_is_left_out_not_failed():
    # Zero weights and biases: every hidden z is exactly 0, ReLU's kink; relu'(0) = 0 in backprop
    # while a difference quotient there sees half a slope.
    X = np.array([[1.0], [2.0]])
    Y = np.array([[1.0], [-1.0]])
    net = Network([1, 3, 1], ["relu", "linear"], loss="mse", seed=0, init="zeros")
    result = gradient_check(net, X, Y)
    assert result.kinks > 0 and result.passed()
    report = check_gradients(net, X, Y)
    assert report.passed and report.kinks == result.kinks
    assert report.checked + report.kinks == report.trainable
    assert "at a kink left out" in report.details()


def test_an_l1_weight_at_zero_and_mae_at_its_target_are_kinks():
    net, X, Y = _net(l1=0.01)
    net.set_weight(0, 1, 1, 0.0)
    report = check_gradients(net, X, Y)
    assert report.passed and report.layers[0].kinks >= 1
    net, X, _ = _net()
    net.loss = "mae"
    Y = net.predict(X)
    Y[0, 0] += 0.5  # one residual off its kink, the rest exactly at it
    report = check_gradients(net, X, Y)
    assert report.passed and report.kinks > 0


def test_with_the_forward_pass_masks_backprop_is_that_passes_gradient():
    rng = np.random.default_rng(8)
    X, Y = rng.normal(size=(9, 3)), rng.integers(0, 3, size=9)
    net = Network([3, 6, 4, 3], ["relu", "tanh", "softmax"], loss="cross_entropy", seed=2)
    net.layers[0].dropout = 0.4
    net.layers[1].dropout = 0.2
    trace = net.forward(X)  # training: masks drawn by the network
    grads = net.backward(trace, Y)
    report = check_gradients(net, X, Y, [lt.keep for lt in trace])
    assert report.passed and "given dropout masks" in report.dropout
    for la in report.layers:
        expected = (grads.weights if la.kind == "weights" else grads.bias)[la.layer]
        assert la.worst.backprop == expected[la.worst.index]
    off = check_gradients(net, X, Y, [None] * 3)
    assert off.passed and off.dropout == "dropout off"
    fresh = check_gradients(net, X, Y)
    assert fresh.passed and "drawn afresh" in fresh.dropout


def test_changes_nothing_and_checks_float32_in_float64():
    net, X, Y = _net(dtype="float32", l2=0.01)
    net.layers[0].dropout = 0.3
    twin = copy.deepcopy(net)
    report = check_gradients(net, X, Y)
    assert report.passed and any("float64 copy of the float32" in note for note in report.notes)
    for layer, other in zip(net.layers, twin.layers):
        np.testing.assert_array_equal(layer.weights, other.weights)
        np.testing.assert_array_equal(layer.bias, other.bias)
    # Its dropout generator did not move: the next training pass draws what the twin's does.
    np.testing.assert_array_equal(net.forward(X).layers[0].keep, twin.forward(X).layers[0].keep)


@pytest.mark.parametrize("max_samples", [4, 7])
def test_a_batch_over_max_samples_is_checked_on_a_seeded_subset(max_samples):
    net, X, Y = _net()
    report = check_gradients(net, X, Y, max_samples=max_samples, seed=3)
    again = check_gradients(net, X, Y, max_samples=max_samples, seed=3)
    assert report.passed and report.batch_size == min(7, max_samples)
    assert [la.worst for la in report.layers] == [la.worst for la in again.layers]
    assert any("of the batch's 7 samples" in note for note in report.notes) == (max_samples < 7)
