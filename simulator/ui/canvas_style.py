"""Styling the canvas's items: a Display's values as pens, faces and tooltips (at once, or stage
by stage as a phase's wave), each neuron's map of its output over the input plane, the bundles'
summaries, and the marks that lessons and the gradient check put on items.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from functools import partial

import numpy as np
from PySide6.QtCore import QEasingCurve, QObject, QVariantAnimation
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsItem

from simulator.app import numbers
from simulator.app.document import Document
from simulator.app.numbers import count, fmt
from simulator.ui.canvas_display import Display, finite_max
from simulator.ui.canvas_items import (
    NEURON_DECIMALS,
    PEN_LEVELS,
    ConnectionBatch,
    Theme,
    map_images,
    map_lut,
    pen_levels,
)
from simulator.ui.canvas_layout import SceneItems

# Bounded activations colour their maps on a fixed range; the others by the column's largest.
# Activations with a fixed range: their maps use it, so a map's colour means the same value
# everywhere (the others scale to the largest value shown).
MAP_RANGE = {
    "sigmoid": (0.0, 1.0),
    "softmax": (0.0, 1.0),
    "step": (0.0, 1.0),
    "gaussian": (0.0, 1.0),
    "tanh": (-1.0, 1.0),
    "softsign": (-1.0, 1.0),
    "sine": (-1.0, 1.0),
}


def edge_tip(label: str, value: float, weight: float, name: str) -> str:
    """A connection's tooltip: the value shown (and its weight, if that is not the weight)."""
    if label == "w":
        return f"w = {fmt(value)}  ({name})"
    return f"{label} = {fmt(value)}  ({name})\nw = {fmt(weight)}"


class ItemStyler(QObject):
    """Puts a Display on the items of ``items``: each connection's pen and tooltip, each
    neuron's face and tooltip, all at once or stage by stage as a wave that lights each stage
    up and fades it (never blocking); also each neuron's map and the bundles' tooltips."""

    def __init__(self, document: Document, items: SceneItems, parent: QObject | None = None):
        super().__init__(parent)
        self._doc = document
        self._items = items
        self.shown: Display | None = None  # what the items show (or a wave brings)
        self._theme: Theme | None = None
        self._lut: np.ndarray | None = None
        self._pens: dict[float, tuple] = {}  # widest pen -> pen_levels(), for this theme
        self._wave: Display | None = None  # the animated display and how far it got
        self._wave_done = 0
        self._glowing: list = []
        self._wave_anim = QVariantAnimation(self)
        self._wave_anim.setStartValue(0.0)
        self._wave_anim.setEasingCurve(QEasingCurve.Type.Linear)
        self._wave_anim.valueChanged.connect(self._on_wave_value)
        self._wave_anim.finished.connect(self.finish_wave)

    def reset(self, theme: Theme) -> None:
        """The items are about to be rebuilt in ``theme``: a running wave stops with them."""
        self._wave = None  # its items are gone
        self._glowing = []
        self._wave_anim.stop()
        self._theme = theme
        self._lut = map_lut(theme.background)
        self._pens = {}

    @property
    def waving(self) -> bool:
        """A wave is running."""
        return self._wave is not None

    def apply(self, shown: Display) -> None:
        """Show ``shown`` on every item at once."""
        self.shown = shown
        for i in range(len(self._items.layer_items)):
            self.apply_layer(shown, i)
        for k in range(len(self._items.column_items)):
            self.apply_column(shown, k)

    def apply_layer(self, shown: Display, i: int) -> None:
        """Restyle the drawn connections of weight layer ``i`` by ``shown``."""
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
        if items[0].batch() is None:  # new items: one batch draws the layer
            ConnectionBatch(items, items[0].parentItem())
        rows = zip(items, values, weights, removed, names, levels)
        # Tooltips are written when wanted (partial): fmt for every connection of every
        # frame cost more than drawing them.
        for item, value, w, gone, name, level in rows:
            if gone:
                item.set_value(0.0, scale, True, f"removed: {name}\nclick to restore", width)
                continue
            pen = pens[0 if value >= 0 else 1][level]
            item.set_pen(value, pen, partial(edge_tip, label, value, w, name))

    def apply_column(self, shown: Display, k: int) -> None:
        """Restyle the drawn neurons of column ``k`` by ``shown``."""
        values = shown.nodes[k]
        scale, label = shown.node_scales[k], shown.node_label
        items = self._items.column_items[k]
        # The column's labels share one style: 0.00 beside 0.22, never 2×10⁻³ beside it.
        decimals = (
            None
            if values is None
            else numbers.label_decimals(
                (float(values[item.index]) for item in items), NEURON_DECIMALS
            )
        )
        for item in items:
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
                tip = f"{name}: b = {fmt(v)}"
            elif label == "a":
                what = "x" if k == 0 else "a"
                tip = f"{name}: {what} = {fmt(v)} (mean over the batch)"
            elif label == "δ":
                tip = f"{name}: δ = dL/dz = {fmt(v)} (batch mean; also dL/db)"
            else:
                tip = f"{name}: {label} = {fmt(v)} (just applied)"
            item.set_value(v, scale, tip, numbers.label(v, decimals))

    # ----------------------------------------------------------------- the phase's wave
    def start_wave(self, shown: Display, duration: int) -> None:
        """Fill the columns stage by stage (a forward or backward pass) over ``duration`` ms."""
        self.shown = shown
        self._wave = shown
        self._wave_done = 0
        for k in range(len(self._items.column_items)):
            self.apply_column(dataclasses.replace(shown, nodes=[None] * len(shown.nodes)), k)
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
                self.apply_layer(shown, layer)
            self.apply_column(shown, column)
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

    def finish_wave(self) -> None:
        """The end state at once: every stage applied, no glow."""
        shown = self._wave
        if shown is None:
            return
        self._wave = None
        self._wave_anim.stop()
        for layer, column in shown.stages[self._wave_done :]:
            if layer is not None:
                self.apply_layer(shown, layer)
            self.apply_column(shown, column)
        self._wave_done = len(shown.stages)
        self._set_glow(0.0)

    # ----------------------------------------------------------------- maps and bundles
    def draw_maps(self, snap) -> None:
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
                    bounds = MAP_RANGE.get(net.layers[k - 1].activation)
                    if bounds is not None:
                        lo, hi = bounds
                        t = (drawn - (lo + hi) / 2) / ((hi - lo) / 2)
                    else:
                        t = drawn / (finite_max(values) or 1.0)
            for item, image in zip(items, map_images(t, shape, self._lut)):
                item.set_map(image)

    def describe_bundles(self, weights: list) -> None:
        """Each bundle's tooltip: its layer's connections summarised from ``weights``."""
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
                f"{count(layer.fan_in)} × {count(layer.fan_out)} = {count(total)} connections "
                f"({count(drawn)} drawn one by one)\nmean |w| = {fmt(mean)}, "
                f"largest |w| = {fmt(largest)}, removed: {count(removed)}"
            )


