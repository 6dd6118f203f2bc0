"""Optimizers with PyTorch's argument names, defaults and update rules.

Each optimizer reproduces ``torch.optim`` 2.x's single-tensor ("for-loop") implementation,
``maximize`` included, on a network whose layers hold ``weights`` (fan_in, fan_out), ``bias``
(fan_out,), a boolean ``mask`` (fan_in, fan_out) and ``use_bias``::

    opt = Adam(lr=1e-3)
    opt.step(net, grads)            # grads.weights[i], grads.bias[i] are dL/dW, dL/db
    opt.state_for(0, "weights")     # {"step": 1.0, "exp_avg": ..., "exp_avg_sq": ...}
    opt.last_update(0, "weights")   # the Δ added to layer 0's weights by that step
    opt.explain_update(0, "weights", (1, 2), g, theta)   # how that Δ of one entry came about

Notation of the formulas below: θ a parameter, g its gradient, γ ``lr``, λ ``weight_decay``,
t the parameter's step count (1 at its first step).  Every optimizer starts from the
*effective gradient* ĝ = (−g if maximize else g) + λθ (AdamW leaves out the λθ term).

State lives per (layer index, "weights" | "bias") under PyTorch's names and is created at a
parameter's first step with PyTorch's initial values; ``"step"`` is a Python float.  When a
parameter's shape or dtype changed since its state was made (the network was edited), its
state starts afresh.  A removed connection (``mask`` False) ends every step at exactly 0; its
state entries evolve as for a zero gradient, like a pruned parameter in PyTorch.

Hyper-parameters are plain attributes, checked and stored as Python floats/bools when set, and
read at each step, so ``opt.lr = 0.01`` takes effect at the next step.  Parameters are updated
in place and keep their dtype (float32 stays float32).

``state_dict()`` / ``load_state_dict(state, net)`` (PyTorch's names) give and take the whole
optimizer as plain data (see :meth:`Optimizer.state_dict`): a copy loaded into a new optimizer
of the same class makes the same updates, bit for bit.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from simulator.engine import state as _state

_KINDS = ("weights", "bias")
_set = object.__setattr__


# ----------------------------------------------------------------------------- checks
def _number(label: str, value) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"Invalid {label}: {value!r} (expected a number)")
    try:
        value = float(value)
    except OverflowError:  # a whole number beyond float64's range
        sign = " negative" if value < 0 else ""
        raise ValueError(
            f"Invalid {label}: a{sign} {len(str(abs(value)))}-digit number (expected a finite "
            "number)"
        ) from None
    if not math.isfinite(value):
        raise ValueError(f"Invalid {label}: {value} (expected a finite number)")
    return value


def _non_negative(label: str) -> Callable[[object], float]:
    def check(value) -> float:
        value = _number(label, value)
        if value < 0.0:
            raise ValueError(f"Invalid {label}: {value} (must be >= 0)")
        return value

    return check


def _real(label: str) -> Callable[[object], float]:
    return lambda value: _number(label, value)


def _flag(label: str) -> Callable[[object], bool]:
    def check(value) -> bool:
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"Invalid {label}: {value!r} (expected True or False)")
        return bool(value)

    return check


def _betas(value) -> tuple[float, float]:
    try:
        beta1, beta2 = value
    except (TypeError, ValueError):
        raise ValueError(f"Invalid betas: {value!r} (expected a pair (beta1, beta2))") from None
    out = []
    for index, beta in enumerate((beta1, beta2)):
        beta = _number(f"beta parameter at index {index}", beta)
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {beta} (must be in [0, 1))")
        out.append(beta)
    return (out[0], out[1])


# ----------------------------------------------------------------------------- helpers
class _Slot:
    """One parameter's state plus the scratch array its updates reuse.

    A slot in a :class:`_Flat` group (``flat`` set) holds views into the group's vectors at
    ``span`` (start, end, shape); its last update is a view into the group's.
    """

    __slots__ = (
        "param",
        "state",
        "shape",
        "dtype",
        "work",
        "delta",
        "delta_step",
        "started",
        "flat",
        "span",
    )

    def __init__(self, param: np.ndarray, state: dict, work: bool = True):
        self.param = None  # a _Flat group's slot: the vector it updates
        self.state = state
        self.shape = param.shape
        self.dtype = param.dtype
        self.work = np.empty_like(param) if work else None
        self.delta = None
        self.delta_step = -1
        self.started = False  # the last step made the state's buffer (SGD's momentum buffer)
        self.flat = None
        self.span = None


class _Flat:
    """An optimizer's state over a network's whole parameter vector: ``slot`` holds the
    vectors every operation runs on once per step, ``slots`` the parameters' own slots (whose
    arrays are views into them), in the vector's order."""

    __slots__ = ("layout", "slot", "slots", "states", "keys", "delta", "delta_step", "started")

    def __init__(self, layout, slot: _Slot, slots: list[_Slot]):
        self.layout = layout
        self.slot = slot
        self.slots = slots
        self.states = [s.state for s in slots]
        self.keys = len(slot.state)
        self.delta = None
        self.delta_step = -1
        self.started = slot.started


def _effective_grad(p, g, weight_decay: float, maximize: bool, out):
    """ĝ = (−g if maximize else g) + λθ, written into ``out`` unless it is ``g`` itself."""
    if weight_decay != 0:
        np.multiply(p, weight_decay, out=out)
        if maximize:
            np.subtract(out, g, out=out)
        else:
            np.add(out, g, out=out)
        return out
    if maximize:
        np.negative(g, out=out)
        return out
    return g


def _lerp_(a, b, weight: float, work) -> None:
    """a ← a + w(b − a), evaluated as ``torch.lerp`` does (from the nearer end)."""
    np.subtract(b, a, out=work)
    if abs(weight) < 0.5:
        work *= weight
        a += work
    else:
        work *= 1.0 - weight
        np.subtract(b, work, out=a)


