"""The Settings panel, driven through its real widgets on a real Document."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QWidget

from simulator.engine import optimizers
from simulator.project import DEFAULT_EXAMPLE, load_example
from simulator.ui.settings_panel import PairEditor, SettingsPanel


@pytest.fixture
def panel(qtbot, doc):
    widget = SettingsPanel(doc)
    qtbot.addWidget(widget)
    widget.resize(300, 900)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def choose(combo, data):
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)


def type_into(qtbot, spin, text):
    spin.selectAll()
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key.Key_Return)


def shown_parameters(panel):
    return {key for key, editor in panel.optimizer_editors.items() if editor.isVisible()}


def wait_for_parameters(qtbot, panel, name):
    """New editors appear once Qt's layout has run (a queued show), as on screen."""
    expected = set(optimizers.OPTIMIZERS[name].HYPERPARAMETERS)
    qtbot.waitUntil(lambda: shown_parameters(panel) == expected, timeout=10_000)


def default_example():
    return load_example(DEFAULT_EXAMPLE)


def test_starts_with_the_documents_settings(panel, doc):
    # The default example teaches with plain SGD: its first update reads as −η·g.
    example = default_example()
    name = example.optimizer.name
    assert name == "SGD"
    assert doc.project.optimizer.name == name and panel.optimizer_combo.currentData() == name
    assert panel.loss_combo.currentData() == doc.network.loss == "bce"
    assert panel.lr_spin.value() == pytest.approx(example.optimizer.params["lr"])
    assert shown_parameters(panel) == set(optimizers.OPTIMIZERS[name].HYPERPARAMETERS)
    assert panel.batch_buttons["mini"].isChecked() and panel.batch_spin.value() == 10
    assert panel.steps_label.text() == "16 steps/epoch"
    assert panel.l2_spin.text() == "off"


@pytest.mark.parametrize("name", list(optimizers.OPTIMIZERS))
def test_each_optimizer_shows_exactly_its_own_parameters(qtbot, panel, doc, name):
    choose(panel.optimizer_combo, name)
    assert doc.project.optimizer.name == name
    assert set(panel.optimizer_editors) == set(optimizers.OPTIMIZERS[name].HYPERPARAMETERS)
    wait_for_parameters(qtbot, panel, name)
    # Nothing of the previous optimizer is left in the form.
    labels = {
        panel._optimizer_form.itemAt(row, panel._optimizer_form.ItemRole.LabelRole).widget().text()
        for row in range(panel._optimizer_form.rowCount())
        if panel._optimizer_form.itemAt(row, panel._optimizer_form.ItemRole.LabelRole)
    }
    assert ("Betas β₁, β₂" in labels) == ("betas" in optimizers.OPTIMIZERS[name].HYPERPARAMETERS)
    assert ("Momentum μ" in labels) == ("momentum" in optimizers.OPTIMIZERS[name].HYPERPARAMETERS)


def test_sgd_momentum_and_the_nesterov_rule(qtbot, panel, doc):
    choose(panel.optimizer_combo, "Adam")
    wait_for_parameters(qtbot, panel, "Adam")
    type_into(qtbot, panel.lr_spin, "0.05")
    choose(panel.optimizer_combo, "SGD")
    assert "betas" not in panel.optimizer_editors
    wait_for_parameters(qtbot, panel, "SGD")
    assert doc.learning_rate() == pytest.approx(0.05)  # kept across the switch

    with qtbot.waitSignal(panel.message, timeout=10_000) as blocker:
        qtbot.mouseClick(panel.optimizer_editors["nesterov"], Qt.MouseButton.LeftButton)
    assert "Nesterov" in blocker.args[0]
    assert not panel.optimizer_editors["nesterov"].isChecked()
    assert doc.optimizer_params()["nesterov"] is False

    type_into(qtbot, panel.optimizer_editors["momentum"], "0.9")
    assert doc.optimizer_params()["momentum"] == pytest.approx(0.9)
    qtbot.mouseClick(panel.optimizer_editors["nesterov"], Qt.MouseButton.LeftButton)
    assert doc.optimizer_params()["nesterov"] is True

    doc.undo_stack.undo()
    assert not panel.optimizer_editors["nesterov"].isChecked()
    doc.undo_stack.undo()
    assert panel.optimizer_editors["momentum"].value() == 0.0
    doc.undo_stack.undo()
    assert panel.optimizer_combo.currentData() == "Adam"
    wait_for_parameters(qtbot, panel, "Adam")


