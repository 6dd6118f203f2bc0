"""The malformed files a fuzzer found (issue 10): each is refused with a ProjectError naming the
file and the field, or loads as something usable; and atomic saves clean up after killed ones."""

import io
import json
import math
import os
import re
import signal
import struct
import subprocess
import sys
import time
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest

from simulator.engine import Network
from simulator.engine.optimizers import Adam
from simulator.project import Preprocessing, Project, ProjectError, export_weights, load_weights
from simulator.project import files as project_files
from simulator.project.files import write_text_atomic
from simulator.project.project import OptimizerSpec, load_example
from tests.benchmarks.fuzz_loaders import list_form_history

BIG = 10**400  # a valid JSON integer of 401 digits; float() of it raises OverflowError


def _rejected(load, path, *fragments: str) -> str:
    with pytest.raises(ProjectError) as info:
        load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
    return message


def _trained_doc() -> dict:
    project = load_example("xor").replace(optimizer=OptimizerSpec("Adam", {"lr": 0.05}))
    trainer = project.build_trainer()
    trainer.run(steps=3)
    return project.capture(trainer).to_dict()


def _at(doc: dict, path: str, value) -> dict:
    *parents, last = [int(k) if k.isdigit() else k for k in path.split(".")]
    node = doc
    for key in parents:
        node = node[key]
    node[last] = value
    return doc


# --------------------------------------------------------------------------- project JSON


def test_negative_huge_integer_and_schedule_parameter(tmp_path):
    doc = load_example("xor").to_dict()
    doc["schedule"] = {"name": "step", "params": {"step_size": BIG, "gamma": -BIG}}
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc))
    _rejected(Project.load, path, "schedule.params.step_size: must be a finite number")
    doc["schedule"]["params"]["step_size"] = 10
    path.write_text(json.dumps(doc))
    _rejected(Project.load, path, "schedule.params.gamma: ", "a negative 401-digit number")


def test_the_optimizers_own_check_refuses_a_huge_integer():
    with pytest.raises(ValueError, match="Invalid learning rate: a 401-digit number"):
        Adam(lr=BIG)
    with pytest.raises(ValueError, match="index 1: a negative 401-digit number"):
        Adam(betas=(0.9, -BIG))


@pytest.mark.parametrize("where", ["name", "description", "key", "class name", "feature"])
def test_a_lone_surrogate_is_refused_on_load(where, tmp_path):
    # "\ud800" is valid JSON; it loaded, and every later save failed (UTF-8 cannot encode it).
    doc = load_example("xor").to_dict()
    field = {
        "name": "name",
        "description": "description",
        "key": "optimizer.params",
        "class name": "data",
        "feature": "data.features[1]",
    }[where]
    if where in ("name", "description"):
        doc[where] = "XOR \ud800"
    elif where == "key":
        doc["optimizer"]["params"]["\udc00lr"] = 0.1
    elif where == "class name":
        doc["data"]["\ud83d"] = 1
    else:
        doc["data"]["features"][1] = "x\udfff"
    path = tmp_path / "surrogate.json"
    path.write_text(json.dumps(doc))  # ASCII: the surrogate is written as the escape \udXXX
    assert "\\ud" in path.read_text() or "\\udc00" in path.read_text()
    message = _rejected(Project.load, path, f"{field}: ", "half of a UTF-16 surrogate pair")
    message.encode("utf-8")  # the message itself can be printed anywhere


def test_a_valid_surrogate_pair_loads_and_saves(tmp_path):
    doc = load_example("xor").to_dict()
    doc["name"] = "XOR \U0001f600"
    path = tmp_path / "emoji.json"
    path.write_text(json.dumps(doc))  # written as the pair \ud83d\ude00
    project = Project.load(path)
    project.save(tmp_path / "again.json")
    assert Project.load(tmp_path / "again.json").name == "XOR \U0001f600"


def test_a_project_built_in_code_with_a_lone_surrogate_is_refused():
    doc = load_example("xor").to_dict()
    doc["name"] = "\ud800"
    with pytest.raises(ProjectError, match=r"^name: holds '\\ud800'"):
        Project.from_dict(doc)


