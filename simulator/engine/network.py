"""A fully connected network with exact backpropagation and structural edits.

Notation (shapes for a batch of n samples):
    layer i maps a_prev (n, fan_in) to  z = a_prev @ W + b  (n, fan_out),  a = f(z)
    W: layers[i].weights (fan_in, fan_out),  b: layers[i].bias (fan_out,)

Backpropagation starts from the output's delta = dL/dz and runs the chain rule backwards:
    dL/dW_i = a_prev_i.T @ delta_i          dL/db_i = Σ_n delta_i
    delta_{i-1} = f'_{i-1}(z_{i-1}) ⊙ (delta_i @ W_i.T)     (softmax: its full Jacobian)

"Neuron layers" (columns on the canvas) are numbered 0 (inputs) .. len(sizes) - 1 (outputs);
weight layer i joins neuron layer i to neuron layer i + 1.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

import numpy as np

from simulator.engine import activations as _act
from simulator.engine import initializers as _init
from simulator.engine import losses as _losses
from simulator.engine import state as _state

DTYPES = ("float64", "float32")
_SIGMOID = _act.ACTIVATIONS["sigmoid"]


def _check_rate(name: str, value: float, upper: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if value < 0 or (upper is not None and value >= upper):
        bound = f"in [0, {upper})" if upper is not None else ">= 0"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return float(value)


class Layer:
    """Weight layer: ``weights`` (fan_in, fan_out), ``bias`` (fan_out,), ``mask``, activation.

    ``mask[r, c]`` False means the connection r -> c is removed: its weight is held at 0 and
    its gradient is 0.  ``use_bias`` False holds the bias at 0.  ``dropout`` is the
    probability of zeroing each of this layer's outputs during training (hidden layers only).

    Inside a :class:`Network` the arrays are views into the network's one parameter vector
    (see :attr:`Network.flat`), so an optimizer updates every layer at once.  Assigning an
    array (``layer.weights = w``) copies it in when it has the same shape and dtype; an array
    of another shape (an edit), or switching ``use_bias``, is kept as given until the network
    copies every layer into a new vector (new views) at its next pass or ``layout()``.
    """

    __slots__ = ("_w", "_b", "_m", "_activation", "_fn", "_use_bias", "_dropout", "_home")

    def __init__(self, weights, bias, activation: str, mask=None, use_bias=True, dropout=0.0):
        self._home = None  # the network layout whose views these arrays are (None: not one)
        self._w = weights
        self._b = bias
        self._m = np.ones(weights.shape, dtype=bool) if mask is None else mask
        self.activation = activation
        self._use_bias = bool(use_bias)
        self.dropout = dropout

    def _leave_home(self) -> None:
        home = self._home
        if home is not None:
            home.stale = True
            self._home = None

    def _replace(self, name: str, value) -> None:
        # An array of the same shape and dtype is copied into the network's vector (the
        # layer stays a view of it); any other change waits for the network's next pass.
        current = getattr(self, name)
        home = self._home
        if (
            home is not None
            and not home.stale
            and type(value) is np.ndarray
            and value.shape == current.shape
            and value.dtype == current.dtype
        ):
            if value is not current:
                current[...] = value
            return
        object.__setattr__(self, name, value)
        self._leave_home()

    @property
    def weights(self) -> np.ndarray:
        return self._w

    @weights.setter
    def weights(self, value: np.ndarray) -> None:
        self._replace("_w", value)

    @property
    def bias(self) -> np.ndarray:
        return self._b

    @bias.setter
    def bias(self, value: np.ndarray) -> None:
        self._replace("_b", value)

    @property
    def mask(self) -> np.ndarray:
        return self._m

    @mask.setter
    def mask(self, value: np.ndarray) -> None:
        self._replace("_m", value)

    @property
    def use_bias(self) -> bool:
        return self._use_bias

    @use_bias.setter
    def use_bias(self, on: bool) -> None:
        on = bool(on)
        if on != self._use_bias:
            self._use_bias = on
            self._leave_home()

    @property
    def activation(self) -> str:
        return self._activation

    @activation.setter
    def activation(self, name: str) -> None:
        self._fn = _act.get(name)
        self._activation = name

    @property
    def dropout(self) -> float:
        return self._dropout

    @dropout.setter
    def dropout(self, rate: float) -> None:
        self._dropout = _check_rate("dropout", rate, upper=1.0)

    @property
    def fan_in(self) -> int:
        return self._w.shape[0]

    @property
    def fan_out(self) -> int:
        return self._w.shape[1]

    # A copied or pickled layer is not a view of its network's vector any more.
    def __getstate__(self):
        return {name: getattr(self, name) for name in self.__slots__ if name != "_home"}

    def __setstate__(self, state) -> None:
        self._home = None
        for name, value in state.items():
            object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        extra = "" if self._use_bias else ", no bias"
        removed = int(self._m.size - np.count_nonzero(self._m))
        if removed:
            extra += f", {removed} removed"
        if self._dropout:
            extra += f", dropout {self._dropout:g}"
        return f"Layer({self.fan_in} -> {self.fan_out}, {self._activation}{extra})"


class Layout:
    """Where each layer's parameters sit in the network's flat vectors (``Network.layout()``).

    ``params`` holds every weight and bias, layer by layer (weights row-major, then the bias),
    the biases that are switched off at the end: ``params[:trainable]`` is what an optimizer
    updates, ``segments`` lists its parts as (start, end, layer, "weights" | "bias", shape) in
    that order.  ``mask`` is the same length as ``params`` (True at every bias); the layers'
    ``weights``, ``bias`` and ``mask`` are views into these two vectors.  ``slots[i]`` is
    layer i's (weights start, end, shape, bias start, end).  ``stale`` turns True when a
    layer's array is replaced; ``order`` is the list of layers it was made for; ``starts`` each
    layer's first entry (its weights and bias are one stretch of ``params[:trainable]``).
    """

    __slots__ = (
        "stale",
        "order",
        "params",
        "mask",
        "size",
        "trainable",
        "slots",
        "segments",
        "input_shape",
        "starts",
    )

    def __init__(self, layers: list[Layer], dtype: np.dtype):
        self.stale = False
        self.input_shape = None  # the last input shape forward checked
        self.order = list(layers)
        spans: dict[tuple[int, str], tuple[int, int]] = {}
        at = 0
        for i, layer in enumerate(layers):
            spans[(i, "weights")] = (at, at + layer._w.size)
            at += layer._w.size
            if layer._use_bias:
                spans[(i, "bias")] = (at, at + layer._b.size)
                at += layer._b.size
        self.trainable = at
        for i, layer in enumerate(layers):
            if not layer._use_bias:
                spans[(i, "bias")] = (at, at + layer._b.size)
                at += layer._b.size
        self.size = at
        params = np.empty(at, dtype)
        mask = np.ones(at, dtype=bool)
        self.slots = []
        for i, layer in enumerate(layers):
            w0, w1 = spans[(i, "weights")]
            b0, b1 = spans[(i, "bias")]
            shape = layer._w.shape
            w = params[w0:w1].reshape(shape)
            w[...] = layer._w
            m = mask[w0:w1].reshape(shape)
            m[...] = layer._m
            b = params[b0:b1]
            b[...] = layer._b
            layer._w, layer._b, layer._m = w, b, m
            layer._home = self
            self.slots.append((w0, w1, shape, b0, b1))
        self.segments = sorted(
            (*spans[(i, kind)], i, kind, shape)
            for i, layer in enumerate(layers)
            for kind, shape in (("weights", layer._w.shape), ("bias", layer._b.shape))
            if kind == "weights" or layer._use_bias
        )
        self.starts = np.array([slot[0] for slot in self.slots], dtype=np.intp)
        self.params = params
        self.mask = mask

    def fits(self, layers: list[Layer]) -> bool:
        return not self.stale and self.order == layers


class LayerTrace:
    """One layer's forward values: ``input`` (n, fan_in), ``z`` and ``a`` (n, fan_out).

    ``keep`` is the inverted-dropout multiplier applied to ``a`` (None when no dropout);
    ``output`` is what the next layer receives.
    """

    __slots__ = ("input", "z", "a", "keep", "_parts")

    def __init__(self, input, z, a, keep=None):
        self.input = input
        self.z = z
        self.a = a
        self.keep = keep
        self._parts = None  # a sigmoid layer's (z, a, e, z ≥ 0) from sigmoid_parts

    @property
    def output(self) -> np.ndarray:
        return self.a if self.keep is None else self.a * self.keep

    def __repr__(self) -> str:
        return f"LayerTrace(input{self.input.shape}, z{self.z.shape})"


class Trace:
    """The forward pass: ``layers[i]`` is a :class:`LayerTrace`; ``output`` (n, sizes[-1])."""

    __slots__ = ("layers", "training")

    def __init__(self, layers: list[LayerTrace], training: bool):
        self.layers = layers
        self.training = training

    @property
    def output(self) -> np.ndarray:
        return self.layers[-1].a

    @property
    def input(self) -> np.ndarray:
        return self.layers[0].input

    def __getitem__(self, i: int) -> LayerTrace:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        return f"Trace({len(self.layers)} layers, n={self.input.shape[0]})"


class Gradients:
    """Result of backpropagation.

    ``loss``: the data loss (float); ``penalty``: the L1/L2 penalty, reported apart;
    ``weights[i]``, ``bias[i]``: dL/dW (fan_in, fan_out) and dL/db (fan_out,) of the total
    objective loss + penalty (zeros for a layer whose bias is off); ``deltas[i]``: dL/dz of
    layer i, (n, fan_out), from the data loss.

    From ``Network.backward``, ``flat`` is one vector holding every gradient where the
    network's :class:`Layout` holds the parameters (``weights[i]`` and ``bias[i]`` are views
    into it) and ``layout`` that layout; both are None for gradients made otherwise.
    """

    __slots__ = ("loss", "penalty", "weights", "bias", "deltas", "flat", "layout", "_views")

    def __init__(self, loss, penalty, weights, bias, deltas, flat=None, layout=None):
        self.loss = loss
        self.penalty = penalty
        self.weights = weights
        self.bias = bias
        self.deltas = deltas
        self.flat = flat
        self.layout = layout
        # the views of ``flat`` made for weights and bias (a replaced one is not)
        self._views = None if flat is None else (tuple(weights), tuple(bias))

    def flat_views(self, layout: Layout) -> np.ndarray | None:
        """``flat`` when these are ``layout``'s gradients and every ``weights[i]`` and
        ``bias[i]`` is still the view of it that backward made; None otherwise."""
        if self.layout is not layout or layout is None or layout.stale:
            return None
        views = self._views
        weights, bias = self.weights, self.bias
        if (
            views is None
            or len(weights) != len(views[0])
            or len(bias) != len(views[1])
            or not all(map(operator.is_, weights, views[0]))
            or not all(map(operator.is_, bias, views[1]))
        ):
            return None
        return self.flat

    @property
    def total(self) -> float:
        return self.loss + self.penalty

    def layer_norms(self) -> np.ndarray:
        """(L,) L2 norm of each layer's weight and bias gradients together."""
        layout = self.layout
        if layout is not None and self.flat_views(layout) is not None:
            # A layer's weights and bias are one stretch of the vector: one pass for all.
            part = self.flat[: layout.trainable]
            sums = np.add.reduceat(np.multiply(part, part), layout.starts)
            return np.sqrt(sums, out=sums).astype(np.float64, copy=False)
        return np.array(
            [
                math.sqrt(float(np.vdot(w, w)) + float(np.vdot(b, b)))
                for w, b in zip(self.weights, self.bias)
            ]
        )

    def global_norm(self) -> float:
        """L2 norm over every gradient, as torch.nn.utils.clip_grad_norm_ measures it."""
        return float(np.sqrt(np.sum(self.layer_norms() ** 2)))

    def clip_coefficient(self, max_norm: float) -> tuple[float, float | None]:
        """(the global norm, the factor clipping to ``max_norm`` scales every gradient by, or
        None when the norm is within it).  PyTorch's coefficient: max_norm / (norm + 1e-6)."""
        norm = self.global_norm()
        coef = max_norm / (norm + 1e-6)
        return norm, (coef if coef < 1.0 else None)

    def clip_global_norm(self, max_norm: float, factor: bool = False):
        """Scale every gradient in place so the global norm is at most ``max_norm``.

        Returns the norm before clipping, or with ``factor`` (norm, factor or None) as
        :meth:`clip_coefficient` gives them.
        """
        norm, coef = self.clip_coefficient(max_norm)
        if coef is not None:
            for g in (*self.weights, *self.bias):
                g *= coef
        return (norm, coef) if factor else norm

    def all_finite(self) -> bool:
        return math.isfinite(self.loss) and all(
            np.isfinite(g).all() for g in (*self.weights, *self.bias)
        )

    def __repr__(self) -> str:
        shapes = ", ".join(str(w.shape) for w in self.weights)
        return f"Gradients(loss={self.loss:.6g}, penalty={self.penalty:.6g}, weights {shapes})"


