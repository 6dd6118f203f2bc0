"""The TrainingController: Play, Pause, Step and the phase steps, without freezing the window.

A 0 ms timer on the GUI thread runs training steps until its time budget (~8 ms) is used,
then yields to the event loop; a snapshot (fresh arrays, never views of the live network)
goes out at most ~30 times a second.  Views draw snapshots and never call the engine.
Divergence arrives as a signal.  No widgets here.

Rewinding: as training runs, checkpoints go into a CheckpointStore (a budget of
``REWIND_BUDGET`` bytes, dense for recent steps, thinned for older ones).  ``rewind_to(step)``
shows any step since the last edit exactly (replayed in a fork; the live run is untouched),
``leave_rewind()`` goes back to now, and ``resume_from_here()`` makes the viewed step the live
run, as an undoable command that keeps the later history for Undo.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand

from simulator.app.clock import Clock
from simulator.app.document import Document
from simulator.engine import datasets as _datasets
from simulator.engine import losses
from simulator.engine.checkpoints import CheckpointStore, load_network, save_network, state_at
from simulator.engine.trainer import PHASES, Checkpoint, Trainer

STEP_BUDGET_MS = 8.0
# A tick trains at most this many steps even if its clock has not reached the budget (a clock
# that stands still, as a test's may, or a coarse one): the event loop is never held long.
MAX_STEPS_PER_TICK = 512
GRID_SIZE = 48  # the input plane is sampled on GRID_SIZE x GRID_SIZE points (maps, boundary)
CURVE_POINTS = 200  # 1-D data: the fitted curve's points
PLANE = 6.0  # generated 2-D data lie in [-PLANE, PLANE]²
SNAPSHOT_INTERVAL_S = 1 / 36  # a frame every ~28 ms asked: >= 30 drawn per second
# When drawing a frame (the views' slots and the paint that follows) takes longer, frames come
# further apart, so training keeps at least 1 / FRAME_SHARE_LIMIT of the time: on a busy
# machine a 50 ms frame left the loop 1 ms per frame (a few steps a second).
FRAME_SHARE_LIMIT = 2.0
SPEEDS = (1, 2, 5, 10, 30, 100, 300, 1000, None)  # steps per second; None = as fast as possible
REWIND_BUDGET = 64 * 1024 * 1024  # bytes of checkpoints kept for rewinding
# A checkpoint every max(1, steps since the segment began * RECORD_SPREAD / capacity) steps,
# capacity = how many checkpoints the budget holds (CheckpointStore.record_interval).
RECORD_SPREAD = 4
# At least this many steps between checkpoints: one costs ~20 µs with its bookkeeping, a
# small step ~80 µs, so recording stays near 1.5 % of the training time (it was 5-8 % at 4,
# measured in the window on XOR), and showing an early step replays at most 15 steps (about
# 1 ms on XOR or digits).
RECORD_MIN_INTERVAL = 16
KEPT_UNDO_RUNS = 2  # Resume commands that keep their other run's checkpoints (memory)


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


@dataclasses.dataclass
class _Rewound:
    step: int
    checkpoint: Checkpoint | None  # None: that step's replay diverged (it cannot be resumed)
    snapshot: Snapshot
    trainer: Trainer  # the replayed copy, at ``step`` (its batch, gradients and update)


@dataclasses.dataclass
class _Run:
    """A live run set aside by Resume from here (for Undo/Redo): the trainer object, the
    network's weights and dropout RNG, and the checkpoints (None once released)."""

    trainer: Trainer
    network: tuple
    store: CheckpointStore | None
    segment: str


class _ResumeCommand(QUndoCommand):
    """Resume from step N: the rewound state becomes the live run; undo swaps the later run
    (its history, checkpoints, weights and optimizer state) back in."""

    def __init__(self, controller: TrainingController, run: _Run, step: int):
        super().__init__(f"Resume from step {step:,}")
        self._controller = controller
        self._other = run  # the run that is not live: the resumed one until the first redo

    def redo(self) -> None:
        self._other = self._controller._swap_run(self._other)

    def undo(self) -> None:
        self._other = self._controller._swap_run(self._other)

    def release_checkpoints(self) -> None:
        self._other.store = None


