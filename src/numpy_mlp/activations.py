"""Activation functions: each one's backward sits right under its forward.

An activation maps the pre-activation ``z`` (shape ``(n, units)``) element-wise to
``a = f(z)``; its ``backward`` takes ``dL/da`` and returns ``dL/dz = f'(z) * dL/da``.
The stable ``sigmoid``, ``softmax`` and ``log_softmax`` functions live here too: the losses
and the network's probability output share them.
"""

from __future__ import annotations

import numpy as np

from .validation import check_fraction


def sigmoid(z: np.ndarray, exp_neg_abs: np.ndarray | None = None) -> np.ndarray:
    """Logistic function 1 / (1 + e^-z), without overflow for any z.

    With t = e^-|z| (always in (0, 1]): sigmoid(z) = 1 / (1 + t) for z >= 0 and
    t / (1 + t) for z < 0, so the exponential never sees a large positive argument.
    ``exp_neg_abs`` is t, when the caller has computed it already.
    Keeps the dtype and shape of ``z``.
    """
    t = np.exp(-np.abs(z)) if exp_neg_abs is None else exp_neg_abs
    return np.where(z >= 0, 1, t) / (1 + t)


def log_softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise log(softmax(z)) = z - max(z) - log(sum(exp(z - max(z)))), shape (n, k).

    Subtracting the row maximum makes every exponent <= 0, so nothing overflows and the
    largest term is exactly 1, so the log never sees 0.
    """
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise e^z_j / sum_k e^z_k, shape (n, k); every row sums to 1."""
    exps = np.exp(z - z.max(axis=1, keepdims=True))
    return exps / exps.sum(axis=1, keepdims=True)


class Activation:
    """Base of the element-wise activations: ``forward`` caches what ``backward`` needs."""

    #: name used by ``MLP(activation=...)``, the CLI and saved files
    name = ""
    #: weight initialisation that keeps the activations' variance stable (see initializers)
    initializer = "glorot"

    def forward(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def config(self) -> dict:
        """Name and options, enough to rebuild it with ``get_activation``."""
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReLU(Activation):
    """a = max(0, z);  da/dz = 1 where z > 0, else 0."""

    name = "relu"
    initializer = "he"

    def forward(self, z):
        self.mask = z > 0
        return np.maximum(z, 0)

    def backward(self, grad_output):
        # The notebook's bug was np.greater(0, z): the derivative is 1 where z is *positive*.
        return grad_output * self.mask


class LeakyReLU(Activation):
    """a = z if z > 0 else slope * z;  da/dz = 1 or slope."""

    name = "leaky_relu"
    initializer = "he"

    def __init__(self, negative_slope: float = 0.01):
        self.negative_slope = check_fraction(negative_slope, "negative_slope")

    def forward(self, z):
        self.mask = z > 0
        return np.where(self.mask, z, z * self.negative_slope)

    def backward(self, grad_output):
        return np.where(self.mask, grad_output, grad_output * self.negative_slope)

    def config(self):
        return {"name": self.name, "negative_slope": self.negative_slope}

    def __repr__(self):
        return f"LeakyReLU(negative_slope={self.negative_slope})"


class Tanh(Activation):
    """a = tanh(z);  da/dz = 1 - a^2."""

    name = "tanh"

    def forward(self, z):
        self.output = np.tanh(z)
        return self.output

    def backward(self, grad_output):
        return grad_output * (1 - self.output * self.output)


class Sigmoid(Activation):
    """a = 1 / (1 + e^-z);  da/dz = a (1 - a).  Stable for any z (see ``sigmoid``)."""

    name = "sigmoid"

    def forward(self, z):
        self.output = sigmoid(z)
        return self.output

    def backward(self, grad_output):
        return grad_output * self.output * (1 - self.output)


class Identity(Activation):
    """a = z;  da/dz = 1."""

    name = "identity"

    def forward(self, z):
        return z

    def backward(self, grad_output):
        return grad_output


ACTIVATIONS = {cls.name: cls for cls in (ReLU, LeakyReLU, Tanh, Sigmoid, Identity)}


def get_activation(activation: str | dict | Activation) -> Activation:
    """An ``Activation`` from its name (``"relu"``, ``"tanh"``...), its ``config()``, or an instance."""
    if isinstance(activation, Activation):
        return activation
    if isinstance(activation, dict):
        options = dict(activation)
        name = options.pop("name", None)
        if name in ACTIVATIONS:
            return ACTIVATIONS[name](**options)
    if isinstance(activation, str) and activation.lower() in ACTIVATIONS:
        return ACTIVATIONS[activation.lower()]()
    raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}")
