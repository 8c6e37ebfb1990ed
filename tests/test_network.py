"""The MLP: whole-network gradient checks, a worked gradient-descent step, structure and dtypes."""

import copy
import pickle
import warnings

import numpy as np
import pytest
from helpers import assert_gradients_match, numerical_gradient

from numpy_mlp import (MLP, SGD, Adam, Dropout, FeatureRangeWarning, Identity, Layer, LeakyReLU, ReLU, Sigmoid, Tanh,
                       gradient_check, load)
from numpy_mlp.datasets import make_moons
from numpy_mlp.parameters import FlatParameters

NETWORKS = [
    # (n_features, neurons_per_layer, activation, output)
    (3, [1], "relu", "sigmoid"),                 # logistic regression: no hidden layer
    (3, [4, 1], "tanh", "sigmoid"),
    (4, [6, 5, 1], "relu", "sigmoid"),
    (4, [7, 6, 5, 1], "leaky_relu", "sigmoid"),
    (3, [5, 4, 3], "sigmoid", "sigmoid"),        # 3 independent sigmoid outputs (multi-label)
    (5, [8, 3], "identity", "sigmoid"),
    (3, [4, 3], "relu", "softmax"),
    (2, [6, 5, 4, 4], "tanh", "softmax"),
    (6, [3, 2], "sigmoid", "softmax"),
    (3, [1], "relu", "linear"),                  # linear regression
    (3, [4, 1], "tanh", "linear"),
    (4, [6, 5, 3], "relu", "linear"),            # 3 targets
]


def random_targets(rng, model, n_samples):
    if model.output == "softmax":
        return rng.integers(0, model.n_outputs, size=n_samples)
    if model.output == "linear":
        return rng.standard_normal((n_samples, model.n_outputs))
    return rng.integers(0, 2, size=(n_samples, model.n_outputs)).astype(np.float64)


def network_gradient_check(n_features, layers, activation, output):
    """numpy_mlp.gradient_check of a network: every parameter's gradient against central differences."""
    rng = np.random.default_rng(0)
    model = MLP(n_features, layers, activation=activation, output=output, seed=1, dtype=np.float64)
    for value, _ in model.parameters():  # non-zero biases, so their gradients are checked in general
        value += rng.normal(scale=0.1, size=value.shape)
    X = rng.standard_normal((7, n_features))
    result = gradient_check(model, X, random_targets(rng, model, len(X)))
    assert len(result.rows) == 2 * len(layers)
    return result


@pytest.mark.parametrize("n_features, layers, activation, output", NETWORKS)
def test_whole_network_gradients_match_finite_differences(n_features, layers, activation, output):
    result = network_gradient_check(n_features, layers, activation, output)
    assert result.passed and result.worst_error < 1e-6, str(result)


def notebook_relu_backward(self, grad_output):
    return grad_output * (self.mask == 0)  # np.greater(0, z): 1 where z is negative


def leaky_relu_backward_without_slope(self, grad_output):
    return grad_output * self.mask


def bias_gradient_as_a_mean(self, grad_output):
    self.grad_weights[...] = self.inputs.T @ grad_output
    self.grad_bias[...] = grad_output.mean(axis=0)
    return grad_output @ self.weights.T if self.needs_input_grad else None


@pytest.mark.parametrize("cls, method, network", [
    (ReLU, notebook_relu_backward, NETWORKS[2]),
    (LeakyReLU, leaky_relu_backward_without_slope, NETWORKS[3]),
    (Layer, bias_gradient_as_a_mean, NETWORKS[7]),
])
def test_the_gradient_check_catches_backpropagation_bugs(monkeypatch, cls, method, network):
    monkeypatch.setattr(cls, "backward", method)
    result = network_gradient_check(*network)
    assert not result.passed and result.worst_error > 1e-3, str(result)


