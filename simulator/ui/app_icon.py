"""The application's icon (resources/icons): the window icon of every window, and the desktop
entry's (packaging/install-desktop.sh installs the same files in the icon theme)."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from simulator.resources_path import resource

DESKTOP_ID = "org.backproplab.BackpropLab"  # the desktop entry and AppStream id (packaging/)
SIZES = (16, 32, 48, 64, 128, 256, 512)  # the PNGs packaging/make_icons.py renders


def app_icon() -> QIcon:
    """Backprop Lab's icon, from its PNG sizes (no SVG icon plugin needed)."""
    icon = QIcon()
    for size in SIZES:
        path = resource("icons", f"backprop-lab-{size}.png")
        if path.is_file():
            icon.addFile(str(path))
    return icon
