"""examples/mlp_from_scratch.py: the plain-NumPy reference trains exactly like the library."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from helpers import strict_floating_point

from numpy_mlp import MLP
from numpy_mlp.datasets import make_moons
from numpy_mlp.gradient_check import numerical_gradient, relative_error

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def scratch():
    spec = importlib.util.spec_from_file_location("mlp_from_scratch", EXAMPLES / "mlp_from_scratch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parameters_from(model):
    """The library model's weights as the from-scratch [W, b] pairs (copies)."""
    state = model.state_dict()
    return [[state[f"layers.{i}.weights"], state[f"layers.{i}.bias"]]
            for i in range(len(model.neurons_per_layer))]


@pytest.mark.parametrize("neurons_per_layer", [[1], [8, 1], [16, 8, 1]])
def test_from_scratch_and_library_give_the_same_weights_after_gradient_descent(scratch, neurons_per_layer):
    X, y = make_moons(64, noise=0.2, seed=0)
    X, y = X.astype(np.float64), y.reshape(-1, 1).astype(np.float64)
    model = MLP(2, neurons_per_layer, seed=1, dtype=np.float64)
    params = parameters_from(model)
    learning_rate = 0.5
    for _ in range(5):
        model.forward(X)
        library_loss = model.loss(y)
        model.backward()
        model.optimize(learning_rate)

        logits, cache = scratch.forward(params, X)
        scratch_loss = scratch.bce_loss(logits, y)
        scratch.gradient_descent_step(params, scratch.backward(params, cache, logits, y), learning_rate)
        assert scratch_loss == pytest.approx(library_loss, rel=1e-12)

    for (W, b), (library_W, library_b) in zip(params, parameters_from(model)):
        np.testing.assert_allclose(W, library_W, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(b, library_b, rtol=1e-12, atol=1e-14)
    # The weights moved: the agreement is not that of two untouched copies.
    assert not np.allclose(parameters_from(model)[0][0], parameters_from(MLP(2, neurons_per_layer, seed=1,
                                                                             dtype=np.float64))[0][0])


def test_from_scratch_backward_matches_finite_differences(scratch):
    X, y = make_moons(16, noise=0.2, seed=0)
    X, y = X.astype(np.float64), y.reshape(-1, 1).astype(np.float64)
    params = scratch.init_parameters([2, 6, 5, 1], np.random.default_rng(0))
    logits, cache = scratch.forward(params, X)
    grads = scratch.backward(params, cache, logits, y)

    def loss():
        return scratch.bce_loss(scratch.forward(params, X)[0], y)

    for param_pair, grad_pair in zip(params, grads):
        for value, gradient in zip(param_pair, grad_pair):
            assert relative_error(gradient, numerical_gradient(loss, value)) < 1e-6


def test_from_scratch_learns_xor(scratch):
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    params = scratch.init_parameters([2, 8, 1], np.random.default_rng(0))
    losses = scratch.train(params, X, y, steps=1000)
    assert losses[0] > 0.5 and losses[-1] < 0.05
    assert np.array_equal(scratch.predict(params, X), y.astype(int))


def test_from_scratch_sigmoid_and_loss_stay_finite_at_extreme_logits(scratch):
    logits = np.array([[-1e4], [0.0], [1e4]])
    with strict_floating_point():
        probabilities = scratch.sigmoid(logits)
        loss = scratch.bce_loss(logits, np.array([[1.0], [1.0], [0.0]]))
    assert probabilities.ravel().tolist() == [0.0, 0.5, 1.0]
    assert loss == pytest.approx((1e4 + np.log(2) + 1e4) / 3)
