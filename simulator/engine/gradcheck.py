"""Numerical gradient check: central finite differences against backpropagation."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class GradCheckResult:
    """Worst relative error overall and per (layer, "weights" | "bias").

    ``where`` is (layer index, "weights" | "bias", index tuple) of the worst entry.
    ``per_layer[(i, kind)]`` = (worst relative error, index, analytic, numeric).
    """

    worst: float
    where: tuple
    analytic: float
    numeric: float
    per_layer: dict = field(default_factory=dict)

    def passed(self, tol: float = 1e-5) -> bool:
        return self.worst <= tol

    def __repr__(self) -> str:
        return f"GradCheckResult(worst={self.worst:.3g} at {self.where})"


def relative_error(analytic: np.ndarray, numeric: np.ndarray, floor: float = 1e-8) -> np.ndarray:
    """|a - n| / max(|a|, |n|, floor): relative where the gradient is not tiny."""
    return np.abs(analytic - numeric) / np.maximum(
        np.maximum(np.abs(analytic), np.abs(numeric)), floor
    )


def numerical_gradients(net, X, Y, h: float = 1e-4) -> tuple[list, list]:
    """Fourth-order central differences of loss + penalty for every parameter.

    g ≈ (f(x−2h) − 8 f(x−h) + 8 f(x+h) − f(x+2h)) / 12h, error O(h⁴).  Works on a float64
    copy of ``net`` (the network itself is not changed); dropout is off.
    Returns (weights, bias) lists shaped like the network's parameters.
    """
    probe = net.copy(dtype="float64")

    def objective() -> float:
        return probe.evaluate(X, Y) + probe.penalty()

    weights, biases = [], []
    for layer in probe.layers:
        for arr, out_list, active in (
            (layer.weights, weights, layer.mask),
            (layer.bias, biases, np.full(layer.bias.shape, layer.use_bias)),
        ):
            g = np.zeros_like(arr)
            for idx in np.ndindex(arr.shape):
                if not active[idx]:
                    continue
                x0 = arr[idx]
                f = []
                for step in (-2, -1, 1, 2):
                    arr[idx] = x0 + step * h
                    f.append(objective())
                arr[idx] = x0
                g[idx] = (8 * (f[2] - f[1]) - (f[3] - f[0])) / (12 * h)
            out_list.append(g)
    return weights, biases


def gradient_check(net, X, Y, h: float = 1e-4, floor: float = 1e-8) -> GradCheckResult:
    """Compare backpropagation with finite differences over every parameter (float64)."""
    probe = net.copy(dtype="float64")
    grads = probe.backward(probe.forward(X, training=False), Y)
    num_w, num_b = numerical_gradients(probe, X, Y, h)
    result = GradCheckResult(0.0, (), 0.0, 0.0)
    for i in range(len(probe.layers)):
        for kind, analytic, numeric in (
            ("weights", grads.weights[i], num_w[i]),
            ("bias", grads.bias[i], num_b[i]),
        ):
            err = relative_error(analytic, numeric, floor)
            idx = np.unravel_index(int(np.argmax(err)), err.shape)
            worst = float(err[idx])
            entry = (worst, idx, float(analytic[idx]), float(numeric[idx]))
            result.per_layer[(i, kind)] = entry
            if worst >= result.worst:
                result.worst = worst
                result.where = (i, kind, tuple(int(v) for v in idx))
                result.analytic, result.numeric = entry[2], entry[3]
    return result
