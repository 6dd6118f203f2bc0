"""The backprop-lab command: headless training, exit codes, and an engine free of Qt."""

import ast
import csv
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from simulator import cli
from simulator.project import (
    LOADABLE_WEIGHT_EXTENSIONS,
    WEIGHT_EXTENSIONS,
    Project,
    load_example,
    load_weights,
)
from simulator.resources_path import resource
from tests.engine.test_state import OPTIMIZERS
from tests.project.test_state_files import small_project

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


def saved_weights(path: Path) -> list[np.ndarray]:
    """Every weight and bias array of a saved project, as the file holds them."""
    layers = json.loads(path.read_text(encoding="utf-8"))["weights"]
    return [np.array(layer[kind]) for layer in layers for kind in ("weights", "bias")]


def test_a_saved_run_goes_on_exactly_as_one_run(tmp_path):
    # The case: spiral (Adam) 137 steps, saved, 50 more = 187 in one run.
    spiral = str(resource("examples", "spiral.json"))
    half, more, whole = (tmp_path / f"{name}.json" for name in ("half", "more", "whole"))
    first = run_cli("train", spiral, "--steps", "137", "--save", str(half), "-q")
    assert first.returncode == 0, first.stderr
    resumed = run_cli("train", str(half), "--steps", "50", "--save", str(more), "-q")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.startswith("Spiral: 50 steps from step 137 to 187, epoch ")
    once = run_cli("train", spiral, "--steps", "187", "--save", str(whole), "-q")
    assert once.returncode == 0, once.stderr
    for a, b in zip(saved_weights(more), saved_weights(whole), strict=True):
        assert a.tobytes() == b.tobytes()
    assert Project.load(more) == Project.load(whole)
    assert final_values(resumed.stdout) == final_values(once.stdout)


@pytest.mark.parametrize("batch", [None, 8, 1], ids=["full", "mini-batch", "stochastic"])
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_train_save_and_train_on_equals_one_run(optimizer, batch, tmp_path, capsys):
    # In this process (main() returns the status): k steps, saved, m more == k + m at once.
    project = tmp_path / "p.json"
    small_project(optimizer, batch).save(project)
    half, more, whole = (str(tmp_path / f"{name}.json") for name in ("half", "more", "whole"))
    npz = tmp_path / "more.npz"
    assert cli.main(["train", str(project), "--steps", "13", "--save", half, "-q"]) == 0
    assert cli.main(["train", half, "--steps", "11", "--save", more, "--export", str(npz)]) == 0
    assert cli.main(["train", str(project), "--steps", "24", "--save", whole, "-q"]) == 0
    out = capsys.readouterr().out
    assert ": 11 steps from step 13 to 24, epoch " in out
    expected = saved_weights(Path(whole))
    for a, b in zip(saved_weights(Path(more)), expected, strict=True):
        assert a.tobytes() == b.tobytes()
    with np.load(npz, allow_pickle=False) as archive:
        for i, (w, b) in enumerate(zip(expected[::2], expected[1::2])):
            assert archive[f"layers.{i}.weights"].tobytes() == w.tobytes()
            assert archive[f"layers.{i}.bias"].tobytes() == b.tobytes()
    assert Project.load(more) == Project.load(whole)


def test_epochs_of_a_saved_run_are_more_epochs_and_restart_starts_over(tmp_path, capsys):
    half, more = str(tmp_path / "half.json"), str(tmp_path / "more.json")
    assert cli.main(["train", XOR, "--steps", "20", "--save", half, "-q"]) == 0
    assert cli.main(["train", half, "--epochs", "2", "--save", more, "-q"]) == 0
    assert Project.load(more).step_count == 20 + 2 * 16  # XOR: 16 batches an epoch
    assert cli.main(["train", more, "--steps", "5", "--restart", "--save", more, "-q"]) == 0
    restarted = Project.load(more)
    assert restarted.step_count == 5 and len(restarted.history["step"]) == 5
    fresh = str(tmp_path / "fresh.json")
    assert cli.main(["train", XOR, "--steps", "5", "--save", fresh, "-q"]) == 0
    assert restarted == Project.load(fresh)
    capsys.readouterr()


@pytest.mark.parametrize("ext", WEIGHT_EXTENSIONS)
def test_export_weights(ext, tmp_path):
    path = tmp_path / f"weights{ext}"
    saved = tmp_path / "trained.json"
    result = run_cli(
        "train", XOR, "--steps", "20", "--export", str(path), "--save", str(saved), "-q"
    )
    assert result.returncode == 0, result.stderr
    assert_exported(path, Project.load(saved).build_network())


