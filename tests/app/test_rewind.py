"""Rewinding the TrainingController: any step shown exactly, resumed deterministically,
undoable; edits, reset and opening a project keep the checkpoints consistent."""

import numpy as np
import pytest

from simulator.app.document import Document
from simulator.app.training import TrainingController


@pytest.fixture
def make(qapp):
    """make(dropout=0.2) -> (controller, document) on XOR with mini-batches and dropout."""
    made = []

    def build(dropout=0.2):
        doc = Document()
        doc.set_dropout(dropout)
        ctl = TrainingController(doc)
        made.append(ctl)
        return ctl, doc

    yield build
    for ctl in made:
        ctl.shutdown()


def train(ctl, steps):
    for _ in range(steps):
        ctl.step()


def weights_of(net):
    return [(la.weights.copy(), la.bias.copy()) for la in net.layers]


def assert_weights_equal(a, b):
    assert len(a) == len(b)
    for (wa, ba), (wb, bb) in zip(a, b):
        assert np.array_equal(wa, wb) and np.array_equal(ba, bb)


def test_rewind_shows_exactly_the_weights_a_run_stopped_there_has(make, qtbot):
    stopped, doc_a = make()
    train(stopped, 57)
    ctl, doc = make()
    train(ctl, 200)
    live = weights_of(doc.network)
    with qtbot.waitSignal(ctl.snapshot_ready) as blocker:
        ctl.rewind_to(57)
    snap = blocker.args[0]
    assert snap.rewound and snap.step == 57 and snap.live_step == 200 and not snap.playing
    assert ctl.viewed_step == 57 and ctl.snapshot() is snap
    assert_weights_equal(snap.weights, weights_of(doc_a.network))
    reference = stopped.snapshot()
    np.testing.assert_array_equal(snap.grid_output, reference.grid_output)  # boundary, maps
    for got, want in zip(snap.grid_activations, reference.grid_activations):
        np.testing.assert_array_equal(got, want)
    assert snap.batch_loss == reference.batch_loss and snap.epoch == reference.epoch
    # The live run is untouched.
    assert ctl.step_count == 200 and len(ctl.history) == 200
    assert_weights_equal(weights_of(doc.network), live)
    # Back to now.
    with qtbot.waitSignal(ctl.rewind_changed) as changed:
        ctl.leave_rewind()
    assert changed.args == [None] and ctl.viewed_step is None
    assert ctl.snapshot().step == 200 and not ctl.snapshot().rewound


def test_resume_truncates_continues_deterministically_and_undo_brings_back_the_rest(make):
    stopped, doc_a = make()
    train(stopped, 57)
    ctl, doc = make()
    train(ctl, 200)
    later_losses = ctl.history.column("batch_loss").copy()
    live = weights_of(doc.network)
    ctl.rewind_to(57)
    assert ctl.resume_from_here()
    assert ctl.viewed_step is None and ctl.step_count == 57 and len(ctl.history) == 57
    assert ctl.checkpoints.last_step == 57
    assert doc.undo_stack.undoText() == "Resume from step 57"
    assert_weights_equal(weights_of(doc.network), weights_of(doc_a.network))
    train(stopped, 50)
    train(ctl, 50)
    assert_weights_equal(weights_of(doc.network), weights_of(doc_a.network))
    np.testing.assert_array_equal(
        ctl.history.column("batch_loss"), stopped.history.column("batch_loss")
    )
    resumed = weights_of(doc.network)

    doc.undo_stack.undo()
    assert ctl.step_count == 200 and len(ctl.history) == 200
    np.testing.assert_array_equal(ctl.history.column("batch_loss"), later_losses)
    assert_weights_equal(weights_of(doc.network), live)
    assert ctl.rewind_range() == (0, 200)  # the later checkpoints are back too
    doc.undo_stack.redo()
    assert ctl.step_count == 107
    assert_weights_equal(weights_of(doc.network), resumed)


def test_play_while_rewound_resumes_from_the_rewound_step(make, qtbot):
    ctl, doc = make()
    train(ctl, 40)
    ctl.rewind_to(12)
    messages = []
    ctl.message.connect(messages.append)
    ctl.play()
    qtbot.waitUntil(lambda: ctl.step_count >= 30, timeout=5000)
    ctl.pause()
    steps = ctl.history.column("step")
    np.testing.assert_array_equal(steps, np.arange(1, len(steps) + 1))
    assert doc.undo_stack.undoText() == "Resume from step 12"
    assert any("Resumed from step 12" in m for m in messages)


