"""Datasets: seeded generators, the digits, input features, train/test splits and batches.

Every generator draws from ``np.random.default_rng(seed)``, so the same arguments give
bit-identical arrays.  The random draws do not depend on ``noise``: at one seed, moving the
noise slider perturbs the same underlying points rather than drawing a new data set.  The toy
data sets come back shuffled (as Playground shuffles them); the digits keep the file's order.

============  ===========  =====  ==============================================================
name          kind         input  how it is made (coordinates roughly in [-6, 6]²)
============  ===========  =====  ==============================================================
circle        binary       2      Playground: label 1 inside r < 2.5, label 0 in 3.5 < r < 5
xor           binary       2      Playground: label 1 where x1·x2 ≥ 0
gauss         binary       2      Playground: two Gaussians at ±(2, 2)
spiral        binary       2      Playground: two interleaved arms of 1.75 turns
moons         binary       2      scikit-learn's make_moons, ×3 about its centre
plane         regression   2      Playground's regressPlane, y = (x1 + x2)/12 (it uses /10)
multi_gauss   regression   2      Playground's regressGaussian: six ±1 bumps of radius 2
sine          regression   1      x ∈ [-6, 6], y = sin x
spiral3       multiclass   2      three arms of one turn each, labels 0, 1, 2
blobs         multiclass   2      three Gaussians on a circle of radius 3.5, labels 0, 1, 2
digits        multiclass   64     UCI handwritten digits, 8×8 pixels scaled to [0, 1]
============  ===========  =====  ==============================================================

``noise`` is a fraction in [0, 1]; Playground's slider spans 0..0.5 of the same scale.
Binary labels are 0/1 (Playground's -1/+1 map to 0/1).

Digits: the 1,797 images of "Optical Recognition of Handwritten Digits" (E. Alpaydin and
C. Kaynak, UCI Machine Learning Repository, 1998, CC BY 4.0), as scikit-learn bundles them,
stored in ``resources/digits.npz`` by ``packaging/make_digits_npz.py``.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from simulator.engine import losses as _losses
from simulator.engine import state as _state
from simulator.resources_path import resource

KINDS = ("binary", "multiclass", "regression")
MAX_SAMPLES = 100_000
MAX_NOISE = 1.0
MAX_TEST_RATIO = 0.9
DIGITS_FILE = "digits.npz"
DIGITS_SAMPLES = 1797
DIGITS_PIXELS = 64
_DIGITS_MAX_VALUE = 16.0
# Spawn keys of the seed: split() and BatchIterator draw from streams unrelated to the data's,
# so one project seed used everywhere does not tie the test set to the points' positions.
_SPLIT_STREAM = 1
_BATCH_STREAM = 2


@dataclass(frozen=True)
class DatasetInfo:
    """What a data set is, known before generating it.

    ``n_classes`` counts the network's output units for the labels: K for multiclass, 1 for
    binary (one 0/1 output) and regression.  ``class_names`` names each label value
    (2 names for binary, K for multiclass, none for regression).
    """

    name: str
    title: str
    kind: str
    input_dim: int
    n_classes: int
    class_names: tuple[str, ...]
    default_samples: int

    @property
    def output_size(self) -> int:
        """Units of the network's output layer: K for multiclass, 1 otherwise."""
        return self.n_classes


_BINARY = ("class 0", "class 1")
_THREE = ("class 0", "class 1", "class 2")
DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo("circle", "Circle", "binary", 2, 1, _BINARY, 500),
        DatasetInfo("xor", "Exclusive or (XOR)", "binary", 2, 1, _BINARY, 500),
        DatasetInfo("gauss", "Two Gaussians", "binary", 2, 1, _BINARY, 500),
        DatasetInfo("spiral", "Spiral", "binary", 2, 1, _BINARY, 500),
        DatasetInfo("moons", "Two moons", "binary", 2, 1, _BINARY, 500),
        DatasetInfo("plane", "Plane (regression)", "regression", 2, 1, (), 1200),
        DatasetInfo("multi_gauss", "Gaussian bumps (regression)", "regression", 2, 1, (), 1200),
        DatasetInfo("sine", "Sine wave (1-D regression)", "regression", 1, 1, (), 200),
        DatasetInfo("spiral3", "Three-arm spiral", "multiclass", 2, 3, _THREE, 600),
        DatasetInfo("blobs", "Three blobs", "multiclass", 2, 3, _THREE, 600),
        DatasetInfo(
            "digits",
            "Handwritten digits (8×8)",
            "multiclass",
            DIGITS_PIXELS,
            10,
            tuple(str(d) for d in range(10)),
            DIGITS_SAMPLES,
        ),
    )
}


