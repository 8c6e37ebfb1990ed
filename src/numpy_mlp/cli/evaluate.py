"""numpy-mlp evaluate: the metrics of a saved model on a labelled CSV file."""

from __future__ import annotations

import time

from ..network import load
from .options import add_table_arguments, check_destinations, note, read_table, threshold
from .reports import json_text, metrics_text, run_record, write_json


def add_evaluate_command(commands) -> None:
    parser = commands.add_parser(
        "evaluate", help="the metrics of a saved model on a labelled CSV file",
        description="Evaluate a saved model on the rows of a CSV file with a header line: the loss, "
                    "accuracy, precision, recall, F1 (and ROC AUC for two classes), each class's "
                    "precision and recall, and the confusion matrix. The feature columns the model "
                    "was trained on are found by name (other columns are ignored); a model saved "
                    "from Python without feature names takes every column but the target, the "
                    "--id-column and the --drop-columns, in order.")
    parser.add_argument("model", metavar="model.npz", help="a model saved by 'numpy-mlp train' or model.save")
    parser.add_argument("data", metavar="data.csv", help="CSV file with a header line")
    parser.add_argument("--target", required=True, metavar="COLUMN", help="the column holding the true labels")
    add_table_arguments(parser)
    parser.add_argument("--threshold", type=threshold, metavar="T",
                        help="for one sigmoid output: the decision threshold of the metrics (default: the "
                             "one saved with the model, else 0.5)")
    parser.add_argument("--json", action="store_true",
                        help="print the metrics as one JSON object instead (numbers as numbers, arrays "
                             "such as the confusion matrix as lists, NaN as null), with the number of "
                             "samples and the classes")
    parser.add_argument("--metrics-out", metavar="METRICS.json",
                        help="also write a record as JSON: the options, the model's architecture, the "
                             "number of samples, the metrics and the wall time")
    parser.set_defaults(run=run_evaluate)


def run_evaluate(args) -> int:
    started = time.perf_counter()
    check_destinations(metrics_out=args.metrics_out)
    model = load(args.model)
    table = read_table(args, model.dtype, target=args.target, features=model.feature_names_)
    report = model.evaluate(table.X, table.y, threshold=args.threshold)
    if args.json:
        print(json_text({"samples": len(table.y), "classes": model.classes_, **report}), end="")
    else:
        print(f"{args.data}: {len(table.y)} samples")
        print(metrics_text(report, model.classes_))
    if args.metrics_out:
        data = {"path": args.data, "samples": {"data": len(table.y)}}
        write_json(args.metrics_out, run_record(args, model, data, {"data": report},
                                                seconds=time.perf_counter() - started))
        # With --json, standard output holds the JSON alone.
        (note if args.json else print)(f"metrics saved to {args.metrics_out}")
    return 0

