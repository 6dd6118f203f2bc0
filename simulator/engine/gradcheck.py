"""Numerical gradient check: central finite differences against backpropagation, per layer.

:func:`check_gradients` differentiates exactly the function backprop differentiated: the
objective loss + penalty on one batch, with the *dropout keep masks* that batch's forward pass
used (or, without them, masks drawn from ``seed`` and held fixed).  With the masks fixed, dropout
is just a constant multiplier, so the objective is a smooth function of the weights and the two
gradients must agree to rounding.  The network is never touched: the check runs on a float64
copy of it (a float32 network is checked in float64, and the report says so).

Finite differences are fourth-order central ones:
    g ≈ (f(w − 2h) − 8 f(w − h) + 8 f(w + h) − f(w + 2h)) / 12h,   error O(h⁴).
Perturbing W[r, c] of layer i only moves column c of z_i by Δ·x[:, r], so each evaluation
re-runs the network from layer i on (``backprop.forward``), not from the inputs.  Relative error:
    |b − n| / max(|b|, |n|, floor),   floor = FLOOR_SCALE · max(1, |f|)  (unless one is given)
the floor keeps a gradient that is zero up to rounding (|g| ~ 1e-12) from reading as a 100 %
error: below it the difference is measured against the floor, i.e. absolutely.

Kinks: where a step of ±2h carries an activation's input across its kink (``Activation.kink``:
ReLU's or ELU's 0, softplus's 20), the loss's residual across its own (``losses.kink_sides``:
mae's 0, huber's ±1) or an L1-penalised weight across 0, the difference quotient is not the
derivative.  Such an entry is retried with h / 10 and, if it still straddles a kink, left out
and counted in ``LayerCheck.kinks``.

Big layers: an array with more than ``max_entries`` trainable entries is sampled — its
``max_entries // 4`` largest backprop gradients plus a seeded random draw of the rest — and a
batch of more than ``max_samples`` samples is checked on a seeded subset of them; the report
says how many entries and samples were checked.

:func:`gradient_check` and :func:`numerical_gradients` are the same check over every parameter,
with dropout off, in the older result form.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from simulator.engine import activations as _act
from simulator.engine import backprop as _backprop
from simulator.engine import losses as _losses
from simulator.engine.network import Trace

THRESHOLD = 1e-5  # above this relative error a gradient "disagrees"
# h of the finite differences: with 4th-order differences rounding dominates at 1e-4 already
# (measured: worst errors of 1e-6 at h = 1e-4 against 2e-7 at 1e-3 over every activation/loss).
STEP = 1e-3
KINK_RETRY = 10.0  # an entry at a kink is retried with h / KINK_RETRY
FLOOR_SCALE = 1e-6  # the relative error's floor is FLOOR_SCALE · max(1, |loss|)
MAX_ENTRIES = 2500  # per array; more than this and the array is sampled
MAX_SAMPLES = 256  # a bigger batch is checked on a seeded subset of this many samples


# ----------------------------------------------------------------------------- results
@dataclass
class GradCheckResult:
    """Worst relative error overall and per (layer, "weights" | "bias").

    ``where`` is (layer index, "weights" | "bias", index tuple) of the worst entry.
    ``per_layer[(i, kind)]`` = (worst relative error, index, analytic, numeric).
    ``kinks``: entries left out because a finite difference there straddled a kink.
    """

    worst: float
    where: tuple
    analytic: float
    numeric: float
    per_layer: dict = field(default_factory=dict)
    kinks: int = 0

    def passed(self, tol: float = 1e-5) -> bool:
        return self.worst <= tol

    def __repr__(self) -> str:
        return f"GradCheckResult(worst={self.worst:.3g} at {self.where})"


@dataclass(frozen=True)
class EntryCheck:
    """One checked gradient: ``layer`` (weight layer i), ``kind`` ("weights" | "bias"),
    ``index`` ((r, c) for a weight r → c, (c,) for the bias of neuron c of neuron layer i+1),
    the ``backprop`` and ``numeric`` (finite-difference) values and their relative ``error``."""

    layer: int
    kind: str
    index: tuple
    backprop: float
    numeric: float
    error: float

    @property
    def connection(self) -> tuple[int, int, int] | None:
        """(i, r, c) of a weight, as the canvas numbers connections (None for a bias)."""
        return (self.layer, *self.index) if self.kind == "weights" else None

    @property
    def neuron(self) -> tuple[int, int]:
        """(k, j) on the canvas: a bias's own neuron, a weight's target neuron."""
        return (self.layer + 1, self.index[-1])


@dataclass
class LayerCheck:
    """The check of one array: weight layer ``layer``'s weights or its biases.

    ``trainable`` entries exist (removed connections do not count); ``checked`` of them were
    compared (``sampled`` when fewer than all), ``kinks`` left out for straddling a kink.
    ``worst`` is the checked entry with the largest relative error (None if none was checked),
    ``failures`` the number above the threshold.
    """

    layer: int
    kind: str
    shape: tuple
    trainable: int
    checked: int = 0
    kinks: int = 0
    worst: EntryCheck | None = None
    failures: int = 0

    @property
    def sampled(self) -> bool:
        return self.checked + self.kinks < self.trainable


@dataclass
class GradientCheckReport:
    """What :func:`check_gradients` found.

    ``layers``: one :class:`LayerCheck` per array (weights, then bias if the layer has one);
    ``failures``: every checked entry above ``threshold``, worst first.  ``batch`` describes
    the batch ("the current batch", "the next batch") and ``batch_size`` its samples;
    ``dropout`` how dropout was handled; ``notes`` anything else worth saying (float32);
    ``seconds`` the time the check took; ``loss`` the objective at the checked weights.
    """

    layers: list[LayerCheck]
    failures: list[EntryCheck]
    threshold: float
    h: float
    batch: str
    batch_size: int
    dropout: str
    loss: float
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def checked(self) -> int:
        return sum(la.checked for la in self.layers)

    @property
    def trainable(self) -> int:
        return sum(la.trainable for la in self.layers)

    @property
    def kinks(self) -> int:
        return sum(la.kinks for la in self.layers)

    @property
    def worst(self) -> EntryCheck | None:
        entries = [la.worst for la in self.layers if la.worst is not None]
        return max(entries, key=lambda e: e.error) if entries else None

    def summary(self) -> str:
        """One sentence: "All gradients agree …" or "2 gradients disagree …"."""
        if self.failures:
            n = len(self.failures)
            return (
                f"{n} gradient{'s' if n != 1 else ''} disagree{'s' if n == 1 else ''} "
                f"with finite differences by more than {self.threshold:g}"
            )
        worst = self.worst
        if worst is None:
            return "Nothing to check: the network has no trainable parameters"
        return f"All gradients agree with finite differences to {max(worst.error, 1e-16):.1g}"

    def details(self) -> str:
        """How the check was made: batch, dropout, entries checked, time, float32 note."""
        checked = f"{self.checked:,} of {self.trainable:,} parameters checked"
        if self.checked + self.kinks < self.trainable:
            checked += " (big layers: their largest gradients and a random sample)"
        if self.kinks:
            checked += f", {self.kinks:,} at a kink left out"
        parts = [
            checked,
            f"{self.batch} ({self.batch_size} sample{'s' if self.batch_size != 1 else ''})",
            self.dropout,
            f"4th-order central differences, h = {self.h:g}",
            f"{self.seconds:.2f} s",
        ]
        return " · ".join(parts + self.notes)

    def __repr__(self) -> str:
        return (
            f"GradientCheckReport({self.checked}/{self.trainable} checked, "
            f"{len(self.failures)} above {self.threshold:g}, {self.seconds:.2f} s)"
        )


def relative_error(analytic: np.ndarray, numeric: np.ndarray, floor: float = 1e-8) -> np.ndarray:
    """|a - n| / max(|a|, |n|, floor): relative where the gradient is not tiny."""
    return np.abs(analytic - numeric) / np.maximum(
        np.maximum(np.abs(analytic), np.abs(numeric)), floor
    )


# ----------------------------------------------------------------------------- the function
def _fresh_keeps(net, n: int, seed: int) -> list:
    """Inverted-dropout multipliers for n rows, drawn from ``seed`` (None where no dropout)."""
    rng = np.random.default_rng([seed, 7])
    keeps = []
    for layer in net.layers:
        p = layer.dropout
        if p:
            keeps.append((rng.random((n, layer.fan_out)) >= p) / (1.0 - p))
        else:
            keeps.append(None)
    return keeps


class _Objective:
    """loss + penalty of a float64 network on (X, Y) with fixed keep masks, re-run from any
    layer with that layer's pre-activation moved."""

    def __init__(self, net, X: np.ndarray, Y, keeps: list):
        self.net = net
        self.y = net.targets(Y)
        self.keeps = keeps
        self.act_names = [layer.activation for layer in net.layers]
        self.trace = _backprop.forward(net, np.asarray(X, np.float64), keeps)
        self.loss = self._loss(self.trace[-1])
        self.penalty = net.penalty()
        # The sides of each kink that a finite difference must not change (module docstring).
        self.kinks = [_act.get(name).kink for name in self.act_names]
        self.patterns = [
            None if at is None else lt.z > at for lt, at in zip(self.trace, self.kinks)
        ]
        self.residual = _losses.kink_sides(net.loss, self.trace[-1].a, self.y)

    def _loss(self, out) -> float:
        return _losses.output_value(self.net.loss, self.act_names[-1], out.z, out.a, self.y)

    def from_layer(self, i: int, z: np.ndarray) -> tuple[float, bool]:
        """(data loss, straddles a kink) with layer i's pre-activation replaced by ``z``."""
        layers = _backprop.forward(self.net, self.trace[i].input, self.keeps, start=i, z=z)
        kink = False
        for lt, pattern, at in zip(layers, self.patterns[i:], self.kinks[i:]):
            if pattern is not None and not np.array_equal(lt.z > at, pattern):
                kink = True
                break
        out = layers[-1]
        if self.residual is not None and not kink:
            kink = not np.array_equal(
                _losses.kink_sides(self.net.loss, out.a, self.y), self.residual
            )
        return self._loss(out), kink

    def penalty_change(self, w: float, step: float) -> float:
        """penalty(w + step) − penalty(w) for one weight."""
        l1, l2 = self.net.l1, self.net.l2
        if not (l1 or l2):
            return 0.0
        return _backprop.penalty(w + step, l1, l2) - _backprop.penalty(w, l1, l2)

    def difference(self, i: int, kind: str, index: tuple, h: float) -> tuple[float, bool]:
        """The 4th-order central difference of loss + penalty in one entry, and whether a
        step crossed a kink."""
        lt = self.trace[i]
        c = index[-1]
        column = lt.input[:, index[0]] if kind == "weights" else 1.0
        w = float(self.net.layers[i].weights[index]) if kind == "weights" else 0.0
        kink = kind == "weights" and self.net.l1 > 0 and abs(w) <= 2 * h
        f = []
        for step in (-2 * h, -h, h, 2 * h):
            z = lt.z.copy()
            z[:, c] += step * column
            value, crossed = self.from_layer(i, z)
            kink = kink or crossed
            if kind == "weights":
                value += self.penalty_change(w, step)
            f.append(value)
        return (8.0 * (f[2] - f[1]) - (f[3] - f[0])) / (12.0 * h), kink


