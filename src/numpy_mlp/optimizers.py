"""Optimizers: a tiny base class and one short class per algorithm.

The model hands over its parameters as (value, gradient) pairs (``model.parameters()``);
the optimizer keeps those same arrays, creates its per-parameter state once
(``init_state``, named as in the papers: ``v``, ``m``...) and updates every value in
place at each ``step()``. A learning rate is a number or a schedule, a callable
``step -> rate`` (see ``schedules``).

Speed without losing the maths: each update is written with ``out=`` into the
parameter, its state or one scratch array per parameter, so a step allocates nothing
large and a float32 model stays float32 (scalars are Python floats, which never upcast).
The textbook equation sits in a comment over each in-place group. Given a model's
``FlatParameters`` (parameters.py) instead of a list of pairs, an optimizer updates them as one
flat array, one NumPy call per pass: the same numbers, bit for bit, in fewer calls.

Options common to every optimizer:
  weight_decay  L2 regularisation, g <- g + weight_decay * w, applied to the weight
                matrices only (parameters with 2 or more dimensions), not to the biases,
                as in scikit-learn's MLP and the textbooks: decaying biases only underfits.
                (PyTorch decays every parameter.) AdamW decouples it instead: see AdamW.
  clip_norm     rescale all gradients together when their global L2 norm exceeds it
                (Pascanu et al., 2013), before weight decay and the update.
The gradients are modified in place by both (backward overwrites them at the next step).
"""

from __future__ import annotations

import math

import numpy as np

from .parameters import FlatParameters
from .schedules import learning_rate_from_config, learning_rate_to_config
from .validation import check_fraction, check_non_negative_float, check_positive_float


def clip_by_global_norm(gradients, clip_norm: float) -> float:
    """Scale every gradient in place by clip_norm / norm when norm > clip_norm; return norm.

    norm = sqrt(sum over all gradients of sum(g ** 2)): clipping them together keeps the
    direction of the whole update. A non-finite norm is left alone (the loss shows it).
    """
    norm = math.sqrt(sum(float(np.dot(flat, flat)) for flat in (g.reshape(-1) for g in gradients)))
    if math.isfinite(norm) and norm > clip_norm:
        scale = clip_norm / norm
        for gradient in gradients:
            gradient *= scale
    return norm


#: flushing sets to 0 the state values below this many times the dtype's smallest normal number
FLUSH_MARGIN = 2.0 ** 24
#: the most steps between two flushes of small state (see Optimizer.flush_interval)
MAX_FLUSH_INTERVAL = 100


