"""Train ▸ Check gradients: the engine's gradient check (``engine.gradcheck``) on a trainer's batch.

The check runs on one batch: the trainer's current batch, with the *same dropout keep masks*
that batch's forward pass used, or the batch its next step will draw if it has not stepped yet
(with fresh masks drawn from ``seed``).  The trainer is never touched: this module reads its
batch and trace, and the engine checks a float64 copy of the network, drawing no number from
the trainer's generators and moving no batch position.  How the check works (differences,
kinks, sampling of big layers and batches): ``simulator.engine.gradcheck``.
"""

from __future__ import annotations

import copy
import dataclasses
import time

import numpy as np

from simulator.engine.gradcheck import (
    MAX_ENTRIES,
    MAX_SAMPLES,
    STEP,
    THRESHOLD,
    EntryCheck,
    GradientCheckReport,
    LayerCheck,
)
from simulator.engine.gradcheck import check_gradients as _check_batch
from simulator.engine.network import Network, Trace

__all__ = [
    "EntryCheck",
    "GradientCheckReport",
    "LayerCheck",
    "MAX_ENTRIES",
    "MAX_SAMPLES",
    "STEP",
    "THRESHOLD",
    "check_gradients",
]


def _batch_of(trainer) -> tuple[np.ndarray, np.ndarray, list | None, str]:
    """(X, Y, keep masks or None, description) of the trainer's current batch.

    Reads the trainer only: the next batch is drawn from a copy of its batch iterator.
    """
    net = trainer.net
    trace = trainer.trace
    index = trainer.batch_index
    if index is not None and trace is not None and _trace_fits(trace, net, len(index)):
        keeps = [lt.keep for lt in trace]
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
    options = dict(
        threshold=threshold, h=h, max_entries=max_entries, max_samples=max_samples, seed=seed
    )
    if isinstance(source, Network):
        if X is None or Y is None:
            raise ValueError("checking a Network needs a batch X, Y")
        return _check_batch(source, X, Y, **options)
    X, Y, keeps, where = _batch_of(source)
    report = _check_batch(source.net, X, Y, keeps, batch=where, **options)
    if keeps is not None and any(layer.dropout for layer in source.net.layers):
        report = dataclasses.replace(report, dropout="the same dropout masks as that forward pass")
    report.seconds = time.perf_counter() - start
    return report
