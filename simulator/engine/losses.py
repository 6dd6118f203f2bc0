"""Losses with PyTorch's mean reduction, each written beside its gradient.

A loss compares the network's output ``a`` (n, K) with targets ``y`` (n, K) (cross_entropy
also takes class indices (n,)).  ``output_delta`` returns the loss and dL/dz of the output
layer, which is what backpropagation starts from; ``output_backward`` also keeps dL/da, and
``output_gradient`` gives dL/da alone, for an inspector that explains the step.

How the two classification losses read the output layer (PyTorch's conventions):

* ``bce`` on a **sigmoid** output is fused with it (BCEWithLogits on z: exact for any z);
  on a **softmax** output it reads probabilities (BCELoss, log clamped at -100 like PyTorch);
  on any other output it reads logits (BCEWithLogitsLoss on a).
* ``cross_entropy`` on a **softmax** output is fused with it (log-likelihood of the softmax
  probabilities, computed from z with log-softmax); on any other output it reads logits, exactly
  as ``torch.nn.CrossEntropyLoss`` does on the output of a Linear layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulator.engine import activations as _act

LOSSES = ("mse", "half_mse", "mae", "huber", "bce", "cross_entropy")
TITLES = {
    "mse": "Mean squared error",
    "half_mse": "Half MSE  ½(y − o)²",
    "mae": "Mean absolute error",
    "huber": "Huber (δ = 1)",
    "bce": "Binary cross-entropy",
    "cross_entropy": "Cross-entropy",
}
HUBER_DELTA = 1.0
_BCE_LOG_CLAMP = -100.0
_BCE_MIN_P = math.exp(_BCE_LOG_CLAMP)  # a Python float, so float32 arrays stay float32
_BCE_EPS = 1e-12


@dataclass(frozen=True)
class LossInfo:
    """Formula text for the inspector and lessons: the loss and one sample's dℓ/da."""

    name: str
    title: str
    formula: str
    gradient_formula: str = ""


FORMULAS = {
    "mse": "L = mean (o − y)²",
    "half_mse": "L = mean ½(o − y)²",
    "mae": "L = mean |o − y|",
    "huber": "L = mean ½d² if |d| < 1 else |d| − ½,  d = o − y",
    "bce": "L = −mean [y ln p + (1 − y) ln(1 − p)]",
    "cross_entropy": "L = −(1/n) Σ_i Σ_k y_ik ln p_ik",
}
# One sample's dℓ/da for output a and target y, before the mean's 1/K (bce, cross_entropy:
# on a logit output; bce on probabilities is BCE_PROBABILITY_GRADIENT).
GRADIENT_FORMULAS = {
    "mse": "2(a − y)",
    "half_mse": "(a − y)",
    "mae": "sign(a − y)",
    "huber": "clip(a − y, −1, 1)",
    "bce": "(σ(a) − y)",
    "cross_entropy": "(softmax(a) − y)",
}
BCE_PROBABILITY_GRADIENT = "(a − y) / (a(1 − a))"


def check(name: str) -> str:
    """Return ``name`` if it is a known loss; a ValueError lists the known ones otherwise."""
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r} (known: {', '.join(LOSSES)})")
    return name


def info(name: str) -> LossInfo:
    return LossInfo(check(name), TITLES[name], FORMULAS[name], GRADIENT_FORMULAS[name])


def gradient_formula(loss: str, activation: str) -> str:
    """One sample's dℓ/da as text, as ``loss`` reads an output of ``activation`` (not fused)."""
    if loss == "bce" and activation == "softmax":
        return BCE_PROBABILITY_GRADIENT
    return GRADIENT_FORMULAS[check(loss)]


def reads_logits(loss: str, activation: str) -> bool:
    """True when ``loss`` treats the output layer's values as logits rather than probabilities."""
    if loss == "bce":
        return activation not in ("sigmoid", "softmax")
    if loss == "cross_entropy":
        return activation != "softmax"
    return False


