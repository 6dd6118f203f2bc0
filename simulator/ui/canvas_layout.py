"""The canvas's scene layout: where columns, neurons, connections and headers go, and the items
built there for one network structure, found by key by the rest of the canvas.

Big layers (more than ``MAX_FULL_COLUMN`` neurons) are drawn as a compact block: a few
representative neurons, the rest counted, their connections bundled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainterPath
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem, QGraphicsScene

from simulator.app.document import Document
from simulator.engine.activations import ACTIVATIONS
from simulator.ui.canvas_items import (
    BUTTON_SIZE,
    MAP_GAP,
    MAP_SIZE,
    MAX_WIDTH,
    RADIUS,
    BlockItem,
    BundleItem,
    ButtonItem,
    ConnectionItem,
    LabelItem,
    LayerHeaderItem,
    NeuronItem,
    Theme,
    text_width,
)

MAX_FULL_COLUMN = 16  # a column with more neurons is drawn compactly
HEAD, TAIL = 3, 2  # representative neurons of a compact column: the first 3 and the last 2
COLUMN_SPACING = 190.0
ROW_SPACING = 40.0
GAP_ROWS = 1.6  # height of the "… more" gap of a compact column, in rows
HEADER_HEIGHT = 112.0
HEADER_GAP = 26.0  # between a header and the tallest column
PLAIN_FAN = 8  # between columns of more drawn neurons than this, the widest line is thinner


@dataclass(frozen=True)
class SelectedNeuron:
    """What ``selection_changed`` reports for a neuron: column ``layer``, ``index``, ``name``."""

    layer: int
    index: int
    name: str


@dataclass(frozen=True)
class SelectedConnection:
    """What ``selection_changed`` reports for a connection of weight layer ``layer``."""

    layer: int
    source: int
    target: int
    name: str


def visible_indices(size: int) -> list[int]:
    """The neurons a column draws: all of them, or the representatives of a big one."""
    if size <= MAX_FULL_COLUMN:
        return list(range(size))
    return [*range(HEAD), *range(size - TAIL, size)]


@dataclass
class Column:
    """Where column ``k`` (``size`` neurons) is drawn: its x, the y of each drawn neuron."""

    k: int
    x: float
    size: int
    shown: list[int]  # neuron indices drawn
    ys: dict[int, float]  # neuron index -> y
    top: float
    bottom: float

    @property
    def compact(self) -> bool:
        return self.size > MAX_FULL_COLUMN


def _row_offsets(size: int) -> list[float]:
    # Where a column's drawn neurons sit, in rows: one per neuron, or a gap in a compact one.
    if size <= MAX_FULL_COLUMN:
        return [float(j) for j in range(size)]
    return [float(j) for j in range(HEAD)] + [HEAD + GAP_ROWS + j for j in range(TAIL)]


def rows_high(sizes) -> float:
    """How many row spacings the tallest column of a network of ``sizes`` spans."""
    return max((_row_offsets(size)[-1] for size in sizes if size > 0), default=0.0)


def layout(sizes: list[int], row_spacing: float = ROW_SPACING) -> list[Column]:
    """The columns of a network of ``sizes``, left to right, centred on y = 0, their neurons
    ``row_spacing`` apart."""
    columns = []
    for k, size in enumerate(sizes):
        shown = visible_indices(size)
        offsets = _row_offsets(size)
        height = offsets[-1] * row_spacing
        ys = {j: off * row_spacing - height / 2 for j, off in zip(shown, offsets)}
        pad = RADIUS + (14 if size > MAX_FULL_COLUMN else 0)
        columns.append(
            Column(k, k * COLUMN_SPACING, size, shown, ys, -height / 2 - pad, height / 2 + pad)
        )
    return columns


def column_labels(document: Document, k: int, size: int) -> list[str]:
    """The names of column ``k``'s neurons: the data's labels for the inputs and outputs (or
    x1…, y1… without them), h{k}_{j+1} for a hidden layer."""
    net = document.network
    last = len(net.sizes) - 1
    if k in (0, last):
        try:
            data = document.data
            labels = data.input_labels if k == 0 else data.output_labels
        except ValueError:
            labels = []
        if len(labels) == size:
            return list(labels)
        prefix = "x" if k == 0 else "y"
        return [f"{prefix}{j + 1}" for j in range(size)]
    return _hidden_names(k, size)


def _hidden_names(k: int, size: int) -> list[str]:
    return [f"h{k}_{j + 1}" for j in range(size)]


@dataclass(frozen=True)
class Structure:
    """What the scene's items depend on: a change of any of it rebuilds the scene, a change of
    anything else (weights, biases, masks) only restyles the items."""

    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    biases: tuple[bool, ...]  # per weight layer: use_bias
    input_labels: tuple[str, ...]
    output_labels: tuple[str, ...]
    maps: bool  # the neurons have map slots (2-D data, attached to a controller)

    @classmethod
    def of(cls, document: Document, maps: bool) -> Structure:
        """The structure of ``document``'s network as drawn now (``maps``: with map slots)."""
        net = document.network
        return cls(
            tuple(net.sizes),
            tuple(net.activations),
            tuple(layer.use_bias for layer in net.layers),
            tuple(column_labels(document, 0, net.sizes[0])),
            tuple(column_labels(document, len(net.sizes) - 1, net.sizes[-1])),
            maps,
        )

    def labels(self) -> dict[int, list[str]]:
        """Every column's neuron names (column k -> one name per neuron)."""
        last = len(self.sizes) - 1
        labels = {k: _hidden_names(k, n) for k, n in enumerate(self.sizes)}
        labels[0], labels[last] = list(self.input_labels), list(self.output_labels)
        return labels