def test_float32_weights_beyond_float32_range_are_refused(tmp_path):
    doc = _trained_doc()
    doc["network"]["dtype"] = "float32"
    doc["weights"][0]["weights"][1][2] = 1e300
    path = tmp_path / "f32.json"
    path.write_text(json.dumps(doc))
    _rejected(Project.load, path, "weights[0].weights[1][2]: 1e+300 is beyond the range of float32")


# --------------------------------------------------------------------------- weights JSON


def _net() -> Network:
    net = Network([2, 3, 1], ["tanh", "sigmoid"], "bce", seed=0, use_bias=[True, False])
    net.set_connection(0, 1, 2, False)
    return net


def _weights_doc(tmp_path, **kwargs) -> dict:
    path = tmp_path / "w.json"
    export_weights(_net(), path, **kwargs)
    return json.loads(path.read_text())


@pytest.mark.parametrize(
    "kind,field,problem",
    [
        ("project", "optimizer.params.lr", "must be a finite number, not a 401-digit number"),
        ("project", "optimizer.params.betas.1", "must be a finite number, not a 401-digit"),
        ("project", "data.noise", "must be a finite number, not a 401-digit number"),
        ("project", "data.test_ratio", "must be a finite number, not a 401-digit number"),
        ("project", "training.epochs", "must be a finite number, not a 401-digit number"),
        ("project", "training.l2", "must be a finite number, not a 401-digit number"),
        ("project", "network.dropout.0", "must be a finite number, not a 401-digit number"),
        ("project", "network.init_params", "must be an object, not a number"),
        ("project", "network.sizes.1", "must be at most 10,000, got a 401-digit number"),
        ("project", "training.batch_size", "must be at most 100,000, got a 401-digit number"),
        ("project", "seed", "must be at most 9,223,372,036,854,775,807, got a 401-digit"),
        ("project", "weights.0.bias.0", "must be a finite number, not a 401-digit number"),
        ("project", "weights.1.weights.3.0", "must be a finite number, not a 401-digit"),
        ("project", "history.batch_loss.0", "must be a finite number, not a 401-digit"),
        ("project", "step_count", "must be at most 1,000,000,000, got a 401-digit number"),
        ("project", "version", "unknown version a 401-digit number (written by a newer"),
        ("project", "format", "expected 'backprop-lab-project', got a 401-digit number"),
        ("weights", "architecture.sizes.1", "must be at most 10,000, got a 401-digit number"),
        ("weights", "layers.0.bias.2", "must be a finite number, not a 401-digit number"),
        ("weights", "layers.1.weights.0.0", "must be a finite number, not a 401-digit"),
        ("weights", "architecture.input_means.1", "must be a finite number, not a 401-digit"),
        ("weights", "architecture.input_stds.0", "must be a finite number, not a 401-digit"),
        ("weights", "version", "unknown version a 401-digit number"),
        ("weights", "format", "expected 'backprop-lab-weights', got a 401-digit number"),
    ],
)
def test_huge_integer_names_the_field(kind, field, problem, tmp_path):
    # A 401-digit integer is valid JSON; float() of it raised OverflowError.
    if kind == "project":  # the history in the list form: a base64 column holds no integers
        doc, load = list_form_history(_trained_doc()), Project.load
        doc["optimizer"]["params"]["betas"] = [0.9, 0.999]
    else:
        preprocessing = Preprocessing(("a", "b"), (0.0, 1.0), (1.0, 2.0))
        doc, load = _weights_doc(tmp_path, preprocessing=preprocessing), load_weights
    path = tmp_path / "big.json"
    path.write_text(json.dumps(_at(doc, field, BIG)))
    shown = re.sub(r"\.(\d+)", r"[\1]", field)  # layers.0.bias -> layers[0].bias
    _rejected(load, path, f"{shown}: {problem}")


