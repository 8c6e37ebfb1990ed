"""Losses fused with their output activation, computed from the logits.

Why fuse? For a sigmoid output p = s(z) and binary cross-entropy
L = -[y log p + (1 - y) log(1 - p)], the chain rule gives

    dL/dp = (p - y) / (p (1 - p))          (the BCE derivative)
    dp/dz = p (1 - p)                      (the sigmoid derivative)
    dL/dz = dL/dp * dp/dz = p - y          (the p (1 - p) cancels)

so backpropagation can start from p - y: no division by p (1 - p), which is 0 in floating
point once the sigmoid saturates. The same cancellation gives softmax(z) - onehot(y) for
softmax with categorical cross-entropy, and an identity output with half the squared error
gives z - y directly (each is the canonical pairing of an output and its loss). The loss itself
is written in terms of z so that log(0) never happens: -log s(z) = log(1 + e^-z) = max(-z, 0) +
log1p(e^-|z|).

Sample weights: ``forward(logits, targets, weights)`` with weights w (n,) gives the weighted
mean sum_i w_i L_i / sum_i w_i of the per-sample losses L_i (scikit-learn's normalisation, not
Keras's sum_i w_i L_i / n): a weight of 2 counts exactly like the row written twice, and the
scale of the weights does not change the step. Each gradient row is then multiplied by
w_i n / sum_i w_i. A batch whose weights are all 0 has loss 0 and gradient 0.
"""

from __future__ import annotations

import numpy as np

from .activations import log_softmax, sigmoid, softmax


def weighted_mean(losses: np.ndarray, weights: np.ndarray) -> float:
    """sum_i w_i L_i / sum_i w_i, where L_i is the mean of row i of ``losses`` (n,) or (n, k)."""
    total = float(weights.sum())
    if total == 0:
        return 0.0
    per_sample = losses.reshape(len(losses), -1)
    return float(per_sample.sum(axis=1) @ weights) / (per_sample.shape[1] * total)


def weigh_rows(grad: np.ndarray, weights: np.ndarray, terms_per_sample: int) -> np.ndarray:
    """The gradient of ``weighted_mean`` from that of the summed losses: row i of ``grad`` (n, k)
    times w_i / (m sum_j w_j), in place, m being the number of loss terms a sample's loss is the
    mean of (its k outputs for sigmoid and squared-error outputs, 1 for softmax)."""
    total = float(weights.sum())
    scale = weights / (terms_per_sample * total) if total else np.zeros_like(weights)
    grad *= scale[:, None]
    return grad


class BinaryCrossEntropy:
    """Sigmoid output + binary cross-entropy, from logits (independent sigmoids per output).

    L = mean over the n samples and k outputs of  max(z, 0) - z y + log1p(e^-|z|)
    dL/dz = (sigmoid(z) - y) / (n k)
    Shapes: logits z (n, k), targets y (n, k) of 0/1 in the logits' dtype, weights (n,) or None.
    """

    #: the output activation this loss is fused with (``MLP(output=...)``)
    output = "sigmoid"

    @staticmethod
    def outputs(logits: np.ndarray) -> np.ndarray:
        """p = sigmoid(z), each in [0, 1]: what ``forward`` and ``predict_proba`` return."""
        return sigmoid(logits)


    @staticmethod
    def predicted_classes(logits: np.ndarray) -> np.ndarray:
        """0/1 per output at threshold 0.5, that is z >= 0."""
        return logits >= 0

    def forward(self, logits: np.ndarray, targets: np.ndarray, weights: np.ndarray | None = None) -> float:
        self.logits, self.targets, self.weights = logits, targets, weights
        # e^-|z| lies in (0, 1]: it serves log1p here and the sigmoid in backward.
        self.exp_neg_abs = np.exp(-np.abs(logits))
        losses = np.maximum(logits, 0) - logits * targets + np.log1p(self.exp_neg_abs)
        if weights is None:
            return float(losses.sum()) / losses.size
        return weighted_mean(losses, weights)

    def backward(self) -> np.ndarray:
        if self.weights is None:
            return (sigmoid(self.logits, self.exp_neg_abs) - self.targets) / self.logits.size
        return weigh_rows(sigmoid(self.logits, self.exp_neg_abs) - self.targets, self.weights, self.logits.shape[1])


class SoftmaxCrossEntropy:
    """Softmax output + categorical cross-entropy, from logits.

    L = -(1/n) sum_i log softmax(z_i)[y_i],  with the max-shifted log_softmax
    dL/dz = (softmax(z) - onehot(y)) / n
    Shapes: logits z (n, K), targets y (n,) of integer class indices 0..K-1, weights (n,) or None.
    """

    output = "softmax"

    @staticmethod
    def outputs(logits: np.ndarray) -> np.ndarray:
        """Row-wise softmax; every row sums to 1."""
        return softmax(logits)


    @staticmethod
    def predicted_classes(logits: np.ndarray) -> np.ndarray:
        """Index of the largest logit in each row."""
        return logits.argmax(axis=1)

    def forward(self, logits: np.ndarray, targets: np.ndarray, weights: np.ndarray | None = None) -> float:
        self.targets, self.weights = targets, weights
        self.log_probabilities = log_softmax(logits)
        rows = np.arange(len(targets))
        if weights is None:
            return -float(self.log_probabilities[rows, targets].sum()) / len(targets)
        return weighted_mean(-self.log_probabilities[rows, targets], weights)

    def backward(self) -> np.ndarray:
        n = len(self.targets)
        grad_logits = np.exp(self.log_probabilities)
        grad_logits[np.arange(n), self.targets] -= 1
        if self.weights is not None:
            return weigh_rows(grad_logits, self.weights, 1)
        grad_logits /= n
        return grad_logits


class MeanSquaredError:
    """Identity ("linear") output + half the mean squared error, for regression.

    L = (1 / (2 n k)) sum_i sum_j (z_ij - y_ij)^2     (the mean over n samples and k targets)
    dL/dz_ij = 2 (z_ij - y_ij) / (2 n k) = (z_ij - y_ij) / (n k)
    The 1/2 makes the gradient z - y over n k, the same form as the classifiers' p - y
    (scikit-learn's MLPRegressor halves it too); ``evaluate`` reports the plain MSE beside it.
    Shapes: logits z (n, k), targets y (n, k) in the logits' dtype, weights (n,) or None.
    """

    output = "linear"

    @staticmethod
    def outputs(logits: np.ndarray) -> np.ndarray:
        """The values themselves: the output activation is the identity."""
        return logits

    def forward(self, logits: np.ndarray, targets: np.ndarray, weights: np.ndarray | None = None) -> float:
        self.weights = weights
        self.errors = logits - targets
        squares = np.square(self.errors)
        if weights is None:
            return float(squares.sum()) / (2 * squares.size)
        return weighted_mean(squares, weights) / 2

    def backward(self) -> np.ndarray:
        if self.weights is None:
            return self.errors / self.errors.size
        return weigh_rows(self.errors.copy(), self.weights, self.errors.shape[1])


#: the loss for each output activation: the table behind ``MLP(output=...)``
LOSS_FOR_OUTPUT = {cls.output: cls for cls in (BinaryCrossEntropy, SoftmaxCrossEntropy, MeanSquaredError)}
