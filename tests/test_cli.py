"""The backprop-lab command: headless training, exit codes, and an engine free of Qt."""

import ast
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from simulator import cli
from simulator.project import Project, load_example, load_weights
from simulator.resources_path import resource

REPO = Path(__file__).resolve().parents[1]
XOR = str(resource("examples", "xor.json"))
QT_MODULES = ("PySide6", "pyqtgraph", "PyQt5", "PyQt6", "shiboken6", "shiboken2", "PySide2")


def run_cli(*args: str, cwd=REPO) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_usage_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("backprop-lab: error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def final_values(stdout: str) -> dict[str, float]:
    """{"train_loss": ..., "train_accuracy": ..., "test_loss": ...} from the report."""
    out = {}
    for line in stdout.splitlines():
        words = line.split()
        if words and words[0] in ("train", "test") and "loss" in words:
            out[f"{words[0]}_loss"] = float(words[words.index("loss") + 1])
            if "accuracy" in words:
                out[f"{words[0]}_accuracy"] = float(words[words.index("accuracy") + 1][:-1])
    return out


# --------------------------------------------------------------------------- train


def test_train_prints_final_losses_and_accuracy():
    result = run_cli("train", XOR)
    assert result.returncode == 0, result.stderr
    values = final_values(result.stdout)
    assert set(values) == {"train_loss", "train_accuracy", "test_loss", "test_accuracy"}
    assert values["train_accuracy"] == 100.0  # the file's 50 epochs
    assert "800 steps" in result.stdout.splitlines()[0]
    # stderr is not a terminal here: a few plain progress lines, no carriage returns.
    progress = result.stderr.splitlines()
    assert 1 <= len(progress) <= 5 and "\r" not in result.stderr
    assert progress[-1].startswith("step 800/800 (100%)")


def test_train_steps_seed_and_quiet():
    first = run_cli("train", XOR, "--steps", "30", "--seed", "3", "--quiet")
    again = run_cli("train", XOR, "--steps", "30", "--seed", "3", "-q")
    other = run_cli("train", XOR, "--steps", "30", "--seed", "4", "-q")
    assert first.returncode == again.returncode == other.returncode == 0
    assert first.stderr == ""
    assert "30 steps" in first.stdout
    assert final_values(first.stdout) == final_values(again.stdout)
    assert final_values(first.stdout) != final_values(other.stdout)


def test_save_then_reload_and_continue(tmp_path):
    out = tmp_path / "trained.json"
    result = run_cli("train", XOR, "--steps", "40", "--save", str(out), "-q")
    assert result.returncode == 0, result.stderr
    trained = Project.load(out)
    assert trained.step_count == 40 and len(trained.history["step"]) == 40
    assert trained.weights is not None
    trainer = trained.build_trainer()
    reported = final_values(result.stdout)
    assert trainer.evaluate()["train_loss"] == pytest.approx(reported["train_loss"], rel=1e-5)
    more = run_cli("train", str(out), "--steps", "10", "--save", str(out), "-q")
    assert more.returncode == 0, more.stderr
    assert Project.load(out).step_count == 50
    fresh = run_cli("train", str(out), "--steps", "40", "--fresh", "-q", "--seed", "0")
    assert final_values(fresh.stdout) == reported


@pytest.mark.parametrize("ext", [".npz", ".json"])
def test_export_weights(ext, tmp_path):
    path = tmp_path / f"weights{ext}"
    result = run_cli("train", XOR, "--steps", "20", "--export", str(path), "-q")
    assert result.returncode == 0, result.stderr
    arch, layers = load_weights(path)
    assert arch["sizes"] == [2, 8, 1] and arch["loss"] == "bce"
    assert [w.shape for w, _, _ in layers] == [(2, 8), (8, 1)]
    if ext == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            assert json.loads(str(archive["architecture"]))["activations"] == ["tanh", "sigmoid"]


def test_python_dash_m_from_another_folder(tmp_path):
    result = run_cli("train", XOR, "--steps", "5", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_divergence_exits_1(tmp_path):
    doc = load_example("circle").to_dict()
    doc["optimizer"] = {"name": "SGD", "params": {"lr": 1e300}}
    doc["network"]["activations"] = ["relu", "linear"]
    doc["loss"] = "mse"
    path = tmp_path / "wild.json"
    path.write_text(json.dumps(doc))
    out = tmp_path / "out.json"
    result = run_cli("train", str(path), "--steps", "50", "-q", "--save", str(out))
    assert result.returncode == 1, result.stderr
    assert "diverged" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


# --------------------------------------------------------------------------- errors


def test_bad_file_exits_2_with_one_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "backprop-lab-project", "version": 1,\n "network": [}')
    assert_usage_error(run_cli("train", str(path)), str(path), "not valid JSON", "line 2")
    doc = load_example("xor").to_dict()
    doc["network"]["activations"][0] = "tanhh"
    path.write_text(json.dumps(doc))
    assert_usage_error(
        run_cli("train", str(path)), "network.activations[0]: unknown activation 'tanhh'"
    )


def test_missing_file_exits_2(tmp_path):
    missing = str(tmp_path / "nope.json")
    assert_usage_error(run_cli("train", missing), missing, "no such file")


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["train", XOR, "--steps", "0"], "--steps"),
        (["train", XOR, "--steps", "ten"], "expected a whole number"),
        (["train", XOR, "--epochs", "nan"], "--epochs"),
        (["train", XOR, "--steps", "5", "--epochs", "2"], "not allowed with argument"),
        (["train", XOR, "--seed", "-1"], "--seed"),
        (["train", XOR, "--bogus"], "unrecognized arguments: --bogus"),
        (["train"], "the following arguments are required: project"),
        (["train", XOR, "--export", "w.onnx"], "use one of .npz, .json"),
        (["train", XOR, "--save", "/no/such/folder/out.json"], "does not exist"),
        (["--bogus"], "unexpected arguments"),
        ([XOR, XOR], "unexpected arguments"),
    ],
    ids=lambda a: " ".join(a) if isinstance(a, list) else a,
)
def test_bad_arguments_exit_2(args, fragment):
    assert_usage_error(run_cli(*args), fragment)


