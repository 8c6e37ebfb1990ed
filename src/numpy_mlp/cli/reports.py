"""What the commands report: metric tables as text, and the same numbers as JSON (``--json``,
``--metrics-out``)."""

from __future__ import annotations

import json
import math
import numbers

import numpy as np

from .. import __version__
from ..files import atomic_write
from ..network import MLP
from .options import format_metrics

#: the options that only say how the command was called, not what it did
NOT_RECORDED = {"run", "given_options"}


def metrics_text(report: dict, classes) -> str:
    """An ``evaluate`` report as text: the metrics line, then, when the report has them, each
    class's precision and recall and the confusion matrix (classes None: numbered from 0)."""
    parts = [format_metrics(report)]
    if classes is None and "confusion_matrix" in report:
        classes = np.arange(len(report["confusion_matrix"]))
    if "precision_per_class" in report:
        parts.append(per_class_table(report, classes))
    if "confusion_matrix" in report:
        parts.append(confusion_table(report["confusion_matrix"], classes))
    return "\n".join(parts)


def per_class_table(report: dict, classes) -> str:
    """Precision, recall and F1 of each class, one row per class, with its number of samples."""
    support = report["confusion_matrix"].sum(axis=1)
    lines = [f"{'class':>5}  {'precision':>9}  {'recall':>6}  {'f1':>6}  {'support':>7}"]
    for label, precision, recall, f1, count in zip(classes.tolist(), report["precision_per_class"],
                                                   report["recall_per_class"], report["f1_per_class"], support):
        lines.append(f"{label!s:>5}  {precision:>9.4f}  {recall:>6.4f}  {f1:>6.4f}  {count:>7}")
    return "\n".join(lines)


def confusion_table(matrix: np.ndarray, classes) -> str:
    """The confusion matrix as text: a row per true class, a column per predicted class."""
    labels = [str(label) for label in classes.tolist()]
    width = max(len(str(matrix.max())), *map(len, labels))
    lines = ["confusion matrix (rows: true class, columns: predicted class)",
             " " * (width + 1) + " ".join(label.rjust(width) for label in labels)]
    for label, row in zip(labels, matrix.tolist()):
        lines.append(label.rjust(width) + " " + " ".join(str(count).rjust(width) for count in row))
    return "\n".join(lines)


# -- JSON -------------------------------------------------------------------------------------

def json_ready(value):
    """``value`` made of what JSON holds: arrays as (nested) lists, NumPy scalars as Python numbers,
    tuples as lists, and NaN or infinity (an ROC AUC of one class, say) as None, JSON's null."""
    if isinstance(value, np.ndarray):
        return json_ready(value.tolist())
    if isinstance(value, np.generic):
        return json_ready(value.item())
    if isinstance(value, dict):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(item) for item in value]
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and not math.isfinite(value):
        return None
    return value


def json_text(value) -> str:
    """``value`` as strict JSON text (no NaN) ending with a line break: objects one key a line,
    lists of numbers or strings (curves, per-class metrics) on one line."""
    return _json_lines(json_ready(value), "") + "\n"


def _json_lines(value, indent: str) -> str:
    inner = indent + "  "
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(key)}: {_json_lines(item, inner)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        return "[\n" + ",\n".join(inner + _json_lines(item, inner) for item in value) + "\n" + indent + "]"
    return json.dumps(value, allow_nan=False)


def write_json(path, value) -> None:
    """Write ``value`` as JSON to ``path``, atomically."""
    text = json_text(value).encode("utf-8")
    atomic_write(path, lambda file: file.write(text))


def run_record(args, model: MLP, data: dict, metrics: dict, training: dict | None = None,
               seconds: float | None = None) -> dict:
    """The --metrics-out record of a command: its options, the model's architecture, the data
    (``{"path": ..., "samples": {"train": n, ...}}``), the training (``None`` when nothing was
    trained), the final ``metrics`` of each part of the data, and the command's wall time."""
    return {"command": args.command, "numpy_mlp_version": __version__,
            "options": {key: value for key, value in vars(args).items() if key not in NOT_RECORDED},
            "model": model_record(model), "data": data, "training": training, "metrics": metrics,
            "wall_time_seconds": seconds}


def model_record(model: MLP) -> dict:
    """The architecture of ``model`` (its ``config()``), its size, its classes and features."""
    return {**model.config(), "parameters": sum(value.size for value, _ in model.parameters()),
            "classes": model.classes_, "feature_names": model.feature_names_,
            "epochs_trained": model.epochs_trained}
