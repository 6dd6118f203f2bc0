"""File ▸ Export and File ▸ Load Weights, driven through the window's menu actions."""

import csv
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMessageBox

from simulator.engine.activations import ACTIVATIONS
from simulator.engine.network import Network
from simulator.project.weights import export_weights, load_weights
from simulator.ui import export_actions, image_export, import_actions
from simulator.ui import main_window as mw


@pytest.fixture(autouse=True)
def answers(monkeypatch):
    """Answer every dialog: file names come from ``log``, messages are recorded."""
    log = {"path": "", "errors": [], "infos": [], "titles": []}

    def ask_export_path(parent, title, suggestion, filters):
        log["titles"].append(title)
        log["suggestion"] = suggestion
        return log["path"]

    monkeypatch.setattr(export_actions, "ask_export_path", ask_export_path)
    monkeypatch.setattr(import_actions, "ask_weights_path", lambda parent, folder: log["path"])
    for module in (export_actions, import_actions):
        monkeypatch.setattr(module, "show_error", lambda p, t, text: log["errors"].append(text))
    monkeypatch.setattr(import_actions, "show_info", lambda p, t, text: log["infos"].append(text))
    monkeypatch.setattr(mw, "ask_save_changes", lambda parent, name: QMessageBox.Discard)
    return log


