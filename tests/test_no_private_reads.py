"""No module reads another module's private names (DESIGN.md: "State is data; the maths lives
once": ``obj._x`` across modules is a defect).

An AST scan of the files in ``COVERED``: a private name (one leading underscore, not a dunder)
may be read as an attribute — ``x._name``, ``getattr(x, "_name")`` — only if the same file
defines it (a ``self._name = …``, a class attribute or slot, a method or module-level name of
that name, a ``setattr``/``object.__setattr__`` of it), and may not be imported (``from m
import _name``).  Without types the scan cannot tell whose object ``x`` is, so it asks the
simpler question: does this file own the name?  A private name the file does not define
belongs to another module, whoever's object it is read on.

``COVERED`` is every module under simulator/.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Every module of the package: none reads another module's private names.
COVERED = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "simulator").rglob("*.py"))
_ATTRIBUTE_FUNCTIONS = {"getattr", "setattr", "hasattr", "delattr"}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _defined(tree: ast.Module) -> set[str]:
    """Private names this file defines: functions, classes, assignments, attributes it sets on
    ``self`` (or anything else), and ``__slots__`` entries."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)  # dataclass fields
        elif isinstance(node, ast.alias) and node.asname:
            names.add(node.asname)  # ``import x as _x``: the alias is this file's own name
        elif _sets_attribute(node):  # setattr(x, "_name", …), object.__setattr__(x, "_name", …)
            names.add(node.args[1].value)
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__slots__" for t in node.targets
        ):
            for value in ast.walk(node.value):
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    names.add(value.value)
    return {name for name in names if _private(name)}


def _sets_attribute(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call) or len(node.args) < 3:
        return False
    func = node.func
    setter = (isinstance(func, ast.Name) and func.id == "setattr") or (
        isinstance(func, ast.Attribute) and func.attr == "__setattr__"
    )
    name = node.args[1]
    return setter and isinstance(name, ast.Constant) and isinstance(name.value, str)


def private_reads(source: str) -> list[tuple[int, str]]:
    """(line, what) of every private name ``source`` reads or imports without defining it."""
    tree = ast.parse(source)
    own = _defined(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found += [
                (node.lineno, f"from {node.module} import {alias.name}")
                for alias in node.names
                if _private(alias.name)
            ]
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            if _private(node.attr) and node.attr not in own:
                found.append((node.lineno, f"{ast.unparse(node.value)}.{node.attr}"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _ATTRIBUTE_FUNCTIONS
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _private(node.args[1].value)
            and node.args[1].value not in own
        ):
            found.append((node.lineno, f"{node.func.id}(…, {node.args[1].value!r})"))
    return sorted(found)


@pytest.mark.parametrize("path", COVERED)
def test_reads_no_private_name_of_another_module(path):
    reads = private_reads((ROOT / path).read_text(encoding="utf-8"))
    assert not reads, f"{path} reads private names it does not define: {reads}"


def test_the_scan_finds_what_it_is_for():
    source = (
        "from simulator.engine import losses as _losses\n"
        "from simulator.engine.network import _check_rate\n"
        "class Own:\n"
        "    __slots__ = ('_slot',)\n"
        "    def __init__(self):\n"
        "        self._cache = None\n"
        "        object.__setattr__(self, '_frozen', 1)\n"
        "    def read(self, layer):\n"
        "        return self._cache, self._slot, self._frozen, _losses.value_and_grad\n"
        "def reach(layer, net):\n"
        "    layer._fn.forward(1)\n"
        "    getattr(net, '_edits')\n"
        "    return _losses._bce_probabilities, Own()._cache\n"
    )
    assert private_reads(source) == [
        (2, "from simulator.engine.network import _check_rate"),
        (11, "layer._fn"),
        (12, "getattr(…, '_edits')"),
        (13, "_losses._bce_probabilities"),
    ]
