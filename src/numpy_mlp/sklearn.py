"""Drop-ins for scikit-learn's ``MLPClassifier`` and ``MLPRegressor``, trained by numpy_mlp.

Code written for ``sklearn.neural_network`` runs with only the import changed::

    from numpy_mlp.sklearn import MLPClassifier   # was: from sklearn.neural_network import MLPClassifier

The estimators take scikit-learn's parameters with their meaning and set its fitted attributes
(``coefs_``, ``intercepts_``, ``loss_curve_``, ``best_loss_``, ``validation_scores_``,
``n_iter_``, ``t_``...); inside, a numpy_mlp ``MLP`` (``model_``) is trained by numpy_mlp's own
``fit``, and scikit-learn's end-of-epoch rules (``tol`` and ``n_iter_no_change``, the
``invscaling`` and ``adaptive`` learning rates, early stopping on the validation score) run as a
callback. Needs the extra: pip install numpy-mlp[sklearn].

Where they differ from scikit-learn's (``DIFFERENCES`` in the README):
- solver "lbfgs" is refused (numpy-mlp trains by mini-batch gradient descent); "adamw" and
  "rmsprop" are extra solvers; activation "leaky_relu" is extra.
- dtype="float32" by default (scikit-learn follows X's dtype): training is faster and
  predictions are computed in float64 all the same, so that they do not depend on which other
  rows are predicted with them. standardize (and, for the regressor, standardize_targets) learn
  the scaling inside the model; off by default, as scikit-learn does not scale.
- Weights start from He normal (ReLU) or Glorot uniform initialisation, biases at 0 (scikit-learn:
  uniform Glorot for both, with a factor 2 for logistic), so the same random_state gives a
  different network; predict warns (FeatureRangeWarning) on features far outside the training range.
- Early stopping holds out at least 2 samples, stratified when every class can be split;
  scikit-learn raises on data that small.
- alpha: scikit-learn adds alpha / 2 ||W||^2 / B to each batch's loss, B the batch's total
  sample weight (its size when unweighted); here B is the average batch's (the total weight over
  the number of batches), equal for full batches, within the last batch's shortfall otherwise.
- Sample weights: the loss is the weighted mean sum w_i L_i / sum w_i in both; weights must be
  >= 0 here. class_weight (a dict or "balanced") is extra, for the classifier.
- Several outputs: the loss is the mean over outputs (scikit-learn sums the cross-entropies of a
  multi-label classifier, and its squared-error gradient is that of the sum): the same minimum,
  a step 1/k as large.
- SGD's momentum keeps a running sum of gradients (PyTorch's form): the same steps as
  scikit-learn's while the rate is constant; a rate changed by invscaling or adaptive applies to
  the whole velocity at once. Adam adds epsilon to sqrt(v_hat) (the paper's Algorithm 1), where
  scikit-learn adds it to sqrt(v).
- loss_curve_ adds the L2 penalty computed with the weights at the end of each epoch; verbose
  prints scikit-learn's lines. A diverging fit raises ValueError naming the epoch.
- Extras: ``model_`` (the numpy_mlp MLP: save it for the CLI, ``choose_threshold``...),
  ``history_``; the classifier's ``predict`` takes a ``threshold`` for binary problems.
"""

from __future__ import annotations

import math
import numbers
import sys
import warnings

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.utils import check_random_state
    from sklearn.utils.metaestimators import available_if
    from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
    from sklearn.utils.validation import _check_sample_weight, check_is_fitted, column_or_1d
except ImportError as error:
    raise ImportError("numpy_mlp.sklearn needs scikit-learn; install it with: "
                      "pip install numpy-mlp[sklearn]") from error

try:
    from sklearn.utils.validation import validate_data
except ImportError:  # scikit-learn < 1.6 has the same helper as an estimator method
    def validate_data(estimator, *args, **kwargs):
        return estimator._validate_data(*args, **kwargs)

from .activations import log_softmax, softmax
from .callbacks import Callback
from .network import MLP
from .optimizers import SGD, Adam, AdamW, RMSProp
from .preprocessing import class_weight_vector
from .training import DivergenceError
from .validation import check_dtype