# --------------------------------------------------------------------------- argument checks


def _check_int(what: str, value, low: int, high: int | None = None) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise ValueError(f"{what} must be a whole number, not {value!r}")
    value = int(value)
    if value < low or (high is not None and value > high):
        bounds = f"between {low:,} and {high:,}" if high is not None else f"at least {low:,}"
        raise ValueError(f"{what} must be {bounds}, got {value:,}")
    return value


def _check_real(what: str, value, low: float, high: float) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise ValueError(f"{what} must be a number, not {value!r}")
    value = float(value)
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{what} must be between {low:g} and {high:g}, got {value!r}")
    return value


def _check_seed(seed) -> int:
    return _check_int("seed", seed, 0)


def info(name: str) -> DatasetInfo:
    """The :class:`DatasetInfo` of ``name``; a ValueError lists the known names otherwise."""
    if not isinstance(name, str) or name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r} (known: {', '.join(DATASETS)})")
    return DATASETS[name]


# --------------------------------------------------------------------------- Dataset


def _frozen(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Dataset:
    """One generated (or imported) data set; its arrays are read-only copies.

    Attributes
    ----------
    name : str
        Key in :data:`DATASETS` (or any name, for imported data).
    kind : {"binary", "multiclass", "regression"}
    X : ndarray of float64, shape (n, input_dim)
        Raw inputs: coordinates for 1-D/2-D data, pixels in [0, 1] for the digits.
    y : ndarray, shape (n,)
        binary: float64 0.0/1.0; multiclass: int64 class indices 0..K-1; regression: float64.
    class_names : tuple of str
        One name per label value (2 for binary, K for multiclass, () for regression).
    """

    name: str
    kind: str
    X: np.ndarray
    y: np.ndarray
    class_names: tuple[str, ...] = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r} (known: {', '.join(KINDS)})")
        X = np.array(self.X, dtype=np.float64)
        if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
            raise ValueError(f"X must have shape (n, d) with n, d >= 1, got {X.shape}")
        if not np.isfinite(X).all():
            raise ValueError("X holds NaN or infinite values")
        y = np.array(self.y)
        if y.shape != (X.shape[0],):
            raise ValueError(f"y must have shape ({X.shape[0]},) to match X, got {y.shape}")
        names = tuple(str(c) for c in self.class_names)
        if self.kind == "multiclass":
            if len(names) < 2:
                raise ValueError("a multiclass data set needs at least 2 class names")
            if not np.issubdtype(y.dtype, np.integer):
                raise ValueError(f"multiclass labels must be integers, got {y.dtype}")
            y = y.astype(np.int64)
            if y.min() < 0 or y.max() >= len(names):
                raise ValueError(f"multiclass labels must lie in 0..{len(names) - 1}")
        else:
            y = y.astype(np.float64)
            if not np.isfinite(y).all():
                raise ValueError("y holds NaN or infinite values")
            if self.kind == "binary":
                if len(names) != 2:
                    raise ValueError("a binary data set needs exactly 2 class names")
                if not np.isin(y, (0.0, 1.0)).all():
                    raise ValueError("binary labels must be 0 or 1")
            elif names:
                raise ValueError("a regression data set has no class names")
        object.__setattr__(self, "X", _frozen(X))
        object.__setattr__(self, "y", _frozen(y))
        object.__setattr__(self, "class_names", names)

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def input_dim(self) -> int:
        return self.X.shape[1]

    @property
    def n_classes(self) -> int:
        """Output units for the labels, as in :class:`DatasetInfo`: K for multiclass, else 1."""
        return len(self.class_names) if self.kind == "multiclass" else 1

    @property
    def output_size(self) -> int:
        """Units of the network's output layer: K for multiclass, 1 for binary and regression."""
        return self.n_classes

    def targets(self, loss: str | None = None) -> np.ndarray:
        """Targets shaped for the network's output layer (a new, writable array).

        Parameters
        ----------
        loss : str, optional
            The configured loss, checked against the engine's losses.  Every loss reads the
            same layout (``cross_entropy`` takes one-hot rows as well as indices), so it does not
            change the result.

        Returns
        -------
        ndarray of float64
            (n, 1) for binary (0/1) and regression; (n, K) one-hot rows for multiclass.
        """
        if loss is not None:
            _losses.check(loss)
        if self.kind != "multiclass":
            return self.y.reshape(-1, 1).astype(np.float64)
        onehot = np.zeros((self.n_samples, self.n_classes), dtype=np.float64)
        onehot[np.arange(self.n_samples), self.y] = 1.0
        return onehot

    def subset(self, indices) -> Dataset:
        """The rows ``indices`` (e.g. from :func:`split`) as a new Dataset of the same kind."""
        indices = np.asarray(indices)
        if indices.ndim != 1 or not np.issubdtype(indices.dtype, np.integer):
            raise ValueError("indices must be a 1-D array of integers")
        return Dataset(self.name, self.kind, self.X[indices], self.y[indices], self.class_names)

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, {self.kind}, X {self.X.shape}, y {self.y.shape} "
            f"{self.y.dtype}, outputs {self.output_size})"
        )


