"""The main window: the canvas in the centre, Data and Settings docks, menus, status bar."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMenu,
    QMessageBox,
    QToolButton,
    QWidget,
)

from simulator import __version__
from simulator.app import recovery
from simulator.app.document import Document
from simulator.app.training import Snapshot, TrainingController
from simulator.engine import datasets as _datasets
from simulator.project import Project, ProjectError, load_example
from simulator.project.files import parse_json
from simulator.resources_path import example_paths, resource
from simulator.ui import layer_stats, start_page
from simulator.ui.about import about_html
from simulator.ui.app_icon import DESKTOP_ID, app_icon
from simulator.ui.appearance import AppearanceMenu
from simulator.ui.canvas import NetworkCanvas
from simulator.ui.compare_window import open_compare
from simulator.ui.data_panel import DataPanel
from simulator.ui.export_actions import Exporter
from simulator.ui.formula_tips import wrapped
from simulator.ui.gradient_check import GradientCheckTool
from simulator.ui.import_actions import DataImporter
from simulator.ui.inspector import InspectorDock
from simulator.ui.lessons import LessonsPanel
from simulator.ui.loss_landscape import open_loss_landscape
from simulator.ui.optimizer_lab import open_optimizer_lab
from simulator.ui.plots import PlotsPanel
from simulator.ui.settings_panel import SettingsPanel
from simulator.ui.start_page import StartPage
from simulator.ui.status_bar import ElidingLabel, ReadoutLabel, StatusBar
from simulator.ui.training_toolbar import TrainingToolbar, format_status
from simulator.ui.user_guide import open_user_guide

MAX_RECENT = 8
PROJECT_FILTER = "Backprop Lab projects (*.json);;All files (*)"
DEFAULT_SIZE = (1280, 760)  # the smallest default; bigger screens get more (_default_size)
MAX_DEFAULT_SIZE = (1760, 1100)
PLOTS_SHARE = 0.29  # of the default window's height
PLOTS_MIN_HEIGHT = 200
SIDE_DOCK_WIDTH = 290
PLOTS_UNDER_FROM = 820  # a default window at least this tall has the plots under the canvas
STATUS_MS = 6000


# Dialogs go through these module-level functions so tests can answer them without a human.
def ask_save_changes(parent: QWidget, name: str) -> QMessageBox.StandardButton:
    """Save / Discard / Cancel for a document with unsaved changes."""
    return QMessageBox.question(
        parent,
        "Unsaved changes",
        f"Save the changes to “{name}” before closing it?",
        QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel,
        QMessageBox.Save,
    )


def ask_open_path(parent: QWidget, folder: str) -> str:
    return QFileDialog.getOpenFileName(parent, "Open project", folder, PROJECT_FILTER)[0]


def ask_save_path(parent: QWidget, suggestion: str) -> str:
    path = QFileDialog.getSaveFileName(parent, "Save project as", suggestion, PROJECT_FILTER)[0]
    if path and not Path(path).suffix:
        path += ".json"
    return path


def show_error(parent: QWidget, title: str, text: str) -> None:
    QMessageBox.critical(parent, title, text)


def ask_restore(parent: QWidget, what: str) -> str:
    """After a crash: "restore", "discard" or "later" for the unsaved work ``what``."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Question)
    box.setWindowTitle("Restore unsaved work?")
    box.setText("Backprop Lab did not close normally last time.")
    box.setInformativeText(f"Restore the unsaved work on {what}?")
    restore = box.addButton("Restore", QMessageBox.AcceptRole)
    discard = box.addButton("Discard", QMessageBox.DestructiveRole)
    box.addButton("Not Now", QMessageBox.RejectRole)
    box.setDefaultButton(restore)
    box.exec()
    clicked = box.clickedButton()
    return "restore" if clicked is restore else "discard" if clicked is discard else "later"


