"""Backpropagation explained: the passes with every intermediate value kept.

``Network.forward`` and ``Network.backward`` are the passes training runs.  This module writes
the same arithmetic in the forms that the tools explaining a step need, so that the inspector,
the gradient check and the lessons ask the engine instead of re-deriving it:

* :func:`forward` runs the forward pass with the dropout multipliers *given* (not drawn), from
  any weight layer on, so a gradient check differentiates exactly the function a step did;
* :func:`explain` runs the backward pass of a batch, or of some of its rows (one row: that
  sample's own loss ℓ_s), keeping per layer z, a, the dropout multiplier, dL/da, f'(z) and δ,
  and dL/dx of the inputs; :meth:`Explanation.weight_gradient` splits dL/dW[r, c] into its data
  and penalty parts, :meth:`Explanation.weight_terms` the data part into one term per sample;
* :func:`penalty` and :func:`penalty_terms` give the L1/L2 penalty and its gradient.

Notation as in network.py, for a batch of n rows (x_0 = the inputs):
    z_i = x_i W_i + b_i,   a_i = f_i(z_i),   x_{i+1} = a_i ⊙ keep_i
    dL/da_i = (δ_{i+1} W_{i+1}ᵀ) ⊙ keep_i,   δ_i = dL/dz_i = f_i'(z_i) ⊙ dL/da_i   (softmax: J_iᵀ)
    dL/dW_i = x_iᵀ δ_i ⊙ mask_i + λ₂ W_i + λ₁ sign W_i,   dL/db_i = Σ_s δ_i^s
The output layer's δ comes from the loss (``losses.output_backward``); the loss is a mean, so
the deltas of a batch carry its 1/n.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simulator.engine import activations as _act
from simulator.engine import losses as _losses
from simulator.engine.network import LayerTrace


def penalty(w, l1: float, l2: float) -> float:
    """The penalty of weights ``w`` (an array of any shape, or one number).

    penalty = λ₁ Σ|w| + ½ λ₂ Σ w²  (``l1`` = λ₁, ``l2`` = λ₂; biases carry none).
    """
    w = np.asarray(w)
    total = 0.0
    if l2:
        total += 0.5 * l2 * float(np.vdot(w, w))
    if l1:
        total += l1 * float(np.abs(w).sum())
    return total


def penalty_terms(w, l1: float, l2: float) -> tuple:
    """The penalty's gradient at ``w`` as its two terms (λ₂ w, λ₁ sign w), shaped like ``w``."""
    return l2 * w, l1 * np.sign(w)


def forward(
    net, x: np.ndarray, keeps: Sequence | None = None, start: int = 0, z: np.ndarray | None = None
) -> list[LayerTrace]:
    """The forward pass of ``net`` from weight layer ``start`` on, with fixed dropout multipliers.

    ``x`` (n, fan_in of layer ``start``) is what that layer receives; ``z`` (n, its fan_out), if
    given, replaces its pre-activation (x is then only recorded as its input).  ``keeps`` has one
    entry per weight layer of the network: None (no dropout) or the (n, fan_out) inverted-dropout
    multiplier applied to that layer's output.  Returns one LayerTrace per layer from ``start``.
    """
    layers = net.layers
    traces = []
    for j in range(start, len(layers)):
        layer = layers[j]
        if j != start or z is None:
            z = np.dot(x, layer.weights)
            if layer.use_bias:
                z += layer.bias
        a = _act.get(layer.activation).forward(z)
        keep = None if keeps is None else keeps[j]
        traces.append(LayerTrace(x, z, a, keep))
        x = a if keep is None else a * keep
    return traces


