"""Every number the window shows, written one way.

No Qt: plain functions from numbers to text, used by every view (readouts, the inspector,
tooltips, the canvas's labels, axis ticks).  The rules:

* a real minus sign "−" (U+2212), never a hyphen;
* powers of ten as "×10⁻⁵" (superscript exponent), used when a value rounds below 0.001 or
  reaches a million: "6.542×10⁻⁴" beside "3.521×10⁻⁵", never "0.0006542" beside "3.521e-05";
* thousands grouped with commas: "25,844" (counts, steps, large values alike);
* no trailing zeros in a value for reading ("0.5", not "0.5000");
* nothing shown: "—"; not a number: "NaN"; infinities "∞" and "−∞";
* on/off (or yes/no) for a setting that is true or false, never "True"/"False".

``fmt`` is a value for reading (significant digits); ``labels`` are short labels for tight
places that share one style within a group (a canvas column: "0.22" beside "0.00", never
beside "2e-3"); ``count``, ``epoch``, ``percent``, ``on_off`` and ``yes_no`` the rest;
``tick_labels`` and ``log_tick_labels`` an axis's ticks.  ``parse`` reads all of it back
(and what people type: "1e-5", "-2", a decimal comma).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

MINUS = "\u2212"  # − : the minus sign, wider than a hyphen and level with "+"
NOTHING = "—"  # no value (not computed, not applicable)
NOT_A_NUMBER = "NaN"
SMALL = 1e-3  # a value that rounds below this is written with a power of ten …
LARGE = 1e6  # … and so is one that rounds to this or more
_SMALL_EXP, _LARGE_EXP = round(math.log10(SMALL)), round(math.log10(LARGE))
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def minus(text: str) -> str:
    """``text`` with every hyphen-minus turned into a real minus sign (for numbers only)."""
    return text.replace("-", MINUS)


def _unwritable(x: float | None) -> str | None:
    """What stands for ``x`` when it is no finite number ("—", "NaN", "∞"), else None."""
    return NOTHING if x is None else _special(float(x))


def _special(x: float) -> str | None:
    if math.isnan(x):
        return NOT_A_NUMBER
    if math.isinf(x):
        return "∞" if x > 0 else MINUS + "∞"
    return None


def _exponent(x: float, digits: int) -> int:
    """The power of ten of |x| once rounded to ``digits`` significant digits (9.9996 → 1)."""
    return int(f"{abs(x):.{digits - 1}e}".split("e")[1])


def _strip(text: str) -> str:
    """ "0.5000" → "0.5", "10.00" → "10"; whole numbers stay as they are."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def power(x: float, digits: int = 4, bare: bool = False) -> str:
    """``x`` as mantissa × a power of ten: "3.521×10⁻⁵", "−2×10⁶" (``digits`` significant
    digits, no trailing zeros).  ``bare``: an exact power of ten as just "10⁻⁵"."""
    special = _special(float(x))
    if special is not None:
        return special
    if x == 0:
        return "0"
    mantissa, exponent = f"{abs(float(x)):.{max(1, digits) - 1}e}".split("e")
    mantissa = _strip(mantissa)
    sign = MINUS if x < 0 else ""
    ten = "10" + str(int(exponent)).translate(_SUPERSCRIPT)
    if bare and mantissa == "1":
        return sign + ten
    return f"{sign}{mantissa}×{ten}"


def fmt(x: float | None, digits: int = 4) -> str:
    """A number for reading: ``digits`` significant digits without trailing zeros, a real
    minus sign, thousands grouped, powers of ten below 0.001 and from a million on.

    0.0006542 → "6.542×10⁻⁴", −0.25 → "−0.25", 12345.6 → "12,346", 9.9996 → "10",
    None → "—", NaN → "NaN".
    """
    special = _unwritable(x)
    if special is not None:
        return special
    x = float(x)
    if x == 0:
        return "0"
    digits = max(1, int(digits))
    e = _exponent(x, digits)
    if e < _SMALL_EXP or e >= _LARGE_EXP:
        return power(x, digits)
    decimals = max(0, digits - 1 - e)
    return (MINUS if x < 0 else "") + _strip(f"{abs(x):,.{decimals}f}")


