"""The training toolbar: Play/Pause, Step, the three phase steps, Reset, speed, canvas mode."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QToolBar, QWidget

from simulator.app.training import SPEEDS, Snapshot, TrainingController

PHASE_HINTS = {
    "forward": "Next: Forward — inputs flow through the layers (z = Σ w·a + b, a = f(z))",
    "backward": "Next: Backward — backpropagation computes every dL/dw by the chain rule",
    "update": "Next: Update — gradient descent moves every weight against its gradient",
}


def speed_label(speed: int | None) -> str:
    if speed is None:
        return "max speed"
    return f"{speed} step/s" if speed == 1 else f"{speed} steps/s"


def format_status(snap: Snapshot, task: str) -> str:
    """The status bar's training readout."""

    def num(v: float) -> str:
        return "–" if not math.isfinite(v) else f"{v:.4g}"

    parts = [
        f"epoch {snap.epoch:.2f}",
        f"step {snap.step:,}",
        f"train loss {num(snap.train_loss if math.isfinite(snap.train_loss) else snap.batch_loss)}",
        f"test loss {num(snap.test_loss)}",
    ]
    if task != "regression":
        acc = snap.test_accuracy if math.isfinite(snap.test_accuracy) else snap.train_accuracy
        parts.append("accuracy –" if not math.isfinite(acc) else f"accuracy {acc:.1%}")
    if snap.playing:
        parts.append(f"{snap.steps_per_second:,.0f} steps/s")
    return "  ·  ".join(parts)


class TrainingToolbar(QToolBar):
    """Actions that drive a TrainingController; the Train menu shows the same actions."""

    mode_selected = Signal(str)  # "weights" | "gradients": what the canvas shows while playing

    def __init__(self, controller: TrainingController, parent: QWidget | None = None):
        super().__init__("Training", parent)
        self.setObjectName("TrainingToolbar")
        self.controller = controller
        self.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)

        def action(text, slot, shortcut=None, tip=""):
            act = QAction(text, self)
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
            act.setToolTip(f"{tip} ({shortcut})" if shortcut and tip else tip or text)
            act.setStatusTip(tip)
            act.triggered.connect(slot)
            return act

        style = self.style()
        self.play_action = action(
            "Play", controller.toggle, "Space", "Train continuously; press again to pause"
        )
        self.play_action.setIcon(style.standardIcon(style.StandardPixmap.SP_MediaPlay))
        self.step_action = action(
            "Step", controller.step, "Ctrl+Right", "One whole training step on the next mini-batch"
        )
        self.step_action.setIcon(style.standardIcon(style.StandardPixmap.SP_MediaSkipForward))
        self.forward_action = action(
            "Forward",
            lambda: self._phase("forward"),
            "F",
            "Run the forward pass of the current step",
        )
        self.backward_action = action(
            "Backward",
            lambda: self._phase("backward"),
            "B",
            "Backpropagate: compute every gradient",
        )
        self.update_action = action(
            "Update",
            lambda: self._phase("update"),
            "U",
            "Gradient descent: apply the optimizer's update",
        )
        self.reset_action = action(
            "Reset",
            controller.reset,
            "Ctrl+R",
            "Fresh initial weights from the seed; the history restarts",
        )
        self.reset_action.setIcon(style.standardIcon(style.StandardPixmap.SP_BrowserReload))
        self.restore_action = action(
            "Restore Last Good Weights",
            controller.restore_last_good,
            None,
            "After divergence: the weights before it",
        )
        self.restore_action.setEnabled(False)

        self.addAction(self.play_action)
        self.addAction(self.step_action)
        self.addSeparator()
        self.addAction(self.forward_action)
        self.addAction(self.backward_action)
        self.addAction(self.update_action)
        self.addSeparator()
        self.addAction(self.reset_action)
        self.addSeparator()

        self.speed_combo = QComboBox(self)
        self.speed_combo.setToolTip("Training speed while playing")
        for speed in SPEEDS:
            self.speed_combo.addItem(speed_label(speed), speed)
        self.speed_combo.setCurrentIndex(len(SPEEDS) - 1)
        self.speed_combo.currentIndexChanged.connect(
            lambda i: controller.set_speed(self.speed_combo.itemData(i))
        )
        self.addWidget(self.speed_combo)
        self.addSeparator()

        self.weights_mode = QAction("Show weights", self, checkable=True, checked=True)
        self.gradients_mode = QAction("Show gradients", self, checkable=True)
        self.weights_mode.setToolTip("While playing, connections show the weights")
        self.gradients_mode.setToolTip("While playing, connections show the gradients dL/dw")
        group = QActionGroup(self)
        for act, mode in ((self.weights_mode, "weights"), (self.gradients_mode, "gradients")):
            group.addAction(act)
            self.addAction(act)
            act.triggered.connect(lambda _=False, m=mode: self.mode_selected.emit(m))
        self.addSeparator()

        self.phase_label = QLabel(self)
        self.phase_label.setContentsMargins(8, 0, 8, 0)
        self.addWidget(self.phase_label)

        controller.playing_changed.connect(self._on_playing_changed)
        controller.snapshot_ready.connect(self._on_snapshot)
        controller.diverged.connect(lambda _msg: self.restore_action.setEnabled(True))
        self._update_phase(controller.next_phase)

    def _phase(self, phase: str) -> None:
        # Each phase button runs the phases up to and including its own, so the order is kept.
        ctl = self.controller
        if ctl.trainer.diverged:
            ctl.step_phase()  # reports the divergence
            return
        for _ in range(3):
            ran = ctl.step_phase()
            if ran is None or ran == phase:
                break

    def _on_playing_changed(self, playing: bool) -> None:
        style = self.style()
        icon = style.StandardPixmap.SP_MediaPause if playing else style.StandardPixmap.SP_MediaPlay
        self.play_action.setIcon(style.standardIcon(icon))
        self.play_action.setText("Pause" if playing else "Play")
        for act in (self.forward_action, self.backward_action, self.update_action):
            act.setEnabled(not playing)

    def _on_snapshot(self, snap: Snapshot) -> None:
        self.restore_action.setEnabled(snap.diverged is not None)
        self._update_phase(snap.phase)
        if getattr(snap, "rewound", False):
            # Wherever the timeline is docked, the toolbar says an earlier step is shown.
            self.phase_label.setText(
                f"<b>Rewound to step {snap.step:,} of {snap.live_step:,}</b> · Play resumes "
                "from here (undoable) · the timeline returns to now"
            )

    def _update_phase(self, phase: str) -> None:
        self.phase_label.setText(PHASE_HINTS[phase])
        for act, name in (
            (self.forward_action, "forward"),
            (self.backward_action, "backward"),
            (self.update_action, "update"),
        ):
            font = act.font()
            font.setBold(name == phase)
            act.setFont(font)
