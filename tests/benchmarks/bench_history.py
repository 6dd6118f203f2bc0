"""What the training history costs over a long run: memory held, rows, the slowest appends.

A script, not a test (pytest does not collect it).  For the XOR and digits examples (2 weight
layers), the vanishing-sigmoid example (7) and a 64-layer row (a deep net's width), it trains
the example briefly for realistic rows (batch loss, penalty, lr, grad norms, evaluations at
the example's own interval), then appends ``--steps`` rows to a fresh History with the
default budget, evaluations written with ``set_last`` as the Trainer does, timing every
append on its own, and prints:

    held        bytes held at the end (of the budget) and the peak along the run
    rows        rows held; of them kept exactly as appended; the envelope's bucket width
    append      mean, p99 and p99.9 of one append (µs), and the worst append (ms) of each
                kind: a plain one, growing the columns (doubling), a compaction pass;
                wall-clock time, and in brackets the thread's CPU time (on a busy machine
                the wall clock also counts the time other processes had the core)
    passes      how many passes rewrote older rows (compactions and coarsenings) and their
                share of the time spent appending
    column()    the time of one ``column("batch_loss")`` and ``column("grad_norms")`` call
                (a view, whatever the history's length), and of ``rows_through(step)``

    python tests/benchmarks/bench_history.py                   # 10^6 steps each (~30 s)
    python tests/benchmarks/bench_history.py --steps 3000000   # longer
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the app runs (cli._run_gui)
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np

from simulator.engine.trainer import HISTORY_BUDGET, History
from simulator.project import load_example

SAMPLE_STEPS = 2000  # trained for realistic rows, then repeated along the run
EVALUATIONS = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")


def sample_rows(example: str, width: int | None = None):
    """(rows, norms, eval_every): the rows of a short run of ``example``; with ``width``, its
    grad norms repeated to that many layers."""
    trainer = load_example(example).build_trainer()
    trainer.run(steps=SAMPLE_STEPS)
    history = trainer.history
    norms = history.column("grad_norms")
    if width is not None:
        norms = np.resize(norms.T, (width, len(norms))).T
    rows = {name: history.column(name).copy() for name in History.SCALARS}
    every = trainer.eval_every or trainer.batches.batches_per_epoch
    return rows, np.ascontiguousarray(norms), every


def bench(label: str, example: str, steps: int, width: int | None = None) -> None:
    rows, norms, eval_every = sample_rows(example, width)
    n_sample = len(norms)
    history = History(norms.shape[1])
    times = np.empty(steps, dtype=np.int64)
    cpu = np.empty(steps, dtype=np.int64)
    kinds = np.zeros(steps, dtype=np.int8)  # 0 plain, 1 grew, 2 a pass rewrote older rows
    batch_loss, penalty, lr = rows["batch_loss"], rows["penalty"], rows["lr"]
    epochs = rows["epoch"]
    evaluation = {name: rows[name] for name in EVALUATIONS}
    peak = 0
    clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    for i in range(steps):
        j = i % n_sample
        step = i + 1
        capacity, revision = history.nbytes, history.revision
        c0 = cpu_clock()
        t0 = clock()
        history.append(
            norms[j],
            step=step,
            epoch=epochs[j] + (i // n_sample) * epochs[-1],
            batch_loss=batch_loss[j],
            penalty=penalty[j],
            lr=lr[j],
        )
        times[i] = clock() - t0
        cpu[i] = cpu_clock() - c0
        if step % eval_every == 0:
            history.set_last(**{name: float(col[j]) for name, col in evaluation.items()})
        if history.revision != revision:
            kinds[i] = 2
        elif history.nbytes != capacity:
            kinds[i] = 1
            peak = max(peak, history.nbytes)

    us = times / 1000
    cpu_us = cpu / 1000

    def worst(kind: int) -> str:
        if not (kinds == kind).any():
            return "-"
        return f"{us[kinds == kind].max() / 1000:.2f} ({cpu_us[kinds == kind].max() / 1000:.2f}) ms"

    passes = int((kinds == 2).sum())
    share = us[kinds == 2].sum() / us.sum()
    exact = len(history) - history.full_resolution_start
    mb = 1024 * 1024
    print(f"{label}  ({norms.shape[1]} layers, {steps:,} steps, evaluation every {eval_every})")
    print(
        f"  held     {history.nbytes / mb:6.2f} MB of {HISTORY_BUDGET / mb:.0f} MB "
        f"(peak {max(peak, history.nbytes) / mb:.2f} MB; max_rows {history.max_rows:,})"
    )
    print(
        f"  rows     {len(history):,}: {exact:,} as appended, "
        f"{history.full_resolution_start:,} envelope rows in buckets of "
        f"{history.bucket_steps} steps"
    )
    print(
        f"  append   mean {us.mean():.2f} µs, p99 {np.percentile(us, 99):.2f} µs, "
        f"p99.9 {np.percentile(us, 99.9):.2f} µs; worst: plain {worst(0)}, "
        f"growing {worst(1)}, pass {worst(2)}"
    )
    print(f"  passes   {passes} ({100 * share:.1f}% of the appending time)")
    reads = []
    for call in (
        lambda: history.column("batch_loss"),
        lambda: history.column("grad_norms"),
        lambda: history.rows_through(steps // 2),
    ):
        t0 = time.perf_counter()
        for _ in range(10_000):
            call()
        reads.append((time.perf_counter() - t0) / 10_000 * 1e9)
    print(
        f"  column() batch_loss {reads[0]:.0f} ns, grad_norms {reads[1]:.0f} ns; "
        f"rows_through {reads[2]:.0f} ns"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    args = parser.parse_args()
    bench("XOR 2-8-1", "xor", args.steps)
    bench("digits 64-32-10", "digits", args.steps)
    bench("vanishing-sigmoid (7 layers)", "vanishing-sigmoid", args.steps)
    bench("deep net (64 layers' norms)", "vanishing-sigmoid", args.steps, width=64)


if __name__ == "__main__":
    main()