#: scikit-learn's activation names -> numpy_mlp's ("leaky_relu" is an extra)
ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu",
               "leaky_relu": "leaky_relu"}
#: the solvers: scikit-learn's "sgd" and "adam", and numpy_mlp's "adamw" and "rmsprop"
SOLVERS = ("sgd", "adam", "adamw", "rmsprop")
LEARNING_RATES = ("constant", "invscaling", "adaptive")
#: the rate below which the "adaptive" schedule stops instead of dividing it by 5 (scikit-learn's)
SMALLEST_ADAPTIVE_RATE = 1e-6


def _store_parameters(estimator, parameters: dict) -> None:
    """scikit-learn's rule: ``__init__`` stores its arguments as given, and ``fit`` checks them."""
    for name, value in parameters.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


class _MultilayerPerceptron(BaseEstimator):
    """What MLPClassifier and MLPRegressor share: checking the parameters, building the network
    and its optimizer, the training run and the fitted attributes."""

    def _fit(self, X, y, sample_weight, incremental: bool, classes=None):
        """fit (``incremental`` False: up to max_iter epochs) or partial_fit (one epoch)."""
        self._check_parameters()
        first_pass = not hasattr(self, "model_") or (not self.warm_start and not incremental)
        X, y = validate_data(self, X, y, multi_output=True, dtype=check_dtype(self.dtype), reset=first_pass,
                             y_numeric=not isinstance(self, ClassifierMixin))
        y, output, n_outputs = self._targets(y, first_pass, classes)
        weights = self._sample_weights(X, y, sample_weight)
        if first_pass:
            self._initialize(X.shape[1], output, n_outputs)
        elif n_outputs != self.n_outputs_:
            raise ValueError(f"y has {n_outputs} outputs, but the network was fitted with {self.n_outputs_}")
        try:
            self._train(X, y, weights, incremental)
        except DivergenceError as error:
            raise ValueError(f"Solver produced non-finite parameter weights: {error}") from None
        return self

    def _check_parameters(self) -> None:
        """scikit-learn's parameters, checked when fit starts (scikit-learn's names in the errors)."""
        if self.solver == "lbfgs":
            raise ValueError("solver='lbfgs' is not available in numpy-mlp, which trains by mini-batch gradient "
                             "descent: use solver='adam' (the default) or 'sgd', or scikit-learn's own estimator")
        for name, value, choices in (("solver", self.solver, SOLVERS), ("activation", self.activation, ACTIVATIONS),
                                     ("learning_rate", self.learning_rate, LEARNING_RATES)):
            if value not in choices:
                raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
        hidden = self._hidden_layer_sizes()
        if not all(isinstance(size, numbers.Integral) and size > 0 for size in hidden):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {list(hidden)}.")
        if self.batch_size != "auto" and not (isinstance(self.batch_size, numbers.Integral) and self.batch_size > 0):
            raise ValueError(f"batch_size must be 'auto' or a positive integer, got {self.batch_size!r}")
        for name in ("max_iter", "n_iter_no_change"):
            if not isinstance(getattr(self, name), numbers.Integral) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        for name in ("alpha", "tol", "power_t"):
            if not isinstance(getattr(self, name), numbers.Real) or not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be a number >= 0, got {getattr(self, name)!r}")

    def _hidden_layer_sizes(self) -> list:
        sizes = self.hidden_layer_sizes
        return [sizes] if not hasattr(sizes, "__iter__") else list(sizes)

    def _sample_weights(self, X, y, sample_weight) -> np.ndarray | None:
        """Each sample's weight (float64), or None: sample_weight, times the class weights if any."""
        return None if sample_weight is None else _check_sample_weight(sample_weight, X, dtype=np.float64)

    def _initialize(self, n_features: int, output: str, n_outputs: int) -> None:
        """A new network and the attributes a first fit starts from (scikit-learn's _initialize)."""
        hidden = self._hidden_layer_sizes()
        self.model_ = MLP(n_features, [*hidden, n_outputs], activation=ACTIVATIONS[self.activation], output=output,
                          seed=_seed(self.random_state), dtype=check_dtype(self.dtype), **self._scaling())
        if hasattr(self, "feature_names_in_"):  # so that model_.save() makes a file the CLI can use
            self.model_.feature_names_ = [str(name) for name in self.feature_names_in_]
        self.n_outputs_, self.n_layers_ = n_outputs, len(hidden) + 2
        self.out_activation_ = {"sigmoid": "logistic", "softmax": "softmax", "linear": "identity"}[self.model_.output]
        self.n_iter_, self.t_, self.loss_curve_, self._no_improvement_count = 0, 0, [], 0
        if self.early_stopping:
            self.validation_scores_, self.best_validation_score_, self.best_loss_ = [], -np.inf, None
            self._best_parameters = self.model_.parameters().values.copy()
        else:
            self.validation_scores_, self.best_validation_score_, self.best_loss_ = None, None, np.inf

    def _train(self, X, y, weights, incremental: bool) -> None:
        """Epochs of numpy_mlp's fit with scikit-learn's rules at the end of each (``_EndOfEpoch``)."""
        train, validation = self._split(X, y, weights)
        n_samples = len(train[0])
        batch_size = self._batch_size(n_samples)
        n_batches = math.ceil(n_samples / batch_size)
        total_weight = float(n_samples if train[2] is None else train[2].sum())
        model = self.model_
        if not incremental or model.optimizer is None:
            model.optimizer = self._make_optimizer()
        # L2 as scikit-learn scales it, alpha / 2 ||W||^2 / (a batch's weight): see the module docstring.
        l2 = self.alpha * n_batches / total_weight if self.solver != "adamw" and total_weight else 0.0
        model.optimizer.weight_decay = self.alpha if self.solver == "adamw" else l2
        end_of_epoch = _EndOfEpoch(self, validation, l2, incremental)
        self.n_iter_ = 0
        self.history_ = model.fit(train[0], train[1], sample_weight=train[2], batch_size=batch_size,
                                  epochs=1 if incremental else self.max_iter, optimizer=model.optimizer,
                                  shuffle=self.shuffle, callbacks=[end_of_epoch], verbose=0)

    def _split(self, X, y, weights):
        """(X, y, weights) to train on, and the validation triple of early stopping (or None):
        validation_fraction of the rows (at least 2), stratified for a single-label classifier when
        every class can be split (scikit-learn raises where this falls back to a plain random split)."""
        if not self.early_stopping:
            return (X, y, weights), None
        n_validation = max(math.ceil(self.validation_fraction * len(X)), 2)
        if len(X) - n_validation < 1:
            raise ValueError(f"The validation set is too small (n_samples = {len(X)}; early stopping holds out at "
                             "least 2). Increase 'validation_fraction' or the size of your dataset.")
        stratify = None
        if isinstance(self, ClassifierMixin) and y.ndim == 1:
            counts = np.unique(y, return_counts=True)[1]
            if counts.min() >= 2 and min(n_validation, len(X) - n_validation) >= len(counts):
                stratify = y
        arrays = (X, y) if weights is None else (X, y, weights)
        parts = train_test_split(*arrays, random_state=check_random_state(self.random_state),
                                 test_size=n_validation, stratify=stratify)
        return (*parts[0::2], None)[:3], (*parts[1::2], None)[:3]

    def _batch_size(self, n_samples: int) -> int:
        """'auto' is min(200, n_samples); a larger size is clipped to n_samples, with scikit-learn's warning."""
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going to be clipped")
        return min(self.batch_size, n_samples)

    def _make_optimizer(self):
        """The solver as a numpy_mlp optimizer (its weight decay is set by ``_train``)."""
        if self.solver == "sgd":
            return SGD(learning_rate=self.learning_rate_init, momentum=self.momentum,
                       nesterov=bool(self.nesterovs_momentum and self.momentum))
        if self.solver == "rmsprop":
            return RMSProp(learning_rate=self.learning_rate_init, eps=self.epsilon)
        algorithm = Adam if self.solver == "adam" else AdamW
        return algorithm(learning_rate=self.learning_rate_init, beta1=self.beta_1, beta2=self.beta_2, eps=self.epsilon,
                         weight_decay=0.0)

    def _logits(self, X) -> np.ndarray:
        """The network's logits of X in float64, whatever the model's dtype (see ``MLP._logits``)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=self.model_.dtype)
        return self.model_._logits(X, np.float64)

    @property
    def coefs_(self) -> list[np.ndarray]:
        """The weight matrices, layer by layer (the network's own arrays; with standardize=True the
        first applies to standardised features)."""
        check_is_fitted(self)
        return [layer.weights for layer in self.model_.dense_layers]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """The bias vectors, layer by layer (the network's own arrays)."""
        check_is_fitted(self)
        return [layer.bias for layer in self.model_.dense_layers]


class _EndOfEpoch(Callback):
    """scikit-learn's end of an epoch (its ``_fit_stochastic`` loop) as a numpy_mlp callback:
    ``loss_curve_`` (with the L2 penalty), ``t_``, the validation score of early stopping and its
    best weights, the ``tol`` / ``n_iter_no_change`` test, the invscaling and adaptive rates of
    SGD, scikit-learn's verbose lines and its ConvergenceWarning."""

    def __init__(self, estimator, validation, l2: float, incremental: bool):
        self.estimator, self.validation, self.l2, self.incremental = estimator, validation, l2, incremental

    def on_epoch_end(self, trainer, logs):
        estimator = self.estimator
        weights = [layer.weights for layer in trainer.model.dense_layers]
        penalty = 0.5 * self.l2 * sum(float(np.vdot(w, w)) for w in weights) if self.l2 else 0.0
        estimator.loss_ = logs["loss"] + penalty
        estimator.loss_curve_.append(estimator.loss_)
        estimator.n_iter_ += 1
        estimator.t_ += trainer.n_samples
        self._say(f"Iteration {estimator.n_iter_}, loss = {estimator.loss_:.8f}")
        self._count_no_improvement(trainer)
        sgd = estimator.solver == "sgd"
        if sgd and estimator.learning_rate == "invscaling":
            trainer.optimizer.learning_rate = estimator.learning_rate_init / (estimator.t_ + 1) ** estimator.power_t
        if estimator._no_improvement_count > estimator.n_iter_no_change:
            what = "Validation score" if estimator.early_stopping else "Training loss"
            message = f"{what} did not improve more than tol={estimator.tol:f} for " \
                      f"{estimator.n_iter_no_change} consecutive epochs."
            adaptive = sgd and estimator.learning_rate == "adaptive"
            if adaptive and trainer.optimizer.learning_rate > SMALLEST_ADAPTIVE_RATE:
                trainer.optimizer.learning_rate /= 5.0
                estimator._no_improvement_count = 0
                self._say(f"{message} Setting learning rate to {trainer.optimizer.learning_rate:f}")
            else:
                trainer.stop_training = True
                self._say(f"{message} Stopping.")
        if not trainer.stop_training and not self.incremental and estimator.n_iter_ == estimator.max_iter:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({estimator.max_iter}) reached and the "
                          "optimization hasn't converged yet.", ConvergenceWarning)

    def _count_no_improvement(self, trainer) -> None:
        """scikit-learn's _update_no_improvement_count: validation score or training loss against tol."""
        estimator = self.estimator
        if not estimator.early_stopping:
            last = estimator.loss_curve_[-1]
            improved = last <= estimator.best_loss_ - estimator.tol
            estimator.best_loss_ = min(estimator.best_loss_, last)
        else:
            score = estimator.score(*self.validation)  # accuracy or R^2, as scikit-learn's
            estimator.validation_scores_.append(score)
            self._say(f"Validation score: {score:f}")
            improved = not score < estimator.best_validation_score_ + estimator.tol
            if score > estimator.best_validation_score_:
                estimator.best_validation_score_ = score
                estimator._best_parameters = trainer.model.parameters().values.copy()
        estimator._no_improvement_count = 0 if improved else estimator._no_improvement_count + 1

    def on_train_end(self, trainer):
        if self.estimator.early_stopping:  # scikit-learn keeps the weights of the best validation score
            trainer.model.parameters().values[...] = self.estimator._best_parameters

    def _say(self, line: str) -> None:
        """scikit-learn's progress line on standard output, when verbose."""
        if self.estimator.verbose:
            sys.stdout.write(line + "\n")


