"""A network as a readable PyTorch script that rebuilds it as ``torch.nn.Sequential``.

The script loads its weights from a ``.npz`` export beside it (``allow_pickle=False``), folds the
masks in, transposes each (fan_in, fan_out) matrix into ``nn.Linear``'s (out, in) layout and sets
the network's dtype.  Every engine activation has a PyTorch module with the same formula and
constants (the engine follows PyTorch's definitions), listed in TORCH_MODULES; the three that
torch.nn lacks (sine, Gaussian, step) are small modules defined in the script (TORCH_CLASSES),
each only where the network uses it.  The step is ``relu(sign(z))``: 1 for z > 0, else 0, and
autograd's derivative of it is 0 everywhere, the engine's, so the script shows the same thing
the lab does: no gradient passes a step layer.

With a standardising :class:`~simulator.project.weights.Preprocessing` the script holds
``INPUT_NAMES``, ``INPUT_MEANS`` and ``INPUT_STDS`` and the model's first module is
``Standardize``, which computes ``(x - INPUT_MEANS) / INPUT_STDS``: ``build_model()`` takes
the raw values of the data file's columns.

The script and its ``.npz`` are two files written one after the other, so an export stopped
between them (or a ``.npz`` replaced by hand) can leave a script beside weights of another
network.  The script therefore holds ``ARCHITECTURE``, the ``.npz``'s ``architecture`` as it
was exported with it, and ``build_model()`` first calls ``check_weights()``, which compares
the two (before torch is needed) and raises a RuntimeError naming the first entry that
differs: sizes, activations, biases, loss, dtype or the inputs' names and standardisation.
Weights retrained for the same network still load, so a ``.npz`` exported again on its own
keeps working; anything else asks for the script to be exported again.
"""

from __future__ import annotations

import json

from simulator.engine import activations as _act
from simulator.engine import losses as _losses
from simulator.engine.network import Network
from simulator.project.weights import Preprocessing, architecture, layer_summary

TORCH_MODULES = {
    "linear": "nn.Identity()",
    "sigmoid": "nn.Sigmoid()",
    "tanh": "nn.Tanh()",
    "relu": "nn.ReLU()",
    "leaky_relu": f"nn.LeakyReLU(negative_slope={_act.LEAKY_SLOPE!r})",
    "elu": f"nn.ELU(alpha={_act.ELU_ALPHA!r})",
    "gelu": 'nn.GELU(approximate="tanh")',
    "softplus": f"nn.Softplus(beta=1.0, threshold={_act.SOFTPLUS_THRESHOLD!r})",
    "silu": "nn.SiLU()",
    "mish": "nn.Mish()",
    "softsign": "nn.Softsign()",
    "sine": "Sine()",
    "gaussian": "Gaussian()",
    "step": "Step()",
    "softmax": "nn.Softmax(dim=-1)",
}
TORCH_CLASSES = {
    "sine": '''

class Sine(nn.Module):
    """sin z, element-wise."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sin(z)
''',
    "gaussian": '''

class Gaussian(nn.Module):
    """exp(-z²), element-wise."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.exp(-(z * z))
''',
    "step": '''

class Step(nn.Module):
    """1 for z > 0, else 0, as relu(sign(z)): autograd's derivative is 0 everywhere, so no
    gradient passes this module and backprop cannot train the layers before it."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.relu(torch.sign(z))
''',
}
TORCH_DTYPES = {"float64": "torch.float64", "float32": "torch.float32"}

_TEMPLATE = '''\
"""PyTorch version of a Backprop Lab network (generated; edit freely).

Network:     {arch}
Layers:      {layers}
Loss:        {loss} (used in training; not part of the model){logits}
Dtype:       {dtype}
Weights:     {weights_doc} beside this file (removed connections are zero weights)

Run this file with Python (it needs torch and numpy) to print the prediction for a zero input,
or import it and call build_model().  Further training in PyTorch does not keep removed
connections at zero.{inputs_doc}
"""

import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

WEIGHTS = Path(__file__).resolve().with_name({weights_literal})
DTYPE = {torch_dtype}
{constants}

# The network this script builds, as its .npz describes it (see check_weights).
ARCHITECTURE = {{
{architecture}
}}
{check}

def build_model() -> nn.Sequential:
    """The network with its trained weights, in evaluation mode."""
    check_weights()
    model = nn.Sequential(
{modules}
    ).to(DTYPE)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    with np.load(WEIGHTS, allow_pickle=False) as archive, torch.no_grad():
        for i, linear in enumerate(linears):
            # Backprop Lab stores (fan_in, fan_out); nn.Linear holds (out, in).
            weights = archive[f"layers.{{i}}.weights"] * archive[f"layers.{{i}}.mask"]
            linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(weights.T)))
            if linear.bias is not None:
                linear.bias.copy_(torch.from_numpy(archive[f"layers.{{i}}.bias"]))
    return model.eval()


if __name__ == "__main__":
    model = build_model()
    x = torch.zeros(1, {n_inputs}, dtype=DTYPE)
    with torch.no_grad():
        print("prediction for a zero input:", model(x)[0].tolist())
'''


