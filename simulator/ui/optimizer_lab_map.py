"""The optimizer lab's map: the loss surface as a contour plot with each racer's trail, its
current point and, when paused after a step, the arrows of that step.

The background is f − min (for a surface without a minimum, f − the least value on the drawn
grid) on log-spaced colour levels of a perceptual map, with contour lines at half-decade levels
(marching squares, ``data_maps.contour_segments``).  Every item is made once per racer (or per
surface) and fed with ``setData``/``setPos`` at each frame.  Clicking the map sets the start.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QWidget

import pyqtgraph as pg  # isort: skip  (after PySide6, so pyqtgraph binds to it)

from simulator.app.optimizer_lab import LabRacer
from simulator.engine.surfaces import Surface
from simulator.ui.axes import number_axes, number_color_bar
from simulator.ui.data_maps import contour_segments

GRID = 241  # samples per side of the background and the contour lines
DECADES = 6  # the colour levels span this many decades below the grid's largest f − min
# Without a minimum, f − the grid's least value is 0 only at an edge of the map and spans about
# a decade where the saddle is: one decade of colours, lines ten to a decade.
SADDLE_DECADES = 1
LEVELS_PER_DECADE = 2  # contour lines at 10^(k/2): 1, 3.2, 10, 32 … times a power of ten
SADDLE_LEVELS_PER_DECADE = 10
COLORMAP = "viridis"
HALO = QColor(0, 0, 0, 150)  # under trails and arrows: they stay visible on any colour
TRAIL_WIDTH = 2.0
ARROW_PX = 56  # the −g and moment arrows show directions: this long on screen
DRAW_SPAN = 10.0  # trails are drawn clipped to the box this many spans around the surface
# A trail longer than this is drawn thinned: of consecutive points in one cell of a grid of
# THIN_PX pixels only the first is kept (a converging racer's thousands of steps within a
# pixel cost a wide antialiased stroke each).  Shorter trails are drawn point for point.
THIN_FROM = 400
THIN_PX = 0.5
# The arrows of a step: (key, what it shows, pen style, width).  Δ is drawn to scale.
ARROW_KINDS = (
    ("delta", "Δ: the step taken (to scale)", Qt.PenStyle.SolidLine, 2.6),
    ("gradient", "−g: steepest descent (direction)", Qt.PenStyle.DashLine, 1.8),
    ("moment", "−m̂, −v or −b: the velocity or moment (direction)", Qt.PenStyle.DotLine, 2.2),
)
# The explanation's term that holds the velocity or moment, by optimizer (the step goes
# against it): Adam's m̂, SGD's momentum buffer v, RMSprop's momentum buffer b.
MOMENT_TERMS = {"Adam": "m_hat", "AdamW": "m_hat", "SGD": "v", "RMSprop": "b"}


def log_gap(surface: Surface, values: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """(log10 of f − floor clipped to its levels, the lowest and highest level, the floor) for
    grid ``values``; the floor is the minimum, or the grid's least value for a saddle."""
    floor = surface.minimum if surface.minimum is not None else float(values.min())
    gap = values - floor
    top = float(gap.max())
    decades = DECADES if surface.minimum is not None else SADDLE_DECADES
    positive = gap[gap > 0]
    bottom = max(top * 10.0**-decades, float(positive.min()) if positive.size else top)
    hi = math.log10(top)
    lo = min(math.log10(bottom), hi - 1.0)
    return np.log10(np.clip(gap, 10.0**lo, top)), lo, hi, floor


def contour_levels(lo: float, hi: float, per_decade: int = LEVELS_PER_DECADE) -> np.ndarray:
    """log10 levels between ``lo`` and ``hi``, ``per_decade`` to a decade."""
    step = 1.0 / per_decade
    first = math.ceil(lo / step) * step
    return np.arange(first, hi, step)