def test_checkpoints_are_recorded_while_playing(make, qtbot):
    ctl, _doc = make(dropout=0.0)
    ctl.play()
    qtbot.waitUntil(lambda: ctl.step_count >= 400, timeout=10_000)
    ctl.pause()
    store = ctl.checkpoints
    assert store.first_step == 0 and len(store) > 10
    assert ctl.step_count - store.last_step <= max(1, store.max_gap())
    snap = ctl.rewind_to(ctl.step_count // 2)
    assert snap.step == ctl.step_count // 2


def test_reset_and_opening_a_project_clear_the_checkpoints(make):
    ctl, doc = make()
    train(ctl, 30)
    ctl.rewind_to(10)
    ctl.reset()
    assert ctl.viewed_step is None and ctl.rewind_range() == (0, 0)
    assert ctl.rewind_to(5) is None
    train(ctl, 20)
    doc.new_project()
    assert ctl.rewind_range() == (0, 0) and ctl.checkpoints.steps == [0]


def test_edits_start_a_new_segment_and_rewinding_stops_there(make):
    ctl, doc = make()
    train(ctl, 20)
    doc.set_learning_rate(0.01)
    train(ctl, 10)
    assert ctl.rewind_range() == (20, 30)
    messages = []
    ctl.message.connect(messages.append)
    snap = ctl.rewind_to(5)
    assert snap.step == 20 and "the settings changed" in messages[-1]
    # A network edit while rewound applies to the step shown: the run resumes from it first.
    doc.set_activation(0, "relu")
    assert ctl.viewed_step is None and "Resumed from step 20" in messages[-1]
    assert ctl.step_count == 20 and ctl.rewind_range() == (20, 20)
    assert doc.network.activations[0] == "relu"
    doc.undo_stack.undo()  # the edit
    assert doc.network.activations[0] != "relu" and ctl.step_count == 20
    doc.undo_stack.undo()  # the resume: the run to step 30 is back
    assert ctl.step_count == 30


def test_a_setting_changed_while_rewound_trains_from_that_step(make):
    ctl, doc = make()
    lr = doc.learning_rate()
    train(ctl, 40)
    ctl.rewind_to(15)
    doc.set_learning_rate(0.01)
    assert ctl.viewed_step is None and ctl.step_count == 15
    assert ctl.trainer.base_lr == 0.01
    assert ctl.rewind_range() == (15, 15)
    train(ctl, 3)
    assert ctl.step_count == 18
    # The run resumed before the edit: Undo takes back the learning rate first (on the
    # resumed run), then the resume (the run to step 40 is back).
    assert doc.undo_stack.undoText() != "Resume from step 15"
    doc.undo_stack.undo()
    assert ctl.step_count == 18 and ctl.trainer.base_lr == lr
    assert doc.undo_stack.undoText() == "Resume from step 15"
    doc.undo_stack.undo()
    assert ctl.step_count == 40 and ctl.trainer.base_lr == lr


def test_undoing_a_setting_keeps_training_the_documents_network(make):
    ctl, doc = make()
    train(ctl, 5)
    doc.set_learning_rate(0.5)
    train(ctl, 5)
    trained = [w.copy() for w, _ in doc.network.get_weights()]
    doc.undo_stack.undo()  # the learning rate: the network was not part of that edit
    assert ctl.trainer.net is doc.network and ctl.trainer.base_lr != 0.5
    assert all(np.array_equal(a, w) for a, (w, _) in zip(trained, doc.network.get_weights()))
    train(ctl, 5)
    assert not np.array_equal(trained[0], doc.network.get_weights()[0][0])  # it trains on
    doc.undo_stack.redo()
    assert ctl.trainer.net is doc.network and ctl.trainer.base_lr == 0.5


def test_resuming_just_after_a_shape_edit_trains_on(make):
    ctl, doc = make()
    ctl.step()
    doc.add_neuron(1)  # the hidden layer's optimizer state no longer fits until the next step
    ctl.step()
    ctl.step()
    ctl.rewind_to(ctl.step_count - 1)
    assert ctl.resume_from_here()
    for _ in range(3):
        ctl.step()  # raised "operands could not be broadcast" with the stale state restored
    assert ctl.step_count == 5 and ctl.trainer.diverged is None


def test_opening_a_project_while_playing_starts_it_cleanly(make, qtbot):
    from simulator.project import load_example

    ctl, doc = make()
    ctl.play()
    qtbot.waitUntil(lambda: ctl.step_count > 20)
    doc.open_project(load_example("worked-example"), None)  # another input size
    assert not ctl.playing and ctl.step_count == 0 and len(ctl.history) == 0
    ctl.step()
    assert ctl.step_count == 1


def test_a_refused_edit_keeps_training_the_documents_network(make):
    ctl, doc = make()
    train(ctl, 3)
    doc.set_connection(0, 0, 0, False)
    with pytest.raises(ValueError):
        doc.set_weight(0, 0, 0, 1.0)  # the engine refuses inside the edit: removed connection
    assert ctl.trainer.net is doc.network
    with pytest.raises(ValueError):
        doc.add_layer(99)
    assert ctl.trainer.net is doc.network
    before = doc.network.get_weights()[0][0].copy()
    train(ctl, 3)
    assert not np.array_equal(before, doc.network.get_weights()[0][0])


def test_rewinding_after_the_history_compacted_shows_that_steps_loss(make):
    from simulator.engine.trainer import History

    (controller, _), (reference, _) = make(), make()
    controller.trainer.history = History(2, budget_bytes=24 * 1024)
    controller.history_changed.emit()
    train(controller, 1200)
    train(reference, 1200)
    history = controller.history
    assert history.full_resolution_start > 0  # the older rows are an envelope now
    want = reference.history.column("batch_loss")
    for step in (97, 203, 1150):
        snap = controller.rewind_to(step)
        assert snap.step == step
        assert snap.batch_loss == want[step - 1], step
    controller.rewind_to(203)
    assert controller.resume_from_here()
    assert controller.history.last("step") <= 203
    assert controller.history.rows_through(203) == len(controller.history)
    train(controller, 20)
    assert controller.history.last("step") == 223
    np.testing.assert_array_equal(controller.history.column("batch_loss")[-20:], want[203:223])
