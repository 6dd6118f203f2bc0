"""The inspector's numbers: one neuron's or one connection's chain rule, read from a Trainer.

No widgets and no Qt: plain functions over the engine's objects that return dataclasses holding
every number the inspector shows, and the formulas with those numbers written in.

Where the numbers come from (``Step``):

* The step under way or just finished: ``trainer.trace`` (the batch's forward values, dropout
  masks included), ``trainer.grads`` (the engine's gradients and deltas), ``trainer.batch_index``
  (which training samples formed the batch) and the trainer's record of its last update
  (``trainer.last_step``: learning rate, clip factor, L1/L2 and the weights before the update).
  After a whole step the network already holds the *new* weights; the step's are the record's.
* How the optimizer made its update is the engine's explanation from its state
  (``trainer.explain_update``: g, m, v, m̂, v̂, the momentum buffer, Δ); this module only
  says why there is none.
* The gradient of the batch loss L = (1/n) Σ_s ℓ_s is what the engine stores; its deltas
  ``grads.deltas`` are dL/dz and so carry the factor 1/n.  The inspector speaks of each sample's
  own loss ℓ_s instead: δ^s = dℓ_s/dz = n · (the engine's row s), so that

      dL/dw = (1/n) Σ_s δ_j^s a_i^s  (+ λ₂w + λ₁ sign w)  (× the clip factor)
      dL/db = (1/n) Σ_s δ_j^s       = the batch mean of δ.

* A selected sample's forward and backward values: for a sample in the batch, its row of the
  batch's forward pass (its dropout mask included) and the engine's backward pass of its own loss
  from those values (``engine.backprop.explain`` of that row); a sample outside the batch gets the
  engine's forward pass of its own with the step's weights and dropout off (it did not shape this
  step's gradient, and the facts say so).
* Every value of the chain rule (dL/da, f′(z), δ, the terms of a sum, dL/dw's parts) is the
  engine's: ``engine.backprop.explain`` runs the backward pass keeping them, on a copy of the
  network holding the step's weights (``Step.used_net``).  This module picks and formats them.

Indices: a neuron is (k, j) with k the canvas column (0: the inputs, k ≥ 1: weight layer k − 1's
outputs); a connection is (i, r, c): weight layer i, from neuron r of column i to neuron c of
column i + 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulator.app.numbers import factor, fmt  # the formatter, one for the whole window
from simulator.engine import activations as _act
from simulator.engine import backprop as _backprop
from simulator.engine import losses as _losses

MAX_SAMPLE_TERMS = 6  # the batch sum Σ_s δ^s a^s lists this many terms, then "…"


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Term:
    """One term w_jk · δ_k of the sum that carries δ back to neuron j from neuron k."""

    k: int
    w: float
    delta: float
    product: float


@dataclass(frozen=True)
class SampleTerm:
    """One sample's term δ_j^s · a_i^s of the batch gradient (s indexes the training set)."""

    sample: int
    delta: float
    a: float
    product: float


