"""The multilayer perceptron: layers in sequence, a fused output loss, and the fit/predict API."""

from __future__ import annotations

import copy

import numpy as np

from .activations import get_activation
from .layers import Layer
from .losses import LOSSES
from .preprocessing import Standardizer, check_multilabel_targets, encode_labels, infer_classes
from .validation import (check_dtype, check_features, check_labels, check_positive_float, check_positive_int,
                         warn_if_far_outside)


class MLP:
    """A multilayer perceptron for classification, trained by hand-written backpropagation.

    ``MLP(n_features, neurons_per_layer)`` builds Layer, activation, Layer, ..., Layer: one
    dense layer per entry of ``neurons_per_layer``, the last entry being the number of
    outputs. The network computes logits z; the output activation (``"sigmoid"``: independent
    probabilities, ``"softmax"``: one distribution over K classes) is fused with its
    cross-entropy loss, so backpropagation starts from dL/dz = (p - y) / n.

    Low level, for learners (X an array of the model's dtype, y of 0/1 or class indices)::

        probabilities = model.forward(X)   # (n, n_outputs), each in [0, 1]
        loss = model.loss(y)               # cross-entropy from the cached logits
        model.backward()                   # every layer's gradients, from dL/dz = (p - y) / n
        model.optimize(learning_rate)      # w = w - learning_rate * dL/dw

    High level, for practitioners: ``fit``, ``predict``, ``predict_proba``, ``evaluate``,
    ``save``; these validate their inputs, map labels and apply the optional standardisation.
    """

    def __init__(self, n_features: int, neurons_per_layer, activation="relu", output: str = "sigmoid",
                 seed=None, dtype=np.float32, standardize: bool = False):
        self.n_features = check_positive_int(n_features, "n_features")
        if isinstance(neurons_per_layer, (int, np.integer)):
            neurons_per_layer = [neurons_per_layer]
        self.neurons_per_layer = [check_positive_int(n, "each entry of neurons_per_layer")
                                  for n in neurons_per_layer]
        if not self.neurons_per_layer:
            raise ValueError("neurons_per_layer must list at least one layer (the output)")
        if output not in LOSSES:
            raise ValueError(f"output must be one of {sorted(LOSSES)}, got {output!r}")
        if output == "softmax" and self.neurons_per_layer[-1] < 2:
            raise ValueError("a softmax output needs at least 2 outputs; for two classes use "
                             "output='sigmoid' with 1 output, or a last layer of 2")
        self.dtype = check_dtype(dtype)
        self.output = output
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        hidden = get_activation(activation)
        self.activation = hidden

        self.layers = []
        sizes = [self.n_features, *self.neurons_per_layer]
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            self.layers.append(Layer(n_in, n_out, self.rng, hidden.initializer, self.dtype))
            self.layers.append(copy.copy(hidden))  # each activation caches its own forward
        self.layers.pop()  # the output activation is fused into the loss
        self.layers[0].needs_input_grad = False
        self.loss_function = LOSSES[output]()
        # Every weight and bias lies end to end in one flat array, every gradient in another
        # (the layers hold views): an optimizer then updates all of them with one NumPy call per
        # pass instead of one per array, which makes a small network's step a third faster.
        size = sum(value.size for value, _ in self.parameters())
        values, gradients = np.empty(size, self.dtype), np.empty(size, self.dtype)
        for layer in self.dense_layers:
            values, gradients = layer.share_storage(values, gradients)

        self.standardize = bool(standardize)
        self.scaler: Standardizer | None = None
        self.classes_: np.ndarray | None = None
        self.feature_names_: list[str] | None = None  # column names, when trained from a table
        self.feature_range_: tuple[float, float] | None = None  # smallest and largest training feature
        self.optimizer = None  # the last optimizer fit used, kept for resuming
        self.epochs_trained = 0

    @classmethod
    def for_labels(cls, n_features: int, hidden_layers, y, name: str = "y", **options) -> "MLP":
        """An MLP whose output fits the labels y: one sigmoid output for two classes, a softmax
        over K outputs for K > 2 (``options`` go to the constructor).

        ``classes_`` is set from all of y, so a class that a training split lacks is still known.
        """
        labels = np.asarray(y)
        classes = np.unique(labels)
        if len(classes) < 2:
            raise ValueError(f"a classifier needs samples of at least 2 classes, but {name} has only "
                             f"one class: {classes.tolist()[0]!r}")
        output, n_outputs = ("sigmoid", 1) if len(classes) == 2 else ("softmax", len(classes))
        model = cls(n_features, [*hidden_layers, n_outputs], output=output, **options)
        model.classes_ = infer_classes(labels, len(classes))
        return model

    # -- the low-level API: forward, loss, backward, optimize ---------------------------------

    def forward_logits(self, X: np.ndarray) -> np.ndarray:
        """The logits z (n, n_outputs): every layer's forward in order."""
        activation = X
        for layer in self.layers:
            activation = layer.forward(activation)
        return activation

    def forward(self, X) -> np.ndarray:
        """Probabilities (n, n_outputs): the output activation applied to the logits.

        The logits are kept in ``self.logits`` for ``loss``.
        """
        X = np.asarray(X, dtype=self.dtype)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            # A single sample is a batch of one: the course notebook's forward(X[i]) bug.
            raise ValueError(f"X must have shape (n_samples, {self.n_features}), got {X.shape}; "
                             "for one sample use X.reshape(1, -1)")
        self.logits = self.forward_logits(X)
        return self.loss_function.probabilities(self.logits)

    def loss(self, y) -> float:
        """Cross-entropy of the last ``forward`` against targets y (0/1, or class indices)."""
        if self.output == "softmax":
            targets = np.asarray(y).reshape(-1).astype(np.intp)
        else:
            targets = np.asarray(y, dtype=self.dtype).reshape(self.logits.shape)
        return self.loss_function.forward(self.logits, targets)

    def backward(self, grad_logits: np.ndarray | None = None) -> None:
        """Fill every layer's gradients, from dL/dz (by default the loss's (p - y) / n)."""
        grad = self.loss_function.backward() if grad_logits is None else grad_logits
        for layer in reversed(self.layers):
            grad = layer.backward(grad)

    def optimize(self, learning_rate: float) -> None:
        """Plain gradient descent on every parameter: w = w - learning_rate * dL/dw."""
        learning_rate = check_positive_float(learning_rate, "learning_rate")
        for layer in self.dense_layers:
            layer.optimize(learning_rate)

    # -- structure and state -----------------------------------------------------------------

    @property
    def dense_layers(self) -> list[Layer]:
        return [layer for layer in self.layers if isinstance(layer, Layer)]

    @property
    def n_outputs(self) -> int:
        return self.neurons_per_layer[-1]

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Every (value, gradient) pair, in layer order: the link to an optimizer."""
        return [pair for layer in self.dense_layers for pair in layer.parameters()]

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the weights and biases, as ``"layers.<i>.weights"`` / ``".bias"``."""
        return {f"layers.{index}.{name}": getattr(layer, name).copy()
                for index, layer in enumerate(self.dense_layers) for name in ("weights", "bias")}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy weights into this model's arrays in place (optimizers keep their references)."""
        expected = self.state_dict()
        if state.keys() != expected.keys():
            raise ValueError(f"state does not match the model: expected {sorted(expected)}, "
                             f"got {sorted(state)}")
        for index, layer in enumerate(self.dense_layers):
            for name in ("weights", "bias"):
                target, saved = getattr(layer, name), np.asarray(state[f"layers.{index}.{name}"])
                if saved.shape != target.shape:
                    raise ValueError(f"layers.{index}.{name} has shape {saved.shape}, "
                                     f"expected {target.shape}")
                target[...] = saved

    def config(self) -> dict:
        """The constructor's arguments, enough to rebuild this architecture."""
        return {"n_features": self.n_features, "neurons_per_layer": self.neurons_per_layer,
                "activation": self.activation.config(), "output": self.output,
                "dtype": self.dtype.name, "standardize": self.standardize}

    def summary(self) -> str:
        """A table of the layers with their output shapes and parameter counts."""
        rows = [("Layer", "Output shape", "Parameters")]
        for layer in self.layers:
            if isinstance(layer, Layer):
                rows.append((repr(layer), f"(n, {layer.n_out})", f"{layer.weights.size + layer.bias.size:,}"))
            else:
                rows.append((repr(layer), "", "0"))
        rows.append((f"{type(self.loss_function).__name__} (output)", f"(n, {self.n_outputs})", "0"))
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
        rule = "-" * len(max(lines, key=len))
        total = sum(value.size for value, _ in self.parameters())
        return "\n".join([lines[0], rule, *lines[1:], rule,
                          f"Total parameters: {total:,} ({self.dtype.name})"])

    def __repr__(self) -> str:
        return (f"MLP(n_features={self.n_features}, neurons_per_layer={self.neurons_per_layer}, "
                f"activation={self.activation.name!r}, output={self.output!r}, dtype={self.dtype.name})")

    # -- the high-level API: validated inputs, labels, scaling --------------------------------

    def prepare_features(self, X) -> np.ndarray:
        """Validate X, cast it to the model's dtype and apply the standardisation, if any.

        Warns (FeatureRangeWarning) when X lies far outside the range of the training features.
        """
        features, feature_range = check_features(X, self.dtype, self.n_features, return_range=True)
        if self.feature_range_ is not None:
            warn_if_far_outside(feature_range, self.feature_range_)
        return self.scale_features(features)

    def note_feature_range(self, feature_range: tuple[float, float]) -> None:
        """Widen ``feature_range_`` to cover (smallest, largest) of training features, before scaling."""
        low, high = feature_range
        if self.feature_range_ is not None:
            low, high = min(low, self.feature_range_[0]), max(high, self.feature_range_[1])
        self.feature_range_ = (low, high)

    def scale_features(self, features: np.ndarray, fitting: bool = False) -> np.ndarray:
        """Checked features, standardised when the model standardises (learned when fitting)."""
        if not self.standardize:
            return features
        if fitting and self.scaler is None:
            self.scaler = Standardizer().fit(features)
        if self.scaler is None:
            raise ValueError("the model standardises its inputs but was never fitted")
        return self.scaler.transform(features)

    def encode_targets(self, y, n_samples: int, fitting: bool = False) -> np.ndarray:
        """The loss's targets: (n, k) 0/1 for sigmoid outputs, (n,) class indices for softmax."""
        if self.output == "sigmoid" and self.n_outputs > 1:
            return check_multilabel_targets(y, n_samples, self.n_outputs).astype(self.dtype)
        labels = check_labels(y, n_samples)
        if self.classes_ is None:
            if not fitting:
                raise ValueError("the model has no classes yet: fit it first")
            self.classes_ = infer_classes(labels, 2 if self.output == "sigmoid" else self.n_outputs)
        indices = encode_labels(labels, self.classes_)
        if self.output == "sigmoid":
            return indices.astype(self.dtype).reshape(-1, 1)
        return indices

    def fit(self, X, y, **options):
        """Train on X (n, n_features) and labels y; returns a History. See ``training.fit``."""
        from .training import fit
        return fit(self, X, y, **options)

    def predict_proba(self, X) -> np.ndarray:
        """Probabilities: (n,) for one sigmoid output (that of ``classes_[1]``), else (n, k)."""
        probabilities = self.predict_logits_in_batches(self.prepare_features(X), self.loss_function.probabilities)
        return probabilities[:, 0] if self.n_outputs == 1 else probabilities

    def predict(self, X, threshold: float = 0.5) -> np.ndarray:
        """Labels: the model's classes (threshold on the probability for sigmoid outputs)."""
        return self.labels_from_probabilities(self.predict_proba(X), threshold)

    def labels_from_probabilities(self, probabilities: np.ndarray, threshold: float = 0.5) -> np.ndarray:
        """The labels ``predict`` gives for the probabilities ``predict_proba`` gave."""
        if self.output == "softmax":
            indices = probabilities.argmax(axis=1)
        else:
            indices = (probabilities >= threshold).astype(int)
        # Multi-label outputs (and a model trained with the low-level loop) have no class names.
        return indices if self.classes_ is None else self.classes_[indices]

    def predict_logits_in_batches(self, features: np.ndarray, transform=None, batch_size: int = 4096):
        """Logits of already-prepared features, computed in chunks to bound memory."""
        chunks = []
        for start in range(0, len(features), batch_size):
            logits = self.forward_logits(features[start:start + batch_size])
            chunks.append(logits if transform is None else transform(logits))
        return np.concatenate(chunks)

    def evaluate(self, X, y) -> dict:
        """Loss and classification metrics on (X, y); see ``metrics.evaluate_model``."""
        from .metrics import evaluate_model
        return evaluate_model(self, X, y)

    def save(self, path, include_optimizer: bool = False) -> None:
        """Write architecture, weights, labels and scaling to one ``.npz`` file, atomically."""
        from .serialization import save
        save(self, path, include_optimizer=include_optimizer)