@dataclass(frozen=True)
class LayerExplanation:
    """One weight layer's numbers in a backward pass, one row per sample.

    ``input`` (n, fan_in): what the layer received (the previous output after dropout);
    ``z``, ``a`` (n, fan_out); ``keep``: the dropout multiplier on ``a`` or None; ``dl_da``:
    dL/da (None at a fused output, where the loss gives δ at once); ``fprime``: f'(z) (None for
    softmax, which mixes its units); ``delta``: dL/dz.  ``weights`` (fan_in, fan_out) and
    ``mask`` are copies of the layer's at the time.
    """

    input: np.ndarray
    z: np.ndarray
    a: np.ndarray
    keep: np.ndarray | None
    dl_da: np.ndarray | None
    fprime: np.ndarray | None
    delta: np.ndarray
    weights: np.ndarray
    mask: np.ndarray

    def __repr__(self) -> str:
        return f"LayerExplanation(z{self.z.shape}, weights{self.weights.shape})"


@dataclass(frozen=True)
class Explanation:
    """What :func:`explain` found: the loss of the rows, each layer's numbers, dL/dx.

    ``loss`` is the data loss L of the explained rows (a mean over them: for one row, that
    sample's own ℓ_s); ``fused`` says whether the output's δ came from the loss at once;
    ``dl_dx`` (n, sizes[0]) is dL/d(inputs); ``l1``, ``l2`` the network's penalty rates.
    """

    loss: float
    layers: tuple[LayerExplanation, ...]
    dl_dx: np.ndarray
    fused: bool
    l1: float
    l2: float

    def __getitem__(self, i: int) -> LayerExplanation:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def backward_terms(self, i: int, r: int) -> np.ndarray:
        """(n, fan_out) the terms W_i[r, k] δ_i[:, k] that carry layer ``i``'s δ back to its
        input r: their sum over k (times the previous layer's keep) is dL/da of that input."""
        layer = self.layers[i]
        return layer.weights[r] * layer.delta

    def weight_terms(self, i: int, r: int, c: int) -> np.ndarray:
        """(n,) the per-sample terms δ_i[s, c] x_i[s, r] of dL/dW_i[r, c]'s data part (the
        deltas carry the batch's 1/n); zeros for a removed connection."""
        layer = self.layers[i]
        if not layer.mask[r, c]:
            return np.zeros(layer.delta.shape[0], layer.delta.dtype)
        return layer.delta[:, c] * layer.input[:, r]

    def weight_gradient(self, i: int, r: int, c: int) -> tuple[float, float, float]:
        """dL/dW_i[r, c] before any clipping, in its three parts (added in this order, they
        are ``Network.backward``'s dL/dW_i[r, c] up to the rounding of its matrix product):

            data = Σ_s x_i[s, r] δ_i[s, c]   (column r of x_iᵀ δ_i),   λ₂ w,   λ₁ sign w

        all 0 for a removed connection (its weight is held at 0).
        """
        layer = self.layers[i]
        if not layer.mask[r, c]:
            return 0.0, 0.0, 0.0
        data = float(np.dot(layer.delta[:, c], layer.input[:, r]))
        l2_term, l1_term = penalty_terms(float(layer.weights[r, c]), self.l1, self.l2)
        return data, float(l2_term), float(l1_term)

    def __repr__(self) -> str:
        n = self.dl_dx.shape[0]
        return f"Explanation({len(self.layers)} layers, n={n}, loss={self.loss:.6g})"


