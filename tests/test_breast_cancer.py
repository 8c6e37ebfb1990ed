"""The breast-cancer loader (borrowed from scikit-learn)."""

import sys

import numpy as np
import pytest

from numpy_mlp.datasets import load_breast_cancer

def test_breast_cancer():
    pytest.importorskip("sklearn")
    X, y, names = load_breast_cancer()
    assert X.shape == (569, 30) and X.dtype == np.float64
    assert np.bincount(y).tolist() == [212, 357]
    assert len(names) == 30 and names[0] == "mean radius"


def test_breast_cancer_without_scikit_learn_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes `import sklearn` fail
    with pytest.raises(ImportError, match=r"pip install numpy-mlp\[sklearn\]"):
        load_breast_cancer()