def divergence_box(parent: QWidget, text: str) -> QMessageBox:
    """A non-blocking notice offering to restore the last good weights."""
    box = QMessageBox(QMessageBox.Warning, "Training diverged", text, QMessageBox.NoButton, parent)
    box.setInformativeText(
        "The loss or the weights became infinite or NaN, so training paused. Restore the "
        "weights from before the step that diverged, lower the learning rate, and play again."
    )
    box.restore_button = box.addButton("Restore Last Good Weights", QMessageBox.AcceptRole)
    box.addButton(QMessageBox.Close)
    box.setWindowModality(Qt.NonModal)
    return box


SHORTCUTS = [
    ("New project", "Ctrl+N"),
    ("Open…", "Ctrl+O"),
    ("Save", "Ctrl+S"),
    ("Save As…", "Ctrl+Shift+S"),
    ("Quit", "Ctrl+Q"),
    ("Undo", "Ctrl+Z"),
    ("Redo", "Ctrl+Shift+Z"),
    ("Play / Pause training", "Space"),
    ("One training step", "Ctrl+Right"),
    ("Forward / Backward / Update phase", "F / B / U"),
    ("Reset to the initial weights", "Ctrl+R"),
    ("Check gradients", "Ctrl+G"),
    ("Compare runs side by side", "Ctrl+K"),
    ("Optimizer lab", "Ctrl+L"),
    ("Loss landscape", "Ctrl+Shift+L"),
    ("User guide", "F1"),
    ("Keyboard shortcuts (this list)", "Ctrl+/"),
    ("Delete the selected neuron or connection", "Delete"),
    ("Zoom the canvas", "Ctrl+wheel"),
    ("Fit the network in view", "Ctrl+0"),
    ("Edit a weight or bias", "double-click it"),
    ("Every edit of a neuron, connection or layer", "right-click it"),
]


