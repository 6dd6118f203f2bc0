"""Train ▸ Check gradients: backpropagation against central finite differences, per layer.

The check differentiates exactly the function backprop differentiated: the objective
loss + penalty on one batch (the trainer's current batch, or the batch its next step will
draw if it has not stepped yet), with the *same dropout keep masks* that batch's forward pass
used.  With the masks fixed, dropout is just a constant multiplier, so the objective is a
smooth function of the weights and the two gradients must agree to rounding; a fresh batch
gets fresh masks from a local seeded generator.  The trainer is never touched: the check runs
on a float64 copy of the network (a float32 network is checked in float64, and the report
says so), draws no number from the trainer's generators and moves no batch position.

Finite differences are fourth-order central ones (as in ``engine.gradcheck``):
    g ≈ (f(w − 2h) − 8 f(w − h) + 8 f(w + h) − f(w + 2h)) / 12h,   error O(h⁴).
Perturbing W[r, c] of layer i only moves column c of z_i by Δ·x[:, r], so each evaluation
re-runs the network from layer i on, not from the inputs.  Relative error:
    |b − n| / max(|b|, |n|, floor),   floor = FLOOR_SCALE · max(1, |f|)
the floor keeps a gradient that is zero up to rounding (|g| ~ 1e-12) from reading as a 100 %
error: below it the difference is measured against the floor, i.e. absolutely.

Kinks: where a step of ±2h carries a ReLU's or ELU's input across 0 (softplus's across 20,
mae's or huber's residual across 0 or ±1, an L1-penalised weight across 0), the difference
quotient is not the derivative.  Such an entry is retried with h / 10 and, if it still
straddles a kink, left out and counted in ``LayerCheck.kinks``.

Big layers: an array with more than ``max_entries`` trainable entries is sampled — its
``max_entries // 4`` largest backprop gradients plus a seeded random draw of the rest — and the
report says how many entries were checked.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field

import numpy as np

from simulator.engine import losses as _losses
from simulator.engine.gradcheck import relative_error
from simulator.engine.network import LayerTrace, Network, Trace

THRESHOLD = 1e-5  # above this relative error a gradient "disagrees"
# h of the finite differences: with 4th-order differences rounding dominates at 1e-4 already
# (measured: worst errors of 1e-6 at h = 1e-4 against 2e-7 at 1e-3 over every activation/loss).
STEP = 1e-3
KINK_RETRY = 10.0  # an entry at a kink is retried with h / KINK_RETRY
FLOOR_SCALE = 1e-6  # the relative error's floor is FLOOR_SCALE · max(1, |loss|)
MAX_ENTRIES = 2500  # per array; more than this and the array is sampled
MAX_SAMPLES = 256  # a bigger batch is checked on a seeded subset of this many samples
# Where an activation's first or second derivative jumps: the z it must not be carried across.
_KINKS = {"relu": 0.0, "leaky_relu": 0.0, "elu": 0.0, "softplus": 20.0}


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


# ------------------------------------------------------------------------- the batch
def _batch_of(trainer) -> tuple[np.ndarray, np.ndarray, list | None, str]:
    """(X, Y, keep masks or None, description) of the trainer's current batch.

    Reads the trainer only: the next batch is drawn from a copy of its batch iterator.
    """
    net = trainer.net
    trace = trainer.trace
    index = trainer.batch_index
    if index is not None and trace is not None and _trace_fits(trace, net, len(index)):
        keeps = [None if lt.keep is None else np.array(lt.keep, np.float64) for lt in trace]
        if trainer.phase == "forward":
            # The step is done: its update already moved the weights, so these gradients are
            # the current weights' (the inspector shows the ones the step used).
            where = f"the batch of step {trainer.step_count}, at the weights after its update"
        else:
            where = f"the batch of step {trainer.step_count + 1} (under way)"
        return trainer.X_train[index], trainer.Y_train[index], keeps, where
    index = copy.deepcopy(trainer.batches).next()
    where = f"the batch step {trainer.step_count + 1} will use"
    return trainer.X_train[index], trainer.Y_train[index], None, where


def _trace_fits(trace: Trace, net: Network, n: int) -> bool:
    if len(trace.layers) != len(net.layers):
        return False
    return all(
        lt.z.shape == (n, layer.fan_out) and lt.input.shape == (n, layer.fan_in)
        for lt, layer in zip(trace.layers, net.layers)
    )


def _fresh_keeps(net: Network, n: int, seed: int) -> list:
    rng = np.random.default_rng([seed, 7])
    keeps = []
    for layer in net.layers:
        p = layer.dropout
        if p:
            keeps.append((rng.random((n, layer.fan_out)) >= p) / (1.0 - p))
        else:
            keeps.append(None)
    return keeps


# ------------------------------------------------------------------------- the function
class _Objective:
    """loss + penalty of a float64 network on (X, Y) with fixed keep masks, re-run from any
    layer with that layer's pre-activation moved."""

    def __init__(self, net: Network, X: np.ndarray, Y, keeps: list):
        self.net = net
        self.y = net.targets(Y)
        self.keeps = keeps
        self.act_names = [layer.activation for layer in net.layers]
        self.trace = self._forward(np.asarray(X, np.float64))
        self.loss = self._loss(self.trace[-1].z, self.trace[-1].a)
        self.penalty = net.penalty()
        # The sign patterns a finite difference must not change (see the module docstring).
        self.kinks = [_KINKS.get(name) for name in self.act_names]
        self.patterns = [
            None if at is None else lt.z > at for lt, at in zip(self.trace, self.kinks)
        ]
        self.residual = self._residual_pattern(self.trace[-1].a)

    def _residual_pattern(self, a: np.ndarray) -> np.ndarray | None:
        # mae's derivative jumps where o = y, huber's second derivative where |o − y| = 1.
        loss = self.net.loss
        if loss == "mae":
            return a > self.y
        if loss == "huber":
            d = a - self.y
            return (d > _losses.HUBER_DELTA).view(np.int8) - (d < -_losses.HUBER_DELTA)
        return None

    def _forward(self, x: np.ndarray) -> list[LayerTrace]:
        layers = []
        for layer, keep in zip(self.net.layers, self.keeps):
            z = x @ layer.weights
            if layer.use_bias:
                z = z + layer.bias
            a = layer._fn.forward(z)
            layers.append(LayerTrace(x, z, a, keep))
            x = a if keep is None else a * keep
        return layers

    def _loss(self, z: np.ndarray, a: np.ndarray) -> float:
        net = self.net
        return _losses.output_value(net.loss, self.act_names[-1], z, a, self.y)

    def from_layer(self, i: int, z: np.ndarray) -> tuple[float, bool]:
        """(data loss, straddles a kink) with layer i's pre-activation replaced by ``z``."""
        layers = self.net.layers
        kink = False
        x = None  # layer i starts from ``z``; later layers from the previous output
        for j in range(i, len(layers)):
            layer = layers[j]
            if x is not None:
                z = x @ layer.weights
                if layer.use_bias:
                    z = z + layer.bias
            pattern = self.patterns[j]
            if pattern is not None and not kink:
                kink = not np.array_equal(z > self.kinks[j], pattern)
            a = layer._fn.forward(z)
            keep = self.keeps[j]
            x = a if keep is None else a * keep
        if self.residual is not None and not kink:
            kink = not np.array_equal(self._residual_pattern(a), self.residual)
        return self._loss(z, a), kink

    def penalty_change(self, w: float, step: float) -> float:
        """penalty(w + step) − penalty(w) for one weight, from the penalty's value."""
        net = self.net
        v = w + step
        return 0.5 * net.l2 * (v * v - w * w) + net.l1 * (abs(v) - abs(w))

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


