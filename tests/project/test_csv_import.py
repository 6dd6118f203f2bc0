"""CSV import: reading tables, building inline data, and every malformed file's own message."""

import dataclasses
import statistics
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import cli
from simulator.project import (
    NetworkSpec,
    Project,
    ProjectError,
    csv_import,
    load_example,
    load_weights,
)
from simulator.project.csv_import import build_inline_data, read_csv_table

AGES = """age,height,weight,label
23,1.70,60,yes
35,1.82,80,no
41,1.65,72,yes
29,1.90,95,no
52,1.75,70,yes
"""


def write(tmp_path, content, name="data.csv"):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def table_of(tmp_path, content, **kwargs):
    return read_csv_table(write(tmp_path, content), **kwargs)


# --------------------------------------------------------------------------- reading good files


def test_comma_separated_with_header(tmp_path):
    t = table_of(tmp_path, AGES)
    assert t.delimiter == "," and t.header
    assert t.columns == ["age", "height", "weight", "label"]
    assert t.rows[0] == ["23", "1.70", "60", "yes"] and t.n_rows == 5
    assert t.row_numbers == [2, 3, 4, 5, 6]
    assert t.numeric_columns() == ["age", "height", "weight"]
    assert t.guess_target() == "label" and t.guess_task("label") == "binary"
    assert t.preview(2) == t.rows[:2] and t.preview() == t.rows
    assert "5 rows x 4 columns, comma-separated, header=True" in repr(t)


def test_semicolons_with_decimal_commas(tmp_path):
    t = table_of(tmp_path, "x;y;t\n1,5;2;0,25\n-3;4,75;1e3\n5;6;7\n7;8;9\n")
    assert t.delimiter == ";" and t.columns == ["x", "y", "t"]
    assert t.numeric_columns() == ["x", "y", "t"]
    data, _ = build_inline_data(t, ["x", "y"], "t", "regression", standardize=False)
    assert data.X.tolist() == [[1.5, 2.0], [-3.0, 4.75], [5.0, 6.0], [7.0, 8.0]]
    assert data.y.tolist() == [0.25, 1000.0, 7.0, 9.0]


def test_tabs_without_header(tmp_path):
    t = table_of(tmp_path, "0.5\t1\t2\n1.5\t3\t4\n2.5\t5\t6\n3.5\t7\t8\n")
    assert t.delimiter == "\t" and not t.header
    assert t.columns == ["column 1", "column 2", "column 3"]
    assert t.row_numbers == [1, 2, 3, 4]
    assert t.guess_target() == "column 3" and t.guess_task("column 3") == "regression"


def test_byte_order_mark_and_crlf_line_ends(tmp_path):
    t = table_of(tmp_path, "\ufeffa,b,c\r\n1,2,x\r\n3,4,y\r\n")
    assert t.columns == ["a", "b", "c"] and t.rows == [["1", "2", "x"], ["3", "4", "y"]]


def test_quotes_spaces_blank_lines_and_trailing_separators(tmp_path):
    text = 'a, b ,species,\n1, 2 ,"setosa, small",\n\n3,4,"virginica",,\n,,,\n5,6,setosa\n'
    t = table_of(tmp_path, text)
    assert t.columns == ["a", "b", "species"]  # the empty 4th column is dropped
    assert t.rows == [["1", "2", "setosa, small"], ["3", "4", "virginica"], ["5", "6", "setosa"]]
    assert t.row_numbers == [2, 4, 6]


def test_repeated_and_empty_header_names_are_made_unique(tmp_path):
    t = table_of(tmp_path, "x,x,,y\n1,2,3,4\n5,6,7,8\n")
    assert t.columns == ["x", "x (2)", "column 3", "y"]


def test_a_first_row_of_numbers_is_data(tmp_path):
    t = table_of(tmp_path, "1,2,a\n3,4,b\n")
    assert not t.header and t.rows[0] == ["1", "2", "a"]
    t = table_of(tmp_path, "1,2,a\n3,4,\n5,6,\n")  # no numbers below the text: not a name
    assert not t.header and t.n_rows == 3


def test_guess_task(tmp_path):
    rows = "".join(f"{i},{i % 3},{i * 0.37},{'abc'[i % 3]},{i % 2}\n" for i in range(30))
    t = table_of(tmp_path, "n,k,r,s,b\n" + rows)
    assert [t.guess_task(c) for c in t.columns] == [
        "regression",  # 30 distinct whole numbers
        "multiclass",
        "regression",
        "multiclass",
        "binary",
    ]


# --------------------------------------------------------------------------- building data


def test_text_labels_binary(tmp_path):
    data, info = build_inline_data(
        table_of(tmp_path, AGES), ["age", "height", "weight"], "label", "binary", False
    )
    assert data.is_inline and data.kind == "binary" and data.class_names == ["no", "yes"]
    assert data.y.dtype == np.float64 and data.y.tolist() == [1, 0, 1, 0, 1]
    assert data.X.dtype == np.float64 and data.X.shape == (5, 3)
    assert data.X[1].tolist() == [35.0, 1.82, 80.0]
    assert data.features == [] and data.network_inputs == 3 and data.output_size == 1
    assert info.class_names == ("no", "yes") and info.class_counts == (2, 3)
    assert info.feature_columns == ("age", "height", "weight") and info.target_column == "label"
    assert "Class 'no' is 0 and class 'yes' is 1." in info.notes


