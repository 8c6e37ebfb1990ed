"""Learning-rate schedules: values at chosen steps, warm-up, configuration, use in fit."""

import json
import math

import numpy as np
import pytest

from numpy_mlp import MLP
from numpy_mlp.optimizers import SGD, Adam
from numpy_mlp.schedules import (SCHEDULES, Constant, CosineDecay, ExponentialDecay, StepDecay,
                                 learning_rate_from_config, learning_rate_to_config, make_schedule)


def test_constant():
    schedule = Constant(0.1)
    assert [schedule(step) for step in (0, 1, 1000)] == [0.1, 0.1, 0.1]


def test_step_decay_divides_the_rate_every_step_size_steps():
    schedule = StepDecay(1.0, step_size=10, gamma=0.5)
    # floor(step / 10) halvings: steps 0-9 at 1, 10-19 at 0.5, 20-29 at 0.25
    assert [schedule(step) for step in (0, 9, 10, 19, 20, 35)] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.125]


def test_exponential_decay_is_smooth():
    schedule = ExponentialDecay(0.1, decay_rate=0.5, decay_steps=100)
    # 0.1 * 0.5 ** (step / 100): halved every 100 steps, by sqrt(0.5) after 50
    assert schedule(0) == 0.1
    assert schedule(50) == pytest.approx(0.1 * math.sqrt(0.5), rel=1e-15)
    assert schedule(100) == pytest.approx(0.05, rel=1e-15)
    assert schedule(300) == pytest.approx(0.0125, rel=1e-15)


def test_cosine_decay_follows_half_a_cosine_then_stays_at_the_final_rate():
    schedule = CosineDecay(0.1, decay_steps=100, final_learning_rate=0.02)
    # 0.02 + 0.08 * (1 + cos(pi * step / 100)) / 2
    assert schedule(0) == pytest.approx(0.1, rel=1e-15)
    assert schedule(25) == pytest.approx(0.02 + 0.08 * (1 + math.sqrt(0.5)) / 2, rel=1e-15)
    assert schedule(50) == pytest.approx(0.06, rel=1e-15)
    assert schedule(100) == pytest.approx(0.02, rel=1e-15)
    assert schedule(1000) == pytest.approx(0.02, rel=1e-15)


@pytest.mark.parametrize("schedule", [
    Constant(0.4, warmup_steps=4),
    StepDecay(0.4, step_size=3, gamma=0.5, warmup_steps=4),
    ExponentialDecay(0.4, decay_rate=0.5, decay_steps=3, warmup_steps=4),
    CosineDecay(0.4, decay_steps=6, warmup_steps=4),
], ids=lambda schedule: schedule.name)
def test_warmup_rises_linearly_then_the_decay_starts_from_the_base_rate(schedule):
    # lr * (step + 1) / warmup_steps: 0.1, 0.2, 0.3, 0.4 over the 4 warm-up steps
    assert [schedule(step) for step in range(4)] == pytest.approx([0.1, 0.2, 0.3, 0.4], rel=1e-15)
    assert schedule(4) == 0.4  # the decay's step 0
    without_warmup = type(schedule).from_config({**schedule.config(), "warmup_steps": 0})
    assert [schedule(step) for step in range(4, 12)] == [without_warmup(step) for step in range(8)]


def test_make_schedule_fits_the_defaults_to_the_run():
    cosine = make_schedule("cosine", 0.1, total_steps=110, warmup_steps=10)
    assert (cosine.decay_steps, cosine.final_learning_rate, cosine(9), cosine(10)) == (100, 0.0, 0.1, 0.1)
    assert cosine(110) == 0.0
    step = make_schedule("step", 1.0, total_steps=90)
    assert (step.step_size, step(29), step(30), step(89)) == (30, 1.0, 0.1, pytest.approx(0.01))
    exponential = make_schedule("exponential", 1.0, total_steps=50)
    assert exponential(50) == pytest.approx(0.01)
    assert make_schedule("constant", 0.3, total_steps=5)(4) == 0.3


def test_make_schedule_options_override_defaults_and_none_means_default():
    schedule = make_schedule("step", 1.0, total_steps=100, step_size=7, gamma=None)
    assert (schedule.step_size, schedule.gamma) == (7, 0.1)
    with pytest.raises(ValueError, match="no option decay_rate"):
        make_schedule("cosine", 0.1, total_steps=10, decay_rate=0.5)
    with pytest.raises(ValueError, match="unknown learning-rate schedule 'linear'"):
        make_schedule("linear", 0.1, total_steps=10)
    with pytest.raises(ValueError, match="warmup_steps .* fewer than total_steps"):
        make_schedule("cosine", 0.1, total_steps=10, warmup_steps=10)


