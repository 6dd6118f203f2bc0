"""The Lessons panel (Help ▸ Lessons): a lesson's pages with Back/Next, beside the canvas.

Each page marks the canvas items it talks about (owner ``"lesson"``); the marks go when the
lesson ends.  A lesson opens its example through the main window's own path, so the
unsaved-changes prompt applies; training runs through the TrainingController (Play, then Pause
once enough steps are done), never in a blocking loop.  The panel makes its dock and the
Help ▸ Lessons submenu; the main window places them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPushButton,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from simulator.app import lessons as content
from simulator.app import questions
from simulator.app.inspection import fmt
from simulator.app.lessons import LESSON_MARKS, LESSON_TITLES, Lesson, Page
from simulator.resources_path import resource
from simulator.ui.canvas_layout import SelectedConnection

if TYPE_CHECKING:
    from simulator.app.document import Document
    from simulator.app.training import TrainingController
    from simulator.ui.canvas import NetworkCanvas
    from simulator.ui.plots import PlotsPanel

DOCK_WIDTH = 420  # px: a chain-rule table reads without wrapping
QUESTION_KINDS = {  # what a generated question asks for, as the kind box lists it
    questions.GRADIENT: "∂E/∂w",
    questions.DELTA: "δ of its neuron",
    questions.FORWARD: "a (forward)",
}
VERDICT_COLOURS = {
    content.EXACT: "#1a7f37",
    content.CLOSE: "#1a7f37",
    content.RIGHT_DIRECTION: "#b35900",
    content.OFF: "#c62828",
}
DARK_VERDICT_COLOURS = {  # the same on a dark palette, light enough to read
    content.EXACT: "#56d364",
    content.CLOSE: "#56d364",
    content.RIGHT_DIRECTION: "#ffa657",
    content.OFF: "#ff7b72",
}
WELCOME = (
    "<p>Choose a lesson above, or from <b>Help ▸ Lessons</b>:</p>"
    "<ul><li><b>Backprop by Hand</b>: one training step of the classic worked example, every "
    "chain-rule factor as a number.</li>"
    "<li><b>Predict Then Reveal</b>: work out a gradient yourself, then see the engine's.</li>"
    "<li><b>Predict on My Network</b>: the same, about any weight of the project that is "
    "open.</li>"
    "<li><b>Vanishing Gradients</b>: six sigmoid layers against six ReLU layers.</li></ul>"
    "<p>The other lessons open their own example project.</p>"
)


class LessonsPanel(QWidget):
    """The lesson picker, the page (title and text), the guess field, and Back/Next.

    A lesson opens its example with ``open_example(path)`` (the main window's, with its
    unsaved-changes prompt), trains through ``controller``, marks ``canvas`` and shows the
    gradient flow in ``plots_panel`` (in ``plots_dock``).  The panel lives in ``dock``
    (hidden until a lesson starts; closing it ends the lesson); ``menu`` is Help ▸ Lessons
    with ``actions`` by lesson key.  Both are made over ``parent`` (the main window), which
    places them; ``resize_docks`` and ``tabified_docks`` are its QMainWindow.resizeDocks and
    tabifiedDockWidgets.
    """

    lesson_started = Signal(str)  # the lesson's key
    lesson_closed = Signal()
    page_shown = Signal(int)
    message = Signal(str)  # for the status bar

    def __init__(
        self,
        document: Document,
        controller: TrainingController,
        canvas: NetworkCanvas,
        plots_panel: PlotsPanel,
        plots_dock: QDockWidget,
        *,
        open_example: Callable[[Path], object],
        resize_docks: Callable[[list[QDockWidget], list[int], Qt.Orientation], None],
        tabified_docks: Callable[[QDockWidget], list[QDockWidget]],
        parent: QWidget | None = None,
    ):
        super().__init__()
        self.document = document
        self.controller = controller
        self.canvas = canvas
        self.plots_panel = plots_panel
        self.plots_dock = plots_dock
        self.open_example = open_example
        self.resize_docks = resize_docks
        self.tabified_docks = tabified_docks
        self.lesson: Lesson | None = None
        self.index = 0
        self.vanishing_steps = content.VANISHING_STEPS
        self.verdict: str | None = None  # the last scored guess
        self.diagnosis: questions.Diagnosis | None = None  # the mistake its hint named
        self.question: questions.Question | None = None  # the generated question shown
        self.question_seed = 0  # generated questions repeat for the same seed
        self.maker: questions.QuestionMaker | None = None
        self._training: tuple[int, int, int] | None = None  # (page, history row, step) at start
        self._opening = False
        self._replaced = False
        self._opened: str | None = None  # the example the lesson opened last, while it is open
        # After the lesson opened (or trained) its example: (undo index, undo count, steps).
        # While these still hold, the changes are the lesson's own training, not the learner's.
        self._lesson_state: tuple[int, int, int] | None = None
        self._plots_split = False  # the lesson took the plots out of its tab group

        self.picker = QComboBox()
        self.picker.addItem("Choose a lesson…", None)
        for key, title in LESSON_TITLES.items():
            self.picker.addItem(title, key)
        self.picker.setToolTip("Start a lesson (it opens its own example project)")
        self.end_button = QToolButton()
        self.end_button.setText("End")
        self.end_button.setToolTip("End the lesson and clear its marks on the canvas")
        self.title = QLabel()
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        self.kind_box = QComboBox()
        for kind, text in QUESTION_KINDS.items():
            self.kind_box.addItem(text, kind)
        self.kind_box.setToolTip(
            "What to ask about: the connection's gradient ∂E/∂w = a·δ, the δ = f′(z)·Σ w·δ of "
            "the neuron it feeds, or that neuron's output a = f(Σ w·a + b)"
        )
        self.kind_box.setAccessibleName("Question asks for")
        self.new_button = QPushButton("New question")
        self.new_button.setToolTip("Ask about another weight, in the next layer")
        self.new_button.setAccessibleName("New question")
        self.ask_button = QPushButton("Ask about selection")
        self.ask_button.setAccessibleName("Ask about the selected connection")
        self.ask_button.setToolTip(
            "A question about the connection selected on the canvas: predict its ∂E/∂w"
        )
        self.guess_label = QLabel()
        self.guess_edit = QLineEdit()
        self.guess_edit.setPlaceholderText("e.g. 0.05 or −1.2×10⁻³")
        self.guess_edit.setAccessibleName("Your guess")
        self.guess_edit.setToolTip("Your answer: a number such as 0.05, −1.2×10⁻³, 1.2e-3 or 0,5")
        self.reveal_button = QPushButton("Reveal")
        self.reveal_button.setToolTip(
            "Score your guess (right within 1 %) and show the engine's value; when it is off by "
            "a factor, the hint names it"
        )
        self.verdict_label = QLabel()
        self.verdict_label.setWordWrap(True)
        self.verdict_label.setTextFormat(Qt.RichText)
        self.back_button = QPushButton("‹ Back")
        self.back_button.setToolTip("The lesson's previous page")
        self.next_button = QPushButton("Next ›")
        self.next_button.setToolTip("The lesson's next page")
        self.page_label = QLabel()
        self.page_label.setAlignment(Qt.AlignCenter)

        top = QHBoxLayout()
        top.addWidget(self.picker, 1)
        top.addWidget(self.end_button)
        self.question_bar = QWidget()
        bar = QHBoxLayout(self.question_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.kind_box)
        bar.addWidget(self.new_button, 1)
        bar.addWidget(self.ask_button, 1)
        self.guess_row = QWidget()
        guess = QHBoxLayout(self.guess_row)
        guess.setContentsMargins(0, 0, 0, 0)
        guess.addWidget(self.guess_label)
        guess.addWidget(self.guess_edit, 1)
        guess.addWidget(self.reveal_button)
        nav = QHBoxLayout()
        nav.addWidget(self.back_button)
        nav.addWidget(self.page_label, 1)
        nav.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.title)
        layout.addWidget(self.question_bar)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.guess_row)
        layout.addWidget(self.verdict_label)
        layout.addLayout(nav)

        self.picker.activated.connect(self._on_picked)
        self.end_button.clicked.connect(self.close_lesson)
        self.back_button.clicked.connect(lambda: self.show_page(self.index - 1))
        self.next_button.clicked.connect(lambda: self.show_page(self.index + 1))
        self.reveal_button.clicked.connect(self.reveal)
        self.new_button.clicked.connect(lambda: self.new_question())
        self.ask_button.clicked.connect(self.ask_about_selection)
        self.kind_box.activated.connect(self._on_kind_picked)
        self.canvas.selection_changed.connect(self._sync_ask_button)
        self.document.network_changed.connect(self._on_model_changed)
        self.document.data_changed.connect(self._on_model_changed)
        self.guess_edit.returnPressed.connect(self.reveal)
        self.document.project_replaced.connect(self._on_project_replaced)
        self.controller.snapshot_ready.connect(self._on_snapshot)
        self.controller.playing_changed.connect(self._on_playing_changed)
        self._show_welcome()

        self.dock = QDockWidget("Lessons", parent)
        self.dock.setObjectName("LessonsDock")
        self.dock.setWidget(self)
        self.dock.setAllowedAreas(Qt.AllDockWidgetAreas)
        self.dock.setMinimumWidth(280)
        self.dock.toggleViewAction().toggled.connect(lambda shown: shown or self.close_lesson())
        self.menu = QMenu("&Lessons", parent)
        self.actions: dict[str, QAction] = {}
        for key, title in LESSON_TITLES.items():
            action = QAction(title, parent)
            action.setStatusTip(f"Start the lesson “{title}”")
            action.triggered.connect(lambda _=False, k=key: self.start(k))
            self.menu.addAction(action)
            self.actions[key] = action

    # ----------------------------------------------------------------- reading
    @property
    def page(self) -> Page | None:
        return None if self.lesson is None else self.lesson.pages[self.index]

    @property
    def training(self) -> bool:
        """True while the lesson trains a network (Back and Next wait)."""
        return self._training is not None

    # ----------------------------------------------------------------- lessons
    def start(self, key: str) -> bool:
        """Open lesson ``key``'s example (asking about unsaved changes) and show its first
        page; False if the learner cancelled or the example could not be opened."""
        self.close_lesson()
        example = content.LESSON_EXAMPLES[key]
        if example is not None and not self._open_example(example):
            return False
        try:
            self.lesson = content.build_lesson(key, self.document, self.vanishing_steps)
        except ValueError as exc:
            self.message.emit(f"Lesson: {exc}")
            return False
        self.dock.show()
        self.dock.raise_()
        self.resize_docks([self.dock], [DOCK_WIDTH], Qt.Horizontal)
        self._select_in_picker(key)
        self.lesson_started.emit(key)
        self.show_page(0)
        return True

    def close_lesson(self) -> None:
        """End the lesson: its marks go, any training it started pauses."""
        if self._training is not None:
            self._training = None
            self.controller.pause()
        had_lesson = self.lesson is not None
        self._rejoin_plots()
        self.lesson = None
        self.question = None
        self.maker = None
        self.index = 0
        self.canvas.clear_marks(LESSON_MARKS)
        self._show_welcome()
        if had_lesson:
            self.lesson_closed.emit()

    def show_page(self, index: int) -> None:
        """Show page ``index`` (marks included) and run its action, once."""
        lesson = self.lesson
        if lesson is None or self._training is not None or not 0 <= index < len(lesson):
            return
        self.index = index
        page = lesson.pages[index]
        self._render(page)
        if page.action == "step":
            self._take_step()
        elif page.action == "train":
            self._train(index)
        elif page.action == "questions" and page.prediction is None:
            self.new_question()
        self.page_shown.emit(index)

    def reveal(self) -> None:
        """Score the typed guess against the engine's value, say how far off it is and which
        factor it most likely got wrong, and show how the engine's value is made."""
        page = self.page
        if page is None or page.prediction is None:
            return
        prediction = page.prediction
        guess = content.parse_number(self.guess_edit.text())
        if guess is None:
            self.verdict = self.diagnosis = None
            self.verdict_label.setText("Type a number first, e.g. 0.05 or −1.2e-3.")
            return
        truth = prediction.truth
        verdict, _error = questions.score(guess, truth)
        self.verdict = verdict
        self.diagnosis = questions.diagnose(guess, truth, prediction.mistakes)
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        colour = (DARK_VERDICT_COLOURS if dark else VERDICT_COLOURS)[verdict]
        if self.diagnosis is not None:
            hint = f"<br><b>Hint:</b> {self.diagnosis.hint}"
        elif verdict in (content.RIGHT_DIRECTION, content.OFF):
            hint = (
                "<br><b>Hint:</b> no single factor explains the difference: compare your "
                "factors with the engine's below."
            )
        else:
            hint = ""
        self.verdict_label.setText(
            f"<span style='color:{colour}'><b>{questions.verdict_text(verdict, guess, truth)}"
            f"</b></span>{hint}<br>You said {fmt(guess, 6)}; the engine says {fmt(truth, 6)}."
        )
        self.text.setHtml(page.text + "<a name='reveal'></a>" + prediction.reveal)
        self.text.scrollToAnchor("reveal")  # the engine's value in view, under the question
        self.canvas.set_marks(LESSON_MARKS, prediction.neurons, prediction.connections)

    # ----------------------------------------------------------------- generated questions
    def new_question(
        self,
        connection: tuple[int, int, int] | None = None,
        spec: questions.Spec | None = None,
    ) -> bool:
        """Show a question generated from the project's network at the step shown: about
        ``connection`` (i, r, c) if given, ``spec`` exactly if given, else about a weight of
        the next layer.  False (and the reason on the page) when there is nothing to ask."""
        page = self.page
        if page is None or page.action != "questions" or self._training is not None:
            return False
        if self.maker is None:
            self.maker = questions.QuestionMaker(self.question_seed)
        snap = self.controller.snapshot()
        try:
            question = content.question_from(
                self.document,
                snap.weights,
                snap.step,
                kind=self.kind_box.currentData(),
                maker=self.maker,
                connection=connection,
                spec=spec,
            )
        except ValueError as exc:
            self.verdict_label.show()
            self.verdict_label.setText(f"<b>No question:</b> {exc}.")
            return False
        self.question = question
        self._replace_page(self.index, content.question_page(question))
        return True

    def ask_about(self, connection: tuple[int, int, int]) -> bool:
        """Ask the learner to predict ∂E/∂w of ``connection`` (i, r, c) of the open project:
        opens "Predict on My Network" if it is not the lesson shown."""
        if self.lesson is None or self.lesson.key != content.MY_NETWORK:
            if not self.start(content.MY_NETWORK):
                return False
        return self.new_question(connection)

    def ask_about_selection(self) -> bool:
        """Ask about the connection selected on the canvas (a fresh sample)."""
        selected = self.canvas.selection()
        if not isinstance(selected, SelectedConnection):
            return False
        return self.new_question((selected.layer, selected.source, selected.target))

    def _on_kind_picked(self, _row: int) -> None:
        """Another kind of question: about the same connection and sample, if one is shown."""
        question = self.question
        page = self.page
        if page is None or page.action != "questions":
            return
        if question is None:
            self.new_question()
            return
        old = question.spec
        kind = self.kind_box.currentData()
        self.new_question(spec=questions.Spec(kind, old.layer, old.source, old.target, old.sample))

    def _sync_ask_button(self, *_args) -> None:
        selected = self.canvas.selection()
        ok = isinstance(selected, SelectedConnection)
        self.ask_button.setEnabled(ok)
        if ok:
            self.ask_button.setToolTip(f"Ask about the selected connection {selected.name}")
        else:
            self.ask_button.setToolTip(
                "Ask about the connection selected on the canvas: click one there first"
            )

    def _on_model_changed(self) -> None:
        """The network or data changed (an edit): the question is asked again about the same
        connection and sample if they are still there, else a new one."""
        page = self.page
        if page is None or page.action != "questions" or self.document.is_replacing:
            return
        if self.question is not None and self.new_question(spec=self.question.spec):
            return
        self.new_question()

    # ----------------------------------------------------------------- showing
    def _show_welcome(self) -> None:
        self.title.setText("Lessons")
        self.text.setHtml(WELCOME)
        self.question_bar.hide()
        self.guess_row.hide()
        self.verdict_label.hide()
        self.back_button.setEnabled(False)
        self.next_button.setEnabled(False)
        self.page_label.setText("")
        self.end_button.setEnabled(False)
        self._select_in_picker(None)

    def _render(self, page: Page) -> None:
        self.title.setText(page.title)
        self.text.setHtml(page.text)
        self.text.verticalScrollBar().setValue(0)
        self.canvas.set_marks(LESSON_MARKS, page.neurons, page.connections)
        asks = page.prediction is not None
        self.question_bar.setVisible(page.action == "questions")
        self._sync_ask_button()
        self.guess_row.setVisible(asks)
        self.verdict_label.setVisible(asks)
        self.verdict_label.setText("")
        self.verdict = self.diagnosis = None
        if asks:
            self.guess_label.setText(f"Your {page.prediction.asks}:")
            self.guess_edit.clear()
        self.end_button.setEnabled(True)
        self._update_nav()

    def _update_nav(self) -> None:
        lesson = self.lesson
        busy = self._training is not None
        n = len(lesson)
        self.back_button.setEnabled(not busy and self.index > 0)
        self.next_button.setEnabled(not busy and self.index < n - 1)
        self.page_label.setText("training…" if busy else f"page {self.index + 1} of {n}")

    def _replace_page(self, index: int, page: Page) -> None:
        self.lesson.pages[index] = page
        if index == self.index:
            self._render(page)

    def _select_in_picker(self, key: str | None) -> None:
        self.picker.setCurrentIndex(max(0, self.picker.findData(key)))

    def _on_picked(self, row: int) -> None:
        key = self.picker.itemData(row)
        if key is not None:
            if not self.start(key):
                self._select_in_picker(None)

    # ----------------------------------------------------------------- opening examples
    def _open_example(self, name: str) -> bool:
        """Open the example ``name`` through the window (its unsaved-changes prompt)."""
        doc = self.document
        stack = doc.undo_stack
        state = self._lesson_state
        if (
            state is not None
            and doc.is_modified
            and doc.path is None
            and (stack.index(), stack.count(), self.controller.step_count) == state
        ):
            # Only the lesson's own training changed this example: nothing to save.
            stack.setClean()
        self._opening, self._replaced = True, False
        try:
            self.open_example(resource("examples", name + ".json"))
        finally:
            self._opening = False
        if self._replaced:
            self._opened = name
            self._remember_state()
        return self._replaced

    def _remember_state(self) -> None:
        stack = self.document.undo_stack
        self._lesson_state = (stack.index(), stack.count(), self.controller.step_count)

    def _on_project_replaced(self) -> None:
        if self._opening:
            self._replaced = True
            return
        # The learner opened another project: the lesson's numbers no longer apply.
        self._lesson_state = None
        self._opened = None
        if self.lesson is not None and self.lesson.key == content.MY_NETWORK:
            self.question = None  # questions go on, about the new project
            self.new_question()
            return
        if self.lesson is not None:
            self.close_lesson()
            self.message.emit("Lesson ended: another project was opened")

    # ----------------------------------------------------------------- the engine's step
    def _take_step(self) -> None:
        lesson, index = self.lesson, self.index
        self.controller.step()
        self._remember_state()
        try:
            page = content.engine_step_page(lesson.worked, self.controller.snapshot().weights)
        except ValueError as exc:
            page = Page(lesson.pages[index].title, f"<p>{exc}: start the lesson again.</p>")
        self._replace_page(index, page)

    # ----------------------------------------------------------------- training
    def _train(self, index: int) -> None:
        page = self.lesson.pages[index]
        if page.opens and page.opens != self._opened and not self._open_example(page.opens):
            text = "<p>The example was not opened: go Back and Next to try again.</p>"
            self._replace_page(index, dataclasses.replace(page, text=text))
            return
        self._training = (index, len(self.controller.history), self.controller.step_count)
        self._update_nav()
        self._show_gradient_flow()
        self.controller.play()
        if self.plots_dock in self.tabified_docks(self.dock):
            self.dock.raise_()  # Play raised a tabbed-away plots dock over the lesson
        if not self.controller.playing:  # e.g. a diverged run: nothing will come
            self._finish_training()

    def _show_gradient_flow(self) -> None:
        """Show the Gradient flow plot beside the lesson, which stays in view: the page says
        "watch the plot" while Next waits for the training."""
        plots = self.plots_panel
        plots.tabs.setCurrentWidget(plots.gradient_flow)
        dock = self.plots_dock
        dock.show()
        if dock not in self.tabified_docks(self.dock):
            dock.raise_()
            return
        # Sharing our tab group (short screens: the plots tabbed with the settings), one of
        # the two would hide the other, and Play raises the plots.  For the lesson the plots
        # go under it, and back into the group when the lesson ends.
        window = self.dock.parentWidget()
        if isinstance(window, QMainWindow) and not self.dock.isFloating():
            window.addDockWidget(window.dockWidgetArea(self.dock), dock, Qt.Vertical)
            half = max(1, self.dock.height() // 2)
            self.resize_docks([self.dock, dock], [half, half], Qt.Vertical)
            self._plots_split = True
        self.dock.raise_()

    def _rejoin_plots(self) -> None:
        """Put the plots back in the lesson's tab group if the lesson took them out of it
        (and the learner has not moved them since)."""
        if not self._plots_split:
            return
        self._plots_split = False
        window, dock = self.dock.parentWidget(), self.plots_dock
        if not isinstance(window, QMainWindow) or dock.isFloating() or self.dock.isFloating():
            return
        if window.dockWidgetArea(dock) != window.dockWidgetArea(self.dock):
            return
        if dock in self.tabified_docks(self.dock):
            return
        lesson_shown = self.dock.isVisible()
        window.tabifyDockWidget(self.dock, dock)
        (self.dock if lesson_shown else dock).raise_()

    def _on_snapshot(self, snap) -> None:
        if self._training is None:
            return
        index, _row, step = self._training
        if snap.step - step >= self.lesson.pages[index].train_steps:
            self.controller.pause()  # -> _on_playing_changed(False) finishes

    def _on_playing_changed(self, playing: bool) -> None:
        if not playing and self._training is not None:
            self._finish_training()

    def _finish_training(self) -> None:
        index, _row, step = self._training
        self._training = None
        page = self.lesson.pages[index]
        history = self.controller.history
        start = history.rows_through(step)  # rows move down when older ones are compacted
        norms = history.column("grad_norms")[start : start + page.train_steps]
        self._remember_state()
        done = content.trained_page(self.lesson, index, norms.copy())
        self._replace_page(index, done)
        self._update_nav()
