"""Colours that stay readable: WCAG contrast, mixing, and a colour adjusted until it reads on
a background (light or dark)."""

from __future__ import annotations

from PySide6.QtGui import QColor

MIN_GRAPHICS_CONTRAST = 3.0  # WCAG's minimum for graphics (a curve, a filled cell) on its plot


def luminance(color: QColor) -> float:
    """WCAG relative luminance of ``color`` (0 black … 1 white)."""

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in (color.redF(), color.greenF(), color.blueF()))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(color, background) -> float:
    """WCAG contrast ratio of two opaque colours (1 … 21)."""
    a, b = luminance(QColor(color)), luminance(QColor(background))
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def mix(color: QColor, other: QColor, t: float) -> QColor:
    """``color`` moved a fraction ``t`` of the way to ``other``."""
    return QColor.fromRgbF(*(a + t * (b - a) for a, b in zip(
        (color.redF(), color.greenF(), color.blueF()),
        (other.redF(), other.greenF(), other.blueF()),
    )))  # fmt: skip


def readable(color, background, ratio: float = MIN_GRAPHICS_CONTRAST) -> QColor:
    """``color``, lightened on a dark ``background`` (darkened on a light one) just enough
    for a contrast of ``ratio``: a curve's hue stays, and it stands out from the plot."""
    color, background = QColor(color), QColor(background)
    toward = QColor("white") if luminance(background) < 0.18 else QColor("black")
    for step in range(21):
        mixed = mix(color, toward, step / 20)
        if contrast(mixed, background) >= ratio:
            return mixed
    return toward


def faint_alpha(color, background, alpha: int = 70, ratio: float = 2.0) -> int:
    """The opacity of a faint line (the batch loss, under the train loss): ``alpha`` where
    that shows, more where the line drawn over ``background`` would stay under a contrast of
    ``ratio`` (on a dark plot, 70 left the batch loss all but invisible)."""
    color, background = QColor(color), QColor(background)
    for a in range(alpha, 256, 5):
        if contrast(mix(background, color, a / 255), background) >= ratio:
            return a
    return 255