def test_adam_betas_and_flags(qtbot, panel, doc):
    choose(panel.optimizer_combo, "Adam")
    wait_for_parameters(qtbot, panel, "Adam")
    betas = panel.optimizer_editors["betas"]
    assert isinstance(betas, PairEditor)
    type_into(qtbot, betas.first, "0.8")
    assert tuple(doc.optimizer_params()["betas"]) == pytest.approx((0.8, 0.999))
    amsgrad = panel.optimizer_editors["amsgrad"]
    assert isinstance(amsgrad, QCheckBox)
    qtbot.mouseClick(amsgrad, Qt.MouseButton.LeftButton)
    assert doc.optimizer_params()["amsgrad"] is True
    type_into(qtbot, panel.optimizer_editors["eps"], "1e-6")
    assert doc.optimizer_params()["eps"] == pytest.approx(1e-6)
    assert panel.optimizer_editors["eps"].text() == "1×10⁻⁶"  # as the window writes numbers


def test_learning_rate_typing_and_stepping(qtbot, panel, doc):
    type_into(qtbot, panel.lr_spin, "0.03")
    assert doc.learning_rate() == pytest.approx(0.03)
    qtbot.keyClick(panel.lr_spin, Qt.Key.Key_Up)  # Playground's next value
    assert doc.learning_rate() == pytest.approx(0.1)
    qtbot.keyClick(panel.lr_spin, Qt.Key.Key_Down)
    qtbot.keyClick(panel.lr_spin, Qt.Key.Key_Down)
    assert doc.learning_rate() == pytest.approx(0.01)
    type_into(qtbot, panel.lr_spin, "1e-5")
    assert doc.learning_rate() == pytest.approx(1e-5)
    assert panel.lr_spin.text() == "1×10⁻⁵"  # as the plots and the inspector write it
    panel.lr_spin.selectAll()  # what it shows can be pasted back (QTest types no "⁻")
    panel.lr_spin.lineEdit().insert("3×10⁻⁴")
    qtbot.keyClick(panel.lr_spin, Qt.Key.Key_Return)
    assert doc.learning_rate() == pytest.approx(3e-4)
    type_into(qtbot, panel.lr_spin, "abc")  # not a number: refused, the value stays
    assert doc.learning_rate() == pytest.approx(3e-4)
    doc.undo_stack.undo()  # the lr edits merge into one step
    assert panel.lr_spin.value() == pytest.approx(default_example().optimizer.params["lr"])


def test_batch_modes(qtbot, panel, doc):
    qtbot.mouseClick(panel.batch_buttons["full"], Qt.MouseButton.LeftButton)
    assert doc.project.training.batch_size is None
    assert not panel.batch_spin.isEnabled()
    assert panel.steps_label.text() == "1 step/epoch"

    qtbot.mouseClick(panel.batch_buttons["mini"], Qt.MouseButton.LeftButton)
    assert doc.project.training.batch_size == 10
    type_into(qtbot, panel.batch_spin, "32")
    assert doc.project.training.batch_size == 32
    assert panel.steps_label.text() == "5 steps/epoch"

    qtbot.mouseClick(panel.batch_buttons["stochastic"], Qt.MouseButton.LeftButton)
    assert doc.project.training.batch_size == 1
    assert panel.batch_buttons["stochastic"].isChecked()
    qtbot.mouseClick(panel.batch_buttons["mini"], Qt.MouseButton.LeftButton)
    assert doc.project.training.batch_size == 32  # the last mini-batch size comes back

    # Each switch of batch mode is its own undo step.
    doc.undo_stack.undo()
    assert doc.project.training.batch_size == 1
    assert panel.batch_buttons["stochastic"].isChecked()
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.project.training.batch_size == 10
    assert panel.batch_buttons["mini"].isChecked() and panel.batch_spin.value() == 10


def test_regularization_and_clipping(qtbot, panel, doc):
    type_into(qtbot, panel.l2_spin, "0.01")
    assert doc.network.l2 == pytest.approx(0.01)
    qtbot.keyClick(panel.l1_spin, Qt.Key.Key_Up)  # from off to Playground's first rate
    assert doc.network.l1 == pytest.approx(0.001)
    type_into(qtbot, panel.dropout_spin, "0.2")
    assert [layer.dropout for layer in doc.network.layers[:-1]] == [pytest.approx(0.2)]
    type_into(qtbot, panel.clip_spin, "1")
    assert doc.project.training.clip_norm == pytest.approx(1.0)
    qtbot.keyClick(panel.clip_spin, Qt.Key.Key_Down)
    qtbot.keyClick(panel.clip_spin, Qt.Key.Key_Down)
    qtbot.keyClick(panel.clip_spin, Qt.Key.Key_Down)
    assert doc.project.training.clip_norm is None
    assert panel.clip_spin.text() == "off"

    for _ in range(4):
        doc.undo_stack.undo()
    assert panel.l2_spin.value() == 0.0 and panel.l2_spin.text() == "off"
    assert panel.l1_spin.value() == 0.0
    assert panel.dropout_spin.value() == 0.0