def _is_array(value) -> bool:
    return isinstance(value, np.ndarray)


def _zeros_state(state: dict, key: str, param) -> np.ndarray:
    buf = state.get(key)
    if buf is None:
        buf = state[key] = np.zeros_like(param)
    return buf


# ----------------------------------------------------------------------------- explanations
@dataclass(frozen=True)
class UpdateTerm:
    """One quantity of an update rule, as a reader follows it.

    ``formula`` is the rule in symbols ("β₁·m_prev + (1 − β₁)·ĝ"), ``numbers`` the same with a
    ``{}`` for each of ``operands`` ("{} × {} + {} × {}"), ``value`` what it comes to.  A view
    formats the operands its own way: ``numbers.format(*map(show, operands))``.
    """

    symbol: str
    formula: str
    numbers: str
    operands: tuple[float, ...]
    value: float


@dataclass(frozen=True)
class UpdateExplanation:
    """How an optimizer's last step turned one entry's gradient into its update.

    ``g`` is the gradient it received (after any clipping), ``theta`` the entry before the
    step, ``hyperparameters`` those the step used, ``step`` the entry's step count t (None for
    an optimizer that keeps none), ``terms`` the rule's quantities in the order it computes
    them, the last one Δ.  ``delta`` is that Δ, computed from g, θ and the state after the
    step; ``applied`` is the Δ the step added (``last_update``'s entry); they agree up to
    rounding.  ``masked``: a removed connection, set back to exactly 0 (Δ = −θ).
    """

    optimizer: str
    kind: str
    index: tuple
    hyperparameters: dict
    step: float | None
    g: float
    theta: float
    terms: tuple[UpdateTerm, ...]
    delta: float
    applied: float
    masked: bool = False

    def term(self, symbol: str) -> UpdateTerm:
        """The term called ``symbol`` (KeyError if the rule has none)."""
        for term in self.terms:
            if term.symbol == symbol:
                return term
        raise KeyError(symbol)


def _effective_terms(hyper: dict, g: float, theta: float, decay: bool = True):
    """ĝ = (−g if maximize else g) + λθ as terms (none when ĝ = g), ĝ, and its symbol."""
    lam = hyper.get("weight_decay", 0.0) if decay else 0.0
    maximize = hyper.get("maximize", False)
    gg = -g if maximize else g
    if not (lam or maximize):
        return [], g, "g"
    if lam:
        eff = lam * theta + gg  # _effective_grad's order: λθ, then ± g
        text = "−g" if maximize else "g"
        term = UpdateTerm("ĝ", f"{text} + λθ", "{} + {} × {}", (gg, lam, theta), eff)
    else:
        eff = gg
        term = UpdateTerm("ĝ", "−g (maximize)", "{}", (gg,), eff)
    return [term], eff, "ĝ"


def _previous_average(new: float, beta: float, value: float) -> float:
    """A running average before this step: new = β·prev + (1 − β)·value solved for prev (0
    for a first step, up to rounding)."""
    if beta == 0:
        return 0.0
    prev = (new - (1.0 - beta) * value) / beta
    return 0.0 if abs(prev) <= 1e-12 * max(abs(new), abs(value)) else prev