def explain(net, trace, Y, rows: Sequence[int] | None = None) -> Explanation:
    """The backward pass of ``trace`` against targets ``Y``, with every intermediate value.

    ``trace``: a forward pass of ``net`` (``Network.forward`` or :func:`forward`'s layers) over
    n rows, dropout multipliers included; ``Y``: the targets of those n rows, in any form
    ``net.targets`` takes.  ``rows`` picks some of them: the loss is then theirs alone (one row:
    that sample's own loss ℓ_s, whose deltas do not carry the batch's 1/n).  The arithmetic is
    ``Network.backward``'s, in the network's dtype; nothing is changed.
    """
    layers = list(trace.layers if hasattr(trace, "layers") else trace)
    y = net.targets(Y)
    if y.shape[0] != layers[-1].a.shape[0]:
        raise ValueError(f"{y.shape[0]} targets for {layers[-1].a.shape[0]} samples")
    if rows is not None:
        rows = np.atleast_1d(np.asarray(rows, dtype=np.intp))
        y = y[rows]
        layers = [
            LayerTrace(
                lt.input[rows], lt.z[rows], lt.a[rows], None if lt.keep is None else lt.keep[rows]
            )
            for lt in layers
        ]
    fns = [_act.get(layer.activation) for layer in net.layers]
    n_layers = len(net.layers)
    out = layers[-1]
    loss, dl_da, delta = _losses.output_backward(net.loss, fns[-1], out.z, out.a, y)
    dl_das: list = [None] * n_layers
    deltas: list = [None] * n_layers
    dl_das[-1] = dl_da
    for i in range(n_layers - 1, -1, -1):
        deltas[i] = delta
        g = np.dot(delta, net.layers[i].weights.T)
        if i == 0:
            dl_dx = g
            break
        prev = layers[i - 1]
        if prev.keep is not None:
            g = g * prev.keep
        dl_das[i - 1] = g
        delta = fns[i - 1].backward(prev.z, prev.a, g)
    explained = tuple(
        LayerExplanation(
            lt.input,
            lt.z,
            lt.a,
            lt.keep,
            dl_das[i],
            fn.derivative(lt.z, lt.a) if fn.elementwise else None,
            deltas[i],
            layer.weights.copy(),
            layer.mask.copy(),
        )  # fmt: skip
        for i, (lt, fn, layer) in enumerate(zip(layers, fns, net.layers))
    )
    fused = _losses.is_fused(net.loss, fns[-1].name)
    return Explanation(loss, explained, dl_dx, fused, net.l1, net.l2)


# One sample's derivative of the loss, per output a_k and target y_k, is written in
# ``losses.GRADIENT_FORMULAS`` as a constant times its core (a − y, sign, clip, ...): the
# constant is 2 for mse and 1 for the others.
_LOSS_CONSTANT = {"mse": 2.0}


@dataclass(frozen=True)
class ConnectionChain:
    """One sample's chain rule for the weight W_i[r, c]: every factor of dℓ/dw, named.

    ℓ is the sample's own data loss (no L1/L2 penalty), from a forward pass without dropout.
    ``layer``, ``source``, ``target`` = i, r, c.  The numbers::

        dℓ/dw     = a_source · delta                       (``gradient``)
        delta     = fprime · dl_da                         (an elementwise target not fused)
        dl_da     = Σ_k down_weights[k] · down_deltas[k]   (a hidden target: every path on)
        dl_da     = loss_constant · output_mean · (the loss's core at a, y)   (an output)
        z         = Σ_r inputs[r] · in_weights[r] + bias,   a = f(z)

    ``a_source`` is what neuron r sends (x_i[r]); ``z_source`` its pre-activation (None for an
    input).  ``fprime`` is f′(z) of the target (None for softmax, and at a fused output, where
    the loss gives δ at once: σ(z) − y or softmax(z) − y); ``dl_da`` None at a fused output.
    ``down_weights`` (K,), ``down_deltas`` (K,): row c of W_{i+1} and δ_{i+1} (empty for an
    output target).  At an output: ``y`` is the target's target value, ``outputs`` the K
    output units, ``output_mean`` 1/K when the loss averages over them (else 1),
    ``loss_constant`` 2 for mse's (o − y)², 1 otherwise.  ``inputs``, ``in_weights`` (fan_in,):
    what the target receives and column c of W_i; ``bias`` None without one.
    """

    layer: int
    source: int
    target: int
    loss_name: str
    activation: str
    loss: float
    w: float
    a_source: float
    z_source: float | None
    z: float
    a: float
    bias: float | None
    fprime: float | None
    dl_da: float | None
    delta: float
    down_weights: np.ndarray
    down_deltas: np.ndarray
    is_output: bool
    fused: bool
    y: float | None
    outputs: int
    output_mean: float
    loss_constant: float
    inputs: np.ndarray
    in_weights: np.ndarray
    removed: bool
    gradient: float

    def activate(self, z: float) -> float:
        """f(z): the target's activation at another pre-activation (softmax: NaN, it needs
        every unit's z)."""
        fn = _act.get(self.activation)
        if not fn.elementwise:
            return float("nan")
        return float(fn.forward(np.array([z], dtype=np.float64))[0])

    def __repr__(self) -> str:
        return (
            f"ConnectionChain(W{self.layer}[{self.source}, {self.target}], "
            f"dℓ/dw={self.gradient:.6g})"
        )