def test_text_labels_multiclass_sort_alphabetically(tmp_path):
    text = "a,b,kind\n" + "".join(f"{i},{i * i},{k}\n" for i, k in enumerate("cabbcacb"))
    data, info = build_inline_data(
        table_of(tmp_path, text), ["a", "b"], "kind", "multiclass", False
    )
    assert data.class_names == ["a", "b", "c"]
    assert data.y.dtype == np.int64 and data.y.tolist() == [2, 0, 1, 1, 2, 0, 2, 1]
    assert data.features == ["x1", "x2"] and data.network_inputs == 2 and data.output_size == 3
    assert info.class_counts == (2, 3, 3)


def test_numeric_labels_sort_numerically_and_merge_spellings(tmp_path):
    labels = ["10", "9", "2", "10.0", "9", "2.0", "10", "2"]
    text = "x,y\n" + "".join(f"{i},{lab}\n" for i, lab in enumerate(labels))
    data, _ = build_inline_data(table_of(tmp_path, text), ["x"], "y", "multiclass", False)
    assert data.class_names == ["2", "9", "10"]
    assert data.y.tolist() == [2, 1, 0, 2, 1, 0, 2, 0]


def test_numeric_binary_labels(tmp_path):
    text = "x,y\n" + "".join(f"{i},{i % 2}\n" for i in range(6))
    data, _ = build_inline_data(table_of(tmp_path, text), ["x"], "y", "binary", False)
    assert data.class_names == ["0", "1"] and data.y.tolist() == [0, 1, 0, 1, 0, 1]


def test_regression(tmp_path):
    text = "x,y\n" + "".join(f"{i},{i * 0.5 - 1}\n" for i in range(6))
    data, info = build_inline_data(
        table_of(tmp_path, text), ["x"], "y", "regression", False, test_ratio=0.5, seed=7
    )
    assert data.kind == "regression" and data.class_names is None
    assert data.y.tolist() == [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5]
    assert data.test_ratio == 0.5 and data.seed == 7
    assert info.class_names == () and info.class_counts == ()


def test_standardise_matches_an_independent_computation(tmp_path):
    text = "a,b,c,y\n2,10,5,0\n4,-3.5,5,1\n4,7.25,5,0\n5,0,5,1\n7,1e2,5,1\n"
    t = table_of(tmp_path, text)
    raw, _ = build_inline_data(t, ["a", "b", "c"], "y", "binary", standardize=False)
    data, info = build_inline_data(t, ["a", "b", "c"], "y", "binary", standardize=True)
    columns = {name: [float(row[j]) for row in t.rows] for j, name in enumerate("abc")}
    for j, name in enumerate("abc"):
        values = columns[name]
        mean, std = statistics.fmean(values), statistics.pstdev(values)
        assert raw.X[:, j].tolist() == values
        assert info.means[j] == pytest.approx(mean, rel=1e-12)
        assert info.stds[j] == pytest.approx(std, rel=1e-12)
        expected = [(x - mean) / std if std else x - mean for x in values]
        np.testing.assert_allclose(data.X[:, j], expected, rtol=1e-12, atol=1e-12)
    assert info.standardized and info.constant == ("c",) and info.stds[2] == 0.0
    assert data.X[:, 2].tolist() == [0.0] * 5
    assert "Column 'c' has the same value in every row: centred to 0, not scaled." in info.notes
    assert raw.X[:, 2].tolist() == [5.0] * 5  # left as it was without standardising


def test_standardise_a_repeated_fraction_gives_exact_zeros(tmp_path):
    # The mean of 0.1, 0.1, 0.1 in floating point is not exactly 0.1: still a constant column.
    text = "a,b,y\n" + "".join(f"0.1,{i},{i % 2}\n" for i in range(5))
    data, info = build_inline_data(table_of(tmp_path, text), ["a", "b"], "y", "binary", True)
    assert data.X[:, 0].tolist() == [0.0] * 5 and info.means[0] == 0.1


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    X=st.lists(
        st.lists(
            st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=3, max_size=3
        ),
        min_size=4,
        max_size=12,
    ),
    delimiter=st.sampled_from([",", ";", "\t"]),
    header=st.booleans(),
)
def test_any_finite_numbers_survive_the_round_trip(tmp_path, X, delimiter, header):
    lines = [delimiter.join(repr(x) for x in row) for row in X]
    if header:
        lines.insert(0, delimiter.join(["p", "q", "target"]))
    t = table_of(tmp_path, "\n".join(lines) + "\n")
    assert t.delimiter == delimiter and t.header == header
    data, _ = build_inline_data(t, t.columns[:2], t.columns[2], "regression", False)
    assert data.X.tolist() == [row[:2] for row in X]
    assert data.y.tolist() == [row[2] for row in X]


