"""The optimizer lab's step readout: how each optimizer made its last step, per axis.

Every number is the engine's: the explanation's g and each term's value (``UpdateTerm.symbol``
and ``.value``, in the order the rule computes them), and for Δ the rule filled with its
operands (``UpdateTerm.numbers``), where √v̂, √v or √s appears as the engine computed it.
Nothing is recomputed here; symbols are only dressed for reading (m_hat → m̂).
"""

from __future__ import annotations

import html

from PySide6.QtWidgets import QTextBrowser, QWidget

from simulator.app.inspection import term_numbers
from simulator.app.numbers import count, fmt
from simulator.app.optimizer_lab import LabRacer

PRETTY = (("m_hat", "m̂"), ("v_hat", "v̂"), ("v_max", "v_max"))


def format_value(value: float) -> str:
    """A number as the readout shows it (the window's formatter, 4 significant digits)."""
    return fmt(value)


def pretty(text: str) -> str:
    """A symbol or formula of the engine, dressed for reading ("m_hat" → "m̂")."""
    for raw, shown in PRETTY:
        text = text.replace(raw, shown)
    return text


def filled(term) -> str:
    """The term's rule with its operands written in ("−0.05 × 0.3 / (0.42 + 1e−8)")."""
    return term_numbers(term)


def racer_html(entry: LabRacer, pair) -> str:
    """One racer's block: its name and step, then g and each term for x and for y."""
    ex, ey = pair
    step = "" if ex.step is None else f" (t = {count(ex.step)})"
    rows = [
        "<tr><td><b>g</b></td><td>the gradient at the step's start</td>"
        f"<td align='right'>{format_value(ex.g)}</td>"
        f"<td align='right'>{format_value(ey.g)}</td></tr>"
    ]
    for tx, ty in zip(ex.terms, ey.terms):
        cells = []
        for term in (tx, ty):
            text = format_value(term.value)
            if term.symbol == "Δ":
                text = f"{html.escape(filled(term))}<br>= <b>{text}</b>"
            cells.append(f"<td align='right'>{text}</td>")
        rows.append(
            f"<tr><td><b>{html.escape(pretty(tx.symbol))}</b></td>"
            f"<td>{html.escape(pretty(tx.formula))}</td>{''.join(cells)}</tr>"
        )
    head = (
        f"<p style='margin-top:6px; margin-bottom:2px'>"
        f"<span style='color:{entry.color}'>━━</span> <b>{html.escape(entry.label)}</b>"
        f" · step {count(entry.steps)}{step}</p>"
    )
    table = (
        "<table cellspacing='0' cellpadding='2'>"
        "<tr><th></th><th align='left'>rule</th><th align='right'>x</th>"
        f"<th align='right'>y</th></tr>{''.join(rows)}</table>"
    )
    return head + table


class StepReadout(QTextBrowser):
    """The numbers of each racer's last step (``show_steps``), or a hint (``show_hint``)."""

    LEGEND = (
        "<p style='margin:0'>Arrows at each point where the step began: <b>━ Δ</b> the step "
        "taken (to scale), <b>╌ −g</b> steepest descent, <b>┈ −m̂ / −v / −b</b> the velocity "
        "or moment the step follows (directions).</p>"
    )

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setAccessibleName("Step readout")
        self.setToolTip(
            "How each optimizer turned its gradient into its last step, per axis: the "
            "engine's own numbers"
        )
        self.setMinimumHeight(90)
        self.hint: str | None = None  # the hint on show (None: the numbers of a step)

    def show_steps(self, racers, explanations) -> None:
        blocks = [
            racer_html(entry, pair) for entry, pair in zip(racers, explanations) if pair is not None
        ]
        if not blocks:
            self.show_hint("No step to explain: every optimizer diverged.")
            return
        self.setHtml(self.LEGEND + "".join(blocks))
        self.hint = None

    def show_hint(self, text: str) -> None:
        if text != self.hint:
            self.setHtml(f"<p>{html.escape(text)}</p>")
            self.hint = text