# ----------------------------------------------------------------------------- base
class Optimizer:
    """Base class: per-parameter state, masks, bookkeeping; subclasses write the update Δθ.

    Subclasses define ``name``, ``HYPERPARAMETERS`` (constructor argument names, in order),
    ``_CHECKS`` (argument name -> checking function returning the stored value),
    ``_new_state`` and ``_delta``.
    """

    name: ClassVar[str] = "Optimizer"
    HYPERPARAMETERS: ClassVar[tuple[str, ...]] = ()
    _CHECKS: ClassVar[dict[str, Callable]] = {}
    # A parameter's state: the keys it holds from its first step on, and those made only when
    # a setting needs them (momentum turned on mid-run, say).
    STATE_KEYS: ClassVar[tuple[str, ...]] = ()
    OPTIONAL_STATE_KEYS: ClassVar[tuple[str, ...]] = ()
    # The keys of state_dict().
    STATE_DICT_KEYS: ClassVar[tuple[str, ...]] = ("name", "hyperparameters", "steps", "state")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # One C call reads every hyper-parameter at each step (attrgetter of 2+ names: a tuple).
        names = cls.HYPERPARAMETERS
        if len(names) > 1:
            cls._get_values = operator.attrgetter(*names)
        else:
            cls._get_values = lambda self: tuple(getattr(self, key) for key in names)

    def __init__(self, **hyperparameters):
        object.__setattr__(self, "_slots", {})
        object.__setattr__(self, "_flat", None)  # the state as one vector (see _Flat)
        object.__setattr__(self, "_steps", 0)
        object.__setattr__(self, "_step_hyper", None)  # the values the last step used
        for key, value in hyperparameters.items():
            setattr(self, key, value)
        self._check_combination()

    # -- hyper-parameters --------------------------------------------------------------
    def __setattr__(self, key: str, value) -> None:
        if key.startswith("_"):  # private state, set at every step: no check, no lookup
            object.__setattr__(self, key, value)
            return
        check = self._CHECKS.get(key)
        if check is None:
            raise AttributeError(
                f"{self.name} has no hyper-parameter {key!r} "
                f"(it has: {', '.join(self.HYPERPARAMETERS)})"
            )
        object.__setattr__(self, key, check(value))

    def _check_combination(self) -> None:
        """Checks that involve several hyper-parameters (run at construction and each step)."""

    def hyperparameters(self) -> dict:
        """The constructor arguments and their current values, in signature order."""
        return {key: getattr(self, key) for key in self.HYPERPARAMETERS}

    @classmethod
    def defaults(cls) -> dict:
        """The constructor's default values, in signature order (as stored: floats, bools)."""
        return cls().hyperparameters()

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.hyperparameters().items())
        return f"{self.name}({args})"

    # -- state ---------------------------------------------------------------------------
    def state_for(self, layer: int, kind: str) -> dict:
        """The live state dict of ``layer``'s ``kind`` ("weights" or "bias"); {} if none yet.

        Keys are PyTorch's ("step", "exp_avg", "momentum_buffer", ...).  The arrays are the
        optimizer's own and change at the next step: copy what you keep.
        """
        slot = self._slots.get((layer, _check_kind(kind)))
        return slot.state if slot is not None else {}

    def last_update(self, layer: int, kind: str) -> np.ndarray | None:
        """Δ = θ_new − θ_old added to ``layer``'s ``kind`` by the last step, or None.

        None before the first step, after ``reset()``, or when that step did not update the
        parameter.  The array is not reused by later steps.
        """
        slot = self._slots.get((layer, _check_kind(kind)))
        if slot is None:
            return None
        flat = slot.flat
        if flat is not None and slot.delta_step != self._steps:
            if flat.delta_step != self._steps:
                return None
            start, end, shape = slot.span
            slot.delta = flat.delta[start:end].reshape(shape)
            slot.delta_step = self._steps
        if slot.delta_step != self._steps:
            return None
        return slot.delta

    def reset(self) -> None:
        """Forget all state (moments, buffers, step counts and last updates)."""
        self._slots.clear()
        self._flat = None

    def explain_update(
        self, layer: int, kind: str, index: tuple, grad: float, param: float, masked: bool = False
    ) -> UpdateExplanation | None:
        """How the last step turned the gradient ``grad`` of entry ``index`` of ``layer``'s
        ``kind`` into its update, from this optimizer's state after the step and the
        hyper-parameters that step used; ``param`` is the entry before the step, ``masked``
        that the step set it back to 0 (a removed connection).  None when there is no last
        update (see :meth:`last_update`).
        """
        applied = self.last_update(layer, kind)
        if applied is None:
            return None
        index = tuple(index)
        state = self.state_for(layer, kind)
        values = {k: float(v[index]) for k, v in state.items() if isinstance(v, np.ndarray)}
        t = state.get("step")
        used = self._step_hyper if self._step_hyper is not None else self._step_values()
        hyper = dict(zip(self.HYPERPARAMETERS, used))
        g, theta = float(grad), float(param)
        slot = self._slots[(layer, kind)]
        terms, delta = self._explain(hyper, g, theta, values, t, first=slot.started)
        if masked:
            terms.append(
                UpdateTerm("Δ", "−θ (a removed connection: back to 0)", "−{}", (theta,), -theta)
            )
            delta = -theta
        return UpdateExplanation(
            optimizer=self.name, kind=kind, index=index, hyperparameters=hyper, step=t, g=g,
            theta=theta, terms=tuple(terms), delta=delta, applied=float(applied[index]),
            masked=masked,
        )  # fmt: skip

    def state_dict(self, net=None) -> dict:
        """The optimizer as plain data (a new dict; arrays copied)::

            {"name": "Adam",
             "hyperparameters": {"lr": 0.001, "betas": [0.9, 0.999], ...},
             "steps": 137,                       # steps taken (last_update's bookkeeping)
             "state": {"layers": [               # by layer index; {} for a layer without state
                 {"weights": {"step": 137.0, "exp_avg": (fan_in, fan_out), ...},
                  "bias": {"step": 137.0, "exp_avg": (fan_out,), ...}},
                 ...]}}

        Each parameter's dict holds the keys of :meth:`state_for` (PyTorch's names).  With
        ``net``, only the entries that fit its parameters now are given: after an edit, a
        reshaped layer's old state (which the next step would replace) is left out.
        """
        layers: list[dict] = []
        for (layer, kind), slot in self._slots.items():
            if net is not None and not _fits(net, layer, kind, slot):
                continue
            layers.extend({} for _ in range(layer + 1 - len(layers)))
            layers[layer][kind] = {
                k: v.copy() if isinstance(v, np.ndarray) else v for k, v in slot.state.items()
            }
        hyper = self.hyperparameters()
        return {
            "name": self.name,
            "hyperparameters": {k: list(v) if type(v) is tuple else v for k, v in hyper.items()},
            "steps": self._steps,
            "state": {"layers": layers},
        }

    def load_state_dict(self, state: dict, net=None) -> None:
        """Changes this optimizer to ``state`` (as :meth:`state_dict` gives it, or its
        JSON-compatible form with lists for arrays): hyper-parameters, step count and every
        parameter's state, copied in; entries not in ``state`` are forgotten.

        With ``net``, each entry must fit the parameter it belongs to (its shape; values are
        cast to its dtype).  Raises ValueError naming the key at fault
        ("optimizer.state.layers.0.weights.exp_avg: shape (3, 8) does not fit the layer's
        (2, 8)"): a wrong name, hyper-parameter, type or shape, a value that is not finite, a
        negative step, a missing or unknown entry.  Nothing changes then.
        """
        d = _state.mapping(state, "optimizer", self.STATE_DICT_KEYS)
        if d["name"] != self.name:
            raise _state.fail(
                "optimizer.name", f"the state is of {_state.show(d['name'])}, not {self.name}"
            )
        hyper = self._read_hyperparameters(d["hyperparameters"])
        steps = _state.integer(d["steps"], "optimizer.steps")
        where = "optimizer.state.layers"
        layers = _state.mapping(d["state"], "optimizer.state", ("layers",))["layers"]
        if not isinstance(layers, list):
            raise _state.fail(where, f"must be a list, not {_state.show(layers)}")
        if net is not None and len(layers) > len(net.layers):
            raise _state.fail(
                where, f"holds {len(layers)} layers; the network has {len(net.layers)}"
            )
        slots = {}
        for i, entry in enumerate(layers):
            entry = _state.mapping(entry, _state.join(where, i), optional=_KINDS)
            for kind, values in entry.items():
                key = f"{where}.{i}.{kind}"
                param = None
                if net is not None:
                    if kind == "bias" and not net.layers[i].use_bias:
                        raise _state.fail(key, "the layer has no bias")
                    param = getattr(net.layers[i], kind)
                slot = self._read_slot(values, key, param)
                if slot is not None:
                    slots[(i, kind)] = slot
        for name, value in hyper.items():
            object.__setattr__(self, name, value)
        self._steps = steps
        self._slots = slots
        self._flat = None

    def _read_hyperparameters(self, given: object) -> dict:
        where = "optimizer.hyperparameters"
        given = _state.mapping(given, where, self.HYPERPARAMETERS)
        hyper = {}
        for name in self.HYPERPARAMETERS:
            try:
                hyper[name] = self._CHECKS[name](given[name])
            except ValueError as exc:
                raise _state.fail(_state.join(where, name), str(exc)) from None
        if hyper != self.hyperparameters():
            try:
                type(self)(**hyper)  # the checks of several hyper-parameters together
            except ValueError as exc:
                raise _state.fail(where, str(exc)) from None
        return hyper

    def _read_slot(self, values: object, key: str, param) -> _Slot | None:
        """One parameter's checked state as a slot (None: no state and no parameter to size
        a slot: the first step makes the same one)."""
        values = _state.mapping(values, key, self.STATE_KEYS, self.OPTIONAL_STATE_KEYS)
        shape, dtype = (None, None) if param is None else (param.shape, param.dtype)
        checked = {}
        for name, value in values.items():
            where = _state.join(key, name)
            if name == "step":
                checked[name] = _state.number(value, where, low=0.0, whole=True)
                continue
            arr = _state.array(value, where, shape, dtype)
            shape, dtype = arr.shape, arr.dtype  # without a network: the first array's
            checked[name] = arr
        if param is None:
            if shape is None:
                return None
            param = np.empty(shape, dtype)
        return _Slot(param, checked)

    # -- stepping ------------------------------------------------------------------------
    def step(self, net, grads) -> None:
        """Update every layer's ``weights`` and ``bias`` in place, from ``grads``.

        Changes ``net.layers[i].weights`` and ``.bias`` (those with ``use_bias``) and this
        optimizer's state.  ``grads.weights[i]`` and ``grads.bias[i]`` have the shapes of the
        parameters.  Weights where ``mask`` is False end the step at exactly 0.

        When ``net`` keeps its parameters in one vector and ``grads`` came from its
        ``backward`` (``Gradients.flat``), every parameter is updated by the same operations
        run once over the whole vector (each entry's arithmetic is the same as alone), as long
        as every parameter's state is at the same point (the same step count and buffers).
        """
        self._check_combination()
        values = self._step_values()
        steps = self._steps + 1
        _set(self, "_step_hyper", values)  # private state: past the checks of __setattr__
        _set(self, "_steps", steps)
        flat_views = getattr(grads, "flat_views", None)
        if flat_views is not None:
            layout = net.layout()
            g = flat_views(layout)
            if g is not None:
                flat = self._flat
                if flat is None or flat.layout is not layout:
                    flat = self._gather(layout, values)
                if flat is not None:
                    self._flat_step(flat, layout, g, values, steps)
                    return
        self._flat = None
        slots = self._slots
        grad_w = grads.weights
        grad_b = grads.bias
        layers = net.layers
        for i, layer in enumerate(layers):
            self._apply(layer.weights, grad_w[i], layer.mask, (i, "weights"), values, steps)
            if layer.use_bias:
                self._apply(layer.bias, grad_b[i], None, (i, "bias"), values, steps)
            elif (i, "bias") in slots:
                del slots[(i, "bias")]
        if len(slots) > 2 * len(layers):  # layers were removed: drop their state
            for key in [key for key in slots if key[0] >= len(layers)]:
                del slots[key]

    def _gather(self, layout, values) -> _Flat | None:
        """The parameters' state as one vector over ``layout``'s trainable part (their slots
        turned into views of it), or None when their states are not at the same point."""
        slots = self._slots
        params = layout.params[: layout.trainable]
        segments = layout.segments
        mine = []
        for _start, _end, i, kind, shape in segments:
            slot = slots.get((i, kind))
            if slot is not None and (slot.shape != shape or slot.dtype != params.dtype):
                slot = None  # its state would start afresh
            mine.append(slot)
        if all(slot is None for slot in mine):
            state = self._new_state(params, values)
            group = _Slot(params, state)
            group.param = params
            mine = []
            for start, end, _i, _kind, shape in segments:
                slot = _Slot(params[start:end].reshape(shape), {}, work=False)
                for key, value in state.items():
                    slot.state[key] = value[start:end].reshape(shape) if _is_array(value) else value
                mine.append(slot)
        else:
            if any(slot is None for slot in mine):
                return None
            first = mine[0]
            keys = list(first.state)
            for slot in mine:
                if list(slot.state) != keys or slot.started != first.started:
                    return None
                for key in keys:
                    value = slot.state[key]
                    if not _is_array(value) and value != first.state[key]:
                        return None
            state = {}
            for key in keys:
                value = first.state[key]
                if not _is_array(value):
                    state[key] = value
                    continue
                vector = np.empty_like(params)
                for (start, end, _, _, shape), slot in zip(segments, mine):
                    part = vector[start:end].reshape(shape)
                    part[...] = slot.state[key]
                    slot.state[key] = part
                state[key] = vector
            group = _Slot(params, state)
            group.param = params
            group.started = first.started
        flat = _Flat(layout, group, mine)
        kept = {}
        for (start, end, i, kind, shape), slot in zip(segments, mine):
            slot.flat = flat
            slot.span = (start, end, shape)
            kept[(i, kind)] = slot
        slots.clear()  # state of parameters the network no longer has is dropped
        slots.update(kept)
        self._flat = flat
        return flat

    def _flat_step(self, flat: _Flat, layout, grad, values, steps) -> None:
        group = flat.slot
        n = layout.trainable
        p = group.param
        delta = np.empty(n, p.dtype)
        self._delta(p, grad if n == grad.shape[0] else grad[:n], group, delta, values)
        mask = layout.mask
        if np.count_nonzero(mask) != mask.size:
            # Where the connection is removed, Δ = 0 − θ so the weight ends at exactly 0.
            np.subtract(0.0, p, out=delta, where=~mask[:n])
        p += delta
        flat.delta = delta
        flat.delta_step = steps
        state = group.state
        if len(state) != flat.keys:  # a buffer made now (momentum or amsgrad turned on)
            for slot in flat.slots:
                start, end, shape = slot.span
                for key, value in state.items():
                    if key not in slot.state:
                        slot.state[key] = value[start:end].reshape(shape)
            flat.keys = len(state)
        step = state.get("step")
        if step is not None:
            for s in flat.states:
                s["step"] = step
        if group.started != flat.started:
            flat.started = started = group.started
            for slot in flat.slots:
                slot.started = started

    def _apply(self, p, g, mask, key, values, steps) -> None:
        slot = self._slots.get(key)
        if slot is None or slot.shape != p.shape or slot.dtype != p.dtype:
            slot = self._slots[key] = _Slot(p, self._new_state(p, values))
        elif slot.flat is not None:
            slot.flat = slot.span = None
            if slot.work is None:
                slot.work = np.empty_like(p)
        if g.shape != p.shape:
            raise ValueError(
                f"gradient of layer {key[0]} {key[1]} has shape {g.shape}; expected {p.shape}"
            )
        delta = np.empty_like(p)
        self._delta(p, g, slot, delta, values)
        # count_nonzero is ~4x faster than mask.all() on small arrays
        if mask is not None and np.count_nonzero(mask) != mask.size:
            # Where the connection is removed, Δ = 0 − θ so the weight ends at exactly 0.
            np.subtract(0.0, p, out=delta, where=~mask)
        p += delta
        slot.delta = delta
        slot.delta_step = steps

    def _step_values(self) -> tuple:
        """The hyper-parameters in the order ``_delta`` unpacks them (read once per step)."""
        return self._get_values(self)

    def _new_state(self, p: np.ndarray, values: tuple) -> dict:
        raise NotImplementedError

    def _delta(self, p, g, slot: _Slot, out, values: tuple) -> None:
        """Write the update Δθ of parameter ``p`` (gradient ``g``) into ``out``; update state."""
        raise NotImplementedError

    def _explain(
        self, hyper: dict, g: float, theta: float, state: dict, t, first: bool = False
    ) -> tuple[list, float]:
        """The terms of ``_delta``'s rule for one entry (gradient g, θ before the step, its
        state values after the step, step count t; ``first``: the step made the state's
        buffer), the last one Δ, and Δ."""
        raise NotImplementedError