def _entries(trainable: np.ndarray, grad: np.ndarray, max_entries: int, rng) -> np.ndarray:
    """Flat indices to check: all trainable ones, or the largest gradients plus a sample."""
    flat = np.flatnonzero(trainable)
    if flat.size <= max_entries:
        return flat
    n_top = max_entries // 4
    magnitude = np.abs(grad.ravel()[flat])
    top = flat[np.argsort(magnitude, kind="stable")[::-1][:n_top]]
    rest = np.setdiff1d(flat, top, assume_unique=True)
    drawn = rng.choice(rest, size=max_entries - n_top, replace=False)
    return np.sort(np.concatenate([top, drawn]))


def _arrays(layer, i: int, grads) -> list:
    """(kind, backprop gradient, trainable entries) of weight layer i: weights, then bias."""
    arrays = [("weights", grads.weights[i], layer.mask)]
    if layer.use_bias:
        arrays.append(("bias", grads.bias[i], np.ones(layer.bias.shape, bool)))
    return arrays


def check_gradients(
    net,
    X,
    Y,
    keeps: list | None = None,
    *,
    threshold: float = THRESHOLD,
    h: float = STEP,
    floor: float | None = None,
    max_entries: int = MAX_ENTRIES,
    max_samples: int = MAX_SAMPLES,
    seed: int = 0,
    batch: str = "the given batch",
) -> GradientCheckReport:
    """Compare backprop's gradients with finite differences on one batch; changes nothing.

    Parameters
    ----------
    net : the Network to check (a float64 copy is what is differentiated).
    X : (n, sizes[0]) the batch; Y its targets, as ``Network.backward`` takes them.
    keeps : one entry per weight layer, None or the (n, fan_out) inverted-dropout multiplier
        that layer's output got (a forward pass's ``LayerTrace.keep``); [None] * layers checks
        with dropout off.  None (the default) draws masks for the dropout layers from ``seed``.
    threshold : an entry whose relative error is above it is a failure.
    h : the finite differences' step.  floor : the relative error's floor (default
        FLOOR_SCALE · max(1, |loss + penalty|)).
    max_entries : an array with more trainable entries is sampled (its largest gradients and a
        draw from ``seed``); max_samples : a bigger batch is checked on a seeded subset.
    batch : how the report names the batch.
    """
    start = time.perf_counter()
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X.reshape(1, -1)
    n = X.shape[0]
    notes = []
    if n > max_samples:
        # Each difference re-runs the batch: a full batch of digits took seconds.  A seeded
        # subset of the batch is checked (backprop and differences on the same samples).
        chosen = np.sort(np.random.default_rng([seed, 5]).choice(n, max_samples, replace=False))
        X, Y = X[chosen], np.asarray(Y)[chosen]
        if keeps is not None:
            keeps = [None if k is None else k[chosen] for k in keeps]
        notes.append(f"on {max_samples:,} of the batch's {n:,} samples (a seeded subset)")
        n = max_samples
    probe = net.copy(dtype="float64")
    has_dropout = any(layer.dropout for layer in probe.layers)
    if keeps is None:
        keeps = _fresh_keeps(probe, n, seed)
        dropout = "dropout masks drawn afresh and held fixed" if has_dropout else "no dropout"
    else:
        keeps = [None if k is None else np.asarray(k, np.float64) for k in keeps]
        if any(k is not None for k in keeps):
            dropout = "the given dropout masks, held fixed"
        else:
            dropout = "dropout off" if has_dropout else "no dropout"
    if net.dtype != np.float64:
        notes.append(f"checked on a float64 copy of the {net.dtype.name} network")

    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        objective = _Objective(probe, X, Y, keeps)
        grads = probe.backward(Trace(objective.trace, training=True), Y)
        if floor is None:
            floor = FLOOR_SCALE * max(1.0, abs(objective.loss + objective.penalty))
        rng = np.random.default_rng([seed, 11])
        layers: list[LayerCheck] = []
        failures: list[EntryCheck] = []
        for i, layer in enumerate(probe.layers):
            for kind, grad, trainable in _arrays(layer, i, grads):
                check = LayerCheck(i, kind, grad.shape, int(np.count_nonzero(trainable)))
                for flat in _entries(trainable, grad, max_entries, rng):
                    index = tuple(int(v) for v in np.unravel_index(flat, grad.shape))
                    numeric, kink = objective.difference(i, kind, index, h)
                    if kink:
                        numeric, kink = objective.difference(i, kind, index, h / KINK_RETRY)
                        if kink:
                            check.kinks += 1
                            continue
                    analytic = float(grad[index])
                    error = float(relative_error(np.float64(analytic), np.float64(numeric), floor))
                    if not math.isfinite(error):
                        error = math.inf
                    entry = EntryCheck(i, kind, index, analytic, float(numeric), error)
                    check.checked += 1
                    if check.worst is None or error > check.worst.error:
                        check.worst = entry
                    if error > threshold:
                        check.failures += 1
                        failures.append(entry)
                layers.append(check)
    failures.sort(key=lambda e: e.error, reverse=True)
    return GradientCheckReport(
        layers=layers,
        failures=failures,
        threshold=threshold,
        h=h,
        batch=batch,
        batch_size=n,
        dropout=dropout,
        loss=objective.loss + objective.penalty,
        seconds=time.perf_counter() - start,
        notes=notes,
    )