class ItemMarks:
    """The marks that owners (a lesson, the gradient check) put on items: a ring on a neuron,
    a halo on a connection, kept per owner and put back on the items of a rebuilt scene."""

    def __init__(self, items: SceneItems):
        self._items = items
        self._marks: dict[str, tuple[list, list, QColor]] = {}

    def put(
        self,
        owner: str,
        neurons: Iterable[tuple[int, int]],
        connections: Iterable[tuple[int, int, int]],
        colour: str | QColor,
    ) -> None:
        """``owner``'s marks are now ``neurons`` and ``connections`` in ``colour``."""
        self._marks[owner] = (list(neurons), list(connections), QColor(colour))
        self.apply()

    def clear(self, owner: str | None = None) -> None:
        """Remove ``owner``'s marks (None: everyone's)."""
        if owner is None:
            self._marks.clear()
        else:
            self._marks.pop(owner, None)
        self.apply()

    def marked(self) -> list[QGraphicsItem]:
        """The neuron and connection items carrying a mark now."""
        items = [*self._items.neurons.values(), *self._items.connections.values()]
        return [item for item in items if item.mark() is not None]

    def apply(self) -> None:
        """Put every owner's marks on the items drawn now (the last owner's colour wins)."""
        wanted: dict[QGraphicsItem, QColor] = {}
        for neurons, connections, colour in self._marks.values():
            for k, j in neurons:
                item = self._items.neurons.get((k, j))
                if item is not None:
                    wanted[item] = colour
            for i, r, c in connections:
                item = self._items.connections.get((i, r, c))
                if item is not None:
                    wanted[item] = colour
        for item in [*self._items.neurons.values(), *self._items.connections.values()]:
            item.set_mark(wanted.get(item))