# --------------------------------------------------------------------------- projects


def _project_for(data, hidden=5):
    outputs = {"binary": ("sigmoid", "bce"), "multiclass": ("softmax", "cross_entropy")}
    activation, loss = outputs.get(data.kind, ("linear", "mse"))
    network = NetworkSpec(
        [data.network_inputs, hidden, data.output_size],
        ["tanh", activation],
        [True, True],
        [0.0, 0.0],
    )
    base = load_example("xor")
    return dataclasses.replace(
        base, name="Imported", data=data, network=network, loss=loss, weights=None, history=None
    )


@pytest.mark.parametrize(
    "target,task", [("label", "binary"), ("kind", "multiclass"), ("size", "regression")]
)
def test_imported_data_round_trips_through_a_project_and_trains(tmp_path, target, task):
    rng = np.random.default_rng(0)
    lines = ["a,b,c,label,kind,size"]
    for i in range(30):
        a, b, c = rng.normal(size=3)
        lines.append(f"{a},{b},{c},{'no' if a < 0 else 'yes'},{'xyz'[i % 3]},{a + 2 * b}")
    t = table_of(tmp_path, "\n".join(lines))
    data, _ = build_inline_data(t, ["a", "b", "c"], target, task, standardize=True)
    project = _project_for(data)
    loaded = Project.from_dict(project.to_dict())
    assert loaded == project
    np.testing.assert_array_equal(loaded.data.X, data.X)
    np.testing.assert_array_equal(loaded.data.y, data.y)
    assert loaded.data.y.dtype == data.y.dtype and loaded.data.class_names == data.class_names
    path = tmp_path / "imported.json"
    project.save(path)
    assert Project.load(path) == project
    trainer = Project.load(path).build_trainer()
    assert trainer.run(steps=5) == 5
    assert np.isfinite(trainer.history.column("batch_loss")).all()


def test_two_columns_use_the_default_input_features(tmp_path):
    text = "u,v,y\n" + "".join(f"{i},{-i},{'ab'[i % 2]}\n" for i in range(8))
    data, _ = build_inline_data(table_of(tmp_path, text), ["u", "v"], "y", "binary", True)
    project = Project.from_dict(_project_for(data).to_dict())
    assert project.data.features == ["x1", "x2"]
    data = project.build_data()
    assert data.input_labels == ["u", "v"]  # the engine's x1 and x2, named after the columns
    assert data.column_labels == ["u", "v"] and data.output_labels == ["p(b)"]
    # The other features of 2-D data are written with the names too.
    squares = project.replace(
        data=dataclasses.replace(project.data, features=["x1", "x2^2", "x1*x2", "sin_x2"]),
        network=dataclasses.replace(project.network, sizes=[4, *project.network.sizes[1:]]),
    )
    assert squares.build_data().input_labels == ["u", "v²", "u·v", "sin v"]


