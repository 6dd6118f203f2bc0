"""A network as an ONNX model (opset 17), built with ``onnx.helper``; ``onnx`` loads on first use.

The graph takes ``input`` [batch, sizes[0]] and gives ``output`` [batch, sizes[-1]], with every
tensor in the network's dtype (float64 -> DOUBLE, float32 -> FLOAT).  Layer i is
``MatMul(x, layers.{i}.weights)`` (removed connections folded in as zeros), then
``Add(layers.{i}.bias)`` when the layer has a bias, then its activation.

With a standardising :class:`~simulator.project.weights.Preprocessing` the graph starts with
``Div(Sub(input, input_means), input_stds)``: the model then takes the raw values of the data
file's columns, and its doc_string says so.  The metadata_props then also hold
``input_names``, ``input_means`` and ``input_stds`` (JSON arrays) and ``preprocessing`` (a
sentence); names alone (no standardisation) add ``input_names`` only.

Activations follow simulator/engine/activations.py formula for formula, constants included, and
are spelled with plain operators wherever ONNX's own would differ or lacks a double kernel in
common runtimes: its Softplus has no threshold, its LeakyRelu/Elu take float32 attributes,
opset 17 has no Gelu or Mish (Mish is built from a stable softplus, Tanh and Mul), and Softsign
has no double kernel in onnxruntime (built from Abs, Add and Div).  Sine is Sin, Gaussian
Exp(Neg(Mul(z, z))), and the step is Cast(Greater(z, 0)) to the model's dtype.
"""

from __future__ import annotations

import json

import numpy as np

from simulator import __version__
from simulator.engine import activations as _act
from simulator.engine.network import Network
from simulator.project.weights import (
    WEIGHTS_FORMAT,
    Preprocessing,
    architecture,
    layer_summary,
)

OPSET = 17
INPUT_NAME = "input"
OUTPUT_NAME = "output"
BATCH = "batch"


