"""Run the test suite N times while busy processes keep every core busy (a shared CI machine).

A script, not a test.  It starts one CPU-bound process per core at a slightly higher priority
than the suite (``nice -n -5``; as root, else at equal priority, which it says), then runs
``pytest`` N times and prints each run's outcome and time, and the failures' test names.

    python tests/benchmarks/busy_suite.py [--runs 10] [--busy 2] [-- PYTEST ARGS]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUSY = "while True: pass"


def start_busy(n: int) -> tuple[list[subprocess.Popen], str]:
    procs = []
    niceness = "-5" if os.geteuid() == 0 else "0"
    for _ in range(n):
        procs.append(
            subprocess.Popen(["nice", "-n", niceness, sys.executable, "-c", BUSY], cwd=ROOT)
        )
    label = "higher priority (nice -5)" if niceness == "-5" else "equal priority (not root)"
    return procs, label


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--busy", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--logs", type=Path, default=Path(tempfile.gettempdir()) / "busy_suite",
        help="a failed run's whole output goes to LOGS/run-N.log",
    )  # fmt: skip
    parser.add_argument("pytest_args", nargs="*", default=["-q", "-p", "no:cacheprovider"])
    args = parser.parse_args()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    procs, label = start_busy(args.busy)
    print(f"{args.busy} busy processes at {label}; {args.runs} runs of pytest {args.pytest_args}")
    failed_runs = 0
    try:
        for run in range(1, args.runs + 1):
            start = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-m", "pytest", *args.pytest_args],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
            )
            seconds = time.perf_counter() - start
            tail = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
            print(f"run {run}: exit {result.returncode}, {seconds:.0f} s: {tail}", flush=True)
            if result.returncode != 0:
                failed_runs += 1
                args.logs.mkdir(parents=True, exist_ok=True)
                log = args.logs / f"run-{run}.log"
                log.write_text(result.stdout + result.stderr)
                print(f"    output: {log}", flush=True)
                for name in re.findall(r"^FAILED (\S+)", result.stdout, re.M):
                    print(f"    FAILED {name}", flush=True)
                for name in re.findall(r"^ERROR (\S+)", result.stdout, re.M):
                    print(f"    ERROR {name}", flush=True)
    finally:
        for p in procs:
            p.kill()
    print(f"{args.runs - failed_runs} of {args.runs} runs passed")
    return 1 if failed_runs else 0


if __name__ == "__main__":
    sys.exit(main())
