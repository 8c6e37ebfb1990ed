"""What every command shares: argument types, the CSV and optimizer and resume options, metrics lines."""

from __future__ import annotations

import argparse
import math
import numbers
import os
import sys

from ..callbacks import ModelCheckpoint
from ..datasets.csv import CSVTable, read_csv_table
from ..files import check_writable_destination
from ..network import MLP, load
from ..optimizers import OPTIMIZER_NAMES, Optimizer, make_optimizer, optimizer_name
from ..schedules import SCHEDULES, Schedule, make_schedule


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
open_fraction = argument_type(float, lambda value: 0 < value < 1, "a fraction in (0, 1)")
dropout_rate = fraction
threshold = open_fraction

#: delimiters that are awkward to type in a shell, by name
DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "space": " ", "pipe": "|"}


def delimiter(text: str) -> str:
    """An argparse type: one character, or a name of one (``tab`` or ``\\t``, ``semicolon``...)."""
    value = DELIMITER_NAMES.get(text.lower(), text)
    if len(value) != 1 or value in "\"\r\n":
        raise argparse.ArgumentTypeError(f"expected one character (or tab, comma, semicolon, space, pipe), "
                                         f"got {text!r}")
    return value


class StoreGiven(argparse.Action):
    """Store an option's value as argparse does, and record that the user typed the option.

    ``--resume`` needs the difference: a default ``--layers`` says nothing about the loaded
    model, while a typed one that contradicts it is a mistake worth reporting.
    """

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        namespace.given_options = given_options(namespace) | {self.dest}


def dropout_from_option(rates: list[float]):
    """--dropout as ``MLP(dropout=...)`` takes it: one rate for every hidden layer, or the list."""
    return rates[0] if len(rates) == 1 else rates


def dropout_as_option(model: MLP) -> list[float]:
    """A model's dropout as --dropout writes it: one rate when every hidden layer has the same."""
    rates = model.dropout or [0.0]
    return rates[:1] if len(set(rates)) == 1 else rates


def given_options(args: argparse.Namespace) -> frozenset:
    """The destinations (``"layers"``, ``"learning_rate"``...) of the StoreGiven options typed."""
    return getattr(args, "given_options", frozenset())


def option_name(dest: str) -> str:
    """'--learning-rate' for the destination 'learning_rate'."""
    return "--" + dest.replace("_", "-")


def format_value(value) -> str:
    """An option's value as it would be typed: '256 128' for a list."""
    return " ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


# -- the CSV file and the outputs -------------------------------------------------------------

def add_table_arguments(parser: argparse.ArgumentParser) -> None:
    """--delimiter, --id-column and --drop-columns: how to read a CSV file, which columns are not features."""
    group = parser.add_argument_group("the CSV file")
    group.add_argument("--delimiter", type=delimiter, default=",", metavar="CHAR",
                       help="the character between fields: ',' ';' '|'..., or a name: tab (also "
                            "written \\t), comma, semicolon, space, pipe (default: ',')")
    group.add_argument("--id-column", metavar="COLUMN",
                       help="a column that identifies the rows and is not a feature; predict writes it "
                            "first, beside each prediction, so that the predictions can be joined back")
    group.add_argument("--drop-columns", nargs="+", default=[], metavar="COLUMN",
                       help="columns that are not features (names, dates, free text...), left out; a "
                            "model's own features are found by name, so this matters when training, "
                            "or for a model saved without feature names")


def read_table(args: argparse.Namespace, dtype, target: str | None = None, features=None) -> CSVTable:
    """The CSV file ``args.data`` read with the table options (``add_table_arguments``): the
    ``features`` columns as ``dtype`` (None: every column not set apart), the ``target`` labels,
    the identifiers, and the weights of ``--sample-weight-column`` (where the command has it)."""
    return read_csv_table(args.data, target, features=features, dtype=dtype, delimiter=args.delimiter,
                          drop_columns=args.drop_columns, id_column=args.id_column,
                          weight_column=getattr(args, "sample_weight_column", None))


