"""Metrics against scikit-learn, the reports evaluate() returns, and decision thresholds."""

import copy

import numpy as np
import pytest
from helpers import make_moons

from numpy_mlp import MLP
from numpy_mlp.metrics import (accuracy, average_precision, balanced_accuracy, best_threshold, confusion_matrix,
                               precision_recall_curve, precision_recall_f1, r2_score, roc_auc, roc_curve)

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
    assert set(report) == {"loss", "accuracy", "precision", "recall", "f1", "balanced_accuracy", "roc_auc",
                           "average_precision", "confusion_matrix"}
    predicted, probabilities = model.predict(X_test), model.predict_proba(X_test)
    assert report["accuracy"] == pytest.approx(sklearn_metrics.accuracy_score(y_test, predicted))
    assert report["precision"] == pytest.approx(sklearn_metrics.precision_score(y_test, predicted, pos_label="yes"))
    assert report["recall"] == pytest.approx(sklearn_metrics.recall_score(y_test, predicted, pos_label="yes"))
    assert report["f1"] == pytest.approx(sklearn_metrics.f1_score(y_test, predicted, pos_label="yes"))
    assert report["roc_auc"] == pytest.approx(sklearn_metrics.roc_auc_score(y_test == "yes", probabilities))
    assert report["balanced_accuracy"] == pytest.approx(sklearn_metrics.balanced_accuracy_score(y_test, predicted))
    assert report["average_precision"] == pytest.approx(
        sklearn_metrics.average_precision_score(y_test == "yes", probabilities))
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
    assert set(report) == {"loss", "accuracy", "precision", "recall", "f1", "balanced_accuracy",
                           "precision_per_class", "recall_per_class", "f1_per_class", "confusion_matrix"}
    predicted, probabilities = model.predict(X_test), model.predict_proba(X_test)
    precision, recall, f1, _ = sklearn_metrics.precision_recall_fscore_support(
        y_test, predicted, labels=range(4), zero_division=0)
    assert report["accuracy"] == pytest.approx(sklearn_metrics.accuracy_score(y_test, predicted))
    assert np.allclose(report["precision_per_class"], precision)
    assert np.allclose(report["recall_per_class"], recall)
    assert np.allclose(report["f1_per_class"], f1)
    assert report["precision"] == pytest.approx(precision.mean())
    assert report["f1"] == pytest.approx(f1.mean())
    assert report["balanced_accuracy"] == pytest.approx(sklearn_metrics.balanced_accuracy_score(y_test, predicted))
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
    assert set(report) == {"loss", "accuracy", "precision", "recall", "f1", "balanced_accuracy", "roc_auc",
                           "average_precision"}
    predicted, probabilities = model.predict(X), model.predict_proba(X)
    assert report["accuracy"] == pytest.approx(np.mean(predicted == y))
    assert report["roc_auc"] == pytest.approx(np.mean(
        [sklearn_metrics.roc_auc_score(y[:, k], probabilities[:, k]) for k in range(2)]))
    assert report["f1"] == pytest.approx(np.mean(
        [sklearn_metrics.f1_score(y[:, k], predicted[:, k]) for k in range(2)]))
    assert report["average_precision"] == pytest.approx(sklearn_metrics.average_precision_score(y, probabilities))
    assert report["balanced_accuracy"] == pytest.approx(np.mean(
        [sklearn_metrics.balanced_accuracy_score(y[:, k], predicted[:, k]) for k in range(2)]))


# -- curves and areas for imbalanced data -------------------------------------------------------

def scored_samples(n=300, decimals=None, seed=0):
    """Imbalanced binary labels (about 15% positive) and scores that rank them imperfectly."""
    rng = np.random.default_rng(seed)
    true = (rng.random(n) < 0.15).astype(int)
    scores = 1 / (1 + np.exp(-(1.5 * true + rng.standard_normal(n))))
    return true, scores if decimals is None else np.round(scores, decimals)


@pytest.mark.parametrize("decimals", [None, 1])  # 1 decimal: many ties
def test_roc_and_precision_recall_curves_match_scikit_learn(decimals):
    true, scores = scored_samples(decimals=decimals)
    for mine, theirs in zip(roc_curve(true, scores),
                            sklearn_metrics.roc_curve(true, scores, drop_intermediate=False)):
        np.testing.assert_allclose(mine, theirs)
    for mine, theirs in zip(precision_recall_curve(true, scores), sklearn_metrics.precision_recall_curve(true, scores)):
        np.testing.assert_allclose(mine, theirs)


