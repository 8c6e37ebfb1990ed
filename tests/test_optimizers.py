"""Optimizers against the published equations, on toy problems, and in a real fit.

The reference functions below are the papers' update rules written plainly in float64,
allocating freely: they document the maths. The library computes the same steps in place.
"""

import json
import math

import numpy as np
import pytest
from helpers import peak_allocation

from numpy_mlp import MLP
from numpy_mlp.optimizers import (MAX_FLUSH_INTERVAL, OPTIMIZER_NAMES, OPTIMIZERS, SGD, Adam, AdamW, RMSProp,
                                  clip_by_global_norm, make_optimizer, optimizer_name)
from numpy_mlp.parameters import FlatParameters
from numpy_mlp.schedules import CosineDecay, StepDecay

# -- reference implementations: the equations as published, one step per gradient ----------


def reference_sgd(w, gradients, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
    """PyTorch's SGD: v = mu v + g; w -= lr v (or, Nesterov, w -= lr (g + mu v))."""
    v, path = np.zeros_like(w), []
    for g in gradients:
        g = g + weight_decay * w
        v = momentum * v + g
        w = w - lr * (g + momentum * v if nesterov else v)
        path.append(w)
    return path


def reference_rmsprop(w, gradients, lr, rho=0.9, eps=1e-8, weight_decay=0.0):
    """Hinton's RMSProp: v = rho v + (1 - rho) g^2; w -= lr g / (sqrt(v) + eps)."""
    v, path = np.zeros_like(w), []
    for g in gradients:
        g = g + weight_decay * w
        v = rho * v + (1 - rho) * g ** 2
        w = w - lr * g / (np.sqrt(v) + eps)
        path.append(w)
    return path


def reference_adam(w, gradients, lr, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0, decoupled=False):
    """Kingma and Ba, Algorithm 1; with ``decoupled``, Loshchilov and Hutter's AdamW."""
    m, v, path = np.zeros_like(w), np.zeros_like(w), []
    for t, g in enumerate(gradients, start=1):
        if decoupled:
            w = w - lr * weight_decay * w
        else:
            g = g + weight_decay * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        m_hat = m / (1 - b1 ** t)
        v_hat = v / (1 - b2 ** t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        path.append(w)
    return path


def run_optimizer(make, w0, gradients):
    """The library's path: write each gradient into the model's array, then step()."""
    w, g = w0.copy(), np.empty_like(w0)
    optimizer = make([(w, g)])
    path = []
    for gradient in gradients:
        g[...] = gradient
        optimizer.step()
        path.append(w.copy())
    return path, optimizer


CASES = {
    "sgd": (lambda p: SGD(p, learning_rate=0.1),
            lambda w, gs: reference_sgd(w, gs, 0.1)),
    "momentum": (lambda p: SGD(p, learning_rate=0.1, momentum=0.9),
                 lambda w, gs: reference_sgd(w, gs, 0.1, momentum=0.9)),
    "nesterov": (lambda p: SGD(p, learning_rate=0.1, momentum=0.8, nesterov=True),
                 lambda w, gs: reference_sgd(w, gs, 0.1, momentum=0.8, nesterov=True)),
    "sgd-l2": (lambda p: SGD(p, learning_rate=0.1, momentum=0.9, weight_decay=0.05),
               lambda w, gs: reference_sgd(w, gs, 0.1, momentum=0.9, weight_decay=0.05)),
    "rmsprop": (lambda p: RMSProp(p, learning_rate=0.01, rho=0.8, eps=1e-6),
                lambda w, gs: reference_rmsprop(w, gs, 0.01, rho=0.8, eps=1e-6)),
    "rmsprop-l2": (lambda p: RMSProp(p, learning_rate=0.01, weight_decay=0.1),
                   lambda w, gs: reference_rmsprop(w, gs, 0.01, weight_decay=0.1)),
    "adam": (lambda p: Adam(p, learning_rate=0.01, beta1=0.8, beta2=0.99, eps=1e-6),
             lambda w, gs: reference_adam(w, gs, 0.01, b1=0.8, b2=0.99, eps=1e-6)),
    "adam-l2": (lambda p: Adam(p, learning_rate=0.01, weight_decay=0.1),
                lambda w, gs: reference_adam(w, gs, 0.01, weight_decay=0.1)),
    "adamw": (lambda p: AdamW(p, learning_rate=0.01, weight_decay=0.1),
              lambda w, gs: reference_adam(w, gs, 0.01, weight_decay=0.1, decoupled=True)),
}


@pytest.mark.parametrize("case", CASES)
def test_first_steps_follow_the_published_equations(case):
    make, reference = CASES[case]
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(3, 4))  # a weight matrix: weight decay applies to it
    gradients = rng.normal(size=(10, 3, 4)) * np.logspace(-3, 1, 4)  # several scales
    path, _ = run_optimizer(make, w0, gradients)
    expected = reference(w0, gradients)
    for step, (mine, theirs) in enumerate(zip(path, expected), start=1):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-15, err_msg=f"step {step}")


