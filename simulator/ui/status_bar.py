"""The main window's status bar: a message that ends in "…" before the readouts instead of
running into them, a training readout that never clips, and a summary that gives way."""

from __future__ import annotations

from PySide6 import QtGui
from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QTextDocument
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QStyle, QStyleOption, QWidget

MESSAGE_GAP = 16  # px between the end of a message and the first readout
LEFT_MARGIN = 6  # where QStatusBar starts its message


class StatusBar(QStatusBar):
    """A QStatusBar whose temporary message (``showMessage``, menu status tips) is elided in
    the middle to the room left of the permanent widgets, a gap apart from them; the whole
    message is the bar's tooltip while it is cut."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._permanent: list[QWidget] = []
        self.messageChanged.connect(self._on_message_changed)

    def addPermanentWidget(self, widget: QWidget, stretch: int = 0) -> None:  # noqa: N802
        super().addPermanentWidget(widget, stretch)
        self._permanent.append(widget)

    def message_rect(self):
        """Where the message is drawn: from the left edge to a gap before the readouts."""
        right = self.width() - 12
        shown = [w.x() for w in self._permanent if w.isVisible() and w.width() > 0]
        if shown:
            right = min(shown) - MESSAGE_GAP
        return self.rect().adjusted(LEFT_MARGIN, 0, right - self.width(), 0)

    def shown_message(self) -> str:
        """The message as drawn (with "…" where it was cut)."""
        rect = self.message_rect()
        return self.fontMetrics().elidedText(
            self.currentMessage(), Qt.TextElideMode.ElideMiddle, max(0, rect.width())
        )

    def _on_message_changed(self, text: str) -> None:
        self.setToolTip(text if text and self.shown_message() != text else "")

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._on_message_changed(self.currentMessage())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        # QStatusBar's own painting, but the message elided: Qt clips it at the first
        # permanent widget, 2 px from it, mid-letter.
        painter = QPainter(self)
        option = QStyleOption()
        option.initFrom(self)
        style = self.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelStatusBar, option, painter, self)
        for widget in self._permanent:
            if widget.isVisible():
                frame = QStyleOption()
                frame.rect = widget.geometry().adjusted(-2, -1, 2, 1)
                frame.palette = self.palette()
                style.drawPrimitive(
                    QStyle.PrimitiveElement.PE_FrameStatusBarItem, frame, painter, widget
                )
        if self.currentMessage():
            painter.setPen(self.palette().windowText().color())
            painter.drawText(
                self.message_rect(),
                int(Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignVCenter),
                self.shown_message(),
            )
        painter.end()


class ReadoutLabel(QLabel):
    """A readout whose text changes many times a second.  It holds a fixed size, that of the
    widest text it has shown since ``settle()``: it neither clips nor makes its neighbours
    jump, and a new text repaints the label alone.  (A label whose size may change tells the
    layouts above it at every new text, and each frame laid out the whole main window again.)
    Plain or rich text (the width of rich text is its laid-out width)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._widest = 0
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def text_width(self) -> int:
        """The room the text takes (contents margins included)."""
        text = self.text()
        if self.textFormat() == Qt.TextFormat.PlainText or not QtGui.Qt.mightBeRichText(text):
            margins = self.contentsMargins()
            advance = self.fontMetrics().horizontalAdvance(text)
            return advance + margins.left() + margins.right()
        return super().sizeHint().width()

    def fits(self) -> bool:
        margins = self.contentsMargins()
        return self.text_width() - margins.left() - margins.right() <= self.contentsRect().width()

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        super().setText(text)
        width = self.text_width() + 2
        if width > self._widest:
            self._widest = width
            self._fix_size()

    def settle(self) -> None:
        """Forget the widest text: the next one sets the width (after Pause, a new project)."""
        self._widest = self.text_width() + 2
        self._fix_size()

    def _fix_size(self) -> None:
        # Both dimensions fixed: only then does a new text leave the layouts alone.
        self.setFixedSize(self._widest, super().sizeHint().height())

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.settle()  # the same text in another font takes other room

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(self._widest, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return self.sizeHint()


class ElidingLabel(QLabel):
    """A label that gives way when room is short: it ends in "…" and its tooltip holds the
    whole text.  ``text()`` is the whole text (rich text is cut as its plain words)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._tip = ""
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def set_tip(self, tip: str) -> None:
        """The tooltip while the whole text shows (the whole text is added when it is cut)."""
        self._tip = tip
        self._update_tip()

    def plain_text(self) -> str:
        """The words shown: ``text()`` without its markup when it is rich text."""
        if self.textFormat() != Qt.TextFormat.RichText:
            return self.text()
        doc = QTextDocument()
        doc.setHtml(self.text())
        return doc.toPlainText()

    def fits(self) -> bool:
        width = self.fontMetrics().horizontalAdvance(self.plain_text())
        return width <= self.contentsRect().width()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        margins = self.contentsMargins()
        width = self.fontMetrics().horizontalAdvance("Exclusive…") + margins.left()
        return QSize(width + margins.right(), super().minimumSizeHint().height())

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        super().setText(text)
        self._update_tip()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._update_tip()

    def _update_tip(self) -> None:
        if self.fits():
            self.setToolTip(self._tip)
        else:
            whole = self.plain_text()
            self.setToolTip(f"{whole}\n\n{self._tip}" if self._tip else whole)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.fits():
            super().paintEvent(event)
            return
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(
            self.plain_text(), Qt.TextElideMode.ElideRight, rect.width()
        )
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(
            rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text
        )
        painter.end()
