"""The start page: three ways in for a newcomer, on first launch and from Help ▸ Start Here.

The page only offers the choices; the main window carries them out (a lesson, an example
played at a watchable speed, a small network to build on).  Whether it shows at startup is
remembered in QSettings: once on the first launch, then only if the learner asks for it.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QEvent, QObject, QPoint, QRectF, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QCommandLinkButton,
    QDialog,
    QDialogButtonBox,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from simulator.app import numbers
from simulator.app.lessons import LESSON_EXAMPLES, LESSON_TITLES
from simulator.app.training import WATCHABLE_SPEED
from simulator.engine import datasets as _datasets
from simulator.project import DEFAULT_EXAMPLE, Project, load_example
from simulator.ui.formula_tips import wrapped
from simulator.ui.training_toolbar import tinted_icon

SEEN_KEY = "startPage/seen"
AT_STARTUP_KEY = "startPage/showAtStartup"
WATCH, TRAIN, BUILD = "watch", "train", "build"
TRAIN_EXAMPLE = "xor"  # what "Train a network" opens and plays
WATCH_LESSON = "backprop"  # what "Watch one step by hand" starts
# (choice, title with its Alt-key, what the learner will see)
CHOICES = (
    (
        WATCH,
        "&Watch one step by hand",
        "Backprop by Hand: one training step of a tiny network, every chain-rule factor "
        "worked out as a number, page by page.",
    ),
    (
        TRAIN,
        "&Train a network",
        f"XOR at a watchable {WATCHABLE_SPEED} steps a second: the loss falls, the decision "
        "boundary bends and the weights change colour as it learns.",
    ),
    (
        BUILD,
        "&Build your own",
        "A network with just inputs and one output, on the XOR data: add hidden layers and "
        "neurons with the + buttons, then train it.",
    ),
)
STARTER_NAME = "My network"
COACH_MS = 20_000


def wanted_at_startup(settings: QSettings) -> bool:
    """True on the very first launch, and afterwards if the learner ticked "Show at startup"."""
    seen = settings.value(SEEN_KEY, False, type=bool)
    return not seen or settings.value(AT_STARTUP_KEY, False, type=bool)


def _architecture(project: Project) -> str:
    spec = project.network
    sizes = "–".join(str(n) for n in spec.sizes)
    return f"{sizes}, {' and '.join(sorted(set(spec.activations)))}"


def _optimizer(project: Project) -> str:
    spec = project.optimizer
    lr = spec.params.get("lr")
    return spec.name if lr is None else f"{spec.name}, η = {numbers.fmt(lr)}"


def choice_tip(key: str) -> str:
    """A choice's tooltip: what opens, read from the example it opens."""
    if key == WATCH:
        lesson = LESSON_EXAMPLES[WATCH_LESSON]
        example = load_example(lesson)
        text = (
            f"Opens the {LESSON_TITLES[WATCH_LESSON]} lesson on “{example.name}” "
            f"({_architecture(example)}; {_optimizer(example)}): forward z = Σ w·a + b, "
            "a = f(z); backward δ = ∂E/∂z by the chain rule; update w ← w − η·∂E/∂w"
        )
    elif key == TRAIN:
        example = load_example(TRAIN_EXAMPLE)
        text = (
            f"Opens the example “{example.name}” ({_architecture(example)}; "
            f"{_optimizer(example)}) and presses Play; Space pauses, Max in the toolbar "
            "trains at full speed"
        )
    else:
        starter = starter_project()
        text = (
            f"Starts a new project: {_architecture(starter)} on the "
            f"{_datasets.DATASETS[starter.data.dataset].title} data, trained with "
            f"{_optimizer(starter)}; ⊕ between two columns inserts a hidden layer, ⊕ and ⊖ "
            "under a layer add or remove neurons"
        )
    return wrapped(text)