def is_fused(loss: str, activation: str) -> bool:
    """True when the loss is computed from z together with the output activation."""
    return (loss, activation) in (("bce", "sigmoid"), ("cross_entropy", "softmax"))


def prepare_targets(y: np.ndarray, units: int, loss: str, dtype) -> np.ndarray:
    """Targets as an (n, units) array of ``dtype``.

    Class indices (n,) of integer dtype become one-hot rows when ``units`` > 1; a flat (n,)
    array for a single output unit becomes a column.
    """
    y = np.asarray(y)
    if y.ndim == 1:
        if units > 1:
            if not np.issubdtype(y.dtype, np.integer):
                raise ValueError(
                    f"targets of shape {y.shape} for {units} outputs must be class indices"
                )
            check_indices(y, units)
            onehot = np.zeros((y.shape[0], units), dtype=dtype)
            onehot[np.arange(y.shape[0]), y] = 1
            return onehot
        y = y.reshape(-1, 1)
    if y.ndim != 2 or y.shape[1] != units:
        raise ValueError(f"targets have shape {y.shape}; expected (n, {units})")
    return y if y.dtype == dtype else y.astype(dtype)


def _bce_logits(x, y):
    # mean(max(x,0) - x y + log(1 + e^-|x|)): BCEWithLogits, finite for any x.
    return np.maximum(x, 0.0) - x * y + np.log1p(np.exp(-np.abs(x)))


def _sigmoid_minus(x, y):
    # σ(x) − y written as (1 − y) σ(x) − y σ(−x): exact even where σ(x) rounds to 1.
    e = np.exp(-np.abs(x))
    pos = x >= 0
    s = np.where(pos, 1.0 / (1.0 + e), e / (1.0 + e))
    s_neg = np.where(pos, e / (1.0 + e), 1.0 / (1.0 + e))
    return (1.0 - y) * s - y * s_neg


def _bce_sigmoid_value_and_grad(z, a, y, count, e=None, pos=None):
    # Fused sigmoid + BCE from z and a = σ(z), sharing e^{-|z|} between value and gradient.
    # Value: mean(max(z,0) − z y + log(1 + e^-|z|)).  Gradient: σ(z) − y as (1 − y) σ(z) − y σ(−z),
    # with σ(−z) = σ(z) e^{−z} where z ≥ 0 and 1 − σ(z) elsewhere: exact where σ(z) rounds to 1.
    # ``e`` and ``pos`` (z ≥ 0), when given, are activations.sigmoid_parts' (left unchanged).
    if e is None:
        e = np.abs(z)
        np.negative(e, out=e)
        np.exp(e, out=e)
        pos = z >= 0
    per = np.maximum(z, 0.0)
    per -= z * y  # before adding log1p(e): 80 − 80 + 1.8e-35 must keep the 1.8e-35
    per += np.log1p(e)
    value = float(np.add.reduce(per, axis=None)) / count
    s_neg = np.where(pos, e * a, 1.0 - a)
    s_neg *= y
    grad = 1.0 - y
    grad *= a
    grad -= s_neg
    grad *= 1.0 / count
    return value, grad


def _nll_logits(x, y):
    # Σ_k -y_k log_softmax(x)_k per row, and its gradient p Σy − y, written as
    # y (p − 1) + (Σy − y) p with p − 1 = expm1(log p): exact where p rounds to 1.
    logp = _act.log_softmax(x)
    per_row = -(y * logp).sum(axis=1)
    grad = y * np.expm1(logp) + (y.sum(axis=1, keepdims=True) - y) * np.exp(logp)
    return per_row, grad


def check_indices(y: np.ndarray, units: int) -> None:
    """ValueError unless every class index in ``y`` (n,) is in 0..units − 1."""
    if y.size and (y.min() < 0 or y.max() >= units):
        raise ValueError(f"class index out of range 0..{units - 1}")


