"""PyTorch script export: a readable script plus its .npz; run with torch where it is installed.

The script's check of its .npz needs no torch: :func:`check_weights_of` runs the statements of
the generated source that do not mention torch, so it is tested here either way.
"""

import ast
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simulator.engine import Network
from simulator.engine.activations import ACTIVATIONS
from simulator.project import Preprocessing, export_weights, load_weights
from simulator.project import weights as weights_module
from simulator.project.torch_script import TORCH_MODULES

REMOVED = [(0, 1, 2), (0, 2, 0), (1, 0, 0), (2, 3, 1)]


def make_net(hidden: str, output: str, dtype="float64", use_bias=True, loss="mse") -> Network:
    net = Network([3, 6, 5, 2], [hidden, hidden, output], loss, dtype=dtype, seed=0,
                  use_bias=use_bias)  # fmt: skip
    rng = np.random.default_rng(100)
    net.set_weights([(w * 2.0, rng.normal(size=b.shape)) for w, b in net.get_weights()])
    for i, r, c in REMOVED:
        net.set_connection(i, r, c, False)
    return net


def inputs(n: int, dtype="float64") -> np.ndarray:
    return (np.random.default_rng(n).normal(size=(n, 3)) * 5.0).astype(dtype)


def test_every_engine_activation_has_a_torch_module():
    assert set(TORCH_MODULES) == set(ACTIVATIONS)


def test_script_compiles_and_names_the_layers(tmp_path):
    net = make_net("gelu", "softmax", use_bias=[True, False, True], loss="cross_entropy")
    path = tmp_path / "model.py"
    export_weights(net, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz", "model.py"]
    source = path.read_text(encoding="utf-8")
    tree = compile(source, str(path), "exec", ast.PyCF_ONLY_AST)
    doc = ast.get_docstring(tree)
    assert "Network:     3-6-5-2" in doc
    assert "3 -> 6 gelu, 6 -> 5 gelu (no bias), 5 -> 2 softmax" in doc
    assert "Loss:        cross_entropy" in doc and "Dtype:       float64" in doc
    assert "model.npz" in doc
    for line in (
        "nn.Linear(3, 6),  # layer 0",
        'nn.GELU(approximate="tanh"),',
        "nn.Linear(6, 5, bias=False),  # layer 1",
        "nn.Linear(5, 2),  # layer 2",
        "nn.Softmax(dim=-1),",
        "DTYPE = torch.float64",
        'WEIGHTS = Path(__file__).resolve().with_name("model.npz")',
        "allow_pickle=False",
        "def build_model() -> nn.Sequential:",
        'if __name__ == "__main__":',
    ):
        assert line in source, line
    compile(source, str(path), "exec")
    # The sidecar is the plain .npz export of the same network.
    arch, layers = load_weights(tmp_path / "model.npz")
    assert arch["sizes"] == [3, 6, 5, 2]
    for layer, (w, b, mask) in zip(net.layers, layers, strict=True):
        assert np.array_equal(w, layer.weights) and np.array_equal(b, layer.bias)
        assert np.array_equal(mask, layer.mask)


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_script_modules_for_each_activation(activation, tmp_path):
    net = make_net(activation, activation, dtype="float32")
    export_weights(net, tmp_path / "m.py")
    source = (tmp_path / "m.py").read_text()
    compile(source, "m.py", "exec")
    assert source.count(TORCH_MODULES[activation] + ",") == 3
    assert "DTYPE = torch.float32" in source


def test_logits_output_is_explained(tmp_path):
    export_weights(make_net("relu", "linear", loss="bce"), tmp_path / "m.py")
    assert (
        "The output is logits: the loss applies sigmoid itself." in (tmp_path / "m.py").read_text()
    )
    export_weights(make_net("relu", "sigmoid", loss="bce"), tmp_path / "m.py")
    assert "logits" not in (tmp_path / "m.py").read_text()


@pytest.mark.parametrize("name", ['odd "name".py', "back\\slash.py", "naïve.py"])
def test_odd_file_names_still_compile(name, tmp_path):
    path = tmp_path / name
    export_weights(make_net("tanh", "sigmoid"), path)
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    weights = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and node.targets[0].id == "WEIGHTS"
    )
    assert weights.args[0].value == path.with_suffix(".npz").name
    assert (tmp_path / path.with_suffix(".npz").name).is_file()


