"""The network canvas's graphics items: neurons, connections, layer headers and their buttons.

The items only draw themselves and report clicks; the NetworkCanvas (``canvas.py``) decides
what a click means and edits the document.  Colours come from a :class:`Theme` built from the
widget's palette, and a connection's (or a neuron's) look from one function of one value,
:func:`value_style`, so the same drawing shows weights, gradients dL/dw or the changes Δw.
A neuron can carry a small map of its output over the input plane (:func:`map_images`), and
the :class:`CanvasLegend` overlay says what colour and thickness mean at the moment.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QLineF, QObject, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from simulator.app import numbers
from simulator.ui import thumbnails

RADIUS = 15.0  # a neuron's radius
NEURON_DECIMALS = 3  # a value in a neuron's circle: "−0.004" fits, "4×10⁻⁵" does not
MAP_SIZE = 32.0  # a neuron's map of its output over the input plane, drawn right of the circle
MAP_GAP = 5.0  # between the circle and its map
MIN_WIDTH, MAX_WIDTH = 0.7, 6.0  # a connection's pen width for |value| 0 .. the layer's largest
HIT_WIDTH = 9.0  # how wide a thin connection is for the mouse
BUTTON_SIZE = 20.0

# Looked up once: an enum attribute costs a few microseconds, thousands of items are made.
_SELECTABLE = QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
_POINTING = Qt.CursorShape.PointingHandCursor
_DASH, _FLAT = Qt.PenStyle.DashLine, Qt.PenCapStyle.FlatCap
_NO_CONTENTS = QGraphicsItem.GraphicsItemFlag.ItemHasNoContents
_CONNECTION_FLAGS = _SELECTABLE | _NO_CONTENTS  # (an enum's | costs microseconds)


@dataclass(frozen=True)
class Theme:
    """The canvas's colours and fonts, read from a widget's palette (light or dark)."""

    background: QColor
    text: QColor
    muted: QColor
    outline: QColor
    neuron: QColor
    panel: QColor
    button: QColor
    button_text: QColor
    highlight: QColor
    positive: QColor
    negative: QColor
    font: QFont
    small_font: QFont
    title_font: QFont
    dark: bool

    @classmethod
    def from_widget(cls, widget: QWidget) -> Theme:
        pal = widget.palette()
        background = pal.color(QPalette.ColorRole.Base)
        dark = background.lightnessF() < 0.5
        text = pal.color(QPalette.ColorRole.Text)
        # Tints are opaque mixes of text into background: opaque shapes draw faster.
        muted = _mix(background, text, 0.62)
        outline = _mix(background, text, 0.55)
        panel = _mix(background, text, 0.045 if not dark else 0.07)
        font = QFont(widget.font())
        small = QFont(font)
        small.setPointSizeF(max(6.0, font.pointSizeF() * 0.72))
        title = QFont(font)
        title.setBold(True)
        return cls(
            background=background,
            text=text,
            muted=muted,
            outline=outline,
            neuron=pal.color(QPalette.ColorRole.Base),
            panel=panel,
            button=pal.color(QPalette.ColorRole.Button),
            button_text=pal.color(QPalette.ColorRole.ButtonText),
            highlight=pal.color(QPalette.ColorRole.Highlight),
            # TensorFlow Playground's blue (positive) and orange (negative), lighter on dark.
            positive=QColor("#3c9be0" if dark else "#0877bd"),
            negative=QColor("#f5a03c" if dark else "#e8850c"),
            font=font,
            small_font=small,
            title_font=title,
            dark=dark,
        )


def magnitude(value: float, scale: float) -> float:
    """|value| relative to ``scale`` (the layer's largest), clamped to [0, 1]."""
    if not scale > 0 or not math.isfinite(scale):
        return 0.0
    if not math.isfinite(value):
        return 0.0 if math.isnan(value) else 1.0
    return min(1.0, abs(value) / scale)


def value_style(
    value: float, scale: float, theme: Theme, max_width: float = MAX_WIDTH
) -> tuple[QColor, float]:
    """Colour (by sign) and pen width (by magnitude against ``scale``) of a connection."""
    t = magnitude(value, scale)
    # Faded towards the background rather than made translucent: Qt strokes opaque lines
    # about twice as fast, and that is most of a redraw.
    colour = _mix(
        theme.background, theme.positive if value >= 0 else theme.negative, 0.28 + 0.72 * t
    )
    return colour, MIN_WIDTH + (max_width - MIN_WIDTH) * t


PEN_LEVELS = 64  # a training frame draws |value| / scale rounded to this many steps


def pen_levels(theme: Theme, max_width: float) -> tuple[list[QPen], list[QPen]]:
    """The pens of :func:`value_style` for t = level / (PEN_LEVELS - 1): (positive, negative)."""
    book = []
    for hue in (theme.positive, theme.negative):
        pens = []
        for level in range(PEN_LEVELS):
            t = level / (PEN_LEVELS - 1)
            pen = QPen(
                _mix(theme.background, hue, 0.28 + 0.72 * t),
                MIN_WIDTH + (max_width - MIN_WIDTH) * t,
            )
            pen.setCapStyle(_FLAT)
            pens.append(pen)
        book.append(pens)
    return book[0], book[1]


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    """The opaque colour a·(1 - t) + b·t."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
    )


def value_fill(value: float, scale: float, theme: Theme) -> QColor:
    """A neuron's fill for its value (the bias now): sign's colour, stronger when larger."""
    t = magnitude(value, scale)
    colour = QColor(theme.positive if value >= 0 else theme.negative)
    colour.setAlphaF(0.1 + 0.55 * t)
    return colour


# --------------------------------------------------------------------------- neurons


class _Highlights:
    """The two highlights a neuron or a connection can carry, for a QGraphicsItem subclass:
    a glow of strength 0..1 (an animation's wave passing) and a steady mark in a colour (a
    lesson's or the gradient check's pointer).  Subclasses set ``_glow = 0.0`` and
    ``_mark = None`` and paint them."""

    _glow: float
    _mark: QColor | None

    def set_glow(self, strength: float) -> None:
        """Glow with ``strength`` 0..1; 0 = none."""
        if strength != self._glow:
            self._glow = strength
            self._look_changed()

    def glow(self) -> float:
        return self._glow

    def set_mark(self, colour: QColor | None) -> None:
        """Mark in ``colour`` until set to None."""
        if colour != self._mark:
            self._mark = None if colour is None else QColor(colour)
            self._look_changed()

    def _look_changed(self) -> None:
        self.update()

    def mark(self) -> QColor | None:
        return self._mark


# A neuron's face and rim come from a cache of pixmaps, one per look and device scale: an
# antialiased ellipse with a dashed pen cost ~34 us to draw, a pixmap ~1.6 us.  Made at the
# painter's scale (view zoom x device pixel ratio), so they are as crisp as the ellipses at
# 200 % and at any zoom; the key holds the colours, so a palette change (dark mode) makes
# new ones.  CACHE_BODIES = False draws the ellipses (tests compare the two).
CACHE_BODIES = True
BODY_CACHE_SIZE = 4096
_BODY_HALF = RADIUS + 2.5  # the pixmap's half size: the circle and half its widest rim
_BODIES: dict[tuple, QPixmap] = {}


def _device_place(painter: QPainter) -> tuple[float, float, float] | None:
    """(scale, fx, fy): device pixels per item unit of ``painter`` (view zoom × pixel ratio),
    and where a body's pixmap would start within a device pixel, in quarters; None if the
    painter rotates or shears."""
    t = painter.deviceTransform()
    scale = t.m11()
    if t.m12() != 0 or t.m21() != 0 or scale <= 0 or abs(scale - t.m22()) > 1e-9:
        return None
    fx = (t.dx() - _BODY_HALF * scale) % 1.0
    fy = (t.dy() - _BODY_HALF * scale) % 1.0
    return round(scale, 4), round(fx * 4) / 4 % 1.0, round(fy * 4) / 4 % 1.0


def _paint_body(
    painter: QPainter, face: QColor, fill: QColor, rim: QColor, width: float, dashed: bool
) -> None:
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(face)
    painter.drawEllipse(QPointF(0, 0), RADIUS, RADIUS)
    painter.setBrush(fill)
    pen = QPen(rim, width)
    if dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    painter.setPen(pen)
    painter.drawEllipse(QPointF(0, 0), RADIUS, RADIUS)


def _body_pixmap(
    face: QColor,
    fill: QColor,
    rim: QColor,
    width: float,
    dashed: bool,
    place: tuple[float, float, float],
) -> QPixmap:
    """The body drawn at ``place`` (scale, fx, fy): shifted fx, fy device pixels right and
    down, so that the pixmap lands on whole pixels and is copied, not resampled."""
    key = (face.rgba(), fill.rgba(), rim.rgba(), width, dashed, place)
    pixmap = _BODIES.get(key)
    if pixmap is None:
        if len(_BODIES) >= BODY_CACHE_SIZE:
            _BODIES.clear()
        scale, fx, fy = place
        side = math.ceil(2 * _BODY_HALF * scale) + 1
        pixmap = QPixmap(side, side)
        pixmap.setDevicePixelRatio(scale)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(_BODY_HALF + fx / scale, _BODY_HALF + fy / scale)
        _paint_body(painter, face, fill, rim, width, dashed)
        painter.end()
        _BODIES[key] = pixmap
    return pixmap


class NeuronItem(_Highlights, QGraphicsItem):
    """Neuron ``index`` of column ``layer`` (0 = inputs).

    Shows one value (the bias, its activation a, its δ = dL/dz, its change Δb: the canvas
    decides) by fill colour and text; a dashed rim when its layer has no bias.  With a map slot
    it also draws its output over the input plane as a small image right of the circle.
    """

    def __init__(
        self,
        layer: int,
        index: int,
        name: str,
        kind: str,
        centre: QPointF,
        theme: Theme,
        parent: QGraphicsItem | None = None,
        has_bias: bool = True,
        map_slot: bool = False,
    ):
        super().__init__(parent)
        self.layer = layer
        self.index = index
        self.name = name
        self.kind = kind  # "input", "hidden" or "output"
        self.has_bias = kind != "input" and has_bias
        self.value: float | None = None  # the value shown (None: nothing)
        self.on_hover: Callable[[NeuronItem | None], None] | None = None
        self._theme = theme
        self._fill = theme.neuron
        self._text = ""
        self._hover = False
        self._glow = 0.0
        self._mark: QColor | None = None
        self._map_slot = map_slot
        self._map: QImage | None = None
        right = RADIUS + (MAP_GAP + MAP_SIZE if map_slot else 0.0) + 4
        r = RADIUS + 4
        self._rect = QRectF(-r, -r, r + right, 2 * r)
        self.setPos(centre)
        self.setZValue(2)
        self.setFlag(_SELECTABLE)
        self.setAcceptHoverEvents(True)
        self.setCursor(_POINTING)

    def set_value(
        self, value: float | None, scale: float, tooltip: str, text: str | None = None
    ) -> None:
        """Show ``value`` (None: nothing, a plain face) against ``scale`` (its largest), written
        as ``text`` (a label in the style of its column's; by default one on its own)."""
        self.value = value
        if value is None:
            self._fill = self._theme.neuron
            self._text = ""
        elif value == 0:  # e.g. a bias as initialised: a plain face and a muted "0"
            self._fill = self._theme.neuron
            self._text = "0"
        else:
            self._fill = value_fill(value, scale, self._theme)
            if text is None:
                text = numbers.label(value, numbers.label_decimals([value], NEURON_DECIMALS))
            self._text = text
        self.setToolTip(tooltip)
        self.update()

    def set_map(self, image: QImage | None) -> None:
        """The neuron's output over the input plane (drawn only if it has a map slot)."""
        self._map = image
        if self._map_slot:
            self.update(self.map_rect())

    def map_image(self) -> QImage | None:
        return self._map

    def has_map_slot(self) -> bool:
        return self._map_slot

    @staticmethod
    def map_rect() -> QRectF:
        return QRectF(RADIUS + MAP_GAP, -MAP_SIZE / 2, MAP_SIZE, MAP_SIZE)

    def fill(self) -> QColor:
        return QColor(self._fill)

    def text(self) -> str:
        return self._text

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return self._rect

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(QPointF(0, 0), RADIUS + 1, RADIUS + 1)
        if self._map_slot:
            path.addRect(self.map_rect().adjusted(-MAP_GAP, 0, 0, 0))
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        theme = self._theme
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = self.isSelected()
        if self._map_slot:
            rect = self.map_rect()
            if self._map is not None:
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
                painter.drawImage(rect, self._map)
            else:
                painter.fillRect(rect, theme.panel)
            edge = theme.highlight if selected else theme.text if self._hover else theme.outline
            painter.setPen(QPen(edge, 2.0 if selected else 1.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rect)
        if self._mark is not None:
            painter.setPen(QPen(self._mark, 4.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(QPointF(0, 0), RADIUS + 2.5, RADIUS + 2.5)
        if self._glow > 0:
            halo = QColor(theme.highlight)
            halo.setAlphaF(0.75 * self._glow)
            painter.setPen(QPen(halo, 7.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(QPointF(0, 0), RADIUS + 1.5, RADIUS + 1.5)
        if selected:
            rim, width = theme.highlight, 3.0
        else:
            rim, width = (theme.text, 1.6) if self._hover else (theme.outline, 1.2)
        dashed = self.kind != "input" and not self.has_bias  # no bias: a dashed rim
        place = _device_place(painter) if CACHE_BODIES else None
        if place is None:
            _paint_body(painter, theme.neuron, self._fill, rim, width, dashed)
        else:
            body = _body_pixmap(theme.neuron, self._fill, rim, width, dashed, place)
            scale, fx, fy = place
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            painter.drawPixmap(QPointF(-_BODY_HALF - fx / scale, -_BODY_HALF - fy / scale), body)
        if self._text:
            painter.setFont(theme.small_font)
            painter.setPen(theme.text if self.value else theme.muted)
            painter.drawText(
                QRectF(-RADIUS - 4, -RADIUS, 2 * RADIUS + 8, 2 * RADIUS),
                Qt.AlignmentFlag.AlignCenter,
                self._text,
            )

    def hoverEnterEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._hover = True
        self.update()
        if self.on_hover is not None:
            self.on_hover(self)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._hover = False
        self.update()
        if self.on_hover is not None:
            self.on_hover(None)
        super().hoverLeaveEvent(event)

    def __repr__(self) -> str:
        return f"NeuronItem(layer={self.layer}, index={self.index}, {self.name!r})"


class LabelItem(QGraphicsSimpleTextItem):
    """A text that the mouse passes through (neuron labels, counts)."""

    def __init__(self, text: str, font: QFont, colour: QColor, parent: QGraphicsItem | None = None):
        super().__init__(text, parent)
        self.setFont(font)
        self.setBrush(colour)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)

    def place(self, x: float, y: float, align: Qt.AlignmentFlag) -> LabelItem:
        """Put the text's anchor (left, right or centre; always the vertical centre) at x, y."""
        rect = self.boundingRect()
        if align & Qt.AlignmentFlag.AlignRight:
            x -= rect.width()
        elif align & Qt.AlignmentFlag.AlignHCenter:
            x -= rect.width() / 2
        self.setPos(x, y - rect.height() / 2)
        return self


# --------------------------------------------------------------------------- connections


class ConnectionItem(_Highlights, QGraphicsItem):
    """Connection ``source`` -> ``target`` of weight layer ``layer``.

    Its pen's colour is the sign and its width the magnitude of the value shown (the weight);
    a removed connection (``removed``) is a faint dashed line.  Once it has joined a
    :class:`ConnectionBatch` (as every connection of the canvas does) the batch draws it and
    the item stays for the mouse: hover, clicks, selection and its tooltip.  The tooltip may
    be given as a function that writes it, called when it is read (``toolTip()``) or the
    mouse comes to the item: a training frame changes thousands of values, and writing each
    one's tooltip cost more than drawing it.
    """

    def __init__(
        self,
        layer: int,
        source: int,
        target: int,
        p1: QPointF,
        p2: QPointF,
        theme: Theme,
        parent: QGraphicsItem | None = None,
    ):
        super().__init__(parent)
        # Thousands are made at a time: what every new one shares is on the class.
        self.layer = layer
        self.source = source
        self.target = target
        self._theme = theme
        self._line = QLineF(p1, p2)
        self._pen = _shared_pen(theme, "new")
        pad = MAX_WIDTH + 4
        x1, y1, x2, y2 = p1.x(), p1.y(), p2.x(), p2.y()
        left, top = min(x1, x2) - pad, min(y1, y2) - pad
        self._rect = QRectF(left, top, abs(x2 - x1) + 2 * pad, abs(y2 - y1) + 2 * pad)
        # Drawn by its layer's ConnectionBatch (the canvas's ItemStyler makes one for every
        # layer it styles), so it has no contents of its own; its pointing-hand cursor is
        # set when the mouse first comes (a setCursor each cost as much as making the item).
        self.setFlags(_CONNECTION_FLAGS)
        self.setAcceptHoverEvents(True)

    removed = False
    value = 0.0
    _hover = False
    _glow = 0.0
    _mark: QColor | None = None
    _shape: QPainterPath | None = None  # made on the first hit test
    _batch: ConnectionBatch | None = None
    _tip: str | Callable[[], str] = ""

    def set_value(
        self,
        value: float,
        scale: float,
        removed: bool,
        tooltip: str | Callable[[], str],
        max_width: float = MAX_WIDTH,
    ) -> None:
        """Show ``value`` against the layer's largest, ``scale``; at most ``max_width`` wide."""
        self.value = float(value)
        self.removed = bool(removed)
        if removed:
            self._pen = removed_pen(self._theme)
            self.setZValue(-0.5)
        else:
            colour, width = value_style(value, scale, self._theme, max_width)
            self._pen = QPen(colour, width)
            self._pen.setCapStyle(_FLAT)
            self.setZValue(0)
        self.set_tip(tooltip)
        self._pen_changed()

    def set_pen(self, value: float, pen: QPen, tooltip: str | Callable[[], str]) -> None:
        """Show ``value`` with a ready-made ``pen`` (from :func:`pen_levels`): the fast path of
        a training frame, which repaints only if the pen changed."""
        self.value = value
        if self.removed:
            self.removed = False
            self.setZValue(0)
        self._tip = tooltip  # (set_tip, inline: thousands a frame)
        if self._hover:
            QGraphicsItem.setToolTip(self, self.toolTip())
        if pen is not self._pen:
            self._pen = pen
            self._pen_changed()

    def set_pending(self, tooltip: str | Callable[[], str]) -> None:
        """A faint dotted line: its value is not computed yet (the backward wave is coming)."""
        self._pen = pending_pen(self._theme)
        self.set_tip(tooltip)
        self._pen_changed()

    def set_tip(self, tooltip: str | Callable[[], str]) -> None:
        """The tooltip, or a function that writes it when it is wanted."""
        self._tip = tooltip
        if self._hover:  # the one under the mouse is kept written out
            QGraphicsItem.setToolTip(self, self.toolTip())

    def setToolTip(self, tooltip: str) -> None:  # noqa: N802 - Qt's name
        self.set_tip(tooltip)
        QGraphicsItem.setToolTip(self, tooltip)

    def toolTip(self) -> str:  # noqa: N802 - Qt's name
        tip = self._tip
        return tip() if callable(tip) else tip

    def pen(self) -> QPen:
        return QPen(self._pen)

    def line(self) -> QLineF:
        return QLineF(self._line)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return self._rect

    def shape(self) -> QPainterPath:
        if self._shape is None:
            path = QPainterPath(self._line.p1())
            path.lineTo(self._line.p2())
            stroker = QPainterPathStroker()
            stroker.setWidth(HIT_WIDTH)
            self._shape = stroker.createStroke(path)
        return self._shape

    def batch(self) -> ConnectionBatch | None:
        """The batch that draws this connection (None: not drawn yet)."""
        return self._batch

    def join_batch(self, batch: ConnectionBatch) -> None:
        """From now on ``batch`` draws this connection (until then nothing does)."""
        self._batch = batch

    def _pen_changed(self) -> None:
        if self._batch is not None:
            self._batch.restyled()

    def _look_changed(self) -> None:
        if self._batch is not None:
            self._batch.highlight_changed(self)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        # Qt never asks (the item has no contents: its batch draws it); drawn on its own, it
        # looks as the batch draws it.
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.paint_halos(painter, self.isSelected())
        painter.setPen(self._pen)
        painter.drawLine(self._line)

    def paint_halos(self, painter: QPainter, selected: bool) -> None:
        """The halos of a mark, of the selection or the mouse, or of a wave's glow."""
        if self._mark is not None:
            halo = QColor(self._mark)
            halo.setAlphaF(0.55)
            painter.setPen(
                QPen(
                    halo,
                    max(self._pen.widthF(), 1.0) + 7,
                    Qt.PenStyle.SolidLine,
                    Qt.PenCapStyle.RoundCap,
                )
            )
            painter.drawLine(self._line)
        if selected or self._hover:
            # Selected: a dark (light, on a dark theme) band, which no weight colour shares.
            halo = QColor(self._theme.text if selected else self._theme.highlight)
            halo.setAlphaF(0.55 if selected else 0.35)
            painter.setPen(
                QPen(
                    halo,
                    max(self._pen.widthF(), 1.0) + 5,
                    Qt.PenStyle.SolidLine,
                    Qt.PenCapStyle.RoundCap,
                )
            )
            painter.drawLine(self._line)
        elif self._glow > 0:
            halo = QColor(self._theme.highlight)
            halo.setAlphaF(0.3 * self._glow)
            painter.setPen(
                QPen(
                    halo,
                    max(self._pen.widthF(), 1.0) + 3,
                    Qt.PenStyle.SolidLine,
                    Qt.PenCapStyle.FlatCap,
                )
            )
            painter.drawLine(self._line)

    def hoverEnterEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._hover = True
        if not self.hasCursor():
            self.setCursor(_POINTING)
        QGraphicsItem.setToolTip(self, self.toolTip())  # Qt shows what is stored in the item
        self._look_changed()
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._hover = False
        self._look_changed()
        super().hoverLeaveEvent(event)

    def __repr__(self) -> str:
        state = ", removed" if self.removed else ""
        return f"ConnectionItem(layer={self.layer}, {self.source} -> {self.target}{state})"


def removed_pen(theme: Theme) -> QPen:
    """The faint dashed pen of a removed connection (one per theme, shared)."""
    return _shared_pen(theme, "removed")


def pending_pen(theme: Theme) -> QPen:
    """The faint dotted pen of a connection whose value is not computed yet."""
    return _shared_pen(theme, "pending")


_SHARED_PENS: dict[tuple, tuple[Theme, QPen]] = {}


def _shared_pen(theme: Theme, kind: str) -> QPen:
    key = (kind, id(theme))
    held = _SHARED_PENS.get(key)
    if held is not None and held[0] is theme:  # (an id may be reused by a later theme)
        return held[1]
    if len(_SHARED_PENS) > 64:
        _SHARED_PENS.clear()
    if kind == "removed":
        pen = QPen(_mix(theme.background, theme.text, 0.3), 1.0, _DASH)
    elif kind == "new":  # before the first value
        pen = QPen(theme.outline, MIN_WIDTH)
    else:
        pen = QPen(_mix(theme.background, theme.text, 0.25), 1.0, Qt.PenStyle.DotLine)
    _SHARED_PENS[key] = (theme, pen)
    return pen


class _SelectionWatcher(QObject):
    """Tells a scene's connection batches when its selection changes (one connection to
    the scene's signal, not one per batch: each cost a third of a millisecond)."""

    def __init__(self, scene: QGraphicsScene):
        super().__init__(scene)
        self.batches: weakref.WeakSet[ConnectionBatch] = weakref.WeakSet()
        scene.selectionChanged.connect(self._on_selection_changed)

    @classmethod
    def of(cls, scene: QGraphicsScene) -> _SelectionWatcher:
        watcher = scene.findChild(cls)
        return watcher if watcher is not None else cls(scene)

    def _on_selection_changed(self) -> None:
        try:
            chosen = self.parent().selectedItems()
        except (RuntimeError, AttributeError):  # the scene is being deleted
            return
        for batch in list(self.batches):
            try:
                current = batch.scene() is not None  # not a retired one
            except RuntimeError:  # deleted with its items
                self.batches.discard(batch)
                continue
            if current:
                batch.selection_changed(chosen)


class ConnectionBatch(QGraphicsObject):
    """Draws the connections of one weight layer in one go.

    Qt asked each ConnectionItem to paint itself (a call into Python per connection) and
    stroked its line alone; a batch makes one call for the layer and strokes the lines that
    share a pen with one ``drawLines``: for the 2,352 connections of ten hidden layers of 16,
    about half the time of a paint.  Removed connections first (under the others), then the
    rest, then the highlighted ones (marked, glowing, hovered, selected) with their halos,
    above the others.  The items stay for the mouse and tell their batch when their look
    changes; the batch itself takes no clicks (its shape is empty).
    """

    def __init__(self, items: list[ConnectionItem], parent: QGraphicsItem | None = None):
        super().__init__(parent)
        self._items = list(items)
        rect = QRectF()
        for item in self._items:
            rect = rect.united(item.boundingRect())
            item.join_batch(self)
        self._rect = rect
        self._groups: list[tuple[QPen, list[QLineF]]] | None = None  # made at the next paint
        self._lit: list[ConnectionItem] = []
        self._selected: set[ConnectionItem] = set()
        self._restyled = False
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)
        scene = self.scene()
        if scene is not None:
            _SelectionWatcher.of(scene).batches.add(self)
            self.selection_changed(scene.selectedItems())

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return self._rect

    def shape(self) -> QPainterPath:
        return QPainterPath()  # the items under it take the mouse

    def restyled(self) -> None:
        """A connection's pen changed: the layer is drawn afresh (once, however many did)."""
        self._groups = None
        if not self._restyled:
            self._restyled = True
            self.update()

    def highlight_changed(self, item: ConnectionItem) -> None:
        """``item`` gained or lost a halo: only its part of the layer is drawn again."""
        self._groups = None
        self.update(item.boundingRect())

    def selection_changed(self, chosen: list[QGraphicsItem]) -> None:
        """The scene's selection is now ``chosen``: the connections that joined or left it
        are drawn again."""
        mine = set(self._items)
        selected = {item for item in chosen if item in mine}
        for item in selected ^ self._selected:
            self.highlight_changed(item)
        self._selected = selected

    def _group(self) -> None:
        removed: dict[int, tuple[QPen, list[QLineF]]] = {}
        plain: dict[int, tuple[QPen, list[QLineF]]] = {}
        lit = []
        selected = self._selected
        for item in self._items:
            if item.removed:
                groups = removed
            else:
                groups = plain
            pen = item._pen
            group = groups.get(id(pen))
            if group is None:
                groups[id(pen)] = (pen, [item._line])
            else:
                group[1].append(item._line)
            if item._hover or item._mark is not None or item._glow > 0 or item in selected:
                lit.append(item)
        self._groups = [*removed.values(), *plain.values()]
        self._lit = lit

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        self._restyled = False
        if self._groups is None:
            self._group()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for pen, lines in self._groups:
            painter.setPen(pen)
            painter.drawLines(lines)
        selected = self._selected
        for item in self._lit:
            item.paint_halos(painter, item in selected)
        for item in self._lit:  # the line itself over its halo and its neighbours
            painter.setPen(item._pen)
            painter.drawLine(item._line)


class BundleItem(QGraphicsPathItem):
    """The connections of weight layer ``layer`` that a compact column does not draw one by one:
    a faint band between the two columns."""

    def __init__(
        self, layer: int, path: QPainterPath, theme: Theme, parent: QGraphicsItem | None = None
    ):
        super().__init__(path, parent)
        self.layer = layer
        self.setBrush(_mix(theme.background, theme.text, 0.07))
        self.setPen(QPen(_mix(theme.background, theme.text, 0.12), 0.8))
        self.setZValue(-2)


class BlockItem(QGraphicsItem):
    """The frame of a compact column (a big layer): holds its count and the "more" gap."""

    def __init__(self, layer: int, rect: QRectF, theme: Theme, parent: QGraphicsItem | None = None):
        super().__init__(parent)
        self.layer = layer
        self._rect = QRectF(rect)
        self._theme = theme
        self.setZValue(-1)

    def rect(self) -> QRectF:
        return QRectF(self._rect)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return self._rect.adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(_mix(self._theme.background, self._theme.text, 0.06))
        painter.setPen(QPen(self._theme.outline, 1.0, Qt.PenStyle.DotLine))
        painter.drawRoundedRect(self._rect, 12, 12)


# --------------------------------------------------------------------------- headers and buttons


class ButtonItem(QGraphicsObject):
    """A small clickable button drawn on the canvas.

    ``kind`` is one of "add_layer", "remove_layer", "add_neuron", "remove_neuron", "bias",
    "activation"; ``layer`` the column it acts on (for "add_layer": where the new layer goes).
    """

    clicked = Signal()

    def __init__(
        self,
        kind: str,
        layer: int,
        theme: Theme,
        size: tuple[float, float],
        text: str = "",
        checked: bool = False,
        tooltip: str = "",
        parent: QGraphicsItem | None = None,
    ):
        super().__init__(parent)
        self.kind = kind
        self.layer = layer
        self.text = text
        self.checked = checked
        self._theme = theme
        self._rect = QRectF(0, 0, *size)
        self._hover = False
        self._pressed = False
        self.setToolTip(tooltip)
        self.setAcceptHoverEvents(True)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setCursor(_POINTING)
        self.setZValue(4)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return self._rect.adjusted(-1, -1, 1, 1)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(self._rect)
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        theme = self._theme
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = self._rect.adjusted(0.5, 0.5, -0.5, -0.5)
        fill = QColor(theme.highlight if self._hover else theme.button)
        if self._hover:
            fill.setAlphaF(0.3 if not self._pressed else 0.5)
        border = QColor(theme.highlight if self._hover else theme.outline)
        painter.setPen(QPen(border, 1.0))
        painter.setBrush(fill)
        round_button = self.kind in ("add_layer", "remove_layer", "add_neuron", "remove_neuron")
        if round_button:
            if self.kind == "add_layer":
                painter.setPen(QPen(border, 1.2, Qt.PenStyle.DashLine))
            painter.drawEllipse(rect)
            self._paint_glyph(painter, rect)
            return
        painter.drawRoundedRect(rect, 5, 5)
        painter.setFont(theme.font)
        painter.setPen(theme.button_text)
        if self.kind == "activation":
            text_rect = rect.adjusted(6, 0, -16, 0)
            painter.drawText(
                text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.text
            )
            cx, cy = rect.right() - 9, rect.center().y()
            arrow = QPainterPath(QPointF(cx - 3.5, cy - 1.5))
            arrow.lineTo(cx + 3.5, cy - 1.5)
            arrow.lineTo(cx, cy + 2.5)
            arrow.closeSubpath()
            painter.fillPath(arrow, theme.button_text)
        else:  # bias: a check box and its text
            box = QRectF(rect.left() + 6, rect.center().y() - 5.5, 11, 11)
            painter.setPen(QPen(theme.button_text, 1.1))
            painter.setBrush(theme.neuron)
            painter.drawRoundedRect(box, 2, 2)
            if self.checked:
                tick = QPainterPath(QPointF(box.left() + 2.3, box.center().y()))
                tick.lineTo(box.left() + 4.6, box.bottom() - 2.5)
                tick.lineTo(box.right() - 2.0, box.top() + 2.4)
                painter.setPen(QPen(theme.button_text, 1.8))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawPath(tick)
            painter.setPen(theme.button_text)
            painter.drawText(
                rect.adjusted(box.width() + 11, 0, -4, 0),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                self.text,
            )

    def _paint_glyph(self, painter: QPainter, rect: QRectF) -> None:
        c = rect.center()
        d = rect.width() * 0.22
        painter.setPen(
            QPen(self._theme.button_text, 1.7, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        )
        if self.kind == "remove_layer":
            painter.drawLine(QLineF(c.x() - d, c.y() - d, c.x() + d, c.y() + d))
            painter.drawLine(QLineF(c.x() - d, c.y() + d, c.x() + d, c.y() - d))
            return
        d *= 1.25
        painter.drawLine(QLineF(c.x() - d, c.y(), c.x() + d, c.y()))
        if self.kind in ("add_layer", "add_neuron"):
            painter.drawLine(QLineF(c.x(), c.y() - d, c.x(), c.y() + d))

    def hoverEnterEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._hover = False
        self._pressed = False
        self.update()

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        # Accepting the press keeps the view from starting a hand drag, and brings the release.
        self._pressed = True
        self.update()
        event.accept()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt's name
        inside = self._pressed and self._rect.contains(event.pos())
        self._pressed = False
        self.update()
        if inside:
            self.clicked.emit()

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.mousePressEvent(event)  # a quick second click is one more click

    def __repr__(self) -> str:
        return f"ButtonItem({self.kind!r}, layer={self.layer})"


class LayerHeaderItem(QGraphicsObject):
    """The header over column ``layer``: its title, activation, bias and neuron buttons.

    ``buttons`` maps a button kind to its :class:`ButtonItem` (children of this item).
    """

    WIDTH = 134.0

    def __init__(self, layer: int, rect: QRectF, theme: Theme, parent: QGraphicsItem | None = None):
        super().__init__(parent)
        self.layer = layer
        self.buttons: dict[str, ButtonItem] = {}
        self._rect = QRectF(rect)
        self._theme = theme
        self.setZValue(3)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # drags pan the view

    def rect(self) -> QRectF:
        return QRectF(self._rect)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return self._rect.adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(self._theme.panel))
        painter.drawRoundedRect(self._rect, 8, 8)

    def add_button(self, button: ButtonItem, x: float, y: float) -> ButtonItem:
        """Adopt ``button`` with its top-left corner at (x, y) in this header's coordinates."""
        button.setParentItem(self)
        button.setPos(x, y)
        self.buttons[button.kind] = button
        return button

    def add_text(self, text: str, font: QFont, colour: QColor, y: float) -> LabelItem:
        """A centred line of text whose vertical centre is at ``y``."""
        label = LabelItem(text, font, colour, self)
        return label.place(self._rect.center().x(), y, Qt.AlignmentFlag.AlignHCenter)

    def __repr__(self) -> str:
        return f"LayerHeaderItem(layer={self.layer})"


def text_width(text: str, font: QFont) -> float:
    return QFontMetricsF(font).horizontalAdvance(text)


def wrap_text(text: str, font: QFont, width: float) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width`` (a longer word stays whole)."""
    metrics = QFontMetricsF(font)
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = word if not current else f"{current} {word}"
        if current and metrics.horizontalAdvance(candidate) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    lines.append(current)
    return lines


# --------------------------------------------------------------------------- per-neuron maps


def map_lut(background: QColor) -> np.ndarray:
    """Playground's orange–neutral–blue map as 256 ARGB32 pixels; index 0 is -1, 255 is +1."""
    neutral = thumbnails.neutral_for(background.name())
    rgba = thumbnails.diverging_rgba(np.linspace(-1.0, 1.0, 256), neutral).astype(np.uint32)
    return (0xFF << 24) | (rgba[:, 0] << 16) | (rgba[:, 1] << 8) | rgba[:, 2]


def map_images(t: np.ndarray, shape: tuple[int, int], lut: np.ndarray) -> list[QImage]:
    """One image per column of ``t`` ((G, m), values in [-1, 1]) sampled on a grid of
    ``shape`` = (rows, columns), row-major with y growing with the row: drawn with y upward."""
    t = np.nan_to_num(np.asarray(t, dtype=np.float64), nan=0.0, posinf=1.0, neginf=-1.0)
    index = np.clip(np.rint((t + 1.0) * 127.5), 0, 255).astype(np.uint8)
    rows, cols = shape
    # One plane per column, each contiguous, in one go; image row 0 is the top: the largest y.
    planes = np.ascontiguousarray(lut[index.T].reshape(-1, rows, cols)[:, ::-1])
    fmt = QImage.Format.Format_ARGB32_Premultiplied
    # .copy(): the image owns its pixels once ``planes`` is gone.
    return [QImage(plane.data, cols, rows, 4 * cols, fmt).copy() for plane in planes]


# --------------------------------------------------------------------------- the legend


class CanvasLegend(QWidget):
    """What colour and thickness mean now: a small panel fixed in the canvas's corner.

    ``set_content(title, rows)`` with rows of (swatch, text); swatch is "edges" (line samples),
    "nodes" (neuron fills), "maps" (the map's colour bar), "next" (muted text) or "" (text).
    A click folds it to its title line (the network then gets the room), another unfolds it;
    ``collapsed_changed`` tells.  Wheel and other events pass on to the canvas.
    """

    PAD = 6.0
    SWATCH = 40.0
    FONT_SCALE = 0.88  # a little smaller than the canvas's text: it must not crowd the network
    OPEN_MARK, CLOSED_MARK = "▾", "▸"

    collapsed_changed = Signal(bool)

    def __init__(self, theme: Theme, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("canvasLegend")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self._title = ""
        self._rows: list[tuple[str, str]] = []
        self._max_width: float | None = None
        self._fixed_width = True
        self._collapsed = False
        self._update_tooltip()
        self.set_theme(theme)

    @property
    def collapsed(self) -> bool:
        return self._collapsed

    def set_collapsed(self, collapsed: bool) -> None:
        """Show only the title line (True) or every row (False)."""
        if collapsed == self._collapsed:
            return
        self._collapsed = collapsed
        self._update_tooltip()
        self._resize()
        self.collapsed_changed.emit(collapsed)

    def _update_tooltip(self) -> None:
        self.setToolTip(
            "Click to show what colours and thickness mean"
            if self._collapsed
            else "Click to fold the legend to one line (the network gets the room)"
        )

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.button() == Qt.MouseButton.LeftButton:
            self.set_collapsed(not self._collapsed)
            event.accept()
        else:
            event.ignore()

    def _shown_title(self) -> str:
        return f"{self.CLOSED_MARK if self._collapsed else self.OPEN_MARK} {self._title}"

    def _shown_rows(self) -> list[tuple[str, str]]:
        return [] if self._collapsed else self._rows

    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        self._font = QFont(theme.font)
        self._font.setPointSizeF(max(6.0, theme.font.pointSizeF() * self.FONT_SCALE))
        self._title_font = QFont(self._font)
        self._title_font.setBold(True)
        self._resize()

    def set_content(self, title: str, rows: list[tuple[str, str]]) -> None:
        if title == self._title and rows == self._rows:
            return
        self._title = title
        self._rows = list(rows)
        self._resize()

    def title(self) -> str:
        return self._title

    def text(self) -> str:
        """Everything the legend says, one line per row."""
        return "\n".join([self._title, *(text for _, text in self._rows)])

    def _line_height(self) -> float:
        return QFontMetricsF(self._font).height() + 1

    def set_max_width(self, width: float | None, fixed: bool = True) -> None:
        """Wrap rows longer than ``width`` pixels (None: one line per row); ``fixed``: be
        exactly that wide (else only as wide as the text needs)."""
        if width != self._max_width or fixed != self._fixed_width:
            self._max_width = width
            self._fixed_width = fixed
            self._resize()

    def _indent(self, swatch: str) -> float:
        return 0.0 if swatch == "next" else self.SWATCH + 6

    def _lines(self, swatch: str, text: str) -> list[str]:
        if self._max_width is None:
            return [text]
        return wrap_text(text, self._font, self._max_width - 2 * self.PAD - self._indent(swatch))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        width = text_width(self._shown_title(), self._title_font)
        lines = 1
        for swatch, text in self._shown_rows():
            wrapped = self._lines(swatch, text)
            lines += len(wrapped)
            for piece in wrapped:
                width = max(width, self._indent(swatch) + text_width(piece, self._font))
        height = self._line_height() * lines
        width = width + 2 * self.PAD
        if self._max_width is not None and self._fixed_width and not self._collapsed:
            width = self._max_width  # a steady width: the network beside it never shifts
        elif self._max_width is not None:
            width = min(width, self._max_width)
        return QSize(math.ceil(width), math.ceil(height + 2 * self.PAD - 2))

    def _resize(self) -> None:
        self.resize(self.sizeHint())
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        theme = self._theme
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        back = QColor(theme.background)
        back.setAlphaF(0.92)
        painter.setPen(QPen(theme.outline, 1.0))
        painter.setBrush(back)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        line = self._line_height()
        x0, y = self.PAD, self.PAD
        painter.setFont(self._title_font)
        painter.setPen(theme.text)
        painter.drawText(
            QRectF(x0, y, self.width(), line), Qt.AlignmentFlag.AlignVCenter, self._shown_title()
        )
        painter.setFont(self._font)
        for swatch, text in self._shown_rows():
            y += line
            if swatch == "next":
                painter.setPen(theme.muted)
            else:
                self._paint_swatch(painter, swatch, x0, y + line / 2)
                painter.setPen(theme.text)
            indent = self._indent(swatch)
            for i, piece in enumerate(self._lines(swatch, text)):
                if i:
                    y += line
                painter.drawText(
                    QRectF(x0 + indent, y, self.width(), line),
                    Qt.AlignmentFlag.AlignVCenter,
                    piece,
                )
        painter.end()

    def _paint_swatch(self, painter: QPainter, swatch: str, x: float, mid: float) -> None:
        theme = self._theme
        if swatch == "edges":  # thin and thick, in each sign's colour
            for k, (colour, width) in enumerate(
                [
                    (theme.positive, 1.0),
                    (theme.positive, 4.5),
                    (theme.negative, 1.0),
                    (theme.negative, 4.5),
                ]
            ):
                left = x + k * 10
                faded = _mix(theme.background, colour, 0.28 + 0.72 * (width > 2))
                painter.setPen(QPen(faded, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
                painter.drawLine(QLineF(left, mid + 4, left + 7, mid - 4))
        elif swatch == "nodes":  # a positive and a negative neuron
            for k, sign in enumerate((1.0, -1.0)):
                centre = QPointF(x + 7 + k * 18, mid)
                painter.setPen(QPen(theme.outline, 1.0))
                painter.setBrush(theme.neuron)
                painter.drawEllipse(centre, 6, 6)
                painter.setBrush(value_fill(sign, 1.0, theme))
                painter.drawEllipse(centre, 6, 6)
        elif swatch == "maps":  # the colour bar: low (orange) .. high (blue)
            rect = QRectF(x, mid - 4, self.SWATCH - 4, 8)
            gradient = QLinearGradient(rect.topLeft(), rect.topRight())
            gradient.setColorAt(0.0, QColor(thumbnails.ORANGE))
            gradient.setColorAt(0.5, QColor(thumbnails.neutral_for(theme.background.name())))
            gradient.setColorAt(1.0, QColor(thumbnails.BLUE))
            painter.setPen(QPen(theme.outline, 0.8))
            painter.setBrush(gradient)
            painter.drawRect(rect)