def starter_project() -> Project:
    """The "Build your own" project: the default example's data and settings, and a network
    of its inputs and one output, nothing in between."""
    example = load_example(DEFAULT_EXAMPLE)
    spec = example.network
    sizes = [spec.sizes[0], spec.sizes[-1]]
    network = dataclasses.replace(
        spec,
        sizes=sizes,
        activations=[spec.activations[-1]],
        use_bias=[True],
        dropout=[0.0],
        removed=[],
    )
    return dataclasses.replace(
        example,
        name=STARTER_NAME,
        description=(
            "Your own network on the XOR data. A straight line cannot split XOR: add a hidden "
            "layer with the + between the columns, then press Play."
        ),
        network=network,
    )


class StartPage(QDialog):
    """Welcome, and three big buttons; ``chosen`` says which one was pressed (the page closes).
    Esc or Close closes it without a choice."""

    chosen = Signal(str)  # WATCH | TRAIN | BUILD

    def __init__(self, settings: QSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings
        self.setObjectName("StartPage")
        self.setWindowTitle("Welcome to Backprop Lab")
        self.setAccessibleName("Start page")

        title = QLabel("Welcome to Backprop Lab")
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.7)
        font.setBold(True)
        title.setFont(font)
        subtitle = QLabel(
            "Watch a neural network learn: every forward pass, every gradient and every "
            "weight update, on a network you can change. Where would you like to start?"
        )
        subtitle.setWordWrap(True)

        column = QVBoxLayout(self)
        column.setContentsMargins(28, 24, 28, 18)
        column.setSpacing(10)
        column.addWidget(title)
        column.addWidget(subtitle)
        column.addSpacing(6)

        self.buttons: dict[str, QCommandLinkButton] = {}
        for key, text, description in CHOICES:
            button = QCommandLinkButton(text, description, self)
            button.setToolTip(choice_tip(key))
            button.setAccessibleName(text.replace("&", ""))
            button.setAccessibleDescription(description)
            button.setAutoDefault(False)
            button.setMinimumHeight(70)
            big = QFont(button.font())
            big.setPointSizeF(big.pointSizeF() * 1.12)
            button.setFont(big)
            button.clicked.connect(lambda _=False, k=key: self.choose(k))
            column.addWidget(button)
            self.buttons[key] = button
        self._tint_arrows()
        self.buttons[WATCH].setDefault(True)
        self.buttons[WATCH].setFocus()

        column.addSpacing(4)
        later = QLabel(
            "Later: <b>Help ▸ Start Here</b> brings this page back; <b>Lessons</b> in the "
            "toolbar lists every lesson; hover any control to see what it computes."
        )
        later.setWordWrap(True)
        column.addWidget(later)

        footer = QHBoxLayout()
        self.at_startup = QCheckBox("&Show this page at startup")
        self.at_startup.setToolTip("Open Backprop Lab on this page every time")
        self.at_startup.setChecked(settings.value(AT_STARTUP_KEY, False, type=bool))
        self.at_startup.toggled.connect(self._on_at_startup_toggled)
        footer.addWidget(self.at_startup)
        footer.addStretch(1)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.close_button = box.button(QDialogButtonBox.StandardButton.Close)
        self.close_button.setToolTip("Close this page and stay on the current project (Esc)")
        self.close_button.setAutoDefault(False)
        box.rejected.connect(self.reject)
        footer.addWidget(box)
        column.addLayout(footer)
        self.setMinimumWidth(560)
        self.setMaximumWidth(720)
        settings.setValue(SEEN_KEY, True)

    def _tint_arrows(self) -> None:
        # The style's arrows are black whatever the palette: drawn in its button text instead.
        arrow = self.style().standardIcon(QStyle.StandardPixmap.SP_CommandLink)
        icon = tinted_icon(arrow, self.palette().color(QPalette.ColorRole.ButtonText))
        for button in self.buttons.values():
            button.setIcon(icon)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "buttons"):
            self._tint_arrows()

    def choose(self, key: str) -> None:
        """Close the page and say that ``key`` was chosen."""
        self.accept()
        self.chosen.emit(key)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        # 1, 2, 3 as well as Tab, Enter and the Alt keys: usable without the mouse.
        keys = {Qt.Key.Key_1: 0, Qt.Key.Key_2: 1, Qt.Key.Key_3: 2}
        index = keys.get(event.key())
        if index is not None and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            self.choose(CHOICES[index][0])
            return
        super().keyPressEvent(event)

    def _on_at_startup_toggled(self, on: bool) -> None:
        self.settings.setValue(AT_STARTUP_KEY, bool(on))


