"""Training with fit: learning real problems, determinism, History, validation, early stopping,
divergence, progress output, label mapping and dtypes; regression, sample and class weights, dropout."""

import io
import sys
import tracemalloc
import types

import numpy as np
import pytest
from helpers import make_moons, make_xor

import numpy_mlp
from numpy_mlp import MLP, SGD, Adam, Callback, DivergenceError, Dropout, make_optimizer


class RecordEpochs(Callback):
    """Keeps a copy of the weights and the epoch's logs at the end of every epoch."""

    def __init__(self):
        self.states, self.logs, self.n_samples = [], [], None

    def on_train_begin(self, trainer):
        self.n_samples = trainer.n_samples

    def on_epoch_end(self, trainer, logs):
        self.states.append(trainer.model.state_dict())
        self.logs.append(dict(logs))


def states_equal(first: dict, second: dict) -> bool:
    return first.keys() == second.keys() and all(np.array_equal(first[k], second[k]) for k in first)


def make_blobs(n_per_class=60, seed=0):
    """Three Gaussian clusters in 2-D, labelled with strings."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 3.0], [3.0, -1.0], [-3.0, -1.0]])
    X = np.vstack([centre + rng.standard_normal((n_per_class, 2)) * 0.7 for centre in centres])
    y = np.repeat(np.array(["cat", "dog", "bird"]), n_per_class)
    order = rng.permutation(len(X))
    return X[order], y[order]


# -- learning ----------------------------------------------------------------------------------

def test_xor_is_learned_by_a_small_network_for_at_least_9_of_10_seeds():
    X, y = make_xor()
    solved = 0
    for seed in range(10):
        model = MLP(2, [8, 1], activation="tanh", seed=seed)
        model.fit(X, y, epochs=1000, batch_size=4, learning_rate=0.5, verbose=0)
        solved += np.array_equal(model.predict(X), y)
    assert solved >= 9, f"XOR solved for {solved} of 10 seeds"


def test_breast_cancer_reaches_95_percent_test_accuracy():
    datasets = pytest.importorskip("sklearn.datasets")
    model_selection = pytest.importorskip("sklearn.model_selection")
    X, y = datasets.load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = model_selection.train_test_split(
        X, y, test_size=0.2, random_state=0, stratify=y)
    for seed in range(3):
        model = MLP(30, [16, 1], activation="tanh", seed=seed, standardize=True)
        model.fit(X_train, y_train, epochs=20, batch_size=32, learning_rate=0.05, verbose=0)
        accuracy = np.mean(model.predict(X_test) == y_test)
        assert accuracy >= 0.95, f"seed {seed}: test accuracy {accuracy:.3f}"
        assert model.evaluate(X_test, y_test)["accuracy"] == pytest.approx(accuracy)


def test_two_moons_reach_95_percent_test_accuracy():
    X_train, y_train = make_moons(400, noise=0.15, seed=0)
    X_test, y_test = make_moons(400, noise=0.15, seed=1)
    model = MLP(2, [16, 16, 1], activation="tanh", seed=0)
    history = model.fit(X_train, y_train, epochs=200, batch_size=32, learning_rate=0.1, verbose=0)
    assert np.mean(model.predict(X_test) == y_test) >= 0.95
    assert history["loss"][-1] < history["loss"][0] / 4


def test_a_linear_model_cannot_learn_the_moons():
    # Without a hidden layer the boundary is a line: the nonlinear test above needs its hidden layers.
    X_train, y_train = make_moons(400, noise=0.15, seed=0)
    model = MLP(2, [1], seed=0)
    model.fit(X_train, y_train, epochs=100, batch_size=32, learning_rate=0.1, verbose=0)
    assert np.mean(model.predict(X_train) == y_train) < 0.92


def test_softmax_classes_with_string_labels():
    X, y = make_blobs()
    model = MLP(2, [16, 3], activation="relu", output="softmax", seed=0)
    model.fit(X, y, epochs=50, batch_size=16, learning_rate=0.05, verbose=0)
    assert model.classes_.tolist() == ["bird", "cat", "dog"]
    X_test, y_test = make_blobs(seed=1)
    predicted = model.predict(X_test)
    assert predicted.dtype.kind == "U"
    assert np.mean(predicted == y_test) >= 0.95
    probabilities = model.predict_proba(X_test)
    assert probabilities.shape == (len(X_test), 3)
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-6)
    assert np.array_equal(model.classes_[probabilities.argmax(axis=1)], predicted)


def test_multi_label_network_with_three_sigmoid_outputs():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 2))
    y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 0] * X[:, 1] > 0]).astype(int)
    model = MLP(2, [16, 3], activation="tanh", seed=0)
    model.fit(X, y, epochs=200, batch_size=32, learning_rate=0.2, verbose=0)
    probabilities = model.predict_proba(X)
    assert probabilities.shape == (300, 3)
    predicted = model.predict(X)
    assert predicted.shape == (300, 3)
    assert np.array_equal(predicted, (probabilities >= 0.5).astype(int))
    per_output_accuracy = np.mean(predicted == y, axis=0)
    assert np.all(per_output_accuracy >= 0.9), per_output_accuracy
    assert model.evaluate(X, y)["accuracy"] == pytest.approx(np.mean(predicted == y))


# -- determinism -------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_seed_gives_bit_identical_weights(dtype):
    X, y = make_moons(100, seed=0)

    def train(seed):
        model = MLP(2, [8, 4, 1], seed=seed, dtype=dtype)
        history = model.fit(X, y, epochs=5, batch_size=16, learning_rate=0.1, validation_split=0.2, verbose=0)
        return model.state_dict(), history

    (first, first_history), (second, second_history) = train(3), train(3)
    assert states_equal(first, second)
    assert first_history.history == second_history.history
    assert not states_equal(first, train(4)[0])


# -- History and validation --------------------------------------------------------------------

def test_history_has_every_metric_for_every_epoch():
    X, y = make_moons(100, seed=0)
    X_val, y_val = make_moons(50, seed=1)
    model = MLP(2, [8, 1], seed=0)
    history = model.fit(X, y, epochs=7, batch_size=16, learning_rate=0.1,
                        validation_data=(X_val, y_val), verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"}
    assert all(len(values) == 7 for values in history.history.values())
    assert history.epochs == [1, 2, 3, 4, 5, 6, 7]
    assert history["learning_rate"] == [0.1] * 7
    for key in ("accuracy", "val_accuracy"):
        assert all(0 <= value <= 1 for value in history[key])
    assert all(value > 0 for value in history["loss"] + history["val_loss"])
    assert "val_loss" in history and "precision" not in history
    # The validation metrics are those of the weights at the end of the epoch.
    report = model.evaluate(X_val, y_val)
    assert history["val_loss"][-1] == pytest.approx(report["loss"], rel=1e-6)
    assert history["val_accuracy"][-1] == pytest.approx(np.mean(model.predict(X_val) == y_val))


def test_training_loss_is_the_mean_over_the_epochs_batches():
    # Full batch without shuffling: the epoch's loss is that of the weights the epoch started with.
    X, y = make_moons(64, seed=0)
    model = MLP(2, [8, 1], seed=0, dtype=np.float64)

    class EvaluateOnTrain(Callback):
        """The training set's loss and accuracy before training and after every epoch."""

        def __init__(self):
            self.reports = []

        def on_train_begin(self, trainer):
            self.reports.append(trainer.model.evaluate(X, y))

        def on_epoch_end(self, trainer, logs):
            self.reports.append(trainer.model.evaluate(X, y))

    evaluations = EvaluateOnTrain()
    history = model.fit(X, y, epochs=4, batch_size=64, learning_rate=0.5, shuffle=False,
                        callbacks=[evaluations], verbose=0)
    expected = evaluations.reports[:-1]
    assert np.allclose(history["loss"], [report["loss"] for report in expected], rtol=1e-12)
    assert np.allclose(history["accuracy"], [report["accuracy"] for report in expected])
    assert history["loss"][-1] > evaluations.reports[-1]["loss"]


