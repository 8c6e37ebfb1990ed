"""Small datasets made with NumPy: XOR, two moons, two circles.

Randomness is explicit: ``seed`` is an int, None, or a ``numpy.random.Generator``.
"""

from __future__ import annotations

import math

import numpy as np

from ..validation import check_non_negative_float, check_open_fraction, check_positive_int


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
    factor = check_open_fraction(factor, "factor")
    n_outer = (n_samples + 1) // 2

    def circle(n_points, radius):
        angles = np.linspace(0.0, 2 * math.pi, n_points, endpoint=False)
        return radius * np.column_stack([np.cos(angles), np.sin(angles)])

    return _noisy_shuffled(rng, circle(n_outer, 1.0), circle(n_samples - n_outer, factor), noise)


def _check_arguments(n_samples, noise, seed):
    n_samples = check_positive_int(n_samples, "n_samples")
    if n_samples < 2:
        raise ValueError(f"n_samples must be at least 2 (one per class), got {n_samples}")
    return np.random.default_rng(seed), n_samples, check_non_negative_float(noise, "noise")


def _noisy_shuffled(rng, class_0: np.ndarray, class_1: np.ndarray, noise: float):
    """Stack two classes of points, add Gaussian noise and shuffle the rows."""
    X = np.concatenate([class_0, class_1])
    y = np.concatenate([np.zeros(len(class_0), dtype=np.int64), np.ones(len(class_1), dtype=np.int64)])
    X += noise * rng.standard_normal(X.shape)
    order = rng.permutation(len(X))
    return X[order], y[order]
