"""The ``backprop-lab`` command.

    backprop-lab                      open the window on the default example
    backprop-lab PROJECT.json         open the window on a project
    backprop-lab train PROJECT.json [--epochs N | --steps N] [--seed S] [--save OUT.json]
                                      [--export WEIGHTS] [--history OUT.csv] [--restart] [--quiet]
    backprop-lab export PROJECT.json WEIGHTS
                                      write a saved project's weights without training

``train`` of a project saved after training goes on from its last step: N more steps (or
epochs), bit for bit as if the run had never stopped (a version 2 file holds the optimizer's
state, the batch order and the random streams; a version 1 file resumes its weights with a
fresh optimizer).  ``--restart`` starts from the seed's initial weights instead.

WEIGHTS' extension picks the format: .npz, .json, .safetensors, .onnx, or .py (a PyTorch
script, with a .npz of the same name beside it).  ``export`` of a project without trained
weights writes the seed's initial weights and says so on stderr.  A project trained on an
imported CSV file exports its column names and, if it standardised them, its means and stds:
the ONNX model and the PyTorch script then take raw values (see project.weights).

``train`` and ``export`` run headless and never import Qt (nor onnx or safetensors unless the
format needs them).  Exit status: 0 success, 1 training diverged (or the window could not
start), 2 a bad file or argument (one line on stderr, no traceback), 130 interrupted.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

PROG = "backprop-lab"
USAGE = f"""usage: {PROG}                     open the window on the default example
       {PROG} PROJECT.json        open the window on a project
       {PROG} train PROJECT.json  train headless (see '{PROG} train --help')
       {PROG} export PROJECT.json WEIGHTS
                                        write its weights (see '{PROG} export --help')"""
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
# Kept in step with simulator.project.WEIGHT_EXTENSIONS (a test checks), which is not imported
# here so that `--help` stays light.
_FORMATS = ".npz, .json, .safetensors, .onnx, .py (PyTorch script + .npz)"


class UsageError(Exception):
    """A bad argument or file: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse prints usage and exits; we want one line
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2**63 - 1, got {value}")
    return value


def train_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=f"{PROG} train",
        description=(
            "Train a project headless and print the final losses and accuracies.  A project "
            "saved after training goes on from where it stopped, exactly as if it had never "
            "stopped: --steps and --epochs count the steps or epochs to train from there."
        ),
    )
    p.add_argument("project", help="the project file (.json)")
    length = p.add_mutually_exclusive_group()
    length.add_argument(
        "--epochs",
        type=_positive_float,
        metavar="N",
        help=(
            "train N more epochs, i.e. N × batches-per-epoch steps from the project's step "
            "(default: the project's length, else 100 epochs)"
        ),
    )
    length.add_argument(
        "--steps",
        type=_positive_int,
        metavar="N",
        help="train N more steps from the project's step",
    )
    p.add_argument(
        "--seed",
        type=_seed,
        metavar="S",
        help=(
            "override the project's seed (initial weights, data and batch order); a saved run "
            "keeps its weights but restarts its optimizer state and batch order (add "
            "--restart for a new run)"
        ),
    )
    p.add_argument(
        "--save",
        metavar="OUT.json",
        help=(
            "write the trained project to OUT.json: weights, history and trainer state, so "
            "that training it again goes on exactly"
        ),
    )
    p.add_argument(
        "--export",
        metavar="WEIGHTS",
        help=f"write the trained weights; the extension picks the format: {_FORMATS}",
    )
    p.add_argument(
        "--history",
        metavar="OUT.csv",
        help="write the training history (one row per step) as CSV",
    )
    p.add_argument(
        "--restart",
        "--fresh",
        dest="restart",
        action="store_true",
        help=(
            "start over from the seed's initial weights at step 0, ignoring the weights, "
            "trainer state and history stored in the project (--fresh: the same)"
        ),
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    return p


def export_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=f"{PROG} export",
        description=(
            "Write a saved project's weights without training.  A project without trained "
            "weights gives the seed's initial weights (with a warning on stderr)."
        ),
    )
    p.add_argument("project", help="the project file (.json)")
    p.add_argument(
        "weights", metavar="WEIGHTS", help=f"the file to write; its extension picks: {_FORMATS}"
    )
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``backprop-lab`` and ``python -m simulator``; returns the exit status."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        if args and args[0] == "train":
            return _train(args[1:])
        if args and args[0] == "export":
            return _export(args[1:])
        if args and args[0] in ("-h", "--help"):
            print(USAGE)
            return EXIT_OK
        if len(args) > 1 or (args and args[0].startswith("-")):
            raise UsageError(f"unexpected arguments {' '.join(args)!r} (see '{PROG} --help')")
        # A missing or bad file is reported by the window, which opens on the default example.
        return _run_gui(args[0] if args else None)
    except UsageError as exc:
        _error(str(exc))
        return EXIT_USAGE


def _error(message: str) -> None:
    print(f"{PROG}: error: {' '.join(message.splitlines())}", file=sys.stderr)


def _run_gui(path: str | None) -> int:
    # One BLAS thread: on small batches a second thread gains little, and when the window
    # is drawing on the other core a second BLAS thread makes training 3-4x slower
    # (tests/benchmarks/bench_engine.py, "one core busy").  Must precede numpy's import.
    if "numpy" not in sys.modules:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")
    try:
        from simulator.ui.main_window import run_app  # Qt only on this path
    except ImportError as exc:
        _error(f"cannot start the window: {exc}")
        return EXIT_FAILED
    return run_app(path)


def _check_output(path: str | None, what: str) -> None:
    if path is None:
        return
    label = f"{what} {path}" if what else path
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise UsageError(f"{label}: the folder {folder} does not exist")
    if Path(path).is_dir():
        raise UsageError(f"{label}: is a folder")


