"""Seeded mutation fuzzing of the file loaders: each must load something usable or raise
ProjectError; anything else is a bug.  Not part of the test run.

usage: python tests/benchmarks/fuzz_loaders.py [N] [--seed S] [--only NAME,...] [--show K]
       python tests/benchmarks/fuzz_loaders.py --replay NAME:SEED [--keep FILE]

Runs N cases (default 100,000), case i on loader i mod len(LOADERS) with the seed S + i, and
prints per loader how many files loaded (and proved usable), were refused with ProjectError, or
raised anything else, with the tracebacks of the first K others and how to replay each.

Every case starts from a valid file and mutates it: the shipped examples (also trained: two
version 2 files with weights, history (base64 columns) and trainer state, and one whose history
is in the earlier list form; two projects with inline data; and XOR with points drawn by hand),
and the weights exported from them in .json, .npz and .safetensors.  Mutations replace values
with huge numbers, NaN, lone surrogates, wrong types or deep nesting, delete, add and duplicate
keys, and flip, insert or cut bytes; a quarter of the trained projects' cases change a history
column's base64 text (characters, padding, length, infinities in its bytes), dtype or shape;
in .npz archives they also rewrite .npy headers, zip
flags, compression methods and declared sizes, swap, drop or add members; in .safetensors files
the header's types, shapes and offsets.

``LOADERS`` maps a loader's name to ``Loader(mutate, load)``: ``mutate(rng)`` returns a file's
contents from a ``random.Random``; ``load(data)`` loads them (from memory: the loaders' work
after reading the file, as writing each case to disk would take most of the time) and raises
if what loaded is not usable.  Another loader (the CSV import, say) plugs in with one more
entry.  tests/project/test_loader_properties.py draws its cases from the same functions.
"""

from __future__ import annotations

import argparse
import ast
import base64
import copy
import functools
import io
import json
import math
import random
import re
import struct
import sys
import tempfile
import time
import traceback
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from simulator.engine import activations, datasets, initializers, losses, optimizers, schedules  # noqa: E402
from simulator.engine.network import DTYPES, Network  # noqa: E402
from simulator.project import (  # noqa: E402
    Project,
    ProjectError,
    apply_weights,
    export_weights,
    load_example,
)
from simulator.project.files import parse_json  # noqa: E402
from simulator.project.weights import parse_weights  # noqa: E402
from simulator.resources_path import example_paths  # noqa: E402

# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Raw:
    """JSON text written as it is: tokens Python's json would not write (NaN, 1e400, ...)."""

    text: str


@dataclass(frozen=True)
class Repeated:
    """An object written with one of its keys twice."""

    items: dict


BIG_NUMBERS = [10**400, -(10**400), 2**63, 2**64 + 1, 10**20, 2**1024, -(2**63) - 1]
NUMBERS = [0, 1, -1, 2, 3, 7, 64, 0.0, -0.0, 0.5, 1.5, 1e-7, 5e-324, 1e308, -1e308, 1e30, 9999]
RAW_TOKENS = [
    Raw("NaN"),
    Raw("Infinity"),
    Raw("-Infinity"),
    Raw("1e400"),
    Raw("-1e400"),
    Raw("1" + "0" * 5000),  # more digits than Python converts
    Raw("[" * 3000 + "]" * 3000),  # nested deeper than the parser goes
    Raw("[" * 200 + "1" + "]" * 200),
    Raw("1E2"),
    Raw("-0"),
]
TEXTS = [
    "",
    "NaN",
    "Infinity",
    "\ud800",
    "\udfff",
    "a\ud83d",
    "x" * 300,
    "é",
    "\u0000",
    "backprop-lab-project",
    "backprop-lab-weights",
    "1",
    *activations.ACTIVATIONS,
    *losses.LOSSES,
    *optimizers.OPTIMIZERS,
    *schedules.SCHEDULES,
    *datasets.DATASETS,
    *datasets.FEATURES,
    *datasets.KINDS,
    *initializers.INITIALIZERS,
    *DTYPES,
    "inline",
    "BF16",
    "F32",
    "BOOL",
    "I64",
]
OTHERS = [None, True, False, [], {}, [0], [[1, 2]], {"a": 1}, [True, False]]


def interesting(rng: random.Random) -> object:
    pool = rng.choice((BIG_NUMBERS, NUMBERS, NUMBERS, RAW_TOKENS, TEXTS, TEXTS, OTHERS))
    return copy.deepcopy(rng.choice(pool))


# --------------------------------------------------------------------------- JSON documents


