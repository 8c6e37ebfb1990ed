"""numpy-mlp mnist: train and test a digit classifier on MNIST."""

from __future__ import annotations

import time

from .. import plotting
from ..callbacks import EarlyStopping
from ..datasets import load_mnist
from ..network import MLP
from .options import (StoreGiven, add_optimizer_arguments, add_resume_arguments, check_destinations, checkpoints,
                      dropout_as_option, dropout_from_option, dropout_rate, format_metrics, format_value,
                      given_options, load_for_resume, non_negative_int, note, positive_int, training_optimizer)
from .reports import confusion_table, per_class_table, run_record, write_json

# The runs --preset names; an option typed on the command line overrides its preset's value.
# fast, the default, chosen by measurement on a 2-core machine (see the README): a 784-256-128-10
# ReLU network trained by SGD with momentum 0.9, L2 weight decay and a cosine-decayed rate: over
# 5 seeds 98.39-98.55% test accuracy (mean 98.48%), about 12 s of training on an idle machine;
# the test set is watched every epoch for the curves, and chooses nothing.
# best: wider, with dropout, 5,000 training digits held out for validation, which chooses the
# epoch whose weights are kept; the test set is evaluated once, at the end. Over seeds 0-2:
# 98.72%, 98.72%, 98.74% (mean 98.73%), 400-430 s of training on a quiet 2-core AMD EPYC.
PRESETS = {
    "fast": {"layers": [256, 128], "dropout": [0.0], "epochs": 20, "batch_size": 128, "optimizer": "momentum",
             "learning_rate": 0.1, "lr_schedule": "cosine", "weight_decay": 5e-4, "validation_size": 0},
    "best": {"layers": [1024, 1024], "dropout": [0.4], "epochs": 60, "batch_size": 128, "optimizer": "momentum",
             "learning_rate": 0.1, "lr_schedule": "cosine", "weight_decay": 1e-4, "validation_size": 5000},
}
FAST = PRESETS["fast"]
MNIST_PIXELS, MNIST_CLASSES, MNIST_TRAIN_SIZE = 784, 10, 60000


def add_mnist_command(commands) -> None:
    parser = commands.add_parser(
        "mnist", help="train a digit classifier on MNIST (downloaded if needed) and test it",
        description="Train an MLP with a softmax output on the 60,000 MNIST training digits and "
                    "test it on the 10,000 test digits: prints the test accuracy, each digit's "
                    "precision and recall, and the confusion matrix, and saves the model (with its "
                    "optimizer). The four original files are looked for in --data-dir, then "
                    "$NUMPY_MLP_DATA, then the user cache, and downloaded (and verified) if missing. "
                    "The model takes 784 pixel values scaled to [0, 1] (pixel / 255), row by row: "
                    "'numpy-mlp predict' reads them from a CSV file of 784 columns.")
    parser.add_argument("--data-dir", metavar="DIR", help="folder holding the four MNIST .gz files")
    parser.add_argument("--no-download", action="store_true",
                        help="fail instead of downloading missing files")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="fast",
                        help="fast: 784-256-128-10 for 20 epochs, about 12 s, 98.4-98.5%%; best: 784-1024-"
                             "1024-10 with dropout 0.4 for 60 epochs, the epoch chosen on 5,000 held-out "
                             "training digits, about 7 minutes, 98.7%%. Options typed override the "
                             "preset's values (default: %(default)s)")
    parser.add_argument("--layers", type=positive_int, nargs="+", default=FAST["layers"], metavar="N",
                        action=StoreGiven, help="hidden layer widths; the 10 outputs are added "
                                                f"(fast: {format_value(FAST['layers'])})")
    parser.add_argument("--dropout", type=dropout_rate, nargs="+", default=FAST["dropout"], metavar="RATE",
                        action=StoreGiven, help="dropout after each hidden activation while training: one "
                                                "rate, or one per hidden layer (fast: 0)")
    parser.add_argument("--epochs", type=positive_int, default=FAST["epochs"], action=StoreGiven,
                        help="epochs to train (with --resume: epochs more) (fast: %(default)s)")
    parser.add_argument("--batch-size", type=positive_int, default=FAST["batch_size"], action=StoreGiven,
                        help="(fast: %(default)s)")
    parser.add_argument("--validation-size", type=non_negative_int, default=FAST["validation_size"], metavar="N",
                        action=StoreGiven, help="hold out the last N training digits for validation: they "
                                                "are watched every epoch, and the epoch of best validation "
                                                "accuracy is kept; 0: the test set is watched instead, "
                                                "choosing nothing (fast: %(default)s)")
    add_optimizer_arguments(parser, learning_rate=FAST["learning_rate"], optimizer=FAST["optimizer"],
                            lr_schedule=FAST["lr_schedule"], weight_decay=FAST["weight_decay"])
    parser.add_argument("--seed", type=int, default=0,
                        help="seeds the weights and the shuffling; with --resume the saved random "
                             "generator continues instead (default: %(default)s)")
    parser.add_argument("--limit-train", type=positive_int, metavar="N",
                        help="train on the first N training digits only (quick runs); the test set "
                             "stays whole")
    add_resume_arguments(parser)
    parser.add_argument("--out", default="mnist-model.npz", metavar="MODEL.npz",
                        help="where to save the model (default: %(default)s)")
    parser.add_argument("--plot", metavar="REPORT.png",
                        help="also save the learning curves, the confusion matrix, the first layer's "
                             "weights and misclassified test digits (needs matplotlib)")
    parser.add_argument("--metrics-out", metavar="METRICS.json",
                        help="also write a record of the run as JSON: the options, the architecture, the "
                             "number of digits, the epochs run, the final training and test metrics and "
                             "the wall time")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.set_defaults(run=run_mnist)


