"""Fused losses: finite-difference gradients, exact values at extreme logits, no warnings."""

from decimal import Decimal, localcontext

import numpy as np
import pytest
from helpers import assert_loss_gradient_matches, strict_floating_point

from numpy_mlp import BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy
from numpy_mlp.losses import LOSS_FOR_OUTPUT

LOGITS = [-1e4, -100.0, -20.0, -1e-3, 0.0, 1e-3, 20.0, 100.0, 1e4]
DTYPES = [np.float32, np.float64]


def silently(function, *args):
    """function(*args), failing on any NumPy overflow, division by zero, invalid value or warning."""
    with strict_floating_point():
        return function(*args)


# -- exact references, computed with 60 significant digits (Decimal never overflows here) --------

def exact_bce(z: float, y: int) -> float:
    """-[y log s(z) + (1 - y) log(1 - s(z))] = log(1 + e^-z) for y = 1, log(1 + e^z) for y = 0."""
    with localcontext() as context:
        context.prec = 60
        z = Decimal(z)
        return float((1 + (-z if y == 1 else z).exp()).ln())


def exact_sigmoid(z: float) -> float:
    with localcontext() as context:
        context.prec = 60
        return float(1 / (1 + (-Decimal(z)).exp()))


def exact_softmax_row(row) -> list[float]:
    with localcontext() as context:
        context.prec = 60
        exps = [Decimal(float(z)).exp() for z in row]
        return [float(e / sum(exps)) for e in exps]


def exact_softmax_ce(row, target: int) -> float:
    """logsumexp(z) - z_target."""
    with localcontext() as context:
        context.prec = 60
        total = sum(Decimal(float(z)).exp() for z in row)
        return float(total.ln() - Decimal(float(row[target])))


# -- binary cross-entropy -----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("target", [0, 1])
@pytest.mark.parametrize("logit", LOGITS)
def test_bce_is_exact_for_every_logit(logit, target, dtype):
    logits = np.array([[logit]], dtype=dtype)
    loss = silently(BinaryCrossEntropy().forward, logits, np.array([[target]], dtype=dtype))
    # The reference uses the logit as the dtype holds it (1e-3 is not exact in float32).
    expected = exact_bce(float(logits[0, 0]), target)
    info = np.finfo(dtype)
    assert np.isfinite(loss)
    assert abs(loss - expected) <= 4 * info.eps * expected + info.smallest_normal, (loss, expected)


def test_bce_of_a_confident_wrong_logit_is_its_size_not_a_clipped_value():
    # Clipping p to [1e-7, 1 - 1e-7] would give -log(1e-7) = 16.1 for both.
    loss = BinaryCrossEntropy()
    assert loss.forward(np.array([[100.0]], np.float32), np.array([[0.0]], np.float32)) == pytest.approx(100)
    assert loss.forward(np.array([[-1e4]]), np.array([[1.0]])) == pytest.approx(1e4)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_bce_gradient_is_sigmoid_minus_target_over_n_k(dtype, n_outputs):
    values = np.array(LOGITS * 2, dtype=dtype)  # every logit with target 0 and 1
    targets = np.r_[np.zeros(len(LOGITS)), np.ones(len(LOGITS))].astype(dtype)
    logits, targets = values.reshape(-1, n_outputs), targets.reshape(-1, n_outputs)
    bce = BinaryCrossEntropy()
    loss = silently(bce.forward, logits, targets)
    grad = silently(bce.backward)
    assert grad.dtype == dtype and grad.shape == logits.shape
    expected_grad = np.array([exact_sigmoid(float(z)) - y for z, y in zip(logits.ravel(), targets.ravel())])
    eps = float(np.finfo(dtype).eps)
    assert np.allclose(grad.ravel(), expected_grad / logits.size, rtol=2 * eps, atol=2 * eps / logits.size)
    expected_loss = np.mean([exact_bce(float(z), int(y)) for z, y in zip(logits.ravel(), targets.ravel())])
    assert loss == pytest.approx(expected_loss, rel=8 * eps)


@pytest.mark.parametrize("shape", [(6, 1), (5, 3)])
def test_bce_gradient_matches_finite_differences(shape):
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=2, size=shape)
    targets = rng.integers(0, 2, size=shape).astype(np.float64)
    assert_loss_gradient_matches(BinaryCrossEntropy(), logits, targets)


