"""The optimizer lab's race: the engine's optimizers descending a 2-D loss surface, frame by frame.

:class:`LabController` holds a :class:`~simulator.engine.surfaces.Race` and plays it on the GUI
thread: a single-shot timer takes ``speed`` steps of every racer once per frame interval of
its clock (``controller.clock``, a :class:`~simulator.app.clock.Clock` that tests replace with
a ManualClock), then emits ``frame``.  Playing stops by itself when every racer has diverged,
when all have reached the tolerance (or diverged), or at the step limit.  The racers are the
engine's own optimizer classes (``engine.optimizers.make``), never copies of their rules; the
views read trails, values and each step's explanation from here.  No widgets here.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from simulator.app import numbers
from simulator.app.clock import Clock
from simulator.engine import optimizers
from simulator.engine.surfaces import SURFACES, Race, Racer, Surface

# The optimizers a racer can be, as (engine class name, the settings it starts with).  The
# learning rates make a good race on the default surface (Rosenbrock from its start): every
# one reaches 1e-3 within the step limit, SGD last.
OPTIMIZER_KINDS: dict[str, tuple[str, dict]] = {
    "SGD": ("SGD", {"lr": 1e-3}),
    "Momentum": ("SGD", {"lr": 1e-3, "momentum": 0.9}),
    "Nesterov": ("SGD", {"lr": 1e-3, "momentum": 0.9, "nesterov": True}),
    "Adagrad": ("Adagrad", {"lr": 0.5}),
    "RMSprop": ("RMSprop", {"lr": 1e-3}),
    "Adam": ("Adam", {"lr": 0.05}),
    "AdamW": ("AdamW", {"lr": 0.05}),
}
KIND_LABELS = {"Momentum": "SGD + momentum", "Nesterov": "SGD + Nesterov"}
DEFAULT_KINDS = ("SGD", "Momentum", "Adam")
# Saturated colours that stand out on the colour map (trails get a dark halo) and on a light
# or a dark plot background alike.
COLORS = ("#ff3b30", "#ff9f0a", "#ff2dc8", "#2ec8ff", "#a0e515", "#b388ff", "#ffd60a")
DEFAULT_SURFACE = "rosenbrock"
DEFAULT_TOLERANCE = 1e-3
FRAME_INTERVAL_S = 1 / 60  # a frame (``speed`` steps, then ``frame``) at most 60 times a second
SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200)  # steps per frame
DEFAULT_SPEED = 5
STEP_LIMIT = 10_000
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


# ----------------------------------------------------------------------------- settings
def kind_of(optimizer: optimizers.Optimizer) -> str:
    """The lab's name of ``optimizer``: its class's, or Momentum / Nesterov for SGD with one."""
    if optimizer.name == "SGD" and optimizer.momentum > 0:
        return "Nesterov" if optimizer.nesterov else "Momentum"
    return optimizer.name


def _show(value) -> str:
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(_show(v) for v in value) + ")"
    return repr(value)  # floats: the shortest text that reads back as the same number


def settings_text(optimizer: optimizers.Optimizer) -> str:
    """``optimizer``'s settings as the lab shows and reads them: the learning rate, then every
    hyper-parameter that differs from its class's default ("lr=0.001, momentum=0.9")."""
    params = optimizer.hyperparameters()
    defaults = type(optimizer).defaults()
    shown = [("lr", params["lr"])]
    shown += [(k, v) for k, v in params.items() if k != "lr" and v != defaults[k]]
    return ", ".join(f"{key}={_show(value)}" for key, value in shown)


def _literal(name: str, node: ast.expr):
    if isinstance(node, ast.Name) and node.id.lower() in ("true", "false"):
        return node.id.lower() == "true"
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        expected = "a number, True/False or a pair such as (0.9, 0.999)"
        raise ValueError(f"{name}={ast.unparse(node)} is not {expected}") from None


