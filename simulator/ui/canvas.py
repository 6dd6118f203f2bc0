"""The network canvas: the open document's network drawn as columns of neurons, edited by clicks.

The canvas only listens to the Document's signals and edits through its methods (every edit an
undoable command); an edit the document refuses (ValueError) becomes an inline notice and a
``message`` signal, never a dialog.  Values (weights, biases) are restyled in place; a change of
structure rebuilds the scene.  Big layers (more than ``MAX_FULL_COLUMN`` neurons) are drawn as a
compact block: a few representative neurons, the rest counted, their connections bundled.

Attached to a TrainingController (:meth:`NetworkCanvas.attach`), the canvas draws its snapshots:
the phase that just ran (forward: activations flowing left to right; backward: dL/dw and
δ = dL/dz flowing right to left; update: Δw, then the new weights), or while playing the
weights or the gradients (:meth:`NetworkCanvas.set_mode`).  Each snapshot only restyles the
existing items; on 2-D data every drawn neuron also shows its output over the input plane.
A legend in the corner always says what colour and thickness mean.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import (
    QEasingCurve,
    QEvent,
    QPoint,
    QSettings,
    Qt,
    QTimer,
    QVariantAnimation,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QKeySequence, QPainter, QTransform
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsView,
    QInputDialog,
    QLabel,
    QMenu,
    QWidget,
)

from simulator.app.document import Document
from simulator.engine.activations import ACTIVATIONS
from simulator.ui.canvas_items import (
    PEN_LEVELS,
    BlockItem,
    BundleItem,
    ButtonItem,
    CanvasLegend,
    ConnectionItem,
    LayerHeaderItem,
    NeuronItem,
    Theme,
    map_images,
    map_lut,
    pen_levels,
)
from simulator.ui.canvas_layout import (
    MAX_FULL_COLUMN,
    SceneItems,
    SelectedConnection,
    SelectedNeuron,
    Structure,
    visible_indices,
)

__all__ = [
    "BlockItem",
    "ButtonItem",
    "CanvasLegend",
    "ConnectionItem",
    "MAX_FULL_COLUMN",
    "LayerHeaderItem",
    "NetworkCanvas",
    "NeuronItem",
    "SelectedConnection",
    "SelectedNeuron",
    "ask_number",
    "visible_indices",
]

MAX_FIT_SCALE = 1.25  # fitting never blows a small network up beyond this
REFIT_GROWTH = 1.3  # an edit that leaves this much room zooms the view back in
MIN_SCALE, MAX_SCALE = 0.05, 6.0
NOTICE_MS = 6000
MODES = ("weights", "gradients")  # what the connections show while playing
FORWARD_MS = 600  # the forward pass's wave, input column to output column
BACKWARD_MS = 600  # the backward pass's wave, output column back to the inputs
SETTLE_MS = 700  # after an update: Δw is shown this long, then the new weights
LEGEND_MARGIN = 10
_SETTINGS_LEGEND = "canvas/legend_collapsed"
MARK_COLOUR = "#9b30d9"  # marks point at items (lessons, the gradient check): not a value colour
LEGEND_BESIDE_RATIO = 1.6  # viewport width/height from which the legend sits beside
LEGEND_BESIDE_WIDTH = 300.0  # the legend's width there (its rows wrap)
# Bounded activations colour their maps on a fixed range; the others by the column's largest.
_MAP_RANGE = {"sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0), "tanh": (-1.0, 1.0)}


def ask_number(parent: QWidget | None, title: str, label: str, value: float) -> float | None:
    """Ask the user for a number (None if cancelled).  Tests replace this function."""
    number, ok = QInputDialog.getDouble(parent, title, label, value, -1e9, 1e9, 6)
    return number if ok else None


@dataclass
class _Display:
    """What the items show: one value per connection and per neuron, and what they mean.

    ``edges[i]`` (fan_in, fan_out) for weight layer i, drawn against ``edge_scales[i]``;
    ``nodes[k]`` (size,) for column k or None (a plain face).  ``stages`` orders an animated
    display: each stage restyles weight layer ``layer`` (None: none) and fills column ``column``.
    """

    kind: str  # "weights", "forward", "backward", "update", "gradients", "values"
    edges: list
    edge_label: str  # "w", "dL/dw", "Δw"
    edge_scales: list
    nodes: list
    node_label: str  # "b", "a", "δ", "Δb"
    node_scales: list
    stages: list = dataclasses.field(default_factory=list)
    title: str = ""


def _finite_max(values: np.ndarray) -> float:
    """max |values| over the finite entries (0 if none)."""
    a = np.abs(values)
    a = a[np.isfinite(a)]
    return float(a.max()) if a.size else 0.0


def _menu_adder(menu: QMenu, actions: dict) -> Callable[..., QAction]:
    """``add(text, handler, enabled=True)``: a menu entry whose handler runs when chosen."""

    def add(text: str, handler: Callable, enabled: bool = True) -> QAction:
        action = menu.addAction(text)
        action.setEnabled(enabled)
        actions[action] = handler
        return action

    return add


class NetworkCanvas(QGraphicsView):
    """Draws ``document``'s network and edits it by clicks, menus and keys; once attached to a
    TrainingController, draws its snapshots (phases, weights or gradients, per-neuron maps)."""

    message = Signal(str)  # an edit was refused: the reason, for the status bar
    selection_changed = Signal(object)  # SelectedNeuron | SelectedConnection | None
    mode_changed = Signal(str)  # "weights" | "gradients": what connections show while playing
    neuron_hovered = Signal(object)  # (column, index) of the neuron under the mouse, or None

    def __init__(self, document: Document, parent: QWidget | None = None):
        super().__init__(parent)
        self._doc = document
        self._scene = QGraphicsScene(self)
        self.setScene(self._scene)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        # Headers at the top: a network that grows downwards leaves them where they are.
        self.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)

        self._items = SceneItems(self._scene, self._on_button, self._on_neuron_hovered)
        self._theme: Theme | None = None
        self._rebuilding = False
        self._selection: SelectedNeuron | SelectedConnection | None = None
        self._selection_key: SelectedNeuron | SelectedConnection | None = None  # to restore
        self._display: list[np.ndarray] | None = None
        self._display_label = "w"
        self._user_zoomed = False
        self._press_item: QGraphicsItem | None = None
        # Training: the controller, the last snapshot drawn and what the items show now.
        self._controller = None
        self._mode = "weights"
        self._snapshot = None
        self._pause_pending = False  # the controller paused: its next snapshot shows the mode
        self._after_play = False  # the snapshot drawn came while playing, or with the pause
        self._shown: _Display | None = None
        self._lut: np.ndarray | None = None
        self._pens: dict[float, tuple] = {}  # widest pen -> pen_levels(), for this theme
        self._hovered: tuple[int, int] | None = None
        self._wave: _Display | None = None  # the animated display and how far it got
        self._wave_done = 0
        self._glowing: list = []
        self._marks: dict[str, tuple[list, list, QColor]] = {}
        self._wave_anim = QVariantAnimation(self)
        self._wave_anim.setStartValue(0.0)
        self._wave_anim.setEasingCurve(QEasingCurve.Type.Linear)
        self._wave_anim.valueChanged.connect(self._on_wave_value)
        self._wave_anim.finished.connect(self._finish_wave)
        self._settle_timer = QTimer(self)
        self._settle_timer.setSingleShot(True)
        self._settle_timer.setInterval(SETTLE_MS)
        self._settle_timer.timeout.connect(self._on_settle)
        self._refresh_timer = QTimer(self)  # after a rebuild: ask the controller for a snapshot
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self._on_refresh)
        self.legend = CanvasLegend(Theme.from_widget(self), self.viewport())
        self.legend.set_collapsed(QSettings().value(_SETTINGS_LEGEND, False, type=bool))
        self.legend.collapsed_changed.connect(self._on_legend_collapsed)

        self.notice = QLabel(self.viewport())
        self.notice.setObjectName("canvasNotice")
        self.notice.setWordWrap(True)
        self.notice.setMargin(8)
        self.notice.hide()
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.setInterval(NOTICE_MS)
        self._notice_timer.timeout.connect(self.notice.hide)

        self._scene.selectionChanged.connect(self._on_scene_selection_changed)
        document.network_changed.connect(self._on_network_changed)
        document.data_changed.connect(self._on_data_changed)
        document.project_replaced.connect(self._on_project_replaced)
        self._style_notice()
        self._rebuild()

    # ----------------------------------------------------------------- public
    @property
    def document(self) -> Document:
        return self._doc

    def neuron_item(self, k: int, index: int) -> NeuronItem | None:
        """The item of neuron ``index`` of column ``k`` (None if that neuron is not drawn)."""
        return self._items.neurons.get((k, index))

    def connection_item(self, i: int, r: int, c: int) -> ConnectionItem | None:
        """The item of connection r -> c of weight layer ``i`` (None if not drawn)."""
        return self._items.connections.get((i, r, c))

    def header_item(self, k: int) -> LayerHeaderItem | None:
        return self._items.headers.get(k)

    def button(self, kind: str, k: int) -> ButtonItem | None:
        """A header button: "add_neuron", "remove_neuron", "remove_layer", "bias",
        "activation" of column ``k``; or "add_layer" ``k``: inserts a layer as column ``k``."""
        return self._items.buttons.get((kind, k))

    def neuron_items(self) -> list[NeuronItem]:
        return list(self._items.neurons.values())

    def connection_items(self) -> list[ConnectionItem]:
        return list(self._items.connections.values())

    def item_at(self, pos: QPoint) -> QGraphicsItem | None:
        """The canvas item (neuron, connection, button, header, block, bundle) under the
        viewport position ``pos``, or None over empty canvas."""
        for item in self.items(pos):
            while item is not None:
                if isinstance(
                    item,
                    (
                        NeuronItem,
                        ConnectionItem,
                        ButtonItem,
                        LayerHeaderItem,
                        BlockItem,
                        BundleItem,
                    ),
                ):
                    return item
                item = item.parentItem()
        return None

    def selection(self) -> SelectedNeuron | SelectedConnection | None:
        return self._selection

    def fit(self) -> None:
        """Fit the whole network into the view (Ctrl+0); later edits keep it fitted."""
        self._user_zoomed = False
        scale = self._fitting_scale()
        if scale is not None:
            self.setTransform(QTransform.fromScale(scale, scale))
            self._place_beside_legend(scale)
            self.centerOn(self.sceneRect().center())

    def _legend_beside(self) -> bool:
        # A wide, short canvas (the default window) puts the network beside a narrow legend,
        # a taller one above a wide legend.  This depends on the view's shape only, never on
        # the network, so an edit never moves the network (and a button) sideways.
        # A folded legend is one line: under the network it costs the least room.
        view = self.viewport().rect()
        if self.legend.collapsed:
            return False
        return view.width() >= LEGEND_BESIDE_RATIO * view.height() and view.width() >= 600

    def _size_legend(self) -> None:
        # Beside the network: a steady, narrow legend.  Under it: as wide as the view allows.
        if self._legend_beside():
            self.legend.set_max_width(LEGEND_BESIDE_WIDTH)
        else:
            self.legend.set_max_width(self.viewport().width() - 2 * LEGEND_MARGIN, fixed=False)

    def _on_legend_collapsed(self, collapsed: bool) -> None:
        QSettings().setValue(_SETTINGS_LEGEND, collapsed)
        self._size_legend()
        self._place_overlays()
        if self._user_zoomed:
            self._keep_fitted()
        else:
            self.fit()

    def _fitting_scale(self) -> float | None:
        rect = self._scene.sceneRect()
        view = self.viewport().rect()
        # The legend sits in the bottom-left corner: the fitted network stays clear of it.
        width, height = view.width(), view.height()
        if self._legend_beside():
            width -= self.legend.width() + LEGEND_MARGIN
        else:
            height -= self.legend.height() + LEGEND_MARGIN
        if rect.isEmpty() or width < 2 or height < 2:
            return None
        # A hair under the exact fit, so rounding never brings up the scroll bars.
        fitting = min(width / rect.width(), height / rect.height()) * 0.995
        return min(fitting, MAX_FIT_SCALE)

    def _place_beside_legend(self, scale: float) -> None:
        # Beside the legend: the view's scene rect reaches left by the legend's width, so the
        # centred network sits in the part of the view right of the legend.
        rect = self._scene.sceneRect()
        if self._legend_beside():
            rect = rect.adjusted(-(self.legend.width() + LEGEND_MARGIN) / scale, 0, 0, 0)
        self.setSceneRect(rect)

    def _keep_fitted(self) -> None:
        """After an edit: shrink if the network no longer fits, grow only if it would grow by
        a lot; small edits keep the scale, and (top-aligned) the headers stay where they were,
        so a second quick click on a button still hits it."""
        scale = self._fitting_scale()
        if self._user_zoomed or scale is None:
            self.setSceneRect(self._scene.sceneRect())  # scroll over the whole (new) scene
            return
        current = self.transform().m11()
        if scale < current or scale > current * REFIT_GROWTH:
            self.fit()
        else:  # the scene may have changed size: keep the network clear of the legend
            self._place_beside_legend(current)

    def zoom(self, factor: float) -> None:
        """Zoom by ``factor`` about the mouse (or the centre); the view stops auto-fitting."""
        scale = self.transform().m11()
        factor = max(MIN_SCALE / scale, min(MAX_SCALE / scale, factor))
        self.scale(factor, factor)
        self._user_zoomed = True

    def set_display_values(self, values: list[np.ndarray] | None, label: str = "w") -> None:
        """Colour and thicken the connections by ``values`` (one (fan_in, fan_out) array per
        weight layer, e.g. the gradients) instead of the weights; None shows the weights.
        A change of structure goes back to the weights (the arrays no longer fit)."""
        self._display = None if values is None else [np.asarray(v) for v in values]
        self._display_label = "w" if values is None else label
        self._apply_values()

    def rebuild(self) -> None:
        """Build the whole scene afresh from the document (signals do this by themselves)."""
        self._rebuild()

    def show_message(self, text: str) -> None:
        """Tell the user something went wrong: an inline notice and the ``message`` signal."""
        self.notice.setText(text)
        one_line = self.notice.fontMetrics().horizontalAdvance(text) + 2 * self.notice.margin()
        self.notice.setFixedWidth(min(one_line + 4, max(120, self.viewport().width() - 24)))
        self.notice.adjustSize()
        self._place_notice()
        self.notice.show()
        self.notice.raise_()
        self._notice_timer.start()
        self.message.emit(text)

    # ----------------------------------------------------------------- document signals
    def _on_project_replaced(self) -> None:
        self._selection_key = None  # a new network: nothing stays selected
        self.rebuild()
        self.fit()

    def _on_network_changed(self) -> None:
        if Structure.of(self._doc, self._maps_wanted()) == self._items.structure:
            self._apply_values()
        else:
            self._rebuild()

    def _on_data_changed(self) -> None:
        self._on_network_changed()  # the input and output labels follow the data

    # ----------------------------------------------------------------- building the scene
    def _rebuild(self) -> None:
        structure = Structure.of(self._doc, self._maps_wanted())
        sizes_changed = structure.sizes != self._items.sizes
        self._rebuilding = True
        try:
            self._wave = None  # its items are gone
            self._glowing = []
            self._wave_anim.stop()
            self._settle_timer.stop()
            self._theme = Theme.from_widget(self)
            self._lut = map_lut(self._theme.background)
            self._pens = {}
            self.legend.set_theme(self._theme)
            self.setBackgroundBrush(self._theme.background)
            self._display = None
            self._display_label = "w"
            self._items.build(self._doc.network, structure, self._theme)
            self._apply_values()
            self._redraw_snapshot()
            if self._hovered is not None:
                self._on_neuron_hovered(None)  # its item is gone
            if sizes_changed:
                self._selection_key = None
            self._items.select(self._selection_key)
            self._apply_marks()
        finally:
            self._rebuilding = False
        self._on_scene_selection_changed()
        self._keep_fitted()

    def _redraw_snapshot(self) -> None:
        """After a rebuild: the last snapshot again if it still fits (no animation), else a
        fresh one from the controller once the document's signals have all arrived."""
        if self._controller is None:
            return
        snap = self._snapshot
        if snap is not None and self._fits(snap):
            kind = self._mode if self._after_play else snap.shown or "weights"
            self._draw_maps(snap)
            self._show(snap, kind, animate=False)
        elif not self._controller.playing:
            self._refresh_timer.start()

    def _on_button(self, kind: str, k: int, button: ButtonItem) -> None:
        {
            "add_layer": lambda: self._edit(self._doc.add_layer, k),
            "remove_layer": lambda: self._edit(self._doc.remove_layer, k),
            "add_neuron": lambda: self._edit(self._doc.add_neuron, k),
            "remove_neuron": lambda: self._edit(self._doc.remove_neuron, k),
            "bias": lambda: self._toggle_bias(k),
            "activation": lambda: self._activation_menu_at(k, button),
        }[kind]()

    # ----------------------------------------------------------------- values
    def _apply_values(self) -> None:
        """Restyle every connection and neuron from the document (no rebuild): its weights and
        biases, or the values given to :meth:`set_display_values`."""
        self._stop_motion()
        net = self._doc.network
        values = self._display
        if values is not None and [v.shape for v in values] != [
            la.weights.shape for la in net.layers
        ]:
            values = self._display = None
        weights = [la.weights for la in net.layers]
        biases = [la.bias for la in net.layers]
        if values is None:
            shown = self._weights_display(weights, biases, "Weights and biases")
        else:
            label = self._display_label
            shown = self._weights_display(weights, biases, f"Connections show {label}")
            shown.kind, shown.edge_label, shown.edges = "values", label, list(values)
            shown.edge_scales = [_finite_max(v) for v in values]
        self._apply(shown)
        self._update_legend(shown)
        self._describe_bundles(weights)

    def _weights_display(self, weights: list, biases: list, title: str) -> _Display:
        net = self._doc.network
        layers = net.layers
        return _Display(
            kind="weights",
            edges=list(weights),
            edge_label="w",
            edge_scales=[_finite_max(w[la.mask]) for w, la in zip(weights, layers)],
            nodes=[None] + [b if la.use_bias else None for b, la in zip(biases, layers)],
            node_label="b",
            node_scales=[0.0]
            + [_finite_max(b) if la.use_bias else 0.0 for b, la in zip(biases, layers)],
            title=title,
        )

    def _forward_display(self, snap) -> _Display:
        shown = self._snapshot_weights(snap, "Forward pass: values flow left to right")
        shown.kind = "forward"
        shown.nodes = [snap.inputs.mean(axis=0)] + [a.mean(axis=0) for a in snap.activations]
        shown.node_label = "a"
        shown.node_scales = [_finite_max(v) for v in shown.nodes]
        shown.stages = [(None, 0)] + [(i, i + 1) for i in range(len(snap.activations))]
        return shown

    def _gradient_display(self, snap, kind: str) -> _Display:
        """dL/dw on the connections and δ on the neurons, both against the network's largest:
        a layer whose gradients vanish looks thin next to the others."""
        layers = self._doc.network.layers
        edges = [dw for dw, _ in snap.gradients]
        edge_max = max(_finite_max(dw[la.mask]) for dw, la in zip(edges, layers))
        # The engine's δ rows carry the batch's 1/n (L is the batch's mean loss), so their sum
        # is the batch mean of each sample's own dℓ/dz, which is also dL/db.
        nodes = [None] + [d.sum(axis=0) for d in snap.deltas]
        node_max = max(_finite_max(v) for v in nodes[1:])
        title = (
            "Backward pass: gradients flow right to left"
            if kind == "backward"
            else self._mode_title(snap, "gradients")
        )
        shown = _Display(
            kind,
            edges,
            "dL/dw",
            [edge_max] * len(edges),
            nodes,
            "δ",
            [node_max] * len(nodes),
            title=title,
        )
        if kind == "backward":
            last = len(edges)
            shown.stages = [(None, last)] + [(i, i) for i in reversed(range(last))]
        return shown

    def _update_display(self, snap) -> _Display:
        layers = self._doc.network.layers
        edges = [dw for dw, _ in snap.updates]
        edge_max = max(_finite_max(dw[la.mask]) for dw, la in zip(edges, layers))
        nodes = [None] + [db if la.use_bias else None for (_, db), la in zip(snap.updates, layers)]
        node_max = max([_finite_max(v) for v in nodes[1:] if v is not None] or [0.0])
        return _Display(
            "update",
            edges,
            "Δw",
            [edge_max] * len(edges),
            nodes,
            "Δb",
            [node_max] * len(nodes),
            title="Update: gradient descent just moved every weight",
        )

    def _snapshot_weights(self, snap, title: str) -> _Display:
        return self._weights_display(
            [w for w, _ in snap.weights], [b for _, b in snap.weights], title
        )

    def _apply(self, shown: _Display) -> None:
        """Show ``shown`` on every item at once."""
        self._shown = shown
        for i in range(len(self._items.layer_items)):
            self._apply_layer(shown, i)
        for k in range(len(self._items.column_items)):
            self._apply_column(shown, k)

    def _apply_layer(self, shown: _Display, i: int) -> None:
        items = self._items.layer_items[i]
        if not items:
            return
        layer = self._doc.network.layers[i]
        rows, cols = self._items.layer_index[i]
        values = np.asarray(shown.edges[i])[rows, cols].tolist()
        weights = layer.weights[rows, cols].tolist() if shown.edge_label != "w" else values
        removed = (~layer.mask[rows, cols]).tolist()
        names = self._items.layer_names[i]
        scale, width, label = shown.edge_scales[i], self._items.widths[i], shown.edge_label
        # One cached pen per sign and level (QPen is shared, not copied): a frame makes none.
        pens = self._pens.get(width)
        if pens is None:
            pens = self._pens[width] = pen_levels(self._theme, width)
        with np.errstate(all="ignore"):
            t = np.abs(np.asarray(values)) / scale if scale > 0 else np.zeros(len(values))
        t = np.clip(np.nan_to_num(t, nan=0.0, posinf=1.0), 0.0, 1.0)
        levels = np.rint(t * (PEN_LEVELS - 1)).astype(np.intp).tolist()
        rows = zip(items, values, weights, removed, names, levels)
        for item, value, w, gone, name, level in rows:
            if gone:
                item.set_value(0.0, scale, True, f"removed: {name}\nclick to restore", width)
                continue
            pen = pens[0 if value >= 0 else 1][level]
            if label == "w":
                item.set_pen(value, pen, f"w = {value:.4f}  ({name})")
            else:
                item.set_pen(value, pen, f"{label} = {value:.4g}  ({name})\nw = {w:.4f}")

    def _apply_column(self, shown: _Display, k: int) -> None:
        values = shown.nodes[k]
        scale, label = shown.node_scales[k], shown.node_label
        for item in self._items.column_items[k]:
            name, j = item.name, item.index
            if values is None:
                if k == 0:
                    tip = f"{name} (input {j + 1})"
                    if label == "δ":
                        tip += "\nan input has no δ: nothing before it learns"
                elif not item.has_bias and label in ("b", "Δb"):
                    tip = f"{name}: no bias (this layer's bias is off)"
                else:
                    tip = f"{name}: not reached yet"
                item.set_value(None, 0.0, tip)
                continue
            v = float(values[j])
            if label == "b":
                tip = f"{name}: b = {v:.4f}"
            elif label == "a":
                what = "x" if k == 0 else "a"
                tip = f"{name}: {what} = {v:.4f} (mean over the batch)"
            elif label == "δ":
                tip = f"{name}: δ = dL/dz = {v:.4g} (batch mean; also dL/db)"
            else:
                tip = f"{name}: {label} = {v:.4g} (just applied)"
            item.set_value(v, scale, tip)

    def _describe_bundles(self, weights: list) -> None:
        net = self._doc.network
        for item in self._items.bundles():
            layer = net.layers[item.layer]
            total = layer.mask.size
            removed = total - int(np.count_nonzero(layer.mask))
            live = np.abs(weights[item.layer][layer.mask])
            mean = float(live.mean()) if live.size else 0.0
            largest = float(live.max()) if live.size else 0.0
            drawn = len(self._items.layer_items[item.layer])
            item.setToolTip(
                f"{layer.fan_in:,} × {layer.fan_out:,} = {total:,} connections "
                f"({drawn} drawn one by one)\nmean |w| = {mean:.4f}, "
                f"largest |w| = {largest:.4f}, removed: {removed:,}"
            )

    # ----------------------------------------------------------------- training snapshots
    def attach(self, controller) -> None:
        """Draw ``controller``'s snapshots (a TrainingController) from now on."""
        if controller is self._controller:
            return
        if self._controller is not None:
            self._controller.snapshot_ready.disconnect(self._on_snapshot)
            self._controller.playing_changed.disconnect(self._on_playing_changed)
        self._controller = controller
        self._snapshot = None
        controller.snapshot_ready.connect(self._on_snapshot)
        controller.playing_changed.connect(self._on_playing_changed)
        self._rebuild()  # 2-D data: the neurons get map slots
        self._draw(controller.snapshot(), animate=False)

    def mode(self) -> str:
        """What the connections show while playing: "weights" or "gradients"."""
        return self._mode

    def set_mode(self, mode: str) -> None:
        """Show ``mode`` ("weights" or "gradients") while playing; while paused, show it now."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        if mode == self._mode:
            return
        self._mode = mode
        snap = self._snapshot
        if snap is not None and self._fits(snap):
            self._stop_motion()
            self._show(snap, mode, animate=False)
        self.mode_changed.emit(mode)

    def showing(self) -> str:
        """What the items show now: "weights", "forward", "backward", "update", "gradients"
        (or "values", given to set_display_values)."""
        return self._shown.kind if self._shown is not None else "weights"

    def is_animating(self) -> bool:
        """A phase's wave is running, or an update's Δw has not settled to the weights yet."""
        return self._wave is not None or self._settle_timer.isActive()

    def _on_playing_changed(self, playing: bool) -> None:
        # The snapshot that follows a pause shows what playing showed, not an update.
        self._pause_pending = not playing

    def _on_snapshot(self, snap) -> None:
        self._draw(snap, animate=True)

    def _fits(self, snap) -> bool:
        """The snapshot is of the network the scene draws."""
        shapes = [tuple(w.shape) for w, _ in snap.weights]
        sizes = self._items.sizes
        return shapes == [(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)] and shapes == [
            la.weights.shape for la in self._doc.network.layers
        ]

    def _draw(self, snap, animate: bool) -> None:
        self._refresh_timer.stop()  # this snapshot is fresher than the one it would ask for
        if not self._fits(snap):
            if Structure.of(self._doc, self._maps_wanted()) != self._items.structure:
                self._rebuild()  # the document changed and its signal has not reached us yet
            if not self._fits(snap):
                return  # a stale snapshot: a newer one follows
        self._after_play = snap.playing or self._pause_pending
        kind = self._mode if self._after_play else snap.shown or "weights"
        if not snap.playing:
            self._pause_pending = False
        self._snapshot = snap
        self._display = None
        self._stop_motion()
        self._draw_maps(snap)
        self._show(snap, kind, animate and not snap.playing)
        if not snap.playing:
            self._describe_bundles([w for w, _ in snap.weights])

    def _mode_title(self, snap, mode: str) -> str:
        if snap.playing:
            return f"Playing: showing the {mode}"
        if self._after_play:
            return f"Paused: showing the {mode}"
        return (
            "Gradients of the last backward pass" if mode == "gradients" else "Weights and biases"
        )

    def _show(self, snap, kind: str, animate: bool) -> None:
        """Show ``kind`` of ``snap``: a phase (animated if ``animate``) or a mode."""
        if kind == "forward" and snap.activations is not None and snap.inputs is not None:
            shown = self._forward_display(snap)
        elif (
            kind in ("backward", "gradients")
            and snap.gradients is not None
            and snap.deltas is not None
        ):
            shown = self._gradient_display(snap, kind)
        elif kind == "update" and snap.updates is not None and animate:
            shown = self._update_display(snap)
        else:
            title = {
                "update": "Weights after the update",
                "gradients": "Weights (no gradients yet: run Backward first)",
            }.get(kind) or self._mode_title(snap, "weights")
            shown = self._snapshot_weights(snap, title)
        if animate and shown.stages:
            duration = FORWARD_MS if shown.kind == "forward" else BACKWARD_MS
            self._start_wave(shown, duration)
        else:
            self._apply(shown)
            if animate and shown.kind == "update":
                self._settle_timer.start()
        self._update_legend(shown)

    def _on_settle(self) -> None:
        snap = self._snapshot
        if snap is None or not self._fits(snap):
            return
        shown = self._snapshot_weights(snap, "Weights after the update")
        self._apply(shown)
        self._update_legend(shown)

    def _on_refresh(self) -> None:
        controller = self._controller
        if controller is not None and not controller.playing:
            self._draw(controller.snapshot(), animate=False)

    # ----------------------------------------------------------------- the phase's wave
    def _start_wave(self, shown: _Display, duration: int) -> None:
        """Fill the columns stage by stage (a forward or backward pass), never blocking."""
        self._shown = shown
        self._wave = shown
        self._wave_done = 0
        for k in range(len(self._items.column_items)):
            self._apply_column(dataclasses.replace(shown, nodes=[None] * len(shown.nodes)), k)
        if shown.kind == "backward":  # the gradients are not there until the wave brings them
            for i, items in enumerate(self._items.layer_items):
                for item, name in zip(items, self._items.layer_names[i]):
                    if not item.removed:
                        item.set_pending(f"{name}: dL/dw not computed yet")
        self._wave_anim.setEndValue(float(len(shown.stages)))
        self._wave_anim.setDuration(duration)
        self._advance_wave(0.0)
        self._wave_anim.start()

    def _on_wave_value(self, value) -> None:
        if self._wave is not None:
            self._advance_wave(float(value))

    def _advance_wave(self, value: float) -> None:
        shown = self._wave
        last = len(shown.stages) - 1
        stage = min(int(value), last)
        while self._wave_done <= stage:
            layer, column = shown.stages[self._wave_done]
            self._set_glow(0.0)
            if layer is not None:
                self._apply_layer(shown, layer)
            self._apply_column(shown, column)
            self._glowing = [
                *(self._items.layer_items[layer] if layer is not None else []),
                *self._items.column_items[column],
            ]
            self._wave_done += 1
        # Each stage lights up, then fades while the wave moves on.
        self._set_glow(max(0.0, 1.0 - 0.7 * (value - stage)))

    def _set_glow(self, strength: float) -> None:
        for item in self._glowing:
            item.set_glow(strength)
        if strength == 0.0:
            self._glowing = []

    def _finish_wave(self) -> None:
        """The end state at once: every stage applied, no glow."""
        shown = self._wave
        if shown is None:
            return
        self._wave = None
        self._wave_anim.stop()
        for layer, column in shown.stages[self._wave_done :]:
            if layer is not None:
                self._apply_layer(shown, layer)
            self._apply_column(shown, column)
        self._wave_done = len(shown.stages)
        self._set_glow(0.0)

    def _stop_motion(self) -> None:
        """A new picture is coming: a running wave or a pending settle jumps to its end."""
        if self._wave is not None:
            self._finish_wave()
        if self._settle_timer.isActive():
            self._settle_timer.stop()
            self._on_settle()

    # ----------------------------------------------------------------- per-neuron maps
    def _maps_wanted(self) -> bool:
        if self._controller is None:
            return False
        try:
            return self._doc.data.dataset.input_dim == 2
        except ValueError:
            return False

    def _draw_maps(self, snap) -> None:
        """Each drawn neuron's output over the input plane, coloured low (orange) .. high
        (blue): inputs by their feature's largest |value|, sigmoid and softmax around 0.5,
        tanh on [-1, 1], the others by their column's largest |a|."""
        if not self._items.maps:
            return
        shape = snap.grid_shape
        if (
            snap.grid_activations is None
            or snap.grid_inputs is None
            or shape is None
            or len(shape) != 2
        ):
            return
        net = self._doc.network
        columns = [snap.grid_inputs, *snap.grid_activations]
        if [c.shape[1] for c in columns] != list(net.sizes):
            return
        for k, values in enumerate(columns):
            items = self._items.column_items[k]
            drawn = values[:, [item.index for item in items]]
            with np.errstate(all="ignore"):
                if k == 0:
                    magnitude = np.abs(drawn)
                    largest = np.where(np.isfinite(magnitude), magnitude, 0.0).max(axis=0)
                    t = drawn / np.where(largest > 0, largest, 1.0)
                else:
                    bounds = _MAP_RANGE.get(net.layers[k - 1].activation)
                    if bounds is not None:
                        lo, hi = bounds
                        t = (drawn - (lo + hi) / 2) / ((hi - lo) / 2)
                    else:
                        t = drawn / (_finite_max(values) or 1.0)
            for item, image in zip(items, map_images(t, shape, self._lut)):
                item.set_map(image)

    def _on_neuron_hovered(self, item: NeuronItem | None) -> None:
        key = None if item is None else (item.layer, item.index)
        if key != self._hovered:
            self._hovered = key
            self.neuron_hovered.emit(key)

    # ----------------------------------------------------------------- marks
    def set_marks(
        self,
        owner: str,
        neurons: Iterable[tuple[int, int]] = (),
        connections: Iterable[tuple[int, int, int]] = (),
        colour: str | QColor = MARK_COLOUR,
    ) -> None:
        """Ring ``neurons`` ((column k, index j)) and haloes ``connections`` ((weight layer i,
        source r, target c)) in ``colour`` until ``clear_marks(owner)``.  Owners (a lesson, the
        gradient check) keep their marks apart; a rebuilt network keeps the marks that still
        exist.  Items not drawn (inside a compact column's gap) are skipped."""
        self._marks[owner] = (list(neurons), list(connections), QColor(colour))
        self._apply_marks()

    def clear_marks(self, owner: str | None = None) -> None:
        """Remove ``owner``'s marks (None: everyone's)."""
        if owner is None:
            self._marks.clear()
        else:
            self._marks.pop(owner, None)
        self._apply_marks()

    def marked_items(self) -> list[QGraphicsItem]:
        """The neuron and connection items carrying a mark now."""
        items = [*self._items.neurons.values(), *self._items.connections.values()]
        return [item for item in items if item.mark() is not None]

    def _apply_marks(self) -> None:
        wanted: dict[QGraphicsItem, QColor] = {}
        for neurons, connections, colour in self._marks.values():
            for k, j in neurons:
                item = self.neuron_item(k, j)
                if item is not None:
                    wanted[item] = colour
            for i, r, c in connections:
                item = self.connection_item(i, r, c)
                if item is not None:
                    wanted[item] = colour
        for item in [*self._items.neurons.values(), *self._items.connections.values()]:
            item.set_mark(wanted.get(item))

    # ----------------------------------------------------------------- the legend
    _EDGE_WORDS = {
        "w": ("weight w", "|w|, relative to the layer's largest"),
        "dL/dw": ("gradient dL/dw", "|dL/dw|, relative to the network's largest"),
        "Δw": ("change Δw just applied", "|Δw|, relative to the network's largest"),
    }
    _NODE_WORDS = {
        "b": "the bias b (dashed rim: the layer has no bias)",
        "a": "the activation a = f(z), mean over the batch (inputs: x)",
        "δ": "δ = dL/dz, mean over the batch (= dL/db)",
        "Δb": "the change Δb just applied to the bias",
    }
    _NEXT_WORDS = {
        "forward": "Forward (inputs flow through the layers)",
        "backward": "Backward (backpropagation computes every gradient)",
        "update": "Update (gradient descent moves the weights)",
    }

    def _update_legend(self, shown: _Display) -> None:
        label = shown.edge_label
        what, thickness = self._EDGE_WORDS.get(
            label, (label, f"|{label}|, relative to the layer's largest")
        )
        # One line per kind of item, so the legend stays short in a short canvas.
        rows = [
            (
                "edges",
                f"Connections show the {what}: blue > 0, orange < 0; thickness ∝ {thickness}",
            ),
            ("nodes", f"Neurons show {self._NODE_WORDS[shown.node_label]}"),
        ]
        if self._items.maps:
            across, up = self._plane_axes()
            rows.append(
                (
                    "maps",
                    f"Maps show each neuron's output over the input plane ({across} →, {up} ↑)",
                )
            )
        snap = self._snapshot if self._controller is not None else None
        if snap is not None:
            if snap.playing:
                rows.append(("next", "Every step runs forward, backward and update"))
            else:
                rows.append(("next", f"Next: {self._NEXT_WORDS.get(snap.phase, snap.phase)}"))
        height = self.legend.height()
        self.legend.set_content(shown.title, rows)
        self._place_overlays()
        if self.legend.height() != height and not self._rebuilding:
            self._keep_fitted()  # a taller legend: the fitted network stays clear of it

    def _plane_axes(self) -> tuple[str, str]:
        """The names of the input plane's axes: x1 and x2, or an imported file's columns."""
        try:
            labels = self._doc.data.column_labels
        except ValueError:
            labels = []
        return (labels[0], labels[1]) if len(labels) == 2 else ("x1", "x2")

    def legend_text(self) -> str:
        """What the legend says now (its title and rows, one per line)."""
        return self.legend.text()

    # ----------------------------------------------------------------- selection
    def _on_scene_selection_changed(self) -> None:
        if self._rebuilding:
            return
        selected = [it for it in self._scene.selectedItems() if self._items.key_of(it) is not None]
        new = self._items.key_of(selected[0]) if selected else None
        self._selection_key = new
        if new != self._selection:
            self._selection = new
            self.selection_changed.emit(new)

    # ----------------------------------------------------------------- editing
    def _edit(self, method: Callable, *args) -> bool:
        """Call a document edit; a refusal becomes a notice.  True if it went through."""
        try:
            method(*args)
        except ValueError as exc:
            self.show_message(str(exc))
            return False
        return True

    def _toggle_bias(self, k: int) -> None:
        layer = self._doc.network.layers[k - 1]
        self._edit(self._doc.set_use_bias, k - 1, not layer.use_bias)

    def _set_connection(self, i: int, r: int, c: int, enabled: bool) -> None:
        self._edit(self._doc.set_connection, i, r, c, enabled)

    def _ask_weight(self, item: ConnectionItem) -> None:
        if item.removed:
            self.show_message("This connection is removed: restore it first (click it)")
            return
        key = self._items.key_of(item)
        w = float(self._doc.network.layers[item.layer].weights[item.source, item.target])
        value = ask_number(self, "Set weight", f"Weight of {key.name}:", w)
        if value is not None:
            self._edit(self._doc.set_weight, item.layer, item.source, item.target, value)

    def _ask_bias(self, item: NeuronItem) -> None:
        if item.layer == 0:
            self.show_message("Input neurons have no bias: they pass the features on")
            return
        layer = self._doc.network.layers[item.layer - 1]
        if not layer.use_bias:
            self.show_message("This layer's bias is off: turn it on in the layer's header")
            return
        value = ask_number(self, "Set bias", f"Bias of {item.name}:", float(layer.bias[item.index]))
        if value is not None:
            self._edit(self._doc.set_bias, item.layer - 1, item.index, value)

    def _delete_selection(self) -> None:
        items = [
            it for it in self._scene.selectedItems() if isinstance(it, (NeuronItem, ConnectionItem))
        ]
        if not items:
            return
        connections = [
            (it.layer, it.source, it.target)
            for it in items
            if isinstance(it, ConnectionItem) and not it.removed
        ]
        # Highest index first, so the indices still to remove stay valid.
        neurons = sorted(
            ((it.layer, it.index) for it in items if isinstance(it, NeuronItem)), reverse=True
        )
        last = len(self._doc.network.sizes) - 1
        fixed = [(k, j) for k, j in neurons if k in (0, last)]
        neurons = [(k, j) for k, j in neurons if 0 < k < last]
        if not connections and not neurons:
            if fixed:  # the document says why inputs and outputs cannot be removed
                self._edit(self._doc.remove_neuron, *fixed[0])
            else:
                self.show_message("This connection is already removed (click it to restore it)")
            return
        stack = self._doc.undo_stack
        macro = len(connections) + len(neurons) > 1
        if macro:
            stack.beginMacro("Delete selection")
        try:
            for i, r, c in connections:
                self._set_connection(i, r, c, False)
            for k, j in neurons:
                self._edit(self._doc.remove_neuron, k, j)
        finally:
            if macro:
                stack.endMacro()

    def _restore_all(self, layers: list[int]) -> None:
        stack = self._doc.undo_stack
        todo = [i for i in layers if not self._doc.network.layers[i].mask.all()]
        if len(todo) > 1:
            stack.beginMacro("Restore all connections")
        try:
            for i in todo:
                self._edit(self._doc.restore_all_connections, i)
        finally:
            if len(todo) > 1:
                stack.endMacro()

    # ----------------------------------------------------------------- menus
    def _activation_menu(self, k: int, parent: QWidget | None = None) -> tuple[QMenu, dict]:
        current = self._doc.network.layers[k - 1].activation
        menu = QMenu("Activation", parent or self)
        actions = {}
        for name, act in ACTIVATIONS.items():
            action = menu.addAction(act.title)
            action.setCheckable(True)
            action.setChecked(name == current)
            actions[action] = lambda n=name: self._edit(self._doc.set_activation, k - 1, n)
        return menu, actions

    def _activation_menu_at(self, k: int, button: ButtonItem) -> None:
        menu, actions = self._activation_menu(k)
        shown = self.mapFromScene(button.sceneBoundingRect()).boundingRect()
        menu.setMinimumWidth(shown.width())
        corner = shown.bottomLeft()
        self._run_menu(menu, actions, self.viewport().mapToGlobal(corner))

    def _run_menu(self, menu: QMenu, actions: dict[QAction, Callable], global_pos) -> None:
        chosen = menu.exec(global_pos)
        menu.deleteLater()
        handler = actions.get(chosen)
        if handler is not None:
            handler()

    def _layer_actions(self, menu: QMenu, k: int, actions: dict) -> None:
        """Every edit of column ``k``: activation, bias, neurons, layers, restoring."""
        net = self._doc.network
        last = len(net.sizes) - 1

        add = _menu_adder(menu, actions)

        if k >= 1:
            sub, sub_actions = self._activation_menu(k, menu)
            menu.addMenu(sub)
            actions.update(sub_actions)
            bias = add("Bias", lambda: self._toggle_bias(k))
            bias.setCheckable(True)
            bias.setChecked(net.layers[k - 1].use_bias)
        if 0 < k < last:
            add("Add neuron", lambda: self._edit(self._doc.add_neuron, k))
            add("Remove last neuron", lambda: self._edit(self._doc.remove_neuron, k))
            add("Remove layer", lambda: self._edit(self._doc.remove_layer, k))
        menu.addSeparator()
        if k >= 1:
            add("Add layer before", lambda: self._edit(self._doc.add_layer, k))
        if k < last:
            add("Add layer after", lambda: self._edit(self._doc.add_layer, k + 1))
        into = [k - 1] if k >= 1 else []
        out_of = [k] if k < last else []
        removed = [i for i in into + out_of if not net.layers[i].mask.all()]
        add(
            "Restore all connections",
            lambda: self._restore_all(into + out_of),
            enabled=bool(removed),
        )

    def _context_menu(self, item: QGraphicsItem | None) -> tuple[QMenu, dict]:
        menu = QMenu(self)
        actions: dict[QAction, Callable] = {}
        net = self._doc.network
        last = len(net.sizes) - 1

        add = _menu_adder(menu, actions)

        if isinstance(item, NeuronItem):
            k, j = item.layer, item.index
            menu.addSection(item.name)
            if 0 < k < last:
                add("Add neuron below", lambda: self._edit(self._doc.add_neuron, k, j + 1))
                add("Remove neuron", lambda: self._edit(self._doc.remove_neuron, k, j))
            if k >= 1:
                add("Set bias…", lambda: self._ask_bias(item), net.layers[k - 1].use_bias)
            menu.addSection(self._column_title(k))
            self._layer_actions(menu, k, actions)
        elif isinstance(item, ConnectionItem):
            i, r, c = item.layer, item.source, item.target
            menu.addSection(self._items.key_of(item).name)
            if item.removed:
                add("Restore connection", lambda: self._set_connection(i, r, c, True))
            else:
                add("Remove connection", lambda: self._set_connection(i, r, c, False))
                add("Set weight…", lambda: self._ask_weight(item))
            add(
                "Restore all connections of this layer",
                lambda: self._restore_all([i]),
                not net.layers[i].mask.all(),
            )
        elif isinstance(item, (LayerHeaderItem, BlockItem)):
            menu.addSection(self._column_title(item.layer))
            self._layer_actions(menu, item.layer, actions)
        elif isinstance(item, BundleItem):
            add(
                "Restore all connections of this layer",
                lambda: self._restore_all([item.layer]),
                not net.layers[item.layer].mask.all(),
            )
        else:
            add("Add hidden layer", lambda: self._edit(self._doc.add_layer))
            everything = list(range(len(net.layers)))
            add(
                "Restore all connections",
                lambda: self._restore_all(everything),
                any(not la.mask.all() for la in net.layers),
            )
        menu.addSeparator()
        fit = add("Fit to view", self.fit)
        fit.setShortcut(QKeySequence("Ctrl+0"))
        return menu, actions

    def _column_title(self, k: int) -> str:
        last = len(self._doc.network.sizes) - 1
        return "Input layer" if k == 0 else "Output layer" if k == last else f"Hidden layer {k}"

    # ----------------------------------------------------------------- Qt events
    def contextMenuEvent(self, event) -> None:  # noqa: N802 - Qt's name
        item = self.item_at(event.pos())
        if isinstance(item, ButtonItem):
            item = item.parentItem() if isinstance(item.parentItem(), LayerHeaderItem) else None
        if isinstance(item, (NeuronItem, ConnectionItem)) and not item.isSelected():
            self._scene.clearSelection()
            item.setSelected(True)  # the menu's subject, visibly
        menu, actions = self._context_menu(item)
        self._run_menu(menu, actions, event.globalPos())
        event.accept()

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._press_item = self.item_at(event.position().toPoint())
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt's name
        pressed, self._press_item = self._press_item, None
        super().mouseReleaseEvent(event)
        if (
            event.button() == Qt.MouseButton.LeftButton
            and isinstance(pressed, ConnectionItem)
            and pressed.removed
            and self.item_at(event.position().toPoint()) is pressed
        ):
            self._set_connection(pressed.layer, pressed.source, pressed.target, True)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt's name
        item = self.item_at(event.position().toPoint())
        if event.button() == Qt.MouseButton.LeftButton:
            if isinstance(item, ConnectionItem):
                self._ask_weight(item)
                event.accept()
                return
            if isinstance(item, NeuronItem):
                self._ask_bias(item)
                event.accept()
                return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        key = event.key()
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and not ctrl:
            self._delete_selection()
        elif ctrl and key == Qt.Key.Key_0:
            self.fit()
        elif ctrl and key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(1.25)
        elif ctrl and key == Qt.Key.Key_Minus:
            self.zoom(0.8)
        elif key == Qt.Key.Key_Escape:
            self._scene.clearSelection()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120.0
            if steps:
                self.zoom(1.15**steps)
            event.accept()
            return
        super().wheelEvent(event)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._size_legend()
        self._place_overlays()
        if not self._user_zoomed:
            self.fit()
        self._place_notice()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._user_zoomed:
            self.fit()

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._notice_timer.stop()
        super().hideEvent(event)

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange):
            self._style_notice()
            self.rebuild()

    # ----------------------------------------------------------------- the notice
    def _style_notice(self) -> None:
        pal = self.palette()
        bg = pal.color(pal.ColorRole.ToolTipBase).name()
        fg = pal.color(pal.ColorRole.ToolTipText).name()
        edge = pal.color(pal.ColorRole.Mid).name()
        self.notice.setStyleSheet(
            f"#canvasNotice {{ background: {bg}; color: {fg}; border: 1px solid {edge};"
            " border-radius: 6px; }"
        )

    def _place_notice(self) -> None:
        self._place_overlays()

    def _place_overlays(self) -> None:
        """The legend in the bottom-left corner, a notice just above it."""
        view = self.viewport().rect()
        legend_top = view.height() - self.legend.height() - LEGEND_MARGIN
        self.legend.move(LEGEND_MARGIN, max(0, legend_top))
        self.notice.move(12, max(0, legend_top - self.notice.height() - 6))
