"""Exact resume: a model saved with its optimizer continues as if training never stopped."""

import numpy as np
import pytest

import numpy_mlp
from numpy_mlp import MLP
from numpy_mlp.datasets import make_moons
from numpy_mlp.optimizers import OPTIMIZER_NAMES, SGD, Adam, make_optimizer
from numpy_mlp.schedules import SCHEDULES, CosineDecay, make_schedule


def make_data(n=120, seed=0):
    return make_moons(n_samples=n, noise=0.1, seed=seed)


OPTIMIZERS_TO_RESUME = {
    "momentum": lambda: SGD(learning_rate=0.05, momentum=0.9),
    "adam-cosine": lambda: Adam(learning_rate=CosineDecay(0.01, decay_steps=40, warmup_steps=5)),
}


@pytest.mark.parametrize("name", OPTIMIZERS_TO_RESUME)
def test_training_k_saving_loading_and_training_k_more_equals_training_2k(name, tmp_path):
    X, y = make_data()
    epochs, options = 3, {"batch_size": 16, "verbose": 0}  # 8 steps an epoch: the cosine is mid-way

    straight = MLP(2, [8, 8, 1], seed=7, standardize=True)
    straight.fit(X, y, epochs=2 * epochs, optimizer=OPTIMIZERS_TO_RESUME[name](), **options)

    first = MLP(2, [8, 8, 1], seed=7, standardize=True)
    first.fit(X, y, epochs=epochs, optimizer=OPTIMIZERS_TO_RESUME[name](), **options)
    first.save(tmp_path / "model.npz", include_optimizer=True)
    loaded = numpy_mlp.load(tmp_path / "model.npz")
    assert loaded.optimizer.step_count == first.optimizer.step_count > 0
    history = loaded.fit(X, y, epochs=epochs, optimizer=loaded.optimizer, **options)

    assert history.epochs == [4, 5, 6]
    assert loaded.epochs_trained == straight.epochs_trained == 2 * epochs
    assert loaded.optimizer.step_count == straight.optimizer.step_count
    for key, value in straight.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[key], value, err_msg=key)
    for key, value in straight.optimizer.state_dict().items():
        np.testing.assert_array_equal(loaded.optimizer.state_dict()[key], value, err_msg=key)


def test_without_the_optimizer_state_the_run_differs(tmp_path):
    # The check above can fail: resuming Adam from fresh moments changes the weights.
    X, y = make_data()
    straight = MLP(2, [8, 1], seed=3)
    straight.fit(X, y, epochs=4, batch_size=16, optimizer=Adam(learning_rate=0.01), verbose=0)
    first = MLP(2, [8, 1], seed=3)
    first.fit(X, y, epochs=2, batch_size=16, optimizer=Adam(learning_rate=0.01), verbose=0)
    first.save(tmp_path / "model.npz")
    loaded = numpy_mlp.load(tmp_path / "model.npz")
    assert loaded.optimizer is None
    loaded.fit(X, y, epochs=2, batch_size=16, optimizer=Adam(learning_rate=0.01), verbose=0)
    assert not np.array_equal(loaded.state_dict()["layers.0.weights"], straight.state_dict()["layers.0.weights"])


@pytest.mark.parametrize("optimizer_name", OPTIMIZER_NAMES)
@pytest.mark.parametrize("schedule_name", [None, *SCHEDULES])
def test_every_optimizer_and_schedule_round_trips_through_a_model_file(optimizer_name, schedule_name, tmp_path):
    X, y = make_data(40)
    rate = 0.01 if schedule_name is None else make_schedule(schedule_name, 0.01, total_steps=20, warmup_steps=2)
    optimizer = make_optimizer(optimizer_name, rate, weight_decay=0.001, clip_norm=5.0)
    model = MLP(2, [4, 1], seed=0, dtype=np.float64)
    model.fit(X, y, epochs=2, batch_size=16, optimizer=optimizer, verbose=0)
    model.save(tmp_path / "model.npz", include_optimizer=True)

    restored = numpy_mlp.load(tmp_path / "model.npz").optimizer
    assert type(restored) is type(optimizer) and restored.config() == optimizer.config()
    assert restored.current_learning_rate() == optimizer.current_learning_rate()
    saved, loaded = optimizer.state_dict(), restored.state_dict()
    assert saved.keys() == loaded.keys()
    for key in saved:
        assert loaded[key].dtype == saved[key].dtype
        np.testing.assert_array_equal(loaded[key], saved[key], err_msg=key)
