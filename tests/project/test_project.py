"""Project files: round trips, the checker's messages, atomic saves, weight exports, training."""

import copy
import json
import math
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.engine import Network
from simulator.project import (
    DEFAULT_EXAMPLE,
    Project,
    ProjectError,
    apply_weights,
    export_weights,
    load_example,
    load_weights,
)
from simulator.project import files as project_files
from simulator.resources_path import example_paths, resource

EXAMPLES = ["xor", "circle", "spiral", "digits", "worked-example"]


def _xor_doc() -> dict:
    return load_example("xor").to_dict()


def _write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def _trained(name="xor", steps=30, dtype=None) -> tuple[Project, object]:
    project = load_example(name)
    if dtype is not None:
        doc = project.to_dict()
        doc["network"]["dtype"] = dtype
        project = Project.from_dict(doc)
    trainer = project.build_trainer()
    trainer.run(steps=steps)
    return project.capture(trainer), trainer


# --------------------------------------------------------------------------- examples


def test_every_example_is_shipped():
    names = {p.stem for p in example_paths()}
    assert set(EXAMPLES) <= names
    assert DEFAULT_EXAMPLE in names


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_round_trips(name, tmp_path):
    project = load_example(name)
    assert project.name and project.description
    doc = project.to_dict()
    assert Project.from_dict(doc) == project
    assert Project.from_dict(json.loads(json.dumps(doc))).to_dict() == doc
    path = tmp_path / f"{name}.json"
    project.save(path)
    assert Project.load(path) == project
    # The shipped file is already in the normalised form that save() writes (but for the
    # version: the examples are version 1 files, which load as they are and save as version 2).
    shipped = json.loads(resource("examples", f"{name}.json").read_text(encoding="utf-8"))
    assert shipped == {**doc, "version": shipped["version"]} and shipped["version"] in (1, 2)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_builds_a_consistent_network_and_data(name):
    project = load_example(name)
    net = project.build_network()
    data = project.build_data()
    assert net.sizes == project.network.sizes
    assert data.X_train.shape[1] == net.sizes[0] == len(data.input_labels)
    assert data.Y_train.shape[1] == net.sizes[-1] == len(data.output_labels)
    assert net.predict(data.X_train[:3]).shape == (min(3, len(data.X_train)), net.sizes[-1])


def test_worked_example_matches_the_calculation_by_hand():
    project = load_example("worked-example")
    net = project.build_network()
    assert net.sizes == [1, 2, 1] and net.loss == "half_mse"
    assert [layer.use_bias for layer in net.layers] == [False, False]
    data = project.build_data()
    assert data.X_train.tolist() == [[1.0]] and data.Y_train.tolist() == [[0.0]]
    assert data.X_test.shape == (0, 1)

    def sigma(z):
        return 1.0 / (1.0 + math.exp(-z))

    w1, w2 = net.layers[0].weights[0]
    w3, w4 = net.layers[1].weights[:, 0]
    assert (w1, w2, w3, w4) == (0.15, 0.25, 0.40, 0.45)
    x, y, lr = 1.0, 0.0, project.optimizer.params["lr"]
    h1, h2 = sigma(w1 * x), sigma(w2 * x)
    o = sigma(w3 * h1 + w4 * h2)
    assert net.predict([[x]])[0, 0] == pytest.approx(o, rel=1e-15)
    # One SGD step, every chain-rule factor written out.
    d_o = (o - y) * o * (1 - o)  # dE/dz_out = dE/do · do/dz
    grads = {
        "w3": d_o * h1,
        "w4": d_o * h2,
        "w1": d_o * w3 * h1 * (1 - h1) * x,
        "w2": d_o * w4 * h2 * (1 - h2) * x,
    }
    trainer = project.build_trainer(net)
    trainer.step()
    after = {
        "w1": net.layers[0].weights[0, 0],
        "w2": net.layers[0].weights[0, 1],
        "w3": net.layers[1].weights[0, 0],
        "w4": net.layers[1].weights[1, 0],
    }
    before = {"w1": w1, "w2": w2, "w3": w3, "w4": w4}
    for key, g in grads.items():
        assert after[key] == pytest.approx(before[key] - lr * g, rel=1e-13), key