class SceneItems:
    """Builds the items of one network structure into ``scene`` (columns of neurons, their
    connections, compact blocks and bundles, layer headers and their buttons) and keeps them by
    key.  A header button's click calls ``on_button(kind, k, button)``; the neurons built call
    ``on_hover(item or None)`` (both set by the owner, like NeuronItem.on_hover)."""

    def __init__(self, scene: QGraphicsScene):
        self._scene = scene
        self.on_button: Callable[[str, int, ButtonItem], None] = lambda kind, k, button: None
        self.on_hover: Callable[[NeuronItem | None], None] = lambda item: None
        self._theme: Theme | None = None
        self.root: QGraphicsItem | None = None
        self._retired: QGraphicsItem | None = None  # the last scene, kept alive one rebuild
        self.structure: Structure | None = None  # what the items were built for
        self.labels: dict[int, list[str]] = {}  # column k -> its neurons' names
        self.neurons: dict[tuple[int, int], NeuronItem] = {}  # (k, j)
        self.connections: dict[tuple[int, int, int], ConnectionItem] = {}  # (i, r, c)
        self.headers: dict[int, LayerHeaderItem] = {}
        self.buttons: dict[tuple[str, int], ButtonItem] = {}  # (kind, k)
        self.column_items: list[list[NeuronItem]] = []  # per column, the drawn neurons
        self.layer_items: list[list[ConnectionItem]] = []  # per weight layer, drawn ones
        self.layer_names: list[list[str]] = []
        self.layer_index: list[tuple[np.ndarray, np.ndarray]] = []  # their (rows, columns)
        self.widths: list[float] = []  # per weight layer: the widest pen
        self.row_spacing = ROW_SPACING  # between two drawn neurons of a column

    @property
    def sizes(self) -> tuple:
        """The layer sizes the items draw (empty before the first build)."""
        return self.structure.sizes if self.structure is not None else ()

    @property
    def maps(self) -> bool:
        """The neurons have map slots."""
        return self.structure is not None and self.structure.maps

    @property
    def out(self) -> float:
        """Where a neuron's connections leave it: the circle's edge, or its map's."""
        return RADIUS + (MAP_GAP + MAP_SIZE if self.maps else 0.0)

    def build(
        self, network, structure: Structure, theme: Theme, row_spacing: float = ROW_SPACING
    ) -> None:
        """Replace every item by the items of ``network`` (of ``structure``) in ``theme``, its
        neurons ``row_spacing`` apart."""
        if self.root is not None:
            # Kept alive until the next rebuild: a button's own click may be running.
            self._scene.removeItem(self.root)
            self._retired = self.root
        self.root = QGraphicsRectItem()
        self.root.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self._scene.addItem(self.root)
        self.neurons.clear()
        self.connections.clear()
        self.headers.clear()
        self.buttons.clear()
        self._theme = theme
        self.structure = structure
        self.labels = structure.labels()
        self.row_spacing = row_spacing
        columns = layout(network.sizes, row_spacing)
        self._build_columns(network, columns)
        self._build_connections(columns)
        self._build_headers(network, columns)
        rect = self.root.childrenBoundingRect()
        self._scene.setSceneRect(rect.adjusted(-30, -24, 30, 30))
        self.widths = []
        for i in range(len(network.layers)):
            fan = max(
                len(visible_indices(network.sizes[i])), len(visible_indices(network.sizes[i + 1]))
            )
            # dense meshes stay legible
            self.widths.append(MAX_WIDTH * min(1.0, PLAIN_FAN / fan) ** 0.8)

    def connection_name(self, i: int, r: int, c: int) -> str:
        """The name "source → target" of connection r -> c of weight layer ``i``."""
        return f"{self.labels[i][r]} → {self.labels[i + 1][c]}"

    def key_of(self, item: QGraphicsItem) -> SelectedNeuron | SelectedConnection | None:
        """What selecting ``item`` selects (None: it is not selectable)."""
        if isinstance(item, NeuronItem):
            return SelectedNeuron(item.layer, item.index, item.name)
        if isinstance(item, ConnectionItem):
            name = self.connection_name(item.layer, item.source, item.target)
            return SelectedConnection(item.layer, item.source, item.target, name)
        return None

    def select(self, key: SelectedNeuron | SelectedConnection | None) -> None:
        """Select the item of ``key`` again (after a rebuild), if it is still drawn."""
        if isinstance(key, SelectedNeuron):
            item = self.neurons.get((key.layer, key.index))
        elif isinstance(key, SelectedConnection):
            item = self.connections.get((key.layer, key.source, key.target))
        else:
            item = None
        if item is not None:
            item.setSelected(True)

    def bundles(self) -> list[BundleItem]:
        """The bundles standing for the connections of compact columns."""
        if self.root is None:
            return []
        return [item for item in self.root.childItems() if isinstance(item, BundleItem)]

    # ----------------------------------------------------------------- building
    def _build_columns(self, network, columns: list[Column]) -> None:
        theme = self._theme
        last = len(columns) - 1
        self.column_items = []
        for col in columns:
            k = col.k
            kind = "input" if k == 0 else "output" if k == last else "hidden"
            labels = self.labels[k]
            has_bias = k > 0 and network.layers[k - 1].use_bias
            items = []
            for j in col.shown:
                item = NeuronItem(
                    k,
                    j,
                    labels[j],
                    kind,
                    QPointF(col.x, col.ys[j]),
                    theme,
                    self.root,
                    has_bias=has_bias,
                    map_slot=self.maps,
                )
                item.on_hover = self.on_hover
                self.neurons[(k, j)] = item
                items.append(item)
                if kind == "input":
                    LabelItem(labels[j], theme.font, theme.text, item).place(
                        -RADIUS - 7, 0, Qt.AlignmentFlag.AlignRight
                    )
                elif kind == "output":
                    LabelItem(labels[j], theme.font, theme.text, item).place(
                        self.out + 7, 0, Qt.AlignmentFlag.AlignLeft
                    )
            self.column_items.append(items)
            if col.compact:
                self._build_block(col, kind)

    def _build_block(self, col: Column, kind: str) -> None:
        theme = self._theme
        half = RADIUS + 17
        right = self.out + 10 if self.maps else half
        block = BlockItem(
            col.k,
            QRectF(col.x - half, col.top, half + right, col.bottom - col.top),
            theme,
            self.root,
        )
        noun = {"input": "inputs", "output": "outputs", "hidden": "neurons"}[kind]
        count = LabelItem(f"{col.size:,} {noun}", theme.font, theme.text, block)
        count.place(col.x, col.bottom + 12, Qt.AlignmentFlag.AlignHCenter)
        gap_y = (col.ys[col.shown[HEAD - 1]] + col.ys[col.shown[HEAD]]) / 2
        hidden = col.size - len(col.shown)
        dots = LabelItem("⋮", theme.title_font, theme.muted, block)
        dots.place(col.x, gap_y - 6, Qt.AlignmentFlag.AlignHCenter)
        more = LabelItem(f"{hidden:,} more", theme.small_font, theme.muted, block)
        more.place(col.x, gap_y + 9, Qt.AlignmentFlag.AlignHCenter)
        block.setToolTip(f"{col.size:,} {noun}: {len(col.shown)} drawn, {hidden:,} summarised")

    def _build_connections(self, columns: list[Column]) -> None:
        theme = self._theme
        self.layer_items, self.layer_names, self.layer_index = [], [], []
        for i in range(len(columns) - 1):
            src, dst = columns[i], columns[i + 1]
            if src.compact or dst.compact:
                self._build_bundle(i, src, dst)
            items, names = [], []
            for r in src.shown:
                p1 = QPointF(src.x + self.out, src.ys[r])
                for c in dst.shown:
                    p2 = QPointF(dst.x - RADIUS, dst.ys[c])
                    item = ConnectionItem(i, r, c, p1, p2, theme, self.root)
                    self.connections[(i, r, c)] = item
                    items.append(item)
                    names.append(self.connection_name(i, r, c))
            self.layer_items.append(items)
            self.layer_names.append(names)
            self.layer_index.append(
                (
                    np.array([it.source for it in items], dtype=np.intp),
                    np.array([it.target for it in items], dtype=np.intp),
                )
            )

    def _build_bundle(self, i: int, src: Column, dst: Column) -> None:
        def span(col: Column) -> tuple[float, float]:
            if col.compact:
                return col.top + 6, col.bottom - 6
            return col.ys[col.shown[0]], col.ys[col.shown[-1]]

        x1, x2 = src.x + (self.out + 10 if self.maps else RADIUS + 17), dst.x - RADIUS - 17
        (a1, b1), (a2, b2) = span(src), span(dst)
        path = QPainterPath(QPointF(x1, a1))
        path.cubicTo(QPointF((x1 + x2) / 2, a1), QPointF((x1 + x2) / 2, a2), QPointF(x2, a2))
        path.lineTo(x2, b2)
        path.cubicTo(QPointF((x1 + x2) / 2, b2), QPointF((x1 + x2) / 2, b1), QPointF(x1, b1))
        path.closeSubpath()
        BundleItem(i, path, self._theme, self.root)

    def _build_headers(self, network, columns: list[Column]) -> None:
        theme = self._theme
        last = len(columns) - 1
        top = min(col.top for col in columns) - HEADER_GAP - HEADER_HEIGHT
        w = LayerHeaderItem.WIDTH
        for col in columns:
            k = col.k
            rect = QRectF(col.x - w / 2, top, w, HEADER_HEIGHT)
            header = LayerHeaderItem(k, rect, theme, self.root)
            self.headers[k] = header
            if k == 0:
                title, noun = "Input", "input"
            elif k == last:
                title, noun = "Output", "output"
            else:
                title, noun = f"Hidden {k}", "neuron"
            header.add_text(title, theme.title_font, theme.text, top + 15)
            count = f"{col.size:,} {noun}{'' if col.size == 1 else 's'}"
            y_count = top + HEADER_HEIGHT - 16
            # The +/- buttons sit at fixed places, so quick clicks keep hitting them.
            room = w - 2 * (BUTTON_SIZE + 10)
            font = theme.font if text_width(count, theme.font) <= room else theme.small_font
            header.add_text(count, font, theme.muted, y_count)
            if k == 0:
                header.add_text("follows the data", theme.small_font, theme.muted, top + 36)
            else:
                layer = network.layers[k - 1]
                act = ButtonItem(
                    "activation",
                    k,
                    theme,
                    (w - 16, 22),
                    text=ACTIVATIONS[layer.activation].title,
                    tooltip="Activation of this layer (click to change)",
                )
                self._add_button(header, act, rect.left() + 8, top + 28, k)
                bias = ButtonItem(
                    "bias",
                    k,
                    theme,
                    (62, 20),
                    text="bias",
                    checked=layer.use_bias,
                    tooltip="Bias on/off for this layer's neurons",
                )
                self._add_button(header, bias, col.x - 31, top + 56, k)
            if 0 < k < last:
                s = BUTTON_SIZE
                self._add_button(
                    header,
                    ButtonItem(
                        "remove_neuron", k, theme, (s, s), tooltip="Remove a neuron (the last)"
                    ),
                    rect.left() + 6,
                    y_count - s / 2,
                    k,
                )
                self._add_button(
                    header,
                    ButtonItem("add_neuron", k, theme, (s, s), tooltip="Add a neuron"),
                    rect.right() - 6 - s,
                    y_count - s / 2,
                    k,
                )
                self._add_button(
                    header,
                    ButtonItem(
                        "remove_layer", k, theme, (s - 2, s - 2), tooltip="Remove this layer"
                    ),
                    rect.right() - s - 3,
                    top + 5,
                    k,
                )
        # "+" between every two columns: insert a hidden layer there.
        for k in range(1, len(columns)):
            x = (columns[k - 1].x + columns[k].x) / 2
            s = BUTTON_SIZE + 2
            add = ButtonItem("add_layer", k, theme, (s, s), tooltip="Insert a hidden layer here")
            add.setParentItem(self.root)
            add.setPos(x - s / 2, top + 15 - s / 2)
            self._connect_button(add, k)

    def _add_button(
        self, header: LayerHeaderItem, button: ButtonItem, x: float, y: float, k: int
    ) -> None:
        header.add_button(button, x, y)
        self._connect_button(button, k)

    def _connect_button(self, button: ButtonItem, k: int) -> None:
        self.buttons[(button.kind, k)] = button
        button.clicked.connect(lambda: self.on_button(button.kind, k, button))
