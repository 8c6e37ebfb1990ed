"""The training loop: shuffled mini-batches, forward, loss, backward, optimizer step.

``fit`` checks its arguments and prepares the data once; then each epoch is a loop over
batches, and each step is four calls (``_train_step``):

    logits = model.forward_logits(x)              # every layer's forward
    loss = model.loss_function.forward(logits, t) # the fused loss, from the logits
    model.backward(model.loss_function.backward())# dL/dz = (p - y) / n, back through every layer
    optimizer.step()                              # every parameter, in place
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .callbacks import EarlyStopping, ProgressBar
from .datasets.split import split_indices
from .metrics import count_correct, loss_and_accuracy
from .optimizers import SGD, Optimizer
from .plotting import plot_history
from .validation import check_choice, check_open_fraction, check_positive_int


#: plain gradient descent's rate when fit is given neither an optimizer nor a rate
DEFAULT_LEARNING_RATE = 0.01


class DivergenceError(FloatingPointError):
    """Training stopped because the loss became NaN or infinite."""


class History:
    """Per-epoch metrics of a ``fit``: ``history["loss"]``, ``history["val_accuracy"]``...

    ``history.history`` is the dict of lists (Keras's name); ``epochs`` the epoch numbers
    (1-based, continuing across calls to fit); ``best_epoch`` the one early stopping kept.
    """

    def __init__(self):
        self.history: dict[str, list[float]] = {}
        self.epochs: list[int] = []
        self.best_epoch: int | None = None

    def append(self, logs: dict) -> None:
        self.epochs.append(logs["epoch"])
        for key, value in logs.items():
            if key != "epoch":
                self.history.setdefault(key, []).append(value)

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __contains__(self, key: str) -> bool:
        return key in self.history

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epochs)}, metrics={sorted(self.history)})"

    def plot(self, path=None, validation_label: str = "validation"):
        """The learning curves as a matplotlib Figure, saved to ``path`` if given (needs matplotlib)."""
        return plot_history(self, path, validation_label)


class TrainingRun:
    """One call of ``fit`` as its callbacks see it: the model, the optimizer, the epoch, the
    running loss and accuracy of the epoch so far, and ``stop_training``, which a callback sets."""

    def __init__(self, model, optimizer, callbacks, n_samples: int, epochs: int, has_validation: bool):
        self.model, self.optimizer, self.callbacks = model, optimizer, callbacks
        self.history = History()
        self.n_samples, self.has_validation = n_samples, has_validation
        self.first_epoch = model.epochs_trained
        self.last_epoch = self.first_epoch + epochs
        self.epoch = self.first_epoch
        self.samples_seen = 0
        self.running_loss = 0.0
        self.running_accuracy = 0.0
        self.stop_training = False

    def notify(self, hook: str, *args) -> None:
        """Call ``hook`` (``"on_epoch_end"``...) on every callback."""
        for callback in self.callbacks:
            getattr(callback, hook)(self, *args)


class Checkpoint:
    """What an epoch changes: the parameters, the optimizer's state and step count, and the random
    generator; ``restore`` puts them back after a divergence.

    The copies are made once and refreshed in place by ``save``, so an epoch allocates nothing.
    """

    def __init__(self, model, optimizer: Optimizer):
        self.model, self.optimizer = model, optimizer
        self.arrays = [value for value, _ in model.parameters()]
        self.arrays += [array for state in optimizer.state for array in state.values()]
        self.copies = [array.copy() for array in self.arrays]
        self.save()

    def save(self) -> None:
        for array, saved in zip(self.arrays, self.copies):
            np.copyto(saved, array)
        self.step_count = self.optimizer.step_count
        self.random_state = self.model.rng.bit_generator.state

    def restore(self) -> None:
        for array, saved in zip(self.arrays, self.copies):
            np.copyto(array, saved)
        self.optimizer.step_count = self.step_count
        self.model.rng.bit_generator.state = self.random_state


def fit(model, X, y, *, epochs: int = 100, batch_size: int = 32, learning_rate: float | None = None,
        optimizer: Optimizer | None = None, shuffle: bool = True, validation_split: float | None = None,
        validation_data=None, early_stopping=None, callbacks=(), verbose: int = 1) -> History:
    """Train ``model`` on X (n, n_features) and labels y with mini-batch gradient descent.

    Each epoch visits the samples in a new random order (indices are shuffled, not data),
    ``batch_size`` at a time: forward to the logits, fused loss and dL/dz = (p - y) / n,
    backward through every layer, one optimizer step.

    optimizer: the optimizer to step with. Without it, a ``learning_rate`` asks for plain
        gradient descent at that rate; with neither, the model's own optimizer goes on (the
        one its last fit used, or the one a model file was saved with, its state and schedule
        included), and a model that has none gets plain gradient descent at 0.01.

    validation_split: fraction of (X, y) held out, at random, to validate each epoch;
        validation_data: an explicit (X_val, y_val) instead.
    early_stopping: patience in epochs, or an ``EarlyStopping``; restores the best weights.
    verbose: 0 silent, 1 a progress bar (one line per epoch off a terminal), 2 a line per epoch.
    Raises DivergenceError, naming the epoch, if the loss or the weights become NaN or infinite;
    the model, the optimizer and the random generator are then put back as they were before
    that epoch.
    """
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    check_choice(verbose, "verbose", (0, 1, 2))
    optimizer = _attached_optimizer(model, optimizer, learning_rate)
    features, targets, validation = _training_data(model, X, y, validation_split, validation_data)
    run = TrainingRun(model, optimizer, _callbacks(callbacks, early_stopping, verbose), len(features),
                      epochs, validation is not None)
    # Saved with the model, so that a run killed on the way can be resumed as it was asked for.
    model.planned_epochs, model.batch_size = run.last_epoch, batch_size
    checkpoint = Checkpoint(model, optimizer)
    run.notify("on_train_begin")
    # Divergence is detected from the loss, so overflow on the way there is not a warning.
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(run.first_epoch, run.last_epoch):
            run.epoch = epoch
            checkpoint.save()
            try:
                logs = _train_and_validate(run, features, targets, batch_size, shuffle, validation)
            except DivergenceError:
                checkpoint.restore()  # the model stays usable, and training can go on from there
                raise
            model.epochs_trained = epoch + 1
            run.history.append(logs)
            run.notify("on_epoch_end", logs)
            if run.stop_training:
                break
    run.notify("on_train_end")
    return run.history


def _attached_optimizer(model, optimizer: Optimizer | None, learning_rate) -> Optimizer:
    """The optimizer of this fit (see ``fit``), attached to the model's parameters and kept in
    ``model.optimizer``."""
    if optimizer is None and learning_rate is None and model.optimizer is not None:
        optimizer = model.optimizer  # go on as Keras does: a loaded model continues its run
    elif optimizer is None:
        optimizer = SGD(learning_rate=DEFAULT_LEARNING_RATE if learning_rate is None else learning_rate)
    elif not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an Optimizer such as Adam(learning_rate=1e-3), got {optimizer!r}")
    if optimizer.parameters is not model.parameters():
        optimizer.attach(model.parameters())
    model.optimizer = optimizer
    return optimizer


def _training_data(model, X, y, validation_split, validation_data):
    """The checked, encoded and scaled training (features, targets), and the validation pair or None.

    The standardisation is learned from the training rows alone, after the split.
    """
    if validation_data is not None and validation_split is not None:
        raise ValueError("give validation_split or validation_data, not both")
    features, targets = model._check_training_data(X, y)
    validation = None
    if validation_split is not None:
        fraction = check_open_fraction(validation_split, "validation_split")
        train, held_out = split_indices(len(features), fraction, model.rng, name="validation_split")
        features, targets, validation = features[train], targets[train], (features[held_out], targets[held_out])
    features = model._scale_features(features, fitting=True)
    if validation is not None:
        validation = (model._scale_features(validation[0]), validation[1])
    elif validation_data is not None:
        validation = model._prepare_data(*_unpack_validation_data(validation_data))
    return features, targets, validation


def _unpack_validation_data(validation_data):
    try:
        X_val, y_val = validation_data
    except (TypeError, ValueError):
        raise ValueError("validation_data must be a pair (X_val, y_val)") from None
    return X_val, y_val


def _callbacks(callbacks, early_stopping, verbose: int) -> list:
    """The callbacks of this fit: the user's, then early stopping and the progress bar if asked."""
    callbacks = list(callbacks)
    if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
        if isinstance(early_stopping, bool) or not isinstance(early_stopping, numbers.Integral):
            raise TypeError(f"early_stopping must be a patience (int) or an EarlyStopping, got {early_stopping!r}")
        early_stopping = EarlyStopping(patience=early_stopping)
    if early_stopping is not None:
        callbacks.append(early_stopping)
    if verbose:
        callbacks.append(ProgressBar(per_batch=verbose == 1))
    return callbacks