class Optimizer:
    """Base class: holds the parameters, their state and the step count.

    Every optimizer takes ``learning_rate`` (a number or a schedule), ``weight_decay`` and
    ``clip_norm`` (see the module docstring); subclasses add their own hyperparameters, and
    ``decay_factors`` (the factors their state decays by at each step).
    """

    name = ""
    hyperparameters: tuple[str, ...] = ()  # the subclass's constructor arguments, for config()

    def __init__(self, parameters=None, *, learning_rate=0.01, weight_decay: float = 0.0,
                 clip_norm: float | None = None):
        if not callable(learning_rate):
            learning_rate = check_positive_float(learning_rate, "learning_rate")
        self.learning_rate = learning_rate
        self.weight_decay = check_non_negative_float(weight_decay, "weight_decay")
        self.clip_norm = None if clip_norm is None else check_positive_float(clip_norm, "clip_norm")
        self.step_count = 0
        self.parameters: FlatParameters | list[tuple[np.ndarray, np.ndarray]] = []
        self._state: list[dict[str, np.ndarray]] = []  # one dict per update group
        self._derive_views()
        if parameters is not None:
            self.attach(parameters)

    def attach(self, parameters) -> None:
        """Take the parameters to update and create their state (named as in the paper).

        ``parameters`` is a list of (value, gradient) pairs, updated one by one, or a model's
        ``FlatParameters`` (what ``MLP.parameters()`` returns), updated as one flat array.
        """
        self.parameters = parameters if isinstance(parameters, FlatParameters) else list(parameters)
        self._state = [self.init_state(value) for value, _ in self._groups()]
        self._derive_views()

    def _groups(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The (value, gradient) arrays that each update() call takes: the flat pair, or each pair."""
        if isinstance(self.parameters, FlatParameters):
            return [(self.parameters.values, self.parameters.gradients)]
        return self.parameters

    def _derive_views(self) -> None:
        """Scratch space and the per-parameter views of state and scratch (made again after a copy)."""
        self._scratch = [np.empty_like(value) for value, _ in self._groups()]
        if isinstance(self.parameters, FlatParameters):
            split = self.parameters.split
            per_key = {key: split(array) for key, array in self._state[0].items()}
            self.state = [{key: views[index] for key, views in per_key.items()}
                          for index in range(len(self.parameters))]
            scratch = split(self._scratch[0])
        else:
            self.state, scratch = self._state, self._scratch
        # Weight decay applies to the weight matrices, not to the biases (module docstring).
        self._decayed = [(value, gradient, room) for (value, gradient), room in zip(self.parameters, scratch)
                         if value.ndim > 1]

    def __getstate__(self) -> dict:
        # Views and scratch space are rebuilt by __setstate__: a copy keeps only the flat arrays,
        # and so still updates the very arrays that the copied model's layers look at.
        state = self.__dict__.copy()
        for derived in ("_scratch", "state", "_decayed"):
            del state[derived]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._derive_views()

    def init_state(self, value: np.ndarray) -> dict[str, np.ndarray]:
        """The state of one update group, created once, in the parameters' dtype."""
        return {}

    def decay_factors(self) -> tuple[float, ...]:
        """The factors by which the state shrinks at each step when the gradient is 0."""
        return ()

    def current_learning_rate(self) -> float:
        """The rate the next step uses: the number, or the schedule at this step."""
        if callable(self.learning_rate):
            return float(self.learning_rate(self.step_count))
        return self.learning_rate

    def step(self) -> None:
        """Update every parameter in place from its gradient."""
        if not self.parameters:
            raise RuntimeError("the optimizer has no parameters: pass model.parameters() to it "
                               "or call attach(model.parameters()) first")
        learning_rate = self.current_learning_rate()
        self.step_count += 1
        if self.clip_norm is not None:
            clip_by_global_norm([gradient for _, gradient in self.parameters], self.clip_norm)
        if self.weight_decay:
            for value, gradient, scratch in self._decayed:
                self.decay_weights(value, gradient, scratch, learning_rate)
        for (value, gradient), state, scratch in zip(self._groups(), self._state, self._scratch):
            self.update(value, gradient, state, scratch, learning_rate)
        if self.step_count % self.flush_interval() == 0:
            self.flush_small_state()

    def flush_interval(self) -> int:
        """Steps between two flushes of small state: at most MAX_FLUSH_INTERVAL, and no more than a
        value needs to decay from FLUSH_MARGIN times the smallest normal number to below it.

        Decaying by d a step, that takes log(FLUSH_MARGIN) / -log(d) steps (24 ln 2 / -ln d:
        157 at d = 0.9, 24 at d = 0.5); every step when d is so small that one step does it.
        """
        steps = [math.log(FLUSH_MARGIN) / -math.log(d) for d in self.decay_factors() if 0 < d < 1]
        return max(1, min([MAX_FLUSH_INTERVAL, *map(math.floor, steps)]))

    def flush_small_state(self) -> None:
        """Set state values below FLUSH_MARGIN times the dtype's smallest normal number to 0.

        A weight whose gradient stays 0 (a dead ReLU's) sees its state decay at every step
        towards subnormal numbers, on which CPUs compute tens of times slower. Flushed every
        ``flush_interval()`` steps, a value at or above the margin after one flush is still
        normal when the updates before the next flush read it, and that flush removes it if it
        fell below the margin: no update reads state that decayed into the subnormal range, at
        any decay factor. (A gradient itself below about 1e-31 in float32 can still put a tiny
        value into the state between flushes.) Such values are far too small to move a weight.
        """
        for state, scratch in zip(self._state, self._scratch):
            for array in state.values():
                np.abs(array, out=scratch)
                np.copyto(array, 0, where=scratch < np.finfo(array.dtype).tiny * FLUSH_MARGIN)

    def decay_weights(self, value, gradient, scratch, learning_rate) -> None:
        """L2 weight decay, the gradient of weight_decay / 2 * ||w||^2 added to the loss's."""
        # g <- g + weight_decay * w
        np.multiply(value, self.weight_decay, out=scratch)
        gradient += scratch

    def update(self, value, gradient, state, scratch, learning_rate) -> None:
        """The algorithm's rule: update ``value`` and ``state`` in place (``scratch`` is free)."""
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
        expected.add("step_count")
        missing, unexpected = expected - arrays.keys(), arrays.keys() - expected
        if missing or unexpected:
            raise ValueError(f"optimizer state does not match: missing {sorted(missing)}, "
                             f"unexpected {sorted(unexpected)}")
        for index, state in enumerate(self.state):
            for key, array in state.items():
                saved = np.asarray(arrays[f"{index}.{key}"])
                if saved.shape != array.shape or saved.dtype != array.dtype:
                    raise ValueError(f"optimizer state {index}.{key} has shape {saved.shape} and dtype "
                                     f"{saved.dtype}, expected {array.shape} and {array.dtype}")
                array[...] = saved
        self.step_count = int(arrays["step_count"])

    def config(self) -> dict:
        """The constructor's keyword arguments, as JSON-ready values (for model files)."""
        config = {name: getattr(self, name) for name in ("weight_decay", "clip_norm", *self.hyperparameters)}
        return {"learning_rate": learning_rate_to_config(self.learning_rate), **config}

    @classmethod
    def from_config(cls, config: dict) -> "Optimizer":
        """The optimizer ``config()`` describes (without parameters: ``attach`` them)."""
        return cls(**{**config, "learning_rate": learning_rate_from_config(config["learning_rate"])})

    def __repr__(self) -> str:
        names = ("learning_rate", *self.hyperparameters, "weight_decay", "clip_norm")
        options = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__name__}({options})"


