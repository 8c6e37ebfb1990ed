"""Train one system for one epoch of one workload, in a process of its own, and report the timings.

    python bench/worker.py --system numpy-mlp --workload mnist-shaped [--quick] [--json]

Phases, each timed apart:
  start-up  Python start to the framework imported, plus building the model and optimizer
            (the synthetic data's generation is excluded: every system gets the same arrays);
  warm-up   a few training steps, or the compilation, before the clock starts: BLAS threads
            woken, pages faulted in, JAX traced and compiled;
  epoch     one full epoch, shuffling and batch gathering included, ended only when the
            results are ready (JAX dispatches asynchronously).
Peak RSS is the process's resource.getrusage maximum, the dataset included. "contention" is the
share of the machine's CPU that other processes used during the epoch (from /proc/stat): the
machine may be shared, and a busy neighbour slows every multi-threaded BLAS.
With --json the report is one line on stdout starting with "BENCH_RESULT ".
"""

from __future__ import annotations

import time

PROCESS_START = time.perf_counter()

import argparse  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workloads import SEED, WORKLOADS, make_data  # noqa: E402

#: system name -> module of bench/ that builds its runner
SYSTEMS = {
    "numpy-mlp": "system_numpy_mlp",
    "torch": "system_torch",
    "torch-fused": "system_torch",
    "jax-jit": "system_jax",
    "jax-scan": "system_jax",
    "sklearn": "system_sklearn",
}

#: samples whose loss is reported before and after the epoch: a check that each system trains
EVAL_SAMPLES = 4096


def megabytes_resident_now() -> float:
    """The current resident set size in MB (from /proc; 0 where there is none)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0


def peak_megabytes_resident() -> float:
    """The process's peak RSS in MB: ru_maxrss is in kB on Linux, in bytes on macOS."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def busy_cpu_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy since boot (all processes, all cores), or None.

    From /proc/stat's first line: user, nice, system, irq, softirq and steal (the time a virtual
    machine's host gave to others) count as busy; idle and iowait do not.
    """
    try:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def contention(busy_before, own_before, wall_seconds) -> float | None:
    """The share of the machine's CPU that other processes used during an interval, in [0, 1]."""
    busy_after = busy_cpu_seconds()
    if busy_before is None or busy_after is None or wall_seconds <= 0:
        return None
    others = (busy_after - busy_before) - (own_cpu_seconds() - own_before)
    return min(1.0, max(0.0, others / (wall_seconds * (os.cpu_count() or 1))))


def run(system: str, workload_name: str, quick: bool, threads: int) -> dict:
    """Every phase of one benchmark run; returns the report (status "ok", "skipped" or "n/a")."""
    workload = WORKLOADS[workload_name]
    report = {"system": system, "workload": workload_name, "quick": quick,
              "python": platform.python_version(), "numpy": np.__version__}
    try:
        module = importlib.import_module(SYSTEMS[system])
    except ImportError as error:
        report.update(status="skipped", note=f"{error.name or error} is not installed")
        return report
    not_applicable = module.not_applicable(system, workload)
    if not_applicable:
        report.update(status="n/a", note=not_applicable)
        return report
    imported = time.perf_counter()

    n_samples = workload.samples(quick)
    X, y = make_data(workload, n_samples)
    X_eval, y_eval = X[:EVAL_SAMPLES].copy(), y[:EVAL_SAMPLES].copy()
    data_ready = time.perf_counter()
    data_rss = megabytes_resident_now()

    runner = module.Runner(system, workload, X, y, SEED, threads)
    del X, y  # the runner keeps what it needs, in its own form
    built = time.perf_counter()
    loss_before = runner.loss(X_eval, y_eval)

    start = time.perf_counter()
    runner.warm_up()
    warm_up_s = time.perf_counter() - start

    busy_before, own_before = busy_cpu_seconds(), own_cpu_seconds()
    start = time.perf_counter()
    runner.train_epoch()
    epoch_s = time.perf_counter() - start
    epoch_contention = contention(busy_before, own_before, epoch_s)

    report.update(
        status="ok",
        label=runner.label,
        note=runner.note,
        versions=runner.versions(),
        threads=runner.threads(),
        parameter_dtype=runner.parameter_dtype(),
        n_samples=n_samples,
        startup_s=(imported - PROCESS_START) + (built - data_ready),
        data_s=data_ready - imported,
        warm_up_s=warm_up_s,
        epoch_s=epoch_s,
        samples_per_s=n_samples / epoch_s,
        contention=epoch_contention,
        load_average=os.getloadavg()[0],
        loss_before=loss_before,
        loss_after=runner.loss(X_eval, y_eval),
        data_rss_mb=data_rss,
        peak_rss_mb=peak_megabytes_resident(),
    )
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--system", required=True, choices=sorted(SYSTEMS))
    parser.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    parser.add_argument("--quick", action="store_true", help="the smaller dataset")
    parser.add_argument("--threads", type=int, default=2, help="threads for PyTorch (default 2)")
    parser.add_argument("--json", action="store_true", help="one JSON line on stdout")
    args = parser.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's ConvergenceWarning after max_iter=1, and the like
        report = run(args.system, args.workload, args.quick, args.threads)
    if args.json:
        print("BENCH_RESULT " + json.dumps(report), flush=True)
    else:
        for key, value in report.items():
            print(f"{key:>16}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
