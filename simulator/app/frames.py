"""The frame builder: the Snapshots the views draw, built from a trainer.

A snapshot holds copies (never views of the live network) taken at one moment of training:
weights, the last forward pass, gradients, the last update, the figures, and the network over
its input space (a grid for 2-D data, a curve for 1-D).  After the data or the network changes
the history's figures describe another problem, so the figures evaluated afresh then are shown
until training evaluates again.  No Qt here.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from simulator.app.document import Document
from simulator.engine import datasets as _datasets
from simulator.engine import losses
from simulator.engine.trainer import PHASES, Trainer

GRID_SIZE = 48  # the input plane is sampled on GRID_SIZE x GRID_SIZE points (maps, boundary)
CURVE_POINTS = 200  # 1-D data: the fitted curve's points
PLANE = 6.0  # generated 2-D data lie in [-PLANE, PLANE]²


@dataclasses.dataclass
class Snapshot:
    """What the views draw: copies taken at one moment of training.

    ``phase`` is the phase that runs next ("forward", "backward", "update"); ``shown`` the one
    that just ran (None before the first).  ``activations[i]`` / ``preactivations[i]`` are the
    last forward pass's a and z of weight layer i for its batch ((n, fan_out)), ``inputs`` that
    batch's inputs; ``gradients[i]`` = (dL/dW, dL/db), ``deltas[i]`` = dL/dz; ``updates[i]`` =
    (ΔW, Δb) of the last update.  Missing parts are None.
    """

    step: int
    epoch: float
    phase: str
    shown: str | None
    playing: bool
    weights: list
    inputs: np.ndarray | None = None
    preactivations: list | None = None
    activations: list | None = None
    gradients: list | None = None
    deltas: list | None = None
    updates: list | None = None
    batch_loss: float = math.nan
    train_loss: float = math.nan
    test_loss: float = math.nan
    train_accuracy: float = math.nan
    test_accuracy: float = math.nan
    lr: float = math.nan
    steps_per_second: float = 0.0
    diverged: str | None = None
    # The network over its input space, without dropout (2-D data: a GRID_SIZE² grid over
    # ``grid_extent`` = (x_min, x_max, y_min, y_max), row-major with y the slow axis; 1-D data:
    # CURVE_POINTS x values).  ``grid_inputs`` (G, n_inputs) are the input neurons' values,
    # ``grid_activations[i]`` (G, fan_out) weight layer i's outputs, ``grid_output`` (G, K) the
    # probabilities for classification (the raw output for regression).
    grid_extent: tuple | None = None
    grid_shape: tuple | None = None
    grid_x: np.ndarray | None = None
    grid_inputs: np.ndarray | None = None
    grid_activations: list | None = None
    grid_output: np.ndarray | None = None
    # True: an earlier step, shown by rewinding (the live run is at ``live_step``).
    rewound: bool = False
    live_step: int | None = None
    # True: ``shown`` ran as a phase of its own (Forward, Backward, Update), not within a
    # whole step or while playing: views hold it until the next phase.
    by_phase: bool = False
    # The data loss of the batch the step under way ran forward (after Forward or Backward,
    # before Update; NaN otherwise): the forward pass ends in it.
    forward_loss: float = math.nan


class FrameBuilder:
    """Builds snapshots of a trainer over the document's data.

    ``shown`` is the phase the live run's next snapshot shows as just run (None: the weights
    only); :meth:`evaluate_afresh` keeps the figures of the live trainer after an edit.
    """

    def __init__(self, document: Document):
        self.document = document
        self.shown: str | None = None
        self.by_phase = False  # ``shown`` ran as a phase of its own
        # (step, figures): the full-set losses and accuracies evaluated when the data or the
        # network last changed; snapshots show them until training evaluates again.
        self._fresh: tuple[int, dict[str, float]] | None = None

    def evaluate_afresh(self, trainer: Trainer) -> None:
        """The data or the network changed: evaluate ``trainer`` (the live one) on it now."""
        self._fresh = (trainer.step_count, trainer.evaluate())

    def live(self, trainer: Trainer, playing: bool, steps_per_second: float) -> Snapshot:
        """A snapshot of the live ``trainer`` after its whole history, showing ``shown``."""
        snap = self.build(
            trainer, trainer, len(trainer.history), self.shown, playing, steps_per_second
        )
        snap.by_phase = self.by_phase and self.shown is not None and not playing
        if not playing:
            loss = trainer.forward_loss()
            if loss is not None:
                snap.forward_loss = loss
        return snap

    def build(
        self,
        trainer: Trainer,
        live: Trainer,
        rows: int,
        shown: str | None,
        playing: bool = False,
        steps_per_second: float = 0.0,
        updates: bool = False,
    ) -> Snapshot:
        """A snapshot of ``trainer``: the live trainer, or a replayed copy of it at an earlier
        step; ``rows`` is how many rows of the live history lead up to its state, ``shown`` the
        phase that just ran; ``updates``: include the last update even if no phase is shown."""
        net = trainer.net
        snap = Snapshot(
            step=trainer.step_count,
            epoch=trainer.epoch,
            phase=trainer.phase,
            shown=shown,
            playing=playing,
            weights=net.get_weights(),
            lr=trainer.current_lr(),
            steps_per_second=steps_per_second,
            diverged=trainer.diverged,
        )
        hist = live.history
        rows = min(rows, len(hist))
        # Rows from before the last change of data or network describe another problem.
        fresh = self._fresh if trainer is live else None
        first = 0
        if fresh is not None:
            first = int(np.searchsorted(hist.column("step")[:rows], fresh[0], side="right"))
        if rows > first:
            snap.batch_loss = float(hist.column("batch_loss")[rows - 1])
        for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
            col = hist.column(key)[first:rows]
            finite = col[np.isfinite(col)]
            if finite.size:
                setattr(snap, key, float(finite[-1]))
            elif fresh is not None:
                setattr(snap, key, fresh[1][key])
        own = trainer.history
        if trainer is not live and len(own) and own.last("step") == trainer.step_count:
            # A replayed step has its own row: the live history may keep only an envelope of
            # steps that old, whose last row at or before the step is another step's.
            snap.batch_loss = own.last("batch_loss")
        trace = trainer.trace
        if trace is not None and len(trace.layers) == len(net.layers):
            snap.inputs = trace.layers[0].input.copy()
            snap.preactivations = [lt.z.copy() for lt in trace.layers]
            snap.activations = [lt.a.copy() for lt in trace.layers]
        # Gradients belong to the step under way (after backward) or just finished.
        grads = trainer.grads
        if (
            grads is not None
            and trainer.phase != "backward"
            and len(grads.weights) == len(net.layers)
        ):
            snap.gradients = [(w.copy(), b.copy()) for w, b in zip(grads.weights, grads.bias)]
            snap.deltas = [d.copy() for d in grads.deltas]
        self._add_grid(snap, net)
        if shown == "update" or (updates and trainer.grads is not None):
            opt = trainer.optimizer
            deltas = []
            for i, layer in enumerate(net.layers):
                dw = opt.last_update(i, "weights")
                db = opt.last_update(i, "bias") if layer.use_bias else None
                if dw is None:
                    deltas = None
                    break
                deltas.append((dw.copy(), np.zeros_like(layer.bias) if db is None else db.copy()))
            snap.updates = deltas
        return snap

    def _add_grid(self, snap: Snapshot, net) -> None:
        data = self.document.data
        dataset = data.dataset
        if dataset.input_dim not in (1, 2):
            return
        if dataset.input_dim == 2:
            extent = plane_extent(dataset, data.n_drawn)
            xs = np.linspace(extent[0], extent[1], GRID_SIZE)
            ys = np.linspace(extent[2], extent[3], GRID_SIZE)
            gx, gy = np.meshgrid(xs, ys)
            raw = np.column_stack([gx.ravel(), gy.ravel()])
            snap.grid_extent, snap.grid_shape = extent, (GRID_SIZE, GRID_SIZE)
        else:
            x = dataset.X[:, 0]
            pad = max(0.05 * float(x.max() - x.min()), 0.5)
            xs = np.linspace(float(x.min()) - pad, float(x.max()) + pad, CURVE_POINTS)
            raw = xs[:, None]
            snap.grid_extent, snap.grid_shape = (xs[0], xs[-1]), (CURVE_POINTS,)
        snap.grid_x = raw
        inputs = data.inputs(raw)
        with np.errstate(all="ignore"):
            trace = net.forward(inputs, training=False)
            snap.grid_inputs = trace.layers[0].input.copy()
            snap.grid_activations = [lt.a for lt in trace.layers]
            out = trace.output
            snap.grid_output = (
                out
                if data.task == "regression"
                else losses.probabilities(net.loss, net.layers[-1].activation, out)
            )


def plane_extent(dataset, n_drawn: int = 0) -> tuple[float, float, float, float]:
    """The input plane shown for 2-D data: Playground's [-6, 6]² for generated sets, else the
    data's bounds with a margin.  The last ``n_drawn`` rows (points drawn on the plot) take no
    margin of their own: a point drawn near the edge stays inside the plane it was drawn on,
    so drawing does not push the plot's edges out one click at a time."""
    if dataset.name in _datasets.DATASETS:
        return (-PLANE, PLANE, -PLANE, PLANE)
    X = dataset.X[:, :2]
    base = X[: len(X) - n_drawn] if 0 < n_drawn < len(X) else X
    lo, hi = base.min(axis=0), base.max(axis=0)
    pad = np.maximum(0.05 * (hi - lo), 0.5)
    lo, hi = lo - pad, hi + pad
    if base is not X:  # drawn points outside (from a file): just take them in
        lo, hi = np.minimum(lo, X.min(axis=0)), np.maximum(hi, X.max(axis=0))
    return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))


def next_phase_label(phase: str) -> str:
    """Toolbar text for the phase that runs next."""
    return {
        "forward": "Forward: inputs flow through the layers",
        "backward": "Backward: backpropagation computes every gradient",
        "update": "Update: gradient descent moves the weights",
    }[phase]


assert set(PHASES) == {"forward", "backward", "update"}
