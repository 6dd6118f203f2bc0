"""The layers of DESIGN.md hold: ui -> app -> project -> engine, and no Qt below app.

The contracts live in pyproject.toml ([tool.importlinter]); import-linter reads the imports
of every module without running them.
"""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contracts_are_kept(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "2 kept, 0 broken" in out


def test_a_broken_contract_is_caught(tmp_path):
    # The same contracts on a copy whose engine imports Qt: lint-imports must refuse it.
    copy = tmp_path / "simulator"
    shutil.copytree(ROOT / "simulator", copy, ignore=shutil.ignore_patterns("__pycache__"))
    engine = copy / "engine" / "network.py"
    qt = "import PySide6.QtCore  # a view's import in the engine\n"
    engine.write_text(qt + engine.read_text())
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        from importlinter.cli import lint_imports
        sys.exit(lint_imports(config_filename="pyproject.toml", no_cache=True, no_logo=True))
        """
    )
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "simulator.engine.network -> PySide6" in result.stdout
