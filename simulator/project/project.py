"""The project file: one JSON document describing a network, its data and how it trains.

    {"format": "backprop-lab-project", "version": 2,
     "name": "XOR", "description": "...",
     "network": {"sizes": [2, 4, 1], "activations": ["tanh", "sigmoid"], "use_bias": [true, true],
                 "dropout": [0.0, 0.0], "removed": [[0, 1, 3]], "init": "xavier_uniform",
                 "init_params": {}, "dtype": "float64"},
     "loss": "bce",
     "optimizer": {"name": "Adam", "params": {"lr": 0.03}},
     "schedule": {"name": "constant", "params": {}},
     "training": {"batch_size": 10, "l1": 0.0, "l2": 0.0, "clip_norm": null, "eval_every": null,
                  "epochs": 50, "steps": null},
     "data": {"dataset": "xor", "n_samples": 200, "noise": 0.0, "test_ratio": 0.2,
              "features": ["x1", "x2"], "seed": null},
     "seed": 0,
     "weights": [{"weights": [[...], ...], "bias": [...]}, ...],     (optional)
     "history": {"step": {"dtype": "float64", "shape": [n], "base64": "..."}, ...},  (optional)
     "step_count": 0,
     "trainer": {...}}                                      (optional, with the weights)

``trainer`` holds the rest of a run's state, so that training goes on exactly as if it had
never stopped: ``Trainer.state_dict()`` without what the project holds already (the weights,
history, step count, the optimizer's hyper-parameters and the base learning rate)::

    "trainer": {"epoch_base": 0.0, "epoch_base_step": 0,
                "last_good": [{"weights": [[...]], "bias": [...]}, ...] or null,
                "optimizer": {"name": "Adam", "steps": 137, "state": {"layers": [
                    {"weights": {"step": 137.0, "exp_avg": [[...]], "exp_avg_sq": [[...]]},
                     "bias": {...}}, ...]}},
                "batches": {"n": 160, "batch_size": 10, "seed": 0, "epoch": 8,
                            "step_in_epoch": 5, "order": [...],
                            "rng": {"bit_generator": "PCG64",
                                    "state": {"state": <128-bit int>, "inc": <128-bit int>},
                                    "has_uint32": 0, "uinteger": 0}},
                "dropout_rng": {...as batches.rng...},
                "diverged": null, "diverged_at_step": null,
                "history_compaction": {"budget_bytes": ..., "bucket_steps": 0,
                                       "full_resolution_start": 0, "coarsen_due": false}}

Arrays are exact numbers (float64 ``repr``).  Version 1 files (no ``trainer``) still load:
training then resumes from their weights with a fresh optimizer state; they are saved as
version 2.

``history`` holds one entry per column of :class:`~simulator.engine.trainer.History`: ``step``
(required), ``epoch``, ``batch_loss``, ``penalty``, ``lr``, ``train_loss``, ``test_loss``,
``train_accuracy``, ``test_accuracy`` (n values each, one per row; a missing column is all NaN)
and ``grad_norms`` (n rows of L layers' gradient norms, or none).  A column is written as its
float64 bytes, little-endian (IEEE 754 binary64, as NumPy's ``'<f8'``), base64-encoded
(RFC 4648 with padding, no line breaks)::

    "history": {"step":       {"dtype": "float64", "shape": [n],    "base64": "AAAAAAAA8D8..."},
                ...,
                "grad_norms": {"dtype": "float64", "shape": [n, L], "base64": "..."}}

NaN (no value at that row: evaluations between evaluation steps) is stored as NaN, bit for bit;
an infinity is refused.  ``dtype`` is always "float64"; ``shape`` is [n] for the scalar columns
and [n, L] (rows first, C order) for ``grad_norms``, whose n may also be 0 (no norms).  A reader
checks the shape against the base64 text's length before decoding it.  Files written before
(version 1, and the first version 2 files) hold each column as a JSON array instead (NaN as
null, ``grad_norms`` an array of rows); both forms load, and a column may use either.

``data`` may instead hold the samples themselves (``"dataset": "inline"``, with ``X``, ``y`` and
``kind``; optionally ``class_names``, the CSV column names ``feature_names`` (one per column of
``X``) and ``target_name``, and ``standardization``: ``{"means": [...], "stds": [...]}``, one per
column of ``X``, when the import replaced each raw value x by (x - mean) / std, or by x - mean
where std is 0).  Files without the optional fields load as before.

``data`` may also hold points the user drew on the data plot, added to the generated (or
inline) samples and always used for training::

    "drawn": {"X": [[x1, x2], ...], "y": [label or target, ...], "only": false}

``X`` has one row per point, as wide as the data's raw samples (1 or 2 values: drawing needs
1-D or 2-D data); ``y`` one label per point as the data's kind has them (binary 0 or 1, a class
index, or a regression target); ``only`` true trains on the drawn points alone (the generated
or inline samples are left out).  Files without ``drawn`` have no drawn points.

:meth:`Project.from_dict` checks every field and raises one :class:`ProjectError` whose message
starts with the field's path; :meth:`Project.load` prefixes the file name.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import math
import os
from dataclasses import dataclass, field

import numpy as np

from simulator.engine import activations as _activations
from simulator.engine import datasets as _datasets
from simulator.engine import initializers as _initializers
from simulator.engine import losses as _losses
from simulator.engine import optimizers as _optimizers
from simulator.engine import schedules as _schedules
from simulator.engine.network import DTYPES, Network
from simulator.engine.state import to_plain
from simulator.engine.trainer import History, Trainer
from simulator.project import validate as v
from simulator.project.files import ProjectError, dumps, read_json, write_text_atomic
from simulator.project.validate import MAX_LAYER_SIZE
from simulator.project.weights import Preprocessing
from simulator.resources_path import example_paths, resource

FORMAT = "backprop-lab-project"
VERSION = 2
READS_VERSIONS = (1, 2)
INLINE = "inline"
DEFAULT_EXAMPLE = "xor"
DEFAULT_TEST_RATIO = 0.2

MAX_SEED = 2**63 - 1
MAX_STEPS = 10**9
MAX_EPOCHS = 10**6
MAX_TEXT = 100_000
MAX_NAME = 200  # a class or column name
MAX_DRAWN = 10_000  # points drawn on the data plot
MAX_DRAWN_VALUE = 1e6  # a drawn coordinate or target, far beyond any plane the plot shows


# --------------------------------------------------------------------------- the parts


@dataclass
class NetworkSpec:
    """The architecture: neuron-layer ``sizes`` and, per weight layer, its settings.

    ``removed`` lists the connections switched off as (weight layer, from neuron, to neuron).
    """

    sizes: list[int]
    activations: list[str]
    use_bias: list[bool]
    dropout: list[float]
    removed: list[tuple[int, int, int]] = field(default_factory=list)
    init: str = "xavier_uniform"
    init_params: dict[str, float] = field(default_factory=dict)
    dtype: str = "float64"

    def to_dict(self) -> dict:
        return {
            "sizes": list(self.sizes),
            "activations": list(self.activations),
            "use_bias": list(self.use_bias),
            "dropout": list(self.dropout),
            "removed": [list(t) for t in self.removed],
            "init": self.init,
            "init_params": dict(self.init_params),
            "dtype": self.dtype,
        }


@dataclass
class OptimizerSpec:
    """An optimizer of :mod:`simulator.engine.optimizers` and the arguments it is built with."""

    name: str = "SGD"
    params: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        params = {k: list(p) if isinstance(p, tuple) else p for k, p in self.params.items()}
        return {"name": self.name, "params": params}


@dataclass
class ScheduleSpec:
    """A learning-rate schedule of :mod:`simulator.engine.schedules` and its parameters."""

    name: str = "constant"
    params: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"name": self.name, "params": dict(self.params)}


@dataclass
class TrainingSpec:
    """Batching, regularisation and how long ``train`` runs by default (epochs or steps)."""

    batch_size: int | None = None  # None: full batch
    l1: float = 0.0
    l2: float = 0.0
    clip_norm: float | None = None
    eval_every: int | None = None  # None: once per epoch
    epochs: float | None = None
    steps: int | None = None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Standardization:
    """How inline ``X`` was made from the file's raw columns: ``(raw - means) / scales``.

    ``stds`` are the columns' population standard deviations; a column with one value in every
    row (std 0) was only centred, so its scale is 1.
    """

    means: tuple[float, ...]
    stds: tuple[float, ...]

    @property
    def scales(self) -> np.ndarray:
        """The divisors, (d,): each std, or 1 where the std is 0."""
        stds = np.asarray(self.stds, dtype=np.float64)
        return np.where(stds > 0.0, stds, 1.0)

    def apply(self, raw: np.ndarray) -> np.ndarray:
        """Standardised values for raw samples (n, d) (a new array)."""
        return (np.asarray(raw, dtype=np.float64) - np.asarray(self.means)) / self.scales

    def undo(self, X: np.ndarray) -> np.ndarray:
        """The raw values of standardised samples (n, d) (a new array)."""
        return np.asarray(X, dtype=np.float64) * self.scales + np.asarray(self.means)

    def to_dict(self) -> dict:
        return {"means": list(self.means), "stds": list(self.stds)}


@dataclass(frozen=True, eq=False)
class DrawnPoints:
    """Samples the user drew on the data plot, always training samples: ``X`` (m, d) raw inputs
    (d = 1 or 2, the data's width), ``y`` (m,) labels as the data's kind has them (float64 0/1,
    int64 class indices, float64 targets).  ``only``: train on these alone, leaving the
    generated (or inline) samples out.  Equal when the arrays and ``only`` are."""

    X: np.ndarray
    y: np.ndarray
    only: bool = False

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DrawnPoints):
            return NotImplemented
        return (
            self.only == other.only
            and self.X.shape == other.X.shape
            and np.array_equal(self.X, other.X)
            and np.array_equal(self.y, other.y)
        )

    __hash__ = None  # mutable arrays inside

    def __len__(self) -> int:
        return len(self.y)

    def __repr__(self) -> str:
        only = ", only" if self.only else ""
        return f"DrawnPoints({len(self)} points, X {self.X.shape}{only})"

    def to_dict(self) -> dict:
        return {"X": self.X.tolist(), "y": self.y.tolist(), "only": self.only}


@dataclass
class DataSpec:
    """A generated data set (a name of ``datasets.DATASETS``) or inline samples.

    ``seed`` None means the project's seed.  Inline data (``dataset == "inline"``) carries
    ``X`` (n, d), ``y`` (n,), ``kind`` and, for classification, ``class_names``; an import from
    a CSV file also names the columns (``feature_names``, d of them, and ``target_name``) and,
    when it standardised them, keeps the statistics (``standardization``).  ``drawn`` holds the
    points drawn on the data plot (None: none), added to the samples as training samples.
    """

    dataset: str
    n_samples: int | None = None
    noise: float = 0.0
    test_ratio: float = DEFAULT_TEST_RATIO
    features: list[str] = field(default_factory=lambda: list(_datasets.DEFAULT_FEATURES))
    seed: int | None = None
    X: np.ndarray | None = None
    y: np.ndarray | None = None
    kind: str | None = None
    class_names: list[str] | None = None
    feature_names: list[str] | None = None
    target_name: str | None = None
    standardization: Standardization | None = None
    drawn: DrawnPoints | None = None

    @property
    def is_inline(self) -> bool:
        return self.dataset == INLINE

    @property
    def input_dim(self) -> int:
        """Width of the raw samples (before features)."""
        return self.X.shape[1] if self.is_inline else _datasets.DATASETS[self.dataset].input_dim

    @property
    def network_inputs(self) -> int:
        """Units of the network's input layer: the features on 2-D data, else the raw width."""
        return len(self.features) if self.input_dim == 2 else self.input_dim

    @property
    def task(self) -> str:
        return self.kind if self.is_inline else _datasets.DATASETS[self.dataset].kind

    @property
    def class_names_or_default(self) -> tuple[str, ...]:
        """The class names of the data (() for regression)."""
        if not self.is_inline:
            return _datasets.DATASETS[self.dataset].class_names
        if self.kind == "binary" and self.class_names is None:
            return ("class 0", "class 1")
        return tuple(self.class_names or ())

    @property
    def n_base(self) -> int:
        """The generated (or inline) samples, drawn points not counted; left out of training
        when only the drawn points are used."""
        if self.is_inline:
            return int(self.X.shape[0])
        if self.n_samples is not None:
            return self.n_samples
        return _datasets.DATASETS[self.dataset].default_samples

    @property
    def n_drawn(self) -> int:
        return 0 if self.drawn is None else len(self.drawn)

    @property
    def drawable(self) -> bool:
        """Whether points can be drawn on this data: 1-D or 2-D samples."""
        return self.input_dim <= 2

    @property
    def output_size(self) -> int:
        if self.is_inline:
            return len(self.class_names) if self.kind == "multiclass" else 1
        return _datasets.DATASETS[self.dataset].output_size

    def to_dict(self) -> dict:
        out: dict = {"dataset": self.dataset}
        if self.is_inline:
            out["kind"] = self.kind
            out["X"] = self.X.tolist()
            out["y"] = self.y.tolist()
            if self.class_names is not None:
                out["class_names"] = list(self.class_names)
            if self.feature_names is not None:
                out["feature_names"] = list(self.feature_names)
            if self.target_name is not None:
                out["target_name"] = self.target_name
            if self.standardization is not None:
                out["standardization"] = self.standardization.to_dict()
        else:
            out["n_samples"] = self.n_samples
            out["noise"] = self.noise
        out["test_ratio"] = self.test_ratio
        out["features"] = list(self.features)
        out["seed"] = self.seed
        if self.drawn is not None:
            out["drawn"] = self.drawn.to_dict()
        return out


@dataclass(eq=False)
class ProjectData:
    """The data a project trains on, ready for the network and the Trainer.

    ``X_*`` are the network's inputs (features applied), ``Y_*`` the targets shaped for the
    output layer ((n, 1) for binary and regression, one-hot (n, K) for multiclass);
    ``train_index``/``test_index`` select rows of ``dataset`` (the raw samples, e.g. for plots).
    ``input_labels``/``output_labels`` name the network's input and output units (the canvas
    shows them); ``column_labels`` name the columns of ``dataset.X`` and ``target_label`` its
    ``y`` (the data plot's axes).  The last ``n_drawn`` rows of ``dataset`` are the points the
    user drew (at the end of ``train_index``, in the order drawn).
    """

    dataset: _datasets.Dataset
    features: tuple[str, ...]
    train_index: np.ndarray
    test_index: np.ndarray
    X_train: np.ndarray
    Y_train: np.ndarray
    X_test: np.ndarray
    Y_test: np.ndarray
    task: str
    input_labels: list[str]
    output_labels: list[str]
    column_labels: list[str] = field(default_factory=list)
    target_label: str = "y"
    n_drawn: int = 0

    @property
    def drawn_rows(self) -> np.ndarray:
        """The rows of ``dataset`` that were drawn, (n_drawn,)."""
        n = self.dataset.n_samples
        return np.arange(n - self.n_drawn, n)

    @property
    def raw_train(self) -> np.ndarray:
        return self.dataset.X[self.train_index]

    @property
    def raw_test(self) -> np.ndarray:
        return self.dataset.X[self.test_index]

    def inputs(self, raw: np.ndarray) -> np.ndarray:
        """The network's inputs for raw samples (n, d), e.g. a grid for a decision boundary."""
        return _datasets.feature_matrix(raw, self.features)

    def __repr__(self) -> str:
        return (
            f"ProjectData({self.dataset.name!r}, {self.task}, train {self.X_train.shape}, "
            f"test {self.X_test.shape})"
        )


# --------------------------------------------------------------------------- the project


@dataclass(eq=False)
class Project:
    """One project file's contents.  Build engine objects with the ``build_*`` methods.

    ``weights`` is None (train from the seed's initial weights) or one (weights, bias) pair of
    float64 arrays per layer; ``history`` is None or the history's columns (float64 arrays,
    NaN where a row has no value: ``{"step": (n,), ..., "grad_norms": (n, L) or (0, 0)}``;
    ``History.as_dict()``'s lists are accepted too); ``trainer_state`` is None or, with the
    weights, the rest of the run's state (the file's ``trainer``, with arrays: see the module
    docstring).  Two projects are equal when their :meth:`to_dict` are.
    """

    name: str
    network: NetworkSpec
    loss: str
    data: DataSpec
    optimizer: OptimizerSpec = field(default_factory=OptimizerSpec)
    schedule: ScheduleSpec = field(default_factory=ScheduleSpec)
    training: TrainingSpec = field(default_factory=TrainingSpec)
    seed: int = 0
    description: str = ""
    weights: list[tuple[np.ndarray, np.ndarray]] | None = None
    history: dict | None = None
    step_count: int = 0
    trainer_state: dict | None = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Project):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        arch = "-".join(map(str, self.network.sizes))
        trained = f", trained {self.step_count} steps" if self.weights is not None else ""
        if trained and self.trainer_state is not None:
            trained += " (resumable)"
        return f"Project({self.name!r}, {arch}, {self.data.dataset}{trained})"

    # ----------------------------------------------------------------- dict / file
    def to_dict(self) -> dict:
        """The JSON document (plain dicts, lists, numbers, strings)."""
        out = {
            "format": FORMAT,
            "version": VERSION,
            "name": self.name,
            "description": self.description,
            "network": self.network.to_dict(),
            "loss": self.loss,
            "optimizer": self.optimizer.to_dict(),
            "schedule": self.schedule.to_dict(),
            "training": self.training.to_dict(),
            "data": self.data.to_dict(),
            "seed": self.seed,
        }
        if self.weights is not None:
            out["weights"] = [{"weights": w.tolist(), "bias": b.tolist()} for w, b in self.weights]
        if self.history is not None:
            out["history"] = {k: _encode_column(k, col) for k, col in self.history.items()}
        out["step_count"] = self.step_count
        if self.weights is not None and self.trainer_state is not None:
            out["trainer"] = to_plain(self.trainer_state)
        return out

    @classmethod
    def from_dict(cls, d: object) -> Project:
        """Check every field of the JSON document ``d``; raises one ProjectError naming it."""
        return _parse_project(d)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Project:
        """Read the project file ``path``; any problem is a ProjectError starting with the path.

        The file is parsed as JSON only (never executed, never unpickled) and may be at most
        ``files.MAX_FILE_BYTES`` long.
        """
        doc = read_json(path)
        try:
            return cls.from_dict(doc)
        except ProjectError as exc:
            raise ProjectError(f"{path}: {exc}") from None

    def save(self, path: str | os.PathLike) -> None:
        """Changes the file ``path`` atomically (the previous file survives any failure)."""
        write_text_atomic(path, self.to_json())

    def to_json(self) -> str:
        return dumps(self.to_dict())

    def replace(self, **changes) -> Project:
        """A copy with ``changes``, checked as a loaded file would be."""
        return Project.from_dict(dataclasses.replace(self, **changes).to_dict())

    def with_seed(self, seed: int) -> Project:
        """A copy whose seed (network init, data and batch order) is ``seed``.

        Trained weights, history and step count stay; the trainer state goes (its batch order
        and random streams belong to the old seed): training resumes with a fresh optimizer.
        """
        data = self.data
        if data.seed is not None:
            data = dataclasses.replace(data, seed=seed)
        return self.replace(seed=seed, data=data, trainer_state=None)

    # ----------------------------------------------------------------- builders
    @property
    def data_seed(self) -> int:
        return self.seed if self.data.seed is None else self.data.seed

    def build_network(self) -> Network:
        """A new Network: the stored weights if any, else the seed's initial weights."""
        spec = self.network
        net = Network(
            spec.sizes,
            spec.activations,
            loss=self.loss,
            init=spec.init,
            seed=self.seed,
            dtype=spec.dtype,
            use_bias=spec.use_bias,
            init_params=spec.init_params,
            l1=self.training.l1,
            l2=self.training.l2,
            dropout=spec.dropout,
        )
        for i, r, c in spec.removed:
            net.set_connection(i, r, c, False)
        if self.weights is not None:
            net.set_weights(self.weights)
        return net

    def build_data(self) -> ProjectData:
        """Generate (or read inline) the data, split it and apply the input features."""
        spec = self.data
        seed = self.data_seed
        drawn = spec.drawn
        names = spec.class_names_or_default
        if drawn is not None and drawn.only:
            dataset = _datasets.Dataset(spec.dataset, spec.task, drawn.X, drawn.y, names)
            train, test = np.arange(len(drawn), dtype=np.intp), np.zeros(0, dtype=np.intp)
        else:
            if spec.is_inline:
                dataset = _datasets.Dataset(INLINE, spec.kind, spec.X, spec.y, names)
            else:
                dataset = _datasets.generate(spec.dataset, spec.n_samples, spec.noise, seed)
            train, test = _datasets.split(dataset.n_samples, spec.test_ratio, seed)
            if drawn is not None:
                # Drawn points follow the samples, all for training: adding one moves no
                # generated sample between training and test.
                n = dataset.n_samples
                dataset = _datasets.Dataset(
                    dataset.name,
                    dataset.kind,
                    np.concatenate([dataset.X, drawn.X]),
                    np.concatenate([dataset.y, drawn.y.astype(dataset.y.dtype)]),
                    names,
                )
                train = np.concatenate([train, np.arange(n, n + len(drawn), dtype=np.intp)])
        features = tuple(spec.features)
        X = _datasets.feature_matrix(dataset.X, features)
        Y = dataset.targets(self.loss)
        columns = (
            ["x"] if dataset.input_dim == 1 else [f"x{j + 1}" for j in range(dataset.input_dim)]
        )
        target = "y"
        if spec.is_inline:
            inputs = _inline_input_labels(dataset.input_dim, features, spec.feature_names)
            columns = list(spec.feature_names or columns)
            target = spec.target_name or target
        else:
            inputs = _datasets.input_labels(spec.dataset, features)
        if dataset.kind == "multiclass":
            outputs = list(dataset.class_names)
        elif dataset.kind == "binary":
            outputs = [f"p({dataset.class_names[1]})"]
        else:
            outputs = [target]
        return ProjectData(
            dataset,
            features,
            train,
            test,
            X[train],
            Y[train],
            X[test],
            Y[test],
            dataset.kind,
            inputs,
            outputs,
            columns,
            target,
            spec.n_drawn,
        )

    def input_preprocessing(self) -> Standardization | None:
        """The standardisation exports put before the network, per input unit, else None.

        It exists when the data was standardised at import and every input unit is one raw
        column (not x1², x1·x2 or sin x1 of 2-D data, which are features of the standardised
        columns): then a model that applies it takes the file's raw values.
        """
        spec = self.data
        stats = spec.standardization if spec.is_inline else None
        if stats is None:
            return None
        if spec.input_dim != 2:
            return stats
        columns = {"x1": 0, "x2": 1}
        if not all(key in columns for key in spec.features):
            return None
        picks = [columns[key] for key in spec.features]
        return Standardization(
            tuple(stats.means[j] for j in picks), tuple(stats.stds[j] for j in picks)
        )

    def export_preprocessing(self) -> Preprocessing | None:
        """What weight exports record about the inputs: the CSV names of the network's input
        units and, when each unit is one standardised column, the means and stds to apply to
        raw values (see :meth:`input_preprocessing`); None for data without either."""
        spec = self.data
        if not spec.is_inline or (spec.feature_names is None and spec.standardization is None):
            return None
        names = None
        if spec.feature_names is not None:
            names = tuple(_inline_input_labels(spec.input_dim, spec.features, spec.feature_names))
        stats = self.input_preprocessing()
        if stats is None:
            return Preprocessing(names=names) if names is not None else None
        return Preprocessing(names=names, means=stats.means, stds=tuple(stats.scales.tolist()))

    def build_optimizer(self):
        """A new optimizer with the stored parameters (fresh state)."""
        return _optimizers.make(self.optimizer.name, **self.optimizer.params)

    def build_schedule(self):
        """A new learning-rate schedule with the stored parameters."""
        return _schedules.make(self.schedule.name, **self.schedule.params)

    def build_trainer(self, net: Network | None = None, data: ProjectData | None = None):
        """A Trainer on ``net`` (default: :meth:`build_network`) and this project's data.

        A trained project with its trainer state (version 2, :meth:`capture`) loads the whole
        run into it (the weights into ``net`` too): training goes on bit for bit as the run
        that was saved.  ValueError if ``net`` or ``data`` do not fit that state (another
        architecture or data size).  Trained weights without a trainer state (version 1)
        resume their step count and history with a fresh optimizer state and batch order.
        """
        trainer = self._fresh_trainer(net, data)
        if self.weights is not None:
            if self.trainer_state is not None:
                trainer.load_state_dict(self._engine_state(self.trainer_state, trainer))
                trainer.history = self._run_history(self.trainer_state, trainer)
            else:
                trainer.step_count = self.step_count
                if self.history is not None:
                    trainer.history = History.from_dict(self.history, len(trainer.net.layers))
        return trainer

    def _fresh_trainer(self, net: Network | None, data: ProjectData | None) -> Trainer:
        """A Trainer of this project's settings at step 0 (on ``net``'s weights as they are)."""
        net = self.build_network() if net is None else net
        data = self.build_data() if data is None else data
        t = self.training
        trainer = Trainer(
            net,
            self.build_optimizer(),
            data.X_train,
            data.Y_train,
            data.X_test,
            data.Y_test,
            task=data.task,
            batch_size=t.batch_size,
            schedule=self.build_schedule(),
            clip_norm=t.clip_norm,
            eval_every=t.eval_every,
            seed=self.seed,
        )
        return trainer

    def _engine_state(self, trainer_state: dict, trainer: Trainer) -> dict:
        """``Trainer.state_dict()``'s dict without the history: the file's ``trainer`` plus
        what the project holds (weights, step count) or builds (hyper-parameters, base lr)."""
        state = {k: val for k, val in trainer_state.items() if k not in Trainer.HISTORY_STATE_KEYS}
        state["optimizer"] = {
            **trainer_state["optimizer"],
            "hyperparameters": trainer.optimizer.hyperparameters(),
        }
        state["step_count"] = self.step_count
        state["base_lr"] = trainer.base_lr
        state["weights"] = [{"weights": w, "bias": b} for w, b in self.weights]
        return state

    def _run_history(self, trainer_state: dict, trainer: Trainer) -> History:
        """The History of this project's columns, compacting on as ``trainer_state``'s
        ``history_compaction`` says (the engine's list form would take seconds to build)."""
        layout = dict(trainer_state["history_compaction"])
        budget = layout.pop("budget_bytes")
        columns = self.history if self.history is not None else {"step": np.zeros(0)}
        return History.from_dict(columns, len(trainer.net.layers), budget, layout)

    # ----------------------------------------------------------------- storing results
    def with_weights(self, net: Network, history=None, step_count: int = 0) -> Project:
        """A copy holding ``net``'s architecture, loss, L1/L2 and weights (float64 values).

        ``history`` (a History or its dict) and ``step_count`` describe the training so far;
        without a history the copy has none.  No trainer state: training from the copy starts
        a fresh optimizer (:meth:`capture` keeps the whole run).
        """
        return self._holding(net, history, step_count)

    def _holding(self, net: Network, history, step_count: int, **changes) -> Project:
        layers = net.layers
        spec = NetworkSpec(
            sizes=list(net.sizes),
            activations=list(net.activations),
            use_bias=[bool(la.use_bias) for la in layers],
            dropout=[float(la.dropout) for la in layers],
            removed=[
                (i, int(r), int(c)) for i, la in enumerate(layers) for r, c in np.argwhere(~la.mask)
            ],
            init=net.init,
            init_params=dict(net.init_params),
            dtype=net.dtype.name,
        )
        weights = [(la.weights.astype(np.float64), la.bias.astype(np.float64)) for la in layers]
        if history is not None and not isinstance(history, dict):  # views: replace() copies
            history = {name: history.column(name) for name in (*History.SCALARS, "grad_norms")}
        training = dataclasses.replace(changes.pop("training", self.training), l1=net.l1, l2=net.l2)
        return self.replace(
            network=spec,
            loss=net.loss,
            training=training,
            weights=weights,
            history=history,
            step_count=int(step_count),
            trainer_state=changes.pop("trainer_state", None),
            **changes,
        )

    def capture(self, trainer: Trainer) -> Project:
        """A copy holding ``trainer``'s whole run: its network's weights, history, step count
        and trainer state (optimizer state, batch order and position, random streams, epochs),
        and the settings it trains with (optimizer, learning rate, schedule, batch size,
        clipping, evaluation interval).  ``build_trainer()`` of the copy, or of the file it
        saves, trains on bit for bit as ``trainer`` would.  In the middle of a step it holds
        the state at the end of the last whole step.
        """
        schedule = self.schedule
        if trainer.schedule != self.build_schedule():
            schedule = ScheduleSpec(trainer.schedule.name, trainer.schedule.params())
        training = dataclasses.replace(
            self.training,
            batch_size=trainer.batch_size,
            clip_norm=trainer.clip_norm,
            eval_every=trainer.eval_every,
        )
        return self._holding(
            trainer.net,
            trainer.history,
            trainer.step_count,
            trainer_state=_trainer_fields(trainer),
            optimizer=self._optimizer_spec_of(trainer),
            schedule=schedule,
            training=training,
        )

    def _optimizer_spec_of(self, trainer: Trainer) -> OptimizerSpec:
        """This project's optimizer spec, changed where ``trainer``'s optimizer (or base lr)
        differs from it: only those parameters are written."""
        opt = trainer.optimizer
        values = {**opt.hyperparameters(), "lr": trainer.base_lr}
        params = dict(self.optimizer.params) if opt.name == self.optimizer.name else {}
        current = {**type(opt).defaults(), **params}
        for key, value in values.items():
            if _plain(current.get(key)) != _plain(value):
                params[key] = _plain(value)
        return OptimizerSpec(opt.name, params)

    def without_weights(self) -> Project:
        """A copy that trains from the seed's initial weights (no weights, history, steps or
        trainer state)."""
        return self.replace(weights=None, history=None, step_count=0, trainer_state=None)


