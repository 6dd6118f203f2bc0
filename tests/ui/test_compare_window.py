"""Train ▸ Compare…: a 2×2 grid of variants trained in background processes, its curves,
table, exports and runs opened as projects; cancelling leaves no process."""

import csv
import multiprocessing

import numpy as np
import pytest

from simulator.project.sweep import Sweep, Variation, mean_curve
from simulator.ui import compare_window as cw


@pytest.fixture
def compare(main_window, qtbot):
    window = main_window.open_compare()
    window.workers = 2
    qtbot.waitExposed(window)
    yield window
    window.close()


def set_grid(window, first, second=None, seeds=2, steps=60):
    window.preset.setCurrentText(cw.CUSTOM)
    for k, row in enumerate((first, second)):
        key, values = row if row else (None, "")
        window.vary_keys[k].setCurrentIndex(max(0, window.vary_keys[k].findData(key)))
        window.vary_values[k].setText(values)
    window.seeds.setValue(seeds)
    window.steps.setValue(steps)


def run_to_end(window, qtbot):
    with qtbot.waitSignal(window.job.finished) as blocker:
        qtbot.mouseClick(window.run_button, cw.Qt.MouseButton.LeftButton)
    return blocker.args[0]


def test_a_two_by_two_grid_fills_the_table_and_the_curves_with_the_runners_numbers(
    compare, main_window, qtbot
):
    set_grid(compare, ("lr", "0.05, 0.2"), ("batch_size", "full, 10"))
    results = run_to_end(compare, qtbot)
    assert len(results) == 8 and not compare.job.running
    # The reference: the same sweep run in this process by the runner the CLI uses.
    reference = Sweep(
        main_window.document.project,
        [Variation.parse("lr=0.05,0.2"), Variation.parse("batch_size=full,10")],
        seeds=2,
        steps=60,
    )
    expected = sorted(reference.run(workers=1), key=lambda r: r.index)
    for got, want in zip(results, expected):
        assert got.variant == want.variant and got.seed == want.seed
        assert got.train_loss == want.train_loss and got.accuracy == want.accuracy
        np.testing.assert_array_equal(got.history["batch_loss"], want.history["batch_loss"])
    table = compare.table
    assert table.rowCount() == 4
    names = [table.item(r, 0).text() for r in range(4)]
    assert names == [reference.variant_text(v) for v in reference.variants]
    for r, v in enumerate(range(4)):
        runs = expected[2 * v : 2 * v + 2]
        assert table.item(r, 1).text() == "2"
        assert table.item(r, 2).text() == cw.number(np.mean([x.train_loss for x in runs]))
    # One mean curve per variant, with its band, from the chosen history column.
    assert len(compare.curves) == 4
    for v, (mean_item, _band, low_item, high_item) in compare.curves.items():
        steps, mean, low, high = mean_curve(expected[2 * v : 2 * v + 2], "train_loss")
        keep = np.isfinite(mean)
        x, y = mean_item.xData, mean_item.yData  # the data (getData gives the log-scaled)
        np.testing.assert_array_equal(x, steps[keep])
        np.testing.assert_array_equal(y, mean[keep])
        assert (low_item.yData <= y).all() and (y <= high_item.yData).all()
        assert _band.path().boundingRect().height() > 0  # the band between them has an area
    compare.curve_choice.setCurrentIndex(compare.curve_choice.findData("batch_loss"))
    assert len(compare.curves[0][0].xData) == 60
    assert compare.csv_button.isEnabled() and "Done: 8 runs" in compare.status.text()


