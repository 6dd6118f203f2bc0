"""The network canvas, driven by real clicks, keys and menus on its viewport."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QFontInfo,
    QImage,
    QPainter,
    QPalette,
    QWheelEvent,
)
from PySide6.QtWidgets import QApplication, QGraphicsItem, QMenu

from simulator.app import numbers
from simulator.app.document import Document
from simulator.engine.activations import ACTIVATIONS
from simulator.project import Project, load_example
from simulator.ui import appearance
from simulator.ui import canvas as canvas_module
from simulator.ui import canvas_items as items_module
from simulator.ui.canvas import (
    MAX_FULL_COLUMN,
    ConnectionItem,
    LayerHeaderItem,
    NetworkCanvas,
    NeuronItem,
    SelectedConnection,
    SelectedNeuron,
    visible_indices,
)
from simulator.ui.canvas_framing import MIN_TEXT_PX
from simulator.ui.canvas_items import LabelItem, Theme
from simulator.ui.canvas_layout import ROW_SPACING
from tests.ui.events import EventCounter


def mnist_sized_project(n_samples: int = 10) -> Project:
    """A 784-64-10 project (MNIST's shape) on a few inline random samples."""
    d = load_example("digits").to_dict()
    rng = np.random.default_rng(0)
    d["network"]["sizes"] = [784, 64, 10]
    d["data"] = {
        "dataset": "inline",
        "kind": "multiclass",
        "X": rng.random((n_samples, 784)).round(2).tolist(),
        "y": [i % 10 for i in range(n_samples)],
        "class_names": [str(i) for i in range(10)],
        "test_ratio": 0.2,
        "features": [],
        "seed": None,
    }
    return Project.from_dict(d)


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def make_canvas(qtbot):
    def make(doc: Document | None = None) -> NetworkCanvas:
        canvas = NetworkCanvas(doc or Document())
        qtbot.addWidget(canvas)
        canvas.resize(1000, 700)
        canvas.show()
        qtbot.waitExposed(canvas)
        return canvas

    return make


def point_on(canvas: NetworkCanvas, item) -> QPoint:
    """A viewport point where ``item`` is the canvas item under the mouse."""
    if isinstance(item, ConnectionItem):
        line = item.mapToScene(item.line().p1()), item.mapToScene(item.line().p2())
        candidates = [
            line[0] + (line[1] - line[0]) * t
            for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.25, 0.75, 0.2, 0.8)
        ]
    else:
        candidates = [item.sceneBoundingRect().center()]
    for scene_point in candidates:
        pos = canvas.mapFromScene(scene_point)
        if canvas.viewport().rect().contains(pos) and canvas.item_at(pos) is item:
            return pos
    raise AssertionError(f"{item!r} cannot be clicked: it is covered or out of view")


def click(qtbot, canvas, item, button=Qt.MouseButton.LeftButton):
    qtbot.mouseClick(canvas.viewport(), button, pos=point_on(canvas, item))


def double_click(qtbot, canvas, item=None, pos: QPoint | None = None):
    """The events of a real double click: press, release, double-click, release (QTest's
    mouseDClick sends the double-click event alone)."""
    pos = point_on(canvas, item) if pos is None else pos
    viewport, left = canvas.viewport(), Qt.MouseButton.LeftButton
    qtbot.mouseClick(viewport, left, pos=pos)
    qtbot.mouseDClick(viewport, left, pos=pos)
    qtbot.mouseRelease(viewport, left, pos=pos)


def click_button(qtbot, canvas, kind, k):
    button = canvas.button(kind, k)
    assert button is not None, f"no {kind} button on column {k}"
    click(qtbot, canvas, button)


def menu_pick(qtbot, *path: str):
    """Arrange for the next menu that opens to choose ``path`` by clicking its entries.

    Returns a list that receives the texts of the menu's entries (or the error).
    """
    seen: list = []

    def find(menu: QMenu, text: str):
        for action in menu.actions():
            if action.text().replace("&", "") == text:
                return action
        raise AssertionError(f"no {text!r} in menu {[a.text() for a in menu.actions()]}")

    def pick():
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(10, pick)
            return
        try:
            seen.extend(a.text() for a in menu.actions())
            for depth, text in enumerate(path):
                action = find(menu, text)
                assert action.isEnabled(), f"{text!r} is disabled"
                qtbot.mouseClick(
                    menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center()
                )
                if depth < len(path) - 1:
                    sub = action.menu()
                    qtbot.waitUntil(sub.isVisible, timeout=10_000)
                    menu = sub
        except Exception as exc:  # noqa: BLE001 - fail the test, never hang in the menu's loop
            seen.append(exc)
            for widget in (QApplication.activePopupWidget(), menu):
                if widget is not None:
                    widget.close()

    QTimer.singleShot(0, pick)
    return seen


def check_menu(seen: list) -> list:
    errors = [e for e in seen if isinstance(e, Exception)]
    if errors:
        raise errors[0]
    assert seen, "no menu opened"
    return seen