def factor(x: float, digits: int = 4) -> str:
    """A number as a factor in a product: negative ones in parentheses, "(−0.25)"."""
    text = fmt(x, digits)
    return f"({text})" if text.startswith(MINUS) else text


def fixed(x: float | None, decimals: int) -> str:
    """``x`` with exactly ``decimals`` decimals (grouped thousands, a real minus sign); a value
    that rounds to zero is "0.00", without a sign."""
    special = _unwritable(x)
    if special is not None:
        return special
    x = float(x)
    text = f"{abs(x):,.{max(0, decimals)}f}"
    negative = x < 0 and any(c in "123456789" for c in text)
    return (MINUS if negative else "") + text


def count(n: int | float | None) -> str:
    """A count or a step number: "25,844"."""
    if n is None:
        return NOTHING
    if isinstance(n, float):
        special = _special(n)
        if special is not None:
            return special
    n = int(round(n))
    return (MINUS if n < 0 else "") + f"{abs(n):,}"


def epoch(x: float | None, decimals: int = 2) -> str:
    """An epoch count: "18.75", "1,615.3", and a whole one without decimals ("25,844")."""
    special = _unwritable(x)
    if special is not None:
        return special
    x = float(x)
    return _strip(fixed(x, decimals))


def percent(share: float | None, decimals: int = 1) -> str:
    """A share 0..1 as a percentage with ``decimals`` decimals, "97.5%"; all of it is "100%"
    and none of it "0%" (so "100.0%" means almost all)."""
    if share is None:
        return NOTHING
    share = float(share)
    if not math.isfinite(share):
        return NOTHING
    if share == 1.0:
        return "100%"
    if share == 0.0:
        return "0%"
    return fixed(100.0 * share, decimals) + "%"


def on_off(flag: bool) -> str:
    """A setting that is on or off."""
    return "on" if flag else "off"


def yes_no(flag: bool) -> str:
    """A fact that holds or not."""
    return "yes" if flag else "no"


def setting(value) -> str:
    """Any setting's value: on/off for a flag, a count for a whole number, ``fmt`` for a real
    one, "(0.9, 0.999)" for a tuple of them, and text as it is."""
    if isinstance(value, bool):
        return on_off(value)
    if isinstance(value, int):
        return count(value)
    if isinstance(value, float):
        return fmt(value)
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(setting(v) for v in value) + ")"
    if value is None:
        return NOTHING
    return str(value)


_E_NUMBER = re.compile(r"(?<![\w.])(-?)(\d+(?:\.\d+)?)[eE]([+-]?\d+)(?![\w.])")


def tidy(text: str) -> str:
    """``text`` (written elsewhere, e.g. the engine's reports) with its numbers in
    e-notation rewritten as ``fmt`` writes them: "1e-05" → "1×10⁻⁵", "2.5e-09" → "2.5×10⁻⁹"."""

    def rewrite(match: re.Match) -> str:
        sign, mantissa, exponent = match.groups()
        digits = len(mantissa.replace(".", "").lstrip("0")) or 1
        return fmt(float(f"{sign}{mantissa}e{exponent}"), digits)

    return _E_NUMBER.sub(rewrite, text)


# ----------------------------------------------------------------------------- short labels
def label_decimals(values: Iterable[float], most: int | None = None) -> int | None:
    """The decimals that a group of short labels shares, from its largest magnitude: 2 for
    a largest of 0.1 to 10 (so 0.002 beside 0.22 reads "0.00"), 1 up to 100, 0 up to 1,000;
    below 0.1, enough for two digits of the largest ("0.040", "0.0020"); None (powers of ten
    for all) when the largest rounds below 0.001 or reaches 1,000.  ``most`` caps the
    decimals (a label in a neuron's circle has room for "−0.004", not "4×10⁻⁵"): with it, a
    largest below 0.001 takes ``most`` decimals too ("0.000", the whole value in a tooltip)."""
    largest = 0.0
    for v in values:
        a = abs(float(v))
        if math.isfinite(a) and a > largest:
            largest = a
    if largest == 0.0:
        return 2 if most is None else min(2, most)
    e = _exponent(largest, 2)
    if e >= 3:
        return None
    if e < -3:
        return None if most is None else most
    if e >= 2:
        decimals = 0
    elif e >= 1:
        decimals = 1
    elif e >= -1:
        decimals = 2
    else:
        decimals = 1 - e  # 0.04 → 3 decimals ("0.040"), 0.002 → 4 ("0.0020")
    return decimals if most is None else min(decimals, most)


