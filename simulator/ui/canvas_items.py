"""The network canvas's graphics items: neurons, connections, layer headers and their buttons.

The items only draw themselves and report clicks; the NetworkCanvas (``canvas.py``) decides
what a click means and edits the document.  Colours come from a :class:`Theme` built from the
widget's palette, and a connection's (or a neuron's) look from one function of one value,
:func:`value_style`, so the same drawing shows weights now and gradients later.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsPathItem,
    QGraphicsSimpleTextItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

RADIUS = 15.0  # a neuron's radius
MIN_WIDTH, MAX_WIDTH = 0.7, 6.0  # a connection's pen width for |value| 0 .. the layer's largest
HIT_WIDTH = 9.0  # how wide a thin connection is for the mouse
BUTTON_SIZE = 20.0

# Looked up once: an enum attribute costs a few microseconds, thousands of items are made.
_SELECTABLE = QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
_POINTING = Qt.CursorShape.PointingHandCursor
_DASH, _FLAT = Qt.PenStyle.DashLine, Qt.PenCapStyle.FlatCap


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
    if not scale > 0:
        return 0.0
    return min(1.0, abs(value) / scale)


def value_style(value: float, scale: float, theme: Theme,
                max_width: float = MAX_WIDTH) -> tuple[QColor, float]:
    """Colour (by sign) and pen width (by magnitude against ``scale``) of a connection."""
    t = magnitude(value, scale)
    # Faded towards the background rather than made translucent: Qt strokes opaque lines
    # about twice as fast, and that is most of a redraw.
    colour = _mix(theme.background, theme.positive if value >= 0 else theme.negative,
                  0.28 + 0.72 * t)
    return colour, MIN_WIDTH + (max_width - MIN_WIDTH) * t


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    """The opaque colour a·(1 - t) + b·t."""
    return QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * t,
                           a.greenF() + (b.greenF() - a.greenF()) * t,
                           a.blueF() + (b.blueF() - a.blueF()) * t)


def value_fill(value: float, scale: float, theme: Theme) -> QColor:
    """A neuron's fill for its value (the bias now): sign's colour, stronger when larger."""
    t = magnitude(value, scale)
    colour = QColor(theme.positive if value >= 0 else theme.negative)
    colour.setAlphaF(0.1 + 0.55 * t)
    return colour


def format_value(value: float) -> str:
    """A short number for a neuron's face: 0, 0.12, -1.3, 12, 1.2e+03."""
    v = float(value)
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1000 or a < 0.005:
        return f"{v:.0e}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


# --------------------------------------------------------------------------- neurons


class NeuronItem(QGraphicsItem):
    """Neuron ``index`` of column ``layer`` (0 = inputs); shows its bias by colour and text."""

    def __init__(self, layer: int, index: int, name: str, kind: str, centre: QPointF,
                 theme: Theme, parent: QGraphicsItem | None = None):
        super().__init__(parent)
        self.layer = layer
        self.index = index
        self.name = name
        self.kind = kind  # "input", "hidden" or "output"
        self.value: float | None = None  # the bias shown (None: no bias)
        self._theme = theme
        self._fill = theme.neuron
        self._text = ""
        self._hover = False
        self.setPos(centre)
        self.setZValue(2)
        self.setFlag(_SELECTABLE)
        self.setAcceptHoverEvents(True)
        self.setCursor(_POINTING)

    def set_value(self, value: float | None, scale: float, tooltip: str) -> None:
        """Show ``value`` (None: the neuron has no bias) against the layer's ``scale``."""
        self.value = value
        if value is None:
            self._fill = self._theme.neuron
            self._text = ""
        elif value == 0:  # as initialised: a plain face and a muted "0"
            self._fill = self._theme.neuron
            self._text = "0"
        else:
            self._fill = value_fill(value, scale, self._theme)
            self._text = format_value(value)
        self.setToolTip(tooltip)
        self.update()

    def fill(self) -> QColor:
        return QColor(self._fill)

    def text(self) -> str:
        return self._text

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        r = RADIUS + 4
        return QRectF(-r, -r, 2 * r, 2 * r)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(QPointF(0, 0), RADIUS + 1, RADIUS + 1)
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        theme = self._theme
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.neuron)
        painter.drawEllipse(QPointF(0, 0), RADIUS, RADIUS)
        painter.setBrush(self._fill)
        if self.isSelected():
            pen = QPen(theme.highlight, 3.0)
        else:
            pen = QPen(theme.text if self._hover else theme.outline, 1.6 if self._hover else 1.2)
        if self.kind != "input" and self.value is None:
            pen.setStyle(Qt.PenStyle.DashLine)  # no bias: a dashed rim
        painter.setPen(pen)
        painter.drawEllipse(QPointF(0, 0), RADIUS, RADIUS)
        if self._text:
            painter.setFont(theme.small_font)
            painter.setPen(theme.text if self.value else theme.muted)
            painter.drawText(QRectF(-RADIUS, -RADIUS, 2 * RADIUS, 2 * RADIUS),
                             Qt.AlignmentFlag.AlignCenter, self._text)

    def hoverEnterEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._hover = True
        self.update()
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._hover = False
        self.update()
        super().hoverLeaveEvent(event)

    def __repr__(self) -> str:
        return f"NeuronItem(layer={self.layer}, index={self.index}, {self.name!r})"


