"""Callbacks: the hooks fit calls, early stopping's patience and restore, the progress line."""

import io

import numpy as np
import pytest
from helpers import make_xor

from numpy_mlp import MLP, Callback, EarlyStopping, History, ProgressBar
from numpy_mlp.callbacks import format_logs


class FakeTrainer:
    """Just what the callbacks read: a model, the history, and the epoch bookkeeping."""

    def __init__(self, has_validation=True):
        self.model = MLP(2, [3, 1], seed=0)
        self.history = History()
        self.has_validation = has_validation
        self.stop_training = False
        self.epoch, self.last_epoch = 0, 10
        self.samples_seen, self.n_samples = 0, 100
        self.running_loss = self.running_accuracy = 0.0


def run_epochs(callback, trainer, values, key="val_loss"):
    """Feed one metric value per epoch, moving the weights each epoch; returns epochs run."""
    callback.on_train_begin(trainer)
    for epoch, value in enumerate(values, 1):
        trainer.epoch = epoch - 1
        trainer.model.dense_layers[0].bias[:] = epoch  # the weights "of" this epoch
        callback.on_epoch_end(trainer, {"epoch": epoch, key: value})
        if trainer.stop_training:
            break
    callback.on_train_end(trainer)
    return epoch


def test_early_stopping_stops_after_patience_epochs_without_improvement():
    trainer = FakeTrainer()
    stopper = EarlyStopping(patience=2)
    epochs = run_epochs(stopper, trainer, [1.0, 0.5, 0.6, 0.7, 0.1, 0.1])
    assert epochs == 4  # epochs 3 and 4 did not improve on epoch 2
    assert trainer.history.best_epoch == 2
    assert np.all(trainer.model.dense_layers[0].bias == 2)  # epoch 2's weights are back


def test_early_stopping_patience_resets_on_improvement():
    trainer = FakeTrainer()
    epochs = run_epochs(EarlyStopping(patience=2), trainer, [1.0, 1.1, 0.9, 1.0, 0.8, 0.9, 0.95, 0.7])
    assert epochs == 7 and trainer.history.best_epoch == 5


def test_early_stopping_with_patience_0_stops_at_the_first_worse_epoch():
    assert run_epochs(EarlyStopping(patience=0), FakeTrainer(), [1.0, 0.9, 0.95, 0.5]) == 3


def test_early_stopping_min_delta_counts_small_gains_as_no_improvement():
    trainer = FakeTrainer()
    epochs = run_epochs(EarlyStopping(patience=1, min_delta=0.05), trainer, [1.0, 0.98, 0.5])
    assert epochs == 2 and trainer.history.best_epoch == 1


def test_early_stopping_maximises_accuracies():
    trainer = FakeTrainer()
    stopper = EarlyStopping(patience=1, monitor="val_accuracy")
    epochs = run_epochs(stopper, trainer, [0.5, 0.8, 0.7, 0.9], key="val_accuracy")
    assert epochs == 3 and trainer.history.best_epoch == 2


def test_early_stopping_auto_monitors_the_training_loss_without_validation():
    trainer = FakeTrainer(has_validation=False)
    assert run_epochs(EarlyStopping(patience=1), trainer, [1.0, 2.0, 0.5], key="loss") == 2


def test_early_stopping_without_restore_keeps_the_last_weights():
    trainer = FakeTrainer()
    run_epochs(EarlyStopping(patience=1, restore_best_weights=False), trainer, [1.0, 2.0, 3.0])
    assert np.all(trainer.model.dense_layers[0].bias == 2)
    assert trainer.history.best_epoch == 1


def test_early_stopping_names_a_missing_metric():
    with pytest.raises(ValueError, match="monitors 'val_loss', but the epoch logs hold \\['loss'\\]"):
        run_epochs(EarlyStopping(monitor="val_loss"), FakeTrainer(), [1.0], key="loss")


@pytest.mark.parametrize("options, error, message", [
    ({"patience": -1}, ValueError, "patience must be an integer >= 0"),
    ({"patience": 1.5}, TypeError, "patience must be an integer"),   # a wrong type is a TypeError,
    ({"patience": True}, TypeError, "patience must be an integer"),  # as for every integer argument
    ({"min_delta": -0.1}, ValueError, "min_delta must be a finite number >= 0"),
])
def test_early_stopping_rejects_bad_options(options, error, message):
    with pytest.raises(error, match=message):
        EarlyStopping(**options)


def test_fit_calls_every_hook_in_order():
    calls = []

    class Recorder(Callback):
        def on_train_begin(self, trainer):
            calls.append("begin")

        def on_batch_end(self, trainer):
            calls.append(f"batch {trainer.samples_seen}")

        def on_epoch_end(self, trainer, logs):
            calls.append(f"epoch {logs['epoch']}")

        def on_train_end(self, trainer):
            calls.append("end")

    X, y = make_xor()
    MLP(2, [4, 1], seed=0).fit(X, y, epochs=2, batch_size=3, callbacks=[Recorder()], verbose=0)
    assert calls == ["begin", "batch 3", "batch 4", "epoch 1", "batch 3", "batch 4", "epoch 2", "end"]


def test_a_callback_can_stop_training():
    class StopAtThree(Callback):
        def on_epoch_end(self, trainer, logs):
            trainer.stop_training = logs["epoch"] == 3

    X, y = make_xor()
    history = MLP(2, [4, 1], seed=0).fit(X, y, epochs=10, batch_size=4, callbacks=[StopAtThree()], verbose=0)
    assert history.epochs == [1, 2, 3]


def test_progress_bar_writes_one_line_per_epoch_to_its_stream():
    stream = io.StringIO()
    X, y = make_xor()
    MLP(2, [4, 1], seed=0).fit(X, y, epochs=2, batch_size=2, callbacks=[ProgressBar(stream)], verbose=0)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in stream.getvalue()  # no bar redrawing off a terminal
    for epoch, line in enumerate(lines, 1):
        assert line.startswith(f"Epoch {epoch}/2 ")
        assert " loss " in line and " accuracy " in line and "samples/s" in line


def test_progress_bar_redraws_a_bar_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    X, y = make_xor()
    MLP(2, [4, 1], seed=0).fit(X, y, epochs=1, batch_size=2, callbacks=[ProgressBar(stream)], verbose=0)
    text = stream.getvalue()
    assert text.startswith("\rEpoch 1/1 [")
    assert "samples/s" in text and text.endswith("\n") and text.count("\n") == 1


def test_format_logs():
    text = format_logs({"epoch": 3, "loss": 0.123456, "accuracy": 1.0, "learning_rate": 0.001})
    assert text == "loss 0.1235 - accuracy 1.0000 - learning_rate 0.001"


def test_model_checkpoint_saves_every_n_epochs_and_the_last(tmp_path, monkeypatch):
    from helpers import make_moons

    from numpy_mlp import MLP, ModelCheckpoint, load
    X, y = make_moons(60, seed=0)
    model = MLP(2, [4, 1], seed=0)
    saved = []
    save = MLP.save
    monkeypatch.setattr(MLP, "save", lambda self, path, **options: saved.append(self.epochs_trained)
                        or save(self, path, **options))
    model.fit(X, y, epochs=7, callbacks=[ModelCheckpoint(tmp_path / "model.npz", every=3)], verbose=0)
    assert saved == [3, 6, 7]
    loaded = load(tmp_path / "model.npz")
    assert (loaded.epochs_trained, loaded.planned_epochs, loaded.batch_size) == (7, 7, 32)
    assert loaded.optimizer is not None and loaded.optimizer.step_count == model.optimizer.step_count
