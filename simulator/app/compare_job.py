"""Train ▸ Compare…'s runs: a :class:`~simulator.project.sweep.Sweep` run in the background.

The sweep runner (``project/sweep.py``, shared with ``backprop-lab sweep``) trains every
(variant, seed) in worker processes that use every core.  Here a plain thread iterates over its
results (it only waits: the work is in the processes), hands each one to the GUI thread through
a queue, and a timer on the GUI thread emits them as signals.  ``cancel()`` asks the runner to
stop: running runs stop within a few steps, pending ones never start and the processes are
joined before ``finished`` arrives.  Nothing here blocks the GUI thread.
"""

from __future__ import annotations

import queue
import threading

from PySide6.QtCore import QObject, QTimer, Signal

from simulator.app.clock import Clock
from simulator.project.sweep import Sweep, SweepError

POLL_MS = 50  # how often the GUI thread looks for finished runs


class CompareJob(QObject):
    """One sweep at a time.  Signals: ``result_ready(SweepResult)`` for each run as it
    finishes, ``progress(done, total)``, ``finished(results)`` (every result, in job order:
    all of them, or those done before a cancel) and ``failed(message)``."""

    result_ready = Signal(object)
    progress = Signal(int, int)
    finished = Signal(list)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None, clock: Clock | None = None):
        super().__init__(parent)
        self.clock = clock or Clock()
        self.sweep: Sweep | None = None
        self.results: list = []
        self.cancelled = False
        self._stop = threading.Event()
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._started_at = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._collect)

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, sweep: Sweep, workers: int | None = None) -> None:
        """Run ``sweep`` (``workers`` processes; None: every core)."""
        if self.running:
            raise RuntimeError("a comparison is running: cancel it first")
        self.sweep, self.results, self.cancelled = sweep, [], False
        self._stop = threading.Event()
        self._queue = queue.Queue()
        self._started_at = self.clock.now()
        self._thread = threading.Thread(
            target=self._work, args=(sweep, workers, self._stop, self._queue), daemon=True
        )
        self._thread.start()
        self._timer.start()
        self.progress.emit(0, len(sweep))

    @staticmethod
    def _work(sweep: Sweep, workers, stop: threading.Event, out: queue.Queue) -> None:
        try:
            # Always in worker processes: a run in this process would compete with the
            # window for the interpreter (one variant and seed, or one core, would do so).
            for result in sweep.run(workers=workers, should_stop=stop, in_process=False):
                out.put(("result", result))
        except SweepError as exc:
            out.put(("failed", str(exc)))
        except Exception as exc:  # noqa: BLE001 - a worker's crash ends this comparison only
            out.put(("failed", f"{type(exc).__name__}: {exc}"))
        out.put(("done", None))

    def cancel(self) -> None:
        """Stop: the runs under way stop within a few steps; ``finished`` follows with the
        results done so far, once every worker process has been joined."""
        if self.running:
            self.cancelled = True
            self._stop.set()

    def wait(self) -> None:
        """Block until the runner's thread has ended and deliver what it left (for closing the
        window and for tests)."""
        if self._thread is not None:
            self._thread.join()
            self._collect()

    def seconds_left(self) -> float | None:
        """From the time per finished run so far (None before the first)."""
        if self.sweep is None or not self.results:
            return None
        done = len(self.results)
        elapsed = self.clock.now() - self._started_at
        return max(0.0, elapsed / done * (len(self.sweep) - done))

    def _collect(self) -> None:
        total = len(self.sweep) if self.sweep is not None else 0
        while True:
            try:
                kind, value = self._queue.get_nowait()
            except queue.Empty:
                return
            if kind == "result":
                self.results.append(value)
                self.result_ready.emit(value)
                self.progress.emit(len(self.results), total)
            elif kind == "failed":
                self._stop.set()
                self._end()
                self.failed.emit(value)
            else:
                if self._thread is not None:
                    self._end()
                    self.finished.emit(sorted(self.results, key=lambda r: r.index))

    def _end(self) -> None:
        self._timer.stop()
        if self._thread is not None:
            self._thread.join()
        self._thread = None
