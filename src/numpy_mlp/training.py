"""The training loop: shuffled mini-batches, forward, loss, backward, optimizer step.

``fit`` checks its arguments and prepares the data once; then each epoch is a loop over
batches, and each step is four calls (``_train_step``):

    logits = model.forward_logits(x, training=True)  # every layer's forward, dropout active
    loss = model.loss_function.forward(logits, t, w) # the fused loss from the logits, weighted by w
    model.backward(model.loss_function.backward())   # dL/dz = (p - y) / n, back through every layer
    optimizer.step()                                 # every parameter, in place
"""

from __future__ import annotations

import math
import numbers
import sys
from typing import NamedTuple

import numpy as np

from .callbacks import EarlyStopping, ProgressBar
from .metrics import count_correct, loss_and_accuracy
from .optimizers import SGD, Optimizer
from .plotting import plot_history
from .preprocessing import class_weight_vector
from .splits import split_indices
from .validation import check_choice, check_open_fraction, check_positive_int, check_sample_weight


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
    running loss and accuracy (None for a regressor) of the epoch so far, and ``stop_training``,
    which a callback sets."""

    def __init__(self, model, optimizer, callbacks, n_samples: int, epochs: int, has_validation: bool):
        self.model, self.optimizer, self.callbacks = model, optimizer, callbacks
        self.history = History()
        self.n_samples, self.has_validation = n_samples, has_validation
        self.first_epoch = model.epochs_trained
        self.last_epoch = self.first_epoch + epochs
        self.epoch = self.first_epoch
        self.samples_seen = 0
        self.running_loss = 0.0
        self.running_accuracy = None if model.output == "linear" else 0.0  # a regressor has none
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


class Samples(NamedTuple):
    """Prepared data: features (n, n_features) and targets as the loss takes them, both scaled,
    and the weight of each sample (n,) in the model's dtype, or None when all weigh the same."""

    features: np.ndarray
    targets: np.ndarray
    weights: np.ndarray | None = None

    def take(self, indices: np.ndarray) -> "Samples":
        return Samples(self.features[indices], self.targets[indices],
                       None if self.weights is None else self.weights[indices])


