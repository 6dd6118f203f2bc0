"""Weight initialisers, all drawn from a seeded NumPy Generator.

Each takes ``(rng, fan_in, fan_out, **params)`` and returns a float64 (fan_in, fan_out) array,
so a float32 and a float64 network built with the same seed start from the same numbers.
Biases always start at 0.
"""

from __future__ import annotations

import math

import numpy as np

INITIALIZERS = (
    "xavier_uniform",
    "xavier_normal",
    "he_uniform",
    "he_normal",
    "lecun_normal",
    "uniform",
    "zeros",
    "constant",
)
TITLES = {
    "xavier_uniform": "Xavier (Glorot) uniform",
    "xavier_normal": "Xavier (Glorot) normal",
    "he_uniform": "He (Kaiming) uniform",
    "he_normal": "He (Kaiming) normal",
    "lecun_normal": "LeCun normal",
    "uniform": "Uniform ±a",
    "zeros": "Zeros (shows the symmetry problem)",
    "constant": "Constant",
}
DEFAULT_PARAMS = {"uniform": {"a": 0.5}, "constant": {"value": 0.5}}


def check(name: str, params: dict | None = None) -> dict:
    """Validate an initialiser name and its parameters; return the full parameter dict."""
    if name not in INITIALIZERS:
        raise ValueError(f"unknown initialiser {name!r} (known: {', '.join(INITIALIZERS)})")
    full = dict(DEFAULT_PARAMS.get(name, {}))
    for key, value in (params or {}).items():
        if key not in full:
            raise ValueError(f"initialiser {name!r} takes no parameter {key!r}")
        if (
            not isinstance(value, (int, float))
            or isinstance(value, bool)
            or not math.isfinite(value)
        ):
            raise ValueError(f"initialiser parameter {key!r} must be a finite number")
        full[key] = float(value)
    if name == "uniform" and full["a"] < 0:
        raise ValueError("initialiser 'uniform' needs a >= 0")
    return full


def initial_weights(
    name: str, rng: np.random.Generator, fan_in: int, fan_out: int, params: dict | None = None
) -> np.ndarray:
    """A (fan_in, fan_out) float64 weight matrix.

    xavier_uniform  U(±√(6/(fan_in+fan_out)))     xavier_normal  N(0, 2/(fan_in+fan_out))
    he_uniform      U(±√(6/fan_in))               he_normal      N(0, 2/fan_in)
    lecun_normal    N(0, 1/fan_in)                uniform        U(±a)
    zeros           0                             constant       value
    """
    p = check(name, params)
    shape = (fan_in, fan_out)
    if name == "xavier_uniform":
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-bound, bound, shape)
    if name == "xavier_normal":
        return rng.normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), shape)
    if name == "he_uniform":
        bound = math.sqrt(6.0 / fan_in)
        return rng.uniform(-bound, bound, shape)
    if name == "he_normal":
        return rng.normal(0.0, math.sqrt(2.0 / fan_in), shape)
    if name == "lecun_normal":
        return rng.normal(0.0, math.sqrt(1.0 / fan_in), shape)
    if name == "uniform":
        return rng.uniform(-p["a"], p["a"], shape)
    if name == "zeros":
        return np.zeros(shape)
    return np.full(shape, p["value"])