@pytest.fixture
def out(tmp_path):
    """An empty folder for the exports (tmp_path also holds the test's settings)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def window(qtbot):
    win = mw.MainWindow()
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def trained(window):
    for _ in range(12):
        window.controller.step()
    return window


def export_menu(window):
    (menu,) = [a.menu() for a in window.file_menu.actions() if a.text() == "E&xport"]
    return {a.text().replace("&", ""): a for a in menu.actions() if not a.isSeparator()}


def trigger(window, answers, text, path):
    answers["path"] = str(path)
    export_menu(window)[text].trigger()


def status(window):
    return window.statusBar().currentMessage()


def test_the_export_menu_lists_every_format(window):
    assert list(export_menu(window)) == [
        "Weights…",
        "ONNX Model…",
        "PyTorch Script…",
        "Loss History (CSV)…",
        "Data as CSV…",
        "Image of the Network…",
        "Image of the Loss Plot…",
        "Image of the Gradient Flow…",
        "Image of the Layer Statistics…",
        "Image of the Decision Boundary…",
    ]
    texts = [a.text() for a in window.file_menu.actions()]
    assert texts.index("&Import CSV…") < texts.index("E&xport") < texts.index("&Quit")
    assert window.importer.import_csv_action in window.data_menu.actions()


@pytest.mark.parametrize("ext", [".npz", ".json", ".safetensors"])
def test_export_weights_then_load_them_back(trained, answers, out, ext):
    path = out / f"weights{ext}"
    trigger(trained, answers, "Weights…", path)
    assert answers["errors"] == []
    assert answers["suggestion"].endswith("xor-weights.npz")
    assert status(trained) == f"Exported weights to {path.name} (step 12)"
    arch, layers = load_weights(path)
    assert arch["sizes"] == [2, 8, 1]
    for (w, b, m), layer in zip(layers, trained.document.network.layers, strict=True):
        np.testing.assert_array_equal(w, layer.weights)
        np.testing.assert_array_equal(b, layer.bias)
        np.testing.assert_array_equal(m, layer.mask)
    assert sorted(p.name for p in out.iterdir()) == [path.name]  # no temporary file left


def test_export_onnx_predicts_what_the_engine_predicts(trained, answers, out):
    ort = pytest.importorskip("onnxruntime")
    path = out / "model.onnx"
    trigger(trained, answers, "ONNX Model…", path)
    assert answers["errors"] == [] and "ONNX" in status(trained)
    X = trained.document.data.X_test
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input": X.astype(np.float64)})
    want = trained.document.network.forward(X, training=False).output
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_exports_of_imported_data_take_raw_values(window, answers, out, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from simulator.project.csv_import import build_inline_data, read_csv_table

    rng = np.random.default_rng(3)
    rows = ["area,rooms,label"] + [
        f"{a:.1f},{r},{'big' if a > 120 else 'small'}"
        for a, r in zip(rng.uniform(40, 200, 30), rng.integers(1, 6, 30), strict=True)
    ]
    csv_path = tmp_path / "flats.csv"
    csv_path.write_text("\n".join(rows) + "\n")
    table = read_csv_table(csv_path)
    spec, _ = build_inline_data(table, ["area", "rooms"], "label", "binary", standardize=True)
    window.document.import_data(spec, "flats.csv")
    for _ in range(5):
        window.controller.step()
    path = out / "flats.onnx"
    trigger(window, answers, "ONNX Model…", path)
    assert answers["errors"] == [] and answers["suggestion"].endswith("flats.onnx")
    raw = np.array([[float(c) for c in row[:2]] for row in table.rows])
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input": raw})
    want = window.document.network.forward(spec.X, training=False).output
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    trigger(window, answers, "Weights…", out / "flats.json")
    arch, _ = load_weights(out / "flats.json")
    assert arch["input_names"] == ["area", "rooms"]
    assert arch["input_means"] == list(spec.standardization.means)
    trigger(window, answers, "PyTorch Script…", out / "flats.py")
    assert "INPUT_MEANS = " in (out / "flats.py").read_text()


def test_export_pytorch_script_writes_its_weights_beside_it(trained, answers, out):
    path = out / "model.py"
    trigger(trained, answers, "PyTorch Script…", path)
    assert answers["errors"] == []
    assert ".npz" in answers["titles"][-1] and "model.npz" in status(trained)
    compile(path.read_text(), str(path), "exec")
    assert "model.npz" in path.read_text()
    arch, layers = load_weights(out / "model.npz")
    np.testing.assert_array_equal(layers[0][0], trained.document.network.layers[0].weights)


def test_export_history_csv_has_one_row_per_step(trained, answers, out):
    path = out / "history.csv"
    trigger(trained, answers, "Loss History (CSV)…", path)
    history = trained.controller.history
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(history) == 12
    assert [int(r["step"]) for r in rows] == history.column("step").astype(int).tolist()
    for name, column in [("batch_loss", "batch_loss"), ("learning_rate", "lr")]:
        np.testing.assert_array_equal([float(r[name]) for r in rows], history.column(column))
    test_loss = history.column("test_loss")
    for row, value in zip(rows, test_loss):
        assert (row["test_loss"] == "") == (not math.isfinite(value))
        if row["test_loss"]:
            assert float(row["test_loss"]) == value
    assert "12 steps" in status(trained)


@pytest.mark.parametrize("dataset", ["xor", "spiral3", "sine", "plane"])
def test_export_data_csv_reads_back_through_the_csv_import(window, answers, out, dataset):
    from simulator.project.csv_import import build_inline_data, read_csv_table

    doc = window.document
    if dataset != "xor":
        doc.set_dataset(dataset)
    width = doc.data.dataset.input_dim
    label = 0.5 if dataset in ("sine", "plane") else 1
    doc.add_points(np.full((2, width), 0.125), [label, label])  # drawn points: training
    path = out / "data.csv"
    trigger(window, answers, "Data as CSV…", path)
    assert answers["errors"] == [] and answers["suggestion"].endswith("-data.csv")
    data = doc.data
    n_train, n_test = len(data.train_index), len(data.test_index)
    assert f"({n_train:,} training, {n_test:,} test)" in status(window)

    table = read_csv_table(path)
    assert table.header and table.n_rows == data.dataset.n_samples
    target = table.guess_target()
    features = [c for c in table.numeric_columns() if c != target]
    assert features == data.column_labels and target == data.target_label
    task = table.guess_task(target)
    assert task == data.task
    spec, _ = build_inline_data(table, features, target, task, standardize=False)
    # The same samples, bit for bit, and the same labels; the split column says which trained.
    assert spec.X.tobytes() == data.dataset.X.tobytes()
    np.testing.assert_array_equal(spec.y, data.dataset.y)
    split = np.array(table.cells("split"))
    np.testing.assert_array_equal(np.flatnonzero(split == "train"), data.train_index)
    np.testing.assert_array_equal(np.flatnonzero(split == "test"), data.test_index)
    assert (split[data.drawn_rows] == "train").all()
    # And it trains: imported, the network fits it as before.
    doc.import_data(spec, "data.csv")
    assert doc.data.dataset.X.tobytes() == data.dataset.X.tobytes()


def test_export_data_csv_of_imported_data_gives_the_files_values(window, answers, out, tmp_path):
    from simulator.project.csv_import import build_inline_data, read_csv_table

    rng = np.random.default_rng(4)
    rows = ["area,rooms,kind"] + [
        f"{float(a)!r},{r},{'flat' if a < 100 else 'house'}"
        for a, r in zip(rng.uniform(40, 200, 24).round(1), rng.integers(1, 6, 24), strict=True)
    ]
    source = tmp_path / "homes.csv"
    source.write_text("\n".join(rows) + "\n")
    original = read_csv_table(source)
    spec, _ = build_inline_data(original, ["area", "rooms"], "kind", "binary", standardize=True)
    window.document.import_data(spec, "homes.csv")
    path = out / "homes-data.csv"
    trigger(window, answers, "Data as CSV…", path)
    table = read_csv_table(path)
    assert table.columns == ["split", "area", "rooms", "kind"]
    raw = np.array([[float(c) for c in row[:2]] for row in original.rows])
    again = np.array([[float(c) for c in row[1:3]] for row in table.rows])
    np.testing.assert_allclose(again, raw, rtol=1e-12)  # the file's values, not standardised
    assert table.cells("kind") == original.cells("kind")
    back, _ = build_inline_data(table, ["area", "rooms"], "kind", "binary", standardize=True)
    np.testing.assert_allclose(back.X, spec.X, rtol=1e-9, atol=1e-12)


IMAGES = [
    "Image of the Network…",
    "Image of the Loss Plot…",
    "Image of the Gradient Flow…",
    "Image of the Layer Statistics…",
    "Image of the Decision Boundary…",
]


def pixels(path):
    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB32)
    flat = np.frombuffer(image.constBits(), np.uint32, image.width() * image.height())
    return flat.reshape(image.height(), image.width()).copy()  # the QImage owns the buffer


@pytest.mark.parametrize("text", IMAGES)
def test_image_exports_make_a_drawn_png_and_svg(trained, answers, out, text):
    png, svg = out / "picture.png", out / "picture.svg"
    trigger(trained, answers, text, png)
    trigger(trained, answers, text, svg)
    assert answers["errors"] == []
    image = QImage(str(png))
    assert not image.isNull() and image.width() >= 100 and image.height() >= 100
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), np.uint32, image.width() * image.height())
    assert len(np.unique(pixels)) > 10  # drawn, not blank
    root = ET.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    drawn = {el.tag.split("}")[1] for el in root.iter()}
    assert drawn & {"path", "polyline", "rect", "image", "circle", "ellipse"}
    assert "image of the" in status(trained)


def test_the_network_picture_keeps_what_each_layer_is(trained, answers, out):
    svg = out / "network.svg"
    trigger(trained, answers, IMAGES[0], svg)
    words = " ".join(el.text or "" for el in ET.parse(svg).getroot().iter())
    # the layer cards still say their activation and bias (only the edit buttons went)
    for layer in trained.document.network.layers:
        assert ACTIVATIONS[layer.activation].title in words
    assert words.count("bias") >= len(trained.document.network.layers)


@pytest.mark.parametrize("text", IMAGES[1:])
def test_plot_images_have_a_margin_so_no_label_is_cut(trained, answers, out, text):
    png = out / "plot.png"
    trigger(trained, answers, text, png)
    image = pixels(png)
    edge = round(image_export.VIEW_MARGIN)  # logical pixels: twice as many in the PNG
    for strip in (image[:edge], image[-edge:], image[:, :edge], image[:, -edge:]):
        assert len(np.unique(strip)) == 1  # background only: nothing reaches the border


def test_the_layer_statistics_image_shows_both_histograms_and_their_readouts(trained, answers, out):
    stats = trained.layer_stats
    stats.set_layer(1)
    picture = trained.exporter.layer_stats_picture()
    assert trained.plots_panel.tabs.currentWidget() is stats
    svg = out / "stats.svg"
    image_export.save_picture(picture, svg)
    text = " ".join(el.text or "" for el in ET.parse(svg).getroot().iter())
    assert "layer 2 (8→1)" in text and "step 12" in text
    assert "mean" in text and "|max|" in text and "values" in text
    heights = [hist.plot.viewport().height() for hist in stats.histograms.values()]
    assert picture.height > sum(heights)  # both plots, with captions between
    trigger(trained, answers, "Image of the Layer Statistics…", out / "s.png")
    assert answers["suggestion"].endswith("xor-layer-stats.png")
    assert status(trained) == "Exported the image of the layer statistics to s.png"


def test_plot_image_of_a_closed_dock_shows_it_first(trained, answers, out):
    trained.plots_dock.close()
    trigger(trained, answers, "Image of the Gradient Flow…", out / "g.png")
    assert trained.plots_dock.isVisible()
    assert trained.plots_panel.tabs.currentWidget() is trained.plots_panel.gradient_flow
    assert not QImage(str(out / "g.png")).isNull()


def test_export_errors_name_the_file_and_leave_nothing(window, answers, out):
    missing = out / "no-such-folder" / "w.npz"
    trigger(window, answers, "Weights…", missing)
    assert len(answers["errors"]) == 1 and str(missing) in answers["errors"][0]
    trigger(window, answers, "Image of the Network…", out / "net.gif")
    assert "net.gif" in answers["errors"][1] and ".png or .svg" in answers["errors"][1]
    assert list(out.iterdir()) == []


def test_a_failed_export_keeps_the_old_file(window, answers, out, monkeypatch):
    path = out / "w.json"
    path.write_text("old")

    def broken(net, p, preprocessing=None):
        from simulator.project.files import write_atomic

        def write(f):
            f.write(b"half")
            raise OSError("disk full")

        write_atomic(p, write)

    monkeypatch.setattr(export_actions, "export_weights", broken)
    trigger(window, answers, "Weights…", path)
    assert "disk full" in answers["errors"][0] and str(path) in answers["errors"][0]
    assert path.read_text() == "old" and sorted(out.iterdir()) == [path]


def test_cancelled_export_writes_nothing(window, answers, out):
    trigger(window, answers, "Weights…", "")
    assert answers["errors"] == [] and list(out.iterdir()) == []


# --------------------------------------------------------------------- load weights


def load(window, answers, path):
    answers["path"] = str(path)
    window.importer.load_weights_action.trigger()


def test_load_matching_weights_then_undo(window, answers, out, qtbot):
    source = Network([2, 8, 1], ["tanh", "sigmoid"], loss="bce", seed=99)
    source.set_connection(1, 3, 0, False)
    path = out / "other.safetensors"
    export_weights(source, path)
    before = [la.weights.copy() for la in window.document.network.layers]
    load(window, answers, path)
    assert answers["errors"] == [] and answers["infos"] == []
    for la, lb in zip(window.document.network.layers, source.layers):
        np.testing.assert_array_equal(la.weights, lb.weights)
        np.testing.assert_array_equal(la.mask, lb.mask)
    assert "Loaded weights from other.safetensors" in status(window)
    assert window.isWindowModified()
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    for la, w in zip(window.document.network.layers, before):
        np.testing.assert_array_equal(la.weights, w)
    assert window.document.network.layers[1].mask.all()


def test_load_weights_with_other_activations_says_they_were_kept(window, answers, out):
    path = out / "relu.npz"
    export_weights(Network([2, 8, 1], ["relu", "sigmoid"], loss="bce", seed=5), path)
    load(window, answers, path)
    assert answers["errors"] == []
    assert len(answers["infos"]) == 1 and "relu, sigmoid" in answers["infos"][0]
    assert window.document.network.activations == ["tanh", "sigmoid"]


def test_load_mismatching_weights_names_the_layer_and_changes_nothing(window, answers, out):
    path = out / "wide.json"
    export_weights(Network([2, 8, 2], ["tanh", "softmax"], loss="cross_entropy"), path)
    before = [la.weights.copy() for la in window.document.network.layers]
    load(window, answers, path)
    (message,) = answers["errors"]
    assert str(path) in message
    assert "layer 2 (hidden 1 → output): the file has 8×2 weights, the network has 8×1" in message
    assert window.document.undo_stack.count() == 0
    for la, w in zip(window.document.network.layers, before):
        np.testing.assert_array_equal(la.weights, w)


def test_load_damaged_weights_names_the_file(window, answers, out):
    path = out / "junk.npz"
    path.write_bytes(b"not a zip")
    load(window, answers, path)
    (message,) = answers["errors"]
    assert message.startswith(str(path)) and "npz" in message
    assert window.document.undo_stack.count() == 0


def test_load_weights_pauses_training(window, answers, out, qtbot):
    path = out / "w.npz"
    export_weights(Network([2, 8, 1], ["tanh", "sigmoid"], seed=8), path)
    window.controller.play()
    load(window, answers, path)
    assert not window.controller.playing
    np.testing.assert_array_equal(
        window.document.network.layers[0].weights, load_weights(path)[1][0][0]
    )