@dataclass(frozen=True)
class NeuronFacts:
    """A neuron's forward and backward numbers, for one sample or as the batch mean.

    ``sample`` is the training-set index (None: the batch mean).  Per sample, ``delta`` is
    dℓ_s/dz of that sample's own loss; as the batch mean it is (1/n) Σ_s δ^s = dL/db (before any
    clipping).  ``dl_da`` is dℓ/da (for an output neuron: from the loss; for a hidden one:
    Σ_k w_jk δ_k, times the dropout multiplier ``keep`` when dropout is on).  ``fprime`` is
    f′(z) (None for softmax, which mixes its units).  ``delta_rule`` says how δ arose, with the
    numbers in.  Fields that do not apply are None.
    """

    k: int
    index: int
    name: str
    sample: int | None
    is_input: bool
    is_output: bool
    activation: str
    activation_title: str
    formula: str
    derivative_formula: str
    z: float | None
    a: float | None
    keep: float | None
    bias: float | None
    use_bias: bool
    has_gradients: bool
    dl_db: float | None = None
    dl_da: float | None = None
    fprime: float | None = None
    delta: float | None = None
    delta_kind: str = ""  # "chain", "fused_bce", "fused_ce", "softmax", "mean", "input"
    delta_rule: str = ""
    terms: tuple[Term, ...] = ()
    target: float | None = None
    loss: str = ""
    dl_da_rule: str = ""  # how dℓ/da arose, with the numbers
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class OptimizerFacts:
    """How the optimizer turned the gradient of one parameter into its last update.

    ``explanation`` is the engine's (``engine.optimizers.UpdateExplanation``: g, θ, the rule's
    terms, the last one Δ, and the Δ applied); ``theta_new`` the parameter after the update.
    """

    explanation: object
    theta_new: float
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConnectionFacts:
    """A connection's weight, its gradient and the chain rule that made it.

    ``w`` is the weight the step used (``w_now`` the current one).  ``a_source`` is a_i (what
    neuron i sent: its output after dropout), ``target`` the facts of neuron j (δ_j with its own
    chain).  The gradient assembles as::

        data_grad = (1/n) Σ_s δ_j^s a_i^s            (``sample_terms``: the first few of them)
        raw_grad  = data_grad + l2_term + l1_term
        grad      = raw_grad × clip_factor           (when the clip applied)

    ``grad`` is the engine's dL/dw as the optimizer received it (or will receive it, before a
    pending clip).  Per sample, ``share`` = δ_j^s a_i^s / n is that sample's part of data_grad.
    """

    layer: int
    source: int
    target_index: int
    name: str
    sample: int | None
    removed: bool
    w: float
    w_now: float
    has_gradients: bool
    a_source: float | None
    target: NeuronFacts | None
    n: int = 0
    product: float | None = None  # per sample: δ_j^s · a_i^s
    share: float | None = None
    sample_terms: tuple[SampleTerm, ...] = ()
    data_grad: float | None = None
    l2: float = 0.0
    l2_term: float = 0.0
    l1: float = 0.0
    l1_term: float = 0.0
    raw_grad: float | None = None
    clip_norm: float | None = None
    global_norm: float | None = None
    clip_factor: float | None = None  # None: no clipping (off, or the norm was within it)
    clip_pending: bool = False  # the clip applies at the coming update
    grad: float | None = None
    optimizer: OptimizerFacts | None = None
    optimizer_note: str = ""
    notes: tuple[str, ...] = ()


