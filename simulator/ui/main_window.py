"""The main window.  For now a plain window that shows the open project; the full editor
(canvas, docks, menus) replaces its contents in the next issue."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMessageBox

from simulator.project import DEFAULT_EXAMPLE, Project, ProjectError, load_example


def describe(project: Project) -> str:
    net = project.build_network()
    arch = " → ".join(str(s) for s in net.sizes)
    acts = ", ".join(net.activations)
    return (
        f"<h2>{project.name}</h2><p>{project.description}</p>"
        f"<p>Network {arch} ({acts}), loss {net.loss}, {net.n_parameters} parameters</p>"
    )


class MainWindow(QMainWindow):
    """Shows one project."""

    def __init__(self, project: Project):
        super().__init__()
        self.project = project
        self.setWindowTitle(f"{project.name} — Backprop Lab")
        label = QLabel(describe(project))
        label.setWordWrap(True)
        label.setMargin(24)
        self.setCentralWidget(label)
        self.resize(1100, 700)


def run_app(path: str | None = None) -> int:
    """Open the window on ``path`` (or the default example) and run the event loop."""
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Backprop Lab")
    app.setOrganizationName("Backprop Lab")
    project = None
    if path is not None:
        try:
            project = Project.load(path)
        except (ProjectError, OSError) as exc:
            QMessageBox.critical(None, "Could not open project", str(exc))
    if project is None:
        project = load_example(DEFAULT_EXAMPLE)
    window = MainWindow(project)
    window.show()
    return app.exec()
