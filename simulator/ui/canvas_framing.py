"""How the network sits in the canvas's view: fitted into the room the legend leaves (and kept
fitted after edits unless the user zoomed), in both directions (a long network's rows spread out
to use the height its width leaves), never shrunk below a readable text size (it scrolls
instead), zoomed within limits, with the legend and the notice in the bottom-left corner."""

from __future__ import annotations

from PySide6.QtCore import QObject, QRectF, QSettings
from PySide6.QtGui import QTransform
from PySide6.QtWidgets import QGraphicsView, QWidget

from simulator.ui.canvas_items import CanvasLegend
from simulator.ui.canvas_layout import ROW_SPACING

MAX_FIT_SCALE = 1.25  # fitting never blows a small network up beyond this
MIN_TEXT_PX = 7.0  # fitting never draws the smallest text (a neuron's value) smaller: it scrolls
MAX_ROW_STRETCH = 2.0  # a long network's rows spread out to at most this times their spacing
RESPACE_CHANGE = 0.08  # a row spacing this much off what the view wants is rebuilt
REFIT_GROWTH = 1.3  # an edit that leaves this much room zooms the view back in
MIN_SCALE, MAX_SCALE = 0.05, 6.0
LEGEND_MARGIN = 10
LEGEND_BESIDE_RATIO = 1.6  # viewport width/height from which the legend sits beside
LEGEND_BESIDE_WIDTH = 300.0  # the legend's width there (its rows wrap)
SETTINGS_LEGEND = "canvas/legend_collapsed"


