"""The frame clock: one source of time for the play loop and every throttled view.

The TrainingController owns a :class:`Clock` (``controller.clock``); the views that draw at
most so many frames a second (plots, layer statistics, inspector, decision boundary) read the
same one through a :class:`Throttle`.  Tests put a :class:`ManualClock` there, so what they
assert follows from the clock they drive, never from how busy the machine is.  No Qt here.
"""

from __future__ import annotations

import time


class Clock:
    """Monotonic time in seconds (``time.perf_counter``)."""

    def now(self) -> float:
        return time.perf_counter()


class ManualClock(Clock):
    """A clock that moves only when told: ``advance(seconds)``, and ``tick`` seconds at every
    reading (0: it stands still between advances).  ``reads`` counts the readings, so a test
    can wait for a loop to have run a number of times without waiting for time to pass."""

    def __init__(self, start: float = 0.0, tick: float = 0.0):
        self.time = float(start)
        self.tick = float(tick)
        self.reads = 0

    def now(self) -> float:
        self.reads += 1
        self.time += self.tick
        return self.time

    def advance(self, seconds: float) -> None:
        self.time += float(seconds)

    def __repr__(self) -> str:
        return f"ManualClock(time={self.time:g}, tick={self.tick:g}, reads={self.reads})"


class Throttle:
    """At most one action per ``interval`` seconds of a clock.

    ``due()`` says whether the interval has passed since the last ``mark()`` (always True
    before the first); ``wait_ms()`` how long until it does, in whole milliseconds (at least
    ``1`` while not due, so a timer started with it never spins).  ``clock`` is a callable that
    returns the :class:`Clock` to read (the controller's, which a test may replace).
    """

    def __init__(self, clock, interval: float):
        self._clock = clock
        self.interval = float(interval)
        self._last: float | None = None
        self._marked_on: Clock | None = None  # a time read on another clock says nothing

    def mark(self) -> None:
        clock = self._clock()
        self._last, self._marked_on = clock.now(), clock

    def reset(self) -> None:
        """Forget the last action: the next one is due at once."""
        self._last = None

    def _remaining(self) -> float:
        clock = self._clock()
        if self._last is None or clock is not self._marked_on:
            return 0.0
        return self._last + self.interval - clock.now()

    def due(self) -> bool:
        return self._remaining() <= 0.0

    def wait_ms(self) -> int:
        remaining = self._remaining()
        return 0 if remaining <= 0.0 else max(1, int(remaining * 1000 + 0.999))


def time_left(seconds: float) -> str:
    """An estimate of the time left, as the windows' progress lines say it ("about 12 s
    left")."""
    if seconds < 1.5:
        return "about a second left"
    if seconds < 90:
        return f"about {seconds:.0f} s left"
    return f"about {seconds / 60:.0f} min left"