def run_mnist(args) -> int:
    started = time.perf_counter()
    if args.plot:
        plotting.require_matplotlib()  # fail now, not after training
    check_destinations(out=args.out, plot=args.plot, metrics_out=args.metrics_out)  # likewise
    apply_preset(args)
    # The model and optimizer come before the data (a download, maybe): a wrong option fails at once.
    model = load_for_resume(args, mnist_architecture) if args.resume else new_mnist_model(args)
    n_train = min(args.limit_train or MNIST_TRAIN_SIZE, MNIST_TRAIN_SIZE)
    if not 0 <= args.validation_size < n_train:
        raise ValueError(f"--validation-size {args.validation_size} leaves no training digits of {n_train}")
    optimizer = training_optimizer(model, args, n_train - args.validation_size)
    train, validation, test = mnist_parts(args, n_train)
    if not args.quiet:
        held_out = f", validating on {len(validation[1]):,}" if validation else ""
        note(f"MNIST: training on {len(train[1]):,} digits{held_out}, testing on {len(test[1]):,}")
        note(model.summary())
        note(f"optimizer: {optimizer!r}")
    history, seconds = train_mnist(model, optimizer, train, validation or test, args)
    report = model.evaluate(*test)
    print_test_report(model, report, len(history.epochs), seconds, resumed=bool(args.resume))
    model.save(args.out, include_optimizer=True)
    print(f"model saved to {args.out}")
    if args.plot:
        save_report_figure(model, history, report, *test, args.plot, "validation" if validation else "test")
        print(f"report saved to {args.plot}")
    if args.metrics_out:
        write_mnist_record(args, model, history, train, report, seconds, started, watched_test=not validation)
    return 0


def apply_preset(args) -> None:
    """Give the options not typed on the command line their --preset's values."""
    for dest, value in PRESETS[args.preset].items():
        if dest not in given_options(args):
            setattr(args, dest, value)


def new_mnist_model(args) -> MLP:
    return MLP(MNIST_PIXELS, [*args.layers, MNIST_CLASSES], output="softmax",
               dropout=dropout_from_option(args.dropout), seed=args.seed)


def mnist_parts(args, n_train: int):
    """(X, y) of the training digits, of the validation digits (the last --validation-size of the
    training digits; None without) and of the test digits."""
    (X_train, y_train), test = load_mnist(args.data_dir, download=not args.no_download,
                                          progress=None if args.quiet else DownloadNotes())
    n_fit = n_train - args.validation_size
    validation = (X_train[n_fit:n_train], y_train[n_fit:n_train]) if args.validation_size else None
    return (X_train[:n_fit], y_train[:n_fit]), validation, test


