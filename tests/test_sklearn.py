"""The drop-ins for scikit-learn's MLPClassifier and MLPRegressor: scikit-learn's own estimator
checks for every documented configuration, the same script run with scikit-learn's estimators and
ours, scikit-learn's training rules (alpha, tol, learning-rate schedules, early stopping), weights,
and scikit-learn's tools (pipelines, grid search, pickling)."""

import copy
import importlib
import pickle
import sys
import warnings

import numpy as np
import pytest
from helpers import peak_allocation

pytest.importorskip("sklearn")

from sklearn import neural_network  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, make_classification  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.metrics import balanced_accuracy_score  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import check_sample_weight_equivalence_on_dense_data  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import numpy_mlp  # noqa: E402
from numpy_mlp.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

# scikit-learn's checks fit dozens of times on tiny blobs: at most 50-100 epochs each. Every
# documented configuration: the defaults, the SGD case (float32, no standardisation),
# float64, early stopping, numpy-mlp's extras, and the regressor's.
CHECKED_ESTIMATORS = [
    MLPClassifier(max_iter=50),
    MLPClassifier(solver="sgd", learning_rate_init=0.1, max_iter=50, standardize=False),
    MLPClassifier(solver="sgd", learning_rate_init=0.1, max_iter=50, dtype="float64"),
    MLPClassifier(early_stopping=True, learning_rate_init=0.01, n_iter_no_change=20, max_iter=100, dtype="float64"),
    MLPClassifier(solver="adamw", activation="logistic", learning_rate_init=0.01, max_iter=50, standardize=True),
    MLPRegressor(max_iter=50),
    MLPRegressor(solver="sgd", learning_rate="adaptive", learning_rate_init=0.01, max_iter=50, dtype="float64",
                 standardize=True, standardize_targets=True),
    MLPRegressor(early_stopping=True, learning_rate_init=0.01, max_iter=100, dtype="float64"),
]


def expected_failed_checks(estimator) -> dict:
    """The one check that two kinds of configuration cannot pass, and why."""
    if estimator.early_stopping:
        return {"check_sample_weight_equivalence_on_dense_data":
                "early stopping holds out different rows of the weighted and of the repeated data "
                "(scikit-learn's own estimator does too)"}
    if estimator.dtype == "float32":
        return {"check_sample_weight_equivalence_on_dense_data":
                "training in float32 sums a weighted row and its repeated copies with different roundings "
                "(~1e-7), which the check's rtol=1e-7 cannot absorb; float64 passes it, and "
                "test_float32_weights_equal_repetition_to_float32_precision checks float32"}
    return {}


