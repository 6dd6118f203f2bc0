# ruff: noqa: E501  (a script that prints a markdown table: long format lines)
"""Soak: the real window trains digits at full speed with every view visible for MINUTES
minutes, and prints, minute by minute, the steps trained, the process's memory (RSS) and how
late a 10 ms timer fired (p50/p95/max): what a learner leaving the app playing for a while
gets.  Not a pytest test (it reads the clock by design).

    QT_QPA_PLATFORM=offscreen python tests/benchmarks/soak_window.py [--minutes 10] [--example digits]

Memory may grow, by design, up to the rewind checkpoints' and the history's budgets
(``REWIND_BUDGET`` and ``HISTORY_BUDGET``; both are fixed, the history compacts itself when
its budget is full).  The last line compares the growth after the first minute with those
budgets (plus ``SLACK_MB`` for allocator and Qt caches) and says "within budget" or "OVER".
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # as the app runs (simulator/cli.py)

from PySide6.QtCore import QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QDockWidget  # noqa: E402

from simulator.project import load_example  # noqa: E402

PROBE_MS = 10
SLACK_MB = 48.0  # allocator fragmentation, Qt's pixmap and font caches


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--example", default="digits")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds per printed row")
    args = parser.parse_args()

    app = QApplication(sys.argv[:1])
    from simulator.app.rewind import REWIND_BUDGET
    from simulator.engine.trainer import HISTORY_BUDGET
    from simulator.ui import main_window

    main_window.PLOTS_UNDER_FROM = 0  # the heavier layout: plots under the canvas, all visible
    window = main_window.MainWindow()
    window.document.open_project(load_example(args.example), None)
    window.resize(1366, 768)
    window.show()
    for dock in window.findChildren(QDockWidget):
        dock.show()
    app.processEvents()
    ctl = window.controller
    ctl.set_speed(None)  # max speed
    ctl.set_stop_condition(None)  # the example's own length would end Play

    lateness: list[float] = []
    last = [time.perf_counter()]

    def probe() -> None:
        now = time.perf_counter()
        lateness.append(max(0.0, (now - last[0]) * 1000 - PROBE_MS))
        last[0] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(probe)
    timer.start(PROBE_MS)

    print(f"{args.example}, {args.minutes:g} min at full speed, every view visible")
    print(
        "| minute | steps | steps/s | RSS MB | history MB | checkpoints MB | late p50 / p95 / max ms |"
    )
    print("|---:|---:|---:|---:|---:|---:|---|")
    ctl.play()
    start = time.perf_counter()
    rows = max(1, round(args.minutes * 60 / args.interval))
    first_minute_rss = None
    steps_before = ctl.step_count
    for row in range(1, rows + 1):
        lateness.clear()
        loop = QEventLoop()
        QTimer.singleShot(int(args.interval * 1000), loop.quit)
        loop.exec()
        if not ctl.playing:  # a divergence or an error paused it: say so and go on
            print(f"(paused at step {ctl.step_count}; playing again)")
            ctl.play()
        steps = ctl.step_count
        rss = rss_mb()
        if row == 1:
            first_minute_rss = rss
        print(
            f"| {row * args.interval / 60:.1f} | {steps:,} | {(steps - steps_before) / args.interval:,.0f}"
            f" | {rss:,.0f} | {ctl.history.nbytes / 2**20:.1f} | {ctl.checkpoints.nbytes / 2**20:.1f}"
            f" | {statistics.median(lateness) if lateness else float('nan'):.1f} /"
            f" {percentile(lateness, 0.95):.1f} / {max(lateness, default=float('nan')):.1f} |",
            flush=True,
        )
        steps_before = steps
    ctl.pause()
    timer.stop()
    elapsed = time.perf_counter() - start
    budget_mb = (REWIND_BUDGET + HISTORY_BUDGET) / 2**20 + SLACK_MB
    growth = rss_mb() - (first_minute_rss or rss_mb())
    verdict = "within budget" if growth <= budget_mb else "OVER"
    print(
        f"{ctl.step_count:,} steps in {elapsed / 60:.1f} min; memory grew {growth:,.0f} MB after"
        f" the first row (budget: rewind {REWIND_BUDGET / 2**20:.0f} + history"
        f" {HISTORY_BUDGET / 2**20:.0f} + slack {SLACK_MB:.0f} MB): {verdict}"
    )
    ctl.shutdown()
    window.document.undo_stack.setClean()
    window.close()
    return 0 if verdict == "within budget" else 1


if __name__ == "__main__":
    sys.exit(main())
