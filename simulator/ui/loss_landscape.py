"""View ▸ Loss Landscape: the network's loss on a 2-D slice through its current weights.

After Li et al. (2018): the slice is spanned by the training path's first two principal
directions, with the path drawn on it, or by two random filter-normalised directions.  The
colours and contour lines are log-spaced loss levels of a perceptual map; the current weights
sit at (0, 0).  Below, the loss along the last update: t = 0 the weights before it, t = 1
after it.  The computation runs in worker processes (:class:`LandscapeJob`), with a progress
bar, a time-left estimate and Cancel; the window stays responsive and training may go on.

``open_loss_landscape(parent, controller)`` opens the one window of ``parent`` (the main
window puts it in its View menu).
"""

from __future__ import annotations

import html
import math

import numpy as np
from PySide6.QtCore import QCoreApplication, QEvent, QRectF, Qt
from PySide6.QtGui import QCloseEvent, QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

import pyqtgraph as pg  # isort: skip  (after PySide6, so pyqtgraph binds to it)

from simulator.app import numbers
from simulator.app.clock import time_left
from simulator.app.landscape_job import (
    DEFAULT_RESOLUTION,
    DEFAULT_SPAN,
    MIN_TRAJECTORY_POINTS,
    RESOLUTIONS,
    SPANS,
    LandscapeJob,
    LandscapeResult,
)
from simulator.app.numbers import count, fmt
from simulator.app.training import Snapshot, TrainingController
from simulator.ui.axes import number_axes, number_color_bar
from simulator.ui.data_maps import contour_segments

TITLE = "Loss Landscape"
MODE_LABELS = {
    "trajectory": "Training path (PCA)",
    "random": "Random (filter-normalised)",
}
MODE_TIPS = {
    "trajectory": "The plane of the training path's first two principal directions, through "
    "the current weights; the path is drawn on it (Li et al. 2018)",
    "random": "Two random directions, each neuron's incoming weights scaled to their own "
    "length, so that the picture does not depend on the weights' scale (biases stay)",
}
COLORMAP = "viridis"
CONTOUR_LEVELS = 12  # contour lines at log-evenly spaced losses between the lowest and highest
DECADES = 6  # the colours span at most this many decades below the highest loss
LINE_PLOT_HEIGHT = 170
CENTER_COLOR = "#ff4d4d"
PATH_COLOR = "#ffffff"
HALO = QColor(0, 0, 0, 150)
# The window's share of the screen, within these bounds (px).
SCREEN_SHARE = (0.62, 0.82)
SIZE_BOUNDS = ((820, 1300), (560, 920))
TITLE_SIZE = "10pt"
COLOR_BAR_LABEL = "loss (log scale)"
INTRODUCTION = (
    "The network's loss on the training set over a plane through its current weights "
    "(Li et al. 2018). Choose the directions and press Compute."
)
CAPTION = "★ the current weights · colours and lines: log-spaced levels of the loss."
PATH_CAPTION = "White: the training path, □ its start (checkpoints projected on the plane)."


