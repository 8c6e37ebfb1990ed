"""CSV files with a header line: numeric features, one target column, and prediction output.

Read with the standard library's ``csv`` module. Besides the features and the target, a file
may hold columns that are not features: an identifier (kept as text, to join results back), a
sample weight, columns to leave out. Every problem is a ``CSVError`` whose one-line message
names the file and the line: the CLI prints it as it is.
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass

import numpy as np

from ..files import atomic_write
from ..validation import check_dtype

# Cells that mean "no value here" (compared after stripping spaces, ignoring case).
MISSING_MARKERS = {"", "na", "n/a", "nan", "null", "?"}


class CSVError(ValueError):
    """A CSV file that cannot be read as a table of numeric features (and a target)."""


@dataclass
class CSVTable:
    """The columns of a CSV file that a model needs, one row per data row of the file.

    X: (n_samples, n_features) features, in the order of ``feature_names``;
    y: (n_samples,) labels (strings, or ints/floats when every label is a number), or None;
    ids: (n_samples,) the identifier column's cells as written (strings), or None;
    sample_weight: (n_samples,) float64 weights >= 0, or None.
    """

    X: np.ndarray
    feature_names: list[str]
    y: np.ndarray | None = None
    ids: np.ndarray | None = None
    sample_weight: np.ndarray | None = None


def read_csv_table(path, target: str | None = None, *, features=None, dtype=np.float64, delimiter: str = ",",
                   drop_columns=(), id_column: str | None = None, weight_column: str | None = None) -> CSVTable:
    """The features, and the target, identifier and weight columns asked for, of a CSV file.

    ``features`` names the feature columns to take, in that order (other columns are ignored);
    None takes every column that is not the target, the identifier, the weight or in
    ``drop_columns``, in file order. ``dtype`` (float32 or float64) is what the features must
    fit: a value too large for it is a CSVError naming its line and column. ``delimiter`` is
    the one character between fields (``","``, ``";"``, ``"\\t"``...).
    """
    roles = _column_roles(target, drop_columns, id_column, weight_column)
    dtype = check_dtype(dtype)
    header, rows = _read_table(path, _check_delimiter(delimiter))
    for name, role in roles.items():
        if name not in header:
            which = "" if role == "the target" else f" ({role})"
            raise CSVError(f"{path}, line 1: no column named {name!r}{which}; the columns are: "
                           f"{', '.join(header)}{_delimiter_hint(header, delimiter)}")
    if features is None:
        features = [name for name in header if name not in roles]
        if not features:
            raise CSVError(f"{path}, line 1: {_no_features(header, target)}")
    clash = next((name for name in features if name in roles), None)
    if clash is not None:
        raise ValueError(f"the column {clash!r} is a feature and is given as {roles[clash]}; give it one role")
    missing = [name for name in features if name not in header]
    if missing:
        raise CSVError(f"{path}, line 1: missing feature column(s) {', '.join(map(repr, missing))}; "
                       f"the columns are: {', '.join(header)}{_delimiter_hint(header, delimiter)}")
    X = _parse_features(path, header, rows, [header.index(name) for name in features], dtype)
    y = None if target is None else _parse_labels(path, target, rows, header.index(target))
    ids = None if id_column is None else np.array([row[header.index(id_column)] for _, row in rows])
    weights = None if weight_column is None else _parse_weights(path, header, rows, weight_column)
    return CSVTable(X, list(features), y, ids, weights)


def read_csv(path, target: str, dtype=np.float64, delimiter: str = ",") -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Features, labels and feature names from a CSV file with a header line.

    Returns X, ``dtype`` (float32 or float64) of shape (n_samples, n_features), the columns
    other than ``target`` in file order; y, shape (n_samples,), the target column's labels
    (strings, or ints/floats when every label is a number); and the feature names. A feature
    too large for ``dtype`` is a CSVError naming its line and column. ``read_csv_table`` also
    sets identifier, weight and unused columns apart.
    """
    table = read_csv_table(path, target, dtype=dtype, delimiter=delimiter)
    return table.X, table.y, table.feature_names