def test_loss_schedule_init_and_seed(qtbot, panel, doc):
    choose(panel.loss_combo, "mse")
    assert doc.network.loss == "mse"

    choose(panel.schedule_combo, "step")
    assert doc.project.schedule.name == "step"
    assert set(panel.schedule_editors) == {"step_size", "gamma"}
    type_into(qtbot, panel.schedule_editors["gamma"], "0.2")
    assert doc.project.schedule.params == {"step_size": 10, "gamma": pytest.approx(0.2)}
    choose(panel.schedule_combo, "cosine")
    assert set(panel.schedule_editors) == {"T_max", "eta_min"}

    assert not panel.init_param_spin.isVisible()
    choose(panel.init_combo, "uniform")
    assert doc.network.init == "uniform"
    assert panel.init_param_spin.isVisible()
    type_into(qtbot, panel.init_param_spin, "0.2")
    assert doc.network.init_params == {"a": pytest.approx(0.2)}

    type_into(qtbot, panel.seed_spin, "7")
    assert doc.project.seed == 7

    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert panel.loss_combo.currentData() == "bce"
    assert panel.schedule_combo.currentData() == "constant" and not panel.schedule_editors
    assert panel.init_combo.currentData() == "xavier_uniform"
    assert not panel.init_param_spin.isVisible()
    assert panel.seed_spin.value() == 0


def test_a_new_project_refreshes_the_panel(qtbot, panel, doc):
    choose(panel.optimizer_combo, "RMSprop")
    doc.new_project()
    name = default_example().optimizer.name
    assert panel.optimizer_combo.currentData() == name
    wait_for_parameters(qtbot, panel, name)


# ----------------------------------------------------------------------------- tooltips
def controls(root):
    """Every button, combo box, spin box and line edit under ``root`` that a user reaches,
    without Qt's own parts (a spin box's or combo box's line edit, a toolbar's extension)."""
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractSpinBox,
        QComboBox,
        QLineEdit,
    )

    kinds = (QAbstractButton, QComboBox, QAbstractSpinBox, QLineEdit)
    found = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, kinds) or widget.objectName().startswith("qt_"):
            continue
        if isinstance(widget.parentWidget(), (QAbstractSpinBox, QComboBox)):
            continue
        found.append(widget)
    return found


def describe(widget) -> str:
    text = widget.text() if hasattr(widget, "text") else ""
    return f"{type(widget).__name__} {text!r} {widget.accessibleName()!r}"


@pytest.mark.parametrize("optimizer", list(optimizers.OPTIMIZERS))
def test_every_control_of_the_toolbar_and_settings_has_a_tooltip(main_window, qtbot, optimizer):
    from simulator.engine import schedules

    window, doc = main_window, main_window.document
    panel, toolbar = window.settings_panel, window.training_toolbar
    choose(panel.optimizer_combo, optimizer)
    wait_for_parameters(qtbot, panel, optimizer)
    for schedule in schedules.SCHEDULES:  # every schedule's own parameters too
        choose(panel.schedule_combo, schedule)
        for root in (toolbar, panel):
            found = controls(root)
            assert len(found) > 10
            bare = [describe(w) for w in found if not w.toolTip().strip()]
            assert not bare, f"no tooltip on {bare}"
    assert doc.project.optimizer.name == optimizer


def test_tooltips_state_the_formula_of_the_current_choice(main_window, qtbot):
    panel, toolbar, doc = (
        main_window.settings_panel,
        main_window.training_toolbar,
        main_window.document,
    )
    update_tip = lambda: toolbar.update_action.toolTip()  # noqa: E731
    choose(panel.optimizer_combo, "SGD")
    assert "w ← w − η·g" in panel.optimizer_combo.toolTip() and "w ← w − η·g" in update_tip()
    choose(panel.optimizer_combo, "Adam")
    tip = panel.optimizer_combo.toolTip()
    assert "m_hat = m / (1 − β₁ᵗ)" in tip and "√v_hat + ε" in tip and "m_hat" in update_tip()
    assert "β₁" in panel.optimizer_editors["betas"].first.toolTip()
    assert "ε" in panel.optimizer_editors["eps"].toolTip()
    choose(panel.loss_combo, "mse")
    assert "(o − y)²" in panel.loss_combo.toolTip()
    choose(panel.loss_combo, "bce")
    assert "ln p" in panel.loss_combo.toolTip()
    choose(panel.schedule_combo, "cosine")
    assert "cos(π t / T_max)" in panel.schedule_combo.toolTip()
    choose(panel.init_combo, "he_normal")
    assert "2 / n_in" in panel.init_combo.toolTip()
    assert "min(1, c / (‖g‖" in panel.clip_spin.toolTip()
    assert "λ₁·Σ|w|" in panel.l1_spin.toolTip() and "(λ₂/2)·Σw²" in panel.l2_spin.toolTip()
    assert "1/(1 − p)" in panel.dropout_spin.toolTip()
    assert "z = Σ w·a + b" in toolbar.forward_action.toolTip()
    assert "δ" in toolbar.backward_action.toolTip()
    # Undo brings the previous choice and its rule back.
    doc.undo_stack.undo()
    assert "U(−a, a)" in panel.init_combo.toolTip()
