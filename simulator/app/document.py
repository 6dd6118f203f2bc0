"""The open project as one Qt model object (no widgets).

Views listen to its signals and change it only through its methods.  Every change is a
QUndoCommand on ``undo_stack``, so every edit can be undone and marks the document modified.
A command holds the project's settings before and after the edit (swapped whole) and, for the
network, the edit's inverse as a list of small ops (:class:`_NetworkOp`) applied to the live
network: undoing "add a neuron" removes that neuron and keeps every weight that training has
changed since.  Each op, applied, returns the op that takes it back, holding what it removed
or overwrote, so Redo re-applies the edit with the values the network had when it was undone.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import hashlib
import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from simulator.engine import activations as _activations
from simulator.engine import datasets as _datasets
from simulator.engine import initializers as _initializers
from simulator.engine import losses as _losses
from simulator.engine import optimizers as _optimizers
from simulator.engine import schedules as _schedules
from simulator.engine.network import Layer, Network
from simulator.project import DEFAULT_EXAMPLE, Project, ProjectData, load_example
from simulator.project import weights as _weights
from simulator.project.project import DataSpec, DrawnPoints

MAX_HIDDEN_LAYERS = 10
MAX_NEURONS = 1024
DEFAULT_LAYER_SIZE = 4
UNDO_LIMIT = 200

# The output layer and loss a task starts with when the data set changes task.
TASK_DEFAULTS = {
    "binary": ("sigmoid", "bce"),
    "multiclass": ("softmax", "cross_entropy"),
    "regression": ("linear", "mse"),
}

NETWORK, DATA, SETTINGS = "network", "data", "settings"
LENGTH = "length"  # the project's length (training.steps / epochs): where Play stops


class _NetworkOp:
    """One invertible change to a network.

    ``apply(net)`` makes the change on ``net`` (the live network) and returns the op that takes
    it back, holding copies of what the change removed or overwrote as they were at that moment
    (trained values included).  Ops with a ``key`` set one thing outright (an attribute, or
    every weight): when commands merge, the oldest such op of a key is the one Undo needs.
    """

    key: object = None

    def apply(self, net: Network) -> _NetworkOp:
        raise NotImplementedError


@dataclasses.dataclass
class _NeuronParams:
    """A neuron's own parameters: its incoming column of weight layer k-1 (weights, mask) and
    bias, and its outgoing row of weight layer k (weights, mask); None where it has no such
    side (inputs have no incoming side, outputs no outgoing one)."""

    w_in: np.ndarray | None
    m_in: np.ndarray | None
    b_in: float
    w_out: np.ndarray | None
    m_out: np.ndarray | None

    @classmethod
    def of(cls, net: Network, k: int, j: int) -> _NeuronParams:
        w_in = m_in = w_out = m_out = None
        b_in = 0.0
        if k > 0:
            layer = net.layers[k - 1]
            w_in, m_in, b_in = layer.weights[:, j].copy(), layer.mask[:, j].copy(), layer.bias[j]
        if k < len(net.layers):
            layer = net.layers[k]
            w_out, m_out = layer.weights[j].copy(), layer.mask[j].copy()
        return cls(w_in, m_in, b_in, w_out, m_out)


class _InsertNeuron(_NetworkOp):
    """Put a neuron at index ``j`` of neuron layer ``k``: fresh weights from the engine's
    initialiser (``params`` None: the user's "add neuron") or the given ones (undoing a
    removal, redoing an addition)."""

    def __init__(self, k: int, j: int | None = None, params: _NeuronParams | None = None):
        self.k, self.j, self.params = k, j, params

    def apply(self, net: Network) -> _NetworkOp:
        k, p = self.k, self.params
        if p is None:
            return _RemoveNeuron(k, net.add_neuron(k, self.j))
        # The engine's add_neuron draws new weights; these go back as they were.
        j = self.j
        if k > 0:
            layer = net.layers[k - 1]
            layer.weights = np.insert(layer.weights, j, p.w_in, axis=1)
            layer.bias = np.insert(layer.bias, j, p.b_in)
            layer.mask = np.insert(layer.mask, j, p.m_in, axis=1)
        if k < len(net.layers):
            layer = net.layers[k]
            layer.weights = np.insert(layer.weights, j, p.w_out, axis=0)
            layer.mask = np.insert(layer.mask, j, p.m_out, axis=0)
        return _RemoveNeuron(k, j)


class _RemoveNeuron(_NetworkOp):
    def __init__(self, k: int, j: int):
        self.k, self.j = k, j

    def apply(self, net: Network) -> _NetworkOp:
        params = _NeuronParams.of(net, self.k, self.j)
        net.remove_neuron(self.k, self.j)
        return _InsertNeuron(self.k, self.j, params)


@dataclasses.dataclass
class _LayerParams:
    """Everything of one weight layer (the arrays copied)."""

    weights: np.ndarray
    bias: np.ndarray
    mask: np.ndarray
    activation: str
    use_bias: bool
    dropout: float

    @classmethod
    def of(cls, layer: Layer) -> _LayerParams:
        return cls(
            layer.weights.copy(),
            layer.bias.copy(),
            layer.mask.copy(),
            layer.activation,
            layer.use_bias,
            layer.dropout,
        )

    def build(self) -> Layer:
        return Layer(
            self.weights.copy(),
            self.bias.copy(),
            self.activation,
            self.mask.copy(),
            self.use_bias,
            self.dropout,
        )


class _InsertLayer(_NetworkOp):
    """Put a hidden layer at neuron layer ``k``: weight layer k-1 (the direct connection
    k-1 -> k) becomes the new layer's outgoing side, and its incoming side goes in before it.

    ``saved`` None: the user's "add layer", new weights from the engine; else (incoming layer,
    outgoing weights, outgoing mask) as they were when the layer was removed.  The direct
    connection matrix this replaces is what the returned op puts back.
    """

    def __init__(
        self,
        k: int,
        size: int = 0,
        activation: str = "",
        saved: tuple[_LayerParams, np.ndarray, np.ndarray] | None = None,
    ):
        self.k, self.size, self.activation, self.saved = k, size, activation, saved

    def apply(self, net: Network) -> _NetworkOp:
        k = self.k
        direct = net.layers[k - 1]
        replaced = (direct.weights.copy(), direct.mask.copy())
        if self.saved is None:
            net.insert_layer(k, self.size, self.activation)
        else:
            incoming, w_out, m_out = self.saved
            direct.weights, direct.mask = w_out.copy(), m_out.copy()
            net.layers.insert(k - 1, incoming.build())
        return _RemoveLayer(k, replaced)


class _RemoveLayer(_NetworkOp):
    """Take hidden neuron layer ``k`` out: its incoming and outgoing sides merge into one
    connection k-1 -> k+1 that keeps the outgoing side's bias, activation and switches (they
    belong to neuron layer k+1), with new weights from the engine (``merged`` None: the user's
    "remove layer") or the given (weights, mask) (undoing an insertion: the connection as it
    was before the layer went in)."""

    def __init__(self, k: int, merged: tuple[np.ndarray, np.ndarray] | None = None):
        self.k, self.merged = k, merged

    def apply(self, net: Network) -> _NetworkOp:
        k = self.k
        incoming, outgoing = net.layers[k - 1], net.layers[k]
        saved = (_LayerParams.of(incoming), outgoing.weights.copy(), outgoing.mask.copy())
        if self.merged is None:
            net.remove_layer(k)
        else:
            outgoing.weights, outgoing.mask = (a.copy() for a in self.merged)
            del net.layers[k - 1]
        return _InsertLayer(k, saved=saved)


class _SetConnection(_NetworkOp):
    """Remove or restore connection r -> c of weight layer ``i``; a restored one takes
    ``weight`` (None: a fresh draw, the user's "restore connection")."""

    def __init__(self, i: int, r: int, c: int, enabled: bool, weight: float | None = None):
        self.i, self.r, self.c, self.enabled, self.weight = i, r, c, enabled, weight

    def apply(self, net: Network) -> _NetworkOp:
        layer = net.layers[self.i]
        was = bool(layer.mask[self.r, self.c]), float(layer.weights[self.r, self.c])
        net.set_connection(self.i, self.r, self.c, self.enabled, self.weight)
        return _SetConnection(self.i, self.r, self.c, *was)


class _SetParameter(_NetworkOp):
    """One weight (``index`` (r, c)) or bias (``index`` (j,)) of weight layer ``i``."""

    def __init__(self, i: int, index: tuple[int, ...], value: float):
        self.i, self.index, self.value = i, index, value

    def apply(self, net: Network) -> _NetworkOp:
        layer = net.layers[self.i]
        if len(self.index) == 2:
            old = float(layer.weights[self.index])
            net.set_weight(self.i, *self.index, self.value)
        else:
            old = float(layer.bias[self.index])
            net.set_bias(self.i, *self.index, self.value)
        return _SetParameter(self.i, self.index, old)


class _SetUseBias(_NetworkOp):
    """Weight layer ``i``'s bias switch.  Switching off zeroes the bias, so the op that
    switches it back on holds the values it had (``bias``)."""

    def __init__(self, i: int, on: bool, bias: np.ndarray | None = None):
        self.i, self.on, self.bias = i, on, bias

    def apply(self, net: Network) -> _NetworkOp:
        layer = net.layers[self.i]
        was = _SetUseBias(self.i, layer.use_bias, layer.bias.copy())
        net.set_use_bias(self.i, self.on)
        if self.on and self.bias is not None:
            layer.bias[...] = self.bias
        return was


class _SetNetworkAttribute(_NetworkOp):
    """A network setting: loss, l1, l2, seed, init, init_params (weights untouched)."""

    def __init__(self, name: str, value):
        self.name, self.value = name, value
        self.key = ("network", name)

    def apply(self, net: Network) -> _NetworkOp:
        old = copy.copy(getattr(net, self.name))
        setattr(net, self.name, copy.copy(self.value))
        return _SetNetworkAttribute(self.name, old)


class _SetLayerAttribute(_NetworkOp):
    """Weight layer ``i``'s activation or dropout rate (weights untouched)."""

    def __init__(self, i: int, name: str, value):
        self.i, self.name, self.value = i, name, value
        self.key = ("layer", i, name)

    def apply(self, net: Network) -> _NetworkOp:
        layer = net.layers[self.i]
        old = getattr(layer, self.name)
        setattr(layer, self.name, self.value)
        return _SetLayerAttribute(self.i, self.name, old)


class _ReplaceWeights(_NetworkOp):
    """Edits that replace every weight by design (reset, re-initialise, a new seed, load
    weights) are undone by a snapshot: Undo gives back every weight, bias and mask from before
    the edit.  Training since the edit started from the new weights, so none of it maps back
    onto the old ones; the structure is the same on both sides, so nothing else changes.

    ``change(net)`` replaces the weights; the returned op puts the snapshot back.
    """

    key = "weights"

    def __init__(self, change: Callable[[Network], None]):
        self.change = change

    def apply(self, net: Network) -> _NetworkOp:
        saved = [(la.weights.copy(), la.bias.copy(), la.mask.copy()) for la in net.layers]
        self.change(net)
        return _ReplaceWeights(functools.partial(_weights.apply_weights, layers=saved))


def _apply_ops(ops: list[_NetworkOp], net: Network) -> list[_NetworkOp]:
    """Apply ``ops`` in order; returns the ops that take them back, in the order to apply."""
    inverse = [op.apply(net) for op in ops]
    inverse.reverse()
    return inverse


def _merge_ops(later: list[_NetworkOp], earlier: list[_NetworkOp]) -> list[_NetworkOp]:
    """The undo ops of two merged commands: ``later``'s (undone first), then ``earlier``'s.

    When every op sets one keyed thing outright (dragging the seed or L2 spin box), a later
    op whose key the earlier command also restores is dropped, so a long merge holds one
    snapshot, not one per value passed through.
    """
    if all(op.key is not None for op in (*later, *earlier)):
        keys = {op.key for op in earlier}
        later = [op for op in later if op.key not in keys]
    return later + earlier


class _EditCommand(QUndoCommand):
    """One edit: the project's settings before and after it (swapped whole) and the ops that
    take its network changes back on the live network (:class:`_NetworkOp`); undoing them
    gives the ops that redo it, holding the values the network had at the undo."""

    def __init__(
        self,
        doc: Document,
        text: str,
        before: Project,
        after: Project,
        undo_ops: list[_NetworkOp],
        kinds: set,
        merge_key: str | None,
    ):
        super().__init__(text)
        self._doc = doc
        self._before = before
        self._after = after
        self._undo_ops = undo_ops
        self._redo_ops: list[_NetworkOp] = []
        self._kinds = kinds
        self._merge_key = merge_key
        self._skip_first_redo = True  # the edit is already applied when pushed

    def id(self) -> int:
        return -1 if self._merge_key is None else hash(self._merge_key) & 0x7FFFFFFF

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        if not isinstance(other, _EditCommand) or other._merge_key != self._merge_key:
            return False
        self._after = other._after
        self._undo_ops = _merge_ops(other._undo_ops, self._undo_ops)
        self._kinds |= other._kinds
        return True

    def redo(self) -> None:
        if self._skip_first_redo:
            self._skip_first_redo = False
            return
        self._undo_ops = self._doc._apply_command(self._after, self._redo_ops, self._kinds)
        self._redo_ops = []

    def undo(self) -> None:
        self._redo_ops = self._doc._apply_command(self._before, self._undo_ops, self._kinds)
        self._undo_ops = []


def _same_network(a: Network, b: Network) -> bool:
    """Whether two networks have the same structure, settings and parameters."""
    if a.sizes != b.sizes or a.activations != b.activations or a.loss != b.loss:
        return False
    if (a.l1, a.l2, a.dtype) != (b.l1, b.l2, b.dtype):
        return False
    for la, lb in zip(a.layers, b.layers, strict=True):
        if la.use_bias != lb.use_bias or la.dropout != lb.dropout:
            return False
        if not (
            np.array_equal(la.mask, lb.mask)
            and np.array_equal(la.weights, lb.weights)
            and np.array_equal(la.bias, lb.bias)
        ):
            return False
    return True


class Document(QObject):
    """The open project: engine network, data, settings, file path and modified flag."""

    network_changed = Signal()  # structure or weights of the network changed
    data_changed = Signal()  # data set, features, noise, split or seed changed
    settings_changed = Signal()  # loss, optimizer, schedule, batch, regularization, init...
    length_changed = Signal()  # the project's steps/epochs (changes nothing training does)
    modified_changed = Signal(bool)
    path_changed = Signal(object)  # Path | None
    project_replaced = Signal()  # New / Open: everything changed
    about_to_edit = Signal()  # an undoable edit is about to run (the controller leaves rewinding)

    def __init__(
        self,
        project: Project | None = None,
        path: str | Path | None = None,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(UNDO_LIMIT)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self._data: ProjectData | None = None
        self._data_key: str | None = None
        self._digests: dict[int, tuple[np.ndarray, str]] = {}
        self._project: Project
        self._network: Network
        self._path: Path | None = None
        self._saved_training: Project | None = None
        self._replacing = False
        self._undo_ops: list[_NetworkOp] | None = None  # while an edit runs: its undo ops
        self._set_project(project or load_example(DEFAULT_EXAMPLE), path)

    # ----------------------------------------------------------------- reading
    @property
    def network(self) -> Network:
        """The engine network (views read it; they change it only through this document)."""
        return self._network

    @property
    def project(self) -> Project:
        """The project's settings (the weights live in :attr:`network`)."""
        return self._project

    @property
    def data(self) -> ProjectData:
        """The generated data, split and with its features applied (built on demand)."""
        key = self._data_spec_key()
        if self._data is None or key != self._data_key:
            self._data = self._project.build_data()
            self._data_key = key
        return self._data

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def saved_training(self) -> Project | None:
        """The project as opened when it held trained weights (its step count, history and
        trainer state): the training controller resumes that run.  None for an untrained one."""
        return self._saved_training

    @property
    def is_replacing(self) -> bool:
        """True while New/Open announces the new project (project_replaced, then
        network_changed, data_changed and settings_changed): handlers of the later signals
        need not redo what project_replaced did."""
        return self._replacing

    @property
    def display_name(self) -> str:
        """What the title bar shows: the file name, else the project's name."""
        if self._path is not None:
            return self._path.name
        return self._project.name or "Untitled"

    @property
    def task(self) -> str:
        return self._project.data.task

    def learning_rate(self) -> float:
        return float(self.optimizer_params().get("lr", self._optimizer_class().defaults()["lr"]))

    def optimizer_params(self) -> dict:
        """The optimizer's parameters with its defaults filled in."""
        params = self._optimizer_class().defaults()
        params.update(self._project.optimizer.params)
        return params

    def _optimizer_class(self):
        return _optimizers.OPTIMIZERS[self._project.optimizer.name]

    def to_project(self) -> Project:
        """The whole project as it would be saved: settings plus the network and its weights."""
        return self._project.with_weights(self._network)

    # ----------------------------------------------------------------- files
    def new_project(self) -> None:
        """Start over with the default example, untitled (not undoable; asks nothing)."""
        project = load_example(DEFAULT_EXAMPLE)
        self._set_project(dataclasses.replace(project, name="Untitled"), None)

    def open(self, path: str | Path) -> None:
        """Load the project file ``path``; a ProjectError leaves the document unchanged."""
        project = Project.load(path)
        self._set_project(project, Path(path))

    def open_project(self, project: Project, path: str | Path | None = None) -> None:
        self._set_project(project, path)

    def save(self, path: str | Path | None = None, project: Project | None = None) -> Path:
        """Write the project (with weights) to ``path`` or its own path, atomically.

        ``project``: what to write (the training controller's capture of the run, with its
        history and trainer state); by default :meth:`to_project`.
        """
        target = Path(path) if path is not None else self._path
        if target is None:
            raise ValueError("the project has no file yet: choose one with Save As")
        (project if project is not None else self.to_project()).save(target)
        if target != self._path:
            self._path = target
            self.path_changed.emit(target)
        self.undo_stack.setClean()
        return target

    def _set_project(self, project: Project, path: str | Path | None) -> None:
        network = project.build_network()
        self._saved_training = project if project.weights is not None else None
        self._project = project.without_weights()
        self._network = network
        self._data = None
        self._path = Path(path) if path is not None else None
        self.undo_stack.clear()
        self.path_changed.emit(self._path)
        self._replacing = True
        try:
            self.project_replaced.emit()
            self.network_changed.emit()
            self.data_changed.emit()
            self.settings_changed.emit()
        finally:
            self._replacing = False
        self.modified_changed.emit(False)

    def _on_clean_changed(self, clean: bool) -> None:
        self.modified_changed.emit(not clean)

    # ----------------------------------------------------------------- the edit machinery
    def _apply_command(self, project: Project, ops: list[_NetworkOp], kinds: set) -> list:
        """Undo or redo: the stored settings come back whole; ``ops`` change the live network
        (an edit that never touched it, such as the optimizer or the noise, has none: the
        network training goes on changing stays as it is).  Returns the ops that take this
        back."""
        self._project = copy.deepcopy(project)
        inverse = _apply_ops(ops, self._network)
        self._emit(kinds)
        return inverse

    def _emit(self, kinds: set) -> None:
        if NETWORK in kinds:
            self.network_changed.emit()
        if DATA in kinds:
            self.data_changed.emit()
        if SETTINGS in kinds:
            self.settings_changed.emit()
        if LENGTH in kinds:
            self.length_changed.emit()

    def _change_network(self, op: _NetworkOp) -> None:
        """Changes the live network by ``op``, as part of the edit under way (:meth:`_edit`
        keeps the op that takes it back for Undo)."""
        if self._undo_ops is None:
            raise RuntimeError("the network changes only inside an undoable edit")
        self._undo_ops.append(op.apply(self._network))

    def _edit(
        self, text: str, change: Callable[[], None], kinds: set, merge_key: str | None = None
    ) -> None:
        """Run ``change`` on the live project/network as one undoable command.

        ``change`` changes the network only through :meth:`_change_network`.  If it raises,
        the document is left exactly as it was and the error propagates (the views show its
        message).
        """
        self.about_to_edit.emit()
        live = self._network
        before = copy.deepcopy(self._project)
        before_network = live.copy()
        self._undo_ops = []
        try:
            change()
            self._sync_project_network()
        except Exception:
            self._project = before
            with contextlib.suppress(Exception):  # if this fails too, the copy below stands in
                _apply_ops(self._undo_ops[::-1], live)  # take back what had begun
            if not _same_network(live, before_network):
                # The refused change left the network other than it was: the copy taken
                # before it becomes the document's network, and the views (and training)
                # are told.
                self._network = before_network
                self.network_changed.emit()
            raise
        finally:
            undo_ops, self._undo_ops = self._undo_ops, None
        undo_ops.reverse()
        after = copy.deepcopy(self._project)
        self.undo_stack.push(
            _EditCommand(self, text, before, after, undo_ops, set(kinds), merge_key)
        )
        self._emit(kinds)

    def _sync_project_network(self) -> None:
        # Keep the project's architecture and loss in step with the network, and check the
        # whole project as a file would be checked (sizes against the data, names, ranges).
        synced = self._project.with_weights(self._network)
        self._project = synced.replace(weights=None, history=None, step_count=0)

    def _data_spec_key(self) -> str:
        spec = self._project.data
        drawn = spec.drawn
        if drawn is not None:
            # The drawn points by content (as inline samples below), the rest as text.
            spec = dataclasses.replace(spec, drawn=None)
            prefix = f"drawn:{self._digest(drawn.X)}:{self._digest(drawn.y)}:{drawn.only}:"
            return prefix + self._spec_key(spec)
        return self._spec_key(spec)

    def _spec_key(self, spec: DataSpec) -> str:
        if spec.is_inline:
            # The samples by content, not by id(): a freed array's id can come back for other
            # data (seen: an import drew the previous import's cached samples).
            rest = dataclasses.replace(spec, X=None, y=None)
            return (
                f"inline:{self._digest(spec.X)}:{self._digest(spec.y)}:{rest}:{self._project.seed}"
            )
        return json.dumps([spec.to_dict(), self._project.data_seed])

    def _digest(self, array: np.ndarray) -> str:
        """A content hash of ``array``, remembered while the array lives (holding it keeps its
        id from being reused)."""
        known = self._digests.get(id(array))
        if known is not None and known[0] is array:
            return known[1]
        data = np.ascontiguousarray(array)
        digest = hashlib.blake2b(data.tobytes(), digest_size=16).hexdigest()
        digest = f"{digest}:{data.dtype}:{data.shape}"
        if len(self._digests) > 16:
            self._digests.clear()
        self._digests[id(array)] = (array, digest)
        return digest

    # ----------------------------------------------------------------- structure
    @property
    def n_hidden(self) -> int:
        return len(self._network.layers) - 1

    def _check_hidden(self, k: int) -> None:
        if not 1 <= k <= self.n_hidden:
            raise ValueError(f"layer {k} is not a hidden layer")

    def add_layer(
        self, k: int | None = None, size: int = DEFAULT_LAYER_SIZE, activation: str | None = None
    ) -> None:
        """Insert a hidden layer as neuron layer ``k`` (default: just before the outputs)."""
        n_layers = len(self._network.layers)
        k = n_layers if k is None else int(k)
        if not 1 <= k <= n_layers:
            raise ValueError(f"a hidden layer can go at positions 1..{n_layers}, not {k}")
        if self.n_hidden >= MAX_HIDDEN_LAYERS:
            raise ValueError(f"the editor allows at most {MAX_HIDDEN_LAYERS} hidden layers")
        self._check_size(size)
        if activation is None:
            hidden = self._network.activations[:-1]
            activation = hidden[min(k, len(hidden)) - 1] if hidden else "tanh"
        _activations.get(activation)
        self._edit(
            "Add layer",
            lambda: self._change_network(_InsertLayer(k, size, activation)),
            {NETWORK},
        )

    def remove_layer(self, k: int) -> None:
        """Remove hidden neuron layer ``k``."""
        self._check_hidden(k)
        self._edit("Remove layer", lambda: self._change_network(_RemoveLayer(k)), {NETWORK})

    def _check_size(self, size: int) -> None:
        if not 1 <= size <= MAX_NEURONS:
            raise ValueError(f"a layer can have 1 to {MAX_NEURONS} neurons, not {size}")

    def add_neuron(self, k: int, index: int | None = None) -> None:
        """Add a neuron to hidden layer ``k`` (inputs follow the features, outputs the data)."""
        self._check_editable_column(k)
        self._check_size(self._network.sizes[k] + 1)
        self._edit("Add neuron", lambda: self._change_network(_InsertNeuron(k, index)), {NETWORK})

    def remove_neuron(self, k: int, index: int | None = None) -> None:
        """Remove neuron ``index`` (default: the last) of hidden layer ``k``."""
        self._check_editable_column(k)
        size = self._network.sizes[k]
        if size <= 1:
            raise ValueError("a layer needs at least one neuron: remove the layer instead")
        index = size - 1 if index is None else int(index)
        self._edit(
            "Remove neuron", lambda: self._change_network(_RemoveNeuron(k, index)), {NETWORK}
        )

    def _check_editable_column(self, k: int) -> None:
        if k == 0:
            raise ValueError("the input layer follows the input features: toggle them in Data")
        if k == len(self._network.layers):
            raise ValueError("the output layer follows the data set's targets")
        self._check_hidden(k)

    def set_connection(self, i: int, r: int, c: int, enabled: bool) -> None:
        """Remove (enabled False) or restore connection r -> c of weight layer ``i``."""
        if bool(self._network.layers[i].mask[r, c]) == bool(enabled):
            return
        text = "Restore connection" if enabled else "Remove connection"
        op = _SetConnection(i, r, c, bool(enabled))
        self._edit(text, lambda: self._change_network(op), {NETWORK})

    def restore_all_connections(self, i: int) -> None:
        layer = self._network.layers[i]
        removed = np.argwhere(~layer.mask)
        if not len(removed):
            return

        def change():
            for r, c in removed:
                self._change_network(_SetConnection(i, int(r), int(c), True))

        self._edit("Restore all connections", change, {NETWORK})

    def set_activation(self, i: int, name: str) -> None:
        """Change weight layer ``i``'s activation (neuron layer i + 1)."""
        _activations.get(name)
        if self._network.layers[i].activation == name:
            return
        op = _SetLayerAttribute(i, "activation", name)
        self._edit(f"Activation {name}", lambda: self._change_network(op), {NETWORK})

    def set_use_bias(self, i: int, on: bool) -> None:
        if self._network.layers[i].use_bias == bool(on):
            return
        text = "Bias on" if on else "Bias off"
        self._edit(text, lambda: self._change_network(_SetUseBias(i, bool(on))), {NETWORK})

    def set_weight(self, i: int, r: int, c: int, value: float) -> None:
        op = _SetParameter(i, (r, c), value)
        self._edit("Set weight", lambda: self._change_network(op), {NETWORK})

    def set_bias(self, i: int, j: int, value: float) -> None:
        op = _SetParameter(i, (j,), value)
        self._edit("Set bias", lambda: self._change_network(op), {NETWORK})

    # ----------------------------------------------------------------- data
    def set_dataset(self, name: str) -> None:
        """Switch data set; the input and output layers (and, for a new task, the output
        activation and loss) adapt in the same undoable step.  Drawn points stay when they fit
        the new data set (the same inputs and kind of target, see :func:`drawn_fits`)."""
        if name not in _datasets.DATASETS:
            raise ValueError(f"unknown data set {name!r}")
        if name == self._project.data.dataset:
            return
        info = _datasets.DATASETS[name]

        def change():
            old = self._project.data
            features = list(old.features) if info.input_dim == 2 else []
            if info.input_dim == 2 and (old.is_inline or old.input_dim != 2 or not features):
                features = list(_datasets.DEFAULT_FEATURES)
            new_spec = dataclasses.replace(
                old,
                dataset=name,
                n_samples=None,
                X=None,
                y=None,
                kind=None,
                class_names=None,
                feature_names=None,
                target_name=None,
                standardization=None,
                features=features,
                drawn=old.drawn if drawn_fits(old, info) else None,
            )
            self._adapt_to_data(new_spec, old.task)

        self._edit(f"Data set {info.title}", change, {NETWORK, DATA, SETTINGS})

    def set_features(self, features: list[str]) -> None:
        """Choose the input features (2-D data); the input layer follows, keeping the weights
        of the features that stay."""
        features = list(_datasets.check_features(features))
        spec = self._project.data
        if spec.input_dim != 2:
            raise ValueError("input features apply to 2-D data only")
        if features == list(spec.features):
            return
        self._edit(
            "Input features",
            lambda: self._adapt_to_data(dataclasses.replace(spec, features=features), spec.task),
            {NETWORK, DATA},
        )

    def set_noise(self, noise: float) -> None:
        self._set_data_field("Noise", merge_key="noise", noise=float(noise))

    def set_test_ratio(self, ratio: float) -> None:
        self._set_data_field("Train/test split", merge_key="test_ratio", test_ratio=float(ratio))

    def set_n_samples(self, n: int) -> None:
        self._set_data_field("Samples", merge_key="n_samples", n_samples=int(n))

    def regenerate(self) -> None:
        """Draw new data: a new data seed (undoable)."""
        self._set_data_field("Regenerate data", seed=self._project.data_seed + 1)

    # ----------------------------------------------------------------- drawn points
    def add_points(self, X, y) -> None:
        """Add samples drawn on the data plot, always training samples, as one undoable step
        ("Draw 5 points"): ``X`` (m, d) raw inputs (d: the data's width, 1 or 2), ``y`` (m,)
        class indices (0/1 for binary) or regression targets.  ValueError if they do not fit
        the data (the message says why)."""
        spec = self._project.data
        if not spec.drawable:
            raise ValueError(
                f"points can be drawn on 1-D or 2-D data; this data has {spec.input_dim} inputs"
            )
        X = np.array(X, dtype=np.float64).reshape(-1, spec.input_dim)
        y = np.array(y, dtype=np.float64).reshape(-1)
        if len(X) != len(y):
            raise ValueError(f"{len(X)} drawn points but {len(y)} labels")
        if not len(X):
            return
        if spec.task == "multiclass":
            y = y.astype(np.int64)
        old = spec.drawn
        if old is not None:
            X = np.concatenate([old.X, X])
            y = np.concatenate([old.y, y.astype(old.y.dtype)])
        m = len(X) - (0 if old is None else len(old))
        text = "Draw a point" if m == 1 else f"Draw {m:,} points"
        self._set_data_field(text, drawn=DrawnPoints(X, y, old is not None and old.only))

    def remove_points(self, indices) -> None:
        """Remove drawn points ``indices`` (positions among the drawn points, as in
        ``data.drawn_rows``) as one undoable step.  When none are left, so is "only the drawn
        points": the generated samples come back."""
        old = self._project.data.drawn
        n = 0 if old is None else len(old)
        indices = np.unique(np.asarray(list(indices), dtype=np.intp))
        if not len(indices):
            return
        if indices[0] < 0 or indices[-1] >= n:
            raise ValueError(f"no drawn point {int(indices[-1])}: there are {n}")
        keep = np.setdiff1d(np.arange(n), indices)
        drawn = DrawnPoints(old.X[keep], old.y[keep], old.only) if len(keep) else None
        text = "Erase a point" if len(indices) == 1 else f"Erase {len(indices):,} points"
        self._set_data_field(text, drawn=drawn)

    def clear_drawn(self) -> None:
        """Remove every drawn point (undoable); the generated samples are used again."""
        if self._project.data.drawn is not None:
            self._set_data_field("Clear drawn points", drawn=None)

    def set_drawn_only(self, only: bool) -> None:
        """Train on the drawn points alone (True), leaving the generated (or imported) samples
        out, or on all of them (undoable).  ValueError when there are no drawn points."""
        drawn = self._project.data.drawn
        if drawn is None:
            if not only:
                return
            raise ValueError("draw some points first: then the generated samples can go")
        if drawn.only == bool(only):
            return
        text = "Only the drawn points" if only else "Generated samples back"
        self._set_data_field(text, drawn=dataclasses.replace(drawn, only=bool(only)))

    def _set_data_field(self, text: str, merge_key: str | None = None, **changes) -> None:
        spec = self._project.data
        if all(getattr(spec, k) == v for k, v in changes.items()):
            return
        new_spec = dataclasses.replace(spec, **changes)

        def change():
            self._project = self._project.replace(data=new_spec)

        self._edit(text, change, {DATA}, merge_key=merge_key)

    def _adapt_to_data(self, spec, old_task: str) -> None:
        """Changes the network so its inputs and outputs fit ``spec``; installs ``spec``."""
        net = self._network
        old = self._project.data
        # Inputs: follow the features by name where both are 2-D (the weights of features that
        # stay are kept; new ones are appended), else rebuild the column.
        if spec.input_dim == 2 and old.input_dim == 2:
            current = list(old.features)
            for feature in spec.features:
                if feature not in current:
                    self._change_network(_InsertNeuron(0))
                    current.append(feature)
            for idx in reversed(range(len(current))):
                if current[idx] not in spec.features:
                    self._change_network(_RemoveNeuron(0, idx))
                    del current[idx]
            spec = dataclasses.replace(spec, features=current)
        else:
            self._resize_column(0, spec.network_inputs)
        # Outputs: one unit for binary/regression, K for K classes.
        self._resize_column(len(net.layers), spec.output_size)
        task = spec.task
        if task != old_task:
            activation, loss = TASK_DEFAULTS[task]
            self._change_network(_SetLayerAttribute(len(net.layers) - 1, "activation", activation))
            self._change_network(_SetNetworkAttribute("loss", loss))
        self._project = dataclasses.replace(self._project, data=spec, loss=net.loss)

    def import_data(self, spec: DataSpec, label: str = "data") -> None:
        """Replace the data with the inline samples ``spec`` (from Data ▸ Import CSV); the
        input and output layers (and, for a new task, the output activation and loss) adapt in
        the same undoable step.  ``label`` is the file's name: it names the step in the Undo
        menu ("Import iris.csv"), the project ("iris") and its description ("Imported from
        iris.csv: 150 rows, 4 features, 3 classes (standardised)")."""
        if not spec.is_inline:
            raise ValueError("import_data takes inline data (DataSpec with X and y)")
        old_task = self._project.data.task
        name = Path(label).stem or label
        description = import_description(spec, label)

        def change():
            self._adapt_to_data(spec, old_task)
            self._project = dataclasses.replace(self._project, name=name, description=description)

        self._edit(f"Import {label}", change, {NETWORK, DATA, SETTINGS})

    def _resize_column(self, k: int, size: int) -> None:
        net = self._network
        while net.sizes[k] < size:
            self._change_network(_InsertNeuron(k))
        while net.sizes[k] > size:
            self._change_network(_RemoveNeuron(k, net.sizes[k] - 1))

    # ----------------------------------------------------------------- settings
    def set_loss(self, loss: str) -> None:
        _losses.check(loss)
        if loss == self._network.loss:
            return

        op = _SetNetworkAttribute("loss", loss)
        self._edit(f"Loss {loss}", lambda: self._change_network(op), {SETTINGS, NETWORK})

    def set_optimizer(self, name: str) -> None:
        """Switch optimizer, keeping the learning rate; its other parameters start at defaults."""
        cls = _optimizers.OPTIMIZERS.get(name)
        if cls is None:
            raise ValueError(f"unknown optimizer {name!r}")
        if name == self._project.optimizer.name:
            return
        lr = self.learning_rate()

        def change():
            spec = dataclasses.replace(self._project.optimizer, name=name, params={"lr": lr})
            self._project = self._project.replace(optimizer=spec)

        self._edit(f"Optimizer {name}", change, {SETTINGS})

    def set_optimizer_param(self, key: str, value) -> None:
        """Set one parameter of the current optimizer (checked by building it)."""
        params = dict(self._project.optimizer.params)
        if params.get(key) == value:
            return
        params[key] = value
        _optimizers.make(self._project.optimizer.name, **params)  # raises a clear ValueError

        def change():
            spec = dataclasses.replace(self._project.optimizer, params=params)
            self._project = self._project.replace(optimizer=spec)

        self._edit(f"Optimizer {key}", change, {SETTINGS}, merge_key=f"opt:{key}")

    def set_learning_rate(self, lr: float) -> None:
        self.set_optimizer_param("lr", float(lr))

    def set_schedule(self, name: str, params: dict | None = None) -> None:
        _schedules.make(name, **(params or {}))
        spec = dataclasses.replace(self._project.schedule, name=name, params=dict(params or {}))
        if spec == self._project.schedule:
            return

        def change():
            self._project = self._project.replace(schedule=spec)

        self._edit("Schedule", change, {SETTINGS}, merge_key="schedule")

    def set_batch_size(self, size: int | None) -> None:
        """None: full batch; 1: stochastic; B: mini-batches of B."""
        if size is not None and (int(size) < 1):
            raise ValueError("the batch size must be at least 1")
        # Typing a mini-batch size is one undo step; each switch of batch mode is its own.
        old = self._project.training.batch_size
        merge = size is not None and int(size) > 1 and old is not None and old > 1
        self._set_training("Batch size", "batch_size", None if size is None else int(size), merge)

    def set_l1(self, rate: float) -> None:
        self._set_regularization("l1", rate)

    def set_l2(self, rate: float) -> None:
        self._set_regularization("l2", rate)

    def _set_regularization(self, key: str, rate: float) -> None:
        rate = float(rate)
        if not math.isfinite(rate) or rate < 0:
            raise ValueError(f"the {key.upper()} rate must be a number >= 0")
        if getattr(self._network, key) == rate:
            return

        op = _SetNetworkAttribute(key, rate)
        self._edit(
            f"{key.upper()} rate", lambda: self._change_network(op), {SETTINGS, NETWORK}, key
        )

    def set_clip_norm(self, max_norm: float | None) -> None:
        if max_norm is not None and not (math.isfinite(max_norm) and max_norm > 0):
            raise ValueError("gradient clipping needs a norm > 0 (or off)")
        self._set_training("Gradient clipping", "clip_norm", max_norm)

    def _set_training(self, text: str, key: str, value, merge: bool = True) -> None:
        if getattr(self._project.training, key) == value:
            return
        spec = dataclasses.replace(self._project.training, **{key: value})

        def change():
            self._project = self._project.replace(training=spec)

        self._edit(text, change, {SETTINGS}, merge_key=key if merge else None)

    def set_length(self, steps: int | None = None, epochs: float | None = None) -> None:
        """How long the project trains (``train``'s default, where Play stops): ``steps``
        or ``epochs``, or neither (undoable; the trainer is not touched)."""
        if steps is not None and epochs is not None:
            raise ValueError("give steps or epochs, not both")
        training = self._project.training
        if (training.steps, training.epochs) == (steps, epochs):
            return
        spec = dataclasses.replace(training, steps=steps, epochs=epochs)

        def change():
            self._project = self._project.replace(training=spec)

        self._edit("Training length", change, {LENGTH}, merge_key="length")

    def set_dropout(self, rate: float) -> None:
        """The dropout rate of every hidden layer."""
        rate = float(rate)
        if not 0 <= rate < 1:
            raise ValueError("dropout must be in [0, 1)")
        hidden = range(len(self._network.layers) - 1)
        if all(self._network.layers[i].dropout == rate for i in hidden):
            return

        def change():
            for i in hidden:
                self._change_network(_SetLayerAttribute(i, "dropout", rate))

        self._edit("Dropout", change, {SETTINGS, NETWORK}, merge_key="dropout")

    def set_init(self, name: str, params: dict | None = None) -> None:
        """Change the initialiser; the weights are drawn afresh from the seed (undoable)."""
        full = _initializers.check(name, params)

        def change():
            self._change_network(_SetNetworkAttribute("init", name))
            self._change_network(_SetNetworkAttribute("init_params", full))
            self._change_network(_ReplaceWeights(Network.reinitialize))

        self._edit(f"Initialiser {name}", change, {SETTINGS, NETWORK})

    def set_seed(self, seed: int) -> None:
        """Change the seed; the initial weights (and data, if it follows the seed) are redrawn."""
        seed = int(seed)
        if seed < 0:
            raise ValueError("the seed must be >= 0")
        if seed == self._project.seed:
            return

        def change():
            self._project = self._project.replace(seed=seed)
            self._change_network(_SetNetworkAttribute("seed", seed))
            self._change_network(_ReplaceWeights(Network.reinitialize))

        self._edit("Seed", change, {SETTINGS, NETWORK, DATA}, merge_key="seed")

    def load_weights(self, layers: list, label: str = "weights") -> None:
        """Put loaded (weights, bias, mask) arrays, one triple per weight layer (as
        ``project.weights.load_weights`` reads them), into the network: one undoable step.

        The shapes must match the network's; otherwise a ValueError names the first layer that
        does not, and nothing changes.  Masks load with the weights (removed connections follow
        the file); activations, loss and the rest of the network stay as they are.
        """
        problem = weights_mismatch(self._network, layers)
        if problem is not None:
            raise ValueError(problem)
        op = _ReplaceWeights(functools.partial(_weights.apply_weights, layers=layers))
        self._edit(f"Load {label}", lambda: self._change_network(op), {NETWORK})

    def reset_weights(self) -> None:
        """Fresh initial weights from the seed (undoable)."""
        op = _ReplaceWeights(Network.reinitialize)
        self._edit("Reset weights", lambda: self._change_network(op), {NETWORK})


def drawn_fits(spec: DataSpec, info: _datasets.DatasetInfo) -> bool:
    """Whether ``spec``'s drawn points make sense on the data set ``info``: samples as wide,
    the same kind of target and, for classes, as many."""
    return (
        spec.drawn is not None
        and spec.input_dim == info.input_dim
        and spec.task == info.kind
        and len(spec.class_names_or_default) == len(info.class_names)
    )


def import_description(spec: DataSpec, source: str) -> str:
    """ "Imported from iris.csv: 150 rows, 4 features, 3 classes (standardised)"."""
    n, d = spec.X.shape
    if spec.kind == "regression":
        target = f"target {spec.target_name!r}" if spec.target_name else "a numeric target"
    else:
        target = f"{spec.output_size if spec.kind == 'multiclass' else 2} classes"
    scaled = " (standardised)" if spec.standardization is not None else ""
    features = f"{d} feature{'s' if d != 1 else ''}"
    return f"Imported from {source}: {n:,} rows, {features}, {target}{scaled}"


def layer_name(sizes: list[int], k: int) -> str:
    """Neuron layer ``k`` of a network with ``sizes``: "input", "hidden 2" or "output"."""
    if k == 0:
        return "input"
    return "output" if k == len(sizes) - 1 else f"hidden {k}"


def weights_mismatch(net: Network, layers: list) -> str | None:
    """Why ``layers`` (weights, bias, mask triples) cannot load into ``net``, else None.

    Names the first weight layer whose shape differs, as the canvas numbers them:
    "layer 2 (hidden 1 → output): the file has 8×1 weights, the network has 8×2".
    """
    if not layers:
        return "the file holds no layers"
    sizes = list(net.sizes)
    file_sizes = [np.shape(layers[0][0])[0]] + [np.shape(w)[1] for w, _, _ in layers]
    for i, layer in enumerate(net.layers):
        want = layer.weights.shape
        got = np.shape(layers[i][0]) if i < len(layers) else None
        if got == want:
            continue
        where = f"layer {i + 1} ({layer_name(sizes, i)} → {layer_name(sizes, i + 1)})"
        have = "no such layer" if got is None else f"{got[0]}×{got[1]} weights"
        message = f"{where}: the file has {have}, the network has {want[0]}×{want[1]}"
        break
    else:
        if len(layers) == len(net.layers):
            return None
        extra = len(net.layers)
        got = np.shape(layers[extra][0])
        message = (
            f"layer {extra + 1}: the file has {got[0]}×{got[1]} weights, "
            f"the network has no layer {extra + 1}"
        )
    if len(layers) != len(net.layers):
        message += (
            f" (the file's network is {'–'.join(map(str, file_sizes))}, "
            f"this one {'–'.join(map(str, sizes))})"
        )
    return message