def test_fit_continues_the_epoch_count():
    X, y = make_xor()
    model = MLP(2, [4, 1], seed=0)
    model.fit(X, y, epochs=3, batch_size=4, verbose=0)
    history = model.fit(X, y, epochs=2, batch_size=4, verbose=0)
    assert history.epochs == [4, 5] and model.epochs_trained == 5


def test_validation_split_holds_out_that_fraction():
    X, y = make_moons(100, seed=0)
    recorder = RecordEpochs()
    history = MLP(2, [8, 1], seed=0).fit(X, y, epochs=2, batch_size=10, validation_split=0.25,
                                         callbacks=[recorder], verbose=0)
    assert recorder.n_samples == 75
    assert len(history["val_loss"]) == 2 and len(history["val_accuracy"]) == 2


def test_early_stopping_restores_the_weights_of_the_best_epoch():
    # A wide network on 40 noisy points overfits: the validation loss turns up and training stops.
    X, y = make_moons(40, noise=0.4, seed=0)
    X_val, y_val = make_moons(200, noise=0.4, seed=1)
    model = MLP(2, [64, 64, 1], activation="tanh", seed=0, dtype=np.float64)
    recorder = RecordEpochs()
    history = model.fit(X, y, epochs=500, batch_size=8, learning_rate=0.3, validation_data=(X_val, y_val),
                        early_stopping=5, callbacks=[recorder], verbose=0)
    val_losses = history["val_loss"]
    best = int(np.argmin(val_losses))
    assert len(val_losses) < 500, "early stopping never triggered"
    assert history.best_epoch == best + 1
    assert len(val_losses) == best + 1 + 5  # stopped after 5 epochs without improvement
    assert states_equal(model.state_dict(), recorder.states[best])
    assert not states_equal(model.state_dict(), recorder.states[-1])
    assert model.evaluate(X_val, y_val)["loss"] == pytest.approx(min(val_losses), rel=1e-12)


