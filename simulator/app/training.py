"""The TrainingController: Play, Pause, Step and the phase steps, without freezing the window.

The controller composes three parts, each with one job, and reacts to the Document's signals:

- :class:`~simulator.app.play_loop.PlayLoop` trains on the GUI thread in short ticks and says
  when a frame is due (at most ~30 a second) and when its stop condition is reached;
- :class:`~simulator.app.frames.FrameBuilder` builds the snapshots the views draw (fresh
  arrays, never views of the live network);
- :class:`~simulator.app.rewind.RewindService` keeps checkpoints, shows earlier steps and
  resumes from them.

One frame clock (``clock``) paces the loop and every view that throttles its redraws.  Views
draw snapshots and never call the engine.  Divergence arrives as a signal.  No widgets here.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from simulator.app import numbers
from simulator.app.clock import Clock
from simulator.app.document import Document
from simulator.app.frames import (
    CURVE_POINTS,
    GRID_SIZE,
    PLANE,
    FrameBuilder,
    Snapshot,
    next_phase_label,
    plane_extent,
)
from simulator.app.play_loop import (
    FRAME_SHARE_LIMIT,
    MAX_STEPS_PER_TICK,
    SNAPSHOT_INTERVAL_S,
    SPEEDS,
    STEP_BUDGET_MS,
    STOP_KINDS,
    WATCHABLE_SPEED,
    PlayLoop,
    StopCondition,
)
from simulator.app.rewind import (
    KEPT_UNDO_RUNS,
    RECORD_MIN_INTERVAL,
    RECORD_SPREAD,
    REWIND_BUDGET,
    RewindService,
)
from simulator.engine.checkpoints import CheckpointStore
from simulator.engine.trainer import Trainer

# Views and tests import these from here (the controller's module).
__all__ = [
    "CURVE_POINTS",
    "FRAME_SHARE_LIMIT",
    "GRID_SIZE",
    "KEPT_UNDO_RUNS",
    "MAX_STEPS_PER_TICK",
    "PLANE",
    "RECORD_MIN_INTERVAL",
    "RECORD_SPREAD",
    "REWIND_BUDGET",
    "SNAPSHOT_INTERVAL_S",
    "SPEEDS",
    "STEP_BUDGET_MS",
    "STOP_KINDS",
    "WATCHABLE_SPEED",
    "Clock",
    "Snapshot",
    "StopCondition",
    "TrainingController",
    "next_phase_label",
    "plane_extent",
]


class TrainingController(QObject):
    """Drives a Trainer over the Document's network.  play(), pause(), step(), step_phase().

    ``play_loop``, ``frames`` and ``rewind`` are its parts (see the module docstring).
    """

    snapshot_ready = Signal(object)  # Snapshot
    playing_changed = Signal(bool)
    diverged = Signal(str)
    message = Signal(str)  # for the status bar: "Optimizer switched to SGD: its state starts…"
    history_changed = Signal()  # the history was reset or truncated (plots redraw whole)
    rewind_changed = Signal(object)  # the step shown by rewinding, None: back to the live run
    finished = Signal(object)  # StopCondition: Play reached it and paused
    stop_condition_changed = Signal(object)  # StopCondition | None

    def __init__(
        self, document: Document, parent: QObject | None = None, clock: Clock | None = None
    ):
        super().__init__(parent)
        self.document = document
        # ``Clock`` is looked up here when the controller is made (tests replace it).
        self._clock = clock if clock is not None else Clock()
        self.frames = FrameBuilder(document)
        self.trainer = self._build_trainer(resume=document.saved_training)
        self.frames.evaluate_afresh(self.trainer)
        self.rewind = RewindService(self)
        self._loss_target: float | None = None  # a stop at a loss (not saved in the project)
        self._editing_length = False
        self.play_loop = PlayLoop(
            clock=lambda: self._clock,
            trainer=lambda: self.trainer,
            record=self.rewind.record,
            trained=self._on_trained,
            frame=self._after_steps,
            stopped=self._on_stop_reached,
            parent=self,
        )
        self.play_loop.set_stop_condition(self.stop_condition)
        self.rewind.record()
        document.about_to_edit.connect(self._on_about_to_edit)
        document.network_changed.connect(self._on_network_changed)
        document.data_changed.connect(self._on_data_changed)
        document.settings_changed.connect(self._on_settings_changed)
        document.project_replaced.connect(self._on_project_replaced)
        document.length_changed.connect(self._sync_stop_condition)

    # ----------------------------------------------------------------- state
    @property
    def clock(self) -> Clock:
        """The frame clock of the play loop and of every view that throttles its redraws
        (they read it each time: a test may set a ManualClock)."""
        return self._clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self._clock = clock
        self.play_loop.clock_changed()  # times read from the old clock mean nothing now

    @property
    def playing(self) -> bool:
        return self.play_loop.playing

    @property
    def speed(self) -> int | None:
        """Steps per second while playing; None = as fast as possible."""
        return self.play_loop.speed

    @speed.setter
    def speed(self, steps_per_second: int | None) -> None:
        self.play_loop.speed = steps_per_second

    @property
    def stop_condition(self) -> StopCondition | None:
        """Where Play pauses by itself: the project's length (its ``training.steps`` or
        ``epochs``, counted from the start of the run), else a target training loss set by
        :meth:`set_stop_condition`, else None (Play goes on until paused)."""
        training = self.document.project.training
        if training.steps is not None:
            return StopCondition("steps", training.steps)
        if training.epochs is not None:
            return StopCondition("epochs", training.epochs)
        if self._loss_target is not None:
            return StopCondition("loss", self._loss_target)
        return None

    def set_stop_condition(self, condition: StopCondition | None) -> None:
        """Where Play pauses.  A step or epoch is the project's length (an undoable edit
        that is saved with it); a target loss lives in this session only (and the project
        then has no length)."""
        if condition is not None and condition.kind == "loss":
            self._loss_target = condition.value
            steps = epochs = None
        else:
            if condition is None:
                self._loss_target = None
            steps = int(condition.value) if condition and condition.kind == "steps" else None
            epochs = condition.value if condition and condition.kind == "epochs" else None
        # Not an edit of the run: a rewound step stays shown (see _on_about_to_edit).
        self._editing_length = True
        try:
            self.document.set_length(steps=steps, epochs=epochs)
        finally:
            self._editing_length = False
        self._sync_stop_condition()

    def _sync_stop_condition(self) -> None:
        condition = self.stop_condition
        if condition != self.play_loop.stop_condition:
            self.play_loop.set_stop_condition(condition)
            self.stop_condition_changed.emit(condition)

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
        return self.rewind.checkpoints

    @property
    def viewed_step(self) -> int | None:
        """The step shown by rewinding; None while the live run is shown."""
        return self.rewind.viewed_step

    def rewind_range(self) -> tuple[int, int]:
        """(first, last): the steps rewinding can show; last is the live step."""
        return self.rewind.rewind_range()

    @property
    def segment_reason(self) -> str:
        """Why rewinding stops at the first step of :meth:`rewind_range` ("the data changed")."""
        return self.rewind.segment_reason

    @property
    def shown_trainer(self) -> Trainer:
        """The trainer whose state the views show: the replayed copy while rewound (read it,
        never train it), else the live trainer."""
        return self.rewind.shown_trainer

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
        if self.playing:
            return
        if not self.rewind.resume_if_rewound():
            return
        if self.trainer.diverged:
            self.message.emit("Training diverged: restore the last good weights or reset first")
            return
        self.play_loop.start()
        self.playing_changed.emit(True)
        condition = self.play_loop.stop_condition
        if condition is not None and not self.play_loop.stops_this_play:
            self.message.emit(
                f"Already at {condition.describe()} (the stop condition): playing on until paused"
            )

    def pause(self) -> None:
        if self._stop_playing():
            self.emit_snapshot()

    def _stop_playing(self) -> bool:
        """Stop the training timer; True if it was playing."""
        if not self.play_loop.stop():
            return False
        self.playing_changed.emit(False)
        return True

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def set_speed(self, steps_per_second: int | None) -> None:
        """Steps per second while playing (None: as fast as the machine goes)."""
        self.play_loop.set_speed(steps_per_second)

    def step(self) -> None:
        """One whole step (finishing the current one if a phase step is under way)."""
        self.pause()
        if self.rewind.resume_if_rewound() and self._guard():
            self.trainer.step()
            self.rewind.record()
            self.frames.shown = "update"
            self.frames.by_phase = False
            self._after_steps()

    def step_phase(self) -> str | None:
        """Run the next phase only; returns the phase that ran."""
        self.pause()
        if not (self.rewind.resume_if_rewound() and self._guard()):
            return None
        phase = self.trainer.phase
        getattr(self.trainer, f"{phase}_phase")()
        self.rewind.record()
        self.frames.shown = phase
        self.frames.by_phase = True
        self._after_steps()
        return phase

    def reset(self) -> None:
        """Fresh initial weights from the seed; the history starts again."""
        self.pause()
        self.rewind.drop(None)
        self.document.reset_weights()  # undoable; rebuilds the trainer through network_changed
        self._start_afresh("the weights were reset")

    def _start_afresh(self, reason: str, resume=None) -> None:
        """A new trainer on the document's network: step 0, empty history, new checkpoints
        (or, with ``resume``, a saved project's run from its last step)."""
        self.trainer = self._build_trainer(resume=resume)
        self.frames.shown = None
        self.frames.evaluate_afresh(self.trainer)
        self.rewind.new_segment(reason)
        self.history_changed.emit()
        self.emit_snapshot()

    def restore_last_good(self) -> None:
        """After divergence: the weights before the step that diverged, training can go on."""
        self.rewind.drop(None)
        trainer = self.trainer
        trainer.restore_last_good()
        trainer.clear_divergence()
        # The weights jumped back but the step count did not: a replay cannot cross this.
        self.rewind.new_segment("the last good weights were restored")
        self._mark_trained()
        self.message.emit("Restored the last good weights; lower the learning rate and play")
        self.emit_snapshot()

    def _guard(self) -> bool:
        if self.trainer.diverged:
            self.message.emit(self.trainer.diverged)
            return False
        return True

    # ----------------------------------------------------------------- frames
    def _on_trained(self) -> None:
        # The play loop trained a tick's steps (then calls _after_steps if a frame is due).
        self.frames.shown = "update"
        self.frames.by_phase = False
        self._mark_trained()

    def _after_steps(self) -> None:
        self._mark_trained()
        if self.trainer.diverged:
            self._stop_playing()
            self.emit_snapshot()
            self.diverged.emit(self.trainer.diverged)
            return
        self.emit_snapshot()

    def _on_stop_reached(self) -> None:
        # The play loop reached its stop condition (exactly: no step past it).
        condition = self.play_loop.stop_condition
        self._stop_playing()
        self.emit_snapshot()
        trainer = self.trainer
        if condition.kind == "loss":
            loss = trainer.history.last_finite("train_loss")
            text = (
                f"Stopped at step {trainer.step_count:,}: the training loss "
                f"{numbers.fmt(loss)} reached the target ≤ {numbers.fmt(condition.value)}"
            )
        else:
            text = f"Stopped at {condition.describe()} (the project's length)"
        self.message.emit(text)
        self.finished.emit(condition)

    def _mark_trained(self) -> None:
        # Training changed the weights: the document has unsaved changes (not an undoable edit).
        if self.document.undo_stack.isClean():
            self.document.undo_stack.resetClean()

    def snapshot(self) -> Snapshot:
        """A fresh snapshot of the state shown: the live run's, or the rewound step's."""
        rewound = self.rewind.snapshot
        if rewound is not None:
            return rewound
        return self.frames.live(self.trainer, self.playing, self.play_loop.steps_per_second())

    def emit_snapshot(self) -> None:
        """Send the snapshot of the state shown to the views (``snapshot_ready``)."""
        self.play_loop.frame_sent()
        self.snapshot_ready.emit(self.snapshot())

    # ----------------------------------------------------------------- rewinding
    def rewind_to(self, step: int) -> Snapshot | None:
        """Pause and show the run as it was at ``step``: emits its snapshot (``rewound`` True).

        Steps before the last edit (see :meth:`rewind_range`) show the first step after it,
        with a message; the live step leaves rewinding.  The live run is not changed.
        Returns the snapshot shown (None when back to the live run).
        """
        return self.rewind.rewind_to(step)

    def leave_rewind(self) -> None:
        """Back to the live run (it was never changed): its snapshot goes out."""
        self.rewind.leave_rewind()

    def resume_from_here(self) -> bool:
        """Make the rewound step the live run (undoable): its weights go into the document's
        network; optimizer, batch order and RNGs as they were then; the later history and
        checkpoints are dropped (Undo brings them back).  Returns False if nothing is rewound.
        """
        return self.rewind.resume_from_here()

    # ----------------------------------------------------------------- document changes
    def _on_network_changed(self) -> None:
        # An edit (or undo/redo) may have replaced the network: train the document's network,
        # keeping the step count and history; the step under way starts over.
        if self.document.is_replacing:
            return  # a new project: _on_project_replaced built its trainer
        self.rewind.drop(
            "Back to the latest step: edits apply to the live network "
            "(Resume from here first to edit an earlier step)"
        )
        self._continue_after_edit("the network was edited")

    def _on_data_changed(self) -> None:
        if self.document.is_replacing:
            return
        self.rewind.drop("Back to the latest step: the data changed")
        self._continue_after_edit("the data changed")

    def _continue_after_edit(self, reason: str) -> None:
        """The same run goes on over the document's (new) network and data."""
        self.trainer = self._build_trainer(keep=self.trainer)
        self.frames.shown = None
        self.frames.evaluate_afresh(self.trainer)
        self.rewind.new_segment(reason)
        if not self.playing:
            self.emit_snapshot()  # the status bar shows the new figures at once

    def _on_about_to_edit(self) -> None:
        # An edit while an earlier step is shown applies to that step: the run resumes from
        # it first (its own undo step, under the edit's: Undo takes back the edit, then the
        # resume).  A new stop condition is no edit of the run: the step stays shown.
        if not self._editing_length:
            self.rewind.resume_if_rewound()

    def _on_settings_changed(self) -> None:
        if self.document.is_replacing:
            # The last of a new project's signals: every view now fits its network and data.
            self.emit_snapshot()
            return
        # A setting changed while an earlier step is shown: train from that step with it.
        self.rewind.resume_if_rewound()
        self.rewind.drop(None)
        self.apply_settings(self.trainer, announce=True)
        self.rewind.new_segment("the settings changed")

    def apply_settings(self, trainer: Trainer, announce: bool = False) -> None:
        """Give ``trainer`` the document's optimizer, learning rate, schedule, clipping and
        batch size (``announce``: say so when the optimizer is replaced)."""
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
        self.rewind.drop(None)
        self.rewind.forget_resumes()
        self._loss_target = None  # the new project's own length, if any, says where to stop
        self._start_afresh("the project was opened", resume=self.document.saved_training)
        self._sync_stop_condition()

    def project_to_save(self):
        """The open project with the live run: weights, step count, history and the trainer's
        state, so that reopening it trains on exactly as if it had never stopped."""
        return self.document.project.capture(self.trainer)

    def shutdown(self) -> None:
        """Stop the timer (the window is closing)."""
        self.pause()
        self.play_loop.stop()
