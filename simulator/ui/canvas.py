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

NetworkCanvas is the view that composes the parts, each in its own module:

- ``canvas_layout``: SceneItems builds the items where the layout puts them, and finds them;
- ``canvas_presenter``: CanvasPresenter chooses what the items show (document or snapshots);
- ``canvas_display``: the Display it chooses, and the legend's words for it;
- ``canvas_style``: ItemStyler puts a Display on the items (and runs a phase's wave),
  ItemMarks keeps the marks lessons and the gradient check put on them;
- ``canvas_editing`` and ``canvas_menus``: CanvasEditor makes the edits that clicks, keys and
  CanvasMenus' entries ask for;
- ``canvas_framing`` and ``canvas_notice``: ViewFraming fits and zooms the view and places the
  legend and the CanvasNotice;
- ``canvas_items``: the items and the legend themselves.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from PySide6.QtCore import QEvent, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontInfo, QPainter
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsView,
    QInputDialog,
    QWidget,
)

from simulator.app.document import Document
from simulator.ui.canvas_editing import CanvasEditor
from simulator.ui.canvas_framing import RESPACE_CHANGE, ViewFraming
from simulator.ui.canvas_items import (
    BlockItem,
    BundleItem,
    ButtonItem,
    CanvasLegend,
    ConnectionItem,
    LayerHeaderItem,
    NeuronItem,
    Theme,
)
from simulator.ui.canvas_layout import (
    MAX_FULL_COLUMN,
    SceneItems,
    SelectedConnection,
    SelectedNeuron,
    Structure,
    rows_high,
    visible_indices,
)
from simulator.ui.canvas_menus import CanvasMenus
from simulator.ui.canvas_notice import CanvasNotice
from simulator.ui.canvas_presenter import CanvasPresenter
from simulator.ui.canvas_style import ItemMarks, ItemStyler

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

RESPACE_DELAY_MS = 150  # a resize rebuilds a long network's rows once it has settled
MARK_COLOUR = "#9b30d9"  # marks point at items (lessons, the gradient check): not a value colour


def ask_number(parent: QWidget | None, title: str, label: str, value: float) -> float | None:
    """Ask the user for a number (None if cancelled).  Tests replace this function."""
    number, ok = QInputDialog.getDouble(parent, title, label, value, -1e9, 1e9, 6)
    return number if ok else None


