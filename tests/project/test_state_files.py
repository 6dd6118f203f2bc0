"""Project files of version 2: a saved run (weights, history and trainer state) reopens and
trains on bit for bit; version 1 files still open; a state that does not fit, or numbers no
field takes, are a ProjectError naming the field."""

import base64
import copy
import json
import math

import numpy as np
import pytest

from simulator.engine import schedules
from simulator.engine.state import to_plain
from simulator.project import Project, ProjectError, load_example
from tests.benchmarks.fuzz_loaders import list_form_history
from tests.engine.test_state import OPTIMIZERS, assert_same_state, at

BATCHES = {"full": None, "mini-batch": 8, "stochastic": 1}


def small_project(optimizer="adam", batch_size=8, dropout=0.25, dtype="float64") -> Project:
    """XOR on 40 points, 2-8-1 with dropout, a step schedule, evaluations every 5 steps."""
    doc = load_example("xor").to_dict()
    name, params = OPTIMIZERS[optimizer]
    doc["optimizer"] = {"name": name, "params": dict(params)}
    doc["schedule"] = {"name": "step", "params": {"step_size": 2, "gamma": 0.5}}
    doc["training"].update(batch_size=batch_size, eval_every=5)
    doc["network"].update(dropout=[dropout, 0.0], dtype=dtype)
    doc["data"].update(n_samples=40)
    return Project.from_dict(doc)


def trained(project: Project, steps: int):
    trainer = project.build_trainer()
    trainer.run(steps=steps)
    return trainer


def assert_same_trainer(a, b) -> None:
    assert_same_state(a.state_dict(), b.state_dict())
    for name in (*a.history.SCALARS, "grad_norms"):
        np.testing.assert_array_equal(a.history.column(name), b.history.column(name))


# --------------------------------------------------------------------------- exact resume


@pytest.mark.parametrize("batch", list(BATCHES))
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_saved_run_reopens_and_trains_on_bit_for_bit(optimizer, batch, tmp_path):
    project = small_project(optimizer, BATCHES[batch])
    whole = trained(project, 23 + 19)
    path = tmp_path / "half.json"
    project.capture(trained(project, 23)).save(path)
    assert json.loads(path.read_text())["version"] == 2
    resumed = Project.load(path).build_trainer()
    assert resumed.step_count == 23
    resumed.run(steps=19)
    assert_same_trainer(resumed, whole)


def test_float32_run_and_a_mid_step_save_reopen_exactly(tmp_path):
    project = small_project("momentum", dtype="float32")
    whole = trained(project, 30)
    run = trained(project, 12)
    run.forward_phase()  # in the middle of step 13: the file holds the end of step 12
    path = tmp_path / "mid.json"
    project.capture(run).save(path)
    loaded = Project.load(path)
    assert loaded.step_count == 12 and loaded == project.capture(run)
    resumed = loaded.build_trainer()
    resumed.run(steps=18)
    assert_same_trainer(resumed, whole)


def test_capture_records_the_settings_the_trainer_trains_with(tmp_path):
    project = small_project("adam", batch_size=8)
    run, whole = trained(project, 10), trained(project, 10)
    for t in (run, whole):
        t.base_lr = 0.02
        t.optimizer.betas = (0.8, 0.99)
        t.batch_size = 5
        t.schedule = schedules.make("exponential", gamma=0.9)
        t.clip_norm = 1.5
        t.run(steps=7)
    whole.run(steps=11)
    saved = project.capture(run)
    assert saved.optimizer.params == {"lr": 0.02, "betas": [0.8, 0.99]}
    assert saved.training.batch_size == 5 and saved.training.clip_norm == 1.5
    assert saved.schedule.name == "exponential"
    saved.save(tmp_path / "p.json")
    resumed = Project.load(tmp_path / "p.json").build_trainer()
    resumed.run(steps=11)
    assert_same_trainer(resumed, whole)


def test_a_project_file_saved_twice_is_the_same_text(tmp_path):
    project = small_project("rmsprop-centered", batch_size=1)
    saved = project.capture(trained(project, 17))
    first = saved.to_json()
    again = Project.from_dict(json.loads(first))
    assert again == saved and again.to_json() == first
    assert "(resumable)" in repr(again)


# --------------------------------------------------------------------------- versions