def _plain(value):
    return list(value) if isinstance(value, (tuple, list)) else value


def load_example(name: str) -> Project:
    """The example project ``resources/examples/<name>.json``."""
    return Project.load(resource("examples", name + ".json"))


def example_names() -> list[str]:
    """The shipped examples' names ("circle", "xor", ...), sorted."""
    return [path.stem for path in example_paths()]


def example_name(text: str) -> str | None:
    """The shipped example ``text`` names, or None: "xor", and also "Vanishing_Sigmoid" or
    "vanishing sigmoid" for "vanishing-sigmoid" (case, "_" and spaces do not matter)."""
    key = "-".join(text.strip().lower().replace("_", " ").split())
    return key if key in example_names() else None


def is_example_name(text: str) -> bool:
    """Whether ``text`` names a shipped example rather than a file: :func:`example_name` knows
    it and no file of that name exists here."""
    return example_name(text) is not None and not os.path.exists(text)


def find_project(text: str) -> Project:
    """The project file ``text``, or the shipped example of that name ("xor"): a file of that
    name comes first.  ProjectError naming the examples when it is neither."""
    if is_example_name(text):
        return load_example(example_name(text))
    if not os.path.exists(text) and not text.lower().endswith(".json") and os.sep not in text:
        raise ProjectError(
            f"{text}: no such file, and no example of that name "
            f"(examples: {', '.join(example_names())})"
        )
    return Project.load(text)


