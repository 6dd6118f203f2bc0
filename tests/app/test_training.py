"""The TrainingController: play/pause, steps, phases, reset, divergence, live settings."""

import math

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from simulator.app.clock import ManualClock
from simulator.app.document import Document
from simulator.app.training import (
    FRAME_SHARE_LIMIT,
    MAX_STEPS_PER_TICK,
    SNAPSHOT_INTERVAL_S,
    STEP_BUDGET_MS,
    Snapshot,
    TrainingController,
)


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
    doc.set_optimizer("Adam")  # its state (exp_avg) must survive the change
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
    doc.set_optimizer("Adam")  # the default example trains with SGD
    assert any("Adam" in m for m in messages)
    assert type(ctl.trainer.optimizer).__name__ == "Adam"
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


def test_slow_speed_is_paced_by_the_clock(ctl, qtbot):
    clock = ManualClock()
    ctl.clock = clock
    ctl.set_speed(20)
    ctl.play()
    clock.advance(0.4)  # 0.4 s at 20 steps/s: 8 steps are due
    qtbot.waitUntil(lambda: ctl.step_count == 8)
    # The loop goes on ticking, but with the clock standing still no more steps are due.
    reads = clock.reads
    qtbot.waitUntil(lambda: clock.reads >= reads + 20)
    assert ctl.step_count == 8 and ctl.playing
    clock.advance(0.1)
    qtbot.waitUntil(lambda: ctl.step_count == 10)
    ctl.set_speed(5)  # a new speed counts from now
    clock.advance(0.4)
    qtbot.waitUntil(lambda: ctl.step_count == 12)
    reads = clock.reads
    qtbot.waitUntil(lambda: clock.reads >= reads + 20)
    ctl.pause()
    assert ctl.step_count == 12


def test_full_speed_with_a_standing_clock_still_yields_to_the_event_loop(ctl, qtbot):
    # A clock that does not move (a test's, or a coarse one) must not hold the loop: a tick
    # trains at most MAX_STEPS_PER_TICK steps, then the event loop runs.
    ctl.set_stop_condition(None)  # on past XOR's length (50 epochs, 800 steps)
    ctl.clock = ManualClock()
    snaps = []
    ctl.snapshot_ready.connect(snaps.append)
    seen = []  # the step count each time the event loop gets round to a 0 ms timer
    probe = QTimer()
    probe.timeout.connect(lambda: seen.append(ctl.step_count))
    probe.start(0)
    ctl.play()
    qtbot.waitUntil(lambda: ctl.step_count >= 3 * MAX_STEPS_PER_TICK, timeout=30_000)
    ctl.pause()
    probe.stop()
    assert len(set(seen)) >= 3  # the loop ran between the ticks…
    assert max(np.diff(seen)) <= 2 * MAX_STEPS_PER_TICK  # … after at most a tick or two
    # One frame when playing began; none after, as the clock never reached the next one.
    assert [s.playing for s in snaps] == [True, False]


def test_frames_follow_the_clock_while_playing(ctl, qtbot):
    ctl.set_stop_condition(None)  # on past XOR's length (50 epochs, 800 steps)
    clock = ManualClock(tick=0.0005)  # every reading moves it 0.5 ms: time = work done
    ctl.clock = clock
    snaps = []
    ctl.snapshot_ready.connect(snaps.append)
    start = clock.time
    ctl.play()
    qtbot.waitUntil(lambda: clock.time - start >= 1.0, timeout=60_000)
    ctl.pause()
    elapsed = clock.time - start
    playing = [s for s in snaps if s.playing]
    # A frame is due every SNAPSHOT_INTERVAL_S; a tick (at most STEP_BUDGET_MS) may end late.
    most = elapsed / SNAPSHOT_INTERVAL_S + 1
    least = elapsed / (SNAPSHOT_INTERVAL_S + 2 * STEP_BUDGET_MS / 1000) - 1
    assert least <= len(playing) <= most
    assert [s.step for s in playing] == sorted(s.step for s in playing)
    assert snaps[-1].step == ctl.step_count and not snaps[-1].playing


