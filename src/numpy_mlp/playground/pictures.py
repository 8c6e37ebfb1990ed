"""The pictures of a frame: the model's probability over the plane, and each hidden neuron's activation.

A picture is a ``size x size`` grid of values at the centres of the plane's pixels, row 0 at
the top (largest x2), column 0 at the left (smallest x1), as a canvas draws it. It travels as
one byte a pixel (0 to 255, linear in the value between two bounds), in base 64.
"""

from __future__ import annotations

import base64

import numpy as np

from ..layers import Layer
from .data import PLANE_HALF_WIDTH

BOUNDARY_GRID = 100  # pixels a side of the probability map
NEURON_GRID = 25  # pixels a side of each neuron's picture


def plane_grid(size: int, dtype=np.float32) -> np.ndarray:
    """The (size * size, 2) centres of a size x size grid over the plane, row by row from the top."""
    half_pixel = PLANE_HALF_WIDTH / size
    coordinates = np.linspace(-PLANE_HALF_WIDTH + half_pixel, PLANE_HALF_WIDTH - half_pixel, size)
    x2, x1 = np.meshgrid(coordinates[::-1], coordinates, indexing="ij")
    return np.column_stack([x1.ravel(), x2.ravel()]).astype(dtype)


def class_1_probability(model, points: np.ndarray) -> np.ndarray:
    """P(class 1) at each point (n,): the sigmoid output, or the softmax's second column."""
    return model.forward(points)[:, -1]


def hidden_activations(model, points: np.ndarray) -> list[np.ndarray]:
    """Each hidden layer's activations at the points, (n, neurons) per layer, from ``model.layers``.

    The input of every dense layer after the first is the output of the hidden layer before it,
    whatever sits between them (an activation, and later dropout, which does nothing outside training).
    """
    outputs, activation = [], points
    for index, layer in enumerate(model.layers):
        if isinstance(layer, Layer) and index > 0:
            outputs.append(activation)
        activation = layer.forward(activation)
    return outputs


def encode_picture(values: np.ndarray, low: float, high: float) -> str:
    """Values clipped to [low, high] and mapped linearly to bytes 0..255, in base 64."""
    scaled = (np.clip(values, low, high) - low) * (255.0 / (high - low))
    return base64.b64encode(np.rint(scaled).astype(np.uint8).tobytes()).decode("ascii")


def decode_picture(text: str) -> np.ndarray:
    """The bytes (0..255) of a picture that ``encode_picture`` made, as uint8 (for tests and tools)."""
    return np.frombuffer(base64.b64decode(text), dtype=np.uint8)
