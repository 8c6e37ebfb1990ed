"""ONNX export, checked in onnxruntime against predict_proba / predict; and the skl2onnx converter."""

import json
import os

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import onnx  # noqa: E402
from helpers import onnx_outputs, require_mnist  # noqa: E402

from numpy_mlp import MLP, Adam, Dropout  # noqa: E402
from numpy_mlp.activations import Activation  # noqa: E402
from numpy_mlp.datasets import load_mnist  # noqa: E402
from numpy_mlp.onnx_export import OPSET, to_onnx  # noqa: E402

TOLERANCE = 1e-5  # on probabilities; labels must be equal
ACTIVATIONS = ["relu", {"name": "leaky_relu", "negative_slope": 0.2}, "tanh", "sigmoid", "identity"]
KINDS = ["binary", "binary_strings", "multiclass", "multilabel"]


def make_data(kind: str, n_samples: int = 300, seed: int = 0):
    """Five features (mean 3, spread 2: standardisation matters) and labels of the given kind."""
    rng = np.random.default_rng(seed)
    X = rng.normal(3.0, 2.0, size=(n_samples, 5))
    score = (X - 3.0) @ rng.normal(size=5)
    if kind == "binary":
        return X, (score > 0).astype(int)
    if kind == "binary_strings":
        return X, np.where(score > 0, "yes", "no")
    if kind == "multiclass":
        return X, np.digitize(score, np.quantile(score, [0.25, 0.5, 0.75]))  # classes 0..3
    return X, np.column_stack([score > 0, X[:, 0] > 3, X[:, 1] > X[:, 2]]).astype(int)  # multi-label


def trained_model(kind="binary", dtype="float32", standardize=False, activation="relu"):
    X, y = make_data(kind)
    options = {"activation": activation, "dtype": dtype, "standardize": standardize, "seed": 0}
    if kind == "multilabel":
        model = MLP(X.shape[1], [16, 8, y.shape[1]], output="sigmoid", **options)
    else:
        model = MLP.for_labels(X.shape[1], [16, 8], y, **options)
    model.fit(X, y, epochs=30, optimizer=Adam(learning_rate=0.01), verbose=0)
    return model


def random_features(n_samples=500, seed=1):
    """New rows drawn over the training features' range."""
    return np.random.default_rng(seed).uniform(-3.0, 9.0, size=(n_samples, 5))


