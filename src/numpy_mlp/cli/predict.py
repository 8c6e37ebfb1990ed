"""numpy-mlp predict: labels and probabilities for the rows of a CSV file."""

from __future__ import annotations

import sys

from ..datasets import write_csv
from ..network import MLP, class_columns, load
from .options import add_table_arguments, check_destinations, note, read_table


def add_predict_command(commands) -> None:
    parser = commands.add_parser(
        "predict", help="predict labels and probabilities for the rows of a CSV file",
        description="Predict with a saved model. The CSV needs a header line and the feature "
                    "columns the model was trained on (found by name; other columns, such as the "
                    "target, are ignored; a model saved from Python without feature names takes "
                    "every column but the --id-column and the --drop-columns, in order). Writes one "
                    "comma-separated row per input row: the --id-column's value if asked for, the "
                    "predicted label and the probability of each class.")
    parser.add_argument("model", metavar="model.npz", help="a model saved by 'numpy-mlp train'")
    parser.add_argument("data", metavar="data.csv", help="CSV file with a header line")
    add_table_arguments(parser)
    parser.add_argument("--out", metavar="PREDICTIONS.csv",
                        help="write the predictions to this file (default: standard output)")
    parser.set_defaults(run=run_predict)


def run_predict(args) -> int:
    check_destinations(out=args.out)
    model = load(args.model)
    table = read_table(args, model.dtype, features=model.feature_names_)
    header, rows = prediction_table(model, table.X)
    if table.ids is not None:  # first, so that the predictions can be joined back to the rows
        header = [args.id_column, *header]
        rows = [[identifier, *row] for identifier, row in zip(table.ids.tolist(), rows)]
    if args.out:
        write_csv(args.out, header, rows)
        note(f"{len(rows)} predictions written to {args.out}")
    else:
        write_csv(sys.stdout, header, rows)
    return 0


def prediction_table(model: MLP, X) -> tuple[list[str], list[list]]:
    """The header and rows of a predictions file: the label, then each class's probability."""
    probabilities = model.predict_proba(X)
    predictions = model._labels_from_probabilities(probabilities)
    probabilities = class_columns(probabilities)
    if predictions.ndim == 2:  # several independent sigmoid outputs (multi-label)
        header = [f"prediction_{k}" for k in range(predictions.shape[1])]
        header += [f"probability_{k}" for k in range(predictions.shape[1])]
        return header, [[*labels, *row] for labels, row in zip(predictions.tolist(), probabilities.tolist())]
    classes = model.classes_.tolist() if model.classes_ is not None else list(range(probabilities.shape[1]))
    header = ["prediction", *(f"probability_{label}" for label in classes)]
    return header, [[label, *row] for label, row in zip(predictions.tolist(), probabilities.tolist())]