def right_click(qtbot, canvas, item=None, pos: QPoint | None = None):
    """A right click as the platform delivers it: the mouse press/release, then the
    context-menu event at the same place."""
    if pos is None:
        pos = point_on(canvas, item)
    viewport = canvas.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.RightButton, pos=pos)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, viewport.mapToGlobal(pos))
    QApplication.sendEvent(viewport, event)


def empty_point(canvas) -> QPoint:
    rect = canvas.viewport().rect()
    for x in range(5, rect.width(), 20):
        for y in range(5, rect.height(), 20):
            if canvas.item_at(QPoint(x, y)) is None:
                return QPoint(x, y)
    raise AssertionError("no empty place on the canvas")


def structure(net):
    return (
        net.sizes,
        net.activations,
        [layer.use_bias for layer in net.layers],
        [np.argwhere(~layer.mask).tolist() for layer in net.layers],
    )


def snapshot(net):
    return [(la.weights.copy(), la.bias.copy(), la.mask.copy()) for la in net.layers]


def assert_same_values(net, snap):
    for la, (w, b, m) in zip(net.layers, snap):
        np.testing.assert_array_equal(la.weights, w)
        np.testing.assert_array_equal(la.bias, b)
        np.testing.assert_array_equal(la.mask, m)


def assert_canvas_matches(canvas: NetworkCanvas):
    """The scene shows exactly the document's network."""
    net = canvas.document.network
    last = len(net.sizes) - 1
    shown = {k: visible_indices(n) for k, n in enumerate(net.sizes)}
    neurons = {(it.layer, it.index) for it in canvas.neuron_items()}
    assert neurons == {(k, j) for k, idx in shown.items() for j in idx}
    assert all(it.scene() is canvas.scene() for it in canvas.neuron_items())
    conns = {(it.layer, it.source, it.target): it for it in canvas.connection_items()}
    expected = {(i, r, c) for i in range(len(net.layers)) for r in shown[i] for c in shown[i + 1]}
    assert set(conns) == expected
    for (i, r, c), item in conns.items():
        assert item.removed == (not net.layers[i].mask[r, c])
        if not item.removed:
            assert item.value == net.layers[i].weights[r, c]
    for k in range(len(net.sizes)):
        assert isinstance(canvas.header_item(k), LayerHeaderItem)
        if k:
            layer = net.layers[k - 1]
            assert canvas.button("activation", k).text == ACTIVATIONS[layer.activation].title
            assert canvas.button("bias", k).checked == layer.use_bias
        hidden = 0 < k < last
        for kind in ("add_neuron", "remove_neuron", "remove_layer"):
            assert (canvas.button(kind, k) is not None) == hidden
    assert canvas.button("bias", 0) is None and canvas.button("activation", 0) is None
    assert {k for k in range(len(net.sizes) + 1) if canvas.button("add_layer", k)} == set(
        range(1, len(net.sizes))
    )


# --------------------------------------------------------------------------- drawing


def test_default_example_is_drawn_with_labels_and_headers(make_canvas):
    canvas = make_canvas()
    doc = canvas.document
    assert doc.network.sizes == [2, 8, 1]
    assert_canvas_matches(canvas)
    assert len(canvas.neuron_items()) == 11 and len(canvas.connection_items()) == 2 * 8 + 8
    texts = {it.text() for it in canvas.scene().items() if isinstance(it, LabelItem)}
    assert {"x1", "x2", doc.data.output_labels[0], "Input", "Hidden 1", "Output"} <= texts
    # columns left to right
    xs = [canvas.neuron_item(k, 0).scenePos().x() for k in range(3)]
    assert xs == sorted(xs) and len(set(xs)) == 3
    tip = canvas.connection_item(0, 0, 2).toolTip()
    w = doc.network.layers[0].weights[0, 2]
    assert tip.startswith(f"w = {numbers.fmt(w)} ") and "x1 → h1_3" in tip


def test_connection_colour_is_the_sign_and_width_the_magnitude(make_canvas):
    canvas = make_canvas()
    doc = canvas.document
    doc.set_weight(0, 0, 0, 2.0)
    doc.set_weight(0, 0, 1, -0.5)
    doc.set_weight(0, 1, 0, 0.1)
    big, neg, small = (canvas.connection_item(0, *rc) for rc in [(0, 0), (0, 1), (1, 0)])
    hue = lambda item: item.pen().color().hue()  # noqa: E731
    assert hue(big) == hue(small) != hue(neg)
    assert 190 <= hue(big) <= 220  # blue for positive
    assert 20 <= hue(neg) <= 45  # orange for negative
    assert big.pen().widthF() > neg.pen().widthF() > small.pen().widthF()
    assert "w = −0.5 " in neg.toolTip()  # a real minus sign
    # one function of a value: the same items show other values (gradients, later)
    grads = [np.full(la.weights.shape, -1e-3) for la in doc.network.layers]
    canvas.set_display_values(grads, label="dL/dw")
    assert hue(big) == hue(neg) and "dL/dw = −0.001" in big.toolTip()
    canvas.set_display_values(None)
    assert hue(big) != hue(neg)


def decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def test_a_column_of_biases_reads_in_one_style(make_canvas):
    # Issue 13: a bias read "2e-3" beside "0.22".
    canvas = make_canvas()
    doc = canvas.document
    for j, b in enumerate([0.22, 0.002, -1.81, -0.0004, 3e-7, 0.5, -0.05, 1.0]):
        doc.set_bias(0, j, b)
    texts = [canvas.neuron_item(1, j).text() for j in range(8)]
    assert texts[:3] == ["0.22", "0.00", "−1.81"]
    assert len({decimals(t) for t in texts}) == 1, texts
    assert not any("e" in t or "×" in t or "-" in t for t in texts), texts
    # A column of small values only: two digits of the largest, still one style.
    for j in range(8):
        doc.set_bias(0, j, 0.004 * (j - 3))
    texts = [canvas.neuron_item(1, j).text() for j in range(8)]
    assert texts[4] == "0.004" and texts[0] == "−0.012", texts
    assert {decimals(t) for t in texts if t != "0"} == {3}, texts


def test_legend_explains_the_weights_and_stays_clear_of_the_fitted_network(make_canvas):
    canvas = make_canvas()
    text = canvas.legend_text()
    assert "weight w" in text and "blue > 0, orange < 0" in text and "bias b" in text
    assert "Next" not in text and "Maps" not in text  # no controller: no phases, no maps
    assert canvas.legend.isVisible()
    network = canvas.mapFromScene(canvas.sceneRect()).boundingRect()
    assert not canvas.legend.geometry().intersects(network)
    canvas.set_display_values(
        [np.ones(la.weights.shape) for la in canvas.document.network.layers], label="dL/dw"
    )
    assert "dL/dw" in canvas.legend_text()


def test_neurons_show_their_bias(make_canvas):
    canvas = make_canvas()
    doc = canvas.document
    doc.set_bias(0, 2, 0.75)
    item = canvas.neuron_item(1, 2)
    assert item.text() == "0.75" and "b = 0.75" in item.toolTip()
    assert 190 <= item.fill().hue() <= 220  # positive: blue
    assert canvas.neuron_item(1, 0).text() == "0"
    assert canvas.neuron_item(1, 0).fill() == canvas.palette().color(QPalette.ColorRole.Base)
    doc.set_bias(0, 3, -0.2)
    assert 20 <= canvas.neuron_item(1, 3).fill().hue() <= 45  # negative: orange
    assert canvas.neuron_item(1, 3).text() == "−0.20"  # a real minus sign
    doc.set_use_bias(0, False)
    assert canvas.neuron_item(1, 2).text() == "" and "no bias" in canvas.neuron_item(1, 2).toolTip()


# --------------------------------------------------------------------------- building by clicks


def test_build_by_clicks_then_undo_and_redo_everything(make_canvas, qtbot):
    canvas = make_canvas()
    doc = canvas.document
    original, original_values = structure(doc.network), snapshot(doc.network)

    # 1. add a layer between the hidden layer and the output
    click_button(qtbot, canvas, "add_layer", 2)
    assert doc.network.sizes == [2, 8, 4, 1]
    assert_canvas_matches(canvas)
    # 2. two more neurons on it
    click_button(qtbot, canvas, "add_neuron", 2)
    click_button(qtbot, canvas, "add_neuron", 2)
    assert doc.network.sizes == [2, 8, 6, 1]
    # 3. remove a connection: select it by a click, then Delete
    click(qtbot, canvas, canvas.connection_item(0, 1, 3))
    assert canvas.connection_item(0, 1, 3).isSelected()
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert not doc.network.layers[0].mask[1, 3]
    assert canvas.connection_item(0, 1, 3).removed
    # ... and another through its context menu
    seen = menu_pick(qtbot, "Remove connection")
    right_click(qtbot, canvas, canvas.connection_item(1, 4, 5))
    check_menu(seen)
    assert not doc.network.layers[1].mask[4, 5]
    # 4. the new layer's activation, from its header's dropdown
    seen = menu_pick(qtbot, "ReLU")
    click_button(qtbot, canvas, "activation", 2)
    check_menu(seen)
    # 5. its bias off
    click_button(qtbot, canvas, "bias", 2)

    net = doc.network
    assert net.sizes == [2, 8, 6, 1]
    assert net.activations == ["tanh", "relu", "sigmoid"]
    assert [la.use_bias for la in net.layers] == [True, False, True]
    assert [np.argwhere(~la.mask).tolist() for la in net.layers] == [[[1, 3]], [[4, 5]], []]
    assert_canvas_matches(canvas)
    assert canvas.button("activation", 2).text == "ReLU"
    assert not canvas.button("bias", 2).checked

    built, built_values = structure(doc.network), snapshot(doc.network)
    steps = doc.undo_stack.count()
    assert steps == 7
    for _ in range(steps):
        doc.undo_stack.undo()
        assert_canvas_matches(canvas)
    assert structure(doc.network) == original
    assert_same_values(doc.network, original_values)
    for _ in range(steps):
        doc.undo_stack.redo()
        assert_canvas_matches(canvas)
    assert structure(doc.network) == built
    assert_same_values(doc.network, built_values)


