"""The playground's five 2-D data sets, laid out on one plane: XOR, circles, two moons, spiral, two Gaussians.

Every set fits the square [-PLANE_HALF_WIDTH, PLANE_HALF_WIDTH]^2 that the page draws, has two
classes (0 and 1) of nearly equal size, and gets the same kind of noise: Gaussian, of standard
deviation ``noise`` in the plane's units, added to each coordinate. Randomness is explicit:
``seed`` is an int, None, or a ``numpy.random.Generator``.
"""

from __future__ import annotations

import math

import numpy as np

from ..datasets import make_circles, make_moons

#: the page's plane is the square [-PLANE_HALF_WIDTH, PLANE_HALF_WIDTH]^2
PLANE_HALF_WIDTH = 1.5


def make_xor_cloud(n_samples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points spread over the four quadrants of [-1, 1]^2; class 1 where the signs differ.

    Class 1 is "x1 > 0 XOR x2 > 0", the four XOR points of the notebook grown into clouds.
    Each coordinate keeps 0.1 away from the axes, so without noise a margin separates the classes.
    Class 0 gets the extra sample when n is odd.
    """
    labels = np.arange(n_samples, dtype=np.int64) % 2
    first_sign = rng.choice([-1.0, 1.0], size=n_samples)
    signs = np.column_stack([first_sign, np.where(labels == 1, -first_sign, first_sign)])
    return _shuffled(rng, rng.uniform(0.1, 1.0, size=(n_samples, 2)) * signs, labels)


def make_spiral(n_samples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spiral arms, each turning 1.75 times around the origin.

    Arm k (class k) at t in [0, 1]: radius r = 0.1 + 1.1 t, angle 3.5 pi t + k pi, so the
    second arm is the first turned half a turn. Class 0 gets the extra sample when n is odd.
    """
    n_first = (n_samples + 1) // 2
    arms, labels = [], []
    for label, n_points in enumerate((n_first, n_samples - n_first)):
        t = rng.uniform(0.0, 1.0, n_points)
        radius, angle = 0.1 + 1.1 * t, 3.5 * math.pi * t + label * math.pi
        arms.append(np.column_stack([radius * np.cos(angle), radius * np.sin(angle)]))
        labels.append(np.full(n_points, label, dtype=np.int64))
    return _shuffled(rng, np.concatenate(arms), np.concatenate(labels))


def make_two_gaussians(n_samples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two round Gaussian clouds of standard deviation 0.25, centred on (-0.5, -0.5) and (0.5, 0.5)."""
    labels = np.arange(n_samples, dtype=np.int64) % 2
    centres = np.where(labels[:, None] == 1, 0.5, -0.5)
    return _shuffled(rng, centres + 0.25 * rng.standard_normal((n_samples, 2)), labels)


def _circles(n_samples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``datasets.make_circles``: radius 1 (class 0) around radius 0.5 (class 1)."""
    return make_circles(n_samples, noise=0.0, factor=0.5, seed=rng)


def _moons(n_samples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``datasets.make_moons``, moved to the plane's centre and scaled by 0.8 to fit in it."""
    X, y = make_moons(n_samples, noise=0.0, seed=rng)
    return (X - [0.5, 0.25]) * 0.8, y


#: the data sets by the names the page and the code use
SHAPES = {"xor": make_xor_cloud, "circles": _circles, "moons": _moons, "spiral": make_spiral,
          "gaussians": make_two_gaussians}


def make_playground_data(name: str, n_samples: int = 500, noise: float = 0.0,
                         seed=None) -> tuple[np.ndarray, np.ndarray]:
    """The data set ``name`` (one of SHAPES) with Gaussian noise of standard deviation ``noise``.

    Returns X float64 (n_samples, 2) and y int64 (n_samples,) of 0s and 1s.
    """
    if name not in SHAPES:
        raise ValueError(f"unknown data set {name!r}; choose one of {sorted(SHAPES)}")
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 2:
        raise ValueError(f"n_samples must be an int >= 2 (one point per class), got {n_samples!r}")
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not 0 <= noise < math.inf:
        raise ValueError(f"noise must be a finite number >= 0 (a standard deviation), got {noise!r}")
    rng = np.random.default_rng(seed)
    X, y = SHAPES[name](int(n_samples), rng)
    if noise:
        X = X + float(noise) * rng.standard_normal(X.shape)
    return X, y


def _shuffled(rng: np.random.Generator, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(X))
    return X[order], y[order]