# 2-D features written with the column names: {a}/{b} as they are, {A}/{B} in parentheses
# when they hold spaces or symbols ("(sepal length)²" reads as one thing).
_NAMED_FEATURES = {
    "x1": "{a}",
    "x2": "{b}",
    "x1^2": "{A}²",
    "x2^2": "{B}²",
    "x1*x2": "{A}·{B}",
    "sin_x1": "sin {A}",
    "sin_x2": "sin {B}",
}


def _grouped(name: str) -> str:
    return name if name.replace("_", "").isalnum() else f"({name})"


def named_feature_label(key: str, names: list[str]) -> str:
    """The 2-D feature ``key`` spelt with the two column names: "x1^2" -> "area²"."""
    a, b = names
    return _NAMED_FEATURES[key].format(a=a, b=b, A=_grouped(a), B=_grouped(b))


def _inline_input_labels(
    dim: int, features: tuple[str, ...], names: list[str] | None = None
) -> list[str]:
    """Input labels of inline data: the CSV column names when known, else x1, x2, ...

    On 2-D data each feature is spelt with the names: x1 -> "area", x1² -> "area²",
    x1·x2 -> "area·rooms", sin x1 -> "sin area".
    """
    if names is not None:
        if dim != 2:
            return list(names)
        return [named_feature_label(key, names) for key in features]
    if dim == 2:
        return [_datasets.FEATURES[key] for key in features]
    if dim == 1:
        return ["x"]
    return [f"x{i + 1}" for i in range(dim)]


