"""The training timeline under the loss plot: scrub back through training and resume from there."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from simulator.app.training import REWIND_BUDGET, Snapshot, TrainingController


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
        self.label = QLabel()
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance("Viewing step "))
        self.resume_button = QPushButton("Resume from here")
        self.resume_button.setToolTip(
            "Train on from the step shown: the later steps are dropped (Undo brings them back)"
        )
        self.now_button = QPushButton("Back to now")
        self.now_button.setToolTip("Show the latest step again (training was not changed)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 2)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        layout.addWidget(self.resume_button)
        layout.addWidget(self.now_button)

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
        controller.history_changed.connect(self._sync)
        self._sync()

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
            self.label.setText(f"Viewing step {viewed:,} of {last:,} <b>(rewound)</b>")
        elif last > first:
            self.label.setText(f"Step {last:,} · rewind to {first:,}")
        else:
            self.label.setText(f"Step {last:,}")
        self.label.setToolTip(
            f"Rewinding reaches back to step {first:,}: {ctl.segment_reason} there"
        )
