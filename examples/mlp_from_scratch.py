"""A multilayer perceptron from scratch, in plain NumPy: the algorithm numpy-mlp implements.

The same network as ``numpy_mlp.MLP(n_features, neurons_per_layer)`` with its defaults:
dense layers with ReLU between them, one sigmoid output trained with binary cross-entropy
computed from the logits, and plain gradient descent (w = w - learning_rate * dL/dw).
No classes, no buffers, no speed tricks: read this file to see the algorithm, and use the
library for real work. tests/test_examples.py checks that both give the same weights.

Shapes: X (n, n_features), y (n, 1) of 0/1; layer i has W (n_in, n_out) and b (n_out,).
Run it with ``python mlp_from_scratch.py``: it learns XOR.
"""

import numpy as np


def init_parameters(sizes, rng):
    """One [W, b] pair per layer: He initialisation W ~ N(0, 2 / n_in), b = 0.

    The variance 2 / n_in keeps the spread of the activations the same from layer to layer
    with ReLU (which zeroes half of its inputs); 0.01 * randn would shrink it at every layer.
    """
    return [[rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in), np.zeros(n_out)]
            for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def sigmoid(z):
    """1 / (1 + e^-z) without overflow: with t = e^-|z| <= 1, it is 1/(1+t) or t/(1+t)."""
    t = np.exp(-np.abs(z))
    return np.where(z >= 0, 1, t) / (1 + t)


def forward(params, X):
    """The logits (n, 1), and each layer's input and pre-activation z for the backward pass."""
    cache = []
    a = X
    for i, (W, b) in enumerate(params):
        z = a @ W + b                        # z = a W + b, shape (n, n_out)
        cache.append((a, z))
        is_output = i == len(params) - 1
        a = z if is_output else np.maximum(z, 0)   # ReLU on hidden layers; the output stays a logit
    return a, cache


def bce_loss(logits, y):
    """Mean binary cross-entropy of sigmoid(z) against y, written with z so log(0) never happens.

    -[y log p + (1 - y) log(1 - p)] with p = sigmoid(z) equals max(z, 0) - z y + log(1 + e^-|z|).
    """
    losses = np.maximum(logits, 0) - logits * y + np.log1p(np.exp(-np.abs(logits)))
    return losses.mean()


def backward(params, cache, logits, y):
    """The gradients [[dW, db], ...] of the mean loss, layer by layer from the output back."""
    # Sigmoid and cross-entropy together: dL/dz = (p - y) / n (the p (1 - p) factors cancel).
    grad = (sigmoid(logits) - y) / logits.size
    grads = [None] * len(params)
    for i in reversed(range(len(params))):
        W, _ = params[i]
        a, _ = cache[i]
        # z = a W + b: dL/dW_jk = sum over samples of a_sj G_sk, that is a^T G; b is added to
        # every sample's row, so dL/db sums G over the samples (axis 0).
        grads[i] = [a.T @ grad, grad.sum(axis=0)]
        if i > 0:
            # dL/da_sj = sum over k of G_sk W_jk = (G W^T)_sj: every input j feeds every output k.
            grad = grad @ W.T
            # ReLU is a switch: its derivative is 1 where its input z was positive, else 0.
            z_below = cache[i - 1][1]
            grad = grad * (z_below > 0)
    return grads


def gradient_descent_step(params, grads, learning_rate):
    """w = w - learning_rate * dL/dw, in place, for every weight and bias."""
    for param_pair, grad_pair in zip(params, grads):
        for value, gradient in zip(param_pair, grad_pair):
            value -= learning_rate * gradient


def train(params, X, y, learning_rate=0.5, steps=1000):
    """Full-batch gradient descent; returns the loss before each step."""
    losses = []
    for _ in range(steps):
        logits, cache = forward(params, X)
        losses.append(bce_loss(logits, y))
        grads = backward(params, cache, logits, y)
        gradient_descent_step(params, grads, learning_rate)
    return losses


def predict(params, X):
    """Class 1 where sigmoid(z) >= 0.5, that is where the logit z >= 0."""
    logits, _ = forward(params, X)
    return (logits >= 0).astype(int)


if __name__ == "__main__":
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])  # XOR: no straight line separates the classes
    params = init_parameters([2, 8, 1], np.random.default_rng(0))
    losses = train(params, X, y)
    print(f"loss: {losses[0]:.4f} at the start, {losses[-1]:.4f} after {len(losses)} steps")
    print("predictions:", predict(params, X).ravel(), "targets:", y.ravel().astype(int))
