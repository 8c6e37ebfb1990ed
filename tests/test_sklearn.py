"""Tests of the scikit-learn adapter: scikit-learn's own estimator checks, then its tools."""

import copy
import importlib
import pickle
import sys

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_iris  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import numpy_mlp  # noqa: E402
from numpy_mlp.sklearn import MLPClassifier  # noqa: E402

# A few epochs at a larger rate: scikit-learn's checks fit dozens of times on tiny blobs
# and want > 83% training accuracy. The second instance covers early stopping and float64.
CHECKED_ESTIMATORS = [
    MLPClassifier(epochs=5, learning_rate=0.01),
    MLPClassifier(epochs=5, learning_rate=0.1, optimizer="momentum", early_stopping=True,
                  patience=2, hidden_layer_sizes=(8, 4), dtype="float64"),
]


@parametrize_with_checks(CHECKED_ESTIMATORS)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def breast_cancer():
    return load_breast_cancer(return_X_y=True)


def test_pipeline_cross_validation_reaches_95_percent(breast_cancer):
    X, y = breast_cancer
    pipeline = make_pipeline(StandardScaler(), MLPClassifier(standardize=False, epochs=100, random_state=0))
    scores = cross_val_score(pipeline, X, y, cv=5)
    assert scores.mean() >= 0.95, scores


def test_grid_search_clones_and_refits_the_best(breast_cancer):
    X, y = breast_cancer
    estimator = MLPClassifier(epochs=50, learning_rate=0.01, random_state=0)
    search = GridSearchCV(estimator, {"hidden_layer_sizes": [(4,), (16,)], "standardize": [False, True]}, cv=3)
    search.fit(X, y)
    # Without standardisation the raw features (up to ~4000) saturate the units: the search must see it.
    assert search.best_params_["standardize"] is True
    assert search.best_score_ >= 0.95
    best = search.best_estimator_
    assert best.standardize is True and best.hidden_layer_sizes == search.best_params_["hidden_layer_sizes"]
    assert best.model_.neurons_per_layer == [*best.hidden_layer_sizes, 1]
    assert not hasattr(estimator, "model_")  # the search fitted clones, never the original


def test_get_params_set_params_round_trip():
    estimator = MLPClassifier(hidden_layer_sizes=(5, 3), optimizer="sgd", epochs=7, random_state=3)
    params = estimator.get_params()
    assert params["hidden_layer_sizes"] == (5, 3) and params["optimizer"] == "sgd"
    assert params["epochs"] == 7 and params["random_state"] == 3 and params["dtype"] == "float32"
    assert MLPClassifier(**params).get_params() == params
    assert clone(estimator).get_params() == params

    assert estimator.set_params(epochs=3, hidden_layer_sizes=(4,)) is estimator
    assert estimator.get_params() == {**params, "epochs": 3, "hidden_layer_sizes": (4,)}
    X, y = load_iris(return_X_y=True)
    estimator.fit(X, y)
    assert estimator.model_.neurons_per_layer == [4, 3]
    assert estimator.n_iter_ == 3


def test_binary_predict_proba_has_two_columns_that_sum_to_one(breast_cancer):
    X, y = breast_cancer
    labels = np.where(y == 1, 1, -1)  # not 0/1, so the mapping through classes_ is exercised
    classifier = MLPClassifier(epochs=30, random_state=0).fit(X, labels)
    assert classifier.classes_.tolist() == [-1, 1]
    assert (classifier.model_.output, classifier.model_.n_outputs) == ("sigmoid", 1)
    probabilities = classifier.predict_proba(X)
    assert probabilities.shape == (len(X), 2) and probabilities.dtype == np.float64
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    # column 1 is the sigmoid output, the probability of classes_[1]
    np.testing.assert_allclose(probabilities[:, 1], classifier.model_.predict_proba(X), rtol=1e-6)
    predictions = classifier.predict(X)
    assert np.array_equal(predictions, classifier.classes_[probabilities.argmax(axis=1)])
    assert classifier.score(X, labels) > 0.95


