"""The open project as one Qt model object (no widgets).

Views listen to its signals and change it only through its methods.  Every change is a
QUndoCommand on ``undo_stack``, so every edit can be undone and marks the document modified.
A command stores the document's state before and after the edit (the project's settings and a
copy of the engine network), which keeps undo exact for every kind of edit, trained weights
included.
"""

from __future__ import annotations

import copy
import dataclasses
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
from simulator.engine.network import Network
from simulator.project import DEFAULT_EXAMPLE, Project, ProjectData, load_example
from simulator.project import weights as _weights
from simulator.project.project import DataSpec

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


@dataclasses.dataclass
class _State:
    project: Project  # settings; its weights are not used (the network holds them)
    network: Network


class _EditCommand(QUndoCommand):
    """Swaps the document between two stored states."""

    def __init__(
        self,
        doc: Document,
        text: str,
        before: _State,
        after: _State,
        kinds: set,
        merge_key: str | None,
    ):
        super().__init__(text)
        self._doc = doc
        self._before = before
        self._after = after
        self._kinds = kinds
        self._merge_key = merge_key
        self._skip_first_redo = True  # the edit is already applied when pushed

    def id(self) -> int:  # noqa: A003 - Qt's name
        return -1 if self._merge_key is None else hash(self._merge_key) & 0x7FFFFFFF

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        if not isinstance(other, _EditCommand) or other._merge_key != self._merge_key:
            return False
        self._after = other._after
        self._kinds |= other._kinds
        return True

    def redo(self) -> None:
        if self._skip_first_redo:
            self._skip_first_redo = False
            return
        self._doc._restore(self._after, self._kinds)

    def undo(self) -> None:
        self._doc._restore(self._before, self._kinds)


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
    def _snapshot(self) -> _State:
        return _State(copy.deepcopy(self._project), self._network.copy())

    def _restore(self, state: _State, kinds: set) -> None:
        self._project = copy.deepcopy(state.project)
        if NETWORK in kinds or DATA in kinds:
            self._network = state.network.copy()
        # else: the edit never touched the network (optimizer, learning rate, schedule, batch,
        # clipping): the live network, which training goes on changing, stays as it is.
        self._emit(kinds)

    def _emit(self, kinds: set) -> None:
        if NETWORK in kinds:
            self.network_changed.emit()
        if DATA in kinds:
            self.data_changed.emit()
        if SETTINGS in kinds:
            self.settings_changed.emit()

    def _edit(
        self, text: str, change: Callable[[], None], kinds: set, merge_key: str | None = None
    ) -> None:
        """Run ``change`` on the live project/network as one undoable command.

        If ``change`` raises, the document is left exactly as it was and the error propagates
        (the views show its message).
        """
        self.about_to_edit.emit()
        live = self._network
        before = self._snapshot()
        try:
            change()
            self._sync_project_network()
        except Exception:
            self._project = before.project
            if not _same_network(live, before.network):
                # The refused change had begun on the network: the copy taken before it
                # becomes the document's network, and the views (and training) are told.
                self._network = before.network
                self.network_changed.emit()
            else:
                self._network = live  # untouched: training goes on with the same object
            raise
        after = self._snapshot()
        self.undo_stack.push(_EditCommand(self, text, before, after, set(kinds), merge_key))
        self._emit(kinds)

    def _sync_project_network(self) -> None:
        # Keep the project's architecture and loss in step with the network, and check the
        # whole project as a file would be checked (sizes against the data, names, ranges).
        synced = self._project.with_weights(self._network)
        self._project = synced.replace(weights=None, history=None, step_count=0)

    def _data_spec_key(self) -> str:
        spec = self._project.data
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
            lambda: self._network.insert_layer(k, size, activation),
            {NETWORK},
        )

    def remove_layer(self, k: int) -> None:
        """Remove hidden neuron layer ``k``."""
        self._check_hidden(k)
        self._edit("Remove layer", lambda: self._network.remove_layer(k), {NETWORK})

    def _check_size(self, size: int) -> None:
        if not 1 <= size <= MAX_NEURONS:
            raise ValueError(f"a layer can have 1 to {MAX_NEURONS} neurons, not {size}")

    def add_neuron(self, k: int, index: int | None = None) -> None:
        """Add a neuron to hidden layer ``k`` (inputs follow the features, outputs the data)."""
        self._check_editable_column(k)
        self._check_size(self._network.sizes[k] + 1)
        self._edit("Add neuron", lambda: self._network.add_neuron(k, index), {NETWORK})

    def remove_neuron(self, k: int, index: int | None = None) -> None:
        """Remove neuron ``index`` (default: the last) of hidden layer ``k``."""
        self._check_editable_column(k)
        size = self._network.sizes[k]
        if size <= 1:
            raise ValueError("a layer needs at least one neuron: remove the layer instead")
        index = size - 1 if index is None else int(index)
        self._edit("Remove neuron", lambda: self._network.remove_neuron(k, index), {NETWORK})

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
        self._edit(text, lambda: self._network.set_connection(i, r, c, enabled), {NETWORK})

    def restore_all_connections(self, i: int) -> None:
        layer = self._network.layers[i]
        removed = np.argwhere(~layer.mask)
        if not len(removed):
            return

        def change():
            for r, c in removed:
                self._network.set_connection(i, int(r), int(c), True)

        self._edit("Restore all connections", change, {NETWORK})

    def set_activation(self, i: int, name: str) -> None:
        """Change weight layer ``i``'s activation (neuron layer i + 1)."""
        _activations.get(name)
        if self._network.layers[i].activation == name:
            return
        self._edit(f"Activation {name}", lambda: self._network.set_activation(i, name), {NETWORK})

    def set_use_bias(self, i: int, on: bool) -> None:
        if self._network.layers[i].use_bias == bool(on):
            return
        text = "Bias on" if on else "Bias off"
        self._edit(text, lambda: self._network.set_use_bias(i, bool(on)), {NETWORK})

    def set_weight(self, i: int, r: int, c: int, value: float) -> None:
        self._edit("Set weight", lambda: self._network.set_weight(i, r, c, value), {NETWORK})

    def set_bias(self, i: int, j: int, value: float) -> None:
        self._edit("Set bias", lambda: self._network.set_bias(i, j, value), {NETWORK})

    # ----------------------------------------------------------------- data
    def set_dataset(self, name: str) -> None:
        """Switch data set; the input and output layers (and, for a new task, the output
        activation and loss) adapt in the same undoable step."""
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
                    net.add_neuron(0)
                    current.append(feature)
            for idx in reversed(range(len(current))):
                if current[idx] not in spec.features:
                    net.remove_neuron(0, idx)
                    del current[idx]
            spec = dataclasses.replace(spec, features=current)
        else:
            self._resize_column(0, spec.network_inputs)
        # Outputs: one unit for binary/regression, K for K classes.
        self._resize_column(len(net.layers), spec.output_size)
        task = spec.task
        if task != old_task:
            activation, loss = TASK_DEFAULTS[task]
            net.set_activation(len(net.layers) - 1, activation)
            net.loss = loss
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
            net.add_neuron(k)
        while net.sizes[k] > size:
            net.remove_neuron(k, net.sizes[k] - 1)

    # ----------------------------------------------------------------- settings
    def set_loss(self, loss: str) -> None:
        _losses.check(loss)
        if loss == self._network.loss:
            return

        def change():
            self._network.loss = loss

        self._edit(f"Loss {loss}", change, {SETTINGS, NETWORK})

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

        def change():
            setattr(self._network, key, rate)

        self._edit(f"{key.upper()} rate", change, {SETTINGS, NETWORK}, merge_key=key)

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

    def set_dropout(self, rate: float) -> None:
        """The dropout rate of every hidden layer."""
        rate = float(rate)
        if not 0 <= rate < 1:
            raise ValueError("dropout must be in [0, 1)")
        layers = self._network.layers[:-1]
        if all(layer.dropout == rate for layer in layers):
            return

        def change():
            for layer in layers:
                layer.dropout = rate

        self._edit("Dropout", change, {SETTINGS, NETWORK}, merge_key="dropout")

    def set_init(self, name: str, params: dict | None = None) -> None:
        """Change the initialiser; the weights are drawn afresh from the seed (undoable)."""
        full = _initializers.check(name, params)

        def change():
            self._network.init = name
            self._network.init_params = full
            self._network.reinitialize()

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
            self._network.seed = seed
            self._network.reinitialize()

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
        self._edit(
            f"Load {label}", lambda: _weights.apply_weights(self._network, layers), {NETWORK}
        )

    def reset_weights(self) -> None:
        """Fresh initial weights from the seed (undoable)."""
        self._edit("Reset weights", self._network.reinitialize, {NETWORK})


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
