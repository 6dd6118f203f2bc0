"""Data colours and the small pictures of the Data panel: data set thumbnails and feature icons.

The colours are Playground's: orange for class 0 (its −1), blue for class 1 (its +1), and a
diverging orange–grey–blue map for regression targets and feature values.  Pictures are drawn
once with QPainter into QImages and cached.
"""

from __future__ import annotations

import functools

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPen, QPixmap

from simulator.engine import datasets as _datasets

ORANGE = "#f59322"
BLUE = "#0877bd"
NEUTRAL = "#e8eaeb"
NEUTRAL_DARK = "#4b5055"
# Class colours: Playground's two first, then well-separated hues (tab10 order).
CLASS_COLORS = (
    ORANGE, BLUE, "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
PLANE = 6.0  # generated 2-D data lie in [-PLANE, PLANE]²
_SCALE = 2  # thumbnails are drawn at twice their size, so they stay sharp on HiDPI screens
_THUMBNAIL_SAMPLES = 220


def class_color(k: int) -> str:
    """The colour of class ``k`` (cycling past ten classes)."""
    return CLASS_COLORS[k % len(CLASS_COLORS)]


def neutral_for(background: str) -> str:
    """The colour map's middle: Playground's light grey, or a dark grey on a dark background."""
    return NEUTRAL_DARK if QColor(background).lightness() < 128 else NEUTRAL


def target_scale(y: np.ndarray) -> float:
    """The target magnitude the colour map's ends stand for: 1, or max |y| when larger."""
    return max(float(np.abs(y).max()) if len(y) else 0.0, 1.0)


def diverging_rgba(t: np.ndarray, neutral: str = NEUTRAL) -> np.ndarray:
    """Playground's colour map: t in [-1, 1] -> orange .. ``neutral`` .. blue, (..., 4) uint8."""
    stops = np.array([_rgb(ORANGE), _rgb(neutral), _rgb(BLUE)], dtype=np.float64)
    t = np.clip(np.nan_to_num(np.asarray(t, dtype=np.float64)), -1.0, 1.0)
    out = np.empty(t.shape + (4,), dtype=np.uint8)
    for c in range(3):
        out[..., c] = np.interp(t, (-1.0, 0.0, 1.0), stops[:, c]).round().astype(np.uint8)
    out[..., 3] = 255
    return out


# The decision boundary and neuron maps sit behind the points: Playground paints them at alpha
# 160/255 over its white page, which keeps the dots readable on top.  Bright dots on a dark
# page need a darker background still.
BACKGROUND_STRENGTH = 160 / 255
BACKGROUND_STRENGTH_DARK = 0.42


def background_strength(background: str) -> float:
    """How much of a colour the plane's background keeps over the page colour ``background``."""
    dark = QColor(background).lightness() < 128
    return BACKGROUND_STRENGTH_DARK if dark else BACKGROUND_STRENGTH


MAP_LEVELS = 256  # colour steps of the background lookup tables


def _fade(rgba: np.ndarray, toward: str, strength: float) -> np.ndarray:
    """``rgba`` moved toward the colour ``toward`` (opaque, uint8): ``strength`` 1 keeps it."""
    target = np.array(_rgb(toward), dtype=np.float64)
    out = np.array(rgba, dtype=np.uint8, copy=True)
    rgb = rgba[..., :3].astype(np.float64)
    out[..., :3] = (target + strength * (rgb - target)).round().astype(np.uint8)
    out[..., 3] = 255
    return out


@functools.lru_cache(maxsize=8)
def diverging_lut(background: str = "#ffffff", levels: int = MAP_LEVELS) -> np.ndarray:
    """The background version of :func:`diverging_rgba`: ``levels`` colours for t = −1 … 1
    (index ``round((t + 1) / 2 * (levels − 1))``), faded toward ``background``; (levels, 4)."""
    t = np.linspace(-1.0, 1.0, levels)
    strength = background_strength(background)
    lut = _fade(diverging_rgba(t, neutral_for(background)), background, strength)
    lut.setflags(write=False)
    return lut


@functools.lru_cache(maxsize=8)
def class_lut(n_classes: int, background: str = "#ffffff", levels: int = MAP_LEVELS) -> np.ndarray:
    """Background colours of the predicted class: ``[k, i]`` is class k's colour at certainty
    i / (levels − 1), pale (the map's neutral) at certainty 0; faded toward ``background``;
    (n_classes, levels, 4) uint8."""
    neutral = np.array(_rgb(neutral_for(background)), dtype=np.float64)
    colors = np.array([_rgb(class_color(k)) for k in range(n_classes)], dtype=np.float64)
    certainty = np.linspace(0.0, 1.0, levels)[None, :, None]
    rgb = neutral + certainty * (colors[:, None, :] - neutral)
    rgba = np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255.0)], axis=-1)
    lut = _fade(rgba.round().astype(np.uint8), background, background_strength(background))
    lut.setflags(write=False)
    return lut


def lut_image(lut: np.ndarray, width: int, height: int) -> QImage:
    """A horizontal colour bar of a (levels, 4) lookup table, ``width`` x ``height`` pixels."""
    index = np.linspace(0, len(lut) - 1, width).round().astype(np.intp)
    return _image_from_rgba(np.broadcast_to(lut[index][None], (height, width, 4)))