# -- divergence --------------------------------------------------------------------------------

def test_a_diverging_run_raises_naming_the_epoch_and_a_smaller_learning_rate():
    X, y = make_moons(100, seed=0)
    model = MLP(2, [16, 1], seed=0)
    recorder, before = RecordEpochs(), model.state_dict()
    with pytest.raises(DivergenceError, match=r"diverged at epoch \d+.*try a smaller learning rate") as error:
        model.fit(X * 1000, y, epochs=50, batch_size=10, learning_rate=1e6, callbacks=[recorder], verbose=0)
    assert f"epoch {len(recorder.logs) + 1}:" in str(error.value)
    assert all(np.isfinite(logs["loss"]) for logs in recorder.logs)
    # The model is put back as it was at the end of the last epoch that did not diverge.
    assert f"keeps its weights from before epoch {len(recorder.logs) + 1}" in str(error.value)
    assert states_equal(model.state_dict(), recorder.states[-1] if recorder.states else before)
    assert model.epochs_trained == len(recorder.logs)


def test_weights_that_overflow_in_the_last_step_are_not_returned_silently():
    # One full-batch step: its loss is finite, the update it makes is not.
    X, y = make_xor()
    model = MLP(2, [4, 1], seed=0)
    before = model.state_dict()
    optimizer = make_optimizer("momentum", learning_rate=1e37)
    with pytest.raises(DivergenceError, match="epoch 1: the weights became NaN or infinite"):
        model.fit(X * 1000, y, epochs=1, batch_size=4, optimizer=optimizer, verbose=0)
    # Weights and optimizer state are those from before the epoch: finite, and training can go on.
    assert states_equal(model.state_dict(), before)
    assert optimizer.step_count == 0 and not optimizer.state_dict()["0.v"].any()
    optimizer.learning_rate = 0.1
    model.fit(X, y, epochs=2, batch_size=4, optimizer=optimizer, verbose=0)
    assert all(np.isfinite(value).all() for value, _ in model.parameters())


def test_a_diverging_epoch_puts_the_random_generator_back_too():
    """After the roll-back, training on from there shuffles as the diverged epoch did: a run that
    diverges, is rolled back and goes on at a smaller rate equals one that never took that epoch."""
    X, y = make_moons(100, seed=0)
    model, twin = MLP(2, [8, 1], seed=4), MLP(2, [8, 1], seed=4)
    state = model.rng.bit_generator.state
    with pytest.raises(DivergenceError):
        model.fit(X * 1000, y, epochs=1, batch_size=10, learning_rate=1e6, verbose=0)
    assert model.rng.bit_generator.state == state
    model.fit(X, y, epochs=2, batch_size=10, learning_rate=0.1, verbose=0)
    twin.fit(X, y, epochs=2, batch_size=10, learning_rate=0.1, verbose=0)
    assert states_equal(model.state_dict(), twin.state_dict())


def test_fit_without_an_optimizer_goes_on_with_the_models_own(tmp_path):
    """As in Keras: a loaded model (or one fitted before) continues with its optimizer, state,
    step count and schedule; a learning rate asks for plain gradient descent instead."""
    X, y = make_moons(120, seed=0)
    straight = MLP(2, [8, 1], seed=0)
    straight.fit(X, y, epochs=4, batch_size=16, optimizer=Adam(learning_rate=0.01), verbose=0)
    first = MLP(2, [8, 1], seed=0)
    first.fit(X, y, epochs=2, batch_size=16, optimizer=Adam(learning_rate=0.01), verbose=0)
    first.save(tmp_path / "model.npz", include_optimizer=True)
    loaded = numpy_mlp.load(tmp_path / "model.npz")
    loaded.fit(X, y, epochs=2, batch_size=16, verbose=0)
    assert isinstance(loaded.optimizer, Adam) and loaded.optimizer.step_count == 4 * 8
    assert states_equal(loaded.state_dict(), straight.state_dict())
    loaded.fit(X, y, epochs=1, batch_size=16, learning_rate=0.5, verbose=0)
    assert type(loaded.optimizer) is SGD and loaded.optimizer.learning_rate == 0.5
    fresh = MLP(2, [8, 1], seed=0)
    fresh.fit(X, y, epochs=1, verbose=0)
    assert type(fresh.optimizer) is SGD and fresh.optimizer.learning_rate == 0.01


