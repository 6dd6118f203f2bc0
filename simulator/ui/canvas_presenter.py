"""What the canvas shows, and when: the document's weights and biases (or values given instead),
or the snapshots of an attached TrainingController — the phase that just ran (forward:
activations flowing left to right; backward: dL/dw and δ = dL/dz flowing right to left; update:
Δw, then the new weights), or while playing the weights or the gradients (the mode).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from simulator.app.document import Document
from simulator.ui.canvas_display import (
    Display,
    document_display,
    forward_display,
    gradient_display,
    legend_rows,
    plane_axes,
    snapshot_weights,
    update_display,
)
from simulator.ui.canvas_layout import SceneItems, Structure
from simulator.ui.canvas_style import ItemStyler

MODES = ("weights", "gradients")  # what the connections show while playing
FORWARD_MS = 600  # the forward pass's wave, input column to output column
BACKWARD_MS = 600  # the backward pass's wave, output column back to the inputs
SETTLE_MS = 700  # after a whole step: Δw is shown this long, then the new weights


class CanvasPresenter(QObject):
    """Chooses the Display the styler puts on the items: the document's values, or the
    attached controller's snapshots (a phase's wave, Δw settling into the new weights, the mode
    while playing), and gives the legend its title and rows through ``show_legend(title,
    rows)``.  ``rebuild()`` is called when a snapshot shows the scene is out of date."""

    mode_changed = Signal(str)  # "weights" | "gradients"

    def __init__(
        self,
        document: Document,
        items: SceneItems,
        styler: ItemStyler,
        rebuild: Callable[[], None],
        show_legend: Callable[[str, list], None],
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self._doc = document
        self._items = items
        self._styler = styler
        self._rebuild = rebuild
        self._show_legend = show_legend
        self._values: list[np.ndarray] | None = None  # set_display_values' arrays
        self._values_label = "w"
        self._controller = None
        self._mode = "weights"
        self._snapshot = None  # the last snapshot drawn
        self._pause_pending = False  # the controller paused: its next snapshot shows the mode
        self._after_play = False  # the snapshot drawn came while playing, or with the pause
        self._settle_timer = QTimer(self)
        self._settle_timer.setSingleShot(True)
        self._settle_timer.setInterval(SETTLE_MS)
        self._settle_timer.timeout.connect(self._on_settle)
        self._refresh_timer = QTimer(self)  # after a rebuild: ask the controller for a snapshot
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self._on_refresh)

    def maps_wanted(self) -> bool:
        """Each neuron gets a map: attached to a controller, on 2-D data."""
        if self._controller is None:
            return False
        try:
            return self._doc.data.dataset.input_dim == 2
        except ValueError:
            return False

    # ----------------------------------------------------------------- the document's values
    def show_values(self, values: list[np.ndarray] | None, label: str = "w") -> None:
        """``values`` (one (fan_in, fan_out) array per weight layer) on the connections
        instead of the weights; None: the weights."""
        self._values = None if values is None else [np.asarray(v) for v in values]
        self._values_label = "w" if values is None else label
        self.show_document()

    def show_document(self) -> None:
        """Restyle every item from the document (no rebuild): its weights and biases, or the
        values given to :meth:`show_values` while they still fit the network."""
        self.stop_motion()
        layers = self._doc.network.layers
        values = self._values
        if values is not None and [v.shape for v in values] != [la.weights.shape for la in layers]:
            values = self._values = None
        shown = document_display(layers, values, self._values_label)
        self._styler.apply(shown)
        self._update_legend(shown)
        self._styler.describe_bundles([la.weights for la in layers])

    def scene_rebuilt(self) -> None:
        """The items are new: the document's weights on them, then the last snapshot again if
        it still fits (no animation), else a fresh one once the document's signals are in."""
        self._settle_timer.stop()
        self._values = None
        self._values_label = "w"
        snap = self._snapshot if self._controller is not None else None
        if snap is None or not self.fits(snap):
            self.show_document()
            if self._controller is not None and not self._controller.playing:
                self._refresh_timer.start()
            return
        # The last snapshot straight away: styling every item with the document's weights
        # first cost as much again on a big network.
        self.stop_motion()
        self._styler.describe_bundles([la.weights for la in self._doc.network.layers])
        kind = self._mode if self._after_play else snap.shown or "weights"
        self._styler.draw_maps(snap)
        self._show(snap, kind, animate=False)

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
        # A phase run on its own stays on screen until the next one: the mode is for playing.
        if snap is not None and self.fits(snap) and not snap.by_phase:
            self.stop_motion()
            self._show(snap, mode, animate=False)
        self.mode_changed.emit(mode)

    def showing(self) -> str:
        """What the items show now: "weights", "forward", "backward", "update", "gradients"
        (or "values", given to show_values)."""
        shown = self._styler.shown
        return shown.kind if shown is not None else "weights"

    def is_animating(self) -> bool:
        """A phase's wave is running, or an update's Δw has not settled to the weights yet."""
        return self._styler.waving or self._settle_timer.isActive()

    def fits(self, snap) -> bool:
        """The snapshot is of the network the scene draws."""
        shapes = [tuple(w.shape) for w, _ in snap.weights]
        sizes = self._items.sizes
        return shapes == [(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)] and shapes == [
            la.weights.shape for la in self._doc.network.layers
        ]

    def stop_motion(self) -> None:
        """A new picture is coming: a running wave or a pending settle jumps to its end."""
        if self._styler.waving:
            self._styler.finish_wave()
        if self._settle_timer.isActive():
            self._settle_timer.stop()
            self._on_settle()

    def _on_playing_changed(self, playing: bool) -> None:
        # The snapshot that follows a pause shows what playing showed, not an update.
        self._pause_pending = not playing

    def _on_snapshot(self, snap) -> None:
        self._draw(snap, animate=True)

    def _draw(self, snap, animate: bool) -> None:
        self._refresh_timer.stop()  # this snapshot is fresher than the one it would ask for
        if not self.fits(snap):
            if Structure.of(self._doc, self.maps_wanted()) != self._items.structure:
                self._rebuild()  # the document changed and its signal has not reached us yet
            if not self.fits(snap):
                return  # a stale snapshot: a newer one follows
        self._after_play = snap.playing or self._pause_pending
        kind = self._mode if self._after_play else snap.shown or "weights"
        if not snap.playing:
            self._pause_pending = False
        self._snapshot = snap
        self._values = None
        self.stop_motion()
        self._styler.draw_maps(snap)
        self._show(snap, kind, animate and not snap.playing)
        if not snap.playing:
            self._styler.describe_bundles([w for w, _ in snap.weights])

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
        layers = self._doc.network.layers
        if kind == "forward" and snap.activations is not None and snap.inputs is not None:
            shown = forward_display(snap, layers)
        elif (
            kind in ("backward", "gradients")
            and snap.gradients is not None
            and snap.deltas is not None
        ):
            title = (
                "Backward pass: gradients flow right to left"
                if kind == "backward"
                else self._mode_title(snap, "gradients")
            )
            shown = gradient_display(snap, layers, kind, title)
        elif kind == "update" and snap.updates is not None and animate:
            shown = update_display(snap, layers)
        else:
            title = {
                "update": "Weights after the update",
                "gradients": "Weights (no gradients yet: run Backward first)",
            }.get(kind) or self._mode_title(snap, "weights")
            shown = snapshot_weights(snap, layers, title)
        if animate and shown.stages:
            duration = FORWARD_MS if shown.kind == "forward" else BACKWARD_MS
            self._styler.start_wave(shown, duration)
        else:
            self._styler.apply(shown)
            # After a whole step Δw settles into the new weights; after the Update phase on
            # its own it stays until the next phase, for as long as the learner looks at it.
            if animate and shown.kind == "update" and not snap.by_phase:
                self._settle_timer.start()
        self._update_legend(shown)

    def _on_settle(self) -> None:
        snap = self._snapshot
        if snap is None or not self.fits(snap):
            return
        shown = snapshot_weights(snap, self._doc.network.layers, "Weights after the update")
        self._styler.apply(shown)
        self._update_legend(shown)

    def _on_refresh(self) -> None:
        controller = self._controller
        if controller is not None and not controller.playing:
            self._draw(controller.snapshot(), animate=False)

    def _update_legend(self, shown: Display) -> None:
        axes = plane_axes(self._doc) if self._items.maps else None
        snap = self._snapshot if self._controller is not None else None
        self._show_legend(shown.title, legend_rows(shown, axes, snap))