# -- worked examples: one weight, numbers derived by hand -------------------------------------

def steps_of_one_weight(optimizer_class, gradient_values, **options):
    w, g = np.array([[1.0]]), np.zeros((1, 1))
    optimizer = optimizer_class([(w, g)], **options)
    weights = []
    for value in gradient_values:
        g[...] = value
        optimizer.step()
        weights.append(float(w[0, 0]))
    return weights


def test_sgd_by_hand():
    # w = 1 - 0.1 * 0.5 = 0.95, then 0.95 - 0.1 * 0.5 = 0.9
    assert steps_of_one_weight(SGD, [0.5, 0.5], learning_rate=0.1) == pytest.approx([0.95, 0.9], abs=1e-15)


def test_momentum_by_hand():
    # v = 0.5, w = 1 - 0.1 * 0.5 = 0.95; v = 0.9 * 0.5 + 0.5 = 0.95, w = 0.95 - 0.095 = 0.855
    weights = steps_of_one_weight(SGD, [0.5, 0.5], learning_rate=0.1, momentum=0.9)
    assert weights == pytest.approx([0.95, 0.855], abs=1e-15)


def test_nesterov_by_hand():
    # v = 0.5, w = 1 - 0.1 * (0.5 + 0.9 * 0.5) = 0.905
    # v = 0.9 * 0.5 + 0.5 = 0.95, w = 0.905 - 0.1 * (0.5 + 0.9 * 0.95) = 0.905 - 0.1355 = 0.7695
    weights = steps_of_one_weight(SGD, [0.5, 0.5], learning_rate=0.1, momentum=0.9, nesterov=True)
    assert weights == pytest.approx([0.905, 0.7695], abs=1e-15)


def test_rmsprop_by_hand():
    # v = 0.1 * 0.5^2 = 0.025, w = 1 - 0.1 * 0.5 / sqrt(0.025) = 1 - 0.05 / 0.158113883 = 0.683772234
    # v = 0.9 * 0.025 + 0.1 * 0.25 = 0.0475, w = 0.683772234 - 0.05 / 0.217944947 = 0.454356501
    weights = steps_of_one_weight(RMSProp, [0.5, 0.5], learning_rate=0.1, rho=0.9, eps=1e-12)
    assert weights == pytest.approx([0.683772234, 0.454356501], abs=1e-9)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adam_bias_correction_makes_every_step_of_a_constant_gradient_lr_times_its_sign(dtype):
    # With a constant g, m_t = (1 - b1^t) g and v_t = (1 - b2^t) g^2, so m_hat = g and
    # v_hat = g^2: each step is lr * g / (|g| + eps), about lr * sign(g), at step 1 as at
    # step 10. Without the correction step 10 would be lr * 0.651 / 0.0998, 6.5 times as far.
    learning_rate = 0.01
    gradient = np.array([[3.0, -1e-3], [-250.0, 0.4]], dtype=dtype)
    w, g = np.zeros_like(gradient), gradient.copy()
    optimizer = Adam([(w, g)], learning_rate=learning_rate)
    expected_move = -learning_rate * np.sign(gradient)
    tolerance = learning_rate * (1e-8 / 1e-3 + (1e-12 if dtype == np.float64 else 1e-6))
    for step in range(1, 11):
        before = w.astype(np.float64)
        optimizer.step()
        if step in (1, 10):
            np.testing.assert_allclose(w - before, expected_move, rtol=0, atol=tolerance,
                                       err_msg=f"step {step}")


