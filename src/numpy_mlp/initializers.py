"""Weight initialisation: random scales that keep each layer's output variance near its input's.

He (Kaiming) for the ReLU family: W ~ N(0, 2 / n_in).
Glorot (Xavier) for tanh, sigmoid and identity: W ~ U(-r, r) with r = sqrt(6 / (n_in + n_out)).
Both draw from the ``numpy.random.Generator`` they are given, never from global state.
"""

from __future__ import annotations

import math

import numpy as np


def he_normal(rng: np.random.Generator, n_in: int, n_out: int, dtype=np.float32) -> np.ndarray:
    """Weights of shape (n_in, n_out) from N(0, 2 / n_in) (He et al., 2015)."""
    # math.sqrt gives a Python float: a NumPy float64 scalar would not change the result's
    # dtype here, but keeping scalars Python floats is the rule everywhere in the library.
    return (rng.standard_normal((n_in, n_out)) * math.sqrt(2.0 / n_in)).astype(dtype)


def glorot_uniform(rng: np.random.Generator, n_in: int, n_out: int, dtype=np.float32) -> np.ndarray:
    """Weights of shape (n_in, n_out) from U(-r, r), r = sqrt(6 / (n_in + n_out)) (Glorot & Bengio, 2010)."""
    limit = math.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, size=(n_in, n_out)).astype(dtype)


INITIALIZERS = {"he": he_normal, "glorot": glorot_uniform}
