"""A grid search spread over a dask.distributed LocalCluster, timed against the same search in one process.

    python bench/dask_search.py [--workers 2] [--rows 6000] [--epochs 3] [--repeats 3]

First, what a spread search ships for each fit: a trained mnist-shaped network (784-256-128-10)
pickled with and without its Adam optimizer, next to its parameter bytes, and the time to
pickle and unpickle it. Then one ``GridSearchCV`` (4 candidates x 3 folds = 12 fits of
``numpy_mlp.sklearn.MLPClassifier`` on the mnist-shaped synthetic data of bench/workloads.py,
``refit=False``) is timed three ways in the same run:

- serial: ``n_jobs=None`` in this process, OpenBLAS with its default threads;
- serial, one BLAS thread: the same, as each dask worker runs (distributed sets
  OPENBLAS_NUM_THREADS=1 in its workers);
- cluster: ``n_jobs=-1`` under ``joblib.parallel_config(backend="dask")`` on a LocalCluster of
  ``--workers`` one-thread worker processes on 127.0.0.1. Its start-up (paid once per session)
  is timed apart.

Each time is the best of ``--repeats``, printed with the share of the machine's CPU that other
processes took meanwhile (from /proc/stat, as bench/worker.py measures it): on a shared machine,
rerun when that share is high. The ratios are serial / cluster. Every fit runs whole on one
worker, so the speed-up is bounded by the number of cores: at most ~2x on a 2-core machine, less
where the serial run's BLAS already used both cores for the larger matrix products. The script
also checks that the cluster's test scores equal those of the one-thread serial run.
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from worker import busy_cpu_seconds, own_cpu_seconds  # noqa: E402
from workloads import WORKLOADS, make_data  # noqa: E402

import joblib  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from numpy_mlp.sklearn import MLPClassifier  # noqa: E402

WORKLOAD = WORKLOADS["mnist-shaped"]
GRID = {"hidden_layer_sizes": [(128,), (256, 128)], "learning_rate": [1e-3, 3e-3]}


def best_time(run, repeats: int, cpu_seconds=own_cpu_seconds) -> tuple[float, float, object]:
    """The shortest wall time of ``repeats`` calls of ``run()``, the share of the machine's CPU that
    other processes took meanwhile, and the last call's result.

    ``cpu_seconds()`` is the CPU time of the processes being measured (this one, plus the workers).
    """
    runs = []
    for _ in range(repeats):
        busy, own, start = busy_cpu_seconds(), cpu_seconds(), time.perf_counter()
        result = run()
        wall = time.perf_counter() - start
        others = (busy_cpu_seconds() - busy) - (cpu_seconds() - own)
        runs.append((wall, min(1.0, max(0.0, others / (wall * os.cpu_count())))))
    wall, contention = min(runs)
    return wall, contention, result


def pickled_sizes(X: np.ndarray, y: np.ndarray) -> None:
    """Print the pickled size of a trained mnist-shaped model with and without Adam, and its times."""
    estimator = MLPClassifier(hidden_layer_sizes=WORKLOAD.hidden, batch_size=WORKLOAD.batch_size,
                              epochs=1, random_state=0).fit(X, y)
    model = estimator.model_
    parameter_bytes = sum(value.nbytes for value, _ in model.parameters())
    with_adam = pickle.dumps(model)
    adam, model.optimizer = model.optimizer, None
    without_optimizer = pickle.dumps(model)
    model.optimizer = adam
    dumps = [best_time(lambda: pickle.dumps(model), 1)[0] for _ in range(21)]
    loads = [best_time(lambda: pickle.loads(with_adam), 1)[0] for _ in range(21)]
    print(f"mnist-shaped model {'-'.join(map(str, WORKLOAD.layer_sizes))}, float32, trained on {len(X):,} rows")
    print(f"  parameters                  {parameter_bytes:>10,} bytes")
    for name, size in [("model without its optimizer", len(without_optimizer)),
                       ("model with Adam", len(with_adam)),
                       ("fitted MLPClassifier", len(pickle.dumps(estimator)))]:
        print(f"  {name:<27} {size:>10,} bytes  ({size / parameter_bytes:.2f} x the parameters)")
    print(f"  pickle.dumps {statistics.median(dumps) * 1e3:.1f} ms, "
          f"pickle.loads {statistics.median(loads) * 1e3:.1f} ms (medians of 21, model with Adam)\n")


def search(X, y, epochs: int, n_jobs):
    estimator = MLPClassifier(epochs=epochs, batch_size=WORKLOAD.batch_size, random_state=0)
    return GridSearchCV(estimator, GRID, cv=3, refit=False, n_jobs=n_jobs).fit(X, y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="worker processes of one thread each")
    parser.add_argument("--rows", type=int, default=6000, help="rows of mnist-shaped synthetic data")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of each fit")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each search; the best counts")
    options = parser.parse_args()
    X, y = make_data(WORKLOAD, options.rows)
    pickled_sizes(X, y)

    fits = len(GRID["hidden_layer_sizes"]) * len(GRID["learning_rate"]) * 3
    print(f"GridSearchCV: {fits} fits of {options.epochs} epochs on {options.rows:,} rows, "
          f"{os.cpu_count()} cores, best of {options.repeats}")
    serial = best_time(lambda: search(X, y, options.epochs, None), options.repeats)
    with threadpool_limits(limits=1):
        one_thread = best_time(lambda: search(X, y, options.epochs, None), options.repeats)
    start = time.perf_counter()
    with LocalCluster(n_workers=options.workers, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        startup = time.perf_counter() - start

        def cluster_cpu_seconds() -> float:
            workers = client.run(os.times).values()
            return own_cpu_seconds() + sum(times.user + times.system for times in workers)

        with joblib.parallel_config(backend="dask"):
            search(X[:300], y[:300], 1, -1)  # the workers import numpy_mlp and scikit-learn once
            spread = best_time(lambda: search(X, y, options.epochs, -1), options.repeats, cluster_cpu_seconds)
    report(serial, one_thread, spread, startup, options.workers)


def report(serial, one_thread, spread, startup: float, workers: int) -> None:
    """The three timings, the share of the CPU others took during each, and the speed-ups."""
    for name, (wall, contention, _) in [("serial", serial), ("serial, one BLAS thread", one_thread),
                                        (f"cluster, {workers} workers x 1 thread", spread)]:
        print(f"  {name:<30} {wall:6.2f} s   (other processes took {contention:.0%} of the CPU)")
    print(f"  cluster start-up, paid once  {startup:6.2f} s")
    print(f"  speed-up: {serial[0] / spread[0]:.2f}x over serial, "
          f"{one_thread[0] / spread[0]:.2f}x over serial with one BLAS thread")
    # The workers run one BLAS thread each: their results are those of the one-thread serial run
    # to the bit; a BLAS on two threads may add some sums in another order.
    identical = all(np.array_equal(one_thread[2].cv_results_[key], spread[2].cv_results_[key])
                    for key in spread[2].cv_results_ if "test_score" in key)
    print(f"  test scores on the cluster: {'identical to' if identical else 'DIFFERENT from'} "
          "the one-thread serial run's")


if __name__ == "__main__":  # worker processes are spawned: they import this file without running it
    main()