_CHECK = '''

def check_weights(path: Path = WEIGHTS) -> None:
    """Refuse weights exported for another network than this script builds.

    The script and its .npz are written one after the other: an export stopped between the
    two, or a .npz replaced by hand, can leave weights this model would load wrongly or not
    at all.  Weights retrained for the same network pass.
    """
    with np.load(path, allow_pickle=False) as archive:
        found = json.loads(str(archive["architecture"]))
    extra = [key for key in found if key.startswith("input_") and key not in ARCHITECTURE]
    for key in [*ARCHITECTURE, *extra]:
        theirs, ours = found.get(key), ARCHITECTURE.get(key)
        if theirs != ours:
            raise RuntimeError(
                f"{path.name} holds weights for another network than "
                f"{Path(__file__).name} builds: {key} {_brief(theirs)} there, "
                f"{_brief(ours)} here. Export the PyTorch script again: it writes both files."
            )


def _brief(value) -> str:
    text = "(none)" if value is None else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
'''


_STANDARDIZE = '''

class Standardize(nn.Module):
    """(x - INPUT_MEANS) / INPUT_STDS: the standardisation the network was trained with."""

    def __init__(self):
        super().__init__()
        self.register_buffer("means", torch.tensor(INPUT_MEANS, dtype=torch.float64))
        self.register_buffer("stds", torch.tensor(INPUT_STDS, dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.means) / self.stds
'''


def torch_script_source(
    net: Network, weights_file: str, preprocessing: Preprocessing | None = None
) -> str:
    """The script's text; it loads ``weights_file`` (a .npz export) from its own folder.

    With a standardising ``preprocessing`` the model standardises raw inputs first.
    Raises ValueError for an activation with no PyTorch module here (none today).
    """
    modules = []
    constants = ""
    inputs_doc = ""
    # The constants already in the script stand for themselves: one copy of 10,000 means.
    names = {"input_names": "INPUT_NAMES", "input_means": "INPUT_MEANS", "input_stds": "INPUT_STDS"}
    arch = "\n".join(
        f"    {json.dumps(key)}: {names[key] if key in names else _literal(value)},"
        for key, value in architecture(net, preprocessing).items()
    )
    if preprocessing is not None and preprocessing.names is not None:
        constants += f"INPUT_NAMES = {list(preprocessing.names)!r}\n"
        listed = ", ".join(preprocessing.names)
        if any(ch in listed for ch in '"\\') or not listed.isprintable():
            listed = "see INPUT_NAMES"  # they would end or alter the docstring
        inputs_doc = f"\n\nInputs, in order: {listed}."
    if preprocessing is not None and preprocessing.standardizes:
        constants += f"INPUT_MEANS = {[float(m) for m in preprocessing.means]!r}\n"
        constants += f"INPUT_STDS = {[float(x) for x in preprocessing.stds]!r}\n"
        constants += _STANDARDIZE
        modules.append("        Standardize(),  # raw inputs -> what the network was trained on")
        inputs_doc += (
            "\nThe model takes the data file's raw values: its first module, Standardize, "
            "computes\n(x - INPUT_MEANS) / INPUT_STDS."
        )
    for name in dict.fromkeys(layer.activation for layer in net.layers):
        constants += TORCH_CLASSES.get(name, "")
    for i, layer in enumerate(net.layers):
        module = TORCH_MODULES.get(layer.activation)
        if module is None:
            raise ValueError(f"layer {i}: no PyTorch form for the activation {layer.activation!r}")
        bias = "" if layer.use_bias else ", bias=False"
        modules.append(f"        nn.Linear({layer.fan_in}, {layer.fan_out}{bias}),  # layer {i}")
        modules.append(f"        {module},")
    logits = ""
    if _losses.reads_logits(net.loss, net.layers[-1].activation):
        squash = "sigmoid" if net.loss == "bce" else "softmax"
        logits = f"\n             The output is logits: the loss applies {squash} itself."
    # The name also appears in the docstring, where quotes or backslashes would end or alter it.
    plain = not any(ch in weights_file for ch in '"\\')
    return _TEMPLATE.format(
        arch="-".join(map(str, net.sizes)),
        layers=layer_summary(net),
        loss=net.loss,
        logits=logits,
        dtype=net.dtype.name,
        weights=weights_file,
        weights_literal=f'"{weights_file}"'
        if plain and weights_file.isprintable()
        else repr(weights_file),
        weights_doc=weights_file if plain else "the .npz named in WEIGHTS",
        torch_dtype=TORCH_DTYPES[net.dtype.name],
        modules="\n".join(modules),
        constants=constants,
        architecture=arch,
        check=_CHECK,
        inputs_doc=inputs_doc,
        n_inputs=net.sizes[0],
    )


def _literal(value) -> str:
    """``value`` (names, numbers, booleans and lists of them) as Python source, strings in
    double quotes like the rest of the script."""
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)  # an activation, loss or dtype name: a Python literal too
    return repr(value)