# ----------------------------------------------------------------------------- the step
@dataclass
class Step:
    """What one training step left behind, gathered once per snapshot from a Trainer.

    ``stage``: "none" (no forward pass yet), "forward", "backward" or "update" — the last phase
    that ran of the step whose trace this is.  ``weights`` are the (W, b) that step used.
    """

    trainer: object
    net: object
    stage: str
    weights: list
    trace: object | None
    batch_index: np.ndarray | None
    targets: np.ndarray | None  # (n, K) of the batch
    grads: object | None
    n: int
    record: object | None = None  # the trainer's StepRecord of the update (stage "update")
    _used: object | None = field(default=None, repr=False)
    _batch: object | None = field(default=None, repr=False)
    _samples: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_trainer(cls, trainer) -> Step:
        net = trainer.net
        trace = trainer.trace
        n_layers = len(net.layers)
        if trace is None or len(trace.layers) != n_layers or trainer.batch_index is None:
            return cls(trainer, net, "none", net.get_weights(), None, None, None, None, 0)
        if any(
            lt.z.shape[1] != layer.fan_out or lt.input.shape[1] != layer.fan_in
            for lt, layer in zip(trace.layers, net.layers)
        ):
            return cls(trainer, net, "none", net.get_weights(), None, None, None, None, 0)
        phase = trainer.phase
        stage = {"backward": "forward", "update": "backward", "forward": "update"}[phase]
        grads = trainer.grads if stage != "forward" else None
        if grads is not None and (
            len(grads.deltas) != n_layers or grads.deltas[-1].shape != trace.layers[-1].z.shape
        ):
            grads, stage = None, "forward"
        weights = net.get_weights()
        record = trainer.last_step
        if stage == "update" and record is not None and record.step == trainer.step_count:
            weights = [(w.copy(), b.copy()) for w, b in record.weights_before]
        else:
            record = None
        index = np.asarray(trainer.batch_index)
        targets = net.targets(trainer.Y_train[index])
        return cls(trainer, net, stage, weights, trace, index, targets, grads, len(index), record)

    @property
    def has_gradients(self) -> bool:
        return self.grads is not None

    def row_of(self, sample: int) -> int | None:
        """The row of training sample ``sample`` in this step's batch, or None."""
        if self.batch_index is None:
            return None
        rows = np.flatnonzero(self.batch_index == sample)
        return int(rows[0]) if rows.size else None

    # -- the engine's numbers for the weights the step used --------------------------------
    @property
    def used_net(self):
        """A copy of the network holding the weights this step used (the trainer's network
        moves on; the copy stays with this snapshot)."""
        if self._used is None:
            self._used = self.net.copy()
            self._used.set_weights(self.weights)
            if self.record is not None:  # the rates the step's gradients were computed with
                self._used.l1, self._used.l2 = self.record.l1, self.record.l2
        return self._used

    def batch_explanation(self):
        """The engine's backward pass of the batch with every intermediate value
        (``engine.backprop.Explanation``; its deltas carry the batch mean's 1/n)."""
        if self._batch is None:
            self._batch = _backprop.explain(self.used_net, self.trace, self.targets)
        return self._batch

    def sample_explanation(self, sample: int):
        """(the engine's Explanation of training sample ``sample``'s own loss ℓ_s, whether it
        is in the batch): its row of the batch's forward pass, or a forward pass of its own with
        the step's weights and dropout off."""
        if sample not in self._samples:
            net = self.used_net
            row = self.row_of(sample)
            if row is not None:
                explained = _backprop.explain(net, self.trace, self.targets, rows=[row])
            else:
                picked = slice(sample, sample + 1)
                trace = net.forward(self.trainer.X_train[picked], training=False)
                explained = _backprop.explain(net, trace, self.trainer.Y_train[picked])
            self._samples[sample] = (explained, row is not None)
        return self._samples[sample]

    def clip(self) -> tuple[float | None, float | None, bool]:
        """(global norm, factor, pending): the factor is None when no clipping scales the
        gradient (clip_norm off, or the norm within it); pending while the update is to come.
        The engine's numbers: the update's record, or the coefficient the update will use."""
        if self.record is not None:
            return self.record.global_norm, self.record.clip_factor, False
        clip_norm = getattr(self.trainer, "clip_norm", None)
        if not clip_norm or self.stage != "backward":
            return None, None, False
        norm, coef = self.grads.clip_coefficient(clip_norm)
        return norm, coef, coef is not None

    def rates(self) -> tuple[float, float]:
        """(L1, L2): the penalty rates of this step's gradients."""
        if self.record is not None:
            return self.record.l1, self.record.l2
        return self.net.l1, self.net.l2

    def clip_norm(self) -> float | None:
        """The clip limit of this step's update (None: off)."""
        if self.record is not None:
            return self.record.clip_norm
        return getattr(self.trainer, "clip_norm", None) or None


# ----------------------------------------------------------------------------- neurons
def neuron_name(net, k: int, j: int, input_labels=None, output_labels=None) -> str:
    """The canvas's name for neuron (k, j): x1…, h1_1…, ŷ/y labels for outputs."""
    last = len(net.layers)
    if k == 0:
        if input_labels and j < len(input_labels):
            return str(input_labels[j])
        return f"x{j + 1}"
    if k == last:
        if output_labels and j < len(output_labels):
            return str(output_labels[j])
        return f"y{j + 1}" if net.sizes[-1] > 1 else "y"
    return f"h{k}_{j + 1}"


