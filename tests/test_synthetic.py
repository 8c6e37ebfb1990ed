"""Synthetic datasets: XOR, two moons, two circles."""


import numpy as np
import pytest

from numpy_mlp.datasets import make_circles, make_moons, make_xor


def test_xor():
    X, y = make_xor()
    assert X.dtype == np.float64
    assert y.tolist() == [int(a) ^ int(b) for a, b in X]
    assert sorted(map(tuple, X.tolist())) == [(0, 0), (0, 1), (1, 0), (1, 1)]


@pytest.mark.parametrize("make", [make_moons, make_circles])
def test_shapes_balance_and_determinism(make):
    X, y = make(n_samples=101, noise=0.1, seed=3)
    assert X.shape == (101, 2) and X.dtype == np.float64 and y.shape == (101,)
    assert np.bincount(y).tolist() == [51, 50]
    X_again, y_again = make(n_samples=101, noise=0.1, seed=3)
    np.testing.assert_array_equal(X, X_again)
    np.testing.assert_array_equal(y, y_again)
    assert not np.array_equal(X, make(n_samples=101, noise=0.1, seed=4)[0])


@pytest.mark.parametrize("make", [make_moons, make_circles])
def test_a_generator_can_be_passed_as_seed(make):
    first = make(n_samples=20, noise=0.1, seed=np.random.default_rng(5))[0]
    second = make(n_samples=20, noise=0.1, seed=np.random.default_rng(5))[0]
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("make", [make_moons, make_circles])
def test_samples_are_shuffled_and_each_row_keeps_its_label(make):
    X, y = make(n_samples=400, noise=0.0, seed=0)
    # A random order of 200 zeros and 200 ones changes label about 200 times (standard deviation
    # 10); sorted or alternating labels change once or 399 times.
    changes = int(np.count_nonzero(np.diff(y)))
    assert 150 < changes < 250, changes
    # The points moved with their labels: without noise, class 0 lies on the unit circle.
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    assert not np.allclose(np.hypot(*X[y == 1].T), 1.0)


def test_moons_without_noise_lie_on_their_half_circles():
    X, y = make_moons(n_samples=50, noise=0.0, seed=0)
    upper, lower = X[y == 0], X[y == 1]
    # Class 0: the unit upper half circle; class 1: the lower half circle centred at (1, 0.5).
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    assert np.all(upper[:, 1] >= -1e-12)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    assert np.all(lower[:, 1] <= 0.5 + 1e-12)


def test_circles_without_noise_have_radii_one_and_factor():
    X, y = make_circles(n_samples=40, noise=0.0, factor=0.3, seed=0)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(*X[y == 1].T), 0.3)


def test_noise_is_a_standard_deviation():
    noisy, y = make_circles(n_samples=4000, noise=0.1, seed=0)
    # Gaussian noise of deviation 0.1 on x and y spreads the outer circle's radii by about 0.1.
    radii = np.hypot(*noisy[y == 0].T)
    assert abs(np.std(radii) - 0.1) < 0.01


@pytest.mark.parametrize("arguments, error", [
    ({"n_samples": 0}, ValueError), ({"n_samples": 1}, ValueError), ({"n_samples": 2.5}, TypeError),
    ({"noise": -0.1}, ValueError), ({"noise": float("nan")}, ValueError), ({"noise": "low"}, TypeError),
])
def test_invalid_arguments(arguments, error):
    with pytest.raises(error, match="n_samples|noise"):
        make_moons(**arguments)


def test_circles_factor_must_be_inside():
    with pytest.raises(ValueError, match="factor"):
        make_circles(factor=1.0)
