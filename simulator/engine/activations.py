"""Activation functions, each written beside its derivative (micrograd's habit).

Every activation maps a pre-activation ``z`` of shape (n, units) to ``a = f(z)`` of the same
shape and dtype.  ``backward(z, a, grad)`` turns dL/da into dL/dz.  Element-wise activations
also expose ``derivative(z, a)`` = f'(z); softmax mixes a row's units, so it has only the
Jacobian-vector product.  Derivatives at kinks are the ones PyTorch's autograd takes
(relu'(0) = 0, leaky_relu'(0) = 0.01, elu'(0) = 1, softplus linear above 20); ``kink`` says
where an activation has one (where f, f' or f'' jumps), so a finite difference can avoid it.

``step`` is the Heaviside step (1 for z > 0, else 0), the threshold unit of McCulloch-Pitts
neurons and Rosenblatt's perceptron and the limit of sigmoid(k z) as k grows.  Its derivative
is 0 wherever it exists (and is taken as 0 at the jump, as autograd takes ``relu(sign(z))``'s),
so no gradient passes through it: the step layer's own weights and biases and every layer below
it get dL/dw = 0, which is why such a network cannot be trained by backpropagation (only layers
above the step learn).  It is here to show exactly that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

GELU_K = float(np.sqrt(2.0 / np.pi))  # GELU (tanh): ½ z (1 + tanh(GELU_K (z + GELU_C z³)))
GELU_C = 0.044715
_GELU_K, _GELU_C = GELU_K, GELU_C  # the names they had before they were public
LEAKY_SLOPE = 0.01
ELU_ALPHA = 1.0
SOFTPLUS_THRESHOLD = 20.0


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic sigmoid 1 / (1 + e^-z), stable for any z (no overflow for |z| large)."""
    return sigmoid_parts(z)[0]


def sigmoid_parts(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """sigmoid(z) with what it was computed from: (σ(z), e = exp(−|z|), z ≥ 0).

    σ(z) = 1 / (1 + e) where z ≥ 0, e / (1 + e) elsewhere (the fused bce reuses e and z ≥ 0).
    """
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)
    d = 1.0 + e
    pos = z >= 0
    a = np.where(pos, 1.0, e)  # the numerators: 1 where z ≥ 0, e elsewhere
    np.divide(a, d, out=a)
    return a, e, pos


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax exp(z_k) / sum_j exp(z_j), shifted by the row max for stability."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    e /= e.sum(axis=1, keepdims=True)
    return e


