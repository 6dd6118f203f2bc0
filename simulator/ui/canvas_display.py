"""What the canvas's items show: a Display (one value per connection and per neuron, what they
mean, and in which stages a phase's wave reveals them), made from the document's network or a
training snapshot, and the legend's words for it.  Plain data: nothing here touches an item.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from simulator.app.document import Document


@dataclass
class Display:
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


def finite_max(values: np.ndarray) -> float:
    """max |values| over the finite entries (0 if none)."""
    a = np.abs(values)
    a = a[np.isfinite(a)]
    return float(a.max()) if a.size else 0.0


def weights_display(layers: list, weights: list, biases: list, title: str) -> Display:
    """``weights`` and ``biases`` (one per layer of ``layers``, the network drawn), each layer
    against its own largest."""
    return Display(
        kind="weights",
        edges=list(weights),
        edge_label="w",
        edge_scales=[finite_max(w[la.mask]) for w, la in zip(weights, layers)],
        nodes=[None] + [b if la.use_bias else None for b, la in zip(biases, layers)],
        node_label="b",
        node_scales=[0.0]
        + [finite_max(b) if la.use_bias else 0.0 for b, la in zip(biases, layers)],
        title=title,
    )


def document_display(layers: list, values: list | None, label: str) -> Display:
    """The network's own weights and biases; or ``values`` (one (fan_in, fan_out) array per
    weight layer, named ``label``) on the connections."""
    weights = [la.weights for la in layers]
    biases = [la.bias for la in layers]
    if values is None:
        return weights_display(layers, weights, biases, "Weights and biases")
    shown = weights_display(layers, weights, biases, f"Connections show {label}")
    shown.kind, shown.edge_label, shown.edges = "values", label, list(values)
    shown.edge_scales = [finite_max(v) for v in values]
    return shown


def snapshot_weights(snap, layers: list, title: str) -> Display:
    """The weights and biases of training snapshot ``snap``."""
    return weights_display(
        layers, [w for w, _ in snap.weights], [b for _, b in snap.weights], title
    )


def forward_display(snap, layers: list) -> Display:
    """The forward pass of ``snap``: mean activations column by column, left to right."""
    shown = snapshot_weights(snap, layers, "Forward pass: values flow left to right")
    shown.kind = "forward"
    shown.nodes = [snap.inputs.mean(axis=0)] + [a.mean(axis=0) for a in snap.activations]
    shown.node_label = "a"
    shown.node_scales = [finite_max(v) for v in shown.nodes]
    shown.stages = [(None, 0)] + [(i, i + 1) for i in range(len(snap.activations))]
    return shown


def gradient_display(snap, layers: list, kind: str, title: str) -> Display:
    """dL/dw on the connections and δ on the neurons, both against the network's largest:
    a layer whose gradients vanish looks thin next to the others.  ``kind`` "backward" comes
    in stages, right to left; "gradients" all at once."""
    edges = [dw for dw, _ in snap.gradients]
    edge_max = max(finite_max(dw[la.mask]) for dw, la in zip(edges, layers))
    # The engine's δ rows carry the batch's 1/n (L is the batch's mean loss), so their sum
    # is the batch mean of each sample's own dℓ/dz, which is also dL/db.
    nodes = [None] + [d.sum(axis=0) for d in snap.deltas]
    node_max = max(finite_max(v) for v in nodes[1:])
    shown = Display(
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


def update_display(snap, layers: list) -> Display:
    """The update of ``snap``: Δw and Δb just applied, against the network's largest."""
    edges = [dw for dw, _ in snap.updates]
    edge_max = max(finite_max(dw[la.mask]) for dw, la in zip(edges, layers))
    nodes = [None] + [db if la.use_bias else None for (_, db), la in zip(snap.updates, layers)]
    node_max = max([finite_max(v) for v in nodes[1:] if v is not None] or [0.0])
    return Display(
        "update",
        edges,
        "Δw",
        [edge_max] * len(edges),
        nodes,
        "Δb",
        [node_max] * len(nodes),
        title="Update: gradient descent just moved every weight",
    )


# ----------------------------------------------------------------- the legend's words
EDGE_WORDS = {
    "w": ("weight w", "|w|, relative to the layer's largest"),
    "dL/dw": ("gradient dL/dw", "|dL/dw|, relative to the network's largest"),
    "Δw": ("change Δw just applied", "|Δw|, relative to the network's largest"),
}
NODE_WORDS = {
    "b": "the bias b (dashed rim: the layer has no bias)",
    "a": "the activation a = f(z), mean over the batch (inputs: x)",
    "δ": "δ = dL/dz, mean over the batch (= dL/db)",
    "Δb": "the change Δb just applied to the bias",
}
NEXT_WORDS = {
    "forward": "Forward (inputs flow through the layers)",
    "backward": "Backward (backpropagation computes every gradient)",
    "update": "Update (gradient descent moves the weights)",
}


def plane_axes(document: Document) -> tuple[str, str]:
    """The names of the input plane's axes: x1 and x2, or an imported file's columns."""
    try:
        labels = document.data.column_labels
    except ValueError:
        labels = []
    return (labels[0], labels[1]) if len(labels) == 2 else ("x1", "x2")


def legend_rows(shown: Display, axes: tuple[str, str] | None, snap) -> list[tuple[str, str]]:
    """The legend's rows (key, text) for ``shown``: one per kind of item, the maps' row if
    ``axes`` (the input plane's) are given, and what comes next if a snapshot ``snap`` is."""
    label = shown.edge_label
    what, thickness = EDGE_WORDS.get(label, (label, f"|{label}|, relative to the layer's largest"))
    # One line per kind of item, so the legend stays short in a short canvas.
    rows = [
        (
            "edges",
            f"Connections show the {what}: blue > 0, orange < 0; thickness ∝ {thickness}",
        ),
        ("nodes", f"Neurons show {NODE_WORDS[shown.node_label]}"),
    ]
    if axes is not None:
        across, up = axes
        rows.append(
            (
                "maps",
                f"Maps show each neuron's output over the input plane ({across} →, {up} ↑)",
            )
        )
    if snap is not None:
        if snap.playing:
            rows.append(("next", "Every step runs forward, backward and update"))
        else:
            rows.append(("next", f"Next: {NEXT_WORDS.get(snap.phase, snap.phase)}"))
    return rows
