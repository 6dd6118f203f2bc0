"""How well a network's outputs match the targets: classification and regression metrics.

Pure functions of two arrays: ``targets`` (what the data says) and ``outputs`` (what the
network said), shaped as the network's output layer sees them.

Classification.  A binary network has one output p = P(class 1) (a sigmoid, or the sigmoid of
a logit): it predicts class 1 where p ≥ 0.5.  A K-class network has K outputs (probabilities
or logits): it predicts the class with the largest, argmax_k o_k.  Targets are 0/1 (n, 1),
one-hot (n, K) or class indices (n,).

* confusion matrix C (K, K): C[i, j] = #{samples of true class i predicted as class j}; rows
  are the true classes, columns the predicted ones, so Σ_j C[i, j] is the number of samples
  of class i and the diagonal holds the right answers;
* row rates R[i, j] = C[i, j] / Σ_j C[i, j]: the share of class i's samples predicted as j
  (the diagonal is each class's recall);
* accuracy = trace(C) / n, the fraction predicted right.

Regression, for targets y and outputs ŷ (n,) or (n, m):

* RMSE = √( mean over every entry of (y − ŷ)² ), in the targets' own units;
* R² = 1 − SS_res / SS_tot with SS_res = Σ (y − ŷ)² and SS_tot = Σ (y − ȳ)²: 1 is a perfect
  fit, 0 is no better than always answering the mean ȳ, below 0 is worse than that.  With m
  outputs, each output's R² is computed on its own column and the m values are averaged.

Defined edge cases.  A network that diverged outputs NaN or ±∞: a sample whose outputs are
not all finite has no predicted class (:func:`predicted_classes` gives −1); it is left out of
the confusion matrix (whose counts then sum to fewer than n) and counts as wrong for accuracy.
RMSE and R² of non-finite outputs are NaN (∞ for RMSE when outputs overflow to ±∞).
R² is NaN when SS_tot = 0 (constant targets, or fewer than two samples): nothing varies to be
explained.  Any metric of zero samples is NaN.
"""

from __future__ import annotations

import math

import numpy as np

NO_CLASS = -1  # predicted_classes' answer for a sample whose outputs are not finite
THRESHOLD = 0.5  # a single (binary) output predicts class 1 at p ≥ THRESHOLD


def _as_2d(a, name: str) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"{name} must be (n,) or (n, k), got shape {a.shape}")
    return a


def class_labels(targets) -> np.ndarray:
    """The true class of each sample, (n,) int.

    ``targets``: class indices (n,), 0/1 values (n, 1) (binary: class 1 where y ≥ 0.5) or
    one-hot rows (n, K) (the class is argmax_k y_k).
    """
    y = np.asarray(targets)
    if y.ndim == 1:
        return y.astype(np.int64)
    if y.ndim != 2:
        raise ValueError(f"targets must be (n,) or (n, k), got shape {y.shape}")
    if y.shape[1] == 1:
        return (y[:, 0] >= THRESHOLD).astype(np.int64)
    return np.argmax(y, axis=1).astype(np.int64)


def predicted_classes(outputs) -> np.ndarray:
    """The class each sample is predicted as, (n,) int; ``NO_CLASS`` (−1) where its outputs are
    not all finite.

    ``outputs``: (n, 1) probabilities p of class 1 (class 1 where p ≥ 0.5, else 0), or (n, K)
    class scores (the class is argmax_k o_k; the first of equal largest scores).
    """
    o = _as_2d(outputs, "outputs")
    if o.shape[1] == 1:
        with np.errstate(invalid="ignore"):
            pred = (o[:, 0] >= THRESHOLD).astype(np.int64)
    else:
        pred = np.argmax(np.where(np.isfinite(o), o, -np.inf), axis=1).astype(np.int64)
    pred[~np.isfinite(o).all(axis=1)] = NO_CLASS
    return pred


def n_classes_of(outputs) -> int:
    """How many classes an output layer of this shape tells apart: 2 for one output, else K."""
    return max(2, _as_2d(outputs, "outputs").shape[1])


