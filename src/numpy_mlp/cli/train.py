"""numpy-mlp train: a classifier from a CSV file.

The rows are split in up to three parts: the test part (--test-size) is held out first and
evaluated once, after training; the validation part (--validation-split) comes out of what is
left, is watched every epoch (the learning curves, early stopping) and so helps choose the
model; the model learns from the training part alone.
"""

from __future__ import annotations

import time

import numpy as np

from .. import plotting
from ..activations import ACTIVATIONS
from ..callbacks import EarlyStopping
from ..splits import split_indices
from ..network import MLP
from .options import (StoreGiven, add_optimizer_arguments, add_resume_arguments, add_table_arguments,
                      check_destinations, checkpoints, dropout_as_option, dropout_from_option, dropout_rate,
                      format_metrics, fraction, load_for_resume, note, open_fraction, positive_int, read_table,
                      training_optimizer)
from .reports import run_record, write_json

#: the parts of the data, in the order they are reported
PARTS = ("train", "validation", "test")
TASKS = ("classification", "regression")


def add_train_command(commands) -> None:
    parser = commands.add_parser(
        "train", help="train a classifier (or, with --task regression, a regressor) on a CSV file and save it",
        description="Train an MLP on a CSV file with a header line: every column but the target "
                    "(and those named by --id-column and --drop-columns) is a numeric feature. The "
                    "features are standardised (the scaling is saved with the model); two classes "
                    "get one sigmoid output, K > 2 classes a softmax over K outputs (--task regression: "
                    "a linear output per target, the targets standardised too). A test part "
                    "(--test-size) is held out and evaluated once, at the end; a validation part "
                    "(--validation-split) of the rest is watched every epoch and can stop the "
                    "training (--early-stopping). Prints the metrics of each part and saves the "
                    "model with its optimizer, so that --resume can continue it.")
    parser.add_argument("data", metavar="data.csv", help="CSV file with a header line")
    parser.add_argument("--target", required=True, metavar="COLUMN", help="the column holding the labels")
    add_table_arguments(parser)
    parser.add_argument("--layers", type=positive_int, nargs="+", default=[16, 8], metavar="N",
                        action=StoreGiven, help="hidden layer widths; the output layer is added (default: 16 8)")
    parser.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu", action=StoreGiven,
                        help="hidden activation (default: %(default)s)")
    parser.add_argument("--task", choices=TASKS, default="classification", action=StoreGiven,
                        help="classification: two classes get one sigmoid output, K > 2 a softmax; "
                             "regression: numeric targets, a linear output and the mean squared error, "
                             "targets standardised inside the model (default: %(default)s)")
    parser.add_argument("--dropout", type=dropout_rate, nargs="+", default=[0.0], metavar="RATE", action=StoreGiven,
                        help="inverted dropout after each hidden activation while training: one rate for "
                             "all hidden layers, or one per layer (default: 0, none)")
    add_weight_arguments(parser)
    parser.add_argument("--epochs", type=positive_int, default=200, action=StoreGiven,
                        help="epochs to train, at most (with --resume: epochs more) (default: %(default)s)")
    parser.add_argument("--batch-size", type=positive_int, default=32, action=StoreGiven, help="(default: %(default)s)")
    add_optimizer_arguments(parser)
    add_held_out_arguments(parser)
    add_resume_arguments(parser)
    parser.add_argument("--out", default="model.npz", metavar="MODEL.npz",
                        help="where to save the model (default: %(default)s)")
    parser.add_argument("--plot", metavar="CURVES.png",
                        help="also save the learning curves per epoch, training and validation (needs matplotlib)")
    parser.add_argument("--metrics-out", metavar="METRICS.json",
                        help="also write a record of the run as JSON: the options, the architecture, the "
                             "size of each part, the epochs run and the best one, the final metrics of "
                             "each part and the wall time")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.set_defaults(run=run_train)


def add_weight_arguments(parser) -> None:
    """--class-weight, --sample-weight-column and --choose-threshold: imbalanced data."""
    group = parser.add_argument_group(
        "imbalanced data", "A weighted loss is the weighted mean over each batch, so a weight of 2 counts "
                           "like the row written twice; the validation part is weighted the same way.")
    group.add_argument("--class-weight", choices=["balanced"],
                       help="weigh each class by n_samples / (n_classes * its count), so that every class "
                            "counts as much as the others (classification)")
    group.add_argument("--sample-weight-column", metavar="COLUMN",
                       help="a column of weights >= 0, one per row; not a feature")
    group.add_argument("--choose-threshold", choices=["f1", "balanced_accuracy"], metavar="METRIC",
                       help="for two classes: after training, pick the decision threshold that maximises "
                            "METRIC (f1 or balanced_accuracy) on the validation part, and save it with the "
                            "model (predict and evaluate then use it); needs --validation-split")