class LabelItem(QGraphicsSimpleTextItem):
    """A text that the mouse passes through (neuron labels, counts)."""

    def __init__(self, text: str, font: QFont, colour: QColor,
                 parent: QGraphicsItem | None = None):
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


class ConnectionItem(QGraphicsItem):
    """Connection ``source`` -> ``target`` of weight layer ``layer``.

    Its pen's colour is the sign and its width the magnitude of the value shown (the weight);
    a removed connection (``removed``) is a faint dashed line.
    """

    def __init__(self, layer: int, source: int, target: int, p1: QPointF, p2: QPointF,
                 theme: Theme, parent: QGraphicsItem | None = None):
        super().__init__(parent)
        self.layer = layer
        self.source = source
        self.target = target
        self.removed = False
        self.value = 0.0
        self._theme = theme
        self._line = QLineF(p1, p2)
        self._pen = QPen(theme.outline, MIN_WIDTH)
        self._hover = False
        self._shape: QPainterPath | None = None  # made on the first hit test
        pad = MAX_WIDTH + 4
        x1, y1, x2, y2 = p1.x(), p1.y(), p2.x(), p2.y()
        left, top = min(x1, x2) - pad, min(y1, y2) - pad
        self._rect = QRectF(left, top, abs(x2 - x1) + 2 * pad, abs(y2 - y1) + 2 * pad)
        self.setFlag(_SELECTABLE)
        self.setAcceptHoverEvents(True)
        self.setCursor(_POINTING)

    def set_value(self, value: float, scale: float, removed: bool, tooltip: str,
                  max_width: float = MAX_WIDTH) -> None:
        """Show ``value`` against the layer's largest, ``scale``; at most ``max_width`` wide."""
        self.value = float(value)
        self.removed = bool(removed)
        if removed:
            colour = _mix(self._theme.background, self._theme.text, 0.3)
            self._pen = QPen(colour, 1.0, _DASH)
            self.setZValue(-0.5)
        else:
            colour, width = value_style(value, scale, self._theme, max_width)
            self._pen = QPen(colour, width)
            self._pen.setCapStyle(_FLAT)
            self.setZValue(0)
        self.setToolTip(tooltip)
        self.update()

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

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.isSelected() or self._hover:
            halo = QColor(self._theme.highlight)
            halo.setAlphaF(0.85 if self.isSelected() else 0.35)
            painter.setPen(QPen(halo, max(self._pen.widthF(), 1.0) + 5, Qt.PenStyle.SolidLine,
                                Qt.PenCapStyle.RoundCap))
            painter.drawLine(self._line)
        painter.setPen(self._pen)
        painter.drawLine(self._line)

    def hoverEnterEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._hover = True
        self.update()
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._hover = False
        self.update()
        super().hoverLeaveEvent(event)

    def __repr__(self) -> str:
        state = ", removed" if self.removed else ""
        return f"ConnectionItem(layer={self.layer}, {self.source} -> {self.target}{state})"


class BundleItem(QGraphicsPathItem):
    """The connections of weight layer ``layer`` that a compact column does not draw one by one:
    a faint band between the two columns."""

    def __init__(self, layer: int, path: QPainterPath, theme: Theme,
                 parent: QGraphicsItem | None = None):
        super().__init__(path, parent)
        self.layer = layer
        self.setBrush(_mix(theme.background, theme.text, 0.07))
        self.setPen(QPen(_mix(theme.background, theme.text, 0.12), 0.8))
        self.setZValue(-2)


class BlockItem(QGraphicsItem):
    """The frame of a compact column (a big layer): holds its count and the "more" gap."""

    def __init__(self, layer: int, rect: QRectF, theme: Theme,
                 parent: QGraphicsItem | None = None):
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

    def __init__(self, kind: str, layer: int, theme: Theme, size: tuple[float, float],
                 text: str = "", checked: bool = False, tooltip: str = "",
                 parent: QGraphicsItem | None = None):
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
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                             self.text)
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
            painter.drawText(rect.adjusted(box.width() + 11, 0, -4, 0),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.text)

    def _paint_glyph(self, painter: QPainter, rect: QRectF) -> None:
        c = rect.center()
        d = rect.width() * 0.22
        painter.setPen(QPen(self._theme.button_text, 1.7, Qt.PenStyle.SolidLine,
                            Qt.PenCapStyle.RoundCap))
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

    def __init__(self, layer: int, rect: QRectF, theme: Theme,
                 parent: QGraphicsItem | None = None):
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
