"""The training history within its byte budget: exact until the budget fills, then the newest
rows as appended and a min/max envelope of the older ones; rewinding still finds a step's rows."""

import math

import numpy as np
import pytest

from simulator.engine import Network, optimizers
from simulator.engine.checkpoints import CheckpointStore, state_at
from simulator.engine.trainer import HISTORY_BUDGET, History, Trainer

EVALUATIONS = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")
SMALL = 256 * 1024  # 2,978 rows of a 2-layer history: compacts within a few thousand steps


def rows_of(first: int, count: int, width: int = 2, seed: int = 0) -> tuple[dict, np.ndarray]:
    """Steps first..first+count-1 of a plausible run: a noisy decaying loss with rare spikes,
    an evaluation every 16 steps, a learning rate halved every 50,000 steps."""
    rng = np.random.default_rng([seed, first])
    step = np.arange(first, first + count, dtype=float)
    loss = np.exp(-step / 300_000) + 0.05 * rng.random(count)
    loss[rng.random(count) < 1e-3] *= 3.0
    evaluated = step % 16 == 0
    values = {
        "step": step,
        "epoch": step / 16,
        "batch_loss": loss,
        "penalty": 1e-3 * rng.random(count),
        "lr": 0.1 * 0.5 ** (step // 50_000),
    }
    for k, name in enumerate(EVALUATIONS):
        values[name] = np.where(evaluated, loss * (0.9 + 0.01 * k), np.nan)
    norms = np.exp(rng.normal(size=(count, width)))
    return values, norms


def record(history: History, steps: int, width: int = 2, batch: int = 1000, seed: int = 0):
    """Appends ``steps`` rows after the history's last step; returns everything appended."""
    first = int(history.last("step")) + 1 if len(history) else 1
    parts = []
    for start in range(first, first + steps, batch):
        values, norms = rows_of(start, min(batch, first + steps - start), width, seed)
        history.extend(norms, **values)
        parts.append((values, norms))
    values = {name: np.concatenate([p[0][name] for p in parts]) for name in History.SCALARS}
    return values, np.concatenate([p[1] for p in parts])


def assert_same(a, b):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))  # NaN equals NaN here


def assert_envelope(history: History, values: dict, norms: np.ndarray):
    """Every bucket of the compacted rows keeps the min and max batch loss and the per-layer
    grad-norm band of the steps it stands for, and its last evaluation as it was; every
    kept row's step, epoch, loss, penalty and lr are the ones appended at that step."""
    e, width = history.full_resolution_start, history.bucket_steps
    assert e > 0 and width > 1
    steps = history.column("step")
    index = steps.astype(int) - int(values["step"][0])  # row of values at each kept step
    for name in ("epoch", "batch_loss", "penalty", "lr"):
        assert_same(history.column(name), values[name][index])
    for name in EVALUATIONS:
        kept = history.column(name)
        hit = np.isfinite(kept)
        assert_same(kept[hit], values[name][index[hit]])
    buckets = np.floor(steps[:e] / width)
    first_exact = index[e]  # the original rows before this one were compacted
    original = np.floor(values["step"][:first_exact] / width)
    assert set(buckets.tolist()) == set(original.tolist())
    evaluated = np.isfinite(values["train_loss"][:first_exact])
    for b in np.unique(buckets):
        mine, theirs = buckets == b, original == b
        loss = history.column("batch_loss")[:e][mine]
        assert loss.min() == values["batch_loss"][:first_exact][theirs].min()
        assert loss.max() == values["batch_loss"][:first_exact][theirs].max()
        band = history.column("grad_norms")[:e][mine]
        assert_same(band.min(axis=0), norms[:first_exact][theirs].min(axis=0))
        assert_same(band.max(axis=0), norms[:first_exact][theirs].max(axis=0))
        if evaluated[theirs].any():
            last = values["step"][:first_exact][theirs & evaluated][-1]
            assert last in steps[:e][mine][np.isfinite(history.column("train_loss")[:e][mine])]