def test_the_command_line_trains_an_imported_project(tmp_path, capsys):
    text = "a,b,c,y\n" + "".join(f"{i},{i % 3},{i % 5},{'pq'[i % 2]}\n" for i in range(20))
    data, _ = build_inline_data(table_of(tmp_path, text), ["a", "b", "c"], "y", "binary", True)
    path = tmp_path / "imported.json"
    _project_for(data).save(path)
    assert cli.main(["train", str(path), "--steps", "5", "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    # Its exports name the columns and carry the standardisation, from train and from export.
    trained = tmp_path / "trained.json"
    out = tmp_path / "w.json"
    args = ["train", str(path), "--steps", "5", "-q", "--save", str(trained), "--export", str(out)]
    assert cli.main(args) == 0
    arch, _ = load_weights(out)
    assert arch["input_names"] == ["a", "b", "c"]
    assert arch["input_means"] == list(data.standardization.means)
    out.unlink()
    assert cli.main(["export", str(trained), str(out)]) == 0
    assert load_weights(out)[0]["input_stds"] == list(data.standardization.stds)


# --------------------------------------------------------------------------- malformed files


def _numbers(n, extra=""):
    return "".join(f"{i},{i + 1},{i % 2}{extra}\n" for i in range(n))


READ_ERRORS = [
    ("", "the file is empty"),
    ("\ufeff \n\n", "the file is empty"),
    (",,\n ,\n", "the file is empty (only separators, no values)"),
    ("a,b,c,d\n" + _numbers(5, ",1") + "1,2,3\n", "row 7 has 3 values, the header has 4"),
    ("1,2,3\n4,5,6\n7,8\n", "row 3 has 2 values, row 1 has 3"),
    ('a,b,c\n1,"2,3\n4,5,6\n', "row 2 has 2 values, the header has 3 (is a quote opened"),
    ("x\n1\n2\n3\n", "found only one column; the data needs at least a feature column"),
    ("a,b,label\n", "the file has a header but no data rows"),
    (
        'a,"b,c\n1,2,3\n4,5,6\n',
        "the file has a header but no data rows (is a quote opened on row 1",
    ),
    ('"a,b,c\n1,2,3\n4,5,6\n', "found only one column; the data needs at least a feature col"),
    (
        '"a,b,c\n1,2,3\n4,5,6\n',
        "found only one column; the data needs at least a feature column "
        "and a target column, separated by commas, semicolons or tabs (is a quote opened on row 1 "
        "never closed?)",
    ),
    (b"a,b\n1,2\ncaf\xe9,3\n", "not UTF-8 text (row 3, byte 11); save it as UTF-8"),
    ("a,b\n1,2\n".encode("utf-16"), "the file is UTF-16 text; save it as UTF-8 (CSV UTF-8)"),
    (b"PK\x03\x04\x00\x00binary", "not a text file (it holds zero bytes); is it a spreadsheet?"),
]


@pytest.mark.parametrize("content,message", READ_ERRORS)
def test_malformed_files_are_refused_with_their_own_message(tmp_path, content, message):
    path = write(tmp_path, content)
    with pytest.raises(ProjectError) as info:
        read_csv_table(path)
    assert str(info.value).startswith(f"{path}: {message}"), str(info.value)


def test_a_missing_file(tmp_path):
    with pytest.raises(ProjectError, match="no such file"):
        read_csv_table(tmp_path / "nothing.csv")


def test_a_file_over_the_size_limit_names_both_sizes(tmp_path):
    path = write(tmp_path, "a,b\n" + "1,2\n" * 400_000)  # 1.5 MB
    with pytest.raises(ProjectError) as info:
        read_csv_table(path, limit_bytes=1024 * 1024)
    assert str(info.value) == f"{path}: the file is too large (1.5 MB; the limit is 1.0 MB)"
    # Just over the limit, megabytes would read the same: then the sizes are in bytes.
    limit = path.stat().st_size - 10
    with pytest.raises(ProjectError) as info:
        read_csv_table(path, limit_bytes=limit)
    assert str(info.value) == (
        f"{path}: the file is too large ({limit + 10:,} bytes; the limit is {limit:,} bytes)"
    )


def test_too_many_rows_columns_or_cells(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_import, "MAX_ROWS", 5)
    monkeypatch.setattr(csv_import, "MAX_COLUMNS", 3)
    path = write(tmp_path, "a,b,c\n" + _numbers(6))
    with pytest.raises(ProjectError) as info:
        read_csv_table(path)
    assert str(info.value) == f"{path}: more than 5 data rows; at most 5 can be imported"
    assert read_csv_table(write(tmp_path, "a,b,c\n" + _numbers(5))).n_rows == 5
    assert read_csv_table(write(tmp_path, _numbers(5))).n_rows == 5  # no header
    path = write(tmp_path, "a,b,c,d\n1,2,3,4\n")
    with pytest.raises(ProjectError) as info:
        read_csv_table(path)
    assert str(info.value) == f"{path}: 4 columns; at most 3 can be imported"
    monkeypatch.setattr(csv_import, "MAX_CELLS", 9)
    path = write(tmp_path, "a,b\n1,2\n\n3,4\n5,6\n7,8\n")
    with pytest.raises(ProjectError) as info:
        read_csv_table(path)
    assert str(info.value) == (
        f"{path}: more than 9 cells (reached on row 6); at most 9 can be imported"
    )


def _rows(n, age="{i}", label="{k}"):
    lines = ["age,height,label"]
    for i in range(n):
        lines.append(f"{age.format(i=i)},{i * 0.1:.1f},{label.format(i=i, k='ab'[i % 2])}")
    return "\n".join(lines) + "\n"


def _bad_age(row, value):
    return _rows(12).replace(f"\n{row - 2},", f"\n{value},", 1)


BUILD_ERRORS = [
    # (file, features, target, task, message after "<path>: ")
    (
        _bad_age(12, "abc"),
        ["age"],
        "label",
        "binary",
        "row 12, column 'age': 'abc' is not a number",
    ),
    (_bad_age(4, ""), ["age"], "label", "binary", "row 4, column 'age': the value is missing"),
    (_bad_age(5, "inf"), ["age"], "label", "binary", "row 5, column 'age': 'inf' is not a finite"),
    (_bad_age(6, "NaN"), ["age"], "label", "binary", "row 6, column 'age': 'NaN' is not a finite"),
    (_bad_age(3, "1e400"), ["age"], "label", "binary", "row 3, column 'age': '1e400' is not a"),
    (
        _rows(8).replace("\n5,0.5,b", "\n5,0.5,"),
        ["age"],
        "label",
        "binary",
        "row 7, column 'label': the target value is missing",
    ),
    (
        _rows(6, label="same"),
        ["age"],
        "label",
        "binary",
        "column 'label': every row has the label 'same': classification needs at least 2 classes",
    ),
    (
        _rows(3),
        ["age"],
        "label",
        "binary",
        "only 3 data rows; at least 4 are needed (some to train on and some to test)",
    ),
    (
        _rows(6),
        ["age", "label"],
        "label",
        "binary",
        "the target column 'label' is also chosen as a feature",
    ),
    (_rows(6), [], "label", "binary", "choose at least one feature column"),
    (
        _rows(6),
        ["age", "Age"],
        "label",
        "binary",
        "there is no column 'Age' (columns: 'age', 'height', 'label')",
    ),
    (_rows(6), ["age"], "weight", "binary", "there is no column 'weight'"),
    (_rows(6), ["age", "age"], "label", "binary", "column 'age' is chosen twice as a feature"),
    (
        _rows(6),
        ["age"],
        "label",
        "regression",
        "row 2, column 'label': 'a' is not a number; a regression target must be numeric "
        "(choose classification for text labels)",
    ),
    (
        _rows(6).replace("\n3,", "\n-inf,"),
        ["height"],
        "age",
        "regression",
        "row 5, column 'age': '-inf' is not a finite number",
    ),
    (
        _rows(8, label="c{i}"),
        ["age"],
        "label",
        "multiclass",
        "column 'label': 8 different labels in 8 rows: too few rows per class to learn from "
        "(is it an identifier or a free-text column?)",
    ),
    (
        _rows(8),
        ["height"],
        "age",
        "multiclass",
        "column 'age': 8 different labels in 8 rows: too few rows per class to learn from "
        "(for a numeric target with many values choose regression)",
    ),
    (
        _rows(9, label="{i}").replace(",6\n", ",nan\n"),
        ["age"],
        "label",
        "multiclass",
        "row 8, column 'label': 'nan' is not a finite number",
    ),
    (
        _rows(9, label="c{i}").replace("c3", "c0").replace("c4", "c1"),
        ["age"],
        "label",
        "binary",
        "column 'label': 7 classes ('c0', 'c1', 'c2', 'c5', 'c6', ...), but binary classification "
        "needs exactly 2: choose multiclass",
    ),
    (
        _rows(6).replace("\n2,0.2,a", "\n2,0.2," + "x" * 201),
        ["age"],
        "label",
        "multiclass",
        "row 4, column 'label': the label is too long (201 characters; at most 200)",
    ),
    (_rows(6), ["age"], "label", "ordinal", "unknown task 'ordinal' (known: binary, multiclass"),
]


@pytest.mark.parametrize("content,features,target,task,message", BUILD_ERRORS)
def test_unusable_columns_are_refused_with_their_own_message(
    tmp_path, content, features, target, task, message
):
    path = write(tmp_path, content)
    table = read_csv_table(path)
    with pytest.raises(ProjectError) as info:
        build_inline_data(table, features, target, task, standardize=False)
    text = str(info.value)
    assert text.startswith(f"{path}: {message}"), text


def test_messages_are_all_different():
    messages = [m for _, m in READ_ERRORS[1:]] + [case[-1] for case in BUILD_ERRORS]
    assert len(set(messages)) == len(messages)


def test_more_classes_than_an_output_layer_holds(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_import, "MAX_LAYER_SIZE", 3)
    text = "x,y\n" + "".join(f"{i},{'abcd'[i % 4]}\n" for i in range(12))
    path = write(tmp_path, text)
    with pytest.raises(ProjectError) as info:
        build_inline_data(read_csv_table(path), ["x"], "y", "multiclass", False)
    assert str(info.value) == f"{path}: column 'y': 4 classes; an output layer holds at most 3"


def test_too_many_values_for_a_project_file(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_import, "MAX_VALUES", 20)
    path = write(tmp_path, _rows(8))
    with pytest.raises(ProjectError) as info:
        build_inline_data(read_csv_table(path), ["age", "height"], "label", "binary", False)
    assert str(info.value) == (
        f"{path}: 8 rows of 3 values make 24 values; a project holds at most 20 "
        "(choose fewer columns or rows)"
    )


def test_values_too_large_to_standardise(tmp_path):
    path = write(tmp_path, _rows(6).replace("\n1,", "\n1e308,").replace("\n2,", "\n1.5e308,"))
    table = read_csv_table(path)
    build_inline_data(table, ["age"], "label", "binary", standardize=False)  # usable as is
    with pytest.raises(ProjectError) as info:
        build_inline_data(table, ["age"], "label", "binary", standardize=True)
    assert str(info.value) == f"{path}: column 'age': the values are too large to standardise"


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"test_ratio": 0.95}, "the test share must be a number from 0 to 0.9, not 0.95"),
        ({"test_ratio": True}, "the test share must be a number from 0 to 0.9, not True"),
        ({"seed": -1}, "the data seed must be None or a whole number from 0 to"),
    ],
)
def test_bad_split_arguments(tmp_path, kwargs, message):
    path = write(tmp_path, _rows(6))
    with pytest.raises(ProjectError) as info:
        build_inline_data(read_csv_table(path), ["age"], "label", "binary", False, **kwargs)
    assert str(info.value).startswith(f"{path}: {message}")


