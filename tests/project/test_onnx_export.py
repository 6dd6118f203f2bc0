"""ONNX export: every activation, masks and biases off, run by onnxruntime against the engine."""

import json

import numpy as np
import pytest

from simulator.engine import Network
from simulator.engine.activations import ACTIVATIONS, SOFTPLUS_THRESHOLD
from simulator.project import architecture, export_weights
from simulator.project.onnx_export import ACTIVATION_BUILDERS

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

TOLERANCE = {"float64": 1e-9, "float32": 1e-5}
REMOVED = [(0, 1, 2), (0, 2, 0), (1, 0, 0), (1, 4, 3), (2, 3, 1)]


def make_net(hidden: str, output: str, dtype: str, use_bias=True, seed=0) -> Network:
    """3-6-5-2 with random weights and biases large enough to reach every branch, and masks."""
    net = Network(
        [3, 6, 5, 2], [hidden, hidden, output], "mse", dtype=dtype, seed=seed, use_bias=use_bias
    )
    rng = np.random.default_rng(seed + 100)
    net.set_weights([(w * 2.0, rng.normal(size=b.shape)) for w, b in net.get_weights()])
    for i, r, c in REMOVED:
        net.set_connection(i, r, c, False)
    return net


def inputs(n: int, dtype: str, seed=1) -> np.ndarray:
    return (np.random.default_rng(seed).normal(size=(n, 3)) * 5.0).astype(dtype)


def run_onnx(path, X: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (inp,) = session.get_inputs()
    (out,) = session.get_outputs()
    assert (inp.name, out.name) == ("input", "output")
    (result,) = session.run(None, {"input": X})
    return result


def export_and_check(net: Network, tmp_path, name="net.onnx"):
    path = tmp_path / name
    export_weights(net, path)
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    return path, model


def assert_close(got, want, dtype):
    assert got.dtype == np.dtype(dtype) and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])


def test_every_engine_activation_has_an_onnx_form():
    assert set(ACTIVATION_BUILDERS) == set(ACTIVATIONS)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_onnx_predicts_what_the_engine_predicts(activation, dtype, tmp_path):
    # The activation in both hidden layers and on the output.
    net = make_net(activation, activation, dtype)
    path, _ = export_and_check(net, tmp_path)
    for n in (1, 7):  # the batch dimension is dynamic
        X = inputs(n, dtype, seed=n)
        assert_close(run_onnx(path, X), net.predict(X), dtype)
        assert_close(run_onnx(path, X), net.forward(X, training=False).output, dtype)


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_onnx_activation_as_hidden_layer_under_another_output(activation, tmp_path):
    net = make_net(activation, "softmax" if activation != "softmax" else "linear", "float64")
    path, _ = export_and_check(net, tmp_path)
    X = inputs(7, "float64")
    assert_close(run_onnx(path, X), net.predict(X), "float64")


def test_inputs_reach_every_branch():
    # Softplus switches to z above 20, the kinked activations change at 0: both sides are met.
    net = make_net("softplus", "softplus", "float64")
    trace = net.forward(inputs(7, "float64", seed=7), training=False)
    z = np.concatenate([layer.z.ravel() for layer in trace.layers])
    assert (z > SOFTPLUS_THRESHOLD).any() and ((z > 0) & (z < SOFTPLUS_THRESHOLD)).any()
    assert (z < 0).any()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_onnx_without_biases(dtype, tmp_path):
    net = make_net("gelu", "sigmoid", dtype, use_bias=False)
    path, model = export_and_check(net, tmp_path)
    names = {t.name for t in model.graph.initializer}
    assert not any(name.endswith(".bias") for name in names)
    assert "Add" not in {n.op_type for n in model.graph.node if n.name.endswith(".z")}
    X = inputs(7, dtype)
    assert_close(run_onnx(path, X), net.predict(X), dtype)


def test_onnx_some_biases_off(tmp_path):
    net = make_net("elu", "linear", "float64", use_bias=[True, False, True])
    path, model = export_and_check(net, tmp_path)
    names = {t.name for t in model.graph.initializer}
    assert {"layers.0.bias", "layers.2.bias"} <= names and "layers.1.bias" not in names
    X = inputs(7, "float64")
    assert_close(run_onnx(path, X), net.predict(X), "float64")


