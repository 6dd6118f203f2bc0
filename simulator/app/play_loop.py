"""The play loop: training steps on the GUI thread without freezing the window.

A single-shot 0 ms timer trains steps until its time budget (``STEP_BUDGET_MS``) is used or
the next frame is due, then yields to the event loop; frames come every
``SNAPSHOT_INTERVAL_S`` of the frame clock, further apart when drawing them takes long.  At a
set speed (steps per second) the loop trains only the steps that are due.  Nothing sleeps.

A :class:`StopCondition` (a step, an epoch or a target training loss) pauses the loop exactly
where it is reached: a tick never trains past it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer

from simulator.app import numbers
from simulator.app.clock import Clock
from simulator.engine.trainer import Trainer

STEP_BUDGET_MS = 8.0
# A tick trains at most this many steps even if its clock has not reached the budget (a clock
# that stands still, as a test's may, or a coarse one): the event loop is never held long.
MAX_STEPS_PER_TICK = 512
SNAPSHOT_INTERVAL_S = 1 / 36  # a frame every ~28 ms asked: >= 30 drawn per second
# When drawing a frame (the views' slots and the paint that follows) takes longer, frames come
# further apart, so training keeps at least 1 / FRAME_SHARE_LIMIT of the time: on a busy
# machine a 50 ms frame left the loop 1 ms per frame (a few steps a second).
FRAME_SHARE_LIMIT = 2.0
SPEEDS = (1, 2, 5, 10, 20, 30, 100, 300, 1000, None)  # steps per second; None = fast as possible
# What the window plays at until the user picks a speed: slow enough to watch XOR being
# learnt (a few hundred steps take tens of seconds), max speed one click away.
WATCHABLE_SPEED = 20
STOP_KINDS = ("steps", "epochs", "loss")
_EPOCH_TOLERANCE = 1e-9  # epochs are step_count / batches per epoch: 50 is 50.000000000001


@dataclass(frozen=True)
class StopCondition:
    """Where Play pauses by itself: at step ``value`` ("steps"), at epoch ``value``
    ("epochs"), or once the training loss (evaluated over the whole training set) is at most
    ``value`` ("loss").  Steps and epochs count from the start of the run."""

    kind: str
    value: float

    def __post_init__(self):
        if self.kind not in STOP_KINDS:
            raise ValueError(f"a stop condition is one of {STOP_KINDS}, not {self.kind!r}")
        if self.kind == "loss":
            if not (math.isfinite(self.value) and self.value >= 0):
                raise ValueError("a target loss is a number >= 0")
        elif not (math.isfinite(self.value) and self.value > 0):
            raise ValueError(f"a stop at {self.kind} needs a number > 0")
        if self.kind == "steps" and self.value != int(self.value):
            raise ValueError("a stop at a step needs a whole number")

    def steps_left(self, trainer: Trainer) -> int | None:
        """Steps until the condition holds (0: it does); None when no count can say (loss)."""
        if self.kind == "steps":
            return max(0, int(self.value) - trainer.step_count)
        if self.kind == "epochs":
            left = (self.value - trainer.epoch) * trainer.batches.batches_per_epoch
            return max(0, math.ceil(left - _EPOCH_TOLERANCE))
        return None

    def reached(self, trainer: Trainer) -> bool:
        """Whether the trainer is at (or past) the condition."""
        if self.kind == "loss":
            loss = trainer.history.last_finite("train_loss") if len(trainer.history) else math.nan
            return math.isfinite(loss) and loss <= self.value
        return self.steps_left(trainer) == 0

    def describe(self) -> str:
        """ "step 2,000", "epoch 50", "training loss ≤ 0.01"."""
        if self.kind == "steps":
            return f"step {int(self.value):,}"
        if self.kind == "epochs":
            return f"epoch {numbers.epoch(self.value)}"
        return f"training loss ≤ {numbers.fmt(self.value)}"


class PlayLoop(QObject):
    """Trains ``trainer()`` while playing, calling ``record()`` after every step.

    After a tick's steps it calls ``trained()``, then ``frame()`` when a frame is due or
    training diverged: the owner sends one (calling :meth:`frame_sent`) or stops the loop.
    Time is read from ``clock()`` (the owner's frame clock, which a test may replace: then
    call :meth:`clock_changed`).

    ``stop_condition`` (set it with :meth:`set_stop_condition`) pauses the loop where it holds:
    it calls ``stopped()`` after that tick's ``trained()``, and the owner stops the loop.  A
    condition already reached when playing starts does not stop that play.
    """

    def __init__(
        self,
        clock: Callable[[], Clock],
        trainer: Callable[[], Trainer],
        record: Callable[[], None],
        trained: Callable[[], None],
        frame: Callable[[], None],
        stopped: Callable[[], None] | None = None,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self._clock = clock
        self._trainer = trainer
        self._record = record
        self._trained = trained
        self._frame = frame
        self._stopped = stopped
        self.speed: int | None = None  # steps per second; None = as fast as possible
        self.stop_condition: StopCondition | None = None
        self._armed = False  # this play stops at stop_condition
        self._playing = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_tick)
        self._last_frame = -math.inf  # clock time of the last frame sent
        self._frame_cost = 0.0  # seconds a frame took, from its emission to the next tick (EMA)
        self._framed = False  # the last tick ended with a frame
        self._wait = 0.0  # seconds the timer was asked to wait before this tick
        self._rate_window: list[tuple[float, int]] = []
        self._play_start = (0.0, 0)  # (clock time, step count) when playing (at this speed) began

    @property
    def playing(self) -> bool:
        return self._playing

    def start(self) -> None:
        """Start playing: the first tick runs at the event loop's next turn."""
        self._playing = True
        self._arm()
        self._framed = False
        self._wait = 0.0
        self._restart_pacing()
        self._timer.start(0)

    def stop(self) -> bool:
        """Stop playing; True if it was playing."""
        was_playing = self._playing
        self._playing = False
        self._timer.stop()
        return was_playing

    def set_speed(self, steps_per_second: int | None) -> None:
        """Steps per second while playing (None: as fast as the machine goes)."""
        self.speed = steps_per_second
        if self._playing:
            self._play_start = (self._clock().now(), self._trainer().step_count)

    def set_stop_condition(self, condition: StopCondition | None) -> None:
        """Where playing stops (None: it plays until paused); while playing, from now on."""
        self.stop_condition = condition
        if self._playing:
            self._arm()

    @property
    def stops_this_play(self) -> bool:
        """Whether the current play will stop at :attr:`stop_condition`."""
        return self._playing and self._armed

    def _arm(self) -> None:
        condition = self.stop_condition
        self._armed = condition is not None and not condition.reached(self._trainer())

    def clock_changed(self) -> None:
        """The owner's clock was replaced: times read from the old one mean nothing now."""
        self._last_frame = -math.inf
        self._frame_cost, self._framed = 0.0, False
        self._restart_pacing()

    def frame_sent(self) -> None:
        """A frame went out now (the next is due an interval later)."""
        self._last_frame = self._clock().now()

    def steps_per_second(self) -> float:
        """Steps per second over about the last second of playing (0 when paused)."""
        if not self._playing:
            return 0.0
        now = self._clock().now()
        step_count = self._trainer().step_count
        self._rate_window.append((now, step_count))
        while len(self._rate_window) > 2 and now - self._rate_window[0][0] > 1.0:
            self._rate_window.pop(0)
        t0, s0 = self._rate_window[0]
        return (step_count - s0) / (now - t0) if now > t0 else 0.0

    def _restart_pacing(self) -> None:
        now = self._clock().now()
        step_count = self._trainer().step_count
        self._play_start = (now, step_count)
        self._rate_window = [(now, step_count)]

    def _on_tick(self) -> None:
        if not self._playing:
            return
        trainer = self._trainer()
        now = self._clock().now
        start = now()
        if self._framed:
            # What drawing took: the time since the frame went out, less the timer's own wait
            # (at a slow speed the loop sleeps between ticks: that is not the frame's cost).
            cost = max(0.0, start - self._last_frame - self._wait)
            self._frame_cost = cost if not self._frame_cost else 0.7 * self._frame_cost + 0.3 * cost
            self._framed = False
        # Train until the tick's budget is used or the next frame is due, whichever is first,
        # so frames come at a steady rate and the event loop is never held long.
        interval = max(SNAPSHOT_INTERVAL_S, FRAME_SHARE_LIMIT * self._frame_cost)
        frame_due = self._last_frame + interval
        deadline = min(start + STEP_BUDGET_MS / 1000, max(frame_due, start + 0.001))
        if self.speed is None:
            due = MAX_STEPS_PER_TICK
        else:
            due = int((start - self._play_start[0]) * self.speed) - (
                trainer.step_count - self._play_start[1]
            )
            due = min(due, MAX_STEPS_PER_TICK)
        condition = self.stop_condition if self._armed else None
        target = math.nan  # the target loss watched after each step (NaN: none)
        if condition is not None:
            left = condition.steps_left(trainer)
            if left is None:
                target = condition.value
            else:
                due = min(due, left)  # never past the stop, whatever the tick could train
        history = trainer.history
        record = self._record
        while due > 0 and now() < deadline and not trainer.diverged:
            trainer.step()
            record()
            due -= 1
            if history.last("train_loss") <= target:  # evaluated at this step (else NaN)
                break
        self._trained()
        if trainer.diverged:
            self._frame()  # the owner stops the loop and says why
            return
        if condition is not None and condition.reached(trainer):
            self._armed = False
            if self._stopped is not None:
                self._stopped()  # the owner stops the loop and says why
            if not self._playing:
                return
        if now() >= frame_due:
            self._frame()
            self._framed = True
        if self._playing:
            # Slow speeds wait for their next step; full speed yields to the event loop at once.
            wait = 0 if self.speed is None else min(max(1, int(1000 / self.speed / 4)), 250)
            self._wait = wait / 1000
            self._timer.start(wait)
