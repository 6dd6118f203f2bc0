"""The canvas's inline notice: why an edit was refused, in the view's corner for a few seconds
(never a dialog)."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QWidget

NOTICE_MS = 6000


class CanvasNotice(QLabel):
    """A tooltip-coloured message over the canvas that hides itself after ``NOTICE_MS``."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("canvasNotice")
        self.setWordWrap(True)
        self.setMargin(8)
        self.hide()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(NOTICE_MS)
        self._timer.timeout.connect(self.hide)

    def set_message(self, text: str, max_width: int) -> None:
        """Say ``text``: on one line if it fits in ``max_width`` pixels, else wrapped."""
        self.setText(text)
        one_line = self.fontMetrics().horizontalAdvance(text) + 2 * self.margin()
        self.setFixedWidth(min(one_line + 4, max(120, max_width)))
        self.adjustSize()

    def pop_up(self) -> None:
        """Show the message on top, for ``NOTICE_MS``."""
        self.show()
        self.raise_()
        self._timer.start()

    def stop_timer(self) -> None:
        """The canvas is hidden: no timer keeps running for it."""
        self._timer.stop()

    def restyle(self, palette: QPalette) -> None:
        """Colour the notice as ``palette``'s tooltips."""
        bg = palette.color(palette.ColorRole.ToolTipBase).name()
        fg = palette.color(palette.ColorRole.ToolTipText).name()
        edge = palette.color(palette.ColorRole.Mid).name()
        self.setStyleSheet(
            f"#canvasNotice {{ background: {bg}; color: {fg}; border: 1px solid {edge};"
            " border-radius: 6px; }"
        )
