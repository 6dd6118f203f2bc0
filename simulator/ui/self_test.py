"""``backprop-lab selftest``: does this installation work?  It opens the real window, opens
every shipped example in it and trains a few steps, writes an ONNX model of the trained network
(and a .npz it reads back), finds the user guide and its pictures, and prints one line per
check ("ok ..." or "FAILED ..."), then how long the window took to appear.  Exit status 0 when
every check passed.

A packaged build (packaging/build.sh) runs it on the binary it made; anyone can run it after an
install.  With QT_QPA_PLATFORM=offscreen it needs no display.
"""

from __future__ import annotations

import math
import re
import sys
import tempfile
import time
import traceback
from pathlib import Path

STEPS = 5  # training steps per example


def run(started: float | None = None, out=None) -> int:
    """Run every check, printing to ``out`` (stdout); ``started`` is when the process began
    (a ``time.perf_counter()`` reading), for the start-up time.  Returns the exit status."""
    out = out or sys.stdout
    started = time.perf_counter() if started is None else started
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from simulator.project import example_names, export_weights, load_weights
    from simulator.resources_path import resource
    from simulator.ui.main_window import MainWindow

    window = MainWindow()
    window.show()
    app.processEvents()
    shown = time.perf_counter() - started
    failures = 0

    def check(what: str, test) -> None:
        nonlocal failures
        try:
            detail = test()
        except Exception as exc:  # noqa: BLE001 - every failure is reported, none stops the rest
            failures += 1
            print(f"FAILED {what}: {type(exc).__name__}: {exc}", file=out, flush=True)
            traceback.print_exc(file=sys.stderr)
            return
        print(f"ok     {what}{': ' + detail if detail else ''}", file=out, flush=True)

    def train_example(name: str) -> str:
        window.document.undo_stack.setClean()  # the last example's training: nothing to save
        if not window.open_example(resource("examples", f"{name}.json")):
            raise RuntimeError("the window did not open it")
        for _ in range(STEPS):
            window.controller.step()
            app.processEvents()
        loss = window.controller.history.column("batch_loss")[-1]
        if not math.isfinite(loss):
            raise RuntimeError(f"the loss is {loss} after {STEPS} steps")
        return f"{STEPS} steps, batch loss {loss:.4g}"

    for name in example_names():
        check(f"open and train {name}", lambda name=name: train_example(name))

    def onnx_round_trip() -> str:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "selftest.onnx"
            export_weights(window.document.network, path)
            size = path.stat().st_size
            npz = Path(folder) / "selftest.npz"
            export_weights(window.document.network, npz)
            load_weights(npz)
        return f"{size:,} bytes"

    check("export ONNX", onnx_round_trip)

    def user_guide() -> str:
        from simulator.ui.user_guide import guide_path

        path = guide_path()
        pictures = re.findall(r"\]\((images/[^)\s]+)", path.read_text(encoding="utf-8"))
        missing = [name for name in pictures if not (path.parent / name).is_file()]
        if missing:
            raise FileNotFoundError(f"{path.parent}: no {', '.join(missing)}")
        return f"{path.name} with {len(pictures)} pictures"

    check("find the user guide", user_guide)
    window.document.undo_stack.setClean()  # nothing to save: no question on closing
    window.controller.shutdown()
    window.close()
    print(f"window shown {shown:.2f} s after start", file=out)
    if failures:
        print(f"{failures} check(s) failed", file=out)
    return 1 if failures else 0
