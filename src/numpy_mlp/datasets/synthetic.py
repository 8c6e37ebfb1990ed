"""Small datasets made with NumPy (XOR, two moons, two circles), a train/test split, and the
breast-cancer data that scikit-learn ships (imported only when asked for).

Randomness is explicit: ``seed`` is an int, None, or a ``numpy.random.Generator``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..validation import check_features, check_labels, check_positive_int


def make_xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points, X float64 (4, 2), and their labels y = x1 XOR x2, int (4,)."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    return X, np.array([0, 1, 1, 0])


def make_moons(n_samples: int = 200, noise: float = 0.1, seed=None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles in 2-D: no straight line separates them.

    Class 0: (cos t, sin t), class 1: (1 - cos t, 0.5 - sin t), t uniform in [0, pi], plus
    Gaussian noise of standard deviation ``noise``. Returns X float64 (n, 2) and y int (n,),
    shuffled; class 0 gets the extra sample when n is odd.
    """
    rng, n_samples, noise = _check_arguments(n_samples, noise, seed)
    n_outer = (n_samples + 1) // 2
    t_outer = np.linspace(0.0, math.pi, n_outer)
    t_inner = np.linspace(0.0, math.pi, n_samples - n_outer)
    outer = np.column_stack([np.cos(t_outer), np.sin(t_outer)])
    inner = np.column_stack([1.0 - np.cos(t_inner), 0.5 - np.sin(t_inner)])
    return _noisy_shuffled(rng, outer, inner, noise)


def make_circles(n_samples: int = 200, noise: float = 0.05, factor: float = 0.5,
                 seed=None) -> tuple[np.ndarray, np.ndarray]:
    """A circle of radius 1 (class 0) around a circle of radius ``factor`` (class 1), in 2-D.

    Points at evenly spaced angles, plus Gaussian noise of standard deviation ``noise``.
    Returns X float64 (n, 2) and y int (n,), shuffled.
    """
    rng, n_samples, noise = _check_arguments(n_samples, noise, seed)
    if not (isinstance(factor, numbers.Real) and 0 < factor < 1):
        raise ValueError(f"factor must be between 0 and 1 (the inner circle's radius), got {factor!r}")
    n_outer = (n_samples + 1) // 2

    def circle(n_points, radius):
        angles = np.linspace(0.0, 2 * math.pi, n_points, endpoint=False)
        return radius * np.column_stack([np.cos(angles), np.sin(angles)])

    return _noisy_shuffled(rng, circle(n_outer, 1.0), circle(n_samples - n_outer, float(factor)), noise)


def _check_arguments(n_samples, noise, seed):
    n_samples = check_positive_int(n_samples, "n_samples")
    if n_samples < 2:
        raise ValueError(f"n_samples must be at least 2 (one per class), got {n_samples}")
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not noise >= 0:
        raise ValueError(f"noise must be a number >= 0 (a standard deviation), got {noise!r}")
    return np.random.default_rng(seed), n_samples, float(noise)


def _noisy_shuffled(rng, class_0: np.ndarray, class_1: np.ndarray, noise: float):
    """Stack two classes of points, add Gaussian noise and shuffle the rows."""
    X = np.concatenate([class_0, class_1])
    y = np.concatenate([np.zeros(len(class_0), dtype=np.int64), np.ones(len(class_1), dtype=np.int64)])
    X += noise * rng.standard_normal(X.shape)
    order = rng.permutation(len(X))
    return X[order], y[order]


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


def load_breast_cancer() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The Wisconsin diagnostic breast-cancer data that scikit-learn ships (no download).

    Returns X float64 (569, 30), y int (569,) with 0 = malignant and 1 = benign (scikit-learn's
    coding), and the 30 feature names. Needs scikit-learn: ``pip install numpy-mlp[sklearn]``.
    """
    try:
        from sklearn import datasets
    except ImportError:
        raise ImportError("the breast-cancer data comes with scikit-learn, which is not installed: "
                          "pip install numpy-mlp[sklearn]") from None
    data = datasets.load_breast_cancer()
    X = check_features(data.data, np.float64)
    return X, np.asarray(data.target, dtype=np.int64), [str(name) for name in data.feature_names]
