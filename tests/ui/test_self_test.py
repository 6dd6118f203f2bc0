"""`backprop-lab selftest`: the window opens and trains every shipped example and writes an
ONNX model; a broken part is reported by name and the exit status says so."""

import io

import simulator.project
from simulator.cli import main
from simulator.project import example_names
from simulator.ui import self_test


def test_every_example_opens_and_trains_and_onnx_is_written(qapp, monkeypatch):
    from simulator.ui import main_window as mw

    monkeypatch.setattr(mw, "ask_save_changes", lambda parent, name: mw.QMessageBox.Discard)
    out = io.StringIO()
    assert self_test.run(out=out) == 0
    lines = out.getvalue().splitlines()
    for name in example_names():
        assert any(line.startswith(f"ok     open and train {name}: ") for line in lines), name
    assert any(line.startswith("ok     export ONNX: ") for line in lines)
    assert any(line.startswith("ok     find the user guide: user-guide.md with ") for line in lines)
    assert lines[-1].startswith("window shown ") and not any("FAILED" in x for x in lines)


def test_a_failing_check_is_named_and_fails_the_run(qapp, monkeypatch):
    def broken(net, path, **kw):
        raise OSError("disk full")

    monkeypatch.setattr(simulator.project, "export_weights", broken)
    out = io.StringIO()
    assert self_test.run(out=out) == 1
    text = out.getvalue()
    assert "FAILED export ONNX: OSError: disk full" in text and "1 check(s) failed" in text
    assert "ok     open and train xor" in text  # the other checks still ran


def test_selftest_takes_no_arguments(capsys):
    assert main(["selftest", "extra"]) == 2
    assert "'selftest' takes no arguments" in capsys.readouterr().err