def test_one_gradient_descent_step_by_hand():
    """A 2-2-1 ReLU network, two samples, one step of learning rate 0.1.

    x1 = (1, 2), y1 = 1;  x2 = (-1, 0.5), y2 = 0
    W1 = [[0.5, -0.5], [0.25, 0.75]], b1 = (0.1, -0.1);  W2 = [[1], [-2]], b2 = 0.5
    z1 = x W1 + b1      = [[1.1, 0.9], [-0.275, 0.775]]
    a1 = relu(z1)       = [[1.1, 0.9], [0, 0.775]]     (the second sample's first unit is off)
    z2 = a1 W2 + b2     = [[-0.2], [-1.05]]
    p  = sigmoid(z2)    = [[0.450166], [0.259225]]
    L  = -mean(y log p + (1 - y) log(1 - p)) = (0.798139 + 0.300058) / 2 = 0.549099
    dL/dz2 = (p - y) / 2 = [[-0.274917], [0.129613]]
    dL/dW2 = a1^T dL/dz2 = [[-0.302409], [-0.146976]],  dL/db2 = -0.145304
    dL/dz1 = (dL/dz2 W2^T) * (z1 > 0) = [[-0.274917, 0.549834], [0, -0.259225]]
    dL/dW1 = x^T dL/dz1 = [[-0.274917, 0.809059], [-0.549834, 0.970055]]
    dL/db1 = (-0.274917, 0.290609)
    and each parameter moves by -0.1 times its gradient.
    """
    X = np.array([[1.0, 2.0], [-1.0, 0.5]])
    y = np.array([1, 0])
    W1, b1 = np.array([[0.5, -0.5], [0.25, 0.75]]), np.array([0.1, -0.1])
    W2, b2 = np.array([[1.0], [-2.0]]), np.array([0.5])

    # The same equations in plain NumPy, independent of the library.
    z1 = X @ W1 + b1
    a1 = np.maximum(z1, 0)
    z2 = a1 @ W2 + b2
    p = 1 / (1 + np.exp(-z2))
    t = y[:, None]
    expected_loss = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    dz2 = (p - t) / 2
    dW2, db2 = a1.T @ dz2, dz2.sum(axis=0)
    dz1 = (dz2 @ W2.T) * (z1 > 0)
    dW1, db1 = X.T @ dz1, dz1.sum(axis=0)
    assert expected_loss == pytest.approx(0.549099, abs=1e-6)  # the comment's numbers are these
    assert dW1[1, 1] == pytest.approx(0.970055, abs=1e-6)

    model = MLP(2, [2, 1], activation="relu", dtype=np.float64)
    first, second = model.dense_layers
    first.weights[...], first.bias[...], second.weights[...], second.bias[...] = W1, b1, W2, b2
    probabilities = model.forward(X)
    loss = model.loss(y)
    model.backward()
    model.optimize(0.1)

    assert np.allclose(probabilities, p, rtol=1e-12)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    for layer, (weights, bias, grad_weights, grad_bias) in zip(model.dense_layers,
                                                               [(W1, b1, dW1, db1), (W2, b2, dW2, db2)]):
        assert np.allclose(layer.grad_weights, grad_weights, rtol=1e-12, atol=1e-15)
        assert np.allclose(layer.grad_bias, grad_bias, rtol=1e-12, atol=1e-15)
        assert np.allclose(layer.weights, weights - 0.1 * grad_weights, rtol=1e-12, atol=1e-15)
        assert np.allclose(layer.bias, bias - 0.1 * grad_bias, rtol=1e-12, atol=1e-15)


def test_layers_alternate_dense_and_activation_without_an_output_activation():
    model = MLP(3, [5, 4, 2], activation="tanh")
    kinds = [type(layer) for layer in model.layers]
    assert kinds == [Layer, Tanh, Layer, Tanh, Layer]
    shapes = [layer.weights.shape for layer in model.dense_layers]
    assert shapes == [(3, 5), (5, 4), (4, 2)]
    assert model.layers[1] is not model.layers[3]  # each activation caches its own forward
    assert MLP(3, 1).neurons_per_layer == [1]


@pytest.mark.parametrize("activation, kind", [("relu", ReLU), ("leaky_relu", LeakyReLU), ("sigmoid", Sigmoid),
                                              ("identity", Identity), (LeakyReLU(0.3), LeakyReLU)])
def test_activation_by_name_or_instance(activation, kind):
    model = MLP(2, [3, 3, 1], activation=activation)
    assert all(isinstance(layer, kind) for layer in model.layers[1::2])


