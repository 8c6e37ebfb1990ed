"""Properties of read_csv and read_features_csv on generated files: any text gives a valid table or
CSVError and nothing else, within memory proportional to the file; a generated table reads back
exactly in the dtype asked for, or its first bad cell is named by line and column.

Examples per test: the Hypothesis profile in conftest.py (NUMPY_MLP_HYPOTHESIS_EXAMPLES).
"""

import math
import re

import numpy as np
import pytest
from helpers import peak_allocation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from numpy_mlp.datasets import CSVError, read_csv, read_features_csv
from numpy_mlp.datasets.csv import MISSING_MARKERS

# Parsing keeps a Python string per cell and a list per row: tens of bytes for each byte of a
# file of one-character cells. A bound on the order of the file, not on anything it claims.
BYTES_PER_FILE_BYTE = 200
OVERHEAD_BYTES = 64 << 10

# Each example writes its file over the same path: the fixture's folder is not per example.
file_settings = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module", autouse=True)
def warm_up(tmp_path_factory):
    """One read before any measured one: the first read in a process loads the text codecs and
    the csv module's state (about 54 KB, once), which is no part of what a file costs."""
    path = tmp_path_factory.mktemp("warm-up") / "table.csv"
    path.write_text("a,b\n1,2\n")
    read_all(path, "b", np.float64)

# Characters that make CSV interesting: separators, quotes, line ends, parts of numbers and of
# the missing markers, a byte-order mark, a NUL, and a letter outside ASCII.
CSV_CHARACTERS = st.sampled_from(list(',"\n\r .-+e0123456789aAnNifx?\ufeff\x00é'))


def read_all(path, target: str, dtype) -> list:
    """The outcomes of read_csv and read_features_csv, a CSVError standing as a value."""
    outcomes = []
    for read in (lambda: read_csv(path, target, dtype=dtype), lambda: read_features_csv(path, dtype=dtype)):
        try:
            outcomes.append(read())
        except CSVError as error:
            assert str(error).startswith(str(path)) and "\n" not in str(error)
            outcomes.append(error)
    return outcomes


def read_all_within(path, target: str, dtype, file_bytes: int) -> list:
    outcomes = []
    peak = peak_allocation(lambda: outcomes.extend(read_all(path, target, dtype)))
    bound = BYTES_PER_FILE_BYTE * file_bytes + OVERHEAD_BYTES
    assert peak <= bound, f"peak allocation {peak} bytes for a {file_bytes}-byte file"
    return outcomes


def assert_valid(outcomes, dtype) -> None:
    """Each outcome a CSVError or a table of finite ``dtype`` features with one label per row."""
    table, features = outcomes
    if not isinstance(table, CSVError):
        X, y, names = table
        assert X.dtype == dtype and X.shape == (len(y), len(names)) and np.all(np.isfinite(X))
    if not isinstance(features, CSVError):
        assert features.dtype == dtype and features.ndim == 2 and np.all(np.isfinite(features))


@file_settings
@given(st.text(CSV_CHARACTERS, max_size=300), st.sampled_from([np.float32, np.float64]))
def test_any_text_gives_a_table_or_a_csv_error(tmp_path, text, dtype):
    path = tmp_path / "any.csv"
    path.write_text(text, encoding="utf-8", newline="")
    target = text.split(",")[0].split("\n")[0].strip()  # the first column, when there is one
    assert_valid(read_all_within(path, target or "x", dtype, len(text.encode())), dtype)


@file_settings
@given(st.binary(max_size=300))
def test_any_bytes_give_a_table_or_a_csv_error(tmp_path, content):
    path = tmp_path / "bytes.csv"
    path.write_bytes(content)
    assert_valid(read_all_within(path, "x", np.float64, len(content)), np.float64)


# A feature cell: a number across float32's and float64's ranges, or text that is not one.
NUMBERS = st.one_of(st.floats(allow_nan=False, allow_infinity=False, width=32),
                    st.floats(min_value=-1e300, max_value=1e300),
                    st.sampled_from([3.4028235e38, 3.4028236e38, -3.5e38, 1e39, 5e-324]))
CELLS = st.one_of(NUMBERS.map(repr), NUMBERS.map(lambda value: f"{value:.6e}"),
                  st.sampled_from(["inf", "-inf", "", "NA", "?", " nan ", "1,5", "abc", "0x10"]))


@st.composite
def tables(draw):
    """(names, rows of cell texts, target column index): a well-formed header and ragged-free rows."""
    names = draw(st.lists(st.sampled_from(["a", "b", "x_1", "height", "Weight", "label", "nan", "é"]),
                          min_size=2, max_size=5, unique=True))
    rows = draw(st.lists(st.lists(CELLS, min_size=len(names), max_size=len(names)), min_size=1, max_size=8))
    target = draw(st.integers(0, len(names) - 1))
    for row in rows:
        row[target] = draw(st.sampled_from(["0", "1", "yes"]))
    return names, rows, target


def render(names, rows) -> str:
    quote = lambda cell: f'"{cell}"' if "," in cell else cell  # noqa: E731
    return "\n".join(",".join(map(quote, line)) for line in [names, *rows]) + "\n"


def first_bad_cell(names, rows, columns, dtype):
    """(line, column name) of the first cell, row by row in file order, that is not a finite ``dtype`` number."""
    for line, row in enumerate(rows, start=2):
        for column in columns:
            cell = row[column]
            try:
                value = float(cell)
            except ValueError:
                return line, names[column]
            if cell.strip().lower() in MISSING_MARKERS or not math.isfinite(value):
                return line, names[column]
            with np.errstate(over="ignore"):
                if not np.isfinite(np.dtype(dtype).type(value)):
                    return line, names[column]
    return None


@file_settings
@given(tables(), st.sampled_from([np.float32, np.float64]))
def test_a_table_reads_back_exactly_or_names_its_first_bad_cell(tmp_path, table, dtype):
    names, rows, target = table
    path = tmp_path / "table.csv"
    path.write_text(render(names, rows), encoding="utf-8")
    columns = [i for i in range(len(names)) if i != target]
    outcome = read_all(path, names[target], dtype)[0]
    bad = first_bad_cell(names, rows, columns, dtype)
    if bad is None:
        X, _, feature_names = outcome
        assert feature_names == [names[i] for i in columns]
        expected = np.array([[float(row[i]) for i in columns] for row in rows]).astype(dtype)
        np.testing.assert_array_equal(X, expected)
        assert X.dtype == dtype
    else:
        line, column = bad
        assert isinstance(outcome, CSVError), f"expected an error at line {line}, column {column!r}"
        assert re.match(rf"{re.escape(str(path))}, line {line}: (missing value in )?column {column!r}", str(outcome))


@file_settings
@given(tables(), st.data())
def test_a_truncated_or_flipped_table_gives_a_table_or_a_csv_error(tmp_path, table, data):
    names, rows, target = table
    content = bytearray(render(names, rows).encode())
    content = content[:data.draw(st.integers(0, len(content)), label="cut")]
    for _ in range(data.draw(st.integers(0, 3), label="flips")):
        if content:
            position = data.draw(st.integers(0, len(content) - 1), label="position")
            content[position] ^= data.draw(st.integers(1, 255), label="mask")
    path = tmp_path / "damaged.csv"
    path.write_bytes(bytes(content))
    assert_valid(read_all_within(path, names[target], np.float32, len(content)), np.float32)
