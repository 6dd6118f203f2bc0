"""View ▸ Optimizer Lab: the engine's optimizers racing on 2-D loss surfaces, in a window of its
own (parented to the main window, so it closes with it).

The window composes a :class:`~simulator.app.optimizer_lab.LabController` with four views: the
map (``optimizer_lab_map.SurfaceMap``), the racers' table (``optimizer_lab_table.RacerTable``),
the loss plot (``optimizer_lab_loss.LossAgainstStep``) and the step readout
(``optimizer_lab_readout.StepReadout``).  Frames are drawn at most ~60 times a second of the
controller's clock (a FrameTimer, see DRAW_INTERVAL_S); paused, the map shows the arrows of
each racer's last step and the readout its numbers, both from the engine's ``explain()``.

The main window calls ``open_optimizer_lab(self)`` from its View menu.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QAction, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QMainWindow,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from simulator.app import numbers
from simulator.app.clock import Clock
from simulator.app.frame_timer import FrameTimer
from simulator.app.numbers import count
from simulator.app.optimizer_lab import FRAME_INTERVAL_S, SPEEDS, LabController
from simulator.engine.surfaces import SURFACES
from simulator.ui.optimizer_lab_loss import LossAgainstStep
from simulator.ui.optimizer_lab_map import SurfaceMap
from simulator.ui.optimizer_lab_readout import StepReadout
from simulator.ui.optimizer_lab_table import KeepKeys, RacerTable
from simulator.ui.spin_boxes import NumberSpinBox

TITLE = "Optimizer Lab"
# The controller sends at most 60 frames a second; the window draws at most one per 0.9 of
# that interval of its clock: never more than ~66 a second, and a frame arriving a little
# early (timers wake a millisecond late, and drawing takes varying time) is not coalesced
# with the next (with the full interval 5 % of the frames were).
DRAW_INTERVAL_S = 0.9 * FRAME_INTERVAL_S
PLAYING_HINT = "Pause (Space) or Step (→ or S) to see how each optimizer made its last step."
START_HINT = "Step (→ or S) to see how each optimizer makes its first step."


class OptimizerLabWindow(QMainWindow):
    """The lab's window.  ``controller`` drives the race; ``map``, ``table`` (a RacerTable),
    ``loss_plot``, ``readout``, the actions ``play_action``, ``step_action``,
    ``reset_action``, ``fit_action`` and the controls ``surface_combo``, ``speed_combo``,
    ``tolerance_edit``, ``start_x``/``start_y`` are its parts.  ``frames_drawn`` counts draws.
    """

    def __init__(self, parent: QWidget | None = None, clock: Clock | None = None):
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.setObjectName("OptimizerLabWindow")
        self.controller = LabController(self, clock=clock)
        self.frames_drawn = 0
        self._frame_timer = FrameTimer(
            lambda: self.controller.clock, DRAW_INTERVAL_S, self.draw_frame, self
        )
        self._build_actions()
        self._build_toolbar()
        self._build_views()
        self.statusBar().setSizeGripEnabled(True)
        self.step_label = QLabel()
        # A fixed width: a label growing with the count made the window lay out again each frame.
        widest = "step 10,000,000 of at most 10,000 · playing"
        self.step_label.setFixedWidth(self.step_label.fontMetrics().horizontalAdvance(widest))
        self.step_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.step_label.setToolTip("Steps taken by the racer furthest on, and the step limit")
        self.statusBar().addPermanentWidget(self.step_label)

        c = self.controller
        c.changed.connect(self._on_changed)
        c.frame.connect(self._on_frame)
        c.playing_changed.connect(self._on_playing_changed)
        c.finished.connect(self._on_finished)
        c.message.connect(self._show_message)
        self.table.refused.connect(self._show_message)
        self._fit_to_screen()
        self._on_changed()
        # The map first: Space, → and R work at once (a focused combo would take Space).
        self.map.setFocus()

    # ----------------------------------------------------------------- building
    def _build_actions(self) -> None:
        c = self.controller
        style = self.style()

        def action(text, slot, keys, tip, icon=None):
            act = QAction(text, self)
            act.setShortcuts([QKeySequence(k) for k in keys])
            shown = " or ".join(QKeySequence(k).toString(QKeySequence.NativeText) for k in keys)
            act.setToolTip(f"{tip} ({shown})")
            act.setStatusTip(tip)
            if icon is not None:
                act.setIcon(style.standardIcon(icon))
            act.triggered.connect(slot)
            self.addAction(act)  # the shortcut works wherever the focus is in the window
            return act

        pixmaps = style.StandardPixmap
        self.play_action = action("Play", c.toggle, ["Space"],
                                  "Race: every optimizer steps until paused or finished",
                                  pixmaps.SP_MediaPlay)  # fmt: skip
        self.step_action = action("Step", c.step, ["Right", "S"],
                                  "One step of every optimizer, then show how each was made",
                                  pixmaps.SP_MediaSkipForward)  # fmt: skip
        self.reset_action = action("Reset", c.reset, ["R"],
                                   "Every optimizer back to the start, its state forgotten",
                                   pixmaps.SP_BrowserReload)  # fmt: skip
        self.fit_action = action("Whole surface", self._fit_map, ["Home"],
                                 "Show the whole surface on the map (after zooming)")  # fmt: skip

    def _build_toolbar(self) -> None:
        bar = QToolBar("Race", self)
        bar.setObjectName("OptimizerLabToolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(bar)
        for act in (self.play_action, self.step_action, self.reset_action):
            bar.addAction(act)
        bar.addSeparator()

        self.speed_combo = QComboBox()
        self.speed_combo.setToolTip(
            "Steps of every optimizer per frame while playing (about 60 frames a second)"
        )
        self.speed_combo.setAccessibleName("Speed")
        for speed in SPEEDS:
            self.speed_combo.addItem(f"{speed} step{'s' if speed > 1 else ''}/frame", speed)
        self.speed_combo.setCurrentIndex(SPEEDS.index(self.controller.speed))
        self.speed_combo.currentIndexChanged.connect(
            lambda i: self.controller.set_speed(self.speed_combo.itemData(i))
        )
        bar.addWidget(_caption("Spee&d", self.speed_combo))
        bar.addWidget(self.speed_combo)
        bar.addSeparator()

        self.surface_combo = QComboBox()
        self.surface_combo.setToolTip("The loss surface the optimizers race on")
        self.surface_combo.setAccessibleName("Surface")
        for key, surface in SURFACES.items():
            self.surface_combo.addItem(surface.name, key)
        self.surface_combo.currentIndexChanged.connect(
            lambda i: self.controller.set_surface(self.surface_combo.itemData(i))
        )
        bar.addWidget(_caption("S&urface", self.surface_combo))
        bar.addWidget(self.surface_combo)
        bar.addSeparator()

        self.tolerance_edit = QLineEdit()
        self.tolerance_edit.setToolTip(
            "Reached: f − min at most this (Enter applies; the steps to reach it are counted again)"
        )
        self.tolerance_edit.setAccessibleName("Tolerance")
        self.tolerance_edit.setMaximumWidth(self.fontMetrics().horizontalAdvance("0.000000") + 16)
        self.tolerance_edit.editingFinished.connect(self._on_tolerance_edited)
        bar.addWidget(_caption("&Tolerance", self.tolerance_edit))
        bar.addWidget(self.tolerance_edit)
        bar.addSeparator()

        self.start_x, self.start_y = NumberSpinBox(), NumberSpinBox()
        for name, spin in (("x", self.start_x), ("y", self.start_y)):
            spin.setDecimals(3)
            spin.setSingleStep(0.1)
            spin.setKeyboardTracking(False)
            spin.setAccessibleName(f"Start {name}")
            spin.setToolTip(f"The start's {name} (or click the map)")
            spin.valueChanged.connect(self._on_start_edited)
        bar.addWidget(_caption("Start &x", self.start_x))
        bar.addWidget(self.start_x)
        bar.addWidget(_caption("&y", self.start_y))
        bar.addWidget(self.start_y)
        space = KeepKeys({Qt.Key.Key_Space}, self)  # Space opens a focused combo
        for combo in (self.speed_combo, self.surface_combo):
            combo.installEventFilter(space)

    def _build_views(self) -> None:
        self.formula = QLabel()
        self.formula.setWordWrap(True)
        self.formula.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.map = SurfaceMap()
        self.map.start_picked.connect(lambda x, y: self.controller.set_start((x, y)))
        self.table = RacerTable(self.controller)
        self.loss_plot = LossAgainstStep()
        self.readout = StepReadout()
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setForegroundRole(QPalette.ColorRole.PlaceholderText)  # muted

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(6, 4, 2, 2)
        left_layout.addWidget(self.formula)
        left_layout.addWidget(self.map, 1)
        left_layout.addWidget(self.caption)
        self.side = QSplitter(Qt.Orientation.Vertical)
        self.side.addWidget(self.table)
        self.side.addWidget(self.loss_plot)
        self.side.addWidget(self.readout)
        self.side.setStretchFactor(0, 3)
        self.side.setStretchFactor(1, 3)
        self.side.setStretchFactor(2, 4)
        self.side.setChildrenCollapsible(False)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.side)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 4)
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)

    def _fit_to_screen(self) -> None:
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            self.resize(1280, 760)
            return
        area = screen.availableGeometry()
        width, height = min(1800, int(area.width() * 0.94)), min(1000, int(area.height() * 0.92))
        self.resize(width, height)
        self.splitter.setSizes([width // 2, width - width // 2])
        # The table tall enough for seven racers; the rest shared by the plot and the readout.
        side = height - 90
        table = self.table.height_for_rows(7)
        self.side.setSizes([table, (side - table) * 11 // 20, (side - table) * 9 // 20])

    # ----------------------------------------------------------------- controller events
    def _on_changed(self) -> None:
        """Surface, racers or tolerance changed: every view follows, then a frame is drawn."""
        c = self.controller
        surface = c.surface
        with QSignalBlocker(self.surface_combo):
            self.surface_combo.setCurrentIndex(self.surface_combo.findData(surface.key))
        self.formula.setText(f"<b>f(x, y) = {surface.formula}</b> &nbsp;·&nbsp; {surface.note}")
        (x0, x1), (y0, y1) = surface.bounds
        for spin, lo, hi in ((self.start_x, x0, x1), (self.start_y, y0, y1)):
            with QSignalBlocker(spin):
                spin.setRange(lo, hi)
        if self.map.surface is not surface:
            self.map.set_surface(surface)
            self.loss_plot.set_surface(surface, self.map.value_range)
        with QSignalBlocker(self.tolerance_edit):
            self.tolerance_edit.setText(numbers.fmt(c.tolerance, 6))
        self.tolerance_edit.setEnabled(surface.minimum is not None)
        measure = "f − min" if surface.minimum is not None else "f − the least f on the map"
        marks = "★ minimum" if surface.kind == "minimum" else "✕ saddle point"
        self.caption.setText(
            f"Colours and lines: {measure}, log scale · {marks} · ○ start — click the map to "
            "start there; the wheel zooms, Home shows the whole surface"
        )
        self.loss_plot.set_tolerance(c.tolerance)
        self.map.set_racers(c.racers)
        self.loss_plot.set_racers(c.racers)
        self.table.sync()
        self._frame_timer.request(urgent=True)

    def _on_frame(self) -> None:
        self._frame_timer.request(urgent=not self.controller.playing)

    def _on_playing_changed(self, playing: bool) -> None:
        self.play_action.setText("Pause" if playing else "Play")
        pixmap = self.style().StandardPixmap
        icon = pixmap.SP_MediaPause if playing else pixmap.SP_MediaPlay
        self.play_action.setIcon(self.style().standardIcon(icon))
        self._frame_timer.request(urgent=True)

    def _on_finished(self, reason: str) -> None:
        self._show_message(f"{reason}. Reset (R) to race again.")

    def _show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 10_000)

    # ----------------------------------------------------------------- controls
    def _on_tolerance_edited(self) -> None:
        text = self.tolerance_edit.text()
        value = numbers.parse(text)  # "1×10⁻⁴" as shown, "1e-4" as typed
        try:
            if value is None:
                raise ValueError(text)
            self.controller.set_tolerance(value)
        except ValueError:
            self._show_message(f"The tolerance must be a positive number, not {text!r}")
            with QSignalBlocker(self.tolerance_edit):
                self.tolerance_edit.setText(numbers.fmt(self.controller.tolerance, 6))

    def _on_start_edited(self) -> None:
        self.controller.set_start((self.start_x.value(), self.start_y.value()))

    def _fit_map(self) -> None:
        self.map.show_whole_surface()

    # ----------------------------------------------------------------- drawing
    def draw_frame(self) -> None:
        """Draw the race now: trails, points, curves and results; paused, the step's arrows
        and numbers.  The frame timer calls it, at most once per DRAW_INTERVAL_S."""
        self._frame_timer.drawn()
        c = self.controller
        racers = c.racers
        explanations = None
        if not c.playing and c.steps > 0:
            explanations = [entry.explain() for entry in racers]
        self.map.draw(racers, c.start, explanations)
        self.loss_plot.draw(racers)
        self.table.refresh_results()
        if c.playing:
            self.readout.show_hint(PLAYING_HINT)
        elif explanations is None:
            self.readout.show_hint(START_HINT if racers else "Add an optimizer to race.")
        else:
            self.readout.show_steps(racers, explanations)
        for spin, value in zip((self.start_x, self.start_y), c.start):
            if spin.value() != value:
                with QSignalBlocker(spin):
                    spin.setValue(value)
        state = "playing" if c.playing else "paused"
        self.step_label.setText(f"step {count(c.steps)} of at most {count(c.step_limit)} · {state}")
        self.frames_drawn += 1

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.controller.pause()  # a hidden race does not run on
        self._frame_timer.cancel()
        super().closeEvent(event)


def _caption(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(f" {text} ")
    label.setBuddy(buddy)
    return label


def open_optimizer_lab(
    parent: QWidget | None = None, clock: Clock | None = None
) -> OptimizerLabWindow:
    """Show the Optimizer Lab of ``parent`` (one window per parent, made at the first call),
    raised and active.  ``clock``: the frame clock a new window's race runs by (the default:
    the real one)."""
    window = None
    if parent is not None:
        window = parent.findChild(
            OptimizerLabWindow, options=Qt.FindChildOption.FindDirectChildrenOnly
        )
    if window is None:
        window = OptimizerLabWindow(parent, clock=clock)
    window.show()
    window.raise_()
    window.activateWindow()
    return window
