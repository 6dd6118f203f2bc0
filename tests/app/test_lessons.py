"""The lessons' content: every number of the worked example against a hand computation here,
the scoring of predictions, and the vanishing-gradient examples."""

import json
import math
import re

import numpy as np
import pytest

from simulator.app import lessons as L
from simulator.app import questions as Q
from simulator.app.inspection import fmt
from simulator.project import Project, load_example
from simulator.resources_path import resource

TOL = dict(rel=1e-12, abs=1e-15)


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


@pytest.fixture(scope="module")
def hand():
    """The worked example by hand, from the raw JSON file (not through the project parser)."""
    doc = json.loads(resource("examples", "worked-example.json").read_text(encoding="utf-8"))
    assert doc["loss"] == "half_mse"  # E = ½(y − o)²
    (x,), y = doc["data"]["X"][0], doc["data"]["y"][0]
    lr = doc["optimizer"]["params"]["lr"]
    first, second = doc["weights"]
    w11, w12 = first["weights"][0]
    (w21,), (w22,) = second["weights"]
    z1, z2 = w11 * x, w12 * x
    h1, h2 = sigmoid(z1), sigmoid(z2)
    zo = w21 * h1 + w22 * h2
    o = sigmoid(zo)
    E = 0.5 * (y - o) ** 2
    dE_do, do_dzo = o - y, o * (1 - o)
    factors = {
        "w21": [dE_do, do_dzo, h1],
        "w22": [dE_do, do_dzo, h2],
        "w11": [dE_do, do_dzo, w21, h1 * (1 - h1), x],
        "w12": [dE_do, do_dzo, w22, h2 * (1 - h2), x],
    }
    grads = {name: math.prod(f) for name, f in factors.items()}
    w = {"w11": w11, "w12": w12, "w21": w21, "w22": w22}
    values = {
        "x": x,
        "y": y,
        "lr": lr,
        **w,
        "z1": z1,
        "z2": z2,
        "h1": h1,
        "h2": h2,
        "zo": zo,
        "o": o,
        "E": E,
        "o-y": o - y,
        "wrong formula": dE_do * do_dzo * x,  # the tutorial's formula without w21·h1(1−h1)
        "wrong / right": 1 / (w21 * h1 * (1 - h1)),
    }
    for name, g in grads.items():
        values["d" + name] = g
        values["engine " + name] = g
        values["new " + name] = w[name] - lr * g
    return {"values": values, "factors": factors, "grads": grads}


@pytest.fixture
def example():
    project = load_example("worked-example")
    data = project.build_data()
    net = project.build_network()
    return L.work_example(net, data.X_train, data.Y_train, project.optimizer.params["lr"])


def expected(hand, page, name):
    if name.startswith("factor "):
        grad = page.title.rsplit("∂", 1)[1]  # "Hidden layer: ∂E/∂w11" -> "w11"
        return hand["factors"][grad][int(name.split()[1])]
    return hand["values"][name]


def shown(text, value):
    formats = (L.fmt, lambda v: L.fmt(v, 3), L.fixed, lambda v: L.fixed(v, 9))
    return any(f(value) in text for f in formats)


def test_every_number_of_backprop_by_hand_equals_the_hand_computation(example, hand):
    lesson = L.backprop_by_hand(example)
    assert len(lesson) == 10
    checked = set()
    for page in lesson.pages[:-1]:
        assert page.numbers, page.title
        for name, value in page.numbers.items():
            assert value == pytest.approx(expected(hand, page, name), **TOL), (page.title, name)
            assert shown(page.text, value), (page.title, name, value)
            checked.add(name)
    # Nothing is skipped: the forward values, E, every gradient (with its factors), the updates.
    names = {"h1", "h2", "o", "z1", "z2", "zo", "E", "wrong formula"}
    for w in ("w11", "w12", "w21", "w22"):
        names |= {w, "d" + w, "engine " + w, "new " + w}
    assert names <= checked


