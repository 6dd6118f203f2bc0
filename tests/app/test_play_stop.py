"""Where Play stops by itself: a step, an epoch (the project's length) or a target loss.

Play pauses exactly there, whatever a tick could train; the count of steps decides, never
time (a standing clock makes every tick train MAX_STEPS_PER_TICK steps if it may).
"""

import dataclasses
import math

import numpy as np
import pytest

from simulator.app.clock import ManualClock
from simulator.app.document import Document
from simulator.app.training import MAX_STEPS_PER_TICK, StopCondition, TrainingController
from simulator.project import load_example


@pytest.fixture
def doc(qapp):
    return Document()  # XOR: 16 mini-batches an epoch, the project's length 50 epochs


@pytest.fixture
def ctl(doc):
    controller = TrainingController(doc)
    controller.clock = ManualClock()  # stands still: only the batch cap limits a tick
    yield controller
    controller.shutdown()


def play_until_finished(ctl, qtbot):
    messages = []
    ctl.message.connect(messages.append)
    with qtbot.waitSignal(ctl.finished) as blocker:
        ctl.play()
    assert not ctl.playing
    return blocker.args[0], messages


def test_the_default_example_stops_at_its_length(ctl, doc, qtbot):
    assert doc.project.training.epochs == 50
    assert ctl.stop_condition == StopCondition("epochs", 50)
    snaps = []
    ctl.snapshot_ready.connect(snaps.append)
    condition, messages = play_until_finished(ctl, qtbot)
    per_epoch = ctl.trainer.batches.batches_per_epoch
    assert condition == StopCondition("epochs", 50)
    assert ctl.step_count == 50 * per_epoch and ctl.trainer.epoch == pytest.approx(50)
    assert messages[-1] == "Stopped at epoch 50 (the project's length)"
    assert snaps[-1].step == ctl.step_count and not snaps[-1].playing


def test_play_stops_exactly_at_a_step_limit_though_a_tick_trains_more(ctl, doc, qtbot):
    limit = MAX_STEPS_PER_TICK + 37  # the second tick could train 512 more
    ctl.set_stop_condition(StopCondition("steps", limit))
    assert doc.project.training.steps == limit and doc.project.training.epochs is None
    condition, messages = play_until_finished(ctl, qtbot)
    assert condition.kind == "steps" and ctl.step_count == limit
    assert len(ctl.history) == limit
    assert messages[-1] == f"Stopped at step {limit:,} (the project's length)"


def test_a_fractional_epoch_stops_at_the_first_step_that_reaches_it(ctl, qtbot):
    ctl.set_stop_condition(StopCondition("epochs", 2.5))
    per_epoch = ctl.trainer.batches.batches_per_epoch
    play_until_finished(ctl, qtbot)
    assert ctl.step_count == math.ceil(2.5 * per_epoch)
    assert ctl.trainer.epoch >= 2.5 > (ctl.step_count - 1) / per_epoch


def test_play_stops_at_the_first_evaluation_at_the_target_loss(ctl, doc, qtbot):
    target = 0.2
    ctl.set_stop_condition(StopCondition("loss", target))
    # A target loss lives in the session: the project then has no length.
    assert doc.project.training.epochs is None and doc.project.training.steps is None
    assert ctl.stop_condition == StopCondition("loss", target)
    condition, messages = play_until_finished(ctl, qtbot)
    assert condition == StopCondition("loss", target)
    losses = ctl.history.column("train_loss")
    evaluated = losses[np.isfinite(losses)]
    assert evaluated[-1] <= target and (evaluated[:-1] > target).all()
    assert ctl.history.last("train_loss") == evaluated[-1]  # the step that reached it
    assert ctl.history.last("step") == ctl.step_count
    assert messages[-1].startswith(f"Stopped at step {ctl.step_count:,}: the training loss")
    assert f"≤ {target:g}" in messages[-1]


def test_a_project_with_epochs_opens_with_that_stop_and_play_honours_it(ctl, doc, qtbot, tmp_path):
    project = load_example("circle")
    project = project.replace(training=dataclasses.replace(project.training, epochs=3))
    path = tmp_path / "three-epochs.json"
    other = Document(project)
    other.save(path)
    ctl.set_stop_condition(StopCondition("loss", 0.01))  # forgotten when a project opens
    changes = []
    ctl.stop_condition_changed.connect(changes.append)
    doc.open(path)
    assert ctl.stop_condition == StopCondition("epochs", 3)
    assert changes[-1] == StopCondition("epochs", 3) and not doc.is_modified
    _condition, messages = play_until_finished(ctl, qtbot)
    assert ctl.step_count == 3 * ctl.trainer.batches.batches_per_epoch
    assert messages[-1] == "Stopped at epoch 3 (the project's length)"


