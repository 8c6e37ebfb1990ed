"""The ``numpy-mlp`` command: train on a CSV file, predict with a saved model, run the demo.

Results go to standard output; progress and notes to standard error. A bad file or argument
ends with one line on standard error, ``numpy-mlp: error: ...``, and exit status 2 (status 1
when training diverges).
Each command is a pair: ``add_<command>_command(commands)`` declares its arguments and
``run_<command>(args)`` does the work, returning the exit status.
"""

from __future__ import annotations

import argparse
import numbers
import os
import sys
import time

import numpy as np

from . import __version__
from .activations import ACTIVATIONS
from .datasets import (load_breast_cancer, make_moons, make_xor, read_csv, read_features_csv,
                       train_test_split, write_csv)
from .network import MLP
from .optimizers import SGD
from .preprocessing import infer_classes
from .serialization import load
from .training import DivergenceError

EXIT_BAD_INPUT = 2
EXIT_TRAINING_FAILED = 1


def main(argv=None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_request:  # --help, --version, or a usage error already printed
        return exit_request.code if isinstance(exit_request.code, int) else 0
    try:
        return args.run(args)
    except BrokenPipeError:  # the reader of our output went away (`numpy-mlp predict ... | head`)
        silence_stdout()
        return 1
    except DivergenceError as error:
        return report_error(error, EXIT_TRAINING_FAILED)
    # CSVError and ModelFileError are ValueErrors; ImportError names a missing optional extra.
    except (ValueError, OSError, ImportError) as error:
        return report_error(error, EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        print("numpy-mlp: interrupted", file=sys.stderr)
        return 130


def report_error(error: BaseException, status: int) -> int:
    """Print ``error`` as one line on standard error (no traceback) and return ``status``."""
    if isinstance(error, OSError) and error.strerror and error.filename:
        message = f"{error.strerror}: {error.filename}"  # not "[Errno 2] ..."
    else:
        message = str(error)
    print(f"numpy-mlp: error: {' '.join(message.split())}", file=sys.stderr)
    return status


def silence_stdout() -> None:
    """Point standard output at /dev/null, so Python's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (output captured in-process)
        pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="numpy-mlp",
        description="A multilayer perceptron with hand-written backpropagation in NumPy.",
        epilog="Run 'numpy-mlp COMMAND --help' for a command's options.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_train_command(commands)
    add_predict_command(commands)
    add_demo_command(commands)
    return parser


def note(message: str) -> None:
    """Progress and notes: standard error, so that standard output holds only results."""
    print(message, file=sys.stderr)


# -- argument types ---------------------------------------------------------------------------

def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def holdout_fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1), got {text!r}")
    return value


# -- optimizer options ------------------------------------------------------------------------
# Issue 4 extends these two functions: --optimizer sgd|momentum|nesterov|rmsprop|adam|adamw,
# their hyperparameters, --weight-decay, --lr-schedule and --resume. Every training command
# declares its optimizer options with the first and builds its optimizer with the second.

def add_optimizer_arguments(parser: argparse.ArgumentParser, learning_rate: float = 0.1) -> None:
    group = parser.add_argument_group("optimizer")
    group.add_argument("--learning-rate", type=positive_float, default=learning_rate, metavar="LR",
                       help="step size of gradient descent (default: %(default)s)")


def build_optimizer(args: argparse.Namespace):
    """The optimizer the command line asks for: plain gradient descent (SGD) for now."""
    return SGD(learning_rate=args.learning_rate)


# -- train ------------------------------------------------------------------------------------

def add_train_command(commands) -> None:
    parser = commands.add_parser(
        "train", help="train a classifier on a CSV file and save it",
        description="Train an MLP on a CSV file with a header line: every column but the target "
                    "is a numeric feature. The features are standardised (the scaling is saved "
                    "with the model); two classes get one sigmoid output, K > 2 classes a softmax "
                    "over K outputs. Prints the training and test metrics and saves the model.")
    parser.add_argument("data", metavar="data.csv", help="CSV file with a header line")
    parser.add_argument("--target", required=True, metavar="COLUMN", help="the column holding the labels")
    parser.add_argument("--layers", type=positive_int, nargs="+", default=[16, 8], metavar="N",
                        help="hidden layer widths; the output layer is added (default: 16 8)")
    parser.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu",
                        help="hidden activation (default: %(default)s)")
    parser.add_argument("--epochs", type=positive_int, default=200, help="(default: %(default)s)")
    parser.add_argument("--batch-size", type=positive_int, default=32, help="(default: %(default)s)")
    add_optimizer_arguments(parser)
    parser.add_argument("--test-size", type=holdout_fraction, default=0.2, metavar="FRACTION",
                        help="fraction held out for testing, stratified by class; 0 trains on "
                             "everything (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seeds the split, the weights and the shuffling (default: %(default)s)")
    parser.add_argument("--out", default="model.npz", metavar="MODEL.npz",
                        help="where to save the model (default: %(default)s)")
    parser.add_argument("--plot", metavar="CURVES.png",
                        help="also save the learning curves, training and test, per epoch (needs matplotlib)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.set_defaults(run=run_train)


def run_train(args) -> int:
    if args.plot:
        from .plotting import require_matplotlib
        require_matplotlib()  # fail now, not after training
    X, y, feature_names = read_csv(args.data, args.target)
    model = build_classifier(X.shape[1], y, args.layers, args.activation, args.seed,
                             target_name=f"{args.data}: the column {args.target!r}")
    model.feature_names_ = feature_names  # predict picks these columns by name
    if args.test_size > 0:
        X_train, X_test, y_train, y_test = train_test_split(X, y, args.test_size, seed=args.seed,
                                                            stratify=True)
        validation = (X_test, y_test)
    else:
        X_train, y_train, validation = X, y, None
    if not args.quiet:
        note(f"{args.data}: {len(X)} samples, {X.shape[1]} features, classes {model.classes_.tolist()}; "
             f"training on {len(X_train)}, testing on {len(X) - len(X_train)}")
        note(model.summary())
    history = model.fit(X_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                        optimizer=build_optimizer(args), validation_data=validation,
                        verbose=0 if args.quiet else 1)
    print(f"train: {format_metrics(model.evaluate(X_train, y_train))}")
    if validation is not None:
        print(f"test:  {format_metrics(model.evaluate(*validation))}")
    model.save(args.out)
    print(f"model saved to {args.out}")
    if args.plot:
        from .plotting import plot_history
        plot_history(history, args.plot, validation_label="test")
        print(f"learning curves saved to {args.plot}")
    return 0


def build_classifier(n_features: int, y, hidden_layers, activation="relu", seed=None,
                     target_name: str = "the target") -> MLP:
    """A standardising MLP for the labels y: one sigmoid output for two classes, a softmax for more.

    ``classes_`` is set from all of y, so a class that a small training split lacks is still known.
    """
    n_classes = len(np.unique(y))
    if n_classes < 2:
        raise ValueError(f"{target_name} has a single class ({y[0]}); a classifier needs at least two")
    output, n_outputs = ("sigmoid", 1) if n_classes == 2 else ("softmax", n_classes)
    model = MLP(n_features, [*hidden_layers, n_outputs], activation=activation, output=output,
                seed=seed, standardize=True)
    model.classes_ = infer_classes(y, n_classes)
    return model


def format_metrics(report: dict) -> str:
    """'loss 0.1234  accuracy 0.9876 ...': the scalar metrics of an ``evaluate`` report."""
    return "  ".join(f"{name} {value:.4f}" for name, value in report.items()
                     if isinstance(value, numbers.Real) and not isinstance(value, bool))


# -- predict ----------------------------------------------------------------------------------

def add_predict_command(commands) -> None:
    parser = commands.add_parser(
        "predict", help="predict labels and probabilities for the rows of a CSV file",
        description="Predict with a saved model. The CSV needs a header line and the feature "
                    "columns the model was trained on (found by name; other columns, such as the "
                    "target, are ignored; a model saved from Python without feature names takes "
                    "every column, in order). Writes one row per input row: the predicted label "
                    "and the probability of each class.")
    parser.add_argument("model", metavar="model.npz", help="a model saved by 'numpy-mlp train'")
    parser.add_argument("data", metavar="data.csv", help="CSV file with a header line")
    parser.add_argument("--out", metavar="PREDICTIONS.csv",
                        help="write the predictions to this file (default: standard output)")
    parser.set_defaults(run=run_predict)


def run_predict(args) -> int:
    model = load(args.model)
    X = read_features_csv(args.data, model.feature_names_)
    header, rows = prediction_table(model, X)
    if args.out:
        write_csv(args.out, header, rows)
        note(f"{len(rows)} predictions written to {args.out}")
    else:
        write_csv(sys.stdout, header, rows)
    return 0


def prediction_table(model: MLP, X) -> tuple[list[str], list[list]]:
    """The header and rows of a predictions file: the label, then each class's probability."""
    probabilities = model.predict_proba(X)
    predictions = model.predict(X)
    if probabilities.ndim == 1:  # one sigmoid output: the probability of classes_[1]
        positive = probabilities.astype(np.float64)
        probabilities = np.column_stack([1.0 - positive, positive])
    if predictions.ndim == 2:  # several independent sigmoid outputs (multi-label)
        header = [f"prediction_{k}" for k in range(predictions.shape[1])]
        header += [f"probability_{k}" for k in range(predictions.shape[1])]
        return header, [[*labels, *row] for labels, row in zip(predictions.tolist(), probabilities.tolist())]
    classes = model.classes_.tolist() if model.classes_ is not None else list(range(probabilities.shape[1]))
    header = ["prediction", *(f"probability_{label}" for label in classes)]
    return header, [[label, *row] for label, row in zip(predictions.tolist(), probabilities.tolist())]


# -- demo -------------------------------------------------------------------------------------

def add_demo_command(commands) -> None:
    parser = commands.add_parser(
        "demo", help="train on XOR, the breast-cancer data and two moons; print metrics, save plots",
        description="The main job, with no download: a small MLP learns XOR; another learns the "
                    "Wisconsin breast-cancer data that scikit-learn ships (standardised, 80/20 "
                    "split, seed 0); a third separates two moons. With matplotlib installed, "
                    "learning curves and a decision boundary are saved as PNG files.")
    parser.add_argument("--out-dir", default="demo-output", metavar="DIR",
                        help="folder for the PNG files (default: %(default)s)")
    parser.set_defaults(run=run_demo)


def run_demo(args) -> int:
    started = time.perf_counter()
    plots = matplotlib_available()
    if plots:
        os.makedirs(args.out_dir, exist_ok=True)
    else:
        note("matplotlib is not installed: no plots (pip install numpy-mlp[plot])")
    demo_xor()
    demo_breast_cancer(args.out_dir if plots else None)
    demo_moons(args.out_dir if plots else None)
    print(f"\ndemo finished in {time.perf_counter() - started:.1f} s")
    return 0


def matplotlib_available() -> bool:
    from .plotting import require_matplotlib
    try:
        require_matplotlib()
    except ImportError:
        return False
    return True


def demo_xor() -> None:
    X, y = make_xor()
    model = MLP(2, [8, 1], activation="tanh", seed=0)
    model.fit(X, y, epochs=2000, batch_size=4, learning_rate=0.5, verbose=0)
    print("XOR, MLP 2-8-1 (tanh), 2000 epochs of gradient descent:")
    for point, probability in zip(X, model.predict_proba(X)):
        print(f"  {point[0]:.0f} XOR {point[1]:.0f}: P(1) = {probability:.3f}")
    print(f"  {format_metrics(model.evaluate(X, y))}")


def demo_breast_cancer(out_dir) -> None:
    try:
        X, y, _ = load_breast_cancer()
    except ImportError:
        print("\nbreast cancer: skipped, scikit-learn is not installed (pip install numpy-mlp[sklearn])")
        return
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=0, stratify=True)
    model = MLP(X.shape[1], [16, 8, 1], seed=0, standardize=True)
    history = model.fit(X_train, y_train, epochs=50, batch_size=32, learning_rate=0.05,
                        validation_data=(X_test, y_test), verbose=0)
    print(f"\nbreast cancer (Wisconsin), MLP 30-16-8-1, {len(X_train)} training and "
          f"{len(X_test)} test samples, 50 epochs:")
    print(f"  train: {format_metrics(model.evaluate(X_train, y_train))}")
    print(f"  test:  {format_metrics(model.evaluate(X_test, y_test))}")
    if out_dir is not None:
        from .plotting import plot_history
        path = os.path.join(out_dir, "breast_cancer_learning_curves.png")
        plot_history(history, path, validation_label="test")
        print(f"  learning curves saved to {path}")


def demo_moons(out_dir) -> None:
    X, y = make_moons(n_samples=1000, noise=0.15, seed=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=0, stratify=True)
    model = MLP(2, [16, 16, 1], seed=0)
    history = model.fit(X_train, y_train, epochs=200, batch_size=32, learning_rate=0.1,
                        validation_data=(X_test, y_test), verbose=0)
    print(f"\ntwo moons (noise 0.15), MLP 2-16-16-1, {len(X_train)} training and "
          f"{len(X_test)} test samples, 200 epochs:")
    print(f"  train: {format_metrics(model.evaluate(X_train, y_train))}")
    print(f"  test:  {format_metrics(model.evaluate(X_test, y_test))}")
    if out_dir is not None:
        from .plotting import plot_decision_boundary, plot_history
        curves = os.path.join(out_dir, "moons_learning_curves.png")
        boundary = os.path.join(out_dir, "moons_decision_boundary.png")
        plot_history(history, curves, validation_label="test")
        plot_decision_boundary(model, X, y, boundary, title="Two moons: decision boundary")
        print(f"  learning curves saved to {curves}")
        print(f"  decision boundary saved to {boundary}")
