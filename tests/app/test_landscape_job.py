"""The loss landscape's job: the engine's slices computed in worker processes, reported row by
row on the GUI thread, cancelled without a process left behind."""

import dataclasses
import multiprocessing

import numpy as np
import pytest

from simulator.app.document import Document
from simulator.app.landscape_job import (
    LINE_TS,
    LandscapeJob,
    LandscapeUnavailable,
    axis_through_zero,
    chunks,
    make_request,
)
from simulator.app.training import TrainingController
from simulator.engine import Network, landscape


@pytest.fixture
def controller(qapp):
    """XOR (the default example) trained 120 steps: enough checkpoints for a trajectory."""
    ctl = TrainingController(Document())
    for _ in range(120):
        ctl.step()
    yield ctl
    ctl.shutdown()


@pytest.fixture
def job(qapp):
    job = LandscapeJob(workers=2)
    yield job
    job.cancel()


def compute(qtbot, job, ctl, **options):
    """Run the job to its end: (result, the progress signals' arguments)."""
    seen = []
    job.progress.connect(lambda done, total: seen.append((done, total)))
    with qtbot.waitSignal(job.finished) as finished:
        assert job.start_from(ctl.trainer, ctl.checkpoints, **options)
    return finished.args[0], seen


def in_process(trainer, result):
    """The engine's own surface on this thread, on the result's directions and grid."""
    d1, d2 = result.directions
    return landscape.surface(
        trainer.net, trainer.X_train, trainer.Y_train, result.center, d1, d2,
        result.alphas, result.betas,
    )  # fmt: skip


def test_random_directions_grid_is_the_engines_surface_with_the_network_at_its_centre(
    qtbot, controller, job
):
    trainer = controller.trainer
    result, seen = compute(qtbot, job, controller, mode="random", resolution=7, seed=3)
    assert result.values.shape == (7, 7) and result.mode == "random"
    assert result.step == trainer.step_count == 120
    i, j = result.center_index()
    assert result.values[i, j] == trainer.net.evaluate(trainer.X_train, trainer.Y_train)
    np.testing.assert_array_equal(result.center, landscape.flatten(trainer.net.get_weights()))
    # The same directions as make_request draws from the seed, and the same grid in-process.
    request = make_request(trainer, controller.checkpoints, mode="random", resolution=7, seed=3)
    np.testing.assert_array_equal(result.directions, request.directions)
    np.testing.assert_array_equal(result.values, in_process(trainer, result))
    # Progress counts rows, from none to all, never going back.
    assert seen[0] == (0, 7) and seen[-1] == (7, 7)
    assert all(total == 7 for _, total in seen)
    assert [done for done, _ in seen] == sorted({done for done, _ in seen})
    # The line along the last update: t = 0 the weights before it, t = 1 after.
    before = trainer.net.copy()
    before.set_weights(trainer.last_step.weights_before)
    np.testing.assert_array_equal(result.line_ts, LINE_TS)
    zero, one = np.flatnonzero(LINE_TS == 0)[0], np.flatnonzero(LINE_TS == 1)[0]
    assert result.line_values[zero] == before.evaluate(trainer.X_train, trainer.Y_train)
    assert result.line_values[one] == pytest.approx(result.values[i, j], rel=1e-12)
    assert result.line_step == 120
    assert not multiprocessing.active_children()  # the workers are gone once it is done


def test_trajectory_mode_projects_the_checkpoints_on_their_pca_plane(qtbot, controller, job):
    trainer, store = controller.trainer, controller.checkpoints
    result, _ = compute(qtbot, job, controller, mode="trajectory", resolution=5)
    steps = [s for s in store.steps if s < trainer.step_count] + [trainer.step_count]
    np.testing.assert_array_equal(result.trajectory_steps, steps)
    points = [landscape.flatten(store.get(s).weights) for s in steps[:-1]]
    plane = landscape.trajectory_plane([*points, result.center])
    np.testing.assert_allclose(result.directions, plane.directions, atol=1e-12)
    np.testing.assert_allclose(result.trajectory, plane.coordinates, atol=1e-12)
    assert result.trajectory[-1].tolist() == [0.0, 0.0]
    assert result.explained == pytest.approx(plane.explained)
    # The grid covers the path and holds the current weights exactly.
    assert result.alphas[0] <= result.trajectory[:, 0].min()
    assert result.alphas[-1] >= result.trajectory[:, 0].max()
    i, j = result.center_index()
    assert result.values[i, j] == trainer.net.evaluate(trainer.X_train, trainer.Y_train)
    np.testing.assert_array_equal(result.values, in_process(trainer, result))