def _nll_indices(x, classes):
    # _nll_logits with one-hot targets given as class indices c (n,), bit for bit without
    # building them: a row's −Σ_k y_k log p_k is −log p_c; its gradient p − y is p_k off the
    # class and expm1(log p_c) + 0 at it (what y (p − 1) + (Σy − y) p gives there).
    logp = _act.log_softmax(x)
    rows = np.arange(x.shape[0])
    picked = logp[rows, classes]
    grad = np.exp(logp)
    at = np.expm1(picked)
    at += 0.0
    grad[rows, classes] = at
    return np.negative(picked, out=picked), grad


def index_output_delta(
    activation: _act.Activation, z: np.ndarray, a: np.ndarray, classes: np.ndarray
) -> tuple[float, np.ndarray]:
    """:func:`output_delta` of cross_entropy against class indices ``classes`` (n,), checked
    by :func:`check_indices`: the same numbers, without one-hot targets."""
    n = z.shape[0]
    if activation.name == "softmax":  # fused: softmax(z) − y over n
        per_row, grad = _nll_indices(z, classes)
        grad *= 1.0 / n
        return float(per_row.sum()) / n, grad
    per_row, grad = _nll_indices(a, classes)  # a read as logits
    grad /= n
    return float(per_row.sum()) / n, activation.backward(z, a, grad)


