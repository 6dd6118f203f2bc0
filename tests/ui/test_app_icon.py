"""The window carries Backprop Lab's icon (the same files the desktop entry installs)."""

from PySide6.QtCore import QSize

from simulator.ui.app_icon import SIZES, app_icon


def test_the_main_window_has_the_application_icon_in_every_size(main_window):
    icon = main_window.windowIcon()
    assert not icon.isNull()
    assert {QSize(n, n) for n in SIZES} <= set(icon.availableSizes())
    assert icon.cacheKey() != 0 and not app_icon().isNull()
