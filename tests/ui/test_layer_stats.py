"""The "Layer statistics" tab: live histograms of a layer's weights and gradients."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from simulator.app.clock import ManualClock
from simulator.app.numbers import fmt
from simulator.ui import layer_stats as ls
from simulator.ui.plots import layer_names
from tests.ui.test_axes import drawn_labels


@pytest.fixture
def window(main_window):
    main_window.stats = main_window.layer_stats  # installed by the window
    main_window.snapshots = []
    main_window.controller.snapshot_ready.connect(main_window.snapshots.append)
    return main_window


def click_tab(qtbot, window, title):
    tabs = window.plots_panel.tabs
    window.plots_dock.show()
    window.plots_dock.raise_()
    bar = tabs.tabBar()
    index = [tabs.tabText(i) for i in range(tabs.count())].index(title)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    qtbot.waitUntil(lambda: tabs.currentIndex() == index)


def drawn(stats, kind):
    """(edges, counts) the stepped curve of ``kind`` was given."""
    x, y = stats.histograms[kind].item.getOriginalDataset()
    return np.asarray(x), np.asarray(y)


def matches(stats, snapshot):
    """Whether both histograms show exactly np.histogram of the snapshot's values."""
    i = stats.layer
    for kind, values in (
        ("weights", snapshot.weights[i][0]),
        ("gradients", snapshot.gradients[i][0]),
    ):
        edges, counts = drawn(stats, kind)
        if not stats.histograms[kind].item.isVisible() or stats.bins(kind) is None:
            return False
        expected, _ = np.histogram(values.ravel(), bins=stats.bins(kind))
        if not (np.array_equal(edges, stats.bins(kind)) and np.array_equal(counts, expected)):
            return False
    return True


def train(window, steps):
    for _ in range(steps):
        window.controller.step()