def test_memory_stays_within_the_budget_over_a_million_steps():
    history = History(2)
    lowest, highest = math.inf, -math.inf
    peak = 0
    first = 1
    for start in range(1, 1_000_001, 5000):
        values, norms = rows_of(start, 5000)
        history.extend(norms, **values)
        lowest = min(lowest, values["batch_loss"].min())
        highest = max(highest, values["batch_loss"].max())
        peak = max(peak, history.nbytes)
        first = start
    assert peak <= HISTORY_BUDGET and history.nbytes <= HISTORY_BUDGET
    assert peak > 0.99 * HISTORY_BUDGET  # it did grow to the budget (not beyond)
    assert len(history) <= history.max_rows == HISTORY_BUDGET // (8 * 11)
    steps = history.column("step")
    assert steps[-1] == 1_000_000 and np.all(np.diff(steps) > 0)
    # The newest half of the budget is the rows as appended; the whole run's extremes survive.
    exact = len(history) - history.full_resolution_start
    assert exact >= history.max_rows // 2
    np.testing.assert_array_equal(steps[-exact:], np.arange(1_000_001 - exact, 1_000_001))
    values, norms = rows_of(first, 5000)
    assert_same(history.column("batch_loss")[-5000:], values["batch_loss"])
    assert_same(history.column("grad_norms")[-5000:], norms)
    loss = history.column("batch_loss")
    assert loss.min() == lowest and loss.max() == highest


@pytest.mark.parametrize(("width", "budget"), [(1, SMALL), (2, SMALL), (40, 1024 * 1024)])
def test_a_long_run_keeps_its_newest_rows_and_an_envelope_of_the_rest(width, budget):
    history = History(width, budget_bytes=budget)
    values, norms = record(history, 30 * history.max_rows, width)
    assert history.nbytes <= budget
    assert history.max_rows == budget // (8 * (9 + width))  # a deep net gets fewer rows
    exact = len(history) - history.full_resolution_start
    assert exact >= history.max_rows // 2
    for name in History.SCALARS:
        assert_same(history.column(name)[-exact:], values[name][-exact:])
    assert_same(history.column("grad_norms")[-exact:], norms[-exact:])
    assert_envelope(history, values, norms)
    assert np.all(np.diff(history.column("step")) > 0)
    assert history.column("batch_loss").max() == values["batch_loss"].max()
    assert history.column("batch_loss").min() == values["batch_loss"].min()
    # Evaluations survive, thinned: every bucket of the compacted part keeps one or more.
    e = history.full_resolution_start
    buckets = np.floor(history.column("step")[:e] / history.bucket_steps)
    evaluated = np.isfinite(history.column("test_loss")[:e])
    assert set(buckets[evaluated].tolist()) == set(buckets.tolist())
    assert evaluated.sum() < np.isfinite(values["test_loss"]).sum() / 10


def test_before_the_budget_fills_the_columns_are_the_rows_appended():
    history = History(2, capacity=4)
    values, norms = rows_of(1, 1000)
    for i in range(1000):
        row = {name: values[name][i] for name in ("step", "epoch", "batch_loss", "penalty", "lr")}
        history.append(norms[i], **row)
        if np.isfinite(values["train_loss"][i]):
            history.set_last(**{name: values[name][i] for name in EVALUATIONS})
    for name in History.SCALARS:
        assert_same(history.column(name), values[name])
    assert_same(history.column("grad_norms"), norms)
    assert history.revision == 0 and history.full_resolution_start == 0
    assert history.bucket_steps == 0
    assert history.rows_through(500) == 500 and history.rows_through(0.5) == 0
    # Doubled from 4 rows (the buffers one at a time over the last quarter before full).
    assert 1024 * 8 * 11 <= history.nbytes <= 2048 * 8 * 11