def test_slow_frames_come_further_apart_so_training_keeps_half_the_time(ctl, qtbot):
    ctl.set_stop_condition(None)  # on past XOR's length (50 epochs, 800 steps)
    clock = ManualClock(tick=0.0005)  # a step reads it once: 0.5 ms of training each
    ctl.clock = clock
    frames = []

    def slow_view(snap):  # a view that takes 50 ms of the clock to draw each frame
        frames.append(snap)
        clock.advance(0.05)

    ctl.snapshot_ready.connect(slow_view)
    start, steps = clock.time, ctl.step_count
    ctl.play()
    qtbot.waitUntil(lambda: clock.time - start >= 3.0, timeout=60_000)
    ctl.pause()
    elapsed = clock.time - start
    training = (ctl.step_count - steps) * clock.tick
    assert training >= 0.4 * elapsed  # it was 1 ms a frame: 2 %
    assert len(frames) >= elapsed / (FRAME_SHARE_LIMIT * 0.06 + 0.01) - 2  # still framing


def test_a_data_switch_shows_the_new_datas_figures_at_once(ctl, doc):
    for _ in range(20):
        ctl.step()
    xor = ctl.snapshot()
    snaps = []
    ctl.snapshot_ready.connect(snaps.append)
    doc.set_dataset("digits")
    assert snaps, "the switch sends a snapshot"
    expected = ctl.trainer.evaluate()
    for snap in (snaps[-1], ctl.snapshot()):
        for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
            assert getattr(snap, key) == expected[key] != getattr(xor, key)
        assert math.isnan(snap.batch_loss)  # no batch of the new data has run yet
    # Until training evaluates again (at the end of the epoch), the figures stay these.
    ctl.step()
    assert ctl.snapshot().train_loss == expected["train_loss"]
    assert ctl.snapshot().batch_loss == ctl.history.last("batch_loss")
    while not math.isfinite(ctl.history.last("train_loss")):
        ctl.step()
    snap = ctl.snapshot()
    assert snap.batch_loss == ctl.history.last("batch_loss")
    assert snap.train_loss == ctl.history.last_finite("train_loss")


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


OPTIMIZERS = [
    ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("Adagrad", {}),
    ("RMSprop", {"momentum": 0.5, "centered": True}),
    ("Adam", {"amsgrad": True}),
    ("AdamW", {}),
]


@pytest.mark.parametrize("batch", [None, 10, 1], ids=["full", "mini", "stochastic"])
@pytest.mark.parametrize("name,params", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_save_reopen_and_train_on_equals_a_run_that_never_stopped(tmp_path, name, params, batch):
    def configured() -> Document:
        doc = Document()
        doc.set_optimizer(name)
        for key, value in params.items():
            doc.set_optimizer_param(key, value)
        doc.set_batch_size(batch)
        doc.set_dropout(0.1)
        return doc

    first = TrainingController(configured())
    for _ in range(23):
        first.step()
    first.document.save(tmp_path / "run.json", first.project_to_save())
    first.shutdown()
    reopened = Document()
    reopened.open(tmp_path / "run.json")
    again = TrainingController(reopened)
    assert again.step_count == 23 and len(again.history) == 23
    for _ in range(17):
        again.step()
    whole = TrainingController(configured())
    for _ in range(40):
        whole.step()
    for mine, theirs in zip(again.trainer.net.layers, whole.trainer.net.layers):
        np.testing.assert_array_equal(mine.weights, theirs.weights)
        np.testing.assert_array_equal(mine.bias, theirs.bias)
    for key in ("batch_loss", "lr", "train_loss"):
        np.testing.assert_array_equal(again.history.column(key), whole.history.column(key))
    again.shutdown()
    whole.shutdown()


def test_at_a_slow_speed_the_timers_wait_is_not_counted_as_drawing(ctl, qtbot):
    # At 1 step/s the loop sleeps 250 ms between ticks; frames still come every tick.
    clock = ManualClock()
    ctl.clock = clock
    frames = []
    ctl.snapshot_ready.connect(frames.append)
    ctl.set_speed(1)
    ctl.play()
    for _ in range(6):
        count = len(frames)
        clock.advance(0.25)  # what the timer's wait takes on the clock
        qtbot.waitUntil(lambda count=count: len(frames) == count + 1, timeout=10_000)
    ctl.pause()
    assert ctl.step_count == 1  # 1.5 s at 1 step/s: the first step is due at 1 s
