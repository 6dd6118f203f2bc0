"""The Settings panel: loss, optimizer and its own parameters, learning rate and schedule,
batching, regularization, initialisation and seed.

Every editor writes through the Document's methods; the panel refreshes from the document's
signals with QSignalBlocker, so programmatic updates never echo back as edits.  A ValueError
from the document becomes a ``message`` and the editor goes back to the document's value.
"""

from __future__ import annotations

import random

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from simulator.app import numbers
from simulator.app.document import Document
from simulator.engine import initializers as _initializers
from simulator.engine import losses as _losses
from simulator.engine import optimizers as _optimizers
from simulator.engine import schedules as _schedules
from simulator.ui import formula_tips as tips
from simulator.ui.spin_boxes import NumberSpinBox

# Playground's learning rates and regularization rates (0 is "off" for the latter).
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REGULARIZATION_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
ONE_THREE = tuple(m * 10.0**e for e in range(-6, 2) for m in (1.0, 3.0))  # 1e-6, 3e-6 ... 30
DECADES = tuple(10.0**e for e in range(-12, 1))  # 1e-12 ... 1
CLIP_NORMS = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
MAX_SEED = 2**31 - 1
DEFAULT_MINI_BATCH = 10
FULL, MINI, STOCHASTIC = 0, 1, 2

SCHEDULE_TITLES = {
    "constant": "Constant",
    "step": "Step decay",
    "exponential": "Exponential decay",
    "cosine": "Cosine annealing",
}
SCHEDULE_DEFAULTS = {
    "constant": {},
    "step": {"step_size": 10, "gamma": 0.1},
    "exponential": {"gamma": 0.95},
    "cosine": {"T_max": 100, "eta_min": 0.0},
}
# Schedule parameter -> label (the tooltips, with their formulas, are in formula_tips).
SCHEDULE_LABELS = {
    "step_size": "Every",
    "gamma": "Factor γ",
    "T_max": "Period",
    "eta_min": "Minimum",
}

# Optimizer parameter -> label.  Which ones show comes from the optimizer itself.
OPTIMIZER_LABELS = {
    "lr": "Learning rate",
    "momentum": "Momentum μ",
    "dampening": "Dampening τ",
    "weight_decay": "Weight decay λ",
    "betas": "Betas β₁, β₂",
    "eps": "Epsilon ε",
    "alpha": "Alpha α",
    "lr_decay": "LR decay",
    "initial_accumulator_value": "Initial sum",
    "nesterov": "Nesterov",
    "centered": "Centered",
    "amsgrad": "AMSGrad",
    "maximize": "Maximize",
}
_FLAGS = ("nesterov", "centered", "amsgrad", "maximize")


