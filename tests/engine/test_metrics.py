"""engine.metrics against references written here in plain Python, one sample at a time.

The references follow the textbook definitions (no NumPy in their arithmetic): a confusion
matrix counts (true, predicted) pairs in a loop, R² is 1 − SS_res/SS_tot from explicit sums.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.engine import metrics
from simulator.engine.network import Network
from simulator.engine.trainer import accuracy as trainer_accuracy


# ----------------------------------------------------------------- plain-Python references
def ref_true_class(row) -> int:
    row = [float(v) for v in row]
    if len(row) == 1:
        return 1 if row[0] >= 0.5 else 0
    best = 0
    for k in range(1, len(row)):
        if row[k] > row[best]:
            best = k
    return best


def ref_predicted_class(row):
    """None when any output is NaN or infinite."""
    row = [float(v) for v in row]
    if any(v != v or v in (math.inf, -math.inf) for v in row):
        return None
    return ref_true_class(row)


def ref_confusion(targets, outputs, k):
    counts = [[0] * k for _ in range(k)]
    for y_row, o_row in zip(targets, outputs):
        p = ref_predicted_class(o_row)
        if p is not None:
            counts[ref_true_class(y_row)][p] += 1
    return counts


def ref_accuracy(targets, outputs):
    right = sum(1 for y, o in zip(targets, outputs) if ref_predicted_class(o) == ref_true_class(y))
    return right / len(targets)


def ref_r2_column(ys, os):
    mean = sum(ys) / len(ys)
    ss_res = sum((y - o) ** 2 for y, o in zip(ys, os))
    ss_tot = sum((y - mean) ** 2 for y in ys)
    return 1 - ss_res / ss_tot


def ref_rmse(targets, outputs):
    squares = [(float(y) - float(o)) ** 2 for yr, orow in zip(targets, outputs)
               for y, o in zip(yr, orow)]  # fmt: skip
    return math.sqrt(sum(squares) / len(squares))


def one_hot(labels, k):
    out = np.zeros((len(labels), k))
    out[np.arange(len(labels)), labels] = 1
    return out


# ----------------------------------------------------------------- classification
def test_binary_confusion_matrix_thresholds_the_probability_at_a_half():
    targets = np.array([[0], [0], [1], [1], [1], [0]], dtype=float)
    outputs = np.array([[0.2], [0.5], [0.49], [0.9], [0.5], [0.0]])
    got = metrics.confusion_matrix(targets, outputs)
    assert got.dtype == np.int64
    assert got.tolist() == ref_confusion(targets, outputs, 2)
    # p = 0.5 is class 1 (p ≥ 0.5), like the trainer's accuracy.
    assert got.tolist() == [[2, 1], [1, 2]]
    assert metrics.accuracy(targets, outputs) == pytest.approx(ref_accuracy(targets, outputs))


@pytest.mark.parametrize("k", [3, 10])
def test_multiclass_confusion_matrix_against_a_loop(k):
    rng = np.random.default_rng(k)
    labels = rng.integers(0, k, size=200)
    scores = rng.normal(size=(200, k))
    for targets in (one_hot(labels, k), labels):
        got = metrics.confusion_matrix(targets, scores)
        want = ref_confusion(one_hot(labels, k), scores, k)
        assert got.shape == (k, k)
        assert got.tolist() == want
        assert got.sum() == 200
        # Rows are the true classes: each row sums to that class's count.
        np.testing.assert_array_equal(got.sum(axis=1), np.bincount(labels, minlength=k))
        assert metrics.accuracy(targets, scores) == pytest.approx(
            ref_accuracy(one_hot(labels, k), scores)
        )


@settings(max_examples=60, deadline=None)
@given(
    k=st.integers(2, 6),
    n=st.integers(1, 40),
    seed=st.integers(0, 2**31 - 1),
    nan_share=st.sampled_from([0.0, 0.2]),
)
def test_confusion_and_accuracy_match_the_loop_with_some_nan_outputs(k, n, seed, nan_share):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, size=n)
    targets = one_hot(labels, k) if k > 2 else labels[:, None].astype(float)
    width = k if k > 2 else 1
    outputs = rng.uniform(size=(n, width))
    outputs[rng.uniform(size=(n, width)) < nan_share] = np.nan
    got = metrics.confusion_matrix(targets, outputs)
    assert got.tolist() == ref_confusion(targets, outputs, k)
    assert metrics.accuracy(targets, outputs) == pytest.approx(ref_accuracy(targets, outputs))
    assert metrics.accuracy(targets, outputs) == pytest.approx(np.trace(got) / n)


def test_a_class_never_predicted_has_an_empty_column():
    labels = np.array([0, 1, 2, 2, 1, 0])
    scores = one_hot(np.array([0, 1, 1, 1, 1, 0]), 3)  # class 2 is never predicted
    got = metrics.confusion_matrix(labels, scores)
    assert got.tolist() == ref_confusion(one_hot(labels, 3), scores, 3)
    assert got[:, 2].tolist() == [0, 0, 0]
    assert got[2].tolist() == [0, 2, 0]


def test_a_class_without_samples_has_a_row_of_zeros_and_zero_rates():
    labels = np.array([0, 0, 1])  # no sample of class 2
    scores = one_hot(np.array([0, 2, 1]), 3)
    got = metrics.confusion_matrix(labels, scores)
    assert got[2].tolist() == [0, 0, 0]
    rates = metrics.row_rates(got)
    assert rates[2].tolist() == [0, 0, 0]
    assert rates[0].tolist() == [0.5, 0, 0.5]
    assert rates[1].tolist() == [0, 1, 0]


def test_row_rates_are_each_row_over_its_total():
    c = np.array([[3, 1], [0, 4]])
    rates = metrics.row_rates(c)
    for i in range(2):
        total = sum(int(v) for v in c[i])
        for j in range(2):
            assert rates[i, j] == pytest.approx(int(c[i, j]) / total)


def test_a_diverged_network_predicts_nothing():
    targets = np.array([[0], [1], [1]], dtype=float)
    outputs = np.full((3, 1), np.nan)
    assert metrics.predicted_classes(outputs).tolist() == [metrics.NO_CLASS] * 3
    assert metrics.confusion_matrix(targets, outputs).sum() == 0
    assert metrics.accuracy(targets, outputs) == 0.0
    scores = np.array([[np.inf, 0.0, 1.0], [0.1, 0.7, 0.2]])
    assert metrics.predicted_classes(scores).tolist() == [metrics.NO_CLASS, 1]


def test_classification_of_nothing_is_nan_and_an_empty_matrix():
    targets = np.zeros((0, 1))
    outputs = np.zeros((0, 1))
    assert metrics.confusion_matrix(targets, outputs).tolist() == [[0, 0], [0, 0]]
    assert math.isnan(metrics.accuracy(targets, outputs))


def test_mismatched_lengths_and_classes_are_refused():
    with pytest.raises(ValueError, match="targets"):
        metrics.confusion_matrix(np.zeros(3, int), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="target class"):
        metrics.confusion_matrix(np.array([0, 5]), np.zeros((2, 3)))


@pytest.mark.parametrize("sizes,acts,loss", [
    ([2, 4, 1], ["tanh", "sigmoid"], "bce"),
    ([2, 4, 1], ["tanh", "linear"], "bce"),  # logits: probabilities via the loss's sigmoid
    ([3, 5, 4], ["relu", "softmax"], "cross_entropy"),
])  # fmt: skip
def test_accuracy_agrees_with_the_trainers_on_a_network(sizes, acts, loss):
    rng = np.random.default_rng(1)
    net = Network(sizes, acts, loss=loss, seed=3)
    X = rng.normal(size=(50, sizes[0]))
    k = sizes[-1]
    if k == 1:
        y = rng.integers(0, 2, size=(50, 1)).astype(float)
        task = "binary"
    else:
        y = one_hot(rng.integers(0, k, size=50), k)
        task = "multiclass"
    got = metrics.accuracy(y, net.probabilities(X))
    assert got == trainer_accuracy(net, X, y, task)
    matrix = metrics.confusion_matrix(y, net.probabilities(X))
    assert np.trace(matrix) / 50 == pytest.approx(got)


# ----------------------------------------------------------------- regression
@pytest.mark.parametrize("m", [1, 3])
def test_r2_and_rmse_against_explicit_sums(m):
    rng = np.random.default_rng(7 + m)
    y = rng.normal(size=(30, m))
    o = y + rng.normal(scale=0.4, size=(30, m))
    want_r2 = sum(ref_r2_column(list(y[:, j]), list(o[:, j])) for j in range(m)) / m
    assert metrics.r2_score(y, o) == pytest.approx(want_r2, rel=1e-12)
    assert metrics.rmse(y, o) == pytest.approx(ref_rmse(y, o), rel=1e-12)


def test_r2_reads_perfect_mean_and_worse_than_the_mean():
    y = np.array([1.0, 2.0, 4.0, 7.0])
    assert metrics.r2_score(y, y) == 1.0
    assert metrics.r2_score(y, np.full(4, y.mean())) == pytest.approx(0.0, abs=1e-15)
    assert metrics.r2_score(y, -y) < 0
    assert metrics.rmse(y, y) == 0.0
    assert metrics.rmse(y, y + 2) == pytest.approx(2.0)
    # (n,) and (n, 1) are the same thing.
    assert metrics.r2_score(y[:, None], (y + 1)[:, None]) == metrics.r2_score(y, y + 1)


@pytest.mark.parametrize("value", [0.1, 0.3, -2.5])
def test_r2_of_constant_targets_is_nan_even_where_the_mean_rounds(value):
    # np.mean of seven 0.1s is not exactly 0.1: SS_tot would be ~1e-33, R² about −1e31.
    y = np.full(7, value)
    assert math.isnan(metrics.r2_score(y, y + 0.01))
    assert math.isnan(metrics.r2_score(y, y))
    assert metrics.rmse(y, y + 0.01) == pytest.approx(0.01)
    assert math.isnan(metrics.r2_score(np.array([1.0]), np.array([1.5])))  # n < 2


def test_regression_metrics_of_a_diverged_network():
    y = np.array([1.0, 2.0, 3.0])
    assert math.isnan(metrics.r2_score(y, np.array([1.0, np.nan, 3.0])))
    assert math.isnan(metrics.rmse(y, np.array([1.0, np.nan, 3.0])))
    assert metrics.rmse(y, np.array([1.0, np.inf, 3.0])) == math.inf
    assert math.isnan(metrics.r2_score(y, np.array([1.0, np.inf, 3.0])))
    assert math.isnan(metrics.rmse(np.zeros(0), np.zeros(0)))
    assert math.isnan(metrics.r2_score(np.zeros(0), np.zeros(0)))


def test_regression_shapes_must_agree():
    with pytest.raises(ValueError, match="shape"):
        metrics.rmse(np.zeros((3, 1)), np.zeros((3, 2)))