def add_held_out_arguments(parser) -> None:
    """--test-size, --validation-split, --early-stopping and the --seed that makes the splits."""
    group = parser.add_argument_group(
        "held-out data", "Both splits are stratified by class and drawn from --seed, so a run with the "
                         "same --seed, --test-size and --validation-split (--resume included) splits "
                         "the same rows the same way.")
    group.add_argument("--test-size", type=fraction, default=0.2, metavar="FRACTION",
                       help="fraction of the rows held out for the test, evaluated once after training "
                            "and never used to choose anything; 0: no test part (default: %(default)s)")
    group.add_argument("--validation-split", type=open_fraction, metavar="FRACTION",
                       help="fraction of the rows left after the test part held out for validation: "
                            "its loss and accuracy are shown every epoch and plotted, and --early-stopping "
                            "watches its loss (default: none)")
    group.add_argument("--early-stopping", type=positive_int, metavar="PATIENCE",
                       help="stop when the validation loss has not improved for PATIENCE epochs, and keep "
                            "the weights of its best epoch; needs --validation-split (the training loss "
                            "says nothing of overfitting). With --resume the patience starts afresh")
    group.add_argument("--seed", type=int, default=0,
                       help="seeds the splits, the weights and the shuffling; with --resume give the "
                            "first run's seed, so that the splits are the same (default: %(default)s)")


def run_train(args) -> int:
    started = time.perf_counter()
    check_train_options(args)
    model = load_for_resume(args, train_architecture) if args.resume else None
    # Features must fit the model's dtype; a new model computes in float32, MLP's default.
    table = read_table(args, np.float32 if model is None else model.dtype, target=args.target)
    model = checked_resumed_model(model, table, args) if model is not None else new_model(table, args)
    model.feature_names_ = table.feature_names  # predict picks these columns by name
    rows = split_rows(table.y, args)
    optimizer = training_optimizer(model, args, len(rows["train"]))
    if not args.quiet:
        describe_run(args, model, table, rows, optimizer)
    history, seconds = train_model(model, table, rows, optimizer, args)
    metrics = {part: model.evaluate(table.X[indices], table.y[indices]) for part, indices in rows.items()}
    width = max(map(len, metrics)) + 2
    for part, report in metrics.items():
        print(f"{part + ':':<{width}}{format_metrics(report)}")
    model.save(args.out, include_optimizer=True)
    print(f"model saved to {args.out}")
    if args.plot:
        plotting.plot_history(history, args.plot, validation_label="validation")
        print(f"learning curves saved to {args.plot}")
    if args.metrics_out:
        data = {"path": args.data, "samples": {part: len(indices) for part, indices in rows.items()}}
        write_json(args.metrics_out, run_record(args, model, data, metrics, training_record(history, seconds, args),
                                                time.perf_counter() - started))
        print(f"metrics saved to {args.metrics_out}")
    return 0


def check_train_options(args) -> None:
    """Refuse, before any work, options that cannot go together or outputs that cannot be written."""
    for option, wanted in (("--early-stopping", args.early_stopping), ("--choose-threshold", args.choose_threshold)):
        if wanted and args.validation_split is None:
            raise ValueError(f"{option} needs --validation-split: it watches the validation part, never the "
                             "training or the test part")
    if args.task == "regression" and (args.class_weight or args.choose_threshold):
        raise ValueError("--class-weight and --choose-threshold are for classification, not --task regression")
    if args.plot:
        plotting.require_matplotlib()  # fail now, not after training
    check_destinations(out=args.out, plot=args.plot, metrics_out=args.metrics_out)


def train_architecture(model: MLP) -> dict:
    """The architecture options of a model to resume, keyed like the parsed arguments."""
    return {"layers": model.neurons_per_layer[:-1], "activation": model.activation.name,
            "task": "regression" if model.output == "linear" else "classification",
            "dropout": dropout_as_option(model)}


def checked_resumed_model(model: MLP, table, args) -> MLP:
    """The model of --resume, refused if it was trained on other feature columns."""
    if model.feature_names_ is not None and model.feature_names_ != table.feature_names:
        raise ValueError(f"{args.data} has the feature columns {', '.join(table.feature_names)}, but "
                         f"{args.resume} was trained on {', '.join(model.feature_names_)}")
    return model


