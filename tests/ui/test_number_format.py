"""Issue 13, item 8: every number the window shows is written one way, with a real minus sign.

A real window trains a network with negative weights and biases; the test then reads what the
canvas, the plots, the inspector and the layer statistics show and looks for a hyphen-minus
before a digit ("-0.5"), an "e" exponent ("3.5e-05") or "True"/"False".
"""

import re

from PySide6.QtWidgets import QAbstractSpinBox

from simulator.ui.canvas import SelectedConnection
from tests.ui.test_axes import drawn_labels
from tests.ui.test_canvas import click
from tests.ui.test_layer_stats import click_tab

HYPHEN_NUMBER = re.compile(r"(?<![\w.])-\d|\d-\d")  # "-0.5", "1e-05", not "x-axis"
E_NUMBER = re.compile(r"\d[eE][+\-−]?\d")


def wrong(texts: list[str]) -> list[str]:
    """The texts that write a number the old ways."""
    return [
        t
        for t in texts
        if HYPHEN_NUMBER.search(t) or E_NUMBER.search(t) or "True" in t or "False" in t
    ]


def test_no_displayed_number_has_a_hyphen_minus_or_an_e_exponent(main_window, qtbot):
    window = main_window
    doc, canvas = window.document, window.canvas
    doc.set_optimizer("Adam")  # its update shows flags (amsgrad) and ε = 1×10⁻⁸
    doc.set_bias(0, 0, -0.3)
    doc.set_bias(0, 1, -0.002)
    doc.set_weight(0, 0, 0, -1.5)
    for _ in range(20):
        window.training_toolbar.step_action.trigger()
    window.controller.step_phase()  # a forward phase: the canvas shows activations too
    qtbot.waitUntil(lambda: not canvas.is_animating())

    texts: list[str] = []
    neurons = canvas.neuron_items()
    texts += [item.text() for item in neurons] + [item.toolTip() for item in neurons]
    texts += [item.toolTip() for item in canvas.connection_items()]
    assert any(t.startswith("−") for t in (item.text() for item in neurons))  # some negative

    click(qtbot, canvas, canvas.connection_item(0, 0, 0))
    assert isinstance(canvas.selection(), SelectedConnection)
    window.inspector.raise_()
    qtbot.waitUntil(lambda: window.inspector.facts is not None)
    texts.append(window.inspector.view.toPlainText())
    texts.append(window.inspector.title_label.text())
    assert "−" in texts[-2]

    plots = window.plots_panel
    window.plots_dock.show()
    window.plots_dock.raise_()
    plots.refresh(hidden_too=True)
    for page in (plots.loss, plots.gradient_flow):
        texts += [page.readout.text(), page.readout.toolTip()]
    data_plot = window.data_panel.plot  # its axes run from −6 to 6
    for widget in (plots.loss_plot, plots.loss.accuracy_plot, plots.gradient_plot, data_plot):
        for side in ("left", "bottom"):
            texts += drawn_labels(widget.getAxis(side))

    click_tab(qtbot, window, "Layer statistics")
    stats = window.layer_stats
    qtbot.waitUntil(lambda: stats.histograms["weights"].edges is not None)
    ticks = []
    for hist in stats.histograms.values():
        texts.append(hist.readout.text())
        for side in ("left", "bottom"):
            ticks += drawn_labels(hist.plot.getAxis(side))
    assert any(t.startswith("−") for t in ticks)  # the histograms' x axes run below 0
    texts += ticks

    click_tab(qtbot, window, "Loss")
    texts += [plots.metrics.summary.text()]

    # The inputs too: Adam's ε (1×10⁻⁸), a negative target for drawn points.
    window.data_panel.drawing.value_spin.setValue(-0.5)
    spins = window.findChildren(QAbstractSpinBox)
    assert "y = −0.50" in [s.text() for s in spins] and "1×10⁻⁸" in [s.text() for s in spins]
    texts += [s.text() for s in spins]
    assert wrong(texts) == []
