"""The loss landscape of a network: its loss on a 2-D slice (or a 1-D line) through weights.

After Li, Xu, Taylor, Studer and Goldstein (2018), "Visualizing the Loss Landscape of Neural
Nets": the loss L(θ + α·d₁ + β·d₂) over a grid of (α, β), where θ are the network's weights
and d₁, d₂ directions in weight space, either

* random and **filter-normalised**: each neuron's incoming weights (a column of W, the
  "filter" of a fully connected layer) get a Gaussian direction scaled to that column's norm,
  so that the picture does not depend on the weights' scale; biases are not moved (the
  paper's choice for biases and batch-norm parameters); or
* the first two **principal directions of the training trajectory** (the weights at earlier
  steps minus the final ones), onto which the trajectory itself is projected.

Weights travel as one flat vector: every layer's W (row-major) then its b, layer after layer
(:func:`flatten` / :func:`unflatten`).  The loss is the data loss on the given set with dropout
off (``Network.evaluate``), without the L1/L2 penalty.  No Qt here; the app runs
:func:`surface_from_spec` on chunks of rows in worker processes (which receive the network as
plain data, :func:`network_spec`) and reports the rows as they come.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from simulator.engine.network import Network


# ----------------------------------------------------------------------------- weights
def flatten(weights: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Per layer (W, b) as one float64 vector: W₀ row-major, b₀, W₁, b₁, ..."""
    parts = []
    for w, b in weights:
        parts.append(np.asarray(w, dtype=float).ravel())
        parts.append(np.asarray(b, dtype=float).ravel())
    return np.concatenate(parts) if parts else np.zeros(0)


def unflatten(vector: np.ndarray, like: Sequence[tuple[np.ndarray, np.ndarray]]) -> list:
    """The inverse of :func:`flatten` for weights shaped as ``like``."""
    vector = np.asarray(vector, dtype=float)
    size = sum(w.size + b.size for w, b in like)
    if vector.shape != (size,):
        raise ValueError(f"the vector has {vector.size} entries; the weights have {size}")
    out, at = [], 0
    for w, b in like:
        w_new = vector[at : at + w.size].reshape(w.shape)
        at += w.size
        b_new = vector[at : at + b.size].reshape(b.shape)
        at += b.size
        out.append((w_new.astype(w.dtype), b_new.astype(b.dtype)))
    return out


def filter_normalized_direction(net, rng: np.random.Generator) -> np.ndarray:
    """A random direction with each column of every W scaled to that column's norm (a column
    of zeros stays zero) and zeros for the biases; flat, as :func:`flatten`."""
    parts = []
    for layer in net.layers:
        w = np.asarray(layer.weights, dtype=float)
        d = rng.standard_normal(w.shape)
        d_norms = np.linalg.norm(d, axis=0)
        w_norms = np.linalg.norm(w, axis=0)
        d *= np.divide(w_norms, d_norms, out=np.zeros_like(w_norms), where=d_norms > 0)
        parts.append(d.ravel())
        parts.append(np.zeros(np.asarray(layer.bias).size))
    return np.concatenate(parts)


@dataclass(frozen=True)
class TrajectoryPlane:
    """The plane of a training trajectory's first two principal directions, through its last
    point.  ``directions`` (2, P) are orthonormal; ``coordinates`` (n, 2) the trajectory's
    points projected on them (the last at (0, 0)); ``explained`` the share of the trajectory's
    variance each direction carries."""

    center: np.ndarray
    directions: np.ndarray
    coordinates: np.ndarray
    explained: tuple[float, float]


def trajectory_plane(trajectory: Sequence[np.ndarray]) -> TrajectoryPlane:
    """PCA of ``trajectory`` (flat weight vectors in order, the current weights last) about its
    last point, as Li et al. do.  Needs at least three points that do not all coincide."""
    points = np.asarray(trajectory, dtype=float)
    if points.ndim != 2 or len(points) < 3:
        raise ValueError("a trajectory plane needs at least three points of the same size")
    center = points[-1]
    moves = points - center
    _, s, vt = np.linalg.svd(moves, full_matrices=False)
    if s.size < 2 or s[1] <= 1e-12 * max(s[0], 1e-300):
        raise ValueError("the trajectory has moved along one line only: no plane to show")
    directions = vt[:2]
    total = float(np.sum(s**2))
    explained = (float(s[0] ** 2 / total), float(s[1] ** 2 / total))
    return TrajectoryPlane(center, directions, moves @ directions.T, explained)


