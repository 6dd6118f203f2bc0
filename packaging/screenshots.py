"""Screenshots of the real app for the README and the user guide (docs/images/*.png).

Run from the checkout:  python packaging/screenshots.py [--out docs/images] [--only NAME ...]

It builds the real windows offscreen (QT_QPA_PLATFORM=offscreen, no display needed), drives
them through their public methods, actions and mouse clicks as a user would, lets the event
loop draw, and saves ``widget.grab()`` of each window.  Training uses the examples' fixed
seeds and stops at fixed steps, so a run gives the same pictures (up to the last pixel of a
curve drawn while playing).  The settings and recovery files go to a temporary folder: the
user's own are never read or touched.  ImageMagick's ``convert``, where installed, reduces each
PNG to 256 colours (they stay well under 300 KB).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # as the app runs (simulator/cli.py)

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the checkout's simulator package, installed or not

from PySide6.QtCore import QPoint, QSettings, Qt, qInstallMessageHandler  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget  # noqa: E402

from simulator.app.play_loop import StopCondition  # noqa: E402
from simulator.resources_path import resource  # noqa: E402
from simulator.ui import appearance, main_window  # noqa: E402
from simulator.ui.app_icon import app_icon  # noqa: E402
from simulator.ui.canvas_items import ConnectionItem  # noqa: E402

MAIN_SIZE = (1440, 900)
LAB_STEPS = 300
QUIET = (
    "propagateSizeHints",
    "does not support raise()",
)  # the offscreen platform says so at every window: not news
PATIENCE_MS = 120_000


def _on_qt_message(mode, context, message: str) -> None:
    if not any(text in message for text in QUIET):
        print(message, file=sys.stderr)


def settle(ms: int = 300) -> None:
    """Let the event loop run for ``ms``: deferred layouts, throttled redraws, paints."""
    QTest.qWait(ms)


def wait_until(condition, what: str, timeout_ms: int = PATIENCE_MS) -> None:
    deadline = time.monotonic() + timeout_ms / 1000
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshots: gave up waiting for {what}")
        QTest.qWait(20)


def save(widget: QWidget, path: Path) -> None:
    settle()
    if not widget.grab().save(str(path)):
        raise SystemExit(f"screenshots: could not write {path}")
    shrink(path)
    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
          f"{path.stat().st_size // 1024} KB")  # fmt: skip


def shrink(path: Path) -> None:
    """256 colours (no dithering, so flat areas stay flat) when ImageMagick is installed."""
    convert = shutil.which("convert")
    if convert is None:
        return
    tmp = path.with_suffix(".tmp.png")
    done = subprocess.run(
        [convert, str(path), "-dither", "None", "-colors", "256", "-strip", f"PNG8:{tmp}"],
        capture_output=True,
    )
    if done.returncode == 0 and tmp.stat().st_size < path.stat().st_size:
        tmp.replace(path)
    else:
        tmp.unlink(missing_ok=True)


def click(view, item) -> None:
    """A left click on the canvas item ``item``, where it is under the mouse."""
    if isinstance(item, ConnectionItem):
        p1, p2 = item.mapToScene(item.line().p1()), item.mapToScene(item.line().p2())
        candidates = [p1 + (p2 - p1) * t for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.25, 0.75)]
    else:
        candidates = [item.sceneBoundingRect().center()]
    for point in candidates:
        pos: QPoint = view.mapFromScene(point)
        if view.viewport().rect().contains(pos) and view.item_at(pos) is item:
            QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
            return
    raise SystemExit(f"screenshots: {item!r} cannot be clicked")


class Shots:
    """One main window, reused: each shot opens an example and drives it."""

    def __init__(self, out: Path, settings_folder: Path):
        self.out = out
        self.window = main_window.MainWindow(recovery_folder=settings_folder / "recovery")
        self.window.resize(*MAIN_SIZE)
        self.window.show()
        QTest.qWaitForWindowExposed(self.window)
        settle(500)

    def open(self, name: str) -> None:
        w = self.window
        if not w.open_example(resource("examples", name + ".json")):
            raise SystemExit(f"screenshots: could not open the example {name}")
        w.settings_dock.raise_()
        settle(300)

    def train_to(self, step: int) -> None:
        """Play at full speed until Stop at ``step`` pauses it, as the toolbar's Stop at does."""
        c, toolbar = self.window.controller, self.window.training_toolbar
        c.set_stop_condition(StopCondition("steps", step))
        toolbar.max_speed_action.trigger()  # the Max button
        c.play()
        wait_until(lambda: not c.playing and c.step_count >= step, f"step {step}")
        toolbar.max_speed_action.trigger()  # back to the watchable speed
        settle(300)

    def main_training(self) -> None:
        """The main window mid-training: spiral, its boundary, neuron maps, plots."""
        w = self.window
        self.open("spiral")
        self.train_to(1500)
        # Playing on at 20 steps/s (the toolbar's speed): it shows Pause, the canvas the run.
        w.controller.set_stop_condition(StopCondition("steps", 3000))
        w.controller.play()
        w.statusBar().clearMessage()  # "Stopped at step 1,500" is no longer true
        settle(400)
        save(w, self.out / "main-window.png")
        w.controller.pause()

    def backward(self) -> None:
        """The backward phase: gradients dL/dw on the canvas, after Forward (F) and Backward (B)."""
        w = self.window
        self.open("circle")
        self.train_to(200)
        tb = w.training_toolbar
        tb.forward_action.trigger()
        settle(200)
        tb.backward_action.trigger()
        settle(600)
        save(w, self.out / "backward-phase.png")

    def inspector(self) -> None:
        """The inspector on a connection after a few steps: its chain-rule factors."""
        w = self.window
        self.open("xor")
        self.train_to(120)
        w.training_toolbar.step_action.trigger()
        canvas = w.canvas
        click(canvas, canvas.connection_item(1, 2, 0))
        w.inspector.raise_()
        settle(600)
        save(w, self.out / "inspector.png")

    def lesson(self) -> None:
        w = self.window
        w.lessons.actions["backprop"].trigger()  # Help ▸ Lessons ▸ Backprop by Hand
        settle(300)
        w.lessons.show_page(5)
        settle(600)
        save(w, self.out / "lesson.png")

    def optimizer_lab(self) -> None:
        w = self.window
        lab = w.open_optimizer_lab()  # View ▸ Optimizer Lab
        lab.resize(*MAIN_SIZE)
        lab.controller.add_racer("Nesterov")
        lab.controller.add_racer("RMSprop", {"lr": 0.01})
        settle(300)
        for _ in range(LAB_STEPS):
            lab.step_action.trigger()
        settle(600)
        save(lab, self.out / "optimizer-lab.png")
        lab.close()

    def compare(self) -> None:
        w = self.window
        self.open("xor")
        cmp = w.open_compare()  # Train ▸ Compare…
        cmp.resize(1100, 720)
        settle(300)
        cmp.run_button.click()  # Run
        wait_until(lambda: not cmp.job.running, "the comparison")
        settle(600)
        save(cmp, self.out / "compare.png")
        cmp.close()

    def dark(self) -> None:
        appearance.apply("dark")
        self.open("digits")
        self.train_to(300)
        save(self.window, self.out / "dark-mode.png")
        appearance.apply("light")


SHOTS = ("main_training", "backward", "inspector", "lesson", "optimizer_lab", "compare", "dark")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--only", nargs="+", choices=SHOTS, default=SHOTS)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    qInstallMessageHandler(_on_qt_message)
    # Opening the next example or closing the window drops the trained run without asking.
    main_window.ask_save_changes = lambda parent, name: QMessageBox.StandardButton.Discard
    with tempfile.TemporaryDirectory(prefix="backprop-lab-shots-") as folder:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, folder)
        app = QApplication.instance() or QApplication(sys.argv[:1])
        app.setApplicationName("Backprop Lab")
        app.setOrganizationName("Backprop Lab")
        app.setWindowIcon(app_icon())
        settings = QSettings()
        settings.setValue("startPage/seen", True)
        appearance.apply("light")
        shots = Shots(args.out, Path(folder))
        for name in args.only:
            getattr(shots, name)()
        shots.window.controller.shutdown()
        shots.window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
