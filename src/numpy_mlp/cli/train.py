"""numpy-mlp train: a classifier from a CSV file."""

from __future__ import annotations

import numpy as np

from .. import plotting
from ..activations import ACTIVATIONS
from ..datasets import read_csv, train_test_split
from ..files import check_writable_destination
from ..network import MLP
from .options import (StoreGiven, add_optimizer_arguments, add_resume_arguments, checkpoints, format_metrics,
                      fraction, load_for_resume, note, positive_int, training_optimizer)


def add_train_command(commands) -> None:
    parser = commands.add_parser(
        "train", help="train a classifier on a CSV file and save it",
        description="Train an MLP on a CSV file with a header line: every column but the target "
                    "is a numeric feature. The features are standardised (the scaling is saved "
                    "with the model); two classes get one sigmoid output, K > 2 classes a softmax "
                    "over K outputs. Prints the training and test metrics and saves the model "
                    "with its optimizer, so that --resume can continue it.")
    parser.add_argument("data", metavar="data.csv", help="CSV file with a header line")
    parser.add_argument("--target", required=True, metavar="COLUMN", help="the column holding the labels")
    parser.add_argument("--layers", type=positive_int, nargs="+", default=[16, 8], metavar="N",
                        action=StoreGiven, help="hidden layer widths; the output layer is added (default: 16 8)")
    parser.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu", action=StoreGiven,
                        help="hidden activation (default: %(default)s)")
    parser.add_argument("--epochs", type=positive_int, default=200, action=StoreGiven,
                        help="epochs to train (with --resume: epochs more) (default: %(default)s)")
    parser.add_argument("--batch-size", type=positive_int, default=32, action=StoreGiven, help="(default: %(default)s)")
    add_optimizer_arguments(parser)
    parser.add_argument("--test-size", type=fraction, default=0.2, metavar="FRACTION",
                        help="fraction held out for testing, stratified by class; 0 trains on "
                             "everything (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seeds the split, the weights and the shuffling; with --resume give the "
                             "first run's seed, so that the split is the same (default: %(default)s)")
    add_resume_arguments(parser)
    parser.add_argument("--out", default="model.npz", metavar="MODEL.npz",
                        help="where to save the model (default: %(default)s)")
    parser.add_argument("--plot", metavar="CURVES.png",
                        help="also save the learning curves, training and test, per epoch (needs matplotlib)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.set_defaults(run=run_train)


def run_train(args) -> int:
    if args.plot:
        plotting.require_matplotlib()  # fail now, not after training
    for destination in filter(None, (args.out, args.plot)):
        check_writable_destination(destination)  # likewise: a missing folder fails now
    model = load_for_resume(args, lambda model: {"layers": model.neurons_per_layer[:-1],
                                                 "activation": model.activation.name}) if args.resume else None
    # Features must fit the model's dtype; a new model computes in float32, MLP's default.
    X, y, feature_names = read_csv(args.data, args.target, dtype=np.float32 if model is None else model.dtype)
    if model is not None:
        if model.feature_names_ is not None and model.feature_names_ != feature_names:
            raise ValueError(f"{args.data} has the feature columns {', '.join(feature_names)}, but "
                             f"{args.resume} was trained on {', '.join(model.feature_names_)}")
    else:
        model = MLP.for_labels(X.shape[1], args.layers, y, name=f"{args.data}: the column {args.target!r}",
                               activation=args.activation, seed=args.seed, standardize=True)
    model.feature_names_ = feature_names  # predict picks these columns by name
    if args.test_size > 0:
        X_train, X_test, y_train, y_test = train_test_split(X, y, args.test_size, seed=args.seed,
                                                            stratify=True)
        validation = (X_test, y_test)
    else:
        X_train, y_train, validation = X, y, None
    optimizer = training_optimizer(model, args, len(X_train))
    if not args.quiet:
        note(f"{args.data}: {len(X)} samples, {X.shape[1]} features, classes {model.classes_.tolist()}; "
             f"training on {len(X_train)}, testing on {len(X) - len(X_train)}")
        note(model.summary())
        note(f"optimizer: {optimizer!r}")
    history = model.fit(X_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                        optimizer=optimizer, validation_data=validation, callbacks=checkpoints(args),
                        verbose=0 if args.quiet else 1)
    print(f"train: {format_metrics(model.evaluate(X_train, y_train))}")
    if validation is not None:
        print(f"test:  {format_metrics(model.evaluate(*validation))}")
    model.save(args.out, include_optimizer=True)
    print(f"model saved to {args.out}")
    if args.plot:
        plotting.plot_history(history, args.plot, validation_label="test")
        print(f"learning curves saved to {args.plot}")
    return 0


