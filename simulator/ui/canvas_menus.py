"""The canvas's menus and header buttons: the context menu of whatever was right-clicked (a
neuron, a connection, a layer's header or block, a bundle, empty canvas), the activation menu
under a header's button, and what each header button does.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView, QMenu, QWidget

from simulator.app.document import Document
from simulator.engine.activations import ACTIVATIONS
from simulator.ui.canvas_editing import CanvasEditor
from simulator.ui.canvas_items import (
    BlockItem,
    BundleItem,
    ButtonItem,
    ConnectionItem,
    LayerHeaderItem,
    NeuronItem,
)
from simulator.ui.canvas_layout import SceneItems


def _menu_adder(menu: QMenu, actions: dict) -> Callable[..., QAction]:
    """``add(text, handler, enabled=True)``: a menu entry whose handler runs when chosen."""

    def add(text: str, handler: Callable, enabled: bool = True) -> QAction:
        action = menu.addAction(text)
        action.setEnabled(enabled)
        actions[action] = handler
        return action

    return add


class CanvasMenus:
    """Builds and runs the menus of ``view`` (the canvas) and answers its header buttons; every
    entry is one of ``editor``'s edits, but "Fit to view", which calls ``fit``."""

    def __init__(
        self,
        document: Document,
        items: SceneItems,
        editor: CanvasEditor,
        view: QGraphicsView,
        fit: Callable[[], None],
    ):
        self._doc = document
        self._items = items
        self._editor = editor
        self._view = view
        self._fit = fit
        # "Predict its gradient…" on a connection calls this with (i, r, c) (set by the owner).
        self.on_question: Callable[[tuple[int, int, int]], None] = lambda connection: None

    def button_clicked(self, kind: str, k: int, button: ButtonItem) -> None:
        """Header button ``kind`` of column ``k`` was clicked: its edit, or its menu."""
        edit, doc = self._editor.edit, self._doc
        {
            "add_layer": lambda: edit(doc.add_layer, k),
            "remove_layer": lambda: edit(doc.remove_layer, k),
            "add_neuron": lambda: edit(doc.add_neuron, k),
            "remove_neuron": lambda: edit(doc.remove_neuron, k),
            "bias": lambda: self._editor.toggle_bias(k),
            "activation": lambda: self._activation_menu_at(k, button),
        }[kind]()

    def open_context_menu(self, item: QGraphicsItem | None, global_pos: QPoint) -> None:
        """Run the context menu of ``item`` (None: empty canvas) at ``global_pos``."""
        menu, actions = self.context_menu(item)
        self._run(menu, actions, global_pos)

    def context_menu(self, item: QGraphicsItem | None) -> tuple[QMenu, dict]:
        """The context menu of ``item`` and its entries' handlers (QAction -> handler)."""
        menu = QMenu(self._view)
        actions: dict[QAction, Callable] = {}
        net = self._doc.network
        last = len(net.sizes) - 1
        editor, doc = self._editor, self._doc

        add = _menu_adder(menu, actions)

        if isinstance(item, NeuronItem):
            k, j = item.layer, item.index
            menu.addSection(item.name)
            if 0 < k < last:
                add("Add neuron below", lambda: editor.edit(doc.add_neuron, k, j + 1))
                add("Remove neuron", lambda: editor.edit(doc.remove_neuron, k, j))
            if k >= 1:
                add("Set bias…", lambda: editor.ask_bias(item), net.layers[k - 1].use_bias)
            menu.addSection(self._column_title(k))
            self._layer_actions(menu, k, actions)
        elif isinstance(item, ConnectionItem):
            i, r, c = item.layer, item.source, item.target
            menu.addSection(self._items.connection_name(i, r, c))
            if item.removed:
                add("Restore connection", lambda: editor.set_connection(i, r, c, True))
            else:
                add("Remove connection", lambda: editor.set_connection(i, r, c, False))
                add("Set weight…", lambda: editor.ask_weight(item))
                add("Predict Its Gradient…", lambda: self._ask((i, r, c)))
            add(
                "Restore all connections of this layer",
                lambda: editor.restore_all([i]),
                not net.layers[i].mask.all(),
            )
        elif isinstance(item, (LayerHeaderItem, BlockItem)):
            menu.addSection(self._column_title(item.layer))
            self._layer_actions(menu, item.layer, actions)
        elif isinstance(item, BundleItem):
            add(
                "Restore all connections of this layer",
                lambda: editor.restore_all([item.layer]),
                not net.layers[item.layer].mask.all(),
            )
        else:
            add("Add hidden layer", lambda: editor.edit(doc.add_layer))
            everything = list(range(len(net.layers)))
            add(
                "Restore all connections",
                lambda: editor.restore_all(everything),
                any(not la.mask.all() for la in net.layers),
            )
        menu.addSeparator()
        fit = add("Fit to view", self._fit)
        fit.setShortcut(QKeySequence("Ctrl+0"))
        return menu, actions

    def _ask(self, connection: tuple[int, int, int]) -> None:
        self.on_question(connection)

    def activation_menu(self, k: int, parent: QWidget | None = None) -> tuple[QMenu, dict]:
        """The activations to choose from for column ``k``'s layer, its own checked."""
        current = self._doc.network.layers[k - 1].activation
        menu = QMenu("Activation", parent or self._view)
        actions = {}
        editor, doc = self._editor, self._doc
        for name, act in ACTIVATIONS.items():
            action = menu.addAction(act.title)
            action.setCheckable(True)
            action.setChecked(name == current)
            actions[action] = lambda n=name: editor.edit(doc.set_activation, k - 1, n)
        return menu, actions

    def _activation_menu_at(self, k: int, button: ButtonItem) -> None:
        menu, actions = self.activation_menu(k)
        shown = self._view.mapFromScene(button.sceneBoundingRect()).boundingRect()
        menu.setMinimumWidth(shown.width())
        corner = shown.bottomLeft()
        self._run(menu, actions, self._view.viewport().mapToGlobal(corner))

    def _run(self, menu: QMenu, actions: dict[QAction, Callable], global_pos) -> None:
        chosen = menu.exec(global_pos)
        menu.deleteLater()
        handler = actions.get(chosen)
        if handler is not None:
            handler()

    def _layer_actions(self, menu: QMenu, k: int, actions: dict) -> None:
        """Every edit of column ``k``: activation, bias, neurons, layers, restoring."""
        net = self._doc.network
        last = len(net.sizes) - 1
        editor, doc = self._editor, self._doc

        add = _menu_adder(menu, actions)

        if k >= 1:
            sub, sub_actions = self.activation_menu(k, menu)
            menu.addMenu(sub)
            actions.update(sub_actions)
            bias = add("Bias", lambda: editor.toggle_bias(k))
            bias.setCheckable(True)
            bias.setChecked(net.layers[k - 1].use_bias)
        if 0 < k < last:
            add("Add neuron", lambda: editor.edit(doc.add_neuron, k))
            add("Remove last neuron", lambda: editor.edit(doc.remove_neuron, k))
            add("Remove layer", lambda: editor.edit(doc.remove_layer, k))
        menu.addSeparator()
        if k >= 1:
            add("Add layer before", lambda: editor.edit(doc.add_layer, k))
        if k < last:
            add("Add layer after", lambda: editor.edit(doc.add_layer, k + 1))
        into = [k - 1] if k >= 1 else []
        out_of = [k] if k < last else []
        removed = [i for i in into + out_of if not net.layers[i].mask.all()]
        add(
            "Restore all connections",
            lambda: editor.restore_all(into + out_of),
            enabled=bool(removed),
        )

    def _column_title(self, k: int) -> str:
        last = len(self._doc.network.sizes) - 1
        return "Input layer" if k == 0 else "Output layer" if k == last else f"Hidden layer {k}"