def encode(value: object) -> str:
    """JSON text of ``value``, with Raw tokens as they are and Repeated keys twice."""
    pieces = []

    def special(obj: object) -> str:  # json calls it for what it cannot write itself
        if isinstance(obj, Raw):
            pieces.append(obj.text)
        elif isinstance(obj, Repeated):
            items = [f"{json.dumps(str(k))}: {encode(v)}" for k, v in obj.items.items()]
            items.insert(len(items) // 2, items[0]) if items else None
            pieces.append("{" + ", ".join(items) + "}")
        else:
            raise TypeError(type(obj).__name__)
        return f"\0{len(pieces) - 1}\0"  # a placeholder, replaced below

    text = json.dumps(value, default=special)  # ASCII: a lone surrogate is written \ud800
    return re.sub(r'"\\u0000(\d+)\\u0000"', lambda m: pieces[int(m[1])], text)


def _pick(rng: random.Random, doc: object) -> list[tuple[object, object]]:
    """A random place in ``doc``: the (container, key) steps of a walk down from the top that
    stops at each level with probability 1/3 (a top-level field is as likely as a weight)."""
    steps, node = [], doc
    while isinstance(node, (dict, list)) and node:
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
        steps.append((node, key))
        node = node[key]
        if rng.random() < 1 / 3:
            break
    return steps


def _tweak(value: object, rng: random.Random) -> object:
    if type(value) is int:
        return rng.choice(
            (value + 1, value - 1, -value, value * 2, value * 10 ** rng.randint(1, 400))
        )
    if type(value) is float:  # (an overflow to infinity is written as Infinity)
        return rng.choice(
            (value + 1, -value, value * 2, value / 3, value * 10.0 ** rng.randint(1, 300))
        )
    return interesting(rng)


def _similar(value: object, rng: random.Random) -> object:
    """A value of the same JSON type as ``value``, often one the loader accepts."""
    if isinstance(value, bool):
        return not value
    if type(value) is int:
        return rng.choice((value + 1, value - 1, value * 2, value // 2, 0, 1, 2))
    if type(value) is float:
        return rng.choice((value * 2, value / 2, -value, 0.0, 1.0, 0.1, 1e-3, 0.999))
    if isinstance(value, str):
        return rng.choice(TEXTS[9:])
    if isinstance(value, list) and value:
        value = list(value)
        if rng.random() < 0.5:
            value.pop(rng.randrange(len(value)))
        else:
            value.append(copy.deepcopy(rng.choice(value)))
        return value
    return value


def mutate_doc(rng: random.Random, doc: object, operations: int | None = None) -> object:
    """A mutated deep copy of the JSON document ``doc`` (objects, arrays, values)."""
    doc = json.loads(json.dumps(doc))  # a deep copy; faster than copy.deepcopy
    gentle = rng.random() < 0.4  # values of the same kind: more files that still load
    for _ in range(operations or rng.choice((1, 1, 1, 2, 3))):
        steps = _pick(rng, doc)
        if not steps:
            return interesting(rng)
        parent, key = steps[-1]
        op = rng.randrange(9)
        if gentle:
            parent[key] = _similar(parent[key], rng)
        elif op <= 2:
            parent[key] = interesting(rng)
        elif op == 3:
            parent[key] = _tweak(parent[key], rng)
        elif op == 4:
            del parent[key]
        elif op == 5:  # an object with one key twice: the deepest one on the way down
            objects = [(p, k) for p, k in steps if isinstance(p[k], dict) and p[k]]
            if objects:
                p, k = objects[-1]
                p[k] = Repeated(p[k])
            elif isinstance(doc, dict) and doc:
                return Repeated(doc)
        elif op == 6 and isinstance(parent, dict):
            parent[rng.choice(("extra", "Sizes", "__proto__", "\ud800", ""))] = interesting(rng)
        elif op == 6:
            parent.insert(key, copy.deepcopy(rng.choice((parent[key], interesting(rng)))))
        elif op == 7:
            other_parent, other_key = _pick(rng, doc)[-1]
            parent[key] = copy.deepcopy(other_parent[other_key])
        else:
            deep = Raw("[" * 2000 + "0" + "]" * 2000)
            parent[key] = rng.choice(([parent[key]], [parent[key]], [[parent[key]]], deep))
    return doc


def mutate_bytes(rng: random.Random, data: bytes, operations: int | None = None) -> bytes:
    """``data`` with bits flipped, bytes inserted, deleted, repeated or set, or cut short."""
    out = bytearray(data)
    for _ in range(operations or rng.choice((1, 1, 2, 4))):
        if not out:
            out += bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
            continue
        at = rng.randrange(len(out))
        op = rng.randrange(6)
        if op == 0:
            del out[rng.randrange(len(out) + 1) :]
        elif op == 1:
            out[at] ^= 1 << rng.randrange(8)
        elif op == 2:
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif op == 3:
            del out[at : at + rng.randint(1, 64)]
        elif op == 4:
            out[at:at] = out[at : at + rng.randint(1, 64)]
        else:
            out[at] = rng.choice((0x00, 0xFF, 0x7F, 0x80, 0x22, 0x5C, 0x7B))
    return bytes(out)


def mutate_json_file(rng: random.Random, doc: dict) -> bytes:
    """A JSON file from ``doc``: mutated in structure, then (sometimes) byte by byte."""
    text = encode(mutate_doc(rng, doc)).encode("utf-8")
    return mutate_bytes(rng, text) if rng.random() < 0.1 else text


# --------------------------------------------------------------------------- valid files


def _inline_docs() -> list[dict]:
    """Two projects with inline data: binary 2-D with names and standardisation, and 1-D
    regression."""
    binary = load_example("xor").to_dict()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 2)).round(3)
    binary["data"] = {
        "dataset": "inline",
        "kind": "binary",
        "X": X.tolist(),
        "y": [float(a * b > 0) for a, b in X],
        "class_names": ["no", "yes"],
        "feature_names": ["area", "rooms"],
        "target_name": "sold",
        "standardization": {"means": [1.5, -2.0], "stds": [0.5, 0.0]},
        "test_ratio": 0.25,
        "features": ["x1", "x2", "x1*x2"],
        "seed": 3,
    }
    binary["network"].update(sizes=[3, 4, 1], dropout=[0.25, 0.0], removed=[[0, 1, 2]])
    regression = load_example("xor").to_dict()
    regression["data"] = {
        "dataset": "inline",
        "kind": "regression",
        "X": [[x] for x in np.linspace(-1, 1, 10).tolist()],
        "y": np.sin(np.linspace(-1, 1, 10)).tolist(),
        "features": [],
    }
    regression["network"].update(sizes=[1, 5, 1], activations=["gelu", "linear"])
    regression["loss"] = "huber"
    regression["schedule"] = {"name": "cosine", "params": {"T_max": 10}}
    return [binary, regression]


def _resumable_doc() -> dict:
    """A version 2 file whose trainer state has more in it than XOR's: SGD with momentum,
    dropout, mini-batches of 7, float32, an evaluation every 5 steps, saved mid-step."""
    doc = load_example("circle").to_dict()
    doc["optimizer"] = {"name": "SGD", "params": {"lr": 0.1, "momentum": 0.9}}
    doc["network"].update(dropout=[0.2, 0.0], dtype="float32")
    doc["training"].update(batch_size=7, eval_every=5)
    doc["data"].update(n_samples=30)
    project = Project.from_dict(doc)
    trainer = project.build_trainer()
    trainer.run(steps=9)
    trainer.forward_phase()
    return project.capture(trainer).to_dict()


def list_form_history(doc: dict) -> dict:
    """``doc`` with its history's columns as JSON arrays (NaN as null), as version 1 files and
    the first version 2 files held them (a new dict; the rest is shared)."""
    columns = {}
    for name, column in doc["history"].items():
        values = np.frombuffer(base64.b64decode(column["base64"]), "<f8").reshape(column["shape"])
        columns[name] = np.where(np.isnan(values), None, values).tolist()
    return {**doc, "history": columns}


@functools.cache
def project_docs() -> tuple[dict, ...]:
    """Valid project documents: every shipped example, XOR trained (weights, history and the
    trainer state of a version 2 file; and its history in the list form), another version 2
    file, inline data, points drawn by hand."""
    docs = [Project.load(path).to_dict() for path in sorted(example_paths())]
    xor = load_example("xor")
    trainer = xor.build_trainer()
    trainer.run(steps=12)
    docs.append(xor.capture(trainer).to_dict())
    docs.append(list_form_history(docs[-1]))
    docs.append(_resumable_doc())
    docs.extend(Project.from_dict(doc).to_dict() for doc in _inline_docs())
    docs.append(_drawn_doc())
    return tuple(docs)


def _drawn_doc() -> dict:
    """XOR with points drawn by hand (``data.drawn``), both classes, trained on them alone."""
    doc = load_example("xor").to_dict()
    doc["data"]["drawn"] = {
        "X": [[1.0, 2.0], [-3.5, 0.25], [4.0, -4.0]],
        "y": [1, 0, 1],
        "only": True,
    }
    return Project.from_dict(doc).to_dict()


@functools.cache
def weight_files() -> dict[str, tuple[bytes, ...]]:
    """Valid weight files by extension, exported from the example and inline networks."""
    nets = []
    for doc in project_docs():
        project = Project.from_dict(doc)
        nets.append((project.build_network(), project.export_preprocessing()))
    float32 = Network([3, 2, 2], ["relu", "softmax"], "cross_entropy", dtype="float32", seed=1)
    float32.set_connection(0, 2, 1, False)
    nets.append((float32, None))
    nets.append((Network([2, 1], ["sigmoid"], "bce", use_bias=[False], seed=2), None))
    files: dict[str, list[bytes]] = {ext: [] for ext in (".json", ".npz", ".safetensors")}
    with tempfile.TemporaryDirectory() as folder:
        for i, (net, preprocessing) in enumerate(nets):
            for ext, found in files.items():
                path = Path(folder) / f"w{i}{ext}"
                export_weights(net, path, preprocessing=preprocessing)
                found.append(path.read_bytes())
    return {ext: tuple(found) for ext, found in files.items()}


@functools.cache
def weight_docs() -> tuple[dict, ...]:
    """The .json weight files, parsed."""
    return tuple(json.loads(data) for data in weight_files()[".json"])


# --------------------------------------------------------------------------- .npz archives

_NPY_MAGIC = b"\x93NUMPY"
SHAPES = [
    "()",
    "(1,)",
    "(2,)",
    "(8, 2)",
    "(2, 8)",
    "(1, 1)",
    "(0,)",
    "(10**20,)",  # not a literal: NumPy refuses it
    "(100000000000000000000,)",
    "(150000000,)",
    "(4611686018427387904, 4)",
    "(-1, 8)",
    "(2, 8, 1)",
    "[2, 8]",
    "('a',)",
    "(2.0, 8)",
    "(True,)",
]
DESCRS = [
    "'<f8'",
    "'<f4'",
    "'<f2'",
    "'>f8'",
    "'<f16'",
    "'<i8'",
    "'|b1'",
    "'|u1'",
    "'|O'",
    "'<U10'",
    "'<U999999999999'",
    "'<c16'",
    "'|V8'",
    "[('a', '<f8')]",
    "('<f8', (2,))",
    "('<f8', (10**20,))",
    "'bogus'",
    "3",
    "[('', '|V4'), ('a', '<f4')]",
]
FORTRAN = ["False", "True", "0", "'x'", "None"]


def _split_npy(payload: bytes) -> tuple[tuple[int, int], dict, bytes]:
    """(version, header dict, data) of a valid .npy file."""
    major, minor = payload[6], payload[7]
    width = 2 if major == 1 else 4
    length = int.from_bytes(payload[8 : 8 + width], "little")
    header = ast.literal_eval(payload[8 + width : 8 + width + length].decode("latin1"))
    return (major, minor), header, payload[8 + width + length :]


def _join_npy(version, header: str, data: bytes, length_error: int = 0) -> bytes:
    width = 2 if version[0] == 1 else 4
    text = header.encode("latin1", "replace")
    text += b" " * (-(len(_NPY_MAGIC) + 2 + width + len(text) + 1) % 64) + b"\n"
    length = max(0, len(text) + length_error) % (1 << (8 * width))
    return _NPY_MAGIC + bytes(version) + length.to_bytes(width, "little") + text + data


def _npy(array: np.ndarray, fortran: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asfortranarray(array) if fortran else array)
    return buffer.getvalue()


def mutate_npy(rng: random.Random, payload: bytes) -> bytes:
    """A .npy member with its header, version, length field or data changed."""
    try:
        version, header, data = _split_npy(payload)
        shape, dtype = tuple(header["shape"]), np.dtype(header["descr"])
        if set(header) != {"descr", "fortran_order", "shape"} or not all(
            type(n) is int and 0 <= n < 2**31 for n in shape
        ):
            raise ValueError(header)
    except (ValueError, SyntaxError, KeyError, TypeError, IndexError, MemoryError):
        return mutate_bytes(rng, payload)  # mutated before, or not a .npy at all
    op = rng.randrange(7)
    if op == 0 and dtype.kind in "fb" and math.prod(shape) < 100_000:
        # A valid array of another dtype, order or shape: a well-formed file the loader
        # should accept (float32, big-endian, Fortran order) or refuse by name.
        new_dtype = rng.choice(("<f8", "<f4", ">f8", "<f2", "|b1", "<i4", "<c16"))
        new_shape = rng.choice((shape, shape[::-1], (*shape, 1), shape[:1]))
        values = np.random.default_rng(rng.randrange(1 << 30)).normal(size=new_shape)
        if dtype.kind == "b" and rng.random() < 0.7:
            values = values > 0
        return _npy(values.astype(new_dtype), fortran=rng.random() < 0.5)
    if op == 1 and dtype.kind in "fb" and data:
        out = bytearray(data)
        if dtype.kind == "f" and dtype.itemsize == 8 and len(out) >= 8:
            at = rng.randrange(len(out) // 8) * 8
            out[at : at + 8] = struct.pack("<d", rng.choice((math.nan, math.inf, -math.inf)))
        else:
            out[rng.randrange(len(out))] = rng.choice((2, 255, 0, 1))
        return _join_npy(version, repr(header), bytes(out))
    parts = {
        "descr": repr(header["descr"]),
        "fortran_order": repr(header["fortran_order"]),
        "shape": repr(shape),
    }
    if op in (0, 2):
        parts["shape"] = rng.choice(SHAPES)
    elif op == 3:
        parts["descr"] = rng.choice(DESCRS)
    elif op == 4:
        parts["fortran_order"] = rng.choice(FORTRAN)
    items = [f"'{k}': {v}" for k, v in parts.items()]
    if op == 5:
        items.pop(rng.randrange(len(items)))
    text = "{" + ", ".join(items) + ", }"
    if op == 6:
        text = rng.choice(
            (
                text.replace(")", "L)"),
                text + "(",
                "[1, 2]",
                "{'descr': " * 300,
                text.replace("'", '"'),
                text[: len(text) // 2],
                "{" + "(" * 150 + ")" * 150 + "}",
                "\x00" * 10,
            )
        )
    new_version = version if rng.random() < 0.8 else rng.choice(((2, 0), (3, 0), (1, 1), (0, 0)))
    length_error = 0 if rng.random() < 0.7 else rng.choice((-64, -1, 1, 64, 70000, 1 << 31))
    if rng.random() < 0.2:
        data = rng.choice((data[: len(data) // 2], data + data, b"", data + b"\x00"))
    return _join_npy(new_version, text, data, length_error)


@functools.lru_cache(maxsize=64)
def _npz_members(data: bytes) -> tuple[tuple[str, bytes], ...]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    for name, payload in members:
        if name == "architecture.npy":
            _ARCHITECTURES[payload] = json.loads(np.load(io.BytesIO(payload)).item())
    return tuple(members)


_ARCHITECTURES: dict[bytes, dict] = {}  # the valid architecture members and what they hold


def _text_member(text: str) -> bytes:
    return _npy(np.array(text))


def _zip(members: list[tuple[str, bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as archive:
        warnings.simplefilter("ignore")  # "Duplicate name": wanted here
        for name, payload, method in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = method
            archive.writestr(info, payload)
    return buffer.getvalue()


# Offsets of fields in a zip's local file header and central directory entry (APPNOTE 4.3.7
# and 4.3.12): general purpose flags, method, CRC-32, compressed and uncompressed sizes.
_LOCAL_FIELDS = {"flags": (6, "<H"), "method": (8, "<H"), "crc": (14, "<I"), "csize": (18, "<I")}
_LOCAL_FIELDS |= {"size": (22, "<I"), "name_length": (26, "<H")}
_CENTRAL_FIELDS = {"flags": (8, "<H"), "method": (10, "<H"), "crc": (16, "<I")}
_CENTRAL_FIELDS |= {"csize": (20, "<I"), "size": (24, "<I"), "name_length": (28, "<H")}
_CENTRAL_FIELDS |= {"offset": (42, "<I")}
_FIELD_VALUES = {
    "flags": (0x1, 0x8, 0x20, 0x40, 0x800, 0x41),
    "method": (1, 6, 9, 12, 14, 93, 99),
    "size": (0, 1, 1_200_000_128, 0xFFFFFFFF, 0x7FFFFFFF),
}


def patch_zip(rng: random.Random, data: bytes) -> bytes:
    """``data`` (a zip) with one field of one entry's local header or central entry changed."""
    out = bytearray(data)
    end = data.rfind(b"PK\x05\x06")
    if end < 0:
        return data
    if rng.random() < 0.1:  # the end record: entry counts, directory size or offset
        at = end + rng.choice((8, 10, 12, 16))
        width = 2 if at - end < 12 else 4
        out[at : at + width] = rng.choice((0, 1, 0xFFFF, 1000)).to_bytes(4, "little")[:width]
        return bytes(out)
    directory = int.from_bytes(data[end + 16 : end + 20], "little")
    entries = []
    at = directory
    while data[at : at + 4] == b"PK\x01\x02":
        entries.append(at)
        at += 46 + sum(int.from_bytes(data[at + k : at + k + 2], "little") for k in (28, 30, 32))
    if not entries:
        return data
    central = rng.choice(entries)
    local = int.from_bytes(data[central + 42 : central + 46], "little")
    name = rng.choice(list(_CENTRAL_FIELDS))
    value = rng.choice(_FIELD_VALUES.get(name, (0, 1, 0xFFFF, 0x7FFFFFFF)))
    places = [(central, _CENTRAL_FIELDS)]
    if name in _LOCAL_FIELDS:
        places = rng.choice(([(local, _LOCAL_FIELDS)], places, [*places, (local, _LOCAL_FIELDS)]))
    for base, fields in places:
        offset, fmt = fields[name]
        width = struct.calcsize(fmt)
        out[base + offset : base + offset + width] = (value % (1 << (8 * width))).to_bytes(
            width, "little"
        )
    return bytes(out)


def _bomb_member(rng: random.Random) -> bytes:
    """A .npy whose header declares a huge array, with a little of its data."""
    count = rng.choice((150_000_000, 10**9, 2**40))
    return _join_npy(
        (1, 0), f"{{'descr': '<f8', 'fortran_order': False, 'shape': ({count},), }}", bytes(1 << 16)
    )


def mutate_npz(rng: random.Random, data: bytes) -> bytes:
    """A mutated .npz: members' .npy files, names, order, compression; then zip fields."""
    method = zipfile.ZIP_DEFLATED if rng.random() < 0.3 else zipfile.ZIP_STORED  # savez_compressed
    members = [[name, payload, method] for name, payload in _npz_members(data)]
    for _ in range(rng.choice((1, 1, 2, 3))):
        op = rng.randrange(16)
        member = rng.choice(members) if members else None
        if (op <= 2 or op >= 10) and member is not None:
            if member[1] in _ARCHITECTURES and rng.random() < 0.7:
                arch = _ARCHITECTURES[member[1]]
                member[1] = _text_member(encode(mutate_doc(rng, arch)))
            else:
                member[1] = mutate_npy(rng, member[1])
        elif op == 3 and member is not None:
            members.remove(member)
        elif op == 4 and member is not None:
            members.insert(rng.randrange(len(members) + 1), list(member))
        elif op == 5:
            members.append(
                [
                    rng.choice(
                        ("notes.txt", "layers.0.weights", "dir/", "x.npy", "layers.9.bias.npy")
                    ),
                    rng.choice((b"", b"hello", _npy(np.zeros(3)), bytes(100))),
                    zipfile.ZIP_STORED,
                ]
            )
        elif op == 6 and len(members) > 1:
            a, b = rng.sample(members, 2)
            a[1], b[1] = b[1], a[1]
        elif op == 7 and member is not None:
            member[2] = rng.choice(
                (zipfile.ZIP_DEFLATED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
            )
        elif op == 8 and member is not None:
            member[1] = _bomb_member(rng)
            member[2] = zipfile.ZIP_DEFLATED
        elif member is not None:
            member[0] = rng.choice(
                ("architecture.npy", "layers.0.mask.npy", member[0][:-4], "é.npy")
            )
    out = _zip([tuple(m) for m in members])
    if rng.random() < 0.3:
        out = patch_zip(rng, out)
    if rng.random() < 0.1:
        out = mutate_bytes(rng, out)
    return out


# --------------------------------------------------------------------------- .safetensors


def _split_safetensors(data: bytes) -> tuple[dict, bytes]:
    n = int.from_bytes(data[:8], "little")
    return json.loads(data[8 : 8 + n]), data[8 + n :]


def mutate_safetensors(rng: random.Random, data: bytes) -> bytes:
    """A mutated .safetensors: header fields (types, shapes, offsets, metadata), length, data."""
    header, body = _split_safetensors(data)
    op = rng.randrange(6)
    names = [k for k in header if k != "__metadata__"]
    if op == 0:
        meta = header["__metadata__"]
        meta["architecture"] = encode(mutate_doc(rng, json.loads(meta["architecture"])))
    elif op == 1 and names:  # a tensor's bytes moved, resized or overlapping another's
        entry = header[rng.choice(names)]
        begin, end = entry["data_offsets"]
        shift = rng.choice((-8, -1, 1, 8, len(body), 2**64))
        entry["data_offsets"] = rng.choice(
            ([begin + shift, end + shift], [begin, end + shift], [0, end - begin], [end, begin])
        )
    elif op == 2 and len(names) > 1:
        a, b = (header[k] for k in rng.sample(names, 2))
        key = rng.choice(("data_offsets", "shape", "dtype"))
        a[key], b[key] = b[key], a[key]
    elif op == 3 and names:
        entry = header[rng.choice(names)]
        entry["dtype"] = rng.choice(
            ("F32", "F16", "BF16", "I64", "BOOL", "U8", "F8_E4M3", "Q4", "f64", 8)
        )
    if op >= 4 or rng.random() < 0.3:
        header = mutate_doc(rng, header)
    text = encode(header).encode("utf-8")
    if rng.random() < 0.2:
        text += b" " * rng.randrange(1, 9)  # the format allows padding
    length = len(text) + (0 if rng.random() < 0.92 else rng.choice((-1, 1, 8, -8, 1 << 40)))
    out = max(length, 0).to_bytes(8, "little") + text + body
    if rng.random() < 0.15:
        out = mutate_bytes(rng, out)
    return out


# --------------------------------------------------------------------------- history columns

B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def mutate_column(rng: random.Random, column: dict) -> dict:
    """A base64 history column with its text, dtype or shape changed."""
    column = dict(column)
    text, shape = column["base64"], list(column["shape"])
    op = rng.randrange(10)
    if op == 0:  # an infinity (or NaN) in place of one value: the text stays well-formed
        data = bytearray(base64.b64decode(text))
        if len(data) >= 8:
            at = rng.randrange(len(data) // 8) * 8
            data[at : at + 8] = struct.pack("<d", rng.choice((math.inf, -math.inf, math.nan)))
        column["base64"] = base64.b64encode(bytes(data)).decode("ascii")
    elif op == 1:  # whole values more or fewer: a text that disagrees with the shape
        data = base64.b64decode(text)
        data = data[: rng.randrange(len(data) + 1)] if rng.random() < 0.5 else data + data[:16]
        column["base64"] = base64.b64encode(data).decode("ascii")
    elif op == 2:  # bytes that are not whole values
        data = base64.b64decode(text)
        data = data + bytes(rng.randint(1, 7)) if rng.random() < 0.5 else data[:-1]
        column["base64"] = base64.b64encode(data).decode("ascii")
    elif op == 3 and text:  # a character changed: outside the alphabet, padding, whitespace
        at = rng.randrange(len(text))
        char = rng.choice((*B64_ALPHABET[:8], "=", "-", "_", " ", "\n", "é", "\ud800", "\0"))
        column["base64"] = text[:at] + char + text[at + 1 :]
    elif op == 4:  # characters inserted, deleted or padding added
        at = rng.randrange(len(text) + 1)
        column["base64"] = rng.choice(
            (
                text[:at] + text[at + rng.randint(1, 4) :],
                text[:at] + rng.choice(B64_ALPHABET) * rng.randint(1, 4) + text[at:],
                text + "=" * rng.randint(1, 3),
                text[:at] + "====" + text[at:],
            )
        )
    elif op == 5:
        column["dtype"] = rng.choice(("float32", "<f8", "f8", "float", "int64", "", None, 8))
    elif op <= 8:
        k = rng.randrange(len(shape))
        shape[k] = rng.choice(
            (shape[k] + 1, shape[k] - 1, 0, -1, 2 * shape[k], 10**9, 10**20, 2**63, 1.5, "2")
        )
        if rng.random() < 0.2:
            shape = rng.choice((shape[:-1], [*shape, 1], shape[::-1], []))
        column["shape"] = shape
    else:
        column.pop(rng.choice(("dtype", "shape", "base64")))
    return column


def mutate_project_file(rng: random.Random, doc: dict) -> bytes:
    """A project file: a quarter of those with a base64 history have columns changed (the
    generic mutations replace a base64 text whole, never a character in it), then maybe more."""
    history = doc.get("history")
    encoded = [name for name, column in (history or {}).items() if isinstance(column, dict)]
    if not encoded or rng.random() >= 0.25:
        return mutate_json_file(rng, doc)
    history = dict(history)
    for name in rng.sample(encoded, rng.choice((1, 1, 1, 2))):
        history[name] = mutate_column(rng, history[name])
    doc = {**doc, "history": history}
    if rng.random() < 0.2:
        doc = mutate_doc(rng, doc)
    return encode(doc).encode("utf-8")


# --------------------------------------------------------------------------- loaders


def load_project(data: bytes) -> Project:
    """Project.load's work on a file's contents (parse_json, from_dict); a loaded project must
    build a trainer that trains (its saved run, if any, loaded into it), and its saved text
    (to_json, encoded as UTF-8) must read back the same."""
    project = Project.from_dict(parse_json(data, "project.json"))
    project.build_trainer().run(steps=2)
    saved = project.to_json().encode("utf-8")
    if Project.from_dict(parse_json(saved, "saved.json")) != project:
        raise AssertionError("the saved project reads back differently")
    return project


def _load_weights_as(ext: str) -> Callable[[bytes], tuple]:
    def load(data: bytes) -> tuple:
        arch, layers = parse_weights(data, f"weights{ext}")
        check_weights(arch, layers)
        return arch, layers

    return load


def check_weights(arch: dict, layers: list) -> None:
    """Raises AssertionError unless ``layers`` fit ``arch`` and go into a Network."""
    sizes, dtype = arch["sizes"], np.dtype(arch["dtype"])
    if len(layers) != len(sizes) - 1:
        raise AssertionError(f"{len(layers)} layers for sizes {sizes}")
    for (w, b, mask), fan_in, fan_out in zip(layers, sizes, sizes[1:]):
        if w.shape != (fan_in, fan_out) or b.shape != (fan_out,) or mask.shape != w.shape:
            raise AssertionError(f"shapes {w.shape}, {b.shape}, {mask.shape} for {sizes}")
        if w.dtype != dtype or b.dtype != dtype or mask.dtype != np.bool_:
            raise AssertionError(f"dtypes {w.dtype}, {b.dtype}, {mask.dtype}")
        if not (np.isfinite(w).all() and np.isfinite(b).all()):
            raise AssertionError("non-finite weights")
        if mask.view(np.uint8).max(initial=0) > 1:
            raise AssertionError("a mask holds a bool byte other than 0 or 1")
        if not (w.flags.writeable and b.flags.writeable and mask.flags.writeable):
            raise AssertionError("read-only arrays")
    net = Network(
        sizes, arch["activations"], arch["loss"], dtype=arch["dtype"], use_bias=arch["use_bias"]
    )
    apply_weights(net, layers)


class Loader(NamedTuple):
    mutate: Callable[[random.Random], bytes]  # a file's contents, from a random.Random
    load: Callable[[bytes], object]  # loads them; raises if what loaded is not usable


def _from(files: Callable[[], tuple], mutate: Callable[[random.Random, object], bytes]):
    return lambda rng: mutate(rng, rng.choice(files()))


@functools.cache
def resumable_docs() -> tuple[dict, ...]:
    """The version 2 project documents with a trainer state."""
    return tuple(doc for doc in project_docs() if "trainer" in doc)


def mutate_trainer_state(rng: random.Random, doc: dict) -> bytes:
    """A project file whose trainer state alone is mutated (every mutation lands in it)."""
    doc = {**doc, "trainer": mutate_doc(rng, doc["trainer"])}
    return encode(doc).encode("utf-8")


LOADERS: dict[str, Loader] = {
    "project": Loader(_from(project_docs, mutate_project_file), load_project),
    "project.trainer": Loader(_from(resumable_docs, mutate_trainer_state), load_project),
    "weights.json": Loader(
        _from(weight_docs, mutate_json_file),
        _load_weights_as(".json"),
    ),
    "weights.npz": Loader(
        _from(lambda: weight_files()[".npz"], mutate_npz), _load_weights_as(".npz")
    ),
    "weights.safetensors": Loader(
        _from(lambda: weight_files()[".safetensors"], mutate_safetensors),
        _load_weights_as(".safetensors"),
    ),
}


class MutatorError(Exception):
    """A mutation itself failed: a bug of this script, not of the loader."""


def run_case(name: str, rng: random.Random) -> str:
    """One case: "loaded" or "refused" (ProjectError); any other exception propagates."""
    loader = LOADERS[name]
    try:
        data = loader.mutate(rng)
    except Exception as exc:
        raise MutatorError(f"mutating a {name} file failed") from exc
    try:
        loader.load(data)
    except ProjectError:
        return "refused"
    return "loaded"


# --------------------------------------------------------------------------- the script


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000, help="cases (default 100,000)")
    parser.add_argument("--seed", type=int, default=0, help="the first case's seed")
    parser.add_argument("--only", help="comma-separated loader names (default: all)")
    parser.add_argument("--show", type=int, default=5, help="tracebacks to print (default 5)")
    parser.add_argument("--replay", metavar="NAME:SEED", help="run one case and raise")
    parser.add_argument("--keep", metavar="FILE", help="with --replay: write the file there")
    opts = parser.parse_args(argv)
    if opts.replay:
        name, seed = opts.replay.rsplit(":", 1)
        data = LOADERS[name].mutate(random.Random(int(seed)))
        if opts.keep:
            Path(opts.keep).write_bytes(data)
        print(run_case(name, random.Random(int(seed))))
        return 0
    names = opts.only.split(",") if opts.only else list(LOADERS)
    counts = {name: Counter() for name in names}
    failures: list[tuple[str, int, str]] = []
    project_docs(), weight_files()  # built before the clock starts
    start = time.perf_counter()
    for i in range(opts.n):
        name, seed = names[i % len(names)], opts.seed + i
        try:
            outcome = run_case(name, random.Random(seed))
        except Exception as exc:  # noqa: BLE001 - counting them is the point
            outcome = f"other: {type(exc).__name__}"
            if len(failures) < opts.show:
                failures.append((name, seed, traceback.format_exc()))
        counts[name][outcome] += 1
        if (i + 1) % 10_000 == 0:
            print(f"... {i + 1:,} cases, {time.perf_counter() - start:.0f} s", file=sys.stderr)
    elapsed = time.perf_counter() - start
    for name, seed, text in failures:
        print(f"--- {name} seed {seed}: replay with --replay {name}:{seed}\n{text}")
    print(f"{opts.n:,} cases from seed {opts.seed} in {elapsed:.1f} s")
    others = 0
    for name in names:
        c = counts[name]
        other = {k: n for k, n in c.items() if k.startswith("other")}
        others += sum(other.values())
        print(
            f"{name:<20} loaded {c['loaded']:>7,}  ProjectError {c['refused']:>7,}  "
            f"other {sum(other.values()):>5,}  {other or ''}"
        )
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak resident memory {peak:.0f} MB")
    except ImportError:  # not on Windows
        pass
    return 1 if others else 0


if __name__ == "__main__":
    sys.exit(main())