def explain_connection(net, x, y, i: int, r: int, c: int) -> ConnectionChain:
    """One sample's chain rule for dℓ/dW_i[r, c] (:class:`ConnectionChain`), by :func:`explain`.

    ``x``: the sample's inputs (sizes[0],) or (1, sizes[0]); ``y``: its targets in any form
    ``net.targets`` takes for one row.  Dropout is off (the forward pass of ``net.forward``
    with ``training=False``); ℓ is the data loss of this one sample, without penalties, so
    ``gradient`` is ``Network.backward``'s dL/dW_i[r, c] for this sample alone with l1 = l2 = 0.
    Raises ValueError for a connection the network does not have.
    """
    layers = net.layers
    if not 0 <= i < len(layers):
        raise ValueError(f"the network has no weight layer {i}")
    layer = layers[i]
    if not (0 <= r < layer.fan_in and 0 <= c < layer.fan_out):
        raise ValueError(f"weight layer {i} has no connection {r} -> {c}")
    x = np.asarray(x).reshape(1, -1)
    if np.ndim(y) == 0:
        y = np.asarray([y])
    y = np.asarray(y)
    if y.ndim == 1 and layers[-1].fan_out > 1 and not np.issubdtype(y.dtype, np.integer):
        y = y.reshape(1, -1)
    trace = net.forward(x, training=False)
    ex = explain(net, trace, y)
    here = ex.layers[i]
    is_output = i == len(layers) - 1
    source_z = None if i == 0 else float(ex.layers[i - 1].z[0, r])
    if is_output:
        down_w = down_d = np.zeros(0)
        target_y = float(net.targets(y)[0, c])
        outputs = layer.fan_out
        mean = 1.0 if net.loss == "cross_entropy" else 1.0 / outputs
    else:
        nxt = ex.layers[i + 1]
        down_w = nxt.weights[c].astype(np.float64)
        down_d = nxt.delta[0].astype(np.float64)
        target_y, outputs, mean = None, layers[-1].fan_out, 1.0
    data, _l2, _l1 = ex.weight_gradient(i, r, c)
    return ConnectionChain(
        layer=i, source=r, target=c, loss_name=net.loss, activation=layer.activation,
        loss=float(ex.loss), w=float(here.weights[r, c]), a_source=float(here.input[0, r]),
        z_source=source_z, z=float(here.z[0, c]), a=float(here.a[0, c]),
        bias=float(layer.bias[c]) if layer.use_bias else None,
        fprime=None if here.fprime is None or (is_output and ex.fused)
        else float(here.fprime[0, c]),
        dl_da=None if here.dl_da is None else float(here.dl_da[0, c]),
        delta=float(here.delta[0, c]), down_weights=down_w, down_deltas=down_d,
        is_output=is_output, fused=is_output and ex.fused, y=target_y, outputs=outputs,
        output_mean=mean, loss_constant=_LOSS_CONSTANT.get(net.loss, 1.0),
        inputs=here.input[0].astype(np.float64), in_weights=here.weights[:, c].astype(np.float64),
        removed=not bool(here.mask[r, c]), gradient=data,
    )  # fmt: skip