# --------------------------------------------------------------------------- generators
# Each takes (rng, n, noise) and returns X (n, d) float64 and y (n,) in the kind's dtype.
# Every draw happens whatever the noise, so that noise only moves the same points.


def _class_counts(n: int, k: int) -> list[int]:
    """n split into k near-equal parts, the larger ones first."""
    return [n // k + (1 if c < n % k else 0) for c in range(k)]


def _circle(rng, n, noise):
    n_in, n_out = _class_counts(n, 2)
    radius = 5.0
    r = np.concatenate(
        [rng.uniform(0.0, radius * 0.5, n_in), rng.uniform(radius * 0.7, radius, n_out)]
    )
    angle = rng.uniform(0.0, 2.0 * np.pi, n)
    X = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    shifted = X + rng.uniform(-radius, radius, (n, 2)) * noise  # noise moves only the label
    y = (np.hypot(shifted[:, 0], shifted[:, 1]) < radius * 0.5).astype(np.float64)
    return X, y


def _xor(rng, n, noise):
    X = rng.uniform(-5.0, 5.0, (n, 2))
    X += np.where(X > 0, 0.3, -0.3)  # a gap along both axes
    shifted = X + rng.uniform(-5.0, 5.0, (n, 2)) * noise
    y = (shifted[:, 0] * shifted[:, 1] >= 0).astype(np.float64)
    return X, y


def _gaussian_std(noise):
    # Playground: variance = linear map of noise 0..0.5 onto 0.5..4 (extrapolated up to 1).
    return math.sqrt(0.5 + 7.0 * noise)


def _gauss(rng, n, noise):
    n_pos, n_neg = _class_counts(n, 2)
    y = np.concatenate([np.ones(n_pos), np.zeros(n_neg)])
    centres = np.where(y[:, None] == 1.0, 2.0, -2.0)
    X = centres + _gaussian_std(noise) * rng.standard_normal((n, 2))
    return X, y


def _arms(rng, counts, turns, noise):
    """Spiral arms k = 0.. at angle offsets 2πk/len(counts); radius grows from 0 to 5."""
    parts, labels = [], []
    for k, m in enumerate(counts):
        s = np.arange(m) / max(m, 1)
        r = s * 5.0
        t = turns * s * 2.0 * np.pi + 2.0 * np.pi * k / len(counts)
        parts.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
        labels.append(np.full(m, k))
    X = np.concatenate(parts) + rng.uniform(-1.0, 1.0, (sum(counts), 2)) * noise
    return X, np.concatenate(labels)


def _spiral(rng, n, noise):
    # Playground: the label 1 arm at offset 0, the label 0 arm at offset π.
    n_pos, n_neg = _class_counts(n, 2)
    X, arm = _arms(rng, [n_pos, n_neg], 1.75, noise)
    return X, (arm == 0).astype(np.float64)


def _moons(rng, n, noise):
    n_out, n_in = _class_counts(n, 2)
    theta = rng.uniform(0.0, np.pi, n)
    outer = np.column_stack([np.cos(theta[:n_out]), np.sin(theta[:n_out])])
    inner = np.column_stack([1.0 - np.cos(theta[n_out:]), 0.5 - np.sin(theta[n_out:])])
    X = np.concatenate([outer, inner]) + (0.5 * noise) * rng.standard_normal((n, 2))
    X = 3.0 * (X - (0.5, 0.25))  # make_moons spans [-1, 2] × [-0.5, 1]; centre it
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    return X, y


def _plane(rng, n, noise):
    X = rng.uniform(-6.0, 6.0, (n, 2))
    shifted = X + rng.uniform(-6.0, 6.0, (n, 2)) * noise
    # Playground divides by 10 (targets up to ±1.2); 12 keeps clean targets in [-1, 1].
    return X, np.clip(shifted.sum(axis=1) / 12.0, -1.0, 1.0)


_BUMPS = np.array(
    [[-4.0, 2.5, 1.0], [0.0, 2.5, -1.0], [4.0, 2.5, 1.0],
     [-4.0, -2.5, -1.0], [0.0, -2.5, 1.0], [4.0, -2.5, -1.0]]
)  # fmt: skip


def _multi_gauss(rng, n, noise):
    X = rng.uniform(-6.0, 6.0, (n, 2))
    shifted = X + rng.uniform(-6.0, 6.0, (n, 2)) * noise
    dist = np.hypot(shifted[:, :1] - _BUMPS[:, 0], shifted[:, 1:] - _BUMPS[:, 1])  # (n, 6)
    values = _BUMPS[:, 2] * np.clip(1.0 - dist / 2.0, 0.0, 1.0)
    strongest = np.abs(values).argmax(axis=1)  # Playground keeps the largest |value|
    return X, values[np.arange(n), strongest]


def _sine(rng, n, noise):
    x = rng.uniform(-6.0, 6.0, n)
    y = np.sin(x) + noise * rng.standard_normal(n)
    return x.reshape(-1, 1), y


def _spiral3(rng, n, noise):
    return _arms(rng, _class_counts(n, 3), 1.0, noise)


def _blobs(rng, n, noise):
    y = np.repeat(np.arange(3), _class_counts(n, 3))
    angle = np.pi / 2 + 2.0 * np.pi * y / 3
    centres = 3.5 * np.column_stack([np.cos(angle), np.sin(angle)])
    X = centres + _gaussian_std(noise) * rng.standard_normal((n, 2))
    return X, y


_GENERATORS = {
    "circle": _circle,
    "xor": _xor,
    "gauss": _gauss,
    "spiral": _spiral,
    "moons": _moons,
    "plane": _plane,
    "multi_gauss": _multi_gauss,
    "sine": _sine,
    "spiral3": _spiral3,
    "blobs": _blobs,
}


@functools.lru_cache(maxsize=1)
def _digits_file() -> tuple[np.ndarray, np.ndarray]:
    """Pixels (1797, 64) uint8 0..16 and labels (1797,) uint8, read once and kept read-only."""
    path = resource(DIGITS_FILE)
    with np.load(path, allow_pickle=False) as archive:
        X, y = archive["X"], archive["y"]
    if (
        X.shape != (DIGITS_SAMPLES, DIGITS_PIXELS)
        or y.shape != (DIGITS_SAMPLES,)
        or X.dtype != np.uint8
        or y.dtype != np.uint8
        or X.max() > _DIGITS_MAX_VALUE
        or y.max() > 9
    ):
        raise ValueError(f"{path} is not the expected digits data; rebuild it")
    return _frozen(X), _frozen(y)


def _digits(rng, n, noise):
    pixels, labels = _digits_file()
    if n < DIGITS_SAMPLES:
        rows = np.sort(rng.choice(DIGITS_SAMPLES, size=n, replace=False))
        pixels, labels = pixels[rows], labels[rows]
    X = pixels / _DIGITS_MAX_VALUE
    X += noise * rng.standard_normal(X.shape)
    np.clip(X, 0.0, 1.0, out=X)
    return X, labels.astype(np.int64)


def generate(name: str, n_samples: int | None = None, noise: float = 0.0, seed: int = 0) -> Dataset:
    """Generate the data set ``name``; the same arguments give bit-identical arrays.

    Parameters
    ----------
    name : str
        A key of :data:`DATASETS`.
    n_samples : int, optional
        Number of samples, 1..100,000; ``None`` means the data set's ``default_samples``.
        Classes are balanced to within one sample (xor: by chance, as in Playground).
        digits: at most 1,797; fewer gives a seeded random subset (without repeats) in the
        file's order; ``None`` or 1,797 gives every image.
    noise : float
        Fraction in [0, 1].  circle, xor, plane, multi_gauss: each point's label/target is
        read at the point shifted by U(±radius)·noise (radius 5 or 6; positions stay clean).
        gauss, blobs: variance 0.5 + 7·noise.  spiral, spiral3: positions += U(±1)·noise.
        moons: positions += N(0, (1.5·noise)²).  sine: y += N(0, noise²).
        digits: pixels += N(0, noise²), clipped to [0, 1].
    seed : int
        Non-negative seed of ``np.random.default_rng``.

    Returns
    -------
    Dataset
        ``X`` (n, input_dim) float64 and ``y`` (n,) as described in :class:`Dataset`.

    Raises
    ------
    ValueError
        For an unknown name or an argument out of range.
    """
    meta = info(name)
    if n_samples is None:
        n = meta.default_samples
    else:
        high = DIGITS_SAMPLES if name == "digits" else MAX_SAMPLES
        n = _check_int("n_samples", n_samples, 1, high)
    noise = _check_real("noise", noise, 0.0, MAX_NOISE)
    rng = np.random.default_rng(_check_seed(seed))
    if name == "digits":
        X, y = _digits(rng, n, noise)
    else:
        X, y = _GENERATORS[name](rng, n, noise)
        order = rng.permutation(n)
        X, y = X[order], y[order]
    return Dataset(name, meta.kind, X, y, meta.class_names)


# --------------------------------------------------------------------------- features

FEATURES: dict[str, str] = {
    "x1": "x1",
    "x2": "x2",
    "x1^2": "x1²",
    "x2^2": "x2²",
    "x1*x2": "x1·x2",
    "sin_x1": "sin x1",
    "sin_x2": "sin x2",
}
DEFAULT_FEATURES = ("x1", "x2")
_FEATURE_FUNCTIONS = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin_x1": lambda x1, x2: np.sin(x1),
    "sin_x2": lambda x1, x2: np.sin(x2),
}


