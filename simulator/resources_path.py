"""Locate runtime files whether installed from a wheel or run from a checkout."""

from __future__ import annotations

import importlib.resources
from pathlib import Path


def resources_root() -> Path:
    """The folder that holds examples/, digits.npz and the other shipped files."""
    checkout = Path(__file__).resolve().parent.parent / "resources"
    if (checkout / "examples").is_dir() and (checkout.parent / "pyproject.toml").is_file():
        # Running from a checkout: its own files, even when an editable install elsewhere (the
        # main checkout of a git worktree) maps simulator.resources to another folder.
        return checkout
    try:
        root = importlib.resources.files("simulator.resources")
    except ModuleNotFoundError:  # plain checkout on sys.path, not installed
        return Path(__file__).resolve().parent.parent / "resources"
    return Path(str(root))


def resource(*parts: str) -> Path:
    """Path of one shipped file, e.g. resource("examples", "xor.json")."""
    return resources_root().joinpath(*parts)


def example_paths() -> list[Path]:
    """Every example project, sorted by name."""
    return sorted(resources_root().joinpath("examples").glob("*.json"))
