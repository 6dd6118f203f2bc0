"""Training state as plain data: the checks every ``load_state_dict`` makes, and helpers.

A state dict (``Trainer.state_dict()``, ``Optimizer.state_dict()``,
``BatchIterator.state_dict()``, ``Network.rng_state()``) holds only NumPy arrays, Python
numbers, strings, None, lists and dicts: no objects, nothing pickled.  :func:`to_plain` turns
one into JSON-compatible data (arrays as nested lists, exact: ``repr`` of a float64 reads back
to the same float64) and every ``load_state_dict`` takes that form too (lists where arrays
were), so a state survives ``json.dumps`` / ``json.loads`` bit for bit.

The checks below raise ValueError whose message starts with the key of the value at fault,
dotted from the top of the state: ``optimizer.state.layers.0.weights.exp_avg: shape (3, 8) does
not fit the layer's (2, 8)``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import numpy as np

RNG_WORD = 2**128  # PCG64's state and increment are 128-bit whole numbers
_SHOWN_DIGITS = 24  # a whole number with more digits is described, not printed


# ----------------------------------------------------------------------------- helpers
def to_plain(state: object) -> object:
    """``state`` as JSON-compatible data: arrays become nested lists, tuples lists, NumPy
    scalars Python numbers (a new structure; nothing is shared with ``state``)."""
    if isinstance(state, dict):
        return {str(key): to_plain(value) for key, value in state.items()}
    if isinstance(state, (list, tuple)):
        return [to_plain(value) for value in state]
    if isinstance(state, (np.ndarray, np.generic)):
        return state.tolist()
    return state


def copy_state(state: object) -> object:
    """A deep copy of ``state``: new dicts and lists, every array copied."""
    if isinstance(state, dict):
        return {key: copy_state(value) for key, value in state.items()}
    if isinstance(state, (list, tuple)):
        return [copy_state(value) for value in state]
    if isinstance(state, np.ndarray):
        return state.copy()
    return state


def nbytes(state: object) -> int:
    """The bytes of every array in ``state`` (its data, not the Python objects around it)."""
    total = 0
    stack = [state]
    while stack:  # exact types: this runs for every checkpoint the app keeps
        value = stack.pop()
        kind = type(value)
        if kind is dict:
            stack.extend(value.values())
        elif kind is list or kind is tuple:
            stack.extend(value)
        elif kind is np.ndarray:
            total += value.nbytes
    return total


# ----------------------------------------------------------------------------- checks
def join(key: str, part: str | int) -> str:
    """The key of ``part`` inside ``key``: join("optimizer", "steps") -> "optimizer.steps"."""
    return f"{key}.{part}" if key else str(part)


def fail(key: str, problem: str) -> ValueError:
    return ValueError(f"{key or 'the state'}: {problem}")


def show(value: object) -> str:
    """``value`` for a message, short (a huge whole number is described, not printed)."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        return repr(value)
    if isinstance(value, numbers.Integral):
        text = str(abs(int(value)))
        if len(text) > _SHOWN_DIGITS:
            return f"a{' negative' if value < 0 else ''} {len(text)}-digit number"
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        return f"{float(value):g}"
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else f"{value[:60]!r}..."
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a dict"
    return f"a {type(value).__name__}"


def mapping(
    value: object, key: str, required: Iterable[str] = (), optional: Iterable[str] = ()
) -> dict:
    """``value`` if it is a dict holding every ``required`` key and no key besides
    ``required`` and ``optional``."""
    if not isinstance(value, dict):
        raise fail(key, f"must be a dict, not {show(value)}")
    if len(value) == len(required) and all(name in value for name in required):
        return value  # exactly the required keys: the common case, checked quickly
    required = tuple(required)
    known = required + tuple(optional)
    for name in value:
        if name not in known:
            label = name if isinstance(name, str) else repr(name)
            expected = ", ".join(known) if known else "nothing"
            raise fail(join(key, label), f"unknown key (expected: {expected})")
    for name in required:
        if name not in value:
            raise fail(join(key, name), "missing")
    return value


def integer(value: object, key: str, low: int = 0, high: int = 2**63 - 1) -> int:
    """A whole number (an int, not a bool) in [low, high]."""
    if type(value) is int and low <= value <= high:  # the common case, without ABC checks
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise fail(key, f"must be a whole number, not {show(value)}")
    value = int(value)
    if value < low:
        raise fail(key, f"must be at least {show(low)}, got {show(value)}")
    if value > high:
        raise fail(key, f"must be at most {show(high)}, got {show(value)}")
    return value


def optional_integer(value: object, key: str, low: int = 0) -> int | None:
    return None if value is None else integer(value, key, low)


def number(value: object, key: str, low: float | None = None, whole: bool = False) -> float:
    """A finite number (int or float, not a bool) >= ``low``, as a Python float."""
    if type(value) is not float and (
        isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real)
    ):
        raise fail(key, f"must be a number, not {show(value)}")
    try:
        out = float(value)
    except OverflowError:  # a whole number beyond float64's range
        raise fail(key, f"must be a finite number, not {show(value)}") from None
    if not math.isfinite(out):
        raise fail(key, f"must be a finite number, not {out}")
    if low is not None and out < low:
        raise fail(key, f"must be at least {low:g}, got {out:g}")
    if whole and not out.is_integer():
        raise fail(key, f"must be a whole number, got {out:g}")
    return out


