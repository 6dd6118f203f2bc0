"""The canvas drawing a TrainingController's snapshots: the three phases, the modes while
playing, the legend and the per-neuron maps.  Real widgets; assertions on the scene's items."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QTimer
from PySide6.QtWidgets import QApplication

from simulator.app.document import Document
from simulator.app.training import TrainingController
from simulator.project import load_example
from simulator.ui.canvas import NetworkCanvas


@pytest.fixture
def rig(qtbot):
    """make(doc=None) -> (canvas, controller, document), the canvas attached and shown."""
    made = []

    def make(doc: Document | None = None):
        doc = doc or Document()
        controller = TrainingController(doc)
        canvas = NetworkCanvas(doc)
        qtbot.addWidget(canvas)
        canvas.resize(1000, 700)
        canvas.show()
        qtbot.waitExposed(canvas)
        canvas.attach(controller)
        made.append((canvas, controller))
        return canvas, controller, doc

    yield make
    for _canvas, controller in made:
        controller.shutdown()


def run_phase(qtbot, controller, expected: str):
    """Step one phase; returns the snapshot it produced."""
    with qtbot.waitSignal(controller.snapshot_ready, timeout=10_000) as blocker:
        assert controller.step_phase() == expected
    return blocker.args[0]


def settle(qtbot, canvas):
    qtbot.waitUntil(lambda: not canvas.is_animating(), timeout=10_000)


def hue(item) -> int:
    colour = item.pen().color() if hasattr(item, "pen") else item.fill()
    return colour.hue()


def is_blue(colour) -> bool:
    return 190 <= colour.hue() <= 220


def is_orange(colour) -> bool:
    return 20 <= colour.hue() <= 45


def hidden_and_output(canvas):
    return [it for it in canvas.neuron_items() if it.layer > 0]


def record_fill_order(canvas, columns: list[int]):
    """Poll every few ms which columns show values; returns the list of observed states."""
    seen: list[tuple[bool, ...]] = []
    timer = QTimer(canvas)
    timer.setInterval(4)

    def poll():
        seen.append(
            tuple(
                all(it.text() != "" for it in canvas.neuron_items() if it.layer == k)
                for k in columns
            )
        )

    timer.timeout.connect(poll)
    timer.start()
    return seen, timer


def edge_state(canvas):
    return [(it.pen().widthF(), it.pen().color().name()) for it in canvas.connection_items()]


# --------------------------------------------------------------------------- the phases


def test_forward_shows_batch_mean_activations_flowing_left_to_right(rig, qtbot):
    canvas, controller, doc = rig()
    assert canvas.showing() == "weights"
    before = {(it.layer, it.index): (it.text(), it.fill().name()) for it in canvas.neuron_items()}
    seen, timer = record_fill_order(canvas, [0, 1, 2])
    snap = run_phase(qtbot, controller, "forward")
    assert canvas.is_animating() and canvas.showing() == "forward"
    # The wave starts at the inputs: the output has no value yet.
    assert canvas.neuron_item(2, 0).text() == ""
    settle(qtbot, canvas)
    timer.stop()
    # inputs first, then the hidden column, then the output: never the other way round
    assert (True, True, False) in seen and (True, False, False) in seen
    assert all(a >= b >= c for a, b, c in seen)

    means = [snap.inputs.mean(axis=0)] + [a.mean(axis=0) for a in snap.activations]
    changed = 0
    for item in canvas.neuron_items():
        expected = float(means[item.layer][item.index])
        assert item.value == pytest.approx(expected)
        assert "-" not in item.text()  # a real minus sign, if any
        assert float(item.text().replace("−", "-")) == pytest.approx(expected, abs=0.006)
        assert (is_blue if expected > 0 else is_orange)(item.fill())
        changed += (item.text(), item.fill().name()) != before[(item.layer, item.index)]
        assert "mean over the batch" in item.toolTip()
    assert changed >= len(before) - 1
    # the connections still show the weights
    w = doc.network.layers[0].weights
    assert canvas.connection_item(0, 1, 3).value == w[1, 3]
    assert not any(it.glow() for it in canvas.connection_items() + canvas.neuron_items())


def test_backward_shows_gradients_and_deltas_flowing_right_to_left(rig, qtbot):
    canvas, controller, doc = rig()
    run_phase(qtbot, controller, "forward")
    settle(qtbot, canvas)
    forward_edges = edge_state(canvas)
    seen, timer = record_fill_order(canvas, [1, 2])
    snap = run_phase(qtbot, controller, "backward")
    assert canvas.showing() == "backward"
    # the gradients arrive with the wave: the first layer is not drawn as gradients yet
    assert "not computed yet" in canvas.connection_item(0, 0, 0).toolTip()
    settle(qtbot, canvas)
    timer.stop()
    assert (True, False) not in seen and (False, True) in seen  # the output's δ comes first

    grads = [dw for dw, _ in snap.gradients]
    items = canvas.connection_items()
    values = {it: float(grads[it.layer][it.source, it.target]) for it in items}
    for item, g in values.items():
        assert item.value == pytest.approx(g)
        if g:  # (a saturated tanh can give exactly 0: the faintest line)
            assert (is_blue if g > 0 else is_orange)(item.pen().color())
        assert "dL/dw" in item.toolTip()
    # one scale for the whole network: the largest |dL/dw| anywhere is the widest line
    widest = max(items, key=lambda it: it.pen().widthF())
    assert abs(values[widest]) == pytest.approx(max(abs(g) for g in values.values()))
    smallest = min(items, key=lambda it: abs(values[it]))
    assert smallest.pen().widthF() < widest.pen().widthF()
    assert edge_state(canvas) != forward_edges
    # neurons: δ = dL/dz, the batch's mean of each sample's dℓ/dz, which is dL/db
    for item in hidden_and_output(canvas):
        delta = float(snap.deltas[item.layer - 1][:, item.index].sum())
        assert item.value == pytest.approx(delta)
        assert delta == pytest.approx(float(snap.gradients[item.layer - 1][1][item.index]))
    assert all(it.text() == "" for it in canvas.neuron_items() if it.layer == 0)


def test_update_shows_the_change_then_settles_to_the_new_weights(rig, qtbot):
    canvas, controller, doc = rig()
    run_phase(qtbot, controller, "forward")
    run_phase(qtbot, controller, "backward")
    snap = run_phase(qtbot, controller, "update")
    # The Update phase on its own: Δw stays until the next phase (nothing pending replaces it).
    assert canvas.showing() == "update" and not canvas.is_animating()
    changes = [dw for dw, _ in snap.updates]
    items = canvas.connection_items()
    for item in items:
        delta = float(changes[item.layer][item.source, item.target])
        assert item.value == pytest.approx(delta)
        assert "Δw" in item.toolTip()
        if delta:
            assert (is_blue if delta > 0 else is_orange)(item.pen().color())
    widest = max(items, key=lambda it: it.pen().widthF())
    assert abs(widest.value) == pytest.approx(max(abs(it.value) for it in items))
    assert "Δw" in canvas.legend_text()
    for item in hidden_and_output(canvas):
        assert item.value == pytest.approx(float(snap.updates[item.layer - 1][1][item.index]))

    assert canvas.showing() == "update"
    # A whole step shows its Δw, then settles into the new weights.
    with qtbot.waitSignal(controller.snapshot_ready) as blocker:
        controller.step()
    snap = blocker.args[0]
    assert canvas.showing() == "update" and canvas.is_animating()
    weights = [w for w, _ in snap.weights]
    qtbot.waitUntil(lambda: canvas.showing() == "weights", timeout=10_000)
    for item in items:
        assert item.value == weights[item.layer][item.source, item.target]
        assert item.toolTip().startswith("w = ")
    for item in hidden_and_output(canvas):
        assert item.value == pytest.approx(float(snap.weights[item.layer - 1][1][item.index]))
    assert "weight w" in canvas.legend_text() and "Δw" not in canvas.legend_text()


def test_a_new_snapshot_ends_a_running_animation_at_once(rig, qtbot):
    canvas, controller, doc = rig()
    run_phase(qtbot, controller, "forward")
    assert canvas.is_animating()
    snap = run_phase(qtbot, controller, "backward")  # before the forward wave is over
    assert canvas.showing() == "backward"
    snap = run_phase(qtbot, controller, "update")  # the backward wave jumps to its end
    assert canvas.showing() == "update"
    assert canvas.connection_item(0, 0, 0).value == pytest.approx(snap.updates[0][0][0, 0])
    assert not any(it.glow() for it in canvas.connection_items() + canvas.neuron_items())
    controller.step()  # a whole step: Δw, then the weights; the pending settle ends now
    qtbot.waitUntil(lambda: canvas.showing() == "weights", timeout=10_000)


def test_play_then_pause_in_gradients_mode_shows_gradients(rig, qtbot):
    canvas, controller, doc = rig()
    with qtbot.waitSignal(canvas.mode_changed) as blocker:
        canvas.set_mode("gradients")
    assert blocker.args == ["gradients"] and canvas.mode() == "gradients"
    with pytest.raises(ValueError):
        canvas.set_mode("activations")
    snaps = []
    controller.snapshot_ready.connect(snaps.append)
    controller.play()
    qtbot.waitUntil(lambda: controller.step_count > 30 and len(snaps) > 2, timeout=5000)
    assert canvas.showing() == "gradients" and not canvas.is_animating()
    assert canvas.legend_text().startswith("Playing")
    controller.pause()
    snap = snaps[-1]
    assert not snap.playing and snap.shown == "update"
    assert canvas.showing() == "gradients"  # not the update phase: what playing showed
    assert canvas.legend_text().startswith("Paused") and "dL/dw" in canvas.legend_text()
    for item in canvas.connection_items():
        assert item.value == pytest.approx(snap.gradients[item.layer][0][item.source, item.target])
    # switching the mode while paused shows it at once
    canvas.set_mode("weights")
    assert canvas.showing() == "weights"
    for item in canvas.connection_items():
        assert item.value == snap.weights[item.layer][0][item.source, item.target]


def test_playing_in_weights_mode_follows_the_weights(rig, qtbot):
    canvas, controller, doc = rig()
    start = edge_state(canvas)
    controller.play()
    qtbot.waitUntil(lambda: controller.step_count > 50, timeout=5000)
    controller.pause()
    assert canvas.showing() == "weights" and edge_state(canvas) != start
    net = doc.network
    for item in canvas.connection_items():
        assert item.value == net.layers[item.layer].weights[item.source, item.target]


def test_legend_says_what_each_phase_and_mode_shows(rig, qtbot):
    canvas, controller, doc = rig()
    texts = [canvas.legend_text()]
    assert "weight w" in texts[0] and "bias b" in texts[0] and "Next: Forward" in texts[0]
    run_phase(qtbot, controller, "forward")
    texts.append(canvas.legend_text())
    assert "activation a" in texts[-1] and "Next: Backward" in texts[-1]
    run_phase(qtbot, controller, "backward")
    texts.append(canvas.legend_text())
    assert "dL/dw" in texts[-1] and "δ = dL/dz" in texts[-1] and "Next: Update" in texts[-1]
    assert "network's largest" in texts[-1]
    run_phase(qtbot, controller, "update")
    texts.append(canvas.legend_text())
    assert "Δw" in texts[-1] and "Δb" in texts[-1] and "Next: Forward" in texts[-1]
    controller.step()  # a whole step: its Δw settles into the weights after the update
    qtbot.waitUntil(lambda: canvas.showing() == "weights", timeout=10_000)
    texts.append(canvas.legend_text())
    assert "after the update" in texts[-1]
    canvas.set_mode("gradients")
    texts.append(canvas.legend_text())
    assert "dL/dw" in texts[-1]
    assert len(set(texts)) == len(texts)
    assert all("Maps" in t for t in texts)  # XOR is 2-D: the maps are explained
    assert canvas.legend.isVisible()
    network = canvas.mapFromScene(canvas.sceneRect()).boundingRect()
    assert not canvas.legend.geometry().intersects(network)


def test_reset_and_structural_edits_show_the_weights(rig, qtbot):
    canvas, controller, doc = rig()
    run_phase(qtbot, controller, "forward")
    run_phase(qtbot, controller, "backward")
    controller.reset()
    assert canvas.showing() == "weights" and not canvas.is_animating()
    for item in canvas.connection_items():
        assert item.value == doc.network.layers[item.layer].weights[item.source, item.target]
    run_phase(qtbot, controller, "forward")
    run_phase(qtbot, controller, "backward")
    doc.add_neuron(1)
    assert canvas.showing() == "weights"
    assert len(canvas.neuron_items()) == 12
    new = canvas.neuron_item(1, 8)
    qtbot.waitUntil(lambda: new.map_image() is not None, timeout=10_000)
    for item in canvas.connection_items():
        assert item.value == doc.network.layers[item.layer].weights[item.source, item.target]


# --------------------------------------------------------------------------- per-neuron maps


def image_bytes(item) -> bytes:
    image = item.map_image()
    return bytes(image.constBits())


def test_every_neuron_has_a_map_on_xor_and_it_changes_with_training(rig, qtbot):
    canvas, controller, doc = rig()
    items = canvas.neuron_items()
    assert len(items) == 11
    assert all(it.has_map_slot() and it.map_image() is not None for it in items)
    assert {(it.map_image().width(), it.map_image().height()) for it in items} == {(48, 48)}
    before = {(it.layer, it.index): image_bytes(it) for it in items}
    for _ in range(40):
        controller.step()
    after = {(it.layer, it.index): image_bytes(it) for it in canvas.neuron_items()}
    changed = [key for key in before if before[key] != after[key]]
    assert all(key[0] > 0 for key in changed) and len(changed) >= 8  # inputs stay, others move
    assert before[(0, 0)] == after[(0, 0)]

    # y grows upward, x to the right: x1 is orange (low) left and blue (high) right,
    # x2 blue at the top and orange at the bottom.
    x1, x2 = canvas.neuron_item(0, 0).map_image(), canvas.neuron_item(0, 1).map_image()
    assert is_orange(x1.pixelColor(0, 24)) and is_blue(x1.pixelColor(47, 24))
    assert is_blue(x2.pixelColor(24, 0)) and is_orange(x2.pixelColor(24, 47))


def test_hovering_a_neuron_reports_it(rig, qtbot):
    canvas, controller, doc = rig()
    item = canvas.neuron_item(1, 2)
    on_map = canvas.mapFromScene(item.mapToScene(item.map_rect().center()))
    viewport = canvas.viewport()
    with qtbot.waitSignal(canvas.neuron_hovered, timeout=10_000) as blocker:
        qtbot.mouseMove(viewport, on_map)
    assert blocker.args == [(1, 2)]
    with qtbot.waitSignal(canvas.neuron_hovered, timeout=10_000) as blocker:
        qtbot.mouseMove(viewport, QPoint(3, 3))
    assert blocker.args == [None]


def playing_frames_restyle_in_place(canvas, controller):
    """Frames while playing change the drawn items' values, never the items themselves (a
    rebuild per frame is what made playing slow); what they cost is measured by
    tests/benchmarks/bench_canvas.py, not here."""
    items = canvas.scene().items()
    before = [it.value for it in canvas.connection_items()]
    for _ in range(3):
        controller.step()
    playing = replace(controller.snapshot(), playing=True)
    for _ in range(5):
        controller.snapshot_ready.emit(playing)
    QApplication.processEvents()
    assert canvas.scene().items() == items
    after = [it.value for it in canvas.connection_items()]
    assert after != before and np.isfinite(after).all()
    assert canvas.showing() == "weights"
    weights = playing.weights
    for item in canvas.connection_items()[:20]:
        assert item.value == weights[item.layer][0][item.source, item.target]


def test_digits_has_no_maps_and_its_frames_restyle_in_place(rig, qtbot):
    canvas, controller, doc = rig(Document(load_example("digits")))
    assert not any(it.has_map_slot() for it in canvas.neuron_items())
    assert "Maps" not in canvas.legend_text()
    run_phase(qtbot, controller, "forward")
    settle(qtbot, canvas)
    assert all(it.text() != "" for it in canvas.neuron_items())
    snap = run_phase(qtbot, controller, "backward")
    settle(qtbot, canvas)
    item = canvas.connection_item(1, 31, 9)
    assert item.value == pytest.approx(snap.gradients[1][0][31, 9])
    # A frame while playing restyles the drawn items only (its time: bench_canvas.py).
    playing_frames_restyle_in_place(canvas, controller)


def test_a_snapshot_frame_on_xor_with_maps_restyles_in_place(rig, qtbot):
    canvas, controller, doc = rig()
    for _ in range(5):
        controller.step()
    playing_frames_restyle_in_place(canvas, controller)
    assert all(it.map_image() is not None for it in canvas.neuron_items())
    assert np.isfinite([it.value for it in canvas.connection_items()]).all()


def test_a_diverged_snapshot_draws_without_errors(rig, qtbot):
    canvas, controller, doc = rig()
    run_phase(qtbot, controller, "forward")
    run_phase(qtbot, controller, "backward")
    snap = controller.snapshot()
    bad = [(np.full_like(w, np.nan), np.full_like(b, np.inf)) for w, b in snap.weights]
    broken = replace(
        snap,
        playing=True,
        weights=bad,
        gradients=bad,
        grid_activations=[np.full_like(a, np.nan) for a in snap.grid_activations],
    )
    for mode in ("weights", "gradients"):
        canvas.set_mode(mode)
        controller.snapshot_ready.emit(broken)
        assert canvas.showing() == mode
        canvas.viewport().repaint()
    assert all(it.map_image() is not None for it in canvas.neuron_items())
