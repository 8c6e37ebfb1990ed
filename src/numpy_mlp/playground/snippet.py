"""The page's "code" panel: the Python of the current settings, a script that runs as it is.

It builds the same data and network as the page, trains them with ``fit``, then trains a fresh
network with the five-line low-level loop (forward, loss, backward, a step), so a learner sees
both the practitioner's call and what it does inside.
"""

from __future__ import annotations

from .messages import Settings
from .model import MOMENTUM, n_outputs

OPTIMIZER_NAMES = {"sgd": "SGD", "momentum": "SGD", "adam": "Adam"}


def python_code(settings: Settings, epochs: int) -> str:
    """The script for ``settings``, training for ``epochs`` epochs."""
    lines = [*_data_lines(settings, epochs), "", *_fit_lines(settings, epochs), "", *_loop_lines(settings, epochs)]
    return "\n".join(lines) + "\n"


def model_line(settings: Settings) -> str:
    """``MLP(...)`` as the session builds it (see ``model.build_model``)."""
    options = f'activation="{settings.activation}", output="{settings.output}"'
    if settings.dropout and settings.hidden_layers:
        options += f", dropout={settings.dropout!r}"
    return f"MLP(2, {[*settings.hidden_layers, n_outputs(settings)]}, {options}, seed={settings.seed})"


def optimizer_call(settings: Settings, parameters: str = "") -> str | None:
    """``SGD(...)`` or ``Adam(...)`` as the session builds it; None for plain gradient descent."""
    if settings.optimizer == "sgd" and not settings.l2:
        return None
    options = [parameters] if parameters else []
    options.append(f"learning_rate={settings.learning_rate!r}")
    if settings.optimizer == "momentum":
        options.append(f"momentum={MOMENTUM}")
    if settings.l2:
        options.append(f"weight_decay={settings.l2!r}")
    return f"{OPTIMIZER_NAMES[settings.optimizer]}({', '.join(options)})"


def _data_lines(s: Settings, epochs: int) -> list[str]:
    layers = "-".join(str(n) for n in (2, *s.hidden_layers, n_outputs(s)))
    imports = sorted({"MLP", *([OPTIMIZER_NAMES[s.optimizer]] if optimizer_call(s) else [])})
    return [
        f"# numpy-mlp playground: {s.dataset}, network {layers}, {epochs} epochs",
        "import numpy as np",
        "",
        f"from numpy_mlp import {', '.join(imports)}",
        "from numpy_mlp.datasets import train_test_split",
        "from numpy_mlp.playground.data import make_playground_data",
        "",
        f'X, y = make_playground_data("{s.dataset}", n_samples={s.n_samples}, noise={s.noise!r}, seed={s.seed})',
        f"X_train, X_val, y_train, y_val = train_test_split(X, y, test_size={s.validation_fraction!r}, "
        f"seed={s.seed}, stratify=True)",
    ]


def _fit_lines(s: Settings, epochs: int) -> list[str]:
    optimizer = optimizer_call(s)
    training = f"optimizer={optimizer}" if optimizer else f"learning_rate={s.learning_rate!r}"
    return [
        "# High level: fit runs the whole training loop.",
        f"model = {model_line(s)}",
        f"model.fit(X_train, y_train, epochs={epochs}, batch_size={s.batch_size}, {training}, verbose=0)",
        'print(f"fit:  validation accuracy {np.mean(model.predict(X_val) == y_val):.4f}")',
    ]


def _loop_lines(s: Settings, epochs: int) -> list[str]:
    optimizer = optimizer_call(s, "model.parameters()")
    # With dropout, the low-level loop asks for the training behaviour explicitly.
    forward = "model.forward(X_train[batch], training=True)" if "dropout=" in model_line(s) else \
        "model.forward(X_train[batch])"
    step = "optimizer.step()" if optimizer else f"model.optimize({s.learning_rate!r})"
    return [
        "# Low level: the same training written out, one mini-batch at a time.",
        f"model = {model_line(s)}",
        *([f"optimizer = {optimizer}"] if optimizer else []),
        f"rng = np.random.default_rng({s.seed})",
        f"for epoch in range({epochs}):",
        "    order = rng.permutation(len(X_train))  # a new random order every epoch",
        f"    for start in range(0, len(X_train), {s.batch_size}):",
        f"        batch = order[start:start + {s.batch_size}]",
        f"        {forward}  # probabilities",
        "        loss = model.loss(y_train[batch])  # cross-entropy, from the logits",
        "        model.backward()  # every layer's gradients, from dL/dz = (p - y) / n",
        f"        {step}  # move every weight against its gradient",
        'print(f"loop: validation accuracy {np.mean(model.predict(X_val) == y_val):.4f}")',
    ]
