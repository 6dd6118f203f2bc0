"""The Inspector dock: the selected neuron's or connection's chain rule, with the numbers in.

It reads the TrainingController's trainer through ``simulator.app.inspection`` whenever a
snapshot arrives: exact while paused, at most ``PLAYING_INTERVAL_MS`` apart while playing.  A
sample selector (a spin box whose lowest value reads "batch mean") follows the data plot's
clicked point and drives it back.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from simulator.app import inspection as _ins
from simulator.app import numbers
from simulator.app.frame_timer import FrameTimer
from simulator.app.inspection import fmt
from simulator.app.training import Snapshot, TrainingController

PLAYING_INTERVAL_MS = 200  # while playing, the dock redraws at most 5 times a second
PLACEHOLDER = "Nothing selected: click a neuron or a connection on the canvas."
_STAGE_TEXT = {
    "none": "before the first step",
    "forward": "after the forward phase",
    "backward": "after the backward phase (the update comes next)",
    "update": "after the update",
}


def _f(x) -> str:
    return html.escape(fmt(x))


def _factor(x) -> str:
    return html.escape(_ins.factor(x))


_SUPERSCRIPT = re.compile(r"\^(−?[A-Za-z0-9]+)")
_SUBSCRIPT = re.compile(r"(?<=[^\s(_])_([A-Za-z]+)")


def _rich(text: str) -> str:
    """Plain formula text as rich text: x_jk and x^s as sub- and superscripts, real minus
    signs and primes."""
    text = html.escape(text).replace(" - ", " − ").replace("^-", "^−").replace("f'", "f′")
    text = _SUPERSCRIPT.sub(r"<sup>\1</sup>", text)
    return _SUBSCRIPT.sub(r"<sub>\1</sub>", text)


def _formula_rest(formula: str, head: str) -> str:
    """``formula`` without its leading "f(z) = " (or ``head``)."""
    return formula[len(head) :] if formula.startswith(head) else formula


def _bold_result(text: str, value: str) -> str:
    """``text`` with its final "= value" in bold."""
    before, sep, after = text.rpartition(f"= {value}")
    return f"{before}= <b>{value}</b>{after}" if sep else text


class InspectorDock(QDockWidget):
    """A dock that shows the numbers of the chain rule for the canvas's selection."""

    sample_chosen = Signal(object)  # the sample picked in the selector: an index or None

    def __init__(self, controller: TrainingController, parent: QWidget | None = None):
        super().__init__("Inspector", parent)
        self.setObjectName("InspectorDock")
        self.controller = controller
        self._selection = None
        self._sample: int | None = None
        self._facts = None
        self._stale = False
        self._frames = FrameTimer(
            lambda: controller.clock, PLAYING_INTERVAL_MS / 1000, self.refresh, parent=self
        )

        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        self.title_label = QLabel()
        self.title_label.setTextFormat(Qt.TextFormat.RichText)
        self.title_label.setWordWrap(True)
        layout.addWidget(self.title_label)

        row = QHBoxLayout()
        row.setSpacing(6)
        label = QLabel("Sample")
        self.sample_spin = QSpinBox()
        self.sample_spin.setMinimum(-1)
        self.sample_spin.setSpecialValueText("batch mean")
        self.sample_spin.setValue(-1)
        self.sample_spin.setKeyboardTracking(False)
        tip = (
            "Which training sample's forward and backward values to show (click a point in "
            "the data plot), or the mean over the step's batch"
        )
        self.sample_spin.setToolTip(tip)
        label.setToolTip(tip)
        self.sample_spin.valueChanged.connect(self._on_spin_changed)
        self.mean_button = QToolButton()
        self.mean_button.setText("Batch mean")
        self.mean_button.setToolTip("Show the mean over the step's batch")
        self.mean_button.clicked.connect(lambda: self.sample_spin.setValue(-1))
        self.batch_label = QLabel()
        self.batch_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        row.addWidget(label)
        row.addWidget(self.sample_spin)
        row.addWidget(self.mean_button)
        row.addStretch(1)
        layout.addLayout(row)
        # On a line of its own, wrapped: the dock stays as narrow as the settings beside it.
        self.batch_label.setWordWrap(True)
        layout.addWidget(self.batch_label)

        self.view = QTextBrowser()
        self.view.setOpenLinks(False)
        self.view.setFrameShape(QTextBrowser.Shape.NoFrame)
        layout.addWidget(self.view, 1)
        self.setWidget(body)

        controller.snapshot_ready.connect(self._on_snapshot_ready)
        self.refresh()

    # ----------------------------------------------------------------- inputs
    @property
    def selection(self):
        return self._selection

    @property
    def facts(self):
        """The facts shown (NeuronFacts or ConnectionFacts), or None."""
        return self._facts

    @property
    def sample(self) -> int | None:
        """The training sample shown (None: the batch mean)."""
        return self._sample

    def show_selection(self, selection) -> None:
        """Inspect a canvas selection (SelectedNeuron, SelectedConnection or None)."""
        self._selection = selection
        if selection is not None and self.isVisible() and self.visibleRegion().isEmpty():
            self.raise_()  # tabbed behind another dock: a click on the canvas brings it up
        self.refresh()

    def set_sample(self, index) -> None:
        """Show training sample ``index`` (None or −1: the batch mean)."""
        index = None if index is None or index < 0 else int(index)
        if index == self._sample:
            return
        self._sample = index
        with QSignalBlocker(self.sample_spin):
            self.sample_spin.setValue(-1 if index is None else index)
        self.refresh()

    def _on_spin_changed(self, value: int) -> None:
        self._sample = None if value < 0 else value
        self.sample_chosen.emit(self._sample)
        self.refresh()

    def _on_snapshot_ready(self, snapshot: Snapshot) -> None:
        if not self.isVisible():
            self._stale = True
        elif not snapshot.playing:
            self.refresh()  # paused: exact, now
        elif self._frames.due():
            self.refresh()
        else:
            self._frames.request()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self._stale:
            self.refresh()

    # ----------------------------------------------------------------- drawing
    def refresh(self) -> None:
        """Recompute and redraw the facts of the selection from the trainer now."""
        self._stale = False
        self._frames.drawn()
        trainer = self.controller.shown_trainer  # the rewound step's, while rewound
        n_train = trainer.X_train.shape[0]
        with QSignalBlocker(self.sample_spin):
            self.sample_spin.setMaximum(n_train - 1)
        if self._sample is not None and self._sample >= n_train:
            self.set_sample(None)
            return
        step = _ins.Step.from_trainer(trainer)
        self.batch_label.setText(self._batch_text(step))
        selection = self._selection
        self._facts = None
        if selection is None:
            self.title_label.setText("<b>Inspector</b>")
            self.view.setHtml(f"<p>{html.escape(PLACEHOLDER)}</p>")
            return
        try:
            if hasattr(selection, "source"):
                facts = _ins.inspect_connection(
                    step, selection.layer, selection.source, selection.target, self._sample,
                    selection.name,
                )  # fmt: skip
                title, text = "Connection", self._connection_html(facts, step)
            else:
                facts = _ins.inspect_neuron(
                    step, selection.layer, selection.index, self._sample, selection.name
                )
                title, text = "Neuron", self._neuron_html(facts, step)
        except ValueError as exc:
            self.title_label.setText("<b>Inspector</b>")
            self.view.setHtml(f"<p>{html.escape(str(exc))}</p>")
            return
        self._facts = facts
        where = "batch mean" if self._sample is None else f"sample #{self._sample}"
        self.title_label.setText(
            f"<b>{title} {html.escape(selection.name)}</b> — {where}<br>"
            f"<span style='color:{self._muted()}'>step {numbers.count(trainer.step_count)}, "
            f"{_STAGE_TEXT[step.stage]}</span>"
        )
        scroll = self.view.verticalScrollBar().value()
        self.view.setHtml(text)
        self.view.verticalScrollBar().setValue(scroll)

    def _batch_text(self, step) -> str:
        if step.batch_index is None:
            return ""
        if self._sample is None:
            return f"{step.n} samples in this batch"
        return "in this batch" if step.row_of(self._sample) is not None else "not in this batch"

    def _muted(self) -> str:
        return self.palette().color(QPalette.ColorRole.PlaceholderText).name()

    # -- HTML ------------------------------------------------------------------------------
    def _page(self, sections: list[str]) -> str:
        muted = self._muted()
        style = (
            "<style>"
            "h4 { margin-top: 10px; margin-bottom: 3px; }"
            "td { padding: 1px 6px 1px 0px; vertical-align: top; }"
            f".note {{ color: {muted}; }}"
            ".eq { margin-left: 6px; }"
            "</style>"
        )
        return style + "".join(sections)

    @staticmethod
    def _section(title: str, lines: list[str]) -> str:
        body = "".join(f"<div class='eq'>{line}</div>" for line in lines if line)
        return f"<h4>{html.escape(title)}</h4>{body}"

    @staticmethod
    def _notes(notes) -> str:
        return "".join(f"<p class='note'>{html.escape(n)}</p>" for n in notes)

    def _neuron_lines(self, facts, sub: str = "") -> tuple[list[str], list[str]]:
        """(forward lines, backward lines) of a neuron; ``sub`` subscripts its z and a."""
        mean = "mean " if facts.sample is None else ""
        j = f"<sub>{sub}</sub>" if sub else ""
        forward = []
        if facts.is_input:
            forward.append(f"{mean}a{j} = x = <b>{_f(facts.a)}</b>")
        elif facts.z is not None:
            b = " + b" if facts.use_bias else ""
            forward.append(
                f"{mean}z{j} = Σ<sub>i</sub> w<sub>ij</sub> a<sub>i</sub>{b} = <b>{_f(facts.z)}</b>"
                + (f" &nbsp;(b = {_f(facts.bias)})" if facts.use_bias else "")
            )
            rest = _rich(_formula_rest(facts.formula, "f(z) = "))
            forward.append(f"{mean}a{j} = f(z{j}) = {rest} → <b>{_f(facts.a)}</b>")
            if facts.keep is not None:
                forward.append(f"{mean}dropout multiplier: {_f(facts.keep)}")
        backward = []
        if facts.is_input:
            if facts.dl_da is not None:
                backward.append(f"{mean}dℓ/dx = Σ<sub>k</sub> w<sub>jk</sub> δ<sub>k</sub> = "
                                f"<b>{_f(facts.dl_da)}</b>")  # fmt: skip
            return forward, backward
        if facts.target is not None:
            backward.append(f"target y = {_f(facts.target)}, loss {html.escape(facts.loss)}")
        if facts.dl_da_rule:
            backward.append(_rich(facts.dl_da_rule))
        elif mean and facts.dl_da is not None:
            backward.append(f"mean dℓ/da = {_f(facts.dl_da)}")
        if facts.fprime is not None and facts.delta_kind not in ("fused_bce", "fused_ce"):
            deriv = _rich(_formula_rest(facts.derivative_formula, "f'(z) = "))
            backward.append(f"{mean}f′(z{j}) = {deriv} = {_f(facts.fprime)}")
        if facts.delta_rule:
            backward.append(_bold_result(_rich(facts.delta_rule), _f(facts.delta)))
        return forward, backward

    def _neuron_html(self, facts, step) -> str:
        forward, backward = self._neuron_lines(facts)
        sections = [self._section("Forward", forward)]
        if facts.has_gradients and backward:
            sections.append(self._section("Backward", backward))
        if facts.use_bias and facts.has_gradients and facts.dl_db is not None:
            lines = [f"b = {_f(facts.bias)}"]
            lines.append(
                f"dL/db = (1/n) Σ<sub>s</sub> δ<sup>s</sup>{self._clip_suffix(step)} = "
                f"<b>{_f(facts.dl_db)}</b>"
            )
            sections.append(self._section("Bias", lines))
            opt, note = _ins.optimizer_facts(step, facts.k - 1, "bias", (facts.index,))
            sections.append(self._optimizer_section(opt, note, "b"))
        sections.append(self._notes(facts.notes))
        return self._page(sections)

    def _clip_suffix(self, step) -> str:
        _, coef, pending = step.clip()
        if coef is None:
            return ""
        return f" × {fmt(coef)} (clip{', at the update' if pending else ''})"

    def _connection_html(self, facts, step) -> str:
        sections = []
        w_line = f"w = <b>{_f(facts.w)}</b>"
        if facts.w_now != facts.w:
            w_line += f" (used by this step; now {_f(facts.w_now)})"
        sections.append(self._section("Weight", [w_line]))
        target = facts.target
        if target is None:
            sections.append(self._notes(facts.notes))
            return self._page(sections)
        mean = facts.sample is None
        src = "mean a<sub>i</sub>" if mean else "a<sub>i</sub>"
        source = facts.name.split(" → ", 1)[0]
        forward = [f"{src} = {_f(facts.a_source)} (the output of {html.escape(source)})"]
        t_forward, t_backward = self._neuron_lines(target, "j")
        forward += t_forward
        sections.append(self._section("Forward", forward))
        if not facts.has_gradients:
            sections.append(self._notes(facts.notes))
            return self._page(sections)
        sections.append(self._section(f"Backward: δ of {target.name}", t_backward))
        sections.append(self._section("Gradient dL/dw", self._gradient_lines(facts)))
        sections.append(self._optimizer_section(facts.optimizer, facts.optimizer_note, "w"))
        sections.append(self._notes(facts.notes))
        return self._page(sections)

    def _gradient_lines(self, facts) -> list[str]:
        lines = []
        if facts.sample is not None and facts.product is not None:
            lines.append(
                f"this sample: δ<sub>j</sub> · a<sub>i</sub> = {_factor(facts.target.delta)} × "
                f"{_factor(facts.a_source)} = <b>{_f(facts.product)}</b>"
            )
            if facts.share:
                lines.append(f"its share of the batch gradient: ÷ n = {_f(facts.share)}")
        terms = " + ".join(
            f"{_factor(t.delta)}·{_factor(t.a)}" for t in facts.sample_terms
        )  # fmt: skip
        if facts.n > len(facts.sample_terms):
            terms += " + …"
        lines.append(
            f"(1/n) Σ<sub>s</sub> δ<sub>j</sub><sup>s</sup> a<sub>i</sub><sup>s</sup> "
            f"= (1/{facts.n}) ({terms}) = {_f(facts.data_grad)}"
        )
        total = [_f(facts.data_grad)]
        if facts.l2:
            lines.append(f"+ λ₂·w = {fmt(facts.l2)} × {_factor(facts.w)} = {_f(facts.l2_term)}")
            total.append(_factor(facts.l2_term))
        if facts.l1:
            lines.append(f"+ λ₁·sign(w) = {_f(facts.l1_term)}")
            total.append(_factor(facts.l1_term))
        if len(total) > 1:
            lines.append(f"= {' + '.join(total)} = {_f(facts.raw_grad)}")
        if facts.clip_factor is not None:
            when = "will scale it at the update" if facts.clip_pending else "scaled it"
            lines.append(
                f"clip: ‖g‖ = {_f(facts.global_norm)} > {_f(facts.clip_norm)}, so the factor "
                f"{_f(facts.clip_factor)} {when}: {_factor(facts.raw_grad)} × "
                f"{_f(facts.clip_factor)} = {_f(facts.raw_grad * facts.clip_factor)}"
            )
        lines.append(f"dL/dw = <b>{_f(facts.grad)}</b>")
        return lines

    def _optimizer_section(self, opt, note: str, symbol: str) -> str:
        if opt is None:
            return self._section("Last update", [f"<span class='note'>{html.escape(note)}</span>"])
        ex = opt.explanation
        # Flags read on/off ("amsgrad = off", not "False"), numbers as everywhere else.
        hyper = ", ".join(f"{k} = {numbers.setting(v)}" for k, v in ex.hyperparameters.items())
        rows = [f"g = {_f(ex.g)} (the gradient it received), {symbol} = {_f(ex.theta)}"]
        rows += [
            f"{_rich(term.symbol)} = {_rich(_ins.term_text(term))} = {_f(term.value)}"
            for term in ex.terms[:-1]
        ]
        last = ex.terms[-1]
        rows.append(f"Δ{symbol} = {_rich(_ins.term_text(last))} = <b>{_f(last.value)}</b>")
        rows.append(
            f"{symbol} ← {_f(ex.theta)} + {_factor(ex.applied)} = {_f(opt.theta_new)} "
            f"<span class='note'>(the engine's Δ{symbol} = {_f(ex.applied)})</span>"
        )
        rows += [f"<span class='note'>{html.escape(n)}</span>" for n in opt.notes]
        title = f"Last update: {ex.optimizer}"
        return self._section(title, [f"<span class='note'>{html.escape(hyper)}</span>", *rows])