class MLPClassifier(ClassifierMixin, _MultilayerPerceptron):
    """scikit-learn's MLPClassifier, trained by numpy_mlp (see the module docstring for the differences).

    Two classes get one sigmoid output p = P(classes_[1] | x), K > 2 classes a softmax over K
    outputs, and a multi-label y (a 2-D 0/1 array) one sigmoid per label. Parameters as in
    scikit-learn, plus: class_weight (a dict {label: weight} or "balanced", n_samples /
    (n_classes * count)), dtype ("float32" or "float64": what the network trains in) and
    standardize (learn (x - mean) / std inside the model).
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
                 batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5, max_iter=200,
                 shuffle=True, random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, n_iter_no_change=10, max_fun=15000, class_weight=None, dtype="float32",
                 standardize=False):
        _store_parameters(self, locals())

    def fit(self, X, y, sample_weight=None):
        """Train on X (n_samples, n_features) and labels y (n_samples,) or a 0/1 label matrix
        (n_samples, n_labels), for up to max_iter epochs; returns self."""
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(lambda estimator: _without_early_stopping(estimator))
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over (X, y), going on from the network and optimizer state trained so far.

        The first call needs ``classes``, every label that any part of the data will hold.
        """
        if not hasattr(self, "model_") and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _targets(self, y, first_pass: bool, classes=None):
        """y checked (a column becomes 1-D, with scikit-learn's warning) and classes_ learned on a first
        pass; returns y, the output activation and the number of outputs."""
        check_classification_targets(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        multilabel = type_of_target(y) == "multilabel-indicator"
        if first_pass:
            labels = np.arange(y.shape[1]) if multilabel else unique_labels(y if classes is None else classes)
            if len(labels) < 2:
                raise ValueError(f"a classifier needs samples of at least 2 classes, but y has only one class: "
                                 f"{labels.tolist()[0]!r}")
            self.classes_ = labels
        elif multilabel != self._is_multilabel():
            raise ValueError("y is not of the kind (multi-label or not) that the network was fitted on")
        elif not multilabel and np.setdiff1d(unique_labels(y), self.classes_).size:
            raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has {self.classes_}. "
                             f"'y' has {unique_labels(y)}.")
        if multilabel:
            return y, "sigmoid", y.shape[1]
        output, n_outputs = ("sigmoid", 1) if len(self.classes_) == 2 else ("softmax", len(self.classes_))
        return y, output, n_outputs

    def _is_multilabel(self) -> bool:
        return self.out_activation_ == "logistic" and self.n_outputs_ > 1

    def _initialize(self, n_features: int, output: str, n_outputs: int) -> None:
        super()._initialize(n_features, output, n_outputs)
        if not self._is_multilabel():  # the model maps its outputs to the labels, for save() and the CLI
            self.model_.classes_ = self.classes_

    def _sample_weights(self, X, y, sample_weight) -> np.ndarray | None:
        """sample_weight times the weight of each sample's class (class_weight, from all of y)."""
        weights = super()._sample_weights(X, y, sample_weight)
        if self.class_weight is None:
            return weights
        if y.ndim == 2:
            raise ValueError("class_weight is for one label per sample, not a multi-label y; use sample_weight")
        indices = np.searchsorted(self.classes_, y)
        per_sample = class_weight_vector(self.class_weight, indices, self.classes_)[indices]
        return per_sample if weights is None else weights * per_sample

    def _scaling(self) -> dict:
        return {"standardize": self.standardize}

    def predict_proba(self, X) -> np.ndarray:
        """Probabilities (n_samples, n_classes) in the order of ``classes_``, computed in float64;
        for a multi-label network, each label's probability (n_samples, n_labels)."""
        logits = self._class_logits(X)
        return self.model_.loss_function.outputs(logits) if self._is_multilabel() else softmax(logits)

    def predict_log_proba(self, X) -> np.ndarray:
        """The logarithm of ``predict_proba``, computed from the logits (it stays finite where a
        probability rounds to 0)."""
        logits = self._class_logits(X)
        return -np.logaddexp(0.0, -logits) if self._is_multilabel() else log_softmax(logits)

    def _class_logits(self, X) -> np.ndarray:
        """The logits in float64, a column per class: one sigmoid output z becomes the softmax
        logits [0, z] (softmax([0, z]) = [1 - p, p], with 1 - p exact where p rounds to 1)."""
        logits = self._logits(X)
        if self.model_.output == "sigmoid" and not self._is_multilabel():
            return np.column_stack([np.zeros(len(logits)), logits[:, 0]])
        return logits

    def predict(self, X, threshold: float | None = None) -> np.ndarray:
        """Labels from ``classes_``: the most probable class (p > 0.5 per label for a multi-label
        network). For two classes, ``threshold`` (or ``model_.threshold_``, which
        ``model_.choose_threshold`` sets) predicts classes_[1] when its probability is >= it."""
        check_is_fitted(self)
        probabilities = self.predict_proba(X)
        if self._is_multilabel():
            return (probabilities > 0.5).astype(int)
        threshold = self.model_.threshold_ if threshold is None else threshold
        if threshold is not None:
            if self.n_outputs_ != 1:
                raise ValueError("threshold is for two classes; this classifier has more")
            return self.classes_[(probabilities[:, 1] >= threshold).astype(int)]
        return self.classes_[probabilities.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {"multilabel": True}


class MLPRegressor(RegressorMixin, _MultilayerPerceptron):
    """scikit-learn's MLPRegressor, trained by numpy_mlp (see the module docstring for the differences).

    A linear output per target with half the squared error (loss="squared_error"; "poisson" is not
    available). Parameters as in scikit-learn, plus dtype, standardize and standardize_targets
    (learn (y - mean) / std of the targets in fit, undone by predict).
    """

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False, warm_start=False,
                 momentum=0.9, nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000, dtype="float32", standardize=False,
                 standardize_targets=False):
        _store_parameters(self, locals())

    def fit(self, X, y, sample_weight=None):
        """Train on X (n_samples, n_features) and targets y (n_samples,) or (n_samples, n_targets),
        for up to max_iter epochs; returns self."""
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(lambda estimator: _without_early_stopping(estimator))
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over (X, y), going on from the network and optimizer state trained so far."""
        return self._fit(X, y, sample_weight, incremental=True)

    def _targets(self, y, first_pass: bool, classes=None):
        """y as floats (a column becomes 1-D, with scikit-learn's warning); returns y, the output
        activation and the number of outputs."""
        if self.loss != "squared_error":
            raise ValueError(f"loss={self.loss!r} is not available in numpy-mlp; use loss='squared_error'")
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return y, "linear", 1 if y.ndim == 1 else y.shape[1]

    def _scaling(self) -> dict:
        return {"standardize": self.standardize, "standardize_targets": self.standardize_targets}

    def predict(self, X) -> np.ndarray:
        """Values (n_samples,) for one target, (n_samples, n_targets) for several, computed in float64."""
        logits = self._logits(X)
        values = self.model_._unscale_targets(logits)
        return values[:, 0] if self.n_outputs_ == 1 else values

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {"multioutput": True}


def _without_early_stopping(estimator) -> bool:
    """partial_fit exists only without early stopping (one epoch per call holds nothing out)."""
    if estimator.early_stopping:
        raise AttributeError("partial_fit does not support early_stopping=True")
    return True


def _seed(random_state):
    """The ``MLP`` seed: None or an int as given, else an int drawn from a RandomState."""
    if random_state is None or isinstance(random_state, numbers.Integral):
        return random_state
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
