"""The TrainingController: Play, Pause, Step and the phase steps, without freezing the window.

A 0 ms timer on the GUI thread runs training steps until its time budget (~8 ms) is used,
then yields to the event loop; a snapshot (fresh arrays, never views of the live network)
goes out at most ~30 times a second.  Views draw snapshots and never call the engine.
Divergence arrives as a signal.  No widgets here.
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
from PySide6.QtCore import QElapsedTimer, QObject, QTimer, Signal

from simulator.app.document import Document
from simulator.engine import datasets as _datasets
from simulator.engine import losses
from simulator.engine.trainer import PHASES, Trainer

STEP_BUDGET_MS = 8.0
GRID_SIZE = 48  # the input plane is sampled on GRID_SIZE x GRID_SIZE points (maps, boundary)
CURVE_POINTS = 200  # 1-D data: the fitted curve's points
PLANE = 6.0  # generated 2-D data lie in [-PLANE, PLANE]²
SNAPSHOT_INTERVAL_S = 1 / 36  # a frame every ~28 ms asked: >= 30 drawn per second
SPEEDS = (1, 2, 5, 10, 30, 100, 300, 1000, None)  # steps per second; None = as fast as possible


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


class TrainingController(QObject):
    """Drives a Trainer over the Document's network.  play(), pause(), step(), step_phase()."""

    snapshot_ready = Signal(object)  # Snapshot
    playing_changed = Signal(bool)
    diverged = Signal(str)
    message = Signal(str)  # for the status bar: "Optimizer switched to SGD: its state starts…"
    history_changed = Signal()  # the history was reset or truncated (plots redraw whole)

    def __init__(self, document: Document, parent: QObject | None = None):
        super().__init__(parent)
        self.document = document
        self.speed: int | None = None  # steps per second; None = as fast as possible
        self._playing = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_tick)
        self._clock = QElapsedTimer()
        self._last_snapshot = 0.0
        self._rate_window: list[tuple[float, int]] = []
        self._play_start = (0.0, 0)
        self._shown: str | None = None
        self._optimizer_name = document.project.optimizer.name
        self.trainer = self._build_trainer()
        document.network_changed.connect(self._on_network_changed)
        document.data_changed.connect(self._on_data_changed)
        document.settings_changed.connect(self._on_settings_changed)
        document.project_replaced.connect(self._on_project_replaced)

    # ----------------------------------------------------------------- state
    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def next_phase(self) -> str:
        return self.trainer.phase

    @property
    def step_count(self) -> int:
        return self.trainer.step_count

    @property
    def history(self):
        return self.trainer.history

    def _build_trainer(self, keep: Trainer | None = None) -> Trainer:
        doc = self.document
        trainer = doc.project.build_trainer(net=doc.network, data=doc.data)
        if keep is not None:
            # Same run: the optimizer keeps its state (entries whose shape changed start
            # afresh); step count, epochs and history go on.
            trainer.continue_from(keep)
        return trainer

    # ----------------------------------------------------------------- controls
    def play(self) -> None:
        if self._playing:
            return
        if self.trainer.diverged:
            self.message.emit("Training diverged: restore the last good weights or reset first")
            return
        self._playing = True
        self._clock.start()
        self._play_start = (0.0, self.trainer.step_count)
        self._rate_window = [(0.0, self.trainer.step_count)]
        self.playing_changed.emit(True)
        self._timer.start(0)

    def pause(self) -> None:
        if not self._playing:
            return
        self._playing = False
        self._timer.stop()
        self.playing_changed.emit(False)
        self._emit_snapshot()

    def toggle(self) -> None:
        self.pause() if self._playing else self.play()

    def set_speed(self, steps_per_second: int | None) -> None:
        """Steps per second while playing (None: as fast as the machine goes)."""
        self.speed = steps_per_second
        if self._playing:
            self._clock.restart()
            self._play_start = (0.0, self.trainer.step_count)

    def step(self) -> None:
        """One whole step (finishing the current one if a phase step is under way)."""
        self.pause()
        if self._guard():
            self.trainer.step()
            self._shown = "update"
            self._after_steps()

    def step_phase(self) -> str | None:
        """Run the next phase only; returns the phase that ran."""
        self.pause()
        if not self._guard():
            return None
        phase = self.trainer.phase
        getattr(self.trainer, f"{phase}_phase")()
        self._shown = phase
        self._after_steps()
        return phase

    def reset(self) -> None:
        """Fresh initial weights from the seed; the history starts again."""
        self.pause()
        self.document.reset_weights()  # undoable; rebuilds the trainer through network_changed
        self.trainer = self._build_trainer()
        self._shown = None
        self.history_changed.emit()
        self._emit_snapshot()

    def restore_last_good(self) -> None:
        """After divergence: the weights before the step that diverged, training can go on."""
        trainer = self.trainer
        trainer.restore_last_good()
        trainer.clear_divergence()
        self._mark_trained()
        self.message.emit("Restored the last good weights; lower the learning rate and play")
        self._emit_snapshot()

    def _guard(self) -> bool:
        if self.trainer.diverged:
            self.message.emit(self.trainer.diverged)
            return False
        return True

    # ----------------------------------------------------------------- the loop
    def _on_tick(self) -> None:
        if not self._playing:
            return
        trainer = self.trainer
        start = time.perf_counter()
        # Train until the tick's budget is used or the next frame is due, whichever is first,
        # so frames come at a steady rate and the event loop is never held long.
        frame_due = self._last_snapshot + SNAPSHOT_INTERVAL_S
        deadline = min(start + STEP_BUDGET_MS / 1000, max(frame_due, start + 0.001))
        if self.speed is None:
            while time.perf_counter() < deadline and not trainer.diverged:
                trainer.step()
        else:
            elapsed = self._clock.elapsed() / 1000
            due = int(elapsed * self.speed) - (trainer.step_count - self._play_start[1])
            while due > 0 and time.perf_counter() < deadline and not trainer.diverged:
                trainer.step()
                due -= 1
        self._shown = "update"
        self._mark_trained()
        if trainer.diverged:
            self._after_steps()
            return
        if time.perf_counter() >= frame_due:
            self._after_steps()
        if self._playing:
            # Slow speeds wait for their next step; full speed yields to the event loop at once.
            wait = 0 if self.speed is None else max(1, int(1000 / self.speed / 4))
            self._timer.start(min(wait, 250))

    def _after_steps(self) -> None:
        self._mark_trained()
        if self.trainer.diverged:
            was_playing = self._playing
            self._playing = False
            self._timer.stop()
            if was_playing:
                self.playing_changed.emit(False)
            self._emit_snapshot()
            self.diverged.emit(self.trainer.diverged)
            return
        self._emit_snapshot()

    def _mark_trained(self) -> None:
        # Training changed the weights: the document has unsaved changes (not an undoable edit).
        if self.document.undo_stack.isClean():
            self.document.undo_stack.resetClean()

    def _steps_per_second(self) -> float:
        if not self._playing:
            return 0.0
        now = self._clock.elapsed() / 1000
        self._rate_window.append((now, self.trainer.step_count))
        while len(self._rate_window) > 2 and now - self._rate_window[0][0] > 1.0:
            self._rate_window.pop(0)
        t0, s0 = self._rate_window[0]
        return (self.trainer.step_count - s0) / (now - t0) if now > t0 else 0.0

    def snapshot(self) -> Snapshot:
        """A fresh snapshot of the current state."""
        trainer = self.trainer
        net = trainer.net
        hist = trainer.history
        snap = Snapshot(
            step=trainer.step_count,
            epoch=trainer.epoch,
            phase=trainer.phase,
            shown=self._shown,
            playing=self._playing,
            weights=net.get_weights(),
            lr=trainer.current_lr(),
            steps_per_second=self._steps_per_second(),
            diverged=trainer.diverged,
        )
        if len(hist):
            snap.batch_loss = hist.last("batch_loss")
            for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
                setattr(snap, key, hist.last_finite(key))
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
        self._add_grid(snap)
        if self._shown == "update":
            opt = trainer.optimizer
            updates = []
            for i, layer in enumerate(net.layers):
                dw = opt.last_update(i, "weights")
                db = opt.last_update(i, "bias") if layer.use_bias else None
                if dw is None:
                    updates = None
                    break
                updates.append((dw.copy(), np.zeros_like(layer.bias) if db is None else db.copy()))
            snap.updates = updates
        return snap

    def _add_grid(self, snap: Snapshot) -> None:
        data = self.document.data
        dataset = data.dataset
        if dataset.input_dim not in (1, 2):
            return
        net = self.trainer.net
        if dataset.input_dim == 2:
            extent = plane_extent(dataset)
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

    def _emit_snapshot(self) -> None:
        self._last_snapshot = time.perf_counter()
        self.snapshot_ready.emit(self.snapshot())

    # ----------------------------------------------------------------- document changes
    def _on_network_changed(self) -> None:
        # An edit (or undo/redo) may have replaced the network: train the document's network,
        # keeping the step count and history; the step under way starts over.
        self.trainer = self._build_trainer(keep=self.trainer)
        self._shown = None
        if not self._playing:
            self._emit_snapshot()

    def _on_data_changed(self) -> None:
        self.trainer = self._build_trainer(keep=self.trainer)
        self._shown = None

    def _on_settings_changed(self) -> None:
        project = self.document.project
        trainer = self.trainer
        name = project.optimizer.name
        if name != self._optimizer_name:
            # A new optimizer: its state (momentum, moments) starts fresh; the weights stay.
            trainer.optimizer = project.build_optimizer()
            self._optimizer_name = name
            self.message.emit(
                f"Optimizer switched to {name}: its state starts afresh, the weights are kept"
            )
        else:
            params = self.document.optimizer_params()
            for key, value in params.items():
                if getattr(trainer.optimizer, key) != value:
                    setattr(trainer.optimizer, key, value)
        trainer.base_lr = self.document.learning_rate()
        trainer.schedule = project.build_schedule()
        trainer.clip_norm = project.training.clip_norm
        if trainer.batch_size != project.training.batch_size:
            trainer.batch_size = project.training.batch_size

    def _on_project_replaced(self) -> None:
        self.pause()
        self._optimizer_name = self.document.project.optimizer.name
        self.trainer = self._build_trainer()
        self._shown = None
        self.history_changed.emit()
        self._emit_snapshot()

    def shutdown(self) -> None:
        """Stop the timer (the window is closing)."""
        self.pause()
        self._timer.stop()


def plane_extent(dataset) -> tuple[float, float, float, float]:
    """The input plane shown for 2-D data: Playground's [-6, 6]² for generated sets, else the
    data's bounds with a margin."""
    if dataset.name in _datasets.DATASETS:
        return (-PLANE, PLANE, -PLANE, PLANE)
    lo, hi = dataset.X.min(axis=0), dataset.X.max(axis=0)
    pad = np.maximum(0.05 * (hi - lo), 0.5)
    return (
        float(lo[0] - pad[0]),
        float(hi[0] + pad[0]),
        float(lo[1] - pad[1]),
        float(hi[1] + pad[1]),
    )


def next_phase_label(phase: str) -> str:
    """Toolbar text for the phase that runs next."""
    return {
        "forward": "Forward: inputs flow through the layers",
        "backward": "Backward: backpropagation computes every gradient",
        "update": "Update: gradient descent moves the weights",
    }[phase]


assert set(PHASES) == {"forward", "backward", "update"}