def test_xor_example_reaches_full_training_accuracy():
    project = load_example("xor")
    trainer = project.build_trainer()
    trainer.run(epochs=project.training.epochs)
    assert not trainer.diverged
    assert trainer.evaluate()["train_accuracy"] == 1.0


def test_same_project_and_seed_give_bit_identical_weights():
    runs = []
    for _ in range(2):
        trainer = load_example("spiral").build_trainer()
        trainer.run(steps=60)
        runs.append(trainer.net.get_weights())
    for (w1, b1), (w2, b2) in zip(runs[0], runs[1], strict=True):
        assert w1.tobytes() == w2.tobytes() and b1.tobytes() == b2.tobytes()
    other = load_example("spiral").with_seed(1).build_trainer()
    other.run(steps=60)
    assert not np.array_equal(other.net.layers[0].weights, runs[0][0][0])


def test_with_seed_changes_network_data_and_batches():
    project = load_example("circle")
    seeded = project.with_seed(7)
    assert seeded.seed == 7 and seeded.data_seed == 7
    assert not np.array_equal(project.build_data().X_train, seeded.build_data().X_train)
    doc = project.to_dict()
    doc["data"]["seed"] = 3
    fixed = Project.from_dict(doc)
    assert fixed.data_seed == 3 and fixed.with_seed(9).data_seed == 9


# --------------------------------------------------------------------------- trained weights


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_trained_weights_round_trip_exactly(dtype, tmp_path):
    project, trainer = _trained(steps=25, dtype=dtype)
    assert project.step_count == 25 and len(project.history["step"]) == 25
    path = tmp_path / "trained.json"
    project.save(path)
    loaded = Project.load(path)
    assert loaded == project
    net = loaded.build_network()
    assert net.dtype == np.dtype(dtype)
    for layer, (w, b) in zip(net.layers, trainer.net.get_weights(), strict=True):
        assert layer.weights.dtype == w.dtype == np.dtype(dtype)
        assert layer.weights.tobytes() == w.tobytes()
        assert layer.bias.tobytes() == b.tobytes()
    resumed = loaded.build_trainer()
    assert resumed.step_count == 25 and len(resumed.history) == 25
    assert np.array_equal(
        resumed.history.column("batch_loss"), trainer.history.column("batch_loss"), equal_nan=True
    )


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=4, max_size=4))
def test_any_finite_weight_survives_the_file(values):
    doc = load_example("worked-example").to_dict()
    doc["weights"][0]["weights"] = [values[:2]]
    doc["weights"][1]["weights"] = [[values[2]], [values[3]]]
    text = Project.from_dict(doc).to_json()
    again = Project.from_dict(json.loads(text))
    got = [*again.weights[0][0].ravel(), *again.weights[1][0].ravel()]
    assert [v.hex() for v in map(float, got)] == [float(v).hex() for v in values]


def test_removed_connections_and_biases_survive(tmp_path):
    project = load_example("xor")
    net = project.build_network()
    net.set_connection(0, 1, 3, False)
    net.set_use_bias(1, False)
    net.layers[0].dropout = 0.25
    saved = project.with_weights(net)
    assert saved.network.removed == [(0, 1, 3)]
    path = tmp_path / "edited.json"
    saved.save(path)
    rebuilt = Project.load(path).build_network()
    assert not rebuilt.layers[0].mask[1, 3] and rebuilt.layers[0].weights[1, 3] == 0
    assert rebuilt.layers[0].mask.sum() == rebuilt.layers[0].mask.size - 1
    assert rebuilt.layers[1].use_bias is False and rebuilt.layers[0].dropout == 0.25
    fresh = Project.load(path).without_weights().build_network()
    assert not fresh.layers[0].mask[1, 3]


# --------------------------------------------------------------------------- malformed files