# -- progress output ---------------------------------------------------------------------------

def test_verbose_0_writes_nothing(capsys):
    X, y = make_xor()
    MLP(2, [4, 1], seed=0).fit(X, y, epochs=3, batch_size=2, verbose=0)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


@pytest.mark.parametrize("verbose", [1, 2])
def test_verbose_writes_one_line_per_epoch_off_a_terminal(capsys, verbose):
    X, y = make_xor()
    MLP(2, [4, 1], seed=0).fit(X, y, epochs=3, batch_size=2, validation_data=(X, y), verbose=verbose)
    captured = capsys.readouterr()
    assert captured.out == ""  # progress goes to stderr, leaving stdout to the user's output
    lines = captured.err.splitlines()
    assert len(lines) == 3
    for epoch, line in enumerate(lines, 1):
        assert line.startswith(f"Epoch {epoch}/3 ")
        assert "loss" in line and "val_accuracy" in line


# -- predictions and labels --------------------------------------------------------------------

@pytest.mark.parametrize("labels", [("no", "yes"), (-1, 1), (False, True), (0.0, 1.0)])
def test_two_labels_map_to_0_1_and_back(labels):
    X, y = make_moons(80, seed=0)
    mapped = np.where(y == 1, labels[1], labels[0])
    reference = MLP(2, [8, 1], seed=0)
    reference.fit(X, y, epochs=20, batch_size=16, learning_rate=0.1, verbose=0)
    model = MLP(2, [8, 1], seed=0)
    model.fit(X, mapped, epochs=20, batch_size=16, learning_rate=0.1, verbose=0)
    # The sorted order maps the first label to 0: the same training as with 0/1.
    assert states_equal(model.state_dict(), reference.state_dict())
    assert model.classes_.tolist() == list(labels)
    predicted = model.predict(X)
    assert predicted.dtype == np.asarray(labels).dtype
    assert np.array_equal(predicted, np.where(reference.predict(X) == 1, labels[1], labels[0]))
    assert model.evaluate(X, mapped)["accuracy"] == pytest.approx(np.mean(predicted == mapped))


def test_predict_proba_and_predict_shapes_for_one_output():
    X, y = make_moons(50, seed=0)
    model = MLP(2, [4, 1], seed=0)
    model.fit(X, y.reshape(-1, 1), epochs=2, verbose=0)  # a column of labels is accepted too
    probabilities = model.predict_proba(X)
    assert probabilities.shape == (50,)
    assert np.all((probabilities >= 0) & (probabilities <= 1))
    assert np.array_equal(model.predict(X), (probabilities >= 0.5).astype(int))
    assert np.all(model.predict(X, threshold=0.0) == 1)
    assert np.all(model.predict(X, threshold=1.01) == 0)
    assert model.predict_proba(X[:1]).shape == (1,)
    assert model.predict([[0.5, 0.5]]).shape == (1,)  # a list of rows


def test_pandas_input_works():
    pd = pytest.importorskip("pandas")
    X, y = make_moons(80, seed=0)
    frame = pd.DataFrame(X, columns=["a", "b"])
    labels = pd.Series(np.where(y == 1, "yes", "no"))
    model = MLP(2, [8, 1], seed=0)
    model.fit(frame, labels, epochs=20, batch_size=16, learning_rate=0.1, verbose=0)
    reference = MLP(2, [8, 1], seed=0)
    reference.fit(X, y, epochs=20, batch_size=16, learning_rate=0.1, verbose=0)
    assert np.array_equal(model.predict_proba(frame), reference.predict_proba(X))
    assert set(model.predict(frame)) <= {"yes", "no"}
    assert "accuracy" in model.evaluate(frame, labels)


# -- dtypes ------------------------------------------------------------------------------------

