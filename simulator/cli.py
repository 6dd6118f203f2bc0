"""The ``backprop-lab`` command.

    backprop-lab                      open the window on the default example
    backprop-lab PROJECT.json         open the window on a project
    backprop-lab examples             list the shipped examples; PROJECT may name one ("xor")
    backprop-lab selftest             open each example in the window, train it, export ONNX
    backprop-lab train PROJECT.json [--epochs N | --steps N] [--seed S] [--save OUT.json]
                                      [--export WEIGHTS] [--history OUT.csv] [--restart] [--quiet]
    backprop-lab export PROJECT.json WEIGHTS
                                      write a saved project's weights without training
    backprop-lab sweep PROJECT.json --vary KEY=V1,V2[,...] [--vary KEY=...] [--seeds N]
                                      [--steps N | --epochs N] [--workers N | --scheduler ADDR]
                                      --out RESULTS.csv
                                      train every variant and seed, one CSV row each

``train`` of a project saved after training goes on from its last step: N more steps (or
epochs), bit for bit as if the run had never stopped (a version 2 file holds the optimizer's
state, the batch order and the random streams; a version 1 file resumes its weights with a
fresh optimizer).  ``--restart`` starts from the seed's initial weights instead.

WEIGHTS' extension picks the format: .npz, .json, .safetensors, .onnx, or .py (a PyTorch
script, with a .npz of the same name beside it).  ``export`` of a project without trained
weights writes the seed's initial weights and says so on stderr.  A project trained on an
imported CSV file exports its column names and, if it standardised them, its means and stds:
the ONNX model and the PyTorch script then take raw values (see project.weights).

``sweep`` trains each (variant, seed) as ``train --restart --seed S`` trains that variant, in
worker processes or on a Dask cluster (simulator.project.sweep).

``train``, ``export`` and ``sweep`` run headless and never import Qt (nor onnx or safetensors
unless the format needs them, nor dask unless ``--scheduler`` is given).  Exit status:
0 success, 1 training diverged (or the window could not start, or a sweep's worker process
died), 2 a bad file or argument (one line on stderr, no traceback), 130 interrupted.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import sys
import time
from pathlib import Path

PROG = "backprop-lab"
USAGE = f"""usage: {PROG}                     open the window on the default example
       {PROG} PROJECT.json        open the window on a project (or an example: {PROG} xor)
       {PROG} examples            list the shipped examples (train xor, sweep xor, ...)
       {PROG} selftest            check this installation: the window, every example, ONNX
       {PROG} train PROJECT.json  train headless (see '{PROG} train --help')
       {PROG} export PROJECT.json WEIGHTS
                                        write its weights (see '{PROG} export --help')
       {PROG} sweep PROJECT.json --vary KEY=V1,V2 --out RESULTS.csv
                                        compare settings (see '{PROG} sweep --help')"""
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
_STARTED = time.perf_counter()  # about when the process started (selftest's start-up time)
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


# Kept in step with simulator.project.sweep.KEYS (a test checks), not imported here so that
# `--help` stays light.
_SWEEP_KEYS = "optimizer, lr, momentum, batch_size, hidden, activation, init, l1, l2, dropout"


def sweep_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=f"{PROG} sweep",
        description=(
            "Train a project under every combination of one or two settings' values, with "
            "N seeds each, and write one CSV row per run: the varied settings, seed, steps, "
            "train_loss, test_loss, accuracy (test accuracy; empty for regression), wall_s "
            "and diverged_at_step.  Each run starts from its seed's initial weights and gives "
            "the numbers of 'train --restart --seed S' of that variant."
        ),
    )
    p.add_argument("project", help="the project file (.json)")
    p.add_argument(
        "--vary",
        action="append",
        required=True,
        metavar="KEY=V1,V2",
        help=(
            f"a setting and its values; give one or two. Keys: {_SWEEP_KEYS} "
            "(batch_size: full, stochastic or a size; hidden: 8, 8x8, 16-16 or none)"
        ),
    )
    p.add_argument(
        "--seeds",
        type=_positive_int,
        default=1,
        metavar="N",
        help="runs per variant: the project's seed and the N-1 after it (default 1)",
    )
    length = p.add_mutually_exclusive_group()
    length.add_argument(
        "--epochs",
        type=_positive_float,
        metavar="N",
        help="train each run N epochs (default: the project's length, else 100 epochs)",
    )
    length.add_argument("--steps", type=_positive_int, metavar="N", help="train each run N steps")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        help="worker processes (default: every core; 1 runs in this process)",
    )
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help=(
            "run on the Dask distributed cluster whose scheduler is at ADDRESS "
            '(tcp://HOST:PORT; needs pip install "backprop-lab[cluster]")'
        ),
    )
    p.add_argument("--out", required=True, metavar="RESULTS.csv", help="the CSV file to write")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``backprop-lab`` and ``python -m simulator``; returns the exit status."""
    # In a frozen build (PyInstaller) a worker process runs this executable: freeze_support
    # makes it do the worker's job and exit instead of starting the app (no-op otherwise).
    multiprocessing.freeze_support()
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        if args and args[0] == "train":
            return _train(args[1:])
        if args and args[0] == "export":
            return _export(args[1:])
        if args and args[0] == "sweep":
            return _sweep(args[1:])
        if args and args[0] == "examples":
            return _examples(args[1:])
        if args and args[0] == "selftest":
            return _selftest(args[1:])
        if args and args[0] in ("-h", "--help"):
            print(USAGE)
            return EXIT_OK
        if len(args) > 1 or (args and args[0].startswith("-")):
            raise UsageError(f"unexpected arguments {' '.join(args)!r} (see '{PROG} --help')")
        # A missing or bad file is reported by the window, which opens on the default example.
        if args:
            from simulator.project import example_name, is_example_name

            if is_example_name(args[0]):
                return _run_gui(None, example=example_name(args[0]))
        return _run_gui(args[0] if args else None)
    except UsageError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away ("backprop-lab examples | head -1"): stop quietly, and keep
        # Python from complaining again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED


