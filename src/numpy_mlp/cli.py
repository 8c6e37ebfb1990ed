"""The ``numpy-mlp`` command: train on a CSV file or on MNIST, predict with a saved model, run the demo.

Results go to standard output; progress and notes to standard error. A bad file or argument
ends with one line on standard error, ``numpy-mlp: error: ...``, and exit status 2 (status 1
when training diverges).
Each command is a pair: ``add_<command>_command(commands)`` declares its arguments and
``run_<command>(args)`` does the work, returning the exit status.
"""

from __future__ import annotations

import argparse
import math
import numbers
import os
import sys
import time

import numpy as np

from . import __version__
from .activations import ACTIVATIONS
from .datasets import (load_breast_cancer, load_mnist, make_moons, make_xor, read_csv, read_features_csv,
                       train_test_split, write_csv)
from .network import MLP
from .optimizers import OPTIMIZER_CHOICES, SGD, Optimizer, make_optimizer
from .preprocessing import infer_classes
from .schedules import SCHEDULES, Schedule, make_schedule
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
    add_mnist_command(commands)
    add_predict_command(commands)
    add_demo_command(commands)
    return parser


def note(message: str) -> None:
    """Progress and notes: standard error, so that standard output holds only results."""
    print(message, file=sys.stderr)


# -- argument types ---------------------------------------------------------------------------