def text(value: object, key: str) -> str:
    if not isinstance(value, str):
        raise fail(key, f"must be a string, not {show(value)}")
    return value


def optional_text(value: object, key: str) -> str | None:
    return None if value is None else text(value, key)


def flag(value: object, key: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise fail(key, f"must be True or False, not {show(value)}")
    return bool(value)


def array(
    value: object,
    key: str,
    shape: tuple[int, ...] | None = None,
    dtype=None,
    *,
    whole: bool = False,
    fits: str = "the layer's",
) -> np.ndarray:
    """A new array of ``dtype`` from an array or nested lists of numbers, of ``shape``.

    Floats (``dtype`` None: float64, or the array's own float dtype) must be finite; with
    ``whole`` the values must be whole numbers (an int array).  ``fits`` names what the
    shape must fit in the message ("the layer's").
    """
    if isinstance(value, np.ndarray):
        arr = value
    elif isinstance(value, list):
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError, OverflowError, RecursionError):
            raise fail(key, "must be an array of numbers (nested lists of equal length)") from None
    else:
        raise fail(key, f"must be an array, not {show(value)}")
    if arr.dtype == object:  # whole numbers beyond int64, or values that are not numbers
        arr = _object_numbers(arr, key)
    kinds = "iu" if whole else "iuf"
    if arr.dtype.kind not in kinds:
        want = "whole numbers" if whole else "numbers"
        raise fail(key, f"must hold {want}, not values of type {arr.dtype}")
    if shape is not None and arr.shape != tuple(shape):
        raise fail(key, f"shape {arr.shape} does not fit {fits} {tuple(shape)}")
    if whole:
        return np.array(arr, dtype=dtype or np.int64)
    dtype = np.dtype(dtype) if dtype is not None else None
    if dtype is None:
        dtype = arr.dtype if arr.dtype.kind == "f" else np.dtype(np.float64)
    if arr.dtype.kind == "f" and dtype.itemsize < arr.dtype.itemsize:
        with np.errstate(over="ignore"):  # float64 beyond float32's range: refused below
            out = arr.astype(dtype)
    else:
        out = arr.astype(dtype)
    # One reduction instead of an isfinite mask; only a sum that overflows needs the mask.
    if not math.isfinite(float(np.add.reduce(out, axis=None))):
        bad = ~np.isfinite(out)
        if bad.any():
            at = tuple(int(k) for k in np.argwhere(bad)[0])
            raise fail(
                key, f"holds {out[at]} at {list(at)} (every value must be finite in {dtype})"
            )
    return out


def _object_numbers(arr: np.ndarray, key: str) -> np.ndarray:
    # np.asarray leaves int beyond int64 (and anything that is not a number) as objects.
    for item in arr.flat:
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, numbers.Real):
            raise fail(key, f"must hold numbers, not {show(item)}")
    try:
        return arr.astype(np.float64)
    except OverflowError:
        raise fail(key, "holds a whole number beyond float64's range") from None


_RNG_KEYS = ("bit_generator", "state", "has_uint32", "uinteger")


def rng_state(value: object, key: str, bit_generator: str = "PCG64") -> dict:
    """A new, checked copy of a PCG64 bit generator's state (``Generator.bit_generator.state``):
    ``{"bit_generator": "PCG64", "state": {"state": s, "inc": i}, "has_uint32": 0 | 1,
    "uinteger": u}`` with s, i whole numbers in [0, 2**128) and u in [0, 2**32)."""
    d = mapping(value, key, _RNG_KEYS)
    name = d["bit_generator"]
    if name != bit_generator:
        raise fail(join(key, "bit_generator"), f"must be {bit_generator!r}, not {show(name)}")
    inner = mapping(d["state"], join(key, "state"), ("state", "inc"))
    where = join(key, "state")
    return {
        "bit_generator": bit_generator,
        "state": {
            "state": _word(inner["state"], join(where, "state"), 128),
            "inc": _word(inner["inc"], join(where, "inc"), 128),
        },
        "has_uint32": integer(d["has_uint32"], join(key, "has_uint32"), 0, 1),
        "uinteger": _word(d["uinteger"], join(key, "uinteger"), 32),
    }


def _word(value: object, key: str, bits: int) -> int:
    """A whole number of ``bits`` bits: in [0, 2**bits)."""
    value = integer(value, key, 0, high=2**bits - 1) if type(value) is not int else value
    if not 0 <= value < 2**bits:
        raise fail(key, f"must be a whole number from 0 to 2**{bits} - 1, got {show(value)}")
    return value


def set_rng_state(rng: np.random.Generator, value: object, key: str) -> None:
    """Changes ``rng``'s bit generator to the checked state ``value`` (ValueError otherwise,
    and ``rng`` is unchanged)."""
    rng.bit_generator.state = rng_state(value, key, type(rng.bit_generator).__name__)
