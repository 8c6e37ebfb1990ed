"""The dense (fully connected) layer, named ``Layer`` as in the course notebook, and dropout."""

from __future__ import annotations

import numpy as np

from .initializers import INITIALIZERS
from .validation import check_fraction, check_positive_int


class Layer:
    """Fully connected layer: z = x W + b.

    Shapes: x (n, n_in), W ``weights`` (n_in, n_out), b ``bias`` (n_out,), z (n, n_out).
    ``backward`` overwrites ``grad_weights`` and ``grad_bias`` (it never accumulates: each
    parameter is used once per step in a sequential network, so there is no zero_grad), and it
    writes into them in place, since in a model they are views of one flat array (parameters.py).
    """

    #: the attributes that ``parameters()`` pairs with their ``grad_`` twins
    parameter_names = ("weights", "bias")

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator | None = None,
                 initializer: str = "glorot", dtype=np.float32):
        check_positive_int(n_in, "n_in")
        check_positive_int(n_out, "n_out")
        rng = np.random.default_rng() if rng is None else rng
        self.weights = INITIALIZERS[initializer](rng, n_in, n_out, dtype)
        self.bias = np.zeros(n_out, dtype=dtype)
        self.grad_weights = np.zeros_like(self.weights)
        self.grad_bias = np.zeros_like(self.bias)
        # The network's first layer needs no dL/dx: nothing upstream learns from it.
        self.needs_input_grad = True

    def forward(self, inputs: np.ndarray) -> np.ndarray:
        """z = x W + b; caches x for the weight gradient."""
        self.inputs = inputs
        outputs = inputs @ self.weights
        outputs += self.bias  # in place: one (n, n_out) array per step instead of two
        return outputs

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        """Given dL/dz (n, n_out): fill dL/dW and dL/db, return dL/dx (n, n_in).

        dL/dW = x^T dL/dz     (each weight w_ij meets input x_i in every sample)
        dL/db = sum over samples of dL/dz
        dL/dx = dL/dz W^T     (each input feeds every output through its weight)
        """
        np.matmul(self.inputs.T, grad_output, out=self.grad_weights)
        np.add.reduce(grad_output, axis=0, out=self.grad_bias)  # np.sum without its Python wrapper
        if not self.needs_input_grad:
            return None
        return grad_output @ self.weights.T

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The (value, gradient) pairs an optimizer updates in place."""
        return [(self.weights, self.grad_weights), (self.bias, self.grad_bias)]

    def optimize(self, learning_rate: float) -> None:
        """Plain gradient descent: weight = weight - learning_rate * gradient."""
        for value, gradient in self.parameters():
            value -= learning_rate * gradient

    @property
    def n_in(self) -> int:
        return self.weights.shape[0]

    @property
    def n_out(self) -> int:
        return self.weights.shape[1]

    def __repr__(self) -> str:
        return f"Layer(n_in={self.n_in}, n_out={self.n_out})"


class Dropout:
    """Inverted dropout (Srivastava et al., 2014): while training, each unit is kept with
    probability 1 - rate and scaled by 1 / (1 - rate), so its expected value is unchanged and
    inference needs no rescaling.

    training:   a = x * m,   m_ij = 1 / (1 - rate) with probability 1 - rate, else 0
    inference:  a = x        (``training`` False: the layer passes x through)
    dL/dx = dL/da * m        (the units that were dropped get no gradient)
    Shapes: x, m and a (n, units). The mask is drawn from ``rng``, the model's generator, so a
    seed reproduces a run; the model sets ``training`` before each forward (``MLP.forward_logits``).
    """

    #: no parameters: ``parameters.tile`` and ``FlatParameters.bind`` pass over it
    parameter_names = ()
    #: the mask of the last forward, None when it dropped nothing (also after a copy: a pickled
    #: model leaves out its layers' arrays, and this class default stands in for it)
    mask: np.ndarray | None = None

    def __init__(self, rate: float, rng: np.random.Generator | None = None):
        self.rate = check_fraction(rate, "dropout rate")
        self.rng = np.random.default_rng() if rng is None else rng
        self.training = False

    def forward(self, inputs: np.ndarray) -> np.ndarray:
        """x * m while training (a new mask each call), else x itself."""
        if not self.training or self.rate == 0:
            self.mask = None
            return inputs
        keep = self.rng.random(inputs.shape, dtype=inputs.dtype) >= self.rate
        self.mask = keep.astype(inputs.dtype)
        self.mask *= 1 / (1 - self.rate)  # a Python float: the mask keeps the dtype
        return inputs * self.mask

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dL/dx = dL/da * m (or dL/da itself when the last forward dropped nothing)."""
        return grad_output if self.mask is None else grad_output * self.mask

    def parameters(self) -> list:
        return []

    def __repr__(self) -> str:
        return f"Dropout(rate={self.rate:g})"
