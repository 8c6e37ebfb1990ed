"""A scikit-learn estimator around ``MLP``: pipelines, cross-validation and grid search.

``MLPClassifier`` is a thin adapter: scikit-learn's helpers check the inputs and record
``n_features_in_`` (and ``feature_names_in_`` for a DataFrame), then a numpy_mlp ``MLP``
is built and trained by numpy_mlp's own ``fit``. Needs the extra: pip install numpy-mlp[sklearn].
"""

from __future__ import annotations

import numbers

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.utils import check_random_state
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted
except ImportError as error:
    raise ImportError("numpy_mlp.sklearn needs scikit-learn; install it with: "
                      "pip install numpy-mlp[sklearn]") from error

try:
    from sklearn.utils.validation import validate_data
except ImportError:  # scikit-learn < 1.6 has the same helper as an estimator method
    def validate_data(estimator, *args, **kwargs):
        return estimator._validate_data(*args, **kwargs)

from .network import MLP, class_columns
from .optimizers import make_optimizer
from .validation import check_dtype


class MLPClassifier(ClassifierMixin, BaseEstimator):
    """A numpy_mlp ``MLP`` with scikit-learn's estimator API (fit, predict, predict_proba, score).

    The output follows the labels, as in the CLI: two classes get one sigmoid output
    p = P(classes_[1] | x), K > 2 classes a softmax over K outputs. The network is
    ``MLP(n_features, [*hidden_layer_sizes, n_outputs])``, trained for ``epochs`` passes of
    mini-batches of ``batch_size`` by ``make_optimizer(optimizer, learning_rate, weight_decay)``.

    optimizer: sgd, momentum, nesterov, rmsprop, adam or adamw; learning_rate a number or
        a schedule (``numpy_mlp.schedules``); weight_decay None keeps the optimizer's default.
    early_stopping: hold out ``validation_fraction`` of the training rows, stop when the
        validation loss has not improved for ``patience`` epochs and keep the best weights.
    standardize: learn (x - mean) / std on the training rows (inside the model).
    random_state: None, an int (the ``MLP`` seed) or a ``numpy.random.RandomState``.

    Fitted attributes: classes_, n_features_in_, feature_names_in_ (DataFrame input only),
    model_ (the ``MLP``), history_ (its ``History``), n_iter_ (epochs run), loss_curve_
    (the training loss of each epoch). ``partial_fit`` trains one epoch per call, for data
    that comes in parts.
    """

    def __init__(self, hidden_layer_sizes=(16,), activation="relu", optimizer="adam",
                 learning_rate=1e-3, weight_decay=None, epochs=200, batch_size=32,
                 early_stopping=False, validation_fraction=0.1, patience=10, standardize=True,
                 dtype="float32", random_state=None, verbose=0):
        # scikit-learn's rule: store the parameters as given; fit checks them.
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.standardize = standardize
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y):
        """Train a new network on X (n_samples, n_features) and labels y (n_samples,); returns self."""
        X, y = validate_data(self, X, y, dtype=check_dtype(self.dtype))
        check_classification_targets(y)
        model = self._build(X.shape[1], y)
        validation = {}
        if self.early_stopping:
            validation = {"validation_split": self.validation_fraction, "early_stopping": self.patience}
        self.history_ = model.fit(X, y, epochs=self.epochs, batch_size=self.batch_size,
                                  optimizer=model.optimizer, verbose=self.verbose, **validation)
        self.model_ = model
        self.n_iter_ = len(self.history_.epochs)
        self.loss_curve_ = list(self.history_["loss"])
        return self

    def partial_fit(self, X, y, classes=None):
        """One epoch over (X, y), going on from the network (and optimizer state) trained so far.

        For data that comes in parts: the first call builds the network and needs ``classes``,
        every label that any part will hold, since one part may lack some; later calls may leave
        it out. ``standardize`` learns its scaling from the first part alone: make that part
        representative, or scale the data beforehand with ``standardize=False``. ``epochs`` and
        early stopping do not apply; ``n_iter_`` counts the calls and ``loss_curve_`` their losses.
        """
        first_call = not hasattr(self, "model_")
        if first_call and classes is None:
            raise ValueError("classes must be given to the first call of partial_fit: every label "
                             "the data will hold, e.g. classes=np.unique(y_all)")
        X, y = validate_data(self, X, y, dtype=check_dtype(self.dtype), reset=first_call)
        check_classification_targets(y)
        if first_call:
            model = self._build(X.shape[1], np.asarray(classes))
            self.n_iter_, self.loss_curve_ = 0, []
        else:
            model = self.model_
            if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(f"classes {np.unique(classes).tolist()} differ from those of the first "
                                 f"call to partial_fit, {self.classes_.tolist()}")
        self.history_ = model.fit(X, y, epochs=1, batch_size=self.batch_size, optimizer=model.optimizer,
                                  verbose=self.verbose)
        self.model_ = model
        self.n_iter_ += 1
        self.loss_curve_.append(self.history_["loss"][-1])
        return self

    def _build(self, n_features: int, labels) -> MLP:
        """A new network, with its optimizer, for these features and labels (or classes); sets classes_."""
        hidden = self.hidden_layer_sizes
        hidden = [hidden] if isinstance(hidden, numbers.Integral) else list(hidden)
        model = MLP.for_labels(n_features, hidden, labels, activation=self.activation,
                               seed=_seed(self.random_state), dtype=check_dtype(self.dtype),
                               standardize=self.standardize)
        self.classes_ = model.classes_
        # The model keeps the labels and column names, so model_.save() makes a file the CLI can use.
        if hasattr(self, "feature_names_in_"):
            model.feature_names_ = [str(name) for name in self.feature_names_in_]
        model.optimizer = make_optimizer(self.optimizer, self.learning_rate, weight_decay=self.weight_decay)
        return model

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (n_samples, n_classes), columns in the order of ``classes_``.

        For two classes the one sigmoid output p gives the columns [1 - p, p].
        The result is float64, whatever the model's dtype: a float32 softmax row sums to 1
        only within a few 1e-7, so the rows are renormalised in float64 (scikit-learn's
        checks and metrics expect sums of 1 to float64 precision).
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=self.model_.dtype)
        probabilities = class_columns(self.model_.predict_proba(X))
        return probabilities / probabilities.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        """Labels from ``classes_``: the class of highest probability for each row."""
        # argmax of predict_proba rather than the model's threshold, so the two always agree
        probabilities = self.predict_proba(X)
        return self.classes_[probabilities.argmax(axis=1)]


def _seed(random_state):
    """The ``MLP`` seed: None or an int as given, else an int drawn from a RandomState."""
    if random_state is None or isinstance(random_state, numbers.Integral):
        return random_state
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