def train_mnist(model: MLP, optimizer, train, watched, args):
    """Fit, watching ``watched`` every epoch: the validation digits, whose best accuracy chooses the
    epoch kept, or (without them) the test digits, which choose nothing. Returns (History, seconds)."""
    choose = EarlyStopping(patience=args.epochs, monitor="val_accuracy") if args.validation_size else None
    started = time.perf_counter()
    history = model.fit(*train, epochs=args.epochs, batch_size=args.batch_size, optimizer=optimizer,
                        validation_data=watched, early_stopping=choose, callbacks=checkpoints(args),
                        verbose=0 if args.quiet else 1)
    if choose is not None and not args.quiet:
        note(f"kept the weights of epoch {history.best_epoch}, of best validation accuracy "
             f"({max(history['val_accuracy']):.2%})")
    return history, time.perf_counter() - started


def print_test_report(model: MLP, report: dict, epochs: int, seconds: float, resumed: bool) -> None:
    """The test metrics, the training time, each digit's precision and recall, the confusion matrix."""
    print(f"test:  {format_metrics(report)}")
    print(f"test accuracy: {report['accuracy']:.2%} of {report['confusion_matrix'].sum():,} digits")
    in_all = f" ({model.epochs_trained} in all)" if resumed else ""
    print(f"training: {epochs} epoch{'s' if epochs > 1 else ''}{in_all} in {seconds:.1f} s")
    print(per_class_table(report, model.classes_))
    print(confusion_table(report["confusion_matrix"], model.classes_))


def save_report_figure(model: MLP, history, report: dict, X_test, y_test, path, watched: str) -> None:
    """Learning curves, the confusion matrix, the first layer's weights and misclassified digits;
    ``watched`` names the held-out curves ("validation", or "test" when the test set was watched)."""
    predicted = model.predict(X_test)
    wrong = predicted != y_test
    plotting.plot_mnist_report(history, report["confusion_matrix"], X_test[wrong], y_test[wrong],
                               predicted[wrong], path, labels=model.classes_.tolist(), validation_label=watched,
                               model=model)


def write_mnist_record(args, model: MLP, history, train, test_report: dict, seconds: float, started: float,
                       watched_test: bool):
    """The --metrics-out record of an MNIST run (the training digits evaluated for it)."""
    samples = {"train": len(train[1]), "validation": args.validation_size,
               "test": int(test_report["confusion_matrix"].sum())}
    data = {"path": "MNIST", "samples": {part: count for part, count in samples.items() if count}}
    # Without validation digits, fit watched the test set as its "validation data": say what it was.
    curves = {key.replace("val_", "test_", 1) if watched_test else key: values
              for key, values in history.history.items()}
    training = {"epochs_run": len(history.epochs), "last_epoch": history.epochs[-1], "seconds": seconds,
                "weights_of_epoch": history.best_epoch or history.epochs[-1],
                "history": {"epoch": history.epochs, **curves}}
    metrics = {"train": model.evaluate(*train), "test": test_report}
    write_json(args.metrics_out, run_record(args, model, data, metrics, training, time.perf_counter() - started))
    print(f"metrics saved to {args.metrics_out}")


def mnist_architecture(model: MLP) -> dict:
    """The --layers and --dropout of a model to resume, which must be an MNIST classifier (784 in,
    10 softmax out)."""
    if (model.n_features, model.n_outputs, model.output) != (MNIST_PIXELS, MNIST_CLASSES, "softmax"):
        raise ValueError(f"the model to resume, {model!r}, is not an MNIST classifier: it needs "
                         f"{MNIST_PIXELS} inputs and a softmax over {MNIST_CLASSES} outputs")
    return {"layers": model.neurons_per_layer[:-1], "dropout": dropout_as_option(model)}


class DownloadNotes:
    """Say on standard error when each MNIST file starts downloading (once; later runs find it)."""

    def __init__(self):
        self.started = set()

    def __call__(self, name: str, done: int, total: int | None) -> None:
        if name not in self.started:
            self.started.add(name)
            size = f" ({total / 1e6:.1f} MB)" if total else ""
            note(f"downloading {name}{size}...")
