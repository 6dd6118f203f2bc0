# ruff: noqa: E402, E501  (a driver script: imports after the Qt set-up, long log lines)
"""Random-action test of the real MainWindow (offscreen): seeded random user actions (play,
pause, steps, phases, rewind and resume, every document edit, undo/redo, inspector, gradient
check, lessons, exports, imports) with invariants checked after each one (training runs on the
document's network, the canvas matches the network, no NaN in the curves, the event loop
answers).  Prints each action, then DONE ... problems=N.  Not part of the test run.

usage: python tests/benchmarks/monkey_window.py SEED N_ACTIONS [ONLY_ACTIONS]
MONKEY_NO_TIMING=1 leaves out the two clock-based checks (a frozen event loop, a slow action):
tests/ui/test_monkey_window.py runs a short version with it in the test suite, which must not
depend on how busy the machine is.
Found and fixed with it (2026-11-23): a stale network after undoing a setting or a refused
edit, opening a project while playing, resuming just after a reshaping edit, an id()-keyed
data cache.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
import traceback

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import numpy as np
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

SEED = int(sys.argv[1]) if len(sys.argv) > 1 else 1
N = int(sys.argv[2]) if len(sys.argv) > 2 else 300
# optional: comma separated list of action names to replay in order (with same seed for args)
ONLY = sys.argv[3].split(",") if len(sys.argv) > 3 and sys.argv[3] else None

WORK = tempfile.mkdtemp(prefix=f"monkey{SEED}_")
PROBLEMS: list[dict] = []
CURRENT = {"i": -1, "action": None}


def log(msg: str) -> None:
    print(msg, flush=True)


SEEN_STATE = set()


def record(kind: str, text: str, tb: str = "") -> None:
    if kind == "INVARIANT":
        if text in SEEN_STATE:
            return
        SEEN_STATE.add(text)
    PROBLEMS.append(
        {"kind": kind, "text": text, "tb": tb, "i": CURRENT["i"], "action": CURRENT["action"]}
    )
    log(f"!!! {kind} at action #{CURRENT['i']} {CURRENT['action']}: {text}")
    if tb:
        log(tb)


def excepthook(etype, value, tb):
    record(
        "EXCEPTION",
        f"{etype.__name__}: {value}",
        "".join(traceback.format_exception(etype, value, tb)),
    )


sys.excepthook = excepthook
threading.excepthook = lambda args: excepthook(args.exc_type, args.exc_value, args.exc_traceback)
sys.unraisablehook = lambda u: record(
    "UNRAISABLE",
    f"{u.exc_type.__name__}: {u.exc_value} in {u.object!r}",
    "".join(traceback.format_exception(u.exc_type, u.exc_value, u.exc_traceback)),
)

app = QApplication.instance() or QApplication(sys.argv)
QSettings.setDefaultFormat(QSettings.IniFormat)
QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, os.path.join(WORK, "settings"))
app.setOrganizationName("BackpropLabMonkey")
app.setApplicationName("BackpropLabMonkey")


from simulator.engine import activations as _acts
from simulator.engine import datasets as _datasets
from simulator.engine import initializers as _inits
from simulator.engine import losses as _losses
from simulator.engine import optimizers as _opts
from simulator.engine import schedules as _scheds
from simulator.project import (
    ProjectError,
    build_inline_data,
    export_weights,
    load_example,
    read_csv_table,
)
from simulator.resources_path import example_paths
from simulator.ui import canvas as canvas_mod
from simulator.ui import csv_import_dialog, export_actions, import_actions
from simulator.ui import main_window as mw

rng = np.random.default_rng(SEED)
ERRORS_SHOWN: list[str] = []

mw.ask_save_changes = lambda parent, name: QMessageBox.Discard
SAVED_PROJECT = os.path.join(WORK, "project.json")
mw.ask_open_path = lambda parent, folder: SAVED_PROJECT if os.path.exists(SAVED_PROJECT) else ""
mw.ask_save_path = lambda parent, suggestion: SAVED_PROJECT


def _err(parent, title, text):
    ERRORS_SHOWN.append(f"{title}: {text}")
    log(f"   [error dialog] {title}: {text[:200]}")


mw.show_error = _err
export_actions.show_error = _err
import_actions.show_error = _err
import_actions.show_info = lambda parent, title, text: log(f"   [info dialog] {title}")
EXPORT_EXT = {"v": ".npz"}


def _ask_export(parent, title, suggestion, filters):
    exts = [e for _, e in filters]
    ext = exts[int(rng.integers(len(exts)))]
    return os.path.join(WORK, f"export-{int(rng.integers(1e6))}{ext}")


export_actions.ask_export_path = _ask_export
import_actions.ask_weights_path = lambda parent, folder: LAST_WEIGHTS["p"] or ""
LAST_WEIGHTS = {"p": None}
canvas_mod.ask_number = lambda parent, title, label, value: float(rng.normal(0, 2))
CSV_PATH = os.path.join(WORK, "data.csv")
csv_import_dialog.ask_csv_path = lambda parent, folder: CSV_PATH
# Anything else modal -> fail loudly instead of blocking
QMessageBox.critical = staticmethod(
    lambda *a, **k: (record("UNPATCHED_DIALOG", f"critical {a[1:3]}"), QMessageBox.Ok)[1]
)
QMessageBox.information = staticmethod(lambda *a, **k: QMessageBox.Ok)
QMessageBox.warning = staticmethod(
    lambda *a, **k: (record("UNPATCHED_DIALOG", f"warning {a[1:3]}"), QMessageBox.Ok)[1]
)
QMessageBox.question = staticmethod(
    lambda *a, **k: (record("UNPATCHED_DIALOG", f"question {a[1:3]}"), QMessageBox.Discard)[1]
)


def _no_exec(self, *a, **k):
    record("UNPATCHED_DIALOG", f"exec() of {type(self).__name__}")
    return 0


QDialog.exec = _no_exec


def make_csv():
    n = int(rng.integers(5, 60))
    kind = rng.choice(["binary", "multi", "reg"])
    cols = int(rng.integers(1, 5))
    X = rng.normal(size=(n, cols))
    with open(CSV_PATH, "w") as f:
        f.write(",".join([f"f{i}" for i in range(cols)] + ["target"]) + "\n")
        for row in X:
            if kind == "binary":
                t = str(int(row[0] > 0))
                task = "binary"
            elif kind == "multi":
                t = ["a", "b", "c"][int(abs(row[0] * 3)) % 3]
                task = "multiclass"
            else:
                t = f"{row.sum():.4f}"
                task = "regression"
            f.write(",".join(f"{v:.5f}" for v in row) + "," + t + "\n")
    return cols, task


from simulator.app import document as _docmod

_orig_import = _docmod.Document.import_data


def _import(self, spec, label="data"):
    log(
        f"   [import] id(X)={id(spec.X)} shape={spec.X.shape} cached_key={self._data_key} cached_cols={None if self._data is None else self._data.X_train.shape[1]}"
    )
    return _orig_import(self, spec, label)


_docmod.Document.import_data = _import
win = mw.MainWindow()
win.resize(1400, 900)
win.show()
doc = win.document
ctl = win.controller


def run_loop(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def check_responsive(limit_s: float = 2.0) -> float:
    fired = {"t": None}
    loop = QEventLoop()
    t0 = time.monotonic()

    def hit():
        fired["t"] = time.monotonic() - t0
        loop.quit()

    QTimer.singleShot(0, hit)
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(loop.quit)
    guard.start(int(limit_s * 1000))
    loop.exec()
    guard.stop()
    return fired["t"] if fired["t"] is not None else float("inf")


# ----------------------------------------------------------------------------- actions
def a_play():
    ctl.play()
    run_loop(int(rng.integers(50, 300)))
    ctl.pause()


def a_play_only():
    ctl.play()
    run_loop(int(rng.integers(50, 300)))


def a_pause():
    ctl.pause()


def a_step():
    ctl.step()


def a_step_phase():
    return ctl.step_phase()


def a_toolbar_phase():
    tb = win.training_toolbar
    act = [tb.forward_action, tb.backward_action, tb.update_action, tb.step_action, tb.play_action][
        int(rng.integers(5))
    ]
    act.trigger()
    return act.text()


def a_reset():
    ctl.reset()


def a_rewind():
    lo, hi = ctl.rewind_range()
    s = int(rng.integers(lo, hi + 1)) if hi >= lo else lo
    ctl.rewind_to(s)
    return f"rewind_to({s}) range=({lo},{hi})"


def a_resume():
    return ctl.resume_from_here()


def a_leave():
    ctl.leave_rewind()


def hidden_k():
    n = doc.n_hidden
    return int(rng.integers(1, n + 1)) if n else None


def a_add_neuron():
    k = hidden_k()
    if k is None:
        return "no hidden"
    idx = None if rng.random() < 0.5 else int(rng.integers(0, doc.network.sizes[k] + 1))
    doc.add_neuron(k, idx)
    return f"add_neuron({k},{idx})"


def a_remove_neuron():
    k = hidden_k()
    if k is None or doc.network.sizes[k] <= 1:
        return "skip"
    idx = None if rng.random() < 0.5 else int(rng.integers(0, doc.network.sizes[k]))
    doc.remove_neuron(k, idx)
    return f"remove_neuron({k},{idx})"


def a_add_layer():
    if doc.n_hidden >= 10:
        return "skip"
    n_layers = len(doc.network.layers)
    k = int(rng.integers(1, n_layers + 1))
    size = int(rng.choice([1, 2, 3, 4, 8, 17, 20]))
    act = (
        None
        if rng.random() < 0.5
        else str(rng.choice([a for a in _acts.ACTIVATIONS if a != "softmax"]))
    )
    doc.add_layer(k, size, act)
    return f"add_layer({k},{size},{act})"


def a_remove_layer():
    k = hidden_k()
    if k is None:
        return "skip"
    doc.remove_layer(k)
    return f"remove_layer({k})"


def a_set_activation():
    i = int(rng.integers(0, len(doc.network.layers)))
    name = str(rng.choice(list(_acts.ACTIVATIONS)))
    try:
        doc.set_activation(i, name)
    except ValueError as e:
        return f"set_activation({i},{name}) ValueError {e}"
    return f"set_activation({i},{name})"


def a_lr():
    lr = float(rng.choice([1e-4, 0.01, 0.1, 0.5, 3.0, 50.0, 1e4]))
    doc.set_learning_rate(lr)
    return f"lr={lr}"


def a_optimizer():
    name = str(rng.choice(list(_opts.OPTIMIZERS)))
    doc.set_optimizer(name)
    return name


def a_batch():
    size = [None, 1, 2, 8, 32, 1000][int(rng.integers(6))]
    doc.set_batch_size(size)
    return f"batch={size}"


def a_reg():
    which = rng.integers(4)
    if which == 0:
        v = float(rng.choice([0, 1e-4, 0.01, 1.0]))
        doc.set_l1(v)
        return f"l1={v}"
    if which == 1:
        v = float(rng.choice([0, 1e-4, 0.01, 1.0]))
        doc.set_l2(v)
        return f"l2={v}"
    if which == 2:
        v = [None, 0.1, 1.0, 10.0][int(rng.integers(4))]
        doc.set_clip_norm(v)
        return f"clip={v}"
    v = float(rng.choice([0.0, 0.1, 0.5, 0.9]))
    doc.set_dropout(v)
    return f"dropout={v}"


def a_dataset():
    name = str(rng.choice(list(_datasets.DATASETS)))
    doc.set_dataset(name)
    return name


def a_features():
    if doc.project.data.input_dim != 2:
        return "skip (not 2-D)"
    keys = list(_datasets.FEATURES)
    k = int(rng.integers(1, len(keys) + 1))
    feats = [str(x) for x in rng.choice(keys, size=k, replace=False)]
    doc.set_features(feats)
    return f"features={feats}"


def a_data_field():
    w = rng.integers(4)
    if w == 0:
        v = float(rng.choice([0.0, 0.1, 0.5]))
        doc.set_noise(v)
        return f"noise={v}"
    if w == 1:
        v = float(rng.choice([0.0, 0.1, 0.3, 0.5, 0.9]))
        doc.set_test_ratio(v)
        return f"test_ratio={v}"
    if w == 2:
        v = int(rng.choice([10, 50, 200, 500]))
        doc.set_n_samples(v)
        return f"n_samples={v}"
    doc.regenerate()
    return "regenerate"


def a_loss():
    name = str(rng.choice(list(_losses.LOSSES)))
    try:
        doc.set_loss(name)
    except ValueError as e:
        return f"set_loss({name}) ValueError {e}"
    return name


def a_schedule():
    name = str(rng.choice(list(_scheds.SCHEDULES)))
    try:
        doc.set_schedule(name)
    except (ValueError, TypeError) as e:
        return f"set_schedule({name}) {type(e).__name__} {e}"
    return name


def a_init():
    name = str(rng.choice(list(_inits.INITIALIZERS)))
    doc.set_init(name)
    return name


def a_seed():
    s = int(rng.integers(0, 100))
    doc.set_seed(s)
    return f"seed={s}"


def a_bias():
    i = int(rng.integers(0, len(doc.network.layers)))
    on = bool(rng.random() < 0.5)
    doc.set_use_bias(i, on)
    return f"use_bias({i},{on})"


def a_connection():
    i = int(rng.integers(0, len(doc.network.layers)))
    layer = doc.network.layers[i]
    r = int(rng.integers(0, layer.mask.shape[0]))
    c = int(rng.integers(0, layer.mask.shape[1]))
    en = bool(rng.random() < 0.4)
    doc.set_connection(i, r, c, en)
    return f"set_connection({i},{r},{c},{en})"


def a_weight():
    i = int(rng.integers(0, len(doc.network.layers)))
    layer = doc.network.layers[i]
    r = int(rng.integers(0, layer.mask.shape[0]))
    c = int(rng.integers(0, layer.mask.shape[1]))
    v = float(rng.choice([0.0, 1.0, -5.0, 1e6]))
    doc.set_weight(i, r, c, v)
    return f"set_weight({i},{r},{c},{v})"


def a_undo():
    doc.undo_stack.undo()
    return doc.undo_stack.undoText()


def a_redo():
    doc.undo_stack.redo()
    return doc.undo_stack.redoText()


def a_select():
    items = win.canvas.connection_items() + win.canvas.neuron_items()
    if not items:
        return "none"
    win.canvas.scene().clearSelection()
    it = items[int(rng.integers(len(items)))]
    it.setSelected(True)
    return f"select {type(it).__name__} {getattr(it, 'name', '')}"


def a_sample_spin():
    spin = win.inspector.sample_spin
    v = int(rng.integers(spin.minimum(), min(spin.maximum(), 300) + 1))
    spin.setValue(v)
    return f"sample_spin={v} (max {spin.maximum()})"


def a_gradcheck():
    win.gradient_check_action.trigger()
    run_loop(20)
    for w in app.topLevelWidgets():
        if type(w).__name__ == "GradientCheckDialog" and w.isVisible():
            if rng.random() < 0.7:
                w.close()


def a_tabs():
    i = int(rng.integers(win.plots_panel.tabs.count()))
    win.plots_panel.tabs.setCurrentIndex(i)
    return f"tab {i}"


def a_lesson_start():
    key = str(rng.choice(["backprop", "predict", "vanishing"]))
    ok = win.lessons.start(key)
    return f"start({key}) -> {ok}"


def a_lesson_nav():
    p = win.lessons
    if rng.random() < 0.6:
        p.next_button.click()
        return f"next (index {p.index})"
    p.back_button.click()
    return f"back (index {p.index})"


def a_lesson_reveal():
    p = win.lessons
    p.guess_edit.setText(str(rng.choice(["0.1", "-2", "abc", "", "1e400"])))
    p.reveal_button.click()
    return p.guess_edit.text()


def a_lesson_close():
    win.lessons.close_lesson()


def a_example():
    paths = list(example_paths())
    p = paths[int(rng.integers(len(paths)))]
    if rng.random() < 0.5:
        win.open_example(p)
    else:
        doc.open_project(load_example(p.stem))
    if ctl.step_count != 0:
        record("INVARIANT", f"after opening example {p.stem}, step_count={ctl.step_count}")
    return p.stem


def a_new():
    win.new_project()
    if ctl.step_count != 0:
        record(
            "INVARIANT", f"after New, step_count={ctl.step_count}, history rows={len(ctl.history)}"
        )


def a_save_open():
    if rng.random() < 0.5:
        win.save_as()
        return "save_as"
    win.open_dialog()
    return "open_dialog"


def a_export_weights():
    ext = str(rng.choice([".npz", ".json", ".safetensors"]))
    path = os.path.join(WORK, f"w{int(rng.integers(1e6))}{ext}")
    export_weights(doc.network, path)
    LAST_WEIGHTS["p"] = path
    return path


def a_export_menu():
    win.exporter if hasattr(win, "exporter") else None
    [
        a
        for a in win.findChildren(type(win.save_action))
        if a.text().endswith("…") and "E&xport" not in a.text()
    ]
    # pick from exporter actions explicitly
    ex_obj = [o for o in win.findChildren(export_actions.Exporter)][0]
    acts = [
        ex_obj.weights_action,
        ex_obj.onnx_action,
        ex_obj.script_action,
        ex_obj.history_action,
        ex_obj.network_image_action,
        ex_obj.loss_image_action,
        ex_obj.gradient_image_action,
        ex_obj.layer_stats_image_action,
        ex_obj.boundary_image_action,
    ]
    a = acts[int(rng.integers(len(acts)))]
    a.trigger()
    return a.text()


def a_load_weights():
    if LAST_WEIGHTS["p"] is None:
        return "skip"
    ok = win.importer.load_weights_dialog()
    return f"load {LAST_WEIGHTS['p']} -> {ok}"


def a_csv_import():
    cols, task = make_csv()
    table = read_csv_table(CSV_PATH)
    feats = [f"f{i}" for i in range(cols)]
    try:
        spec, info = build_inline_data(table, feats, "target", task, bool(rng.random() < 0.5))
    except ProjectError as e:
        return f"build_inline_data ProjectError {e}"
    doc.import_data(spec, "data.csv")
    return f"import {cols} cols {task}"


def a_csv_dialog():
    make_csv()
    d = win.importer.import_csv_dialog()
    run_loop(30)
    if d is not None and rng.random() < 0.7:
        d.accept()
        return "csv dialog accept"
    if d is not None:
        d.reject()
    return "csv dialog reject"


def a_speed():
    v = [None, 1, 10, 100][int(rng.integers(4))]
    ctl.set_speed(v)
    return f"speed={v}"


def a_mode():
    tb = win.training_toolbar
    (tb.weights_mode if rng.random() < 0.5 else tb.gradients_mode).trigger()


def a_restore_good():
    tb = win.training_toolbar
    if tb.restore_action.isEnabled():
        tb.restore_action.trigger()
        return "restore triggered"
    return "restore disabled"


def a_layout():
    w = rng.integers(3)
    if w == 0:
        win.reset_layout()
    elif w == 1:
        win.plots_dock.setVisible(not win.plots_dock.isVisible())
    else:
        win.resize(int(rng.integers(600, 1800)), int(rng.integers(400, 1200)))
    return f"layout {w}"


ACTIONS = [
    (a_play, 8),
    (a_play_only, 2),
    (a_pause, 2),
    (a_step, 6),
    (a_step_phase, 5),
    (a_toolbar_phase, 4),
    (a_reset, 2),
    (a_rewind, 5),
    (a_resume, 2),
    (a_leave, 2),
    (a_add_neuron, 3),
    (a_remove_neuron, 3),
    (a_add_layer, 2),
    (a_remove_layer, 2),
    (a_set_activation, 2),
    (a_lr, 2),
    (a_optimizer, 2),
    (a_batch, 2),
    (a_reg, 2),
    (a_dataset, 2),
    (a_features, 2),
    (a_data_field, 2),
    (a_loss, 1),
    (a_schedule, 1),
    (a_init, 1),
    (a_seed, 1),
    (a_bias, 1),
    (a_connection, 2),
    (a_weight, 1),
    (a_undo, 5),
    (a_redo, 3),
    (a_select, 3),
    (a_sample_spin, 2),
    (a_gradcheck, 1),
    (a_tabs, 2),
    (a_lesson_start, 1),
    (a_lesson_nav, 2),
    (a_lesson_reveal, 1),
    (a_lesson_close, 1),
    (a_example, 1),
    (a_new, 1),
    (a_save_open, 1),
    (a_export_weights, 1),
    (a_export_menu, 2),
    (a_load_weights, 1),
    (a_csv_import, 1),
    (a_csv_dialog, 1),
    (a_speed, 1),
    (a_mode, 1),
    (a_restore_good, 1),
    (a_layout, 1),
]
BYNAME = {f.__name__: f for f, _ in ACTIONS}
if os.environ.get("FOCUS"):
    focus = os.environ["FOCUS"].split(",")
    ACTIONS = [(f, w * (8 if f.__name__ in focus else 1)) for f, w in ACTIONS]
weights = np.array([w for _, w in ACTIONS], float)
weights /= weights.sum()


def check_invariants():
    net = doc.network
    sizes = list(net.sizes)
    counts: dict[int, int] = {}
    for it in win.canvas.neuron_items():
        counts[it.layer] = counts.get(it.layer, 0) + 1
    for k, n in enumerate(sizes):
        if n <= 16 and counts.get(k, 0) != n:
            record(
                "INVARIANT",
                f"canvas column {k} shows {counts.get(k, 0)} neurons, network has {n} (sizes {sizes})",
            )
            break
    if ctl.step_count < 0:
        record("INVARIANT", f"step_count {ctl.step_count}")
    lo, hi = ctl.rewind_range()
    if lo > hi or hi != ctl.step_count:
        record("INVARIANT", f"rewind_range {lo, hi} vs step_count {ctl.step_count}")
    for name, item in win.plots_panel.loss.curves.items():
        x, y = item.getData()
        if (
            y is not None
            and len(y)
            and not np.all(np.isfinite(y))
            and not win.plots_panel.loss.log_y
        ):
            record(
                "INVARIANT",
                f"curve {name} has non-finite data ({np.sum(~np.isfinite(y))} of {len(y)})",
            )
        if x is not None and len(x) and np.any(np.diff(x) < 0):
            record("INVARIANT", f"curve {name} x not monotonic")
    title = win.windowTitle()
    if "Backprop Lab" not in title or "[*]" not in title or doc.display_name not in title:
        record("INVARIANT", f"bad title {title!r}")
    if win.isWindowModified() != doc.is_modified:
        record(
            "INVARIANT",
            f"windowModified {win.isWindowModified()} != doc.is_modified {doc.is_modified}",
        )
    if ctl.viewed_step is not None and not (lo <= ctl.viewed_step < hi):
        record("INVARIANT", f"viewed_step {ctl.viewed_step} outside rewind range {lo, hi}")
    if ctl.trainer.net is not doc.network:
        record("INVARIANT", "controller.trainer.net is not document.network")
    else:
        SEEN_STATE.discard("controller.trainer.net is not document.network")
    # the live trainer's input dimension matches the network
    if ctl.trainer.X_train.shape[1] != net.sizes[0]:
        record(
            "INVARIANT",
            f"trainer X_train has {ctl.trainer.X_train.shape[1]} columns, network {net.sizes[0]} inputs",
        )


log(f"SEED {SEED} N {N} WORK {WORK}")
counts: dict[str, int] = {}
t_start = time.monotonic()
seq = ONLY if ONLY else None
for i in range(len(seq) if seq else N):
    if seq:
        f = BYNAME[seq[i]]
    else:
        f = ACTIONS[int(rng.choice(len(ACTIONS), p=weights))][0]
    CURRENT["i"], CURRENT["action"] = i, f.__name__
    counts[f.__name__] = counts.get(f.__name__, 0) + 1
    n_before = len(PROBLEMS)
    t0 = time.monotonic()
    try:
        detail = f()
    except ValueError as e:
        # documented validation errors from the document API (raised in document.py itself)
        frames = traceback.extract_tb(e.__traceback__)
        origin = frames[-1].filename if frames else ""
        if origin.endswith(
            (
                "app/document.py",
                "engine/activations.py",
                "engine/datasets.py",
                "engine/optimizers.py",
                "engine/schedules.py",
                "engine/initializers.py",
                "engine/losses.py",
                "engine/network.py",
            )
        ):
            detail = f"ValueError {e}"
        else:
            record("EXCEPTION(direct)", f"ValueError: {e}", traceback.format_exc())
            detail = "raised"
    except Exception as e:  # noqa: BLE001
        record("EXCEPTION(direct)", f"{type(e).__name__}: {e}", traceback.format_exc())
        detail = "raised"
    dt = time.monotonic() - t0
    log(
        f"#{i} {f.__name__} {detail if detail is not None else ''} [{dt * 1000:.0f} ms] sizes={list(doc.network.sizes)} step={ctl.step_count}"
    )
    if not os.environ.get("MONKEY_NO_TIMING"):
        lat = check_responsive(2.0)
        if lat == float("inf"):
            record("FREEZE", "0-ms timer did not fire within 2 s")
        elif dt > 5:
            record("SLOW", f"action took {dt:.1f} s")
    run_loop(5)
    try:
        check_invariants()
    except Exception as e:  # noqa: BLE001
        record("EXCEPTION(invariant)", f"{type(e).__name__}: {e}", traceback.format_exc())

ctl.pause()
win.close()
run_loop(50)
log(
    f"DONE seed={SEED} actions={sum(counts.values())} time={time.monotonic() - t_start:.0f}s problems={len(PROBLEMS)}"
)
log("COUNTS " + " ".join(f"{k}={v}" for k, v in sorted(counts.items())))
for p in PROBLEMS:
    log(f"PROBLEM {p['kind']} #{p['i']} {p['action']}: {p['text'][:300]}")