@pytest.mark.parametrize("output, layers", [("sigmoid", [8, 1]), ("sigmoid", [8, 3]), ("softmax", [8, 3])])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_array_keeps_the_model_dtype_after_fit(dtype, output, layers):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))  # float64 input: fit casts it once
    y = rng.integers(0, 2, (40, 3)) if layers[-1] == 3 and output == "sigmoid" else rng.integers(0, layers[-1], 40)
    model = MLP(3, layers, output=output, seed=0, dtype=dtype, standardize=True)
    model.fit(X, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0)
    for value, gradient in model.parameters():
        assert value.dtype == dtype and gradient.dtype == dtype
    assert model.scaler.mean.dtype == dtype and model.scaler.std.dtype == dtype
    assert model.forward(X).dtype == dtype
    assert model.predict_proba(X).dtype == dtype


class MaskDtypes(Callback):
    """The dtypes of the dropout masks of every training step."""

    def __init__(self):
        self.dtypes = set()

    def on_batch_end(self, trainer):
        self.dtypes.update(layer.mask.dtype for layer in trainer.model.layers if isinstance(layer, Dropout))


@pytest.mark.parametrize("output, layers", [("sigmoid", [8, 8, 1]), ("softmax", [8, 8, 3]), ("linear", [8, 8, 2])])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_weights_dropout_and_regression_keep_the_model_dtype(dtype, output, layers):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    y = rng.standard_normal((40, 2)) if output == "linear" else rng.integers(0, layers[-1] + (output == "sigmoid"), 40)
    model = MLP(3, layers, output=output, seed=0, dtype=dtype, dropout=0.3, standardize=True,
                standardize_targets=output == "linear")
    masks = MaskDtypes()
    model.fit(X, y, epochs=2, batch_size=16, sample_weight=rng.uniform(0, 2, 40), validation_split=0.25,
              callbacks=[masks], verbose=0)
    for value, gradient in model.parameters():
        assert value.dtype == dtype and gradient.dtype == dtype
    assert masks.dtypes == {np.dtype(dtype)}
    assert model.loss_function.backward().dtype == dtype  # the validation's weighted gradient
    if output == "linear":
        assert model.target_scaler.mean.dtype == dtype and model.predict(X).dtype == dtype


