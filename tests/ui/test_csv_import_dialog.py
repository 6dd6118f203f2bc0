"""Data ▸ Import CSV: the dialog previews, validates (naming row and column) and imports."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from simulator.app import numbers
from simulator.app.document import Document
from simulator.project import csv_import
from simulator.ui import csv_import_dialog, import_actions
from simulator.ui import main_window as mw
from simulator.ui.csv_import_dialog import PREVIEW_ROWS

SPECIES = ("setosa", "versicolor", "virginica")
COLUMNS = ["sepal length", "sepal width", "petal length", "petal width", "species"]


@pytest.fixture(autouse=True)
def answers(monkeypatch):
    log = {"csv_path": "", "errors": []}
    monkeypatch.setattr(csv_import_dialog, "ask_csv_path", lambda parent, folder: log["csv_path"])
    monkeypatch.setattr(import_actions, "show_error", lambda p, t, text: log["errors"].append(text))
    monkeypatch.setattr(mw, "ask_save_changes", lambda parent, name: QMessageBox.Discard)
    return log


@pytest.fixture
def window(qtbot):
    win = mw.MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def iris_like(path, n_per_class=10, seed=0):
    rng = np.random.default_rng(seed)
    lines = [",".join(COLUMNS)]
    for k, name in enumerate(SPECIES):
        for _ in range(n_per_class):
            values = rng.normal(loc=[5 + k, 3 - 0.3 * k, 1.5 + 2 * k, 0.2 + k], scale=0.3)
            lines.append(",".join(f"{v:.2f}" for v in values) + f",{name}")
    path.write_text("\n".join(lines) + "\n")
    return path


def open_dialog(window, answers, qtbot, path):
    answers["csv_path"] = str(path)
    window.data_menu.actions()[0].trigger()  # Data ▸ Import CSV…
    dialog = window.importer.dialog
    qtbot.waitExposed(dialog)
    return dialog


def toggle_feature(qtbot, dialog, name):
    lst = dialog.feature_list
    (row,) = [k for k in range(lst.count()) if lst.item(k).data(Qt.UserRole) == name]
    lst.setFocus()
    lst.setCurrentRow(row)
    qtbot.keyClick(lst.viewport(), Qt.Key_Space)


def choose(qtbot, combo, text):
    """Pick ``text`` from a combo box with the keyboard, as a user would."""
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key_Home)
    while combo.currentText() != text:
        index = combo.currentIndex()
        qtbot.keyClick(combo, Qt.Key_Down)
        assert combo.currentIndex() != index, f"{text!r} is not in the combo box"


def test_the_dialog_previews_the_file_and_guesses_the_choices(window, answers, qtbot, tmp_path):
    dialog = open_dialog(window, answers, qtbot, iris_like(tmp_path / "iris.csv"))
    assert dialog.isVisible() and dialog.windowModality() == Qt.WindowModal
    assert dialog.preview.rowCount() == PREVIEW_ROWS and dialog.preview.columnCount() == 5
    headers = [dialog.preview.horizontalHeaderItem(c).text() for c in range(5)]
    assert headers == COLUMNS
    assert dialog.preview.item(0, 4).text() == "setosa"
    assert "30 rows × 5 columns" in dialog.file_label.text()
    assert dialog.target() == "species" and dialog.task() == "multiclass"
    assert dialog.features() == COLUMNS[:4]
    assert dialog.standardize_check.isChecked()
    assert dialog.ok_button.isEnabled()
    assert "Ready" in dialog.validation_label.text()
    summary = dialog.summary_label.text()
    assert "30 rows" in summary and "setosa <b>10</b>" in summary
    assert "input layer gets 4 neurons and its output layer 3" in summary


def test_import_through_the_widgets_then_undo_and_save(window, answers, qtbot, tmp_path):
    doc = window.document
    before_sizes, before_weights = doc.network.sizes, doc.network.layers[0].weights.copy()
    dialog = open_dialog(window, answers, qtbot, iris_like(tmp_path / "iris.csv"))
    toggle_feature(qtbot, dialog, "sepal width")  # leave it out
    assert dialog.features() == ["sepal length", "petal length", "petal width"]
    qtbot.mouseClick(dialog.standardize_check, Qt.LeftButton)
    assert not dialog.standardize_check.isChecked()
    dialog.test_spin.setFocus()
    dialog.test_spin.selectAll()
    qtbot.keyClicks(dialog.test_spin, "30")
    assert dialog.test_spin.value() == 30
    assert dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.ok_button, Qt.LeftButton)
    assert not dialog.isVisible()

    data = doc.project.data
    assert data.is_inline and data.kind == "multiclass" and data.class_names == list(SPECIES)
    assert data.X.shape == (30, 3) and data.y.shape == (30,) and data.test_ratio == 0.3
    assert data.X[0, 0] == float(dialog.preview.item(0, 0).text())  # raw, not standardised
    assert doc.network.sizes == [3, 8, 3] and doc.network.activations[-1] == "softmax"
    assert window.controller.trainer.X_train.shape == (21, 3)
    assert (
        "Imported iris.csv: 30 rows, 3 features, 3 classes" in window.statusBar().currentMessage()
    )
    assert doc.undo_stack.undoText() == "Import iris.csv"

    # Save and reopen: the data lives in the project file.
    path = tmp_path / "mine.json"
    doc.save(path)
    reopened = Document()
    reopened.open(path)
    np.testing.assert_array_equal(reopened.project.data.X, data.X)
    assert reopened.project.data.class_names == list(SPECIES)
    assert reopened.network.sizes == [3, 8, 3]

    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert doc.project.data.dataset == "xor"
    assert doc.network.sizes == before_sizes
    np.testing.assert_array_equal(doc.network.layers[0].weights, before_weights)


def test_changing_the_target_guesses_the_task_and_frees_the_old_target(
    window, answers, qtbot, tmp_path
):
    dialog = open_dialog(window, answers, qtbot, iris_like(tmp_path / "iris.csv"))
    choose(qtbot, dialog.target_combo, "petal width")
    assert dialog.task() == "regression"
    assert "petal width" not in dialog.features()
    # species (text) is not a feature: regression on petal width from three columns
    assert dialog.features() == ["sepal length", "sepal width", "petal length"]
    assert dialog.ok_button.isEnabled()
    choose(qtbot, dialog.task_combo, "Multiclass classification")
    assert not dialog.ok_button.isEnabled()  # 30 different labels in 30 rows
    assert "column 'petal width'" in dialog.validation_label.text()
    choose(qtbot, dialog.task_combo, "Regression")
    qtbot.mouseClick(dialog.ok_button, Qt.LeftButton)
    assert window.document.task == "regression" and window.document.network.sizes == [3, 8, 1]
    assert window.document.network.loss == "mse"


def test_cancel_changes_nothing(window, answers, qtbot, tmp_path):
    dialog = open_dialog(window, answers, qtbot, iris_like(tmp_path / "iris.csv"))
    qtbot.keyClick(dialog, Qt.Key_Escape)
    assert not dialog.isVisible()
    assert window.document.project.data.dataset == "xor"
    assert window.document.undo_stack.count() == 0


def write(path, text):
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("cell", "problem"),
    [("oops", "'oops' is not a number"), ("", "the value is missing"),
     ("nan", "'nan' is not a finite number")],
)  # fmt: skip
def test_a_column_with_one_bad_cell_stays_offered_and_names_row_and_column(
    window, answers, qtbot, tmp_path, cell, problem
):
    rows = ["x1,x2,label"] + [f"{k},{k * 2},{'yes' if k % 2 else 'no'}" for k in range(10)]
    rows[6] = f"5,{cell},yes"  # row 7 of the file
    dialog = open_dialog(window, answers, qtbot, write(tmp_path / "text.csv", "\n".join(rows)))
    # x2 is ticked like the other columns of numbers, and its bad cell blocks Import.
    assert dialog.features() == ["x1", "x2"]
    assert not dialog.ok_button.isEnabled()
    shown = dialog.validation_label.text()
    assert f"row 7, column 'x2': {problem} — fix the file or leave x2 out" in shown
    assert "Ready" not in shown
    assert dialog.validation_label.isVisible()
    item = dialog._item("x2")
    assert "row 7" in item.text() and "row 7, column 'x2'" in item.toolTip()
    shown = dialog.preview.item(5, 1)  # the sixth data row is row 7 of the file
    assert shown.text() == cell and "row 7, column 'x2'" in shown.toolTip()
    assert shown.background().color().red() > shown.background().color().green()  # tinted red
    # Leaving x2 out allows the import, and the warning stays in sight.
    toggle_feature(qtbot, dialog, "x2")
    assert dialog.features() == ["x1"] and dialog.ok_button.isEnabled()
    shown = dialog.validation_label.text()
    assert "Ready to import" in shown
    assert f"row 7, column 'x2': {problem}: x2 is left out (fix the file to use it)" in shown
    # Ticked again, it blocks again.
    toggle_feature(qtbot, dialog, "x2")
    assert not dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.none_button, Qt.LeftButton)
    qtbot.mouseClick(dialog.all_numeric_button, Qt.LeftButton)
    assert dialog.features() == ["x1", "x2"] and not dialog.ok_button.isEnabled()


def test_a_column_of_text_is_not_offered(window, answers, qtbot, tmp_path):
    rows = ["a,code,label"] + [f"{k},{'pqr'[k % 3]},{'yes' if k % 2 else 'no'}" for k in range(10)]
    dialog = open_dialog(window, answers, qtbot, write(tmp_path / "text.csv", "\n".join(rows)))
    assert dialog.features() == ["a"] and dialog.ok_button.isEnabled()
    assert dialog.validation_label.text().count("⚠") == 0


def test_a_large_regression_target_is_worth_a_warning(window, answers, qtbot, tmp_path):
    rows = ["area,rooms,price"] + [
        f"{40 + 3 * k},{1 + k % 4},{95000 + 2500 * k}" for k in range(12)
    ]
    dialog = open_dialog(window, answers, qtbot, write(tmp_path / "houses.csv", "\n".join(rows)))
    assert dialog.task() == "regression" and dialog.ok_button.isEnabled()
    shown = dialog.validation_label.text()
    assert "Ready to import" in shown
    assert "The target 'price' reaches 122,500 (sd 8,630)" in shown and "rescaling" in shown
    choose(qtbot, dialog.target_combo, "rooms")
    choose(qtbot, dialog.task_combo, "Regression")
    assert "reaches" not in dialog.validation_label.text()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "a,b,y\n1,2,0\n3,4,1\n5,,0\n7,8,1\n9,10,0\n",
            "row 4, column 'b': the value is missing",
        ),
        (
            "a,b,y\n1,2,cat\n3,4,cat\n5,6,cat\n7,8,cat\n9,10,cat\n",
            "column 'y': every row has the label 'cat': classification needs at least 2 classes",
        ),
        ("a,b,y\n1,2,0\n3,4,1\n5,6,0\n", "only 3 data rows; at least 4 are needed"),
        ("a,b,y\n1,2,0\n3,4,1,7,8\n5,6,0\n7,8,1\n", "row 3 has 5 values, the header has 3"),
        ("", "the file is empty"),
    ],
    ids=["missing value", "one class", "too few rows", "ragged row", "empty"],
)
def test_malformed_files_show_their_problem_and_disable_import(
    window, answers, qtbot, tmp_path, text, expected
):
    dialog = open_dialog(window, answers, qtbot, write(tmp_path / "bad.csv", text))
    assert expected in dialog.validation_label.text()
    assert str(tmp_path) not in dialog.validation_label.text()  # the path is in the field above
    assert not dialog.ok_button.isEnabled()
    qtbot.keyClick(dialog, Qt.Key_Return)  # Enter does not import an invalid table
    assert window.document.project.data.dataset == "xor"


def test_a_file_over_the_size_limit_is_refused(window, answers, qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(csv_import, "MAX_CSV_BYTES", 200)
    dialog = open_dialog(window, answers, qtbot, iris_like(tmp_path / "big.csv"))
    assert "the file is too large" in dialog.validation_label.text()
    assert "the limit is 200 bytes" in dialog.validation_label.text()
    assert not dialog.ok_button.isEnabled() and not dialog.target_combo.isEnabled()


def test_browse_replaces_the_file(window, answers, qtbot, tmp_path):
    dialog = open_dialog(window, answers, qtbot, write(tmp_path / "bad.csv", "a,b\n"))
    assert not dialog.ok_button.isEnabled()
    answers["csv_path"] = str(iris_like(tmp_path / "iris.csv"))
    qtbot.mouseClick(dialog.browse_button, Qt.LeftButton)
    assert dialog.path_edit.text().endswith("iris.csv")
    assert dialog.ok_button.isEnabled() and dialog.preview.columnCount() == 5


def test_binary_text_labels_say_which_class_is_one(window, answers, qtbot, tmp_path):
    rows = ["x1,x2,kind"] + [
        f"{np.sin(k):.3f},{np.cos(k):.3f},{'spam' if k % 3 else 'ham'}" for k in range(24)
    ]
    dialog = open_dialog(window, answers, qtbot, write(tmp_path / "mail.csv", "\n".join(rows)))
    assert dialog.task() == "binary"
    assert "Class 'ham' is 0 and class 'spam' is 1." in dialog.summary_label.text()
    qtbot.mouseClick(dialog.ok_button, Qt.LeftButton)
    doc = window.document
    assert doc.network.sizes == [2, 8, 1] and doc.project.data.class_names == ["ham", "spam"]
    assert doc.data.output_labels == ["p(spam)"]


def test_typing_a_path_and_enter_reads_it_without_importing(window, answers, qtbot, tmp_path):
    dialog = open_dialog(window, answers, qtbot, write(tmp_path / "bad.csv", "a,b\n"))
    good = iris_like(tmp_path / "iris.csv")
    dialog.path_edit.setFocus()
    dialog.path_edit.selectAll()
    qtbot.keyClicks(dialog.path_edit, str(good))
    qtbot.keyClick(dialog.path_edit, Qt.Key_Return)
    assert dialog.preview.columnCount() == 5 and dialog.ok_button.isEnabled()
    assert dialog.isVisible()  # read and checked, not imported yet
    assert window.document.project.data.dataset == "xor"


def canvas_texts(window):
    from simulator.ui.canvas_items import LabelItem

    return {i.text() for i in window.canvas.scene().items() if isinstance(i, LabelItem)}


def test_an_import_names_the_project_and_the_inputs_after_the_file(
    window, answers, qtbot, tmp_path, monkeypatch
):
    from simulator.ui import export_actions

    dialog = open_dialog(window, answers, qtbot, iris_like(tmp_path / "iris.csv"))
    qtbot.mouseClick(dialog.ok_button, Qt.LeftButton)
    doc = window.document
    assert doc.project.name == "iris"
    assert doc.project.description == (
        "Imported from iris.csv: 30 rows, 4 features, 3 classes (standardised)"
    )
    assert "iris" in window.windowTitle() and "XOR" not in window.windowTitle()
    summary = window._summary.text()
    assert summary.startswith("iris (imported data) · network 4–8–3") and "inline" not in summary
    # The canvas names the inputs after the columns, the outputs after the classes.
    assert {*COLUMNS[:4], *SPECIES} <= canvas_texts(window)
    assert not {"x1", "x2", "x3", "x4"} & canvas_texts(window)
    # The data plot's axes are the first two columns.
    plot = window.data_panel.plot
    assert plot.getAxis("bottom").labelText == "sepal length"
    assert plot.getAxis("left").labelText == "sepal width"
    # The Data panel says how the columns were scaled, and by how much (tooltip).
    panel_summary = window.data_panel.summary_label
    assert "Your own data: iris" in panel_summary.text()
    assert "standardised" in panel_summary.text()
    stats = doc.project.data.standardization
    assert numbers.fmt(stats.means[0]) in panel_summary.toolTip()
    assert "sepal length" in panel_summary.toolTip()
    # An export suggests a file named after the project.
    suggestions = []
    monkeypatch.setattr(
        export_actions,
        "ask_export_path",
        lambda parent, title, suggestion, filters: suggestions.append(suggestion) or "",
    )
    window.exporter.weights_action.trigger()
    assert suggestions[0].endswith("iris-weights.npz")
    # Undo brings the example's name back.
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert doc.project.name == "XOR" and "XOR" in window.windowTitle()
    assert window._summary.text().startswith("Exclusive or (XOR) · network")
    assert {"x1", "x2"} <= canvas_texts(window)
    assert window.data_panel.plot.getAxis("bottom").labelText == "x1"


def test_a_one_column_regression_names_the_plot_axes(window, answers, qtbot, tmp_path):
    rows = ["area,price"] + [f"{40 + 3 * k},{1.5 * k + 2}" for k in range(12)]
    dialog = open_dialog(window, answers, qtbot, write(tmp_path / "flats.csv", "\n".join(rows)))
    qtbot.mouseClick(dialog.standardize_check, Qt.LeftButton)  # raw units
    qtbot.mouseClick(dialog.ok_button, Qt.LeftButton)
    doc = window.document
    assert doc.task == "regression" and doc.data.output_labels == ["price"]
    plot = window.data_panel.plot
    assert plot.getAxis("bottom").labelText == "area"
    assert plot.getAxis("left").labelText == "price"
    assert {"area", "price"} <= canvas_texts(window)
    assert window.data_panel.summary_label.toolTip() == ""


def test_two_columns_keep_the_feature_buttons_and_name_them_in_tooltips(
    window, answers, qtbot, tmp_path
):
    rows = ["area,age,big"] + [f"{40 + 7 * k},{(k * 13) % 50},{int(k > 7)}" for k in range(16)]
    dialog = open_dialog(window, answers, qtbot, write(tmp_path / "flats.csv", "\n".join(rows)))
    qtbot.mouseClick(dialog.ok_button, Qt.LeftButton)
    panel = window.data_panel
    assert panel.feature_buttons["x1^2"].text() == "x1²"  # the engine's features, as before
    assert "x1² = area²" in panel.feature_buttons["x1^2"].toolTip()
    assert "x1·x2 = area·age" in panel.feature_buttons["x1*x2"].toolTip()
    qtbot.mouseClick(panel.feature_buttons["x1^2"], Qt.LeftButton)
    assert window.document.data.input_labels == ["area", "age", "area²"]
    assert {"area", "age", "area²", "p(1)"} <= canvas_texts(window)
    assert "(area →, age ↑)" in window.canvas.legend_text()


def _look(dialog, column: int) -> tuple[str, bool, bool, bool]:
    """(header tooltip, header bold, cells tinted, cells grey) of a preview column."""
    header = dialog.preview.horizontalHeaderItem(column)
    cell = dialog.preview.item(0, column)
    muted = dialog.palette().color(dialog.palette().ColorRole.PlaceholderText)
    tinted = cell.background().style() != Qt.NoBrush
    grey = cell.foreground().style() != Qt.NoBrush and cell.foreground().color() == muted
    return header.toolTip(), header.font().bold(), tinted, grey


def test_the_preview_follows_each_choice_column_by_column(window, answers, qtbot, tmp_path):
    dialog = open_dialog(window, answers, qtbot, iris_like(tmp_path / "iris.csv"))
    assert _look(dialog, 0) == ("sepal length: feature", False, False, False)
    assert _look(dialog, 4) == ("species: target", True, True, False)
    toggle_feature(qtbot, dialog, "sepal width")
    assert _look(dialog, 1) == ("sepal width: unused", False, False, True)
    toggle_feature(qtbot, dialog, "sepal width")
    assert _look(dialog, 1) == ("sepal width: feature", False, False, False)
    choose(qtbot, dialog.target_combo, "petal width")
    assert _look(dialog, 3) == ("petal width: target", True, True, False)
    assert _look(dialog, 4) == ("species: unused", False, False, True)  # text: not a feature
    # A file read afresh starts from its own choices.
    dialog.load(iris_like(tmp_path / "iris2.csv"))
    assert _look(dialog, 3) == ("petal width: feature", False, False, False)
    assert _look(dialog, 4) == ("species: target", True, True, False)


def test_a_wide_file_is_previewed_and_imported(window, answers, qtbot, tmp_path):
    n = csv_import_dialog.FIT_COLUMNS + 100  # too many to fit each to its contents
    header = ",".join(f"c{j}" for j in range(n)) + ",label"
    rows = [",".join(str((i * j) % 5) for j in range(n)) + f",{'ab'[i % 2]}" for i in range(8)]
    dialog = open_dialog(
        window, answers, qtbot, write(tmp_path / "wide.csv", "\n".join([header, *rows]))
    )
    assert dialog.preview.columnCount() == n + 1 and len(dialog.features()) == n
    toggle_feature(qtbot, dialog, "c7")
    assert _look(dialog, 7) == ("c7: unused", False, False, True)
    assert dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.ok_button, Qt.LeftButton)
    assert window.document.network.sizes[0] == n - 1


def test_long_column_names_are_shortened_and_the_summary_says_so(window, answers, qtbot, tmp_path):
    question = "How many hours a week do you spend reading, on paper or on a screen? " * 4
    rows = [f'id,"{question}",label'] + [
        f"{k},{k % 4},{'yes' if k % 2 else 'no'}" for k in range(8)
    ]
    dialog = open_dialog(window, answers, qtbot, write(tmp_path / "survey.csv", "\n".join(rows)))
    name = dialog.features()[1]
    assert len(name) == 200 and name.endswith("…") and question.startswith(name[:-1])
    summary = dialog.summary_label.text()
    assert (
        "The name of column 2 has 275 characters; a project keeps 200: it is shortened" in summary
    )
    qtbot.mouseClick(dialog.ok_button, Qt.LeftButton)
    path = tmp_path / "survey.json"
    window.document.save(path)
    reopened = Document()
    reopened.open(path)
    assert reopened.project.data.feature_names == ["id", name]
