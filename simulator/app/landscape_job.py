"""View ▸ Loss Landscape's computation: the engine's slices in worker processes, with progress.

The maths is the engine's (``simulator.engine.landscape``, after Li et al. 2018); this module
only gathers its inputs from a run and spreads the work:

- :func:`make_request` reads a trainer and its :class:`CheckpointStore` on the GUI thread and
  copies what the workers need into a :class:`LandscapeRequest` (plain data: the network as
  ``landscape.network_spec``, the training set, flat weight vectors; no Qt object, nothing
  that training changes afterwards);
- :class:`LandscapeJob` runs it in a pool of ``spawn``-ed worker processes (every core): in
  "trajectory" mode one worker first finds the PCA plane of the path
  (``landscape.trajectory_plane``), then the grid's rows go out in chunks
  (``landscape.surface_from_spec``) beside the 1-D line along the last update
  (``landscape.line_from_spec``).  A QTimer on the GUI thread collects finished chunks, so
  results arrive there and nothing waits: ``progress(rows done, rows)``, then
  ``finished(LandscapeResult)`` or ``failed(message)``.  ``cancel()`` drops the pending work
  and terminates the workers: no process is left behind.

Workers run with one BLAS thread each: on this 2-core machine a 2-thread OpenBLAS made each
evaluation of digits (1,797 × 64-32-10) ~10x slower (12 ms instead of 1.1 ms) beside other
work, and the pool already uses every core.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import multiprocessing
import os

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from simulator.app.clock import Clock
from simulator.engine import landscape
from simulator.engine.checkpoints import CheckpointStore
from simulator.project.sweep import default_workers

MODES = ("trajectory", "random")
RESOLUTIONS = (21, 41, 61)
DEFAULT_RESOLUTION = 41
# Random mode: α, β in [−span, span], in units of the filter-normalised directions (1: as far
# as each neuron's incoming weights are long).  Trajectory mode: the path's bounding box
# (with the current weights) scaled by span about its middle.
SPANS = {"random": (0.25, 0.5, 1.0, 2.0), "trajectory": (1.25, 1.5, 2.0, 3.0)}
DEFAULT_SPAN = {"random": 1.0, "trajectory": 1.5}
MIN_ASPECT = 0.25  # trajectory mode: the PC2 range is at least this share of the PC1 range
LINE_TS = np.linspace(-0.5, 1.5, 41)  # t = 0: the weights before the last update, 1: after it
MAX_TRAJECTORY_POINTS = 200  # checkpoints beyond this are thinned evenly (first, last kept)
MIN_TRAJECTORY_POINTS = 3
CHUNKS_PER_WORKER = 8  # enough chunks for a smooth progress bar, few enough to cost nothing
POLL_MS = 40
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


class LandscapeUnavailable(ValueError):
    """The landscape cannot be computed as asked (the message says why, for the window)."""


# ----------------------------------------------------------------------------- data
@dataclasses.dataclass(frozen=True, eq=False)
class LandscapeRequest:
    """Everything the workers need, copied from a run at ``step`` (see :func:`make_request`).

    ``center`` (P,): the current weights, flat (``landscape.flatten``); ``directions`` (2, P):
    the random mode's filter-normalised directions, None in trajectory mode (a worker finds
    them from ``trajectory`` (n, P), the checkpoints' weights in order, the current ones last,
    taken at ``trajectory_steps`` (n,)); ``line_start`` (P,): the weights before the last
    update (None if there is none), the update that made ``line_step``.
    """

    mode: str
    resolution: int
    span: float
    seed: int
    step: int
    network: dict
    X: np.ndarray
    Y: np.ndarray
    center: np.ndarray
    directions: np.ndarray | None = None
    trajectory: np.ndarray | None = None
    trajectory_steps: np.ndarray | None = None
    line_start: np.ndarray | None = None
    line_step: int | None = None


@dataclasses.dataclass(frozen=True, eq=False)
class LandscapeResult:
    """A computed landscape: ``values[i, j]`` = L(center + alphas[j]·d₁ + betas[i]·d₂).

    ``directions`` (2, P): d₁, d₂; ``trajectory`` (m, 2): the path's (α, β), the current
    weights last at (0, 0), with ``trajectory_steps`` (m,) and ``explained`` (the share of the
    path's variance along d₁ and d₂), all None in random mode; ``line_values`` = L(before +
    t·Δ) at ``line_ts`` along the last update Δ (the one that made ``line_step``), None when
    there was none.
    """

    mode: str
    step: int
    seed: int
    span: float
    alphas: np.ndarray
    betas: np.ndarray
    values: np.ndarray
    center: np.ndarray
    directions: np.ndarray
    trajectory: np.ndarray | None = None
    trajectory_steps: np.ndarray | None = None
    explained: tuple[float, float] | None = None
    line_ts: np.ndarray | None = None
    line_values: np.ndarray | None = None
    line_step: int | None = None

    @property
    def resolution(self) -> int:
        return len(self.alphas)

    def center_index(self) -> tuple[int, int] | None:
        """(i, j) of the grid point at α = β = 0 (the current weights), None if off the grid."""
        i = np.flatnonzero(self.betas == 0.0)
        j = np.flatnonzero(self.alphas == 0.0)
        return (int(i[0]), int(j[0])) if i.size and j.size else None


def axis_through_zero(lo: float, hi: float, n: int) -> np.ndarray:
    """``n`` evenly spaced values covering [lo, hi] (lo < 0 < hi), shifted by less than a step
    so that one of them is exactly 0: the grid then holds the current weights themselves."""
    step = (hi - lo) / (n - 1)
    below = min(n - 1, max(0, round(-lo / step)))
    return (np.arange(n) - below) * step


def trajectory_axes(coordinates: np.ndarray, span: float, n: int) -> tuple[np.ndarray, ...]:
    """(alphas, betas) for a path's coordinates (m, 2): the bounding box of the path and of
    (0, 0), scaled by ``span`` about its middle (PC2's side at least MIN_ASPECT of PC1's)."""
    points = np.vstack([coordinates, np.zeros((1, 2))])
    lo, hi = points.min(axis=0), points.max(axis=0)
    half = np.maximum((hi - lo) / 2, 1e-12)
    half[1] = max(half[1], MIN_ASPECT * half[0])
    middle = (lo + hi) / 2
    return tuple(
        axis_through_zero(middle[k] - span * half[k], middle[k] + span * half[k], n)
        for k in range(2)
    )


def _thinned(steps: list[int], limit: int) -> list[int]:
    if len(steps) <= limit:
        return steps
    picks = np.unique(np.linspace(0, len(steps) - 1, limit).round().astype(int))
    return [steps[i] for i in picks]


def make_request(
    trainer,
    checkpoints: CheckpointStore | None,
    mode: str = "trajectory",
    resolution: int = DEFAULT_RESOLUTION,
    span: float | None = None,
    seed: int = 0,
) -> LandscapeRequest:
    """The request for ``trainer``'s network at its current weights (the live run), read now.

    Trajectory mode takes the path from ``checkpoints`` (thinned to MAX_TRAJECTORY_POINTS)
    plus the current weights; it needs at least MIN_TRAJECTORY_POINTS distinct points.
    Random mode draws two filter-normalised directions from ``seed``.  Raises
    LandscapeUnavailable with a message for the window when the landscape cannot be made.
    """
    if mode not in MODES:
        raise LandscapeUnavailable(f"unknown mode {mode!r}: choose one of {', '.join(MODES)}")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 3:
        raise LandscapeUnavailable(f"the resolution must be a whole number >= 3: {resolution!r}")
    span = DEFAULT_SPAN[mode] if span is None else float(span)
    if not (math.isfinite(span) and span > 0):
        raise LandscapeUnavailable(f"the span must be a positive number: {span!r}")
    net = trainer.net
    if not net.all_finite():
        raise LandscapeUnavailable(
            "The weights are not finite (training diverged): restore the last good weights first"
        )
    weights = net.get_weights()
    center = landscape.flatten(weights)
    fields = {}
    if mode == "random":
        rng = np.random.default_rng(seed)
        fields["directions"] = np.stack(
            [landscape.filter_normalized_direction(net, rng) for _ in range(2)]
        )
    else:
        fields.update(_trajectory(trainer.step_count, center, checkpoints))
    record = trainer.last_step
    if record is not None and record.step == trainer.step_count:
        before = landscape.flatten(record.weights_before)
        if before.shape == center.shape and np.all(np.isfinite(before)):
            fields["line_start"] = before
            fields["line_step"] = int(record.step)
    return LandscapeRequest(
        mode=mode,
        resolution=resolution,
        span=span,
        seed=int(seed),
        step=int(trainer.step_count),
        network=landscape.network_spec(net),
        X=np.array(trainer.X_train, copy=True),
        Y=np.array(trainer.Y_train, copy=True),
        center=center,
        **fields,
    )


def _trajectory(step: int, center: np.ndarray, checkpoints: CheckpointStore | None) -> dict:
    steps = [] if checkpoints is None else [s for s in checkpoints.steps if s < step]
    steps = _thinned(steps, MAX_TRAJECTORY_POINTS - 1)
    points, kept = [], []
    for s in steps:
        vector = landscape.flatten(checkpoints.get(s).weights)
        if vector.shape == center.shape and np.all(np.isfinite(vector)):  # same architecture
            points.append(vector)
            kept.append(s)
    points.append(center)
    kept.append(step)
    distinct = len(np.unique(np.asarray(points), axis=0))
    if distinct < MIN_TRAJECTORY_POINTS:
        raise LandscapeUnavailable(
            f"The trajectory mode needs at least {MIN_TRAJECTORY_POINTS} different points of "
            f"the training path and has {distinct}: train a few steps more, or choose random "
            "directions"
        )
    return {"trajectory": np.asarray(points), "trajectory_steps": np.asarray(kept)}


def chunks(n_rows: int, workers: int) -> list[range]:
    """The grid's rows split into consecutive chunks, about CHUNKS_PER_WORKER per worker."""
    count = max(1, min(n_rows, workers * CHUNKS_PER_WORKER))
    edges = np.linspace(0, n_rows, count + 1).round().astype(int)
    return [range(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]


@contextlib.contextmanager
def _one_blas_thread():
    # Spawned workers read these when they load NumPy: set them only while the pool starts.
    saved = {name: os.environ.get(name) for name in BLAS_THREAD_VARIABLES}
    os.environ.update(dict.fromkeys(BLAS_THREAD_VARIABLES, "1"))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# ----------------------------------------------------------------------------- the job
class LandscapeJob(QObject):
    """Computes one landscape at a time in worker processes (see the module docstring).

    ``start(request)`` (or ``start_from(trainer, checkpoints, ...)``) begins; the signals
    arrive on the GUI thread; ``cancel()`` stops at once.  ``workers``: processes (default:
    every core, never more than the chunks); ``clock`` times :meth:`seconds_left`.
    """

    progress = Signal(int, int)  # rows done, rows in all
    finished = Signal(object)  # LandscapeResult
    failed = Signal(str)

    def __init__(
        self, parent: QObject | None = None, workers: int | None = None, clock: Clock | None = None
    ):
        super().__init__(parent)
        self.workers = workers
        self.clock = clock if clock is not None else Clock()
        self._pool = None
        self._workers: list = []  # the worker processes the pool started with
        self._request: LandscapeRequest | None = None
        self._plane_task = None  # the trajectory's PCA, before any row
        self._line_task = None
        self._row_tasks: list[tuple[range, object]] = []
        self._plane: landscape.TrajectoryPlane | None = None
        self._axes: tuple[np.ndarray, np.ndarray] | None = None
        self._values: np.ndarray | None = None
        self._line_values: np.ndarray | None = None
        self._rows_done = 0
        self._rows_started_at: float | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    # ----------------------------------------------------------------- state
    @property
    def running(self) -> bool:
        return self._pool is not None

    @property
    def request(self) -> LandscapeRequest | None:
        """The request being computed (None when idle)."""
        return self._request

    def rows(self) -> tuple[int, int]:
        """(rows done, rows in all) of the computation under way ((0, 0) when idle)."""
        if self._request is None:
            return 0, 0
        return self._rows_done, self._request.resolution

    def seconds_left(self) -> float | None:
        """An estimate from the rows done so far (None until the first chunk is in)."""
        done, total = self.rows()
        if not done or self._rows_started_at is None:
            return None
        elapsed = self.clock.now() - self._rows_started_at
        return max(0.0, elapsed / done * (total - done))

    # ----------------------------------------------------------------- control
    def start_from(self, trainer, checkpoints: CheckpointStore | None, **options) -> bool:
        """:func:`make_request` (options: mode, resolution, span, seed) and :meth:`start`;
        False, with ``failed`` emitted, when the request cannot be made."""
        try:
            request = make_request(trainer, checkpoints, **options)
        except LandscapeUnavailable as exc:
            self.cancel()
            self.failed.emit(str(exc))
            return False
        self.start(request)
        return True

    def start(self, request: LandscapeRequest) -> None:
        """Compute ``request`` (a computation under way is cancelled first)."""
        self.cancel()
        self._request = request
        self._values = np.full((request.resolution, request.resolution), np.nan)
        workers = self.workers or default_workers()
        workers = max(1, min(workers, len(chunks(request.resolution, workers))))
        context = multiprocessing.get_context("spawn")  # safe beside the GUI's threads
        try:
            before = set(multiprocessing.active_children())
            with _one_blas_thread():
                self._pool = context.Pool(workers)
            # The pool's own workers: a Pool replaces one that dies but never reports the
            # task it was running, so _poll watches these and fails when one ends early.
            self._workers = [p for p in multiprocessing.active_children() if p not in before]
        except OSError as exc:  # no processes to be had (limits, memory)
            self.cancel()
            self.failed.emit(f"Could not start the worker processes: {exc}")
            return
        if request.line_start is not None:
            delta = request.center - request.line_start
            self._line_task = self._pool.apply_async(
                landscape.line_from_spec,
                (request.network, request.X, request.Y, request.line_start, delta, LINE_TS),
            )
        if request.directions is None:
            self._plane_task = self._pool.apply_async(
                landscape.trajectory_plane, (request.trajectory,)
            )
        else:
            self._submit_rows(request.directions)
        self._timer.start()
        self.progress.emit(0, request.resolution)

    def cancel(self) -> None:
        """Drop the pending work and terminate the workers (they are gone when this returns)."""
        self._timer.stop()
        pool, self._pool = self._pool, None
        self._workers = []
        if pool is not None:
            pool.terminate()
            pool.join()
        self._request = None
        self._plane_task = self._line_task = None
        self._row_tasks = []
        self._plane = None
        self._axes = None
        self._values = self._line_values = None
        self._rows_done = 0
        self._rows_started_at = None

    # ----------------------------------------------------------------- work
    def _submit_rows(self, directions: np.ndarray) -> None:
        request = self._request
        n = request.resolution
        if self._plane is None:
            axis = axis_through_zero(-request.span, request.span, n)
            self._axes = (axis, axis.copy())
        else:
            self._axes = trajectory_axes(self._plane.coordinates, request.span, n)
        alphas, betas = self._axes
        d1, d2 = directions
        workers = self.workers or default_workers()
        for rows in chunks(n, workers):
            task = self._pool.apply_async(
                landscape.surface_from_spec,
                (
                    request.network,
                    request.X,
                    request.Y,
                    request.center,
                    d1,
                    d2,
                    alphas,
                    betas[rows.start : rows.stop],
                ),
            )
            self._row_tasks.append((rows, task))
        self._rows_started_at = self.clock.now()

    def _poll(self) -> None:
        dead = next((p for p in self._workers if p.exitcode is not None), None)
        if dead is not None:
            self.cancel()
            self.failed.emit(
                f"A worker process stopped unexpectedly (exit code {dead.exitcode}): "
                "the landscape was not finished. Compute again, or lower the resolution."
            )
            return
        try:
            self._collect()
        except Exception as exc:  # noqa: BLE001 - a worker's error becomes the window's message
            self.cancel()
            self.failed.emit(_message(exc))

    def _collect(self) -> None:
        if self._plane_task is not None:
            if not self._plane_task.ready():
                return
            plane, self._plane_task = self._plane_task.get(), None
            self._plane = plane
            self._submit_rows(plane.directions)
        if self._line_task is not None and self._line_task.ready():
            self._line_values, self._line_task = self._line_task.get(), None
        waiting, arrived = [], 0
        for rows, task in self._row_tasks:
            if task.ready():
                self._values[rows.start : rows.stop] = task.get()
                arrived += len(rows)
            else:
                waiting.append((rows, task))
        self._row_tasks = waiting
        if arrived:
            self._rows_done += arrived
            self.progress.emit(self._rows_done, self._request.resolution)
        if not waiting and self._line_task is None:
            result = self._result()
            self.cancel()
            self.finished.emit(result)

    def _result(self) -> LandscapeResult:
        request, plane = self._request, self._plane
        alphas, betas = self._axes
        directions = request.directions if plane is None else plane.directions
        trajectory = {}
        if plane is not None:
            trajectory = {
                "trajectory": plane.coordinates,
                "trajectory_steps": request.trajectory_steps,
                "explained": plane.explained,
            }
        line = {}
        if self._line_values is not None:
            line = {
                "line_ts": LINE_TS.copy(),
                "line_values": self._line_values,
                "line_step": request.line_step,
            }
        return LandscapeResult(
            mode=request.mode,
            step=request.step,
            seed=request.seed,
            span=request.span,
            alphas=alphas,
            betas=betas,
            values=self._values,
            center=request.center,
            directions=np.asarray(directions),
            **trajectory,
            **line,
        )


def _message(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text[:1].upper() + text[1:]
