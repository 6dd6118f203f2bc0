"""Cold start to a shown main window (the default example), median of several runs.

Run:  QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_startup.py [--runs 5]
Each run is a fresh interpreter: the time runs from just before the process starts until
the window has been shown and painted once (the child prints the wall-clock time then).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

CHILD = r"""
import sys, time
from PySide6.QtWidgets import QApplication
from PySide6.QtCore import QTimer
app = QApplication(sys.argv)
app.setOrganizationName("BackpropLabBench"); app.setApplicationName("BackpropLabBench")
from simulator.ui.main_window import MainWindow
w = MainWindow()
w.show()
def shown():
    w.grab()  # one full paint
    print(time.time(), flush=True)
    app.quit()
QTimer.singleShot(0, shown)
app.exec()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    # One warm-up so the OS file cache is in the same state for every measured run.
    subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, check=True)
    times = []
    for _ in range(args.runs):
        start = time.time()
        out = subprocess.run(
            [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True
        ).stdout
        times.append(float(out.strip().splitlines()[-1]) - start)
    print(
        f"cold start to shown window ({env['QT_QPA_PLATFORM']}): "
        f"median {statistics.median(times) * 1000:.0f} ms over {args.runs} runs "
        f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}); target < 1500 ms"
    )


if __name__ == "__main__":
    main()