def read_features_csv(path, feature_names=None, dtype=np.float64, delimiter: str = ",") -> np.ndarray:
    """The columns ``feature_names`` of a CSV file, in that order, as ``dtype`` (n_samples, n_features).

    Other columns (a target column, identifiers) are ignored. With ``feature_names=None``
    every column is a feature. ``dtype`` is float32 or float64: a value too large for it is
    a CSVError naming its line and column.
    """
    return read_csv_table(path, features=feature_names, dtype=dtype, delimiter=delimiter).X


def _column_roles(target, drop_columns, id_column, weight_column) -> dict[str, str]:
    """Each column that is not a feature, with its role in words; a column given two roles is a ValueError."""
    named = [(target, "the target"), (id_column, "the identifier column"), (weight_column, "the weight column")]
    named += [(name, "a column to drop") for name in drop_columns]
    roles = {}
    for name, role in named:
        if name is None:
            continue
        if name in roles:
            raise ValueError(f"the column {name!r} is given as {roles[name]} and as {role}; give it one role")
        roles[name] = role
    return roles


def _no_features(header: list[str], target) -> str:
    if header == [target]:
        return f"the only column is the target {target!r}; there are no features"
    return (f"no feature columns are left: the columns {', '.join(header)} are all the target, the "
            "identifier, the weight or dropped")


def _check_delimiter(delimiter) -> str:
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\"\r\n":
        raise ValueError(f"the CSV delimiter must be one character other than a quote or a line break, "
                         f"got {delimiter!r}")
    return delimiter


def _delimiter_hint(header: list[str], delimiter: str) -> str:
    """A hint when the header is one column holding another common delimiter: the wrong one was given."""
    if len(header) != 1:
        return ""
    for other in (",", ";", "\t", "|"):
        if other != delimiter and other in header[0]:
            return f" (one column: are the fields separated by {other!r} rather than {delimiter!r}?)"
    return ""


def write_csv(destination, header, rows) -> None:
    """Write a header and rows as CSV to a path (atomically) or to an open text stream.

    Floats are written with ``repr``, the shortest text that reads back as the same number.
    """
    def write_rows(stream):
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([_format_cell(cell) for cell in row] for row in rows)

    if hasattr(destination, "write"):
        write_rows(destination)
        return

    def write_binary(file):
        # atomic_write hands over a binary file; detach so closing the wrapper leaves it open.
        text = io.TextIOWrapper(file, encoding="utf-8", newline="")
        write_rows(text)
        text.flush()
        text.detach()

    atomic_write(destination, write_binary)


def _format_cell(cell) -> str:
    if isinstance(cell, (float, np.floating)):
        return repr(float(cell))
    if isinstance(cell, np.generic):
        return str(cell.item())
    return str(cell)


