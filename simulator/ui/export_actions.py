"""File ▸ Export: weights, ONNX, a PyTorch script, the loss history, the data (train and test
samples as CSV) and pictures of the views (the network, the loss plot, the gradient flow, the
layer statistics, the decision boundary).

Every file is written atomically (a temporary file in the same folder replaces the target
once complete), so a failed export never leaves half a file.  Exports do not pause training:
they run on the GUI thread between training steps, so each file holds the weights (or plots)
of the moment it is written, after its file dialog closes.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRectF, QSettings, Signal
from PySide6.QtGui import QAction, QPalette
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMenu, QMessageBox, QWidget

from simulator.project.data_csv import export_data_csv
from simulator.project.files import ProjectError
from simulator.project.history_csv import export_history_csv
from simulator.project.weights import export_weights
from simulator.ui import image_export
from simulator.ui.canvas_items import ButtonItem

if TYPE_CHECKING:
    from simulator.app.document import Document
    from simulator.app.training import TrainingController
    from simulator.ui.canvas import NetworkCanvas
    from simulator.ui.data_panel import DataPanel
    from simulator.ui.layer_stats import LayerStatsPlot
    from simulator.ui.plots import PlotsPanel

WEIGHT_FILTERS = [
    ("NumPy archive", ".npz"),
    ("JSON", ".json"),
    ("safetensors", ".safetensors"),
]
ONNX_FILTERS = [("ONNX model", ".onnx")]
SCRIPT_FILTERS = [("Python script", ".py")]
CSV_FILTERS = [("CSV table", ".csv")]
IMAGE_FILTERS = [("PNG image", ".png"), ("SVG image", ".svg")]
_SETTINGS_FOLDER = "export/folder"


# Dialogs go through module-level functions so tests can answer them without a human.
def ask_export_path(
    parent: QWidget, title: str, suggestion: str, filters: list[tuple[str, str]]
) -> str:
    """A file name to write; the chosen filter's extension is added when none was typed."""
    text = ";;".join(f"{name} (*{ext})" for name, ext in filters)
    path, chosen = QFileDialog.getSaveFileName(parent, title, suggestion, text)
    if path and not Path(path).suffix:
        ext = next((ext for name, ext in filters if chosen.startswith(name)), filters[0][1])
        path += ext
    return path


def is_edit_button(item) -> bool:
    """A canvas button that only edits (add or remove a neuron or a layer): pictures leave
    it out; the activation and bias buttons stay, they say what each layer is."""
    return isinstance(item, ButtonItem) and item.kind not in ("activation", "bias")


def show_error(parent: QWidget, title: str, text: str) -> None:
    QMessageBox.critical(parent, title, text)


def slug(name: str) -> str:
    """A file-name stem from a project name: "Spiral (deep)" -> "spiral-deep"."""
    keep = "".join(c if c.isalnum() or c in "-_ " else "" for c in name).strip()
    return "-".join(keep.split()).lower() or "project"