class Network:
    """A fully connected feed-forward network.

    Parameters
    ----------
    sizes : [n_inputs, hidden..., n_outputs]
    activations : one name per weight layer (len(sizes) - 1), see ``activations.ACTIVATIONS``
    loss : one of ``losses.LOSSES``
    init : initialiser name (``initializers.INITIALIZERS``); ``init_params`` its parameters
    seed : seeds the initial weights, the weights of later structural edits and dropout
    dtype : "float64" (default: exact gradients) or "float32"
    use_bias : one bool for all layers or one per layer
    l1, l2 : penalty rates: penalty = l1 Σ|W| + l2 · ½ Σ W² over every weight (not biases)
    dropout : one rate for every hidden layer or one per layer (the output layer's must be 0)
    """

    _layout: Layout | None = None  # (a network unpickled from before it had one)

    def __init__(
        self,
        sizes: Sequence[int],
        activations: Sequence[str],
        loss: str = "mse",
        init: str = "xavier_uniform",
        seed: int = 0,
        dtype: str = "float64",
        *,
        use_bias: bool | Sequence[bool] = True,
        init_params: dict | None = None,
        l1: float = 0.0,
        l2: float = 0.0,
        dropout: float | Sequence[float] = 0.0,
    ):
        sizes = [self._check_size(s, f"sizes[{k}]") for k, s in enumerate(sizes)]
        if len(sizes) < 2:
            raise ValueError("a network needs at least an input and an output layer (sizes)")
        if isinstance(activations, str) or len(activations) != len(sizes) - 1:
            raise ValueError(
                f"need {len(sizes) - 1} activations (one per weight layer), got {activations!r}"
            )
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        n_layers = len(sizes) - 1
        biases = [use_bias] * n_layers if isinstance(use_bias, bool) else list(use_bias)
        if len(biases) != n_layers:
            raise ValueError(f"use_bias needs {n_layers} values")
        if isinstance(dropout, (int, float)):
            drops = [float(dropout)] * (n_layers - 1) + [0.0]
        else:
            drops = list(dropout)
            if len(drops) != n_layers:
                raise ValueError(f"dropout needs {n_layers} values")
            if drops[-1]:
                raise ValueError("dropout applies to hidden layers, not the output layer")
        self.dtype = np.dtype(dtype)
        self.seed = int(seed)
        self.init = init
        self.init_params = _init.check(init, init_params)
        self.loss = loss
        self.l1 = l1
        self.l2 = l2
        self._edits = 0
        self._dropout_rng = np.random.default_rng([self.seed, 2])
        self._layout: Layout | None = None
        rng = np.random.default_rng(self.seed)
        self.layers: list[Layer] = []
        for i in range(n_layers):
            w = _init.initial_weights(init, rng, sizes[i], sizes[i + 1], self.init_params)
            self.layers.append(
                Layer(
                    w.astype(self.dtype),
                    np.zeros(sizes[i + 1], dtype=self.dtype),
                    activations[i],
                    use_bias=biases[i],
                    dropout=drops[i],
                )
            )
        self.layout()

    # ----------------------------------------------------------------- properties
    @staticmethod
    def _check_size(s, what: str) -> int:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1:
            raise ValueError(f"{what} must be a positive integer, got {s!r}")
        return int(s)

    @property
    def sizes(self) -> list[int]:
        return [self.layers[0].fan_in] + [layer.fan_out for layer in self.layers]

    @property
    def activations(self) -> list[str]:
        return [layer.activation for layer in self.layers]

    @property
    def loss(self) -> str:
        return self._loss

    @loss.setter
    def loss(self, name: str) -> None:
        self._loss = _losses.check(name)

    @property
    def l1(self) -> float:
        return self._l1

    @l1.setter
    def l1(self, rate: float) -> None:
        self._l1 = _check_rate("l1", rate)

    @property
    def l2(self) -> float:
        return self._l2

    @l2.setter
    def l2(self, rate: float) -> None:
        self._l2 = _check_rate("l2", rate)

    @property
    def n_parameters(self) -> int:
        """Trainable numbers: connections present plus biases switched on."""
        return sum(
            int(np.count_nonzero(layer.mask)) + (layer.fan_out if layer.use_bias else 0)
            for layer in self.layers
        )

    def __repr__(self) -> str:
        arch = "-".join(map(str, self.sizes))
        acts = ", ".join(self.activations)
        return f"Network({arch}, [{acts}], loss={self._loss!r}, dtype={self.dtype.name})"

    # ----------------------------------------------------------------- flat vectors
    def layout(self) -> Layout:
        """Where every parameter sits in the network's flat vectors, the layers' arrays views
        into them (made afresh after an edit replaced an array or switched a bias)."""
        lay = self._layout
        if lay is None or lay.stale or lay.order != self.layers:
            lay = self._layout = Layout(self.layers, self.dtype)
        return lay

    @property
    def flat(self) -> np.ndarray:
        """Every weight and bias in one vector (``layout().params``); the layers' arrays are
        views into it, so writing one writes the other."""
        return self.layout().params

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_layout"] = None  # a copy's layers are not views of this vector
        return state

    # ----------------------------------------------------------------- forward / backward
    def _as_input(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=self.dtype)
        if X.ndim == 1:
            X = X.reshape(1, -1)
        if X.ndim != 2 or X.shape[1] != self.layers[0].fan_in:
            raise ValueError(
                f"input has shape {X.shape}; the network takes (n, {self.layers[0].fan_in})"
            )
        return X

    def forward(self, X, training: bool = True) -> Trace:
        """Forward pass over X (n, sizes[0]); dropout is applied only when ``training``."""
        lay = self._layout
        if lay is None or lay.stale or lay.order != self.layers:
            lay = self.layout()
        if type(X) is np.ndarray and X.shape == lay.input_shape and X.dtype == self.dtype:
            x = X  # a shape checked before (the layout is new after an edit)
        else:
            x = self._as_input(X)
            lay.input_shape = x.shape
        traces = []
        dot = np.dot  # np.dot: same BLAS call as @, ~0.3 µs less per call
        for layer in self.layers:
            z = dot(x, layer._w)
            if layer._use_bias:
                z += layer._b
            fn = layer._fn
            parts = None
            if fn is _SIGMOID:  # keep e = exp(−|z|) for the fused bce
                a, e, pos = _act.sigmoid_parts(z)
                parts = (z, a, e, pos)
            else:
                a = fn.forward(z)
            p = layer._dropout
            if training and p:
                keep = (self._dropout_rng.random(a.shape) >= p).astype(self.dtype)
                keep *= 1.0 / (1.0 - p)
                lt = LayerTrace(x, z, a, keep)
                x = a * keep
            else:
                lt = LayerTrace(x, z, a)
                x = a
            lt._parts = parts
            traces.append(lt)
        return Trace(traces, training)

    def targets(self, Y) -> np.ndarray:
        """Y shaped (n, sizes[-1]) in the network's dtype (class indices become one-hot)."""
        return _losses.prepare_targets(Y, self.layers[-1].fan_out, self._loss, self.dtype)

    def _output_delta(self, out: LayerTrace, Y) -> tuple[float, np.ndarray]:
        last = self.layers[-1]
        units = last.fan_out
        if (
            self._loss == "cross_entropy"
            and units > 1
            and type(Y) is np.ndarray
            and Y.ndim == 1
            and Y.dtype.kind in "iu"
        ):  # class indices: no one-hot targets
            n = out.a.shape[0]
            if Y.shape[0] != n:
                raise ValueError(f"{Y.shape[0]} targets for {n} samples")
            _losses.check_indices(Y, units)
            return _losses.index_output_delta(last._fn, out.z, out.a, Y)
        y = self.targets(Y)
        if y.shape[0] != out.a.shape[0]:
            raise ValueError(f"{y.shape[0]} targets for {out.a.shape[0]} samples")
        parts = out._parts
        if (
            parts is not None
            and self._loss == "bce"
            and last._fn is _SIGMOID
            and parts[0] is out.z
            and parts[1] is out.a
        ):
            return _losses.bce_sigmoid_delta(out.z, out.a, y, parts[2], parts[3])
        return _losses.output_delta(self._loss, last._fn, out.z, out.a, y)

    def backward(self, trace: Trace, Y) -> Gradients:
        """Backpropagate the loss of ``trace``'s output against targets Y.

        Y: (n, sizes[-1]), or class indices (n,) for a multi-unit output.  The gradients are
        views into one new vector, ``Gradients.flat`` (see :class:`Gradients`).
        """
        tl = trace.layers
        loss, delta = self._output_delta(tl[-1], Y)
        lay = self.layout()
        layers = self.layers
        n_layers = len(layers)
        flat = np.empty(lay.size, self.dtype)
        g_w: list = [None] * n_layers
        g_b: list = [None] * n_layers
        deltas: list = [None] * n_layers
        l1, l2 = self._l1, self._l2
        penalty = 0.0
        removed = np.count_nonzero(lay.mask) != lay.size
        dot = np.dot
        reduce = np.add.reduce
        slots = lay.slots
        for i in range(n_layers - 1, -1, -1):
            layer = layers[i]
            lt = tl[i]
            deltas[i] = delta
            w0, w1, shape, b0, b1 = slots[i]
            gw = flat[w0:w1].reshape(shape)
            try:
                dot(lt.input.T, delta, out=gw)
            except ValueError:  # a trace of another dtype
                gw[...] = dot(lt.input.T, delta)
            if removed:
                mask = layer._m
                if np.count_nonzero(mask) != mask.size:
                    gw *= mask
            w = layer._w
            if l2:
                gw += l2 * w
                penalty += 0.5 * l2 * float(np.vdot(w, w))
            if l1:
                gw += l1 * np.sign(w)
                penalty += l1 * float(np.abs(w).sum())
            g_w[i] = gw
            gb = flat[b0:b1]
            if layer._use_bias:
                try:
                    reduce(delta, axis=0, out=gb)
                except (ValueError, TypeError):  # a trace of another dtype
                    gb[...] = reduce(delta, axis=0)
            else:
                gb[...] = 0
            g_b[i] = gb
            if i:
                prev = tl[i - 1]
                g = dot(delta, w.T)
                if prev.keep is not None:
                    g *= prev.keep
                delta = layers[i - 1]._fn.backward(prev.z, prev.a, g)
        return Gradients(loss, penalty, g_w, g_b, deltas, flat, lay)

    def predict(self, X) -> np.ndarray:
        """Output (n, sizes[-1]) without dropout."""
        x = self._as_input(X)
        for layer in self.layers:
            z = x @ layer.weights
            if layer.use_bias:
                z += layer.bias
            x = layer._fn.forward(z)
        return x

    def probabilities(self, X) -> np.ndarray:
        """Class probabilities (n, K) for classification losses (sigmoid/softmax of logits)."""
        return _losses.probabilities(self._loss, self.layers[-1].activation, self.predict(X))

    def evaluate(self, X, Y) -> float:
        """Data loss over X, Y without dropout (no gradients)."""
        return self.trace_loss(self.forward(X, training=False), Y)

    def trace_loss(self, trace: Trace, Y) -> float:
        """The data loss of ``trace``'s output against targets Y (what ``backward`` of that
        trace reports as ``Gradients.loss``), without backpropagating."""
        out = trace.layers[-1]
        return _losses.output_value(
            self._loss, self.layers[-1].activation, out.z, out.a, self.targets(Y)
        )

    def penalty(self) -> float:
        """The L1/L2 penalty of the current weights."""
        total = 0.0
        for layer in self.layers:
            w = layer.weights
            if self._l2:
                total += 0.5 * self._l2 * float(np.vdot(w, w))
            if self._l1:
                total += self._l1 * float(np.abs(w).sum())
        return total

    # ----------------------------------------------------------------- state
    def parameters(self) -> list[tuple[int, str, np.ndarray]]:
        """Every trainable array as (layer index, "weights" | "bias", array)."""
        out = []
        for i, layer in enumerate(self.layers):
            out.append((i, "weights", layer.weights))
            if layer.use_bias:
                out.append((i, "bias", layer.bias))
        return out

    def get_weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """A copy of every layer's (weights, bias)."""
        return [(layer.weights.copy(), layer.bias.copy()) for layer in self.layers]

    def set_weights(self, values: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:
        """Changes every layer's weights and bias (copied in, cast to the network's dtype)."""
        if len(values) != len(self.layers):
            raise ValueError(f"need {len(self.layers)} layers of weights, got {len(values)}")
        for i, ((w, b), layer) in enumerate(zip(values, self.layers)):
            w = np.asarray(w)
            b = np.asarray(b)
            if w.shape != layer.weights.shape or b.shape != layer.bias.shape:
                raise ValueError(
                    f"layer {i}: weights {w.shape} / bias {b.shape} do not match "
                    f"{layer.weights.shape} / {layer.bias.shape}"
                )
        for (w, b), layer in zip(values, self.layers):
            layer.weights[...] = w
            layer.bias[...] = b if layer.use_bias else 0
            if not layer.mask.all():
                layer.weights *= layer.mask

    def reinitialize(self) -> None:
        """Changes every weight back to a fresh draw from the seed (biases 0, masks kept).

        For the architecture as it is now: the same seed and sizes always give the same
        weights, so an unedited network returns exactly to its initial state.
        """
        rng = np.random.default_rng(self.seed)
        self._edits = 0
        self._dropout_rng = np.random.default_rng([self.seed, 2])
        for layer in self.layers:
            w = _init.initial_weights(self.init, rng, layer.fan_in, layer.fan_out, self.init_params)
            layer.weights = (w * layer.mask).astype(self.dtype)
            layer.bias = np.zeros(layer.fan_out, dtype=self.dtype)

    def rng_state(self) -> dict:
        """The dropout RNG's bit-generator state: a new dict of plain ints and strings
        (``{"bit_generator": "PCG64", "state": {"state": s, "inc": i}, "has_uint32": 0,
        "uinteger": 0}``), what :meth:`set_rng_state` takes back."""
        return self._dropout_rng.bit_generator.state

    def set_rng_state(self, state: dict) -> None:
        """Changes the dropout RNG to ``state`` (as :meth:`rng_state` gives it): the masks drawn
        next are those drawn after that state.  Raises ValueError naming the key
        ("dropout_rng.state.inc: ...") for a malformed state, and nothing changes then."""
        _state.set_rng_state(self._dropout_rng, state, "dropout_rng")

    def all_finite(self) -> bool:
        return all(
            np.isfinite(layer.weights).all() and np.isfinite(layer.bias).all()
            for layer in self.layers
        )

    def copy(self, dtype: str | None = None) -> Network:
        """An independent copy (optionally in another dtype)."""
        new = Network.__new__(Network)
        new.__dict__.update(self.__dict__)
        new._layout = None
        new.dtype = np.dtype(dtype) if dtype else self.dtype
        new.init_params = dict(self.init_params)
        new._dropout_rng = np.random.default_rng([self.seed, 2, self._edits])
        new.layers = [
            Layer(
                layer.weights.astype(new.dtype),
                layer.bias.astype(new.dtype),
                layer.activation,
                layer.mask.copy(),
                layer.use_bias,
                layer.dropout,
            )
            for layer in self.layers
        ]
        new.layout()
        return new

    # ----------------------------------------------------------------- structural edits
    def _new_weights(self, fan_in: int, fan_out: int, shape: tuple[int, int]) -> np.ndarray:
        # A fresh, reproducible stream per edit: the same edits give the same weights.
        self._edits += 1
        rng = np.random.default_rng([self.seed, 1, self._edits])
        w = _init.initial_weights(self.init, rng, fan_in, fan_out, self.init_params)
        return w[: shape[0], : shape[1]].astype(self.dtype)

    def _check_neuron_layer(self, k: int, hidden_only=False) -> int:
        last = len(self.layers)
        lo, hi = (1, last - 1) if hidden_only else (0, last)
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not lo <= k <= hi:
            what = "hidden layer" if hidden_only else "neuron layer"
            raise ValueError(f"{what} index must be in {lo}..{hi}, got {k!r}")
        return int(k)

    def add_neuron(self, k: int, index: int | None = None) -> int:
        """Changes the network: adds a neuron to neuron layer ``k`` at ``index`` (default: last).

        Its incoming weights are drawn with the network's initialiser, its outgoing weights
        too; every other weight is kept.  Returns the new neuron's index.
        """
        k = self._check_neuron_layer(k)
        size = self.sizes[k]
        index = size if index is None else int(index)
        if not 0 <= index <= size:
            raise ValueError(f"neuron index must be in 0..{size}, got {index}")
        if k > 0:  # incoming: a new column of layer k-1
            layer = self.layers[k - 1]
            col = self._new_weights(layer.fan_in, layer.fan_out + 1, (layer.fan_in, 1))
            layer.weights = np.insert(layer.weights, index, col[:, 0], axis=1)
            layer.bias = np.insert(layer.bias, index, 0)
            layer.mask = np.insert(layer.mask, index, True, axis=1)
        if k < len(self.layers):  # outgoing: a new row of layer k
            layer = self.layers[k]
            row = self._new_weights(layer.fan_in + 1, layer.fan_out, (1, layer.fan_out))
            layer.weights = np.insert(layer.weights, index, row[0], axis=0)
            layer.mask = np.insert(layer.mask, index, True, axis=0)
        self.layout()
        return index

    def remove_neuron(self, k: int, index: int) -> None:
        """Changes the network: removes neuron ``index`` of neuron layer ``k``, keeping the rest."""
        k = self._check_neuron_layer(k)
        size = self.sizes[k]
        if size <= 1:
            raise ValueError(f"layer {k} has a single neuron; remove the layer instead")
        if not 0 <= index < size:
            raise ValueError(f"neuron index must be in 0..{size - 1}, got {index}")
        if k > 0:
            layer = self.layers[k - 1]
            layer.weights = np.delete(layer.weights, index, axis=1)
            layer.bias = np.delete(layer.bias, index)
            layer.mask = np.delete(layer.mask, index, axis=1)
        if k < len(self.layers):
            layer = self.layers[k]
            layer.weights = np.delete(layer.weights, index, axis=0)
            layer.mask = np.delete(layer.mask, index, axis=0)
        self.layout()

    def insert_layer(self, k: int, size: int, activation: str, use_bias: bool = True) -> None:
        """Changes the network: inserts a hidden neuron layer of ``size`` at position ``k``.

        ``k`` in 1..len(sizes)-1: the new layer sits between neuron layers k-1 and k.  The
        weights into and out of it are new; every other layer keeps its weights.
        """
        k = self._check_neuron_layer(k)
        if k == 0:
            raise ValueError("a hidden layer cannot go before the input layer")
        size = self._check_size(size, "layer size")
        _act.get(activation)
        old = self.layers[k - 1]  # neuron layer k-1 -> k, becomes (k-1 -> new) + (new -> k)
        w_in = self._new_weights(old.fan_in, size, (old.fan_in, size))
        w_out = self._new_weights(size, old.fan_out, (size, old.fan_out))
        incoming = Layer(w_in, np.zeros(size, self.dtype), activation, use_bias=use_bias)
        old.weights = w_out
        old.mask = np.ones(w_out.shape, dtype=bool)
        self.layers.insert(k - 1, incoming)
        self.layout()

    def remove_layer(self, k: int) -> None:
        """Changes the network: removes hidden neuron layer ``k``.

        Its two sides merge into one new weight layer (neuron layer k-1 -> k+1) with the
        outgoing side's activation and bias; every other layer keeps its weights.
        """
        k = self._check_neuron_layer(k, hidden_only=True)
        incoming, outgoing = self.layers[k - 1], self.layers[k]
        outgoing.weights = self._new_weights(
            incoming.fan_in, outgoing.fan_out, (incoming.fan_in, outgoing.fan_out)
        )
        outgoing.mask = np.ones(outgoing.weights.shape, dtype=bool)
        del self.layers[k - 1]
        self.layout()

    def set_activation(self, i: int, name: str) -> None:
        """Changes layer ``i``'s activation (weights kept)."""
        self.layers[i].activation = name

    def set_use_bias(self, i: int, on: bool) -> None:
        """Changes whether layer ``i`` has a bias; turning it off zeroes the bias."""
        layer = self.layers[i]
        layer.use_bias = bool(on)
        if not on:
            layer.bias[...] = 0
        self.layout()

    def set_connection(self, i: int, r: int, c: int, enabled: bool, weight=None) -> None:
        """Changes connection r -> c of layer ``i``: removed (weight 0) or restored.

        A restored connection gets ``weight`` or, if None, a fresh draw from the initialiser.
        """
        layer = self.layers[i]
        if not (0 <= r < layer.fan_in and 0 <= c < layer.fan_out):
            raise ValueError(f"layer {i} has no connection {r} -> {c}")
        if enabled:
            if not layer.mask[r, c]:
                if weight is None:
                    weight = self._new_weights(layer.fan_in, layer.fan_out, (1, 1))[0, 0]
                layer.mask[r, c] = True
                layer.weights[r, c] = weight
        else:
            layer.mask[r, c] = False
            layer.weights[r, c] = 0

    def toggle_connection(self, i: int, r: int, c: int) -> bool:
        """Changes connection r -> c of layer ``i`` to the opposite state; returns the new one."""
        enabled = not bool(self.layers[i].mask[r, c])
        self.set_connection(i, r, c, enabled)
        return enabled

    def set_weight(self, i: int, r: int, c: int, value: float) -> None:
        """Changes one weight; a removed connection cannot take a weight."""
        layer = self.layers[i]
        if not (0 <= r < layer.fan_in and 0 <= c < layer.fan_out):
            raise ValueError(f"layer {i} has no connection {r} -> {c}")
        if not layer.mask[r, c]:
            raise ValueError(f"connection {r} -> {c} of layer {i} is removed; restore it first")
        value = float(value)
        if not math.isfinite(value):
            raise ValueError("a weight must be a finite number")
        layer.weights[r, c] = value

    def set_bias(self, i: int, j: int, value: float) -> None:
        """Changes the bias of neuron ``j`` of layer ``i`` (the layer's bias must be on)."""
        layer = self.layers[i]
        if not layer.use_bias:
            raise ValueError(f"layer {i} has its bias switched off")
        value = float(value)
        if not math.isfinite(value):
            raise ValueError("a bias must be a finite number")
        layer.bias[j] = value
