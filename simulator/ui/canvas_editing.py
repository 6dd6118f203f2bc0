"""Editing the network from the canvas: every click, key and menu entry that changes the network
becomes one of the Document's undoable edits; an edit the document refuses (ValueError) becomes
a message for the user, never a dialog.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QGraphicsItem, QWidget

from simulator.app.document import Document
from simulator.ui.canvas_items import ConnectionItem, NeuronItem
from simulator.ui.canvas_layout import SceneItems


class CanvasEditor:
    """Makes the canvas's edits through ``document``: each method one user action.  A refusal
    goes to ``show_message(reason)``; numbers are asked with ``ask(parent, title, label,
    value)``, which returns None if the user cancels."""

    def __init__(
        self,
        document: Document,
        items: SceneItems,
        parent: QWidget,
        show_message: Callable[[str], None],
        ask: Callable[..., float | None],
    ):
        self._doc = document
        self._items = items
        self._parent = parent
        self._show_message = show_message
        self._ask = ask

    def edit(self, method: Callable, *args) -> bool:
        """Call a document edit; a refusal becomes a message.  True if it went through."""
        try:
            method(*args)
        except ValueError as exc:
            self._show_message(str(exc))
            return False
        return True

    def toggle_bias(self, k: int) -> None:
        """Turn the bias of column ``k``'s layer on or off."""
        layer = self._doc.network.layers[k - 1]
        self.edit(self._doc.set_use_bias, k - 1, not layer.use_bias)

    def set_connection(self, i: int, r: int, c: int, enabled: bool) -> None:
        """Restore (``enabled``) or remove connection r -> c of weight layer ``i``."""
        self.edit(self._doc.set_connection, i, r, c, enabled)

    def ask_weight(self, item: ConnectionItem) -> None:
        """Ask for the weight of ``item``'s connection and set it."""
        if item.removed:
            self._show_message("This connection is removed: restore it first (click it)")
            return
        name = self._items.connection_name(item.layer, item.source, item.target)
        w = float(self._doc.network.layers[item.layer].weights[item.source, item.target])
        value = self._ask(self._parent, "Set weight", f"Weight of {name}:", w)
        if value is not None:
            self.edit(self._doc.set_weight, item.layer, item.source, item.target, value)

    def ask_bias(self, item: NeuronItem) -> None:
        """Ask for the bias of ``item``'s neuron and set it."""
        if item.layer == 0:
            self._show_message("Input neurons have no bias: they pass the features on")
            return
        layer = self._doc.network.layers[item.layer - 1]
        if not layer.use_bias:
            self._show_message("This layer's bias is off: turn it on in the layer's header")
            return
        bias = float(layer.bias[item.index])
        value = self._ask(self._parent, "Set bias", f"Bias of {item.name}:", bias)
        if value is not None:
            self.edit(self._doc.set_bias, item.layer - 1, item.index, value)

    def delete(self, selected: list[QGraphicsItem]) -> None:
        """Remove the ``selected`` neurons and connections (one undo step for several)."""
        items = [it for it in selected if isinstance(it, (NeuronItem, ConnectionItem))]
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
                self.edit(self._doc.remove_neuron, *fixed[0])
            else:
                self._show_message("This connection is already removed (click it to restore it)")
            return
        stack = self._doc.undo_stack
        macro = len(connections) + len(neurons) > 1
        if macro:
            stack.beginMacro("Delete selection")
        try:
            for i, r, c in connections:
                self.set_connection(i, r, c, False)
            for k, j in neurons:
                self.edit(self._doc.remove_neuron, k, j)
        finally:
            if macro:
                stack.endMacro()

    def restore_all(self, layers: list[int]) -> None:
        """Restore every removed connection of weight ``layers`` (one undo step for several)."""
        stack = self._doc.undo_stack
        todo = [i for i in layers if not self._doc.network.layers[i].mask.all()]
        if len(todo) > 1:
            stack.beginMacro("Restore all connections")
        try:
            for i in todo:
                self.edit(self._doc.restore_all_connections, i)
        finally:
            if len(todo) > 1:
                stack.endMacro()
