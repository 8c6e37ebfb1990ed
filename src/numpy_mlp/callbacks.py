"""Callbacks: what happens around the training loop without being part of it.

``fit`` calls ``on_train_begin(trainer)``, ``on_batch_end(trainer)`` after every step,
``on_epoch_end(trainer, logs)`` with that epoch's metrics, and ``on_train_end(trainer)``.
A callback stops training by setting ``trainer.stop_training = True``.
"""

from __future__ import annotations

import math
import sys
import time

from .validation import check_non_negative_float, check_non_negative_int, check_positive_int


class Callback:
    """Base class: every hook does nothing."""

    def on_train_begin(self, trainer) -> None: ...

    def on_batch_end(self, trainer) -> None: ...

    def on_epoch_end(self, trainer, logs: dict) -> None: ...

    def on_train_end(self, trainer) -> None: ...


def format_logs(logs: dict) -> str:
    """'loss 0.1234 - accuracy 0.9876 - ...' for the metrics of one epoch."""
    parts = []
    for key, value in logs.items():
        if key == "epoch":
            continue
        parts.append(f"{key} {value:.4g}" if key == "learning_rate" else f"{key} {value:.4f}")
    return " - ".join(parts)


class ProgressBar(Callback):
    """Progress on a text stream (standard error by default).

    ``per_batch=True`` redraws a bar with the running loss, accuracy (classifiers) and samples per second
    while an epoch runs (on a terminal only), then writes one line per epoch;
    ``per_batch=False`` writes just the line per epoch.
    """

    def __init__(self, stream=None, per_batch: bool = True, width: int = 24):
        self.stream = sys.stderr if stream is None else stream
        self.per_batch = per_batch and getattr(self.stream, "isatty", lambda: False)()
        self.width = width

    def on_train_begin(self, trainer):
        self.epoch_started = time.perf_counter()
        self.last_draw = 0.0

    def on_batch_end(self, trainer):
        if not self.per_batch:
            return
        now = time.perf_counter()
        if now - self.last_draw < 0.1 and trainer.samples_seen < trainer.n_samples:
            return
        self.last_draw = now
        done = trainer.samples_seen / trainer.n_samples
        filled = int(self.width * done)
        bar = "=" * filled + ("" if filled == self.width else ">") + "." * (self.width - filled - 1)
        rate = trainer.samples_seen / max(now - self.epoch_started, 1e-9)
        accuracy = "" if trainer.running_accuracy is None else f"accuracy {trainer.running_accuracy:.4f} - "
        self.stream.write(f"\r{self._prefix(trainer)} [{bar}] loss {trainer.running_loss:.4f} - "
                          f"{accuracy}{rate:,.0f} samples/s")
        self.stream.flush()

    def on_epoch_end(self, trainer, logs):
        now = time.perf_counter()
        seconds = now - self.epoch_started
        rate = trainer.n_samples / max(seconds, 1e-9)
        clear = "\r\033[K" if self.per_batch else ""
        self.stream.write(f"{clear}{self._prefix(trainer)} {format_logs(logs)} - "
                          f"{seconds:.2f}s ({rate:,.0f} samples/s)\n")
        self.stream.flush()
        self.epoch_started = time.perf_counter()

    @staticmethod
    def _prefix(trainer) -> str:
        digits = len(str(trainer.last_epoch))
        return f"Epoch {trainer.epoch + 1:>{digits}}/{trainer.last_epoch}"


class EarlyStopping(Callback):
    """Stop when a monitored metric has not improved for ``patience`` epochs.

    ``monitor`` is a key of the epoch logs (``"val_loss"``, ``"loss"``, ``"val_accuracy"``...)
    or ``"auto"``: the validation loss when there is validation data, else the training loss.
    Losses must decrease and other metrics increase by more than ``min_delta``. With
    ``restore_best_weights`` the model ends with the weights of its best epoch.
    """

    def __init__(self, patience: int = 10, monitor: str = "auto", min_delta: float = 0.0,
                 restore_best_weights: bool = True):
        self.patience = check_non_negative_int(patience, "patience")
        self.min_delta = check_non_negative_float(min_delta, "min_delta")
        self.monitor = monitor
        self.restore_best_weights = restore_best_weights

    def on_train_begin(self, trainer):
        if self.monitor == "auto":
            self.key = "val_loss" if trainer.has_validation else "loss"
        else:
            self.key = self.monitor
        self.sign = 1.0 if self.key.endswith("loss") else -1.0  # minimise sign * value
        self.best = math.inf
        self.best_epoch = None
        self.best_state = None
        self.wait = 0

    def on_epoch_end(self, trainer, logs):
        if self.key not in logs:
            raise ValueError(f"EarlyStopping monitors {self.key!r}, but the epoch logs hold "
                             f"{sorted(k for k in logs if k != 'epoch')}")
        value = self.sign * logs[self.key]
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, logs["epoch"], 0
            if self.restore_best_weights:
                self.best_state = trainer.model.state_dict()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                trainer.stop_training = True

    def on_train_end(self, trainer):
        if self.restore_best_weights and self.best_state is not None:
            trainer.model.load_state_dict(self.best_state)
        trainer.history.best_epoch = self.best_epoch


class ModelCheckpoint(Callback):
    """Save the model with its optimizer to ``path`` every ``every`` epochs (and at the last one).

    Each save is atomic, so a run killed at any moment loses at most ``every`` epochs, and the
    file resumes it exactly: ``numpy_mlp.load(path).fit(X, y, epochs=...)`` or ``--resume``.
    """

    def __init__(self, path, every: int = 1):
        self.path, self.every = path, check_positive_int(every, "every")

    def on_epoch_end(self, trainer, logs):
        if logs["epoch"] % self.every == 0 or logs["epoch"] == trainer.last_epoch:
            trainer.model.save(self.path, include_optimizer=True)
