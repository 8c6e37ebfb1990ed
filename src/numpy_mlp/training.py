"""The training loop: shuffled mini-batches, forward, loss, backward, optimizer step."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .callbacks import EarlyStopping, ProgressBar
from .optimizers import SGD, Optimizer, joined
from .plotting import plot_history
from .validation import check_features, check_positive_int


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


class Trainer:
    """One ``fit`` call's state, handed to callbacks (epoch, running loss, samples seen...)."""

    def __init__(self, model, optimizer, callbacks, history, n_samples, last_epoch, has_validation):
        self.model, self.optimizer, self.callbacks, self.history = model, optimizer, callbacks, history
        self.n_samples, self.last_epoch, self.has_validation = n_samples, last_epoch, has_validation
        self.epoch = 0
        self.samples_seen = 0
        self.running_loss = 0.0
        self.running_accuracy = 0.0
        self.stop_training = False

    def notify(self, hook: str, *args) -> None:
        """Call ``hook`` (``"on_epoch_end"``...) on every callback."""
        for callback in self.callbacks:
            getattr(callback, hook)(self, *args)


class Checkpoint:
    """Copies of a model's parameters and its optimizer's state, to put back after a divergence.

    The copies are allocated once and refreshed in place by ``save``, so an epoch allocates nothing.
    """

    def __init__(self, model, optimizer: Optimizer):
        self.optimizer = optimizer
        groups = [[value for value, _ in model.parameters()]]
        groups += [[state[key] for state in optimizer.state] for key in (optimizer.state or [{}])[0]]
        self.arrays = []
        for group in groups:
            # An MLP's parameters (and so its optimizer's state) tile flat arrays: one copy each.
            flat = joined(group)
            self.arrays += group if flat is None else [flat]
        self.copies = [array.copy() for array in self.arrays]
        self.step_count = optimizer.step_count

    def save(self) -> None:
        for array, copy in zip(self.arrays, self.copies):
            np.copyto(copy, array)
        self.step_count = self.optimizer.step_count

    def restore(self) -> None:
        for array, copy in zip(self.arrays, self.copies):
            np.copyto(array, copy)
        self.optimizer.step_count = self.step_count


def fit(model, X, y, *, epochs: int = 100, batch_size: int = 32, learning_rate: float = 0.01,
        optimizer: Optimizer | None = None, shuffle: bool = True, validation_split: float | None = None,
        validation_data=None, early_stopping=None, callbacks=(), verbose: int = 1) -> History:
    """Train ``model`` on X (n, n_features) and labels y with mini-batch gradient descent.

    Each epoch visits the samples in a new random order (indices are shuffled, not data),
    ``batch_size`` at a time: forward to the logits, fused loss and dL/dz = (p - y) / n,
    backward through every layer, one optimizer step. Without ``optimizer`` the step is
    plain gradient descent with ``learning_rate``.

    validation_split: fraction of (X, y) held out, at random, to validate each epoch;
        validation_data: an explicit (X_val, y_val) instead.
    early_stopping: patience in epochs, or an ``EarlyStopping``; restores the best weights.
    verbose: 0 silent, 1 a progress bar (one line per epoch off a terminal), 2 a line per epoch.
    Raises DivergenceError, naming the epoch, if the loss or the weights become NaN or infinite;
    the model and the optimizer are then put back as they were before that epoch.
    """
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    if verbose not in (0, 1, 2, False, True):
        raise ValueError(f"verbose must be 0, 1 or 2, got {verbose!r}")
    if optimizer is None:
        optimizer = SGD(learning_rate=learning_rate)
    elif not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an Optimizer such as Adam(learning_rate=1e-3), got {optimizer!r}")
    if not optimizer.is_attached_to(model.parameters()):
        optimizer.attach(model.parameters())
    model.optimizer = optimizer

    if hasattr(X, "columns"):  # a pandas DataFrame: remember its column names, as scikit-learn does
        model.feature_names_ = [str(name) for name in X.columns]
    features, feature_range = check_features(X, model.dtype, model.n_features, return_range=True)
    targets = model.encode_targets(y, len(features), fitting=True)
    model.note_feature_range(feature_range)
    if validation_data is not None and validation_split is not None:
        raise ValueError("give validation_split or validation_data, not both")
    validation = None
    if validation_split is not None:
        features, targets, validation = _split(model.rng, features, targets, validation_split)
    # The standardisation is learned from the training rows alone, after the split.
    features = model.scale_features(features, fitting=True)
    if validation is not None:
        validation = (model.scale_features(validation[0]), validation[1])
    elif validation_data is not None:
        X_val, y_val = _unpack_validation_data(validation_data)
        val_features = model.prepare_features(X_val)
        validation = (val_features, model.encode_targets(y_val, len(val_features)))

    callbacks = list(callbacks)
    if early_stopping is not None:
        if isinstance(early_stopping, numbers.Integral) and not isinstance(early_stopping, bool):
            early_stopping = EarlyStopping(patience=int(early_stopping))
        if not isinstance(early_stopping, EarlyStopping):
            raise TypeError(f"early_stopping must be a patience (int) or an EarlyStopping, got {early_stopping!r}")
        callbacks.append(early_stopping)
    if verbose:
        callbacks.append(ProgressBar(per_batch=verbose == 1))

    history = History()
    first_epoch = model.epochs_trained
    trainer = Trainer(model, optimizer, callbacks, history, len(features), first_epoch + epochs,
                      validation is not None)
    checkpoint = Checkpoint(model, optimizer)
    trainer.notify("on_train_begin")
    # Divergence is detected from the loss below, so overflow on the way there is not a warning.
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(first_epoch, first_epoch + epochs):
            trainer.epoch = epoch
            checkpoint.save()
            try:
                logs = _train_and_validate(trainer, features, targets, batch_size, shuffle, validation)
            except DivergenceError:
                checkpoint.restore()  # the model stays usable, and training can go on from there
                raise
            model.epochs_trained = epoch + 1
            history.append(logs)
            trainer.notify("on_epoch_end", logs)
            if trainer.stop_training:
                break
    trainer.notify("on_train_end")
    return history


