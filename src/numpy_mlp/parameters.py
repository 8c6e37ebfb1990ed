"""Where a model's numbers live: every weight and bias in one flat array, every gradient in another.

This is the one place of speed machinery behind the textbook layers. A ``Layer``'s ``weights``,
``bias``, ``grad_weights`` and ``grad_bias`` stay ordinary arrays; after ``tile`` they are views
into two flat arrays owned by a ``FlatParameters``. An optimizer handed that object (it is what
``MLP.parameters()`` returns) updates the whole model with one NumPy call per pass of its rule
instead of one per array: a small network's Adam step is several times faster
(``python bench/optimizer_step.py``).

Views do not survive ``pickle`` or ``copy.deepcopy``: each view is copied apart from its base.
So the flat arrays are the only copy that is kept, and every view is derived from them again
after a copy: ``FlatParameters`` rebuilds its pairs, the model re-points its layers (``bind``),
the optimizer rebuilds its per-parameter views; a copy then trains exactly like the original.
"""

from __future__ import annotations

import copy
import math

import numpy as np


class FlatParameters:
    """(value, gradient) pairs laid end to end in two flat arrays, ``values`` and ``gradients``.

    Iterating gives the pairs as views shaped like the parameters, always the same view objects,
    so it reads like the list of pairs any optimizer accepts; an optimizer given the whole object
    updates ``values`` from ``gradients`` at once.
    """

    def __init__(self, shapes, dtype):
        self.shapes = [tuple(shape) for shape in shapes]
        size = sum(math.prod(shape) for shape in self.shapes)
        self.values = np.zeros(size, dtype)
        self.gradients = np.zeros(size, dtype)
        self._pairs = self._make_pairs()

    def split(self, flat: np.ndarray) -> list[np.ndarray]:
        """Views of ``flat`` (an array of the same size), end to end, shaped like the parameters."""
        views, start = [], 0
        for shape in self.shapes:
            size = math.prod(shape)
            views.append(flat[start:start + size].reshape(shape))
            start += size
        return views

    def _make_pairs(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return list(zip(self.split(self.values), self.split(self.gradients)))

    def __iter__(self):
        return iter(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def __getitem__(self, index):
        return self._pairs[index]

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        del state["_pairs"]  # views: rebuilt from the flat arrays
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._pairs = self._make_pairs()

    def bind(self, layers) -> None:
        """Point each layer's parameters and gradients at their views, in order.

        A layer names its parameters in ``parameter_names`` (``("weights", "bias")``); the
        gradient of ``name`` is ``grad_<name>``.
        """
        pairs = iter(self._pairs)
        for layer in layers:
            for name in layer.parameter_names:
                value, gradient = next(pairs)
                setattr(layer, name, value)
                setattr(layer, f"grad_{name}", gradient)

    def __repr__(self) -> str:
        return f"FlatParameters({len(self)} arrays, {self.values.size:,} {self.values.dtype} values)"


def tile(layers, dtype) -> FlatParameters:
    """Lay the parameters of ``layers`` end to end in a new ``FlatParameters``, keeping their values;
    the layers' arrays become views of it."""
    pairs = [pair for layer in layers for pair in layer.parameters()]
    storage = FlatParameters([value.shape for value, _ in pairs], dtype)
    for (value, gradient), (flat_value, flat_gradient) in zip(pairs, storage):
        flat_value[...] = value
        flat_gradient[...] = gradient
    storage.bind(layers)
    return storage


def without_arrays(obj):
    """A shallow copy of ``obj`` without its NumPy arrays, for pickling a layer of a tiled model.

    A layer's arrays are views of the flat storage (``FlatParameters.bind`` restores them) or
    caches of the last batch that ``forward`` keeps for ``backward`` (not worth a copy).
    """
    clone = copy.copy(obj)
    clone.__dict__ = {name: value for name, value in vars(obj).items() if not isinstance(value, np.ndarray)}
    return clone