@parametrize_with_checks(CHECKED_ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def breast_cancer():
    return load_breast_cancer(return_X_y=True)


# -- the same script, with scikit-learn's estimators and with ours -------------------------------

SCRIPT = """
{import_line}
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
classifier = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(32,), alpha=1e-3, max_iter=300,
                                                           random_state=0))
classifier.fit(X_train, y_train)
accuracy = classifier.score(X_test, y_test)
probabilities = classifier.predict_proba(X_test)

X, y = load_diabetes(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
regressor = make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(10,), alpha=1.0, learning_rate_init=0.01,
                                                         max_iter=500, random_state=0))
regressor.fit(X_train, y_train)
r2 = regressor.score(X_test, y_test)
mlp = regressor[-1]
attributes = (mlp.n_iter_, mlp.t_, len(mlp.loss_curve_), mlp.best_loss_, mlp.n_layers_, mlp.n_outputs_,
              mlp.out_activation_, [c.shape for c in mlp.coefs_], [b.shape for b in mlp.intercepts_])
"""


def run_script(import_line: str) -> dict:
    namespace = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        exec(SCRIPT.format(import_line=import_line), namespace)
    return namespace


def test_the_same_script_runs_with_scikit_learns_estimators_and_ours():
    theirs = run_script("from sklearn.neural_network import MLPClassifier, MLPRegressor")
    ours = run_script("from numpy_mlp.sklearn import MLPClassifier, MLPRegressor")
    assert type(ours["classifier"][-1]).__module__ == "numpy_mlp.sklearn"
    assert theirs["accuracy"] > 0.95 and ours["accuracy"] > 0.95
    assert ours["accuracy"] >= theirs["accuracy"] - 0.02, (ours["accuracy"], theirs["accuracy"])
    assert ours["probabilities"].shape == theirs["probabilities"].shape
    assert theirs["r2"] > 0.25 and ours["r2"] >= theirs["r2"] - 0.05, (ours["r2"], theirs["r2"])
    n_iter, t, n_losses, best_loss, n_layers, n_outputs, activation, coefs, intercepts = ours["attributes"]
    assert (n_losses, t) == (n_iter, n_iter * 331)  # 331 training rows
    assert (n_layers, n_outputs, activation, coefs, intercepts) == theirs["attributes"][4:]
    assert best_loss == min(ours["regressor"][-1].loss_curve_)


# -- fitted attributes, as scikit-learn's ------------------------------------------------------

def test_fitted_attributes_have_scikit_learns_names_shapes_and_meaning(breast_cancer):
    X, y = breast_cancer
    X = StandardScaler().fit_transform(X)
    ours = MLPClassifier(hidden_layer_sizes=(12, 5), max_iter=20, random_state=0).fit(X, y)
    theirs = neural_network.MLPClassifier(hidden_layer_sizes=(12, 5), max_iter=20, random_state=0).fit(X, y)
    for name in ("n_layers_", "n_outputs_", "out_activation_", "n_iter_", "t_", "n_features_in_"):
        assert getattr(ours, name) == getattr(theirs, name), name
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert [c.shape for c in ours.coefs_] == [c.shape for c in theirs.coefs_] == [(30, 12), (12, 5), (5, 1)]
    assert [b.shape for b in ours.intercepts_] == [b.shape for b in theirs.intercepts_]
    assert len(ours.loss_curve_) == 20 and ours.best_loss_ == min(ours.loss_curve_)
    assert ours.loss_ == ours.loss_curve_[-1] and ours.validation_scores_ is None is ours.best_validation_score_
    assert isinstance(ours.model_, numpy_mlp.MLP) and isinstance(ours.history_, numpy_mlp.History)
    assert ours.model_.dtype == np.float32


def test_coefs_and_intercepts_are_the_networks_own_arrays(breast_cancer):
    X, y = breast_cancer
    X = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier = MLPClassifier(max_iter=5, random_state=0).fit(X, y)
    assert classifier.coefs_[0] is classifier.model_.dense_layers[0].weights
    before = classifier.predict_proba(X[:5])
    classifier.intercepts_[-1][...] += 5.0  # scikit-learn's arrays are the model's, so are these
    assert np.all(classifier.predict_proba(X[:5])[:, 1] > before[:, 1])


def test_a_float32_network_predicts_the_same_whatever_the_batch(breast_cancer):
    """check_methods_subset_invariance failed by 2e-7: BLAS sums a float32 product in an order that
    depends on how many rows it holds; predicting in float64 leaves ~1e-16 of that."""
    X, y = breast_cancer
    classifier = MLPClassifier(solver="sgd", learning_rate_init=0.1, max_iter=20, random_state=0).fit(
        StandardScaler().fit_transform(X), y)
    X = StandardScaler().fit_transform(X)
    whole = classifier.predict_proba(X)
    one_by_one = np.vstack([classifier.predict_proba(row.reshape(1, -1)) for row in X])
    halves = np.vstack([classifier.predict_proba(X[:7]), classifier.predict_proba(X[7:])])
    assert whole.dtype == np.float64
    np.testing.assert_allclose(one_by_one, whole, rtol=0, atol=1e-14)
    np.testing.assert_allclose(halves, whole, rtol=0, atol=1e-14)


def test_binary_predict_proba_has_two_columns_that_sum_to_one(breast_cancer):
    X, y = breast_cancer
    labels = np.where(y == 1, 1, -1)  # not 0/1, so the mapping through classes_ is exercised
    classifier = MLPClassifier(max_iter=30, random_state=0, standardize=True).fit(X, labels)
    assert classifier.classes_.tolist() == [-1, 1] and classifier.out_activation_ == "logistic"
    assert (classifier.model_.output, classifier.model_.n_outputs) == ("sigmoid", 1)
    probabilities = classifier.predict_proba(X)
    assert probabilities.shape == (len(X), 2) and probabilities.dtype == np.float64
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(probabilities[:, 1], classifier.model_.predict_proba(X), rtol=1e-5)
    np.testing.assert_allclose(np.exp(classifier.predict_log_proba(X)), probabilities, rtol=1e-12)
    assert np.array_equal(classifier.predict(X), classifier.classes_[probabilities.argmax(axis=1)])
    assert classifier.score(X, labels) > 0.95


def test_predict_log_proba_stays_finite_where_a_probability_rounds_to_zero():
    X = np.array([[0.0], [1.0]] * 20)
    classifier = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(X, np.arange(40) % 2)
    classifier.intercepts_[-1][...] = 60.0  # p = 1 - 1e-26: 1 - p rounds to 0 from p, not from the logits
    assert np.all(np.isfinite(classifier.predict_log_proba(X)))
    assert np.all(classifier.predict_proba(X)[:, 0] > 0)


def test_multiclass_string_labels():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    classifier = MLPClassifier(max_iter=200, learning_rate_init=0.01, random_state=0, standardize=True).fit(X, names)
    assert classifier.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    assert classifier.out_activation_ == "softmax" and classifier.model_.n_outputs == 3
    probabilities = classifier.predict_proba(X)
    assert probabilities.shape == (150, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    assert np.mean(classifier.predict(X) == names) > 0.9


def test_multilabel_y_works_as_in_scikit_learn():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 4))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] > 0.5]).astype(int)
    ours = MLPClassifier(max_iter=100, learning_rate_init=0.01, random_state=0).fit(X, Y)
    theirs = neural_network.MLPClassifier(max_iter=100, learning_rate_init=0.01, random_state=0).fit(X, Y)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)  # [0, 1, 2]: one per label
    assert (ours.out_activation_, ours.n_outputs_) == (theirs.out_activation_, theirs.n_outputs_) == ("logistic", 3)
    assert ours.predict(X).shape == theirs.predict(X).shape == (300, 3)
    assert ours.predict(X).dtype.kind == theirs.predict(X).dtype.kind == "i"
    assert ours.predict_proba(X).shape == (300, 3)
    assert ours.score(X, Y) > 0.9  # subset accuracy, every label right