# --------------------------------------------------------------------------- columns with bad cells


@pytest.mark.parametrize(
    ("cell", "problem"),
    [("oops", "'oops' is not a number"), ("", "the value is missing"),
     ("nan", "'nan' is not a finite number")],
)  # fmt: skip
def test_a_mostly_numeric_column_names_its_first_bad_cell(tmp_path, cell, problem):
    rows = [f"{i},{i * 0.5},{i % 2}" for i in range(12)]
    rows[5] = f"5,{cell},1"  # the sixth data row: row 7 with the header
    rows[9] = "9,also bad,1"
    t = table_of(tmp_path, "x1,x2,y\n" + "\n".join(rows) + "\n")
    assert t.numeric_columns() == ["x1", "y"]
    assert t.mostly_numeric_columns() == ["x1", "x2", "y"]
    assert t.column_problem("x1") is None
    assert t.column_problem("x2") == (5, f"row 7, column 'x2': {problem}")
    # The import itself still refuses the column, with the same words.
    with pytest.raises(ProjectError, match=f"row 7, column 'x2': {problem}"):
        build_inline_data(t, ["x1", "x2"], "y", "binary", True)


def test_a_column_of_mostly_text_is_not_offered(tmp_path):
    rows = [f"{i},{'abc'[i % 3] if i % 4 else i},{i % 2}" for i in range(12)]
    t = table_of(tmp_path, "x1,code,y\n" + "\n".join(rows) + "\n")
    assert t.mostly_numeric_columns() == ["x1", "y"]


