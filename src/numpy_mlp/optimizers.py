"""Optimizers: a tiny base class and one short class per algorithm.

The model hands over its parameters as (value, gradient) pairs (``model.parameters()``);
the optimizer keeps those same arrays, creates its per-parameter state once
(``init_state``, named as in the papers: ``v``, ``m``...) and updates every value in
place at each ``step()``. A learning rate is a number or a schedule, a callable
``step -> rate`` (see ``schedules``).

Speed without losing the maths: each update is written with ``out=`` into the
parameter, its state or one scratch array per parameter, so a step allocates nothing
large and a float32 model stays float32 (scalars are Python floats, which never upcast).
The textbook equation sits in a comment over each in-place group. Parameters that lie end
to end in one flat array, as an MLP's do, are updated as that one array (see ``attach``).

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


def joined(arrays) -> np.ndarray | None:
    """The flat array that ``arrays`` are views of, lying end to end in order and filling it; else None."""
    base = arrays[0].base if arrays else None
    if not isinstance(base, np.ndarray) or base.ndim != 1 or not base.flags.c_contiguous:
        return None
    address = base.ctypes.data
    for array in arrays:
        if (array.base is not base or array.dtype != base.dtype or not array.flags.c_contiguous
                or array.ctypes.data != address):
            return None
        address += array.nbytes
    return base if address == base.ctypes.data + base.nbytes else None


def split_like(flat: np.ndarray, arrays) -> list[np.ndarray]:
    """Views of ``flat``, end to end, with the shapes of ``arrays``."""
    views, start = [], 0
    for array in arrays:
        views.append(flat[start:start + array.size].reshape(array.shape))
        start += array.size
    return views


#: elements of a flat parameter array updated together: 64 Ki float32 are 256 KiB an array,
#: so that Adam's five (parameter, gradient, m, v, scratch) stay in a 2 MiB L2 cache
UPDATE_BLOCK = 1 << 16

#: how many steps pass between two flushes of subnormal state (see Optimizer.flush_subnormal_state)
FLUSH_INTERVAL = 100


class Optimizer:
    """Base class: holds the parameters, their state and the step count.

    Every optimizer takes ``learning_rate`` (a number or a schedule), ``weight_decay`` and
    ``clip_norm`` (see the module docstring); subclasses add their own hyperparameters.
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
        self.parameters: list[tuple[np.ndarray, np.ndarray]] = []
        self.state: list[dict[str, np.ndarray]] = []
        self.scratch: list[np.ndarray] = []
        # (value, gradient, state, scratch) of each update() call: per parameter, or one flat array
        self.updates: list[tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray]] = []
        if parameters is not None:
            self.attach(parameters)

    def attach(self, parameters) -> None:
        """Take the (value, gradient) pairs to update, and create each one's state."""
        self.parameters = list(parameters)
        values, gradients = zip(*self.parameters) if self.parameters else ((), ())
        flat_values, flat_gradients = joined(values), joined(gradients)
        if flat_values is None or flat_gradients is None:
            self.state = [self.init_state(value) for value in values]
            # Room for the intermediate results of one update, so that steps allocate nothing.
            self.scratch = [np.empty_like(value) for value in values]
            self.updates = list(zip(values, gradients, self.state, self.scratch))
            return
        # The parameters tile one flat array (an MLP's do): update that array, one NumPy call
        # per pass instead of one per parameter, with state and scratch laid out the same way,
        # in blocks of UPDATE_BLOCK elements, so that a block's passes after the first find
        # its arrays in the CPU's cache rather than in main memory.
        flat_state, flat_scratch = self.init_state(flat_values), np.empty_like(flat_values)
        per_parameter = {key: split_like(array, values) for key, array in flat_state.items()}
        self.state = [{key: views[index] for key, views in per_parameter.items()} for index in range(len(values))]
        self.scratch = split_like(flat_scratch, values)
        self.updates = []
        for start in range(0, flat_values.size, UPDATE_BLOCK):
            block = slice(start, start + UPDATE_BLOCK)
            self.updates.append((flat_values[block], flat_gradients[block],
                                 {key: array[block] for key, array in flat_state.items()}, flat_scratch[block]))

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
        if not self.parameters:
            raise RuntimeError("the optimizer has no parameters: pass model.parameters() to it "
                               "or call attach(model.parameters()) first")
        learning_rate = self.current_learning_rate()
        self.step_count += 1
        if self.clip_norm is not None:
            clip_by_global_norm([gradient for _, gradient in self.parameters], self.clip_norm)
        if self.weight_decay:
            for (value, gradient), scratch in zip(self.parameters, self.scratch):
                if value.ndim > 1:
                    self.decay_weights(value, gradient, scratch, learning_rate)
        for value, gradient, state, scratch in self.updates:
            self.update(value, gradient, state, scratch, learning_rate)
        if self.step_count % FLUSH_INTERVAL == 0:
            self.flush_subnormal_state()

    def flush_subnormal_state(self) -> None:
        """Set state values within 2^24 of the dtype's smallest normal number to 0.

        A weight whose gradient stays 0 (a dead ReLU's) sees its moments decay by b1 or
        momentum at every step, towards subnormal numbers, on which CPUs compute tens of
        times slower. Decaying by 0.9 a step, a value needs about 160 steps to fall from
        2^24 times the smallest normal number into the subnormal range, more than
        FLUSH_INTERVAL, so none gets there; and such values are far too small to move a weight.
        """
        for _, _, state, scratch in self.updates:
            for array in state.values():
                np.abs(array, out=scratch)
                np.copyto(array, 0, where=scratch < np.finfo(array.dtype).tiny * 2.0 ** 24)

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

    m <- b1 * m + (1 - b1) * g          (first moment, the mean of g)
    v <- b2 * v + (1 - b2) * g^2        (second moment, the mean of g^2)
    m_hat = m / (1 - b1^t);  v_hat = v / (1 - b2^t)   (unbiased: m and v start at 0)
    w <- w - lr * m_hat / (sqrt(v_hat) + eps)
    t is the step number, from 1. The first step moves each weight by lr * sign(g) (up to eps).
    """

    name = "adam"
    hyperparameters = ("b1", "b2", "eps")

    def __init__(self, parameters=None, *, learning_rate=0.001, b1: float = 0.9, b2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0, clip_norm: float | None = None):
        self.b1 = check_fraction(b1, "b1")
        self.b2 = check_fraction(b2, "b2")
        self.eps = check_positive_float(eps, "eps")
        super().__init__(parameters, learning_rate=learning_rate, weight_decay=weight_decay,
                         clip_norm=clip_norm)

    def init_state(self, value):
        return {"m": np.zeros_like(value), "v": np.zeros_like(value)}

    def update(self, value, gradient, state, scratch, learning_rate):
        m, v, t = state["m"], state["v"], self.step_count
        # m <- b1 * m + (1 - b1) * g
        m *= self.b1
        np.multiply(gradient, 1 - self.b1, out=scratch)
        m += scratch
        # v <- b2 * v + (1 - b2) * g^2
        v *= self.b2
        np.square(gradient, out=scratch)
        scratch *= 1 - self.b2
        v += scratch
        # w <- w - lr * m_hat / (sqrt(v_hat) + eps), reordered as the paper's section 2 suggests:
        #    = w - step_size * m / (sqrt(v) + eps_hat),
        #      step_size = lr * sqrt(1 - b2^t) / (1 - b1^t),  eps_hat = eps * sqrt(1 - b2^t)
        # so the bias corrections cost two scalars instead of two passes over the arrays.
        correction2 = math.sqrt(1 - self.b2 ** t)
        np.sqrt(v, out=scratch)
        scratch += self.eps * correction2
        np.divide(m, scratch, out=scratch)
        scratch *= learning_rate * correction2 / (1 - self.b1 ** t)
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

    def __init__(self, parameters=None, *, learning_rate=0.001, b1: float = 0.9, b2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.01, clip_norm: float | None = None):
        super().__init__(parameters, learning_rate=learning_rate, b1=b1, b2=b2, eps=eps,
                         weight_decay=weight_decay, clip_norm=clip_norm)

    def decay_weights(self, value, gradient, scratch, learning_rate):
        # w <- w - lr * weight_decay * w
        value *= 1 - learning_rate * self.weight_decay


OPTIMIZERS = {cls.name: cls for cls in (SGD, RMSProp, Adam, AdamW)}
OPTIMIZER_CHOICES = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw")


def make_optimizer(name: str, learning_rate, weight_decay: float | None = None, clip_norm: float | None = None,
                   momentum: float = 0.9, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                   rho: float = 0.9) -> Optimizer:
    """An optimizer by its CLI name: sgd, momentum, nesterov (SGD with momentum), rmsprop, adam, adamw.

    learning_rate is a number or a schedule; weight_decay None keeps the algorithm's
    default (0, or 0.01 for AdamW). Options an algorithm does not use are ignored.
    """
    if name not in OPTIMIZER_CHOICES:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZER_CHOICES)}")
    common = {"learning_rate": learning_rate, "clip_norm": clip_norm}
    if weight_decay is not None:
        common["weight_decay"] = weight_decay
    if name == "sgd":
        return SGD(**common)
    if name in ("momentum", "nesterov"):
        return SGD(momentum=momentum, nesterov=name == "nesterov", **common)
    if name == "rmsprop":
        return RMSProp(rho=rho, eps=eps, **common)
    return OPTIMIZERS[name](b1=beta1, b2=beta2, eps=eps, **common)
