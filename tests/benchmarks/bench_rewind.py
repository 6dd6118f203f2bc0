"""What rewinding costs: checkpoints while training, the store's size, the worst replay.

A script, not a test (pytest does not collect it).  For the XOR and digits examples it trains
a run of ``--steps`` steps (no full-set evaluations, as the engine benchmark), recording
checkpoints by the app's policy (``CheckpointStore.record_interval`` with the app's budget and
spread), and prints:

    step        the mean time of one training step
    checkpoint  the time of one checkpoint with its size (``nbytes``, as the store reads it),
                the best of 15 rounds of 200 (a busy machine inflates means), and its bytes
    restore     the time of ``Trainer.restore`` of one checkpoint (best of 15 rounds of 20)
    recording   the checkpoints' share of the training time over the run (%)
    store       checkpoints held, bytes (of the budget), the largest gap between neighbours
    replay      the worst rewind: showing the step just before the largest gap closes
                (restore the checkpoint before it, replay the gap), timed

    python tests/benchmarks/bench_rewind.py                    # 100,000 steps each (~40 s)
    python tests/benchmarks/bench_rewind.py --steps 20000      # quicker
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the app runs (cli._run_gui)
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from simulator.engine.checkpoints import CheckpointStore, state_at
from simulator.project import load_example

REWIND_BUDGET = 64 * 1024 * 1024  # simulator.app.training.REWIND_BUDGET (no Qt import here)
RECORD_SPREAD = 4
RECORD_MIN_INTERVAL = 16  # as simulator.app.training


def bench(example: str, steps: int) -> dict:
    project = load_example(example)
    trainer = project.build_trainer()
    trainer.record_evaluations = False
    trainer.run(steps=50)  # warm-up
    t0 = time.perf_counter()
    trainer.run(steps=500)
    step_s = (time.perf_counter() - t0) / 500
    checkpoint_s = math.inf
    for _ in range(15):
        t0 = time.perf_counter()
        for _ in range(200):
            checkpoint = trainer.checkpoint()
            checkpoint.nbytes  # noqa: B018 (the store reads it at once)
        checkpoint_s = min(checkpoint_s, (time.perf_counter() - t0) / 200)
    restore_s = math.inf
    for _ in range(15):
        t0 = time.perf_counter()
        for _ in range(20):
            trainer.restore(checkpoint)
        restore_s = min(restore_s, (time.perf_counter() - t0) / 20)

    trainer = project.build_trainer()
    trainer.record_evaluations = False
    store = CheckpointStore(REWIND_BUDGET)
    store.add(trainer.checkpoint())
    interval = 1
    recording = 0.0
    t0 = time.perf_counter()
    for _ in range(steps):
        trainer.step()
        if trainer.step_count - store.last_step >= interval:
            r0 = time.perf_counter()
            cp = trainer.checkpoint()
            store.add(cp)
            interval = store.record_interval(
                trainer.step_count, cp.nbytes, RECORD_SPREAD, RECORD_MIN_INTERVAL
            )
            recording += time.perf_counter() - r0
    total = time.perf_counter() - t0

    held = store.steps
    gaps = [b - a for a, b in zip(held, held[1:])]
    i = max(range(len(gaps)), key=gaps.__getitem__)
    target = held[i + 1] - 1  # the farthest replay in the store (with the last step's trace)
    t0 = time.perf_counter()
    state_at(trainer, store, target)
    replay_s = time.perf_counter() - t0
    head = trainer.step_count - held[-1]  # steps since the newest checkpoint
    return {
        "example": example,
        "sizes": "-".join(map(str, trainer.net.sizes)),
        "optimizer": trainer.optimizer.name,
        "batch": trainer.batches.batch_size,
        "step_us": step_s * 1e6,
        "checkpoint_us": checkpoint_s * 1e6,
        "restore_us": restore_s * 1e6,
        "checkpoint_kb": checkpoint.nbytes / 1024,
        "recording_pct": 100 * recording / total,
        "held": len(store),
        "store_mb": store.nbytes / 2**20,
        "max_gap": max(gaps),
        "gap_at": held[i],
        "recent_gap": gaps[-1],
        "head": head,
        "replay_ms": replay_s * 1e3,
        "interval": interval,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000)
    args = parser.parse_args()
    print(f"{args.steps:,} steps per run, budget {REWIND_BUDGET / 2**20:.0f} MB\n")
    print(
        "| example | net | opt / batch | step µs | checkpoint µs | checkpoint KB | restore µs "
        "| recording % | held | store MB | largest gap (at step) | newest gap | worst replay ms |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for example in ("xor", "digits"):
        r = bench(example, args.steps)
        print(
            f"| {r['example']} | {r['sizes']} | {r['optimizer']} / {r['batch']} "
            f"| {r['step_us']:.0f} | {r['checkpoint_us']:.1f} | {r['checkpoint_kb']:.1f} "
            f"| {r['restore_us']:.0f} | {r['recording_pct']:.1f} | {r['held']:,} "
            f"| {r['store_mb']:.1f} "
            f"| {r['max_gap']:,} ({r['gap_at']:,}) | {r['recent_gap']:,} "
            f"| {r['replay_ms']:.1f} |"
        )


if __name__ == "__main__":
    main()