# --------------------------------------------------------------------------- parsing

_TOP = (
    "format",
    "version",
    "name",
    "description",
    "network",
    "loss",
    "optimizer",
    "schedule",
    "training",
    "data",
    "seed",
    "weights",
    "history",
    "step_count",
    "trainer",
)
# The file's "trainer": Trainer.state_dict() without what the project holds or builds (the
# weights, history, step count, base lr and the optimizer's hyper-parameters).
_TRAINER_FIELDS = tuple(
    key
    for key in (*Trainer.STATE_KEYS, *Trainer.HISTORY_STATE_KEYS)
    if key not in ("weights", "history", "step_count", "base_lr")
)
_TRAINER_OPTIMIZER_FIELDS = tuple(
    key for key in _optimizers.Optimizer.STATE_DICT_KEYS if key != "hyperparameters"
)
# Random generators' states hold 128-bit whole numbers; the engine checks them.
_RNG_FIELDS = ("trainer.batches.rng", "trainer.dropout_rng")


def _parse_project(d: object) -> Project:
    top = v.Fields(d, "", _TOP)
    fmt = top.raw("format", required=True)
    if fmt != FORMAT:
        hint = " (a weights export, not a project)" if fmt == "backprop-lab-weights" else ""
        raise v.fail("format", f"expected {FORMAT!r}, got {v.value_text(fmt)}{hint}")
    version = top.raw("version", required=True)
    if type(version) is not int:
        raise v.fail("version", f"must be a whole number, not {v.describe(version)}")
    if version not in READS_VERSIONS:
        newer = " (written by a newer Backprop Lab)" if version > VERSION else ""
        raise v.fail(
            "version",
            f"unknown version {v.number_text(version)}{newer}; this program reads versions "
            f"{' and '.join(map(str, READS_VERSIONS))}",
        )
    name = top.string("name", "Untitled", max_len=1000)
    description = top.string("description", "", max_len=MAX_TEXT)
    seed = top.integer("seed", 0, low=0, high=MAX_SEED)
    loss = top.string("loss", choices=_losses.LOSSES, what="loss")
    data = _parse_data(top.raw("data", required=True), "data")
    network = _parse_network(top.raw("network", required=True), "network", data, loss)
    optimizer = _parse_optimizer(top.raw("optimizer", {"name": "SGD"}), "optimizer")
    schedule = _parse_schedule(top.raw("schedule", {"name": "constant"}), "schedule")
    training = _parse_training(top.raw("training", {}), "training")
    weights = None
    if top.raw("weights", None) is not None:
        weights = _parse_weights(top.raw("weights"), "weights", network)
    history = None
    if top.raw("history", None) is not None:
        history = _parse_history(top.raw("history"), "history")
    step_count = top.integer("step_count", 0, low=0, high=MAX_STEPS)
    trainer = top.raw("trainer", None)
    if trainer is not None and version == 1:
        raise v.fail("trainer", "a version 1 file holds no trainer state (version 2 does)")
    if trainer is not None and weights is None:
        raise v.fail("trainer", "a trainer state needs the weights it trained (weights is missing)")
    project = Project(
        name=name,
        description=description,
        network=network,
        loss=loss,
        optimizer=optimizer,
        schedule=schedule,
        training=training,
        data=data,
        seed=seed,
        weights=weights,
        history=history,
        step_count=step_count,
    )
    if trainer is not None:
        project.trainer_state = _parse_trainer(trainer, project)
    return project