def test_growing_copies_one_column_per_append():
    # Doubling copies every filled row; one buffer at a time, a row apart, no append copies
    # more than one column's rows (the stall of a doubling, spread over the appends).
    history = History(2, capacity=1024)
    values, norms = rows_of(1, 100_000)
    names = (*History.SCALARS, "grad_norms")
    buffers = [history.column(name).base for name in names]
    grown = 0
    for i in range(100_000):
        history.append(norms[i], step=values["step"][i], batch_loss=values["batch_loss"][i])
        now = [history.column(name).base for name in names]
        changed = sum(a is not b for a, b in zip(now, buffers))
        assert changed <= 1
        grown += changed
        buffers = now
    # 1,024 -> 262,144 rows: eight doublings of each buffer, the last begun at 3/4 of 131,072.
    assert grown == 8 * len(names)
    assert_same(history.column("batch_loss"), values["batch_loss"])
    assert np.isnan(history.column("test_loss")).all()


def test_extend_is_append_row_by_row():
    one, many = History(2, budget_bytes=SMALL), History(2, budget_bytes=SMALL)
    values, norms = rows_of(1, 40_000)
    for i in range(40_000):
        one.append(norms[i], **{name: values[name][i] for name in History.SCALARS})
    for start in range(0, 40_000, 777):
        part = slice(start, start + 777)
        many.extend(norms[part], **{name: values[name][part] for name in History.SCALARS})
    assert one.revision == many.revision > 10
    for name in (*History.SCALARS, "grad_norms"):
        assert_same(one.column(name), many.column(name))


def test_revision_changes_when_rows_are_rewritten_not_when_appended():
    history = History(2, budget_bytes=SMALL)
    record(history, 100)
    history.set_last(train_loss=1.0)
    assert history.revision == 0
    record(history, history.max_rows)
    assert history.revision > 0
    before = history.revision
    history.truncate(len(history) - 1)
    assert history.revision == before + 1
    history.truncate(len(history))  # nothing dropped: nothing changed
    assert history.revision == before + 1


def test_rows_through_a_step_after_compaction():
    history = History(2, budget_bytes=SMALL)
    record(history, 20 * history.max_rows)
    steps = history.column("step")
    e = history.full_resolution_start
    for step in (0, 1, steps[3] - 1, steps[3], steps[e - 1] + 0.5, steps[e], steps[-1], 1e9):
        rows = history.rows_through(step)
        assert rows == int(np.sum(steps <= step))
        assert rows == 0 or steps[rows - 1] <= step