@pytest.mark.parametrize("output, layers", [("sigmoid", [4, 1]), ("sigmoid", [4, 3]), ("softmax", [4, 5])])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_returns_probabilities_in_the_model_dtype(output, layers, dtype):
    model = MLP(3, layers, output=output, seed=0, dtype=dtype)
    X = np.random.default_rng(0).normal(scale=10, size=(20, 3))
    probabilities = model.forward(X)
    assert probabilities.dtype == dtype and model.logits.dtype == dtype
    assert probabilities.shape == (20, layers[-1])
    assert np.all((probabilities >= 0) & (probabilities <= 1))
    if output == "softmax":
        assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-6)
    model.loss(np.zeros(20, dtype=int) if output == "softmax" else np.zeros((20, layers[-1])))
    model.backward()
    model.optimize(0.01)
    for value, gradient in model.parameters():
        assert value.dtype == dtype and gradient.dtype == dtype


def test_parameters_are_the_layers_own_arrays():
    model = MLP(3, [4, 2, 1], seed=0)
    pairs = model.parameters()
    expected = [array for layer in model.dense_layers
                for array in (layer.weights, layer.grad_weights, layer.bias, layer.grad_bias)]
    assert all(mine is theirs for mine, theirs in zip([a for pair in pairs for a in pair], expected))


def test_all_parameters_tile_one_flat_array_and_all_gradients_another():
    model = MLP(3, [4, 2, 1], seed=0)
    flat = model.parameters()
    assert isinstance(flat, FlatParameters)
    values, gradients = zip(*flat)
    assert flat.values.size == sum(value.size for value in values) == 3 * 4 + 4 + 4 * 2 + 2 + 2 * 1 + 1
    assert all(value.base is flat.values for value in values)
    assert all(gradient.base is flat.gradients for gradient in gradients)
    flat.values[:] = np.arange(flat.values.size)
    flat.gradients[:] = -np.arange(flat.gradients.size)
    np.testing.assert_array_equal(model.dense_layers[0].weights, np.arange(12).reshape(3, 4))
    np.testing.assert_array_equal(model.dense_layers[0].grad_bias, -np.arange(12, 16))


def test_packing_keeps_the_initial_weights_that_the_seed_draws():
    model = MLP(5, [4, 3], seed=7)
    rng = np.random.default_rng(7)
    layers = [Layer(5, 4, rng, "he"), Layer(4, 3, rng, "he")]
    for mine, theirs in zip(model.dense_layers, layers):
        np.testing.assert_array_equal(mine.weights, theirs.weights)
        np.testing.assert_array_equal(mine.bias, theirs.bias)


def test_state_dict_round_trip_copies_in_place():
    model, other = MLP(3, [4, 1], seed=0), MLP(3, [4, 1], seed=1)
    weights_array = other.dense_layers[0].weights
    other.load_state_dict(model.state_dict())
    assert other.dense_layers[0].weights is weights_array  # an optimizer's references stay valid
    for key, value in model.state_dict().items():
        assert np.array_equal(other.state_dict()[key], value)
    state = model.state_dict()
    state["layers.0.weights"][...] = 99  # a copy: the model is untouched
    assert not np.any(model.dense_layers[0].weights == 99)


def test_load_state_dict_rejects_a_different_architecture():
    with pytest.raises(ValueError, match="state does not match"):
        MLP(3, [4, 1]).load_state_dict(MLP(3, [4, 2, 1]).state_dict())
    with pytest.raises(ValueError, match=r"layers.0.weights has shape \(3, 5\)"):
        MLP(3, [4, 1]).load_state_dict(MLP(3, [5, 1]).state_dict())


def test_summary_lists_every_layer_with_parameters_and_the_total():
    model = MLP(3, [4, 2, 1], activation="relu")
    lines = model.summary().splitlines()
    # 3*4 + 4 = 16, 4*2 + 2 = 10, 2*1 + 1 = 3; total 29
    dense_rows = [line for line in lines if line.startswith("Layer(")]
    assert [row.split()[0] for row in dense_rows] == ["Layer(n_in=3,", "Layer(n_in=4,", "Layer(n_in=2,"]
    assert [row.split()[-1] for row in dense_rows] == ["16", "10", "3"]
    assert sum(line.startswith("ReLU()") for line in lines) == 2
    assert "BinaryCrossEntropy" in model.summary()
    assert lines[-1].startswith("Total parameters: 29 ")
    big = MLP(784, [256, 128, 10], output="softmax")
    assert "Total parameters: 235,146" in big.summary()  # 200,960 + 32,896 + 1,290


