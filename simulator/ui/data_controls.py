"""The data's settings: input features, noise, test split, sample count and Regenerate."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QStyle,
    QToolButton,
    QWidget,
)

from simulator.app.document import Document
from simulator.engine import datasets as _datasets
from simulator.project.project import named_feature_label
from simulator.ui import thumbnails
from simulator.ui.spin_boxes import NumberSpinBox

LIVE_SLIDER_SAMPLES = 20_000  # above this, sliders apply on release rather than live


def _tipped(widget: QWidget, tip: str) -> QWidget:
    widget.setToolTip(tip)
    return widget


def _pair(slider: QSlider, spin: QWidget, tip: str) -> QHBoxLayout:
    slider.setToolTip(tip)
    spin.setToolTip(tip)
    spin.setMinimumWidth(64)
    row = QHBoxLayout()
    row.setSpacing(6)
    row.addWidget(slider, 1)
    row.addWidget(spin)
    return row


class DataControls(QWidget):
    """The input feature buttons (``feature_buttons``, by feature key), noise and test-split
    sliders with their spin boxes, the sample count and Regenerate.  Every edit writes through
    the Document's methods; :meth:`refresh` reads the document back with QSignalBlocker, so it
    never echoes as an edit.  A refused edit is reported through ``message``."""

    message = Signal(str)  # a readable error for the status bar

    def __init__(self, document: Document, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(8)
        form.setVerticalSpacing(4)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        features = QGridLayout()
        features.setSpacing(3)
        self.feature_buttons: dict[str, QToolButton] = {}
        for k, (key, label) in enumerate(_datasets.FEATURES.items()):
            button = QToolButton()
            button.setText(label)
            button.setIcon(thumbnails.feature_icon(key))
            button.setIconSize(QSize(16, 16))
            button.setCheckable(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.toggled.connect(lambda on, key=key: self._on_feature_toggled(key, on))
            self.feature_buttons[key] = button
            features.addWidget(button, k // 4, k % 4)
        self.features_label = QLabel("Input features")
        form.addRow(self.features_label)
        form.addRow(features)

        self.noise_slider = QSlider(Qt.Orientation.Horizontal)
        self.noise_slider.setRange(0, 100)
        self.noise_slider.setPageStep(10)
        self.noise_spin = NumberSpinBox()
        self.noise_spin.setRange(0.0, _datasets.MAX_NOISE)
        self.noise_spin.setDecimals(2)
        self.noise_spin.setSingleStep(0.05)
        self.noise_spin.setKeyboardTracking(False)
        tip = "How much noise blurs the data: 0 is clean, 1 the most (Playground's 50 is 0.5)"
        form.addRow(_tipped(QLabel("Noise"), tip),
                    _pair(self.noise_slider, self.noise_spin, tip))  # fmt: skip
        self.noise_slider.valueChanged.connect(
            lambda v: self._apply(self.document.set_noise, v / 100.0)
        )
        self.noise_spin.valueChanged.connect(lambda v: self._apply(self.document.set_noise, v))

        max_test = round(_datasets.MAX_TEST_RATIO * 100)
        self.test_slider = QSlider(Qt.Orientation.Horizontal)
        self.test_slider.setRange(0, max_test)
        self.test_slider.setPageStep(10)
        self.test_spin = QSpinBox()
        self.test_spin.setRange(0, max_test)
        self.test_spin.setSuffix("%")  # "20%", as percentages read elsewhere
        self.test_spin.setSingleStep(5)
        self.test_spin.setKeyboardTracking(False)
        tip = "Share of the samples held out as test data (never trained on)"
        form.addRow(_tipped(QLabel("Test data"), tip),
                    _pair(self.test_slider, self.test_spin, tip))  # fmt: skip
        self.test_slider.valueChanged.connect(
            lambda v: self._apply(self.document.set_test_ratio, v / 100.0)
        )
        self.test_spin.valueChanged.connect(
            lambda v: self._apply(self.document.set_test_ratio, v / 100.0)
        )

        self.samples_spin = QSpinBox()
        self.samples_spin.setRange(1, _datasets.MAX_SAMPLES)
        self.samples_spin.setSingleStep(50)
        self.samples_spin.setGroupSeparatorShown(True)
        self.samples_spin.setKeyboardTracking(False)
        self.samples_spin.valueChanged.connect(
            lambda n: self._apply(self.document.set_n_samples, n)
        )
        self.regenerate_button = QPushButton("Regenerate")
        self.regenerate_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_BrowserReload)
        )
        self.regenerate_button.setToolTip("Draw a fresh sample of the same data set (undoable)")
        self.regenerate_button.clicked.connect(lambda: self._apply(self.document.regenerate))
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.samples_spin, 1)
        row.addWidget(self.regenerate_button)
        tip = "How many samples to generate, training and test together"
        self.samples_spin.setToolTip(tip)
        form.addRow(_tipped(QLabel("Samples"), tip), row)

    def _apply(self, method, *args) -> bool:
        try:
            method(*args)
        except ValueError as exc:
            self.message.emit(str(exc))
            self.refresh()  # back to the document's value
            return False
        return True

    def _on_feature_toggled(self, key: str, on: bool) -> None:
        features = [f for f in self.document.project.data.features if f != key]
        if on:
            features.append(key)
        self._apply(self.document.set_features, features)

    def refresh(self) -> None:
        """Show the document's data settings."""
        doc = self.document
        spec = doc.project.data
        inline = spec.is_inline
        planar = spec.input_dim == 2
        tip_off = "Input features apply to 2-D data only; this data feeds its raw inputs"
        # Imported 2-D data keeps the buttons' x1, x2 (the features are the same functions of
        # any plane) and says in the tooltips which column each stands for.
        names = spec.feature_names if inline and planar else None
        for key, button in self.feature_buttons.items():
            with QSignalBlocker(button):
                button.setChecked(planar and key in spec.features)
            button.setEnabled(planar)
            label = _datasets.FEATURES[key]
            if names is not None:
                named = named_feature_label(key, names)
                label = f"{label} = {named}" if named != label else label
            button.setToolTip(
                f"Feed {label} to the network as an input neuron" if planar else tip_off
            )
        self.features_label.setEnabled(planar)
        point = "(x1, x2)"
        if names is not None:
            point = f"(x1, x2) = ({names[0]}, {names[1]})"
        self.features_label.setToolTip(
            f"The network's inputs: functions of the point {point}" if planar else tip_off
        )

        with QSignalBlocker(self.noise_slider), QSignalBlocker(self.noise_spin):
            self.noise_slider.setValue(round(spec.noise * 100))
            self.noise_spin.setValue(spec.noise)
        with QSignalBlocker(self.test_slider), QSignalBlocker(self.test_spin):
            self.test_slider.setValue(round(spec.test_ratio * 100))
            self.test_spin.setValue(round(spec.test_ratio * 100))
        n_total = doc.data.dataset.n_samples
        with QSignalBlocker(self.samples_spin):
            high = _datasets.DIGITS_SAMPLES if spec.dataset == "digits" else _datasets.MAX_SAMPLES
            self.samples_spin.setMaximum(high)
            self.samples_spin.setValue(spec.n_base)  # generated: drawn points not counted
        # Redrawing a big data set takes a while: then sliders apply when released.
        for slider in (self.noise_slider, self.test_slider):
            slider.setTracking(n_total <= LIVE_SLIDER_SAMPLES)
        # Training on the drawn points alone: the generated samples' settings change nothing.
        only = spec.drawn is not None and spec.drawn.only
        for widget in (self.noise_slider, self.noise_spin, self.samples_spin,
                       self.regenerate_button, self.test_slider, self.test_spin):  # fmt: skip
            generated = widget not in (self.test_slider, self.test_spin)
            widget.setEnabled(not (inline and generated) and not only)
        tip = "How many samples to generate, training and test together"
        if spec.n_drawn:
            tip += f" (your {spec.n_drawn:,} drawn points come on top, all for training)"
        if only:
            tip = "Off while training on the drawn points only (untick “Only drawn”)"
        self.samples_spin.setToolTip(tip)