def argument_type(convert, is_valid, expected: str):
    """An argparse type: ``convert`` the text and check it with ``is_valid``, else say what was expected."""
    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not is_valid(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value
    return parse


# NaN fails every comparison, so these refuse "nan" too.
positive_int = argument_type(int, lambda value: value >= 1, "a positive integer")
non_negative_int = argument_type(int, lambda value: value >= 0, "an integer >= 0")
positive_float = argument_type(float, lambda value: 0 < value < math.inf, "a positive number")
non_negative_float = argument_type(float, lambda value: 0 <= value < math.inf, "a number >= 0")
fraction = argument_type(float, lambda value: 0 <= value < 1, "a fraction in [0, 1)")


class StoreGiven(argparse.Action):
    """Store an option's value as argparse does, and record that the user typed the option.

    ``--resume`` needs the difference: a default ``--layers`` says nothing about the loaded
    model, while a typed one that contradicts it is a mistake worth reporting.
    """

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        namespace.given_options = given_options(namespace) | {self.dest}


def given_options(args: argparse.Namespace) -> frozenset:
    """The destinations (``"layers"``, ``"learning_rate"``...) of the StoreGiven options typed."""
    return getattr(args, "given_options", frozenset())


def option_name(dest: str) -> str:
    """'--learning-rate' for the destination 'learning_rate'."""
    return "--" + dest.replace("_", "-")


def format_value(value) -> str:
    """An option's value as it would be typed: '256 128' for a list."""
    return " ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


# -- optimizer options ------------------------------------------------------------------------
# Every training command declares its optimizer options with add_optimizer_arguments and gets
# its optimizer from training_optimizer (a new one from the options, or the one --resume loads).

def add_optimizer_arguments(parser: argparse.ArgumentParser, learning_rate: float = 0.1,
                            optimizer: str = "sgd", lr_schedule: str = "constant",
                            weight_decay: float | None = None) -> None:
    """The optimizer options, with this command's defaults (weight_decay None: the algorithm's own)."""
    default_decay = "0, and 0.01 for adamw" if weight_decay is None else f"{weight_decay:g}"
    group = parser.add_argument_group(
        "optimizer", "With --resume and a model saved with its optimizer, that optimizer continues "
                     "(its state, step count and schedule); options that contradict it are an error.")
    group.add_argument("--optimizer", choices=OPTIMIZER_CHOICES, default=optimizer, action=StoreGiven,
                       help="sgd: plain gradient descent; momentum, nesterov: SGD with (Nesterov) "
                            "momentum; rmsprop; adam; adamw: Adam with decoupled weight decay "
                            "(default: %(default)s)")
    group.add_argument("--learning-rate", type=positive_float, default=learning_rate, metavar="LR",
                       action=StoreGiven, help="step size; with a schedule, its starting value "
                                               "(default: %(default)s)")
    group.add_argument("--lr-schedule", choices=tuple(SCHEDULES), default=lr_schedule, action=StoreGiven,
                       help="how the rate changes over the run, per mini-batch: constant; step (divided "
                            "by 10 every third of the run); exponential (down 100-fold by the end); "
                            "cosine (down to 0 by the end) (default: %(default)s)")
    group.add_argument("--warmup-epochs", type=non_negative_int, default=0, metavar="N", action=StoreGiven,
                       help="raise the rate linearly from near 0 over the first N epochs, then follow "
                            "the schedule (default: %(default)s)")
    group.add_argument("--momentum", type=fraction, default=0.9, action=StoreGiven,
                       help="momentum of --optimizer momentum and nesterov (default: %(default)s)")
    group.add_argument("--beta1", type=fraction, default=0.9, action=StoreGiven,
                       help="Adam's decay of the gradient mean (default: %(default)s)")
    group.add_argument("--beta2", type=fraction, default=0.999, action=StoreGiven,
                       help="Adam's decay of the squared-gradient mean (default: %(default)s)")
    group.add_argument("--rho", type=fraction, default=0.9, action=StoreGiven,
                       help="RMSProp's decay of the squared-gradient mean (default: %(default)s)")
    group.add_argument("--eps", type=positive_float, default=1e-8, action=StoreGiven,
                       help="added to the denominator of RMSProp, Adam and AdamW (default: %(default)s)")
    group.add_argument("--weight-decay", type=non_negative_float, default=weight_decay, metavar="WD",
                       action=StoreGiven, help="L2 weight decay of the weight matrices, decoupled for "
                                               f"adamw (default: {default_decay})")
    group.add_argument("--clip-norm", type=positive_float, default=None, metavar="NORM", action=StoreGiven,
                       help="rescale the gradients when their global L2 norm exceeds NORM (default: no clipping)")


def build_optimizer(args: argparse.Namespace, steps_per_epoch: int) -> Optimizer:
    """A new optimizer from the options; a schedule spans this run's --epochs.

    An epoch is ``steps_per_epoch`` mini-batches, so a schedule of --epochs E with
    --warmup-epochs W lasts E * steps_per_epoch steps, the first W * steps_per_epoch warming up.
    """
    learning_rate = args.learning_rate
    if args.lr_schedule != "constant" or args.warmup_epochs:
        if args.warmup_epochs >= args.epochs:
            raise ValueError(f"--warmup-epochs ({args.warmup_epochs}) must be fewer than --epochs ({args.epochs})")
        learning_rate = make_schedule(args.lr_schedule, args.learning_rate,
                                      total_steps=args.epochs * steps_per_epoch,
                                      warmup_steps=args.warmup_epochs * steps_per_epoch)
    return make_optimizer(args.optimizer, learning_rate, weight_decay=args.weight_decay,
                          clip_norm=args.clip_norm, momentum=args.momentum, beta1=args.beta1,
                          beta2=args.beta2, eps=args.eps, rho=args.rho)


def training_optimizer(model: MLP, args: argparse.Namespace, n_train: int) -> Optimizer:
    """The optimizer of this run: the resumed model's own, if it was saved with one, else a new one."""
    steps_per_epoch = math.ceil(n_train / args.batch_size)
    if model.optimizer is None:
        if args.resume:
            note(f"{args.resume} was saved without its optimizer: a new {args.optimizer} optimizer "
                 "starts from the options")
        return build_optimizer(args, steps_per_epoch)
    check_optimizer_options(model.optimizer, args, steps_per_epoch)
    if model.optimizer.current_learning_rate() == 0:
        raise ValueError(f"the learning-rate schedule saved in {args.resume} has ended at rate 0 "
                         f"(step {model.optimizer.step_count}), so more epochs would not change the "
                         "model; train a new one with more --epochs instead")
    return model.optimizer


def saved_optimizer_options(optimizer: Optimizer, steps_per_epoch: int) -> dict:
    """The option values that describe a saved optimizer, keyed like the parsed arguments."""
    rate = optimizer.learning_rate
    schedule = rate if isinstance(rate, Schedule) else None
    if isinstance(optimizer, SGD):
        name = "nesterov" if optimizer.nesterov else "momentum" if optimizer.momentum else "sgd"
    else:
        name = optimizer.name
    options = {"optimizer": name,
               "learning_rate": schedule.learning_rate if schedule else rate,
               "lr_schedule": schedule.name if schedule else "constant",
               "warmup_epochs": schedule.warmup_steps / steps_per_epoch if schedule else 0,
               "weight_decay": optimizer.weight_decay, "clip_norm": optimizer.clip_norm}
    # Hyperparameters the algorithm uses (plain SGD ignores --momentum, as a new run would).
    for attribute, dest in (("momentum", "momentum"), ("b1", "beta1"), ("b2", "beta2"),
                            ("eps", "eps"), ("rho", "rho")):
        if hasattr(optimizer, attribute) and not (dest == "momentum" and name == "sgd"):
            options[dest] = getattr(optimizer, attribute)
    return options


def check_optimizer_options(optimizer: Optimizer, args: argparse.Namespace, steps_per_epoch: int) -> None:
    """Refuse optimizer options typed with --resume that contradict the optimizer saved in the model."""
    saved = saved_optimizer_options(optimizer, steps_per_epoch)
    for dest in sorted(given_options(args) & saved.keys()):
        if getattr(args, dest) != saved[dest]:
            raise ValueError(f"{option_name(dest)} {format_value(getattr(args, dest))} contradicts the "
                             f"optimizer saved in {args.resume} ({option_name(dest)} "
                             f"{format_value(saved[dest])}), which --resume continues; leave "
                             f"{option_name(dest)} out")


def add_resume_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--resume", metavar="MODEL.npz",
                        help="continue training this saved model (with its optimizer, when saved with "
                             "one) for --epochs more epochs; architecture options must match it")