class TrainingController(QObject):
    """Drives a Trainer over the Document's network.  play(), pause(), step(), step_phase()."""

    snapshot_ready = Signal(object)  # Snapshot
    playing_changed = Signal(bool)
    diverged = Signal(str)
    message = Signal(str)  # for the status bar: "Optimizer switched to SGD: its state starts…"
    history_changed = Signal()  # the history was reset or truncated (plots redraw whole)
    rewind_changed = Signal(object)  # the step shown by rewinding, None: back to the live run

    def __init__(
        self, document: Document, parent: QObject | None = None, clock: Clock | None = None
    ):
        super().__init__(parent)
        self.document = document
        self._clock = clock if clock is not None else Clock()
        self.speed: int | None = None  # steps per second; None = as fast as possible
        self._playing = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_tick)
        self._last_snapshot = -math.inf
        self._frame_cost = 0.0  # seconds a frame took, from its emission to the next tick (EMA)
        self._framed = False  # the last tick ended with a frame
        self._rate_window: list[tuple[float, int]] = []
        self._play_start = (0.0, 0)  # (clock time, step count) when playing began
        self._shown: str | None = None
        # (step, figures): the full-set losses and accuracies evaluated when the data or the
        # network last changed; snapshots show them until training evaluates again.
        self._fresh: tuple[int, dict[str, float]] | None = None
        self.trainer = self._build_trainer(resume=document.saved_training)
        self._evaluate_afresh()
        self._store = CheckpointStore(REWIND_BUDGET)
        self._record_interval = 1
        self._segment = "the run began"  # why rewinding cannot go before the store's first step
        self._rewound: _Rewound | None = None
        self._resume_commands: list[_ResumeCommand] = []
        self._record()
        document.about_to_edit.connect(self._on_about_to_edit)
        document.network_changed.connect(self._on_network_changed)
        document.data_changed.connect(self._on_data_changed)
        document.settings_changed.connect(self._on_settings_changed)
        document.project_replaced.connect(self._on_project_replaced)

    # ----------------------------------------------------------------- state
    @property
    def clock(self) -> Clock:
        """The frame clock of the play loop and of every view that throttles its redraws
        (they read it each time: a test may set a ManualClock)."""
        return self._clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self._clock = clock
        # Times read from the old clock mean nothing on the new one.
        self._last_snapshot = -math.inf
        self._frame_cost, self._framed = 0.0, False
        now = clock.now()
        self._play_start = (now, self.trainer.step_count)
        self._rate_window = [(now, self.trainer.step_count)]

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

    @property
    def checkpoints(self) -> CheckpointStore:
        """The live run's checkpoints (read them; the controller changes them)."""
        return self._store

    @property
    def viewed_step(self) -> int | None:
        """The step shown by rewinding; None while the live run is shown."""
        return self._rewound.step if self._rewound is not None else None

    def rewind_range(self) -> tuple[int, int]:
        """(first, last): the steps rewinding can show; last is the live step."""
        first = self._store.first_step
        last = self.trainer.step_count
        return (last if first is None else min(first, last)), last

    @property
    def segment_reason(self) -> str:
        """Why rewinding stops at the first step of :meth:`rewind_range` ("the data changed")."""
        return self._segment

    def _build_trainer(self, keep: Trainer | None = None, resume=None) -> Trainer:
        doc = self.document
        # ``resume``: a saved project whose run goes on (its step count, history and state).
        trainer = (resume or doc.project).build_trainer(net=doc.network, data=doc.data)
        if keep is not None:
            # Same run: the optimizer keeps its state (entries whose shape changed start
            # afresh); step count, epochs and history go on.
            trainer.continue_from(keep)
        return trainer

    # ----------------------------------------------------------------- controls
    def play(self) -> None:
        """Train continuously; while a rewound step is shown, training resumes from it."""
        if self._playing:
            return
        if not self._resume_if_rewound():
            return
        if self.trainer.diverged:
            self.message.emit("Training diverged: restore the last good weights or reset first")
            return
        self._playing = True
        self._framed = False
        now = self.clock.now()
        self._play_start = (now, self.trainer.step_count)
        self._rate_window = [(now, self.trainer.step_count)]
        self.playing_changed.emit(True)
        self._timer.start(0)

    def pause(self) -> None:
        if self._stop_playing():
            self._emit_snapshot()

    def _stop_playing(self) -> bool:
        """Stop the training timer; True if it was playing."""
        if not self._playing:
            return False
        self._playing = False
        self._timer.stop()
        self.playing_changed.emit(False)
        return True

    def toggle(self) -> None:
        self.pause() if self._playing else self.play()

    def set_speed(self, steps_per_second: int | None) -> None:
        """Steps per second while playing (None: as fast as the machine goes)."""
        self.speed = steps_per_second
        if self._playing:
            self._play_start = (self.clock.now(), self.trainer.step_count)

    def step(self) -> None:
        """One whole step (finishing the current one if a phase step is under way)."""
        self.pause()
        if self._resume_if_rewound() and self._guard():
            self.trainer.step()
            self._record()
            self._shown = "update"
            self._after_steps()

    def step_phase(self) -> str | None:
        """Run the next phase only; returns the phase that ran."""
        self.pause()
        if not (self._resume_if_rewound() and self._guard()):
            return None
        phase = self.trainer.phase
        getattr(self.trainer, f"{phase}_phase")()
        self._record()
        self._shown = phase
        self._after_steps()
        return phase

    def reset(self) -> None:
        """Fresh initial weights from the seed; the history starts again."""
        self.pause()
        self._drop_rewind(None)
        self.document.reset_weights()  # undoable; rebuilds the trainer through network_changed
        self._start_afresh("the weights were reset")

    def _start_afresh(self, reason: str, resume=None) -> None:
        """A new trainer on the document's network: step 0, empty history, new checkpoints
        (or, with ``resume``, a saved project's run from its last step)."""
        self.trainer = self._build_trainer(resume=resume)
        self._shown = None
        self._evaluate_afresh()
        self._new_segment(reason)
        self.history_changed.emit()
        self._emit_snapshot()

    def restore_last_good(self) -> None:
        """After divergence: the weights before the step that diverged, training can go on."""
        self._drop_rewind(None)
        trainer = self.trainer
        trainer.restore_last_good()
        trainer.clear_divergence()
        # The weights jumped back but the step count did not: a replay cannot cross this.
        self._new_segment("the last good weights were restored")
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
        now = self.clock.now
        start = now()
        if self._framed:
            cost = start - self._last_snapshot
            self._frame_cost = cost if not self._frame_cost else 0.7 * self._frame_cost + 0.3 * cost
            self._framed = False
        # Train until the tick's budget is used or the next frame is due, whichever is first,
        # so frames come at a steady rate and the event loop is never held long.
        interval = max(SNAPSHOT_INTERVAL_S, FRAME_SHARE_LIMIT * self._frame_cost)
        frame_due = self._last_snapshot + interval
        deadline = min(start + STEP_BUDGET_MS / 1000, max(frame_due, start + 0.001))
        if self.speed is None:
            due = MAX_STEPS_PER_TICK
        else:
            due = int((start - self._play_start[0]) * self.speed) - (
                trainer.step_count - self._play_start[1]
            )
            due = min(due, MAX_STEPS_PER_TICK)
        record = self._record
        while due > 0 and now() < deadline and not trainer.diverged:
            trainer.step()
            record()
            due -= 1
        self._shown = "update"
        self._mark_trained()
        if trainer.diverged:
            self._after_steps()
            return
        if now() >= frame_due:
            self._after_steps()
            self._framed = True
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
        now = self.clock.now()
        self._rate_window.append((now, self.trainer.step_count))
        while len(self._rate_window) > 2 and now - self._rate_window[0][0] > 1.0:
            self._rate_window.pop(0)
        t0, s0 = self._rate_window[0]
        return (self.trainer.step_count - s0) / (now - t0) if now > t0 else 0.0

    def snapshot(self) -> Snapshot:
        """A fresh snapshot of the state shown: the live run's, or the rewound step's."""
        if self._rewound is not None:
            return self._rewound.snapshot
        return self._snapshot_of(self.trainer, len(self.trainer.history), self._shown)

    def _snapshot_of(
        self, trainer: Trainer, rows: int, shown: str | None, updates: bool = False
    ) -> Snapshot:
        # ``rows``: how many of the live history's rows lead up to ``trainer``'s state.
        net = trainer.net
        snap = Snapshot(
            step=trainer.step_count,
            epoch=trainer.epoch,
            phase=trainer.phase,
            shown=shown,
            playing=self._playing,
            weights=net.get_weights(),
            lr=trainer.current_lr(),
            steps_per_second=self._steps_per_second(),
            diverged=trainer.diverged,
        )
        hist = self.trainer.history
        rows = min(rows, len(hist))
        # Rows from before the last change of data or network describe another problem.
        fresh = self._fresh if trainer is self.trainer else None
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
        if trainer is not self.trainer and len(own) and own.last("step") == trainer.step_count:
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
        self._last_snapshot = self.clock.now()
        self.snapshot_ready.emit(self.snapshot())

    # ----------------------------------------------------------------- rewinding
    def _record(self) -> None:
        """Keep a checkpoint of the step just finished if one is due (cheap when not)."""
        trainer = self.trainer
        last = self._store.last_step
        if last is not None and trainer.step_count - last < self._record_interval:
            return
        if trainer.phase != "forward" or trainer.diverged:
            return
        checkpoint = trainer.checkpoint()
        self._store.add(checkpoint)
        self._record_interval = self._store.record_interval(
            trainer.step_count, checkpoint.nbytes, RECORD_SPREAD, RECORD_MIN_INTERVAL
        )

    def _new_segment(self, reason: str) -> None:
        """Forget the checkpoints: rewinding starts again from now (``reason`` says why)."""
        store = self._store
        if len(store) != 1 or store.last_step != self.trainer.step_count:
            self._segment = reason  # else nothing trained since the last reason: it stands
        self._store = CheckpointStore(REWIND_BUDGET)
        self._record_interval = 1
        self._record()

    def rewind_to(self, step: int) -> Snapshot | None:
        """Pause and show the run as it was at ``step``: emits its snapshot (``rewound`` True).

        Steps before the last edit (see :meth:`rewind_range`) show the first step after it,
        with a message; the live step leaves rewinding.  The live run is not changed.
        Returns the snapshot shown (None when back to the live run).
        """
        self.pause()
        first, last = self.rewind_range()
        step = int(step)
        if step < first:
            self.message.emit(
                f"Rewinding stops at step {first:,}: {self._segment} there, and the steps "
                "before it trained under what came before"
            )
            step = first
        if step >= last:
            self.leave_rewind()
            return None
        if self._rewound is not None and self._rewound.step == step:
            return self._rewound.snapshot
        fork, checkpoint = state_at(self.trainer, self._store, step)
        rows = self.history.rows_through(step) if checkpoint is not None else len(self.history)
        snap = self._snapshot_of(fork, rows, None, updates=True)
        snap.rewound, snap.live_step, snap.phase = True, last, "forward"
        self._rewound = _Rewound(step, checkpoint, snap, fork)
        self.rewind_changed.emit(step)
        self._emit_snapshot()
        return snap

    @property
    def shown_trainer(self) -> Trainer:
        """The trainer whose state the views show: the replayed copy while rewound (read it,
        never train it), else the live trainer."""
        return self.trainer if self._rewound is None else self._rewound.trainer

    def leave_rewind(self) -> None:
        """Back to the live run (it was never changed): its snapshot goes out."""
        if self._rewound is None:
            return
        self._rewound = None
        self._shown = None  # the weights, not the last update's animation again
        self.rewind_changed.emit(None)
        self._emit_snapshot()

    def resume_from_here(self) -> bool:
        """Make the rewound step the live run (undoable): its weights go into the document's
        network; optimizer, batch order and RNGs as they were then; the later history and
        checkpoints are dropped (Undo brings them back).  Returns False if nothing is rewound.
        """
        rewound = self._rewound
        if rewound is None:
            return False
        if rewound.checkpoint is None:
            self.message.emit(f"Training diverged at step {rewound.step:,}: rewind further back")
            return False
        resumed = self.trainer.fork()
        resumed.restore(rewound.checkpoint)
        store = self._store.copy()
        store.add(rewound.checkpoint)  # drops the later ones
        run = _Run(resumed, (rewound.checkpoint.weights, rewound.checkpoint.dropout_rng),
                   store, self._segment)  # fmt: skip
        command = _ResumeCommand(self, run, rewound.step)
        self.document.undo_stack.push(command)  # runs redo(): the swap
        self._resume_commands = [c for c in self._resume_commands[-KEPT_UNDO_RUNS + 1 :]]
        if len(self._resume_commands) >= KEPT_UNDO_RUNS:
            self._resume_commands.pop(0).release_checkpoints()
        self._resume_commands.append(command)
        return True

    def _resume_if_rewound(self) -> bool:
        """Training from a rewound step resumes from it; False if that cannot be done."""
        if self._rewound is None:
            return True
        step = self._rewound.step
        if not self.resume_from_here():
            return False
        self.message.emit(f"Resumed from step {step:,} (Undo brings back the later steps)")
        return True

    def _swap_run(self, run: _Run) -> _Run:
        """Make ``run`` the live one; returns the live run it replaced."""
        net = self.document.network
        current = _Run(self.trainer, save_network(net), self._store, self._segment)
        load_network(net, run.network)
        trainer = run.trainer
        trainer.net = net  # an undone edit may have given the document a new network object
        self.trainer = trainer
        self._apply_settings(trainer)
        self._rewound = None
        self._shown = None
        if run.store is None:
            self._new_segment("its earlier checkpoints were released to save memory")
        else:
            self._store, self._segment = run.store, run.segment
            self._record_interval = 1
        self.rewind_changed.emit(None)
        self.history_changed.emit()
        self._emit_snapshot()
        return current

    def _drop_rewind(self, message: str | None) -> None:
        # An edit applies to the live run: leave the rewound view (saying so).
        if self._rewound is None:
            return
        self._rewound = None
        self.rewind_changed.emit(None)
        if message:
            self.message.emit(message)

    # ----------------------------------------------------------------- document changes
    def _on_network_changed(self) -> None:
        # An edit (or undo/redo) may have replaced the network: train the document's network,
        # keeping the step count and history; the step under way starts over.
        if self.document.is_replacing:
            return  # a new project: _on_project_replaced built its trainer
        self._drop_rewind(
            "Back to the latest step: edits apply to the live network "
            "(Resume from here first to edit an earlier step)"
        )
        self.trainer = self._build_trainer(keep=self.trainer)
        self._shown = None
        self._evaluate_afresh()
        self._new_segment("the network was edited")
        if not self._playing:
            self._emit_snapshot()

    def _on_data_changed(self) -> None:
        if self.document.is_replacing:
            return
        self._drop_rewind("Back to the latest step: the data changed")
        self.trainer = self._build_trainer(keep=self.trainer)
        self._shown = None
        self._evaluate_afresh()
        self._new_segment("the data changed")
        if not self._playing:
            self._emit_snapshot()  # the status bar shows the new data's figures at once

    def _evaluate_afresh(self) -> None:
        trainer = self.trainer
        self._fresh = (trainer.step_count, trainer.evaluate())

    def _on_about_to_edit(self) -> None:
        # An edit while an earlier step is shown applies to that step: the run resumes from
        # it first (its own undo step, under the edit's: Undo takes back the edit, then the
        # resume).
        self._resume_if_rewound()

    def _on_settings_changed(self) -> None:
        if self.document.is_replacing:
            # The last of a new project's signals: every view now fits its network and data.
            self._emit_snapshot()
            return
        # A setting changed while an earlier step is shown: train from that step with it.
        self._resume_if_rewound()
        self._drop_rewind(None)
        self._apply_settings(self.trainer, announce=True)
        self._new_segment("the settings changed")

    def _apply_settings(self, trainer: Trainer, announce: bool = False) -> None:
        project = self.document.project
        name = project.optimizer.name
        if name != trainer.optimizer.name:
            # A new optimizer: its state (momentum, moments) starts fresh; the weights stay.
            trainer.optimizer = project.build_optimizer()
            if announce:
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
        # Stop without a snapshot: the old run's network cannot draw the new project's data.
        self._stop_playing()
        self._drop_rewind(None)
        self._resume_commands.clear()
        self._start_afresh("the project was opened", resume=self.document.saved_training)

    def project_to_save(self):
        """The open project with the live run: weights, step count, history and the trainer's
        state, so that reopening it trains on exactly as if it had never stopped."""
        return self.document.project.capture(self.trainer)

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