def _train_and_validate(run: TrainingRun, features, targets, batch_size, shuffle, validation) -> dict:
    """One epoch of training, then validation: the epoch's logs; DivergenceError on NaN or infinity."""
    model = run.model
    logs = {"epoch": run.epoch + 1, "learning_rate": run.optimizer.current_learning_rate()}
    logs.update(_train_one_epoch(run, features, targets, batch_size, shuffle))
    if validation is not None:
        val_features, val_targets = validation
        val_loss, val_accuracy = loss_and_accuracy(model.loss_function, model.forward_in_chunks(val_features),
                                                   val_targets)
        logs.update(val_loss=val_loss, val_accuracy=val_accuracy)
    # The last step of an epoch may overflow the weights after its loss was checked.
    if not all(np.isfinite(value).all() for value, _ in model.parameters()):
        raise _divergence_error(run, "the weights became NaN or infinite")
    if not math.isfinite(logs.get("val_loss", 0.0)):
        raise _divergence_error(run, f"the validation loss became {logs['val_loss']}")
    return logs


def _train_one_epoch(run: TrainingRun, features, targets, batch_size, shuffle) -> dict:
    """One pass over the data in mini-batches; the epoch's mean training loss and accuracy."""
    n_samples = len(features)
    order = run.model.rng.permutation(n_samples) if shuffle else np.arange(n_samples)
    batches = BatchBuffers(features, targets, batch_size)
    total_loss, total_correct = 0.0, 0.0
    run.samples_seen = 0
    for start in range(0, n_samples, batch_size):
        x, t = batches.gather(order[start:start + batch_size])
        loss, logits = _train_step(run, x, t)
        total_loss += loss * len(x)
        total_correct += count_correct(run.model.loss_function, logits, t)
        run.samples_seen += len(x)
        run.running_loss = total_loss / run.samples_seen
        run.running_accuracy = total_correct / run.samples_seen
        run.notify("on_batch_end")
    return {"loss": run.running_loss, "accuracy": run.running_accuracy}