class ViewFraming(QObject):
    """Frames ``view``'s scene: fit, keep fitted, zoom; and places the overlays, ``legend``
    (beside the network in a wide view, under it in a tall one; folded or not, remembered in
    QSettings) and ``notice`` just above it."""

    def __init__(self, view: QGraphicsView, legend: CanvasLegend, notice: QWidget):
        super().__init__(view)
        self._view = view
        self._legend = legend
        self._notice = notice
        self._user_zoomed = False
        self._readable = 0.0  # the smallest scale at which the smallest text stays readable
        legend.set_collapsed(QSettings().value(SETTINGS_LEGEND, False, type=bool))
        legend.collapsed_changed.connect(self._on_legend_collapsed)

    @property
    def user_zoomed(self) -> bool:
        """The user zoomed: the view no longer fits itself to the network."""
        return self._user_zoomed

    def set_smallest_text(self, pixels: float) -> None:
        """The scene's smallest text is ``pixels`` high at scale 1: fitting never shrinks it
        below MIN_TEXT_PX."""
        self._readable = MIN_TEXT_PX / pixels if pixels > 0 else 0.0

    def fit(self) -> None:
        """Fit the whole network into the view (or, if that would make its text unreadable,
        as much as fits at the smallest readable scale, from its inputs on); later edits keep
        it fitted."""
        self._user_zoomed = False
        scale = self._fitting_scale()
        if scale is not None:
            view = self._view
            view.setTransform(QTransform.fromScale(scale, scale))
            self._place_beside_legend(scale)
            view.centerOn(view.sceneRect().center())
            # Too long to fit readably: it scrolls, and starts where the story starts.
            for bar in (view.horizontalScrollBar(), view.verticalScrollBar()):
                bar.setValue(bar.minimum())

    def row_spacing(self, rect: QRectF, spacing: float, rows: float) -> float:
        """The row spacing that lets a network fill the view's height at the scale its width
        allows: ``rect`` is its scene rect built with ``spacing``, its tallest column ``rows``
        spacings high.  At least ROW_SPACING; a network its width does not limit keeps it."""
        width, height = self._room()
        if rows <= 0 or rect.isEmpty() or width < 2 or height < 2:
            return ROW_SPACING
        by_width = width / rect.width() * 0.995
        if by_width >= MAX_FIT_SCALE:
            return ROW_SPACING
        scale = max(by_width, min(self._readable, MAX_FIT_SCALE))
        bar = self._view.horizontalScrollBar()
        if scale > by_width and not bar.isVisible():  # it will scroll sideways
            height -= bar.sizeHint().height()
        fixed = rect.height() - spacing * rows
        wanted = (height * 0.99 / scale - fixed) / rows
        return max(ROW_SPACING, min(ROW_SPACING * MAX_ROW_STRETCH, wanted))

    def zoom(self, factor: float) -> None:
        """Zoom by ``factor`` about the mouse (or the centre); the view stops auto-fitting."""
        scale = self._view.transform().m11()
        factor = max(MIN_SCALE / scale, min(MAX_SCALE / scale, factor))
        self._view.scale(factor, factor)
        self._user_zoomed = True

    def keep_fitted(self) -> None:
        """After an edit: shrink if the network no longer fits, grow only if it would grow by
        a lot; small edits keep the scale, and (top-aligned) the headers stay where they were,
        so a second quick click on a button still hits it."""
        scale = self._fitting_scale()
        view = self._view
        if self._user_zoomed or scale is None:
            view.setSceneRect(view.scene().sceneRect())  # scroll over the whole (new) scene
            return
        current = view.transform().m11()
        if scale < current or scale > current * REFIT_GROWTH:
            self.fit()
        else:  # the scene may have changed size: keep the network clear of the legend
            self._place_beside_legend(current)

    def show_legend(self, title: str, rows: list, refit: bool) -> None:
        """Put ``title`` and ``rows`` in the legend; if it changed height and ``refit``, keep
        the network fitted clear of it."""
        height = self._legend.height()
        self._legend.set_content(title, rows)
        self.place_overlays()
        if self._legend.height() != height and refit:
            self.keep_fitted()  # a taller legend: the fitted network stays clear of it

    def resized(self) -> None:
        """The view changed size: the legend's width, the overlays, the fit follow."""
        self._size_legend()
        self.place_overlays()
        if not self._user_zoomed:
            self.fit()
        self.place_overlays()

    def place_overlays(self) -> None:
        """The legend in the bottom-left corner, a notice just above it."""
        view = self._view.viewport().rect()
        legend_top = view.height() - self._legend.height() - LEGEND_MARGIN
        self._legend.move(LEGEND_MARGIN, max(0, legend_top))
        self._notice.move(12, max(0, legend_top - self._notice.height() - 6))

    def _legend_beside(self) -> bool:
        # A wide, short canvas (the default window) puts the network beside a narrow legend,
        # a taller one above a wide legend.  This depends on the view's shape only, never on
        # the network, so an edit never moves the network (and a button) sideways.
        # A folded legend is one line: under the network it costs the least room.
        view = self._view.viewport().rect()
        if self._legend.collapsed:
            return False
        return view.width() >= LEGEND_BESIDE_RATIO * view.height() and view.width() >= 600

    def _size_legend(self) -> None:
        # Beside the network: a steady, narrow legend.  Under it: as wide as the view allows.
        if self._legend_beside():
            self._legend.set_max_width(LEGEND_BESIDE_WIDTH)
        else:
            width = self._view.viewport().width() - 2 * LEGEND_MARGIN
            self._legend.set_max_width(width, fixed=False)

    def _on_legend_collapsed(self, collapsed: bool) -> None:
        QSettings().setValue(SETTINGS_LEGEND, collapsed)
        self._size_legend()
        self.place_overlays()
        if self._user_zoomed:
            self.keep_fitted()
        else:
            self.fit()

    def _room(self) -> tuple[int, int]:
        # The legend sits in the bottom-left corner: the fitted network stays clear of it.
        view = self._view.viewport().rect()
        width, height = view.width(), view.height()
        if self._legend_beside():
            width -= self._legend.width() + LEGEND_MARGIN
        else:
            height -= self._legend.height() + LEGEND_MARGIN
        return width, height

    def _fitting_scale(self) -> float | None:
        rect = self._view.scene().sceneRect()
        width, height = self._room()
        if rect.isEmpty() or width < 2 or height < 2:
            return None
        # A hair under the exact fit, so rounding never brings up the scroll bars.
        fitting = min(width / rect.width(), height / rect.height()) * 0.995
        return max(min(fitting, MAX_FIT_SCALE), min(self._readable, MAX_FIT_SCALE))

    def _place_beside_legend(self, scale: float) -> None:
        # Beside the legend: the view's scene rect reaches left by the legend's width, so the
        # centred network sits in the part of the view right of the legend.
        rect = self._view.scene().sceneRect()
        if self._legend_beside():
            rect = rect.adjusted(-(self._legend.width() + LEGEND_MARGIN) / scale, 0, 0, 0)
        self._view.setSceneRect(rect)
