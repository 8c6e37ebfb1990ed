"""The network and optimizer that the page's settings describe, built with the library's public API.

``snippet`` writes the same constructors as Python text; a test runs that text and checks it
trains exactly as the session does.
"""

from __future__ import annotations

from ..network import MLP
from ..optimizers import SGD, Adam, Optimizer
from .messages import Settings

MOMENTUM = 0.9  # the "momentum" optimizer: SGD with this momentum


def n_outputs(settings: Settings) -> int:
    """One sigmoid output for the two classes, or a softmax over two."""
    return 2 if settings.output == "softmax" else 1


def build_model(settings: Settings) -> MLP:
    """``MLP(2, [*hidden_layers, outputs], ...)`` for the settings, seeded by ``settings.seed``."""
    options = {"activation": settings.activation, "output": settings.output, "seed": settings.seed}
    if settings.dropout and settings.hidden_layers:
        options["dropout"] = settings.dropout
    return MLP(2, [*settings.hidden_layers, n_outputs(settings)], **options)


def build_optimizer(settings: Settings) -> Optimizer:
    """Gradient descent, with momentum, or Adam; L2 as the optimizer's ``weight_decay``."""
    options = {"learning_rate": settings.learning_rate, "weight_decay": settings.l2}
    if settings.optimizer == "adam":
        return Adam(**options)
    return SGD(momentum=MOMENTUM if settings.optimizer == "momentum" else 0.0, **options)