def new_model(table, args) -> MLP:
    """A new model whose output fits the targets of the whole file: a classifier's classes (those a
    split lacks included), or a regressor's linear outputs, its targets standardised inside."""
    options = {"name": f"{args.data}: the column {args.target!r}", "activation": args.activation,
               "seed": args.seed, "standardize": True,
               "dropout": dropout_from_option(args.dropout)}
    if args.task == "regression":
        return MLP.for_targets(table.X.shape[1], args.layers, table.y, standardize_targets=True, **options)
    return MLP.for_labels(table.X.shape[1], args.layers, table.y, **options)


def split_rows(targets: np.ndarray, args) -> dict[str, np.ndarray]:
    """The row indices of each part of the data: "train", and "validation" and "test" when asked for.

    The test part is split off first (as a run without --validation-split splits it, so the
    test rows do not depend on that option), then the validation part from the rest; each is
    stratified by class and drawn from --seed, so --resume with the same --seed finds the same
    parts. (fit's own validation_split would draw from the model's generator, which --resume
    carries on, not starts again.)
    """
    labels = targets if args.task == "classification" else None  # a regression's parts are not stratified
    rows = {"train": np.arange(len(targets))}
    if args.test_size > 0:
        rows["train"], rows["test"] = split_indices(len(targets), args.test_size, np.random.default_rng(args.seed),
                                                    labels, name="--test-size")
    if args.validation_split is not None:
        train, validation = split_indices(len(rows["train"]), args.validation_split,
                                          np.random.default_rng(args.seed),
                                          None if labels is None else labels[rows["train"]], name="--validation-split")
        rows["train"], rows["validation"] = rows["train"][train], rows["train"][validation]
    return {part: rows[part] for part in PARTS if part in rows}


def describe_run(args, model: MLP, table, rows: dict, optimizer) -> None:
    """The data, its parts, the model and the optimizer, on standard error."""
    parts = ", ".join(f"{verb} on {len(rows[part])}" for part, verb in
                      (("train", "training"), ("validation", "validating"), ("test", "testing")) if part in rows)
    targets = ("targets" if model.classes_ is None else f"classes {model.classes_.tolist()}")
    note(f"{args.data}: {len(table.y)} samples, {table.X.shape[1]} features, {targets}; {parts}")
    note(model.summary())
    note(f"optimizer: {optimizer!r}")


def train_model(model: MLP, table, rows: dict, optimizer, args):
    """Fit on the training part, watching the validation part if any: (History, seconds).

    The test part never reaches fit. A run that early stopping ended is saved as complete,
    so that --resume does not take it for an interrupted run and train "the epochs left".
    """
    train, validation = (part(table, rows.get(name)) for name in ("train", "validation"))
    early_stopping = EarlyStopping(args.early_stopping, monitor="val_loss") if args.early_stopping else None
    started = time.perf_counter()
    history = model.fit(*train[:2], sample_weight=train[2], class_weight=args.class_weight, epochs=args.epochs,
                        batch_size=args.batch_size, optimizer=optimizer, validation_data=validation,
                        early_stopping=early_stopping, callbacks=checkpoints(args), verbose=0 if args.quiet else 1)
    seconds = time.perf_counter() - started
    if args.choose_threshold:
        note(f"decision threshold chosen on the validation part for the best {args.choose_threshold}: "
             f"{model.choose_threshold(*validation[:2], metric=args.choose_threshold):.4g}")
    if early_stopping is not None and len(history.epochs) < args.epochs:
        note(f"early stopping: the validation loss did not improve for {args.early_stopping} epochs after "
             f"epoch {history.best_epoch}; stopped at epoch {history.epochs[-1]}, keeping the weights of "
             f"epoch {history.best_epoch}")
    return history, seconds


def part(table, rows):
    """(X, y, sample weights or None) of the rows ``rows`` of the table; None for no rows."""
    if rows is None:
        return None
    weights = None if table.sample_weight is None else table.sample_weight[rows]
    return table.X[rows], table.y[rows], weights


def training_record(history, seconds: float, args) -> dict:
    """The --metrics-out record of the training: the epochs run, the best one (lowest validation
    loss), the one whose weights were saved, the time, and the curves."""
    best_epoch = history.best_epoch
    if best_epoch is None and "val_loss" in history:
        best_epoch = history.epochs[int(np.argmin(history["val_loss"]))]
    return {"epochs_run": len(history.epochs), "epochs_asked": args.epochs, "last_epoch": history.epochs[-1],
            "best_epoch": best_epoch, "stopped_early": len(history.epochs) < args.epochs,
            "weights_of_epoch": history.best_epoch or history.epochs[-1], "seconds": seconds,
            "history": {"epoch": history.epochs, **history.history}}
