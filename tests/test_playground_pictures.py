"""A frame's pictures: the plane's grid, each hidden neuron's activation, and their encoding in bytes."""

import numpy as np
import pytest

from numpy_mlp import MLP
from numpy_mlp.datasets import make_moons
from numpy_mlp.playground.data import PLANE_HALF_WIDTH
from numpy_mlp.playground.pictures import (class_1_probability, decode_picture, encode_picture, hidden_activations,
                                           plane_grid)


def test_the_grid_runs_row_by_row_from_the_top_left_pixel_centre():
    grid = plane_grid(4)
    half_pixel = PLANE_HALF_WIDTH / 4
    assert grid.shape == (16, 2) and grid.dtype == np.float32
    np.testing.assert_allclose(grid[0], [-PLANE_HALF_WIDTH + half_pixel, PLANE_HALF_WIDTH - half_pixel])
    np.testing.assert_allclose(grid[3], [PLANE_HALF_WIDTH - half_pixel, PLANE_HALF_WIDTH - half_pixel])
    np.testing.assert_allclose(grid[15], [PLANE_HALF_WIDTH - half_pixel, -PLANE_HALF_WIDTH + half_pixel])
    assert plane_grid(3, np.float64).dtype == np.float64


def test_hidden_activations_are_each_layers_output():
    model = MLP(2, [5, 3, 1], activation="tanh", seed=0)
    points = plane_grid(6)
    first, second = hidden_activations(model, points)
    dense = [layer for layer in model.layers if hasattr(layer, "weights")]
    expected_first = np.tanh(points @ dense[0].weights + dense[0].bias)
    expected_second = np.tanh(expected_first @ dense[1].weights + dense[1].bias)
    np.testing.assert_allclose(first, expected_first, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(second, expected_second, rtol=1e-5, atol=1e-6)
    assert hidden_activations(MLP(2, [1], seed=0), points) == []  # no hidden layer, no neuron pictures


@pytest.mark.parametrize("output, outputs", [("sigmoid", 1), ("softmax", 2)])
def test_class_1_probability_is_what_predict_proba_gives(output, outputs):
    X, y = make_moons(200, noise=0.1, seed=0)
    model = MLP(2, [8, outputs], output=output, seed=0)
    model.fit(X, y, epochs=5, verbose=0)
    points = plane_grid(10) * 0.5  # inside the training range, so predict_proba does not warn
    probabilities = model.predict_proba(points)
    expected = probabilities if output == "sigmoid" else probabilities[:, 1]
    np.testing.assert_array_equal(class_1_probability(model, points), expected)


def test_encoding_maps_the_bounds_to_0_and_255_and_clips():
    values = np.array([-3.0, -1.0, 0.0, 0.5, 1.0, 7.0])
    np.testing.assert_array_equal(decode_picture(encode_picture(values, -1.0, 1.0)), [0, 0, 128, 191, 255, 255])
    random = np.random.default_rng(0).uniform(0, 1, 1000)
    decoded = decode_picture(encode_picture(random, 0.0, 1.0)) / 255
    assert np.abs(decoded - random).max() <= 0.5 / 255 + 1e-12
