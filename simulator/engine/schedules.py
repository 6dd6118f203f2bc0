"""Learning-rate schedules: PyTorch's closed forms as functions of the epoch count.

A schedule maps the base learning rate lr₀ and t, the number of completed epochs (an integer
>= 0), to the learning rate to use next::

    constant                      lr₀
    step(step_size, gamma=0.1)    lr₀ · γ^⌊t / step_size⌋                        (StepLR)
    exponential(gamma)            lr₀ · γᵗ                                       (ExponentialLR)
    cosine(T_max, eta_min=0)      η_min + (lr₀ − η_min) · (1 + cos(π t / T_max)) / 2
                                  (CosineAnnealingLR's ``_get_closed_form_lr``: past T_max
                                  it keeps going periodically, rising back to lr₀ at 2·T_max)

"constant" is the absence of a schedule (not PyTorch's ConstantLR, which scales by a factor
for a few epochs).  Schedules are immutable and pure; the trainer sets ``opt.lr`` from
``lr_at``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import MISSING, dataclass, fields
from typing import ClassVar


def _positive_int(label: str, value) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 10.0 from a JSON file means 10
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{label} must be a positive integer, got {value!r}")
    return int(value)


def _finite(label: str, value, *, minimum: float, strict: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{label} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < minimum or (strict and value == minimum):
        bound = f"> {minimum:g}" if strict else f">= {minimum:g}"
        raise ValueError(f"{label} must be a finite number {bound}, got {value!r}")
    return value


def _epoch(t) -> int:
    if isinstance(t, bool) or not isinstance(t, numbers.Integral) or t < 0:
        raise ValueError(f"t (completed epochs) must be an integer >= 0, got {t!r}")
    return int(t)


def _power(gamma: float, exponent: int) -> float:
    try:
        return gamma**exponent
    except OverflowError:  # a growth factor gamma > 1 over very many epochs
        return math.inf


class Schedule:
    """Base of the schedules: ``name``, ``formula``, ``params()`` and ``lr_at(base_lr, t)``."""

    name: ClassVar[str] = ""
    formula: ClassVar[str] = ""

    def params(self) -> dict:
        """The schedule's parameters by name (what ``make(name, **params)`` takes)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def lr_at(self, base_lr: float, t: int) -> float:
        """The learning rate after ``t`` completed epochs, starting from ``base_lr``."""
        raise NotImplementedError


@dataclass(frozen=True)
class ConstantSchedule(Schedule):
    """lr = lr₀ at every epoch."""

    name: ClassVar[str] = "constant"
    formula: ClassVar[str] = "lr = lr₀"

    def lr_at(self, base_lr: float, t: int) -> float:
        """lr₀, whatever t (which must still be an integer >= 0)."""
        _epoch(t)
        return float(base_lr)


@dataclass(frozen=True)
class StepSchedule(Schedule):
    """lr = lr₀ · γ^⌊t / step_size⌋: multiply by ``gamma`` every ``step_size`` epochs."""

    name: ClassVar[str] = "step"
    formula: ClassVar[str] = "lr = lr₀ · γ^⌊t / step_size⌋"
    step_size: int
    gamma: float = 0.1

    def __post_init__(self):
        object.__setattr__(self, "step_size", _positive_int("step_size", self.step_size))
        object.__setattr__(self, "gamma", _finite("gamma", self.gamma, minimum=0.0, strict=True))

    def lr_at(self, base_lr: float, t: int) -> float:
        """lr₀ · γ^⌊t / step_size⌋ (StepLR's closed form)."""
        return float(base_lr) * _power(self.gamma, _epoch(t) // self.step_size)


@dataclass(frozen=True)
class ExponentialSchedule(Schedule):
    """lr = lr₀ · γᵗ: multiply by ``gamma`` every epoch."""

    name: ClassVar[str] = "exponential"
    formula: ClassVar[str] = "lr = lr₀ · γᵗ"
    gamma: float

    def __post_init__(self):
        object.__setattr__(self, "gamma", _finite("gamma", self.gamma, minimum=0.0, strict=True))

    def lr_at(self, base_lr: float, t: int) -> float:
        """lr₀ · γᵗ (ExponentialLR's closed form)."""
        return float(base_lr) * _power(self.gamma, _epoch(t))


@dataclass(frozen=True)
class CosineSchedule(Schedule):
    """lr = η_min + (lr₀ − η_min)(1 + cos(π t / T_max)) / 2: half a cosine down to ``eta_min``.

    Past ``T_max`` the closed form continues periodically (back up to lr₀ at 2·T_max), as
    PyTorch's ``CosineAnnealingLR._get_closed_form_lr`` does.
    """

    name: ClassVar[str] = "cosine"
    formula: ClassVar[str] = "lr = η_min + (lr₀ − η_min) · (1 + cos(π t / T_max)) / 2"
    T_max: int
    eta_min: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "T_max", _positive_int("T_max", self.T_max))
        object.__setattr__(
            self, "eta_min", _finite("eta_min", self.eta_min, minimum=0.0, strict=False)
        )

    def lr_at(self, base_lr: float, t: int) -> float:
        """η_min + (lr₀ − η_min)(1 + cos(π t / T_max)) / 2 (CosineAnnealingLR's closed form)."""
        eta_min = self.eta_min
        cosine = math.cos(math.pi * _epoch(t) / self.T_max)
        return eta_min + (float(base_lr) - eta_min) * (1.0 + cosine) / 2.0


SCHEDULES: dict[str, type[Schedule]] = {
    cls.name: cls for cls in (ConstantSchedule, StepSchedule, ExponentialSchedule, CosineSchedule)
}


def make(name: str, **params) -> Schedule:
    """The schedule called ``name`` built from ``params``.

    Raises ValueError for an unknown name, unknown or missing parameters, or bad values.
    """
    cls = SCHEDULES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(f"unknown schedule {name!r} (known: {', '.join(SCHEDULES)})")
    accepted = [f.name for f in fields(cls)]
    unknown = [key for key in params if key not in accepted]
    if unknown:
        takes = f"it takes: {', '.join(accepted)}" if accepted else "it takes no parameters"
        raise ValueError(
            f"schedule {name!r} has no parameter {', '.join(map(repr, unknown))} ({takes})"
        )
    missing = [f.name for f in fields(cls) if f.name not in params and f.default is MISSING]
    if missing:
        raise ValueError(f"schedule {name!r} needs {', '.join(map(repr, missing))}")
    return cls(**params)