class NetworkCanvas(QGraphicsView):
    """Draws ``document``'s network and edits it by clicks, menus and keys; once attached to a
    TrainingController, draws its snapshots (phases, weights or gradients, per-neuron maps)."""

    message = Signal(str)  # an edit was refused: the reason, for the status bar
    selection_changed = Signal(object)  # SelectedNeuron | SelectedConnection | None
    mode_changed = Signal(str)  # "weights" | "gradients": what connections show while playing
    neuron_hovered = Signal(object)  # (column, index) of the neuron under the mouse, or None
    question_asked = Signal(object)  # (i, r, c): "Predict its gradient…" on that connection

    def __init__(self, document: Document, parent: QWidget | None = None):
        super().__init__(parent)
        self._doc = document
        self._scene = QGraphicsScene(self)
        # No BSP index: the scene is rebuilt whole (thousands of items added and removed at
        # once), which the index made ~20 % slower; finding a few thousand items linearly
        # costs nothing a paint or a mouse move notices.
        self._scene.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
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

        self._items = SceneItems(self._scene)
        self._editor = CanvasEditor(
            document,
            self._items,
            self,
            self.show_message,
            # Looked up at each call: tests replace this module's ask_number.
            lambda *args: ask_number(*args),
        )
        self._menus = CanvasMenus(document, self._items, self._editor, self, self.fit)
        self._items.on_button = self._menus.button_clicked
        self._menus.on_question = self.question_asked.emit
        self._items.on_hover = self._on_neuron_hovered
        self._rebuilding = False
        self._selection: SelectedNeuron | SelectedConnection | None = None
        self._selection_key: SelectedNeuron | SelectedConnection | None = None  # to restore
        self._press_item: QGraphicsItem | None = None
        self._hovered: tuple[int, int] | None = None
        self.legend = CanvasLegend(Theme.from_widget(self), self.viewport())
        self.notice = CanvasNotice(self.viewport())
        self._framing = ViewFraming(self, self.legend, self.notice)
        self._respace_timer = QTimer(self, singleShot=True, interval=RESPACE_DELAY_MS)
        self._respace_timer.timeout.connect(self._respace)
        # What the items show: the styler restyles them, the presenter says with what.
        self._styler = ItemStyler(document, self._items, self)
        self._marks = ItemMarks(self._items)
        self._presenter = CanvasPresenter(
            document, self._items, self._styler, self.rebuild, self._show_legend, self
        )
        self._presenter.mode_changed.connect(self.mode_changed)

        self._scene.selectionChanged.connect(self._on_scene_selection_changed)
        document.network_changed.connect(self._on_network_changed)
        # The input and output labels follow the data.
        document.data_changed.connect(self._on_network_changed)
        document.project_replaced.connect(self._on_project_replaced)
        self.notice.restyle(self.palette())
        self.rebuild()

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
        self._framing.fit()

    def zoom(self, factor: float) -> None:
        """Zoom by ``factor`` about the mouse (or the centre); the view stops auto-fitting."""
        self._framing.zoom(factor)

    def set_display_values(self, values: list[np.ndarray] | None, label: str = "w") -> None:
        """Colour and thicken the connections by ``values`` (one (fan_in, fan_out) array per
        weight layer, e.g. the gradients) instead of the weights; None shows the weights.
        A change of structure goes back to the weights (the arrays no longer fit)."""
        self._presenter.show_values(values, label)

    def show_message(self, text: str) -> None:
        """Tell the user something went wrong: an inline notice and the ``message`` signal."""
        self.notice.set_message(text, self.viewport().width() - 24)
        self._framing.place_overlays()
        self.notice.pop_up()
        self.message.emit(text)

    # ----------------------------------------------------------------- document signals
    def _on_project_replaced(self) -> None:
        self._selection_key = None  # a new network: nothing stays selected
        self.rebuild()
        self.fit()

    def _on_network_changed(self) -> None:
        if Structure.of(self._doc, self._presenter.maps_wanted()) == self._items.structure:
            self._presenter.show_document()
        else:
            self.rebuild()

    # ----------------------------------------------------------------- building the scene
    def rebuild(self, spacing: float | None = None) -> None:
        """Build the whole scene afresh from the document (signals do this by themselves),
        its rows ``spacing`` apart (default: as the view wants them)."""
        structure = Structure.of(self._doc, self._presenter.maps_wanted())
        sizes_changed = structure.sizes != self._items.sizes
        self._rebuilding = True
        try:
            theme = Theme.from_widget(self)
            self._styler.reset(theme)
            self.legend.set_theme(theme)
            self.setBackgroundBrush(theme.background)
            self._framing.set_smallest_text(QFontInfo(theme.small_font).pixelSize())
            network = self._doc.network
            self._items.build(network, structure, theme, spacing or self._items.row_spacing)
            wanted = self._wanted_spacing()
            if wanted is not None:  # a long network: spread its rows over the height
                self._items.build(network, structure, theme, wanted)
            self._presenter.scene_rebuilt()
            if self._hovered is not None:
                self._on_neuron_hovered(None)  # its item is gone
            if sizes_changed:
                self._selection_key = None
            self._items.select(self._selection_key)
            self._marks.apply()
        finally:
            self._rebuilding = False
        self._on_scene_selection_changed()
        self._framing.keep_fitted()

    def _wanted_spacing(self) -> float | None:
        # The row spacing the view's shape asks for, if it is not (nearly) the one drawn.
        if self._framing.user_zoomed or not self.isVisible():
            return None
        current = self._items.row_spacing
        wanted = self._framing.row_spacing(
            self._scene.sceneRect(), current, rows_high(self._items.sizes)
        )
        return wanted if abs(wanted - current) > RESPACE_CHANGE * current else None

    def _respace(self) -> None:
        # After a resize has settled: rebuild if the rows want another spacing.
        wanted = self._wanted_spacing()
        if wanted is not None:
            self.rebuild(wanted)
            self.fit()

    # ----------------------------------------------------------------- training snapshots
    def attach(self, controller) -> None:
        """Draw ``controller``'s snapshots (a TrainingController) from now on."""
        self._presenter.attach(controller)

    def mode(self) -> str:
        """What the connections show while playing: "weights" or "gradients"."""
        return self._presenter.mode()

    def set_mode(self, mode: str) -> None:
        """Show ``mode`` ("weights" or "gradients") while playing; while paused, show it now."""
        self._presenter.set_mode(mode)

    def showing(self) -> str:
        """What the items show now: "weights", "forward", "backward", "update", "gradients"
        (or "values", given to set_display_values)."""
        return self._presenter.showing()

    def is_animating(self) -> bool:
        """A phase's wave is running, or an update's Δw has not settled to the weights yet."""
        return self._presenter.is_animating()

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
        self._marks.put(owner, neurons, connections, colour)

    def clear_marks(self, owner: str | None = None) -> None:
        """Remove ``owner``'s marks (None: everyone's)."""
        self._marks.clear(owner)

    def marked_items(self) -> list[QGraphicsItem]:
        """The neuron and connection items carrying a mark now."""
        return self._marks.marked()

    # ----------------------------------------------------------------- the legend
    def _show_legend(self, title: str, rows: list) -> None:
        # A rebuild refits the network once it is done.
        self._framing.show_legend(title, rows, refit=not self._rebuilding)

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

    # ----------------------------------------------------------------- Qt events
    def contextMenuEvent(self, event) -> None:  # noqa: N802 - Qt's name
        item = self.item_at(event.pos())
        if isinstance(item, ButtonItem):
            item = item.parentItem() if isinstance(item.parentItem(), LayerHeaderItem) else None
        if isinstance(item, (NeuronItem, ConnectionItem)) and not item.isSelected():
            self._scene.clearSelection()
            item.setSelected(True)  # the menu's subject, visibly
        self._menus.open_context_menu(item, event.globalPos())
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
            self._editor.set_connection(pressed.layer, pressed.source, pressed.target, True)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt's name
        item = self.item_at(event.position().toPoint())
        if event.button() == Qt.MouseButton.LeftButton:
            if isinstance(item, ConnectionItem):
                self._editor.ask_weight(item)
                event.accept()
                return
            if isinstance(item, NeuronItem):
                self._editor.ask_bias(item)
                event.accept()
                return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        key = event.key()
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and not ctrl:
            self._editor.delete(self._scene.selectedItems())
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
        self._framing.resized()
        self._respace_timer.start()  # once the resizing settles

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._framing.user_zoomed:
            self._respace()
            self.fit()

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.notice.stop_timer()
        super().hideEvent(event)

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange):
            self.notice.restyle(self.palette())
            self.rebuild()
