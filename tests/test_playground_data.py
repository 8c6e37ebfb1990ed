"""The playground's 2-D data sets: shapes, balance, determinism, noise, and each set's geometry."""

import math

import numpy as np
import pytest

from numpy_mlp.playground.data import PLANE_HALF_WIDTH, SHAPES, make_playground_data


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_shapes_balance_plane_and_determinism(name):
    X, y = make_playground_data(name, n_samples=401, noise=0.0, seed=3)
    assert X.shape == (401, 2) and X.dtype == np.float64
    assert y.shape == (401,) and set(y.tolist()) == {0, 1}
    assert np.bincount(y).tolist() == [201, 200]
    assert np.abs(X).max() <= PLANE_HALF_WIDTH  # without noise, every point is on the page's plane
    X_again, y_again = make_playground_data(name, n_samples=401, noise=0.0, seed=3)
    np.testing.assert_array_equal(X, X_again)
    np.testing.assert_array_equal(y, y_again)
    assert not np.array_equal(X, make_playground_data(name, n_samples=401, noise=0.0, seed=4)[0])


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_noise_is_gaussian_with_the_given_deviation(name):
    clean, labels = make_playground_data(name, n_samples=4000, noise=0.0, seed=1)
    # The same seed draws the same shape first, then the noise: the difference is the noise alone.
    noisy, noisy_labels = make_playground_data(name, n_samples=4000, noise=0.2, seed=1)
    np.testing.assert_array_equal(labels, noisy_labels)
    difference = noisy - clean
    assert abs(difference.std() - 0.2) < 0.01 and abs(difference.mean()) < 0.01


def test_xor_classes_are_the_quadrants_with_different_signs_and_a_margin():
    X, y = make_playground_data("xor", n_samples=2000, seed=0)
    np.testing.assert_array_equal(y, (X[:, 0] > 0) != (X[:, 1] > 0))
    assert np.abs(X).min() >= 0.1  # each coordinate keeps away from the axes
    quadrants = np.bincount(2 * (X[:, 0] > 0) + (X[:, 1] > 0), minlength=4)
    assert quadrants.min() > 400  # every quadrant gets its share


def test_spiral_arms_are_half_a_turn_apart():
    X, y = make_playground_data("spiral", n_samples=1000, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius.min() >= 0.1 - 1e-12 and radius.max() <= 1.2 + 1e-12
    # Unwinding each point's angle by its radius (angle = 3.5 pi t + k pi, r = 0.1 + 1.1 t) leaves k pi.
    t = (radius - 0.1) / 1.1
    phase = np.mod(np.arctan2(X[:, 1], X[:, 0]) - 3.5 * math.pi * t, 2 * math.pi)
    expected = np.where(y == 1, math.pi, 0.0)
    gap = np.abs(np.angle(np.exp(1j * (phase - expected))))
    assert gap.max() < 1e-9


def test_circles_and_gaussians_geometry():
    X, y = make_playground_data("circles", n_samples=200, seed=0)
    np.testing.assert_allclose(np.hypot(X[:, 0], X[:, 1]), np.where(y == 1, 0.5, 1.0))
    X, y = make_playground_data("gaussians", n_samples=4000, seed=0)
    np.testing.assert_allclose(X[y == 0].mean(axis=0), [-0.5, -0.5], atol=0.03)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [0.5, 0.5], atol=0.03)
    assert abs(X[y == 1].std() - 0.25) < 0.01


@pytest.mark.parametrize("arguments, message", [
    (("rings",), "unknown data set 'rings'"),
    (("xor", 1), "n_samples must be an int >= 2"),
    (("xor", 10.0), "n_samples must be an int >= 2"),
    (("xor", 10, -0.1), "noise must be a finite number >= 0"),
    (("xor", 10, float("nan")), "noise must be a finite number >= 0"),
    (("xor", 10, True), "noise must be a finite number >= 0"),
])
def test_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        make_playground_data(*arguments)
