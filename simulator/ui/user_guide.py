"""Help ▸ User Guide: docs/user-guide.md with its screenshots, in a window of its own.

The guide is Markdown, read by a QTextBrowser from the file itself, so relative image paths
resolve beside it and links to its sections scroll there (Qt's Markdown reader gives headings
no anchors: each heading gets the anchor GitHub would give it, so the same links work on the
web).  Links to web pages open in the desktop's browser.  The guide ships inside the wheel as
the package ``simulator.docs`` (pyproject.toml maps it to docs/); :func:`guide_path` finds it
in a checkout or an installed wheel, as :mod:`simulator.resources_path` finds the resources.
"""

from __future__ import annotations

import importlib.resources
import re
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, QSize, Qt, QUrl
from PySide6.QtGui import QAction, QImage, QKeySequence, QTextCursor, QTextDocument
from PySide6.QtWidgets import QMainWindow, QTextBrowser, QToolBar, QWidget

from simulator.ui.app_icon import app_icon

TITLE = "Backprop Lab User Guide"
GUIDE = "user-guide.md"
# Pictures wider than this are scaled down (smoothly) to it: the window's default width shows
# them whole.  Fixed: a document changed again after it was laid out lost the height of the
# text after its tables (Qt 6.11), so it is prepared once, when it loads.
IMAGE_WIDTH = 900
WINDOW_SIZE = (980, 760)


def docs_root() -> Path:
    """The folder that holds user-guide.md and images/: the checkout's docs/, else the
    installed package simulator.docs."""
    checkout = Path(__file__).resolve().parents[2] / "docs"
    if (checkout / GUIDE).is_file() and (checkout.parent / "pyproject.toml").is_file():
        return checkout
    try:
        return Path(str(importlib.resources.files("simulator.docs")))
    except ModuleNotFoundError:
        return checkout


def guide_path() -> Path:
    """The user guide's Markdown file."""
    return docs_root() / GUIDE


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


