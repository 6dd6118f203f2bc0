"""Trained weights as files other programs read: .npz, .json, .safetensors, .onnx, PyTorch .py.

``.npz``: for each layer i, ``layers.{i}.weights`` (fan_in, fan_out), ``layers.{i}.bias``
(fan_out,) and ``layers.{i}.mask`` (bool, False = connection removed), in the network's dtype,
plus ``architecture``: a JSON string (0-d unicode array) with sizes, activations, use_bias, loss
and dtype.  Everything loads with ``np.load(path, allow_pickle=False)``.

The architecture may also describe the inputs (for a project trained on an imported CSV file):
``input_names`` (one per input unit, the column names) and, when the columns were standardised,
``input_means`` and ``input_stds``: the network expects ``(raw - input_means) / input_stds``
(``input_stds`` are the divisors: a column's standard deviation, or 1 where the column had one
value in every row).  Readers that do not know these keys can ignore them.

``.json``: ``{"format": "backprop-lab-weights", "version": 1, "architecture": {...},
"layers": [{"weights": [[...]], "bias": [...], "mask": [[true, ...]]}, ...]}`` with exact
(float64 ``repr``) numbers.

``.safetensors``: the same tensors as ``.npz`` (masks as BOOL); the header's ``__metadata__``
holds ``format`` ("backprop-lab-weights"), ``version`` ("1") and ``architecture`` (the JSON
string).

``.onnx`` (see onnx_export) and ``.py`` (see torch_script: a PyTorch script plus a ``.npz``
beside it with the same stem) are written only; the other three load back.
"""

from __future__ import annotations

import ast
import importlib
import io
import json
import math
import os
import tokenize
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulator.engine import activations as _activations
from simulator.engine import losses as _losses
from simulator.engine.network import DTYPES, Network
from simulator.project import validate as v
from simulator.project.files import (
    MAX_FILE_BYTES,
    ProjectError,
    dumps,
    parse_json,
    read_bytes,
    write_atomic,
    write_text_atomic,
)

WEIGHTS_FORMAT = "backprop-lab-weights"
WEIGHTS_VERSION = 1
WEIGHT_EXTENSIONS = (".npz", ".json", ".safetensors", ".onnx", ".py")
LOADABLE_WEIGHT_EXTENSIONS = (".npz", ".json", ".safetensors")