def _parse_trainer(obj: object, project: Project) -> dict:
    """The file's trainer state, checked by loading it into a trainer of ``project``; the
    engine's ValueError (which names the key) becomes a ProjectError under ``trainer``."""
    f = v.Fields(obj, "trainer", _TRAINER_FIELDS)
    for key in _TRAINER_FIELDS:
        f.raw(key, required=True)
    v.Fields(f.raw("optimizer"), f.where("optimizer"), _TRAINER_OPTIMIZER_FIELDS)
    # The engine names the state's keys (trainer.optimizer.state.layers.0...): so do these.
    v.finite_numbers(obj, "trainer", exempt=_RNG_FIELDS, dotted=True)
    rows = 0 if project.history is None else len(project.history["step"])
    layout = _parse_compaction(f.raw("history_compaction"), f.where("history_compaction"), rows)
    trainer = project._fresh_trainer(None, None)
    try:
        trainer.load_state_dict(project._engine_state(obj, trainer))
        trainer.history = project._run_history({"history_compaction": layout}, trainer)
    except ValueError as exc:
        raise ProjectError(f"trainer.{exc}") from None
    return _trainer_fields(trainer)


def _parse_compaction(obj: object, path: str, rows: int) -> dict:
    """``History.compaction_state()`` as a file holds it, for a history of ``rows`` rows."""
    keys = ("budget_bytes", "bucket_steps", "full_resolution_start", "coarsen_due")
    f = v.Fields(obj, path, keys)
    return {
        "budget_bytes": f.integer("budget_bytes", low=1, high=MAX_SEED),
        "bucket_steps": f.integer("bucket_steps", low=0, high=MAX_SEED),
        "full_resolution_start": f.integer("full_resolution_start", low=0, high=rows),
        "coarsen_due": f.boolean("coarsen_due"),
    }