def parse_settings(text: str) -> dict:
    """Settings as a dict: "lr=0.01, momentum=0.9" gives {"lr": 0.01, "momentum": 0.9}
    (numbers, True/False, pairs); ValueError saying what cannot be read."""
    text = text.strip()
    if not text:
        return {}
    usage = "write name=value pairs separated by commas, e.g. lr=0.01, momentum=0.9"
    try:
        call = ast.parse(f"settings({text})", mode="eval").body
    except SyntaxError:
        raise ValueError(f"{text!r}: cannot read it ({usage})") from None
    if not isinstance(call, ast.Call) or call.args or any(k.arg is None for k in call.keywords):
        raise ValueError(f"{text!r}: cannot read it ({usage})")
    names = [k.arg for k in call.keywords]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"{text!r}: a name is given twice ({', '.join(twice)})")
    return {k.arg: _literal(k.arg, k.value) for k in call.keywords}


def build_optimizer(kind: str, settings: dict | str | None = None) -> optimizers.Optimizer:
    """A new optimizer of the lab's ``kind`` (see OPTIMIZER_KINDS) with ``settings`` (a dict or
    the text :func:`parse_settings` reads; None: the kind's own).  ValueError if invalid."""
    if kind not in OPTIMIZER_KINDS:
        raise ValueError(f"unknown optimizer {kind!r} (known: {', '.join(OPTIMIZER_KINDS)})")
    name, preset = OPTIMIZER_KINDS[kind]
    if settings is None:
        settings = preset
    elif isinstance(settings, str):
        settings = parse_settings(settings)
    return optimizers.make(name, **settings)


# ----------------------------------------------------------------------------- racers
@dataclass(eq=False)
class LabRacer:
    """One racer of the lab: its label and colour ("#rrggbb") and the engine's Racer (its
    optimizer, trail, values and outcome).  Views read it; the controller changes it."""

    label: str
    color: str
    racer: Racer

    @property
    def optimizer(self) -> optimizers.Optimizer:
        return self.racer.optimizer

    @property
    def kind(self) -> str:
        return kind_of(self.racer.optimizer)

    @property
    def settings(self) -> str:
        return settings_text(self.racer.optimizer)

    @property
    def trail(self) -> np.ndarray:
        """(steps + 1, 2): every point visited (the engine's array: read, do not change)."""
        return self.racer.trail

    @property
    def values(self) -> np.ndarray:
        """(steps + 1,): f at every point visited."""
        return self.racer.values

    @property
    def steps(self) -> int:
        return self.racer.steps

    @property
    def value(self) -> float:
        return self.racer.value

    @property
    def reached_at(self) -> int | None:
        return self.racer.reached_at

    @property
    def diverged_at(self) -> int | None:
        return self.racer.diverged_at

    def explain(self) -> tuple | None:
        """The optimizer's explanation of the last step, for x and for y (None before the
        first step or once diverged): ``engine.optimizers.UpdateExplanation`` each."""
        return self.racer.explain()

    def __repr__(self) -> str:
        return f"LabRacer({self.label!r}, {self.racer.optimizer!r}, steps={self.steps})"


