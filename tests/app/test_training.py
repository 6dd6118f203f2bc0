"""The TrainingController: play/pause, steps, phases, reset, divergence, live settings."""

import math

import numpy as np
import pytest

from simulator.app.document import Document
from simulator.app.training import Snapshot, TrainingController


@pytest.fixture
def doc(qapp):
    return Document()


@pytest.fixture
def ctl(doc):
    controller = TrainingController(doc)
    yield controller
    controller.shutdown()


def full_loss(ctl):
    return ctl.trainer.evaluate()["train_loss"]


def test_play_then_pause_trains_xor(ctl, qtbot):
    before = full_loss(ctl)
    snaps = []
    ctl.snapshot_ready.connect(snaps.append)
    with qtbot.waitSignal(ctl.playing_changed):
        ctl.play()
    qtbot.waitUntil(lambda: ctl.step_count >= 300, timeout=10_000)
    ctl.pause()
    assert not ctl.playing
    assert ctl.step_count >= 300
    assert full_loss(ctl) < 0.5 * before
    assert snaps and isinstance(snaps[-1], Snapshot) and snaps[-1].step == ctl.step_count
    assert ctl.document.is_modified  # trained weights are unsaved changes
    # Nothing runs while paused.
    count = ctl.step_count
    qtbot.wait(50)
    assert ctl.step_count == count


def test_step_advances_exactly_one_step(ctl, doc):
    w = doc.network.layers[0].weights.copy()
    ctl.step()
    assert ctl.step_count == 1 and ctl.next_phase == "forward"
    assert not np.array_equal(doc.network.layers[0].weights, w)
    ctl.step()
    assert ctl.step_count == 2


def test_phase_steps_go_forward_backward_update(ctl, doc):
    snaps = []
    ctl.snapshot_ready.connect(snaps.append)
    w = doc.network.layers[0].weights.copy()
    assert ctl.step_phase() == "forward"
    assert snaps[-1].shown == "forward" and snaps[-1].phase == "backward"
    assert snaps[-1].activations is not None and snaps[-1].gradients is None
    np.testing.assert_array_equal(doc.network.layers[0].weights, w)
    assert ctl.step_phase() == "backward"
    assert snaps[-1].gradients is not None and snaps[-1].updates is None
    np.testing.assert_array_equal(doc.network.layers[0].weights, w)
    assert ctl.step_phase() == "update"
    snap = snaps[-1]
    assert snap.step == 1 and snap.phase == "forward"
    np.testing.assert_allclose(snap.weights[0][0] - w, snap.updates[0][0], atol=1e-15)


def test_reset_restores_the_seeded_weights(ctl, doc):
    initial = doc.project.build_network().get_weights()
    for _ in range(5):
        ctl.step()
    ctl.reset()
    assert ctl.step_count == 0 and len(ctl.history) == 0
    for (w, b), layer in zip(initial, doc.network.layers):
        np.testing.assert_array_equal(layer.weights, w)
        np.testing.assert_array_equal(layer.bias, b)


def test_huge_learning_rate_pauses_with_a_divergence_message(ctl, doc, qtbot):
    doc.set_dataset("plane")
    doc.set_optimizer("SGD")
    doc.set_learning_rate(100.0)
    with qtbot.waitSignal(ctl.diverged, timeout=10_000) as blocker:
        ctl.play()
    assert "learning rate" in blocker.args[0]
    assert not ctl.playing
    assert doc.network.all_finite()
    messages = []
    ctl.message.connect(messages.append)
    ctl.step()  # refused while diverged
    assert messages and ctl.trainer.diverged
    doc.set_learning_rate(0.01)
    ctl.restore_last_good()
    ctl.step()
    assert ctl.trainer.diverged is None and math.isfinite(ctl.history.last("batch_loss"))


def test_learning_rate_change_applies_at_the_next_step_without_reset(ctl, doc):
    ctl.step()
    state = ctl.trainer.optimizer.state_for(0, "weights")["exp_avg"].copy()
    doc.set_learning_rate(0.001)
    ctl.step()
    assert ctl.trainer.optimizer.lr == 0.001
    assert ctl.trainer.optimizer.state_for(0, "weights")["step"] == 2.0
    assert ctl.history.column("lr")[-1] == 0.001
    assert not np.array_equal(state, ctl.trainer.optimizer.state_for(0, "weights")["exp_avg"])


def test_switching_optimizer_mid_run_resets_only_its_state(ctl, doc):
    messages = []
    ctl.message.connect(messages.append)
    for _ in range(3):
        ctl.step()
    weights = doc.network.get_weights()
    doc.set_optimizer("SGD")
    assert any("SGD" in m for m in messages)
    assert type(ctl.trainer.optimizer).__name__ == "SGD"
    for (w, _), layer in zip(weights, doc.network.layers):
        np.testing.assert_array_equal(layer.weights, w)
    ctl.step()
    assert ctl.step_count == 4


def test_structural_edit_keeps_training_going(ctl, doc):
    ctl.step()
    doc.add_neuron(1)
    assert ctl.trainer.net is doc.network
    ctl.step()
    assert ctl.step_count == 2 and doc.network.sizes == [2, 9, 1]
    doc.undo_stack.undo()
    ctl.step()
    assert ctl.trainer.net is doc.network and doc.network.sizes == [2, 8, 1]


def test_slow_speed_is_paced(ctl, qtbot):
    ctl.set_speed(20)
    ctl.play()
    qtbot.wait(400)
    ctl.pause()
    assert 3 <= ctl.step_count <= 12


def test_snapshot_carries_the_network_over_the_input_plane(ctl, doc):
    ctl.step()
    snap = ctl.snapshot()
    assert snap.grid_shape == (48, 48) and snap.grid_extent == (-6.0, 6.0, -6.0, 6.0)
    assert snap.grid_inputs.shape == (48 * 48, 2)
    assert [a.shape for a in snap.grid_activations] == [(2304, 8), (2304, 1)]
    expected = doc.network.probabilities(doc.data.inputs(snap.grid_x))
    np.testing.assert_allclose(snap.grid_output, expected, rtol=1e-12)
    # Training changes the boundary.
    before = snap.grid_output.copy()
    for _ in range(20):
        ctl.step()
    assert not np.allclose(ctl.snapshot().grid_output, before)


def test_snapshot_curve_for_1d_regression_and_none_for_digits(ctl, doc):
    doc.set_dataset("sine")
    snap = ctl.snapshot()
    assert snap.grid_shape == (200,) and snap.grid_output.shape == (200, 1)
    np.testing.assert_allclose(snap.grid_output, doc.network.predict(snap.grid_x), rtol=1e-12)
    doc.set_dataset("digits")
    assert ctl.snapshot().grid_output is None
