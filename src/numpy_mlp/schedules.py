"""Learning-rate schedules: small callables ``schedule(step) -> rate`` that any optimizer accepts.

``step`` is the optimizer's step count before the update (0 at the first step), so the
rate changes per mini-batch, not per epoch. Every schedule may start with a linear
warm-up of ``warmup_steps`` steps (the rate rises from learning_rate / warmup_steps to
learning_rate); its decay then starts at 0 as if the run began there. A schedule given to
an optimizer that has already taken steps (resumed training) counts from ``start_step``.

    Constant          rate = lr
    StepDecay         rate = lr * gamma ** floor(step / step_size)
    ExponentialDecay  rate = lr * decay_rate ** (step / decay_steps)
    CosineDecay       rate = final + (lr - final) * (1 + cos(pi * min(step, decay_steps) / decay_steps)) / 2
"""

from __future__ import annotations

import math

from .validation import (check_decay_factor, check_non_negative_float, check_non_negative_int,
                         check_positive_float, check_positive_int)


class Schedule:
    """Base class: the base ``learning_rate``, the optional warm-up, and the decay of subclasses."""

    name = ""
    hyperparameters: tuple[str, ...] = ()  # the subclass's constructor arguments, for config()

    def __init__(self, learning_rate: float, warmup_steps: int = 0, start_step: int = 0):
        self.learning_rate = check_positive_float(learning_rate, "learning_rate")
        self.warmup_steps = check_non_negative_int(warmup_steps, "warmup_steps")
        self.start_step = check_non_negative_int(start_step, "start_step")

    def __call__(self, step: int) -> float:
        """The rate of the optimizer's step ``step`` (0-based), as a Python float."""
        step = max(step - self.start_step, 0)
        if step < self.warmup_steps:
            # Linear warm-up: lr / warmup_steps at step 0 up to lr at step warmup_steps - 1.
            return self.learning_rate * (step + 1) / self.warmup_steps
        return self.decay(step - self.warmup_steps)

    def decay(self, step: int) -> float:
        """The rate ``step`` steps after the warm-up."""
        raise NotImplementedError

    def config(self) -> dict:
        """The constructor's keyword arguments, JSON-ready (start_step only when not 0)."""
        names = ["learning_rate", *self.hyperparameters, "warmup_steps"]
        if self.start_step:  # left out when 0, so files of new runs read as before
            names.append("start_step")
        return {name: getattr(self, name) for name in names}

    @classmethod
    def from_config(cls, config: dict) -> "Schedule":
        return cls(**config)

    def __repr__(self) -> str:
        options = ", ".join(f"{key}={value!r}" for key, value in self.config().items())
        return f"{type(self).__name__}({options})"


class Constant(Schedule):
    """rate = learning_rate (after the optional warm-up)."""

    name = "constant"

    def decay(self, step):
        return self.learning_rate


