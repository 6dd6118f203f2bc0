"""How much faster a sweep runs on two worker processes than on one.

A script, not a test (pytest does not collect it).  The issue's sweep: XOR under 6 learning
rates × 3 seeds, 2,000 steps each (18 runs), run whole ``--rounds`` times each way:

    1 worker           the runs one after the other in this process (``--workers 1``)
    2 workers, fork    a pool of two worker processes started as ``backprop-lab sweep``
                       starts them on Linux (forked: the modules are already imported)
    2 workers, spawn   the same pool started as the window must (fresh interpreters that
                       import numpy and the simulator first)

For each it prints the best and median wall time and the CPU time (this process and its
joined worker processes, pool start-up included), then the speed-up of each pool (1 worker /
2 workers, best of each; the target is at least 1.7× on a 2-core machine), the speed-up two
idle cores would give (the CPU time of one worker over half that of two: start-up included,
other work on the machine left out), the time one run takes (the mean of the runs' ``wall_s``
in this process), and whether every result agreed bit for bit.  The load average is printed
too: other work on the machine takes cores from the pool.

    python tests/benchmarks/bench_sweep.py                # ~1 minute on 2 idle cores
    python tests/benchmarks/bench_sweep.py --rounds 1 --steps 500
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from simulator.project import load_example
from simulator.project.sweep import (
    HISTORY_COLUMNS,
    Sweep,
    Variation,
    command_line_start_method,
    default_workers,
)

LEARNING_RATES = "lr=0.003,0.01,0.03,0.1,0.3,1"
# (label, workers, start method)
MODES = (
    ("1 worker (in process)", 1, None),
    (f"2 workers, {command_line_start_method()} (command line)", 2, command_line_start_method()),
    ("2 workers, spawn (window)", 2, "spawn"),
)


def numbers(results) -> list:
    """What must agree bit for bit, in job order."""
    out = []
    for r in sorted(results, key=lambda r: r.index):
        history = tuple(r.history[c].tobytes() for c in HISTORY_COLUMNS)
        out.append((r.index, r.steps, r.train_loss, r.test_loss, r.accuracy, history))
    return out


def cpu_seconds() -> float:
    """CPU time of this process and of its finished (joined) children, user + system."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(sweep: Sweep, workers: int, start_method: str | None) -> tuple[float, float, list]:
    """(wall seconds, CPU seconds, results) of the whole sweep, pool start-up included."""
    options = {} if start_method is None else {"mp_context": start_method}
    cpu, start = cpu_seconds(), time.perf_counter()
    results = list(sweep.run(workers=workers, **options))
    return time.perf_counter() - start, cpu_seconds() - cpu, results


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=3)
    opts = parser.parse_args()

    sweep = Sweep(
        load_example("xor"), [Variation.parse(LEARNING_RATES)], seeds=opts.seeds, steps=opts.steps
    )
    print(
        f"XOR, {len(sweep.variants)} variants × {len(sweep.seeds)} seeds × {opts.steps} steps "
        f"= {len(sweep)} runs; {default_workers()} cores; load average {load()} before"
    )
    wall: dict[str, list[float]] = {label: [] for label, _, _ in MODES}
    cpu: dict[str, list[float]] = {label: [] for label, _, _ in MODES}
    reference, agree, one_run = None, True, []
    for _ in range(opts.rounds):
        for label, workers, start_method in MODES:  # alternated: a change of load hits all
            seconds, used, results = timed(sweep, workers, start_method)
            wall[label].append(seconds)
            cpu[label].append(used)
            if workers == 1:
                one_run.append(statistics.mean(r.wall_s for r in results))
            reference = numbers(results) if reference is None else reference
            agree = agree and numbers(results) == reference
    for label, _, _ in MODES:
        print(
            f"{label:<32} best {min(wall[label]):6.2f} s   median "
            f"{statistics.median(wall[label]):6.2f} s   CPU {min(cpu[label]):6.2f} s"
        )
    one = MODES[0][0]
    for label, _, _ in MODES[1:]:
        measured = min(wall[one]) / min(wall[label])
        # On two idle cores the two workers share the CPU time; other work takes cores away.
        idle = min(cpu[one]) / (min(cpu[label]) / 2)
        print(
            f"speed-up, {label}: {measured:.2f}× measured, {idle:.2f}× on two idle cores "
            "(from the CPU time); target ≥ 1.7×"
        )
    print(f"one run: {min(one_run) * 1000:.0f} ms (the mean of the runs, best round)")
    print(f"every round's results bit for bit the same: {'yes' if agree else 'NO'}")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