def inspect_neuron(
    step: Step, k: int, j: int, sample: int | None = None, name: str = ""
) -> NeuronFacts:
    """The facts of neuron ``j`` of column ``k`` for training sample ``sample`` (None: the batch
    mean).  Raises ValueError if the network has no such neuron or sample."""
    net = step.net
    sizes = net.sizes
    if not (0 <= k < len(sizes) and 0 <= j < sizes[k]):
        raise ValueError(f"the network has no neuron {j} in column {k}")
    _check_sample(step, sample)
    name = name or neuron_name(net, k, j)
    last = len(net.layers)
    is_input, is_output = k == 0, k == last
    if is_input:
        return _input_neuron(step, j, sample, name)
    i = k - 1
    layer = net.layers[i]
    fn = _act.get(layer.activation)
    base = dict(
        k=k,
        index=j,
        name=name,
        sample=sample,
        is_input=False,
        is_output=is_output,
        activation=layer.activation,
        activation_title=fn.title,
        formula=fn.formula,
        derivative_formula=fn.derivative_formula,
        bias=float(step.weights[i][1][j]) if layer.use_bias else None,
        use_bias=layer.use_bias,
        has_gradients=step.has_gradients,
        loss=net.loss,
    )
    grads = step.grads
    notes = list(_stage_notes(step))
    if grads is not None and layer.use_bias:
        base["dl_db"] = float(grads.bias[i][j])
    if step.stage == "none" and sample is None:
        notes.append("No forward pass yet: step once, or pick a sample to see its values.")
        return NeuronFacts(z=None, a=None, keep=None, notes=tuple(notes), **base)
    if sample is None:
        return _neuron_mean(step, i, j, base, notes)
    ex, in_batch = step.sample_explanation(sample)
    if not in_batch and step.stage != "none":
        notes.append(_outside_note(sample))
    layer_ex = ex.layers[i]
    z, a = float(layer_ex.z[0, j]), float(layer_ex.a[0, j])
    keep = None if layer_ex.keep is None else float(layer_ex.keep[0, j])
    values = dict(z=z, a=a, keep=keep)
    if layer_ex.fprime is not None:
        values["fprime"] = float(layer_ex.fprime[0, j])
    if not step.has_gradients:
        return NeuronFacts(notes=tuple(notes), **values, **base)
    delta = float(layer_ex.delta[0, j])
    values["delta"] = delta
    if is_output:
        values.update(_output_delta_facts(step, sample, ex, j))
    else:
        terms = _terms(ex, i, j)
        dl_da = float(layer_ex.dl_da[0, j])
        values.update(terms=terms, dl_da=dl_da)
        total = " + ".join(f"{factor(t.w)} × {factor(t.delta)}" for t in terms)
        if keep is None:
            rule = f"Σ_k w_jk δ_k = {total}"
        else:
            rule = f"(Σ_k w_jk δ_k) × keep = ({total}) × {fmt(keep)}"
        values["dl_da_rule"] = f"dℓ/da = {rule} = {fmt(dl_da)}"
        if fn.elementwise:
            values["delta_kind"] = "chain"
            values["delta_rule"] = (
                f"δ = dℓ/da · f′(z) = {factor(dl_da)} × {factor(values['fprime'])} = {fmt(delta)}"
            )
        else:
            values.update(_softmax_rule(layer_ex.a[0], layer_ex.dl_da[0], j, delta))
    return NeuronFacts(notes=tuple(notes), **values, **base)


def _check_sample(step: Step, sample: int | None) -> None:
    if sample is None:
        return
    n = step.trainer.X_train.shape[0]
    if not 0 <= sample < n:
        raise ValueError(f"sample must be in 0..{n - 1}, got {sample}")


def _stage_notes(step: Step) -> tuple[str, ...]:
    if step.stage == "forward":
        return ("Forward ran; the backward phase (the gradients) comes next.",)
    if step.stage == "none":
        return ("No gradients yet: step (or run the backward phase) to see them.",)
    return ()


def _outside_note(sample: int) -> str:
    return (
        f"Sample #{sample} is not in this step's batch: its values use the step's weights "
        "with dropout off, and it did not shape this gradient."
    )


def _input_neuron(step: Step, j: int, sample: int | None, name: str) -> NeuronFacts:
    notes = ["An input: its value is the sample's feature; no weights, bias or activation."]
    a = dl_da = None
    if sample is not None:
        a = float(step.trainer.X_train[sample, j])
        if step.has_gradients:
            dl_da = float(step.sample_explanation(sample)[0].dl_dx[0, j])
    elif step.trace is not None:
        a = float(step.trace.layers[0].input[:, j].mean())
        if step.has_gradients:
            # The batch's dL/dx carries 1/n: its sum is the mean of the per-sample dℓ/dx.
            dl_da = float(step.batch_explanation().dl_dx[:, j].sum())
    return NeuronFacts(
        k=0, index=j, name=name, sample=sample, is_input=True, is_output=False,
        activation="", activation_title="Input", formula="a = x", derivative_formula="",
        z=None, a=a, keep=None, bias=None, use_bias=False, has_gradients=step.has_gradients,
        dl_da=dl_da, delta_kind="input", notes=tuple(notes),
    )  # fmt: skip


