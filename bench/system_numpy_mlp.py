"""numpy-mlp through its public API: ``MLP(...).fit(X, y, epochs=1, optimizer=...)``."""

from __future__ import annotations

import numpy as np
from gemm_rate import blas_threads

import numpy_mlp
from numpy_mlp import MLP
from numpy_mlp.optimizers import SGD

try:
    from numpy_mlp.optimizers import Adam
except ImportError:  # the optimizers issue adds it; until then the Adam workload runs SGD, labelled
    Adam = None


def not_applicable(system, workload):
    return None


class Runner:
    """One model and one optimizer; the warm-up is a short ``fit`` on the first batches."""

    def __init__(self, system, workload, X, y, seed, threads):
        self.workload, self.X, self.y = workload, X, y
        self.model = MLP(workload.n_features, [*workload.hidden, workload.n_outputs], activation="relu",
                         output=workload.output, seed=seed, dtype=np.float32)
        self.label, self.note = "numpy-mlp", None
        if workload.optimizer == "adam" and Adam is not None:
            self.optimizer = Adam(learning_rate=workload.learning_rate)
        else:
            self.optimizer = SGD(learning_rate=workload.learning_rate)
            if workload.optimizer == "adam":
                self.label = "numpy-mlp (SGD fallback)"
                self.note = ("numpy_mlp.optimizers has no Adam yet: this run uses SGD with the same "
                             "learning rate, which skips Adam's element-wise passes (an underestimate)")

    def fit(self, X, y):
        self.model.fit(X, y, epochs=1, batch_size=self.workload.batch_size, optimizer=self.optimizer,
                       shuffle=True, verbose=0)

    def warm_up(self):
        # Two full batches and a short one: every code path of the epoch, including the last batch's.
        size = 2 * self.workload.batch_size + self.workload.batch_size // 2
        self.fit(self.X[:size], self.y[:size])

    def train_epoch(self):
        self.fit(self.X, self.y)

    def loss(self, X, y) -> float:
        self.model.forward(X)
        return float(self.model.loss(y))

    def parameter_dtype(self) -> str:
        return str(self.model.parameters()[0][0].dtype)

    def threads(self):
        return blas_threads()

    def versions(self):
        return {"numpy_mlp": numpy_mlp.__version__, "numpy": np.__version__}
