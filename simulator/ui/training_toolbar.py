"""The training toolbar: Play/Pause, Step, the three phase steps, Reset, speed, where Play
stops, canvas mode."""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QSettings, QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QColor,
    QIcon,
    QKeySequence,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QSizePolicy, QToolBar, QWidget

from simulator.app import numbers
from simulator.app.inspection import fmt
from simulator.app.training import (
    SPEEDS,
    WATCHABLE_SPEED,
    Snapshot,
    StopCondition,
    TrainingController,
)
from simulator.ui.formula_tips import SHORT_RULES, update_tip, wrapped
from simulator.ui.status_bar import ElidingLabel

SETTINGS_SPEED = "training/speed"  # steps per second, or "max"
# The "Stop at" kinds as the toolbar lists them: (label, StopCondition kind or None, tip).
STOP_CHOICES = (
    ("no limit", None, "Play goes on until you pause"),
    ("step", "steps", "Play pauses at this step (saved as the project's length)"),
    ("epoch", "epochs", "Play pauses at this epoch (saved as the project's length)"),
    (
        "loss ≤",
        "loss",
        "Play pauses once the training loss (over the whole training set, evaluated once per "
        "epoch) is at most this (this session only)",
    ),
)
DEFAULT_STOP_VALUES = {"steps": 1000, "epochs": 50, "loss": 0.01}

PHASE_HINTS = {
    "forward": "Next: Forward — inputs flow through the layers (z = Σ w·a + b, a = f(z))",
    "backward": "Next: Backward — backpropagation computes every dL/dw by the chain rule",
    "update": "Next: Update — gradient descent moves every weight against its gradient",
}


def speed_label(speed: int | None) -> str:
    if speed is None:
        return "max speed"
    return f"{speed} step/s" if speed == 1 else f"{speed} steps/s"


def stored_speed(value: object) -> int | None:
    """The speed a settings value holds (``WATCHABLE_SPEED`` for none or one not offered)."""
    if value == "max":
        return None
    try:
        speed = int(value)
    except (TypeError, ValueError):
        return WATCHABLE_SPEED
    return speed if speed in SPEEDS else WATCHABLE_SPEED


def stop_value_text(condition: StopCondition | None) -> str:
    if condition is None:
        return ""
    if condition.kind == "steps":
        return numbers.count(int(condition.value))
    return numbers.fmt(condition.value, 6)  # a loss of 1×10⁻⁴ as the plots write it


def format_status(snap: Snapshot, task: str) -> str:
    """The status bar's training readout: which figures it shows says itself ("batch loss"
    until the training set is evaluated, "test acc." or "train acc." where no test set)."""

    def value(x: float) -> str:
        return fmt(x) if math.isfinite(x) else numbers.NOTHING

    if math.isfinite(snap.train_loss):
        loss = f"train loss {fmt(snap.train_loss)}"
    elif math.isfinite(snap.batch_loss):
        loss = f"batch loss {fmt(snap.batch_loss)}"
    else:
        loss = f"train loss {numbers.NOTHING}"
    parts = [
        f"epoch {numbers.epoch(snap.epoch)}",
        f"step {numbers.count(snap.step)}",
        loss,
        f"test loss {value(snap.test_loss)}",
    ]
    if task != "regression":
        if math.isfinite(snap.test_accuracy):
            parts.append(f"test acc. {numbers.percent(snap.test_accuracy)}")
        elif math.isfinite(snap.train_accuracy):
            parts.append(f"train acc. {numbers.percent(snap.train_accuracy)}")
        else:
            parts.append(f"test acc. {numbers.NOTHING}")
    if snap.playing:
        parts.append(f"{numbers.count(snap.steps_per_second)} steps/s")
    return " · ".join(parts)


ICON_SIZES = (16, 20, 24, 32, 48)


def tinted_icon(icon: QIcon, color: QColor) -> QIcon:
    """``icon``'s shapes in ``color``: the style's media icons are black whatever the palette
    (black on dark grey in a dark theme); drawn in the palette's button text they follow it."""
    tinted = QIcon()
    for size in ICON_SIZES:
        for mode in (QIcon.Mode.Normal, QIcon.Mode.Disabled):
            source = icon.pixmap(QSize(size, size), QIcon.Mode.Normal)
            if source.isNull():
                continue
            pixmap = QPixmap(source.size())
            pixmap.setDevicePixelRatio(source.devicePixelRatio())
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.drawPixmap(0, 0, source)
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
            shade = QColor(color)
            if mode == QIcon.Mode.Disabled:
                shade.setAlphaF(0.4)
            painter.fillRect(pixmap.rect(), shade)
            painter.end()
            tinted.addPixmap(pixmap, mode)
    return tinted


