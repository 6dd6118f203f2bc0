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

import importlib
import io
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulator.engine import activations as _activations
from simulator.engine import losses as _losses
from simulator.engine.network import DTYPES, Network
from simulator.project import validate as v
from simulator.project.files import (
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
    field).  ``.npz`` files are read with ``allow_pickle=False``; every file is read whole, at
    most ``files.MAX_FILE_BYTES`` long.
    """
    ext = _extension(path, LOADABLE_WEIGHT_EXTENSIONS, "load")
    data = read_bytes(path)
    try:
        if ext == ".json":
            return _from_json(parse_json(data, str(path)))
        if ext == ".safetensors":
            _require("safetensors.numpy", path)
            return _from_safetensors(data)
        return _from_npz(data)
    except ProjectError as exc:
        message = str(exc)
        if not message.startswith(str(path)):
            message = f"{path}: {message}"
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
    sizes_raw = f.array("sizes")
    if len(sizes_raw) < 2:
        raise v.fail(f.where("sizes"), "needs at least an input and an output layer")
    sizes = [v.integer(s, v.join(f.where("sizes"), k), low=1) for k, s in enumerate(sizes_raw)]
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
        raise v.fail("format", f"expected {WEIGHTS_FORMAT!r}, got {f.raw('format')!r}")
    version = f.raw("version")
    if version != WEIGHTS_VERSION or type(version) is not int:
        raise v.fail(
            "version", f"unknown version {version!r}; this program reads version {WEIGHTS_VERSION}"
        )
    arch = _check_architecture(f.raw("architecture"), "architecture")
    sizes, dtype = arch["sizes"], np.dtype(arch["dtype"])
    layers = f.array("layers", length=len(sizes) - 1)
    out = []
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
        out.append((w.astype(dtype), b.astype(dtype), mask))
    return arch, out


def _from_npz(data: bytes):
    try:
        archive = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ProjectError(f"not a NumPy .npz archive ({exc})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ProjectError("not a NumPy .npz archive (a single .npy array)")
    with archive:
        names = set(archive.files)
        if "architecture" not in names:
            raise ProjectError("architecture: missing from the archive")
        text = _read(archive, "architecture")
        if text.shape != () or text.dtype.kind != "U":
            raise ProjectError("architecture: must be a JSON string (0-d unicode array)")
        arch = _parse_architecture(str(text))
        layers = _check_tensors(
            arch, names - {"architecture"}, lambda name: _read(archive, name), "the archive"
        )
    return arch, layers


def _parse_architecture(text: str) -> dict:
    return _check_architecture(parse_json(text.encode("utf-8"), "architecture"), "architecture")


def _check_tensors(arch: dict, names: set[str], read, container: str) -> list[LayerArrays]:
    """Every layer's (weights, bias, mask) from ``read(name)``, checked against ``arch``."""
    sizes, dtype = arch["sizes"], np.dtype(arch["dtype"])
    n = len(sizes) - 1
    expected = {f"layers.{i}.{part}" for i in range(n) for part in ("weights", "bias", "mask")}
    missing = sorted(expected - names)
    if missing:
        raise ProjectError(f"{missing[0]}: missing from {container}")
    extra = sorted(names - expected)
    if extra:
        raise ProjectError(f"{extra[0]}: unexpected tensor (the architecture has {n} layers)")
    out = []
    for i in range(n):
        shape = (sizes[i], sizes[i + 1])
        w = read(f"layers.{i}.weights")
        b = read(f"layers.{i}.bias")
        mask = read(f"layers.{i}.mask")
        for name, arr, want in (
            ("weights", w, shape),
            ("bias", b, shape[1:]),
            ("mask", mask, shape),
        ):
            if arr.shape != want:
                raise ProjectError(f"layers.{i}.{name}: shape {arr.shape}, expected {want}")
        for name, arr in (("weights", w), ("bias", b)):
            if arr.dtype.kind != "f":
                raise ProjectError(f"layers.{i}.{name}: must hold floats, not {arr.dtype}")
            if not np.isfinite(arr).all():
                raise ProjectError(f"layers.{i}.{name}: holds NaN or infinite values")
        if mask.dtype != bool:
            raise ProjectError(f"layers.{i}.mask: must be a bool array, not {mask.dtype}")
        out.append((w.astype(dtype), b.astype(dtype), mask.copy()))
    return out


def _from_safetensors(data: bytes):
    from safetensors import SafetensorError
    from safetensors.numpy import load

    header = _safetensors_header(data)
    meta = header.get("__metadata__")
    if not isinstance(meta, dict) or meta.get("format") != WEIGHTS_FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise ProjectError(
            f"__metadata__.format: expected {WEIGHTS_FORMAT!r}, got {found!r} "
            "(not a Backprop Lab weights file)"
        )
    if meta.get("version") != str(WEIGHTS_VERSION):
        raise ProjectError(
            f"__metadata__.version: unknown version {meta.get('version')!r}; "
            f"this program reads version {WEIGHTS_VERSION}"
        )
    if "architecture" not in meta:
        raise ProjectError("__metadata__.architecture: missing from the file")
    arch = _parse_architecture(meta["architecture"])
    try:
        tensors = load(data)
    except SafetensorError as exc:
        raise ProjectError(f"damaged safetensors file ({exc})") from None
    except KeyError as exc:  # a tensor type NumPy has no dtype for, such as BF16
        kind = exc.args[0] if exc.args else "?"
        name = next(
            (k for k, v in header.items() if isinstance(v, dict) and v.get("dtype") == kind), "?"
        )
        raise ProjectError(f"{name}: tensor type {kind} cannot be read as a NumPy array") from None
    return arch, _check_tensors(arch, set(tensors), tensors.__getitem__, "the file")


def _safetensors_header(data: bytes) -> dict:
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
    return header


def _read(archive, name: str) -> np.ndarray:
    try:
        return archive[name]
    except ValueError as exc:  # object arrays need pickle, which stays off
        raise ProjectError(f"{name}: cannot be read without pickle ({exc})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ProjectError(f"{name}: damaged ({exc})") from None


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
