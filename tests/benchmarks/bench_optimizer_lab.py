"""Frames per second of the Optimizer Lab playing a race of seven optimizers.

A script, not a test (pytest does not collect it).  It opens the lab window (1366×740,
offscreen) with the seven optimizers (SGD, momentum, Nesterov, Adagrad, RMSprop, Adam, AdamW)
on Rosenbrock, each with ``--warm`` steps behind it (2,000 by default: long trails, as after a
while of playing), and at each of several speeds (steps per frame) plays for ``--seconds`` of
wall time twice:

    paced     by the real clock, as a user sees it: the lab draws at most 60 frames a second,
              so frames/s tops out at ~60 (the target) and steps/s at 60 × speed
    unpaced   by a clock that moves a whole frame interval at every reading, so every frame
              is due at once: frames/s is what the machine can draw (the headroom)

and prints frames/s and steps/s (each step moves all seven racers) for both, then the steps/s
of the race alone (``Race.step`` in a loop, no window) in the same run, for reference.  Each
frame is the racers' steps, the trails, points, curves and table, and the window's paint.

    QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_optimizer_lab.py [--seconds S]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from simulator.app.clock import Clock, ManualClock  # noqa: E402
from simulator.app.optimizer_lab import OPTIMIZER_KINDS, build_optimizer  # noqa: E402
from simulator.engine.surfaces import SURFACES, Race  # noqa: E402
from simulator.ui.optimizer_lab import OptimizerLabWindow  # noqa: E402

TARGET_FPS = 60.0
SPEEDS = (1, 5, 20, 100)


def open_lab() -> OptimizerLabWindow:
    window = OptimizerLabWindow()
    controller = window.controller
    for racer in list(controller.racers):
        controller.remove_racer(racer)
    for kind in OPTIMIZER_KINDS:
        controller.add_racer(kind)
    window.resize(1366, 740)
    window.show()
    # The timed part never stops by itself: no step limit, and a tolerance none reaches.
    controller.step_limit = 10**9
    controller.set_tolerance(1e-300)
    return window


def warm_up(window: OptimizerLabWindow, warm: int) -> None:
    """The race from the start again, ``warm`` steps on (and drawn once, as after a Step)."""
    controller = window.controller
    controller.reset()
    for _ in range(warm):
        controller.race.step()
    controller.frame.emit()


def run_for(app: QApplication, seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def play(app, window: OptimizerLabWindow, speed: int, seconds: float, clock, warm: int):
    """(frames/s, steps/s) of ``seconds`` of wall time playing at ``speed`` steps per frame by
    ``clock``."""
    controller = window.controller
    controller.clock = clock
    controller.set_speed(speed)
    warm_up(window, warm)
    run_for(app, 0.3)
    frames, steps = window.frames_drawn, controller.steps
    elapsed = QElapsedTimer()
    elapsed.start()
    controller.play()
    run_for(app, seconds)
    controller.pause()
    wall = elapsed.nsecsElapsed() / 1e9
    return (window.frames_drawn - frames) / wall, (controller.steps - steps) / wall


def race_alone(warm: int, seconds: float) -> float:
    """Steps per second of the engine's Race with the same seven optimizers, no window."""
    race = Race(SURFACES["rosenbrock"])
    for kind in OPTIMIZER_KINDS:
        race.add(kind, build_optimizer(kind))
    race.run(warm)
    steps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for _ in range(100):
            race.step()
        steps += 100
    return steps / (time.perf_counter() - t0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="of playing per speed")
    parser.add_argument("--warm", type=int, default=2000, help="steps behind each racer")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    window = open_lab()
    run_for(app, 0.5)
    size = f"{window.width()}×{window.height()}"
    print(
        f"Optimizer Lab, 7 optimizers on Rosenbrock, {args.warm:,} steps behind each "
        f"(offscreen, {size}); target {TARGET_FPS:.0f} frames/s"
    )
    print(f"{'steps/frame':>11} {'paced frames/s':>15} {'steps/s':>8} "
          f"{'unpaced frames/s':>17} {'steps/s':>8}")  # fmt: skip
    for speed in SPEEDS:
        fps, sps = play(app, window, speed, args.seconds, Clock(), args.warm)
        free_fps, free_sps = play(
            app, window, speed, args.seconds, ManualClock(tick=1 / 60), args.warm
        )
        mark = "" if fps >= 0.95 * TARGET_FPS else "  (paced: under target)"
        print(f"{speed:>11} {fps:>15.1f} {sps:>8.0f} {free_fps:>17.1f} {free_sps:>8.0f}{mark}")
    alone = race_alone(args.warm, args.seconds / 2)
    print(f"reference, the race alone (no window): {alone:,.0f} steps/s")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