def test_a_project_without_a_length_plays_on(ctl, doc, qtbot):
    ctl.set_stop_condition(None)
    assert ctl.stop_condition is None and doc.project.training.epochs is None
    ctl.play()
    qtbot.waitUntil(lambda: ctl.step_count > 60 * ctl.trainer.batches.batches_per_epoch)
    assert ctl.playing
    ctl.pause()


def test_the_length_is_an_undoable_edit_saved_with_the_project(ctl, doc, tmp_path):
    changes = []
    ctl.stop_condition_changed.connect(changes.append)
    ctl.set_stop_condition(StopCondition("steps", 300))
    ctl.set_stop_condition(StopCondition("steps", 400))  # typing: one undo step
    assert doc.is_modified and doc.undo_stack.count() == 1
    assert changes == [StopCondition("steps", 300), StopCondition("steps", 400)]
    path = doc.save(tmp_path / "length.json", project=ctl.project_to_save())
    reopened = Document()
    reopened.open(path)
    assert reopened.project.training.steps == 400
    doc.undo_stack.undo()
    assert ctl.stop_condition == StopCondition("epochs", 50) and changes[-1] == ctl.stop_condition
    assert ctl.play_loop.stop_condition == ctl.stop_condition
    doc.undo_stack.redo()
    assert ctl.stop_condition == StopCondition("steps", 400)


def test_a_target_loss_alone_leaves_the_project_unmodified(qapp, tmp_path):
    project = load_example("xor")
    project = project.replace(training=dataclasses.replace(project.training, epochs=None))
    doc = Document(project)
    ctl = TrainingController(doc)
    try:
        ctl.set_stop_condition(StopCondition("loss", 0.05))
        assert ctl.stop_condition == StopCondition("loss", 0.05) and not doc.is_modified
        ctl.set_stop_condition(None)
        assert ctl.stop_condition is None and not doc.is_modified
    finally:
        ctl.shutdown()


def test_the_length_does_not_cut_the_rewind_history(ctl, qtbot):
    for _ in range(20):
        ctl.step()
    ctl.rewind_to(5)
    assert ctl.viewed_step == 5
    ctl.set_stop_condition(StopCondition("steps", 100))
    assert ctl.viewed_step == 5 and ctl.step_count == 20  # still rewound, the run untouched
    assert ctl.rewind_range()[0] == 0


def test_play_past_the_stop_plays_on_and_says_so(ctl, qtbot):
    ctl.set_stop_condition(StopCondition("steps", 40))
    play_until_finished(ctl, qtbot)
    assert ctl.step_count == 40
    messages = []
    ctl.message.connect(messages.append)
    ctl.play()
    assert ctl.playing and "Already at step 40" in messages[-1]
    qtbot.waitUntil(lambda: ctl.step_count > 100)
    ctl.pause()


def test_a_stop_set_while_playing_applies_at_once(ctl, qtbot):
    ctl.set_stop_condition(None)
    ctl.play()
    qtbot.waitUntil(lambda: ctl.step_count > 10)
    with qtbot.waitSignal(ctl.finished):
        ctl.set_stop_condition(StopCondition("steps", ctl.step_count + 700))
        limit = ctl.stop_condition.value
    assert ctl.step_count == limit and not ctl.playing


def test_at_a_slow_speed_the_stop_is_exact_too(doc, qtbot):
    ctl = TrainingController(doc)  # the work-paced clock of conftest
    try:
        ctl.set_speed(1000)
        ctl.set_stop_condition(StopCondition("steps", 23))
        play_until_finished(ctl, qtbot)
        assert ctl.step_count == 23
    finally:
        ctl.shutdown()


@pytest.mark.parametrize(
    "kind, value",
    [("steps", 0), ("steps", 2.5), ("epochs", 0), ("epochs", math.inf), ("loss", -1), ("x", 1)],
)
def test_a_stop_condition_refuses_what_cannot_be_reached(kind, value):
    with pytest.raises(ValueError):
        StopCondition(kind, value)
