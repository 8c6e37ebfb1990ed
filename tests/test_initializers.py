"""Weight initialisation: He for the ReLU family, Glorot for the others, seeded and dtype-true."""

import math

import numpy as np
import pytest

from numpy_mlp import MLP
from numpy_mlp.initializers import glorot_uniform, he_normal

N_IN, N_OUT = 500, 400  # 200,000 weights: the sample std is within ~0.2% of the true one


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_he_normal_has_std_sqrt_2_over_n_in(dtype):
    weights = he_normal(np.random.default_rng(0), N_IN, N_OUT, dtype)
    assert weights.shape == (N_IN, N_OUT) and weights.dtype == dtype
    std = math.sqrt(2 / N_IN)
    assert weights.std() == pytest.approx(std, rel=0.01)
    assert abs(weights.mean()) < 0.01 * std
    # Normal, not uniform: about 4.6% of draws lie beyond 2 standard deviations.
    assert np.mean(np.abs(weights) > 2 * std) == pytest.approx(0.0455, abs=0.003)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_glorot_uniform_stays_within_its_limit(dtype):
    weights = glorot_uniform(np.random.default_rng(0), N_IN, N_OUT, dtype)
    assert weights.shape == (N_IN, N_OUT) and weights.dtype == dtype
    limit = math.sqrt(6 / (N_IN + N_OUT))
    assert np.abs(weights).max() <= limit
    assert np.abs(weights).max() > 0.999 * limit
    assert weights.std() == pytest.approx(limit / math.sqrt(3), rel=0.01)  # std of U(-r, r)
    assert abs(weights.mean()) < 0.01 * limit


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_relu_networks_use_he(activation):
    model = MLP(600, [300, 1], activation=activation, seed=0)
    first, last = model.dense_layers
    assert first.weights.std() == pytest.approx(math.sqrt(2 / 600), rel=0.02)
    assert np.abs(first.weights).max() > math.sqrt(6 / 900)  # beyond Glorot's limit: not Glorot
    assert last.weights.std() == pytest.approx(math.sqrt(2 / 300), rel=0.25)  # only 300 weights


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "identity"])
def test_other_networks_use_glorot(activation):
    model = MLP(600, [300, 1], activation=activation, seed=0)
    for layer in model.dense_layers:
        limit = math.sqrt(6 / (layer.n_in + layer.n_out))
        assert np.abs(layer.weights).max() <= limit
    first = model.dense_layers[0]
    assert first.weights.std() == pytest.approx(math.sqrt(6 / 900) / math.sqrt(3), rel=0.02)


def test_biases_start_at_zero():
    model = MLP(5, [4, 3, 2], seed=0)
    assert all(np.all(layer.bias == 0) for layer in model.dense_layers)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_seed_gives_the_same_weights_and_no_global_state_is_used(dtype):
    first = MLP(4, [8, 3, 1], seed=42, dtype=dtype)
    np.random.seed(0)
    np.random.standard_normal(10)  # disturbing NumPy's global generator changes nothing
    second = MLP(4, [8, 3, 1], seed=42, dtype=dtype)
    for key, value in first.state_dict().items():
        assert value.dtype == dtype
        assert np.array_equal(value, second.state_dict()[key])
    third = MLP(4, [8, 3, 1], seed=43, dtype=dtype)
    assert not np.array_equal(first.dense_layers[0].weights, third.dense_layers[0].weights)


def test_a_generator_draws_reproducibly():
    a = he_normal(np.random.default_rng(7), 3, 2)
    b = he_normal(np.random.default_rng(7), 3, 2)
    assert np.array_equal(a, b)
    assert a.dtype == np.float32  # the library's default dtype