def load_for_resume(args: argparse.Namespace, architecture) -> MLP:
    """The model of --resume, with the architecture options that contradict it refused.

    ``architecture(model)`` gives the model's value of each architecture option, keyed like the
    parsed arguments; those values replace the defaults in ``args``.
    """
    model = load(args.resume)
    for dest, value in architecture(model).items():
        if dest in given_options(args) and getattr(args, dest) != value:
            raise ValueError(f"{option_name(dest)} {format_value(getattr(args, dest))} contradicts the "
                             f"model to resume, {args.resume}, which has {option_name(dest)} "
                             f"{format_value(value)}; leave {option_name(dest)} out or give the same value")
        setattr(args, dest, value)
    return model


# -- train ------------------------------------------------------------------------------------

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
    parser.add_argument("--epochs", type=positive_int, default=200,
                        help="epochs to train (with --resume: epochs more) (default: %(default)s)")
    parser.add_argument("--batch-size", type=positive_int, default=32, help="(default: %(default)s)")
    add_optimizer_arguments(parser)
    parser.add_argument("--test-size", type=fraction, default=0.2, metavar="FRACTION",
                        help="fraction held out for testing, stratified by class; 0 trains on "
                             "everything (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seeds the split, the weights and the shuffling; with --resume give the "
                             "first run's seed, so that the split is the same (default: %(default)s)")
    add_resume_argument(parser)
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
    if args.resume:
        model = load_for_resume(args, lambda model: {"layers": model.neurons_per_layer[:-1],
                                                     "activation": model.activation.name})
        if model.feature_names_ is not None and model.feature_names_ != feature_names:
            raise ValueError(f"{args.data} has the feature columns {', '.join(feature_names)}, but "
                             f"{args.resume} was trained on {', '.join(model.feature_names_)}")
    else:
        model = build_classifier(X.shape[1], y, args.layers, args.activation, args.seed,
                                 target_name=f"{args.data}: the column {args.target!r}")
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
                        optimizer=optimizer, validation_data=validation,
                        verbose=0 if args.quiet else 1)
    print(f"train: {format_metrics(model.evaluate(X_train, y_train))}")
    if validation is not None:
        print(f"test:  {format_metrics(model.evaluate(*validation))}")
    model.save(args.out, include_optimizer=True)
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
    model = MLP(X.shape[1], [16, 8, 1], seed=0, standardize=True)
    train_and_report(model, "breast cancer (Wisconsin), MLP 30-16-8-1", X, y, epochs=50,
                     learning_rate=0.05, out_dir=out_dir, name="breast_cancer")


