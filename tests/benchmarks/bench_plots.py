"""How long the loss and gradient-flow plots take per frame with a million-step history.

A script, not a test (pytest does not collect it).  It fills a History with 1,000,000
synthetic steps (each layer's gradient norm, an evaluation every 100 steps, a decaying
learning rate so the lr strip shows), hands it to a PlotsPanel (900×600, offscreen) and prints
the median (and best) milliseconds per frame of

    afresh    the whole history drawn from scratch (as after Reset or opening a project):
              refresh() + a forced paint (``panel.grab()``)
    live      one training frame: 300 new rows appended (not timed), then refresh() + paint:
              what every snapshot costs while playing with a million steps behind it
    pan/zoom  setXRange to each of several ranges (the whole run, halves, 10 %, 1 %, 1,000
              steps, panning across) + paint

for the Loss page (linear and log y, step and epoch x) and the Gradient-flow page (log y) of
the default XOR network (2 weight layers) and of one with six hidden layers (7 curves).
Target: live and pan/zoom under 33 ms (30 frames a second); "afresh" happens once per reset.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_plots.py [--steps N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from simulator.app.document import Document  # noqa: E402
from simulator.app.training import TrainingController  # noqa: E402
from simulator.engine.trainer import History  # noqa: E402
from simulator.ui.plots import PlotsPanel  # noqa: E402

TARGET_MS = 33.0
BATCHES_PER_EPOCH = 16
EVAL_EVERY = 100
LIVE_ROWS = 300  # about what 8 ms of training on a small network adds per frame


class Synthetic:
    """Rows of a plausible run: a noisy decaying loss, two layers' gradient norms."""

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)
        self.step = 0

    def fill(self, history: History, rows: int) -> None:
        steps = self.step + 1 + np.arange(rows)
        loss = 0.7 * np.exp(-steps / 2e5) + 0.02 + 0.05 * self.rng.random(rows)
        layers = history.column("grad_norms").shape[1]
        norms = np.abs(self.rng.normal(1.0, 0.3, (rows, layers)))
        norms *= np.exp(-steps / 4e5)[:, None] * 0.3 ** np.arange(layers)[::-1]  # vanishing
        lr = 0.05 * 0.99 ** (steps // BATCHES_PER_EPOCH // 100)
        for i in range(rows):
            s = int(steps[i])
            history.append(norms[i], step=s, epoch=s / BATCHES_PER_EPOCH,
                           batch_loss=loss[i], penalty=0.0, lr=lr[i])  # fmt: skip
            if s % EVAL_EVERY == 0:
                history.set_last(train_loss=loss[i] * 0.9, test_loss=loss[i] * 1.1,
                                 train_accuracy=0.9, test_accuracy=0.85)  # fmt: skip
        self.step += rows


def timed_ms(fn, runs: int, prepare=None, per_call: int = 1) -> tuple[float, float]:
    """(median, best) milliseconds of ``fn()`` over ``runs`` runs, divided by ``per_call``."""
    fn()  # warm-up
    times = []
    for _ in range(runs):
        if prepare is not None:
            prepare()
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000 / per_call)
    return statistics.median(times), min(times)


def frame(panel: PlotsPanel) -> None:
    panel.refresh()
    panel.grab()


def bench_page(label, panel, history, synthetic, view, runs):
    def afresh():
        panel.controller.history_changed.emit()  # the panel draws everything again
        frame(panel)

    def train():  # not timed: the engine's part
        synthetic.fill(history, LIVE_ROWS)

    x0, x1 = view.viewRange()[0]
    width = x1 - x0
    ranges = [
        (x0, x1),
        (x0, x0 + width / 2),
        (x0 + width / 2, x1),
        (x0 + 0.45 * width, x0 + 0.55 * width),
        (x0 + 0.5 * width, x0 + 0.51 * width),
    ]
    small = width * 1000 / len(history)
    ranges += [(x0 + f * width, x0 + f * width + small) for f in np.linspace(0.1, 0.9, 9)]

    def pan_zoom():
        for lo, hi in ranges:
            view.setXRange(lo, hi, padding=0)
            panel.grab()

    results = {
        "afresh": timed_ms(afresh, max(3, runs // 3)),
        "live": timed_ms(lambda: frame(panel), runs, prepare=train),
        "pan/zoom": timed_ms(pan_zoom, max(3, runs // 3), per_call=len(ranges)),
    }
    view.enableAutoRange()
    frame(panel)
    panel.grab()
    # A one-off full redraw may take a frame or two; live frames and pan/zoom must be smooth.
    smooth = max(results["live"][0], results["pan/zoom"][0]) < TARGET_MS
    cells = "  ".join(f"{name} {med:5.1f} /{best:5.1f}" for name, (med, best) in results.items())
    print(f"{label:<31} {cells}  [{'ok' if smooth else 'SLOW'}]")
    return results


def setup(extra_hidden: int, steps: int):
    """A shown 900×600 panel over a controller whose history has ``steps`` synthetic rows."""
    doc = Document()
    for _ in range(extra_hidden):
        doc.add_layer()
    controller = TrainingController(doc)
    panel = PlotsPanel(controller)
    panel.resize(900, 600)
    panel.show()
    QApplication.processEvents()
    history = History(len(doc.network.layers))
    synthetic = Synthetic()
    start = time.perf_counter()
    synthetic.fill(history, steps)
    seconds = time.perf_counter() - start
    controller.trainer.history = history
    controller.history_changed.emit()
    frame(panel)
    return panel, history, synthetic, seconds


def bench_gradient_flow(label, panel, history, synthetic, runs) -> None:
    panel.tabs.setCurrentWidget(panel.gradient_flow)
    QApplication.processEvents()
    frame(panel)
    view = panel.gradient_plot.getPlotItem().getViewBox()
    bench_page(label, panel, history, synthetic, view, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([])
    app.setOrganizationName("BackpropLabBench")
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, "/tmp/backprop-lab-bench")
    QSettings().clear()

    panel, history, synthetic, seconds = setup(0, args.steps)
    print(
        f"history: {len(history):,} steps (filled in {seconds:.1f} s); "
        f"panel 900×600 offscreen; target < {TARGET_MS:.0f} ms"
    )
    print("ms per frame, median / best:")
    loss_view = panel.loss_plot.getPlotItem().getViewBox()
    bench_page("Loss, step, linear", panel, history, synthetic, loss_view, args.runs)
    panel.loss.set_log_y(True)
    bench_page("Loss, step, log", panel, history, synthetic, loss_view, args.runs)
    panel.loss.set_log_y(False)
    panel.set_x_axis("epoch")
    bench_page("Loss, epoch, linear", panel, history, synthetic, loss_view, args.runs)
    panel.set_x_axis("step")
    bench_gradient_flow("Gradient flow, 2 layers, log", panel, history, synthetic, args.runs)
    shown = len(panel.gradient_flow.curves[0].getData()[0])
    panel.controller.shutdown()

    deep, deep_history, deep_synthetic, _ = setup(5, args.steps)
    bench_gradient_flow("Gradient flow, 7 layers, log", deep, deep_history, deep_synthetic,
                        args.runs)  # fmt: skip
    deep.controller.shutdown()
    print(f"(points handed to pyqtgraph per curve: about {shown:,} for {len(history):,} rows)")


if __name__ == "__main__":
    main()
