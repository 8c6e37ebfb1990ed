"""Parameter storage: one flat array of values, one of gradients, views that survive copies."""

import copy
import pickle

import numpy as np
import pytest

from numpy_mlp import Layer
from numpy_mlp.parameters import FlatParameters, tile, without_arrays


def layers(seed=0):
    rng = np.random.default_rng(seed)
    first, second = Layer(4, 3, rng), Layer(3, 2, rng)
    first.grad_weights[...] = 2.0
    return [first, second]


def test_tile_moves_the_arrays_into_flat_ones_keeping_their_values():
    stack = layers()
    before = [array.copy() for layer in stack for pair in layer.parameters() for array in pair]
    flat = tile(stack, np.float32)
    after = [array for layer in stack for pair in layer.parameters() for array in pair]
    for old, new in zip(before, after):
        np.testing.assert_array_equal(old, new)
    assert flat.values.size == flat.gradients.size == 4 * 3 + 3 + 3 * 2 + 2
    np.testing.assert_array_equal(flat.values[:12].reshape(4, 3), before[0])
    np.testing.assert_array_equal(flat.values[12:15], before[2])
    flat.values[0] = 99.0  # the layers' arrays are views: a write to the flat array is seen by the layer
    flat.gradients[14] = -5.0
    assert stack[0].weights[0, 0] == 99.0 and stack[0].grad_bias[2] == -5.0


def test_iterating_gives_the_same_views_as_the_layers_hold():
    stack = layers()
    flat = tile(stack, np.float64)
    assert len(flat) == 4 and flat[2][0] is stack[1].weights
    expected = [array for layer in stack for array in (layer.weights, layer.grad_weights, layer.bias, layer.grad_bias)]
    assert all(mine is theirs for mine, theirs in zip([a for pair in flat for a in pair], expected))
    assert [value.shape for value, _ in flat] == [(4, 3), (3,), (3, 2), (2,)]


def test_split_shapes_any_array_of_the_same_size_like_the_parameters():
    flat = FlatParameters([(2, 3), (3,)], np.float32)
    views = flat.split(np.arange(9.0))
    assert [view.shape for view in views] == [(2, 3), (3,)]
    np.testing.assert_array_equal(views[1], [6.0, 7.0, 8.0])


@pytest.mark.parametrize("duplicate", [lambda obj: pickle.loads(pickle.dumps(obj)), copy.deepcopy])
def test_a_copy_has_views_of_its_own_flat_arrays(duplicate):
    flat = tile(layers(), np.float32)
    copied = duplicate(flat)
    assert all(value.base is copied.values and gradient.base is copied.gradients for value, gradient in copied)
    np.testing.assert_array_equal(copied.values, flat.values)
    copied.values[:] = 0
    assert flat.values.any()


def test_bind_points_fresh_layers_at_the_views():
    stack = layers()
    flat = tile(stack, np.float32)
    bare = [without_arrays(layer) for layer in stack]
    assert not any(hasattr(layer, "weights") for layer in bare)
    flat.bind(bare)
    assert bare[1].bias is flat[3][0] and bare[1].grad_bias is flat[3][1]


def test_without_arrays_drops_caches_and_keeps_the_rest():
    layer = layers()[0]
    layer.forward(np.ones((2, 4)))
    bare = without_arrays(layer)
    assert not hasattr(bare, "inputs") and bare.needs_input_grad is True
    assert hasattr(layer, "inputs")  # the original is untouched
