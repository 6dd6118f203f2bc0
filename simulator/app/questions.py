"""'Predict, then reveal' on the user's own network: questions about any weight of any layer.

A question takes one training sample and the weights of the step shown, and asks for one
connection's ∂E/∂w (E: that sample's own loss), or for an intermediate value of the neuron the
connection feeds: its δ = ∂E/∂z, or its output a.  It lists every number needed to work the
answer out by hand, and it knows the wrong answers learners most often give: the true value
with one factor left out, doubled, halved, or of the wrong sign.  A guess that lands on one of
them gets a hint that names that factor and its value.

All numbers are the engine's (``engine.backprop.explain_connection``); this module picks, names
and formats them.  No widgets.

Tolerances, all relative to the value compared with:

* a guess within ``EXACT_WITHIN`` (1 %) of the truth is right (``score``);
* a mistake fires when the guess is within ``DIAGNOSE_WITHIN`` (2 %) of the value that mistake
  gives, and only if that value is at least ``DISTINCT`` (5 %) away from the truth: a factor
  close to 1 (f′(z) ≈ 1, an input of 1) names no mistake, since leaving it out changes nothing.

Indices as on the canvas: a connection is (i, r, c), weight layer i from neuron r of column i to
neuron c of column i + 1; a neuron is (k, j).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from simulator.app import numbers
from simulator.app.inspection import factor, fmt, neuron_name
from simulator.engine import activations as _act
from simulator.engine import backprop as _backprop
from simulator.engine import losses as _losses

GRADIENT, DELTA, FORWARD = "gradient", "delta", "forward"
KINDS = {
    GRADIENT: "∂E/∂w of the connection",
    DELTA: "δ of the neuron it feeds",
    FORWARD: "output a of the neuron it feeds",
}
EXACT, CLOSE, RIGHT_DIRECTION, OFF = "exact", "close", "right direction", "off"
EXACT_WITHIN = 0.01
CLOSE_WITHIN = 0.10
DIAGNOSE_WITHIN = 0.02
DISTINCT = 0.05
DIGITS = 5  # significant digits of the numbers a question gives
PICK_TRIES = 40  # draws before a generated question settles for an answer of 0
MAX_FORWARD_INPUTS = 10  # a forward question's sum has at most this many terms, if it can

Names = Callable[[int, int], str]


# --------------------------------------------------------------------------- scoring
def relative_error(guess: float, value: float) -> float:
    """|guess − value| / |value| (0 for two zeros, infinity against 0 or a non-number)."""
    guess, value = float(guess), float(value)
    if not (math.isfinite(guess) and math.isfinite(value)):
        return math.inf
    if value == 0.0:
        return 0.0 if guess == 0.0 else math.inf
    return abs(guess - value) / abs(value)


def score(guess: float, truth: float) -> tuple[str, float]:
    """How close ``guess`` is to ``truth``: (verdict, relative error).

    Verdicts: "exact" within 1 %, "close" within 10 %, "right direction" with the right sign,
    else "off".  A truth of 0 has a relative error of 0 for a guess of 0, else infinity.
    """
    error = relative_error(guess, truth)
    if error <= EXACT_WITHIN:
        return EXACT, error
    if error <= CLOSE_WITHIN:
        return CLOSE, error
    if truth != 0 and guess != 0 and math.isfinite(error) and (guess > 0) == (truth > 0):
        return RIGHT_DIRECTION, error
    return OFF, error


def _times(x: float) -> str:
    return numbers.fmt(x, 2) if x < 9.95 else numbers.count(x)  # "4.8", "12", "1,500"


def _percent(x: float) -> str:
    return (numbers.fmt(100 * x, 2) if x < 0.1 else numbers.count(100 * x)) + "%"  # "25%"


def how_far(guess: float, truth: float) -> str:
    """How far ``guess`` is from ``truth``, in words ("about 4.8 times too large", "12% too
    small", "the right size but the wrong sign")."""
    guess, truth = float(guess), float(truth)
    if not (math.isfinite(guess) and math.isfinite(truth)):
        return "not a number"
    if truth == 0.0:
        return "exactly right" if guess == 0.0 else "not 0, but the true value is 0"
    if guess == 0.0:
        return "0, but the true value is not"
    ratio = guess / truth
    size = abs(ratio)
    if abs(size - 1) <= EXACT_WITHIN:
        magnitude = "the right size"
    elif size > 1:
        magnitude = (
            f"{_percent(size - 1)} too large"
            if size < 2
            else f"about {_times(size)} times too large"
        )
    else:
        magnitude = (
            f"{_percent(1 - size)} too small"
            if size > 0.5
            else f"about {_times(1 / size)} times too small"
        )
    if ratio > 0:
        return magnitude
    if magnitude == "the right size":
        return "the right size but the wrong sign"
    return f"the wrong sign, and {magnitude}"


VERDICT_TITLES = {
    EXACT: "Exact",
    CLOSE: "Close",
    RIGHT_DIRECTION: "Right direction",
    OFF: "Off",
}


def verdict_text(verdict: str, guess: float, truth: float) -> str:
    """One line for the learner about a scored guess: the verdict and how far off, in words."""
    words = how_far(guess, truth)
    if verdict == EXACT:
        return "Exact — within 1 % of the engine's value."
    if verdict == CLOSE:
        return f"Close — {words} (within 10 %)."
    if verdict == RIGHT_DIRECTION:
        return f"Right direction — {words}."
    return f"Off — {words}."


# --------------------------------------------------------------------------- mistakes
@dataclass(frozen=True)
class Mistake:
    """A wrong answer a learner often gives: ``value`` is what it comes to, ``hint`` (rich text)
    names the factor it gets wrong and that factor's value; ``key`` says which mistake."""

    key: str
    value: float
    hint: str


@dataclass(frozen=True)
class Diagnosis:
    """The mistake a guess most likely made (``flipped``: with the sign flipped as well), and
    ``others`` that give the same value (two mistakes can: with two outputs, leaving out the
    mean's ½ and doubling (o − y) both double the answer)."""

    mistake: Mistake
    flipped: bool = False
    others: tuple[Mistake, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.mistake.key, *(m.key for m in self.others))

    @property
    def hint(self) -> str:
        text = self.mistake.hint
        if self.flipped:
            text += " Check the sign as well: yours is flipped."
        for other in self.others:
            text += " Or: " + other.hint
        return text


def diagnose(guess: float, truth: float, mistakes) -> Diagnosis | None:
    """The mistake whose value ``guess`` is closest to, within ``DIAGNOSE_WITHIN``; None when the
    guess is right (within ``EXACT_WITHIN``) or matches none.  A mistake whose value is within
    ``DISTINCT`` of the truth is never named.  A guess off by a mistake and by the sign also
    matches (``flipped``).  Other mistakes whose values the guess matches as well (within
    ``DIAGNOSE_WITHIN`` of the same value) come as ``others``, the earlier first."""
    guess, truth = float(guess), float(truth)
    if not math.isfinite(guess) or relative_error(guess, truth) <= EXACT_WITHIN:
        return None
    found: list[tuple[float, int, bool, Mistake]] = []
    for order, mistake in enumerate(mistakes):
        for flipped in (False, True):
            if flipped and mistake.key == "sign":
                continue
            value = -mistake.value if flipped else mistake.value
            if not distinct(value, truth):
                continue
            error = relative_error(guess, value)
            if error <= DIAGNOSE_WITHIN:
                found.append((error, order, flipped, mistake))
    if not found:
        return None
    found.sort(key=lambda item: (item[0], item[1]))
    _error, _order, flipped, best = found[0]
    value = -best.value if flipped else best.value
    others = []
    for _e, _o, other_flipped, other in sorted(found[1:], key=lambda item: item[1]):
        other_value = -other.value if other_flipped else other.value
        same = relative_error(other_value, value) <= DIAGNOSE_WITHIN
        if same and other_flipped == flipped and other.key != best.key and other not in others:
            others.append(other)
    return Diagnosis(best, flipped, tuple(others[:1]))


def distinct(value: float, truth: float) -> bool:
    """True when ``value`` is at least ``DISTINCT`` away from ``truth`` (relative to the larger
    of the two): a guess of it can be told apart from a right one."""
    value, truth = float(value), float(truth)
    if not (math.isfinite(value) and math.isfinite(truth)):
        return False
    return abs(value - truth) > DISTINCT * max(abs(value), abs(truth))


# --------------------------------------------------------------------------- questions
@dataclass(frozen=True)
class Spec:
    """What a question asks: ``kind`` of connection (``layer``, ``source``, ``target``), for
    training sample ``sample``."""

    kind: str
    layer: int
    source: int
    target: int
    sample: int


@dataclass(frozen=True)
class Question:
    """A question and its answer.

    ``truth`` is the engine's value; ``symbol`` what is asked ("∂E/∂w", "δ", "a", "z"), plain;
    ``title``, ``text`` (rich) the question with its table of numbers; ``reveal`` (rich) the
    engine's value and how it is made.  ``numbers`` holds every number the text shows, by name;
    ``mistakes`` the wrong answers a hint can name.  ``neurons``/``connections`` are what the
    question marks on the canvas, ``reveal_neurons``/``reveal_connections`` what the reveal
    marks (every item a number came from).
    """

    spec: Spec
    step: int
    truth: float
    symbol: str
    title: str
    text: str
    reveal: str
    numbers: dict
    mistakes: tuple[Mistake, ...]
    neurons: tuple
    connections: tuple
    reveal_neurons: tuple
    reveal_connections: tuple
    chain: object = field(repr=False, default=None)  # the engine's ConnectionChain


def num(x: float) -> str:
    """A number a question gives: ``DIGITS`` significant digits, a real minus sign."""
    return fmt(x, DIGITS)


def table(rows, head=None) -> str:
    """Rich text: a three-column table of (symbol, where it comes from, right-aligned number)."""
    html = ["<table cellspacing='0' cellpadding='3' style='margin-top:4px'>"]
    if head is not None:
        html.append(
            "<tr>"
            + "".join(f"<th align='{a}'>{h}</th>" for h, a in zip(head, ("left", "left", "right")))
            + "</tr>"
        )
    for symbol, note, number in rows:
        html.append(
            f"<tr><td>{symbol}</td><td style='color:gray'>{note}</td>"
            f"<td align='right'>&nbsp;&nbsp;{number}</td></tr>"
        )
    html.append("</table>")
    return "".join(html)


def default_names(net, input_labels=None, output_labels=None) -> Names:
    """The canvas's neuron names: x1…, h1_1…, the data's labels where it has them (an output
    labelled by a bare number, a digit's class, reads "output 3")."""
    last = len(net.layers)

    def name(k: int, j: int) -> str:
        text = neuron_name(net, k, j, input_labels, output_labels)
        return f"output {text}" if k == last and text.isdigit() else text

    return name


def _sub(symbol: str, name: str) -> str:
    return f"<i>{symbol}</i><sub>{name}</sub>"


def _loss_text(chain) -> str:
    """E for one sample, as the question states it."""
    loss, k = chain.loss_name, chain.outputs
    mean = f"(1/{k}) Σ<sub>k</sub> " if chain.output_mean != 1.0 and k > 1 else ""
    idx = "<sub>k</sub>" if k > 1 else ""
    if loss == "half_mse":
        return f"<i>E</i> = {mean}½(<i>o</i>{idx} − <i>y</i>{idx})²"
    if loss == "mse":
        return f"<i>E</i> = {mean}(<i>o</i>{idx} − <i>y</i>{idx})²"
    if chain.fused and loss == "bce":
        averaged = ", averaged over the outputs" if mean else ""
        share = f"(1/{k})·" if mean else ""
        return (
            f"<i>E</i> = binary cross-entropy on the sigmoid output{averaged}: the "
            "sigmoid's slope cancels, so the output's δ = ∂<i>E</i>/∂<i>z</i> = "
            f"{share}(<i>o</i> − <i>y</i>)"
        )
    if chain.fused:
        return (
            "<i>E</i> = cross-entropy on the softmax output: its Jacobian cancels, so each "
            "output's δ = ∂<i>E</i>/∂<i>z</i> = <i>p</i> − <i>y</i>"
        )
    return f"<i>E</i>: {_losses.TITLES[loss]} ({_losses.FORMULAS[loss]})"


def _gives_dl_da(chain) -> bool:
    """At an output whose loss derivative is not a plain (o − y): the table gives ∂E/∂o."""
    return chain.is_output and not chain.fused and chain.loss_name not in ("mse", "half_mse")


def ask(
    net,
    X,
    Y,
    spec: Spec,
    *,
    step: int = 0,
    names: Names | None = None,
    batch: int = 1,
) -> Question:
    """The question ``spec`` on ``net`` (its current weights) and training sample
    ``X[spec.sample]``, ``Y[spec.sample]``.  ``step`` is the training step the weights are
    from; ``names`` names neurons (k, j); ``batch`` the batch size N training averages over
    (a guess divided by it gets a hint).  Raises ValueError for a connection or sample the
    network or data do not have, or a removed connection."""
    X, Y = np.asarray(X), np.asarray(Y)
    if not 0 <= spec.sample < X.shape[0]:
        raise ValueError(f"there is no training sample #{spec.sample}")
    if spec.kind not in KINDS:
        raise ValueError(f"unknown kind of question {spec.kind!r}")
    chain = _backprop.explain_connection(
        net, X[spec.sample], Y[spec.sample : spec.sample + 1], spec.layer, spec.source, spec.target
    )
    if chain.removed:
        raise ValueError("this connection is removed (its weight is held at 0): pick another")
    names = names or default_names(net)
    return _Builder(net, chain, spec, step, names, batch).question()


class _Builder:
    """Writes one question from the engine's chain."""

    def __init__(self, net, chain, spec: Spec, step: int, names: Names, batch: int):
        self.net, self.chain, self.spec, self.step, self.batch = net, chain, spec, step, batch
        i, r, c = spec.layer, spec.source, spec.target
        self.src = names(i, r)
        self.dst = names(i + 1, c)
        self.down = [names(i + 2, k) for k in range(len(chain.down_weights))]
        self.fn = _act.get(chain.activation)
        self.source_fn = _act.get(net.layers[i - 1].activation) if i > 0 else None
        self._name_fn = names
        self.numbers: dict = {}

    # -- the pieces ---------------------------------------------------------------------
    def row(self, key: str, symbol: str, note: str, value: float) -> tuple[str, str, str]:
        value = float(value)
        self.numbers[key] = value
        return symbol, note, num(value)

    def _output_rows(self) -> list:
        ch, dst = self.chain, self.dst
        rows = []
        if not ch.fused and ch.fprime is not None:
            rows.append(self.row("z", "<i>z</i>", f"{dst}'s weighted input", ch.z))
        rows.append(self.row("a", "<i>o</i>", f"the output {dst} ({self.fn.title})", ch.a))
        rows.append(self.row("y", "<i>y</i>", f"the sample's target for {dst}", ch.y))
        if _gives_dl_da(ch):
            formula = _losses.gradient_formula(ch.loss_name, ch.activation)
            rows.append(self.row("dl_da", "∂<i>E</i>/∂<i>o</i>", f"{formula}, given", ch.dl_da))
        if not ch.fused and ch.fprime is not None:
            rows.append(self.row("fprime", "<i>f</i>′(<i>z</i>)", self._fprime_note(), ch.fprime))
        if not ch.fused and ch.fprime is None:
            rows.append(
                self.row("delta", _sub("δ", dst), "∂E/∂z: softmax's Jacobian, given", ch.delta)
            )
        return rows

    def _fprime_note(self) -> str:
        return f"{dst_formula(self.fn)} at {self.dst}"

    def _hidden_rows(self) -> list:
        ch, dst = self.chain, self.dst
        rows = [self.row("z", "<i>z</i>", f"{dst}'s weighted input", ch.z)]
        rows.append(self.row("a", "<i>a</i>", f"{dst}'s output {self.fn.title.lower()}(z)", ch.a))
        if ch.fprime is not None:
            rows.append(self.row("fprime", "<i>f</i>′(<i>z</i>)", self._fprime_note(), ch.fprime))
        return rows

    def _pairs_table(self, head: tuple[str, str, str], rows) -> str:
        """A table of neurons with two numbers each; ``rows``: (name, (key, value), (key,
        value)), the keys those of ``numbers``."""
        html = [
            "<table cellspacing='0' cellpadding='3' style='margin-top:6px'><tr>"
            f"<th align='left'>{head[0]}</th>"
            f"<th align='right'>&nbsp;&nbsp;{head[1]}</th>"
            f"<th align='right'>&nbsp;&nbsp;{head[2]}</th></tr>"
        ]
        for name, (key1, value1), (key2, value2) in rows:
            first = self.row(key1, "", "", value1)[2]
            second = self.row(key2, "", "", value2)[2]
            html.append(
                f"<tr><td>{name}</td><td align='right'>{first}</td>"
                f"<td align='right'>{second}</td></tr>"
            )
        html.append("</table>")
        return "".join(html)

    def _paths_table(self) -> str:
        """The neurons the target feeds: one row each, the weight to it and its δ."""
        ch, dst = self.chain, self.dst
        rows = [
            (name, (f"w {k}", ch.down_weights[k]), (f"delta {k}", ch.down_deltas[k]))
            for k, name in enumerate(self.down)
        ]
        head = (f"{dst} feeds", f"<i>w</i> ({dst} → it)", "its δ = ∂<i>E</i>/∂<i>z</i>")
        return self._pairs_table(head, rows)

    def _inputs_table(self) -> str:
        """What the target receives: one row per incoming connection, a and w."""
        ch, i, dst = self.chain, self.spec.layer, self.dst
        mask = self.net.layers[i].mask[:, self.spec.target]
        rows = [
            (self._names(i, r), (f"x {r}", ch.inputs[r]), (f"w {r}", ch.in_weights[r]))
            for r in range(len(mask))
            if mask[r]
        ]
        head = (f"into {dst}", "<i>a</i> (what it sends)", f"<i>w</i> (→ {dst})")
        table_html = self._pairs_table(head, rows)
        if ch.bias is not None:
            table_html += table([self.row("bias", "<i>b</i>", f"{dst}'s bias", ch.bias)])
        return table_html

    def _source_rows(self) -> list:
        ch, src = self.chain, self.src
        if self.spec.layer == 0:
            note = f"what {src} sends: the sample's input"
        else:
            note = f"what {src} sends: its output"
        return [self.row("a_source", _sub("a", src), note, ch.a_source)]

    def _names(self, k: int, j: int) -> str:
        return self._name_fn(k, j)

    # -- the question -------------------------------------------------------------------
    def question(self) -> Question:
        ch, spec = self.chain, self.spec
        kind = spec.kind
        if kind == DELTA and ch.fprime is None and not ch.fused:
            kind = GRADIENT  # softmax (not fused): δ needs the Jacobian; ask for ∂E/∂w
        self.kind = kind
        symbol, truth = self._asked()
        intro = self._intro(symbol)
        if kind == FORWARD:
            rows = []
            bias = " + <i>b</i>" if ch.bias is not None else ""
            recall = f"<i>z</i> = Σ <i>w</i>·<i>a</i>{bias}"
            if symbol == "a":
                recall += f", &nbsp; <i>a</i> = <i>f</i>(<i>z</i>) with {self.fn.formula}"
        else:
            rows = (self._source_rows() if kind == GRADIENT else []) + (
                self._output_rows() if ch.is_output else self._hidden_rows()
            )
            recall = self._recall()
        loss = f"<p>{_loss_text(ch)}.</p>" if ch.is_output and kind != FORWARD else ""
        if kind == FORWARD:
            tables = self._inputs_table()
        else:
            tables = table(rows, ("", "the numbers you need", "value"))
            if not ch.is_output:
                tables += self._paths_table()
        text = intro + tables + loss + f"<p style='color:gray'>Recall: {recall}.</p>"
        neurons, connections = self._marks()
        reveal_neurons, reveal_connections = self._reveal_marks()
        return Question(
            spec=Spec(kind, spec.layer, spec.source, spec.target, spec.sample),
            step=self.step,
            truth=truth,
            symbol=symbol,
            title=f"Predict {self._symbol_html(symbol, plain=True)}: {self.src} → {self.dst}",
            text=text,
            reveal=self._reveal(symbol, truth),
            numbers=dict(self.numbers),
            mistakes=tuple(m for m in self._mistakes(truth) if distinct(m.value, truth)),
            neurons=neurons,
            connections=connections,
            reveal_neurons=reveal_neurons,
            reveal_connections=reveal_connections,
            chain=ch,
        )

    def _asked(self) -> tuple[str, float]:
        ch = self.chain
        if self.kind == GRADIENT:
            return "∂E/∂w", ch.gradient
        if self.kind == DELTA:
            return "δ", ch.delta
        if not self.fn.elementwise:
            return "z", ch.z
        return "a", ch.a

    def _symbol_html(self, symbol: str, plain: bool = False) -> str:
        if symbol == "∂E/∂w":
            return "∂E/∂w" if plain else "∂<i>E</i>/∂<i>w</i>"
        name = f"{symbol} of {self.dst}"
        return name if plain else f"{_sub(symbol, self.dst)}"

    def _intro(self, symbol: str) -> str:
        ch, spec = self.chain, self.spec
        step = f"step {self.step:,}" if self.step else "the start (step 0)"
        sample = f"training sample #{spec.sample}"
        feeds = "connection feeds"
        asked = {
            "∂E/∂w": (
                f"the gradient {self._symbol_html(symbol)} of the highlighted connection "
                f"{self.src} → {self.dst} (its weight <i>w</i> = {num(ch.w)})"
            ),
            "δ": f"δ = ∂<i>E</i>/∂<i>z</i> of {self.dst}, the neuron the highlighted {feeds}",
            "a": f"the output <i>a</i> of {self.dst}, the neuron the highlighted {feeds}",
            "z": f"the weighted input <i>z</i> of {self.dst} (softmax mixes its outputs)",
        }[symbol]
        self.numbers["w"] = ch.w
        penalties = " (no L1/L2 penalty)" if (self.net.l1 or self.net.l2) else ""
        dropout = ", dropout off" if any(layer.dropout for layer in self.net.layers) else ""
        about = (
            f"<i>E</i> is this one sample's loss{penalties}{dropout}. "
            if symbol in ("∂E/∂w", "δ")
            else ""
        )
        return (
            f"<p>The weights at {step}, {sample}. {about}What is {asked}? Work it out from the "
            "numbers below, type it and press Reveal.</p>"
        )

    def _recall(self) -> str:
        ch = self.chain
        head = "∂<i>E</i>/∂<i>w</i> = <i>a</i> · δ, &nbsp; " if self.kind == GRADIENT else ""
        if not ch.is_output:
            return (
                head + "δ = <i>f</i>′(<i>z</i>) · Σ<sub>k</sub> <i>w</i><sub>k</sub> δ<sub>k</sub> "
                "over the neurons it feeds"
            )
        if ch.fused:
            return head + "δ of the output as the loss gives it"
        if ch.fprime is None:
            return "∂<i>E</i>/∂<i>w</i> = <i>a</i> · δ"
        return head + "δ = ∂<i>E</i>/∂<i>o</i> · <i>f</i>′(<i>z</i>)"

    # -- the reveal ---------------------------------------------------------------------
    def _reveal(self, symbol: str, truth: float) -> str:
        ch = self.chain
        lines = []
        if self.kind == FORWARD:
            terms = " + ".join(
                f"{factor(w)}·{factor(x)}"
                for r, (x, w) in enumerate(zip(ch.inputs, ch.in_weights))
                if self.net.layers[self.spec.layer].mask[r, self.spec.target]
            )
            bias = f" + {factor(ch.bias)}" if ch.bias is not None else ""
            lines.append(f"<i>z</i> = {terms}{bias} = {fmt(ch.z)}")
            if symbol == "a":
                lines.append(f"<i>a</i> = <i>f</i>({fmt(ch.z)}) = {fmt(ch.a)}  ({self.fn.formula})")
        else:
            lines.append(self._delta_line())
            if self.kind == GRADIENT:
                lines.append(
                    f"∂<i>E</i>/∂<i>w</i> = <i>a</i> · δ = {factor(ch.a_source)} × "
                    f"{factor(ch.delta)} = {fmt(ch.gradient)}"
                )
        body = "".join(f"<p style='margin-left:10px'>{line}</p>" for line in lines)
        return (
            f"<p>The engine's value: {self._symbol_html(symbol)} = <b>{num(truth)}</b></p>" + body
        )

    def _delta_line(self) -> str:
        ch, dst = self.chain, self.dst
        d = _sub("δ", dst)
        if not ch.is_output:
            if ch.fprime is None:
                return f"{d} = {fmt(ch.delta)}  (softmax's Jacobian)"
            terms = " + ".join(
                f"{factor(w)}·{factor(x)}" for w, x in zip(ch.down_weights, ch.down_deltas)
            )
            return (
                f"{d} = <i>f</i>′(<i>z</i>) · Σ <i>w</i>·δ = {factor(ch.fprime)} × ({terms}) "
                f"= {fmt(ch.delta)}"
            )
        mean = f"(1/{ch.outputs})·" if ch.output_mean != 1.0 else ""
        if ch.fused:
            numbers = f"{mean}({fmt(ch.a)} − {factor(ch.y)})"
            return f"{d} = {mean}(<i>o</i> − <i>y</i>) = {numbers} = {fmt(ch.delta)}"
        if ch.fprime is None:
            return f"{d} = {fmt(ch.delta)}  (softmax's Jacobian)"
        if ch.loss_name in ("mse", "half_mse"):
            two = "2·" if ch.loss_constant == 2 else ""
            dl = f"{two}{mean}({fmt(ch.a)} − {factor(ch.y)})"
            return (
                f"{d} = ∂<i>E</i>/∂<i>o</i> · <i>f</i>′(<i>z</i>) = {dl} × {factor(ch.fprime)} = "
                f"{fmt(ch.delta)}"
            )
        return (
            f"{d} = ∂<i>E</i>/∂<i>o</i> · <i>f</i>′(<i>z</i>) = {factor(ch.dl_da)} × "
            f"{factor(ch.fprime)} = {fmt(ch.delta)}"
        )

    # -- marks --------------------------------------------------------------------------
    def _marks(self) -> tuple[tuple, tuple]:
        i, r, c = self.spec.layer, self.spec.source, self.spec.target
        if self.kind == GRADIENT:
            return (), ((i, r, c),)
        return ((i + 1, c),), ((i, r, c),)

    def _reveal_marks(self) -> tuple[tuple, tuple]:
        i, r, c = self.spec.layer, self.spec.source, self.spec.target
        if self.kind == FORWARD:
            mask = self.net.layers[i].mask[:, c]
            sources = [(i, rr) for rr in range(len(mask)) if mask[rr]]
            return (*sources, (i + 1, c)), tuple((i, rr, c) for _k, rr in sources)
        neurons = [(i + 1, c)]
        connections = [(i, r, c)]
        if self.kind == GRADIENT:
            neurons.insert(0, (i, r))
        for k in range(len(self.chain.down_weights)):
            neurons.append((i + 2, k))
            connections.append((i + 1, c, k))
        return tuple(neurons), tuple(connections)

    # -- the wrong answers --------------------------------------------------------------
    def _mistakes(self, truth: float) -> list[Mistake]:
        if self.kind == FORWARD:
            return self._forward_mistakes(truth)
        ch = self.chain
        grad = self.kind == GRADIENT
        s = ch.a_source if grad else 1.0
        out: list[Mistake] = []
        dst, src = self.dst, self.src
        fp = ch.fprime
        if fp is not None and not ch.fused:
            out.append(
                Mistake(
                    "no_fprime",
                    s * ch.dl_da,
                    f"You left out the activation's derivative <i>f</i>′(<i>z</i>) = "
                    f"<b>{fmt(fp)}</b> of {dst} ({dst_formula(self.fn)}): δ = "
                    f"{'∂E/∂o' if ch.is_output else 'Σ w·δ'} × <i>f</i>′(<i>z</i>).",
                )
            )
            out.append(
                Mistake(
                    "f_not_fprime",
                    s * ch.dl_da * ch.a,
                    f"You multiplied by {dst}'s output <i>a</i> = <i>f</i>(<i>z</i>) = "
                    f"{fmt(ch.a)}, not by its derivative <i>f</i>′(<i>z</i>) = <b>{fmt(fp)}</b>.",
                )
            )
        if grad:
            out.append(
                Mistake(
                    "no_source",
                    ch.delta,
                    f"You forgot to multiply by the input activation <i>a</i> = "
                    f"<b>{fmt(ch.a_source)}</b> that {src} sends along this connection: "
                    "∂E/∂w = a · δ.",
                )
            )
        if ch.is_output:
            out.extend(self._output_mistakes(s, truth))
        else:
            out.extend(self._path_mistakes(s))
        out.append(self._sign_mistake(truth))
        if grad:
            if ch.z_source is not None:
                out.append(
                    Mistake(
                        "source_z",
                        ch.z_source * ch.delta,
                        f"You used {src}'s weighted input <i>z</i> = {fmt(ch.z_source)}; the "
                        f"connection carries its output <i>a</i> = <b>{fmt(ch.a_source)}</b>.",
                    )
                )
            out.append(
                Mistake(
                    "target_a",
                    ch.a * ch.delta,
                    f"You multiplied by {dst}'s output {fmt(ch.a)}; the factor is the activation "
                    f"that comes in from {src}, <i>a</i> = <b>{fmt(ch.a_source)}</b>.",
                )
            )
        if self.batch > 1:
            out.append(
                Mistake(
                    "batch_mean",
                    truth / self.batch,
                    f"You divided by <i>N</i> = <b>{self.batch}</b>, the batch size: <i>E</i> "
                    "here is this one sample's loss, so there is no 1/N (a training step "
                    "averages N of these gradients).",
                )
            )
        return out

    def _sign_mistake(self, truth: float) -> Mistake:
        ch = self.chain
        if ch.is_output and (ch.fused or ch.loss_name in ("mse", "half_mse")):
            where = "(<i>o</i> − <i>y</i>)"
            return Mistake(
                "sign",
                -truth,
                f"The sign is flipped: check the sign of {where} = {fmt(ch.a)} − {factor(ch.y)} "
                f"= <b>{fmt(ch.a - ch.y)}</b> (output minus target, not target minus output).",
            )
        if ch.is_output:
            return Mistake(
                "sign",
                -truth,
                f"The sign is flipped: check the sign of ∂E/∂o = <b>{fmt(ch.dl_da)}</b>.",
            )
        return Mistake(
            "sign",
            -truth,
            "The sign is flipped: check the sign of each term <i>w</i>·δ of the sum (and of "
            f"<i>f</i>′(<i>z</i>) = {fmt(ch.fprime) if ch.fprime is not None else '—'}).",
        )

    def _output_mistakes(self, s: float, truth: float) -> list[Mistake]:
        ch = self.chain
        out = []
        if ch.fused and ch.loss_name == "bce" and self.fn.elementwise:
            slope = float(self.fn.derivative(np.array([ch.z]), np.array([ch.a]))[0])
            out.append(
                Mistake(
                    "fused_fprime",
                    truth * slope,
                    "You multiplied by the sigmoid's derivative σ′(<i>z</i>) = "
                    f"<b>{fmt(slope)}</b>: with binary cross-entropy it cancels, "
                    "and δ = <i>o</i> − <i>y</i>.",
                )
            )
        if ch.loss_name == "mse":
            out.append(
                Mistake(
                    "constant",
                    truth / 2,
                    "You left out the <b>2</b>: <i>E</i> = (<i>o</i> − <i>y</i>)² gives "
                    "∂E/∂o = 2(<i>o</i> − <i>y</i>).",
                )
            )
        if ch.loss_name == "half_mse":
            out.append(
                Mistake(
                    "constant",
                    truth * 2,
                    "The ½ of <i>E</i> = ½(<i>o</i> − <i>y</i>)² cancels the <b>2</b> of the "
                    "square: ∂E/∂o = (<i>o</i> − <i>y</i>), not 2(<i>o</i> − <i>y</i>).",
                )
            )
        if ch.output_mean != 1.0:
            out.append(
                Mistake(
                    "output_mean",
                    truth / ch.output_mean,
                    f"You left out the mean over the {ch.outputs} outputs: the loss averages "
                    f"them, so ∂E/∂o carries <b>1/{ch.outputs}</b>.",
                )
            )
        return out

    def _path_mistakes(self, s: float) -> list[Mistake]:
        ch, dst = self.chain, self.dst
        fp = ch.fprime if ch.fprime is not None else 1.0
        terms = ch.down_weights * ch.down_deltas
        paths = len(terms)
        out = []
        weights = ", ".join(f"<b>{fmt(w)}</b>" for w in ch.down_weights)
        out.append(
            Mistake(
                "skipped_neuron",
                s * float(ch.down_deltas.sum()),
                f"You skipped {dst}: the way back from δ"
                f"{'' if paths == 1 else 's'} of {self._down_list()} passes through the "
                f"weight{'' if paths == 1 else 's'} <i>w</i> = {weights} and {dst}'s "
                f"<i>f</i>′(<i>z</i>) = <b>{fmt(fp)}</b>.",
            )
        )
        out.append(
            Mistake(
                "no_down_weights",
                s * fp * float(ch.down_deltas.sum()),
                f"You left out the weight{'' if paths == 1 else 's'} going out of {dst}: each "
                f"path back carries <i>w</i>·δ, with <i>w</i> = {weights}.",
            )
        )
        if paths >= 2:
            total = float(terms.sum())
            for k, name in enumerate(self.down):
                out.append(
                    Mistake(
                        "missing_path",
                        s * fp * (total - float(terms[k])),
                        f"You left out the path through {name}: the sum Σ <i>w</i>·δ runs over "
                        f"every neuron {dst} feeds, and its term <i>w</i>·δ = "
                        f"{factor(ch.down_weights[k])} × {factor(ch.down_deltas[k])} = "
                        f"<b>{fmt(float(terms[k]))}</b> is missing.",
                    )
                )
        if paths >= 3:
            for k, name in enumerate(self.down):
                out.append(
                    Mistake(
                        "only_path",
                        s * fp * float(terms[k]),
                        f"You took only the path through {name}: the sum Σ <i>w</i>·δ runs over "
                        f"all {paths} neurons {dst} feeds (Σ = <b>{fmt(float(terms.sum()))}</b>).",
                    )
                )
        return out

    def _down_list(self) -> str:
        if len(self.down) <= 3:
            return ", ".join(self.down)
        return f"{self.down[0]} … {self.down[-1]}"

    def _forward_mistakes(self, truth: float) -> list[Mistake]:
        ch, dst = self.chain, self.dst
        elementwise = self.fn.elementwise
        f = ch.activate if elementwise else (lambda z: z)
        out = []
        if elementwise:
            out.append(
                Mistake(
                    "no_activation",
                    ch.z,
                    f"You stopped at the weighted input <i>z</i> = <b>{fmt(ch.z)}</b>: {dst}'s "
                    f"output is <i>a</i> = <i>f</i>(<i>z</i>), {self.fn.formula}.",
                )
            )
        if ch.bias is not None:
            out.append(
                Mistake(
                    "no_bias",
                    f(ch.z - ch.bias),
                    f"You left out {dst}'s bias <i>b</i> = <b>{fmt(ch.bias)}</b>: "
                    "<i>z</i> = Σ <i>w</i>·<i>a</i> + <i>b</i>.",
                )
            )
        mask = self.net.layers[self.spec.layer].mask[:, self.spec.target]
        on = [r for r in range(len(mask)) if mask[r]]
        if len(on) >= 2:
            for r in on:
                term = float(ch.inputs[r] * ch.in_weights[r])
                name = self._name_fn(self.spec.layer, r)
                out.append(
                    Mistake(
                        "missing_term",
                        f(ch.z - term),
                        f"You left out the input from {name}: its term <i>w</i>·<i>a</i> = "
                        f"{factor(float(ch.in_weights[r]))} × {factor(float(ch.inputs[r]))} = "
                        f"<b>{fmt(term)}</b> belongs in <i>z</i>.",
                    )
                )
        return out


def dst_formula(fn) -> str:
    """The activation's derivative as the question writes it ("f′(z) = f(z)(1 − f(z))")."""
    return fn.derivative_formula.replace("f'", "f′").replace(" - ", " − ")


# --------------------------------------------------------------------------- generating
def _usable(chain, kind: str) -> bool:
    if chain.removed:
        return False
    if kind == GRADIENT:
        return chain.gradient != 0.0
    if kind == DELTA:
        return chain.delta != 0.0
    return chain.a != 0.0


def pick_sample(net, X, Y, kind: str, connection, rng: np.random.Generator) -> Spec:
    """A question of ``kind`` about ``connection`` (i, r, c) for a training sample drawn with
    ``rng``: one whose answer is not 0 when one can be found."""
    i, r, c = connection
    n = np.asarray(X).shape[0]
    if n == 0:
        raise ValueError("the project has no training data")
    first = None
    for _ in range(PICK_TRIES):
        s = int(rng.integers(n))
        spec = Spec(kind, i, r, c, s)
        first = first or spec
        chain = _backprop.explain_connection(net, X[s], Y[s : s + 1], i, r, c)
        if _usable(chain, kind):
            return spec
    return first


def pick(net, X, Y, kind: str, layer: int, rng: np.random.Generator) -> Spec:
    """A question of ``kind`` about a connection of weight layer ``layer`` and a training
    sample, drawn with ``rng``: one whose answer is not 0 when one can be found (a dead ReLU
    or a step activation gives 0)."""
    X, Y = np.asarray(X), np.asarray(Y)
    n = X.shape[0]
    if n == 0:
        raise ValueError("the project has no training data")
    mask = net.layers[layer].mask
    on = np.argwhere(mask)
    if not len(on):
        raise ValueError(f"weight layer {layer} has no connections")
    first = None
    for _ in range(PICK_TRIES):
        r, c = on[rng.integers(len(on))]
        s = int(rng.integers(n))
        spec = Spec(kind, layer, int(r), int(c), s)
        first = first or spec
        chain = _backprop.explain_connection(net, X[s], Y[s : s + 1], layer, int(r), int(c))
        if _usable(chain, kind):
            return spec
    return first


class QuestionMaker:
    """Generates questions, the same ones for the same seed: each next question moves on to
    another weight layer (all of them in turn), then draws a connection and a sample."""

    def __init__(self, seed: int = 0):
        self.seed = int(seed)
        self.count = 0

    def next_spec(self, net, X, Y, kind: str = GRADIENT) -> Spec:
        n_layers = len(net.layers)
        layers = [i for i in range(n_layers) if net.layers[i].mask.any()]
        if not layers:
            raise ValueError("the network has no connections")
        if kind == FORWARD:  # sums a learner can add up by hand, where the network has them
            short = [i for i in layers if net.layers[i].fan_in <= MAX_FORWARD_INPUTS]
            layers = short or layers
        rng = np.random.default_rng([self.seed, self.count])
        layer = layers[(self.seed + self.count) % len(layers)]
        self.count += 1
        return pick(net, X, Y, kind, layer, rng)

    def spec_for(self, net, X, Y, kind: str, i: int, r: int, c: int) -> Spec:
        """A question about connection (i, r, c), for a sample drawn afresh."""
        rng = np.random.default_rng([self.seed, self.count])
        self.count += 1
        return pick_sample(net, X, Y, kind, (i, r, c), rng)

    def next(self, net, X, Y, kind: str = GRADIENT, **options) -> Question:
        """The next question (``options``: those of :func:`ask`)."""
        return ask(net, X, Y, self.next_spec(net, X, Y, kind), **options)