def _rgb(name: str) -> tuple[int, int, int]:
    color = QColor(name)
    return color.red(), color.green(), color.blue()


def _image_from_rgba(rgba: np.ndarray) -> QImage:
    rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
    h, w = rgba.shape[:2]
    # .copy(): the QImage must own its pixels once the array is gone.
    return QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


@functools.lru_cache(maxsize=64)
def dataset_thumbnail(name: str, size: int = 40, background: str = "#ffffff") -> QImage:
    """A ``size``-pixel picture of data set ``name`` (drawn at twice the size, cached)."""
    px = size * _SCALE
    image = QImage(px, px, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor(background))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    try:
        info = _datasets.info(name)
        if name == "digits":
            _draw_digits(painter, px)
        elif info.input_dim == 1:
            _draw_curve(painter, name, px, background)
        else:
            _draw_points(painter, name, info.kind, px, background)
    finally:
        painter.end()
    image.setDevicePixelRatio(_SCALE)
    return image


def _draw_points(painter: QPainter, name: str, kind: str, px: int, background: str) -> None:
    data = _datasets.generate(name, _THUMBNAIL_SAMPLES, 0.0, seed=0)
    xs = (data.X[:, 0] + PLANE) / (2 * PLANE) * px
    ys = (PLANE - data.X[:, 1]) / (2 * PLANE) * px
    if kind == "regression":
        rgba = diverging_rgba(data.y / target_scale(data.y), neutral_for(background))
        colors = [QColor(*c[:3]) for c in rgba]
    else:
        colors = [QColor(class_color(int(k))) for k in data.y]
    radius = px / 40.0
    painter.setPen(Qt.PenStyle.NoPen)
    for x, y, color in zip(xs, ys, colors):
        painter.setBrush(color)
        painter.drawEllipse(QPointF(x, y), radius, radius)


def _draw_curve(painter: QPainter, name: str, px: int, background: str) -> None:
    data = _datasets.generate(name, 60, 0.0, seed=0)
    xs = (data.X[:, 0] + PLANE) / (2 * PLANE) * px
    ys = (1.5 - data.y) / 3.0 * px
    painter.setPen(QPen(QColor(neutral_for(background)).darker(130), px / 60.0))
    painter.drawLine(QPointF(0, px / 2), QPointF(px, px / 2))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(BLUE))
    radius = px / 36.0
    for x, y in zip(xs, ys):
        painter.drawEllipse(QPointF(x, y), radius, radius)


def _draw_digits(painter: QPainter, px: int) -> None:
    data = _datasets.generate("digits", None, 0.0, seed=0)
    cell = px / 2.0
    pad = px / 20.0
    for slot, digit in enumerate((0, 1, 2, 3)):
        row = int(np.flatnonzero(data.y == digit)[0])
        ink = (255 - data.X[row] * 255).round().astype(np.uint8).reshape(8, 8)
        rgba = np.dstack([ink, ink, ink, np.full_like(ink, 255)])
        target = QRectF(
            (slot % 2) * cell + pad / 2, (slot // 2) * cell + pad / 2, cell - pad, cell - pad
        )
        painter.drawImage(target, _image_from_rgba(rgba))


@functools.lru_cache(maxsize=64)
def dataset_icon(name: str, size: int = 40, background: str = "#ffffff") -> QIcon:
    """The thumbnail of ``name`` as an icon (needs a QGuiApplication)."""
    return QIcon(QPixmap.fromImage(dataset_thumbnail(name, size, background)))


@functools.lru_cache(maxsize=32)
def feature_thumbnail(key: str, size: int = 18) -> QImage:
    """Playground's feature picture: the feature's value over the plane, orange < 0 < blue."""
    px = size * _SCALE
    axis = np.linspace(-PLANE, PLANE, px)
    x1, x2 = np.meshgrid(axis, axis[::-1])
    plane = np.column_stack([x1.ravel(), x2.ravel()])
    values = _datasets.feature_matrix(plane, [key]).reshape(px, px)
    # Squares are >= 0: centre them so they show both colours, as Playground's pictures do.
    if key in ("x1^2", "x2^2"):
        values = values - values.mean()
    values = values / max(float(np.abs(values).max()), 1e-12)
    image = _image_from_rgba(diverging_rgba(values))
    image.setDevicePixelRatio(_SCALE)
    return image


@functools.lru_cache(maxsize=32)
def feature_icon(key: str, size: int = 18) -> QIcon:
    """The picture of feature ``key`` as a checkable icon: vivid when on, faded when off
    (needs a QGuiApplication)."""
    image = feature_thumbnail(key, size)
    faded = QImage(image.size(), QImage.Format.Format_ARGB32_Premultiplied)
    faded.setDevicePixelRatio(image.devicePixelRatio())
    faded.fill(Qt.GlobalColor.transparent)
    painter = QPainter(faded)
    painter.setOpacity(0.3)
    painter.drawImage(0, 0, image)
    painter.end()
    icon = QIcon()
    icon.addPixmap(QPixmap.fromImage(image), QIcon.Mode.Normal, QIcon.State.On)
    icon.addPixmap(QPixmap.fromImage(faded), QIcon.Mode.Normal, QIcon.State.Off)
    return icon
