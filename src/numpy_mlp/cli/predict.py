"""numpy-mlp predict: labels and probabilities for the rows of a CSV file."""

from __future__ import annotations

import sys

from ..datasets import write_csv
from ..network import MLP, class_columns, load
from .options import add_table_arguments, check_destinations, note, read_table, threshold


def add_predict_command(commands) -> None:
    parser = commands.add_parser(
        "predict", help="predict labels and probabilities for the rows of a CSV file",
        description="Predict with a saved model. The CSV needs a header line and the feature "
                    "columns the model was trained on (found by name; other columns, such as the "
                    "target, are ignored; a model saved from Python without feature names takes "
                    "every column but the --id-column and the --drop-columns, in order). Writes one "
                    "comma-separated row per input row: the --id-column's value if asked for, the "
                    "predicted label and the probability of each class (a regressor: its predicted "
                    "value of each target).")
    parser.add_argument("model", metavar="model.npz", help="a model saved by 'numpy-mlp train'")
    parser.add_argument("data", metavar="data.csv", help="CSV file with a header line")
    add_table_arguments(parser)
    parser.add_argument("--out", metavar="PREDICTIONS.csv",
                        help="write the predictions to this file (default: standard output)")
    parser.add_argument("--threshold", type=threshold, metavar="T",
                        help="for one sigmoid output: predict the second class when its probability is at "
                             "least T (default: the threshold saved with the model, else 0.5)")
    parser.set_defaults(run=run_predict)


def run_predict(args) -> int:
    check_destinations(out=args.out)
    model = load(args.model)
    table = read_table(args, model.dtype, features=model.feature_names_)
    header, rows = prediction_table(model, table.X, args.threshold)
    if table.ids is not None:  # first, so that the predictions can be joined back to the rows
        header = [args.id_column, *header]
        rows = [[identifier, *row] for identifier, row in zip(table.ids.tolist(), rows)]
    if args.out:
        write_csv(args.out, header, rows)
        note(f"{len(rows)} predictions written to {args.out}")
    else:
        write_csv(sys.stdout, header, rows)
    return 0


def prediction_table(model: MLP, X, threshold: float | None = None) -> tuple[list[str], list[list]]:
    """The header and rows of a predictions file: the label, then each class's probability; a
    regressor's predicted value (one column per target)."""
    if model.output == "linear":
        values = model.predict(X).reshape(len(X), -1)
        header = ["prediction"] if values.shape[1] == 1 else [f"prediction_{k}" for k in range(values.shape[1])]
        return header, values.tolist()
    probabilities = model.predict_proba(X)
    predictions = model._labels_from_probabilities(probabilities, threshold)
    probabilities = class_columns(probabilities)
    if predictions.ndim == 2:  # several independent sigmoid outputs (multi-label)
        header = [f"prediction_{k}" for k in range(predictions.shape[1])]
        header += [f"probability_{k}" for k in range(predictions.shape[1])]
        return header, [[*labels, *row] for labels, row in zip(predictions.tolist(), probabilities.tolist())]
    classes = model.classes_.tolist() if model.classes_ is not None else list(range(probabilities.shape[1]))
    header = ["prediction", *(f"probability_{label}" for label in classes)]
    return header, [[label, *row] for label, row in zip(predictions.tolist(), probabilities.tolist())]
