"""Rewinding training: checkpoints kept within a memory budget, and replay to any step.

A :class:`CheckpointStore` keeps :class:`~simulator.engine.trainer.Checkpoint` objects of one
run, dense for recent steps and thinned for older ones, never holding more than its byte
budget.  :func:`state_at` gives the exact state at *any* step the store covers: it restores the
nearest checkpoint at or before that step into a fork of the trainer (never the live one) and
replays the steps in between, which is deterministic because the checkpoint holds the batch
order, the batch and dropout RNGs and the optimizer's state (a ``Trainer.state_dict``).

Thinning.  When an added checkpoint takes the store over budget, checkpoints are dropped until
it is at most ``slack`` of the budget, lowest score first, where a checkpoint's score is

    score(i) = (s[i+1] − s[i−1]) / (head − s[i] + 1)

the gap its removal would leave divided by its age (head = the newest step).  The first and
the newest checkpoints are never dropped.  Repeated, this makes the gaps grow in proportion to
age: a store of N checkpoints over a run of H steps keeps gaps ≈ age · ln(H)/N, so the replay
to show a step costs at most a small fraction of how far back it is.

Worst case (tests/benchmarks/bench_rewind.py, 64 MB, the app's recording policy, 100,000
steps): XOR (2-8-1, Adam, ~9 KB a checkpoint) holds ~4,100 checkpoints, the largest gap is
55 steps; digits (64-32-10, SGD, ~56 KB) holds ~1,090, the largest gap is ~340 steps (a
rewind replays them in ~8 / ~40 ms on a busy 2-core machine).  The largest gap is the newest
one (the recording interval), and it grows in proportion to the run: ×10 steps, ×10 replay.
"""

from __future__ import annotations

import bisect
import dataclasses

import numpy as np

from simulator.engine import state as _state
from simulator.engine.trainer import Checkpoint, Trainer

DEFAULT_BUDGET = 64 * 1024 * 1024


