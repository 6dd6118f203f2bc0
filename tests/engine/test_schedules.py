"""Learning-rate schedules against PyTorch's closed forms (written out again here)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.engine import schedules

BASE_LR = 0.3


def test_constant_keeps_the_base_rate():
    schedule = schedules.make("constant")
    assert schedule.name == "constant" and schedule.params() == {}
    assert [schedule.lr_at(BASE_LR, t) for t in range(5)] == [BASE_LR] * 5


@pytest.mark.parametrize(("step_size", "gamma"), [(1, 0.1), (3, 0.5), (4, 0.9), (2, 1.5)])
def test_step_is_gamma_to_the_number_of_whole_steps(step_size, gamma):
    schedule = schedules.make("step", step_size=step_size, gamma=gamma)
    for t in range(20):
        whole_steps = 0
        for epoch in range(1, t + 1):  # count the epochs at which a step happens
            if epoch % step_size == 0:
                whole_steps += 1
        assert schedule.lr_at(BASE_LR, t) == pytest.approx(BASE_LR * gamma**whole_steps, rel=1e-15)


def test_step_defaults_to_a_tenth():
    schedule = schedules.make("step", step_size=2)
    assert schedule.params() == {"step_size": 2, "gamma": 0.1}
    assert schedule.lr_at(1.0, 3) == pytest.approx(0.1)
    assert schedule.lr_at(1.0, 4) == pytest.approx(0.01)


@pytest.mark.parametrize("gamma", [0.5, 0.95, 1.0, 1.1])
def test_exponential_multiplies_every_epoch(gamma):
    schedule = schedules.make("exponential", gamma=gamma)
    lr = BASE_LR
    for t in range(30):
        assert schedule.lr_at(BASE_LR, t) == pytest.approx(lr, rel=1e-13)
        lr *= gamma


def test_exponential_growth_overflows_to_infinity_not_an_exception():
    assert schedules.make("exponential", gamma=2.0).lr_at(1.0, 5000) == math.inf
    assert schedules.make("exponential", gamma=0.5).lr_at(1.0, 5000) == 0.0


@pytest.mark.parametrize(("T_max", "eta_min"), [(10, 0.0), (7, 0.01), (1, 0.05)])
def test_cosine_follows_the_closed_form_and_stays_periodic(T_max, eta_min):
    schedule = schedules.make("cosine", T_max=T_max, eta_min=eta_min)
    for t in range(4 * T_max + 3):
        angle = math.pi * t / T_max
        want = eta_min + (BASE_LR - eta_min) * (1 + math.cos(angle)) / 2
        assert schedule.lr_at(BASE_LR, t) == pytest.approx(want, rel=1e-14, abs=1e-16)
    assert schedule.lr_at(BASE_LR, 0) == pytest.approx(BASE_LR)
    assert schedule.lr_at(BASE_LR, T_max) == pytest.approx(eta_min, abs=1e-16)
    assert schedule.lr_at(BASE_LR, 2 * T_max) == pytest.approx(BASE_LR)  # periodic, like PyTorch
    assert schedule.lr_at(BASE_LR, 3 * T_max) == pytest.approx(eta_min, abs=1e-16)


def test_numpy_integers_are_epochs_and_results_are_python_floats():
    schedule = schedules.make("cosine", T_max=10)
    value = schedule.lr_at(np.float64(BASE_LR), np.int64(3))
    assert type(value) is float
    assert value == schedule.lr_at(BASE_LR, 3)


@pytest.mark.parametrize("t", [-1, 1.5, "3", True, None])
def test_bad_epoch_counts_are_rejected(t):
    for name, params in [("constant", {}), ("step", {"step_size": 2}), ("cosine", {"T_max": 3})]:
        with pytest.raises(ValueError, match="epochs"):
            schedules.make(name, **params).lr_at(BASE_LR, t)


def test_params_round_trip_and_equality():
    for name, params in [
        ("constant", {}),
        ("step", {"step_size": 3, "gamma": 0.5}),
        ("exponential", {"gamma": 0.9}),
        ("cosine", {"T_max": 20, "eta_min": 0.001}),
    ]:
        schedule = schedules.make(name, **params)
        assert schedule.name == name
        assert schedule.params() == params
        assert schedules.make(name, **schedule.params()) == schedule
        assert name in repr(schedule) or type(schedule).__name__ in repr(schedule)
        assert schedule.formula.startswith("lr = ")
    assert set(schedules.SCHEDULES) == {"constant", "step", "exponential", "cosine"}


def test_integral_floats_are_accepted_as_counts():
    assert schedules.make("step", step_size=4.0).params()["step_size"] == 4
    assert type(schedules.make("cosine", T_max=8.0).T_max) is int


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("linear", {}, "unknown schedule 'linear'.*known: constant, step"),
        ("step", {}, "needs 'step_size'"),
        ("step", {"step_size": 0}, "step_size"),
        ("step", {"step_size": -2}, "step_size"),
        ("step", {"step_size": 2.5}, "step_size"),
        ("step", {"step_size": True}, "step_size"),
        ("step", {"step_size": 2, "gamma": 0}, "gamma"),
        ("step", {"step_size": 2, "gamma": -0.5}, "gamma"),
        ("step", {"step_size": 2, "gamma": math.nan}, "gamma"),
        ("step", {"step_size": 2, "step": 3}, "no parameter 'step'.*step_size, gamma"),
        ("exponential", {}, "needs 'gamma'"),
        ("exponential", {"gamma": 0.0}, "gamma"),
        ("exponential", {"gamma": math.inf}, "gamma"),
        ("exponential", {"gamma": "0.9"}, "gamma"),
        ("cosine", {}, "needs 'T_max'"),
        ("cosine", {"T_max": 0}, "T_max"),
        ("cosine", {"T_max": -10}, "T_max"),
        ("cosine", {"T_max": 10, "eta_min": -0.1}, "eta_min"),
        ("cosine", {"T_max": 10, "t_max": 10}, "no parameter 't_max'"),
        ("constant", {"gamma": 0.5}, "no parameter 'gamma'.*no parameters"),
    ],
)
def test_bad_names_and_parameters_are_rejected(name, params, message):
    with pytest.raises(ValueError, match=message):
        schedules.make(name, **params)


def test_direct_construction_checks_too():
    with pytest.raises(ValueError, match="T_max"):
        schedules.CosineSchedule(T_max=0)


def test_schedules_match_torch_lr_scheduler():
    torch = pytest.importorskip("torch")
    cases = [
        ("step", {"step_size": 3, "gamma": 0.5}, torch.optim.lr_scheduler.StepLR),
        ("exponential", {"gamma": 0.9}, torch.optim.lr_scheduler.ExponentialLR),
        ("cosine", {"T_max": 5, "eta_min": 0.01}, torch.optim.lr_scheduler.CosineAnnealingLR),
    ]
    for name, params, torch_class in cases:
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=BASE_LR)
        scheduler = torch_class(opt, **params)
        ours = schedules.make(name, **params)
        for t in range(17):  # the trainer passes the number of completed epochs
            want = opt.param_groups[0]["lr"]
            assert ours.lr_at(BASE_LR, t) == pytest.approx(want, rel=1e-9, abs=1e-12), (name, t)
            opt.step()
            scheduler.step()
