"""The two benchmark workloads: their shapes, their synthetic data, and the FLOPs of their matrix products."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SEED = 0


@dataclass(frozen=True)
class Workload:
    """One epoch of training: data shape, network, batch size and optimizer."""

    name: str
    n_samples: int         # full run
    quick_samples: int     # --quick run
    n_features: int
    hidden: tuple[int, ...]
    n_outputs: int
    output: str            # "softmax" (categorical cross-entropy) or "sigmoid" (binary cross-entropy)
    batch_size: int
    optimizer: str         # "adam" or "sgd"
    learning_rate: float

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        return (self.n_features, *self.hidden, self.n_outputs)

    def samples(self, quick: bool) -> int:
        return self.quick_samples if quick else self.n_samples

    def describe(self) -> str:
        sizes = "-".join(map(str, self.layer_sizes))
        loss = "softmax CE" if self.output == "softmax" else "sigmoid + BCE"
        return (f"MLP {sizes}, ReLU, {loss}, batch {self.batch_size}, "
                f"{self.optimizer.capitalize() if self.optimizer == 'adam' else 'SGD'} "
                f"lr {self.learning_rate:g}")


WORKLOADS = {
    "mnist-shaped": Workload("mnist-shaped", 60_000, 10_000, 784, (256, 128), 10, "softmax", 128, "adam", 1e-3),
    "small-binary": Workload("small-binary", 100_000, 20_000, 30, (64, 32), 1, "sigmoid", 64, "sgd", 0.01),
}


def make_data(workload: Workload, n_samples: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic float32 features and int64 labels, the same in every process for a seed.

    mnist-shaped: X uniform in [0, 1], labels from a random linear teacher (10 classes).
    small-binary: X standard normal, labels from a noisy random linear teacher (0/1).
    Labels come from a teacher, not at random, so that a working trainer visibly lowers the loss.
    """
    rng = np.random.default_rng(seed)
    if workload.output == "softmax":
        X = rng.random((n_samples, workload.n_features), dtype=np.float32)
        teacher = rng.standard_normal((workload.n_features, workload.n_outputs), dtype=np.float32)
        # (X - 0.5) @ teacher without a dataset-sized temporary, which would inflate every peak RSS
        y = np.argmax(X @ teacher - 0.5 * teacher.sum(axis=0), axis=1)
    else:
        X = rng.standard_normal((n_samples, workload.n_features), dtype=np.float32)
        teacher = rng.standard_normal(workload.n_features, dtype=np.float32)
        noise = rng.standard_normal(n_samples, dtype=np.float32)
        y = (X @ teacher + noise > 0)
    return X, y.astype(np.int64)


def he_normal_parameters(workload: Workload, seed: int = SEED) -> list[tuple[np.ndarray, np.ndarray]]:
    """[(W (n_in, n_out), b (n_out,)), ...]: W ~ N(0, 2 / n_in), b = 0, float32.

    The same draws as numpy-mlp's He initialisation for the same seed, so that the PyTorch and
    JAX runs start from numpy-mlp's very weights (their "loss before" matches numpy-mlp's).
    """
    rng = np.random.default_rng(seed)
    sizes = workload.layer_sizes
    return [((rng.standard_normal((n_in, n_out)) * math.sqrt(2.0 / n_in)).astype(np.float32),
             np.zeros(n_out, np.float32))
            for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def flops_per_sample(workload: Workload) -> int:
    """The GEMM FLOPs one sample costs: 2 * sum over layers l of n_in(l) * n_out(l) * (2 + [l > 1]).

    For a layer with n_in inputs, n_out outputs and a batch of B samples, each of
      forward         x (B, n_in) @ W (n_in, n_out)
      weight gradient x^T (n_in, B) @ dz (B, n_out)
      input gradient  dz (B, n_out) @ W^T (n_out, n_in)   (every layer but the first)
    costs 2 * B * n_in * n_out FLOPs (a multiply and an add per term).
    """
    sizes = workload.layer_sizes
    return sum(2 * n_in * n_out * (2 if index == 0 else 3)
               for index, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])))


def epoch_flops(workload: Workload, n_samples: int) -> int:
    """The GEMM FLOPs of one epoch: linear in the batch size, so the short last batch needs no special case."""
    return flops_per_sample(workload) * n_samples
