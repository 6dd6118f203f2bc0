"""Checks for values read from JSON; every error names the field path (``network.sizes[1]``)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from simulator.project.files import ProjectError, field_path, utf8_problem

MAX_LAYERS = 64  # neuron layers, inputs and outputs included
MAX_LAYER_SIZE = 10_000
MAX_PARAMETERS = 20_000_000
SHOWN_DIGITS = 24  # a whole number with more digits is described, not printed, in messages
SHOWN_TEXT = 60  # characters of a string value quoted in a message

join = field_path  # the path of a key inside a path: join("network", "sizes") -> network.sizes


def fail(path: str, problem: str) -> ProjectError:
    return ProjectError(f"{path}: {problem}" if path else problem)


def describe(value: object) -> str:
    """How JSON would call ``value``'s type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _is_number(value: object) -> bool:
    # bool is an int subclass in Python but true/false in JSON: never a number here.
    return type(value) is int or type(value) is float


def _nonfinite(value: float) -> str:
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def number_text(value: int | float) -> str:
    """``value`` for a message: 1,000 or 0.5, but "a 401-digit number" for a huge whole number."""
    if type(value) is int:
        digits = len(str(abs(value)))
        if digits > SHOWN_DIGITS:
            return f"a{'' if value >= 0 else ' negative'} {digits}-digit number"
        return f"{value:,}"
    return f"{value:g}"


def value_text(value: object) -> str:
    """Any JSON value for a message, short: 'sgd', 3, null, "an array" (not its contents)."""
    if isinstance(value, str):
        return repr(value) if len(value) <= SHOWN_TEXT else f"{value[:SHOWN_TEXT]!r}..."
    if value is None or isinstance(value, bool):
        return describe(value)
    if _is_number(value):
        return number_text(value)
    return describe(value)


class Fields:
    """One JSON object being read: typed getters that know the field path.

    Unknown keys are an error (a misspelt field would otherwise be silently ignored).
    """

    def __init__(self, obj: object, path: str, known: Iterable[str]):
        if not isinstance(obj, dict):
            raise fail(path or "the file", f"must be an object, not {describe(obj)}")
        self.obj = obj
        self.path = path
        known = tuple(known)
        for key in obj:
            if key not in known:
                where = f"in {path}" if path else "at the top level"
                # A key of line breaks or a page of text is quoted, short: one line.
                at = join(path, key)
                if not key.isprintable() or len(key) > SHOWN_TEXT:
                    at = f"{path}[{value_text(key)}]"
                raise fail(at, f"unknown field {where} (known: {', '.join(known)})")

    def has(self, key: str) -> bool:
        return key in self.obj

    def raw(self, key: str, default: object = ..., *, required: bool = False) -> object:
        if key in self.obj:
            return self.obj[key]
        if required or default is ...:
            raise fail(join(self.path, key), "required field is missing")
        return default

    def where(self, key: str) -> str:
        return join(self.path, key)

    def string(
        self, key: str, default: object = ..., *, choices=None, what="value", max_len=10_000
    ) -> str:
        return string(
            self.raw(key, default), self.where(key), choices=choices, what=what, max_len=max_len
        )

    def integer(self, key: str, default: object = ..., *, low=None, high=None, null=False):
        return integer(self.raw(key, default), self.where(key), low=low, high=high, null=null)

    def number(self, key: str, default: object = ..., **bounds):
        return number(self.raw(key, default), self.where(key), **bounds)

    def boolean(self, key: str, default: object = ...) -> bool:
        return boolean(self.raw(key, default), self.where(key))

    def array(self, key: str, default: object = ..., *, length=None, max_len=None) -> list:
        return array(self.raw(key, default), self.where(key), length=length, max_len=max_len)

    def object(self, key: str, default: object = ...) -> dict:
        value = self.raw(key, default)
        if not isinstance(value, dict):
            raise fail(self.where(key), f"must be an object, not {describe(value)}")
        return value


def string(value: object, path: str, *, choices=None, what="value", max_len=10_000) -> str:
    """A string; with ``choices``, one of them ("unknown <what> 'x' (known: ...)" otherwise)."""
    if not isinstance(value, str):
        raise fail(path, f"must be a string, not {describe(value)}")
    if len(value) > max_len:
        raise fail(path, f"is too long ({len(value):,} characters; at most {max_len:,})")
    problem = utf8_problem(value)
    if problem:
        raise fail(path, problem)
    if choices is not None and value not in choices:
        raise fail(path, f"unknown {what} {value!r} (known: {', '.join(choices)})")
    return value


def integer(value: object, path: str, *, low=None, high=None, null=False) -> int | None:
    if value is None and null:
        return None
    if type(value) is float and value.is_integer():
        value = int(value)  # 10.0 is a whole number in JSON terms
    if type(value) is not int:
        want = "a whole number" + (" or null" if null else "")
        if type(value) is float:
            got = _nonfinite(value) if not math.isfinite(value) else repr(value)
        else:
            got = describe(value)
        raise fail(path, f"must be {want}, not {got}")
    _bounds(value, path, low, high)
    return value


def number(
    value: object, path: str, *, low=None, high=None, above=None, below=None, null=False
) -> float | None:
    if value is None and null:
        return None
    if not _is_number(value):
        want = "a number" + (" or null" if null else "")
        raise fail(path, f"must be {want}, not {describe(value)}")
    try:
        value = float(value)
    except OverflowError:  # a whole number beyond float64's range (about 1.8e308)
        raise fail(path, f"must be a finite number, not {number_text(value)}") from None
    if not math.isfinite(value):
        raise fail(path, f"must be a finite number, not {_nonfinite(value)}")
    _bounds(value, path, low, high)
    if above is not None and not value > above:
        raise fail(path, f"must be greater than {above:g}, got {value:g}")
    if below is not None and not value < below:
        raise fail(path, f"must be less than {below:g}, got {value:g}")
    return value