def thinned(trail: np.ndarray, pixel: tuple[float, float]) -> np.ndarray:
    """``trail`` (n, 2) as drawn at ``pixel`` (x and y units per screen pixel): itself up to
    THIN_FROM points, else without the points in the same THIN_PX cell as the point before
    (the first and last points always kept)."""
    if len(trail) <= THIN_FROM:
        return trail
    cells = np.floor(trail / (np.asarray(pixel) * THIN_PX))
    keep = np.empty(len(trail), dtype=bool)
    keep[0] = keep[-1] = True
    np.any(cells[1:-1] != cells[:-2], axis=1, out=keep[1:-1])
    return trail[keep]


def arrow_angle(dx_px: float, dy_px: float) -> float:
    """pg.ArrowItem's angle (degrees; 0 points left, turning clockwise on screen) for an arrow
    pointing (dx_px, dy_px) in screen pixels (y down)."""
    return math.degrees(math.atan2(-dy_px, -dx_px))


class StepArrow:
    """A line and a head, made once; ``point(start, end)`` moves them, ``hide()`` hides them."""

    def __init__(self, plot: pg.PlotItem, color: str, style, width: float):
        self.line = pg.PlotCurveItem(
            pen=pg.mkPen(color, width=width, style=style),
            shadowPen=pg.mkPen(HALO, width=width + 2.0),
            antialias=True,
        )
        self.head = pg.ArrowItem(
            pxMode=True, headLen=12, tipAngle=34, pen=pg.mkPen(HALO), brush=pg.mkBrush(color)
        )
        for item in (self.line, self.head):
            item.setZValue(30)
            plot.addItem(item)
        self.hide()

    def point(self, start, end, pixel: tuple[float, float]) -> None:
        (sx, sy), (ex, ey) = start, end
        self.line.setData(np.array([sx, ex]), np.array([sy, ey]))
        self.head.setPos(ex, ey)
        self.head.setStyle(angle=arrow_angle((ex - sx) / pixel[0], -(ey - sy) / pixel[1]))
        self.line.show()
        self.head.show()

    def hide(self) -> None:
        self.line.hide()
        self.head.hide()

    @property
    def visible(self) -> bool:
        return self.line.isVisible()

    @property
    def end(self) -> tuple[float, float]:
        return self.head.pos().x(), self.head.pos().y()

    def remove(self, plot: pg.PlotItem) -> None:
        plot.removeItem(self.line)
        plot.removeItem(self.head)


class RacerItems:
    """One racer's items on the map, in its colour: its trail (with a dark halo), its current
    point and the arrows of its last step.

    The trail is two curves: ``trail_done``, every point up to the last whole CHUNK of steps,
    which Qt paints once into a cached pixmap (an antialiased wide stroke of thousands of
    points cost tens of ms a frame), and ``trail_live``, the steps since, drawn each frame.
    """

    CHUNK = 256

    def __init__(self, plot: pg.PlotItem, color: str):
        self.color = color
        self.trail_done, self.trail_live = (
            pg.PlotCurveItem(
                pen=pg.mkPen(color, width=TRAIL_WIDTH),
                shadowPen=pg.mkPen(HALO, width=TRAIL_WIDTH + 2.0),
                antialias=True,
            )
            for _ in range(2)
        )
        self.trail_done.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.point = QGraphicsEllipseItem(-5.5, -5.5, 11.0, 11.0)
        self.point.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.point.setPen(pg.mkPen("#000000", width=1.5))
        self.point.setBrush(pg.mkBrush(color))
        for z, item in enumerate((self.trail_done, self.trail_live, self.point)):
            item.setZValue(10 + z)
            plot.addItem(item)
        self.arrows = {key: StepArrow(plot, color, style, w) for key, _, style, w in ARROW_KINDS}
        self._done: tuple | None = None  # what trail_done shows (see show_trail)

    def show_trail(self, trail: np.ndarray, pixel: tuple[float, float], drawable) -> None:
        """Draw ``trail`` (n, 2), thinned for ``pixel``; ``drawable`` clips a piece for
        drawing."""
        n = len(trail)
        done = (n - 1) // self.CHUNK * self.CHUNK + 1 if n > self.CHUNK else 0
        # The race is deterministic: the same first and last point of the piece, the same piece.
        key = (done, tuple(trail[0]), tuple(trail[done - 1]) if done else None, pixel)
        if key != self._done:  # a new chunk, a new run or a zoom
            piece = drawable(thinned(trail[:done], pixel)) if done else np.zeros((0, 2))
            self.trail_done.setData(piece[:, 0], piece[:, 1])
            self._done = key
        live = drawable(thinned(trail[max(done - 1, 0) :], pixel))
        self.trail_live.setData(live[:, 0], live[:, 1])
        self.point.setPos(float(live[-1, 0]), float(live[-1, 1]))

    def drawn_trail(self) -> np.ndarray:
        """The points the two curves draw, as one (m, 2) array (the junction once)."""
        done = np.column_stack(self.trail_done.getData()) if self._done and self._done[0] else None
        live = np.column_stack(self.trail_live.getData())
        return live if done is None or not len(done) else np.concatenate([done, live[1:]])

    def remove(self, plot: pg.PlotItem) -> None:
        for item in (self.trail_done, self.trail_live, self.point):
            plot.removeItem(item)
        for arrow in self.arrows.values():
            arrow.remove(plot)


