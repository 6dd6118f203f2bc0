"""The inspector's numbers: equal to the engine's trace and gradients, and its chain-rule factors
multiply and add up to the gradient; the optimizer facts rebuild the Δw the engine applied."""

import math

import numpy as np
import pytest

from simulator.app.inspection import (
    Step,
    factor,
    fmt,
    inspect_connection,
    inspect_neuron,
    optimizer_facts,
    term_text,
)
from simulator.engine import Network, optimizers
from simulator.engine.trainer import Trainer

TIGHT = dict(rel_tol=1e-10, abs_tol=1e-13)

# (hidden activation, output activation, loss, outputs): fused heads, softmax's Jacobian,
# logit-reading losses and plain chain rules.
CASES = [
    ("tanh", "sigmoid", "bce", 1),
    ("relu", "softmax", "cross_entropy", 3),
    ("sigmoid", "linear", "mse", 2),
    ("leaky_relu", "softmax", "mse", 3),
    ("gelu", "sigmoid", "half_mse", 1),
    ("elu", "linear", "cross_entropy", 3),
    ("silu", "tanh", "huber", 2),
    ("softplus", "linear", "bce", 1),
    ("tanh", "softmax", "bce", 3),
]


def make_trainer(hidden, output, loss, k, *, optimizer=None, batch_size=10, dropout=0.0, **kw):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20, 3))
    if loss == "cross_entropy":
        Y = rng.integers(0, k, size=20)
    elif loss == "bce" or output == "softmax":
        Y = (rng.random((20, k)) < 0.5).astype(float)
    else:
        Y = rng.normal(size=(20, k))
    net = Network(
        [3, 4, 3, k],
        [hidden, hidden, output],
        loss=loss,
        seed=1,
        dropout=[dropout, dropout, 0.0],
        l1=kw.pop("l1", 0.0),
        l2=kw.pop("l2", 0.0),
    )
    net.set_bias(0, 1, 0.3)
    opt = optimizer or optimizers.SGD(lr=0.1, momentum=0.9)
    return Trainer(net, opt, X, Y, batch_size=batch_size, seed=2, **kw)


def step_with_reference(trainer, steps=3):
    """Train ``steps`` steps; return the last step's weights and its unclipped gradients as the
    engine computes them (backward again, on a copy holding the weights before the update)."""
    for _ in range(steps - 1):
        trainer.step()
    before = trainer.net.get_weights()
    trainer.step()
    ref = trainer.net.copy()
    ref.set_weights(before)
    raw = ref.backward(trainer.trace, trainer.Y_train[trainer.batch_index])
    return before, raw


@pytest.mark.parametrize("hidden, output, loss, k", CASES)
def test_neuron_numbers_equal_the_engines_trace_and_deltas(hidden, output, loss, k):
    trainer = make_trainer(hidden, output, loss, k)
    before, raw = step_with_reference(trainer)
    step = Step.from_trainer(trainer)
    assert step.stage == "update" and step.n == 10
    for w_used, w_before in zip(step.weights, before):
        np.testing.assert_array_equal(w_used[0], w_before[0])
    n = step.n
    for row in (0, 5):
        sample = int(trainer.batch_index[row])
        y = trainer.net.targets(trainer.Y_train[sample : sample + 1])[0]
        for col in (1, 2, 3):
            i = col - 1
            lt = trainer.trace.layers[i]
            for j in range(trainer.net.sizes[col]):
                facts = inspect_neuron(step, col, j, sample)
                assert facts.z == lt.z[row, j] and facts.a == lt.a[row, j]
                # The sample's own δ = n × the engine's batch delta (which carries 1/n).
                assert math.isclose(facts.delta, n * raw.deltas[i][row, j], **TIGHT)
                if facts.delta_kind == "chain":
                    assert math.isclose(facts.delta, facts.dl_da * facts.fprime, **TIGHT)
                if facts.terms:
                    total = sum(t.product for t in facts.terms)
                    assert math.isclose(facts.dl_da, total, **TIGHT)
                    for t in facts.terms:
                        assert t.w == before[i + 1][0][j, t.k]
                        assert math.isclose(t.delta, n * raw.deltas[i + 1][row, t.k], **TIGHT)
                        assert t.product == t.w * t.delta
                if facts.delta_kind == "fused_bce":
                    assert math.isclose(facts.delta, (facts.a - y[j]) / k, **TIGHT)
                    assert "fused" in facts.delta_rule
                if facts.delta_kind == "fused_ce":
                    assert math.isclose(facts.delta, facts.a - y[j], **TIGHT)
                if facts.delta_kind == "softmax":
                    assert facts.fprime is None and "Jacobian" in facts.delta_rule
                # The batch mean of δ is dL/db.
                mean = inspect_neuron(step, col, j)
                assert math.isclose(mean.delta, raw.bias[i][j], **TIGHT)
                assert mean.z == pytest.approx(lt.z[:, j].mean())
                assert mean.dl_db == trainer.grads.bias[i][j]
                assert fmt(facts.delta) in facts.delta_rule
    if output == "softmax" and loss != "cross_entropy":
        assert inspect_neuron(step, 3, 0, int(trainer.batch_index[0])).delta_kind == "softmax"


