"""Checks at the library's boundary: arguments and arrays are validated once, with errors
that name the problem; the inner loops then trust their arrays (scikit-learn's habit)."""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def check_int(value, name: str, minimum: int) -> int:
    """``value`` as an int >= ``minimum``, or a TypeError/ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        wanted = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {wanted}, got {value}")
    return int(value)


def check_float(value, name: str, positive: bool) -> float:
    """``value`` as a finite float, > 0 (``positive``) or >= 0, or an error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not (math.isfinite(value) and (value > 0 if positive else value >= 0)):
        wanted = "a positive finite number" if positive else "a finite number >= 0"
        raise ValueError(f"{name} must be {wanted}, got {value}")
    return float(value)


def check_positive_int(value, name: str) -> int:
    """``value`` as an int >= 1."""
    return check_int(value, name, 1)


def check_non_negative_int(value, name: str) -> int:
    """``value`` as an int >= 0."""
    return check_int(value, name, 0)


def check_positive_float(value, name: str) -> float:
    """``value`` as a finite float > 0."""
    return check_float(value, name, positive=True)


def check_non_negative_float(value, name: str) -> float:
    """``value`` as a finite float >= 0."""
    return check_float(value, name, positive=False)


def check_decay_factor(value, name: str) -> float:
    """A factor in (0, 1] that multiplies the rate (1 keeps it constant)."""
    value = check_positive_float(value, name)
    if value > 1:
        raise ValueError(f"{name} must be in (0, 1] so that the rate decays, got {value}")
    return value


def check_fraction(value, name: str) -> float:
    """``value`` as a float in [0, 1) (a decay rate such as a beta or a momentum)."""
    value = check_non_negative_float(value, name)
    if value >= 1:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return value


def check_open_fraction(value, name: str) -> float:
    """``value`` as a float in (0, 1) (a share of the samples, such as validation_split)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1:
        raise ValueError(f"{name} must be a fraction in (0, 1), got {value!r}")
    return float(value)


def check_threshold(value, name: str = "threshold") -> float:
    """A decision threshold: a finite number (a probability; 0 or less predicts the class for
    every sample, more than 1 for none)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number such as 0.5, got {value!r}")
    return float(value)


def check_choice(value, name: str, choices) -> None:
    """``value`` must be one of ``choices``."""
    if value not in choices:
        listed = ", ".join(map(repr, choices[:-1])) + f" or {choices[-1]!r}"
        raise ValueError(f"{name} must be {listed}, got {value!r}")


