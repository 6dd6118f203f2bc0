"""The headless trainer: one training step as three separately callable phases.

    forward_phase()   draws the next mini-batch and runs the forward pass
    backward_phase()  backpropagation: every dL/dw by the chain rule
    update_phase()    gradient descent: the optimizer moves every weight against its gradient

``step()`` runs all three.  The trainer keeps a :class:`History` and stops in a clear
"diverged" state (``trainer.diverged`` holds the message) at the first non-finite loss,
gradient or weight, with the weights of the last finite step restored.  No Qt here: the
app's TrainingController drives this object.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
from collections.abc import Callable

import numpy as np

from simulator.engine import losses as _losses
from simulator.engine import metrics as _metrics
from simulator.engine import schedules as _schedules
from simulator.engine import state as _state
from simulator.engine.datasets import BatchIterator
from simulator.engine.network import Gradients, Network, Trace

PHASES = ("forward", "backward", "update")


class TrainingDiverged(RuntimeError):
    """Raised by ``step()`` on a trainer that has already diverged."""


# Bytes a History may hold (every column, grad_norms included; capacity, not just filled rows).
# 32 MB is ~381,000 rows for a 2-layer network (88 bytes a row): a run of that many steps is
# kept whole, a longer one as its newest >= 190,000 steps and an envelope of the rest.
HISTORY_BUDGET = 32 * 1024 * 1024
# Fewest rows a History keeps however wide its rows are (only a network of more than ~65,000
# layers would exceed a 32 MB budget to keep them).
_MIN_ROWS = 64
# The parts of max_rows (R): at least R/_KEEP_EXACT newest rows stay as appended; the
# envelope takes at most R/_ENVELOPE rows (coarsened to half of that when it outgrows it);
# a compaction pass takes R/_CHUNK rows into it.
_KEEP_EXACT, _ENVELOPE, _CHUNK = 2, 8, 16
_EVALUATIONS = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")
# The most training data (X and Y) whose rows the trainer copies once per epoch in the
# epoch's order, so that batches are slices; a larger set is indexed batch by batch.
_EPOCH_ROWS_BYTES = 64 * 1024 * 1024
# Bytes made NaN ahead of the appends at a time: buffers are allocated empty and written a
# block at a time, so growing them costs only the copy of the filled rows.
_BLANK_BYTES = 256 * 1024


class History:
    """Per-step records in NumPy columns, within a byte budget.

    Columns: step, epoch (fractional), batch_loss, penalty, lr, and, at evaluation steps,
    train_loss, test_loss, train_accuracy, test_accuracy (NaN elsewhere); grad_norms is
    (rows, L): each layer's gradient norm at that step.  Steps increase from row to row.

    Memory.  The columns start at ``capacity`` rows and double as they fill, up to
    ``max_rows = budget_bytes // (8 · (9 + L))`` rows (R), never beyond; a doubling begins
    when a quarter of the rows is left and takes one buffer (a column, or grad_norms) per
    append, so no append copies more than one.  When the budget's rows are full, the oldest
    R/16 rows still kept as appended are *compacted* into the envelope in one vectorised
    pass: grouped into buckets of ``bucket_steps`` steps (a power of two; a row's bucket is
    floor(step / bucket_steps)), each bucket keeps only

    * the row of its smallest and the row of its largest batch_loss (so the band of the loss
      over the whole run, every peak and dip, survives),
    * its last evaluation row (evaluations survive, thinned to one per bucket),
    * at least two rows if it had two or more; on its first kept row grad_norms become
      each layer's minimum over the bucket, on its last kept row each layer's maximum (so
      the gradient-flow band survives too).

    Kept rows are otherwise real records (their step, epoch, lr, penalty, evaluations), and
    the later rows move down after them.  ``bucket_steps`` is first chosen so that the whole
    run so far would fit in R/8 rows (32 steps for a 2-layer network); once the envelope
    holds more than R/8 rows, the next append *coarsens* it: one pass over it alone, with the
    smallest power of two (at least double) that leaves it at most R/16.  Buckets nest (a
    coarser one is a union of finer ones, and min of minima, max of maxima are its own), so
    the old part keeps an even resolution over the whole run.  No append does more than one
    pass; a pass reads about R/8 rows at most and moves the newer ones down, and passes come
    ~R/18 appends apart or more (O(1) amortised per append; tests/benchmarks/bench_history.py
    measures them).  The newest R/2 rows at least are always kept as appended.

    Before the first compaction the columns are exactly the rows appended.  After it, a
    row's index is no longer step - 1: :meth:`rows_through` finds the rows up to a step,
    :attr:`full_resolution_start` the first row kept as appended, and :attr:`revision`
    changes whenever rows already there change other than by :meth:`append` or
    :meth:`set_last` (a compaction, a truncation, a restructured network's grad_norms), so
    an incremental reader knows to read afresh.
    """

    SCALARS = (
        "step",
        "epoch",
        "batch_loss",
        "penalty",
        "lr",
        "train_loss",
        "test_loss",
        "train_accuracy",
        "test_accuracy",
    )

    def __init__(self, n_layers: int, capacity: int = 1024, budget_bytes: int = HISTORY_BUDGET):
        if budget_bytes <= 0:
            raise ValueError("the budget must be > 0 bytes")
        self.budget_bytes = int(budget_bytes)
        self._n = 0
        self._exact_from = 0  # rows before this one are compacted
        self._bucket = 0  # bucket_steps (0: never compacted)
        self._coarsen_due = False  # the envelope outgrew its share: coarsen at the next append
        self.revision = 0
        capacity = max(1, min(int(capacity), self._max_rows_for(n_layers)))
        self._cols = {name: np.empty(capacity) for name in self.SCALARS}
        self._norms = np.empty((capacity, n_layers))
        self._blank_to = 0  # rows [len, _blank_to) are NaN; later ones not yet written
        self._set_capacity(capacity)

    # ----------------------------------------------------------------- reading
    def __len__(self) -> int:
        return self._n

    @property
    def nbytes(self) -> int:
        """Memory held by the columns (capacity, not just the filled rows); at most
        ``budget_bytes`` (unless fewer than 64 rows would fit)."""
        return sum(col.nbytes for col in self._cols.values()) + self._norms.nbytes

    @property
    def max_rows(self) -> int:
        """Rows the budget holds at the present width (grad_norms' L)."""
        return self._max_rows_for(self._norms.shape[1])

    @property
    def bucket_steps(self) -> int:
        """Steps per bucket of the rows this object compacted (0 if none; a loaded history
        may hold rows compacted before it was saved: see :attr:`full_resolution_start`)."""
        return self._bucket

    @property
    def full_resolution_start(self) -> int:
        """The first row of the newest part, kept exactly as appended (0: all of it)."""
        return self._exact_from

    def column(self, name: str) -> np.ndarray:
        """A view of one column's filled part (no copy)."""
        if name == "grad_norms":
            return self._norms[: self._n]
        return self._cols[name][: self._n]

    def last(self, name: str) -> float:
        return float(self._cols[name][self._n - 1]) if self._n else math.nan

    def last_finite(self, name: str) -> float:
        col = self.column(name)
        finite = col[np.isfinite(col)]
        return float(finite[-1]) if finite.size else math.nan

    def rows_through(self, step: float) -> int:
        """How many rows have a step <= ``step``: the history as it was at the end of that
        step is ``column(name)[:rows_through(step)]`` (compacted or not)."""
        return int(np.searchsorted(self._cols["step"][: self._n], step, side="right"))

    # ----------------------------------------------------------------- changing
    def append(self, grad_norms: np.ndarray, **values: float) -> None:
        """Adds a row (columns not given are NaN); may compact older rows first."""
        if grad_norms.shape[0] != self._norms.shape[1]:  # the network was restructured
            self._set_width(grad_norms.shape[0])
        if self._n >= self._room_at:
            self._make_room()
        elif self._coarsen_due:
            self._coarsen()
        row = self._n
        if row >= self._blank_to:
            self._blank_ahead(row)
        for name, value in values.items():
            self._cols[name][row] = value
        self._norms[row] = grad_norms
        self._n += 1

    def _append_step(self, grad_norms, step, epoch, batch_loss, penalty, lr) -> None:
        # append() with a training step's five columns, without a keyword dict per step.
        if grad_norms.shape[0] != self._norms.shape[1]:
            self._set_width(grad_norms.shape[0])
        if self._n >= self._room_at:
            self._make_room()
        elif self._coarsen_due:
            self._coarsen()
        row = self._n
        if row >= self._blank_to:
            self._blank_ahead(row)
        cols = self._cols
        cols["step"][row] = step
        cols["epoch"][row] = epoch
        cols["batch_loss"][row] = batch_loss
        cols["penalty"][row] = penalty
        cols["lr"][row] = lr
        self._norms[row] = grad_norms
        self._n += 1

    def extend(self, grad_norms: np.ndarray, **columns) -> None:
        """Adds ``len(grad_norms)`` rows at once, as many :meth:`append` calls would (the same
        compactions at the same rows).  grad_norms (k, L); each column an array (k,) or a
        number; columns not given are NaN."""
        unknown = set(columns) - set(self.SCALARS)
        if unknown:
            raise KeyError(f"no history column {sorted(unknown)[0]!r}")
        grad_norms = np.asarray(grad_norms, dtype=float)
        if grad_norms.shape[1] != self._norms.shape[1]:
            self._set_width(grad_norms.shape[1])
        total = grad_norms.shape[0]
        done = 0
        while done < total:
            if self._n >= self._room_at:  # a row at a time from here, as append does
                self._make_room()
                k = 1
            else:
                if self._coarsen_due:
                    self._coarsen()
                k = min(total - done, self._room_at - self._n)
            start = self._n
            for name, col in self._cols.items():
                value = columns.get(name, math.nan)
                col[start : start + k] = value[done : done + k] if np.ndim(value) else value
            self._norms[start : start + k] = grad_norms[done : done + k]
            self._n += k
            self._blank_to = max(self._blank_to, self._n)
            done += k

    def set_last(self, **values: float) -> None:
        for name, value in values.items():
            self._cols[name][self._n - 1] = value

    def truncate(self, n: int) -> None:
        """Keep the first ``n`` records (rewinding: see :meth:`rows_through`)."""
        n = max(0, min(n, self._n))
        if n < self._n:
            self._clear_rows(n, self._n)
            self._n = n
            self._exact_from = min(self._exact_from, n)
            self.revision += 1

    def copy(self) -> History:
        """An independent copy of the filled rows (with room to grow), compaction included."""
        new = History(self._norms.shape[1], max(1024, self._n), self.budget_bytes)
        new._resize(max(new._capacity, self._n))
        for name, col in self._cols.items():
            new._cols[name][: self._n] = col[: self._n]
        new._norms[: self._n] = self._norms[: self._n]
        new._n = self._n
        new._exact_from, new._bucket, new.revision = self._exact_from, self._bucket, self.revision
        new._coarsen_due = self._coarsen_due
        return new

    def as_dict(self) -> dict[str, list]:
        """Plain lists (NaN as None), for JSON: one entry per row."""
        out = {}
        for name in self.SCALARS:
            out[name] = [None if not math.isfinite(v) else v for v in self.column(name).tolist()]
        out["grad_norms"] = [
            [None if not math.isfinite(v) else v for v in row]
            for row in self.column("grad_norms").tolist()
        ]
        return out

    def compaction_state(self) -> dict:
        """How far compaction has gone, as plain data: ``{"budget_bytes", "bucket_steps",
        "full_resolution_start", "coarsen_due"}``; with :meth:`as_dict`'s rows, ``from_dict``
        rebuilds a history that compacts on exactly as this one would."""
        return {
            "budget_bytes": self.budget_bytes,
            "bucket_steps": self._bucket,
            "full_resolution_start": self._exact_from,
            "coarsen_due": self._coarsen_due,
        }

    @classmethod
    def from_dict(
        cls,
        data: dict[str, list],
        n_layers: int,
        budget_bytes: int = HISTORY_BUDGET,
        compaction: dict | None = None,
    ) -> History:
        """The History of ``as_dict()``'s lists, or of float64 arrays with NaN for None (as
        :meth:`column` gives them); compacted at once if it exceeds the budget.

        A compacted history's part kept as appended is taken to start after the last gap
        between steps (its rows' steps follow one another), unless ``compaction`` (what
        :meth:`compaction_state` gave; its ``budget_bytes`` is ignored here) says where.
        """
        n = len(data.get("step", []))
        cols = {}
        for name in cls.SCALARS:
            col = data.get(name, [None] * n)
            if not isinstance(col, np.ndarray):
                col = [math.nan if v is None else v for v in col]
            col = np.asarray(col, dtype=float)
            if col.shape != (n,):
                raise ValueError(f"history column {name!r} has {col.shape[0]} values, not {n}")
            cols[name] = col
        norms = None
        rows = data.get("grad_norms", [])
        if n and len(rows) == n:
            if not isinstance(rows, np.ndarray):
                rows = [[math.nan if v is None else v for v in row] for row in rows]
            arr = np.asarray(rows, dtype=float)
            if arr.ndim == 2:
                norms = arr
        width = n_layers if norms is None else norms.shape[1]
        hist = cls(width, max(1024, n), budget_bytes)
        hist._resize(max(hist._capacity, n), limit=False)
        for name, col in cols.items():
            hist._cols[name][:n] = col
        hist._norms[:n] = np.nan if norms is None else norms
        hist._n = n
        gaps = np.flatnonzero(np.diff(cols["step"]) != 1)
        if compaction is not None:
            hist._exact_from = min(int(compaction["full_resolution_start"]), n)
            hist._bucket = int(compaction["bucket_steps"])
            hist._coarsen_due = bool(compaction["coarsen_due"])
        elif gaps.size:
            hist._exact_from = int(gaps[-1]) + 1
        if n > hist.max_rows:
            hist._fit(hist.max_rows)
        hist._resize(min(hist._capacity, hist.max_rows))
        hist.revision = 0
        return hist

    # ----------------------------------------------------------------- memory
    def _max_rows_for(self, width: int) -> int:
        return max(_MIN_ROWS, self.budget_bytes // (8 * (len(self.SCALARS) + width)))

    def _set_capacity(self, capacity: int) -> None:
        # Every buffer holds ``capacity`` rows or more; room is made from row _room_at on.
        self._capacity = capacity
        self._room_at = capacity - capacity // 4 if capacity < self.max_rows else capacity

    def _buffers(self) -> list[tuple[str | None, np.ndarray]]:
        return [(None, self._norms), *self._cols.items()]

    def _regrow(self, name: str | None, capacity: int) -> None:
        # One buffer with ``capacity`` rows, holding the filled ones.
        old = self._norms if name is None else self._cols[name]
        new = np.empty((capacity, *old.shape[1:]))
        new[: self._n] = old[: self._n]
        if name is None:
            self._norms = new
        else:
            self._cols[name] = new
        self._blank_to = min(self._blank_to, self._n)

    def _make_room(self) -> None:
        """Before a row is added at ``_room_at`` or later: while the budget allows more rows,
        the buffers double one at a time, a row apart (all that are left when no row is
        free), so no append copies more than one column; once it does not, a full history
        compacts its older rows (see the class docstring)."""
        if self._capacity >= self.max_rows:
            if self._n >= self._capacity:
                self._compact()
            return
        target = min(2 * self._capacity, self.max_rows)
        short = [name for name, buffer in self._buffers() if len(buffer) < target]
        for name in short if self._n >= self._capacity else short[:1]:
            self._regrow(name, target)
        if len(short) <= 1 or self._n >= self._capacity:
            self._set_capacity(target)

    def _resize(self, capacity: int, limit: bool = True) -> None:
        # Every buffer with ``capacity`` rows (>= the filled ones) holding the filled rows.
        if limit:
            capacity = min(capacity, self.max_rows)
        capacity = max(capacity, self._n, 1)
        for name, buffer in self._buffers():
            if len(buffer) != capacity:
                self._regrow(name, capacity)
        self._set_capacity(capacity)

    def _blank_ahead(self, start: int) -> None:
        rows = _BLANK_BYTES // (8 * (len(self.SCALARS) + self._norms.shape[1]))
        stop = min(start + max(rows, 16), self._capacity)
        for col in self._cols.values():
            col[start:stop] = np.nan
        self._norms[start:stop] = np.nan
        self._blank_to = stop

    def _set_width(self, width: int) -> None:
        # A restructured network: grad_norms get ``width`` columns, the first min(old, new)
        # kept, the rest NaN; compacted first if the wider rows would exceed the budget.
        rows = self._max_rows_for(width)
        if self._n >= rows:
            self._fit(rows)
        capacity = min(self._capacity, rows)
        self._resize(capacity, limit=False)
        n, k = self._n, min(width, self._norms.shape[1])
        norms = np.empty((capacity, width))
        norms[:n, :k] = self._norms[:n, :k]
        norms[:n, k:] = np.nan
        norms[n : self._blank_to] = np.nan
        self._norms = norms
        self._set_capacity(capacity)  # max_rows changed with the width
        self.revision += 1

    def _clear_rows(self, start: int, stop: int) -> None:
        for col in self._cols.values():
            col[start:stop] = np.nan
        self._norms[start:stop] = np.nan

    def _compact(self) -> None:
        """Makes room in full columns: the oldest chunk of rows kept as appended goes into the
        envelope (see the class docstring)."""
        rows = self.max_rows
        n, e = self._n, self._exact_from
        newest = n - rows // _KEEP_EXACT  # rows from here on stay as appended
        chunk = max(rows // _CHUNK, 1)
        steps = self._cols["step"]
        if not self._bucket:  # the first time: buckets that would fit the run so far in R/8
            self._bucket = _fit_bucket(_span(steps[:n]), rows // _ENVELOPE, 1)
        start = e
        if e:  # the envelope's last bucket takes the chunk's rows of its steps in
            bucket_start = np.floor(steps[e - 1] / self._bucket) * self._bucket
            start = int(np.searchsorted(steps[:e], bucket_start, side="left"))
        stop = min(e + chunk, newest)
        if stop > start:
            self._thin(start, stop)
        if n - self._n < chunk // 4:  # steps that do not increase: everything old, fitted
            self._fit(rows)
        self._coarsen_due = self._exact_from > rows // _ENVELOPE

    def _coarsen(self) -> None:
        """The envelope in buckets at least twice as wide, in at most R/16 rows."""
        self._coarsen_due = False
        if self._exact_from > 1:
            self._thin(0, self._exact_from, room=self.max_rows // (2 * _ENVELOPE))

    def _fit(self, rows: int) -> None:
        """Compacts all but the newest rows / _KEEP_EXACT rows into at most rows / _ENVELOPE
        (one pass over them all: for a restructured network or a loaded history)."""
        self._thin(0, self._n - rows // _KEEP_EXACT, room=rows // _ENVELOPE)

    def _thin(self, start: int, stop: int, room: int | None = None) -> None:
        """Changes rows [start, stop) into their envelope, in buckets of ``bucket_steps`` (or,
        given ``room``, of the smallest power of two at least as wide that leaves at most
        ``room`` rows); the later rows move down after them."""
        if stop - start < 2:
            return
        cols, n = self._cols, self._n
        count = stop - start
        key = np.fmax.accumulate(cols["step"][start:stop])  # a copy; == steps if they increase
        if not (math.isfinite(key[0]) and math.isfinite(key[-1])):  # NaN or infinite steps
            finite = key[np.isfinite(key)]
            first = float(finite[0]) if finite.size else 0.0
            key = np.nan_to_num(key, nan=first, posinf=2.0**53, neginf=-(2.0**53))
        if room is not None:
            self._bucket = _fit_bucket(float(key[-1] - key[0]), room, self._bucket)
        groups = np.floor(np.multiply(key, 1.0 / self._bucket, out=key), out=key)
        starts = np.concatenate(([0], np.flatnonzero(groups[1:] != groups[:-1]) + 1))
        sizes = np.diff(np.append(starts, count))
        index = np.arange(count)

        # The rows of each bucket's lowest and highest batch_loss (the first such), its last
        # evaluation, and at least two rows where it has two.
        keep = np.zeros(count, dtype=bool)
        loss = cols["batch_loss"][start:stop]
        nan = np.isnan(loss)
        for fill, extreme in ((np.inf, np.minimum), (-np.inf, np.maximum)):
            values = np.where(nan, fill, loss) if nan.any() else loss
            at = values == np.repeat(extreme.reduceat(values, starts), sizes)
            keep[np.minimum.reduceat(np.where(at, index, count), starts)] = True
        evaluated = np.isfinite(cols[_EVALUATIONS[0]][start:stop])
        for name in _EVALUATIONS[1:]:
            evaluated |= np.isfinite(cols[name][start:stop])
        last_evaluation = np.maximum.reduceat(np.where(evaluated, index, -1), starts)
        keep[last_evaluation[last_evaluation >= 0]] = True
        single = (np.add.reduceat(keep, starts) < 2) & (sizes >= 2)
        ends = (starts + sizes - 1)[single]
        end_kept = keep[ends]
        keep[ends] = True
        keep[starts[single][end_kept]] = True
        kept = np.flatnonzero(keep)

        # grad_norms: each bucket's per-layer minimum on its first kept row, maximum on its last.
        norms = self._norms[start:stop]
        new_norms = norms[kept]
        of_bucket = np.searchsorted(starts, kept, side="right")
        firsts = np.flatnonzero(np.concatenate(([True], of_bucket[1:] != of_bucket[:-1])))
        new_norms[firsts] = np.fmin.reduceat(norms, starts, axis=0)
        new_norms[np.append(firsts[1:] - 1, len(kept) - 1)] = np.fmax.reduceat(norms, starts, 0)

        end = start + len(kept)
        for col in cols.values():
            col[start:end] = col[start:stop][kept]
            _move_down(col, stop, n, end)
        self._norms[start:end] = new_norms
        _move_down(self._norms, stop, n, end)
        moved = n - stop
        self._n = end + moved
        self._clear_rows(self._n, n)
        self._exact_from = end
        self.revision += 1

    def __repr__(self) -> str:
        compacted = ""
        if self._bucket:
            compacted = f", rows before {self._exact_from} compacted by {self._bucket} steps"
        return (
            f"History({self._n} rows × (9 + {self._norms.shape[1]}) columns{compacted}, "
            f"{self.nbytes:,} of {self.budget_bytes:,} bytes)"
        )


def _move_down(arr: np.ndarray, start: int, stop: int, to: int) -> None:
    """Changes ``arr[to : to + stop - start]`` to ``arr[start:stop]`` (to <= start) in pieces
    that do not overlap: NumPy would copy an overlapping source to a temporary first."""
    gap = start - to
    for i in range(start, stop, gap):
        j = min(i + gap, stop)
        arr[i - gap : j - gap] = arr[i:j]


def _span(steps: np.ndarray) -> float:
    """How many steps ``steps`` (increasing) cover; their count if they are not proper."""
    span = float(steps[-1] - steps[0])
    return span if 0 <= span < 2.0**53 else float(len(steps))


def _fit_bucket(span: float, room: int, bucket: int) -> int:
    """The smallest power of two >= ``bucket`` (and >= 1) whose buckets over ``span`` steps
    take at most ``room`` rows (<= 3 rows in each of <= span / bucket + 2 buckets)."""
    bucket = max(int(bucket), 1)
    buckets = max(room // 3, 3)
    while span / bucket + 2 > buckets:
        bucket *= 2
    return bucket


def accuracy(net: Network, X: np.ndarray, y: np.ndarray, task: str) -> float:
    """Fraction classified right.  binary: probability >= 0.5 vs y in {0,1}; multiclass: argmax."""
    if task == "regression" or X.shape[0] == 0:
        return math.nan
    return _metrics.accuracy(y, net.probabilities(X))  # a non-finite output counts as wrong


def _loss_and_accuracy(net: Network, X: np.ndarray, Y, task: str) -> tuple[float, float]:
    """``net.evaluate(X, Y)`` and ``accuracy(net, X, Y, task)`` from one forward pass."""
    trace = net.forward(X, training=False)
    loss = net.trace_loss(trace, Y)
    if task == "regression" or X.shape[0] == 0:
        return loss, math.nan
    probs = _losses.probabilities(net.loss, net.layers[-1].activation, trace.output)
    return loss, _metrics.accuracy(Y, probs)


def _quiet_floats(phase):
    # A diverging run overflows on its way to NaN; the trainer reports that itself, so NumPy's
    # floating-point warnings would only be noise (or exceptions under warnings-as-errors).
    def run(self, *args, **kwargs):
        with np.errstate(all="ignore"):  # over, invalid, divide and under
            return phase(self, *args, **kwargs)

    run.__name__ = phase.__name__
    run.__doc__ = phase.__doc__
    return run


# Python objects around the arrays (array headers, state dicts, RNG states, lists): a fixed
# allowance per checkpoint, measured with tracemalloc (XOR 2-8-1 with Adam: 6.7 KB beyond
# the arrays' data; digits 64-32-10 with SGD: 5.2 KB), so the budget holds for what the
# process really keeps.
_CHECKPOINT_OVERHEAD = 6912


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """Everything a Trainer needs to go on bit-exactly from the end of step ``step``.

    Taken by :meth:`Trainer.checkpoint` between whole steps: ``state`` is
    ``Trainer.state_dict(history=False)`` (arrays copied; the batch order, read-only, shared).
    ``weights`` (a list of (W (fan_in, fan_out), b (fan_out,))) and ``dropout_rng`` (the dropout
    RNG's bit-generator state) read it.  The architecture (sizes, masks, activations), the data
    and the settings are not stored: a checkpoint goes back into a trainer of the same network,
    data and settings.  ``history_length`` is the number of history rows at that step when the
    checkpoint was taken; rows move once older ones are compacted (see :class:`History`), so
    :meth:`Trainer.restore` finds that step's rows with ``History.rows_through(step)``.
    """

    step: int
    history_length: int
    state: dict

    @property
    def weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(layer["weights"], layer["bias"]) for layer in self.state["weights"]]

    @property
    def dropout_rng(self) -> dict:
        return self.state["dropout_rng"]

    @functools.cached_property
    def nbytes(self) -> int:
        """Memory held: every array (the shared batch order counted too) plus an allowance."""
        # The arrays' places in the state, read directly: a generic walk costs as much as
        # taking the checkpoint.
        state = self.state
        total = _CHECKPOINT_OVERHEAD + state["batches"]["order"].nbytes
        for layers in (state["weights"], state["last_good"] or ()):
            for layer in layers:
                total += layer["weights"].nbytes + layer["bias"].nbytes
        for layer in state["optimizer"]["state"]["layers"]:
            for values in layer.values():
                total += sum(v.nbytes for v in values.values() if type(v) is np.ndarray)
        return total

    def __repr__(self) -> str:
        return f"Checkpoint(step {self.step}, {self.nbytes:,} bytes)"


@dataclasses.dataclass(frozen=True)
class StepRecord:
    """What the last update used besides the optimizer's own state (``Trainer.last_step``).

    ``step``: the step count the update made; ``lr``: the learning rate it used; ``clip_norm``:
    the clip limit then (None: off), ``global_norm`` the gradients' global norm before clipping
    (None when clipping was off) and ``clip_factor`` the factor that scaled them (None: no
    scaling); ``l1``, ``l2``: the penalty rates the gradients were computed with;
    ``weights_before``: per layer (W, b) before the update (the trainer's ``last_good`` arrays,
    overwritten by the next update: copy what you keep).
    """

    step: int
    lr: float
    clip_norm: float | None
    global_norm: float | None
    clip_factor: float | None
    l1: float
    l2: float
    weights_before: list


class Trainer:
    """Trains ``net`` with ``optimizer`` on (X_train, Y_train), evaluating on the test set.

    Parameters
    ----------
    net : the Network, changed in place
    optimizer : an ``optimizers`` object; its ``lr`` is the base learning rate
    X_train (n, d), Y_train : targets as the network takes them (see ``Network.targets``)
    X_test, Y_test : optional test set
    task : "binary", "multiclass" or "regression" (accuracy is NaN for regression)
    batch_size : None = full batch; 1 = stochastic; B = mini-batches of B, reshuffled per epoch
    schedule : a ``schedules`` object (None = constant), applied per completed epoch
    clip_norm : clip the global gradient norm to this before each update (None = off)
    eval_every : evaluate full train/test loss every this many steps (None = once per epoch)
    seed : seeds the batch order
    """

    def __init__(
        self,
        net: Network,
        optimizer,
        X_train,
        Y_train,
        X_test=None,
        Y_test=None,
        *,
        task: str = "regression",
        batch_size: int | None = None,
        schedule=None,
        clip_norm: float | None = None,
        eval_every: int | None = None,
        seed: int = 0,
    ):
        if task not in ("binary", "multiclass", "regression"):
            raise ValueError(f"task must be binary, multiclass or regression, not {task!r}")
        self.net = net
        self.optimizer = optimizer
        self.task = task
        self.X_train = np.asarray(X_train, dtype=net.dtype)
        self.Y_train = np.asarray(Y_train)
        if self.X_train.shape[0] == 0:
            raise ValueError("the training set is empty")
        if self.Y_train.shape[0] != self.X_train.shape[0]:
            raise ValueError("X_train and Y_train have different numbers of samples")
        has_test = X_test is not None and len(X_test) > 0
        self.X_test = np.asarray(X_test, dtype=net.dtype) if has_test else None
        self.Y_test = np.asarray(Y_test) if has_test else None
        self.schedule = schedule or _schedules.make("constant")
        self.base_lr = float(optimizer.lr)
        self.clip_norm = clip_norm
        self.eval_every = eval_every
        self.seed = int(seed)
        self._batch_size = batch_size
        self.batches = BatchIterator(self.X_train.shape[0], batch_size, seed)
        self.history = History(len(net.layers))
        self.step_count = 0
        self._epoch_base, self._epoch_base_step = 0.0, 0
        self.phase = "forward"  # the phase that runs next
        self.diverged: str | None = None
        self.diverged_at_step: int | None = None
        self.batch_index: np.ndarray | None = None
        self.trace: Trace | None = None
        self.grads: Gradients | None = None
        self.last_good: list | None = None
        self._good = None  # (layout, last_good, the vector its arrays are views of)
        self._lr_cache = None  # ((schedule, base_lr, epoch), its learning rate)
        # (order, X_train, Y_train, X_train[order], Y_train[order]) of the epoch under way
        self._epoch_rows = None
        self._batch = None  # (batch_index, its rows of X_train, of Y_train)
        self._last_step: StepRecord | tuple | None = None  # the last update's record (or args)
        self._rates = (net.l1, net.l2)  # the penalty rates of the last backward pass
        self.record_evaluations = True  # False: no full-set evaluations (a replay needs none)
        # (batches, dropout RNG) states before forward_phase() drew its batch: the state of a
        # trainer in the middle of a step is that of the last whole step.
        self._step_start: tuple[dict, dict] | None = None

    # ----------------------------------------------------------------- settings
    @property
    def batch_size(self) -> int | None:
        return self._batch_size

    @batch_size.setter
    def batch_size(self, size: int | None) -> None:
        """Changes the batch mode; the new order starts at the next epoch boundary (now)."""
        self._epoch_base, self._epoch_base_step = self.epoch, self.step_count
        self._batch_size = size
        self.batches = BatchIterator(self.X_train.shape[0], size, self.seed + self.step_count)

    @property
    def epoch(self) -> float:
        """Epochs done, fractional; counted on across changes of batch size or data."""
        steps = self.step_count - self._epoch_base_step
        return self._epoch_base + steps / self.batches.batches_per_epoch

    def continue_from(self, other: Trainer) -> None:
        """Changes this trainer to go on with ``other``'s run: its optimizer (and state), base
        learning rate, step count, epoch count and history (after an edit rebuilt the trainer)."""
        self.optimizer = other.optimizer
        self.base_lr = other.base_lr
        self._epoch_base, self._epoch_base_step = other.epoch, other.step_count
        self.step_count = other.step_count
        self.history = other.history

    @property
    def last_step(self) -> StepRecord | None:
        """The last update's :class:`StepRecord` (None before it, after a restore or a load)."""
        record = self._last_step
        if type(record) is tuple:
            record = self._last_step = StepRecord(*record)
        return record

    @last_step.setter
    def last_step(self, record: StepRecord | None) -> None:
        self._last_step = record

    def current_lr(self) -> float:
        # Schedules are immutable and pure: the rate is asked again only for a new epoch.
        key = (self.schedule, self.base_lr, int(self.epoch))
        cached = self._lr_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        lr = float(self.schedule.lr_at(self.base_lr, key[2]))
        self._lr_cache = (key, lr)
        return lr

    # ----------------------------------------------------------------- phases
    def _check_phase(self, phase: str) -> None:
        if self.diverged:
            raise TrainingDiverged(self.diverged)
        if self.phase != phase:
            raise RuntimeError(f"the next phase is {self.phase}, not {phase}")

    @_quiet_floats
    def forward_phase(self) -> Trace:
        """Draw the next mini-batch and run the forward pass (dropout on)."""
        self._check_phase("forward")
        self._step_start = (self.batches.state_dict(), self.net.rng_state())
        return self._forward()

    @_quiet_floats
    def forward_loss(self) -> float | None:
        """The data loss of the batch the step under way has run forward (after the forward
        phase, before the update; None otherwise).  Computed when asked: a whole step does not
        pay for it."""
        if self.phase == "update" and self.grads is not None:
            return float(self.grads.loss)
        if self.phase != "backward" or self.trace is None:
            return None
        return float(self.net.trace_loss(self.trace, self.Y_train[self.batch_index]))

    @_quiet_floats
    def backward_phase(self) -> Gradients:
        """Backpropagate the batch loss; a non-finite loss or gradient diverges training."""
        self._check_phase("backward")
        return self._backward()

    @_quiet_floats
    def update_phase(self) -> None:
        """Apply the optimizer's update, record the step; non-finite weights roll back."""
        self._check_phase("update")
        self._update()

    @_quiet_floats
    def step(self) -> Gradients:
        """One whole training step (the phases left of the current one, then whole)."""
        if self.diverged:
            raise TrainingDiverged(self.diverged)
        if self.phase == "forward":
            self._forward()
        if self.phase == "backward":
            grads = self._backward()
            if self.diverged:
                return grads
        self._update()
        return self.grads

    def _forward(self) -> Trace:
        batches = self.batches
        start = batches.step_in_epoch * batches.batch_size
        index = self.batch_index = batches.next()
        # The batch's rows: a slice of this epoch's rows taken in its order once (the same
        # numbers as X_train[index], without a copy per step).
        order = index.base
        X, Y = self.X_train, self.Y_train
        data = self._epoch_rows
        if data is None or data[0] is not order or data[1] is not X or data[2] is not Y:
            data = None
            if (
                order is not None
                and order.shape == (batches.n,)
                and order.strides == index.strides
                and X.nbytes + Y.nbytes <= _EPOCH_ROWS_BYTES
            ):
                data = (order, X, Y, X[order], Y[order])  # index is order[start:stop]
            self._epoch_rows = data
        if data is None:
            self._batch = (index, X[index], Y[index])
        else:
            stop = start + index.shape[0]
            self._batch = (index, data[3][start:stop], data[4][start:stop])
        self.trace = self.net.forward(self._batch[1], training=True)
        self.phase = "backward"
        return self.trace

    def _backward(self) -> Gradients:
        net = self.net
        batch = self._batch
        y = batch[2] if batch is not None and batch[0] is self.batch_index else None
        if y is None:
            y = self.Y_train[self.batch_index]
        grads = net.backward(self.trace, y)
        self.grads = grads
        self._rates = (net.l1, net.l2)
        self.phase = "update"
        # The per-layer norms go to the history and double as the finiteness check.
        self._norms = norms = grads.layer_norms()
        if not math.isfinite(grads.loss + float(np.add.reduce(norms))):
            # These weights give a non-finite loss: go back to those of the last finite step.
            self.restore_last_good()
            self._diverge(
                f"the loss or a gradient became {_describe(grads.loss)} at step "
                f"{self.step_count + 1}"
            )
        return grads

    def _update(self) -> None:
        grads = self.grads
        clip_norm = self.clip_norm or None
        norm = factor = None
        if clip_norm:
            norm, factor = grads.clip_global_norm(clip_norm, factor=True)
        lr = self.current_lr()
        if lr != self.optimizer.lr:
            self.optimizer.lr = lr
        self._save_good()
        self.optimizer.step(self.net, grads)
        self.step_count += 1
        l1, l2 = self._rates
        # The record is made when asked for (last_step): most steps nobody does.
        self._last_step = (self.step_count, lr, clip_norm, norm, factor, l1, l2, self.last_good)
        self.phase = "forward"
        self.history._append_step(
            self._norms, self.step_count, self.epoch, grads.loss, grads.penalty, lr
        )
        # One reduction over the parameter vector: NaN/Inf anywhere poisons the sum.
        if not math.isfinite(float(np.add.reduce(self._good[0].params))):
            self.restore_last_good()
            self._diverge(f"the weights became non-finite at step {self.step_count}")
            return
        due = (
            self.step_count % self.eval_every == 0
            if self.eval_every
            else self.step_count % self.batches.batches_per_epoch == 0
        )
        if due and self.record_evaluations:
            self.record_evaluation()

    def explain_update(self, layer: int, kind: str, index: tuple):
        """How the last update moved entry ``index`` of ``layer``'s ``kind`` ("weights" or
        "bias"): the optimizer's :class:`~simulator.engine.optimizers.UpdateExplanation` from
        the gradient it received (after clipping) and the entry before the update.

        None when no update is the last thing done: before the first, in the middle of the
        next step, after a divergence, a restore or an edit that reshaped the layer.
        """
        record, grads = self.last_step, self.grads
        if record is None or grads is None or self.phase != "forward":
            return None
        if record.step != self.step_count or not 0 <= layer < len(record.weights_before):
            return None
        column = 0 if kind == "weights" else 1
        before = record.weights_before[layer][column]
        grad = (grads.weights if kind == "weights" else grads.bias)[layer]
        if before.shape != grad.shape:
            return None
        index = tuple(index)
        # Removed at that step (Δ = −θ exactly), not merely removed since.
        applied = self.optimizer.last_update(layer, kind)
        masked = (
            kind == "weights"
            and applied is not None
            and not self.net.layers[layer].mask[index]
            and applied[index] == -before[index]
        )
        return self.optimizer.explain_update(
            layer, kind, index, grad[index], before[index], masked=bool(masked)
        )

    def run(
        self,
        steps: int | None = None,
        epochs: float | None = None,
        callback: Callable[[Trainer], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> int:
        """Train ``steps`` steps or ``epochs`` epochs (or until diverged / should_stop()).

        ``callback(trainer)`` runs after every step.  Returns the number of steps done.
        """
        if steps is None:
            if epochs is None:
                raise ValueError("give steps or epochs")
            steps = math.ceil(epochs * self.batches.batches_per_epoch)
        done = 0
        while done < steps and not self.diverged:
            self.step()
            done += 1
            if callback is not None:
                callback(self)
            if should_stop is not None and should_stop():
                break
        return done

    # ----------------------------------------------------------------- evaluation
    @_quiet_floats
    def evaluate(self) -> dict[str, float]:
        """Full-set losses (data loss, no dropout) and accuracies."""
        train_loss, train_accuracy = _loss_and_accuracy(
            self.net, self.X_train, self.Y_train, self.task
        )
        test_loss = test_accuracy = math.nan
        if self.X_test is not None:
            test_loss, test_accuracy = _loss_and_accuracy(
                self.net, self.X_test, self.Y_test, self.task
            )
        return {
            "train_loss": train_loss,
            "train_accuracy": train_accuracy,
            "test_loss": test_loss,
            "test_accuracy": test_accuracy,
        }

    def record_evaluation(self) -> dict[str, float]:
        """Evaluate now and store it on the last history row."""
        values = self.evaluate()
        if len(self.history):
            self.history.set_last(**values)
        return values

    # ----------------------------------------------------------------- state
    # The keys of state_dict(): always there, and those of the history (history=True).
    STATE_KEYS = (
        "step_count",
        "epoch_base",
        "epoch_base_step",
        "base_lr",
        "weights",
        "last_good",
        "optimizer",
        "batches",
        "dropout_rng",
        "diverged",
        "diverged_at_step",
    )
    HISTORY_STATE_KEYS = ("history", "history_compaction")

    def state_dict(self, history: bool = True) -> dict:
        """Everything that decides what the next steps do, as plain data (a new dict)::

            {"step_count": 137, "epoch_base": 0.0, "epoch_base_step": 0,
             "base_lr": 0.03,                    # the schedule's lr₀
             "weights": [{"weights": W, "bias": b}, ...],
             "last_good": [...] or None,         # the weights before the last update
             "optimizer": optimizer.state_dict(net),
             "batches": batches.state_dict(),
             "dropout_rng": net.rng_state(),
             "diverged": None or the message, "diverged_at_step": None or a step,
             "history": history.as_dict(),                   # with ``history``
             "history_compaction": history.compaction_state()}

        The epoch count (and so the schedule's position) is ``epoch_base`` + (step_count −
        epoch_base_step) / batches per epoch.  Arrays are copies, except the batch order
        (read-only, shared).  In the middle of a step (after :meth:`forward_phase`) this is
        the state at the end of the last whole step: a trainer loaded from it draws the same
        batch again.  :func:`simulator.engine.state.to_plain` makes it JSON-compatible.
        """
        net = self.net
        if self.phase == "forward" or self.diverged:
            batches, dropout = self.batches.state_dict(), net.rng_state()
        elif self._step_start is not None:
            batches, dropout = self._step_start
        else:
            raise RuntimeError("the state is taken between whole steps")
        good = self.last_good
        state = {
            "step_count": self.step_count,
            "epoch_base": float(self._epoch_base),
            "epoch_base_step": self._epoch_base_step,
            "base_lr": float(self.base_lr),
            "weights": [{"weights": w, "bias": b} for w, b in net.get_weights()],
            "last_good": (
                [{"weights": w.copy(), "bias": b.copy()} for w, b in good]
                if good is not None and _fits_network(good, net)
                else None
            ),
            "optimizer": self.optimizer.state_dict(net),
            "batches": batches,
            "dropout_rng": dropout,
            "diverged": self.diverged,
            "diverged_at_step": self.diverged_at_step,
        }
        if history:
            state["history"] = self.history.as_dict()
            state["history_compaction"] = self.history.compaction_state()
        return state

    def load_state_dict(self, state: dict) -> None:
        """Changes this trainer, its network's weights and dropout RNG, optimizer and batch
        iterator to ``state`` (as :meth:`state_dict` gives it, or its JSON-compatible form):
        training then goes on exactly as it did from there.  Without "history" the history is
        left as it is.  The step under way, if any, is dropped.

        The trainer must train the same architecture, optimizer class, data size and batch
        size.  Raises ValueError naming the key at fault ("optimizer.state.layers.0.weights.
        exp_avg: shape (3, 8) does not fit the layer's (2, 8)"); nothing changes then.
        """
        d = _state.mapping(state, "", self.STATE_KEYS, self.HISTORY_STATE_KEYS)
        net = self.net
        step_count = _state.integer(d["step_count"], "step_count")
        epoch_base = _state.number(d["epoch_base"], "epoch_base", low=0.0)
        epoch_base_step = _state.integer(d["epoch_base_step"], "epoch_base_step", 0, step_count)
        base_lr = _state.number(d["base_lr"], "base_lr", low=0.0)
        weights = _read_layers(d["weights"], "weights", net)
        last_good = None
        if d["last_good"] is not None:
            last_good = _read_layers(d["last_good"], "last_good", net)
        diverged = _state.optional_text(d["diverged"], "diverged")
        diverged_at = _state.optional_integer(d["diverged_at_step"], "diverged_at_step")
        dropout = _state.rng_state(d["dropout_rng"], "dropout_rng")
        history = None
        if "history" in d:
            history = _read_history(d["history"], d.get("history_compaction"), len(net.layers))
        # The last two checks change what they check: the first is undone if the second fails.
        batches = self.batches.state_dict()
        self.batches.load_state_dict(d["batches"])
        try:
            self.optimizer.load_state_dict(d["optimizer"], net)
        except ValueError:
            self.batches.load_state_dict(batches)
            raise
        net.set_weights(weights)
        net.set_rng_state(dropout)
        if history is not None:
            self.history = history
        self.step_count = step_count
        self._epoch_base, self._epoch_base_step = epoch_base, epoch_base_step
        self.base_lr = base_lr
        self.last_good = last_good
        self.diverged, self.diverged_at_step = diverged, diverged_at
        self.phase = "forward"
        self.batch_index = self.trace = self.grads = self.last_step = None
        self._step_start = None

    # ----------------------------------------------------------------- checkpoints
    def checkpoint(self) -> Checkpoint:
        """A copy of the state after the last whole step (see :class:`Checkpoint`).

        Raises RuntimeError in the middle of a step (``phase`` is not "forward") or after
        divergence: only states that training can go on from are kept.
        """
        if self.phase != "forward" or self.diverged:
            raise RuntimeError("checkpoints are taken between whole steps of a healthy run")
        return Checkpoint(self.step_count, len(self.history), self.state_dict(history=False))

    def restore(self, checkpoint: Checkpoint) -> None:
        """Changes this trainer and its network back to ``checkpoint``: weights, optimizer state,
        batch order and position, dropout RNG, step and epoch counts; truncates the history to
        that step's rows (``History.rows_through``) and clears divergence and the step under way.

        The trainer must train the network, data and settings the checkpoint was taken on
        (ValueError for other shapes, batch sizes or optimizers).
        """
        self.load_state_dict(checkpoint.state)
        self.history.truncate(self.history.rows_through(checkpoint.step))

    def fork(self, net: Network | None = None, history: bool = True) -> Trainer:
        """An independent trainer on the same data and settings (the data arrays are shared,
        read-only): copies of the network (or ``net`` itself), optimizer, batch iterator,
        dropout RNG and (with ``history``) history; without ``history`` it starts empty.

        Changes nothing here.  ``fork().restore(cp)`` replays from a checkpoint without
        touching this trainer.
        """
        new = copy.copy(self)
        if net is None:
            new.net = self.net.copy()
            new.net.set_rng_state(self.net.rng_state())
        else:
            new.net = net
        opt = self.optimizer
        new.optimizer = type(opt)(**opt.hyperparameters())
        new.optimizer.load_state_dict(opt.state_dict(new.net), new.net)
        batches = self.batches
        new.batches = BatchIterator(batches.n, batches.batch_size, batches.seed)
        new.batches.load_state_dict(batches.state_dict())
        new.history = (
            self.history.copy()
            if history
            else History(len(new.net.layers), budget_bytes=self.history.budget_bytes)
        )
        new.last_good = None if self.last_good is None else _copy_pairs(self.last_good)
        if self.last_step is not None:
            new.last_step = dataclasses.replace(self.last_step, weights_before=new.last_good)
        return new

    # ----------------------------------------------------------------- divergence
    def _save_good(self) -> None:
        # The weights before the update: one copy of the network's parameter vector, the
        # (W, b) pairs views into it (made afresh after an edit or a loaded state).
        layout = self.net.layout()
        if self.last_good is not None and self._good is not None:
            good_layout, good_list, vector = self._good
            if good_layout is layout and good_list is self.last_good:
                np.copyto(vector, layout.params)
                return
        vector = layout.params.copy()
        self.last_good = [
            (vector[w0:w1].reshape(shape), vector[b0:b1]) for w0, w1, shape, b0, b1 in layout.slots
        ]
        self._good = (layout, self.last_good, vector)

    def _diverge(self, message: str) -> None:
        self.diverged = message + "; lower the learning rate"
        self.diverged_at_step = self.step_count

    def restore_last_good(self) -> None:
        """Changes the network back to the weights before the last update, and forgets the
        optimizer's state (its moments saw the diverging gradients)."""
        # After a structural edit the last good weights are of the old shapes: keep the net's.
        if self.last_good is not None and _fits_network(self.last_good, self.net):
            self.net.set_weights(self.last_good)
        self.optimizer.reset()
        self.last_step = None

    def clear_divergence(self) -> None:
        """Let training continue (e.g. after the learning rate was lowered)."""
        self.diverged = None
        self.diverged_at_step = None
        self.phase = "forward"
        self.optimizer.reset()

    def __repr__(self) -> str:
        return f"Trainer(step {self.step_count}, epoch {self.epoch:.2f}, next {self.phase})"


def _copy_pairs(pairs) -> list:
    return [(w.copy(), b.copy()) for w, b in pairs]


def _fits_network(pairs: list, net: Network) -> bool:
    return len(pairs) == len(net.layers) and all(
        w.shape == la.weights.shape and b.shape == la.bias.shape
        for (w, b), la in zip(pairs, net.layers)
    )


def _read_layers(value: object, key: str, net: Network) -> list[tuple[np.ndarray, np.ndarray]]:
    """Checked [{"weights": W, "bias": b}, ...] of ``net``'s shapes, in its dtype."""
    if not isinstance(value, list):
        raise _state.fail(key, f"must be a list, not {_state.show(value)}")
    if len(value) != len(net.layers):
        raise _state.fail(key, f"holds {len(value)} layers; the network has {len(net.layers)}")
    out = []
    for i, (entry, layer) in enumerate(zip(value, net.layers)):
        where = _state.join(key, i)
        entry = _state.mapping(entry, where, ("weights", "bias"))
        out.append(
            tuple(
                _state.array(entry[kind], _state.join(where, kind), param.shape, net.dtype)
                for kind, param in (("weights", layer.weights), ("bias", layer.bias))
            )
        )
    return out


def _read_history(value: object, compaction: object, n_layers: int) -> History:
    """A History from checked ``as_dict()`` columns and ``compaction_state()``."""
    key = "history"
    d = _state.mapping(value, key, ("step",), (*History.SCALARS[1:], "grad_norms"))
    steps = d["step"]
    if not isinstance(steps, list):
        raise _state.fail(_state.join(key, "step"), f"must be a list, not {_state.show(steps)}")
    n = len(steps)
    columns = {}
    for name in History.SCALARS:
        if name in d:
            columns[name] = _history_column(d[name], _state.join(key, name), n)
    rows = d.get("grad_norms", [])
    if not isinstance(rows, list) or (rows and len(rows) != n):
        raise _state.fail(_state.join(key, "grad_norms"), f"must be a list of {n} rows")
    width = len(rows[0]) if rows and isinstance(rows[0], list) else None
    norms = [
        _history_column(row, _state.join(_state.join(key, "grad_norms"), j), width)
        for j, row in enumerate(rows)
    ]
    columns["grad_norms"] = norms
    budget, layout = HISTORY_BUDGET, None
    if compaction is not None:
        where = "history_compaction"
        c = _state.mapping(
            compaction,
            where,
            ("budget_bytes", "bucket_steps", "full_resolution_start", "coarsen_due"),
        )
        budget = _state.integer(c["budget_bytes"], _state.join(where, "budget_bytes"), 1)
        layout = {
            "bucket_steps": _state.integer(c["bucket_steps"], _state.join(where, "bucket_steps")),
            "full_resolution_start": _state.integer(
                c["full_resolution_start"], _state.join(where, "full_resolution_start"), 0, n
            ),
            "coarsen_due": _state.flag(c["coarsen_due"], _state.join(where, "coarsen_due")),
        }
    return History.from_dict(columns, n_layers, budget, layout)


def _history_column(value: object, key: str, length: int | None) -> list:
    """A list of ``length`` numbers or None (NaN), checked as History.from_dict takes it."""
    if not isinstance(value, list) or (length is not None and len(value) != length):
        size = "" if length is None else f" of {length} values"
        raise _state.fail(key, f"must be a list{size}, not {_state.show(value)}")
    kinds = set(map(type, value)) - {int, float, type(None)}
    if kinds:
        raise _state.fail(key, f"must hold numbers or None, not {kinds.pop().__name__}")
    try:
        col = np.array(value, dtype=float)
    except OverflowError:
        raise _state.fail(key, "holds a whole number beyond float64's range") from None
    if np.isinf(col).any():
        raise _state.fail(key, "holds an infinite number")
    return value


def _describe(value: float) -> str:
    return "NaN" if math.isnan(value) else ("infinite" if math.isinf(value) else "non-finite")