@pytest.mark.parametrize("hidden, output, loss, k", CASES)
def test_connection_factors_multiply_and_add_up_to_the_gradient(hidden, output, loss, k):
    trainer = make_trainer(hidden, output, loss, k, l2=0.01, l1=0.002, dropout=0.25)
    before, raw = step_with_reference(trainer)
    step = Step.from_trainer(trainer)
    n = step.n
    for i, layer in enumerate(trainer.net.layers):
        for r in range(layer.fan_in):
            for c in range(layer.fan_out):
                facts = inspect_connection(step, i, r, c)
                w = before[i][0][r, c]
                assert facts.w == w and facts.w_now == layer.weights[r, c]
                # dL/dw = (1/n) Σ_s δ_j^s a_i^s + λ₂w + λ₁ sign w, each term the engine's.
                inputs = trainer.trace.layers[i].input[:, r]
                per_sample = n * raw.deltas[i][:, c]
                assert math.isclose(facts.data_grad, np.mean(per_sample * inputs), **TIGHT)
                assert facts.l2_term == 0.01 * w and facts.l1_term == 0.002 * np.sign(w)
                total = facts.data_grad + facts.l2_term + facts.l1_term
                assert math.isclose(facts.raw_grad, total, **TIGHT)
                assert math.isclose(facts.raw_grad, raw.weights[i][r, c], **TIGHT)
                assert facts.clip_factor is None
                assert facts.grad == trainer.grads.weights[i][r, c]
                assert math.isclose(facts.grad, facts.raw_grad, **TIGHT)
                for term, s in zip(facts.sample_terms, range(n)):
                    assert term.sample == trainer.batch_index[s]
                    assert term.product == pytest.approx(per_sample[s] * inputs[s], rel=1e-12)
    # Per sample: δ_j (its own chain) times a_i (the source's output after dropout).
    row = 2
    sample = int(trainer.batch_index[row])
    facts = inspect_connection(step, 1, 2, 1, sample)
    assert facts.a_source == trainer.trace.layers[1].input[row, 2]
    assert facts.product == facts.target.delta * facts.a_source
    assert math.isclose(facts.share, raw.deltas[1][row, 1] * facts.a_source, **TIGHT)
    keep = trainer.trace.layers[1].keep[row, 1]
    assert facts.target.keep == keep
    if keep == 0:  # dropped: nothing flows back through it
        assert facts.target.dl_da == 0 and facts.target.delta == 0
    else:
        total = sum(t.product for t in facts.target.terms) * keep
        assert math.isclose(facts.target.dl_da, total, **TIGHT)