def log_levels(values: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(log10 of the losses clipped to the colour levels, the lowest and highest level): the
    non-finite losses (overflow far out) show as the highest."""
    finite = values[np.isfinite(values)]
    top = float(finite.max()) if finite.size else 1.0
    positive = finite[finite > 0]
    bottom = float(positive.min()) if positive.size else top
    top = max(top, 1e-300)
    bottom = max(bottom, top * 10.0**-DECADES, 1e-300)
    hi = math.log10(top)
    lo = math.log10(bottom)
    if hi - lo < 1e-9:  # a flat slice: a level either side
        lo, hi = lo - 1e-3, hi + 1e-3
    clipped = np.clip(np.where(np.isfinite(values), values, top), 10.0**lo, 10.0**hi)
    return np.log10(clipped), lo, hi


def axis_labels(result: LandscapeResult) -> tuple[str, str]:
    """What the two directions are, for the axes."""
    if result.explained is not None:
        return tuple(
            f"PC{k + 1} ({numbers.percent(share, 0)} of the path)"
            for k, share in enumerate(result.explained)
        )
    return ("α: random direction d₁", "β: random direction d₂")


def format_loss(value: float) -> str:
    return fmt(value) if math.isfinite(value) else "overflow"


def summary(result: LandscapeResult) -> str:
    """One sentence: the step, the plane, the grid, the loss at the centre and the lowest."""
    what = (
        "the plane of the training path"
        if result.mode == "trajectory"
        else f"two random directions (seed {result.seed})"
    )
    parts = []
    where = result.center_index()
    if where is not None:
        parts.append(f"loss at the current weights (★) {format_loss(result.values[where])}")
    finite = np.where(np.isfinite(result.values), result.values, np.inf)
    i, j = np.unravel_index(np.argmin(finite), finite.shape)
    parts.append(
        f"lowest on the slice {format_loss(finite[i, j])} "
        f"at ({fmt(result.alphas[j], 3)}, {fmt(result.betas[i], 3)})"
    )
    n = result.resolution
    return f"Step {count(result.step)}, {what}, {n} × {n}: {'; '.join(parts)}."


class LossLandscapeWindow(QWidget):
    """The Loss Landscape window of ``controller``'s live run (see the module docstring).

    Its parts: the controls ``mode_box``, ``resolution_box``, ``span_box``, ``seed_box``,
    ``compute_button``; ``progress_bar``, ``time_left``, ``cancel_button``; the contour plot
    ``plot`` with ``image``, ``contours``, ``path``, ``center_marker`` and ``color_bar``;
    ``line_plot`` with ``line_curve``; ``readout`` (hover) and ``status``.  ``job`` computes;
    ``result`` is the landscape shown (None before the first).
    """

    def __init__(self, controller: TrainingController, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle(TITLE)
        self.setObjectName("LossLandscapeWindow")
        self.controller = controller
        self.result: LandscapeResult | None = None
        self._summary = ""  # the result's description
        self._edited = ""  # what changed in the network or data since the result was computed
        self.job = LandscapeJob(self)
        self.job.progress.connect(self._on_progress)
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(self._on_failed)

        self._make_controls()
        self._make_plot()
        self._make_line_plot()
        self.readout = QLabel(" ")
        self.readout.setTextFormat(Qt.TextFormat.PlainText)
        self.readout.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.readout.setMinimumWidth(260)
        self.caption = QLabel(CAPTION)
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        self.caption.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.plot)
        splitter.addWidget(self.line_plot)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setChildrenCollapsible(False)
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.addLayout(self._controls_row)
        layout.addLayout(self._progress_row)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)
        below = QHBoxLayout()
        below.addWidget(self.caption, 1)
        below.addWidget(self.readout)
        layout.addLayout(below)

        self.choose_default_mode()
        self._show_idle()
        self._apply_palette()
        self._fit_to_screen()
        controller.snapshot_ready.connect(self._on_snapshot)
        document = controller.document
        document.network_changed.connect(self._on_network_changed)
        document.data_changed.connect(self._on_data_changed)
        document.project_replaced.connect(self._on_project_replaced)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.job.cancel)

    # ----------------------------------------------------------------- construction
    def _make_controls(self) -> None:
        self.mode_box = QComboBox()
        for mode, label in MODE_LABELS.items():
            self.mode_box.addItem(label, mode)
            self.mode_box.setItemData(
                self.mode_box.count() - 1, MODE_TIPS[mode], Qt.ItemDataRole.ToolTipRole
            )
        self.mode_box.setToolTip("Which plane through the weights the slice lies in")
        self.resolution_box = QComboBox()
        for n in RESOLUTIONS:
            self.resolution_box.addItem(f"{n} × {n}", n)
        default = RESOLUTIONS.index(DEFAULT_RESOLUTION) if DEFAULT_RESOLUTION in RESOLUTIONS else 0
        self.resolution_box.setCurrentIndex(default)
        self.resolution_box.setToolTip(
            "Grid points per side: each is one evaluation of the loss on the whole training set"
        )
        self.span_box = QComboBox()
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, 2**31 - 1)
        self.seed_box.setToolTip("Seed of the random directions")
        self.compute_button = QPushButton("Compute")
        self.compute_button.setDefault(True)
        self.compute_button.setToolTip("Compute the landscape of the weights as they are now")
        self.compute_button.clicked.connect(self.compute)
        self.mode_box.currentIndexChanged.connect(self._on_mode_changed)

        row = QHBoxLayout()
        for text, widget in (
            ("Directions:", self.mode_box),
            ("Resolution:", self.resolution_box),
            ("Span:", self.span_box),
            ("Seed:", self.seed_box),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            row.addWidget(label)
            row.addWidget(widget)
            row.addSpacing(8)
        row.addStretch(1)
        row.addWidget(self.compute_button)
        self._controls_row = row

        self.progress_bar = QProgressBar()
        self.progress_bar.setFormat("%v of %m rows")
        self.progress_bar.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.time_left = QLabel()
        self.time_left.setMinimumWidth(150)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the computation (its worker processes end)")
        self.cancel_button.clicked.connect(self.cancel)
        progress = QHBoxLayout()
        progress.addWidget(self.progress_bar, 1)
        progress.addWidget(self.time_left)
        progress.addWidget(self.cancel_button)
        self._progress_row = progress

    def _make_plot(self) -> None:
        self.plot = pg.PlotWidget(axisItems=number_axes())
        self.plot.setMenuEnabled(False)
        for side in ("left", "bottom"):  # "PC2 (x0.001)" with ticks at −800 only confuses
            self.plot.getAxis(side).enableAutoSIPrefix(False)
        self.plot.setAccessibleName("Loss landscape")
        self.plot.setMinimumHeight(220)
        item = self.plot.getPlotItem()
        item.hideButtons()
        self.view = item.getViewBox()
        self.cmap = pg.colormap.get(COLORMAP)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-20)
        item.addItem(self.image)
        self.color_bar = pg.ColorBarItem(
            colorMap=self.cmap, interactive=False, width=12, label=COLOR_BAR_LABEL
        )
        self.color_bar.setImageItem(self.image, insert_in=item)
        # Its levels are log10 of the loss: the axis reads as the loss on a log scale (0.01,
        # 0.1, 1), not as its logarithm (−2, −1, 0).
        number_color_bar(self.color_bar, log=True)
        self.contours = pg.PlotCurveItem(connect="pairs")
        self.contours.setZValue(-10)
        item.addItem(self.contours)
        self.path = pg.PlotDataItem(
            pen=pg.mkPen(PATH_COLOR, width=1.6),
            shadowPen=pg.mkPen(HALO, width=3.6),
            symbol="o",
            symbolSize=5,
            symbolPen=pg.mkPen(HALO, width=1),
            symbolBrush=pg.mkBrush(PATH_COLOR),
        )
        self.path.setZValue(10)
        item.addItem(self.path)
        self.path_start = pg.ScatterPlotItem(
            symbol="s", size=9, pen=pg.mkPen(HALO, width=1), brush=pg.mkBrush(PATH_COLOR)
        )
        self.path_start.setZValue(11)
        item.addItem(self.path_start)
        self.center_marker = pg.ScatterPlotItem(
            symbol="star", size=18, pen=pg.mkPen("#000000", width=1), brush=CENTER_COLOR
        )
        self.center_marker.setZValue(12)
        item.addItem(self.center_marker)
        self.placeholder = pg.TextItem(anchor=(0.5, 0.5))
        item.addItem(self.placeholder)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)

    def _make_line_plot(self) -> None:
        self.line_plot = pg.PlotWidget(axisItems=number_axes())
        self.line_plot.setMenuEnabled(False)
        self.line_plot.setAccessibleName("Loss along the last update")
        self.line_plot.setMinimumHeight(120)
        self.line_plot.setMaximumHeight(2 * LINE_PLOT_HEIGHT)
        item = self.line_plot.getPlotItem()
        item.hideButtons()
        item.showGrid(x=True, y=True, alpha=0.25)
        self.line_plot.setLabel("bottom", "t  (0: before the last update, 1: after it)")
        self.line_plot.setLabel("left", "loss")
        self.line_plot.getAxis("left").enableAutoSIPrefix(False)
        self.line_curve = pg.PlotDataItem(pen=pg.mkPen("#3c9be0", width=2))
        item.addItem(self.line_curve)
        self.line_ends = pg.ScatterPlotItem(size=9, pen=pg.mkPen("#000000", width=1))
        self.line_ends.setZValue(5)
        item.addItem(self.line_ends)
        self.line_marks = []
        for t, text in ((0.0, "before"), (1.0, "after")):
            mark = pg.InfiniteLine(
                pos=t,
                angle=90,
                pen=pg.mkPen((128, 128, 128), width=1, style=Qt.PenStyle.DashLine),
                label=text,
                labelOpts={"position": 0.9, "anchors": [(0, 0), (0, 0)]},
            )
            item.addItem(mark)
            self.line_marks.append(mark)
        self.line_plot.setXRange(-0.5, 1.5, padding=0.02)

    def _fit_to_screen(self) -> None:
        screen = self.screen() or QGuiApplication.primaryScreen()
        available = screen.availableGeometry()
        size = []
        for share, (low, high), room in zip(
            SCREEN_SHARE, SIZE_BOUNDS, (available.width(), available.height())
        ):
            size.append(min(max(low, int(room * share)), high, int(room * 0.95)))
        width, height = size
        self.resize(width, height)
        self.splitter.setSizes([max(200, height - LINE_PLOT_HEIGHT - 150), LINE_PLOT_HEIGHT])

    # ----------------------------------------------------------------- controls
    @property
    def mode(self) -> str:
        return self.mode_box.currentData()

    def choose_default_mode(self) -> None:
        """The training path's plane once the run has checkpoints enough, else random."""
        step = self.controller.step_count
        earlier = sum(1 for s in self.controller.checkpoints.steps if s < step)
        enough = earlier + 1 >= MIN_TRAJECTORY_POINTS  # the current weights end the path
        self.mode_box.setCurrentIndex(self.mode_box.findData("trajectory" if enough else "random"))
        self._on_mode_changed()

    def _on_mode_changed(self, *_args) -> None:
        mode = self.mode
        self.span_box.clear()
        for span in SPANS[mode]:
            text = f"±{fmt(span)}" if mode == "random" else f"path × {fmt(span)}"
            self.span_box.addItem(text, span)
        self.span_box.setCurrentIndex(SPANS[mode].index(DEFAULT_SPAN[mode]))
        self.span_box.setToolTip(
            "α and β from −span to span, in units of the filter-normalised directions"
            if mode == "random"
            else "The box around the path (and the current weights), enlarged this many times"
        )
        self.seed_box.setEnabled(mode == "random")

    def compute(self) -> bool:
        """Start computing the landscape of the current weights with the chosen settings."""
        trainer = self.controller.trainer
        started = self.job.start_from(
            trainer,
            self.controller.checkpoints,
            mode=self.mode,
            resolution=int(self.resolution_box.currentData()),
            span=float(self.span_box.currentData()),
            seed=int(self.seed_box.value()),
        )
        if started:
            self._show_running()
            if self.result is None:
                self.placeholder.setText("Computing…")
            self.time_left.setText("starting the workers…")
            self.status.setText(
                f"Computing the landscape of step {count(trainer.step_count)} "
                f"on the training set ({count(len(trainer.X_train))} samples)…"
            )
        return started

    def cancel(self) -> None:
        """Stop the computation under way (nothing changes if none is)."""
        if not self.job.running:
            return
        self.job.cancel()
        self._show_idle()
        self.status.setText("Cancelled." + (" " + self._result_text() if self.result else ""))

    def _show_running(self) -> None:
        self.compute_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress_bar.setEnabled(True)
        self.progress_bar.setTextVisible(True)

    def _show_idle(self) -> None:
        self.compute_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setEnabled(False)
        self.time_left.setText("")
        if self.result is None:
            self.placeholder.setText("Press Compute to see the loss around the current weights")
            self.placeholder.setPos(0, 0)
            self.view.setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0)
            self.color_bar.hide()  # no levels yet
            self.status.setText(INTRODUCTION)

    # ----------------------------------------------------------------- job events
    def _on_progress(self, done: int, total: int) -> None:
        self.progress_bar.setRange(0, total)
        self.progress_bar.setValue(done)
        seconds = self.job.seconds_left()
        if seconds is not None and done < total:
            self.time_left.setText(time_left(seconds))

    def _on_failed(self, message: str) -> None:
        self._show_idle()
        self.status.setText(f"<span style='color:#d62728'>{html.escape(message)}</span>")

    def _on_finished(self, result: LandscapeResult) -> None:
        self.result = result
        self._summary = ""
        self._edited = ""
        self._show_idle()
        self.show_result(result)

    def show_result(self, result: LandscapeResult) -> None:
        """Draw ``result``: the image, contour lines, path, centre, labels and the 1-D line."""
        self.placeholder.setText("")
        alphas, betas = result.alphas, result.betas
        logs, lo, hi = log_levels(result.values)
        da = (alphas[-1] - alphas[0]) / max(1, len(alphas) - 1)
        db = (betas[-1] - betas[0]) / max(1, len(betas) - 1)
        self.image.setImage(logs, autoLevels=False, levels=(lo, hi))
        self.image.setRect(
            QRectF(alphas[0] - da / 2, betas[0] - db / 2, len(alphas) * da, len(betas) * db)
        )
        self.color_bar.setLevels((lo, hi))
        self.color_bar.show()
        extent = (alphas[0], alphas[-1], betas[0], betas[-1])
        levels = np.linspace(lo, hi, CONTOUR_LEVELS + 2)[1:-1]
        segments = [contour_segments(logs, extent, level) for level in levels]
        lines = np.concatenate(segments) if segments else np.zeros((0, 2))
        self.contours.setData(lines[:, 0], lines[:, 1])
        if result.trajectory is not None:
            path = result.trajectory
            self.path.setData(path[:, 0], path[:, 1])
            self.path_start.setData(pos=path[:1])
            self.caption.setText(f"{CAPTION} {PATH_CAPTION}")
        else:
            self.path.setData([], [])
            self.path_start.setData([])
            self.caption.setText(CAPTION)
        self.center_marker.setData(pos=[(0.0, 0.0)])
        bottom, left = axis_labels(result)
        self._set_labels(bottom, left)
        self.view.setRange(
            xRange=(alphas[0] - da / 2, alphas[-1] + da / 2),
            yRange=(betas[0] - db / 2, betas[-1] + db / 2),
            padding=0,
        )
        self._show_line(result)
        self.status.setText(self._result_text())

    def _show_line(self, result: LandscapeResult) -> None:
        item = self.line_plot.getPlotItem()
        if result.line_values is None:
            self.line_curve.setData([], [])
            self.line_ends.setData([])
            item.setTitle("Loss along the last update: no update yet", size=TITLE_SIZE)
            return
        ts, values = result.line_ts, result.line_values
        shown = np.where(np.isfinite(values), values, np.nan)
        self.line_curve.setData(ts, shown)
        ends = [(t, shown[np.argmin(np.abs(ts - t))]) for t in (0.0, 1.0)]
        self.line_ends.setData(
            pos=ends, brush=[pg.mkBrush("#bbbbbb"), pg.mkBrush(CENTER_COLOR)], symbol="o"
        )
        item.setTitle(
            f"Loss along the last update (step {count(result.line_step)})", size=TITLE_SIZE
        )
        self.line_plot.setXRange(-0.5, 1.5, padding=0.02)

    def _result_text(self) -> str:
        """What the landscape shows and, if the run has moved on since, a note saying so."""
        result = self.result
        if result is None:
            return ""
        if not self._summary:
            self._summary = summary(result)
        changed = self._edited
        if not changed and self.controller.step_count != result.step:
            changed = f"training went on to step {count(self.controller.step_count)}"
        if not changed:
            return self._summary
        return (
            f"{self._summary} <span style='color:#b8860b'>Since then {changed}: "
            "Compute again to see the landscape now.</span>"
        )

    def _set_labels(self, bottom: str, left: str) -> None:
        text = self.palette().color(QPalette.ColorRole.Text).name()
        self.plot.setLabel("bottom", bottom, color=text)
        self.plot.setLabel("left", left, color=text)

    # ----------------------------------------------------------------- the run moves on
    def _on_snapshot(self, _snap: Snapshot) -> None:
        self._refresh_status()

    def _on_network_changed(self) -> None:
        self._mark_changed("the network changed")

    def _on_data_changed(self) -> None:
        self._mark_changed("the data changed")

    def _on_project_replaced(self) -> None:
        self._mark_changed("another project was opened")

    def _mark_changed(self, what: str) -> None:
        if self.result is not None:
            self._edited = what
            self._refresh_status()

    def _refresh_status(self) -> None:
        if self.result is None or self.job.running:
            return  # the status says what is being computed
        text = self._result_text()
        if text != self.status.text():
            self.status.setText(text)

    # ----------------------------------------------------------------- hover
    def _on_mouse_moved(self, position) -> None:
        result = self.result
        if result is None or not self.plot.sceneBoundingRect().contains(position):
            self.readout.setText(" ")
            return
        point = self.view.mapSceneToView(position)
        a, b = point.x(), point.y()
        alphas, betas = result.alphas, result.betas
        da = (alphas[-1] - alphas[0]) / max(1, len(alphas) - 1)
        db = (betas[-1] - betas[0]) / max(1, len(betas) - 1)
        j = int(round((a - alphas[0]) / da))
        i = int(round((b - betas[0]) / db))
        if not (0 <= i < len(betas) and 0 <= j < len(alphas)):
            self.readout.setText(" ")
            return
        names = ("α", "β") if result.explained is None else ("PC1", "PC2")
        self.readout.setText(
            f"{names[0]} = {fmt(alphas[j])}, {names[1]} = {fmt(betas[i])}: "
            f"loss {format_loss(result.values[i, j])}"
        )

    # ----------------------------------------------------------------- window
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.cancel()
        super().closeEvent(event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()

    def _apply_palette(self) -> None:
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        mid = palette.color(QPalette.ColorRole.Mid)
        for widget in (self.plot, self.line_plot):
            widget.setBackground(base)
            for side in ("left", "bottom"):
                axis = widget.getAxis(side)
                axis.setPen(pg.mkPen(mid))
                axis.setTextPen(pg.mkPen(text))
                if axis.labelText:
                    axis.setLabel(axis.labelText, color=text.name())
            widget.getPlotItem().titleLabel.setAttr("color", text.name())
        self.color_bar.axis.setPen(pg.mkPen(mid))
        self.color_bar.axis.setTextPen(pg.mkPen(text))
        # ColorBarItem puts its label on the frame's left side.
        self.color_bar.getAxis("left").setLabel(COLOR_BAR_LABEL, color=text.name())
        self.placeholder.setColor(text)
        # Contour lines: light on the dark end of the map, so they read on either end.
        self.contours.setPen(pg.mkPen(QColor(255, 255, 255, 90), width=1))
        for mark in self.line_marks:
            mark.label.setColor(text)
        if self.result is not None:
            self._show_line(self.result)


def open_loss_landscape(parent: QWidget, controller: TrainingController) -> LossLandscapeWindow:
    """Show ``parent``'s Loss Landscape window (made the first time) and return it."""
    window = parent.findChild(LossLandscapeWindow)
    if window is None:
        window = LossLandscapeWindow(controller, parent)
    elif window.result is None and not window.job.running:
        window.choose_default_mode()  # the run may have grown a path since it was made
    window.show()
    window.raise_()
    window.activateWindow()
    return window