def test_weights_file_limits_and_ranges(tmp_path):
    path = tmp_path / "w.json"
    doc = _weights_doc(tmp_path)
    doc["architecture"]["sizes"] = [2, 10_000, 10_000, 1]
    path.write_text(json.dumps(doc))
    _rejected(load_weights, path, "architecture.sizes: the network would have 100,050,001")
    doc = _weights_doc(tmp_path)
    doc["architecture"]["dtype"] = "float32"
    doc["layers"][0]["weights"][1][0] = -1e39
    path.write_text(json.dumps(doc))
    _rejected(load_weights, path, "layers[0].weights[1][0]: -1e+39 is beyond the range of float32")
    doc = _weights_doc(tmp_path, preprocessing=Preprocessing(names=("a", "b")))
    doc["architecture"]["input_names"][1] = "b\udbff"
    path.write_text(json.dumps(doc))
    _rejected(load_weights, path, "architecture.input_names[1]: holds '\\udbff'")


# --------------------------------------------------------------------------- .npz


def _npz_members(tmp_path, net=None) -> dict[str, bytes]:
    path = tmp_path / "w.npz"
    export_weights(net or _net(), path)
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _zip(path, members: dict[str, bytes], method=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w") as archive:
        for name, payload in members.items():
            archive.writestr(zipfile.ZipInfo(name), payload, compress_type=method)
    return path


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array)
    return buffer.getvalue()


def _npy_raw(header: str, data: bytes, length: int | None = None, version=(1, 0)) -> bytes:
    text = header.encode("latin1")
    width = 2 if version == (1, 0) else 4
    n = len(text) if length is None else length
    return b"\x93NUMPY" + bytes(version) + n.to_bytes(width, "little") + text + data


def _patch(data: bytes, signature: bytes, offset: int, fmt: str, value: int, which=0) -> bytes:
    """``data`` with the field at ``offset`` of the ``which``-th record ``signature`` set."""
    at = -1
    for _ in range(which + 1):
        at = data.index(signature, at + 1)
    out = bytearray(data)
    struct.pack_into(fmt, out, at + offset, value)
    return bytes(out)


CENTRAL = b"PK\x01\x02"  # a central directory entry: flags at +8, method at +10
LOCAL = b"PK\x03\x04"  # a local file header: method at +8, sizes at +18 and +22


def test_npz_encrypted_member(tmp_path):
    path = tmp_path / "w.npz"
    data = _zip(path, _npz_members(tmp_path)).read_bytes()
    path.write_bytes(_patch(data, CENTRAL, 8, "<H", 0x1, which=1))
    _rejected(load_weights, path, ": encrypted")  # it raised RuntimeError


@pytest.mark.parametrize(
    "method,patched", [(zipfile.ZIP_LZMA, None), (zipfile.ZIP_BZIP2, None), (None, 99)]
)
def test_npz_unsupported_compression(method, patched, tmp_path):
    path = tmp_path / "w.npz"
    data = _zip(path, _npz_members(tmp_path), method or zipfile.ZIP_STORED).read_bytes()
    if patched is not None:  # it raised NotImplementedError
        data = _patch(_patch(data, CENTRAL, 10, "<H", patched), LOCAL, 8, "<H", patched)
        path.write_bytes(data)
    expected = patched or method
    _rejected(load_weights, path, f"architecture: compression method {expected} is not supported")


def test_npz_corrupt_lzma_stream_is_not_decompressed(tmp_path):
    path = tmp_path / "w.npz"
    data = bytearray(_zip(path, _npz_members(tmp_path), zipfile.ZIP_LZMA).read_bytes())
    data[60:80] = bytes(20)  # it raised LZMAError
    path.write_bytes(bytes(data))
    _rejected(load_weights, path)


@pytest.mark.parametrize("name", ["notes.txt", "layers.0.weights", "folder/"])
def test_npz_member_that_is_not_a_npy(name, tmp_path):
    # A member without .npy came back from np.load as bytes: 'bytes' has no attribute 'shape'.
    members = _npz_members(tmp_path)
    if name == "layers.0.weights":
        members[name] = members.pop("layers.0.weights.npy")
    else:
        members[name] = b"hello"
    path = _zip(tmp_path / "w.npz", members)
    _rejected(load_weights, path, f"{name}: not a .npy array")