def test_steps_to_target_exports_and_opening_a_run(compare, main_window, qtbot, tmp_path):
    set_grid(compare, ("optimizer", "SGD, Adam"), seeds=1, steps=320)
    results = run_to_end(compare, qtbot)
    compare.target.clear()
    qtbot.keyClicks(compare.target, "0.6")
    qtbot.keyClick(compare.target, cw.Qt.Key.Key_Return)
    for row, summary in enumerate(compare.summary()):
        steps, mean, _, _ = mean_curve([results[row]], "train_loss")
        hit = np.flatnonzero(mean <= 0.6)
        want = "not reached" if not hit.size else f"{int(steps[hit[0]]):,}"
        assert compare.table.item(row, 5).text() == want
        assert summary["reached"] == (int(steps[hit[0]]) if hit.size else None)
    path = tmp_path / "results.csv"
    assert compare.export_csv(str(path))
    rows = list(csv.reader(path.read_text().splitlines()))
    assert rows == compare.sweep.csv_rows(results)
    assert rows[0][:2] == ["optimizer", "seed"] and len(rows) == 3
    picture = tmp_path / "plot.png"
    assert compare.export_plot(str(picture)) and picture.stat().st_size > 1000
    compare.table.selectRow(1)
    assert compare.open_selected()
    project = main_window.document.project
    assert project.name.endswith("(optimizer=Adam)") and project.optimizer.name == "Adam"
    assert main_window.controller.step_count == results[1].steps == 320


def test_cancel_stops_the_runs_and_leaves_no_process(compare, qtbot):
    set_grid(compare, ("lr", "0.01, 0.02, 0.03"), seeds=2, steps=500_000)
    compare.run()
    assert compare.job.running and not compare.run_button.isEnabled()
    with qtbot.waitSignal(compare.job.finished):
        qtbot.mouseClick(compare.cancel_button, cw.Qt.MouseButton.LeftButton)
    assert multiprocessing.active_children() == []
    assert compare.job.cancelled and "Cancelled" in compare.status.text()
    assert compare.run_button.isEnabled() and not compare.cancel_button.isEnabled()


@pytest.mark.parametrize(
    "first, second, message",
    [
        (("lr", "0.1, fast"), None, "lr"),
        (("hidden", ""), None, "values of hidden"),
        (("lr", "0.1, 0.2, 0.3, 0.4"), ("batch_size", "full, 1"), "at most 6"),
    ],
)
def test_settings_that_cannot_run_say_why(compare, first, second, message):
    set_grid(compare, first, second)
    assert not compare.run()
    assert compare.status.text().startswith("Cannot compare") and message in compare.status.text()
    assert not compare.job.running


def test_presets_fill_the_vary_rows(compare, qtbot):
    compare.preset.setCurrentText("Sigmoid vs ReLU as depth grows")
    assert [k.currentData() for k in compare.vary_keys] == ["activation", "hidden"]
    assert len(compare.make_sweep().variants) == 6
    compare.preset.setCurrentText("Learning rate too small / right / too large")
    sweep = compare.make_sweep()
    lr = sweep.variants[1]["lr"]
    assert [v["lr"] for v in sweep.variants] == pytest.approx([lr / 30, lr, lr * 30], rel=1e-2)
    qtbot.keyClicks(compare.vary_values[0], ", 0.5")
    assert compare.preset.currentText() == cw.CUSTOM


def test_the_presets_follow_the_projects_learning_rate(compare, main_window):
    main_window.document.set_optimizer_param("lr", 0.3)  # as the Settings panel does
    compare.preset.setCurrentText("SGD vs Adam")
    compare.preset.setCurrentText("Learning rate too small / right / too large")
    assert compare.vary_values[0].text() == "0.01, 0.3, 9"


def test_the_menus_reach_compare_the_lab_and_the_landscape(main_window, qtbot):
    from simulator.ui.loss_landscape import LossLandscapeWindow
    from simulator.ui.optimizer_lab import OptimizerLabWindow

    assert main_window.compare_action in main_window.train_menu.actions()
    view = main_window.view_menu.actions()
    assert main_window.lab_action in view and main_window.landscape_action in view
    for action, kind in (
        (main_window.compare_action, cw.CompareWindow),
        (main_window.lab_action, OptimizerLabWindow),
        (main_window.landscape_action, LossLandscapeWindow),
    ):
        action.trigger()
        window = main_window.findChild(kind)
        assert window is not None and window.isVisible()
        action.trigger()  # a second time: the same window, raised
        assert main_window.findChildren(kind) == [window]
        window.close()
