"""Label mapping and feature standardisation: what a model stores besides its weights."""

from __future__ import annotations

import numpy as np

from .validation import check_finite_labels, to_array


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
    if n_classes == 2:
        if len(distinct) < 2:
            raise ValueError(f"y has only one class ({distinct.tolist()[0]!r}); a classifier needs two")
        raise ValueError(f"y has {len(distinct)} classes but a single-output sigmoid network "
                         f"separates two; use output='softmax' with {len(distinct)} outputs")
    raise ValueError(f"y has {len(distinct)} distinct labels but the network has {n_classes} outputs")


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


class Standardizer:
    """Feature scaling x' = (x - mean) / std, learned on the training data.

    A feature with zero spread keeps std = 1, so it maps to 0 instead of to NaN.
    ``mean`` and ``std`` have shape (n_features,).
    """

    def __init__(self, mean: np.ndarray | None = None, std: np.ndarray | None = None):
        self.mean, self.std = mean, std

    def fit(self, X: np.ndarray) -> "Standardizer":
        # Statistics in float64, stored in X's dtype so transform keeps it.
        mean = X.mean(axis=0, dtype=np.float64)
        std = X.std(axis=0, dtype=np.float64)
        std[std == 0] = 1.0
        self.mean, self.std = mean.astype(X.dtype), std.astype(X.dtype)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean) / self.std