def test_remove_a_neuron_and_a_layer_by_clicks(make_canvas, qtbot):
    canvas = make_canvas()
    doc = canvas.document
    click(qtbot, canvas, canvas.neuron_item(1, 5))
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert doc.network.sizes == [2, 7, 1]
    click_button(qtbot, canvas, "remove_neuron", 1)
    assert doc.network.sizes == [2, 6, 1]
    click_button(qtbot, canvas, "remove_layer", 1)
    assert doc.network.sizes == [2, 1]
    assert_canvas_matches(canvas)
    click_button(qtbot, canvas, "add_layer", 1)
    assert doc.network.sizes == [2, 4, 1]


def test_removed_connection_is_dashed_and_a_click_restores_it(make_canvas, qtbot):
    canvas = make_canvas()
    doc = canvas.document
    doc.set_connection(0, 0, 4, False)
    item = canvas.connection_item(0, 0, 4)
    assert item.removed and item.pen().style() == Qt.PenStyle.DashLine
    assert item.isVisible() and "restore" in item.toolTip()
    click(qtbot, canvas, item)
    assert doc.network.layers[0].mask[0, 4]
    assert canvas.connection_item(0, 0, 4).pen().style() == Qt.PenStyle.SolidLine
    # and from the context menu
    doc.set_connection(0, 1, 4, False)
    seen = menu_pick(qtbot, "Restore connection")
    right_click(qtbot, canvas, canvas.connection_item(0, 1, 4))
    check_menu(seen)
    assert doc.network.layers[0].mask.all()


def test_header_menu_offers_every_layer_edit(make_canvas, qtbot):
    canvas = make_canvas()
    doc = canvas.document
    doc.set_connection(0, 0, 0, False)
    doc.set_connection(1, 2, 0, False)
    header = canvas.header_item(1)
    pos = canvas.mapFromScene(header.sceneBoundingRect().bottomLeft() + QPointF(6, -4))
    assert canvas.item_at(pos) is header
    seen = menu_pick(qtbot, "Restore all connections")
    right_click(qtbot, canvas, pos=pos)
    texts = [t.replace("&", "") for t in check_menu(seen)]
    for expected in (
        "Activation",
        "Bias",
        "Add neuron",
        "Remove last neuron",
        "Remove layer",
        "Add layer before",
        "Add layer after",
        "Restore all connections",
        "Fit to view",
    ):
        assert expected in texts
    assert doc.network.layers[0].mask.all() and doc.network.layers[1].mask.all()
    # activation from the layer's context menu (a submenu)
    seen = menu_pick(qtbot, "Activation", "Sigmoid")
    right_click(qtbot, canvas, pos=pos)
    check_menu(seen)
    assert doc.network.activations[0] == "sigmoid"
    seen = menu_pick(qtbot, "Add layer after")
    right_click(
        qtbot,
        canvas,
        pos=canvas.mapFromScene(
            canvas.header_item(1).sceneBoundingRect().bottomLeft() + QPointF(6, -4)
        ),
    )
    check_menu(seen)
    assert doc.network.sizes == [2, 8, 4, 1]


def test_neuron_and_empty_canvas_menus(make_canvas, qtbot):
    canvas = make_canvas()
    doc = canvas.document
    seen = menu_pick(qtbot, "Remove neuron")
    right_click(qtbot, canvas, canvas.neuron_item(1, 0))
    texts = check_menu(seen)
    assert "Add neuron below" in texts and "Set bias…" in texts
    assert doc.network.sizes == [2, 7, 1]
    # inputs follow the features: no neuron edits on them
    seen = menu_pick(qtbot, "Add layer after")
    right_click(qtbot, canvas, canvas.neuron_item(0, 0))
    texts = check_menu(seen)
    assert "Remove neuron" not in texts and "Add neuron below" not in texts
    assert doc.network.sizes == [2, 4, 7, 1]
    seen = menu_pick(qtbot, "Add hidden layer")
    right_click(qtbot, canvas, pos=empty_point(canvas))
    check_menu(seen)
    assert doc.network.sizes == [2, 4, 7, 4, 1]
    assert_canvas_matches(canvas)


def test_double_click_types_a_weight_and_a_bias(make_canvas, qtbot, monkeypatch):
    canvas = make_canvas()
    doc = canvas.document
    asked = []

    def fake_ask(parent, title, label, value):
        asked.append((title, label, value))
        return {"Set weight": -1.25, "Set bias": 0.5}[title]

    monkeypatch.setattr(canvas_module, "ask_number", fake_ask)
    w = doc.network.layers[1].weights[3, 0]
    double_click(qtbot, canvas, canvas.connection_item(1, 3, 0))
    assert asked[-1] == ("Set weight", "Weight of h1_4 → p(class 1):", w)
    assert doc.network.layers[1].weights[3, 0] == -1.25
    assert canvas.connection_item(1, 3, 0).value == -1.25
    assert "w = −1.25 " in canvas.connection_item(1, 3, 0).toolTip()
    double_click(qtbot, canvas, canvas.neuron_item(1, 6))
    assert asked[-1][0] == "Set bias"
    assert doc.network.layers[0].bias[6] == 0.5
    assert canvas.neuron_item(1, 6).text() == "0.50"
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.network.layers[1].weights[3, 0] == w and doc.network.layers[0].bias[6] == 0