def test_adamw_decays_weights_by_lr_times_weight_decay_whatever_the_gradient_scale():
    # Adam's step is lr * sign(g) at step 1; AdamW first shrinks w by (1 - lr * weight_decay).
    learning_rate, weight_decay = 0.1, 0.5
    w, g = np.array([[2.0, -4.0]]), np.array([[1e-2, 1e4]])
    AdamW([(w, g)], learning_rate=learning_rate, weight_decay=weight_decay).step()
    expected = np.array([[2.0, -4.0]]) * (1 - learning_rate * weight_decay) - learning_rate * np.sign(g)
    np.testing.assert_allclose(w, expected, rtol=0, atol=1e-6)  # eps / abs(g) <= 1e-6


def test_weight_decay_shrinks_weight_matrices_but_not_biases():
    weights, bias = np.full((2, 2), 2.0), np.full(2, 2.0)
    zero = np.zeros((2, 2)), np.zeros(2)
    for optimizer in (SGD(learning_rate=0.1, weight_decay=0.5),
                      AdamW(learning_rate=0.1, weight_decay=0.5)):
        w, b = weights.copy(), bias.copy()
        optimizer.attach([(w, zero[0].copy()), (b, zero[1].copy())])
        optimizer.step()
        # SGD: g = 0 + 0.5 * 2 = 1, w = 2 - 0.1 * 1 = 1.9.  AdamW: w = 2 * (1 - 0.05) = 1.9.
        np.testing.assert_allclose(w, 1.9, rtol=1e-12)
        np.testing.assert_array_equal(b, bias)


# -- gradient clipping -----------------------------------------------------------------------

