"""How long the network canvas takes to draw, for three network sizes.

A script, not a test (pytest does not collect it).  For each network it prints the median of
N runs of

    rebuild   NetworkCanvas.rebuild() (the whole scene made afresh from the document, as after a
              structural edit) followed by a forced paint of the visible canvas
              (``canvas.viewport().grab()``, 1200×800)
    values    restyling every connection and neuron from the weights in place (what a weight
              edit, and later each training frame, costs: ``set_display_values(None)``) + paint
    edit      a whole structural edit through the document (add a neuron, then undo it), with the
              canvas following its signals: the canvas plus the document's own bookkeeping
    frame     one training frame while playing: a controller's snapshot (after 5 steps, marked
              playing) handed to the attached canvas, which restyles its items and the neuron
              maps in place (no paint: the event loop paints later); target < 15 ms
    frame + paint  the same frame, then the visible canvas painted

Networks: the default example (XOR 2-8-1), the digits example (64-32-10), a 784-64-10
network (MNIST's shape; inline random data), the deepest example (vanishing gradients, sigmoid:
2-8×6-1) and the most the editor draws one by one: ten hidden layers of 16 (2,352 connections).
Targets: a full redraw of 784-64-10 under 50 ms; the deepest fully drawn network (ten hidden
layers of 16) rebuilt and painted in <= 50 ms and a playing frame painted in <= 16 ms
(issue 14).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_canvas.py [--runs N]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from PySide6.QtWidgets import QApplication  # noqa: E402

from simulator.app.document import Document  # noqa: E402
from simulator.app.training import TrainingController  # noqa: E402
from simulator.project import load_example  # noqa: E402
from simulator.ui.canvas import NetworkCanvas  # noqa: E402
from tests.ui.test_canvas import mnist_sized_project  # noqa: E402

TARGET_MS = 50.0
DEEP_REBUILD_MS = 50.0  # issue 14
DEEP_FRAME_MS = 16.0


def median_ms(fn, runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def bench(name: str, doc: Document, runs: int) -> dict:
    canvas = NetworkCanvas(doc)
    canvas.resize(1200, 800)
    canvas.show()
    QApplication.processEvents()
    hidden = 1
    controller = TrainingController(doc)
    canvas.attach(controller)
    for _ in range(5):
        controller.step()
    playing = dataclasses.replace(controller.snapshot(), playing=True)

    def rebuild():
        canvas.rebuild()
        canvas.viewport().grab()

    def values():
        canvas.set_display_values(None)
        canvas.viewport().grab()

    def frame():
        controller.snapshot_ready.emit(playing)

    def frame_paint():
        controller.snapshot_ready.emit(playing)
        canvas.viewport().grab()

    def edit():
        doc.add_neuron(hidden)
        canvas.viewport().grab()
        doc.undo_stack.undo()
        canvas.viewport().grab()

    row = {
        "network": name,
        "sizes": "-".join(map(str, doc.network.sizes)),
        "items": len(canvas.scene().items()),
        "neurons drawn": len(canvas.neuron_items()),
        "connections drawn": len(canvas.connection_items()),
        "rebuild + paint": median_ms(rebuild, runs),
        "values + paint": median_ms(values, runs),
        "edit + undo": median_ms(edit, max(3, runs // 4)) / 2,
        "frame": median_ms(frame, runs),
        "frame + paint": median_ms(frame_paint, runs),
    }
    controller.shutdown()
    canvas.close()
    canvas.deleteLater()
    QApplication.processEvents()
    return row


def deep_document() -> Document:
    """2-16×10-1: ten hidden layers of 16, each drawn neuron by neuron."""
    doc = Document()
    doc.remove_layer(1)
    for _ in range(10):
        doc.add_layer(1, 16)
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    rows = [
        bench("XOR (default)", Document(), args.runs),
        bench("digits", Document(load_example("digits")), args.runs),
        bench("MNIST-sized", Document(mnist_sized_project()), args.runs),
        bench("vanishing sigmoid", Document(load_example("vanishing-sigmoid")), args.runs),
        bench("deepest full", deep_document(), max(5, args.runs // 3)),
    ]
    print(f"Qt platform: {app.platformName()}, canvas 1200×800, median of {args.runs} runs\n")
    print(
        "| network | sizes | scene items | neurons drawn | connections drawn "
        "| rebuild + paint | values + paint | one edit (canvas + document) | playing frame "
        "| playing frame + paint |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['network']} | {r['sizes']} | {r['items']} | {r['neurons drawn']} "
            f"| {r['connections drawn']} | {r['rebuild + paint']:.1f} ms "
            f"| {r['values + paint']:.1f} ms | {r['edit + undo']:.1f} ms | {r['frame']:.1f} ms "
            f"| {r['frame + paint']:.1f} ms |"
        )
    big = rows[2]["rebuild + paint"]
    verdict = "meets" if big < TARGET_MS else "MISSES"
    print(f"\n784-64-10 full redraw: {big:.1f} ms ({verdict} the {TARGET_MS:.0f} ms target)")
    deep = rows[-1]
    for what, got, target in (
        ("rebuild + paint", deep["rebuild + paint"], DEEP_REBUILD_MS),
        ("playing frame + paint", deep["frame + paint"], DEEP_FRAME_MS),
    ):
        verdict = "meets" if got <= target else "MISSES"
        print(f"deepest full network, {what}: {got:.1f} ms ({verdict} the {target:.0f} ms target)")


if __name__ == "__main__":
    main()
