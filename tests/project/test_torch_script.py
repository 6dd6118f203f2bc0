"""PyTorch script export: a readable script plus its .npz; run with torch where it is installed."""

import ast
import runpy
import subprocess
import sys

import numpy as np
import pytest

from simulator.engine import Network
from simulator.engine.activations import ACTIVATIONS
from simulator.project import export_weights, load_weights
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