class StepDecay(Schedule):
    """rate = learning_rate * gamma ** floor(step / step_size): divided by 1/gamma every step_size steps."""

    name = "step"
    hyperparameters = ("step_size", "gamma")

    def __init__(self, learning_rate: float, step_size: int, gamma: float = 0.1, warmup_steps: int = 0,
                 start_step: int = 0):
        super().__init__(learning_rate, warmup_steps, start_step)
        self.step_size = check_positive_int(step_size, "step_size")
        self.gamma = check_decay_factor(gamma, "gamma")

    def decay(self, step):
        return self.learning_rate * self.gamma ** (step // self.step_size)


class ExponentialDecay(Schedule):
    """rate = learning_rate * decay_rate ** (step / decay_steps): times decay_rate every decay_steps, smoothly."""

    name = "exponential"
    hyperparameters = ("decay_rate", "decay_steps")

    def __init__(self, learning_rate: float, decay_rate: float, decay_steps: int, warmup_steps: int = 0,
                 start_step: int = 0):
        super().__init__(learning_rate, warmup_steps, start_step)
        self.decay_rate = check_decay_factor(decay_rate, "decay_rate")
        self.decay_steps = check_positive_int(decay_steps, "decay_steps")

    def decay(self, step):
        return self.learning_rate * self.decay_rate ** (step / self.decay_steps)


class CosineDecay(Schedule):
    """Half a cosine from learning_rate down to final_learning_rate over decay_steps, then flat.

    rate = final + (learning_rate - final) * (1 + cos(pi * min(step, decay_steps) / decay_steps)) / 2
    (Loshchilov and Hutter's SGDR, without restarts.)
    """

    name = "cosine"
    hyperparameters = ("decay_steps", "final_learning_rate")

    def __init__(self, learning_rate: float, decay_steps: int, final_learning_rate: float = 0.0,
                 warmup_steps: int = 0, start_step: int = 0):
        super().__init__(learning_rate, warmup_steps, start_step)
        self.decay_steps = check_positive_int(decay_steps, "decay_steps")
        self.final_learning_rate = check_non_negative_float(final_learning_rate, "final_learning_rate")
        if self.final_learning_rate > self.learning_rate:
            raise ValueError(f"final_learning_rate ({final_learning_rate}) must not exceed "
                             f"learning_rate ({learning_rate})")

    def decay(self, step):
        progress = min(step, self.decay_steps) / self.decay_steps
        cosine = (1 + math.cos(math.pi * progress)) / 2
        return self.final_learning_rate + (self.learning_rate - self.final_learning_rate) * cosine


SCHEDULES = {cls.name: cls for cls in (Constant, StepDecay, ExponentialDecay, CosineDecay)}


def make_schedule(name: str, learning_rate: float, total_steps: int, warmup_steps: int = 0,
                  start_step: int = 0, **options) -> Schedule:
    """A schedule by name (constant, step, exponential, cosine) for a run of ``total_steps`` steps
    (from the optimizer's step ``start_step``: 0 for a new run, its step count for a resumed one).

    Defaults fitted to the run (``options`` override them; None means the default):
    step divides the rate by 10 every third of the run after the warm-up; exponential
    decays it 100-fold over that span; cosine decays it to final_learning_rate=0 at the end.
    """
    if name not in SCHEDULES:
        raise ValueError(f"unknown learning-rate schedule {name!r}; choose one of {', '.join(SCHEDULES)}")
    total_steps = check_positive_int(total_steps, "total_steps")
    warmup_steps = check_non_negative_int(warmup_steps, "warmup_steps")
    if warmup_steps >= total_steps:
        raise ValueError(f"warmup_steps ({warmup_steps}) must be fewer than total_steps ({total_steps})")
    decay_steps = total_steps - warmup_steps
    defaults = {
        "constant": {},
        "step": {"step_size": max(1, decay_steps // 3), "gamma": 0.1},
        "exponential": {"decay_rate": 0.01, "decay_steps": decay_steps},
        "cosine": {"decay_steps": decay_steps, "final_learning_rate": 0.0},
    }[name]
    options = {key: value for key, value in options.items() if value is not None}
    unknown = options.keys() - defaults.keys()
    if unknown:
        raise ValueError(f"the {name} schedule has no option {', '.join(sorted(unknown))}; "
                         f"its options: {', '.join(defaults) or 'none'}")
    return SCHEDULES[name](learning_rate, warmup_steps=warmup_steps, start_step=start_step,
                           **{**defaults, **options})


def learning_rate_to_config(learning_rate) -> float | dict:
    """A learning rate as JSON: the number, or ``{"schedule": name, "config": {...}}``."""
    if isinstance(learning_rate, Schedule):
        return {"schedule": learning_rate.name, "config": learning_rate.config()}
    if callable(learning_rate):
        raise TypeError(f"the learning rate {learning_rate!r} is a callable that cannot be saved; "
                        "use a schedule from numpy_mlp.schedules")
    return learning_rate


def learning_rate_from_config(value) -> float | Schedule:
    """The inverse of ``learning_rate_to_config``."""
    if isinstance(value, dict):
        name = value.get("schedule")
        if name not in SCHEDULES:
            raise ValueError(f"unknown learning-rate schedule {name!r}; choose one of {', '.join(SCHEDULES)}")
        return SCHEDULES[name].from_config(value["config"])
    return value