class CoachTip(QLabel):
    """A tooltip-coloured callout whose pointer touches one canvas button from below ("⊕
    inserts a hidden layer here…"); it goes when the network changes, when clicked, or after
    ``COACH_MS``.  The callout reaches to the left of the button, over the inputs' header,
    rather than over the layer whose settings one reads next."""

    POINTER = 10  # px: the pointer's height (and half its width)
    WIDTH = 300

    def __init__(self, view: QGraphicsView, find_item, text: str, network_changed):
        super().__init__(view.viewport())
        self.setObjectName("coachTip")
        self.view = view
        self.find_item = find_item  # () -> the QGraphicsItem pointed at, or None
        self.pointer_x = self.WIDTH - 48  # where the pointer leaves the callout
        self.setText(text)
        self.setWordWrap(True)
        self.setFixedWidth(self.WIDTH)
        self.setContentsMargins(10, 8 + self.POINTER, 10, 8)
        self.setAccessibleName("Hint")
        self.setAutoFillBackground(False)
        text_palette = self.palette()
        tip_text = view.palette().color(QPalette.ColorRole.ToolTipText)
        text_palette.setColor(QPalette.ColorRole.WindowText, tip_text)
        self.setPalette(text_palette)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(COACH_MS)
        self._timer.timeout.connect(self.dismiss)
        self._place_timer = QTimer(self)  # after the canvas has refitted to its new size
        self._place_timer.setSingleShot(True)
        self._place_timer.setInterval(0)
        self._place_timer.timeout.connect(self.place)
        network_changed.connect(self.dismiss)
        self._network_changed = network_changed
        self.dismissed = False
        view.viewport().installEventFilter(self)

    def pop_up(self) -> None:
        self.place()
        self.show()
        self.raise_()
        self._timer.start()
        self._place_timer.start()

    def place(self) -> None:
        """The pointer's tip just under the item's centre; the callout kept inside the view."""
        item = self.find_item()
        self.adjustSize()
        if item is None:
            self.move(12, 12)
            return
        rect = self.view.mapFromScene(item.sceneBoundingRect()).boundingRect()
        viewport = self.view.viewport().rect()
        target = rect.center().x()
        x = max(8, min(target - (self.WIDTH - 48), viewport.width() - self.width() - 8))
        self.pointer_x = max(self.POINTER + 6, min(target - x, self.width() - self.POINTER - 6))
        self.move(QPoint(x, rect.bottom() + 2))
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        palette = self.view.palette()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        body = QRectF(self.rect()).adjusted(1, self.POINTER + 1, -1, -1)
        path = QPainterPath()
        path.addRoundedRect(body, 6, 6)
        pointer = QPainterPath()
        pointer.moveTo(self.pointer_x - self.POINTER, body.top() + 1)
        pointer.lineTo(self.pointer_x, 1)
        pointer.lineTo(self.pointer_x + self.POINTER, body.top() + 1)
        pointer.closeSubpath()
        path = path.united(pointer)
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
        painter.setBrush(palette.color(QPalette.ColorRole.ToolTipBase))
        painter.drawPath(path)
        painter.end()
        super().paintEvent(event)

    def dismiss(self) -> None:
        if self.dismissed:
            return
        self.dismissed = True
        self._timer.stop()
        self._place_timer.stop()
        self.view.viewport().removeEventFilter(self)
        try:
            self._network_changed.disconnect(self.dismiss)
        except (RuntimeError, TypeError):
            pass
        self.hide()
        self.deleteLater()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Resize:
            self._place_timer.start()
        return False

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.dismiss()