class SGD(Optimizer):
    """Gradient descent, the mission's rule, with optional (Nesterov) momentum.

    plain:     w <- w - lr * g
    momentum:  v <- momentum * v + g;  w <- w - lr * v
    Nesterov:  v <- momentum * v + g;  w <- w - lr * (g + momentum * v)
    (PyTorch's formulation: v is a running sum of gradients, not of steps, so a
    schedule's change of lr takes effect at once.)
    """

    name = "sgd"
    hyperparameters = ("momentum", "nesterov")

    def __init__(self, parameters=None, *, learning_rate=0.01, momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0, clip_norm: float | None = None):
        self.momentum = check_fraction(momentum, "momentum")
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs a momentum in (0, 1), such as momentum=0.9")
        self.nesterov = bool(nesterov)
        super().__init__(parameters, learning_rate=learning_rate, weight_decay=weight_decay,
                         clip_norm=clip_norm)

    def init_state(self, value):
        return {"v": np.zeros_like(value)} if self.momentum else {}

    def decay_factors(self):
        return (self.momentum,)

    def update(self, value, gradient, state, scratch, learning_rate):
        if not self.momentum:
            # w <- w - lr * g
            np.multiply(gradient, learning_rate, out=scratch)
            value -= scratch
            return
        v = state["v"]
        # v <- momentum * v + g
        v *= self.momentum
        v += gradient
        if self.nesterov:
            # w <- w - lr * (g + momentum * v)
            np.multiply(v, self.momentum, out=scratch)
            scratch += gradient
            scratch *= learning_rate
        else:
            # w <- w - lr * v
            np.multiply(v, learning_rate, out=scratch)
        value -= scratch


