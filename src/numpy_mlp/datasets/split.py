"""Splitting data into training and test parts, at random or stratified by class.

Randomness is explicit: ``seed`` is an int, None, or a ``numpy.random.Generator``.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..validation import check_labels


def train_test_split(X, y, test_size=0.2, seed=None, stratify: bool = False):
    """Split X and y into shuffled training and test parts: X_train, X_test, y_train, y_test.

    ``test_size`` is a fraction in (0, 1) or a number of samples. With ``stratify`` each
    class is split on its own, so both parts keep the class proportions (to the sample).
    X becomes a NumPy array (its dtype is kept); y a 1-D array.
    """
    features = np.asarray(X.to_numpy() if hasattr(X, "to_numpy") else X)
    if features.ndim == 0 or len(features) == 0:
        raise ValueError("X is empty")
    labels = check_labels(y, len(features))
    n_samples = len(features)
    n_test = _test_count(test_size, n_samples)
    rng = np.random.default_rng(seed)
    if stratify:
        test = _stratified_test_indices(rng, labels, n_test)
    else:
        test = rng.permutation(n_samples)[:n_test]
    is_test = np.zeros(n_samples, dtype=bool)
    is_test[test] = True
    # Each part keeps a shuffled order, so a sorted file does not give sorted batches.
    train = rng.permutation(np.flatnonzero(~is_test))
    test = rng.permutation(np.flatnonzero(is_test))
    return features[train], features[test], labels[train], labels[test]


def _test_count(test_size, n_samples: int) -> int:
    """The number of test samples that ``test_size`` (a fraction or a count) asks for."""
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(f"test_size must be a fraction or a number of samples, got {test_size!r}")
    if isinstance(test_size, numbers.Integral):
        n_test = int(test_size)
    elif 0 < test_size < 1:
        n_test = int(round(test_size * n_samples))
    else:
        raise ValueError(f"test_size must be a fraction in (0, 1) or a number of samples, got {test_size}")
    if not 1 <= n_test < n_samples:
        raise ValueError(f"test_size={test_size} gives {n_test} test samples out of {n_samples}; "
                         "both parts need at least one sample")
    return n_test


def _stratified_test_indices(rng, labels: np.ndarray, n_test: int) -> np.ndarray:
    """``n_test`` indices holding each class in proportion to its size (largest remainders)."""
    classes, class_of_sample = np.unique(labels, return_inverse=True)
    counts = np.bincount(class_of_sample)
    share = counts * (n_test / len(labels))
    per_class = np.floor(share).astype(int)
    remaining = n_test - per_class.sum()
    per_class[np.argsort(share - per_class, kind="stable")[::-1][:remaining]] += 1
    chosen = [rng.permutation(np.flatnonzero(class_of_sample == k))[:per_class[k]]
              for k in range(len(classes))]
    return np.concatenate(chosen)