def confusion_matrix(targets, outputs, n_classes: int | None = None) -> np.ndarray:
    """Counts of (true class, predicted class), (K, K) int64.

    C[i, j] = #{samples s : class_labels(targets)[s] = i and predicted_classes(outputs)[s] = j}.
    Rows are the true classes, columns the predicted ones.  Samples whose outputs are not
    finite have no prediction and are not counted (C.sum() = n minus their number).

    Parameters
    ----------
    targets : (n,) class indices, (n, 1) 0/1 values or (n, K) one-hot rows
    outputs : (n, 1) probability of class 1, or (n, K) class scores
    n_classes : K; by default 2 for one output, else the number of outputs
    """
    true = class_labels(targets)
    pred = predicted_classes(outputs)
    if true.shape[0] != pred.shape[0]:
        raise ValueError(f"{true.shape[0]} targets but {pred.shape[0]} outputs")
    k = n_classes_of(outputs) if n_classes is None else int(n_classes)
    if true.size and (true.min() < 0 or true.max() >= k):
        raise ValueError(f"a target class is outside 0..{k - 1}")
    if pred.size and pred.max() >= k:
        raise ValueError(f"a predicted class is outside 0..{k - 1}")
    counted = pred != NO_CLASS
    flat = true[counted] * k + pred[counted]
    return np.bincount(flat, minlength=k * k).reshape(k, k).astype(np.int64)


def row_rates(matrix) -> np.ndarray:
    """Each row of a confusion matrix as shares of that row's total, (K, K) float.

    R[i, j] = C[i, j] / Σ_j C[i, j]: the fraction of true class i's samples predicted as j;
    the diagonal is each class's recall.  A class with no samples has a row of zeros.
    """
    c = np.asarray(matrix, dtype=float)
    totals = c.sum(axis=1, keepdims=True)
    return np.divide(c, totals, out=np.zeros_like(c), where=totals > 0)


def accuracy(targets, outputs) -> float:
    """The fraction of samples predicted right: #{pred = true} / n.

    A sample whose outputs are not finite counts as wrong; NaN for zero samples.
    ``targets`` and ``outputs`` as for :func:`confusion_matrix`.
    """
    true = class_labels(targets)
    pred = predicted_classes(outputs)
    if true.shape[0] != pred.shape[0]:
        raise ValueError(f"{true.shape[0]} targets but {pred.shape[0]} outputs")
    if true.size == 0:
        return math.nan
    return float(np.count_nonzero(true == pred)) / true.size


def _pair(targets, outputs) -> tuple[np.ndarray, np.ndarray]:
    y = _as_2d(targets, "targets")
    o = _as_2d(outputs, "outputs")
    if y.shape != o.shape:
        raise ValueError(f"targets {y.shape} and outputs {o.shape} differ in shape")
    return y, o


def rmse(targets, outputs) -> float:
    """Root mean squared error: √( (1/N) Σ (y − ŷ)² ) over all N = n·m entries.

    ``targets``, ``outputs``: (n,) or (n, m), the same shape.  NaN for zero samples or NaN
    outputs, ∞ when outputs are infinite.
    """
    y, o = _pair(targets, outputs)
    if y.size == 0:
        return math.nan
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sqrt(np.mean((y - o) ** 2)))


def r2_score(targets, outputs) -> float:
    """Coefficient of determination: R² = 1 − SS_res / SS_tot.

    SS_res = Σ_s (y_s − ŷ_s)², SS_tot = Σ_s (y_s − ȳ)², for each output column; with m
    outputs the m columns' R² are averaged.  1: a perfect fit; 0: as good as predicting ȳ;
    < 0: worse than that.

    ``targets``, ``outputs``: (n,) or (n, m), the same shape.  NaN where SS_tot = 0 for a
    column (its targets all equal, or n < 2), for zero samples, and for non-finite outputs.
    """
    y, o = _pair(targets, outputs)
    if y.shape[0] == 0:
        return math.nan
    with np.errstate(over="ignore", invalid="ignore"):
        ss_res = np.sum((y - o) ** 2, axis=0)
        ss_tot = np.sum((y - y.mean(axis=0)) ** 2, axis=0)
    # Constant targets: tested on the values themselves, as ȳ's rounding leaves SS_tot a
    # speck above 0 (and R² a huge negative number) for some constants.
    if np.any(np.ptp(y, axis=0) == 0) or not np.all(np.isfinite(ss_res)):
        return math.nan
    return float(np.mean(1.0 - ss_res / ss_tot))
