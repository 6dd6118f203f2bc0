"""The training plots: loss (with accuracy and learning rate) and gradient flow.

pyqtgraph's recipe for long, growing series: each curve is one PlotDataItem, made once and fed
with ``setData`` from views of the history's columns (which grow by doubling), with peak
downsampling and clip-to-view, redrawn at most once per frame.  Past a few points per pixel a
series goes through an incrementally kept min/max envelope (pyqtgraph's HDF5 example), so a
frame costs the same at a thousand steps or a million.  Columns with gaps (the full-set
losses, evaluated once per epoch) are compacted a few new rows per frame, so no NaN ever
reaches a line.  Views never call the engine: they read the controller's history on the GUI
thread, after the controller's snapshots.
"""

from __future__ import annotations

import html
import math
import re

import numpy as np
from PySide6.QtCore import QEvent, QObject, QSettings, QSignalBlocker, QSize, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPalette
from PySide6.QtWidgets import (
    QBoxLayout,
    QButtonGroup,
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

import pyqtgraph as pg  # isort: skip  (after PySide6, so pyqtgraph binds to it)

from simulator.app import numbers
from simulator.app.frame_timer import FrameTimer
from simulator.app.training import TrainingController
from simulator.ui import thumbnails
from simulator.ui.axes import NumberAxis
from simulator.ui.contrast import MIN_GRAPHICS_CONTRAST, faint_alpha, readable
from simulator.ui.metrics_view import MetricsView
from simulator.ui.timeline import Timeline

# At most 5 redraws a second while playing: curves need no more, and each costs every plot a
# repaint of its scene (several ms), time that training and the canvas get instead.
MIN_FRAME_MS = 200
HOVER_RATE = 60  # mouse-move readouts per second
AXIS_WIDTH = 62  # a fixed left axis, so the stacked plots' x axes line up
NARROW_PANEL = 420  # px: below this the x-axis toggle drops its "x axis:" label
X_PADDING = 0.02  # of the x span, either side, while the x axis follows the data
SIDE_BY_SIDE_RATIO = 1.8  # a page this much wider than tall puts its strips right of the main plot
TRAIN_COLOR = thumbnails.BLUE
TRAIN_COLOR_DARK = "#3c9be0"  # the canvas's blue on a dark background
TEST_COLOR = thumbnails.ORANGE
LR_COLOR = "#2ca02c"
DIVERGED_COLOR = "#d62728"
VIEWED_COLOR = "#9467bd"  # the step shown by rewinding
MIN_LINE_CONTRAST = MIN_GRAPHICS_CONTRAST  # every layer's curve against the plot
X_AXES = ("step", "epoch")

_SETTINGS_X = "plots/x_axis"
_SETTINGS_LOSS_LOG = "plots/loss_log"
_SETTINGS_GRADIENT_LOG = "plots/gradient_log"


# --------------------------------------------------------------------- data plumbing
class _Buffer:
    """A 1-D array that doubles its capacity as it fills; ``view`` is the filled part."""

    def __init__(self, dtype, capacity: int = 256):
        self._data = np.empty(capacity, dtype)
        self.n = 0

    @property
    def view(self) -> np.ndarray:
        return self._data[: self.n]

    def truncate(self, n: int) -> None:
        self.n = max(0, min(n, self.n))

    def extend(self, values: np.ndarray) -> None:
        need = self.n + len(values)
        if need > len(self._data):
            capacity = len(self._data)
            while capacity < need:
                capacity *= 2
            grown = np.empty(capacity, self._data.dtype)
            grown[: self.n] = self._data[: self.n]
            self._data = grown
        self._data[self.n : need] = values
        self.n = need


def _search(x: np.ndarray, value: float, side: str = "left") -> int:
    """``np.searchsorted`` that does not turn integer ``x`` into floats (a copy of every row)."""
    if x.dtype.kind in "iu":
        if math.isnan(value):
            return len(x)
        value = min(max(value, -(2.0**62)), 2.0**62)
        value = math.ceil(value) if side == "left" else math.floor(value)
    return int(np.searchsorted(x, value, side=side))


class _Rows:
    """The x value of every history row: its step or its (fractional) epoch.

    Steps are kept as int64 (the history stores floats), so pyqtgraph knows they are finite
    without scanning them each frame.  ``monotonic`` is False once x ever decreases (an epoch
    count after a batch-size change), which clip-to-view cannot handle.
    """

    def __init__(self, mode: str = "step"):
        self.mode = mode
        self.reset()

    def reset(self, mode: str | None = None) -> None:
        if mode is not None:
            self.mode = mode
        self._steps = _Buffer(np.int64)
        self._checked = 0
        self.monotonic = True
        self.x = self._steps.view

    def update(self, history) -> np.ndarray:
        n = len(history)
        if n < self._checked:
            self.reset()
        if self.mode == "step":
            if n > self._steps.n:
                self._steps.extend(history.column("step")[self._steps.n : n])
            self.x = self._steps.view
        else:
            self.x = history.column("epoch")
        if n > self._checked:
            lo = max(self._checked - 1, 0)
            if self.monotonic and np.any(np.diff(self.x[lo:n]) < 0):
                self.monotonic = False
            self._checked = n
        return self.x

    def row_at(self, x: float) -> int | None:
        """The row whose x is nearest to ``x`` (None without rows)."""
        xs = self.x
        n = len(xs)
        if n == 0:
            return None
        if not self.monotonic:
            return int(np.argmin(np.abs(xs - x)))
        i = _search(xs, x)
        if i <= 0:
            return 0
        if i >= n:
            return n - 1
        return i if xs[i] - x < x - xs[i - 1] else i - 1


class _Envelope:
    """Min and max of a growing series over blocks of 32, 1,024 and 32,768 points.

    Kept up to date a few points per frame, so that a frame hands pyqtgraph about two points
    per pixel column (each column's min and max) however long the history is: the idea of
    pyqtgraph's HDF5 example.  Reducing a million points afresh at every frame, as pyqtgraph's
    own downsampling does (twice: before and after the auto-range), cost several ms per curve.
    """

    BLOCK = 32
    LEVELS = 3

    def __init__(self):
        self.n = 0
        self._lo = [_Buffer(float) for _ in range(self.LEVELS)]
        self._hi = [_Buffer(float) for _ in range(self.LEVELS)]

    def update(self, y: np.ndarray, changed_from: int) -> None:
        """``y`` (finite) is the whole series; points from ``changed_from`` on are new."""
        first = min(changed_from, self.n)
        lo = hi = y
        for level in range(self.LEVELS):
            first //= self.BLOCK
            start = first * self.BLOCK
            seg_lo, seg_hi = lo[start:], hi[start:]
            whole = len(seg_lo) // self.BLOCK * self.BLOCK
            new_lo = seg_lo[:whole].reshape(-1, self.BLOCK).min(axis=1)
            new_hi = seg_hi[:whole].reshape(-1, self.BLOCK).max(axis=1)
            if whole < len(seg_lo):  # the last, partial block
                new_lo = np.append(new_lo, seg_lo[whole:].min())
                new_hi = np.append(new_hi, seg_hi[whole:].max())
            self._lo[level].truncate(first)
            self._hi[level].truncate(first)
            self._lo[level].extend(new_lo)
            self._hi[level].extend(new_hi)
            lo, hi = self._lo[level].view, self._hi[level].view
        self.n = len(y)

    def reduce(self, x: np.ndarray, y: np.ndarray, i0: int, i1: int, px: int):
        """Points ``i0:i1`` of (x, y) as 2-4 points per pixel of ``px``, like pyqtgraph's peak
        mode: each group's max then min at the group's first x, then the last point."""
        per_px = (i1 - i0) / max(px, 1)
        if per_px < 4:  # few enough for pyqtgraph as they are
            return x[i0:i1], y[i0:i1]
        size, level = 1, -1
        while level + 1 < self.LEVELS and size * self.BLOCK <= per_px:
            size *= self.BLOCK
            level += 1
        b0, b1 = i0 // size, -(-i1 // size)
        if level < 0:
            lo = hi = y[b0:b1]
        else:
            lo, hi = self._lo[level].view[b0:b1], self._hi[level].view[b0:b1]
        starts = np.arange(0, len(lo), max(1, int(per_px // size)))
        group_lo = np.minimum.reduceat(lo, starts)
        group_hi = np.maximum.reduceat(hi, starts)
        out_x = np.empty(2 * len(starts) + 1)
        out_y = np.empty_like(out_x)
        out_x[:-1:2] = out_x[1:-1:2] = x[np.minimum((b0 + starts) * size, i1 - 1)]
        out_y[:-1:2] = group_hi
        out_y[1:-1:2] = group_lo
        out_x[-1], out_y[-1] = x[i1 - 1], y[i1 - 1]
        return out_x, out_y


class _Track:
    """Feeds one history column to one PlotDataItem, never passing it a NaN.

    A dense column (finite on every row from its first finite one) is read through views of
    the history's own buffers; a column with gaps (evaluations, NaN between them) is
    compacted into buffers of its own.  Each frame looks only at the rows added since the
    last one, plus the last row again (an evaluation may have been written onto it since).
    Long series reach pyqtgraph through an :class:`_Envelope`, clipped to the visible window.
    """

    def __init__(self, item: pg.PlotDataItem):
        self.item = item
        self.reset()

    def reset(self) -> None:
        self.rows = 0  # history rows looked at
        self.start: int | None = None  # first finite row (dense)
        self.sparse = False
        self._base = None  # the history buffer the column lives in
        self._last = math.nan
        self._x: np.ndarray | None = None
        self._y: np.ndarray | None = None
        self._idx = _Buffer(np.int64)
        self._xs = _Buffer(float)
        self._ys = _Buffer(float)
        self._envelope = _Envelope()
        self._pushed = None

    def update(self, y: np.ndarray | None, x: np.ndarray, window=None) -> bool:
        """Show ``y`` (a column's filled part) against ``x`` (every row's x); returns whether
        anything changed.  ``window``: (x_min, x_max, pixels) of the view; x_min and x_max
        None for all of the data (auto-range, or x not sorted)."""
        n = 0 if y is None else len(y)
        if n == 0:
            had = self.rows > 0 or self.item.getOriginalDataset()[1] is not None
            self.reset()
            if had:
                self.item.setData(x=np.empty(0), y=np.empty(0))
            return had
        if n < self.rows or y.base is not self._base:
            # Rewound, restructured (a layer's column restarts) or regrown: look again.
            self.reset()
            self._base = y.base
        last = float(y[n - 1])
        if n == self.rows and (last == self._last or (math.isnan(last) and math.isnan(self._last))):
            return self.redraw(window)
        lo = max(self.rows - 1, 0)
        finite = np.isfinite(y[lo:n])
        changed_from = lo  # in the series handed on (dense: rows from start; sparse: points)
        if self.sparse:
            changed_from = int(np.searchsorted(self._idx.view, lo))
            for buffer in (self._idx, self._xs, self._ys):
                buffer.truncate(changed_from)
            self._append(lo + np.flatnonzero(finite), x, y)
        elif self.start is None:
            hits = np.flatnonzero(finite)
            if hits.size:
                self.start = lo + int(hits[0])
                changed_from = 0
                if not finite[hits[0] :].all():
                    self._compact(x, y, n)
        elif not finite.all():
            self._compact(x, y, n)
            changed_from = 0
        else:
            changed_from = lo - self.start
        self.rows = n
        self._last = last
        self._x, self._y = x, y
        series = self._series()
        if series is not None:
            self._envelope.update(series[1], changed_from)
        self._pushed = None
        return self.redraw(window)

    def redraw(self, window=None) -> bool:
        """Hand pyqtgraph the part in ``window`` again (the view moved); False if unchanged."""
        key = (self.rows, window)
        if key == self._pushed:
            return False
        self._pushed = key
        series = self._series()
        if series is None:
            self.item.setData(x=np.empty(0), y=np.empty(0))
            return True
        x, y = series
        i0, i1 = 0, len(x)
        x_min, x_max, pixels = window or (None, None, 2000)
        if x_min is not None:
            # One point beyond each edge, so the line runs on to the border.
            i0 = max(_search(x, x_min) - 1, 0)
            i1 = min(_search(x, x_max, "right") + 1, len(x))
            if i1 - i0 < 2:
                i0, i1 = max(min(i0, len(x) - 2), 0), len(x)
        out_x, out_y = self._envelope.reduce(x, y, i0, i1, pixels)
        self.item.setData(x=out_x, y=out_y)
        return True

    def _series(self):
        """(x, y) handed on: views from the first finite row, or the compacted buffers."""
        if self.sparse:
            return (self._xs.view, self._ys.view) if self._xs.n else None
        if self.start is None:
            return None
        return self._x[self.start : self.rows], self._y[self.start : self.rows]

    def _compact(self, x: np.ndarray, y: np.ndarray, n: int) -> None:
        self.sparse = True
        for buffer in (self._idx, self._xs, self._ys):
            buffer.truncate(0)
        self._append(np.flatnonzero(np.isfinite(y[:n])), x, y)

    def _append(self, rows: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
        if rows.size:
            self._idx.extend(rows)
            self._xs.extend(x[rows])
            self._ys.extend(y[rows])

    def value_at(self, row: int) -> tuple[int, float] | None:
        """The last finite (row, value) at or before ``row`` among the rows shown."""
        if self.sparse:
            k = int(np.searchsorted(self._idx.view, row, side="right")) - 1
            return (int(self._idx.view[k]), float(self._ys.view[k])) if k >= 0 else None
        if self.start is None or row < self.start or self._y is None:
            return None
        row = min(row, self.rows - 1)
        return row, float(self._y[row])


# --------------------------------------------------------------------- helpers
def _pen(color, width: float = 1.0, alpha: int = 255, style=Qt.PenStyle.SolidLine):
    qcolor = QColor(color)
    qcolor.setAlpha(alpha)
    return pg.mkPen(qcolor, width=width, style=style)


def _curve(name: str | None, pen) -> pg.PlotDataItem:
    # Long series arrive reduced (_Envelope); pyqtgraph's own peak downsampling (set on the
    # PlotItem) thins what is left to one min/max pair per pixel, not its default five.
    item = pg.PlotDataItem(name=name, pen=pen, autoDownsampleFactor=1.0)
    item.setSkipFiniteCheck(True)  # _Track never passes NaN (log mode turns this off)
    return item


def _swatch(color: str, text: str) -> str:
    return f"<span style='color:{color}'>━</span>&nbsp;{text}"


def _gray(text: str) -> str:
    return f"<span style='color:gray'>{text}</span>"


_TAGS = re.compile(r"<[^>]+>")


def _plain(rich: str) -> str:
    """The text a reader sees of ``rich`` (tags dropped, entities read)."""
    return html.unescape(_TAGS.sub("", rich))


def _new_plot(y_label: str) -> pg.PlotWidget:
    # Steps and epochs are whole numbers on the x axis: no tick at 1.2 between steps 1 and 2.
    axes = {"left": NumberAxis("left"), "bottom": NumberAxis("bottom", integer=True)}
    widget = pg.PlotWidget(axisItems=axes)
    widget.setMenuEnabled(False)  # its log/transform menu would fight the panel's toggles
    widget.setLabel("left", y_label)
    widget.getAxis("left").setWidth(AXIS_WIDTH)
    widget.getAxis("left").enableAutoSIPrefix(False)  # "loss (x0.001)" only confuses
    # No grid: pyqtgraph draws it as part of each axis, a view-sized picture redrawn whenever
    # the range moves (every frame while training), which tripled the cost of a frame.
    widget.setMinimumHeight(60)
    # Room above the view for half a tick label: a label at the top ("1.0") is not cut.
    layout = widget.getPlotItem().layout
    left, top, right, bottom = layout.getContentsMargins()
    half = QFontMetricsF(widget.font()).height() / 2
    layout.setContentsMargins(left, max(top, half), right, bottom)
    # A million steps stay smooth: min/max per pixel column, only the part in view.  Set on
    # the PlotItem, which imposes its own settings on every curve added to it.
    widget.setDownsampling(auto=True, mode="peak")
    widget.setClipToView(True)
    return widget


def _readout_label(tooltip: str) -> QLabel:
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    label.setToolTip(tooltip)
    return label


class _ReadoutBox(QWidget):
    """Holds a page's readout outside any layout, at the height the page sets: a label in a
    layout tells the layouts above it of every new text (5 times a second while playing, at
    every mouse move over a plot), and each time the whole main window was laid out again."""

    def __init__(self, label: QLabel):
        super().__init__()
        label.setParent(self)
        self._label = label
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._label.setGeometry(self.rect())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(0, self.minimumHeight())


def _hover_line() -> pg.InfiniteLine:
    pen = _pen("#808080", 1, 160, Qt.PenStyle.DashLine)
    line = pg.InfiniteLine(angle=90, movable=False, pen=pen)
    line.hide()
    return line


def _diverged_line(x: float, label: str | None, fill: QColor) -> pg.InfiniteLine:
    # Half-way up, left of the line: the legend holds the top right, where divergence happens.
    opts = {
        "position": 0.5,
        "color": DIVERGED_COLOR,
        "fill": fill,
        "anchors": [(1.05, 0.5), (1.05, 0.5)],
    }
    return pg.InfiniteLine(pos=x, angle=90, movable=False,
                           pen=_pen(DIVERGED_COLOR, 1.5, style=Qt.PenStyle.DashLine),
                           label=label, labelOpts=opts)  # fmt: skip


def _window(widget: pg.PlotWidget, rows: _Rows) -> tuple:
    """(x_min, x_max, pixels) of what ``widget`` shows; x_min/x_max None: everything."""
    view = widget.getPlotItem().getViewBox()
    pixels = max(1, int(view.width()))
    if not rows.monotonic or view.autoRangeEnabled()[0]:
        return None, None, pixels
    (x_min, x_max), _ = view.viewRange()
    return x_min, x_max, pixels


def _x_of_step(mode: str, history, step: int) -> float:
    """Where ``step`` is on an x axis of steps or epochs."""
    if mode == "step" or history is None or not len(history):
        return float(step)
    steps = history.column("step")
    epochs = history.column("epoch")
    i = min(int(np.searchsorted(steps, step)), len(steps) - 1)
    if steps[i] == step:
        return float(epochs[i])
    return float(step) * float(epochs[-1]) / float(steps[-1])


def _drawn_key(history) -> tuple:
    """What says whether a history changed since a page drew it: its length and revision,
    and the evaluations on its last row (written onto it after the step)."""
    n = len(history)
    last = [float(history.column(name)[n - 1]) for name in _EVALUATED] if n else []
    return n, history.revision, tuple(None if math.isnan(v) else v for v in last)


_EVALUATED = ("train_loss", "test_loss")


def _train_color(palette: QPalette) -> str:
    dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
    return TRAIN_COLOR_DARK if dark else TRAIN_COLOR


def _label_fill(palette: QPalette) -> QColor:
    fill = QColor(palette.color(QPalette.ColorRole.Base))
    fill.setAlpha(210)
    return fill


def _style_plot(widget: pg.PlotWidget, palette: QPalette) -> None:
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    widget.setBackground(base)
    for name in ("left", "bottom"):
        axis = widget.getAxis(name)
        axis.setPen(pg.mkPen(palette.color(QPalette.ColorRole.Mid)))
        axis.setTextPen(pg.mkPen(text))
    legend = widget.getPlotItem().legend
    if legend is not None:
        legend.setBrush(_label_fill(palette))
        legend.setLabelTextColor(text)
        for _sample, label in legend.items:
            label.setText(label.text)  # setLabelTextColor leaves existing labels as they were


class _Page(QWidget):
    """What both pages share: every row's x, a header (readout and log toggle), a dashed
    hover line with its readout, the divergence markers and the palette.

    Subclasses call ``_set_plots`` once their plots exist and implement ``_tracks_on(plot)``,
    ``_reset_tracks()``, ``_items()``, ``_readout_lines(row)`` (row None: the latest) and may
    extend ``_apply_palette``.

    The readout is a few short lines that fit the page's width (each line the fullest wording
    that fits on one line), the log toggle at the right of the first; its height grows when
    it must and never shrinks while the width stays, so the plots below do not jump.
    """

    def __init__(self, readout_tip: str, log_tip: str, parent: QWidget | None = None):
        super().__init__(parent)
        self._history = None
        self._revision = None  # the history's revision drawn (it changes when rows are rewritten)
        self._drawn_key = None  # _drawn_key() of the history as last drawn
        self._rows = _Rows()
        self._clip = True  # clip-to-view, which needs x sorted
        self._hover_row: int | None = None
        self._markers: list[tuple[int, pg.InfiniteLine]] = []
        self._viewed_step: int | None = None
        self._viewed_lines: list[pg.InfiniteLine] = []
        self._plots: tuple[pg.PlotWidget, ...] = ()
        self._fixed_y: tuple[pg.PlotWidget, ...] = ()  # plots whose y range never changes
        self._log_plot: pg.PlotWidget | None = None
        self.readout = _readout_label(readout_tip)
        self._readout_tip = readout_tip
        self._readout_width = None  # the (width, lines) the readout's held height is for
        self._readout_height = 0
        self.log_checkbox = QCheckBox("Log scale")
        self.log_checkbox.setToolTip(log_tip)
        self.log_checkbox.toggled.connect(self.set_log_y)
        # The readout takes the whole width; the toggle sits right of its first line, which
        # keeps clear of it (the lines below run on under it).
        header = QGridLayout()
        header.setContentsMargins(4, 2, 4, 0)
        self._readout_box = _ReadoutBox(self.readout)
        header.addWidget(self._readout_box, 0, 0)
        top_right = Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignRight
        header.addWidget(self.log_checkbox, 0, 0, top_right)
        self.log_checkbox.raise_()
        self.readout.installEventFilter(self)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self._layout.addLayout(header)

    def _set_plots(
        self, plots: tuple[pg.PlotWidget, ...], stretches: tuple[int, ...], side: int = 0
    ) -> None:
        # The first plot takes the log toggle and the divergence markers.  The last ``side``
        # plots are strips (accuracy, learning rate): in a wide, low page they stand right of
        # the main plot, in a tall one below it.
        self._plots = plots
        self._log_plot = plots[0]
        self._hover_lines = []
        self._proxies = []
        self._body = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self._body.setSpacing(0)
        self._strips = QVBoxLayout()
        self._strips.setSpacing(0)
        self._side = plots[len(plots) - side :] if side else ()
        self._layout.addLayout(self._body, 1)
        self._follow_x = True
        self._following_now = False
        for widget in plots:
            view = widget.getPlotItem().getViewBox()
            view.enableAutoRange(x=False)
            view.sigRangeChangedManually.connect(self._on_range_changed_manually)
            view.sigStateChanged.connect(self._on_view_state_changed)
        for widget, stretch in zip(plots, stretches):
            if widget in self._side:
                self._strips.addWidget(widget, stretch)
            else:
                self._body.addWidget(widget, stretch)
            view = widget.getPlotItem().getViewBox()
            view.sigXRangeChanged.connect(lambda *_, w=widget: self._on_view_changed(w))
            view.sigResized.connect(lambda *_, w=widget: self._on_view_changed(w))
            line = _hover_line()
            widget.addItem(line, ignoreBounds=True)
            self._hover_lines.append(line)
            viewed = pg.InfiniteLine(angle=90, movable=False, pen=_pen(VIEWED_COLOR, 2))
            viewed.hide()
            widget.addItem(viewed, ignoreBounds=True)
            self._viewed_lines.append(viewed)
            proxy = pg.SignalProxy(
                widget.scene().sigMouseMoved,
                rateLimit=HOVER_RATE,
                slot=lambda args, w=widget: self._on_mouse_moved(w, args[0]),
            )
            self._proxies.append(proxy)
            widget.viewport().installEventFilter(self)
        if self._side:
            self._body.addLayout(self._strips, 2)
            self._body.setStretch(0, 3)
        self._apply_palette()

    # ----------------------------------------------------------------- settings
    @property
    def x_axis(self) -> str:
        return self._rows.mode

    def set_x_axis(self, mode: str) -> None:
        """ "step" or "epoch" on the x axis (the history is drawn afresh)."""
        if mode not in X_AXES:
            raise ValueError(f"x axis must be one of {X_AXES}, not {mode!r}")
        if mode == self._rows.mode:
            return
        self._rows.reset(mode)
        self._label_x()
        if self._history is not None:
            self.show_history(self._history, full=True)

    def _label_x(self) -> None:
        self._plots[-1].setLabel("bottom", self._rows.mode)
        self._whole_x_ticks()

    def _whole_x_ticks(self) -> None:
        # Steps are whole: no tick at 1.2.  Epochs too, once the run spans two of them.
        whole_from = 0.0 if self._rows.mode == "step" else 2.0
        for widget in self._plots:
            axis = widget.getAxis("bottom")
            if isinstance(axis, NumberAxis):
                axis.set_integer(True, whole_from)

    @property
    def side_by_side(self) -> bool:
        """Whether the strips stand right of the main plot (else below it)."""
        return self._body.direction() == QBoxLayout.Direction.LeftToRight

    def _relayout(self) -> None:
        if not self._side:
            return
        wide = self.width() >= SIDE_BY_SIDE_RATIO * max(1, self.height())
        shown = any(not w.isHidden() for w in self._side)
        self._body.setDirection(
            QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        )
        self._body.setStretch(0, 3 if wide else 5)
        self._body.setStretch(1, (2 if wide else 4) if shown else 0)
        self._label_x()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        wide = self.width() >= SIDE_BY_SIDE_RATIO * max(1, self.height())
        if self._side and wide != self.side_by_side:
            self._relayout()

    def set_log_y(self, on: bool) -> None:
        """Logarithmic y axis (of the first plot)."""
        with QSignalBlocker(self.log_checkbox):
            self.log_checkbox.setChecked(on)
        self._log_plot.setLogMode(x=False, y=on)
        for item in self._log_plot.getPlotItem().listDataItems():
            # log10 of exactly 0 (a dead layer's gradient) is -inf: pyqtgraph must look.
            item.setSkipFiniteCheck(not on)
        self._log_plot.enableAutoRange(y=True)

    @property
    def log_y(self) -> bool:
        return bool(self._log_plot.getAxis("left").logMode)

    # ----------------------------------------------------------------- data
    def show_history(self, history, full: bool = False) -> None:
        """Draw the rows of ``history`` not drawn yet (all of them with ``full``)."""
        if full or history is not self._history or len(history) < len(self._rows.x):
            self._rows.reset()
            self._reset_tracks()
            for widget in self._plots:
                if widget not in self._fixed_y:
                    widget.enableAutoRange(y=True)
            self._follow_x = True
        elif history.revision != self._revision:
            # Older rows were compacted (or rewritten) since the last frame: read the history
            # afresh, keeping the view as the user left it.
            self._rows.reset()
            self._reset_tracks()
        self._history = history
        self._revision = history.revision
        self._drawn_key = _drawn_key(history)
        x = self._rows.update(history)
        if self._clip != self._rows.monotonic:
            self._clip = self._rows.monotonic
            for item in self._items():
                item.setClipToView(self._clip)
        self._follow(x)
        self._update_tracks(history, x)
        for step, line in self._markers:
            line.setPos(_x_of_step(self._rows.mode, history, step))
        self._place_viewed()
        if self._hover_row is None:
            self._show_readout(self._viewed_row())

    def stale(self, history) -> bool:
        """Whether ``history`` has rows (or rewritten rows, or an evaluation written onto its
        last row) this page has not drawn."""
        return history is not self._history or self._drawn_key != _drawn_key(history)

    def settle(self) -> None:
        """Let pyqtgraph fit the y ranges to the new data now, not when the plots paint: done
        in the paint, a new range asked for a second paint of every plot each frame."""
        for widget in self._plots:
            if widget.isVisibleTo(self):
                widget.scene().prepareForPaint()

    # x follows the data by hand, not by pyqtgraph's auto-range: that one re-measures the
    # drawn curves at every paint, and the curves are cut to the range in view, so range and
    # curves could chase each other in an endless repaint that starved training.
    def _follow(self, x: np.ndarray) -> None:
        """While following (until the user pans or zooms x), show every row."""
        if not self._follow_x or len(x) == 0:
            return
        lo, hi = (float(x[0]), float(x[-1])) if self._rows.monotonic else (x.min(), x.max())
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        pad = (hi - lo) * X_PADDING
        current = self._plots[0].getPlotItem().getViewBox().viewRange()[0]
        if current != [lo - pad, hi + pad]:
            self._following_now = True  # the tracks are drawn for the new range just after
            try:
                self._plots[0].setXRange(lo - pad, hi + pad, padding=0)
            finally:
                self._following_now = False

    def _on_range_changed_manually(self, *_args) -> None:
        self._follow_x = False  # the user's range stays until "A" (auto) or a reset

    def _on_view_state_changed(self, view) -> None:
        # pyqtgraph's "A" button (auto-range) asks to follow the data again.
        if view.autoRangeEnabled()[0]:
            view.enableAutoRange(x=False)
            self._follow_x = True
            self._follow(self._rows.x)

    def _on_view_changed(self, widget: pg.PlotWidget) -> None:
        # Panned, zoomed or resized: the envelopes cut out the part now in view.
        if self._following_now:
            return
        window = _window(widget, self._rows)
        for track in self._tracks_on(widget):
            if track.rows:
                track.redraw(window)

    # ----------------------------------------------------------------- rewinding
    def set_viewed_step(self, step: int | None) -> None:
        """A solid line at the step shown by rewinding (None: no line); the readout shows
        that step's values while the mouse is away."""
        self._viewed_step = step
        self._place_viewed()
        if self._hover_row is None:
            self._show_readout(self._viewed_row())

    @property
    def viewed_lines(self) -> list[pg.InfiniteLine]:
        return list(self._viewed_lines)

    def _viewed_row(self) -> int | None:
        # The history row of the viewed step: the readout shows it when the mouse is away.
        if self._viewed_step is None or self._history is None or not len(self._rows.x):
            return None
        steps = self._history.column("step")[: len(self._rows.x)]
        row = int(np.searchsorted(steps, self._viewed_step))
        return row if row < len(steps) and steps[row] == self._viewed_step else None

    def _place_viewed(self) -> None:
        step = self._viewed_step
        x = None if step is None else _x_of_step(self._rows.mode, self._history, step)
        for line in self._viewed_lines:
            if x is None:
                line.hide()
            else:
                line.setPos(x)
                line.show()

    # ----------------------------------------------------------------- divergence
    def mark_divergence(self, step: int, label: str | None = "diverged") -> None:
        """A red dashed line at ``step`` (labelled "diverged")."""
        x = _x_of_step(self._rows.mode, self._history, step)
        line = _diverged_line(x, label, _label_fill(self.palette()))
        self._log_plot.addItem(line, ignoreBounds=True)
        self._markers.append((step, line))

    def clear_divergence(self) -> None:
        for _, line in self._markers:
            self._log_plot.removeItem(line)
        self._markers.clear()

    @property
    def divergence_markers(self) -> list[pg.InfiniteLine]:
        return [line for _, line in self._markers]

    # ----------------------------------------------------------------- hover
    @property
    def hover_row(self) -> int | None:
        """The history row under the mouse (None when the mouse is elsewhere)."""
        return self._hover_row

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.readout:
            if event.type() == QEvent.Type.Resize:
                self._refresh_readout()  # the wording that fits the new width
        elif event.type() == QEvent.Type.Leave and self._hover_row is not None:
            self._set_hover(None)
        return super().eventFilter(watched, event)

    def _on_mouse_moved(self, widget: pg.PlotWidget, pos) -> None:
        view = widget.getPlotItem().getViewBox()
        row = None
        if view.sceneBoundingRect().contains(pos):
            row = self._rows.row_at(view.mapSceneToView(pos).x())
        self._set_hover(row)

    def _set_hover(self, row: int | None) -> None:
        self._hover_row = row
        if row is not None and row >= len(self._rows.x):
            row = None
        for line in self._hover_lines:
            if row is None:
                line.hide()
            else:
                line.setPos(float(self._rows.x[row]))
                line.show()
        self._show_readout(self._viewed_row() if row is None else row)

    def _head(self, row: int | None) -> tuple[int, str] | None:
        """The readout's row and its "step N" opening (None without rows)."""
        n = len(self._rows.x)
        if self._history is None or n == 0:
            return None
        r = n - 1 if row is None else min(row, n - 1)
        head = f"<b>step {numbers.count(self._history.column('step')[r])}</b>"
        return r, head

    # ----------------------------------------------------------------- readout
    def _refresh_readout(self) -> None:
        self._show_readout(self._viewed_row() if self._hover_row is None else self._hover_row)

    def _readout_changed(self) -> None:
        """The readout's make-up changed (a line more or less): its height may shrink."""
        self._readout_width = None
        self._refresh_readout()

    def _show_readout(self, row: int | None) -> None:
        """The readout of ``row`` (None: the latest): per line, the first of its wordings
        that fits the width on one line (the last one if none does)."""
        lines, note = self._readout_lines(row)
        metrics = QFontMetricsF(self.readout.font())
        width = self.readout.contentsRect().width()
        toggle = self.log_checkbox.sizeHint()
        reserve = toggle.width() + 8
        # The first line as tall as the toggle beside it, so the second starts below it.
        below = max(0, math.ceil(toggle.height() - metrics.lineSpacing()))
        chosen = []
        for k, wordings in enumerate(lines):
            room = width - (reserve if k == 0 else 0)
            # A margin for the bold "step N" and the rich text's rounding.
            fits = [w for w in wordings if 1.05 * metrics.horizontalAdvance(_plain(w)) + 2 <= room]
            chosen.append(fits[0] if fits else wordings[-1])
        self.readout.setText(
            f"<div style='margin-right:{reserve}px; margin-bottom:{below}px'>{chosen[0]}</div>"
            + "".join(f"<div>{line}</div>" for line in chosen[1:])
        )
        self.readout.setToolTip(f"{self._readout_tip}\n\n{note}" if note else self._readout_tip)
        # The height held is for this width and this many lines (not the placeholder's).
        key = (width, len(lines))
        if key != self._readout_width:
            self._readout_width, self._readout_height = key, 0
            self.readout.setMinimumHeight(0)  # QLabel.heightForWidth counts it in
        height = max(self.readout.heightForWidth(max(width, 1)), self._readout_height)
        if height != self.readout.minimumHeight():
            self.readout.setMinimumHeight(height)
        box = self._readout_box
        if height != box.minimumHeight() or height != box.maximumHeight():
            box.setFixedHeight(height)  # the one change the layouts hear of
        self._readout_height = height

    def _readout_lines(self, row: int | None) -> tuple[list[list[str]], str]:
        """The readout's lines, each as its wordings from the fullest to the shortest, and
        a note for its tooltip."""
        raise NotImplementedError

    # ----------------------------------------------------------------- palette
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._plots:
            self._apply_palette()

    def _apply_palette(self) -> None:
        for widget in self._plots:
            _style_plot(widget, self.palette())
        for _, line in self._markers:
            line.label.fill = pg.mkBrush(_label_fill(self.palette()))
            line.label.update()


# --------------------------------------------------------------------- the loss page
class LossPlot(_Page):
    """Loss against step or epoch, with accuracy and the learning rate in linked strips below,
    and the metrics of the network shown (``add_metrics``) beside or under them.

    ``loss_plot``, ``accuracy_plot``, ``lr_plot``: the PlotWidgets (x linked).  ``curves``: the
    PlotDataItems by history column ("batch_loss", "train_loss", "test_loss",
    "train_accuracy", "test_accuracy", "lr").
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(
            "Values at the step under the mouse (else the latest).  Batch loss: the mini-batch "
            "the step trained on; train and test loss: the whole sets, evaluated once per epoch",
            "Logarithmic loss axis: slow late progress stays visible",
            parent,
        )
        self.metrics: QWidget | None = None  # see add_metrics
        self._task = "binary"
        self._schedule_on = False
        self._lr_first = math.nan
        self._lr_varied = False
        self._lr_checked = 0

        self.loss_plot = _new_plot("loss")
        self.loss_plot.addLegend(offset=(-8, 8))
        self.loss_plot.setAutoVisible(y=True)
        self.accuracy_plot = _new_plot("accuracy")
        # One row at the bottom: accuracy is rarely below a half once training is under way.
        self.accuracy_plot.addLegend(offset=(-8, -2), colCount=2)
        self.accuracy_plot.setYRange(-0.06, 1.06, padding=0)
        self.accuracy_plot.setMouseEnabled(x=True, y=False)
        self.accuracy_plot.enableAutoRange(x=False, y=False)
        accuracy_axis = self.accuracy_plot.getAxis("left")
        accuracy_axis.setTicks([[(0, "0"), (0.5, "0.5"), (1, "1")]])
        accuracy_axis.setStyle(hideOverlappingLabels=False)  # keep "1" at the top edge
        self._fixed_y = (self.accuracy_plot,)
        self.lr_plot = _new_plot("lr")
        self.lr_plot.getAxis("left").setToolTip("learning rate")
        self.lr_plot.enableAutoRange(x=False)
        # The three share one x range.  Not pyqtgraph's setXLink: it lines views up by their
        # screen positions, so beside the loss plot a strip's range came out shifted and the
        # two views kept moving each other (a repaint storm that starved training).
        self._syncing_x = False
        for widget in (self.loss_plot, self.accuracy_plot, self.lr_plot):
            widget.getPlotItem().getViewBox().sigXRangeChanged.connect(
                lambda _view, x_range, w=widget: self._share_x_range(w, x_range)
            )

        self.curves = {
            "batch_loss": _curve("batch loss", None),
            "train_loss": _curve("train loss", None),
            "test_loss": _curve("test loss", _pen(TEST_COLOR, 2)),
            "train_accuracy": _curve("train", None),
            "test_accuracy": _curve("test", _pen(TEST_COLOR, 2)),
            "lr": _curve("learning rate", _pen(LR_COLOR, 1.5)),
        }
        for name, item in self.curves.items():
            self._plot_of(name).addItem(item)
        self._tracks = {name: _Track(item) for name, item in self.curves.items()}
        self._set_plots((self.loss_plot, self.accuracy_plot, self.lr_plot), (5, 2, 2), side=2)
        self._arrange()
        self._show_readout(None)

    def _share_x_range(self, source: pg.PlotWidget, x_range) -> None:
        if self._syncing_x:
            return
        self._syncing_x = True
        try:
            for widget in (self.loss_plot, self.accuracy_plot, self.lr_plot):
                if widget is not source:
                    widget.setXRange(*x_range, padding=0)
        finally:
            self._syncing_x = False

    def _plot_of(self, name: str) -> pg.PlotWidget:
        if name.endswith("accuracy"):
            return self.accuracy_plot
        return self.lr_plot if name == "lr" else self.loss_plot

    def _tracks_on(self, widget: pg.PlotWidget) -> list[_Track]:
        return [track for name, track in self._tracks.items() if self._plot_of(name) is widget]

    def _items(self) -> list[pg.PlotDataItem]:
        return list(self.curves.values())

    def _reset_tracks(self) -> None:
        for track in self._tracks.values():
            track.reset()
        self._lr_first, self._lr_varied, self._lr_checked = math.nan, False, 0

    def _update_tracks(self, history, x: np.ndarray) -> None:
        self._check_lr(history)
        for name, track in self._tracks.items():
            widget = self._plot_of(name)
            if widget.isVisibleTo(self):  # a hidden strip catches up when shown
                track.update(history.column(name), x, _window(widget, self._rows))

    # ----------------------------------------------------------------- strips
    def set_task(self, task: str) -> None:
        """Accuracy shows for classification only."""
        self._task = task
        self._arrange()
        self._catch_up()

    def set_schedule_on(self, on: bool) -> None:
        """The learning-rate strip shows while a schedule is on (or the rate has changed)."""
        self._schedule_on = on
        self._arrange()
        self._catch_up()

    @property
    def shows_accuracy(self) -> bool:
        return self._task != "regression"

    @property
    def shows_lr(self) -> bool:
        return self._schedule_on or self._lr_varied

    def _arrange(self) -> None:
        self.accuracy_plot.setVisible(self.shows_accuracy)
        self.lr_plot.setVisible(self.shows_lr)
        self._relayout()
        self._readout_changed()

    def add_metrics(self, view: QWidget) -> None:
        """``view`` (the metrics) right of the strips in a wide page, under them in a tall one;
        it takes the room its contents ask for, the plots the rest."""
        self.metrics = view
        self._body.addWidget(view, 0)
        self._relayout()

    def _relayout(self) -> None:
        super()._relayout()
        view = self.metrics
        if view is not None:
            grow, keep = QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum
            wide = self.side_by_side
            view.setSizePolicy(keep if wide else grow, grow if wide else keep)

    def _label_x(self) -> None:
        # Only the lowest plot of each column carries the x axis's values and name.
        shown = [w for w in self._plots if w is self.loss_plot or not w.isHidden()]
        lowest = {shown[-1]}
        if self.side_by_side:
            lowest = {self.loss_plot, *[w for w in shown if w is not self.loss_plot][-1:]}
        for widget in self._plots:
            bottom = widget in lowest
            axis = widget.getAxis("bottom")
            axis.setStyle(showValues=bottom)
            axis.setHeight(None if bottom else 6)
            widget.setLabel("bottom", self._rows.mode if bottom else None)
            axis.showLabel(bottom)
        self._whole_x_ticks()

    def _catch_up(self) -> None:
        if self._history is not None:
            self.show_history(self._history)

    def _check_lr(self, history) -> None:
        n = len(history)
        if n <= self._lr_checked:
            return
        lr = history.column("lr")
        if self._lr_checked == 0:
            self._lr_first = float(lr[0])
        if not self._lr_varied and np.any(lr[self._lr_checked : n] != self._lr_first):
            self._lr_varied = True
            self._arrange()
        self._lr_checked = n

    # ----------------------------------------------------------------- readout
    def _readout_lines(self, row: int | None) -> tuple[list[list[str]], str]:
        # At most three short lines whose make-up does not change from frame to frame: the
        # step, the losses, the accuracy (and the learning rate).  In the ~290-px dock of a
        # 1366x768 screen each fits on one line.
        opening = self._head(row)
        if opening is None:
            return [[_gray("No training yet: press Play or Step")]], ""
        r, step = opening
        history = self._history
        first = f"{step} · epoch {numbers.epoch(history.column('epoch')[r])}"
        latest = " " + _gray("(latest)") if row is None else ""
        train_color = _train_color(self.palette())
        batch = self._tracks["batch_loss"].value_at(r)
        losses = [("batch", batch[1] if batch else None, train_color)]
        accuracies = []
        evaluated = None
        for name, label, color in (("train", "train", train_color), ("test", "test", TEST_COLOR)):
            hit = self._tracks[f"{name}_loss"].value_at(r)
            if hit is not None:
                losses.append((label, hit[1], color))
                evaluated = hit[0]
            hit = self._tracks[f"{name}_accuracy"].value_at(r)
            if hit is not None:
                accuracies.append((label, hit[1], color))
        head, note = [first + latest, first], ""
        if evaluated is not None:
            at = numbers.count(history.column("step")[evaluated])
            note = (
                f"Train and test loss{' and accuracy' if self.shows_accuracy else ''} as last "
                f"evaluated, at step {at}: the whole sets are evaluated once per epoch"
            )
            if evaluated != r:
                head.insert(0, f"{first}{latest} · {_gray(f'train/test at step {at}')}")
        lines = [head]
        lines.append(
            [
                sep.join(
                    _swatch(c, f"{label}{word} {numbers.fmt(v, digits)}") for label, v, c in losses
                )
                for word, digits, sep in (
                    (" loss", 4, " · "),
                    ("", 4, " · "),
                    ("", 3, " · "),
                    ("", 3, " "),
                )  # fmt: skip
            ]
        )
        third = []
        if self.shows_accuracy:
            if accuracies:
                third = [
                    f"{word} "
                    + sep.join(
                        _swatch(c, f"{label} {numbers.percent(v)}") for label, v, c in accuracies
                    )
                    for word, sep in (("accuracy", " · "), ("acc.", " "))
                ]
            else:
                third = [_gray("accuracy: after the first evaluation"), _gray("accuracy —")]
        if self.shows_lr:
            lr = history.column("lr")[r]
            rates = [
                _swatch(LR_COLOR, f"learning rate {numbers.fmt(lr)}"),
                _swatch(LR_COLOR, f"lr {numbers.fmt(lr, 3)}"),
            ]
            third = [f"{t} · {rate}" for t in third for rate in rates] if third else rates
        if third:
            lines.append(third)
        return lines, note

    def _apply_palette(self) -> None:
        train_color = _train_color(self.palette())
        base = self.palette().color(QPalette.ColorRole.Base)
        self.curves["batch_loss"].setPen(_pen(train_color, 1, faint_alpha(train_color, base)))
        self.curves["train_loss"].setPen(_pen(train_color, 2))
        self.curves["train_accuracy"].setPen(_pen(train_color, 2))
        super()._apply_palette()


# --------------------------------------------------------------------- gradient flow
def layer_names(network) -> list[str]:
    """ "layer 1 (2→8)", … for each weight layer."""
    return [f"layer {i + 1} ({la.fan_in}→{la.fan_out})" for i, la in enumerate(network.layers)]


def layer_colors(count: int, background="#ffffff") -> list[str]:
    """One colour per weight layer, input side dark blue to output side orange (plasma): the
    order of the layers reads off the colours.  Each is made readable on ``background`` (on
    a dark plot the first layers' navy and purple lighten)."""
    cmap = pg.colormap.get("plasma")
    stops = [0.35] if count == 1 else np.linspace(0.0, 0.82, count)
    return [readable(cmap.map(float(t), mode="qcolor"), background).name() for t in stops]


class _LegendBelow(pg.LegendItem):
    """A legend in a row of the PlotItem's layout, under the x axis: it names the curves
    without covering any (inside the plot it hid the top of a deep network's curves).
    pyqtgraph's legend places itself; this one asks the layout for its size instead."""

    def updateSize(self) -> None:  # noqa: N802 - pyqtgraph's name
        height = width = 0.0
        for row in range(self.layout.rowCount()):
            row_height = row_width = 0.0
            for col in range(self.layout.columnCount()):
                item = self.layout.itemAt(row, col)
                if item:
                    row_width += item.width() + 3
                    row_height = max(row_height, item.height())
            width = max(width, row_width)
            height += row_height
        height += 4  # the descenders of the last row
        # The layout's margins and spacing too: without them the labels overhung the row
        # the plot gave the legend (and an exported picture's margin, by 6 px).
        left, top, right, bottom = self.layout.getContentsMargins()
        rows = self.layout.rowCount()
        height += top + bottom + max(0, rows - 1) * self.layout.verticalSpacing()
        width += left + right
        self.setPreferredSize(width, height)
        self.setMinimumHeight(height)
        self.setMaximumHeight(height)
        self.updateGeometry()


class GradientFlowPlot(_Page):
    """Each layer's gradient norm against step, log y: vanishing and exploding gradients.

    ``plot``: the PlotWidget; ``curves``: one PlotDataItem per weight layer.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(
            "‖∂L/∂W‖ of each layer at each step.  Curves of the first layers sinking far below "
            "the last ones: vanishing gradients; curves shooting up: exploding gradients",
            "Logarithmic axis: gradients many decades apart stay visible",
            parent,
        )
        self._names: list[str] = []
        self._colors: list[str] = []
        self.curves: list[pg.PlotDataItem] = []
        self._tracks: list[_Track] = []
        self.plot = _new_plot("gradient norm")
        item = self.plot.getPlotItem()
        self.legend = _LegendBelow(offset=None, colCount=1, frame=False)
        item.layout.addItem(self.legend, item.layout.rowCount(), 1)
        item.legend = self.legend  # _style_plot colours it with the others
        self.plot.setAutoVisible(y=True)
        self._set_plots((self.plot,), (1,))
        self._label_x()
        self.set_log_y(True)
        self._show_readout(None)

    def _tracks_on(self, widget: pg.PlotWidget) -> list[_Track]:
        return self._tracks

    def _items(self) -> list[pg.PlotDataItem]:
        return self.curves

    def _reset_tracks(self) -> None:
        for track in self._tracks:
            track.reset()

    def _update_tracks(self, history, x: np.ndarray) -> None:
        norms = history.column("grad_norms")
        window = _window(self.plot, self._rows)
        for i, track in enumerate(self._tracks):
            track.update(norms[:, i] if i < norms.shape[1] else None, x, window)

    def set_layers(self, names: list[str]) -> None:
        """One curve per weight layer, named like "layer 1 (2→8)"."""
        if names == self._names:
            return
        legend = self.legend
        while len(self.curves) < len(names):
            item = _curve(None, None)
            item.setSkipFiniteCheck(not self.log_y)
            self.curves.append(item)
            self._tracks.append(_Track(item))
            self.plot.addItem(item)
            item.setClipToView(self._clip)
        while len(self.curves) > len(names):
            self._tracks.pop()
            self.plot.removeItem(self.curves.pop())
        legend.clear()
        for item, name in zip(self.curves, names):
            item.opts["name"] = name  # PlotDataItem has no setName; the legend reads opts
            legend.addItem(item, name)
        self._names = list(names)
        self._color_layers()
        self._fit_legend()
        self._readout_changed()
        if self._history is not None:
            self.show_history(self._history)

    def _color_layers(self) -> None:
        background = self.palette().color(QPalette.ColorRole.Base)
        self._colors = layer_colors(len(self._names), background)
        for item, color in zip(self.curves, self._colors):
            item.setPen(_pen(color, 1))  # wider pens cost 3x the paint time
        self.legend.update()  # its samples draw the curves' pens

    def _fit_legend(self) -> None:
        """As many legend columns as the plot's width holds (fewer rows, more plot); no
        legend where even so it would take more than a third of the plot's height (the
        readout above names the layers in their colours too)."""
        labels = [label for _sample, label in self.legend.items]
        if not labels:
            return
        # The text's own width: a LabelItem stretches to the cell the layout gives it.
        entry = max(label.item.boundingRect().width() for label in labels) + 30
        # The legend's cell is the plot area's width (the left axis takes the rest).
        room = self.plot.width() - AXIS_WIDTH - 10
        columns = max(1, min(len(labels), int(room // entry)))
        if columns != self.legend.columnCount:
            self.legend.setColumnCount(columns)
        rows = -(-len(labels) // columns)
        row_height = max(label.item.boundingRect().height() for label in labels)
        fits = rows * row_height <= self.plot.height() / 3
        self.legend.setVisible(fits)
        if not fits:
            self.legend.setMaximumHeight(0)
            self.legend.setMinimumHeight(0)
        else:
            self.legend.updateSize()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_legend()

    def _apply_palette(self) -> None:
        if self._names:
            self._color_layers()
            self._refresh_readout()
        super()._apply_palette()

    def mark_divergence(self, step: int, label: str | None = None) -> None:
        super().mark_divergence(step, label)  # unlabelled: the loss plot says it

    def _readout_lines(self, row: int | None) -> tuple[list[list[str]], str]:
        opening = self._head(row)
        if opening is None:
            return [
                [_gray("Each layer's gradient norm ‖∂L/∂W‖ per step appears here as training runs")]
            ], ""
        r, head = opening
        if row is None:
            head += " " + _gray("(latest)")
        values = []
        for track, name, color in zip(self._tracks, self._names, self._colors):
            hit = track.value_at(r)
            values.append((name, hit[1] if hit is not None and hit[0] == r else None, color))
        lines = [[f"{head} · gradient norm ‖∂L/∂W‖", head]]
        lines.append(
            [
                " · ".join(_swatch(c, f"{name} {numbers.fmt(v)}") for name, v, c in values),
                " · ".join(
                    _swatch(c, f"layer {k + 1} {numbers.fmt(v, 3)}")
                    for k, (_, v, c) in enumerate(values)
                ),
                " ".join(
                    _swatch(c, f"{k + 1}: {numbers.fmt(v, 3)}")
                    for k, (_, v, c) in enumerate(values)
                ),
            ]
        )
        return lines, ""


# --------------------------------------------------------------------- the panel
def fallen_a_decade(history) -> bool:
    """Whether the training loss (the batch loss before its first evaluations) has fallen to
    a tenth of its first value or below."""
    for name in ("train_loss", "batch_loss"):
        column = history.column(name)
        finite = column[np.isfinite(column)]
        if finite.size >= 2:
            return bool(finite[0] > 0 and finite.min() <= finite[0] / 10)
    return False


class PlotsPanel(QWidget):
    """The "Loss" and "Gradient flow" tabs, drawn from ``controller``'s history.

    Redraws follow the controller's snapshots, at most one frame per ``MIN_FRAME_MS``; a page
    that is not visible catches up when it is shown.  ``loss_plot`` and ``gradient_plot`` are
    the PlotWidgets (for export); ``loss`` and ``gradient_flow`` the pages; ``metrics`` the
    confusion matrix or R² and RMSE on the loss page (it paces its own, rarer frames).
    """

    def __init__(self, controller: TrainingController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.document = controller.document
        self._settings = QSettings()
        self._frames = FrameTimer(
            lambda: controller.clock, MIN_FRAME_MS / 1000, self.refresh, parent=self
        )
        self._full = set()  # pages that must redraw from scratch when next shown

        self.loss = LossPlot()
        self.metrics = MetricsView(controller)
        self.loss.add_metrics(self.metrics)
        self.gradient_flow = GradientFlowPlot()
        self.loss_plot = self.loss.loss_plot
        self.gradient_plot = self.gradient_flow.plot
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.loss, "Loss")
        self.tabs.addTab(self.gradient_flow, "Gradient flow")
        self.tabs.setTabToolTip(0, "Loss (and accuracy) against training steps")
        self.tabs.setTabToolTip(1, "Each layer's gradient norm: vanishing or exploding gradients")
        self.tabs.setCornerWidget(self._build_x_toggle(), Qt.Corner.TopRightCorner)
        self.tabs.currentChanged.connect(self._schedule)
        self.timeline = Timeline(controller)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.timeline)

        # Until the user picks a loss scale, the loss plot is linear and turns logarithmic
        # once the loss has fallen a decade (where a linear plot shows only a flat line).
        self._loss_log_auto = not self._settings.contains(_SETTINGS_LOSS_LOG)
        self.loss.set_log_y(self._settings.value(_SETTINGS_LOSS_LOG, False, type=bool))
        self.gradient_flow.set_log_y(self._settings.value(_SETTINGS_GRADIENT_LOG, True, type=bool))
        self.loss.log_checkbox.toggled.connect(self._on_loss_log_chosen)
        self.gradient_flow.log_checkbox.toggled.connect(
            lambda on: self._settings.setValue(_SETTINGS_GRADIENT_LOG, on)
        )
        x_axis = self._settings.value(_SETTINGS_X, "step", type=str)
        self.set_x_axis(x_axis if x_axis in X_AXES else "step")

        controller.snapshot_ready.connect(self._on_snapshot_ready)
        controller.history_changed.connect(self._on_history_changed)
        controller.diverged.connect(self._on_diverged)
        controller.rewind_changed.connect(self._on_rewind_changed)
        self.document.network_changed.connect(self._on_network_changed)
        self.document.data_changed.connect(self._on_data_changed)
        self.document.settings_changed.connect(self._on_settings_changed)
        self.document.project_replaced.connect(self._on_project_replaced)
        self._on_project_replaced()

    def _build_x_toggle(self) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 4, 0)
        row.setSpacing(0)
        label = QLabel("x axis: ")
        self._x_label = label
        row.addWidget(label)
        self.x_buttons: dict[str, QToolButton] = {}
        self._x_group = QButtonGroup(self)
        self._x_group.setExclusive(True)
        for mode in X_AXES:
            button = QToolButton()
            button.setText(mode.capitalize())
            button.setCheckable(True)
            button.setAutoRaise(True)
            button.setToolTip(f"Plot against the training {mode}")
            button.clicked.connect(lambda _=False, m=mode: self.set_x_axis(m))
            self._x_group.addButton(button)
            self.x_buttons[mode] = button
            row.addWidget(button)
        return box

    # ----------------------------------------------------------------- settings
    @property
    def x_axis(self) -> str:
        return self.loss.x_axis

    def set_x_axis(self, mode: str) -> None:
        """ "step" or "epoch" on the x axis of every plot."""
        if mode not in X_AXES:
            raise ValueError(f"x axis must be one of {X_AXES}, not {mode!r}")
        self.x_buttons[mode].setChecked(True)
        self._settings.setValue(_SETTINGS_X, mode)
        if mode == self.loss.x_axis and mode == self.gradient_flow.x_axis:
            return
        self.loss.set_x_axis(mode)
        self.gradient_flow.set_x_axis(mode)
        self._full.update((self.loss, self.gradient_flow))
        self.refresh()

    @property
    def loss_log_auto(self) -> bool:
        """Whether the loss plot's scale follows the loss (the user has not chosen one)."""
        return self._loss_log_auto

    def _on_loss_log_chosen(self, on: bool) -> None:
        self._loss_log_auto = False
        self._settings.setValue(_SETTINGS_LOSS_LOG, on)

    def _follow_loss_scale(self, history) -> None:
        if self._loss_log_auto and not self.loss.log_y and fallen_a_decade(history):
            self.loss.set_log_y(True)

    # ----------------------------------------------------------------- drawing
    def refresh(self, hidden_too: bool = False) -> None:
        """Draw the history's new rows now (pages out of sight only with ``hidden_too``); a
        page that has drawn this history as it is now is left alone (no repaint)."""
        self._frames.drawn()
        history = self.controller.history
        self._follow_loss_scale(history)
        for page in (self.loss, self.gradient_flow):
            if (hidden_too or page.isVisible()) and (page in self._full or page.stale(history)):
                page.show_history(history, full=page in self._full)
                self._full.discard(page)
                page.settle()

    def _schedule(self, *_args) -> None:
        # While playing, at most one frame per MIN_FRAME_MS; paused, at the next turn.
        self._frames.request(urgent=not self.controller.playing)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        # In a narrow dock the tabs need the room: the Step/Epoch buttons say enough.
        self._x_label.setVisible(self.width() >= NARROW_PANEL)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._schedule()

    # ----------------------------------------------------------------- controller
    def _on_snapshot_ready(self, _snapshot) -> None:
        self._schedule()

    def _on_history_changed(self) -> None:
        if self._loss_log_auto:
            self.loss.set_log_y(False)  # until the new history's loss falls a decade
        self.loss.clear_divergence()
        self.gradient_flow.clear_divergence()
        self._full.update((self.loss, self.gradient_flow))
        self._schedule()

    def _on_rewind_changed(self, step: int | None) -> None:
        self.loss.set_viewed_step(step)
        self.gradient_flow.set_viewed_step(step)

    def _on_diverged(self, _message: str) -> None:
        self._mark_divergence()
        self._schedule()

    def _mark_divergence(self) -> None:
        step = self.controller.trainer.diverged_at_step
        if step is None:
            return
        self.refresh(hidden_too=True)  # the curves up to the marker first
        self.loss.mark_divergence(step)
        self.gradient_flow.mark_divergence(step)

    # ----------------------------------------------------------------- document
    def _on_network_changed(self) -> None:
        self.gradient_flow.set_layers(layer_names(self.document.network))

    def _on_data_changed(self) -> None:
        self.loss.set_task(self.document.task)

    def _on_settings_changed(self) -> None:
        self.loss.set_schedule_on(self.document.project.schedule.name != "constant")

    def _on_project_replaced(self) -> None:
        self._on_network_changed()
        self._on_data_changed()
        self._on_settings_changed()
        self._on_history_changed()
        if self.controller.trainer.diverged:
            self._mark_divergence()