def test_refused_edit_shows_a_message_and_changes_nothing(make_canvas, qtbot):
    doc = Document()
    doc.add_layer(2, 1)
    canvas = make_canvas(doc)
    before, steps = structure(doc.network), doc.undo_stack.count()
    with qtbot.waitSignal(canvas.message, timeout=10_000) as blocker:
        click_button(qtbot, canvas, "remove_neuron", 2)
    assert "at least one neuron" in blocker.args[0]
    assert canvas.notice.isVisible() and "at least one neuron" in canvas.notice.text()
    assert structure(doc.network) == before and doc.undo_stack.count() == steps
    # Delete on an input neuron: the inputs follow the features
    click(qtbot, canvas, canvas.neuron_item(0, 0))
    with qtbot.waitSignal(canvas.message, timeout=10_000) as blocker:
        qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert "input" in blocker.args[0]
    assert structure(doc.network) == before


def test_selection_is_reported(make_canvas, qtbot):
    canvas = make_canvas()
    with qtbot.waitSignal(canvas.selection_changed, timeout=10_000) as blocker:
        click(qtbot, canvas, canvas.connection_item(0, 1, 2))
    assert blocker.args[0] == SelectedConnection(0, 1, 2, "x2 → h1_3")
    with qtbot.waitSignal(canvas.selection_changed, timeout=10_000) as blocker:
        click(qtbot, canvas, canvas.neuron_item(1, 4))
    assert blocker.args[0] == SelectedNeuron(1, 4, "h1_5")
    canvas.document.set_bias(0, 4, 1.0)  # values change: the selection stays
    assert canvas.neuron_item(1, 4).isSelected() and canvas.selection().index == 4
    with qtbot.waitSignal(canvas.selection_changed, timeout=10_000) as blocker:
        qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=empty_point(canvas))
    assert blocker.args[0] is None


# --------------------------------------------------------------------------- big layers


def test_digits_network_is_drawn_compactly(make_canvas, qtbot):
    canvas = make_canvas(Document(load_example("digits")))
    doc = canvas.document
    assert doc.network.sizes == [64, 32, 10]
    assert_canvas_matches(canvas)
    assert len(canvas.neuron_items()) == 5 + 5 + 10
    texts = {it.text() for it in canvas.scene().items() if isinstance(it, LabelItem)}
    assert {"64 inputs", "32 neurons", "px0", "px63", "9"} <= texts
    # representative neurons still edit: the last hidden neuron, by Delete
    click(qtbot, canvas, canvas.neuron_item(1, 31))
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert doc.network.sizes == [64, 31, 10]
    click_button(qtbot, canvas, "add_neuron", 1)
    click_button(qtbot, canvas, "add_neuron", 1)
    assert doc.network.sizes == [64, 33, 10]
    click(qtbot, canvas, canvas.connection_item(0, 63, 32))
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert not doc.network.layers[0].mask[63, 32]
    assert_canvas_matches(canvas)


def test_784_wide_input_is_drawn_compactly(make_canvas, qtbot):
    canvas = make_canvas(Document(mnist_sized_project()))
    doc = canvas.document
    assert doc.network.sizes == [784, 64, 10]
    assert len(canvas.neuron_items()) < 60
    assert len(canvas.connection_items()) <= 5 * 5 + 5 * 10
    texts = {it.text() for it in canvas.scene().items() if isinstance(it, LabelItem)}
    assert {"784 inputs", "64 neurons", "x784", "779 more"} <= texts
    assert_canvas_matches(canvas)
    click_button(qtbot, canvas, "add_layer", 2)
    assert doc.network.sizes == [784, 64, 4, 10]
    assert_canvas_matches(canvas)
    assert max(doc.network.sizes) > MAX_FULL_COLUMN


# --------------------------------------------------------------------------- view