def demo_moons(out_dir) -> None:
    X, y = make_moons(n_samples=1000, noise=0.15, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    train_and_report(model, "two moons (noise 0.15), MLP 2-16-16-1", X, y, epochs=200,
                     learning_rate=0.1, out_dir=out_dir, name="moons")
    if out_dir is not None:
        from .plotting import plot_decision_boundary
        boundary = os.path.join(out_dir, "moons_decision_boundary.png")
        plot_decision_boundary(model, X, y, boundary, title="Two moons: decision boundary")
        print(f"  decision boundary saved to {boundary}")


def train_and_report(model, title, X, y, epochs, learning_rate, out_dir, name) -> None:
    """Split 80/20 (stratified, seed 0), train, print train and test metrics, plot the curves."""
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=0, stratify=True)
    history = model.fit(X_train, y_train, epochs=epochs, batch_size=32, learning_rate=learning_rate,
                        validation_data=(X_test, y_test), verbose=0)
    print(f"\n{title}, {len(X_train)} training and {len(X_test)} test samples, {epochs} epochs:")
    print(f"  train: {format_metrics(model.evaluate(X_train, y_train))}")
    print(f"  test:  {format_metrics(model.evaluate(X_test, y_test))}")
    if out_dir is not None:
        from .plotting import plot_history
        curves = os.path.join(out_dir, f"{name}_learning_curves.png")
        plot_history(history, curves, validation_label="test")
        print(f"  learning curves saved to {curves}")


# -- mnist ------------------------------------------------------------------------------------
# The default run, chosen by measurement on a 2-core machine (see the README): a 784-256-128-10
# ReLU network trained by SGD with momentum 0.9, L2 weight decay and a cosine-decayed rate: over
# 5 seeds 98.39-98.55% test accuracy (mean 98.48%), about 15 s of training on an idle machine.
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
    parser.add_argument("--epochs", type=positive_int, default=MNIST_EPOCHS,
                        help="epochs to train (with --resume: epochs more) (default: %(default)s)")
    parser.add_argument("--batch-size", type=positive_int, default=MNIST_BATCH_SIZE,
                        help="(default: %(default)s)")
    add_optimizer_arguments(parser, learning_rate=MNIST_LEARNING_RATE, optimizer=MNIST_OPTIMIZER,
                            lr_schedule=MNIST_SCHEDULE, weight_decay=MNIST_WEIGHT_DECAY)
    parser.add_argument("--seed", type=int, default=0,
                        help="seeds the weights and the shuffling; with --resume the saved random "
                             "generator continues instead (default: %(default)s)")
    parser.add_argument("--limit-train", type=positive_int, metavar="N",
                        help="train on the first N training digits only (quick runs); the test set "
                             "stays whole")
    add_resume_argument(parser)
    parser.add_argument("--out", default="mnist-model.npz", metavar="MODEL.npz",
                        help="where to save the model (default: %(default)s)")
    parser.add_argument("--plot", metavar="REPORT.png",
                        help="also save the learning curves, the confusion matrix and misclassified "
                             "test digits (needs matplotlib)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.set_defaults(run=run_mnist)


def run_mnist(args) -> int:
    if args.plot:
        from .plotting import require_matplotlib
        require_matplotlib()  # fail now, not after training
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
    started = time.perf_counter()
    # The test set is only watched per epoch (for the learning curves), never used to choose.
    history = model.fit(X_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                        optimizer=optimizer, validation_data=(X_test, y_test),
                        verbose=0 if args.quiet else 1)
    seconds = time.perf_counter() - started
    report = model.evaluate(X_test, y_test)
    print(f"test:  {format_metrics(report)}")
    print(f"test accuracy: {report['accuracy']:.2%} of {len(X_test):,} digits")
    in_all = f" ({model.epochs_trained} in all)" if args.resume else ""
    print(f"training: {len(history.epochs)} epoch{'s' if len(history.epochs) > 1 else ''}{in_all} "
          f"in {seconds:.1f} s")
    print(per_class_table(report, model.classes_))
    print(confusion_table(report["confusion_matrix"], model.classes_))
    model.save(args.out, include_optimizer=True)
    print(f"model saved to {args.out}")
    if args.plot:
        from .plotting import plot_mnist_report
        predicted = model.predict(X_test)
        wrong = predicted != y_test
        plot_mnist_report(history, report["confusion_matrix"], X_test[wrong], y_test[wrong],
                          predicted[wrong], args.plot, labels=model.classes_.tolist(), validation_label="test")
        print(f"report saved to {args.plot}")
    return 0


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


def per_class_table(report: dict, classes) -> str:
    """Precision, recall and F1 of each class, one row per class, with its number of test samples."""
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