def test_npz_corrupt_deflate_stream(tmp_path):
    path = tmp_path / "w.npz"
    data = bytearray(_zip(path, _npz_members(tmp_path), zipfile.ZIP_DEFLATED).read_bytes())
    start = data.index(b"architecture.npy") + len("architecture.npy")
    data[start + 5 : start + 25] = b"\xff" * 20  # it raised zlib.error
    path.write_bytes(bytes(data))
    _rejected(load_weights, path, "architecture: ")


def test_npz_data_that_fails_its_crc(tmp_path):
    members = _npz_members(tmp_path)
    path = _zip(tmp_path / "w.npz", members)
    data = bytearray(path.read_bytes())
    data[data.rindex(members["layers.1.mask.npy"][-3:])] ^= 1
    path.write_bytes(bytes(data))
    _rejected(load_weights, path, "layers.1.mask: damaged (BadZipFile: Bad CRC-32")


@pytest.mark.parametrize(
    "header,length,version,fragment",
    [
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 200, (1, 0), ""),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 65535, (1, 0), "65,535"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 2**31, (2, 0), "header"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (3L,), }", None, (1, 0), ""),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (", None, (1, 0), ""),
        ("{'descr': 'bogus', 'fortran_order': False, 'shape': (3,), }", None, (1, 0), ""),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (True,), }", None, (1, 0), ""),
        ("{'descr': '<f8', 'fortran_order': 1, 'shape': (3,), }", None, (1, 0), ""),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", None, (3, 0), "3.0"),
    ],
    ids=[
        "length too long",
        "length 65535",
        "length 2 GB",
        "python 2 header",
        "truncated header",
        "bad dtype",
        "bool shape",
        "fortran int",
        "version 3",
    ],
)
def test_npz_malformed_npy_header(header, length, version, fragment, tmp_path):
    # Lying header lengths and Python 2 headers raised ValueError, TokenError, or warned.
    members = _npz_members(tmp_path)
    members["layers.0.bias.npy"] = _npy_raw(header, bytes(24), length, version)
    path = _zip(tmp_path / "w.npz", members)
    _rejected(load_weights, path, "layers.0.bias: ", fragment)


def test_npz_shape_of_10_to_the_20_elements(tmp_path):
    # It raised OverflowError (the element count times the item size).
    members = _npz_members(tmp_path)
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000000000000,), }"
    members["layers.0.bias.npy"] = _npy_raw(header, bytes(64))
    path = _zip(tmp_path / "w.npz", members)
    _rejected(load_weights, path, "layers.0.bias: shape (100000000000000000000,), expected (3,)")


def _deflated_zeros(prefix: bytes, n_zeros: int) -> tuple[bytes, int]:
    """A raw deflate stream of ``prefix`` and ``n_zeros`` zero bytes, and its CRC-32.

    After Z_FULL_FLUSH the compressor starts afresh, so every 1 MiB block of zeros compresses
    to the same bytes: one compressed block repeated makes the stream without the work."""
    mib = 1 << 20
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(bytes(mib)) + compressor.flush(zlib.Z_FULL_FLUSH)
    full, rest = divmod(n_zeros, mib)
    tail = compressor.compress(bytes(rest)) + compressor.flush()
    crc = zlib.crc32(prefix)
    zeros = bytes(mib)
    for _ in range(full):
        crc = zlib.crc32(zeros, crc)
    return head + block * full + tail, zlib.crc32(bytes(rest), crc)


