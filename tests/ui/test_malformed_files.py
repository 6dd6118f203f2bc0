"""Malformed files opened in the window: a dialog that names the file, never a traceback.

The files are seeded mutations of the shipped examples and of weights exported from them
(tests/benchmarks/fuzz_loaders.py makes them; tests/project/test_loader_properties.py runs
thousands through the loaders).  Here a few dozen of each kind go through the window's own
File ▸ Open and File ▸ Load Weights: every one either opens or shows one error dialog, and a
refused file leaves the open project as it was.
"""

import random

import numpy as np
import pytest

from simulator.project import ProjectError
from simulator.ui import import_actions
from simulator.ui import main_window as mw
from tests.benchmarks import fuzz_loaders

CASES = 100  # per kind; the loaders' property tests run 2,000 each


@pytest.fixture
def errors(monkeypatch):
    shown = []
    for module in (mw, import_actions):
        monkeypatch.setattr(module, "show_error", lambda p, t, text: shown.append(text))
    return shown


def refused_and_loaded(name: str, cases: int) -> tuple[list[bytes], list[bytes]]:
    """The first ``cases`` mutated files the loader refuses, and up to 3 it loads."""
    refused, loaded = [], []
    seed = 0
    while len(refused) < cases:
        data = fuzz_loaders.LOADERS[name].mutate(random.Random(seed))
        seed += 1
        try:
            fuzz_loaders.LOADERS[name].load(data)
        except ProjectError:
            refused.append(data)
        else:
            if len(loaded) < 3:
                loaded.append(data)
    return refused, loaded


def test_open_shows_a_dialog_for_every_malformed_project(main_window, errors, tmp_path):
    window = main_window
    refused, loaded = refused_and_loaded("project", CASES)
    for i, data in enumerate(refused):
        path = tmp_path / f"bad{i}.json"
        path.write_bytes(data)
        assert not window.open_path(path)
        assert len(errors) == i + 1 and str(path) in errors[-1]
        assert window.document.path is None and window.document.project.name == "XOR"
    for i, data in enumerate(loaded):
        path = tmp_path / f"good{i}.json"
        path.write_bytes(data)
        assert window.open_path(path)
        assert window.document.path == path
        window.controller.step()  # what opened trains
    assert len(errors) == len(refused)


@pytest.mark.parametrize("kind", ["weights.json", "weights.npz", "weights.safetensors"])
def test_load_weights_shows_a_dialog_for_every_malformed_file(main_window, errors, tmp_path, kind):
    window = main_window
    before = [la.weights.copy() for la in window.document.network.layers]
    refused, _loaded = refused_and_loaded(kind, CASES)
    ext = kind.split(".")[1]
    for i, data in enumerate(refused):
        path = tmp_path / f"bad{i}.{ext}"
        path.write_bytes(data)
        assert not window.importer.load_weights(path)
        assert len(errors) == i + 1 and str(path) in errors[-1]
    assert window.document.undo_stack.count() == 0
    for la, w in zip(window.document.network.layers, before):
        np.testing.assert_array_equal(la.weights, w)
