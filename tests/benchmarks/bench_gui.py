"""The window while training at full speed: redraw rate, event-loop latency, training speed
against the headless trainer, memory over many steps.  Prints figures (not a pytest test).

Run:  QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_gui.py [--seconds 10]
                                                                    [--memory-steps 100000]
The window plays at max speed (not the watchable speed a fresh settings file gives) and past
the example's own length.  Besides
the canvas's redraws it counts the plots' repaints (paint events of the plot widgets' viewports,
per second) and the main window's relayouts (LayoutRequest events it receives, per second).
Targets (issue 14): >= 55 canvas redraws/s; GUI training >= 80 % of the headless trainer's
steps/s for the same project; a 10 ms probe timer late by <= 16 ms at p95; plots repainted at
most 5 times a second; memory flat over 100,000 steps (--memory-steps 0 skips that part).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # as the app runs (simulator/cli.py)

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from simulator.project import load_example  # noqa: E402

PROBE_MS = 10


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class EventCounter(QObject):
    """Counts the events of one type that the widgets it is installed on receive."""

    def __init__(self, kind=QEvent.Paint):
        super().__init__()
        self.kind = kind
        self.count = 0

    def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
        if event.type() == self.kind:
            self.count += 1
        return False


def headless_rate(example: str, seconds: float) -> float:
    trainer = load_example(example).build_trainer()
    end = time.perf_counter() + seconds
    steps = 0
    start = time.perf_counter()
    while time.perf_counter() < end:
        trainer.step()
        steps += 1
    return steps / (time.perf_counter() - start)


debug_state = lambda: ""  # noqa: E731 - BENCH_DEBUG=1 prints this every 5 s


def run_app_until(app: QApplication, condition, timeout_s: float) -> None:
    """Run a real event loop (as the app does: no polling, no sleeping) until ``condition``
    holds, checked every 20 ms, or ``timeout_s`` passes."""
    deadline = time.perf_counter() + timeout_s
    loop = QEventLoop()
    check = QTimer()
    check.setInterval(20)
    check.timeout.connect(lambda: (condition() or time.perf_counter() >= deadline) and loop.quit())
    check.start()
    if not condition():
        loop.exec()
    check.stop()


def measure(app: QApplication, example: str, seconds: float, memory_steps: int) -> dict:
    from simulator.ui import main_window

    # The heavier layout: plots under the canvas, settings beside it (every view on screen),
    # whatever the offscreen screen's size would choose.
    main_window.PLOTS_UNDER_FROM = 0
    window = main_window.MainWindow()
    window.controller.document.open_project(load_example(example), None)
    window.resize(1366, 768)
    window.show()
    app.processEvents()
    ctl = window.controller
    ctl.set_speed(None)  # max speed: the toolbar set the watchable speed of fresh settings
    ctl.set_stop_condition(None)  # the examples stop at an epoch: play on for the whole run
    counter = EventCounter()
    window.canvas.viewport().installEventFilter(counter)
    # The plots: every pyqtgraph view on the plots panel (loss, accuracy, lr, gradient flow).
    import pyqtgraph as pg

    plot_paints = EventCounter()
    for plot in window.plots_panel.findChildren(pg.PlotWidget):
        plot.viewport().installEventFilter(plot_paints)
    relayouts = EventCounter(QEvent.LayoutRequest)
    window.installEventFilter(relayouts)
    snapshots = []
    window.controller.snapshot_ready.connect(lambda s: snapshots.append(time.perf_counter()))

    lateness = []
    last = [time.perf_counter()]

    def probe():
        now = time.perf_counter()
        lateness.append(max(0.0, (now - last[0]) * 1000 - PROBE_MS))
        last[0] = now

    timer = QTimer()
    timer.setTimerType(__import__("PySide6.QtCore").QtCore.Qt.PreciseTimer)
    timer.timeout.connect(probe)
    timer.start(PROBE_MS)

    global debug_state
    debug_state = lambda: f"step {ctl.step_count} playing {ctl.playing}"  # noqa: E731
    start_step = ctl.step_count
    t0 = time.perf_counter()
    ctl.play()
    run_app_until(app, lambda: time.perf_counter() - t0 >= seconds, seconds + 5)
    ctl.pause()
    elapsed = time.perf_counter() - t0
    timer.stop()
    steps = ctl.step_count - start_step
    paints = counter.count  # before the memory run below adds more
    plot_paint_count, relayout_count = plot_paints.count, relayouts.count
    gui_rate = steps / elapsed
    frames = len([t for t in snapshots if t >= t0])

    # Memory: RSS before and after many more steps (the history grows by design: reported).
    mem_before = rss_mb()
    hist_before = ctl.history.nbytes
    checkpoints_before = ctl.checkpoints.nbytes
    if memory_steps:
        ctl.play()
        target = ctl.step_count + memory_steps
        run_app_until(app, lambda: ctl.step_count >= target, 600)
        ctl.pause()
    mem_after = rss_mb()
    history_mb = (ctl.history.nbytes - hist_before) / 2**20  # grows by doubling, by design
    # The rewind checkpoints grow up to their fixed budget, then stay there.
    checkpoints_mb = (ctl.checkpoints.nbytes - checkpoints_before) / 2**20
    window.controller.shutdown()
    window.document.undo_stack.setClean()
    window.close()

    lateness.sort()
    p95 = lateness[int(0.95 * (len(lateness) - 1))] if lateness else float("nan")
    return {
        "example": example,
        "gui_steps_s": gui_rate,
        "snapshots_s": frames / elapsed,
        "paints_s": paints / elapsed,
        "plot_paints_s": plot_paint_count / elapsed,
        "relayouts_s": relayout_count / elapsed,
        "probe_p50": statistics.median(lateness) if lateness else float("nan"),
        "probe_p95": p95,
        "mem_before": mem_before,
        "mem_after": mem_after,
        "mem_steps": ctl.step_count,
        "history_mb": history_mb,
        "checkpoints_mb": checkpoints_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--memory-steps", type=int, default=100_000)
    parser.add_argument("--examples", nargs="+", default=["xor", "digits"])
    args = parser.parse_args()
    if len(args.examples) > 1:
        # One fresh process per example: each measures a single window from a clean start.
        header = True
        for example in args.examples:
            cmd = [
                sys.executable,
                __file__,
                "--seconds",
                str(args.seconds),
                "--memory-steps",
                str(args.memory_steps),
                "--examples",
                example,
            ]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            lines = out.strip().splitlines()
            print("\n".join(lines if header else lines[-1:]), flush=True)
            header = False
        return
    app = QApplication(sys.argv)
    app.setOrganizationName("BackpropLabBench")
    app.setApplicationName("BackpropLabBench")
    print(f"Qt platform {os.environ['QT_QPA_PLATFORM']}, {os.cpu_count()} cores")
    print(
        "| example | GUI steps/s | headless steps/s | ratio | snapshots/s | canvas paints/s "
        "| plot repaints/s | window relayouts/s | probe latency p50 / p95 "
        "| RSS before → after N steps (history share) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for example in args.examples:
        headless = headless_rate(example, args.seconds)
        r = measure(app, example, args.seconds, args.memory_steps)
        print(
            f"| {example} | {r['gui_steps_s']:,.0f} | {headless:,.0f} "
            f"| {r['gui_steps_s'] / headless:.0%} | {r['snapshots_s']:.1f} | {r['paints_s']:.1f} "
            f"| {r['plot_paints_s']:.1f} | {r['relayouts_s']:.1f} "
            f"| {r['probe_p50']:.1f} / {r['probe_p95']:.1f} ms "
            f"| {r['mem_before']:.0f} → {r['mem_after']:.0f} MB after "
            f"{args.memory_steps:,} more steps (history buffers grew {r['history_mb']:.1f} MB, "
            f"rewind checkpoints {r['checkpoints_mb']:+.1f} MB) |",
            flush=True,
        )


if __name__ == "__main__":
    main()