# --------------------------------------------------------------------------- with torch


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_torch_model_predicts_what_the_engine_predicts(activation, dtype, tmp_path):
    torch = pytest.importorskip("torch")
    net = make_net(activation, activation, dtype=dtype, use_bias=[True, False, True])
    path = tmp_path / "model.py"
    export_weights(net, path)
    model = runpy.run_path(str(path))["build_model"]()
    assert not model.training
    for n in (1, 7):
        X = inputs(n, dtype)
        with torch.no_grad():
            got = model(torch.from_numpy(X)).numpy()
        assert got.dtype == np.dtype(dtype)
        tol = 1e-9 if dtype == "float64" else 1e-5
        np.testing.assert_allclose(got, net.predict(X), rtol=tol, atol=tol)


def test_torch_script_runs_as_a_program(tmp_path):
    pytest.importorskip("torch")
    net = make_net("silu", "sigmoid")
    export_weights(net, tmp_path / "model.py")
    result = subprocess.run(
        [sys.executable, "model.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    want = net.predict(np.zeros((1, 3)))[0]
    assert result.stdout.startswith("prediction for a zero input: [")
    got = [float(v) for v in result.stdout.split("[")[1].rstrip("]\n").split(",")]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_script_with_preprocessing_standardises_raw_inputs(tmp_path):
    from simulator.project import Preprocessing

    net = make_net("tanh", "linear")
    pre = Preprocessing(("area", "rooms", "age"), (120.5, 3.25, 40.0), (50.0, 1.5, 0.1 + 0.2))
    path = tmp_path / "model.py"
    export_weights(net, path, preprocessing=pre)
    source = path.read_text()
    tree = ast.parse(source)
    constants = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and node.targets[0].id.startswith("INPUT_")
    }
    assert constants == {
        "INPUT_NAMES": ["area", "rooms", "age"],
        "INPUT_MEANS": [120.5, 3.25, 40.0],
        "INPUT_STDS": [50.0, 1.5, 0.1 + 0.2],  # exact: repr round-trips
    }
    assert "Inputs, in order: area, rooms, age." in ast.get_docstring(tree)
    assert "takes the data file's raw values" in ast.get_docstring(tree)
    assert "        Standardize(),  # raw inputs" in source
    assert source.index("Standardize(),") < source.index("nn.Linear(3, 6)")
    assert "return (x - self.means) / self.stds" in source
    arch, _ = load_weights(tmp_path / "model.npz")
    assert arch["input_means"] == [120.5, 3.25, 40.0]
    # Without preprocessing the script is as before.
    export_weights(net, path)
    assert "Standardize" not in path.read_text() and "INPUT_" not in path.read_text()


def test_torch_model_with_preprocessing_takes_raw_inputs(tmp_path):
    torch = pytest.importorskip("torch")
    from simulator.project import Preprocessing

    net = make_net("tanh", "linear")
    pre = Preprocessing(None, (1.0, -2.0, 3.0), (2.0, 0.5, 4.0))
    export_weights(net, tmp_path / "model.py", preprocessing=pre)
    model = runpy.run_path(str(tmp_path / "model.py"))["build_model"]()
    raw = inputs(5)
    with torch.no_grad():
        got = model(torch.from_numpy(raw)).numpy()
    np.testing.assert_allclose(got, net.predict(pre.apply(raw)), rtol=1e-9, atol=1e-9)


# --------------------------------------------------------------------------- script and .npz


def check_weights_of(script: Path):
    """The generated ``check_weights`` of ``script``, from its statements that need no torch."""
    tree = ast.parse(script.read_text(encoding="utf-8"))
    keep = []
    for node in tree.body:
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        modules = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
        if names & {"torch", "nn"} or any(m.split(".")[0] == "torch" for m in modules):
            continue
        keep.append(node)
    namespace = {"__file__": str(script), "__name__": "exported"}
    exec(compile(ast.Module(body=keep, type_ignores=[]), str(script), "exec"), namespace)
    assert "ARCHITECTURE" in namespace
    return namespace["check_weights"]


def stopped_after_the_npz(monkeypatch, net, path, **kwargs):
    """Export ``net`` as ``path`` but stop (as a kill would) before the script is written."""

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(weights_module, "write_text_atomic", killed)
        with pytest.raises(KeyboardInterrupt):
            export_weights(net, path, **kwargs)


def test_build_model_checks_the_weights_before_anything_else(tmp_path):
    export_weights(make_net("tanh", "sigmoid"), tmp_path / "model.py")
    source = (tmp_path / "model.py").read_text()
    body = source.split("def build_model() -> nn.Sequential:\n")[1].splitlines()
    assert body[1] == "    check_weights()"  # after the docstring, before any torch
    assert "ARCHITECTURE = {\n" in source and '    "sizes": [3, 6, 5, 2],\n' in source
    check_weights_of(tmp_path / "model.py")()  # its own .npz passes


def test_weights_retrained_for_the_same_network_still_load(tmp_path, monkeypatch):
    net = make_net("relu", "linear")
    export_weights(net, tmp_path / "model.py")
    net.set_weights([(w + 1.0, b - 1.0) for w, b in net.get_weights()])
    stopped_after_the_npz(monkeypatch, net, tmp_path / "model.py")
    assert load_weights(tmp_path / "model.npz")[1][0][0][0, 0] == net.layers[0].weights[0, 0]
    check_weights_of(tmp_path / "model.py")()  # the old script, the new weights: the same net
    export_weights(net, tmp_path / "model.npz")  # a plain .npz export beside it: the same
    check_weights_of(tmp_path / "model.py")()


def test_a_script_left_beside_weights_of_another_network_refuses_them(tmp_path, monkeypatch):
    export_weights(make_net("tanh", "sigmoid"), tmp_path / "model.py")
    old_npz = (tmp_path / "model.npz").read_bytes()
    other = Network([3, 8, 2], ["tanh", "sigmoid"], "mse", seed=1)
    stopped_after_the_npz(monkeypatch, other, tmp_path / "model.py")
    check = check_weights_of(tmp_path / "model.py")
    with pytest.raises(RuntimeError) as info:
        check()
    assert str(info.value) == (
        "model.npz holds weights for another network than model.py builds: sizes [3, 8, 2] "
        "there, [3, 6, 5, 2] here. Export the PyTorch script again: it writes both files."
    )
    # The other way round: a new script beside the old .npz.
    export_weights(other, tmp_path / "model.py")
    (tmp_path / "model.npz").write_bytes(old_npz)
    with pytest.raises(RuntimeError, match=r"sizes \[3, 6, 5, 2\] there, \[3, 8, 2\] here"):
        check_weights_of(tmp_path / "model.py")()
    # Exported again, the pair agrees.
    export_weights(other, tmp_path / "model.py")
    check_weights_of(tmp_path / "model.py")()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hidden": "relu"}, "activations ['relu', 'relu', 'sigmoid'] there, ['tanh', 'tanh', "),
        ({"use_bias": [True, False, True]}, "use_bias [True, False, True] there, [True, True,"),
        ({"dtype": "float32"}, "dtype 'float32' there, 'float64' here"),
        ({"loss": "bce"}, "loss 'bce' there, 'mse' here"),
        ({"means": (0.0, 0.0, 1.0)}, "input_means [0.0, 0.0, 1.0] there, [0.0, 0.0, 0.0] here"),
        ({"names": ("a", "b", "d")}, "input_names ['a', 'b', 'd'] there, ['a', 'b', 'c'] here"),
        ({"preprocessing": None}, "input_names (none) there, ['a', 'b', 'c'] here"),
    ],
)
def test_the_refusal_names_what_differs(tmp_path, monkeypatch, change, message):
    def network(hidden="tanh", means=(0.0, 0.0, 0.0), names=("a", "b", "c"), **kwargs):
        pre = kwargs.pop("preprocessing", Preprocessing(names, means, (1.0, 2.0, 3.0)))
        return make_net(hidden, "sigmoid", **kwargs), pre

    net, pre = network()
    export_weights(net, tmp_path / "model.py", preprocessing=pre)
    net, pre = network(**change)
    stopped_after_the_npz(monkeypatch, net, tmp_path / "model.py", preprocessing=pre)
    with pytest.raises(RuntimeError) as info:
        check_weights_of(tmp_path / "model.py")()
    assert message in str(info.value)


