"""Label mapping, regression targets, class weights and standardisation: what a model stores
besides its weights, and how targets become the arrays its loss takes."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .validation import (check_finite_labels, check_non_negative_float, check_same_length, first_bad_cell,
                         to_array)


def infer_classes(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """The ``n_classes`` labels that a network's outputs stand for, in output order.

    Integer labels 0..K-1 (or booleans, for two classes) map to themselves, so a subset
    that happens to miss a class still trains. Any other K distinct values (strings such as
    "yes"/"no", or -1/1) map to their sorted order.
    """
    distinct = np.unique(labels)
    if _are_indices(distinct, n_classes):
        dtype = labels.dtype if labels.dtype.kind in "biuf" else int
        return np.arange(n_classes).astype(dtype)
    if len(distinct) == n_classes:
        return distinct
    if n_classes == 2 and len(distinct) < 2:
        raise ValueError(f"y has only one class ({distinct.tolist()[0]!r}); a classifier needs two")
    if n_classes == 2:
        raise ValueError(f"y has {len(distinct)} classes but a single-output sigmoid network "
                         f"separates two; use output='softmax' with {len(distinct)} outputs{_regression_hint(labels)}")
    raise ValueError(f"y has {len(distinct)} distinct labels but the network has {n_classes} outputs"
                     f"{_regression_hint(labels)}")


def _are_indices(distinct: np.ndarray, n_classes: int) -> bool:
    if distinct.dtype.kind not in "biuf":
        return False
    return bool(np.all((distinct >= 0) & (distinct < n_classes) & (distinct == np.round(distinct))))


def encode_labels(labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Each label's index in ``classes``; a ValueError names a label the model never saw."""
    order = np.argsort(classes)
    positions = np.searchsorted(classes, labels, sorter=order).clip(0, len(classes) - 1)
    indices = order[positions]
    unknown = classes[indices] != labels
    if np.any(unknown):
        raise ValueError(f"y has label {labels[unknown].tolist()[0]!r}, which is not one of the "
                         f"model's classes {classes.tolist()}")
    return indices


def check_multilabel_targets(y, n_samples: int, n_outputs: int) -> np.ndarray:
    """A (n, k) 0/1 target matrix for k independent sigmoid outputs."""
    targets = to_array(y)
    if targets.shape != (n_samples, n_outputs):
        raise ValueError(f"y must have shape ({n_samples}, {n_outputs}) for a network with "
                         f"{n_outputs} sigmoid outputs, got {targets.shape}")
    if targets.dtype.kind not in "biuf":
        raise ValueError("y must hold 0/1 values for a multi-label network")
    check_finite_labels(targets)
    if not np.all((targets == 0) | (targets == 1)):
        raise ValueError("y must hold only 0 and 1 for a multi-label (several sigmoid outputs) network")
    return targets


#: numeric labels with more distinct values than this ...
MAX_CLASSES_UNASKED = 20
#: ... and fewer samples per distinct value than this, on average, look like a continuous target
MIN_SAMPLES_PER_CLASS = 3


def continuous_description(labels: np.ndarray) -> str | None:
    """Why numeric labels look like a continuous target rather than classes, or None: a value
    that is not a whole number, or more than MAX_CLASSES_UNASKED distinct values with fewer than
    MIN_SAMPLES_PER_CLASS samples each on average (a disease's progression measured on 442
    patients, 214 distinct values, is not 214 classes)."""
    if labels.dtype.kind not in "iuf" or labels.size == 0:
        return None
    distinct = np.unique(labels)
    fractional = distinct[distinct != np.round(distinct)]
    if len(fractional):
        return f"{len(distinct)} distinct values in {len(labels)} samples, such as {fractional[0].item()!r}"
    if len(distinct) > MAX_CLASSES_UNASKED and len(labels) < MIN_SAMPLES_PER_CLASS * len(distinct):
        return (f"{len(distinct)} distinct values in {len(labels)} samples, from {distinct[0].item()!r} "
                f"to {distinct[-1].item()!r}")
    return None


REGRESSION_ADVICE = ("for regression build MLP(..., output='linear') or MLP.for_targets (on the command line: "
                     "--task regression)")


def _regression_hint(labels: np.ndarray) -> str:
    """'; if y is continuous...' when the labels look continuous, else ''."""
    description = continuous_description(labels)
    return "" if description is None else f". y looks like a continuous target ({description}): {REGRESSION_ADVICE}"