def test_optimize_applies_gradient_descent_to_every_parameter():
    model = MLP(3, [4, 2], output="softmax", seed=0, dtype=np.float64)
    model.forward(np.ones((2, 3)))
    model.loss([0, 1])
    model.backward()
    before = [(value.copy(), gradient.copy()) for value, gradient in model.parameters()]
    model.optimize(0.5)
    for (value, _), (old, gradient) in zip(model.parameters(), before):
        assert np.array_equal(value, old - 0.5 * gradient)


def test_constructor_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n_features must be a positive integer"):
        MLP(0, [1])
    with pytest.raises(TypeError, match="must be an integer"):
        MLP(2, [2.5, 1])
    with pytest.raises(ValueError, match="at least one layer"):
        MLP(2, [])
    with pytest.raises(ValueError, match="output must be one of"):
        MLP(2, [1], output="relu")
    with pytest.raises(ValueError, match="softmax output needs at least 2 outputs"):
        MLP(2, [1], output="softmax")
    with pytest.raises(ValueError, match="unknown activation"):
        MLP(2, [1], activation="swish")


def test_forward_refuses_a_single_sample_that_is_not_a_batch():
    """The course notebook passed X[i] (shape (2,)) to forward: a batch of one is X[i:i + 1]."""
    model = MLP(2, [4, 1], seed=0)
    with pytest.raises(ValueError, match=r"shape \(n_samples, 2\).*reshape\(1, -1\)"):
        model.forward(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"shape \(n_samples, 2\)"):
        model.forward(np.zeros((3, 5)))
    assert model.forward(np.array([[0.0, 1.0]])).shape == (1, 1)


def test_for_labels_fits_the_output_to_the_number_of_classes():
    binary = MLP.for_labels(3, [4], np.array(["no", "yes", "no"]), seed=0)
    assert (binary.output, binary.n_outputs, binary.classes_.tolist()) == ("sigmoid", 1, ["no", "yes"])
    three = MLP.for_labels(3, [4], np.array([7, 3, 5, 3]), seed=0)
    assert (three.output, three.n_outputs, three.classes_.tolist()) == ("softmax", 3, [3, 5, 7])
    with pytest.raises(ValueError, match="only one class: 'a'"):
        MLP.for_labels(3, [4], np.array(["a", "a"]))


def diabetes_like_targets(n=442, seed=0):
    """Integer-valued disease progressions, 25 to 346, as in scikit-learn's diabetes set."""
    return np.random.default_rng(seed).integers(25, 347, n).astype(float)


@pytest.mark.parametrize("y, described", [
    (diabetes_like_targets(), r"\d{3} distinct values in 442 samples, from 25\.0 to 346\.0"),
    (np.array([0.5, 1.25, 3.0, 0.5]), "3 distinct values in 4 samples, such as 0.5"),
])
def test_for_labels_refuses_a_continuous_target_and_points_to_regression(y, described):
    with pytest.raises(ValueError, match=f"target.csv: the column 'progression' looks like a continuous target, not "
                                         f"class labels \\({described}\\): for regression build "
                                         r"MLP\(\.\.\., output='linear'\) or MLP.for_targets \(on the command line: "
                                         r"--task regression\)"):
        MLP.for_labels(3, [4], y, name="target.csv: the column 'progression'")


def test_for_labels_still_takes_many_classes_with_enough_samples_each():
    labels = np.repeat(np.arange(30), 3)  # 30 classes, 3 samples each: classes, not a measurement
    model = MLP.for_labels(2, [4], labels)
    assert (model.output, model.n_outputs) == ("softmax", 30)


def test_fitting_a_continuous_target_to_a_classifier_suggests_regression():
    X = np.random.default_rng(0).normal(size=(442, 3))
    with pytest.raises(ValueError, match="single-output sigmoid network separates two; use output='softmax' with "
                                         r"\d+ outputs\. y looks like a continuous target .*output='linear'"):
        MLP(3, [4, 1]).fit(X, diabetes_like_targets(), epochs=1, verbose=0)


