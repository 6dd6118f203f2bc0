"""The optimizer lab's loss surfaces and race: exact gradients, and the engine's optimizers
stepping two parameters exactly as they step a network's weights."""

import math

import numpy as np
import pytest

from simulator.engine import Network, optimizers
from simulator.engine.network import Gradients
from simulator.engine.surfaces import DIVERGENCE_LIMIT, SURFACES, Race

EVERY = sorted(SURFACES)


@pytest.mark.parametrize("key", EVERY)
def test_each_gradient_equals_central_differences(key):
    surface = SURFACES[key]
    rng = np.random.default_rng(7)
    (x0, x1), (y0, y1) = surface.bounds
    for x, y in zip(rng.uniform(x0, x1, 40), rng.uniform(y0, y1, 40)):
        gx, gy = surface.gradient(x, y)
        for axis, analytic in ((0, gx), (1, gy)):
            h = 1e-6 * max(1.0, abs((x, y)[axis]))
            plus = [x, y]
            minus = [x, y]
            plus[axis] += h
            minus[axis] -= h
            numeric = (surface.value(*plus) - surface.value(*minus)) / (2 * h)
            scale = max(1.0, abs(float(analytic)), abs(float(surface.value(x, y))) * 1e-3)
            assert abs(numeric - analytic) <= 1e-6 * scale, (key, x, y, axis, analytic, numeric)


@pytest.mark.parametrize("key", EVERY)
def test_the_marked_points_are_flat_and_the_minimum_is_the_least_value(key):
    surface = SURFACES[key]
    for x, y in surface.minima:
        gx, gy = surface.gradient(x, y)
        assert math.hypot(gx, gy) < 1e-9
        if surface.minimum is not None:
            assert surface.value(x, y) == pytest.approx(surface.minimum, abs=1e-12)
    xs, ys, values = surface.grid(101)
    assert values.shape == (101, 101)
    assert values[3, 5] == surface.value(xs[5], ys[3])
    if surface.minimum is not None:
        assert values.min() >= surface.minimum - 1e-12
    (x0, x1), (y0, y1) = surface.bounds
    assert x0 <= surface.start[0] <= x1 and y0 <= surface.start[1] <= y1


OPTIMIZERS = [
    optimizers.SGD(lr=1e-3),
    optimizers.SGD(lr=1e-3, momentum=0.9),
    optimizers.SGD(lr=1e-3, momentum=0.9, nesterov=True),
    optimizers.Adagrad(lr=0.1),
    optimizers.RMSprop(lr=0.01, momentum=0.5, centered=True),
    optimizers.Adam(lr=0.05),
    optimizers.AdamW(lr=0.05, amsgrad=True),
]


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=repr)
@pytest.mark.parametrize("key", ["rosenbrock", "himmelblau", "rastrigin"])
def test_trajectories_equal_the_optimizer_stepping_a_network_layer(optimizer, key):
    """The race's point moves exactly as a 1 → 2 network's weights do under the same class
    with the same gradients."""
    surface = SURFACES[key]
    race = Race(surface)
    racer = race.add("under test", type(optimizer)(**optimizer.hyperparameters()))
    race.run(200)
    net = Network([1, 2], ["linear"], loss="mse", use_bias=False, seed=0)
    net.layers[0].weights[...] = np.array([surface.start])
    reference = type(optimizer)(**optimizer.hyperparameters())
    trail = [net.layers[0].weights[0].copy()]
    for _ in range(racer.steps):
        x, y = net.layers[0].weights[0]
        g = np.array([surface.gradient(x, y)])
        reference.step(net, Gradients(0.0, 0.0, [g], [np.zeros(2)], [None]))
        trail.append(net.layers[0].weights[0].copy())
    np.testing.assert_array_equal(racer.trail, np.array(trail))
    np.testing.assert_array_equal(racer.values, surface.value(racer.trail[:, 0], racer.trail[:, 1]))


def test_reaching_the_tolerance_and_diverging_are_recorded():
    race = Race(SURFACES["bowl"], tolerance=1e-4)
    slow = race.add("SGD 0.1", optimizers.SGD(lr=0.1))
    wild = race.add("SGD 1.5", optimizers.SGD(lr=1.5))  # |1 − 2·1.5| = 2: each step doubles
    race.run(200)
    # SGD on x² + y² multiplies the point by (1 − 2·lr) each step: the first step within 1e-4.
    r0 = math.hypot(*SURFACES["bowl"].start)
    expected = math.ceil(math.log(math.sqrt(1e-4) / r0) / math.log(0.8))
    assert slow.reached_at in (expected - 1, expected)
    assert slow.values[slow.reached_at] <= 1e-4 < slow.values[slow.reached_at - 1]
    assert slow.steps == 200 and not slow.done
    assert wild.done and wild.reached_at is None
    assert np.abs(wild.trail[-1]).max() > DIVERGENCE_LIMIT
    assert wild.steps == wild.diverged_at < 200
    assert race.step() == 1  # only the healthy one steps


def test_explain_gives_the_optimizers_terms_of_the_last_step_per_axis():
    race = Race(SURFACES["ravine"])
    adam = race.add("Adam", optimizers.Adam(lr=0.1))
    momentum = race.add("Momentum", optimizers.SGD(lr=0.05, momentum=0.9))
    assert adam.explain() is None
    race.run(5)
    for racer in (adam, momentum):
        moved = racer.trail[-1] - racer.trail[-2]
        for axis, ex in enumerate(racer.explain()):
            assert ex.g == racer.gradient[axis]
            assert ex.theta == racer.trail[-2][axis]
            assert ex.theta + ex.applied == racer.trail[-1][axis]  # θ + Δ, as the step added it
            assert math.isclose(ex.applied, moved[axis], rel_tol=1e-12)
            assert math.isclose(ex.delta, ex.applied, rel_tol=1e-12, abs_tol=1e-18)
    assert {"m_hat", "v_hat"} <= {t.symbol for t in adam.explain()[0].terms}
    assert "v" in {t.symbol for t in momentum.explain()[1].terms}


def test_reset_and_a_new_surface_start_every_racer_afresh():
    race = Race(SURFACES["bowl"])
    racer = race.add("Adam", optimizers.Adam(lr=0.1))
    race.run(10)
    race.reset(start=(1.0, -1.0))
    assert racer.steps == 0 and racer.trail.tolist() == [[1.0, -1.0]]
    assert racer.optimizer.state_for(0, "weights") == {}
    race.reset(surface=SURFACES["himmelblau"])
    assert racer.surface is SURFACES["himmelblau"]
    assert tuple(racer.trail[0]) == SURFACES["himmelblau"].start
    race.run(3000)
    minima = np.array(SURFACES["himmelblau"].minima)
    assert np.min(np.linalg.norm(minima - racer.trail[-1], axis=1)) < 1e-2


@pytest.mark.parametrize("key", ["rosenbrock", "beale", "himmelblau"])
def test_a_huge_learning_rate_diverges_quietly(key):
    """Overflow is divergence, reported by the racer, not a warning (errors in the suite)."""
    race = Race(SURFACES[key])
    racer = race.add("wild", optimizers.SGD(lr=1e100))
    race.run(20)
    assert racer.done and racer.diverged_at <= 20
