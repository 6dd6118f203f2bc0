"""Crash safety: the open project is copied to a recovery file while it has unsaved work.

Every ``RECOVERY_INTERVAL_MS`` (2 minutes), while the document has unsaved changes or
training progress, :class:`RecoveryWriter` writes the project with its run (weights, history,
trainer state) to ``recovery-<pid>.json`` in the user-data folder, and beside it
``recovery-<pid>.meta.json`` (the project's own file, its name, the step and when).  Both are
written atomically.  A normal exit removes them; so does saving (nothing is left to recover).
On the next start, :func:`find_recoveries` lists the files whose process is gone: the window
offers to restore them.  No widgets here.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal

from simulator.project import Project, ProjectError
from simulator.project.files import read_json, write_text_atomic

RECOVERY_INTERVAL_MS = 2 * 60 * 1000
_PREFIX = "recovery-"


def default_folder() -> Path:
    """The platform's user-data folder for Backprop Lab, ``recovery/`` inside it."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".backprop-lab") / "recovery"


@dataclass(frozen=True)
class Recovery:
    """A recovery file left by a process that did not exit normally."""

    project_file: Path
    meta_file: Path
    original: Path | None  # the project's own file when it had one
    name: str
    step: int
    saved_at: float  # seconds since the epoch

    def load(self) -> Project:
        """The project as recovered; ProjectError if the file is unreadable."""
        return Project.load(self.project_file)

    def discard(self) -> None:
        for path in (self.project_file, self.meta_file):
            path.unlink(missing_ok=True)

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at))
        where = f" ({self.original})" if self.original else ""
        return f"“{self.name}”{where}, at step {self.step:,}, recovered {when}"


class RecoveryWriter(QObject):
    """Writes ``project()`` to this process's recovery file every ``interval_ms`` while
    ``document.is_modified``; ``remove()`` deletes it (normal exit, or nothing unsaved)."""

    written = Signal(object)  # the recovery file's Path
    failed = Signal(str)  # why a write failed (the disk is full, the folder is read-only…)

    def __init__(
        self,
        document,
        project: Callable[[], Project],
        folder: Path | None = None,
        interval_ms: int = RECOVERY_INTERVAL_MS,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self._document = document
        self._project = project
        self.folder = Path(folder) if folder is not None else default_folder()
        stem = f"{_PREFIX}{os.getpid()}"
        self.project_file = self.folder / f"{stem}.json"
        self.meta_file = self.folder / f"{stem}.meta.json"
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.write_now)
        self._timer.start()
        document.modified_changed.connect(self._on_modified_changed)

    def write_now(self) -> bool:
        """Write the recovery file now if there is unsaved work (else remove it)."""
        if not self._document.is_modified:
            self.remove()
            return False
        project = self._project()
        path = self._document.path
        meta = {
            "pid": os.getpid(),
            "original": str(path) if path is not None else None,
            "name": project.name,
            "step": int(project.step_count),
            "saved_at": time.time(),
        }
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            project.save(self.project_file)
            write_text_atomic(self.meta_file, json.dumps(meta, indent=1))
        except (OSError, ProjectError, ValueError) as exc:
            self.failed.emit(f"Could not write the recovery file {self.project_file}: {exc}")
            return False
        self.written.emit(self.project_file)
        return True

    def remove(self) -> None:
        for path in (self.project_file, self.meta_file):
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass

    def stop(self) -> None:
        """A normal exit: stop writing and remove the file."""
        self._timer.stop()
        self.remove()

    def _on_modified_changed(self, modified: bool) -> None:
        if not modified:
            self.remove()  # saved (or back to the saved state): nothing to recover


def find_recoveries(folder: Path | None = None) -> list[Recovery]:
    """Recovery files whose process is no longer running, newest first (unreadable
    descriptions are skipped; their files stay for the user to look at)."""
    folder = Path(folder) if folder is not None else default_folder()
    found = []
    for meta_file in sorted(folder.glob(f"{_PREFIX}*.meta.json")):
        project_file = meta_file.with_name(meta_file.name.replace(".meta.json", ".json"))
        try:
            meta = read_json(meta_file, limit=64 * 1024)
            pid = int(meta["pid"])
            original = meta.get("original")
            recovery = Recovery(
                project_file=project_file,
                meta_file=meta_file,
                original=Path(original) if isinstance(original, str) else None,
                name=str(meta.get("name") or "Untitled"),
                step=int(meta.get("step") or 0),
                saved_at=float(meta.get("saved_at") or 0.0),
            )
        except (ProjectError, KeyError, TypeError, ValueError, OverflowError):
            continue
        if not project_file.is_file() or _running(pid):
            continue
        found.append(recovery)
    return sorted(found, key=lambda r: r.saved_at, reverse=True)


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists (another user's) or we cannot tell: leave it alone
    return True