# --------------------------------------------------------------------------- names and statistics


def test_names_and_standardisation_statistics_survive_a_project_file(tmp_path):
    text = "area,rooms,age,price\n" + "".join(
        f"{50 + 7 * i},{1 + i % 4},{(i * 13) % 40},{1000 * (i + 1)}\n" for i in range(12)
    )
    t = table_of(tmp_path, text)
    data, info = build_inline_data(t, ["area", "rooms", "age"], "price", "regression", True)
    assert data.feature_names == ["area", "rooms", "age"] and data.target_name == "price"
    raw = np.array([[float(c) for c in row[:3]] for row in t.rows])
    np.testing.assert_allclose(data.standardization.means, raw.mean(axis=0), rtol=1e-15)
    np.testing.assert_allclose(data.standardization.stds, raw.std(axis=0), rtol=1e-15)
    np.testing.assert_allclose(data.standardization.apply(raw), data.X, atol=1e-15)
    np.testing.assert_allclose(data.standardization.undo(data.X), raw, rtol=1e-14)
    path = tmp_path / "houses.json"
    _project_for(data).save(path)
    loaded = Project.load(path)
    assert loaded.data.feature_names == ["area", "rooms", "age"]
    assert loaded.data.target_name == "price"
    assert loaded.data.standardization == data.standardization
    built = loaded.build_data()
    assert built.input_labels == ["area", "rooms", "age"] and built.output_labels == ["price"]
    assert built.column_labels == ["area", "rooms", "age"] and built.target_label == "price"
    # Not standardised: no statistics are stored.
    plain, _ = build_inline_data(t, ["area", "rooms"], "price", "regression", False)
    assert plain.standardization is None and "standardization" not in plain.to_dict()
    # A large target is worth a warning.
    assert len(info.warnings) == 1
    assert "'price' reaches 12,000" in info.warnings[0] and "rescaling" in info.warnings[0]
    small, info = build_inline_data(t, ["area"], "rooms", "regression", True)
    assert info.warnings == ()


def test_a_constant_column_keeps_std_zero_and_exports_divide_by_one(tmp_path):
    text = "a,b,c,y\n" + "".join(f"{i},{i * i},7,{i % 2}\n" for i in range(8))
    data, _ = build_inline_data(table_of(tmp_path, text), ["a", "b", "c"], "y", "binary", True)
    assert data.standardization.stds[2] == 0.0 and data.standardization.means[2] == 7.0
    pre = _project_for(data).export_preprocessing()
    assert pre.names == ("a", "b", "c") and pre.stds[2] == 1.0 and pre.means[2] == 7.0


def test_old_inline_files_without_names_still_load(tmp_path):
    text = "a,b,c,y\n" + "".join(f"{i},{i % 3},{i % 5},{'pq'[i % 2]}\n" for i in range(8))
    data, _ = build_inline_data(table_of(tmp_path, text), ["a", "b", "c"], "y", "binary", True)
    doc = _project_for(data).to_dict()
    for key in ("feature_names", "target_name", "standardization"):
        del doc["data"][key]
    project = Project.from_dict(doc)
    assert project.data.feature_names is None and project.data.standardization is None
    assert project.build_data().input_labels == ["x1", "x2", "x3"]
    assert project.export_preprocessing() is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"feature_names": ["a", "b"]}, "data.feature_names: must have 3 entries, has 2"),
        ({"feature_names": ["a", "b", 3]}, "data.feature_names[2]: must be a string"),
        ({"target_name": ["y"]}, "data.target_name: must be a string"),
        ({"standardization": {"means": [0, 0, 0]}}, "data.standardization.stds: required"),
        (
            {"standardization": {"means": [0, 0, 0], "stds": [1, -1, 1]}},
            "data.standardization.stds[1]: a standard deviation must be >= 0",
        ),
        (
            {"standardization": {"means": [0, 0], "stds": [1, 1]}},
            "data.standardization.means: must have 3 entries, has 2",
        ),
        (
            {"standardization": {"means": [0, 0, 0], "stds": [1, 1, 1], "x": 1}},
            "data.standardization.x: unknown field",
        ),
    ],
)
def test_names_and_statistics_are_checked_on_load(tmp_path, change, message):
    text = "a,b,c,y\n" + "".join(f"{i},{i % 3},{i % 5},{'pq'[i % 2]}\n" for i in range(8))
    data, _ = build_inline_data(table_of(tmp_path, text), ["a", "b", "c"], "y", "binary", True)
    doc = _project_for(data).to_dict()
    doc["data"].update(change)
    with pytest.raises(ProjectError) as info:
        Project.from_dict(doc)
    assert str(info.value).startswith(message), str(info.value)