class LogSpinBox(NumberSpinBox):
    """A spin box for values spanning decades: the arrows walk a ladder (0.001, 0.003, 0.01…),
    any value can be typed ("1e-5" as well as the shown "1×10⁻⁵"), and the minimum can read
    as ``off``."""

    def __init__(
        self,
        ladder,
        minimum: float = 0.0,
        maximum: float = 10.0,
        off_text: str = "",
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self._ladder = tuple(sorted(ladder))
        self.setDecimals(15)
        self.setRange(minimum, maximum)
        self.setKeyboardTracking(False)
        self.setSpecialValueText(off_text)
        self.setMinimumWidth(80)

    def ladder(self) -> tuple[float, ...]:
        return self._ladder

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt's name
        return numbers.fmt(value, 6)  # "0.003", "1×10⁻⁵": as the window writes them

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt's name
        value = self.value()
        for _ in range(abs(steps)):
            value = self._next(value, up=steps > 0)
        self.setValue(value)

    def _next(self, value: float, up: bool) -> float:
        low, high = self.minimum(), self.maximum()
        if up:
            rungs = [r for r in self._ladder if r > value * (1 + 1e-9) + 1e-300 and r <= high]
            return rungs[0] if rungs else high
        rungs = [r for r in self._ladder if r < value * (1 - 1e-9) and r >= low]
        return rungs[-1] if rungs else low


class PairEditor(QWidget):
    """Two spin boxes side by side (Adam's betas)."""

    changed = Signal(float, float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        self.first = _spin(0.0, 0.9999, 0.01, 4)
        self.second = _spin(0.0, 0.9999, 0.001, 4)
        for spin in (self.first, self.second):
            spin.valueChanged.connect(self._on_value_changed)
            row.addWidget(spin, 1)

    def values(self) -> tuple[float, float]:
        return self.first.value(), self.second.value()

    def set_values(self, values) -> None:
        with QSignalBlocker(self.first), QSignalBlocker(self.second):
            self.first.setValue(float(values[0]))
            self.second.setValue(float(values[1]))

    def _on_value_changed(self, _value: float) -> None:
        self.changed.emit(*self.values())


def _spin(low: float, high: float, step: float, decimals: int) -> QDoubleSpinBox:
    spin = NumberSpinBox()
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setDecimals(decimals)
    spin.setKeyboardTracking(False)
    return spin


def _optimizer_editor(key: str) -> QWidget:
    """A fresh editor for optimizer parameter ``key``."""
    if key in _FLAGS:
        return QCheckBox(OPTIMIZER_LABELS[key])
    if key == "betas":
        return PairEditor()
    if key == "momentum":
        return _spin(0.0, 0.999, 0.05, 3)
    if key == "dampening":
        return _spin(0.0, 1.0, 0.1, 3)
    if key == "alpha":
        return _spin(0.0, 0.9999, 0.01, 4)
    if key == "initial_accumulator_value":
        return _spin(0.0, 10.0, 0.1, 3)
    if key in ("weight_decay", "lr_decay"):
        return LogSpinBox(ONE_THREE, 0.0, 10.0, off_text="0")
    if key == "eps":
        return LogSpinBox(DECADES, 0.0, 1.0)
    raise ValueError(f"no editor for optimizer parameter {key!r}")


class SettingsPanel(QWidget):
    """How the network learns: loss, optimizer, schedule, batches, regularization, init."""

    message = Signal(str)  # a readable error for the status bar

    def __init__(self, document: Document, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.optimizer_editors: dict[str, QWidget] = {}
        self.schedule_editors: dict[str, QWidget] = {}
        self._optimizer_rows: list[QWidget] = []
        self._schedule_rows: list[QWidget] = []
        self._shown_optimizer: str | None = None
        self._shown_schedule: str | None = None
        self._mini_batch = DEFAULT_MINI_BATCH

        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(4, 4, 4, 4)
        column.setSpacing(6)
        column.addWidget(self._build_optimizer_group())
        column.addWidget(self._build_batch_group())
        column.addWidget(self._build_regularization_group())
        column.addWidget(self._build_init_group())
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._content = content
        self._scroll = scroll
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        document.settings_changed.connect(self._refresh)
        document.network_changed.connect(self._refresh)
        document.data_changed.connect(self._refresh_batch)
        document.project_replaced.connect(self._refresh)
        self._refresh()

    # ----------------------------------------------------------------- building
    @staticmethod
    def _form(group: QGroupBox) -> QFormLayout:
        form = QFormLayout(group)
        form.setContentsMargins(6, 6, 6, 6)
        form.setHorizontalSpacing(6)
        form.setVerticalSpacing(4)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return form

    @staticmethod
    def _label(text: str, tip: str) -> QLabel:
        label = QLabel(text)
        label.setToolTip(tip)
        return label

    def _build_optimizer_group(self) -> QGroupBox:
        group = QGroupBox("Loss && optimizer")
        form = self._optimizer_form = self._form(group)

        self.loss_combo = QComboBox()
        for name in _losses.LOSSES:
            self.loss_combo.addItem(_losses.TITLES[name], name)
            self.loss_combo.setItemData(
                self.loss_combo.count() - 1, _losses.FORMULAS[name], Qt.ItemDataRole.ToolTipRole
            )
        _compact_combo(self.loss_combo)
        self.loss_combo.currentIndexChanged.connect(
            lambda _i: self._apply(self.document.set_loss, self.loss_combo.currentData())
        )
        self._loss_label = self._label("Loss", "")
        form.addRow(self._loss_label, self.loss_combo)

        self.optimizer_combo = QComboBox()
        for name in _optimizers.OPTIMIZERS:
            self.optimizer_combo.addItem(name, name)
            self.optimizer_combo.setItemData(
                self.optimizer_combo.count() - 1,
                tips.OPTIMIZER_RULES.get(name, name),
                Qt.ItemDataRole.ToolTipRole,
            )
        _compact_combo(self.optimizer_combo)
        self.optimizer_combo.currentIndexChanged.connect(
            lambda _i: self._apply(self.document.set_optimizer, self.optimizer_combo.currentData())
        )
        self._optimizer_label = self._label("Optimizer", "")
        form.addRow(self._optimizer_label, self.optimizer_combo)

        self.lr_spin = LogSpinBox(LEARNING_RATES, 0.0, 100.0)
        tip = tips.parameter_tip("SGD", "lr")
        self.lr_spin.setToolTip(tip)
        font = self.lr_spin.font()
        font.setBold(True)
        self.lr_spin.setFont(font)
        self.lr_spin.valueChanged.connect(lambda v: self._apply(self.document.set_learning_rate, v))
        self._lr_label = self._label("Learning rate", tip)
        self._lr_label.setFont(font)
        form.addRow(self._lr_label, self.lr_spin)

        self.schedule_combo = QComboBox()
        for name, cls in _schedules.SCHEDULES.items():
            self.schedule_combo.addItem(SCHEDULE_TITLES.get(name, name), name)
            self.schedule_combo.setItemData(
                self.schedule_combo.count() - 1, cls.formula, Qt.ItemDataRole.ToolTipRole
            )
        _compact_combo(self.schedule_combo)
        self.schedule_combo.currentIndexChanged.connect(self._on_schedule_chosen)
        self._schedule_label = self._label("Schedule", "")
        form.addRow(self._schedule_label, self.schedule_combo)
        return group

    def _build_batch_group(self) -> QGroupBox:
        group = QGroupBox("Batching")
        form = self._form(group)
        segments = QHBoxLayout()
        segments.setSpacing(0)
        self.batch_group = QButtonGroup(self)
        self.batch_group.setExclusive(True)
        self.batch_buttons: dict[str, QToolButton] = {}
        choices = (
            ("full", FULL, "Full batch"),
            ("mini", MINI, "Mini-batch"),
            ("stochastic", STOCHASTIC, "Stochastic"),
        )
        for key, ident, text in choices:
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tips.BATCH_TIPS[key])
            button.setAccessibleName(text)
            button.setCheckable(True)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            self.batch_group.addButton(button, ident)
            self.batch_buttons[key] = button
            segments.addWidget(button)
        self.batch_group.idClicked.connect(self._on_batch_mode_clicked)
        form.addRow(segments)

        self.batch_spin = QSpinBox()
        self.batch_spin.setRange(1, 100_000)
        self.batch_spin.setKeyboardTracking(False)
        self.batch_spin.setToolTip(tips.BATCH_SIZE_TIP)
        self.batch_spin.valueChanged.connect(self._on_batch_size_changed)
        self.steps_label = QLabel()
        self.steps_label.setToolTip("Gradient steps in one pass over the training set")
        row = QHBoxLayout()
        row.setSpacing(8)
        row.addWidget(self.batch_spin, 1)
        row.addWidget(self.steps_label, 1)
        form.addRow(self._label("Batch size", self.batch_spin.toolTip()), row)
        return group

    def _build_regularization_group(self) -> QGroupBox:
        group = QGroupBox("Regularization")
        form = self._form(group)
        self.l1_spin = LogSpinBox(REGULARIZATION_RATES, 0.0, 10.0, off_text="off")
        tip = tips.L1_TIP
        self.l1_spin.setToolTip(tip)
        self.l1_spin.valueChanged.connect(lambda v: self._apply(self.document.set_l1, v))
        form.addRow(self._label("L1 rate", tip), self.l1_spin)

        self.l2_spin = LogSpinBox(REGULARIZATION_RATES, 0.0, 10.0, off_text="off")
        tip = tips.L2_TIP
        self.l2_spin.setToolTip(tip)
        self.l2_spin.valueChanged.connect(lambda v: self._apply(self.document.set_l2, v))
        form.addRow(self._label("L2 rate", tip), self.l2_spin)

        self.dropout_spin = _spin(0.0, 0.95, 0.05, 2)
        self.dropout_spin.setSpecialValueText("off")
        tip = tips.DROPOUT_TIP
        self.dropout_spin.setToolTip(tip)
        self.dropout_spin.valueChanged.connect(lambda v: self._apply(self.document.set_dropout, v))
        form.addRow(self._label("Dropout", tip), self.dropout_spin)

        self.clip_spin = LogSpinBox(CLIP_NORMS, 0.0, 1e6, off_text="off")
        tip = tips.CLIP_TIP
        self.clip_spin.setToolTip(tip)
        self.clip_spin.valueChanged.connect(
            lambda v: self._apply(self.document.set_clip_norm, v if v > 0 else None)
        )
        form.addRow(self._label("Clip norm", tip), self.clip_spin)
        return group

    def _build_init_group(self) -> QGroupBox:
        group = QGroupBox("Initialisation")
        form = self._init_form = self._form(group)
        self.init_combo = QComboBox()
        for name in _initializers.INITIALIZERS:
            self.init_combo.addItem(_initializers.TITLES[name], name)
            self.init_combo.setItemData(
                self.init_combo.count() - 1,
                tips.INIT_RULES.get(name, ""),
                Qt.ItemDataRole.ToolTipRole,
            )
        _compact_combo(self.init_combo)
        self.init_combo.currentIndexChanged.connect(self._on_init_chosen)
        self._init_label = self._label("Initialiser", "")
        form.addRow(self._init_label, self.init_combo)

        self.init_param_spin = _spin(-10.0, 10.0, 0.1, 3)
        self.init_param_spin.valueChanged.connect(self._on_init_param_changed)
        self.init_param_spin.setToolTip("The initialiser's parameter (Uniform ±a, Constant)")
        self._init_param_label = QLabel("a")
        form.addRow(self._init_param_label, self.init_param_spin)

        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, MAX_SEED)
        self.seed_spin.setKeyboardTracking(False)
        tip = tips.SEED_TIP
        self.seed_spin.setToolTip(tip)
        self.seed_spin.valueChanged.connect(lambda v: self._apply(self.document.set_seed, v))
        self.new_seed_button = QToolButton()
        self.new_seed_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_BrowserReload)
        )
        self.new_seed_button.setToolTip("Pick a random seed: new initial weights and data")
        self.new_seed_button.setAccessibleName("Random seed")
        self.new_seed_button.clicked.connect(
            lambda: self._apply(self.document.set_seed, random.randint(0, 99_999))
        )
        row = QHBoxLayout()
        row.setSpacing(4)
        row.addWidget(self.seed_spin, 1)
        row.addWidget(self.new_seed_button)
        form.addRow(self._label("Seed", tip), row)
        return group

    # ----------------------------------------------------------------- dynamic rows
    def _rebuild_optimizer_rows(self, name: str) -> None:
        form = self._optimizer_form
        self.optimizer_editors = {"lr": self.lr_spin}
        for field in self._optimizer_rows:
            form.removeRow(field)
        self._optimizer_rows = []
        row = form.getWidgetPosition(self.lr_spin)[0] + 1
        keys = [k for k in _optimizers.OPTIMIZERS[name].HYPERPARAMETERS if k != "lr"]
        flags = QWidget()
        flag_row = QHBoxLayout(flags)
        flag_row.setContentsMargins(0, 0, 0, 0)
        flag_row.setSpacing(10)
        for key in keys:
            label = OPTIMIZER_LABELS.get(key, key)
            tip = tips.parameter_tip(name, key)
            editor = _optimizer_editor(key)
            editor.setToolTip(tip)
            if isinstance(editor, PairEditor):
                editor.first.setToolTip(tips.parameter_tip(name, "beta1"))
                editor.second.setToolTip(tips.parameter_tip(name, "beta2"))
            self.optimizer_editors[key] = editor
            self._connect_optimizer_editor(key, editor)
            if key in _FLAGS:
                flag_row.addWidget(editor)
                continue
            form.insertRow(row, self._label(label, tip), editor)
            self._optimizer_rows.append(editor)
            row += 1
        if flag_row.count():
            flag_row.addStretch(1)
            form.insertRow(row, flags)
            self._optimizer_rows.append(flags)
        else:
            flags.deleteLater()
        self._shown_optimizer = name

    def _connect_optimizer_editor(self, key: str, editor: QWidget) -> None:
        set_param = self.document.set_optimizer_param
        if isinstance(editor, QCheckBox):
            editor.toggled.connect(lambda on, key=key: self._apply(set_param, key, bool(on)))
        elif isinstance(editor, PairEditor):
            editor.changed.connect(lambda a, b, key=key: self._apply(set_param, key, (a, b)))
        else:
            editor.valueChanged.connect(lambda v, key=key: self._apply(set_param, key, float(v)))

    def _rebuild_schedule_rows(self, name: str) -> None:
        form = self._optimizer_form
        self.schedule_editors = {}
        for field in self._schedule_rows:
            form.removeRow(field)
        self._schedule_rows = []
        row = form.getWidgetPosition(self.schedule_combo)[0] + 1
        for key in SCHEDULE_DEFAULTS.get(name, {}):
            label = SCHEDULE_LABELS.get(key, key)
            tip = tips.schedule_parameter_tip(name, key)
            if key in ("step_size", "T_max"):
                editor = QSpinBox()
                editor.setRange(1, 1_000_000)
                editor.setSuffix(" epochs")
                editor.setKeyboardTracking(False)
            elif key == "eta_min":
                editor = LogSpinBox(ONE_THREE, 0.0, 10.0, off_text="0")
            else:
                editor = _spin(0.001, 2.0, 0.05, 3)
            editor.setToolTip(tip)
            editor.valueChanged.connect(lambda v, key=key: self._on_schedule_param_changed(key, v))
            self.schedule_editors[key] = editor
            form.insertRow(row, self._label(label, tip), editor)
            self._schedule_rows.append(editor)
            row += 1
        self._shown_schedule = name

    # ----------------------------------------------------------------- edits
    def _apply(self, method, *args) -> bool:
        try:
            method(*args)
        except ValueError as exc:
            self.message.emit(str(exc))
            self._refresh()  # back to the document's values
            return False
        return True

    def _on_schedule_chosen(self, _index: int) -> None:
        name = self.schedule_combo.currentData()
        self._apply(self.document.set_schedule, name, dict(SCHEDULE_DEFAULTS.get(name, {})))

    def _on_schedule_param_changed(self, key: str, value) -> None:
        spec = self.document.project.schedule
        params = dict(spec.params)
        params[key] = int(value) if isinstance(value, int) else float(value)
        self._apply(self.document.set_schedule, spec.name, params)

    def _on_batch_mode_clicked(self, ident: int) -> None:
        size = {FULL: None, MINI: self._mini_batch, STOCHASTIC: 1}[ident]
        self._apply(self.document.set_batch_size, size)

    def _on_batch_size_changed(self, value: int) -> None:
        if value > 1:
            self._mini_batch = value
        self._apply(self.document.set_batch_size, value)

    def _on_init_chosen(self, _index: int) -> None:
        name = self.init_combo.currentData()
        net = self.document.network
        params = dict(net.init_params) if name == net.init else None
        self._apply(self.document.set_init, name, params)

    def _on_init_param_changed(self, value: float) -> None:
        net = self.document.network
        keys = list(_initializers.DEFAULT_PARAMS.get(net.init, {}))
        if keys:
            self._apply(self.document.set_init, net.init, {keys[0]: float(value)})

    # ----------------------------------------------------------------- refresh
    def _refresh(self) -> None:
        doc = self.document
        project = doc.project
        net = doc.network
        _select(self.loss_combo, net.loss)
        _select(self.optimizer_combo, project.optimizer.name)
        self._show_tip(self.loss_combo, self._loss_label, tips.loss_tip(net.loss))
        optimizer = project.optimizer.name
        self._show_tip(self.optimizer_combo, self._optimizer_label, tips.optimizer_tip(optimizer))
        if project.optimizer.name != self._shown_optimizer:
            self._rebuild_optimizer_rows(project.optimizer.name)
        params = doc.optimizer_params()
        for key, editor in self.optimizer_editors.items():
            value = params.get(key)
            with QSignalBlocker(editor):
                if isinstance(editor, QCheckBox):
                    editor.setChecked(bool(value))
                elif isinstance(editor, PairEditor):
                    editor.set_values(value)
                else:
                    editor.setValue(float(value))

        _select(self.schedule_combo, project.schedule.name)
        schedule_tip = tips.schedule_tip(project.schedule.name)
        self._show_tip(self.schedule_combo, self._schedule_label, schedule_tip)
        if project.schedule.name != self._shown_schedule:
            self._rebuild_schedule_rows(project.schedule.name)
        for key, editor in self.schedule_editors.items():
            default = SCHEDULE_DEFAULTS[project.schedule.name][key]
            with QSignalBlocker(editor):
                editor.setValue(project.schedule.params.get(key, default))

        self._refresh_batch()

        training = project.training
        for spin, value in ((self.l1_spin, net.l1), (self.l2_spin, net.l2),
                            (self.clip_spin, training.clip_norm or 0.0)):  # fmt: skip
            with QSignalBlocker(spin):
                spin.setValue(value)
        hidden = net.layers[:-1]
        with QSignalBlocker(self.dropout_spin):
            self.dropout_spin.setValue(max((layer.dropout for layer in hidden), default=0.0))
        self.dropout_spin.setEnabled(bool(hidden))

        _select(self.init_combo, net.init)
        self._show_tip(self.init_combo, self._init_label, tips.init_tip(net.init))
        param_keys = list(_initializers.DEFAULT_PARAMS.get(net.init, {}))
        self._init_form.setRowVisible(self.init_param_spin, bool(param_keys))
        if param_keys:
            key = param_keys[0]
            label = "Range ±a" if key == "a" else "Value"
            tip = ("Weights are drawn uniformly from [−a, a]" if key == "a"
                   else "Every weight starts at this value")  # fmt: skip
            self._init_param_label.setText(label)
            self._init_param_label.setToolTip(tip)
            self.init_param_spin.setToolTip(tip)
            self.init_param_spin.setMinimum(0.0 if key == "a" else -10.0)
            with QSignalBlocker(self.init_param_spin):
                self.init_param_spin.setValue(float(net.init_params.get(key, 0.0)))
        with QSignalBlocker(self.seed_spin):
            self.seed_spin.setValue(min(project.seed, MAX_SEED))
        self._fit_width()

    @staticmethod
    def _show_tip(combo: QComboBox, label: QLabel, tip: str) -> None:
        """A combo's tooltip follows its choice: what it is for, then the chosen one's rule."""
        combo.setToolTip(tip)
        label.setToolTip(tip)

    def _fit_width(self) -> None:
        # The dock may not get narrower than the form: scroll vertically, never clip sideways.
        bar = self._scroll.verticalScrollBar().sizeHint().width()
        self._scroll.setMinimumWidth(self._content.minimumSizeHint().width() + bar)

    def _refresh_batch(self) -> None:
        size = self.document.project.training.batch_size
        n_train = len(self.document.data.train_index)
        mode = FULL if size is None else STOCHASTIC if size == 1 else MINI
        if mode == MINI:
            self._mini_batch = size
        for button in self.batch_group.buttons():
            with QSignalBlocker(button):
                button.setChecked(self.batch_group.id(button) == mode)
        with QSignalBlocker(self.batch_spin):
            self.batch_spin.setValue({FULL: n_train, MINI: self._mini_batch, STOCHASTIC: 1}[mode])
        self.batch_spin.setEnabled(mode == MINI)
        effective = n_train if size is None else min(size, n_train)
        steps = -(-n_train // max(effective, 1))
        self.steps_label.setText(f"{steps:,} step{'s' if steps != 1 else ''}/epoch")


def _compact_combo(combo: QComboBox) -> QComboBox:
    """A combo box that fits a narrow dock; its list still shows the full titles."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(8)
    combo.view().setMinimumWidth(combo.view().sizeHintForColumn(0) + 24)
    return combo


def _select(combo: QComboBox, data) -> None:
    """Show the item whose data is ``data`` without emitting a change."""
    index = combo.findData(data)
    with QSignalBlocker(combo):
        combo.setCurrentIndex(index)