def test_the_tab_shows_both_histograms_of_the_latest_snapshot(qtbot, window):
    click_tab(qtbot, window, "Layer statistics")
    stats = window.stats
    assert stats.isVisible()
    train(window, 3)
    qtbot.waitUntil(lambda: matches(stats, window.snapshots[-1]), timeout=10_000)
    for kind in ls.KINDS:
        edges = stats.bins(kind)
        assert len(edges) == ls.N_BINS + 1
        assert edges[0] == -edges[-1]  # symmetric around 0
        assert np.isclose(edges[ls.N_BINS // 2] + edges[ls.N_BINS // 2 + 1], 0)  # 0 mid-bin
    weights = window.snapshots[-1].weights[0][0]
    text = stats.histograms["weights"].readout.text()
    assert f"|max| {fmt(np.abs(weights).max(), 3)}" in text
    assert f"mean {fmt(weights.mean(), 3)}" in text and f"std {fmt(weights.std(), 3)}" in text
    assert "16 values" in text


def shows_whole(label) -> bool:
    """Whether ``label``'s text fits it (wrapped, in its height; else in its width)."""
    if label.wordWrap():
        return label.heightForWidth(label.width()) <= label.height()
    return label.sizeHint().width() <= label.width()


def test_at_1366x768_the_readouts_show_whole_and_counts_are_whole(qtbot, window):
    # Issue 13: in the Plots dock of a 1366x768 window the readouts were cut ("|max| 2.5…")
    # and the count axis had ticks at 0.5.
    assert window.width() <= 1366
    click_tab(qtbot, window, "Layer statistics")
    stats = window.stats
    train(window, 3)
    qtbot.waitUntil(lambda: matches(stats, window.snapshots[-1]), timeout=10_000)
    for kind in ls.KINDS:
        hist = stats.histograms[kind]
        readout = hist.readout
        qtbot.waitUntil(lambda r=readout: shows_whole(r))
        assert "|max|" in readout.text() and "values" in readout.text()
        counts = drawn_labels(hist.plot.getAxis("left"))
        assert counts and all(text.isdigit() for text in counts), counts
        ticks = drawn_labels(hist.plot.getAxis("bottom"))
        assert any(text.startswith("−") for text in ticks), ticks  # a real minus sign
        assert not any("-" in text for text in ticks), ticks


def test_the_histograms_change_with_training(qtbot, window):
    click_tab(qtbot, window, "Layer statistics")
    stats = window.stats
    train(window, 1)
    qtbot.waitUntil(lambda: matches(stats, window.snapshots[-1]), timeout=10_000)
    before = {kind: drawn(stats, kind)[1].copy() for kind in ls.KINDS}
    train(window, 150)
    qtbot.waitUntil(lambda: matches(stats, window.snapshots[-1]), timeout=10_000)
    for kind in ls.KINDS:
        assert not np.array_equal(drawn(stats, kind)[1], before[kind]), kind


def test_the_layer_selector_names_every_weight_layer(qtbot, window):
    click_tab(qtbot, window, "Layer statistics")
    stats = window.stats
    combo = stats.layer_combo
    assert [combo.itemText(i) for i in range(combo.count())] == layer_names(window.document.network)
    train(window, 2)
    stats.set_layer(1)  # XOR's 8 → 1 layer
    qtbot.waitUntil(lambda: matches(stats, window.snapshots[-1]), timeout=10_000)
    assert drawn(stats, "weights")[1].sum() == 8
    window.document.add_layer(1, 3, "tanh")  # a new layer: the selector follows
    assert combo.count() == 3


def test_before_the_first_step_there_are_weights_but_no_gradients(qtbot, window):
    click_tab(qtbot, window, "Layer statistics")
    stats = window.stats
    qtbot.waitUntil(lambda: stats.histograms["weights"].item.isVisible(), timeout=10_000)
    assert not stats.histograms["gradients"].item.isVisible()
    assert "after the first step" in stats.histograms["gradients"].readout.text()


def test_removed_connections_are_left_out(qtbot, window):
    click_tab(qtbot, window, "Layer statistics")
    window.document.set_connection(0, 0, 0, False)
    train(window, 1)
    stats = window.stats
    qtbot.waitUntil(lambda: drawn(stats, "gradients")[1].sum() == 15, timeout=10_000)
    assert drawn(stats, "weights")[1].sum() == 15


def test_a_hidden_tab_does_not_draw_and_catches_up_when_shown(qtbot, window):
    click_tab(qtbot, window, "Loss")
    stats = window.stats
    train(window, 5)
    qtbot.wait(3 * ls.MIN_FRAME_MS)
    assert stats.bins("gradients") is None  # never drawn while out of sight
    click_tab(qtbot, window, "Layer statistics")
    qtbot.waitUntil(lambda: matches(stats, window.snapshots[-1]), timeout=10_000)


def test_frames_are_throttled_while_playing(qtbot, window, monkeypatch):
    click_tab(qtbot, window, "Layer statistics")
    stats = window.stats
    frames = []
    item = stats.histograms["weights"].item
    set_data = item.setData
    monkeypatch.setattr(item, "setData", lambda *a, **k: (frames.append(1), set_data(*a, **k)))
    clock = ManualClock(tick=0.0005)  # every reading moves it 0.5 ms: time = work done
    window.controller.clock = clock
    window.snapshots.clear()
    start = clock.time
    window.controller.play()
    qtbot.waitUntil(lambda: clock.time - start >= 1.0, timeout=60_000)
    window.controller.pause()
    elapsed = clock.time - start
    playing = [s for s in window.snapshots if s.playing]
    interval = ls.MIN_FRAME_MS / 1000
    # The controller sends a frame every ~28 ms of the clock …
    assert len(playing) >= elapsed / 0.05
    # … the histograms draw at most one per interval (and one for the pause).
    assert elapsed / (interval + 0.05) - 1 <= len(frames) <= elapsed / interval + 2


def test_nice_ceiling_and_a_range_that_grows_at_once_and_shrinks_slowly():
    got = [ls.nice_ceiling(v) for v in (0.7, 1.0, 1.3, 3.1, 0.0042, 70)]
    assert got == pytest.approx([0.8, 1.0, 1.5, 4.0, 0.005, 80.0])
    r = ls.StableRange(ratio=5, frames=3)
    assert r.update(0.35) == pytest.approx(0.4)
    assert r.update(0.38) == pytest.approx(0.4)  # inside: no change
    assert r.update(1.2) == pytest.approx(1.5)  # outside: grows at once
    shrinking = [r.update(0.01) for _ in range(3)]
    assert shrinking == pytest.approx([1.5, 1.5, 0.01])  # only after 3 frames in a row


def test_bars_that_did_not_change_are_not_drawn_again(qtbot, window, monkeypatch):
    click_tab(qtbot, window, "Layer statistics")
    stats = window.stats
    train(window, 2)
    qtbot.waitUntil(lambda: matches(stats, window.snapshots[-1]), timeout=10_000)
    given = {kind: [] for kind in ls.KINDS}
    for kind in ls.KINDS:
        item = stats.histograms[kind].item
        set_data = item.setData
        monkeypatch.setattr(
            item, "setData", lambda *a, k=kind, f=set_data, **kw: (given[k].append(1), f(*a, **kw))
        )
    assert window.controller.step_phase() == "forward"  # the weights stay as they were
    stats.refresh()
    assert window.controller.step_phase() == "backward"  # new gradients, the same weights
    stats.refresh()
    assert given["weights"] == []
    assert given["gradients"] == [1]  # the new gradients fell in other bins: drawn
    assert window.controller.step_phase() == "update"  # new weights
    stats.refresh()
    assert matches(stats, window.snapshots[-1])  # drawn if their bars changed
