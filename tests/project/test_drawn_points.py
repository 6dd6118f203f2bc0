"""Drawn points in project files (``data.drawn``): what loads, and what is refused with a
ProjectError naming the field."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.project import Project, ProjectError, load_example
from simulator.project.files import MAX_FILE_BYTES


def _doc(kind: str) -> dict:
    """A valid project document on data of ``kind``: binary 2-D, 1-D regression, three classes
    or digits."""
    doc = load_example("xor").to_dict()
    net = doc["network"]
    if kind == "sine":
        doc["data"] = {"dataset": "sine", "features": [], "n_samples": 40}
        net["sizes"], net["activations"], doc["loss"] = [1, 8, 1], ["tanh", "linear"], "mse"
    elif kind == "spiral3":
        doc["data"] = {"dataset": "spiral3", "n_samples": 60}
        net["sizes"], net["activations"] = [2, 8, 3], ["tanh", "softmax"]
        doc["loss"] = "cross_entropy"
    elif kind == "digits":
        doc["data"] = {"dataset": "digits", "features": [], "n_samples": 50}
        net["sizes"], net["activations"] = [64, 8, 10], ["tanh", "softmax"]
        doc["loss"] = "cross_entropy"
    net["dropout"], net["use_bias"], net["removed"] = [0.0, 0.0], [True, True], []
    return doc


KINDS = ["xor", "sine", "spiral3", "digits"]
WIDTH = {"xor": 2, "sine": 1, "spiral3": 2, "digits": 64}


def _with_drawn(kind: str, drawn) -> dict:
    doc = _doc(kind)
    doc["data"]["drawn"] = drawn
    return doc


@pytest.mark.parametrize("kind", KINDS[:3])
def test_valid_drawn_points_load_and_round_trip_through_a_file(kind, tmp_path):
    width = WIDTH[kind]
    X = [[0.125 * (i + j) - 1.0 for j in range(width)] for i in range(5)]
    y = [0, 1, 2, 1, 0] if kind == "spiral3" else [0, 1, 1, 0, 1]
    if kind == "sine":
        y = [0.5, -0.25, 1e-3, 2.0, -1.5]
    project = Project.from_dict(_with_drawn(kind, {"X": X, "y": y, "only": False}))
    path = tmp_path / "p.json"
    project.save(path)
    again = Project.load(path)
    assert again == project
    data = again.build_data()
    assert data.n_drawn == 5
    np.testing.assert_array_equal(data.dataset.X[data.drawn_rows], X)
    np.testing.assert_array_equal(data.dataset.y[data.drawn_rows], y)


MALFORMED = [
    ("xor", [1, 2], "data.drawn: must be an object, not an array"),
    ("xor", {"X": [], "y": []}, "data.drawn.X: needs at least one point"),
    ("xor", {"X": [[0.0, 1.0]]}, "data.drawn.y: required field is missing"),
    ("xor", {"y": [1]}, "data.drawn.X: required field is missing"),
    ("xor", {"X": [[0.0]], "y": [1]}, "data.drawn.X[0]: must have 2 entries, has 1"),
    ("xor", {"X": [[0.0, "1"]], "y": [1]}, "data.drawn.X[0][1]: must be a number, not a string"),
    ("xor", {"X": [[0.0, 1.0]], "y": [1, 0]}, "data.drawn.y: must have 1 entry, has 2"),
    ("xor", {"X": [[0.0, 1.0]], "y": [0.5]}, "data.drawn.y[0]: binary labels must be 0 or 1"),
    ("xor", {"X": [[0.0, 1e9]], "y": [1]}, "data.drawn.X[0][1]: must be between"),
    ("xor", {"X": [[0.0, 1.0]], "y": [1], "only": "yes"}, "data.drawn.only: must be true or"),
    ("xor", {"X": [[0.0, 1.0]], "y": [1], "z": 1}, "data.drawn.z: unknown field in data.drawn"),
    ("spiral3", {"X": [[0.0, 1.0]], "y": [3]}, "data.drawn.y[0]: must be a class index 0 to 2"),
    ("spiral3", {"X": [[0.0, 1.0]], "y": [1.5]}, "data.drawn.y[0]: must be a class index"),
    ("sine", {"X": [[0.0]], "y": [2e6]}, "data.drawn.y[0]: must be between"),
    ("digits", {"X": [[0.0, 1.0]], "y": [1]}, "data.drawn: drawing needs 1-D or 2-D data"),
]


@pytest.mark.parametrize("kind,drawn,expected", MALFORMED)
def test_malformed_drawn_points_name_the_field(kind, drawn, expected):
    with pytest.raises(ProjectError) as info:
        Project.from_dict(_with_drawn(kind, drawn))
    assert str(info.value).startswith(expected), str(info.value)


def test_a_file_with_malformed_points_names_the_file_and_the_field(tmp_path):
    path = tmp_path / "bad.json"
    text = json.dumps(_with_drawn("xor", {"X": [[0.0, 1.0]], "y": [1]}))
    path.write_text(text.replace("[[0.0, 1.0]]", "[[0.0, NaN]]"), encoding="utf-8")
    with pytest.raises(ProjectError) as info:
        Project.load(path)
    assert str(info.value) == f"{path}: data.drawn.X[0][1]: must be a finite number, not NaN"


# --------------------------------------------------------------------------- properties

# Any JSON value a hand-edited (or damaged) file might hold where a number belongs.
SCALARS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(min_value=-8.0, max_value=8.0),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, 2, 0.0, 1.0, -1, True, False, None, "1", ""]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner),
    max_leaves=12,
)
ROWS = st.one_of(st.lists(st.lists(SCALARS, max_size=3), max_size=6), VALUES)
DRAWN = st.one_of(
    st.fixed_dictionaries(
        {"X": ROWS, "y": st.one_of(st.lists(SCALARS, max_size=6), VALUES)},
        optional={"only": st.one_of(st.booleans(), VALUES), "extra": VALUES},
    ),
    VALUES,
)
PROPERTY = settings(
    max_examples=250,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.parametrize("kind", KINDS)
@PROPERTY
@given(drawn=DRAWN)
def test_any_drawn_value_loads_usable_data_or_names_the_field(kind, drawn):
    doc = _with_drawn(kind, drawn)
    try:
        project = Project.from_dict(doc)
    except ProjectError as exc:
        message = str(exc)
        assert message.startswith("data.drawn"), message
        assert "\n" not in message
        return
    # Loaded: the points are in the data, as training samples, and the file reads back.
    data = project.build_data()
    spec = project.data
    n = spec.n_drawn
    if spec.drawn is None:
        assert drawn is None and data.n_drawn == 0
        return
    assert data.n_drawn == n and spec.drawn.X.shape == (n, WIDTH[kind])
    assert np.isin(data.drawn_rows, data.train_index).all()
    assert np.isfinite(data.X_train).all()
    text = project.to_json()
    assert len(text.encode()) < MAX_FILE_BYTES
    assert Project.from_dict(json.loads(text)) == project