def _trainer_fields(trainer: Trainer) -> dict:
    """What a file's ``trainer`` holds of ``trainer``'s state (arrays, not yet lists)."""
    state = trainer.state_dict(history=False)
    kept = {key: state[key] for key in _TRAINER_FIELDS if key in state}
    kept["optimizer"] = {key: state["optimizer"][key] for key in _TRAINER_OPTIMIZER_FIELDS}
    kept["history_compaction"] = trainer.history.compaction_state()
    return kept


def _parse_network(obj: object, path: str, data: DataSpec, loss: str) -> NetworkSpec:
    f = v.Fields(
        obj,
        path,
        ("sizes", "activations", "use_bias", "dropout", "removed", "init", "init_params", "dtype"),
    )
    sizes = v.layer_sizes(f.raw("sizes"), f.where("sizes"))
    n_layers = len(sizes) - 1
    want_in, want_out = data.network_inputs, data.output_size
    if sizes[0] != want_in:
        what = (
            f"the {want_in} features {', '.join(data.features)}"
            if data.input_dim == 2
            else f"{want_in} input value{'s' if want_in != 1 else ''}"
        )
        raise v.fail(
            v.join(f.where("sizes"), 0),
            f"the input layer has {sizes[0]} neurons, but the data gives {what}",
        )
    if sizes[-1] != want_out:
        what = {
            "multiclass": f"{want_out} classes",
            "binary": "binary labels (1 output)",
            "regression": "one target (1 output)",
        }[data.task]
        raise v.fail(
            v.join(f.where("sizes"), n_layers),
            f"the output layer has {sizes[-1]} neurons, but the data has {what}",
        )
    acts = f.array("activations", length=n_layers)
    known = tuple(_activations.ACTIVATIONS)
    activations = [
        v.string(a, v.join(f.where("activations"), i), choices=known, what="activation")
        for i, a in enumerate(acts)
    ]
    use_bias = [
        v.boolean(b, v.join(f.where("use_bias"), i))
        for i, b in enumerate(f.array("use_bias", [True] * n_layers, length=n_layers))
    ]
    dropout = [
        v.number(p, v.join(f.where("dropout"), i), low=0.0, below=1.0)
        for i, p in enumerate(f.array("dropout", [0.0] * n_layers, length=n_layers))
    ]
    if dropout[-1] != 0.0:
        raise v.fail(
            v.join(f.where("dropout"), n_layers - 1),
            "dropout applies to hidden layers; the output layer's must be 0",
        )
    removed = []
    seen = set()
    for k, triple in enumerate(f.array("removed", [])):
        where = v.join(f.where("removed"), k)
        v.array(triple, where, length=3)
        i = v.integer(triple[0], v.join(where, 0), low=0, high=n_layers - 1)
        r = v.integer(triple[1], v.join(where, 1), low=0, high=sizes[i] - 1)
        c = v.integer(triple[2], v.join(where, 2), low=0, high=sizes[i + 1] - 1)
        if (i, r, c) in seen:
            raise v.fail(where, f"connection {r} -> {c} of layer {i} is listed twice")
        seen.add((i, r, c))
        removed.append((i, r, c))
    init = f.string(
        "init", "xavier_uniform", choices=_initializers.INITIALIZERS, what="initialiser"
    )
    params_obj = f.object("init_params", {})
    for key, value in params_obj.items():
        v.number(value, v.join(f.where("init_params"), key))
    try:
        init_params = _initializers.check(init, params_obj)
    except ValueError as exc:
        raise v.fail(f.where("init_params"), str(exc)) from None
    dtype = f.string("dtype", "float64", choices=DTYPES, what="dtype")
    return NetworkSpec(sizes, activations, use_bias, dropout, removed, init, init_params, dtype)


def _parse_params(obj: object, path: str) -> dict:
    """Hyper-parameters: numbers, true/false, or arrays of numbers (Adam's betas)."""
    if not isinstance(obj, dict):
        raise v.fail(path, f"must be an object, not {v.describe(obj)}")
    out = {}
    for key, value in obj.items():
        where = v.join(path, key)
        if isinstance(value, bool):
            out[key] = value
        elif isinstance(value, list):
            out[key] = [v.number(x, v.join(where, j)) for j, x in enumerate(value)]
        elif type(value) is int:
            v.number(value, where)  # within float64's range, as every engine parameter is
            out[key] = value
        elif type(value) is float:
            out[key] = v.number(value, where)
        else:
            raise v.fail(
                where,
                f"must be a number, true/false or an array of numbers, not {v.describe(value)}",
            )
    return out


def _parse_named(obj: object, path: str, catalogue: dict, make, what: str) -> tuple[str, dict]:
    # {"name": ..., "params": {...}}, checked by building the engine object it names.
    f = v.Fields(obj, path, ("name", "params"))
    name = f.string("name", choices=tuple(catalogue), what=what)
    params = _parse_params(f.raw("params", {}), f.where("params"))
    try:
        make(name, **params)
    except (ValueError, TypeError) as exc:
        raise v.fail(f.where("params"), str(exc)) from None
    return name, params


def _parse_optimizer(obj: object, path: str) -> OptimizerSpec:
    return OptimizerSpec(
        *_parse_named(obj, path, _optimizers.OPTIMIZERS, _optimizers.make, "optimizer")
    )


def _parse_schedule(obj: object, path: str) -> ScheduleSpec:
    return ScheduleSpec(*_parse_named(obj, path, _schedules.SCHEDULES, _schedules.make, "schedule"))


