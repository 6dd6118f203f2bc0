"""Every control in the window and in the tools it opens says what it does in a tooltip
(Qt's own buttons aside: a dock's float and close, a tab bar's scroll arrows)."""

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QSlider,
    QToolButton,
)

CONTROLS = (QAbstractButton, QComboBox, QAbstractSpinBox, QSlider, QLineEdit)


def qt_own(widget) -> bool:
    name = widget.objectName()
    return name.startswith("qt_") or name in ("ScrollLeftButton", "ScrollRightButton")


def tip(widget) -> str:
    text = widget.toolTip()
    if not text and isinstance(widget, QToolButton) and widget.defaultAction() is not None:
        text = widget.defaultAction().toolTip()
    return text


def without_tips(root) -> list[str]:
    missing = []
    for kind in CONTROLS:
        for widget in root.findChildren(kind):
            if qt_own(widget) or isinstance(widget.parent(), (QAbstractSpinBox, QComboBox)):
                continue  # the spin box's or combo box's own editor: the box has the tip
            if not tip(widget).strip():
                text = widget.text() if hasattr(widget, "text") else ""
                missing.append(f"{type(widget).__name__} {text!r} in {type(root).__name__}")
    return missing


def test_every_control_of_the_window_and_its_tools_has_a_tooltip(qtbot, main_window):
    window = main_window
    window.lab_action.trigger()
    window.compare_action.trigger()
    windows = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    assert len(windows) >= 3  # the main window, the lab, Compare
    missing = [m for w in windows for m in without_tips(w)]
    assert missing == [], "\n".join(missing)
