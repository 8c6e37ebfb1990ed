"""numpy_mlp.sklearn's MLPClassifier and MLPRegressor against scikit-learn's, the same code with
only the import changed: wall time, epochs, time per epoch and test score, on two data sets each;
then balanced accuracy on an imbalanced set with and without class_weight="balanced".

    python bench/sklearn_dropin.py [--rounds 3] [--quick]

Each fit runs in this process, the two libraries alternating, ``--rounds`` times; the table gives
medians and the ratios of the same run. Both see the same standardised data (a StandardScaler in
a pipeline) and the same parameters; they may stop after different numbers of epochs (tol and
n_iter_no_change), so time per epoch is shown beside the total. "contention" is the share of the
CPU that other processes used during the run (a busy neighbour slows every multi-threaded BLAS).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings

import numpy as np
from sklearn import neural_network
from sklearn.datasets import load_breast_cancer, load_diabetes, make_classification, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from numpy_mlp import sklearn as numpy_mlp_sklearn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from worker import busy_cpu_seconds, contention, own_cpu_seconds  # noqa: E402

LIBRARIES = {"scikit-learn": neural_network, "numpy-mlp": numpy_mlp_sklearn}
#: the estimators' parameters, the same for both libraries (scikit-learn's defaults otherwise)
PARAMETERS = {"hidden_layer_sizes": (64, 32), "max_iter": 200, "random_state": 0}


def datasets(quick: bool) -> list[tuple[str, str, np.ndarray, np.ndarray]]:
    """(name, estimator, X, y): two classification and two regression sets, none downloaded."""
    n = 5_000 if quick else 20_000
    X_synthetic, y_synthetic = make_classification(n, 40, n_informative=20, n_classes=4, class_sep=1.0,
                                                   random_state=0)
    X_friedman, y_friedman = make_friedman1(n, 10, noise=1.0, random_state=0)
    return [("breast cancer (569 x 30)", "MLPClassifier", *load_breast_cancer(return_X_y=True)),
            (f"synthetic, 4 classes ({n} x 40)", "MLPClassifier", X_synthetic, y_synthetic),
            ("diabetes (442 x 10)", "MLPRegressor", *load_diabetes(return_X_y=True)),
            (f"Friedman #1 ({n} x 10)", "MLPRegressor", X_friedman, y_friedman)]


def timed_fit(library: str, estimator: str, split, **parameters) -> dict:
    """Fit one pipeline; its wall time, epochs and test score (accuracy or R^2)."""
    X_train, X_test, y_train, y_test = split
    model = make_pipeline(StandardScaler(), getattr(LIBRARIES[library], estimator)(**PARAMETERS, **parameters))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "epochs": model[-1].n_iter_, "score": model.score(X_test, y_test), "model": model}


def compare(rounds: int, quick: bool) -> list[str]:
    """The table rows: each data set, each library, medians over the rounds, and the ratio."""
    rows = []
    for name, estimator, X, y in datasets(quick):
        split = train_test_split(X, y, test_size=0.25, random_state=0)
        results = {library: [] for library in LIBRARIES}
        busy, own, start = busy_cpu_seconds(), own_cpu_seconds(), time.perf_counter()
        for _ in range(rounds):
            for library in LIBRARIES:
                results[library].append(timed_fit(library, estimator, split))
        load = contention(busy, own, time.perf_counter() - start)
        medians = {library: {key: statistics.median(run[key] for run in runs) for key in ("seconds", "epochs", "score")}
                   for library, runs in results.items()}
        for library, median in medians.items():
            rows.append(f"| {estimator} | {name} | {library} | {median['seconds']:.2f} | {median['epochs']:.0f} | "
                        f"{1000 * median['seconds'] / median['epochs']:.1f} | {median['score']:.3f} | "
                        f"{'' if load is None else f'{load:.0%}'} |")
        sklearn, ours = medians["scikit-learn"], medians["numpy-mlp"]
        per_epoch = (sklearn["seconds"] / sklearn["epochs"]) / (ours["seconds"] / ours["epochs"])
        rows.append(f"| | | **speed-up** | **{sklearn['seconds'] / ours['seconds']:.1f}x** | | "
                    f"**{per_epoch:.1f}x** | | |")
    return rows


def imbalanced(quick: bool) -> list[str]:
    """Balanced accuracy on a 3%-positive set: scikit-learn's estimator, ours, and ours balanced."""
    X, y = make_classification(5_000 if quick else 20_000, 20, n_informative=5, weights=[0.97], flip_y=0.01,
                               class_sep=0.5, random_state=0)
    split = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    lines = []
    for library, options in (("scikit-learn", {}), ("numpy-mlp", {}), ("numpy-mlp", {"class_weight": "balanced"})):
        result = timed_fit(library, "MLPClassifier", split, **options)
        predicted = result["model"].predict(split[1])
        lines.append(f"| {library} | {options.get('class_weight', 'none')} | "
                     f"{balanced_accuracy_score(split[3], predicted):.3f} | {result['score']:.3f} | "
                     f"{np.mean(predicted[split[3] == 1] == 1):.3f} |")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="fits per library and data set (default 3)")
    parser.add_argument("--quick", action="store_true", help="5,000 instead of 20,000 synthetic samples")
    args = parser.parse_args(argv)
    print(f"parameters: {PARAMETERS}, StandardScaler in a pipeline; medians of {args.rounds} rounds\n")
    print("| estimator | data | library | seconds | epochs | ms/epoch | test score | contention |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(compare(args.rounds, args.quick)))
    print("\nImbalanced: 3% positives (make_classification, class_sep 0.5), test split stratified\n")
    print("| library | class_weight | balanced accuracy | accuracy | recall of the rare class |")
    print("|---|---|---|---|---|")
    print("\n".join(imbalanced(args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