def test_bce_probabilities_and_classes():
    logits = np.array([[-3.0, 0.0, 2.0]])
    assert np.allclose(BinaryCrossEntropy.outputs(logits), 1 / (1 + np.exp(-logits)))
    assert BinaryCrossEntropy.predicted_classes(logits).tolist() == [[False, True, True]]


# -- softmax cross-entropy ----------------------------------------------------------------------

def extreme_softmax_rows():
    """Rows pairing every extreme logit with others, and every target class."""
    rows = [[z, 0.0, -z / 2] for z in LOGITS] + [[1e4, 1e4, -1e4], [-1e4, -1e4, -1e4], [100.0, -100.0, 20.0]]
    return np.array(rows)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("target", [0, 1, 2])
def test_softmax_ce_is_exact_at_extreme_logits(dtype, target):
    logits = extreme_softmax_rows().astype(dtype)
    eps = float(np.finfo(dtype).eps)
    for row in logits:
        loss = silently(SoftmaxCrossEntropy().forward, row[None, :], np.array([target]))
        expected = exact_softmax_ce(row, target)
        assert np.isfinite(loss)
        # log-softmax is computed as (z - max) - log(sum): its error is a few eps of its largest term.
        assert abs(loss - expected) <= 4 * eps * max(1.0, abs(expected)), (row, loss, expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_ce_gradient_is_softmax_minus_onehot_over_n(dtype):
    logits = np.repeat(extreme_softmax_rows(), 3, axis=0).astype(dtype)
    targets = np.tile([0, 1, 2], len(logits) // 3)
    ce = SoftmaxCrossEntropy()
    loss = silently(ce.forward, logits, targets)
    grad = silently(ce.backward)
    n = len(logits)
    expected = np.array([exact_softmax_row(row) for row in logits])
    expected[np.arange(n), targets] -= 1
    eps = float(np.finfo(dtype).eps)
    assert grad.dtype == dtype
    assert np.allclose(grad, expected / n, rtol=2 * eps, atol=4 * eps / n)
    assert np.allclose(grad.sum(axis=1), 0, atol=4 * eps / n)  # probabilities sum to 1, the one-hot too
    expected_loss = np.mean([exact_softmax_ce(row, t) for row, t in zip(logits, targets)])
    assert loss == pytest.approx(expected_loss, rel=8 * eps)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_softmax_ce_gradient_matches_finite_differences(n_classes):
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=2, size=(6, n_classes))
    targets = rng.integers(0, n_classes, size=6)
    assert_loss_gradient_matches(SoftmaxCrossEntropy(), logits, targets)


def test_softmax_with_two_classes_equals_sigmoid_bce_of_the_logit_difference():
    # softmax([z, 0])[0] = sigmoid(z): the two losses are the same model in two notations.
    z = np.array([-5.0, -0.3, 0.0, 2.0, 40.0])
    targets = np.array([0, 1, 1, 0, 0])
    softmax_loss = SoftmaxCrossEntropy().forward(np.column_stack([np.zeros_like(z), z]), targets)
    bce_loss = BinaryCrossEntropy().forward(z[:, None], targets[:, None].astype(float))
    assert softmax_loss == pytest.approx(bce_loss, rel=1e-12)


def test_softmax_probabilities_and_classes():
    logits = np.array([[1.0, 3.0, -2.0], [0.0, 0.0, 5.0]])
    probabilities = SoftmaxCrossEntropy.outputs(logits)
    assert np.allclose(probabilities.sum(axis=1), 1)
    assert SoftmaxCrossEntropy.predicted_classes(logits).tolist() == [1, 2]


# -- mean squared error (regression) ------------------------------------------------------------

def test_mse_is_half_the_mean_of_the_squared_errors():
    logits = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])
    targets = np.array([[0.0, 2.0], [1.0, 1.0], [1.0, 0.0]])
    # errors 1, 0, -1, -2, 2, 0.5: squares 1 + 0 + 1 + 4 + 4 + 0.25 = 10.25 over n k = 6, halved
    assert MeanSquaredError().forward(logits, targets) == pytest.approx(10.25 / 6 / 2, rel=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mse_gradient_is_error_over_n_k(dtype):
    rng = np.random.default_rng(0)
    logits, targets = rng.standard_normal((2, 5, 3)).astype(dtype)
    loss = MeanSquaredError()
    loss.forward(logits, targets)
    grad = loss.backward()
    assert grad.dtype == dtype
    np.testing.assert_array_equal(grad, (logits - targets) / 15)


@pytest.mark.parametrize("shape", [(1, 1), (6, 1), (4, 3)])
def test_mse_gradient_matches_finite_differences(shape):
    rng = np.random.default_rng(1)
    assert_loss_gradient_matches(MeanSquaredError(), rng.standard_normal(shape), rng.standard_normal(shape))


def test_mse_outputs_are_the_logits_themselves():
    logits = np.array([[-3.5, 0.0, 1e4]])
    assert MeanSquaredError.outputs(logits) is logits
    assert LOSS_FOR_OUTPUT["linear"] is MeanSquaredError


# -- sample weights: a weighted mean, sum w_i L_i / sum w_i -------------------------------------

def loss_case(loss_class, n=5, seed=0):
    """(loss, logits, targets) for n samples of a loss, in float64."""
    rng = np.random.default_rng(seed)
    if loss_class is SoftmaxCrossEntropy:
        return loss_class(), rng.standard_normal((n, 4)), rng.integers(0, 4, n)
    if loss_class is BinaryCrossEntropy:
        return loss_class(), rng.standard_normal((n, 3)), rng.integers(0, 2, (n, 3)).astype(float)
    return loss_class(), rng.standard_normal((n, 3)), rng.standard_normal((n, 3))


LOSSES = [BinaryCrossEntropy, SoftmaxCrossEntropy, MeanSquaredError]


@pytest.mark.parametrize("loss_class", LOSSES)
def test_weighted_gradients_match_finite_differences(loss_class):
    loss, logits, targets = loss_case(loss_class)
    assert_loss_gradient_matches(loss, logits, targets, np.array([0.5, 2.0, 0.0, 1.0, 3.0]))


@pytest.mark.parametrize("loss_class", LOSSES)
def test_an_integer_weight_counts_exactly_like_repeating_the_row(loss_class):
    loss, logits, targets = loss_case(loss_class)
    weights = np.array([2.0, 1.0, 3.0, 1.0, 0.0])
    rows = np.repeat(np.arange(5), weights.astype(int))  # row 0 twice, row 2 three times, row 4 gone
    weighted = loss.forward(logits, targets, weights)
    weighted_grad = loss.backward()
    repeated = loss.forward(logits[rows], targets[rows])
    repeated_grad = loss.backward()
    assert weighted == pytest.approx(repeated, rel=1e-14)
    # The gradient of a repeated row is the sum of its copies' gradients.
    summed = np.zeros_like(weighted_grad)
    np.add.at(summed, rows, repeated_grad)
    np.testing.assert_allclose(weighted_grad, summed, rtol=1e-14, atol=1e-17)


@pytest.mark.parametrize("loss_class", LOSSES)
def test_weights_of_ones_or_of_any_common_scale_change_nothing(loss_class):
    loss, logits, targets = loss_case(loss_class)
    plain = loss.forward(logits, targets)
    plain_grad = loss.backward()
    for weights in (np.ones(5), np.full(5, 7.5)):
        assert loss.forward(logits, targets, weights) == pytest.approx(plain, rel=1e-14)
        np.testing.assert_allclose(loss.backward(), plain_grad, rtol=1e-14)


@pytest.mark.parametrize("loss_class", LOSSES)
def test_a_batch_of_zero_weights_has_zero_loss_and_gradient(loss_class):
    loss, logits, targets = loss_case(loss_class)
    with strict_floating_point():
        assert loss.forward(logits, targets, np.zeros(5)) == 0.0
        assert not loss.backward().any()


@pytest.mark.parametrize("loss_class", LOSSES)
def test_weighted_gradients_keep_float32(loss_class):
    loss, logits, targets = loss_case(loss_class)
    logits = logits.astype(np.float32)
    targets = targets if loss_class is SoftmaxCrossEntropy else targets.astype(np.float32)
    loss.forward(logits, targets, np.array([1, 2, 0, 1, 1], dtype=np.float32))
    assert loss.backward().dtype == np.float32
