"""Pictures of the views as PNG or SVG files: the network, a plot, the decision boundary.

A :class:`Picture` is a size and a function that paints it; :func:`save_picture` paints it
into a PNG (at twice the logical size, so lines and text stay sharp on paper and on high-DPI
screens) or, through ``QSvgGenerator`` and ``QPainter``, into an SVG.  pyqtgraph's own
SVGExporter is not used: it crashes with current Qt (pyqtgraph issue 3485).  Files are written
atomically (``project.files.write_atomic``): a failed export leaves any old file whole.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QRectF, QSize, Qt
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QBrush,
    QColor,
    QFont,
    QImage,
    QPainter,
    QPalette,
    QRegion,
    QTextDocument,
)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView, QWidget

from simulator.project.files import ProjectError, write_atomic

IMAGE_EXTENSIONS = (".png", ".svg")
PNG_SCALE = 2.0  # device pixels per logical pixel in PNG exports
MARGIN = 16.0  # around the network in its picture
VIEW_MARGIN = 10.0  # around a plot: tick labels that overhang its edges stay whole
LEGEND_GAP = 12.0
CAPTION_PADDING = 8.0


@dataclass
class Picture:
    """``paint(painter)`` draws into the rectangle (0, 0, width, height), background included."""

    width: float
    height: float
    paint: Callable[[QPainter], None]
    title: str = ""
    background: QBrush | None = None  # what paint fills with, for pictures composed of it


def save_picture(picture: Picture, path: str | os.PathLike) -> None:
    """Changes the file ``path`` (atomically) to ``picture`` as PNG or SVG, by its extension.

    Raises ProjectError for another extension or a picture with no area; OSError if the file
    cannot be written.
    """
    ext = Path(path).suffix.lower()
    if ext not in IMAGE_EXTENSIONS:
        raise ProjectError(
            f"{path}: cannot save an image as {ext or 'a file without an extension'!r}; "
            f"use {' or '.join(IMAGE_EXTENSIONS)}"
        )
    if picture.width < 1 or picture.height < 1:
        raise ProjectError(f"{path}: there is nothing to draw (the view has no size)")
    data = _svg_bytes(picture) if ext == ".svg" else _png_bytes(picture)
    write_atomic(path, lambda f: f.write(data))


def _begin(painter: QPainter) -> None:
    painter.setRenderHints(
        QPainter.RenderHint.Antialiasing
        | QPainter.RenderHint.TextAntialiasing
        | QPainter.RenderHint.SmoothPixmapTransform
    )


def _png_bytes(picture: Picture) -> bytes:
    size = QSize(math.ceil(picture.width * PNG_SCALE), math.ceil(picture.height * PNG_SCALE))
    image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(PNG_SCALE)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    try:
        _begin(painter)
        picture.paint(painter)
    finally:
        painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise ProjectError("could not encode the PNG image")
    buffer.close()
    return bytes(data.data())


def _svg_bytes(picture: Picture) -> bytes:
    from PySide6.QtSvg import QSvgGenerator  # only for SVG exports: start-up stays fast

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    width, height = math.ceil(picture.width), math.ceil(picture.height)
    generator.setSize(QSize(width, height))
    generator.setViewBox(QRectF(0, 0, width, height))
    generator.setResolution(96)  # the size in mm then matches the pixels on a usual screen
    generator.setTitle(picture.title or "Backprop Lab")
    generator.setDescription("Exported from Backprop Lab")
    painter = QPainter(generator)
    try:
        _begin(painter)
        picture.paint(painter)
    finally:
        painter.end()
    buffer.close()
    return bytes(data.data())


def background_of(view: QGraphicsView) -> QBrush:
    """What ``view`` paints behind its scene (its palette's Base without a brush of its own)."""
    brush = view.backgroundBrush()
    if brush.style() == Qt.BrushStyle.NoBrush:
        return QBrush(view.palette().color(QPalette.ColorRole.Base))
    return brush


def view_picture(view: QGraphicsView, title: str = "", margin: float = VIEW_MARGIN) -> Picture:
    """What ``view`` shows now (a pyqtgraph plot, say), drawn from its scene: vector in SVG.

    ``margin`` more of the scene on every side, at the same scale: a tick label centred on the
    top tick reaches above the plot, and the picture keeps it whole.
    """
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    source = shown.adjusted(-margin, -margin, margin, margin)
    width, height = source.width(), source.height()
    background = background_of(view)

    def paint(painter: QPainter) -> None:
        target = QRectF(0, 0, width, height)
        painter.fillRect(target, background)
        # pyqtgraph's export mode: scatter symbols are drawn as shapes, not copied from a
        # pixmap atlas (which an SVG cannot hold and a 2x PNG would blur).
        items = [i for i in view.scene().items() if hasattr(i, "setExportMode")]
        options = {"antialias": True, "background": background.color(), "painter": painter}
        for item in items:
            item.setExportMode(True, options)
        try:
            view.scene().render(painter, target, source, Qt.AspectRatioMode.IgnoreAspectRatio)
        finally:
            for item in items:
                item.setExportMode(False)

    return Picture(width, height, paint, title, background)


def network_picture(
    view: QGraphicsView,
    legend: QWidget | None = None,
    hide: Callable[[QGraphicsItem], bool] = lambda item: False,
) -> Picture:
    """The whole network drawn on ``view``'s scene at scale 1 (however it is zoomed or
    scrolled), without the items ``hide`` picks (edit buttons), and ``legend`` under it."""
    scene = view.scene()
    hidden = [item for item in scene.items() if hide(item) and item.isVisible()]
    shown = [item for item in scene.items() if item.isVisible() and not _under(item, hide)]
    bounds = QRectF()
    for item in shown:
        bounds = bounds.united(item.sceneBoundingRect())
    legend_on = legend is not None and legend.isVisible() and legend.width() > 0
    legend_w = legend.width() if legend_on else 0
    legend_h = legend.height() if legend_on else 0
    # As on screen: a narrow legend stands in the bottom-left corner beside the network, a
    # wide one under it.
    beside = legend_on and legend_w <= 0.6 * bounds.width()
    if beside:
        net_x = MARGIN + legend_w + LEGEND_GAP
        width = net_x + bounds.width() + MARGIN
        height = max(bounds.height(), legend_h) + 2 * MARGIN
        legend_at = QPoint(round(MARGIN), round(height - MARGIN - legend_h))
    else:
        net_x = MARGIN
        width = max(bounds.width(), legend_w) + 2 * MARGIN
        height = bounds.height() + 2 * MARGIN + (legend_h + LEGEND_GAP if legend_on else 0)
        legend_at = QPoint(round(MARGIN), round(MARGIN + bounds.height() + LEGEND_GAP))
    background = background_of(view)

    def paint(painter: QPainter) -> None:
        painter.fillRect(QRectF(0, 0, width, height), background)
        target = QRectF(net_x, MARGIN, bounds.width(), bounds.height())
        for item in hidden:
            item.setVisible(False)
        try:
            scene.render(painter, target, bounds, Qt.AspectRatioMode.KeepAspectRatio)
        finally:
            for item in hidden:
                item.setVisible(True)
        if legend_on:
            painter.save()
            try:
                painter.translate(legend_at)
                legend.render(painter, QPoint(0, 0), QRegion(), QWidget.RenderFlag.DrawChildren)
            finally:
                painter.restore()

    return Picture(width, height, paint, "Network", background)


def _under(item: QGraphicsItem, hide: Callable[[QGraphicsItem], bool]) -> bool:
    while item is not None:
        if hide(item):
            return True
        item = item.parentItem()
    return False


def text_picture(
    html: str,
    font: QFont,
    colour: QColor,
    background: QBrush,
    width: float | None = None,
    title: str = "",
) -> Picture:
    """A caption: ``html`` (rich text, as a QLabel shows it) on one line, or wrapped to
    ``width``."""
    document = QTextDocument()
    document.setDefaultFont(font)
    document.setDocumentMargin(CAPTION_PADDING)
    document.setDefaultStyleSheet(f"body {{ color: {colour.name()}; }}")
    document.setHtml(f"<body>{html}</body>")
    if width is None:
        width = math.ceil(document.idealWidth() + 2 * CAPTION_PADDING)
    document.setTextWidth(width)
    height = math.ceil(document.size().height())

    def paint(painter: QPainter) -> None:
        painter.fillRect(QRectF(0, 0, width, height), background)
        context = QAbstractTextDocumentLayout.PaintContext()
        context.palette.setColor(QPalette.ColorRole.Text, colour)
        document.documentLayout().draw(painter, context)

    return Picture(width, height, paint, title, background)
