"""The network's output drawn on the data plot: the decision boundary (or a hovered neuron's map)
behind 2-D points, the p = 0.5 line, the fitted curve over 1-D data, and the caption that says
what the colours (or the line) mean.

The grid maths (bilinear upsampling, marching squares, the colour lookups) are plain functions;
:class:`SnapshotMaps` draws a TrainingController's snapshots with them, and :class:`MapCaption`
labels what it drew.
"""

from __future__ import annotations

import functools

import numpy as np
from PySide6.QtCore import QObject, QRectF, QSettings, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QWidget

import pyqtgraph as pg  # isort: skip  (after PySide6, so pyqtgraph binds to it)

from simulator.app import numbers
from simulator.app.clock import Throttle
from simulator.app.document import Document
from simulator.app.training import Snapshot, TrainingController
from simulator.ui import thumbnails

# The snapshot's 48² grid is drawn on 3x as many pixels per side, bilinearly interpolated before
# the colour lookup, so boundaries look smooth rather than blocky (and argmax edges stay crisp).
BOUNDARY_UPSAMPLE = 3
PLAYING_FRAME_MS = 66  # the boundary redraws at most ~15 times a second while playing
_SETTINGS_SHOW_BOUNDARY = "data/showBoundary"
# A way of looking, like "Show boundary": a preference of the user's (QSettings), not part of
# the project, so ticking it neither marks the project modified nor takes an Undo step.
_SETTINGS_DISCRETIZE = "data/discretize"
_LEGEND_BAR = (64, 10)  # the colour bar under the plot, pixels
_UNIT_RANGE = frozenset({"sigmoid", "softmax"})  # activations whose outputs lie in [0, 1]
_P_FLOOR = 1e-9  # probabilities are clipped to [_P_FLOOR, 1 − _P_FLOOR] before taking logs
_CURVE_LIMIT = 1e6  # 1-D fits are clipped to ±_CURVE_LIMIT before drawing
_CONTOUR_MARGIN = 0.1  # the p = 0.5 line shows once p reaches below 0.4 and above 0.6