def _parse_training(obj: object, path: str) -> TrainingSpec:
    f = v.Fields(
        obj, path, ("batch_size", "l1", "l2", "clip_norm", "eval_every", "epochs", "steps")
    )
    spec = TrainingSpec(
        batch_size=f.integer("batch_size", None, low=1, high=_datasets.MAX_SAMPLES, null=True),
        l1=f.number("l1", 0.0, low=0.0),
        l2=f.number("l2", 0.0, low=0.0),
        clip_norm=f.number("clip_norm", None, above=0.0, null=True),
        eval_every=f.integer("eval_every", None, low=1, high=MAX_STEPS, null=True),
        epochs=_whole_if_integral(
            f.number("epochs", None, above=0.0, high=float(MAX_EPOCHS), null=True)
        ),
        steps=f.integer("steps", None, low=1, high=MAX_STEPS, null=True),
    )
    if spec.epochs is not None and spec.steps is not None:
        raise v.fail(f.where("steps"), "give epochs or steps, not both")
    return spec


def _whole_if_integral(value: float | None) -> float | int | None:
    return int(value) if value is not None and value.is_integer() else value


def _parse_data(obj: object, path: str) -> DataSpec:
    if not isinstance(obj, dict):
        raise v.fail(path, f"must be an object, not {v.describe(obj)}")
    dataset = obj.get("dataset")
    if dataset == INLINE:
        return _parse_inline(obj, path)
    f = v.Fields(
        obj, path, ("dataset", "n_samples", "noise", "test_ratio", "features", "seed", "drawn")
    )
    dataset = f.string("dataset", choices=(*_datasets.DATASETS, INLINE), what="dataset")
    info = _datasets.DATASETS[dataset]
    high = _datasets.DIGITS_SAMPLES if dataset == "digits" else _datasets.MAX_SAMPLES
    n_samples = f.integer("n_samples", None, low=1, high=high, null=True)
    noise = f.number("noise", 0.0, low=0.0, high=_datasets.MAX_NOISE)
    test_ratio, features, seed = _parse_common(f, info.input_dim)
    drawn = _parse_drawn(f, info.input_dim, info.kind, len(info.class_names))
    return DataSpec(dataset, n_samples, noise, test_ratio, features, seed, drawn=drawn)


def _parse_drawn(f: v.Fields, width: int, kind: str, n_classes: int) -> DrawnPoints | None:
    """``drawn`` of ``f`` (the data object), for samples ``width`` values wide of ``kind``."""
    if f.raw("drawn", None) is None:
        return None
    path = f.where("drawn")
    g = v.Fields(f.raw("drawn"), path, ("X", "y", "only"))
    if width > 2:
        raise v.fail(path, f"drawing needs 1-D or 2-D data; this data has {width:,} input values")
    rows = g.array("X", max_len=MAX_DRAWN)
    if not rows:
        raise v.fail(g.where("X"), 'needs at least one point (leave "drawn" out for none)')
    X = v.number_matrix(rows, g.where("X"), (None, width))
    y = v.number_vector(g.raw("y", required=True), g.where("y"), length=X.shape[0])
    for values, key in ((X, "X"), (y, "y")):
        far = np.argwhere(np.abs(values) > MAX_DRAWN_VALUE)
        if far.size:
            at = g.where(key) + "".join(f"[{int(k)}]" for k in far[0])
            raise v.fail(at, f"must be between −{MAX_DRAWN_VALUE:,.0f} and {MAX_DRAWN_VALUE:,.0f}")
    if kind == "binary":
        bad = np.flatnonzero((y != 0.0) & (y != 1.0))
        if bad.size:
            raise v.fail(v.join(g.where("y"), int(bad[0])), "binary labels must be 0 or 1")
    elif kind == "multiclass":
        bad = np.flatnonzero((y != np.round(y)) | (y < 0) | (y >= n_classes))
        if bad.size:
            label = v.number_text(float(y[bad[0]]))
            raise v.fail(
                v.join(g.where("y"), int(bad[0])),
                f"must be a class index 0 to {n_classes - 1}, not {label}",
            )
        y = y.astype(np.int64)
    only = g.boolean("only", False)
    return DrawnPoints(X, y, only)


def _parse_common(f: v.Fields, input_dim: int) -> tuple[float, list[str], int | None]:
    test_ratio = f.number("test_ratio", DEFAULT_TEST_RATIO, low=0.0, high=_datasets.MAX_TEST_RATIO)
    default = list(_datasets.DEFAULT_FEATURES) if input_dim == 2 else []
    features = [
        v.string(
            key, v.join(f.where("features"), k), choices=tuple(_datasets.FEATURES), what="feature"
        )
        for k, key in enumerate(f.array("features", default, max_len=len(_datasets.FEATURES)))
    ]
    if len(set(features)) != len(features):
        raise v.fail(f.where("features"), f"a feature is listed twice in {features}")
    if input_dim == 2 and not features:
        raise v.fail(f.where("features"), "choose at least one input feature")
    if input_dim != 2 and features:
        raise v.fail(
            f.where("features"),
            f"features apply to 2-D data only; this data has {input_dim} input value"
            f"{'s' if input_dim != 1 else ''}: use []",
        )
    seed = f.integer("seed", None, low=0, high=MAX_SEED, null=True)
    return test_ratio, features, seed


def _parse_inline(obj: dict, path: str) -> DataSpec:
    f = v.Fields(
        obj,
        path,
        (
            "dataset",
            "kind",
            "X",
            "y",
            "class_names",
            "feature_names",
            "target_name",
            "standardization",
            "test_ratio",
            "features",
            "seed",
            "drawn",
        ),
    )
    kind = f.string("kind", choices=_datasets.KINDS, what="kind")
    rows = f.array("X", max_len=_datasets.MAX_SAMPLES)
    if not rows:
        raise v.fail(f.where("X"), "needs at least one sample")
    X = v.number_matrix(rows, f.where("X"), (None, None))
    if X.shape[1] < 1 or X.shape[1] > MAX_LAYER_SIZE:
        raise v.fail(v.join(f.where("X"), 0), f"a sample needs 1 to {MAX_LAYER_SIZE:,} values")
    y = v.number_vector(f.raw("y", required=True), f.where("y"), length=X.shape[0])
    class_names = None
    if f.has("class_names") and f.raw("class_names") is not None:
        if kind == "regression":
            raise v.fail(f.where("class_names"), "regression data has no class names")
        names = f.array("class_names", max_len=MAX_LAYER_SIZE)
        class_names = [
            v.string(n, v.join(f.where("class_names"), k), max_len=MAX_NAME)
            for k, n in enumerate(names)
        ]
    if kind == "binary":
        bad = np.flatnonzero((y != 0.0) & (y != 1.0))
        if bad.size:
            raise v.fail(v.join(f.where("y"), int(bad[0])), "binary labels must be 0 or 1")
        if class_names is not None and len(class_names) != 2:
            raise v.fail(f.where("class_names"), "binary data needs exactly 2 class names")
    elif kind == "multiclass":
        bad = np.flatnonzero((y != np.round(y)) | (y < 0))
        if bad.size:
            raise v.fail(
                v.join(f.where("y"), int(bad[0])),
                "multiclass labels must be class indices 0, 1, 2, ...",
            )
        k = int(y.max()) + 1 if class_names is None else len(class_names)
        if class_names is None:
            class_names = [f"class {c}" for c in range(max(k, 2))]
        elif k < 2:
            raise v.fail(f.where("class_names"), "multiclass data needs at least 2 class names")
        if y.max() >= len(class_names):
            bad = int(np.flatnonzero(y >= len(class_names))[0])
            raise v.fail(
                v.join(f.where("y"), bad),
                f"class index {int(y[bad])} but only {len(class_names)} class names",
            )
        if len(class_names) > MAX_LAYER_SIZE:
            raise v.fail(f.where("class_names"), "too many classes")
    feature_names = None
    if f.raw("feature_names", None) is not None:
        names = f.array("feature_names", length=X.shape[1])
        feature_names = [
            v.string(n, v.join(f.where("feature_names"), k), max_len=MAX_NAME)
            for k, n in enumerate(names)
        ]
    target_name = None
    if f.raw("target_name", None) is not None:
        target_name = f.string("target_name", max_len=MAX_NAME)
    standardization = None
    if f.raw("standardization", None) is not None:
        standardization = _parse_standardization(
            f.raw("standardization"), f.where("standardization"), X.shape[1]
        )
    test_ratio, features, seed = _parse_common(f, X.shape[1])
    if kind == "multiclass":
        y = y.astype(np.int64)  # written back as whole numbers
    n_classes = len(class_names) if class_names is not None else 2
    drawn = _parse_drawn(f, X.shape[1], kind, n_classes)
    return DataSpec(
        INLINE,
        None,
        0.0,
        test_ratio,
        features,
        seed,
        X,
        y,
        kind,
        class_names,
        feature_names,
        target_name,
        standardization,
        drawn,
    )


