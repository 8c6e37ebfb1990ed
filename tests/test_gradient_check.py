"""The public gradient checker: it passes correct layers and networks, fails the classic
backward bugs, checks float32 models in float64, and flags inputs at a ReLU's kink."""

import numpy as np
import pytest

import numpy_mlp
from numpy_mlp import MLP, BinaryCrossEntropy, Identity, Layer, LeakyReLU, ReLU, Sigmoid, Tanh, gradient_check
from numpy_mlp.gradient_check import (GradientCheckResult, float64_copy, numerical_gradient,
                                      relative_error)


def random_inputs(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def xor_like(n=16, seed=0):
    X = random_inputs((n, 2), seed)
    return X, (X[:, 0] * X[:, 1] > 0).astype(int)


# -- the building blocks: numerical_gradient and relative_error ---------------------------------

def test_numerical_gradient_of_a_cubic_is_three_squares_and_restores_the_array():
    a = np.array([[1.0, -2.0], [0.5, 3.0]])
    original = a.copy()
    grad = numerical_gradient(lambda: float(np.sum(a ** 3)), a)
    np.testing.assert_allclose(grad, 3 * original ** 2, rtol=1e-8)
    assert np.array_equal(a, original)


def test_relative_error_is_zero_for_equal_arrays_and_scale_free():
    a = np.array([1.0, -2.0, 3.0])
    assert relative_error(a, a) == 0
    b = a + np.array([0.0, 0.0, 0.06])
    assert relative_error(a, b) == pytest.approx(0.06 / 6.06)
    assert relative_error(1e-8 * a, 1e-8 * b) == pytest.approx(relative_error(a, b))


# -- correct code passes -------------------------------------------------------------------------

def test_a_dense_layer_passes_for_its_weights_bias_and_input():
    layer = Layer(4, 3, np.random.default_rng(0), dtype=np.float64)
    layer.bias[:] = [0.5, -1.0, 2.0]
    result = gradient_check(layer, random_inputs((5, 4)))
    assert [row.name for row in result.rows] == ["weights", "bias", "input"]
    assert result.passed and result.worst_error < 1e-8


@pytest.mark.parametrize("activation", [ReLU(), LeakyReLU(0.1), Tanh(), Sigmoid(), Identity()],
                         ids=lambda activation: activation.name)
def test_every_activation_passes_with_its_input_gradient(activation):
    result = gradient_check(activation, 3 * random_inputs((6, 5)))
    assert [row.name for row in result.rows] == ["input"]
    assert result.passed and not result.warnings


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("output, n_outputs", [("sigmoid", 1), ("sigmoid", 3), ("softmax", 4)])
def test_mlps_pass_through_their_fused_losses(output, n_outputs, dtype):
    X = random_inputs((12, 3))
    y = np.random.default_rng(1).integers(0, 2 if output == "sigmoid" else n_outputs,
                                          size=(12, n_outputs) if n_outputs > 1 and output == "sigmoid" else 12)
    model = MLP(3, [6, 5, n_outputs], activation="tanh", output=output, seed=0, dtype=dtype)
    result = gradient_check(model, X, y)
    assert [row.name for row in result.rows] == list(model.state_dict())
    assert result.passed and result.worst_error < 1e-6


def test_the_first_layer_of_an_mlp_is_checked_with_its_input_gradient():
    model = MLP(3, [4, 1], seed=0)
    result = gradient_check(model.layers[0], random_inputs((5, 3)))
    assert result.rows[-1].name == "input" and result.passed
    assert model.layers[0].needs_input_grad is False  # the model's own layer is untouched


# -- the float64 copy ----------------------------------------------------------------------------

def test_a_float32_model_is_checked_in_float64_and_left_unchanged():
    X, y = xor_like()
    model = MLP(2, [8, 8, 1], seed=0)  # float32
    before = model.state_dict()
    result = gradient_check(model, X, y)
    assert result.worst_error < 1e-6 and result.passed
    assert model.dtype == np.float32
    assert all(np.array_equal(before[key], value) for key, value in model.state_dict().items())

    # The same finite differences taken on the float32 weights themselves: eps = 1e-6 is below
    # their resolution, and a correct backward looks wrong (the 0.15 of the old test helper).
    def loss():
        model.forward(X)
        return model.loss(y)

    loss()
    model.backward()
    naive = max(relative_error(gradient.copy(), numerical_gradient(loss, value))
                for value, gradient in model.parameters())
    assert naive > 1e-2


def test_float64_copy_converts_a_learners_arrays_and_keeps_them_shared():
    class TinyLayer:
        def __init__(self):
            self.W = np.ones((2, 2), np.float32)
            self.params = [self.W]  # the same array twice: forward reads W, parameters gives params

    layer = TinyLayer()
    clone = float64_copy(layer)
    assert clone.W.dtype == np.float64 and clone.params[0] is clone.W
    assert layer.W.dtype == np.float32


class DenseReLU:
    """A learner's own layer: z = x W + b, a = max(0, z), with its float32 arrays in a list."""

    def __init__(self, n_in, n_out, seed=0):
        rng = np.random.default_rng(seed)
        self.params = [rng.standard_normal((n_in, n_out)).astype(np.float32),
                       np.full(n_out, 0.1, np.float32)]

    def forward(self, x):
        weights, bias = self.params
        self.x, self.z = x, x @ weights + bias
        return np.maximum(self.z, 0)

    def backward(self, grad):
        grad_z = grad * (self.z > 0)
        self.grads = [self.x.T @ grad_z, grad_z.sum(axis=0)]
        return grad_z @ self.params[0].T

    def parameters(self):
        return list(zip(self.params, self.grads))


def test_a_learners_float32_layer_with_arrays_in_a_list_passes():
    layer = DenseReLU(3, 4)
    result = gradient_check(layer, random_inputs((6, 3)))
    assert [row.name for row in result.rows] == ["params[0]", "params[1]", "input"]
    assert result.passed
    assert layer.params[0].dtype == np.float32 and not hasattr(layer, "grads")


def test_parameters_in_a_dict_are_named_by_their_keys():
    class DictLayer:
        def __init__(self):
            self.params = {"W": np.eye(2), "b": np.zeros(2)}

        def forward(self, x):
            self.x = x
            return x @ self.params["W"] + self.params["b"]

        def backward(self, grad):
            self.grads = {"W": self.x.T @ grad, "b": grad.sum(axis=0)}
            return grad @ self.params["W"].T

        def parameters(self):
            return [(self.params[key], self.grads[key]) for key in ("W", "b")]

    result = gradient_check(DictLayer(), random_inputs((3, 2)))
    assert [row.name for row in result.rows] == ["params['W']", "params['b']", "input"]
    assert result.passed


def test_a_network_that_is_not_an_mlp_is_checked_through_its_own_loss():
    class TwoLayers:
        def __init__(self):
            rng = np.random.default_rng(0)
            self.layers = [Layer(2, 5, rng), ReLU(), Layer(5, 1, rng)]  # float32
            self.loss_function = BinaryCrossEntropy()

        def forward(self, X):
            for layer in self.layers:
                X = layer.forward(X)
            self.logits = X
            return X

        def loss(self, y):
            return self.loss_function.forward(self.logits, np.reshape(y, (-1, 1)).astype(self.logits.dtype))

        def backward(self):
            grad = self.loss_function.backward()
            for layer in reversed(self.layers):
                grad = layer.backward(grad)

        def parameters(self):
            return [pair for layer in self.layers[::2] for pair in layer.parameters()]

    X, y = xor_like()
    result = gradient_check(TwoLayers(), X, y)
    assert result.passed and result.worst_error < 1e-6
    assert [row.name for row in result.rows] == ["layers[0].weights", "layers[0].bias",
                                                 "layers[2].weights", "layers[2].bias"]


# -- the classic bugs fail -----------------------------------------------------------------------

class ReversedReLU:
    """The course notebook's ReLU: its derivative is 1 where z is negative."""

    def forward(self, z):
        self.z = z
        return np.maximum(0, z)

    def backward(self, grad):
        return np.greater(0, self.z).astype(int) * grad


def test_the_notebooks_reversed_relu_derivative_fails():
    result = gradient_check(ReversedReLU(), random_inputs((5, 4)))
    assert not result.passed
    assert result.worst_error > 0.5
    assert result.rows[0].status() == "WRONG"
    assert "FAILED" in str(result) and "WRONG" in str(result)


class NoTransposeLayer(Layer):
    def backward(self, grad_output):
        super().backward(grad_output)
        return grad_output @ self.weights  # should be weights.T; the shapes agree for a square W


def test_a_backward_that_forgets_to_transpose_fails_on_the_input_gradient():
    layer = NoTransposeLayer(4, 4, np.random.default_rng(0), dtype=np.float64)
    result = gradient_check(layer, random_inputs((5, 4)))
    rows = {row.name: row for row in result.rows}
    assert rows["weights"].error < 1e-6 and rows["bias"].error < 1e-6
    assert rows["input"].error > 1e-3 and not result.passed


class WrongAxisBiasLayer(Layer):
    def backward(self, grad_output):
        grad_input = super().backward(grad_output)
        self.grad_bias = np.sum(grad_output, axis=1)  # should sum over the samples, axis 0
        return grad_input


def test_a_bias_gradient_summed_over_the_wrong_axis_fails():
    # Shapes differ (5 samples, 3 outputs): the checker names the shape mismatch.
    result = gradient_check(WrongAxisBiasLayer(4, 3, np.random.default_rng(0)), random_inputs((5, 4)))
    bias = next(row for row in result.rows if row.name == "bias")
    assert not result.passed and bias.error == np.inf
    assert "has shape (5,), expected shape (3,)" in str(result)
    # Same shape (3 samples, 3 outputs): the values are wrong.
    result = gradient_check(WrongAxisBiasLayer(4, 3, np.random.default_rng(0)), random_inputs((3, 4)))
    bias = next(row for row in result.rows if row.name == "bias")
    assert not result.passed and bias.error > 1e-3


# -- kinks ---------------------------------------------------------------------------------------

def test_inputs_at_a_relu_kink_are_counted_and_compared_with_the_one_sided_slopes():
    X = np.array([[0.0, 1.0, -2.0], [0.0, 3.0, 0.5]])
    result = gradient_check(ReLU(), X)
    assert result.rows[0].kinks == 2
    assert len(result.warnings) == 1 and "2 of 6 elements of input" in result.warnings[0]
    assert "warning:" in str(result)
    assert result.passed  # 0 lies between the one-sided slopes 0 and R: a valid subgradient


def test_smooth_functions_and_zero_inputs_of_a_dense_layer_raise_no_kink_warning():
    X = random_inputs((4, 3))
    X[0] = 0.0  # zeros matter for a ReLU, not for a linear layer or a sigmoid
    for layer in (Layer(3, 2, np.random.default_rng(0)), Sigmoid(), Tanh()):
        assert gradient_check(layer, X).warnings == []


def test_a_hidden_relu_input_crossing_zero_is_flagged_in_a_network():
    model = MLP(1, [1, 1], seed=0, dtype=np.float64)
    model.layers[0].weights[...] = 1.0
    model.layers[0].bias[...] = -1.0  # the hidden ReLU's input is x - 1: exactly 0 at x = 1
    model.layers[2].weights[...] = 2.0
    result = gradient_check(model, np.array([[1.0], [3.0]]), np.array([1, 0]))
    rows = {row.name: row for row in result.rows}
    assert rows["layers.0.weights"].kinks == 1 and rows["layers.0.bias"].kinks == 1
    assert rows["layers.1.weights"].kinks == 0
    assert result.passed


# -- the interface -------------------------------------------------------------------------------

def test_the_result_reads_as_a_table_and_is_exported_at_the_top_level():
    result = gradient_check(Layer(2, 2, np.random.default_rng(0)), random_inputs((3, 2)))
    assert isinstance(result, GradientCheckResult)
    text = result.table()
    assert text == str(result)
    assert text.splitlines()[0].startswith("Gradient check in float64")
    assert "relative error" in text and text.splitlines()[-1].startswith("passed")
    assert repr(result).startswith("GradientCheckResult(passed=True")
    assert numpy_mlp.gradient_check is gradient_check and "gradient_check" in numpy_mlp.__all__


def test_bad_arguments_name_the_problem():
    with pytest.raises(TypeError, match="forward and backward"):
        gradient_check(object(), np.zeros((2, 2)))
    with pytest.raises(TypeError, match=r"gradient_check\(model, X, y\)"):
        gradient_check(MLP(2, [1]), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="eps"):
        gradient_check(ReLU(), np.ones((2, 2)), eps=0)


def test_a_wrong_gradient_at_a_kink_is_still_caught():
    class NegativeBelowOrAtZero(ReversedReLU):
        def backward(self, grad):
            return np.where(self.z > 0, grad, -grad)  # -1 is no slope of max(0, z) at 0

    result = gradient_check(NegativeBelowOrAtZero(), np.array([[0.0, 0.0], [0.0, 0.0]]))
    assert not result.passed and result.worst_error > 1e-3
