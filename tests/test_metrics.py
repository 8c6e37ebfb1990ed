"""Metrics against scikit-learn, and the report evaluate() returns."""

import numpy as np
import pytest
from helpers import make_moons

from numpy_mlp import MLP
from numpy_mlp.metrics import accuracy, confusion_matrix, precision_recall_f1, roc_auc

sklearn_metrics = pytest.importorskip("sklearn.metrics")


def random_predictions(n_classes, n=200, seed=0):
    rng = np.random.default_rng(seed)
    true = rng.integers(0, n_classes, n)
    # Right 60% of the time, else a random class: every cell of the confusion matrix gets used.
    predicted = np.where(rng.random(n) < 0.6, true, rng.integers(0, n_classes, n))
    return true, predicted


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_confusion_matrix_matches_scikit_learn(n_classes):
    true, predicted = random_predictions(n_classes)
    expected = sklearn_metrics.confusion_matrix(true, predicted, labels=range(n_classes))
    assert np.array_equal(confusion_matrix(true, predicted, n_classes), expected)


def test_confusion_matrix_keeps_an_absent_class():
    matrix = confusion_matrix([0, 0, 1], [0, 1, 1], 3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [0, 0, 0]]


@pytest.mark.parametrize("n_classes", [2, 4])
def test_precision_recall_f1_match_scikit_learn(n_classes):
    true, predicted = random_predictions(n_classes, seed=1)
    precision, recall, f1 = precision_recall_f1(confusion_matrix(true, predicted, n_classes))
    expected = sklearn_metrics.precision_recall_fscore_support(true, predicted, labels=range(n_classes),
                                                                zero_division=0)
    assert np.allclose(precision, expected[0]) and np.allclose(recall, expected[1])
    assert np.allclose(f1, expected[2])


def test_precision_of_a_never_predicted_class_is_zero_not_nan():
    precision, recall, f1 = precision_recall_f1(confusion_matrix([0, 1, 1], [0, 0, 0], 2))
    assert precision.tolist() == [pytest.approx(1 / 3), 0.0]
    assert recall.tolist() == [1.0, 0.0] and f1[1] == 0.0


def test_accuracy_matches_scikit_learn():
    true, predicted = random_predictions(3, seed=2)
    assert accuracy(true, predicted) == pytest.approx(sklearn_metrics.accuracy_score(true, predicted))
    assert accuracy(["a", "b"], ["a", "a"]) == 0.5


@pytest.mark.parametrize("decimals", [None, 1, 0])
def test_roc_auc_matches_scikit_learn_with_ties(decimals):
    rng = np.random.default_rng(3)
    true = rng.integers(0, 2, 300)
    scores = np.clip(true * 0.3 + rng.random(300) * 0.7, 0, 1)
    if decimals is not None:
        scores = scores.round(decimals)  # many tied scores; with 0 decimals only 0 and 1 remain
    assert roc_auc(true, scores) == pytest.approx(sklearn_metrics.roc_auc_score(true, scores), abs=1e-12)


def test_roc_auc_extremes():
    assert roc_auc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert roc_auc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert roc_auc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == 0.5
    assert np.isnan(roc_auc([1, 1, 1], [0.2, 0.5, 0.9]))  # undefined with one class


def test_evaluate_a_binary_model_matches_scikit_learn():
    X, y = make_moons(200, noise=0.3, seed=0)
    labels = np.where(y == 1, "yes", "no")
    model = MLP(2, [8, 1], seed=0, dtype=np.float64)
    model.fit(X[:100], labels[:100], epochs=30, batch_size=16, learning_rate=0.1, verbose=0)
    X_test, y_test = X[100:], labels[100:]
    report = model.evaluate(X_test, y_test)
    assert set(report) == {"loss", "accuracy", "precision", "recall", "f1", "roc_auc", "confusion_matrix"}
    predicted, probabilities = model.predict(X_test), model.predict_proba(X_test)
    assert report["accuracy"] == pytest.approx(sklearn_metrics.accuracy_score(y_test, predicted))
    assert report["precision"] == pytest.approx(sklearn_metrics.precision_score(y_test, predicted, pos_label="yes"))
    assert report["recall"] == pytest.approx(sklearn_metrics.recall_score(y_test, predicted, pos_label="yes"))
    assert report["f1"] == pytest.approx(sklearn_metrics.f1_score(y_test, predicted, pos_label="yes"))
    assert report["roc_auc"] == pytest.approx(sklearn_metrics.roc_auc_score(y_test == "yes", probabilities))
    assert report["loss"] == pytest.approx(sklearn_metrics.log_loss(y_test == "yes", probabilities), rel=1e-9)
    assert np.array_equal(report["confusion_matrix"],
                          sklearn_metrics.confusion_matrix(y_test, predicted, labels=["no", "yes"]))


def test_evaluate_a_softmax_model_matches_scikit_learn():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((240, 2))
    y = np.digitize(X[:, 0] + 0.5 * X[:, 1], [-0.7, 0.0, 0.7])  # four bands: classes 0..3
    model = MLP(2, [16, 4], output="softmax", seed=0, dtype=np.float64)
    model.fit(X[:120], y[:120], epochs=30, batch_size=16, learning_rate=0.1, verbose=0)
    X_test, y_test = X[120:], y[120:]
    report = model.evaluate(X_test, y_test)
    assert set(report) == {"loss", "accuracy", "precision", "recall", "f1", "precision_per_class",
                           "recall_per_class", "f1_per_class", "confusion_matrix"}
    predicted, probabilities = model.predict(X_test), model.predict_proba(X_test)
    precision, recall, f1, _ = sklearn_metrics.precision_recall_fscore_support(
        y_test, predicted, labels=range(4), zero_division=0)
    assert report["accuracy"] == pytest.approx(sklearn_metrics.accuracy_score(y_test, predicted))
    assert np.allclose(report["precision_per_class"], precision)
    assert np.allclose(report["recall_per_class"], recall)
    assert np.allclose(report["f1_per_class"], f1)
    assert report["precision"] == pytest.approx(precision.mean())
    assert report["f1"] == pytest.approx(f1.mean())
    assert report["loss"] == pytest.approx(sklearn_metrics.log_loss(y_test, probabilities, labels=range(4)),
                                           rel=1e-9)
    assert np.array_equal(report["confusion_matrix"], sklearn_metrics.confusion_matrix(y_test, predicted))


def test_evaluate_a_multi_label_model_averages_over_outputs():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 2))
    y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0]).astype(int)
    model = MLP(2, [8, 2], seed=0, dtype=np.float64)
    model.fit(X, y, epochs=20, batch_size=16, learning_rate=0.2, verbose=0)
    report = model.evaluate(X, y)
    assert set(report) == {"loss", "accuracy", "precision", "recall", "f1", "roc_auc"}
    predicted, probabilities = model.predict(X), model.predict_proba(X)
    assert report["accuracy"] == pytest.approx(np.mean(predicted == y))
    assert report["roc_auc"] == pytest.approx(np.mean(
        [sklearn_metrics.roc_auc_score(y[:, k], probabilities[:, k]) for k in range(2)]))
    assert report["f1"] == pytest.approx(np.mean(
        [sklearn_metrics.f1_score(y[:, k], predicted[:, k]) for k in range(2)]))
