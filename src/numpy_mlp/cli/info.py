"""numpy-mlp info: what a model file holds (architecture, classes, features, training) and what it promises."""

from __future__ import annotations

import json

from ..layers import Layer
from ..network import load_with_metadata
from ..optimizers import optimizer_name

#: what every numpy-mlp model file promises, as ``info`` states it
GUARANTEES = {
    "no_pickle": "no pickle: plain NumPy arrays and JSON metadata, read with allow_pickle=False, so "
                 "loading the file runs no code from it",
    "atomic_writes": "written atomically: numpy-mlp writes a temporary file and renames it into place, "
                     "so a crash mid-write leaves the previous file whole",
}
#: lists longer than this are shortened in the text (never in --json)
SHOWN_ITEMS = 12


def add_info_command(commands) -> None:
    parser = commands.add_parser(
        "info", help="describe a saved model: architecture, classes, features, training",
        description="Describe a saved model: its layers and parameters, output, classes, features "
                    "(names, standardisation, training range), dtype, training record (epochs, and the "
                    "optimizer with its hyperparameters when it was saved with the model), file format "
                    "version and guarantees. --json prints the same as one JSON object.")
    parser.add_argument("model", metavar="model.npz", help="a model saved by numpy-mlp")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON instead of text")
    parser.set_defaults(run=run_info)


def run_info(args) -> int:
    model, metadata = load_with_metadata(args.model)
    description = describe(model, args.model, metadata["format_version"])
    print(json.dumps(description, indent=2) if args.json else as_text(description, model.summary()))
    return 0


def describe(model, path, format_version: int) -> dict:
    """Everything ``info`` reports, as JSON-ready values."""
    optimizer = model.optimizer
    feature_range = model.feature_range_
    return {
        "file": str(path),
        "format": {"name": "numpy-mlp", "version": format_version},
        "guarantees": {key: True for key in GUARANTEES},
        "architecture": {
            "n_features": model.n_features, "neurons_per_layer": list(model.neurons_per_layer),
            "activation": model.activation.config(),
            "layers": [describe_layer(layer) for layer in model.layers],
            "parameters": sum(value.size for value, _ in model.parameters()),
        },
        "output": {"activation": model.output, "n_outputs": model.n_outputs, "task": task(model)},
        "classes": None if model.classes_ is None else model.classes_.tolist(),
        "features": {"count": model.n_features, "names": model.feature_names_,
                     "standardized": model.scaler is not None,
                     "training_range": None if feature_range is None else list(feature_range)},
        "dtype": model.dtype.name,
        "training": {"epochs_trained": model.epochs_trained, "planned_epochs": model.planned_epochs,
                     "final_metrics": model.training_metrics,
                     "optimizer": None if optimizer is None else {
                         "name": optimizer_name(optimizer), "config": optimizer.config(),
                         "steps": optimizer.step_count}},
    }


def describe_layer(layer) -> dict:
    if isinstance(layer, Layer):
        return {"type": "Layer", "n_in": layer.n_in, "n_out": layer.n_out,
                "parameters": layer.weights.size + layer.bias.size}
    return {"type": type(layer).__name__, **layer.config()}


def task(model) -> str:
    """What the output layer does: binary, multi-label, multiclass or regression."""
    if model.output == "softmax":
        return "multiclass"
    if model.output == "sigmoid":
        return "binary" if model.n_outputs == 1 else "multi-label"
    return "regression"


def as_text(description: dict, summary: str) -> str:
    """The description as lines for a reader: the summary table, then one line per fact."""
    output, features, training = description["output"], description["features"], description["training"]
    classes, names = description["classes"], features["names"]
    facts = [
        ("Output", output_text(output, classes)),
        ("Classes", "none stored (labels are output indices)" if classes is None else shortened(classes)),
        ("Features", f"{features['count']}, " + ("not named" if names is None else f"named {shortened(names)}")),
        ("Standardised", "yes: each feature's training mean and standard deviation are in the file"
                         if features["standardized"] else "no"),
    ]
    if features["training_range"] is not None:
        low, high = features["training_range"]
        facts.append(("Training range", f"{low:g} to {high:g} (predict warns far outside it)"))
    facts += [("Dtype", description["dtype"]),
              ("Epochs trained", str(training["epochs_trained"])),
              ("Last epoch", metrics_text(training["final_metrics"])),
              ("Optimizer", optimizer_text(training["optimizer"])),
              ("Format", f"numpy-mlp model file, version {description['format']['version']}"),
              *zip(["Guarantees", ""], GUARANTEES.values())]
    width = max(len(label) for label, _ in facts) + 2
    lines = [f"{label + ':' if label else '':<{width}}{text}" for label, text in facts]
    return "\n".join([f"Model file {description['file']}", "", summary, "", *lines])


def output_text(output: dict, classes: list | None) -> str:
    """'softmax over 10 classes (multiclass)' and the like."""
    count = output["n_outputs"]
    if output["task"] == "binary":
        positive = 1 if classes is None else classes[1]
        return f"one sigmoid output, the probability of class {positive} (binary)"
    if output["task"] == "multi-label":
        return f"{count} sigmoid outputs, independent probabilities (multi-label)"
    if output["task"] == "multiclass":
        return f"softmax over {count} classes (multiclass)"
    return f"{count} linear output{'s' if count > 1 else ''} ({output['task']})"


def metrics_text(metrics: dict) -> str:
    """'loss 0.1234, accuracy 0.9876, ...': the last epoch's metrics, or why there are none."""
    if not metrics:
        return "no metrics recorded (trained with the low-level loop, or by an older numpy-mlp)"
    return ", ".join(f"{name} {value:.4g}" for name, value in metrics.items() if value is not None)


def optimizer_text(optimizer: dict | None) -> str:
    if optimizer is None:
        return "not saved with the model"
    return (f"{optimizer['name']}({options_text(optimizer['config'])}), {optimizer['steps']:,} steps; "
            "saved with the model, so training can resume")


def options_text(config: dict) -> str:
    """'learning_rate=cosine(learning_rate=0.1, ...), weight_decay=0.0': a config as keyword arguments."""
    def value_text(value):
        if isinstance(value, dict) and "schedule" in value:  # a learning-rate schedule
            return f"{value['schedule']}({options_text(value['config'])})"
        return repr(value)
    return ", ".join(f"{key}={value_text(value)}" for key, value in config.items())


def shortened(items: list) -> str:
    """The items joined by commas, the middle left out when there are more than SHOWN_ITEMS."""
    texts = [str(item) for item in items]
    if len(texts) <= SHOWN_ITEMS:
        return ", ".join(texts)
    return ", ".join([*texts[:SHOWN_ITEMS - 2], "...", *texts[-2:]]) + f" ({len(texts)} in all)"