def test_the_first_layer_gradient_has_the_chain_through_w21(example, hand):
    page = next(p for p in L.backprop_by_hand(example).pages if p.title.endswith("∂E/∂w11"))
    v = hand["values"]
    full = (v["o"] - v["y"]) * v["o"] * (1 - v["o"]) * v["w21"] * v["h1"] * (1 - v["h1"]) * v["x"]
    assert page.numbers["dw11"] == pytest.approx(full, **TOL)
    assert page.numbers["wrong formula"] / page.numbers["dw11"] == pytest.approx(
        1 / (v["w21"] * v["h1"] * (1 - v["h1"])), **TOL
    )
    assert "common error" in page.text
    # The page marks x, h1 and o, the weight w11 and the factor w21.
    assert set(page.neurons) == {(0, 0), (1, 0), (2, 0)}
    assert set(page.connections) == {(0, 0, 0), (1, 0, 0)}


def test_the_engine_step_equals_the_hand_update(example, hand):
    trainer = load_example("worked-example").build_trainer()
    trainer.step()
    weights = trainer.net.get_weights()
    page = L.engine_step_page(example, weights)
    (w1, _), (w2, _) = weights
    engine = {"w11": w1[0, 0], "w12": w1[0, 1], "w21": w2[0, 0], "w22": w2[1, 0]}
    for name, value in engine.items():
        assert value == pytest.approx(hand["values"]["new " + name], **TOL)
        assert page.numbers["engine " + name] == value
        assert page.numbers["new " + name] == pytest.approx(hand["values"]["new " + name], **TOL)
        assert L.fixed(value, 9) in page.text
    assert page.numbers["largest difference"] < 1e-15


def test_the_worked_example_refuses_another_network():
    project = load_example("xor")
    data = project.build_data()
    with pytest.raises(ValueError, match="1–2–1"):
        L.work_example(project.build_network(), data.X_train, data.Y_train, 0.1)


@pytest.mark.parametrize(
    ("guess", "verdict"),
    [
        (0.0144791, L.EXACT),  # right
        (0.0146, L.EXACT),  # within 1 %
        (0.0155, L.CLOSE),  # within 10 %
        (0.1456, L.RIGHT_DIRECTION),  # the tutorial's formula: right sign, ten times too big
        (-0.0144791, L.OFF),  # wrong sign
        (0.0, L.OFF),
    ],
)
def test_score_prediction(guess, verdict):
    truth = 0.014479098781941674
    got, error = L.score_prediction(guess, truth)
    assert got == verdict
    assert error == pytest.approx(abs(guess - truth) / truth)
    text = L.verdict_text(got, guess, truth)
    assert "% off" not in text  # how far, in words
    if got == L.RIGHT_DIRECTION:
        assert "times too large" in text


def test_score_prediction_of_zero_and_of_nonsense():
    assert L.score_prediction(0.0, 0.0) == (L.EXACT, 0.0)
    assert L.score_prediction(1e-3, 0.0) == (L.OFF, math.inf)
    assert L.score_prediction(math.nan, 1.0) == (L.OFF, math.inf)


def test_parse_number_reads_what_a_learner_types():
    assert L.parse_number(" −0.0145 ") == -0.0145
    assert L.parse_number("1.2e-3") == 1.2e-3
    assert L.parse_number("0,5") == 0.5
    assert L.parse_number("abc") is None
    # what the window itself shows: grouped thousands and powers of ten
    assert L.parse_number("1,234.5") == 1234.5 and L.parse_number("−1,234") == -1234
    assert L.parse_number("1.2×10⁻³") == pytest.approx(1.2e-3)
    assert L.parse_number("−3×10⁵") == -3e5 and L.parse_number("2x10^-4") == pytest.approx(2e-4)
    assert L.parse_number("0,125") == 0.125 and L.parse_number("12,5") == 12.5  # decimal comma
    assert L.parse_number("inf") is None


def test_the_tutorials_first_layer_formula_gets_a_hint_naming_the_factors_it_drops(hand, example):
    """The tutorial's ∂E/∂w11 = (o − y)·o(1 − o)·x skips h1: the hint names w21 and σ′ at h1."""
    lesson = L.predict_then_reveal(example)
    w11 = next(p.prediction for p in lesson.pages if p.prediction and p.prediction.name == "w11")
    values = hand["values"]
    diagnosis = Q.diagnose(values["wrong formula"], w11.truth, w11.mistakes)
    assert diagnosis is not None and diagnosis.mistake.key == "skipped_neuron"
    hint = re.sub("<[^>]+>", "", diagnosis.hint)
    assert "h1" in hint
    assert fmt(values["w21"]) in hint and fmt(values["h1"] * (1 - values["h1"])) in hint
    # Leaving out only σ′ at h1 names σ′ and its value.
    factors = hand["factors"]["w11"]
    without_slope = factors[0] * factors[1] * factors[2] * factors[4]
    diagnosis = Q.diagnose(without_slope, w11.truth, w11.mistakes)
    assert diagnosis.mistake.key == "no_fprime" and fmt(factors[3]) in diagnosis.hint


