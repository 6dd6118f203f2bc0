"""What saving and opening a project with a long run costs: time and file size.

A script, not a test (pytest does not collect it).  Two projects:

    history   XOR with a ``--rows``-row history (370,000 by default, near the 32 MB budget of
              a 2-layer network), recorded with ``History.extend`` as tests/engine/test_history
              does (an evaluation every 16 steps, NaN elsewhere)
    784-64-10 the MNIST-shaped network of tests/ui/test_canvas.py, 20 Adam steps: weights,
              optimizer state and last good weights, a 20-row history

and for each prints the best of ``--rounds`` rounds of

    capture   ``Project.capture(trainer)`` and ``to_json()`` (what the window's save and the
              recovery writer do on the GUI thread before writing)
    save      ``Project.save`` of the captured project
    load      ``Project.load`` of the saved file
    reopen    ``build_trainer()`` of the loaded project (its run loaded into a trainer)

and the file's size, with whether the reopened history is bit for bit the saved one.

    python tests/benchmarks/bench_project_files.py              # ~1 minute
    python tests/benchmarks/bench_project_files.py --rows 50000 --rounds 1
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from simulator.engine.trainer import History
from simulator.project import Project, load_example
from tests.engine.test_history import record


def long_run(rows: int):
    """(project, trainer): XOR whose trainer holds a ``rows``-row history at step ``rows``."""
    project = load_example("xor")
    trainer = project.build_trainer()
    trainer.run(steps=3)
    history = History(len(trainer.net.layers))
    record(history, rows, width=len(trainer.net.layers))
    trainer.history = history
    trainer.step_count = rows
    return project, trainer


def mnist_sized():
    """(project, trainer): a 784-64-10 network on 10 inline samples after 20 Adam steps."""
    doc = load_example("digits").to_dict()
    rng = np.random.default_rng(0)
    doc["network"]["sizes"] = [784, 64, 10]
    doc["optimizer"] = {"name": "Adam", "params": {"lr": 0.001}}
    doc["data"] = {
        "dataset": "inline",
        "kind": "multiclass",
        "X": rng.random((10, 784)).round(2).tolist(),
        "y": list(range(10)),
        "features": [],
    }
    project = Project.from_dict(doc)
    trainer = project.build_trainer()
    trainer.run(steps=20)
    return project, trainer


def best(rounds: int, work) -> tuple[float, object]:
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def measure(name: str, project: Project, trainer, rounds: int, folder: Path) -> None:
    path = folder / f"{name}.json"
    t_capture, captured = best(rounds, lambda: project.capture(trainer).to_json())
    saved = project.capture(trainer)
    t_save, _ = best(rounds, lambda: saved.save(path))
    t_load, loaded = best(rounds, lambda: Project.load(path))
    t_reopen, reopened = best(rounds, loaded.build_trainer)
    same = all(
        np.array_equal(
            reopened.history.column(c).view(np.int64), trainer.history.column(c).view(np.int64)
        )
        for c in (*History.SCALARS, "grad_norms")
    )
    size = path.stat().st_size
    print(
        f"{name:<10} rows {len(trainer.history):>8,}  capture {t_capture:6.2f} s  "
        f"save {t_save:6.2f} s  load {t_load:6.2f} s  reopen {t_reopen:6.2f} s  "
        f"file {size / 2**20:6.1f} MB  history bit-identical: {same}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=370_000, help="history rows (370,000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per figure (3)")
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        measure("history", *long_run(opts.rows), opts.rounds, Path(folder))
        measure("784-64-10", *mnist_sized(), opts.rounds, Path(folder))


if __name__ == "__main__":
    main()
