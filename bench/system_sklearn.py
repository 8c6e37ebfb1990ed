"""scikit-learn's ``MLPClassifier`` with the same sizes, one epoch (``max_iter=1``), no regularisation."""

from __future__ import annotations

import numpy as np
from gemm_rate import blas_threads
import sklearn
from sklearn.neural_network import MLPClassifier


def not_applicable(system, workload):
    return None


class Runner:
    def __init__(self, system, workload, X, y, seed, threads):
        self.workload, self.X, self.y, self.seed = workload, X, y, seed
        self.label, self.note = "sklearn MLPClassifier", None
        self.classifier = self.new_classifier()

    def new_classifier(self) -> MLPClassifier:
        workload = self.workload
        return MLPClassifier(
            hidden_layer_sizes=workload.hidden, activation="relu", solver=workload.optimizer,
            alpha=0.0, batch_size=workload.batch_size, learning_rate="constant",
            learning_rate_init=workload.learning_rate, momentum=0.0, nesterovs_momentum=False,
            max_iter=1, shuffle=True, tol=0.0, n_iter_no_change=10**9, early_stopping=False,
            random_state=self.seed)

    def warm_up(self):
        size = 2 * self.workload.batch_size + self.workload.batch_size // 2
        self.new_classifier().fit(self.X[:size], self.y[:size])

    def train_epoch(self):
        # fit() initialises and trains: that is what a user of max_iter=1 pays for one epoch.
        self.classifier.fit(self.X, self.y)

    def loss(self, X, y) -> float:
        if not hasattr(self.classifier, "coefs_"):  # fit() creates the weights: none to evaluate before
            return float("nan")
        probabilities = self.classifier.predict_proba(X)
        picked = probabilities[np.arange(len(y)), y]
        return float(-np.mean(np.log(np.clip(picked, 1e-12, None))))

    def parameter_dtype(self) -> str:
        return str(self.classifier.coefs_[0].dtype) if hasattr(self.classifier, "coefs_") else "?"

    def threads(self):
        return blas_threads()

    def versions(self):
        return {"scikit-learn": sklearn.__version__}