def test_predict_lesson_asks_for_engine_gradients(example, hand):
    lesson = L.predict_then_reveal(example)
    questions = [p.prediction for p in lesson.pages if p.prediction is not None]
    assert [q.name for q in questions] == ["w21", "w11"]
    for q in questions:
        assert q.truth == pytest.approx(hand["grads"][q.name], **TOL)
        assert L.fixed(q.truth) in q.reveal
    intro = lesson.pages[0]
    for name, value in intro.numbers.items():
        assert value == pytest.approx(hand["values"][name], **TOL)
        assert shown(intro.text, value)


def test_fmt_writes_powers_of_ten_and_minus_signs():
    assert L.fmt(-0.5) == "−0.5"
    assert L.fmt(1.5e-5, 3) == "1.5×10<sup>−5</sup>"
    assert L.fmt(0.0) == "0"
    assert L.fixed(-0.25, 3) == "−0.250"


# --------------------------------------------------------------------------- vanishing gradients


@pytest.mark.parametrize("name", L.VANISHING_EXAMPLES)
def test_vanishing_examples_load_and_are_normalised(name):
    project = load_example(name)
    assert project.name and project.description
    assert project.network.sizes == [2, 8, 8, 8, 8, 8, 8, 1]
    shipped = json.loads(resource("examples", f"{name}.json").read_text(encoding="utf-8"))
    assert shipped == project.to_dict()
    assert Project.from_dict(shipped) == project


def test_vanishing_examples_differ_only_in_the_hidden_activation():
    sigmoid_net, relu_net = (load_example(n).to_dict() for n in L.VANISHING_EXAMPLES)
    for doc in (sigmoid_net, relu_net):
        doc.pop("name"), doc.pop("description"), doc["network"].pop("activations")
    assert sigmoid_net == relu_net


def test_sigmoid_gradients_vanish_and_relu_gradients_do_not():
    ratios = {}
    for name in L.VANISHING_EXAMPLES:
        trainer = load_example(name).build_trainer()
        for _ in range(50):
            trainer.step()
        norms = trainer.history.column("grad_norms")
        first, last, ratio = L.gradient_ratio(norms)
        assert ratio == pytest.approx(norms[:, 0].mean() / norms[:, -1].mean())
        ratios[name] = ratio
    sig, relu = (ratios[n] for n in L.VANISHING_EXAMPLES)
    assert sig < 1e-2 < 0.1 < relu


def test_gradient_ratio_and_the_pages_it_fills():
    lesson = L.vanishing_gradients([2, 8, 8, 8, 8, 8, 8, 1], steps=3)
    assert lesson.example == "vanishing-sigmoid"
    assert [p.opens for p in lesson.pages] == [None, *L.VANISHING_EXAMPLES, None]
    norms_sig = np.array([[1e-4, 0.5, 1.0], [3e-4, 0.5, 1.0]])
    norms_relu = np.array([[1.0, 1.0, 2.0], [3.0, 1.0, 2.0]])
    page = L.trained_page(lesson, 1, norms_sig)
    assert page.numbers["ratio"] == pytest.approx(2e-4)
    assert page.action is None and L.fmt(2e-4, 3) in page.text
    assert "Train both" in lesson.pages[-1].text  # not yet
    L.trained_page(lesson, 2, norms_relu)
    summary = lesson.pages[-1]
    assert summary.numbers == {"sigmoid": pytest.approx(2e-4), "relu": pytest.approx(1.0)}
    assert L.fmt(2e-4, 3) in summary.text and L.fmt(1.0, 3) in summary.text
    assert math.isnan(L.gradient_ratio(np.empty((0, 3)))[2])
    # 8·2 + 8·1 connections: the first and the last weight layer
    assert len(L.first_last_marks([2, 8, 8, 8, 8, 8, 8, 1])) == 24
