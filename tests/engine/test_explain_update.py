"""The engine explains each optimizer's last update from its state (Trainer.explain_update,
Optimizer.explain_update) and records what each step used (Trainer.last_step)."""

import math

import numpy as np
import pytest

from simulator.engine import Network, optimizers
from simulator.engine.trainer import Trainer

OPTIMIZERS = [
    optimizers.SGD(lr=0.1),
    optimizers.SGD(lr=0.1, momentum=0.9),
    optimizers.SGD(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    optimizers.SGD(lr=0.1, momentum=0.8, dampening=0.5),
    optimizers.SGD(lr=0.05, weight_decay=0.01, maximize=True),
    optimizers.Adagrad(lr=0.1),
    optimizers.Adagrad(lr=0.1, lr_decay=0.1, weight_decay=0.01, initial_accumulator_value=0.1),
    optimizers.RMSprop(lr=0.01),
    optimizers.RMSprop(lr=0.01, momentum=0.9, centered=True, weight_decay=0.01),
    optimizers.RMSprop(lr=0.01, momentum=0.5, maximize=True),
    optimizers.Adam(lr=0.01),
    optimizers.Adam(lr=0.01, weight_decay=0.01, amsgrad=True),
    optimizers.AdamW(lr=0.01),
    optimizers.AdamW(lr=0.01, amsgrad=True, maximize=True),
]


def make_trainer(optimizer, clip_norm=None, l1=0.0, l2=0.0, batch_size=10):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20, 3))
    Y = (rng.random((20, 1)) < 0.5).astype(float)
    net = Network([3, 4, 1], ["tanh", "sigmoid"], loss="bce", seed=1, l1=l1, l2=l2)
    return Trainer(net, optimizer, X, Y, batch_size=batch_size, clip_norm=clip_norm, seed=2)


def fresh(optimizer):
    return type(optimizer)(**optimizer.hyperparameters())


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=repr)
@pytest.mark.parametrize("clip", [None, 0.05])
def test_the_explanation_rebuilds_every_applied_update(optimizer, clip):
    optimizer = fresh(optimizer)
    trainer = make_trainer(optimizer, clip_norm=clip, l2=0.01)
    for steps in range(1, 5):
        before = trainer.net.get_weights()
        trainer.step()
        record = trainer.last_step
        assert record.step == steps == trainer.step_count
        for i in range(len(trainer.net.layers)):
            for kind, column, grads in (
                ("weights", 0, trainer.grads.weights),
                ("bias", 1, trainer.grads.bias),
            ):
                applied = optimizer.last_update(i, kind)
                for index in np.ndindex(applied.shape):
                    ex = trainer.explain_update(i, kind, index)
                    assert ex.optimizer == optimizer.name and ex.kind == kind
                    assert ex.g == grads[i][index]  # what it received: clipped
                    assert ex.theta == before[i][column][index]
                    assert ex.applied == applied[index]
                    assert math.isclose(ex.delta, ex.applied, rel_tol=1e-12, abs_tol=1e-17)
                    assert ex.terms[-1].symbol == "Δ" and ex.terms[-1].value == ex.delta
                    assert ex.hyperparameters == optimizer.hyperparameters()
                    if "step" in optimizer.state_for(i, kind):
                        assert ex.step == steps


def test_every_term_is_its_formula_applied_to_its_operands():
    """Each term's numbers, evaluated, give its value: the formula shown is the one used."""
    cases = [
        (optimizers.SGD(lr=0.1, momentum=0.8, dampening=0.5), {"v"}),
        (
            optimizers.Adam(lr=0.01, weight_decay=0.01),
            {"ĝ", "m", "v", "m_hat", "v_hat", "√v_hat", "Δ"},
        ),
        (optimizers.AdamW(lr=0.01), {"m", "v", "decay", "Δ"}),
        (optimizers.RMSprop(lr=0.01, momentum=0.9, centered=True), {"v", "ḡ", "ṽ", "b", "Δ"}),
        (optimizers.Adagrad(lr=0.1, lr_decay=0.1), {"η_t", "s", "Δ"}),
    ]
    for optimizer, symbols in cases:
        trainer = make_trainer(optimizer)
        for _ in range(3):
            trainer.step()
        ex = trainer.explain_update(0, "weights", (1, 2))
        for term in ex.terms:
            if term.symbol not in symbols:
                continue
            expression = term.numbers.replace("×", "*").replace("−", "-").replace("²", "**2")
            expression = expression.replace("√", "math.sqrt")
            expression = expression.replace("{}", "({!r})").format(*term.operands)
            expression = expression.split("  (")[0]  # a trailing note such as "(t = 3)"
            assert math.isclose(eval(expression), term.value, rel_tol=1e-9, abs_tol=1e-15), (
                optimizer,
                term,
            )


