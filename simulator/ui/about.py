"""Help ▸ About: Backprop Lab's version and licence, and those of the libraries it runs on.

The versions are read from the installed distributions (``importlib.metadata``), so ONNX and
safetensors are not imported just to be named.
"""

from __future__ import annotations

import platform
from html import escape
from importlib import metadata

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion

from simulator import __version__

# (shown name, distribution, licence, home page): what a copy of Backprop Lab carries.
LIBRARIES = (
    (
        "PySide6 (Qt for Python)",
        "PySide6-Essentials",
        "LGPL-3.0",
        "https://www.qt.io/qt-for-python",
    ),
    ("pyqtgraph", "pyqtgraph", "MIT", "https://www.pyqtgraph.org"),
    ("NumPy", "numpy", "BSD-3-Clause", "https://numpy.org"),
    ("ONNX", "onnx", "Apache-2.0", "https://onnx.ai"),
    ("safetensors", "safetensors", "Apache-2.0", "https://github.com/huggingface/safetensors"),
)
DATA = "Digits data: UCI Optical Recognition of Handwritten Digits (CC BY 4.0)."


def installed_version(distribution: str) -> str:
    """The installed version of ``distribution``, or "not installed"."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def components() -> list[tuple[str, str, str, str]]:
    """(name, version, licence, home page) of Qt, Python and every library in LIBRARIES."""
    rows = [
        ("Qt", qVersion(), "LGPL-3.0", "https://www.qt.io"),
        ("Python", platform.python_version(), "PSF-2.0", "https://www.python.org"),
    ]
    for name, distribution, licence, url in LIBRARIES:
        version = installed_version(distribution)
        if distribution == "PySide6-Essentials" and version == "not installed":
            version = pyside_version  # installed as the full PySide6
        rows.append((name, version, licence, url))
    return rows


def about_html() -> str:
    """The About box's text: what Backprop Lab is, its licence, and the table of libraries."""
    rows = "".join(
        f"<tr><td><a href='{escape(url)}'>{escape(name)}</a></td><td>{escape(version)}</td>"
        f"<td>{escape(licence)}</td></tr>"
        for name, version, licence, url in components()
    )
    return (
        f"<h3>Backprop Lab {escape(__version__)}</h3>"
        "<p>A learning simulator that shows a neural network's forward pass, "
        "backpropagation and gradient descent on the network you draw.</p>"
        "<p>Licensed under the MIT licence (the LICENSE file).</p>"
        "<p>It runs on:</p>"
        "<table cellspacing='4'><tr><th align='left'>Library</th><th align='left'>Version</th>"
        f"<th align='left'>Licence</th></tr>{rows}</table>"
        f"<p>{escape(DATA)}</p>"
    )
