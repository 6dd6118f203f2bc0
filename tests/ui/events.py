"""Counting the events widgets receive, and waiting for the posted ones to be delivered: how
tests see that a view repainted (or laid itself out) no more than it should."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer


class EventCounter(QObject):
    """Counts the events of type ``kind`` the widgets it is installed on receive, and keeps
    the regions of paint events (``regions``)."""

    def __init__(self, widgets, kind: QEvent.Type = QEvent.Type.Paint):
        super().__init__()
        self.kind = kind
        self.count = 0
        self.regions = []
        for widget in widgets:
            widget.installEventFilter(self)

    def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
        if event.type() == self.kind:
            self.count += 1
            if self.kind == QEvent.Type.Paint:
                self.regions.append(event.region())
        return False

    def covered(self, rect) -> bool:
        """Whether a paint counted covered part of ``rect``."""
        return any(region.intersects(rect) for region in self.regions)

    def clear(self) -> None:
        self.count = 0
        self.regions = []


def events_delivered(qtbot) -> None:
    """Until the events posted so far (paints and layout requests among them) have been
    delivered: a queued call posted now runs after them."""
    done = []
    QTimer.singleShot(0, lambda: done.append(True))
    qtbot.waitUntil(lambda: bool(done))


def quiet(qtbot, counter: EventCounter, turns: int = 50) -> None:
    """Until a turn of the event loop brings ``counter`` no more events (what was pending
    when it was installed is done), then from zero."""
    for _ in range(turns):
        before = counter.count
        events_delivered(qtbot)
        if counter.count == before:
            break
    counter.clear()
