"""The Wisconsin diagnostic breast-cancer data, borrowed from scikit-learn (imported only when asked for)."""

from __future__ import annotations

import numpy as np

from ..validation import check_features


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
