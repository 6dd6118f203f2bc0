"""The rewind service: checkpoints of the live run, showing an earlier step, resuming from it.

As training runs, checkpoints go into a CheckpointStore (a budget of ``REWIND_BUDGET`` bytes,
dense for recent steps, thinned for older ones).  ``rewind_to(step)`` shows any step since the
last edit exactly (replayed in a fork; the live run is untouched), ``leave_rewind()`` goes back
to now, and ``resume_from_here()`` makes the viewed step the live run, as an undoable command
that keeps the later history for Undo.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

from simulator.app.frames import Snapshot
from simulator.engine.checkpoints import CheckpointStore, load_network, save_network, state_at
from simulator.engine.trainer import Checkpoint, Trainer

if TYPE_CHECKING:
    from simulator.app.training import TrainingController

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

    def __init__(self, service: RewindService, run: _Run, step: int):
        super().__init__(f"Resume from step {step:,}")
        self._service = service
        self._other = run  # the run that is not live: the resumed one until the first redo

    def redo(self) -> None:
        self._other = self._service._swap_run(self._other)

    def undo(self) -> None:
        self._other = self._service._swap_run(self._other)

    def release_checkpoints(self) -> None:
        self._other.store = None


class RewindService:
    """The controller's checkpoints and rewound view.

    It reads the live run through the ``controller`` (its trainer, history and document),
    shows frames through ``controller.frames`` and ``controller.emit_snapshot()``, and reports
    through the controller's signals (``rewind_changed``, ``history_changed``, ``message``).
    """

    def __init__(self, controller: TrainingController):
        self.controller = controller
        self._store = CheckpointStore(REWIND_BUDGET)
        self._record_interval = 1
        self._segment = "the run began"  # why rewinding cannot go before the store's first step
        self._rewound: _Rewound | None = None
        self._resume_commands: list[_ResumeCommand] = []

    # ----------------------------------------------------------------- state
    @property
    def checkpoints(self) -> CheckpointStore:
        """The live run's checkpoints (read them; the service changes them)."""
        return self._store

    @property
    def viewed_step(self) -> int | None:
        """The step shown by rewinding; None while the live run is shown."""
        return self._rewound.step if self._rewound is not None else None

    @property
    def snapshot(self) -> Snapshot | None:
        """The rewound step's snapshot; None while the live run is shown."""
        return self._rewound.snapshot if self._rewound is not None else None

    @property
    def shown_trainer(self) -> Trainer:
        """The trainer whose state the views show: the replayed copy while rewound (read it,
        never train it), else the live trainer."""
        return self.controller.trainer if self._rewound is None else self._rewound.trainer

    def rewind_range(self) -> tuple[int, int]:
        """(first, last): the steps rewinding can show; last is the live step."""
        first = self._store.first_step
        last = self.controller.trainer.step_count
        return (last if first is None else min(first, last)), last

    @property
    def segment_reason(self) -> str:
        """Why rewinding stops at the first step of :meth:`rewind_range` ("the data changed")."""
        return self._segment

    # ----------------------------------------------------------------- recording
    def record(self) -> None:
        """Keep a checkpoint of the step just finished if one is due (cheap when not)."""
        trainer = self.controller.trainer
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

    def new_segment(self, reason: str) -> None:
        """Forget the checkpoints: rewinding starts again from now (``reason`` says why)."""
        store = self._store
        if len(store) != 1 or store.last_step != self.controller.trainer.step_count:
            self._segment = reason  # else nothing trained since the last reason: it stands
        self._store = CheckpointStore(REWIND_BUDGET)
        self._record_interval = 1
        self.record()

    # ----------------------------------------------------------------- showing a step
    def rewind_to(self, step: int) -> Snapshot | None:
        """Pause and show the run as it was at ``step``: emits its snapshot (``rewound`` True).

        Steps before the last edit (see :meth:`rewind_range`) show the first step after it,
        with a message; the live step leaves rewinding.  The live run is not changed.
        Returns the snapshot shown (None when back to the live run).
        """
        controller = self.controller
        controller.pause()
        first, last = self.rewind_range()
        step = int(step)
        if step < first:
            controller.message.emit(
                f"Rewinding stops at step {first:,}: {self._segment} there, and the steps "
                "before it trained under what came before"
            )
            step = first
        if step >= last:
            self.leave_rewind()
            return None
        if self._rewound is not None and self._rewound.step == step:
            return self._rewound.snapshot
        live = controller.trainer
        fork, checkpoint = state_at(live, self._store, step)
        history = live.history
        rows = history.rows_through(step) if checkpoint is not None else len(history)
        snap = controller.frames.build(fork, live, rows, None, updates=True)  # paused
        snap.rewound, snap.live_step, snap.phase = True, last, "forward"
        self._rewound = _Rewound(step, checkpoint, snap, fork)
        controller.rewind_changed.emit(step)
        controller.emit_snapshot()
        return snap

    def leave_rewind(self) -> None:
        """Back to the live run (it was never changed): its snapshot goes out."""
        if self._rewound is None:
            return
        self._rewound = None
        self.controller.frames.shown = None  # the weights, not the last update's animation again
        self.controller.rewind_changed.emit(None)
        self.controller.emit_snapshot()

    def drop(self, message: str | None) -> None:
        """An edit applies to the live run: leave the rewound view without a frame (saying so
        with ``message``)."""
        if self._rewound is None:
            return
        self._rewound = None
        self.controller.rewind_changed.emit(None)
        if message:
            self.controller.message.emit(message)

    # ----------------------------------------------------------------- resuming
    def resume_from_here(self) -> bool:
        """Make the rewound step the live run (undoable): its weights go into the document's
        network; optimizer, batch order and RNGs as they were then; the later history and
        checkpoints are dropped (Undo brings them back).  Returns False if nothing is rewound.
        """
        rewound = self._rewound
        if rewound is None:
            return False
        if rewound.checkpoint is None:
            self.controller.message.emit(
                f"Training diverged at step {rewound.step:,}: rewind further back"
            )
            return False
        resumed = self.controller.trainer.fork()
        resumed.restore(rewound.checkpoint)
        store = self._store.copy()
        store.add(rewound.checkpoint)  # drops the later ones
        run = _Run(resumed, (rewound.checkpoint.weights, rewound.checkpoint.dropout_rng),
                   store, self._segment)  # fmt: skip
        command = _ResumeCommand(self, run, rewound.step)
        self.controller.document.undo_stack.push(command)  # runs redo(): the swap
        self._resume_commands = [c for c in self._resume_commands[-KEPT_UNDO_RUNS + 1 :]]
        if len(self._resume_commands) >= KEPT_UNDO_RUNS:
            self._resume_commands.pop(0).release_checkpoints()
        self._resume_commands.append(command)
        return True

    def resume_if_rewound(self) -> bool:
        """Training from a rewound step resumes from it; False if that cannot be done."""
        if self._rewound is None:
            return True
        step = self._rewound.step
        if not self.resume_from_here():
            return False
        self.controller.message.emit(
            f"Resumed from step {step:,} (Undo brings back the later steps)"
        )
        return True

    def forget_resumes(self) -> None:
        """A new project: the Resume commands of the old one's runs are no longer tracked."""
        self._resume_commands.clear()

    def _swap_run(self, run: _Run) -> _Run:
        """Make ``run`` the live one; returns the live run it replaced."""
        controller = self.controller
        net = controller.document.network
        current = _Run(controller.trainer, save_network(net), self._store, self._segment)
        load_network(net, run.network)
        trainer = run.trainer
        trainer.net = net  # an undone edit may have given the document a new network object
        controller.trainer = trainer
        controller.apply_settings(trainer)
        self._rewound = None
        controller.frames.shown = None
        if run.store is None:
            self.new_segment("its earlier checkpoints were released to save memory")
        else:
            self._store, self._segment = run.store, run.segment
            self._record_interval = 1
        controller.rewind_changed.emit(None)
        controller.history_changed.emit()
        controller.emit_snapshot()
        return current
