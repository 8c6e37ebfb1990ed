"""numpy-mlp mnist: train and test a digit classifier on MNIST."""

from __future__ import annotations

import time

from .. import plotting
from ..datasets import load_mnist
from ..network import MLP
from .options import (StoreGiven, add_optimizer_arguments, add_resume_arguments, check_destinations, checkpoints,
                      format_metrics, format_value, load_for_resume, note, positive_int, training_optimizer)
from .reports import confusion_table, per_class_table, run_record, write_json

# The default run, chosen by measurement on a 2-core machine (see the README): a 784-256-128-10
# ReLU network trained by SGD with momentum 0.9, L2 weight decay and a cosine-decayed rate: over
# 5 seeds 98.39-98.55% test accuracy (mean 98.48%), about 12 s of training on an idle machine.
# Adam (1e-3, cosine, no decay, 15 epochs) scored 98.19-98.43% over 3 seeds, 1.4 times slower per epoch.
MNIST_LAYERS = [256, 128]
MNIST_EPOCHS = 20
MNIST_BATCH_SIZE = 128
MNIST_OPTIMIZER = "momentum"
MNIST_LEARNING_RATE = 0.1
MNIST_SCHEDULE = "cosine"
MNIST_WEIGHT_DECAY = 5e-4
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
    parser.add_argument("--layers", type=positive_int, nargs="+", default=MNIST_LAYERS, metavar="N",
                        action=StoreGiven, help="hidden layer widths; the 10 outputs are added "
                                                f"(default: {format_value(MNIST_LAYERS)})")
    parser.add_argument("--epochs", type=positive_int, default=MNIST_EPOCHS, action=StoreGiven,
                        help="epochs to train (with --resume: epochs more) (default: %(default)s)")
    parser.add_argument("--batch-size", type=positive_int, default=MNIST_BATCH_SIZE, action=StoreGiven,
                        help="(default: %(default)s)")
    add_optimizer_arguments(parser, learning_rate=MNIST_LEARNING_RATE, optimizer=MNIST_OPTIMIZER,
                            lr_schedule=MNIST_SCHEDULE, weight_decay=MNIST_WEIGHT_DECAY)
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
    # The model and optimizer come before the data (a download, maybe): a wrong option fails at once.
    if args.resume:
        model = load_for_resume(args, mnist_architecture)
    else:
        model = MLP(MNIST_PIXELS, [*args.layers, MNIST_CLASSES], output="softmax", seed=args.seed)
    n_train = min(args.limit_train or MNIST_TRAIN_SIZE, MNIST_TRAIN_SIZE)
    optimizer = training_optimizer(model, args, n_train)
    (X_train, y_train), (X_test, y_test) = load_mnist(
        args.data_dir, download=not args.no_download, progress=None if args.quiet else DownloadNotes())
    X_train, y_train = X_train[:n_train], y_train[:n_train]
    if not args.quiet:
        note(f"MNIST: training on {len(X_train):,} digits, testing on {len(X_test):,}")
        note(model.summary())
        note(f"optimizer: {optimizer!r}")
    training_started = time.perf_counter()
    # The test set is only watched per epoch (for the learning curves), never used to choose.
    history = model.fit(X_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                        optimizer=optimizer, validation_data=(X_test, y_test), callbacks=checkpoints(args),
                        verbose=0 if args.quiet else 1)
    seconds = time.perf_counter() - training_started
    report = model.evaluate(X_test, y_test)
    print_test_report(model, report, len(history.epochs), seconds, resumed=bool(args.resume))
    model.save(args.out, include_optimizer=True)
    print(f"model saved to {args.out}")
    if args.plot:
        save_report_figure(model, history, report, X_test, y_test, args.plot)
        print(f"report saved to {args.plot}")
    if args.metrics_out:
        write_mnist_record(args, model, history, (X_train, y_train), report, seconds, started)
    return 0


def print_test_report(model: MLP, report: dict, epochs: int, seconds: float, resumed: bool) -> None:
    """The test metrics, the training time, each digit's precision and recall, the confusion matrix."""
    print(f"test:  {format_metrics(report)}")
    print(f"test accuracy: {report['accuracy']:.2%} of {report['confusion_matrix'].sum():,} digits")
    in_all = f" ({model.epochs_trained} in all)" if resumed else ""
    print(f"training: {epochs} epoch{'s' if epochs > 1 else ''}{in_all} in {seconds:.1f} s")
    print(per_class_table(report, model.classes_))
    print(confusion_table(report["confusion_matrix"], model.classes_))


def save_report_figure(model: MLP, history, report: dict, X_test, y_test, path) -> None:
    """Learning curves, the confusion matrix, the first layer's weights and misclassified digits."""
    predicted = model.predict(X_test)
    wrong = predicted != y_test
    plotting.plot_mnist_report(history, report["confusion_matrix"], X_test[wrong], y_test[wrong],
                               predicted[wrong], path, labels=model.classes_.tolist(), validation_label="test",
                               model=model)


def write_mnist_record(args, model: MLP, history, train, test_report: dict, seconds: float, started: float):
    """The --metrics-out record of an MNIST run (the training digits evaluated for it)."""
    data = {"path": "MNIST", "samples": {"train": len(train[1]), "test": int(test_report["confusion_matrix"].sum())}}
    # fit watched the test set as its "validation data": the curves say what they were.
    curves = {key.replace("val_", "test_", 1): values for key, values in history.history.items()}
    training = {"epochs_run": len(history.epochs), "last_epoch": history.epochs[-1], "seconds": seconds,
                "history": {"epoch": history.epochs, **curves}}
    metrics = {"train": model.evaluate(*train), "test": test_report}
    write_json(args.metrics_out, run_record(args, model, data, metrics, training, time.perf_counter() - started))
    print(f"metrics saved to {args.metrics_out}")


def mnist_architecture(model: MLP) -> dict:
    """The --layers of a model to resume, which must be an MNIST classifier (784 in, 10 softmax out)."""
    if (model.n_features, model.n_outputs, model.output) != (MNIST_PIXELS, MNIST_CLASSES, "softmax"):
        raise ValueError(f"the model to resume, {model!r}, is not an MNIST classifier: it needs "
                         f"{MNIST_PIXELS} inputs and a softmax over {MNIST_CLASSES} outputs")
    return {"layers": model.neurons_per_layer[:-1]}


class DownloadNotes:
    """Say on standard error when each MNIST file starts downloading (once; later runs find it)."""

    def __init__(self):
        self.started = set()

    def __call__(self, name: str, done: int, total: int | None) -> None:
        if name not in self.started:
            self.started.add(name)
            size = f" ({total / 1e6:.1f} MB)" if total else ""
            note(f"downloading {name}{size}...")