@pytest.mark.parametrize("dtype,elem", [("float64", "DOUBLE"), ("float32", "FLOAT")])
def test_onnx_graph_signature_and_tensors(dtype, elem, tmp_path):
    net = make_net("leaky_relu", "softmax", dtype)
    _, model = export_and_check(net, tmp_path)
    want = getattr(onnx.TensorProto, elem)
    assert [o.domain for o in model.opset_import] == [""]
    assert model.opset_import[0].version == 17
    (inp,) = model.graph.input
    (out,) = model.graph.output
    assert inp.name == "input" and out.name == "output"
    for value, size in ((inp, 3), (out, 2)):
        tensor = value.type.tensor_type
        assert tensor.elem_type == want
        batch, width = tensor.shape.dim
        assert batch.dim_param == "batch" and width.dim_value == size
    assert all(t.data_type == want for t in model.graph.initializer)
    for i, layer in enumerate(net.layers):
        (w,) = [t for t in model.graph.initializer if t.name == f"layers.{i}.weights"]
        w = onnx.numpy_helper.to_array(w)
        assert w.shape == layer.weights.shape
        assert np.array_equal(w, np.where(layer.mask, layer.weights, 0))
        assert (w[~layer.mask] == 0).all()
    assert model.graph.node[-1].op_type == "Softmax"
    assert model.graph.node[-1].attribute[0].i == -1
    props = {p.key: p.value for p in model.metadata_props}
    assert props["format"] == "backprop-lab-weights"
    assert json.loads(props["architecture"]) == architecture(net)


def test_onnx_gelu_is_the_tanh_form(tmp_path):
    _, model = export_and_check(make_net("gelu", "linear", "float64"), tmp_path)
    ops = {n.op_type for n in model.graph.node}
    assert {"Tanh", "Mul", "Add"} <= ops and "Erf" not in ops
    consts = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    assert consts["gelu.c"] == 0.044715 and consts["gelu.k"] == np.sqrt(2.0 / np.pi)


def test_onnx_leaky_relu_slope_is_exact_in_float64(tmp_path):
    # ONNX's LeakyRelu takes its slope as a float32 attribute; the export keeps 0.01 exactly.
    net = Network([1, 1], ["leaky_relu"], dtype="float64", use_bias=False)
    net.set_weights([(np.array([[1.0]]), np.zeros(1))])
    path, _ = export_and_check(net, tmp_path)
    X = np.array([[-1e6], [-3.0], [0.0], [2.5]])
    assert np.array_equal(run_onnx(path, X), net.predict(X))


def test_onnx_single_linear_layer(tmp_path):
    net = Network([4, 3], ["linear"], dtype="float32", seed=3)
    path, model = export_and_check(net, tmp_path)
    assert [n.op_type for n in model.graph.node] == ["MatMul", "Add", "Identity"]
    X = inputs(7, "float32")[:, [0, 1, 2, 0]]
    assert_close(run_onnx(path, X), net.predict(X), "float32")


# --------------------------------------------------------------------------- raw inputs


def _standardised_project(tmp_path, features=("area", "rooms", "age")):
    """A trained-looking project imported from a CSV file with very different column scales."""
    from simulator.project import NetworkSpec, load_example
    from simulator.project.csv_import import build_inline_data, read_csv_table

    rng = np.random.default_rng(7)
    lines = ["area,rooms,age,price"]
    for _ in range(40):
        area, rooms, age = rng.uniform(30, 250), rng.integers(1, 7), rng.uniform(0, 90)
        lines.append(f"{area},{rooms},{age},{area * 3 + rooms - age / 10}")
    path = tmp_path / "houses.csv"
    path.write_text("\n".join(lines) + "\n")
    table = read_csv_table(path)
    data, _ = build_inline_data(table, list(features), "price", "regression", standardize=True)
    base = load_example("xor")
    network = NetworkSpec([data.network_inputs, 5, 1], ["tanh", "linear"], [True, True], [0, 0])
    project = base.replace(data=data, network=network, loss="mse", weights=None, history=None)
    net = project.build_network()
    net.set_weights([(w * 2.0, b + 0.3) for w, b in net.get_weights()])
    return project, net, table


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_onnx_with_preprocessing_takes_raw_inputs(dtype, tmp_path):
    project, net, table = _standardised_project(tmp_path)
    if dtype == "float32":
        net = Network(net.sizes, net.activations, net.loss, dtype="float32", seed=0)
        net.set_weights(project.build_network().get_weights())
    pre = project.export_preprocessing()
    assert pre.names == ("area", "rooms", "age") and pre.standardizes
    path = tmp_path / "houses.onnx"
    export_weights(net, path, preprocessing=pre)
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    raw = np.array([[float(c) for c in row[:3]] for row in table.rows])
    got = run_onnx(path, raw.astype(dtype))
    # The engine on the standardised inputs the project trains on.
    want = net.predict(project.data.X.astype(dtype))
    assert_close(got, want, dtype)
    props = {p.key: p.value for p in model.metadata_props}
    assert json.loads(props["input_names"]) == ["area", "rooms", "age"]
    np.testing.assert_array_equal(json.loads(props["input_means"]), pre.means)
    np.testing.assert_array_equal(json.loads(props["input_stds"]), pre.stds)
    assert "takes raw inputs" in props["preprocessing"] and "raw inputs" in model.doc_string
    arch = json.loads(props["architecture"])
    assert arch["input_means"] == list(pre.means) and arch["input_names"] == list(pre.names)
    assert [n.op_type for n in model.graph.node[:2]] == ["Sub", "Div"]