# ----------------------------------------------------------------------------- every parameter
def numerical_gradients(net, X, Y, h: float = 1e-4) -> tuple[list, list]:
    """Fourth-order central differences of loss + penalty for every parameter.

    g ≈ (f(x−2h) − 8 f(x−h) + 8 f(x+h) − f(x+2h)) / 12h, error O(h⁴).  Works on a float64
    copy of ``net`` (the network itself is not changed); dropout is off.  Removed connections
    and switched-off biases get 0.  Returns (weights, bias) lists shaped like the network's
    parameters.
    """
    probe = net.copy(dtype="float64")
    X = np.asarray(X, dtype=np.float64)
    objective = _Objective(
        probe, X.reshape(1, -1) if X.ndim == 1 else X, Y, [None] * len(probe.layers)
    )
    weights, biases = [], []
    for i, layer in enumerate(probe.layers):
        for kind, arr, active, out_list in (
            ("weights", layer.weights, layer.mask, weights),
            ("bias", layer.bias, np.full(layer.bias.shape, layer.use_bias), biases),
        ):
            g = np.zeros_like(arr)
            for index in zip(*np.nonzero(active)):
                index = tuple(int(v) for v in index)
                g[index] = objective.difference(i, kind, index, h)[0]
            out_list.append(g)
    return weights, biases