def test_clip_by_global_norm_scales_all_gradients_together():
    g1, g2 = np.array([[3.0, 0.0], [0.0, 0.0]]), np.array([0.0, 4.0, 0.0])  # global norm 5
    assert clip_by_global_norm([g1, g2], 1.0) == pytest.approx(5.0)
    np.testing.assert_allclose(g1, [[0.6, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(g2, [0.0, 0.8, 0.0])
    assert clip_by_global_norm([g1, g2], 2.0) == pytest.approx(1.0)  # under the limit: unchanged
    np.testing.assert_allclose(g2, [0.0, 0.8, 0.0])


def test_clip_norm_option_clips_before_the_update():
    w1, w2 = np.zeros((2, 2)), np.zeros(3)
    g1, g2 = np.array([[3.0, 0.0], [0.0, 0.0]]), np.array([0.0, 4.0, 0.0])
    SGD([(w1, g1), (w2, g2)], learning_rate=1.0, clip_norm=1.0).step()
    np.testing.assert_allclose(w1, [[-0.6, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(w2, [0.0, -0.8, 0.0])


# -- convergence -----------------------------------------------------------------------------

CONVERGING = {
    "sgd": lambda p, steps: SGD(p, learning_rate=0.05),
    "momentum": lambda p, steps: SGD(p, learning_rate=0.01, momentum=0.9),
    "nesterov": lambda p, steps: SGD(p, learning_rate=0.01, momentum=0.9, nesterov=True),
    # RMSProp and Adam hover at a distance ~lr from the minimum: decay the rate to settle.
    "rmsprop": lambda p, steps: RMSProp(p, learning_rate=CosineDecay(0.01, steps)),
    "adam": lambda p, steps: Adam(p, learning_rate=CosineDecay(0.1, steps)),
    "adamw": lambda p, steps: AdamW(p, learning_rate=CosineDecay(0.1, steps), weight_decay=0.0),
}


@pytest.mark.parametrize("name", CONVERGING)
def test_converges_on_an_ill_conditioned_quadratic(name):
    # f(w) = (w - c)^T A (w - c) / 2, gradient A (w - c), minimum at c; condition number 10.
    A, c = np.array([[1.0, 0.0], [0.0, 10.0]]), np.array([[1.0], [-2.0]])
    w, g = np.zeros((2, 1)), np.zeros((2, 1))
    optimizer = CONVERGING[name]([(w, g)], 1000)
    for _ in range(1000):
        np.matmul(A, w - c, out=g)
        optimizer.step()
    np.testing.assert_allclose(w, c, atol=1e-6)


ROSENBROCK = {
    "sgd": (lambda p: SGD(p, learning_rate=1e-3), 20000),
    "momentum": (lambda p: SGD(p, learning_rate=1e-3, momentum=0.9), 5000),
    "nesterov": (lambda p: SGD(p, learning_rate=1e-3, momentum=0.9, nesterov=True), 5000),
    "rmsprop": (lambda p: RMSProp(p, learning_rate=CosineDecay(3e-3, 10000)), 10000),
    "adam": (lambda p: Adam(p, learning_rate=1e-2), 5000),
    "adamw": (lambda p: AdamW(p, learning_rate=1e-2, weight_decay=0.0), 5000),
}


@pytest.mark.parametrize("name", ROSENBROCK)
def test_converges_on_rosenbrock(name):
    # f(x, y) = (1 - x)^2 + 100 (y - x^2)^2: a curved narrow valley, minimum at (1, 1).
    def gradient(w, out):
        x, y = w
        out[0] = -2 * (1 - x) - 400 * x * (y - x * x)
        out[1] = 200 * (y - x * x)

    make, steps = ROSENBROCK[name]
    w, g = np.array([-1.5, 2.0]), np.zeros(2)
    optimizer = make([(w, g)])
    for _ in range(steps):
        gradient(w, g)
        optimizer.step()
    np.testing.assert_allclose(w, [1.0, 1.0], atol=1e-3)


# -- dtypes, memory, state -------------------------------------------------------------------

ALL_OPTIONS = {
    "sgd": lambda: SGD(learning_rate=0.1, weight_decay=0.01, clip_norm=1.0),
    "momentum": lambda: SGD(learning_rate=0.1, momentum=0.9, weight_decay=0.01, clip_norm=1.0),
    "nesterov": lambda: SGD(learning_rate=0.1, momentum=0.9, nesterov=True, clip_norm=1.0),
    "rmsprop": lambda: RMSProp(learning_rate=0.01, weight_decay=0.01, clip_norm=1.0),
    "adam": lambda: Adam(learning_rate=StepDecay(0.01, 2), weight_decay=0.01, clip_norm=1.0),
    "adamw": lambda: AdamW(learning_rate=CosineDecay(0.01, 5, warmup_steps=1), clip_norm=1.0),
}


def make_parameters(dtype, seed=0, n_in=6, n_out=4):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(n_in, n_out)).astype(dtype), np.zeros((n_in, n_out), dtype)),
            (rng.normal(size=n_out).astype(dtype), np.zeros(n_out, dtype))]


def packed_parameters(dtype, seed=0, n_in=6, n_out=4):
    """make_parameters' values in a FlatParameters (one flat array, as an MLP lays them out)."""
    separate = make_parameters(dtype, seed, n_in, n_out)
    packed = FlatParameters([value.shape for value, _ in separate], dtype)
    for (value, _), (flat_value, _) in zip(separate, packed):
        flat_value[...] = value
    return packed


def step_with(optimizer, parameters, gradients):
    for (_, gradient), new in zip(parameters, gradients):
        gradient[...] = new
    optimizer.step()


@pytest.mark.parametrize("name", ALL_OPTIONS)
def test_float32_parameters_keep_float32_state_and_match_float64(name):
    results = {}
    for dtype in (np.float32, np.float64):
        parameters = make_parameters(dtype)
        optimizer = ALL_OPTIONS[name]()
        optimizer.attach(parameters)
        rng = np.random.default_rng(1)
        for _ in range(5):
            step_with(optimizer, parameters, [rng.normal(size=v.shape) for v, _ in parameters])
        arrays = [a for pair in parameters for a in pair] + list(optimizer.state_dict().values())[:-1]
        assert all(array.dtype == dtype for array in arrays + optimizer._scratch)
        results[dtype] = [value for value, _ in parameters]
    for single, double in zip(results[np.float32], results[np.float64]):
        np.testing.assert_allclose(single, double, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("layout", ["separate", "packed"])  # packed: one flat array
@pytest.mark.parametrize("name", ALL_OPTIONS)
def test_a_step_allocates_no_large_array(name, layout):
    make = packed_parameters if layout == "packed" else make_parameters
    parameters = make(np.float32, n_in=512, n_out=256)  # a 512 KiB weight matrix
    optimizer = ALL_OPTIONS[name]()
    optimizer.attach(parameters)
    for _, gradient in parameters:
        gradient.fill(0.5)
    optimizer.step()  # the first step
    peak = peak_allocation(optimizer.step)
    assert peak < parameters[0][0].nbytes / 16, f"a step allocated {peak} bytes at its peak"


@pytest.mark.parametrize("name", ALL_OPTIONS)
def test_state_dict_round_trip_continues_identically(name):
    rng = np.random.default_rng(2)
    gradients = [[rng.normal(size=(6, 4)), rng.normal(size=4)] for _ in range(6)]
    original, copy = make_parameters(np.float32), make_parameters(np.float32)
    first = ALL_OPTIONS[name]()
    first.attach(original)
    for step in gradients[:3]:
        step_with(first, original, step)
    saved = first.state_dict()
    second = ALL_OPTIONS[name]()
    second.attach(copy)
    for (value, _), (source, _) in zip(copy, original):
        value[...] = source
    second.load_state_dict(saved)
    assert second.step_count == first.step_count == 3
    for step in gradients[3:]:
        step_with(first, original, step)
        step_with(second, copy, step)
    for (mine, _), (theirs, _) in zip(original, copy):
        np.testing.assert_array_equal(mine, theirs)


def test_state_dict_holds_copies():
    parameters = make_parameters(np.float64)
    optimizer = Adam(parameters)
    saved = optimizer.state_dict()
    saved["0.m"] += 1.0
    assert not optimizer.state[0]["m"].any()


@pytest.mark.parametrize("change, message", [
    (lambda s: s.update({"0.m": s["0.m"][:2]}), "shape"),
    (lambda s: s.update({"0.m": s["0.m"].astype(np.float32)}), "dtype"),
    (lambda s: s.pop("1.v"), "missing"),
    (lambda s: s.pop("step_count"), "missing"),
    (lambda s: s.update({"2.m": s["0.m"]}), "unexpected"),
])
def test_load_state_dict_rejects_a_mismatch(change, message):
    optimizer = Adam(make_parameters(np.float64))
    saved = optimizer.state_dict()
    change(saved)
    with pytest.raises(ValueError, match=message):
        Adam(make_parameters(np.float64)).load_state_dict(saved)


# -- configuration, names, validation --------------------------------------------------------

@pytest.mark.parametrize("name", ALL_OPTIONS)
def test_config_is_json_and_rebuilds_the_optimizer(name):
    optimizer = ALL_OPTIONS[name]()
    config = json.loads(json.dumps(optimizer.config()))
    rebuilt = OPTIMIZERS[optimizer.name].from_config(config)
    assert type(rebuilt) is type(optimizer)
    assert rebuilt.config() == optimizer.config()
    assert repr(rebuilt) == repr(optimizer)
    for step in (0, 1, 4, 9):
        rebuilt.step_count = optimizer.step_count = step
        assert rebuilt.current_learning_rate() == optimizer.current_learning_rate()


def test_a_plain_function_as_learning_rate_works_but_cannot_be_saved():
    w, g = np.ones((1, 1)), np.ones((1, 1))
    optimizer = SGD([(w, g)], learning_rate=lambda step: 0.5 / (step + 1))
    optimizer.step()
    optimizer.step()
    assert w[0, 0] == pytest.approx(1 - 0.5 - 0.25)
    with pytest.raises(TypeError, match="cannot be saved"):
        optimizer.config()


@pytest.mark.parametrize("name, expected_class, expected", [
    ("sgd", SGD, {"momentum": 0.0, "nesterov": False}),
    ("momentum", SGD, {"momentum": 0.8, "nesterov": False}),
    ("nesterov", SGD, {"momentum": 0.8, "nesterov": True}),
    ("rmsprop", RMSProp, {"rho": 0.95, "eps": 1e-7}),
    ("adam", Adam, {"beta1": 0.85, "beta2": 0.99, "eps": 1e-7, "weight_decay": 0.0}),
    ("adamw", AdamW, {"beta1": 0.85, "beta2": 0.99, "weight_decay": 0.01}),
])
def test_make_optimizer(name, expected_class, expected):
    optimizer = make_optimizer(name, 0.05, momentum=0.8, beta1=0.85, beta2=0.99, eps=1e-7, rho=0.95)
    assert type(optimizer) is expected_class
    assert {key: optimizer.config()[key] for key in expected} == expected
    assert optimizer.learning_rate == 0.05
    assert optimizer_name(optimizer) == name  # the name table read backwards gives the same name


def test_every_name_builds_an_optimizer_that_is_known_by_that_name():
    for name in OPTIMIZER_NAMES:
        assert optimizer_name(make_optimizer(name, 0.1)) == name
    assert optimizer_name(SGD(momentum=0.5)) == "momentum"
    assert optimizer_name(make_optimizer("momentum", 0.1, momentum=0.0)) == "sgd"  # no momentum is plain SGD


def test_make_optimizer_passes_weight_decay_and_clipping_and_rejects_unknown_names():
    optimizer = make_optimizer("adamw", CosineDecay(0.1, 10), weight_decay=0.2, clip_norm=3.0)
    assert (optimizer.weight_decay, optimizer.clip_norm) == (0.2, 3.0)
    assert isinstance(optimizer.learning_rate, CosineDecay)
    with pytest.raises(ValueError, match="unknown optimizer 'adagrad'"):
        make_optimizer("adagrad", 0.1)


@pytest.mark.parametrize("make, message", [
    (lambda: SGD(learning_rate=-0.1), "learning_rate must be a positive"),
    (lambda: SGD(learning_rate=0.0), "learning_rate must be a positive"),
    (lambda: Adam(learning_rate=math.nan), "learning_rate must be a positive"),
    (lambda: SGD(momentum=1.0), r"momentum must be in \[0, 1\)"),
    (lambda: SGD(momentum=-0.1), "momentum must be a finite number >= 0"),
    (lambda: SGD(nesterov=True), "nesterov=True needs a momentum"),
    (lambda: RMSProp(rho=1.5), r"rho must be in \[0, 1\)"),
    (lambda: RMSProp(eps=0.0), "eps must be a positive"),
    (lambda: Adam(beta1=1.0), r"beta1 must be in \[0, 1\)"),
    (lambda: Adam(beta2=-0.5), "beta2 must be a finite number >= 0"),
    (lambda: Adam(eps=-1e-8), "eps must be a positive"),
    (lambda: AdamW(weight_decay=-0.01), "weight_decay must be a finite number >= 0"),
    (lambda: SGD(clip_norm=0.0), "clip_norm must be a positive"),
])
def test_invalid_hyperparameters_raise_a_clear_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_non_numeric_hyperparameters_raise_type_error():
    with pytest.raises(TypeError, match="beta1 must be a number"):
        Adam(beta1="0.9")


def test_step_without_parameters_says_what_to_do():
    with pytest.raises(RuntimeError, match="attach"):
        Adam().step()


# -- in a real fit ---------------------------------------------------------------------------

def test_fit_with_adam_learns_breast_cancer():
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = datasets.load_breast_cancer(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(X))
    train, test = order[:450], order[450:]
    model = MLP(X.shape[1], [16, 1], seed=0, standardize=True)
    optimizer = Adam(learning_rate=1e-3)
    history = model.fit(X[train], y[train], epochs=30, batch_size=32, optimizer=optimizer, verbose=0)
    assert model.optimizer is optimizer
    assert optimizer.step_count == 30 * math.ceil(450 / 32)
    assert history["loss"][-1] < history["loss"][0] / 3
    assert np.mean(model.predict(X[test]) == y[test]) >= 0.95


def test_the_low_level_loop_takes_any_optimizer():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([[0], [1], [1], [0]], dtype=np.float64)
    model = MLP(2, [8, 1], activation="tanh", seed=1, dtype=np.float64)
    optimizer = Adam(model.parameters(), learning_rate=0.05)
    for _ in range(500):
        model.forward(X)
        model.loss(y)
        model.backward()
        optimizer.step()
    np.testing.assert_array_equal(model.forward(X) > 0.5, y > 0.5)


SLOW_AND_FAST_DECAY = {
    "momentum": lambda: make_optimizer("momentum", 0.01),           # v decays by 0.9 a step
    "rmsprop": lambda: make_optimizer("rmsprop", 0.01),             # by 0.9
    "adam": lambda: make_optimizer("adam", 0.01),                   # m by 0.9, v by 0.999
    "momentum-0.5": lambda: SGD(learning_rate=0.01, momentum=0.5),  # by 0.5: subnormal 24 steps after
    "rmsprop-0.5": lambda: RMSProp(learning_rate=0.01, rho=0.5),    # the flush margin, under 100
    "adam-0.3": lambda: Adam(learning_rate=0.01, beta1=0.3),
}


@pytest.mark.parametrize("name", SLOW_AND_FAST_DECAY)
def test_state_of_a_gradient_that_stays_zero_never_becomes_subnormal(name):
    """Moments of a dead unit decay geometrically; they are flushed to 0 before they reach float32's
    subnormal range (subnormal arithmetic is tens of times slower), whatever the decay factor."""
    optimizer = SLOW_AND_FAST_DECAY[name]()
    weights, gradient = np.zeros((4, 4), np.float32), np.ones((4, 4), np.float32)
    optimizer.attach([(weights, gradient)])
    optimizer.step()
    gradient.fill(0)
    tiny = np.finfo(np.float32).tiny
    for step in range(MAX_FLUSH_INTERVAL * 20):  # long enough for 0.9^step to pass 1e-38
        optimizer.step()
        for array in optimizer.state[0].values():
            assert not np.any((array != 0) & (np.abs(array) < tiny)), f"{name}: subnormal state at step {step}"
    decayed = optimizer.state[0]["m" if "adam" in name else "v"]
    assert np.all(decayed == 0)
    assert np.all(np.isfinite(weights))


@pytest.mark.parametrize("factors, interval", [((0.9,), 100), ((0.9, 0.999), 100), ((0.5,), 24),
                                               ((0.1,), 7), ((1e-9,), 1), ((), 100), ((0.0,), 100)])
def test_the_flush_interval_is_shorter_than_the_decay_into_the_subnormal_range(factors, interval, monkeypatch):
    optimizer = SGD(learning_rate=0.1)
    monkeypatch.setattr(optimizer, "decay_factors", lambda: factors)
    assert optimizer.flush_interval() == interval
    for d in factors:
        if 0 < d < 1:  # a value at the flush margin is still normal when the last update before
            assert 2.0 ** 24 * d ** (interval - 1) >= 1  # the next flush reads it


@pytest.mark.parametrize("name", ALL_OPTIONS)
def test_parameters_in_one_flat_array_are_updated_exactly_as_apart(name):
    packed, separate = packed_parameters(np.float32), make_parameters(np.float32)
    together, apart = ALL_OPTIONS[name](), ALL_OPTIONS[name]()
    together.attach(packed)
    apart.attach(separate)
    rng = np.random.default_rng(3)
    for _ in range(6):
        gradients = [rng.normal(size=value.shape) for value, _ in separate]
        step_with(together, packed, gradients)
        step_with(apart, separate, gradients)
    for (mine, _), (theirs, _) in zip(packed, separate):
        np.testing.assert_array_equal(mine, theirs)
    mine, theirs = together.state_dict(), apart.state_dict()
    assert mine.keys() == theirs.keys()
    for key in mine:
        np.testing.assert_array_equal(mine[key], theirs[key])
        assert mine[key].shape == theirs[key].shape


def count_update_calls(optimizer, monkeypatch) -> list:
    calls = []
    update = optimizer.update
    monkeypatch.setattr(optimizer, "update", lambda *args: calls.append(args[0].size) or update(*args))
    return calls


def test_an_mlp_hands_its_flat_arrays_over_and_is_updated_in_one_call_per_step(monkeypatch):
    model = MLP(512, [256, 1], seed=0)
    optimizer = Adam(model.parameters())
    calls = count_update_calls(optimizer, monkeypatch)
    optimizer.step()
    assert calls == [model.parameters().values.size]


def test_a_plain_list_of_pairs_is_updated_pair_by_pair_even_when_they_share_memory(monkeypatch):
    """The fast path is chosen by what the model hands over, never guessed from memory addresses."""
    model = MLP(4, [3, 1], seed=0)
    optimizer = SGD(list(model.parameters()), learning_rate=0.1)
    calls = count_update_calls(optimizer, monkeypatch)
    optimizer.step()
    assert calls == [12, 3, 3, 1]
