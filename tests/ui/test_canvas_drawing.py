"""How the canvas draws its items fast: each layer's connections in one batch, each neuron's face
and rim from a cache of pixmaps.  The pictures must be the ones the items drew themselves."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem

from simulator.app.document import Document
from simulator.ui import appearance
from simulator.ui import canvas_items as items_module
from simulator.ui.canvas import NetworkCanvas
from simulator.ui.canvas_items import ConnectionItem
from tests.ui.test_canvas import point_on


@pytest.fixture
def shown(qtbot):
    """A function that shows a canvas on a document (default: a fresh one)."""

    def show(doc: Document | None = None) -> NetworkCanvas:
        canvas = NetworkCanvas(doc or Document())
        qtbot.addWidget(canvas)
        canvas.resize(900, 600)
        canvas.show()
        qtbot.waitExposed(canvas)
        return canvas

    return show


class PaintedRegions(QObject):
    """The regions of the paint events a widget receives."""

    def __init__(self, widget):
        super().__init__()
        self.regions = []
        widget.installEventFilter(self)

    def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint:
            self.regions.append(event.region())
        return False

    def covered(self, rect) -> bool:
        return any(region.intersects(rect) for region in self.regions)


def on_viewport(canvas, item: ConnectionItem):
    """The viewport rectangle of the middle of ``item``'s line."""
    line = item.line()
    middle = canvas.mapFromScene(item.mapToScene(line.center()))
    return QRectF(middle.x() - 2, middle.y() - 2, 4, 4).toRect()


def picture(canvas, scale: float, ratio: float) -> np.ndarray:
    """The whole scene drawn at ``scale`` on a device of pixel ratio ``ratio``, as RGB."""
    source = canvas.scene().sceneRect()
    width, height = round(source.width() * scale), round(source.height() * scale)
    image = QImage(round(width * ratio), round(height * ratio), QImage.Format.Format_RGB32)
    image.setDevicePixelRatio(ratio)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
    canvas.scene().render(painter, QRectF(0, 0, width, height), source)
    painter.end()
    bits = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    return bits.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, : image.width(), :3].copy()


def test_every_connection_is_drawn_by_its_layers_batch(shown):
    canvas = shown()
    connections = canvas.connection_items()
    assert connections
    batches = {item.batch() for item in connections}
    assert None not in batches and len(batches) == len(canvas.document.network.layers)
    for item in connections:  # the item itself draws nothing, the batch does
        assert item.flags() & QGraphicsItem.GraphicsItemFlag.ItemHasNoContents
    canvas.document.add_neuron(1)  # a rebuild: new items, new batches
    assert all(item.batch() is not None for item in canvas.connection_items())
    assert not batches & {item.batch() for item in canvas.connection_items()}


def test_selecting_a_connection_repaints_it_with_its_band(qtbot, shown):
    canvas = shown()
    item = canvas.connection_item(0, 1, 3)
    plain = picture(canvas, 1.0, 1.0)
    painted = PaintedRegions(canvas.viewport())
    item.setSelected(True)
    # The batch asked for its part of the view to be painted again (the item cannot: it has
    # no contents of its own), and draws the band.
    qtbot.waitUntil(lambda: painted.covered(on_viewport(canvas, item)))
    selected = picture(canvas, 1.0, 1.0)
    assert (selected != plain).any()
    painted.regions.clear()
    item.setSelected(False)
    qtbot.waitUntil(lambda: painted.covered(on_viewport(canvas, item)))
    assert (picture(canvas, 1.0, 1.0) == plain).all()


def test_hovering_a_connection_lights_it_and_writes_its_tooltip(qtbot, shown):
    canvas = shown()
    item = canvas.connection_item(0, 0, 2)
    assert QGraphicsItem.toolTip(item) == ""  # written only when wanted
    assert item.toolTip().startswith("w = ")  # … which reading it is
    plain = picture(canvas, 1.0, 1.0)
    painted = PaintedRegions(canvas.viewport())
    qtbot.mouseMove(canvas.viewport(), point_on(canvas, item))
    qtbot.waitUntil(lambda: QGraphicsItem.toolTip(item) == item.toolTip())
    qtbot.waitUntil(lambda: painted.covered(on_viewport(canvas, item)))
    assert (picture(canvas, 1.0, 1.0) != plain).any()
    assert item.cursor().shape() == Qt.CursorShape.PointingHandCursor
    # A new value while the mouse is on it: the tooltip Qt would show follows.
    canvas.document.set_weight(0, 0, 2, 0.125)
    assert QGraphicsItem.toolTip(item).startswith("w = 0.125")


@pytest.mark.parametrize("look", ["light", "dark"])
@pytest.mark.parametrize(("scale", "ratio"), [(1.0, 1.0), (1.0, 2.0), (2.0, 1.0), (1.5, 2.0)])
def test_neurons_from_the_pixmap_cache_look_as_drawn(shown, monkeypatch, look, scale, ratio):
    # At 200 % (ratio 2) and zoomed in, the cached faces are made at the device's resolution:
    # as crisp as the ellipses, never a small picture stretched.
    appearance.apply(look)
    doc = Document()
    doc.set_use_bias(0, False)  # the hidden layer's rims dashed
    canvas = shown(doc)
    canvas.neuron_item(1, 2).setSelected(True)  # the selection ring
    canvas.neuron_item(1, 4).set_mark(QColor("#9b30d9"))
    monkeypatch.setattr(items_module, "CACHE_BODIES", False)
    drawn = picture(canvas, scale, ratio).astype(int)
    monkeypatch.setattr(items_module, "CACHE_BODIES", True)
    cached = picture(canvas, scale, ratio).astype(int)
    difference = np.abs(drawn - cached).max(axis=2)
    # Only the rounding of antialiased edges may differ, never a blurred, blocky or shifted
    # rim.
    origin = canvas.scene().sceneRect().topLeft()
    for item in canvas.neuron_items():
        box = item.mapRectToScene(QRectF(-17, -17, 34, 34)).translated(-origin)
        y0, x0 = (round(v * scale * ratio) for v in (box.top(), box.left()))
        y1, x1 = (round(v * scale * ratio) for v in (box.bottom(), box.right()))
        # (Made at the wrong scale, or copied half a pixel off, a face differed by 7-12.)
        assert difference[y0:y1, x0:x1].mean() < 3.5, item
    if look == "dark":
        face = (
            canvas.neuron_item(0, 0).sceneBoundingRect().center()
            - canvas.scene().sceneRect().topLeft()
        )
        y, x = round(face.y() * scale * ratio), round(face.x() * scale * ratio)
        assert cached[y, x].max() < 128  # the dark palette's face, not a light one
