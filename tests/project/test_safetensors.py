"""The .safetensors weights file: its layout, and a message for each kind of damaged file."""

import json
import re

import numpy as np
import pytest

from simulator.engine import Network
from simulator.project import (
    ProjectError,
    apply_weights,
    architecture,
    export_weights,
    load_weights,
)

st = pytest.importorskip("safetensors.numpy")

ARCH = {
    "sizes": [2, 3, 1],
    "activations": ["tanh", "sigmoid"],
    "use_bias": [True, False],
    "loss": "bce",
    "dtype": "float64",
}


def tensors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "layers.0.weights": rng.normal(size=(2, 3)),
        "layers.0.bias": rng.normal(size=3),
        "layers.0.mask": np.ones((2, 3), bool),
        "layers.1.weights": rng.normal(size=(3, 1)),
        "layers.1.bias": np.zeros(1),
        "layers.1.mask": np.ones((3, 1), bool),
    }


def metadata(**changes) -> dict[str, str]:
    meta = {"format": "backprop-lab-weights", "version": "1", "architecture": json.dumps(ARCH)}
    meta.update(changes)
    return {k: v for k, v in meta.items() if v is not None}


def write(path, arrays=None, meta=None):
    arrays = tensors() if arrays is None else arrays
    path.write_bytes(st.save(arrays, metadata=metadata() if meta is None else meta))
    return path


def assert_rejected(path, message: str) -> None:
    with pytest.raises(ProjectError) as info:
        load_weights(path)
    assert str(info.value) == f"{path}: {message}"


def test_layout_matches_the_npz_export(tmp_path):
    net = Network([2, 3, 1], ["tanh", "sigmoid"], "bce", seed=4, use_bias=[True, False])
    net.set_connection(0, 1, 2, False)
    path = tmp_path / "w.safetensors"
    export_weights(net, path)
    from safetensors import safe_open

    with safe_open(str(path), framework="np") as f:
        meta = f.metadata()
        names = set(f.keys())
        mask = f.get_tensor("layers.0.mask")
        weights = f.get_tensor("layers.1.weights")
    assert meta["format"] == "backprop-lab-weights" and meta["version"] == "1"
    assert json.loads(meta["architecture"]) == architecture(net)
    assert names == {f"layers.{i}.{p}" for i in range(2) for p in ("weights", "bias", "mask")}
    assert mask.dtype == bool and not mask[1, 2]
    assert weights.dtype == np.float64 and weights.shape == (3, 1)
    arch, layers = load_weights(path)
    copy = Network(arch["sizes"], arch["activations"], arch["loss"], seed=9, use_bias=[True, False])
    apply_weights(copy, layers)
    X = np.random.default_rng(1).normal(size=(5, 2))
    assert np.array_equal(copy.predict(X), net.predict(X))
    assert np.array_equal(copy.layers[0].mask, net.layers[0].mask)


def test_a_file_written_by_hand_loads(tmp_path):
    arch, layers = load_weights(write(tmp_path / "w.safetensors"))
    assert arch == ARCH
    assert np.array_equal(layers[0][0], tensors()["layers.0.weights"])
    layers[0][2][0, 0] = False  # the returned arrays are the caller's own, writable


def test_truncated_data(tmp_path):
    path = write(tmp_path / "w.safetensors")
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(ProjectError, match=rf"^{re.escape(str(path))}: damaged safetensors file"):
        load_weights(path)


def test_truncated_header(tmp_path):
    path = write(tmp_path / "w.safetensors")
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(
        ProjectError, match=rf"^{re.escape(str(path))}: not a safetensors file, or truncated"
    ):
        load_weights(path)


