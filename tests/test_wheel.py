"""Packaging: `python -m build` makes an sdist and a wheel that carry the resources, and the
wheel, installed in a fresh virtual environment, trains an example by name from any folder
and opens the window (offscreen) on its own copy of the resources.

The environment sees the packages already installed here (``--system-site-packages``), so the
test needs no network; the wheel itself goes in without dependencies and must shadow this
checkout's editable install.
"""

import os
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("build")


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--no-isolation",
         "--outdir", str(out), str(ROOT)],
        cwd=out, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return wheel, sdist


def shipped_resources() -> set[str]:
    """The resource files a copy must carry: examples, the digits data, the icons."""
    names = {f"examples/{p.name}" for p in (ROOT / "resources" / "examples").glob("*.json")}
    names |= {f"icons/{p.name}" for p in (ROOT / "resources" / "icons").iterdir()}
    return names | {"digits.npz"}


def test_the_wheel_and_the_sdist_carry_every_resource(dist):
    wheel, sdist = dist
    in_wheel = {
        name.removeprefix("simulator/resources/")
        for name in zipfile.ZipFile(wheel).namelist()
        if name.startswith("simulator/resources/")
    }
    assert shipped_resources() <= in_wheel
    entry_points = next(
        n for n in zipfile.ZipFile(wheel).namelist() if n.endswith("entry_points.txt")
    )
    assert "backprop-lab = simulator.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
    with tarfile.open(sdist) as tar:
        top = tar.getnames()[0].split("/")[0]
        in_sdist = {n.removeprefix(f"{top}/resources/") for n in tar.getnames()}
    assert shipped_resources() <= in_sdist
    assert f"{top}/LICENSE" in tarfile.open(sdist).getnames()


def test_the_installed_wheel_trains_an_example_and_opens_the_window(dist, tmp_path):
    wheel, _ = dist
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"  # not the checkout: the examples come from the wheel
    elsewhere.mkdir()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path))
    env.pop("PYTHONPATH", None)

    def run(*args):
        return subprocess.run(
            [*args], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600
        )

    where = run(str(python), "-c", "import simulator; print(simulator.__file__)")
    assert where.returncode == 0 and str(env_dir) in where.stdout, where.stdout + where.stderr
    trained = run(str(env_dir / "bin" / "backprop-lab"), "train", "xor", "--steps", "100")
    assert trained.returncode == 0, trained.stderr
    assert "100" in trained.stdout and "loss" in trained.stdout
    listed = run(str(env_dir / "bin" / "backprop-lab"), "examples")
    assert listed.returncode == 0 and "xor" in listed.stdout and "spiral" in listed.stdout
    window = run(
        str(python),
        "-c",
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from simulator.resources_path import resource\n"
        "from simulator.ui.main_window import MainWindow\n"
        "w = MainWindow(); w.show(); app.processEvents()\n"
        "assert w.open_example(resource('examples', 'spiral.json'))\n"
        "w.controller.step(); app.processEvents()\n"
        "print(resource('examples', 'spiral.json'), w.document.network.sizes)\n"
        "w.document.undo_stack.setClean(); w.controller.shutdown()\n",
    )
    assert window.returncode == 0, window.stderr[-3000:]
    assert str(env_dir) in window.stdout  # the wheel's own resources
