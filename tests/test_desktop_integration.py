"""Desktop integration (packaging/): the desktop entry, the AppStream metainfo, the icon in
every size, the per-user install script, and the package data that ships the icons."""

import configparser
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11 on (reads pyproject.toml)

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
DESKTOP_ID = "org.backproplab.BackpropLab"
SIZES = (16, 32, 48, 64, 128, 256, 512)


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def desktop_entry():
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(PACKAGING / f"{DESKTOP_ID}.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_the_desktop_entry_launches_the_installed_command_with_its_icon():
    from simulator.ui.app_icon import DESKTOP_ID as APP_ID

    assert APP_ID == DESKTOP_ID  # the window tells the desktop which entry it belongs to
    entry = desktop_entry()
    command = next(iter(pyproject()["project"]["gui-scripts"]))
    assert entry["Type"] == "Application" and entry["Name"] == "Backprop Lab"
    assert entry["Exec"].split()[0] == command == entry["TryExec"]
    assert entry["Icon"] == DESKTOP_ID and entry["Terminal"] == "false"
    assert entry["Categories"].endswith(";") and "Education" in entry["Categories"]
    if shutil.which("desktop-file-validate"):
        result = subprocess.run(
            ["desktop-file-validate", str(PACKAGING / f"{DESKTOP_ID}.desktop")],
            capture_output=True, text=True,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_metainfo_names_the_entry_and_the_licence_and_validates():
    root = ET.parse(PACKAGING / f"{DESKTOP_ID}.metainfo.xml").getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == DESKTOP_ID
    assert root.findtext("launchable") == f"{DESKTOP_ID}.desktop"
    assert root.findtext("project_license") == pyproject()["project"]["license"]["text"]
    assert root.find("releases/release").get("version") == pyproject()["project"]["version"]
    assert root.findtext("provides/binary") == desktop_entry()["TryExec"]
    if not shutil.which("appstreamcli"):
        pytest.skip("appstreamcli is not installed here")
    result = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(PACKAGING / f"{DESKTOP_ID}.metainfo.xml")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_icon_exists_in_every_size_and_as_svg(qapp):
    from PySide6.QtGui import QImage
    from PySide6.QtSvg import QSvgRenderer

    icons = ROOT / "resources" / "icons"
    assert QSvgRenderer(str(icons / "backprop-lab.svg")).isValid()
    for size in SIZES:
        image = QImage(str(icons / f"backprop-lab-{size}.png"))
        assert not image.isNull() and (image.width(), image.height()) == (size, size)
        # A tile, not an empty square: the corners are see-through, the middle is not.
        assert image.pixelColor(0, 0).alpha() == 0
        assert image.pixelColor(size // 2, size // 2).alpha() == 255


def test_install_desktop_puts_every_file_in_place_and_uninstall_takes_them_away(tmp_path):
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path), PATH=os.environ["PATH"])
    script = PACKAGING / "install-desktop.sh"
    done = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    installed = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    expected = {
        f"applications/{DESKTOP_ID}.desktop",
        f"metainfo/{DESKTOP_ID}.metainfo.xml",
        f"icons/hicolor/scalable/apps/{DESKTOP_ID}.svg",
        *(f"icons/hicolor/{n}x{n}/apps/{DESKTOP_ID}.png" for n in SIZES),
    }
    assert expected <= installed
    same = tmp_path / "applications" / f"{DESKTOP_ID}.desktop"
    assert same.read_bytes() == (PACKAGING / f"{DESKTOP_ID}.desktop").read_bytes()
    undone = subprocess.run(
        ["bash", str(script), "--uninstall"], env=env, capture_output=True, text=True
    )
    assert undone.returncode == 0, undone.stderr
    left = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert not (expected & left)
    wrong = subprocess.run(["bash", str(script), "--bogus"], env=env, capture_output=True)
    assert wrong.returncode == 2


def test_every_package_data_pattern_ships_files():
    # The wheel carries resources/ as simulator.resources: a pattern matching nothing (there
    # were "*.qss" and "icons/*" before any icon existed) ships nothing and says nothing.
    patterns = pyproject()["tool"]["setuptools"]["package-data"]["simulator.resources"]
    for pattern in patterns:
        assert list((ROOT / "resources").glob(pattern)), pattern
    shipped = {p for pattern in patterns for p in (ROOT / "resources").glob(pattern)}
    assert ROOT / "resources" / "icons" / "backprop-lab-256.png" in shipped