def _zip_bomb(tmp_path, members: dict[str, bytes], name: str, count: int):
    """An .npz whose member ``name`` is a valid deflated .npy of ``count`` float64 zeros."""
    buffer = io.BytesIO()
    fields = {"descr": "<f8", "fortran_order": False, "shape": (count,)}
    np.lib.format.write_array_header_1_0(buffer, fields)
    header = buffer.getvalue()
    stream, crc = _deflated_zeros(header, count * 8)
    size = len(header) + count * 8
    placeholder = b"?"
    others = {key: payload for key, payload in members.items() if key != name}
    path = _zip(tmp_path / "bomb.npz", {**others, name: placeholder})  # the last member
    data = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo(name).header_offset
    start = offset + 30 + len(name)  # its data: after the local header (no extra field)
    local = bytearray(data[offset:start])
    struct.pack_into("<HHHIII", local, 8, zipfile.ZIP_DEFLATED, 0, 0x21, crc, len(stream), size)
    directory = bytearray(data[start + len(placeholder) :])
    entry = directory.rindex(CENTRAL)  # the last entry is the member's
    struct.pack_into(
        "<HHHIII", directory, entry + 10, zipfile.ZIP_DEFLATED, 0, 0x21, crc, len(stream), size
    )
    end = directory.rindex(b"PK\x05\x06")
    struct.pack_into("<I", directory, end + 16, start + len(stream))
    path.write_bytes(data[:offset] + bytes(local) + stream + bytes(directory))
    return path


def test_npz_zip_bomb_is_refused_before_its_data_is_decompressed(tmp_path):
    # 1.2 MB declaring 150 million float64 (1.2 GB): np.load grew the process to 1.2 GB
    # before the shape was checked.
    count = 150_000_000
    path = _zip_bomb(tmp_path, _npz_members(tmp_path), "layers.0.weights.npy", count)
    assert path.stat().st_size < 1_300_000
    with zipfile.ZipFile(path) as archive:  # a well-formed archive that NumPy would read
        info = archive.getinfo("layers.0.weights.npy")
        assert info.file_size > count * 8
        with archive.open(info) as stream:
            assert np.lib.format.read_magic(stream) == (1, 0)
            assert np.lib.format.read_array_header_1_0(stream)[0] == (count,)
    tracemalloc.start()
    try:
        _rejected(load_weights, path, "layers.0.weights: the archive declares 1,200,000,")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000, f"{peak:,} bytes allocated"


def test_npz_bomb_whose_header_matches_the_architecture_but_not_its_size(tmp_path):
    # The zip entry declares far more bytes than the (correct) header's shape needs.
    members = _npz_members(tmp_path)
    members["layers.0.bias.npy"] = _npy(np.zeros(3)) + bytes(100_000)
    path = _zip(tmp_path / "w.npz", members, zipfile.ZIP_DEFLATED)
    _rejected(load_weights, path, "layers.0.bias: the archive declares 100,152 bytes")


def test_npz_other_malformed_archives(tmp_path):
    members = _npz_members(tmp_path)
    path = tmp_path / "w.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("layers.0.bias.npy", members["layers.0.bias.npy"])
    _rejected(load_weights, path, "layers.0.bias: appears twice in the archive")
    text = _npy(np.array("x"))
    _zip(path, {**members, "architecture.npy": text[:-4] + b"\xff\xff\xff\xff"})
    _rejected(load_weights, path, "architecture: not valid text")  # it raised SystemError
    _zip(path, {**members, "architecture.npy": _npy(np.array('{"sizes": "\ud800"}'))})
    _rejected(load_weights, path, "architecture: not valid text")  # a surrogate code point
    _zip(path, {**members, "architecture.npy": _npy(np.array('{"sizes": "\\ud800"}'))})
    _rejected(load_weights, path, "architecture: sizes: holds '\\ud800'")  # an escape
    many = {f"x{i}.npy": b"" for i in range(1001)}
    _rejected(load_weights, _zip(path, {**members, **many}), "more than 1000 members")