class Exporter(QObject):
    """The Export submenu (``menu``) and its actions.

    It writes ``document``'s weights and ``controller``'s history, and pictures of ``canvas``,
    of ``plots_panel``'s pages (in ``plots_dock``), of ``layer_stats`` (a page of the plots
    panel) and of ``data_panel``'s plot (in ``data_dock``); a picture's dock and page are
    brought into view first.  File dialogs and errors open over ``parent``; what was written
    goes out as ``message``.  The owner puts ``menu`` where it belongs.
    """

    message = Signal(str)  # for the status bar: what was exported

    def __init__(
        self,
        *,
        document: Document,
        controller: TrainingController,
        canvas: NetworkCanvas,
        plots_panel: PlotsPanel,
        plots_dock: QDockWidget,
        layer_stats: LayerStatsPlot,
        data_panel: DataPanel,
        data_dock: QDockWidget,
        parent: QWidget,
    ):
        super().__init__(parent)
        self.dialog_parent = parent
        self.document = document
        self.controller = controller
        self.canvas = canvas
        self.plots_panel = plots_panel
        self.plots_dock = plots_dock
        self.layer_stats = layer_stats
        self.data_panel = data_panel
        self.data_dock = data_dock
        self.menu = QMenu("E&xport", parent)
        self.menu.setToolTipsVisible(True)
        add = self._add
        self.weights_action = add(
            "&Weights…", self.export_weights, "The weights as .npz, .json or .safetensors"
        )
        self.onnx_action = add(
            "&ONNX Model…", self.export_onnx, "The network as an ONNX model (onnxruntime, …)"
        )
        self.script_action = add(
            "&PyTorch Script…",
            self.export_script,
            "A PyTorch script that rebuilds the network; its weights go to a .npz beside it",
        )
        self.history_action = add(
            "Loss &History (CSV)…",
            self.export_history,
            "Step, epoch, losses, accuracies and learning rate of every training step",
        )
        self.data_action = add(
            "&Data as CSV…",
            self.export_data,
            "The training and test samples: a split column (train/test), the raw inputs "
            "(before input features) and the target; Data ▸ Import CSV reads it back",
        )
        self.menu.addSeparator()
        self.network_image_action = add(
            "Image of the &Network…", self.export_network_image, "The whole network, PNG or SVG"
        )
        self.loss_image_action = add(
            "Image of the &Loss Plot…", self.export_loss_image, "The loss plot, PNG or SVG"
        )
        self.gradient_image_action = add(
            "Image of the &Gradient Flow…",
            self.export_gradient_image,
            "The gradient-flow plot, PNG or SVG",
        )
        self.layer_stats_image_action = add(
            "Image of the Layer &Statistics…",
            self.export_layer_stats_image,
            "The histograms of a layer's weights and gradients, with their statistics, PNG or SVG",
        )
        self.boundary_image_action = add(
            "Image of the &Decision Boundary…",
            self.export_boundary_image,
            "The Data panel's plot: the data and the network's decision boundary, PNG or SVG",
        )

    def _add(self, text: str, slot, tip: str) -> QAction:
        action = self.menu.addAction(text)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    # ----------------------------------------------------------------- file names
    def _folder(self) -> Path:
        saved = QSettings().value(_SETTINGS_FOLDER, "", type=str)
        if saved and Path(saved).is_dir():
            return Path(saved)
        path = self.document.path
        return path.parent if path is not None else Path.home()

    def _stem(self) -> str:
        path = self.document.path
        return path.stem if path is not None else slug(self.document.project.name)

    def _ask(self, title: str, suffix: str, filters: list[tuple[str, str]]) -> Path | None:
        suggestion = self._folder() / f"{self._stem()}{suffix}{filters[0][1]}"
        path = ask_export_path(self.dialog_parent, title, str(suggestion), filters)
        if not path:
            return None
        QSettings().setValue(_SETTINGS_FOLDER, str(Path(path).parent))
        return Path(path)

    def _write(self, path: Path, write, done: str) -> bool:
        try:
            write(path)
        except (ProjectError, OSError, ValueError) as exc:
            text = str(exc)
            if str(path) not in text:
                text = f"{path}: {text}"
            show_error(self.dialog_parent, "Could not export", text)
            return False
        self.message.emit(done)
        return True

    def _at_step(self) -> str:
        step = self.controller.step_count
        return f" (step {step:,})" if step else ""

    # ----------------------------------------------------------------- model files
    def _export_model(self, path: Path) -> None:
        # Imported data: the files name the inputs and, standardised, take raw values.
        doc = self.document
        export_weights(doc.network, path, preprocessing=doc.project.export_preprocessing())

    def export_weights(self) -> bool:
        path = self._ask("Export weights", "-weights", WEIGHT_FILTERS)
        return path is not None and self._write(
            path,
            self._export_model,
            f"Exported weights to {path.name}{self._at_step()}",
        )

    def export_onnx(self) -> bool:
        path = self._ask("Export ONNX model", "", ONNX_FILTERS)
        return path is not None and self._write(
            path,
            self._export_model,
            f"Exported the ONNX model to {path.name}{self._at_step()}",
        )

    def export_script(self) -> bool:
        path = self._ask(
            "Export PyTorch script (its weights go to a .npz file beside it)", "", SCRIPT_FILTERS
        )
        if path is None:
            return False
        sidecar = path.with_suffix(".npz").name
        return self._write(
            path,
            self._export_model,
            f"Exported a PyTorch script to {path.name} and its weights to {sidecar}: "
            "keep them side by side",
        )

    def export_history(self) -> bool:
        path = self._ask("Export loss history", "-history", CSV_FILTERS)
        if path is None:
            return False
        history = self.controller.history
        return self._write(
            path,
            lambda p: export_history_csv(history, p),
            f"Exported {len(history):,} steps of history to {path.name}",
        )

    def export_data(self) -> bool:
        path = self._ask("Export data as CSV", "-data", CSV_FILTERS)
        if path is None:
            return False
        doc = self.document
        data = doc.data
        n_train, n_test = len(data.train_index), len(data.test_index)
        return self._write(
            path,
            lambda p: export_data_csv(doc.project, p, data),
            f"Exported {n_train + n_test:,} samples ({n_train:,} training, {n_test:,} test) "
            f"to {path.name}",
        )

    # ----------------------------------------------------------------- pictures
    def _export_picture(self, what: str, suffix: str, make) -> bool:
        path = self._ask(f"Export image of the {what}", suffix, IMAGE_FILTERS)
        if path is None:
            return False
        return self._write(
            path,
            lambda p: image_export.save_picture(make(), p),
            f"Exported the image of the {what} to {path.name}",
        )

    def network_picture(self) -> image_export.Picture:
        canvas = self.canvas
        # The editing buttons go; the activation and bias ones say what each layer is.
        return image_export.network_picture(canvas, canvas.legend, hide=is_edit_button)

    def loss_picture(self) -> image_export.Picture:
        panel = self._show_plot_page(self.plots_panel.loss)
        page = panel.loss
        plots = [page.loss_plot, page.accuracy_plot, page.lr_plot]
        shown = [w for w in plots if w is page.loss_plot or not w.isHidden()]
        return stack_pictures([image_export.view_picture(w) for w in shown], "Loss")

    def gradient_picture(self) -> image_export.Picture:
        panel = self._show_plot_page(self.plots_panel.gradient_flow)
        return image_export.view_picture(panel.gradient_plot, "Gradient flow")

    def layer_stats_picture(self) -> image_export.Picture:
        """The Layer statistics tab: which layer and step, then each histogram under its
        readout (mean, sd, |max|)."""
        stats = self.layer_stats
        self._show_plot_page(stats)
        stats.refresh()
        plots = [hist.plot for hist in stats.histograms.values()]
        background = image_export.background_of(plots[0])
        colour = stats.palette().color(QPalette.ColorRole.Text)

        def caption(text: str):
            return image_export.text_picture(text, stats.font(), colour, background)

        layer = html.escape(stats.layer_combo.currentText())
        pictures = [caption(f"<b>Layer statistics: {layer}</b> · {html.escape(stats.hint.text())}")]
        for hist in stats.histograms.values():
            pictures.append(caption(hist.readout.text()))
            pictures.append(image_export.view_picture(hist.plot))
        return stack_pictures(pictures, "Layer statistics")

    def boundary_picture(self) -> image_export.Picture:
        dock = self.data_dock
        if not dock.isVisible():
            dock.show()
        dock.raise_()
        return image_export.view_picture(self.data_panel.plot, "Decision boundary")

    def _show_plot_page(self, page: QWidget):
        # A plot in a closed dock or a tab out of sight has no size and no fresh curves.
        if not self.plots_dock.isVisible():
            self.plots_dock.show()
        self.plots_dock.raise_()
        panel = self.plots_panel
        panel.tabs.setCurrentWidget(page)
        panel.refresh(hidden_too=True)
        return panel

    def export_network_image(self) -> bool:
        return self._export_picture("network", "-network", self.network_picture)

    def export_loss_image(self) -> bool:
        return self._export_picture("loss plot", "-loss", self.loss_picture)

    def export_gradient_image(self) -> bool:
        return self._export_picture("gradient flow", "-gradient-flow", self.gradient_picture)

    def export_layer_stats_image(self) -> bool:
        return self._export_picture("layer statistics", "-layer-stats", self.layer_stats_picture)

    def export_boundary_image(self) -> bool:
        return self._export_picture(
            "decision boundary", "-decision-boundary", self.boundary_picture
        )


def stack_pictures(pictures: list[image_export.Picture], title: str) -> image_export.Picture:
    """``pictures`` one under the other (the loss plot and its accuracy and lr strips)."""
    width = max(p.width for p in pictures)
    height = sum(p.height for p in pictures)
    background = pictures[0].background

    def paint(painter) -> None:
        if background is not None:  # under a narrower picture
            painter.fillRect(QRectF(0, 0, width, height), background)
        top = 0.0
        for picture in pictures:
            painter.save()
            painter.translate((width - picture.width) / 2, top)  # a narrower one centred
            picture.paint(painter)
            painter.restore()
            top += picture.height

    return image_export.Picture(width, height, paint, title, background)