class GuideBrowser(QTextBrowser):
    """A QTextBrowser for the guide: anchors on headings, images no wider than the view."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._originals: dict[str, QImage] = {}  # image name -> as read from its file
        # Every load passes here (Back and Forward load without calling doSetSource).
        self.sourceChanged.connect(self._on_source_changed)

    def _on_source_changed(self, url: QUrl) -> None:
        if not self._has_heading_anchors():  # a fresh load, not a jump within the guide
            # Unannounced: QTextBrowser reloads a document it saw change (contentsChanged)
            # at the next link, even one within it, and these are presentation, not edits.
            with QSignalBlocker(self.document()):
                self._add_heading_anchors()
                self._fit_images(url)
            if url.hasFragment():  # straight to a section: there, now that it has anchors
                self.scrollToAnchor(url.fragment())

    def heading_anchors(self) -> list[str]:
        """The anchors of the headings, in order."""
        out = []
        block = self.document().begin()
        while block.isValid():
            if block.blockFormat().headingLevel() > 0:
                out.append(slug(block.text()))
            block = block.next()
        return out

    def image_names(self) -> list[str]:
        """The image paths the document shows, as written in it."""
        return [fmt.name() for _pos, _len, fmt in self._images()]

    def image_sizes(self) -> list[tuple[str, int, int]]:
        """(name, width, height) of each image as shown."""
        return [(f.name(), round(f.width()), round(f.height())) for _p, _n, f in self._images()]

    def _images(self):
        block = self.document().begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                fragment = it.fragment()
                if fragment.isValid() and fragment.charFormat().isImageFormat():
                    image = fragment.charFormat().toImageFormat()
                    yield fragment.position(), fragment.length(), image
                it += 1
            block = block.next()

    def _has_heading_anchors(self) -> bool:
        block = self.document().begin()
        while block.isValid():
            if block.blockFormat().headingLevel() > 0 and block.text().strip():
                return bool(block.begin().fragment().charFormat().anchorNames())
            block = block.next()
        return False

    def _add_heading_anchors(self) -> None:
        cursor = QTextCursor(self.document())
        block = self.document().begin()
        while block.isValid():
            if block.blockFormat().headingLevel() > 0 and block.text().strip():
                cursor.setPosition(block.position())
                cursor.setPosition(
                    block.position() + block.length() - 1, QTextCursor.MoveMode.KeepAnchor
                )
                fmt = cursor.charFormat()
                fmt.setAnchor(True)
                fmt.setAnchorNames([slug(block.text())])
                cursor.mergeCharFormat(fmt)
            block = block.next()
        self.document().setModified(False)

    def _fit_images(self, source: QUrl) -> None:
        """Each image at its own size, or scaled down smoothly to IMAGE_WIDTH (the document
        would scale it pixel by pixel).  ``source``: the document's URL (while sourceChanged
        is being emitted, ``source()`` does not give it yet)."""
        room = IMAGE_WIDTH
        ratio = self.devicePixelRatioF()
        folder = Path(source.toLocalFile()).parent
        cursor = QTextCursor(self.document())
        for position, length, image in list(self._images()):
            name = image.name()
            original = self._originals.get(name)
            if original is None:
                original = QImage(str(folder / name))
            if original.isNull():
                continue
            self._originals[name] = original
            size = original.size()
            shown = size if size.width() <= room else size.scaled(room, 10**6, Qt.KeepAspectRatio)
            if QSize(round(image.width()), round(image.height())) == shown:
                continue
            if shown == size:
                picture = original
            else:
                picture = original.scaled(
                    shown * ratio, Qt.KeepAspectRatio, Qt.SmoothTransformation
                )
                picture.setDevicePixelRatio(ratio)
            self.document().addResource(
                QTextDocument.ResourceType.ImageResource, QUrl(name), picture
            )
            image.setWidth(shown.width())
            image.setHeight(shown.height())
            cursor.setPosition(position)
            cursor.setPosition(position + length, QTextCursor.MoveMode.KeepAnchor)
            cursor.setCharFormat(image)
        self.document().setModified(False)


class UserGuideWindow(QMainWindow):
    """The guide in a browser with Back, Forward and Contents (the top); ``browser`` is the
    GuideBrowser."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("UserGuideWindow")
        self.setWindowTitle(TITLE)
        self.setWindowIcon(app_icon())
        self.browser = GuideBrowser(self)
        self.browser.setAccessibleName("User guide")
        self.browser.setOpenExternalLinks(True)  # web links: the desktop's browser
        self.browser.setSearchPaths([str(docs_root())])
        self.setCentralWidget(self.browser)

        bar = QToolBar("Navigation", self)
        bar.setObjectName("UserGuideToolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        style = self.style().StandardPixmap
        self.back_action = self._action(
            "Back", self.browser.backward, QKeySequence.StandardKey.Back, style.SP_ArrowBack,
            "Back to where you were before the last link",
        )  # fmt: skip
        self.forward_action = self._action(
            "Forward", self.browser.forward, QKeySequence.StandardKey.Forward,
            style.SP_ArrowForward, "Forward again after Back",
        )  # fmt: skip
        self.home_action = self._action(
            "Contents", self.show_contents, "Alt+Home", style.SP_DirHomeIcon,
            "The top of the guide, with its contents",
        )  # fmt: skip
        for action in (self.back_action, self.forward_action, self.home_action):
            bar.addAction(action)
        self.addToolBar(bar)
        self.back_action.setEnabled(False)
        self.forward_action.setEnabled(False)
        self.browser.backwardAvailable.connect(self.back_action.setEnabled)
        self.browser.forwardAvailable.connect(self.forward_action.setEnabled)
        self.resize(*WINDOW_SIZE)
        self.show_contents()

    def _action(self, text, slot, keys, icon, tip: str) -> QAction:
        action = QAction(self.style().standardIcon(icon), text, self)
        action.setShortcut(QKeySequence(keys))
        shown = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({shown})" if shown else tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def show_contents(self) -> None:
        """The guide from its top."""
        path = guide_path()
        if not path.is_file():
            self.browser.setMarkdown(
                f"# {TITLE}\n\nThe guide was not found at `{path}`: this installation lacks "
                "the docs. It is docs/user-guide.md in the source."
            )
            return
        url = QUrl.fromLocalFile(str(path))
        self.browser.setSource(url, QTextDocument.ResourceType.MarkdownResource)
        self.browser.verticalScrollBar().setValue(0)

    def show_section(self, anchor: str) -> None:
        """Scroll to the section whose heading's anchor is ``anchor`` (as in '#anchor')."""
        self.browser.setSource(QUrl.fromLocalFile(str(guide_path())).resolved(QUrl("#" + anchor)))


def open_user_guide(parent: QWidget) -> UserGuideWindow:
    """Help ▸ User Guide: the guide window of ``parent`` (made on first use), shown, raised."""
    window = parent.findChild(UserGuideWindow, options=Qt.FindChildOption.FindDirectChildrenOnly)
    if window is None:
        window = UserGuideWindow(parent)
    window.show()
    window.raise_()
    window.activateWindow()
    return window