def test_version_1_file_opens_without_trainer_state_and_saves_as_version_2(tmp_path):
    project = small_project("momentum")
    doc = project.capture(trained(project, 9)).to_dict()
    del doc["trainer"]
    doc["version"] = 1
    old = Project.from_dict(doc)
    assert old.trainer_state is None and old.step_count == 9
    resumed = old.build_trainer()  # as before: weights, steps and history; fresh optimizer
    assert resumed.step_count == 9 and len(resumed.history) == 9
    assert resumed.optimizer.state_dict()["state"]["layers"] == []
    resumed.run(steps=3)
    path = tmp_path / "v1.json"
    old.save(path)
    saved = json.loads(path.read_text())
    assert saved["version"] == 2 and "trainer" not in saved


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d.update(version=3),
            "version: unknown version 3 (written by a newer Backprop Lab); this program reads "
            "versions 1 and 2",
        ),
        (
            lambda d: d.update(version=1),
            "trainer: a version 1 file holds no trainer state",
        ),
        (
            lambda d: d.pop("weights"),
            "trainer: a trainer state needs the weights it trained",
        ),
    ],
    ids=["newer", "v1 with state", "state without weights"],
)
def test_versions_and_a_state_without_weights_are_refused(change, message):
    project = small_project()
    doc = project.capture(trained(project, 4)).to_dict()
    change(doc)
    with pytest.raises(ProjectError) as info:
        Project.from_dict(doc)
    assert str(info.value).startswith(message), str(info.value)


# --------------------------------------------------------------------------- refused states


def _trained_doc() -> dict:
    project = small_project("adam", dropout=0.25)
    return project.capture(trained(project, 6)).to_dict()


REFUSED = [
    (
        "trainer.optimizer.state.layers.1.bias.exp_avg_sq",
        [0.0, 0.0, 0.0],
        "trainer.optimizer.state.layers.1.bias.exp_avg_sq: shape (3,) does not fit the "
        "layer's (1,)",
    ),
    (
        "trainer.optimizer.state.layers.0.weights.step",
        -2.0,
        "trainer.optimizer.state.layers.0.weights.step: must be at least 0",
    ),
    (
        "trainer.optimizer.state.layers.0.weights.exp_avg.1.3",
        math.nan,
        "trainer.optimizer.state.layers.0.weights.exp_avg.1.3: must be a finite number, not NaN",
    ),
    (
        "trainer.optimizer.state.layers.0.bias.exp_avg.2",
        10**400,
        "trainer.optimizer.state.layers.0.bias.exp_avg.2: must be a finite number, not a "
        "401-digit number",
    ),
    (
        "trainer.epoch_base_step",
        2**200,  # within float64's range: the engine's bound names it
        "trainer.epoch_base_step: must be at most",
    ),
    ("trainer.batches", ..., "trainer.batches: required field is missing"),
    (
        "trainer.optimizer.hyperparameters",
        {"lr": 1.0},
        "trainer.optimizer.hyperparameters: unknown field in trainer.optimizer",
    ),
    ("trainer.weights", [], "trainer.weights: unknown field in trainer"),
    (
        "trainer.optimizer.name",
        "SGD",
        "trainer.optimizer.name: the state is of 'SGD', not Adam",
    ),
    (
        "trainer.batches.batch_size",
        10,
        "trainer.batches.batch_size: the state has 10; this iterator 8",
    ),
    (
        "trainer.batches.order.0",
        31,
        "trainer.batches.order: must hold each index 0 to 31 once",
    ),
    (
        "trainer.batches.rng.state.inc",
        2**128,
        "trainer.batches.rng.state.inc: must be a whole number from 0 to 2**128 - 1, got a "
        "39-digit number",
    ),
    (
        "trainer.dropout_rng.state.state",
        10**400,
        "trainer.dropout_rng.state.state: must be a whole number from 0 to 2**128 - 1, got a "
        "401-digit number",
    ),
    (
        "trainer.dropout_rng.uinteger",
        -1,
        "trainer.dropout_rng.uinteger: must be a whole number from 0 to 2**32 - 1, got -1",
    ),
    (
        "trainer.history_compaction.full_resolution_start",
        7,
        "trainer.history_compaction.full_resolution_start: must be at most 6",
    ),
    ("trainer.diverged", "\ud800", "trainer.diverged: holds '\\ud800'"),
    ("trainer.last_good.0", {"weights": []}, "trainer.last_good.0.bias: missing"),
]


