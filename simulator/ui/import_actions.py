"""File ▸ Load Weights… and Data ▸ Import CSV… (also in the File menu).

Both pause training and change the document through one undoable step: Edit ▸ Undo brings
back the previous weights, or the previous data and network.  The DataImporter makes the
actions and the Data menu; the main window puts them in its menus.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from simulator.engine.network import Network
from simulator.project import weights as _weights
from simulator.project.files import ProjectError
from simulator.ui import csv_import_dialog

if TYPE_CHECKING:
    from simulator.app.document import Document
    from simulator.app.training import TrainingController

WEIGHTS_FILTER = "Weights (*.npz *.json *.safetensors);;All files (*)"
_SETTINGS_FOLDER = "import/folder"


# Dialogs go through module-level functions so tests can answer them without a human.
def ask_weights_path(parent: QWidget, folder: str) -> str:
    return QFileDialog.getOpenFileName(parent, "Load weights", folder, WEIGHTS_FILTER)[0]


def show_error(parent: QWidget, title: str, text: str) -> None:
    QMessageBox.critical(parent, title, text)


def show_info(parent: QWidget, title: str, text: str) -> None:
    QMessageBox.information(parent, title, text)


def weight_notes(arch: dict, net: Network) -> list[str]:
    """What a weights file says that loading it does not change in ``net``."""
    notes = []
    if list(arch["activations"]) != list(net.activations):
        notes.append(
            f"The file's activations ({', '.join(arch['activations'])}) were not loaded: the "
            f"network keeps its own ({', '.join(net.activations)})."
        )
    off = [
        i + 1
        for i, (on, layer) in enumerate(zip(arch["use_bias"], net.layers))
        if on != layer.use_bias
    ]
    if off:
        notes.append(
            f"Bias on or off differs in layer{'s' if len(off) > 1 else ''} "
            f"{', '.join(map(str, off))}: the network keeps its own setting (a missing bias "
            "loads as 0)."
        )
    if arch["loss"] != net.loss:
        notes.append(
            f"The file was trained with the {arch['loss']} loss; the network keeps {net.loss}."
        )
    if np.dtype(arch["dtype"]) != net.dtype:
        notes.append(f"The file's {arch['dtype']} values were converted to {net.dtype.name}.")
    return notes


class DataImporter(QObject):
    """Load Weights (``load_weights_action``) and Import CSV (``import_csv_action``, also in
    ``menu``, the Data menu) into ``document``; ``controller`` is paused first.

    File dialogs, the import dialog and errors open over ``parent``; what was loaded goes out
    as ``message``.  The owner puts the actions and the menu where they belong.
    """

    message = Signal(str)  # for the status bar: what was loaded or imported

    def __init__(self, document: Document, controller: TrainingController, parent: QWidget):
        super().__init__(parent)
        self.dialog_parent = parent
        self.document = document
        self.controller = controller
        self.dialog: csv_import_dialog.CsvImportDialog | None = None
        self.load_weights_action = QAction("&Load Weights…", parent)
        self.load_weights_action.setStatusTip(
            "Put weights from a .npz, .json or .safetensors file into this network"
        )
        self.load_weights_action.triggered.connect(self.load_weights_dialog)
        self.import_csv_action = QAction("&Import CSV…", parent)
        self.import_csv_action.setStatusTip(
            "Train on your own data: a CSV file with feature columns and a target column"
        )
        self.import_csv_action.triggered.connect(self.import_csv_dialog)
        self.menu = QMenu("&Data", parent)
        self.menu.addAction(self.import_csv_action)

    def _folder(self) -> str:
        saved = QSettings().value(_SETTINGS_FOLDER, "", type=str)
        if saved and Path(saved).is_dir():
            return saved
        path = self.document.path
        return str(path.parent if path is not None else Path.home())

    def _remember(self, path: str | Path) -> None:
        QSettings().setValue(_SETTINGS_FOLDER, str(Path(path).parent))

    # ----------------------------------------------------------------- weights
    def load_weights_dialog(self) -> bool:
        path = ask_weights_path(self.dialog_parent, self._folder())
        return bool(path) and self.load_weights(path)

    def load_weights(self, path: str | Path) -> bool:
        """Load ``path`` into the network (undoable); False with a message if it cannot."""
        path = Path(path)
        self._remember(path)
        self.controller.pause()
        try:
            arch, layers = _weights.load_weights(path)
        except (ProjectError, OSError) as exc:
            text = str(exc) if str(path) in str(exc) else f"{path}: {exc}"
            show_error(self.dialog_parent, "Could not load weights", text)
            return False
        notes = weight_notes(arch, self.document.network)
        try:
            self.document.load_weights(layers, path.name)
        except ValueError as exc:
            show_error(
                self.dialog_parent,
                "The weights do not fit this network",
                f"{path}: {exc}. Nothing was changed.",
            )
            return False
        self.message.emit(f"Loaded weights from {path.name} (Edit ▸ Undo restores)")
        if notes:
            show_info(self.dialog_parent, "Weights loaded", "\n\n".join(notes))
        return True

    # ----------------------------------------------------------------- CSV
    def import_csv_dialog(self) -> csv_import_dialog.CsvImportDialog | None:
        """Ask for a CSV file, then open the import dialog on it (not blocking)."""
        path = csv_import_dialog.ask_csv_path(self.dialog_parent, self._folder())
        if not path:
            return None
        return self.open_dialog(path)

    def open_dialog(self, path: str | Path | None = None) -> csv_import_dialog.CsvImportDialog:
        if path:
            self._remember(path)
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
        dialog = csv_import_dialog.CsvImportDialog(path, self.document.task, self.dialog_parent)
        dialog.accepted.connect(lambda: self._apply(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _apply(self, dialog: csv_import_dialog.CsvImportDialog) -> None:
        spec, info = dialog.spec, dialog.info
        if spec is None or info is None:
            return
        name = dialog.path_edit.text()
        name = Path(name).name if name else "CSV data"
        self.controller.pause()
        try:
            self.document.import_data(spec, name)
        except (ValueError, ProjectError) as exc:
            show_error(self.dialog_parent, "Could not import the data", f"{name}: {exc}")
            return
        if info.task == "regression":
            what = f"target {info.target_column!r}"
        else:
            what = f"{len(info.class_names)} classes"
        self.message.emit(
            f"Imported {name}: {info.n_rows:,} rows, {len(info.feature_columns)} features, "
            f"{what} (Edit ▸ Undo restores the previous data)"
        )
