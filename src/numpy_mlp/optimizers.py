"""Optimizers: a tiny base class and one short class per algorithm.

The model hands over its parameters as (value, gradient) pairs (``model.parameters()``);
the optimizer keeps those same arrays, creates its per-parameter state once
(``init_state``) and updates every value in place at each ``step()``.
A learning rate is a number or a schedule, a callable ``step -> rate``.
"""

from __future__ import annotations

import numpy as np

from .validation import check_positive_float


class Optimizer:
    """Base class: holds the parameters, their state and the step count."""

    name = ""

    def __init__(self, parameters=None, *, learning_rate=0.01):
        if not callable(learning_rate):
            learning_rate = check_positive_float(learning_rate, "learning_rate")
        self.learning_rate = learning_rate
        self.step_count = 0
        self.parameters: list[tuple[np.ndarray, np.ndarray]] = []
        self.state: list[dict[str, np.ndarray]] = []
        if parameters is not None:
            self.attach(parameters)

    def attach(self, parameters) -> None:
        """Take the (value, gradient) pairs to update, and create each one's state."""
        self.parameters = list(parameters)
        self.state = [self.init_state(value) for value, _ in self.parameters]

    def is_attached_to(self, parameters) -> bool:
        """Whether ``attach`` was called with these very arrays (not copies)."""
        pairs = list(parameters)
        return len(pairs) == len(self.parameters) and all(
            value is mine for (value, _), (mine, _) in zip(pairs, self.parameters))

    def init_state(self, value: np.ndarray) -> dict[str, np.ndarray]:
        """The per-parameter state, created once, in the parameter's dtype."""
        return {}

    def current_learning_rate(self) -> float:
        """The rate the next step uses: the number, or the schedule at this step."""
        if callable(self.learning_rate):
            return float(self.learning_rate(self.step_count))
        return self.learning_rate

    def step(self) -> None:
        """Update every parameter in place from its gradient."""
        learning_rate = self.current_learning_rate()
        self.step_count += 1
        for (value, gradient), state in zip(self.parameters, self.state):
            self.update(value, gradient, state, learning_rate)

    def update(self, value, gradient, state, learning_rate) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the state arrays as ``"<parameter index>.<name>"``, plus the step count."""
        arrays = {f"{index}.{key}": array.copy()
                  for index, state in enumerate(self.state) for key, array in state.items()}
        arrays["step_count"] = np.array(self.step_count, dtype=np.int64)
        return arrays

    def load_state_dict(self, arrays: dict[str, np.ndarray]) -> None:
        """Copy saved state into this optimizer's arrays, checking names, shapes and dtypes."""
        expected = {f"{index}.{key}" for index, state in enumerate(self.state) for key in state}
        missing, unexpected = expected - arrays.keys(), arrays.keys() - expected - {"step_count"}
        if missing or unexpected:
            raise ValueError(f"optimizer state does not match: missing {sorted(missing)}, "
                             f"unexpected {sorted(unexpected)}")
        for index, state in enumerate(self.state):
            for key, array in state.items():
                saved = arrays[f"{index}.{key}"]
                if saved.shape != array.shape or saved.dtype != array.dtype:
                    raise ValueError(f"optimizer state {index}.{key} has shape {saved.shape} and dtype "
                                     f"{saved.dtype}, expected {array.shape} and {array.dtype}")
                array[...] = saved
        self.step_count = int(arrays["step_count"])

    def config(self) -> dict:
        """The constructor's keyword arguments, as JSON-ready values (for model files)."""
        return {"learning_rate": self.learning_rate}

    @classmethod
    def from_config(cls, config: dict) -> "Optimizer":
        return cls(**config)

    def __repr__(self) -> str:
        options = ", ".join(f"{key}={value!r}" for key, value in self.config().items())
        return f"{type(self).__name__}({options})"


class SGD(Optimizer):
    """Plain gradient descent, the mission's rule.

    w <- w - learning_rate * g
    """

    name = "sgd"

    def update(self, value, gradient, state, learning_rate):
        value -= learning_rate * gradient


OPTIMIZERS = {cls.name: cls for cls in (SGD,)}