def test_multiclass_string_labels():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    classifier = MLPClassifier(epochs=100, learning_rate=0.01, random_state=0).fit(X, names)
    assert classifier.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    assert (classifier.model_.output, classifier.model_.n_outputs) == ("softmax", 3)
    probabilities = classifier.predict_proba(X)
    assert probabilities.shape == (150, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    predictions = classifier.predict(X)
    assert set(predictions) <= set(classifier.classes_)
    assert np.mean(predictions == names) > 0.9


def test_same_random_state_gives_identical_predictions(breast_cancer):
    X, y = breast_cancer
    first = MLPClassifier(epochs=10, random_state=7).fit(X, y).predict_proba(X)
    again = MLPClassifier(epochs=10, random_state=7).fit(X, y).predict_proba(X)
    other = MLPClassifier(epochs=10, random_state=8).fit(X, y).predict_proba(X)
    assert np.array_equal(first, again)
    assert not np.allclose(first, other)  # the seed is really used


def test_a_random_state_object_is_accepted_and_reproducible(breast_cancer):
    X, y = breast_cancer
    first = MLPClassifier(epochs=5, random_state=np.random.RandomState(1)).fit(X, y).predict_proba(X)
    again = MLPClassifier(epochs=5, random_state=np.random.RandomState(1)).fit(X, y).predict_proba(X)
    assert np.array_equal(first, again)


def test_fitted_attributes(breast_cancer):
    X, y = breast_cancer
    classifier = MLPClassifier(epochs=12, random_state=0).fit(X, y)
    assert isinstance(classifier.model_, numpy_mlp.MLP)
    assert isinstance(classifier.history_, numpy_mlp.History)
    assert classifier.n_features_in_ == X.shape[1]
    assert classifier.n_iter_ == 12 and classifier.model_.epochs_trained == 12
    assert classifier.loss_curve_ == classifier.history_["loss"]
    assert len(classifier.loss_curve_) == 12
    assert classifier.loss_curve_[-1] < classifier.loss_curve_[0]
    assert classifier.model_.dtype == np.float32 and classifier.model_.dense_layers[0].weights.dtype == np.float32


def test_early_stopping_holds_out_a_validation_set_and_stops(breast_cancer):
    X, y = breast_cancer
    classifier = MLPClassifier(epochs=500, learning_rate=0.01, early_stopping=True, patience=3,
                               validation_fraction=0.2, random_state=0).fit(X, y)
    assert "val_loss" in classifier.history_
    assert classifier.n_iter_ < 500
    assert classifier.history_.best_epoch == classifier.n_iter_ - 3  # patience epochs after the best


def test_dataframe_feature_names_reach_the_model():
    pd = pytest.importorskip("pandas")
    data = load_iris(as_frame=True)
    classifier = MLPClassifier(epochs=2, random_state=0).fit(data.data, data.target)
    assert classifier.feature_names_in_.tolist() == list(data.data.columns)
    assert classifier.model_.feature_names_ == list(data.data.columns)
    with pytest.raises(ValueError, match="feature names"):
        classifier.predict(pd.DataFrame(data.data.to_numpy(), columns=[f"x{i}" for i in range(4)]))


def test_the_fitted_model_saves_and_loads_with_its_labels(tmp_path):
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    classifier = MLPClassifier(epochs=20, learning_rate=0.01, random_state=0).fit(X, names)
    classifier.model_.save(tmp_path / "iris.npz")
    loaded = numpy_mlp.load(tmp_path / "iris.npz")
    assert np.array_equal(loaded.predict(X), classifier.predict(X))


def test_partial_fit_calls_continue_the_run_exactly_as_more_epochs_of_fit_do(breast_cancer):
    X, y = breast_cancer
    whole = MLPClassifier(epochs=3, random_state=0).fit(X, y)
    parts = MLPClassifier(random_state=0)
    for _ in range(3):
        parts.partial_fit(X, y, classes=[0, 1])
    # Same weights to the last bit: the same network, scaling, shuffles and Adam state (m, v, t).
    for (mine, _), (theirs, _) in zip(parts.model_.parameters(), whole.model_.parameters()):
        np.testing.assert_array_equal(mine, theirs)
    assert parts.model_.optimizer.step_count == whole.model_.optimizer.step_count
    assert parts.n_iter_ == 3 and parts.loss_curve_ == whole.loss_curve_


@pytest.mark.parametrize("duplicate", [lambda c: pickle.loads(pickle.dumps(c, protocol=5)), copy.deepcopy])
def test_a_copied_estimator_goes_on_learning_with_partial_fit(breast_cancer, duplicate):
    """The issue's minimal form: after pickle, partial_fit left the weights unchanged (the loss stayed
    flat), which is why dask_ml's Incremental on a cluster ended near chance accuracy."""
    X, y = breast_cancer
    straight = MLPClassifier(random_state=0).partial_fit(X, y, classes=[0, 1]).partial_fit(X, y)
    copied = duplicate(MLPClassifier(random_state=0).partial_fit(X, y, classes=[0, 1]))
    weights = copied.model_.layers[0].weights.copy()
    copied.partial_fit(X, y)
    assert not np.array_equal(weights, copied.model_.layers[0].weights)
    np.testing.assert_array_equal(copied.predict_proba(X), straight.predict_proba(X))
    assert copied.loss_curve_ == straight.loss_curve_


def test_partial_fit_learns_from_parts_that_each_lack_a_class():
    X, y = load_iris(return_X_y=True)
    order = np.argsort(y, kind="stable")  # parts sorted by label: the first part has no class 2
    parts = np.array_split(order, 3)
    # standardize=False: the scaling would be learned from the first part alone, setosa's.
    estimator = MLPClassifier(learning_rate=0.01, standardize=False, random_state=0)
    for _ in range(60):
        for part in parts:
            estimator.partial_fit(X[part], y[part], classes=np.unique(y))
    assert list(estimator.classes_) == [0, 1, 2]
    assert estimator.score(X, y) >= 0.9


def test_partial_fit_needs_the_classes_first_and_the_same_ones_after(breast_cancer):
    X, y = breast_cancer
    estimator = MLPClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes must be given to the first call of partial_fit"):
        estimator.partial_fit(X, y)
    estimator.partial_fit(X, y, classes=[0, 1])
    estimator.partial_fit(X, y)  # later calls may leave them out
    with pytest.raises(ValueError, match=r"classes \[0, 1, 2\] differ from those of the first call"):
        estimator.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="y has label 7, which is not one of the model's classes"):
        estimator.partial_fit(X[:4], [0, 1, 7, 0])