def test_npz_arrays_numpy_writes_differently_still_load(tmp_path):
    # Fortran order (a transposed array), float32 and big-endian floats, a mask byte of 2.
    net = _net()
    members = _npz_members(tmp_path, net)
    weights = net.layers[0].weights
    members["layers.0.weights.npy"] = _npy(np.asfortranarray(weights))
    members["layers.1.weights.npy"] = _npy(net.layers[1].weights.astype(">f8"))
    members["layers.0.bias.npy"] = _npy(net.layers[0].bias.astype(np.float32))
    mask = members["layers.1.mask.npy"]
    members["layers.1.mask.npy"] = mask[:-1] + b"\x02"
    arch, layers = load_weights(_zip(tmp_path / "w.npz", members, zipfile.ZIP_DEFLATED))
    assert np.array_equal(layers[0][0], weights) and layers[0][0].flags.c_contiguous
    assert np.array_equal(layers[1][0], net.layers[1].weights)
    assert layers[0][1].dtype == np.float64
    assert np.array_equal(layers[0][1], net.layers[0].bias.astype(np.float32))
    assert layers[1][2].view(np.uint8).tolist() == [[1], [1], [1]]
    assert not layers[0][2][1, 2]


# --------------------------------------------------------------------------- .safetensors


def _safetensors(header: dict, data: bytes) -> bytes:
    text = json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + data


def _safetensors_parts(tmp_path) -> tuple[dict, bytes]:
    path = tmp_path / "w.safetensors"
    export_weights(_net(), path)
    data = path.read_bytes()
    n = int.from_bytes(data[:8], "little")
    return json.loads(data[8 : 8 + n]), data[8 + n :]


@pytest.mark.parametrize("value", [3, None, ["a"], {"sizes": [2, 1]}, True])
def test_safetensors_architecture_that_is_not_a_string(value, tmp_path):
    # It raised AttributeError ('int' object has no attribute 'encode').
    header, data = _safetensors_parts(tmp_path)
    header["__metadata__"]["architecture"] = value
    path = tmp_path / "w.safetensors"
    path.write_bytes(_safetensors(header, data))
    _rejected(load_weights, path, "__metadata__.architecture: must be a string")


def _entry(header, name="layers.0.weights"):
    return header[name]