def wheel(canvas, steps: int, modifiers=Qt.KeyboardModifier.ControlModifier):
    pos = QPointF(canvas.viewport().rect().center())
    event = QWheelEvent(
        pos,
        QPointF(canvas.viewport().mapToGlobal(pos.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(canvas.viewport(), event)


def fully_visible(canvas) -> bool:
    shown = canvas.mapFromScene(canvas.sceneRect()).boundingRect()
    return canvas.viewport().rect().adjusted(-1, -1, 1, 1).contains(shown)


def test_zoom_fit_and_auto_fit(make_canvas, qtbot):
    canvas = make_canvas()
    fitted = canvas.transform().m11()
    assert fully_visible(canvas)
    wheel(canvas, 2)
    assert canvas.transform().m11() == pytest.approx(fitted * 1.15**2)
    # the user zoomed: a structural edit keeps the zoom
    canvas.document.add_layer(1)
    assert canvas.transform().m11() == pytest.approx(fitted * 1.15**2)
    qtbot.keyClick(canvas, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    refitted = canvas.transform().m11()
    assert refitted < fitted * 1.15**2
    # fitted: later edits fit again
    canvas.document.add_layer(1)
    assert fully_visible(canvas)
    scale = canvas.transform().m11()
    wheel(canvas, 1, Qt.KeyboardModifier.NoModifier)  # a plain wheel scrolls, never zooms
    assert canvas.transform().m11() == scale


def row_gap(canvas, k: int = 1) -> float:
    """The scene distance between the first two neurons of column ``k``."""
    return canvas.neuron_item(k, 1).scenePos().y() - canvas.neuron_item(k, 0).scenePos().y()


def smallest_text_px(canvas) -> float:
    """How tall the canvas's smallest text (a neuron's value) is on screen, in pixels."""
    small = Theme.from_widget(canvas).small_font
    return QFontInfo(small).pixelSize() * canvas.transform().m11()


def test_a_long_network_stays_readable_fills_the_height_and_scrolls(make_canvas, qtbot):
    canvas = make_canvas(Document(load_example("vanishing-sigmoid")))  # 2-8x6-1
    assert canvas.document.network.sizes == [2, 8, 8, 8, 8, 8, 8, 1]
    canvas.resize(700, 560)  # the canvas of the default window at 1366x768
    vertical = canvas.verticalScrollBar()
    # its rows spread out, as far as the height allows
    qtbot.waitUntil(
        lambda: row_gap(canvas) > 1.3 * ROW_SPACING and vertical.maximum() <= vertical.minimum()
    )
    assert smallest_text_px(canvas) >= MIN_TEXT_PX - 1e-9  # never shrunk below readable
    # ... so it scrolls sideways, from the inputs on
    bar = canvas.horizontalScrollBar()
    assert bar.maximum() > 0 and bar.value() == bar.minimum()
    viewport = canvas.viewport().rect()
    first = canvas.mapFromScene(canvas.neuron_item(0, 0).sceneBoundingRect()).boundingRect()
    assert viewport.contains(first)
    # ... and uses the height the legend leaves (in both directions, not only the width)
    network = canvas.mapFromScene(canvas.scene().itemsBoundingRect()).boundingRect()
    room = viewport.height() - canvas.legend.height()
    assert network.height() >= 0.85 * room
    assert not network.intersects(canvas.legend.geometry()) or bar.maximum() > 0
    # Wide enough: the whole network fits beside the legend, nothing scrolls, it is drawn
    # larger, and its rows close up to what the height still fills.
    spread, scale = row_gap(canvas), canvas.transform().m11()
    canvas.resize(1900, 560)
    qtbot.waitUntil(lambda: row_gap(canvas) < spread and canvas.transform().m11() > scale)
    assert canvas.horizontalScrollBar().maximum() <= 0
    assert fully_visible(canvas)
    network = canvas.mapFromScene(canvas.scene().itemsBoundingRect()).boundingRect()
    assert network.height() >= 0.85 * canvas.viewport().height()


def test_a_short_network_keeps_its_rows(make_canvas, qtbot):
    canvas = make_canvas()  # XOR's 2-8-1: its height limits it in a 700x560 view
    canvas.resize(700, 560)
    qtbot.waitUntil(lambda: canvas.viewport().width() == 700)
    canvas.rebuild()  # builds the rows as this view wants them (what a settled resize does)
    assert row_gap(canvas) == pytest.approx(ROW_SPACING)
    assert fully_visible(canvas)


def test_dragging_the_background_pans(make_canvas, qtbot):
    canvas = make_canvas()
    wheel(canvas, 8)  # zoom in so there is room to pan
    bar = canvas.horizontalScrollBar()
    assert bar.maximum() > 0
    start = empty_point(canvas)
    before = bar.value()
    viewport = canvas.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    for dx in (10, 40, 80):
        qtbot.mouseMove(viewport, start + QPoint(dx, 0))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=start + QPoint(80, 0))
    assert bar.value() < before


def test_follows_a_dark_palette(make_canvas):
    canvas = make_canvas()
    dark = QPalette()
    dark.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#eeeeee"))
    canvas.setPalette(dark)
    assert canvas.backgroundBrush().color().lightnessF() < 0.2
    assert_canvas_matches(canvas)
    label = next(
        it for it in canvas.scene().items() if isinstance(it, LabelItem) and it.text() == "x1"
    )
    assert label.brush().color().lightnessF() > 0.8


def test_project_replaced_rebuilds(make_canvas):
    canvas = make_canvas()
    canvas.document.open_project(load_example("digits"))
    assert_canvas_matches(canvas)
    assert any(isinstance(it, NeuronItem) and it.name == "px63" for it in canvas.scene().items())


def test_ctrl_click_selects_several_and_delete_is_one_undo_step(make_canvas, qtbot):
    canvas = make_canvas()
    doc = canvas.document
    click(qtbot, canvas, canvas.connection_item(0, 0, 1))
    for item in (canvas.connection_item(0, 1, 6), canvas.neuron_item(1, 3)):
        qtbot.mouseClick(
            canvas.viewport(),
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.ControlModifier,
            point_on(canvas, item),
        )
    assert len(canvas.scene().selectedItems()) == 3
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert doc.network.sizes == [2, 7, 1]
    assert np.argwhere(~doc.network.layers[0].mask).tolist() == [[0, 1], [1, 5]]
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert doc.network.sizes == [2, 8, 1] and doc.network.layers[0].mask.all()
    assert_canvas_matches(canvas)


def test_quick_clicks_on_a_button_all_count(make_canvas, qtbot):
    canvas = make_canvas()
    double_click(qtbot, canvas, canvas.button("add_neuron", 1))  # two quick clicks
    assert canvas.document.network.sizes == [2, 10, 1]
    double_click(qtbot, canvas, canvas.button("remove_neuron", 1))
    assert canvas.document.network.sizes == [2, 8, 1]


def test_wide_short_view_puts_the_network_beside_the_legend(make_canvas, qtbot):
    canvas = make_canvas()
    canvas.resize(1100, 420)  # like the canvas of the default window on a 1366x768 screen
    qtbot.waitUntil(lambda: canvas.viewport().width() > 1000)
    network = canvas.mapFromScene(canvas.scene().itemsBoundingRect()).boundingRect()
    legend = canvas.legend.geometry()
    assert network.left() > legend.right()  # beside, not above
    assert network.bottom() > legend.top()  # using the height the legend leaves free
    assert network.right() <= canvas.viewport().width()
    # An edit does not throw the network sideways: the "+" neuron button is still under the
    # point that was just clicked, so a second quick click adds another neuron.
    button = canvas.button("add_neuron", 1)
    clicked = canvas.mapFromScene(button.sceneBoundingRect().center())
    canvas.document.add_neuron(1)
    moved = canvas.mapFromScene(canvas.button("add_neuron", 1).sceneBoundingRect()).boundingRect()
    assert moved.contains(clicked)


def test_a_click_folds_the_legend_and_the_network_grows_into_the_room(make_canvas, qtbot):
    canvas = make_canvas()
    canvas.resize(760, 520)  # the legend under the network
    full_height = canvas.legend.height()
    scale = canvas.transform().m11()
    qtbot.mouseClick(canvas.legend, Qt.MouseButton.LeftButton)
    assert canvas.legend.collapsed
    assert canvas.legend.height() < full_height / 2  # one line: the title
    assert canvas.transform().m11() > scale * 1.05
    network = canvas.mapFromScene(canvas.scene().itemsBoundingRect()).boundingRect()
    assert not canvas.legend.geometry().intersects(network)
    # The choice is remembered: the next canvas starts folded; a click unfolds it.
    again = make_canvas()
    assert again.legend.collapsed
    qtbot.mouseClick(again.legend, Qt.MouseButton.LeftButton)
    assert not again.legend.collapsed and again.legend.height() > full_height / 2


def test_marks_ring_items_per_owner_and_survive_a_rebuild(make_canvas):
    canvas = make_canvas()
    canvas.set_marks("lesson", neurons=[(1, 0)], connections=[(0, 1, 0)])
    canvas.set_marks("check", connections=[(1, 0, 0)], colour="#ff0000")
    assert canvas.neuron_item(1, 0).mark() is not None
    assert canvas.connection_item(1, 0, 0).mark() == QColor("#ff0000")
    assert set(canvas.marked_items()) == {
        canvas.neuron_item(1, 0),
        canvas.connection_item(0, 1, 0),
        canvas.connection_item(1, 0, 0),
    }
    canvas.document.add_neuron(1)  # a rebuild: new items, the same marks
    assert canvas.neuron_item(1, 0).mark() is not None
    assert canvas.connection_item(0, 1, 0).mark() is not None
    canvas.clear_marks("lesson")
    assert canvas.marked_items() == [canvas.connection_item(1, 0, 0)]
    canvas.clear_marks()
    assert canvas.marked_items() == []


# --------------------------------------------------------------------------- drawing fast
# Each layer's connections are drawn by one batch, each neuron's face and rim come from a
# cache of pixmaps: the pictures must be the ones the items drew themselves.


def on_viewport(canvas, item: ConnectionItem):
    """The viewport rectangle of the middle of ``item``'s line."""
    line = item.line()
    middle = canvas.mapFromScene(item.mapToScene(line.center()))
    return QRectF(middle.x() - 2, middle.y() - 2, 4, 4).toRect()


def picture(canvas, scale: float, ratio: float) -> np.ndarray:
    """The whole scene drawn at ``scale`` on a device of pixel ratio ``ratio``, as RGB."""
    source = canvas.scene().sceneRect()
    width, height = round(source.width() * scale), round(source.height() * scale)
    image = QImage(round(width * ratio), round(height * ratio), QImage.Format.Format_RGB32)
    image.setDevicePixelRatio(ratio)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
    canvas.scene().render(painter, QRectF(0, 0, width, height), source)
    painter.end()
    bits = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    return bits.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, : image.width(), :3].copy()


def test_every_connection_is_drawn_by_its_layers_batch(make_canvas):
    canvas = make_canvas()
    connections = canvas.connection_items()
    assert connections
    batches = {item.batch() for item in connections}
    assert None not in batches and len(batches) == len(canvas.document.network.layers)
    for item in connections:  # the item itself draws nothing, the batch does
        assert item.flags() & QGraphicsItem.GraphicsItemFlag.ItemHasNoContents
    canvas.document.add_neuron(1)  # a rebuild: new items, new batches
    assert all(item.batch() is not None for item in canvas.connection_items())
    assert not batches & {item.batch() for item in canvas.connection_items()}


def test_selecting_a_connection_repaints_it_with_its_band(qtbot, make_canvas):
    canvas = make_canvas()
    item = canvas.connection_item(0, 1, 3)
    plain = picture(canvas, 1.0, 1.0)
    painted = EventCounter([canvas.viewport()])
    item.setSelected(True)
    # The batch asked for its part of the view to be painted again (the item cannot: it has
    # no contents of its own), and draws the band.
    qtbot.waitUntil(lambda: painted.covered(on_viewport(canvas, item)))
    selected = picture(canvas, 1.0, 1.0)
    assert (selected != plain).any()
    painted.clear()
    item.setSelected(False)
    qtbot.waitUntil(lambda: painted.covered(on_viewport(canvas, item)))
    assert (picture(canvas, 1.0, 1.0) == plain).all()


def test_hovering_a_connection_lights_it_and_writes_its_tooltip(qtbot, make_canvas):
    canvas = make_canvas()
    item = canvas.connection_item(0, 0, 2)
    assert QGraphicsItem.toolTip(item) == ""  # written only when wanted
    assert item.toolTip().startswith("w = ")  # … which reading it is
    plain = picture(canvas, 1.0, 1.0)
    painted = EventCounter([canvas.viewport()])
    qtbot.mouseMove(canvas.viewport(), point_on(canvas, item))
    qtbot.waitUntil(lambda: QGraphicsItem.toolTip(item) == item.toolTip())
    qtbot.waitUntil(lambda: painted.covered(on_viewport(canvas, item)))
    assert (picture(canvas, 1.0, 1.0) != plain).any()
    assert item.cursor().shape() == Qt.CursorShape.PointingHandCursor
    # A new value while the mouse is on it: the tooltip Qt would show follows.
    canvas.document.set_weight(0, 0, 2, 0.125)
    assert QGraphicsItem.toolTip(item).startswith("w = 0.125")


@pytest.mark.parametrize("look", ["light", "dark"])
@pytest.mark.parametrize(("scale", "ratio"), [(1.0, 1.0), (1.0, 2.0), (2.0, 1.0), (1.5, 2.0)])
def test_neurons_from_the_pixmap_cache_look_as_drawn(make_canvas, monkeypatch, look, scale, ratio):
    # At 200 % (ratio 2) and zoomed in, the cached faces are made at the device's resolution:
    # as crisp as the ellipses, never a small picture stretched.
    appearance.apply(look)
    doc = Document()
    doc.set_use_bias(0, False)  # the hidden layer's rims dashed
    canvas = make_canvas(doc)
    canvas.neuron_item(1, 2).setSelected(True)  # the selection ring
    canvas.neuron_item(1, 4).set_mark(QColor("#9b30d9"))
    monkeypatch.setattr(items_module, "CACHE_BODIES", False)
    drawn = picture(canvas, scale, ratio).astype(int)
    monkeypatch.setattr(items_module, "CACHE_BODIES", True)
    cached = picture(canvas, scale, ratio).astype(int)
    difference = np.abs(drawn - cached).max(axis=2)
    # Only the rounding of antialiased edges may differ, never a blurred, blocky or shifted
    # rim.
    origin = canvas.scene().sceneRect().topLeft()
    for item in canvas.neuron_items():
        box = item.mapRectToScene(QRectF(-17, -17, 34, 34)).translated(-origin)
        y0, x0 = (round(v * scale * ratio) for v in (box.top(), box.left()))
        y1, x1 = (round(v * scale * ratio) for v in (box.bottom(), box.right()))
        # (Made at the wrong scale, or copied half a pixel off, a face differed by 7-12.)
        assert difference[y0:y1, x0:x1].mean() < 3.5, item
    if look == "dark":
        face = (
            canvas.neuron_item(0, 0).sceneBoundingRect().center()
            - canvas.scene().sceneRect().topLeft()
        )
        y, x = round(face.y() * scale * ratio), round(face.x() * scale * ratio)
        assert cached[y, x].max() < 128  # the dark palette's face, not a light one
