"""Activations: finite-difference gradients, the ReLU derivative, and stable sigmoid/softmax."""

import math
from decimal import Decimal, localcontext

import numpy as np
import pytest
from helpers import strict_floating_point

from numpy_mlp import Identity, LeakyReLU, ReLU, Sigmoid, Tanh, gradient_check, log_softmax, sigmoid, softmax
from numpy_mlp.activations import get_activation

EXTREME_LOGITS = [-1e4, -100.0, -20.0, -1e-3, 0.0, 1e-3, 20.0, 100.0, 1e4]


def away_from_zero(rng, shape, low=0.1, high=3.0):
    """Random values with |z| in [low, high] and random signs: no kink of ReLU within reach."""
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


def check_activation_gradient(activation, z):
    """dL/dz from backward equals finite differences of L = sum(f(z) * R) (numpy_mlp.gradient_check)."""
    result = gradient_check(activation, z)
    assert result.passed and result.worst_error < 1e-6, str(result)


@pytest.mark.parametrize("activation", [ReLU(), LeakyReLU(), LeakyReLU(0.2), Tanh(), Sigmoid(), Identity()],
                         ids=repr)
def test_activation_gradient_matches_finite_differences(activation):
    z = away_from_zero(np.random.default_rng(0), (5, 4))
    check_activation_gradient(activation, z)


def test_relu_derivative_is_one_for_positive_and_zero_for_negative_inputs():
    # The course notebook had np.greater(0, z): exactly the reverse.
    z = np.array([[-2.0, -0.5, 0.5, 2.0]])
    relu = ReLU()
    assert np.array_equal(relu.forward(z), [[0.0, 0.0, 0.5, 2.0]])
    assert np.array_equal(relu.backward(np.ones_like(z)), [[0.0, 0.0, 1.0, 1.0]])


def test_leaky_relu_derivative_is_the_slope_for_negative_inputs():
    z = np.array([[-2.0, 3.0]])
    leaky = LeakyReLU(0.1)
    assert np.allclose(leaky.forward(z), [[-0.2, 3.0]])
    assert np.allclose(leaky.backward(np.array([[5.0, 5.0]])), [[0.5, 5.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", [ReLU(), LeakyReLU(), Tanh(), Sigmoid(), Identity()], ids=repr)
def test_activation_keeps_the_dtype(activation, dtype):
    z = np.linspace(-3, 3, 12, dtype=dtype).reshape(3, 4)
    assert activation.forward(z).dtype == dtype
    assert activation.backward(np.ones_like(z)).dtype == dtype


def exact_sigmoid(z: float) -> float:
    with localcontext() as context:
        context.prec = 60
        return float(1 / (1 + (-Decimal(z)).exp()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_exact_and_silent_at_extreme_logits(dtype):
    z = np.array(EXTREME_LOGITS, dtype=dtype)
    with strict_floating_point():
        p = sigmoid(z)
    assert p.dtype == dtype
    assert np.all((p >= 0) & (p <= 1))
    expected = [exact_sigmoid(float(value)) for value in z]
    info = np.finfo(dtype)
    assert np.allclose(p, expected, rtol=2 * info.eps, atol=info.smallest_normal)
    assert p[0] == 0 and p[-1] == 1 and p[4] == 0.5


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_and_log_softmax_are_stable_at_extreme_logits(dtype):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, 100.0], [20.0, -20.0, 1e-3]], dtype=dtype)
    with strict_floating_point():
        probabilities = softmax(z)
        log_probabilities = log_softmax(z)
    assert probabilities.dtype == dtype and log_probabilities.dtype == dtype
    assert np.all(np.isfinite(probabilities)) and np.all(np.isfinite(log_probabilities))
    assert np.allclose(probabilities.sum(axis=1), 1, rtol=0, atol=4 * np.finfo(dtype).eps)
    assert np.allclose(probabilities[:3], [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0]])
    # log softmax is exact where softmax underflows: log p = z - logsumexp(z) = -2e4.
    assert log_probabilities[0, 1] == -2e4
    assert log_probabilities[2, 2] == pytest.approx(100 - 1e4 - math.log(2))
    assert np.allclose(np.exp(log_probabilities), probabilities, atol=np.finfo(dtype).eps)


def test_softmax_rows_sum_to_one():
    z = np.random.default_rng(0).normal(scale=30, size=(50, 7))
    probabilities = softmax(z)
    assert np.all(probabilities >= 0)
    assert np.allclose(probabilities.sum(axis=1), 1, rtol=0, atol=1e-12)
    # Adding a constant to a row changes nothing: softmax depends on differences only.
    assert np.allclose(softmax(z + 1000), probabilities, atol=1e-12)


def test_get_activation_by_name_config_or_instance():
    assert isinstance(get_activation("relu"), ReLU)
    assert isinstance(get_activation("TANH"), Tanh)
    leaky = get_activation({"name": "leaky_relu", "negative_slope": 0.2})
    assert isinstance(leaky, LeakyReLU) and leaky.negative_slope == 0.2
    assert get_activation(leaky.config()).negative_slope == 0.2
    instance = Sigmoid()
    assert get_activation(instance) is instance
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        get_activation("swish")


@pytest.mark.parametrize("slope", [-0.1, 1.0, 2.0])
def test_leaky_relu_rejects_a_slope_outside_zero_one(slope):
    with pytest.raises(ValueError, match="negative_slope"):
        LeakyReLU(slope)
