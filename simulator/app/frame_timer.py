"""FrameTimer: a view's redraws at most once per interval of the controller's frame clock."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer

from simulator.app.clock import Clock, Throttle


class FrameTimer(QObject):
    """Calls ``draw`` through the event loop once the interval has passed since the last draw.

    ``request()`` asks for a draw (many requests before it happens make one draw);
    the owner calls ``drawn()`` whenever it draws, asked or not.  The interval is measured on
    ``clock()`` (the controller's frame clock), and while frames stream in a draw happens
    only when that clock says it is due, so how many draws a run makes follows from the clock
    alone; an ``urgent`` request (nothing playing) draws at the next turn.
    """

    def __init__(
        self,
        clock: Callable[[], Clock],
        interval: float,
        draw: Callable[[], None],
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.throttle = Throttle(clock, interval)
        self._draw = draw
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse one may fire early
        self._timer.timeout.connect(self._on_timeout)
        self._urgent = False

    def due(self) -> bool:
        return self.throttle.due()

    def pending(self) -> bool:
        """True while a requested draw waits for its turn."""
        return self._timer.isActive()

    def request(self, urgent: bool = False) -> None:
        """Ask for a draw: at the event loop's next turn when due by the clock (even if a
        timer started earlier has not fired yet) or ``urgent`` (nothing is playing, so there
        is no stream of frames to thin out); else once the rest of the interval has passed."""
        if urgent or self.throttle.due():
            self._timer.start(0)
            self._urgent = urgent
        elif not self._timer.isActive():
            self._timer.start(self.throttle.wait_ms())

    def drawn(self) -> None:
        """The owner drew now: the next draw waits a whole interval."""
        self._timer.stop()
        self._urgent = False
        self.throttle.mark()

    def cancel(self) -> None:
        self._timer.stop()
        self._urgent = False

    def _on_timeout(self) -> None:
        urgent, self._urgent = self._urgent, False
        if urgent or self.throttle.due():
            self._draw()
        else:
            self._timer.start(self.throttle.wait_ms())