def check_features(features: Sequence[str], allow_empty: bool = False) -> tuple[str, ...]:
    """Validate a selection of feature keys and return it as a tuple.

    A ValueError names an unknown or repeated key, a bare string, or an empty selection
    (unless ``allow_empty``).
    """
    if isinstance(features, str) or not isinstance(features, Iterable):
        raise ValueError(f"features must be a list of feature keys, not {features!r}")
    keys = tuple(features)
    for key in keys:
        if key not in FEATURES:
            raise ValueError(f"unknown feature {key!r} (known: {', '.join(FEATURES)})")
    if len(set(keys)) != len(keys):
        raise ValueError(f"a feature is repeated in {list(keys)}")
    if not keys and not allow_empty:
        raise ValueError("choose at least one input feature")
    return keys


def feature_matrix(X: np.ndarray, features: Sequence[str]) -> np.ndarray:
    """The network's input matrix: the chosen features of 2-D points.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Raw inputs.  Features apply only when d == 2; for any other width (1-D data, the 64
        digit pixels) the raw columns are the inputs and ``features`` only has its keys checked.
    features : sequence of str
        Keys of :data:`FEATURES`, in column order: x1, x2, x1² (``"x1^2"``), x2², x1·x2,
        sin x1, sin x2.

    Returns
    -------
    ndarray of float64, shape (n, len(features)) for d == 2, else (n, d)
        A new array.

    Raises
    ------
    ValueError
        For an unknown or repeated key, an empty selection on 2-D data, or X not 2-D.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n, d), got {X.shape}")
    keys = check_features(features, allow_empty=X.shape[1] != 2)
    if X.shape[1] != 2:
        return X.copy()
    out = np.empty((X.shape[0], len(keys)), dtype=np.float64)
    x1, x2 = X[:, 0], X[:, 1]
    for column, key in enumerate(keys):
        out[:, column] = _FEATURE_FUNCTIONS[key](x1, x2)
    return out


def input_labels(dataset_name: str, features: Sequence[str]) -> list[str]:
    """Labels of the network's input units for ``dataset_name`` with ``features``.

    2-D data: the features' display labels (``"x1²"``…); 1-D data: ``["x"]``; digits:
    ``["px0", …, "px63"]`` (row-major over the 8×8 image).  Its length is the input layer's size.
    """
    dim = info(dataset_name).input_dim
    keys = check_features(features, allow_empty=dim != 2)
    if dim == 2:
        return [FEATURES[key] for key in keys]
    if dim == 1:
        return ["x"]
    return [f"px{i}" for i in range(dim)]


# --------------------------------------------------------------------------- split and batches


def _stream(seed: int, key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))


def split(n: int, test_ratio: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded split of ``range(n)`` into training and test indices.

    Parameters
    ----------
    n : int
        Number of samples, >= 1.
    test_ratio : float
        Fraction in [0, 0.9] held out for testing; rounded to whole samples and capped so that
        at least one sample is left for training.
    seed : int
        Non-negative seed (its own random stream: not the one :func:`generate` uses).

    Returns
    -------
    train_idx, test_idx : ndarray of intp, shapes (n - n_test,) and (n_test,)
        Sorted, disjoint, together ``0..n-1``; n_test = min(round(n · test_ratio), n - 1).
    """
    n = _check_int("n", n, 1)
    test_ratio = _check_real("test_ratio", test_ratio, 0.0, MAX_TEST_RATIO)
    n_test = min(math.floor(n * test_ratio + 0.5), n - 1)
    order = _stream(_check_seed(seed), _SPLIT_STREAM).permutation(n)
    return np.sort(order[n_test:]), np.sort(order[:n_test])