@pytest.mark.parametrize("optimizer", ["momentum", "rmsprop", "adam", "adamw"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_optimizer_state_keeps_the_model_dtype_after_an_epoch(dtype, optimizer):
    X, y = make_moons(n_samples=64, noise=0.1, seed=0)
    model = MLP(2, [8, 1], seed=0, dtype=dtype)
    model.fit(X, y, epochs=1, batch_size=16, optimizer=make_optimizer(optimizer, 0.01), verbose=0)
    arrays = [array for state in model.optimizer.state for array in state.values()]
    assert arrays, "the optimizer keeps state"
    assert all(array.dtype == dtype for array in arrays + model.optimizer._scratch)


# -- the tuned training step --------------------------------------------------------------------

class TraceSecondEpoch(Callback):
    """The peak of memory allocated from the end of the first epoch to the end of the second."""

    def on_epoch_end(self, trainer, logs):
        if not tracemalloc.is_tracing():
            tracemalloc.start()
        else:
            _, self.peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()


def test_a_training_step_allocates_only_its_activations():
    """After the first epoch, a further epoch allocates no array as large as the parameters or the data:
    batch buffers are reused, the optimizer works in place, X is not copied, and the checkpoint that
    a divergence restores was allocated once, before the first epoch."""
    rng = np.random.default_rng(0)
    X = rng.random((2048, 256), dtype=np.float32)
    y = rng.integers(0, 10, len(X))
    model = MLP(256, [512, 128, 10], output="softmax", seed=0)
    tracer = TraceSecondEpoch()
    try:
        model.fit(X, y, epochs=2, batch_size=32, optimizer=Adam(learning_rate=1e-3), callbacks=[tracer],
                  verbose=0, shuffle=True)
    finally:
        tracemalloc.stop()
    peak = tracer.peak
    largest_parameter = max(value.nbytes for value, _ in model.parameters())  # 512 KiB
    activations = 32 * (512 + 128 + 10) * 4  # one batch's layer outputs, 81 KiB
    assert peak < largest_parameter, f"an epoch allocated {peak} bytes at its peak"
    assert peak < 4 * activations + len(X) * 8 + 64 * 1024  # activations, the shuffled order, small change


def plain_adam_epoch(weights, biases, X, y, batch_size, learning_rate, b1=0.9, b2=0.999, eps=1e-8):
    """One epoch of a ReLU network with softmax cross-entropy and Adam, as the textbook writes it:
    allocating NumPy in float64, no buffers, no folded constants (the reference for the tuned loop)."""
    params = [p.copy() for pair in zip(weights, biases) for p in pair]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t, start in enumerate(range(0, len(X), batch_size), start=1):
        x, labels = X[start:start + batch_size], y[start:start + batch_size]
        activations, a = [x], x
        for layer in range(len(weights)):
            z = a @ params[2 * layer] + params[2 * layer + 1]
            a = np.maximum(z, 0) if layer < len(weights) - 1 else z
            activations.append(a)
        logits = activations[-1]
        probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        grad = (probabilities - np.eye(logits.shape[1])[labels]) / len(x)
        grads = [None] * len(params)
        for layer in reversed(range(len(weights))):
            grads[2 * layer] = activations[layer].T @ grad
            grads[2 * layer + 1] = grad.sum(axis=0)
            grad = (grad @ params[2 * layer].T) * (activations[layer] > 0)
        for i, g in enumerate(grads):
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g ** 2
            m_hat, v_hat = m[i] / (1 - b1 ** t), v[i] / (1 - b2 ** t)
            params[i] = params[i] - learning_rate * m_hat / (np.sqrt(v_hat) + eps)
    return params


def test_the_tuned_epoch_equals_the_plain_maths():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((100, 6))
    y = rng.integers(0, 4, len(X))
    model = MLP(6, [16, 8, 4], output="softmax", seed=0, dtype=np.float64)
    expected = plain_adam_epoch([layer.weights for layer in model.dense_layers],
                                [layer.bias for layer in model.dense_layers], X, y, 32, 0.01)
    model.fit(X, y, epochs=1, batch_size=32, optimizer=Adam(learning_rate=0.01), shuffle=False, verbose=0)
    actual = [value for value, _ in model.parameters()]
    for got, want in zip(actual, expected):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


# -- regression ---------------------------------------------------------------------------------

def smooth_targets(n=400, seed=0):
    """y = sin(2 x1) + x2^2 / 2 on [-2, 2]^2, and a second target 3 x1 - x2, without noise."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, (n, 2))
    return X, np.column_stack([np.sin(2 * X[:, 0]) + X[:, 1] ** 2 / 2, 3 * X[:, 0] - X[:, 1]])


def test_a_regressor_learns_a_smooth_function():
    X, Y = smooth_targets()
    model = MLP.for_targets(2, [32, 32], Y[:, 0], seed=0)
    history = model.fit(X[:300], Y[:300, 0], epochs=200, batch_size=16, optimizer=Adam(learning_rate=0.01),
                        validation_data=(X[300:], Y[300:, 0]), verbose=0)
    assert set(history.history) == {"learning_rate", "loss", "val_loss"}  # no accuracy for a regressor
    report = model.evaluate(X[300:], Y[300:, 0])
    assert report["r2"] > 0.98, report
    assert report["loss"] == pytest.approx(history["val_loss"][-1], rel=1e-6)
    assert report["mse"] == pytest.approx(2 * report["loss"], rel=1e-6)  # the loss is half the MSE


def test_a_regressor_with_several_targets_and_target_standardisation():
    X, Y = smooth_targets()
    Y = Y * [1000.0, 0.01] + [5000.0, -3.0]  # targets far from unit scale, and from each other
    model = MLP.for_targets(2, [32, 32], Y, seed=0, standardize=True, standardize_targets=True)
    model.fit(X[:300], Y[:300], epochs=150, batch_size=16, optimizer=Adam(learning_rate=0.01), verbose=0)
    # learned in fit from the training targets, in float64, kept in the model's dtype
    np.testing.assert_allclose(model.target_scaler.mean, Y[:300].mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(model.target_scaler.std, Y[:300].std(axis=0), rtol=1e-6)
    predictions = model.predict(X[300:])
    assert predictions.shape == (100, 2) and predictions.dtype == np.float32
    for k in range(2):  # each target in its own units, undone by predict
        residual = np.sum((predictions[:, k] - Y[300:, k]) ** 2)
        assert 1 - residual / np.sum((Y[300:, k] - Y[300:, k].mean()) ** 2) > 0.97
    assert model.evaluate(X[300:], Y[300:])["r2"] > 0.97


def test_a_regressor_progress_line_shows_no_accuracy(capsys):
    X, Y = smooth_targets(40)
    MLP(2, [4, 1], output="linear", seed=0).fit(X, Y[:, 0], epochs=2, validation_data=(X, Y[:, 0]), verbose=2)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and "val_loss" in lines[0] and "accuracy" not in lines[0]


# -- sample and class weights -------------------------------------------------------------------

def one_full_batch_step(X, y, **options):
    """A float64 model after one step of full-batch gradient descent on (X, y)."""
    model = MLP(X.shape[1], [5, 3], output="softmax", seed=0, dtype=np.float64)
    model.fit(X, y, epochs=1, batch_size=len(X), learning_rate=0.5, shuffle=False, verbose=0, **options)
    return model


def test_a_weight_of_2_trains_exactly_like_repeating_the_row():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((12, 4)), rng.integers(0, 3, 12)
    weights = np.ones(12)
    weights[0] = 2.0
    weighted = one_full_batch_step(X, y, sample_weight=weights)
    repeated = one_full_batch_step(np.vstack([X, X[:1]]), np.r_[y, y[:1]])
    # the gradients of the step (the layers keep the last ones) and so the weights after it
    np.testing.assert_allclose(weighted.parameters().gradients, repeated.parameters().gradients, rtol=1e-13,
                               atol=1e-16)
    np.testing.assert_allclose(weighted.parameters().values, repeated.parameters().values, rtol=1e-13, atol=1e-16)
    unweighted = one_full_batch_step(X, y)
    assert not np.allclose(unweighted.parameters().gradients, weighted.parameters().gradients)


def test_class_weights_are_per_class_sample_weights():
    X, y = make_blobs(20)
    options = {"epochs": 3, "batch_size": 8, "learning_rate": 0.1, "verbose": 0}
    by_class = MLP(2, [6, 3], output="softmax", seed=1)
    by_class.fit(X, y, class_weight={"cat": 3.0, "bird": 0.5}, **options)
    by_sample = MLP(2, [6, 3], output="softmax", seed=1)
    by_sample.fit(X, y, sample_weight=np.select([y == "cat", y == "bird"], [3.0, 0.5], 1.0), **options)
    np.testing.assert_array_equal(by_class.parameters().values, by_sample.parameters().values)
    both = MLP(2, [6, 3], output="softmax", seed=1)
    both.fit(X, y, class_weight={"cat": 3.0}, sample_weight=np.where(y == "bird", 0.5, 1.0), **options)
    np.testing.assert_array_equal(both.parameters().values, by_sample.parameters().values)


def test_balanced_class_weights_raise_the_balanced_accuracy_of_an_imbalanced_set():
    rng = np.random.default_rng(0)
    n_minority, n_majority = 40, 960  # 4% positives, overlapping with the negatives
    X = np.vstack([rng.normal(1.2, 1.0, (n_minority, 2)), rng.normal(0.0, 1.0, (n_majority, 2))])
    y = np.r_[np.ones(n_minority, int), np.zeros(n_majority, int)]
    scores = {}
    for class_weight in (None, "balanced"):
        model = MLP(2, [8, 1], seed=0)
        model.fit(X, y, epochs=20, batch_size=32, optimizer=Adam(learning_rate=0.01), class_weight=class_weight,
                  verbose=0)
        scores[class_weight] = model.evaluate(X, y)["balanced_accuracy"]
    assert scores[None] < 0.6 < 0.75 < scores["balanced"], scores  # unweighted, it predicts the majority


def test_the_weighted_epoch_loss_is_the_weighted_mean_over_the_epoch():
    X, y = make_moons(60, seed=0)
    weights = np.random.default_rng(0).uniform(0, 3, 60)
    model = MLP(2, [4, 1], seed=0, dtype=np.float64)
    recorder = RecordEpochs()
    model.fit(X, y, epochs=1, batch_size=7, learning_rate=0.1, sample_weight=weights, callbacks=[recorder],
              verbose=0)
    # reproduce the epoch step by step: each batch's weighted mean loss, weighed by its total weight
    replay = MLP(2, [4, 1], seed=0, dtype=np.float64)
    order = replay.rng.permutation(60)  # the same generator, so the same shuffle as fit's
    losses, totals = [], []
    for start in range(0, 60, 7):
        rows = order[start:start + 7]
        replay.forward(X[rows], training=True)
        losses.append(replay.loss_function.forward(replay.logits, y[rows].reshape(-1, 1).astype(float), weights[rows]))
        totals.append(weights[rows].sum())
        replay.backward()
        replay.optimize(0.1)
    assert recorder.logs[0]["loss"] == pytest.approx(np.dot(losses, totals) / weights.sum(), rel=1e-12)


def test_validation_data_may_carry_weights_and_class_weights_apply_to_it():
    X, y = make_moons(80, seed=0)
    X_val, y_val = make_moons(40, seed=1)
    weights_val = np.where(y_val == 1, 4.0, 1.0)
    histories = []
    for validation, class_weight in [((X_val, y_val, weights_val), None), ((X_val, y_val), {1: 4.0})]:
        model = MLP(2, [6, 1], seed=0, dtype=np.float64)
        histories.append(model.fit(X, y, epochs=2, batch_size=8, learning_rate=0.1, validation_data=validation,
                                   class_weight=class_weight, verbose=0))
        # the logged validation loss is the weighted mean of the samples' losses
        probabilities = model.predict_proba(X_val)
        losses = -np.log(np.where(y_val == 1, probabilities, 1 - probabilities))
        assert histories[-1]["val_loss"][-1] == pytest.approx(np.average(losses, weights=weights_val), rel=1e-10)
        accuracy = np.average(model.predict(X_val) == y_val, weights=weights_val)
        assert histories[-1]["val_accuracy"][-1] == pytest.approx(accuracy, rel=1e-12)


def test_early_stopping_follows_the_weighted_validation_loss():
    X, y = make_moons(120, noise=0.3, seed=0)
    weights = np.where(y == 1, 5.0, 0.2)
    model = MLP(2, [16, 1], seed=0, dtype=np.float64)
    history = model.fit(X, y, epochs=60, batch_size=8, optimizer=Adam(learning_rate=0.05), sample_weight=weights,
                        validation_split=0.3, early_stopping=5, verbose=0)
    best = int(np.argmin(history["val_loss"]))
    assert history.best_epoch == history.epochs[best]


X20, Y20 = make_moons(20, seed=0)


@pytest.mark.parametrize("options, message", [
    ({"sample_weight": -np.ones(20)}, "sample_weight must be >= 0, but has -1"),
    ({"sample_weight": np.ones(19)}, "X has 20 samples but sample_weight has 19"),
    ({"sample_weight": np.ones((20, 2))}, "sample_weight must be 1-D"),
    ({"sample_weight": np.r_[np.nan, np.ones(19)]}, "sample_weight contains NaN or infinity"),
    ({"sample_weight": np.zeros(20)}, "every sample has weight 0"),
    ({"class_weight": {7: 2.0}}, r"class_weight has label 7, which is not one of the model's classes \[0, 1\]"),
    ({"class_weight": "even"}, "class_weight must be 'balanced' or a dict"),
    ({"class_weight": {1: -2.0}}, r"class_weight\[1\] must be a finite number >= 0"),
    ({"validation_data": (X20, Y20, np.ones(20), 1)}, "validation_data must be a pair .* or a triple"),
])
def test_bad_weights_are_named(options, message):
    with pytest.raises(ValueError, match=message):
        MLP(2, [3, 1], seed=0).fit(X20, Y20, epochs=1, verbose=0, **options)


def test_class_weights_need_a_single_label_classifier():
    with pytest.raises(ValueError, match="class_weight is for classifiers with one label per sample, not a regressor"):
        MLP(2, [3, 1], output="linear").fit(X20, Y20.astype(float), class_weight="balanced", epochs=1, verbose=0)
    with pytest.raises(ValueError, match="not a multi-label network; use sample_weight"):
        MLP(2, [3, 2]).fit(X20, np.column_stack([Y20, Y20]), class_weight="balanced", epochs=1, verbose=0)


# -- dropout in fit -----------------------------------------------------------------------------

def test_a_seed_reproduces_a_run_with_dropout_bit_for_bit():
    X, y = make_moons(200, noise=0.2, seed=0)
    runs = []
    for _ in range(2):
        model = MLP(2, [32, 32, 1], seed=4, dropout=0.3)
        model.fit(X, y, epochs=3, batch_size=16, optimizer=Adam(learning_rate=0.01), verbose=0)
        runs.append(model.parameters().values.copy())
    np.testing.assert_array_equal(*runs)
    without = MLP(2, [32, 32, 1], seed=4)
    without.fit(X, y, epochs=3, batch_size=16, optimizer=Adam(learning_rate=0.01), verbose=0)
    assert not np.array_equal(runs[0], without.parameters().values)  # the masks were applied
    np.testing.assert_array_equal(model.predict_proba(X), model.predict_proba(X))  # inference is deterministic


# -- verbose="auto": a bar on a terminal, quiet in notebooks and logs ---------------------------

class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_verbose_auto_is_quiet_off_a_terminal(capsys):
    MLP(2, [4, 1], seed=0).fit(*make_xor(), epochs=2, batch_size=2)
    assert capsys.readouterr().err == ""


def test_verbose_auto_draws_a_bar_on_a_terminal_but_not_in_jupyter(monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    MLP(2, [4, 1], seed=0).fit(*make_xor(), epochs=2, batch_size=2)
    assert "\r" in terminal.getvalue() and "Epoch 2/2" in terminal.getvalue()
    notebook = Terminal()
    monkeypatch.setattr(sys, "stderr", notebook)
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    MLP(2, [4, 1], seed=0).fit(*make_xor(), epochs=2, batch_size=2)
    assert notebook.getvalue() == ""