def _parse_standardization(obj: object, path: str, width: int) -> Standardization:
    f = v.Fields(obj, path, ("means", "stds"))
    means = v.number_vector(f.raw("means", required=True), f.where("means"), length=width)
    stds = v.number_vector(f.raw("stds", required=True), f.where("stds"), length=width)
    bad = np.flatnonzero(stds < 0)
    if bad.size:
        raise v.fail(v.join(f.where("stds"), int(bad[0])), "a standard deviation must be >= 0")
    return Standardization(tuple(map(float, means)), tuple(map(float, stds)))


def _parse_weights(obj: object, path: str, spec: NetworkSpec) -> list:
    sizes = spec.sizes
    layers = v.array(obj, path, length=len(sizes) - 1)
    out = []
    for i, layer in enumerate(layers):
        where = v.join(path, i)
        f = v.Fields(layer, where, ("weights", "bias"))
        w = v.number_matrix(
            f.raw("weights", required=True), f.where("weights"), (sizes[i], sizes[i + 1])
        )
        b = v.number_vector(f.raw("bias", required=True), f.where("bias"), length=sizes[i + 1])
        w = w.reshape(sizes[i], sizes[i + 1])
        for values, key in ((w, "weights"), (b, "bias")):  # float32 holds less than float64
            v.in_dtype(values, spec.dtype, f.where(key))
        out.append((w, b))
    return out


def _parse_history(obj: object, path: str) -> dict:
    """The history's columns as float64 arrays (NaN for null), from either form of each column
    (see the module docstring)."""
    f = v.Fields(obj, path, (*History.SCALARS, "grad_norms"))
    step = _history_column(f.raw("step", required=True), f.where("step"), None)
    n = len(step)
    out = {"step": step}
    for name in History.SCALARS[1:]:
        if f.has(name):
            out[name] = _history_column(f.raw(name), f.where(name), n)
        else:
            out[name] = np.full(n, np.nan)
    out["grad_norms"] = _history_norms(f.raw("grad_norms", []), f.where("grad_norms"), n)
    return out


def _history_column(obj: object, path: str, rows: int | None) -> np.ndarray:
    """One scalar column, (rows,) (None: any length): an encoded object or an array of numbers
    and nulls."""
    if isinstance(obj, dict):
        return _decode_column(obj, path, rows, None)
    column = v.array(obj, path, length=rows)
    values = [_finite_or_null(x, v.join(path, j)) for j, x in enumerate(column)]
    return np.array(values, dtype=np.float64).reshape(len(values))


def _history_norms(obj: object, path: str, rows: int) -> np.ndarray:
    """grad_norms, (rows, L) or (0, L) when there are none."""
    if isinstance(obj, dict):
        return _decode_column(obj, path, rows, v.MAX_LAYERS)
    norms = v.array(obj, path)
    if norms and len(norms) != rows:
        raise v.fail(path, f"must have {rows} rows (one per step), has {len(norms)}")
    width = None
    out = []
    for j, row in enumerate(norms):
        where = v.join(path, j)
        v.array(row, where, length=width)
        width = len(row)
        out.append([_finite_or_null(x, v.join(where, k)) for k, x in enumerate(row)])
    return np.array(out, dtype=np.float64).reshape(len(out), width or 0)


COLUMN_DTYPE = "float64"  # little-endian IEEE 754 binary64, NumPy's "<f8"


def _encode_column(name: str, values) -> dict:
    """A history column as the file writes it: its float64 bytes, base64-encoded."""
    arr = np.asarray(values, dtype=np.float64)  # as_dict()'s None becomes NaN
    if name == "grad_norms" and arr.ndim != 2:
        arr = arr.reshape(len(arr), -1) if arr.size else np.zeros((0, 0))
    text = base64.b64encode(arr.astype("<f8", copy=False).tobytes()).decode("ascii")
    return {"dtype": COLUMN_DTYPE, "shape": list(arr.shape), "base64": text}


def _decode_column(obj: dict, path: str, rows: int | None, width: int | None) -> np.ndarray:
    """An encoded column: (rows,) when ``width`` is None, else (rows or 0, L <= width).

    Every size is checked before anything is decoded: the shape against ``rows``, the base64
    text's length against the shape (so a declared size allocates nothing it does not hold)."""
    f = v.Fields(obj, path, ("dtype", "shape", "base64"))
    f.string("dtype", choices=(COLUMN_DTYPE,), what="dtype")
    where = f.where("shape")
    dims = f.array("shape", length=1 if width is None else 2)
    highs = (MAX_STEPS,) if width is None else (MAX_STEPS, width)
    shape = tuple(v.integer(d, v.join(where, k), low=0, high=highs[k]) for k, d in enumerate(dims))
    if rows is not None and shape[0] != rows and not (width is not None and shape[0] == 0):
        raise v.fail(where, f"declares {shape[0]:,} rows, but the history has {rows:,} steps")
    text = f.raw("base64", required=True)
    where = f.where("base64")
    if not isinstance(text, str):
        raise v.fail(where, f"must be a string, not {v.describe(text)}")
    if len(text) % 4:
        raise v.fail(where, f"is not base64: {len(text):,} characters, not a multiple of 4")
    size = len(text) // 4 * 3 - (text[-2:] == "==") - (text[-1:] == "=")
    if size % 8:
        raise v.fail(where, f"holds {size:,} bytes, not a whole number of float64 values")
    if size != 8 * math.prod(shape):
        raise v.fail(
            where,
            f"holds {size // 8:,} float64 values, but the shape {list(shape)} takes "
            f"{math.prod(shape):,}",
        )
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):  # a character outside base64's alphabet
        raise v.fail(where, "is not valid base64") from None
    if len(data) != size:  # padding inside the text
        raise v.fail(where, "is not valid base64")
    values = np.frombuffer(data, dtype="<f8").astype(np.float64).reshape(shape)
    bad = np.isinf(values)
    if bad.any():
        index = tuple(int(k) for k in np.argwhere(bad)[0])
        at = path + "".join(f"[{k}]" for k in index)
        sign = "" if values[index] > 0 else "-"
        raise v.fail(at, f"must be a finite number or NaN (null), not {sign}Infinity")
    return values


def _finite_or_null(x: object, path: str) -> float | None:
    return None if x is None else v.number(x, path)