@pytest.mark.parametrize("make, error, message", [
    (lambda: Constant(0.0), ValueError, "learning_rate must be a positive"),
    (lambda: Constant(0.1, warmup_steps=-1), ValueError, "warmup_steps must be an integer >= 0"),
    (lambda: Constant(0.1, warmup_steps=1.5), TypeError, "warmup_steps must be an integer"),
    (lambda: StepDecay(0.1, step_size=0), ValueError, "step_size must be a positive integer"),
    (lambda: StepDecay(0.1, step_size=5, gamma=1.5), ValueError, r"gamma must be in \(0, 1\]"),
    (lambda: StepDecay(0.1, step_size=5, gamma=0.0), ValueError, "gamma must be a positive"),
    (lambda: ExponentialDecay(0.1, decay_rate=-0.5, decay_steps=5), ValueError, "decay_rate must be"),
    (lambda: ExponentialDecay(0.1, decay_rate=0.5, decay_steps=0), ValueError, "decay_steps must be"),
    (lambda: CosineDecay(0.1, decay_steps=10, final_learning_rate=0.2), ValueError, "must not exceed"),
    (lambda: CosineDecay(0.1, decay_steps=10, final_learning_rate=-0.1), ValueError, ">= 0"),
    (lambda: make_schedule("cosine", 0.1, total_steps=0), ValueError, "total_steps must be"),
])
def test_invalid_arguments_raise_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("name", SCHEDULES)
def test_config_round_trips_through_json(name):
    schedule = make_schedule(name, 0.5, total_steps=40, warmup_steps=5)
    config = json.loads(json.dumps(learning_rate_to_config(schedule)))
    rebuilt = learning_rate_from_config(config)
    assert type(rebuilt) is type(schedule) and rebuilt.config() == schedule.config()
    assert [rebuilt(step) for step in range(45)] == [schedule(step) for step in range(45)]
    assert learning_rate_from_config(learning_rate_to_config(0.01)) == 0.01


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_start_step_shifts_the_whole_schedule_and_is_saved_only_when_set(name):
    plain = make_schedule(name, 0.1, total_steps=30, warmup_steps=3)
    shifted = make_schedule(name, 0.1, total_steps=30, warmup_steps=3, start_step=100)
    assert [shifted(100 + step) for step in range(40)] == [plain(step) for step in range(40)]
    assert shifted(0) == shifted(99) == plain(0)  # before its start, a schedule is at its start
    assert "start_step" not in plain.config() and shifted.config()["start_step"] == 100
    restored = learning_rate_from_config(json.loads(json.dumps(learning_rate_to_config(shifted))))
    assert [restored(step) for step in range(90, 140)] == [shifted(step) for step in range(90, 140)]


def test_the_optimizer_steps_with_the_scheduled_rate():
    schedule = StepDecay(1.0, step_size=2, gamma=0.5)
    w, g = np.zeros((1, 1)), np.ones((1, 1))
    optimizer = SGD([(w, g)], learning_rate=schedule)
    moves = []
    for _ in range(5):
        assert optimizer.current_learning_rate() == schedule(optimizer.step_count)
        before = float(w[0, 0])
        optimizer.step()
        moves.append(before - float(w[0, 0]))
    assert moves == [1.0, 1.0, 0.5, 0.5, 0.25]


def test_history_logs_the_learning_rate_at_the_start_of_each_epoch():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    schedule = CosineDecay(0.01, decay_steps=20, warmup_steps=3)
    model = MLP(3, [4, 1], seed=0)
    history = model.fit(X, y, epochs=4, batch_size=8, optimizer=Adam(learning_rate=schedule), verbose=0)
    # 5 steps an epoch: epoch e starts at step 5 (e - 1)
    assert history["learning_rate"] == [schedule(0), schedule(5), schedule(10), schedule(15)]
    assert all(type(rate) is float for rate in history["learning_rate"])
    history = model.fit(X, y, epochs=2, batch_size=8, optimizer=model.optimizer, verbose=0)
    assert history["learning_rate"] == [schedule(20), schedule(25)]
    assert history.epochs == [5, 6]