def _train_and_validate(trainer: Trainer, features, targets, batch_size, shuffle, validation) -> dict:
    """One epoch of training, then validation: the epoch's logs; DivergenceError on NaN or infinity."""
    model, optimizer = trainer.model, trainer.optimizer
    logs = {"epoch": trainer.epoch + 1, "learning_rate": optimizer.current_learning_rate()}
    logs.update(_train_one_epoch(trainer, features, targets, batch_size, shuffle))
    if validation is not None:
        val_loss, val_accuracy = loss_and_accuracy(model, *validation)
        logs.update(val_loss=val_loss, val_accuracy=val_accuracy)
    # The last step of an epoch may overflow the weights after its loss was checked.
    if not all(np.isfinite(value).all() for value, _ in model.parameters()):
        raise _divergence_error(trainer, "the weights became NaN or infinite")
    if not math.isfinite(logs.get("val_loss", 0.0)):
        raise _divergence_error(trainer, f"the validation loss became {logs['val_loss']}")
    return logs


def _train_one_epoch(trainer: Trainer, features, targets, batch_size, shuffle) -> dict:
    """One pass over the data; returns the epoch's mean training loss and accuracy."""
    model, optimizer, loss_function = trainer.model, trainer.optimizer, trainer.model.loss_function
    n_samples = len(features)
    order = model.rng.permutation(n_samples) if shuffle else np.arange(n_samples)
    # Reused batch buffers: gathering with take(out=) allocates nothing per step.
    x_buffer = np.empty((min(batch_size, n_samples), features.shape[1]), features.dtype)
    t_buffer = np.empty((len(x_buffer), *targets.shape[1:]), targets.dtype)
    total_loss, total_correct = 0.0, 0.0
    trainer.samples_seen = 0
    for start in range(0, n_samples, batch_size):
        batch = order[start:start + batch_size]
        x, t = x_buffer[:len(batch)], t_buffer[:len(batch)]
        # mode="clip" because the indices are a permutation, always in range: the default
        # mode="raise" copies the output through a temporary buffer, 4x slower here.
        np.take(features, batch, axis=0, out=x, mode="clip")
        np.take(targets, batch, axis=0, out=t, mode="clip")

        logits = model.forward_logits(x)
        loss = loss_function.forward(logits, t)
        if not math.isfinite(loss):
            raise _divergence_error(trainer, f"the loss became {loss}")
        model.backward(loss_function.backward())
        optimizer.step()

        total_loss += loss * len(batch)
        total_correct += count_correct(loss_function, logits, t)
        trainer.samples_seen += len(batch)
        trainer.running_loss = total_loss / trainer.samples_seen
        trainer.running_accuracy = total_correct / trainer.samples_seen
        trainer.notify("on_batch_end")
    return {"loss": trainer.running_loss, "accuracy": trainer.running_accuracy}


def _divergence_error(trainer: Trainer, what: str) -> DivergenceError:
    """The error for a run gone to NaN or infinity: it names the epoch and what to try."""
    return DivergenceError(
        f"training diverged at epoch {trainer.epoch + 1}: {what} (learning rate "
        f"{trainer.optimizer.current_learning_rate():g}); try a smaller learning rate. The model "
        f"keeps its weights from before epoch {trainer.epoch + 1}")


def count_correct(loss_function, logits, targets) -> float:
    """Samples classified right (for several sigmoid outputs, the mean over outputs)."""
    hits = loss_function.predicted_classes(logits) == targets
    return float(np.count_nonzero(hits)) / (hits.shape[1] if hits.ndim == 2 else 1)


def loss_and_accuracy(model, features, targets, batch_size: int = 4096) -> tuple[float, float]:
    """Mean loss and accuracy of prepared features and encoded targets, in chunks."""
    total_loss, total_correct = 0.0, 0.0
    for start in range(0, len(features), batch_size):
        logits = model.forward_logits(features[start:start + batch_size])
        batch_targets = targets[start:start + batch_size]
        total_loss += model.loss_function.forward(logits, batch_targets) * len(logits)
        total_correct += count_correct(model.loss_function, logits, batch_targets)
    return total_loss / len(features), total_correct / len(features)


def _unpack_validation_data(validation_data):
    try:
        X_val, y_val = validation_data
    except (TypeError, ValueError):
        raise ValueError("validation_data must be a pair (X_val, y_val)") from None
    return X_val, y_val


def _split(rng, features, targets, fraction):
    """Hold out a random ``fraction`` of the samples for validation."""
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real) or not 0 < fraction < 1:
        raise ValueError(f"validation_split must be a fraction in (0, 1), got {fraction!r}")
    n_val = int(round(len(features) * fraction))
    if n_val < 1 or n_val >= len(features):
        raise ValueError(f"validation_split={fraction} leaves no samples for training or for "
                         f"validation out of {len(features)}")
    order = rng.permutation(len(features))
    val, train = order[:n_val], order[n_val:]
    return features[train], targets[train], (features[val], targets[val])