class BatchIterator:
    """Endless seeded source of batch indices over ``range(n)``, reshuffled every epoch.

    ``batch_size`` None or >= n: full batch (the same ``0..n-1`` every step, no shuffling);
    1: stochastic; otherwise mini-batches.  An epoch visits every index exactly once; its last
    batch is shorter when ``batch_size`` does not divide n (PyTorch's ``drop_last=False``).

    Attributes
    ----------
    n, batch_size, batches_per_epoch : int
        ``batch_size`` is the effective size (n for full batch); batches_per_epoch = ⌈n / size⌉.
    epoch : int
        Completed epochs.
    step_in_epoch : int
        Batches already drawn in the current epoch (0 right after an epoch completes).

    ``state_dict()`` / ``load_state_dict()`` give and take the position, the epoch's order and
    the random stream as plain data: a loaded iterator draws the same batches from there on.
    """

    def __init__(self, n: int, batch_size: int | None = None, seed: int = 0):
        self.n = _check_int("n", n, 1)
        if batch_size is not None:
            batch_size = _check_int("batch_size", batch_size, 1)
        self.batch_size = self.n if batch_size is None else min(batch_size, self.n)
        self.batches_per_epoch = -(-self.n // self.batch_size)
        self.seed = _check_seed(seed)
        self.reset()

    @property
    def mode(self) -> str:
        """One of ``"full"``, ``"stochastic"`` and ``"mini-batch"``."""
        if self.batch_size == self.n:
            return "full"
        return "stochastic" if self.batch_size == 1 else "mini-batch"

    def reset(self) -> None:
        """Back to epoch 0 with the first epoch's order, as just after construction."""
        self._rng = _stream(self.seed, _BATCH_STREAM)
        self.epoch = 0
        self.step_in_epoch = 0
        if self.mode == "full":
            self._order = _frozen(np.arange(self.n))
        else:
            self._order = self._new_order()

    def _new_order(self) -> np.ndarray:
        # A fresh array per epoch (not an in-place shuffle) so batches handed out stay valid.
        return _frozen(self._rng.permutation(self.n))

    def next(self) -> np.ndarray:
        """Advances the position; returns the next batch's indices as a read-only (size,) view."""
        start = self.step_in_epoch * self.batch_size
        batch = self._order[start : start + self.batch_size]
        self.step_in_epoch += 1
        if self.step_in_epoch == self.batches_per_epoch:
            self.epoch += 1
            self.step_in_epoch = 0
            if self.batch_size != self.n:
                self._order = self._new_order()
        return batch

    __next__ = next  # noqa: A003 - the iterator protocol names it; next() is public API

    def state_dict(self) -> dict:
        """The iterator as plain data (a new dict)::

            {"n": 160, "batch_size": 10, "seed": 0, "epoch": 3, "step_in_epoch": 7,
             "order": (n,) int array,             # this epoch's permutation
             "rng": {"bit_generator": "PCG64", "state": {"state": ..., "inc": ...},
                     "has_uint32": 0, "uinteger": 0}}

        ``order`` is read-only and never changed in place (each epoch draws a new array), so
        it is shared, not copied.
        """
        return {
            "n": self.n,
            "batch_size": self.batch_size,
            "seed": self.seed,
            "epoch": self.epoch,
            "step_in_epoch": self.step_in_epoch,
            "order": self._order,
            "rng": self._rng.bit_generator.state,
        }

    def load_state_dict(self, state: dict) -> None:
        """Changes the position, order, seed and random stream to ``state`` (as
        :meth:`state_dict` gives it, or with a list for ``order``).

        ``n`` and ``batch_size`` must be this iterator's; ``order`` a permutation of
        ``range(n)``.  Raises ValueError naming the key ("batches.order: ..."), and nothing
        changes then.
        """
        key = "batches"
        d = _state.mapping(
            state, key, ("n", "batch_size", "seed", "epoch", "step_in_epoch", "order", "rng")
        )
        for name, mine in (("n", self.n), ("batch_size", self.batch_size)):
            given = _state.integer(d[name], _state.join(key, name), 1)
            if given != mine:
                raise _state.fail(
                    _state.join(key, name), f"the state has {given:,}; this iterator {mine:,}"
                )
        seed = _state.integer(d["seed"], _state.join(key, "seed"), 0, _state.RNG_WORD - 1)
        epoch = _state.integer(d["epoch"], _state.join(key, "epoch"))
        step = _state.integer(
            d["step_in_epoch"], _state.join(key, "step_in_epoch"), 0, self.batches_per_epoch - 1
        )
        order = self._read_order(d["order"], _state.join(key, "order"))
        rng = _state.rng_state(d["rng"], _state.join(key, "rng"))
        self._rng.bit_generator.state = rng
        self.seed, self.epoch, self.step_in_epoch, self._order = seed, epoch, step, order

    def _read_order(self, value: object, key: str) -> np.ndarray:
        if isinstance(value, np.ndarray) and not value.flags.writeable:
            order = value  # read-only: shared, as state_dict gives it
            if order.dtype.kind not in "iu" or order.shape != (self.n,):
                order = _state.array(order, key, (self.n,), whole=True, fits="the data's")
        else:
            order = _state.array(value, key, (self.n,), whole=True, fits="the data's")
        if order.min() < 0 or order.max() >= self.n:
            raise _state.fail(key, f"must hold indices 0 to {self.n - 1:,}")
        if np.count_nonzero(np.bincount(order, minlength=self.n)) != self.n:
            raise _state.fail(key, f"must hold each index 0 to {self.n - 1:,} once")
        return order if not order.flags.writeable else _frozen(order)

    def __iter__(self) -> BatchIterator:
        return self

    def __repr__(self) -> str:
        return (
            f"BatchIterator(n={self.n}, batch_size={self.batch_size}, {self.mode}, "
            f"epoch={self.epoch}, step {self.step_in_epoch}/{self.batches_per_epoch})"
        )