class SurfaceMap(pg.PlotWidget):
    """The contour plot.  ``set_surface`` draws a surface's background, contour lines and
    minima; ``set_racers`` makes the racers' items; ``draw`` moves them.

    ``start_picked(x, y)``: the map was clicked at (x, y) within the surface's bounds.
    ``image``, ``contours``, ``minima``, ``start_marker``, ``color_bar`` and ``racer_items`` (one
    :class:`RacerItems` per racer, in the controller's order) are its parts.
    """

    start_picked = Signal(float, float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, axisItems=number_axes())
        self.setMenuEnabled(False)
        self.setToolTip(
            "The loss surface: colours and lines at log-spaced levels of f − min.\n"
            "Click to start the race there; drag to pan, the wheel zooms."
        )
        self.setAccessibleName("Loss surface map")
        plot = self.getPlotItem()
        plot.hideButtons()  # its auto-range would zoom out to a diverged trail
        self.view = plot.getViewBox()
        self.view.setAspectLocked(True)  # −g stands at right angles to the contour lines
        self.view.disableAutoRange()
        self.setLabel("bottom", "x")
        self.setLabel("left", "y")
        self.cmap = pg.colormap.get(COLORMAP)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-20)
        plot.addItem(self.image)
        self.color_bar = pg.ColorBarItem(colorMap=self.cmap, interactive=False, width=12)
        self.color_bar.setImageItem(self.image, insert_in=plot)
        number_color_bar(self.color_bar, log=True)  # its range is log10(f − min)
        self.contours = pg.PlotCurveItem(connect="pairs")
        self.contours.setZValue(-10)
        # Painted once into a pixmap until the surface or the view changes.
        self.contours.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.image.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        plot.addItem(self.contours)
        self.minima = pg.ScatterPlotItem(pxMode=True)
        self.minima.setZValue(25)
        self.start_marker = pg.ScatterPlotItem(
            symbol="o", size=15, pen=pg.mkPen("#ffffff", width=2.5), brush=pg.mkBrush(None)
        )
        self.start_marker.setZValue(26)
        plot.addItem(self.minima)
        plot.addItem(self.start_marker)
        self.racer_items: list[RacerItems] = []
        self.surface: Surface | None = None
        self.floor = 0.0  # what the background's f − floor measures from
        self.value_range = (0.0, 1.0)  # f's least and largest value on the map's grid
        self._arrow_ends: list = []  # per racer: {kind: (start, vector, to scale)} or None
        self._drawn = None  # draw()'s arguments, to draw again after a zoom
        self._start_shown = None
        self.scene().sigMouseClicked.connect(self._on_clicked)
        self.view.sigRangeChanged.connect(self._on_range_changed)
        self._apply_palette()

    # ----------------------------------------------------------------- the surface
    def set_surface(self, surface: Surface) -> None:
        """Draw ``surface``'s background, contour lines and marked points; show its bounds."""
        if surface is self.surface:
            return
        self.surface = surface
        xs, ys, values = surface.grid(GRID)
        logs, lo, hi, self.floor = log_gap(surface, values)
        self.value_range = (float(values.min()), float(values.max()))
        (x0, x1), (y0, y1) = surface.bounds
        self.image.setImage(logs, autoLevels=False, levels=(lo, hi))
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self.color_bar.setLevels((lo, hi))
        self.color_bar.setToolTip(
            "Colours: f − min on a log scale"
            if surface.minimum is not None
            else "Colours: f − the least f on the map, on a log scale (no minimum)"
        )
        extent = (x0, x1, y0, y1)
        per_decade = LEVELS_PER_DECADE if surface.minimum is not None else SADDLE_LEVELS_PER_DECADE
        levels = contour_levels(lo, hi, per_decade)
        segments = [contour_segments(logs, extent, level) for level in levels]
        lines = np.concatenate(segments) if segments else np.zeros((0, 2))
        self.contours.setData(lines[:, 0], lines[:, 1])
        symbol = "star" if surface.kind == "minimum" else "x"
        spots = np.array(surface.minima, dtype=float)
        self.minima.setData(
            pos=spots,
            symbol=symbol,
            size=19 if symbol == "star" else 15,
            pen=pg.mkPen("#000000", width=1.2),
            brush=pg.mkBrush("#ffffff"),
        )
        self.show_whole_surface()

    def show_whole_surface(self) -> None:
        if self.surface is not None:
            (x0, x1), (y0, y1) = self.surface.bounds
            self.view.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.02)

    # ----------------------------------------------------------------- racers
    def set_racers(self, racers: tuple[LabRacer, ...]) -> None:
        """One set of items per racer, in its colour (items are kept while colours stay)."""
        plot = self.getPlotItem()
        colors = [entry.color for entry in racers]
        if [items.color for items in self.racer_items] == colors:
            return
        for items in self.racer_items:
            items.remove(plot)
        self.racer_items = [RacerItems(plot, color) for color in colors]
        self._arrow_ends = [None] * len(colors)
        self._drawn = None

    def draw(self, racers, start, explanations=None) -> None:
        """Trails and current points of ``racers`` (as many as ``set_racers`` was given), the
        start, and with ``explanations`` (per racer: ``LabRacer.explain()``'s pair, or None)
        the arrows of the last step."""
        self._drawn = (racers, start, explanations)
        if start != self._start_shown:
            self.start_marker.setData(pos=np.array([start], dtype=float))
            self._start_shown = start
        pixel = self._pixel()
        for entry, items in zip(racers, self.racer_items):
            trail = entry.trail
            if not np.isfinite(trail[-1]).all():  # a racer stops at a non-finite point
                trail = trail[:-1]
            items.show_trail(trail, pixel, self._drawable)
        self._arrow_ends = [
            None if explanations is None else self._arrows_of(entry, pair)
            for entry, pair in zip(racers, explanations or [None] * len(racers))
        ]
        self._place_arrows()

    def _drawable(self, trail: np.ndarray) -> np.ndarray:
        """``trail`` within DRAW_SPAN spans of the surface (a diverged racer's 1e6 would make
        Qt's paths slow and meaningless); the trail itself when it stays within."""
        (x0, x1), (y0, y1) = self.surface.bounds
        dx, dy = DRAW_SPAN * (x1 - x0), DRAW_SPAN * (y1 - y0)
        lo, hi = np.array([x0 - dx, y0 - dy]), np.array([x1 + dx, y1 + dy])
        if (trail >= lo).all() and (trail <= hi).all():
            return trail
        return np.clip(trail, lo, hi)

    @staticmethod
    def _arrows_of(entry: LabRacer, pair) -> dict | None:
        """{kind: (start, vector, to scale)} from the engine's explanation of the last step."""
        if pair is None:
            return None
        ex, ey = pair
        start = (ex.theta, ey.theta)
        arrows = {
            "delta": (start, (ex.applied, ey.applied), True),
            "gradient": (start, (-ex.g, -ey.g), False),
        }
        symbol = MOMENT_TERMS.get(ex.optimizer)
        if symbol in {term.symbol for term in ex.terms}:
            arrows["moment"] = (start, (-ex.term(symbol).value, -ey.term(symbol).value), False)
        return arrows

    def _pixel(self) -> tuple[float, float]:
        """The size of a screen pixel in x and y units ((1, 1) before the map has a size)."""
        pixel = self.view.viewPixelSize()
        if not (pixel[0] > 0 and pixel[1] > 0 and math.isfinite(pixel[0] + pixel[1])):
            return (1.0, 1.0)
        return pixel

    def _place_arrows(self) -> None:
        pixel = self._pixel()
        for items, arrows in zip(self.racer_items, self._arrow_ends):
            for key, arrow in items.arrows.items():
                spec = None if arrows is None else arrows.get(key)
                if spec is None:
                    arrow.hide()
                    continue
                (sx, sy), (vx, vy), to_scale = spec
                if not to_scale:  # a direction: ARROW_PX long on screen
                    length = math.hypot(vx / pixel[0], vy / pixel[1])
                    if length == 0 or not math.isfinite(length):
                        arrow.hide()
                        continue
                    vx, vy = vx / length * ARROW_PX, vy / length * ARROW_PX
                arrow.point((sx, sy), (sx + vx, sy + vy), pixel)

    def arrows_shown(self) -> list[dict]:
        """Per racer, {kind: (start, end)} of the arrows on show (for tests and readers)."""
        shown = []
        for items in self.racer_items:
            shown.append(
                {
                    key: ((arrow.line.xData[0], arrow.line.yData[0]), arrow.end)
                    for key, arrow in items.arrows.items()
                    if arrow.visible
                }
            )
        return shown

    # ----------------------------------------------------------------- events
    def _on_range_changed(self, *_args) -> None:
        # Zoomed or panned: trails are thinned for the new pixel size, and the directions
        # keep their length on screen.
        if self._drawn is not None:
            self.draw(*self._drawn)

    def _on_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        if self.surface is None or not self.view.sceneBoundingRect().contains(event.scenePos()):
            return
        point = self.view.mapSceneToView(event.scenePos())
        (x0, x1), (y0, y1) = self.surface.bounds
        if x0 <= point.x() <= x1 and y0 <= point.y() <= y1:
            event.accept()
            self.start_picked.emit(point.x(), point.y())

    def view_point(self, x: float, y: float):
        """The widget (viewport) position that shows (x, y): where a click lands on it."""
        return self.mapFromScene(self.view.mapViewToScene(pg.Point(x, y)))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        # (Qt sends one from pyqtgraph's constructor, before the parts exist.)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "racer_items"):
            self._apply_palette()

    def _apply_palette(self) -> None:
        style_plot(self, self.palette())
        text = QColor(self.palette().color(QPalette.ColorRole.Text))
        self.color_bar.axis.setPen(pg.mkPen(self.palette().color(QPalette.ColorRole.Mid)))
        self.color_bar.axis.setTextPen(pg.mkPen(text))
        # Contour lines: light on the dark end of the map, so they read on either end.
        self.contours.setPen(pg.mkPen(QColor(255, 255, 255, 90), width=1))


def style_plot(widget: pg.PlotWidget, palette: QPalette) -> None:
    """A plot's background, axes and labels in ``palette``'s colours (light or dark)."""
    widget.setBackground(palette.color(QPalette.ColorRole.Base))
    text = palette.color(QPalette.ColorRole.Text)
    for side in ("left", "bottom"):
        axis = widget.getAxis(side)
        axis.setPen(pg.mkPen(palette.color(QPalette.ColorRole.Mid)))
        axis.setTextPen(pg.mkPen(text))
        if axis.labelText:
            axis.setLabel(axis.labelText, color=text.name())