def test_a_multi_output_regressor():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 3))
    Y = np.column_stack([X @ [1.0, 2.0, -1.0], np.sin(X[:, 0]) * 3])
    regressor = MLPRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01, max_iter=300, random_state=0)
    regressor.fit(X, Y)
    assert regressor.n_outputs_ == 2 and regressor.out_activation_ == "identity"
    assert regressor.predict(X).shape == (300, 2) and regressor.predict(X).dtype == np.float64
    assert regressor.score(X, Y) > 0.95


# -- scikit-learn's training rules --------------------------------------------------------------

def test_alpha_is_an_l2_penalty_scaled_as_scikit_learn_scales_it():
    """One full-batch step of plain SGD: alpha adds alpha * W / n to the gradient of the weights
    (not the biases), and alpha / 2 ||W||^2 / n to the loss (scikit-learn's _backprop)."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 3)), rng.standard_normal(40)
    options = {"hidden_layer_sizes": (5,), "solver": "sgd", "momentum": 0.0, "learning_rate_init": 0.1,
               "max_iter": 1, "batch_size": 40, "shuffle": False, "random_state": 3, "dtype": "float64"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = MLPRegressor(alpha=0.0, **options).fit(X, y)
        decayed = MLPRegressor(alpha=2.0, **options).fit(X, y)
    initial = numpy_mlp.MLP(3, [5, 1], output="linear", seed=3, dtype=np.float64)  # the weights before the step
    for index, layer in enumerate(initial.dense_layers):
        np.testing.assert_allclose(decayed.coefs_[index], plain.coefs_[index] - 0.1 * 2.0 / 40 * layer.weights,
                                   rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(decayed.intercepts_[index], plain.intercepts_[index])
    squares = sum(float(np.sum(w ** 2)) for w in decayed.coefs_)
    assert decayed.loss_curve_[0] == pytest.approx(decayed.history_["loss"][0] + 0.5 * 2.0 * squares / 40, rel=1e-12)


def test_training_stops_when_the_loss_stops_improving_by_tol_as_in_scikit_learn(breast_cancer):
    X, y = breast_cancer
    X = StandardScaler().fit_transform(X)
    for n_iter_no_change in (3, 10):
        # tol so large that no epoch after the first improves enough: n_iter_no_change + 1 of those
        ours = MLPClassifier(tol=100.0, n_iter_no_change=n_iter_no_change, random_state=0).fit(X, y)
        theirs = neural_network.MLPClassifier(tol=100.0, n_iter_no_change=n_iter_no_change, random_state=0).fit(X, y)
        assert ours.n_iter_ == theirs.n_iter_ == 1 + n_iter_no_change + 1


def test_adaptive_rate_is_divided_by_5_until_too_small_as_in_scikit_learn(breast_cancer):
    X, y = breast_cancer
    X = StandardScaler().fit_transform(X)
    options = {"solver": "sgd", "learning_rate": "adaptive", "learning_rate_init": 0.01, "tol": 100.0,
               "n_iter_no_change": 2, "max_iter": 500, "random_state": 0}
    ours = MLPClassifier(**options).fit(X, y)
    theirs = neural_network.MLPClassifier(**options).fit(X, y)
    # after the first epoch, 0.01 -> 0.002 -> ... -> 6.4e-7 in 6 divisions, each after 3 epochs
    # without improvement; the 7th time it stops
    assert ours.n_iter_ == theirs.n_iter_ == 1 + 7 * 3
    assert ours.model_.optimizer.learning_rate == pytest.approx(theirs._optimizer.learning_rate, rel=1e-12)


def test_invscaling_rate_follows_the_samples_seen(breast_cancer):
    X, y = breast_cancer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier = MLPClassifier(solver="sgd", learning_rate="invscaling", learning_rate_init=0.5, power_t=0.25,
                                   max_iter=3, random_state=0).fit(X, y)
    assert classifier.t_ == 3 * len(X)
    assert classifier.model_.optimizer.learning_rate == pytest.approx(0.5 / (3 * len(X) + 1) ** 0.25, rel=1e-15)


def test_early_stopping_keeps_the_weights_of_the_best_validation_score(breast_cancer):
    X, y = breast_cancer
    X = StandardScaler().fit_transform(X)
    classifier = MLPClassifier(early_stopping=True, validation_fraction=0.2, n_iter_no_change=5, max_iter=500,
                               learning_rate_init=0.01, random_state=4).fit(X, y)
    assert classifier.n_iter_ < 500 and len(classifier.validation_scores_) == classifier.n_iter_
    assert classifier.best_validation_score_ == max(classifier.validation_scores_) and classifier.best_loss_ is None
    # the held-out rows, as the estimator split them (stratified, at least 2): the best score, again
    _, X_val, _, y_val = train_test_split(X, y, test_size=int(np.ceil(0.2 * len(X))), stratify=y,
                                          random_state=np.random.RandomState(4))
    assert classifier.score(X_val, y_val) == classifier.best_validation_score_


def test_verbose_prints_scikit_learns_lines(breast_cancer, capsys):
    X, y = breast_cancer
    MLPClassifier(max_iter=2, early_stopping=True, verbose=True, random_state=0).fit(X[:100], y[:100])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Iteration 1, loss = ") and lines[1].startswith("Validation score: ")
    assert len(lines) == 4


def test_max_iter_without_convergence_warns_as_scikit_learn_does(breast_cancer):
    X, y = breast_cancer
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        MLPClassifier(max_iter=3, random_state=0).fit(X, y)


def test_warm_start_goes_on_from_the_last_weights(breast_cancer):
    X, y = breast_cancer
    X = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier = MLPClassifier(max_iter=4, warm_start=True, random_state=0).fit(X, y)
        model, weights = classifier.model_, classifier.coefs_[0].copy()
        classifier.fit(X, y)
    assert classifier.model_ is model and not np.array_equal(weights, classifier.coefs_[0])
    assert classifier.n_iter_ == 4 and len(classifier.loss_curve_) == 8 and classifier.t_ == 8 * len(X)
    assert classifier.loss_curve_[-1] < classifier.loss_curve_[3]


# -- weights ------------------------------------------------------------------------------------

@pytest.mark.parametrize("estimator", [MLPClassifier(max_iter=30, dtype="float64"),
                                       MLPRegressor(max_iter=30, dtype="float64", standardize=True,
                                                    standardize_targets=True)])
def test_integer_weights_equal_repetition_in_float64(estimator):
    check_sample_weight_equivalence_on_dense_data(type(estimator).__name__, estimator)


def test_float32_weights_equal_repetition_to_float32_precision():
    rng = np.random.RandomState(42)
    X, y, weights = rng.rand(15, 30), rng.randint(0, 3, 15), rng.randint(0, 5, 15)
    options = {"solver": "sgd", "learning_rate_init": 0.1, "max_iter": 30, "random_state": 0, "tol": 0.0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = MLPClassifier(**options).fit(X, y, sample_weight=weights)
        repeated = MLPClassifier(**options).fit(X.repeat(weights, axis=0), y.repeat(weights))
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-5, atol=1e-7)


def test_balanced_class_weights_lift_the_balanced_accuracy_of_an_imbalanced_set():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(1.2, 1.0, (50, 2)), rng.normal(0.0, 1.0, (1000, 2))])
    y = np.r_[np.ones(50, int), np.zeros(1000, int)]
    scores = {}
    for class_weight in (None, "balanced"):
        classifier = MLPClassifier(hidden_layer_sizes=(8,), class_weight=class_weight, learning_rate_init=0.01,
                                   max_iter=50, random_state=0).fit(X, y)
        scores[class_weight] = balanced_accuracy_score(y, classifier.predict(X))
    assert scores[None] < 0.65 and scores["balanced"] > scores[None] + 0.15, scores


def test_class_weights_multiply_sample_weights():
    X, y = load_iris(return_X_y=True)
    options = {"max_iter": 3, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        by_class = MLPClassifier(class_weight={0: 2.0, 2: 0.5}, **options).fit(X, y, sample_weight=np.full(150, 3.0))
        by_sample = MLPClassifier(**options).fit(X, y, sample_weight=3.0 * np.array([2.0, 1.0, 0.5])[y])
    np.testing.assert_array_equal(by_class.coefs_[0], by_sample.coefs_[0])
    with pytest.raises(ValueError, match="class_weight is for one label per sample, not a multi-label y"):
        MLPClassifier(class_weight="balanced").fit(X[:4], np.eye(4, 3, dtype=int))


def test_predict_takes_a_threshold_or_the_one_the_model_chose(breast_cancer):
    X, y = breast_cancer
    X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0, stratify=y)
    classifier = MLPClassifier(max_iter=20, random_state=0, standardize=True).fit(X_train, y_train)
    probabilities = classifier.predict_proba(X_val)[:, 1]
    np.testing.assert_array_equal(classifier.predict(X_val, threshold=0.9), (probabilities >= 0.9).astype(int))
    threshold = classifier.model_.choose_threshold(X_val, y_val, metric="balanced_accuracy")
    np.testing.assert_array_equal(classifier.predict(X_val), (probabilities >= threshold).astype(int))


# -- scikit-learn's tools -------------------------------------------------------------------------

def test_pipeline_cross_validation_reaches_95_percent(breast_cancer):
    X, y = breast_cancer
    pipeline = make_pipeline(StandardScaler(), MLPClassifier(max_iter=100, random_state=0))
    scores = cross_val_score(pipeline, X, y, cv=5)
    assert scores.mean() >= 0.95, scores


def test_grid_search_clones_and_refits_the_best(breast_cancer):
    X, y = breast_cancer
    estimator = MLPClassifier(max_iter=50, learning_rate_init=0.01, random_state=0)
    search = GridSearchCV(estimator, {"hidden_layer_sizes": [(4,), (16,)], "standardize": [False, True]}, cv=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    # Without standardisation the raw features (up to ~4000) saturate the units: the search must see it.
    assert search.best_params_["standardize"] is True
    assert search.best_score_ >= 0.95
    best = search.best_estimator_
    assert best.standardize is True and best.hidden_layer_sizes == search.best_params_["hidden_layer_sizes"]
    assert best.model_.neurons_per_layer == [*best.hidden_layer_sizes, 1]
    assert not hasattr(estimator, "model_")  # the search fitted clones, never the original


def test_get_params_set_params_round_trip():
    estimator = MLPClassifier(hidden_layer_sizes=(5, 3), solver="sgd", max_iter=7, random_state=3)
    params = estimator.get_params()
    assert params["hidden_layer_sizes"] == (5, 3) and params["solver"] == "sgd"
    assert params["max_iter"] == 7 and params["random_state"] == 3 and params["dtype"] == "float32"
    assert set(neural_network.MLPClassifier().get_params()) <= set(params)  # every scikit-learn parameter
    assert MLPClassifier(**params).get_params() == params
    assert clone(estimator).get_params() == params
    assert set(neural_network.MLPRegressor().get_params()) <= set(MLPRegressor().get_params())

    assert estimator.set_params(max_iter=3, hidden_layer_sizes=(4,)) is estimator
    assert estimator.get_params() == {**params, "max_iter": 3, "hidden_layer_sizes": (4,)}
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, y)
    assert estimator.model_.neurons_per_layer == [4, 3]
    assert estimator.n_iter_ == 3


def test_same_random_state_gives_identical_predictions(breast_cancer):
    X, y = breast_cancer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        first = MLPClassifier(max_iter=10, random_state=7).fit(X, y).predict_proba(X)
        again = MLPClassifier(max_iter=10, random_state=7).fit(X, y).predict_proba(X)
        other = MLPClassifier(max_iter=10, random_state=8).fit(X, y).predict_proba(X)
        from_object = [MLPClassifier(max_iter=5, random_state=np.random.RandomState(1)).fit(X, y).predict_proba(X)
                       for _ in range(2)]
    assert np.array_equal(first, again)
    assert not np.allclose(first, other)  # the seed is really used
    assert np.array_equal(*from_object)  # a RandomState object seeds it too


def test_dataframe_feature_names_reach_the_model():
    pd = pytest.importorskip("pandas")
    data = load_iris(as_frame=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier = MLPClassifier(max_iter=2, random_state=0).fit(data.data, data.target)
    assert classifier.feature_names_in_.tolist() == list(data.data.columns)
    assert classifier.model_.feature_names_ == list(data.data.columns)
    with pytest.raises(ValueError, match="feature names"):
        classifier.predict(pd.DataFrame(data.data.to_numpy(), columns=[f"x{i}" for i in range(4)]))


def test_the_fitted_models_save_and_load_with_their_labels_and_target_scaling(tmp_path):
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    classifier = MLPClassifier(max_iter=50, learning_rate_init=0.01, random_state=0).fit(X, names)
    classifier.model_.save(tmp_path / "iris.npz")
    assert np.array_equal(numpy_mlp.load(tmp_path / "iris.npz").predict(X), classifier.predict(X))
    X, y = load_diabetes(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        regressor = MLPRegressor(max_iter=20, standardize=True, standardize_targets=True, random_state=0).fit(X, y)
    regressor.model_.save(tmp_path / "diabetes.npz")
    np.testing.assert_allclose(numpy_mlp.load(tmp_path / "diabetes.npz").predict(X), regressor.predict(X), rtol=1e-5)


def test_partial_fit_calls_continue_the_run_exactly_as_more_epochs_of_fit_do(breast_cancer):
    X, y = breast_cancer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        whole = MLPClassifier(max_iter=3, random_state=0).fit(X, y)
    parts = MLPClassifier(random_state=0)
    for _ in range(3):
        parts.partial_fit(X, y, classes=[0, 1])
    # Same weights to the last bit: the same network, shuffles, L2 and Adam state (m, v, t).
    np.testing.assert_array_equal(parts.model_.parameters().values, whole.model_.parameters().values)
    assert parts.model_.optimizer.step_count == whole.model_.optimizer.step_count
    assert parts.n_iter_ == 1 and parts.loss_curve_ == whole.loss_curve_  # scikit-learn's n_iter_: this call's
    assert parts.t_ == whole.t_ == 3 * len(X)


@pytest.mark.parametrize("duplicate", [lambda c: pickle.loads(pickle.dumps(c, protocol=5)), copy.deepcopy])
def test_a_copied_estimator_goes_on_learning_with_partial_fit(breast_cancer, duplicate):
    """The issue's minimal form: after pickle, partial_fit left the weights unchanged (the loss stayed
    flat), which is why dask_ml's Incremental on a cluster ended near chance accuracy."""
    X, y = breast_cancer
    straight = MLPClassifier(random_state=0).partial_fit(X, y, classes=[0, 1]).partial_fit(X, y)
    copied = duplicate(MLPClassifier(random_state=0).partial_fit(X, y, classes=[0, 1]))
    weights = copied.coefs_[0].copy()
    copied.partial_fit(X, y)
    assert not np.array_equal(weights, copied.coefs_[0])
    np.testing.assert_array_equal(copied.predict_proba(X), straight.predict_proba(X))
    assert copied.loss_curve_ == straight.loss_curve_