def _neuron_mean(step: Step, i: int, j: int, base: dict, notes: list) -> NeuronFacts:
    lt = step.batch_explanation().layers[i]
    values = dict(z=float(lt.z[:, j].mean()), a=float(lt.a[:, j].mean()), keep=None)
    if lt.keep is not None:
        values["keep"] = float(lt.keep[:, j].mean())
    if lt.fprime is not None:
        values["fprime"] = float(lt.fprime[:, j].mean())
    if step.has_gradients:
        n = step.n
        deltas = step.grads.deltas
        # The engine's deltas carry 1/n: their sum is the mean of the per-sample deltas.
        delta = float(deltas[i][:, j].sum())
        values["delta"] = delta
        values["delta_kind"] = "mean"
        values["delta_rule"] = f"mean δ = (1/n) Σ_s δ^s over the n = {n} samples = {fmt(delta)}"
        if i + 1 < len(deltas):
            values["dl_da"] = float(lt.dl_da[:, j].sum())
        notes.append(
            "Batch means: mean δ is not (mean dℓ/da) · (mean f′(z)) — the chain rule holds "
            "per sample (pick one to see it)."
        )
    return NeuronFacts(notes=tuple(notes), **values, **base)


def _terms(ex, i: int, j: int) -> tuple[Term, ...]:
    """The terms w_jk δ_k that carry δ back into neuron j of weight layer i's outputs, from
    the engine's explanation of one sample."""
    nxt = ex.layers[i + 1]
    products = ex.backward_terms(i + 1, j)[0]
    return tuple(
        Term(k, float(nxt.weights[j, k]), float(nxt.delta[0, k]), float(products[k]))
        for k in range(products.shape[0])
    )


def _output_delta_facts(step: Step, sample: int, ex, j: int) -> dict:
    net = step.net
    loss = net.loss
    out_ex = ex.layers[-1]
    a = out_ex.a[0]
    fn = _act.get(net.layers[-1].activation)
    y = float(net.targets(step.trainer.Y_train[sample : sample + 1])[0, j])
    delta = float(out_ex.delta[0, j])
    units = a.shape[0]
    per_k = f"/{units}" if units > 1 and loss != "cross_entropy" else ""
    out = {"target": y}
    if ex.fused:
        if loss == "bce":
            out["delta_kind"] = "fused_bce"
            out["delta_rule"] = (
                f"δ = (a − y){per_k} = ({fmt(float(a[j]))} − {fmt(y)}){per_k} = {fmt(delta)}"
                "  (sigmoid with binary cross-entropy, fused: σ′ cancels)"
            )
        else:
            out["delta_kind"] = "fused_ce"
            out["delta_rule"] = (
                f"δ = p − y = {fmt(float(a[j]))} − {fmt(y)} = {fmt(delta)}"
                "  (softmax with cross-entropy, fused: the Jacobian cancels)"
            )
        return out
    # dℓ/da from the loss alone (the engine's, as the loss reads this output).
    g = out_ex.dl_da[0]
    text = _losses.gradient_formula(loss, fn.name)
    out["dl_da"] = float(g[j])
    out["dl_da_rule"] = f"dℓ/da = {text}{per_k} = {fmt(float(g[j]))}"
    if out_ex.fprime is not None:
        fprime = float(out_ex.fprime[0, j])
        out["delta_kind"] = "chain"
        out["delta_rule"] = (
            f"δ = dℓ/da · f′(z) = {factor(float(g[j]))} × {factor(fprime)} = {fmt(delta)}"
        )
    else:
        out.update(_softmax_rule(a, g, j, delta))
    return out


def _softmax_rule(a: np.ndarray, g: np.ndarray, j: int, delta: float) -> dict:
    dot = float(np.dot(g, a))
    return {
        "delta_kind": "softmax",
        "delta_rule": (
            f"δ_j = a_j (dℓ/da_j − Σ_k dℓ/da_k a_k) = {factor(float(a[j]))} × "
            f"({fmt(float(g[j]))} − {factor(dot)}) = {fmt(delta)}  (softmax's Jacobian)"
        ),
    }


