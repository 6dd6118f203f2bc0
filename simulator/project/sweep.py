"""Sweeps: one project trained under variants of one or two settings, N seeds each.

    project = Project.load("xor.json")
    sweep = Sweep(project, [Variation.parse("lr=0.01,0.1"), Variation.parse("optimizer=SGD,Adam")],
                  seeds=3, steps=2000)
    results = []
    for result in sweep.run(workers=2, should_stop=cancel_event):  # as the runs finish
        results.append(result)                                      # a SweepResult
    write_text_atomic("results.csv", sweep.csv(results))

Each (variant, seed) is a *job*: plain data (a dict of the variant's project file as JSON text,
the seed and the length; :meth:`Sweep.jobs`), which crosses to a worker process or a Dask
cluster as it would to a file.  :func:`run_job` trains one as ``backprop-lab train --restart
--seed S`` trains that variant's file, through the same calls (:mod:`simulator.project.headless`)
and so to the same numbers, bit for bit, on one worker, many or a cluster.  Every run starts
from its seed's initial weights: the variants of one seed share their data, and their initial
weights wherever the shapes agree (the layers are drawn in order from the seed's stream, so
``hidden=8`` and ``hidden=8x8`` share their first layer).

:func:`run_jobs` runs jobs in this process (one worker), in a pool of worker processes
(``workers``, default every core) or on a Dask distributed cluster (``scheduler``, with the
``cluster`` extra), and yields each result as it finishes.  ``should_stop`` (a callable or an
Event) cancels: pending jobs are dropped, running ones stop within a few steps, the pool is shut
down and its processes joined before the iteration ends; closing the iterator (or an exception
such as KeyboardInterrupt in it) does the same.  No Qt here, so the window's Compare and the
``sweep`` command share it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import multiprocessing
import os
import queue
import re
import signal
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import product

import numpy as np

from simulator.engine import activations as _activations
from simulator.engine import initializers as _initializers
from simulator.engine import optimizers as _optimizers
from simulator.project.files import ProjectError, parse_json
from simulator.project.headless import planned_steps, prepare_run, train_steps
from simulator.project.project import MAX_SEED, MAX_STEPS, NetworkSpec, Project

MAX_KEYS = 2  # settings varied at once
# Seconds between two looks at should_stop() (and at finished jobs) while waiting.
POLL_SECONDS = 0.1
# A worker process looks at the cancel event every this many steps (an Event read costs
# microseconds, a step of a small network tens of them).
LOCAL_CHECK_STEPS = 16
# A cluster's task asks the scheduler at most this often whether the sweep was cancelled.
CLUSTER_CHECK_SECONDS = 0.5
# The training history columns a result keeps (float64, one row per history row).
HISTORY_COLUMNS = ("step", "epoch", "batch_loss", "train_loss", "test_loss")
CSV_COLUMNS = (
    "seed",
    "steps",
    "train_loss",
    "test_loss",
    "accuracy",
    "wall_s",
    "diverged_at_step",
)
CLUSTER_EXTRA = 'pip install "backprop-lab[cluster]"'


class SweepError(ValueError):
    """A sweep that cannot run as asked (a bad key or value, an unreachable scheduler, a
    missing extra); the message is one line naming what is wrong."""


class SweepFailed(RuntimeError):
    """A sweep that broke while running (a worker process died)."""


# --------------------------------------------------------------------------- the keys


def _number(text: str, *, low: float = 0.0, strict: bool = False, below: float | None = None):
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    if value < low or (strict and value == low):
        raise ValueError(f"{text!r} must be {'above' if strict else 'at least'} {low:g}")
    if below is not None and value >= below:
        raise ValueError(f"{text!r} must be below {below:g}")
    return value


def _named(text: str, names: Iterable[str], what: str) -> str:
    names = list(names)
    for name in names:
        if name.lower() == text.lower():
            return name
    raise ValueError(f"{text!r} is not a known {what} (known: {', '.join(names)})")


def _batch_size(text: str) -> int | None:
    if text.lower() == "full":
        return None
    if text.lower() == "stochastic":
        return 1
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not full, stochastic or a whole number") from None
    if value < 1:
        raise ValueError(f"{text!r} must be at least 1")
    return value


def _hidden(text: str) -> tuple[int, ...]:
    if text.lower() in ("none", "0"):
        return ()
    widths = []
    for part in re.split(r"[x×*-]", text.lower()):
        try:
            width = int(part)
        except ValueError:
            raise ValueError(
                f"{text!r} is not a list of layer widths (such as 8, 8x8 or 16-16, or none)"
            ) from None
        if width < 1:
            raise ValueError(f"{text!r}: a layer needs at least 1 neuron")
        widths.append(width)
    return tuple(widths)


def _hidden_text(widths: tuple[int, ...]) -> str:
    return "x".join(map(str, widths)) if widths else "none"


def _batch_text(size: int | None) -> str:
    return "full" if size is None else str(size)


def _float_text(value: float) -> str:
    return repr(float(value))


def _with_optimizer(project: Project, name: str) -> Project:
    # As the window switches optimizer: the learning rate stays, the rest starts at defaults.
    if name == project.optimizer.name:
        return project
    lr = project.optimizer.params.get("lr", project.build_optimizer().lr)
    spec = dataclasses.replace(project.optimizer, name=name, params={"lr": lr})
    return dataclasses.replace(project, optimizer=spec)


def _with_param(key: str):
    def apply(project: Project, value: float) -> Project:
        params = {**project.optimizer.params, key: value}
        return dataclasses.replace(
            project, optimizer=dataclasses.replace(project.optimizer, params=params)
        )

    return apply


def _with_training(key: str):
    def apply(project: Project, value) -> Project:
        training = dataclasses.replace(project.training, **{key: value})
        return dataclasses.replace(project, training=training)

    return apply


def _with_network(project: Project, **changes) -> Project:
    return dataclasses.replace(project, network=dataclasses.replace(project.network, **changes))


def _need_hidden(project: Project, what: str) -> int:
    hidden = len(project.network.sizes) - 2
    if hidden < 1:
        raise ValueError(f"the network has no hidden layer to give {what}")
    return hidden


def _with_activation(project: Project, name: str) -> Project:
    hidden = _need_hidden(project, "an activation")
    activations = [name] * hidden + [project.network.activations[-1]]
    return _with_network(project, activations=activations)


def _with_dropout(project: Project, rate: float) -> Project:
    if rate:
        _need_hidden(project, "dropout")
    hidden = len(project.network.sizes) - 2
    return _with_network(project, dropout=[rate] * hidden + [0.0])


def _with_hidden(project: Project, widths: tuple[int, ...]) -> Project:
    spec = project.network
    sizes = [spec.sizes[0], *widths, spec.sizes[-1]]
    if sizes == spec.sizes:
        return project
    # New hidden layers take the settings of the first hidden layer (a network without one:
    # tanh, with a bias, no dropout); the output layer keeps its own.  Removed connections
    # belong to the old shape and go.
    had_hidden = len(spec.sizes) > 2
    activation = spec.activations[0] if had_hidden else "tanh"
    bias = spec.use_bias[0] if had_hidden else True
    dropout = spec.dropout[0] if had_hidden else 0.0
    n = len(widths)
    network = NetworkSpec(
        sizes=sizes,
        activations=[activation] * n + [spec.activations[-1]],
        use_bias=[bias] * n + [spec.use_bias[-1]],
        dropout=[dropout] * n + [0.0],
        removed=[],
        init=spec.init,
        init_params=dict(spec.init_params),
        dtype=spec.dtype,
    )
    return dataclasses.replace(project, network=network)


def _with_init(project: Project, name: str) -> Project:
    if name == project.network.init:
        return project
    return _with_network(project, init=name, init_params=_initializers.check(name, {}))


@dataclass(frozen=True)
class Key:
    """A setting a sweep can vary: ``parse`` turns a value's text into the value (ValueError
    naming the problem), ``apply`` gives the project with that value, ``text`` writes it."""

    name: str
    values: str  # what values it takes, for help texts
    parse: Callable[[str], object]
    apply: Callable[[Project, object], Project]
    text: Callable[[object], str] = str


# In the order they apply: the optimizer before its parameters, the shape before what applies
# to its hidden layers.
KEYS: dict[str, Key] = {
    key.name: key
    for key in (
        Key(
            "optimizer",
            f"an optimizer ({', '.join(_optimizers.OPTIMIZERS)}); the learning rate stays",
            lambda t: _named(t, _optimizers.OPTIMIZERS, "optimizer"),
            _with_optimizer,
        ),
        Key(
            "lr",
            "the learning rate, > 0",
            lambda t: _number(t, strict=True),
            _with_param("lr"),
            _float_text,
        ),
        Key(
            "momentum",
            "the optimizer's momentum (SGD, RMSprop), >= 0",
            _number,
            _with_param("momentum"),
            _float_text,
        ),
        Key(
            "batch_size",
            "full, stochastic (1) or a mini-batch size",
            _batch_size,
            _with_training("batch_size"),
            _batch_text,
        ),
        Key(
            "hidden",
            "the hidden layers' widths: 8, 8x8, 16-16, or none",
            _hidden,
            _with_hidden,
            _hidden_text,
        ),
        Key(
            "activation",
            "every hidden layer's activation",
            lambda t: _named(t, _activations.ACTIVATIONS, "activation"),
            _with_activation,
        ),
        Key(
            "init",
            "the initialiser (its default parameters)",
            lambda t: _named(t, _initializers.INITIALIZERS, "initialiser"),
            _with_init,
        ),
        Key("l1", "the L1 penalty rate, >= 0", _number, _with_training("l1"), _float_text),
        Key("l2", "the L2 penalty rate, >= 0", _number, _with_training("l2"), _float_text),
        Key(
            "dropout",
            "every hidden layer's dropout rate, 0 <= p < 1",
            lambda t: _number(t, below=1.0),
            _with_dropout,
            _float_text,
        ),
    )
}


@dataclass(frozen=True)
class Variation:
    """One varied setting: a name of :data:`KEYS` and its values (parsed, in order)."""

    key: str
    values: tuple

    @classmethod
    def of(cls, key: str, values: Iterable) -> Variation:
        """``values`` as text or as values (0.1, "Adam", (8, 8), None for full batch); raises
        SweepError naming a bad key or value."""
        return cls.parse_values(key, [v if isinstance(v, str) else _text(key, v) for v in values])

    @classmethod
    def parse(cls, text: str) -> Variation:
        """``KEY=V1,V2,...`` as ``--vary`` takes it; raises SweepError naming what is wrong."""
        key, sep, values = text.partition("=")
        if not sep:
            raise SweepError(f"--vary {text}: expected KEY=V1,V2,... (keys: {', '.join(KEYS)})")
        return cls.parse_values(key.strip(), [v.strip() for v in values.split(",")])

    @classmethod
    def parse_values(cls, key: str, texts: list[str]) -> Variation:
        spec = KEYS.get(key)
        if spec is None:
            raise SweepError(f"--vary: unknown key {key!r} (keys: {', '.join(KEYS)})")
        values, seen = [], {}
        for text in texts:
            if not text:
                raise SweepError(f"--vary {key}: an empty value (give V1,V2,...)")
            try:
                value = spec.parse(text)
            except ValueError as exc:
                raise SweepError(f"--vary {key}={text}: {exc}") from None
            shown = spec.text(value)
            if shown in seen:
                raise SweepError(f"--vary {key}: {seen[shown]!r} and {text!r} are the same value")
            seen[shown] = text
            values.append(value)
        return cls(key, tuple(values))

    def text(self, value) -> str:
        return KEYS[self.key].text(value)


def _text(key: str, value) -> str:
    spec = KEYS.get(key)
    if spec is None:
        raise SweepError(f"--vary: unknown key {key!r} (keys: {', '.join(KEYS)})")
    if key == "hidden" and isinstance(value, int):
        value = (value,)
    return spec.text(value)


def variant_project(project: Project, variant: dict) -> Project:
    """``project`` without its run (the seed's initial weights) and with ``variant``'s
    settings ({key: value}), checked as a loaded file would be.  Raises SweepError naming the
    key and value that do not fit."""
    out = project.without_weights()
    described = ", ".join(f"{k}={KEYS[k].text(v)}" for k, v in variant.items())
    for name, key in KEYS.items():
        if name in variant:
            try:
                out = key.apply(out, variant[name])
            except ValueError as exc:
                raise SweepError(f"--vary {name}={key.text(variant[name])}: {exc}") from None
    try:
        return out.replace()
    except (ProjectError, ValueError) as exc:
        raise SweepError(f"the variant {described} does not fit the project: {exc}") from None


# --------------------------------------------------------------------------- one job


def run_job(job: dict, should_stop: Callable[[], bool] | None = None) -> dict:
    """Train one job (see :meth:`Sweep.jobs`); plain data in and out.

    The run is ``backprop-lab train --restart --seed S`` of the job's project: the same calls,
    so the same numbers.  The result: ``index``, ``seed``, ``steps`` (done), ``planned``,
    ``train_loss``, ``test_loss``, ``train_accuracy``, ``test_accuracy`` (NaN without a test
    set or for regression), ``wall_s`` (parsing, building, training and evaluating),
    ``diverged`` (None or the message), ``diverged_at_step``, ``stopped`` (``should_stop``
    ended it early), ``history`` ({column: float64 array} of :data:`HISTORY_COLUMNS`), and
    ``project`` (the trained project's JSON text when the job asks to ``capture`` it, else
    None).  A project that cannot train gives ``error`` (its message) instead.
    """
    start = time.perf_counter()
    try:
        project = Project.from_dict(parse_json(job["project"].encode("utf-8"), "sweep job"))
        project, trainer = prepare_run(project, seed=job["seed"], restart=True)
    except (ProjectError, ValueError) as exc:
        return {"index": job["index"], "seed": job["seed"], "error": str(exc)}
    steps = planned_steps(project, trainer, job["steps"], job["epochs"])
    done = train_steps(trainer, steps, should_stop=should_stop)
    values = trainer.evaluate()
    history = trainer.history
    return {
        "index": job["index"],
        "seed": job["seed"],
        "steps": trainer.step_count,
        "planned": steps,
        **{key: float(value) for key, value in values.items()},
        "wall_s": time.perf_counter() - start,
        "diverged": trainer.diverged,
        "diverged_at_step": trainer.diverged_at_step,
        "stopped": done < steps and not trainer.diverged,
        "history": {name: history.column(name).copy() for name in HISTORY_COLUMNS},
        "project": project.capture(trainer).to_json() if job.get("capture") else None,
    }


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class SweepResult:
    """One (variant, seed) run.

    ``history`` holds float64 arrays of equal length, one row per training step (a run
    longer than ~380,000 steps keeps its older steps as the History's envelope; ``step``
    says which): ``step``, ``epoch``, ``batch_loss`` (the loss of that step's mini-batch,
    before its update) and ``train_loss`` / ``test_loss`` (the full sets' loss after the
    step, at evaluation steps only, once per epoch unless the project says otherwise; NaN
    elsewhere).  ``accuracy`` is the test accuracy (the training accuracy for a project
    without a test set; NaN for regression).  ``project`` is the trained project's JSON
    text when the sweep was run with ``capture=True`` (open it with ``Project.from_dict``).
    """

    index: int
    variant: dict
    seed: int
    steps: int
    train_loss: float
    test_loss: float
    train_accuracy: float
    test_accuracy: float
    wall_s: float
    diverged: str | None
    diverged_at_step: int | None
    history: dict
    project: str | None = None

    @property
    def accuracy(self) -> float:
        return self.train_accuracy if math.isnan(self.test_loss) else self.test_accuracy

    def __repr__(self) -> str:
        variant = ", ".join(f"{k}={KEYS[k].text(v)}" for k, v in self.variant.items())
        return (
            f"SweepResult({variant}, seed {self.seed}, {self.steps} steps, "
            f"train loss {self.train_loss:.4g}, test loss {self.test_loss:.4g})"
        )


# --------------------------------------------------------------------------- the sweep


class Sweep:
    """A project under every combination of one or two :class:`Variation`, ``seeds`` seeds
    each (the project's seed and the ones after it), trained ``steps`` steps or ``epochs``
    epochs (default: the project's length, as ``train``).

    Every variant is built and checked here (SweepError names the first that does not fit);
    ``jobs`` lists one job per (variant, seed), variant by variant.  ``capture``: each result
    also carries its trained project (its weights, history and trainer state) as JSON text.
    """

    def __init__(
        self,
        project: Project,
        variations: list[Variation],
        seeds: int = 1,
        steps: int | None = None,
        epochs: float | None = None,
        capture: bool = False,
    ):
        variations = list(variations)
        if not 1 <= len(variations) <= MAX_KEYS:
            raise SweepError(f"vary one or two settings, not {len(variations)}")
        keys = [v.key for v in variations]
        if len(set(keys)) != len(keys):
            raise SweepError(f"--vary {keys[0]} is given twice: list its values once")
        if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
            raise SweepError(f"--seeds must be at least 1, got {seeds!r}")
        if project.seed + seeds - 1 > MAX_SEED:
            raise SweepError(f"--seeds {seeds}: the seeds after {project.seed} pass 2**63 - 1")
        if steps is not None and epochs is not None:
            raise SweepError("give steps or epochs, not both")
        if steps is not None and not 1 <= steps <= MAX_STEPS:
            raise SweepError(f"--steps must be from 1 to {MAX_STEPS}, got {steps}")
        if epochs is not None and not (math.isfinite(epochs) and epochs > 0):
            raise SweepError(f"--epochs must be a positive number, got {epochs}")
        self.project = project
        self.variations = variations
        self.keys = keys
        self.seeds = [project.seed + k for k in range(seeds)]
        self.steps, self.epochs, self.capture = steps, epochs, capture
        self.variants = [
            dict(zip(keys, combo)) for combo in product(*(v.values for v in variations))
        ]
        self.projects = [variant_project(project, variant) for variant in self.variants]

    def __len__(self) -> int:
        return len(self.variants) * len(self.seeds)

    def __repr__(self) -> str:
        shape = " × ".join(str(len(v.values)) for v in self.variations)
        return f"Sweep({self.project.name!r}, {', '.join(self.keys)}: {shape}, seeds {self.seeds})"

    def variant_text(self, variant: dict) -> str:
        """Such as ``lr=0.1, optimizer=Adam`` for one of :attr:`variants`."""
        return ", ".join(f"{key}={KEYS[key].text(variant[key])}" for key in self.keys)

    def describe(self, index: int) -> str:
        """Such as ``lr=0.1, optimizer=Adam, seed 3`` for job ``index``."""
        return f"{self.variant_text(self.variant_of(index))}, seed {self.seed_of(index)}"

    def variant_of(self, index: int) -> dict:
        return self.variants[index // len(self.seeds)]

    def seed_of(self, index: int) -> int:
        return self.seeds[index % len(self.seeds)]

    def jobs(self) -> list[dict]:
        """One plain-data job per (variant, seed), variant by variant, seeds in order::

        {"index": 0, "variant": {"lr": "0.1"}, "seed": 0, "steps": 2000, "epochs": None,
         "project": "<the variant's project file, JSON text>", "capture": False}
        """
        out = []
        for v, (variant, project) in enumerate(zip(self.variants, self.projects)):
            text = project.to_json()
            shown = {key: KEYS[key].text(value) for key, value in variant.items()}
            for s, seed in enumerate(self.seeds):
                out.append(
                    {
                        "index": v * len(self.seeds) + s,
                        "variant": shown,
                        "seed": seed,
                        "steps": self.steps,
                        "epochs": self.epochs,
                        "project": text,
                        "capture": self.capture,
                    }
                )
        return out

    def run(
        self,
        workers: int | None = None,
        scheduler: str | None = None,
        should_stop=None,
        **options,
    ) -> Iterator[SweepResult]:
        """Run every job (see :func:`run_jobs`: a missing extra or an unreachable scheduler
        raises SweepError here) and iterate over each :class:`SweepResult` as it finishes.
        SweepError when a variant cannot train on a seed's data (naming it)."""
        raw = run_jobs(
            self.jobs(), workers=workers, scheduler=scheduler, should_stop=should_stop, **options
        )
        return self._results(raw)

    def _results(self, raw: Iterator[dict]) -> Iterator[SweepResult]:
        try:
            for result in raw:
                yield self._result(result)
        finally:
            raw.close()

    def _result(self, raw: dict) -> SweepResult:
        index = raw["index"]
        if "error" in raw:
            raise SweepError(f"the run {self.describe(index)} cannot train: {raw['error']}")
        return SweepResult(
            index=index,
            variant=dict(self.variant_of(index)),
            seed=raw["seed"],
            steps=raw["steps"],
            train_loss=raw["train_loss"],
            test_loss=raw["test_loss"],
            train_accuracy=raw["train_accuracy"],
            test_accuracy=raw["test_accuracy"],
            wall_s=raw["wall_s"],
            diverged=raw["diverged"],
            diverged_at_step=raw["diverged_at_step"],
            history=raw["history"],
            project=raw["project"],
        )

    def csv_rows(self, results: Iterable[SweepResult]) -> list[list[str]]:
        """The header and one row per result, in job order; numbers as ``repr`` (they read
        back to the same float64), an empty cell for NaN, an infinity or nothing."""
        rows = [[*self.keys, *CSV_COLUMNS]]
        for r in sorted(results, key=lambda r: r.index):
            values = [KEYS[key].text(r.variant[key]) for key in self.keys]
            numbers = (r.train_loss, r.test_loss, r.accuracy)
            rows.append(
                [
                    *values,
                    str(r.seed),
                    str(r.steps),
                    *(repr(x) if math.isfinite(x) else "" for x in numbers),
                    f"{r.wall_s:.3f}",
                    "" if r.diverged_at_step is None else str(r.diverged_at_step),
                ]
            )
        return rows

    def csv(self, results: Iterable[SweepResult]) -> str:
        """The CSV text of ``results`` (see :meth:`csv_rows`)."""
        import csv
        import io

        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(self.csv_rows(results))
        return out.getvalue()


# --------------------------------------------------------------------------- executors


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def command_line_start_method() -> str:
    """How ``backprop-lab sweep`` starts its worker processes: "fork" on Linux, where a worker
    starts in milliseconds with the modules already imported ("spawn" imports them again in
    each: ~0.3 s of CPU on an idle machine, over a second on a busy one, which a 2-core sweep
    of small runs cannot win back), else "spawn" (macOS's system libraries are not safe to
    fork).  Fork only from a process that runs nothing else, as the command line does; the
    window, with Qt's threads, keeps the default "spawn"."""
    return "fork" if sys.platform.startswith("linux") else "spawn"


def _stop_check(should_stop) -> Callable[[], bool]:
    if should_stop is None:
        return lambda: False
    if hasattr(should_stop, "is_set"):
        return should_stop.is_set
    return should_stop


def run_jobs(
    jobs: list[dict],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    should_stop=None,
    in_process: bool | None = None,
    mp_context: str = "spawn",
) -> Iterator[dict]:
    """Run ``jobs`` (plain data, see :meth:`Sweep.jobs`) and yield each result dict of
    :func:`run_job` as it finishes.

    ``scheduler`` ("tcp://HOST:PORT"): on that Dask distributed cluster (SweepError if the
    ``cluster`` extra is missing or the scheduler cannot be reached).  Otherwise ``workers``
    processes (default: every core; never more than the jobs), started with ``mp_context``
    ("spawn": safe from a process with threads, such as the window's); one worker runs the
    jobs in this process unless ``in_process`` is False.  ``should_stop`` (a callable or an
    Event) is looked at while waiting and, in the workers, every few steps: when it turns
    true, the iterator cancels what is left and ends, leaving no process behind.  Iterate
    over what this returns, or close() it: the pool starts with the first iteration, the
    cluster's client is closed at the end of the iteration or by close().
    """
    stop = _stop_check(should_stop)
    if scheduler is not None:
        # Connected now, so that a missing extra or a wrong address is reported at once.
        return _cluster_results(jobs, _connect(scheduler), stop)
    if workers is not None and (isinstance(workers, bool) or int(workers) < 1):
        raise SweepError(f"--workers must be at least 1, got {workers}")
    workers = max(1, min(len(jobs), default_workers() if workers is None else int(workers)))
    if in_process is None:
        in_process = workers == 1
    if in_process:
        return _in_process_results(jobs, stop)
    return _pool_results(jobs, workers, stop, mp_context)


def _in_process_results(jobs: list[dict], stop: Callable[[], bool]) -> Iterator[dict]:
    for job in jobs:
        if stop():
            return
        result = run_job(job, should_stop=stop)
        if stop():  # it may have stopped halfway
            return
        yield result


# --------------------------------------------------------------------------- local processes

_cancelled = None  # in a worker process: the pool's cancel Event


def _start_worker(cancel) -> None:
    """Runs first in each worker process: Ctrl+C is the parent's to handle."""
    global _cancelled
    _cancelled = cancel
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _every(n: int, check: Callable[[], bool]) -> Callable[[], bool]:
    count = 0

    def should_stop() -> bool:
        nonlocal count
        count += 1
        return count % n == 0 and check()

    return should_stop


def _run_pool_job(job: dict) -> dict:
    cancelled = _cancelled
    if cancelled is not None and cancelled.is_set():
        return {"index": job["index"], "seed": job["seed"], "stopped": True}
    check = None if cancelled is None else _every(LOCAL_CHECK_STEPS, cancelled.is_set)
    return run_job(job, should_stop=check)


@contextlib.contextmanager
def _children_ignore_sigint():
    """Processes started in this block ignore Ctrl+C from their first instruction (a spawned
    Python keeps an ignored SIGINT): the parent cancels them in order instead."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers (and only it receives Ctrl+C)
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _pool_results(
    jobs: list[dict], workers: int, stop: Callable[[], bool], mp_context: str
) -> Iterator[dict]:
    ctx = multiprocessing.get_context(mp_context)
    cancel = ctx.Event()
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_start_worker, initargs=(cancel,)
    )
    pending: set = set()
    try:
        if not jobs or stop():
            return
        with _children_ignore_sigint():  # the pool starts its processes as jobs arrive
            pending = {pool.submit(_run_pool_job, job) for job in jobs}
        yield from _as_finished(pending, stop)
    except BrokenProcessPool as exc:
        raise SweepFailed(f"a worker process died: {exc}") from None
    finally:
        # Pending jobs are dropped, running ones see the event within a few steps; shutdown
        # then joins every worker process.
        cancel.set()
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def _as_finished(pending: set, stop: Callable[[], bool]) -> Iterator[dict]:
    """Changes ``pending`` (futures of either library): yields each one's result as it
    finishes and removes it, looking at ``stop()`` every POLL_SECONDS; returns when it is
    empty or ``stop()`` turns true."""
    finished: queue.SimpleQueue = queue.SimpleQueue()
    for future in pending:
        future.add_done_callback(finished.put)
    while pending:
        if stop():
            return
        try:
            future = finished.get(timeout=POLL_SECONDS)
        except queue.Empty:
            continue
        pending.discard(future)
        yield future.result()


# --------------------------------------------------------------------------- Dask cluster


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise SweepError(f"--scheduler needs Dask's distributed package: {CLUSTER_EXTRA}") from None
    return distributed


def _check_address(address: str) -> None:
    # Checked before Dask sees it: a Client that fails on a malformed address hangs for a
    # minute in its __del__ (distributed 2026.11).
    full = address if "://" in address else f"tcp://{address}"
    try:
        parts = urllib.parse.urlsplit(full)
        host, port, path = parts.hostname, parts.port, parts.path
    except ValueError:  # "tcp://[::1" and such: urlsplit or .port refuses them
        host = port = path = None
    if not host or port is None or path not in ("", "/"):
        raise SweepError(f"--scheduler {address}: expected an address such as tcp://HOST:PORT")


def _connect(address: str):
    """A Dask Client of the scheduler at ``address``; SweepError if the ``cluster`` extra is
    missing or the scheduler does not answer (within Dask's connect timeout,
    ``distributed.comm.timeouts.connect``, 30 s unless configured)."""
    _check_address(address)
    distributed = _import_distributed()
    try:
        return distributed.Client(address, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise SweepError(f"cannot reach the Dask scheduler at {address}: {reason}") from None


def _run_cluster_job(job: dict, cancel_name: str) -> dict:
    """A cluster task: ``job``, stopping early if the sweep's Event ``cancel_name`` is set."""
    from distributed import Event

    event = Event(cancel_name)
    next_look = time.monotonic() + CLUSTER_CHECK_SECONDS

    def cancelled() -> bool:
        nonlocal next_look
        now = time.monotonic()
        if now < next_look:
            return False
        next_look = now + CLUSTER_CHECK_SECONDS
        return event.is_set()

    return run_job(job, should_stop=_every(LOCAL_CHECK_STEPS, cancelled))


def _cluster_results(jobs: list[dict], client, stop: Callable[[], bool]) -> Iterator[dict]:
    from distributed import Event

    token = uuid.uuid4().hex
    cancel = Event(f"backprop-lab-sweep-{token}", client=client)
    pending: set = set()
    try:
        if not jobs or stop():
            return
        pending = {
            client.submit(
                _run_cluster_job, job, cancel.name, key=f"backprop-lab-{token}-{job['index']}"
            )
            for job in jobs
        }
        yield from _as_finished(pending, stop)
    finally:
        if pending:
            cancel.set()
            client.cancel(list(pending))
        client.close()


def mean_curve(results: Iterable[SweepResult], column: str = "batch_loss") -> tuple:
    """(steps, mean, low, high) of one history column over ``results`` (the seeds of one
    variant), on the steps they all have; float64 arrays."""
    results = list(results)
    if not results:
        empty = np.zeros(0)
        return empty, empty, empty, empty
    n = min(len(r.history["step"]) for r in results)
    stack = np.stack([r.history[column][:n] for r in results])
    return results[0].history["step"][:n].copy(), stack.mean(0), stack.min(0), stack.max(0)