def test_partial_fit_learns_from_parts_that_each_lack_a_class():
    X, y = load_iris(return_X_y=True)
    order = np.argsort(y, kind="stable")  # parts sorted by label: the first part has no class 2
    parts = np.array_split(order, 3)
    estimator = MLPClassifier(learning_rate_init=0.01, random_state=0)
    for _ in range(60):
        for part in parts:
            estimator.partial_fit(X[part], y[part], classes=np.unique(y))
    assert list(estimator.classes_) == [0, 1, 2]
    assert estimator.score(X, y) >= 0.9


def test_partial_fit_needs_the_classes_first_and_no_early_stopping(breast_cancer):
    X, y = breast_cancer
    estimator = MLPClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call to partial_fit"):
        estimator.partial_fit(X, y)
    estimator.partial_fit(X, y, classes=[0, 1])
    estimator.partial_fit(X, y)  # later calls may leave them out
    with pytest.raises(ValueError, match="`y` has classes not in `self.classes_`"):
        estimator.partial_fit(X[:4], [0, 1, 7, 0])
    assert not hasattr(MLPClassifier(early_stopping=True), "partial_fit")  # as scikit-learn: it would hold nothing out
    with pytest.raises(AttributeError, match="partial_fit"):
        MLPRegressor(early_stopping=True).partial_fit(X, y)