# ----------------------------------------------------------------------------- slices
def loss_at(net, X, Y, vector: np.ndarray, like: Sequence) -> float:
    """The data loss of ``net`` with its weights set to ``vector`` (changes ``net``)."""
    net.set_weights(unflatten(vector, like))
    return float(net.evaluate(X, Y))


def slice_rows(
    net, X, Y, center: np.ndarray, d1: np.ndarray, d2: np.ndarray, alphas, betas
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (i, row) with row[j] = L((center + betas[i]·d2) + alphas[j]·d1), row by row, so a
    caller can report progress and stop between rows.  Works on a copy of ``net``."""
    work = net.copy()
    like = work.get_weights()
    alphas = np.asarray(alphas, dtype=float)
    for i, beta in enumerate(np.asarray(betas, dtype=float)):
        base = center + beta * d2
        row = np.array([loss_at(work, X, Y, base + alpha * d1, like) for alpha in alphas])
        yield i, row


def surface(net, X, Y, center, d1, d2, alphas, betas) -> np.ndarray:
    """The whole grid of :func:`slice_rows`: values[i, j] at (alphas[j], betas[i])."""
    values = np.empty((len(betas), len(alphas)))
    for i, row in slice_rows(net, X, Y, center, d1, d2, alphas, betas):
        values[i] = row
    return values


def line(net, X, Y, center: np.ndarray, direction: np.ndarray, ts) -> np.ndarray:
    """L(center + t·direction) for each t (e.g. the last update Δ: t = 0 before it... 1 after
    it, when center holds the weights before it).  Works on a copy of ``net``."""
    work = net.copy()
    like = work.get_weights()
    return np.array([loss_at(work, X, Y, center + t * direction, like) for t in ts])


# ----------------------------------------------------------------------------- other processes
def network_spec(net) -> dict:
    """What :func:`network_from_spec` needs to rebuild ``net`` for evaluation, as plain data
    (new lists and copied arrays, picklable): ``sizes``, ``activations``, ``loss``, ``dtype``,
    per layer ``use_bias``, ``masks`` (fan_in, fan_out) bool and ``weights`` [(W, b), ...].
    Dropout, the penalties and the RNGs are left out: the loss here is ``Network.evaluate``'s."""
    return {
        "sizes": list(net.sizes),
        "activations": list(net.activations),
        "loss": net.loss,
        "dtype": net.dtype.name,
        "use_bias": [bool(layer.use_bias) for layer in net.layers],
        "masks": [layer.mask.copy() for layer in net.layers],
        "weights": net.get_weights(),
    }


def network_from_spec(spec: dict) -> Network:
    """A new Network from :func:`network_spec`'s data: ``evaluate`` gives the same values as
    the network it describes."""
    net = Network(
        spec["sizes"],
        spec["activations"],
        loss=spec["loss"],
        dtype=spec["dtype"],
        use_bias=list(spec["use_bias"]),
    )
    for layer, mask in zip(net.layers, spec["masks"]):
        layer.mask = np.array(mask, dtype=bool)
    net.set_weights(spec["weights"])
    return net


def surface_from_spec(spec: dict, X, Y, center, d1, d2, alphas, betas) -> np.ndarray:
    """:func:`surface` of the network ``spec`` describes (:func:`network_spec`): what a worker
    process runs on its share of the rows; values (len(betas), len(alphas)).  Far from the
    weights a loss may overflow: it is inf there, without a warning on the worker's stderr."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        return surface(network_from_spec(spec), X, Y, center, d1, d2, alphas, betas)


def line_from_spec(spec: dict, X, Y, center, direction, ts) -> np.ndarray:
    """:func:`line` of the network ``spec`` describes (:func:`network_spec`); (len(ts),)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        return line(network_from_spec(spec), X, Y, center, direction, ts)