@pytest.mark.parametrize(("path", "value", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_state_that_does_not_fit_is_a_project_error_naming_the_field(path, value, message):
    doc = _trained_doc()
    node, key = at(doc, path)
    if value is ...:
        del node[key]
    else:
        node[key] = value
    with pytest.raises(ProjectError) as info:
        Project.from_dict(doc)
    assert str(info.value).startswith(message), str(info.value)


def test_random_generator_words_take_128_bit_numbers():
    doc = _trained_doc()
    state = doc["trainer"]["batches"]["rng"]["state"]
    assert state["state"] >= 2**64 or state["inc"] >= 2**64  # beyond int64, as PCG64's are
    state["state"] = 2**128 - 1  # the largest word: a valid (if different) stream
    project = Project.from_dict(doc)
    assert project.trainer_state["batches"]["rng"]["state"]["state"] == 2**128 - 1
    project.build_trainer().run(steps=3)


# --------------------------------------------------------------------------- copies


def test_with_weights_without_weights_and_with_seed_drop_the_trainer_state():
    project = small_project()
    run = trained(project, 8)
    saved = project.capture(run)
    assert saved.trainer_state is not None
    assert saved.with_weights(run.net, run.history, run.step_count).trainer_state is None
    bare = saved.without_weights()
    assert bare.weights is None and bare.history is None and bare.step_count == 0
    assert bare.trainer_state is None and "trainer" not in bare.to_dict()
    seeded = saved.with_seed(5)
    assert seeded.trainer_state is None and seeded.step_count == 8
    assert seeded.build_trainer().step_count == 8
    # replace() keeps the state (checked again), dropping the weights drops it
    assert saved.replace(name="again").trainer_state is not None
    assert "trainer" not in saved.replace(weights=None).to_dict()


def test_build_trainer_on_another_network_is_refused():
    project = small_project()
    saved = project.capture(trained(project, 5))
    other = small_project().build_network()
    other.add_neuron(1)
    with pytest.raises(ValueError, match=r"^weights\.0\.weights: shape \(2, 8\) does not fit"):
        saved.build_trainer(net=other)


def test_trainer_state_is_plain_json():
    project = small_project("amsgrad")
    doc = project.capture(trained(project, 5)).to_dict()
    assert json.loads(json.dumps(doc, allow_nan=False)) == doc
    assert doc["trainer"] == to_plain(copy.deepcopy(Project.from_dict(doc).trainer_state))


# --------------------------------------------------------------------------- history columns


def _bits(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).view(np.int64)


def _encoded(values, shape=None) -> dict:
    arr = np.asarray(values, dtype="<f8")
    return {
        "dtype": "float64",
        "shape": list(arr.shape if shape is None else shape),
        "base64": base64.b64encode(arr.tobytes()).decode("ascii"),
    }


def test_history_columns_are_base64_float64_and_round_trip_bit_for_bit(tmp_path):
    project = small_project("adam")
    run = trained(project, 12)  # evaluations every 5 steps: NaN between them
    loss = run.history.column("batch_loss")
    loss[3], loss[4] = -0.0, -np.nan  # a sign bit on zero and on NaN survive as they are
    path = tmp_path / "run.json"
    project.capture(run).save(path)
    doc = json.loads(path.read_text())
    step = doc["history"]["step"]
    assert step["dtype"] == "float64" and step["shape"] == [12]
    assert base64.b64decode(step["base64"]) == np.arange(1.0, 13.0).astype("<f8").tobytes()
    assert doc["history"]["grad_norms"]["shape"] == [12, 2]
    reopened = Project.load(path).build_trainer()
    for name in (*run.history.SCALARS, "grad_norms"):
        assert (_bits(reopened.history.column(name)) == _bits(run.history.column(name))).all()
    assert np.isnan(reopened.history.column("test_loss")).sum() == 10  # evaluated at 5 and 10


def test_a_list_form_history_still_opens_and_is_saved_as_base64(tmp_path):
    project = small_project("momentum")
    doc = project.capture(trained(project, 9)).to_dict()
    listed = list_form_history(doc)  # a version 2 file as written before base64 columns
    assert listed["history"]["test_loss"][0] is None
    old = Project.from_dict(listed)
    assert old == Project.from_dict(doc)
    mixed = {**doc, "history": {**doc["history"], "lr": listed["history"]["lr"]}}
    assert Project.from_dict(mixed) == old  # a column in either form
    whole, resumed = trained(project, 9 + 4), old.build_trainer()
    resumed.run(steps=4)
    assert_same_trainer(resumed, whole)
    old.save(tmp_path / "again.json")
    assert "base64" in json.loads((tmp_path / "again.json").read_text())["history"]["lr"]


HISTORY_REFUSED = [
    ("step", {"dtype": "float32"}, "history.step.dtype: unknown dtype 'float32'"),
    ("lr", {"shape": [6, 1]}, "history.lr.shape: must have 1 entry, has 2"),
    ("lr", {"shape": [7]}, "history.lr.shape: declares 7 rows, but the history has 6 steps"),
    ("lr", {"shape": [-1]}, "history.lr.shape[0]: must be at least 0, got -1"),
    ("step", {"shape": [10**20]}, "history.step.shape[0]: must be at most 1,000,000,000"),
    ("step", {"shape": [10**9]}, "history.step.base64: holds 6 float64 values, but the shape"),
    ("grad_norms", {"shape": [6, 65]}, "history.grad_norms.shape[1]: must be at most 64"),
    ("grad_norms", {"shape": [6, 3]}, "history.grad_norms.base64: holds 12 float64 values"),
    ("lr", {"base64": None}, "history.lr.base64: must be a string, not null"),
    ("lr", {"base64": "AAAAAAAA8D8"}, "history.lr.base64: is not base64: 11 characters"),
    ("lr", {"base64": "AAAA"}, "history.lr.base64: holds 3 bytes, not a whole number of"),
    ("lr", {"extra": 1}, "history.lr.extra: unknown field in history.lr"),
    ("lr", {"dtype": ...}, "history.lr.dtype: required field is missing"),
    ("lr", {"base64": ...}, "history.lr.base64: required field is missing"),
    ("lr", {"shape": ...}, "history.lr.shape: required field is missing"),
]


@pytest.mark.parametrize(("column", "change", "message"), HISTORY_REFUSED)
def test_a_bad_history_column_is_a_project_error_naming_the_field(column, change, message):
    doc = _trained_doc()
    encoded = doc["history"][column]
    for key, value in change.items():
        if value is ...:
            del encoded[key]
        else:
            encoded[key] = value
    with pytest.raises(ProjectError) as info:
        Project.from_dict(doc)
    assert str(info.value).startswith(message), str(info.value)


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("batch_loss", [0.5, np.nan, np.inf, 0, 0, 0], "history.batch_loss[2]: must be a finite"),
        ("grad_norms", [[1, 1], [1, -np.inf], *[[0, 0]] * 4], "history.grad_norms[1][1]: "),
        ("lr", [0.1] * 5, "history.lr.shape: declares 5 rows, but the history has 6 steps"),
        ("grad_norms", [[1.0, 2.0]], "history.grad_norms.shape: declares 1 rows, but the"),
    ],
)
def test_decoded_values_and_row_counts_are_checked(column, values, message):
    doc = _trained_doc()
    doc["history"][column] = _encoded(values)
    with pytest.raises(ProjectError) as info:
        Project.from_dict(doc)
    assert str(info.value).startswith(message), str(info.value)
    assert "Infinity" in str(info.value) or "rows" in str(info.value)