def value_and_grad(loss: str, a: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Loss L(a, y) and dL/da for a non-fused output; a, y (n, K) of the same dtype."""
    n = a.shape[0]
    if loss == "cross_entropy":  # a read as logits
        per_row, grad = _nll_logits(a, y)
        return float(per_row.sum()) / n, grad / n
    count = a.size
    d = a - y
    if loss == "mse":
        return float(np.vdot(d, d)) / count, d * (2.0 / count)
    if loss == "half_mse":
        return 0.5 * float(np.vdot(d, d)) / count, d * (1.0 / count)
    if loss == "mae":
        return float(np.abs(d).sum()) / count, np.sign(d) * (1.0 / count)
    if loss == "huber":
        ad = np.abs(d)
        per = np.where(ad < HUBER_DELTA, 0.5 * d * d, HUBER_DELTA * (ad - 0.5 * HUBER_DELTA))
        return float(per.sum()) / count, np.clip(d, -HUBER_DELTA, HUBER_DELTA) * (1.0 / count)
    if loss == "bce":
        return _bce_value_and_grad(a, y, count)
    raise ValueError(f"unknown loss {loss!r}")


def _bce_value_and_grad(a, y, count):
    return float(_bce_logits(a, y).sum()) / count, _sigmoid_minus(a, y) * (1.0 / count)


def _bce_probabilities(p, y, count):
    # BCELoss on probabilities, with PyTorch's log clamp at -100 and its gradient clamp.
    log_p = np.log(np.maximum(p, _BCE_MIN_P))
    log_1mp = np.log(np.maximum(1.0 - p, _BCE_MIN_P))
    value = -float((y * log_p + (1.0 - y) * log_1mp).sum()) / count
    grad = (p - y) / np.maximum(p * (1.0 - p), _BCE_EPS) * (1.0 / count)
    return value, grad


def output_gradient(loss: str, activation: str, a: np.ndarray, y: np.ndarray):
    """Loss L and dL/da of the output layer's values ``a`` as ``loss`` reads them.

    ``a``, ``y``: (n, K), y shaped by :func:`prepare_targets`; returns (float, (n, K)).
    bce on a softmax output reads probabilities (BCELoss: L = −mean[y ln a + (1 − y) ln(1 − a)],
    dL/da = (a − y) / (a(1 − a)) / (nK), log clamped at −100 and the denominator at 1e-12 like
    PyTorch); every other pair that is not fused is :func:`value_and_grad`.  A fused pair
    (:func:`is_fused`) has no dL/da of its own: ValueError.
    """
    if is_fused(loss, activation):
        raise ValueError(f"{loss} on a {activation} output is fused: dL/dz comes from z directly")
    if loss == "bce" and activation == "softmax":
        return _bce_probabilities(a, y, a.size)
    return value_and_grad(loss, a, y)


def output_backward(
    loss: str, activation: _act.Activation, z: np.ndarray, a: np.ndarray, y: np.ndarray
) -> tuple[float, np.ndarray | None, np.ndarray]:
    """Loss, dL/da (None for a fused pair) and dL/dz of the output layer.

    Parameters
    ----------
    z, a : (n, K) pre-activation and activation of the output layer.
    y : (n, K) targets, already shaped by :func:`prepare_targets`.

    dL/dz = f'(z) ⊙ dL/da (softmax: its Jacobian-vector product); for a fused pair it is
    computed from z at once: σ(z) − y over nK for bce on sigmoid, softmax(z) − y over n for
    cross_entropy on softmax.
    """
    name = activation.name
    if loss == "bce" and name == "sigmoid":
        value, delta = _bce_sigmoid_value_and_grad(z, a, y, z.size)
        return value, None, delta
    if loss == "cross_entropy" and name == "softmax":
        per_row, grad = _nll_logits(z, y)
        n = z.shape[0]
        return float(per_row.sum()) / n, None, grad * (1.0 / n)
    value, grad_a = output_gradient(loss, name, a, y)
    return value, grad_a, activation.backward(z, a, grad_a)


def bce_sigmoid_delta(z, a, y, e, pos) -> tuple[float, np.ndarray]:
    """:func:`output_delta` of bce on a sigmoid output whose ``activations.sigmoid_parts``
    (a, e, pos) are at hand: the same numbers without computing e = exp(−|z|) again."""
    return _bce_sigmoid_value_and_grad(z, a, y, z.size, e, pos)


def output_delta(
    loss: str, activation: _act.Activation, z: np.ndarray, a: np.ndarray, y: np.ndarray
) -> tuple[float, np.ndarray]:
    """Loss and dL/dz of the output layer: :func:`output_backward` without dL/da.

    Parameters
    ----------
    z, a : (n, K) pre-activation and activation of the output layer.
    y : (n, K) targets, already shaped by :func:`prepare_targets`.
    """
    value, _, delta = output_backward(loss, activation, z, a, y)
    return value, delta


def kink_sides(loss: str, a: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """Which side of its loss's kinks each output is on, or None for a smooth loss.

    mae's derivative jumps where a = y (returns a > y), huber's second derivative where
    |a − y| = HUBER_DELTA (returns −1, 0 or 1 per entry); ``a``, ``y`` (n, K).  A finite
    difference whose steps change this pattern is not the derivative.
    """
    if loss == "mae":
        return a > y
    if loss == "huber":
        d = a - y
        return (d > HUBER_DELTA).view(np.int8) - (d < -HUBER_DELTA)
    return None


def output_value(loss: str, activation: str, z: np.ndarray, a: np.ndarray, y: np.ndarray) -> float:
    """The loss alone (no gradient), for evaluating a data set."""
    if loss == "bce" and activation == "sigmoid":
        return float(_bce_logits(z, y).sum()) / z.size
    if loss == "cross_entropy" and activation == "softmax":
        return float(-(y * _act.log_softmax(z)).sum()) / z.shape[0]
    if loss == "bce" and activation == "softmax":
        return _bce_probabilities(a, y, a.size)[0]
    return value_and_grad(loss, a, y)[0]


def probabilities(loss: str, activation: str, a: np.ndarray) -> np.ndarray:
    """Class probabilities from the output: ``a`` itself, or sigmoid/softmax of logits."""
    if reads_logits(loss, activation):
        return _act.sigmoid(a) if loss == "bce" else _act.softmax(a)
    return a