class MainWindow(QMainWindow):
    """One window, one open Document."""

    def __init__(
        self,
        document: Document | None = None,
        settings: QSettings | None = None,
        recovery_folder: Path | None = None,
    ):
        super().__init__()
        self.document = document or Document()
        self.settings = settings or QSettings()
        self.setWindowIcon(app_icon())
        self.setObjectName("MainWindow")
        self.setDockNestingEnabled(True)

        self.canvas = NetworkCanvas(self.document, self)
        self.setCentralWidget(self.canvas)
        self.data_panel = DataPanel(self.document, self)
        self.settings_panel = SettingsPanel(self.document, self)
        self.data_dock = self._dock("Data", "DataDock", self.data_panel, Qt.LeftDockWidgetArea)
        self.settings_dock = self._dock(
            "Settings", "SettingsDock", self.settings_panel, Qt.RightDockWidgetArea
        )
        self.data_dock.setMinimumWidth(280)
        self.settings_dock.setMinimumWidth(280)

        self.controller = TrainingController(self.document, self)
        self.training_toolbar = TrainingToolbar(self.controller, self)
        self.addToolBar(Qt.TopToolBarArea, self.training_toolbar)
        for view in (self.canvas, self.data_panel):
            attach = getattr(view, "attach", None)
            if attach is not None:
                attach(self.controller)
        if hasattr(self.canvas, "set_mode"):
            self.training_toolbar.mode_selected.connect(self.canvas.set_mode)
        if hasattr(self.canvas, "neuron_hovered") and hasattr(self.data_panel, "show_neuron_map"):
            self.canvas.neuron_hovered.connect(self.data_panel.show_neuron_map)
        # The side docks run full height; the plots sit under the canvas only.
        self.setCorner(Qt.BottomLeftCorner, Qt.LeftDockWidgetArea)
        self.setCorner(Qt.BottomRightCorner, Qt.RightDockWidgetArea)
        self.plots_panel = PlotsPanel(self.controller, self)
        self.plots_panel.setMinimumWidth(200)  # keeps the window within 800 px screens
        self.plots_dock = self._dock(
            "Plots", "PlotsDock", self.plots_panel, Qt.BottomDockWidgetArea
        )
        self.controller.snapshot_ready.connect(self._on_snapshot)
        self.controller.playing_changed.connect(self._on_playing_changed)
        self.controller.diverged.connect(self._on_diverged)
        self.controller.message.connect(self.show_message)
        self._divergence_box: QMessageBox | None = None
        # Unsaved work goes to a recovery file every 2 minutes (removed on a normal exit).
        self.recovery = recovery.RecoveryWriter(
            self.document, self.controller.project_to_save, recovery_folder, parent=self
        )
        self.recovery.failed.connect(self.show_message)

        self.setStatusBar(StatusBar(self))
        self._training_status = ReadoutLabel()
        self._training_status.setAccessibleName("Training readout")
        self.statusBar().addPermanentWidget(self._training_status)
        self._summary = ElidingLabel()
        self._summary.setAccessibleName("Project summary")
        self._summary.setContentsMargins(12, 0, 4, 0)  # apart from the training readout
        self.statusBar().addPermanentWidget(self._summary)
        for source in (self.canvas, self.data_panel, self.settings_panel):
            source.message.connect(self.show_message)

        self._make_actions()
        self._make_menus()
        self._make_tools()

        doc = self.document
        doc.modified_changed.connect(self._update_title)
        doc.path_changed.connect(self._update_title)
        doc.project_replaced.connect(self._update_title)
        doc.data_changed.connect(self._update_title)  # an import renames the project
        doc.network_changed.connect(self._update_summary)
        doc.data_changed.connect(self._update_summary)
        doc.settings_changed.connect(self._update_summary)  # batches per epoch in the tip
        doc.project_replaced.connect(self._training_status.settle)
        self._update_title()
        self._update_summary()
        self._restore_layout()

    # ----------------------------------------------------------------- construction
    def _dock(self, title: str, name: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)  # saveState() needs names
        dock.setWidget(widget)
        dock.setAllowedAreas(Qt.AllDockWidgetAreas)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even when the menu bar is hidden
        return action

    def _make_actions(self) -> None:
        self.new_action = self._action(
            "&New",
            self.new_project,
            QKeySequence.New,
            "Start a new project from the default example",
        )
        self.open_action = self._action(
            "&Open…", self.open_dialog, QKeySequence.Open, "Open a project file"
        )
        self.save_action = self._action("&Save", self.save, QKeySequence.Save, "Save the project")
        self.save_as_action = self._action(
            "Save &As…",
            self.save_as,
            QKeySequence("Ctrl+Shift+S"),
            "Save the project under a new name",
        )
        self.quit_action = self._action(
            "&Quit", self.close, QKeySequence("Ctrl+Q"), "Quit Backprop Lab"
        )
        stack = self.document.undo_stack
        self.undo_action = stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
        self.redo_action = stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.addAction(self.undo_action)
        self.addAction(self.redo_action)
        self.fit_action = self._action(
            "&Fit Network in View", self.canvas.fit, QKeySequence("Ctrl+0")
        )
        self.reset_layout_action = self._action("Reset &Layout", self.reset_layout)
        self.about_action = self._action("&About Backprop Lab", self.show_about)
        self.start_page_action = self._action(
            "&Start Here…",
            self.show_start_page,
            None,
            "Three ways in: one step by hand, a network training, or your own network",
        )
        self.shortcuts_action = self._action("&Keyboard Shortcuts", self.show_shortcuts, "Ctrl+/")
        self.user_guide_action = self._action(
            "&User Guide",
            lambda: open_user_guide(self),
            QKeySequence.HelpContents,  # F1, where a desktop program keeps its help
            "The user guide, with pictures: every part of the window, the files, the commands",
        )

    def _make_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.new_action)
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.examples_menu = file_menu.addMenu("&Examples")
        for path in example_paths():
            action = self.examples_menu.addAction(_example_title(path))
            action.setData(str(path))
            action.triggered.connect(lambda _=False, p=path: self.open_example(p))
        file_menu.addSeparator()
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.save_as_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        edit_menu = bar.addMenu("&Edit")
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)

        tb = self.training_toolbar
        train_menu = bar.addMenu("&Train")
        for act in (
            tb.play_action,
            tb.step_action,
            None,
            tb.forward_action,
            tb.backward_action,
            tb.update_action,
            None,
            tb.reset_action,
            tb.restore_action,
            None,
            tb.weights_mode,
            tb.gradients_mode,
        ):
            if act is None:
                train_menu.addSeparator()
            else:
                train_menu.addAction(act)
        self.train_menu = train_menu

        view_menu = bar.addMenu("&View")
        view_menu.addAction(self.data_dock.toggleViewAction())
        view_menu.addAction(self.settings_dock.toggleViewAction())
        view_menu.addAction(self.plots_dock.toggleViewAction())
        view_menu.addAction(self.training_toolbar.toggleViewAction())
        view_menu.addSeparator()
        view_menu.addAction(self.fit_action)
        view_menu.addAction(self.reset_layout_action)
        self.appearance = AppearanceMenu(self.settings, self)
        view_menu.addMenu(self.appearance.menu)
        self.view_menu = view_menu

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.user_guide_action)
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)
        self.file_menu, self.edit_menu, self.help_menu = file_menu, edit_menu, help_menu

    def _make_tools(self) -> None:
        """The tools, each given what it works on; their menu entries, docks and tabs go here."""
        doc, controller, canvas = self.document, self.controller, self.canvas

        # The "Layer statistics" tab, after the plots panel's own.
        self.layer_stats = layer_stats.LayerStatsPlot(controller)
        tabs = self.plots_panel.tabs
        index = tabs.addTab(self.layer_stats, layer_stats.TAB_TITLE)
        tabs.setTabToolTip(index, layer_stats.TAB_TOOLTIP)

        # File: Import CSV… and Load Weights… above Quit; the Data menu before Train.
        self.importer = DataImporter(doc, controller, self)
        self.importer.message.connect(self.show_message)
        insert_above_group(
            self.file_menu,
            self.quit_action,
            [self.importer.import_csv_action, self.importer.load_weights_action],
            separator=True,
        )
        self.data_menu = self.importer.menu
        self.menuBar().insertMenu(self.train_menu.menuAction(), self.data_menu)

        # File ▸ Export, above Quit.
        self.exporter = Exporter(
            document=doc,
            controller=controller,
            canvas=canvas,
            plots_panel=self.plots_panel,
            plots_dock=self.plots_dock,
            layer_stats=self.layer_stats,
            data_panel=self.data_panel,
            data_dock=self.data_dock,
            parent=self,
        )
        self.exporter.message.connect(self.show_message)
        insert_above_group(self.file_menu, self.quit_action, [self.exporter.menu])

        # Train ▸ Check Gradients… (Ctrl+G), last.
        self.gradient_check = GradientCheckTool(doc, controller, canvas, self)
        self.gradient_check_action = self.gradient_check.action
        self.train_menu.addSeparator()
        self.train_menu.addAction(self.gradient_check_action)
        self.addAction(self.gradient_check_action)  # the shortcut works with the bar hidden

        # Train ▸ Compare… (Ctrl+K): the project under up to six variants, in the background;
        # View ▸ Loss Landscape (Ctrl+Shift+L): the loss around the current weights.
        self.compare_action = self._action(
            "&Compare…",
            self.open_compare,
            "Ctrl+K",
            "Train the project under up to six variants side by side, in the background",
        )
        self.train_menu.addAction(self.compare_action)
        self.landscape_action = self._action(
            "Loss &Landscape",
            self.open_loss_landscape,
            "Ctrl+Shift+L",
            "The loss on a slice through the current weights, with the training path",
        )
        self.lab_action = self._action(
            "&Optimizer Lab",
            self.open_optimizer_lab,
            "Ctrl+L",
            "Optimizers racing on 2-D loss surfaces, step by step",
        )
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.lab_action)
        self.view_menu.addAction(self.landscape_action)

        # The Lessons dock (right, tabbed with Settings, hidden until a lesson starts) and
        # Help ▸ Lessons first; its toggle last in the View menu.
        self.lessons = LessonsPanel(
            doc,
            controller,
            canvas,
            self.plots_panel,
            self.plots_dock,
            open_example=self.open_example,
            resize_docks=self.resizeDocks,
            tabified_docks=self.tabifiedDockWidgets,
            parent=self,
        )
        self.lessons.message.connect(self.show_message)
        canvas.question_asked.connect(self.lessons.ask_about)
        lessons_dock = self.lessons.dock
        self.addDockWidget(Qt.RightDockWidgetArea, lessons_dock)
        self.tabifyDockWidget(self.settings_dock, lessons_dock)
        self.settings_dock.raise_()
        lessons_dock.hide()
        first = self.help_menu.actions()[0] if self.help_menu.actions() else None
        self.help_menu.insertAction(first, self.start_page_action)
        self.help_menu.insertMenu(first, self.lessons.menu)
        self.help_menu.insertSeparator(first)
        self._make_lessons_button()

        # The Inspector dock: right, tabbed with Settings, its toggle after the other docks'
        # in the View menu; it follows the canvas's selection and the data plot's sample.
        self.inspector = self.inspector_dock = InspectorDock(controller, self)
        dock = self.inspector
        dock.setAllowedAreas(Qt.DockWidgetArea.AllDockWidgetAreas)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.tabifyDockWidget(self.settings_dock, dock)
        self.settings_dock.raise_()
        separator = next((a for a in self.view_menu.actions() if a.isSeparator()), None)
        self.view_menu.insertAction(separator, dock.toggleViewAction())
        # The Lessons dock's toggle with the other docks' (it sat after Reset Layout).
        self.view_menu.insertAction(separator, lessons_dock.toggleViewAction())
        canvas.selection_changed.connect(dock.show_selection)
        self.data_panel.sample_selected.connect(dock.set_sample)
        dock.sample_chosen.connect(self.data_panel.select_sample)
        dock.show_selection(canvas.selection())

    def _make_lessons_button(self) -> None:
        """A "Lessons" button at the toolbar's end: Start Here and every lesson, one click."""
        menu = QMenu("Lessons", self)
        menu.addAction(self.start_page_action)
        menu.addSeparator()
        for action in self.lessons.actions.values():
            menu.addAction(action)
        self.lessons_menu = menu
        action = self.lessons_action = QAction("Lessons", self)
        action.setMenu(menu)
        titles = ", ".join(a.text() for a in self.lessons.actions.values())
        action.setToolTip(f"Guided lessons: {titles}; and the start page")
        action.setStatusTip("Guided lessons, each on its own example")
        toolbar = self.training_toolbar
        toolbar.addSeparator()
        toolbar.addAction(action)
        button = toolbar.widgetForAction(action)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        button.setAccessibleName("Lessons")

    # ----------------------------------------------------------------- the start page
    def show_start_page(self) -> StartPage:
        """Help ▸ Start Here (and the first launch): the start page, over the window."""
        page = self.findChild(StartPage)
        if page is None:
            page = StartPage(self.settings, self)
            page.chosen.connect(self._on_start_choice)
        page.open()
        page.raise_()
        return page

    def _on_start_choice(self, choice: str) -> None:
        if choice == start_page.WATCH:
            self.lessons.start(start_page.WATCH_LESSON)
        elif choice == start_page.TRAIN:
            self.train_example(start_page.TRAIN_EXAMPLE)
        elif choice == start_page.BUILD:
            self.build_your_own()

    def train_example(self, name: str = "xor") -> bool:
        """Open the example ``name`` and play it at a watchable speed (False if not opened)."""
        if not self.open_example(resource("examples", name + ".json")):
            return False
        self.training_toolbar.watchable_speed()
        self.controller.play()
        return True

    def build_your_own(self) -> bool:
        """A new project of inputs and one output on the default data, with a note pointing at
        the + that inserts a hidden layer (False if the learner kept the current project)."""
        if not self.maybe_save():
            return False
        self.document.open_project(start_page.starter_project(), None)
        self.show_message("Your own network: ⊕ inserts a hidden layer, right-click for more")
        canvas = self.canvas
        tip = start_page.CoachTip(
            canvas,
            lambda: canvas.button("add_layer", 1),
            "<b>⊕ inserts a hidden layer here.</b><br>Then ⊕ and ⊖ under a layer add and "
            "remove neurons, and a right-click on anything shows every edit. "
            "Press <b>Play</b> (Space) to train.",
            self.document.network_changed,
        )
        self.coach_tip = tip
        tip.pop_up()
        return True

    # ----------------------------------------------------------------- layout and settings
    def _restore_layout(self) -> None:
        height = self._default_size()[1]
        if height < PLOTS_UNDER_FROM:
            # A short screen: under the canvas the plots would leave the network too little
            # height to read, so they share the right column with the settings (a tab).
            self.addDockWidget(Qt.RightDockWidgetArea, self.plots_dock)
            self.tabifyDockWidget(self.settings_dock, self.plots_dock)
            self.settings_dock.raise_()
        else:
            # The plots take under a third of the window's height: the network gets the rest.
            plots_height = max(PLOTS_MIN_HEIGHT, int(height * PLOTS_SHARE))
            self.resizeDocks([self.plots_dock], [plots_height], Qt.Vertical)
        side = [self.data_dock, self.settings_dock]
        self.resizeDocks(side, [SIDE_DOCK_WIDTH] * 2, Qt.Horizontal)
        self._default_state = self.saveState()
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QByteArray) and self.restoreGeometry(geometry):
            pass
        else:
            self._apply_default_size()
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def _default_size(self) -> tuple[int, int]:
        """Most of the screen (a big screen gets a big window), never more than fits."""
        screen = self.screen() or QApplication.primaryScreen()
        width, height = DEFAULT_SIZE
        if screen is None:
            return width, height
        avail = screen.availableGeometry()
        width = max(width, min(MAX_DEFAULT_SIZE[0], int(avail.width() * 0.85)))
        height = max(height, min(MAX_DEFAULT_SIZE[1], int(avail.height() * 0.88)))
        return min(width, int(avail.width() * 0.95)), min(height, int(avail.height() * 0.92))

    def _apply_default_size(self) -> None:
        screen = self.screen() or QApplication.primaryScreen()
        width, height = self._default_size()
        if screen is not None:
            avail = screen.availableGeometry()
            self.resize(width, height)
            frame = self.frameGeometry()
            frame.moveCenter(avail.center())
            self.move(frame.topLeft())
        else:
            self.resize(width, height)

    def reset_layout(self) -> None:
        self.restoreState(self._default_state)
        self.data_dock.show()
        self.settings_dock.show()

    def _save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.sync()

    # ----------------------------------------------------------------- recent files
    def recent_files(self) -> list[str]:
        value = self.settings.value("recentFiles", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _remember(self, path: Path) -> None:
        path_str = str(Path(path).resolve())
        recent = [p for p in self.recent_files() if p != path_str]
        recent.insert(0, path_str)
        self.settings.setValue("recentFiles", recent[:MAX_RECENT])

    def _fill_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        recent = self.recent_files()
        for path in recent:
            action = menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if not recent:
            menu.addAction("No recent files").setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("Clear Menu", lambda: self.settings.setValue("recentFiles", []))

    # ----------------------------------------------------------------- title and status
    def _update_title(self, *_args) -> None:
        self.setWindowTitle(f"{self.document.display_name}[*] — Backprop Lab")
        self.setWindowModified(self.document.is_modified)

    def _update_summary(self) -> None:
        net = self.document.network
        arch = "–".join(str(s) for s in net.sizes)
        project = self.document.project
        if project.data.is_inline:  # imported: the project is named after the file
            data = f"{project.name} (imported data)"
        else:
            data = _datasets.DATASETS[project.data.dataset].title
        self._summary.setText(f"{data} · network {arch} · {net.n_parameters:,} parameters")
        self._summary.set_tip("The data set, the layer sizes and the number of weights and biases")
        self._training_status.setToolTip(readout_tip(self.document))

    def _on_playing_changed(self, playing: bool) -> None:
        if not playing:
            self._training_status.settle()  # steps/s gone: the readout may narrow again
        # Play brings a tabbed-away plots dock to the front: the loss curve is what one watches.
        if playing and self.plots_dock.isVisible() and self.plots_dock.visibleRegion().isEmpty():
            self.plots_dock.raise_()

    def _on_snapshot(self, snap: Snapshot) -> None:
        self._training_status.setText(format_status(snap, self.document.task))

    def _on_diverged(self, text: str) -> None:
        box = self._divergence_box
        if box is None:
            box = self._divergence_box = divergence_box(self, text)
            box.buttonClicked.connect(self._on_divergence_answer)
        box.setText(text)
        box.show()

    def _on_divergence_answer(self, button) -> None:
        if button is self._divergence_box.restore_button:
            self.controller.restore_last_good()

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, STATUS_MS)

    # ----------------------------------------------------------------- file actions
    def maybe_save(self) -> bool:
        """True when it is fine to drop the current document (saved, discarded or clean)."""
        if not self.document.is_modified:
            return True
        answer = ask_save_changes(self, self.document.display_name)
        if answer == QMessageBox.Save:
            return self.save()
        return answer == QMessageBox.Discard

    def new_project(self) -> None:
        if self.maybe_save():
            self.document.new_project()
            self.show_message("New project")

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        folder = str(self.document.path.parent) if self.document.path else str(Path.home())
        path = ask_open_path(self, folder)
        if path:
            self._open(path)

    def open_path(self, path: str | Path) -> bool:
        """Open ``path`` after asking to save unsaved changes; False if cancelled or failed."""
        return self.maybe_save() and self._open(path)

    def _open(self, path: str | Path) -> bool:
        try:
            self.document.open(path)
        except (ProjectError, OSError) as exc:
            show_error(self, "Could not open project", str(exc))
            return False
        self._remember(Path(path))
        self.show_message(f"Opened {Path(path).name}")
        return True

    def open_compare(self):
        """Train ▸ Compare…: the Compare window (one per main window)."""
        return open_compare(self, self.document, self.open_run)

    def open_optimizer_lab(self):
        """View ▸ Optimizer Lab: its window (one per main window)."""
        return open_optimizer_lab(self, clock=self.controller.clock)

    def open_loss_landscape(self):
        """View ▸ Loss Landscape: its window (one per main window)."""
        return open_loss_landscape(self, self.controller)

    def open_run(self, text: str, name: str) -> bool:
        """Open a trained run (a project file's JSON text, from Compare) as the project, after
        asking to save unsaved changes; False if cancelled or the text is not a project."""
        if not self.maybe_save():
            return False
        try:
            project = Project.from_dict(parse_json(text.encode("utf-8"), name))
        except ProjectError as exc:
            show_error(self, "Could not open the run", str(exc))
            return False
        project.name = name
        self.document.open_project(project, None)
        self.show_message(f"Opened the run {name}")
        return True

    def open_example(self, path: Path) -> bool:
        """Open the shipped example at ``path``; False if cancelled or it could not be read."""
        if not self.maybe_save():
            return False
        try:
            project = load_example(path.stem)
        except (ProjectError, OSError) as exc:
            show_error(self, "Could not open example", str(exc))
            return False
        self.document.open_project(project, None)
        self.show_message(f"Example: {project.name}")
        return True

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        doc = self.document
        suggestion = (
            str(doc.path) if doc.path else str(Path.home() / f"{_slug(doc.project.name)}.json")
        )
        path = ask_save_path(self, suggestion)
        return bool(path) and self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        try:
            saved = self.document.save(path, self.controller.project_to_save())
        except (OSError, ValueError) as exc:
            show_error(self, "Could not save project", f"{path}: {exc}")
            return False
        self._remember(saved)
        self.show_message(f"Saved {saved.name}")
        return True

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.controller.pause()
        if self.maybe_save():
            self.controller.shutdown()
            self.recovery.stop()
            self._save_layout()
            event.accept()
        else:
            event.ignore()

    def offer_recoveries(self) -> bool:
        """After a crash: offer to restore the unsaved work each recovery file holds (the
        newest first); True if one was restored (it opens modified, under its own file name)."""
        for found in recovery.find_recoveries(self.recovery.folder):
            answer = ask_restore(self, found.describe())
            if answer == "discard":
                found.discard()
            elif answer == "restore":
                try:
                    project = found.load()
                except ProjectError as exc:
                    show_error(self, "Could not restore the unsaved work", str(exc))
                    continue
                self.document.open_project(project, found.original)
                self.document.undo_stack.resetClean()  # restored work is not saved yet
                found.discard()
                self.recovery.write_now()  # ours now: kept safe if this run crashes too
                self.show_message(f"Restored the unsaved work on {found.name}")
                return True
        return False

    # ----------------------------------------------------------------- help
    def show_about(self) -> None:
        QMessageBox.about(self, "About Backprop Lab", about_html())

    def show_shortcuts(self) -> None:
        rows = "".join(
            f"<tr><td>{what}</td><td><b>{keys}</b></td></tr>" for what, keys in SHORTCUTS
        )
        box = QMessageBox(self)
        box.setWindowTitle("Keyboard shortcuts")
        box.setTextFormat(Qt.RichText)
        box.setText(f"<table cellspacing='6'>{rows}</table>")
        box.open()
        self._shortcuts_box = box


