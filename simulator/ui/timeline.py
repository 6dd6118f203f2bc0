"""The training timeline under the loss plot: scrub back through training and resume from there."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, QTimer
from PySide6.QtWidgets import QGridLayout, QPushButton, QSlider, QWidget

from simulator.app.training import REWIND_BUDGET, Snapshot, TrainingController
from simulator.ui.status_bar import ReadoutLabel

NARROW_WIDTH = 560  # px: below this the slider gets a row of its own


class Timeline(QWidget):
    """A slider over the steps rewinding can show, "Resume from here" and "Back to now".

    Moving the slider (mouse or keys) shows that step through ``controller.rewind_to``;
    requests are coalesced by a 0 ms timer so a drag stays smooth.  ``slider``,
    ``resume_button``, ``now_button`` and ``label`` are the parts.
    """

    def __init__(self, controller: TrainingController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.slider.setToolTip(
            "Scrub back through training: the canvas, maps, decision boundary and inspector "
            "show the network as it was at that step.\nCheckpoints are kept within "
            f"{REWIND_BUDGET // (1024 * 1024)} MB, dense for recent steps and thinned for "
            "older ones; steps in between are replayed exactly.\nArrow keys: one step; "
            "Page Up/Down: a twentieth; Home/End: the first step / now"
        )
        self.slider.setAccessibleName("Training timeline")
        # Its text changes at every frame: a fixed size (the widest text yet) keeps each new
        # one from laying out the plots panel, and the window around it, again.
        self.label = ReadoutLabel()
        self.resume_button = QPushButton("Resume from here")
        self.resume_button.setToolTip(
            "Train on from the step shown: the later steps are dropped (Undo brings them back)"
        )
        self.now_button = QPushButton("Back to now")
        self.now_button.setToolTip("Show the latest step again (training was not changed)")
        # One row in a wide panel; in a narrow one (the plots in the side column) the slider
        # takes a row of its own and the label and buttons go under it.
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(6, 0, 6, 2)
        self._grid.setVerticalSpacing(2)
        self._narrow: bool | None = None
        self._settle_label = True  # the label's next text sets its width afresh
        self._arrange(False)

        self._pending: int | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._on_timer)
        self.slider.valueChanged.connect(self._on_value_changed)
        self.resume_button.clicked.connect(controller.resume_from_here)
        self.now_button.clicked.connect(controller.leave_rewind)
        controller.snapshot_ready.connect(self._on_snapshot_ready)
        controller.rewind_changed.connect(self._on_rewind_changed)
        controller.history_changed.connect(self._on_history_changed)
        self._sync()

    @property
    def narrow(self) -> bool:
        """Whether the slider has a row of its own (a narrow panel)."""
        return bool(self._narrow)

    def _arrange(self, narrow: bool) -> None:
        if narrow == self._narrow:
            return
        self._narrow = narrow
        grid = self._grid
        for widget in (self.slider, self.label, self.resume_button, self.now_button):
            grid.removeWidget(widget)
        for column in range(5):
            grid.setColumnStretch(column, 0)
        self.resume_button.setText("Resume here" if narrow else "Resume from here")
        self.now_button.setText("Now" if narrow else "Back to now")
        self._settle_label = True  # the wording changes: the label may narrow
        if narrow:
            grid.addWidget(self.slider, 0, 0, 1, 4)
            grid.addWidget(self.label, 1, 0)
            grid.addWidget(self.resume_button, 1, 2)
            grid.addWidget(self.now_button, 1, 3)
            grid.setColumnStretch(1, 1)
        else:
            grid.addWidget(self.slider, 0, 0)
            grid.addWidget(self.label, 0, 1)
            grid.addWidget(self.resume_button, 0, 2)
            grid.addWidget(self.now_button, 0, 3)
            grid.setColumnStretch(0, 1)
        self._sync()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._arrange(self.width() < NARROW_WIDTH)

    def _on_value_changed(self, value: int) -> None:
        self._pending = value
        if not self._timer.isActive():
            self._timer.start()

    def _on_timer(self) -> None:
        value, self._pending = self._pending, None
        if value is not None:
            self.controller.rewind_to(value)

    def _on_snapshot_ready(self, _snapshot: Snapshot) -> None:
        self._sync()

    def _on_history_changed(self) -> None:
        self._settle_label = True  # a new run: its step counts start short again
        self._sync()

    def _on_rewind_changed(self, _step) -> None:
        self._sync()

    def _sync(self) -> None:
        ctl = self.controller
        first, last = ctl.rewind_range()
        viewed = ctl.viewed_step
        with QSignalBlocker(self.slider):
            self.slider.setRange(first, last)
            self.slider.setValue(last if viewed is None else viewed)
            self.slider.setPageStep(max(1, (last - first) // 20))
        self.slider.setEnabled(last > first)
        self.resume_button.setEnabled(viewed is not None)
        self.now_button.setEnabled(viewed is not None)
        if viewed is not None:
            self.label.setText(
                f"<b>Step {viewed:,}</b> of {last:,}"
                if self._narrow
                else f"Viewing step {viewed:,} of {last:,} <b>(rewound)</b>"
            )
        elif last > first and not self._narrow:
            self.label.setText(f"Step {last:,} · rewind to {first:,}")
        else:
            self.label.setText(f"Step {last:,}")
        if self._settle_label:
            self._settle_label = False
            self.label.settle()
        self.label.setToolTip(
            f"Rewinding reaches back to step {first:,}: {ctl.segment_reason} there"
        )
