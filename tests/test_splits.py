"""The train/test split: a partition, shuffled, reproducible, optionally stratified."""

import numpy as np
import pytest

from numpy_mlp.datasets import train_test_split

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
