"""numpy-mlp demo: XOR, breast cancer and two moons, with metrics and plots; no download."""

from __future__ import annotations

import os
import time

from .. import plotting
from ..datasets import (
    load_breast_cancer,
    make_moons,
    make_xor,
    train_test_split,
    write_csv,
)
from ..network import MLP
from .options import format_metrics, note

#: the demo's two moons; ``--write-csv`` writes the same points
MOONS = {"n_samples": 1000, "noise": 0.15, "seed": 0}


def add_demo_command(commands) -> None:
    parser = commands.add_parser(
        "demo", help="train on XOR, the breast-cancer data and two moons; print metrics, save plots",
        description="The main job, with no download: a small MLP learns XOR; another learns the "
                    "Wisconsin breast-cancer data that scikit-learn ships (standardised); a third "
                    "separates two moons. Each dataset is split 60/20/20 (stratified, seed 0): the "
                    "network trains on the first part, the validation part is watched every "
                    "epoch, the test part is evaluated once, at the end. With matplotlib "
                    "installed, learning curves and a decision boundary are saved as PNG files.")
    parser.add_argument("--out-dir", default="demo-output", metavar="DIR",
                        help="folder for the PNG files (default: %(default)s)")
    parser.add_argument("--animate", action="store_true",
                        help="also save moons_training.gif, the decision boundary epoch by epoch")
    parser.add_argument("--write-csv", metavar="FILE.csv",
                        help="only write the demo's two moons (columns x1, x2, label) to this CSV "
                             "file, to try 'numpy-mlp train' on, and stop")
    parser.set_defaults(run=run_demo)


def run_demo(args) -> int:
    if args.write_csv:
        return write_moons_csv(args.write_csv)
    started = time.perf_counter()
    plots = matplotlib_available()
    if plots:
        os.makedirs(args.out_dir, exist_ok=True)
    else:
        note("matplotlib is not installed: no plots (pip install numpy-mlp[plot])")
    demo_xor()
    demo_breast_cancer(args.out_dir if plots else None)
    demo_moons(args.out_dir if plots else None, animate=args.animate)
    print(f"\ndemo finished in {time.perf_counter() - started:.1f} s")
    return 0


def write_moons_csv(path) -> int:
    X, y = make_moons(**MOONS)
    write_csv(path, ["x1", "x2", "label"], [[*point, label] for point, label in zip(X.tolist(), y.tolist())])
    print(f"{len(X)} two-moons samples written to {path} (columns x1, x2, label)")
    return 0


def matplotlib_available() -> bool:
    try:
        plotting.require_matplotlib()
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


def demo_moons(out_dir, animate: bool = False) -> None:
    X, y = make_moons(**MOONS)
    model = MLP(2, [16, 16, 1], seed=0)
    train_and_report(model, "two moons (noise 0.15), MLP 2-16-16-1", X, y, epochs=200,
                     learning_rate=0.1, out_dir=out_dir, name="moons", animate=animate)
    if out_dir is not None:
        boundary = os.path.join(out_dir, "moons_decision_boundary.png")
        plotting.plot_decision_boundary(model, X, y, boundary, title="Two moons: decision boundary")
        print(f"  decision boundary saved to {boundary}")


def train_and_report(model, title, X, y, epochs, learning_rate, out_dir, name, animate=False) -> None:
    """Split 60/20/20 (stratified, seed 0), train, print the metrics of each part, plot the curves.

    The validation part is only watched; the test part is evaluated once, after training.
    With ``animate`` (2-D data), the training is recorded as ``{name}_training.gif``.
    """
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=0, stratify=True)
    X_train, X_val, y_train, y_val = train_test_split(X_train, y_train, test_size=0.25, seed=0, stratify=True)
    options = {"epochs": epochs, "batch_size": 32, "learning_rate": learning_rate,
               "validation_data": (X_val, y_val)}
    if animate and out_dir is not None:
        animation = os.path.join(out_dir, f"{name}_training.gif")
        history = plotting.animate_decision_boundary(model, X_train, y_train, animation, **options)
    else:
        history = model.fit(X_train, y_train, verbose=0, **options)
    print(f"\n{title}, {len(X_train)} training, {len(X_val)} validation and {len(X_test)} test samples, "
          f"{epochs} epochs:")
    print(f"  train:      {format_metrics(model.evaluate(X_train, y_train))}")
    print(f"  validation: {format_metrics(model.evaluate(X_val, y_val))}")
    print(f"  test:       {format_metrics(model.evaluate(X_test, y_test))}")
    if out_dir is not None:
        curves = os.path.join(out_dir, f"{name}_learning_curves.png")
        history.plot(curves)
        print(f"  learning curves saved to {curves}")
        if animate:
            print(f"  training animation saved to {animation}")
