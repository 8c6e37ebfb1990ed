"""A grid search spread over a dask.distributed LocalCluster, timed against the same search in one process.

    python bench/dask_search.py [--workers 2] [--rows 6000] [--epochs 3] [--rounds 3]

First, what a spread search ships for each fit: a trained mnist-shaped network (784-256-128-10)
pickled with and without its Adam optimizer, next to its parameter bytes, and the time to
pickle and unpickle it. Then one ``GridSearchCV`` (4 candidates x 3 folds = 12 fits of
``numpy_mlp.sklearn.MLPClassifier`` on the mnist-shaped synthetic data of bench/workloads.py,
``refit=False``) is timed four ways, interleaved in each round so that a busy spell on a shared
machine spreads over all of them:

- serial: ``n_jobs=None`` in this process, OpenBLAS with its default threads;
- serial, one BLAS thread: the same, as each dask worker runs;
- cluster: ``n_jobs=-1`` under ``joblib.parallel_config(backend="dask")`` on a LocalCluster of
  ``--workers`` one-thread worker processes on 127.0.0.1, as distributed sets them up: its
  workers get OPENBLAS_NUM_THREADS=1 and MALLOC_TRIM_THRESHOLD_=65536 (``distributed.nanny.
  pre-spawn-environ``);
- cluster without the malloc setting: the same with only the thread variables. Setting
  MALLOC_TRIM_THRESHOLD_ turns off glibc's adaptive mmap threshold, so every temporary of
  128 KiB or more (a batch of 128 rows times 256 float32 units) is mapped and unmapped again
  at each batch, and its pages faulted in anew.

The clusters' start-up (paid once per session) is timed apart. Each time is the best of
``--rounds``, printed with the share of the machine's CPU that other processes took during
that run (from /proc/stat, as bench/worker.py measures it; the workers' CPU counts as the
run's own): rerun when that share is high. Every fit runs whole on one worker, so the
speed-up is bounded by the number of cores: at most ~2x on a 2-core machine. The script also
checks that each cluster's test scores equal those of the one-thread serial run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pickle
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from worker import busy_cpu_seconds, own_cpu_seconds  # noqa: E402
from workloads import WORKLOADS, make_data  # noqa: E402

import dask  # noqa: E402
import joblib  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from numpy_mlp.sklearn import MLPClassifier  # noqa: E402

WORKLOAD = WORKLOADS["mnist-shaped"]
GRID = {"hidden_layer_sizes": [(128,), (256, 128)], "learning_rate_init": [1e-3, 3e-3]}
ONE_THREAD = {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1}


def timed(run, cpu_seconds=own_cpu_seconds) -> tuple[float, float, object]:
    """The wall time of ``run()``, the share of the machine's CPU that other processes took
    meanwhile, and its result. ``cpu_seconds()``: the CPU time of the processes doing the work."""
    busy, own, start = busy_cpu_seconds(), cpu_seconds(), time.perf_counter()
    result = run()
    wall = time.perf_counter() - start
    others = (busy_cpu_seconds() - busy) - (cpu_seconds() - own)
    return wall, min(1.0, max(0.0, others / (wall * os.cpu_count()))), result


def pickled_sizes(X: np.ndarray, y: np.ndarray) -> None:
    """Print the pickled size of a trained mnist-shaped model with and without Adam, and its times."""
    estimator = MLPClassifier(hidden_layer_sizes=WORKLOAD.hidden, batch_size=WORKLOAD.batch_size,
                              max_iter=1, random_state=0).fit(X, y)
    model = estimator.model_
    parameter_bytes = sum(value.nbytes for value, _ in model.parameters())
    with_adam = pickle.dumps(model)
    adam, model.optimizer = model.optimizer, None
    without_optimizer = pickle.dumps(model)
    model.optimizer = adam
    dumps = [timed(lambda: pickle.dumps(model))[0] for _ in range(21)]
    loads = [timed(lambda: pickle.loads(with_adam))[0] for _ in range(21)]
    print(f"mnist-shaped model {'-'.join(map(str, WORKLOAD.layer_sizes))}, float32, trained on {len(X):,} rows")
    print(f"  parameters                  {parameter_bytes:>10,} bytes")
    for name, size in [("model without its optimizer", len(without_optimizer)),
                       ("model with Adam", len(with_adam)),
                       ("fitted MLPClassifier", len(pickle.dumps(estimator)))]:
        print(f"  {name:<27} {size:>10,} bytes  ({size / parameter_bytes:.2f} x the parameters)")
    print(f"  pickle.dumps {statistics.median(dumps) * 1e3:.1f} ms, "
          f"pickle.loads {statistics.median(loads) * 1e3:.1f} ms (medians of 21, model with Adam)\n")


def search(X, y, epochs: int, n_jobs):
    estimator = MLPClassifier(max_iter=epochs, batch_size=WORKLOAD.batch_size, random_state=0)
    return GridSearchCV(estimator, GRID, cv=3, refit=False, n_jobs=n_jobs).fit(X, y)


def start_cluster(stack, workers: int, environment=None):
    """A client of a LocalCluster of one-thread workers on 127.0.0.1, closed with ``stack``, and
    its start-up time; ``environment`` replaces distributed's variables for the workers."""
    settings = {} if environment is None else {"distributed.nanny.pre-spawn-environ": environment}
    start = time.perf_counter()
    with dask.config.set(settings):
        cluster = stack.enter_context(LocalCluster(n_workers=workers, threads_per_worker=1,
                                                   host="127.0.0.1", dashboard_address="127.0.0.1:0"))
    client = stack.enter_context(Client(cluster, set_as_default=False))
    startup = time.perf_counter() - start

    def run(X, y, epochs):
        with joblib.parallel_config(backend="dask", client=client):
            return search(X, y, epochs, -1)

    def cpu_seconds():
        workers_times = client.run(os.times).values()
        return own_cpu_seconds() + sum(times.user + times.system for times in workers_times)

    run(X=np.zeros((30, 2), np.float32), y=np.arange(30) % 2, epochs=1)  # workers import everything once
    return run, cpu_seconds, startup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="worker processes of one thread each")
    parser.add_argument("--rows", type=int, default=6000, help="rows of mnist-shaped synthetic data")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of each fit")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the four runs; the best counts")
    options = parser.parse_args()
    X, y = make_data(WORKLOAD, options.rows)
    pickled_sizes(X, y)

    with contextlib.ExitStack() as stack:
        cluster, cluster_cpu, startup = start_cluster(stack, options.workers)
        untrimmed, untrimmed_cpu, _ = start_cluster(stack, options.workers, ONE_THREAD)
        variants = {
            "serial": (lambda: search(X, y, options.epochs, None), own_cpu_seconds),
            "serial, one BLAS thread": (lambda: one_blas_thread(search, X, y, options.epochs, None),
                                        own_cpu_seconds),
            f"cluster, {options.workers} workers": (lambda: cluster(X, y, options.epochs), cluster_cpu),
            "  without MALLOC_TRIM_THRESHOLD_": (lambda: untrimmed(X, y, options.epochs), untrimmed_cpu)}
        fits = len(GRID["hidden_layer_sizes"]) * len(GRID["learning_rate"]) * 3
        print(f"GridSearchCV: {fits} fits of {options.epochs} epochs on {options.rows:,} rows, "
              f"{os.cpu_count()} cores, best of {options.rounds} rounds")
        best = {}
        for _ in range(options.rounds):
            for name, (run, cpu_seconds) in variants.items():
                best[name] = min(best.get(name, (np.inf,)), timed(run, cpu_seconds), key=lambda t: t[0])
    report(best, startup)


def one_blas_thread(function, *args):
    with threadpool_limits(limits=1):
        return function(*args)


def report(best: dict, startup: float) -> None:
    """Each variant's best time, the share of the CPU others took during it, and the speed-ups."""
    serial, one_thread = best["serial"][0], best["serial, one BLAS thread"][0]
    reference = best["serial, one BLAS thread"][2].cv_results_
    for name, (wall, contention, result) in best.items():
        line = f"  {name:<32} {wall:6.2f} s  (others took {contention:4.0%} of the CPU)"
        if name.startswith(("cluster", " ")):
            identical = all(np.array_equal(result.cv_results_[key], reference[key])
                            for key in reference if "test_score" in key)
            line += (f"  speed-up {serial / wall:.2f}x over serial, {one_thread / wall:.2f}x over one "
                     f"BLAS thread; scores {'identical to' if identical else 'DIFFERENT from'} one thread's")
        print(line)
    print(f"  cluster start-up, paid once      {startup:6.2f} s")


if __name__ == "__main__":  # worker processes are spawned: they import this file without running it
    main()