def readout_tip(document: Document) -> str:
    """What each figure of the status bar's training readout is, with this project's counts."""
    data = document.data
    n_train, n_test = len(data.train_index), len(data.test_index)
    size = document.project.training.batch_size
    per_epoch = -(-n_train // max(1, min(size or n_train, n_train))) if n_train else 0
    lines = [
        f"epoch: passes through the training set (step ÷ {per_epoch:,} steps per epoch)",
        "step: weight updates so far",
        f"train loss: the loss over all {n_train:,} training samples, as last evaluated "
        "(batch loss: over the last mini-batch only, until then)",
        f"test loss: the loss over the {n_test:,} test samples, which training never uses",
    ]
    if document.task != "regression":
        lines.append(
            f"test acc.: the share of the {n_test:,} test samples the network classifies "
            "correctly (train acc.: of the training samples, where there is no test set)"
        )
    lines.append("steps/s: training steps per second while playing")
    return wrapped("\n".join(lines))


def insert_above_group(
    menu: QMenu, action: QAction, entries: list, separator: bool = False
) -> None:
    """Put ``entries`` (QActions or QMenus) into ``menu`` just above the group that ``action``
    starts (above the separator before it, if there is one); a separator first if asked."""
    actions = menu.actions()
    at = actions.index(action)
    anchor = actions[at - 1] if at and actions[at - 1].isSeparator() else action
    if separator:
        menu.insertSeparator(anchor)
    for entry in entries:
        if isinstance(entry, QMenu):
            menu.insertMenu(anchor, entry)
        else:
            menu.insertAction(anchor, entry)


def _example_title(path: Path) -> str:
    try:
        return load_example(path.stem).name
    except (ProjectError, OSError):
        return path.stem


def _slug(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_ " else "" for c in name).strip()
    return keep.replace(" ", "-").lower() or "project"


def run_app(path: str | None = None, example: str | None = None) -> int:
    """Open the window on ``path``, or the shipped ``example`` of that name, or the default
    example, and run the event loop."""
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Backprop Lab")
    app.setOrganizationName("Backprop Lab")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())  # every window: the lab, Compare, dialogs
    app.setDesktopFileName(DESKTOP_ID)  # the desktop matches windows to the installed entry
    window = MainWindow()
    window.show()

    def start() -> None:
        # After the window is up, so a dialog has a parent and the default example stays open
        # behind it.  Work left by a crash comes first; restoring it skips ``path``.
        if window.offer_recoveries():
            return
        if path is not None:
            window._open(path)
        elif example is not None:
            window.open_example(resource("examples", example + ".json"))
        elif start_page.wanted_at_startup(window.settings):
            window.show_start_page()  # the first launch, or asked for

    QTimer.singleShot(0, start)
    return app.exec()