class HintLabel(ElidingLabel):
    """The toolbar's hint: it takes the room the controls leave and, where that is too
    little, ends in "…" (the whole text in its tooltip) rather than falling into the
    toolbar's overflow menu.  ``text()`` is the whole text."""

    SHORTEST = "Next: Forward — inp…"  # what it asks for at least

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        self.setTextFormat(Qt.RichText)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        hint = super().sizeHint()
        margins = self.contentsMargins()
        width = self.fontMetrics().horizontalAdvance(self.SHORTEST)
        return QSize(min(hint.width(), width + margins.left() + margins.right()), hint.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return self.sizeHint()


class TrainingToolbar(QToolBar):
    """Actions that drive a TrainingController; the Train menu shows the same actions."""

    mode_selected = Signal(str)  # "weights" | "gradients": what the canvas shows while playing

    def __init__(
        self,
        controller: TrainingController,
        parent: QWidget | None = None,
        settings: QSettings | None = None,
    ):
        super().__init__("Training", parent)
        self.setObjectName("TrainingToolbar")
        self.controller = controller
        self._settings = settings if settings is not None else QSettings()
        self.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)

        def action(text, slot, shortcut=None, tip=""):
            act = QAction(text, self)
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
            act.setToolTip(wrapped(f"{tip} ({shortcut})" if shortcut and tip else tip or text))
            act.setStatusTip(tip)
            act.triggered.connect(slot)
            return act

        style = self.style()
        self.play_action = action(
            "Play",
            controller.toggle,
            "Space",
            "Train continuously at the chosen speed, step after step (each one forward, "
            "backward, update on the next mini-batch); press again to pause",
        )
        self.step_action = action(
            "Step",
            controller.step,
            "Ctrl+Right",
            "One whole training step on the next mini-batch: forward (z = Σ w·a + b, "
            "a = f(z)), backward (δ = ∂L/∂z by the chain rule), update (SGD: w ← w − η·g)",
        )
        self.forward_action = action(
            "Forward",
            lambda: self._phase("forward"),
            "F",
            "Forward pass on the next mini-batch: every neuron computes z = Σ w·a + b from "
            "the layer before, then its activation a = f(z); the outputs give the loss L",
        )
        self.backward_action = action(
            "Backward",
            lambda: self._phase("backward"),
            "B",
            "Backpropagation: δ = ∂L/∂z at the outputs, then layer by layer back "
            "δ_j = f′(z_j)·Σ_k w_jk·δ_k (the chain rule); every gradient ∂L/∂w_ij = a_i·δ_j "
            "and ∂L/∂b_j = δ_j, averaged over the batch",
        )
        self.update_action = action(
            "Update",
            lambda: self._phase("update"),
            "U",
            "Update: the optimizer moves every weight against its gradient (SGD: w ← w − η·g)",
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
        self.speed_combo.setToolTip(
            wrapped(
                "Training speed while playing, in steps per second: slow enough to watch each "
                "step, or max speed (the views still redraw at most once a frame)"
            )
        )
        self.speed_combo.setAccessibleName("Training speed")
        for speed in SPEEDS:
            self.speed_combo.addItem(speed_label(speed), speed)
        speed = stored_speed(self._settings.value(SETTINGS_SPEED, WATCHABLE_SPEED))
        self.speed_combo.setCurrentIndex(SPEEDS.index(speed))
        controller.set_speed(speed)
        self._watch_speed = speed if speed is not None else WATCHABLE_SPEED
        self.speed_combo.currentIndexChanged.connect(self._on_speed_chosen)
        self.addWidget(self.speed_combo)
        self.max_speed_action = action(
            "Max",
            self.toggle_max_speed,
            None,
            "Max speed: train as fast as the machine goes (again: back to the speed before)",
        )
        self.max_speed_action.setCheckable(True)
        self.max_speed_action.setChecked(speed is None)
        self.addAction(self.max_speed_action)
        self.widgetForAction(self.max_speed_action).setToolButtonStyle(Qt.ToolButtonIconOnly)
        self.addSeparator()

        self.stop_label = QLabel("Stop at", self)
        self.stop_label.setContentsMargins(2, 0, 4, 0)
        self.stop_combo = QComboBox(self)
        self.stop_combo.setToolTip(
            wrapped(
                "Where Play pauses by itself: at a step, at an epoch (one pass over the training "
                "set: N/B steps for N samples in batches of B), or once the training loss is low "
                "enough"
            )
        )
        self.stop_combo.setAccessibleName("Stop at")
        for i, (label, kind, tip) in enumerate(STOP_CHOICES):
            self.stop_combo.addItem(label, kind)
            self.stop_combo.setItemData(i, tip, Qt.ToolTipRole)
        self.stop_value = QLineEdit(self)
        self.stop_value.setMaximumWidth(self.fontMetrics().horizontalAdvance("0") * 9)
        self.stop_value.setToolTip("The step, epoch or training loss where Play pauses")
        self.stop_value.setAccessibleName("Stop at value")
        self.stop_combo.currentIndexChanged.connect(self._on_stop_kind_chosen)
        self.stop_value.editingFinished.connect(self._on_stop_value_edited)
        self.addWidget(self.stop_label)
        self.addWidget(self.stop_combo)
        self.addWidget(self.stop_value)
        self._show_stop_condition(controller.stop_condition)
        controller.stop_condition_changed.connect(self._show_stop_condition)
        self.addSeparator()

        self.weights_mode = QAction("Show weights", self, checkable=True, checked=True)
        self.gradients_mode = QAction("Show gradients", self, checkable=True)
        self.weights_mode.setToolTip(
            wrapped("While playing, connections show the weights w: colour the sign, thickness |w|")
        )
        self.gradients_mode.setToolTip(
            wrapped(
                "While playing, connections show the gradients ∂L/∂w: each weight moves "
                "against its own (Δw = −η·∂L/∂w with SGD)"
            )
        )
        group = QActionGroup(self)
        for act, mode in ((self.weights_mode, "weights"), (self.gradients_mode, "gradients")):
            group.addAction(act)
            self.addAction(act)
            act.triggered.connect(lambda _=False, m=mode: self.mode_selected.emit(m))
        self.addSeparator()

        self.phase_label = HintLabel(self)
        self.phase_label.setContentsMargins(8, 0, 8, 0)
        self.addWidget(self.phase_label)

        self._playing = False
        self._apply_icons()
        controller.playing_changed.connect(self._on_playing_changed)
        controller.snapshot_ready.connect(self._on_snapshot)
        controller.diverged.connect(lambda _msg: self.restore_action.setEnabled(True))
        self._update_phase(controller.next_phase)
        document = controller.document
        for signal in (document.settings_changed, document.project_replaced):
            signal.connect(self._show_update_rule)
        self._show_update_rule()

    def _show_update_rule(self) -> None:
        """Update's tooltip states the project's optimizer's rule."""
        name = self.controller.document.project.optimizer.name
        self.update_action.setToolTip(f"{update_tip(name)}\n\n(U)")
        rule = SHORT_RULES.get(name, "")
        self.update_action.setStatusTip(
            f"Update: the optimizer moves every weight against its gradient ({name}: {rule})"
        )

    # ----------------------------------------------------------------- speed
    def _on_speed_chosen(self, index: int) -> None:
        speed = self.speed_combo.itemData(index)
        self.controller.set_speed(speed)
        self._settings.setValue(SETTINGS_SPEED, "max" if speed is None else speed)
        if speed is not None:
            self._watch_speed = speed
        self.max_speed_action.setChecked(speed is None)

    def toggle_max_speed(self) -> None:
        """Max speed, or (at max speed) back to the last slower speed chosen."""
        speed = self._watch_speed if self.controller.speed is None else None
        self.speed_combo.setCurrentIndex(SPEEDS.index(speed))
        self.max_speed_action.setChecked(speed is None)

    def watchable_speed(self) -> None:
        """At max speed, back to the watchable default (a slower speed chosen stays)."""
        if self.controller.speed is None:
            self.speed_combo.setCurrentIndex(SPEEDS.index(WATCHABLE_SPEED))

    # ----------------------------------------------------------------- stop condition
    def _show_stop_condition(self, condition: StopCondition | None) -> None:
        kind = None if condition is None else condition.kind
        with QSignalBlocker(self.stop_combo):
            self.stop_combo.setCurrentIndex(self.stop_combo.findData(kind))
        self.stop_value.setText(stop_value_text(condition))
        self.stop_value.setEnabled(condition is not None)
        self.stop_value.setStyleSheet("")

    def _on_stop_kind_chosen(self, index: int) -> None:
        kind = self.stop_combo.itemData(index)
        current = self.controller.stop_condition
        if kind is None:
            self.controller.set_stop_condition(None)
            return
        value = DEFAULT_STOP_VALUES[kind]
        if kind == "epochs" and current is not None and current.kind == "steps":
            # The same point, in epochs: the run's batches per epoch convert it.
            per_epoch = self.controller.trainer.batches.batches_per_epoch
            value = round(current.value / per_epoch, 2) or value
        elif kind == "steps" and current is not None and current.kind == "epochs":
            per_epoch = self.controller.trainer.batches.batches_per_epoch
            value = math.ceil(current.value * per_epoch)
        self.controller.set_stop_condition(StopCondition(kind, value))
        self.stop_value.setFocus()
        self.stop_value.selectAll()

    def _on_stop_value_edited(self) -> None:
        kind = self.stop_combo.currentData()
        if kind is None:
            return
        value = numbers.parse(self.stop_value.text())  # "2,000", "1×10⁻⁴" and "1e-4" alike
        try:
            if value is None:
                raise ValueError
            if kind == "steps" and value != int(value):
                raise ValueError
            condition = StopCondition(kind, int(value) if kind == "steps" else value)
            self.controller.set_stop_condition(condition)
        except (ValueError, OverflowError):
            self.stop_value.setStyleSheet("color: #d32f2f")
            what = {"steps": "a whole number of steps > 0", "epochs": "a number of epochs > 0"}
            self.controller.message.emit(
                f"Stop at {STOP_CHOICES[self.stop_combo.currentIndex()][0]}: "
                f"give {what.get(kind, 'a training loss ≥ 0')}"
            )
            return
        self._show_stop_condition(self.controller.stop_condition)

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

    # ----------------------------------------------------------------- icons
    def icon_color(self) -> QColor:
        """What the media icons are drawn in: the palette's button text."""
        return self.palette().color(QPalette.ColorRole.ButtonText)

    def _apply_icons(self) -> None:
        style, color = self.style(), self.icon_color()
        pixmaps = style.StandardPixmap
        play = pixmaps.SP_MediaPause if self._playing else pixmaps.SP_MediaPlay
        for act, which in (
            (self.play_action, play),
            (self.step_action, pixmaps.SP_MediaSkipForward),
            (self.max_speed_action, pixmaps.SP_MediaSeekForward),
        ):
            act.setIcon(tinted_icon(style.standardIcon(which), color))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange) and hasattr(
            self, "_playing"
        ):
            self._apply_icons()

    def _on_playing_changed(self, playing: bool) -> None:
        self._playing = playing
        self._apply_icons()
        self.play_action.setText("Pause" if playing else "Play")
        for act in (self.forward_action, self.backward_action, self.update_action):
            act.setEnabled(not playing)

    def _on_snapshot(self, snap: Snapshot) -> None:
        self.restore_action.setEnabled(snap.diverged is not None)
        self._update_phase(snap.phase)
        if snap.by_phase:
            self._follow_phase(snap)
        if getattr(snap, "rewound", False):
            # Wherever the timeline is docked, the toolbar says an earlier step is shown.
            self.phase_label.setText(
                f"<b>Rewound to step {snap.step:,} of {snap.live_step:,}</b> · Play resumes "
                "from here (undoable) · the timeline returns to now"
            )

    def _follow_phase(self, snap: Snapshot) -> None:
        # A phase run on its own: the toggles say what the connections show (Backward: the
        # gradients; Forward and Update: the weights), and Play goes on showing that.
        mode = "gradients" if snap.shown == "backward" else "weights"
        action = self.gradients_mode if mode == "gradients" else self.weights_mode
        if not action.isChecked():
            action.setChecked(True)
            self.mode_selected.emit(mode)
        # The forward pass ends in the batch's loss: say it, before what comes next.
        if snap.shown in ("forward", "backward") and math.isfinite(snap.forward_loss):
            self.phase_label.setText(
                f"<b>Loss on this batch L = {fmt(snap.forward_loss)}</b> · "
                + PHASE_HINTS[snap.phase]
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
