"""numpy-mlp demo: XOR, breast cancer and two moons, with metrics and plots; no download."""

from __future__ import annotations

import os
import time

from ..datasets import load_breast_cancer, make_moons, make_xor, train_test_split
from ..network import MLP
from .options import format_metrics, note


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
    from ..plotting import require_matplotlib
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
        from ..plotting import plot_decision_boundary
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
        from ..plotting import plot_history
        curves = os.path.join(out_dir, f"{name}_learning_curves.png")
        plot_history(history, curves, validation_label="test")
        print(f"  learning curves saved to {curves}")