def _set(path: str, value):
    """A mutation of the xor document: set (or, with ..., delete) the field at ``path``."""

    def mutate(doc):
        keys = path.split(".")
        node = doc
        for key in keys[:-1]:
            node = node[int(key)] if isinstance(node, list) else node[key]
        last = keys[-1]
        if isinstance(node, list):
            node[int(last)] = value
        elif value is ...:
            del node[last]
        else:
            node[last] = value
        return doc

    return mutate


def _with_weights(doc):
    doc = copy.deepcopy(doc)
    net = Network([2, 8, 1], ["tanh", "sigmoid"], seed=0)
    doc["weights"] = [
        {"weights": la.weights.tolist(), "bias": la.bias.tolist()} for la in net.layers
    ]
    return doc


MALFORMED = [
    ("missing loss", _set("loss", ...), "loss: required field is missing"),
    ("missing sizes", _set("network.sizes", ...), "network.sizes: required field is missing"),
    ("missing data", _set("data", ...), "data: required field is missing"),
    (
        "sizes wrong type",
        _set("network.sizes", "2-8-1"),
        "network.sizes: must be an array, not a string",
    ),
    ("size not whole", _set("network.sizes.1", 2.5), "network.sizes[1]: must be a whole number"),
    ("size zero", _set("network.sizes.1", 0), "network.sizes[1]: must be at least 1"),
    ("seed negative", _set("seed", -1), "seed: must be at least 0"),
    ("seed as bool", _set("seed", True), "seed: must be a whole number, not true"),
    (
        "unknown activation",
        _set("network.activations.0", "tanhh"),
        "network.activations[0]: unknown activation 'tanhh' (known: linear, sigmoid, tanh",
    ),
    (
        "activation count",
        _set("network.activations", ["tanh"]),
        "network.activations: must have 2 entries, has 1",
    ),
    ("unknown loss", _set("loss", "hinge"), "loss: unknown loss 'hinge'"),
    (
        "unknown optimizer",
        _set("optimizer.name", "Adamm"),
        "optimizer.name: unknown optimizer 'Adamm' (known: SGD, Adagrad, RMSprop, Adam, AdamW)",
    ),
    (
        "bad optimizer param",
        _set("optimizer.params", {"lr": 0.1, "momentun": 0.9}),
        "optimizer.params: SGD has no parameter 'momentun'",
    ),
    ("negative lr", _set("optimizer.params", {"lr": -1}), "optimizer.params: Invalid learning"),
    (
        "string param",
        _set("optimizer.params", {"lr": "0.1"}),
        "optimizer.params.lr: must be a number",
    ),
    (
        "unknown schedule",
        _set("schedule.name", "linear"),
        "schedule.name: unknown schedule 'linear'",
    ),
    (
        "schedule param",
        _set("schedule", {"name": "step", "params": {}}),
        "schedule.params: schedule 'step' needs 'step_size'",
    ),
    ("unknown version", _set("version", 3), "version: unknown version 3 (written by a newer"),
    (
        "wrong format",
        _set("format", "backprop-lab-weights"),
        "format: expected 'backprop-lab-project', got 'backprop-lab-weights' (a weights export",
    ),
    ("unknown field", _set("netwrok", {}), "netwrok: unknown field at the top level"),
    (
        "unknown nested field",
        _set("training.batchsize", 3),
        "training.batchsize: unknown field in training",
    ),
    (
        "input size vs features",
        _set("network.sizes.0", 3),
        "network.sizes[0]: the input layer has 3 neurons, but the data gives the 2 features x1, x2",
    ),
    (
        "output size vs data",
        _set("network.sizes.2", 2),
        "network.sizes[2]: the output layer has 2 neurons, but the data has binary labels",
    ),
    (
        "features vs sizes",
        _set("data.features", ["x1", "x2", "x1*x2"]),
        "network.sizes[0]: the input layer has 2 neurons, but the data gives the 3 features",
    ),
    (
        "unknown feature",
        _set("data.features", ["x1", "y"]),
        "data.features[1]: unknown feature 'y'",
    ),
    (
        "features on digits",
        _set("data", {"dataset": "digits", "features": ["x1"]}),
        "data.features: features apply to 2-D data only; this data has 64 input values: use []",
    ),
    ("unknown dataset", _set("data.dataset", "mnist"), "data.dataset: unknown dataset 'mnist'"),
    ("noise out of range", _set("data.noise", 2), "data.noise: must be at most 1"),
    ("test ratio", _set("data.test_ratio", 0.95), "data.test_ratio: must be at most 0.9"),
    (
        "too many digits",
        _set("data", {"dataset": "digits", "n_samples": 5000}),
        "data.n_samples: must be at most 1,797",
    ),
    ("batch size", _set("training.batch_size", 0), "training.batch_size: must be at least 1"),
    ("epochs and steps", _set("training.steps", 10), "training.steps: give epochs or steps"),
    (
        "output dropout",
        _set("network.dropout", [0.5, 0.5]),
        "network.dropout[1]: dropout applies to hidden layers",
    ),
    (
        "dropout range",
        _set("network.dropout", [1.0, 0.0]),
        "network.dropout[0]: must be less than 1",
    ),
    (
        "removed out of range",
        _set("network.removed", [[0, 2, 0]]),
        "network.removed[0][1]: must be at most 1, got 2",
    ),
    (
        "removed twice",
        _set("network.removed", [[0, 1, 0], [0, 1, 0]]),
        "network.removed[1]: connection 1 -> 0 of layer 0 is listed twice",
    ),
    ("unknown init", _set("network.init", "glorot"), "network.init: unknown initialiser 'glorot'"),
    (
        "init param",
        _set("network.init_params", {"a": 1}),
        "network.init_params: initialiser 'xavier_uniform' takes no parameter 'a'",
    ),
    ("dtype", _set("network.dtype", "float16"), "network.dtype: unknown dtype 'float16'"),
    (
        "weights missing layer",
        lambda d: _set("weights", _with_weights(d)["weights"][:1])(d),
        "weights: must have 2 entries, has 1",
    ),
    (
        "weights wrong rows",
        lambda d: _set("weights.0.weights", [[0.0] * 8])(_with_weights(d)),
        "weights[0].weights: must have 2 entries, has 1",
    ),
    (
        "weights wrong columns",
        lambda d: _set("weights.1.weights.3", [0.1, 0.2])(_with_weights(d)),
        "weights[1].weights[3]: must have 1 entry, has 2",
    ),
    (
        "bias wrong length",
        lambda d: _set("weights.0.bias", [0.0])(_with_weights(d)),
        "weights[0].bias: must have 8 entries, has 1",
    ),
    (
        "weight as string",
        lambda d: _set("weights.1.bias", ["0"])(_with_weights(d)),
        "weights[1].bias[0]: must be a number, not a string",
    ),
    (
        "history column length",
        _set("history", {"step": [1, 2], "batch_loss": [0.5]}),
        "history.batch_loss: must have 2 entries, has 1",
    ),
    ("step count", _set("step_count", -3), "step_count: must be at least 0"),
    ("not an object", lambda d: [d], "the file: must be an object, not an array"),
]