class _GraphBuilder:
    """Nodes and scalar constants (initializers, made once each) in one dtype."""

    def __init__(self, helper, numpy_helper, dtype: np.dtype):
        self.helper = helper
        self.numpy_helper = numpy_helper
        self.dtype = dtype
        self.nodes: list = []
        self.initializers: list = []
        self._constants: set[str] = set()

    def array(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(self.numpy_helper.from_array(value.astype(self.dtype), name))
        return name

    def const(self, name: str, value: float) -> str:
        if name not in self._constants:
            self._constants.add(name)
            self.array(name, np.array(value, dtype=self.dtype))
        return name

    def op(self, op_type: str, inputs: list[str], output: str, **attrs) -> str:
        self.nodes.append(self.helper.make_node(op_type, inputs, [output], name=output, **attrs))
        return output


# Each writes f(z) into ``out``; ``p`` prefixes the names of intermediate tensors.
def _linear(g: _GraphBuilder, z: str, out: str, p: str) -> None:
    g.op("Identity", [z], out)


def _native(op_type: str, **attrs):
    def build(g: _GraphBuilder, z: str, out: str, p: str) -> None:
        g.op(op_type, [z], out, **attrs)

    return build


def _leaky_relu(g: _GraphBuilder, z: str, out: str, p: str) -> None:
    # where(z > 0, z, slope z), slope in the model's dtype (LeakyRelu's alpha is float32).
    positive = g.op("Greater", [z, g.const("zero", 0.0)], p + "positive")
    scaled = g.op("Mul", [z, g.const("leaky_relu.slope", _act.LEAKY_SLOPE)], p + "scaled")
    g.op("Where", [positive, z, scaled], out)


def _elu(g: _GraphBuilder, z: str, out: str, p: str) -> None:
    # where(z > 0, z, alpha (e^min(z, 0) - 1))
    positive = g.op("Greater", [z, g.const("zero", 0.0)], p + "positive")
    low = g.op("Min", [z, g.const("zero", 0.0)], p + "negative_part")
    e = g.op("Exp", [low], p + "exp")
    em1 = g.op("Sub", [e, g.const("one", 1.0)], p + "expm1")
    neg = g.op("Mul", [g.const("elu.alpha", _act.ELU_ALPHA), em1], p + "scaled")
    g.op("Where", [positive, z, neg], out)


def _softplus(g: _GraphBuilder, z: str, out: str, p: str) -> None:
    # where(z > 20, z, ln(1 + e^min(z, 20))): PyTorch's threshold, which ONNX's Softplus lacks.
    threshold = g.const("softplus.threshold", _act.SOFTPLUS_THRESHOLD)
    above = g.op("Greater", [z, threshold], p + "above_threshold")
    low = g.op("Min", [z, threshold], p + "clipped")
    e = g.op("Exp", [low], p + "exp")
    onep = g.op("Add", [g.const("one", 1.0), e], p + "one_plus_exp")
    soft = g.op("Log", [onep], p + "log")
    g.op("Where", [above, z, soft], out)


def _gelu(g: _GraphBuilder, z: str, out: str, p: str) -> None:
    # ½ z (1 + tanh(k (z + c z³))), k = √(2/π), c = 0.044715, in the engine's order of operations.
    c = g.const("gelu.c", _act.GELU_C)
    cz = g.op("Mul", [c, z], p + "cz")
    cz2 = g.op("Mul", [cz, z], p + "cz2")
    cz3 = g.op("Mul", [cz2, z], p + "cz3")
    inner = g.op("Add", [z, cz3], p + "inner")
    scaled = g.op("Mul", [g.const("gelu.k", _act.GELU_K), inner], p + "scaled")
    t = g.op("Tanh", [scaled], p + "tanh")
    onep = g.op("Add", [g.const("one", 1.0), t], p + "one_plus_tanh")
    half_z = g.op("Mul", [g.const("half", 0.5), z], p + "half_z")
    g.op("Mul", [half_z, onep], out)


def _silu(g: _GraphBuilder, z: str, out: str, p: str) -> None:
    s = g.op("Sigmoid", [z], p + "sigmoid")
    g.op("Mul", [z, s], out)


def _mish(g: _GraphBuilder, z: str, out: str, p: str) -> None:
    # z tanh(max(z, 0) + ln(1 + e^-|z|)): the engine's softplus without a threshold, as Mish's.
    positive_part = g.op("Max", [z, g.const("zero", 0.0)], p + "positive_part")
    magnitude = g.op("Abs", [z], p + "abs")
    neg = g.op("Neg", [magnitude], p + "neg_abs")
    e = g.op("Exp", [neg], p + "exp")
    onep = g.op("Add", [g.const("one", 1.0), e], p + "one_plus_exp")
    log = g.op("Log", [onep], p + "log")
    softplus = g.op("Add", [positive_part, log], p + "softplus")
    t = g.op("Tanh", [softplus], p + "tanh")
    g.op("Mul", [z, t], out)


def _softsign(g: _GraphBuilder, z: str, out: str, p: str) -> None:
    # z / (1 + |z|)
    magnitude = g.op("Abs", [z], p + "abs")
    denominator = g.op("Add", [g.const("one", 1.0), magnitude], p + "one_plus_abs")
    g.op("Div", [z, denominator], out)


def _gaussian(g: _GraphBuilder, z: str, out: str, p: str) -> None:
    # e^-(z z)
    square = g.op("Mul", [z, z], p + "square")
    neg = g.op("Neg", [square], p + "neg_square")
    g.op("Exp", [neg], out)


def _step(g: _GraphBuilder, z: str, out: str, p: str) -> None:
    # 1 where z > 0, else 0, in the model's dtype.
    positive = g.op("Greater", [z, g.const("zero", 0.0)], p + "positive")
    to = g.helper.np_dtype_to_tensor_dtype(g.dtype)
    g.op("Cast", [positive], out, to=to)


ACTIVATION_BUILDERS = {
    "linear": _linear,
    "sigmoid": _native("Sigmoid"),
    "tanh": _native("Tanh"),
    "relu": _native("Relu"),
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "gelu": _gelu,
    "softplus": _softplus,
    "silu": _silu,
    "mish": _mish,
    "softsign": _softsign,
    "sine": _native("Sin"),
    "gaussian": _gaussian,
    "step": _step,
    "softmax": _native("Softmax", axis=-1),
}


def onnx_model(net: Network, preprocessing: Preprocessing | None = None):
    """An ``onnx.ModelProto`` computing ``net.predict``, checked with ``full_check``.

    Its metadata_props hold ``format`` and ``architecture`` (the JSON of ``weights.architecture``).
    With a standardising ``preprocessing`` it computes ``net.predict(preprocessing.apply(x))``
    for raw ``x``.

    Raises ValueError for an activation this module cannot express (none today), or for a
    preprocessing that does not have one entry per input.
    """
    import onnx
    from onnx import helper, numpy_helper

    arch = architecture(net, preprocessing)  # checks the preprocessing's length
    dtype = np.dtype(net.dtype)
    elem = helper.np_dtype_to_tensor_dtype(dtype)
    g = _GraphBuilder(helper, numpy_helper, dtype)
    x = INPUT_NAME
    standardizes = preprocessing is not None and preprocessing.standardizes
    if standardizes:
        means = g.array("input_means", np.asarray(preprocessing.means, dtype=np.float64))
        stds = g.array("input_stds", np.asarray(preprocessing.stds, dtype=np.float64))
        centred = g.op("Sub", [x, means], "input.centred")
        x = g.op("Div", [centred, stds], "input.standardized")
    last = len(net.layers) - 1
    for i, layer in enumerate(net.layers):
        build = ACTIVATION_BUILDERS.get(layer.activation)
        if build is None:
            raise ValueError(f"layer {i}: no ONNX form for the activation {layer.activation!r}")
        p = f"layers.{i}."
        w = g.array(p + "weights", np.where(layer.mask, layer.weights, 0))
        z = g.op("MatMul", [x, w], p + ("matmul" if layer.use_bias else "z"))
        if layer.use_bias:
            z = g.op("Add", [z, g.array(p + "bias", layer.bias)], p + "z")
        out = OUTPUT_NAME if i == last else p + "a"
        build(g, z, out, p + layer.activation + ".")
        x = out
    sizes = net.sizes
    description = (
        f"Backprop Lab network {'-'.join(map(str, sizes))}: {layer_summary(net)}; loss {net.loss}"
    )
    props = {"format": WEIGHTS_FORMAT, "architecture": json.dumps(arch)}
    if preprocessing is not None:
        props.update({key: json.dumps(value) for key, value in preprocessing.to_dict().items()})
    if standardizes:
        note = (
            "The model takes raw inputs: its first nodes compute (input - input_means) / "
            "input_stds, the standardisation the network was trained with."
        )
        description += ". " + note
        props["preprocessing"] = note
    graph = helper.make_graph(
        g.nodes,
        "backprop_lab_network",
        [helper.make_tensor_value_info(INPUT_NAME, elem, [BATCH, sizes[0]])],
        [helper.make_tensor_value_info(OUTPUT_NAME, elem, [BATCH, sizes[-1]])],
        initializer=g.initializers,
        doc_string=description,
    )
    opset = [helper.make_opsetid("", OPSET)]
    model = helper.make_model(
        graph,
        opset_imports=opset,
        ir_version=helper.find_min_ir_version_for(opset),
        producer_name="backprop-lab",
        producer_version=__version__,
        doc_string=description,
    )
    helper.set_model_props(model, props)
    onnx.checker.check_model(model, full_check=True)
    return model