class RMSProp(Optimizer):
    """RMSProp (Hinton, Coursera lecture 6e, 2012): each weight's step divided by its recent gradient size.

    v <- rho * v + (1 - rho) * g^2
    w <- w - lr * g / (sqrt(v) + eps)
    """

    name = "rmsprop"
    hyperparameters = ("rho", "eps")

    def __init__(self, parameters=None, *, learning_rate=0.001, rho: float = 0.9, eps: float = 1e-8,
                 weight_decay: float = 0.0, clip_norm: float | None = None):
        self.rho = check_fraction(rho, "rho")
        self.eps = check_positive_float(eps, "eps")
        super().__init__(parameters, learning_rate=learning_rate, weight_decay=weight_decay,
                         clip_norm=clip_norm)

    def init_state(self, value):
        return {"v": np.zeros_like(value)}

    def decay_factors(self):
        return (self.rho,)

    def update(self, value, gradient, state, scratch, learning_rate):
        v = state["v"]
        # v <- rho * v + (1 - rho) * g^2
        v *= self.rho
        np.square(gradient, out=scratch)
        scratch *= 1 - self.rho
        v += scratch
        # w <- w - lr * g / (sqrt(v) + eps)
        np.sqrt(v, out=scratch)
        scratch += self.eps
        np.divide(gradient, scratch, out=scratch)
        scratch *= learning_rate
        value -= scratch


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015, Algorithm 1): momentum and RMSProp, with bias correction.

    m <- beta1 * m + (1 - beta1) * g          (first moment, the mean of g)
    v <- beta2 * v + (1 - beta2) * g^2        (second moment, the mean of g^2)
    m_hat = m / (1 - beta1^t);  v_hat = v / (1 - beta2^t)   (unbiased: m and v start at 0)
    w <- w - lr * m_hat / (sqrt(v_hat) + eps)
    t is the step number, from 1. The first step moves each weight by lr * sign(g) (up to eps).
    """

    name = "adam"
    hyperparameters = ("beta1", "beta2", "eps")

    def __init__(self, parameters=None, *, learning_rate=0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0, clip_norm: float | None = None):
        self.beta1 = check_fraction(beta1, "beta1")
        self.beta2 = check_fraction(beta2, "beta2")
        self.eps = check_positive_float(eps, "eps")
        super().__init__(parameters, learning_rate=learning_rate, weight_decay=weight_decay,
                         clip_norm=clip_norm)

    def init_state(self, value):
        return {"m": np.zeros_like(value), "v": np.zeros_like(value)}

    def decay_factors(self):
        return (self.beta1, self.beta2)

    def update(self, value, gradient, state, scratch, learning_rate):
        m, v, t = state["m"], state["v"], self.step_count
        # m <- beta1 * m + (1 - beta1) * g
        m *= self.beta1
        np.multiply(gradient, 1 - self.beta1, out=scratch)
        m += scratch
        # v <- beta2 * v + (1 - beta2) * g^2
        v *= self.beta2
        np.square(gradient, out=scratch)
        scratch *= 1 - self.beta2
        v += scratch
        # w <- w - lr * m_hat / (sqrt(v_hat) + eps), reordered as the paper's section 2 suggests:
        #    = w - step_size * m / (sqrt(v) + eps_hat),
        #      step_size = lr * sqrt(1 - beta2^t) / (1 - beta1^t),  eps_hat = eps * sqrt(1 - beta2^t)
        # so the bias corrections cost two scalars instead of two passes over the arrays.
        correction2 = math.sqrt(1 - self.beta2 ** t)
        np.sqrt(v, out=scratch)
        scratch += self.eps * correction2
        np.divide(m, scratch, out=scratch)
        scratch *= learning_rate * correction2 / (1 - self.beta1 ** t)
        value -= scratch


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019).

    w <- w - lr * weight_decay * w, then Adam's step with the undecayed gradient.
    L2 decay added to g would be divided by sqrt(v_hat) like the rest of the gradient, so
    weights with large gradients would barely decay; decoupled, every weight shrinks at
    the same rate. The decay is multiplied by the learning rate, as in PyTorch, so a
    schedule scales it too (the paper's eta_t); the weight matrices decay, not the biases.
    """

    name = "adamw"

    def __init__(self, parameters=None, *, learning_rate=0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.01, clip_norm: float | None = None):
        super().__init__(parameters, learning_rate=learning_rate, beta1=beta1, beta2=beta2, eps=eps,
                         weight_decay=weight_decay, clip_norm=clip_norm)

    def decay_weights(self, value, gradient, scratch, learning_rate):
        # w <- w - lr * weight_decay * w
        value *= 1 - learning_rate * self.weight_decay


OPTIMIZERS = {cls.name: cls for cls in (SGD, RMSProp, Adam, AdamW)}

#: the names make_optimizer and the CLI know: each an algorithm, and the options that make it so
OPTIMIZER_NAMES = {
    "sgd": (SGD, {"momentum": 0.0}),
    "momentum": (SGD, {"nesterov": False}),
    "nesterov": (SGD, {"nesterov": True}),
    "rmsprop": (RMSProp, {}),
    "adam": (Adam, {}),
    "adamw": (AdamW, {}),
}


def make_optimizer(name: str, learning_rate, weight_decay: float | None = None, clip_norm: float | None = None,
                   momentum: float = 0.9, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                   rho: float = 0.9) -> Optimizer:
    """An optimizer by name: sgd, momentum, nesterov (SGD with momentum), rmsprop, adam, adamw.

    learning_rate is a number or a schedule; weight_decay None keeps the algorithm's
    default (0, or 0.01 for AdamW). Options an algorithm does not use are ignored.
    """
    if name not in OPTIMIZER_NAMES:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZER_NAMES)}")
    algorithm, fixed = OPTIMIZER_NAMES[name]
    given = {"momentum": momentum, "beta1": beta1, "beta2": beta2, "eps": eps, "rho": rho, **fixed}
    options = {key: given[key] for key in algorithm.hyperparameters if key in given}
    if weight_decay is not None:
        options["weight_decay"] = weight_decay
    return algorithm(learning_rate=learning_rate, clip_norm=clip_norm, **options)


def optimizer_name(optimizer: Optimizer) -> str:
    """The name that ``make_optimizer`` builds ``optimizer``'s algorithm by (sgd, momentum, adam...)."""
    for name, (algorithm, fixed) in OPTIMIZER_NAMES.items():
        if type(optimizer) is algorithm and all(getattr(optimizer, key) == value for key, value in fixed.items()):
            return name
    raise ValueError(f"{optimizer!r} has no name in OPTIMIZER_NAMES")