@pytest.mark.parametrize("y, n_outputs", [(np.arange(5.0), 1), (np.arange(5.0).reshape(-1, 1), 1),
                                          (np.ones((5, 3)), 3)])
def test_for_targets_builds_a_linear_output_per_target(y, n_outputs):
    model = MLP.for_targets(2, [8, 4], y, seed=0, standardize_targets=True)
    assert (model.output, model.neurons_per_layer) == ("linear", [8, 4, n_outputs])
    assert model.standardize_targets and type(model.loss_function).__name__ == "MeanSquaredError"


@pytest.mark.parametrize("y, message", [
    (np.array(["a", "b"]), "y must hold numbers for a regressor"),
    (np.array([1.0, np.nan]), "y contains NaN or infinity"),
    (np.ones((2, 2, 2)), "y must be 1-D .* or 2-D"),
])
def test_for_targets_refuses_targets_that_are_not_numbers(y, message):
    with pytest.raises(ValueError, match=message):
        MLP.for_targets(2, [4], y)


# -- regression: values out, no probabilities ---------------------------------------------------

def test_a_regressor_predicts_values_of_one_or_several_targets():
    X = np.random.default_rng(0).normal(size=(10, 3))
    one, several = MLP(3, [4, 1], output="linear", seed=0), MLP(3, [4, 2], output="linear", seed=0)
    assert one.predict(X).shape == (10,) and several.predict(X).shape == (10, 2)
    np.testing.assert_array_equal(one.predict(X), one.forward(X)[:, 0])  # the identity output
    assert one.forward(X).dtype == np.float32


def test_a_regressor_refuses_probabilities_and_thresholds():
    model = MLP(3, [4, 1], output="linear", seed=0)
    X = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"predict_proba is for classifiers, and this model is a regressor "
                                         r"\(output='linear'\): predict gives its values"):
        model.predict_proba(X)
    with pytest.raises(ValueError, match="threshold is for classifiers"):
        model.predict(X, threshold=0.3)
    with pytest.raises(ValueError, match="threshold is for classifiers"):
        model.evaluate(X, [0.0, 1.0], threshold=0.3)


def test_standardize_targets_is_for_regressors_and_needs_a_fit():
    with pytest.raises(ValueError, match="standardize_targets is for regression"):
        MLP(3, [4, 1], standardize_targets=True)
    with pytest.raises(ValueError, match="standardises its targets but was never fitted"):
        MLP(3, [4, 1], output="linear", standardize_targets=True).predict(np.zeros((2, 3)))


# -- dropout --------------------------------------------------------------------------------------

def test_dropout_follows_each_hidden_activation_with_its_own_rate():
    model = MLP(3, [5, 4, 2], activation="tanh", dropout=[0.5, 0.0])
    kinds = [type(layer) for layer in model.layers]
    assert kinds == [Layer, Tanh, Dropout, Layer, Tanh, Layer]  # a rate of 0 adds no layer
    assert model.layers[2].rate == 0.5 and model.layers[2].rng is model.rng
    everywhere = MLP(3, [5, 4, 1], dropout=0.2)
    assert [layer.rate for layer in everywhere.layers if isinstance(layer, Dropout)] == [0.2, 0.2]
    assert everywhere.dropout == [0.2, 0.2] and everywhere.config()["dropout"] == [0.2, 0.2]
    assert "dropout" not in MLP(3, [5, 1]).config()  # files of models without dropout are unchanged
    assert len(everywhere.parameters()) == 6  # dropout adds no parameters


def test_dropout_keeps_the_initial_weights_that_the_seed_draws():
    plain, dropped = MLP(4, [8, 6, 1], seed=5), MLP(4, [8, 6, 1], seed=5, dropout=0.3)
    np.testing.assert_array_equal(plain.parameters().values, dropped.parameters().values)


@pytest.mark.parametrize("dropout, error, message", [
    (1.0, ValueError, "dropout must be in \\[0, 1\\)"),
    ([0.1], ValueError, "dropout lists 1 rates for 2 hidden layers"),
    ([0.1, 1.2], ValueError, "each dropout rate must be in"),
    ("high", TypeError, "dropout must be a rate or a list of rates"),
])
def test_dropout_rates_are_checked(dropout, error, message):
    with pytest.raises(error, match=message):
        MLP(3, [4, 4, 1], dropout=dropout)
    with pytest.raises(ValueError, match="this network has none"):
        MLP(3, [1], dropout=0.5)