def _train_step(run: TrainingRun, x: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray]:
    """One step of gradient descent on the batch (x, t); returns its loss and logits."""
    model, loss_function = run.model, run.model.loss_function
    logits = model.forward_logits(x)
    loss = loss_function.forward(logits, t)
    if not math.isfinite(loss):
        raise _divergence_error(run, f"the loss became {loss}")
    model.backward(loss_function.backward())
    run.optimizer.step()
    return loss, logits


class BatchBuffers:
    """Arrays for one batch of features and targets, made once per epoch and refilled each step,
    so that gathering a batch allocates nothing; the last short batch gets views of them."""

    def __init__(self, features: np.ndarray, targets: np.ndarray, batch_size: int):
        self.features, self.targets = features, targets
        self.x = np.empty((min(batch_size, len(features)), features.shape[1]), features.dtype)
        self.t = np.empty((len(self.x), *targets.shape[1:]), targets.dtype)

    def gather(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows ``indices`` of the features and targets, in the buffers."""
        x, t = self.x[:len(indices)], self.t[:len(indices)]
        # mode="clip" because the indices are a permutation, always in range: the default
        # mode="raise" copies the output through a temporary buffer, 4x slower here.
        np.take(self.features, indices, axis=0, out=x, mode="clip")
        np.take(self.targets, indices, axis=0, out=t, mode="clip")
        return x, t


def _divergence_error(run: TrainingRun, what: str) -> DivergenceError:
    """The error for a run gone to NaN or infinity: it names the epoch and what to try."""
    return DivergenceError(
        f"training diverged at epoch {run.epoch + 1}: {what} (learning rate "
        f"{run.optimizer.current_learning_rate():g}); try a smaller learning rate. The model "
        f"keeps its weights from before epoch {run.epoch + 1}")