def test_a_script_without_preprocessing_refuses_weights_with_it(tmp_path, monkeypatch):
    net = make_net("tanh", "sigmoid")
    export_weights(net, tmp_path / "model.py")
    pre = Preprocessing(None, (1.0, 2.0, 3.0), (1.0, 1.0, 1.0))
    stopped_after_the_npz(monkeypatch, net, tmp_path / "model.py", preprocessing=pre)
    with pytest.raises(RuntimeError, match=r"input_means \[1.0, 2.0, 3.0\] there, \(none\) here"):
        check_weights_of(tmp_path / "model.py")()


def test_torch_build_model_refuses_weights_of_another_network(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    export_weights(make_net("tanh", "sigmoid"), tmp_path / "model.py")
    other = Network([3, 8, 2], ["tanh", "sigmoid"], "mse", seed=1)
    stopped_after_the_npz(monkeypatch, other, tmp_path / "model.py")
    with pytest.raises(RuntimeError, match="Export the PyTorch script again"):
        runpy.run_path(str(tmp_path / "model.py"))["build_model"]()


def test_modules_torch_lacks_are_defined_only_where_used(tmp_path):
    export_weights(make_net("step", "gaussian"), tmp_path / "m.py")
    source = (tmp_path / "m.py").read_text()
    compile(source, "m.py", "exec")
    assert source.count("class Step(nn.Module):") == 1
    assert source.count("class Gaussian(nn.Module):") == 1
    assert "torch.relu(torch.sign(z))" in source and "class Sine" not in source
    export_weights(make_net("tanh", "sine"), tmp_path / "m.py")
    source = (tmp_path / "m.py").read_text()
    assert "class Sine(nn.Module):" in source and "class Step" not in source


def test_torch_passes_no_gradient_through_a_step_layer(tmp_path):
    # As in the engine: the step layer's own parameters and those below it get zero gradients.
    torch = pytest.importorskip("torch")
    net = make_net("step", "linear")
    export_weights(net, tmp_path / "model.py")
    model = runpy.run_path(str(tmp_path / "model.py"))["build_model"]()
    X = inputs(7)
    Y = np.random.default_rng(5).normal(size=(7, 2))
    out = model(torch.from_numpy(X))
    ((out - torch.from_numpy(Y)) ** 2).mean().backward()
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    for linear in linears[:2]:
        assert not linear.weight.grad.any() and not linear.bias.grad.any()
    grads = net.backward(net.forward(X, training=False), Y)
    # The engine holds a removed connection's gradient at 0; PyTorch's zero weight still has one.
    got = linears[2].weight.grad.numpy() * net.layers[2].mask.T
    np.testing.assert_allclose(got, grads.weights[2].T, rtol=1e-12, atol=1e-15)