# ----------------------------------------------------------------------------- connections
def inspect_connection(
    step: Step, i: int, r: int, c: int, sample: int | None = None, name: str = ""
) -> ConnectionFacts:
    """The facts of connection r → c of weight layer ``i`` for training sample ``sample`` (None:
    the batch mean).  Raises ValueError if the network has no such connection or sample."""
    net = step.net
    if not (0 <= i < len(net.layers)):
        raise ValueError(f"the network has no weight layer {i}")
    layer = net.layers[i]
    if not (0 <= r < layer.fan_in and 0 <= c < layer.fan_out):
        raise ValueError(f"weight layer {i} has no connection {r} -> {c}")
    _check_sample(step, sample)
    name = name or f"{neuron_name(net, i, r)} → {neuron_name(net, i + 1, c)}"
    # The canvas names a connection "source → target": the target's facts take its name.
    target_name = name.split(" → ", 1)[1] if " → " in name else ""
    removed = not bool(layer.mask[r, c])
    w = float(step.weights[i][0][r, c])
    l1, l2 = step.rates()
    base = dict(
        layer=i, source=r, target_index=c, name=name, sample=sample, removed=removed, w=w,
        w_now=float(layer.weights[r, c]), has_gradients=step.has_gradients, n=step.n,
        l1=l1, l2=l2,
    )  # fmt: skip
    notes = list(_stage_notes(step))
    if removed:
        notes.append("A removed connection: its weight is held at 0 and its gradient is 0.")
    has_values = step.stage != "none" or sample is not None
    target = inspect_neuron(step, i + 1, c, sample, target_name) if has_values else None
    if target is None:
        return ConnectionFacts(a_source=None, target=None, notes=tuple(notes), **base)
    if sample is not None:
        a_source = float(step.sample_explanation(sample)[0].layers[i].input[0, r])
    else:
        a_source = float(step.trace.layers[i].input[:, r].mean())
    if not step.has_gradients:
        return ConnectionFacts(a_source=a_source, target=target, notes=tuple(notes), **base)
    values: dict = {}
    n = step.n
    batch = step.batch_explanation()
    data_grad, l2_term, l1_term = batch.weight_gradient(i, r, c)
    terms = batch.weight_terms(i, r, c)
    # Per sample, δ^s = n · the engine's batch delta (which carries the batch mean's 1/n).
    deltas = batch.layers[i].delta[:, c] * n
    inputs = batch.layers[i].input[:, r]
    products = terms * n
    values["sample_terms"] = tuple(
        SampleTerm(int(step.batch_index[s]), float(deltas[s]), float(inputs[s]), float(products[s]))
        for s in range(min(n, MAX_SAMPLE_TERMS))
    )
    values["data_grad"] = data_grad
    if sample is not None and not removed:
        # That sample's own term δ_j^s a_i^s (of its own loss ℓ_s: no 1/n).
        values["product"] = float(step.sample_explanation(sample)[0].weight_terms(i, r, c)[0])
        values["share"] = values["product"] / n if step.row_of(sample) is not None else 0.0
    raw = data_grad
    if l2:
        values["l2_term"] = l2_term
        raw += l2_term
    if l1:
        values["l1_term"] = l1_term
        raw += l1_term
    values["raw_grad"] = raw
    norm, coef, pending = step.clip()
    values.update(
        clip_norm=step.clip_norm(),
        global_norm=norm,
        clip_factor=coef,
        clip_pending=pending,
        grad=float(step.grads.weights[i][r, c]),
    )
    opt, opt_note = optimizer_facts(step, i, "weights", (r, c))
    return ConnectionFacts(
        a_source=a_source, target=target, optimizer=opt, optimizer_note=opt_note,
        notes=tuple(notes), **values, **base,
    )  # fmt: skip


# ----------------------------------------------------------------------------- optimizers
def optimizer_facts(
    step: Step, i: int, kind: str, index: tuple
) -> tuple[OptimizerFacts | None, str]:
    """How the last update of parameter ``index`` of layer ``i``'s ``kind`` came about (the
    engine's explanation), and a note (why there is none, when None)."""
    if step.stage != "update":
        if step.stage == "backward":
            return (
                None,
                "The update phase comes next: the optimizer has not used this gradient yet.",
            )
        return None, "No update yet in this step."
    explanation = step.trainer.explain_update(i, kind, index)
    if explanation is None or step.record is None:
        return None, "The optimizer's last update is not available (its state was reset)."
    layer = step.net.layers[i]
    theta_new = float((layer.weights if kind == "weights" else layer.bias)[index])
    notes = ()
    if explanation.masked:
        notes = ("A removed connection: its weight is set back to exactly 0 (Δ = −w).",)
    return OptimizerFacts(explanation, theta_new, notes), ""


def term_numbers(term) -> str:
    """An update rule's term with its numbers written in ("−0.05 × 0.3 / (0.42 + 1e−8)"),
    negative factors in parentheses."""
    return term.numbers.format(*map(factor, term.operands))


def term_text(term) -> str:
    """An update rule's term as "formula = the formula with numbers" (the value apart)."""
    return f"{term.formula} = {term_numbers(term)}"
