"""The ``numpy-mlp`` command: train on a CSV file or on MNIST, predict with a saved model or evaluate
it on labelled data, run the demo, export a model to ONNX, describe a model file.

Results go to standard output; progress and notes to standard error. A bad file or argument
ends with one line on standard error, ``numpy-mlp: error: ...``, and exit status 2 (status 1
when training diverges).
Each command is a pair: ``add_<command>_command(commands)`` declares its arguments and
``run_<command>(args)`` does the work, returning the exit status.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from .. import __version__
from ..training import DivergenceError
from .demo import add_demo_command
from .evaluate import add_evaluate_command
from .export import add_export_command
from .info import add_info_command
from .mnist import add_mnist_command
from .playground import add_playground_command
from .predict import add_predict_command
from .train import add_train_command

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
        with warnings.catch_warnings():
            # A library warning (such as FeatureRangeWarning) as one line, like the notes.
            warnings.showwarning = lambda message, *_: print(f"numpy-mlp: warning: {message}", file=sys.stderr)
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
    add_evaluate_command(commands)
    add_demo_command(commands)
    add_export_command(commands)
    add_info_command(commands)
    add_playground_command(commands)
    return parser