@pytest.mark.parametrize("params, message", [
    ({"optimizer": "adagrad"}, "unknown optimizer 'adagrad'"),
    ({"dtype": "int32"}, "dtype must be float32 or float64"),
    ({"activation": "swish"}, "unknown activation 'swish'"),
    ({"epochs": 0}, "epochs must be a positive integer"),
    ({"hidden_layer_sizes": (8, 0)}, "neurons_per_layer"),
    ({"early_stopping": True, "validation_fraction": 1.5}, "validation_split must be a fraction"),
])
def test_bad_parameters_are_named_at_fit(params, message):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=message):
        MLPClassifier(**params).fit(X, y)


def test_a_single_class_is_refused():
    with pytest.raises(ValueError, match="at least 2 classes.*one class"):
        MLPClassifier().fit(np.ones((10, 2)), np.zeros(10))


def test_import_without_scikit_learn_names_the_extra(monkeypatch):
    for name in [name for name in sys.modules if name == "sklearn" or name.startswith("sklearn.")]:
        monkeypatch.setitem(sys.modules, name, None)  # None makes any import of it fail
    monkeypatch.delitem(sys.modules, "numpy_mlp.sklearn")
    with pytest.raises(ImportError, match=r"pip install numpy-mlp\[sklearn\]"):
        importlib.import_module("numpy_mlp.sklearn")