def test_trajectory_mode_needs_three_points_of_the_path(qtbot, qapp, job):
    ctl = TrainingController(Document())
    try:
        ctl.step()  # two points at most: the first checkpoint and now
        with pytest.raises(LandscapeUnavailable, match="at least 3 different points"):
            make_request(ctl.trainer, ctl.checkpoints, mode="trajectory")
        with qtbot.waitSignal(job.failed) as failed:
            assert not job.start_from(ctl.trainer, ctl.checkpoints, mode="trajectory")
        assert "random directions" in failed.args[0]
        assert not job.running and not multiprocessing.active_children()
        make_request(ctl.trainer, ctl.checkpoints, mode="random")  # random mode works
    finally:
        ctl.shutdown()


def test_a_workers_error_arrives_as_a_message(qtbot, controller, job):
    request = make_request(controller.trainer, controller.checkpoints, resolution=3)
    center = request.center
    on_a_line = np.array([center + k * np.ones_like(center) for k in (2.0, 1.0, 0.0)])
    bad = dataclasses.replace(request, trajectory=on_a_line, trajectory_steps=np.arange(3))
    with qtbot.waitSignal(job.failed) as failed:
        job.start(bad)
    assert failed.args[0].startswith("The trajectory has moved along one line only")
    assert not job.running and not multiprocessing.active_children()


def test_cancel_terminates_the_workers_and_reports_nothing_more(qtbot, controller, job):
    results = []
    job.finished.connect(results.append)
    job.failed.connect(results.append)
    assert job.start_from(controller.trainer, controller.checkpoints, mode="random", resolution=61)
    assert job.running and multiprocessing.active_children()
    job.cancel()
    assert not job.running and job.rows() == (0, 0)
    assert not multiprocessing.active_children()
    qtbot.wait(3 * 40)  # a few polls' time: nothing arrives from the cancelled work
    assert results == []
    # The job starts again afterwards.
    with qtbot.waitSignal(job.finished):
        job.start_from(controller.trainer, controller.checkpoints, mode="random", resolution=3)


def test_a_worker_that_dies_fails_the_job_instead_of_hanging(qtbot, controller, job):
    """A pool replaces a dead worker but never reports its task: the job watches its workers."""
    assert job.start_from(controller.trainer, controller.checkpoints, mode="random", resolution=61)
    victim = multiprocessing.active_children()[0]
    victim.kill()
    with qtbot.waitSignal(job.failed) as blocker:
        pass
    assert "stopped unexpectedly" in blocker.args[0]
    assert not job.running and not multiprocessing.active_children()


def test_grid_helpers():
    axis = axis_through_zero(-0.3, 2.0, 21)
    assert 0.0 in axis and len(axis) == 21 and axis[0] <= -0.3 + 0.115 and axis[-1] >= 1.9
    assert np.allclose(np.diff(axis), axis[1] - axis[0])
    parts = chunks(41, 2)
    assert [r for part in parts for r in part] == list(range(41))
    assert chunks(3, 8) == [range(0, 1), range(1, 2), range(2, 3)]


def test_a_network_spec_rebuilds_the_same_losses():
    # What the workers receive: plain data that evaluates as the network does.
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(20, 3)), rng.integers(0, 4, size=20)
    net = Network([3, 5, 4], ["relu", "softmax"], loss="cross_entropy", seed=2)
    net.set_use_bias(0, False)
    net.set_connection(1, 2, 3, False)  # a removed connection stays removed
    copy = landscape.network_from_spec(landscape.network_spec(net))
    assert copy.sizes == net.sizes and not copy.layers[1].mask[2, 3]
    assert copy.evaluate(X, Y) == net.evaluate(X, Y)
    moved = landscape.flatten(net.get_weights()) + 0.1
    copy.set_weights(landscape.unflatten(moved, net.get_weights()))
    assert copy.layers[1].weights[2, 3] == 0 and not copy.layers[0].bias.any()