def _read_table(path, delimiter: str = ",") -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header (names stripped) and the data rows, each with its line number; blank lines skipped."""
    path = os.fspath(path)
    rows = []
    reader = None
    try:
        # utf-8-sig: spreadsheet programs often start the file with a byte-order mark.
        with open(path, newline="", encoding="utf-8-sig") as file:
            reader = csv.reader(file, delimiter=delimiter)
            header = next(reader, None)
            if header is None:
                raise CSVError(f"{path}: the file is empty; expected a header line with the column names")
            header = [name.strip() for name in header]
            _check_header(path, header)
            end_of_previous_row = reader.line_num
            for row in reader:
                # A quoted cell may span lines: a row's number is the line where it starts.
                line, end_of_previous_row = end_of_previous_row + 1, reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) != len(header):
                    raise CSVError(f"{path}, line {line}: {len(row)} fields, but the header has "
                                   f"{len(header)}")
                rows.append((line, row))
    except UnicodeDecodeError as error:
        raise CSVError(f"{path}, line {_first_undecodable_line(path)}: not UTF-8 text "
                       f"({error.reason})") from None
    except csv.Error as error:
        raise CSVError(f"{path}, line {reader.line_num if reader else 1}: {error}") from None
    if not rows:
        raise CSVError(f"{path}: no data rows after the header line")
    return header, rows


def _first_undecodable_line(path) -> int:
    """The number of the first line that is not UTF-8 (the decoder reads in chunks, so it cannot say)."""
    with open(path, "rb") as file:
        for number, line in enumerate(file, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 1


def _check_header(path, header: list[str]) -> None:
    for position, name in enumerate(header, start=1):
        if not name:
            raise CSVError(f"{path}, line 1: column {position} has no name; the first line must "
                           "be a header naming every column")
    seen = set()
    for name in header:
        if name in seen:
            raise CSVError(f"{path}, line 1: the column name {name!r} appears twice")
        seen.add(name)


def _parse_features(path, header, rows, indices, dtype: np.dtype, kind: str = "feature") -> np.ndarray:
    """The cells at ``indices`` of every row as finite ``dtype`` values, shape (n_rows, len(indices))."""
    X = np.empty((len(rows), len(indices)), dtype=dtype)
    # A value beyond the dtype's range becomes inf here, which the finiteness check finds.
    with np.errstate(over="ignore"):
        for row_number, (line, row) in enumerate(rows):
            try:
                X[row_number] = [float(row[i]) for i in indices]
            except ValueError:
                pass  # locate the bad cell below
            else:
                if np.all(np.isfinite(X[row_number])):
                    continue
            for i in indices:
                _parse_number(path, line, header[i], row[i], dtype, kind)
    return X


def _parse_number(path, line: int, column: str, cell: str, dtype: np.dtype, kind: str = "feature") -> float:
    """One cell of a ``kind`` column (a feature, a weight) as a float finite in ``dtype``, or a
    CSVError naming the line, column and value."""
    if cell.strip().lower() in MISSING_MARKERS:
        raise CSVError(f"{path}, line {line}: missing value in column {column!r} ({cell!r}); "
                       "fill it in or remove the row")
    try:
        value = float(cell)
    except ValueError:
        raise CSVError(f"{path}, line {line}: column {column!r} has the non-numeric value {cell!r}; "
                       f"every {kind} must be a number") from None
    if not math.isfinite(value):
        raise CSVError(f"{path}, line {line}: column {column!r} has the value {cell!r}; "
                       f"{kind}s must be finite numbers")
    with np.errstate(over="ignore"):
        rounded = dtype.type(value)
    if not np.isfinite(rounded):  # beyond the dtype's largest value, it rounds to inf
        raise CSVError(f"{path}, line {line}: column {column!r} has the value {cell!r}, too large "
                       f"for {dtype.name} (largest: {np.finfo(dtype).max:.8g}); rescale the column")
    return value


def _parse_weights(path, header, rows, column: str) -> np.ndarray:
    """The weight column as float64 (n_rows,): finite numbers >= 0, else a CSVError naming the line."""
    weights = _parse_features(path, header, rows, [header.index(column)], np.dtype(np.float64), "weight")[:, 0]
    negative = np.flatnonzero(weights < 0)
    if negative.size:
        line, row = rows[negative[0]]
        raise CSVError(f"{path}, line {line}: column {column!r} has the negative weight "
                       f"{row[header.index(column)]!r}; weights must be >= 0")
    return weights


def _parse_labels(path, target: str, rows, index: int) -> np.ndarray:
    """The target column: numbers when every label is one (ints if all integral), else strings."""
    labels = []
    for line, row in rows:
        label = row[index].strip()
        if label.lower() in MISSING_MARKERS:
            raise CSVError(f"{path}, line {line}: missing value in the target column {target!r}")
        labels.append(label)
    try:
        numbers = np.array([float(label) for label in labels])
    except ValueError:
        return np.array(labels)
    if not np.all(np.isfinite(numbers)):
        return np.array(labels)  # "inf" as a label is a name, not a number
    # Integral labels become ints, unless too large for a float to hold them exactly.
    if np.all(numbers == np.round(numbers)) and np.all(np.abs(numbers) < 2.0**53):
        return numbers.astype(np.int64)
    return numbers
