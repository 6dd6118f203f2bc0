"""View ▸ Appearance: the system's colours, or light or dark whatever the system says.

"System" leaves the style and palette the platform gave the application.  "Light" and "Dark"
switch to Qt's Fusion style with its light palette or :func:`dark_palette`, and tell Qt the
colour scheme (``QStyleHints.setColorScheme``, where this Qt has it) so native parts follow.
Every view already repaints on a palette change, so the switch is live.  The choice is kept in
QSettings (``view/appearance``) and applied when the window opens.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup, QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QMenu, QStyleFactory, QWidget

KEY = "view/appearance"
CHOICES = (
    ("system", "&System Colours", "Follow the desktop's light or dark colours"),
    ("light", "&Light", "Dark text on light backgrounds, whatever the desktop uses"),
    ("dark", "&Dark", "Light text on dark backgrounds, whatever the desktop uses"),
)
_ORIGINAL = "backprop_lab_original_look"  # application properties: the platform's own look
_APPLIED = "backprop_lab_appearance"  # and the choice applied last


def dark_palette() -> QPalette:
    """Fusion's colours turned dark: light grey text on #353535 (windows) and #232323 (fields)."""
    palette = QPalette()
    roles = QPalette.ColorRole
    colours = {
        roles.Window: "#353535",
        roles.WindowText: "#e6e6e6",
        roles.Base: "#232323",
        roles.AlternateBase: "#2c2c2c",
        roles.ToolTipBase: "#2c2c2c",
        roles.ToolTipText: "#e6e6e6",
        roles.PlaceholderText: "#8c8c8c",
        roles.Text: "#e6e6e6",
        roles.Button: "#3c3c3c",
        roles.ButtonText: "#e6e6e6",
        roles.BrightText: "#ff6b6b",
        roles.Light: "#505050",
        roles.Midlight: "#444444",
        roles.Mid: "#808080",
        roles.Dark: "#1e1e1e",
        roles.Shadow: "#121212",
        roles.Highlight: "#3d8ee0",
        roles.HighlightedText: "#ffffff",
        roles.Link: "#6cb4ff",
        roles.LinkVisited: "#b58cff",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        palette.setColor(disabled, role, QColor("#7a7a7a"))
    palette.setColor(disabled, roles.Base, QColor("#2c2c2c"))
    palette.setColor(disabled, roles.Highlight, QColor("#505050"))
    return palette


def current(settings: QSettings) -> str:
    """The kept choice: "system", "light" or "dark"."""
    value = str(settings.value(KEY, "system"))
    return value if value in {key for key, _, _ in CHOICES} else "system"


def apply(choice: str) -> None:
    """Give the application the look ``choice`` names (the platform's own for "system")."""
    app = QApplication.instance()
    if app is None:
        return
    original = app.property(_ORIGINAL)
    if original is None:
        if choice == "system":
            return  # nothing was changed: the platform's look is on
        original = (app.style().name(), QPalette(app.palette()))  # to go back to
        app.setProperty(_ORIGINAL, original)
    if app.property(_APPLIED) == choice:
        return
    app.setProperty(_APPLIED, choice)
    scheme = {"light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}
    hints = QGuiApplication.styleHints()
    if hasattr(hints, "setColorScheme"):
        hints.setColorScheme(scheme.get(choice, Qt.ColorScheme.Unknown))
    if choice in scheme:
        fusion = QStyleFactory.create("Fusion")
        app.setStyle(fusion)
        app.setPalette(dark_palette() if choice == "dark" else fusion.standardPalette())
    else:
        style_name, palette = original
        app.setStyle(QStyleFactory.create(style_name) or app.style())
        app.setPalette(palette)


class AppearanceMenu(QObject):
    """The View ▸ Appearance submenu (``menu``): one checked choice, applied and kept."""

    def __init__(self, settings: QSettings, parent: QWidget):
        super().__init__(parent)
        self.settings = settings
        self.menu = QMenu("&Appearance", parent)
        self.menu.setToolTipsVisible(True)
        self.group = QActionGroup(self)
        self.group.setExclusive(True)
        self.actions: dict[str, QAction] = {}
        chosen = current(settings)
        for key, label, tip in CHOICES:
            action = QAction(label, self.menu)
            action.setCheckable(True)
            action.setChecked(key == chosen)
            action.setToolTip(tip)
            action.setStatusTip(tip)
            action.triggered.connect(lambda _checked=False, key=key: self.choose(key))
            self.group.addAction(action)
            self.menu.addAction(action)
            self.actions[key] = action
        if chosen != "system":
            apply(chosen)

    def choose(self, key: str) -> None:
        """Switch to ``key`` now and keep it for the next launch."""
        self.actions[key].setChecked(True)
        self.settings.setValue(KEY, key)
        apply(key)