def log_softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax z_k - log sum_j exp(z_j), exact for logits of any size."""
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _softplus(z):
    # PyTorch: beta 1, threshold 20 -> linear above the threshold.
    return np.where(z > SOFTPLUS_THRESHOLD, z, np.log1p(np.exp(np.minimum(z, SOFTPLUS_THRESHOLD))))


def _softplus_derivative(z, a):
    return np.where(z > SOFTPLUS_THRESHOLD, 1.0, sigmoid(z)).astype(z.dtype, copy=False)


def _gelu(z):
    return 0.5 * z * (1.0 + np.tanh(GELU_K * (z + GELU_C * z * z * z)))


def _gelu_derivative(z, a):
    # PyTorch's GeluBackward with approximate="tanh".
    t = np.tanh(GELU_K * (z + GELU_C * z * z * z))
    return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * GELU_K * (1.0 + 3.0 * GELU_C * z * z)


def _stable_softplus(z):
    # ln(1 + e^z) without overflow: max(z, 0) + ln(1 + e^-|z|); no threshold (mish's own).
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _mish(z):
    # PyTorch's Mish: z tanh(softplus(z)), its softplus without a threshold.
    return z * np.tanh(_stable_softplus(z))


def _mish_derivative(z, a):
    # PyTorch's MishBackward: t + z σ(z) (1 - t²), t = tanh(softplus(z)).
    t = np.tanh(_stable_softplus(z))
    return t + z * sigmoid(z) * (1.0 - t * t)


def _softsign_derivative(z, a):
    d = 1.0 + np.abs(z)
    return 1.0 / (d * d)


def _step(z):
    return (z > 0).astype(z.dtype)


def _step_derivative(z, a):
    # 0 wherever it exists; at the jump (z = 0) taken as 0 too, as autograd does.
    return np.zeros_like(z)


def _silu_derivative(z, a):
    s = sigmoid(z)
    return s * (1.0 + z * (1.0 - s))


def _softmax_backward(z, a, grad):
    # Full Jacobian-vector product: dL/dz_k = s_k (g_k - sum_j g_j s_j).
    return a * (grad - (grad * a).sum(axis=1, keepdims=True))


@dataclass(frozen=True)
class Activation:
    """One activation: its value, derivative and the formulas the inspector prints.

    ``kink`` is the z where f, f' or f'' jumps (relu, leaky_relu, elu, softsign, step: 0;
    softplus: its threshold 20), None for an activation smooth everywhere.
    """

    name: str
    title: str
    formula: str
    derivative_formula: str
    forward: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray, np.ndarray], np.ndarray] | None
    elementwise: bool = True
    jvp: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray] | None = None
    kink: float | None = None

    def backward(self, z: np.ndarray, a: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """dL/dz from dL/da = ``grad``; all arrays (n, units)."""
        if self.jvp is not None:
            return self.jvp(z, a, grad)
        return grad * self.derivative(z, a)

    def __repr__(self) -> str:
        return f"Activation({self.name!r}: {self.formula})"


def _linear_derivative(z, a):
    return np.ones_like(z)


ACTIVATIONS: dict[str, Activation] = {
    act.name: act
    for act in (
        Activation("linear", "Linear", "f(z) = z", "f'(z) = 1", lambda z: z, _linear_derivative),
        Activation(
            "sigmoid",
            "Sigmoid",
            "f(z) = 1 / (1 + e^-z)",
            "f'(z) = f(z)(1 - f(z))",
            sigmoid,
            lambda z, a: a * (1.0 - a),
        ),
        Activation(
            "tanh",
            "Tanh",
            "f(z) = tanh z",
            "f'(z) = 1 - tanh² z",
            np.tanh,
            lambda z, a: 1.0 - a * a,
        ),
        Activation(
            "relu",
            "ReLU",
            "f(z) = max(0, z)",
            "f'(z) = 1 if z > 0 else 0",
            lambda z: np.maximum(z, 0.0),
            lambda z, a: (z > 0).astype(z.dtype),
            kink=0.0,
        ),
        Activation(
            "leaky_relu",
            "Leaky ReLU",
            "f(z) = z if z > 0 else 0.01 z",
            "f'(z) = 1 if z > 0 else 0.01",
            lambda z: np.where(z > 0, z, LEAKY_SLOPE * z),
            lambda z, a: np.where(z > 0, 1.0, LEAKY_SLOPE).astype(z.dtype, copy=False),
            kink=0.0,
        ),
        Activation(
            "elu",
            "ELU",
            "f(z) = z if z > 0 else e^z - 1",
            "f'(z) = 1 if z > 0 else e^z",
            lambda z: np.where(z > 0, z, ELU_ALPHA * np.expm1(np.minimum(z, 0.0))),
            lambda z, a: np.where(z > 0, 1.0, ELU_ALPHA * np.exp(np.minimum(z, 0.0))).astype(
                z.dtype, copy=False
            ),
            kink=0.0,  # f'' jumps from e⁰ = 1 to 0
        ),
        Activation(
            "gelu",
            "GELU (tanh)",
            "f(z) = ½ z (1 + tanh(√(2/π)(z + 0.044715 z³)))",
            "f'(z) = ½(1 + t) + ½ z (1 - t²) √(2/π)(1 + 3·0.044715 z²)",
            _gelu,
            _gelu_derivative,
        ),
        Activation(
            "softplus",
            "Softplus",
            "f(z) = ln(1 + e^z)  (z above 20: z)",
            "f'(z) = 1 / (1 + e^-z)  (z above 20: 1)",
            _softplus,
            _softplus_derivative,
            kink=SOFTPLUS_THRESHOLD,
        ),
        Activation(
            "silu",
            "SiLU (swish)",
            "f(z) = z · σ(z)",
            "f'(z) = σ(z)(1 + z(1 - σ(z)))",
            lambda z: z * sigmoid(z),
            _silu_derivative,
        ),
        Activation(
            "mish",
            "Mish",
            "f(z) = z · tanh(ln(1 + e^z))",
            "f'(z) = tanh(softplus z) + z σ(z)(1 - tanh²(softplus z))",
            _mish,
            _mish_derivative,
        ),
        Activation(
            "softsign",
            "Softsign",
            "f(z) = z / (1 + |z|)",
            "f'(z) = 1 / (1 + |z|)²",
            lambda z: z / (1.0 + np.abs(z)),
            _softsign_derivative,
            kink=0.0,  # f'' jumps from 2 to −2
        ),
        Activation(
            "sine",
            "Sine",
            "f(z) = sin z",
            "f'(z) = cos z",
            np.sin,
            lambda z, a: np.cos(z),
        ),
        Activation(
            "gaussian",
            "Gaussian",
            "f(z) = exp(−z²)",
            "f'(z) = −2z · exp(−z²)",
            lambda z: np.exp(-(z * z)),
            lambda z, a: -2.0 * z * a,
        ),
        Activation(
            "step",
            "Step (f′ = 0)",
            "f(z) = 1 if z > 0 else 0",
            "f'(z) = 0  (no gradient passes: backprop cannot train this layer or any below it)",
            _step,
            _step_derivative,
            kink=0.0,  # f itself jumps from 0 to 1
        ),
        Activation(
            "softmax",
            "Softmax",
            "f(z)_k = e^z_k / Σ_j e^z_j",
            "∂f_k/∂z_j = f_k (δ_kj - f_j)",
            softmax,
            None,
            elementwise=False,
            jvp=_softmax_backward,
        ),
    )
}


def get(name: str) -> Activation:
    """The activation called ``name``; a ValueError lists the known names otherwise."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        known = ", ".join(ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r} (known: {known})") from None
