"""Questions generated from the user's own network: each answer is the engine's, checked against
the network's backward pass and against finite differences in float64; each hint fires on a
guess built here by getting that one factor wrong (from the question's own numbers), and stays
quiet for unrelated wrong guesses."""

import math
import re

import numpy as np
import pytest

from simulator.app import questions as Q
from simulator.app.inspection import fmt
from simulator.engine import Network
from simulator.project import load_example


def plain(html):
    return re.sub("<[^>]+>", "", html).replace("&nbsp;", " ")


def custom(hidden, output, loss, k, seed=4):
    """A 3–4–3–k network with biases and random data of 6 samples."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(6, 3))
    if loss == "cross_entropy":
        Y = rng.integers(0, k, size=6)
    elif loss == "bce":
        Y = rng.integers(0, 2, size=(6, k)).astype(float)
    else:
        Y = rng.normal(size=(6, k))
    net = Network([3, 4, 3, k], [hidden, hidden, output], loss=loss, seed=seed)
    for layer in net.layers:
        layer.bias[:] = rng.normal(scale=0.3, size=layer.bias.shape)
    return net, X, Y


def example(name):
    project = load_example(name)
    data = project.build_data()
    return project.build_network(), data.X_train, data.Y_train


NETWORKS = {
    "xor": lambda: example("xor"),
    "worked": lambda: example("worked-example"),
    "sigmoid-half_mse-2": lambda: custom("sigmoid", "sigmoid", "half_mse", 2),
    "tanh-linear-mse-2": lambda: custom("tanh", "linear", "mse", 2),
    "relu-softmax-ce-3": lambda: custom("tanh", "softmax", "cross_entropy", 3),
    "elu-sigmoid-bce-2": lambda: custom("elu", "sigmoid", "bce", 2),
}


def sample_loss(net, x, y):
    return net.backward(net.forward(x[None], training=False), y).loss


@pytest.mark.parametrize("name", NETWORKS)
def test_the_answer_is_the_engines_gradient_and_the_finite_difference(name):
    net, X, Y = NETWORKS[name]()
    maker = Q.QuestionMaker(seed=7)
    plain_net = net.copy("float64")
    plain_net.l1 = plain_net.l2 = 0.0
    for _ in range(2 * len(net.layers)):
        q = maker.next(net, X, Y, Q.GRADIENT)
        i, r, c, s = q.spec.layer, q.spec.source, q.spec.target, q.spec.sample
        x, y = X[s], Y[s : s + 1]
        grads = plain_net.backward(plain_net.forward(x[None], training=False), y)
        assert math.isclose(q.truth, grads.weights[i][r, c], rel_tol=1e-9, abs_tol=1e-15)
        h = 1e-6
        up, down = plain_net.copy(), plain_net.copy()
        up.layers[i].weights[r, c] += h
        down.layers[i].weights[r, c] -= h
        fd = (sample_loss(up, x, y) - sample_loss(down, x, y)) / (2 * h)
        assert math.isclose(q.truth, fd, rel_tol=1e-5, abs_tol=1e-9)
        # The question says which connection and sample, and shows w with its value.
        assert q.connections == ((i, r, c),)
        assert f"#{s}" in plain(q.text) and fmt(q.numbers["w"], Q.DIGITS) in plain(q.text)
        assert fmt(q.truth, Q.DIGITS) in plain(q.reveal)


@pytest.mark.parametrize("name", NETWORKS)
def test_delta_and_forward_answers_are_the_engines(name):
    net, X, Y = NETWORKS[name]()
    maker = Q.QuestionMaker(seed=2)
    for kind in (Q.DELTA, Q.FORWARD):
        for _ in range(len(net.layers)):
            q = maker.next(net, X, Y, kind)
            i, c, s = q.spec.layer, q.spec.target, q.spec.sample
            trace = net.forward(X[s : s + 1], training=False)
            if q.symbol == "δ":
                delta = net.backward(trace, Y[s : s + 1]).deltas[i][0, c]
                assert math.isclose(q.truth, delta, rel_tol=1e-12)
            elif q.symbol == "a":
                assert q.truth == trace.layers[i].a[0, c]
            else:
                assert q.symbol in ("z", "∂E/∂w")  # softmax: z, or ∂E/∂w instead of its δ


def test_questions_move_through_every_layer_and_repeat_for_the_same_seed():
    net, X, Y = example("spiral")  # three weight layers
    maker, again = Q.QuestionMaker(seed=11), Q.QuestionMaker(seed=11)
    specs = [maker.next_spec(net, X, Y) for _ in range(6)]
    assert specs == [again.next_spec(net, X, Y) for _ in range(6)]
    layers = [s.layer for s in specs]
    assert all(a != b for a, b in zip(layers, layers[1:]))
    assert set(layers) == {0, 1, 2}
    assert specs != [Q.QuestionMaker(seed=12).next_spec(net, X, Y) for _ in range(6)]


def hidden_question(kind=Q.GRADIENT, name="sigmoid-half_mse-2", layer=0, source=1, target=2):
    net, X, Y = NETWORKS[name]()
    return Q.ask(net, X, Y, Q.Spec(kind, layer, source, target, 3), batch=4), net, X, Y


def check_fires(q, guess, key, *shown):
    """The hint for ``guess`` is mistake ``key`` and names the values ``shown``."""
    diagnosis = Q.diagnose(guess, q.truth, q.mistakes)
    assert diagnosis is not None and key in diagnosis.keys, (key, diagnosis)
    for value in shown:
        assert fmt(value) in plain(diagnosis.hint), (key, plain(diagnosis.hint))
    return diagnosis


def test_each_hint_fires_for_its_factor_in_a_hidden_layer():
    q, *_ = hidden_question()
    n = q.numbers
    paths = [n[f"w {k}"] * n[f"delta {k}"] for k in range(3)]
    total = sum(paths)
    a, fp = n["a_source"], n["fprime"]
    assert math.isclose(a * fp * total, q.truth, rel_tol=1e-12)
    check_fires(q, a * total, "no_fprime", fp)
    check_fires(q, a * n["a"] * total, "f_not_fprime", fp)
    check_fires(q, fp * total, "no_source", a)
    check_fires(q, -a * fp * total, "sign")
    check_fires(q, a * fp * (total - paths[1]), "missing_path", paths[1])
    check_fires(q, a * fp * paths[2], "only_path")
    check_fires(q, a * fp * sum(n[f"delta {k}"] for k in range(3)), "no_down_weights")
    check_fires(q, a * fp * total / 4, "batch_mean")
    # Two mistakes at once, one of them the sign: named, and the sign as well.
    flipped = check_fires(q, -a * total, "no_fprime", fp)
    assert flipped.flipped and "sign" in plain(flipped.hint)


def test_a_deeper_layer_names_the_source_pre_activation():
    q, *_ = hidden_question(layer=1, source=2, target=1)
    n, chain = q.numbers, q.chain
    delta = n["fprime"] * sum(n[f"w {k}"] * n[f"delta {k}"] for k in range(2))
    check_fires(q, chain.z_source * delta, "source_z", n["a_source"])
    check_fires(q, n["a"] * delta, "target_a", n["a_source"])


def sigmoid(z):
    return 1 / (1 + math.exp(-z))


@pytest.mark.parametrize("name, constant", [("sigmoid-half_mse-2", 1), ("tanh-linear-mse-2", 2)])
def test_each_hint_fires_for_its_factor_at_the_output(name, constant):
    net, X, Y = NETWORKS[name]()
    q = Q.ask(net, X, Y, Q.Spec(Q.GRADIENT, 2, 1, 1, 2), batch=4)
    n = q.numbers
    o, y, a, fp = n["a"], n["y"], n["a_source"], n["fprime"]
    k = 2  # outputs: the loss averages over them
    right = a * constant * (o - y) / k * fp
    assert math.isclose(right, q.truth, rel_tol=1e-12)
    assert Q.diagnose(right, q.truth, q.mistakes) is None
    check_fires(q, a * (y - o) * constant / k * fp, "sign", o - y)
    wrong_constant = 2 * (o - y) if constant == 1 else (o - y)
    check_fires(q, a * wrong_constant / k * fp, "constant")
    check_fires(q, a * constant * (o - y) * fp, "output_mean")
    if fp < 0.95:  # a linear output's f′ = 1: leaving it out is no mistake
        check_fires(q, a * constant * (o - y) / k, "no_fprime", fp)
    else:
        assert "no_fprime" not in {m.key for m in q.mistakes}


def test_the_fused_output_hints_that_the_sigmoid_slope_cancels():
    net, X, Y = NETWORKS["xor"]()
    q = Q.ask(net, X, Y, Q.Spec(Q.DELTA, 1, 0, 0, 5), batch=10)
    n = q.numbers
    o, y = n["a"], n["y"]
    assert math.isclose(o - y, q.truth, rel_tol=1e-12)
    check_fires(q, (o - y) * o * (1 - o), "fused_fprime", o * (1 - o))
    check_fires(q, y - o, "sign", o - y)
    check_fires(q, (o - y) / 10, "batch_mean")


def test_forward_hints():
    q, net, X, Y = hidden_question(Q.FORWARD, layer=1, source=0, target=2)
    n = q.numbers
    terms = [n[f"x {r}"] * n[f"w {r}"] for r in range(4)]
    z = sum(terms) + n["bias"]
    assert math.isclose(sigmoid(z), q.truth, rel_tol=1e-12)
    check_fires(q, z, "no_activation", z)
    check_fires(q, sigmoid(z - n["bias"]), "no_bias", n["bias"])
    check_fires(q, sigmoid(z - terms[3]), "missing_term", terms[3])


@pytest.mark.parametrize("name", NETWORKS)
def test_right_and_unrelated_wrong_guesses_get_no_hint(name):
    net, X, Y = NETWORKS[name]()
    maker = Q.QuestionMaker(seed=5)
    for kind in (Q.GRADIENT, Q.DELTA, Q.FORWARD):
        q = maker.next(net, X, Y, kind, batch=4)
        assert Q.diagnose(q.truth * 1.004, q.truth, q.mistakes) is None
        for ratio in (3.3, 0.37, -2.9, 1.5, 7.1, -0.21):
            guess = q.truth * ratio
            near = [m for m in q.mistakes if Q.relative_error(guess, m.value) < 0.1]
            near += [m for m in q.mistakes if Q.relative_error(-guess, m.value) < 0.1]
            if not near:
                assert Q.diagnose(guess, q.truth, q.mistakes) is None, (kind, ratio)


def test_no_mistake_is_named_that_gives_the_true_value():
    # The worked example's input is x = 1: forgetting to multiply by it changes nothing.
    net, X, Y = example("worked-example")
    assert X[0, 0] == 1
    q = Q.ask(net, X, Y, Q.Spec(Q.GRADIENT, 0, 0, 0, 0))
    assert "no_source" not in {m.key for m in q.mistakes}
    assert all(Q.distinct(m.value, q.truth) for m in q.mistakes)


@pytest.mark.parametrize(
    "ratio, words",
    [
        (10.06, "about 10 times too large"),
        (4.8, "about 4.8 times too large"),
        (1.25, "25% too large"),
        (0.8, "20% too small"),
        (0.05, "about 20 times too small"),
        (-1.0, "the right size but the wrong sign"),
        (-3.0, "the wrong sign, and about 3 times too large"),
    ],
)
def test_how_far_says_it_in_words(ratio, words):
    truth = -0.0123
    assert Q.how_far(truth * ratio, truth) == words
    verdict, _error = Q.score(truth * ratio, truth)
    text = Q.verdict_text(verdict, truth * ratio, truth)
    assert words in text and "%  off" not in text


def test_score_and_its_tolerances():
    assert Q.score(1.009, 1.0)[0] == Q.EXACT
    assert Q.score(1.05, 1.0)[0] == Q.CLOSE
    assert Q.score(3.0, 1.0)[0] == Q.RIGHT_DIRECTION
    assert Q.score(-1.0, 1.0)[0] == Q.OFF
    assert Q.score(0.0, 0.0) == (Q.EXACT, 0.0)
    assert Q.score(1e-3, 0.0) == (Q.OFF, math.inf)
    assert Q.score(math.nan, 1.0) == (Q.OFF, math.inf)


def test_a_removed_connection_is_refused():
    net, X, Y = NETWORKS["xor"]()
    net.set_connection(0, 1, 3, False)
    with pytest.raises(ValueError, match="removed"):
        Q.ask(net, X, Y, Q.Spec(Q.GRADIENT, 0, 1, 3, 0))
    with pytest.raises(ValueError):
        Q.ask(net, X, Y, Q.Spec(Q.GRADIENT, 0, 0, 0, len(X)))
