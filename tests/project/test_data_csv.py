"""A project's samples as CSV (File ▸ Export ▸ Data as CSV), read back by the CSV import."""

import numpy as np
import pytest

from simulator.project import Project, load_example
from simulator.project.csv_import import build_inline_data, read_csv_table
from simulator.project.data_csv import class_labels, data_csv, export_data_csv


@pytest.mark.parametrize(
    "names,expected",
    [
        (("class 0", "class 1"), ["class 0", "class 1"]),
        (("flat", "house", "villa"), ["flat", "house", "villa"]),
        (("house", "flat"), ["0", "1"]),  # an import would number them the other way round
        (("0", "1", "2"), ["0", "1", "2"]),
        (("10", "9"), ["0", "1"]),  # numbers: written as the indices they stand for
        (("Big", "big"), ["Big", "big"]),
        (("a", "a"), ["0", "1"]),
        ((" a", "b"), ["0", "1"]),  # the import strips spaces
    ],
)
def test_classes_are_written_by_name_only_when_the_import_numbers_them_alike(names, expected):
    assert class_labels(names) == expected


def test_digits_round_trip_with_their_64_columns(tmp_path):
    project = load_example("digits")
    data = project.build_data()
    path = tmp_path / "digits.csv"
    export_data_csv(project, path, data)
    table = read_csv_table(path)
    assert table.columns[0] == "split" and len(table.columns) == 66
    assert table.guess_target() == "y" and table.guess_task("y") == "multiclass"
    spec, info = build_inline_data(table, table.columns[1:-1], "y", "multiclass", False)
    assert spec.X.tobytes() == data.dataset.X.tobytes()
    np.testing.assert_array_equal(spec.y, data.dataset.y)
    assert info.class_names == tuple(data.dataset.class_names)


def test_only_the_drawn_points_exports_them_alone():
    doc = load_example("xor").to_dict()
    doc["data"]["drawn"] = {"X": [[1.0, 2.0], [-1.5, 0.25]], "y": [1, 0], "only": True}
    text = data_csv(Project.from_dict(doc))
    assert text == ("split,x1,x2,y\ntrain,1.0,2.0,class 1\ntrain,-1.5,0.25,class 0\n")


def test_a_column_named_split_keeps_its_name(tmp_path):
    source = tmp_path / "s.csv"
    source.write_text("split,y\n" + "".join(f"{i * 0.5!r},{i % 2}\n" for i in range(8)))
    table = read_csv_table(source)
    spec, _ = build_inline_data(table, ["split"], "y", "binary", standardize=False)
    project = load_example("xor")
    net = project.to_dict()["network"]
    doc = project.to_dict()
    doc["data"] = spec.to_dict()
    net["sizes"][0] = 1
    doc["network"] = net
    text = data_csv(Project.from_dict(doc))
    assert text.splitlines()[0] == "split_,split,y"
