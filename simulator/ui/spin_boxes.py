"""Spin boxes that write numbers as the rest of the window does and read them back.

Qt's QDoubleSpinBox writes "-1.50" with a hyphen and reads only what it writes; the window
writes "−1.50" (a real minus sign) and "1×10⁻⁵" (``simulator.app.numbers``).
:class:`NumberSpinBox` shows its value with :func:`numbers.fixed` (its decimals) and reads
whatever :func:`numbers.parse` reads: the window's own text, "-1.5", "1e-5", "1,000", "0,5".
"""

from __future__ import annotations

import re

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox

from simulator.app import numbers

# What a number looks like while it is being typed: "−", "1.", "1e-", "1×10⁻", "2x10^".
_PARTIAL = re.compile(
    r"[-+\u2212]?[\d,.]*(?:[eE][-+]?\d*|[×x*·](?:1(?:0(?:\^|\*\*?)?)?)?[-+⁻⁺]?[\d⁰¹²³⁴⁵⁶⁷⁸⁹]*)?"
)


class NumberSpinBox(QDoubleSpinBox):
    """A QDoubleSpinBox with the window's minus sign that also reads typed variants."""

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt's name
        return numbers.fixed(value, self.decimals())

    def bare(self, text: str) -> str:
        """``text`` without the prefix and suffix (Qt hands both methods the whole text)."""
        text = text.strip()
        prefix, suffix = self.prefix().strip(), self.suffix().strip()
        if prefix and text.startswith(prefix):
            text = text[len(prefix) :]
        if suffix and text.endswith(suffix):
            text = text[: -len(suffix)]
        return text.strip()

    def valueFromText(self, text: str) -> float:  # noqa: N802 - Qt's name
        text = self.bare(text)
        if self.specialValueText() and text == self.specialValueText():
            return self.minimum()
        value = numbers.parse(text)
        return self.value() if value is None else value

    def validate(self, text: str, pos: int) -> QValidator.State:
        text = self.bare(text)
        special = self.specialValueText()
        if special and text and special.startswith(text):
            return QValidator.State.Acceptable if text == special else QValidator.State.Intermediate
        value = numbers.parse(text)
        if value is None:
            partial = _PARTIAL.fullmatch(text)
            return QValidator.State.Intermediate if partial else QValidator.State.Invalid
        if self.minimum() <= value <= self.maximum():
            return QValidator.State.Acceptable
        return QValidator.State.Intermediate
