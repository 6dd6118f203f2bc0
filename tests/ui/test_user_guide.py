"""Help ▸ User Guide: the guide (docs/user-guide.md) with its pictures in a window of its own,
its links to sections working, and the guide shipped inside the wheel as simulator.docs."""

import re
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtGui import QKeySequence, QTextCursor, QTextDocument

from simulator.ui import user_guide
from simulator.ui.user_guide import UserGuideWindow, guide_path, slug

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
GUIDE_TEXT = (DOCS / "user-guide.md").read_text(encoding="utf-8")
SECTION_LINK = re.compile(r"\]\(#([^)]+)\)")
PICTURE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


def headings(markdown: str) -> list[str]:
    """The headings' texts, outside fenced code."""
    out, fenced = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif line.startswith("#") and not fenced:
            out.append(line.lstrip("#").strip())
    return out


def open_guide(qtbot, window) -> UserGuideWindow:
    action = window.user_guide_action
    assert action in window.help_menu.actions()
    action.trigger()
    guide = window.findChild(UserGuideWindow)
    assert guide is not None
    qtbot.waitUntil(guide.isVisible)
    qtbot.waitExposed(guide)
    return guide


def link_point(browser, anchor: str) -> QPoint:
    """A viewport point inside the link to ``#anchor``, scrolled into view."""
    block = browser.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.charFormat().anchorHref() == "#" + anchor:
                cursor = QTextCursor(browser.document())
                cursor.setPosition(fragment.position() + fragment.length() // 2)
                browser.setTextCursor(cursor)
                browser.ensureCursorVisible()
                return browser.cursorRect(cursor).center()
            it += 1
        block = block.next()
    raise AssertionError(f"no link to #{anchor}")


def test_help_user_guide_opens_the_guide_with_its_pictures(main_window, qtbot):
    guide = open_guide(qtbot, main_window)
    browser = guide.browser
    assert Path(browser.source().toLocalFile()) == guide_path() == DOCS / "user-guide.md"
    title = GUIDE_TEXT.splitlines()[0].removeprefix("# ")
    assert browser.document().toPlainText().startswith(title)
    written = PICTURE.findall(GUIDE_TEXT)
    assert len(written) >= 6 and browser.image_names() == written
    for name in written:
        assert (DOCS / name).is_file(), name
        picture = browser.document().resource(QTextDocument.ResourceType.ImageResource, QUrl(name))
        assert picture is not None and not picture.isNull(), name
    # A picture wider than the window's default width is shown scaled to fit it, not cut off.
    for name, width, height in browser.image_sizes():
        assert 0 < width <= user_guide.IMAGE_WIDTH < browser.viewport().width(), name
        assert height > 0, name
    # Triggered again: the same window, raised.
    main_window.user_guide_action.trigger()
    assert main_window.findChildren(UserGuideWindow) == [guide]


def test_every_link_to_a_section_has_its_heading(main_window, qtbot):
    browser = open_guide(qtbot, main_window).browser
    anchors = browser.heading_anchors()
    links = SECTION_LINK.findall(GUIDE_TEXT)
    assert len(links) >= 10
    assert not [link for link in links if link not in anchors]
    assert anchors == [slug(h) for h in headings(GUIDE_TEXT)]


def test_clicking_a_contents_link_scrolls_to_its_section_and_back_returns(main_window, qtbot):
    guide = open_guide(qtbot, main_window)
    browser = guide.browser
    bar = browser.verticalScrollBar()
    target = SECTION_LINK.findall(GUIDE_TEXT)[-1]  # the last section: far down
    qtbot.mouseClick(browser.viewport(), Qt.MouseButton.LeftButton, pos=link_point(browser, target))
    qtbot.waitUntil(lambda: browser.source().fragment() == target)
    qtbot.waitUntil(lambda: bar.value() > 0)
    # The section's heading is at the top of the view (or the view is scrolled to the end).
    block = browser.document().begin()
    while slug(block.text()) != target or block.blockFormat().headingLevel() == 0:
        block = block.next()
    cursor = QTextCursor(block)
    top = browser.cursorRect(cursor).top()
    assert 0 <= top < 60 or (bar.value() == bar.maximum() and top >= 0)
    assert guide.back_action.isEnabled()
    guide.back_action.trigger()
    qtbot.waitUntil(lambda: not browser.source().hasFragment())
    guide.home_action.trigger()
    qtbot.waitUntil(lambda: bar.value() == 0)


def test_the_navigation_actions_have_keys_and_tooltips(main_window, qtbot):
    guide = open_guide(qtbot, main_window)
    for action in (guide.back_action, guide.forward_action, guide.home_action):
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        assert keys and keys in action.toolTip()


def test_the_guide_names_every_shortcut_of_the_main_window(main_window):
    text = GUIDE_TEXT.replace("→", "Right")
    for action in main_window.actions():
        for keys in action.shortcuts():
            assert keys.toString() in text, (action.text(), keys.toString())


def test_a_missing_guide_is_said_in_the_window(main_window, qtbot, monkeypatch, tmp_path):
    monkeypatch.setattr(user_guide, "docs_root", lambda: tmp_path)
    guide = open_guide(qtbot, main_window)
    assert "not found" in guide.browser.document().toPlainText()


def test_the_wheel_ships_the_guide_and_every_picture_it_shows():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11 on
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "simulator.docs" in setuptools["packages"]
    assert setuptools["package-dir"]["simulator.docs"] == "docs"
    patterns = setuptools["package-data"]["simulator.docs"]
    shipped = {p for pattern in patterns for p in DOCS.glob(pattern)}
    assert all(list(DOCS.glob(pattern)) for pattern in patterns), patterns
    assert DOCS / "user-guide.md" in shipped
    for name in PICTURE.findall(GUIDE_TEXT):
        assert DOCS / name in shipped, name


def test_every_picture_in_the_readme_exists_and_is_small():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    pictures = PICTURE.findall(readme)
    assert pictures, "the README shows no screenshot"
    for name in pictures:
        path = ROOT / name
        assert path.is_file(), name
    for path in (DOCS / "images").glob("*.png"):
        assert path.stat().st_size < 400_000, path.name