def check_gradients(
    source,
    X=None,
    Y=None,
    *,
    threshold: float = THRESHOLD,
    h: float = STEP,
    max_entries: int = MAX_ENTRIES,
    max_samples: int = MAX_SAMPLES,
    seed: int = 0,
) -> GradientCheckReport:
    """Compare backprop's gradients with finite differences on one batch; changes nothing.

    ``source`` is a Trainer (its current batch, with that forward pass's dropout masks) or a
    Network with a batch ``X`` (n, d), ``Y`` (targets as ``Network.backward`` takes them);
    a Network's dropout layers get masks drawn from ``seed``.  ``seed`` also draws the sample
    of an array with more than ``max_entries`` trainable entries, and of a batch with more
    than ``max_samples`` samples.
    """
    start = time.perf_counter()
    if isinstance(source, Network):
        if X is None or Y is None:
            raise ValueError("checking a Network needs a batch X, Y")
        net, keeps, where = source, None, "the given batch"
    else:
        net = source.net
        X, Y, keeps, where = _batch_of(source)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X.reshape(1, -1)
    n = X.shape[0]
    subset_note = None
    if n > max_samples:
        # Each difference re-runs the batch: a full batch of digits took seconds.  A seeded
        # subset of the batch is checked (backprop and differences on the same samples).
        chosen = np.sort(np.random.default_rng([seed, 5]).choice(n, max_samples, replace=False))
        X, Y = X[chosen], np.asarray(Y)[chosen]
        if keeps is not None:
            keeps = [None if k is None else k[chosen] for k in keeps]
        subset_note = f"on {max_samples:,} of the batch's {n:,} samples (a seeded subset)"
        n = max_samples
    probe = net.copy(dtype="float64")
    has_dropout = any(layer.dropout for layer in probe.layers)
    if keeps is None:
        keeps = _fresh_keeps(probe, n, seed)
        dropout = "dropout masks drawn afresh and held fixed" if has_dropout else "no dropout"
    else:
        dropout = "the same dropout masks as that forward pass" if has_dropout else "no dropout"
    notes = [] if subset_note is None else [subset_note]
    if net.dtype != np.float64:
        notes.append(f"checked on a float64 copy of the {net.dtype.name} network")

    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        objective = _Objective(probe, X, Y, keeps)
        grads = probe.backward(Trace(objective.trace, training=True), Y)
        floor = FLOOR_SCALE * max(1.0, abs(objective.loss + objective.penalty))
        rng = np.random.default_rng([seed, 11])
        layers: list[LayerCheck] = []
        failures: list[EntryCheck] = []
        for i, layer in enumerate(probe.layers):
            arrays = [("weights", grads.weights[i], layer.mask)]
            if layer.use_bias:
                arrays.append(("bias", grads.bias[i], np.ones(layer.bias.shape, bool)))
            for kind, grad, trainable in arrays:
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
        batch=where,
        batch_size=n,
        dropout=dropout,
        loss=objective.loss + objective.penalty,
        seconds=time.perf_counter() - start,
        notes=notes,
    )
