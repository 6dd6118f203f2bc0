"""Fuzz the CSV import: N seeded files, each imported or refused with a ProjectError.

A script, not a test (pytest does not collect it).  Case ``seed`` is the realistic CSV file
that ``tests/project/test_csv_properties.py`` builds from ``random.Random(seed)`` (headers,
numbers, decimal commas, text labels, quotes, delimiters, byte-order marks, mixed line ends,
then bad UTF-8, zero bytes, ragged rows, huge cells, truncation), read with
``read_csv_table`` and built with ``build_inline_data`` from a choice of columns, as the
property test does.  It prints how many cases loaded (usable data whose project saves and
loads again), how many were refused with a ProjectError naming the file, and every other
outcome with its seed and traceback: those are bugs.  The exit status is 1 if there was one.

    python tests/benchmarks/fuzz_csv.py [-n 100000] [--first-seed 0] [--show 5]

Replay one case: ``--first-seed S -n 1``.
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "project"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from test_csv_properties import run_case


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=100_000, help="cases to run (100,000)")
    parser.add_argument("--first-seed", type=int, default=0, help="the first case's seed (0)")
    parser.add_argument("--show", type=int, default=5, help="tracebacks to print in full (5)")
    args = parser.parse_args(argv)
    counts: collections.Counter[str] = collections.Counter()
    others: list[tuple[int, str]] = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(args.first_seed, args.first_seed + args.n):
            try:
                counts[run_case(Path(folder), random.Random(seed))] += 1
            except Exception:  # noqa: BLE001 - every other outcome is what this script looks for
                counts["other"] += 1
                others.append((seed, traceback.format_exc()))
            done = seed - args.first_seed + 1
            if done % 10_000 == 0:
                print(f"  {done:,} cases, {time.perf_counter() - start:.0f} s", flush=True)
    elapsed = time.perf_counter() - start
    print(f"{args.n:,} cases (seeds {args.first_seed:,} to {args.first_seed + args.n - 1:,}) "
          f"in {elapsed:.1f} s")  # fmt: skip
    for outcome in ("loaded", "refused", "other"):
        print(f"  {outcome:8} {counts[outcome]:8,}")
    for seed, text in others[: args.show]:
        print(f"\nseed {seed}:\n{text}")
    if len(others) > args.show:
        print(f"... and {len(others) - args.show} more, seeds {[s for s, _ in others]}")
    return 1 if others else 0


if __name__ == "__main__":
    sys.exit(main())