def label(value: float, decimals: int | None) -> str:
    """One short label with the group's ``decimals`` (None: one digit and a power of ten,
    "3×10⁻⁷", "−2×10³", but "4" for a value from 1 to 9); exactly 0 is "0"."""
    value = float(value)
    special = _special(value)
    if special is not None:
        return special
    if value == 0:
        return "0"
    if decimals is None:
        return fmt(value, 1) if _exponent(value, 1) == 0 else power(value, 1)
    return fixed(value, decimals)


def labels(values: Sequence[float]) -> list[str]:
    """Short labels for a group of values shown side by side, in one style."""
    decimals = label_decimals(values)
    return [label(v, decimals) for v in values]


# ----------------------------------------------------------------------------- axis ticks
def tick_labels(values: Sequence[float], spacing: float, largest: float | None = None) -> list:
    """Labels of linear-axis ticks ``spacing`` apart: as many decimals as the spacing needs
    ("0.2", "0.4"; "100", "200"), a real minus sign; powers of ten for all ticks when the
    spacing is below 0.001 or the axis reaches a million (``largest``: the largest |value|
    on the axis, else the ticks')."""
    if largest is None:
        largest = max((abs(v) for v in values), default=0.0)
    if not values:
        return []
    spacing = abs(float(spacing)) or 1.0
    if spacing < SMALL or largest >= LARGE:
        digits = max(1, _exponent(largest or spacing, 3) - _exponent(spacing, 3) + 1)
        return [power(v, min(digits, 4), bare=True) if v != 0 else "0" for v in values]
    decimals = max(0, math.ceil(-math.log10(spacing) - 1e-9))
    return [fixed(v, decimals) for v in values]


def log_tick_labels(exponents: Sequence[float], low: float, high: float) -> list[str]:
    """Labels of log-axis ticks at 10**exponents on an axis from 10**low to 10**high: plain
    decimals ("0.01", "0.2", "1") when the axis stays within 0.001..1,000,000, else powers of
    ten for every tick ("10⁻⁵", "2×10⁻⁵")."""
    plain = low >= math.log10(SMALL) - 1e-9 and high < math.log10(LARGE)
    out = []
    for e in exponents:
        value = 10.0 ** float(e)
        if plain:
            out.append(fmt(value, 1))
        else:
            out.append(power(value, 1, bare=True))
    return out


# --------------------------------------------------------------------------- reading

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_POWER = re.compile(r"^(?P<m>[^×x*·]+)(?:×|x|\*|·)10(?:\^|\*\*)?(?P<e>[-+]?\d+)$")
_BARE_POWER = re.compile(r"^[-+]?10[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+$")
_GROUPED = re.compile(r"^[-+]?[1-9]\d{0,2}(,\d{3})+(\.\d*)?$")


def parse(text: str) -> float | None:
    """A number someone typed, or None if it is none: "−0.0145", "1.2e-3", the window's own
    "1.2×10⁻³" and "10⁻⁵" (or "1.2x10^-3"), "1,234.5" (thousands grouped as the window shows
    them) and "0,5" (a decimal comma)."""
    cleaned = text.strip().replace(MINUS, "-").replace(" ", "")
    if _BARE_POWER.match(cleaned):  # "10⁻⁵", as a logarithmic axis writes it
        cleaned = cleaned.replace("10", "1×10", 1)
    cleaned = cleaned.translate(_SUPERSCRIPTS)
    ten = _POWER.match(cleaned)
    if ten is not None:
        cleaned = f"{ten['m']}e{ten['e']}"
    if _GROUPED.match(cleaned.split("e")[0]):
        cleaned = cleaned.replace(",", "")  # thousands, as the window groups them
    else:
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