def test_clipping_scales_the_gradient_and_is_shown_pending_then_applied():
    trainer = make_trainer("tanh", "sigmoid", "bce", 1, l2=0.05, clip_norm=0.01)
    trainer.step()
    trainer.forward_phase()
    trainer.backward_phase()
    step = Step.from_trainer(trainer)
    assert step.stage == "backward"
    facts = inspect_connection(step, 0, 1, 2)
    assert facts.clip_pending and 0 < facts.clip_factor < 1
    assert facts.grad == facts.raw_grad == pytest.approx(trainer.grads.weights[0][1, 2])
    assert facts.global_norm == pytest.approx(trainer.grads.global_norm(), rel=1e-12)
    assert facts.optimizer is None and "update phase comes next" in facts.optimizer_note
    expected = facts.raw_grad * facts.clip_factor
    trainer.update_phase()
    step = Step.from_trainer(trainer)
    after = inspect_connection(step, 0, 1, 2)
    assert not after.clip_pending and after.clip_factor == pytest.approx(facts.clip_factor)
    assert after.raw_grad == pytest.approx(facts.raw_grad, rel=1e-12)
    assert after.grad == trainer.grads.weights[0][1, 2]
    assert math.isclose(after.grad, expected, **TIGHT)
    assert math.isclose(after.optimizer.explanation.g, after.grad, **TIGHT)
    # The bias's δ̄ is the unclipped dL/db; the engine's dL/db is scaled.
    neuron = inspect_neuron(step, 1, 2)
    assert math.isclose(neuron.delta * after.clip_factor, neuron.dl_db, **TIGHT)


def test_before_backward_there_are_forward_values_but_no_gradients():
    trainer = make_trainer("tanh", "sigmoid", "bce", 1)
    step = Step.from_trainer(trainer)
    assert step.stage == "none"
    facts = inspect_connection(step, 0, 0, 0)
    assert facts.target is None and facts.grad is None
    one = inspect_neuron(step, 1, 0, 4)  # a picked sample: its own forward pass
    z = trainer.X_train[4] @ trainer.net.layers[0].weights[:, 0] + trainer.net.layers[0].bias[0]
    assert one.z == pytest.approx(z, rel=1e-14) and one.delta is None
    trainer.forward_phase()
    step = Step.from_trainer(trainer)
    assert step.stage == "forward" and not step.has_gradients
    facts = inspect_neuron(step, 1, 0)
    assert facts.z == pytest.approx(trainer.trace.layers[0].z[:, 0].mean())
    assert facts.delta is None and "backward phase" in facts.notes[0]


def test_a_sample_outside_the_batch_gets_its_own_pass_without_dropout():
    trainer = make_trainer("relu", "softmax", "cross_entropy", 3, dropout=0.5)
    before, raw = step_with_reference(trainer)
    step = Step.from_trainer(trainer)
    outside = next(s for s in range(20) if s not in set(trainer.batch_index.tolist()))
    ref = trainer.net.copy()
    ref.set_weights(before)
    trace = ref.forward(trainer.X_train[outside : outside + 1], training=False)
    grads = ref.backward(trace, trainer.Y_train[outside : outside + 1])
    facts = inspect_neuron(step, 2, 1, outside)
    assert facts.z == pytest.approx(trace.layers[1].z[0, 1], rel=1e-14, abs=1e-15)
    assert facts.keep is None and math.isclose(facts.delta, grads.deltas[1][0, 1], **TIGHT)
    assert any("not in this step's batch" in note for note in facts.notes)
    conn = inspect_connection(step, 1, 0, 1, outside)
    assert conn.share == 0.0


def test_input_neurons_show_the_feature_and_its_gradient():
    trainer = make_trainer("tanh", "linear", "mse", 2)
    before, raw = step_with_reference(trainer)
    step = Step.from_trainer(trainer)
    sample = int(trainer.batch_index[1])
    facts = inspect_neuron(step, 0, 2, sample)
    assert facts.is_input and facts.a == trainer.X_train[sample, 2]
    expected = step.n * raw.deltas[0][1] @ before[0][0][2]
    assert math.isclose(facts.dl_da, expected, **TIGHT)