def test_help_exits_0():
    result = run_cli("train", "--help")
    assert result.returncode == 0 and "--export" in result.stdout


# --------------------------------------------------------------------------- in-process


def test_no_arguments_or_a_file_opens_the_window(monkeypatch, tmp_path):
    calls = []
    fake = types.ModuleType("simulator.ui.main_window")
    fake.run_app = lambda path=None: calls.append(path) or 0
    monkeypatch.setitem(sys.modules, "simulator.ui.main_window", fake)
    assert cli.main([]) == 0
    assert cli.main([XOR]) == 0
    # A missing file goes to the window too: it says so in a dialog over the default example.
    missing = str(tmp_path / "nope.json")
    assert cli.main([missing]) == 0
    assert calls == [None, XOR, missing]


def test_progress_rewrites_one_line_on_a_terminal():
    class Terminal:
        def __init__(self):
            self.text = ""

        def isatty(self):
            return True

        def write(self, s):
            self.text += s

        def flush(self):
            pass

    trainer = load_example("xor").build_trainer()
    stream = Terminal()
    progress = cli.Progress(20, trainer, stream, interval=0.0)
    trainer.run(steps=20, callback=progress)
    progress.close()
    assert stream.text.count("\n") == 1 and stream.text.endswith("\n")
    assert stream.text.count("\r") == 20
    assert stream.text.rstrip().split("\r")[-1].startswith("step 20/20 (100%)")


# --------------------------------------------------------------------------- engine purity


def test_headless_path_never_imports_qt():
    code = (
        "import sys\n"
        "import simulator.cli, simulator.project, simulator.engine.trainer\n"
        "from simulator.cli import main\n"
        f"status = main(['train', {XOR!r}, '--steps', '3', '--quiet'])\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}]\n"
        "print(status, bad)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "0 []"


def test_engine_sources_import_no_gui_library():
    engine = REPO / "simulator" / "engine"
    files = sorted(engine.glob("*.py"))
    assert files
    offenders = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", ""))
                in ("import_module", "__import__")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                names = [str(node.args[0].value)]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in QT_MODULES or top.startswith(("PyQt", "PySide", "shiboken")):
                    offenders.append(f"{path.name}:{node.lineno} imports {name}")
    assert offenders == []