def _check_weights_output(path: str | None, what: str) -> None:
    from simulator.project import WEIGHT_EXTENSIONS

    if path is not None and Path(path).suffix.lower() not in WEIGHT_EXTENSIONS:
        label = f"{what} {path}" if what else path
        raise UsageError(
            f"{label}: unsupported extension; use one of {', '.join(WEIGHT_EXTENSIONS)}"
        )
    _check_output(path, what)


def _train(argv: list[str]) -> int:
    # Imported here so that `backprop-lab --help` and the GUI path stay light.
    from simulator.project import Project, ProjectError, export_history_csv, export_weights
    from simulator.project.headless import planned_steps, prepare_run, train_steps

    opts = train_parser().parse_args(argv)
    _check_weights_output(opts.export, "--export")
    _check_output(opts.save, "--save")
    _check_output(opts.history, "--history")
    try:
        project, trainer = prepare_run(
            Project.load(opts.project), seed=opts.seed, restart=opts.restart
        )
    except (ProjectError, ValueError) as exc:
        raise UsageError(str(exc)) from None

    steps = planned_steps(project, trainer, opts.steps, opts.epochs)
    progress = None if opts.quiet else Progress(steps, trainer, sys.stderr)
    first_step = trainer.step_count
    start = time.perf_counter()
    try:
        train_steps(trainer, steps, callback=progress)
    except KeyboardInterrupt:
        if progress is not None:
            progress.close()
        _error("interrupted")
        return EXIT_INTERRUPTED
    elapsed = time.perf_counter() - start
    if progress is not None:
        progress.close()
    if trainer.diverged:
        print(f"{PROG}: training diverged: {trainer.diverged}", file=sys.stderr)
        return EXIT_FAILED

    _report(project, trainer, first_step, elapsed)
    try:
        if opts.save is not None:
            project.capture(trainer).save(opts.save)
        if opts.export is not None:
            export_weights(trainer.net, opts.export, preprocessing=project.export_preprocessing())
        if opts.history is not None:
            export_history_csv(trainer.history, opts.history)
    except (OSError, ProjectError) as exc:
        raise UsageError(f"cannot write: {exc}") from None
    return EXIT_OK


def _export(argv: list[str]) -> int:
    from simulator.project import Project, ProjectError, export_weights

    opts = export_parser().parse_args(argv)
    _check_weights_output(opts.weights, "")
    try:
        project = Project.load(opts.project)
        net = project.build_network()
    except (ProjectError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    if project.weights is None:
        print(
            f"{PROG}: warning: {opts.project} holds no trained weights; "
            "writing the seed's initial weights",
            file=sys.stderr,
        )
    try:
        export_weights(net, opts.weights, preprocessing=project.export_preprocessing())
    except (OSError, ProjectError) as exc:
        raise UsageError(f"cannot write: {exc}") from None
    written = opts.weights
    if Path(opts.weights).suffix.lower() == ".py":
        written += f" and {Path(opts.weights).with_suffix('.npz')}"
    state = f"trained {project.step_count} steps" if project.weights is not None else "untrained"
    print(f"{project.name} ({'-'.join(map(str, net.sizes))}, {state}): wrote {written}")
    return EXIT_OK


def _percent(x: float) -> str:
    return f"{100 * x:.2f}%"


def _report(project, trainer, first_step: int, elapsed: float) -> None:
    """The final losses and accuracies, on stdout."""
    values = trainer.evaluate()
    steps = f"{trainer.step_count} steps"
    if first_step:  # a saved run went on
        done = trainer.step_count - first_step
        steps = f"{done} steps from step {first_step} to {trainer.step_count}"
    print(f"{project.name}: {steps}, epoch {trainer.epoch:.2f}, {elapsed:.2f} s")
    for part in ("train", "test"):
        loss = values[f"{part}_loss"]
        if math.isnan(loss):
            print(f"{part:<5}  no {part} set")
            continue
        acc = values[f"{part}_accuracy"]
        line = f"{part:<5}  loss {loss:.6g}"
        if not math.isnan(acc):
            line += f"  accuracy {_percent(acc)}"
        print(line)


class Progress:
    """Progress on ``stream``: one rewritten line on a terminal, a few plain lines otherwise."""

    def __init__(self, total: int, trainer, stream, interval: float = 0.1):
        self.total = total
        self.done = 0
        self.first = trainer.step_count
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.interval = interval
        self.next_time = 0.0
        self.next_mark = 1  # non-tty: print at 25%, 50%, 75%, 100%
        self.width = 0

    def __call__(self, trainer) -> None:
        self.done = trainer.step_count - self.first
        if self.tty:
            now = time.monotonic()
            if now >= self.next_time or self.done >= self.total:
                self.next_time = now + self.interval
                text = self._text(trainer)
                self.stream.write("\r" + text.ljust(self.width))
                self.width = len(text)
                self.stream.flush()
        elif self.done * 4 >= self.next_mark * self.total:
            while self.done * 4 >= self.next_mark * self.total:
                self.next_mark += 1
            self.stream.write(self._text(trainer) + "\n")
            self.stream.flush()

    def _text(self, trainer) -> str:
        pct = 100 * self.done / self.total if self.total else 100.0
        loss = trainer.history.last("batch_loss")
        return (
            f"step {self.done}/{self.total} ({pct:3.0f}%)  epoch {trainer.epoch:.2f}  "
            f"batch loss {loss:.4g}"
        )

    def close(self) -> None:
        if self.tty and self.width:
            self.stream.write("\n")
            self.stream.flush()


if __name__ == "__main__":
    sys.exit(main())