# --------------------------------------------------------------------------- bounded work


def test_a_row_of_12_million_cells_is_refused_in_bounded_memory(tmp_path):
    # csv.reader would make 12 million strings of it (1.2 GB) before the cell limit applied.
    path = tmp_path / "wide.csv"
    path.write_bytes(b"0.5," * 12_000_000 + b"1\n2," * 3)  # 48 MB
    tracemalloc.start()
    try:
        with pytest.raises(ProjectError) as info:
            read_csv_table(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(info.value) == (
        f"{path}: row 1 is too long: more than 200,000 commas; at most 10,001 columns can be "
        "imported"
    )
    assert peak < 200 * 2**20  # the file's bytes and its text, 48 MB each


def test_a_row_with_too_many_separators_names_its_row(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_import, "MAX_SEPARATORS", 10)
    path = write(tmp_path, "a\tb\n1\t2\n\n" + "\t" * 5 + "3" + "\t" * 6 + "\n4\t5\n")
    with pytest.raises(ProjectError) as info:
        read_csv_table(path)
    assert str(info.value) == (
        f"{path}: row 4 is too long: more than 10 tabs; at most 10,001 columns can be imported"
    )
    # Counted over the record's lines: an unclosed quote carries them into one record.
    path = write(tmp_path, 'a,b\n1,"2\n' + "3,4\n" * 20)
    with pytest.raises(ProjectError) as info:
        read_csv_table(path)
    assert str(info.value).endswith(
        "row 2 is too long: more than 10 commas; at most 10,001 columns can be imported "
        "(is a quote opened on this row never closed?)"
    )


def test_a_cell_longer_than_csv_reads(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n3," + "x" * 140_000 + "\n")
    with pytest.raises(ProjectError) as info:
        read_csv_table(path)
    assert str(info.value) == f"{path}: row 3: a cell is longer than 131,072 characters"
    path = write(tmp_path, 'a,b\n1,"2\n' + "3,4\n" * 40_000)
    with pytest.raises(ProjectError) as info:
        read_csv_table(path)
    assert str(info.value) == (
        f"{path}: row 2: a cell is longer than 131,072 characters (is a quote opened on this "
        "row never closed?)"
    )


def test_empty_lines_and_line_ends_keep_the_row_numbers(tmp_path):
    text = "a,b\r\n\r\n\n\r,,\n , \n1,2\r3,4\r\n\r\n\n5,6\n,\n\n7,x\n"
    t = table_of(tmp_path, text)
    assert t.rows == [["1", "2"], ["3", "4"], ["5", "6"], ["7", "x"]]
    assert t.row_numbers == [7, 8, 11, 14]
    with pytest.raises(ProjectError, match="row 14, column 'b': 'x' is not a number"):
        build_inline_data(t, ["b"], "a", "regression", False)
    path = write(tmp_path, b"a,b\r1,2\rcaf\xe9,3\r")
    with pytest.raises(ProjectError, match=r"not UTF-8 text \(row 3, byte 11\)"):
        read_csv_table(path)


def test_the_delimiter_is_guessed_from_the_first_64_kb(tmp_path):
    # The header alone is longer than the sample: its first 64 KB still show the semicolons.
    names = [f"a long column name number {j}" for j in range(4_000)]
    text = ";".join(names) + "\n" + "\n".join(";".join(["1,5"] * 4_000) for _ in range(3))
    t = table_of(tmp_path, text)
    assert t.delimiter == ";" and t.columns == names and t.rows[0][0] == "1,5"


class CountingName(str):
    """A column name that counts how often it is compared (list.index compares each one)."""

    comparisons = 0

    def __eq__(self, other):
        CountingName.comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def _work_for_columns(tmp_path, monkeypatch, n: int) -> tuple[int, int, int]:
    """(name comparisons, cells parsed as numbers, cells) to check a table of ``n`` feature
    columns as the dialog does and build its data."""
    rows = ["".join(f"{(i * j) % 7}," for j in range(n)) + f"{i % 2}" for i in range(6)]
    header = "".join(f"c{j}," for j in range(n)) + "y"
    table = table_of(tmp_path, header + "\n" + "\n".join(rows) + "\n")
    table.columns = [CountingName(name) for name in table.columns]
    features, target = table.columns[:-1], table.columns[-1]
    parsed = 0
    number = csv_import._number

    def counting_number(cell, decimal_comma=False):
        nonlocal parsed
        parsed += 1
        return number(cell, decimal_comma)

    monkeypatch.setattr(csv_import, "_number", counting_number)
    CountingName.comparisons = 0
    numeric = table.numeric_columns()
    table.mostly_numeric_columns()
    assert [table.column_problem(name) for name in numeric] == [None] * (n + 1)
    table.guess_task(target)
    data, _ = build_inline_data(table, features, target, "binary", standardize=True)
    assert data.X.shape == (6, n)
    return CountingName.comparisons, parsed, 6 * (n + 1)


def test_10000_columns_take_work_in_proportion_to_the_cells(tmp_path, monkeypatch):
    # Each column was found with list.index and each feature counted with list.count: 10,000
    # columns compared names 10^8 times (3.6 s).  Now a name is compared about once.
    small = _work_for_columns(tmp_path, monkeypatch, 2_000)
    large = _work_for_columns(tmp_path, monkeypatch, 10_000)
    for comparisons, parsed, cells in (small, large):
        assert comparisons <= 2 * (cells // 6)
        assert parsed <= 3 * cells
    assert large[0] <= 5.5 * small[0] and large[1] <= 5.5 * small[1]


def test_10000_repeated_header_names_are_numbered_in_linear_work(tmp_path, monkeypatch):
    fits = []
    fit = csv_import._fit

    def counting_fit(stem, suffix):
        fits.append(stem)
        return fit(stem, suffix)

    monkeypatch.setattr(csv_import, "_fit", counting_fit)
    t = table_of(tmp_path, ",".join(["x"] * 10_000) + ",y (2)\n" + "1," * 10_000 + "0\n")
    assert t.columns[:3] == ["x", "x (2)", "x (3)"] and t.columns[-2:] == ["x (10000)", "y (2)"]
    assert len(set(t.columns)) == 10_001
    assert len(fits) <= 2 * 10_001  # each name tried once or twice, not k times for the k-th


# --------------------------------------------------------------------------- what a project holds


def test_long_header_names_are_shortened_to_what_a_project_holds(tmp_path):
    question = "How satisfied are you with the service you received? " * 5  # 265 characters
    header = f"id,{question}A,{question}B,{'n' * 200},{'label ' * 40}"
    rows = "".join(f"{i},{i % 5},{i % 3},{i * 2},{'ab'[i % 2]}\n" for i in range(8))
    path = write(tmp_path, header + "\n" + rows)
    table = read_csv_table(path)
    first, second, exact, target = table.columns[1:]
    assert first == question[:199] + "…" and len(first) == 200
    assert second == question[:195] + "… (2)" and len(second) == 200  # kept apart
    assert exact == "n" * 200  # fits: not shortened
    assert target == ("label " * 40)[:199] + "…"
    assert table.shortened == {first: 266, second: 266, target: 239}
    data, info = build_inline_data(table, [first, second, exact], target, "binary", True)
    assert data.feature_names == [first, second, exact] and data.target_name == target
    shortened = [note for note in info.notes if "shortened" in note]
    assert shortened == [
        f"The name of column 2 has 266 characters; a project keeps 200: it is shortened to "
        f"'{question[:37]}...'.",
        f"The name of column 3 has 266 characters; a project keeps 200: it is shortened to "
        f"'{question[:37]}...'.",
        "The name of column 5 has 239 characters; a project keeps 200: it is shortened to "
        "'label label label label label label l...'.",
    ]
    # The project that holds them saves and loads again.
    project = _project_for(data)
    project.save(tmp_path / "survey.json")
    assert Project.load(tmp_path / "survey.json").data.feature_names == [first, second, exact]


def test_data_too_large_for_a_project_file(tmp_path, monkeypatch):
    table = read_csv_table(write(tmp_path, _rows(12)))
    data, _ = build_inline_data(table, ["age", "height"], "label", "binary", True)
    size = len(csv_import.dumps({"data": data.to_dict()}).encode("utf-8"))
    reserve = csv_import.PROJECT_RESERVE_BYTES
    # The bound from the counts is over the budget, the data itself just fits: measured, kept.
    monkeypatch.setattr(csv_import, "MAX_FILE_BYTES", reserve + size)
    build_inline_data(table, ["age", "height"], "label", "binary", True)
    monkeypatch.setattr(csv_import, "MAX_FILE_BYTES", reserve + size - 1)
    with pytest.raises(ProjectError) as info:
        build_inline_data(table, ["age", "height"], "label", "binary", True)
    assert str(info.value) == (
        f"{table.path}: the data takes 0.0 MB in a project file, which holds 0.0 MB of data "
        "at most (choose fewer columns or rows)"
    )