# ----------------------------------------------------------------------------- controller
class LabController(QObject):
    """The race and its controls: play(), pause(), toggle(), step(), reset(), a speed in
    steps per frame, the surface, the start, the tolerance and the racers.

    ``changed``: the surface, the racers (added, removed, relabelled, recoloured, another
    optimizer or settings) or the tolerance changed: views rebuild what they show.  ``frame``:
    the race moved (steps, a reset, a new start): views redraw trails and results.
    """

    changed = Signal()
    frame = Signal()
    playing_changed = Signal(bool)
    finished = Signal(str)  # playing stopped by itself, and why
    message = Signal(str)  # for a status line: why a request was refused

    def __init__(
        self,
        parent: QObject | None = None,
        clock: Clock | None = None,
        surface: str = DEFAULT_SURFACE,
        kinds: tuple[str, ...] = DEFAULT_KINDS,
    ):
        super().__init__(parent)
        # ``Clock`` is looked up when the controller is made (tests replace it).
        self._clock = clock if clock is not None else Clock()
        self.race = Race(SURFACES[surface], tolerance=DEFAULT_TOLERANCE)
        self._racers: list[LabRacer] = []
        self._speed = DEFAULT_SPEED
        self.step_limit = STEP_LIMIT
        self._playing = False
        self._next_frame: float | None = None  # when the next frame is due (None: at once)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_tick)
        for kind in kinds:
            self.add_racer(kind)

    # ----------------------------------------------------------------- state
    @property
    def clock(self) -> Clock:
        """The frame clock of the play loop and of the views that throttle their redraws."""
        return self._clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self._clock = clock
        self._next_frame = None  # a time read on the old clock means nothing now

    @property
    def surface(self) -> Surface:
        return self.race.surface

    @property
    def start(self) -> tuple[float, float]:
        return self.race.start

    @property
    def tolerance(self) -> float:
        return self.race.tolerance

    @property
    def racers(self) -> tuple[LabRacer, ...]:
        return tuple(self._racers)

    @property
    def steps(self) -> int:
        """Steps taken by the racer furthest on (diverged racers stop early)."""
        return self.race.steps

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def speed(self) -> int:
        """Steps of every racer per frame while playing."""
        return self._speed

    def set_speed(self, steps_per_frame: int) -> None:
        steps = int(steps_per_frame)
        if steps < 1:
            raise ValueError(f"the speed must be at least 1 step per frame, not {steps}")
        self._speed = steps

    def finished_reason(self) -> str | None:
        """Why playing stops here (every racer diverged, all reached the tolerance, the step
        limit); None while the race can go on."""
        racers = self.race.racers
        if not racers:
            return None
        if all(r.diverged_at is not None for r in racers):
            return "Every optimizer diverged"
        if all(r.diverged_at is not None or r.reached_at is not None for r in racers):
            reached = f"Every optimizer reached the tolerance ({numbers.fmt(self.tolerance, 6)})"
            diverged = any(r.diverged_at is not None for r in racers)
            return f"{reached} or diverged" if diverged else reached
        if self.race.steps >= self.step_limit:
            return f"The step limit ({self.step_limit:,} steps) is reached"
        return None

    # ----------------------------------------------------------------- controls
    def play(self) -> None:
        """Step every racer ``speed`` times a frame until paused or finished."""
        if self._playing:
            return
        if not self._racers:
            self.message.emit("Add an optimizer to race first")
            return
        reason = self.finished_reason()
        if reason is not None:
            self.message.emit(f"{reason}: Reset to race again")
            return
        self._playing = True
        self._next_frame = None  # the first frame at once
        self._timer.start(0)
        self.playing_changed.emit(True)

    def pause(self) -> None:
        if self._stop():
            self.frame.emit()  # paused views show the last step's arrows

    def toggle(self) -> None:
        self.pause() if self._playing else self.play()

    def step(self) -> None:
        """Pause, then one step of every racer still running."""
        self.pause()
        if not self._racers:
            self.message.emit("Add an optimizer to race first")
            return
        if not self.race.step():
            self.message.emit("Every optimizer diverged: Reset to race again")
            return
        self.frame.emit()

    def reset(self) -> None:
        """Every racer back to the start, its optimizer's state forgotten."""
        self.pause()
        self.race.reset()
        self.frame.emit()

    def set_surface(self, key: str) -> None:
        """Race on ``SURFACES[key]`` from its own start."""
        self.pause()
        self.race.reset(surface=SURFACES[key])
        self.changed.emit()

    def set_start(self, xy) -> None:
        """Race from ``xy`` (every racer back to it)."""
        x, y = (float(v) for v in xy)
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError(f"the start must be two finite numbers, not {xy!r}")
        self.pause()
        self.race.reset(start=(x, y))
        self.frame.emit()

    def set_tolerance(self, tolerance: float) -> None:
        """How close to the minimum counts as reached; the steps to reach it follow."""
        value = float(tolerance)
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"the tolerance must be a positive number, not {tolerance!r}")
        self.race.set_tolerance(value)
        self.changed.emit()

    # ----------------------------------------------------------------- racers
    def add_racer(
        self,
        kind: str = "Adam",
        settings: dict | str | None = None,
        label: str | None = None,
        color: str | None = None,
    ) -> LabRacer:
        """A new racer (``settings``: see :func:`build_optimizer`); the race starts again so
        that every racer runs from the same start.  ValueError if the settings are invalid."""
        optimizer = build_optimizer(kind, settings)
        label = self._unique_label(label or KIND_LABELS.get(kind, kind))
        color = self._check_color(color) if color is not None else self._free_color()
        self.pause()
        entry = LabRacer(label, color, self.race.add(label, optimizer))
        self._racers.append(entry)
        self.race.reset()
        self.changed.emit()
        return entry

    def remove_racer(self, entry: LabRacer) -> None:
        self.race.remove(entry.racer)
        self._racers.remove(entry)
        if not self._racers:
            self.pause()  # nothing left to race
        self.changed.emit()

    def set_kind(self, entry: LabRacer, kind: str) -> None:
        """Make ``entry`` another optimizer (with that kind's own settings); the race starts
        again."""
        if kind != entry.kind:
            self._replace_optimizer(entry, build_optimizer(kind))

    def set_settings(self, entry: LabRacer, settings: dict | str) -> None:
        """New settings for ``entry``'s optimizer class ("lr=0.01, momentum=0.9": every
        setting not given takes the class's default); the race starts again.  ValueError with
        a message for the user when they are invalid: the old settings are kept."""
        try:
            optimizer = optimizers.make(
                entry.optimizer.name,
                **(parse_settings(settings) if isinstance(settings, str) else settings),
            )
        except ValueError as exc:
            raise ValueError(f"{entry.label}: {exc}. The settings stay {entry.settings}") from None
        self._replace_optimizer(entry, optimizer)

    def set_label(self, entry: LabRacer, label: str) -> None:
        label = label.strip()
        if not label:
            raise ValueError("a racer needs a name")
        if label != entry.label:
            entry.label = entry.racer.label = self._unique_label(label)
            self.changed.emit()

    def set_color(self, entry: LabRacer, color: str) -> None:
        entry.color = self._check_color(color)
        self.changed.emit()

    def _replace_optimizer(self, entry: LabRacer, optimizer: optimizers.Optimizer) -> None:
        self.pause()
        entry.racer.optimizer = optimizer
        self.race.reset()
        self.changed.emit()

    def _unique_label(self, label: str) -> str:
        taken = {r.label for r in self._racers}
        if label not in taken:
            return label
        n = 2
        while f"{label} {n}" in taken:
            n += 1
        return f"{label} {n}"

    def _free_color(self) -> str:
        used = [r.color for r in self._racers]
        free = [c for c in COLORS if c not in used]
        return free[0] if free else COLORS[len(used) % len(COLORS)]

    @staticmethod
    def _check_color(color: str) -> str:
        if not isinstance(color, str) or not _COLOR.fullmatch(color):
            raise ValueError(f"a colour is written #rrggbb, not {color!r}")
        return color.lower()

    # ----------------------------------------------------------------- playing
    def _stop(self) -> bool:
        """Stop the timer; True if it was playing."""
        was_playing = self._playing
        self._playing = False
        self._timer.stop()
        if was_playing:
            self.playing_changed.emit(False)
        return was_playing

    def _on_tick(self) -> None:
        if not self._playing:
            return
        now = self._clock.now()
        if self._next_frame is None or now >= self._next_frame:
            # Frames keep a steady cadence: the next is due an interval after this one was
            # (a timer that wakes a millisecond late does not push every later frame back),
            # or an interval from now after a stall.
            due = now if self._next_frame is None else self._next_frame
            self._next_frame = due + FRAME_INTERVAL_S
            if self._next_frame <= now:
                self._next_frame = now + FRAME_INTERVAL_S
            for _ in range(min(self._speed, self.step_limit - self.race.steps)):
                if not self.race.step():
                    break
            self.frame.emit()
            reason = self.finished_reason()
            if reason is not None:
                self._stop()
                self.finished.emit(reason)
                return
        if self._playing:  # a slot of ``frame`` may have paused
            remaining = self._next_frame - self._clock.now()
            self._timer.start(max(0, math.ceil(remaining * 1000)))

    def shutdown(self) -> None:
        """Stop playing (the window is closing)."""
        self._stop()