def refuse_continuous_labels(labels: np.ndarray, name: str = "y") -> None:
    """A ValueError pointing to regression for numeric labels that look continuous
    (``continuous_description``)."""
    description = continuous_description(labels)
    if description is not None:
        raise ValueError(f"{name} looks like a continuous target, not class labels ({description}): "
                         f"{REGRESSION_ADVICE}; if they really are classes, encode them as integers or strings")


def check_regression_targets(y, n_samples: int | None = None, n_outputs: int | None = None,
                             dtype=np.float64, name: str = "y") -> np.ndarray:
    """A regressor's targets as a (n, k) array of ``dtype`` (y of shape (n,) gives k = 1),
    numeric and finite, with ``n_samples`` rows and ``n_outputs`` columns when given."""
    targets = to_array(y)
    if targets.dtype.kind in "OUS":
        try:
            targets = targets.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must hold numbers for a regressor (output='linear')") from None
    elif targets.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers for a regressor, got values of type {targets.dtype}")
    if targets.ndim == 1:
        targets = targets.reshape(-1, 1)
    if targets.ndim != 2 or targets.size == 0:
        raise ValueError(f"{name} must be 1-D (one target) or 2-D (one column per target), got shape {targets.shape}")
    if n_samples is not None:
        check_same_length(n_samples, len(targets), name)
    if n_outputs is not None and targets.shape[1] != n_outputs:
        raise ValueError(f"{name} has {targets.shape[1]} targets per sample but the model has {n_outputs} outputs")
    with np.errstate(over="ignore"):  # a value too large for dtype becomes infinity: caught below
        targets = np.ascontiguousarray(targets, dtype=dtype)
    if not np.isfinite(targets).all():
        raise ValueError(f"{name} contains NaN or infinity, or a value too large for {np.dtype(dtype).name} "
                         f"(at {first_bad_cell(~np.isfinite(targets))})")
    return targets


def class_weight_vector(class_weight, indices: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """The weight of each of the K ``classes`` (K,), float64, for samples of class ``indices``.

    ``class_weight`` is a dict {label: weight} (a label it leaves out weighs 1) or "balanced":
    n_samples / (n_classes * count of the class), over the classes present (scikit-learn's
    formula), so that every class carries the same total weight.
    """
    weights = np.ones(len(classes))
    if isinstance(class_weight, str) and class_weight == "balanced":
        counts = np.bincount(indices, minlength=len(classes))
        present = counts > 0
        weights[present] = len(indices) / (np.count_nonzero(present) * counts[present])
        return weights
    if not isinstance(class_weight, Mapping):
        raise ValueError(f"class_weight must be 'balanced' or a dict {{label: weight}}, got {class_weight!r}")
    known = classes.tolist()
    for label, weight in class_weight.items():
        matches = [index for index, known_label in enumerate(known) if known_label == label]
        if not matches:
            raise ValueError(f"class_weight has label {label!r}, which is not one of the model's classes {known}")
        weights[matches[0]] = check_non_negative_float(weight, f"class_weight[{label!r}]")
    return weights


class Standardizer:
    """Feature scaling x' = (x - mean) / std, learned on the training data.

    A feature with zero spread keeps std = 1, so it maps to 0 instead of to NaN.
    ``mean`` and ``std`` have shape (n_features,).
    """

    def __init__(self, mean: np.ndarray | None = None, std: np.ndarray | None = None):
        self.mean, self.std = mean, std

    def fit(self, X: np.ndarray, weights: np.ndarray | None = None) -> "Standardizer":
        """Learn the mean and std of each column of X, weighted by ``weights`` (n,) when given (a
        weight of 2 counts like the row twice, as in training)."""
        # Statistics in float64, stored in X's dtype so transform keeps it.
        if weights is None:
            mean = X.mean(axis=0, dtype=np.float64)
            std = X.std(axis=0, dtype=np.float64)
        else:
            mean = np.average(X, axis=0, weights=weights.astype(np.float64))
            std = np.sqrt(np.average(np.square(X - mean), axis=0, weights=weights.astype(np.float64)))
        std[std == 0] = 1.0
        self.mean, self.std = mean.astype(X.dtype), std.astype(X.dtype)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean) / self.std

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        """x = x' * std + mean: back to the original units."""
        return X * self.std + self.mean