@pytest.mark.parametrize("where", ["envelope", "exact"])
def test_truncate_and_append_after_compaction(where):
    history = History(2, budget_bytes=SMALL)
    record(history, 20 * history.max_rows)
    e = history.full_resolution_start
    step = history.column("step")[e // 2 if where == "envelope" else (e + len(history)) // 2]
    history.truncate(history.rows_through(step))
    assert history.last("step") == step
    assert history.full_resolution_start <= len(history)
    values, _ = record(history, 3 * history.max_rows, seed=1)
    steps = history.column("step")
    assert np.all(np.diff(steps) > 0) and steps[-1] == step + 3 * history.max_rows
    assert history.nbytes <= SMALL
    assert_same(history.column("batch_loss")[-100:], values["batch_loss"][-100:])
    # Nothing stale from before the truncation: evaluations only where this run had them.
    exact = len(history) - history.full_resolution_start
    assert_same(history.column("test_loss")[-exact:], values["test_loss"][-exact:])


def test_copy_and_dict_round_trip_after_compaction():
    history = History(3, budget_bytes=SMALL)
    record(history, 20 * history.max_rows, width=3)
    copied = history.copy()
    loaded = History.from_dict(history.as_dict(), 3, budget_bytes=SMALL)
    for other in (copied, loaded):
        assert len(other) == len(history)
        for name in (*History.SCALARS, "grad_norms"):
            assert_same(other.column(name), history.column(name))
        assert other.full_resolution_start == history.full_resolution_start
        assert other.nbytes <= SMALL
    # Independent, and both go on compacting within the budget.
    values, _ = record(copied, 5 * history.max_rows, width=3)
    record(loaded, 5 * history.max_rows, width=3)
    assert history.last("step") == 20 * history.max_rows
    for other in (copied, loaded):
        assert other.nbytes <= SMALL and np.all(np.diff(other.column("step")) > 0)
        assert_same(other.column("lr")[-1000:], values["lr"][-1000:])


def test_a_saved_history_larger_than_the_budget_is_compacted_on_loading():
    big = History(2)
    values, norms = record(big, 10_000)
    loaded = History.from_dict(big.as_dict(), 2, budget_bytes=64 * 1024)
    assert loaded.nbytes <= 64 * 1024 and len(loaded) < 10_000
    exact = len(loaded) - loaded.full_resolution_start
    assert exact >= loaded.max_rows // 2
    assert_same(loaded.column("batch_loss")[-exact:], values["batch_loss"][-exact:])
    assert_envelope(loaded, values, norms)


def test_a_restructured_network_mid_run_keeps_the_budget():
    history = History(2, budget_bytes=SMALL)
    record(history, 10 * history.max_rows, width=2)
    before = history.revision
    wide = 12  # a wider row: fewer rows fit, so the history compacts to them at once
    values, norms = record(history, 500, width=wide)
    assert history.revision > before
    assert history.max_rows == SMALL // (8 * (9 + wide)) and history.nbytes <= SMALL
    assert_same(history.column("grad_norms")[-500:], norms)
    old = history.column("grad_norms")[: history.rows_through(values["step"][0] - 1)]
    assert np.isnan(old[:, 2:]).all() and np.isfinite(old[:, :2]).all()
    narrow, _ = record(history, 10 * history.max_rows, width=1)
    assert history.column("grad_norms").shape[1] == 1 and history.nbytes <= SMALL
    assert np.all(np.diff(history.column("step")) > 0)
    assert_same(history.column("batch_loss")[-100:], narrow["batch_loss"][-100:])


def xor_trainer(budget: int) -> Trainer:
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    y = np.array([[0], [1], [1], [0]], float)
    net = Network([2, 4, 1], ["tanh", "sigmoid"], loss="bce", seed=1)
    trainer = Trainer(net, optimizers.make("SGD", lr=0.1), X, y, task="binary", eval_every=16)
    trainer.history = History(len(net.layers), budget_bytes=budget)
    return trainer


@pytest.mark.parametrize("where", ["envelope", "exact"])
def test_a_trainer_rewound_after_compaction_ends_its_history_at_that_step(where):
    budget = 24 * 1024  # 279 rows: a few thousand steps compact many times
    trainer = xor_trainer(budget)
    store = CheckpointStore()
    store.add(trainer.checkpoint())
    early = None
    for _ in range(2500):
        trainer.step()
        if trainer.step_count % 10 == 0:
            store.add(trainer.checkpoint())
        if trainer.step_count == 200:
            early = trainer.checkpoint()  # its history_length: the rows it had then
    history = trainer.history
    assert history.full_resolution_start > 0 and history.nbytes <= budget
    assert history.rows_through(200) < early.history_length == 200
    first_exact = history.column("step")[history.full_resolution_start]
    step = 200 if where == "envelope" else int(first_exact) + 33
    rows = history.rows_through(step)

    fork, cp = state_at(trainer, store, step)
    assert cp.history_length == rows and fork.step_count == step
    assert len(trainer.history) > rows  # the live trainer untouched

    trainer.restore(early if step == 200 else cp)
    # The rows through that step: all of them in the exact part; in the envelope, the kept
    # rows up to it (the last one at or before it).
    assert len(history) == rows
    assert history.last("step") == step if where == "exact" else history.last("step") <= step
    trainer.run(steps=40)
    steps = history.column("step")
    assert np.all(np.diff(steps) > 0) and steps[-1] == step + 40
    reference = xor_trainer(budget)
    reference.run(steps=step + 40)
    assert_same(history.column("batch_loss")[-40:], reference.history.column("batch_loss")[-40:])
    assert_same(history.column("train_loss")[-40:], reference.history.column("train_loss")[-40:])


def test_fork_without_history_keeps_the_budget():
    trainer = xor_trainer(48 * 1024)
    assert trainer.fork(history=False).history.budget_bytes == 48 * 1024


def test_extend_refuses_an_unknown_column():
    with pytest.raises(KeyError, match="loss"):
        History(1).extend(np.ones((3, 1)), loss=np.ones(3))