@pytest.mark.parametrize("decimals", [None, 2, 1])
def test_average_precision_matches_scikit_learn(decimals):
    true, scores = scored_samples(decimals=decimals)
    assert average_precision(true, scores) == pytest.approx(sklearn_metrics.average_precision_score(true, scores),
                                                            rel=1e-12)
    assert average_precision([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert np.isnan(average_precision([0, 0], [0.1, 0.2]))


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_balanced_accuracy_matches_scikit_learn(n_classes):
    true, predicted = random_predictions(n_classes)
    matrix = confusion_matrix(true, predicted, n_classes)
    assert balanced_accuracy(matrix) == pytest.approx(sklearn_metrics.balanced_accuracy_score(true, predicted))


@pytest.mark.parametrize("metric", ["f1", "balanced_accuracy"])
def test_best_threshold_maximises_the_metric_over_every_threshold(metric):
    true, scores = scored_samples(decimals=2)
    threshold = best_threshold(true, scores, metric)
    score = {"f1": sklearn_metrics.f1_score, "balanced_accuracy": sklearn_metrics.balanced_accuracy_score}[metric]
    best = max(score(true, scores >= candidate) for candidate in np.unique(scores))
    assert score(true, scores >= threshold) == pytest.approx(best)
    # halfway between two distinct scores: the samples either side are classified as at the best score
    assert threshold not in scores and scores.min() < threshold <= scores.max()


def test_best_threshold_needs_both_classes():
    with pytest.raises(ValueError, match="both classes"):
        best_threshold([1, 1, 1], [0.2, 0.5, 0.9])


def test_r2_matches_scikit_learn_for_one_or_several_targets():
    rng = np.random.default_rng(0)
    true = rng.standard_normal((50, 3)) * [1, 10, 100]
    predicted = true + rng.standard_normal((50, 3))
    assert r2_score(true, predicted) == pytest.approx(sklearn_metrics.r2_score(true, predicted), rel=1e-12)
    assert r2_score(true[:, 0], predicted[:, 0]) == pytest.approx(sklearn_metrics.r2_score(true[:, 0], predicted[:, 0]))
    constant = np.ones((4, 1))
    assert r2_score(constant, constant) == 1.0 and r2_score(constant, constant + 1) == 0.0  # scikit-learn's rule


def test_evaluate_a_regressor_matches_scikit_learn():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((150, 3))
    Y = np.column_stack([X @ [1.0, -2.0, 0.5], np.abs(X[:, 0]) * 10 + 20])
    model = MLP(3, [16, 2], output="linear", seed=0, dtype=np.float64, standardize_targets=True)
    model.fit(X[:100], Y[:100], epochs=30, batch_size=16, learning_rate=0.05, verbose=0)
    report = model.evaluate(X[100:], Y[100:])
    assert set(report) == {"loss", "mse", "rmse", "mae", "r2"}
    predicted = model.predict(X[100:])
    assert report["mse"] == pytest.approx(sklearn_metrics.mean_squared_error(Y[100:], predicted), rel=1e-12)
    assert report["rmse"] == pytest.approx(np.sqrt(report["mse"]), rel=1e-12)
    assert report["mae"] == pytest.approx(sklearn_metrics.mean_absolute_error(Y[100:], predicted), rel=1e-12)
    assert report["r2"] == pytest.approx(sklearn_metrics.r2_score(Y[100:], predicted), rel=1e-12)
    # the loss is the training objective: half the squared error of the standardised targets
    scaled = (Y[100:] - model.target_scaler.mean) / model.target_scaler.std
    scaled_predictions = (predicted - model.target_scaler.mean) / model.target_scaler.std
    assert report["loss"] == pytest.approx(np.mean((scaled_predictions - scaled) ** 2) / 2, rel=1e-9)


# -- thresholds ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def imbalanced_model():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(1.0, 1.0, (60, 2)), rng.normal(0.0, 1.0, (540, 2))])
    y = np.r_[np.ones(60, int), np.zeros(540, int)]
    order = rng.permutation(600)
    X, y = X[order], y[order]
    model = MLP(2, [8, 1], seed=0)
    model.fit(X[:400], y[:400], epochs=10, batch_size=32, learning_rate=0.1, verbose=0)
    return model, X[400:], y[400:]


def test_evaluate_at_a_threshold_matches_scikit_learn(imbalanced_model):
    model, X, y = imbalanced_model
    probabilities = model.predict_proba(X)
    report = model.evaluate(X, y, threshold=0.2)
    predicted = (probabilities >= 0.2).astype(int)
    assert np.array_equal(model.predict(X, threshold=0.2), predicted)
    assert report["accuracy"] == pytest.approx(sklearn_metrics.accuracy_score(y, predicted))
    assert report["recall"] == pytest.approx(sklearn_metrics.recall_score(y, predicted))
    assert report["balanced_accuracy"] == pytest.approx(sklearn_metrics.balanced_accuracy_score(y, predicted))
    assert np.array_equal(report["confusion_matrix"], sklearn_metrics.confusion_matrix(y, predicted))
    # threshold-free metrics stay as they are
    assert report["roc_auc"] == model.evaluate(X, y)["roc_auc"]
    assert report["recall"] > model.evaluate(X, y)["recall"]  # a lower threshold finds more positives


@pytest.mark.parametrize("metric", ["f1", "balanced_accuracy"])
def test_choose_threshold_stores_the_best_threshold_which_predict_and_evaluate_then_use(imbalanced_model, metric):
    model, X, y = imbalanced_model
    model = copy.deepcopy(model)
    threshold = model.choose_threshold(X, y, metric=metric)
    assert model.threshold_ == threshold and 0 < threshold < 0.5  # rare positives: below 0.5
    assert np.array_equal(model.predict(X), model.predict(X, threshold=threshold))
    key = {"f1": "f1", "balanced_accuracy": "balanced_accuracy"}[metric]
    stored, default = model.evaluate(X, y)[key], model.evaluate(X, y, threshold=0.5)[key]
    assert stored == model.evaluate(X, y, threshold=threshold)[key] and stored > default


def test_choose_threshold_is_for_binary_classifiers():
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="choose_threshold is for binary classifiers .* 3 softmax outputs"):
        MLP(2, [3], output="softmax").choose_threshold(X, [0, 1, 2, 0])
    with pytest.raises(ValueError, match="metric must be 'f1' or 'balanced_accuracy'"):
        MLP(2, [1]).choose_threshold(X, [0, 1, 1, 0], metric="accuracy")
    with pytest.raises(ValueError, match="threshold applies to sigmoid outputs"):
        MLP(2, [3], output="softmax").predict(X, threshold=0.3)
