"""The CSV reader and writer of numpy_mlp.datasets."""

import csv
import io
import os

import numpy as np
import pytest

from numpy_mlp.datasets import CSVError, read_csv, read_features_csv, write_csv
from numpy_mlp.datasets.csv import read_csv_table


def write(tmp_path, text, name="data.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def test_reads_features_labels_and_names(tmp_path):
    path = write(tmp_path, "height,label,weight\n1.5,0,60\n1.8,1,80.5\n-2e-3,1,0\n")
    X, y, names = read_csv(path, "label")
    assert names == ["height", "weight"]
    assert X.dtype == np.float64 and X.shape == (3, 2)
    np.testing.assert_array_equal(X, [[1.5, 60.0], [1.8, 80.5], [-0.002, 0.0]])
    assert y.dtype.kind == "i" and y.tolist() == [0, 1, 1]


def test_string_labels_stay_strings(tmp_path):
    path = write(tmp_path, "x,answer\n1,yes\n2, no\n3,yes\n")
    _, y, _ = read_csv(path, "answer")
    assert y.dtype.kind == "U" and y.tolist() == ["yes", "no", "yes"]  # spaces stripped


def test_numeric_labels(tmp_path):
    integral = write(tmp_path, "x,y\n1,1.0\n2,-1\n3,2e0\n", "integral.csv")
    assert read_csv(integral, "y")[1].tolist() == [1, -1, 2]
    fractional = write(tmp_path, "x,y\n1,0.5\n2,1\n", "fractional.csv")
    labels = read_csv(fractional, "y")[1]
    assert labels.dtype.kind == "f" and labels.tolist() == [0.5, 1.0]
    mixed = write(tmp_path, "x,y\n1,1\n2,b\n", "mixed.csv")
    assert read_csv(mixed, "y")[1].tolist() == ["1", "b"]


def test_quotes_byte_order_mark_blank_lines_and_spaces(tmp_path):
    text = '\ufeff"a", b ,target\n\n" 1.0",2,"x, y"\n   \n3 , 4,z\n'
    X, y, names = read_csv(write(tmp_path, text), "target")
    assert names == ["a", "b"]
    np.testing.assert_array_equal(X, [[1.0, 2.0], [3.0, 4.0]])
    assert y.tolist() == ["x, y", "z"]


def test_windows_line_endings(tmp_path):
    X, y, _ = read_csv(write(tmp_path, "a,t\r\n1,0\r\n2,1\r\n"), "t")
    assert X.ravel().tolist() == [1.0, 2.0] and y.tolist() == [0, 1]


@pytest.mark.parametrize("text, target, message", [
    ("a,b,label\n1,2,0\n", "class", r"data.csv, line 1: no column named 'class'; the columns are: a, b, label"),
    ("a,b,label\n1,2,0\n3,x7,1\n", "label", r"data.csv, line 3: column 'b' has the non-numeric value 'x7'"),
    ("a,b,label\n1,2,0\n\n3,4\n", "label", r"data.csv, line 4: 2 fields, but the header has 3"),
    ("a,b,label\n1,2,0\n3,4,1,9\n", "label", r"data.csv, line 3: 4 fields, but the header has 3"),
    ("", "label", r"data.csv: the file is empty"),
    ("a,b,label\n", "label", r"data.csv: no data rows after the header line"),
    ("a,b,label\n\n\n", "label", r"data.csv: no data rows"),
    ("a,b,label\n1,,0\n", "label", r"data.csv, line 2: missing value in column 'b'"),
    ("a,b,label\n1,2,0\n1,NA,0\n", "label", r"data.csv, line 3: missing value in column 'b' \('NA'\)"),
    ("a,b,label\n1,2,0\n1,nan,0\n", "label", r"line 3: missing value in column 'b'"),
    ("a,b,label\n1,inf,0\n", "label", r"line 2: column 'b' has the value 'inf'; features must be finite"),
    ("a,b,label\n1,2,0\n1,2,\n", "label", r"data.csv, line 3: missing value in the target column 'label'"),
    ("a,a,label\n1,2,0\n", "label", r"line 1: the column name 'a' appears twice"),
    ("a,,label\n1,2,0\n", "label", r"line 1: column 2 has no name"),
    ("label\n0\n1\n", "label", r"the only column is the target"),
    ('a,label\n1,0\n"2,1\n', "label", r"data.csv, line 3"),  # an unclosed quote runs to the end
])
def test_errors_name_the_file_and_line(tmp_path, text, target, message):
    path = write(tmp_path, text)
    with pytest.raises(CSVError, match=message) as error:
        read_csv(path, target)
    assert "\n" not in str(error.value)
    assert str(error.value).startswith(str(path))
    assert isinstance(error.value, ValueError)


def test_line_numbers_count_quoted_line_breaks(tmp_path):
    path = write(tmp_path, 'a,label\n1,"two\nlines"\n2,x\nbad,y\n')
    with pytest.raises(CSVError, match="line 5: column 'a'"):
        read_csv(path, "label")


def test_a_row_spanning_lines_is_named_by_its_first_line(tmp_path):
    path = write(tmp_path, 'a,label\n1,0\n"x\ny",1\n')
    with pytest.raises(CSVError, match=r"line 3: column 'a' has the non-numeric value 'x\\ny'"):
        read_csv(path, "label")


def test_non_utf8_file_names_the_line(tmp_path):
    path = write(tmp_path, b"a,label\n1,0\n2,caf\xe9\n")
    with pytest.raises(CSVError, match="line 3: not UTF-8 text"):
        read_csv(path, "label")


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_csv(tmp_path / "nothing.csv", "label")


def test_read_features_by_name_ignores_other_columns(tmp_path):
    path = write(tmp_path, "id,b,label,a\n7,2,yes,1\n8,4,no,3\n")
    X = read_features_csv(path, ["a", "b"])
    np.testing.assert_array_equal(X, [[1.0, 2.0], [3.0, 4.0]])


def test_read_features_without_names_takes_every_column(tmp_path):
    X = read_features_csv(write(tmp_path, "a,b\n1,2\n3,4\n"))
    np.testing.assert_array_equal(X, [[1.0, 2.0], [3.0, 4.0]])


def test_read_features_missing_column(tmp_path):
    path = write(tmp_path, "a,label\n1,0\n")
    with pytest.raises(CSVError, match=r"line 1: missing feature column\(s\) 'b', 'c'; the columns are: a, label"):
        read_features_csv(path, ["a", "b", "c"])


def test_read_features_bad_cell(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n3,?\n")
    with pytest.raises(CSVError, match="line 3: missing value in column 'b'"):
        read_features_csv(path, ["a", "b"])


@pytest.mark.parametrize("cell", ["1e39", "-3.5e38", "3.4028236e38"])
def test_a_value_too_large_for_float32_names_its_line_and_column(tmp_path, cell):
    # 3.4028236e38 lies past float32's largest value by more than half a step: it rounds to inf.
    path = write(tmp_path, f"height,label,weight\n1,0,2\n\n3,1,{cell}\n")
    message = (rf"data.csv, line 4: column 'weight' has the value '{cell}', too large for float32 "
               r"\(largest: 3.4028235e\+38\)")
    with pytest.raises(CSVError, match=message):
        read_csv(path, "label", dtype=np.float32)
    with pytest.raises(CSVError, match=message):
        read_features_csv(path, ["weight", "height"], dtype=np.float32)
    assert read_csv(path, "label")[0][-1, 1] == float(cell)  # float64 holds it


def test_features_are_read_in_the_dtype_asked_for(tmp_path):
    # 3.40282356e38 is past float32's largest value by less than half a step: it rounds to it.
    path = write(tmp_path, "a,label\n0.1,0\n3.40282356e38,1\n-1e-50,1\n")
    X, _, _ = read_csv(path, "label", dtype=np.float32)
    assert X.dtype == np.float32
    np.testing.assert_array_equal(X.ravel(), np.array([0.1, 3.40282356e38, -1e-50]).astype(np.float32))
    assert read_features_csv(path, ["a"], dtype="float32").dtype == np.float32
    with pytest.raises(ValueError, match="float32 or float64"):
        read_csv(path, "label", dtype=np.int64)


def test_write_csv_round_trips_floats_exactly(tmp_path):
    values = [0.1, 1 / 3, np.float32(0.7), 1e-300, -2.5]
    path = tmp_path / "out.csv"
    write_csv(path, ["label", "p"], [[f"class {i}", value] for i, value in enumerate(values)])
    with open(path, newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["label", "p"]
    assert [row[0] for row in rows[1:]] == [f"class {i}" for i in range(5)]
    assert [float(row[1]) for row in rows[1:]] == [float(value) for value in values]
    assert os.listdir(tmp_path) == ["out.csv"]


def test_write_csv_quotes_cells_with_commas(tmp_path):
    path = tmp_path / "out.csv"
    write_csv(path, ["label"], [["a, b"], [np.int64(3)], [True]])
    assert path.read_text() == 'label\n"a, b"\n3\nTrue\n'


def test_write_csv_to_a_stream():
    stream = io.StringIO()
    write_csv(stream, ["a", "b"], [[1, 0.5]])
    assert stream.getvalue() == "a,b\n1,0.5\n"


def test_write_csv_failure_keeps_the_previous_file(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("old\n")

    def rows():
        yield ["fine"]
        raise RuntimeError("crash in the middle")

    with pytest.raises(RuntimeError):
        write_csv(path, ["x"], rows())
    assert path.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["out.csv"]


# -- read_csv_table: identifier, weight and dropped columns, other delimiters ------------------

TABLE = "id,name,height,label,weight,w\n7,ann,1.5,0,60,1\n008,bob,1.8,1,80.5,2.5\nx9,cy,-2e-3,1,0,0\n"


def test_a_table_sets_the_identifier_weight_and_dropped_columns_apart(tmp_path):
    table = read_csv_table(write(tmp_path, TABLE), "label", id_column="id", weight_column="w",
                           drop_columns=["name"])
    assert table.feature_names == ["height", "weight"]
    np.testing.assert_array_equal(table.X, [[1.5, 60.0], [1.8, 80.5], [-0.002, 0.0]])
    assert table.y.tolist() == [0, 1, 1]
    assert table.ids.tolist() == ["7", "008", "x9"]  # as written: "008" stays "008"
    assert table.sample_weight.dtype == np.float64 and table.sample_weight.tolist() == [1.0, 2.5, 0.0]


def test_a_table_without_those_columns_has_none_of_them(tmp_path):
    table = read_csv_table(write(tmp_path, "a,b\n1,2\n3,4\n"))
    assert table.feature_names == ["a", "b"] and table.y is None and table.ids is None
    assert table.sample_weight is None


def test_named_features_are_taken_in_their_order_and_the_rest_ignored(tmp_path):
    table = read_csv_table(write(tmp_path, TABLE), features=["weight", "height"], id_column="id")
    np.testing.assert_array_equal(table.X, [[60.0, 1.5], [80.5, 1.8], [0.0, -0.002]])
    assert table.ids.tolist() == ["7", "008", "x9"]


@pytest.mark.parametrize("delimiter", ["\t", ";", "|", " "])
def test_other_delimiters(tmp_path, delimiter):
    text = TABLE.replace(",", delimiter)
    table = read_csv_table(write(tmp_path, text), "label", id_column="id", drop_columns=["name", "w"],
                           delimiter=delimiter)
    assert table.feature_names == ["height", "weight"] and table.y.tolist() == [0, 1, 1]
    assert table.ids.tolist() == ["7", "008", "x9"]
    np.testing.assert_array_equal(read_features_csv(write(tmp_path, text), ["weight"], delimiter=delimiter),
                                  [[60.0], [80.5], [0.0]])


def test_the_wrong_delimiter_is_hinted_at(tmp_path):
    path = write(tmp_path, TABLE.replace(",", ";"))
    with pytest.raises(CSVError, match=r"line 1: no column named 'label'; the columns are: id;name;.*"
                                       r"\(one column: are the fields separated by ';' rather than ','\?\)"):
        read_csv_table(path, "label")


@pytest.mark.parametrize("options, message", [
    ({"id_column": "nope"}, r"line 1: no column named 'nope' \(the identifier column\); the columns are: id, name"),
    ({"weight_column": "nope"}, r"no column named 'nope' \(the weight column\)"),
    ({"drop_columns": ["name", "nope"]}, r"no column named 'nope' \(a column to drop\)"),
])
def test_a_named_column_that_is_missing_is_an_error(tmp_path, options, message):
    with pytest.raises(CSVError, match=message):
        read_csv_table(write(tmp_path, TABLE), "label", **options)


@pytest.mark.parametrize("options, message", [
    ({"id_column": "label"}, "the column 'label' is given as the target and as the identifier column"),
    ({"drop_columns": ["label"]}, "the column 'label' is given as the target and as a column to drop"),
    ({"id_column": "id", "drop_columns": ["id"]}, "'id' is given as the identifier column and as a column to drop"),
    ({"features": ["height", "id"], "id_column": "id"}, "the column 'id' is a feature and is given as the identifier"),
])
def test_a_column_given_two_roles_is_refused(tmp_path, options, message):
    with pytest.raises(ValueError, match=message):
        read_csv_table(write(tmp_path, TABLE), "label", **options)


def test_no_feature_left_is_an_error(tmp_path):
    with pytest.raises(CSVError, match="no feature columns are left: the columns id, label"):
        read_csv_table(write(tmp_path, "id,label\n1,0\n"), "label", id_column="id")


@pytest.mark.parametrize("cell, message", [
    ("heavy", r"line 3: column 'w' has the non-numeric value 'heavy'; every weight must be a number"),
    ("-1", r"line 3: column 'w' has the negative weight '-1'; weights must be >= 0"),
    ("inf", r"line 3: column 'w' has the value 'inf'; weights must be finite numbers"),
])
def test_bad_weights_name_their_line(tmp_path, cell, message):
    text = TABLE.replace("80.5,2.5", f"80.5,{cell}")
    with pytest.raises(CSVError, match=message):
        read_csv_table(write(tmp_path, text), "label", weight_column="w", drop_columns=["id", "name"])


@pytest.mark.parametrize("delimiter", ["", ";;", '"', "\n", None])
def test_a_delimiter_must_be_one_ordinary_character(tmp_path, delimiter):
    with pytest.raises(ValueError, match="the CSV delimiter must be one character"):
        read_csv_table(write(tmp_path, TABLE), delimiter=delimiter)