@pytest.mark.parametrize(
    "change,fragment",
    [
        (lambda h: _entry(h).update(dtype=7), "layers.0.weights.dtype: must be a string"),
        (lambda h: _entry(h).update(dtype="Q4"), "layers.0.weights.dtype: unknown tensor type"),
        (lambda h: _entry(h).update(dtype="F8_E4M3"), "tensor type F8_E4M3 cannot be read"),
        (lambda h: _entry(h).update(shape=[2, -3]), "layers.0.weights.shape[1]: must be at"),
        (lambda h: _entry(h).update(shape=[2, BIG]), "shape[1]: must be at most"),
        (lambda h: _entry(h).update(shape="2x3"), "layers.0.weights.shape: must be an array"),
        (lambda h: _entry(h).update(extra=1), "layers.0.weights.extra: unknown field"),
        (lambda h: h.update({"layers.0.weights": [1]}), "layers.0.weights: must be an object"),
        (lambda h: _entry(h).update(data_offsets=[0]), "data_offsets: must have 2 entries"),
        (lambda h: _entry(h).update(data_offsets=[-8, 40]), "data_offsets[0]: must be at least"),
        (lambda h: _entry(h).update(data_offsets=[0, BIG]), "data_offsets: [0, a 401-digit"),
        (lambda h: h.update({"__metadata__": "x"}), "__metadata__.format: expected"),
        (lambda h: h["__metadata__"].update(version=1), "unknown version 1; this program"),
    ],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_safetensors_header_fields_are_checked(change, fragment, tmp_path):
    header, data = _safetensors_parts(tmp_path)
    change(header)
    path = tmp_path / "w.safetensors"
    path.write_bytes(_safetensors(header, data))
    _rejected(load_weights, path, fragment)


def test_safetensors_offsets_must_tile_the_data(tmp_path):
    header, data = _safetensors_parts(tmp_path)
    path = tmp_path / "w.safetensors"
    names = sorted((h["data_offsets"], k) for k, h in header.items() if k != "__metadata__")
    (first, _), (second, b) = names[0], names[1]
    overlapping = json.loads(json.dumps(header))
    size = first[1] - first[0]
    overlapping[b]["data_offsets"] = [first[0], first[0] + second[1] - second[0]]
    path.write_bytes(_safetensors(overlapping, data))
    _rejected(load_weights, path, "damaged safetensors file (", "overlaps")
    past = json.loads(json.dumps(header))
    last = names[-1][1]
    begin, end = past[last]["data_offsets"]
    past[last]["data_offsets"] = [begin + 8, end + 8]
    path.write_bytes(_safetensors(past, data + bytes(4)))
    _rejected(load_weights, path, f"damaged safetensors file ({last}: its data ends at byte")
    path.write_bytes(_safetensors(header, data + bytes(size)))
    _rejected(load_weights, path, "belong to no tensor")


def test_safetensors_loads_without_the_package(tmp_path, monkeypatch):
    path = tmp_path / "w.safetensors"
    export_weights(_net(), path)
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    arch, layers = load_weights(path)
    assert arch["sizes"] == [2, 3, 1] and layers[0][0].flags.writeable


# --------------------------------------------------------------------------- atomic saves


def _leftover(folder, target: str, pid: int | None, host=None, age=0.0, token="0123abcd"):
    tag = token if pid is None else f"{pid}-{host or project_files._HOST}.{token}"
    path = folder / f".{target}.{tag}.tmp"
    path.write_bytes(b"partial")
    if age:
        then = time.time() - age
        os.utime(path, (then, then))
    return path


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_save_killed_mid_write_leaves_a_temporary_file_the_next_save_removes(tmp_path):
    target = tmp_path / "project.json"
    load_example("xor").save(target)
    before = target.read_bytes()
    code = (
        "import os, signal, sys\n"
        "from simulator.project.files import write_atomic\n"
        "def write(f):\n"
        "    f.write(b'{half a project')\n"
        "    f.flush()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        f"write_atomic({str(target)!r}, write)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=os.getcwd(), timeout=60)
    assert result.returncode == -signal.SIGKILL
    assert target.read_bytes() == before  # the old file is whole ...
    left = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(left) == 1 and left[0].startswith(".project.json.")  # ... a temporary remains
    load_example("circle").save(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project.json"]
    assert Project.load(target).name == "Circle"


def test_stale_temporary_files_are_told_from_saves_in_progress(tmp_path):
    target = "w.json"
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead = _leftover(tmp_path, target, _dead_pid())
        old = _leftover(tmp_path, target, None, age=2 * project_files.STALE_AFTER)
        old_foreign = _leftover(tmp_path, target, 7, host="ffffffff", age=7200)
        keep = [
            _leftover(tmp_path, target, other.pid),  # another process, still running
            _leftover(tmp_path, target, os.getpid()),  # this process (another thread?)
            _leftover(tmp_path, target, None, token="4567cdef"),  # an older version's, recent
            _leftover(tmp_path, target, _dead_pid(), host="ffffffff"),  # another computer
            _leftover(tmp_path, "w.json.bak", _dead_pid()),  # another file's
            _leftover(tmp_path, "w", _dead_pid()),
        ]
        unrelated = tmp_path / f".{target}.notes.tmp"
        unrelated.write_bytes(b"")
        link = tmp_path / f".{target}.1-{project_files._HOST}.00000000.tmp"
        link.symlink_to(tmp_path / "elsewhere")
        write_text_atomic(tmp_path / target, "{}")
        assert not dead.exists() and not old.exists() and not old_foreign.exists()
        assert all(path.exists() for path in keep)
        assert unrelated.exists() and link.is_symlink()
        assert (tmp_path / target).read_text() == "{}"
    finally:
        other.kill()
        other.wait()


def test_temporary_file_names_say_who_writes_them(tmp_path):
    seen = []

    def write(f):
        seen.extend(p.name for p in tmp_path.iterdir())
        f.write(b"x")

    project_files.write_atomic(tmp_path / "w.npz", write)
    (name,) = seen
    prefix, pid_host, token, suffix = name.rsplit(".", 3)[0], *name.rsplit(".", 3)[1:]
    assert prefix == ".w.npz" and suffix == "tmp" and len(token) == 8
    assert pid_host == f"{os.getpid()}-{project_files._HOST}"
    assert math.isclose(len(os.listdir(tmp_path)), 1)
