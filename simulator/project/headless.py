"""A headless training run as ``backprop-lab train`` makes it, step by step.

``train`` and the sweep runner (:mod:`simulator.project.sweep`) both go through these three
functions, so that a sweep's row and ``train`` of the same project and seed are the same
numbers, bit for bit::

    project, trainer = prepare_run(Project.load(path), seed=3, restart=True)
    steps = planned_steps(project, trainer, epochs=10)
    train_steps(trainer, steps)             # trainer.diverged holds the message if it diverged
    trainer.evaluate()                      # {"train_loss": ..., "test_accuracy": ...}
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from simulator.engine.trainer import Trainer
from simulator.project.project import Project

# How long ``train`` runs a project that says neither steps nor epochs.
DEFAULT_EPOCHS = 100.0


def prepare_run(
    project: Project, *, seed: int | None = None, restart: bool = False
) -> tuple[Project, Trainer]:
    """The project as it will train (``restart``: from the seed's initial weights; ``seed``:
    another seed for the initial weights, data and batch order) and a Trainer on it.

    Raises ProjectError or ValueError for a project that cannot train.
    """
    if restart:
        project = project.without_weights()
    if seed is not None:
        project = project.with_seed(seed)
    return project, project.build_trainer()


def planned_steps(
    project: Project, trainer: Trainer, steps: int | None = None, epochs: float | None = None
) -> int:
    """How many more steps to train: ``steps``, else ``epochs`` × the trainer's batches per
    epoch (rounded up), else the project's own length (its steps, else its epochs, else
    :data:`DEFAULT_EPOCHS`)."""
    if steps is not None:
        return int(steps)
    if epochs is None and project.training.steps is not None:
        return project.training.steps
    epochs = epochs or project.training.epochs or DEFAULT_EPOCHS
    return math.ceil(epochs * trainer.batches.batches_per_epoch)


def train_steps(
    trainer: Trainer,
    steps: int,
    callback: Callable[[Trainer], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> int:
    """Changes ``trainer``: trains ``steps`` steps (fewer if it diverges or ``should_stop()``
    turns true; both are checked after each step).  Returns the steps done."""
    # Divergence is detected and reported by the trainer; NumPy's overflow warnings on the
    # way there would only bury that message.
    with np.errstate(all="ignore"):
        return trainer.run(steps=steps, callback=callback, should_stop=should_stop)