def _bounds(value, path, low, high) -> None:
    if low is not None and value < low:
        raise fail(path, f"must be at least {number_text(low)}, got {number_text(value)}")
    if high is not None and value > high:
        raise fail(path, f"must be at most {number_text(high)}, got {number_text(value)}")


def boolean(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise fail(path, f"must be true or false, not {describe(value)}")
    return value


def array(value: object, path: str, *, length=None, max_len=None) -> list:
    if not isinstance(value, list):
        raise fail(path, f"must be an array, not {describe(value)}")
    if length is not None and len(value) != length:
        raise fail(path, f"must have {entries(length)}, has {len(value)}")
    if max_len is not None and len(value) > max_len:
        raise fail(path, f"has {len(value):,} entries; at most {max_len:,} are allowed")
    return value


def entries(n: int) -> str:
    return f"{n:,} entr{'y' if n == 1 else 'ies'}"


def number_vector(value: object, path: str, length: int | None = None) -> np.ndarray:
    """A JSON array of finite numbers as a float64 (n,) array."""
    row = array(value, path, length=length)
    for j, v in enumerate(row):
        if not _is_number(v):
            raise fail(join(path, j), f"must be a number, not {describe(v)}")
    try:
        out = np.array(row, dtype=np.float64).reshape(len(row))
    except OverflowError:  # a whole number beyond float64's range: number() names it
        for j, v in enumerate(row):
            number(v, join(path, j))
        raise
    bad = ~np.isfinite(out)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise fail(join(path, j), f"must be a finite number, not {_nonfinite(out[j])}")
    return out


def number_matrix(value: object, path: str, shape: tuple[int | None, int | None]) -> np.ndarray:
    """A JSON array of rows of finite numbers as a float64 array of ``shape`` (None: any)."""
    rows = array(value, path, length=shape[0])
    width = shape[1]
    out = []
    for r, row in enumerate(rows):
        vec = number_vector(row, join(path, r), length=width)
        if width is None:
            width = vec.shape[0]
        out.append(vec)
    if not out:
        return np.zeros((0, width or 0))
    return np.stack(out)


def layer_sizes(value: object, path: str) -> list[int]:
    """A network's neuron-layer sizes, inputs and outputs included: 2 to MAX_LAYERS whole
    numbers from 1 to MAX_LAYER_SIZE, for at most MAX_PARAMETERS weights and biases."""
    raw = array(value, path, max_len=MAX_LAYERS)
    if len(raw) < 2:
        raise fail(path, "needs at least an input and an output layer (2 sizes)")
    sizes = [integer(s, join(path, k), low=1, high=MAX_LAYER_SIZE) for k, s in enumerate(raw)]
    n_params = sum(fan_in * fan_out + fan_out for fan_in, fan_out in zip(sizes, sizes[1:]))
    if n_params > MAX_PARAMETERS:
        raise fail(
            path,
            f"the network would have {n_params:,} parameters; at most {MAX_PARAMETERS:,} "
            "are allowed",
        )
    return sizes


def in_dtype(values: np.ndarray, dtype, path: str) -> np.ndarray:
    """Finite ``values`` as a new array of ``dtype``, refusing any that ``dtype`` cannot hold
    (1e300 overflows float32 to infinity); the message names the first one's position."""
    with np.errstate(over="ignore"):
        out = np.array(values, dtype=dtype, order="C")
    bad = ~np.isfinite(out)
    if bad.any():
        index = tuple(int(k) for k in np.argwhere(bad)[0])
        where = path + "".join(f"[{k}]" for k in index)
        value = number_text(float(values[index]))
        raise fail(where, f"{value} is beyond the range of {np.dtype(dtype).name}")
    return out


def finite_numbers(
    value: object, path: str, *, exempt: Iterable[str] = (), dotted: bool = False
) -> None:
    """Refuses anywhere in the JSON object or array ``value`` what no number field takes: a
    number that is not finite, a whole number beyond float64's range, a string UTF-8 cannot
    encode.  The subtrees at the ``exempt`` paths are left to their own checks (a random
    generator's state holds 128-bit whole numbers).  For data whose layout another checker
    knows (the engine's ``load_state_dict``): it then sees only numbers it can hold.
    ``dotted``: array positions are named as the engine names them (``layers.0``), not
    ``layers[0]``."""
    inside = _dotted if dotted else field_path
    skip = set(exempt)
    stack: list[tuple[str, object]] = [(path, value)]
    while stack:
        where, node = stack.pop()
        if where in skip:
            continue
        if isinstance(node, dict):
            for key in node:
                problem = utf8_problem(key) if isinstance(key, str) else "is not a string"
                if problem:  # named by its object: the key itself cannot be printed everywhere
                    raise fail(where, f"a key {problem}")
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, item in items:
            kind = type(item)
            if kind is float:
                if not math.isfinite(item):
                    raise fail(
                        inside(where, key), f"must be a finite number, not {_nonfinite(item)}"
                    )
            elif kind is int:
                if item.bit_length() >= 1024:  # float() of it may overflow: number() says so
                    number(item, inside(where, key))
            elif kind is str:
                problem = utf8_problem(item)
                if problem:
                    raise fail(inside(where, key), problem)
            elif kind is dict or kind is list:
                stack.append((inside(where, key), item))


def _dotted(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)
