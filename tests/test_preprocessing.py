"""Label mapping and standardisation."""

import numpy as np
import pytest

from numpy_mlp.preprocessing import (Standardizer, check_multilabel_targets, check_regression_targets,
                                     class_weight_vector, encode_labels, infer_classes)


@pytest.mark.parametrize("labels, n_classes, expected", [
    ([0, 1, 1, 0], 2, [0, 1]),
    ([1, 1, 1], 2, [0, 1]),                       # indices: a subset missing class 0 still trains
    ([0.0, 1.0], 2, [0.0, 1.0]),
    ([True, False], 2, [False, True]),
    (["yes", "no", "yes"], 2, ["no", "yes"]),     # any two labels: sorted order
    ([-1, 1, -1], 2, [-1, 1]),
    ([3, 7], 2, [3, 7]),
    ([0, 2, 1, 2], 3, [0, 1, 2]),
    ([0, 2], 4, [0, 1, 2, 3]),
    (["dog", "cat", "bird"], 3, ["bird", "cat", "dog"]),
])
def test_infer_classes(labels, n_classes, expected):
    classes = infer_classes(np.asarray(labels), n_classes)
    assert classes.tolist() == expected
    assert classes.dtype.kind == np.asarray(labels).dtype.kind


def test_infer_classes_rejects_too_many_or_too_few():
    with pytest.raises(ValueError, match="y has 3 classes but a single-output sigmoid"):
        infer_classes(np.array([0, 1, 5]), 2)
    with pytest.raises(ValueError, match="only one class"):
        infer_classes(np.array([-1, -1]), 2)
    with pytest.raises(ValueError, match="y has 2 distinct labels but the network has 3 outputs"):
        infer_classes(np.array(["a", "b"]), 3)
    with pytest.raises(ValueError, match="y has 2 distinct labels but the network has 3 outputs"):
        infer_classes(np.array([0.5, 1.0]), 3)  # not indices: fractional


def test_encode_labels_maps_each_label_to_its_index():
    classes = np.array(["bird", "cat", "dog"])
    assert encode_labels(np.array(["dog", "bird", "cat", "dog"]), classes).tolist() == [2, 0, 1, 2]
    assert encode_labels(np.array([1, -1]), np.array([-1, 1])).tolist() == [1, 0]
    # Mapping and mapping back are inverse.
    labels = np.random.default_rng(0).choice(classes, 50)
    assert np.array_equal(classes[encode_labels(labels, classes)], labels)


def test_encode_labels_names_an_unknown_label():
    with pytest.raises(ValueError, match="y has label 'fish', which is not one of the model's classes "
                                         "\\['bird', 'cat', 'dog'\\]"):
        encode_labels(np.array(["cat", "fish"]), np.array(["bird", "cat", "dog"]))
    with pytest.raises(ValueError, match="y has label 9,"):
        encode_labels(np.array([9]), np.array([0, 1]))


def test_check_multilabel_targets():
    targets = check_multilabel_targets([[0, 1], [1, 1]], 2, 2)
    assert targets.tolist() == [[0, 1], [1, 1]]
    with pytest.raises(ValueError, match="only 0 and 1"):
        check_multilabel_targets([[0, 2], [1, 1]], 2, 2)
    with pytest.raises(ValueError, match="must hold 0/1 values"):
        check_multilabel_targets([["a", "b"], ["b", "a"]], 2, 2)
    with pytest.raises(ValueError, match=r"y must have shape \(2, 3\)"):
        check_multilabel_targets([[0, 1], [1, 1]], 2, 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_standardizer_gives_zero_mean_unit_variance_in_the_same_dtype(dtype):
    X = np.random.default_rng(0).normal(loc=[5, -100, 0.001], scale=[2, 30, 0.0001], size=(500, 3)).astype(dtype)
    scaler = Standardizer().fit(X)
    scaled = scaler.transform(X)
    assert scaled.dtype == dtype and scaler.mean.dtype == dtype and scaler.std.dtype == dtype
    assert np.allclose(scaled.mean(axis=0), 0, atol=1e-5)
    assert np.allclose(scaled.std(axis=0), 1, atol=1e-5)
    assert np.allclose(scaler.mean, X.astype(np.float64).mean(axis=0), rtol=1e-6)


def test_standardizer_maps_a_constant_feature_to_zero_not_nan():
    X = np.array([[1.0, 7.0], [3.0, 7.0]])
    scaler = Standardizer().fit(X)
    assert scaler.std.tolist() == [1.0, 1.0]
    assert scaler.transform(X).tolist() == [[-1.0, 0.0], [1.0, 0.0]]


def test_standardizer_uses_the_training_statistics_on_new_data():
    scaler = Standardizer().fit(np.array([[0.0], [2.0]]))
    assert scaler.transform(np.array([[4.0]])).tolist() == [[3.0]]


# -- class weights and regression targets -------------------------------------------------------

def test_balanced_class_weights_follow_scikit_learns_formula():
    class_weight = pytest.importorskip("sklearn.utils.class_weight")
    labels = np.array(["b", "a", "c", "a", "a", "c", "a", "a"])
    classes = np.array(["a", "b", "c"])
    indices = encode_labels(labels, classes)
    expected = class_weight.compute_class_weight("balanced", classes=classes, y=labels)
    np.testing.assert_allclose(class_weight_vector("balanced", indices, classes), expected)  # [8/15, 8/3, 4/3]
    # every class then carries the same total weight
    weights = class_weight_vector("balanced", indices, classes)[indices]
    assert np.allclose(np.bincount(indices, weights), len(labels) / 3)


def test_a_dict_of_class_weights_leaves_the_other_classes_at_1():
    classes = np.array([0, 1, 2])
    assert class_weight_vector({2: 5.0, np.int64(0): 0.5}, np.array([0, 1, 2]), classes).tolist() == [0.5, 1.0, 5.0]


@pytest.mark.parametrize("y, shape", [([1, 2, 3], (3, 1)), ([[1.5], [2.5]], (2, 1)), (np.ones((4, 3)), (4, 3)),
                                      (np.array([1, 2], dtype=object), (2, 1))])
def test_regression_targets_become_a_float_matrix(y, shape):
    targets = check_regression_targets(y, dtype=np.float32)
    assert targets.shape == shape and targets.dtype == np.float32


def test_regression_targets_too_large_for_float32_are_named():
    with pytest.raises(ValueError, match="too large for float32"):
        check_regression_targets([1.0, 1e39], dtype=np.float32)
    with pytest.raises(ValueError, match="y has 2 targets per sample but the model has 3 outputs"):
        check_regression_targets(np.ones((4, 2)), 4, 3)