@pytest.mark.parametrize(
    "optimizer, averages",
    [
        (optimizers.Adam(lr=0.01), [("m", "exp_avg"), ("v", "exp_avg_sq")]),
        (optimizers.AdamW(lr=0.01, maximize=True), [("m", "exp_avg"), ("v", "exp_avg_sq")]),
        (optimizers.RMSprop(lr=0.01, weight_decay=0.01), [("v", "square_avg")]),
        (optimizers.SGD(lr=0.1, momentum=0.9), [("v", "momentum_buffer")]),
    ],
    ids=repr,
)
def test_running_averages_show_the_state_and_its_previous_value(optimizer, averages):
    optimizer = fresh(optimizer)
    trainer = make_trainer(optimizer)
    for _ in range(3):
        trainer.step()
    previous = {key: optimizer.state_for(0, "weights")[key][1, 2] for _, key in averages}
    trainer.step()
    ex = trainer.explain_update(0, "weights", (1, 2))
    for symbol, key in averages:
        term = ex.term(symbol)
        assert term.value == optimizer.state_for(0, "weights")[key][1, 2]
        assert math.isclose(term.operands[1], previous[key], rel_tol=1e-9, abs_tol=1e-15)


def test_sgds_first_step_starts_the_buffer_as_the_gradient_undamped():
    """PyTorch's rule: the buffer is a copy of ĝ at its first step (no dampening, no v_prev);
    afterwards μ·v_prev + (1 − τ)·ĝ."""
    optimizer = optimizers.SGD(lr=0.1, momentum=0.9, dampening=0.5)
    trainer = make_trainer(optimizer)
    trainer.step()
    v = trainer.explain_update(0, "weights", (1, 2)).term("v")
    assert v.operands == (trainer.grads.weights[0][1, 2],) and v.value == v.operands[0]
    assert "starts as" in v.formula
    trainer.step()
    v = trainer.explain_update(0, "weights", (1, 2)).term("v")
    assert v.formula.startswith("μ·v_prev + (1 − τ)") and len(v.operands) == 4


def test_a_connection_removed_after_the_step_is_not_explained_as_removed_by_it():
    trainer = make_trainer(optimizers.Adam(lr=0.01))
    trainer.step()
    trainer.net.set_connection(0, 1, 1, False)
    ex = trainer.explain_update(0, "weights", (1, 1))
    assert not ex.masked and ex.terms[-1].symbol == "Δ"
    assert math.isclose(ex.delta, ex.applied, rel_tol=1e-12)


def test_the_step_record_holds_what_the_update_used():
    trainer = make_trainer(optimizers.SGD(lr=0.1), clip_norm=0.01, l1=0.001, l2=0.02)
    assert trainer.last_step is None and trainer.explain_update(0, "weights", (0, 0)) is None
    trainer.forward_phase()
    trainer.backward_phase()
    norm, factor = trainer.grads.clip_coefficient(0.01)
    before = trainer.net.get_weights()
    trainer.update_phase()
    record = trainer.last_step
    assert record.step == 1 and record.lr == 0.1 and record.clip_norm == 0.01
    assert record.global_norm == norm and record.clip_factor == factor and 0 < factor < 1
    assert (record.l1, record.l2) == (0.001, 0.02)
    for (w, b), (w0, b0) in zip(record.weights_before, before):
        np.testing.assert_array_equal(w, w0)
        np.testing.assert_array_equal(b, b0)
    # Changing a rate afterwards does not change what the step used.
    trainer.net.l2 = 0.5
    assert trainer.last_step.l2 == 0.02
    # In the middle of the next step there is no "last update" to explain.
    trainer.forward_phase()
    assert trainer.explain_update(0, "weights", (0, 0)) is None
    trainer.backward_phase()
    trainer.update_phase()
    assert trainer.explain_update(0, "weights", (0, 0)) is not None


def test_hyperparameters_changed_after_the_step_do_not_change_its_explanation():
    optimizer = optimizers.Adam(lr=0.01)
    trainer = make_trainer(optimizer)
    trainer.step()
    trainer.step()
    first = trainer.explain_update(0, "weights", (0, 1))
    optimizer.betas = (0.5, 0.6)
    trainer.base_lr = optimizer.lr = 0.3
    again = trainer.explain_update(0, "weights", (0, 1))
    assert again == first and again.hyperparameters["betas"] == (0.9, 0.999)


def test_a_removed_connection_is_explained_as_set_back_to_zero():
    trainer = make_trainer(optimizers.Adam(lr=0.01))
    trainer.step()
    trainer.net.set_connection(0, 1, 1, False)
    trainer.step()
    ex = trainer.explain_update(0, "weights", (1, 1))
    assert ex.masked and ex.applied == ex.delta == -ex.theta
    assert ex.terms[-1].symbol == "Δ" and ex.terms[-1].value == -ex.theta


def test_no_explanation_after_a_divergence_restore_or_reset():
    trainer = make_trainer(optimizers.SGD(lr=0.1))
    trainer.step()
    checkpoint = trainer.checkpoint()
    trainer.step()
    trainer.restore(checkpoint)
    assert trainer.last_step is None and trainer.explain_update(0, "bias", (0,)) is None
    trainer.step()
    trainer.optimizer.reset()
    assert trainer.explain_update(0, "bias", (0,)) is None
    fork = trainer.fork()
    assert fork.last_step is not None
    assert fork.last_step.weights_before is not trainer.last_step.weights_before
