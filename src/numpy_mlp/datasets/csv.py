"""CSV files with a header line: numeric features, one target column, and prediction output.

Read with the standard library's ``csv`` module. Every problem is a ``CSVError`` whose
one-line message names the file and the line: the CLI prints it as it is.
"""

from __future__ import annotations

import csv
import io
import math
import os

import numpy as np

from ..files import atomic_write
from ..validation import check_dtype

# Cells that mean "no value here" (compared after stripping spaces, ignoring case).
MISSING_MARKERS = {"", "na", "n/a", "nan", "null", "?"}


class CSVError(ValueError):
    """A CSV file that cannot be read as a table of numeric features (and a target)."""


def read_csv(path, target: str, dtype=np.float64) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Features, labels and feature names from a CSV file with a header line.

    Returns X, ``dtype`` (float32 or float64) of shape (n_samples, n_features), the columns
    other than ``target`` in file order; y, shape (n_samples,), the target column's labels
    (strings, or ints/floats when every label is a number); and the feature names. A feature
    too large for ``dtype`` is a CSVError naming its line and column.
    """
    header, rows = _read_table(path)
    if target not in header:
        raise CSVError(f"{path}, line 1: no column named {target!r}; the columns are: "
                       f"{', '.join(header)}")
    target_index = header.index(target)
    feature_indices = [i for i in range(len(header)) if i != target_index]
    if not feature_indices:
        raise CSVError(f"{path}, line 1: the only column is the target {target!r}; there are no features")
    X = _parse_features(path, header, rows, feature_indices, check_dtype(dtype))
    y = _parse_labels(path, target, rows, target_index)
    return X, y, [header[i] for i in feature_indices]


def read_features_csv(path, feature_names=None, dtype=np.float64) -> np.ndarray:
    """The columns ``feature_names`` of a CSV file, in that order, as ``dtype`` (n_samples, n_features).

    Other columns (a target column, identifiers) are ignored. With ``feature_names=None``
    every column is a feature. ``dtype`` is float32 or float64: a value too large for it is
    a CSVError naming its line and column.
    """
    header, rows = _read_table(path)
    if feature_names is None:
        feature_names = header
    missing = [name for name in feature_names if name not in header]
    if missing:
        raise CSVError(f"{path}, line 1: missing feature column(s) {', '.join(map(repr, missing))}; "
                       f"the columns are: {', '.join(header)}")
    return _parse_features(path, header, rows, [header.index(name) for name in feature_names],
                           check_dtype(dtype))


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


def _read_table(path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header (names stripped) and the data rows, each with its line number; blank lines skipped."""
    path = os.fspath(path)
    rows = []
    reader = None
    try:
        # utf-8-sig: spreadsheet programs often start the file with a byte-order mark.
        with open(path, newline="", encoding="utf-8-sig") as file:
            reader = csv.reader(file)
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


def _parse_features(path, header, rows, indices, dtype: np.dtype) -> np.ndarray:
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
                _parse_number(path, line, header[i], row[i], dtype)
    return X


def _parse_number(path, line: int, column: str, cell: str, dtype: np.dtype) -> float:
    """One feature cell as a float finite in ``dtype``, or a CSVError naming the line, column and value."""
    if cell.strip().lower() in MISSING_MARKERS:
        raise CSVError(f"{path}, line {line}: missing value in column {column!r} ({cell!r}); "
                       "fill it in or remove the row")
    try:
        value = float(cell)
    except ValueError:
        raise CSVError(f"{path}, line {line}: column {column!r} has the non-numeric value {cell!r}; "
                       "every feature must be a number") from None
    if not math.isfinite(value):
        raise CSVError(f"{path}, line {line}: column {column!r} has the value {cell!r}; "
                       "features must be finite numbers")
    with np.errstate(over="ignore"):
        rounded = dtype.type(value)
    if not np.isfinite(rounded):  # beyond the dtype's largest value, it rounds to inf
        raise CSVError(f"{path}, line {line}: column {column!r} has the value {cell!r}, too large "
                       f"for {dtype.name} (largest: {np.finfo(dtype).max:.8g}); rescale the column")
    return value


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