def gradient_check(net, X, Y, h: float = 1e-4, floor: float = 1e-8) -> GradCheckResult:
    """Compare backpropagation with finite differences over every parameter (float64).

    :func:`check_gradients` over every entry and sample with dropout off, as a GradCheckResult:
    entries at a kink are left out (counted in ``kinks``); a removed connection or a switched-off
    bias counts as agreeing (both gradients are 0).
    """
    report = check_gradients(
        net,
        X,
        Y,
        [None] * len(net.layers),
        h=h,
        floor=floor,
        max_entries=math.inf,
        max_samples=math.inf,
    )
    checks = {(la.layer, la.kind): la for la in report.layers}
    result = GradCheckResult(0.0, (), 0.0, 0.0, kinks=report.kinks)
    for i in range(len(net.layers)):
        for kind in ("weights", "bias"):
            la = checks.get((i, kind))
            worst = None if la is None else la.worst
            if worst is None:  # nothing trainable (or all at kinks): both gradients are 0
                entry = (0.0, (0,) * (2 if kind == "weights" else 1), 0.0, 0.0)
            else:
                entry = (worst.error, worst.index, worst.backprop, worst.numeric)
            result.per_layer[(i, kind)] = entry
            if entry[0] >= result.worst:
                result.worst = entry[0]
                result.where = (i, kind, entry[1])
                result.analytic, result.numeric = entry[2], entry[3]
    return result