def test_not_a_safetensors_file(tmp_path):
    path = tmp_path / "w.safetensors"
    path.write_bytes(b"abc")
    assert_rejected(path, "not a safetensors file (shorter than its 8-byte header length)")
    path.write_bytes(b"\x05\x00\x00\x00\x00\x00\x00\x00[1,2]")
    assert_rejected(path, "the safetensors header: must be a JSON object")
    path.write_bytes(b"\x03\x00\x00\x00\x00\x00\x00\x00{x}")
    with pytest.raises(ProjectError, match="the safetensors header: not valid JSON"):
        load_weights(path)


def test_wrong_tensor_shape(tmp_path):
    arrays = tensors()
    arrays["layers.1.weights"] = np.zeros((1, 3))
    assert_rejected(
        write(tmp_path / "w.safetensors", arrays), "layers.1.weights: shape (1, 3), expected (3, 1)"
    )


def test_missing_and_extra_tensors(tmp_path):
    arrays = tensors()
    del arrays["layers.0.mask"]
    assert_rejected(
        write(tmp_path / "w.safetensors", arrays), "layers.0.mask: missing from the file"
    )
    arrays = {**tensors(), "layers.2.weights": np.zeros((1, 1))}
    assert_rejected(
        write(tmp_path / "w.safetensors", arrays),
        "layers.2.weights: unexpected tensor (the architecture has 2 layers)",
    )


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values(bad, tmp_path):
    arrays = tensors()
    arrays["layers.0.bias"][1] = bad
    assert_rejected(
        write(tmp_path / "w.safetensors", arrays), "layers.0.bias: holds NaN or infinite values"
    )


def test_wrong_dtypes(tmp_path):
    arrays = tensors()
    arrays["layers.0.weights"] = np.zeros((2, 3), np.int64)
    assert_rejected(
        write(tmp_path / "w.safetensors", arrays), "layers.0.weights: must hold floats, not int64"
    )
    arrays = tensors()
    arrays["layers.1.mask"] = np.ones((3, 1), np.float32)
    assert_rejected(
        write(tmp_path / "w.safetensors", arrays),
        "layers.1.mask: must be a bool array, not float32",
    )


def test_a_tensor_type_numpy_cannot_hold(tmp_path):
    # BF16 is valid safetensors but has no NumPy dtype.
    header = {"__metadata__": metadata(), "layers.0.weights": {}}
    header["layers.0.weights"] = {"dtype": "BF16", "shape": [2, 3], "data_offsets": [0, 12]}
    text = json.dumps(header).encode()
    path = tmp_path / "w.safetensors"
    path.write_bytes(len(text).to_bytes(8, "little") + text + bytes(12))
    assert_rejected(path, "layers.0.weights: tensor type BF16 cannot be read as a NumPy array")


def test_float32_tensors_load_in_the_architecture_dtype(tmp_path):
    arrays = {k: (v.astype(np.float32) if v.dtype != bool else v) for k, v in tensors().items()}
    arch, layers = load_weights(write(tmp_path / "w.safetensors", arrays))
    assert all(w.dtype == b.dtype == np.float64 for w, b, _ in layers)


@pytest.mark.parametrize(
    "meta,message",
    [
        ({}, "__metadata__.format: expected 'backprop-lab-weights', got None"),
        (
            metadata(format="other"),
            "__metadata__.format: expected 'backprop-lab-weights', got 'other'",
        ),
        (metadata(version="2"), "__metadata__.version: unknown version '2'; this program reads"),
        (metadata(architecture=None), "__metadata__.architecture: missing from the file"),
        (metadata(architecture="{"), "architecture: not valid JSON"),
        (
            metadata(architecture=json.dumps({**ARCH, "activations": ["tanh", "tan"]})),
            "architecture.activations[1]: unknown activation 'tan'",
        ),
    ],
    ids=["no metadata", "other format", "version", "no architecture", "bad json", "bad activation"],
)
def test_bad_metadata(meta, message, tmp_path):
    path = write(tmp_path / "w.safetensors", meta=meta)
    with pytest.raises(ProjectError) as info:
        load_weights(path)
    assert str(info.value).startswith(f"{path}: {message}")