@functools.lru_cache(maxsize=16)
def _resample_weights(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Linear interpolation from ``n_in`` samples spanning [0, 1] (the first and last on the
    ends) to the centres of ``n_out`` pixels tiling [0, 1]: each pixel's left sample index and
    the right sample's weight, (n_out,) each."""
    source = (np.arange(n_out) + 0.5) / n_out * (n_in - 1)
    left = np.clip(np.floor(source).astype(np.intp), 0, max(n_in - 2, 0))
    weight = (source - left).astype(np.float32)
    left.setflags(write=False)
    weight.setflags(write=False)
    return left, weight


def upsample(values: np.ndarray, factor: int = BOUNDARY_UPSAMPLE) -> np.ndarray:
    """Bilinear interpolation of grids (..., rows, cols) to (..., rows·factor, cols·factor),
    in float32 (plenty for colours)."""
    values = np.asarray(values, dtype=np.float32)
    if factor == 1 or min(values.shape[-2:]) < 2:
        return values
    # Gathers rather than matrix products: steadier timings, no BLAS thread pool involved.
    left, w = _resample_weights(values.shape[-2], values.shape[-2] * factor)
    w = w[:, None]
    values = values[..., left, :] * (1.0 - w) + values[..., left + 1, :] * w
    left, w = _resample_weights(values.shape[-1], values.shape[-1] * factor)
    return values[..., left] * (1.0 - w) + values[..., left + 1] * w


def contour_segments(values: np.ndarray, extent, level: float) -> np.ndarray:
    """Where the grid ``values`` (rows along y, columns along x, sampled evenly over ``extent``
    = (x_min, x_max, y_min, y_max) corners included) crosses ``level``, by marching squares:
    (2n, 2) points, each consecutive pair one segment."""
    rows, cols = values.shape
    xs = np.linspace(extent[0], extent[1], cols)
    ys = np.linspace(extent[2], extent[3], rows)
    v = values - level
    above = v > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        t_h = v[:, :-1] / (v[:, :-1] - v[:, 1:])  # along each horizontal edge
        t_v = v[:-1, :] / (v[:-1, :] - v[1:, :])  # along each vertical edge
    hx = xs[:-1] + t_h * np.diff(xs)
    hy = np.broadcast_to(ys[:, None], t_h.shape)
    vx = np.broadcast_to(xs[None, :], t_v.shape)
    vy = ys[:-1, None] + t_v * np.diff(ys)[:, None]
    h_cross = above[:, :-1] != above[:, 1:]
    v_cross = above[:-1, :] != above[1:, :]
    # Each cell's four edges in the order bottom, top, left, right.
    points = np.stack(
        [
            np.stack([hx[:-1], hx[1:], vx[:, :-1], vx[:, 1:]], axis=-1),
            np.stack([hy[:-1], hy[1:], vy[:, :-1], vy[:, 1:]], axis=-1),
        ],
        axis=-1,
    )  # (rows - 1, cols - 1, 4, 2)
    crossed = np.stack([h_cross[:-1], h_cross[1:], v_cross[:, :-1], v_cross[:, 1:]], axis=-1)
    count = crossed.sum(axis=-1)
    single = count == 2
    parts = [points[single][crossed[single]]]  # the cell's two crossings, one segment
    saddle = count == 4
    if saddle.any():
        # Two segments; the centre's side decides which corners they cut off.
        centre = (v[:-1, :-1] + v[:-1, 1:] + v[1:, :-1] + v[1:, 1:])[saddle]
        joined = (centre > 0) == above[:-1, :-1][saddle]  # bottom-left's side spans the centre
        order = np.where(joined[:, None], (0, 3, 1, 2), (0, 2, 1, 3))
        parts.append(np.take_along_axis(points[saddle], order[:, :, None], axis=1).reshape(-1, 2))
    return np.concatenate(parts).reshape(-1, 2)


def diverging_image(t: np.ndarray, background: str, factor: int = BOUNDARY_UPSAMPLE) -> np.ndarray:
    """Grid values t in [−1, 1] -> (rows, cols, 4) uint8 upsampled by ``factor``, orange ..
    blue."""
    lut = thumbnails.diverging_lut(background)
    # Clip first: a diverging network's outputs would overflow float32.
    fine = upsample(np.clip(t, -1.0, 1.0), factor)
    return lut[np.rint((fine + 1.0) * (0.5 * (len(lut) - 1))).astype(np.intp)]


class SmoothImageItem(pg.ImageItem):
    """An ImageItem scaled bilinearly on screen: the boundary is a smooth field, not pixels."""

    def paint(self, painter, *args) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        super().paint(painter, *args)
        painter.restore()


class MapCaption:
    """What the background (or the line) means: a caption and, for colour maps, a colour bar
    between its two ends' values.  ``layout`` holds the labels, for the panel to place."""

    def __init__(self):
        self.layout = QHBoxLayout()
        self.layout.setSpacing(4)
        self.text_label = QLabel()
        self.text_label.setTextFormat(Qt.TextFormat.RichText)
        self.text_label.setWordWrap(True)
        small = self.text_label.font()
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self.low_label = QLabel()
        self.bar = QLabel()
        self.bar.setFixedSize(*_LEGEND_BAR)
        self.high_label = QLabel()
        for label in (self.text_label, self.low_label, self.high_label):
            label.setFont(small)
        self.layout.addWidget(self.text_label, 1)
        self.layout.addWidget(self.low_label)
        self.layout.addWidget(self.bar)
        self.layout.addWidget(self.high_label)
        for widget in (self.text_label, self.low_label, self.bar, self.high_label):
            widget.hide()
        self._state: tuple | None = None

    def forget(self) -> None:
        """Redraw at the next :meth:`describe` even if its state is the same (a new background)."""
        self._state = None

    def describe(self, state: tuple | None, background: str) -> None:
        """Say what the drawn ``state`` means (a tuple from :class:`SnapshotMaps`, None for
        nothing drawn) over ``background``; only when that changes."""
        if state == self._state:
            return
        self._state = state
        bar = None
        low = high = ""
        text = ""
        kind = state[0] if state else None
        if kind == "binary":
            text = "Background: the network's p(class 1)"
            text += "; line: p = 0.5" if state[1] else ""
            bar, low, high = thumbnails.diverging_lut(background), "0", "1"
        elif kind == "binary-discrete":
            text = f"Background: the predicted class ({state[1]} where p ≥ 0.5)"
        elif kind == "multiclass":
            text = "Background: the predicted class, paler where the network is unsure"
        elif kind == "multiclass-discrete":
            text = "Background: the predicted class (the most probable one)"
        elif kind in ("regression", "neuron"):
            if kind == "regression":
                text = "Background: the network's prediction ŷ"
            else:
                text = f"{state[1]} (hovered)"
            bar = thumbnails.diverging_lut(background)
            low, high = (numbers.fmt(v, 3) for v in state[-2:])
        elif kind == "curve":
            line = f'<span style="color:{thumbnails.ORANGE}">━━</span>'
            what = "prediction ŷ(x)" if state[1] == "regression" else "p(class 1) at x"
            if len(state) > 2 and state[2]:
                what = "predicted class at x (1 where p ≥ 0.5)"
            text = f"{line}&nbsp;the network's {what}"
        elif kind == "neuron-curve":
            text = f"╌╌&nbsp;{state[1]} at x (hovered)"
        self.text_label.setText(text)
        self.text_label.setVisible(bool(text))
        if bar is not None:
            self.bar.setPixmap(QPixmap.fromImage(thumbnails.lut_image(bar, *_LEGEND_BAR)))
        self.low_label.setText(low)
        self.high_label.setText(high)
        for widget in (self.low_label, self.bar, self.high_label):
            widget.setVisible(bar is not None)


class SnapshotMaps(QObject):
    """Draws an attached TrainingController's snapshots on the data plot: the decision boundary
    or a hovered neuron's map behind 2-D points (with the p = 0.5 line), the fitted curve over
    1-D data, and the caption saying which.  While playing it draws at most every
    ``PLAYING_FRAME_MS``; while ``host`` is hidden not at all, catching up when it shows.

    ``plot`` receives the map items; :meth:`set_data` says what the plot shows.  The "Show
    boundary" and "Discretize" checkboxes (``show_boundary_checkbox``,
    ``discretize_checkbox``, remembered in QSettings) and the caption's ``caption.layout`` are
    for the host to place.  Discretized, the background shows the predicted class alone (p ≥
    0.5 for two classes, the most probable of several) instead of the probability.  Over 1-D
    data, ``line_drawn`` says where the line drawn goes (x0, x1, y0, y1), or None when none is,
    so the plot can keep it in view.
    """

    line_drawn = Signal(object)  # 1-D data: (x0, x1, y0, y1) of the line drawn, or None

    def __init__(self, document: Document, plot: pg.PlotWidget, host: QWidget):
        super().__init__(host)
        self.document = document
        self.controller: TrainingController | None = None
        self._host = host
        self._snapshot: Snapshot | None = None
        self._neuron_key: tuple[int, int] | None = None
        self._stale = False  # a snapshot arrived while the host was hidden
        # While playing, the boundary draws at most once per PLAYING_FRAME_MS of the
        # controller's frame clock.
        self._frames = Throttle(lambda: self.controller.clock, PLAYING_FRAME_MS / 1000)
        self._image_rect: QRectF | None = None
        self._toggle_state: tuple | None = None
        self._background = "#ffffff"  # the plot's, from apply_palette
        # What the plot shows, from set_data.
        self._mode = ""
        self._data_rect: QRectF | None = None
        self._task = ""
        self._n_classes = 0
        self._target_scale = 1.0
        self._settings = QSettings()

        # The decision boundary (or a neuron's map) behind the points; hidden until a
        # controller's snapshot arrives.
        self.boundary_item = SmoothImageItem(axisOrder="row-major")
        self.boundary_item.setZValue(-10)
        self.boundary_item.hide()
        self.contour_item = pg.PlotCurveItem(connect="pairs", antialias=True)
        self.contour_item.setZValue(-9)
        self.contour_item.hide()
        self.curve_item = pg.PlotDataItem(antialias=True)  # 1-D data: the network's fit
        self.curve_item.setZValue(12)
        self.curve_item.hide()
        for item in (self.boundary_item, self.contour_item, self.curve_item):
            plot.addItem(item)

        self.caption = MapCaption()
        self.show_boundary_checkbox = QCheckBox("Show boundary")
        self.show_boundary_checkbox.setToolTip(
            "Colour the plane by the network's output (its decision boundary); "
            "for 1-D data, draw its fitted curve"
        )
        self.show_boundary_checkbox.setChecked(
            self._settings.value(_SETTINGS_SHOW_BOUNDARY, True, type=bool)
        )
        self.show_boundary_checkbox.toggled.connect(self._on_show_boundary_toggled)
        self.show_boundary_checkbox.hide()  # until a controller is attached
        self.discretize_checkbox = QCheckBox("Discretize output")
        self.discretize_checkbox.setAccessibleName("Discretize output")
        self.discretize_checkbox.setChecked(
            self._settings.value(_SETTINGS_DISCRETIZE, False, type=bool)
        )
        self.discretize_checkbox.toggled.connect(self._on_discretize_toggled)
        self.discretize_checkbox.hide()  # until a controller is attached
        self._discretize_state: tuple | None = None

    # ----------------------------------------------------------------- inputs
    def attach(self, controller: TrainingController) -> None:
        """Draw ``controller``'s snapshots from now on (the current one at once)."""
        if self.controller is not None:
            self.controller.snapshot_ready.disconnect(self._on_snapshot_ready)
        self.controller = controller
        controller.snapshot_ready.connect(self._on_snapshot_ready)
        self.show_boundary_checkbox.show()
        self.discretize_checkbox.show()
        self._on_snapshot_ready(controller.snapshot())

    def set_data(self, data, mode: str, data_rect: QRectF | None) -> None:
        """The data the plot now shows (the Document's ``data``), as the plot draws it: ``mode``
        ("plane", "curve" or "digits") and the input plane's rectangle (None off the plane)."""
        self._mode = mode
        self._data_rect = None if data_rect is None else QRectF(data_rect)
        self._task = data.task
        self._n_classes = len(data.dataset.class_names) if data.task == "multiclass" else 0
        dataset = data.dataset
        self._target_scale = (
            thumbnails.target_scale(dataset.y) if dataset.kind == "regression" else 1.0
        )

    def apply_palette(self, palette: QPalette) -> None:
        """Follow the host's colours: the background the maps fade to, the p = 0.5 line."""
        self._background = palette.color(QPalette.ColorRole.Base).name()
        self.caption.forget()  # the colour bar follows the background
        contour = QColor(palette.color(QPalette.ColorRole.Text))
        contour.setAlpha(150)
        self.contour_item.setPen(pg.mkPen(contour, width=1.2, cosmetic=True))

    def show_neuron(self, key) -> None:
        """Show a neuron's output instead of the boundary; ``key`` is (k, index) with k the
        canvas column (0: the inputs, k >= 1: weight layer k − 1's outputs), or None to return
        to the decision boundary."""
        self._neuron_key = None if key is None else (int(key[0]), int(key[1]))
        self.draw()

    @property
    def neuron_key(self) -> tuple[int, int] | None:
        """The neuron whose map the plot shows, or None (the decision boundary)."""
        return self._neuron_key

    def catch_up(self) -> None:
        """Draw a snapshot that arrived while the host was hidden, if one did."""
        if self._stale:
            self.draw()

    def _on_snapshot_ready(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        if not self._host.isVisible():
            self._stale = True  # drawn when the host is shown
        elif snapshot.playing and not self._frames.due():
            # While playing, the boundary needs no more than ~15 frames a second; the time
            # goes to training.  The next snapshot (or the pause) draws the latest state.
            self._stale = True
        else:
            self._frames.mark()
            self.draw()

    def _on_show_boundary_toggled(self, on: bool) -> None:
        self._settings.setValue(_SETTINGS_SHOW_BOUNDARY, on)
        self.draw()

    def _on_discretize_toggled(self, on: bool) -> None:
        self._settings.setValue(_SETTINGS_DISCRETIZE, on)
        self.draw()

    @property
    def discretized(self) -> bool:
        """Whether the output map shows the predicted class alone (ticked, on classes)."""
        return self.discretize_checkbox.isChecked() and self._task in ("binary", "multiclass")

    def _sync_discretize(self, shown: bool) -> None:
        """Enable "Discretize" where it applies (a map or fit of classes), saying why not."""
        state = (shown, self._task == "regression", self._task)
        if state == self._discretize_state:
            return
        self._discretize_state = state
        checkbox = self.discretize_checkbox
        checkbox.setEnabled(shown and self._task != "regression")
        if self._task == "regression":
            checkbox.setToolTip(
                "Regression has no classes to threshold: the prediction stays a colour scale"
            )
        elif self._task == "multiclass":
            checkbox.setToolTip(
                "Show the predicted class alone, argmax over the classes, instead of how sure "
                "the network is"
            )
        else:
            checkbox.setToolTip(
                "Show the predicted class alone, class 1 where p ≥ 0.5, instead of the "
                "probability p(class 1)"
            )

    # ----------------------------------------------------------------- drawing
    def draw(self) -> None:
        """Draw the last snapshot: boundary or neuron map (plane), fitted curve (1-D)."""
        self._stale = False
        snap = self._snapshot
        plane = curve = None  # what was drawn, for the caption
        grid = snap is not None and snap.grid_shape is not None and snap.grid_output is not None
        if grid and self._mode == "plane" and len(snap.grid_shape) == 2 and self._fits(snap):
            plane = self._draw_plane(snap)
        else:
            self.boundary_item.hide()
            self.contour_item.hide()
        if grid and self._mode == "curve" and len(snap.grid_shape) == 1:
            curve = self._draw_curve(snap)
        else:
            self.curve_item.hide()
        if self._mode == "curve":
            self.line_drawn.emit(self._line_span() if self.curve_item.isVisible() else None)
        toggle = (bool(grid and self._mode in ("plane", "curve")), self._mode == "curve")
        if toggle != self._toggle_state:  # Qt calls only on a change: this runs per snapshot
            self._toggle_state = toggle
            self.show_boundary_checkbox.setEnabled(toggle[0])
            self.show_boundary_checkbox.setText("Show fit" if toggle[1] else "Show boundary")
        self._sync_discretize(toggle[0])
        self.caption.describe(plane or curve, self._background)

    def _line_span(self) -> tuple[float, float, float, float] | None:
        x, y = self.curve_item.getData()
        if x is None or not len(x):
            return None
        return (float(x.min()), float(x.max()), float(y.min()), float(y.max()))

    def _fits(self, snap: Snapshot) -> bool:
        # A snapshot from before a data change may no longer match the plot.
        rect = self._data_rect
        if rect is None or not np.allclose(
            snap.grid_extent, (rect.left(), rect.right(), rect.top(), rect.bottom())
        ):
            return False
        width = snap.grid_output.shape[1]
        return width == self._n_classes if self._task == "multiclass" else width == 1

    def _class_name(self, k: int) -> str:
        names = self.document.data.dataset.class_names
        return names[k] if k < len(names) else f"class {k}"

    def _neuron_values(self, snap: Snapshot) -> np.ndarray | None:
        """The hovered neuron's values over the grid, (G,), or None."""
        if self._neuron_key is None:
            return None
        k, index = self._neuron_key
        if k == 0:
            values = snap.grid_inputs
        elif snap.grid_activations is not None and 1 <= k <= len(snap.grid_activations):
            values = snap.grid_activations[k - 1]
        else:
            return None
        if values is None or not 0 <= index < values.shape[1]:
            return None
        return values[:, index]

    def _neuron_activation(self) -> str:
        """The hovered neuron's activation ("" for an input)."""
        k = self._neuron_key[0]
        activations = self.document.network.activations
        return activations[k - 1] if 1 <= k <= len(activations) else ""

    def _neuron_caption(self) -> str:
        k, index = self._neuron_key
        net = self.document.network
        data = self.document.data
        if k == 0:
            labels = data.input_labels
            name = labels[index] if index < len(labels) else f"x{index + 1}"
            return f"Input <b>{name}</b> over the plane"
        activation = self._neuron_activation()
        if k == len(net.sizes) - 1:
            labels = data.output_labels
            name = labels[index] if index < len(labels) else f"y{index + 1}"
            return f"Output <b>{name}</b>: {activation} output"
        return f"Neuron <b>h{k}_{index + 1}</b>: {activation} output"

    def _draw_plane(self, snap: Snapshot) -> tuple:
        rows, cols = snap.grid_shape
        neuron = self._neuron_values(snap)
        if neuron is None and not self.show_boundary_checkbox.isChecked():
            self.boundary_item.hide()
            self.contour_item.hide()
            return ("off",)
        background = self._background
        contour = None
        if neuron is not None:
            values = np.nan_to_num(neuron.reshape(rows, cols))
            if self._neuron_activation() in _UNIT_RANGE:
                # Probabilities: 0 … 1, as the decision boundary shows them.
                rgba = diverging_image(2.0 * values - 1.0, background)
                state = ("neuron", self._neuron_caption(), 0.0, 1.0)
            else:
                # Bounded activations keep their own scale (−1 … 1); larger values scale down.
                scale = max(1.0, float(np.abs(values).max()))
                rgba = diverging_image(values / scale, background)
                state = ("neuron", self._neuron_caption(), -scale, scale)
        elif self._task == "multiclass":
            k = self._n_classes
            probs = np.nan_to_num(snap.grid_output.T.reshape(k, rows, cols), nan=1.0 / k)
            # The winner from interpolated log-probabilities: smooth where probabilities jump.
            winner = upsample(np.log(np.clip(probs, _P_FLOOR, 1.0))).argmax(axis=0)
            top = upsample(probs.max(axis=0))  # smooth: no need for the log trick
            # Certainty 0 at a uniform guess (1/K), 1 at probability 1.
            certainty = np.clip((top - 1.0 / k) * (k / (k - 1.0)), 0.0, 1.0)
            lut = thumbnails.class_lut(k, background)
            levels = lut.shape[1]
            if self.discretized:  # the winner's colour, however sure
                certainty = np.ones_like(certainty)
            index = winner * levels + np.rint(certainty * (levels - 1)).astype(np.intp)
            rgba = lut.reshape(-1, 4)[index]
            state = ("multiclass-discrete",) if self.discretized else ("multiclass",)
        elif self._task == "binary":
            p = np.nan_to_num(snap.grid_output[:, 0].reshape(rows, cols), nan=0.5)
            # A trained network's p jumps from 0 to 1 within a grid cell: interpolating the
            # logit (near-linear there) keeps the boundary straight instead of stair-stepped.
            p = np.clip(p, _P_FLOOR, 1.0 - _P_FLOOR)
            logit = np.log(p) - np.log1p(-p)
            fine_logit = upsample(logit)
            # An undecided network's p wanders around 0.5: a line there would mean nothing.
            decided = p.min() < 0.5 - _CONTOUR_MARGIN and p.max() > 0.5 + _CONTOUR_MARGIN
            if self.discretized:
                # The class alone: p ≥ 0.5 (logit ≥ 0) class 1's colour, else class 0's.
                rgba = diverging_image(np.where(fine_logit >= 0.0, 1.0, -1.0), background, 1)
                state = ("binary-discrete", self._class_name(1))
            else:
                fine = 1.0 / (1.0 + np.exp(-fine_logit))
                rgba = diverging_image(2.0 * fine - 1.0, background, factor=1)
                state = ("binary", decided)
            contour = contour_segments(logit, snap.grid_extent, 0.0) if decided else None
        else:
            values = np.nan_to_num(snap.grid_output[:, 0].reshape(rows, cols))
            rgba = diverging_image(values / self._target_scale, background)
            state = ("regression", -self._target_scale, self._target_scale)
        self.boundary_item.setImage(rgba, autoLevels=False)
        x0, x1, y0, y1 = snap.grid_extent
        rect = QRectF(x0, y0, x1 - x0, y1 - y0)
        if rect != self._image_rect:
            self.boundary_item.setRect(rect)
            self._image_rect = rect
        self.boundary_item.show()
        if contour is not None and len(contour):
            self.contour_item.setData(contour[:, 0], contour[:, 1], connect="pairs")
            self.contour_item.show()
        else:
            self.contour_item.hide()
        return state

    def _draw_curve(self, snap: Snapshot) -> tuple:
        neuron = self._neuron_values(snap)
        if neuron is None and not self.show_boundary_checkbox.isChecked():
            self.curve_item.hide()
            return ("off",)
        x = snap.grid_x[:, 0]
        if neuron is not None:
            y = neuron
            pen = pg.mkPen(self._host.palette().color(QPalette.ColorRole.Text), width=2,
                           style=Qt.PenStyle.DashLine)  # fmt: skip
            state = ("neuron-curve", self._neuron_caption())
        else:
            out = snap.grid_output
            # 1-D classes: p(class 1), or the predicted class, on the label axis.
            y = out[:, 0] if out.shape[1] == 1 else out.argmax(axis=1).astype(np.float64)
            step = self.discretized and out.shape[1] == 1
            if step:  # the class predicted at x: 1 where p ≥ 0.5
                y = (np.nan_to_num(y, nan=0.0) >= 0.5).astype(np.float64)
            pen = pg.mkPen(thumbnails.ORANGE, width=2.5)
            state = ("curve", self._task, step)
        finite = np.isfinite(y)
        # Far off the axes is off the axes: keep huge values from overflowing Qt's paths.
        y = np.clip(y[finite], -_CURVE_LIMIT, _CURVE_LIMIT)
        self.curve_item.setData(x[finite], y, pen=pen)
        self.curve_item.show()
        return state
