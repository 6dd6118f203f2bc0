"""Crash safety: unsaved work is written to a recovery file, offered again after a crash, and
removed by a normal exit or a save."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from simulator.app.recovery import RecoveryWriter, find_recoveries
from simulator.project import load_example
from simulator.ui import main_window as mw

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def answers(monkeypatch):
    log = {"restore": "restore", "asked": [], "save_path": "", "errors": []}
    # A dialog left to a human would hang the run: every one is answered or recorded.
    monkeypatch.setattr(mw, "show_error", lambda parent, title, text: log["errors"].append(text))

    def ask_restore(parent, what):
        log["asked"].append(what)
        return log["restore"]

    monkeypatch.setattr(mw, "ask_restore", ask_restore)
    monkeypatch.setattr(mw, "ask_save_changes", lambda parent, name: QMessageBox.Discard)
    monkeypatch.setattr(mw, "ask_save_path", lambda parent, suggestion: log["save_path"])
    return log


def make_window(qtbot, folder):
    window = mw.MainWindow(recovery_folder=folder)
    qtbot.addWidget(window)
    window.show()
    return window


def crash_after_training(folder: Path, steps: int, project: Path | None = None) -> None:
    """A real app process: trains ``steps`` steps, writes its recovery file and is killed."""
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        sys.path.insert(0, {str(ROOT)!r})
        from PySide6.QtWidgets import QApplication
        from simulator.ui.main_window import MainWindow
        app = QApplication([])
        window = MainWindow(recovery_folder={str(folder)!r})
        if {str(project) if project else None!r}:
            window.document.open({str(project)!r})
        for _ in range({steps}):
            window.controller.step()
        assert window.recovery.write_now()
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert result.returncode == -9, result.stderr.decode()


def test_unsaved_work_is_written_on_the_timer_and_removed_by_saving(qtbot, tmp_path, answers):
    window = make_window(qtbot, tmp_path / "rec")
    writer = RecoveryWriter(
        window.document, window.controller.project_to_save, tmp_path / "own", interval_ms=20
    )
    for _ in range(5):
        window.controller.step()
    with qtbot.waitSignal(writer.written, timeout=10_000) as blocker:
        pass
    path = blocker.args[0]
    saved = json.loads(path.read_text())
    assert saved["step_count"] == 5 and saved["history"]["step"]["shape"] == [5]
    meta = json.loads(writer.meta_file.read_text())
    assert meta["step"] == 5 and meta["original"] is None and meta["name"] == "XOR"
    # Saving leaves nothing to recover.
    answers["save_path"] = str(tmp_path / "mine.json")
    assert window.save()
    assert not path.exists() and not writer.meta_file.exists()
    writer.stop()


def test_a_clean_document_writes_nothing(qtbot, tmp_path, answers):
    window = make_window(qtbot, tmp_path / "rec")
    assert not window.recovery.write_now()
    assert not window.recovery.project_file.exists() and not window.recovery.meta_file.exists()


def test_a_normal_exit_removes_the_recovery_file(qtbot, tmp_path, answers):
    window = make_window(qtbot, tmp_path / "rec")
    window.controller.step()
    assert window.recovery.write_now() and window.recovery.project_file.exists()
    assert find_recoveries(tmp_path / "rec") == []  # this process is alive: not offered
    window.close()
    assert not window.recovery.project_file.exists()
    assert not window.recovery.meta_file.exists()


def test_after_a_crash_the_next_start_offers_and_restores_the_run(qtbot, tmp_path, answers):
    folder = tmp_path / "rec"
    project = tmp_path / "spiral.json"
    project.write_text((ROOT / "resources" / "examples" / "spiral.json").read_text())
    crash_after_training(folder, 23, project)
    (found,) = find_recoveries(folder)
    assert found.step == 23 and found.original == project
    window = make_window(qtbot, folder)
    assert window.offer_recoveries(), answers["errors"]
    assert len(answers["asked"]) == 1 and "at step 23" in answers["asked"][0]
    doc = window.document
    assert window.controller.step_count == 23 and len(window.controller.history) == 23
    assert doc.path == project and doc.is_modified  # restored, under its own name, unsaved
    assert doc.project.name == load_example("spiral").name
    # The restored work is this run's to keep safe now; the crashed run's file is gone.
    assert find_recoveries(folder) == []
    assert window.recovery.project_file.exists()


def test_discard_removes_the_crashed_runs_file_and_later_keeps_it(qtbot, tmp_path, answers):
    folder = tmp_path / "rec"
    crash_after_training(folder, 4)
    window = make_window(qtbot, folder)
    answers["restore"] = "later"
    assert not window.offer_recoveries()
    assert len(find_recoveries(folder)) == 1 and window.controller.step_count == 0
    answers["restore"] = "discard"
    assert not window.offer_recoveries()
    assert find_recoveries(folder) == [] and not list(folder.glob("recovery-*"))
