"""Help ▸ About names Backprop Lab's version and licence and every bundled library's version
and licence (Qt LGPL, pyqtgraph MIT, NumPy BSD...)."""

import numpy
import pyqtgraph
from PySide6.QtCore import qVersion

from simulator import __version__
from simulator.ui import about


def test_about_lists_each_library_with_its_installed_version_and_licence():
    rows = {name: (version, licence) for name, version, licence, _url in about.components()}
    assert rows["Qt"] == (qVersion(), "LGPL-3.0")
    assert rows["NumPy"] == (numpy.__version__, "BSD-3-Clause")
    assert rows["pyqtgraph"] == (pyqtgraph.__version__, "MIT")
    assert rows["PySide6 (Qt for Python)"][1] == "LGPL-3.0"
    assert all(version for version, _ in rows.values())
    assert about.installed_version("no-such-distribution-here") == "not installed"


def test_the_about_box_shows_them(main_window, monkeypatch):
    from simulator.ui import main_window as mw

    shown = []
    monkeypatch.setattr(mw.QMessageBox, "about", lambda parent, title, text: shown.append(text))
    main_window.about_action.trigger()
    (text,) = shown
    assert f"Backprop Lab {__version__}" in text and "MIT" in text
    for name, version, licence, _url in about.components():
        assert name in text and version in text and licence in text
    assert "CC BY 4.0" in text  # the digits data's licence