def _error(message: str) -> None:
    print(f"{PROG}: error: {' '.join(message.splitlines())}", file=sys.stderr)


def _examples(argv: list[str]) -> int:
    if argv:
        raise UsageError(f"'examples' takes no arguments, got {' '.join(argv)!r}")
    from simulator.project import example_names, load_example

    for name in example_names():
        project = load_example(name)
        about = project.description.split(". ")[0].rstrip(".")
        print(f"{name:<18} {project.name}: {about}")
    return EXIT_OK


def _selftest(argv: list[str]) -> int:
    if argv:
        raise UsageError(f"'selftest' takes no arguments, got {' '.join(argv)!r}")
    _one_blas_thread()
    try:
        from simulator.ui import self_test  # Qt only on this path
    except ImportError as exc:
        _error(f"cannot start the window: {exc}")
        return EXIT_FAILED
    return self_test.run(started=_STARTED)


def _one_blas_thread() -> None:
    # One BLAS thread: on small batches a second thread gains little, and when the window
    # is drawing on the other core a second BLAS thread makes training 3-4x slower
    # (tests/benchmarks/bench_engine.py, "one core busy").  Must precede numpy's import.
    if "numpy" not in sys.modules:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")


def _run_gui(path: str | None, example: str | None = None) -> int:
    _one_blas_thread()
    try:
        from simulator.ui.main_window import run_app  # Qt only on this path
    except ImportError as exc:
        _error(f"cannot start the window: {exc}")
        return EXIT_FAILED
    return run_app(path, example=example)


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
    from simulator.project import ProjectError, export_history_csv, export_weights, find_project
    from simulator.project.headless import planned_steps, prepare_run, train_steps

    opts = train_parser().parse_args(argv)
    _check_weights_output(opts.export, "--export")
    _check_output(opts.save, "--save")
    _check_output(opts.history, "--history")
    try:
        project, trainer = prepare_run(
            find_project(opts.project), seed=opts.seed, restart=opts.restart
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
    from simulator.project import ProjectError, export_weights, find_project

    opts = export_parser().parse_args(argv)
    _check_weights_output(opts.weights, "")
    try:
        project = find_project(opts.project)
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


def _sweep(argv: list[str]) -> int:
    from simulator.project import ProjectError, find_project
    from simulator.project.files import write_text_atomic
    from simulator.project.sweep import (
        Sweep,
        SweepError,
        SweepFailed,
        Variation,
        command_line_start_method,
    )

    opts = sweep_parser().parse_args(argv)
    _check_output(opts.out, "--out")
    try:
        variations = [Variation.parse(text) for text in opts.vary]
        project = find_project(opts.project)
        sweep = Sweep(project, variations, seeds=opts.seeds, steps=opts.steps, epochs=opts.epochs)
    except (ProjectError, ValueError) as exc:  # SweepError is a ValueError
        raise UsageError(str(exc)) from None

    try:
        runs = sweep.run(
            workers=opts.workers,
            scheduler=opts.scheduler,
            mp_context=command_line_start_method(),
        )
    except SweepError as exc:  # a missing extra, an unreachable scheduler
        raise UsageError(str(exc)) from None
    progress = None
    if not opts.quiet:
        progress = SweepProgress(len(sweep), sys.stderr)
        progress.start(f"{_runs_text(sweep)} {_where(opts, len(sweep))}")
    results = []
    start = time.perf_counter()
    try:
        for result in runs:
            results.append(result)
            if progress is not None:
                progress(result, sweep.describe(result.index))
    except KeyboardInterrupt:
        failure = "interrupted", EXIT_INTERRUPTED
    except SweepError as exc:  # a variant that cannot train on a seed's data
        failure = str(exc), EXIT_USAGE
    except SweepFailed as exc:
        failure = str(exc), EXIT_FAILED
    else:
        failure = None
    finally:
        runs.close()  # on Ctrl+C or an error: cancels what is left, leaves no process
    if failure is not None:
        if progress is not None:
            progress.close()
        _error(failure[0])
        return failure[1]
    elapsed = time.perf_counter() - start
    if progress is not None:
        progress.close()
    try:
        write_text_atomic(opts.out, sweep.csv(results))
    except OSError as exc:
        raise UsageError(f"cannot write: {exc}") from None
    _report_sweep(sweep, results, opts.out, elapsed)
    return EXIT_OK


def _report_sweep(sweep, results, out: str, elapsed: float) -> None:
    """Each variant's mean final values over its seeds on stdout; divergences on stderr."""
    per_seed = len(sweep.seeds)
    means = f"; the mean over {per_seed} seeds of each variant:" if per_seed > 1 else ":"
    print(f"{sweep.project.name}: {_runs_text(sweep)}, {elapsed:.2f} s; wrote {out}{means}")
    ordered = sorted(results, key=lambda r: r.index)
    width = max(len(sweep.variant_text(v)) for v in sweep.variants)
    for v, variant in enumerate(sweep.variants):
        runs = ordered[v * per_seed : (v + 1) * per_seed]
        line = f"{sweep.variant_text(variant):<{width}}  train loss {_mean(runs, 'train_loss')}"
        line += f"  test loss {_mean(runs, 'test_loss')}"
        accuracy = [r.accuracy for r in runs if math.isfinite(r.accuracy)]
        if accuracy:
            line += f"  accuracy {_percent(sum(accuracy) / len(accuracy))}"
        print(line)
    diverged = [r for r in ordered if r.diverged]
    if diverged:
        print(
            f"{PROG}: {len(diverged)} of {len(ordered)} runs diverged (see the "
            "diverged_at_step column)",
            file=sys.stderr,
        )


def _mean(runs, name: str) -> str:
    finite = [x for x in (getattr(r, name) for r in runs) if math.isfinite(x)]
    if not finite:
        return "-"
    text = f"{sum(finite) / len(finite):.6g}"
    return text if len(finite) == len(runs) else f"{text} ({len(finite)} of {len(runs)} runs)"


def _runs_text(sweep) -> str:
    def n(count: int, what: str) -> str:
        return f"{count} {what}{'' if count == 1 else 's'}"

    variants, seeds = len(sweep.variants), len(sweep.seeds)
    return f"{n(variants * seeds, 'run')} ({n(variants, 'variant')} × {n(seeds, 'seed')})"


def _where(opts, jobs: int) -> str:
    from simulator.project.sweep import default_workers

    if opts.scheduler is not None:
        return f"on the Dask cluster at {opts.scheduler}"
    workers = min(jobs, opts.workers or default_workers())
    return "in this process" if workers == 1 else f"on {workers} worker processes"


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


class SweepProgress:
    """A sweep's progress on ``stream``: runs done and the time left, on one rewritten line
    on a terminal, a few plain lines otherwise."""

    def __init__(self, total: int, stream):
        self.total = total
        self.done = 0
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.next_mark = 1  # non-tty: print at 25%, 50%, 75%, 100%
        self.width = 0
        self.started = time.monotonic()

    def start(self, what: str) -> None:
        self.stream.write(f"sweep: {what}\n")
        self.stream.flush()
        self.started = time.monotonic()

    def __call__(self, result, description: str) -> None:
        self.done += 1
        if not self.tty and self.done * 4 < self.next_mark * self.total:
            return
        loss = result.test_loss if math.isfinite(result.test_loss) else result.train_loss
        text = f"run {self.done}/{self.total} ({100 * self.done / self.total:3.0f}%)  "
        text += f"{description}: loss {loss:.4g}"
        if result.diverged:
            text += f" (diverged at step {result.diverged_at_step})"
        if self.done < self.total:
            left = (time.monotonic() - self.started) / self.done * (self.total - self.done)
            text += f"  ~{left:.0f} s left"
        if self.tty:
            self.stream.write("\r" + text.ljust(self.width))
            self.width = len(text)
        else:
            while self.done * 4 >= self.next_mark * self.total:
                self.next_mark += 1
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.width:
            self.stream.write("\n")
            self.stream.flush()


if __name__ == "__main__":
    sys.exit(main())
