"""The dense Layer and Dropout: finite-difference gradients, overwrite semantics, shapes and dtypes."""

import numpy as np
import pytest
from helpers import assert_gradients_match, numerical_gradient

from numpy_mlp import Dropout, Layer, gradient_check


def make_layer(n_in=4, n_out=3, dtype=np.float64, seed=0):
    layer = Layer(n_in, n_out, np.random.default_rng(seed), dtype=dtype)
    layer.bias[:] = np.random.default_rng(seed + 1).normal(size=n_out)  # a non-zero bias is checked too
    return layer


def test_layer_gradients_match_finite_differences():
    result = gradient_check(make_layer(), np.random.default_rng(0).standard_normal((5, 4)))
    assert [row.name for row in result.rows] == ["weights", "bias", "input"]
    assert result.passed and result.worst_error < 1e-6, str(result)


def test_forward_is_x_times_weights_plus_bias():
    layer = make_layer(2, 2)
    layer.weights[...] = [[1.0, 2.0], [3.0, 4.0]]
    layer.bias[...] = [0.5, -0.5]
    assert np.array_equal(layer.forward(np.array([[1.0, 1.0], [2.0, 0.0]])), [[4.5, 5.5], [2.5, 3.5]])


def test_backward_overwrites_gradients_instead_of_accumulating():
    rng = np.random.default_rng(0)
    layer = make_layer()
    inputs, upstream = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    layer.forward(inputs)
    layer.backward(upstream)
    first = layer.grad_weights.copy(), layer.grad_bias.copy()
    layer.backward(upstream)
    assert np.array_equal(layer.grad_weights, first[0]) and np.array_equal(layer.grad_bias, first[1])


def test_gradients_are_written_into_the_arrays_parameters_returns():
    layer = make_layer()
    pairs = layer.parameters()
    assert [value is layer.weights for value, _ in pairs] == [True, False]
    assert pairs[0][1] is layer.grad_weights and pairs[1][1] is layer.grad_bias
    layer.forward(np.ones((2, 4)))
    layer.backward(np.ones((2, 3)))
    assert np.array_equal(pairs[1][1], [2.0, 2.0, 2.0])


def test_first_layer_skips_the_input_gradient():
    layer = make_layer()
    layer.needs_input_grad = False
    layer.forward(np.ones((2, 4)))
    assert layer.backward(np.ones((2, 3))) is None
    assert np.array_equal(layer.grad_bias, [2.0, 2.0, 2.0])  # its own gradients are still filled


def test_optimize_is_plain_gradient_descent():
    layer = make_layer()
    layer.forward(np.ones((2, 4)))
    layer.backward(np.full((2, 3), 0.5))
    weights, bias = layer.weights.copy(), layer.bias.copy()
    layer.optimize(0.1)
    assert np.allclose(layer.weights, weights - 0.1 * layer.grad_weights)
    assert np.allclose(layer.bias, bias - 0.1 * 1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_keeps_its_dtype_through_forward_backward_and_optimize(dtype):
    layer = make_layer(dtype=dtype)
    output = layer.forward(np.ones((3, 4), dtype=dtype))
    grad_inputs = layer.backward(np.ones((3, 3), dtype=dtype))
    layer.optimize(0.1)
    for array in (layer.weights, layer.bias, layer.grad_weights, layer.grad_bias, output, grad_inputs):
        assert array.dtype == dtype


def test_shapes_follow_the_notebook_convention():
    layer = Layer(5, 3, np.random.default_rng(0))
    assert layer.weights.shape == (5, 3) and layer.bias.shape == (3,)
    assert layer.grad_weights.shape == (5, 3) and layer.grad_bias.shape == (3,)
    assert (layer.n_in, layer.n_out) == (5, 3)
    assert np.all(layer.bias == 0)


@pytest.mark.parametrize("n_in, n_out", [(0, 3), (3, 0), (-1, 2)])
def test_layer_sizes_must_be_positive(n_in, n_out):
    with pytest.raises(ValueError, match="must be a positive integer"):
        Layer(n_in, n_out)


def test_layer_size_must_be_an_integer():
    with pytest.raises(TypeError, match="n_out must be an integer"):
        Layer(3, 2.5)


# -- dropout ------------------------------------------------------------------------------------

def training_dropout(rate, seed=0):
    layer = Dropout(rate, np.random.default_rng(seed))
    layer.training = True
    return layer


def test_dropout_gradient_matches_finite_differences_with_a_fixed_mask():
    rng = np.random.default_rng(0)
    layer = training_dropout(0.4)
    inputs = rng.standard_normal((6, 5))
    upstream = rng.standard_normal((6, 5))

    def loss():
        layer.rng = np.random.default_rng(7)  # the same mask at every evaluation
        return float(np.sum(layer.forward(inputs) * upstream))

    loss()
    grad_inputs = layer.backward(upstream)
    assert 0 < np.count_nonzero(layer.mask) < layer.mask.size  # some units dropped, some kept
    assert_gradients_match(grad_inputs, numerical_gradient(loss, inputs))


def test_dropout_zeroes_a_rate_of_the_units_and_scales_the_rest():
    layer = training_dropout(0.25)
    inputs = np.ones((400, 250))
    outputs = layer.forward(inputs)
    dropped = outputs == 0
    assert dropped.mean() == pytest.approx(0.25, abs=0.01)
    np.testing.assert_array_equal(outputs[~dropped], 1 / 0.75)  # inverted: kept units grow
    assert outputs.mean() == pytest.approx(1.0, abs=0.01)  # so the expected value is unchanged
    np.testing.assert_array_equal(layer.backward(inputs), outputs)  # the gradient takes the same mask


def test_dropout_draws_a_new_mask_at_every_training_forward():
    layer = training_dropout(0.5)
    inputs = np.ones((10, 10))
    assert not np.array_equal(layer.forward(inputs), layer.forward(inputs))


def test_dropout_passes_through_when_not_training():
    layer = Dropout(0.5, np.random.default_rng(0))
    inputs = np.arange(6.0).reshape(2, 3)
    state = layer.rng.bit_generator.state
    assert layer.forward(inputs) is inputs
    assert layer.backward(inputs) is inputs
    assert layer.rng.bit_generator.state == state  # inference draws nothing


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_keeps_the_dtype(dtype):
    layer = training_dropout(0.3)
    inputs = np.ones((4, 8), dtype=dtype)
    assert layer.forward(inputs).dtype == dtype
    assert layer.backward(inputs).dtype == dtype


def test_dropout_has_no_parameters():
    layer = Dropout(0.2)
    assert layer.parameter_names == () and layer.parameters() == []
    assert repr(layer) == "Dropout(rate=0.2)"


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_dropout_rate_must_be_in_0_1(rate):
    with pytest.raises(ValueError, match="dropout rate must be"):
        Dropout(rate)
