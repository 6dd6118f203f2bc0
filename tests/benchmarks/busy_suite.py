"""Run the test suite N times while busy processes keep every core busy (a shared CI machine).

A script, not a test.  It starts one CPU-bound process per core at a slightly higher priority
than the suite (``nice -n -5``; as root, else at equal priority, which it says), then runs
``pytest`` N times and prints each run's outcome and time, and the failures' test names.
``--parallel K`` runs K suites at once (each with its own home folder and pytest temporary
folder) beside the same busy processes: each suite then gets no more of the machine than one
alone does, so the runs are as busy, and ten of them fit in half the time.

    python tests/benchmarks/busy_suite.py [--runs 10] [--busy 2] [--parallel 1] [-- PYTEST ARGS]
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


def start_run(run: int, pytest_args: list[str], scratch: Path):
    """One suite in its own home and temporary folders; its output goes to a file."""
    home = scratch / f"run-{run}"
    home.mkdir(parents=True)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(home))
    env.pop("XDG_CONFIG_HOME", None)
    out = open(home / "output.log", "w+")
    proc = subprocess.Popen(
        [sys.executable, "-X", "faulthandler", "-m", "pytest", *pytest_args,
         "--basetemp", str(home / "pytest")],
        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    return proc, out, time.perf_counter()


def report(run: int, proc, out, start: float, logs: Path) -> bool:
    """Print run ``run``'s outcome; keep its whole output in LOGS when it failed."""
    seconds = time.perf_counter() - start
    out.seek(0)
    text = out.read()
    out.close()
    lines = text.strip().splitlines()
    tail = lines[-1] if lines else ""
    print(f"run {run}: exit {proc.returncode}, {seconds:.0f} s: {tail}", flush=True)
    if proc.returncode == 0:
        return True
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"run-{run}.log"
    log.write_text(text)
    print(f"    output: {log}", flush=True)
    for name in re.findall(r"^(?:FAILED|ERROR) (\S+)", text, re.M):
        print(f"    {name}", flush=True)
    if "Fatal Python error" in text:
        before = re.findall(r"^(tests/\S+::\S+)", text, re.M)
        print(f"    crashed after {before[-1] if before else 'the start'}", flush=True)
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--busy", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--parallel", type=int, default=1, help="suites run at once")
    parser.add_argument(
        "--logs", type=Path, default=Path(tempfile.gettempdir()) / "busy_suite",
        help="a failed run's whole output goes to LOGS/run-N.log",
    )  # fmt: skip
    parser.add_argument("pytest_args", nargs="*", default=["-q", "-p", "no:cacheprovider"])
    args = parser.parse_args()
    procs, label = start_busy(args.busy)
    print(
        f"{args.busy} busy processes at {label}; {args.runs} runs of pytest {args.pytest_args},"
        f" {args.parallel} at a time",
        flush=True,
    )
    passed = 0
    running: list[tuple] = []
    next_run = 1
    try:
        with tempfile.TemporaryDirectory(prefix="busy_suite_") as scratch:
            while next_run <= args.runs or running:
                while next_run <= args.runs and len(running) < args.parallel:
                    running.append(
                        (next_run, *start_run(next_run, args.pytest_args, Path(scratch)))
                    )
                    next_run += 1
                time.sleep(1.0)
                for entry in [e for e in running if e[1].poll() is not None]:
                    running.remove(entry)
                    passed += report(*entry, args.logs)
    finally:
        for p in procs + [e[1] for e in running]:
            p.kill()
    print(f"{passed} of {args.runs} runs passed")
    return 0 if passed == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
