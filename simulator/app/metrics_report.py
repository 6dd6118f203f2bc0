"""The metrics of the network a snapshot shows, on the training and the test set.

A snapshot holds copies of the weights of the step it shows (the live one, or an earlier one
while rewinding), so a copy of the document's network given those weights is exactly the
network shown.  :func:`metrics_report` runs it over the document's data and asks
``engine.metrics`` for the numbers: for classification the confusion matrix (rows the true
classes, columns the predicted ones), its row shares and the accuracy; for regression R² and
RMSE.  The views call it when they draw a frame (a few times a second at most), never for
every training step.  No Qt here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulator.app.document import Document
from simulator.engine import metrics as _metrics

SETS = ("train", "test")


@dataclass(frozen=True)
class SetMetrics:
    """The metrics of one data set (``name`` "train" or "test", ``samples`` of them).

    Classification: ``confusion`` (K, K) counts (rows: true class, columns: predicted),
    ``rates`` its rows as shares of each true class, ``accuracy``; regression: ``r2`` and
    ``rmse`` (NaN where they do not apply).  ``unpredicted`` counts the samples whose outputs
    are not finite (a diverged network): they have no predicted class.
    """

    name: str
    samples: int
    confusion: np.ndarray | None = None
    rates: np.ndarray | None = None
    accuracy: float = math.nan
    r2: float = math.nan
    rmse: float = math.nan
    unpredicted: int = 0

    @property
    def diverged(self) -> bool:
        """Whether some outputs are not finite (no class, or NaN metrics)."""
        return self.unpredicted > 0


@dataclass(frozen=True)
class MetricsReport:
    """The metrics of the network at ``step`` (``rewound``: an earlier step shown by rewinding).

    ``task`` is "binary", "multiclass" or "regression"; ``class_names`` the K class names
    (classification); ``sets`` the :class:`SetMetrics` by name ("train", and "test" when the
    data has a test set).
    """

    step: int
    rewound: bool
    task: str
    class_names: tuple[str, ...]
    sets: dict[str, SetMetrics]

    @property
    def classification(self) -> bool:
        return self.task != "regression"


def _network_of(document: Document, snapshot):
    """A copy of the document's network holding the snapshot's weights; None when they are of
    another shape (a snapshot from before an edit)."""
    net = document.network
    weights = snapshot.weights
    if len(weights) != len(net.layers):
        return None
    for (w, b), layer in zip(weights, net.layers):
        if np.shape(w) != layer.weights.shape or np.shape(b) != layer.bias.shape:
            return None
    copy = net.copy()
    copy.set_weights(weights)
    return copy


def _set_metrics(name: str, net, X, Y, task: str, k: int) -> SetMetrics:
    with np.errstate(all="ignore"):  # a diverged network: NaN is the answer, not a warning
        outputs = net.probabilities(X) if task != "regression" else net.predict(X)
    unpredicted = int(np.count_nonzero(~np.isfinite(outputs).all(axis=1)))
    if task == "regression":
        return SetMetrics(
            name,
            len(X),
            r2=_metrics.r2_score(Y, outputs),
            rmse=_metrics.rmse(Y, outputs),
            unpredicted=unpredicted,
        )
    confusion = _metrics.confusion_matrix(Y, outputs, n_classes=k)
    return SetMetrics(
        name,
        len(X),
        confusion=confusion,
        rates=_metrics.row_rates(confusion),
        accuracy=_metrics.accuracy(Y, outputs),
        unpredicted=unpredicted,
    )


def metrics_report(document: Document, snapshot) -> MetricsReport | None:
    """The metrics of the network ``snapshot`` shows, on the document's training and test
    sets; None when the snapshot does not fit the document's network or data any more."""
    net = _network_of(document, snapshot)
    data = document.data
    if net is None or data.X_train.shape[1] != net.sizes[0]:
        return None
    task = data.task
    names: tuple[str, ...] = ()
    k = 0
    if task != "regression":
        k = max(2, len(data.dataset.class_names), net.sizes[-1])
        given = list(data.dataset.class_names)
        names = tuple(given[c] if c < len(given) else f"class {c}" for c in range(k))
    sets = {}
    for name, X, Y in (("train", data.X_train, data.Y_train), ("test", data.X_test, data.Y_test)):
        if X is not None and len(X):
            sets[name] = _set_metrics(name, net, X, Y, task, k)
    return MetricsReport(snapshot.step, bool(snapshot.rewound), task, names, sets)