def check_destinations(**paths) -> None:
    """Refuse, before any work, outputs (``out="model.npz"``...; None for those not asked for)
    that cannot be written, or two options naming the same file."""
    given = {option_name(dest): path for dest, path in paths.items() if path is not None}
    for path in given.values():
        check_writable_destination(path)
    seen = {}
    for option, path in given.items():
        other = seen.setdefault(os.path.realpath(path), option)
        if other != option:
            raise ValueError(f"{other} and {option} both name {path}; give each its own file")


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
                     "(its state, step count and schedule). A --learning-rate, --lr-schedule or "
                     "--warmup-epochs that differs from the saved one gives it a new rate for this "
                     "run's epochs instead (the rate and schedule left out as saved), keeping its "
                     "state; other options that contradict it are an error.")
    group.add_argument("--optimizer", choices=tuple(OPTIMIZER_NAMES), default=optimizer, action=StoreGiven,
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


#: the options that set the learning rate: with --resume, giving one replaces the saved rate
RATE_OPTIONS = {"learning_rate", "lr_schedule", "warmup_epochs"}


def build_learning_rate(args: argparse.Namespace, steps_per_epoch: int, start_step: int = 0):
    """The learning rate of the options: a number, or a schedule spanning this run's --epochs.

    An epoch is ``steps_per_epoch`` mini-batches, so a schedule of --epochs E with
    --warmup-epochs W lasts E * steps_per_epoch steps, the first W * steps_per_epoch warming up,
    counted from the optimizer's step ``start_step``.
    """
    if args.lr_schedule == "constant" and not args.warmup_epochs:
        return args.learning_rate
    if args.warmup_epochs >= args.epochs:
        raise ValueError(f"--warmup-epochs ({args.warmup_epochs}) must be fewer than --epochs ({args.epochs})")
    return make_schedule(args.lr_schedule, args.learning_rate, total_steps=args.epochs * steps_per_epoch,
                         warmup_steps=args.warmup_epochs * steps_per_epoch, start_step=start_step)


def build_optimizer(args: argparse.Namespace, steps_per_epoch: int) -> Optimizer:
    """A new optimizer from the options; a schedule spans this run's --epochs."""
    return make_optimizer(args.optimizer, build_learning_rate(args, steps_per_epoch),
                          weight_decay=args.weight_decay, clip_norm=args.clip_norm, momentum=args.momentum,
                          beta1=args.beta1, beta2=args.beta2, eps=args.eps, rho=args.rho)


def training_optimizer(model: MLP, args: argparse.Namespace, n_train: int) -> Optimizer:
    """The optimizer of this run: the resumed model's own, if it was saved with one, else a new one."""
    steps_per_epoch = math.ceil(n_train / args.batch_size)
    if model.optimizer is None:
        if args.resume:
            note(f"{args.resume} was saved without its optimizer: a new {args.optimizer} optimizer "
                 "starts from the options")
        return build_optimizer(args, steps_per_epoch)
    optimizer = model.optimizer
    saved = saved_optimizer_options(optimizer, steps_per_epoch)
    # Rate options repeated as saved continue the saved schedule; one that differs starts a new one.
    new_rate = any(getattr(args, dest) != saved[dest] for dest in given_options(args) & RATE_OPTIONS)
    check_optimizer_options(saved, args, ignore=RATE_OPTIONS if new_rate else ())
    if new_rate:
        # --learning-rate and --lr-schedule left out keep their saved values (a warm-up is only if asked).
        for dest in ("learning_rate", "lr_schedule"):
            if dest not in given_options(args):
                setattr(args, dest, saved[dest])
        optimizer.learning_rate = build_learning_rate(args, steps_per_epoch, start_step=optimizer.step_count)
        note(f"the optimizer saved in {args.resume} goes on with its state, at the new learning rate "
             f"{optimizer.learning_rate!r}")
    elif optimizer.current_learning_rate() == 0:
        raise ValueError(f"the learning-rate schedule saved in {args.resume} has ended at rate 0 "
                         f"(step {optimizer.step_count}), so more epochs would not change the model; "
                         "give a new --learning-rate, or train a new model with more --epochs")
    return optimizer


def saved_optimizer_options(optimizer: Optimizer, steps_per_epoch: int) -> dict:
    """The option values that describe a saved optimizer, keyed like the parsed arguments."""
    rate = optimizer.learning_rate
    schedule = rate if isinstance(rate, Schedule) else None
    name = optimizer_name(optimizer)
    options = {"optimizer": name,
               "learning_rate": schedule.learning_rate if schedule else rate,
               "lr_schedule": schedule.name if schedule else "constant",
               "warmup_epochs": schedule.warmup_steps / steps_per_epoch if schedule else 0,
               "weight_decay": optimizer.weight_decay, "clip_norm": optimizer.clip_norm}
    # The hyperparameters the algorithm uses (plain SGD ignores --momentum, as a new run would).
    hyperparameters = set(optimizer.hyperparameters) - set(OPTIMIZER_NAMES[name][1]) - {"nesterov"}
    options.update({key: getattr(optimizer, key) for key in hyperparameters})
    return options


def check_optimizer_options(saved: dict, args: argparse.Namespace, ignore=()) -> None:
    """Refuse optimizer options typed with --resume that contradict ``saved``, the options of the
    optimizer saved in the model (``saved_optimizer_options``), but those in ``ignore``."""
    for dest in sorted((given_options(args) & saved.keys()) - set(ignore)):
        if getattr(args, dest) != saved[dest]:
            raise ValueError(f"{option_name(dest)} {format_value(getattr(args, dest))} contradicts the "
                             f"optimizer saved in {args.resume} ({option_name(dest)} "
                             f"{format_value(saved[dest])}), which --resume continues; leave "
                             f"{option_name(dest)} out")


def add_resume_arguments(parser: argparse.ArgumentParser) -> None:
    """--resume and --checkpoint-every: a run that can stop at any moment and go on exactly."""
    parser.add_argument("--resume", metavar="MODEL.npz",
                        help="continue training this saved model (with its optimizer, when saved with "
                             "one): an interrupted run up to the epoch it was started for, or a finished "
                             "one for --epochs more epochs; architecture options must match it")
    parser.add_argument("--checkpoint-every", type=positive_int, metavar="N",
                        help="also save the model with its optimizer to --out every N epochs, atomically: "
                             "a run that is killed loses at most N epochs, and --resume --out of that file "
                             "goes on exactly as if it had never stopped")


def checkpoints(args: argparse.Namespace) -> list:
    """The callbacks of --checkpoint-every (none without it)."""
    return [ModelCheckpoint(args.out, args.checkpoint_every)] if args.checkpoint_every else []


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
    if "batch_size" not in given_options(args) and model.batch_size is not None:
        args.batch_size = model.batch_size  # as the saved run trained
    if "epochs" not in given_options(args) and model.planned_epochs > model.epochs_trained:
        args.epochs = model.planned_epochs - model.epochs_trained
        note(f"{args.resume} stopped at epoch {model.epochs_trained} of a run of {model.planned_epochs}: "
             f"training the {args.epochs} epochs left")
    return model


def format_metrics(report: dict) -> str:
    """'loss 0.1234  accuracy 0.9876 ...': the scalar metrics of an ``evaluate`` report."""
    return "  ".join(f"{name} {value:.4f}" for name, value in report.items()
                     if isinstance(value, numbers.Real) and not isinstance(value, bool))