@pytest.mark.parametrize("params, message", [
    ({"solver": "lbfgs"}, "solver='lbfgs' is not available in numpy-mlp, which trains by mini-batch gradient descent"),
    ({"solver": "adagrad"}, "solver must be one of 'sgd', 'adam', 'adamw', 'rmsprop'"),
    ({"learning_rate": "cosine"}, "learning_rate must be one of 'constant', 'invscaling', 'adaptive'"),
    ({"dtype": "int32"}, "dtype must be float32 or float64"),
    ({"activation": "swish"}, "activation must be one of 'identity', 'logistic', 'tanh', 'relu'"),
    ({"max_iter": 0}, "max_iter must be a positive integer"),
    ({"hidden_layer_sizes": (8, 0)}, r"hidden_layer_sizes must be > 0, got \[8, 0\]"),
    ({"batch_size": 0}, "batch_size must be 'auto' or a positive integer"),
    ({"alpha": -1.0}, "alpha must be a number >= 0"),
])
def test_bad_parameters_are_named_at_fit(params, message):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=message):
        MLPClassifier(**params).fit(X, y)


def test_weights_that_are_all_zero_are_named():
    with pytest.raises(ValueError, match="(every sample has weight 0|at least one non-zero)"):
        MLPRegressor().fit(np.ones((10, 2)), np.arange(10.0), sample_weight=np.zeros(10))