def fit(model, X, y, *, epochs: int = 100, batch_size: int = 32, learning_rate: float | None = None,
        optimizer: Optimizer | None = None, shuffle: bool = True, sample_weight=None, class_weight=None,
        validation_split: float | None = None, validation_data=None, early_stopping=None, callbacks=(),
        verbose="auto") -> History:
    """Train ``model`` on X (n, n_features) and labels (or a regressor's targets) y with mini-batch
    gradient descent.

    Each epoch visits the samples in a new random order (indices are shuffled, not data),
    ``batch_size`` at a time: forward to the logits (dropout active), fused loss and
    dL/dz = (p - y) / n, backward through every layer, one optimizer step.

    optimizer: the optimizer to step with. Without it, a ``learning_rate`` asks for plain
        gradient descent at that rate; with neither, the model's own optimizer goes on (the
        one its last fit used, or the one a model file was saved with, its state and schedule
        included), and a model that has none gets plain gradient descent at 0.01.

    sample_weight: a weight >= 0 per sample; class_weight: a dict {label: weight} or "balanced"
        (n_samples / (n_classes * count), from y). Each batch's loss is then the weighted mean
        sum w_i L_i / sum w_i (see losses.py), so a weight of 2 counts like the row twice.
    validation_split: fraction of (X, y) held out, at random, to validate each epoch;
        validation_data: an explicit (X_val, y_val) or (X_val, y_val, sample_weight_val)
        instead. Validation and early stopping weigh samples the same way (class weights too).
    early_stopping: patience in epochs, or an ``EarlyStopping``; restores the best weights.
    verbose: 0 silent, 1 a progress bar (one line per epoch off a terminal), 2 a line per epoch;
        "auto" is 1 when standard error is a terminal outside Jupyter, else 0 (quiet in
        notebooks and logs).
    Raises DivergenceError, naming the epoch, if the loss or the weights become NaN or infinite;
    the model, the optimizer and the random generator are then put back as they were before
    that epoch.
    """
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    verbose = _verbosity(verbose)
    optimizer = _attached_optimizer(model, optimizer, learning_rate)
    train, validation = _training_data(model, X, y, sample_weight, class_weight, validation_split, validation_data)
    run = TrainingRun(model, optimizer, _callbacks(callbacks, early_stopping, verbose), len(train.features),
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
                logs = _train_and_validate(run, train, batch_size, shuffle, validation)
            except DivergenceError:
                checkpoint.restore()  # the model stays usable, and training can go on from there
                raise
            model.epochs_trained = epoch + 1
            run.history.append(logs)
            run.notify("on_epoch_end", logs)
            if run.stop_training:  # a callback (early stopping) ended the run: it is complete
                model.planned_epochs = model.epochs_trained
                break
    run.notify("on_train_end")
    # The last epoch's metrics, saved with the model (numpy-mlp info shows them).
    model.training_metrics = {key: values[-1] for key, values in run.history.history.items()}
    return run.history


def _verbosity(verbose) -> int:
    """0, 1 or 2; "auto" is 1 on a terminal outside Jupyter (a bar), else 0 (notebooks, logs)."""
    check_choice(verbose, "verbose", (0, 1, 2, "auto"))
    if verbose != "auto":
        return int(verbose)
    in_jupyter = "ipykernel" in sys.modules  # its kernels import it; plain Python never does
    return int(getattr(sys.stderr, "isatty", lambda: False)() and not in_jupyter)


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


def _training_data(model, X, y, sample_weight, class_weight, validation_split, validation_data):
    """The checked, encoded, weighted and scaled training ``Samples``, and the validation ones or None.

    The standardisation is learned from the training rows alone, after the split, weighted as
    they are; class weights ("balanced") from all of y.
    """
    if validation_data is not None and validation_split is not None:
        raise ValueError("give validation_split or validation_data, not both")
    features, targets = model._check_training_data(X, y)
    per_class = _class_weights(model, targets, class_weight)
    samples = Samples(features, targets, _sample_weights(model, targets, sample_weight, per_class))
    if samples.weights is not None and not samples.weights.any():
        raise ValueError("every sample has weight 0: there is nothing to learn from")
    validation = None
    if validation_split is not None:
        fraction = check_open_fraction(validation_split, "validation_split")
        train, held_out = split_indices(len(features), fraction, model.rng, name="validation_split")
        samples, validation = samples.take(train), samples.take(held_out)
    samples = samples._replace(features=model._scale_features(samples.features, fitting=True, weights=samples.weights),
                               targets=model._scale_targets(samples.targets, fitting=True, weights=samples.weights))
    if validation is not None:
        validation = validation._replace(features=model._scale_features(validation.features),
                                         targets=model._scale_targets(validation.targets))
    elif validation_data is not None:
        X_val, y_val, weights_val = _unpack_validation_data(validation_data)
        val_features, val_targets = model._prepare_data(X_val, y_val)
        validation = Samples(val_features, val_targets, _sample_weights(model, val_targets, weights_val, per_class))
    return samples, validation


def _unpack_validation_data(validation_data):
    """(X_val, y_val, sample_weight_val or None) from a pair or a triple."""
    try:
        X_val, y_val, *weights = validation_data
    except (TypeError, ValueError):
        weights = [None, None]
    if len(weights) > 1:
        raise ValueError("validation_data must be a pair (X_val, y_val) or a triple (X_val, y_val, sample_weight_val)")
    return X_val, y_val, (weights or [None])[0]


def _class_indices(model, targets: np.ndarray, what: str) -> np.ndarray:
    """Each sample's class index, from encoded targets; class weights need a single-label classifier."""
    if model.output == "softmax":
        return targets
    if model.output == "sigmoid" and model.n_outputs == 1:
        return targets[:, 0].astype(np.intp)
    kind = "a regressor" if model.output == "linear" else "a multi-label network"
    raise ValueError(f"{what} is for classifiers with one label per sample, not {kind}; use sample_weight")


def _class_weights(model, targets: np.ndarray, class_weight) -> np.ndarray | None:
    """The weight of each class (K,) from ``class_weight`` (a dict or "balanced"), or None."""
    if class_weight is None:
        return None
    return class_weight_vector(class_weight, _class_indices(model, targets, "class_weight"), model.classes_)


def _sample_weights(model, targets: np.ndarray, sample_weight, per_class: np.ndarray | None) -> np.ndarray | None:
    """Each sample's weight, in the model's dtype: its sample_weight times its class's weight (None
    when neither is given)."""
    weights = None if sample_weight is None else check_sample_weight(sample_weight, len(targets))
    if per_class is not None:
        class_weights = per_class[_class_indices(model, targets, "class_weight")]
        weights = class_weights if weights is None else weights * class_weights
    return None if weights is None else weights.astype(model.dtype)


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


def _train_and_validate(run: TrainingRun, train: Samples, batch_size, shuffle, validation: Samples | None) -> dict:
    """One epoch of training, then validation: the epoch's logs; DivergenceError on NaN or infinity."""
    model = run.model
    logs = {"epoch": run.epoch + 1, "learning_rate": run.optimizer.current_learning_rate()}
    logs.update(_train_one_epoch(run, train, batch_size, shuffle))
    if validation is not None:
        val_loss, val_accuracy = loss_and_accuracy(model.loss_function, model.forward_in_chunks(validation.features),
                                                   validation.targets, validation.weights)
        logs["val_loss"] = val_loss
        if val_accuracy is not None:
            logs["val_accuracy"] = val_accuracy
    # The last step of an epoch may overflow the weights after its loss was checked.
    if not all(np.isfinite(value).all() for value, _ in model.parameters()):
        raise _divergence_error(run, "the weights became NaN or infinite")
    if not math.isfinite(logs.get("val_loss", 0.0)):
        raise _divergence_error(run, f"the validation loss became {logs['val_loss']}")
    return logs


def _train_one_epoch(run: TrainingRun, train: Samples, batch_size, shuffle) -> dict:
    """One pass over the data in mini-batches; the epoch's mean training loss and accuracy
    (weighted means for weighted samples; no accuracy for a regressor)."""
    n_samples = len(train.features)
    loss_function = run.model.loss_function
    classifies = loss_function.output != "linear"
    order = run.model.rng.permutation(n_samples) if shuffle else np.arange(n_samples)
    batches = BatchBuffers(train, batch_size)
    total_loss, total_correct, total_weight = 0.0, 0.0, 0
    run.samples_seen = 0
    for start in range(0, n_samples, batch_size):
        x, t, w = batches.gather(order[start:start + batch_size])
        loss, logits = _train_step(run, x, t, w)
        weight = len(x) if w is None else float(w.sum())
        total_loss += loss * weight
        total_weight += weight
        if classifies:
            total_correct += count_correct(loss_function, logits, t, w)
            run.running_accuracy = total_correct / (total_weight or 1)
        run.samples_seen += len(x)
        run.running_loss = total_loss / (total_weight or 1)
        run.notify("on_batch_end")
    if not classifies:
        return {"loss": run.running_loss}
    return {"loss": run.running_loss, "accuracy": run.running_accuracy}


def _train_step(run: TrainingRun, x: np.ndarray, t: np.ndarray, w: np.ndarray | None = None
                ) -> tuple[float, np.ndarray]:
    """One step of gradient descent on the batch (x, t), weighted by w; returns its loss and logits."""
    model, loss_function = run.model, run.model.loss_function
    logits = model.forward_logits(x, training=True)
    loss = loss_function.forward(logits, t, w)
    if not math.isfinite(loss):
        raise _divergence_error(run, f"the loss became {loss}")
    model.backward(loss_function.backward())
    run.optimizer.step()
    return loss, logits


class BatchBuffers:
    """Arrays for one batch of features, targets (and weights), made once per epoch and refilled
    each step, so that gathering a batch allocates nothing; the last short batch gets views of them."""

    def __init__(self, samples: Samples, batch_size: int):
        self.samples = samples
        features, targets, weights = samples
        self.x = np.empty((min(batch_size, len(features)), features.shape[1]), features.dtype)
        self.t = np.empty((len(self.x), *targets.shape[1:]), targets.dtype)
        self.w = None if weights is None else np.empty(len(self.x), weights.dtype)

    def gather(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The rows ``indices`` of the features, targets and weights (None if unweighted), in the buffers."""
        x, t = self.x[:len(indices)], self.t[:len(indices)]
        # mode="clip" because the indices are a permutation, always in range: the default
        # mode="raise" copies the output through a temporary buffer, 4x slower here.
        np.take(self.samples.features, indices, axis=0, out=x, mode="clip")
        np.take(self.samples.targets, indices, axis=0, out=t, mode="clip")
        if self.w is None:
            return x, t, None
        w = self.w[:len(indices)]
        np.take(self.samples.weights, indices, out=w, mode="clip")
        return x, t, w


def _divergence_error(run: TrainingRun, what: str) -> DivergenceError:
    """The error for a run gone to NaN or infinity: it names the epoch and what to try."""
    return DivergenceError(
        f"training diverged at epoch {run.epoch + 1}: {what} (learning rate "
        f"{run.optimizer.current_learning_rate():g}); try a smaller learning rate. The model "
        f"keeps its weights from before epoch {run.epoch + 1}")