def check_dtype(dtype) -> np.dtype:
    """float32 or float64, the two dtypes a model may compute in."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from None
    if dtype not in FLOAT_DTYPES:
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    return dtype


def to_array(data) -> np.ndarray:
    """``data`` as a NumPy array; a pandas DataFrame or Series through its ``to_numpy``.

    pandas is not a dependency: it is recognised by that method alone.
    """
    return np.asarray(data.to_numpy() if hasattr(data, "to_numpy") else data)


def column_names(data) -> list[str] | None:
    """The column names of a pandas DataFrame, as strings (as scikit-learn keeps them); else None."""
    return [str(name) for name in data.columns] if hasattr(data, "columns") else None


def _cell(index) -> str:
    """'row i, column j' for a 2-D index (or 'row i' for a 1-D one)."""
    return ", ".join(f"{name} {position}" for name, position in zip(("row", "column"), index))


def first_bad_cell(mask: np.ndarray) -> str:
    """'row i, column j' of the first True in a 2-D mask (or 'row i' in a 1-D one)."""
    return _cell(np.argwhere(mask)[0])


def _is_missing(value) -> bool:
    """None, or pandas' NA and NaT (checked by type name: pandas is not a dependency).

    (An array's None becomes NaN in astype(float); pandas' NA refuses to, and lands here.)
    """
    return value is None or type(value).__name__ in ("NAType", "NaTType")


def _describe_non_numeric(array: np.ndarray, name: str) -> str:
    """Why ``array`` does not convert to floats: its first missing or non-numeric cell, and where."""
    for index in np.ndindex(array.shape):
        value = array[index]
        value = value.item() if isinstance(value, np.generic) else value  # 'x', not np.str_('x')
        if _is_missing(value):
            return (f"{name} has a missing value ({value!r} at {_cell(index)}); fill or drop the "
                    "missing values first")
        try:
            float(value)
        except OverflowError:
            return f"{name} has a value too large for float64 (at {_cell(index)})"
        except (TypeError, ValueError):
            return (f"{name} has non-numeric values ({value!r:.40} at {_cell(index)}); convert or encode "
                    "every feature as numbers first")
    return f"{name} has non-numeric values; convert or encode every feature as numbers first"


def _is_sparse(data) -> bool:
    """A SciPy sparse matrix or array, recognised by its module (SciPy is not a dependency)."""
    return type(data).__module__.startswith("scipy.sparse")


def _reshape_hint(name: str, length: int, n_features: int | None) -> str:
    """How to make a 1-D array of ``length`` values 2-D, for a model of ``n_features`` features."""
    if n_features == 1:
        return f"use {name}.reshape(-1, 1) for a single feature"
    if n_features is not None and length == n_features:
        return f"for a single sample use {name}.reshape(1, -1)"
    return f"use {name}.reshape(-1, 1) for a single feature, or {name}.reshape(1, -1) for a single sample"


def check_features(X, dtype=np.float32, n_features: int | None = None, name: str = "X",
                   return_range: bool = False):
    """X as a C-contiguous 2-D array of ``dtype``, shape (n_samples, n_features).

    Accepts lists, NumPy arrays and pandas DataFrames. Raises ValueError for non-numeric
    values, NaN or infinity (or a value too large for ``dtype``), empty input, a wrong number
    of dimensions or of features, and TypeError for a SciPy sparse matrix. With
    ``return_range``, returns (features, (smallest, largest)).
    """
    if _is_sparse(X):
        raise TypeError(f"{name} is a SciPy sparse matrix: sparse input is not supported; use {name}.toarray() "
                        "(a dense array of the same values)")
    array = to_array(X)  # a mixed-dtype DataFrame becomes an object array, converted below
    if array.dtype.kind == "c":
        raise ValueError(f"{name} holds complex numbers ({array.dtype}); a model's features are real: "
                         f"pass {name}.real or np.abs({name}) if that is what you mean")
    if array.dtype.kind in "OUSV":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(_describe_non_numeric(array, name)) from None
    elif array.dtype.kind not in "biuf":
        raise ValueError(f"{name} has values of type {array.dtype}, not numbers")
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape})")
    if array.ndim == 1:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got a 1-D array of "
                         f"length {array.shape[0]}; {_reshape_hint(name, len(array), n_features)}")
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {array.shape}")
    if n_features is not None and array.shape[1] != n_features:
        raise ValueError(f"{name} has {array.shape[1]} features, but the model expects {n_features}")
    with np.errstate(over="ignore"):  # a value too large for dtype becomes infinity: caught below
        features = np.ascontiguousarray(array, dtype=dtype)
    # Two passes without a temporary: a NaN or infinity makes the smallest or largest value one.
    lowest, highest = float(features.min()), float(features.max())
    if not (math.isfinite(lowest) and math.isfinite(highest)):
        where = np.argwhere(~np.isfinite(features))[0]
        if np.isfinite(array[tuple(where)]):
            raise ValueError(f"{name} has a value too large for {np.dtype(dtype).name} (at {_cell(where)})")
        raise ValueError(f"{name} contains NaN or infinity (at {_cell(where)})")
    return (features, (lowest, highest)) if return_range else features


class FeatureRangeWarning(UserWarning):
    """Features far outside the range a model was trained on: most likely scaled differently."""


#: how far outside the training range, in multiples of its width, features trigger the warning
FEATURE_RANGE_TOLERANCE = 10.0


def warn_if_far_outside(feature_range, trained_range, name: str = "X") -> None:
    """Warn (FeatureRangeWarning) when ``feature_range`` = (smallest, largest) reaches more than
    FEATURE_RANGE_TOLERANCE times the width of ``trained_range`` = (low, high) beyond it: data
    prepared differently from the training data (raw 0-255 pixels given to a model trained on
    pixels / 255) gives confident nonsense."""
    low, high = trained_range
    width = high - low if high > low else max(abs(high), 1.0)
    lowest, highest = feature_range
    margin = FEATURE_RANGE_TOLERANCE * width
    if lowest < low - margin or highest > high + margin:
        warnings.warn(f"{name}'s values lie in [{lowest:g}, {highest:g}], far outside [{low:g}, {high:g}], "
                      "the range the model was trained on: were they prepared the same way as the "
                      "training data (for instance, pixels divided by 255)?", FeatureRangeWarning, stacklevel=4)


def check_labels(y, n_samples: int, name: str = "y") -> np.ndarray:
    """y as a 1-D array of n_samples labels (a column vector is flattened)."""
    labels = to_array(y)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise ValueError(f"{name} must be 1-D or a single column, got shape {labels.shape}")
    if labels.size == 0:
        raise ValueError(f"{name} is empty")
    check_same_length(n_samples, len(labels), name)
    check_finite_labels(labels, name)
    if labels.dtype.kind == "O":
        check_one_label_type(labels, name)
    return labels


def check_one_label_type(labels: np.ndarray, name: str = "y") -> None:
    """Object labels must be all strings or all numbers: a mix has no order to sort classes by."""
    first = {}
    for label in labels:
        first.setdefault("string" if isinstance(label, (str, bytes)) else "number", label)
    if len(first) > 1:
        raise ValueError(f"{name} mixes strings and numbers as labels (such as {first['string']!r} and "
                         f"{first['number']!r}); make every label a string or every label a number")


def check_finite_labels(labels: np.ndarray, name: str = "y") -> None:
    """Float labels (or object labels holding floats) must be finite."""
    if labels.dtype.kind == "f":
        bad = ~np.isfinite(labels)
    elif labels.dtype.kind == "O":
        bad = np.array([isinstance(v, float) and not math.isfinite(v) or v is None for v in labels.ravel()])
        bad = bad.reshape(labels.shape)
    else:
        return
    if bad.any():
        raise ValueError(f"{name} contains NaN, infinity or missing values (at {first_bad_cell(bad)})")


def check_same_length(n_samples: int, n_labels: int, name: str = "y") -> None:
    if n_samples != n_labels:
        raise ValueError(f"X has {n_samples} samples but {name} has {n_labels}; they must match")


def check_sample_weight(weights, n_samples: int, name: str = "sample_weight") -> np.ndarray:
    """Sample weights as a 1-D float64 array of ``n_samples`` finite numbers >= 0."""
    array = to_array(weights)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers, got values of type {array.dtype}")
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, one weight per sample, got shape {array.shape}")
    check_same_length(n_samples, len(array), name)
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity (at {first_bad_cell(~np.isfinite(array))})")
    if (array < 0).any():
        raise ValueError(f"{name} must be >= 0, but has {array[array < 0][0]:g} (at {first_bad_cell(array < 0)})")
    return array
