"""How long Train ▸ Check Gradients takes on the shipped examples (target: under 2 s each).

A script, not a test (pytest does not collect it): the check blocks the window while it runs,
so its time matters, but a busy CI machine must not fail a test over it.  For each example it
trains 20 steps, then prints the median of N checks: parameters checked, batch size, seconds.

    python tests/benchmarks/bench_gradient_check.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from simulator.app.gradient_check import check_gradients  # noqa: E402
from simulator.project import load_example  # noqa: E402

EXAMPLES = ("xor", "spiral", "digits", "vanishing-sigmoid")
TARGET_S = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print("| example | parameters | checked | batch | median s | target |")
    print("|---|---:|---:|---:|---:|---|")
    for name in EXAMPLES:
        trainer = load_example(name).build_trainer()
        trainer.run(steps=20)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            report = check_gradients(trainer)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        verdict = "meets" if median < TARGET_S else "MISSES"
        print(
            f"| {name} | {report.trainable:,} | {report.checked + report.kinks:,} "
            f"| {report.batch_size:,} | {median:.2f} | {verdict} < {TARGET_S:g} s |"
        )


if __name__ == "__main__":
    main()