def test_the_regressor_refuses_the_poisson_loss_and_the_classifier_one_class():
    with pytest.raises(ValueError, match="loss='poisson' is not available in numpy-mlp"):
        MLPRegressor(loss="poisson").fit(np.ones((10, 2)), np.ones(10))
    with pytest.raises(ValueError, match="at least 2 classes.*one class"):
        MLPClassifier().fit(np.ones((10, 2)), np.zeros(10))


def test_import_without_scikit_learn_names_the_extra(monkeypatch):
    for name in [name for name in sys.modules if name == "sklearn" or name.startswith("sklearn.")]:
        monkeypatch.setitem(sys.modules, name, None)  # None makes any import of it fail
    monkeypatch.delitem(sys.modules, "numpy_mlp.sklearn")
    with pytest.raises(ImportError, match=r"pip install numpy-mlp\[sklearn\]"):
        importlib.import_module("numpy_mlp.sklearn")


# -- larger than memory ------------------------------------------------------------------------

def test_partial_fit_over_a_memmap_holds_one_block_at_a_time(tmp_path):
    """The one-machine recipe: a training set in a file, read block by block through numpy.memmap,
    trains like the same blocks in memory while allocating less than two blocks, not the file.
    (Here, not in test_dask.py: a LocalCluster's threads would allocate during the measurement.)"""
    X, y = make_classification(n_samples=20_000, n_features=50, n_informative=10, random_state=0)
    X = X.astype(np.float32)
    np.save(tmp_path / "X.npy", X)
    X_file = np.load(tmp_path / "X.npy", mmap_mode="r")
    block = 1000

    def train(features):
        model = MLPClassifier(hidden_layer_sizes=(16,), standardize=False, random_state=0)
        for start in range(0, len(features), block):
            model.partial_fit(features[start:start + block], y[start:start + block], classes=[0, 1])
        return model

    from_memory = train(X)
    peak = peak_allocation(lambda: train(X_file))
    from_file = train(X_file)
    np.testing.assert_array_equal(from_file.predict_proba(X[:500]), from_memory.predict_proba(X[:500]))
    # The file's pages are the operating system's to drop (tracemalloc does not see them);
    # what Python allocates stays under two blocks (a block may be converted once), a tenth of the file.
    assert peak < 2 * X[:block].nbytes == X.nbytes / 10, (peak, X[:block].nbytes)
