"""The loss landscape: slices through the network's weights (Li et al., 2018)."""

import numpy as np
import pytest

from simulator.engine import Network, landscape, optimizers
from simulator.engine.trainer import Trainer


def make_net():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    Y = rng.integers(0, 3, size=30)
    net = Network([3, 5, 3], ["tanh", "softmax"], loss="cross_entropy", seed=4)
    return net, X, Y


def test_flatten_and_unflatten_are_inverse():
    net, _, _ = make_net()
    weights = net.get_weights()
    flat = landscape.flatten(weights)
    assert flat.size == sum(w.size + b.size for w, b in weights)
    for (w, b), (w2, b2) in zip(weights, landscape.unflatten(flat, weights)):
        np.testing.assert_array_equal(w, w2)
        np.testing.assert_array_equal(b, b2)
    with pytest.raises(ValueError, match="entries"):
        landscape.unflatten(flat[:-1], weights)


def test_filter_normalised_directions_match_each_columns_norm_and_leave_biases():
    net, _, _ = make_net()
    net.layers[0].weights[:, 2] = 0.0  # a dead neuron's column stays still
    d = landscape.filter_normalized_direction(net, np.random.default_rng(1))
    for (dw, db), layer in zip(landscape.unflatten(d, net.get_weights()), net.layers):
        np.testing.assert_allclose(
            np.linalg.norm(dw, axis=0), np.linalg.norm(layer.weights, axis=0), rtol=1e-12
        )
        assert not db.any()
    other = landscape.filter_normalized_direction(net, np.random.default_rng(2))
    assert not np.allclose(d, other)


def test_the_centre_is_the_networks_loss_and_every_cell_its_own_network():
    net, X, Y = make_net()
    before = landscape.flatten(net.get_weights())
    rng = np.random.default_rng(5)
    d1 = landscape.filter_normalized_direction(net, rng)
    d2 = landscape.filter_normalized_direction(net, rng)
    alphas = np.linspace(-1, 1, 5)
    betas = np.linspace(-0.5, 0.5, 3)
    values = landscape.surface(net, X, Y, before, d1, d2, alphas, betas)
    assert values.shape == (3, 5)
    assert values[1, 2] == net.evaluate(X, Y)  # the centre: the network as it is
    np.testing.assert_array_equal(landscape.flatten(net.get_weights()), before)  # untouched
    probe = net.copy()
    for i, j in [(0, 0), (2, 4), (1, 3)]:
        probe.set_weights(
            landscape.unflatten(before + betas[i] * d2 + alphas[j] * d1, net.get_weights())
        )
        assert values[i, j] == probe.evaluate(X, Y)
    rows = [i for i, _ in landscape.slice_rows(net, X, Y, before, d1, d2, alphas, betas)]
    assert rows == [0, 1, 2]


def test_the_trajectory_plane_holds_a_planar_trajectory_exactly():
    rng = np.random.default_rng(3)
    center = rng.normal(size=40)
    basis, _ = np.linalg.qr(rng.normal(size=(40, 2)))
    coords = np.column_stack([np.linspace(3, 0, 12) ** 1.5, np.sin(np.linspace(0, 3, 12))])
    coords -= coords[-1]
    points = center + coords @ basis.T
    plane = landscape.trajectory_plane(points)
    np.testing.assert_allclose(plane.directions @ plane.directions.T, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(center + plane.coordinates @ plane.directions, points, atol=1e-10)
    np.testing.assert_allclose(plane.coordinates[-1], 0.0, atol=1e-12)
    assert sum(plane.explained) == pytest.approx(1.0)
    assert plane.explained[0] >= plane.explained[1]
    with pytest.raises(ValueError, match="three points"):
        landscape.trajectory_plane(points[:2])
    with pytest.raises(ValueError, match="one line"):
        landscape.trajectory_plane(center + np.outer(np.arange(5.0), basis[:, 0]))


def test_the_line_along_the_last_update_ends_at_the_new_weights():
    net, X, Y = make_net()
    trainer = Trainer(net, optimizers.SGD(lr=0.5), X, Y, task="multiclass")
    trainer.step()
    before = landscape.flatten(trainer.last_step.weights_before)
    after = landscape.flatten(net.get_weights())
    values = landscape.line(net, X, Y, before, after - before, [0.0, 1.0])
    probe = net.copy()
    probe.set_weights(trainer.last_step.weights_before)
    assert values[0] == probe.evaluate(X, Y)
    assert values[1] == pytest.approx(net.evaluate(X, Y), rel=1e-12)
    assert values[1] < values[0]  # a small step of gradient descent goes down