def test_dropout_is_active_only_while_training():
    X = np.random.default_rng(0).normal(size=(50, 3))
    model = MLP(3, [32, 32, 1], dropout=0.5, seed=0)
    state = model.rng.bit_generator.state
    np.testing.assert_array_equal(model.forward(X), model.forward(X))
    np.testing.assert_array_equal(model.predict_proba(X), model.predict_proba(X))
    assert model.rng.bit_generator.state == state  # inference draws no mask
    assert not np.array_equal(model.forward(X, training=True), model.forward(X, training=True))
    np.testing.assert_array_equal(model.forward(X)[:, 0], model.predict_proba(X))


@pytest.mark.parametrize("output, layers", [("sigmoid", [6, 5, 2]), ("softmax", [6, 3]), ("linear", [5, 4, 2])])
def test_gradients_through_dropout_match_finite_differences_with_a_fixed_mask(output, layers):
    rng = np.random.default_rng(0)
    model = MLP(4, layers, activation="tanh", output=output, dropout=0.3, seed=1, dtype=np.float64)
    X, y = rng.standard_normal((8, 4)), random_targets(rng, model, 8)
    state = model.rng.bit_generator.state

    def loss():
        model.rng.bit_generator.state = state  # the same masks at every evaluation
        model.forward(X, training=True)
        return model.loss(y)

    loss()
    model.backward()
    analytic = [gradient.copy() for _, gradient in model.parameters()]
    for (value, _), gradient in zip(model.parameters(), analytic):
        assert_gradients_match(gradient, numerical_gradient(loss, value))


def test_backward_after_an_inference_forward_ignores_the_last_mask():
    rng = np.random.default_rng(0)
    model = MLP(3, [6, 1], dropout=0.5, seed=0, dtype=np.float64)
    plain = MLP(3, [6, 1], seed=0, dtype=np.float64)
    X, y = rng.standard_normal((5, 3)), rng.integers(0, 2, (5, 1))
    model.forward(X, training=True)
    for network in (model, plain):
        network.forward(X)
        network.loss(y)
        network.backward()
    np.testing.assert_array_equal(model.parameters().gradients, plain.parameters().gradients)


# -- features unlike the training data -------------------------------------------------------

def pixel_model():
    """A model trained on 'pixels' in [0, 1], as MNIST models are (pixel / 255)."""
    rng = np.random.default_rng(0)
    X = rng.random((200, 6), dtype=np.float32)
    model = MLP(6, [8, 1], seed=0)
    model.fit(X, X[:, 0] > 0.5, epochs=2, verbose=0)
    return model, X


def test_features_far_outside_the_training_range_warn():
    model, X = pixel_model()
    assert model.feature_range_ == (float(X.min()), float(X.max()))
    with pytest.warns(FeatureRangeWarning, match=r"X's values lie in \[0\.\d+, 25\d\.\d+\], far outside "
                                                 r"\[0\.\d+, 0\.9\d+\], the range the model was trained on"):
        model.predict(X * 255)  # raw 0-255 pixels
    with pytest.warns(FeatureRangeWarning):
        model.evaluate(X - 20, X[:, 0] > 0.5)


def test_features_somewhat_outside_the_training_range_do_not_warn():
    model, X = pixel_model()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict_proba(X * 5)
        model.predict_proba(X - 5)


def test_the_feature_range_widens_with_each_fit():
    model, X = pixel_model()
    model.fit(X * 3 - 1, X[:, 0] > 0.5, epochs=1, verbose=0)
    assert model.feature_range_ == (float((X * 3 - 1).min()), float((X * 3 - 1).max()))
    model.fit(X, X[:, 0] > 0.5, epochs=1, verbose=0)
    assert model.feature_range_ == (float((X * 3 - 1).min()), float((X * 3 - 1).max()))


# -- copies keep training ------------------------------------------------------------------------