def assert_matches_model(proto, model, X):
    """onnxruntime's probabilities within TOLERANCE of predict_proba, labels equal to predict."""
    outputs = onnx_outputs(proto, np.asarray(X, dtype=model.dtype))
    expected = model.predict_proba(X)
    assert outputs["probabilities"].dtype == model.dtype
    assert outputs["probabilities"].shape == expected.shape
    difference = np.max(np.abs(outputs["probabilities"] - expected))
    assert difference <= TOLERANCE, difference
    labels = model.predict(X)
    assert outputs["label"].shape == labels.shape
    assert outputs["label"].tolist() == labels.tolist()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("standardize", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_outputs_equal_predict_proba_and_predict(kind, standardize, dtype):
    model = trained_model(kind, dtype, standardize)
    proto = to_onnx(model)
    onnx.checker.check_model(proto, full_check=True)
    assert_matches_model(proto, model, random_features())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("activation", ACTIVATIONS, ids=lambda activation: activation["name"]
                         if isinstance(activation, dict) else activation)
def test_every_hidden_activation(activation, dtype):
    model = trained_model("multiclass", dtype, standardize=True, activation=activation)
    proto = to_onnx(model)
    operators = {node.op_type for node in proto.graph.node}
    expected = {"relu": "Relu", "tanh": "Tanh", "sigmoid": "Sigmoid", "identity": "Identity"}
    name = activation["name"] if isinstance(activation, dict) else activation
    assert expected.get(name, "LeakyRelu") in operators
    if name == "leaky_relu":
        (alpha,) = [attribute.f for node in proto.graph.node if node.op_type == "LeakyRelu"
                    for attribute in node.attribute][:1]
        assert alpha == pytest.approx(0.2)
    assert_matches_model(proto, model, random_features())


def test_graph_is_standard_operators_at_the_stated_opset():
    proto = to_onnx(trained_model("multiclass", standardize=True))
    assert [(opset.domain, opset.version) for opset in proto.opset_import] == [("", OPSET)]
    assert [node.op_type for node in proto.graph.node] == [
        "Sub", "Div", "Gemm", "Relu", "Gemm", "Relu", "Gemm", "Softmax", "ArgMax", "Gather"]
    assert [output.name for output in proto.graph.output] == ["probabilities", "label"]


def test_input_has_the_models_dtype_and_a_dynamic_batch():
    for dtype, element_type in (("float32", onnx.TensorProto.FLOAT), ("float64", onnx.TensorProto.DOUBLE)):
        model = trained_model("binary", dtype)
        (graph_input,) = to_onnx(model).graph.input
        assert graph_input.name == "X"
        assert graph_input.type.tensor_type.elem_type == element_type
        batch, features = graph_input.type.tensor_type.shape.dim
        assert batch.dim_param and not batch.dim_value and features.dim_value == 5
    for n_samples in (1, 7):  # a batch of one gives shapes (1,), not scalars
        assert_matches_model(to_onnx(model), model, random_features(n_samples))


def test_label_outputs_keep_the_class_type():
    strings = onnx_outputs(to_onnx(trained_model("binary_strings")), random_features().astype(np.float32))
    assert set(strings["label"].tolist()) == {"no", "yes"}
    multilabel = trained_model("multilabel")
    outputs = onnx_outputs(to_onnx(multilabel), random_features().astype(np.float32))
    assert outputs["label"].dtype == np.int64 and outputs["label"].shape == (500, 3)
    assert set(np.unique(outputs["label"])) == {0, 1}


def test_a_model_trained_at_the_low_level_outputs_class_indices():
    X, y = make_data("multiclass")
    model = MLP(5, [8, 4], output="softmax", seed=0)
    for _ in range(20):
        model.forward(X)
        model.loss(y)
        model.backward()
        model.optimize(0.1)
    assert model.classes_ is None
    assert_matches_model(to_onnx(model), model, random_features())


def test_feature_names_are_in_the_metadata():
    model = trained_model("binary")
    assert not to_onnx(model).metadata_props  # none known, none written
    model.feature_names_ = ["age", "height", "weight", "income", "ratio"]
    metadata = {entry.key: entry.value for entry in to_onnx(model).metadata_props}
    assert json.loads(metadata["feature_names"]) == model.feature_names_


def test_writes_the_file_atomically_when_given_a_path(tmp_path):
    model = trained_model("binary_strings", standardize=True)
    path = tmp_path / "model.onnx"
    proto = model.to_onnx(path)  # the method is the function
    assert proto == to_onnx(model)
    assert path.read_bytes() == proto.SerializeToString()
    assert os.listdir(tmp_path) == ["model.onnx"]  # no temporary file left beside it
    assert_matches_model(str(path), model, random_features())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mnist(dtype):
    (X_train, y_train), (X_test, _) = load_mnist(require_mnist(), download=False, dtype=dtype)
    model = MLP.for_labels(784, [64], y_train, dtype=dtype, standardize=True, seed=0)
    model.fit(X_train[:3000], y_train[:3000], epochs=2, optimizer=Adam(learning_rate=1e-3), verbose=0)
    assert_matches_model(to_onnx(model), model, X_test[:2000])


# -- dropout, regression and a chosen threshold ------------------------------------------------

def test_dropout_layers_are_left_out():
    X, y = make_data("multiclass")
    model = MLP.for_labels(X.shape[1], [16, 8], y, dropout=0.3, standardize=True, seed=0)
    model.fit(X, y, epochs=10, optimizer=Adam(learning_rate=0.01), verbose=0)
    assert any(isinstance(layer, Dropout) for layer in model.layers)
    proto = to_onnx(model)
    assert "Dropout" not in {node.op_type for node in proto.graph.node}
    assert_matches_model(proto, model, random_features())


def regressor(n_targets: int, dtype="float32", standardize_targets=True):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    Y = np.column_stack([100 + 40 * X[:, 0] - 30 * X[:, 1] ** 2, 5 * np.sin(X[:, 2])])[:, :n_targets]
    model = MLP.for_targets(5, [16], Y if n_targets > 1 else Y[:, 0], activation="tanh", dtype=dtype,
                            standardize=True, standardize_targets=standardize_targets, seed=0)
    model.fit(X, Y if n_targets > 1 else Y[:, 0], epochs=30, optimizer=Adam(learning_rate=0.01), verbose=0)
    return model, X


@pytest.mark.parametrize("standardize_targets", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n_targets", [1, 2])
def test_a_regressors_prediction_is_predicts_values(n_targets, dtype, standardize_targets):
    model, X = regressor(n_targets, dtype, standardize_targets)
    outputs = onnx_outputs(to_onnx(model), X.astype(dtype))
    assert list(outputs) == ["prediction"]
    expected = model.predict(X)
    assert outputs["prediction"].shape == expected.shape and outputs["prediction"].dtype == dtype
    # targets in the hundreds: the tolerance is relative to their scale
    assert np.max(np.abs(outputs["prediction"] - expected)) <= TOLERANCE * max(1.0, np.abs(expected).max())


def test_the_threshold_choose_threshold_stored_decides_the_label():
    model = trained_model("binary")
    X = random_features()
    model.threshold_ = 0.9  # as choose_threshold would store it
    outputs = onnx_outputs(to_onnx(model), X.astype(np.float32))
    np.testing.assert_array_equal(outputs["label"], model.predict(X))
    assert not np.array_equal(model.predict(X), model.predict(X, threshold=0.5))


# -- refusals ---------------------------------------------------------------------------------

def test_unknown_activation_is_named():
    class Swish(Activation):
        name = "swish"

    model = MLP(5, [4, 1], activation=Swish(), seed=0)
    with pytest.raises(ValueError, match="activation 'swish' has no ONNX export"):
        to_onnx(model)


def test_a_standardising_model_never_fitted_is_refused():
    with pytest.raises(ValueError, match="never fitted"):
        to_onnx(MLP(5, [4, 1], standardize=True))


@pytest.mark.parametrize("opset", [12, 10_000, "17", True])
def test_bad_opset_is_refused(opset):
    with pytest.raises(ValueError, match="opset must be an integer from 13"):
        to_onnx(MLP(5, [4, 1]), opset=opset)


def test_an_older_opset_on_request():
    model = trained_model("binary")
    proto = to_onnx(model, opset=13)
    assert proto.opset_import[0].version == 13
    assert_matches_model(proto, model, random_features())


# -- skl2onnx: the scikit-learn estimator, alone and in a Pipeline ----------------------------

@pytest.fixture(scope="module")
def skl2onnx():
    skl2onnx = pytest.importorskip("skl2onnx")
    from numpy_mlp.sklearn_onnx import register_skl2onnx
    register_skl2onnx()
    register_skl2onnx()  # a second call changes nothing
    return skl2onnx


def fitted_classifier(kind, dtype="float32", in_pipeline=False):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from numpy_mlp.sklearn import MLPClassifier
    X, y = make_data(kind)
    estimator = MLPClassifier(hidden_layer_sizes=(16,), max_iter=20, learning_rate_init=0.01, dtype=dtype,
                              standardize=not in_pipeline, random_state=0)
    if in_pipeline:
        estimator = make_pipeline(StandardScaler(), estimator)
    return estimator.fit(X, y), X


def assert_matches_estimator(proto, estimator, X):
    """Outputs ``label`` and ``probabilities`` equal to predict and predict_proba (within TOLERANCE)."""
    outputs = onnx_outputs(proto, X)
    assert list(outputs) == ["label", "probabilities"]
    assert outputs["label"].tolist() == estimator.predict(X).tolist()
    expected = estimator.predict_proba(X)
    assert outputs["probabilities"].shape == expected.shape
    difference = np.max(np.abs(outputs["probabilities"] - expected))
    assert difference <= TOLERANCE, difference


@pytest.mark.parametrize("in_pipeline", [False, True], ids=["alone", "pipeline"])
@pytest.mark.parametrize("kind", ["binary", "binary_strings", "multiclass"])
def test_skl2onnx_converts_the_classifier(skl2onnx, kind, in_pipeline):
    from numpy_mlp.sklearn import MLPClassifier
    estimator, X = fitted_classifier(kind, in_pipeline=in_pipeline)
    X = random_features().astype(np.float32)
    proto = skl2onnx.to_onnx(estimator, X[:1], options={MLPClassifier: {"zipmap": False}})
    onnx.checker.check_model(proto, full_check=True)
    assert_matches_estimator(proto, estimator, X)


@pytest.mark.parametrize("model_dtype", ["float32", "float64"])
@pytest.mark.parametrize("input_dtype", [np.float32, np.float64])
def test_skl2onnx_casts_the_input_to_the_models_dtype(skl2onnx, model_dtype, input_dtype):
    from numpy_mlp.sklearn import MLPClassifier
    estimator, _ = fitted_classifier("multiclass", model_dtype, in_pipeline=True)
    X = random_features().astype(input_dtype)
    proto = skl2onnx.to_onnx(estimator, X[:1], options={MLPClassifier: {"zipmap": False}})
    assert onnx_outputs(proto, X)["probabilities"].dtype == input_dtype  # as skl2onnx declares it
    assert_matches_estimator(proto, estimator, X)


@pytest.mark.parametrize("in_pipeline", [False, True], ids=["alone", "pipeline"])
@pytest.mark.parametrize("n_targets", [1, 2])
def test_skl2onnx_converts_the_regressor(skl2onnx, n_targets, in_pipeline):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from numpy_mlp.sklearn import MLPRegressor
    _, X = regressor(n_targets)
    Y = np.column_stack([100 + 40 * X[:, 0], 5 * np.sin(X[:, 2])])[:, :n_targets]
    estimator = MLPRegressor(hidden_layer_sizes=(16,), max_iter=30, learning_rate_init=0.01, standardize_targets=True,
                             random_state=0)
    if in_pipeline:
        estimator = make_pipeline(StandardScaler(), estimator)
    estimator.fit(X, Y if n_targets > 1 else Y[:, 0])
    X32 = X.astype(np.float32)
    proto = skl2onnx.to_onnx(estimator, X32[:1])
    onnx.checker.check_model(proto, full_check=True)
    (values,) = onnx_outputs(proto, X32).values()
    expected = estimator.predict(X32).reshape(len(X), -1)
    assert values.shape == expected.shape
    assert np.max(np.abs(values - expected)) <= TOLERANCE * max(1.0, np.abs(expected).max())


def test_skl2onnx_zipmap_by_default(skl2onnx):
    estimator, _ = fitted_classifier("binary_strings")
    X = random_features(50).astype(np.float32)
    outputs = onnx_outputs(skl2onnx.to_onnx(estimator, X[:1]), X)
    assert list(outputs) == ["output_label", "output_probability"]  # scikit-learn classifiers' default
    assert outputs["output_label"].tolist() == estimator.predict(X).tolist()
    probabilities = [[row[label] for label in ("no", "yes")] for row in outputs["output_probability"]]
    assert np.max(np.abs(np.array(probabilities) - estimator.predict_proba(X))) <= TOLERANCE