def test_unknown_neurons_connections_and_samples_are_refused():
    step = Step.from_trainer(make_trainer("tanh", "sigmoid", "bce", 1))
    with pytest.raises(ValueError):
        inspect_neuron(step, 1, 9)
    with pytest.raises(ValueError):
        inspect_connection(step, 0, 5, 0)
    with pytest.raises(ValueError):
        inspect_neuron(step, 1, 0, sample=20)


def test_removed_connection_has_no_gradient():
    trainer = make_trainer("tanh", "sigmoid", "bce", 1, l2=0.1)
    trainer.net.set_connection(0, 1, 1, False)
    trainer.step()
    facts = inspect_connection(Step.from_trainer(trainer), 0, 1, 1)
    assert facts.removed and facts.grad == 0 and facts.raw_grad == 0
    ex = facts.optimizer.explanation
    assert ex.masked and ex.applied == 0 and ex.delta == 0
    assert any("removed connection" in note for note in facts.optimizer.notes)


OPTIMIZERS = [
    optimizers.SGD(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    optimizers.Adagrad(lr=0.1, lr_decay=0.1, weight_decay=0.01, initial_accumulator_value=0.1),
    optimizers.RMSprop(lr=0.01, momentum=0.9, centered=True, weight_decay=0.01),
    optimizers.AdamW(lr=0.01, amsgrad=True, maximize=True),
]


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=repr)
@pytest.mark.parametrize("clip", [None, 0.05])
def test_optimizer_facts_are_the_engines_explanation(optimizer, clip):
    """The inspector's update is the engine's explanation of that entry (engine tests check the
    explanation against the applied Δ), with θ before and after the update around it."""
    trainer = make_trainer("tanh", "sigmoid", "bce", 1, optimizer=optimizer, clip_norm=clip)
    before, _ = step_with_reference(trainer, steps=4)
    step = Step.from_trainer(trainer)
    for i, layer in enumerate(trainer.net.layers):
        for r in range(layer.fan_in):
            for c in range(layer.fan_out):
                facts = inspect_connection(step, i, r, c)
                opt = facts.optimizer
                assert opt.explanation == trainer.explain_update(i, "weights", (r, c))
                assert opt.explanation.g == facts.grad
                assert opt.explanation.theta == before[i][0][r, c] == facts.w
                assert opt.theta_new == layer.weights[r, c] == facts.w_now
        for c in range(layer.fan_out):
            neuron_opt, _ = optimizer_facts(step, i, "bias", (c,))
            assert neuron_opt.explanation == trainer.explain_update(i, "bias", (c,))
    if clip:
        facts = inspect_connection(step, 0, 0, 0)
        assert facts.clip_factor == trainer.last_step.clip_factor is not None


def test_the_step_record_gives_the_rates_and_weights_the_step_used():
    """Changing L2 or the clip limit after a step does not change what the inspector says the
    step used."""
    trainer = make_trainer("tanh", "sigmoid", "bce", 1, l2=0.05, clip_norm=0.01)
    trainer.step()
    trainer.step()
    first = inspect_connection(Step.from_trainer(trainer), 0, 1, 2)
    trainer.net.l2 = 0.5
    trainer.clip_norm = 100.0
    again = inspect_connection(Step.from_trainer(trainer), 0, 1, 2)
    assert again.l2 == first.l2 == 0.05 and again.l2_term == first.l2_term
    assert again.clip_norm == first.clip_norm == 0.01
    assert again.clip_factor == first.clip_factor is not None
    assert again.grad == first.grad and again.raw_grad == first.raw_grad


def test_term_text_writes_the_formula_with_its_numbers():
    optimizer = optimizers.Adam(lr=0.01)
    trainer = make_trainer("tanh", "sigmoid", "bce", 1, optimizer=optimizer)
    for _ in range(3):
        trainer.step()
    m = trainer.explain_update(0, "weights", (1, 2)).term("m")
    text = term_text(m)
    assert text.startswith("β₁·m_prev + (1 − β₁)·g = 0.9 × ")
    assert all(factor(x) in text for x in m.operands)