@pytest.mark.parametrize(
    "text",
    ["AAAAAAAA8D8=" + "A" * 52, "AAAAAAAA8D" + "é" + "A" * 53, "AAAAAAAA8D\n" + "A" * 53],
)
def test_text_outside_base64_is_refused(text):
    doc = _trained_doc()
    doc["history"]["lr"]["base64"] = text
    with pytest.raises(ProjectError, match=r"^history\.lr\.base64: is not valid base64"):
        Project.from_dict(doc)


def test_sizes_are_checked_before_anything_is_decoded(monkeypatch):
    doc = _trained_doc()
    doc["history"]["step"] = _encoded(np.zeros(100_000), shape=[6])
    decoded = []
    monkeypatch.setattr(base64, "b64decode", lambda *a, **k: decoded.append(a) or b"")
    with pytest.raises(ProjectError, match=r"^history\.step\.base64: holds 100,000 float64"):
        Project.from_dict(doc)
    assert decoded == []


def test_no_grad_norms_loads_as_before():
    doc = _trained_doc()
    doc["history"]["grad_norms"] = _encoded(np.zeros((0, 0)))
    trainer = Project.from_dict(doc).build_trainer()
    assert trainer.history.column("grad_norms").shape == (6, 2)
    assert np.isnan(trainer.history.column("grad_norms")).all()
