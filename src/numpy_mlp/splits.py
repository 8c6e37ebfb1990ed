"""Splitting data into training and test parts, at random or stratified by class.

Randomness is explicit: ``seed`` is an int, None, or a ``numpy.random.Generator``.
``split_indices`` is the one splitting rule; ``fit``'s validation_split uses it too.
"""

from __future__ import annotations

import numbers

import numpy as np

from .validation import check_labels, to_array


def train_test_split(X, y, test_size=0.2, seed=None, stratify: bool = False):
    """Split X and y into shuffled training and test parts: X_train, X_test, y_train, y_test.

    ``test_size`` is a fraction in (0, 1) or a number of samples. With ``stratify`` each
    class is split on its own, so both parts keep the class proportions (to the sample).
    X becomes a NumPy array (its dtype is kept); y a 1-D array.
    """
    features = to_array(X)
    if features.ndim == 0 or len(features) == 0:
        raise ValueError("X is empty")
    labels = check_labels(y, len(features))
    train, test = split_indices(len(features), test_size, np.random.default_rng(seed),
                                labels if stratify else None)
    return features[train], features[test], labels[train], labels[test]


def split_indices(n_samples: int, test_size, rng: np.random.Generator, labels=None,
                  name: str = "test_size") -> tuple[np.ndarray, np.ndarray]:
    """(train, test) indices of a random split of ``n_samples``, each part in shuffled order.

    ``test_size`` is a fraction in (0, 1) or a number of samples (``name`` is the argument's
    name, for errors); with ``labels`` (n_samples,), each class is split in proportion.
    """
    n_test = _test_count(test_size, n_samples, name)
    if labels is None:
        order = rng.permutation(n_samples)
        return order[n_test:], order[:n_test]
    is_test = np.zeros(n_samples, dtype=bool)
    is_test[_stratified_test_indices(rng, labels, n_test)] = True
    # Each part keeps a shuffled order, so a sorted file does not give sorted batches.
    return rng.permutation(np.flatnonzero(~is_test)), rng.permutation(np.flatnonzero(is_test))


def _test_count(test_size, n_samples: int, name: str) -> int:
    """The number of test samples that ``test_size`` (a fraction or a count) asks for."""
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(f"{name} must be a fraction or a number of samples, got {test_size!r}")
    if isinstance(test_size, numbers.Integral):
        n_test = int(test_size)
    elif 0 < test_size < 1:
        n_test = int(round(test_size * n_samples))
    else:
        raise ValueError(f"{name} must be a fraction in (0, 1) or a number of samples, got {test_size}")
    if not 1 <= n_test < n_samples:
        raise ValueError(f"{name}={test_size} leaves no samples for one of the two parts: it holds out "
                         f"{n_test} of {n_samples}, and both parts need at least one sample")
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
