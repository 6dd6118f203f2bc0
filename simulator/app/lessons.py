"""The lessons of Help ▸ Lessons as data: pages of rich text with the engine's own numbers, and
the canvas items each page points at.  No widgets: ``simulator.ui.lessons`` shows them.

Every number a page shows is also in its ``numbers`` (name -> value), so tests can compare each
with an independent computation.  The numbers come from the engine (a forward and a backward
pass of the lesson's network); the chain-rule products are multiplied out from the forward
values, and the page shows that they equal the engine's backpropagated gradients.

Names in the worked example (as in the classic tutorial): the input is x, the hidden neurons
h1 and h2, the output o, the target y.  ``w1j`` is the weight from x to hj (first layer),
``w2j`` the weight from hj to o (second layer): the first digit is the weight layer, the second
the hidden neuron the weight touches.  On the canvas (column k, index j), x is (0, 0), hj is
(1, j − 1), o is (2, 0); w1j is connection (0, 0, j − 1) and w2j is (1, j − 1, 0).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from simulator.app import numbers
from simulator.app import questions as Q
from simulator.engine import backprop
from simulator.engine.network import Network

LESSON_MARKS = "lesson"  # the canvas owner name of the lessons' marks
WORKED_EXAMPLE = "worked-example"
VANISHING_EXAMPLES = ("vanishing-sigmoid", "vanishing-relu")
VANISHING_STEPS = 200
MY_NETWORK = "mynet"  # the lesson that asks about the project that is open
EXACT, CLOSE, RIGHT_DIRECTION, OFF = Q.EXACT, Q.CLOSE, Q.RIGHT_DIRECTION, Q.OFF
EXACT_WITHIN, CLOSE_WITHIN = Q.EXACT_WITHIN, Q.CLOSE_WITHIN

# Canvas items of the worked example (see the module docstring).
X, H1, H2, O = (0, 0), (1, 0), (1, 1), (2, 0)
W = {"w11": (0, 0, 0), "w12": (0, 0, 1), "w21": (1, 0, 0), "w22": (1, 1, 0)}
HIDDEN = {"1": H1, "2": H2}
NEURON_NAMES = {X: "x", H1: "h1", H2: "h2", O: "o"}


@dataclass(frozen=True)
class Prediction:
    """A question of 'Predict, then reveal': the gradient ``name`` of one connection.

    ``truth`` is the engine's value; ``reveal`` the rich text shown after the guess (the
    factors and their product); ``neurons``/``connections`` what the reveal marks;
    ``mistakes`` the wrong answers a hint can name (``questions.Mistake``); ``label`` what the
    guess field asks for ("∂E/∂w21", "δ").
    """

    name: str
    truth: float
    reveal: str
    neurons: tuple = ()
    connections: tuple = ()
    mistakes: tuple = ()
    label: str = ""

    @property
    def asks(self) -> str:
        return self.label or f"∂E/∂{self.name}"


@dataclass(frozen=True)
class Page:
    """One page: ``title``, rich ``text``, the canvas items it marks, and every number shown.

    ``action`` asks the panel to do something on entering the page and then show the page the
    lesson makes of the result: "step" (one engine training step) or "train" (``train_steps``
    steps of the example ``opens``, opened first unless it is already the lesson's project).
    """

    title: str
    text: str
    neurons: tuple = ()
    connections: tuple = ()
    numbers: dict = field(default_factory=dict)
    action: str | None = None
    opens: str | None = None
    train_steps: int = 0
    prediction: Prediction | None = None


@dataclass
class Lesson:
    """A lesson: its ``key``, ``title``, the example project it opens first, and its pages."""

    key: str
    title: str
    example: str | None
    pages: list[Page]
    worked: WorkedExample | None = None  # the worked example's numbers, for its lessons

    def __len__(self) -> int:
        return len(self.pages)


# --------------------------------------------------------------------------- formatting


def fmt(value: float, digits: int = 6) -> str:
    """``value`` to ``digits`` significant digits as rich text: a true minus sign, and
    powers of ten as 10<sup>n</sup>."""
    if not math.isfinite(value):
        return "—"
    if value == 0:
        return "0"
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}×10<sup>{int(exponent)}</sup>"
    return text.replace("-", "−")


def fixed(value: float, decimals: int = 6) -> str:
    """``value`` with ``decimals`` decimals and a true minus sign: numbers in a table column
    line up on their decimal points."""
    if not math.isfinite(value):
        return "—"
    return f"{value:.{decimals}f}".replace("-", "−")


parse_number = numbers.parse  # a learner's guess is read as the window writes numbers


def _sub(name: str) -> str:
    """ "w11" -> w<sub>11</sub>, "h1" -> h<sub>1</sub> (other names unchanged)."""
    head = name.rstrip("0123456789")
    tail = name[len(head) :]
    return f"<i>{head}</i><sub>{tail}</sub>" if tail else f"<i>{head}</i>"


def _grad(name: str) -> str:
    return f"∂<i>E</i>/∂{_sub(name)}"


_table = Q.table  # a three-column table: a symbol, where it comes from, a number


def _formula(text: str) -> str:
    return f"<p style='margin-left:10px; font-size:large'>{text}</p>"


# --------------------------------------------------------------------------- the worked example


@dataclass(frozen=True)
class WorkedExample:
    """The worked example's numbers at the start of one training step, all from the engine.

    ``w``: the weights by name; ``z``/``a``: pre-activation and activation by neuron name
    ("h1", "h2", "o"); ``E``: the engine's loss; ``grads``: the engine's dE/dw by weight name;
    ``lr``: the learning rate η of plain SGD.  From the engine's explanation of the backward
    pass: ``dE_do`` = o − y, ``slopes`` σ′(z) = a(1 − a) by neuron name, ``delta_o`` =
    (o − y)·o(1 − o), dE/dz of the output neuron.
    """

    x: float
    y: float
    lr: float
    w: dict
    z: dict
    a: dict
    E: float
    grads: dict
    dE_do: float
    slopes: dict
    delta_o: float
    mistakes: dict = field(default_factory=dict)  # weight name -> questions.Mistake tuple

    def factors(self, name: str) -> list[tuple[str, str, float, tuple]]:
        """The chain-rule factors of dE/d``name``: (symbol, slope of, value, canvas item the
        value comes from: a neuron (k, j) or a connection (i, r, c))."""
        j = name[-1]
        h = self.a["h" + j]
        hj = _sub("h" + j)
        head = [
            ("(<i>o</i> − <i>y</i>)", "∂E/∂o: output − target", self.dE_do, O),
            ("<i>o</i>(1 − <i>o</i>)", "∂o/∂z<sub>o</sub>: σ′ at o", self.slopes["o"], O),
        ]
        if name.startswith("w2"):
            return [*head, (hj, f"∂z<sub>o</sub>/∂w<sub>2{j}</sub>", h, HIDDEN[j])]
        return [
            *head,
            (_sub("w2" + j), f"∂z<sub>o</sub>/∂h<sub>{j}</sub>", self.w["w2" + j], W["w2" + j]),
            (
                f"{hj}(1 − {hj})",
                f"∂h<sub>{j}</sub>/∂z<sub>{j}</sub>: σ′ at h<sub>{j}</sub>",
                self.slopes["h" + j],
                HIDDEN[j],
            ),
            ("<i>x</i>", f"∂z<sub>{j}</sub>/∂w<sub>1{j}</sub>", self.x, X),
        ]

    def product(self, name: str) -> float:
        """The chain-rule product of dE/d``name``, multiplied out from the forward values."""
        return math.prod(f[2] for f in self.factors(name))

    def updated(self, name: str) -> float:
        """w − η·dE/dw with the engine's gradient."""
        return self.w[name] - self.lr * self.grads[name]


def work_example(net: Network, X: np.ndarray, Y: np.ndarray, lr: float) -> WorkedExample:
    """Run the engine's forward and backward pass of the worked example's network on (X, Y).

    The network must be 1–2–1 with sigmoid layers, no biases and the half-MSE loss, and the
    data a single sample: the lesson's formulas are written for exactly that.
    """
    acts = [layer.activation for layer in net.layers]
    if (
        list(net.sizes) != [1, 2, 1]
        or acts != ["sigmoid", "sigmoid"]
        or any(layer.use_bias for layer in net.layers)
        or net.loss != "half_mse"
        or np.asarray(X).shape != (1, 1)
    ):
        raise ValueError(
            "the worked example needs a 1–2–1 sigmoid network without biases, the half-MSE "
            "loss ½(y − o)² and one sample"
        )
    trace = net.forward(X, training=False)
    grads = net.backward(trace, Y)
    explained = backprop.explain(net, trace, Y)
    (w1, _), (w2, _) = net.get_weights()
    g1, g2 = grads.weights
    hidden, out = trace.layers
    slope_h, slope_o = (layer.fprime for layer in explained.layers)
    mistakes = {}
    for name, (i, r, c) in W.items():
        question = Q.ask(net, X, Y, Q.Spec(Q.GRADIENT, i, r, c, 0), names=_worked_name)
        mistakes[name] = question.mistakes
    return WorkedExample(
        x=float(trace.input[0, 0]),
        y=float(net.targets(Y)[0, 0]),
        lr=float(lr),
        w={
            "w11": float(w1[0, 0]),
            "w12": float(w1[0, 1]),
            "w21": float(w2[0, 0]),
            "w22": float(w2[1, 0]),
        },
        z={"h1": float(hidden.z[0, 0]), "h2": float(hidden.z[0, 1]), "o": float(out.z[0, 0])},
        a={"h1": float(hidden.a[0, 0]), "h2": float(hidden.a[0, 1]), "o": float(out.a[0, 0])},
        E=float(grads.loss),
        grads={
            "w11": float(g1[0, 0]),
            "w12": float(g1[0, 1]),
            "w21": float(g2[0, 0]),
            "w22": float(g2[1, 0]),
        },
        dE_do=float(explained.layers[-1].dl_da[0, 0]),
        slopes={"h1": float(slope_h[0, 0]), "h2": float(slope_h[0, 1]), "o": float(slope_o[0, 0])},
        delta_o=float(explained.layers[-1].delta[0, 0]),
        mistakes=mistakes,
    )


def _worked_name(k: int, j: int) -> str:
    return NEURON_NAMES[(k, j)]


def _names_page(ex: WorkedExample) -> Page:
    rows = [
        ("<i>x</i>", "the input (canvas: x)", fmt(ex.x)),
        ("<i>y</i>", "the target", fmt(ex.y)),
        *[(_sub(n), _WEIGHT_NOTES[n], fmt(ex.w[n])) for n in W],
        ("<i>η</i>", "learning rate (plain SGD)", fmt(ex.lr)),
    ]
    text = (
        "<p>One input <i>x</i>, two sigmoid hidden neurons <i>h</i><sub>1</sub>, "
        "<i>h</i><sub>2</sub>, one sigmoid output <i>o</i>, no biases, and the error "
        "<i>E</i> = ½(<i>y</i> − <i>o</i>)² (the engine's loss “half_mse”). We follow one "
        "training step by hand, with the weights the project file sets.</p>"
        "<p><b>Names.</b> <i>w</i><sub>ℓj</sub>: ℓ is the weight layer (1: input → hidden, "
        "2: hidden → output), j the hidden neuron the weight touches. So <i>w</i><sub>11</sub> "
        "goes x → h<sub>1</sub> and <i>w</i><sub>21</sub> goes h<sub>1</sub> → o. On the "
        "canvas h<sub>1</sub> is the upper hidden neuron, h<sub>2</sub> the lower, and "
        "<i>o</i> the output neuron (labelled y: it predicts y). Each page rings the neurons "
        "and connections its numbers come from.</p>"
        + _table(rows)
        + "<p>σ(z) = 1/(1 + e<sup>−z</sup>), and its slope is σ′(z) = σ(z)(1 − σ(z)).</p>"
    )
    numbers = {"x": ex.x, "y": ex.y, "lr": ex.lr, **ex.w}
    return Page("The network and its names", text, (X, O), (), numbers)


_WEIGHT_NOTES = {
    "w11": "x → h<sub>1</sub>",
    "w12": "x → h<sub>2</sub>",
    "w21": "h<sub>1</sub> → o",
    "w22": "h<sub>2</sub> → o",
}


def _hidden_forward_page(ex: WorkedExample) -> Page:
    parts = []
    numbers = {}
    for j in "12":
        h, w = "h" + j, "w1" + j
        z, a = ex.z[h], ex.a[h]
        parts.append(
            _formula(
                f"z<sub>{j}</sub> = {_sub(w)}·<i>x</i> = {fmt(ex.w[w])} · {fmt(ex.x)} = "
                f"<b>{fmt(z)}</b>"
            )
            + _formula(
                f"{_sub(h)} = σ(z<sub>{j}</sub>) = 1/(1 + e<sup>−{fmt(z)}</sup>) = <b>{fmt(a)}</b>"
            )
        )
        numbers[f"z{j}"] = z
        numbers[h] = a
    text = (
        "<p>Each hidden neuron sums its weighted inputs (no bias here) and squashes the sum "
        "with the sigmoid.</p>" + "".join(parts)
    )
    return Page("Forward: the hidden layer", text, (X, H1, H2), (W["w11"], W["w12"]), numbers)


def _output_forward_page(ex: WorkedExample) -> Page:
    h1, h2, zo, o = ex.a["h1"], ex.a["h2"], ex.z["o"], ex.a["o"]
    text = (
        "<p>The output neuron does the same with the hidden values.</p>"
        + _formula(
            f"z<sub>o</sub> = {_sub('w21')}·{_sub('h1')} + {_sub('w22')}·{_sub('h2')}"
            f"<br>&nbsp;&nbsp;&nbsp;= {fmt(ex.w['w21'])} · {fmt(h1)} + {fmt(ex.w['w22'])} · "
            f"{fmt(h2)} = <b>{fmt(zo)}</b>"
        )
        + _formula(
            f"<i>o</i> = σ(z<sub>o</sub>) = 1/(1 + e<sup>−{fmt(zo)}</sup>) = <b>{fmt(o)}</b>"
        )
    )
    return Page(
        "Forward: the output",
        text,
        (H1, H2, O),
        (W["w21"], W["w22"]),
        {"h1": h1, "h2": h2, "zo": zo, "o": o},
    )


def _error_page(ex: WorkedExample) -> Page:
    o = ex.a["o"]
    text = (
        "<p>The error compares the output with the target:</p>"
        + _formula(
            f"<i>E</i> = ½(<i>y</i> − <i>o</i>)² = ½({fmt(ex.y)} − {fmt(o)})² = <b>{fmt(ex.E)}</b>"
        )
        + "<p>Backpropagation now asks, for every weight <i>w</i>: how fast does <i>E</i> "
        "change when <i>w</i> changes? The chain rule answers it as a product of local "
        "slopes along the path from <i>w</i> to <i>E</i>. Its first factor is the same for "
        f"every weight: ∂<i>E</i>/∂<i>o</i> = <i>o</i> − <i>y</i> = <b>{fmt(ex.dE_do)}</b>.</p>"
    )
    return Page("The error E", text, (O,), (), {"o": o, "y": ex.y, "E": ex.E, "o-y": ex.dE_do})


def _factor_rows(ex: WorkedExample, name: str) -> tuple[str, dict]:
    rows = [(sym, note, fixed(value)) for sym, note, value, _item in ex.factors(name)]
    product = ex.product(name)
    rows.append(("<b>product</b>", "", f"<b>{fixed(product)}</b>"))
    numbers = {f"factor {k}": f[2] for k, f in enumerate(ex.factors(name))}
    numbers["d" + name] = product
    return _table(rows, ("factor", "slope of", "value")), numbers


def _marks_of(ex: WorkedExample, name: str) -> tuple[tuple, tuple]:
    """What a gradient's page marks: the neurons its factors come from, and the weight itself
    with any weight among the factors."""
    items = [f[3] for f in ex.factors(name)]
    neurons = tuple(sorted({item for item in items if len(item) == 2}))
    connections = (W[name], *[item for item in items if len(item) == 3])
    return neurons, connections


def _output_gradient_page(ex: WorkedExample, name: str) -> Page:
    j = name[-1]
    table, numbers = _factor_rows(ex, name)
    numbers["engine " + name] = ex.grads[name]
    text = (
        f"<p>{_sub(name)} reaches <i>E</i> through z<sub>o</sub> and <i>o</i>, so the chain "
        "rule has three factors:</p>"
        + _formula(
            f"{_grad(name)} = ∂E/∂o · ∂o/∂z<sub>o</sub> · ∂z<sub>o</sub>/∂{_sub(name)}"
            f"<br>&nbsp;&nbsp;&nbsp;= (<i>o</i> − <i>y</i>) · <i>o</i>(1 − <i>o</i>) · "
            f"{_sub('h' + j)}"
        )
        + table
        + f"<p>The engine's backpropagation gives {_grad(name)} = <b>{fixed(ex.grads[name])}</b>"
        " — the same number.</p>"
    )
    neurons, connections = _marks_of(ex, name)
    return Page(f"Output layer: {_plain_grad(name)}", text, neurons, connections, numbers)


def _plain_grad(name: str) -> str:
    return f"∂E/∂{name}"


def _hidden_gradient_page(ex: WorkedExample, name: str) -> Page:
    j = name[-1]
    table, numbers = _factor_rows(ex, name)
    numbers["engine " + name] = ex.grads[name]
    wrong = ex.delta_o * ex.x
    h = _sub("h" + j)
    text = (
        f"<p>{_sub(name)} reaches <i>E</i> only through {h}: first to z<sub>{j}</sub> and "
        f"{h}, then through the weight {_sub('w2' + j)} to z<sub>o</sub> and <i>o</i>. "
        "The chain gets two more links:</p>"
        + _formula(
            f"{_grad(name)} = (<i>o</i> − <i>y</i>) · <i>o</i>(1 − <i>o</i>) · "
            f"{_sub('w2' + j)} · {h}(1 − {h}) · <i>x</i>"
        )
        + table
        + f"<p>The engine's backpropagation gives {_grad(name)} = <b>{fixed(ex.grads[name])}</b>"
        " — the same number.</p>"
    )
    if j == "1":
        numbers["wrong formula"] = wrong
        numbers["wrong / right"] = wrong / ex.grads[name]
        text += (
            "<p style='background-color:#fff4d6; color:#000'><b>A common error.</b> A formula "
            f"often printed in tutorials, {_grad(name)} = (<i>o</i> − <i>y</i>)·<i>o</i>(1 − "
            f"<i>o</i>)·<i>x</i>, drops {_sub('w2' + j)}·{h}(1 − {h}): it treats "
            f"{_sub(name)} as if it fed the output directly. Here it would give "
            f"{fixed(wrong)} instead of {fixed(ex.grads[name])}: {fmt(wrong / ex.grads[name], 3)} "
            "times too large.</p>"
        )
    neurons, connections = _marks_of(ex, name)
    return Page(f"Hidden layer: {_plain_grad(name)}", text, neurons, connections, numbers)


def _update_page(ex: WorkedExample) -> Page:
    rows = []
    numbers = {"lr": ex.lr}
    for name in W:
        new = ex.updated(name)
        rows.append(
            (
                _sub(name),
                f"{fmt(ex.w[name])} − {fmt(ex.lr)} · {fmt(ex.grads[name])}",
                f"<b>{fixed(new)}</b>",
            )
        )
        numbers[name] = ex.w[name]
        numbers["d" + name] = ex.grads[name]
        numbers["new " + name] = new
    text = (
        "<p>Backpropagation computed the gradients; gradient descent uses them. Plain SGD "
        "moves every weight a step against its gradient:</p>"
        + _formula(
            f"<i>w</i> ← <i>w</i> − <i>η</i> · ∂<i>E</i>/∂<i>w</i>, &nbsp; <i>η</i> = {fmt(ex.lr)}"
        )
        + _table(rows, ("weight", "w − η · ∂E/∂w", "new w"))
        + f"<p>{_direction_text(ex)} Next: the engine takes the same step.</p>"
    )
    return Page("Update: gradient descent", text, (), tuple(W.values()), numbers)


def _direction_text(ex: WorkedExample) -> str:
    """Which way the update moves the weights, read from the gradients' signs."""
    signs = {float(np.sign(ex.grads[name])) for name in W}
    too = "too big" if ex.a["o"] > ex.y else "too small"
    if signs == {1.0}:
        return f"Every gradient is positive (the output is {too}), so every weight shrinks."
    if signs == {-1.0}:
        return f"Every gradient is negative (the output is {too}), so every weight grows."
    return (
        "Weights with a positive gradient shrink and those with a negative one grow: each moves "
        "the way that lowers E."
    )


def backprop_by_hand(ex: WorkedExample) -> Lesson:
    """'Backprop by hand': forward, error, every gradient as a chain-rule product, the update,
    and a last page (action "step") on which the engine takes the step."""
    pages = [
        _names_page(ex),
        _hidden_forward_page(ex),
        _output_forward_page(ex),
        _error_page(ex),
        _output_gradient_page(ex, "w21"),
        _output_gradient_page(ex, "w22"),
        _hidden_gradient_page(ex, "w11"),
        _hidden_gradient_page(ex, "w12"),
        _update_page(ex),
        Page(
            "The engine takes the step",
            "<p>Training one step…</p>",
            (),
            tuple(W.values()),
            action="step",
        ),
    ]
    return Lesson("backprop", "Backprop by Hand", WORKED_EXAMPLE, pages, ex)


def engine_step_page(ex: WorkedExample, weights: list) -> Page:
    """The last page of 'Backprop by hand': the engine's weights after its step (``weights``:
    [(W, b), ...] as ``Network.get_weights``) beside the hand-computed ones."""
    if [w.shape for w, _b in weights] != [(1, 2), (2, 1)]:
        raise ValueError("the network is no longer the worked example's 1–2–1")
    (w1, _), (w2, _) = weights
    engine = {"w11": w1[0, 0], "w12": w1[0, 1], "w21": w2[0, 0], "w22": w2[1, 0]}
    rows = []
    numbers = {}
    for name in W:
        hand, got = ex.updated(name), float(engine[name])
        rows.append((_sub(name), fixed(hand, 9), f"<b>{fixed(got, 9)}</b>"))
        numbers["new " + name] = hand
        numbers["engine " + name] = got
    worst = max(abs(numbers["new " + n] - numbers["engine " + n]) for n in W)
    numbers["largest difference"] = worst
    text = (
        "<p>The engine has just run one training step of this project (the toolbar's Step): "
        "forward, backpropagation, and the SGD update. Its new weights beside ours:</p>"
        + _table(rows, ("weight", "by hand", "engine"))
        + f"<p>The largest difference is {fmt(worst, 2)}: floating-point rounding. The "
        "canvas now shows the new weights; press Step to run the next step, or Play to "
        "train on.</p>"
    )
    return Page("The engine takes the step", text, (), tuple(W.values()), numbers)


# --------------------------------------------------------------------------- predict, then reveal


score_prediction = Q.score  # (verdict, relative error): exact within 1 %, close within 10 %
verdict_text = Q.verdict_text


def _prediction(ex: WorkedExample, name: str) -> Prediction:
    table, _numbers = _factor_rows(ex, name)
    neurons, connections = _marks_of(ex, name)
    reveal = (
        f"<p>The engine's backpropagation: {_grad(name)} = <b>{fixed(ex.grads[name])}</b>, "
        "the product of these factors:</p>" + table
    )
    return Prediction(name, ex.grads[name], reveal, neurons, connections, ex.mistakes.get(name, ()))


def predict_then_reveal(ex: WorkedExample) -> Lesson:
    """'Predict, then reveal': the forward values, then two gradients to predict."""
    rows = [
        ("<i>x</i>", "input", fmt(ex.x)),
        ("<i>y</i>", "target", fmt(ex.y)),
        *[(_sub(n), _WEIGHT_NOTES[n], fmt(ex.w[n])) for n in W],
        (_sub("h1"), "σ(w<sub>11</sub>·x)", fixed(ex.a["h1"])),
        (_sub("h2"), "σ(w<sub>12</sub>·x)", fixed(ex.a["h2"])),
        (
            "<i>o</i>",
            "σ(w<sub>21</sub>h<sub>1</sub> + w<sub>22</sub>h<sub>2</sub>)",
            fixed(ex.a["o"]),
        ),
        ("<i>E</i>", "½(y − o)²", fixed(ex.E)),
    ]
    intro = Page(
        "Predict, then reveal",
        "<p>The worked example's forward pass is below (names as in Backprop by Hand: "
        "<i>w</i><sub>ℓj</sub> is in weight layer ℓ and touches hidden neuron j). On the next "
        "pages one connection is highlighted: work out its gradient ∂E/∂w with the chain rule, "
        "type it and press Reveal. The engine shows the true value and its factors.</p>"
        + _table(rows)
        + "<p>Remember σ′(z) = σ(z)(1 − σ(z)).</p>",
        (X, H1, H2, O),
        (),
        {
            "x": ex.x,
            "y": ex.y,
            **ex.w,
            "h1": ex.a["h1"],
            "h2": ex.a["h2"],
            "o": ex.a["o"],
            "E": ex.E,
        },
    )
    pages = [intro]
    for name, hint in (
        ("w21", "It goes from h<sub>1</sub> to the output: three factors."),
        (
            "w11",
            "It goes from x to h<sub>1</sub>: the gradient must travel back through "
            "w<sub>21</sub> and h<sub>1</sub> too.",
        ),
    ):
        pages.append(
            Page(
                f"Predict {_plain_grad(name)}",
                f"<p>The highlighted connection is {_sub(name)} ({_WEIGHT_NOTES[name]}). "
                f"What is {_grad(name)}? {hint}</p>",
                (),
                (W[name],),
                prediction=_prediction(ex, name),
            )
        )
    pages.append(
        Page(
            "Now on any weight",
            "<p>Generating a question…</p>",
            action="questions",
        )
    )
    return Lesson("predict", "Predict Then Reveal", WORKED_EXAMPLE, pages, ex)


# --------------------------------------------------------------------------- on the user's network
MY_NETWORK_INTRO = "<p>Generating a question about the project that is open…</p>"


def my_network_lesson() -> Lesson:
    """'Predict on My Network': one page (action "questions") that shows generated questions
    about the project that is open; it opens no example."""
    page = Page("Predict on my network", MY_NETWORK_INTRO, action="questions")
    return Lesson(MY_NETWORK, LESSON_TITLES[MY_NETWORK], None, [page])


def question_from(
    document,
    weights: list,
    step: int,
    *,
    kind: str = Q.GRADIENT,
    maker: Q.QuestionMaker | None = None,
    connection: tuple[int, int, int] | None = None,
    spec: Q.Spec | None = None,
) -> Q.Question:
    """A question on ``document``'s network with ``weights`` ([(W, b), ...] of step ``step``,
    the step shown) and its training data: ``spec`` if given; else about ``connection``
    (i, r, c) if given, with a sample ``maker`` draws; else about a connection ``maker``
    picks (its next layer).
    Raises ValueError when there is nothing to ask (no data, a removed connection)."""
    net = document.network.copy()
    try:
        net.set_weights(weights)
    except ValueError:
        pass  # the snapshot predates an edit of the network: ask about the network as it is
    data = document.data
    X, Y = data.X_train, data.Y_train
    n = X.shape[0]
    if n == 0:
        raise ValueError("the project has no training data")
    maker = maker or Q.QuestionMaker()
    if spec is None and connection is None:
        spec = maker.next_spec(net, X, Y, kind)
    elif spec is None:
        spec = maker.spec_for(net, X, Y, kind, *connection)
    batch = min(document.project.training.batch_size or n, n)
    names = Q.default_names(net, data.input_labels, data.output_labels)
    return Q.ask(net, X, Y, spec, step=step, names=names, batch=batch)


QUESTIONS_LEAD = (
    "<p style='color:gray'>Any weight of this network: <b>New question</b> moves to another "
    "layer; or select a connection on the canvas and press <b>Ask about selection</b>.</p>"
)


def question_page(question: Q.Question) -> Page:
    """The page of a generated question (action "questions": the panel shows its buttons)."""
    prediction = Prediction(
        question.symbol,
        question.truth,
        question.reveal,
        question.reveal_neurons,
        question.reveal_connections,
        question.mistakes,
        label=question.symbol,
    )
    return Page(
        question.title,
        QUESTIONS_LEAD + question.text,
        question.neurons,
        question.connections,
        dict(question.numbers),
        action="questions",
        prediction=prediction,
    )


# --------------------------------------------------------------------------- vanishing gradients


def gradient_ratio(grad_norms: np.ndarray) -> tuple[float, float, float]:
    """(first, last, first / last): the mean gradient norm of the first and of the last weight
    layer over the steps of ``grad_norms`` (steps, layers), and their ratio."""
    norms = np.asarray(grad_norms, dtype=float)
    if norms.ndim != 2 or norms.shape[0] == 0 or norms.shape[1] < 2:
        return math.nan, math.nan, math.nan
    first, last = float(np.nanmean(norms[:, 0])), float(np.nanmean(norms[:, -1]))
    return first, last, first / last if last else math.nan


_ACTIVATION_TITLES = {"vanishing-sigmoid": "Sigmoid", "vanishing-relu": "ReLU"}


def vanishing_gradients(sizes: list[int], steps: int = VANISHING_STEPS) -> Lesson:
    """'Vanishing gradients': one data set, six hidden sigmoid layers then six ReLU layers
    (both networks of ``sizes``), ``steps`` training steps each."""
    sigmoid, relu = VANISHING_EXAMPLES
    pages = [
        Page(
            "Vanishing gradients",
            "<p>Two networks, the same in everything but one choice: the circle data, six "
            "hidden layers of 8 neurons, the same seed and initial weights, plain SGD. One "
            "has sigmoid hidden layers, the other ReLU.</p>"
            f"<p>Next trains the sigmoid network for {steps} steps and opens the "
            "<b>Gradient flow</b> plot: one curve per layer, the gradient norm ‖∂L/∂W‖ at "
            "every step, on a log scale. Then the same with ReLU.</p>"
            "<p>The first and the last layer are marked on the canvas: compare their curves.</p>",
            (),
            first_last_marks(sizes),
            {"steps": steps},
        ),
        _training_page(sigmoid, steps, sizes),
        _training_page(relu, steps, sizes),
        Page("Sigmoid against ReLU", "<p>Train both networks first.</p>"),
    ]
    return Lesson("vanishing", "Vanishing Gradients", sigmoid, pages)


def _training_page(example: str, steps: int, sizes: list[int]) -> Page:
    title = _ACTIVATION_TITLES[example]
    return Page(
        f"{title}: six hidden layers",
        f"<p>Training {steps} steps… watch the Gradient flow plot.</p>",
        connections=first_last_marks(sizes),
        action="train",
        opens=example,
        train_steps=steps,
    )


def first_last_marks(sizes: list[int]) -> tuple:
    """Every connection of the first and of the last weight layer of a network of ``sizes``."""
    last = len(sizes) - 2
    return tuple((i, r, c) for i in (0, last) for r in range(sizes[i]) for c in range(sizes[i + 1]))


def trained_page(lesson: Lesson, index: int, grad_norms: np.ndarray) -> Page:
    """Page ``index`` of 'Vanishing gradients' after its training: ``grad_norms`` (steps,
    layers) of those steps.  Fills in the summary page once both networks are trained."""
    page = lesson.pages[index]
    first, last, ratio = gradient_ratio(grad_norms)
    title = _ACTIVATION_TITLES[page.opens]
    n = int(np.asarray(grad_norms).shape[0])
    if not math.isfinite(ratio):
        return dataclasses.replace(
            page, text="<p>No training steps were recorded: go Back and Next to try again.</p>"
        )
    if page.opens == VANISHING_EXAMPLES[0]:
        explain = (
            "<p>The first layer's gradient is thousands of times smaller than the last "
            "layer's: each sigmoid layer multiplies the backward signal by σ′(z) ≤ ¼, six times "
            "over. The first layers hardly learn, and the loss stays near ln 2 ≈ 0.69 (a coin "
            "toss). Next: the same network with ReLU.</p>"
        )
    else:
        explain = (
            "<p>ReLU's slope is 1 wherever a neuron is active, so the backward signal keeps its "
            "size through the six layers: the first layer learns about as fast as the last, "
            "and the loss falls.</p>"
        )
    text = (
        f"<p>{title} hidden layers, {n} steps. Mean gradient norm ‖∂L/∂W‖ over the steps:</p>"
        + _table(
            [
                ("first layer", "inputs → hidden 1", fmt(first, 3)),
                ("last layer", "hidden 6 → output", fmt(last, 3)),
                ("<b>first / last</b>", "", f"<b>{fmt(ratio, 3)}</b>"),
            ]
        )
        + explain
    )
    done = dataclasses.replace(
        page,
        text=text,
        numbers={"steps": n, "first": first, "last": last, "ratio": ratio},
        action=None,
    )
    lesson.pages[index] = done
    _fill_summary(lesson)
    return done


def _fill_summary(lesson: Lesson) -> None:
    ratios = {}
    for page in lesson.pages:
        if page.opens in VANISHING_EXAMPLES and page.action is None:
            ratios[page.opens] = page.numbers["ratio"]
    if len(ratios) < 2:
        return
    sig, relu = (ratios[name] for name in VANISHING_EXAMPLES)
    text = (
        "<p>Ratio of the first layer's gradient norm to the last layer's:</p>"
        + _table(
            [
                ("sigmoid", "six hidden sigmoid layers", fmt(sig, 3)),
                ("ReLU", "six hidden ReLU layers", fmt(relu, 3)),
                ("<b>ReLU / sigmoid</b>", "", f"<b>{fmt(relu / sig, 3)}</b>"),
            ]
        )
        + "<p>With sigmoid, the gradient fades on its way back: σ′ is at most ¼, so six "
        "layers can shrink it by up to (¼)<sup>6</sup> ≈ 2.4×10<sup>−4</sup> (times the "
        "weights). That is the <b>vanishing gradient</b> problem, and why deep networks use "
        "ReLU (or careful initialisation, normalisation and skip connections).</p>"
    )
    index = len(lesson.pages) - 1
    lesson.pages[index] = dataclasses.replace(
        lesson.pages[index], text=text, numbers={"sigmoid": sig, "relu": relu}
    )


LESSON_TITLES = {
    "backprop": "Backprop by Hand",
    "predict": "Predict Then Reveal",
    MY_NETWORK: "Predict on My Network",
    "vanishing": "Vanishing Gradients",
}
LESSON_EXAMPLES = {  # the example each lesson opens (None: the project that is open)
    "backprop": WORKED_EXAMPLE,
    "predict": WORKED_EXAMPLE,
    MY_NETWORK: None,
    "vanishing": VANISHING_EXAMPLES[0],
}


def build_lesson(key: str, document, steps: int = VANISHING_STEPS) -> Lesson:
    """The lesson ``key`` on ``document``, which must already hold the lesson's example."""
    if key == "vanishing":
        return vanishing_gradients(list(document.network.sizes), steps)
    if key == MY_NETWORK:
        return my_network_lesson()
    data = document.data
    ex = work_example(document.network, data.X_train, data.Y_train, document.learning_rate())
    if key == "backprop":
        return backprop_by_hand(ex)
    if key == "predict":
        return predict_then_reveal(ex)
    raise ValueError(f"unknown lesson {key!r}")