def save_and_load(model, tmp_path):
    model.save(tmp_path / "copy.npz", include_optimizer=True)
    return load(tmp_path / "copy.npz")


COPIES = {
    "pickle": lambda model, tmp_path: pickle.loads(pickle.dumps(model)),
    "deepcopy": lambda model, tmp_path: copy.deepcopy(model),
    "copy": lambda model, tmp_path: copy.copy(model),
    "save-load": save_and_load,
}
MAKE_OPTIMIZER = {"momentum": lambda: SGD(learning_rate=0.05, momentum=0.9, weight_decay=1e-3),
                  "adam": lambda: Adam(learning_rate=0.01, clip_norm=1.0)}


@pytest.mark.parametrize("optimizer", MAKE_OPTIMIZER)
@pytest.mark.parametrize("how", COPIES)
def test_a_copy_goes_on_training_exactly_like_the_original(how, optimizer, tmp_path):
    """The copied model and its optimizer still share the model's arrays: fit(optimizer=copy.optimizer)
    continues the run bit for bit (before, the copy's layers lost their views and stopped learning)."""
    X, y = make_moons(n_samples=96, noise=0.2, seed=0)
    options = {"batch_size": 16, "verbose": 0}
    straight = MLP(2, [8, 8, 1], seed=3, standardize=True)
    straight.fit(X, y, epochs=4, optimizer=MAKE_OPTIMIZER[optimizer](), **options)

    first = MLP(2, [8, 8, 1], seed=3, standardize=True)
    first.fit(X, y, epochs=2, optimizer=MAKE_OPTIMIZER[optimizer](), **options)
    copied = COPIES[how](first, tmp_path)
    before = copied.state_dict()
    copied.fit(X, y, epochs=2, optimizer=copied.optimizer, **options)

    assert copied.optimizer.parameters is copied.parameters()
    assert not np.array_equal(before["layers.0.weights"], copied.dense_layers[0].weights)  # it learns
    for key, value in straight.state_dict().items():
        np.testing.assert_array_equal(copied.state_dict()[key], value, err_msg=key)
    for key, value in straight.optimizer.state_dict().items():
        np.testing.assert_array_equal(copied.optimizer.state_dict()[key], value, err_msg=key)


@pytest.mark.parametrize("how", COPIES)
def test_a_copy_with_dropout_goes_on_drawing_the_same_masks(how, tmp_path):
    X, y = make_moons(n_samples=96, noise=0.2, seed=0)
    options = {"batch_size": 16, "verbose": 0}
    straight = MLP(2, [16, 16, 1], seed=3, dropout=[0.5, 0.2])
    straight.fit(X, y, epochs=4, optimizer=Adam(learning_rate=0.01), **options)

    first = MLP(2, [16, 16, 1], seed=3, dropout=[0.5, 0.2])
    first.fit(X, y, epochs=2, optimizer=Adam(learning_rate=0.01), **options)
    copied = COPIES[how](first, tmp_path)
    assert all(layer.rng is copied.rng for layer in copied.layers if isinstance(layer, Dropout))
    copied.fit(X, y, epochs=2, optimizer=copied.optimizer, **options)
    np.testing.assert_array_equal(copied.parameters().values, straight.parameters().values)
    np.testing.assert_array_equal(copied.predict_proba(X), straight.predict_proba(X))


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_a_deep_copy_is_independent_of_the_original(how, tmp_path):
    model = MLP(3, [4, 1], seed=0)
    copied = COPIES[how](model, tmp_path)
    copied.dense_layers[0].weights[...] = 7.0
    assert not np.any(model.dense_layers[0].weights == 7.0)
    assert copied.parameters().values[0] == 7.0  # the copy's layers still view its own flat array


def test_a_pickled_model_carries_no_batch_and_no_second_copy_of_its_weights():
    X = np.random.default_rng(0).normal(size=(5000, 20))
    model = MLP(20, [16, 1], seed=0)
    model.fit(X, X[:, 0] > 0, epochs=1, batch_size=500, validation_split=0.5, verbose=0)
    size = len(pickle.dumps(model))
    parameters = model.parameters().values.nbytes
    # the values and the gradients, and a few kilobytes of metadata: not the 2,500-row batch
    assert 2 * parameters < size < 2 * parameters + 8000