def assert_exported(path: Path, net) -> None:
    """``path`` holds ``net``'s weights in the format its extension names."""
    ext = path.suffix
    if ext in LOADABLE_WEIGHT_EXTENSIONS:
        arch, layers = load_weights(path)
        assert arch["sizes"] == [2, 8, 1] and arch["loss"] == "bce"
        for layer, (w, b, _) in zip(net.layers, layers, strict=True):
            assert np.array_equal(w, layer.weights) and np.array_equal(b, layer.bias)
    if ext == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            assert json.loads(str(archive["architecture"]))["activations"] == ["tanh", "sigmoid"]
    elif ext == ".onnx":
        onnx = pytest.importorskip("onnx")
        model = onnx.load(str(path))
        onnx.checker.check_model(model, full_check=True)
        weights = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
        assert np.array_equal(weights["layers.1.weights"], net.layers[1].weights)
    elif ext == ".py":
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
        assert_exported(path.with_suffix(".npz"), net)


def test_train_writes_the_history_csv(tmp_path):
    out = tmp_path / "history.csv"
    result = run_cli("train", XOR, "--steps", "40", "--history", str(out), "-q")
    assert result.returncode == 0, result.stderr
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["step"] for row in rows] == [str(k) for k in range(1, 41)]
    assert all(row["batch_loss"] for row in rows)
    # XOR has 16 batches per epoch: evaluations at steps 16 and 32 only.
    assert [row["step"] for row in rows if row["train_loss"]] == ["16", "32"]
    assert float(rows[15]["epoch"]) == 1.0


# --------------------------------------------------------------------------- export


def test_export_a_trained_project(tmp_path):
    saved = tmp_path / "trained.json"
    assert run_cli("train", XOR, "--steps", "25", "--save", str(saved), "-q").returncode == 0
    net = Project.load(saved).build_network()
    for ext in WEIGHT_EXTENSIONS:
        out = tmp_path / f"out{ext}"
        result = run_cli("export", str(saved), str(out))
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        assert result.stdout.startswith("XOR (2-8-1, trained 25 steps): wrote ")
        assert_exported(out, net)
    assert "out.py and " in run_cli("export", str(saved), str(tmp_path / "out.py")).stdout


def test_export_an_untrained_project_warns(tmp_path):
    out = tmp_path / "initial.npz"
    result = run_cli("export", XOR, str(out))
    assert result.returncode == 0, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("backprop-lab: warning: ") and "no trained weights" in line
    assert "untrained" in result.stdout
    assert_exported(out, load_example("xor").build_network())


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
    assert_usage_error(run_cli("export", missing, str(tmp_path / "w.npz")), missing, "no such file")
    assert not (tmp_path / "w.npz").exists()


def test_a_huge_number_in_a_project_exits_2_with_one_line(tmp_path):
    # A 401-digit integer (valid JSON) raised OverflowError: exit 1 and a traceback.
    doc = load_example("xor").to_dict()
    doc["optimizer"]["params"]["lr"] = 10**400
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc))
    assert_usage_error(
        run_cli("train", str(path)), str(path), "optimizer.params.lr", "a 401-digit number"
    )


def _malformed_projects() -> dict[str, bytes]:
    doc = load_example("xor").to_dict()
    cases = {
        "huge lr": {**doc, "optimizer": {"name": "SGD", "params": {"lr": 10**400}}},
        "huge noise": {**doc, "data": {**doc["data"], "noise": -(10**400)}},
        "huge seed": {**doc, "seed": 10**400},
        "lone surrogate": {**doc, "name": "\ud800"},
        "surrogate key": {**doc, "training": {**doc["training"], "\udfff": 1}},
        "weights": {**doc, "weights": [{"weights": [[10**400] * 8] * 2, "bias": [0] * 8}]},
    }
    files = {name: json.dumps(value).encode() for name, value in cases.items()}
    files["deep"] = b"[" * 100_000
    files["digits"] = b'{"seed": 1' + b"0" * 5000 + b"}"
    files["binary"] = bytes(range(256))
    return files


@pytest.mark.parametrize("command", ["train", "export"])
def test_malformed_projects_exit_2_with_one_line(command, tmp_path, capsys):
    # In this process, so that many files take little time; main() returns the status.
    for name, data in _malformed_projects().items():
        path = tmp_path / f"{name}.json"
        path.write_bytes(data)
        out_file = str(tmp_path / "w.npz")
        args = [str(path), "--steps", "1", "-q"] if command == "train" else [str(path), out_file]
        assert cli.main([command, *args]) == 2, name
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1, (name, err)
        assert err.startswith(f"backprop-lab: error: {path}: "), (name, err)
        err.encode("utf-8")  # printable anywhere: no lone surrogate in the message


