"""The wheel carries everything in resources/, so an installed app finds its files."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (path,) = out.glob("backprop_lab-*.whl")
    return path


def test_wheel_contains_every_resource_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = [
        "simulator/resources/" + p.relative_to(ROOT / "resources").as_posix()
        for p in (ROOT / "resources").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    assert expected, "resources/ is empty"
    missing = [e for e in expected if e not in names]
    assert not missing, f"missing from the wheel: {missing}"
    assert "simulator/engine/network.py" in names


def test_wheel_declares_the_entry_point_and_the_pyside_pin(wheel):
    with zipfile.ZipFile(wheel) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        meta = zf.read(meta_name).decode()
        entry_name = next(n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt"))
        entries = zf.read(entry_name).decode()
    assert "backprop-lab = simulator.cli:main" in entries
    assert 'PySide6-Essentials<6.12,>=6.8; python_version < "3.12"' in meta


def test_installed_resources_resolve_through_importlib():
    from simulator.resources_path import example_paths, resource

    names = {p.stem for p in example_paths()}
    assert {"xor", "circle", "spiral", "digits", "worked-example"} <= names
    assert resource("digits.npz").is_file()