def _fits(net, layer: int, kind: str, slot: _Slot) -> bool:
    """Whether ``slot`` of (layer, kind) belongs to ``net``'s parameter as it is now."""
    if layer >= len(net.layers) or (kind == "bias" and not net.layers[layer].use_bias):
        return False
    param = getattr(net.layers[layer], kind)
    return slot.shape == param.shape and slot.dtype == param.dtype


def _check_kind(kind: str) -> str:
    if kind not in _KINDS:
        raise ValueError(f"kind must be 'weights' or 'bias', not {kind!r}")
    return kind


# ----------------------------------------------------------------------------- SGD
class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum.

    Update, with μ ``momentum`` and τ ``dampening``::

        ĝ = (−g if maximize else g) + λθ
        if μ ≠ 0:
            b = ĝ                          at the parameter's first step (a copy)
            b = μ b + (1 − τ) ĝ            afterwards
            ĝ = ĝ + μ b  if nesterov  else  b
        θ ← θ − γ ĝ

    State: ``momentum_buffer`` b (only when μ ≠ 0).  ``nesterov`` needs μ > 0 and τ = 0.
    """

    name = "SGD"
    HYPERPARAMETERS = ("lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize")
    OPTIONAL_STATE_KEYS = ("momentum_buffer",)
    _CHECKS = {
        "lr": _non_negative("learning rate"),
        "momentum": _non_negative("momentum value"),
        "dampening": _real("dampening value"),
        "weight_decay": _non_negative("weight_decay value"),
        "nesterov": _flag("nesterov"),
        "maximize": _flag("maximize"),
    }

    def __init__(
        self,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        maximize: bool = False,
    ):
        super().__init__(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )

    def _check_combination(self) -> None:
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _new_state(self, p, values) -> dict:
        return {}  # momentum_buffer is a copy of the first effective gradient

    def _delta(self, p, g, slot, out, values) -> None:
        lr, momentum, dampening, weight_decay, nesterov, maximize = values
        if momentum == 0 and weight_decay == 0 and not maximize:  # plain SGD: Δ = −γg
            np.multiply(g, -lr, out=out)
            return
        g = _effective_grad(p, g, weight_decay, maximize, out)
        if momentum != 0:
            state = slot.state
            buf = state.get("momentum_buffer")
            slot.started = buf is None
            if buf is None:
                buf = state["momentum_buffer"] = np.empty_like(p)
                np.copyto(buf, g)
            else:
                buf *= momentum
                if dampening == 0:
                    buf += g
                else:  # nesterov is off here, so ĝ is not needed afterwards
                    np.multiply(g, 1.0 - dampening, out=out)
                    buf += out
            if nesterov:
                np.multiply(buf, momentum, out=slot.work)
                np.add(g, slot.work, out=out)
                g = out
            else:
                g = buf
        np.multiply(g, -lr, out=out)

    def _explain(self, hyper, g, theta, state, t, first=False):
        lr, mu, tau = hyper["lr"], hyper["momentum"], hyper["dampening"]
        terms, eff, sym = _effective_terms(hyper, g, theta)
        if mu == 0:
            delta = eff * -lr
            terms.append(UpdateTerm("Δ", f"−η·{sym}", "−{} × {}", (lr, eff), delta))
            return terms, delta
        b = state["momentum_buffer"]
        b_prev = (b - (1.0 - tau) * eff) / mu  # the buffer before the step (ĝ's share removed)
        if first:  # the buffer starts as ĝ itself, undamped (PyTorch's rule)
            formula, numbers, operands = f"{sym} (the buffer starts as {sym})", "{}", (eff,)
        elif tau:
            formula, numbers = f"μ·v_prev + (1 − τ)·{sym}", "{} × {} + (1 − {}) × {}"
            operands = (mu, b_prev, tau, eff)
        else:
            formula, numbers, operands = f"μ·v_prev + {sym}", "{} × {} + {}", (mu, b_prev, eff)
        terms.append(UpdateTerm("v", formula, numbers, operands, b))
        if hyper["nesterov"]:
            delta = (eff + b * mu) * -lr
            terms.append(
                UpdateTerm(
                    "Δ", f"−η·({sym} + μ·v)", "−{} × ({} + {} × {})", (lr, eff, mu, b), delta
                )
            )
            return terms, delta
        delta = b * -lr
        terms.append(UpdateTerm("Δ", "−η·v", "−{} × {}", (lr, b), delta))
        return terms, delta


# ----------------------------------------------------------------------------- Adagrad
class Adagrad(Optimizer):
    r"""Adagrad: per-entry step sizes shrinking with the sum of squared gradients.

    Update, with η ``lr_decay`` and ε ``eps``::

        ĝ = (−g if maximize else g) + λθ
        γ̃ = γ / (1 + (t − 1) η)
        s ← s + ĝ²
        θ ← θ − γ̃ ĝ / (√s + ε)

    State: ``step`` t and ``sum`` s (starts filled with ``initial_accumulator_value``).
    """

    name = "Adagrad"
    STATE_KEYS = ("step", "sum")
    HYPERPARAMETERS = (
        "lr",
        "lr_decay",
        "weight_decay",
        "initial_accumulator_value",
        "eps",
        "maximize",
    )
    _CHECKS = {
        "lr": _non_negative("learning rate"),
        "lr_decay": _non_negative("lr_decay value"),
        "weight_decay": _non_negative("weight_decay value"),
        "initial_accumulator_value": _non_negative("initial_accumulator_value value"),
        "eps": _non_negative("epsilon value"),
        "maximize": _flag("maximize"),
    }

    def __init__(
        self,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        maximize: bool = False,
    ):
        super().__init__(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
            maximize=maximize,
        )

    def _new_state(self, p, values) -> dict:
        return {"step": 0.0, "sum": np.full_like(p, values[3])}

    def _delta(self, p, g, slot, out, values) -> None:
        lr, lr_decay, weight_decay, _, eps, maximize = values
        state = slot.state
        step = state["step"] + 1.0
        state["step"] = step
        g = _effective_grad(p, g, weight_decay, maximize, out)
        clr = lr / (1.0 + (step - 1.0) * lr_decay)
        total = state["sum"]
        work = slot.work
        np.multiply(g, g, out=work)
        total += work
        np.sqrt(total, out=work)
        work += eps
        np.divide(g, work, out=out)
        out *= -clr

    def _explain(self, hyper, g, theta, state, t, first=False):
        lr, decay, eps = hyper["lr"], hyper["lr_decay"], hyper["eps"]
        terms, eff, sym = _effective_terms(hyper, g, theta)
        clr = lr / (1.0 + (t - 1.0) * decay)
        eta = "η"
        if decay:
            terms.append(
                UpdateTerm(
                    "η_t",
                    "η / (1 + (t − 1)·decay)",
                    "{} / (1 + {} × {})",
                    (lr, t - 1.0, decay),
                    clr,
                )
            )
            eta = "η_t"
        s = state["sum"]
        terms.append(UpdateTerm("s", f"s_prev + {sym}²", "{} + {}²", (s - eff * eff, eff), s))
        root = math.sqrt(s)
        delta = eff / (root + eps) * -clr
        terms.append(
            UpdateTerm(
                "Δ",
                f"−{eta}·{sym} / (√s + ε)",
                "−{} × {} / ({} + {})",
                (clr, eff, root, eps),
                delta,
            )
        )
        return terms, delta


# ----------------------------------------------------------------------------- RMSprop
class RMSprop(Optimizer):
    r"""RMSprop: steps divided by a moving root mean square of the gradients.

    Update, with α ``alpha``, μ ``momentum`` and ε ``eps``::

        ĝ = (−g if maximize else g) + λθ
        v ← α v + (1 − α) ĝ²
        ṽ = v − ḡ²  with  ḡ ← α ḡ + (1 − α) ĝ   if centered,  else  ṽ = v
        if μ > 0:   b ← μ b + ĝ / (√ṽ + ε);   θ ← θ − γ b
        else:       θ ← θ − γ ĝ / (√ṽ + ε)

    State: ``step``, ``square_avg`` v, ``momentum_buffer`` b (if μ > 0) and ``grad_avg`` ḡ
    (if centered), all starting at 0.  Turning momentum or centered on mid-run starts that
    buffer at 0 then.
    """

    name = "RMSprop"
    HYPERPARAMETERS = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize")
    STATE_KEYS = ("step", "square_avg")
    OPTIONAL_STATE_KEYS = ("momentum_buffer", "grad_avg")
    _CHECKS = {
        "lr": _non_negative("learning rate"),
        "alpha": _non_negative("alpha value"),
        "eps": _non_negative("epsilon value"),
        "weight_decay": _non_negative("weight_decay value"),
        "momentum": _non_negative("momentum value"),
        "centered": _flag("centered"),
        "maximize": _flag("maximize"),
    }

    def __init__(
        self,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        maximize: bool = False,
    ):
        super().__init__(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )

    def _new_state(self, p, values) -> dict:
        state = {"step": 0.0, "square_avg": np.zeros_like(p)}
        if values[4] > 0:
            state["momentum_buffer"] = np.zeros_like(p)
        if values[5]:
            state["grad_avg"] = np.zeros_like(p)
        return state

    def _delta(self, p, g, slot, out, values) -> None:
        lr, alpha, eps, weight_decay, momentum, centered, maximize = values
        state = slot.state
        state["step"] += 1.0
        g = _effective_grad(p, g, weight_decay, maximize, out)
        work = slot.work
        square_avg = state["square_avg"]
        square_avg *= alpha
        np.multiply(g, 1.0 - alpha, out=work)
        work *= g
        square_avg += work
        if centered:
            grad_avg = _zeros_state(state, "grad_avg", p)
            _lerp_(grad_avg, g, 1.0 - alpha, work)
            np.multiply(grad_avg, grad_avg, out=work)
            np.subtract(square_avg, work, out=work)
            # v − ḡ² ≥ 0 exactly, but rounding can make it −1e-20 once the gradient has been
            # steady for thousands of steps; PyTorch then returns NaN, we take 0.
            np.maximum(work, 0.0, out=work)
            np.sqrt(work, out=work)
        else:
            np.sqrt(square_avg, out=work)
        work += eps
        if momentum > 0:
            buf = _zeros_state(state, "momentum_buffer", p)
            buf *= momentum
            np.divide(g, work, out=work)
            buf += work
            np.multiply(buf, -lr, out=out)
        else:
            np.divide(g, work, out=out)
            out *= -lr

    def _explain(self, hyper, g, theta, state, t, first=False):
        lr, alpha, eps, mu = hyper["lr"], hyper["alpha"], hyper["eps"], hyper["momentum"]
        terms, eff, sym = _effective_terms(hyper, g, theta)
        v = state["square_avg"]
        v_prev = _previous_average(v, alpha, eff * eff)
        terms.append(
            UpdateTerm(
                "v", f"α·v_prev + (1 − α)·{sym}²", "{} × {} + {} × {}²",
                (alpha, v_prev, 1.0 - alpha, eff), v,
            )
        )  # fmt: skip
        if hyper["centered"]:
            gbar = state["grad_avg"]
            gbar_prev = _previous_average(gbar, alpha, eff)
            terms.append(
                UpdateTerm(
                    "ḡ", f"α·ḡ_prev + (1 − α)·{sym}", "{} × {} + {} × {}",
                    (alpha, gbar_prev, 1.0 - alpha, eff), gbar,
                )
            )  # fmt: skip
            var = max(v - gbar * gbar, 0.0)
            terms.append(UpdateTerm("ṽ", "v − ḡ²", "{} − {}²", (v, gbar), var))
            root, name = math.sqrt(var), "√ṽ"
        else:
            root, name = math.sqrt(v), "√v"
        denom = root + eps
        if mu > 0:
            b = state["momentum_buffer"]
            scaled = eff / denom
            b_prev = (b - scaled) / mu
            terms.append(
                UpdateTerm(
                    "b", f"μ·b_prev + {sym} / ({name} + ε)", "{} × {} + {} / ({} + {})",
                    (mu, b_prev, eff, root, eps), b,
                )
            )  # fmt: skip
            delta = b * -lr
            terms.append(UpdateTerm("Δ", "−η·b", "−{} × {}", (lr, b), delta))
            return terms, delta
        delta = eff / denom * -lr
        terms.append(
            UpdateTerm(
                "Δ", f"−η·{sym} / ({name} + ε)", "−{} × {} / ({} + {})", (lr, eff, root, eps), delta
            )
        )
        return terms, delta


# ----------------------------------------------------------------------------- Adam
class Adam(Optimizer):
    r"""Adam: steps from bias-corrected moving averages of the gradient and its square.

    Update, with (β₁, β₂) ``betas`` and ε ``eps``::

        ĝ = (−g if maximize else g) + λθ
        m ← β₁ m + (1 − β₁) ĝ
        v ← β₂ v + (1 − β₂) ĝ²
        v_max ← max(v_max, v);  v̂ = v_max   if amsgrad,  else  v̂ = v
        θ ← θ − γ/(1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + ε)

    State: ``step`` t, ``exp_avg`` m, ``exp_avg_sq`` v and ``max_exp_avg_sq`` v_max (if
    amsgrad; started at 0 when amsgrad is turned on mid-run), all starting at 0.
    """

    name = "Adam"
    HYPERPARAMETERS = ("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize")
    STATE_KEYS = ("step", "exp_avg", "exp_avg_sq")
    OPTIONAL_STATE_KEYS = ("max_exp_avg_sq",)
    _CHECKS = {
        "lr": _non_negative("learning rate"),
        "betas": _betas,
        "eps": _non_negative("epsilon value"),
        "weight_decay": _non_negative("weight_decay value"),
        "amsgrad": _flag("amsgrad"),
        "maximize": _flag("maximize"),
    }
    _decoupled: ClassVar[bool] = False  # AdamW: decay θ directly instead of adding λθ to ĝ

    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        maximize: bool = False,
    ):
        super().__init__(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
        )

    def _new_state(self, p, values) -> dict:
        state = {"step": 0.0, "exp_avg": np.zeros_like(p), "exp_avg_sq": np.zeros_like(p)}
        if values[4]:
            state["max_exp_avg_sq"] = np.zeros_like(p)
        return state

    def _delta(self, p, g, slot, out, values) -> None:
        lr, (beta1, beta2), eps, weight_decay, amsgrad, maximize = values
        state = slot.state
        step = state["step"] + 1.0
        state["step"] = step
        decoupled = self._decoupled
        g = _effective_grad(p, g, 0.0 if decoupled else weight_decay, maximize, out)
        work = slot.work
        exp_avg = state["exp_avg"]
        exp_avg_sq = state["exp_avg_sq"]
        _lerp_(exp_avg, g, 1.0 - beta1, work)
        exp_avg_sq *= beta2
        np.multiply(g, 1.0 - beta2, out=work)
        work *= g
        exp_avg_sq += work
        step_size = lr / (1.0 - beta1**step)
        bias_correction2_sqrt = math.sqrt(1.0 - beta2**step)
        if amsgrad:
            max_exp_avg_sq = _zeros_state(state, "max_exp_avg_sq", p)
            np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
            np.sqrt(max_exp_avg_sq, out=work)
        else:
            np.sqrt(exp_avg_sq, out=work)
        work /= bias_correction2_sqrt
        work += eps
        np.divide(exp_avg, work, out=out)
        out *= -step_size
        if decoupled and weight_decay != 0:  # θ(1 − γλ) − θ = −γλθ
            np.multiply(p, -lr * weight_decay, out=work)
            out += work

    def _explain(self, hyper, g, theta, state, t, first=False):
        lr, (b1, b2), eps = hyper["lr"], hyper["betas"], hyper["eps"]
        lam, amsgrad, decoupled = hyper["weight_decay"], hyper["amsgrad"], self._decoupled
        terms, eff, sym = _effective_terms(hyper, g, theta, decay=not decoupled)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        bc1, bc2 = 1.0 - b1**t, 1.0 - b2**t
        # The state keeps only the new averages: the previous ones follow from them and ĝ.
        m_prev = _previous_average(m, b1, eff)
        v_prev = _previous_average(v, b2, eff * eff)
        terms.append(
            UpdateTerm(
                "m", f"β₁·m_prev + (1 − β₁)·{sym}", "{} × {} + {} × {}",
                (b1, m_prev, 1.0 - b1, eff), m,
            )
        )  # fmt: skip
        terms.append(
            UpdateTerm(
                "v", f"β₂·v_prev + (1 − β₂)·{sym}²", "{} × {} + {} × {}²",
                (b2, v_prev, 1.0 - b2, eff), v,
            )
        )  # fmt: skip
        v_used, vname = v, "v"
        if amsgrad:
            v_used, vname = state["max_exp_avg_sq"], "v_max"
            terms.append(
                UpdateTerm("v_max", "max(v_max_prev, v)  (AMSGrad)", "max(…, {})", (v,), v_used)
            )
        m_hat, v_hat = m / bc1, v_used / bc2
        terms.append(UpdateTerm("m_hat", "m / (1 − β₁ᵗ)", "{} / {}  (t = {})", (m, bc1, t), m_hat))
        terms.append(UpdateTerm("v_hat", f"{vname} / (1 − β₂ᵗ)", "{} / {}", (v_used, bc2), v_hat))
        root = math.sqrt(v_hat)  # the per-entry scale the step divides by
        terms.append(UpdateTerm("√v_hat", "√v_hat", "√{}", (v_hat,), root))
        # _delta's order of operations: −(η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε).
        step = m / (math.sqrt(v_used) / math.sqrt(bc2) + eps) * -(lr / bc1)
        adam = UpdateTerm(
            "Δ", "−η·m_hat / (√v_hat + ε)", "−{} × {} / ({} + {})",
            (lr, m_hat, root, eps), step,
        )  # fmt: skip
        if not (decoupled and lam):
            terms.append(adam)
            return terms, step
        terms.append(UpdateTerm("Adam step", adam.formula, adam.numbers, adam.operands, step))
        decay = theta * (-lr * lam)
        terms.append(UpdateTerm("decay", "−η·λ·θ", "−{} × {} × {}", (lr, lam, theta), decay))
        delta = step + decay
        terms.append(UpdateTerm("Δ", "Adam step + decay", "{} + {}", (step, decay), delta))
        return terms, delta


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter).

    Update: as :class:`Adam` with ĝ = (−g if maximize else g) (no λθ term), and θ shrinks
    directly before the Adam step::

        θ ← θ (1 − γλ)
        θ ← θ − γ/(1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + ε)

    Δθ reported by ``last_update`` includes the decay −γλθ.  ``weight_decay`` defaults to 1e-2.
    """

    name = "AdamW"
    _decoupled = True

    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        maximize: bool = False,
    ):
        super().__init__(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
        )


# ----------------------------------------------------------------------------- factory
OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (SGD, Adagrad, RMSprop, Adam, AdamW)
}


def make(name: str, **params) -> Optimizer:
    """The optimizer called ``name`` (case-insensitive: "adam" finds Adam) built from ``params``.

    Raises ValueError naming an unknown optimizer or unknown/invalid parameters.
    """
    cls = OPTIMIZERS.get(name) if isinstance(name, str) else None
    if cls is None and isinstance(name, str):
        cls = next((c for key, c in OPTIMIZERS.items() if key.lower() == name.lower()), None)
    if cls is None:
        raise ValueError(f"unknown optimizer {name!r} (known: {', '.join(OPTIMIZERS)})")
    unknown = [key for key in params if key not in cls.HYPERPARAMETERS]
    if unknown:
        raise ValueError(
            f"{cls.name} has no parameter {', '.join(map(repr, unknown))} "
            f"(it takes: {', '.join(cls.HYPERPARAMETERS)})"
        )
    return cls(**params)