def test_export_of_a_broken_project_exits_2(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "backprop-lab-project"')
    assert_usage_error(run_cli("export", str(path), str(tmp_path / "w.onnx")), "not valid JSON")


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
        (["train", XOR, "--export", "w.txt"], "use one of .npz, .json, .safetensors, .onnx, .py"),
        (["train", XOR, "--history", "/no/such/folder/h.csv"], "does not exist"),
        (["export", XOR, "w.h5"], "w.h5: unsupported extension; use one of .npz, .json"),
        (["export", XOR, "weights"], "weights: unsupported extension"),
        (["export", XOR], "the following arguments are required: WEIGHTS"),
        (["export", XOR, "/no/such/folder/w.npz"], "does not exist"),
        (["export", XOR, "w.npz", "--steps", "3"], "unrecognized arguments: --steps 3"),
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
    assert result.returncode == 0 and "--export" in result.stdout and "--history" in result.stdout
    result = run_cli("export", "--help")
    assert result.returncode == 0 and "WEIGHTS" in result.stdout
    assert "export PROJECT.json WEIGHTS" in run_cli("--help").stdout


def test_help_names_every_export_format():
    for ext in WEIGHT_EXTENSIONS:
        assert ext in cli._FORMATS


# --------------------------------------------------------------------------- in-process


def test_no_arguments_or_a_file_opens_the_window(monkeypatch, tmp_path):
    calls = []
    fake = types.ModuleType("simulator.ui.main_window")
    fake.run_app = lambda path=None, example=None: calls.append((path, example)) or 0
    monkeypatch.setitem(sys.modules, "simulator.ui.main_window", fake)
    assert cli.main([]) == 0
    assert cli.main([XOR]) == 0
    # A missing file goes to the window too: it says so in a dialog over the default example.
    missing = str(tmp_path / "nope.json")
    assert cli.main([missing]) == 0
    # An example's name opens that example (not its installed file, which Save would change).
    assert cli.main(["spiral"]) == 0
    assert calls == [(None, None), (XOR, None), (missing, None), (None, "spiral")]


def without_seconds(text: str) -> str:
    """``train``'s report with its wall-clock time ("0.02 s") taken out."""
    return re.sub(r", [0-9.]+ s$", ", … s", text, flags=re.MULTILINE)


def test_examples_are_listed_and_addressable_by_name(tmp_path):
    listed = run_cli("examples")
    assert listed.returncode == 0 and listed.stderr == ""
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert names == sorted(p.stem for p in Path(XOR).parent.glob("*.json"))
    assert "XOR" in listed.stdout
    by_name = run_cli("train", "xor", "--steps", "25", "--quiet")
    by_path = run_cli("train", XOR, "--steps", "25", "--quiet")
    assert by_name.returncode == 0 and by_path.returncode == 0
    # The same run, bit for bit; only the seconds it took may differ (a busy machine).
    assert without_seconds(by_name.stdout) == without_seconds(by_path.stdout)
    assert re.search(r"loss \d", by_name.stdout)
    # A file of that name in the working folder comes first.
    (tmp_path / "xor").write_text("not json")
    assert_usage_error(run_cli("train", "xor", cwd=tmp_path), "xor")
    assert_usage_error(run_cli("train", "xorr"), "xorr", "no example", "spiral")
    assert_usage_error(run_cli("examples", "extra"), "no arguments")


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


HEAVY_MODULES = ("onnx", "onnxruntime", "safetensors", "torch")


def _imported_after(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter; the status line it prints, as a list of words."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", "import sys\n" + code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1]


def _loaded(modules) -> str:
    return f"sorted({{m.split('.')[0] for m in sys.modules}} & {set(modules)!r})"


def test_headless_path_never_imports_qt_nor_export_libraries(tmp_path):
    # Qt never; onnx and safetensors only for their own formats, so start-up stays fast.
    npz, csv_out = str(tmp_path / "w.npz"), str(tmp_path / "h.csv")
    code = (
        "import simulator.cli, simulator.project, simulator.engine.trainer\n"
        "from simulator.cli import main\n"
        f"status = main(['train', {XOR!r}, '--steps', '3', '--quiet', '--export', {npz!r},"
        f" '--history', {csv_out!r}])\n"
        f"status += main(['export', {XOR!r}, {npz!r}])\n"
        f"print(status, {_loaded(QT_MODULES)}, {_loaded(HEAVY_MODULES)})\n"
    )
    assert _imported_after(code) == "0 [] []"


def test_onnx_and_safetensors_load_only_for_their_formats(tmp_path):
    onnx_out, st_out = str(tmp_path / "w.onnx"), str(tmp_path / "w.safetensors")
    code = (
        "from simulator.cli import main\n"
        f"main(['export', {XOR!r}, {onnx_out!r}])\n"
        f"first = {_loaded(HEAVY_MODULES)}\n"
        f"main(['export', {XOR!r}, {st_out!r}])\n"
        f"print(first, {_loaded(HEAVY_MODULES)}, {_loaded(QT_MODULES)})\n"
    )
    assert _imported_after(code) == "['onnx'] ['onnx', 'safetensors'] []"


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


def test_a_reader_that_goes_away_gets_no_traceback():
    # "backprop-lab examples | head -1": the pipe closes before everything is written.
    read, write = os.pipe()
    os.close(read)  # nobody reads: the first write fails with EPIPE
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "examples"],
        stdout=write, stderr=subprocess.PIPE, text=True, timeout=120,
    )  # fmt: skip
    os.close(write)
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
    assert done.returncode == 1