def test_onnx_without_preprocessing_is_unchanged(tmp_path):
    net = make_net("tanh", "sigmoid", "float64")
    _, model = export_and_check(net, tmp_path)
    props = {p.key: p.value for p in model.metadata_props}
    assert set(props) == {"format", "architecture"}
    assert json.loads(props["architecture"]) == architecture(net)
    assert model.graph.node[0].op_type == "MatMul"


def test_2d_features_beyond_the_columns_export_names_but_no_standardisation(tmp_path):
    import dataclasses

    project, _, _ = _standardised_project(tmp_path, features=("area", "age"))
    assert project.data.features == ["x1", "x2"]
    pre = project.export_preprocessing()
    assert pre.names == ("area", "age") and pre.standardizes  # x1, x2: one column each
    swapped = project.replace(data=dataclasses.replace(project.data, features=["x2", "x1"]))
    pre = swapped.export_preprocessing()
    assert pre.names == ("age", "area") and pre.means == tuple(
        reversed(project.data.standardization.means)
    )
    squared = project.replace(
        data=dataclasses.replace(project.data, features=["x1", "x1^2", "x2"]),
        network=dataclasses.replace(project.network, sizes=[3, 5, 1]),
    )
    pre = squared.export_preprocessing()
    assert pre.names == ("area", "area²", "age") and not pre.standardizes
    net = squared.build_network()
    path = tmp_path / "squared.onnx"
    export_weights(net, path, preprocessing=pre)
    model = onnx.load(str(path))
    props = {p.key: p.value for p in model.metadata_props}
    assert "input_means" not in props and json.loads(props["input_names"])[1] == "area²"


def test_weights_files_record_the_preprocessing_and_load_it_back(tmp_path):
    from simulator.project import load_weights
    from simulator.project.weights import preprocessing_of

    project, net, _ = _standardised_project(tmp_path)
    pre = project.export_preprocessing()
    for ext in (".npz", ".json", ".safetensors"):
        path = tmp_path / f"w{ext}"
        export_weights(net, path, preprocessing=pre)
        arch, layers = load_weights(path)
        assert arch["input_names"] == ["area", "rooms", "age"]
        assert preprocessing_of(arch) == pre
        export_weights(net, path)  # the old call: no preprocessing keys
        arch, _ = load_weights(path)
        assert "input_means" not in arch and preprocessing_of(arch) is None


def test_a_preprocessing_of_the_wrong_width_is_refused(tmp_path):
    from simulator.project import Preprocessing

    net = make_net("tanh", "sigmoid", "float64")
    with pytest.raises(ValueError, match="describes 2 inputs; the network has 3"):
        export_weights(net, tmp_path / "n.onnx", preprocessing=Preprocessing(("a", "b")))
    with pytest.raises(ValueError, match="every one must be a finite number > 0"):
        Preprocessing(means=(0.0,), stds=(0.0,))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"input_means": [0, 0, 0]}, "architecture.input_stds: required with input_means"),
        ({"input_means": [0, 0, 0], "input_stds": [1, 0, 1]}, "architecture.input_stds[1]: must"),
        ({"input_names": ["a"]}, "architecture.input_names: must have 3 entries, has 1"),
    ],
)
def test_weights_files_with_broken_preprocessing_are_refused(extra, message, tmp_path):
    from simulator.project import ProjectError, load_weights

    net = make_net("tanh", "sigmoid", "float64")
    path = tmp_path / "w.json"
    export_weights(net, path)
    doc = json.loads(path.read_text())
    doc["architecture"].update(extra)
    path.write_text(json.dumps(doc))
    with pytest.raises(ProjectError) as info:
        load_weights(path)
    assert str(info.value).startswith(f"{path}: {message}"), str(info.value)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("activation", ["mish", "softsign", "sine", "gaussian", "step"])
def test_onnx_newer_activations_far_out_and_exactly_at_zero(activation, dtype, tmp_path):
    # One layer, z = 100 x: far into each tail (Mish's softplus must not overflow), and z = 0
    # exactly, where the step gives 0 as the engine does.
    net = Network([1, 1], [activation], dtype=dtype, use_bias=False)
    net.set_weights([(np.array([[100.0]]), np.zeros(1))])
    X = np.array([[-8.0], [-0.5], [-1e-3], [0.0], [1e-3], [0.5], [8.0]], dtype=dtype)
    path, model = export_and_check(net, tmp_path)
    assert_close(run_onnx(path, X), net.predict(X), dtype)
    ops = {node.op_type for node in model.graph.node}
    assert "Mish" not in ops and "Softsign" not in ops  # opset 17; Softsign lacks doubles in ORT
    if activation == "step":
        assert run_onnx(path, X)[:, 0].tolist() == [0, 0, 0, 0, 1, 1, 1]
        assert {"Greater", "Cast"} <= ops
