"""Cold start to a shown main window (the default example), median of several runs.

Run:  QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_startup.py [--runs 5]
Each run is a fresh interpreter: the time runs from just before the process starts until
the window has been shown and painted once (the child prints the wall-clock time then).
It also prints where the time went (medians): the interpreter and Qt up to a QApplication,
importing the main window's modules, making the MainWindow, and showing and painting it.
Target (issue 14): <= 800 ms.
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
marks = [time.time()]
from simulator.ui.main_window import MainWindow
marks.append(time.time())
w = MainWindow()
marks.append(time.time())
w.show()
def shown():
    w.grab()  # one full paint
    print(*marks, flush=True)
    print(time.time(), flush=True)
    app.quit()
QTimer.singleShot(0, shown)
app.exec()
"""
TARGET_MS = 800


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
    times, parts = [], []
    for _ in range(args.runs):
        start = time.time()
        out = subprocess.run(
            [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True
        ).stdout
        lines = out.strip().splitlines()
        app_ready, imported, made = (float(v) for v in lines[-2].split())
        end = float(lines[-1])
        times.append(end - start)
        parts.append((app_ready - start, imported - app_ready, made - imported, end - made))
    median = statistics.median(times) * 1000
    verdict = "meets" if median <= TARGET_MS else "MISSES"
    print(
        f"cold start to shown window ({env['QT_QPA_PLATFORM']}): "
        f"median {median:.0f} ms over {args.runs} runs "
        f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}); "
        f"{verdict} the {TARGET_MS} ms target"
    )
    names = ("interpreter + QApplication", "imports", "MainWindow()", "show + first paint")
    print(
        "  "
        + ", ".join(
            f"{name} {statistics.median(p[i] for p in parts) * 1000:.0f} ms"
            for i, name in enumerate(names)
        )
    )


if __name__ == "__main__":
    main()
