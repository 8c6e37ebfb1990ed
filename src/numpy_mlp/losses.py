"""Losses fused with their output activation, computed from the logits.

Why fuse? For a sigmoid output p = s(z) and binary cross-entropy
L = -[y log p + (1 - y) log(1 - p)], the chain rule gives

    dL/dp = (p - y) / (p (1 - p))          (the BCE derivative)
    dp/dz = p (1 - p)                      (the sigmoid derivative)
    dL/dz = dL/dp * dp/dz = p - y          (the p (1 - p) cancels)

so backpropagation can start from p - y: no division by p (1 - p), which is 0 in floating
point once the sigmoid saturates. The same cancellation gives softmax(z) - onehot(y) for
softmax with categorical cross-entropy. The loss itself is written in terms of z so that
log(0) never happens: -log s(z) = log(1 + e^-z) = max(-z, 0) + log1p(e^-|z|).
"""

from __future__ import annotations

import numpy as np

from .activations import log_softmax, sigmoid, softmax


class BinaryCrossEntropy:
    """Sigmoid output + binary cross-entropy, from logits (independent sigmoids per output).

    L = mean over the n samples and k outputs of  max(z, 0) - z y + log1p(e^-|z|)
    dL/dz = (sigmoid(z) - y) / (n k)
    Shapes: logits z (n, k), targets y (n, k) of 0/1 in the logits' dtype.
    """

    #: the output activation this loss is fused with (``MLP(output=...)``)
    output = "sigmoid"

    @staticmethod
    def probabilities(logits: np.ndarray) -> np.ndarray:
        """p = sigmoid(z), each in [0, 1]."""
        return sigmoid(logits)

    @staticmethod
    def predicted_classes(logits: np.ndarray) -> np.ndarray:
        """0/1 per output at threshold 0.5, that is z >= 0."""
        return logits >= 0

    def forward(self, logits: np.ndarray, targets: np.ndarray) -> float:
        self.logits, self.targets = logits, targets
        # e^-|z| lies in (0, 1]: it serves log1p here and the sigmoid in backward.
        self.exp_neg_abs = np.exp(-np.abs(logits))
        losses = np.maximum(logits, 0) - logits * targets + np.log1p(self.exp_neg_abs)
        return float(losses.sum()) / losses.size

    def backward(self) -> np.ndarray:
        return (sigmoid(self.logits, self.exp_neg_abs) - self.targets) / self.logits.size


class SoftmaxCrossEntropy:
    """Softmax output + categorical cross-entropy, from logits.

    L = -(1/n) sum_i log softmax(z_i)[y_i],  with the max-shifted log_softmax
    dL/dz = (softmax(z) - onehot(y)) / n
    Shapes: logits z (n, K), targets y (n,) of integer class indices 0..K-1.
    """

    output = "softmax"

    @staticmethod
    def probabilities(logits: np.ndarray) -> np.ndarray:
        """Row-wise softmax; every row sums to 1."""
        return softmax(logits)

    @staticmethod
    def predicted_classes(logits: np.ndarray) -> np.ndarray:
        """Index of the largest logit in each row."""
        return logits.argmax(axis=1)

    def forward(self, logits: np.ndarray, targets: np.ndarray) -> float:
        self.targets = targets
        self.log_probabilities = log_softmax(logits)
        rows = np.arange(len(targets))
        return -float(self.log_probabilities[rows, targets].sum()) / len(targets)

    def backward(self) -> np.ndarray:
        n = len(self.targets)
        grad_logits = np.exp(self.log_probabilities)
        grad_logits[np.arange(n), self.targets] -= 1
        grad_logits /= n
        return grad_logits


#: the loss for each output activation: the table behind ``MLP(output=...)``
LOSS_FOR_OUTPUT = {cls.output: cls for cls in (BinaryCrossEntropy, SoftmaxCrossEntropy)}