class CheckpointStore:
    """Checkpoints of one run by step, within ``budget_bytes`` (see the module's docstring).

    ``slack`` (0 < slack <= 1): after thinning the store holds at most slack × budget, so
    thinning runs once per many additions (its cost is O(n log n) in the checkpoints held).
    """

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET, slack: float = 0.9):
        if budget_bytes <= 0:
            raise ValueError("the budget must be > 0 bytes")
        if not 0 < slack <= 1:
            raise ValueError("slack must be in (0, 1]")
        self.budget_bytes = int(budget_bytes)
        self.slack = float(slack)
        self._steps: list[int] = []
        self._checkpoints: dict[int, Checkpoint] = {}
        self._nbytes = 0

    # ----------------------------------------------------------------- reading
    def __len__(self) -> int:
        return len(self._steps)

    @property
    def nbytes(self) -> int:
        """Bytes held now (the sum of the checkpoints' ``nbytes``); never above the budget."""
        return self._nbytes

    @property
    def steps(self) -> list[int]:
        """The steps held, ascending (a copy)."""
        return list(self._steps)

    @property
    def first_step(self) -> int | None:
        return self._steps[0] if self._steps else None

    @property
    def last_step(self) -> int | None:
        return self._steps[-1] if self._steps else None

    def __contains__(self, step: int) -> bool:
        return step in self._checkpoints

    def get(self, step: int) -> Checkpoint | None:
        return self._checkpoints.get(step)

    def nearest_at_or_before(self, step: int) -> Checkpoint | None:
        """The checkpoint with the largest step <= ``step`` (None if all are later)."""
        i = bisect.bisect_right(self._steps, step)
        return self._checkpoints[self._steps[i - 1]] if i else None

    def max_gap(self) -> int:
        """The largest distance between neighbouring checkpoints (0 with fewer than two)."""
        if len(self._steps) < 2:
            return 0
        return int(np.diff(np.asarray(self._steps)).max())

    def record_interval(self, step: int, nbytes: int, spread: int = 4, minimum: int = 1) -> int:
        """How many steps to train before the next checkpoint of ``nbytes``, at ``step``.

        max(minimum, (step − first) · spread / capacity), capacity = budget / nbytes: the
        newest stretch of the run gets about 1/spread of the budget at that spacing, so
        recording costs less and less per step as the run grows and never fills the budget
        faster than thinning frees it.
        """
        first = self.first_step or 0
        capacity = max(2 * spread, self.budget_bytes // max(1, nbytes))
        return max(minimum, (step - first) * spread // capacity)

    def copy(self) -> CheckpointStore:
        """A store holding the same (immutable, shared) checkpoints."""
        new = CheckpointStore(self.budget_bytes, self.slack)
        new._steps = list(self._steps)
        new._checkpoints = dict(self._checkpoints)
        new._nbytes = self._nbytes
        return new

    # ----------------------------------------------------------------- changing
    def add(self, checkpoint: Checkpoint) -> None:
        """Adds ``checkpoint`` as the newest one (dropping any at or after its step first) and
        thins older ones while the store is over budget.

        A single checkpoint larger than the whole budget is not kept (the store then holds
        only what fits), so the budget always holds.
        """
        size = checkpoint.nbytes
        self.drop_after(checkpoint.step - 1)
        if size > self.budget_bytes:
            return
        self._steps.append(checkpoint.step)
        self._checkpoints[checkpoint.step] = checkpoint
        self._nbytes += size
        if self._nbytes > self.budget_bytes:
            self._thin(self.slack * self.budget_bytes)

    def drop_after(self, step: int) -> None:
        """Drops every checkpoint later than ``step``."""
        i = bisect.bisect_right(self._steps, step)
        for s in self._steps[i:]:
            self._nbytes -= self._checkpoints.pop(s).nbytes
        del self._steps[i:]

    def clear(self) -> None:
        self._steps.clear()
        self._checkpoints.clear()
        self._nbytes = 0

    def _thin(self, target: float) -> None:
        # Passes of the lowest-scoring interior checkpoints, never two neighbours in one pass
        # (removing one changes its neighbours' scores).
        while self._nbytes > target and len(self._steps) > 2:
            steps = np.asarray(self._steps, dtype=np.int64)
            head = steps[-1]
            gaps = steps[2:] - steps[:-2]
            ages = head - steps[1:-1] + 1
            order = np.argsort(gaps / ages, kind="stable") + 1
            removed = np.zeros(len(steps), dtype=bool)
            for i in order.tolist():
                if removed[i - 1] or removed[i + 1]:
                    continue
                removed[i] = True
                self._nbytes -= self._checkpoints.pop(int(steps[i])).nbytes
                if self._nbytes <= target:
                    break
            self._steps = steps[~removed].tolist()
        if self._nbytes > self.budget_bytes:  # only the first and the newest are left
            self.drop_after(self._steps[0])

    def __repr__(self) -> str:
        span = f"steps {self.first_step}..{self.last_step}" if self._steps else "empty"
        return (
            f"CheckpointStore({len(self)} checkpoints, {span}, "
            f"{self._nbytes:,} of {self.budget_bytes:,} bytes)"
        )


def state_at(trainer: Trainer, store: CheckpointStore, step: int, trace: bool = True):
    """A fork of ``trainer`` at the end of step ``step``, and that state's Checkpoint.

    Restores the nearest checkpoint at or before ``step`` (``step − 1`` with ``trace``, so the
    fork also holds the last step's batch, trace, gradients and update) into a fork without
    history, and replays the steps in between, without full-set evaluations.  Changes nothing
    in ``trainer`` or ``store``.  The checkpoint's ``history_length`` counts ``trainer``'s
    history rows at that step now (``History.rows_through(step)``: older rows may have been
    compacted since ``base`` was taken).  Returns (fork, checkpoint); the checkpoint is None if the
    replay diverged.  Raises ValueError if the store holds nothing at or before ``step``.
    """
    base = store.nearest_at_or_before(step - 1 if trace and step > 0 else step)
    if base is None or (trace and base.step > step):
        base = store.nearest_at_or_before(step)
    if base is None:
        raise ValueError(f"no checkpoint at or before step {step}")
    fork = trainer.fork(history=False)
    fork.record_evaluations = False
    fork.restore(base)
    fork.run(steps=step - base.step)
    if fork.diverged:
        return fork, None
    cp = fork.checkpoint()
    return fork, dataclasses.replace(cp, history_length=trainer.history.rows_through(step))


def save_network(net) -> tuple[list, dict]:
    """A copy of ``net``'s weights and its dropout RNG's state (for :func:`load_network`)."""
    return net.get_weights(), net.rng_state()


def load_network(net, saved: tuple[list, dict]) -> None:
    """Changes ``net``'s weights and dropout RNG back to ``saved`` (same shapes and a valid
    RNG state, else ValueError and nothing changes)."""
    weights, rng_state = saved
    rng_state = _state.rng_state(rng_state, "dropout_rng")  # checked before anything changes
    net.set_weights(weights)
    net.set_rng_state(rng_state)