# Reading .npz archives: what a member may declare before its data is read.
_ZIP_DIRECTORY_ENTRY = b"PK\x01\x02"  # begins each entry of a zip's central directory
_NPZ_MAX_MEMBERS = 1000  # a network of MAX_LAYERS layers has 3 * 63 + 1 members
_NPY_PREFIX = 12  # the magic string (8 bytes) and the longest header-length field (4)
_NPY_MAX_HEADER = 10_000  # NumPy's own bound for a header it parses without allow_pickle
_NPY_HEADER_READERS = {  # .npy version: (bytes of the header-length field, its reader)
    (1, 0): (2, np.lib.format.read_array_header_1_0),
    (2, 0): (4, np.lib.format.read_array_header_2_0),
}
_MAX_ITEMSIZE = 16  # bytes of the widest float (long double)
# What zipfile and its decompressors raise for damaged or unusual archives (ProjectError, a
# ValueError, passes through as it is).
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    zlib.error,
)
# What parsing a .npy header (a Python literal, then a dtype) raises for a malformed one.
_NPY_HEADER_ERRORS = (
    ValueError,
    TypeError,
    SyntaxError,
    KeyError,
    IndexError,
    OverflowError,
    RecursionError,
    MemoryError,
    tokenize.TokenError,
)
# safetensors element types: those NumPy holds, and the others the format knows.
_SAFETENSORS_DTYPES = {
    "BOOL": "|b1",
    "U8": "|u1",
    "I8": "|i1",
    "U16": "<u2",
    "I16": "<i2",
    "F16": "<f2",
    "U32": "<u4",
    "I32": "<i4",
    "F32": "<f4",
    "U64": "<u8",
    "I64": "<i8",
    "F64": "<f8",
}
_SAFETENSORS_OTHER_DTYPES = ("BF16", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4")


@dataclass(frozen=True)
class Preprocessing:
    """What happens to raw inputs before the network, one entry per input unit.

    ``names`` name the inputs (CSV columns); ``means`` and ``stds`` (both or neither) say that
    the network expects ``(raw - means) / stds``.  ``stds`` are divisors, so all > 0.
    """

    names: tuple[str, ...] | None = None
    means: tuple[float, ...] | None = None
    stds: tuple[float, ...] | None = None

    def __post_init__(self):
        if (self.means is None) != (self.stds is None):
            raise ValueError("give both means and stds, or neither")
        if self.stds is not None and not all(s > 0 and np.isfinite(s) for s in self.stds):
            raise ValueError("the stds are divisors: every one must be a finite number > 0")
        lengths = {len(x) for x in (self.names, self.means, self.stds) if x is not None}
        if len(lengths) > 1:
            raise ValueError("names, means and stds need one entry per input")

    @property
    def standardizes(self) -> bool:
        return self.means is not None

    def __len__(self) -> int:
        return len(next(x for x in (self.names, self.means, ()) if x is not None))

    def apply(self, raw: np.ndarray) -> np.ndarray:
        """The network's inputs for raw samples (n, d): standardised, or ``raw`` as it is."""
        if not self.standardizes:
            return raw
        return (raw - np.asarray(self.means)) / np.asarray(self.stds)

    def to_dict(self) -> dict:
        out = {}
        if self.names is not None:
            out["input_names"] = list(self.names)
        if self.standardizes:
            out["input_means"] = [float(m) for m in self.means]
            out["input_stds"] = [float(s) for s in self.stds]
        return out


def architecture(net: Network, preprocessing: Preprocessing | None = None) -> dict:
    """What a reader needs to rebuild the forward pass: sizes, activations, biases, loss, dtype
    (and, with ``preprocessing``, input_names, input_means and input_stds)."""
    arch = {
        "sizes": list(net.sizes),
        "activations": list(net.activations),
        "use_bias": [bool(layer.use_bias) for layer in net.layers],
        "loss": net.loss,
        "dtype": net.dtype.name,
    }
    if preprocessing is not None:
        if len(preprocessing) != net.sizes[0]:
            raise ValueError(
                f"the preprocessing describes {len(preprocessing)} inputs; the network has "
                f"{net.sizes[0]}"
            )
        arch.update(preprocessing.to_dict())
    return arch


def layer_summary(net: Network) -> str:
    """One line per network for headers: ``2 -> 8 tanh, 8 -> 1 sigmoid (no bias)``."""
    return ", ".join(
        f"{la.fan_in} -> {la.fan_out} {la.activation}{'' if la.use_bias else ' (no bias)'}"
        for la in net.layers
    )


def _extension(path: str | os.PathLike, allowed: tuple[str, ...], verb: str) -> str:
    ext = Path(path).suffix.lower()
    if ext not in allowed:
        hint = ""
        if ext in WEIGHT_EXTENSIONS:
            hint = f" ({ext} is an export format only)"
        raise ProjectError(
            f"{path}: cannot {verb} weights as {ext or 'a file without an extension'!r}{hint}; "
            f"use one of {', '.join(allowed)}"
        )
    return ext


def export_weights(
    net: Network, path: str | os.PathLike, *, preprocessing: Preprocessing | None = None
) -> None:
    """Changes the file ``path`` (atomically) to ``net``'s weights; the extension picks the format.

    ``.py`` also writes the ``.npz`` beside it (same stem) that the script loads.  With
    ``preprocessing`` the architecture records the input names and standardisation, the ONNX
    model and the PyTorch script apply the standardisation themselves (they take raw inputs).
    Raises ProjectError for an unsupported extension (naming the supported ones).
    """
    ext = _extension(path, WEIGHT_EXTENSIONS, "export")
    arch = architecture(net, preprocessing)
    if ext == ".json":
        doc = {
            "format": WEIGHTS_FORMAT,
            "version": WEIGHTS_VERSION,
            "architecture": arch,
            "layers": [
                {
                    "weights": layer.weights.astype(np.float64).tolist(),
                    "bias": layer.bias.astype(np.float64).tolist(),
                    "mask": layer.mask.tolist(),
                }
                for layer in net.layers
            ],
        }
        write_text_atomic(path, dumps(doc))
    elif ext == ".safetensors":
        save = _require("safetensors.numpy", path).save
        metadata = {
            "format": WEIGHTS_FORMAT,
            "version": str(WEIGHTS_VERSION),
            "architecture": json.dumps(arch),
        }
        data = save(_tensors(net), metadata=metadata)
        write_atomic(path, lambda f: f.write(data))
    elif ext == ".onnx":
        from simulator.project.onnx_export import onnx_model

        _require("onnx", path)
        data = onnx_model(net, preprocessing).SerializeToString()
        write_atomic(path, lambda f: f.write(data))
    elif ext == ".py":
        from simulator.project.torch_script import torch_script_source

        sidecar = Path(path).with_suffix(".npz")
        source = torch_script_source(net, sidecar.name, preprocessing)
        _write_npz(net, sidecar, arch)
        write_text_atomic(path, source)
    else:
        _write_npz(net, path, arch)


def _require(module: str, path: str | os.PathLike):
    # onnx and safetensors load only for their formats, so starting the program stays fast.
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        package = module.split(".")[0]
        raise ProjectError(f"{path}: this format needs the {package} package ({exc})") from None


def _tensors(net: Network) -> dict[str, np.ndarray]:
    arrays = {}
    for i, layer in enumerate(net.layers):
        arrays[f"layers.{i}.weights"] = np.ascontiguousarray(layer.weights)
        arrays[f"layers.{i}.bias"] = np.ascontiguousarray(layer.bias)
        arrays[f"layers.{i}.mask"] = np.ascontiguousarray(layer.mask, dtype=bool)
    return arrays


def _write_npz(net: Network, path: str | os.PathLike, arch: dict) -> None:
    arrays = {"architecture": np.array(json.dumps(arch)), **_tensors(net)}
    write_atomic(path, lambda f: np.savez(f, **arrays))


LayerArrays = tuple[np.ndarray, np.ndarray, np.ndarray]  # weights, bias, mask


def load_weights(path: str | os.PathLike) -> tuple[dict, list[LayerArrays]]:
    """Read a weights export: (architecture dict, [(weights, bias, mask) per layer]).

    Arrays come back in the architecture's dtype (masks bool).  Every shape, value and name is
    checked; problems raise a ProjectError starting with the path (and naming the tensor or
    field).  Every file is read whole, at most ``files.MAX_FILE_BYTES`` long; an ``.npz``
    member's sizes are checked before it is decompressed, and nothing is ever unpickled.
    """
    _extension(path, LOADABLE_WEIGHT_EXTENSIONS, "load")
    return parse_weights(read_bytes(path), path)


def parse_weights(data: bytes, name: str | os.PathLike) -> tuple[dict, list[LayerArrays]]:
    """:func:`load_weights` of a file's contents ``data``; ``name``'s extension picks the format
    and messages start with ``name``."""
    ext = _extension(name, LOADABLE_WEIGHT_EXTENSIONS, "load")
    try:
        if ext == ".json":
            return _from_json(parse_json(data, str(name)))
        if ext == ".safetensors":
            return _from_safetensors(data)
        return _from_npz(data)
    except ProjectError as exc:
        message = str(exc)
        if not message.startswith(str(name)):
            message = f"{name}: {message}"
        raise ProjectError(message) from None


def _check_architecture(obj: object, path: str) -> dict:
    f = v.Fields(
        obj,
        path,
        (
            "sizes",
            "activations",
            "use_bias",
            "loss",
            "dtype",
            "input_names",
            "input_means",
            "input_stds",
        ),
    )
    sizes = v.layer_sizes(f.raw("sizes"), f.where("sizes"))
    n = len(sizes) - 1
    known = tuple(_activations.ACTIVATIONS)
    acts = [
        v.string(a, v.join(f.where("activations"), i), choices=known, what="activation")
        for i, a in enumerate(f.array("activations", length=n))
    ]
    use_bias = [
        v.boolean(b, v.join(f.where("use_bias"), i))
        for i, b in enumerate(f.array("use_bias", [True] * n, length=n))
    ]
    loss = f.string("loss", choices=_losses.LOSSES, what="loss")
    dtype = f.string("dtype", "float64", choices=DTYPES, what="dtype")
    arch = {"sizes": sizes, "activations": acts, "use_bias": use_bias, "loss": loss, "dtype": dtype}
    if f.has("input_names"):
        names = f.array("input_names", length=sizes[0])
        arch["input_names"] = [
            v.string(name, v.join(f.where("input_names"), k), max_len=200)
            for k, name in enumerate(names)
        ]
    if f.has("input_means") != f.has("input_stds"):
        missing = "input_stds" if f.has("input_means") else "input_means"
        raise v.fail(f.where(missing), "required with input_means and input_stds together")
    if f.has("input_means"):
        means = v.number_vector(f.raw("input_means"), f.where("input_means"), length=sizes[0])
        stds = v.number_vector(f.raw("input_stds"), f.where("input_stds"), length=sizes[0])
        bad = np.flatnonzero(stds <= 0)
        if bad.size:
            raise v.fail(v.join(f.where("input_stds"), int(bad[0])), "must be greater than 0")
        arch["input_means"] = means.tolist()
        arch["input_stds"] = stds.tolist()
    return arch


def preprocessing_of(arch: dict) -> Preprocessing | None:
    """The Preprocessing an architecture read by :func:`load_weights` records, else None."""
    names, means, stds = (arch.get(k) for k in ("input_names", "input_means", "input_stds"))
    if names is None and means is None:
        return None
    return Preprocessing(
        tuple(names) if names is not None else None,
        tuple(means) if means is not None else None,
        tuple(stds) if stds is not None else None,
    )


def _from_json(doc: object):
    f = v.Fields(doc, "", ("format", "version", "architecture", "layers"))
    if f.raw("format") != WEIGHTS_FORMAT:
        raise v.fail("format", f"expected {WEIGHTS_FORMAT!r}, got {v.value_text(f.raw('format'))}")
    version = f.raw("version")
    if version != WEIGHTS_VERSION or type(version) is not int:
        raise v.fail(
            "version",
            f"unknown version {v.value_text(version)}; this program reads version "
            f"{WEIGHTS_VERSION}",
        )
    arch = _check_architecture(f.raw("architecture"), "architecture")
    sizes = arch["sizes"]
    layers = f.array("layers", length=len(sizes) - 1)
    arrays = {}
    for i, layer in enumerate(layers):
        where = v.join("layers", i)
        lf = v.Fields(layer, where, ("weights", "bias", "mask"))
        shape = (sizes[i], sizes[i + 1])
        w = v.number_matrix(lf.raw("weights"), lf.where("weights"), shape).reshape(shape)
        b = v.number_vector(lf.raw("bias"), lf.where("bias"), length=sizes[i + 1])
        rows = v.array(
            lf.raw("mask", [[True] * shape[1]] * shape[0]), lf.where("mask"), length=shape[0]
        )
        mask = np.ones(shape, dtype=bool)
        for r, row in enumerate(rows):
            row = v.array(row, v.join(lf.where("mask"), r), length=shape[1])
            for c, flag in enumerate(row):
                mask[r, c] = v.boolean(flag, v.join(v.join(lf.where("mask"), r), c))
        arrays |= {f"layers.{i}.weights": w, f"layers.{i}.bias": b, f"layers.{i}.mask": mask}
    return arch, _layer_arrays(arch, arrays, lambda i, part: f"layers[{i}].{part}")


def _from_npz(data: bytes):
    # Read member by member with zipfile rather than np.load: every size a member declares (the
    # zip entry's and its .npy header's) is checked against the architecture before any data is
    # decompressed, so a small file cannot make us allocate what no valid file would.
    if data.count(_ZIP_DIRECTORY_ENTRY) > _NPZ_MAX_MEMBERS:  # counts at least every entry
        raise ProjectError(f"not a weights archive (more than {_NPZ_MAX_MEMBERS} members)")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as exc:
        raise ProjectError(f"not a NumPy .npz archive ({exc})") from None
    with archive:
        members = _npz_members(archive)
        if "architecture" not in members:
            raise ProjectError("architecture: missing from the archive")
        text = _npz_text(archive, members.pop("architecture"), "architecture")
        arch = _parse_architecture(text)
        expected = _expected_shapes(arch)
        _check_names(expected, set(members), "the archive")
        arrays = {
            name: _npz_array(archive, members[name], name, shape)
            for name, shape in expected.items()
        }
    return arch, _layer_arrays(arch, arrays)


def _npz_members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The archive's members by array name ("layers.0.weights" for layers.0.weights.npy)."""
    members = {}
    for info in archive.infolist():
        if not info.filename.endswith(".npy"):
            raise ProjectError(
                f"{info.filename}: not a .npy array (a NumPy .npz archive holds only .npy files)"
            )
        name = info.filename[: -len(".npy")]
        if name in members:
            raise ProjectError(f"{name}: appears twice in the archive")
        members[name] = info
    return members


def _npz_text(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> str:
    """The string held by a 0-d unicode .npy member."""

    def check(shape: tuple, dtype: np.dtype) -> None:
        if shape != () or dtype.kind != "U":
            raise ProjectError(f"{name}: must be a JSON string (0-d unicode array), not {dtype}")

    raw, _, _, dtype = _npz_member(archive, info, name, MAX_FILE_BYTES, check)
    codec = "utf-32-be" if dtype.byteorder == ">" else "utf-32-le"
    try:
        text = raw.decode(codec)  # also refuses surrogates and code points beyond U+10FFFF
    except UnicodeDecodeError as exc:
        raise ProjectError(f"{name}: not valid text ({exc.reason})") from None
    return text.rstrip("\0")  # as NumPy reads it: the padding of a shorter string goes


def _npz_array(archive, info: zipfile.ZipInfo, name: str, want: tuple[int, ...]) -> np.ndarray:
    def check(shape: tuple, dtype: np.dtype) -> None:
        _check_tensor(name, shape, dtype, want)

    most = math.prod(want) * _MAX_ITEMSIZE
    raw, shape, fortran_order, dtype = _npz_member(archive, info, name, most, check)
    array = np.frombuffer(raw, dtype=dtype)
    if fortran_order:  # (NumPy writes a Fortran-ordered array so, e.g. a transposed one)
        return np.ascontiguousarray(array.reshape(shape[::-1]).T)
    return array.reshape(shape)


def _npz_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, most: int, check):
    """(data bytes, shape, fortran_order, dtype) of one .npy member.

    ``check(shape, dtype)`` raises for an array the caller cannot use, and ``most`` bounds its
    data bytes; both are applied before the data is decompressed.
    """
    if info.flag_bits & 0x1:
        raise ProjectError(f"{name}: encrypted (NumPy never encrypts an archive)")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ProjectError(
            f"{name}: compression method {info.compress_type} is not supported "
            "(NumPy writes stored or deflated members)"
        )
    if info.file_size > _NPY_PREFIX + _NPY_MAX_HEADER + most:
        raise ProjectError(
            f"{name}: the archive declares {info.file_size:,} bytes, more than the architecture "
            f"needs (at most {_NPY_PREFIX + _NPY_MAX_HEADER + most:,})"
        )
    try:
        with archive.open(info) as stream:
            shape, fortran_order, dtype, start = _npy_header(stream, name)
            check(shape, dtype)
            size = math.prod(shape) * dtype.itemsize
            if info.file_size != start + size:
                raise ProjectError(
                    f"{name}: the archive declares {info.file_size:,} bytes; its header and "
                    f"a {dtype} array of shape {shape} take {start + size:,}"
                )
            raw = stream.read(size)  # reaching the end also checks the member's CRC-32
    except _ZIP_ERRORS as exc:
        if isinstance(exc, ProjectError):
            raise
        raise ProjectError(f"{name}: damaged ({type(exc).__name__}: {exc})") from None
    if len(raw) != size:
        raise ProjectError(f"{name}: damaged (its data ends after {len(raw):,} of {size:,} bytes)")
    return raw, shape, fortran_order, dtype


def _npy_header(stream, name: str) -> tuple[tuple, bool, np.dtype, int]:
    """(shape, fortran_order, dtype, data offset) from the start of a .npy stream.

    NumPy's own header reader parses the header, after the header's length has been checked
    here (its reader would first read as many bytes as the length field says).
    """
    fmt = np.lib.format
    try:
        version = fmt.read_magic(stream)
    except ValueError as exc:
        raise ProjectError(f"{name}: not a .npy array ({exc})") from None
    if version not in _NPY_HEADER_READERS:
        raise ProjectError(f"{name}: .npy format version {version[0]}.{version[1]} is not read")
    width, reader = _NPY_HEADER_READERS[version]
    length_field = stream.read(width)
    length = int.from_bytes(length_field, "little")
    if len(length_field) != width or length > _NPY_MAX_HEADER:
        raise ProjectError(f"{name}: not a .npy array (its header length is {length:,} bytes)")
    header = stream.read(length)
    try:
        # Parsed here first: NumPy's reader would retry a header that fails as one written by
        # Python 2, with a warning; such a file is not one of ours.
        ast.literal_eval(header.decode("latin1"))
        shape, fortran_order, dtype = reader(
            io.BytesIO(length_field + header), max_header_size=_NPY_MAX_HEADER
        )
    except _NPY_HEADER_ERRORS as exc:
        raise ProjectError(f"{name}: not a .npy array ({' '.join(str(exc).split())})") from None
    if not all(type(n) is int and n >= 0 for n in shape):  # NumPy lets (True,) through
        raise ProjectError(f"{name}: not a .npy array (its shape is {shape!r})")
    return shape, fortran_order, dtype, len(fmt.MAGIC_PREFIX) + 2 + width + length


def _parse_architecture(text: str) -> dict:
    return _check_architecture(parse_json(text.encode("utf-8"), "architecture"), "architecture")


def _expected_shapes(arch: dict) -> dict[str, tuple[int, ...]]:
    """Each tensor's name and shape, layer by layer: weights (fan_in, fan_out), bias, mask."""
    sizes = arch["sizes"]
    shapes = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        shapes[f"layers.{i}.weights"] = (fan_in, fan_out)
        shapes[f"layers.{i}.bias"] = (fan_out,)
        shapes[f"layers.{i}.mask"] = (fan_in, fan_out)
    return shapes


def _check_names(expected: dict[str, tuple], names: set[str], container: str) -> None:
    missing = [name for name in expected if name not in names]
    if missing:
        raise ProjectError(f"{missing[0]}: missing from {container}")
    extra = sorted(names - set(expected))
    if extra:
        n = len(expected) // 3
        raise ProjectError(f"{extra[0]}: unexpected tensor (the architecture has {n} layers)")


def _check_tensor(name: str, shape: tuple, dtype: np.dtype, want: tuple[int, ...]) -> None:
    """A tensor's declared shape and element type, checked before its data is read."""
    if dtype.hasobject:
        raise ProjectError(f"{name}: holds Python objects, which cannot be read without pickle")
    if shape != want:
        raise ProjectError(f"{name}: shape {_shape_text(shape)}, expected {want}")
    if name.endswith(".mask"):
        if dtype != np.bool_:
            raise ProjectError(f"{name}: must be a bool array, not {dtype}")
    elif dtype.kind != "f" or dtype.shape != ():
        raise ProjectError(f"{name}: must hold floats, not {dtype}")


def _shape_text(shape: tuple) -> str:
    """(8, 2) as Python writes it, but with "a 30-digit number" for a huge dimension."""
    dims = [str(n) if len(str(n)) <= v.SHOWN_DIGITS else v.number_text(n) for n in shape]
    return f"({', '.join(dims)}{',' if len(dims) == 1 else ''})"


def _layer_arrays(arch: dict, arrays: dict[str, np.ndarray], label=None) -> list[LayerArrays]:
    """Every layer's (weights, bias, mask) from tensors of the right shapes and types, as new
    arrays in the architecture's dtype (masks bool); ``label(i, part)`` names one in messages
    (default ``layers.{i}.{part}``, the tensor's name)."""
    label = label or (lambda i, part: f"layers.{i}.{part}")
    dtype = np.dtype(arch["dtype"])
    out = []
    for i in range(len(arch["sizes"]) - 1):
        w, b, mask = (arrays[f"layers.{i}.{part}"] for part in ("weights", "bias", "mask"))
        for part, values in (("weights", w), ("bias", b)):
            if not np.isfinite(values).all():
                raise ProjectError(f"{label(i, part)}: holds NaN or infinite values")
        w, b = (v.in_dtype(x, dtype, label(i, part)) for x, part in ((w, "weights"), (b, "bias")))
        # A bool byte other than 0 or 1 is True, as a new array (not a view of the file).
        out.append((w, b, np.ascontiguousarray(mask).view(np.uint8) != 0))
    return out


def _from_safetensors(data: bytes):
    # Read with NumPy once every header field has been checked: dtypes, shapes, and offsets
    # that tile the data exactly (no overlap, no gap, nothing past the end).
    header, start = _safetensors_header(data)
    arch = _safetensors_architecture(header.pop("__metadata__", None))
    specs = {name: _safetensors_entry(name, entry) for name, entry in header.items()}
    _check_spans(specs, len(data) - start)
    expected = _expected_shapes(arch)
    _check_names(expected, set(specs), "the file")
    arrays = {}
    for name, want in expected.items():
        dtype, shape, (begin, _) = specs[name]
        _check_tensor(name, shape, dtype, want)
        count = math.prod(shape)
        arrays[name] = np.frombuffer(data, dtype, count, start + begin).reshape(shape)
    return arch, _layer_arrays(arch, arrays)


def _safetensors_header(data: bytes) -> tuple[dict, int]:
    """The header's JSON object and where the data starts."""
    # The format: an 8-byte little-endian length, then that many bytes of JSON, then the data.
    if len(data) < 8:
        raise ProjectError("not a safetensors file (shorter than its 8-byte header length)")
    n = int.from_bytes(data[:8], "little")
    if n > len(data) - 8:
        raise ProjectError(
            f"not a safetensors file, or truncated (its header claims {n:,} bytes; "
            f"{len(data) - 8:,} follow)"
        )
    header = parse_json(data[8 : 8 + n], "the safetensors header")
    if not isinstance(header, dict):
        raise ProjectError("the safetensors header: must be a JSON object")
    return header, 8 + n


def _safetensors_architecture(meta: object) -> dict:
    found = meta.get("format") if isinstance(meta, dict) else None
    if found != WEIGHTS_FORMAT:
        raise ProjectError(
            f"__metadata__.format: expected {WEIGHTS_FORMAT!r}, got {_found(found)} "
            "(not a Backprop Lab weights file)"
        )
    if meta.get("version") != str(WEIGHTS_VERSION):
        raise ProjectError(
            f"__metadata__.version: unknown version {_found(meta.get('version'))}; "
            f"this program reads version {WEIGHTS_VERSION}"
        )
    if "architecture" not in meta:
        raise ProjectError("__metadata__.architecture: missing from the file")
    text = v.string(meta["architecture"], "__metadata__.architecture", max_len=MAX_FILE_BYTES)
    return _parse_architecture(text)


def _found(value: object) -> str:
    return "None" if value is None else v.value_text(value)


def _safetensors_entry(name: str, entry: object) -> tuple[np.dtype, tuple, tuple[int, int]]:
    """(dtype, shape, (begin, end)) of one tensor of the header, its fields checked."""
    f = v.Fields(entry, name, ("dtype", "shape", "data_offsets"))
    kind = f.string("dtype", max_len=40)
    if kind not in _SAFETENSORS_DTYPES:
        if kind in _SAFETENSORS_OTHER_DTYPES:
            raise ProjectError(f"{name}: tensor type {kind} cannot be read as a NumPy array")
        raise v.fail(f.where("dtype"), f"unknown tensor type {v.value_text(kind)}")
    dtype = np.dtype(_SAFETENSORS_DTYPES[kind])
    shape = tuple(
        v.integer(n, v.join(f.where("shape"), k), low=0, high=MAX_FILE_BYTES)
        for k, n in enumerate(f.array("shape", max_len=32))
    )
    offsets = f.array("data_offsets", length=2)
    begin, end = (
        v.integer(x, v.join(f.where("data_offsets"), k), low=0) for k, x in enumerate(offsets)
    )
    if end - begin != math.prod(shape) * dtype.itemsize:
        raise v.fail(
            f.where("data_offsets"),
            f"[{v.number_text(begin)}, {v.number_text(end)}] do not span the "
            f"{math.prod(shape) * dtype.itemsize:,} bytes of a {kind} tensor of shape {shape}",
        )
    return dtype, shape, (begin, end)


def _check_spans(specs: dict[str, tuple], size: int) -> None:
    """The tensors' byte ranges must tile the ``size`` bytes of data: no overlap, gap or excess."""
    position, previous = 0, None
    for begin, end, name in sorted((span[0], span[1], name) for name, (*_, span) in specs.items()):
        if end > size:
            raise ProjectError(
                f"damaged safetensors file ({name}: its data ends at byte {v.number_text(end)}; "
                f"the file holds {size:,} bytes of data)"
            )
        if begin < position:
            raise ProjectError(
                f"damaged safetensors file ({name}: its data overlaps that of {previous})"
            )
        if begin > position:
            raise ProjectError(
                f"damaged safetensors file (bytes {position:,} to {begin:,} belong to no tensor)"
            )
        position, previous = end, name
    if position != size:
        raise ProjectError(
            f"damaged safetensors file (bytes {position:,} to {size:,} belong to no tensor)"
        )


def apply_weights(net: Network, layers) -> None:
    """Changes ``net``: masks and weights from :func:`load_weights`'s layer list."""
    if len(layers) != len(net.layers):
        raise ValueError(f"need {len(net.layers)} layers of weights, got {len(layers)}")
    for i, (layer, (w, b, mask)) in enumerate(zip(net.layers, layers, strict=True)):
        if not (
            mask.shape == np.shape(w) == layer.weights.shape and np.shape(b) == layer.bias.shape
        ):
            raise ValueError(f"layer {i}: the arrays do not match the network's shapes")
    for layer, (_, _, mask) in zip(net.layers, layers, strict=True):
        layer.mask = mask.copy()
    net.set_weights([(w, b) for w, b, _ in layers])
