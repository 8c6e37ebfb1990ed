"""Synthetic datasets, the train/test split and the breast-cancer loader."""

import sys

import numpy as np
import pytest

from numpy_mlp.datasets import load_breast_cancer, make_circles, make_moons, make_xor, train_test_split


def test_xor():
    X, y = make_xor()
    assert X.dtype == np.float64
    assert y.tolist() == [int(a) ^ int(b) for a, b in X]
    assert sorted(map(tuple, X.tolist())) == [(0, 0), (0, 1), (1, 0), (1, 1)]


@pytest.mark.parametrize("make", [make_moons, make_circles])
def test_shapes_balance_and_determinism(make):
    X, y = make(n_samples=101, noise=0.1, seed=3)
    assert X.shape == (101, 2) and X.dtype == np.float64 and y.shape == (101,)
    assert np.bincount(y).tolist() == [51, 50]
    X_again, y_again = make(n_samples=101, noise=0.1, seed=3)
    np.testing.assert_array_equal(X, X_again)
    np.testing.assert_array_equal(y, y_again)
    assert not np.array_equal(X, make(n_samples=101, noise=0.1, seed=4)[0])


@pytest.mark.parametrize("make", [make_moons, make_circles])
def test_a_generator_can_be_passed_as_seed(make):
    first = make(n_samples=20, noise=0.1, seed=np.random.default_rng(5))[0]
    second = make(n_samples=20, noise=0.1, seed=np.random.default_rng(5))[0]
    np.testing.assert_array_equal(first, second)


def test_samples_are_shuffled():
    _, y = make_moons(n_samples=200, seed=0)
    assert set(y[:20].tolist()) == {0, 1}  # not all of class 0 first


def test_moons_without_noise_lie_on_their_half_circles():
    X, y = make_moons(n_samples=50, noise=0.0, seed=0)
    upper, lower = X[y == 0], X[y == 1]
    # Class 0: the unit upper half circle; class 1: the lower half circle centred at (1, 0.5).
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    assert np.all(upper[:, 1] >= -1e-12)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    assert np.all(lower[:, 1] <= 0.5 + 1e-12)


def test_circles_without_noise_have_radii_one_and_factor():
    X, y = make_circles(n_samples=40, noise=0.0, factor=0.3, seed=0)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(*X[y == 1].T), 0.3)


def test_noise_is_a_standard_deviation():
    noisy, y = make_circles(n_samples=4000, noise=0.1, seed=0)
    # Gaussian noise of deviation 0.1 on x and y spreads the outer circle's radii by about 0.1.
    radii = np.hypot(*noisy[y == 0].T)
    assert abs(np.std(radii) - 0.1) < 0.01


@pytest.mark.parametrize("arguments, error", [
    ({"n_samples": 0}, ValueError), ({"n_samples": 1}, ValueError), ({"n_samples": 2.5}, TypeError),
    ({"noise": -0.1}, ValueError), ({"noise": float("nan")}, ValueError), ({"noise": "low"}, ValueError),
])
def test_invalid_arguments(arguments, error):
    with pytest.raises(error, match="n_samples|noise"):
        make_moons(**arguments)


def test_circles_factor_must_be_inside():
    with pytest.raises(ValueError, match="factor"):
        make_circles(factor=1.0)


# -- train_test_split -------------------------------------------------------------------------

def numbered(n=50):
    """Rows that carry their own index, so a split can be checked for loss and duplication."""
    X = np.column_stack([np.arange(n), np.arange(n) * 10.0])
    return X, np.arange(n) % 3


def test_split_is_a_partition_that_keeps_rows_with_their_labels():
    X, y = numbered()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=0)
    assert len(X_train) == len(y_train) == 40 and len(X_test) == len(y_test) == 10
    indices = np.concatenate([X_train[:, 0], X_test[:, 0]]).astype(int)
    assert sorted(indices.tolist()) == list(range(50))
    np.testing.assert_array_equal(y_train, X_train[:, 0].astype(int) % 3)
    np.testing.assert_array_equal(y_test, X_test[:, 0].astype(int) % 3)
    assert X_train.dtype == X.dtype


def test_split_is_shuffled_and_reproducible():
    X, y = numbered()
    first = train_test_split(X, y, test_size=0.3, seed=1)
    again = train_test_split(X, y, test_size=0.3, seed=1)
    other = train_test_split(X, y, test_size=0.3, seed=2)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[1], other[1])
    assert not np.array_equal(first[0][:, 0], np.sort(first[0][:, 0]))


def test_test_size_as_a_count():
    X, y = numbered()
    assert len(train_test_split(X, y, test_size=7, seed=0)[1]) == 7


def test_stratified_split_keeps_class_proportions():
    X = np.arange(100.0).reshape(-1, 1)
    y = np.array(["a"] * 70 + ["b"] * 20 + ["c"] * 10)
    _, _, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=0, stratify=True)
    assert {label: int(np.sum(y_test == label)) for label in "abc"} == {"a": 14, "b": 4, "c": 2}
    assert len(y_train) == 80


def test_stratified_split_with_rounding_gives_the_requested_size():
    X = np.arange(10.0).reshape(-1, 1)
    y = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 2])
    _, X_test, _, y_test = train_test_split(X, y, test_size=5, seed=0, stratify=True)
    assert len(X_test) == 5 and set(y_test.tolist()) == {0, 1, 2}


@pytest.mark.parametrize("test_size", [0, 0.0, 1.0, 50, 1.5, -0.2])
def test_invalid_test_size(test_size):
    X, y = numbered()
    with pytest.raises(ValueError, match="test_size"):
        train_test_split(X, y, test_size=test_size)


def test_test_size_must_be_a_number():
    X, y = numbered()
    with pytest.raises(TypeError, match="test_size"):
        train_test_split(X, y, test_size="20%")


def test_split_lengths_must_match():
    X, y = numbered()
    with pytest.raises(ValueError, match="X has 50 samples but y has 49"):
        train_test_split(X, y[:-1])


def test_split_accepts_pandas():
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"a": np.arange(10.0), "b": np.arange(10.0)})
    X_train, X_test, y_train, _ = train_test_split(frame, pandas.Series(np.arange(10) % 2), test_size=0.5, seed=0)
    assert isinstance(X_train, np.ndarray) and X_train.shape == (5, 2) and len(y_train) == 5


# -- breast cancer ----------------------------------------------------------------------------

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
