"""The multilayer perceptron: layers in sequence, a fused output loss, and the fit/predict API."""

from __future__ import annotations

import copy
import numbers

import numpy as np

from . import metrics, serialization, training
from .activations import get_activation
from .layers import Dropout, Layer
from .losses import LOSS_FOR_OUTPUT
from .optimizers import OPTIMIZERS
from .parameters import tile, without_arrays
from .preprocessing import (Standardizer, check_multilabel_targets, check_regression_targets, encode_labels,
                            infer_classes, refuse_continuous_labels)
from .validation import (check_choice, check_dtype, check_features, check_fraction, check_labels,
                         check_positive_float, check_positive_int, check_threshold, column_names,
                         warn_if_far_outside)


class MLP:
    """A multilayer perceptron for classification and regression, trained by hand-written backpropagation.

    ``MLP(n_features, neurons_per_layer)`` builds Layer, activation, Layer, ..., Layer: one
    dense layer per entry of ``neurons_per_layer``, the last entry being the number of
    outputs. The network computes logits z; the output activation (``"sigmoid"``: independent
    probabilities, ``"softmax"``: one distribution over K classes, ``"linear"``: the values
    themselves, for regression) is fused with its loss (cross-entropy, or half the squared
    error), so backpropagation starts from dL/dz = (p - y) / n.

    dropout: a rate in [0, 1) after every hidden activation, or a list of one rate per hidden
        layer (``Dropout`` layers, active only while training).
    standardize: learn (x - mean) / std of the features in fit; standardize_targets (regression):
        the same for the targets, undone by ``predict``. Both are saved with the model.

    Low level, for learners (X an array of the model's dtype, y of 0/1 or class indices)::

        probabilities = model.forward(X)   # (n, n_outputs), each in [0, 1]
        loss = model.loss(y)               # cross-entropy from the cached logits
        model.backward()                   # every layer's gradients, from dL/dz = (p - y) / n
        model.optimize(learning_rate)      # w = w - learning_rate * dL/dw

    ``forward(X, training=True)`` drops units in a model with dropout. High level, for
    practitioners: ``fit``, ``predict``, ``predict_proba``, ``evaluate``, ``choose_threshold``,
    ``save``; these validate their inputs, map labels and apply the optional standardisation.
    """

    def __init__(self, n_features: int, neurons_per_layer, activation="relu", output: str = "sigmoid",
                 seed=None, dtype=np.float32, standardize: bool = False, dropout=0.0,
                 standardize_targets: bool = False):
        self.n_features = check_positive_int(n_features, "n_features")
        if isinstance(neurons_per_layer, (int, np.integer)):
            neurons_per_layer = [neurons_per_layer]
        self.neurons_per_layer = [check_positive_int(n, "each entry of neurons_per_layer")
                                  for n in neurons_per_layer]
        if not self.neurons_per_layer:
            raise ValueError("neurons_per_layer must list at least one layer (the output)")
        _check_output(output, self.neurons_per_layer[-1], standardize_targets)
        self.dropout = _dropout_rates(dropout, len(self.neurons_per_layer) - 1)
        self.dtype = check_dtype(dtype)
        self.output = output
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.activation = get_activation(activation)
        self.layers = self._build_layers()
        self.has_dropout = any(self.dropout)
        self.loss_function = LOSS_FOR_OUTPUT[output]()
        # Every weight and bias end to end in one flat array (the layers hold views): see parameters.py.
        self._parameters = tile(self.dense_layers, self.dtype)

        self.standardize = bool(standardize)
        self.standardize_targets = bool(standardize_targets)
        self.scaler: Standardizer | None = None
        self.target_scaler: Standardizer | None = None  # the targets' standardisation (regression)
        self.classes_: np.ndarray | None = None
        self.threshold_: float | None = None  # the decision threshold choose_threshold picked
        self.feature_names_: list[str] | None = None  # column names, when trained from a table
        self.feature_range_: tuple[float, float] | None = None  # smallest and largest training feature
        self.optimizer = None  # the last optimizer fit used, kept for resuming
        self.epochs_trained = 0
        self.planned_epochs = 0  # the epoch the last fit was asked to reach,
        self.batch_size = None  # and its batch size
        self.training_metrics: dict[str, float] = {}  # the last epoch's loss, accuracy... of the last fit

    def _build_layers(self) -> list:
        """Layer, activation, [Dropout,] Layer, ..., Layer: the output activation is fused into the loss."""
        layers = []
        sizes = [self.n_features, *self.neurons_per_layer]
        for index, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Layer(n_in, n_out, self.rng, self.activation.initializer, self.dtype))
            if index < len(self.dropout):  # a hidden layer
                layers.append(copy.copy(self.activation))  # each activation caches its own forward
                if self.dropout[index]:
                    layers.append(Dropout(self.dropout[index], self.rng))
        layers[0].needs_input_grad = False
        return layers

    @classmethod
    def for_labels(cls, n_features: int, hidden_layers, y, name: str = "y", **options) -> "MLP":
        """An MLP whose output fits the labels y: one sigmoid output for two classes, a softmax
        over K outputs for K > 2 (``options`` go to the constructor).

        ``classes_`` is set from all of y, so a class that a training split lacks is still known.
        Numeric labels that look continuous (see ``refuse_continuous_labels``) are refused with a
        pointer to ``for_targets``.
        """
        labels = np.asarray(y)
        refuse_continuous_labels(labels, name)
        classes = np.unique(labels)
        if len(classes) < 2:
            raise ValueError(f"a classifier needs samples of at least 2 classes, but {name} has only "
                             f"one class: {classes.tolist()[0]!r}")
        output, n_outputs = ("sigmoid", 1) if len(classes) == 2 else ("softmax", len(classes))
        model = cls(n_features, [*hidden_layers, n_outputs], output=output, **options)
        model.classes_ = infer_classes(labels, len(classes))
        return model

    @classmethod
    def for_targets(cls, n_features: int, hidden_layers, y, name: str = "y", **options) -> "MLP":
        """A regressor for the targets y: a linear output per target, one for y of shape (n,),
        k for (n, k); ``options`` go to the constructor (``standardize_targets=True`` is advised
        for targets far from unit scale)."""
        targets = check_regression_targets(y, name=name)
        return cls(n_features, [*hidden_layers, targets.shape[1]], output="linear", **options)

    # -- the low-level API: forward, loss, backward, optimize ---------------------------------

    def forward_logits(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """The logits z (n, n_outputs): every layer's forward in order (dropout drops units only
        when ``training``)."""
        if self.has_dropout:
            self._set_training(training)
        activation = X
        for layer in self.layers:
            activation = layer.forward(activation)
        return activation

    def _set_training(self, training: bool) -> None:
        """Tell the Dropout layers whether the next forward trains (drops units) or infers."""
        for layer in self.layers:
            if isinstance(layer, Dropout):
                layer.training = training

    def forward(self, X, training: bool = False) -> np.ndarray:
        """Outputs (n, n_outputs): the output activation applied to the logits (probabilities, or
        a regressor's values). ``training=True`` applies dropout, for the low-level training loop.

        The logits are kept in ``self.logits`` for ``loss``.
        """
        X = np.asarray(X, dtype=self.dtype)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            # A single sample is a batch of one: the course notebook's forward(X[i]) bug.
            raise ValueError(f"X must have shape (n_samples, {self.n_features}), got {X.shape}; "
                             "for one sample use X.reshape(1, -1)")
        self.logits = self.forward_logits(X, training)
        return self.loss_function.outputs(self.logits)

    def loss(self, y) -> float:
        """The loss of the last ``forward`` against targets y (0/1, class indices, or values)."""
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

    def forward_in_chunks(self, features: np.ndarray) -> np.ndarray:
        """``forward_logits`` of many rows (already checked and scaled), a chunk at a time to bound memory."""
        chunks = [self.forward_logits(features[start:start + metrics.CHUNK_ROWS])
                  for start in range(0, len(features), metrics.CHUNK_ROWS)]
        return chunks[0] if len(chunks) == 1 else np.concatenate(chunks)

    # -- structure and state -----------------------------------------------------------------

    @property
    def dense_layers(self) -> list[Layer]:
        return [layer for layer in self.layers if isinstance(layer, Layer)]

    @property
    def n_outputs(self) -> int:
        return self.neurons_per_layer[-1]

    def parameters(self):
        """Every (value, gradient) pair, in layer order: the link to an optimizer.

        A ``FlatParameters`` (parameters.py): it iterates like a list of pairs, and lets an
        optimizer update all of them at once.
        """
        return self._parameters

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the weights and biases, as ``"layers.<i>.weights"`` / ``".bias"``."""
        return {f"layers.{index}.{name}": getattr(layer, name).copy()
                for index, layer in enumerate(self.dense_layers) for name in Layer.parameter_names}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy weights into this model's arrays in place (optimizers keep their references)."""
        expected = self.state_dict()
        if state.keys() != expected.keys():
            raise ValueError(f"state does not match the model: expected {sorted(expected)}, "
                             f"got {sorted(state)}")
        for index, layer in enumerate(self.dense_layers):
            for name in Layer.parameter_names:
                target, saved = getattr(layer, name), np.asarray(state[f"layers.{index}.{name}"])
                if saved.shape != target.shape:
                    raise ValueError(f"layers.{index}.{name} has shape {saved.shape}, "
                                     f"expected {target.shape}")
                target[...] = saved

    def __getstate__(self) -> dict:
        # pickle and deepcopy would copy each layer's arrays apart from the flat storage they are
        # views of (and the caches hold the last batch): keep the storage alone; __setstate__
        # points the layers at it again, so that a copy trains like the original.
        state = self.__dict__.copy()
        state["layers"] = [without_arrays(layer) for layer in self.layers]
        state["loss_function"] = without_arrays(self.loss_function)
        state.pop("logits", None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._parameters.bind(self.dense_layers)

    def config(self) -> dict:
        """The constructor's arguments, enough to rebuild this architecture.

        ``dropout`` and ``standardize_targets`` appear only when used, so the files of models
        without them stay readable by versions that predate them.
        """
        config = {"n_features": self.n_features, "neurons_per_layer": self.neurons_per_layer,
                  "activation": self.activation.config(), "output": self.output,
                  "dtype": self.dtype.name, "standardize": self.standardize}
        if self.has_dropout:
            config["dropout"] = self.dropout
        if self.standardize_targets:
            config["standardize_targets"] = True
        return config

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
        return "\n".join([lines[0], rule, *lines[1:], rule,
                          f"Total parameters: {self._parameters.values.size:,} ({self.dtype.name})"])

    def __repr__(self) -> str:
        dropout = f", dropout={self.dropout}" if self.has_dropout else ""
        return (f"MLP(n_features={self.n_features}, neurons_per_layer={self.neurons_per_layer}, "
                f"activation={self.activation.name!r}, output={self.output!r}{dropout}, dtype={self.dtype.name})")

    # -- the high-level API: validated inputs, labels, scaling --------------------------------

    def fit(self, X, y, **options) -> training.History:
        """Train on X (n, n_features) and labels or targets y; returns a History. See ``training.fit``
        (options: epochs, batch_size, optimizer, sample_weight, class_weight, validation...)."""
        return training.fit(self, X, y, **options)

    def predict_proba(self, X) -> np.ndarray:
        """Probabilities: (n,) for one sigmoid output (that of ``classes_[1]``), else (n, k)."""
        if self.output == "linear":
            raise ValueError("predict_proba is for classifiers, and this model is a regressor "
                             "(output='linear'): predict gives its values")
        probabilities = self.loss_function.outputs(self._logits(X))
        return probabilities[:, 0] if self.n_outputs == 1 else probabilities

    def predict(self, X, threshold: float | None = None) -> np.ndarray:
        """Labels: the model's classes (a sigmoid output's probability against ``threshold``, by
        default the one ``choose_threshold`` stored, else 0.5); for a regressor, the values:
        (n,) for one target, (n, k) for k."""
        if self.output == "linear":
            self._stored_threshold(threshold)  # refuses a threshold
            values = self._unscale_targets(self._logits(X))
            return values[:, 0] if self.n_outputs == 1 else values
        return self._labels_from_probabilities(self.predict_proba(X), threshold)

    def evaluate(self, X, y, threshold: float | None = None) -> dict:
        """Loss and metrics on (X, y): ``metrics.classification_report`` (at ``threshold``, by default
        the stored one) or, for a regressor, ``metrics.regression_report`` in the targets' units."""
        features = self._prepare_features(X)
        targets = self._encode_targets(y, len(features))
        logits = self.forward_in_chunks(features)
        if self.output == "linear":
            self._stored_threshold(threshold)  # refuses a threshold
            return metrics.regression_report(self.loss_function, logits, self._scale_targets(targets),
                                             self._unscale_targets(logits), targets)
        return metrics.classification_report(self.loss_function, logits, targets, self._stored_threshold(threshold))

    def choose_threshold(self, X, y, metric: str = "f1") -> float:
        """Store in ``threshold_`` and return the decision threshold that maximises ``metric``
        (``"f1"`` or ``"balanced_accuracy"``) on (X, y), for a binary classifier.

        Give it validation data, never the test set. ``predict`` and ``evaluate`` then use the
        threshold, and ``save`` keeps it. See ``metrics.best_threshold``.
        """
        check_choice(metric, "metric", tuple(metrics.THRESHOLD_METRICS))
        if self.output != "sigmoid" or self.n_outputs != 1:
            raise ValueError("choose_threshold is for binary classifiers (one sigmoid output), "
                             f"and this model has {self.n_outputs} {self.output} outputs")
        features, targets = self._prepare_data(X, y)
        # In float64, so that probabilities near 0 or 1 stay apart.
        scores = self.loss_function.outputs(self.forward_in_chunks(features).astype(np.float64))[:, 0]
        self.threshold_ = metrics.best_threshold(targets[:, 0], scores, metric)
        return self.threshold_

    def save(self, path, include_optimizer: bool = False) -> None:
        """Write architecture, weights, labels and scaling to one ``.npz`` file, atomically."""
        arrays, metadata = self._file_contents(include_optimizer)
        serialization.write_model_file(path, arrays, metadata)

    def to_onnx(self, path=None, **options):
        """This model as an ONNX graph (an ``onnx.ModelProto``; see ``onnx_export.to_onnx`` for
        ``opset``), also written to ``path`` when given. Needs ``pip install numpy-mlp[onnx]``."""
        from . import onnx_export  # imports the optional onnx package

        return onnx_export.to_onnx(self, path, **options)

    def _logits(self, X, dtype=None) -> np.ndarray:
        """The logits (n, n_outputs) of the features X, checked and scaled; computed in ``dtype``
        when given: float64 from a float32 model gives results that do not depend, to ~1e-16, on
        which other rows share the batch (BLAS sums a float32 product in an order that does)."""
        features = self._prepare_features(X)
        return self.forward_in_chunks(features if dtype is None else features.astype(dtype))

    def _stored_threshold(self, threshold: float | None) -> float | None:
        """``threshold`` checked, or the one ``choose_threshold`` stored (None: the plain rule)."""
        if threshold is None:
            return self.threshold_
        if self.output == "linear":
            raise ValueError("threshold is for classifiers; this model is a regressor (output='linear')")
        if self.output != "sigmoid":
            raise ValueError(f"threshold applies to sigmoid outputs; this model's output is {self.output!r}")
        return check_threshold(threshold)

    def _labels_from_probabilities(self, probabilities: np.ndarray, threshold: float | None = None) -> np.ndarray:
        """The labels ``predict`` gives for the probabilities ``predict_proba`` gave."""
        threshold = self._stored_threshold(threshold)
        if self.output == "softmax":
            indices = probabilities.argmax(axis=1)
        else:
            indices = (probabilities >= (0.5 if threshold is None else threshold)).astype(int)
        # Multi-label outputs (and a model trained with the low-level loop) have no class names.
        return indices if self.classes_ is None else self.classes_[indices]

    def _prepare_features(self, X) -> np.ndarray:
        """X checked, cast to the model's dtype and standardised if the model standardises.

        Warns (FeatureRangeWarning) when X lies far outside the range of the training features.
        """
        features, feature_range = check_features(self._in_training_order(X), self.dtype, self.n_features,
                                                 return_range=True)
        if self.feature_range_ is not None:
            warn_if_far_outside(feature_range, self.feature_range_)
        return self._scale_features(features)

    def _in_training_order(self, X):
        """A DataFrame's columns in the order of the features the model was trained on, found by name
        (a ValueError names those missing or unexpected); other inputs as they are."""
        names = column_names(X)
        if names is None or self.feature_names_ is None or names == self.feature_names_:
            return X
        missing = [name for name in self.feature_names_ if name not in names]
        unexpected = [name for name in names if name not in self.feature_names_]
        if missing or unexpected or len(set(names)) != len(names):
            raise ValueError(f"X's columns are not the features the model was trained on: missing "
                             f"{_listed(missing)}; unexpected {_listed(unexpected)}")
        return X.iloc[:, [names.index(name) for name in self.feature_names_]]

    def _prepare_data(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        """(features, targets) of labelled data, for validation and evaluation, both scaled."""
        features = self._prepare_features(X)
        return features, self._scale_targets(self._encode_targets(y, len(features)))

    def _check_training_data(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        """Training (features, targets), checked and encoded but not yet scaled; learns the
        classes, the column names of a DataFrame and the range of the features."""
        if self.feature_names_ is None:  # a DataFrame's column names are kept, as scikit-learn does
            self.feature_names_ = column_names(X)
        features, (low, high) = check_features(self._in_training_order(X), self.dtype, self.n_features,
                                               return_range=True)
        targets = self._encode_targets(y, len(features), fitting=True)
        if self.feature_range_ is not None:  # widened by each fit
            low, high = min(low, self.feature_range_[0]), max(high, self.feature_range_[1])
        self.feature_range_ = (low, high)
        return features, targets

    def _scale_features(self, features: np.ndarray, fitting: bool = False, weights=None) -> np.ndarray:
        """Checked features, standardised when the model standardises (learned when fitting, with
        the samples' weights if any)."""
        return self._standardised(features, "scaler", fitting, weights) if self.standardize else features

    def _scale_targets(self, targets: np.ndarray, fitting: bool = False, weights=None) -> np.ndarray:
        """Encoded targets, standardised when a regressor standardises them (learned when fitting)."""
        return self._standardised(targets, "target_scaler", fitting, weights) if self.standardize_targets else targets

    def _unscale_targets(self, values: np.ndarray) -> np.ndarray:
        """A regressor's outputs (n, k) in the units of its targets: z * std + mean."""
        return self._scaler("target_scaler").inverse_transform(values) if self.standardize_targets else values

    def _standardised(self, values: np.ndarray, name: str, fitting: bool, weights=None) -> np.ndarray:
        """``values`` standardised by the Standardizer in attribute ``name``, learned first when fitting."""
        if fitting and getattr(self, name) is None:
            setattr(self, name, Standardizer().fit(values, weights))
        return self._scaler(name).transform(values)

    def _scaler(self, name: str) -> Standardizer:
        """The Standardizer in attribute ``name`` ("scaler", "target_scaler"), which fit learns."""
        if getattr(self, name) is None:
            what = "inputs" if name == "scaler" else "targets"
            raise ValueError(f"the model standardises its {what} but was never fitted")
        return getattr(self, name)

    def _encode_targets(self, y, n_samples: int, fitting: bool = False) -> np.ndarray:
        """The loss's targets: (n, k) 0/1 for sigmoid outputs, (n,) class indices for softmax,
        (n, k) values for a regressor (not yet standardised)."""
        if self.output == "linear":
            return check_regression_targets(y, n_samples, self.n_outputs, self.dtype)
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

    # -- model files ---------------------------------------------------------------------------

    def _file_contents(self, include_optimizer: bool) -> tuple[dict[str, np.ndarray], dict]:
        """The arrays and the JSON metadata that a model file holds (see serialization.py)."""
        metadata = {
            "config": self.config(),
            "classes": None if self.classes_ is None else self.classes_.tolist(),
            "feature_names": self.feature_names_,
            "feature_range": None if self.feature_range_ is None else list(self.feature_range_),
            "epochs_trained": self.epochs_trained,
            "planned_epochs": self.planned_epochs,
            "batch_size": self.batch_size,
            "training_metrics": self.training_metrics,
            "rng_state": self.rng.bit_generator.state,
            "threshold": self.threshold_,
        }
        arrays = self.state_dict()
        if self.scaler is not None:
            arrays["scaler.mean"], arrays["scaler.std"] = self.scaler.mean, self.scaler.std
        if self.target_scaler is not None:
            arrays["target_scaler.mean"], arrays["target_scaler.std"] = self.target_scaler.mean, self.target_scaler.std
        if include_optimizer:
            if self.optimizer is None:
                raise ValueError("include_optimizer=True, but the model has no optimizer: fit it first")
            metadata["optimizer"] = {"name": self.optimizer.name, "config": self.optimizer.config()}
            arrays.update({f"optimizer.{key}": value for key, value in self.optimizer.state_dict().items()})
        return arrays, metadata

    @classmethod
    def _from_file_contents(cls, arrays: dict[str, np.ndarray], metadata: dict) -> "MLP":
        """The model that ``_file_contents`` described, its metadata checked by serialization.py."""
        model = cls(**metadata["config"])
        model.load_state_dict({key: value for key, value in arrays.items() if key.startswith("layers.")})
        if "scaler.mean" in arrays:
            model.scaler = Standardizer(*(arrays[f"scaler.{name}"].astype(model.dtype) for name in ("mean", "std")))
        if "target_scaler.mean" in arrays:
            model.target_scaler = Standardizer(*(arrays[f"target_scaler.{name}"].astype(model.dtype)
                                                 for name in ("mean", "std")))
        model.threshold_ = metadata.get("threshold")  # absent from older files
        if metadata.get("classes") is not None:
            model.classes_ = np.asarray(metadata["classes"])
        model.feature_names_ = metadata.get("feature_names")
        if metadata.get("feature_range") is not None:  # absent from files of older versions
            model.feature_range_ = tuple(float(value) for value in metadata["feature_range"])
        model.epochs_trained = metadata["epochs_trained"]
        model.planned_epochs = metadata.get("planned_epochs", model.epochs_trained)  # absent before 0.2
        model.batch_size = metadata.get("batch_size")
        model.training_metrics = metadata.get("training_metrics", {})
        model.rng.bit_generator.state = metadata["rng_state"]
        if "optimizer" in metadata:
            model.optimizer = _saved_optimizer(metadata["optimizer"])
            model.optimizer.attach(model.parameters())
            model.optimizer.load_state_dict({key.removeprefix("optimizer."): value for key, value in arrays.items()
                                             if key.startswith("optimizer.")})
        return model


def _check_output(output: str, n_outputs: int, standardize_targets: bool) -> None:
    """The output activation must be known and fit the number of outputs."""
    if output not in LOSS_FOR_OUTPUT:
        raise ValueError(f"output must be one of {sorted(LOSS_FOR_OUTPUT)}, got {output!r}")
    if output == "softmax" and n_outputs < 2:
        raise ValueError("a softmax output needs at least 2 outputs; for two classes use "
                         "output='sigmoid' with 1 output, or a last layer of 2")
    if standardize_targets and output != "linear":
        raise ValueError(f"standardize_targets is for regression (output='linear'), not output={output!r}")


def _dropout_rates(dropout, n_hidden: int) -> list[float]:
    """One dropout rate in [0, 1) per hidden layer, from one number for all of them or a list."""
    if isinstance(dropout, numbers.Real) and not isinstance(dropout, bool):
        rate = check_fraction(dropout, "dropout")
        if rate and not n_hidden:
            raise ValueError("dropout applies after hidden layers, and this network has none")
        return [rate] * n_hidden
    if isinstance(dropout, (str, bytes)) or not hasattr(dropout, "__iter__"):
        raise TypeError(f"dropout must be a rate or a list of rates, one per hidden layer, got {dropout!r}")
    rates = list(dropout)
    if len(rates) != n_hidden:
        raise ValueError(f"dropout lists {len(rates)} rates for {n_hidden} hidden layers; give one per hidden layer")
    return [check_fraction(rate, "each dropout rate") for rate in rates]


def _saved_optimizer(description: dict):
    """The optimizer a model file describes, its state still to be loaded."""
    name = description["name"]
    if name not in OPTIMIZERS:
        raise ValueError(f"it was saved with optimizer {name!r}, which this numpy-mlp does not have "
                         f"(it has {sorted(OPTIMIZERS)})")
    return OPTIMIZERS[name].from_config(description["config"])


def _listed(names: list[str], most: int = 8) -> str:
    """'a, b, c' (the first ``most`` names, then how many more), or 'none'."""
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(map(repr, names[:most])) + more if names else "none"


def class_columns(probabilities: np.ndarray) -> np.ndarray:
    """``predict_proba``'s result as float64 with a column per class: p of one sigmoid becomes [1 - p, p]."""
    probabilities = probabilities.astype(np.float64)
    return np.column_stack([1.0 - probabilities, probabilities]) if probabilities.ndim == 1 else probabilities


def load(path) -> MLP:
    """Read a model written by ``MLP.save`` (and its optimizer, if saved with it).

    Raises FileNotFoundError for a missing file and ModelFileError for a file that is not a
    numpy-mlp model this version can read (corrupt, truncated, foreign or newer).
    """
    return load_with_metadata(path)[0]


def load_with_metadata(path) -> tuple[MLP, dict]:
    """``load``, and the file's checked JSON metadata (format version, training record...)."""
    arrays, metadata = serialization.read_model_file(path)
    try:
        return MLP._from_file_contents(arrays, metadata), metadata
    except (KeyError, TypeError, ValueError) as error:  # a value the constructors refuse
        raise serialization.ModelFileError(f"{path} is not a valid numpy-mlp model file: {error}") from None