@pytest.mark.parametrize(
    "mutate,expected", [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_malformed_document_names_the_field(mutate, expected):
    doc = mutate(_xor_doc())
    with pytest.raises(ProjectError) as info:
        Project.from_dict(doc)
    assert str(info.value).startswith(expected), str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_weight_in_a_file_is_rejected(token, tmp_path):
    doc = _with_weights(_xor_doc())
    text = json.dumps(doc).replace('"bias": [0.0', f'"bias": [{token}', 1)
    path = _write(tmp_path / "nan.json", text)
    with pytest.raises(ProjectError) as info:
        Project.load(path)
    assert str(info.value) == f"{path}: weights[0].bias[0]: must be a finite number, not {token}"


def test_nan_weight_in_a_matrix_names_its_position():
    doc = _with_weights(_xor_doc())
    doc["weights"][0]["weights"][1][5] = float("nan")
    with pytest.raises(ProjectError, match=r"^weights\[0\]\.weights\[1\]\[5\]: must be a finite"):
        Project.from_dict(doc)


def test_huge_number_is_not_finite():
    doc = _xor_doc()
    doc["optimizer"]["params"]["lr"] = 1e400
    with pytest.raises(ProjectError, match=r"^optimizer.params.lr: must be a finite number"):
        Project.from_dict(doc)


@pytest.mark.parametrize(
    "text,expected",
    [
        (
            '{"format": "backprop-lab-project",\n  "version": 1,,\n}',
            "not valid JSON: Expecting property name enclosed in double quotes"
            " at line 2, column 16",
        ),
        ("", "not valid JSON: Expecting value at line 1, column 1"),
        ('{"a": 1, "a": 2}', "not valid JSON: the key 'a' appears twice in one object"),
        ("[" * 100_000, "not valid JSON"),
        ('{"n": 1' + "0" * 5000 + "}", "not valid JSON"),
    ],
    ids=["syntax", "empty", "duplicate key", "deep nesting", "huge integer"],
)
def test_not_json_reports_where(text, expected, tmp_path):
    path = _write(tmp_path / "bad.json", text)
    with pytest.raises(ProjectError) as info:
        Project.load(path)
    assert str(info.value).startswith(f"{path}: {expected}"), str(info.value)


def test_binary_garbage_is_rejected(tmp_path):
    path = tmp_path / "garbage.json"
    path.write_bytes(b"\x80\x81\xfe\xff" * 10)
    with pytest.raises(ProjectError, match="not UTF-8 text"):
        Project.load(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ProjectError, match="no such file"):
        Project.load(tmp_path / "nope.json")
    with pytest.raises(ProjectError, match="is a folder"):
        Project.load(tmp_path)


def test_too_large_file_is_refused_before_parsing(tmp_path, monkeypatch):
    path = tmp_path / "big.json"
    load_example("xor").save(path)
    monkeypatch.setattr(project_files, "MAX_FILE_BYTES", 100)
    with pytest.raises(ProjectError) as info:
        Project.load(path)
    assert str(info.value).startswith(f"{path}: the file is too large (")
    assert "the limit is 100 bytes" in str(info.value)


def test_load_error_names_the_file_and_the_field(tmp_path):
    doc = _xor_doc()
    doc["network"]["activations"][1] = "tanhh"
    path = _write(tmp_path / "typo.json", json.dumps(doc))
    with pytest.raises(ProjectError) as info:
        Project.load(path)
    assert str(info.value).startswith(
        f"{path}: network.activations[1]: unknown activation 'tanhh' (known: linear, sigmoid"
    )


def test_project_error_is_a_value_error():
    assert issubclass(ProjectError, ValueError)


# --------------------------------------------------------------------------- inline data


def _inline(**data):
    doc = _xor_doc()
    doc["data"] = {"dataset": "inline", "test_ratio": 0.0, **data}
    return doc


def test_inline_multiclass_data():
    doc = _inline(
        kind="multiclass",
        X=[[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]],
        y=[0, 2, 1],
        class_names=["a", "b", "c"],
    )
    doc["network"]["sizes"] = [2, 8, 3]
    doc["network"]["activations"] = ["tanh", "softmax"]
    doc["loss"] = "cross_entropy"
    project = Project.from_dict(doc)
    data = project.build_data()
    assert data.task == "multiclass" and data.output_labels == ["a", "b", "c"]
    assert data.Y_train.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert Project.from_dict(project.to_dict()) == project
    assert project.to_dict()["data"]["y"] == [0, 2, 1]


@pytest.mark.parametrize(
    "data,expected",
    [
        ({"kind": "binary", "X": [[0.0, 1.0]], "y": [0.5]}, "data.y[0]: binary labels must be 0"),
        (
            {"kind": "binary", "X": [[0.0, 1.0], [1.0]], "y": [0, 1]},
            "data.X[1]: must have 2 entries, has 1",
        ),
        ({"kind": "binary", "X": [[0.0, 1.0]], "y": [0, 1]}, "data.y: must have 1 entry, has 2"),
        ({"kind": "binary", "X": [], "y": []}, "data.X: needs at least one sample"),
        ({"kind": "ordinal", "X": [[0.0, 1.0]], "y": [0]}, "data.kind: unknown kind 'ordinal'"),
        (
            {"kind": "binary", "X": [[0.0, None]], "y": [0]},
            "data.X[0][1]: must be a number, not null",
        ),
        (
            {"kind": "regression", "X": [[0.0, 1.0]], "y": [0], "class_names": ["a"]},
            "data.class_names: regression data has no class names",
        ),
        (
            {"kind": "binary", "X": [[0.0, 1.0]], "y": [0], "noise": 0.1},
            "data.noise: unknown field in data",
        ),
        (
            {"kind": "regression", "X": [[0.0, 1.0, 2.0]], "y": [0.5]},
            "network.sizes[0]: the input layer has 2 neurons, but the data gives 3 input values",
        ),
    ],
)
def test_inline_data_is_checked(data, expected):
    with pytest.raises(ProjectError) as info:
        Project.from_dict(_inline(**data))
    assert str(info.value).startswith(expected), str(info.value)


# --------------------------------------------------------------------------- atomic save


@pytest.mark.parametrize("broken", ["write", "fsync", "replace"])
def test_failed_save_keeps_the_old_file(broken, tmp_path, monkeypatch):
    path = tmp_path / "project.json"
    old = load_example("xor")
    old.save(path)
    before = path.read_bytes()
    new, _ = _trained(steps=5)

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if broken == "write":
        original = os.fdopen

        class Failing:
            def __init__(self, f):
                self.f = f

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.f.close()

            def write(self, data):
                self.f.write(data[: len(data) // 2])  # half the bytes reach the disk
                fail()

        monkeypatch.setattr(
            project_files.os, "fdopen", lambda fd, mode: Failing(original(fd, mode))
        )
    elif broken == "fsync":
        monkeypatch.setattr(project_files.os, "fsync", fail)
    else:
        monkeypatch.setattr(project_files.os, "replace", fail)
    with pytest.raises(OSError, match="No space left"):
        new.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project.json"]
    assert Project.load(path) == old


def test_save_replaces_and_keeps_permissions(tmp_path):
    path = tmp_path / "project.json"
    load_example("circle").save(path)
    os.chmod(path, 0o640)
    load_example("xor").save(path)
    assert Project.load(path).name == "XOR"
    assert (path.stat().st_mode & 0o777) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project.json"]


# --------------------------------------------------------------------------- weight export


@pytest.mark.parametrize("ext", [".npz", ".json", ".safetensors"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_weight_export_round_trip(ext, dtype, tmp_path):
    _, trainer = _trained(steps=10, dtype=dtype)
    net = trainer.net
    net.set_connection(0, 0, 2, False)
    path = tmp_path / f"weights{ext}"
    export_weights(net, path)
    arch, layers = load_weights(path)
    assert arch == {
        "sizes": [2, 8, 1],
        "activations": ["tanh", "sigmoid"],
        "use_bias": [True, True],
        "loss": "bce",
        "dtype": dtype,
    }
    for layer, (w, b, mask) in zip(net.layers, layers, strict=True):
        assert w.dtype == b.dtype == np.dtype(dtype) and mask.dtype == bool
        assert w.tobytes() == layer.weights.tobytes() and b.tobytes() == layer.bias.tobytes()
        assert np.array_equal(mask, layer.mask)
    assert not layers[0][2][0, 2]
    copy_net = Network(arch["sizes"], arch["activations"], arch["loss"], dtype=dtype, seed=5)
    apply_weights(copy_net, layers)
    assert np.array_equal(copy_net.predict(trainer.X_train), net.predict(trainer.X_train))
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"weights{ext}"]


def test_npz_export_is_plain_numpy(tmp_path):
    _, trainer = _trained(steps=3)
    path = tmp_path / "w.npz"
    export_weights(trainer.net, path)
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == sorted(
            ["architecture"]
            + [f"layers.{i}.{part}" for i in range(2) for part in ("weights", "bias", "mask")]
        )
        arch = json.loads(str(archive["architecture"]))
        assert archive["architecture"].shape == () and archive["architecture"].dtype.kind == "U"
        assert archive["layers.0.weights"].shape == (2, 8)
        assert archive["layers.1.bias"].shape == (1,)
        assert archive["layers.0.mask"].dtype == bool
    assert arch["sizes"] == [2, 8, 1] and arch["loss"] == "bce"


def test_json_export_format(tmp_path):
    _, trainer = _trained(steps=3)
    path = tmp_path / "w.json"
    export_weights(trainer.net, path)
    doc = json.loads(path.read_text())
    assert doc["format"] == "backprop-lab-weights" and doc["version"] == 1
    assert len(doc["layers"]) == 2 and set(doc["layers"][0]) == {"weights", "bias", "mask"}


def test_unsupported_export_extension(tmp_path):
    net = load_example("xor").build_network()
    with pytest.raises(
        ProjectError, match=r"use one of \.npz, \.json, \.safetensors, \.onnx, \.py$"
    ):
        export_weights(net, tmp_path / "w.h5")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["w.onnx", "model.py", "w.h5", "weights"])
def test_unloadable_extension(name, tmp_path):
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(ProjectError) as info:
        load_weights(path)
    message = str(info.value)
    assert message.startswith(f"{path}: cannot load weights as ")
    assert message.endswith("; use one of .npz, .json, .safetensors")
    assert ("is an export format only" in message) == (name in ("w.onnx", "model.py"))


def test_bad_weight_files_are_rejected(tmp_path):
    net = load_example("xor").build_network()
    path = tmp_path / "w.json"
    export_weights(net, path)
    doc = json.loads(path.read_text())
    doc["layers"][1]["weights"][0][0] = float("nan")
    _write(path, json.dumps(doc))
    with pytest.raises(ProjectError, match=r"layers\[1\]\.weights\[0\]\[0\]: must be a finite"):
        load_weights(path)

    npz = tmp_path / "w.npz"
    arrays = {
        "architecture": np.array(
            json.dumps({"sizes": [2, 8, 1], "activations": ["tanh", "sigmoid"], "loss": "bce"})
        )
    }
    for i, (fi, fo) in enumerate([(2, 8), (8, 1)]):
        arrays[f"layers.{i}.weights"] = np.zeros((fi, fo))
        arrays[f"layers.{i}.bias"] = np.zeros(fo)
        arrays[f"layers.{i}.mask"] = np.ones((fi, fo), bool)
    arrays["layers.1.weights"] = np.zeros((8, 2))
    np.savez(npz, **arrays)
    with pytest.raises(ProjectError, match=r"layers\.1\.weights: shape \(8, 2\), expected"):
        load_weights(npz)
    arrays["layers.1.weights"] = np.array([[None]] * 8, dtype=object)
    np.savez(npz, **arrays)
    with pytest.raises(ProjectError, match="cannot be read without pickle"):
        load_weights(npz)
    npz.write_bytes(b"not a zip")
    with pytest.raises(ProjectError, match="not a NumPy .npz archive"):
        load_weights(npz)


def test_an_example_is_found_however_its_name_is_typed(tmp_path, monkeypatch):
    from simulator.project import example_name, find_project, is_example_name

    monkeypatch.chdir(tmp_path)
    for typed in ("vanishing-sigmoid", "vanishing_sigmoid", "Vanishing Sigmoid", " XOR "):
        assert is_example_name(typed), typed
    assert example_name("vanishing_sigmoid") == "vanishing-sigmoid"
    assert find_project("Vanishing_Sigmoid") == load_example("vanishing-sigmoid")
    assert example_name("vanishing") is None and example_name("xor.json") is None
    (tmp_path / "vanishing_sigmoid").write_text("{}")  # a file of that name comes first
    assert not is_example_name("vanishing_sigmoid")
